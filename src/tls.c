/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tls.h"

static int __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
load_trust(gnutls_x509_trust_list_t *tl, const char *ca_file, char *err,
    size_t errlen)
{
	int r;

	if ((r = gnutls_x509_trust_list_init(tl, 0)) < 0) {
		*tl = NULL;
		return set_err(err, errlen, "trust list: %s",
		    gnutls_strerror(r));
	}
	if (ca_file != NULL && *ca_file != '\0') {
		r = gnutls_x509_trust_list_add_trust_file(*tl, ca_file, NULL,
		    GNUTLS_X509_FMT_PEM, 0, 0);
		if (r < 0)
			return set_err(err, errlen, "CA file %s: %s", ca_file,
			    gnutls_strerror(r));
		if (r == 0)
			return set_err(err, errlen, "CA file %s: no "
			    "certificates in it", ca_file);
		return 0;
	}
	r = gnutls_x509_trust_list_add_system_trust(*tl, 0, 0);
	if (r < 0)
		return set_err(err, errlen, "system CA store: %s",
		    gnutls_strerror(r));
	if (r == 0)
		return set_err(err, errlen, "system CA store: no certificates "
		    "(install ca-certificates or set ca-file)");
	return 0;
}

static int
import_chain(const struct tls_cert *chain, size_t n, gnutls_x509_crt_t *crts,
    char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		gnutls_datum_t d = {
			.data = (unsigned char *)chain[i].der,
			.size = (unsigned)chain[i].len,
		};
		int r;

		if ((r = gnutls_x509_crt_init(&crts[i])) < 0) {
			crts[i] = NULL;
			return set_err(err, errlen, "certificate %zu: %s", i,
			    gnutls_strerror(r));
		}
		if ((r = gnutls_x509_crt_import(crts[i], &d,
		    GNUTLS_X509_FMT_DER)) < 0)
			return set_err(err, errlen, "certificate %zu: %s", i,
			    gnutls_strerror(r));
	}
	return 0;
}

/* The trust list's verdict, in GnuTLS's words when it says no. */
static int
check_trust(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *crts, size_t n,
    char *err, size_t errlen)
{
	gnutls_datum_t out = { 0 };
	unsigned status = 0;
	int r;

	r = gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned)n, NULL, 0,
	    0, &status, NULL);
	if (r < 0)
		return set_err(err, errlen, "verification: %s",
		    gnutls_strerror(r));
	if (status == 0)
		return 0;
	if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) < 0)
		return set_err(err, errlen, "certificate does not verify "
		    "(status 0x%x)", status);
	g_strchomp((char *)out.data);
	set_err(err, errlen, "certificate does not verify: %s", out.data);
	gnutls_free(out.data);
	return -1;
}

int
tls_verify_chain(const struct tls_cert *chain, size_t n, const char *host,
    const char *ca_file, char *err, size_t errlen)
{
	gnutls_x509_crt_t crts[TLS_CHAIN_MAX] = { 0 };
	gnutls_x509_trust_list_t tl = NULL;
	int ret = -1;

	if (n == 0)
		return set_err(err, errlen, "the server sent no certificate");
	if (n > TLS_CHAIN_MAX)
		return set_err(err, errlen, "certificate chain of %zu is too "
		    "long", n);
	if (import_chain(chain, n, crts, err, errlen) == -1 ||
	    load_trust(&tl, ca_file, err, errlen) == -1 ||
	    check_trust(tl, crts, n, err, errlen) == -1)
		goto out;
	/* An address is matched against the iPAddress names only. */
	if (!gnutls_x509_crt_check_hostname2(crts[0], host, 0)) {
		set_err(err, errlen, "certificate is not valid for \"%s\"",
		    host);
		goto out;
	}
	ret = 0;
out:
	if (tl != NULL)
		gnutls_x509_trust_list_deinit(tl, 1);
	for (size_t i = 0; i < n; i++)
		if (crts[i] != NULL)
			gnutls_x509_crt_deinit(crts[i]);
	return ret;
}

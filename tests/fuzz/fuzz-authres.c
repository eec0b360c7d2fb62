/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the Authentication-Results parser: parse the
 * input as one header value and check the contract (0 with an
 * authserv-id and lower-case keywords, or -1 with nothing); then read it
 * as header lines ("Name: value" each, Received and
 * Authentication-Results among them) and check that authres_trusted()
 * takes nothing from below the first Received line.  A breach abort()s
 * so that libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "authres.h"
#include "msg.h"

static void
fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz-authres: contract broken: %s: \"%.200s\"\n",
	    what, s != NULL ? s : "(null)");
	abort();
}

static bool
lower_keyword(const char *s, bool may_be_empty)
{
	if (s == NULL || (*s == '\0' && !may_be_empty))
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

static void
check_entry(const struct authres_entry *e, const char *in)
{
	if (!lower_keyword(e->method, false) ||
	    !lower_keyword(e->result, false) || e->version == NULL ||
	    e->reason == NULL || e->domain == NULL)
		fail("entry", in);
	for (size_t j = 0; j < e->nprops; j++)
		if (!lower_keyword(e->props[j].ptype, true) ||
		    !lower_keyword(e->props[j].property, false) ||
		    e->props[j].value == NULL)
			fail("property", in);
}

static void
check_parse(const char *in)
{
	struct authres a;
	int rc = authres_parse(in, &a);

	if (rc == -1 && (a.authserv_id != NULL || a.n != 0 || a.v != NULL))
		fail("-1 with results", in);
	if (rc == 0 && (a.authserv_id == NULL || *a.authserv_id == '\0' ||
	    a.version == NULL))
		fail("0 without an authserv-id", in);
	for (size_t i = 0; i < a.n; i++)
		check_entry(&a.v[i], in);
	(void)authres_result(&a, "dkim");
	(void)authres_aligned_pass(&a, "example.org");
	(void)authres_dmarc_result(&a, "example.org");
	authres_clear(&a);
	authres_clear(&a);
}

/* Lines "Name: value" as m's header; true when an Authentication-Results
 * header stands above every Received one. */
static struct msg *
headers(const char *in, bool *above)
{
	struct msg *m = msg_new();
	char **lines = g_strsplit(in, "\n", 64);
	bool received = false;

	*above = false;
	m->headers = g_new0(struct msg_header, g_strv_length(lines));
	for (size_t i = 0; lines[i] != NULL; i++) {
		char *colon = strchr(lines[i], ':');

		if (colon == NULL)
			continue;
		*colon = '\0';
		m->headers[m->nheaders].name = g_strdup(lines[i]);
		m->headers[m->nheaders++].value = g_strdup(colon + 1);
		if (g_ascii_strcasecmp(lines[i], "Received") == 0)
			received = true;
		else if (!received && g_ascii_strcasecmp(lines[i],
		    "Authentication-Results") == 0)
			*above = true;
	}
	g_strfreev(lines);
	return m;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = g_strndup((const char *)data, size);
	struct authres a;
	struct msg *m;
	bool above;

	check_parse(in);
	m = headers(in, &above);
	if (authres_trusted(m, "mx.example.org", &a) == 0 && !above)
		fail("trusted a header below Received", in);
	authres_clear(&a);
	(void)authres_trusted_below(m, "mx.example.org", 1, &a);
	authres_clear(&a);
	msg_free(m);
	g_free(in);
	return 0;
}

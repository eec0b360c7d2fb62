/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_TLS_H
#define POSTDESK_TLS_H

#include <stddef.h>

/*
 * Server certificate verification for the TLS clients (IMAP now, SMTP
 * later).  libetpan finishes the handshake without looking at the
 * server's certificate; its caller takes the peer's chain out of the
 * stream and hands it over here, as DER, before it sends anything that
 * matters (a password, a message).  Only GnuTLS appears in tls.c.
 */

struct tls_cert {
	const unsigned char	*der;
	size_t			 len;
};

/* Longest chain looked at; a longer one is refused. */
#define TLS_CHAIN_MAX	16

/*
 * Verify chain[0..n) (the server's own certificate first) against the
 * CAs in ca_file (PEM; NULL or "" = the system's CA store) and host: a
 * DNS name, or an IPv4/IPv6 address, which must then be one of the
 * certificate's IP addresses.  0 when both hold; -1 with the reason in
 * err (nothing is logged).
 */
int	tls_verify_chain(const struct tls_cert *chain, size_t n,
	    const char *host, const char *ca_file, char *err, size_t errlen);

#endif

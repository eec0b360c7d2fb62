/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_SMTP_H
#define POSTDESK_SMTP_H

#include "transport.h"

/*
 * The SMTP transport (libetpan; the only module that sends mail over
 * the network).  One connection per session, reused for every mail
 * (RSET between them): implicit TLS, STARTTLS required or
 * opportunistic, or plain text; SNI; the server's certificate chain
 * and host name verified through tls.c right after the handshake,
 * before EHLO, AUTH or any mail (a failed check sends nothing); AUTH
 * PLAIN or LOGIN (Cyrus SASL) with the password file's first line,
 * never without TLS except to a loopback address.
 *
 * Replies: 250 after DATA is TRANSPORT_SENT; a 4xx to RCPT or DATA is
 * TRANSIENT, a 5xx PERMANENT (for this mail, with the server's reply
 * in the refusal); a failure to connect, verify, greet or
 * authenticate, any failure of RSET or MAIL FROM, a 421 or a broken
 * connection is TRANSPORT_DOWN (a transport fault).  Not in
 * postdesk-deliver.
 */
extern const struct transport_ops smtp_transport;

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_DIGEST_H
#define POSTDESK_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN 64

/*
 * Length of the leading trace block: the header lines at the top of the
 * message that MTAs add on the way in (Received, Return-Path,
 * Delivered-To, X-Original-To, Envelope-To, Delivery-Date,
 * Authentication-Results, ARC-*, X-Envelope-*), with their continuation
 * lines and an mbox "From " line.  0 when there is none.
 */
size_t	digest_trace_len(const char *raw, size_t len);

/*
 * SHA-256 (lower-case hex, NUL-terminated) of the message without its
 * leading trace block and without blank lines or white space at its
 * very end, with CR LF counted as LF: an MTA retry that adds a trace
 * header, the same mail delivered once per recipient, or a copy that
 * gained or lost its last line end, digests the same.
 */
void	digest_message(const char *raw, size_t len,
	    char out[DIGEST_HEX_LEN + 1]);

/* SHA-256 hex of len bytes. */
void	digest_bytes(const void *data, size_t len,
	    char out[DIGEST_HEX_LEN + 1]);

#endif

/* SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "digest.h"

static const char *const trace_names[] = {
	"Received", "Return-Path", "Delivered-To", "X-Original-To",
	"Envelope-To", "Delivery-Date", "Authentication-Results",
	"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results",
	"X-Envelope-From", "X-Envelope-To", "Received-SPF",
};

static bool
is_trace_name(const char *p, size_t n)
{
	for (size_t i = 0; i < G_N_ELEMENTS(trace_names); i++)
		if (strlen(trace_names[i]) == n &&
		    strncasecmp(p, trace_names[i], n) == 0)
			return true;
	return false;
}

/* End of the line starting at p (just past its LF), or end. */
static size_t
line_end(const char *raw, size_t len, size_t p)
{
	const char *nl = memchr(raw + p, '\n', len - p);

	return nl != NULL ? (size_t)(nl - raw) + 1 : len;
}

size_t
digest_trace_len(const char *raw, size_t len)
{
	size_t p = 0;

	if (len >= 5 && memcmp(raw, "From ", 5) == 0)
		p = line_end(raw, len, 0);
	while (p < len) {
		const char *colon = memchr(raw + p, ':', len - p);
		size_t next;

		if (colon == NULL || !is_trace_name(raw + p,
		    (size_t)(colon - raw) - p))
			break;
		next = line_end(raw, len, p);
		while (next < len && (raw[next] == ' ' || raw[next] == '\t'))
			next = line_end(raw, len, next);
		p = next;
	}
	return p;
}

void
digest_message(const char *raw, size_t len, char out[DIGEST_HEX_LEN + 1])
{
	GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
	size_t p = digest_trace_len(raw, len), start = p;

	/* Blank lines and white space at the very end come and go with
	 * every tool that copies a mail (an editor, a shell's $(...), an
	 * MTA that adds the last line end): not part of the mail. */
	while (len > p && (raw[len - 1] == '\n' || raw[len - 1] == '\r' ||
	    raw[len - 1] == ' ' || raw[len - 1] == '\t'))
		len--;

	/* CR LF and LF transports must give the same digest. */
	for (; p < len; p++) {
		if (raw[p] == '\r' && p + 1 < len && raw[p + 1] == '\n') {
			g_checksum_update(ck, (const guchar *)raw + start,
			    p - start);
			start = p + 1;
		}
	}
	g_checksum_update(ck, (const guchar *)raw + start, len - start);
	g_strlcpy(out, g_checksum_get_string(ck), DIGEST_HEX_LEN + 1);
	g_checksum_free(ck);
}

void
digest_bytes(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1])
{
	gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);

	g_strlcpy(out, hex, DIGEST_HEX_LEN + 1);
	g_free(hex);
}

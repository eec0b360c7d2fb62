/* SPDX-License-Identifier: ISC */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "mailurl.h"

static int __attribute__((format(printf, 3, 4)))
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* %XX-decoded copy of s[0..len); NULL on a bad escape or a NUL. */
static char *
unescape(const char *s, size_t len)
{
	char *part = g_strndup(s, len);
	char *v = g_uri_unescape_string(part, NULL);

	g_free(part);
	return v;
}

static int
parse_port(const char *s, size_t len, unsigned *port, char *err,
    size_t errlen)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return set_err(err, errlen, "bad port");
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return set_err(err, errlen, "bad port");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return set_err(err, errlen, "bad port");
	*port = v;
	return 0;
}

/* HOST[:PORT] or [V6][:PORT] */
static int
parse_hostport(const char *s, size_t len, struct mailurl *u, char *err,
    size_t errlen)
{
	const char *end = s + len, *h = s, *hend, *colon;

	if (len > 0 && *s == '[') {
		if ((hend = memchr(s, ']', len)) == NULL)
			return set_err(err, errlen, "missing \"]\"");
		h = s + 1;
		colon = hend + 1 < end ? hend + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return set_err(err, errlen, "junk after \"]\"");
	} else {
		colon = memchr(s, ':', len);
		hend = colon != NULL ? colon : end;
	}
	if (hend == h)
		return set_err(err, errlen, "no host");
	u->host = g_strndup(h, (size_t)(hend - h));
	for (const char *p = u->host; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && strchr("-._:", *p) == NULL)
			return set_err(err, errlen, "bad host");
	if (colon != NULL && parse_port(colon + 1, (size_t)(end - colon - 1),
	    &u->port, err, errlen) == -1)
		return -1;
	return 0;
}

static int
parse_rest(const char *s, struct mailurl *u, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	const char *at = g_strrstr_len(s, (gssize)alen, "@");

	if (at == NULL || at == s)
		return set_err(err, errlen, "no user (USER@HOST)");
	if ((u->user = unescape(s, (size_t)(at - s))) == NULL || *u->user ==
	    '\0')
		return set_err(err, errlen, "bad user");
	if (parse_hostport(at + 1, alen - (size_t)(at + 1 - s), u, err,
	    errlen) == -1)
		return -1;
	if (slash == NULL || slash[1] == '\0')
		u->mailbox = g_strdup("INBOX");
	else if ((u->mailbox = unescape(slash + 1, strlen(slash + 1))) ==
	    NULL || *u->mailbox == '\0')
		return set_err(err, errlen, "bad mailbox");
	return 0;
}

int
mailurl_parse(const char *url, struct mailurl *out, char *err, size_t errlen)
{
	const char *rest;

	*out = (struct mailurl){ 0 };
	if (g_str_has_prefix(url, "imaps://")) {
		out->implicit_tls = true;
		out->port = 993;
		rest = url + strlen("imaps://");
	} else if (g_str_has_prefix(url, "imap://")) {
		out->port = 143;
		rest = url + strlen("imap://");
	} else
		return set_err(err, errlen, "expected imaps:// or imap://");
	if (parse_rest(rest, out, err, errlen) == -1) {
		mailurl_clear(out);
		return -1;
	}
	return 0;
}

void
mailurl_clear(struct mailurl *u)
{
	if (u == NULL)
		return;
	g_free(u->user);
	g_free(u->host);
	g_free(u->mailbox);
	*u = (struct mailurl){ 0 };
}

bool
mailurl_is_loopback(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_MAILURL_H
#define POSTDESK_MAILURL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Mailbox URLs: imaps://USER@HOST[:PORT][/MAILBOX] (TLS from the first
 * byte, port 993) and imap://USER@HOST[:PORT][/MAILBOX] (port 143,
 * STARTTLS or plain text).  USER may hold '@' (the last one ends it) and
 * %XX escapes, as may MAILBOX (default INBOX).  An IPv6 address is
 * written in brackets.
 */

struct mailurl {
	bool		 implicit_tls;	/* imaps */
	char		*user;
	char		*host;		/* without brackets */
	unsigned	 port;
	char		*mailbox;
};

/* 0, or -1 with the reason in err; free the result with mailurl_clear(). */
int	mailurl_parse(const char *url, struct mailurl *out, char *err,
	    size_t errlen);
void	mailurl_clear(struct mailurl *);

/* True for a literal loopback address: 127.0.0.0/8 or ::1.  Names,
 * "localhost" too, are not: plain text goes only where no resolver can
 * send it elsewhere. */
bool	mailurl_is_loopback(const char *host);

#endif

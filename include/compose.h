/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_COMPOSE_H
#define POSTDESK_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/*
 * Outgoing MIME through GMime: every header is set field by field (never
 * re-parsed from text), UTF-8 bodies in quoted-printable or base64 as
 * fits, RFC 2047 for non-ASCII header text.
 */

struct compose_in {
	const char		*from_name, *from_addr;
	const char		*to_name, *to_addr;
	const char		*reply_to;	/* NULL = none */
	const char		*subject;
	const char		*message_id;	/* without <> */
	const char		*in_reply_to;	/* NULL/"" = none */
	const char *const	*references;	/* ids without <> */
	size_t			 nreferences;
	const char		*auto_submitted; /* NULL = a person's mail */
	const char		*loop;		/* X-Loop value, NULL = none */
	const char		*language;	/* Content-Language */
	const struct msg_header	*extra;		/* template headers */
	size_t			 nextra;
	const char		*body;		/* UTF-8 text */
	const struct msg_part	*parts;		/* attachments (with data) */
	size_t			 nparts;
	int64_t			 date;
};

/* The message as bytes (LF line ends; free with g_free). */
char	*compose_message(const struct compose_in *, size_t *len);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_TRANSPORT_H
#define POSTDESK_TRANSPORT_H

#include "conf.h"
#include "store.h"

/*
 * A transport takes one outbox row to its recipient: the file transport
 * (transport-file.c, a Maildir, in both binaries) or SMTP (smtp.c,
 * libetpan, full binary only).  send.c drives them through this ops
 * struct and never sees how they work.
 */

enum transport_status {
	TRANSPORT_SENT,		/* the server's 250 for DATA (or the file
				   is in new/) */
	TRANSPORT_TRANSIENT,	/* 4xx, timeout: this mail later */
	TRANSPORT_PERMANENT,	/* 5xx: never again */
	TRANSPORT_DOWN,		/* connection, TLS or AUTH failed:
				   nothing can go, every mail later */
};

struct transport_ops {
	const char	*name;
	/* A session for the configured transport; no I/O yet (SMTP
	 * connects on the first mail and keeps the connection for the
	 * next ones).  NULL (logged) on error. */
	void		*(*open)(const struct conf_transport *);
	/* Send one mail.  *reply (the caller frees it) is the server's
	 * answer or what went wrong, for the log and the outbox:
	 * "smtp: 127.0.0.1:25: RCPT TO:<a@b>: 550 5.1.1 unknown". */
	enum transport_status (*send)(void *, const struct store_outbox *,
			    char **reply);
	/* QUIT and free; NULL is a no-op. */
	void		 (*close)(void *);
};

/* The Maildir transport (conf transport file PATH). */
extern const struct transport_ops transport_file;

#endif

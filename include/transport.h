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
	TRANSPORT_PERMANENT,	/* 5xx to RCPT or DATA: never again */
	TRANSPORT_DOWN,		/* a transport fault: no connection, TLS,
				   greeting, EHLO, AUTH or MAIL FROM
				   failed: nothing can go, every mail
				   later */
};

/* What a transport says about one mail; the caller frees both. */
struct transport_reply {
	/* The server's answer or what went wrong, for the log and the
	 * outbox: "smtp: 127.0.0.1:25: RCPT TO:<a@b>: 550 5.1.1 unknown". */
	char		*text;
	/* With TRANSPORT_PERMANENT from RCPT or DATA: the server's reply
	 * alone, "550 5.1.1 unknown" (send.c compares them across mails to
	 * recognise a relay that refuses everything); else NULL. */
	char		*refusal;
};

struct transport_ops {
	const char	*name;
	/* A session for the configured transport; no I/O yet (SMTP
	 * connects on the first mail and keeps the connection for the
	 * next ones).  NULL (logged) on error. */
	void		*(*open)(const struct conf_transport *);
	/* Send one mail; r starts zeroed and is filled in. */
	enum transport_status (*send)(void *, const struct store_outbox *,
			    struct transport_reply *r);
	/* QUIT and free; NULL is a no-op. */
	void		 (*close)(void *);
};

/* The Maildir transport (conf transport file PATH). */
extern const struct transport_ops transport_file;

#endif

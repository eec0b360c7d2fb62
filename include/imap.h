/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_IMAP_H
#define POSTDESK_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/*
 * An IMAP client session (libetpan, which appears in imap.c only).
 * Every failure is logged here, with the account:
 * "imap: test@127.0.0.1: login failed: [AUTHENTICATIONFAILED] ...".
 * UID lists are ascending int64_t arrays (UIDs are 32-bit); the caller
 * frees what it gets with free().  Nothing here deletes mail except
 * imap_delete() and imap_move(), and those only by UID: never a bare
 * EXPUNGE, which would also remove other people's \Deleted mail.
 */

struct imap;

enum imap_fail {
	IMAP_FAIL_NONE,
	IMAP_FAIL_NET,		/* connect, connection lost, timeout */
	IMAP_FAIL_TLS,		/* handshake or certificate refused */
	IMAP_FAIL_LOGIN,	/* the server refused the login */
	IMAP_FAIL_SERVER,	/* a command refused (NO/BAD) */
};

struct imap_opts {
	const char	*user;
	const char	*password;
	const char	*host;
	unsigned	 port;
	enum conf_tls	 tls;		/* IMPLICIT, STARTTLS or NONE */
	const char	*ca_file;	/* NULL/"" = the system's CAs */
	unsigned	 timeout;	/* seconds per network read */
};

/*
 * Connect, secure (the certificate and host name verified before the
 * password is sent) and log in.  Plain text (CONF_TLS_NONE) only to a
 * loopback address.  NULL on failure, with *why set.
 */
struct imap	*imap_connect(const struct imap_opts *, enum imap_fail *why);
/* LOGOUT (when still connected) and free; NULL is a no-op. */
void		 imap_close(struct imap *);
/* How the last failed call failed. */
enum imap_fail	 imap_last_fail(const struct imap *);

/* SELECT; *uidvalidity is the mailbox's UIDVALIDITY. */
int		 imap_select(struct imap *, const char *mailbox,
		    int64_t *uidvalidity);

enum imap_search {
	IMAP_SEARCH_FROM,	/* UID from:* (filtered: >= from) */
	IMAP_SEARCH_UNSEEN,
	IMAP_SEARCH_UNDELETED,
};
int		 imap_search(struct imap *, enum imap_search, int64_t from,
		    int64_t **uids, size_t *n);

struct imap_msg {
	int64_t		 uid;
	int64_t		 size;		/* RFC822.SIZE */
	char		*raw;		/* BODY.PEEK[]: NULL without body */
	size_t		 len;
};
/*
 * UID FETCH uids[0..n): RFC822.SIZE, and BODY.PEEK[] (the \Seen flag is
 * not set) with body.  Messages gone meanwhile are missing from the
 * result, which is in the order the server sent.  Free with
 * imap_msgs_free().
 */
int		 imap_fetch(struct imap *, const int64_t *uids, size_t n,
		    bool body, struct imap_msg **msgs, size_t *nmsgs);
void		 imap_msgs_free(struct imap_msg *, size_t);

/* UID STORE +FLAGS.SILENT (\Seen). */
int		 imap_mark_seen(struct imap *, const int64_t *uids, size_t n);
/* \Deleted, then UID EXPUNGE of just these (UIDPLUS; without it they
 * stay flagged, with a warning). */
int		 imap_delete(struct imap *, const int64_t *uids, size_t n);
/* UID MOVE where the server has MOVE, else UID COPY + imap_delete();
 * the folder is created when it does not exist. */
int		 imap_move(struct imap *, const int64_t *uids, size_t n,
		    const char *folder);

bool		 imap_has_idle(struct imap *);
/*
 * IDLE until the server reports a change, timeout_ms passes or a signal
 * interrupts the wait, then DONE.  1 on a change, 0 otherwise, -1 on
 * failure.
 */
int		 imap_idle(struct imap *, int timeout_ms);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_CONF_H
#define POSTDESK_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * postdesk.conf: one statement per line, '#' comments, quoted strings,
 * include, blocks in braces.  See postdesk.conf(5).
 */

enum conf_transport_kind {
	CONF_TRANSPORT_FILE,		/* Maildir: one file per mail */
	CONF_TRANSPORT_SMTP,
};

enum conf_tls {
	CONF_TLS_NONE,			/* plain text */
	CONF_TLS_STARTTLS,		/* STARTTLS required */
	CONF_TLS_OPPORTUNISTIC,		/* STARTTLS when offered */
	CONF_TLS_IMPLICIT,		/* TLS from the first byte */
};

struct conf_transport {
	enum conf_transport_kind kind;
	char		*path;		/* file: the Maildir; "" (the
					   default) = the caller decides */
	char		*host;		/* smtp */
	unsigned	 port;		/* smtp: 0 = 25 or 465 */
	enum conf_tls	 tls;		/* default STARTTLS */
	char		*user;		/* AUTH user, "" = no AUTH */
	char		*password_file;
	char		*ca_file;	/* "" = the system store */
};

/* filter FILE: a Sieve rule file, top-level or in a queue block. */
struct conf_filter {
	char		*path;		/* absolute */
	char		*name;		/* for messages: as named, relative
					   to the current directory */
	const char	*file;		/* the statement's file and line */
	unsigned	 line;
};

/* new-ticket-cc: what the Cc's of a new ticket from an unproven sender
 * become. */
enum conf_new_cc {
	CONF_CC_INHERIT,		/* queue: as at the top level */
	CONF_CC_ACCEPT,			/* watchers, marked in the notification */
	CONF_CC_PROPOSE,		/* proposed participants */
};

struct conf_queue {
	char		*name;
	char		*address;	 /* support@example.org */
	char		*comment_address; /* "" when none */
	char		*tag;		 /* subject tag, default: name */
	char		*language;	 /* default language, "en" */
	char		**languages;	 /* offered, NULL-ended; has language */
	int64_t		 response_time;	 /* seconds, 0 = unstated */
	char		*templates;	 /* own template dir, "" = shipped */
	char		**charsets;	 /* expected charsets, NULL-ended */
	int64_t		 reopen_window;	 /* seconds; 0 = always a new ticket */
	enum conf_new_cc new_ticket_cc;	 /* CONF_CC_INHERIT: the top level's */
	struct conf_filter *filters;	 /* the queue's rules, in order */
	size_t		 nfilters;
	const char	*file;		 /* where it was defined */
	unsigned	 line;
};

struct conf_agent {
	char		*address;
	char		*name;		/* real name, "" when none */
	char		*handle;	/* "" = the local part */
	char		**queues;	/* NULL-ended; empty = all queues */
	const char	*file;		/* where it was defined */
	unsigned	 line;
};

enum conf_after_fetch {
	CONF_AFTER_SEEN,		/* flag \Seen */
	CONF_AFTER_DELETE,		/* \Deleted + UID EXPUNGE */
	CONF_AFTER_MOVE,		/* UID MOVE (or COPY + delete) */
};

/* imap NAME url URL password-file FILE [queue Q] [after-fetch ...] */
struct conf_imap {
	char		*name;
	char		*url;		/* as written */
	char		*user;
	char		*host;
	unsigned	 port;
	char		*mailbox;
	enum conf_tls	 tls;		/* IMPLICIT (imaps://), STARTTLS
					   or NONE (loopback only) */
	char		*password_file;
	char		*queue;		/* "" = threading decides */
	enum conf_after_fetch after;	/* default seen */
	char		*folder;	/* after-fetch move: the target */
	char		*refused_folder; /* for refused mail, never deleted */
	char		*ca_file;	/* "" = the system store */
	const char	*file;		/* where it was defined */
	unsigned	 line;
};

#define CONF_REFUSED_FOLDER	"postdesk-refused"

struct conf_limits {
	uint64_t	 message_size;	/* default 50M */
	uint64_t	 header_size;	/* default 1M */
	unsigned	 mime_depth;	/* default 20 */
	unsigned	 parts;		/* default 500 */
	unsigned	 attempts;	/* faulted attempts before raw store, 5 */
	int64_t		 parse_time;	/* CPU seconds for one message, 30 */
	uint64_t	 memory;	/* address space of a delivering
					   process, default 4G */
	int64_t		 busy_timeout;	/* milliseconds, default 30000 */
	unsigned	 ack_per_address; /* automatic mails per customer
					    address and 24 hours, default 5 */
	unsigned	 ack_per_hour;	/* automatic mails to customers per
					   hour, default 200 */
	unsigned	 notify_per_hour; /* automatic mails to agents per
					    hour, default 2000 */
	int64_t		 send_max_age;	/* seconds a mail may wait in the
					   outbox, default 2d */
	unsigned	 participants;	/* requester and watchers of a
					   ticket, default 20 */
};

struct conf {
	char		*path;
	char		*database;
	char		*secret;
	char		*hostname;	/* Message-ID domain; default: the
					   first queue address's domain */
	struct conf_queue *queues;
	size_t		 nqueues;
	struct conf_agent *agents;
	size_t		 nagents;
	struct conf_imap *imaps;	/* IMAP accounts to fetch from */
	size_t		 nimaps;
	struct conf_transport transport;
	struct conf_limits limits;
	char		**charsets;	/* global expected charsets */
	struct conf_filter *filters;	/* rules for every queue, run first */
	size_t		 nfilters;
	bool		 refuse_unknown; /* unknown-recipient refuse */
	bool		 send_after_deliver; /* deliver drains the outbox */
	char		*postdesk_path;	/* postdesk for postdesk-deliver to
					   start; NULL = next to it */
	char		*trusted_authserv; /* our MTA's Authentication-Results
					      authserv-id, NULL = none */
	char		**trust_authres_domains; /* trust-authres-domain: lower
					   case, NULL-ended; an agent of these
					   domains is known by an aligned
					   DKIM/DMARC pass */
	bool		 cut_signature;	/* cut-signature: relays drop the
					   "-- " signature */
	char		*templates;	/* the shipped templates, NULL =
					   the built-in place */
	int64_t		 relay_hold;	/* relay-hold: seconds an agent's
					   answer waits in the outbox,
					   default 60, 0 = none */
	bool		 require_dmarc_pass; /* a proven sender also needs an
					   aligned dmarc=pass */
	enum conf_new_cc new_ticket_cc;	/* default CONF_CC_ACCEPT */
	char		**files;	/* every file read, NULL-ended */
	struct conf_stamps *stamps;	/* what they were when read */
};

/* Diagnostics: every error as "FILE:LINE: message" ("FILE: reason" for
 * a file that cannot be read), in the order found. */
struct conf_diag {
	char		**lines;	/* n of them, then NULL */
	size_t		  n;
};

/*
 * Read and validate path (and what it includes).  Returns the config, or
 * NULL when there was any error; diag then holds every error found, not
 * only the first (appended to what it held; conf_diag_clear() frees
 * them).  With diag NULL the errors go to log_warnx().  Relative paths in
 * the result are made absolute.  Free with conf_free().
 */
struct conf	*conf_load(const char *path, struct conf_diag *diag);

/* conf_load() with every error reported through log_warnx(). */
struct conf	*conf_load_logged(const char *path);

/* True when a file the config was read from is no longer what it was
 * (changed, replaced or gone): a long-running process reloads. */
bool		 conf_changed(const struct conf *);

/* A config with the defaults and no queue (for commands that need none). */
struct conf	*conf_default(void);
void		 conf_free(struct conf *);
void		 conf_diag_clear(struct conf_diag *);

/* Queue whose address or comment-address is addr (case-insensitive,
 * plus-extension ignored); NULL when none.  *is_comment (may be NULL)
 * tells which matched. */
const struct conf_queue *conf_queue_by_address(const struct conf *,
		    const char *addr, bool *is_comment);
/* True when addr is one of ours: a queue or comment address, with or
 * without an extension, or a bounce+ address at a queue's domain or
 * the hostname. */
bool		 conf_is_our_address(const struct conf *, const char *addr);
const struct conf_queue *conf_queue_by_name(const struct conf *,
		    const char *name);
/* Agent by address (case-insensitive), else handle, else local part
 * (NULL when two agents share that local part). */
const struct conf_agent *conf_agent_find(const struct conf *,
		    const char *who);
/* The agent with exactly this address (case-insensitive), or NULL. */
const struct conf_agent *conf_agent_by_address(const struct conf *,
		    const char *address);

const struct conf_imap *conf_imap_by_name(const struct conf *,
		    const char *name);
/* An account from a URL alone (fetch --url): after-fetch seen, the
 * defaults for the rest.  0, or -1 with the reason in err.  Free the
 * strings with conf_imap_clear(). */
int		 conf_imap_from_url(struct conf_imap *, const char *url,
		    char *err, size_t errlen);
void		 conf_imap_clear(struct conf_imap *);

/* new-ticket-cc for a queue (NULL: the top level's). */
enum conf_new_cc conf_new_ticket_cc(const struct conf *,
		    const struct conf_queue *);

/* Non-empty, only ASCII letters, digits and the characters in extra. */
bool		 conf_chars_ok(const char *s, const char *extra);

/* "50M" -> 52428800, "4h" -> 14400; -1 on a bad value. */
int64_t		 conf_parse_size(const char *);
int64_t		 conf_parse_duration(const char *);

#endif

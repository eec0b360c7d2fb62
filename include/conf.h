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

struct conf_limits {
	uint64_t	 message_size;	/* default 50M */
	uint64_t	 header_size;	/* default 1M */
	unsigned	 mime_depth;	/* default 20 */
	unsigned	 parts;		/* default 500 */
	unsigned	 attempts;	/* failed deliveries before raw store, 5 */
	int64_t		 busy_timeout;	/* milliseconds, default 30000 */
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
	struct conf_transport transport;
	struct conf_limits limits;
	char		**charsets;	/* global expected charsets */
	bool		 refuse_unknown; /* unknown-recipient refuse */
	char		**files;	/* every file read, NULL-ended */
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

/* A config with the defaults and no queue (for commands that need none). */
struct conf	*conf_default(void);
void		 conf_free(struct conf *);
void		 conf_diag_clear(struct conf_diag *);

/* Queue whose address or comment-address is addr (case-insensitive,
 * plus-extension ignored); NULL when none.  *is_comment (may be NULL)
 * tells which matched. */
const struct conf_queue *conf_queue_by_address(const struct conf *,
		    const char *addr, bool *is_comment);
const struct conf_queue *conf_queue_by_name(const struct conf *,
		    const char *name);
/* Agent by address (case-insensitive), else handle, else local part
 * (NULL when two agents share that local part). */
const struct conf_agent *conf_agent_find(const struct conf *,
		    const char *who);

/* "50M" -> 52428800, "4h" -> 14400; -1 on a bad value. */
int64_t		 conf_parse_size(const char *);
int64_t		 conf_parse_duration(const char *);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_PARSE_H
#define POSTDESK_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/*
 * Raw bytes to struct msg (GMime).  Parsing never fails: whatever cannot
 * be decoded is flagged in msg->flags and the raw bytes stay the source
 * of truth.  A limit of 0 means none.
 */

struct parse_opts {
	uint64_t	 max_size;	  /* message bytes */
	uint64_t	 max_header_bytes;
	unsigned	 max_depth;	  /* MIME nesting */
	unsigned	 max_parts;
	const char *const *charsets;	  /* tie-break hints, NULL-ended */
	bool		 keep_part_data;  /* fill msg_part.data */
};

/* Defaults: 50 MB, 1 MB of header, depth 20, 500 parts, no hints. */
void		 parse_opts_default(struct parse_opts *);

struct conf;
struct conf_queue;
/* Defaults, then the limits and expected charsets of cf (and of q, whose
 * charsets win when it names any; q may be NULL). */
void		 parse_opts_from_conf(struct parse_opts *, const struct conf *cf,
		    const struct conf_queue *q);

/* Initialise GMime once per process (idempotent). */
void		 parse_init(void);

/*
 * Parse len bytes at raw.  raw is only read during the call and not
 * copied as a whole.  Returns a new struct msg (msg_free); never NULL.
 */
struct msg	*parse_message(const char *raw, size_t len,
		    const struct parse_opts *);

/*
 * The fallback for a mail the parser failed on (parse-raw.c, no GMime):
 * Message-ID, In-Reply-To, References, From, To, Cc and Subject from a
 * plain scan of the header, the raw text (its start) as the body,
 * flagged MSG_F_UNPARSED.  A mail without a Message-ID gets the same id
 * as parse_message() gives it.
 */
struct msg	*parse_raw(const char *raw, size_t len);
/* Where to cut the mail at raw (its header first) so that the MIME
 * parser never builds more than max_parts parts or nests deeper than
 * max_depth multiparts (0: no limit): len when it fits, else the start
 * of the delimiter line that passes a limit, and the limit's flag
 * (MSG_F_OVER_PARTS, MSG_F_OVER_DEPTH) in *flags.  A scan of the raw
 * bytes; nothing is copied. */
size_t		 parse_raw_mime_cut(const char *raw, size_t len,
		    unsigned max_parts, unsigned max_depth, unsigned *flags);
/* The id for a mail without one: "noid-<digest>@postdesk.invalid". */
void		 parse_raw_noid(struct msg *, const char *raw, size_t len);

/* Extract a bare address list ("a@b, Name <c@d>") as GMime does. */
void		 parse_addresses(const char *text, struct msg_addrs *out);

/* "GMime 3.2.13, GLib 2.74.6": library versions; static storage. */
const char *parse_lib_version(void);

#endif

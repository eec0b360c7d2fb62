/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_MSG_H
#define POSTDESK_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * struct msg: one parsed message, the plain C data that passes between
 * stages.  Every string is valid UTF-8, never NULL ("" when absent) and
 * free of CR, LF and other control characters (body_text and body_html
 * keep LF and TAB).  Every pointer is owned by the struct: msg_free()
 * releases it all.  Allocation is GLib's (malloc-compatible).
 */

enum msg_flag {
	MSG_F_NO_MESSAGE_ID	= 1u << 0,	/* id synthesised from a digest */
	MSG_F_MALFORMED_MIME	= 1u << 1,	/* the MIME parser complained */
	MSG_F_CHARSET_DETECTED	= 1u << 2,	/* undeclared/mislabeled 8-bit */
	MSG_F_UNDECODABLE	= 1u << 3,	/* bytes became U+FFFD */
	MSG_F_JUNK_BEFORE_HEADERS = 1u << 4,	/* text before the header */
	MSG_F_NO_HEADERS	= 1u << 5,	/* no header found at all */
	MSG_F_BAD_DATE		= 1u << 6,	/* Date present, unparsable */
	MSG_F_HTML_CONVERTED	= 1u << 7,	/* body_text came from HTML */
	MSG_F_OVER_SIZE		= 1u << 8,	/* over the message size limit */
	MSG_F_OVER_DEPTH	= 1u << 9,	/* MIME nesting cut off */
	MSG_F_OVER_PARTS	= 1u << 10,	/* part count cut off */
	MSG_F_OVER_HEADER	= 1u << 11,	/* header bytes over the limit */
	MSG_F_CONTROL_CHARS	= 1u << 12,	/* control chars removed */
	MSG_F_UUENCODED		= 1u << 13,	/* uuencoded body found */
	MSG_F_ENCRYPTED		= 1u << 14,	/* multipart/encrypted or PGP */
	MSG_F_ID_CONFLICT	= 1u << 15,	/* same Message-ID, other bytes */
	MSG_F_UNPARSED		= 1u << 16,	/* stored raw after failures */
	MSG_F_INTERNAL		= 1u << 17,	/* an agents' note, never sent
						   to a customer */
	MSG_F_UNVERIFIED_AGENT	= 1u << 18,	/* From an agent, not proven */
};
#define MSG_F_COUNT 19

struct msg_addr {
	char	*name;
	char	*address;	/* lower-cased domain; "" when absent */
};

struct msg_addrs {
	struct msg_addr	*v;
	size_t		 n;
};

struct msg_strs {
	char	**v;
	size_t	  n;
};

struct msg_header {
	char	*name;		/* as written */
	char	*value;		/* unfolded, decoded, UTF-8 */
};

struct msg_part {
	char		*filename;	/* decoded, no path components */
	char		*content_type;	/* "type/subtype", lower case */
	char		*content_id;	/* without <> */
	uint64_t	 size;		/* decoded bytes */
	bool		 is_inline;
	bool		 is_message;	/* message/rfc822 */
	char		 sha256[65];	/* lower-case hex */
	unsigned char	*data;		/* decoded bytes, only with
					   parse_opts.keep_part_data */
};

struct msg {
	char		*message_id;	/* without <> */
	int64_t		 date;		/* UTC seconds, -1 when none */
	struct msg_addr	 from;		/* the first From */
	struct msg_addrs to, cc, reply_to;
	char		*subject;
	char		*in_reply_to;	/* the first id, without <> */
	struct msg_strs	 references;	/* ids without <>, as written */
	struct msg_header *headers;	/* top-level header, in order */
	size_t		 nheaders;
	char		*body_text;
	char		*body_html;	/* "" when the mail has no HTML */
	bool		 has_html;
	struct msg_part	*parts;		/* attachments and inline parts */
	size_t		 nparts;
	unsigned	 flags;		/* enum msg_flag bits */
	size_t		 raw_len;
	size_t		 header_len;	/* bytes up to the blank line */
};

struct msg	*msg_new(void);
void		 msg_free(struct msg *);

/* The first header called name (case-insensitive), or "" when none. */
const char	*msg_header(const struct msg *, const char *name);
/* The n-th (0 = topmost) header called name, NULL past the last. */
const char	*msg_header_nth(const struct msg *, const char *name, size_t n);

/* Flag name for one bit ("no-message-id"), NULL for an unknown bit. */
const char	*msg_flag_name(unsigned bit);
/* The bit for a flag name, 0 when unknown. */
unsigned	 msg_flag_by_name(const char *name);

/*
 * An envelope address as it came from outside (an MTA's -f, MAIL
 * FROM): surrounding blanks and one pair of angle brackets removed, in
 * place, so "<>", " <> " and "< >" are "" (the null sender) and
 * "<a@b>" is "a@b".  Returns s.
 */
char		*msg_envelope_address(char *s);

/* Helpers for the list types: append takes a copy of the strings. */
void		 msg_addrs_add(struct msg_addrs *, const char *name,
		    const char *address);
void		 msg_strs_add(struct msg_strs *, const char *s);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_PARSE_PRIV_H
#define POSTDESK_PARSE_PRIV_H

/* Shared between parse.c (headers) and parse-body.c (MIME tree); GMime
 * types stay inside these two files. */

#include <gmime/gmime.h>

#include "msg.h"
#include "parse.h"

struct pctx {
	struct msg		*m;
	const struct parse_opts	*o;
	GMimeParserOptions	*gopts;
	const char		*hdr_charset;	/* detected for raw 8-bit */
	GString			*plain;
	GString			*html;
	unsigned		 nparts;
	bool			 text_off;	/* inside an alternative that
						   already gave plain text */
	gint64			 cut_at;	/* where bounded() cut what the
						   MIME parser gets, or -1 */
};

/* Walk the MIME tree under the message's top part into c->m. */
void	parse_body(struct pctx *c, GMimeMessage *message);

/* Bytes to UTF-8 via charset.c, flags into c->m; keeps LF and TAB,
 * drops CR and other control characters. */
char	*parse_text(struct pctx *c, const char *in, size_t len,
	    const char *declared);

/* Replace control characters (and, unless keep_nl, LF/TAB) in place;
 * true when something other than folding white space was replaced. */
bool	parse_scrub(char *s, bool keep_nl);

#endif

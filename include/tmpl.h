/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_TMPL_H
#define POSTDESK_TMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

/*
 * Message templates: UTF-8 text, header lines, a blank line, the body.
 * {{name}} inserts a variable, {{#if name}} ... {{/if}} keeps its text
 * only when the variable is not empty (sections nest).  The variables
 * are fixed (tmpl_var_known); an unknown one is an error at load.
 * Template headers may not set addresses or threading (To, Cc, Bcc,
 * From, Reply-To, Sender, Message-ID, In-Reply-To, References, Date,
 * MIME-Version, Content-*): postdesk sets those itself.
 */

struct tmpl;

/* Errors as "FILE:LINE: message", all of them. */
struct tmpl_diag {
	char	**lines;
	size_t	  n;
};
void		 tmpl_diag_clear(struct tmpl_diag *);

struct tmpl	*tmpl_load(const char *path, struct tmpl_diag *);
struct tmpl	*tmpl_parse(const char *name, const char *text,
		    struct tmpl_diag *);
void		 tmpl_free(struct tmpl *);
bool		 tmpl_var_known(const char *name);

/* Values for rendering: a lookup returning NULL for "" (unset). */
typedef const char *(*tmpl_lookup)(void *arg, const char *name);

struct tmpl_out {
	struct msg_header *headers;	/* values free of control chars */
	size_t		   nheaders;
	char		  *body;
};

/* Render; never fails.  Free with tmpl_out_clear(). */
void		 tmpl_render(const struct tmpl *, tmpl_lookup, void *arg,
		    struct tmpl_out *);
void		 tmpl_out_clear(struct tmpl_out *);

/* The first rendered header called name, or NULL. */
const char	*tmpl_out_header(const struct tmpl_out *, const char *name);

#endif

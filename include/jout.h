/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_JOUT_H
#define POSTDESK_JOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * JSON output: a small builder over jansson (the module that owns it).
 * Values are created, attached to a parent (which takes them over) and
 * dumped.  Strings are copied; invalid UTF-8 is repaired, never refused.
 */

struct jout;

struct jout	*jout_obj(void);
struct jout	*jout_arr(void);
struct jout	*jout_str(const char *s);	/* NULL gives null */
struct jout	*jout_int(int64_t v);
struct jout	*jout_bool(bool v);
struct jout	*jout_null(void);

/* Attach v to o under key / at the end of a; both take v over. */
void		 jout_set(struct jout *o, const char *key, struct jout *v);
void		 jout_push(struct jout *a, struct jout *v);

/* Indented text ending in a newline; the caller frees it with g_free(). */
char		*jout_dump(const struct jout *);
void		 jout_free(struct jout *);
/* One more owner of v (to attach one value twice). */
struct jout	*jout_ref(struct jout *v);
/* The same text written to fp without building it in memory first;
 * 0 / -1. */
int		 jout_print(const struct jout *, FILE *fp);

#endif

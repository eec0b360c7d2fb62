/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include <glib.h>
#include <jansson.h>

#include "jout.h"

/* struct jout is never defined: the pointer is a json_t in disguise. */
static json_t *
J(const struct jout *j)
{
	return (json_t *)j;
}

static struct jout *
W(json_t *j)
{
	return (struct jout *)j;
}

struct jout *
jout_obj(void)
{
	return W(json_object());
}

struct jout *
jout_arr(void)
{
	return W(json_array());
}

struct jout *
jout_str(const char *s)
{
	char *valid;
	json_t *j;

	if (s == NULL)
		return W(json_null());
	if (g_utf8_validate(s, -1, NULL))
		return W(json_string(s));
	valid = g_utf8_make_valid(s, -1);
	j = json_string(valid);
	g_free(valid);
	return W(j);
}

struct jout *
jout_int(int64_t v)
{
	return W(json_integer((json_int_t)v));
}

struct jout *
jout_bool(bool v)
{
	return W(json_boolean(v));
}

struct jout *
jout_null(void)
{
	return W(json_null());
}

void
jout_set(struct jout *o, const char *key, struct jout *v)
{
	json_object_set_new(J(o), key, J(v));
}

void
jout_push(struct jout *a, struct jout *v)
{
	json_array_append_new(J(a), J(v));
}

char *
jout_dump(const struct jout *j)
{
	char *s = json_dumps(J(j), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *out;

	if (s == NULL)
		return g_strdup("null\n");
	out = g_strconcat(s, "\n", NULL);
	free(s);
	return out;
}

int
jout_print(const struct jout *j, FILE *fp)
{
	if (json_dumpf(J(j), fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == -1)
		return -1;
	return fputc('\n', fp) == EOF ? -1 : 0;
}

struct jout *
jout_ref(struct jout *j)
{
	return W(json_incref(J(j)));
}

void
jout_free(struct jout *j)
{
	json_decref(J(j));
}

/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <glib.h>

#include "authres.h"

/* Copy of s without (comments), which may nest. */
static char *
strip_comments(const char *s)
{
	GString *out = g_string_new(NULL);
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0' && depth > 0)
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			g_string_append_c(out, *s);
	}
	return g_string_free(out, FALSE);
}

static char *
domain_of(const char *v)
{
	const char *at = strrchr(v, '@');

	return g_ascii_strdown(at != NULL ? at + 1 : v, -1);
}

/* "method=result ptype.prop=value ..." */
static void
parse_resinfo(char *text, struct authres *out)
{
	char **w = g_strsplit_set(g_strstrip(text), " \t", -1);
	struct authres_entry e = { 0 };
	char *eq;

	if (w[0] == NULL || (eq = strchr(w[0], '=')) == NULL) {
		g_strfreev(w);
		return;
	}
	*eq = '\0';
	e.method = g_ascii_strdown(w[0], -1);
	e.result = g_ascii_strdown(g_strstrip(eq + 1), -1);
	for (size_t i = 1; w[i] != NULL && e.domain == NULL; i++) {
		if (g_ascii_strncasecmp(w[i], "header.d=", 9) == 0)
			e.domain = domain_of(w[i] + 9);
		else if (g_ascii_strncasecmp(w[i], "header.from=", 12) == 0)
			e.domain = domain_of(w[i] + 12);
		else if (g_ascii_strncasecmp(w[i], "smtp.mailfrom=", 14) == 0)
			e.domain = domain_of(w[i] + 14);
	}
	if (e.domain == NULL)
		e.domain = g_strdup("");
	out->v = g_renew(struct authres_entry, out->v, out->n + 1);
	out->v[out->n++] = e;
	g_strfreev(w);
}

int
authres_parse(const char *value, struct authres *out)
{
	char *clean = strip_comments(value);
	char **parts = g_strsplit(clean, ";", -1);
	char **id;

	*out = (struct authres){ 0 };
	id = g_strsplit_set(g_strstrip(parts[0]), " \t", 2);
	if (id[0] == NULL || *id[0] == '\0' || strchr(id[0], '=') != NULL) {
		g_strfreev(id);
		g_strfreev(parts);
		g_free(clean);
		return -1;
	}
	out->authserv_id = g_strdup(id[0]);
	for (size_t i = 1; parts[i] != NULL; i++)
		parse_resinfo(parts[i], out);
	g_strfreev(id);
	g_strfreev(parts);
	g_free(clean);
	return 0;
}

void
authres_clear(struct authres *a)
{
	for (size_t i = 0; i < a->n; i++) {
		g_free(a->v[i].method);
		g_free(a->v[i].result);
		g_free(a->v[i].domain);
	}
	g_free(a->v);
	g_free(a->authserv_id);
	*a = (struct authres){ 0 };
}

int
authres_trusted(const struct msg *m, const char *trusted_id,
    struct authres *out)
{
	const char *top = msg_header_nth(m, "Authentication-Results", 0);

	*out = (struct authres){ 0 };
	if (trusted_id == NULL || top == NULL || authres_parse(top, out) == -1)
		return -1;
	if (g_ascii_strcasecmp(out->authserv_id, trusted_id) != 0) {
		authres_clear(out);
		return -1;
	}
	return 0;
}

const char *
authres_result(const struct authres *a, const char *method)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].method, method) == 0)
			return a->v[i].result;
	return NULL;
}

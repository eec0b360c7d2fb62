/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <glib.h>

#include "authres.h"

/*
 * A header value becomes tokens first (comments and white space gone,
 * quoted strings unquoted), then a small recursive-descent parser reads
 * them.  '.' and '/' stay inside words: a value may hold them
 * ("example.org", a base64 header.b), so the parser splits the words
 * where the grammar has them (ptype.property, method/version).
 */

enum tok_kind {
	T_WORD,
	T_QSTRING,
	T_SEMI,
	T_EQ,
};

struct tok {
	enum tok_kind	 kind;
	char		*text;
};

struct cursor {
	GArray		*toks;		/* struct tok */
	guint		 i;
};

static void
tok_clear(gpointer data)
{
	g_free(((struct tok *)data)->text);
}

static void
push(GArray *toks, enum tok_kind kind, char *text)
{
	struct tok t = { .kind = kind, .text = text };

	g_array_append_val(toks, t);
}

/* Past white space and (comments), which nest and may hold
 * quoted-pairs; NULL for an unterminated comment. */
static const char *
skip_cfws(const char *s)
{
	size_t depth = 0;

	for (;; s++) {
		if (depth > 0 && *s == '\0')
			return NULL;
		if (depth > 0 && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *s != ' ' && *s != '\t' && *s != '\r' &&
		    *s != '\n')
			return s;
	}
}

/* s is past the opening quote; NULL when the string never ends. */
static const char *
lex_qstring(const char *s, GArray *toks)
{
	GString *v = g_string_new(NULL);

	for (; *s != '"'; s++) {
		if (*s == '\0') {
			g_string_free(v, TRUE);
			return NULL;
		}
		if (*s == '\\' && s[1] != '\0')
			s++;
		g_string_append_c(v, *s);
	}
	push(toks, T_QSTRING, g_string_free(v, FALSE));
	return s + 1;
}

static GArray *
lex(const char *s)
{
	GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct tok));
	size_t n;

	g_array_set_clear_func(toks, tok_clear);
	while ((s = skip_cfws(s)) != NULL && *s != '\0') {
		if (*s == ';' || *s == '=') {
			push(toks, *s == ';' ? T_SEMI : T_EQ, NULL);
			s++;
		} else if (*s == '"')
			s = lex_qstring(s + 1, toks);
		else if (*s == ')')
			s = NULL;
		else {
			n = strcspn(s, " \t\r\n();=\"");
			push(toks, T_WORD, g_strndup(s, n));
			s += n;
		}
		if (s == NULL)
			break;
	}
	if (s == NULL) {
		g_array_free(toks, TRUE);
		return NULL;
	}
	return toks;
}

static const struct tok *
peek(const struct cursor *c)
{
	if (c->i >= c->toks->len)
		return NULL;
	return &g_array_index(c->toks, struct tok, c->i);
}

static const struct tok *
next(struct cursor *c)
{
	const struct tok *t = peek(c);

	if (t != NULL)
		c->i++;
	return t;
}

static bool
peek_is(const struct cursor *c, enum tok_kind kind)
{
	const struct tok *t = peek(c);

	return t != NULL && t->kind == kind;
}

/* RFC 8601 Keyword (an ldh-str); '_' too, as some verifiers write it. */
static bool
keyword_ok(const char *s)
{
	if (!g_ascii_isalnum(*s))
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static bool
digits_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isdigit(*s))
			return false;
	return true;
}

/* The words before the next "=" (at most 3: "header . d" has CFWS
 * around the dot), joined, with the "=" consumed; NULL when there is
 * no such "=". */
static char *
key_before_eq(struct cursor *c)
{
	GString *key = g_string_new(NULL);

	/* Words join only at a '.' or '/': "sp f" is no "spf". */
	for (int n = 0; n < 3 && peek_is(c, T_WORD); n++) {
		const char *w = peek(c)->text;

		if (key->len > 0 && *w != '.' && *w != '/' &&
		    key->str[key->len - 1] != '.' &&
		    key->str[key->len - 1] != '/')
			break;
		g_string_append(key, next(c)->text);
	}
	if (key->len == 0 || !peek_is(c, T_EQ)) {
		g_string_free(key, TRUE);
		return NULL;
	}
	next(c);
	return g_string_free(key, FALSE);
}

/* token / quoted-string / quoted local-part "@" domain; a trailing
 * "=" (base64 padding in header.b) stays part of the value. */
static char *
pvalue(struct cursor *c)
{
	const struct tok *t = next(c);
	GString *v;

	if (t == NULL || (t->kind != T_WORD && t->kind != T_QSTRING))
		return NULL;
	v = g_string_new(t->text);
	if (t->kind == T_QSTRING && peek_is(c, T_WORD) &&
	    *peek(c)->text == '@')
		g_string_append(v, next(c)->text);
	while (peek_is(c, T_EQ) && t->kind == T_WORD) {
		next(c);
		g_string_append_c(v, '=');
	}
	return g_string_free(v, FALSE);
}

static char *
domain_of(const char *v)
{
	const char *at = strrchr(v, '@');

	return g_ascii_strdown(at != NULL ? at + 1 : v, -1);
}

/* "method[/version]=result" */
static int
methodspec(struct cursor *c, struct authres_entry *e)
{
	char *key = key_before_eq(c), *slash;
	const struct tok *t;
	int rc = -1;

	if (key == NULL)
		return -1;
	if ((slash = strchr(key, '/')) != NULL)
		*slash++ = '\0';
	t = next(c);
	if (keyword_ok(key) && (slash == NULL || digits_ok(slash)) &&
	    t != NULL && t->kind == T_WORD && keyword_ok(t->text)) {
		e->method = g_ascii_strdown(key, -1);
		e->version = g_strdup(slash != NULL ? slash : "");
		e->result = g_ascii_strdown(t->text, -1);
		rc = 0;
	}
	g_free(key);
	return rc;
}

/* One "reason=value" or "ptype.property=value" with key already read. */
static int
property(struct authres_entry *e, char *key, char *value)
{
	char *dot = strchr(key, '.');
	struct authres_prop p;

	if (g_ascii_strcasecmp(key, "reason") == 0 && *e->reason == '\0') {
		g_free(e->reason);
		e->reason = g_strdup(value);
		return 0;
	}
	if (dot != NULL)
		*dot++ = '\0';
	if (!keyword_ok(dot != NULL ? dot : key) ||
	    (dot != NULL && !keyword_ok(key)))
		return -1;
	p.ptype = g_ascii_strdown(dot != NULL ? key : "", -1);
	p.property = g_ascii_strdown(dot != NULL ? dot : key, -1);
	p.value = g_strdup(value);
	e->props = g_renew(struct authres_prop, e->props, e->nprops + 1);
	e->props[e->nprops++] = p;
	return 0;
}

static void
set_domain(struct authres_entry *e)
{
	for (size_t i = 0; i < e->nprops && e->domain == NULL; i++) {
		const struct authres_prop *p = &e->props[i];

		if ((strcmp(p->ptype, "header") == 0 &&
		    (strcmp(p->property, "d") == 0 ||
		    strcmp(p->property, "from") == 0)) ||
		    (strcmp(p->ptype, "smtp") == 0 &&
		    strcmp(p->property, "mailfrom") == 0))
			e->domain = domain_of(p->value);
	}
	if (e->domain == NULL)
		e->domain = g_strdup("");
}

static void
entry_clear(struct authres_entry *e)
{
	for (size_t i = 0; i < e->nprops; i++) {
		g_free(e->props[i].ptype);
		g_free(e->props[i].property);
		g_free(e->props[i].value);
	}
	g_free(e->props);
	g_free(e->method);
	g_free(e->version);
	g_free(e->result);
	g_free(e->reason);
	g_free(e->domain);
	*e = (struct authres_entry){ 0 };
}

/* methodspec [reasonspec] *propspec, up to the next ";" */
static int
resinfo(struct cursor *c, struct authres *out)
{
	struct authres_entry e = { .reason = g_strdup("") };
	char *key, *value;
	int rc = 0;

	if (methodspec(c, &e) == -1)
		rc = -1;
	while (rc == 0 && peek_is(c, T_WORD)) {
		key = key_before_eq(c);
		value = key != NULL ? pvalue(c) : NULL;
		if (value == NULL || property(&e, key, value) == -1)
			rc = -1;
		g_free(key);
		g_free(value);
	}
	if (rc == -1) {
		entry_clear(&e);
		return -1;
	}
	set_domain(&e);
	out->v = g_renew(struct authres_entry, out->v, out->n + 1);
	out->v[out->n++] = e;
	return 0;
}

static int
header(struct cursor *c, struct authres *out)
{
	const struct tok *t = next(c);

	if (t == NULL || t->kind == T_SEMI || t->kind == T_EQ ||
	    *t->text == '\0')
		return -1;
	out->authserv_id = g_strdup(t->text);
	t = peek(c);
	out->version = g_strdup(t != NULL && t->kind == T_WORD &&
	    digits_ok(t->text) ? next(c)->text : "");
	if (peek(c) == NULL)
		return -1;	/* neither "; none" nor a result */
	while ((t = next(c)) != NULL) {
		if (t->kind != T_SEMI)
			return -1;
		if (peek(c) == NULL || peek_is(c, T_SEMI))
			continue;	/* a stray ";" */
		if (peek_is(c, T_WORD) &&
		    g_ascii_strcasecmp(peek(c)->text, "none") == 0 &&
		    (c->i + 1 == c->toks->len ||
		    g_array_index(c->toks, struct tok, c->i + 1).kind == T_SEMI)) {
			next(c);
			out->none = true;
		} else if (resinfo(c, out) == -1)
			return -1;
	}
	return 0;
}

int
authres_parse(const char *value, struct authres *out)
{
	GArray *toks = lex(value);
	struct cursor c = { .toks = toks };
	int rc;

	*out = (struct authres){ 0 };
	if (toks == NULL)
		return -1;
	if ((rc = header(&c, out)) == -1)
		authres_clear(out);
	g_array_free(toks, TRUE);
	return rc;
}

void
authres_clear(struct authres *a)
{
	for (size_t i = 0; i < a->n; i++)
		entry_clear(&a->v[i]);
	g_free(a->v);
	g_free(a->authserv_id);
	g_free(a->version);
	*a = (struct authres){ 0 };
}

/* Parse value into out (or add its results to what out holds) when it
 * is ours. */
static void
take(const char *value, const char *trusted_id, struct authres *out)
{
	struct authres ar;

	if (authres_parse(value, &ar) == -1)
		return;
	if (g_ascii_strcasecmp(ar.authserv_id, trusted_id) != 0) {
		authres_clear(&ar);
		return;
	}
	if (out->authserv_id == NULL) {
		*out = ar;
		return;
	}
	if (ar.n > 0) {
		out->v = g_renew(struct authres_entry, out->v, out->n + ar.n);
		memcpy(out->v + out->n, ar.v, ar.n * sizeof(*ar.v));
		out->n += ar.n;
	}
	out->none = out->none && ar.none;
	ar.n = 0;
	authres_clear(&ar);
}

int
authres_trusted_below(const struct msg *m, const char *trusted_id,
    unsigned own_received, struct authres *out)
{
	unsigned received = 0;

	*out = (struct authres){ 0 };
	if (trusted_id == NULL || *trusted_id == '\0')
		return -1;
	for (size_t i = 0; i < m->nheaders; i++) {
		const struct msg_header *h = &m->headers[i];

		if (g_ascii_strcasecmp(h->name, "Received") == 0) {
			if (received++ == own_received)
				break;
		} else if (g_ascii_strcasecmp(h->name,
		    "Authentication-Results") == 0)
			take(h->value, trusted_id, out);
	}
	return out->authserv_id != NULL ? 0 : -1;
}

int
authres_trusted(const struct msg *m, const char *trusted_id,
    struct authres *out)
{
	return authres_trusted_below(m, trusted_id, 0, out);
}

const char *
authres_result(const struct authres *a, const char *method)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].method, method) == 0)
			return a->v[i].result;
	return NULL;
}

const char *
authres_prop(const struct authres_entry *e, const char *ptype,
    const char *property)
{
	for (size_t i = 0; i < e->nprops; i++)
		if (strcmp(e->props[i].ptype, ptype) == 0 &&
		    strcmp(e->props[i].property, property) == 0)
			return e->props[i].value;
	return NULL;
}

static bool
prop_is_domain(const struct authres_entry *e, const char *property,
    const char *domain)
{
	const char *v = authres_prop(e, "header", property);
	const char *at;

	if (v == NULL)
		return false;
	at = strrchr(v, '@');
	return g_ascii_strcasecmp(at != NULL ? at + 1 : v, domain) == 0;
}

/* A dmarc entry for domain: header.from, or (OpenDMARC before 1.3)
 * header.d without header.from. */
static bool
dmarc_for(const struct authres_entry *e, const char *domain)
{
	return prop_is_domain(e, "from", domain) ||
	    (authres_prop(e, "header", "from") == NULL &&
	    prop_is_domain(e, "d", domain));
}

const char *
authres_aligned_pass(const struct authres *a, const char *domain)
{
	if (domain == NULL || *domain == '\0')
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct authres_entry *e = &a->v[i];

		if (strcmp(e->result, "pass") != 0)
			continue;
		if (strcmp(e->method, "dkim") == 0 &&
		    prop_is_domain(e, "d", domain))
			return "dkim";
		if (strcmp(e->method, "dmarc") == 0 && dmarc_for(e, domain))
			return "dmarc";
	}
	return NULL;
}

const char *
authres_dmarc_result(const struct authres *a, const char *domain)
{
	if (domain == NULL || *domain == '\0')
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct authres_entry *e = &a->v[i];
		bool named = authres_prop(e, "header", "from") != NULL ||
		    authres_prop(e, "header", "d") != NULL;

		if (strcmp(e->method, "dmarc") != 0)
			continue;
		if (dmarc_for(e, domain))
			return e->result;
		/* DMARC judges the From domain: a failure naming none is
		 * still a failure. */
		if (!named && strcmp(e->result, "pass") != 0)
			return e->result;
	}
	return NULL;
}

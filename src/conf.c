/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "conf.h"
#include "log.h"
#include "mailurl.h"

/*
 * postdesk.conf is read one line at a time: each line is one statement
 * (a keyword and its arguments), except that "queue NAME {" opens a block
 * whose statements run until a line holding only "}".  Blocks never span
 * files.  An error skips the rest of its line and parsing goes on, so that
 * one run reports every error.
 */

#define DEFAULT_DATABASE	"/var/lib/postdesk/postdesk.db"
#define DEFAULT_SECRET		"/etc/postdesk/secret"
#define DEFAULT_LANGUAGE	"en"
#define DEFAULT_REOPEN		(30 * 86400)
#define DEFAULT_RELAY_HOLD	60

enum tok_kind {
	TOK_WORD,
	TOK_STRING,
	TOK_OPEN,
	TOK_CLOSE,
};

struct token {
	enum tok_kind	 kind;
	char		*text;
};

/* One statement: its tokens, a cursor, and its name for messages. */
struct args {
	GArray		*toks;		/* struct token */
	guint		 next;
	char		*what;		/* "database", "limit parts", ... */
};

/* A file being read, to detect include loops. */
struct frame {
	dev_t		 dev;
	ino_t		 ino;
	const char	*file;
};

struct parser {
	struct conf	*conf;
	GPtrArray	*queues;	/* struct conf_queue * */
	GPtrArray	*agents;	/* struct conf_agent * */
	GPtrArray	*imaps;		/* struct conf_imap * */
	GPtrArray	*files;		/* every file read, display names */
	GArray		*stack;		/* struct frame */
	GPtrArray	*errors;	/* "FILE:LINE: message" */
	const char	*file;		/* the file being read, as named */
	char		*dir;		/* its directory, as named */
	char		*absdir;	/* its directory, absolute */
	unsigned	 line;
	struct conf_queue *queue;	/* the open queue block, or NULL */
	bool		 brace;		/* that block's "{" was given */
	bool		 addressed;	/* and an address statement */
	const char	*trust_file;	/* the first trust-authres-domain */
	unsigned	 trust_line;
	const char	*dmarc_file;	/* require-dmarc-pass yes */
	unsigned	 dmarc_line;
};

typedef void stmt_fn(struct parser *, struct args *);

struct keyword {
	const char	*name;
	stmt_fn		*fn;
};

static void
verror_at(struct parser *p, const char *file, unsigned line, const char *fmt,
    va_list ap)
{
	char *msg = g_strdup_vprintf(fmt, ap);

	if (line > 0)
		g_ptr_array_add(p->errors,
		    g_strdup_printf("%s:%u: %s", file, line, msg));
	else
		g_ptr_array_add(p->errors, g_strdup_printf("%s: %s", file, msg));
	g_free(msg);
}

static void G_GNUC_PRINTF(4, 5)
perr_at(struct parser *p, const char *file, unsigned line, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(p, file, line, fmt, ap);
	va_end(ap);
}

static void G_GNUC_PRINTF(2, 3)
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(p, p->file, p->line, fmt, ap);
	va_end(ap);
}

/* Small value checks. */

bool
conf_chars_ok(const char *s, const char *extra)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!g_ascii_isalnum(*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

/* Exactly one '@', both sides non-empty, no spaces or controls. */
static bool
address_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f ||
		    strchr("<>()[],;:\"\\", *s) != NULL)
			return false;
	return true;
}

/* addr without a "+extension" in its local part; the caller frees. */
static char *
address_base(const char *addr)
{
	const char *at = strrchr(addr, '@');
	const char *plus;

	if (at == NULL)
		return g_strdup(addr);
	plus = memchr(addr, '+', at - addr);
	if (plus == NULL)
		return g_strdup(addr);
	return g_strdup_printf("%.*s%s", (int)(plus - addr), addr, at);
}

static bool
strv_has(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

static char **
strv_empty(void)
{
	return g_new0(char *, 1);
}

/* "50M" -> 52428800: digits, then at most one unit from units. */
static int64_t
parse_scaled(const char *s, const char *units, const int64_t *mult)
{
	int64_t n = 0, m;
	const char *u;

	if (s == NULL || !g_ascii_isdigit(*s))
		return -1;
	for (; g_ascii_isdigit(*s); s++) {
		if (n > (INT64_MAX - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	if (*s == '\0')
		return n;
	if (s[1] != '\0' ||
	    (u = strchr(units, g_ascii_tolower(*s))) == NULL)
		return -1;
	m = mult[u - units];
	if (n > INT64_MAX / m)
		return -1;
	return n * m;
}

int64_t
conf_parse_size(const char *s)
{
	static const int64_t mult[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024 };

	return parse_scaled(s, "kmg", mult);
}

int64_t
conf_parse_duration(const char *s)
{
	static const int64_t mult[] = { 1, 60, 3600, 86400 };

	return parse_scaled(s, "smhd", mult);
}

/* The tokenizer: one line into words, strings and braces. */

static void
token_clear(gpointer data)
{
	struct token *t = data;

	g_free(t->text);
}

static void
push(GArray *toks, enum tok_kind kind, char *text)
{
	struct token t = { .kind = kind, .text = text };

	g_array_append_val(toks, t);
}

/* s is just past the opening quote; returns just past the closing one. */
static const char *
lex_string(struct parser *p, const char *s, GArray *toks)
{
	GString *buf = g_string_new(NULL);

	for (; *s != '"'; s++) {
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		else if (*s == '\\' && s[1] != '\0') {
			perr(p, "bad escape in string (only \\\" and \\\\)");
			goto fail;
		}
		if (*s == '\0' || (*s == '\\' && s[1] == '\0')) {
			perr(p, "unterminated string");
			goto fail;
		}
		g_string_append_c(buf, *s);
	}
	push(toks, TOK_STRING, g_string_free(buf, FALSE));
	return s + 1;
fail:
	g_string_free(buf, TRUE);
	return NULL;
}

static bool
is_delim(char c)
{
	return c == '\0' || g_ascii_isspace(c) || strchr("\"#{}", c) != NULL;
}

/* The tokens of a line, or NULL after an error. */
static GArray *
lex_line(struct parser *p, const char *s)
{
	GArray *toks = g_array_new(FALSE, FALSE, sizeof(struct token));
	const char *e;

	g_array_set_clear_func(toks, token_clear);
	while (s != NULL && *s != '\0' && *s != '#') {
		if (g_ascii_isspace(*s))
			s++;
		else if (*s == '{' || *s == '}') {
			push(toks, *s == '{' ? TOK_OPEN : TOK_CLOSE,
			    g_strndup(s, 1));
			s++;
		} else if (*s == '"')
			s = lex_string(p, s + 1, toks);
		else {
			for (e = s; !is_delim(*e); e++)
				;
			push(toks, TOK_WORD, g_strndup(s, e - s));
			s = e;
		}
	}
	if (s == NULL) {
		g_array_free(toks, TRUE);
		return NULL;
	}
	return toks;
}

/* Arguments. */

static const struct token *
arg_next(struct args *a)
{
	if (a->next >= a->toks->len)
		return NULL;
	return &g_array_index(a->toks, struct token, a->next++);
}

/* The next argument, a non-empty word or string; noun says what was
 * expected ("a string", "a size"). */
static const char *
arg_value(struct parser *p, struct args *a, const char *after,
    const char *noun)
{
	const struct token *t = arg_next(a);

	if (t == NULL || t->kind == TOK_OPEN || t->kind == TOK_CLOSE) {
		perr(p, "expected %s after \"%s\"", noun, after);
		return NULL;
	}
	if (*t->text == '\0') {
		perr(p, "empty string after \"%s\"", after);
		return NULL;
	}
	return t->text;
}

static const char *
arg_string(struct parser *p, struct args *a, const char *after)
{
	return arg_value(p, a, after, "a string");
}

/* No argument left; else an error. */
static bool
args_done(struct parser *p, struct args *a)
{
	const struct token *t = arg_next(a);

	if (t == NULL)
		return true;
	perr(p, "%s: unexpected \"%s\"", a->what, t->text);
	return false;
}

/* All the remaining arguments (one at least) as a NULL-ended list of
 * names made of alnum and extra. */
static char **
arg_names(struct parser *p, struct args *a, const char *extra)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	const struct token *t;

	while ((t = arg_next(a)) != NULL) {
		if (t->kind == TOK_OPEN || t->kind == TOK_CLOSE) {
			perr(p, "%s: unexpected \"%s\"", a->what, t->text);
			goto fail;
		}
		if (!conf_chars_ok(t->text, extra)) {
			perr(p, "%s: bad name \"%s\"", a->what, t->text);
			goto fail;
		}
		g_ptr_array_add(v, g_strdup(t->text));
	}
	if (v->len == 0) {
		perr(p, "expected a string after \"%s\"", a->what);
		goto fail;
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
fail:
	g_ptr_array_free(v, TRUE);
	return NULL;
}

static void
replace(char **dst, char *value)
{
	g_free(*dst);
	*dst = value;
}

static void
replace_strv(char ***dst, char **value)
{
	g_strfreev(*dst);
	*dst = value;
}

/* A relative path is relative to the directory of the file naming it. */
static char *
resolve(struct parser *p, const char *path)
{
	if (g_path_is_absolute(path))
		return g_strdup(path);
	return g_build_filename(p->absdir, path, NULL);
}

/* The one-string statements that name a path. */
static void
path_statement(struct parser *p, struct args *a, char **dst)
{
	const char *s = arg_string(p, a, a->what);

	if (s != NULL && args_done(p, a))
		replace(dst, resolve(p, s));
}

/* Top-level statements. */

static void
st_database(struct parser *p, struct args *a)
{
	path_statement(p, a, &p->conf->database);
}

static void
st_secret(struct parser *p, struct args *a)
{
	path_statement(p, a, &p->conf->secret);
}

static void
st_hostname(struct parser *p, struct args *a)
{
	const char *s = arg_string(p, a, "hostname");

	if (s == NULL || !args_done(p, a))
		return;
	if (!conf_chars_ok(s, "-.") || *s == '.' || *s == '-') {
		perr(p, "hostname: bad hostname \"%s\"", s);
		return;
	}
	replace(&p->conf->hostname, g_strdup(s));
}

/* The statements "NAME yes|no". */
static void
yes_no_statement(struct parser *p, struct args *a, bool *dst)
{
	const char *s = arg_value(p, a, a->what, "yes or no");

	if (s == NULL || !args_done(p, a))
		return;
	if (strcmp(s, "yes") == 0 || strcmp(s, "no") == 0)
		*dst = strcmp(s, "yes") == 0;
	else
		perr(p, "%s: expected yes or no, not \"%s\"", a->what, s);
}

static void
st_send_after_deliver(struct parser *p, struct args *a)
{
	yes_no_statement(p, a, &p->conf->send_after_deliver);
}

/* postdesk-path PATH: the postdesk that postdesk-deliver starts */
static void
st_postdesk_path(struct parser *p, struct args *a)
{
	path_statement(p, a, &p->conf->postdesk_path);
}

static void
st_templates(struct parser *p, struct args *a)
{
	path_statement(p, a, &p->conf->templates);
}

static void
st_trusted_authserv(struct parser *p, struct args *a)
{
	const char *s = arg_string(p, a, "trusted-authserv-id");

	if (s == NULL || !args_done(p, a))
		return;
	if (!conf_chars_ok(s, "-._") || *s == '\0') {
		perr(p, "trusted-authserv-id: bad name \"%s\"", s);
		return;
	}
	replace(&p->conf->trusted_authserv, g_strdup(s));
}

static bool
domain_ok(const char *d)
{
	return conf_chars_ok(d, "-.") && *d != '.' && *d != '-' &&
	    !g_str_has_suffix(d, ".") && strstr(d, "..") == NULL &&
	    strchr(d, '.') != NULL;
}

/* trust-authres-domain DOMAIN...: repeatable, duplicates are merged */
static void
st_trust_authres_domain(struct parser *p, struct args *a)
{
	char **v = arg_names(p, a, "-.");
	GPtrArray *all;

	for (char **d = v; d != NULL && *d != NULL; d++)
		if (!domain_ok(*d)) {
			perr(p, "trust-authres-domain: bad domain \"%s\"", *d);
			g_strfreev(v);
			return;
		}
	if (v == NULL)
		return;
	if (p->trust_file == NULL) {
		p->trust_file = p->file;
		p->trust_line = p->line;
	}
	all = g_ptr_array_new();
	for (char **d = p->conf->trust_authres_domains; *d != NULL; d++)
		g_ptr_array_add(all, g_strdup(*d));
	for (char **d = v; *d != NULL; d++) {
		char *low = g_ascii_strdown(*d, -1);

		if (g_ptr_array_find_with_equal_func(all, low, g_str_equal,
		    NULL))
			g_free(low);
		else
			g_ptr_array_add(all, low);
	}
	g_ptr_array_add(all, NULL);
	replace_strv(&p->conf->trust_authres_domains,
	    (char **)g_ptr_array_free(all, FALSE));
	g_strfreev(v);
}

static void
st_cut_signature(struct parser *p, struct args *a)
{
	yes_no_statement(p, a, &p->conf->cut_signature);
}

static void
st_require_dmarc_pass(struct parser *p, struct args *a)
{
	bool before = p->conf->require_dmarc_pass;

	yes_no_statement(p, a, &p->conf->require_dmarc_pass);
	if (!p->conf->require_dmarc_pass)
		p->dmarc_file = NULL;
	else if (!before) {
		p->dmarc_file = p->file;
		p->dmarc_line = p->line;
	}
}

/* new-ticket-cc accept|propose, at the top level or in a queue */
static void
new_cc_statement(struct parser *p, struct args *a, enum conf_new_cc *dst)
{
	const char *s = arg_value(p, a, a->what, "accept or propose");

	if (s == NULL || !args_done(p, a))
		return;
	if (strcmp(s, "accept") == 0)
		*dst = CONF_CC_ACCEPT;
	else if (strcmp(s, "propose") == 0)
		*dst = CONF_CC_PROPOSE;
	else
		perr(p, "new-ticket-cc: expected accept or propose, not "
		    "\"%s\"", s);
}

static void
st_new_ticket_cc(struct parser *p, struct args *a)
{
	new_cc_statement(p, a, &p->conf->new_ticket_cc);
}

static void
st_charsets(struct parser *p, struct args *a)
{
	char **v = arg_names(p, a, "-_.:");

	if (v != NULL)
		replace_strv(&p->conf->charsets, v);
}

static void
st_unknown_recipient(struct parser *p, struct args *a)
{
	const char *s = arg_value(p, a, a->what, "accept or refuse");

	if (s == NULL || !args_done(p, a))
		return;
	if (strcmp(s, "accept") == 0)
		p->conf->refuse_unknown = false;
	else if (strcmp(s, "refuse") == 0)
		p->conf->refuse_unknown = true;
	else
		perr(p, "unknown-recipient: expected accept or refuse, "
		    "not \"%s\"", s);
}

static void parse_file(struct parser *, const char *, const char *);

static void
st_include(struct parser *p, struct args *a)
{
	const char *name = arg_string(p, a, "include");
	char *path;

	if (name == NULL || !args_done(p, a))
		return;
	if (g_path_is_absolute(name) || strcmp(p->dir, ".") == 0)
		path = g_strdup(name);
	else
		path = g_build_filename(p->dir, name, NULL);
	parse_file(p, path, name);
	g_free(path);
}

/* Filter rules: "filter FILE", top-level or in a queue block. */

static void
filters_clear(struct conf_filter *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		g_free(v[i].path);
		g_free(v[i].name);
	}
	g_free(v);
}

static void
filter_statement(struct parser *p, struct args *a, struct conf_filter **v,
    size_t *n)
{
	const char *s = arg_string(p, a, "filter");
	struct conf_filter *f;

	if (s == NULL || !args_done(p, a))
		return;
	*v = g_renew(struct conf_filter, *v, *n + 1);
	f = &(*v)[(*n)++];
	f->path = resolve(p, s);
	/* Named for messages as include names its file. */
	if (g_path_is_absolute(s) || strcmp(p->dir, ".") == 0)
		f->name = g_strdup(s);
	else
		f->name = g_build_filename(p->dir, s, NULL);
	f->file = p->file;
	f->line = p->line;
}

static void
st_filter(struct parser *p, struct args *a)
{
	filter_statement(p, a, &p->conf->filters, &p->conf->nfilters);
}

static void
q_filter(struct parser *p, struct args *a)
{
	filter_statement(p, a, &p->queue->filters, &p->queue->nfilters);
}

/* Queue blocks. */

static struct conf_queue *
queue_find(struct parser *p, const char *name)
{
	for (guint i = 0; i < p->queues->len; i++) {
		struct conf_queue *q = p->queues->pdata[i];

		if (strcmp(q->name, name) == 0)
			return q;
	}
	return NULL;
}

static struct conf_queue *
queue_new(struct parser *p, const char *name)
{
	struct conf_queue *q = g_new0(struct conf_queue, 1);

	q->name = g_strdup(name);
	q->address = g_strdup("");
	q->comment_address = g_strdup("");
	q->tag = g_strdup(name);
	q->language = g_strdup(DEFAULT_LANGUAGE);
	q->languages = strv_empty();
	q->templates = g_strdup("");
	q->charsets = strv_empty();
	q->reopen_window = DEFAULT_REOPEN;
	q->file = p->file;
	q->line = p->line;
	return q;
}

static void
queue_clear(struct conf_queue *q)
{
	g_free(q->name);
	g_free(q->address);
	g_free(q->comment_address);
	g_free(q->tag);
	g_free(q->language);
	g_strfreev(q->languages);
	g_free(q->templates);
	g_strfreev(q->charsets);
	filters_clear(q->filters, q->nfilters);
}

/* "queue NAME {": the brace must be on the queue's own line. */
static void
st_queue(struct parser *p, struct args *a)
{
	const char *name = arg_string(p, a, "queue");
	const struct token *t;
	struct conf_queue *old;

	if (name == NULL)
		return;
	/* A bad or duplicate name still opens the block, so that its
	 * statements and its "}" are read as the queue's. */
	if (!conf_chars_ok(name, "-_."))
		perr(p, "queue: bad name \"%s\"", name);
	else if ((old = queue_find(p, name)) != NULL)
		perr(p, "queue \"%s\": already defined at %s:%u", name,
		    old->file, old->line);
	p->queue = queue_new(p, name);
	p->addressed = false;
	g_ptr_array_add(p->queues, p->queue);
	t = arg_next(a);
	p->brace = t != NULL && t->kind == TOK_OPEN;
	if (!p->brace)
		perr(p, "queue \"%s\": expected \"{\" at the end of the line",
		    name);
	else
		args_done(p, a);
}

/* The queue owning address s (or its comment address), or NULL; the
 * field being set (self) does not count. */
static const struct conf_queue *
address_owner(struct parser *p, const char *s, const char *self)
{
	for (guint i = 0; i < p->queues->len; i++) {
		const struct conf_queue *q = p->queues->pdata[i];

		if ((q->address != self &&
		    g_ascii_strcasecmp(q->address, s) == 0) ||
		    (q->comment_address != self &&
		    g_ascii_strcasecmp(q->comment_address, s) == 0))
			return q;
	}
	return NULL;
}

static void
queue_address(struct parser *p, struct args *a, char **dst)
{
	const char *s = arg_string(p, a, a->what);
	const struct conf_queue *q;
	const char *at;

	if (s == NULL || !args_done(p, a))
		return;
	if (!address_ok(s)) {
		perr(p, "%s: invalid address \"%s\"", a->what, s);
		return;
	}
	at = strchr(s, '@');
	if (memchr(s, '+', at - s) != NULL) {
		perr(p, "%s: \"%s\": \"+\" is kept for reply addresses",
		    a->what, s);
		return;
	}
	if ((q = address_owner(p, s, *dst)) != NULL) {
		perr(p, "%s: \"%s\" is already used by queue \"%s\"",
		    a->what, s, q->name);
		return;
	}
	replace(dst, g_strdup(s));
}

static void
q_address(struct parser *p, struct args *a)
{
	p->addressed = true;	/* a bad one was reported already */
	queue_address(p, a, &p->queue->address);
}

static void
q_comment_address(struct parser *p, struct args *a)
{
	queue_address(p, a, &p->queue->comment_address);
}

static void
q_tag(struct parser *p, struct args *a)
{
	const char *s = arg_string(p, a, "tag");

	if (s == NULL || !args_done(p, a))
		return;
	if (strpbrk(s, "[]#") != NULL) {
		perr(p, "tag: \"%s\": no \"[\", \"]\" or \"#\" allowed", s);
		return;
	}
	replace(&p->queue->tag, g_strdup(s));
}

static void
q_language(struct parser *p, struct args *a)
{
	const char *s = arg_string(p, a, "language");

	if (s == NULL || !args_done(p, a))
		return;
	if (!conf_chars_ok(s, "-_")) {
		perr(p, "language: bad name \"%s\"", s);
		return;
	}
	replace(&p->queue->language, g_strdup(s));
}

static void
q_languages(struct parser *p, struct args *a)
{
	char **v = arg_names(p, a, "-_");

	if (v != NULL)
		replace_strv(&p->queue->languages, v);
}

static void
q_charsets(struct parser *p, struct args *a)
{
	char **v = arg_names(p, a, "-_.:");

	if (v != NULL)
		replace_strv(&p->queue->charsets, v);
}

static void
q_templates(struct parser *p, struct args *a)
{
	path_statement(p, a, &p->queue->templates);
}

static void
duration_statement(struct parser *p, struct args *a, int64_t *dst)
{
	const char *s = arg_value(p, a, a->what, "a duration");
	int64_t v;

	if (s == NULL || !args_done(p, a))
		return;
	if ((v = conf_parse_duration(s)) < 0) {
		perr(p, "%s: bad duration \"%s\"", a->what, s);
		return;
	}
	*dst = v;
}

static void
q_new_ticket_cc(struct parser *p, struct args *a)
{
	new_cc_statement(p, a, &p->queue->new_ticket_cc);
}

static void
q_response_time(struct parser *p, struct args *a)
{
	duration_statement(p, a, &p->queue->response_time);
}

static void
q_reopen_window(struct parser *p, struct args *a)
{
	duration_statement(p, a, &p->queue->reopen_window);
}

/* The offered languages always hold the default one, first. */
static void
queue_languages(struct conf_queue *q)
{
	GPtrArray *v;

	if (strv_has(q->languages, q->language))
		return;
	v = g_ptr_array_new();
	g_ptr_array_add(v, g_strdup(q->language));
	for (char **l = q->languages; *l != NULL; l++)
		g_ptr_array_add(v, *l);
	g_ptr_array_add(v, NULL);
	g_free(q->languages);
	q->languages = (char **)g_ptr_array_free(v, FALSE);
}

static void
block_close(struct parser *p, bool missing)
{
	struct conf_queue *q = p->queue;

	if (missing && p->brace)
		perr_at(p, q->file, q->line, "missing \"}\"");
	if (*q->address == '\0' && !p->addressed)
		perr_at(p, q->file, q->line, "queue \"%s\": missing address",
		    q->name);
	queue_languages(q);
	p->queue = NULL;
}

/* Agents. */

static struct conf_agent *
agent_new(struct parser *p, const char *address)
{
	struct conf_agent *ag = g_new0(struct conf_agent, 1);

	ag->address = g_strdup(address);
	ag->name = g_strdup("");
	ag->handle = g_strdup("");
	ag->queues = strv_empty();
	ag->file = p->file;
	ag->line = p->line;
	return ag;
}

static void
agent_clear(struct conf_agent *ag)
{
	g_free(ag->address);
	g_free(ag->name);
	g_free(ag->handle);
	g_strfreev(ag->queues);
}

static bool
agent_option(struct parser *p, struct args *a, struct conf_agent *ag,
    GPtrArray *queues)
{
	const struct token *t = arg_next(a);
	const char *v;

	if (t->kind != TOK_WORD || (strcmp(t->text, "name") != 0 &&
	    strcmp(t->text, "handle") != 0 && strcmp(t->text, "queue") != 0)) {
		perr(p, "agent: unknown option \"%s\"", t->text);
		return false;
	}
	if ((v = arg_string(p, a, t->text)) == NULL)
		return false;
	if (strcmp(t->text, "name") == 0)
		replace(&ag->name, g_strdup(v));
	else if (strcmp(t->text, "queue") == 0)
		g_ptr_array_add(queues, g_strdup(v));
	else if (conf_chars_ok(v, "-_."))
		replace(&ag->handle, g_strdup(v));
	else {
		perr(p, "agent: bad handle \"%s\"", v);
		return false;
	}
	return true;
}

/* Neither the address nor the handle of ag is another agent's. */
static bool
agent_unique(struct parser *p, const struct conf_agent *ag)
{
	for (guint i = 0; i < p->agents->len; i++) {
		const struct conf_agent *o = p->agents->pdata[i];

		if (g_ascii_strcasecmp(o->address, ag->address) == 0) {
			perr(p, "agent \"%s\": already defined at %s:%u",
			    ag->address, o->file, o->line);
			return false;
		}
		if (*ag->handle != '\0' &&
		    g_ascii_strcasecmp(o->handle, ag->handle) == 0) {
			perr(p, "agent \"%s\": handle \"%s\" is taken by "
			    "agent \"%s\"", ag->address, ag->handle,
			    o->address);
			return false;
		}
	}
	return true;
}

/* agent ADDRESS [name NAME] [handle HANDLE] [queue QUEUE]... */
static void
st_agent(struct parser *p, struct args *a)
{
	const char *address = arg_string(p, a, "agent");
	GPtrArray *queues;
	struct conf_agent *ag;
	bool ok = true;

	if (address == NULL)
		return;
	if (!address_ok(address)) {
		perr(p, "agent: invalid address \"%s\"", address);
		return;
	}
	ag = agent_new(p, address);
	queues = g_ptr_array_new_with_free_func(g_free);
	while (ok && a->next < a->toks->len)
		ok = agent_option(p, a, ag, queues);
	if (!ok || !agent_unique(p, ag)) {
		agent_clear(ag);
		g_free(ag);
		g_ptr_array_free(queues, TRUE);
		return;
	}
	g_ptr_array_add(queues, NULL);
	replace_strv(&ag->queues, (char **)g_ptr_array_free(queues, FALSE));
	g_ptr_array_add(p->agents, ag);
}

/* Transport. */

static void
transport_init(struct conf_transport *t, enum conf_transport_kind kind)
{
	*t = (struct conf_transport){
		.kind = kind,
		.path = g_strdup(""),
		.host = g_strdup(""),
		.tls = CONF_TLS_STARTTLS,
		.user = g_strdup(""),
		.password_file = g_strdup(""),
		.ca_file = g_strdup(""),
	};
}

static void
transport_clear(struct conf_transport *t)
{
	g_free(t->path);
	g_free(t->host);
	g_free(t->user);
	g_free(t->password_file);
	g_free(t->ca_file);
}

typedef bool smtp_opt_fn(struct parser *, const char *,
    struct conf_transport *);

static bool
smtp_port(struct parser *p, const char *s, struct conf_transport *t)
{
	int64_t v = parse_scaled(s, "", NULL);

	if (v < 1 || v > 65535) {
		perr(p, "transport smtp: bad port \"%s\"", s);
		return false;
	}
	t->port = v;
	return true;
}

static bool
smtp_tls(struct parser *p, const char *s, struct conf_transport *t)
{
	static const struct {
		const char	*name;
		enum conf_tls	 tls;
	} modes[] = {
		{ "starttls",		CONF_TLS_STARTTLS },
		{ "opportunistic",	CONF_TLS_OPPORTUNISTIC },
		{ "implicit",		CONF_TLS_IMPLICIT },
		{ "none",		CONF_TLS_NONE },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(modes); i++)
		if (strcmp(s, modes[i].name) == 0) {
			t->tls = modes[i].tls;
			return true;
		}
	perr(p, "transport smtp: tls: expected starttls, opportunistic, "
	    "implicit or none, not \"%s\"", s);
	return false;
}

static bool
smtp_auth(struct parser *p, const char *s, struct conf_transport *t)
{
	(void)p;
	replace(&t->user, g_strdup(s));
	return true;
}

static bool
smtp_password_file(struct parser *p, const char *s, struct conf_transport *t)
{
	replace(&t->password_file, resolve(p, s));
	return true;
}

static bool
smtp_ca_file(struct parser *p, const char *s, struct conf_transport *t)
{
	replace(&t->ca_file, resolve(p, s));
	return true;
}

static const struct {
	const char	*name;
	smtp_opt_fn	*fn;
} smtp_options[] = {
	{ "port",		smtp_port },
	{ "tls",		smtp_tls },
	{ "auth",		smtp_auth },
	{ "password-file",	smtp_password_file },
	{ "ca-file",		smtp_ca_file },
};

static bool
smtp_option(struct parser *p, struct args *a, struct conf_transport *t)
{
	const struct token *opt = arg_next(a);
	const char *v;

	for (size_t i = 0; i < G_N_ELEMENTS(smtp_options); i++) {
		if (opt->kind != TOK_WORD ||
		    strcmp(opt->text, smtp_options[i].name) != 0)
			continue;
		if ((v = arg_string(p, a, opt->text)) == NULL)
			return false;
		return smtp_options[i].fn(p, v, t);
	}
	perr(p, "transport smtp: unknown option \"%s\"", opt->text);
	return false;
}

static bool
transport_smtp(struct parser *p, struct args *a, struct conf_transport *t)
{
	const char *host = arg_string(p, a, "smtp");
	bool ok = host != NULL;

	if (ok)
		replace(&t->host, g_strdup(host));
	while (ok && a->next < a->toks->len)
		ok = smtp_option(p, a, t);
	if (ok && (*t->user == '\0') != (*t->password_file == '\0')) {
		perr(p, "transport smtp: auth and password-file go together");
		ok = false;
	}
	return ok;
}

static bool
transport_file(struct parser *p, struct args *a, struct conf_transport *t)
{
	const char *path = arg_string(p, a, "file");

	if (path == NULL || !args_done(p, a))
		return false;
	replace(&t->path, resolve(p, path));
	return true;
}

/* transport file PATH | transport smtp HOST [OPTION VALUE]... */
static void
st_transport(struct parser *p, struct args *a)
{
	const char *kind = arg_value(p, a, "transport", "file or smtp");
	struct conf_transport t;
	bool ok;

	if (kind == NULL)
		return;
	if (strcmp(kind, "file") == 0) {
		transport_init(&t, CONF_TRANSPORT_FILE);
		ok = transport_file(p, a, &t);
	} else if (strcmp(kind, "smtp") == 0) {
		transport_init(&t, CONF_TRANSPORT_SMTP);
		ok = transport_smtp(p, a, &t);
	} else {
		perr(p, "transport: expected file or smtp, not \"%s\"", kind);
		return;
	}
	if (ok) {
		transport_clear(&p->conf->transport);
		p->conf->transport = t;
	} else
		transport_clear(&t);
}

/* IMAP accounts. */

static void
imap_init(struct conf_imap *m, const char *name)
{
	*m = (struct conf_imap){
		.name = g_strdup(name),
		.url = g_strdup(""),
		.user = g_strdup(""),
		.host = g_strdup(""),
		.mailbox = g_strdup("INBOX"),
		.tls = CONF_TLS_IMPLICIT,
		.password_file = g_strdup(""),
		.queue = g_strdup(""),
		.after = CONF_AFTER_SEEN,
		.folder = g_strdup(""),
		.refused_folder = g_strdup(CONF_REFUSED_FOLDER),
		.ca_file = g_strdup(""),
	};
}

void
conf_imap_clear(struct conf_imap *m)
{
	if (m == NULL)
		return;
	g_free(m->name);
	g_free(m->url);
	g_free(m->user);
	g_free(m->host);
	g_free(m->mailbox);
	g_free(m->password_file);
	g_free(m->queue);
	g_free(m->folder);
	g_free(m->refused_folder);
	g_free(m->ca_file);
	*m = (struct conf_imap){ 0 };
}

/* user, host, port, mailbox, and the scheme's TLS from url. */
static int
imap_set_url(struct conf_imap *m, const char *url, char *err, size_t errlen)
{
	struct mailurl u;

	if (mailurl_parse(url, &u, err, errlen) == -1)
		return -1;
	replace(&m->url, g_strdup(url));
	replace(&m->user, u.user);
	replace(&m->host, u.host);
	replace(&m->mailbox, u.mailbox);
	m->port = u.port;
	m->tls = u.implicit_tls ? CONF_TLS_IMPLICIT : CONF_TLS_STARTTLS;
	return 0;
}

int
conf_imap_from_url(struct conf_imap *m, const char *url, char *err,
    size_t errlen)
{
	imap_init(m, url);
	if (imap_set_url(m, url, err, errlen) == -1) {
		conf_imap_clear(m);
		return -1;
	}
	return 0;
}

/* An imap statement while it is parsed. */
struct imap_parse {
	struct conf_imap *m;
	const char	*starttls;	/* as given, NULL = the default */
};

typedef bool imap_opt_fn(struct parser *, struct args *, struct imap_parse *,
    const char *);

static bool
imap_url(struct parser *p, struct args *a, struct imap_parse *ip,
    const char *v)
{
	char err[128];

	(void)a;
	if (imap_set_url(ip->m, v, err, sizeof(err)) == 0)
		return true;
	perr(p, "imap \"%s\": bad url \"%s\": %s", ip->m->name, v, err);
	return false;
}

/* password-file, ca-file */
static bool
imap_path(struct parser *p, struct args *a, struct imap_parse *ip,
    const char *v)
{
	if (strcmp(a->what, "ca-file") == 0)
		replace(&ip->m->ca_file, resolve(p, v));
	else
		replace(&ip->m->password_file, resolve(p, v));
	return true;
}

/* queue, refused-folder */
static bool
imap_name(struct parser *p, struct args *a, struct imap_parse *ip,
    const char *v)
{
	if (strcmp(a->what, "queue") == 0)
		replace(&ip->m->queue, g_strdup(v));
	else
		replace(&ip->m->refused_folder, g_strdup(v));
	(void)p;
	return true;
}

static bool
imap_after(struct parser *p, struct args *a, struct imap_parse *ip,
    const char *v)
{
	const char *folder;

	if (strcmp(v, "seen") == 0 || strcmp(v, "delete") == 0) {
		ip->m->after = *v == 's' ? CONF_AFTER_SEEN : CONF_AFTER_DELETE;
		return true;
	}
	if (strcmp(v, "move") != 0) {
		perr(p, "imap \"%s\": after-fetch: expected seen, delete or "
		    "move, not \"%s\"", ip->m->name, v);
		return false;
	}
	if ((folder = arg_string(p, a, "move")) == NULL)
		return false;
	ip->m->after = CONF_AFTER_MOVE;
	replace(&ip->m->folder, g_strdup(folder));
	return true;
}

static bool
imap_starttls(struct parser *p, struct args *a, struct imap_parse *ip,
    const char *v)
{
	(void)a;
	if (strcmp(v, "require") != 0 && strcmp(v, "none") != 0) {
		perr(p, "imap \"%s\": starttls: expected require or none, "
		    "not \"%s\"", ip->m->name, v);
		return false;
	}
	ip->starttls = v;
	return true;
}

static const struct {
	const char	*name;
	imap_opt_fn	*fn;
} imap_options[] = {
	{ "url",		imap_url },
	{ "password-file",	imap_path },
	{ "ca-file",		imap_path },
	{ "queue",		imap_name },
	{ "refused-folder",	imap_name },
	{ "after-fetch",	imap_after },
	{ "starttls",		imap_starttls },
};

static bool
imap_option(struct parser *p, struct args *a, struct imap_parse *ip)
{
	const struct token *opt = arg_next(a);
	const char *v;

	for (size_t i = 0; i < G_N_ELEMENTS(imap_options); i++) {
		if (opt->kind != TOK_WORD ||
		    strcmp(opt->text, imap_options[i].name) != 0)
			continue;
		if ((v = arg_string(p, a, opt->text)) == NULL)
			return false;
		replace(&a->what, g_strdup(opt->text));
		return imap_options[i].fn(p, a, ip, v);
	}
	perr(p, "imap \"%s\": unknown option \"%s\"", ip->m->name, opt->text);
	return false;
}

/* TLS and folders, once every option is known. */
static bool
imap_check_tls(struct parser *p, struct imap_parse *ip)
{
	struct conf_imap *m = ip->m;

	if (ip->starttls != NULL && m->tls == CONF_TLS_IMPLICIT) {
		perr(p, "imap \"%s\": starttls goes with imap://, not imaps://",
		    m->name);
		return false;
	}
	if (ip->starttls != NULL && strcmp(ip->starttls, "none") == 0)
		m->tls = CONF_TLS_NONE;
	if (m->tls == CONF_TLS_NONE && !mailurl_is_loopback(m->host)) {
		perr(p, "imap \"%s\": starttls none: plain text goes only to a "
		    "loopback address (127.0.0.0/8, ::1), not \"%s\"", m->name,
		    m->host);
		return false;
	}
	return true;
}

static bool
imap_check(struct parser *p, struct imap_parse *ip)
{
	struct conf_imap *m = ip->m;
	const char *missing = *m->url == '\0' ? "url" :
	    *m->password_file == '\0' ? "password-file" : NULL;

	if (missing != NULL) {
		perr(p, "imap \"%s\": missing %s", m->name, missing);
		return false;
	}
	if (!imap_check_tls(p, ip))
		return false;
	if (m->after == CONF_AFTER_MOVE && strcmp(m->folder, m->mailbox) == 0) {
		perr(p, "imap \"%s\": after-fetch move: \"%s\" is the mailbox "
		    "itself", m->name, m->folder);
		return false;
	}
	if (strcmp(m->refused_folder, m->mailbox) == 0) {
		perr(p, "imap \"%s\": refused-folder: \"%s\" is the mailbox "
		    "itself", m->name, m->refused_folder);
		return false;
	}
	return true;
}

static bool
imap_unique(struct parser *p, const struct conf_imap *m)
{
	for (guint i = 0; i < p->imaps->len; i++) {
		const struct conf_imap *o = p->imaps->pdata[i];

		if (strcmp(o->name, m->name) == 0) {
			perr(p, "imap \"%s\": already defined at %s:%u",
			    m->name, o->file, o->line);
			return false;
		}
	}
	return true;
}

/* imap NAME url URL password-file FILE [OPTION VALUE]... */
static void
st_imap(struct parser *p, struct args *a)
{
	const char *name = arg_string(p, a, "imap");
	struct imap_parse ip = { 0 };
	bool ok = true;

	if (name == NULL)
		return;
	if (!conf_chars_ok(name, "-_.@")) {
		perr(p, "imap: bad name \"%s\"", name);
		return;
	}
	ip.m = g_new0(struct conf_imap, 1);
	imap_init(ip.m, name);
	ip.m->file = p->file;
	ip.m->line = p->line;
	while (ok && a->next < a->toks->len)
		ok = imap_option(p, a, &ip);
	if (!ok || !imap_check(p, &ip) || !imap_unique(p, ip.m)) {
		conf_imap_clear(ip.m);
		g_free(ip.m);
		return;
	}
	g_ptr_array_add(p->imaps, ip.m);
}

/* The queues an account names may be defined after it. */
static void
check_imaps(struct parser *p)
{
	const struct conf *c = p->conf;

	for (size_t i = 0; i < c->nimaps; i++) {
		const struct conf_imap *m = &c->imaps[i];

		if (*m->queue != '\0' && conf_queue_by_name(c, m->queue) ==
		    NULL)
			perr_at(p, m->file, m->line, "imap \"%s\": unknown "
			    "queue \"%s\"", m->name, m->queue);
	}
}

/* Limits. */

enum limit_kind {
	LIMIT_SIZE,
	LIMIT_COUNT,
	LIMIT_MSEC,
	LIMIT_SEC,
};

static const char *const limit_nouns[] = {
	[LIMIT_SIZE] = "size",
	[LIMIT_COUNT] = "number",
	[LIMIT_MSEC] = "duration",
	[LIMIT_SEC] = "duration",
};

static const char *const limit_expected[] = {
	[LIMIT_SIZE] = "a size",
	[LIMIT_COUNT] = "a number",
	[LIMIT_MSEC] = "a duration",
	[LIMIT_SEC] = "a duration",
};

static const struct limit {
	const char	*name;
	enum limit_kind	 kind;
	size_t		 off;
} limits[] = {
	{ "message-size", LIMIT_SIZE, offsetof(struct conf_limits, message_size) },
	{ "header-size", LIMIT_SIZE, offsetof(struct conf_limits, header_size) },
	{ "mime-depth",	LIMIT_COUNT, offsetof(struct conf_limits, mime_depth) },
	{ "parts",	LIMIT_COUNT, offsetof(struct conf_limits, parts) },
	{ "attempts",	LIMIT_COUNT, offsetof(struct conf_limits, attempts) },
	{ "parse-time",	LIMIT_SEC, offsetof(struct conf_limits, parse_time) },
	{ "memory",	LIMIT_SIZE, offsetof(struct conf_limits, memory) },
	{ "busy-timeout", LIMIT_MSEC, offsetof(struct conf_limits, busy_timeout) },
	{ "ack-per-address", LIMIT_COUNT,
	    offsetof(struct conf_limits, ack_per_address) },
	{ "ack-per-hour", LIMIT_COUNT, offsetof(struct conf_limits, ack_per_hour) },
	{ "notify-per-hour", LIMIT_COUNT,
	    offsetof(struct conf_limits, notify_per_hour) },
	{ "send-max-age", LIMIT_SEC, offsetof(struct conf_limits, send_max_age) },
	{ "participants", LIMIT_COUNT,
	    offsetof(struct conf_limits, participants) },
};

/* Sets the limit to s; false when s is no positive value of its kind. */
static bool
limit_set(struct conf_limits *lim, const struct limit *l, const char *s)
{
	void *dst = (char *)lim + l->off;
	int64_t v;

	switch (l->kind) {
	case LIMIT_SIZE:
		if ((v = conf_parse_size(s)) <= 0)
			return false;
		*(uint64_t *)dst = v;
		return true;
	case LIMIT_COUNT:
		if ((v = parse_scaled(s, "", NULL)) <= 0 || v > UINT_MAX)
			return false;
		*(unsigned *)dst = v;
		return true;
	case LIMIT_SEC:
		if ((v = conf_parse_duration(s)) <= 0)
			return false;
		*(int64_t *)dst = v;
		return true;
	case LIMIT_MSEC:
		if ((v = conf_parse_duration(s)) <= 0 || v > INT64_MAX / 1000)
			return false;
		*(int64_t *)dst = v * 1000;
		return true;
	}
	return false;
}

static void
st_limit(struct parser *p, struct args *a)
{
	const char *name = arg_value(p, a, "limit", "a limit name");
	const struct limit *l = NULL;
	const char *s;

	if (name == NULL)
		return;
	for (size_t i = 0; i < G_N_ELEMENTS(limits); i++)
		if (strcmp(limits[i].name, name) == 0)
			l = &limits[i];
	if (l == NULL) {
		perr(p, "limit: unknown limit \"%s\"", name);
		return;
	}
	replace(&a->what, g_strdup_printf("limit %s", name));
	s = arg_value(p, a, name, limit_expected[l->kind]);
	if (s == NULL || !args_done(p, a))
		return;
	if (!limit_set(&p->conf->limits, l, s))
		perr(p, "%s: bad %s \"%s\"", a->what, limit_nouns[l->kind], s);
}

/*
 * relay-hold DURATION: an agent's answer waits this long in the outbox,
 * so that a second delivery of the same mail to the comment address can
 * still make it a note; 0 sends at once.
 */
static void
st_relay_hold(struct parser *p, struct args *a)
{
	duration_statement(p, a, &p->conf->relay_hold);
}

/* Dispatch. */

static const struct keyword top_keywords[] = {
	{ "agent",		st_agent },
	{ "charsets",		st_charsets },
	{ "cut-signature",	st_cut_signature },
	{ "database",		st_database },
	{ "filter",		st_filter },
	{ "hostname",		st_hostname },
	{ "imap",		st_imap },
	{ "include",		st_include },
	{ "limit",		st_limit },
	{ "new-ticket-cc",	st_new_ticket_cc },
	{ "queue",		st_queue },
	{ "relay-hold",		st_relay_hold },
	{ "require-dmarc-pass",	st_require_dmarc_pass },
	{ "secret",		st_secret },
	{ "templates",		st_templates },
	{ "transport",		st_transport },
	{ "postdesk-path",	st_postdesk_path },
	{ "send-after-deliver",	st_send_after_deliver },
	{ "trust-authres-domain", st_trust_authres_domain },
	{ "trusted-authserv-id", st_trusted_authserv },
	{ "unknown-recipient",	st_unknown_recipient },
	{ NULL,			NULL },
};

static const struct keyword queue_keywords[] = {
	{ "address",		q_address },
	{ "charsets",		q_charsets },
	{ "comment-address",	q_comment_address },
	{ "filter",		q_filter },
	{ "language",		q_language },
	{ "languages",		q_languages },
	{ "new-ticket-cc",	q_new_ticket_cc },
	{ "reopen-window",	q_reopen_window },
	{ "response-time",	q_response_time },
	{ "tag",		q_tag },
	{ "templates",		q_templates },
	{ NULL,			NULL },
};

static const struct keyword *
keyword_find(const struct keyword *table, const struct token *t)
{
	if (t->kind == TOK_OPEN || t->kind == TOK_CLOSE)
		return NULL;
	for (; table->name != NULL; table++)
		if (strcmp(table->name, t->text) == 0)
			return table;
	return NULL;
}

static void
run(struct parser *p, struct args *a, const struct keyword *kw)
{
	a->next = 1;
	replace(&a->what, g_strdup(kw->name));
	kw->fn(p, a);
}

/* A line inside a queue block.  False when it starts with a top-level
 * keyword: then the block's "}" is missing. */
static bool
block_statement(struct parser *p, struct args *a)
{
	const struct token *t = &g_array_index(a->toks, struct token, 0);
	const struct keyword *kw;

	if (t->kind == TOK_CLOSE) {
		a->next = 1;
		replace(&a->what, g_strdup("}"));
		args_done(p, a);
		block_close(p, false);
	} else if (t->kind == TOK_OPEN && !p->brace && a->toks->len == 1)
		p->brace = true;	/* "{" on its own line: reported */
	else if ((kw = keyword_find(queue_keywords, t)) != NULL)
		run(p, a, kw);
	else if (keyword_find(top_keywords, t) != NULL)
		return false;
	else
		perr(p, "queue \"%s\": unknown keyword \"%s\"", p->queue->name,
		    t->text);
	return true;
}

static void
statement(struct parser *p, struct args *a)
{
	const struct token *t = &g_array_index(a->toks, struct token, 0);
	const struct keyword *kw;

	if (p->queue != NULL) {
		if (block_statement(p, a))
			return;
		block_close(p, true);
	}
	if (t->kind == TOK_OPEN || t->kind == TOK_CLOSE)
		perr(p, "unexpected \"%s\"", t->text);
	else if ((kw = keyword_find(top_keywords, t)) != NULL)
		run(p, a, kw);
	else
		perr(p, "unknown keyword \"%s\"", t->text);
}

/* Files. */

static bool
line_ok(struct parser *p, const char *line, size_t len)
{
	if (memchr(line, '\0', len) != NULL) {
		perr(p, "NUL byte in line");
		return false;
	}
	if (!g_utf8_validate(line, len, NULL)) {
		perr(p, "invalid UTF-8");
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)line[i] < ' ' && line[i] != '\t') ||
		    line[i] == 0x7f) {
			perr(p, "control character in line");
			return false;
		}
	return true;
}

static void
parse_stream(struct parser *p, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct args a = { 0 };

	while ((len = getline(&line, &cap, fp)) != -1) {
		p->line++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (!line_ok(p, line, len) ||
		    (a.toks = lex_line(p, line)) == NULL)
			continue;
		if (a.toks->len > 0)
			statement(p, &a);
		g_array_free(a.toks, TRUE);
		replace(&a.what, NULL);
	}
	if (ferror(fp))
		perr(p, "%s", g_strerror(errno));
	free(line);
}

static FILE *
open_file(struct parser *p, const char *path, const char *inc,
    struct stat *st)
{
	FILE *fp = fopen(path, "r");
	int err;

	if (fp == NULL)
		err = errno;
	else if (fstat(fileno(fp), st) == -1)
		err = errno;
	else if (S_ISDIR(st->st_mode))
		err = EISDIR;
	else
		return fp;
	if (fp != NULL)
		fclose(fp);
	if (inc != NULL)
		perr(p, "include \"%s\": %s", inc, g_strerror(err));
	else
		perr_at(p, path, 0, "%s", g_strerror(err));
	return NULL;
}

/* Is the file st being read already?  Then report the chain. */
static bool
in_loop(struct parser *p, const struct stat *st, const char *path,
    const char *inc)
{
	GString *chain;
	guint i;

	for (i = 0; i < p->stack->len; i++) {
		const struct frame *f = &g_array_index(p->stack, struct frame, i);

		if (f->dev == st->st_dev && f->ino == st->st_ino)
			break;
	}
	if (i == p->stack->len)
		return false;
	chain = g_string_new(NULL);
	for (; i < p->stack->len; i++)
		g_string_append_printf(chain, "%s -> ",
		    g_array_index(p->stack, struct frame, i).file);
	g_string_append(chain, path);
	perr(p, "include \"%s\": include loop: %s", inc, chain->str);
	g_string_free(chain, TRUE);
	return true;
}

/* Read path; inc is the name it was included as (NULL at the top). */
/* What a config file was when it was read, for conf_changed(). */
struct conf_stamp {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

struct conf_stamps {
	size_t		 n;
	struct conf_stamp v[];
};

static void
stamp_add(struct conf *c, const struct stat *st)
{
	size_t n = c->stamps != NULL ? c->stamps->n : 0;

	c->stamps = g_realloc(c->stamps, sizeof(*c->stamps) +
	    (n + 1) * sizeof(c->stamps->v[0]));
	c->stamps->n = n + 1;
	c->stamps->v[n] = (struct conf_stamp){ .dev = st->st_dev,
	    .ino = st->st_ino, .size = st->st_size, .mtime = st->st_mtim };
}

bool
conf_changed(const struct conf *c)
{
	struct stat st;

	for (size_t i = 0; c->stamps != NULL && i < c->stamps->n &&
	    c->files[i] != NULL; i++) {
		const struct conf_stamp *o = &c->stamps->v[i];

		if (stat(c->files[i], &st) == -1 || st.st_dev != o->dev ||
		    st.st_ino != o->ino || st.st_size != o->size ||
		    st.st_mtim.tv_sec != o->mtime.tv_sec ||
		    st.st_mtim.tv_nsec != o->mtime.tv_nsec)
			return true;
	}
	return false;
}

static void
parse_file(struct parser *p, const char *path, const char *inc)
{
	const char *file = p->file;
	char *dir = p->dir, *absdir = p->absdir;
	unsigned line = p->line;
	struct frame f;
	struct stat st;
	FILE *fp;

	if ((fp = open_file(p, path, inc, &st)) == NULL)
		return;
	if (inc != NULL && in_loop(p, &st, path, inc)) {
		fclose(fp);
		return;
	}
	p->file = g_strdup(path);
	g_ptr_array_add(p->files, (char *)p->file);
	stamp_add(p->conf, &st);
	p->dir = g_path_get_dirname(path);
	p->absdir = g_canonicalize_filename(p->dir, NULL);
	p->line = 0;
	f = (struct frame){ .dev = st.st_dev, .ino = st.st_ino,
	    .file = p->file };
	g_array_append_val(p->stack, f);
	parse_stream(p, fp);
	if (p->queue != NULL)
		block_close(p, true);
	g_array_set_size(p->stack, p->stack->len - 1);
	fclose(fp);
	g_free(p->dir);
	g_free(p->absdir);
	p->file = file;
	p->dir = dir;
	p->absdir = absdir;
	p->line = line;
}

/* Loading. */

static void
parser_init(struct parser *p)
{
	*p = (struct parser){
		.conf = conf_default(),
		.queues = g_ptr_array_new(),
		.agents = g_ptr_array_new(),
		.imaps = g_ptr_array_new(),
		.files = g_ptr_array_new_with_free_func(g_free),
		.stack = g_array_new(FALSE, FALSE, sizeof(struct frame)),
		.errors = g_ptr_array_new_with_free_func(g_free),
	};
	replace(&p->conf->hostname, NULL);
}

static void
parser_clear(struct parser *p)
{
	g_ptr_array_free(p->queues, TRUE);
	g_ptr_array_free(p->agents, TRUE);
	g_ptr_array_free(p->imaps, TRUE);
	g_array_free(p->stack, TRUE);
	g_ptr_array_free(p->errors, TRUE);
}

/* Moves what was parsed into the config's arrays. */
static void
move_lists(struct parser *p)
{
	struct conf *c = p->conf;

	c->nqueues = p->queues->len;
	c->queues = g_new0(struct conf_queue, c->nqueues);
	for (size_t i = 0; i < c->nqueues; i++) {
		c->queues[i] = *(struct conf_queue *)p->queues->pdata[i];
		g_free(p->queues->pdata[i]);
	}
	g_ptr_array_set_size(p->queues, 0);
	c->nagents = p->agents->len;
	c->agents = g_new0(struct conf_agent, c->nagents);
	for (size_t i = 0; i < c->nagents; i++) {
		c->agents[i] = *(struct conf_agent *)p->agents->pdata[i];
		g_free(p->agents->pdata[i]);
	}
	g_ptr_array_set_size(p->agents, 0);
	c->nimaps = p->imaps->len;
	c->imaps = g_new0(struct conf_imap, c->nimaps);
	for (size_t i = 0; i < c->nimaps; i++) {
		c->imaps[i] = *(struct conf_imap *)p->imaps->pdata[i];
		g_free(p->imaps->pdata[i]);
	}
	g_ptr_array_set_size(p->imaps, 0);
	g_ptr_array_add(p->files, NULL);
	g_strfreev(c->files);
	c->files = (char **)g_ptr_array_free(p->files, FALSE);
	p->files = NULL;
}

/* Agents may name queues defined after them: checked at the end. */
static void
check_agents(struct parser *p)
{
	const struct conf *c = p->conf;

	for (size_t i = 0; i < c->nagents; i++) {
		const struct conf_agent *ag = &c->agents[i];
		const struct conf_queue *q;

		for (char **n = ag->queues; *n != NULL; n++)
			if (conf_queue_by_name(c, *n) == NULL)
				perr_at(p, ag->file, ag->line, "agent \"%s\": "
				    "unknown queue \"%s\"", ag->address, *n);
		q = conf_queue_by_address(c, ag->address, NULL);
		if (q != NULL)
			perr_at(p, ag->file, ag->line, "agent \"%s\": that is "
			    "the address of queue \"%s\"", ag->address, q->name);
	}
}

static void
finish(struct parser *p)
{
	struct conf *c = p->conf;
	const char *at = NULL;

	move_lists(p);
	check_agents(p);
	check_imaps(p);
	if (p->trust_file != NULL && c->trusted_authserv == NULL)
		perr_at(p, p->trust_file, p->trust_line, "trust-authres-domain "
		    "needs trusted-authserv-id: whose Authentication-Results "
		    "to trust");
	if (p->dmarc_file != NULL && c->trusted_authserv == NULL)
		perr_at(p, p->dmarc_file, p->dmarc_line, "require-dmarc-pass "
		    "needs trusted-authserv-id: whose Authentication-Results "
		    "to trust");
	if (c->nqueues > 0)
		at = strchr(c->queues[0].address, '@');
	if (c->hostname == NULL)
		c->hostname = g_strdup(at != NULL ? at + 1 : "localhost");
}

static void
report(struct parser *p, struct conf_diag *diag)
{
	if (p->errors->len == 0)
		return;
	if (diag == NULL) {
		for (guint i = 0; i < p->errors->len; i++)
			log_warnx("%s", (const char *)p->errors->pdata[i]);
		return;
	}
	diag->lines = g_renew(char *, diag->lines,
	    diag->n + p->errors->len + 1);
	for (guint i = 0; i < p->errors->len; i++)
		diag->lines[diag->n++] = g_strdup(p->errors->pdata[i]);
	diag->lines[diag->n] = NULL;
}

struct conf *
conf_load(const char *path, struct conf_diag *diag)
{
	struct parser p;
	struct conf *c;

	parser_init(&p);
	replace(&p.conf->path, g_strdup(path));
	parse_file(&p, path, NULL);
	finish(&p);
	c = p.conf;
	report(&p, diag);
	if (p.errors->len > 0) {
		conf_free(c);
		c = NULL;
	}
	parser_clear(&p);
	return c;
}

struct conf *
conf_default(void)
{
	struct conf *c = g_new0(struct conf, 1);

	c->path = g_strdup("");
	c->database = g_strdup(DEFAULT_DATABASE);
	c->secret = g_strdup(DEFAULT_SECRET);
	c->hostname = g_strdup("localhost");
	transport_init(&c->transport, CONF_TRANSPORT_FILE);
	c->limits = (struct conf_limits){
		.message_size = 50 * 1024 * 1024,
		.header_size = 1024 * 1024,
		.mime_depth = 20,
		.parts = 500,
		.attempts = 5,
		.parse_time = 30,
		.memory = (uint64_t)4 << 30,
		.ack_per_address = 5,
		.ack_per_hour = 200,
		.notify_per_hour = 2000,
		.send_max_age = 2 * 86400,
		.busy_timeout = 30000,
		.participants = 20,
	};
	c->relay_hold = DEFAULT_RELAY_HOLD;
	c->new_ticket_cc = CONF_CC_ACCEPT;
	c->charsets = strv_empty();
	c->trust_authres_domains = strv_empty();
	c->files = strv_empty();
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	g_free(c->path);
	g_free(c->database);
	g_free(c->secret);
	g_free(c->hostname);
	g_free(c->trusted_authserv);
	g_strfreev(c->trust_authres_domains);
	g_free(c->templates);
	g_free(c->postdesk_path);
	for (size_t i = 0; i < c->nqueues; i++)
		queue_clear(&c->queues[i]);
	g_free(c->queues);
	for (size_t i = 0; i < c->nagents; i++)
		agent_clear(&c->agents[i]);
	g_free(c->agents);
	for (size_t i = 0; i < c->nimaps; i++)
		conf_imap_clear(&c->imaps[i]);
	g_free(c->imaps);
	transport_clear(&c->transport);
	g_strfreev(c->charsets);
	filters_clear(c->filters, c->nfilters);
	g_strfreev(c->files);
	g_free(c->stamps);
	g_free(c);
}

struct conf *
conf_load_logged(const char *path)
{
	struct conf_diag diag = { 0 };
	struct conf *cf = conf_load(path, &diag);

	for (size_t i = 0; i < diag.n; i++)
		log_warnx("%s", diag.lines[i]);
	conf_diag_clear(&diag);
	return cf;
}

void
conf_diag_clear(struct conf_diag *diag)
{
	if (diag == NULL)
		return;
	for (size_t i = 0; i < diag->n; i++)
		g_free(diag->lines[i]);
	g_free(diag->lines);
	diag->lines = NULL;
	diag->n = 0;
}

/* Lookups. */

const struct conf_queue *
conf_queue_by_address(const struct conf *c, const char *addr,
    bool *is_comment)
{
	char *base = address_base(addr);
	const struct conf_queue *found = NULL;
	bool comment = false;

	for (size_t i = 0; i < c->nqueues && found == NULL; i++) {
		const struct conf_queue *q = &c->queues[i];

		if (g_ascii_strcasecmp(q->address, base) == 0)
			found = q;
		else if (*q->comment_address != '\0' &&
		    g_ascii_strcasecmp(q->comment_address, base) == 0) {
			found = q;
			comment = true;
		}
	}
	g_free(base);
	if (found != NULL && is_comment != NULL)
		*is_comment = comment;
	return found;
}

bool
conf_is_our_address(const struct conf *c, const char *addr)
{
	const char *at = strrchr(addr, '@');

	if (conf_queue_by_address(c, addr, NULL) != NULL)
		return true;
	if (at == NULL || g_ascii_strncasecmp(addr, "bounce+", 7) != 0)
		return false;
	for (size_t i = 0; i < c->nqueues; i++) {
		const char *qat = strrchr(c->queues[i].address, '@');

		if (qat != NULL && g_ascii_strcasecmp(qat, at) == 0)
			return true;
	}
	return g_ascii_strcasecmp(at + 1, c->hostname) == 0;
}

const struct conf_imap *
conf_imap_by_name(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nimaps; i++)
		if (strcmp(c->imaps[i].name, name) == 0)
			return &c->imaps[i];
	return NULL;
}

const struct conf_queue *
conf_queue_by_name(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->nqueues; i++)
		if (strcmp(c->queues[i].name, name) == 0)
			return &c->queues[i];
	return NULL;
}

enum conf_new_cc
conf_new_ticket_cc(const struct conf *c, const struct conf_queue *q)
{
	if (q != NULL && q->new_ticket_cc != CONF_CC_INHERIT)
		return q->new_ticket_cc;
	return c->new_ticket_cc;
}

static bool
local_part_is(const char *address, const char *who)
{
	const char *at = strchr(address, '@');
	size_t len = strlen(who);

	return at != NULL && (size_t)(at - address) == len &&
	    g_ascii_strncasecmp(address, who, len) == 0;
}

const struct conf_agent *
conf_agent_by_address(const struct conf *c, const char *address)
{
	if (address == NULL || *address == '\0')
		return NULL;
	for (size_t i = 0; i < c->nagents; i++)
		if (g_ascii_strcasecmp(c->agents[i].address, address) == 0)
			return &c->agents[i];
	return NULL;
}

const struct conf_agent *
conf_agent_find(const struct conf *c, const char *who)
{
	const struct conf_agent *found = NULL;

	if (*who == '\0')
		return NULL;
	for (size_t i = 0; i < c->nagents; i++)
		if (g_ascii_strcasecmp(c->agents[i].address, who) == 0)
			return &c->agents[i];
	for (size_t i = 0; i < c->nagents; i++)
		if (g_ascii_strcasecmp(c->agents[i].handle, who) == 0)
			return &c->agents[i];
	if (strchr(who, '@') != NULL)
		return NULL;
	for (size_t i = 0; i < c->nagents; i++) {
		if (!local_part_is(c->agents[i].address, who))
			continue;
		if (found != NULL)
			return NULL;	/* ambiguous */
		found = &c->agents[i];
	}
	return found;
}

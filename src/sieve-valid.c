/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "sieve-priv.h"

/*
 * The Sieve validator: checks the syntax tree against the commands,
 * tests and tagged arguments postdesk knows, with their argument types
 * and the extensions they need, and compiles it into the typed tree the
 * evaluator runs (regexes compiled here, once).  Every error is
 * reported; the script is usable only when there was none.
 */

enum cap {
	CAP_ENVELOPE	= 1u << 0,
	CAP_BODY	= 1u << 1,
	CAP_REGEX	= 1u << 2,
	CAP_REJECT	= 1u << 3,
	CAP_POSTDESK	= 1u << 4,
};

static const struct {
	const char	*name;
	unsigned	 bit;		/* 0: always there */
} caps[] = {
	{ "envelope",			CAP_ENVELOPE },
	{ "body",			CAP_BODY },
	{ "regex",			CAP_REGEX },
	{ "reject",			CAP_REJECT },
	{ "vnd.postdesk",		CAP_POSTDESK },
	{ "comparator-i;octet",		0 },
	{ "comparator-i;ascii-casemap",	0 },
};

struct validator {
	struct sv_diag		*d;
	unsigned		 caps;
	bool			 past_require;
	struct sieve_script	*s;
};

typedef bool arg_check_fn(const char *);

struct cmd_def {
	const char		*name;
	enum sieve_action_kind	 act;
	unsigned		 cap;	/* any of these bits; 0 = core */
	bool			 has_arg;
	arg_check_fn		*check;
	const char		*want;	/* what check wants */
};

static bool
name_ok(const char *s)
{
	return conf_chars_ok(s, "-_.");
}

static bool
one_of(const char *s, const char *const *v)
{
	for (; *v != NULL; v++)
		if (strcmp(s, *v) == 0)
			return true;
	return false;
}

static bool
priority_ok(const char *s)
{
	static const char *const v[] = { "low", "normal", "high", "urgent",
	    NULL };

	return one_of(s, v);
}

static bool
status_ok(const char *s)
{
	static const char *const v[] = { "new", "open", "pending",
	    "resolved", "closed", NULL };

	return one_of(s, v);
}

/* One line of printable text. */
static bool
text_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool
address_ok(const char *s)
{
	const char *at = strchr(s, '@');

	if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || strchr("<>()[],;:\"\\", *s))
			return false;
	return true;
}

static bool
reason_ok(const char *s)
{
	return *s != '\0';
}

static const struct cmd_def cmd_defs[] = {
	{ "keep", SIEVE_ACT_KEEP, 0, false, NULL, NULL },
	{ "discard", SIEVE_ACT_DISCARD, 0, false, NULL, NULL },
	{ "reject", SIEVE_ACT_REJECT, CAP_REJECT | CAP_POSTDESK, true,
	    reason_ok, "a reason" },
	{ "queue", SIEVE_ACT_QUEUE, CAP_POSTDESK, true, name_ok,
	    "a queue name (letters, digits, \"-\", \"_\", \".\")" },
	{ "priority", SIEVE_ACT_PRIORITY, CAP_POSTDESK, true, priority_ok,
	    "low, normal, high or urgent" },
	{ "assign", SIEVE_ACT_ASSIGN, CAP_POSTDESK, true, text_ok,
	    "an agent address or handle" },
	{ "addtag", SIEVE_ACT_ADDTAG, CAP_POSTDESK, true, text_ok,
	    "a tag on one line" },
	{ "status", SIEVE_ACT_STATUS, CAP_POSTDESK, true, status_ok,
	    "new, open, pending, resolved or closed" },
	{ "noack", SIEVE_ACT_NOACK, CAP_POSTDESK, false, NULL, NULL },
	{ "reply", SIEVE_ACT_REPLY, CAP_POSTDESK, true, name_ok,
	    "a template name (letters, digits, \"-\", \"_\", \".\")" },
	{ "notify", SIEVE_ACT_NOTIFY, CAP_POSTDESK, true, address_ok,
	    "an email address" },
};

static const char *
cap_name(unsigned bits)
{
	for (size_t i = G_N_ELEMENTS(caps); i-- > 0;)
		if (caps[i].bit != 0 && (bits & caps[i].bit))
			return caps[i].name;
	return "";
}

/* Is the extension for bits (any of them) required?  Else an error. */
static bool
need_cap(struct validator *v, unsigned bits, const char *what,
    unsigned line, unsigned col)
{
	if (bits == 0 || (v->caps & bits) != 0)
		return true;
	sv_error(v->d, line, col, "%s needs require \"%s\"", what,
	    cap_name(bits));
	return false;
}

/* require <capabilities: string-list> */
static void
v_require(struct validator *v, const struct sv_node *n, bool top)
{
	const struct sv_arg *a;

	if (!top || v->past_require) {
		sv_error(v->d, n->line, n->col, "require: only allowed at the "
		    "top of the script, before other commands");
		return;
	}
	if (n->nargs != 1 || n->ntests > 0 || n->block != NULL ||
	    (a = &n->args[0])->kind !=
	    SV_ARG_STRINGS) {
		sv_error(v->d, n->line, n->col, "require: expected one string "
		    "list of extensions");
		return;
	}
	for (guint i = 0; i < a->nstrs; i++) {
		const struct sv_str *s = &a->strs[i];
		size_t k;

		for (k = 0; k < G_N_ELEMENTS(caps); k++)
			if (strcmp(caps[k].name, s->s) == 0)
				break;
		if (k == G_N_ELEMENTS(caps))
			sv_error(v->d, s->line, s->col, "require: unsupported "
			    "extension \"%s\"", s->s);
		else
			v->caps |= caps[k].bit;
	}
}

static const char *
arg_kind_name(const struct sv_arg *a)
{
	switch (a->kind) {
	case SV_ARG_TAG:
		return "a tagged argument";
	case SV_ARG_NUMBER:
		return "a number";
	case SV_ARG_STRINGS:
		return a->is_list ? "a string list" : "a string";
	}
	return "?";
}

static struct sv_test *v_test(struct validator *, const struct sv_node *);
static struct sv_cmd **v_block(struct validator *, GPtrArray *, bool top,
    size_t *n);

/* A command with no test and no block, and one string argument when
 * def->has_arg. */
static bool
v_action_args(struct validator *v, const struct sv_node *n,
    const struct cmd_def *def)
{
	guint want = def->has_arg ? 1 : 0;
	const struct sv_arg *a;

	if (n->ntests > 0) {
		const struct sv_node *t = n->tests[0];

		sv_error(v->d, t->line, t->col, "%s: unexpected test \"%s\" "
		    "(missing \";\"?)", n->name, t->name);
		return false;
	}
	if (n->block != NULL) {
		sv_error(v->d, n->line, n->col, "%s: takes no block", n->name);
		return false;
	}
	for (guint i = 0; i < n->nargs; i++) {
		a = &n->args[i];
		if (a->kind == SV_ARG_TAG)
			sv_error(v->d, a->line, a->col, "%s: unknown tagged "
			    "argument \":%s\"", n->name, a->tag);
		else if (i >= want && want == 0)
			sv_error(v->d, a->line, a->col, "%s: takes no argument, "
			    "found %s", n->name, arg_kind_name(a));
		else if (i >= want)
			sv_error(v->d, a->line, a->col, "%s: takes one "
			    "argument, found another: %s", n->name,
			    arg_kind_name(a));
		else if (a->kind != SV_ARG_STRINGS || a->is_list)
			sv_error(v->d, a->line, a->col, "%s: expected a string, "
			    "found %s", n->name, arg_kind_name(a));
		else
			continue;
		return false;
	}
	if (n->nargs < want) {
		sv_error(v->d, n->line, n->col, "%s: expected %s", n->name,
		    def->want);
		return false;
	}
	return true;
}

static struct sv_cmd *
cmd_new(enum sv_cmd_kind kind, const struct sv_node *n)
{
	struct sv_cmd *c = g_new0(struct sv_cmd, 1);

	c->kind = kind;
	c->line = n->line;
	c->col = n->col;
	return c;
}

static struct sv_cmd *
v_action(struct validator *v, const struct sv_node *n,
    const struct cmd_def *def)
{
	struct sieve_action act = { .kind = def->act, .file = v->s->name,
	    .line = n->line, .col = n->col };
	const struct sv_str *s;
	struct sv_cmd *c;

	if (!need_cap(v, def->cap, n->name, n->line, n->col) ||
	    !v_action_args(v, n, def))
		return NULL;
	if (def->has_arg) {
		s = &n->args[0].strs[0];
		if (!def->check(s->s)) {
			sv_error(v->d, s->line, s->col, "%s: expected %s, not "
			    "\"%s\"", n->name, def->want, s->s);
			return NULL;
		}
		act.arg = s->s;
	}
	c = cmd_new(SV_C_ACTION, n);
	c->action = v->s->actions->len;
	g_array_append_val(v->s->actions, act);
	return c;
}

static struct sv_cmd *
v_stop(struct validator *v, const struct sv_node *n)
{
	static const struct cmd_def def = { "stop", 0, 0, false, NULL,
	    NULL };

	if (!v_action_args(v, n, &def))
		return NULL;
	return cmd_new(SV_C_STOP, n);
}

/* if/elsif: a test and a block; else: a block only. */
static struct sv_cmd *
v_branch(struct validator *v, const struct sv_node *n, bool is_else)
{
	struct sv_cmd *c = cmd_new(SV_C_IF, n);
	bool ok = true;

	if (n->nargs > 0) {
		const struct sv_arg *a = &n->args[0];

		sv_error(v->d, a->line, a->col, "%s: takes no argument, "
		    "found %s", n->name, arg_kind_name(a));
		ok = false;
	} else if (is_else && n->ntests > 0) {
		const struct sv_node *t = n->tests[0];

		sv_error(v->d, t->line, t->col, "else: takes no test (use "
		    "elsif)");
		ok = false;
	} else if (!is_else && (n->ntests != 1 || n->test_list)) {
		sv_error(v->d, n->line, n->col, "%s: expected one test",
		    n->name);
		ok = false;
	} else if (!is_else && (c->test = v_test(v, n->tests[0])) ==
	    NULL)
		ok = false;
	if (n->block == NULL) {
		sv_error(v->d, n->line, n->col, "%s: expected a block",
		    n->name);
		ok = false;
	} else
		c->block = v_block(v, n->block, false, &c->nblock);
	if (!ok) {
		sv_cmd_free(c);
		return NULL;
	}
	return c;
}

/* "if" and the elsif/else nodes that follow it from nodes[*i + 1]. */
static struct sv_cmd *
v_if(struct validator *v, GPtrArray *nodes, guint *i)
{
	struct sv_cmd *first = v_branch(v, nodes->pdata[*i], false);
	struct sv_cmd **tail = first != NULL ? &first->next : NULL;

	while (*i + 1 < nodes->len) {
		const struct sv_node *n = nodes->pdata[*i + 1];
		bool is_else = strcmp(n->name, "else") == 0;
		struct sv_cmd *c;

		if (!is_else && strcmp(n->name, "elsif") != 0)
			break;
		(*i)++;
		c = v_branch(v, n, is_else);
		if (tail != NULL && c != NULL) {
			*tail = c;
			tail = &c->next;
		} else
			sv_cmd_free(c);
		if (is_else)
			break;
	}
	return first;
}

static const struct cmd_def *
cmd_def_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(cmd_defs); i++)
		if (strcmp(cmd_defs[i].name, name) == 0)
			return &cmd_defs[i];
	return NULL;
}

/* One command at nodes[*i] (an if takes its elsif/else along). */
static struct sv_cmd *
v_command(struct validator *v, GPtrArray *nodes, guint *i, bool top)
{
	const struct sv_node *n = nodes->pdata[*i];
	const struct cmd_def *def;

	if (strcmp(n->name, "require") == 0) {
		v_require(v, n, top);
		return NULL;
	}
	v->past_require = true;
	if (strcmp(n->name, "if") == 0)
		return v_if(v, nodes, i);
	if (strcmp(n->name, "elsif") == 0 || strcmp(n->name, "else") == 0) {
		sv_error(v->d, n->line, n->col, "%s without if", n->name);
		return NULL;
	}
	if (strcmp(n->name, "stop") == 0)
		return v_stop(v, n);
	if ((def = cmd_def_find(n->name)) != NULL)
		return v_action(v, n, def);
	sv_error(v->d, n->line, n->col, "unknown command \"%s\"", n->name);
	return NULL;
}

static struct sv_cmd **
v_block(struct validator *v, GPtrArray *nodes, bool top, size_t *n)
{
	GPtrArray *out = g_ptr_array_new();
	struct sv_cmd *c;

	for (guint i = 0; i < nodes->len && !sv_too_many(v->d); i++)
		if ((c = v_command(v, nodes, &i, top)) != NULL)
			g_ptr_array_add(out, c);
	*n = out->len;
	return (struct sv_cmd **)g_ptr_array_free(out, FALSE);
}

/* ---- tests ---- */

enum test_flags {
	TF_CMP		= 1u << 0,	/* :comparator */
	TF_MATCH	= 1u << 1,	/* :is :contains :matches :regex */
	TF_PART		= 1u << 2,	/* :all :localpart :domain */
	TF_SIZE		= 1u << 3,	/* :over :under */
	TF_BODY		= 1u << 4,	/* :text (:raw, :content refused) */
};

enum pos_kind { POS_NONE, POS_NAMES, POS_NAMES_KEYS, POS_KEYS, POS_NUMBER,
	POS_TESTS, POS_TEST };

static const struct test_def {
	const char		*name;
	enum sv_test_kind	 kind;
	unsigned		 cap;
	unsigned		 flags;
	enum pos_kind		 pos;
} test_defs[] = {
	{ "address", SV_T_ADDRESS, 0, TF_CMP | TF_MATCH | TF_PART,
	    POS_NAMES_KEYS },
	{ "header", SV_T_HEADER, 0, TF_CMP | TF_MATCH, POS_NAMES_KEYS },
	{ "envelope", SV_T_ENVELOPE, CAP_ENVELOPE, TF_CMP | TF_MATCH |
	    TF_PART, POS_NAMES_KEYS },
	{ "exists", SV_T_EXISTS, 0, 0, POS_NAMES },
	{ "size", SV_T_SIZE, 0, TF_SIZE, POS_NUMBER },
	{ "allof", SV_T_ALLOF, 0, 0, POS_TESTS },
	{ "anyof", SV_T_ANYOF, 0, 0, POS_TESTS },
	{ "not", SV_T_NOT, 0, 0, POS_TEST },
	{ "true", SV_T_TRUE, 0, 0, POS_NONE },
	{ "false", SV_T_FALSE, 0, 0, POS_NONE },
	{ "body", SV_T_BODY, CAP_BODY, TF_CMP | TF_MATCH | TF_BODY,
	    POS_KEYS },
	{ "new", SV_T_NEW, CAP_POSTDESK, 0, POS_NONE },
};

/* Tags already seen, to report repeats. */
struct tags_seen {
	bool		 cmp, match, part, size, body;
};

static void sv_test_free(struct sv_test *);

static bool
set_once(struct validator *v, const struct sv_node *n,
    const struct sv_arg *a, bool *seen, const char *what)
{
	if (*seen) {
		sv_error(v->d, a->line, a->col, "%s: more than one %s",
		    n->name, what);
		return false;
	}
	*seen = true;
	return true;
}

/* A match type tag: 1 taken, 0 not one, -1 error. */
static int
tag_match(struct validator *v, const struct sv_arg *a, struct sv_test *t)
{
	static const struct {
		const char	*tag;
		enum sv_match	 match;
	} m[] = {
		{ "is", SV_MATCH_IS }, { "contains", SV_MATCH_CONTAINS },
		{ "matches", SV_MATCH_MATCHES }, { "regex", SV_MATCH_REGEX },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(m); i++)
		if (strcmp(a->tag, m[i].tag) == 0) {
			t->match = m[i].match;
			if (m[i].match == SV_MATCH_REGEX && !need_cap(v,
			    CAP_REGEX, ":regex", a->line, a->col))
				return -1;
			return 1;
		}
	return 0;
}

/* :comparator "NAME": *i is the tag; the string follows it. */
static bool
tag_comparator(struct validator *v, const struct sv_node *n, guint *i,
    struct sv_test *t)
{
	const struct sv_arg *a = &n->args[*i];
	const struct sv_arg *s = NULL;
	const char *name;

	if (*i + 1 < n->nargs)
		s = &n->args[*i + 1];
	if (s == NULL || s->kind != SV_ARG_STRINGS || s->is_list) {
		sv_error(v->d, a->line, a->col, "%s: \":comparator\" needs a "
		    "comparator name", n->name);
		return false;
	}
	(*i)++;
	name = s->strs[0].s;
	if (g_ascii_strcasecmp(name, "i;ascii-casemap") == 0)
		t->cmp = SV_CMP_CASEMAP;
	else if (g_ascii_strcasecmp(name, "i;octet") == 0)
		t->cmp = SV_CMP_OCTET;
	else {
		sv_error(v->d, s->line, s->col, "%s: unknown comparator "
		    "\"%s\" (i;ascii-casemap, i;octet)", n->name, name);
		return false;
	}
	return true;
}

static bool
tag_part(const struct sv_arg *a, struct sv_test *t)
{
	if (strcmp(a->tag, "all") == 0)
		t->part = SV_PART_ALL;
	else if (strcmp(a->tag, "localpart") == 0)
		t->part = SV_PART_LOCAL;
	else if (strcmp(a->tag, "domain") == 0)
		t->part = SV_PART_DOMAIN;
	else
		return false;
	return true;
}

/* body's transforms: :text only (rules see the decoded text). */
static int
tag_body(struct validator *v, const struct sv_node *n, guint *i)
{
	const struct sv_arg *a = &n->args[*i];

	if (strcmp(a->tag, "text") == 0)
		return 1;
	if (strcmp(a->tag, "raw") == 0) {
		sv_error(v->d, a->line, a->col, "body: \":raw\" is not "
		    "supported: rules see the decoded text (use \":text\")");
		return -1;
	}
	if (strcmp(a->tag, "content") == 0) {
		sv_error(v->d, a->line, a->col, "body: \":content\" is not "
		    "supported: rules see the decoded text (use \":text\")");
		if (*i + 1 < n->nargs && n->args[*i + 1].kind ==
		    SV_ARG_STRINGS)
			(*i)++;
		return -1;
	}
	return 0;
}

/* One tagged argument at n->args[*i]: 1 taken, 0 unknown, -1 error. */
static int
v_tag(struct validator *v, const struct sv_node *n, guint *i,
    const struct test_def *def, struct sv_test *t, struct tags_seen *seen)
{
	const struct sv_arg *a = &n->args[*i];
	int r;

	if ((def->flags & TF_MATCH) && (r = tag_match(v, a, t)) != 0)
		return r == 1 && set_once(v, n, a, &seen->match,
		    "match type") ? 1 : -1;
	if ((def->flags & TF_CMP) && strcmp(a->tag, "comparator") == 0)
		return set_once(v, n, a, &seen->cmp, "comparator") &&
		    tag_comparator(v, n, i, t) ? 1 : -1;
	if ((def->flags & TF_PART) && tag_part(a, t))
		return set_once(v, n, a, &seen->part, "address part") ? 1 : -1;
	if ((def->flags & TF_SIZE) && (strcmp(a->tag, "over") == 0 ||
	    strcmp(a->tag, "under") == 0)) {
		t->over = strcmp(a->tag, "over") == 0;
		return set_once(v, n, a, &seen->size, ":over or :under") ?
		    1 : -1;
	}
	if ((def->flags & TF_BODY) && (r = tag_body(v, n, i)) != 0)
		return r == 1 && set_once(v, n, a, &seen->body,
		    "body transform") ? 1 : -1;
	return 0;
}

/* The strings of a (in the arena) as a NULL-ended array. */
static const char **
strs_dup(const struct sv_arg *a, size_t *n)
{
	const char **v = g_new0(const char *, a->nstrs + 1);

	for (guint i = 0; i < a->nstrs; i++)
		v[i] = a->strs[i].s;
	if (n != NULL)
		*n = a->nstrs;
	return v;
}

static bool
header_name_ok(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    *s == ':')
			return false;
	return true;
}

/* Headers the address test reads addresses from (RFC 5228 5.1). */
static bool
address_header(const char *s)
{
	static const char *const v[] = { "from", "to", "cc", "bcc",
	    "sender", "reply-to", "resent-from", "resent-to", "resent-cc",
	    "resent-bcc", "resent-sender", "resent-reply-to", "return-path",
	    "delivered-to", "x-original-to", "envelope-to", "errors-to",
	    "mail-followup-to", "mail-reply-to",
	    "disposition-notification-to", NULL };
	char *low = g_ascii_strdown(s, -1);
	bool ok = one_of(low, v);

	g_free(low);
	return ok;
}

static bool
v_names(struct validator *v, const struct sv_node *n,
    const struct sv_arg *a, enum sv_test_kind kind)
{
	bool ok = true;

	for (guint i = 0; i < a->nstrs; i++) {
		const struct sv_str *s = &a->strs[i];

		if (kind == SV_T_ENVELOPE && g_ascii_strcasecmp(s->s,
		    "from") != 0 && g_ascii_strcasecmp(s->s, "to") != 0)
			sv_error(v->d, s->line, s->col, "envelope: unsupported "
			    "envelope part \"%s\" (from, to)", s->s);
		else if (kind != SV_T_ENVELOPE && !header_name_ok(s->s))
			sv_error(v->d, s->line, s->col, "%s: bad header name "
			    "\"%s\"", n->name, s->s);
		else if (kind == SV_T_ADDRESS && !address_header(s->s))
			sv_error(v->d, s->line, s->col, "address: \"%s\" is not "
			    "an address header", s->s);
		else
			continue;
		ok = false;
	}
	return ok;
}

/* GRegex has no API for PCRE's match limit, but PCRE2 reads it from a
 * pattern's start (and only ever lowers it there). */
#define LIMIT_PREFIX	"(*LIMIT_MATCH=" G_STRINGIFY(SIEVE_REGEX_MATCH_LIMIT) ")"

/* GLib's message repeats the pattern, in its locale's quotes, and
 * counts LIMIT_PREFIX in the position: say it for the key alone. */
static void
regex_error(struct validator *v, const struct sv_node *n,
    const struct sv_str *s, const GError *err)
{
	const char *at = strstr(err->message, "at char ");
	const char *why;
	long pos;

	if (at == NULL || (why = strchr(at, ':')) == NULL) {
		sv_error(v->d, s->line, s->col, "%s: bad regex \"%s\": %s",
		    n->name, s->s, err->message);
		return;
	}
	pos = strtol(at + strlen("at char "), NULL, 10) -
	    (long)strlen(LIMIT_PREFIX);
	sv_error(v->d, s->line, s->col, "%s: bad regex \"%s\": at char %ld%s",
	    n->name, s->s, pos > 0 ? pos : 0, why);
}

static bool
v_regexes(struct validator *v, const struct sv_node *n,
    const struct sv_arg *a, struct sv_test *t)
{
	GRegexCompileFlags flags = t->cmp == SV_CMP_CASEMAP ?
	    G_REGEX_CASELESS : 0;
	GError *err = NULL;
	bool ok = true;
	char *pattern;

	/* No G_REGEX_OPTIMIZE: compiling must stay cheap for deliver. */
	t->re = g_new0(GRegex *, t->nkeys + 1);
	for (size_t i = 0; i < t->nkeys; i++) {
		pattern = g_strconcat(LIMIT_PREFIX, a->strs[i].s, NULL);
		t->re[i] = g_regex_new(pattern, flags, 0, &err);
		g_free(pattern);
		if (t->re[i] == NULL) {
			regex_error(v, n, &a->strs[i], err);
			g_clear_error(&err);
			ok = false;
		}
	}
	return ok;
}

static const char *
pos_want(enum pos_kind pos)
{
	switch (pos) {
	case POS_NAMES:
		return "a string list (header names)";
	case POS_NAMES_KEYS:
		return "two string lists (names, then keys)";
	case POS_KEYS:
		return "a string list (keys)";
	case POS_NUMBER:
		return "a number";
	default:
		return "no argument";
	}
}

/* A test's positional arguments: at most two are wanted. */
struct positional {
	const struct sv_arg	*v[2];		/* the first and the last */
	guint			 len;
};

/* The positional arguments (after the tags) into t. */
static bool
v_positional(struct validator *v, const struct sv_node *n,
    const struct test_def *def, const struct positional *pos,
    struct sv_test *t)
{
	guint want = def->pos == POS_NAMES_KEYS ? 2 : def->pos == POS_NAMES ||
	    def->pos == POS_KEYS || def->pos == POS_NUMBER ? 1 : 0;
	const struct sv_arg *keys = NULL;

	if (pos->len != want) {
		sv_error(v->d, n->line, n->col, "%s: expected %s, found %u "
		    "argument%s", n->name, pos_want(def->pos), pos->len,
		    pos->len == 1 ? "" : "s");
		return false;
	}
	for (guint i = 0; i < pos->len; i++) {
		const struct sv_arg *a = pos->v[i];
		bool num = def->pos == POS_NUMBER;

		if (num != (a->kind == SV_ARG_NUMBER)) {
			sv_error(v->d, a->line, a->col, "%s: expected %s, "
			    "found %s", n->name, num ? "a number" :
			    "a string list", arg_kind_name(a));
			return false;
		}
	}
	if (def->pos == POS_NUMBER)
		t->limit = pos->v[0]->num;
	if (def->pos == POS_NAMES || def->pos == POS_NAMES_KEYS) {
		if (!v_names(v, n, pos->v[0], def->kind))
			return false;
		t->names = strs_dup(pos->v[0], NULL);
	}
	if (def->pos == POS_NAMES_KEYS || def->pos == POS_KEYS) {
		keys = pos->v[pos->len - 1];
		t->keys = strs_dup(keys, &t->nkeys);
	}
	if (keys != NULL && t->match == SV_MATCH_REGEX)
		return v_regexes(v, n, keys, t);
	return true;
}

/* Tags and positional arguments of a test. */
static bool
v_test_args(struct validator *v, const struct sv_node *n,
    const struct test_def *def, struct sv_test *t)
{
	struct tags_seen seen = { 0 };
	struct positional pos = { .len = 0 };
	bool ok = true;
	int r;

	for (guint i = 0; i < n->nargs; i++) {
		struct sv_arg *a = &n->args[i];

		if (a->kind != SV_ARG_TAG) {
			pos.v[pos.len > 0] = a;
			pos.len++;
			continue;
		}
		if ((r = v_tag(v, n, &i, def, t, &seen)) == 0)
			sv_error(v->d, a->line, a->col, "%s: unknown tagged "
			    "argument \":%s\"", n->name, a->tag);
		if (r != 1)
			ok = false;
	}
	if (ok && def->kind == SV_T_SIZE && !seen.size) {
		sv_error(v->d, n->line, n->col, "size: expected \":over\" or "
		    "\":under\"");
		ok = false;
	}
	if (ok)
		ok = v_positional(v, n, def, &pos, t);
	return ok;
}

/* allof/anyof take a test list, not one; everything else no test. */
static bool
v_subtests(struct validator *v, const struct sv_node *n,
    const struct test_def *def, struct sv_test *t)
{
	bool ok = true;

	if (def->pos == POS_TESTS && (!n->test_list || n->ntests == 0)) {
		sv_error(v->d, n->line, n->col, "%s: expected a test list in "
		    "parentheses", n->name);
		return false;
	}
	if (def->pos == POS_TEST && (n->test_list || n->ntests != 1)) {
		sv_error(v->d, n->line, n->col, "not: expected one test");
		return false;
	}
	if (def->pos != POS_TESTS && def->pos != POS_TEST &&
	    n->ntests > 0) {
		sv_error(v->d, n->line, n->col, "%s: takes no test", n->name);
		return false;
	}
	t->sub = g_new0(struct sv_test *, n->ntests + 1);
	for (guint i = 0; i < n->ntests; i++)
		if ((t->sub[t->nsub++] = v_test(v, n->tests[i])) ==
		    NULL)
			ok = false;
	return ok;
}

static struct sv_test *
v_test(struct validator *v, const struct sv_node *n)
{
	const struct test_def *def = NULL;
	struct sv_test *t;
	bool ok;

	for (size_t i = 0; i < G_N_ELEMENTS(test_defs); i++)
		if (strcmp(test_defs[i].name, n->name) == 0)
			def = &test_defs[i];
	if (def == NULL) {
		sv_error(v->d, n->line, n->col, "unknown test \"%s\"",
		    n->name);
		return NULL;
	}
	if (!need_cap(v, def->cap, n->name, n->line, n->col))
		return NULL;
	t = g_new0(struct sv_test, 1);
	t->kind = def->kind;
	t->line = n->line;
	t->col = n->col;
	ok = v_test_args(v, n, def, t);
	if (ok || def->pos == POS_TESTS || def->pos == POS_TEST)
		ok = v_subtests(v, n, def, t) && ok;
	if (!ok) {
		sv_test_free(t);
		return NULL;
	}
	return t;
}

static void
sv_test_free(struct sv_test *t)
{
	if (t == NULL)
		return;
	g_free(t->names);
	g_free(t->keys);
	for (size_t i = 0; t->re != NULL && i < t->nkeys; i++)
		if (t->re[i] != NULL)
			g_regex_unref(t->re[i]);
	g_free(t->re);
	for (size_t i = 0; i < t->nsub; i++)
		sv_test_free(t->sub[i]);
	g_free(t->sub);
	g_free(t);
}

void
sv_cmd_free(struct sv_cmd *c)
{
	while (c != NULL) {
		struct sv_cmd *next = c->next;

		sv_test_free(c->test);
		for (size_t i = 0; i < c->nblock; i++)
			sv_cmd_free(c->block[i]);
		g_free(c->block);
		g_free(c);
		c = next;
	}
}

bool
sv_validate(GPtrArray *nodes, struct sieve_script *s, struct sv_diag *d)
{
	struct validator v = { .d = d, .s = s };
	unsigned before = d->n;

	s->cmds = v_block(&v, nodes, true, &s->ncmds);
	return d->n == before;
}

/* ---- the public face ---- */

struct sieve_script *
sieve_compile(const char *name, const char *text, size_t len,
    struct conf_diag *diag)
{
	struct sieve_script *s = g_new0(struct sieve_script, 1);
	struct sv_diag d = { .name = name, .out = diag };
	GArray *toks;
	GPtrArray *nodes;

	s->name = g_strdup(name);
	s->actions = g_array_new(FALSE, TRUE, sizeof(struct sieve_action));
	s->arena = g_string_chunk_new(len + 1);
	toks = sv_lex(text, len, s->arena, &d);
	nodes = sv_parse(toks, &d);
	sv_tokens_free(toks);
	if (nodes != NULL && d.n == 0)
		sv_validate(nodes, s, &d);
	if (nodes != NULL)
		g_ptr_array_free(nodes, TRUE);
	if (d.n > 0) {
		sieve_free(s);
		return NULL;
	}
	return s;
}

void
sieve_free(struct sieve_script *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ncmds; i++)
		sv_cmd_free(s->cmds[i]);
	g_free(s->cmds);
	g_array_free(s->actions, TRUE);
	g_string_chunk_free(s->arena);
	g_free(s->name);
	g_free(s);
}

const char *
sieve_name(const struct sieve_script *s)
{
	return s->name;
}

const struct sieve_action *
sieve_script_actions(const struct sieve_script *s, size_t *n)
{
	*n = s->actions->len;
	return (const struct sieve_action *)(void *)s->actions->data;
}

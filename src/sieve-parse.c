/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <glib.h>

#include "sieve-priv.h"

/*
 * The Sieve parser (RFC 5228 section 8.2), recursive descent over the
 * tokens into a syntax tree of commands and tests with their arguments.
 * It knows no command names: the validator does.  After a syntax error
 * it skips to the end of that command (its ";" or its block) and goes
 * on, so that one run reports every syntax error.
 */

struct parser {
	GArray		*toks;
	guint		 i;
	struct sv_diag	*d;
	unsigned	 depth;
	bool		 fatal;		/* nesting too deep: stop */
};

static GPtrArray *commands(struct parser *, bool in_block);
static struct sv_node *test(struct parser *);

static const struct sv_token *
cur(const struct parser *p)
{
	return &g_array_index(p->toks, struct sv_token, p->i);
}

static void
next(struct parser *p)
{
	if (cur(p)->kind != SV_TOK_EOF)
		p->i++;
}

/* "\"keep\"" for identifiers, tags and short strings, else the kind. */
static char *
describe(const struct sv_token *t)
{
	switch (t->kind) {
	case SV_TOK_IDENT:
		return g_strdup_printf("\"%s\"", t->text);
	case SV_TOK_TAG:
		return g_strdup_printf("\":%s\"", t->text);
	case SV_TOK_NUMBER:
		return g_strdup_printf("number %" G_GUINT64_FORMAT, t->num);
	case SV_TOK_STRING:
		if (strlen(t->text) <= 40 && strchr(t->text, '\n') == NULL)
			return g_strdup_printf("string \"%s\"", t->text);
		return g_strdup("a string");
	default:
		return g_strdup(sv_tok_name(t->kind));
	}
}

static void
expected(struct parser *p, const char *what)
{
	char *found = describe(cur(p));

	sv_error(p->d, cur(p)->line, cur(p)->col, "expected %s, found %s",
	    what, found);
	g_free(found);
}

/* One level deeper; false (reported once) past SV_MAX_DEPTH. */
static bool
enter(struct parser *p)
{
	if (++p->depth <= SV_MAX_DEPTH)
		return true;
	sv_error(p->d, cur(p)->line, cur(p)->col, "nesting too deep (more "
	    "than %d levels)", SV_MAX_DEPTH);
	p->fatal = true;
	return false;
}

void
sv_node_free(gpointer data)
{
	struct sv_node *n = data;

	if (n == NULL)
		return;
	for (guint i = 0; i < n->nargs; i++)
		g_free(n->args[i].strs);
	g_free(n->args);
	for (guint i = 0; i < n->ntests; i++)
		sv_node_free(n->tests[i]);
	g_free(n->tests);
	if (n->block != NULL)
		g_ptr_array_free(n->block, TRUE);
	g_free(n);
}

static struct sv_node *
node_new(const struct sv_token *t)
{
	struct sv_node *n = g_new0(struct sv_node, 1);

	n->name = t->text;
	n->line = t->line;
	n->col = t->col;
	return n;
}

/* Arrays grow in powers of two: one allocation for most. */
static bool
full(guint n)
{
	return n == 0 || (n & (n - 1)) == 0;
}

static void
strs_add(struct sv_arg *a, const struct sv_token *t)
{
	if (full(a->nstrs))
		a->strs = g_renew(struct sv_str, a->strs, a->nstrs > 0 ?
		    a->nstrs * 2 : 1);
	a->strs[a->nstrs++] = (struct sv_str){ .s = t->text,
	    .line = t->line, .col = t->col };
}

static void
args_add(struct sv_node *n, const struct sv_arg *a)
{
	if (full(n->nargs))
		n->args = g_renew(struct sv_arg, n->args, n->nargs > 0 ?
		    n->nargs * 2 : 4);
	n->args[n->nargs++] = *a;
}

static void
tests_add(struct sv_node *n, struct sv_node *t)
{
	if (full(n->ntests))
		n->tests = g_renew(struct sv_node *, n->tests, n->ntests > 0 ?
		    n->ntests * 2 : 1);
	n->tests[n->ntests++] = t;
}

/* "[" string *("," string) "]" */
static bool
string_list(struct parser *p, struct sv_arg *a)
{
	a->is_list = true;
	next(p);
	for (;;) {
		if (cur(p)->kind != SV_TOK_STRING) {
			expected(p, "a string in the list");
			return false;
		}
		strs_add(a, cur(p));
		next(p);
		if (cur(p)->kind == SV_TOK_RBRACKET) {
			next(p);
			return true;
		}
		if (cur(p)->kind != SV_TOK_COMMA) {
			expected(p, "\",\" or \"]\" in the string list");
			return false;
		}
		next(p);
	}
}

/* One argument at the cursor: 1 read, 0 none there, -1 error. */
static int
argument(struct parser *p, struct sv_node *n)
{
	const struct sv_token *t = cur(p);
	struct sv_arg a = { .line = t->line, .col = t->col };
	bool ok = true;

	switch (t->kind) {
	case SV_TOK_TAG:
		a.kind = SV_ARG_TAG;
		a.tag = t->text;
		next(p);
		break;
	case SV_TOK_NUMBER:
		a.kind = SV_ARG_NUMBER;
		a.num = t->num;
		next(p);
		break;
	case SV_TOK_STRING:
	case SV_TOK_LBRACKET:
		a.kind = SV_ARG_STRINGS;
		if (t->kind == SV_TOK_STRING) {
			strs_add(&a, t);
			next(p);
		} else
			ok = string_list(p, &a);
		break;
	default:
		return 0;
	}
	args_add(n, &a);
	return ok ? 1 : -1;
}

/* "(" test *("," test) ")" */
static bool
test_list(struct parser *p, struct sv_node *n)
{
	struct sv_node *t;

	n->test_list = true;
	next(p);
	for (;;) {
		if ((t = test(p)) == NULL)
			return false;
		tests_add(n, t);
		if (cur(p)->kind == SV_TOK_RPAREN) {
			next(p);
			return true;
		}
		if (cur(p)->kind != SV_TOK_COMMA) {
			expected(p, "\",\" or \")\" in the test list");
			return false;
		}
		next(p);
	}
}

/* arguments = *argument [ test / test-list ] */
static bool
arguments(struct parser *p, struct sv_node *n)
{
	struct sv_node *t;
	int r;

	while ((r = argument(p, n)) == 1)
		;
	if (r == -1)
		return false;
	if (cur(p)->kind == SV_TOK_LPAREN)
		return test_list(p, n);
	if (cur(p)->kind == SV_TOK_IDENT) {
		if ((t = test(p)) == NULL)
			return false;
		tests_add(n, t);
	}
	return true;
}

static struct sv_node *
test(struct parser *p)
{
	struct sv_node *n;
	bool ok;

	if (cur(p)->kind != SV_TOK_IDENT) {
		expected(p, "a test");
		return NULL;
	}
	if (!enter(p))
		return NULL;
	n = node_new(cur(p));
	next(p);
	ok = arguments(p, n);
	p->depth--;
	if (!ok) {
		sv_node_free(n);
		return NULL;
	}
	return n;
}

static bool
block(struct parser *p, struct sv_node *n)
{
	const struct sv_token *open = cur(p);
	unsigned line = open->line, col = open->col;

	if (!enter(p))
		return false;
	next(p);
	n->block = commands(p, true);
	p->depth--;
	if (p->fatal)
		return false;
	if (cur(p)->kind != SV_TOK_RBRACE) {
		sv_error(p->d, line, col, "missing \"}\" for this \"{\"");
		return true;
	}
	next(p);
	return true;
}

static struct sv_node *
command(struct parser *p)
{
	struct sv_node *n;
	char *what;

	if (cur(p)->kind != SV_TOK_IDENT) {
		expected(p, "a command");
		return NULL;
	}
	n = node_new(cur(p));
	next(p);
	if (!arguments(p, n))
		goto fail;
	if (cur(p)->kind == SV_TOK_SEMICOLON) {
		next(p);
		return n;
	}
	if (cur(p)->kind == SV_TOK_LBRACE) {
		if (!block(p, n))
			goto fail;
		return n;
	}
	what = g_strdup_printf("\";\" or \"{\" after \"%s\"", n->name);
	expected(p, what);
	g_free(what);
fail:
	sv_node_free(n);
	return NULL;
}

/* After an error: skip to the end of the command (past its ";" or its
 * block), or up to the "}" that closes the enclosing block. */
static void
recover(struct parser *p)
{
	unsigned depth = 0;

	for (;;) {
		switch (cur(p)->kind) {
		case SV_TOK_EOF:
			return;
		case SV_TOK_LBRACE:
			depth++;
			break;
		case SV_TOK_RBRACE:
			if (depth == 0)
				return;
			if (--depth == 0) {
				next(p);
				return;
			}
			break;
		case SV_TOK_SEMICOLON:
			if (depth == 0) {
				next(p);
				return;
			}
			break;
		default:
			break;
		}
		next(p);
	}
}

static GPtrArray *
commands(struct parser *p, bool in_block)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(sv_node_free);
	struct sv_node *n;
	guint before;

	while (cur(p)->kind != SV_TOK_EOF && !p->fatal &&
	    !sv_too_many(p->d)) {
		if (cur(p)->kind == SV_TOK_RBRACE) {
			if (in_block)
				break;
			sv_error(p->d, cur(p)->line, cur(p)->col,
			    "unexpected \"}\" (no block is open)");
			next(p);
			continue;
		}
		before = p->i;
		if ((n = command(p)) != NULL) {
			g_ptr_array_add(v, n);
			continue;
		}
		if (p->fatal)
			break;
		recover(p);
		if (p->i == before)
			next(p);
	}
	return v;
}

GPtrArray *
sv_parse(GArray *tokens, struct sv_diag *d)
{
	struct parser p = { .toks = tokens, .d = d };
	unsigned before = d->n;
	GPtrArray *v = commands(&p, false);

	if (d->n > before) {
		g_ptr_array_free(v, TRUE);
		return NULL;
	}
	return v;
}

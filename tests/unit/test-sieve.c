/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "filter.h"
#include "parse.h"
#include "sieve.h"
#include "tap.h"
#include "../../src/sieve-priv.h"

static const char base_msg[] =
    "From: Alice Example <alice@Customer.Example>\n"
    "To: Support <support@example.org>, bob@example.net\n"
    "Cc: \"Doe, Jane\" <jane@example.com>\n"
    "Sender: list-owner@lists.example\n"
    "Subject: Invoice 42 MAKE MONEY fast\n"
    "X-Spam-Flag: YES\n"
    "X-Empty:\n"
    "Resent-To: Group: one@r.example, two@r.example;\n"
    "Date: Wed, 25 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <m1@customer.example>\n"
    "\n"
    "Hello,\nplease see the attached invoice.\nБлагодаря!\n";

static struct msg *msg;

/* Compile src; NULL when it fails (the first error in *err, freed by
 * the caller, when err is given). */
static struct sieve_script *
compile(const char *src, char **err)
{
	struct conf_diag d = { 0 };
	struct sieve_script *s = sieve_compile("t.sieve", src, strlen(src),
	    &d);

	if (err != NULL)
		*err = d.n > 0 ? g_strdup(d.lines[0]) : NULL;
	conf_diag_clear(&d);
	return s;
}

/* All errors of src, one per line. */
static char *
errors(const char *src)
{
	struct conf_diag d = { 0 };
	struct sieve_script *s = sieve_compile("t.sieve", src, strlen(src),
	    &d);
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < d.n; i++)
		g_string_append_printf(out, "%s\n", d.lines[i]);
	conf_diag_clear(&d);
	sieve_free(s);
	return g_string_free(out, FALSE);
}

/* Run src on msg: the actions as "name arg; ..." with the disposition
 * first ("keep:", "discard:", "reject:", "error:"). */
static char *
run_env(const char *src, const char *from, const char *to, bool is_new,
    uint64_t budget)
{
	struct sieve_script *s;
	struct sieve_result r;
	struct sieve_view v;
	GString *out;
	char *err;

	if ((s = compile(src, &err)) == NULL) {
		out = g_string_new("compile: ");
		g_string_append(out, err);
		g_free(err);
		return g_string_free(out, FALSE);
	}
	filter_view(&v, msg, from, to, is_new);
	sieve_result_init(&r);
	r.budget = budget;
	sieve_eval(s, &v, &r);
	out = g_string_new(r.error != NULL ? "error" :
	    sieve_disposition_name(sieve_result_disposition(&r, NULL)));
	g_string_append_c(out, ':');
	for (size_t i = 0; i < r.nactions; i++) {
		char *t = filter_action_text(&r.actions[i]);

		g_string_append_printf(out, " %s;", t);
		g_free(t);
	}
	if (r.error != NULL)
		g_string_append_printf(out, " %s", r.error);
	sieve_result_clear(&r);
	sieve_free(s);
	return g_string_free(out, FALSE);
}

static char *
run(const char *src)
{
	return run_env(src, "alice@customer.example", "support@example.org",
	    true, 0);
}

#define is_run(src, want, name) do { \
	char *got_ = run(src); \
	is_str(got_, want, name); \
	g_free(got_); \
} while (0)

/* "keep:" when test holds, "discard:" when not. */
static void
is_test(const char *req, const char *test, bool want, const char *name)
{
	char *src = g_strdup_printf("require [%s];\nif %s { keep; } else "
	    "{ discard; }\n", req, test);
	char *got = run(src);

	is_str(got, want ? "keep: keep;" : "discard: discard;", name);
	g_free(got);
	g_free(src);
}

static void
test_lexer(void)
{
	struct sv_diag d = { .name = "t" };
	GStringChunk *arena = g_string_chunk_new(64);
	const char *src = "if :Is 10K \"a\\\"b\" text: # c\n.x\n..y\nz\n.\n"
	    "/* x */ [ ] ( ) { } , ; # end";
	GArray *t = sv_lex(src, strlen(src), arena, &d);
	const struct sv_token *v = (const struct sv_token *)(void *)t->data;

	is_int(d.n, 0, "lexer: no errors");
	is_int(t->len, 14, "lexer: token count");
	is_int(v[0].kind, SV_TOK_IDENT, "lexer: identifier");
	is_int(v[1].kind, SV_TOK_TAG, "lexer: tag");
	is_str(v[1].text, "is", "lexer: tags are lower-cased");
	is_int(v[2].num, 10240, "lexer: 10K is 10240");
	is_str(v[3].text, "a\"b", "lexer: quoted string escape");
	is_str(v[4].text, "x\n.y\nz\n", "lexer: text: with dot-stuffing");
	is_int(v[5].line, 6, "lexer: line after text:");
	is_int(v[5].col, 9, "lexer: column after a bracket comment");
	is_int(v[13].kind, SV_TOK_EOF, "lexer: ends with EOF");
	sv_tokens_free(t);

	src = "keep;\n  \"open\n";
	d.n = 0;
	t = sv_lex(src, strlen(src), arena, &d);
	is_int(d.n, 1, "lexer: unterminated string is an error");
	sv_tokens_free(t);
	g_string_chunk_free(arena);
}

static void
test_parser(void)
{
	struct sv_diag d = { .name = "t" };
	GStringChunk *arena = g_string_chunk_new(64);
	const char *src = "if anyof (not exists [\"From\", \"Date\"], "
	    "header :contains \"from\" \"fool\") { discard; } else { keep; }";
	GArray *t = sv_lex(src, strlen(src), arena, &d);
	GPtrArray *n = sv_parse(t, &d);
	const struct sv_node *top, *anyof;

	ok(n != NULL && n->len == 2, "parser: if and else");
	top = n->pdata[0];
	is_str(top->name, "if", "parser: command name");
	anyof = top->tests[0];
	ok(anyof->test_list && anyof->ntests == 2,
	    "parser: anyof has a test list of two");
	is_int(((struct sv_node *)anyof->tests[0])->ntests, 1,
	    "parser: not takes one test");
	ok(top->block != NULL && top->block->len == 1, "parser: block");
	g_ptr_array_free(n, TRUE);
	sv_tokens_free(t);
	g_string_chunk_free(arena);
}

static void
test_errors(void)
{
	char *e;

	e = errors("if true { keep; }\nfrob;\nif bogus { keep; }\n"
	    "if header :nope \"a\" \"b\" { keep; }\nqueue \"x\";\n");
	is_str(e, "t.sieve:2:1: unknown command \"frob\"\n"
	    "t.sieve:3:4: unknown test \"bogus\"\n"
	    "t.sieve:4:11: header: unknown tagged argument \":nope\"\n"
	    "t.sieve:5:1: queue needs require \"vnd.postdesk\"\n",
	    "errors: all semantic errors, with positions");
	g_free(e);
	e = errors("if size :over \"1\" { keep; }\n");
	is_str(e, "t.sieve:1:15: size: expected a number, found a string\n",
	    "errors: wrong argument type");
	g_free(e);
	e = errors("keep\ndiscard;\n");
	is_str(e, "t.sieve:2:1: keep: unexpected test \"discard\" (missing "
	    "\";\"?)\n", "errors: missing semicolon");
	g_free(e);
	e = errors("if true { keep; \nfoo;\n}}\n\"x\";\n");
	is_str(e, "t.sieve:3:2: unexpected \"}\" (no block is open)\n"
	    "t.sieve:4:1: expected a command, found string \"x\"\n",
	    "errors: every syntax error");
	g_free(e);
	e = errors("keep;\nrequire \"body\";\n");
	is_str(e, "t.sieve:2:1: require: only allowed at the top of the "
	    "script, before other commands\n", "errors: late require");
	g_free(e);
	e = errors("require [\"regex\"];\nif header :regex \"s\" \"(\" "
	    "{ keep; }\n");
	ok(g_str_has_prefix(e, "t.sieve:2:22: header: bad regex \"(\": at char 1: "),
	    "errors: bad regex at its key");
	g_free(e);
	e = errors("elsif true { keep; }\n");
	is_str(e, "t.sieve:1:1: elsif without if\n", "errors: elsif alone");
	g_free(e);
	e = errors("keep;\n\x01");
	is_str(e, "t.sieve:2:1: unexpected control character 0x01\n",
	    "errors: control character");
	g_free(e);
}

static void
test_nesting(void)
{
	GString *s = g_string_new(NULL);
	char *e;

	for (int i = 0; i < 100; i++)
		g_string_append(s, "if true {");
	e = errors(s->str);
	ok(strstr(e, "nesting too deep") != NULL, "deep nesting is an error");
	g_free(e);
	g_string_truncate(s, 0);
	g_string_append(s, "if ");
	for (int i = 0; i < 100000; i++)
		g_string_append(s, "not ");
	g_string_append(s, "true { keep; }");
	e = errors(s->str);
	ok(strstr(e, "nesting too deep") != NULL, "deep tests are an error "
	    "(no stack overflow)");
	g_free(e);
	g_string_free(s, TRUE);
}

static void
test_match_types(void)
{
	is_test("\"vnd.postdesk\"", "header :is \"subject\" "
	    "\"invoice 42 make money FAST\"", true, ":is casemap");
	is_test("\"vnd.postdesk\"", "header :is :comparator \"i;octet\" "
	    "\"subject\" \"invoice 42 make money fast\"", false, ":is octet");
	is_test("\"vnd.postdesk\"", "header :contains \"subject\" \"money\"",
	    true, ":contains casemap");
	is_test("\"vnd.postdesk\"", "header :contains :comparator \"i;octet\" "
	    "\"Subject\" \"MAKE MONEY FAST\"", false,
	    ":contains octet is case-sensitive (RFC 5228 2.7.3)");
	is_test("\"vnd.postdesk\"", "header :contains :comparator \"i;octet\" "
	    "\"Subject\" \"MAKE MONEY\"", true, ":contains octet matches");
	is_test("\"vnd.postdesk\"", "header :matches \"subject\" "
	    "\"*make*money*fast*\"", true, ":matches stars");
	is_test("\"vnd.postdesk\"", "header :matches \"subject\" "
	    "\"Invoice ?? *\"", true, ":matches question marks");
	is_test("\"vnd.postdesk\"", "header :matches \"subject\" \"Invoice\"",
	    false, ":matches is anchored");
	is_test("\"vnd.postdesk\"", "header :matches \"x-spam-flag\" "
	    "\"Y\\\\*S\"", false, ":matches escaped star is literal");
	is_test("\"regex\"", "header :regex \"subject\" \"^invoice [0-9]+\"",
	    true, ":regex casemap is caseless");
	is_test("\"regex\"", "header :regex :comparator \"i;octet\" "
	    "\"subject\" \"^invoice\"", false, ":regex octet is exact");
	is_test("\"body\"", "body :matches \"*благодаря*\"", false,
	    "casemap folds ASCII only (i;ascii-casemap)");
	is_test("\"body\"", "body :contains \"Благодаря\"", true,
	    "body :contains UTF-8");
	is_test("\"body\"", "body :text :contains \"ATTACHED INVOICE\"", true,
	    "body :text casemap");
	is_test("\"body\"", "body :matches \"?ello*\"", true,
	    ":matches ? over the body");
}

static void
test_addresses(void)
{
	is_test("\"vnd.postdesk\"", "address :is \"from\" "
	    "\"alice@customer.example\"", true, "address :all");
	is_test("\"vnd.postdesk\"", "address :localpart :is \"from\" \"ALICE\"",
	    true, "address :localpart");
	is_test("\"vnd.postdesk\"", "address :domain :is \"from\" "
	    "\"customer.example\"", true, "address :domain");
	is_test("\"vnd.postdesk\"", "address :domain :is \"to\" "
	    "\"example.net\"", true, "address over a list (To)");
	is_test("\"vnd.postdesk\"", "address :is \"cc\" \"jane@example.com\"",
	    true, "address with a comma in the name (Cc)");
	is_test("\"vnd.postdesk\"", "address :domain :is \"sender\" "
	    "\"lists.example\"", true, "address of another header (Sender)");
	is_test("\"vnd.postdesk\"", "address :localpart :is \"resent-to\" "
	    "\"two\"", true, "address in a group");
	is_test("\"vnd.postdesk\"", "address :is \"bcc\" \"x@y\"", false,
	    "address of a missing header");
	is_test("\"envelope\"", "envelope :domain :is \"from\" "
	    "\"customer.example\"", true, "envelope from :domain");
	is_test("\"envelope\"", "envelope :localpart :is \"to\" \"support\"",
	    true, "envelope to :localpart");
}

static void
test_tests(void)
{
	is_test("\"vnd.postdesk\"", "exists [\"From\", \"Date\"]", true,
	    "exists: both");
	is_test("\"vnd.postdesk\"", "exists [\"From\", \"X-Nope\"]", false,
	    "exists: one missing");
	is_test("\"vnd.postdesk\"", "header :is \"x-empty\" \"\"", true,
	    "header :is \"\" on an empty header");
	is_test("\"vnd.postdesk\"", "header :contains \"x-nope\" \"\"", false,
	    "header :contains \"\" on a missing header");
	is_test("\"vnd.postdesk\"", "size :under 1K", true, "size :under");
	is_test("\"vnd.postdesk\"", "size :over 1K", false, "size :over");
	is_test("\"vnd.postdesk\"", "allof (true, false)", false, "allof");
	is_test("\"vnd.postdesk\"", "allof (true, true)", true, "allof true");
	is_test("\"vnd.postdesk\"", "anyof (false, true)", true, "anyof");
	is_test("\"vnd.postdesk\"", "anyof (false, false)", false,
	    "anyof false");
	is_test("\"vnd.postdesk\"", "not false", true, "not");
	is_test("\"vnd.postdesk\"", "new", true, "new");
}

static void
test_actions(void)
{
	char *got;

	is_run("if true { discard; }", "discard: discard;",
	    "discard cancels the implicit keep");
	is_run("discard; keep;", "keep: discard; keep;",
	    "explicit keep after discard keeps");
	is_run("", "keep:", "no rules: implicit keep");
	is_run("require \"vnd.postdesk\"; queue \"billing\"; "
	    "priority \"high\"; addtag \"vip\"; addtag \"vip\"; noack; stop; "
	    "addtag \"never\";",
	    "keep: queue \"billing\"; priority \"high\"; addtag \"vip\"; noack;",
	    "ticket actions keep the implicit keep; repeats dropped; stop");
	is_run("require \"reject\"; reject \"go away\";",
	    "reject: reject \"go away\";", "reject");
	got = run("require \"reject\"; keep; reject \"no\";");
	is_str(got, "error: t.sieve:1:25: reject conflicts with keep at "
	    "t.sieve:1", "reject and keep conflict: runtime error");
	g_free(got);
	got = run_env("require \"vnd.postdesk\"; if new { noack; }",
	    NULL, NULL, false, 0);
	is_str(got, "keep:", "new is false for a follow-up");
	g_free(got);
	got = run_env("require \"envelope\"; if envelope :is \"from\" \"\" "
	    "{ discard; }", "", NULL, true, 0);
	is_str(got, "discard: discard;", "null envelope sender is \"\"");
	g_free(got);
}

static void
test_budget(void)
{
	GString *s = g_string_new("require \"vnd.postdesk\";\n");
	char *got;

	for (int i = 0; i < 200; i++)
		g_string_append(s, "if header :contains \"subject\" \"zzz\" "
		    "{ addtag \"x\"; }\n");
	g_string_append(s, "addtag \"last\";\n");
	got = run_env(s->str, NULL, NULL, true, 300);
	ok(g_str_has_prefix(got, "error: t.sieve:"), "budget: stops the run");
	ok(strstr(got, "step budget exceeded (300 steps)") != NULL,
	    "budget: the error says why");
	ok(strstr(got, "addtag") == NULL, "budget: no action is left");
	g_free(got);
	got = run_env(s->str, NULL, NULL, true, 0);
	is_str(got, "keep: addtag \"last\";", "budget: the default is enough");
	g_free(got);
	g_string_free(s, TRUE);
}

static void
test_regex_limit(void)
{
	struct msg *saved = msg;
	GString *raw = g_string_new("Subject: ");
	struct parse_opts po;
	char *got;

	for (int i = 0; i < 40; i++)
		g_string_append_c(raw, 'a');
	g_string_append(raw, "!\n\nbody\n");
	parse_opts_default(&po);
	msg = parse_message(raw->str, raw->len, &po);
	got = run("require [\"regex\", \"vnd.postdesk\"];\n"
	    "if header :regex \"subject\" \"^(a+)+$\" { addtag \"x\"; }\n");
	ok(g_str_has_prefix(got, "error: t.sieve:2:4: regex \"^(a+)+$\""),
	    "regex: catastrophic backtracking stops at the match limit");
	g_free(got);
	msg_free(msg);
	msg = saved;
	g_string_free(raw, TRUE);
}

static void
test_text(void)
{
	struct sieve_action a = { .kind = SIEVE_ACT_REJECT,
	    .arg = "say \"no\"\nnow", .file = "f.sieve", .line = 3 };
	char *t = filter_action_text(&a), *r = filter_action_rule(&a);

	is_str(t, "reject \"say \\\"no\\\"\\nnow\"", "action text quotes");
	is_str(r, "f.sieve:3", "action rule");
	g_free(t);
	g_free(r);
}

int
main(void)
{
	struct parse_opts po;

	parse_init();
	parse_opts_default(&po);
	msg = parse_message(base_msg, strlen(base_msg), &po);
	test_lexer();
	test_parser();
	test_errors();
	test_nesting();
	test_match_types();
	test_addresses();
	test_tests();
	test_actions();
	test_budget();
	test_regex_limit();
	test_text();
	msg_free(msg);
	return tap_done();
}

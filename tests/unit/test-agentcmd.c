/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "agentcmd.h"
#include "conf.h"
#include "tap.h"

static void
test_commands(void)
{
	struct agentcmd_list l;

	is_int(agentcmd_parse("#status resolved\n#Priority HIGH\n\n"
	    "#assign maria\n#queue billing\n#tag vip urgent-fix\n#untag new\n"
	    "#escalate\n#merge #0042\n\nHello Anna,\n\n#1 is fixed.\n", &l), 0,
	    "every command");
	is_int(l.n, 9, "nine commands (two tags)");
	ok(l.v[0].kind == AGENTCMD_STATUS && strcmp(l.v[0].arg,
	    "resolved") == 0 && l.v[0].line == 1, "#status resolved, line 1");
	ok(l.v[1].kind == AGENTCMD_PRIORITY && strcmp(l.v[1].arg, "high") == 0,
	    "#Priority HIGH: case-insensitive, lower-cased");
	ok(l.v[2].kind == AGENTCMD_ASSIGN && strcmp(l.v[2].arg, "maria") == 0 &&
	    l.v[2].line == 4, "#assign after a blank line, line 4");
	ok(l.v[3].kind == AGENTCMD_QUEUE && strcmp(l.v[3].arg, "billing") == 0,
	    "#queue");
	ok(l.v[4].kind == AGENTCMD_TAG && l.v[5].kind == AGENTCMD_TAG &&
	    strcmp(l.v[5].arg, "urgent-fix") == 0 && l.v[5].line == 6,
	    "#tag with two tags");
	ok(l.v[6].kind == AGENTCMD_UNTAG, "#untag");
	ok(l.v[7].kind == AGENTCMD_ESCALATE && *l.v[7].arg == '\0',
	    "#escalate");
	ok(l.v[8].kind == AGENTCMD_MERGE && strcmp(l.v[8].arg, "42") == 0,
	    "#merge #0042 is 42");
	is_str(l.body, "Hello Anna,\n\n#1 is fixed.\n",
	    "body without the commands and the blank line after them");
	ok(agentcmd_has(&l, AGENTCMD_ESCALATE) &&
	    !agentcmd_has(&l, AGENTCMD_COMMENT), "agentcmd_has");
	agentcmd_clear(&l);

	is_int(agentcmd_parse("#comment\nThe customer is angry.\n", &l), 0,
	    "#comment");
	ok(l.n == 1 && l.v[0].kind == AGENTCMD_COMMENT, "one comment");
	is_str(l.body, "The customer is angry.\n", "comment body");
	agentcmd_clear(&l);

	is_int(agentcmd_parse("\n\nHello,\n#status closed\n", &l), 0,
	    "no leading command");
	is_int(l.n, 0, "a command after text is text");
	is_str(l.body, "\n\nHello,\n#status closed\n", "body unchanged");
	agentcmd_clear(&l);

	is_int(agentcmd_parse("  #status pending  \r\n", &l), 0,
	    "commands only, CRLF and blanks");
	ok(l.n == 1 && strcmp(l.v[0].arg, "pending") == 0, "pending");
	is_str(l.body, "", "commands only: empty body");
	agentcmd_clear(&l);

	is_int(agentcmd_parse("##- Reply above this line -##\n# Heading\n",
	    &l), 0, "marker and # heading are text");
	is_int(l.n, 0, "no commands");
	agentcmd_clear(&l);

	is_int(agentcmd_parse("", &l), 0, "empty body");
	is_str(l.body, "", "empty body stays empty");
	agentcmd_clear(&l);
}

static void
test_errors(void)
{
	struct agentcmd_list l;
	char *text;

	is_int(agentcmd_parse("#status solved\n#priority\n#escalate now\n"
	    "#frobnicate\n#queue a b\n#merge 12x\n#merge 0\n#assign\n"
	    "#status open\n#status closed\n#tag\nThanks\n", &l), -1,
	    "errors: -1");
	is_int(l.nerrors, 10, "errors: ten");
	is_int(l.errors[0].line, 1, "errors: line 1");
	is_str(l.errors[0].text, "#status solved", "errors: the line");
	is_str(l.errors[0].why, "unknown status \"solved\"",
	    "errors: unknown status");
	is_str(l.errors[1].why, "#priority needs a priority",
	    "errors: missing value");
	is_str(l.errors[2].why, "#escalate takes no argument",
	    "errors: argument to #escalate");
	is_str(l.errors[3].why, "unknown command \"#frobnicate\"",
	    "errors: unknown command");
	is_str(l.errors[4].why, "#queue takes one value, not \"a b\"",
	    "errors: two queues");
	is_str(l.errors[5].why, "bad ticket number \"12x\"",
	    "errors: bad merge number");
	is_str(l.errors[6].why, "bad ticket number \"0\"", "errors: merge 0");
	is_str(l.errors[7].why, "#assign needs an agent or \"me\"",
	    "errors: #assign without agent");
	is_str(l.errors[8].why, "#status given twice (also on line 9)",
	    "errors: status twice");
	is_str(l.errors[9].why, "#tag needs a tag", "errors: #tag alone");
	ok(l.n == 1 && l.v[0].kind == AGENTCMD_STATUS, "errors: "
	    "the valid ones are listed too");
	is_str(l.body, "Thanks\n", "errors: body after commands");
	text = agentcmd_errors_text(&l);
	ok(g_str_has_prefix(text, "line 1: #status solved: unknown status "
	    "\"solved\"\nline 2: #priority: #priority needs a priority\n"),
	    "errors: text for the error mail");
	g_free(text);
	agentcmd_clear(&l);
}

static struct conf *
load(void)
{
	char *dir = g_dir_make_tmp("test-agentcmd.XXXXXX", NULL);
	char *path = g_build_filename(dir, "postdesk.conf", NULL);
	struct conf *cf;

	g_file_set_contents(path,
	    "queue \"support\" {\n\taddress \"support@example.org\"\n}\n"
	    "queue \"billing\" {\n\taddress \"billing@example.org\"\n}\n"
	    "agent \"maria@example.org\" name \"Maria\" handle \"mimi\"\n"
	    "agent \"ivan@example.org\"\nagent \"ivan@other.example\"\n", -1,
	    NULL);
	cf = conf_load(path, NULL);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
	return cf;
}

static void
test_check(void)
{
	struct conf *cf = load();
	struct agentcmd_list l;
	const struct conf_agent *maria;

	if (!ok(cf != NULL, "check: config loads"))
		return;
	maria = conf_agent_find(cf, "maria@example.org");
	agentcmd_parse("#assign mimi\n#queue Billing\n", &l);
	is_int(agentcmd_check(&l, cf, NULL), 0, "check: handle, queue case");
	ok(l.v[0].agent == maria, "check: agent by handle");
	ok(l.v[1].queue == conf_queue_by_name(cf, "billing"),
	    "check: queue found");
	agentcmd_clear(&l);
	agentcmd_parse("#assign me\n", &l);
	is_int(agentcmd_check(&l, cf, maria), 0, "check: me");
	ok(l.v[0].agent == maria, "check: me is the sender");
	agentcmd_clear(&l);
	agentcmd_parse("#assign ivan\n#queue sales\n", &l);
	is_int(agentcmd_check(&l, cf, maria), -1, "check: errors");
	is_int(l.nerrors, 2, "check: two errors");
	is_str(l.errors[0].why, "unknown agent \"ivan\"",
	    "check: ambiguous local part");
	is_str(l.errors[1].why, "unknown queue \"sales\"",
	    "check: unknown queue");
	is_int(l.errors[1].line, 2, "check: its line");
	agentcmd_clear(&l);
	agentcmd_parse("#assign me\n", &l);
	is_int(agentcmd_check(&l, cf, NULL), -1, "check: me unknown");
	agentcmd_clear(&l);
	conf_free(cf);
}

static void
test_cc(void)
{
	struct agentcmd_list l;

	is_int(agentcmd_parse("#cc add bob@example.com carol@example.org\n"
	    "#CC Remove dave@example.net\nHello\n", &l), 0, "#cc add, remove");
	is_int(l.n, 3, "one command per address");
	ok(l.v[0].kind == AGENTCMD_CC_ADD && strcmp(l.v[0].arg,
	    "bob@example.com") == 0, "#cc add bob");
	ok(l.v[1].kind == AGENTCMD_CC_ADD && strcmp(l.v[1].arg,
	    "carol@example.org") == 0, "#cc add carol");
	ok(l.v[2].kind == AGENTCMD_CC_REMOVE && strcmp(l.v[2].arg,
	    "dave@example.net") == 0 && l.v[2].line == 2,
	    "#CC Remove: case-insensitive");
	is_str(agentcmd_kind_name(AGENTCMD_CC_REMOVE), "cc remove",
	    "kind name cc remove");
	agentcmd_clear(&l);
	is_int(agentcmd_parse("#cc bob@example.com\n", &l), -1,
	    "#cc without add or remove");
	agentcmd_clear(&l);
	is_int(agentcmd_parse("#cc add\n", &l), -1, "#cc add without address");
	agentcmd_clear(&l);
	is_int(agentcmd_parse("#cc add bob\n", &l), -1, "#cc add: no @");
	ok(l.n == 0 && l.nerrors == 1 && strstr(l.errors[0].why,
	    "bad address") != NULL, "... is a bad address");
	agentcmd_clear(&l);
	is_int(agentcmd_parse("#cc add <bob@example.com>\n", &l), -1,
	    "#cc add: no angle brackets");
	agentcmd_clear(&l);
}

int
main(void)
{
	test_commands();
	test_cc();
	test_errors();
	test_check();
	ok(strcmp(agentcmd_kind_name(AGENTCMD_MERGE), "merge") == 0,
	    "kind name");
	return tap_done();
}

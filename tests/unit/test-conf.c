/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "conf.h"
#include "tap.h"

static char *tmpdir;

static char *
write_file(const char *name, const char *text)
{
	char *path = g_build_filename(tmpdir, name, NULL);
	char *dir = g_path_get_dirname(path);

	g_mkdir_with_parents(dir, 0700);
	if (!g_file_set_contents(path, text, -1, NULL))
		abort();
	g_free(dir);
	return path;
}

static bool
diag_has(const struct conf_diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->lines[i], needle) != NULL)
			return true;
	return false;
}

static void
test_sizes(void)
{
	is_int(conf_parse_size("50M"), 52428800, "size 50M");
	is_int(conf_parse_size("1K"), 1024, "size 1K");
	is_int(conf_parse_size("1k"), 1024, "size 1k");
	is_int(conf_parse_size("2G"), 2147483648LL, "size 2G");
	is_int(conf_parse_size("123"), 123, "size bare bytes");
	is_int(conf_parse_size("0"), 0, "size 0");
	is_int(conf_parse_size("5Q"), -1, "size 5Q is bad");
	is_int(conf_parse_size("10MB"), -1, "size 10MB is bad");
	is_int(conf_parse_size("M"), -1, "size M is bad");
	is_int(conf_parse_size(""), -1, "size empty is bad");
	is_int(conf_parse_size("-1"), -1, "size -1 is bad");
	is_int(conf_parse_size(" 1"), -1, "size with a space is bad");
	is_int(conf_parse_size("99999999999999999999"), -1, "size overflow");
	is_int(conf_parse_size("9007199254740992G"), -1, "size unit overflow");
	is_int(conf_parse_duration("4h"), 14400, "duration 4h");
	is_int(conf_parse_duration("30d"), 2592000, "duration 30d");
	is_int(conf_parse_duration("15m"), 900, "duration 15m");
	is_int(conf_parse_duration("30s"), 30, "duration 30s");
	is_int(conf_parse_duration("90"), 90, "duration bare seconds");
	is_int(conf_parse_duration("0"), 0, "duration 0");
	is_int(conf_parse_duration("1x"), -1, "duration 1x is bad");
	is_int(conf_parse_duration("1h30m"), -1, "duration 1h30m is bad");
	is_int(conf_parse_duration(""), -1, "duration empty is bad");
}

static const char full_conf[] =
    "# a full configuration\n"
    "database \"db/postdesk.db\"\n"
    "secret   \"/etc/postdesk/secret\"\n"
    "charsets \"windows-1251\" koi8-r   # tie-breakers\n"
    "unknown-recipient refuse\n"
    "include \"sub/agents.inc\"\n"
    "queue \"support\" {\n"
    "\taddress \"support@example.org\"\n"
    "\tcomment-address \"support-comment@example.org\"\n"
    "\ttag \"Support\"\n"
    "\tlanguage \"bg\"\n"
    "\tlanguages \"en\" \"de\"\n"
    "\tresponse-time 4h\n"
    "\ttemplates \"tmpl/support\"\n"
    "\tcharsets \"windows-1251\"\n"
    "\treopen-window 7d\n"
    "}\n"
    "queue billing {\n"
    "\taddress \"Billing@Example.org\"\n"
    "}\n"
    "transport smtp \"relay.example.org\" tls implicit port 465 "
    "auth \"us\\\"er\" password-file \"smtp.pw\" ca-file \"/etc/ssl/ca.pem\"\n"
    "limit message-size 10M\n"
    "limit header-size 512K\n"
    "limit mime-depth 8\n"
    "limit parts 100\n"
    "limit attempts 3\n"
    "limit busy-timeout 2m\n"
    "limit ack-per-hour 50\n"
    "limit notify-per-hour 300\n";

static const char agents_inc[] =
    "agent \"maria@example.org\" name \"Maria Ivanova\" handle \"mi\" "
    "queue \"support\" queue billing\n"
    "include \"more.inc\"\n";

static const char more_inc[] =
    "agent \"Petar@Example.org\"\n"
    "agent \"petar@other.org\" name \"Petar Other\"\n";

static void
test_full_queues(const struct conf *c)
{
	const struct conf_queue *q = &c->queues[0];

	is_int(c->nqueues, 2, "two queues");
	is_str(q->name, "support", "queue name");
	is_str(q->address, "support@example.org", "queue address");
	is_str(q->comment_address, "support-comment@example.org",
	    "comment address");
	is_str(q->tag, "Support", "tag");
	is_str(q->language, "bg", "language");
	ok(g_strv_length(q->languages) == 3 &&
	    strcmp(q->languages[0], "bg") == 0 &&
	    strcmp(q->languages[1], "en") == 0, "languages hold language first");
	is_int(q->response_time, 14400, "response-time");
	ok(g_str_has_suffix(q->templates, "/tmpl/support") &&
	    g_path_is_absolute(q->templates), "templates resolved");
	ok(g_strv_length(q->charsets) == 1, "queue charsets");
	is_int(q->reopen_window, 7 * 86400, "reopen-window");
	is_int(q->line, 7, "queue line");
	q = &c->queues[1];
	is_str(q->tag, "billing", "tag defaults to the name");
	is_str(q->language, "en", "language defaults to en");
	ok(g_strv_length(q->languages) == 1, "languages default");
	is_str(q->comment_address, "", "no comment address");
	is_int(q->reopen_window, 30 * 86400, "reopen-window default");
	is_int(q->response_time, 0, "response-time default");
}

static void
test_full_rest(const struct conf *c)
{
	char *db = g_build_filename(tmpdir, "db/postdesk.db", NULL);
	char *pw = g_build_filename(tmpdir, "smtp.pw", NULL);

	is_str(c->database, db, "relative database resolved");
	is_str(c->secret, "/etc/postdesk/secret", "secret");
	is_str(c->hostname, "example.org", "hostname from first queue");
	ok(c->refuse_unknown, "unknown-recipient refuse");
	ok(g_strv_length(c->charsets) == 2 &&
	    strcmp(c->charsets[1], "koi8-r") == 0, "global charsets");
	is_int(c->transport.kind, CONF_TRANSPORT_SMTP, "transport smtp");
	is_str(c->transport.host, "relay.example.org", "smtp host");
	is_int(c->transport.port, 465, "smtp port");
	is_int(c->transport.tls, CONF_TLS_IMPLICIT, "smtp tls");
	is_str(c->transport.user, "us\"er", "smtp auth with an escape");
	is_str(c->transport.password_file, pw, "password-file resolved");
	is_str(c->transport.ca_file, "/etc/ssl/ca.pem", "ca-file");
	is_int(c->limits.message_size, 10 * 1024 * 1024, "message-size");
	is_int(c->limits.header_size, 512 * 1024, "header-size");
	is_int(c->limits.mime_depth, 8, "mime-depth");
	is_int(c->limits.parts, 100, "parts");
	is_int(c->limits.attempts, 3, "attempts");
	is_int(c->limits.busy_timeout, 120000, "busy-timeout in ms");
	is_int(c->limits.ack_per_hour, 50, "ack-per-hour");
	is_int(c->limits.notify_per_hour, 300, "notify-per-hour");
	is_int(g_strv_length(c->files), 3, "three files read");
	g_free(db);
	g_free(pw);
}

static void
test_full_agents(const struct conf *c)
{
	const struct conf_agent *ag = &c->agents[0];

	is_int(c->nagents, 3, "three agents (include in include)");
	is_str(ag->name, "Maria Ivanova", "agent name");
	is_str(ag->handle, "mi", "agent handle");
	ok(g_strv_length(ag->queues) == 2 &&
	    strcmp(ag->queues[1], "billing") == 0, "agent queues");
	ok(g_str_has_suffix(ag->file, "sub/agents.inc") && ag->line == 1,
	    "agent file and line");
	is_str(c->agents[1].name, "", "agent name defaults to empty");
	ok(conf_agent_find(c, "mi") == ag, "agent by handle");
	ok(conf_agent_find(c, "MARIA@example.ORG") == ag, "agent by address");
	ok(conf_agent_find(c, "maria") == ag, "agent by local part");
	ok(conf_agent_find(c, "petar") == NULL, "ambiguous local part");
	ok(conf_agent_find(c, "petar@other.org") == &c->agents[2],
	    "agent by address among equal local parts");
	ok(conf_agent_find(c, "nobody") == NULL, "unknown agent");
	ok(conf_agent_find(c, "") == NULL, "empty agent");
}

static void
test_lookups(const struct conf *c)
{
	bool comment = true;

	ok(conf_queue_by_address(c, "support+t12.abc@example.org", &comment)
	    == &c->queues[0] && !comment, "queue by address with extension");
	ok(conf_queue_by_address(c, "SUPPORT@Example.ORG", NULL) ==
	    &c->queues[0], "queue by address, case");
	ok(conf_queue_by_address(c, "support-comment+x@example.org",
	    &comment) == &c->queues[0] && comment, "queue by comment address");
	ok(conf_queue_by_address(c, "billing@example.org", NULL) ==
	    &c->queues[1], "queue address kept as written, matched any case");
	ok(conf_queue_by_address(c, "support@example.net", NULL) == NULL,
	    "other domain");
	ok(conf_queue_by_address(c, "sales@example.org", NULL) == NULL,
	    "unknown address");
	ok(conf_queue_by_name(c, "billing") == &c->queues[1], "queue by name");
	ok(conf_queue_by_name(c, "Billing") == NULL, "queue names are exact");
}

static void
test_full(void)
{
	struct conf_diag d = { 0 };
	char *path, *p2, *p3;
	struct conf *c;

	path = write_file("postdesk.conf", full_conf);
	p2 = write_file("sub/agents.inc", agents_inc);
	p3 = write_file("sub/more.inc", more_inc);
	c = conf_load(path, &d);
	if (!ok(c != NULL, "full config loads"))
		for (size_t i = 0; i < d.n; i++)
			printf("# %s\n", d.lines[i]);
	conf_diag_clear(&d);
	if (c != NULL) {
		test_full_queues(c);
		test_full_rest(c);
		test_full_agents(c);
		test_lookups(c);
	}
	conf_free(c);
	g_free(path);
	g_free(p2);
	g_free(p3);
}

static void
test_defaults(void)
{
	struct conf *c = conf_default();
	struct conf_diag d = { 0 };
	char *path = write_file("empty.conf", "# nothing\n\n");

	is_str(c->database, "/var/lib/postdesk/postdesk.db", "default database");
	is_str(c->secret, "/etc/postdesk/secret", "default secret");
	is_int(c->limits.message_size, 50 * 1024 * 1024, "default size");
	is_int(c->limits.busy_timeout, 30000, "default busy-timeout");
	is_int(c->limits.ack_per_hour, 200, "default ack-per-hour");
	is_int(c->limits.notify_per_hour, 2000, "default notify-per-hour");
	is_int(c->transport.kind, CONF_TRANSPORT_FILE, "default transport");
	is_str(c->transport.path, "", "default transport path");
	is_int(c->relay_hold, 60, "default relay-hold");
	conf_free(c);
	c = conf_load(path, &d);
	ok(c != NULL && c->nqueues == 0, "empty config loads");
	if (c != NULL)
		is_str(c->hostname, "localhost", "hostname without queues");
	if (c != NULL)
		ok(!conf_changed(c), "conf_changed: not after loading");
	g_free(write_file("empty.conf", "# nothing, and more\n"));
	if (c != NULL)
		ok(conf_changed(c), "conf_changed: after the file changed");
	conf_free(c);
	g_free(path);
	path = write_file("hold.conf", "relay-hold 0\n");
	c = conf_load(path, &d);
	ok(c != NULL && c->relay_hold == 0, "relay-hold 0 disables the hold");
	conf_free(c);
	conf_free(NULL);
	conf_diag_clear(&d);
	g_free(path);
}

static void
test_errors(void)
{
	struct conf_diag d = { 0 };
	char *a = write_file("loop-a.conf", "include \"loop-b.conf\"\n");
	char *b = write_file("loop-b.conf", "include \"loop-a.conf\"\n");
	char *m = write_file("many.conf",
	    "queu \"x\"\n"
	    "limit message-size 5Q\n"
	    "database\n"
	    "include \"nonexistent.conf\"\n"
	    "secret \"/x\n");

	ok(conf_load(a, &d) == NULL, "include loop fails");
	ok(d.n == 1 && diag_has(&d, "loop-b.conf:1: include \"loop-a.conf\": "
	    "include loop: "), "include loop reported where it closes");
	conf_diag_clear(&d);
	ok(conf_load(m, &d) == NULL, "broken config fails");
	is_int(d.n, 5, "every error reported");
	ok(diag_has(&d, "many.conf:1: unknown keyword \"queu\""), "keyword");
	ok(diag_has(&d, "many.conf:2: limit message-size: bad size \"5Q\""),
	    "bad size");
	ok(diag_has(&d, "many.conf:3: expected a string after \"database\""),
	    "missing string");
	ok(diag_has(&d, "many.conf:4: include \"nonexistent.conf\": "),
	    "missing include");
	ok(diag_has(&d, "many.conf:5: unterminated string"), "unterminated");
	conf_diag_clear(&d);
	g_free(a);
	g_free(b);
	g_free(m);
}

static void
rm_rf(const char *path)
{
	GDir *dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		char *sub = g_build_filename(path, name, NULL);

		if (g_file_test(sub, G_FILE_TEST_IS_DIR))
			rm_rf(sub);
		else
			g_unlink(sub);
		g_free(sub);
	}
	if (dir != NULL)
		g_dir_close(dir);
	g_rmdir(path);
}

int
main(void)
{
	tmpdir = g_dir_make_tmp("test-conf-XXXXXX", NULL);
	if (tmpdir == NULL)
		abort();
	test_sizes();
	test_defaults();
	test_full();
	test_errors();
	rm_rf(tmpdir);
	g_free(tmpdir);
	return tap_done();
}

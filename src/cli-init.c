/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "cli.h"
#include "io.h"
#include "log.h"
#include "parse.h"
#include "respond.h"
#include "store.h"
#include "token.h"

static const char usage_text[] =
    "usage: postdesk init [--address ADDR] [--agent 'Name <addr>']... DIR\n"
    "  Create DIR/postdesk.conf, DIR/secret (256 random bits, mode 0600),\n"
    "  the database DIR/postdesk.db and the outbox Maildir DIR/outbox\n"
    "  (mail is written there, not sent, until SMTP is configured).\n"
    "  --address ADDR   the support address (default support@example.org)\n"
    "  --agent SPEC     an agent, 'Name <address>' (repeatable)\n"
    "  Refuses to overwrite anything.\n";

static const char conf_head[] =
    "# postdesk.conf: see postdesk.conf(5).  Written by postdesk init.\n"
    "\n"
    "# The SQLite database and the secret that signs reply addresses and\n"
    "# Message-IDs (keep it private: mode 0600).\n"
    "database \"%s/postdesk.db\"\n"
    "secret   \"%s/secret\"\n"
    "\n"
    "# Mail that fits no queue address goes to the first queue; say\n"
    "# \"unknown-recipient refuse\" to have the MTA bounce it instead.\n"
    "unknown-recipient accept\n"
    "\n"
    "queue \"support\" {\n"
    "\taddress \"%s\"\n"
    "\ttag \"Support\"            # subject tag: [Support #123]\n"
    "\tlanguage \"en\"\n"
    "\tlanguages \"en\" \"bg\"\n"
    "\tresponse-time 4h         # what the acknowledgement promises\n"
    "}\n"
    "\n";

static const char conf_tail[] =
    "\n"
    "# Outgoing mail is written into this Maildir until you configure\n"
    "# SMTP, e.g.: transport smtp \"relay.example.org\" port 587 tls "
    "starttls\n"
    "transport file \"%s/outbox\"\n"
    "\n"
    "limit message-size 50M\n";

static int
append_agent(GString *conf, const char *spec)
{
	struct msg_addrs a = { 0 };
	int ret = -1;

	parse_addresses(spec, &a);
	if (a.n != 1 || strchr(a.v[0].address, '@') == NULL) {
		fprintf(stderr, "postdesk: init: bad agent \"%s\" (want "
		    "'Name <address>')\n", spec);
		goto out;
	}
	g_string_append_printf(conf, "agent \"%s\" name \"%s\" queue "
	    "\"support\"\n", a.v[0].address, a.v[0].name[0] != '\0' ?
	    a.v[0].name : a.v[0].address);
	ret = 0;
out:
	for (size_t i = 0; i < a.n; i++) {
		g_free(a.v[i].name);
		g_free(a.v[i].address);
	}
	g_free(a.v);
	return ret;
}

/* Name the shipped templates this postdesk found, so that delivery
 * finds them whatever directory the MTA runs it from. */
static void
templates_line(GString *conf)
{
	char *real = realpath(respond_shipped_dir(), NULL);

	if (real == NULL)
		return;
	g_string_append_printf(conf, "\n# The shipped message templates "
	    "(a queue can have its own: see\n# postdesk.conf(5)).\n"
	    "templates \"%s\"\n", real);
	free(real);
}

static bool
exists(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	bool e = access(p, F_OK) == 0;

	if (e)
		fprintf(stderr, "postdesk: init: %s exists; not overwriting\n",
		    p);
	g_free(p);
	return e;
}

static int
make_maildir(const char *dir)
{
	const char *sub[] = { "", "/tmp", "/new", "/cur" };

	for (size_t i = 0; i < G_N_ELEMENTS(sub); i++) {
		char *p = g_strconcat(dir, "/outbox", sub[i], NULL);
		int r = mkdir(p, 0750);

		g_free(p);
		if (r == -1) {
			log_warn("init: %s/outbox%s", dir, sub[i]);
			return -1;
		}
	}
	return 0;
}

static int
write_all(const char *dir, const char *address, GPtrArray *agents)
{
	GString *conf = g_string_new(NULL);
	char *path = NULL, *db = NULL;
	struct store *s;
	int ret = -1;

	g_string_append_printf(conf, conf_head, dir, dir, address);
	for (guint i = 0; i < agents->len; i++)
		if (append_agent(conf, g_ptr_array_index(agents, i)) == -1)
			goto out;
	g_string_append_printf(conf, conf_tail, dir);
	templates_line(conf);
	if (make_maildir(dir) == -1)
		goto out;
	path = g_build_filename(dir, "secret", NULL);
	if (token_secret_create(path) == -1)
		goto out;
	db = g_build_filename(dir, "postdesk.db", NULL);
	if ((s = store_open(db, STORE_CREATE, 5000)) == NULL)
		goto out;
	store_close(s);
	g_free(path);
	path = g_build_filename(dir, "postdesk.conf", NULL);
	ret = io_write_file(path, conf->str, conf->len, 0644);
out:
	g_free(path);
	g_free(db);
	g_string_free(conf, TRUE);
	return ret;
}

int
cli_init(int argc, char **argv, const struct cli_global *g)
{
	static const struct option longopts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "agent", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *address = "support@example.org";
	GPtrArray *agents = g_ptr_array_new();
	char *dir = NULL;
	int ch, rc = EX_USAGE;

	(void)g;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (ch == 'a')
			address = optarg;
		else if (ch == 'g')
			g_ptr_array_add(agents, optarg);
		else {
			fputs(usage_text, ch == 'h' ? stdout : stderr);
			rc = ch == 'h' ? EX_OK : EX_USAGE;
			goto out;
		}
	}
	if (argc - optind != 1) {
		fputs(usage_text, stderr);
		goto out;
	}
	if (strchr(address, '@') == NULL || strchr(address, '"') != NULL) {
		fprintf(stderr, "postdesk: init: bad address \"%s\"\n", address);
		goto out;
	}
	if (g_mkdir_with_parents(argv[optind], 0755) == -1) {
		log_warn("init: %s", argv[optind]);
		rc = EX_CANTCREAT;
		goto out;
	}
	dir = realpath(argv[optind], NULL);
	rc = EX_CANTCREAT;
	if (dir == NULL || exists(dir, "postdesk.conf") || exists(dir,
	    "secret") || exists(dir, "postdesk.db") || exists(dir, "outbox"))
		goto out;
	if (write_all(dir, address, agents) == 0) {
		printf("postdesk: initialised %s (config %s/postdesk.conf)\n",
		    dir, dir);
		rc = EX_OK;
	}
out:
	free(dir);
	g_ptr_array_free(agents, TRUE);
	return rc;
}

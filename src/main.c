/* SPDX-License-Identifier: ISC */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"
#include "smtp.h"
#include "version.h"

struct command {
	const char	*name;
	int		(*run)(int, char **, const struct cli_global *);
	const char	*summary;
};

static const struct command commands[] = {
	{ "init",	cli_init,	"create a configuration and database" },
	{ "check",	cli_check,	"validate the configuration" },
	{ "filter",	cli_filter,	"check and test Sieve filter rules" },
	{ "deliver",	deliver_main,	"store one message from the MTA" },
	{ "parse",	cli_parse,	"show how a message is parsed" },
	{ "ticket",	cli_ticket,	"list, show, search and change tickets" },
	{ "fetch",	cli_fetch,	"fetch mail from IMAP mailboxes" },
	{ "send",	cli_send,	"send the mail waiting in the outbox" },
	{ "outbox",	cli_outbox,	"list, retry and cancel outgoing mail" },
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: postdesk [-d] [-c FILE] COMMAND [ARGS]\n"
	    "       postdesk --help | --version\n\n"
	    "options:\n"
	    "  -c FILE    configuration (default $POSTDESK_CONF or "
	    POSTDESK_SYSCONFDIR "/postdesk.conf)\n"
	    "  -d         debug output to stderr\n\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
	fprintf(fp, "\n'postdesk COMMAND --help' describes a command; "
	    "see postdesk(1) and postdesk.conf(5).\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 },
	};
	struct cli_global g = {
		.conf_path = getenv("POSTDESK_CONF"),
		.smtp = &smtp_transport,
	};
	int ch;

	g.conf_explicit = g.conf_path != NULL && *g.conf_path != '\0';
	if (!g.conf_explicit)
		g.conf_path = POSTDESK_SYSCONFDIR "/postdesk.conf";
	while ((ch = getopt_long(argc, argv, "+c:dhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			g.conf_path = optarg;
			g.conf_explicit = 1;
			break;
		case 'd':
			g.debug = 1;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			version_print(stdout);
			version_print_net(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return EX_USAGE;
	}
	log_init(LOG_SINK_STDERR, g.debug);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(argc, argv, &g);
	fprintf(stderr, "postdesk: unknown command \"%s\"\n", argv[0]);
	usage(stderr);
	return EX_USAGE;
}

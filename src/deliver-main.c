/* SPDX-License-Identifier: ISC */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "log.h"

/*
 * postdesk-deliver: the lean delivery program the MTA runs for every
 * mail.  The same code as `postdesk deliver`, linked without the SMTP
 * and IMAP libraries (libetpan, GnuTLS, SASL), which cost milliseconds
 * at every exec.  Accepts "postdesk-deliver [-d] [-c FILE] [deliver]
 * [-f SENDER] [-r RCPT] [-q QUEUE]".
 */
int
main(int argc, char **argv)
{
	struct cli_global g = { .conf_path = getenv("POSTDESK_CONF") };
	int i = 1;

	g.conf_explicit = g.conf_path != NULL && *g.conf_path != '\0';
	if (!g.conf_explicit)
		g.conf_path = POSTDESK_SYSCONFDIR "/postdesk.conf";
	for (; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0)
			g.debug = 1;
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			g.conf_path = argv[++i];
		else
			break;
	}
	if (i < argc && strcmp(argv[i], "deliver") == 0)
		i++;
	log_init(LOG_SINK_STDERR, g.debug);
	argv[i - 1] = "deliver";
	return deliver_main(argc - i + 1, argv + i - 1, &g);
}

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_CLI_H
#define POSTDESK_CLI_H

/*
 * Subcommands.  main.c parses the global options and dispatches; each
 * command gets argv starting at its own name and the config path, and
 * returns the process exit status (sysexits codes).
 */

#include <stddef.h>
#include <stdint.h>

struct jout;
struct transport_ops;

struct cli_global {
	const char	*conf_path;	/* -c, $POSTDESK_CONF or the default */
	int		 debug;		/* -d */
	int		 conf_explicit;	/* -c or $POSTDESK_CONF given */
	/* The SMTP transport (smtp.c), NULL in postdesk-deliver, which
	 * does not link it. */
	const struct transport_ops *smtp;
};

int	cli_parse(int argc, char **argv, const struct cli_global *);
int	cli_check(int argc, char **argv, const struct cli_global *);
int	cli_filter(int argc, char **argv, const struct cli_global *);
int	cli_init(int argc, char **argv, const struct cli_global *);
int	cli_ticket(int argc, char **argv, const struct cli_global *);
int	cli_send(int argc, char **argv, const struct cli_global *);
int	deliver_main(int argc, char **argv, const struct cli_global *);
int	cli_fetch(int argc, char **argv, const struct cli_global *);
int	cli_outbox(int argc, char **argv, const struct cli_global *);

/* True when argv holds -h or --help before any "--". */
int	cli_wants_help(int argc, char **argv);
/* t as "2025-11-25T03:35:00Z" (UTC) into buf, "-" for 0. */
void	cli_rfc3339(int64_t t, char *buf, size_t len);
/* t as a JSON string like cli_rfc3339(), null for 0. */
struct jout *cli_time_json(int64_t t);
/* Who runs an admin command, for events: "admin:LOGIN" (free it).
 * Call it before store_open(), which may switch root to the owner. */
char	*cli_actor(void);

#endif

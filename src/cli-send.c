/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "log.h"
#include "send.h"
#include "store.h"

/*
 * postdesk send: drain the outbox once (cron, or started by
 * postdesk-deliver after a delivery) or keep draining (--loop) until
 * SIGTERM or SIGINT, looking for new mail every second.
 */

#define POLL_MS		1000

static const char usage_text[] =
    "usage: postdesk [-d] [-c FILE] send [--once [--wait-held] | --loop]\n"
    "       [--syslog]\n"
    "  Send the mail waiting in the outbox through the configured\n"
    "  transport (SMTP or a Maildir).  Mail that fails for now is\n"
    "  retried later with a growing delay; mail refused for good, or\n"
    "  still failing after limit send-max-age, becomes an event on its\n"
    "  ticket.  A transport fault (no connection, TLS, a failure at the\n"
    "  greeting, EHLO, AUTH or MAIL FROM, or the same refusal for 3\n"
    "  recipient domains) fails no mail: all of it waits, and the\n"
    "  fault is logged as an error.  Several senders may run at once.\n"
    "  See postdesk outbox to list, retry and cancel mail.\n"
    "  --once    send what is due, then exit (the default)\n"
    "  --wait-held  with --once: then wait for the agents' answers held\n"
    "            back by relay-hold and send them when due (what\n"
    "            send-after-deliver starts)\n"
    "  --loop    keep sending, checking every second; exit on SIGTERM\n"
    "  --syslog  log to syslog (mail facility) instead of stderr\n"
    "  Exit (--once): 0 done (mails that must wait stay queued), 75 a\n"
    "  transport fault or the database is busy, 69 a mail failed for\n"
    "  good in this run, 78 configuration error, 70 other errors.\n";

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct send_args {
	bool		 loop;
	bool		 syslog;
	bool		 wait_held;
};

static int
parse_args(int argc, char **argv, struct send_args *a)
{
	static const struct option longopts[] = {
		{ "once",	no_argument,	NULL, 'o' },
		{ "loop",	no_argument,	NULL, 'l' },
		{ "wait-held",	no_argument,	NULL, 'w' },
		{ "syslog",	no_argument,	NULL, 's' },
		{ "help",	no_argument,	NULL, 'h' },
		{ NULL,		0,		NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			a->loop = false;
			break;
		case 'l':
			a->loop = true;
			break;
		case 'w':
			a->wait_held = true;
			break;
		case 's':
			a->syslog = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	return -1;
}

static void
catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* The exit status of one drain that worked. */
static int
status_of(const struct send_stats *st)
{
	if (st->faults > 0)
		return EX_TEMPFAIL;
	if (st->failed > 0)
		return EX_UNAVAILABLE;
	return EX_OK;
}

/* Drain until stopped (loop: faults are logged, and it goes on) or
 * once; the exit status. */
static int
drain(struct store *s, const struct conf *cf, const struct cli_global *g,
    const struct send_args *a, const char *owner)
{
	struct send_stats st;
	int rc = EX_OK;

	do {
		if (send_drain(s, cf, g->smtp, owner, &stop, &st) == -1)
			return store_is_busy(s) ? EX_TEMPFAIL : EX_SOFTWARE;
		if (st.claimed > 0)
			log_info("send: %zu sent, %zu to retry later, "
			    "%zu failed", st.sent, st.retried, st.failed);
		if (!a->loop && st.claimed > 0)
			printf("send: %zu sent, %zu to retry later, "
			    "%zu failed%s\n", st.sent, st.retried, st.failed,
			    st.faults > 0 ? " (transport fault)" : "");
		rc = status_of(&st);
		if (a->loop && st.claimed == 0 && !stop)
			poll(NULL, 0, POLL_MS);
	} while (a->loop && !stop);
	return a->loop ? EX_OK : rc;
}

/*
 * --wait-held: sleep until the next answer held back by relay-hold is
 * due (never longer than relay-hold, a few times at most) and send it.
 * Answers held longer (a retry's backoff) are the next sender's.
 */
static int
wait_held(struct store *s, const struct conf *cf, const struct cli_global *g,
    const struct send_args *a, const char *owner, int rc)
{
	int64_t at, wait;

	for (int round = 0; round < 8 && rc != EX_TEMPFAIL; round++) {
		if (store_outbox_next_held(s, &at) != 1)
			break;
		wait = at - store_now(s);
		if (wait > cf->relay_hold)
			break;
		if (wait > 0)
			sleep((unsigned)wait);
		rc = drain(s, cf, g, a, owner);
	}
	return rc;
}

int
cli_send(int argc, char **argv, const struct cli_global *g)
{
	struct send_args a = { 0 };
	struct store *s = NULL;
	struct conf *cf;
	char *owner;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != -1)
		return rc;
	if (a.syslog)
		log_init(LOG_SINK_SYSLOG, g->debug);
	if ((cf = conf_load_logged(g->conf_path)) == NULL)
		return EX_CONFIG;
	if ((s = store_open(cf->database, STORE_OPEN,
	    cf->limits.busy_timeout)) == NULL) {
		conf_free(cf);
		return EX_TEMPFAIL;
	}
	if (a.loop)
		catch_signals();
	owner = send_owner_new();
	log_debug("send: sender %s", owner);
	rc = drain(s, cf, g, &a, owner);
	if (a.wait_held && !a.loop)
		rc = wait_held(s, cf, g, &a, owner, rc);
	send_owner_free(owner);
	store_close(s);
	conf_free(cf);
	return rc;
}

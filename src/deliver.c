/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "guard.h"
#include "ingest.h"
#include "io.h"
#include "log.h"
#include "msg.h"
#include "send.h"
#include "store.h"
#include "token.h"

/*
 * postdesk deliver: one message on stdin from the MTA.  The exit status
 * starts as EX_TEMPFAIL and becomes EX_OK only after COMMIT: every
 * other code makes the MTA bounce the customer's mail.  stderr carries
 * one line at most (the MTA puts it into the bounce); the details go to
 * syslog.
 */

static const char usage_text[] =
    "usage: postdesk [-d] [-c FILE] deliver [-f SENDER] [-r RECIPIENT]... "
    "[-q QUEUE]\n"
    "  Store one message read from standard input (for the MTA).\n"
    "  -f SENDER     envelope sender ('' or '<>' is the null sender)\n"
    "  -r RECIPIENT  envelope recipient (repeatable)\n"
    "  -q QUEUE      put the message into this queue\n"
    "  Exit: 0 stored, 75 try again later, 65 refused (too large),\n"
    "  67 unknown recipient (with unknown-recipient refuse).\n";

struct deliver_args {
	const char	*sender;
	GPtrArray	*rcpts;
	const char	*queue;
};

static int
parse_args(int argc, char **argv, struct deliver_args *a)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "f:r:q:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			a->sender = msg_envelope_address(optarg);
			break;
		case 'r':
			g_ptr_array_add(a->rcpts, optarg);
			break;
		case 'q':
			a->queue = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_TEMPFAIL;	/* 64 would bounce the mail */
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return EX_TEMPFAIL;
	}
	return -1;
}

/* The one line the MTA shows, and the log line. */
static int
answer(const struct ingest_result *res, const struct deliver_args *a)
{
	const char *rcpt = a->rcpts->len > 0 ?
	    (const char *)g_ptr_array_index(a->rcpts, 0) : "";

	if (res->status == INGEST_STORED || res->status == INGEST_DUPLICATE)
		log_info("deliver: <%s>: %s", rcpt, res->reason);
	else {
		log_warnx("deliver: <%s>: %s", rcpt, res->reason);
		fprintf(stderr, "postdesk: %s\n", res->reason);
	}
	return res->exit_code;
}

/*
 * The message, read up to one byte past `limit message-size` (that byte
 * says "too large"; the rest is never read).
 */
static char *
read_message(const struct conf *cf, size_t *len)
{
	char *raw;

	if ((raw = io_read_fd(STDIN_FILENO, cf->limits.message_size,
	    len)) == NULL)
		fprintf(stderr, "postdesk: reading the message failed\n");
	return raw;
}

static int
run(const struct cli_global *g, struct deliver_args *a)
{
	struct ingest_env env = {
		.sender = a->sender,
		.rcpts = (const char *const *)a->rcpts->pdata,
		.nrcpts = a->rcpts->len,
		.queue = a->queue,
	};
	struct ingest_result res = { .exit_code = EX_TEMPFAIL };
	struct token_keys *keys = NULL;
	struct store *s = NULL;
	struct ingest *ing;
	struct conf *cf;
	char *raw = NULL;
	size_t len;
	int rc = EX_TEMPFAIL;

	if ((cf = conf_load_logged(g->conf_path)) == NULL) {
		fprintf(stderr, "postdesk: configuration error, see the mail "
		    "log\n");
		return EX_TEMPFAIL;
	}
	if ((raw = read_message(cf, &len)) == NULL)
		goto out;
	if ((keys = token_keys_load(cf->secret)) == NULL ||
	    (s = store_open(cf->database, STORE_OPEN,
	    cf->limits.busy_timeout)) == NULL) {
		fprintf(stderr, "postdesk: temporary failure, see the mail "
		    "log\n");
		goto out;
	}
	/* After store_open: run as root, it has become the database's
	 * owner, who must own the faults file too. */
	if (guard_init(cf->database, (unsigned)cf->limits.parse_time,
	    cf->limits.memory) == -1)
		log_warnx("deliver: no guard: a crash counts as a kill");
	ing = ingest_new(cf, s, keys);
	ingest_one(ing, &env, raw, len, &res);
	ingest_free(ing);
	rc = answer(&res, a);
	if (res.status == INGEST_STORED)
		send_after_deliver(s, cf, g->conf_path, g->smtp);
out:
	store_close(s);
	token_keys_free(keys);
	conf_free(cf);
	g_free(raw);
	return rc;
}

int
deliver_main(int argc, char **argv, const struct cli_global *g)
{
	struct deliver_args a = { .rcpts = g_ptr_array_new() };
	int rc;

	log_set_fatal_code(EX_TEMPFAIL);
	if ((rc = parse_args(argc, argv, &a)) != -1)
		goto out;
	log_init(g->debug ? LOG_SINK_STDERR : LOG_SINK_SYSLOG, g->debug);
	rc = run(g, &a);
out:
	g_ptr_array_free(a.rcpts, TRUE);
	return rc;
}

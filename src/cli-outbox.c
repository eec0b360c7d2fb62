/* SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "jout.h"
#include "store.h"

/*
 * postdesk outbox: what waits to be sent, what failed, and an admin's
 * way to try a mail again or stop it.  The sender (postdesk send)
 * decides nothing here; these commands only change rows.
 */

#define EX_NOTFOUND	1	/* no such row, or not in a state for it */

static const char usage_text[] =
    "usage: postdesk [-c FILE] outbox list [--state S] [--json]\n"
    "       postdesk [-c FILE] outbox retry ID | --all-failed\n"
    "       postdesk [-c FILE] outbox cancel ID\n"
    "  list    the outgoing mails, oldest first: all, or those in state\n"
    "          S (queued, sent, failed, cancelled); --json prints an\n"
    "          array of objects (id, ticket, rcpt, state, attempts,\n"
    "          next_try, last_error, message_id, mail_from, created)\n"
    "  retry   queue mail ID (failed, cancelled or waiting) again, due\n"
    "          now, its attempts and age from zero (limit send-max-age\n"
    "          counts anew); --all-failed: every failed mail that was\n"
    "          not cancelled.  postdesk send then sends it.  An agent's\n"
    "          answer that a later delivery made an internal note is\n"
    "          never queued again; one still held (relay-hold) keeps\n"
    "          its hold.\n"
    "  cancel  never send the queued mail ID (not while a sender\n"
    "          is sending it)\n"
    "  retry and cancel record an event on the mail's ticket.\n"
    "exit status: 0 done, 1 no such mail (or not in a state for it),\n"
    "64 usage, 66 cannot open the database, 70 database error,\n"
    "75 database busy, 78 configuration error\n";

static const char *const states[] = {
	"queued", "sent", "failed", "cancelled",
};

struct args {
	const char	*cmd;
	const char	*state;		/* list --state */
	bool		 json;		/* list --json */
	bool		 all_failed;	/* retry --all-failed */
	int64_t		 id;		/* retry, cancel */
};

static int
usage(FILE *fp, int rc)
{
	fputs(usage_text, fp);
	return rc;
}

static bool
known_state(const char *s)
{
	for (size_t i = 0; i < G_N_ELEMENTS(states); i++)
		if (strcmp(states[i], s) == 0)
			return true;
	return false;
}

static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "postdesk: outbox: \"%s\": not a mail id\n", s);
		return -1;
	}
	*id = v;
	return 0;
}

/* list's options; 0 / -1 (told why). */
static int
parse_list(int argc, char **argv, struct args *a)
{
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a->json = true;
		else if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			a->state = argv[++i];
		else if (strncmp(argv[i], "--state=", 8) == 0)
			a->state = argv[i] + 8;
		else {
			fprintf(stderr, "postdesk: outbox list: unexpected "
			    "\"%s\"\n", argv[i]);
			return -1;
		}
	}
	if (a->state != NULL && !known_state(a->state)) {
		fprintf(stderr, "postdesk: outbox list: unknown state \"%s\" "
		    "(queued, sent, failed, cancelled)\n", a->state);
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct args *a)
{
	if (argc < 2)
		return -1;
	a->cmd = argv[1];
	if (strcmp(a->cmd, "list") == 0)
		return parse_list(argc, argv, a);
	if (argc != 3 || (strcmp(a->cmd, "retry") != 0 &&
	    strcmp(a->cmd, "cancel") != 0)) {
		fprintf(stderr, "postdesk: outbox: unknown command or wrong "
		    "arguments\n");
		return -1;
	}
	if (strcmp(a->cmd, "retry") == 0 &&
	    strcmp(argv[2], "--all-failed") == 0) {
		a->all_failed = true;
		return 0;
	}
	return parse_id(argv[2], &a->id);
}

static struct jout *
row_json(const struct store_outbox *o)
{
	struct jout *j = jout_obj();
	bool queued = strcmp(o->state, "queued") == 0;

	jout_set(j, "id", jout_int(o->id));
	jout_set(j, "ticket", o->ticket > 0 ? jout_int(o->ticket) :
	    jout_null());
	jout_set(j, "rcpt", jout_str(o->rcpt));
	jout_set(j, "state", jout_str(o->state));
	jout_set(j, "attempts", jout_int(o->attempts));
	jout_set(j, "next_try", queued ? cli_time_json(o->next_try) :
	    jout_null());
	jout_set(j, "last_error", jout_str(o->last_error));
	jout_set(j, "message_id", jout_str(o->message_id));
	jout_set(j, "mail_from", jout_str(o->mail_from));
	jout_set(j, "created", cli_time_json(o->created));
	return j;
}

static void
print_rows(const struct store_outbox *v, size_t n)
{
	char when[32];

	printf("%-6s %-9s %-7s %-3s %-20s %s\n", "ID", "STATE", "TICKET",
	    "TRY", "NEXT-TRY", "RECIPIENT / LAST ERROR");
	for (size_t i = 0; i < n; i++) {
		cli_rfc3339(strcmp(v[i].state, "queued") == 0 ?
		    v[i].next_try : 0, when, sizeof(when));
		printf("%-6lld %-9s %-7lld %-3u %-20s %s\n",
		    (long long)v[i].id, v[i].state, (long long)v[i].ticket,
		    v[i].attempts, when, v[i].rcpt);
		if (*v[i].last_error != '\0')
			printf("%48s%s\n", "", v[i].last_error);
	}
}

static int
cmd_list(struct store *s, const struct args *a)
{
	struct store_outbox *v;
	struct jout *arr;
	size_t n;
	int rc = EX_OK;

	if (store_outbox_list(s, a->state, &v, &n) == -1)
		return store_is_busy(s) ? EX_TEMPFAIL : EX_SOFTWARE;
	if (!a->json)
		print_rows(v, n);
	else {
		arr = jout_arr();
		for (size_t i = 0; i < n; i++)
			jout_push(arr, row_json(&v[i]));
		if (jout_print(arr, stdout) == -1)
			rc = EX_IOERR;
		jout_free(arr);
	}
	store_outbox_free(v, n);
	return rc;
}

/* retry or cancel: the rows changed, reported. */
static int
cmd_change(struct store *s, const struct args *a, const char *actor)
{
	bool retry = strcmp(a->cmd, "retry") == 0;
	int64_t count;
	int r;

	r = retry ? store_outbox_requeue(s, a->all_failed ? 0 : a->id, actor,
	    &count) : store_outbox_cancel(s, a->id, actor, &count);
	if (r == -1)
		return store_is_busy(s) ? EX_TEMPFAIL : EX_SOFTWARE;
	if (a->all_failed) {
		printf("outbox: %lld failed mails queued again\n",
		    (long long)count);
		return EX_OK;
	}
	if (count == 0) {
		fprintf(stderr, "postdesk: outbox %s: no %s mail %lld\n",
		    a->cmd, retry ? "failed, cancelled or queued" :
		    "queued (and idle)",
		    (long long)a->id);
		return EX_NOTFOUND;
	}
	printf("outbox: mail %lld %s\n", (long long)a->id,
	    retry ? "queued again" : "cancelled");
	return EX_OK;
}

int
cli_outbox(int argc, char **argv, const struct cli_global *g)
{
	struct args a = { 0 };
	struct store *s;
	struct conf *cf;
	char *actor;
	int rc;

	if (cli_wants_help(argc, argv))
		return usage(stdout, EX_OK);
	if (parse_args(argc, argv, &a) == -1)
		return usage(stderr, EX_USAGE);
	if ((cf = conf_load_logged(g->conf_path)) == NULL)
		return EX_CONFIG;
	/* Before the store is opened: that may switch root to the owner
	 * of the database. */
	actor = cli_actor();
	if ((s = store_open(cf->database, STORE_OPEN,
	    cf->limits.busy_timeout)) == NULL)
		rc = EX_NOINPUT;
	else if (strcmp(a.cmd, "list") == 0)
		rc = cmd_list(s, &a);
	else
		rc = cmd_change(s, &a, actor);
	store_close(s);
	g_free(actor);
	conf_free(cf);
	return rc;
}

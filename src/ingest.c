/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <glib.h>

#include "classify.h"
#include "digest.h"
#include "filter.h"
#include "guard.h"
#include "ingest.h"
#include "log.h"
#include "lang.h"
#include "parse.h"
#include "respond.h"
#include "thread.h"

#include "ingest-priv.h"

struct pending {
	int64_t	 ticket;
	char	*what, *old, *new_, *why;
};

struct ingest *
ingest_new(const struct conf *cf, struct store *s,
    const struct token_keys *keys)
{
	struct ingest *ing = g_new0(struct ingest, 1);

	ing->conf = cf;
	ing->store = s;
	ing->keys = keys;
	ing->respond = respond_new(cf, s, keys);
	return ing;
}

void
ingest_free(struct ingest *ing)
{
	if (ing == NULL)
		return;
	respond_free(ing->respond);
	filter_free(ing->filters);
	g_free(ing);
}

static void
set_result(struct ingest_result *res, enum ingest_status st, int smtp,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set_result(struct ingest_result *res, enum ingest_status st, int smtp,
    const char *fmt, ...)
{
	va_list ap;

	res->status = st;
	res->smtp_code = smtp;
	switch (st) {
	case INGEST_STORED:
	case INGEST_DUPLICATE:
		res->exit_code = EX_OK;
		break;
	case INGEST_REFUSED:
		res->exit_code = EX_DATAERR;	/* callers refine */
		break;
	case INGEST_TEMPFAIL:
		res->exit_code = EX_TEMPFAIL;
		break;
	}
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

/* Did the previous attempt at this message end in a fault of its own?
 * Without the guard's line it was killed or stopped: not its fault. */
static bool
faulted(void *arg, const char *digest, unsigned attempt)
{
	const struct ingest *ing = arg;
	char what[32];

	if (!guard_faulted(ing->conf->database, digest, attempt, what,
	    sizeof(what))) {
		log_info("ingest: message %.16s: attempt %u was stopped "
		    "without a fault: not counted", digest, attempt);
		return false;
	}
	log_warnx("ingest: message %.16s: attempt %u failed: %s", digest,
	    attempt, what);
	return true;
}

int
ingest_note(struct ingest *ing, const char *raw, size_t len,
    struct ingest_attempt *at)
{
	const struct store_attempt sa = {
		.faulted = faulted, .arg = ing,
		.counted = &at->faults, .attempt = &at->number,
	};

	digest_message(raw, len, ing->noted_digest);
	ing->noted_raw = raw;
	ing->noted_len = len;
	return store_attempt_start(ing->store, ing->noted_digest, &sa);
}

int
ingest_begin(struct ingest *ing)
{
	return store_begin(ing->store);
}

static void
fail_all(struct ingest_result *res, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		res[i].ticket = res[i].message = 0;
		set_result(&res[i], INGEST_TEMPFAIL, 451, "%s", why);
	}
}

int
ingest_commit(struct ingest *ing, struct ingest_result *res, size_t n)
{
	if (store_commit(ing->store) == 0)
		return 0;
	store_rollback(ing->store);
	fail_all(res, n, store_is_busy(ing->store) ? "database busy" :
	    "commit failed");
	return -1;
}

void
ingest_rollback(struct ingest *ing, struct ingest_result *res, size_t n)
{
	store_rollback(ing->store);
	fail_all(res, n, "transaction rolled back");
}

#ifdef POSTDESK_TEST_HOOKS
/* Test builds only (tests/unit/Makefile rule): make the parse of a
 * message crash, hang or run out of memory, to prove the escape. */
static void
test_fault(const char *raw, size_t len)
{
	const char *f = getenv("POSTDESK_TEST_PARSE_FAULT");

	if (f == NULL || g_strstr_len(raw, (gssize)len,
	    "X-Test-Poison: yes") == NULL)
		return;
	if (strcmp(f, "crash") == 0)
		raise(SIGSEGV);
	else if (strcmp(f, "hang") == 0)
		for (volatile unsigned long n = 0;; n++)
			;
	else if (strcmp(f, "oom") == 0)
		for (;;)
			memset(g_malloc(64u << 20), 1, 64u << 20);
}
#else
#define test_fault(raw, len)
#endif

static void
parse_job(struct job *j, const struct ingest_attempt *at)
{
	const struct conf *cf = j->ing->conf;
	struct parse_opts po;

	if (cf->limits.attempts > 0 && at->faults >= cf->limits.attempts) {
		/* It brought the parser down every time: keep it raw. */
		log_warnx("ingest: message %.16s: %u attempts failed: stored "
		    "unparsed", j->digest, at->faults);
		j->m = parse_raw(j->raw, j->len);
		return;
	}
	parse_opts_from_conf(&po, cf, j->th.queue);
	po.keep_part_data = true;
	/* Only a fault here counts against the message. */
	guard_arm(j->digest, at->number);
	test_fault(j->raw, j->len);
	j->m = parse_message(j->raw, j->len, &po);
	guard_disarm();
}

static const char *
first_rcpt(const struct ingest_env *env)
{
	return env->nrcpts > 0 ? env->rcpts[0] : NULL;
}

/* The message is stored: its attempts are over, unless it was stored
 * raw, whose faults must keep every later delivery of the same bytes
 * from the parser (they are duplicates, found from the raw scan). */
static int
attempt_done(struct job *j)
{
	if (j->m->flags & MSG_F_UNPARSED)
		return 0;
	return store_attempt_clear(j->ing->store, j->digest);
}

/* 1 when it is a duplicate (recorded), 0 when new, -1 on error. */
static int
dedupe(struct job *j)
{
	struct store *s = j->ing->store;
	int64_t id, ticket;
	bool conflict = false;
	int r;

	r = store_message_find(s, j->m->message_id, j->digest, &id, &ticket,
	    &conflict);
	/* This run may carry what the first did not: the comment address
	 * in its envelope (one recipient per run, Bcc). */
	if (r == 1 && ingest_agent_late_note(j, id, ticket) == -1)
		return -1;
	if (r == 1) {
		for (size_t i = 0; i < j->env->nrcpts; i++)
			if (store_message_add_rcpt(s, id, j->env->rcpts[i]) == -1)
				return -1;
		if (attempt_done(j) == -1)
			return -1;
		j->res->ticket = ticket;
		j->res->message = id;
		set_result(j->res, INGEST_DUPLICATE, 250, "duplicate of "
		    "message %" PRId64, id);
	}
	if (r == 0 && conflict)
		j->m->flags |= MSG_F_ID_CONFLICT;
	return r;
}

static const char *
requester(const struct job *j)
{
	if (j->m->from.address[0] != '\0')
		return j->m->from.address;
	return j->env->sender != NULL ? j->env->sender : "";
}

static int
event(struct job *j, int64_t ticket, const char *what, const char *old,
    const char *new_, const char *why)
{
	struct pending *e = g_new0(struct pending, 1);

	e->ticket = ticket;
	e->what = g_strdup(what);
	e->old = g_strdup(old);
	e->new_ = g_strdup(new_);
	e->why = g_strdup(why);
	g_ptr_array_add(j->events, e);
	return 0;
}

static void
pending_free(gpointer p)
{
	struct pending *e = p;

	g_free(e->what);
	g_free(e->old);
	g_free(e->new_);
	g_free(e->why);
	g_free(e);
}

static int
flush_events(struct job *j)
{
	for (guint i = 0; i < j->events->len; i++) {
		struct pending *e = g_ptr_array_index(j->events, i);

		if (store_event_add(j->ing->store, e->ticket != 0 ? e->ticket :
		    j->res->ticket, j->res->message,
		    "system", e->what, e->old, e->new_, e->why) == -1)
			return -1;
	}
	return 0;
}

/* A new ticket for this message; linked_from: the ticket it continues. */
static int
create_ticket(struct job *j, int64_t linked_from)
{
	const struct conf_queue *q = j->th.queue;
	struct store *s = j->ing->store;
	struct store_ticket t = {
		.subject = j->m->subject[0] != '\0' ? j->m->subject :
		    "(no subject)",
		.status = TICKET_NEW,
		.queue = q != NULL ? q->name : "",
		.priority = "normal",
		.assignee = "",
		.requester = (char *)requester(j),
		.language = (char *)lang_pick(q, j->m),
		.root_id = "",
		.linked_from = linked_from,
	};
	char *root;
	int r;

	if (store_ticket_create(s, &t) == -1)
		return -1;
	root = token_message_id(j->ing->keys, t.number, "", j->ing->conf->
	    hostname);
	r = store_ticket_set(s, t.number, "root_id", root);
	if (r == 0)
		r = store_msgid_add(s, root, t.number, 0, true);
	g_free(root);
	if (r == 0 && t.requester[0] != '\0')
		r = store_participant_add(s, t.number, t.requester,
		    j->m->from.name, ROLE_REQUESTER);
	if (r == 0)
		r = ingest_people_from_mail(j, t.number, true);
	j->res->ticket = t.number;
	j->res->new_ticket = true;
	return r;
}

static bool
within_window(const struct store_ticket *t, const struct conf_queue *q,
    int64_t now)
{
	int64_t window = q != NULL ? q->reopen_window : 30 * 86400;

	return window > 0 && t->resolved_at > 0 && now - t->resolved_at <=
	    window;
}

/*
 * A human follow-up with strong evidence to a resolved or closed ticket
 * reopens it within the queue's window, else starts a new ticket that
 * links to it.
 */
static int
follow_up_closed(struct job *j, struct store_ticket *t)
{
	struct store *s = j->ing->store;
	char num[32];

	if (within_window(t, j->th.queue, store_now(j->ing->store))) {
		if (store_ticket_set(s, t->number, "status", "open") == -1)
			return -1;
		j->res->ticket = t->number;
		return event(j, t->number, "status", store_status_name(
		    t->status), "open", "customer follow-up reopened it");
	}
	if (create_ticket(j, t->number) == -1)
		return -1;
	snprintf(num, sizeof(num), "%" PRId64, j->res->ticket);
	return event(j, t->number, "follow-up", NULL, num,
	    "follow-up after the reopen window: new linked ticket");
}

/*
 * A customer's Message-ID of ours or token for someone else proves the
 * thread, not the sender: only a participant's follow-up reopens.  A
 * stranger's stays on the resolved ticket, and the agents hear of it.
 */
static int
follow_up_stranger(struct job *j, const struct store_ticket *t)
{
	int r;

	if (j->verdict != AGENT_NOT_AGENT)
		return 0;
	if ((r = store_participant_is(j->ing->store, t->number,
	    j->m->from.address)) != 0)
		return r == 1 ? 0 : -1;
	ingest_people_note(j, "Follow-up from a non-participant on a %s "
	    "ticket: not reopened.", store_status_name(t->status));
	event(j, t->number, "not reopened", NULL, j->m->from.address,
	    "follow-up from a non-participant on a resolved ticket");
	return 1;
}

static int
join_ticket(struct job *j)
{
	struct store_ticket t = { 0 };
	bool closed;
	int r;

	if ((r = store_ticket_get(j->ing->store, j->th.ticket, &t)) != 1) {
		log_warnx("ingest: ticket %" PRId64 ": vanished", j->th.ticket);
		return -1;
	}
	j->res->ticket = t.number;
	closed = t.status == TICKET_RESOLVED || t.status == TICKET_CLOSED;
	r = 0;
	if (j->th.strong && j->auto_why == NULL && closed &&
	    (r = follow_up_stranger(j, &t)) == 0)
		r = follow_up_closed(j, &t);
	if (r != -1 && j->res->ticket == t.number)
		r = ingest_people_from_mail(j, t.number, false);
	store_ticket_clear(&t);
	return r;
}

static enum store_author
author(const struct job *j)
{
	if (j->th.evidence == EVIDENCE_BOUNCE)
		return AUTHOR_SYSTEM;
	if (j->verdict != AGENT_NOT_AGENT)
		return AUTHOR_AGENT;
	return AUTHOR_CUSTOMER;
}

static int
store_msg(struct job *j)
{
	struct store *s = j->ing->store;
	struct store_message sm = {
		.ticket = j->res->ticket,
		.message_id = j->m->message_id,
		.digest = j->digest,
		.direction = DIR_IN,
		.author = author(j),
		.from_name = j->m->from.name,
		.from_addr = j->m->from.address,
		.subject = j->m->subject,
		.body_text = j->m->body_text,
		.date = j->m->date,
		.flags = j->m->flags,
		.threaded_by = thread_evidence_name(j->th.evidence),
		.envelope_from = j->env->sender != NULL ? j->env->sender : "",
		.raw = j->raw,
		.raw_len = j->len,
	};

	if (store_message_insert(s, &sm, first_rcpt(j->env)) == -1)
		return -1;
	j->res->message = sm.id;
	for (size_t i = 1; i < j->env->nrcpts; i++)
		if (store_message_add_rcpt(s, sm.id, j->env->rcpts[i]) == -1)
			return -1;
	/* A reused Message-ID must not pull later replies to this ticket. */
	if (!(j->m->flags & MSG_F_ID_CONFLICT) && store_msgid_add(s,
	    j->m->message_id, j->res->ticket, sm.id, false) == -1)
		return -1;
	for (size_t i = 0; i < j->m->nparts; i++)
		if (j->m->parts[i].data != NULL || j->m->parts[i].size == 0)
			if (store_attachment_add(s, sm.id, &j->m->parts[i]) == -1)
				return -1;
	return 0;
}

/* A customer's mail is news on its ticket: last_customer and updated. */
static int
touch(struct job *j)
{
	char now[32];

	if (j->res->ticket == 0 || author(j) != AUTHOR_CUSTOMER)
		return 0;
	snprintf(now, sizeof(now), "%lld",
	    (long long)store_now(j->ing->store));
	return store_ticket_set(j->ing->store, j->res->ticket,
	    "last_customer", now);
}

/* Decide the ticket: bounce event, new ticket or join. */
static int
place(struct job *j)
{
	char ref[32];

	if (j->th.evidence == EVIDENCE_BOUNCE) {
		j->res->ticket = j->th.ticket;
		return event(j, j->th.ticket, "bounce", NULL, NULL, j->th.why);
	}
	if (j->th.ticket == 0) {
		if (create_ticket(j, 0) == -1)
			return -1;
		event(j, j->res->ticket, "created", NULL, j->th.queue != NULL ?
		    j->th.queue->name : NULL, j->th.why);
		if (j->th.tag_ref != 0) {
			snprintf(ref, sizeof(ref), "%" PRId64, j->th.tag_ref);
			event(j, j->res->ticket, "reference", NULL, ref,
			    j->th.why);
		}
		return 0;
	}
	if (join_ticket(j) == -1)
		return -1;
	return event(j, j->res->ticket, "message", NULL, thread_evidence_name(
	    j->th.evidence), j->auto_why != NULL ? j->auto_why : j->th.why);
}

/*
 * Another mail came under this Message-ID before.  From the same sender
 * within the reopen window it is a copy that differs in some byte (a
 * hand-injected copy, a rewritten header): it joins the first one's
 * ticket, flagged, and nobody is acknowledged again.
 */
static int
same_id_join(struct job *j)
{
	const struct conf_queue *q = j->th.queue;
	int64_t window = q != NULL ? q->reopen_window : 30 * 86400;
	struct store_msg_first f;
	int r;

	if (!(j->m->flags & MSG_F_ID_CONFLICT) || j->th.ticket != 0 ||
	    j->th.evidence != EVIDENCE_NEW)
		return 0;
	if ((r = store_message_first(j->ing->store, j->m->message_id,
	    &f)) != 1)
		return r;
	if (f.ticket != 0 && g_ascii_strcasecmp(f.from_addr,
	    j->m->from.address) == 0 &&
	    store_now(j->ing->store) - f.received <= window) {
		j->th.ticket = f.ticket;
		j->th.evidence = EVIDENCE_FOREIGN_REF;
		j->noack = true;
		snprintf(j->th.why, sizeof(j->th.why), "same Message-ID and "
		    "sender as message %" PRId64 ", other bytes", f.id);
		event(j, f.ticket, "message-id-conflict", NULL, NULL,
		    j->th.why);
	}
	g_free(f.from_addr);
	return 0;
}

static int
thread_job(struct job *j)
{
	struct thread_in in = {
		.m = j->m,
		.rcpts = j->env->rcpts,
		.nrcpts = j->env->nrcpts,
		.conf = j->ing->conf,
		.keys = j->ing->keys,
		.queue = j->env->queue,
	};

	return thread_find(j->ing->store, &in, &j->th);
}

/*
 * The rule set is compiled once per process.  A set with an error never
 * half-runs: every message answers "try again later" (the mail waits at
 * the MTA) and the log says why, loudly.
 */
static int
load_filters(struct ingest *ing)
{
	struct conf_diag d = { 0 };

	if (!ing->filters_tried) {
		ing->filters_tried = true;
		ing->filters = filter_load(ing->conf, &d);
		for (size_t i = 0; i < d.n; i++)
			log_warnx("filter: %s", d.lines[i]);
		conf_diag_clear(&d);
	}
	if (ing->filters == NULL)
		log_warnx("filter: the rules have errors: mail waits at the "
		    "MTA until postdesk check passes");
	return ing->filters != NULL ? 0 : -1;
}

static int
run_filters(struct job *j)
{
	struct sieve_view view;
	const char *q = j->th.queue != NULL ? j->th.queue->name : NULL;

	if (load_filters(j->ing) == -1)
		return -1;
	filter_view(&view, j->m, j->env->sender != NULL ? j->env->sender : "",
	    first_rcpt(j->env) != NULL ? first_rcpt(j->env) : "",
	    j->th.ticket == 0 && j->th.evidence != EVIDENCE_BOUNCE);
	if (filter_run(j->ing->filters, q, &view, &j->sr) == -1) {
		log_warnx("filter: %s", j->sr.error);
		event(j, 0, "filter error", NULL, NULL, j->sr.error);
	}
	return 0;
}

/* Actions that decide where a new ticket goes come before placement. */
static void
filter_queue(struct job *j)
{
	for (size_t i = 0; i < j->sr.nactions; i++) {
		const struct sieve_action *a = &j->sr.actions[i];
		const struct conf_queue *q;

		if (a->kind == SIEVE_ACT_QUEUE && j->th.ticket == 0 &&
		    (q = conf_queue_by_name(j->ing->conf, a->arg)) != NULL)
			j->th.queue = q;
	}
}

static int
set_field(struct job *j, const char *field, const char *value)
{
	return store_ticket_set(j->ing->store, j->res->ticket, field, value);
}

static int
apply_action(struct job *j, struct respond_ctx *c,
    const struct sieve_action *a)
{
	const struct conf_agent *ag;

	switch (a->kind) {
	case SIEVE_ACT_QUEUE:
		return set_field(j, "queue", a->arg);
	case SIEVE_ACT_PRIORITY:
		return set_field(j, "priority", a->arg);
	case SIEVE_ACT_STATUS:
		return set_field(j, "status", a->arg);
	case SIEVE_ACT_ASSIGN:
		ag = conf_agent_find(j->ing->conf, a->arg);
		return set_field(j, "assignee", ag != NULL ? ag->address :
		    a->arg);
	case SIEVE_ACT_ADDTAG:
		return store_tag_set(j->ing->store, j->res->ticket, a->arg,
		    true);
	case SIEVE_ACT_NOACK:
		j->noack = true;
		return 0;
	case SIEVE_ACT_REPLY:
		/* A reply carries our strong Message-ID: only to the sender
		 * of a new ticket or of mail with strong evidence. */
		if (!j->res->new_ticket && !j->th.strong)
			return store_event_add(j->ing->store, c->ticket,
			    j->res->message, "system", "reply suppressed", NULL,
			    NULL, "weak evidence for this ticket");
		return respond_auto_reply(j->ing->respond, c, a->arg, "reply");
	case SIEVE_ACT_NOTIFY:
		return respond_mail(j->ing->respond, c, &(struct respond_mail){
		    .name = "notify-agent", .to = &(struct msg_addr){
		    .name = "", .address = (char *)a->arg },
		    .auto_submitted = "auto-generated", .what = "notify",
		    .budget = RESPOND_BUDGET_AGENTS });
	default:
		return 0;
	}
}

/* Every applied rule action is an event naming its rule. */
static int
filter_event(struct job *j, const struct sieve_action *a)
{
	char *text = filter_action_text(a), *rule = filter_action_rule(a);
	char *why = g_strdup_printf("filter: %s", rule);
	int r = store_event_add(j->ing->store, j->res->ticket, j->res->message,
	    "system", "filter", NULL, text, why);

	g_free(why);
	g_free(rule);
	g_free(text);
	return r;
}

static int
apply_actions(struct job *j, struct respond_ctx *c)
{
	for (size_t i = 0; i < j->sr.nactions; i++) {
		const struct sieve_action *a = &j->sr.actions[i];

		if (a->kind == SIEVE_ACT_KEEP || a->kind == SIEVE_ACT_DISCARD ||
		    a->kind == SIEVE_ACT_REJECT)
			continue;
		if (apply_action(j, c, a) == -1 || filter_event(j, a) == -1)
			return -1;
	}
	return 0;
}

void
ingest_ctx(const struct job *j, const struct store_ticket *t,
    int64_t message, struct respond_ctx *c)
{
	*c = (struct respond_ctx){
		.ticket = t->number, .subject = t->subject,
		.status = store_status_name(t->status), .priority = t->priority,
		.language = t->language, .root_id = t->root_id,
		.queue = conf_queue_by_name(j->ing->conf, t->queue),
		.m = j->m, .message = message,
		.envelope_from = j->env->sender, .auto_why = j->auto_why,
		.bounce = j->th.evidence == EVIDENCE_BOUNCE,
	};
}

/*
 * After the message is stored: the rules' actions, then, for a new
 * ticket from a person, the acknowledgement (or an event saying why
 * not), all in this same transaction.
 */
static int
finish_ticket(struct job *j)
{
	struct store_ticket t = { 0 };
	struct respond_ctx c;
	int r;

	if (j->res->ticket == 0)
		return 0;
	if (store_ticket_get(j->ing->store, j->res->ticket, &t) != 1)
		return -1;
	ingest_ctx(j, &t, j->res->message, &c);
	r = apply_actions(j, &c);
	if (r == 0)
		r = ingest_agent_after(j, &c);
	if (r == 0)
		r = ingest_people_finish(j, &c, t.requester);
	if (r == 0 && j->res->new_ticket && j->verdict != AGENT_NOT_AGENT)
		r = store_event_add(j->ing->store, t.number, j->res->message,
		    "system", "ack suppressed", NULL, NULL, "mail from an "
		    "agent's address");
	else if (r == 0 && j->res->new_ticket && j->noack)
		r = store_event_add(j->ing->store, t.number, j->res->message,
		    "system", "ack suppressed", NULL, NULL, "filter: noack");
	else if (r == 0 && j->res->new_ticket)
		r = respond_ack(j->ing->respond, &c);
	store_ticket_clear(&t);
	return r;
}

/* discard: no ticket and nothing sent, but the raw mail is kept. */
static int
quarantine(struct job *j, const struct sieve_action *why)
{
	char *rule = why != NULL ? filter_action_rule(why) :
	    g_strdup("implicit");
	char *text = g_strdup_printf("filter: %s", rule);
	int r;

	j->res->ticket = 0;
	r = store_msg(j);
	if (r == 0)
		r = store_event_add(j->ing->store, 0, j->res->message,
		    "system", "discarded", NULL, NULL, text);
	if (r == 0)
		r = attempt_done(j);
	if (r == 0)
		set_result(j->res, INGEST_STORED, 250, "discarded by %s", text);
	g_free(text);
	g_free(rule);
	return r;
}

static const struct sieve_action *
first_action(const struct sieve_result *r, enum sieve_action_kind kind)
{
	for (size_t i = 0; i < r->nactions; i++)
		if (r->actions[i].kind == kind)
			return &r->actions[i];
	return NULL;
}

/* A raw mail from an agent's address proves nothing (no token was
 * checked): a flagged internal note, as any unproven agent mail. */
static void
raw_from_agent(struct job *j)
{
	const struct conf_agent *a = conf_agent_by_address(j->ing->conf,
	    j->m->from.address);

	if (a == NULL)
		return;
	j->verdict = AGENT_UNVERIFIED;
	j->agent = a;
	j->m->flags |= MSG_F_UNVERIFIED_AGENT | MSG_F_INTERNAL;
}

static int
run_job(struct job *j, const struct ingest_attempt *attempts)
{
	const struct conf *cf = j->ing->conf;
	const struct sieve_action *reject = NULL;
	enum sieve_disposition disp;
	int r;

	parse_job(j, attempts);
	if ((r = dedupe(j)) != 0)
		return r == 1 ? 0 : -1;
	if (thread_job(j) == -1 || same_id_join(j) == -1)
		return -1;
	if (j->th.unknown_rcpt && cf->refuse_unknown) {
		set_result(j->res, INGEST_REFUSED, 550, "unknown recipient "
		    "<%s>", first_rcpt(j->env));
		j->res->exit_code = EX_NOUSER;
		return 0;
	}
	if ((j->auto_why = classify_own(j->m, cf, j->ing->keys)) == NULL)
		j->auto_why = classify_auto(j->m, j->env->sender);
	/* On a raw mail the rules and agent commands may be what failed:
	 * not run. */
	if (j->m->flags & MSG_F_UNPARSED)
		raw_from_agent(j);
	else {
		if (run_filters(j) == -1)
			return -1;
		disp = sieve_result_disposition(&j->sr, &reject);
		if (disp == SIEVE_DISP_REJECT) {
			set_result(j->res, INGEST_REFUSED, 550, "%s",
			    reject != NULL && reject->arg != NULL ?
			    reject->arg : "refused by a filter rule");
			return 0;
		}
		if (disp == SIEVE_DISP_DISCARD)
			return quarantine(j, first_action(&j->sr,
			    SIEVE_ACT_DISCARD));
		filter_queue(j);
		ingest_agent_identify(j);
	}
	if (place(j) == -1 || store_msg(j) == -1 || touch(j) == -1 ||
	    flush_events(j) == -1 ||
	    finish_ticket(j) == -1 ||
	    attempt_done(j) == -1)
		return -1;
	set_result(j->res, INGEST_STORED, 250, "stored as ticket %" PRId64,
	    j->res->ticket);
	return 0;
}

static bool
too_large(struct ingest *ing, size_t len, struct ingest_result *res)
{
	uint64_t limit = ing->conf->limits.message_size;

	if (limit == 0 || len <= limit)
		return false;
	set_result(res, INGEST_REFUSED, 552, "message too large (%zu bytes, "
	    "limit %" PRIu64 ")", len, limit);
	return true;
}

int
ingest_add(struct ingest *ing, const struct ingest_env *env, const char *raw,
    size_t len, const struct ingest_attempt *attempts,
    struct ingest_result *res)
{
	struct job j = { .ing = ing, .env = env, .raw = raw, .len = len,
	    .res = res };
	int r = 0;

	*res = (struct ingest_result){ 0 };
	if (too_large(ing, len, res))
		return 0;
	if (raw == ing->noted_raw && len == ing->noted_len)
		memcpy(j.digest, ing->noted_digest, sizeof(j.digest));
	else
		digest_message(raw, len, j.digest);
	j.events = g_ptr_array_new_with_free_func(pending_free);
	sieve_result_init(&j.sr);
	r = run_job(&j, attempts);
	if (r == -1) {
		set_result(res, INGEST_TEMPFAIL, 451, "%s",
		    store_is_busy(ing->store) ? "database busy" :
		    "internal error");
		r = -1;
	}
	g_ptr_array_free(j.events, TRUE);
	ingest_people_clear(&j);
	sieve_result_clear(&j.sr);
	msg_free(j.m);
	return r;
}

void
ingest_one(struct ingest *ing, const struct ingest_env *env, const char *raw,
    size_t len, struct ingest_result *res)
{
	struct ingest_attempt attempts = { 0 };

	*res = (struct ingest_result){ 0 };
	if (too_large(ing, len, res))
		return;
	if (ingest_note(ing, raw, len, &attempts) == -1 ||
	    ingest_begin(ing) == -1) {
		fail_all(res, 1, store_is_busy(ing->store) ? "database busy" :
		    "database unavailable");
		return;
	}
	if (ingest_add(ing, env, raw, len, &attempts, res) == -1) {
		store_rollback(ing->store);
		return;
	}
	if (res->status == INGEST_REFUSED) {
		store_rollback(ing->store);
		return;
	}
	ingest_commit(ing, res, 1);
}

/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "agentcmd.h"
#include "ingest-priv.h"
#include "log.h"
#include "quote.h"

/*
 * The agents' side of a stored message: a customer's mail notifies the
 * queue's agents; a verified agent's mail runs its commands and is
 * relayed to the customer without the quoted notification, or stays an
 * internal note; an unverified one never leaves the agents.
 */

/* An agent's reply token under someone else's From: a forgery, or a
 * leak (reply-all, forward); never a customer's mail to act on. */
static void
token_of_agent(struct job *j)
{
	const struct conf *cf = j->ing->conf;

	if (j->th.evidence != EVIDENCE_TOKEN)
		return;
	for (size_t i = 0; i < cf->nagents; i++) {
		if (token_check(j->ing->keys, j->th.purpose,
		    j->th.token_ticket, cf->agents[i].address, j->th.token)) {
			j->verdict = AGENT_UNVERIFIED;
			j->agent = &cf->agents[i];
			return;
		}
	}
}

/* The mail carries a token made for its From (for the ticket before
 * any merge). */
static bool
token_for_from(const struct job *j)
{
	return j->th.evidence == EVIDENCE_TOKEN && j->th.token_ticket != 0 &&
	    token_check(j->ing->keys, j->th.purpose, j->th.token_ticket,
	    j->m->from.address, j->th.token);
}

static bool
is_comment_address(const struct conf *cf, const char *address)
{
	bool comment = false;

	return conf_queue_by_address(cf, address, &comment) != NULL &&
	    comment;
}

/* A comment address or comment token among this run's recipients. */
static bool
comment_rcpt(const struct job *j)
{
	for (size_t i = 0; i < j->env->nrcpts; i++)
		if (is_comment_address(j->ing->conf, j->env->rcpts[i]))
			return true;
	return false;
}

/*
 * Is the mail meant for the agents only?  Its envelope, or its To/Cc:
 * every per-recipient delivery of one mail sees the same headers, so
 * every run decides the same.  Any queue's comment address counts: in
 * doubt a mail stays internal.
 */
static bool
comment_evidence(const struct job *j)
{
	const struct msg_addrs *lists[] = { &j->m->to, &j->m->cc };

	if (j->th.comment || comment_rcpt(j))
		return true;
	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			if (is_comment_address(j->ing->conf,
			    lists[l]->v[i].address))
				return true;
	return false;
}

/*
 * An agent who names a ticket by its subject tag means that ticket,
 * proven or not: never a new ticket with the agent as its requester.
 * The tag attaches; it grants nothing.
 */
static void
join_by_tag(struct job *j)
{
	if (j->th.ticket != 0 || j->th.tag_ref == 0 ||
	    j->th.evidence == EVIDENCE_BOUNCE)
		return;
	j->th.ticket = j->th.tag_ref;
	j->th.tag_ref = 0;
	j->th.evidence = EVIDENCE_SUBJECT_TAG;
	j->th.strong = false;
	snprintf(j->th.why, sizeof(j->th.why), "subject tag #%" PRId64
	    " from agent <%.80s>", j->th.ticket, j->m->from.address);
}

/*
 * The From's own token in To or Cc, for the ticket the mail joins: the
 * delivery of a mail to its other recipient (the comment address) is
 * proven by the same token as the delivery to the reply address, so
 * both runs find the same author.
 */
static bool
header_token(const struct job *j)
{
	const struct msg_addrs *lists[] = { &j->m->to, &j->m->cc };
	char tok[TOKEN_LEN + 1], *base;
	bool comment = false;
	int64_t ticket;

	for (size_t l = 0; l < G_N_ELEMENTS(lists) && j->th.ticket != 0; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			if (!token_address_parse(lists[l]->v[i].address, &base,
			    &ticket, tok))
				continue;
			if (conf_queue_by_address(j->ing->conf, base,
			    &comment) != NULL && ticket == j->th.ticket &&
			    token_check(j->ing->keys, comment ? TOKEN_COMMENT :
			    TOKEN_REPLY, ticket, j->m->from.address, tok)) {
				g_free(base);
				return true;
			}
			g_free(base);
		}
	return false;
}

/* Who wrote it: the verdict and the agent, and the ticket an agent's
 * subject tag names. */
static void
who_wrote(struct job *j)
{
	j->verdict = agent_identify_env(j->ing->conf, j->m, j->env->sender,
	    &j->agent, token_for_from(j));
	if (j->verdict == AGENT_NOT_AGENT) {
		token_of_agent(j);
		return;
	}
	join_by_tag(j);
	if (j->verdict == AGENT_UNVERIFIED && header_token(j))
		j->verdict = agent_identify_env(j->ing->conf, j->m,
		    j->env->sender, &j->agent, true);
	/* Our own mail coming back under an agent's From (a forwarding
	 * rule that rewrites it) is no agent's answer. */
	if (j->auto_why != NULL)
		j->verdict = AGENT_AUTOMATIC;
}

void
ingest_agent_identify(struct job *j)
{
	struct agentcmd_list l = { 0 };

	who_wrote(j);
	switch (j->verdict) {
	case AGENT_NOT_AGENT:
		return;
	case AGENT_UNVERIFIED:
		/* Whatever evidence it carried grants nothing: no watchers,
		 * no reopening. */
		j->th.strong = false;
		j->m->flags |= MSG_F_UNVERIFIED_AGENT | MSG_F_INTERNAL;
		return;
	case AGENT_AUTOMATIC:
		j->m->flags |= MSG_F_INTERNAL;
		return;
	default:
		break;
	}
	/*
	 * A mistyped command ("#coment", "#comment with text") may have
	 * meant to keep the mail internal: when in doubt it stays with the
	 * agents, and the author hears what was wrong.
	 */
	if (agentcmd_parse(j->m->body_text, &l) == -1 ||
	    agentcmd_check(&l, j->ing->conf, j->agent) == -1)
		j->m->flags |= MSG_F_INTERNAL;
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].kind == AGENTCMD_COMMENT)
			j->m->flags |= MSG_F_INTERNAL;
	if (comment_evidence(j))
		j->m->flags |= MSG_F_INTERNAL;
	/* A ticket number typed into a subject is no proof of which
	 * customer the answer is for (a typo would reach another one):
	 * only the reply address of a notification relays. */
	if (j->th.evidence == EVIDENCE_SUBJECT_TAG)
		j->m->flags |= MSG_F_INTERNAL;
	agentcmd_clear(&l);
}

static bool
serves(const struct conf_agent *a, const char *queue)
{
	if (a->queues == NULL || a->queues[0] == NULL)
		return true;
	for (char **q = a->queues; *q != NULL; q++)
		if (strcmp(*q, queue) == 0)
			return true;
	return false;
}

/*
 * Tell the agents: the assignee once there is one (unless all), else
 * the queue's agents -- also when the assignee is no agent of the
 * queue any more; never a verified author.  template: notify-agent.
 */
static int
tell_agents(struct job *j, struct respond_ctx *c, const char *body,
    const char *what, bool all)
{
	const struct conf *cf = j->ing->conf;
	struct store_ticket t = { 0 };
	char *sender = respond_sender(cf, &j->m->from, ingest_people_proven(j));
	char *from = g_strdup_printf("%s via %s", sender, c->queue->tag);
	const struct conf_agent *as;
	bool assignee;
	int r = 0;

	if (store_ticket_get(j->ing->store, c->ticket, &t) != 1) {
		g_free(sender);
		g_free(from);
		return -1;
	}
	as = all || t.assignee[0] == '\0' ? NULL :
	    conf_agent_find(cf, t.assignee);
	assignee = as != NULL && serves(as, t.queue);
	for (size_t i = 0; i < cf->nagents && r == 0; i++) {
		const struct conf_agent *a = &cf->agents[i];

		if ((assignee && a != as) || !serves(a, t.queue) ||
		    (a == j->agent && (j->verdict == AGENT_VERIFIED_TOKEN ||
		    j->verdict == AGENT_VERIFIED_AUTHRES)))
			continue;
		r = respond_mail(j->ing->respond, c, &(struct respond_mail){
		    .name = "notify-agent", .to = &(struct msg_addr){
		    .name = a->name, .address = a->address }, .from_name = from,
		    .auto_submitted = "auto-generated", .what = what,
		    .body = body, .with_parts = true,
		    .internal = strcmp(what, "notify") != 0, .sender = sender,
		    .notes = j->notes != NULL ? j->notes->str : NULL });
	}
	store_ticket_clear(&t);
	g_free(sender);
	g_free(from);
	return r;
}

/* The texts we sent on this ticket, to recognise them when quoted. */
static GPtrArray *
sent_texts(struct job *j, int64_t ticket)
{
	struct store_ticket_full f = { 0 };
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);

	if (store_ticket_full(j->ing->store, ticket, &f) == 1)
		for (size_t i = 0; i < f.nmessages; i++)
			if (f.messages[i].direction == DIR_OUT)
				g_ptr_array_add(v, g_strdup(
				    f.messages[i].body_text));
	store_ticket_full_clear(&f);
	return v;
}

static char *
actor(const struct job *j)
{
	return g_strdup_printf("agent:%s", j->agent->address);
}

static int
cmd_event(struct job *j, const char *what, const char *old, const char *new_)
{
	char *who = actor(j);
	int r = store_event_add(j->ing->store, j->res->ticket, j->res->message,
	    who, what, old, new_, "agent command");

	g_free(who);
	return r;
}

static int
set(struct job *j, const char *field, const char *value)
{
	if (store_ticket_set(j->ing->store, j->res->ticket, field, value) == -1)
		return -1;
	return cmd_event(j, field, NULL, value);
}

/* The people of a merged ticket follow it: later answers on the target
 * reach them too. */
static int
move_participants(struct job *j, int64_t into)
{
	struct store_participant *pv = NULL;
	size_t n = 0;
	int r;

	if ((r = store_participants(j->ing->store, j->res->ticket, &pv, &n)) ==
	    -1)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++)
		r = store_participant_add(j->ing->store, into, pv[i].address,
		    pv[i].name, pv[i].role == ROLE_REQUESTER ? ROLE_WATCHER :
		    pv[i].role);
	store_participants_free(pv, n);
	pv = NULL;
	n = 0;
	/* Proposals stay proposals there, for an agent to decide. */
	if (r == 0 && (r = store_proposed(j->ing->store, j->res->ticket, &pv,
	    &n)) == 0)
		for (size_t i = 0; i < n && r != -1; i++)
			r = store_proposed_add(j->ing->store, into,
			    pv[i].address, pv[i].name);
	store_participants_free(pv, n);
	return r == -1 ? -1 : 0;
}

static int
run_command(struct job *j, const struct agentcmd *cmd)
{
	struct store *s = j->ing->store;
	struct store_ticket t = { 0 };
	int64_t into;

	switch (cmd->kind) {
	case AGENTCMD_STATUS:
		return set(j, "status", cmd->arg);
	case AGENTCMD_PRIORITY:
		return set(j, "priority", cmd->arg);
	case AGENTCMD_ASSIGN:
		return set(j, "assignee", cmd->agent != NULL ?
		    cmd->agent->address : j->agent->address);
	case AGENTCMD_QUEUE:
		return set(j, "queue", cmd->queue != NULL ? cmd->queue->name :
		    cmd->arg);
	case AGENTCMD_TAG:
	case AGENTCMD_UNTAG:
		if (store_tag_set(s, j->res->ticket, cmd->arg,
		    cmd->kind == AGENTCMD_TAG) == -1)
			return -1;
		return cmd_event(j, cmd->kind == AGENTCMD_TAG ? "tag" : "untag",
		    NULL, cmd->arg);
	case AGENTCMD_ESCALATE:
		if (store_tag_set(s, j->res->ticket, "escalated", true) == -1)
			return -1;
		return set(j, "priority", "urgent");
	case AGENTCMD_MERGE:
		into = g_ascii_strtoll(cmd->arg, NULL, 10);
		if (into == j->res->ticket || store_ticket_get(s, into, &t) != 1)
			return cmd_event(j, "merge refused", NULL, cmd->arg);
		store_ticket_clear(&t);
		if (move_participants(j, into) == -1)
			return -1;
		return set(j, "merged_into", cmd->arg);
	case AGENTCMD_COMMENT:
		return 0;
	case AGENTCMD_CC_ADD:
	case AGENTCMD_CC_REMOVE:
		return ingest_people_cc(j, cmd);
	}
	return 0;
}

/* Invalid commands change nothing; the agent hears which and why. */
static int
command_errors(struct job *j, struct respond_ctx *c,
    const struct agentcmd_list *l)
{
	char *text = agentcmd_errors_text(l);
	int r = respond_mail(j->ing->respond, c, &(struct respond_mail){
	    .name = "command-error", .to = &(struct msg_addr){
	    .name = j->agent->name, .address = j->agent->address },
	    .auto_submitted = "auto-generated", .what = "command error",
	    .body = text });

	g_free(text);
	return r;
}

/* The answer goes to the requester and the watchers, never agents. */
static int
relay(struct job *j, struct respond_ctx *c, const char *text)
{
	struct store_participant *pv = NULL;
	char *from = g_strdup_printf("%s (%s)", j->agent->name,
	    c->queue->tag);
	size_t n = 0;
	int r;

	if ((r = store_participants(j->ing->store, c->ticket, &pv, &n)) == -1)
		goto out;
	for (size_t i = 0; i < n && r == 0; i++) {
		if (pv[i].role == ROLE_AGENT ||
		    conf_agent_find(j->ing->conf, pv[i].address) != NULL)
			continue;
		r = respond_mail(j->ing->respond, c, &(struct respond_mail){
		    .name = "agent-reply", .to = &(struct msg_addr){
		    .name = pv[i].name, .address = pv[i].address },
		    .from_name = from, .what = "relay", .body = text,
		    .agent_name = j->agent->name, .in_reply_to = c->root_id,
		    .with_parts = true, .relay = true });
	}
out:
	store_participants_free(pv, n);
	g_free(from);
	return r;
}

static int
response_times(struct job *j)
{
	struct store_ticket t = { 0 };
	char now[24];
	int r = 0;

	snprintf(now, sizeof(now), "%" PRId64, store_now(j->ing->store));
	if (store_ticket_get(j->ing->store, j->res->ticket, &t) != 1)
		return -1;
	if (t.first_response == 0)
		r = store_ticket_set(j->ing->store, t.number, "first_response",
		    now);
	if (r == 0)
		r = store_ticket_set(j->ing->store, t.number, "last_agent", now);
	store_ticket_clear(&t);
	return r;
}

/* The agent's own words: below the commands, above the quote. */
static char *
answer_text(struct job *j, int64_t ticket, const char *body)
{
	GPtrArray *sent = sent_texts(j, ticket);
	char *text = quote_new_text(body, (const char *const *)sent->pdata,
	    sent->len, j->ing->conf->cut_signature);

	g_ptr_array_free(sent, TRUE);
	return text;
}

/* An answer opens a new ticket, unless the agent set a status. */
static int
open_new(struct job *j)
{
	struct store_ticket t = { 0 };
	int r;

	if (store_ticket_get(j->ing->store, j->res->ticket, &t) != 1)
		return -1;
	r = t.status == TICKET_NEW ? set(j, "status", "open") : 0;
	store_ticket_clear(&t);
	return r;
}

static int
verified(struct job *j, struct respond_ctx *c)
{
	struct agentcmd_list l = { 0 };
	char *text;
	int r = 0;

	agentcmd_parse(j->m->body_text, &l);
	if (agentcmd_check(&l, j->ing->conf, j->agent) == -1)
		r = command_errors(j, c, &l);
	else
		for (size_t i = 0; i < l.n && r == 0; i++)
			r = run_command(j, &l.v[i]);
	text = answer_text(j, c->ticket, l.body);
	if (r == 0 && (j->m->flags & MSG_F_INTERNAL))
		r = tell_agents(j, c, text, "note", true);
	else if (r == 0 && *g_strstrip(text) != '\0') {
		r = relay(j, c, text);
		if (r == 0)
			r = open_new(j);
	}
	if (r == 0)
		r = response_times(j);
	g_free(text);
	agentcmd_clear(&l);
	return r;
}

/* Unproven agent mail stays with the agents, who are told (at most
 * once an hour per ticket). */
static int
unverified(struct job *j, struct respond_ctx *c)
{
	char *key = g_strdup_printf("unverified:%" PRId64, c->ticket);
	int64_t n = 0;
	int r = store_event_add(j->ing->store, c->ticket, j->res->message,
	    "system", "unverified agent mail", NULL, j->m->from.address,
	    "From is an agent, but neither a token nor a trusted "
	    "Authentication-Results proves it: not relayed, no command run");

	if (r == 0 && store_rate_count(j->ing->store, key,
	    store_now(j->ing->store) - 3600, &n) == 0 && n == 0) {
		r = store_rate_add(j->ing->store, key);
		if (r == 0)
			r = tell_agents(j, c, j->m->body_text, "unverified",
			    true);
	}
	g_free(key);
	return r;
}

/*
 * The customer's new text, quoted history trimmed, to the agents.  A
 * sender gets 3 rounds on a ticket an hour (20 when proven by a token
 * for their own address): a mailbox rule forwarding our notifications
 * back would otherwise loop forever.
 */
static int
notify_customer_mail(struct job *j, struct respond_ctx *c)
{
	int r;

	if (j->ing->conf->nagents == 0)
		return 0;
	if ((r = respond_loop_round(j->ing->respond, c,
	    ingest_people_proven(j))) != 0)
		return r == 1 ? 0 : -1;
	GPtrArray *sent = sent_texts(j, c->ticket);
	char *text = quote_new_text(j->m->body_text,
	    (const char *const *)sent->pdata, sent->len,
	    j->ing->conf->cut_signature);

	r = tell_agents(j, c, text, "notify", false);

	g_free(text);
	g_ptr_array_free(sent, TRUE);
	return r;
}

int
ingest_agent_after(struct job *j, struct respond_ctx *c)
{
	if (c->queue == NULL)
		return 0;
	switch (j->verdict) {
	case AGENT_NOT_AGENT:
		if (j->auto_why != NULL || j->th.evidence == EVIDENCE_BOUNCE)
			return 0;
		return notify_customer_mail(j, c);
	case AGENT_AUTOMATIC:
		return store_event_add(j->ing->store, c->ticket,
		    j->res->message, "system", "automatic agent mail", NULL,
		    j->m->from.address, j->auto_why);
	case AGENT_UNVERIFIED:
		return unverified(j, c);
	default:
		return verified(j, c);
	}
}

/* Was stored message id, on ticket, an agent's answer that left the
 * agents?  1 yes, 0 no, -1 error. */
static int
was_answer(struct job *j, int64_t ticket, int64_t id)
{
	struct store_ticket_full f = { 0 };
	int r;

	if ((r = store_ticket_full(j->ing->store, ticket, &f)) != 1)
		return r;
	r = 0;
	for (size_t i = 0; i < f.nmessages; i++)
		if (f.messages[i].id == id)
			r = f.messages[i].author == AUTHOR_AGENT &&
			    !(f.messages[i].flags & MSG_F_INTERNAL);
	store_ticket_full_clear(&f);
	return r;
}

/* Cancel what is still held; say so loudly when some went out. */
static int
cancel_relays(struct job *j, int64_t ticket, int64_t id)
{
	struct store *s = j->ing->store;
	int64_t cancelled, sent;
	char n[24];

	if (store_outbox_cancel_caused(s, id, "cancelled: a later delivery to the "
	    "comment address made it an internal note", &cancelled,
	    &sent) == -1)
		return -1;
	snprintf(n, sizeof(n), "%" PRId64, cancelled);
	if (store_event_add(s, ticket, id, "system", "late note", NULL, n,
	    "a later delivery of the same mail went to the comment address: "
	    "internal, held relays cancelled") == -1)
		return -1;
	if (sent == 0)
		return 0;
	log_errx("ingest: ticket %" PRId64 ": message %" PRId64 ": note may "
	    "have reached customers: %" PRId64 " relays sent before its "
	    "delivery to the comment address", ticket, id, sent);
	snprintf(n, sizeof(n), "%" PRId64, sent);
	return store_event_add(s, ticket, id, "system", "note may have reached "
	    "customers", NULL, n, "relayed before a later delivery to the "
	    "comment address (relay-hold too short or 0)");
}

int
ingest_agent_late_note(struct job *j, int64_t id, int64_t ticket)
{
	struct store_ticket t = { 0 };
	struct agentcmd_list l = { 0 };
	struct respond_ctx c;
	char *text;
	int r;

	if (ticket == 0 || !comment_rcpt(j))
		return 0;
	if ((r = was_answer(j, ticket, id)) != 1)
		return r;
	if (store_message_flag(j->ing->store, id, MSG_F_INTERNAL) == -1 ||
	    cancel_relays(j, ticket, id) == -1)
		return -1;
	/* The first run proved the author; tell the others, as for a
	 * note. */
	if ((j->agent = conf_agent_find(j->ing->conf, j->m->from.address)) ==
	    NULL)
		return 0;
	j->verdict = AGENT_VERIFIED_TOKEN;
	if (store_ticket_get(j->ing->store, ticket, &t) != 1)
		return -1;
	ingest_ctx(j, &t, id, &c);
	agentcmd_parse(j->m->body_text, &l);
	text = answer_text(j, ticket, l.body);
	r = c.queue != NULL ? tell_agents(j, &c, text, "note", true) : 0;
	g_free(text);
	agentcmd_clear(&l);
	store_ticket_clear(&t);
	return r;
}

/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "agentcmd.h"
#include "ingest-priv.h"
#include "log.h"

/*
 * Who receives a ticket's mail.  Threading says which ticket; only a
 * proven sender (thread_sender_proven()) or a verified agent adds
 * participants.  Everyone else's To/Cc become proposed participants,
 * who get nothing until an agent writes "#cc add".  Whenever someone is
 * added, the requester hears of it (an event, and at most once a day a
 * short notice), and no ticket grows past "limit participants".
 */

#define DAY	86400

enum people_mode {
	PEOPLE_NONE,		/* automatic or unverified agent mail */
	PEOPLE_ADD,		/* a proven sender or a verified agent */
	PEOPLE_ADD_MARKED,	/* new-ticket-cc accept, sender unproven */
	PEOPLE_PROPOSE,
};

/* One change for the audit trail, written once the message is stored. */
struct change {
	char	*what, *address, *why;
	bool	 added;		/* a participant: the requester hears */
};

static void
change_free(gpointer p)
{
	struct change *c = p;

	g_free(c->what);
	g_free(c->address);
	g_free(c->why);
	g_free(c);
}

static void
change(struct job *j, const char *what, const char *address, const char *why,
    bool added)
{
	struct change *c = g_new0(struct change, 1);

	if (j->changes == NULL)
		j->changes = g_ptr_array_new_with_free_func(change_free);
	c->what = g_strdup(what);
	c->address = g_strdup(address);
	c->why = g_strdup(why);
	c->added = added;
	g_ptr_array_add(j->changes, c);
}

void
ingest_people_note(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (j->notes == NULL)
		j->notes = g_string_new(NULL);
	va_start(ap, fmt);
	g_string_append_vprintf(j->notes, fmt, ap);
	va_end(ap);
	g_string_append_c(j->notes, '\n');
}

void
ingest_people_clear(struct job *j)
{
	if (j->changes != NULL)
		g_ptr_array_free(j->changes, TRUE);
	if (j->notes != NULL)
		g_string_free(j->notes, TRUE);
	j->changes = NULL;
	j->notes = NULL;
}

static bool
verified_agent(const struct job *j)
{
	return j->verdict == AGENT_VERIFIED_TOKEN ||
	    j->verdict == AGENT_VERIFIED_AUTHRES;
}

bool
ingest_people_proven(struct job *j)
{
	struct thread_in in = {
		.m = j->m, .rcpts = j->env->rcpts, .nrcpts = j->env->nrcpts,
		.conf = j->ing->conf, .keys = j->ing->keys,
	};

	if (verified_agent(j))
		return true;
	if (!j->proven_known) {
		j->proven = thread_sender_proven(&in, &j->th,
		    j->res->new_ticket ? 0 : j->res->ticket, j->proven_why,
		    sizeof(j->proven_why));
		j->proven_known = true;
	}
	return j->proven;
}

static enum people_mode
mode(struct job *j, bool new_ticket)
{
	const struct conf *cf = j->ing->conf;

	/* A raw scan of a mail the parser failed on is no evidence of
	 * whom its sender meant: an agent decides. */
	if (j->m->flags & MSG_F_UNPARSED)
		return j->auto_why != NULL ? PEOPLE_NONE : PEOPLE_PROPOSE;
	if (verified_agent(j))
		return PEOPLE_ADD;
	if (!new_ticket && j->verdict != AGENT_NOT_AGENT)
		return PEOPLE_NONE;
	if (ingest_people_proven(j))
		return PEOPLE_ADD;
	if (new_ticket)
		return conf_new_ticket_cc(cf, j->th.queue) == CONF_CC_PROPOSE ?
		    PEOPLE_PROPOSE : PEOPLE_ADD_MARKED;
	return j->auto_why != NULL ? PEOPLE_NONE : PEOPLE_PROPOSE;
}

/* Not us, not an agent, not the sender, an address at all. */
static bool
candidate(const struct job *j, const char *address)
{
	const struct conf *cf = j->ing->conf;

	return strchr(address, '@') != NULL &&
	    !thread_is_our_address(cf, address) &&
	    conf_agent_by_address(cf, address) == NULL &&
	    g_ascii_strcasecmp(address, j->m->from.address) != 0;
}

/* 1 when the ticket has room for another participant (or proposal). */
static int
room(struct job *j, int64_t ticket, bool proposed)
{
	struct store_participant *pv = NULL;
	size_t n = 0;
	int r = proposed ? store_proposed(j->ing->store, ticket, &pv, &n) :
	    store_participants(j->ing->store, ticket, &pv, &n);

	store_participants_free(pv, n);
	if (r == -1)
		return -1;
	return n < j->ing->conf->limits.participants;
}

/*
 * Add one watcher (or propose one): 1 when added, 2 when proposed
 * already, 0 when already a participant or over the limit (*skipped
 * counts it), -1 on error.
 */
static int
add_one(struct job *j, int64_t ticket, const struct msg_addr *a,
    bool propose, const char *why, unsigned *skipped)
{
	struct store *s = j->ing->store;
	int r;

	if ((r = store_participant_is(s, ticket, a->address)) != 0)
		return r == 1 ? 0 : -1;
	if ((r = room(j, ticket, propose)) != 1) {
		*skipped += r == 0;
		return r;
	}
	if (propose) {
		if ((r = store_proposed_add(s, ticket, a->address, a->name)) ==
		    1)
			change(j, "participant proposed", a->address, why,
			    false);
		return r == -1 ? -1 : r == 1 ? 1 : 2;
	}
	if (store_participant_add(s, ticket, a->address, a->name,
	    ROLE_WATCHER) == -1 || store_proposed_del(s, ticket,
	    a->address) == -1)
		return -1;
	change(j, "participant added", a->address, why, true);
	return 1;
}

static void
limit_reached(struct job *j, unsigned skipped)
{
	char n[16], *why;

	if (skipped == 0)
		return;
	snprintf(n, sizeof(n), "%u", skipped);
	why = g_strdup_printf("limit participants %u: %u address%s not "
	    "added", j->ing->conf->limits.participants, skipped,
	    skipped == 1 ? "" : "es");
	change(j, "participant limit", n, why, false);
	ingest_people_note(j, "Participant limit (%u) reached: %u address%s "
	    "not added.", j->ing->conf->limits.participants, skipped,
	    skipped == 1 ? "" : "es");
	g_free(why);
}

static void
note_added(struct job *j, enum people_mode md, const struct msg_addr *a)
{
	if (md == PEOPLE_PROPOSE)
		ingest_people_note(j, "Proposed Cc (not added): %s \xe2\x80\x94 "
		    "reply `#cc add %s`", a->address, a->address);
	else if (md == PEOPLE_ADD_MARKED)
		ingest_people_note(j, "Cc'd by an unverified sender: %s",
		    a->address);
}

static const char *
mode_why(struct job *j, enum people_mode md)
{
	if (md == PEOPLE_ADD)
		return verified_agent(j) ? "To/Cc of a verified agent" :
		    j->proven_why;
	if (md == PEOPLE_ADD_MARKED)
		return "new-ticket-cc accept: Cc'd by an unverified sender";
	return j->proven_why;
}

int
ingest_people_from_mail(struct job *j, int64_t ticket, bool new_ticket)
{
	const struct msg_addrs *lists[] = { &j->m->to, &j->m->cc };
	enum people_mode md = mode(j, new_ticket);
	unsigned skipped = 0;
	int r;

	for (size_t l = 0; l < G_N_ELEMENTS(lists) && md != PEOPLE_NONE;
	    l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct msg_addr *a = &lists[l]->v[i];

			if (!candidate(j, a->address))
				continue;
			if ((r = add_one(j, ticket, a, md == PEOPLE_PROPOSE,
			    mode_why(j, md), &skipped)) == -1)
				return -1;
			if (r >= 1)
				note_added(j, md, a);
		}
	}
	limit_reached(j, skipped);
	return 0;
}

/* #cc add ADDR / #cc remove ADDR from a verified agent. */
int
ingest_people_cc(struct job *j, const struct agentcmd *cmd)
{
	struct store *s = j->ing->store;
	int64_t t = j->res->ticket;
	unsigned skipped = 0;
	int r, p;

	if (cmd->kind == AGENTCMD_CC_ADD) {
		if (!candidate(j, cmd->arg)) {
			change(j, "cc refused", cmd->arg, "one of our "
			    "addresses or an agent", false);
			return 0;
		}
		r = add_one(j, t, &(struct msg_addr){ .name = "",
		    .address = cmd->arg }, false, "#cc add by an agent",
		    &skipped);
		limit_reached(j, skipped);
		return r == -1 ? -1 : 0;
	}
	if ((r = store_participant_del(s, t, cmd->arg)) == -1 ||
	    (p = store_proposed_del(s, t, cmd->arg)) == -1)
		return -1;
	change(j, r == 1 || p == 1 ? "participant removed" : "cc remove: "
	    "no such participant", cmd->arg, "#cc remove by an agent",
	    false);
	return 0;
}

/* At most once per ticket and day: "bob@x was added to your ticket". */
static int
notice(struct job *j, struct respond_ctx *c, const char *requester,
    const char *added)
{
	char *key = g_strdup_printf("participant-added:%" PRId64, c->ticket);
	struct store *s = j->ing->store;
	int64_t n = 0;
	int r;

	if ((r = store_rate_count(s, key, store_now(s) - DAY, &n)) == 0 &&
	    n == 0 && (r = store_rate_add(s, key)) == 0)
		r = respond_mail(j->ing->respond, c, &(struct respond_mail){
		    .name = "participant-added", .to = &(struct msg_addr){
		    .name = "", .address = (char *)requester },
		    .auto_submitted = "auto-generated",
		    .what = "participant notice", .added = added,
		    .in_reply_to = c->root_id });
	else if (r == 0)
		r = store_event_add(s, c->ticket, c->message, "system",
		    "participant notice suppressed", NULL, requester,
		    "one notice per ticket and day");
	g_free(key);
	return r;
}

static char *
actor(const struct job *j)
{
	return j->agent != NULL && verified_agent(j) ?
	    g_strdup_printf("agent:%s", j->agent->address) :
	    g_strdup("system");
}

/*
 * After the message is stored: the changes as events, and the
 * requester's notice when someone else added a participant.
 */
int
ingest_people_finish(struct job *j, struct respond_ctx *c,
    const char *requester)
{
	GString *added = g_string_new(NULL);
	char *who = actor(j);
	int r = 0;

	for (guint i = 0; j->changes != NULL && i < j->changes->len &&
	    r == 0; i++) {
		struct change *ch = g_ptr_array_index(j->changes, i);

		r = store_event_add(j->ing->store, c->ticket, c->message, who,
		    ch->what, NULL, ch->address, ch->why);
		if (ch->added)
			g_string_append_printf(added, "%s%s", added->len > 0 ?
			    ", " : "", ch->address);
	}
	/* The requester's own mail or a new ticket: they know already;
	 * and never to us or an agent. */
	if (r == 0 && added->len > 0 && !j->res->new_ticket &&
	    candidate(j, requester))
		r = notice(j, c, requester, added->str);
	g_string_free(added, TRUE);
	g_free(who);
	return r;
}

/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "authres.h"
#include "log.h"
#include "thread.h"

#define MERGE_HOPS	16

static const char *const evidence_names[] = {
	[EVIDENCE_NEW] = "new",
	[EVIDENCE_TOKEN] = "token",
	[EVIDENCE_OUR_REF] = "our-ref",
	[EVIDENCE_FOREIGN_REF] = "foreign-ref",
	[EVIDENCE_SUBJECT_TAG] = "subject-tag",
	[EVIDENCE_BOUNCE] = "bounce",
};

const char *
thread_evidence_name(enum thread_evidence e)
{
	return evidence_names[e];
}

static bool
is_bounce_local(const char *address)
{
	return g_ascii_strncasecmp(address, "bounce+", 7) == 0;
}

bool
thread_is_our_address(const struct conf *cf, const char *address)
{
	return conf_is_our_address(cf, address);
}

/* The addresses threading looks at for tokens and the queue. */
static GPtrArray *
candidates(const struct thread_in *in)
{
	GPtrArray *a = g_ptr_array_new();
	const struct msg *m = in->m;
	const char *v;

	if (in->rcpts != NULL && in->nrcpts > 0) {
		for (size_t i = 0; i < in->nrcpts; i++)
			g_ptr_array_add(a, (gpointer)in->rcpts[i]);
		return a;
	}
	for (size_t i = 0; (v = msg_header_nth(m, "Delivered-To", i)); i++)
		g_ptr_array_add(a, (gpointer)v);
	for (size_t i = 0; i < m->to.n; i++)
		g_ptr_array_add(a, m->to.v[i].address);
	for (size_t i = 0; i < m->cc.n; i++)
		g_ptr_array_add(a, m->cc.v[i].address);
	return a;
}

/* Does token verify for ticket and one of its participants or agents? */
static int
token_valid(struct store *s, const struct thread_in *in,
    enum token_purpose p, int64_t ticket, const char *tok)
{
	struct store_participant *pv = NULL;
	size_t n = 0;
	bool ok = false;

	if (store_participants(s, ticket, &pv, &n) == -1)
		return -1;
	for (size_t i = 0; i < n && !ok; i++)
		ok = token_check(in->keys, p, ticket, pv[i].address, tok);
	for (size_t i = 0; i < in->conf->nagents && !ok; i++)
		ok = token_check(in->keys, p, ticket,
		    in->conf->agents[i].address, tok);
	store_participants_free(pv, n);
	return ok;
}

static int
follow_merges(struct store *s, int64_t *ticket)
{
	struct store_ticket t = { 0 };
	int r = 0;

	for (int hop = 0; hop < MERGE_HOPS; hop++) {
		if ((r = store_ticket_get(s, *ticket, &t)) != 1)
			break;
		if (t.merged_into == 0) {
			store_ticket_clear(&t);
			return 1;
		}
		*ticket = t.merged_into;
		store_ticket_clear(&t);
	}
	return r;
}

/* One candidate address: a signed reply, comment or bounce address. */
static int
by_token_one(struct store *s, const struct thread_in *in, const char *addr,
    struct thread_out *out)
{
	char tok[TOKEN_LEN + 1], *base = NULL;
	const struct conf_queue *q = NULL;
	enum token_purpose p;
	bool comment = false;
	int64_t ticket;
	int r = 0;

	if (!token_address_parse(addr, &base, &ticket, tok))
		return 0;
	if (is_bounce_local(addr))
		p = TOKEN_BOUNCE;
	else if ((q = conf_queue_by_address(in->conf, base, &comment)) != NULL)
		p = comment ? TOKEN_COMMENT : TOKEN_REPLY;
	else
		goto out;
	if ((r = token_valid(s, in, p, ticket, tok)) != 1)
		goto out;
	out->token_ticket = ticket;
	if ((r = follow_merges(s, &ticket)) != 1)
		goto out;
	out->ticket = ticket;
	out->strong = true;
	/* Mail to the comment address stays a comment, whatever other
	 * address it also went to. */
	out->comment = out->comment || comment;
	out->purpose = p;
	memcpy(out->token, tok, sizeof(out->token));
	out->evidence = p == TOKEN_BOUNCE ? EVIDENCE_BOUNCE : EVIDENCE_TOKEN;
	if (q != NULL)
		out->queue = q;
	snprintf(out->why, sizeof(out->why), "%s token for ticket %" PRId64
	    " in <%s>", p == TOKEN_BOUNCE ? "bounce" : comment ? "comment" :
	    "reply", ticket, addr);
out:
	g_free(base);
	return r;
}

static int
by_token(struct store *s, const struct thread_in *in, GPtrArray *cand,
    struct thread_out *out)
{
	for (guint i = 0; i < cand->len; i++) {
		int r = by_token_one(s, in, g_ptr_array_index(cand, i), out);

		if (r != 0)
			return r;
	}
	return 0;
}

static int
by_reference_one(struct store *s, const struct thread_in *in, const char *id,
    struct thread_out *out)
{
	int64_t ticket, signed_ticket;
	bool ours = false;
	int r;

	if ((r = store_msgid_find(s, id, &ticket, &ours)) != 1)
		return r;
	/* "ours" must also carry a valid HMAC naming the same ticket. */
	ours = ours && token_message_id_check(in->keys, id, &signed_ticket) &&
	    signed_ticket == ticket;
	if ((r = follow_merges(s, &ticket)) != 1)
		return r;
	out->ticket = ticket;
	out->strong = ours;
	out->evidence = ours ? EVIDENCE_OUR_REF : EVIDENCE_FOREIGN_REF;
	snprintf(out->why, sizeof(out->why), "%s Message-ID <%.100s>",
	    ours ? "our" : "known", id);
	return 1;
}

static int
by_reference(struct store *s, const struct thread_in *in,
    struct thread_out *out)
{
	const struct msg *m = in->m;
	int r;

	if (m->in_reply_to[0] != '\0' &&
	    (r = by_reference_one(s, in, m->in_reply_to, out)) != 0)
		return r;
	for (size_t i = m->references.n; i-- > 0;)
		if ((r = by_reference_one(s, in, m->references.v[i], out)) != 0)
			return r;
	return 0;
}

/* "[Tag #123]" of any queue in the subject; the ticket number or 0. */
static int64_t
subject_tag(const struct conf *cf, const char *subject)
{
	for (size_t i = 0; i < cf->nqueues; i++) {
		const char *tag = cf->queues[i].tag;
		size_t n = strlen(tag);

		for (const char *p = strchr(subject, '['); p != NULL;
		    p = strchr(p + 1, '[')) {
			char *end;
			int64_t num;

			if (g_ascii_strncasecmp(p + 1, tag, n) != 0 ||
			    strncmp(p + 1 + n, " #", 2) != 0 ||
			    !g_ascii_isdigit(p[n + 3]))
				continue;
			num = g_ascii_strtoll(p + n + 3, &end, 10);
			if (*end == ']' && num > 0)
				return num;
		}
	}
	return 0;
}

static int
by_subject_tag(struct store *s, const struct thread_in *in,
    struct thread_out *out)
{
	int64_t ticket = subject_tag(in->conf, in->m->subject);
	int r;

	if (ticket == 0)
		return 0;
	if ((r = follow_merges(s, &ticket)) != 1)
		return r;
	r = store_participant_is(s, ticket, in->m->from.address);
	if (r == 1) {
		out->ticket = ticket;
		out->evidence = EVIDENCE_SUBJECT_TAG;
		snprintf(out->why, sizeof(out->why), "subject tag #%" PRId64
		    " from participant <%.80s>", ticket, in->m->from.address);
	} else if (r == 0) {
		out->tag_ref = ticket;
	}
	return r == -1 ? -1 : 0;
}

static void
pick_queue(const struct thread_in *in, GPtrArray *cand,
    struct thread_out *out)
{
	const struct conf *cf = in->conf;
	bool comment;

	if (in->queue != NULL && (out->queue = conf_queue_by_name(cf,
	    in->queue)) != NULL)
		return;
	for (guint i = 0; i < cand->len; i++) {
		const struct conf_queue *q = conf_queue_by_address(cf,
		    g_ptr_array_index(cand, i), &comment);

		if (q != NULL && out->queue == NULL)
			out->queue = q;
		out->comment = out->comment || (q != NULL && comment);
	}
	if (out->queue != NULL)
		return;
	/* Mail relayed to us under an address we don't know. */
	out->unknown_rcpt = in->rcpts != NULL && in->nrcpts > 0;
	for (guint i = 0; i < cand->len && out->unknown_rcpt; i++)
		if (thread_is_our_address(cf, g_ptr_array_index(cand, i)))
			out->unknown_rcpt = false;
	out->queue = cf->nqueues > 0 ? &cf->queues[0] : NULL;
}

int
thread_find(struct store *s, const struct thread_in *in,
    struct thread_out *out)
{
	GPtrArray *cand = candidates(in);
	int r;

	*out = (struct thread_out){ .evidence = EVIDENCE_NEW };
	pick_queue(in, cand, out);
	if ((r = by_token(s, in, cand, out)) == 0 &&
	    (r = by_reference(s, in, out)) == 0)
		r = by_subject_tag(s, in, out);
	g_ptr_array_free(cand, TRUE);
	if (r == -1)
		return -1;
	if (out->ticket == 0 && out->why[0] == '\0') {
		if (out->tag_ref != 0)
			snprintf(out->why, sizeof(out->why), "subject tag #%"
			    PRId64 " from non-participant <%.80s>",
			    out->tag_ref, in->m->from.address);
		else
			snprintf(out->why, sizeof(out->why), "no reference "
			    "to a known ticket");
	}
	return 0;
}

/* A reply token for (ticket, from) in one address? */
static bool
token_for_sender(const struct thread_in *in, const char *addr, int64_t ticket,
    int64_t token_ticket)
{
	char tok[TOKEN_LEN + 1], *base = NULL;
	const struct conf_queue *q;
	bool comment = false, ok = false;
	int64_t t;

	if (!token_address_parse(addr, &base, &t, tok))
		return false;
	q = conf_queue_by_address(in->conf, base, &comment);
	if (q != NULL && !comment && (t == ticket || t == token_ticket))
		ok = token_check(in->keys, TOKEN_REPLY, t, in->m->from.address,
		    tok);
	g_free(base);
	return ok;
}

static bool
sender_token(const struct thread_in *in, int64_t ticket, int64_t token_ticket)
{
	const struct msg *m = in->m;

	for (size_t i = 0; in->rcpts != NULL && i < in->nrcpts; i++)
		if (token_for_sender(in, in->rcpts[i], ticket, token_ticket))
			return true;
	for (size_t i = 0; i < m->to.n; i++)
		if (token_for_sender(in, m->to.v[i].address, ticket,
		    token_ticket))
			return true;
	for (size_t i = 0; i < m->cc.n; i++)
		if (token_for_sender(in, m->cc.v[i].address, ticket,
		    token_ticket))
			return true;
	return false;
}

/* The DMARC result of our MTA's topmost A-R for the From domain; NULL
 * without a trusted one.  g_free(). */
static char *
sender_dmarc(const struct thread_in *in, bool *trusted)
{
	const char *at = strrchr(in->m->from.address, '@'), *res;
	struct authres ar;
	char *r = NULL;

	*trusted = false;
	if (in->conf->trusted_authserv == NULL ||
	    *in->conf->trusted_authserv == '\0')
		return NULL;
	*trusted = true;
	if (at == NULL ||
	    authres_trusted(in->m, in->conf->trusted_authserv, &ar) == -1)
		return NULL;
	if ((res = authres_dmarc_result(&ar, at + 1)) != NULL)
		r = g_strdup(res);
	authres_clear(&ar);
	return r;
}

bool
thread_sender_proven(const struct thread_in *in, const struct thread_out *out,
    int64_t ticket, char *why, size_t len)
{
	bool trusted, pass, fail, tok;
	char *dmarc = sender_dmarc(in, &trusted);

	pass = dmarc != NULL && strcmp(dmarc, "pass") == 0;
	fail = dmarc != NULL && strcmp(dmarc, "fail") == 0;
	tok = ticket != 0 && sender_token(in, ticket, out->token_ticket);
	g_free(dmarc);
	if (ticket == 0 ? pass : tok && !fail &&
	    (!in->conf->require_dmarc_pass || pass)) {
		snprintf(why, len, "%s", ticket == 0 ? "aligned dmarc=pass" :
		    "own reply token");
		return true;
	}
	if (ticket != 0 && tok && fail)
		snprintf(why, len, "own reply token, but dmarc=fail at our "
		    "MTA");
	else if (ticket != 0 && tok)
		snprintf(why, len, "own reply token, but no aligned dmarc=pass "
		    "(require-dmarc-pass)");
	else if (ticket == 0)
		snprintf(why, len, "a new ticket%s", trusted ? " without an "
		    "aligned dmarc=pass" : ": no trusted authserv-id");
	else
		snprintf(why, len, "no reply token for the sender <%.80s>",
		    in->m->from.address);
	return false;
}

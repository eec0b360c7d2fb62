/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "fetch.h"
#include "imap.h"
#include "log.h"
#include "uidstate.h"

/* A batch: this many messages or bytes, whichever comes first (at
 * least one message). */
#define BATCH_MAX	500
#define BATCH_BYTES	(16 * 1024 * 1024)
/* RFC 9051: a server may drop an idle client after 30 minutes. */
#define IDLE_RENEW_MS	(28 * 60 * 1000)
#define POLL_SECONDS	60
#define RETRY_MS	(60 * 1000)
#define BACKOFF_MAX	60
#define NET_TIMEOUT	60

/* One round over one mailbox. */
struct round {
	const struct fetch_account *a;
	const char		*name;		/* the account's, for logs */
	struct imap		*im;
	char			*key;		/* state key: user@host */
	int64_t			 uidvalidity;
	struct store_imap_state	 st;		/* as the round found it */
	int64_t			*cand;		/* not committed then, ascending */
	bool			*committed;	/* cand[i] committed since */
	size_t			 ncand;
	GArray			*refused;	/* UIDs for the refused-folder */
	struct fetch_counts	 n;
};

static struct imap *
connect_account(const struct fetch_account *a, enum imap_fail *fail)
{
	const struct conf_imap *m = a->imap;
	struct imap_opts o = {
		.user = m->user,
		.password = a->password,
		.host = m->host,
		.port = m->port,
		.tls = m->tls,
		.ca_file = m->ca_file,
		.timeout = NET_TIMEOUT,
	};

	return imap_connect(&o, fail);
}

static int
apply_after(struct round *r, const int64_t *uids, size_t n)
{
	const struct conf_imap *m = r->a->imap;

	switch (m->after) {
	case CONF_AFTER_SEEN:
		return imap_mark_seen(r->im, uids, n);
	case CONF_AFTER_DELETE:
		return imap_delete(r->im, uids, n);
	case CONF_AFTER_MOVE:
		return imap_move(r->im, uids, n, m->folder);
	}
	return -1;
}

/*
 * Messages committed earlier but still waiting for their after-fetch
 * action (a crash, or a connection lost, between COMMIT and the STORE or
 * MOVE): do it now.
 */
static int
reconcile(struct round *r)
{
	enum imap_search what = r->a->imap->after == CONF_AFTER_SEEN ?
	    IMAP_SEARCH_UNSEEN : IMAP_SEARCH_UNDELETED;
	int64_t *uids;
	size_t n, k = 0;
	int ret;

	if (imap_search(r->im, what, 0, &uids, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (uidstate_has(&r->st, uids[i]))
			uids[k++] = uids[i];
	if (k > 0)
		log_info("fetch: %s: %zu committed message(s) left from "
		    "before: after-fetch action now", r->name, k);
	ret = apply_after(r, uids, k);
	free(uids);
	return ret;
}

/* Every UID above upto that is not committed yet. */
static int
load_candidates(struct round *r)
{
	int64_t *uids;
	size_t n, k = 0;

	if (imap_search(r->im, IMAP_SEARCH_FROM, r->st.upto + 1, &uids,
	    &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!uidstate_has(&r->st, uids[i]) &&
		    (k == 0 || uids[k - 1] != uids[i]))
			uids[k++] = uids[i];
	r->cand = uids;
	r->ncand = k;
	r->committed = g_new0(bool, k + 1);
	return 0;
}

static ssize_t
cand_index(const struct round *r, int64_t uid)
{
	size_t lo = 0, hi = r->ncand;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->cand[mid] == uid)
			return (ssize_t)mid;
		if (r->cand[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool
is_committed(const struct ingest_result *res)
{
	return res->status == INGEST_STORED ||
	    res->status == INGEST_DUPLICATE;
}

/* The state this batch makes, written inside its transaction; *next
 * says which candidates it commits. */
static int
record_state(struct round *r, const struct imap_msg *msgs, size_t n,
    const bool *skip, const struct ingest_result *res, bool *next)
{
	struct store_imap_state st = { 0 };
	int ret;

	memcpy(next, r->committed, r->ncand * sizeof(*next));
	for (size_t i = 0; i < n; i++) {
		ssize_t k = cand_index(r, msgs[i].uid);

		if (!skip[i] && k >= 0 && is_committed(&res[i]))
			next[k] = true;
	}
	uidstate_advance(&r->st, r->cand, next, r->ncand, &st);
	ret = store_imap_state_set(r->a->store, r->key, r->a->imap->mailbox,
	    r->uidvalidity, &st);
	store_imap_state_clear(&st);
	return ret;
}

/* Add every message not skipped; the index of the first that failed,
 * or n.  That one's reason is logged before the rollback loses it. */
static size_t
add_all(struct round *r, const struct imap_msg *msgs, size_t n,
    const struct ingest_attempt *attempts, const bool *skip,
    struct ingest_result *res)
{
	const struct conf_imap *m = r->a->imap;
	struct ingest_env env = {
		.sender = NULL,		/* IMAP does not know it */
		.queue = *m->queue != '\0' ? m->queue : NULL,
	};

	for (size_t i = 0; i < n; i++) {
		if (skip[i])
			continue;
		if (ingest_add(r->a->ingest, &env, msgs[i].raw, msgs[i].len,
		    &attempts[i], &res[i]) == -1) {
			log_warnx("fetch: %s: uid %" PRId64 ": %s: left for "
			    "the next round", r->name, msgs[i].uid,
			    res[i].reason);
			return i;
		}
	}
	return n;
}

/*
 * One transaction for the batch.  A message that fails is taken out
 * and the rest go again; -1 when the database itself failed (then
 * nothing of the batch counts).
 */
static int
commit_batch(struct round *r, const struct imap_msg *msgs, size_t n,
    const struct ingest_attempt *attempts, bool *skip,
    struct ingest_result *res)
{
	struct ingest *ing = r->a->ingest;
	bool *next = g_new0(bool, r->ncand + 1);
	size_t bad;
	int ret = -1;

	for (;;) {
		if (ingest_begin(ing) == -1)
			goto out;
		if ((bad = add_all(r, msgs, n, attempts, skip, res)) < n) {
			ingest_rollback(ing, res, n);
			skip[bad] = true;
			continue;
		}
		if (record_state(r, msgs, n, skip, res, next) == -1) {
			ingest_rollback(ing, res, n);
			goto out;
		}
		if (ingest_commit(ing, res, n) == -1)
			goto out;
		memcpy(r->committed, next, r->ncand * sizeof(*next));
		ret = 0;
		goto out;
	}
out:
	g_free(next);
	return ret;
}

/* After COMMIT: count, and act on the server. */
static int
after_commit(struct round *r, const struct imap_msg *msgs, size_t n,
    const bool *skip, const struct ingest_result *res)
{
	GArray *done = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int ret;

	for (size_t i = 0; i < n; i++) {
		if (skip[i]) {
			r->n.failed++;
			continue;
		}
		if (res[i].status == INGEST_STORED)
			r->n.stored++;
		else if (res[i].status == INGEST_DUPLICATE)
			r->n.duplicates++;
		if (is_committed(&res[i]))
			g_array_append_val(done, msgs[i].uid);
		else if (res[i].status == INGEST_REFUSED) {
			log_warnx("fetch: %s: uid %" PRId64 ": refused: %s",
			    r->name, msgs[i].uid, res[i].reason);
			g_array_append_val(r->refused, msgs[i].uid);
		}
	}
	ret = apply_after(r, (const int64_t *)(void *)done->data, done->len);
	g_array_free(done, TRUE);
	return ret;
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct imap_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The config on disk is not the one in memory: store nothing more. */
static bool
conf_stale(const struct fetch_account *a)
{
	if (a->reload == NULL)
		return false;
	if (!*a->reload && conf_changed(a->conf)) {
		log_info("fetch: %s: the configuration changed: reloading",
		    a->imap->name);
		*a->reload = 1;
	}
	return *a->reload;
}

static bool
ending(const struct fetch_account *a, volatile sig_atomic_t *stop)
{
	return *stop || (a->reload != NULL && *a->reload);
}

static int
ingest_batch(struct round *r, struct imap_msg *msgs, size_t n)
{
	struct ingest_result *res;
	struct ingest_attempt *attempts;
	bool *skip;
	int ret = -1;

	if (conf_stale(r->a))
		return -1;
	res = g_new0(struct ingest_result, n + 1);
	attempts = g_new0(struct ingest_attempt, n + 1);
	skip = g_new0(bool, n + 1);
	qsort(msgs, n, sizeof(*msgs), cmp_msg);
	for (size_t i = 0; i < n; i++)
		if (ingest_note(r->a->ingest, msgs[i].raw, msgs[i].len,
		    &attempts[i]) == -1)
			skip[i] = true;
	r->n.fetched += n;
	if (commit_batch(r, msgs, n, attempts, skip, res) == 0)
		ret = after_commit(r, msgs, n, skip, res);
	else {
		log_warnx("fetch: %s: batch of %zu: database failed: left "
		    "for the next round", r->name, n);
		r->n.failed += n;
	}
	g_free(res);
	g_free(attempts);
	g_free(skip);
	return ret;
}

static int
fetch_batch(struct round *r, const int64_t *uids, size_t n)
{
	struct imap_msg *msgs;
	size_t nmsgs;
	int ret;

	if (imap_fetch(r->im, uids, n, true, &msgs, &nmsgs) == -1)
		return -1;
	ret = nmsgs > 0 ? ingest_batch(r, msgs, nmsgs) : 0;
	imap_msgs_free(msgs, nmsgs);
	return ret;
}

/* Over the size limit: refused without downloading it. */
static bool
too_large(struct round *r, const struct imap_msg *m)
{
	uint64_t limit = r->a->conf->limits.message_size;

	if (limit == 0 || m->size < 0 || (uint64_t)m->size <= limit)
		return false;
	log_warnx("fetch: %s: uid %" PRId64 ": refused: message too large "
	    "(%" PRId64 " bytes, limit %" PRIu64 ")", r->name, m->uid,
	    m->size, limit);
	g_array_append_val(r->refused, m->uid);
	return true;
}

/* Sizes first, then the bodies in batches of BATCH_MAX or BATCH_BYTES. */
static int
fetch_candidates(struct round *r)
{
	struct imap_msg *sz;
	size_t nsz;
	uint64_t bytes = 0;
	GArray *b = g_array_new(FALSE, FALSE, sizeof(int64_t));
	int ret = 0;

	if (imap_fetch(r->im, r->cand, r->ncand, false, &sz, &nsz) == -1) {
		g_array_free(b, TRUE);
		return -1;
	}
	qsort(sz, nsz, sizeof(*sz), cmp_msg);
	for (size_t i = 0; i < nsz && ret == 0; i++) {
		if (too_large(r, &sz[i]))
			continue;
		g_array_append_val(b, sz[i].uid);
		bytes += sz[i].size > 0 ? (uint64_t)sz[i].size : 0;
		if (b->len < BATCH_MAX && bytes < BATCH_BYTES && i + 1 < nsz)
			continue;
		ret = fetch_batch(r, (int64_t *)(void *)b->data, b->len);
		g_array_set_size(b, 0);
		bytes = 0;
	}
	if (ret == 0 && b->len > 0)
		ret = fetch_batch(r, (int64_t *)(void *)b->data, b->len);
	imap_msgs_free(sz, nsz);
	g_array_free(b, TRUE);
	return ret;
}

static int
move_refused(struct round *r)
{
	const char *folder = r->a->imap->refused_folder;

	if (r->refused->len == 0)
		return 0;
	g_array_sort(r->refused, uidstate_cmp);
	r->n.refused += r->refused->len;
	log_info("fetch: %s: %u refused message(s) to %s", r->name,
	    r->refused->len, folder);
	return imap_move(r->im, (int64_t *)(void *)r->refused->data,
	    r->refused->len, folder);
}

static int
round_load(struct round *r)
{
	const char *mailbox = r->a->imap->mailbox;
	int found;

	if (imap_select(r->im, mailbox, &r->uidvalidity) == -1)
		return -1;
	found = store_imap_state_get(r->a->store, r->key, mailbox,
	    r->uidvalidity, &r->st);
	if (found == -1)
		return -1;
	if (found == 0)
		log_info("fetch: %s: %s: UIDVALIDITY %" PRId64 " is new: full "
		    "resync", r->name, mailbox, r->uidvalidity);
	return 0;
}

static void
add_counts(struct fetch_counts *dst, const struct fetch_counts *n)
{
	if (dst == NULL)
		return;
	dst->fetched += n->fetched;
	dst->stored += n->stored;
	dst->duplicates += n->duplicates;
	dst->refused += n->refused;
	dst->failed += n->failed;
}

/* 0, or -1 when the round stopped (network, server or database). */
static int
run_round(const struct fetch_account *a, struct imap *im,
    struct fetch_counts *counts)
{
	struct round r = {
		.a = a,
		.name = a->imap->name,
		.im = im,
		/* Not the port: imaps:// and imap:// reach the same mail. */
		.key = g_strdup_printf("%s@%s", a->imap->user, a->imap->host),
		.refused = g_array_new(FALSE, FALSE, sizeof(int64_t)),
	};
	int ret = -1;

	if (conf_stale(a) || round_load(&r) == -1 || reconcile(&r) == -1 ||
	    load_candidates(&r) == -1)
		goto out;
	ret = r.ncand > 0 ? fetch_candidates(&r) : 0;
	if (move_refused(&r) == -1)
		ret = -1;
	if (r.n.fetched > 0 || r.n.refused > 0)
		log_info("fetch: %s: %zu fetched, %zu stored, %zu duplicate, "
		    "%zu refused, %zu failed", r.name, r.n.fetched, r.n.stored,
		    r.n.duplicates, r.n.refused, r.n.failed);
out:
	add_counts(counts, &r.n);
	store_imap_state_clear(&r.st);
	free(r.cand);
	g_free(r.committed);
	g_array_free(r.refused, TRUE);
	g_free(r.key);
	return ret;
}

static enum fetch_status
status_of(enum imap_fail f)
{
	switch (f) {
	case IMAP_FAIL_NONE:
		return FETCH_OK;
	case IMAP_FAIL_NET:
		return FETCH_TEMPFAIL;
	case IMAP_FAIL_TLS:
		return FETCH_TLS;
	case IMAP_FAIL_LOGIN:
		return FETCH_LOGIN;
	case IMAP_FAIL_SERVER:
		return FETCH_ERROR;
	}
	return FETCH_ERROR;
}

enum fetch_status
fetch_once(const struct fetch_account *a, struct fetch_counts *counts)
{
	struct fetch_counts n = { 0 };
	enum imap_fail fail;
	enum fetch_status st;
	struct imap *im;

	if ((im = connect_account(a, &fail)) == NULL)
		return status_of(fail);
	if (run_round(a, im, &n) == -1)
		st = imap_last_fail(im) == IMAP_FAIL_NONE ? FETCH_TEMPFAIL :
		    status_of(imap_last_fail(im));
	else
		st = n.failed > 0 ? FETCH_TEMPFAIL : FETCH_OK;
	imap_close(im);
	add_counts(counts, &n);
	return st;
}

/* Sleep, cut short by a signal. */
static void
nap(unsigned seconds, volatile sig_atomic_t *stop)
{
	struct timespec ts = { .tv_sec = seconds };

	while (!*stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Rounds and IDLE on one connection until it fails or *stop.  True
 * when at least one round went through. */
static bool
idle_session(const struct fetch_account *a, struct imap *im,
    volatile sig_atomic_t *stop)
{
	bool idle = imap_has_idle(im), worked = false;
	struct fetch_counts n;

	if (!idle)
		log_warnx("fetch: %s: the server has no IDLE: polling every "
		    "%d s", a->imap->name, POLL_SECONDS);
	while (!ending(a, stop)) {
		n = (struct fetch_counts){ 0 };
		if (run_round(a, im, &n) == -1)
			break;
		worked = true;
		if (ending(a, stop))
			break;
		if (!idle) {
			nap(POLL_SECONDS, stop);
			continue;
		}
		/* A timeout renews the IDLE, and a round on the way is
		 * cheap; what failed transiently is tried again soon. */
		if (imap_idle(im, n.failed > 0 ? RETRY_MS : IDLE_RENEW_MS) ==
		    -1)
			break;
	}
	return worked;
}

void
fetch_idle(const struct fetch_account *a, volatile sig_atomic_t *stop)
{
	unsigned backoff = 1;
	enum imap_fail fail;
	struct imap *im;

	while (!ending(a, stop)) {
		if ((im = connect_account(a, &fail)) != NULL) {
			log_info("fetch: %s: connected, idling", a->imap->name);
			if (idle_session(a, im, stop))
				backoff = 1;
			imap_close(im);
		}
		if (ending(a, stop))
			break;
		log_warnx("fetch: %s: reconnecting in %u s", a->imap->name,
		    backoff);
		nap(backoff, stop);
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
}

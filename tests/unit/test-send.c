/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "conf.h"
#include "log.h"
#include "send.h"
#include "store.h"
#include "tap.h"
#include "transport.h"

#define NOW		1764041700	/* 2025-11-25T03:35:00Z */
#define DAY		86400

static char *tmpdir, *dbpath;

/* A fresh database for the tests that follow. */
static void
use_db(const char *name)
{
	g_free(dbpath);
	dbpath = g_build_filename(tmpdir, name, NULL);
}

/* A store whose clock reads at. */
static struct store *
open_at(int64_t at)
{
	char buf[32];
	struct store *s;

	snprintf(buf, sizeof(buf), "%lld", (long long)at);
	setenv("POSTDESK_NOW", buf, 1);
	s = store_open(dbpath, STORE_CREATE, 5000);
	if (s == NULL)
		abort();
	return s;
}

static int64_t
queue_mail(struct store *s, int64_t ticket, const char *rcpt)
{
	char *id = g_strdup_printf("m.%s@example.test", rcpt);
	char *raw = g_strdup_printf("Message-ID: <%s>\nSubject: hi\n\n"
	    "Hello.\n", id);
	int r = store_outbox_add(s, ticket, 0, "bounce+x@example.test",
	    rcpt, id, raw, strlen(raw));

	g_free(id);
	g_free(raw);
	return r;
}

static int64_t
new_ticket(struct store *s)
{
	struct store_ticket t = {
		.subject = "send test", .requester = "a@example.org",
		.language = "en",
	};

	return store_ticket_create(s, &t) == -1 ? -1 : t.number;
}

/* Rows claimed now by owner, returned as a count (and freed). */
static size_t
claim_count(struct store *s, const char *owner, size_t max)
{
	struct store_outbox *v;
	size_t n;

	if (store_outbox_claim(s, owner, SEND_LEASE, max, &v, &n) == -1)
		return (size_t)-1;
	store_outbox_free(v, n);
	return n;
}

static void
test_claim_lease(void)
{
	struct store *a = open_at(NOW), *b;
	struct store_outbox *v;
	size_t n;

	ok(queue_mail(a, 0, "one@example.org") == 0, "queue a mail");
	ok(queue_mail(a, 0, "two@example.org") == 0, "queue another");
	ok(store_outbox_claim(a, "A", SEND_LEASE, 10, &v, &n) == 0 && n == 2,
	    "owner A claims both");
	is_str(n > 0 ? v[0].rcpt : NULL, "one@example.org",
	    "the oldest first");
	ok(n > 0 && v[0].raw_len > 0 && v[0].raw[v[0].raw_len] == '\0' &&
	    strstr(v[0].raw, "Hello.") != NULL, "with its bytes");
	b = open_at(NOW + 10);
	is_int(claim_count(b, "B", 10), 0, "owner B gets nothing while "
	    "A's lease holds");
	ok(store_outbox_sent(b, v[0].id, "B") == -1,
	    "B cannot mark A's row sent");
	ok(store_outbox_sent(a, v[0].id, "A") == 0, "A marks it sent");
	ok(store_outbox_sent(a, v[0].id, "A") == -1, "but only once");
	store_outbox_free(v, n);
	store_close(a);
	store_close(b);
}

static void
test_expired_lease(void)
{
	struct store *a = open_at(NOW), *c;
	struct store_outbox *v;
	size_t n;

	ok(queue_mail(a, 0, "three@example.org") == 0, "queue a third");
	is_int(claim_count(a, "A", 10), 1,
	    "A claims the new one (it holds the other already)");
	c = open_at(NOW + SEND_LEASE + 1);
	ok(store_outbox_claim(c, "C", SEND_LEASE, 10, &v, &n) == 0 && n == 2,
	    "after the lease ends (a crashed sender) C claims them again");
	ok(store_outbox_sent(a, v[0].id, "A") == -1,
	    "the crashed owner's late mark-sent is refused");
	ok(store_outbox_sent(c, v[0].id, "C") == 0 &&
	    store_outbox_sent(c, v[1].id, "C") == 0, "C sends both");
	store_outbox_free(v, n);
	is_int(store_count(c, "outbox-queued"), 0, "nothing left queued");
	is_int(store_count(c, "outbox"), 3, "sent rows are kept");
	store_close(a);
	store_close(c);
}

static void
test_retry_failed(void)
{
	struct store *a = open_at(NOW), *b;
	struct store_outbox *v;
	struct store_ticket_full f;
	int64_t t = new_ticket(a);
	size_t n;

	ok(queue_mail(a, t, "r@example.org") == 0 &&
	    queue_mail(a, t, "f@example.org") == 0, "queue two on a ticket");
	ok(store_outbox_claim(a, "A", SEND_LEASE, 10, &v, &n) == 0 && n == 2,
	    "claim them");
	ok(store_outbox_retry(a, v[0].id, "A", NOW + 100, "451 later") == 0,
	    "retry the first at +100 s");
	ok(store_outbox_failed(a, v[1].id, "B", "550 no") == -1,
	    "a non-owner cannot fail a row");
	ok(store_outbox_failed(a, v[1].id, "A", "550 5.1.1 no such user") ==
	    0, "fail the second for good");
	store_outbox_free(v, n);
	is_int(claim_count(a, "A", 10), 0, "the retry is not due yet");
	b = open_at(NOW + 100);
	ok(store_outbox_claim(b, "B", SEND_LEASE, 10, &v, &n) == 0 && n == 1,
	    "at +100 s it is due, the failed one never again");
	is_int(n == 1 ? v[0].attempts : 0, 1, "one attempt counted");
	is_str(n == 1 ? v[0].last_error : NULL, "451 later", "last error");
	ok(n == 1 && store_outbox_sent(b, v[0].id, "B") == 0, "sent");
	store_outbox_free(v, n);
	ok(store_ticket_full(b, t, &f) == 1 && f.nevents == 1,
	    "the failure is an event on the ticket");
	is_str(f.nevents == 1 ? f.events[0].what : NULL, "send failed",
	    "event: send failed");
	is_str(f.nevents == 1 ? f.events[0].why : NULL,
	    "550 5.1.1 no such user", "event: the server's reply");
	is_str(f.nevents == 1 ? f.events[0].actor : NULL, "system",
	    "event: by the system");
	store_ticket_full_clear(&f);
	store_close(a);
	store_close(b);
}

/* Children claim one row at a time as fast as they can; every row
 * must be claimed by exactly one of them. */
static void
claimer(const char *owner, int fd)
{
	struct store *s = store_open(dbpath, STORE_OPEN, 30000);
	struct store_outbox *v;
	size_t n;

	while (s != NULL && store_outbox_claim(s, owner, SEND_LEASE, 1, &v,
	    &n) == 0 && n == 1) {
		if (write(fd, &v[0].id, sizeof(v[0].id)) < 0)
			_exit(1);
		store_outbox_free(v, n);
	}
	store_close(s);
	_exit(0);
}

static void
test_two_owners(void)
{
	struct store *s = open_at(NOW + 2 * SEND_LEASE);
	GHashTable *seen = g_hash_table_new_full(g_int64_hash, g_int64_equal,
	    g_free, NULL);
	int fds[2], dups = 0, st;
	int64_t id;
	pid_t p[2];

	for (int i = 0; i < 200; i++) {
		char rcpt[64];

		snprintf(rcpt, sizeof(rcpt), "c%d@example.org", i);
		queue_mail(s, 0, rcpt);
	}
	if (pipe(fds) == -1)
		abort();
	for (int i = 0; i < 2; i++)
		if ((p[i] = fork()) == 0)
			claimer(i == 0 ? "X" : "Y", fds[1]);
	close(fds[1]);
	while (read(fds[0], &id, sizeof(id)) == sizeof(id))
		if (!g_hash_table_add(seen, g_memdup2(&id, sizeof(id))))
			dups++;
	close(fds[0]);
	for (int i = 0; i < 2; i++)
		waitpid(p[i], &st, 0);
	is_int(g_hash_table_size(seen), 200, "two owners: every row claimed");
	is_int(dups, 0, "two owners: no row claimed twice");
	g_hash_table_destroy(seen);
	store_close(s);
}

static void
test_backoff(void)
{
	int64_t lo = send_backoff(0, 0), hi = send_backoff(0, UINT32_MAX);

	is_int(lo, 48, "first retry: 60 s - 20 %");
	is_int(hi, 72, "first retry: 60 s + 20 %");
	is_int(send_backoff(1, UINT32_MAX / 2), 119, "second: about 120 s");
	is_int(send_backoff(3, UINT32_MAX / 2), 479, "fourth: about 480 s");
	is_int(send_backoff(6, 0), 2880, "capped at an hour - 20 %");
	is_int(send_backoff(40, UINT32_MAX), 4320, "capped at an hour + 20 %");
	ok(!send_expired(NOW, NOW + 2 * DAY - 1, 2 * DAY),
	    "not expired before the max age");
	ok(send_expired(NOW, NOW + 2 * DAY, 2 * DAY), "expired at it");
}

/* A transport that answers what the test says. */
static enum transport_status fake_status;
static int fake_calls;
static int64_t steal_at;	/* while the first mail is sent, another
				   sender claims what it can then */
static void claim_as(int64_t at, const char *owner);

static void *
fake_open(const struct conf_transport *t)
{
	(void)t;
	return &fake_calls;
}

static enum transport_status
fake_send(void *arg, const struct store_outbox *o, struct transport_reply *r)
{
	(void)arg;
	(void)o;
	fake_calls++;
	if (steal_at != 0) {
		claim_as(steal_at, "E");
		steal_at = 0;
	}
	r->text = g_strdup(fake_status == TRANSPORT_SENT ? "250 ok" :
	    fake_status == TRANSPORT_PERMANENT ? "RCPT: 554 no" : "421 busy");
	if (fake_status == TRANSPORT_PERMANENT)
		r->refusal = g_strdup("554 no");
	return fake_status;
}

static void
fake_close(void *arg)
{
	(void)arg;
}

static const struct transport_ops fake = {
	.name = "fake", .open = fake_open, .send = fake_send,
	.close = fake_close,
};

static void
drain_at(int64_t at, enum transport_status status, struct send_stats *st)
{
	struct store *s = open_at(at);
	struct conf *cf = conf_default();

	cf->transport.kind = CONF_TRANSPORT_SMTP;
	g_free(cf->database);
	cf->database = g_strdup(dbpath);
	fake_status = status;
	fake_calls = 0;
	if (send_drain(s, cf, &fake, "D", NULL, st) == -1)
		abort();
	conf_free(cf);
	store_close(s);
}

static void
test_drain(void)
{
	struct send_stats st;
	int64_t t0 = NOW + 10 * DAY;
	struct store *s = open_at(t0);
	struct conf *cf = conf_default();

	queue_mail(s, 0, "d1@example.org");
	queue_mail(s, 0, "d2@example.org");
	store_close(s);
	drain_at(t0, TRANSPORT_DOWN, &st);
	is_int(fake_calls, 1, "server down: tried once for the batch");
	is_int(st.retried, 2, "server down: both wait");
	is_int(st.faults, 1, "server down: a transport fault");
	drain_at(t0 + 30, TRANSPORT_SENT, &st);
	is_int(st.claimed, 0, "not before the backoff");
	drain_at(t0 + 80, TRANSPORT_TRANSIENT, &st);
	is_int(st.retried, 2, "a 4xx: retried");
	drain_at(t0 + 2 * DAY, TRANSPORT_TRANSIENT, &st);
	is_int(st.failed, 2, "still failing after send-max-age: permanent");
	is_int(cf->limits.send_max_age, 2 * DAY, "send-max-age defaults to 2d");
	conf_free(cf);
	s = open_at(t0 + 3 * DAY);
	queue_mail(s, 0, "d3@example.org");
	store_close(s);
	drain_at(t0 + 3 * DAY, TRANSPORT_PERMANENT, &st);
	ok(st.failed == 1 && st.retried == 0 && st.faults == 0,
	    "a 5xx fails at once");
	s = open_at(t0 + 4 * DAY);
	queue_mail(s, 0, "d4@example.org");
	store_close(s);
	drain_at(t0 + 4 * DAY, TRANSPORT_SENT, &st);
	ok(st.sent == 1 && fake_calls == 1, "a 250: sent once");
}

static size_t
count_files(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	size_t n = 0;

	while (d != NULL && g_dir_read_name(d) != NULL)
		n++;
	if (d != NULL)
		g_dir_close(d);
	return n;
}

static void
test_file_transport(void)
{
	struct store *s = open_at(NOW + 20 * DAY);
	struct conf *cf = conf_default();
	char *md = g_build_filename(tmpdir, "Maildir", NULL);
	char *newdir = g_build_filename(md, "new", NULL);
	char *tmp = g_build_filename(md, "tmp", NULL);
	struct send_stats st;
	const char *name;
	char *path, *text = NULL;
	GDir *d;

	g_free(cf->transport.path);
	cf->transport.path = g_strdup(md);
	g_free(cf->database);
	cf->database = g_strdup(dbpath);
	queue_mail(s, 0, "file@example.org");
	queue_mail(s, 0, "file2@example.org");
	ok(send_drain(s, cf, NULL, "F", NULL, &st) == 0 && st.sent == 2,
	    "file transport: both written");
	is_int(count_files(newdir), 2, "two files in new/");
	is_int(count_files(tmp), 0, "nothing left in tmp/");
	d = g_dir_open(newdir, 0, NULL);
	name = d != NULL ? g_dir_read_name(d) : NULL;
	path = name != NULL ? g_build_filename(newdir, name, NULL) : NULL;
	ok(path != NULL && g_file_get_contents(path, &text, NULL, NULL) &&
	    g_str_has_prefix(text, "Return-Path: <bounce+x@example.test>\n"
	    "Delivered-To: file") && strstr(text, "\nHello.\n") != NULL,
	    "the file holds the envelope and the mail");
	if (d != NULL)
		g_dir_close(d);
	g_free(text);
	g_free(path);
	g_free(newdir);
	g_free(tmp);
	g_free(md);
	conf_free(cf);
	store_close(s);
}

/* The state of row id, from store_outbox_list(); the caller frees. */
static char *
row_state(struct store *s, int64_t id, unsigned *attempts)
{
	struct store_outbox *v;
	char *state = NULL;
	size_t n;

	if (store_outbox_list(s, NULL, &v, &n) == -1)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id) {
			state = g_strdup(v[i].state);
			if (attempts != NULL)
				*attempts = v[i].attempts;
		}
	store_outbox_free(v, n);
	return state;
}

static void
is_state(struct store *s, int64_t id, const char *want, const char *what)
{
	char *got = row_state(s, id, NULL);

	is_str(got, want, what);
	g_free(got);
}

static void
test_relay_fault(void)
{
	static const char *const rcpts[] = {
		"a@one.example", "b@two.example", "c@three.example",
		"d@four.example",
	};
	int64_t t0 = NOW + 30 * DAY;
	struct store *s = open_at(t0);
	struct send_stats st;

	for (size_t i = 0; i < G_N_ELEMENTS(rcpts); i++)
		queue_mail(s, 0, rcpts[i]);
	store_close(s);
	drain_at(t0, TRANSPORT_PERMANENT, &st);
	is_int(st.faults, 1, "the same 5xx from 3 domains: a transport fault");
	is_int(fake_calls, 3, "nothing tried after the third");
	ok(st.failed == 0 && st.retried == 4,
	    "every claimed row goes back to the queue, none failed");
	s = open_at(t0);
	is_state(s, 1, "queued", "the first of them is queued again");
	store_close(s);
	use_db("fault2.db");
	s = open_at(t0 + 2 * DAY);
	queue_mail(s, 0, "x1@same.example");
	queue_mail(s, 0, "x2@same.example");
	queue_mail(s, 0, "x3@Same.example");
	store_close(s);
	drain_at(t0 + 2 * DAY, TRANSPORT_PERMANENT, &st);
	ok(st.faults == 0 && st.failed == 3,
	    "the same 5xx for one domain: each mail failed");
}

static void
test_fault_age(void)
{
	int64_t t0 = NOW + 40 * DAY;
	struct store *s = open_at(t0);
	struct send_stats st;

	queue_mail(s, 0, "age@example.org");
	store_close(s);
	drain_at(t0 + 3 * DAY, TRANSPORT_DOWN, &st);
	ok(st.faults == 1 && st.retried == 1 && st.failed == 0,
	    "a transport fault after send-max-age: still queued");
	drain_at(t0 + 4 * DAY, TRANSPORT_TRANSIENT, &st);
	ok(st.retried == 1 && st.failed == 0,
	    "a 4xx a day after the fault: the age counts from the fault");
	drain_at(t0 + 6 * DAY, TRANSPORT_TRANSIENT, &st);
	is_int(st.failed, 1, "and gives up send-max-age after it");
}

/* Claim every due row for owner, at. */
static void
claim_as(int64_t at, const char *owner)
{
	struct store *s = open_at(at);

	claim_count(s, owner, 100);
	store_close(s);
}

/* Queue one mail at t0 and claim it for owner. */
static void
queue_claimed(int64_t t0, const char *rcpt, const char *owner)
{
	struct store *s = open_at(t0);

	queue_mail(s, 0, rcpt);
	store_close(s);
	claim_as(t0, owner);
}

/* A slow mail lets the rest of the batch's leases run out and another
 * sender claims them: they are left to it, never sent twice. */
static void
test_lease_lost(void)
{
	int64_t t0 = NOW + 60 * DAY;
	struct send_stats st;
	struct store *s = open_at(t0);

	queue_mail(s, 0, "slow1@example.org");
	queue_mail(s, 0, "slow2@example.org");
	queue_mail(s, 0, "slow3@example.org");
	store_close(s);
	steal_at = t0 + SEND_LEASE + 1;
	drain_at(t0, TRANSPORT_SENT, &st);
	is_int(fake_calls, 1, "lease lost: only the first mail is sent");
	is_int(st.sent, 1, "lease lost: one sent by this sender");
	s = open_at(t0 + SEND_LEASE + 2);
	is_int(claim_count(s, "F", 100), 0, "lease lost: the rest is the "
	    "other sender's");
	store_close(s);
}

/* A lock file for owner, locked (the sender lives) or not; the fd. */
static int
lock_file(const char *owner, char **path, bool locked)
{
	int fd;

	*path = g_strdup_printf("%s.send.%s", dbpath, owner);
	fd = open(*path, O_RDWR | O_CREAT, 0600);
	if (fd == -1 || (locked && flock(fd, LOCK_EX) == -1))
		abort();
	return fd;
}

static void
test_dead_sender(void)
{
	int64_t t0 = NOW + 50 * DAY;
	char host[256], *nolock, *gone, *live, *longer, *path, *lpath;
	struct send_stats st;
	int fd;

	if (gethostname(host, sizeof(host)) == -1)
		abort();
	host[sizeof(host) - 1] = '\0';
	nolock = g_strdup_printf("%s.1.0000aaaa", host);
	gone = g_strdup_printf("%s.2.0000bbbb", host);
	live = g_strdup_printf("%s.3.0000cccc", host);
	queue_claimed(t0, "k1@example.org", nolock);
	drain_at(t0 + 1, TRANSPORT_SENT, &st);
	is_int(st.sent, 1, "a lease without a lock file is taken over at once");
	close(lock_file(gone, &path, false));
	queue_claimed(t0, "k2@example.org", gone);
	drain_at(t0 + 1, TRANSPORT_SENT, &st);
	is_int(st.sent, 1, "a lease whose lock is free is taken over at once");
	ok(access(path, F_OK) == -1, "and its lock file removed");
	g_free(path);
	fd = lock_file(live, &lpath, true);
	queue_claimed(t0, "k3@example.org", live);
	queue_claimed(t0, "k4@example.org", "elsewhere.example.4.x");
	/* A host whose name starts with ours is another host. */
	longer = g_strdup_printf("%s.example.5.0000dddd", host);
	queue_claimed(t0, "k5@example.org", longer);
	drain_at(t0 + SEND_LEASE - 1, TRANSPORT_SENT, &st);
	is_int(st.claimed, 0, "a live sender's lease holds, and another "
	    "host's, also one whose name starts with ours");
	drain_at(t0 + SEND_LEASE, TRANSPORT_SENT, &st);
	is_int(st.sent, 3, "until they run out unrenewed");
	close(fd);
	unlink(lpath);
	g_free(lpath);
	g_free(nolock);
	g_free(longer);
	g_free(gone);
	g_free(live);
}

static void
test_renew(void)
{
	int64_t t0 = NOW + 55 * DAY;
	struct store *s = open_at(t0), *b;

	queue_mail(s, 0, "renew@example.org");
	is_int(claim_count(s, "R", 10), 1, "renew: R claims the mail");
	store_close(s);
	s = open_at(t0 + SEND_RENEW);
	ok(store_outbox_renew(s, "R", SEND_LEASE) == 0, "R renews its lease");
	store_close(s);
	b = open_at(t0 + SEND_LEASE + 1);
	is_int(claim_count(b, "B", 10), 0,
	    "renew: past the first lease, the renewed one holds");
	store_close(b);
	b = open_at(t0 + SEND_RENEW + SEND_LEASE);
	is_int(claim_count(b, "B", 10), 1, "renew: it ends unrenewed");
	ok(store_outbox_release(b, "B") == 1, "release: B frees its row");
	is_int(claim_count(b, "C", 10), 1, "release: C may take it at once");
	store_close(b);
}

/* Write path with text (a test's stand-in for an earlier try). */
static void
put(const char *md, const char *sub, const char *name, const char *text)
{
	char *path = g_build_filename(md, sub, name, NULL);

	g_mkdir_with_parents(md, 0700);
	if (!g_file_set_contents(path, text, -1, NULL))
		abort();
	g_free(path);
}

/* "<id>.<16 hex of SHA-256 of the Message-ID>" of queue_mail()'s row. */
static char *
file_of(int64_t id, const char *rcpt)
{
	char *mid = g_strdup_printf("m.%s@example.test", rcpt);
	char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, mid, -1);
	char *name = g_strdup_printf("%lld.%.16s", (long long)id, h);

	g_free(mid);
	g_free(h);
	return name;
}

static void
test_file_once(void)
{
	struct store *s = open_at(NOW + 60 * DAY);
	struct conf *cf = conf_default();
	char *md = g_build_filename(tmpdir, "Maildir2", NULL);
	char *sub[3], *n1 = file_of(1, "f1@x.org"), *n2 = file_of(2, "f2@x.org");
	char *n3 = file_of(3, "f3@x.org"), *c2 = g_strconcat(n2, ":2,S", NULL);
	struct send_stats st;

	g_free(cf->transport.path);
	cf->transport.path = g_strdup(md);
	g_free(cf->database);
	cf->database = g_strdup(dbpath);
	sub[0] = g_build_filename(md, "tmp", NULL);
	sub[1] = g_build_filename(md, "new", NULL);
	sub[2] = g_build_filename(md, "cur", NULL);
	for (int i = 0; i < 3; i++)
		g_mkdir_with_parents(sub[i], 0700);
	queue_mail(s, 0, "f1@x.org");
	queue_mail(s, 0, "f2@x.org");
	queue_mail(s, 0, "f3@x.org");
	put(md, "new", n1, "sent before the kill\n");
	put(md, "cur", c2, "sent and read\n");
	put(md, "tmp", n3, "half a ma");
	ok(send_drain(s, cf, NULL, "F2", NULL, &st) == 0 && st.sent == 3,
	    "file transport: three rows done");
	is_int(count_files(sub[1]), 2, "new/: the earlier file and the third");
	is_int(count_files(sub[2]), 1, "cur/: the read one, not again in new/");
	is_int(count_files(sub[0]), 0, "tmp/: the half file was replaced");
	for (int i = 0; i < 3; i++)
		g_free(sub[i]);
	g_free(n1);
	g_free(n2);
	g_free(n3);
	g_free(c2);
	g_free(md);
	conf_free(cf);
	store_close(s);
}

static void
test_admin(void)
{
	struct store *s = open_at(NOW);
	struct store_outbox *v;
	struct store_ticket_full f;
	int64_t t = new_ticket(s), count;
	unsigned attempts = 9;
	size_t n;
	char *state;

	queue_mail(s, t, "a1@example.org");
	queue_mail(s, t, "a2@example.org");
	ok(store_outbox_claim(s, "A", SEND_LEASE, 1, &v, &n) == 0 && n == 1 &&
	    store_outbox_failed(s, v[0].id, "A", "550 no") == 0,
	    "admin: the first fails");
	store_outbox_free(v, n);
	ok(store_outbox_list(s, "failed", &v, &n) == 0 && n == 1 &&
	    v[0].id == 1 && strcmp(v[0].last_error, "550 no") == 0,
	    "list --state failed: that one");
	store_outbox_free(v, n);
	ok(store_outbox_requeue(s, 0, "admin:t", &count) == 0 && count == 1,
	    "retry --all-failed: one row");
	state = row_state(s, 1, &attempts);
	ok(state != NULL && strcmp(state, "queued") == 0 && attempts == 0,
	    "queued again, attempts from zero");
	g_free(state);
	ok(store_outbox_cancel(s, 2, "admin:t", &count) == 0 && count == 1,
	    "cancel a queued row");
	is_state(s, 2, "cancelled", "listed as cancelled");
	ok(store_outbox_cancel(s, 2, "admin:t", &count) == 0 && count == 0,
	    "cancel twice: nothing");
	ok(store_outbox_requeue(s, 0, "admin:t", &count) == 0 && count == 0,
	    "--all-failed leaves cancelled rows alone");
	ok(store_outbox_requeue(s, 2, "admin:t", &count) == 0 && count == 1,
	    "retry ID brings a cancelled row back");
	is_int(claim_count(s, "B", 10), 2, "both are due now");
	ok(store_ticket_full(s, t, &f) == 1 && f.nevents == 4,
	    "events: failed, retry, cancelled, retry");
	is_str(f.nevents == 4 ? f.events[2].what : NULL, "send cancelled",
	    "event: send cancelled");
	is_str(f.nevents == 4 ? f.events[2].actor : NULL, "admin:t",
	    "event: by the admin");
	store_ticket_full_clear(&f);
	store_close(s);
}

int
main(void)
{
	char tmpl[] = "/tmp/test-send.XXXXXX";

	log_init(LOG_SINK_STDERR, 0);
	if ((tmpdir = g_mkdtemp(tmpl)) == NULL)
		abort();
	dbpath = g_build_filename(tmpdir, "t.db", NULL);
	test_claim_lease();
	test_expired_lease();
	test_retry_failed();
	use_db("owners.db");
	test_two_owners();
	test_backoff();
	use_db("drain.db");
	test_drain();
	use_db("file.db");
	test_file_transport();
	use_db("fault.db");
	test_relay_fault();
	use_db("faultage.db");
	test_fault_age();
	use_db("dead.db");
	test_dead_sender();
	test_lease_lost();
	use_db("renew.db");
	test_renew();
	use_db("file2.db");
	test_file_once();
	use_db("admin.db");
	test_admin();
	g_free(dbpath);
	if (fork() == 0)
		execlp("rm", "rm", "-rf", tmpdir, (char *)NULL);
	wait(NULL);
	return tap_done();
}

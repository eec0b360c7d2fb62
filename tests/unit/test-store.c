/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
/* White-box checks only (blob reference counts, recipient rows): the
 * store's own callers never see SQLite. */
#include <sqlite3.h>

#include "store.h"
#include "tap.h"

#define NOW		1764041700	/* 2025-11-25T03:35:00Z */
#define NOBODY		65534

static char *tmpdir, *dbpath;

/* One integer from the database through a connection of our own. */
static long long
peek(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		abort();
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int64_t
new_ticket(struct store *s, const char *subject, const char *queue,
    enum store_ticket_status status, int64_t updated)
{
	struct store_ticket t = {
		.subject = (char *)subject, .queue = (char *)queue,
		.status = status, .requester = "alice@example.org",
		.language = "en", .updated = updated,
	};

	if (store_ticket_create(s, &t) == -1)
		return -1;
	return t.number;
}

static int64_t
new_message(struct store *s, int64_t ticket, const char *id,
    const char *digest, const char *body, const char *rcpt)
{
	struct store_message m = {
		.ticket = ticket, .message_id = id, .digest = digest,
		.direction = DIR_IN, .author = AUTHOR_CUSTOMER,
		.from_name = "Alice", .from_addr = "alice@example.org",
		.subject = "Printer on fire", .body_text = body, .date = -1,
		.flags = MSG_F_BAD_DATE, .threaded_by = "new",
		.raw = "Subject: x\n\nbody\n", .raw_len = 17,
	};

	if (store_message_insert(s, &m, rcpt) == -1)
		return -1;
	return m.id;
}

/* A database that is not postdesk's is refused, not migrated. */
static void
test_foreign(void)
{
	char *path = g_build_filename(tmpdir, "other.sqlite", NULL);
	sqlite3 *db;

	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db,
	    "CREATE TABLE t (x); PRAGMA user_version = 3", NULL, NULL,
	    NULL) != SQLITE_OK)
		abort();
	sqlite3_close(db);
	ok(store_open(path, STORE_OPEN, 1000) == NULL,
	    "open: someone else's database is refused");
	g_free(path);
}

static void
test_open(void)
{
	struct store *s;
	int v;

	ok(store_open(dbpath, STORE_OPEN, 1000) == NULL,
	    "open: a missing database is refused");
	ok(access(dbpath, F_OK) == -1, "open: and is not created");
	s = store_open(dbpath, STORE_CREATE, 1000);
	ok(s != NULL, "create: opens");
	v = store_schema_version(s);
	ok(v >= 1, "create: migrated");
	is_int(store_count(s, "tickets"), 0, "create: no tickets");
	is_int(store_count(s, "bogus"), -1, "count: unknown table refused");
	is_int(store_count(s, "sqlite_master"), -1,
	    "count: other tables refused");
	store_close(s);
	s = store_open(dbpath, STORE_OPEN, 1000);
	ok(s != NULL, "reopen: opens");
	is_int(store_schema_version(s), v, "reopen: same schema version");
	store_close(s);
	is_int(peek("PRAGMA user_version"), v, "reopen: stored version");
	ok(strstr(store_lib_version(), "SQLite 3.") != NULL, "lib version");
	test_foreign();
}

static void
test_tickets(struct store *s)
{
	struct store_ticket t;
	int64_t n = new_ticket(s, "Printer on fire", "support", TICKET_NEW, 0);

	ok(n > 0, "ticket: created");
	is_int(store_ticket_get(s, n, &t), 1, "ticket: found");
	is_str(t.subject, "Printer on fire", "ticket: subject");
	is_str(t.priority, "normal", "ticket: default priority");
	is_str(t.requester, "alice@example.org", "ticket: requester");
	is_int(t.created, NOW, "ticket: created from POSTDESK_NOW");
	is_int(t.status, TICKET_NEW, "ticket: status");
	is_int(t.merged_into, 0, "ticket: not merged");
	store_ticket_clear(&t);
	is_int(store_ticket_set(s, n, "priority", "high"), 0, "set: priority");
	is_int(store_ticket_set(s, n, "status", "resolved"), 0, "set: status");
	is_int(store_ticket_set(s, n, "status", "bogus"), -1,
	    "set: a bad status is refused");
	is_int(store_ticket_set(s, n, "number", "7"), -1,
	    "set: an unknown field is refused");
	is_int(store_ticket_set(s, n, "last_agent", "x1"), -1,
	    "set: a bad number is refused");
	is_int(store_ticket_set(s, 9999, "priority", "low"), -1,
	    "set: a missing ticket is an error");
	is_int(store_ticket_set(s, n, "root_id", "root.1@example.org"), 0,
	    "set: root id");
	is_int(store_ticket_set(s, n, "merged_into", "0"), 0,
	    "set: not merged");
	store_ticket_get(s, n, &t);
	is_str(t.root_id, "root.1@example.org", "set: root id stored");
	is_str(t.priority, "high", "set: priority stored");
	is_int(t.status, TICKET_RESOLVED, "set: status stored");
	is_int(t.resolved_at, NOW, "set: resolved sets resolved_at");
	store_ticket_clear(&t);
	is_int(store_ticket_get(s, 9999, &t), 0, "ticket: missing not found");
	is_str(store_status_name(TICKET_PENDING), "pending", "status name");
	is_int(store_status_parse("closed"), TICKET_CLOSED, "status parse");
	is_int(store_status_parse("Closed"), -1, "status parse: exact");
}

static void
test_participants(struct store *s)
{
	struct store_participant *v;
	size_t n;
	int64_t t = new_ticket(s, "People", "support", TICKET_OPEN, 0);

	is_int(store_participant_add(s, t, "Alice@Example.ORG", "Alice",
	    ROLE_REQUESTER), 0, "participant: added");
	is_int(store_participant_add(s, t, "ALICE@example.org", "A.",
	    ROLE_WATCHER), 0, "participant: again is a no-op");
	is_int(store_participant_add(s, t, "bob@example.org", "Bob",
	    ROLE_WATCHER), 0, "participant: second");
	is_int(store_participant_is(s, t, "alice@EXAMPLE.org"), 1,
	    "participant: case-insensitive");
	is_int(store_participant_is(s, t, "carol@example.org"), 0,
	    "participant: stranger is not");
	is_int(store_participant_is(s, t + 1000, "alice@example.org"), 0,
	    "participant: of that ticket only");
	ok(store_participants(s, t, &v, &n) == 0 && n == 2,
	    "participants: two");
	if (n == 2) {
		is_str(v[0].address, "alice@example.org", "participants: lower");
		is_str(v[0].name, "Alice", "participants: first name kept");
		is_int(v[0].role, ROLE_REQUESTER, "participants: role");
		is_str(v[1].address, "bob@example.org", "participants: order");
	}
	store_participants_free(v, n);
}

static void
test_proposed(struct store *s)
{
	struct store_ticket_full f;
	struct store_participant *v;
	size_t n;
	int64_t t = new_ticket(s, "Proposals", "support", TICKET_OPEN, 0);

	store_participant_add(s, t, "alice@example.org", "", ROLE_REQUESTER);
	store_participant_add(s, t, "bob@example.org", "", ROLE_WATCHER);
	is_int(store_proposed_add(s, t, "Carol@Example.org", "Carol"), 1,
	    "proposed: added");
	is_int(store_proposed_add(s, t, "carol@example.org", ""), 0,
	    "proposed: again is 0");
	is_int(store_participant_is(s, t, "carol@example.org"), 0,
	    "proposed: no participant");
	ok(store_proposed(s, t, &v, &n) == 0 && n == 1 &&
	    strcmp(v[0].address, "carol@example.org") == 0 &&
	    strcmp(v[0].name, "Carol") == 0, "proposed: listed, lower case");
	store_participants_free(v, n);
	ok(store_ticket_full(s, t, &f) == 1 && f.nproposed == 1 &&
	    f.nparticipants == 2, "proposed: in the full ticket, apart");
	store_ticket_full_clear(&f);
	is_int(store_proposed_del(s, t, "CAROL@example.org"), 1,
	    "proposed: removed");
	is_int(store_proposed_del(s, t, "carol@example.org"), 0,
	    "proposed: removed already");
	is_int(store_participant_del(s, t, "alice@example.org"), 0,
	    "participant del: never the requester");
	is_int(store_participant_del(s, t, "Bob@example.org"), 1,
	    "participant del: a watcher");
	is_int(store_participant_is(s, t, "bob@example.org"), 0,
	    "participant del: gone");
}

static void
test_messages(struct store *s)
{
	int64_t t = new_ticket(s, "Mail", "support", TICKET_OPEN, 0);
	int64_t id, got, tk;
	bool conflict;

	id = new_message(s, t, "m1@example.org", "d1", "hello", "support@x.org");
	ok(id > 0, "message: inserted");
	is_int(store_message_find(s, "m1@example.org", "d1", &got, &tk,
	    &conflict), 1, "find: same id and digest");
	is_int(got, id, "find: its row");
	is_int(tk, t, "find: its ticket");
	ok(!conflict, "find: no conflict");
	is_int(store_message_find(s, "m1@example.org", "d2", &got, &tk,
	    &conflict), 0, "find: other digest not found");
	ok(conflict, "find: other digest is a conflict");
	is_int(store_message_find(s, "m9@example.org", "d1", &got, &tk,
	    &conflict), 0, "find: unknown id");
	ok(!conflict, "find: unknown id is no conflict");
	is_int(new_message(s, t, "m1@example.org", "d1", "x", NULL), -1,
	    "message: the same copy twice is refused");
	ok(new_message(s, t, "m1@example.org", "d2", "x", "") > 0,
	    "message: same id, other bytes, stored");
	ok(new_message(s, 0, "q@example.org", "dq", "lost", NULL) > 0,
	    "message: stored without a ticket");
	store_message_find(s, "q@example.org", "dq", &got, &tk, &conflict);
	is_int(tk, 0, "find: quarantined has no ticket");
	is_int(store_message_add_rcpt(s, id, "support@x.org"), 0,
	    "rcpt: known again");
	is_int(store_message_add_rcpt(s, id, "SUPPORT@x.org"), 0,
	    "rcpt: known again, other case");
	is_int(store_message_add_rcpt(s, id, "sales@x.org"), 0, "rcpt: new");
	is_int(peek("SELECT count(*) FROM message_rcpts"), 2,
	    "rcpt: stored once each");
}

static void
test_attachments(struct store *s)
{
	unsigned char data[] = "%PDF-1.4 not really";
	struct msg_part p = {
		.filename = "a.pdf", .content_type = "application/pdf",
		.content_id = "", .size = sizeof(data), .data = data,
	};
	int64_t t = new_ticket(s, "Files", "support", TICKET_OPEN, 0);
	int64_t m = new_message(s, t, "att@example.org", "da", "see", NULL);

	memset(p.sha256, 'a', 64);
	is_int(store_attachment_add(s, m, &p), 0, "attachment: first");
	is_int(store_attachment_add(s, m, &p), 0, "attachment: identical");
	is_int(store_count(s, "blobs"), 1, "attachment: one blob");
	is_int(store_count(s, "attachments"), 2, "attachment: two rows");
	is_int(peek("SELECT refs FROM blobs"), 2, "attachment: refs 2");
	is_int(peek("SELECT length(data) FROM blobs"), sizeof(data),
	    "attachment: content stored");
	p.data = NULL;
	is_int(store_attachment_add(s, m, &p), -1,
	    "attachment: no data is an error");
}

static void
test_msgids(struct store *s)
{
	int64_t t = new_ticket(s, "Ids", "support", TICKET_OPEN, 0);
	int64_t tk;
	bool ours;

	is_int(store_msgid_add(s, "ours.1@example.org", t, 0, true), 0,
	    "msgid: ours added");
	is_int(store_msgid_add(s, "theirs@example.net", t, 0, false), 0,
	    "msgid: theirs added");
	is_int(store_msgid_find(s, "ours.1@example.org", &tk, &ours), 1,
	    "msgid: ours found");
	ok(ours && tk == t, "msgid: ours, that ticket");
	is_int(store_msgid_find(s, "theirs@example.net", &tk, &ours), 1,
	    "msgid: theirs found");
	ok(!ours, "msgid: not ours");
	is_int(store_msgid_add(s, "theirs@example.net", t - 1, 0, false), 0,
	    "msgid: seen again");
	store_msgid_find(s, "theirs@example.net", &tk, &ours);
	is_int(tk, t, "msgid: keeps its first ticket");
	is_int(store_msgid_find(s, "none@example.net", &tk, &ours), 0,
	    "msgid: unknown");
}

static void
test_full(struct store *s)
{
	struct store_ticket_full f;
	int64_t t = new_ticket(s, "Full", "support", TICKET_OPEN, 0);
	int64_t m1 = new_message(s, t, "f1@x", "f1", "first", NULL);
	int64_t m2 = new_message(s, t, "f2@x", "f2", "second", NULL);

	store_participant_add(s, t, "alice@example.org", "Alice",
	    ROLE_REQUESTER);
	is_int(store_event_add(s, t, m1, "system", "created", NULL, "new",
	    "threaded by new"), 0, "event: added");
	is_int(store_event_add(s, t, 0, "admin:root", "set status", "new",
	    "open", NULL), 0, "event: second");
	is_int(store_event_add(s, 0, 0, "system", "startup", NULL, NULL,
	    NULL), 0, "event: about no ticket");
	is_int(store_ticket_full(s, t, &f), 1, "full: found");
	is_int(f.t.message_count, 2, "full: message count");
	ok(f.nmessages == 2 && f.messages[0].id == m1 &&
	    f.messages[1].id == m2, "full: messages in order");
	if (f.nmessages == 2) {
		is_str(f.messages[1].body_text, "second", "full: body");
		is_int(f.messages[0].flags, MSG_F_BAD_DATE, "full: flags");
		is_int(f.messages[0].received, NOW, "full: received");
		is_str(f.messages[0].threaded_by, "new", "full: threaded by");
	}
	is_int(f.nparticipants, 1, "full: participants");
	ok(f.nevents == 2, "full: events of this ticket");
	if (f.nevents == 2) {
		is_str(f.events[0].what, "created", "full: events in order");
		ok(f.events[0].old == NULL, "full: NULL old stays NULL");
		is_int(f.events[0].message, m1, "full: event message");
		is_str(f.events[1].new_, "open", "full: event new");
		is_int(f.events[1].at, NOW, "full: event time");
	}
	store_ticket_full_clear(&f);
	is_int(store_ticket_full(s, 99999, &f), 0, "full: missing");
	store_ticket_full_clear(&f);
}

static size_t
list_count(struct store *s, const char *status, const char *queue,
    const char *query, int64_t *first)
{
	struct store_filter f = { status, queue, query };
	struct store_ticket *v;
	size_t n;

	if (store_ticket_list(s, &f, &v, &n) == -1)
		return (size_t)-1;
	*first = n > 0 ? v[0].number : 0;
	store_tickets_free(v, n);
	return n;
}

static void
test_list(struct store *s)
{
	int64_t a = new_ticket(s, "Billing A", "billing", TICKET_PENDING,
	    NOW + 100);
	int64_t b = new_ticket(s, "Billing B", "billing", TICKET_CLOSED,
	    NOW + 50);
	int64_t first, all;

	new_message(s, b, "zz@x", "zz", "the zanzibar invoice", NULL);
	all = store_count(s, "tickets");
	is_int(list_count(s, NULL, NULL, NULL, &first), all, "list: all");
	is_int(first, a, "list: newest first");
	is_int(list_count(s, NULL, "billing", NULL, &first), 2,
	    "list: by queue");
	is_int(list_count(s, "closed", NULL, NULL, &first), 1,
	    "list: by status");
	is_int(first, b, "list: that ticket");
	is_int(list_count(s, "pending", "support", NULL, &first), 0,
	    "list: both filters");
	is_int(list_count(s, NULL, NULL, "zanzibar", &first), 1,
	    "search: a word in a body");
	is_int(first, b, "search: its ticket");
	is_int(list_count(s, "open", NULL, "zanzibar", &first), 0,
	    "search: with a filter");
	is_int(list_count(s, NULL, NULL, "printer", &first), 4,
	    "search: a word in subjects, distinct tickets");
	is_int(list_count(s, NULL, NULL, "lost", &first), 0,
	    "search: quarantined messages have no ticket");
	is_int(list_count(s, NULL, NULL, "\"unbalanced AND (", &first),
	    (size_t)-1, "search: a malformed query is an error");
}

static bool
says_faulted(void *arg, const char *digest, unsigned attempt)
{
	(void)digest;
	return attempt == *(unsigned *)arg;
}

static void
test_attempts(struct store *s)
{
	unsigned c = 0, n = 0, crashed = 2;
	const struct store_attempt a = { .faulted = says_faulted,
	    .arg = &crashed, .counted = &c, .attempt = &n };

	ok(store_attempt_start(s, "dg1", &a) == 0 && n == 1 && c == 0,
	    "attempt: 1, nothing counted");
	ok(store_attempt_start(s, "dg1", &a) == 0 && n == 2 && c == 0,
	    "attempt: a stopped attempt 1 is not counted");
	ok(store_attempt_start(s, "dg1", &a) == 0 && n == 3 && c == 1,
	    "attempt: the fault of attempt 2 counts");
	ok(store_attempt_start(s, "dg1", &a) == 0 && n == 4 && c == 1,
	    "attempt: the same fault never counts twice");
	ok(store_attempt_start(s, "dg2", &a) == 0 && n == 1 && c == 0,
	    "attempt: per digest");
	is_int(store_count(s, "attempts"), 2, "attempt: two rows");
	ok(store_begin(s) == 0, "attempt: begin");
	is_int(store_attempt_start(s, "dg1", &a), -1,
	    "attempt: refused inside a transaction");
	is_int(store_attempt_clear(s, "dg1"), 0, "attempt: clear");
	ok(store_commit(s) == 0, "attempt: commit");
	ok(store_attempt_start(s, "dg1", &a) == 0 && n == 1 && c == 0,
	    "attempt: starts again after clear");
}

/* Rate rows of keys used once go too: the oldest few with every add. */
static void
test_rate_prune(void)
{
	struct store *s;
	int64_t n = 0;
	char key[32];

	setenv("POSTDESK_NOW", "1000000000", 1);
	s = store_open(dbpath, STORE_OPEN, 1000);
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "loop:%d:x@example.org", i);
		store_rate_add(s, key);
	}
	store_close(s);
	setenv("POSTDESK_NOW", "1000900000", 1);
	s = store_open(dbpath, STORE_OPEN, 1000);
	store_rate_add(s, "other");
	store_rate_add(s, "other");
	store_rate_count(s, "loop:19:x@example.org", 0, &n);
	is_int(n, 1, "rate: the newest old key is still there");
	store_rate_add(s, "other");
	store_rate_count(s, "loop:19:x@example.org", 0, &n);
	is_int(n, 0, "rate: old rows of other keys go, 8 with every add");
	store_rate_count(s, "other", 0, &n);
	is_int(n, 3, "rate: new rows stay");
	store_close(s);
	unsetenv("POSTDESK_NOW");
}

static void
test_busy(struct store *s)
{
	struct store *other = store_open(dbpath, STORE_OPEN, 100);
	struct timespec t0, t1;
	double ms;

	ok(other != NULL, "busy: second handle");
	if (other == NULL)
		return;
	ok(!store_is_busy(other), "busy: not at first");
	ok(store_begin(s) == 0, "busy: first takes the lock");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(store_begin(other), -1, "busy: second cannot begin");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ok(ms >= 50 && ms < 2000, "busy: after about the busy timeout");
	ok(store_is_busy(other), "busy: reported as busy");
	is_int(store_ticket_set(other, 1, "nosuch", "low"), -1,
	    "busy: then another failure");
	ok(!store_is_busy(other), "busy: no longer reported");
	store_rollback(s);
	ok(store_begin(other) == 0, "busy: free again");
	store_rollback(other);
	store_close(other);
}

/* As root, on a database owned by someone else: become that user. */
static void
test_owner(void)
{
	char *dir, *path;
	struct store *s;
	pid_t pid;
	int status = -1;

	if (geteuid() != 0) {
		tap_skip("owner: root becomes the owner", "not run as root");
		return;
	}
	dir = g_build_filename(tmpdir, "owned", NULL);
	path = g_build_filename(dir, "db.sqlite", NULL);
	g_mkdir(dir, 0755);
	g_chmod(tmpdir, 0711);	/* the owner must reach the directory */
	s = store_open(path, STORE_CREATE, 1000);
	store_close(s);
	ok(s != NULL && chown(dir, NOBODY, NOBODY) == 0 &&
	    chown(path, NOBODY, NOBODY) == 0, "owner: database given away");
	if ((pid = fork()) == 0) {
		s = store_open(path, STORE_OPEN, 1000);
		/* _exit: no leak check in a process that is not root now */
		_exit(s != NULL && geteuid() == NOBODY && getuid() == NOBODY &&
		    getegid() == NOBODY && setuid(0) == -1 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "owner: root became the owner, for good");
	g_free(path);
	g_free(dir);
}

static void
rm_rf(const char *dir)
{
	char *argv[] = { "rm", "-rf", (char *)dir, NULL };

	g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
	    NULL, NULL, NULL);
}

int
main(void)
{
	struct store *s;

	setenv("POSTDESK_NOW", G_STRINGIFY(NOW), 1);
	tmpdir = g_dir_make_tmp("test-store-XXXXXX", NULL);
	dbpath = g_build_filename(tmpdir, "postdesk.sqlite", NULL);
	test_open();
	if ((s = store_open(dbpath, STORE_OPEN, 1000)) == NULL) {
		ok(0, "open for the rest");
		return tap_done();
	}
	test_tickets(s);
	test_participants(s);
	test_proposed(s);
	test_messages(s);
	test_attachments(s);
	test_msgids(s);
	test_full(s);
	test_list(s);
	test_attempts(s);
	test_rate_prune();
	test_busy(s);
	store_close(s);
	test_owner();
	rm_rf(tmpdir);
	g_free(dbpath);
	g_free(tmpdir);
	return tap_done();
}

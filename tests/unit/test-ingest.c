/* SPDX-License-Identifier: ISC */
/*
 * The ingest core without an MTA: result codes, idempotence, the attempt
 * counter that stores a mail raw after repeated failures, and a batch
 * whose COMMIT fails turning every result into a temporary failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "conf.h"
#include "ingest.h"
#include "store.h"
#include "tap.h"
#include "token.h"

static const char mail[] =
    "From: Alice <alice@customer.example>\n"
    "To: support@support.example.test\n"
    "Subject: Printer on fire\n"
    "Message-ID: <t1@customer.example>\n\n"
    "It burns.\n";

static struct conf *
make_conf(const char *dir)
{
	char *path = g_build_filename(dir, "postdesk.conf", NULL);
	char *text = g_strdup_printf(
	    "database \"%s/pd.db\"\nsecret \"%s/secret\"\n"
	    "queue \"support\" {\n address \"support@support.example.test\"\n}\n"
	    "limit message-size 2K\nlimit attempts 3\nlimit busy-timeout 1s\n",
	    dir, dir);
	struct conf_diag diag = { 0 };
	struct conf *cf;

	g_file_set_contents(path, text, -1, NULL);
	cf = conf_load(path, &diag);
	for (size_t i = 0; i < diag.n; i++)
		printf("# %s\n", diag.lines[i]);
	conf_diag_clear(&diag);
	g_free(text);
	g_free(path);
	return cf;
}

static int64_t
count(struct store *s, const char *what)
{
	return store_count(s, what);
}

static void
test_basic(struct ingest *ing, struct store *s)
{
	const char *rcpt[] = { "support@support.example.test" };
	struct ingest_env env = { .sender = "alice@customer.example",
	    .rcpts = rcpt, .nrcpts = 1 };
	struct ingest_result res;
	char big[4096];

	ingest_one(ing, &env, mail, strlen(mail), &res);
	is_int(res.status, INGEST_STORED, "stored");
	is_int(res.exit_code, EX_OK, "stored: exit 0");
	is_int(res.smtp_code, 250, "stored: 250");
	ok(res.new_ticket && res.ticket == 1, "stored: new ticket 1");
	ingest_one(ing, &env, mail, strlen(mail), &res);
	is_int(res.status, INGEST_DUPLICATE, "again: duplicate");
	is_int(res.exit_code, EX_OK, "duplicate: exit 0");
	is_int(count(s, "messages"), 2,
	    "duplicate: one message (and its acknowledgement)");
	memset(big, 'x', sizeof(big));
	memcpy(big, mail, strlen(mail));
	ingest_one(ing, &env, big, sizeof(big), &res);
	is_int(res.status, INGEST_REFUSED, "over the size limit: refused");
	is_int(res.exit_code, EX_DATAERR, "too large: exit 65");
	is_int(res.smtp_code, 552, "too large: 552");
	ok(strstr(res.reason, "too large") != NULL, "too large: reason says so");
	is_int(count(s, "messages"), 2, "too large: nothing stored");
}

/* A mail that fails every time: counted, then stored raw. */
static void
test_attempts(struct ingest *ing, struct store *s)
{
	static const char m2[] = "From: bob@customer.example\n"
	    "Subject: crashes us\nMessage-ID: <t2@customer.example>\n\nboom\n";
	const char *rcpt[] = { "support@support.example.test" };
	struct ingest_env env = { .sender = "bob@customer.example",
	    .rcpts = rcpt, .nrcpts = 1 };
	struct ingest_result res;
	unsigned attempts = 0;

	/* Three attempts that died before their COMMIT... */
	for (int i = 0; i < 3; i++)
		ingest_note(ing, m2, strlen(m2), &attempts);
	is_int(attempts, 3, "three failed attempts counted");
	/* ...the fourth stores it raw, flagged, on a ticket of its own. */
	ingest_one(ing, &env, m2, strlen(m2), &res);
	is_int(res.status, INGEST_STORED, "after the limit: stored");
	is_int(res.exit_code, EX_OK, "after the limit: exit 0");
	struct store_ticket_full full = { 0 };
	ok(store_ticket_full(s, res.ticket, &full) == 1, "its ticket exists");
	ok(full.nmessages == 1 && (full.messages[0].flags & MSG_F_UNPARSED),
	    "stored raw, flagged unparsed");
	ok(full.nevents >= 1 && strstr(full.events[0].why,
	    "repeated failures") != NULL, "an event says why");
	store_ticket_full_clear(&full);
	is_int(count(s, "attempts"), 0, "attempt count cleared on commit");
}

/* Another connection holds the write lock: every result is a 451. */
static void
test_locked(struct ingest *ing, const char *db)
{
	static const char m3[] = "From: carol@customer.example\n"
	    "Subject: later\nMessage-ID: <t3@customer.example>\n\nwait\n";
	struct store *other = store_open(db, STORE_OPEN, 100);
	struct ingest_env env = { .sender = "carol@customer.example" };
	struct ingest_result res;

	ok(other != NULL && store_begin(other) == 0, "second handle locks");
	ingest_one(ing, &env, m3, strlen(m3), &res);
	is_int(res.status, INGEST_TEMPFAIL, "locked: temporary failure");
	is_int(res.exit_code, EX_TEMPFAIL, "locked: exit 75");
	is_int(res.smtp_code, 451, "locked: 451");
	store_rollback(other);
	store_close(other);
	ingest_one(ing, &env, m3, strlen(m3), &res);
	is_int(res.status, INGEST_STORED, "lock gone: stored");
}

int
main(void)
{
	char tmpl[] = "/tmp/pd-ingest.XXXXXX";
	char *dir = mkdtemp(tmpl), *db, *secret;
	unsigned char key[TOKEN_KEY_LEN] = { 1, 2, 3 };
	struct token_keys *keys = token_keys_new(key, NULL);
	struct conf *cf = make_conf(dir);
	struct store *s;
	struct ingest *ing;

	if (!ok(cf != NULL, "config loads"))
		return tap_done();
	db = g_build_filename(dir, "pd.db", NULL);
	secret = g_build_filename(dir, "secret", NULL);
	s = store_open(db, STORE_CREATE, 1000);
	ing = ingest_new(cf, s, keys);
	test_basic(ing, s);
	test_attempts(ing, s);
	test_locked(ing, db);
	ingest_free(ing);
	store_close(s);
	conf_free(cf);
	token_keys_free(keys);
	g_free(db);
	g_free(secret);
	if (system("true") == 0) {
		char *cmd = g_strdup_printf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
		g_free(cmd);
	}
	return tap_done();
}

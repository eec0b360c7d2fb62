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
#include "digest.h"
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
	    "limit message-size 2K\nlimit attempts 3\nlimit parse-time 5s\nlimit busy-timeout 1s\n",
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

/* What the guard writes when an attempt crashes. */
static void
write_fault(const char *db, const char *digest, unsigned attempt)
{
	char *path = g_strconcat(db, ".faults", NULL);
	FILE *f = fopen(path, "a");

	if (f != NULL) {
		fprintf(f, "%s %u SIGSEGV\n", digest, attempt);
		fclose(f);
	}
	g_free(path);
}

/* Kills never count; a mail that crashes us every time is stored from
 * a raw scan, under its own Message-ID, and a retry is a duplicate. */
static void
test_attempts(struct ingest *ing, struct store *s, const char *db)
{
	static const char m2[] = "From: Bob <bob@customer.example>\n"
	    "Subject: crashes us\nMessage-ID: <t2@customer.example>\n"
	    "References: <t1@customer.example>\n\nboom\n";
	const char *rcpt[] = { "support@support.example.test" };
	struct ingest_env env = { .sender = "bob@customer.example",
	    .rcpts = rcpt, .nrcpts = 1 };
	struct ingest_result res;
	struct ingest_attempt at = { 0 };
	char dg[DIGEST_HEX_LEN + 1];
	struct store_ticket_full full = { 0 };
	const struct store_msgrow *raw = NULL;

	digest_message(m2, strlen(m2), dg);
	for (int i = 0; i < 4; i++)
		ingest_note(ing, m2, strlen(m2), &at);
	is_int(at.faults, 0, "killed attempts are not counted");
	for (int i = 0; i < 3; i++) {
		ingest_note(ing, m2, strlen(m2), &at);
		write_fault(db, dg, at.number);
	}
	is_int(at.faults, 2, "crashed attempts are counted");
	/* The next one finds the third crash: limit 3, stored raw. */
	ingest_one(ing, &env, m2, strlen(m2), &res);
	is_int(res.status, INGEST_STORED, "after the limit: stored");
	is_int(res.exit_code, EX_OK, "after the limit: exit 0");
	ok(res.ticket > 0 && !res.new_ticket, "threaded by its References");
	ok(store_ticket_full(s, res.ticket, &full) == 1, "its ticket exists");
	for (size_t i = 0; i < full.nmessages; i++)
		if (strcmp(full.messages[i].message_id,
		    "t2@customer.example") == 0)
			raw = &full.messages[i];
	ok(raw != NULL, "under its own Message-ID");
	ok(raw != NULL && (raw->flags & MSG_F_UNPARSED),
	    "stored raw, flagged unparsed");
	ok(raw != NULL && strstr(raw->body_text, "could not be parsed") !=
	    NULL, "the body says it is raw");
	store_ticket_full_clear(&full);
	is_int(count(s, "attempts"), 1, "its faults are kept");
	ingest_one(ing, &env, m2, strlen(m2), &res);
	is_int(res.status, INGEST_DUPLICATE, "again: a duplicate, from the "
	    "raw scan");
	is_int(count(s, "attempts"), 1, "its faults are still kept");
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
	test_attempts(ing, s, db);
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

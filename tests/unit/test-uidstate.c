/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "store.h"
#include "tap.h"
#include "uidstate.h"

/* "upto|d1,d2" */
static char *
show(const struct store_imap_state *st)
{
	GString *s = g_string_new(NULL);

	g_string_printf(s, "%lld|", (long long)st->upto);
	for (size_t i = 0; i < st->ndone; i++)
		g_string_append_printf(s, "%s%lld", i ? "," : "",
		    (long long)st->done[i]);
	return g_string_free(s, FALSE);
}

static void
check(const struct store_imap_state *st, const int64_t *cand,
    const bool *committed, size_t n, const char *want, const char *name)
{
	struct store_imap_state out = { 0 };
	char *got;

	uidstate_advance(st, cand, committed, n, &out);
	got = show(&out);
	is_str(got, want, name);
	g_free(got);
	store_imap_state_clear(&out);
}

static void
test_advance(void)
{
	struct store_imap_state empty = { 0 };
	int64_t done5[] = { 9, 12 };
	struct store_imap_state st = { .upto = 5, .done = done5, .ndone = 2 };
	int64_t c1[] = { 1, 2, 3, 7, 8 };
	bool all[] = { true, true, true, true, true };
	bool lowfail[] = { true, false, true, true, true };
	bool none[] = { false, false, false, false, false };
	int64_t c2[] = { 6, 7, 10, 13 };
	bool c2a[] = { true, true, true, true };
	bool c2b[] = { true, false, true, true };

	check(&empty, c1, all, 5, "8|", "all committed: upto past them");
	check(&empty, c1, lowfail, 5, "1|3,7,8",
	    "a lower UID failed: not skipped, the higher ones kept");
	check(&empty, c1, none, 5, "0|", "nothing committed: nothing moves");
	check(&empty, NULL, NULL, 0, "0|", "no candidates");
	check(&st, c2, c2a, 4, "13|", "gaps (expunged UIDs) are passed");
	check(&st, c2, c2b, 4, "6|9,10,12,13", "old and new exceptions merge");
	ok(uidstate_has(&st, 5) && uidstate_has(&st, 12) &&
	    !uidstate_has(&st, 6) && !uidstate_has(&st, 10),
	    "has: upto and the exceptions");
}

static void
test_store(void)
{
	char dir[] = "/tmp/test-uidstate.XXXXXX";
	struct store_imap_state got = { 0 };
	int64_t done[] = { 9, 12 };
	struct store_imap_state st = { .upto = 5, .done = done, .ndone = 2 };
	struct store *s;
	char *path, *shown, *wal, *shm;

	if (mkdtemp(dir) == NULL) {
		tap_skip("store", "mkdtemp failed");
		return;
	}
	path = g_build_filename(dir, "t.db", NULL);
	s = store_open(path, STORE_CREATE, 1000);
	ok(s != NULL, "store: opens");
	is_int(store_imap_state_get(s, "u@h", "INBOX", 7, &got), 0,
	    "store: no state yet");
	ok(store_begin(s) == 0 && store_imap_state_set(s, "u@h", "INBOX", 7,
	    &st) == 0 && store_commit(s) == 0, "store: set in a transaction");
	is_int(store_imap_state_get(s, "u@h", "INBOX", 7, &got), 1,
	    "store: found");
	shown = show(&got);
	is_str(shown, "5|9,12", "store: read back");
	g_free(shown);
	store_imap_state_clear(&got);
	st.upto = 1;
	st.ndone = 0;
	ok(store_begin(s) == 0 && store_imap_state_set(s, "u@h", "INBOX", 8,
	    &st) == 0 && store_commit(s) == 0, "store: a new UIDVALIDITY");
	is_int(store_imap_state_get(s, "u@h", "INBOX", 7, &got), 0,
	    "store: the old UIDVALIDITY's state is gone");
	is_int(store_imap_state_get(s, "u@h", "Other", 8, &got), 0,
	    "store: per mailbox");
	store_close(s);
	unlink(path);
	wal = g_strconcat(path, "-wal", NULL);
	shm = g_strconcat(path, "-shm", NULL);
	unlink(wal);
	unlink(shm);
	rmdir(dir);
	g_free(wal);
	g_free(shm);
	g_free(path);
}

int
main(void)
{
	log_init(LOG_SINK_STDERR, 0);
	test_advance();
	test_store();
	return tap_done();
}

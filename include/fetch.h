/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_FETCH_H
#define POSTDESK_FETCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "ingest.h"
#include "store.h"

/*
 * IMAP fetch for one account: the third front door of the ingest core.
 * A round selects the mailbox, checks UIDVALIDITY (a new one means a
 * full resync, kept free of duplicates by idempotent ingest), fetches
 * the UIDs not yet committed in batches, ingests each batch with one
 * COMMIT that also records the committed UIDs (store_imap_state), and
 * only then marks, moves or deletes those messages on the server.  A
 * message that failed transiently is left untouched for the next round;
 * one refused for good (over the size limit) is moved to the account's
 * refused-folder, never deleted.  Committed messages that a crash left
 * unmarked are marked at the start of the next round.
 */

struct fetch_counts {
	size_t	fetched, stored, duplicates, refused, failed;
};

/* From good to worst: of several accounts, the worst one counts. */
enum fetch_status {
	FETCH_OK,
	FETCH_TEMPFAIL,		/* network, busy database, some message
				   failed transiently: try again */
	FETCH_ERROR,		/* the server refused a command */
	FETCH_TLS,		/* TLS failed or the certificate was refused */
	FETCH_LOGIN,		/* the server refused the login */
};

struct fetch_account {
	const struct conf	*conf;
	const struct conf_imap	*imap;
	const char		*password;
	struct store		*store;
	struct ingest		*ingest;
	/* Under --idle: set to 1, and the session ends, when a file of
	 * the config changed; checked before each batch is stored, so no
	 * mail is taken under a config that is gone (a removed agent's
	 * rights end at once).  The caller reloads.  NULL: not checked. */
	volatile sig_atomic_t	*reload;
};

/* One connection, rounds until nothing new is left, disconnect.
 * counts (may be NULL) adds up what happened. */
enum fetch_status fetch_once(const struct fetch_account *,
		    struct fetch_counts *counts);

/*
 * Stay connected: a round, then IDLE (renewed every 28 minutes; where
 * the server has no IDLE, a round a minute), another round whenever
 * the server reports a change.  Network errors reconnect with backoff
 * (1 s doubling to 60 s).  Returns when *stop is set (by a signal
 * handler: the waits are interrupted) or *a->reload.
 */
void		 fetch_idle(const struct fetch_account *,
		    volatile sig_atomic_t *stop);

#endif

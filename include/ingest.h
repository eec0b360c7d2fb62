/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_INGEST_H
#define POSTDESK_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"
#include "token.h"

/*
 * The ingest core shared by every front door: bytes and envelope in,
 * a result out.  A batch of messages is closed by one COMMIT; no result
 * counts before that COMMIT succeeds (ingest_commit turns every result
 * of a failed batch into INGEST_TEMPFAIL).  deliver runs a batch of one
 * through ingest_one().
 */

struct ingest_env {
	const char		*sender;	/* NULL unknown, "" null */
	const char *const	*rcpts;		/* envelope recipients */
	size_t			 nrcpts;
	const char		*queue;		/* forced queue, or NULL */
};

enum ingest_status {
	INGEST_STORED,		/* 0, LMTP 250 */
	INGEST_DUPLICATE,	/* 0, LMTP 250: nothing new stored */
	INGEST_REFUSED,		/* 65/67, LMTP 5xx: see smtp_code */
	INGEST_TEMPFAIL,	/* 75, LMTP 451: the MTA retries */
};

struct ingest_result {
	enum ingest_status	 status;
	int64_t			 ticket;	/* 0 when none */
	int64_t			 message;
	bool			 new_ticket;
	int			 exit_code;	/* sysexits */
	int			 smtp_code;	/* 250, 451, 550, 552 */
	char			 reason[256];
};

struct ingest;

/* The ingest core over an open store; nothing is copied, all three must
 * outlive it. */
struct ingest	*ingest_new(const struct conf *, struct store *,
		    const struct token_keys *);
void		 ingest_free(struct ingest *);

/* One attempt at one message: its number, and how many earlier ones
 * failed through a fault of the message itself (a crash, the CPU or
 * memory limit; never a kill or a temporary failure). */
struct ingest_attempt {
	unsigned	 number;
	unsigned	 faults;
};

/* Start an attempt at this message; call before ingest_begin (outside
 * any transaction).  -1 when the store failed (transient).  Once
 * `limit attempts` attempts have faulted, ingest_add() stores the mail
 * from a raw scan of its header instead of parsing it (parse_raw()).
 * ingest_add() of the same buffer (same pointer and length, still
 * alive) reuses the digest computed here. */
int		 ingest_note(struct ingest *, const char *raw, size_t len,
		    struct ingest_attempt *);

int		 ingest_begin(struct ingest *);
/* Add one message to the open batch; res is final only after
 * ingest_commit().  -1: the batch must be rolled back (res says why).
 * Its parse runs under the guard (guard.h) when the front door set one
 * up; a mail stored raw keeps its attempts row, so that the same bytes
 * never reach the parser again. */
int		 ingest_add(struct ingest *, const struct ingest_env *,
		    const char *raw, size_t len,
		    const struct ingest_attempt *, struct ingest_result *res);
/* COMMIT; on failure every result in res[0..n) becomes TEMPFAIL. */
int		 ingest_commit(struct ingest *, struct ingest_result *res,
		    size_t n);
void		 ingest_rollback(struct ingest *, struct ingest_result *res,
		    size_t n);

/* A batch of one: note, begin, add, commit. Never fails: see res. */
void		 ingest_one(struct ingest *, const struct ingest_env *,
		    const char *raw, size_t len, struct ingest_result *res);

#endif

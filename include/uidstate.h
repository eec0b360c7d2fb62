/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_UIDSTATE_H
#define POSTDESK_UIDSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * The committed-UID bookkeeping of IMAP fetch, pure: which UIDs of one
 * mailbox (at one UIDVALIDITY) are committed, kept as "every UID up to
 * upto" plus the committed ones above it.  A lower UID that failed
 * transiently thus is not skipped because a higher one succeeded.
 */

/* qsort() comparison of two int64_t UIDs. */
int	uidstate_cmp(const void *, const void *);

/* Is uid committed? */
bool	uidstate_has(const struct store_imap_state *, int64_t uid);

/*
 * The state after a batch.  cand[0..n), ascending, are the UIDs above
 * st->upto that the mailbox held when the round searched it and that
 * were not committed then; committed[i] tells whether cand[i] is now.
 * upto moves to just below the first candidate that is not committed
 * (past everything when all are); the committed ones above it stay in
 * done.  out is the caller's: store_imap_state_clear() it.
 */
void	uidstate_advance(const struct store_imap_state *st,
	    const int64_t *cand, const bool *committed, size_t n,
	    struct store_imap_state *out);

#endif

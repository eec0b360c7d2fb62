/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_SEND_H
#define POSTDESK_SEND_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "store.h"
#include "transport.h"

/*
 * Draining the outbox.  A sender claims a batch of due rows with a
 * lease (so that concurrent senders never take the same row), hands
 * each to the transport, and marks it sent only after the transport
 * reports the server's 250 for DATA.  While alive, a sender holds
 * flock(LOCK_EX) on "<database>.send.<owner>" and renews its leases
 * every SEND_RENEW seconds; a lease whose lock can be taken belongs to
 * a dead sender and is taken over at once, any other runs out after
 * SEND_LEASE seconds unrenewed.  A crash before the mark-sent so sends
 * the mail again, with the same Message-ID (at least once, never lost;
 * the file transport finds its own file and sends nothing twice).
 *
 * Outcomes: a transient failure (4xx) comes back after an exponential
 * backoff with jitter until the row is older than limit send-max-age;
 * then, like a 5xx to RCPT or DATA, the failure is permanent and an
 * event on the ticket.  A transport fault -- no connection, TLS, any
 * failure before RCPT (greeting, EHLO, AUTH, MAIL FROM), or in one run
 * the same 5xx reply for RCPT or DATA from rows of 3 or more recipient
 * domains -- is nobody's mail's fault: every claimed row goes back to
 * the queue with backoff, its age restarted (a fault never counts
 * toward send-max-age), and the fault is logged at LOG_ERR.
 */

#define SEND_LEASE	60	/* seconds a claim is held unrenewed */
#define SEND_RENEW	20	/* renewed this often while sending */
#define SEND_BATCH	32	/* rows per claim */
#define SEND_BACKOFF_BASE 60	/* first retry after about a minute */
#define SEND_BACKOFF_MAX 3600	/* then doubling, up to an hour */

struct send_stats {
	size_t		 sent, retried, failed;
	size_t		 claimed;	/* rows taken in all */
	size_t		 faults;	/* transport faults (0 or 1) */
};

/*
 * Send every due row.  smtp: the SMTP transport, or NULL where it is
 * not linked (postdesk-deliver): then an SMTP configuration sends
 * nothing and returns -1.  stop (may be NULL) is checked between
 * mails: when it becomes non-zero the rest is released for the next
 * sender.  0, or -1 when the store or the sender's lock failed (mails
 * that could not go are no failure of the drain: they wait in the
 * outbox, or failed, as stats say).
 */
int		 send_drain(struct store *, const struct conf *,
		    const struct transport_ops *smtp, const char *owner,
		    volatile sig_atomic_t *stop, struct send_stats *);

/* This sender's name for leases: "hostname.pid.random"; free it with
 * send_owner_free(), which also drops its lock file. */
char		*send_owner_new(void);
void		 send_owner_free(char *owner);

/*
 * Seconds until the next try of a mail that failed attempts times
 * before (0 the first time): SEND_BACKOFF_BASE * 2^attempts, at most
 * SEND_BACKOFF_MAX, then +-20 % jitter from rnd (any 32-bit value).
 */
int64_t		 send_backoff(unsigned attempts, uint32_t rnd);

/* True when a mail created at created has waited max_age or longer. */
bool		 send_expired(int64_t created, int64_t now,
		    int64_t max_age);

/*
 * After deliver's COMMIT, when the config says send-after-deliver
 * yes and mail is queued: drain once inline when the transport is
 * available here (file, or smtp non-NULL), else start
 * "postdesk -c conf_path send --once" detached (postdesk-path, or the
 * postdesk next to this program).  Best effort: failures are logged,
 * never returned.
 */
void		 send_after_deliver(struct store *, const struct conf *,
		    const char *conf_path, const struct transport_ops *smtp);

#endif

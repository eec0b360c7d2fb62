/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_STORE_H
#define POSTDESK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/*
 * The store: tickets, messages (raw bytes kept), participants,
 * attachments, message ids, events, full-text search, ingest attempts.
 * SQLite (WAL, synchronous=FULL, foreign keys, busy timeout) behind an
 * opaque handle; sqlite3.h appears in store-sqlite.c only.
 *
 * Conventions: functions return 0 / -1 (errors are logged there, with
 * the object: "store: ticket 42: insert message: database is locked");
 * look-ups return 1 found / 0 not found / -1 error.  After any -1 inside
 * a transaction the caller rolls back.  store_is_busy() tells whether
 * the last failure was SQLITE_BUSY/LOCKED (transient).  Strings handed
 * out in structs belong to the struct: free it with its _clear().
 */

struct store;

enum store_open_mode {
	STORE_OPEN,		/* the database must exist */
	STORE_CREATE,		/* create it (and run migrations) */
};

/*
 * Open path; migrations run on open.  busy_ms: SQLite busy timeout.
 * Run as root on a database owned by another user, the process first
 * becomes that user for good (uid, and the file's group as its only
 * group), so that no root-owned -wal/-shm file is left behind; NULL
 * (logged) when it cannot.
 */
struct store	*store_open(const char *path, enum store_open_mode,
		    int64_t busy_ms);
void		 store_close(struct store *);
const char	*store_lib_version(void);
bool		 store_is_busy(const struct store *);
/* Schema version after migrations. */
int		 store_schema_version(struct store *);

/* BEGIN IMMEDIATE (the write lock up front), COMMIT, ROLLBACK. */
int		 store_begin(struct store *);
int		 store_commit(struct store *);
void		 store_rollback(struct store *);

/*
 * Ingest attempts per normalised digest, written in a short transaction
 * of their own (synchronous=NORMAL: losing one in a power cut is
 * harmless).  attempt_start numbers this attempt and marks the message
 * as at work; when the previous attempt was still at work (killed, or
 * crashed) and faulted() says that attempt faulted, one more fault is
 * counted.  Only faults count: a kill leaves no fault behind.
 * attempt_clear runs inside the message's own transaction.
 */
struct store_attempt {
	bool		(*faulted)(void *arg, const char *digest,
			    unsigned attempt);
	void		 *arg;
	unsigned	 *counted;	/* out: faults counted so far */
	unsigned	 *attempt;	/* out: this attempt's number */
};
int		 store_attempt_start(struct store *, const char *digest,
		    const struct store_attempt *);
int		 store_attempt_clear(struct store *, const char *digest);

enum store_ticket_status {
	TICKET_NEW, TICKET_OPEN, TICKET_PENDING, TICKET_RESOLVED,
	TICKET_CLOSED,
};
const char	*store_status_name(enum store_ticket_status);
/* -1 when the name is not a status. */
int		 store_status_parse(const char *);

struct store_ticket {
	int64_t		 number;
	char		*subject;
	enum store_ticket_status status;
	char		*queue;
	char		*priority;	/* low normal high urgent */
	char		*assignee;	/* agent address, "" */
	char		*requester;	/* address */
	char		*language;
	char		*root_id;	/* our unguessable root Message-ID */
	int64_t		 merged_into;	/* 0 = not merged */
	int64_t		 linked_from;	/* ticket it continues, 0 */
	int64_t		 created, updated, resolved_at;
	int64_t		 first_response, last_customer, last_agent;
	int64_t		 message_count;	/* filled by get and list */
};
void		 store_ticket_clear(struct store_ticket *);

/* Create: number is assigned and written back into t. */
int		 store_ticket_create(struct store *, struct store_ticket *t);
int		 store_ticket_get(struct store *, int64_t number,
		    struct store_ticket *out);		/* 1/0/-1 */
/* Set one field: "status", "priority", "queue", "assignee", "language",
 * "subject", "root_id", "merged_into", "resolved_at", "last_customer",
 * "last_agent", "first_response"; updated becomes now.  Numbers are
 * decimal strings ("" = 0; merged_into 0 = not merged).  A status
 * change to resolved also sets resolved_at to now.  An unknown field,
 * a bad value or a missing ticket is -1. */
int		 store_ticket_set(struct store *, int64_t number,
		    const char *field, const char *value);

enum store_role { ROLE_REQUESTER, ROLE_WATCHER, ROLE_AGENT };
const char	*store_role_name(enum store_role);

struct store_participant {
	char		*address;	/* lower case */
	char		*name;
	enum store_role	 role;
};
/* Adding an existing participant is a no-op returning 0. */
int		 store_participant_add(struct store *, int64_t ticket,
		    const char *address, const char *name, enum store_role);
/* 1 when address (case-insensitive) is a participant of ticket. */
int		 store_participant_is(struct store *, int64_t ticket,
		    const char *address);
int		 store_participants(struct store *, int64_t ticket,
		    struct store_participant **v, size_t *n);
void		 store_participants_free(struct store_participant *, size_t);

enum store_direction { DIR_IN, DIR_OUT };
enum store_author { AUTHOR_CUSTOMER, AUTHOR_AGENT, AUTHOR_SYSTEM };
const char	*store_author_name(enum store_author);

struct store_message {
	int64_t		 id;		/* assigned by insert */
	int64_t		 ticket;	/* 0 = none (quarantine) */
	const char	*message_id;
	const char	*digest;	/* normalised, digest.h */
	enum store_direction direction;
	enum store_author author;
	const char	*from_name, *from_addr;
	const char	*subject;
	const char	*body_text;
	int64_t		 date;		/* -1 unknown */
	unsigned	 flags;		/* msg.h bits */
	const char	*threaded_by;	/* token, our-ref, foreign-ref,
					   subject-tag, new, ... */
	const char	*envelope_from;
	const char	*raw;
	size_t		 raw_len;
};

/*
 * Insert a message (and its FTS row) and its envelope recipient
 * (rcpt may be NULL or "").  id is written back.  The raw bytes are
 * stored as they came.
 */
int		 store_message_insert(struct store *, struct store_message *m,
		    const char *rcpt);
/*
 * Dedupe: 1 when a message with this Message-ID and digest exists
 * (*id = its row, *ticket = its ticket); 0 when not, with *conflict set
 * when the Message-ID exists with another digest.
 */
int		 store_message_find(struct store *, const char *message_id,
		    const char *digest, int64_t *id, int64_t *ticket,
		    bool *conflict);
/* Record one more envelope recipient of a stored message (no-op when
 * known). */
int		 store_message_add_rcpt(struct store *, int64_t id,
		    const char *rcpt);

/*
 * Attachments: content-addressed by SHA-256 in blobs (stored once,
 * reference-counted), one attachments row per occurrence.  p->data
 * must be filled (parse_opts.keep_part_data).
 */
int		 store_attachment_add(struct store *, int64_t message,
		    const struct msg_part *p);

/* message_ids: every Message-ID seen or sent -> ticket.  An id already
 * known keeps its ticket (one recorded without a ticket gets it). */
int		 store_msgid_add(struct store *, const char *message_id,
		    int64_t ticket, int64_t message, bool ours);
/* 1 found (*ticket, *ours), 0 not, -1 error. */
int		 store_msgid_find(struct store *, const char *message_id,
		    int64_t *ticket, bool *ours);

/* events: the audit trail.  ticket 0 = not about a ticket; message 0 =
 * not about a message.  old/new/why may be NULL. */
int		 store_event_add(struct store *, int64_t ticket,
		    int64_t message, const char *actor, const char *what,
		    const char *old, const char *new_, const char *why);

/* ---- reading, for admin commands ---- */

struct store_event {
	int64_t		 at;
	int64_t		 message;
	char		*actor, *what, *old, *new_, *why;
};

struct store_msgrow {
	int64_t		 id;
	char		*message_id;
	enum store_direction direction;
	enum store_author author;
	char		*from_name, *from_addr;
	char		*subject;
	char		*body_text;
	unsigned	 flags;
	char		*threaded_by;
	int64_t		 received;
};

struct store_ticket_full {
	struct store_ticket		 t;
	struct store_msgrow		*messages;
	size_t				 nmessages;
	struct store_participant	*participants;
	size_t				 nparticipants;
	struct store_event		*events;
	size_t				 nevents;
	struct store_participant	*proposed;	/* get no mail */
	size_t				 nproposed;
};
int		 store_ticket_full(struct store *, int64_t number,
		    struct store_ticket_full *out);	/* 1/0/-1 */
void		 store_ticket_full_clear(struct store_ticket_full *);

struct store_filter {
	const char	*status;	/* NULL = any */
	const char	*queue;		/* NULL = any */
	const char	*query;		/* FTS5 query, NULL = none */
};
/* Tickets matching, newest first. */
int		 store_ticket_list(struct store *, const struct store_filter *,
		    struct store_ticket **v, size_t *n);
void		 store_tickets_free(struct store_ticket *, size_t);

/* Messages stored without a ticket or flagged (quarantine view). */
int64_t		 store_count(struct store *, const char *what);

/* Stored incoming messages, for "postdesk filter replay".  Strings are
 * valid during the callback only. */
struct store_stored {
	int64_t		 id;
	int64_t		 ticket;	/* 0 = none (quarantine) */
	const char	*message_id;
	const char	*envelope_from;
	const char	*rcpt;		/* an envelope recipient, "" */
	const char	*threaded_by;	/* "new" opened its ticket */
	const char	*queue;		/* its ticket's queue, "" */
	int64_t		 received;
	const char	*raw;
	size_t		 raw_len;
	/* The recorded filter decisions: the events "filter" (an applied
	 * action) and "discarded" of this message, one "WHAT<TAB>NEW<TAB>
	 * WHY" line each, in order; "" when none. */
	const char	*filter_events;
};
typedef int store_stored_fn(const struct store_stored *, void *arg);
/* Every incoming message received at or after since (UTC seconds),
 * oldest first.  cb returns 0 to go on; anything else stops the walk
 * and is returned.  -1 on a store failure (logged). */
int		 store_messages_each(struct store *, int64_t since,
		    store_stored_fn *cb, void *arg);

/* ---- IMAP fetch: committed UIDs per (account, mailbox, UIDVALIDITY) */

struct store_imap_state {
	int64_t		 upto;		/* every UID <= upto is committed */
	int64_t		*done;		/* and these above it, ascending */
	size_t		 ndone;
};
void		 store_imap_state_clear(struct store_imap_state *);
/* 1 found, 0 none (out is then all zero: nothing committed), -1. */
int		 store_imap_state_get(struct store *, const char *account,
		    const char *mailbox, int64_t uidvalidity,
		    struct store_imap_state *out);
/* Write it inside the batch's own transaction; rows of the same
 * account and mailbox under another UIDVALIDITY go. */
int		 store_imap_state_set(struct store *, const char *account,
		    const char *mailbox, int64_t uidvalidity,
		    const struct store_imap_state *);

/* ---- outbox: every mail we send, written in the transaction of the
 * message that caused it; drained by postdesk send ---- */

struct store_outbox {
	int64_t		 id;
	int64_t		 ticket;
	int64_t		 message;	/* its messages row (direction out) */
	char		*mail_from;	/* envelope sender: bounce address */
	char		*rcpt;		/* one recipient per row */
	char		*message_id;
	char		*raw;		/* the exact bytes to send */
	size_t		 raw_len;
	unsigned	 attempts;
	int64_t		 created;
	int64_t		 next_try;
	char		*last_error;
	int64_t		 age_base;	/* the age counts from here when
					   later than created (0: never) */
	char		*state;		/* store_outbox_list() only, else
					   NULL: queued, sent, failed,
					   cancelled */
};

/* Queue one mail for one recipient (inside the caller's transaction). */
int		 store_outbox_add(struct store *, int64_t ticket,
		    int64_t message, const char *mail_from, const char *rcpt,
		    const char *message_id, const char *raw, size_t len);
/*
 * Claim up to max rows that are due and not leased, for owner, with a
 * lease of lease_s seconds (a short transaction of its own).  A crashed
 * sender's lease expires and its rows become claimable again.
 */
int		 store_outbox_claim(struct store *, const char *owner,
		    int64_t lease_s, size_t max, struct store_outbox **v,
		    size_t *n);
/* After the server's 250: done (only while owner holds the lease). */
int		 store_outbox_sent(struct store *, int64_t id,
		    const char *owner);
/* Transient failure: try again at next_try. */
int		 store_outbox_retry(struct store *, int64_t id,
		    const char *owner, int64_t next_try, const char *error);
/* Permanent failure: the row ends, an event goes on its ticket. */
int		 store_outbox_failed(struct store *, int64_t id,
		    const char *owner, const char *error);
void		 store_outbox_free(struct store_outbox *, size_t);

/* Loop protection: automatic mails counted per key ("addr:x@y",
 * "all") since a time. */
int		 store_rate_count(struct store *, const char *key,
		    int64_t since, int64_t *count);
int		 store_rate_add(struct store *, const char *key);

/* Tags of a ticket: set (on) or remove one; list them (NULL-ended,
 * g_strfreev). */
int		 store_tag_set(struct store *, int64_t ticket, const char *tag,
		    bool on);
int		 store_tags(struct store *, int64_t ticket, char ***tags);

/* The store's clock: time(NULL), or $POSTDESK_NOW (tests). */
int64_t		 store_now(struct store *);

/* The first message stored under message_id (its ticket, sender and
 * when it came): 1 found, 0 none, -1 error. */
struct store_msg_first {
	int64_t		 id;
	int64_t		 ticket;
	int64_t		 received;
	char		*from_addr;	/* free with g_free */
};
int		 store_message_first(struct store *, const char *message_id,
		    struct store_msg_first *);
/*
 * Relays held back (relay-hold): the outbox row of outgoing message
 * "message" records the incoming message that caused it and is not
 * sent before not_before.  0 / -1.
 */
int		 store_outbox_hold(struct store *, int64_t message,
		    int64_t cause, int64_t not_before);
/*
 * Cancel the unsent outbox rows caused by incoming message cause: they
 * end as failed with last_error why.  *cancelled: how many; *sent: how
 * many were sent already or are being sent (leased).  0 / -1.
 */
int		 store_outbox_cancel_caused(struct store *, int64_t cause,
		    const char *why, int64_t *cancelled, int64_t *sent);
/* Add msg.h flag bits to a stored message.  0 / -1. */
int		 store_message_flag(struct store *, int64_t id, unsigned flags);
/* Remove a participant that is not the requester: 1 when one went, 0
 * when there was none, -1. */
int		 store_participant_del(struct store *, int64_t ticket,
		    const char *address);

/* Proposed participants: To/Cc addresses of unproven mail, which get no
 * mail (store_participants() never lists them) until an agent adds
 * them.  _add is 1 when added, 0 when proposed already (or no
 * address), -1; _del is 1, 0 or -1 as above; the
 * list's roles are ROLE_WATCHER, free it with
 * store_participants_free(). */
int		 store_proposed_add(struct store *, int64_t ticket,
		    const char *address, const char *name);
int		 store_proposed_del(struct store *, int64_t ticket,
		    const char *address);
int		 store_proposed(struct store *, int64_t ticket,
		    struct store_participant **v, size_t *n);
/* ---- outbox: dead senders, transport faults, admins ---- */

/* The owners of live leases on queued rows (NULL-ended, g_strfreev);
 * 0 / -1. */
int		 store_outbox_owners(struct store *, char ***owners);
/* Free every queued row owner holds (a dead sender's): how many, -1. */
int		 store_outbox_release(struct store *, const char *owner);
/* The one row id, still owner's, leased for lease_s seconds from now
 * (before it is sent): 1, or 0 when owner lost it; -1. */
int		 store_outbox_lease_one(struct store *, int64_t id,
		    const char *owner, int64_t lease_s);
/* When the first agent's answer held back by relay-hold (a queued row
 * with a cause) is due: 1 with *at, 0 when none is held; -1. */
int		 store_outbox_next_held(struct store *, int64_t *at);
/* owner's leases run lease_s seconds from now again; 0 / -1. */
int		 store_outbox_renew(struct store *, const char *owner,
		    int64_t lease_s);
/* A transport fault: try again at next_try; the mail's age restarts
 * (a fault never counts toward send-max-age).  0, or -1 (also when
 * owner no longer holds the row). */
int		 store_outbox_fault(struct store *, int64_t id,
		    const char *owner, int64_t next_try, const char *error);
/* Every row (state NULL) or those in state (queued, sent, failed,
 * cancelled), by id, without their bytes (raw_len 0), with state set;
 * free with store_outbox_free().  0 / -1. */
int		 store_outbox_list(struct store *, const char *state,
		    struct store_outbox **v, size_t *n);
/* Admin: queue row id (queued, failed or cancelled; 0: every failed
 * row not cancelled) again, due now, attempts and age from zero; an
 * event "send retry" by actor on each ticket.  *count rows; 0 / -1. */
int		 store_outbox_requeue(struct store *, int64_t id,
		    const char *actor, int64_t *count);
/* Admin: a queued row is never sent (state cancelled), an event
 * "send cancelled" by actor.  *count 1 done, 0 not queued; 0 / -1. */
int		 store_outbox_cancel(struct store *, int64_t id,
		    const char *actor, int64_t *count);

#endif

/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"

/* "PDK1" in PRAGMA application_id: a database of someone else's is
 * refused instead of being migrated into a postdesk database. */
#define STORE_APP_ID	1346652977	/* 0x50444b31 */

/* Bytes the WAL keeps after a checkpoint let it start over. */
#define WAL_SIZE_LIMIT	4194304

/*
 * Migrations: migrations[i] takes the schema from version i to i + 1
 * (PRAGMA user_version), each in one transaction of its own.  The list
 * is append-only: databases in the field have already run every
 * released entry, so an entry is never edited, reordered or removed;
 * a schema change is a new entry at the end.
 */
static const char *const migrations[] = {
	/* 1: the initial schema */
	"PRAGMA application_id = " G_STRINGIFY(STORE_APP_ID) ";"
	"CREATE TABLE tickets ("
	"  number INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN"
	"    ('new', 'open', 'pending', 'resolved', 'closed')),"
	"  queue TEXT NOT NULL DEFAULT '',"
	"  priority TEXT NOT NULL DEFAULT 'normal',"
	"  assignee TEXT NOT NULL DEFAULT '',"
	"  requester TEXT NOT NULL DEFAULT '',"
	"  language TEXT NOT NULL DEFAULT '',"
	"  root_id TEXT UNIQUE,"
	"  merged_into INTEGER REFERENCES tickets (number),"
	"  linked_from INTEGER REFERENCES tickets (number),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  resolved_at INTEGER NOT NULL DEFAULT 0,"
	"  first_response INTEGER NOT NULL DEFAULT 0,"
	"  last_customer INTEGER NOT NULL DEFAULT 0,"
	"  last_agent INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX tickets_status ON tickets (status, updated);"
	"CREATE INDEX tickets_queue ON tickets (queue, updated);"
	"CREATE INDEX tickets_updated ON tickets (updated, number);"
	/* ticket NULL: stored without a ticket (quarantine) */
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets (number),"
	"  message_id TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
	"  author TEXT NOT NULL CHECK (author IN"
	"    ('customer', 'agent', 'system')),"
	"  from_name TEXT NOT NULL DEFAULT '',"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  body_text TEXT NOT NULL DEFAULT '',"
	"  date INTEGER,"
	"  received INTEGER NOT NULL,"
	"  flags INTEGER NOT NULL DEFAULT 0,"
	"  threaded_by TEXT NOT NULL DEFAULT '',"
	"  envelope_from TEXT NOT NULL DEFAULT '',"
	"  raw BLOB NOT NULL,"
	/* its index also serves the look-up by Message-ID alone */
	"  UNIQUE (message_id, digest));"
	"CREATE INDEX messages_ticket ON messages (ticket);"
	"CREATE TABLE message_rcpts ("
	"  message INTEGER NOT NULL REFERENCES messages (id),"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  PRIMARY KEY (message, address)) WITHOUT ROWID;"
	"CREATE TABLE participants ("
	"  ticket INTEGER NOT NULL REFERENCES tickets (number),"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  role TEXT NOT NULL CHECK (role IN"
	"    ('requester', 'watcher', 'agent')),"
	"  added INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket, address));"
	"CREATE TABLE blobs ("
	"  sha256 TEXT PRIMARY KEY,"
	"  size INTEGER NOT NULL,"
	"  refs INTEGER NOT NULL,"
	"  data BLOB NOT NULL);"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  message INTEGER NOT NULL REFERENCES messages (id),"
	"  filename TEXT NOT NULL DEFAULT '',"
	"  content_type TEXT NOT NULL DEFAULT '',"
	"  size INTEGER NOT NULL,"
	"  content_id TEXT NOT NULL DEFAULT '',"
	"  inline INTEGER NOT NULL DEFAULT 0,"
	"  sha256 TEXT NOT NULL REFERENCES blobs (sha256));"
	"CREATE INDEX attachments_message ON attachments (message);"
	"CREATE INDEX attachments_sha256 ON attachments (sha256);"
	"CREATE TABLE message_ids ("
	"  message_id TEXT PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets (number),"
	"  message INTEGER REFERENCES messages (id),"
	"  ours INTEGER NOT NULL DEFAULT 0,"
	"  added INTEGER NOT NULL);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets (number),"
	"  message INTEGER REFERENCES messages (id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  what TEXT NOT NULL,"
	"  old TEXT, new TEXT, why TEXT);"
	"CREATE INDEX events_ticket ON events (ticket);"
	"CREATE TABLE attempts ("
	"  digest TEXT PRIMARY KEY,"
	"  count INTEGER NOT NULL,"
	"  first INTEGER NOT NULL,"
	"  last INTEGER NOT NULL) WITHOUT ROWID;"
	/* External content: the text lives once, in messages; triggers
	 * keep the index in step with every change to a message. */
	"CREATE VIRTUAL TABLE messages_fts USING fts5 (subject, body_text,"
	"  content = 'messages', content_rowid = 'id',"
	"  tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts (rowid, subject, body_text)"
	"  VALUES (new.id, new.subject, new.body_text);"
	"END;"
	"CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)"
	"  VALUES ('delete', old.id, old.subject, old.body_text);"
	"END;"
	"CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, body_text"
	"  ON messages BEGIN"
	"  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)"
	"  VALUES ('delete', old.id, old.subject, old.body_text);"
	"  INSERT INTO messages_fts (rowid, subject, body_text)"
	"  VALUES (new.id, new.subject, new.body_text);"
	"END;",
	/* 2: IMAP fetch: committed UIDs per account, mailbox and
	 * UIDVALIDITY (every UID <= upto, plus those in done) */
	"CREATE TABLE imap_state ("
	"  account TEXT NOT NULL,"
	"  mailbox TEXT NOT NULL,"
	"  uidvalidity INTEGER NOT NULL,"
	"  upto INTEGER NOT NULL DEFAULT 0,"
	"  done TEXT NOT NULL DEFAULT '',"
	"  updated INTEGER NOT NULL,"
	"  PRIMARY KEY (account, mailbox, uidvalidity)) WITHOUT ROWID;",
	/* 3: the outbox (one row per mail and recipient; sent and failed
	 * rows stay, for admins and tests) and the rate of automatic
	 * mail.  A row is leased by one sender at a time: lease_until 0
	 * or in the past means free. */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket INTEGER REFERENCES tickets (number),"
	"  message INTEGER REFERENCES messages (id),"
	"  mail_from TEXT NOT NULL,"
	"  rcpt TEXT NOT NULL,"
	"  message_id TEXT NOT NULL,"
	"  raw BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN"
	"    ('queued', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created INTEGER NOT NULL,"
	"  next_try INTEGER NOT NULL,"
	"  lease_owner TEXT,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  done_at INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX outbox_due ON outbox (state, next_try);"
	"CREATE TABLE rate ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX rate_key ON rate (key, at);",
	/* 4: ticket tags (filter rules and agents set them) */
	"CREATE TABLE ticket_tags ("
	"  ticket INTEGER NOT NULL REFERENCES tickets (number),"
	"  tag TEXT NOT NULL COLLATE NOCASE,"
	"  PRIMARY KEY (ticket, tag)) WITHOUT ROWID;",
	/* 5: attempts count only faults of the message itself: tries
	 * numbers every attempt, stage is 'parsing' while one is at work
	 * (a kill leaves it so, with no fault line: not counted) */
	"ALTER TABLE attempts ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE attempts ADD COLUMN stage TEXT NOT NULL DEFAULT '';"
	"UPDATE attempts SET count = 0;",
	/* 6: the incoming message an outbox row answers (agents' relays),
	 * so that a later delivery can cancel what it still holds */
	"ALTER TABLE outbox ADD COLUMN cause INTEGER REFERENCES messages (id);"
	"CREATE INDEX outbox_cause ON outbox (cause) WHERE cause IS NOT NULL;",
	/* 7: proposed participants: To/Cc addresses of mail whose sender
	 * is not proven; they get no mail until an agent adds them */
	"CREATE TABLE proposed_participants ("
	"  ticket INTEGER NOT NULL REFERENCES tickets (number),"
	"  address TEXT NOT NULL COLLATE NOCASE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  added INTEGER NOT NULL,"
	"  PRIMARY KEY (ticket, address)) WITHOUT ROWID;",
	/* 8: the outbox for admins and dead senders: age_base restarts a
	 * mail's age (a transport fault, outbox retry; 0: created),
	 * cancelled marks a failed row an admin stopped; leases are
	 * looked up by owner */
	"ALTER TABLE outbox ADD COLUMN age_base INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0;"
	"CREATE INDEX outbox_lease ON outbox (lease_owner)"
	"  WHERE lease_owner IS NOT NULL;",
};

enum st {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_USER_VERSION, ST_APP_ID,
	ST_JOURNAL_WAL, ST_SYNC_NORMAL, ST_SYNC_FULL,
	ST_ATTEMPT_GET, ST_ATTEMPT_NOTE, ST_ATTEMPT_CLEAR,
	ST_TICKET_INSERT, ST_TICKET_GET, ST_TICKET_LIST, ST_TICKET_SEARCH,
	ST_SET_STATUS, ST_SET_PRIORITY, ST_SET_QUEUE, ST_SET_ASSIGNEE,
	ST_SET_LANGUAGE, ST_SET_SUBJECT, ST_SET_ROOT_ID, ST_SET_MERGED_INTO,
	ST_SET_RESOLVED_AT, ST_SET_LAST_CUSTOMER, ST_SET_LAST_AGENT,
	ST_SET_FIRST_RESPONSE,
	ST_PART_ADD, ST_PART_IS, ST_PART_LIST,
	ST_MSG_INSERT, ST_MSG_FIND, ST_RCPT_ADD, ST_MSG_ROWS,
	ST_BLOB_REF, ST_BLOB_INSERT, ST_ATT_INSERT,
	ST_MSGID_ADD, ST_MSGID_FIND, ST_EVENT_ADD, ST_EVENT_ROWS,
	ST_COUNT_TICKETS, ST_COUNT_MESSAGES, ST_COUNT_MESSAGE_IDS,
	ST_COUNT_PARTICIPANTS, ST_COUNT_EVENTS, ST_COUNT_BLOBS,
	ST_COUNT_ATTACHMENTS, ST_COUNT_ATTEMPTS,
	ST_IMAP_GET, ST_IMAP_SET, ST_IMAP_DROP,
	ST_OUTBOX_ADD, ST_OUTBOX_CLAIM, ST_OUTBOX_SENT, ST_OUTBOX_RETRY,
	ST_OUTBOX_FAILED, ST_RATE_COUNT, ST_RATE_ADD, ST_RATE_PRUNE,
	ST_TAG_ADD, ST_TAG_DEL, ST_TAG_LIST,
	ST_COUNT_OUTBOX, ST_COUNT_OUTBOX_QUEUED,
	ST_MSG_FIRST, ST_OUTBOX_LEASE_ONE, ST_OUTBOX_NEXT_HELD,
	ST_OUTBOX_HOLD, ST_OUTBOX_CAUSE_SENT, ST_OUTBOX_CANCEL_CAUSE, ST_MSG_FLAGS_OR,
	ST_PART_DEL, ST_PROPOSED_ADD, ST_PROPOSED_DEL, ST_PROPOSED_LIST,
	ST_OUTBOX_OWNERS, ST_OUTBOX_RELEASE, ST_OUTBOX_RENEW, ST_OUTBOX_FAULT,
	ST_OUTBOX_LIST, ST_OUTBOX_REQUEUE, ST_OUTBOX_CANCEL,
	ST_COUNT
};

#define TICKET_COLS \
	"t.number, t.subject, t.status, t.queue, t.priority, t.assignee," \
	" t.requester, t.language, t.root_id, t.merged_into," \
	" t.linked_from, t.created, t.updated, t.resolved_at," \
	" t.first_response, t.last_customer, t.last_agent," \
	" (SELECT count(*) FROM messages m WHERE m.ticket = t.number)"
#define TICKET_FILTER \
	" AND (?1 IS NULL OR t.status = ?1) AND (?2 IS NULL OR t.queue = ?2)" \
	" ORDER BY t.updated DESC, t.number DESC"
#define OUTBOX_COLS \
	"id, ticket, message, mail_from, rcpt, message_id, raw, attempts," \
	" created, next_try, last_error, age_base"
#define OUTBOX_STATE \
	"(CASE WHEN cancelled THEN 'cancelled' ELSE state END)"
#define SET_FIELD(col) \
	"UPDATE tickets SET " col " = ?2, updated = ?3 WHERE number = ?1"

/* Every statement the store runs: fixed text, values only bound. */
static const char *const sqls[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_USER_VERSION] = "PRAGMA user_version",
	[ST_APP_ID] = "PRAGMA application_id",
	[ST_JOURNAL_WAL] = "PRAGMA journal_mode = WAL",
	[ST_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
	[ST_SYNC_FULL] = "PRAGMA synchronous = FULL",
	[ST_ATTEMPT_GET] = "SELECT count, tries, stage = 'parsing'"
	    " FROM attempts WHERE digest = ?1",
	[ST_ATTEMPT_NOTE] = "INSERT INTO attempts (digest, count, tries, stage,"
	    " first, last) VALUES (?1, ?2, ?3, 'parsing', ?4, ?4)"
	    " ON CONFLICT (digest) DO UPDATE SET count = excluded.count,"
	    " tries = excluded.tries, stage = 'parsing', last = excluded.last",
	[ST_ATTEMPT_CLEAR] = "DELETE FROM attempts WHERE digest = ?1",
	[ST_TICKET_INSERT] = "INSERT INTO tickets (subject, status, queue,"
	    " priority, assignee, requester, language, root_id, merged_into,"
	    " linked_from, created, updated, resolved_at, first_response,"
	    " last_customer, last_agent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
	    " ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	[ST_TICKET_GET] = "SELECT " TICKET_COLS " FROM tickets t"
	    " WHERE t.number = ?1",
	[ST_TICKET_LIST] = "SELECT " TICKET_COLS " FROM tickets t WHERE 1"
	    TICKET_FILTER,
	[ST_TICKET_SEARCH] = "SELECT " TICKET_COLS " FROM tickets t"
	    " WHERE t.number IN (SELECT m.ticket FROM messages_fts f"
	    " JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?3)"
	    TICKET_FILTER,
	[ST_SET_STATUS] = "UPDATE tickets SET status = ?2, updated = ?3,"
	    " resolved_at = CASE WHEN ?2 = 'resolved' AND status <> 'resolved'"
	    " THEN ?3 ELSE resolved_at END WHERE number = ?1",
	[ST_SET_PRIORITY] = SET_FIELD("priority"),
	[ST_SET_QUEUE] = SET_FIELD("queue"),
	[ST_SET_ASSIGNEE] = SET_FIELD("assignee"),
	[ST_SET_LANGUAGE] = SET_FIELD("language"),
	[ST_SET_SUBJECT] = SET_FIELD("subject"),
	[ST_SET_ROOT_ID] = SET_FIELD("root_id"),
	[ST_SET_MERGED_INTO] = SET_FIELD("merged_into"),
	[ST_SET_RESOLVED_AT] = SET_FIELD("resolved_at"),
	[ST_SET_LAST_CUSTOMER] = SET_FIELD("last_customer"),
	[ST_SET_LAST_AGENT] = SET_FIELD("last_agent"),
	[ST_SET_FIRST_RESPONSE] = SET_FIELD("first_response"),
	[ST_PART_ADD] = "INSERT INTO participants (ticket, address, name,"
	    " role, added) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (ticket, address) DO NOTHING",
	[ST_PART_IS] = "SELECT 1 FROM participants"
	    " WHERE ticket = ?1 AND address = ?2",
	[ST_PART_LIST] = "SELECT address, name, role FROM participants"
	    " WHERE ticket = ?1 ORDER BY rowid",
	[ST_MSG_INSERT] = "INSERT INTO messages (ticket, message_id, digest,"
	    " direction, author, from_name, from_addr, subject, body_text,"
	    " date, received, flags, threaded_by, envelope_from, raw)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15)",
	[ST_MSG_FIRST] = "SELECT id, ticket, received, from_addr FROM messages"
	    " WHERE message_id = ?1 AND direction = 'in' ORDER BY id LIMIT 1",
	[ST_MSG_FIND] = "SELECT id, ticket, digest = ?2 FROM messages"
	    " WHERE message_id = ?1 ORDER BY digest = ?2 DESC, id LIMIT 1",
	[ST_RCPT_ADD] = "INSERT INTO message_rcpts (message, address)"
	    " VALUES (?1, ?2) ON CONFLICT DO NOTHING",
	[ST_MSG_ROWS] = "SELECT id, message_id, direction, author, from_name,"
	    " from_addr, subject, body_text, flags, threaded_by, received"
	    " FROM messages WHERE ticket = ?1 ORDER BY id",
	[ST_BLOB_REF] = "UPDATE blobs SET refs = refs + 1 WHERE sha256 = ?1",
	[ST_BLOB_INSERT] = "INSERT INTO blobs (sha256, size, refs, data)"
	    " VALUES (?1, ?2, 1, ?3)",
	[ST_ATT_INSERT] = "INSERT INTO attachments (message, filename,"
	    " content_type, size, content_id, inline, sha256)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	/* An id seen again keeps its first ticket; one stored without a
	 * ticket gets it when it is known later. */
	[ST_MSGID_ADD] = "INSERT INTO message_ids (message_id, ticket,"
	    " message, ours, added) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (message_id) DO UPDATE"
	    " SET ticket = coalesce(ticket, excluded.ticket),"
	    " message = coalesce(message, excluded.message)",
	[ST_MSGID_FIND] = "SELECT ticket, ours FROM message_ids"
	    " WHERE message_id = ?1",
	[ST_EVENT_ADD] = "INSERT INTO events (ticket, message, at, actor,"
	    " what, old, new, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_EVENT_ROWS] = "SELECT at, message, actor, what, old, new, why"
	    " FROM events WHERE ticket = ?1 ORDER BY id",
	[ST_COUNT_TICKETS] = "SELECT count(*) FROM tickets",
	[ST_COUNT_MESSAGES] = "SELECT count(*) FROM messages",
	[ST_COUNT_MESSAGE_IDS] = "SELECT count(*) FROM message_ids",
	[ST_COUNT_PARTICIPANTS] = "SELECT count(*) FROM participants",
	[ST_COUNT_EVENTS] = "SELECT count(*) FROM events",
	[ST_COUNT_BLOBS] = "SELECT count(*) FROM blobs",
	[ST_COUNT_ATTACHMENTS] = "SELECT count(*) FROM attachments",
	[ST_COUNT_ATTEMPTS] = "SELECT count(*) FROM attempts",
	[ST_OUTBOX_ADD] = "INSERT INTO outbox (ticket, message, mail_from,"
	    " rcpt, message_id, raw, created, next_try)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
	/* Due, queued and free (never leased, or the lease ran out). */
	[ST_OUTBOX_CLAIM] = "UPDATE outbox SET lease_owner = ?1,"
	    " lease_until = ?2 + ?3 WHERE id IN (SELECT id FROM outbox"
	    " WHERE state = 'queued' AND next_try <= ?2 AND lease_until <= ?2"
	    " ORDER BY next_try, id LIMIT ?4) RETURNING " OUTBOX_COLS,
	[ST_OUTBOX_SENT] = "UPDATE outbox SET state = 'sent', done_at = ?3,"
	    " attempts = attempts + 1, lease_owner = NULL, lease_until = 0"
	    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'queued'",
	[ST_OUTBOX_RETRY] = "UPDATE outbox SET attempts = attempts + 1,"
	    " next_try = ?3, last_error = ?4, lease_owner = NULL,"
	    " lease_until = 0"
	    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'queued'",
	[ST_OUTBOX_FAILED] = "UPDATE outbox SET state = 'failed',"
	    " attempts = attempts + 1, done_at = ?3, last_error = ?4,"
	    " lease_owner = NULL, lease_until = 0"
	    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'queued'"
	    " RETURNING ticket, message, rcpt",
	[ST_RATE_COUNT] = "SELECT count(*) FROM rate"
	    " WHERE key = ?1 AND at >= ?2",
	[ST_RATE_ADD] = "INSERT INTO rate (key, at) VALUES (?1, ?2)",
	[ST_TAG_ADD] = "INSERT OR IGNORE INTO ticket_tags (ticket, tag) "
	    "VALUES (?1, ?2)",
	[ST_TAG_DEL] = "DELETE FROM ticket_tags WHERE ticket = ?1 AND tag = ?2",
	[ST_TAG_LIST] = "SELECT tag FROM ticket_tags WHERE ticket = ?1 "
	    "ORDER BY tag",
	/* Counts look back a day at most; a week keeps room for that. */
	/* Rows come in time order: the oldest ids are the oldest rows.  A
	 * few of them go with every new one, whatever their key, so that
	 * keys used once (a loop, a ticket's notice) don't stay for good. */
	[ST_RATE_PRUNE] = "DELETE FROM rate WHERE id IN (SELECT id FROM rate"
	    " ORDER BY id LIMIT 8) AND at < ?1",
	[ST_COUNT_OUTBOX] = "SELECT count(*) FROM outbox",
	[ST_COUNT_OUTBOX_QUEUED] = "SELECT count(*) FROM outbox"
	    " WHERE state = 'queued'",
	[ST_IMAP_GET] = "SELECT upto, done FROM imap_state"
	    " WHERE account = ?1 AND mailbox = ?2 AND uidvalidity = ?3",
	[ST_IMAP_SET] = "INSERT INTO imap_state (account, mailbox,"
	    " uidvalidity, upto, done, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT DO UPDATE SET upto = excluded.upto,"
	    " done = excluded.done, updated = excluded.updated",
	/* A new UIDVALIDITY makes the old numbers meaningless. */
	[ST_IMAP_DROP] = "DELETE FROM imap_state"
	    " WHERE account = ?1 AND mailbox = ?2 AND uidvalidity <> ?3",
	[ST_OUTBOX_HOLD] = "UPDATE outbox SET cause = ?2,"
	    " next_try = max(next_try, ?3) WHERE message = ?1",
	/* Sent, or leased by a sender that may be sending it right now. */
	[ST_OUTBOX_CAUSE_SENT] = "SELECT count(*) FROM outbox WHERE cause = ?1"
	    " AND (state = 'sent' OR (state = 'queued' AND lease_until > ?2))",
	/* cancelled 2: a note's relay, never to be sent again, failed
	 * already or not (outbox retry skips it) */
	[ST_OUTBOX_CANCEL_CAUSE] = "UPDATE outbox SET state = 'failed',"
	    " cancelled = 2, done_at = ?2, last_error = ?3, lease_owner = NULL,"
	    " lease_until = 0 WHERE cause = ?1 AND state IN ('queued', 'failed')",
	[ST_MSG_FLAGS_OR] = "UPDATE messages SET flags = flags | ?2"
	    " WHERE id = ?1",
	[ST_PART_DEL] = "DELETE FROM participants WHERE ticket = ?1"
	    " AND address = ?2 AND role <> 'requester' RETURNING 1",
	[ST_PROPOSED_ADD] = "INSERT INTO proposed_participants (ticket,"
	    " address, name, added) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (ticket, address) DO NOTHING RETURNING 1",
	[ST_PROPOSED_DEL] = "DELETE FROM proposed_participants"
	    " WHERE ticket = ?1 AND address = ?2 RETURNING 1",
	[ST_PROPOSED_LIST] = "SELECT address, name, 'watcher'"
	    " FROM proposed_participants WHERE ticket = ?1 ORDER BY added,"
	    " address",
	[ST_OUTBOX_OWNERS] = "SELECT DISTINCT lease_owner FROM outbox"
	    " WHERE state = 'queued' AND lease_until > ?1"
	    " AND lease_owner IS NOT NULL ORDER BY lease_owner",
	[ST_OUTBOX_RELEASE] = "UPDATE outbox SET lease_owner = NULL,"
	    " lease_until = 0 WHERE lease_owner = ?1 AND state = 'queued'",
	[ST_OUTBOX_NEXT_HELD] = "SELECT min(next_try) FROM outbox"
	    " WHERE state = 'queued' AND cause IS NOT NULL AND cancelled = 0"
	    " HAVING count(*) > 0",
	[ST_OUTBOX_LEASE_ONE] = "UPDATE outbox SET lease_until = ?3 + ?4"
	    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'queued'"
	    " RETURNING 1",
	[ST_OUTBOX_RENEW] = "UPDATE outbox SET lease_until = ?2 + ?3"
	    " WHERE lease_owner = ?1 AND state = 'queued' AND lease_until > 0",
	[ST_OUTBOX_FAULT] = "UPDATE outbox SET attempts = attempts + 1,"
	    " next_try = ?3, last_error = ?4, age_base = ?5,"
	    " lease_owner = NULL, lease_until = 0"
	    " WHERE id = ?1 AND lease_owner = ?2 AND state = 'queued'",
	[ST_OUTBOX_LIST] = "SELECT id, ticket, message, mail_from, rcpt,"
	    " message_id, zeroblob(0), attempts, created, next_try, last_error,"
	    " age_base, " OUTBOX_STATE " FROM outbox"
	    " WHERE ?1 IS NULL OR " OUTBOX_STATE " = ?1 ORDER BY id",
	/* id 0: every failed row an admin did not cancel */
	/* A relay still held keeps its hold (relay-hold). */
	[ST_OUTBOX_REQUEUE] = "UPDATE outbox SET state = 'queued',"
	    " cancelled = 0, attempts = 0, next_try = CASE WHEN state ="
	    " 'queued' AND cause IS NOT NULL THEN max(next_try, ?2) ELSE ?2 END,"
	    " age_base = ?2, done_at = 0"
	    " WHERE (?1 = 0 AND state = 'failed' AND cancelled = 0)"
	    " OR (?1 > 0 AND id = ?1 AND state IN ('queued', 'failed')"
	    " AND cancelled < 2) RETURNING id, ticket, message, rcpt",
	/* Not while a sender holds it: it may be on its way right now. */
	[ST_OUTBOX_CANCEL] = "UPDATE outbox SET state = 'failed',"
	    " cancelled = 1, done_at = ?2, last_error = 'cancelled by ' || ?3,"
	    " lease_owner = NULL, lease_until = 0"
	    " WHERE id = ?1 AND state = 'queued' AND lease_until <= ?2"
	    " RETURNING id, ticket, message, rcpt",
};

enum set_kind {
	SET_TEXT,
	SET_UNIQUE,		/* text, "" = none (NULL): UNIQUE column */
	SET_TIME,		/* an integer */
	SET_REF,		/* a ticket number, 0 = none (NULL) */
};

static const struct set_field {
	const char	*name;
	enum st		 st;
	enum set_kind	 kind;
} set_fields[] = {
	{ "status",		ST_SET_STATUS,		SET_TEXT },
	{ "priority",		ST_SET_PRIORITY,	SET_TEXT },
	{ "queue",		ST_SET_QUEUE,		SET_TEXT },
	{ "assignee",		ST_SET_ASSIGNEE,	SET_TEXT },
	{ "language",		ST_SET_LANGUAGE,	SET_TEXT },
	{ "subject",		ST_SET_SUBJECT,		SET_TEXT },
	{ "root_id",		ST_SET_ROOT_ID,		SET_UNIQUE },
	{ "merged_into",	ST_SET_MERGED_INTO,	SET_REF },
	{ "resolved_at",	ST_SET_RESOLVED_AT,	SET_TIME },
	{ "last_customer",	ST_SET_LAST_CUSTOMER,	SET_TIME },
	{ "last_agent",		ST_SET_LAST_AGENT,	SET_TIME },
	{ "first_response",	ST_SET_FIRST_RESPONSE,	SET_TIME },
};

static const struct {
	const char	*table;
	enum st		 st;
} count_tables[] = {
	{ "tickets",		ST_COUNT_TICKETS },
	{ "messages",		ST_COUNT_MESSAGES },
	{ "message_ids",	ST_COUNT_MESSAGE_IDS },
	{ "participants",	ST_COUNT_PARTICIPANTS },
	{ "events",		ST_COUNT_EVENTS },
	{ "blobs",		ST_COUNT_BLOBS },
	{ "attachments",	ST_COUNT_ATTACHMENTS },
	{ "attempts",		ST_COUNT_ATTEMPTS },
	{ "outbox",		ST_COUNT_OUTBOX },
	{ "outbox-queued",	ST_COUNT_OUTBOX_QUEUED },
};

static const char *const status_names[] = {
	[TICKET_NEW] = "new", [TICKET_OPEN] = "open",
	[TICKET_PENDING] = "pending", [TICKET_RESOLVED] = "resolved",
	[TICKET_CLOSED] = "closed",
};
static const char *const role_names[] = {
	[ROLE_REQUESTER] = "requester", [ROLE_WATCHER] = "watcher",
	[ROLE_AGENT] = "agent",
};
static const char *const author_names[] = {
	[AUTHOR_CUSTOMER] = "customer", [AUTHOR_AGENT] = "agent",
	[AUTHOR_SYSTEM] = "system",
};
static const char *const direction_names[] = {
	[DIR_IN] = "in", [DIR_OUT] = "out",
};

struct store {
	sqlite3		*db;
	char		*path;
	int64_t		 now;		/* POSTDESK_NOW; 0 = the clock */
	int		 last_rc;	/* of the last failure */
	bool		 created;	/* opened with STORE_CREATE */
	sqlite3_stmt	*st[ST_COUNT];	/* prepared on first use */
};

/* How collect() reads rows into an array of elements. */
struct rows {
	size_t		  size;
	void		(*read)(sqlite3_stmt *, void *);
	void		(*clear)(void *);
};

static int
vfail(struct store *s, int rc, const char *fmt, va_list ap)
{
	char *what = g_strdup_vprintf(fmt, ap);

	s->last_rc = rc;
	log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
	g_free(what);
	return -1;
}

static int __attribute__((format(printf, 3, 4)))
fail(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(s, rc, fmt, ap);
	va_end(ap);
	return -1;
}

/* A failure of ours, not SQLite's: logged, and not transient. */
static int __attribute__((format(printf, 2, 3)))
refuse(struct store *s, const char *fmt, ...)
{
	va_list ap;
	char *what;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	s->last_rc = SQLITE_ERROR;
	log_warnx("store: %s", what);
	g_free(what);
	return -1;
}

/* The statement, prepared once and kept; NULL (logged) on failure. */
static sqlite3_stmt *
stmt(struct store *s, enum st id)
{
	int rc;

	if (s->st[id] != NULL)
		return s->st[id];
	rc = sqlite3_prepare_v3(s->db, sqls[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->st[id], NULL);
	if (rc != SQLITE_OK) {
		fail(s, rc, "%s: prepare \"%.40s\"", s->path, sqls[id]);
		s->st[id] = NULL;
	}
	return s->st[id];
}

/* Ready a statement for its next use; bound strings are let go. */
static void
done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Step st once (DONE or a first row both succeed) and reset it. */
static int __attribute__((format(printf, 3, 4)))
run(struct store *s, sqlite3_stmt *st, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		va_start(ap, fmt);
		vfail(s, rc, fmt, ap);
		va_end(ap);
		done(st);
		return -1;
	}
	done(st);
	return 0;
}

/* One-row, one-integer query: 1 with *v, 0 without a row, -1. */
static int
query_int(struct store *s, sqlite3_stmt *st, int64_t *v, const char *what)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		fail(s, rc, "%s", what);
	done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v != NULL ? v : "", -1, SQLITE_STATIC);
}

/* NULL stays NULL. */
static void
bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* A row id or number where 0 (or less) means none. */
static void
bind_ref(sqlite3_stmt *st, int i, int64_t v)
{
	if (v <= 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static char *
col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return g_strdup(t != NULL ? (const char *)t : "");
}

static char *
col_opt(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return col_str(st, i);
}

static int
name_index(const char *const *names, size_t n, const unsigned char *s)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], (const char *)s) == 0)
			return (int)i;
	return 0;
}

static int64_t
now(const struct store *s)
{
	return s->now > 0 ? s->now : (int64_t)time(NULL);
}

/*
 * Read every row of st into a new array (*v, *n).  On failure nothing
 * is handed out.  st is reset either way.
 */
static int __attribute__((format(printf, 6, 7)))
collect(struct store *s, sqlite3_stmt *st, const struct rows *r, void **v,
    size_t *n, const char *fmt, ...)
{
	GArray *a = g_array_new(FALSE, TRUE, r->size);
	va_list ap;
	int rc;

	*v = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		g_array_set_size(a, a->len + 1);
		r->read(st, a->data + (a->len - 1) * r->size);
	}
	if (rc != SQLITE_DONE) {
		va_start(ap, fmt);
		vfail(s, rc, fmt, ap);
		va_end(ap);
		done(st);
		for (guint i = 0; i < a->len; i++)
			r->clear(a->data + i * r->size);
		g_array_free(a, TRUE);
		return -1;
	}
	done(st);
	*n = a->len;
	*v = g_array_free(a, a->len == 0);
	return 0;
}

/* ---- opening ---- */

/*
 * The database belongs to the delivery user.  Root running an admin
 * command on it would leave root-owned -wal/-shm files behind, and
 * every later delivery would fail on them.  So root becomes the owner
 * of an existing database (its uid, and the file's group as the only
 * group) for good before opening it: an admin process needs nothing of
 * root afterwards.  A database that root creates (postdesk init) stays
 * root's: the admin then chowns it, with its directory, to the delivery
 * user.
 */
static int
become_owner(const char *path)
{
	struct stat sb;

	if (geteuid() != 0)
		return 0;
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("store: %s", path);
		return -1;
	}
	if (sb.st_uid == 0)
		return 0;
	if (setgroups(1, &sb.st_gid) == -1 || setgid(sb.st_gid) == -1 ||
	    setuid(sb.st_uid) == -1) {
		log_warn("store: %s: cannot switch to its owner (uid %lu), "
		    "refusing to leave root-owned files; run the command as "
		    "that user", path, (unsigned long)sb.st_uid);
		return -1;
	}
	log_debug("store: %s: running as its owner, uid %lu gid %lu", path,
	    (unsigned long)sb.st_uid, (unsigned long)sb.st_gid);
	return 0;
}

static void
read_now(struct store *s)
{
	const char *e = getenv("POSTDESK_NOW");
	char *end;
	long long v;

	if (e == NULL || *e == '\0')
		return;
	errno = 0;
	v = strtoll(e, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0) {
		log_warnx("store: POSTDESK_NOW=\"%s\": not a positive "
		    "integer, ignored", e);
		return;
	}
	s->now = v;
}

static int
set_pragmas(struct store *s, int64_t busy_ms)
{
	sqlite3_stmt *st;
	int rc;

	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, busy_ms > INT32_MAX ? INT32_MAX :
	    busy_ms < 0 ? 0 : (int)busy_ms);
	/*
	 * Every pipe delivery is a new process.  Without these, the last
	 * connection to close checkpoints and deletes the WAL, and the next
	 * one creates it again: two extra fsyncs and a file per mail.  The
	 * WAL stays; SQLite's auto-checkpoint (1000 pages) lets it start
	 * over, and journal_size_limit then truncates it, so that one
	 * large mail (or a full disk that was freed again) does not keep
	 * its size for good.
	 */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL,
	    &(int){ 1 });
	/* Reads through mmap: a new process per mail would otherwise copy
	 * every page it touches out of the page cache. */
	rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON; "
	    "PRAGMA mmap_size = 268435456; "
	    "PRAGMA journal_size_limit = " G_STRINGIFY(WAL_SIZE_LIMIT),
	    NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, "%s: foreign keys", s->path);
	if (run(s, stmt(s, ST_SYNC_FULL), "%s: synchronous", s->path) == -1)
		return -1;
	if ((st = stmt(s, ST_JOURNAL_WAL)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		fail(s, rc, "%s: journal mode", s->path);
		done(st);
		return -1;
	}
	if (sqlite3_stricmp((const char *)sqlite3_column_text(st, 0),
	    "wal") != 0) {
		log_warnx("store: %s: journal mode: WAL refused (\"%s\"); "
		    "is it on a network file system?", s->path,
		    sqlite3_column_text(st, 0));
		done(st);
		return -1;
	}
	done(st);
	return 0;
}

static int
user_version(struct store *s, int64_t *v)
{
	*v = 0;
	return query_int(s, stmt(s, ST_USER_VERSION), v, "user version") ==
	    -1 ? -1 : 0;
}

/* Refuse a database that is not (or not yet) ours, or is too new. */
static int
check_schema(struct store *s, int64_t version)
{
	int64_t app = 0;

	if (query_int(s, stmt(s, ST_APP_ID), &app, "application id") == -1)
		return -1;
	if ((app != 0 && app != STORE_APP_ID) || (app == 0 && version > 0)) {
		log_warnx("store: %s: not a postdesk database", s->path);
		return -1;
	}
	if (version > (int64_t)G_N_ELEMENTS(migrations)) {
		log_warnx("store: %s: schema version %lld is newer than this "
		    "postdesk's (%zu)", s->path, (long long)version,
		    G_N_ELEMENTS(migrations));
		return -1;
	}
	return 0;
}

static int
apply_migration(struct store *s, int64_t v)
{
	char sql[64];
	int rc, len;

	if ((rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL)) !=
	    SQLITE_OK)
		return fail(s, rc, "%s: migration %lld", s->path,
		    (long long)v + 1);
	/* A pragma takes no parameter; v + 1 is our own counter. */
	len = snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
	    (long long)v + 1);
	if (len < 0 || (size_t)len >= sizeof(sql))
		return -1;
	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return fail(s, rc, "%s: migration %lld: version", s->path,
		    (long long)v + 1);
	log_debug("store: %s: migrated to schema version %lld", s->path,
	    (long long)v + 1);
	return 0;
}

static int
migrate(struct store *s)
{
	const int64_t last = (int64_t)G_N_ELEMENTS(migrations);
	int64_t v;

	if (user_version(s, &v) == -1 || check_schema(s, v) == -1)
		return -1;
	while (v < last) {
		if (store_begin(s) == -1)
			return -1;
		/* Another process may have migrated while we waited. */
		if (user_version(s, &v) == -1)
			goto fail;
		if (v < last && apply_migration(s, v) == -1)
			goto fail;
		if (store_commit(s) == -1)
			goto fail;
		if (user_version(s, &v) == -1)
			return -1;
	}
	return 0;
fail:
	store_rollback(s);
	return -1;
}

static int
open_db(struct store *s, enum store_open_mode mode)
{
	int flags = SQLITE_OPEN_READWRITE;
	int rc;

	if (mode == STORE_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	else if (access(s->path, F_OK) == -1 && errno == ENOENT) {
		log_warnx("store: %s: no such database (run postdesk init)",
		    s->path);
		return -1;
	}
	rc = sqlite3_open_v2(s->path, &s->db, flags, NULL);
	if (rc != SQLITE_OK) {
		s->last_rc = rc;
		log_warnx("store: %s: open: %s", s->path, s->db != NULL ?
		    sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

struct store *
store_open(const char *path, enum store_open_mode mode, int64_t busy_ms)
{
	struct store *s;

	if (become_owner(path) == -1)
		return NULL;
	s = g_new0(struct store, 1);
	s->path = g_strdup(path);
	s->created = mode == STORE_CREATE;
	read_now(s);
	if (open_db(s, mode) == -1 || set_pragmas(s, busy_ms) == -1 ||
	    migrate(s) == -1) {
		store_close(s);
		return NULL;
	}
	return s;
}

void
store_close(struct store *s)
{
	int rc;

	if (s == NULL)
		return;
	for (size_t i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	/*
	 * The process that created the database (postdesk init, maybe as
	 * root) leaves no -wal/-shm files behind: they would belong to it,
	 * and the delivery user could not open the database.
	 */
	if (s->db != NULL && s->created) {
		sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &(int){ 0 });
		sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0,
		    NULL);
	}
	if (s->db != NULL && (rc = sqlite3_close(s->db)) != SQLITE_OK)
		log_warnx("store: %s: close: %s", s->path, sqlite3_errstr(rc));
	g_free(s->path);
	g_free(s);
}

const char *
store_lib_version(void)
{
	static char buf[64];

	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "SQLite %s", sqlite3_libversion());
	return buf;
}

bool
store_is_busy(const struct store *s)
{
	int rc = s->last_rc & 0xff;

	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

int
store_schema_version(struct store *s)
{
	int64_t v;

	return user_version(s, &v) == -1 ? -1 : (int)v;
}

/* ---- transactions ---- */

int
store_begin(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		return refuse(s, "%s: begin: a transaction is already open",
		    s->path);
	}
	return run(s, stmt(s, ST_BEGIN), "%s: begin", s->path);
}

int
store_commit(struct store *s)
{
	return run(s, stmt(s, ST_COMMIT), "%s: commit", s->path);
}

void
store_rollback(struct store *s)
{
	if (sqlite3_get_autocommit(s->db))
		return;
	run(s, stmt(s, ST_ROLLBACK), "%s: rollback", s->path);
}

/* ---- ingest attempts ---- */

/* The previous attempt (0 when none) and whether it was still at work. */
static int
attempt_get(struct store *s, const char *digest, unsigned *count,
    unsigned *tries, bool *working)
{
	sqlite3_stmt *st;
	int rc;

	*count = *tries = 0;
	*working = false;
	if ((st = stmt(s, ST_ATTEMPT_GET)) == NULL)
		return -1;
	bind_str(st, 1, digest);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = (unsigned)sqlite3_column_int64(st, 0);
		*tries = (unsigned)sqlite3_column_int64(st, 1);
		*working = sqlite3_column_int(st, 2) != 0;
	} else if (rc != SQLITE_DONE) {
		fail(s, rc, "attempt %s: read", digest);
		done(st);
		return -1;
	}
	done(st);
	return 0;
}

static int
attempt_count(struct store *s, const char *digest,
    const struct store_attempt *a)
{
	sqlite3_stmt *st;
	unsigned count, tries;
	bool working;

	if (attempt_get(s, digest, &count, &tries, &working) == -1)
		return -1;
	if (working && a->faulted != NULL && a->faulted(a->arg, digest,
	    tries))
		count++;
	if ((st = stmt(s, ST_ATTEMPT_NOTE)) == NULL)
		return -1;
	bind_str(st, 1, digest);
	sqlite3_bind_int64(st, 2, count);
	sqlite3_bind_int64(st, 3, (int64_t)tries + 1);
	sqlite3_bind_int64(st, 4, now(s));
	if (run(s, st, "attempt %s: note", digest) == -1)
		return -1;
	*a->counted = count;
	*a->attempt = tries + 1;
	return 0;
}

/*
 * The attempt is written with synchronous=NORMAL: in WAL mode that
 * commit is not fsynced, so a power cut may lose it, which only costs
 * one more attempt.  The message's own commit, with synchronous=FULL
 * again, fsyncs the WAL and everything before it: the acknowledgement
 * to the MTA stays durable.
 */
int
store_attempt_start(struct store *s, const char *digest,
    const struct store_attempt *a)
{
	int ret = -1;

	*a->counted = *a->attempt = 0;
	if (!sqlite3_get_autocommit(s->db)) {
		return refuse(s, "attempt %s: note: called inside a "
		    "transaction", digest);
	}
	if (run(s, stmt(s, ST_SYNC_NORMAL), "attempt %s: synchronous",
	    digest) == -1)
		return -1;
	if (store_begin(s) == 0 && attempt_count(s, digest, a) == 0 &&
	    store_commit(s) == 0)
		ret = 0;
	else
		store_rollback(s);
	if (run(s, stmt(s, ST_SYNC_FULL), "attempt %s: synchronous",
	    digest) == -1)
		ret = -1;
	return ret;
}

int
store_attempt_clear(struct store *s, const char *digest)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_ATTEMPT_CLEAR)) == NULL)
		return -1;
	bind_str(st, 1, digest);
	return run(s, st, "attempt %s: clear", digest);
}

/* ---- tickets ---- */

const char *
store_status_name(enum store_ticket_status st)
{
	if ((size_t)st >= G_N_ELEMENTS(status_names))
		return "new";
	return status_names[st];
}

int
store_status_parse(const char *name)
{
	for (size_t i = 0; name != NULL && i < G_N_ELEMENTS(status_names);
	    i++)
		if (strcmp(status_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *
store_role_name(enum store_role r)
{
	if ((size_t)r >= G_N_ELEMENTS(role_names))
		return "watcher";
	return role_names[r];
}

const char *
store_author_name(enum store_author a)
{
	if ((size_t)a >= G_N_ELEMENTS(author_names))
		return "system";
	return author_names[a];
}

void
store_ticket_clear(struct store_ticket *t)
{
	if (t == NULL)
		return;
	g_free(t->subject);
	g_free(t->queue);
	g_free(t->priority);
	g_free(t->assignee);
	g_free(t->requester);
	g_free(t->language);
	g_free(t->root_id);
	memset(t, 0, sizeof(*t));
}

static void
read_ticket(sqlite3_stmt *st, void *p)
{
	struct store_ticket *t = p;
	int status;

	memset(t, 0, sizeof(*t));
	t->number = sqlite3_column_int64(st, 0);
	t->subject = col_str(st, 1);
	status = store_status_parse((const char *)sqlite3_column_text(st, 2));
	t->status = status < 0 ? TICKET_NEW : (enum store_ticket_status)status;
	t->queue = col_str(st, 3);
	t->priority = col_str(st, 4);
	t->assignee = col_str(st, 5);
	t->requester = col_str(st, 6);
	t->language = col_str(st, 7);
	t->root_id = col_str(st, 8);
	t->merged_into = sqlite3_column_int64(st, 9);
	t->linked_from = sqlite3_column_int64(st, 10);
	t->created = sqlite3_column_int64(st, 11);
	t->updated = sqlite3_column_int64(st, 12);
	t->resolved_at = sqlite3_column_int64(st, 13);
	t->first_response = sqlite3_column_int64(st, 14);
	t->last_customer = sqlite3_column_int64(st, 15);
	t->last_agent = sqlite3_column_int64(st, 16);
	t->message_count = sqlite3_column_int64(st, 17);
}

static void
clear_ticket(void *p)
{
	store_ticket_clear(p);
}

int
store_ticket_create(struct store *s, struct store_ticket *t)
{
	sqlite3_stmt *st;
	int64_t at = now(s);

	if ((st = stmt(s, ST_TICKET_INSERT)) == NULL)
		return -1;
	bind_str(st, 1, t->subject);
	bind_str(st, 2, store_status_name(t->status));
	bind_str(st, 3, t->queue);
	bind_str(st, 4, t->priority != NULL && *t->priority != '\0' ?
	    t->priority : "normal");
	bind_str(st, 5, t->assignee);
	bind_str(st, 6, t->requester);
	bind_str(st, 7, t->language);
	bind_opt(st, 8, t->root_id != NULL && *t->root_id != '\0' ?
	    t->root_id : NULL);
	bind_ref(st, 9, t->merged_into);
	bind_ref(st, 10, t->linked_from);
	sqlite3_bind_int64(st, 11, t->created > 0 ? t->created : at);
	sqlite3_bind_int64(st, 12, t->updated > 0 ? t->updated : at);
	sqlite3_bind_int64(st, 13, t->resolved_at);
	sqlite3_bind_int64(st, 14, t->first_response);
	sqlite3_bind_int64(st, 15, t->last_customer);
	sqlite3_bind_int64(st, 16, t->last_agent);
	if (run(s, st, "ticket \"%s\": create", t->subject != NULL ?
	    t->subject : "") == -1)
		return -1;
	t->number = sqlite3_last_insert_rowid(s->db);
	if (t->created <= 0)
		t->created = at;
	if (t->updated <= 0)
		t->updated = at;
	return 0;
}

int
store_ticket_get(struct store *s, int64_t number, struct store_ticket *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((st = stmt(s, ST_TICKET_GET)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_ticket(st, out);
	else if (rc != SQLITE_DONE)
		fail(s, rc, "ticket %lld: get", (long long)number);
	done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
parse_int(const char *v, int64_t *out)
{
	char *end;
	long long n;

	if (v == NULL || *v == '\0') {
		*out = 0;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

static const struct set_field *
set_field_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < G_N_ELEMENTS(set_fields); i++)
		if (strcmp(set_fields[i].name, name) == 0)
			return &set_fields[i];
	return NULL;
}

int
store_ticket_set(struct store *s, int64_t number, const char *field,
    const char *value)
{
	const struct set_field *f = set_field_find(field);
	sqlite3_stmt *st;
	int64_t v = 0;

	if (f == NULL || ((f->kind == SET_TIME || f->kind == SET_REF) &&
	    parse_int(value, &v) == -1)) {
		return refuse(s, "ticket %lld: set %s: %s", (long long)number,
		    field != NULL ? field : "(null)", f == NULL ?
		    "no such field" : "not a number");
	}
	if ((st = stmt(s, f->st)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, number);
	if (f->kind == SET_TEXT)
		bind_str(st, 2, value);
	else if (f->kind == SET_UNIQUE)
		bind_opt(st, 2, value != NULL && *value != '\0' ? value : NULL);
	else if (f->kind == SET_REF)
		bind_ref(st, 2, v);
	else
		sqlite3_bind_int64(st, 2, v);
	sqlite3_bind_int64(st, 3, now(s));
	if (run(s, st, "ticket %lld: set %s", (long long)number, field) == -1)
		return -1;
	if (sqlite3_changes(s->db) == 0) {
		return refuse(s, "ticket %lld: set %s: no such ticket",
		    (long long)number, field);
	}
	return 0;
}

int
store_ticket_list(struct store *s, const struct store_filter *f,
    struct store_ticket **v, size_t *n)
{
	static const struct rows rows = {
		sizeof(struct store_ticket), read_ticket, clear_ticket,
	};
	bool search = f != NULL && f->query != NULL && *f->query != '\0';
	sqlite3_stmt *st;
	void *p;
	int ret;

	*v = NULL;
	*n = 0;
	if ((st = stmt(s, search ? ST_TICKET_SEARCH : ST_TICKET_LIST)) ==
	    NULL)
		return -1;
	bind_opt(st, 1, f != NULL ? f->status : NULL);
	bind_opt(st, 2, f != NULL ? f->queue : NULL);
	if (search)
		bind_str(st, 3, f->query);
	if (search)
		ret = collect(s, st, &rows, &p, n, "search \"%s\"", f->query);
	else
		ret = collect(s, st, &rows, &p, n, "list tickets");
	*v = p;
	return ret;
}

void
store_tickets_free(struct store_ticket *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		store_ticket_clear(&v[i]);
	g_free(v);
}

/* ---- participants ---- */

int
store_participant_add(struct store *s, int64_t ticket, const char *address,
    const char *name, enum store_role role)
{
	sqlite3_stmt *st;
	char *lower;
	int ret;

	if (address == NULL || *address == '\0') {
		log_debug("store: ticket %lld: participant without an "
		    "address ignored", (long long)ticket);
		return 0;
	}
	if ((st = stmt(s, ST_PART_ADD)) == NULL)
		return -1;
	lower = g_utf8_strdown(address, -1);
	sqlite3_bind_int64(st, 1, ticket);
	bind_str(st, 2, lower);
	bind_str(st, 3, name);
	bind_str(st, 4, store_role_name(role));
	sqlite3_bind_int64(st, 5, now(s));
	ret = run(s, st, "ticket %lld: add participant %s", (long long)ticket,
	    lower);
	g_free(lower);
	return ret;
}

int
store_participant_is(struct store *s, int64_t ticket, const char *address)
{
	sqlite3_stmt *st;
	char *lower;
	int64_t one;
	int ret;

	if ((st = stmt(s, ST_PART_IS)) == NULL)
		return -1;
	lower = g_utf8_strdown(address != NULL ? address : "", -1);
	sqlite3_bind_int64(st, 1, ticket);
	bind_str(st, 2, lower);
	ret = query_int(s, st, &one, "participant look-up");
	g_free(lower);
	return ret;
}

static void
read_participant(sqlite3_stmt *st, void *p)
{
	struct store_participant *pa = p;

	pa->address = col_str(st, 0);
	pa->name = col_str(st, 1);
	pa->role = (enum store_role)name_index(role_names,
	    G_N_ELEMENTS(role_names), sqlite3_column_text(st, 2));
}

static void
clear_participant(void *p)
{
	struct store_participant *pa = p;

	g_free(pa->address);
	g_free(pa->name);
}

/* The rows of statement which (participants or proposed ones). */
static int
people(struct store *s, enum st which, int64_t ticket,
    struct store_participant **v, size_t *n)
{
	static const struct rows rows = {
		sizeof(struct store_participant), read_participant,
		clear_participant,
	};
	sqlite3_stmt *st;
	void *p;
	int ret;

	*v = NULL;
	*n = 0;
	if ((st = stmt(s, which)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	ret = collect(s, st, &rows, &p, n, "ticket %lld: %s",
	    (long long)ticket, which == ST_PART_LIST ? "participants" :
	    "proposed participants");
	*v = p;
	return ret;
}

int
store_participants(struct store *s, int64_t ticket,
    struct store_participant **v, size_t *n)
{
	return people(s, ST_PART_LIST, ticket, v, n);
}

void
store_participants_free(struct store_participant *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		clear_participant(&v[i]);
	g_free(v);
}

/* ---- messages ---- */

static void
bind_message(sqlite3_stmt *st, const struct store_message *m, int64_t at)
{
	bind_ref(st, 1, m->ticket);
	bind_str(st, 2, m->message_id);
	bind_str(st, 3, m->digest);
	bind_str(st, 4, direction_names[m->direction == DIR_OUT]);
	bind_str(st, 5, store_author_name(m->author));
	bind_str(st, 6, m->from_name);
	bind_str(st, 7, m->from_addr);
	bind_str(st, 8, m->subject);
	bind_str(st, 9, m->body_text);
	if (m->date < 0)
		sqlite3_bind_null(st, 10);
	else
		sqlite3_bind_int64(st, 10, m->date);
	sqlite3_bind_int64(st, 11, at);
	sqlite3_bind_int64(st, 12, m->flags);
	bind_str(st, 13, m->threaded_by);
	bind_str(st, 14, m->envelope_from);
}

int
store_message_insert(struct store *s, struct store_message *m,
    const char *rcpt)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(s, ST_MSG_INSERT)) == NULL)
		return -1;
	bind_message(st, m, now(s));
	if (m->raw_len == 0 || m->raw == NULL)
		rc = sqlite3_bind_zeroblob(st, 15, 0);
	else
		rc = sqlite3_bind_blob64(st, 15, m->raw, m->raw_len,
		    SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		fail(s, rc, "ticket %lld: insert message %s: %zu bytes",
		    (long long)m->ticket, m->message_id, m->raw_len);
		done(st);
		return -1;
	}
	if (run(s, st, "ticket %lld: insert message %s", (long long)m->ticket,
	    m->message_id != NULL ? m->message_id : "") == -1)
		return -1;
	m->id = sqlite3_last_insert_rowid(s->db);
	if (rcpt != NULL && *rcpt != '\0')
		return store_message_add_rcpt(s, m->id, rcpt);
	return 0;
}

int
store_message_find(struct store *s, const char *message_id,
    const char *digest, int64_t *id, int64_t *ticket, bool *conflict)
{
	sqlite3_stmt *st;
	int rc, same = 0;

	*id = *ticket = 0;
	*conflict = false;
	if ((st = stmt(s, ST_MSG_FIND)) == NULL)
		return -1;
	bind_str(st, 1, message_id);
	bind_str(st, 2, digest);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		same = sqlite3_column_int(st, 2);
		if (same) {
			*id = sqlite3_column_int64(st, 0);
			*ticket = sqlite3_column_int64(st, 1);
		} else
			*conflict = true;
	} else if (rc != SQLITE_DONE)
		fail(s, rc, "message %s: find", message_id);
	done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return same ? 1 : 0;
}

int
store_message_first(struct store *s, const char *message_id,
    struct store_msg_first *out)
{
	sqlite3_stmt *st;
	int rc;

	*out = (struct store_msg_first){ 0 };
	if ((st = stmt(s, ST_MSG_FIRST)) == NULL)
		return -1;
	bind_str(st, 1, message_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->ticket = sqlite3_column_int64(st, 1);
		out->received = sqlite3_column_int64(st, 2);
		out->from_addr = col_str(st, 3);
	} else if (rc != SQLITE_DONE)
		fail(s, rc, "message %s: first", message_id);
	done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return rc == SQLITE_ROW ? 1 : 0;
}

int
store_message_add_rcpt(struct store *s, int64_t id, const char *rcpt)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_RCPT_ADD)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_str(st, 2, rcpt);
	return run(s, st, "message %lld: add recipient %s", (long long)id,
	    rcpt != NULL ? rcpt : "");
}

/* ---- attachments ---- */

/* One more reference to the content, stored when it is new. */
static int
blob_ref(struct store *s, int64_t message, const struct msg_part *p)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(s, ST_BLOB_REF)) == NULL)
		return -1;
	bind_str(st, 1, p->sha256);
	if (run(s, st, "message %lld: attachment %s: reference",
	    (long long)message, p->sha256) == -1)
		return -1;
	if (sqlite3_changes(s->db) > 0)
		return 0;
	if ((st = stmt(s, ST_BLOB_INSERT)) == NULL)
		return -1;
	bind_str(st, 1, p->sha256);
	sqlite3_bind_int64(st, 2, (int64_t)p->size);
	if (p->size == 0)
		rc = sqlite3_bind_zeroblob(st, 3, 0);
	else
		rc = sqlite3_bind_blob64(st, 3, p->data, p->size,
		    SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		fail(s, rc, "message %lld: attachment %s: store",
		    (long long)message, p->sha256);
		done(st);
		return -1;
	}
	return run(s, st, "message %lld: attachment %s: store",
	    (long long)message, p->sha256);
}

int
store_attachment_add(struct store *s, int64_t message,
    const struct msg_part *p)
{
	sqlite3_stmt *st;

	if (strlen(p->sha256) != 64 || (p->data == NULL && p->size > 0)) {
		return refuse(s, "message %lld: attachment \"%s\": no %s",
		    (long long)message, p->filename != NULL ? p->filename : "",
		    p->data == NULL ? "data (keep_part_data)" : "digest");
	}
	if (blob_ref(s, message, p) == -1 ||
	    (st = stmt(s, ST_ATT_INSERT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message);
	bind_str(st, 2, p->filename);
	bind_str(st, 3, p->content_type);
	sqlite3_bind_int64(st, 4, (int64_t)p->size);
	bind_str(st, 5, p->content_id);
	sqlite3_bind_int(st, 6, p->is_inline);
	bind_str(st, 7, p->sha256);
	return run(s, st, "message %lld: attachment %s: add",
	    (long long)message, p->sha256);
}

/* ---- message ids ---- */

int
store_msgid_add(struct store *s, const char *message_id, int64_t ticket,
    int64_t message, bool ours)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_MSGID_ADD)) == NULL)
		return -1;
	bind_str(st, 1, message_id);
	bind_ref(st, 2, ticket);
	bind_ref(st, 3, message);
	sqlite3_bind_int(st, 4, ours);
	sqlite3_bind_int64(st, 5, now(s));
	return run(s, st, "ticket %lld: add message id %s", (long long)ticket,
	    message_id != NULL ? message_id : "");
}

int
store_msgid_find(struct store *s, const char *message_id, int64_t *ticket,
    bool *ours)
{
	sqlite3_stmt *st;
	int rc;

	*ticket = 0;
	*ours = false;
	if ((st = stmt(s, ST_MSGID_FIND)) == NULL)
		return -1;
	bind_str(st, 1, message_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ticket = sqlite3_column_int64(st, 0);
		*ours = sqlite3_column_int(st, 1) != 0;
	} else if (rc != SQLITE_DONE)
		fail(s, rc, "message id %s: find", message_id);
	done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- events ---- */

int
store_event_add(struct store *s, int64_t ticket, int64_t message,
    const char *actor, const char *what, const char *old, const char *new_,
    const char *why)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_EVENT_ADD)) == NULL)
		return -1;
	bind_ref(st, 1, ticket);
	bind_ref(st, 2, message);
	sqlite3_bind_int64(st, 3, now(s));
	bind_str(st, 4, actor);
	bind_str(st, 5, what);
	bind_opt(st, 6, old);
	bind_opt(st, 7, new_);
	bind_opt(st, 8, why);
	return run(s, st, "ticket %lld: add event %s", (long long)ticket,
	    what != NULL ? what : "");
}

/* ---- reading a whole ticket ---- */

static void
read_msgrow(sqlite3_stmt *st, void *p)
{
	struct store_msgrow *m = p;

	m->id = sqlite3_column_int64(st, 0);
	m->message_id = col_str(st, 1);
	m->direction = (enum store_direction)name_index(direction_names,
	    G_N_ELEMENTS(direction_names), sqlite3_column_text(st, 2));
	m->author = (enum store_author)name_index(author_names,
	    G_N_ELEMENTS(author_names), sqlite3_column_text(st, 3));
	m->from_name = col_str(st, 4);
	m->from_addr = col_str(st, 5);
	m->subject = col_str(st, 6);
	m->body_text = col_str(st, 7);
	m->flags = (unsigned)sqlite3_column_int64(st, 8);
	m->threaded_by = col_str(st, 9);
	m->received = sqlite3_column_int64(st, 10);
}

static void
clear_msgrow(void *p)
{
	struct store_msgrow *m = p;

	g_free(m->message_id);
	g_free(m->from_name);
	g_free(m->from_addr);
	g_free(m->subject);
	g_free(m->body_text);
	g_free(m->threaded_by);
}

static void
read_event(sqlite3_stmt *st, void *p)
{
	struct store_event *e = p;

	e->at = sqlite3_column_int64(st, 0);
	e->message = sqlite3_column_int64(st, 1);
	e->actor = col_str(st, 2);
	e->what = col_str(st, 3);
	e->old = col_opt(st, 4);
	e->new_ = col_opt(st, 5);
	e->why = col_opt(st, 6);
}

static void
clear_event(void *p)
{
	struct store_event *e = p;

	g_free(e->actor);
	g_free(e->what);
	g_free(e->old);
	g_free(e->new_);
	g_free(e->why);
}

/* Rows of one ticket from a statement whose ?1 is the ticket. */
static int
ticket_rows(struct store *s, enum st id, int64_t number,
    const struct rows *r, void **v, size_t *n, const char *what)
{
	sqlite3_stmt *st;

	*v = NULL;
	*n = 0;
	if ((st = stmt(s, id)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, number);
	return collect(s, st, r, v, n, "ticket %lld: %s", (long long)number,
	    what);
}

int
store_ticket_full(struct store *s, int64_t number,
    struct store_ticket_full *out)
{
	static const struct rows msgrows = {
		sizeof(struct store_msgrow), read_msgrow, clear_msgrow,
	};
	static const struct rows events = {
		sizeof(struct store_event), read_event, clear_event,
	};
	void *m = NULL, *e = NULL;
	int found;

	memset(out, 0, sizeof(*out));
	if ((found = store_ticket_get(s, number, &out->t)) != 1)
		return found;
	if (ticket_rows(s, ST_MSG_ROWS, number, &msgrows, &m,
	    &out->nmessages, "messages") == -1)
		goto fail;
	out->messages = m;
	if (ticket_rows(s, ST_EVENT_ROWS, number, &events, &e,
	    &out->nevents, "events") == -1)
		goto fail;
	out->events = e;
	if (store_participants(s, number, &out->participants,
	    &out->nparticipants) == -1 || store_proposed(s, number,
	    &out->proposed, &out->nproposed) == -1)
		goto fail;
	return 1;
fail:
	store_ticket_full_clear(out);
	return -1;
}

void
store_ticket_full_clear(struct store_ticket_full *f)
{
	if (f == NULL)
		return;
	store_ticket_clear(&f->t);
	for (size_t i = 0; f->messages != NULL && i < f->nmessages; i++)
		clear_msgrow(&f->messages[i]);
	g_free(f->messages);
	store_participants_free(f->participants, f->nparticipants);
	store_participants_free(f->proposed, f->nproposed);
	for (size_t i = 0; f->events != NULL && i < f->nevents; i++)
		clear_event(&f->events[i]);
	g_free(f->events);
	memset(f, 0, sizeof(*f));
}

int64_t
store_count(struct store *s, const char *what)
{
	int64_t v = 0;

	for (size_t i = 0; what != NULL && i < G_N_ELEMENTS(count_tables);
	    i++) {
		if (strcmp(count_tables[i].table, what) != 0)
			continue;
		if (query_int(s, stmt(s, count_tables[i].st), &v, what) != 1)
			return -1;
		return v;
	}
	return -1;
}

/* ---- stored messages, for filter replay ---- */

static const char sql_messages_each[] =
    "SELECT m.id, coalesce(m.ticket, 0), m.message_id, m.envelope_from,"
    " coalesce((SELECT min(r.address) FROM message_rcpts r"
    " WHERE r.message = m.id), ''), m.threaded_by,"
    " coalesce(t.queue, ''), m.received, m.raw,"
    " coalesce((SELECT group_concat(x, char(10)) FROM (SELECT"
    " e.what || char(9) || coalesce(e.new, '') || char(9) ||"
    " coalesce(e.why, '') AS x FROM events e WHERE e.message = m.id"
    " AND e.what IN ('filter', 'discarded') ORDER BY e.id)), '')"
    " FROM messages m LEFT JOIN tickets t ON t.number = m.ticket"
    " WHERE m.direction = 'in' AND m.received >= ?1 ORDER BY m.id";

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

static void
read_stored(sqlite3_stmt *st, struct store_stored *m)
{
	*m = (struct store_stored){
		.id = sqlite3_column_int64(st, 0),
		.ticket = sqlite3_column_int64(st, 1),
		.message_id = col_text(st, 2),
		.envelope_from = col_text(st, 3),
		.rcpt = col_text(st, 4),
		.threaded_by = col_text(st, 5),
		.queue = col_text(st, 6),
		.received = sqlite3_column_int64(st, 7),
		.raw = sqlite3_column_blob(st, 8),
		.raw_len = (size_t)sqlite3_column_bytes(st, 8),
		.filter_events = col_text(st, 9),
	};
	if (m->raw == NULL)
		m->raw = "";
}

int
store_messages_each(struct store *s, int64_t since, store_stored_fn *cb,
    void *arg)
{
	struct store_stored m;
	sqlite3_stmt *st;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(s->db, sql_messages_each, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(s, rc, "%s: prepare message walk", s->path);
	sqlite3_bind_int64(st, 1, since);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_stored(st, &m);
		ret = cb(&m, arg);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = fail(s, rc, "walk messages");
	sqlite3_finalize(st);
	return ret;
}

/* ---- IMAP fetch state ---- */

void
store_imap_state_clear(struct store_imap_state *st)
{
	if (st == NULL)
		return;
	g_free(st->done);
	*st = (struct store_imap_state){ 0 };
}

/* "7,9,12": the committed UIDs above upto. */
static void
parse_done(const unsigned char *text, struct store_imap_state *st)
{
	GArray *v = g_array_new(FALSE, FALSE, sizeof(int64_t));
	const char *p = text != NULL ? (const char *)text : "";
	char *end;

	while (*p != '\0') {
		int64_t uid = strtoll(p, &end, 10);

		if (end == p)
			break;
		if (uid > st->upto)
			g_array_append_val(v, uid);
		p = *end == ',' ? end + 1 : end;
	}
	st->ndone = v->len;
	st->done = (int64_t *)(void *)g_array_free(v, FALSE);
}

int
store_imap_state_get(struct store *s, const char *account,
    const char *mailbox, int64_t uidvalidity, struct store_imap_state *out)
{
	sqlite3_stmt *st;
	int rc;

	*out = (struct store_imap_state){ 0 };
	if ((st = stmt(s, ST_IMAP_GET)) == NULL)
		return -1;
	bind_str(st, 1, account);
	bind_str(st, 2, mailbox);
	sqlite3_bind_int64(st, 3, uidvalidity);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->upto = sqlite3_column_int64(st, 0);
		parse_done(sqlite3_column_text(st, 1), out);
	} else if (rc != SQLITE_DONE)
		fail(s, rc, "imap %s/%s: read state", account, mailbox);
	done(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_imap_state_set(struct store *s, const char *account,
    const char *mailbox, int64_t uidvalidity,
    const struct store_imap_state *state)
{
	GString *list = g_string_new(NULL);
	sqlite3_stmt *st;
	int r = -1;

	for (size_t i = 0; i < state->ndone; i++)
		g_string_append_printf(list, "%s%lld", i > 0 ? "," : "",
		    (long long)state->done[i]);
	if ((st = stmt(s, ST_IMAP_DROP)) == NULL)
		goto out;
	bind_str(st, 1, account);
	bind_str(st, 2, mailbox);
	sqlite3_bind_int64(st, 3, uidvalidity);
	if (run(s, st, "imap %s/%s: drop old state", account, mailbox) == -1 ||
	    (st = stmt(s, ST_IMAP_SET)) == NULL)
		goto out;
	bind_str(st, 1, account);
	bind_str(st, 2, mailbox);
	sqlite3_bind_int64(st, 3, uidvalidity);
	sqlite3_bind_int64(st, 4, state->upto);
	bind_str(st, 5, list->str);
	sqlite3_bind_int64(st, 6, now(s));
	r = run(s, st, "imap %s/%s: write state", account, mailbox);
out:
	g_string_free(list, TRUE);
	return r;
}

/* ---- outbox ---- */

int
store_outbox_add(struct store *s, int64_t ticket, int64_t message,
    const char *mail_from, const char *rcpt, const char *message_id,
    const char *raw, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(s, ST_OUTBOX_ADD)) == NULL)
		return -1;
	bind_ref(st, 1, ticket);
	bind_ref(st, 2, message);
	bind_str(st, 3, mail_from);
	bind_str(st, 4, rcpt);
	bind_str(st, 5, message_id);
	if (raw == NULL || len == 0)
		rc = sqlite3_bind_zeroblob(st, 6, 0);
	else
		rc = sqlite3_bind_blob64(st, 6, raw, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, now(s));
	if (rc != SQLITE_OK) {
		fail(s, rc, "ticket %lld: outbox: %zu bytes", (long long)ticket,
		    len);
		done(st);
		return -1;
	}
	return run(s, st, "ticket %lld: outbox: queue mail %s to %s",
	    (long long)ticket, message_id != NULL ? message_id : "",
	    rcpt != NULL ? rcpt : "");
}

static void
read_outbox(sqlite3_stmt *st, void *p)
{
	struct store_outbox *o = p;
	const void *raw;

	o->id = sqlite3_column_int64(st, 0);
	o->ticket = sqlite3_column_int64(st, 1);
	o->message = sqlite3_column_int64(st, 2);
	o->mail_from = col_str(st, 3);
	o->rcpt = col_str(st, 4);
	o->message_id = col_str(st, 5);
	raw = sqlite3_column_blob(st, 6);
	o->raw_len = (size_t)sqlite3_column_bytes(st, 6);
	/* NUL-terminated past raw_len, like io_read_fd()'s buffers. */
	o->raw = g_malloc(o->raw_len + 1);
	if (o->raw_len > 0)
		memcpy(o->raw, raw, o->raw_len);
	o->raw[o->raw_len] = '\0';
	o->attempts = (unsigned)sqlite3_column_int64(st, 7);
	o->created = sqlite3_column_int64(st, 8);
	o->next_try = sqlite3_column_int64(st, 9);
	o->last_error = col_str(st, 10);
	o->age_base = sqlite3_column_int64(st, 11);
}

static void
clear_outbox(void *p)
{
	struct store_outbox *o = p;

	g_free(o->mail_from);
	g_free(o->rcpt);
	g_free(o->message_id);
	g_free(o->raw);
	g_free(o->last_error);
	g_free(o->state);
}

static int
cmp_outbox(const void *a, const void *b)
{
	const struct store_outbox *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* The UPDATE ... RETURNING inside the claim's transaction. */
static int
claim_rows(struct store *s, const char *owner, int64_t lease_s, size_t max,
    struct store_outbox **v, size_t *n)
{
	static const struct rows rows = {
		sizeof(struct store_outbox), read_outbox, clear_outbox,
	};
	sqlite3_stmt *st;
	void *p;

	if ((st = stmt(s, ST_OUTBOX_CLAIM)) == NULL)
		return -1;
	bind_str(st, 1, owner);
	sqlite3_bind_int64(st, 2, now(s));
	sqlite3_bind_int64(st, 3, lease_s);
	sqlite3_bind_int64(st, 4, max > INT32_MAX ? INT32_MAX : (int64_t)max);
	if (collect(s, st, &rows, &p, n, "outbox: claim for %s", owner) == -1)
		return -1;
	*v = p;
	/* RETURNING gives no order; send the oldest first. */
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), cmp_outbox);
	return 0;
}

int
store_outbox_claim(struct store *s, const char *owner, int64_t lease_s,
    size_t max, struct store_outbox **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (!sqlite3_get_autocommit(s->db)) {
		return refuse(s, "outbox: claim: called inside a "
		    "transaction");
	}
	if (store_begin(s) == -1)
		return -1;
	if (claim_rows(s, owner, lease_s, max, v, n) == -1 ||
	    store_commit(s) == -1) {
		store_rollback(s);
		store_outbox_free(*v, *n);
		*v = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* After an outbox UPDATE for (id, owner): was the row still ours? */
static int
lease_held(struct store *s, int64_t id, const char *owner, const char *what)
{
	if (sqlite3_changes(s->db) > 0)
		return 0;
	return refuse(s, "outbox %lld: %s: %s no longer holds its lease",
	    (long long)id, what, owner);
}

/*
 * The mark-sent is committed with synchronous=NORMAL (in WAL mode: not
 * fsynced).  A power cut may lose it; the lease then runs out and the
 * mail is sent once more with the same Message-ID, which is the
 * at-least-once the outbox promises anyway.  An fsync per mail would
 * hold sending to the disk's fsync rate.  A crash of the process loses
 * nothing: the WAL is in the kernel's hands.
 */
int
store_outbox_sent(struct store *s, int64_t id, const char *owner)
{
	sqlite3_stmt *st;
	int r;

	if (!sqlite3_get_autocommit(s->db)) {
		return refuse(s, "outbox %lld: mark sent: called inside a "
		    "transaction", (long long)id);
	}
	if (run(s, stmt(s, ST_SYNC_NORMAL), "outbox %lld: synchronous",
	    (long long)id) == -1 || (st = stmt(s, ST_OUTBOX_SENT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_str(st, 2, owner);
	sqlite3_bind_int64(st, 3, now(s));
	r = run(s, st, "outbox %lld: mark sent", (long long)id);
	if (r == 0)
		r = lease_held(s, id, owner, "mark sent");
	if (run(s, stmt(s, ST_SYNC_FULL), "outbox %lld: synchronous",
	    (long long)id) == -1)
		r = -1;
	return r;
}

int
store_outbox_retry(struct store *s, int64_t id, const char *owner,
    int64_t next_try, const char *error)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_OUTBOX_RETRY)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_str(st, 2, owner);
	sqlite3_bind_int64(st, 3, next_try);
	bind_str(st, 4, error);
	if (run(s, st, "outbox %lld: retry later", (long long)id) == -1)
		return -1;
	return lease_held(s, id, owner, "retry later");
}

/* Mark the row failed: 1 done (ticket, message, rcpt read), 0 not
 * ours any more, -1. */
static int
mark_failed(struct store *s, int64_t id, const char *owner,
    const char *error, int64_t *ticket, int64_t *message, char **rcpt)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt(s, ST_OUTBOX_FAILED)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_str(st, 2, owner);
	sqlite3_bind_int64(st, 3, now(s));
	bind_str(st, 4, error);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ticket = sqlite3_column_int64(st, 0);
		*message = sqlite3_column_int64(st, 1);
		*rcpt = col_str(st, 2);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		fail(s, rc, "outbox %lld: mark failed", (long long)id);
		done(st);
		return -1;
	}
	done(st);
	return *rcpt != NULL ? 1 : 0;
}

int
store_outbox_failed(struct store *s, int64_t id, const char *owner,
    const char *error)
{
	int64_t ticket = 0, message = 0;
	char *rcpt = NULL;
	int r;

	if (store_begin(s) == -1)
		return -1;
	r = mark_failed(s, id, owner, error, &ticket, &message, &rcpt);
	if (r == 0)
		r = lease_held(s, id, owner, "mark failed");
	else if (r == 1)
		r = store_event_add(s, ticket, message, "system", "send failed",
		    NULL, rcpt, error);
	if (r == -1 || store_commit(s) == -1) {
		store_rollback(s);
		r = -1;
	}
	g_free(rcpt);
	return r;
}

void
store_outbox_free(struct store_outbox *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		clear_outbox(&v[i]);
	g_free(v);
}

/* ---- rate of automatic mail ---- */

int
store_rate_count(struct store *s, const char *key, int64_t since,
    int64_t *count)
{
	sqlite3_stmt *st;

	*count = 0;
	if ((st = stmt(s, ST_RATE_COUNT)) == NULL)
		return -1;
	bind_str(st, 1, key);
	sqlite3_bind_int64(st, 2, since);
	return query_int(s, st, count, "rate: count") == -1 ? -1 : 0;
}

int
store_rate_add(struct store *s, const char *key)
{
	sqlite3_stmt *st;
	int64_t at = now(s);

	if ((st = stmt(s, ST_RATE_PRUNE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, at - 7 * 86400);
	if (run(s, st, "rate %s: prune", key) == -1 ||
	    (st = stmt(s, ST_RATE_ADD)) == NULL)
		return -1;
	bind_str(st, 1, key);
	sqlite3_bind_int64(st, 2, at);
	return run(s, st, "rate %s: add", key);
}

int64_t
store_now(struct store *s)
{
	return now(s);
}

/* ---- tags ---- */

int
store_tag_set(struct store *s, int64_t ticket, const char *tag, bool on)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, on ? ST_TAG_ADD : ST_TAG_DEL)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ticket);
	bind_str(st, 2, tag);
	return run(s, st, "ticket %lld: tag %s", (long long)ticket, tag);
}

int
store_tags(struct store *s, int64_t ticket, char ***tags)
{
	GPtrArray *v = g_ptr_array_new();
	sqlite3_stmt *st;
	int rc;

	*tags = NULL;
	if ((st = stmt(s, ST_TAG_LIST)) == NULL) {
		g_ptr_array_free(v, TRUE);
		return -1;
	}
	sqlite3_bind_int64(st, 1, ticket);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(v, g_strdup((const char *)
		    sqlite3_column_text(st, 0)));
	done(st);
	g_ptr_array_add(v, NULL);
	*tags = (char **)g_ptr_array_free(v, FALSE);
	if (rc != SQLITE_DONE) {
		g_strfreev(*tags);
		*tags = NULL;
		return fail(s, rc, "ticket %lld: tags", (long long)ticket);
	}
	return 0;
}

/* ---- relays held back for a late note ---- */

int
store_outbox_hold(struct store *s, int64_t message, int64_t cause,
    int64_t not_before)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_OUTBOX_HOLD)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message);
	sqlite3_bind_int64(st, 2, cause);
	sqlite3_bind_int64(st, 3, not_before);
	return run(s, st, "outbox: message %lld: hold until %lld",
	    (long long)message, (long long)not_before);
}

int
store_outbox_cancel_caused(struct store *s, int64_t cause, const char *why,
    int64_t *cancelled, int64_t *sent)
{
	sqlite3_stmt *st;

	*cancelled = *sent = 0;
	if ((st = stmt(s, ST_OUTBOX_CAUSE_SENT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cause);
	sqlite3_bind_int64(st, 2, now(s));
	if (query_int(s, st, sent, "outbox: sent relays") == -1 ||
	    (st = stmt(s, ST_OUTBOX_CANCEL_CAUSE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, cause);
	sqlite3_bind_int64(st, 2, now(s));
	bind_str(st, 3, why);
	if (run(s, st, "outbox: message %lld: cancel", (long long)cause) == -1)
		return -1;
	*cancelled = sqlite3_changes(s->db);
	return 0;
}

/* ---- outbox: dead senders, transport faults, admins ---- */

int
store_outbox_owners(struct store *s, char ***owners)
{
	GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
	sqlite3_stmt *st;
	int rc;

	*owners = NULL;
	if ((st = stmt(s, ST_OUTBOX_OWNERS)) == NULL) {
		g_ptr_array_free(v, TRUE);
		return -1;
	}
	sqlite3_bind_int64(st, 1, now(s));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(v, col_str(st, 0));
	done(st);
	if (rc != SQLITE_DONE) {
		g_ptr_array_free(v, TRUE);
		return fail(s, rc, "outbox: leased by whom");
	}
	g_ptr_array_add(v, NULL);
	g_ptr_array_set_free_func(v, NULL);
	*owners = (char **)g_ptr_array_free(v, FALSE);
	return 0;
}

int
store_message_flag(struct store *s, int64_t id, unsigned flags)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_MSG_FLAGS_OR)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, flags);
	return run(s, st, "message %lld: set flags", (long long)id);
}

/* ---- proposed participants, removing participants ---- */

/* DELETE ... RETURNING 1: 1 when a row went, 0 when none, -1. */
static int
delete_one(struct store *s, enum st which, int64_t ticket,
    const char *address, const char *what)
{
	sqlite3_stmt *st;
	char *lower;
	int64_t one;
	int ret;

	if ((st = stmt(s, which)) == NULL)
		return -1;
	lower = g_utf8_strdown(address != NULL ? address : "", -1);
	sqlite3_bind_int64(st, 1, ticket);
	bind_str(st, 2, lower);
	ret = query_int(s, st, &one, what);
	g_free(lower);
	return ret;
}

int
store_participant_del(struct store *s, int64_t ticket, const char *address)
{
	return delete_one(s, ST_PART_DEL, ticket, address,
	    "remove participant");
}

int
store_proposed_add(struct store *s, int64_t ticket, const char *address,
    const char *name)
{
	sqlite3_stmt *st;
	char *lower;
	int64_t one;
	int ret;

	if (address == NULL || *address == '\0')
		return 0;
	if ((st = stmt(s, ST_PROPOSED_ADD)) == NULL)
		return -1;
	lower = g_utf8_strdown(address, -1);
	sqlite3_bind_int64(st, 1, ticket);
	bind_str(st, 2, lower);
	bind_str(st, 3, name);
	sqlite3_bind_int64(st, 4, now(s));
	ret = query_int(s, st, &one, "propose participant");
	g_free(lower);
	return ret;
}

int
store_proposed_del(struct store *s, int64_t ticket, const char *address)
{
	return delete_one(s, ST_PROPOSED_DEL, ticket, address,
	    "remove proposed participant");
}

int
store_proposed(struct store *s, int64_t ticket, struct store_participant **v,
    size_t *n)
{
	return people(s, ST_PROPOSED_LIST, ticket, v, n);
}

int
store_outbox_release(struct store *s, const char *owner)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_OUTBOX_RELEASE)) == NULL)
		return -1;
	bind_str(st, 1, owner);
	if (run(s, st, "outbox: release the leases of %s", owner) == -1)
		return -1;
	return sqlite3_changes(s->db);
}

int
store_outbox_next_held(struct store *s, int64_t *at)
{
	*at = 0;
	return query_int(s, stmt(s, ST_OUTBOX_NEXT_HELD),
	    at, "outbox: next held answer");
}

int
store_outbox_lease_one(struct store *s, int64_t id, const char *owner,
    int64_t lease_s)
{
	sqlite3_stmt *st;
	int64_t one;

	if ((st = stmt(s, ST_OUTBOX_LEASE_ONE)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_str(st, 2, owner);
	sqlite3_bind_int64(st, 3, now(s));
	sqlite3_bind_int64(st, 4, lease_s);
	return query_int(s, st, &one, "outbox: lease one");
}

int
store_outbox_renew(struct store *s, const char *owner, int64_t lease_s)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_OUTBOX_RENEW)) == NULL)
		return -1;
	bind_str(st, 1, owner);
	sqlite3_bind_int64(st, 2, now(s));
	sqlite3_bind_int64(st, 3, lease_s);
	return run(s, st, "outbox: renew the leases of %s", owner);
}

int
store_outbox_fault(struct store *s, int64_t id, const char *owner,
    int64_t next_try, const char *error)
{
	sqlite3_stmt *st;

	if ((st = stmt(s, ST_OUTBOX_FAULT)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	bind_str(st, 2, owner);
	sqlite3_bind_int64(st, 3, next_try);
	bind_str(st, 4, error);
	sqlite3_bind_int64(st, 5, now(s));
	if (run(s, st, "outbox %lld: requeue after a transport fault",
	    (long long)id) == -1)
		return -1;
	return lease_held(s, id, owner, "requeue after a transport fault");
}

static void
read_outbox_listed(sqlite3_stmt *st, void *p)
{
	struct store_outbox *o = p;

	read_outbox(st, p);
	o->state = col_str(st, 12);
}

int
store_outbox_list(struct store *s, const char *state,
    struct store_outbox **v, size_t *n)
{
	static const struct rows rows = {
		sizeof(struct store_outbox), read_outbox_listed, clear_outbox,
	};
	sqlite3_stmt *st;
	void *p;

	*v = NULL;
	*n = 0;
	if ((st = stmt(s, ST_OUTBOX_LIST)) == NULL)
		return -1;
	bind_opt(st, 1, state);
	if (collect(s, st, &rows, &p, n, "outbox: list") == -1)
		return -1;
	*v = p;
	return 0;
}

/* Run a RETURNING id, ticket, message, rcpt statement inside a
 * transaction and put the event what on each row's ticket. */
static int
admin_update(struct store *s, sqlite3_stmt *st, const char *actor,
    const char *what, int64_t *count)
{
	int rc = SQLITE_OK;
	int64_t id, ticket, message;
	char *rcpt, *why;

	*count = 0;
	while (rc != SQLITE_DONE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		ticket = sqlite3_column_int64(st, 1);
		message = sqlite3_column_int64(st, 2);
		rcpt = col_str(st, 3);
		why = g_strdup_printf("outbox %lld", (long long)id);
		if (store_event_add(s, ticket, message, actor, what, NULL,
		    rcpt, why) == -1)
			rc = SQLITE_ERROR;
		g_free(why);
		g_free(rcpt);
		if (rc == SQLITE_ERROR)
			break;
		(*count)++;
	}
	if (rc != SQLITE_DONE) {
		if (rc != SQLITE_ERROR)
			fail(s, rc, "outbox: %s", what);
		done(st);
		return -1;
	}
	done(st);
	return 0;
}

/* One admin change of the outbox (id, now, and the actor where the
 * statement names it) in a transaction of its own. */
static int
admin_txn(struct store *s, enum st which, int64_t id, const char *actor,
    const char *what, int64_t *count)
{
	sqlite3_stmt *st;

	*count = 0;
	if (store_begin(s) == -1)
		return -1;
	if ((st = stmt(s, which)) == NULL) {
		store_rollback(s);
		return -1;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now(s));
	if (sqlite3_bind_parameter_count(st) >= 3)
		bind_str(st, 3, actor);
	if (admin_update(s, st, actor, what, count) == -1 ||
	    store_commit(s) == -1) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

int
store_outbox_requeue(struct store *s, int64_t id, const char *actor,
    int64_t *count)
{
	return admin_txn(s, ST_OUTBOX_REQUEUE, id, actor, "send retry",
	    count);
}

int
store_outbox_cancel(struct store *s, int64_t id, const char *actor,
    int64_t *count)
{
	return admin_txn(s, ST_OUTBOX_CANCEL, id, actor, "send cancelled",
	    count);
}

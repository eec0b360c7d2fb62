/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_THREAD_H
#define POSTDESK_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"
#include "store.h"
#include "token.h"

/*
 * Which ticket does a message join?  In order: (1) a signed reply
 * address in the envelope recipients (or, without an envelope, in
 * Delivered-To/To/Cc), (2) In-Reply-To, then References newest first,
 * against message_ids, (3) a queue's subject tag "[Tag #123]" when the
 * sender is a participant of that ticket, (4) a new ticket.  Runs
 * inside the caller's transaction.
 *
 * The trust contract: evidence answers two separate questions.  WHICH
 * TICKET: a token for any participant or agent, one of our Message-IDs
 * (strong), a known foreign Message-ID or a participant's subject tag
 * (weak).  WHO SENT IT: thread_sender_proven().  Our Message-IDs travel
 * in References of every reply, forward and list archive, and a token
 * for someone else travels with every forwarded mail: they prove the
 * thread, never the sender.  So the caller attaches on any evidence,
 * reopens a resolved ticket on strong evidence only when From is
 * already a participant, and adds participants only for a proven
 * sender (or a verified agent); every other To/Cc address becomes a
 * proposed participant that gets no mail.
 */

enum thread_evidence {
	EVIDENCE_NEW,
	EVIDENCE_TOKEN,
	EVIDENCE_OUR_REF,
	EVIDENCE_FOREIGN_REF,
	EVIDENCE_SUBJECT_TAG,
	EVIDENCE_BOUNCE,
};

struct thread_in {
	const struct msg	*m;
	const char *const	*rcpts;		/* envelope; NULL = none */
	size_t			 nrcpts;
	const struct conf	*conf;
	const struct token_keys	*keys;
	const char		*queue;		/* forced queue name or NULL */
};

struct thread_out {
	enum thread_evidence	 evidence;
	bool			 strong;
	int64_t			 ticket;	/* 0: a new ticket */
	int64_t			 tag_ref;	/* stranger's subject tag */
	const struct conf_queue	*queue;		/* NULL when conf has none */
	bool			 comment;	/* to a comment address */
	bool			 unknown_rcpt;	/* no rcpt is ours */
	char			 token[TOKEN_LEN + 1]; /* the valid token */
	int64_t			 token_ticket;	/* its ticket, before merges */
	enum token_purpose	 purpose;	/* and its purpose */
	char			 why[160];	/* for the audit trail */
};

/* "token", "our-ref", "foreign-ref", "subject-tag", "new", "bounce" */
const char	*thread_evidence_name(enum thread_evidence);

/* 0 / -1 (store error, logged). */
int		 thread_find(struct store *, const struct thread_in *,
		    struct thread_out *);

/*
 * Is the sender of in->m proven for ticket?  (a) The envelope
 * recipients, To or Cc hold a reply token that verifies for (ticket, or
 * out->token_ticket before a merge, the From address itself), and (b)
 * when a trusted authserv-id is configured, our MTA's topmost trusted
 * Authentication-Results shows no dmarc=fail for the From domain
 * (with require-dmarc-pass: an aligned dmarc=pass).  ticket 0 is a new
 * ticket, whose sender only an aligned dmarc=pass proves.  why gets the
 * reason either way, for the audit trail.  Pure apart from the keys.
 */
bool		 thread_sender_proven(const struct thread_in *,
		    const struct thread_out *out, int64_t ticket, char *why,
		    size_t len);

/* True when address is one of ours: conf_is_our_address(). */
bool		 thread_is_our_address(const struct conf *,
		    const char *address);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_INGEST_PRIV_H
#define POSTDESK_INGEST_PRIV_H

/* Shared by the ingest core (ingest.c) and its agent half
 * (ingest-agent.c). */

#include <stdbool.h>

#include <glib.h>

#include "agent.h"
#include "digest.h"
#include "filter.h"
#include "ingest.h"
#include "respond.h"
#include "thread.h"

struct ingest {
	const struct conf	*conf;
	struct store		*store;
	const struct token_keys	*keys;
	struct respond		*respond;
	struct filter_set	*filters;	/* loaded on first use */
	const char		*noted_raw;	/* ingest_note()'s message, */
	size_t			 noted_len;	/* so that ingest_add() need */
	char			 noted_digest[DIGEST_HEX_LEN + 1]; /* not hash
						   it again */
	bool			 filters_tried;
};

/* One message on its way through ingest_add(). */
struct job {
	struct ingest		*ing;
	const struct ingest_env	*env;
	const char		*raw;
	size_t			 len;
	char			 digest[DIGEST_HEX_LEN + 1];
	struct msg		*m;
	struct thread_out	 th;
	const char		*auto_why;
	struct ingest_result	*res;
	struct sieve_result	 sr;		/* the filter rules' verdict */
	bool			 noack;
	enum agent_verdict	 verdict;	/* who wrote it */
	const struct conf_agent	*agent;		/* the agent, if one */
	GPtrArray		*events;	/* struct pending, written
						   once the message has an id */
	GPtrArray		*changes;	/* participant changes, for
						   ingest_people_finish() */
	GString			*notes;		/* lines for the agents'
						   notification, or NULL */
	bool			 proven_known;	/* ingest_people_proven() */
	bool			 proven;
	char			 proven_why[160];
};

/* Identify an agent's mail before it is stored (author and flags). */
void	ingest_agent_identify(struct job *);

/* After the message is stored: notify agents of a customer's mail, or
 * run an agent's commands, keep notes internal and relay answers.
 * 0 / -1. */
int	ingest_agent_after(struct job *, struct respond_ctx *);

/* The respond context for ticket t and stored message row message
 * (borrows t's strings and j's message). */
void	ingest_ctx(const struct job *, const struct store_ticket *t,
	    int64_t message, struct respond_ctx *);

/*
 * A second delivery of stored message id (ticket) with comment evidence
 * in its envelope: when the first made it an agent's answer, make it a
 * note now: cancel its unsent relays, record events, tell the agents.
 * Nothing to do is 0 too.  0 / -1.
 */
int	ingest_agent_late_note(struct job *, int64_t id, int64_t ticket);

/* Participants (ingest-people.c).  Is the sender proven (a verified
 * agent, or thread_sender_proven() for this ticket; cached)? */
bool	ingest_people_proven(struct job *);

/* The To/Cc of the mail on ticket: watchers for a proven sender or a
 * verified agent, else proposed participants (a new ticket: as
 * new-ticket-cc says), within "limit participants".  0 / -1. */
int	ingest_people_from_mail(struct job *, int64_t ticket,
	    bool new_ticket);

/* #cc add / #cc remove of a verified agent's mail.  0 / -1. */
struct agentcmd;
int	ingest_people_cc(struct job *, const struct agentcmd *);

/* A line for the agents' notification of this mail. */
void	ingest_people_note(struct job *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* After the message is stored: the participant changes as events and
 * requester's notice (at most one per ticket and day) when someone
 * else added a participant.  0 / -1. */
int	ingest_people_finish(struct job *, struct respond_ctx *,
	    const char *requester);

/* Free what the job's participant changes and notes hold. */
void	ingest_people_clear(struct job *);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_RESPOND_H
#define POSTDESK_RESPOND_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"
#include "store.h"
#include "token.h"

/*
 * Mail that postdesk writes itself: rendered from templates, composed,
 * stored as an outgoing message, recorded in message_ids as ours and
 * queued in the outbox, all inside the caller's transaction.
 */

struct respond;

struct respond	*respond_new(const struct conf *, struct store *,
		    const struct token_keys *);
void		 respond_free(struct respond *);

/* What respond needs to know about the ticket and the message. */
struct respond_ctx {
	int64_t			 ticket;
	const char		*subject;	/* the ticket's */
	const char		*status, *priority, *language, *root_id;
	const struct conf_queue	*queue;
	const struct msg	*m;		/* the message answered */
	int64_t			 message;	/* its stored row */
	const char		*envelope_from;	/* NULL unknown, "" null */
	const char		*auto_why;	/* classify_auto() */
	bool			 bounce;
};

/*
 * Why an acknowledgement must not go out (RFC 3834 and backscatter
 * rules): automatic mail, a bounce, our own mail coming back
 * (classify_own()), spam or SPF/DMARC failure by our trusted MTA.
 * NULL when it may go.  The reason is static or kept in r.  The rate
 * limits are the budgets, applied when a mail is queued.
 */
const char	*respond_ack_suppressed(struct respond *,
		    const struct respond_ctx *);

/*
 * Acknowledge a new ticket: suppressed (with an event naming the
 * reason) or rendered from the "ack" template and queued.  0 / -1.
 */
int		 respond_ack(struct respond *, const struct respond_ctx *);

/*
 * Budgets for automatic mail, so that one kind can't starve another:
 * every automatic mail spends from the budget of the people it goes to,
 * and one that finds its budget spent is not queued (an event "WHAT
 * suppressed" and a LOG_ERR line say why).  A new kind of automatic
 * mail picks its budget by name.
 *   DEFAULT    by the mail: a person's (no Auto-Submitted) NONE,
 *              automatic mail to an agent AGENTS, else CUSTOMERS
 *   NONE       never limited: agents' relayed answers
 *   CUSTOMERS  acknowledgements and other notices to customers:
 *              limit ack-per-hour in all, limit ack-per-address per
 *              address and day
 *   AGENTS     notifications, command errors, reminders, agendas:
 *              limit notify-per-hour in all
 */
enum respond_budget {
	RESPOND_BUDGET_DEFAULT,
	RESPOND_BUDGET_NONE,
	RESPOND_BUDGET_CUSTOMERS,
	RESPOND_BUDGET_AGENTS,
};

/* One templated mail to one recipient. */
struct respond_mail {
	const char		*name;		/* the template */
	const struct msg_addr	*to;
	const char		*from_name;	/* NULL: the queue's tag */
	const char		*auto_submitted; /* NULL: a person's mail */
	const char		*what;		/* the event */
	const char		*body;		/* {{message.body}}; NULL: the
						   message's body_text */
	const char		*agent_name;	/* {{agent.name}} */
	const char		*in_reply_to;	/* NULL: the message's id */
	bool			 with_parts;	/* attach the message's parts */
	bool			 internal;	/* among agents: a reply to it
						   must stay a note */
	enum respond_budget	 budget;
	bool			 relay;		/* an agent's answer: held in
						   the outbox for relay-hold
						   and linked to c->message,
						   so that a late note can
						   cancel it */
	const char		*sender;	/* {{message.from}}; NULL: as
						   respond_sender() */
	const char		*notes;		/* {{message.notes}}: lines
						   for agents, or NULL */
	const char		*added;		/* {{participants.added}} */
};
int		 respond_mail(struct respond *, const struct respond_ctx *,
		    const struct respond_mail *);

/*
 * How a notification shows the sender of m to agents: "\"Name\"
 * <addr>" (the name quoted, '"' and '\\' escaped; "addr" without a
 * name), with "[unverified] " in front when
 * the display name holds an '@' or is an agent's name or handle and the
 * sender is not proven.  g_free().
 */
char		*respond_sender(const struct conf *, const struct msg_addr *from,
		    bool proven);

/*
 * Render template name (looked up as for the queue and the ticket's
 * language) for c and queue it to "to", with Auto-Submitted:
 * auto_submitted (NULL for none); an event "what" records it.  0 / -1.
 */
int		 respond_template(struct respond *, const struct respond_ctx *,
		    const char *name, const struct msg_addr *to,
		    const char *auto_submitted, const char *what);

/* An automatic answer with template name to the sender, under the
 * acknowledgement's rules and the customers' budget (suppressed with
 * an event "WHAT suppressed" naming the reason). */
int		 respond_auto_reply(struct respond *,
		    const struct respond_ctx *, const char *name,
		    const char *what);

/*
 * The loop breaker: one more round of automatic mail caused by the
 * sender of c->m on c->ticket (a mailbox rule that forwards what we
 * send back to us is a round each time).  0: the round may go and is
 * counted; 1: the sender had 3 rounds (20 when proven by a token for
 * their own address) on this ticket in the last hour, nothing may go,
 * an event "loop breaker" says so; -1: store error.
 */
int		 respond_loop_round(struct respond *,
		    const struct respond_ctx *, bool proven);

/* Where the shipped templates are: $POSTDESK_TEMPLATES, the installed
 * ones, or the source tree's beside the program. */
const char	*respond_shipped_dir(void);

/* Load every template a queue can use (check); 0 or -1 with every
 * error printed as FILE:LINE: message through log_warnx. */
int		 respond_check_templates(const struct conf *);

#endif

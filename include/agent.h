/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_AGENT_H
#define POSTDESK_AGENT_H

#include <stdbool.h>

#include "conf.h"
#include "msg.h"

/*
 * Is a message written by one of our agents?  Pure: the caller has
 * checked the reply token already; this module only weighs evidence.
 *
 * A mail counts as written by agent A only when its From is A's address
 * (exactly, ASCII case-insensitive; one From address, not a list) AND
 * either
 *   (a) token_for_agent: it came to the signed reply address for (this
 *       ticket, A), or names it in To/Cc (so that the delivery of the
 *       same mail to its other recipient, the comment address, finds
 *       the same author) -- the caller passes false for a token of
 *       another agent or another ticket; or
 *   (b) our MTA's Authentication-Results (authres_trusted() with the
 *       config's trusted-authserv-id: above the first Received line)
 *       show dkim=pass with header.d = A's domain, or dmarc=pass with
 *       header.from = A's domain, and A's domain is listed in
 *       trust-authres-domain.
 * Neither From alone nor the token alone is enough.
 */

enum agent_verdict {
	AGENT_NOT_AGENT,	/* From is no agent's address */
	AGENT_AUTOMATIC,	/* From is an agent, the mail is automatic
				   (classify_auto()): store, never relay,
				   run no command */
	AGENT_UNVERIFIED,	/* From is an agent, the checks fail: an
				   internal note "unverified agent mail" */
	AGENT_VERIFIED_TOKEN,	/* (a) */
	AGENT_VERIFIED_AUTHRES,	/* (b) */
};

/*
 * The verdict for m; *agent is the agent whose address From is (NULL
 * for AGENT_NOT_AGENT), pointing into the config.  Automatic mail is
 * AGENT_AUTOMATIC whatever its evidence.  Same as agent_identify_env()
 * with an unknown envelope sender.
 */
enum agent_verdict agent_identify(const struct conf *, const struct msg *m,
		    const struct conf_agent **agent, bool token_for_agent);

/* The same, with the envelope sender (NULL when unknown, "" for the null
 * sender, which makes the mail automatic). */
enum agent_verdict agent_identify_env(const struct conf *,
		    const struct msg *m, const char *envelope_from,
		    const struct conf_agent **agent, bool token_for_agent);

/* "not-agent", "automatic", "unverified", "verified-token",
 * "verified-authres" (static), for events and logs. */
const char	*agent_verdict_name(enum agent_verdict);

/* Would (b) hold for agent ag?  Returns the method that passed ("dkim",
 * "dmarc", static) or NULL; for the audit trail. */
const char	*agent_authres_pass(const struct conf *, const struct msg *m,
		    const struct conf_agent *ag);

#endif

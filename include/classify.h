/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_CLASSIFY_H
#define POSTDESK_CLASSIFY_H

#include <stdbool.h>

#include "conf.h"
#include "msg.h"
#include "token.h"

/*
 * Is a message automatic (RFC 3834)?  Returns NULL for mail written by
 * a person, else a static reason for the audit trail ("auto-submitted:
 * auto-replied", "precedence: bulk", "list-id", "null sender", ...).
 * envelope_from: NULL when unknown (IMAP), "" for the null sender.
 */
const char	*classify_auto(const struct msg *, const char *envelope_from);

/*
 * Is a message our own mail coming back (a forward, a redirect, a
 * mailbox rule)?  Our address in any X-Loop header, our signed
 * Message-ID as its Message-ID, or one of our addresses as From:
 * whatever else a forwarder stripped (Auto-Submitted, Precedence).
 * NULL, or a static reason.
 */
const char	*classify_own(const struct msg *, const struct conf *,
		    const struct token_keys *);

/* True for MAILER-DAEMON, postmaster and noreply-like local parts. */
bool		 classify_is_robot_address(const char *address);

#endif

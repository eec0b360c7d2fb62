/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_CLASSIFY_H
#define POSTDESK_CLASSIFY_H

#include <stdbool.h>

#include "msg.h"

/*
 * Is a message automatic (RFC 3834)?  Returns NULL for mail written by
 * a person, else a static reason for the audit trail ("auto-submitted:
 * auto-replied", "precedence: bulk", "list-id", "null sender", ...).
 * envelope_from: NULL when unknown (IMAP), "" for the null sender.
 */
const char	*classify_auto(const struct msg *, const char *envelope_from);

/* True for MAILER-DAEMON, postmaster and noreply-like local parts. */
bool		 classify_is_robot_address(const char *address);

#endif

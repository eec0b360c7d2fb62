/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_AUTHRES_H
#define POSTDESK_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

/*
 * Authentication-Results (RFC 8601):
 *
 *   authserv-id [version] ; method[/version]=result [reason=value]
 *       [ptype.property=value]... ; ...      or   authserv-id ; none
 *
 * with comments and folding white space (CFWS) anywhere between tokens
 * and values that are tokens or quoted strings.  A bare "key=value"
 * without a ptype (Microsoft writes "action=none") is kept as a
 * property with ptype "".  Anything else is malformed.
 *
 * Trust: a header of that name can come from anyone.  Only the headers
 * our own MTA added count, and those stand above the first Received
 * line in the message: every header the sender wrote, forged
 * Authentication-Results included, comes below the Received line our
 * MTA prepended when it accepted the message (RFC 8601, section 7.1).
 */

struct authres_prop {
	char	*ptype;		/* lower case: "smtp", "header", "policy";
				   "" for a bare key=value */
	char	*property;	/* lower case: "mailfrom", "d", "from" */
	char	*value;		/* as written, quotes and comments gone */
};

struct authres_entry {
	char	*method;	/* lower case: "spf", "dkim", "dmarc" */
	char	*version;	/* the method version ("dkim/1"), "" */
	char	*result;	/* lower case: "pass", "fail", ... */
	char	*reason;	/* reason=, "" when none */
	char	*domain;	/* lower case: header.d, header.from or
				   smtp.mailfrom's domain, the first of
				   them written; "" when none */
	struct authres_prop *props;	/* in order */
	size_t	 nprops;
};

struct authres {
	char	*authserv_id;	/* as written, unquoted */
	char	*version;	/* "" when none */
	bool	 none;		/* "; none": no method was applied */
	struct authres_entry *v;
	size_t	 n;
};

/* Parse one header value (unfolded).  0, or -1 when it is not
 * Authentication-Results syntax; out is empty then.  authres_clear()
 * frees what out holds; clearing an empty one is a no-op. */
int	 authres_parse(const char *value, struct authres *out);
void	 authres_clear(struct authres *);

/*
 * The results our own MTA wrote into m: every Authentication-Results
 * header above the first Received header whose authserv-id is
 * trusted_id (ASCII case-insensitive), parsed and merged into out in
 * header order (authserv_id and version from the topmost).  Headers
 * below a Received line, with another authserv-id or malformed are
 * ignored.  0, or -1 when none counts (or trusted_id is NULL or "");
 * out is empty then.
 */
int	 authres_trusted(const struct msg *m, const char *trusted_id,
	    struct authres *out);

/*
 * The same for an MTA that writes its own Received line(s) above its
 * Authentication-Results (OpenDKIM and OpenDMARC behind Postfix insert
 * theirs below Postfix's Received line): the headers above the
 * (own_received + 1)-th Received line count.  Safe only when the MTA
 * removes every Authentication-Results that arrives from outside: a
 * forged one right below our Received line is indistinguishable.
 * authres_trusted() is own_received 0.
 */
int	 authres_trusted_below(const struct msg *m, const char *trusted_id,
	    unsigned own_received, struct authres *out);

/* The first result for method ("spf"...) in a parsed header, or NULL. */
const char *authres_result(const struct authres *, const char *method);

/* The value of the first ptype.property (lower case names) of e, or
 * NULL. */
const char *authres_prop(const struct authres_entry *e, const char *ptype,
	    const char *property);

/*
 * Does a show an aligned pass for domain (ASCII case-insensitive):
 * dkim=pass with header.d equal to domain, or dmarc=pass with
 * header.from (old OpenDMARC: header.d) equal to domain?  Returns the method that passed ("dkim",
 * "dmarc", static) or NULL.  Subdomains do not align: sign with the
 * exact domain of the From address.
 */
const char *authres_aligned_pass(const struct authres *a,
	    const char *domain);

/*
 * The result ("pass", "fail", "none", ...) of the first dmarc entry of a
 * for domain (header.from, or header.d without header.from), in header
 * order, so the topmost header's; NULL when none.  A dmarc entry that
 * names no domain counts when it is no pass: DMARC judges the From
 * domain, but only a named domain is an aligned pass.
 */
const char *authres_dmarc_result(const struct authres *a,
	    const char *domain);

#endif

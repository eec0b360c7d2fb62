/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_AUTHRES_H
#define POSTDESK_AUTHRES_H

#include <stddef.h>

#include "msg.h"

/*
 * Authentication-Results (RFC 8601): "authserv-id [version];
 * method=result [reason=...] [ptype.property=value]...; ...", with
 * (comments) anywhere.  Only the topmost header counts, and only when
 * its authserv-id is the one our MTA writes: anything below it may come
 * from the sender.
 */

struct authres_entry {
	char	*method;	/* lower case: "spf", "dkim", "dmarc" */
	char	*result;	/* lower case: "pass", "fail", ... */
	char	*domain;	/* header.d, header.from or smtp.mailfrom's
				   domain; "" when none */
};

struct authres {
	char			*authserv_id;
	struct authres_entry	*v;
	size_t			 n;
};

/* Parse one header value; -1 when it is not Authentication-Results
 * syntax (out is then empty). */
int	 authres_parse(const char *value, struct authres *out);
void	 authres_clear(struct authres *);

/*
 * The topmost Authentication-Results of m, parsed, when its authserv-id
 * is trusted_id (case-insensitive); -1 otherwise (no header, another
 * authserv-id, malformed, or trusted_id NULL).
 */
int	 authres_trusted(const struct msg *m, const char *trusted_id,
	    struct authres *out);

/* The first result for method ("spf"...) in a parsed header, or NULL. */
const char *authres_result(const struct authres *, const char *method);

#endif

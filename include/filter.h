/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_FILTER_H
#define POSTDESK_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "msg.h"
#include "sieve.h"

/*
 * Filter rules: the Sieve files that the configuration names ("filter
 * FILE" at the top level and in queue blocks), compiled once per
 * process, and run on one message at a time.
 *
 * A message runs the top-level files first, in the order the
 * configuration names them, then the files of its queue, all on one
 * result: a "stop" ends the whole run, the implicit keep is shared.  A
 * file named twice is compiled once.
 */

struct filter_set;

/*
 * Compile every rule file conf names, and check the names in their
 * actions against it (queue: a queue; assign: an agent).  Returns the
 * set (empty when conf names no file), or NULL when there was any
 * error: every error is appended to diag ("FILE:LINE:COL: message";
 * "CONF:LINE: filter \"NAME\": reason" for a file that cannot be read).
 * A set with an error must never run half: deliver answers 75.
 */
struct filter_set *filter_load(const struct conf *conf,
		    struct conf_diag *diag);

/* The same for rule files named on a command line, run in that order
 * as if named at the top level.  conf may be NULL: then action names
 * are not checked. */
struct filter_set *filter_load_files(const char *const *paths, size_t n,
		    const struct conf *conf, struct conf_diag *diag);
void		 filter_free(struct filter_set *);
/* Number of rule files (compiled scripts) in the set. */
size_t		 filter_count(const struct filter_set *);

/* The view of one message for the rules; nothing is copied. */
void		 filter_view(struct sieve_view *, const struct msg *,
		    const char *env_from, const char *env_to, bool is_new);

/*
 * Run the top-level rules, then those of queue (NULL or "": none), on
 * view.  r must be sieve_result_init()ed; the caller clears it.
 * Returns 0, or -1 on a runtime failure: then r holds only the implicit
 * keep and r->error names the rule that failed ("FILE:LINE:COL: step
 * budget exceeded") -- log it and record it on the ticket, and treat the
 * message as if no rule had matched.  sieve_result_disposition() says
 * whether to keep, discard or reject it.
 */
int		 filter_run(const struct filter_set *, const char *queue,
		    const struct sieve_view *view, struct sieve_result *r);

/* One action as a line of text, the form events record and replay
 * compares: `queue "billing"`, `noack`.  The caller frees it. */
char		*filter_action_text(const struct sieve_action *);
/* Its rule: "FILE:LINE".  The caller frees it. */
char		*filter_action_rule(const struct sieve_action *);

#endif

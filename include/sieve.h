/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_SIEVE_H
#define POSTDESK_SIEVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "msg.h"

/*
 * Sieve (RFC 5228) for filter rules: a lexer (sieve-lex.c), a
 * recursive-descent parser to a syntax tree (sieve-parse.c), a validator
 * that checks it and compiles it to a typed tree with its regexes
 * (sieve-valid.c), and a pure evaluator (sieve-eval.c): a read-only view
 * of one message in, an ordered list of actions out, no I/O.
 *
 * The language: require, if/elsif/else, stop, keep, discard; the tests
 * address, header, envelope, exists, size, allof, anyof, not, true,
 * false and body (RFC 5173, over the decoded body text); match types
 * :is, :contains, :matches, :regex; comparators i;ascii-casemap (the
 * default) and i;octet; address parts :all, :localpart, :domain.
 * Extensions: "envelope", "body", "regex", "reject" and "vnd.postdesk"
 * (queue, priority, assign, addtag, status, noack, reply, notify,
 * reject and the test "new").  See FILTER RULES in postdesk.conf(5).
 */

enum sieve_action_kind {
	SIEVE_ACT_KEEP,
	SIEVE_ACT_DISCARD,	/* no ticket, nothing sent; stored raw */
	SIEVE_ACT_REJECT,	/* refuse: deliver 65, LMTP 550, arg */
	SIEVE_ACT_QUEUE,	/* arg: a queue name */
	SIEVE_ACT_PRIORITY,	/* arg: low normal high urgent */
	SIEVE_ACT_ASSIGN,	/* arg: an agent (address or handle) */
	SIEVE_ACT_ADDTAG,	/* arg: a tag */
	SIEVE_ACT_STATUS,	/* arg: new open pending resolved closed */
	SIEVE_ACT_NOACK,	/* no acknowledgement */
	SIEVE_ACT_REPLY,	/* arg: a template name */
	SIEVE_ACT_NOTIFY,	/* arg: an address */
};

/* An action and the rule that gave it.  Strings are borrowed from the
 * compiled script: valid while it lives. */
struct sieve_action {
	enum sieve_action_kind	 kind;
	const char		*arg;	/* NULL for keep, discard, noack */
	const char		*file;	/* the script's name */
	unsigned		 line, col;
};

/* The command name: "queue", "discard", ... */
const char	*sieve_action_name(enum sieve_action_kind);

/*
 * What a script sees of one message.  msg gives the header (decoded
 * values), the From/To/Cc/Reply-To addresses, body_text and raw_len
 * (the size test).  env_from is the envelope sender ("" the null
 * sender, NULL unknown), env_to the envelope recipient (NULL unknown);
 * is_new: the message opens a ticket (the test "new").
 */
struct sieve_view {
	const struct msg	*msg;
	const char		*env_from;
	const char		*env_to;
	bool			 is_new;
};

struct sieve_script;

/*
 * Compile text (len bytes; NUL bytes are an error) named name in
 * messages.  Returns the script, or NULL when there was any error: every
 * error found is appended to diag as "NAME:LINE:COL: message" (with
 * diag NULL they are dropped).  Regexes are compiled here, once.  Free
 * with sieve_free().
 */
struct sieve_script *sieve_compile(const char *name, const char *text,
		    size_t len, struct conf_diag *diag);
void		 sieve_free(struct sieve_script *);
const char	*sieve_name(const struct sieve_script *);

/* Every action command in the script, in source order (for checks
 * against the configuration: queue names, agents). */
const struct sieve_action *sieve_script_actions(const struct sieve_script *,
		    size_t *n);

/*
 * The result of running one or more scripts on one message.  Actions
 * come in the order they ran; an exact repeat (same action, same
 * argument) is dropped.  implicit_keep starts true; keep, discard and
 * reject cancel it (RFC 5228 2.10.2).  A runtime failure (step budget,
 * regex match limit, reject with keep) empties the actions, sets
 * implicit_keep and error ("NAME:LINE:COL: message", the rule that
 * failed): the message is kept as if there were no rules.
 */
struct sieve_result {
	struct sieve_action	*actions;
	size_t			 nactions;
	bool			 implicit_keep;
	bool			 stopped;	/* "stop" ran */
	uint64_t		 steps;		/* spent so far */
	uint64_t		 budget;	/* 0 = SIEVE_DEFAULT_BUDGET */
	char			*error;
};

/* Steps: a command or test is one, a comparison one more per 256 bytes
 * compared (regexes more). */
#define SIEVE_DEFAULT_BUDGET	1000000
/* Longer values are compared on their first SIEVE_SUBJECT_MAX bytes,
 * by :regex on their first SIEVE_REGEX_SUBJECT_MAX. */
#define SIEVE_SUBJECT_MAX	(1024 * 1024)
#define SIEVE_REGEX_SUBJECT_MAX	(64 * 1024)
/* PCRE's match limit for :regex (its default is 10000000): a
 * pathological expression fails after about 10 ms, not seconds. */
#define SIEVE_REGEX_MATCH_LIMIT	100000

void		 sieve_result_init(struct sieve_result *);
void		 sieve_result_clear(struct sieve_result *);

/*
 * Run script on view, adding to r (several scripts run in turn on one
 * result; after "stop" or a failure the next ones do nothing).
 * Returns 0, or -1 on a runtime failure (r says which).
 */
int		 sieve_eval(const struct sieve_script *,
		    const struct sieve_view *, struct sieve_result *r);

enum sieve_disposition {
	SIEVE_DISP_KEEP,	/* make or update the ticket */
	SIEVE_DISP_DISCARD,	/* no ticket, nothing sent (quarantine) */
	SIEVE_DISP_REJECT,	/* refuse with the reject action's text */
};

/* What happens to the message: reject when a reject ran (*reject, may
 * be NULL, is it), else keep when implicit_keep or a keep ran, else
 * discard. */
enum sieve_disposition sieve_result_disposition(const struct sieve_result *,
		    const struct sieve_action **reject);
const char	*sieve_disposition_name(enum sieve_disposition);

#endif

/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_AGENTCMD_H
#define POSTDESK_AGENTCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/*
 * Commands on the first lines of a (verified) agent's mail:
 *
 *   #status new|open|pending|resolved|closed   #priority low|normal|high|urgent
 *   #assign AGENT|me    #queue NAME    #tag T...    #untag T...
 *   #escalate    #merge N    #comment
 *   #cc add ADDR...    #cc remove ADDR...
 *
 * Command lines are the first non-blank lines that start with '#' and a
 * letter; blank lines between them are allowed.  The first other line
 * ends them ("#1", "##- ... -##" and "# heading" are text).  Names and
 * values are case-insensitive; #tag and #untag take one tag or more.
 * Pure: no I/O, the config only in agentcmd_check().
 */

enum agentcmd_kind {
	AGENTCMD_STATUS,
	AGENTCMD_ASSIGN,
	AGENTCMD_PRIORITY,
	AGENTCMD_QUEUE,
	AGENTCMD_TAG,
	AGENTCMD_UNTAG,
	AGENTCMD_ESCALATE,
	AGENTCMD_MERGE,
	AGENTCMD_COMMENT,
	AGENTCMD_CC_ADD,	/* one per address */
	AGENTCMD_CC_REMOVE,
};

struct agentcmd {
	enum agentcmd_kind kind;
	char		*arg;		/* status and priority: the lower-case
					   name; assign: "me" or as written;
					   queue, tag: as written; merge: the
					   number in decimal; cc: the address;
					   "" for none */
	unsigned	 line;		/* 1-based line in the body */
	const struct conf_agent *agent;	/* assign, set by agentcmd_check() */
	const struct conf_queue *queue;	/* queue, set by agentcmd_check() */
};

struct agentcmd_error {
	unsigned	 line;		/* 1-based */
	char		*text;		/* the line, trimmed */
	char		*why;		/* "unknown status \"solved\"" */
};

struct agentcmd_list {
	struct agentcmd	*v;		/* valid commands, in order */
	size_t		 n;
	struct agentcmd_error *errors;	/* agentcmd_parse()'s in line order,
					   then agentcmd_check()'s */
	size_t		 nerrors;
	char		*body;		/* body from the first line after the
					   commands and the blank lines after
					   them; a copy of body when there is
					   no command */
};

/*
 * Parse body's leading command lines into out (agentcmd_clear() frees
 * it, also after -1).  0 when every command line is valid; -1 when
 * out->errors holds at least one error (unknown command, missing, extra
 * or bad argument, a single-valued command given twice).  The valid
 * ones are in out->v either way: the caller applies none of them when
 * there is an error.
 */
int		 agentcmd_parse(const char *body, struct agentcmd_list *out);

/*
 * Check the arguments against the config: #assign names an agent
 * (conf_agent_find(): address, handle or unambiguous local part; "me"
 * is self, which may be NULL when unknown), #queue a queue (exact name,
 * else ASCII case-insensitive).  Sets cmd->agent and cmd->queue, adds
 * errors to l.  0, or -1 when l has any error (also an earlier one).
 */
int		 agentcmd_check(struct agentcmd_list *l, const struct conf *,
		    const struct conf_agent *self);

void		 agentcmd_clear(struct agentcmd_list *);

/* "status", "assign", ..., "cc add", "cc remove" (static). */
const char	*agentcmd_kind_name(enum agentcmd_kind);

/* Is a command of that kind in l? */
bool		 agentcmd_has(const struct agentcmd_list *,
		    enum agentcmd_kind);

/* The errors for the agent's error mail, one per line:
 * "line 1: #status solved: unknown status \"solved\"\n".  g_free(). */
char		*agentcmd_errors_text(const struct agentcmd_list *);

#endif

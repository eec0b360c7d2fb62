/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "agentcmd.h"

#define MERGE_DIGITS	18	/* a ticket number fits int64_t */

enum arg_count {
	ARG_NONE,
	ARG_ONE,
	ARG_MANY,
};

struct command {
	const char	*name;
	enum agentcmd_kind kind;
	enum arg_count	 args;
	const char *const *values;	/* the allowed values; NULL = any */
	const char	*noun;		/* what the argument is: "a status" */
	bool		 once;		/* a second one is an error */
};

static const char *const statuses[] = {
	"new", "open", "pending", "resolved", "closed", NULL,
};

static const char *const priorities[] = {
	"low", "normal", "high", "urgent", NULL,
};

static const struct command commands[] = {
	{ "status", AGENTCMD_STATUS, ARG_ONE, statuses, "a status", true },
	{ "assign", AGENTCMD_ASSIGN, ARG_ONE, NULL, "an agent or \"me\"", true },
	{ "priority", AGENTCMD_PRIORITY, ARG_ONE, priorities, "a priority",
	    true },
	{ "queue", AGENTCMD_QUEUE, ARG_ONE, NULL, "a queue", true },
	{ "tag", AGENTCMD_TAG, ARG_MANY, NULL, "a tag", false },
	{ "untag", AGENTCMD_UNTAG, ARG_MANY, NULL, "a tag", false },
	{ "escalate", AGENTCMD_ESCALATE, ARG_NONE, NULL, NULL, false },
	{ "merge", AGENTCMD_MERGE, ARG_ONE, NULL, "a ticket number", true },
	{ "comment", AGENTCMD_COMMENT, ARG_NONE, NULL, NULL, false },
	{ "cc", AGENTCMD_CC_ADD, ARG_MANY, NULL, "add or remove and an "
	    "address", false },
};

const char *
agentcmd_kind_name(enum agentcmd_kind kind)
{
	if (kind == AGENTCMD_CC_ADD)
		return "cc add";
	if (kind == AGENTCMD_CC_REMOVE)
		return "cc remove";
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (commands[i].kind == kind)
			return commands[i].name;
	return "unknown";
}

static void G_GNUC_PRINTF(4, 5)
add_error(struct agentcmd_list *l, unsigned line, const char *text,
    const char *fmt, ...)
{
	struct agentcmd_error e = { .line = line, .text = g_strdup(text) };
	va_list ap;

	va_start(ap, fmt);
	e.why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	l->errors = g_renew(struct agentcmd_error, l->errors, l->nerrors + 1);
	l->errors[l->nerrors++] = e;
}

static void
add(struct agentcmd_list *l, enum agentcmd_kind kind, char *arg,
    unsigned line)
{
	l->v = g_renew(struct agentcmd, l->v, l->n + 1);
	l->v[l->n++] = (struct agentcmd){ .kind = kind, .arg = arg,
	    .line = line };
}

static const struct agentcmd *
find_kind(const struct agentcmd_list *l, enum agentcmd_kind kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == kind)
			return &l->v[i];
	return NULL;
}

bool
agentcmd_has(const struct agentcmd_list *l, enum agentcmd_kind kind)
{
	return find_kind(l, kind) != NULL;
}

/* "123" or "#123" to a canonical decimal string; NULL when it is no
 * ticket number. */
static char *
ticket_number(const char *s)
{
	if (*s == '#')
		s++;
	if (*s == '\0' || strlen(s) > MERGE_DIGITS ||
	    strspn(s, "0123456789") != strlen(s) || strtoll(s, NULL, 10) <= 0)
		return NULL;
	return g_strdup_printf("%lld", strtoll(s, NULL, 10));
}

/* The argument for one value of a command, or NULL after an error. */
static char *
value(struct agentcmd_list *l, const struct command *c, const char *v,
    unsigned line, const char *text)
{
	char *low = g_ascii_strdown(v, -1), *num;

	if (c->values != NULL) {
		for (const char *const *a = c->values; *a != NULL; a++)
			if (strcmp(low, *a) == 0)
				return low;
		add_error(l, line, text, "unknown %s \"%s\"", c->name, v);
	} else if (c->kind == AGENTCMD_MERGE) {
		if ((num = ticket_number(v)) != NULL) {
			g_free(low);
			return num;
		}
		add_error(l, line, text, "bad ticket number \"%s\"", v);
	} else if (c->kind == AGENTCMD_ASSIGN && strcmp(low, "me") == 0)
		return low;
	else {
		g_free(low);
		return g_strdup(v);
	}
	g_free(low);
	return NULL;
}

/* Does the command take that many arguments?  Else an error. */
static bool
count_ok(struct agentcmd_list *l, const struct command *c, char **args,
    unsigned line, const char *text)
{
	guint n = g_strv_length(args);
	char *rest;

	if (c->args == ARG_NONE && n > 0)
		add_error(l, line, text, "#%s takes no argument", c->name);
	else if (c->args != ARG_NONE && n == 0)
		add_error(l, line, text, "#%s needs %s", c->name, c->noun);
	else if (c->args == ARG_ONE && n > 1) {
		rest = g_strjoinv(" ", args);
		add_error(l, line, text, "#%s takes one value, not \"%s\"",
		    c->name, rest);
		g_free(rest);
	} else
		return true;
	return false;
}

/* Words of s split at white space, without empty ones. */
static char **
words(const char *s)
{
	char **w = g_strsplit_set(s, " \t", -1);
	size_t j = 0;

	for (size_t i = 0; w[i] != NULL; i++) {
		if (*w[i] == '\0')
			g_free(w[i]);
		else
			w[j++] = w[i];
	}
	w[j] = NULL;
	return w;
}

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (g_ascii_strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* "#cc add ADDR..." or "#cc remove ADDR...": w[0] is "cc". */
static void
cc_command(struct agentcmd_list *l, char **w, unsigned line,
    const char *text)
{
	enum agentcmd_kind kind;

	if (w[1] != NULL && g_ascii_strcasecmp(w[1], "add") == 0)
		kind = AGENTCMD_CC_ADD;
	else if (w[1] != NULL && g_ascii_strcasecmp(w[1], "remove") == 0)
		kind = AGENTCMD_CC_REMOVE;
	else {
		add_error(l, line, text, "#cc needs add or remove");
		return;
	}
	if (w[2] == NULL)
		add_error(l, line, text, "#cc %s needs an address", w[1]);
	for (size_t i = 2; w[i] != NULL; i++) {
		const char *at = strrchr(w[i], '@');

		if (at == NULL || at == w[i] || at[1] == '\0' ||
		    strpbrk(w[i], "<>,;\"") != NULL)
			add_error(l, line, text, "bad address \"%s\"", w[i]);
		else
			add(l, kind, g_strdup(w[i]), line);
	}
}

/* One command line (trimmed, starting with '#'). */
static void
command(struct agentcmd_list *l, const char *text, unsigned line)
{
	char **w = words(text + 1), *arg;
	const struct command *c = command_find(w[0]);
	const struct agentcmd *prev;

	if (c == NULL)
		add_error(l, line, text, "unknown command \"#%s\"", w[0]);
	else if (c->kind == AGENTCMD_CC_ADD)
		cc_command(l, w, line, text);
	else if (c->once && (prev = find_kind(l, c->kind)) != NULL)
		add_error(l, line, text, "#%s given twice (also on line %u)",
		    c->name, prev->line);
	else if (count_ok(l, c, w + 1, line, text)) {
		if (c->args == ARG_NONE)
			add(l, c->kind, g_strdup(""), line);
		for (size_t i = 1; c->args != ARG_NONE && w[i] != NULL; i++)
			if ((arg = value(l, c, w[i], line, text)) != NULL)
				add(l, c->kind, arg, line);
	}
	g_strfreev(w);
}

static bool
is_command(const char *text)
{
	return text[0] == '#' && g_ascii_isalpha(text[1]);
}

int
agentcmd_parse(const char *body, struct agentcmd_list *out)
{
	const char *p = body, *eol;
	unsigned line = 0;
	bool any = false;
	char *text;

	*out = (struct agentcmd_list){ 0 };
	for (; *p != '\0'; p = eol != NULL ? eol + 1 : p + strlen(p)) {
		eol = strchr(p, '\n');
		text = g_strstrip(g_strndup(p, eol != NULL ? (size_t)(eol - p) :
		    strlen(p)));
		line++;
		if (*text != '\0' && !is_command(text)) {
			g_free(text);
			break;
		}
		if (*text != '\0') {
			command(out, text, line);
			any = true;
		}
		g_free(text);
	}
	out->body = g_strdup(any ? p : body);
	return out->nerrors == 0 ? 0 : -1;
}

static const struct conf_queue *
queue_find(const struct conf *cf, const char *name)
{
	const struct conf_queue *q = conf_queue_by_name(cf, name);

	for (size_t i = 0; q == NULL && i < cf->nqueues; i++)
		if (g_ascii_strcasecmp(cf->queues[i].name, name) == 0)
			q = &cf->queues[i];
	return q;
}

int
agentcmd_check(struct agentcmd_list *l, const struct conf *cf,
    const struct conf_agent *self)
{
	for (size_t i = 0; i < l->n; i++) {
		struct agentcmd *c = &l->v[i];
		char *text = g_strdup_printf("#%s %s",
		    agentcmd_kind_name(c->kind), c->arg);

		if (c->kind == AGENTCMD_ASSIGN && strcmp(c->arg, "me") == 0) {
			if ((c->agent = self) == NULL)
				add_error(l, c->line, text, "the sender is no "
				    "agent");
		} else if (c->kind == AGENTCMD_ASSIGN) {
			if ((c->agent = conf_agent_find(cf, c->arg)) == NULL)
				add_error(l, c->line, text,
				    "unknown agent \"%s\"", c->arg);
		} else if (c->kind == AGENTCMD_QUEUE &&
		    (c->queue = queue_find(cf, c->arg)) == NULL)
			add_error(l, c->line, text, "unknown queue \"%s\"",
			    c->arg);
		g_free(text);
	}
	return l->nerrors == 0 ? 0 : -1;
}

void
agentcmd_clear(struct agentcmd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		g_free(l->v[i].arg);
	g_free(l->v);
	for (size_t i = 0; i < l->nerrors; i++) {
		g_free(l->errors[i].text);
		g_free(l->errors[i].why);
	}
	g_free(l->errors);
	g_free(l->body);
	*l = (struct agentcmd_list){ 0 };
}

char *
agentcmd_errors_text(const struct agentcmd_list *l)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < l->nerrors; i++)
		g_string_append_printf(s, "line %u: %s: %s\n",
		    l->errors[i].line, l->errors[i].text, l->errors[i].why);
	return g_string_free(s, FALSE);
}

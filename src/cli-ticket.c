/* SPDX-License-Identifier: ISC */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "jout.h"
#include "msg.h"
#include "store.h"

#define EX_NOTFOUND	1	/* no such ticket */
#define MAX_ARGS	3

struct opts {
	const char	*status;	/* --status, NULL = any */
	const char	*queue;		/* --queue, NULL = any */
	bool		 json;
	const char	*args[MAX_ARGS];
	size_t		 nargs;
};

struct ctx {
	struct opts	 o;
	struct conf	*conf;
	struct store	*store;
	char		*actor;		/* "admin:LOGIN" */
};

struct subcommand {
	const char	*name;
	int		(*run)(struct ctx *);
	size_t		 min_args, max_args;
	bool		 filters;	/* --status, --queue */
	const char	*help;
};

static int	cmd_list(struct ctx *);
static int	cmd_show(struct ctx *);
static int	cmd_search(struct ctx *);
static int	cmd_set(struct ctx *);

static const struct subcommand subcommands[] = {
	{ "list", cmd_list, 0, 0, true,
	    "usage: postdesk [-c FILE] ticket list [--status S] [--queue Q] "
	    "[--json]\n"
	    "  List tickets, the most recently updated first: all of them,\n"
	    "  or those with status S (new, open, pending, resolved, "
	    "closed)\n"
	    "  and/or in queue Q.\n" },
	{ "show", cmd_show, 1, 1, false,
	    "usage: postdesk [-c FILE] ticket show N [--json]\n"
	    "  Show ticket N: its fields, participants, proposed participants\n"
	    "  (who get no mail until an agent adds them), messages (oldest\n"
	    "  first) and the audit trail of events.\n" },
	{ "search", cmd_search, 1, 1, true,
	    "usage: postdesk [-c FILE] ticket search QUERY [--status S] "
	    "[--queue Q] [--json]\n"
	    "  List the tickets having a message whose subject or body\n"
	    "  matches QUERY, an SQLite FTS5 query: words (all must occur),\n"
	    "  \"a phrase\", OR, NOT, prefix*.  Output as for list.\n" },
	{ "set", cmd_set, 3, 3, false,
	    "usage: postdesk [-c FILE] ticket set N FIELD VALUE\n"
	    "  Change one field of ticket N and record who did it:\n"
	    "    status    new, open, pending, resolved, closed\n"
	    "    priority  low, normal, high, urgent\n"
	    "    queue     a queue of the configuration\n"
	    "    assignee  an agent (address, handle or local part);\n"
	    "              \"\" or none clears it\n"
	    "    language  a two-letter code (en, bg, ...)\n" },
};

static const char exit_help[] =
    "exit status: 0 done, 1 no such ticket, 64 usage, 65 bad value,\n"
    "66 cannot open the database, 70 database error, 75 database busy\n"
    "(try again), 78 configuration error.\n";

static void
usage(FILE *fp, const struct subcommand *sub)
{
	if (sub != NULL) {
		fprintf(fp, "%s%s\n%s", sub->help, sub->run == cmd_set ? "" :
		    "  --json prints JSON (see postdesk(1)).\n", exit_help);
		return;
	}
	fprintf(fp, "usage: postdesk [-c FILE] ticket list|show|search|set "
	    "...\n\n");
	for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
		fprintf(fp, "%s\n", subcommands[i].help);
	fprintf(fp, "%s", exit_help);
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL if not. */
static const char *
opt_value(int argc, char **argv, int *i, const char *name, bool *bad)
{
	size_t len = strlen(name);

	if (strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "postdesk: ticket: %s needs a value\n", name);
		*bad = true;
		return NULL;
	}
	return argv[++*i];
}

static int
parse_opts(int argc, char **argv, const struct subcommand *sub,
    struct opts *o)
{
	bool bad = false, dashdash = false;
	const char *v;

	for (int i = 2; i < argc && !bad; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0') {
			if (o->nargs == sub->max_args) {
				fprintf(stderr, "postdesk: ticket %s: too many "
				    "arguments\n", sub->name);
				return -1;
			}
			o->args[o->nargs++] = argv[i];
		} else if (strcmp(argv[i], "--") == 0)
			dashdash = true;
		else if (strcmp(argv[i], "--json") == 0 && sub->run != cmd_set)
			o->json = true;
		else if (sub->filters && (v = opt_value(argc, argv, &i,
		    "--status", &bad)) != NULL)
			o->status = v;
		else if (sub->filters && (v = opt_value(argc, argv, &i,
		    "--queue", &bad)) != NULL)
			o->queue = v;
		else if (!bad) {
			fprintf(stderr, "postdesk: ticket %s: unknown option "
			    "%s\n", sub->name, argv[i]);
			return -1;
		}
	}
	if (bad || o->nargs < sub->min_args) {
		if (!bad)
			fprintf(stderr, "postdesk: ticket %s: missing "
			    "arguments\n", sub->name);
		return -1;
	}
	return 0;
}

/* ---- output helpers ---- */

static struct jout *
ref_json(int64_t v)
{
	return v > 0 ? jout_int(v) : jout_null();
}

static struct jout *
ticket_json(const struct store_ticket *t)
{
	struct jout *o = jout_obj();

	jout_set(o, "number", jout_int(t->number));
	jout_set(o, "subject", jout_str(t->subject));
	jout_set(o, "status", jout_str(store_status_name(t->status)));
	jout_set(o, "queue", jout_str(t->queue));
	jout_set(o, "priority", jout_str(t->priority));
	jout_set(o, "requester", jout_str(t->requester));
	jout_set(o, "assignee", jout_str(t->assignee));
	jout_set(o, "message_count", jout_int(t->message_count));
	jout_set(o, "created", cli_time_json(t->created));
	jout_set(o, "updated", cli_time_json(t->updated));
	return o;
}

static void
print_json(struct jout *j)
{
	char *s = jout_dump(j);

	fputs(s, stdout);
	g_free(s);
	jout_free(j);
}

static int
width(int w, const char *s)
{
	int len = (int)g_utf8_strlen(s, -1);

	return len > w ? len : w;
}

static void
print_table(const struct store_ticket *v, size_t n)
{
	int wq = 5, wr = 9;
	char buf[32];

	for (size_t i = 0; i < n; i++) {
		wq = width(wq, v[i].queue);
		wr = width(wr, v[i].requester);
	}
	printf("%6s  %-8s  %-8s  %-*s  %4s  %-20s  %-*s  %s\n", "NUMBER",
	    "STATUS", "PRIORITY", wq, "QUEUE", "MSGS", "UPDATED", wr,
	    "REQUESTER", "SUBJECT");
	for (size_t i = 0; i < n; i++) {
		cli_rfc3339(v[i].updated, buf, sizeof(buf));
		printf("%6lld  %-8s  %-8s  %-*s  %4lld  %-20s  %-*s  %s\n",
		    (long long)v[i].number, store_status_name(v[i].status),
		    v[i].priority, wq, v[i].queue,
		    (long long)v[i].message_count, buf, wr, v[i].requester,
		    v[i].subject);
	}
}

/* ---- store access ---- */

static int
store_error(struct ctx *c)
{
	if (store_is_busy(c->store)) {
		fprintf(stderr, "postdesk: database busy, try again later\n");
		return EX_TEMPFAIL;
	}
	return EX_SOFTWARE;
}

static int
open_store(struct ctx *c)
{
	c->store = store_open(c->conf->database, STORE_OPEN,
	    c->conf->limits.busy_timeout);
	return c->store != NULL ? EX_OK : EX_NOINPUT;
}

static int
parse_number(const char *s, int64_t *n)
{
	char *end;
	long long v;

	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "postdesk: ticket \"%s\": not a ticket number\n",
		    s);
		return -1;
	}
	*n = v;
	return 0;
}

static int
not_found(int64_t n)
{
	fprintf(stderr, "postdesk: ticket %lld: no such ticket\n",
	    (long long)n);
	return EX_NOTFOUND;
}

/* ---- list and search ---- */

static int
list_tickets(struct ctx *c, const char *query)
{
	struct store_filter f = { c->o.status, c->o.queue, query };
	struct store_ticket *v;
	struct jout *a;
	size_t n;
	int rc;

	if (c->o.status != NULL && store_status_parse(c->o.status) == -1) {
		fprintf(stderr, "postdesk: ticket: status \"%s\": not one of "
		    "new, open, pending, resolved, closed\n", c->o.status);
		return EX_DATAERR;
	}
	if ((rc = open_store(c)) != EX_OK)
		return rc;
	if (store_ticket_list(c->store, &f, &v, &n) == -1) {
		rc = store_error(c);
		return query != NULL && rc == EX_SOFTWARE ? EX_DATAERR : rc;
	}
	if (c->o.json) {
		a = jout_arr();
		for (size_t i = 0; i < n; i++)
			jout_push(a, ticket_json(&v[i]));
		print_json(a);
	} else
		print_table(v, n);
	store_tickets_free(v, n);
	return EX_OK;
}

static int
cmd_list(struct ctx *c)
{
	return list_tickets(c, NULL);
}

static int
cmd_search(struct ctx *c)
{
	return list_tickets(c, c->o.args[0]);
}

/* ---- show ---- */

static struct jout *
flags_json(unsigned flags)
{
	struct jout *a = jout_arr();
	const char *name;

	for (unsigned i = 0; i < MSG_F_COUNT; i++)
		if ((flags & (1u << i)) &&
		    (name = msg_flag_name(1u << i)) != NULL)
			jout_push(a, jout_str(name));
	return a;
}

static struct jout *
message_json(const struct store_msgrow *m)
{
	struct jout *o = jout_obj(), *from = jout_obj();

	jout_set(o, "id", jout_int(m->id));
	jout_set(o, "message_id", jout_str(m->message_id));
	jout_set(o, "direction", jout_str(m->direction == DIR_OUT ? "out" :
	    "in"));
	jout_set(o, "author", jout_str(store_author_name(m->author)));
	jout_set(from, "name", jout_str(m->from_name));
	jout_set(from, "address", jout_str(m->from_addr));
	jout_set(o, "from", from);
	jout_set(o, "subject", jout_str(m->subject));
	jout_set(o, "body_text", jout_str(m->body_text));
	jout_set(o, "flags", flags_json(m->flags));
	jout_set(o, "threaded_by", jout_str(m->threaded_by));
	return o;
}

static struct jout *
event_json(const struct store_event *e)
{
	struct jout *o = jout_obj();

	jout_set(o, "at", cli_time_json(e->at));
	jout_set(o, "actor", jout_str(e->actor));
	jout_set(o, "what", jout_str(e->what));
	jout_set(o, "old", jout_str(e->old));
	jout_set(o, "new", jout_str(e->new_));
	jout_set(o, "why", jout_str(e->why));
	jout_set(o, "message", ref_json(e->message));
	return o;
}

static struct jout *
full_json(const struct store_ticket_full *f)
{
	struct jout *o = ticket_json(&f->t), *a;

	jout_set(o, "language", jout_str(f->t.language));
	jout_set(o, "root_message_id", jout_str(f->t.root_id));
	jout_set(o, "merged_into", ref_json(f->t.merged_into));
	a = jout_arr();
	for (size_t i = 0; i < f->nmessages; i++)
		jout_push(a, message_json(&f->messages[i]));
	jout_set(o, "messages", a);
	a = jout_arr();
	for (size_t i = 0; i < f->nparticipants; i++) {
		struct jout *p = jout_obj();

		jout_set(p, "address", jout_str(f->participants[i].address));
		jout_set(p, "name", jout_str(f->participants[i].name));
		jout_set(p, "role", jout_str(store_role_name(
		    f->participants[i].role)));
		jout_push(a, p);
	}
	jout_set(o, "participants", a);
	a = jout_arr();
	for (size_t i = 0; i < f->nproposed; i++) {
		struct jout *p = jout_obj();

		jout_set(p, "address", jout_str(f->proposed[i].address));
		jout_set(p, "name", jout_str(f->proposed[i].name));
		jout_push(a, p);
	}
	jout_set(o, "proposed_participants", a);
	a = jout_arr();
	for (size_t i = 0; i < f->nevents; i++)
		jout_push(a, event_json(&f->events[i]));
	jout_set(o, "events", a);
	return o;
}

static const char *
or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static void
print_head(const struct store_ticket *t)
{
	char created[32], updated[32];

	cli_rfc3339(t->created, created, sizeof(created));
	cli_rfc3339(t->updated, updated, sizeof(updated));
	printf("Ticket %lld: %s\n", (long long)t->number, t->subject);
	printf("  status     %-22s priority   %s\n",
	    store_status_name(t->status), t->priority);
	printf("  queue      %-22s language   %s\n", or_dash(t->queue),
	    or_dash(t->language));
	printf("  requester  %s\n  assignee   %s\n", or_dash(t->requester),
	    or_dash(t->assignee));
	printf("  created    %-22s updated    %s\n", created, updated);
	if (t->merged_into > 0)
		printf("  merged into %lld\n", (long long)t->merged_into);
}

static void
print_message(const struct store_msgrow *m)
{
	char when[32];
	const char *name;

	cli_rfc3339(m->received, when, sizeof(when));
	printf("\n--- message %lld, %s, %s (%s), received %s\n",
	    (long long)m->id, m->direction == DIR_OUT ? "out" : "in",
	    store_author_name(m->author), or_dash(m->threaded_by), when);
	printf("From: %s <%s>\nSubject: %s\nMessage-ID: <%s>\n", m->from_name,
	    m->from_addr, m->subject, m->message_id);
	if (m->flags != 0) {
		printf("Flags:");
		for (unsigned i = 0; i < MSG_F_COUNT; i++)
			if ((m->flags & (1u << i)) &&
			    (name = msg_flag_name(1u << i)) != NULL)
				printf(" %s", name);
		printf("\n");
	}
	printf("\n%s%s", m->body_text, g_str_has_suffix(m->body_text, "\n") ?
	    "" : "\n");
}

static void
print_full(const struct store_ticket_full *f)
{
	char when[32];

	print_head(&f->t);
	printf("\nParticipants:\n");
	for (size_t i = 0; i < f->nparticipants; i++)
		printf("  %-10s %s <%s>\n",
		    store_role_name(f->participants[i].role),
		    f->participants[i].name, f->participants[i].address);
	if (f->nproposed > 0)
		printf("\nProposed participants (get no mail; an agent adds "
		    "one with \"#cc add ADDRESS\"):\n");
	for (size_t i = 0; i < f->nproposed; i++)
		printf("  %s <%s>\n", f->proposed[i].name,
		    f->proposed[i].address);
	printf("\nMessages: %zu\n", f->nmessages);
	for (size_t i = 0; i < f->nmessages; i++)
		print_message(&f->messages[i]);
	printf("\nEvents:\n");
	for (size_t i = 0; i < f->nevents; i++) {
		const struct store_event *e = &f->events[i];

		cli_rfc3339(e->at, when, sizeof(when));
		printf("  %s  %s: %s", when, e->actor, e->what);
		if (e->old != NULL || e->new_ != NULL)
			printf(": %s -> %s", or_dash(e->old), or_dash(e->new_));
		if (e->why != NULL)
			printf(" (%s)", e->why);
		printf("\n");
	}
}

static int
cmd_show(struct ctx *c)
{
	struct store_ticket_full f;
	int64_t n;
	int rc;

	if (parse_number(c->o.args[0], &n) == -1)
		return EX_DATAERR;
	if ((rc = open_store(c)) != EX_OK)
		return rc;
	switch (store_ticket_full(c->store, n, &f)) {
	case -1:
		return store_error(c);
	case 0:
		return not_found(n);
	}
	if (c->o.json)
		print_json(full_json(&f));
	else
		print_full(&f);
	store_ticket_full_clear(&f);
	return EX_OK;
}

/* ---- set ---- */

static bool
is_priority(const char *v)
{
	static const char *const names[] = { "low", "normal", "high",
	    "urgent" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (strcmp(names[i], v) == 0)
			return true;
	return false;
}

static int
bad_value(const char *field, const char *value, const char *why)
{
	fprintf(stderr, "postdesk: ticket set %s \"%s\": %s\n", field, value,
	    why);
	return -1;
}

/* The value to store for field, in *out (the caller frees); -1 (said
 * why) when it is not valid. */
static int
check_value(const struct conf *conf, const char *field, const char *value,
    char **out)
{
	const struct conf_agent *a;

	if (strcmp(field, "status") == 0 && store_status_parse(value) == -1)
		return bad_value(field, value, "not one of new, open, "
		    "pending, resolved, closed");
	if (strcmp(field, "priority") == 0 && !is_priority(value))
		return bad_value(field, value, "not one of low, normal, "
		    "high, urgent");
	if (strcmp(field, "queue") == 0 &&
	    conf_queue_by_name(conf, value) == NULL)
		return bad_value(field, value, "no such queue in the "
		    "configuration");
	if (strcmp(field, "language") == 0) {
		if (strlen(value) != 2 || !g_ascii_isalpha(value[0]) ||
		    !g_ascii_isalpha(value[1]))
			return bad_value(field, value, "not a two-letter "
			    "language code");
		*out = g_ascii_strdown(value, -1);
		return 0;
	}
	if (strcmp(field, "assignee") == 0) {
		if (*value == '\0' || strcmp(value, "none") == 0)
			*out = g_strdup("");
		else if ((a = conf_agent_find(conf, value)) != NULL)
			*out = g_strdup(a->address);
		else
			return bad_value(field, value, "not an agent of the "
			    "configuration");
		return 0;
	}
	*out = g_strdup(value);
	return 0;
}

static const char *
field_of(const struct store_ticket *t, const char *field)
{
	if (strcmp(field, "status") == 0)
		return store_status_name(t->status);
	if (strcmp(field, "priority") == 0)
		return t->priority;
	if (strcmp(field, "queue") == 0)
		return t->queue;
	if (strcmp(field, "assignee") == 0)
		return t->assignee;
	return t->language;
}

static bool
is_field(const char *field)
{
	static const char *const fields[] = { "status", "priority", "queue",
	    "assignee", "language" };

	for (size_t i = 0; i < G_N_ELEMENTS(fields); i++)
		if (strcmp(fields[i], field) == 0)
			return true;
	return false;
}

/* In the open transaction: 0 done, 1 no such ticket, -1 failed. */
static int
apply_set(struct ctx *c, int64_t n, const char *field, const char *value)
{
	struct store_ticket t;
	char *what;
	int found, ret = 0;

	if ((found = store_ticket_get(c->store, n, &t)) != 1)
		return found == 0 ? 1 : -1;
	if (strcmp(field_of(&t, field), value) == 0) {
		printf("ticket %lld: %s is already %s\n", (long long)n, field,
		    or_dash(value));
		store_ticket_clear(&t);
		return 0;
	}
	what = g_strconcat("set ", field, NULL);
	if (store_ticket_set(c->store, n, field, value) == -1 ||
	    store_event_add(c->store, n, 0, c->actor, what,
	    field_of(&t, field), value, NULL) == -1)
		ret = -1;
	else
		printf("ticket %lld: %s %s -> %s\n", (long long)n, field,
		    or_dash(field_of(&t, field)), or_dash(value));
	g_free(what);
	store_ticket_clear(&t);
	return ret;
}

static int
cmd_set(struct ctx *c)
{
	const char *field = c->o.args[1];
	char *value = NULL;
	int64_t n;
	int rc;

	if (parse_number(c->o.args[0], &n) == -1)
		return EX_DATAERR;
	if (!is_field(field)) {
		fprintf(stderr, "postdesk: ticket set: \"%s\": not one of "
		    "status, priority, queue, assignee, language\n", field);
		return EX_USAGE;
	}
	if (check_value(c->conf, field, c->o.args[2], &value) == -1)
		return EX_DATAERR;
	if ((rc = open_store(c)) == EX_OK) {
		if (store_begin(c->store) == -1)
			rc = store_error(c);
		else if ((rc = apply_set(c, n, field, value)) == 0)
			rc = store_commit(c->store) == 0 ? EX_OK :
			    store_error(c);
		else
			rc = rc == 1 ? not_found(n) : store_error(c);
		store_rollback(c->store);
	}
	g_free(value);
	return rc;
}

/* ---- entry ---- */

static const struct subcommand *
find_subcommand(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(subcommands); i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

static int
run_sub(const struct subcommand *sub, struct ctx *c,
    const struct cli_global *g)
{
	struct conf_diag diag = { 0 };

	if ((c->conf = conf_load(g->conf_path, &diag)) == NULL) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.lines[i]);
		conf_diag_clear(&diag);
		return EX_CONFIG;
	}
	conf_diag_clear(&diag);
	return sub->run(c);
}

int
cli_ticket(int argc, char **argv, const struct cli_global *g)
{
	const struct subcommand *sub;
	struct ctx c = { 0 };
	int rc;

	if (argc < 2 || (sub = find_subcommand(argv[1])) == NULL) {
		if (argc >= 2 && cli_wants_help(2, argv)) {
			usage(stdout, NULL);
			return EX_OK;
		}
		if (argc >= 2)
			fprintf(stderr, "postdesk: ticket: unknown command "
			    "\"%s\"\n", argv[1]);
		usage(stderr, NULL);
		return EX_USAGE;
	}
	if (cli_wants_help(argc - 1, argv + 1)) {
		usage(stdout, sub);
		return EX_OK;
	}
	if (parse_opts(argc, argv, sub, &c.o) == -1) {
		usage(stderr, sub);
		return EX_USAGE;
	}
	/* Before the store is opened: that may switch root to the owner
	 * of the database, and the event names who ran the command. */
	c.actor = cli_actor();
	rc = run_sub(sub, &c, g);
	store_close(c.store);
	conf_free(c.conf);
	g_free(c.actor);
	return rc;
}

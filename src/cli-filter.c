/* SPDX-License-Identifier: ISC */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "filter.h"
#include "io.h"
#include "jout.h"
#include "parse.h"
#include "store.h"

static const char usage_text[] =
    "usage: postdesk [-c FILE] filter check RULES...\n"
    "       postdesk [-c FILE] filter test [-r RULES]... [-q QUEUE]\n"
    "           [-f ENVELOPE_FROM] [-t ENVELOPE_TO] [--new|--no-new]\n"
    "           [--json] MSGFILE...\n"
    "       postdesk [-c FILE] filter replay [--since DATE] -r RULES...\n"
    "  check   compile Sieve rule files; every error as\n"
    "          FILE:LINE:COL: message (exit status 78)\n"
    "  test    the actions each message would get, and the rule\n"
    "          (FILE:LINE) that gave each: from the rules the\n"
    "          configuration names (the top level, then the queue of\n"
    "          -q or of the -t address), or from -r files only; the\n"
    "          message opens a ticket (the test \"new\") unless --no-new\n"
    "  replay  run -r rules over the stored incoming messages (since\n"
    "          DATE: YYYY-MM-DD, RFC 3339 or Unix seconds) and print\n"
    "          each one they would decide differently\n";

struct opts {
	GPtrArray	*rules;		/* -r FILE */
	const char	*from, *to, *queue, *since;
	bool		 json, is_new;
};

struct ctx {
	const struct cli_global	*g;
	struct opts		 o;
	struct conf		*conf;
	struct filter_set	*fs;
	struct parse_opts	 po;
};

static void
print_diag(struct conf_diag *diag)
{
	for (size_t i = 0; i < diag->n; i++)
		fprintf(stderr, "%s\n", diag->lines[i]);
	conf_diag_clear(diag);
}

/* The configuration: required, or only when -c/$POSTDESK_CONF names
 * one (else the defaults).  NULL after errors (printed). */
static struct conf *
load_conf(const struct cli_global *g, bool required)
{
	struct conf_diag diag = { 0 };
	struct conf *cf;

	if (!required && !g->conf_explicit)
		return conf_default();
	if ((cf = conf_load(g->conf_path, &diag)) == NULL)
		print_diag(&diag);
	return cf;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "new", no_argument, NULL, 'n' },
		{ "no-new", no_argument, NULL, 'N' },
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:f:t:q:jh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r':
			g_ptr_array_add(o->rules, optarg);
			break;
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->to = optarg;
			break;
		case 'q':
			o->queue = optarg;
			break;
		case 's':
			o->since = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'n':
		case 'N':
			o->is_new = ch == 'n';
			break;
		default:
			fputs(usage_text, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? EX_OK : EX_USAGE;
		}
	}
	return -1;
}

/* ---- check ---- */

static int
cmd_check(struct ctx *c, int argc, char **argv)
{
	struct conf_diag diag = { 0 };
	struct filter_set *fs;
	int rc = EX_OK;

	if (argc < 1) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if ((c->conf = load_conf(c->g, false)) == NULL)
		return EX_CONFIG;
	for (int i = 0; i < argc; i++) {
		fs = filter_load_files((const char *const *)&argv[i], 1,
		    c->g->conf_explicit ? c->conf : NULL, &diag);
		if (fs == NULL)
			rc = EX_CONFIG;
		else
			printf("%s: ok\n", argv[i]);
		filter_free(fs);
	}
	print_diag(&diag);
	return rc;
}

/* ---- test ---- */

static struct jout *
result_json(const char *file, const struct sieve_result *r)
{
	struct jout *o = jout_obj(), *acts = jout_arr();

	jout_set(o, "file", jout_str(file));
	for (size_t i = 0; i < r->nactions; i++) {
		const struct sieve_action *a = &r->actions[i];
		struct jout *ao = jout_obj(), *args = jout_arr();
		char *rule = filter_action_rule(a);

		jout_set(ao, "action", jout_str(sieve_action_name(a->kind)));
		if (a->arg != NULL)
			jout_push(args, jout_str(a->arg));
		jout_set(ao, "args", args);
		jout_set(ao, "rule", jout_str(rule));
		jout_push(acts, ao);
		g_free(rule);
	}
	jout_set(o, "actions", acts);
	jout_set(o, "implicit_keep", jout_bool(r->implicit_keep));
	jout_set(o, "disposition", jout_str(sieve_disposition_name(
	    sieve_result_disposition(r, NULL))));
	jout_set(o, "error", jout_str(r->error));
	return o;
}

static void
print_json(struct jout *j)
{
	char *out = jout_dump(j);

	fputs(out, stdout);
	g_free(out);
	jout_free(j);
}

static void
result_text(const char *file, const struct sieve_result *r)
{
	enum sieve_disposition d = sieve_result_disposition(r, NULL);

	printf("%s: %s", file, sieve_disposition_name(d));
	if (r->error != NULL)
		printf(" (runtime error: %s)", r->error);
	else if (d == SIEVE_DISP_KEEP && r->implicit_keep)
		printf(" (implicit keep)");
	putchar('\n');
	for (size_t i = 0; i < r->nactions; i++) {
		char *text = filter_action_text(&r->actions[i]);
		char *rule = filter_action_rule(&r->actions[i]);

		printf("  %s  (%s)\n", text, rule);
		g_free(text);
		g_free(rule);
	}
}

/* The queue whose rules run: -q, else that of the -t address. */
static const char *
test_queue(const struct ctx *c)
{
	const struct conf_queue *q;

	if (c->o.queue != NULL)
		return c->o.queue;
	if (c->o.to != NULL && (q = conf_queue_by_address(c->conf, c->o.to,
	    NULL)) != NULL)
		return q->name;
	return NULL;
}

static int
test_one(struct ctx *c, const char *path)
{
	struct sieve_result r;
	struct sieve_view v;
	struct msg *m;
	size_t len;
	char *raw;

	if ((raw = io_read_path(path, 0, &len)) == NULL)
		return EX_NOINPUT;
	m = parse_message(raw, len, &c->po);
	filter_view(&v, m, c->o.from, c->o.to, c->o.is_new);
	sieve_result_init(&r);
	filter_run(c->fs, test_queue(c), &v, &r);
	if (c->o.json)
		print_json(result_json(path, &r));
	else
		result_text(path, &r);
	sieve_result_clear(&r);
	msg_free(m);
	g_free(raw);
	return EX_OK;
}

/* The rules of -r, else those the configuration names. */
static int
load_rules(struct ctx *c)
{
	struct conf_diag diag = { 0 };
	bool from_conf = c->o.rules->len == 0;

	if (c->conf == NULL && (c->conf = load_conf(c->g, from_conf)) ==
	    NULL)
		return EX_CONFIG;
	if (from_conf)
		c->fs = filter_load(c->conf, &diag);
	else
		c->fs = filter_load_files((const char *const *)c->o.rules->pdata,
		    c->o.rules->len, c->g->conf_explicit ? c->conf : NULL,
		    &diag);
	print_diag(&diag);
	return c->fs != NULL ? EX_OK : EX_CONFIG;
}

static int
cmd_test(struct ctx *c, int argc, char **argv)
{
	int rc, ret = EX_OK;

	if (argc < 1) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if ((rc = load_rules(c)) != EX_OK)
		return rc;
	parse_opts_from_conf(&c->po, c->conf, NULL);
	for (int i = 0; i < argc; i++)
		if ((rc = test_one(c, argv[i])) != EX_OK)
			ret = rc;
	return ret;
}

/* ---- replay ---- */

struct replay {
	struct ctx		*c;
	struct filter_set	*current;	/* the configuration's */
	size_t			 n, differ;
};

/*
 * A decision as one line, in the terms ingest records it: what becomes
 * of the message (keep, discard, reject "why"), then for a kept one the
 * ticket actions in order: `keep; queue "billing"; noack`.
 */
static char *
decision(const struct sieve_result *r)
{
	const struct sieve_action *rej;
	enum sieve_disposition d = sieve_result_disposition(r, &rej);
	GString *s = g_string_new(NULL);
	char *t;

	if (rej != NULL) {
		t = filter_action_text(rej);
		g_string_append(s, t);
		g_free(t);
	} else
		g_string_append(s, sieve_disposition_name(d));
	if (r->error != NULL)
		g_string_append_printf(s, " (runtime error: %s)", r->error);
	for (size_t i = 0; d == SIEVE_DISP_KEEP && i < r->nactions; i++) {
		if (r->actions[i].kind == SIEVE_ACT_KEEP)
			continue;
		t = filter_action_text(&r->actions[i]);
		g_string_append_printf(s, "; %s", t);
		g_free(t);
	}
	return g_string_free(s, FALSE);
}

/* The recorded events ("WHAT\tNEW\tWHY" lines) as a decision. */
static char *
recorded(const char *events)
{
	char **lines = g_strsplit(events, "\n", -1);
	GString *acts = g_string_new(NULL);
	bool discarded = false;

	for (char **l = lines; *l != NULL; l++) {
		char **f = g_strsplit(*l, "\t", 3);

		if (f[0] != NULL && strcmp(f[0], "discarded") == 0)
			discarded = true;
		else if (f[0] != NULL && f[1] != NULL)
			g_string_append_printf(acts, "; %s", f[1]);
		g_strfreev(f);
	}
	g_strfreev(lines);
	if (discarded)
		g_string_assign(acts, "");
	g_string_prepend(acts, discarded ? "discard" : "keep");
	return g_string_free(acts, FALSE);
}

static char *
run_set(const struct filter_set *fs, const char *queue,
    const struct sieve_view *v)
{
	struct sieve_result r;
	char *d;

	sieve_result_init(&r);
	filter_run(fs, queue, v, &r);
	d = decision(&r);
	sieve_result_clear(&r);
	return d;
}

static int
replay_one(const struct store_stored *sm, void *arg)
{
	struct replay *rp = arg;
	struct msg *m = parse_message(sm->raw, sm->raw_len, &rp->c->po);
	struct sieve_view v;
	char *was, *now;

	filter_view(&v, m, sm->envelope_from, *sm->rcpt != '\0' ? sm->rcpt :
	    NULL, strcmp(sm->threaded_by, "new") == 0);
	was = *sm->filter_events != '\0' ? recorded(sm->filter_events) :
	    run_set(rp->current, sm->queue, &v);
	now = run_set(rp->c->fs, sm->queue, &v);
	rp->n++;
	if (strcmp(was, now) != 0) {
		rp->differ++;
		printf("message %lld <%s> ticket %lld\n  was: %s\n  now: %s\n",
		    (long long)sm->id, sm->message_id, (long long)sm->ticket,
		    was, now);
	}
	g_free(was);
	g_free(now);
	msg_free(m);
	return 0;
}

/* YYYY-MM-DD, RFC 3339, or Unix seconds; -1 when none of them. */
static int64_t
parse_since(const char *s)
{
	GTimeZone *utc;
	GDateTime *dt;
	char *end, *iso;
	int64_t t;

	t = strtoll(s, &end, 10);
	if (*s != '\0' && *end == '\0' && t >= 0)
		return t;
	iso = strlen(s) == 10 ? g_strdup_printf("%sT00:00:00Z", s) :
	    g_strdup(s);
	utc = g_time_zone_new_utc();
	dt = g_date_time_new_from_iso8601(iso, utc);
	g_time_zone_unref(utc);
	g_free(iso);
	if (dt == NULL)
		return -1;
	t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static int
replay_walk(struct ctx *c, int64_t since)
{
	struct conf_diag diag = { 0 };
	struct replay rp = { .c = c };
	struct store *s;
	int r;

	if ((rp.current = filter_load(c->conf, &diag)) == NULL) {
		print_diag(&diag);
		return EX_CONFIG;
	}
	if ((s = store_open(c->conf->database, STORE_OPEN,
	    c->conf->limits.busy_timeout)) == NULL) {
		filter_free(rp.current);
		return EX_NOINPUT;
	}
	r = store_messages_each(s, since, replay_one, &rp);
	printf("%zu messages, %zu decided differently\n", rp.n, rp.differ);
	store_close(s);
	filter_free(rp.current);
	return r == 0 ? EX_OK : EX_SOFTWARE;
}

static int
cmd_replay(struct ctx *c, int argc)
{
	int64_t since = 0;
	int rc;

	if (argc > 0 || c->o.rules->len == 0) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if (c->o.since != NULL && (since = parse_since(c->o.since)) < 0) {
		fprintf(stderr, "postdesk: filter replay: --since \"%s\": not "
		    "a date\n", c->o.since);
		return EX_USAGE;
	}
	if ((c->conf = load_conf(c->g, true)) == NULL)
		return EX_CONFIG;
	if ((rc = load_rules(c)) != EX_OK)
		return rc;
	parse_opts_from_conf(&c->po, c->conf, NULL);
	return replay_walk(c, since);
}

int
cli_filter(int argc, char **argv, const struct cli_global *g)
{
	struct ctx c = { .g = g, .o = { .is_new = true } };
	const char *sub = argc > 1 ? argv[1] : "";
	int rc;

	if (argc < 2 || strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	c.o.rules = g_ptr_array_new();
	if ((rc = parse_args(argc - 1, argv + 1, &c.o)) != -1)
		goto out;
	argc -= 1 + optind;
	argv += 1 + optind;
	if (strcmp(sub, "check") == 0)
		rc = cmd_check(&c, argc, argv);
	else if (strcmp(sub, "test") == 0)
		rc = cmd_test(&c, argc, argv);
	else if (strcmp(sub, "replay") == 0)
		rc = cmd_replay(&c, argc);
	else {
		fprintf(stderr, "postdesk: filter: unknown command \"%s\"\n",
		    sub);
		fputs(usage_text, stderr);
		rc = EX_USAGE;
	}
out:
	g_ptr_array_free(c.o.rules, TRUE);
	filter_free(c.fs);
	conf_free(c.conf);
	return rc;
}

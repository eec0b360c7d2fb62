/* SPDX-License-Identifier: ISC */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "io.h"
#include "jout.h"
#include "log.h"
#include "msg.h"
#include "parse.h"
#include "quote.h"

static const char usage_text[] =
    "usage: postdesk [-c FILE] parse [--json] FILE|-\n"
    "  Parse one message and print what postdesk sees: addresses,\n"
    "  subject, threading ids, the plain-text body, attachments and\n"
    "  flags.  --json prints the JSON described in postdesk(1).\n"
    "  Limits and expected charsets come from the configuration when\n"
    "  -c or $POSTDESK_CONF names one.\n";

static struct jout *
addr_json(const struct msg_addr *a)
{
	struct jout *o = jout_obj();

	jout_set(o, "name", jout_str(a->name));
	jout_set(o, "address", jout_str(a->address));
	return o;
}

static struct jout *
addrs_json(const struct msg_addrs *l)
{
	struct jout *a = jout_arr();

	for (size_t i = 0; i < l->n; i++)
		jout_push(a, addr_json(&l->v[i]));
	return a;
}

static struct jout *
date_json(int64_t t)
{
	GDateTime *dt;
	char *s;
	struct jout *j;

	if (t < 0 || (dt = g_date_time_new_from_unix_utc(t)) == NULL)
		return jout_null();
	s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	j = jout_str(s);
	g_free(s);
	g_date_time_unref(dt);
	return j;
}

static struct jout *
parts_json(const struct msg *m)
{
	struct jout *a = jout_arr();

	for (size_t i = 0; i < m->nparts; i++) {
		const struct msg_part *p = &m->parts[i];
		struct jout *o = jout_obj();

		jout_set(o, "filename", jout_str(p->filename));
		jout_set(o, "content_type", jout_str(p->content_type));
		jout_set(o, "size", jout_int((int64_t)p->size));
		jout_set(o, "content_id", jout_str(p->content_id));
		jout_set(o, "inline", jout_bool(p->is_inline));
		jout_set(o, "sha256", jout_str(p->sha256));
		jout_push(a, o);
	}
	return a;
}

static struct jout *
flags_json(unsigned flags)
{
	struct jout *a = jout_arr();

	for (unsigned i = 0; i < MSG_F_COUNT; i++)
		if (flags & (1u << i))
			jout_push(a, jout_str(msg_flag_name(1u << i)));
	return a;
}

/* body_new: the new text as a relay would send it; without a database
 * there is no sent text to compare with. */
static struct jout *
msg_json(struct msg *m, bool cut_signature)
{
	struct jout *o = jout_obj(), *refs = jout_arr(), *body;
	char *new_text;

	jout_set(o, "message_id", jout_str(m->message_id));
	jout_set(o, "date", date_json(m->date));
	jout_set(o, "from", addr_json(&m->from));
	jout_set(o, "to", addrs_json(&m->to));
	jout_set(o, "cc", addrs_json(&m->cc));
	jout_set(o, "reply_to", addrs_json(&m->reply_to));
	jout_set(o, "subject", jout_str(m->subject));
	jout_set(o, "in_reply_to", jout_str(m->in_reply_to));
	for (size_t i = 0; i < m->references.n; i++)
		jout_push(refs, jout_str(m->references.v[i]));
	jout_set(o, "references", refs);
	/* A big body exists at most three times at once: the parsed text,
	 * its new part, and the copy jansson holds. */
	new_text = quote_new_text(m->body_text, NULL, 0, cut_signature);
	if (strcmp(new_text, m->body_text) == 0) {
		g_free(new_text);
		new_text = NULL;
	}
	body = jout_str(m->body_text);
	jout_set(o, "body_text", body);
	g_free(m->body_text);
	m->body_text = g_strdup("");
	if (m->has_html)
		jout_set(o, "body_html", jout_str(m->body_html));
	jout_set(o, "body_new", new_text != NULL ? jout_str(new_text) :
	    jout_ref(body));
	g_free(new_text);
	jout_set(o, "attachments", parts_json(m));
	jout_set(o, "auto_submitted", jout_str(msg_header(m,
	    "Auto-Submitted")));
	jout_set(o, "flags", flags_json(m->flags));
	return o;
}

static void
print_addrs(const char *label, const struct msg_addrs *l)
{
	for (size_t i = 0; i < l->n; i++)
		printf("%-12s %s <%s>\n", i == 0 ? label : "",
		    l->v[i].name, l->v[i].address);
}

static void
print_text(const struct msg *m)
{
	printf("%-12s %s\n", "Message-ID:", m->message_id);
	printf("%-12s %s <%s>\n", "From:", m->from.name, m->from.address);
	print_addrs("To:", &m->to);
	print_addrs("Cc:", &m->cc);
	printf("%-12s %s\n", "Subject:", m->subject);
	for (size_t i = 0; i < m->nparts; i++)
		printf("%-12s %s (%s, %llu bytes%s)\n", i == 0 ?
		    "Attachments:" : "", m->parts[i].filename,
		    m->parts[i].content_type,
		    (unsigned long long)m->parts[i].size,
		    m->parts[i].is_inline ? ", inline" : "");
	printf("%-12s", "Flags:");
	for (unsigned i = 0; i < MSG_F_COUNT; i++)
		if (m->flags & (1u << i))
			printf(" %s", msg_flag_name(1u << i));
	printf("\n\n%s\n", m->body_text);
}

static struct conf *
load_conf(const struct cli_global *g)
{
	struct conf_diag diag = { 0 };
	struct conf *cf;

	if (!g->conf_explicit)
		return conf_default();
	if ((cf = conf_load(g->conf_path, &diag)) == NULL)
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.lines[i]);
	conf_diag_clear(&diag);
	return cf;
}

int
cli_parse(int argc, char **argv, const struct cli_global *g)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct parse_opts po;
	struct conf *cf;
	struct msg *m;
	size_t len;
	char *raw;
	int ch, json = 0, rc = EX_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else {
			fputs(usage_text, ch == 'h' ? stdout : stderr);
			return ch == 'h' ? EX_OK : EX_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(usage_text, stderr);
		return EX_USAGE;
	}
	if ((cf = load_conf(g)) == NULL)
		return EX_CONFIG;
	if ((raw = io_read_path(argv[optind], 0, &len)) == NULL) {
		conf_free(cf);
		return EX_NOINPUT;
	}
	parse_opts_from_conf(&po, cf, NULL);
	/* Peak memory matters on big mails: nothing lives longer than it
	 * must, and the JSON is streamed out rather than built as text. */
	m = parse_message(raw, len, &po);
	g_free(raw);
	if (json) {
		struct jout *j = msg_json(m, cf->cut_signature);

		msg_free(m);
		m = NULL;
		rc = jout_print(j, stdout) == 0 ? EX_OK : EX_IOERR;
		jout_free(j);
	} else
		print_text(m);
	msg_free(m);
	conf_free(cf);
	return rc;
}

/* SPDX-License-Identifier: ISC */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <glib.h>

#include "authres.h"
#include "classify.h"
#include "compose.h"
#include "digest.h"
#include "log.h"
#include "respond.h"
#include "thread.h"
#include "tmpl.h"

#define DAY	86400
#define HOUR	3600

static const char *const template_names[] = {
	"ack", "agent-reply", "notify-agent", "resolved", "command-error",
	"participant-added",
};

struct respond {
	const struct conf	*conf;
	struct store		*store;
	const struct token_keys	*keys;
	GHashTable		*templates;	/* path -> struct tmpl */
	char			 reason[128];
};

struct respond *
respond_new(const struct conf *cf, struct store *s,
    const struct token_keys *keys)
{
	struct respond *r = g_new0(struct respond, 1);

	r->conf = cf;
	r->store = s;
	r->keys = keys;
	r->templates = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)tmpl_free);
	return r;
}

void
respond_free(struct respond *r)
{
	if (r == NULL)
		return;
	g_hash_table_destroy(r->templates);
	g_free(r);
}

/*
 * The shipped templates: $POSTDESK_TEMPLATES, the installed ones, or
 * those of the source tree the program was built in (build/ or
 * build/tests/ below it).
 */
const char *
respond_shipped_dir(void)
{
	static char dir[PATH_MAX];
	const char *env = getenv("POSTDESK_TEMPLATES");
	char exe[PATH_MAX], *d;
	ssize_t n;

	if (dir[0] != '\0')
		return dir;
	if (env != NULL && *env != '\0') {
		g_strlcpy(dir, env, sizeof(dir));
		return dir;
	}
	snprintf(dir, sizeof(dir), "%s/templates", POSTDESK_DATADIR);
	if (g_file_test(dir, G_FILE_TEST_IS_DIR) ||
	    (n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return dir;
	exe[n] = '\0';
	d = g_path_get_dirname(exe);
	snprintf(dir, sizeof(dir), "%s/../templates", d);
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
		snprintf(dir, sizeof(dir), "%s/../../templates", d);
	g_free(d);
	return dir;
}

/* queue dir/lang, site dir/lang, shipped/lang, then the same for en:
 * a site's own templates from an older release lack the newer ones,
 * which then come from the shipped set. */
static char *
template_path(const struct conf *cf, const struct conf_queue *q,
    const char *lang, const char *name)
{
	const char *dirs[3] = { q != NULL && *q->templates != '\0' ?
	    q->templates : NULL, cf->templates, respond_shipped_dir() };
	const char *langs[2] = { lang, "en" };

	for (size_t l = 0; l < 2; l++) {
		for (size_t d = 0; d < G_N_ELEMENTS(dirs); d++) {
			char *p;

			if (dirs[d] == NULL)
				continue;
			p = g_strdup_printf("%s/%s/%s.tmpl", dirs[d], langs[l],
			    name);
			if (g_file_test(p, G_FILE_TEST_EXISTS))
				return p;
			g_free(p);
		}
	}
	return NULL;
}

static const struct tmpl *
template_get(struct respond *r, const struct conf_queue *q, const char *lang,
    const char *name)
{
	struct tmpl_diag d = { 0 };
	char *path = template_path(r->conf, q, lang, name);
	struct tmpl *t;

	if (path == NULL) {
		log_warnx("respond: template %s/%s: not found", lang, name);
		return NULL;
	}
	if ((t = g_hash_table_lookup(r->templates, path)) != NULL) {
		g_free(path);
		return t;
	}
	if ((t = tmpl_load(path, &d)) == NULL) {
		for (size_t i = 0; i < d.n; i++)
			log_warnx("respond: %s", d.lines[i]);
		tmpl_diag_clear(&d);
		g_free(path);
		return NULL;
	}
	g_hash_table_insert(r->templates, path, t);
	return t;
}

/* Spam flags and SPF/DMARC failures, from our own MTA only. */
static const char *
spam_or_forged(struct respond *r, const struct msg *m)
{
	struct authres ar;
	const char *res, *why = NULL;

	if (g_ascii_strncasecmp(msg_header(m, "X-Spam-Flag"), "yes", 3) == 0)
		return "marked as spam (X-Spam-Flag)";
	if (authres_trusted(m, r->conf->trusted_authserv, &ar) == -1)
		return NULL;
	if ((res = authres_result(&ar, "dmarc")) != NULL &&
	    strcmp(res, "fail") == 0)
		why = "failed DMARC at our MTA";
	else if ((res = authres_result(&ar, "spf")) != NULL &&
	    (strcmp(res, "fail") == 0 || strcmp(res, "softfail") == 0))
		why = "failed SPF at our MTA";
	authres_clear(&ar);
	return why;
}

/*
 * Where an automatic answer goes: the sender (From), who becomes the
 * requester.  Never Reply-To: it is not checked against anything, and
 * would make every acknowledgement a free relay of a stranger's text to
 * any address, carrying one of our strong Message-IDs.
 */
static const struct msg_addr *
answer_to(const struct msg *m)
{
	return &m->from;
}

/* The rate limit's key for an address: one key however it is cased. */
static char *
rate_key(const char *address)
{
	char *low = g_utf8_strdown(address, -1);
	char *key = g_strdup_printf("addr:%s", low);

	g_free(low);
	return key;
}

/* The budgets of automatic mail (see respond.h): the key their hourly
 * count has in the rate table and the statement that sets the limit. */
static const struct budget {
	const char	*key;
	const char	*limit;
	const char	*whom;
} budgets[] = {
	[RESPOND_BUDGET_CUSTOMERS] = { "budget:customers", "ack-per-hour",
	    "customers" },
	[RESPOND_BUDGET_AGENTS] = { "budget:agents", "notify-per-hour",
	    "agents" },
};

static enum respond_budget
budget_of(const struct conf *cf, const struct respond_mail *rm)
{
	if (rm->budget != RESPOND_BUDGET_DEFAULT)
		return rm->budget;
	if (rm->auto_submitted == NULL)
		return RESPOND_BUDGET_NONE;
	if (conf_agent_find(cf, rm->to->address) != NULL)
		return RESPOND_BUDGET_AGENTS;
	return RESPOND_BUDGET_CUSTOMERS;
}

static unsigned
budget_limit(const struct conf *cf, enum respond_budget b)
{
	return b == RESPOND_BUDGET_AGENTS ? cf->limits.notify_per_hour :
	    cf->limits.ack_per_hour;
}

/* Customers' mail also keeps today's limit per address and day. */
static const char *
over_address_limit(struct respond *r, const char *to)
{
	int64_t n = 0;
	char *key = rate_key(to);
	int rc = store_rate_count(r->store, key, store_now(r->store) - DAY,
	    &n);

	g_free(key);
	if (rc == -1 || n < (int64_t)r->conf->limits.ack_per_address)
		return NULL;
	snprintf(r->reason, sizeof(r->reason), "rate limit: %" PRId64
	    " automatic mails to <%s> in 24 hours (limit ack-per-address)",
	    n, to);
	return r->reason;
}

/*
 * Why budget b has no room for one more mail to "to", or NULL.  An
 * hourly budget that runs out is an error an admin must see: either
 * the limit is too low for the load or mail is looping.
 */
static const char *
over_budget(struct respond *r, const struct respond_ctx *c,
    enum respond_budget b, const char *to)
{
	const struct budget *bd = &budgets[b];
	int64_t n = 0;
	const char *why;

	if (b == RESPOND_BUDGET_NONE || b >= G_N_ELEMENTS(budgets))
		return NULL;
	if (b == RESPOND_BUDGET_CUSTOMERS &&
	    (why = over_address_limit(r, to)) != NULL)
		return why;
	if (store_rate_count(r->store, bd->key, store_now(r->store) - HOUR,
	    &n) == -1 || n < (int64_t)budget_limit(r->conf, b))
		return NULL;
	snprintf(r->reason, sizeof(r->reason), "rate limit: %" PRId64
	    " automatic mails to %s in the last hour (limit %s)", n, bd->whom,
	    bd->limit);
	log_errx("respond: ticket %" PRId64 ": mail to <%s> not sent: %s",
	    c->ticket, to, r->reason);
	return r->reason;
}

/* One more mail spent from budget b. */
static int
budget_spend(struct respond *r, enum respond_budget b, const char *to)
{
	char *key;
	int ret;

	if (b == RESPOND_BUDGET_NONE || b >= G_N_ELEMENTS(budgets))
		return 0;
	if (store_rate_add(r->store, budgets[b].key) == -1)
		return -1;
	if (b != RESPOND_BUDGET_CUSTOMERS)
		return 0;
	key = rate_key(to);
	ret = store_rate_add(r->store, key);
	g_free(key);
	return ret;
}

/* An event "WHAT suppressed" saying why a mail did not go. */
static int
suppressed(struct respond *r, const struct respond_ctx *c, const char *what,
    const char *to, const char *why)
{
	char *w = g_strdup_printf("%s suppressed", what);
	int ret = store_event_add(r->store, c->ticket, c->message, "system", w,
	    NULL, to, why);

	g_free(w);
	return ret;
}

const char *
respond_ack_suppressed(struct respond *r, const struct respond_ctx *c)
{
	const struct msg *m = c->m;
	const struct msg_addr *to = answer_to(m);
	const char *why;

	if (c->bounce)
		return "a bounce";
	if (c->auto_why != NULL)
		return c->auto_why;
	if (strchr(to->address, '@') == NULL)
		return "no address to answer";
	if ((why = classify_own(m, r->conf, r->keys)) != NULL)
		return why;
	if (msg_header_nth(m, "Content-Type", 0) != NULL &&
	    strstr(msg_header(m, "Content-Type"), "multipart/report") != NULL)
		return "a delivery report";
	return spam_or_forged(r, m);
}

/* A round is one message whose sender caused automatic mail on the
 * ticket. */
#define LOOP_ROUNDS	3
/* A sender proven by a token for their own address is no mailbox rule,
 * but two auto-responders that strip Auto-Submitted can still play
 * ping-pong through our relays: a wider limit for them. */
#define LOOP_ROUNDS_PROVEN	20

int
respond_loop_round(struct respond *r, const struct respond_ctx *c,
    bool proven)
{
	const int64_t limit = proven ? LOOP_ROUNDS_PROVEN : LOOP_ROUNDS;
	const char *from = c->m->from.address;
	char *addr = rate_key(from);
	char *key = g_strdup_printf("loop:%" PRId64 ":%s", c->ticket, addr);
	int64_t n = 0;
	int ret;

	if ((ret = store_rate_count(r->store, key, store_now(r->store) - HOUR,
	    &n)) == 0 && n < limit)
		ret = store_rate_add(r->store, key);
	else if (ret == 0) {
		snprintf(r->reason, sizeof(r->reason), "%" PRId64 " rounds "
		    "from <%s> on this ticket in the last hour: a mail loop?",
		    n, from);
		log_warnx("respond: ticket %" PRId64 ": loop breaker: %s",
		    c->ticket, r->reason);
		ret = store_event_add(r->store, c->ticket, c->message,
		    "system", "loop breaker", NULL, from, r->reason);
		ret = ret == 0 ? 1 : -1;
	}
	g_free(key);
	g_free(addr);
	return ret;
}

struct vars {
	const struct respond_ctx *c;
	const struct msg_addr	*to;
	const char		*agent_name;
	const char		*body;		/* NULL: the message's */
	const char		*sender, *notes, *added;
	char			 number[24];
	char			 tag[96];
	char			 rt[64];
};

static void
human_duration(int64_t s, const char *lang, char *out, size_t len)
{
	bool bg = strcmp(lang, "bg") == 0;
	int64_t n;

	if (s <= 0) {
		out[0] = '\0';
		return;
	}
	if (s % DAY == 0 && (n = s / DAY) > 0)
		snprintf(out, len, "%" PRId64 " %s", n, bg ? (n == 1 ? "ден" :
		    "дни") : (n == 1 ? "day" : "days"));
	else if (s % HOUR == 0 && (n = s / HOUR) > 0)
		snprintf(out, len, "%" PRId64 " %s", n, bg ? (n == 1 ? "час" :
		    "часа") : (n == 1 ? "hour" : "hours"));
	else {
		n = (s + 59) / 60;
		snprintf(out, len, "%" PRId64 " %s", n, bg ? (n == 1 ?
		    "минута" : "минути") : (n == 1 ? "minute" : "minutes"));
	}
}

static const char *
lookup(void *arg, const char *name)
{
	const struct vars *v = arg;
	const struct respond_ctx *c = v->c;

	if (strcmp(name, "ticket.number") == 0)
		return v->number;
	if (strcmp(name, "ticket.tag") == 0)
		return v->tag;
	if (strcmp(name, "ticket.subject") == 0)
		return c->subject;
	if (strcmp(name, "ticket.status") == 0)
		return c->status;
	if (strcmp(name, "ticket.priority") == 0)
		return c->priority;
	if (strcmp(name, "queue.name") == 0)
		return c->queue != NULL ? c->queue->tag : "Support";
	if (strcmp(name, "queue.address") == 0)
		return c->queue != NULL ? c->queue->address : "";
	if (strcmp(name, "queue.response_time") == 0)
		return v->rt;
	if (strcmp(name, "customer.name") == 0)
		return v->to->name;
	if (strcmp(name, "customer.address") == 0)
		return v->to->address;
	if (strcmp(name, "message.body") == 0)
		return v->body != NULL ? v->body : c->m->body_text;
	if (strcmp(name, "agent.name") == 0)
		return v->agent_name;
	if (strcmp(name, "message.subject") == 0)
		return c->m->subject;
	if (strcmp(name, "message.from") == 0)
		return v->sender;
	if (strcmp(name, "message.notes") == 0)
		return v->notes;
	if (strcmp(name, "participants.added") == 0)
		return v->added;
	return NULL;
}

/* "[Tag #12] subject", unless the subject carries the tag already. */
static char *
tagged_subject(const char *tag, const char *subject)
{
	if (strstr(subject, tag) != NULL)
		return g_strdup(subject);
	if (g_ascii_strncasecmp(subject, "Re: ", 4) == 0)
		return g_strdup_printf("Re: %s %s", tag, subject + 4);
	return g_strdup_printf("%s %s", tag, subject);
}

static char *
domain_address(const char *local, const char *like)
{
	const char *at = strrchr(like, '@');

	return g_strdup_printf("%s@%s", local, at != NULL ? at + 1 : like);
}

/* A random nonce for a Message-ID: 64 bits, hex. */
static void
nonce(char out[17])
{
	unsigned char b[8];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)g_random_int();
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* One outgoing mail: everything compose needs plus where it goes. */
struct outmail {
	const struct respond_ctx *c;
	const struct msg_addr	*to;
	const char		*from_name;
	const struct tmpl_out	*out;
	const char		*auto_submitted;
	const char		*tag;
	const char		*in_reply_to;	/* NULL: the message's id */
	bool			 with_parts;	/* the message's attachments */
	bool			 internal;	/* Reply-To: the comment address */
	enum respond_budget	 budget;
	bool			 relay;		/* an agent's answer: held */
};

static int
store_out(struct respond *r, const struct outmail *o, const char *id,
    const char *bounce, const char *subject, const char *raw, size_t len)
{
	const struct respond_ctx *c = o->c;
	char digest[DIGEST_HEX_LEN + 1];
	struct store_message sm = {
		.ticket = c->ticket, .message_id = id, .digest = digest,
		.direction = DIR_OUT, .author = AUTHOR_SYSTEM,
		.from_name = o->from_name, .from_addr = c->queue->address,
		.subject = subject, .body_text = o->out->body,
		.date = store_now(r->store), .threaded_by = "ours",
		.envelope_from = bounce, .raw = raw, .raw_len = len,
	};

	digest_bytes(raw, len, digest);
	if (store_message_insert(r->store, &sm, o->to->address) == 0 &&
	    store_msgid_add(r->store, id, c->ticket, sm.id, true) == 0 &&
	    store_outbox_add(r->store, c->ticket, sm.id, bounce,
	    o->to->address, id, raw, len) == 0 &&
	    (!o->relay || store_outbox_hold(r->store, sm.id, c->message,
	    store_now(r->store) + r->conf->relay_hold) == 0) &&
	    budget_spend(r, o->budget, o->to->address) == 0)
		return 0;
	return -1;
}

static int
queue_mail(struct respond *r, const struct outmail *o)
{
	const struct respond_ctx *c = o->c;
	const struct conf_queue *q = c->queue;
	char tok[TOKEN_LEN + 1], n[17], *id, *reply, *subject, *raw, *local;
	const char *refs[3] = { c->root_id, NULL, NULL };
	struct compose_in in = { 0 };
	size_t len, nrefs = 1;
	int ret;

	nonce(n);
	id = token_message_id(r->keys, c->ticket, n, r->conf->hostname);
	/* An answer to an agents' note must stay a note: it goes to the
	 * comment address, or, without one, to no token at all (an
	 * unproven agent mail is never relayed). */
	reply = NULL;
	if (!o->internal) {
		token_make(r->keys, TOKEN_REPLY, c->ticket, o->to->address,
		    tok);
		reply = token_address(q->address, c->ticket, tok);
	} else if (*q->comment_address != '\0') {
		token_make(r->keys, TOKEN_COMMENT, c->ticket, o->to->address,
		    tok);
		reply = token_address(q->comment_address, c->ticket, tok);
	}
	token_make(r->keys, TOKEN_BOUNCE, c->ticket, o->to->address, tok);
	local = g_strdup_printf("bounce+t%" PRId64 ".%s", c->ticket, tok);
	char *bounce = domain_address(local, q->address);
	subject = tagged_subject(o->tag, tmpl_out_header(o->out, "Subject") ?
	    tmpl_out_header(o->out, "Subject") : c->subject);
	const char *parent = o->in_reply_to != NULL ? o->in_reply_to :
	    c->m->message_id;

	if (*parent != '\0' && strcmp(parent, c->root_id) != 0)
		refs[nrefs++] = parent;
	in = (struct compose_in){
		.from_name = o->from_name, .from_addr = q->address,
		.to_name = o->to->name, .to_addr = o->to->address,
		.reply_to = reply, .subject = subject, .message_id = id,
		.in_reply_to = parent, .references = refs,
		.nreferences = nrefs, .auto_submitted = o->auto_submitted,
		.loop = q->address, .language = c->language,
		.extra = o->out->headers, .nextra = o->out->nheaders,
		.body = o->out->body, .date = store_now(r->store),
		.parts = o->with_parts ? c->m->parts : NULL,
		.nparts = o->with_parts ? c->m->nparts : 0,
	};
	raw = compose_message(&in, &len);
	ret = store_out(r, o, id, bounce, subject, raw, len);
	g_free(raw);
	g_free(subject);
	g_free(bounce);
	g_free(local);
	g_free(reply);
	g_free(id);
	return ret;
}

int
respond_mail(struct respond *r, const struct respond_ctx *c,
    const struct respond_mail *rm)
{
	struct vars v = { .c = c, .to = rm->to, .agent_name = rm->agent_name,
	    .body = rm->body, .notes = rm->notes, .added = rm->added };
	enum respond_budget b = budget_of(r->conf, rm);
	char *sender;
	const struct tmpl *t;
	struct tmpl_out out;
	const char *why;
	int ret;

	if (c->queue != NULL &&
	    (why = over_budget(r, c, b, rm->to->address)) != NULL)
		return suppressed(r, c, rm->what, rm->to->address, why);
	sender = rm->sender != NULL ? NULL : respond_sender(r->conf,
	    &c->m->from, false);
	v.sender = rm->sender != NULL ? rm->sender : sender;
	if (c->queue == NULL ||
	    (t = template_get(r, c->queue, c->language, rm->name)) == NULL) {
		g_free(sender);
		return -1;
	}
	snprintf(v.number, sizeof(v.number), "%" PRId64, c->ticket);
	snprintf(v.tag, sizeof(v.tag), "[%s #%" PRId64 "]", c->queue->tag,
	    c->ticket);
	human_duration(c->queue->response_time, c->language, v.rt,
	    sizeof(v.rt));
	tmpl_render(t, lookup, &v, &out);
	ret = queue_mail(r, &(struct outmail){ .c = c, .to = rm->to,
	    .from_name = rm->from_name != NULL ? rm->from_name : c->queue->tag,
	    .out = &out, .auto_submitted = rm->auto_submitted, .tag = v.tag,
	    .in_reply_to = rm->in_reply_to, .with_parts = rm->with_parts,
	    .internal = rm->internal, .budget = b, .relay = rm->relay });
	tmpl_out_clear(&out);
	g_free(sender);
	if (ret == 0)
		ret = store_event_add(r->store, c->ticket, c->message, "system",
		    rm->what, rm->name, rm->to->address, c->language);
	return ret;
}

/* Equal after Unicode case folding? */
static bool
same_name(const char *a, const char *b)
{
	char *fa = g_utf8_casefold(a, -1), *fb = g_utf8_casefold(b, -1);
	bool eq = strcmp(fa, fb) == 0;

	g_free(fa);
	g_free(fb);
	return eq;
}

/* A display name that passes for an address or for an agent (name,
 * handle, which defaults to the local part)? */
static bool
name_misleads(const struct conf *cf, const char *name)
{
	if (strchr(name, '@') != NULL)
		return true;
	for (size_t i = 0; i < cf->nagents; i++) {
		const struct conf_agent *a = &cf->agents[i];
		const char *at = strchr(a->address, '@');
		char *handle = *a->handle != '\0' ? g_strdup(a->handle) :
		    g_strndup(a->address, at != NULL ?
		    (size_t)(at - a->address) : strlen(a->address));
		bool hit = (*a->name != '\0' && same_name(a->name, name)) ||
		    same_name(handle, name);

		g_free(handle);
		if (hit)
			return true;
	}
	return false;
}

char *
respond_sender(const struct conf *cf, const struct msg_addr *from,
    bool proven)
{
	GString *s = g_string_new(NULL);

	if (!proven && *from->name != '\0' && name_misleads(cf, from->name))
		g_string_append(s, "[unverified] ");
	if (*from->name == '\0')
		g_string_append(s, from->address);
	else {
		/* Quoted as in RFC 5322, so that a name cannot end early. */
		g_string_append_c(s, '"');
		for (const char *p = from->name; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				g_string_append_c(s, '\\');
			g_string_append_c(s, *p);
		}
		g_string_append_printf(s, "\" <%s>", from->address);
	}
	return g_string_free(s, FALSE);
}

int
respond_template(struct respond *r, const struct respond_ctx *c,
    const char *name, const struct msg_addr *to, const char *auto_submitted,
    const char *what)
{
	return respond_mail(r, c, &(struct respond_mail){ .name = name,
	    .to = to, .auto_submitted = auto_submitted, .what = what });
}

int
respond_auto_reply(struct respond *r, const struct respond_ctx *c,
    const char *name, const char *what)
{
	const char *why = respond_ack_suppressed(r, c);

	if (why != NULL)
		return suppressed(r, c, what, NULL, why);
	return respond_mail(r, c, &(struct respond_mail){ .name = name,
	    .to = answer_to(c->m), .auto_submitted = "auto-replied",
	    .what = what, .budget = RESPOND_BUDGET_CUSTOMERS });
}

int
respond_ack(struct respond *r, const struct respond_ctx *c)
{
	return respond_auto_reply(r, c, "ack", "ack");
}

int
respond_check_templates(const struct conf *cf)
{
	int ret = 0;

	for (size_t i = 0; i < cf->nqueues; i++) {
		const struct conf_queue *q = &cf->queues[i];

		for (char **l = q->languages; l != NULL && *l != NULL; l++) {
			for (size_t k = 0; k < G_N_ELEMENTS(template_names);
			    k++) {
				struct tmpl_diag d = { 0 };
				char *p = template_path(cf, q, *l,
				    template_names[k]);
				struct tmpl *t;

				if (p == NULL) {
					log_warnx("queue %s: no template %s/%s",
					    q->name, *l, template_names[k]);
					ret = -1;
					continue;
				}
				if ((t = tmpl_load(p, &d)) == NULL)
					ret = -1;
				for (size_t e = 0; e < d.n; e++)
					log_warnx("%s", d.lines[e]);
				tmpl_diag_clear(&d);
				tmpl_free(t);
				g_free(p);
			}
		}
	}
	return ret;
}

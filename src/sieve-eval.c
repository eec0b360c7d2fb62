/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <string.h>

#include <glib.h>

#include "sieve-priv.h"

/*
 * The Sieve evaluator: runs a compiled script over a read-only view of
 * one message and appends actions to a result.  No I/O.  Every command,
 * test and comparison costs steps; past the budget, or when a regex
 * hits PCRE's match limit, the run fails and the message gets only the
 * implicit keep, with an error naming the rule.
 */

struct ev {
	const struct sieve_script *s;
	const struct sieve_view	*v;
	struct sieve_result	*r;
	uint64_t		 budget;
	unsigned		 line, col;	/* the rule running */
	bool			 failed;
};

const char *
sieve_action_name(enum sieve_action_kind k)
{
	static const char *const names[] = {
		[SIEVE_ACT_KEEP] = "keep",
		[SIEVE_ACT_DISCARD] = "discard",
		[SIEVE_ACT_REJECT] = "reject",
		[SIEVE_ACT_QUEUE] = "queue",
		[SIEVE_ACT_PRIORITY] = "priority",
		[SIEVE_ACT_ASSIGN] = "assign",
		[SIEVE_ACT_ADDTAG] = "addtag",
		[SIEVE_ACT_STATUS] = "status",
		[SIEVE_ACT_NOACK] = "noack",
		[SIEVE_ACT_REPLY] = "reply",
		[SIEVE_ACT_NOTIFY] = "notify",
	};

	return (size_t)k < G_N_ELEMENTS(names) ? names[k] : "?";
}

const char *
sieve_disposition_name(enum sieve_disposition d)
{
	switch (d) {
	case SIEVE_DISP_KEEP:
		return "keep";
	case SIEVE_DISP_DISCARD:
		return "discard";
	case SIEVE_DISP_REJECT:
		return "reject";
	}
	return "?";
}

void
sieve_result_init(struct sieve_result *r)
{
	*r = (struct sieve_result){ .implicit_keep = true };
}

void
sieve_result_clear(struct sieve_result *r)
{
	if (r == NULL)
		return;
	g_free(r->actions);
	g_free(r->error);
	sieve_result_init(r);
}

static void G_GNUC_PRINTF(2, 3)
fail(struct ev *e, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (e->failed)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	e->r->error = g_strdup_printf("%s:%u:%u: %s", e->s->name, e->line,
	    e->col, msg);
	g_free(msg);
	e->failed = true;
}

static bool
charge(struct ev *e, uint64_t cost)
{
	e->r->steps += cost;
	if (e->r->steps <= e->budget)
		return true;
	fail(e, "step budget exceeded (%" G_GUINT64_FORMAT " steps)",
	    e->budget);
	return false;
}

/* ---- comparisons ---- */

static const char *
next_char(const char *s, const char *end, bool utf8)
{
	if (!utf8)
		return s + 1;
	for (s++; s < end && ((unsigned char)*s & 0xc0) == 0x80; s++)
		;
	return s;
}

/* i;ascii-casemap: only A-Z fold. */
static inline char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static inline bool
same(char a, char b, bool fold)
{
	return fold ? lower(a) == lower(b) : a == b;
}

/*
 * :matches: "*" any sequence, "?" one character (one octet for
 * i;octet), "\" quotes the next one.  Backtracks only to the last star,
 * so it takes at most O(len(s) * len(p)).
 */
static bool
glob(const char *s, const char *se, const char *p, bool fold)
{
	const char *star_p = NULL, *star_s = NULL, *pc;

	while (s < se) {
		if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		}
		if (*p == '?') {
			s = next_char(s, se, fold);
			p++;
			continue;
		}
		pc = *p == '\\' && p[1] != '\0' ? p + 1 : p;
		if (*pc != '\0' && same(*pc, *s, fold)) {
			s++;
			p = pc + 1;
			continue;
		}
		if (star_p == NULL)
			return false;
		p = star_p;
		s = star_s = next_char(star_s, se, fold);
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool
contains(const char *s, size_t len, const char *key, bool fold)
{
	size_t klen = strlen(key);
	char k0;

	if (klen == 0)
		return true;
	k0 = lower(key[0]);

	if (!fold)
		return memmem(s, len, key, klen) != NULL;
	for (size_t i = 0; i + klen <= len; i++) {
		size_t j;

		if (lower(s[i]) != k0)
			continue;
		for (j = 1; j < klen && lower(s[i + j]) == lower(key[j]); j++)
			;
		if (j == klen)
			return true;
	}
	return false;
}

static size_t
stars(const char *key)
{
	size_t n = 1;

	for (; *key != '\0'; key++)
		n += *key == '*';
	return n;
}

/* One key against one value: 1, 0, or -1 (failed). */
static int
match_one(struct ev *e, const struct sv_test *t, size_t k, const char *val,
    size_t len)
{
	bool fold = t->cmp == SV_CMP_CASEMAP;
	const char *key = t->keys[k];
	GError *err = NULL;
	gboolean m;

	switch (t->match) {
	case SV_MATCH_IS:
		if (!charge(e, 1 + len / 256))
			return -1;
		return strlen(key) == len && (fold ? g_ascii_strncasecmp(val,
		    key, len) == 0 : memcmp(val, key, len) == 0);
	case SV_MATCH_CONTAINS:
		if (!charge(e, 1 + len / 256))
			return -1;
		return contains(val, len, key, fold);
	case SV_MATCH_MATCHES:
		if (!charge(e, 1 + len * stars(key) / 256))
			return -1;
		return glob(val, val + len, key, fold);
	case SV_MATCH_REGEX:
		if (!charge(e, 16 + len / 16))
			return -1;
		if (!g_utf8_validate(val, len, NULL))
			return 0;
		m = g_regex_match_full(t->re[k], val, len, 0, 0, NULL, &err);
		if (err != NULL) {
			/* GLib's message ends with PCRE's reason. */
			const char *why = g_strrstr(err->message, ": ");

			fail(e, "regex \"%s\": %s", key, why != NULL ? why + 2 :
			    err->message);
			g_error_free(err);
			return -1;
		}
		return m;
	}
	return 0;
}

/* Does val match any key?  1, 0, -1. */
static int
match(struct ev *e, const struct sv_test *t, const char *val, size_t len)
{
	size_t max = t->match == SV_MATCH_REGEX ? SIEVE_REGEX_SUBJECT_MAX :
	    SIEVE_SUBJECT_MAX;
	int r;

	/* Cut at a character boundary: the value stays UTF-8. */
	if (len > max) {
		const char *end = g_utf8_find_prev_char(val, val + max + 1);

		len = end != NULL ? (size_t)(end - val) : max;
	}
	for (size_t k = 0; k < t->nkeys; k++)
		if ((r = match_one(e, t, k, val, len)) != 0)
			return r;
	return 0;
}

static int
match_str(struct ev *e, const struct sv_test *t, const char *val)
{
	return match(e, t, val, strlen(val));
}

/* The address part of addr (RFC 5228 2.7.4); NULL: nothing to match. */
static int
match_address(struct ev *e, const struct sv_test *t, const char *addr,
    size_t len)
{
	const char *at = g_strrstr_len(addr, len, "@");

	switch (t->part) {
	case SV_PART_ALL:
		break;
	case SV_PART_LOCAL:
		if (at != NULL)
			len = at - addr;
		break;
	case SV_PART_DOMAIN:
		if (at == NULL)
			return 0;
		len -= at + 1 - addr;
		addr = at + 1;
		break;
	}
	return match(e, t, addr, len);
}

/* ---- tests ---- */

static int
t_header(struct ev *e, const struct sv_test *t)
{
	const struct msg *m = e->v->msg;
	int r;

	for (const char **name = t->names; *name != NULL; name++)
		for (size_t i = 0; i < m->nheaders; i++)
			if (g_ascii_strcasecmp(m->headers[i].name, *name) ==
			    0 && (r = match_str(e, t, m->headers[i].value)) != 0)
				return r;
	return 0;
}

static int
t_exists(struct ev *e, const struct sv_test *t)
{
	for (const char **name = t->names; *name != NULL; name++)
		if (msg_header_nth(e->v->msg, *name, 0) == NULL)
			return 0;
	return 1;
}

static int
match_addrs(struct ev *e, const struct sv_test *t, const struct msg_addrs *l)
{
	int r;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].address[0] != '\0' && (r = match_address(e, t,
		    l->v[i].address, strlen(l->v[i].address))) != 0)
			return r;
	return 0;
}

/* The next address in an address-list value: what is in <...>, else
 * the item without comments and a group's "name:".  Returns the end of
 * the item; *a, *alen the address ("" when none). */
static const char *
next_address(const char *p, const char **a, size_t *alen)
{
	const char *start = p, *lt = NULL, *gt = NULL, *colon = NULL;
	bool quote = false;
	int paren = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (quote) {
			quote = *p != '"';
			continue;
		}
		if (*p == '"')
			quote = true;
		else if (*p == '(')
			paren++;
		else if (*p == ')' && paren > 0)
			paren--;
		else if (paren > 0)
			continue;
		else if (*p == ',')
			break;
		else if (*p == '<' && lt == NULL)
			lt = p;
		else if (*p == '>' && lt != NULL && gt == NULL)
			gt = p;
		else if (*p == ':' && lt == NULL)
			colon = p;
	}
	if (lt != NULL && gt != NULL) {
		*a = lt + 1;
		*alen = gt - lt - 1;
	} else {
		*a = colon != NULL ? colon + 1 : start;
		while (*a < p && strchr(" \t;", **a) != NULL)
			(*a)++;
		*alen = p - *a;
		while (*alen > 0 && strchr(" \t;", (*a)[*alen - 1]) != NULL)
			(*alen)--;
		if (memchr(*a, '(', *alen) != NULL)
			*alen = (const char *)memchr(*a, '(', *alen) - *a;
	}
	return *p == ',' ? p + 1 : p;
}

static int
match_header_addrs(struct ev *e, const struct sv_test *t, const char *val)
{
	const char *a;
	size_t alen;
	int r;

	while (*val != '\0') {
		val = next_address(val, &a, &alen);
		while (alen > 0 && (*a == ' ' || *a == '\t')) {
			a++;
			alen--;
		}
		if (alen > 0 && (r = match_address(e, t, a, alen)) != 0)
			return r;
	}
	return 0;
}

/* From, To, Cc and Reply-To come parsed in struct msg; other headers
 * are split here. */
static int
t_address(struct ev *e, const struct sv_test *t)
{
	const struct msg *m = e->v->msg;
	const struct msg_addrs from = { .v = (struct msg_addr *)&m->from,
	    .n = 1 };
	const struct {
		const char		*name;
		const struct msg_addrs	*l;
	} parsed[] = {
		{ "from", &from }, { "to", &m->to }, { "cc", &m->cc },
		{ "reply-to", &m->reply_to },
	};
	int r;

	for (const char **name = t->names; *name != NULL; name++) {
		size_t k;

		for (k = 0; k < G_N_ELEMENTS(parsed); k++)
			if (g_ascii_strcasecmp(*name, parsed[k].name) == 0)
				break;
		if (k < G_N_ELEMENTS(parsed)) {
			if ((r = match_addrs(e, t, parsed[k].l)) != 0)
				return r;
			continue;
		}
		for (size_t i = 0; i < m->nheaders; i++)
			if (g_ascii_strcasecmp(m->headers[i].name, *name) ==
			    0 && (r = match_header_addrs(e, t,
			    m->headers[i].value)) != 0)
				return r;
	}
	return 0;
}

static int
t_envelope(struct ev *e, const struct sv_test *t)
{
	const char *val;
	size_t len;
	int r;

	for (const char **name = t->names; *name != NULL; name++) {
		val = g_ascii_strcasecmp(*name, "from") == 0 ?
		    e->v->env_from : e->v->env_to;
		if (val == NULL)
			continue;
		len = strlen(val);
		if (len >= 2 && val[0] == '<' && val[len - 1] == '>') {
			val++;
			len -= 2;
		}
		/* The null reverse-path is "" whatever the part. */
		if (len == 0)
			r = match(e, t, "", 0);
		else
			r = match_address(e, t, val, len);
		if (r != 0)
			return r;
	}
	return 0;
}

static int eval_test(struct ev *, const struct sv_test *);

static int
t_list(struct ev *e, const struct sv_test *t, bool all)
{
	int r;

	for (size_t i = 0; i < t->nsub; i++)
		if ((r = eval_test(e, t->sub[i])) == -1 || (r == 1) != all)
			return r;
	return all ? 1 : 0;
}

static int
eval_test(struct ev *e, const struct sv_test *t)
{
	const struct msg *m = e->v->msg;
	int r;

	e->line = t->line;
	e->col = t->col;
	if (!charge(e, 1))
		return -1;
	switch (t->kind) {
	case SV_T_ADDRESS:
		return t_address(e, t);
	case SV_T_HEADER:
		return t_header(e, t);
	case SV_T_ENVELOPE:
		return t_envelope(e, t);
	case SV_T_EXISTS:
		return t_exists(e, t);
	case SV_T_SIZE:
		return t->over ? m->raw_len > t->limit : m->raw_len < t->limit;
	case SV_T_ALLOF:
		return t_list(e, t, true);
	case SV_T_ANYOF:
		return t_list(e, t, false);
	case SV_T_NOT:
		return (r = eval_test(e, t->sub[0])) == -1 ? -1 : !r;
	case SV_T_TRUE:
		return 1;
	case SV_T_FALSE:
		return 0;
	case SV_T_BODY:
		return match_str(e, t, m->body_text);
	case SV_T_NEW:
		return e->v->is_new;
	}
	return 0;
}

/* ---- commands ---- */

static bool
same_action(const struct sieve_action *a, const struct sieve_action *b)
{
	return a->kind == b->kind && (a->arg == b->arg || (a->arg != NULL &&
	    b->arg != NULL && strcmp(a->arg, b->arg) == 0));
}

static const struct sieve_action *
find_kind(const struct sieve_result *r, enum sieve_action_kind k)
{
	for (size_t i = 0; i < r->nactions; i++)
		if (r->actions[i].kind == k)
			return &r->actions[i];
	return NULL;
}

static void
add_action(struct ev *e, const struct sieve_action *a)
{
	struct sieve_result *r = e->r;
	const struct sieve_action *other = NULL;

	if (a->kind == SIEVE_ACT_KEEP)
		other = find_kind(r, SIEVE_ACT_REJECT);
	else if (a->kind == SIEVE_ACT_REJECT)
		other = find_kind(r, SIEVE_ACT_KEEP);
	if (other != NULL) {
		fail(e, "%s conflicts with %s at %s:%u", sieve_action_name(
		    a->kind), sieve_action_name(other->kind), other->file,
		    other->line);
		return;
	}
	if (a->kind == SIEVE_ACT_KEEP || a->kind == SIEVE_ACT_DISCARD ||
	    a->kind == SIEVE_ACT_REJECT)
		r->implicit_keep = false;
	for (size_t i = 0; i < r->nactions; i++)
		if (same_action(&r->actions[i], a))
			return;
	r->actions = g_renew(struct sieve_action, r->actions,
	    r->nactions + 1);
	r->actions[r->nactions++] = *a;
}

static void exec_block(struct ev *, struct sv_cmd *const *, size_t);

static void
exec_if(struct ev *e, const struct sv_cmd *c)
{
	int r;

	for (; c != NULL; c = c->next) {
		if (c->test != NULL) {
			if ((r = eval_test(e, c->test)) == -1)
				return;
			if (r == 0)
				continue;
		}
		exec_block(e, c->block, c->nblock);
		return;
	}
}

static void
exec_block(struct ev *e, struct sv_cmd *const *cmds, size_t n)
{
	const struct sieve_action *acts =
	    (const struct sieve_action *)(void *)e->s->actions->data;

	for (size_t i = 0; i < n && !e->failed && !e->r->stopped; i++) {
		const struct sv_cmd *c = cmds[i];

		e->line = c->line;
		e->col = c->col;
		if (!charge(e, 1))
			return;
		switch (c->kind) {
		case SV_C_IF:
			exec_if(e, c);
			break;
		case SV_C_STOP:
			e->r->stopped = true;
			break;
		case SV_C_ACTION:
			add_action(e, &acts[c->action]);
			break;
		}
	}
}

int
sieve_eval(const struct sieve_script *s, const struct sieve_view *v,
    struct sieve_result *r)
{
	struct ev e = { .s = s, .v = v, .r = r, .budget = r->budget > 0 ?
	    r->budget : SIEVE_DEFAULT_BUDGET };

	if (r->error != NULL)
		return -1;
	if (r->stopped)
		return 0;
	exec_block(&e, s->cmds, s->ncmds);
	if (!e.failed)
		return 0;
	g_free(r->actions);
	r->actions = NULL;
	r->nactions = 0;
	r->implicit_keep = true;
	return -1;
}

enum sieve_disposition
sieve_result_disposition(const struct sieve_result *r,
    const struct sieve_action **reject)
{
	const struct sieve_action *rj = NULL;

	if (r->error == NULL)
		rj = find_kind(r, SIEVE_ACT_REJECT);
	if (reject != NULL)
		*reject = rj;
	if (rj != NULL)
		return SIEVE_DISP_REJECT;
	if (r->implicit_keep || find_kind(r, SIEVE_ACT_KEEP) != NULL)
		return SIEVE_DISP_KEEP;
	return SIEVE_DISP_DISCARD;
}

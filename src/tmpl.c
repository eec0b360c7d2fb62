/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "tmpl.h"

/*
 * A template compiles to a list of nodes per part (each header value and
 * the body): literal text, a variable, or an if-section holding nodes.
 */

enum node_kind { NODE_TEXT, NODE_VAR, NODE_IF };

struct node {
	enum node_kind	 kind;
	char		*text;		/* literal, or the variable name */
	GPtrArray	*children;	/* NODE_IF */
};

struct tmpl_header {
	char		*name;
	GPtrArray	*nodes;
};

struct tmpl {
	GPtrArray	*headers;	/* struct tmpl_header */
	GPtrArray	*body;		/* struct node */
};

static const char *const known_vars[] = {
	"ticket.number", "ticket.subject", "ticket.status",
	"ticket.priority", "ticket.tag", "ticket.url", "queue.name",
	"queue.address", "queue.response_time", "customer.name",
	"customer.address", "agent.name", "message.body",
	"message.subject", "message.from", "message.notes",
	"participants.added",
};

static const char *const forbidden_headers[] = {
	"To", "Cc", "Bcc", "From", "Reply-To", "Sender", "Return-Path",
	"Message-ID", "In-Reply-To", "References", "Date", "MIME-Version",
};

bool
tmpl_var_known(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(known_vars); i++)
		if (strcmp(known_vars[i], name) == 0)
			return true;
	return false;
}

static void
diag(struct tmpl_diag *d, const char *file, unsigned line, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
diag(struct tmpl_diag *d, const char *file, unsigned line, const char *fmt,
    ...)
{
	va_list ap;
	char *msg;

	if (d == NULL)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	d->lines = g_renew(char *, d->lines, d->n + 2);
	d->lines[d->n++] = g_strdup_printf("%s:%u: %s", file, line, msg);
	d->lines[d->n] = NULL;
	g_free(msg);
}

void
tmpl_diag_clear(struct tmpl_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		g_free(d->lines[i]);
	g_free(d->lines);
	d->lines = NULL;
	d->n = 0;
}

static void
node_free(gpointer p)
{
	struct node *n = p;

	g_free(n->text);
	if (n->children != NULL)
		g_ptr_array_free(n->children, TRUE);
	g_free(n);
}

static GPtrArray *
nodes_new(void)
{
	return g_ptr_array_new_with_free_func(node_free);
}

static void
add_node(GPtrArray *to, enum node_kind kind, const char *text, size_t len)
{
	struct node *n = g_new0(struct node, 1);

	n->kind = kind;
	n->text = g_strndup(text, len);
	if (kind == NODE_IF)
		n->children = nodes_new();
	g_ptr_array_add(to, n);
}

/* Parser state across the lines of one part. */
struct pstate {
	const char	*file;
	unsigned	 line;
	GPtrArray	*stack[16];	/* open sections; [0] the part */
	int		 depth;
	struct tmpl_diag *d;
	bool		 failed;
};

static void
tag(struct pstate *ps, const char *t, size_t n)
{
	GPtrArray *cur = ps->stack[ps->depth];
	char *name = g_strstrip(g_strndup(t, n));

	if (g_str_has_prefix(name, "#if ")) {
		char *var = g_strstrip(name + 4);
		struct node *sect;

		if (!tmpl_var_known(var)) {
			diag(ps->d, ps->file, ps->line, "unknown variable "
			    "\"%s\"", var);
			ps->failed = true;
		}
		if (ps->depth + 1 >= (int)G_N_ELEMENTS(ps->stack)) {
			diag(ps->d, ps->file, ps->line, "sections nest too "
			    "deep");
			ps->failed = true;
		} else {
			add_node(cur, NODE_IF, var, strlen(var));
			sect = g_ptr_array_index(cur, cur->len - 1);
			ps->stack[++ps->depth] = sect->children;
		}
	} else if (strcmp(name, "/if") == 0) {
		if (ps->depth == 0) {
			diag(ps->d, ps->file, ps->line, "{{/if}} without "
			    "{{#if}}");
			ps->failed = true;
		} else
			ps->depth--;
	} else if (!tmpl_var_known(name)) {
		diag(ps->d, ps->file, ps->line, "unknown variable \"%s\"", name);
		ps->failed = true;
	} else
		add_node(cur, NODE_VAR, name, strlen(name));
	g_free(name);
}

/* Split text into literal and {{tag}} nodes. */
static void
scan(struct pstate *ps, const char *s)
{
	const char *open, *close;

	while ((open = strstr(s, "{{")) != NULL) {
		if (open > s)
			add_node(ps->stack[ps->depth], NODE_TEXT, s,
			    (size_t)(open - s));
		if ((close = strstr(open + 2, "}}")) == NULL ||
		    memchr(open, '\n', (size_t)(close - open)) != NULL) {
			diag(ps->d, ps->file, ps->line, "unterminated {{");
			ps->failed = true;
			return;
		}
		tag(ps, open + 2, (size_t)(close - open - 2));
		s = close + 2;
	}
	if (*s != '\0')
		add_node(ps->stack[ps->depth], NODE_TEXT, s, strlen(s));
}

static bool
header_allowed(const char *name)
{
	if (g_ascii_strncasecmp(name, "Content-", 8) == 0)
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(forbidden_headers); i++)
		if (g_ascii_strcasecmp(name, forbidden_headers[i]) == 0)
			return false;
	return true;
}

static void
end_part(struct pstate *ps)
{
	if (ps->depth != 0) {
		diag(ps->d, ps->file, ps->line, "{{#if}} without {{/if}}");
		ps->failed = true;
	}
	ps->depth = 0;
}

static void
header_line(struct tmpl *t, struct pstate *ps, const char *line)
{
	const char *colon = strchr(line, ':');
	struct tmpl_header *h;
	size_t n = colon != NULL ? (size_t)(colon - line) : 0;

	if (n == 0 || strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789-") != n) {
		diag(ps->d, ps->file, ps->line, "not a header line (want "
		    "\"Name: value\", then a blank line, then the body)");
		ps->failed = true;
		return;
	}
	h = g_new0(struct tmpl_header, 1);
	h->name = g_strndup(line, n);
	h->nodes = nodes_new();
	g_ptr_array_add(t->headers, h);
	if (!header_allowed(h->name)) {
		diag(ps->d, ps->file, ps->line, "header %s is set by postdesk, "
		    "not by templates", h->name);
		ps->failed = true;
	}
	ps->stack[0] = h->nodes;
	scan(ps, colon + 1 + strspn(colon + 1, " \t"));
	end_part(ps);
}

static void
header_free(gpointer p)
{
	struct tmpl_header *h = p;

	g_free(h->name);
	g_ptr_array_free(h->nodes, TRUE);
	g_free(h);
}

struct tmpl *
tmpl_parse(const char *name, const char *text, struct tmpl_diag *d)
{
	struct tmpl *t = g_new0(struct tmpl, 1);
	struct pstate ps = { .file = name, .d = d };
	char **lines = g_strsplit(text, "\n", -1);
	size_t i = 0;

	t->headers = g_ptr_array_new_with_free_func(header_free);
	t->body = nodes_new();
	if (!g_utf8_validate(text, -1, NULL)) {
		diag(d, name, 1, "not valid UTF-8");
		ps.failed = true;
	}
	for (; lines[i] != NULL && *g_strchomp(lines[i]) != '\0'; i++) {
		ps.line = (unsigned)i + 1;
		header_line(t, &ps, lines[i]);
	}
	ps.stack[0] = t->body;
	for (i += lines[i] != NULL; lines[i] != NULL; i++) {
		char *l = g_strconcat(lines[i], lines[i + 1] != NULL ? "\n" :
		    "", NULL);

		ps.line = (unsigned)i + 1;
		scan(&ps, l);
		g_free(l);
	}
	end_part(&ps);
	g_strfreev(lines);
	if (ps.failed) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

struct tmpl *
tmpl_load(const char *path, struct tmpl_diag *d)
{
	GError *err = NULL;
	char *text;
	struct tmpl *t;

	if (!g_file_get_contents(path, &text, NULL, &err)) {
		if (d != NULL) {
			d->lines = g_renew(char *, d->lines, d->n + 2);
			d->lines[d->n++] = g_strdup_printf("%s: %s", path,
			    err->message);
			d->lines[d->n] = NULL;
		}
		g_error_free(err);
		return NULL;
	}
	t = tmpl_parse(path, text, d);
	g_free(text);
	return t;
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	g_ptr_array_free(t->headers, TRUE);
	g_ptr_array_free(t->body, TRUE);
	g_free(t);
}

static void
render_nodes(GPtrArray *nodes, tmpl_lookup get, void *arg, GString *out)
{
	for (guint i = 0; i < nodes->len; i++) {
		const struct node *n = g_ptr_array_index(nodes, i);
		const char *v;

		switch (n->kind) {
		case NODE_TEXT:
			g_string_append(out, n->text);
			break;
		case NODE_VAR:
			if ((v = get(arg, n->text)) != NULL)
				g_string_append(out, v);
			break;
		case NODE_IF:
			v = get(arg, n->text);
			if (v != NULL && *v != '\0')
				render_nodes(n->children, get, arg, out);
			break;
		}
	}
}

/* Header values: no CR, LF or other control characters survive. */
static char *
clean_header(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return g_strstrip(s);
}

void
tmpl_render(const struct tmpl *t, tmpl_lookup get, void *arg,
    struct tmpl_out *out)
{
	*out = (struct tmpl_out){ 0 };
	out->headers = g_new0(struct msg_header, t->headers->len + 1);
	for (guint i = 0; i < t->headers->len; i++) {
		const struct tmpl_header *h = g_ptr_array_index(t->headers, i);
		GString *v = g_string_new(NULL);

		render_nodes(h->nodes, get, arg, v);
		out->headers[i].name = g_strdup(h->name);
		out->headers[i].value = clean_header(g_string_free(v, FALSE));
	}
	out->nheaders = t->headers->len;
	GString *b = g_string_new(NULL);
	render_nodes(t->body, get, arg, b);
	out->body = g_string_free(b, FALSE);
}

void
tmpl_out_clear(struct tmpl_out *o)
{
	for (size_t i = 0; i < o->nheaders; i++) {
		g_free(o->headers[i].name);
		g_free(o->headers[i].value);
	}
	g_free(o->headers);
	g_free(o->body);
	*o = (struct tmpl_out){ 0 };
}

const char *
tmpl_out_header(const struct tmpl_out *o, const char *name)
{
	for (size_t i = 0; i < o->nheaders; i++)
		if (g_ascii_strcasecmp(o->headers[i].name, name) == 0)
			return o->headers[i].value;
	return NULL;
}

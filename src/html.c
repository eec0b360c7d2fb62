/* SPDX-License-Identifier: ISC */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "html.h"

#define INDENT_MAX	8	/* nested list levels that still indent */

/*
 * NOBLANKS is left out: it drops the blank text between inline elements.
 * HUGE lifts the nesting limit of 256, past which libxml2 drops the rest
 * of the document; mail size is bounded before it gets here, and the
 * walk below needs no C stack per level.
 */
#define PARSE_OPTS	(HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | \
			 HTML_PARSE_NOWARNING | HTML_PARSE_NONET | \
			 HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT | \
			 XML_PARSE_HUGE)

enum kind {
	K_INLINE,
	K_DROP,		/* the element and all inside it */
	K_LINE,		/* on lines of its own */
	K_PARA,		/* with a blank line around */
	K_PRE,
	K_BR,
	K_LIST,
	K_ITEM,
	K_ROW,
	K_CELL,
	K_LINK,
};

static const struct tag {
	const char	*name;
	enum kind	 kind;
} tags[] = {
	{ "script", K_DROP }, { "style", K_DROP }, { "head", K_DROP },
	{ "title", K_DROP }, { "noscript", K_DROP }, { "template", K_DROP },
	{ "svg", K_DROP }, { "iframe", K_DROP }, { "object", K_DROP },
	{ "p", K_PARA }, { "h1", K_PARA }, { "h2", K_PARA }, { "h3", K_PARA },
	{ "h4", K_PARA }, { "h5", K_PARA }, { "h6", K_PARA },
	{ "blockquote", K_PARA }, { "hr", K_PARA }, { "dl", K_PARA },
	{ "pre", K_PRE }, { "br", K_BR },
	{ "ul", K_LIST }, { "ol", K_LIST }, { "menu", K_LIST },
	{ "li", K_ITEM }, { "tr", K_ROW }, { "td", K_CELL }, { "th", K_CELL },
	{ "a", K_LINK },
	{ "div", K_LINE }, { "table", K_LINE }, { "caption", K_LINE },
	{ "dt", K_LINE }, { "dd", K_LINE }, { "section", K_LINE },
	{ "article", K_LINE }, { "header", K_LINE }, { "footer", K_LINE },
	{ "address", K_LINE }, { "nav", K_LINE }, { "aside", K_LINE },
	{ "main", K_LINE }, { "figure", K_LINE }, { "figcaption", K_LINE },
	{ "form", K_LINE }, { "fieldset", K_LINE }, { "legend", K_LINE },
	{ "details", K_LINE }, { "summary", K_LINE }, { "center", K_LINE },
	{ "body", K_LINE },
};

/*
 * Text is written lazily: white space and block edges only record what
 * is owed (a separator, line breaks), paid when the next text comes, so
 * nothing dangles at the ends and runs of breaks collapse.
 */
struct out {
	GString		*s;
	int		 nl;	/* 1: end the line, 2: blank line */
	char		 sep;	/* ' ' or '\t' before the next text */
	int		 pre;	/* inside <pre>: white space is kept */
};

/* One open element; list and row are frame indices, -1 for none. */
struct frame {
	xmlNode		*node;
	enum kind	 kind;
	size_t		 mark;	/* where a link's text starts */
	long		 count;	/* items of a list, cells of a row */
	int		 list;
	int		 row;
	int		 depth;	/* lists around, this one included */
};

static enum kind
kind_of(const xmlNode *n)
{
	size_t	 i;

	for (i = 0; i < G_N_ELEMENTS(tags); i++)
		if (g_ascii_strcasecmp(tags[i].name,
		    (const char *)n->name) == 0)
			return tags[i].kind;
	return K_INLINE;
}

static void
need(struct out *o, int nl)
{
	if (o->nl < nl)
		o->nl = nl;
}

/* Pay what is owed before text; nothing is owed at the very start. */
static void
settle(struct out *o)
{
	GString	*s = o->s;
	int	 have = 0;

	if (s->len > 0 && o->nl > 0) {
		while (have < o->nl && (size_t)have < s->len &&
		    s->str[s->len - 1 - have] == '\n')
			have++;
		for (; have < o->nl; have++)
			g_string_append_c(s, '\n');
	} else if (s->len > 0 && o->sep != 0 && s->str[s->len - 1] != '\n')
		g_string_append_c(s, o->sep);
	o->nl = 0;
	o->sep = 0;
}

/* A no-break space reads as a space but is never folded away. */
static void
put_run(struct out *o, const char *p, size_t n)
{
	const char	*nbsp;

	settle(o);
	while ((nbsp = g_strstr_len(p, n, "\xc2\xa0")) != NULL) {
		g_string_append_len(o->s, p, nbsp - p);
		g_string_append_c(o->s, ' ');
		n -= nbsp + 2 - p;
		p = nbsp + 2;
	}
	g_string_append_len(o->s, p, n);
}

static void
put_text(struct out *o, const char *t)
{
	size_t	 n;

	if (o->pre > 0) {
		put_run(o, t, strlen(t));
		return;
	}
	while (*t != '\0') {
		if (g_ascii_isspace(*t)) {
			if (o->sep == 0)
				o->sep = ' ';
			t++;
			continue;
		}
		for (n = 0; t[n] != '\0' && !g_ascii_isspace(t[n]); n++)
			;
		put_run(o, t, n);
		t += n;
	}
}

static void
put_str(struct out *o, const char *s)
{
	settle(o);
	g_string_append(o->s, s);
}

/* An <ol start="n"> numbers from n. */
static long
list_start(xmlNode *n)
{
	xmlChar	*v;
	long	 start = 1;
	char	*end;

	if (g_ascii_strcasecmp((const char *)n->name, "ol") != 0 ||
	    (v = xmlGetProp(n, (const xmlChar *)"start")) == NULL)
		return 1;
	start = strtol((const char *)v, &end, 10);
	if (end == (char *)v || start < 0 || start > INT_MAX / 2)
		start = 1;
	xmlFree(v);
	return start;
}

static void
open_item(struct out *o, GArray *stack, const struct frame *f)
{
	struct frame	*list;
	char		 num[32];
	int		 i;

	need(o, 1);
	settle(o);
	for (i = 1; i < f->depth && i < INDENT_MAX; i++)
		g_string_append(o->s, "  ");
	list = f->list >= 0 ? &g_array_index(stack, struct frame, f->list) :
	    NULL;
	if (list != NULL &&
	    g_ascii_strcasecmp((const char *)list->node->name, "ol") == 0) {
		if (snprintf(num, sizeof(num), "%ld. ", list->count++) >=
		    (int)sizeof(num))
			num[0] = '\0';
		g_string_append(o->s, num);
	} else
		g_string_append(o->s, "- ");
}

/* What an element does where it opens. */
static void
open_element(struct out *o, GArray *stack, struct frame *f)
{
	switch (f->kind) {
	case K_LINE:
	case K_ROW:
		need(o, 1);
		break;
	case K_PARA:
		need(o, 2);
		break;
	case K_PRE:
		need(o, 2);
		o->pre++;
		break;
	case K_BR:
		o->sep = 0;
		put_str(o, "\n");
		break;
	case K_LIST:
		need(o, f->depth > 1 ? 1 : 2);
		f->count = list_start(f->node);
		break;
	case K_ITEM:
		open_item(o, stack, f);
		break;
	case K_CELL:
		if (f->row >= 0 &&
		    g_array_index(stack, struct frame, f->row).count++ > 0)
			o->sep = '\t';
		break;
	case K_LINK:
		f->mark = o->s->len;
		break;
	default:
		break;
	}
}

static bool
is_shown_url(const char *url, const char *text, size_t tlen)
{
	if (*url == '\0' || strcmp(url, "#") == 0 ||
	    g_ascii_strncasecmp(url, "javascript:", 11) == 0)
		return false;
	if (strlen(url) == tlen && strncmp(url, text, tlen) == 0)
		return false;
	if (g_ascii_strncasecmp(url, "mailto:", 7) == 0 &&
	    strlen(url + 7) == tlen && strncmp(url + 7, text, tlen) == 0)
		return false;
	return true;
}

/* "text <url>", only "text" when the url says nothing more. */
static void
close_link(struct out *o, const struct frame *f)
{
	xmlChar		*href;
	char		*url;
	const char	*text = o->s->str + f->mark;
	size_t		 tlen = o->s->len - f->mark;

	if ((href = xmlGetProp(f->node, (const xmlChar *)"href")) == NULL)
		return;
	url = g_strstrip(g_strdup((const char *)href));
	xmlFree(href);
	while (tlen > 0 && g_ascii_isspace(*text)) {
		text++;
		tlen--;
	}
	if (is_shown_url(url, text, tlen)) {
		if (tlen > 0)
			o->sep = ' ';
		settle(o);
		g_string_append_printf(o->s, "<%s>", url);
	}
	g_free(url);
}

static void
close_element(struct out *o, struct frame *f)
{
	switch (f->kind) {
	case K_LINE:
	case K_ROW:
	case K_ITEM:
		need(o, 1);
		break;
	case K_PARA:
		need(o, 2);
		break;
	case K_PRE:
		need(o, 2);
		o->pre--;
		break;
	case K_LIST:
		need(o, f->depth > 1 ? 1 : 2);
		break;
	case K_LINK:
		close_link(o, f);
		break;
	default:
		break;
	}
}

/* Returns true when the walk goes into the node: a frame was pushed. */
static bool
open_node(struct out *o, GArray *stack, xmlNode *n)
{
	struct frame	 f = { .node = n, .list = -1, .row = -1 };
	int		 self = (int)stack->len;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content != NULL)
			put_text(o, (const char *)n->content);
		return false;
	}
	if (n->type != XML_ELEMENT_NODE || (f.kind = kind_of(n)) == K_DROP)
		return false;
	if (self > 0) {
		const struct frame *up = &g_array_index(stack, struct frame,
		    self - 1);

		f.list = up->list;
		f.row = up->row;
		f.depth = up->depth;
	}
	if (f.kind == K_LIST) {
		f.list = self;
		f.depth++;
	} else if (f.kind == K_ROW)
		f.row = self;
	open_element(o, stack, &f);
	g_array_append_val(stack, f);
	return true;
}

static void
close_top(struct out *o, GArray *stack)
{
	struct frame	 f;

	f = g_array_index(stack, struct frame, stack->len - 1);

	close_element(o, &f);
	g_array_set_size(stack, stack->len - 1);
}

/* Iterative, with the open elements on a heap stack: hostile mail nests
 * deeper than any C stack. */
static void
walk(struct out *o, xmlNode *n)
{
	GArray	*stack = g_array_new(FALSE, FALSE, sizeof(struct frame));

	while (n != NULL) {
		if (open_node(o, stack, n)) {
			if (n->children != NULL) {
				n = n->children;
				continue;
			}
			close_top(o, stack);
		}
		while (n->next == NULL && stack->len > 0) {
			n = g_array_index(stack, struct frame,
			    stack->len - 1).node;
			close_top(o, stack);
		}
		n = n->next;
	}
	g_array_free(stack, TRUE);
}

/* No blanks at line ends, at most one blank line in a row, none at the
 * ends; leading blanks stay, they indent lists and <pre>. */
static char *
tidy(const GString *s)
{
	GString		*r = g_string_sized_new(s->len + 1);
	const char	*p = s->str, *end = s->str + s->len, *eol, *e;
	bool		 blank = false;

	while (p < end) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		for (e = eol; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (e == p)
			blank = true;
		else {
			if (r->len > 0)
				g_string_append(r, blank ? "\n\n" : "\n");
			g_string_append_len(r, p, e - p);
			blank = false;
		}
		if (eol == end)
			break;
		p = eol + 1;
	}
	return g_string_free(r, FALSE);
}

static void
quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

static void
quiet_structured(void *ctx, xmlErrorPtr err)
{
	(void)ctx;
	(void)err;
}

void
html_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
}

char *
html_to_text(const char *html, size_t len)
{
	htmlDocPtr	 doc;
	struct out	 o = { .s = NULL };
	char		*text, *valid;

	if (html == NULL || len == 0)
		return g_strdup("");
	/* libxml2 keeps the error handlers per thread. */
	html_init();
	doc = htmlReadMemory(html, len > INT_MAX ? INT_MAX : (int)len, NULL,
	    "UTF-8", PARSE_OPTS);
	if (doc == NULL)
		return g_strdup("");
	o.s = g_string_sized_new(len / 2 + 1);
	walk(&o, doc->children);
	xmlFreeDoc(doc);
	text = tidy(o.s);
	g_string_free(o.s, TRUE);
	if (g_utf8_validate(text, -1, NULL))
		return text;
	valid = g_utf8_make_valid(text, -1);
	g_free(text);
	return valid;
}

const char *
html_lib_version(void)
{
	static gsize	 once;
	static char	 buf[32];
	int		 v = atoi(xmlParserVersion);

	/* The library in use, not the headers built against: "20914". */
	if (g_once_init_enter(&once)) {
		if (snprintf(buf, sizeof(buf), "libxml2 %d.%d.%d", v / 10000,
		    v / 100 % 100, v % 100) >= (int)sizeof(buf))
			buf[0] = '\0';
		g_once_init_leave(&once, 1);
	}
	return buf;
}

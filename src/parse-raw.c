/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "digest.h"
#include "parse.h"
#include "parse-priv.h"

/*
 * The fallback for a mail that made the real parser fail again and
 * again: a scan of the raw header that GMime never sees, just enough to
 * keep the mail's own Message-ID and to thread it.
 */

#define RAW_BODY_MAX	(64 * 1024)

static const char raw_note[] =
    "[postdesk: this mail could not be parsed; here it is raw]\n\n";

/* Text fit for struct msg: valid UTF-8, CR LF as LF, no control
 * characters (but LF and TAB when multiline). */
static char *
clean(const char *p, size_t n, bool multiline)
{
	GString *g = g_string_sized_new(n);
	char *s;

	for (size_t i = 0; i < n; i++)
		if (!(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			g_string_append_c(g, p[i] != '\0' ? p[i] : ' ');
	s = g_utf8_make_valid(g->str, (gssize)g->len);
	g_string_free(g, TRUE);
	parse_scrub(s, multiline);
	return multiline ? s : g_strstrip(s);
}

/* The ids in a Message-ID, In-Reply-To or References value. */
static void
scan_ids(const char *v, struct msg_strs *out)
{
	const char *p = v, *lt, *gt;

	while ((lt = strchr(p, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
		char *id = g_strndup(lt + 1, (gsize)(gt - lt - 1));

		g_strstrip(id);
		if (*id != '\0')
			msg_strs_add(out, id);
		g_free(id);
		p = gt + 1;
	}
	if (out->n == 0) {
		char **w = g_strsplit_set(v, " \t", -1);

		for (char **x = w; *x != NULL; x++)
			if (**x != '\0')
				msg_strs_add(out, *x);
		g_strfreev(w);
	}
}

/* One "Name <addr>" or "addr" of an address list. */
static void
add_address(struct msg_addrs *out, const char *item)
{
	const char *lt = strchr(item, '<'), *gt;
	char *name, *addr;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		name = g_strndup(item, (gsize)(lt - item));
		addr = g_strndup(lt + 1, (gsize)(gt - lt - 1));
	} else {
		name = g_strdup("");
		addr = g_strdup(item);
	}
	g_strstrip(name);
	g_strstrip(addr);
	if (name[0] == '"' && strlen(name) >= 2 &&
	    name[strlen(name) - 1] == '"') {
		memmove(name, name + 1, strlen(name));
		name[strlen(name) - 1] = '\0';
	}
	if (strchr(addr, '@') != NULL) {
		char *at = strrchr(addr, '@'), *dom = g_ascii_strdown(at + 1, -1);

		*at = '\0';
		msg_addrs_add(out, name, "");
		g_free(out->v[out->n - 1].address);
		out->v[out->n - 1].address = g_strconcat(addr, "@", dom, NULL);
		g_free(dom);
	}
	g_free(name);
	g_free(addr);
}

/* Split at commas (and group ends) outside quotes and angle brackets. */
static void
scan_addresses(const char *v, struct msg_addrs *out)
{
	GString *item = g_string_new(NULL);
	bool quoted = false, angle = false;

	for (const char *p = v;; p++) {
		/* "Team: a@x, b@y;": the group's name is no address. */
		if (*p == ':' && !quoted && !angle) {
			g_string_truncate(item, 0);
			continue;
		}
		if (*p == '\0' || ((*p == ',' || *p == ';') && !quoted &&
		    !angle)) {
			add_address(out, item->str);
			g_string_truncate(item, 0);
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '<' && !quoted)
			angle = true;
		else if (*p == '>' && !quoted)
			angle = false;
		g_string_append_c(item, *p);
	}
	g_string_free(item, TRUE);
}

/* The first id of value into *dst, when *dst is still empty. */
static void
take_first_id(char **dst, const char *value)
{
	struct msg_strs ids = { 0 };

	if ((*dst)[0] == '\0') {
		scan_ids(value, &ids);
		if (ids.n > 0) {
			g_free(*dst);
			*dst = g_strdup(ids.v[0]);
		}
	}
	for (size_t i = 0; i < ids.n; i++)
		g_free(ids.v[i]);
	g_free(ids.v);
}

static void
take_from(struct msg *m, const char *value)
{
	struct msg_addrs from = { 0 };

	if (m->from.address[0] != '\0')
		return;
	scan_addresses(value, &from);
	if (from.n > 0) {
		g_free(m->from.name);
		g_free(m->from.address);
		m->from = from.v[0];
		from.v[0] = (struct msg_addr){ 0 };
	}
	for (size_t i = 0; i < from.n; i++) {
		g_free(from.v[i].name);
		g_free(from.v[i].address);
	}
	g_free(from.v);
}

static void
take_field(struct msg *m, const char *name, const char *value)
{
	m->headers = g_renew(struct msg_header, m->headers, m->nheaders + 1);
	m->headers[m->nheaders++] = (struct msg_header){
		.name = g_strdup(name), .value = g_strdup(value) };
	if (g_ascii_strcasecmp(name, "Message-ID") == 0)
		take_first_id(&m->message_id, value);
	else if (g_ascii_strcasecmp(name, "In-Reply-To") == 0)
		take_first_id(&m->in_reply_to, value);
	else if (g_ascii_strcasecmp(name, "References") == 0)
		scan_ids(value, &m->references);
	else if (g_ascii_strcasecmp(name, "From") == 0)
		take_from(m, value);
	else if (g_ascii_strcasecmp(name, "To") == 0)
		scan_addresses(value, &m->to);
	else if (g_ascii_strcasecmp(name, "Cc") == 0)
		scan_addresses(value, &m->cc);
	else if (g_ascii_strcasecmp(name, "Subject") == 0 &&
	    m->subject[0] == '\0') {
		g_free(m->subject);
		m->subject = g_strdup(value);
	}
}

/* One unfolded field at raw[p]: name and value, and where the next one
 * starts; false at the blank line or the end of the header. */
static bool
next_field(const char *raw, size_t len, size_t *p, char **name,
    char **value)
{
	size_t start = *p, end = *p, colon;
	char *v;

	if (start >= len || raw[start] == '\n' || raw[start] == '\r')
		return false;
	do {
		const char *nl = memchr(raw + end, '\n', len - end);

		end = nl != NULL ? (size_t)(nl - raw) + 1 : len;
	} while (end < len && (raw[end] == ' ' || raw[end] == '\t'));
	*p = end;
	for (colon = start; colon < end && raw[colon] != ':'; colon++)
		;
	*name = clean(raw + start, colon - start, false);
	v = clean(raw + MIN(colon + 1, end), end - MIN(colon + 1, end), false);
	*value = v;
	return true;
}

struct msg *
parse_raw(const char *raw, size_t len)
{
	struct msg *m = msg_new();
	size_t p = 0;
	char *name, *value;
	GString *body;

	m->raw_len = len;
	m->flags |= MSG_F_UNPARSED;
	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);

		p = nl != NULL ? (size_t)(nl - raw) + 1 : len;
	}
	while (next_field(raw, len, &p, &name, &value)) {
		take_field(m, name, value);
		g_free(name);
		g_free(value);
	}
	m->header_len = p;
	if (m->message_id[0] == '\0')
		parse_raw_noid(m, raw, len);
	body = g_string_new(raw_note);
	g_string_append_len(body, raw, (gssize)MIN(len, RAW_BODY_MAX));
	g_free(m->body_text);
	m->body_text = clean(body->str, body->len, true);
	g_string_free(body, TRUE);
	return m;
}

void
parse_raw_noid(struct msg *m, const char *raw, size_t len)
{
	char hex[DIGEST_HEX_LEN + 1];

	digest_message(raw, len, hex);
	hex[32] = '\0';
	g_free(m->message_id);
	m->message_id = g_strdup_printf("noid-%s@postdesk.invalid", hex);
	m->flags |= MSG_F_NO_MESSAGE_ID;
}

/*
 * The MIME structure, followed on the raw bytes: a stack of the open
 * multiparts' boundaries, the header of each entity (its Content-Type
 * decides what follows), the delimiter lines.
 */
struct mscan {
	GPtrArray	*bounds;	/* open boundaries, innermost last */
	GString		*ctype;		/* the entity's Content-Type so far */
	bool		 in_header, in_ctype;
	unsigned	 parts, max_parts, max_depth;
	unsigned	*flags;
};

/* The boundary parameter of a multipart Content-Type value, or NULL. */
static char *
boundary_of(char *ctype)
{
	const char *p;
	size_t n;

	if (g_ascii_strncasecmp(g_strchug(ctype), "multipart/", 10) != 0)
		return NULL;
	for (p = ctype; *p != '\0'; p++)
		if (g_ascii_strncasecmp(p, "boundary=", 9) == 0 &&
		    (p == ctype || strchr("; \t", p[-1]) != NULL))
			break;
	if (*p == '\0')
		return NULL;
	p += 9;
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else
		n = strcspn(p, "; \t\r\n");
	return n > 0 ? g_strndup(p, n) : NULL;
}

/* Which open boundary (index, innermost first) the line delimits;
 * -1 when none.  *close: it is the closing "--b--". */
static int
delimiter(const struct mscan *sc, const char *line, size_t n, bool *close)
{
	for (guint i = sc->bounds->len; i > 0; i--) {
		const char *b = g_ptr_array_index(sc->bounds, i - 1);
		size_t bl = strlen(b), k = 2 + bl;

		if (n < k || memcmp(line + 2, b, bl) != 0)
			continue;
		*close = n >= k + 2 && line[k] == '-' && line[k + 1] == '-';
		if (*close)
			k += 2;
		while (k < n && (line[k] == ' ' || line[k] == '\t' ||
		    line[k] == '\r'))
			k++;
		if (k == n)
			return (int)(i - 1);
	}
	return -1;
}

/* The end of an entity's header: what its body is.  false when it
 * opens a multipart deeper than the limit. */
static bool
header_end(struct mscan *sc)
{
	char *b;

	sc->in_header = false;
	sc->in_ctype = false;
	if ((b = boundary_of(sc->ctype->str)) != NULL) {
		g_ptr_array_add(sc->bounds, b);
		if (sc->max_depth > 0 && sc->bounds->len > sc->max_depth) {
			*sc->flags |= MSG_F_OVER_DEPTH;
			return false;
		}
	} else if (g_ascii_strncasecmp(g_strchug(sc->ctype->str),
	    "message/rfc822", 14) == 0)
		sc->in_header = true;	/* the enclosed message's header */
	g_string_truncate(sc->ctype, 0);
	return true;
}

/* A header line of an entity; false past the depth limit. */
static bool
header_line(struct mscan *sc, const char *line, size_t n)
{
	if (n == 0 || (n == 1 && line[0] == '\r'))
		return header_end(sc);
	if (line[0] == ' ' || line[0] == '\t') {
		if (sc->in_ctype)
			g_string_append_len(sc->ctype, line, (gssize)n);
		return true;
	}
	sc->in_ctype = n > 13 && g_ascii_strncasecmp(line, "Content-Type:",
	    13) == 0;
	if (sc->in_ctype) {
		g_string_truncate(sc->ctype, 0);
		g_string_append_len(sc->ctype, line + 13, (gssize)n - 13);
	}
	return true;
}

/* A body line: a delimiter opens the next part, or closes multiparts.
 * false when the part or depth limit is passed at this line. */
static bool
body_line(struct mscan *sc, const char *line, size_t n)
{
	bool close;
	int i;

	if (n < 2 || line[0] != '-' || line[1] != '-' || sc->bounds->len == 0 ||
	    (i = delimiter(sc, line, n, &close)) == -1)
		return true;
	g_ptr_array_set_size(sc->bounds, (guint)i + (close ? 0 : 1));
	if (close)
		return true;
	if (sc->max_parts > 0 && ++sc->parts > sc->max_parts) {
		*sc->flags |= MSG_F_OVER_PARTS;
		return false;
	}
	sc->in_header = true;
	return true;
}

size_t
parse_raw_mime_cut(const char *raw, size_t len, unsigned max_parts,
    unsigned max_depth, unsigned *flags)
{
	struct mscan sc = { .in_header = true,
	    .bounds = g_ptr_array_new_with_free_func(g_free),
	    .ctype = g_string_new(NULL), .max_parts = max_parts,
	    .max_depth = max_depth, .flags = flags };
	size_t p = 0, cut = len;

	while (p < len) {
		const char *nl = memchr(raw + p, '\n', len - p);
		size_t n = nl != NULL ? (size_t)(nl - raw) - p : len - p;

		if (!(sc.in_header ? header_line(&sc, raw + p, n) :
		    body_line(&sc, raw + p, n))) {
			cut = p;
			break;
		}
		p += n + 1;
	}
	g_ptr_array_free(sc.bounds, TRUE);
	g_string_free(sc.ctype, TRUE);
	return cut;
}

/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "conf.h"
#include "digest.h"
#include "html.h"
#include "parse.h"
#include "parse-priv.h"

#define HEADER_SCAN_MAX	(64 * 1024)

void
parse_opts_default(struct parse_opts *o)
{
	*o = (struct parse_opts){
		.max_size = 50u * 1024 * 1024,
		.max_header_bytes = 1024 * 1024,
		.max_depth = 20,
		.max_parts = 500,
	};
}

void
parse_opts_from_conf(struct parse_opts *po, const struct conf *cf,
    const struct conf_queue *q)
{
	parse_opts_default(po);
	po->max_size = cf->limits.message_size;
	po->max_header_bytes = cf->limits.header_size;
	po->max_depth = cf->limits.mime_depth;
	po->max_parts = cf->limits.parts;
	po->charsets = (const char *const *)(q != NULL && q->charsets != NULL &&
	    q->charsets[0] != NULL ? q->charsets : cf->charsets);
}

void
parse_init(void)
{
	static bool done;

	if (done)
		return;
	g_mime_init();
	done = true;
}

const char *
parse_lib_version(void)
{
	static char buf[64];

	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "GMime %u.%u.%u, GLib %u.%u.%u",
		    gmime_major_version, gmime_minor_version,
		    gmime_micro_version, glib_major_version,
		    glib_minor_version, glib_micro_version);
	return buf;
}

bool
parse_scrub(char *s, bool keep_nl)
{
	bool changed = false;

	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
		if (keep_nl && (*p == '\n' || *p == '\t'))
			continue;
		if (*p == '\t') {
			*p = ' ';
		} else if (*p < 0x20 || *p == 0x7f) {
			*p = ' ';
			changed = true;
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls, U+0080..U+009F */
			p[0] = ' ';
			p[1] = ' ';
			p++;
			changed = true;
		}
	}
	return changed;
}

char *
parse_text(struct pctx *c, const char *in, size_t len, const char *declared)
{
	unsigned r = 0;
	char *s = charset_to_utf8(in, len, declared, c->o->charsets, &r);
	char *w = s;

	if (r & CHARSET_R_DETECTED)
		c->m->flags |= MSG_F_CHARSET_DETECTED;
	if (r & CHARSET_R_LOSSY)
		c->m->flags |= MSG_F_UNDECODABLE;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '\r' || ((ch < 0x20 || ch == 0x7f) &&
		    ch != '\n' && ch != '\t'))
			continue;
		*w++ = *p;
	}
	*w = '\0';
	return s;
}

static void
on_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer arg)
{
	const struct pctx *c = arg;
	struct msg *m = c->m;

	(void)item;
	/* Our own cut leaves multiparts open: not the sender's fault. */
	if (c->cut_at >= 0 && (offset < 0 || offset >= c->cut_at) &&
	    (code == GMIME_WARN_MALFORMED_MULTIPART ||
	    code == GMIME_WARN_TRUNCATED_MESSAGE))
		return;
	switch (code) {
	case GMIME_WARN_MALFORMED_MULTIPART:
	case GMIME_WARN_TRUNCATED_MESSAGE:
	case GMIME_WARN_MALFORMED_MESSAGE:
	case GMIME_CRIT_INVALID_HEADER_NAME:
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_CRIT_CONFLICTING_PARAMETER:
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		m->flags |= MSG_F_MALFORMED_MIME;
		break;
	case GMIME_CRIT_NESTING_OVERFLOW:
		m->flags |= MSG_F_OVER_DEPTH | MSG_F_MALFORMED_MIME;
		break;
	default:
		break;
	}
}

static bool
is_header_line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == ':')
			return i > 0;
		if (ch <= 0x20 || ch >= 0x7f)
			return false;
	}
	return false;
}

/*
 * Where the header starts: past an mbox "From " line and, with a flag,
 * past junk lines before the first header line.  Returns len when no
 * header line is found.
 */
static size_t
header_start(struct msg *m, const char *raw, size_t len)
{
	size_t p = 0, limit = len < HEADER_SCAN_MAX ? len : HEADER_SCAN_MAX;

	if (len >= 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);

		p = nl != NULL ? (size_t)(nl - raw) + 1 : len;
	}
	for (size_t q = p; q < limit;) {
		const char *nl = memchr(raw + q, '\n', len - q);
		size_t n = nl != NULL ? (size_t)(nl - raw) - q : len - q;

		if (is_header_line(raw + q, n)) {
			if (q != p)
				m->flags |= MSG_F_JUNK_BEFORE_HEADERS;
			return q;
		}
		if (n == 0 || (n == 1 && raw[q] == '\r'))
			break;
		q += n + 1;
	}
	return len;
}

static size_t
header_length(const char *raw, size_t len)
{
	for (size_t p = 0; p < len; p++) {
		if (raw[p] != '\n')
			continue;
		if (p + 1 < len && raw[p + 1] == '\n')
			return p + 1;
		if (p + 2 < len && raw[p + 1] == '\r' && raw[p + 2] == '\n')
			return p + 1;
	}
	return len;
}

/* Raw header values with 8-bit bytes that are not UTF-8 share one
 * charset: detect it over all of them, which gives the detector more. */
static void
detect_header_charset(struct pctx *c, GPtrArray *hl)
{
	GString *all = g_string_new(NULL);

	for (guint i = 0; i < hl->len; i++) {
		GMimeHeader *h = g_ptr_array_index(hl, i);
		const char *raw = g_mime_header_get_raw_value(h);

		if (raw != NULL && !charset_is_utf8(raw, strlen(raw)))
			g_string_append(all, raw);
	}
	if (all->len > 0)
		c->hdr_charset = charset_detect(all->str, all->len,
		    c->o->charsets);
	g_string_free(all, TRUE);
}

/*
 * A last encoded word cut off before its "?=" ("=?utf-8?Q?Caf=C3=A9",
 * as mailers that truncate long subjects leave it) gets its end back so
 * that it decodes.  An encoded word holds no white space, so the cut-off
 * one must run to the end of the value.
 */
static char *
close_encoded_word(char *s)
{
	const char *p = s, *q;
	char *closed;
	size_t n;

	while ((p = strstr(p, "=?")) != NULL) {
		n = strcspn(p + 2, "? \t");
		q = p + 2 + n;
		if (n == 0 || q[0] != '?' || q[1] == '\0' ||
		    strchr("QqBb", q[1]) == NULL || q[2] != '?') {
			p += 2;
			continue;
		}
		if ((p = strstr(q + 3, "?=")) != NULL) {
			p += 2;
			continue;
		}
		if (q[3] == '\0' || q[3 + strcspn(q + 3, " \t")] != '\0')
			return s;
		closed = g_strconcat(s, "?=", NULL);
		g_free(s);
		return closed;
	}
	return s;
}

/* One "=?charset?B?payload?=" at p: its parts, or false. */
static bool
b_word(const char *p, const char **cs, size_t *cslen, const char **pl,
    size_t *pllen, const char **end)
{
	const char *q, *e;

	if (strncmp(p, "=?", 2) != 0 || (q = strchr(p + 2, '?')) == NULL ||
	    (q[1] != 'B' && q[1] != 'b') || q[2] != '?' ||
	    (e = strstr(q + 3, "?=")) == NULL ||
	    strcspn(q + 3, " \t") < (size_t)(e - q - 3))
		return false;
	*cs = p + 2;
	*cslen = (size_t)(q - p - 2);
	*pl = q + 3;
	*pllen = (size_t)(e - q - 3);
	*end = e + 2;
	return true;
}

/*
 * GMime joins the payloads of adjacent base64 words of one charset
 * before decoding, so a padded first word ("...INC00L4=?= =?UTF-8?B?
 * INGE...") cuts the rest off.  GMime's own encoder writes such pairs.
 * Re-encode each such run as one word: the bytes stay the same, split
 * multibyte characters included.
 */
static char *
merge_b_words(char *s)
{
	GString *out;
	const char *p = s, *cs, *pl, *end, *cs2, *pl2, *end2, *ws;
	size_t cslen, pllen, cslen2, pllen2;

	if (strstr(s, "?B?") == NULL && strstr(s, "?b?") == NULL)
		return s;
	out = g_string_new(NULL);

	while (*p != '\0') {
		if (!b_word(p, &cs, &cslen, &pl, &pllen, &end)) {
			g_string_append_c(out, *p++);
			continue;
		}
		GByteArray *bytes = g_byte_array_new();
		for (;;) {
			char *chunk = g_strndup(pl, pllen);
			gsize n = 0;
			guchar *d = g_base64_decode(chunk, &n);

			g_byte_array_append(bytes, d, (guint)n);
			g_free(d);
			g_free(chunk);
			ws = end + strspn(end, " \t");
			if (!b_word(ws, &cs2, &cslen2, &pl2, &pllen2, &end2) ||
			    cslen2 != cslen || g_ascii_strncasecmp(cs, cs2,
			    cslen) != 0)
				break;
			pl = pl2, pllen = pllen2, end = end2;
		}
		char *b64 = g_base64_encode(bytes->data, bytes->len);
		g_string_append_printf(out, "=?%.*s?B?%s?=", (int)cslen, cs, b64);
		g_free(b64);
		g_byte_array_unref(bytes);
		p = end;
	}
	g_free(s);
	return g_string_free(out, FALSE);
}

/* A raw header value as unfolded UTF-8, encoded words still encoded. */
static char *
header_utf8(struct pctx *c, const char *raw)
{
	char *s, *w;

	if (raw == NULL)
		return g_strdup("");
	if (charset_is_utf8(raw, strlen(raw))) {
		s = g_strdup(raw);
	} else {
		s = parse_text(c, raw, strlen(raw), c->hdr_charset);
		c->m->flags |= MSG_F_CHARSET_DETECTED;
	}
	w = s;
	for (const char *p = s; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n')
			*w++ = *p;
	*w = '\0';
	return merge_b_words(close_encoded_word(g_strstrip(s)));
}

static char *
header_decode(struct pctx *c, const char *utf8)
{
	/* Most values have no encoded word: nothing for GMime to do. */
	char *d = strstr(utf8, "=?") == NULL ? g_strdup(utf8) :
	    g_mime_utils_header_decode_text(c->gopts, utf8);

	if (parse_scrub(d, false))
		c->m->flags |= MSG_F_CONTROL_CHARS;
	return g_strstrip(d);
}

static void
scrub_dup(struct pctx *c, char **dst, const char *src)
{
	char *s = g_strdup(src != NULL ? src : "");

	if (parse_scrub(s, false))
		c->m->flags |= MSG_F_CONTROL_CHARS;
	g_free(*dst);
	*dst = g_strstrip(s);
}

static void
add_mailbox(struct pctx *c, struct msg_addrs *out, InternetAddress *ia)
{
	const char *addr = internet_address_mailbox_get_addr(
	    INTERNET_ADDRESS_MAILBOX(ia));
	char *name = NULL, *a = NULL, *at;

	scrub_dup(c, &name, internet_address_get_name(ia));
	scrub_dup(c, &a, addr);
	if ((at = strrchr(a, '@')) != NULL)
		for (char *p = at; *p != '\0'; p++)
			*p = g_ascii_tolower(*p);
	msg_addrs_add(out, name, a);
	g_free(name);
	g_free(a);
}

static void
add_list(struct pctx *c, struct msg_addrs *out, InternetAddressList *l)
{
	int n = l != NULL ? internet_address_list_length(l) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);

		if (INTERNET_ADDRESS_IS_GROUP(ia))
			add_list(c, out, internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)));
		else
			add_mailbox(c, out, ia);
	}
}

static void
header_addresses(struct pctx *c, struct msg_addrs *out, const char *utf8)
{
	InternetAddressList *l = internet_address_list_parse(c->gopts, utf8);

	add_list(c, out, l);
	if (l != NULL)
		g_object_unref(l);
}

static void
header_ids(struct pctx *c, struct msg_strs *out, const char *utf8)
{
	GMimeReferences *refs = g_mime_references_parse(c->gopts, utf8);
	int n = refs != NULL ? g_mime_references_length(refs) : 0;

	for (int i = 0; i < n; i++) {
		char *id = g_strdup(g_mime_references_get_message_id(refs, i));

		if (parse_scrub(id, false))
			c->m->flags |= MSG_F_CONTROL_CHARS;
		if (*g_strstrip(id) != '\0')
			msg_strs_add(out, id);
		g_free(id);
	}
	if (refs != NULL)
		g_mime_references_free(refs);
}

static void
header_date(struct pctx *c, const char *utf8)
{
	GDateTime *dt = g_mime_utils_header_decode_date(utf8);

	if (dt == NULL) {
		c->m->flags |= MSG_F_BAD_DATE;
		return;
	}
	c->m->date = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
}

static void
header_message_id(struct pctx *c, const char *utf8)
{
	char *id = g_mime_utils_decode_message_id(utf8);

	if (id != NULL && *id != '\0' && c->m->message_id[0] == '\0')
		scrub_dup(c, &c->m->message_id, id);
	g_free(id);
}

/* The headers later stages look at by their parsed form. */
static void
header_special(struct pctx *c, const char *name, const char *utf8,
    const char *decoded)
{
	struct msg *m = c->m;
	struct msg_strs ids = { 0 };

	if (strcasecmp(name, "From") == 0 && m->from.address[0] == '\0' &&
	    m->from.name[0] == '\0') {
		struct msg_addrs a = { 0 };

		header_addresses(c, &a, utf8);
		if (a.n > 0) {
			g_free(m->from.name);
			g_free(m->from.address);
			m->from = a.v[0];
			for (size_t i = 1; i < a.n; i++) {
				g_free(a.v[i].name);
				g_free(a.v[i].address);
			}
		}
		g_free(a.v);
	} else if (strcasecmp(name, "To") == 0)
		header_addresses(c, &m->to, utf8);
	else if (strcasecmp(name, "Cc") == 0)
		header_addresses(c, &m->cc, utf8);
	else if (strcasecmp(name, "Reply-To") == 0)
		header_addresses(c, &m->reply_to, utf8);
	else if (strcasecmp(name, "Subject") == 0 && m->subject[0] == '\0')
		scrub_dup(c, &m->subject, decoded);
	else if (strcasecmp(name, "Message-ID") == 0)
		header_message_id(c, utf8);
	else if (strcasecmp(name, "Date") == 0 && m->date == -1)
		header_date(c, utf8);
	else if (strcasecmp(name, "References") == 0)
		header_ids(c, &m->references, utf8);
	else if (strcasecmp(name, "In-Reply-To") == 0 &&
	    m->in_reply_to[0] == '\0') {
		header_ids(c, &ids, utf8);
		if (ids.n > 0)
			scrub_dup(c, &m->in_reply_to, ids.v[0]);
		for (size_t i = 0; i < ids.n; i++)
			g_free(ids.v[i]);
		g_free(ids.v);
	}
}

static gint
by_offset(gconstpointer a, gconstpointer b)
{
	gint64 x = g_mime_header_get_offset(*(GMimeHeader *const *)a);
	gint64 y = g_mime_header_get_offset(*(GMimeHeader *const *)b);

	return x < y ? -1 : x > y;
}

/* GMime files the top-level Content-* headers under the top MIME part,
 * the rest under the message: merge them back into written order. */
static GPtrArray *
top_headers(GMimeMessage *message)
{
	GMimeObject *lists[] = { GMIME_OBJECT(message),
	    g_mime_message_get_mime_part(message) };
	GPtrArray *all = g_ptr_array_new();

	for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
		GMimeHeaderList *hl;
		int n;

		if (lists[l] == NULL)
			continue;
		hl = g_mime_object_get_header_list(lists[l]);
		n = g_mime_header_list_get_count(hl);
		for (int i = 0; i < n; i++)
			g_ptr_array_add(all,
			    g_mime_header_list_get_header_at(hl, i));
	}
	g_ptr_array_sort(all, by_offset);
	return all;
}

static void
parse_headers(struct pctx *c, GMimeMessage *message)
{
	GPtrArray *hl = top_headers(message);

	detect_header_charset(c, hl);
	c->m->headers = g_new0(struct msg_header, hl->len > 0 ? hl->len : 1);
	for (guint i = 0; i < hl->len; i++) {
		GMimeHeader *h = g_ptr_array_index(hl, i);
		const char *name = g_mime_header_get_name(h);
		char *utf8 = header_utf8(c, g_mime_header_get_raw_value(h));
		char *decoded = header_decode(c, utf8);
		struct msg_header *mh = &c->m->headers[c->m->nheaders++];

		/* GMime keeps names with 8-bit bytes (and flags them). */
		mh->name = g_utf8_make_valid(name, -1);
		parse_scrub(mh->name, false);
		header_special(c, name, utf8, decoded);
		mh->value = decoded;
		g_free(utf8);
	}
	g_ptr_array_free(hl, TRUE);
}

static void
no_headers(struct pctx *c, const char *raw, size_t len)
{
	c->m->flags |= MSG_F_NO_HEADERS;
	g_free(c->m->body_text);
	c->m->body_text = parse_text(c, raw, len, NULL);
}

/*
 * The stream reads raw in place: GMime's parser keeps substreams of it
 * for every part instead of copying (a 50 MB mail stays one buffer).
 */
static GMimeMessage *
construct(struct pctx *c, const char *raw, size_t len, GByteArray **arrp)
{
	GByteArray *arr = g_byte_array_new_take((guint8 *)raw, len);
	GMimeStream *st = g_mime_stream_mem_new_with_byte_array(arr);
	GMimeParser *parser;
	GMimeMessage *message;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(st), FALSE);
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_persist_stream(parser, TRUE);
	message = g_mime_parser_construct_message(parser, c->gopts);
	g_object_unref(parser);
	g_object_unref(st);
	*arrp = arr;
	return message;
}

/*
 * What the MIME parser gets of the mail at raw: its structure cut where
 * it passes the part or depth limit, and a header over the limit cut to
 * it (whole lines; only then is anything copied, into *copy).
 */
static const char *
bounded(struct pctx *c, const char *raw, size_t len, size_t *outlen,
    char **copy)
{
	const struct parse_opts *o = c->o;
	size_t hlen = header_length(raw, len), keep, h;
	const char *nl;

	*copy = NULL;
	/* Each attachment may come with a text sibling: the exact part
	 * limit is parse_body's, this one bounds the parser's work. */
	keep = parse_raw_mime_cut(raw, len, o->max_parts > 0 ?
	    2 * o->max_parts + 1 : 0, o->max_depth, &c->m->flags);
	*outlen = keep;
	if (keep < len)
		c->cut_at = (gint64)keep;
	if (o->max_header_bytes == 0 || hlen <= o->max_header_bytes)
		return raw;
	c->m->flags |= MSG_F_OVER_HEADER;
	nl = memrchr(raw, '\n', o->max_header_bytes);
	h = nl != NULL ? (size_t)(nl - raw) + 1 : 0;
	keep = MAX(keep, hlen);
	*copy = g_malloc(h + (keep - hlen) + 1);
	memcpy(*copy, raw, h);
	memcpy(*copy + h, raw + hlen, keep - hlen);
	*outlen = h + (keep - hlen);
	if (keep < len)
		c->cut_at = (gint64)*outlen;
	return *copy;
}

static void
finish(struct pctx *c)
{
	struct msg *m = c->m;

	if (c->plain->len > 0) {
		g_free(m->body_text);
		m->body_text = g_string_free(c->plain, FALSE);
		c->plain = NULL;
	} else if (c->html->len > 0) {
		g_free(m->body_text);
		m->body_text = html_to_text(c->html->str, c->html->len);
		m->flags |= MSG_F_HTML_CONVERTED;
	}
	if (c->html->len > 0) {
		g_free(m->body_html);
		m->body_html = g_string_free(c->html, FALSE);
		m->has_html = true;
		c->html = NULL;
	}
}

struct msg *
parse_message(const char *raw, size_t len, const struct parse_opts *o)
{
	struct pctx c = { .m = msg_new(), .o = o, .cut_at = -1 };
	GMimeMessage *message = NULL;
	GByteArray *arr = NULL;
	char *copy = NULL;
	size_t start, inlen;

	parse_init();
	c.m->raw_len = len;
	if (o->max_size > 0 && len > o->max_size)
		c.m->flags |= MSG_F_OVER_SIZE;
	c.gopts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(c.gopts, on_warning, &c);
	c.plain = g_string_new(NULL);
	c.html = g_string_new(NULL);
	start = header_start(c.m, raw, len);
	if (start < len) {
		const char *in = bounded(&c, raw + start, len - start, &inlen,
		    &copy);

		message = construct(&c, in, inlen, &arr);
	}
	if (message == NULL) {
		no_headers(&c, raw, len);
	} else {
		c.m->header_len = start + header_length(raw + start,
		    len - start);
		if (o->max_header_bytes > 0 &&
		    c.m->header_len > o->max_header_bytes)
			c.m->flags |= MSG_F_OVER_HEADER;
		parse_headers(&c, message);
		parse_body(&c, message);
		finish(&c);
		g_object_unref(message);
	}
	if (arr != NULL)
		g_byte_array_free(arr, FALSE);
	g_free(copy);
	if (c.m->message_id[0] == '\0')
		parse_raw_noid(c.m, raw, len);
	if (c.plain != NULL)
		g_string_free(c.plain, TRUE);
	if (c.html != NULL)
		g_string_free(c.html, TRUE);
	g_mime_parser_options_free(c.gopts);
	return c.m;
}

void
parse_addresses(const char *text, struct msg_addrs *out)
{
	struct msg *scratch = msg_new();
	struct pctx c = { .m = scratch };

	parse_init();
	c.gopts = g_mime_parser_options_new();
	header_addresses(&c, out, text);
	g_mime_parser_options_free(c.gopts);
	msg_free(scratch);
}

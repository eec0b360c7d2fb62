/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "digest.h"
#include "parse-priv.h"

static void	walk(struct pctx *, GMimeObject *, unsigned depth);

/*
 * Line ends in 7bit, 8bit and quoted-printable content are the
 * transport's: a mail stored with CR LF and the same mail with LF give
 * the same bytes once CR LF becomes LF.  base64, uuencode and binary
 * content keep its bytes.
 */
static bool
transport_line_ends(GMimePart *part)
{
	switch (g_mime_part_get_content_encoding(part)) {
	case GMIME_CONTENT_ENCODING_BASE64:
	case GMIME_CONTENT_ENCODING_UUENCODE:
	case GMIME_CONTENT_ENCODING_BINARY:
		return false;
	default:
		return true;
	}
}

/* A leaf part's decoded content, or an embedded message as written. */
static void
write_content(GMimeObject *obj, GMimeStream *out)
{
	GMimeDataWrapper *dw;
	GMimeStream *f;
	GMimeFilter *unix_nl;

	if (!GMIME_IS_PART(obj)) {
		g_mime_object_write_to_stream(obj, NULL, out);
		return;
	}
	if ((dw = g_mime_part_get_content(GMIME_PART(obj))) == NULL)
		return;
	if (!transport_line_ends(GMIME_PART(obj))) {
		g_mime_data_wrapper_write_to_stream(dw, out);
		return;
	}
	f = g_mime_stream_filter_new(out);
	unix_nl = g_mime_filter_dos2unix_new(FALSE);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), unix_nl);
	g_mime_data_wrapper_write_to_stream(dw, f);
	g_mime_stream_flush(f);
	g_object_unref(unix_nl);
	g_object_unref(f);
}

/* Decoded content of a leaf part, or an embedded message as written,
 * as a new byte array. */
static GByteArray *
part_bytes(GMimeObject *obj)
{
	GMimeStream *mem = g_mime_stream_mem_new();
	GByteArray *arr;

	write_content(obj, mem);
	/* The stream frees an owned array whatever its ref count. */
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_object_unref(mem);
	return arr;
}

/*
 * The content of a leaf part without transfer encoding, as a pointer
 * into the message bytes (the parser keeps substreams of them), so that
 * a big text body is not copied.  False when the content is encoded or
 * not in memory: then part_bytes() decodes it.
 */
static bool
content_view(GMimeObject *obj, const char **data, size_t *len)
{
	GMimeDataWrapper *dw;
	GMimeStream *st;
	GByteArray *buf;
	gint64 start, n;

	if (!GMIME_IS_PART(obj) ||
	    (dw = g_mime_part_get_content(GMIME_PART(obj))) == NULL)
		return false;
	switch (g_mime_data_wrapper_get_encoding(dw)) {
	case GMIME_CONTENT_ENCODING_DEFAULT:
	case GMIME_CONTENT_ENCODING_7BIT:
	case GMIME_CONTENT_ENCODING_8BIT:
	case GMIME_CONTENT_ENCODING_BINARY:
		break;
	default:
		return false;
	}
	st = g_mime_data_wrapper_get_stream(dw);
	if (st == NULL || !GMIME_IS_STREAM_MEM(st) ||
	    (buf = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st))) ==
	    NULL || g_mime_stream_reset(st) == -1)
		return false;
	start = g_mime_stream_tell(st);
	n = g_mime_stream_length(st);
	if (start < 0 || n < 0 || (guint64)start + (guint64)n > buf->len)
		return false;
	*data = n > 0 ? (const char *)buf->data + start : "";
	*len = (size_t)n;
	return true;
}

static bool
is_attachment(GMimeObject *obj)
{
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);

	return cd != NULL && g_mime_content_disposition_is_attachment(cd);
}

static bool
is_type(GMimeObject *obj, const char *type, const char *subtype)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);

	return ct != NULL && g_mime_content_type_is_type(ct, type, subtype);
}

static void
append_text(GString *dst, const char *text)
{
	if (*text == '\0')
		return;
	if (dst->len > 0 && dst->str[dst->len - 1] != '\n')
		g_string_append_c(dst, '\n');
	g_string_append(dst, text);
}

/*
 * append_text() for an allocated text, which it frees.  Into an empty
 * dst the text moves without a copy (a 50 MB body stays one buffer):
 * GString's fields are public, this is GLib 2.78's g_string_new_take().
 */
static void
append_take(GString *dst, char *text)
{
	if (dst->len == 0 && *text != '\0') {
		g_free(dst->str);
		dst->str = text;
		dst->len = strlen(text);
		dst->allocated_len = dst->len + 1;
		return;
	}
	append_text(dst, text);
	g_free(text);
}

static struct msg_part *
new_part(struct pctx *c)
{
	struct msg *m = c->m;
	struct msg_part *p;

	if (c->o->max_parts > 0 && c->nparts >= c->o->max_parts) {
		m->flags |= MSG_F_OVER_PARTS;
		return NULL;
	}
	c->nparts++;
	m->parts = g_renew(struct msg_part, m->parts, m->nparts + 1);
	p = &m->parts[m->nparts++];
	*p = (struct msg_part){ 0 };
	p->filename = g_strdup("");
	p->content_id = g_strdup("");
	return p;
}

/* A header-derived string as valid UTF-8 without control characters:
 * GMime passes raw 8-bit bytes through in parameters and ids. */
static char *
clean_str(const char *s)
{
	char *out = g_utf8_make_valid(s != NULL ? s : "", -1);

	parse_scrub(out, false);
	return g_strstrip(out);
}

/* A file name without path components or control characters. */
static char *
clean_filename(const char *name)
{
	const char *base = name, *s;
	char *out;

	if (name == NULL)
		return g_strdup("");
	if ((s = strrchr(base, '/')) != NULL)
		base = s + 1;
	if ((s = strrchr(base, '\\')) != NULL)
		base = s + 1;
	out = clean_str(base);
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		out[0] = '\0';
	return out;
}

/*
 * GMime reads a backslash in a quoted parameter as an escape, but Windows
 * mailers write paths there raw (filename="C:\dir\a.txt"), which would
 * come out as "C:dira.txt".  Returns the part of the raw quoted value
 * after its last backslash, or NULL when it has none.
 */
static char *
raw_backslash_base(GMimeObject *obj, const char *header, const char *param)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h = g_mime_header_list_get_header(hl, header);
	const char *raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;
	size_t plen = strlen(param);
	const char *v, *end, *bs = NULL;

	for (v = raw; v != NULL && *v != '\0'; v++) {
		if (g_ascii_strncasecmp(v, param, plen) != 0 ||
		    (v != raw && strchr("; \t\r\n", v[-1]) == NULL))
			continue;
		v += plen;
		v += strspn(v, " \t");
		if (*v++ != '=')
			return NULL;
		v += strspn(v, " \t");
		if (*v++ != '"' || (end = strchr(v, '"')) == NULL)
			return NULL;
		for (const char *p = v; p < end; p++)
			if (*p == '\\')
				bs = p;
		return bs != NULL ? g_strndup(bs + 1, end - bs - 1) : NULL;
	}
	return NULL;
}

static char *
part_filename(GMimeObject *obj)
{
	const char *fname;
	char *base;

	if (GMIME_IS_PART(obj))
		fname = g_mime_part_get_filename(GMIME_PART(obj));
	else
		fname = g_mime_object_get_content_disposition_parameter(obj,
		    "filename");
	if (fname == NULL || strchr(fname, '\\') != NULL)
		return clean_filename(fname);
	base = raw_backslash_base(obj, "Content-Disposition", "filename");
	if (base == NULL && g_mime_object_get_content_disposition_parameter(
	    obj, "filename") == NULL)
		base = raw_backslash_base(obj, "Content-Type", "name");
	if (base != NULL) {
		char *clean = clean_filename(base);

		g_free(base);
		return clean;
	}
	return clean_filename(fname);
}

static void
set_data(struct pctx *c, struct msg_part *p, const guint8 *data, size_t len)
{
	digest_bytes(data, len, p->sha256);
	p->size = len;
	if (c->o->keep_part_data)
		p->data = g_memdup2(data, len);
}

/* Size and SHA-256 of a part's decoded content, streaming. */
static void
stream_digest(struct pctx *c, struct msg_part *p, GMimeObject *obj)
{
	GMimeStream *null, *filtered;
	GMimeFilter *ck;
	gchar *hex;

	if (c->o->keep_part_data) {
		GByteArray *arr = part_bytes(obj);

		set_data(c, p, arr->len > 0 ? arr->data : (const guint8 *)"",
		    arr->len);
		g_byte_array_unref(arr);
		return;
	}
	null = g_mime_stream_null_new();
	filtered = g_mime_stream_filter_new(null);
	ck = g_mime_filter_checksum_new(G_CHECKSUM_SHA256);
	g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), ck);
	write_content(obj, filtered);
	g_mime_stream_flush(filtered);
	p->size = GMIME_STREAM_NULL(null)->written;
	hex = g_mime_filter_checksum_get_string(GMIME_FILTER_CHECKSUM(ck));
	g_strlcpy(p->sha256, hex, sizeof(p->sha256));
	g_free(hex);
	g_object_unref(ck);
	g_object_unref(filtered);
	g_object_unref(null);
}

static void
add_part(struct pctx *c, GMimeObject *obj, GMimeObject *content)
{
	struct msg_part *p = new_part(c);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *cid = g_mime_object_get_content_id(obj);
	char *tmp;

	if (p == NULL)
		return;
	g_free(p->filename);
	p->filename = part_filename(obj);
	tmp = ct != NULL ? g_mime_content_type_get_mime_type(ct) :
	    g_strdup("application/octet-stream");
	p->content_type = clean_str(tmp);
	g_free(tmp);
	for (char *q = p->content_type; *q != '\0'; q++)
		*q = g_ascii_tolower(*q);
	g_free(p->content_id);
	p->content_id = clean_str(cid);
	p->is_inline = !is_attachment(obj);
	p->is_message = GMIME_IS_MESSAGE_PART(obj);
	stream_digest(c, p, content != NULL ? content : obj);
}

/* "begin 644 name" opening a uuencoded block; returns the name. */
static const char *
uu_begin(const char *line, size_t n)
{
	size_t i = 6;

	if (n < 10 || strncmp(line, "begin ", 6) != 0)
		return NULL;
	while (i < n && line[i] >= '0' && line[i] <= '7')
		i++;
	if (i < 9 || i > 10 || i >= n || line[i] != ' ')
		return NULL;
	return line + i + 1;
}

static size_t
uu_decode(struct pctx *c, const char *name, size_t namelen,
    const char *body, size_t len)
{
	const char *end = body, *nl;
	guchar *out = g_malloc(len + 3);
	int state = GMIME_UUDECODE_STATE_BEGIN;
	guint32 save = 0;
	size_t outlen;
	struct msg_part *p;
	char *fname;

	/* The block runs to a line "end" (or the end of the text). */
	while ((nl = memchr(end, '\n', body + len - end)) != NULL &&
	    strncmp(end, "end", 3) != 0)
		end = nl + 1;
	if (nl == NULL && strncmp(end, "end", 3) != 0)
		end = body + len;
	outlen = g_mime_encoding_uudecode_step((const guchar *)body,
	    (size_t)(end - body), out, &state, &save);
	if ((p = new_part(c)) != NULL) {
		fname = g_strndup(name, namelen);
		g_free(p->filename);
		p->filename = clean_filename(g_strchomp(fname));
		g_free(fname);
		p->content_type = g_strdup("application/octet-stream");
		set_data(c, p, out, outlen);
		c->m->flags |= MSG_F_UUENCODED;
	}
	g_free(out);
	nl = memchr(end, '\n', body + len - end);
	return nl != NULL ? (size_t)(nl + 1 - body) : len;
}

/* Move uuencoded blocks out of a text into parts. */
static void
extract_uuencoded(struct pctx *c, char *text)
{
	GString *kept = NULL;
	size_t len = strlen(text), p = 0;

	while (p < len) {
		const char *nl = memchr(text + p, '\n', len - p);
		size_t n = nl != NULL ? (size_t)(nl - text) - p : len - p;
		size_t next = p + n + (nl != NULL);
		const char *name = uu_begin(text + p, n);

		if (name == NULL) {
			if (kept != NULL)
				g_string_append_len(kept, text + p, next - p);
			p = next;
			continue;
		}
		if (kept == NULL)
			kept = g_string_new_len(text, p);
		p = next + uu_decode(c, name, (size_t)(text + p + n - name),
		    text + next, len - next);
	}
	if (kept != NULL) {
		memcpy(text, kept->str, kept->len + 1);
		g_string_free(kept, TRUE);
	}
}

static void
add_text(struct pctx *c, GMimeObject *obj, bool html)
{
	const char *cs = g_mime_object_get_content_type_parameter(obj,
	    "charset");
	GByteArray *arr = NULL;
	const char *data;
	size_t len;
	char *text;

	/* parse_text() drops CR: unencoded text needs no line-end filter. */
	if (!content_view(obj, &data, &len)) {
		arr = part_bytes(obj);
		data = arr->len > 0 ? (const char *)arr->data : "";
		len = arr->len;
	}
	text = parse_text(c, data, len, cs);
	if (arr != NULL)
		g_byte_array_unref(arr);
	if (html) {
		append_take(c->html, text);
	} else if (!c->text_off) {
		if (strstr(text, "\nbegin ") != NULL ||
		    strncmp(text, "begin ", 6) == 0)
			extract_uuencoded(c, text);
		if (strstr(text, "-----BEGIN PGP MESSAGE-----") != NULL)
			c->m->flags |= MSG_F_ENCRYPTED;
		append_take(c->plain, text);
	} else {
		g_free(text);
	}
}

/* A text part is body text unless it is an attachment: by disposition,
 * or by a file name on a part below the top. */
static void
walk_leaf(struct pctx *c, GMimeObject *obj, unsigned depth)
{
	bool plain = is_type(obj, "text", "plain");
	bool html = is_type(obj, "text", "html");
	bool named = depth > 0 && GMIME_IS_PART(obj) &&
	    g_mime_part_get_filename(GMIME_PART(obj)) != NULL;

	if ((plain || html) && !is_attachment(obj) && !named)
		add_text(c, obj, html);
	else
		add_part(c, obj, NULL);
}

/*
 * multipart/alternative: the text/plain child gives the text; the others
 * (HTML, related parts) only give body_html and inline parts.
 */
static void
walk_alternative(struct pctx *c, GMimeMultipart *mp, unsigned depth)
{
	int n = g_mime_multipart_get_count(mp), plain = -1;
	bool saved = c->text_off;

	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (is_type(child, "text", "plain") && !is_attachment(child))
			plain = i;
	}
	if (plain >= 0 && !c->text_off)
		add_text(c, g_mime_multipart_get_part(mp, plain), false);
	c->text_off = c->text_off || plain >= 0;
	for (int i = 0; i < n; i++)
		if (i != plain)
			walk(c, g_mime_multipart_get_part(mp, i), depth + 1);
	c->text_off = saved;
}

/*
 * A multipart whose boundary never shows up (a wrong or missing boundary
 * parameter) has all its content in the preamble: that is the text the
 * sender wrote, so keep it rather than lose the body.
 */
static void
walk_no_parts(struct pctx *c, GMimeMultipart *mp)
{
	const char *pre = g_mime_multipart_get_prologue(mp);
	char *text;

	if (pre == NULL || *pre == '\0' || c->text_off)
		return;
	text = parse_text(c, pre, strlen(pre), NULL);
	append_text(c->plain, text);
	g_free(text);
}

static void
walk_multipart(struct pctx *c, GMimeMultipart *mp, unsigned depth)
{
	int n = g_mime_multipart_get_count(mp);

	if (GMIME_IS_MULTIPART_ENCRYPTED(mp))
		c->m->flags |= MSG_F_ENCRYPTED;
	if (n == 0) {
		walk_no_parts(c, mp);
		return;
	}
	if (is_type(GMIME_OBJECT(mp), "multipart", "alternative")) {
		walk_alternative(c, mp, depth);
		return;
	}
	for (int i = 0; i < n; i++)
		walk(c, g_mime_multipart_get_part(mp, i), depth + 1);
}

static void
walk(struct pctx *c, GMimeObject *obj, unsigned depth)
{
	if (obj == NULL)
		return;
	if (c->o->max_depth > 0 && depth > c->o->max_depth) {
		c->m->flags |= MSG_F_OVER_DEPTH;
		return;
	}
	if (GMIME_IS_MULTIPART(obj))
		walk_multipart(c, GMIME_MULTIPART(obj), depth);
	else if (GMIME_IS_MESSAGE_PART(obj))
		add_part(c, obj, GMIME_OBJECT(g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj))));
	else if (GMIME_IS_PART(obj))
		walk_leaf(c, obj, depth);
}

void
parse_body(struct pctx *c, GMimeMessage *message)
{
	walk(c, g_mime_message_get_mime_part(message), 0);
}

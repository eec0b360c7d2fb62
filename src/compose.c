/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <gmime/gmime.h>

#include "compose.h"
#include "parse.h"

/* At most this many References: the root id and the newest others. */
#define REFS_MAX	10

static void
set_refs(GMimeObject *obj, const struct compose_in *in)
{
	GString *refs = g_string_new(NULL);
	size_t first = in->nreferences > REFS_MAX ?
	    in->nreferences - (REFS_MAX - 1) : 1;

	/* The root id always stays: it is what clients thread on. */
	for (size_t i = 0; i < in->nreferences; i++) {
		if (i != 0 && i < first)
			continue;
		g_string_append_printf(refs, "%s<%s>", refs->len ? " " : "",
		    in->references[i]);
	}
	if (refs->len > 0)
		g_mime_object_set_header(obj, "References", refs->str, NULL);
	g_string_free(refs, TRUE);
	if (in->in_reply_to != NULL && *in->in_reply_to != '\0') {
		char *v = g_strdup_printf("<%s>", in->in_reply_to);

		g_mime_object_set_header(obj, "In-Reply-To", v, NULL);
		g_free(v);
	}
}

static GMimeObject *
text_part(const char *body)
{
	GMimeTextPart *t = g_mime_text_part_new_with_subtype("plain");
	GMimePart *p = GMIME_PART(t);

	g_mime_text_part_set_text(t, body);
	g_mime_text_part_set_charset(t, "utf-8");
	g_mime_part_set_content_encoding(p, g_mime_part_get_best_content_encoding(
	    p, GMIME_ENCODING_CONSTRAINT_7BIT));
	return GMIME_OBJECT(t);
}

static GMimeObject *
attachment(const struct msg_part *mp)
{
	GMimePart *p = g_mime_part_new();
	GMimeContentType *ct = g_mime_content_type_parse(NULL,
	    *mp->content_type != '\0' ? mp->content_type :
	    "application/octet-stream");
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(
	    (const char *)(mp->data != NULL ? mp->data : (unsigned char *)""),
	    mp->size);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_object_set_content_type(GMIME_OBJECT(p), ct);
	g_mime_part_set_content(p, dw);
	if (*mp->filename != '\0')
		g_mime_part_set_filename(p, mp->filename);
	g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(ct);
	g_object_unref(dw);
	g_object_unref(st);
	return GMIME_OBJECT(p);
}

static GMimeObject *
body(const struct compose_in *in)
{
	GMimeMultipart *mp;

	if (in->nparts == 0)
		return text_part(in->body);
	mp = g_mime_multipart_new_with_subtype("mixed");
	GMimeObject *t = text_part(in->body);
	g_mime_multipart_add(mp, t);
	g_object_unref(t);
	for (size_t i = 0; i < in->nparts; i++) {
		GMimeObject *a = attachment(&in->parts[i]);

		g_mime_multipart_add(mp, a);
		g_object_unref(a);
	}
	return GMIME_OBJECT(mp);
}

static void
set_headers(GMimeMessage *m, const struct compose_in *in)
{
	GMimeObject *obj = GMIME_OBJECT(m);
	GDateTime *dt = g_date_time_new_from_unix_utc(in->date);

	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, in->from_name,
	    in->from_addr);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, in->to_name,
	    in->to_addr);
	if (in->reply_to != NULL)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO,
		    NULL, in->reply_to);
	g_mime_message_set_subject(m, in->subject, "utf-8");
	g_mime_message_set_message_id(m, in->message_id);
	if (dt != NULL) {
		g_mime_message_set_date(m, dt);
		g_date_time_unref(dt);
	}
	set_refs(obj, in);
	if (in->auto_submitted != NULL) {
		g_mime_object_set_header(obj, "Auto-Submitted",
		    in->auto_submitted, NULL);
		g_mime_object_set_header(obj, "X-Auto-Response-Suppress", "All",
		    NULL);
	}
	if (in->loop != NULL)
		g_mime_object_set_header(obj, "X-Loop", in->loop, NULL);
	for (size_t i = 0; i < in->nextra; i++)
		if (g_ascii_strcasecmp(in->extra[i].name, "Subject") != 0)
			g_mime_object_set_header(obj, in->extra[i].name,
			    in->extra[i].value, "utf-8");
}

char *
compose_message(const struct compose_in *in, size_t *len)
{
	GMimeMessage *m;
	GMimeObject *b;
	GMimeStream *mem;
	GByteArray *arr;
	char *out;

	parse_init();
	m = g_mime_message_new(TRUE);
	set_headers(m, in);
	b = body(in);
	if (in->language != NULL && *in->language != '\0')
		g_mime_object_set_header(b, "Content-Language", in->language,
		    NULL);
	g_mime_message_set_mime_part(m, b);
	g_object_unref(b);
	mem = g_mime_stream_mem_new();
	g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, mem);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	*len = arr->len;
	out = g_malloc(arr->len + 1);
	memcpy(out, arr->data, arr->len);
	out[arr->len] = '\0';
	g_object_unref(mem);
	g_object_unref(m);
	return out;
}

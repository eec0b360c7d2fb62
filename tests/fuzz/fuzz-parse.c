/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the parse stage: parse_message() on arbitrary
 * bytes, with the default limits and with tight ones (which also drive
 * the raw scan that cuts a mail at its part and depth limits), and the
 * raw fallback parse_raw(), then a check of
 * the struct msg contract (msg.h): every string non-NULL, valid UTF-8,
 * no CR, no LF outside the bodies, no other control characters.  A
 * breach abort()s so that libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "msg.h"
#include "parse.h"

enum line_kind {
	LINE_SINGLE,	/* header values, names, addresses, ids */
	LINE_BODY,	/* body_text, body_html: LF and TAB allowed */
};

static void
fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz-parse: contract broken: %s: \"%.200s\"\n",
	    what, s != NULL ? s : "(null)");
	abort();
}

/* C0 controls and DEL; C1 (U+0080..U+009F, 0xc2 0x80..0x9f in UTF-8)
 * too in single-line strings, which parse_scrub() guarantees. */
static void
check_str(const char *what, const char *s, enum line_kind kind)
{
	size_t len;

	if (s == NULL)
		fail(what, s);
	len = strlen(s);
	if (!g_utf8_validate(s, (gssize)len, NULL))
		fail(what, s);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (kind == LINE_BODY && (ch == '\n' || ch == '\t'))
			continue;
		if (ch < 0x20 || ch == 0x7f)
			fail(what, s);
		if (kind == LINE_SINGLE && ch == 0xc2 && s[i + 1] != '\0' &&
		    (unsigned char)s[i + 1] <= 0x9f)
			fail(what, s);
	}
}

static void
check_addr(const char *what, const struct msg_addr *a)
{
	check_str(what, a->name, LINE_SINGLE);
	check_str(what, a->address, LINE_SINGLE);
}

static void
check_addrs(const char *what, const struct msg_addrs *l)
{
	if (l->n > 0 && l->v == NULL)
		fail(what, NULL);
	for (size_t i = 0; i < l->n; i++)
		check_addr(what, &l->v[i]);
}

static void
check_part(const struct msg_part *p, bool keep_data)
{
	volatile unsigned char sink;

	check_str("part filename", p->filename, LINE_SINGLE);
	check_str("part content_type", p->content_type, LINE_SINGLE);
	check_str("part content_id", p->content_id, LINE_SINGLE);
	if (strlen(p->sha256) != 64 ||
	    strspn(p->sha256, "0123456789abcdef") != 64)
		fail("part sha256", p->sha256);
	if (keep_data && p->size > 0) {
		if (p->data == NULL)
			fail("part data", NULL);
		/* ASan checks both ends of the buffer. */
		sink = p->data[0];
		sink = p->data[p->size - 1];
		(void)sink;
	}
}

static void
check_msg(const struct msg *m, size_t len, bool keep_data)
{
	check_str("message_id", m->message_id, LINE_SINGLE);
	if (m->message_id[0] == '\0')
		fail("message_id empty", m->message_id);
	check_addr("from", &m->from);
	check_addrs("to", &m->to);
	check_addrs("cc", &m->cc);
	check_addrs("reply_to", &m->reply_to);
	check_str("subject", m->subject, LINE_SINGLE);
	check_str("in_reply_to", m->in_reply_to, LINE_SINGLE);
	for (size_t i = 0; i < m->references.n; i++)
		check_str("references", m->references.v[i], LINE_SINGLE);
	for (size_t i = 0; i < m->nheaders; i++) {
		check_str("header name", m->headers[i].name, LINE_SINGLE);
		check_str("header value", m->headers[i].value, LINE_SINGLE);
	}
	check_str("body_text", m->body_text, LINE_BODY);
	check_str("body_html", m->body_html, LINE_BODY);
	if (m->has_html != (m->body_html[0] != '\0'))
		fail("has_html", m->body_html);
	for (size_t i = 0; i < m->nparts; i++)
		check_part(&m->parts[i], keep_data);
	if (m->raw_len != len || m->header_len > len)
		fail("raw_len/header_len", NULL);
	if (m->flags >> MSG_F_COUNT != 0)
		fail("unknown flag", NULL);
}

static void
run(const char *raw, size_t len, const struct parse_opts *o)
{
	struct msg *m = parse_message(raw, len, o);

	if (m == NULL)
		fail("parse_message returned NULL", NULL);
	check_msg(m, len, o->keep_part_data);
	/* Lookups over the header array must not trip either. */
	(void)msg_header(m, "Subject");
	(void)msg_header_nth(m, "Received", 1);
	msg_free(m);
}

/* The raw fallback (parse_raw) keeps the same contract. */
static void
run_raw(const char *raw, size_t len)
{
	struct msg *m = parse_raw(raw, len);

	check_msg(m, len, false);
	msg_free(m);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Before the first GLib allocation: let ASan see every block. */
	setenv("G_SLICE", "always-malloc", 0);
	parse_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hints[] = { "windows-1251", "KOI8-R", NULL };
	struct parse_opts o;

	parse_opts_default(&o);
	run((const char *)data, size, &o);

	o = (struct parse_opts){
		.max_size = 512,
		.max_header_bytes = 256,
		.max_depth = 2,
		.max_parts = 3,
		.charsets = hints,
		.keep_part_data = true,
	};
	run((const char *)data, size, &o);
	run_raw((const char *)data, size);
	return 0;
}

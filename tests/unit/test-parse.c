/* SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "digest.h"
#include "msg.h"
#include "parse.h"
#include "tap.h"

/*
 * Fixtures are written with LF; check() parses each one once more with
 * CR LF line endings and expects everything but the byte counts to be
 * the same.  8-bit text is spelled with \x escapes, from iconv.
 */

/* "Здравейте, имам проблем ..." (Bulgarian) in windows-1251 and KOI8-R */
#define BG_TEXT "Здравейте, имам проблем с фактурата за миналия месец. " \
	"Моля, проверете плащането и ми изпратете нова фактура възможно " \
	"най-скоро. Благодаря предварително!"
#define BG_1251 \
	"\xc7\xe4\xf0\xe0\xe2\xe5\xe9\xf2\xe5, \xe8\xec\xe0\xec \xef\xf0" \
	"\xee\xe1\xeb\xe5\xec \xf1 \xf4\xe0\xea\xf2\xf3\xf0\xe0\xf2\xe0 " \
	"\xe7\xe0 \xec\xe8\xed\xe0\xeb\xe8\xff \xec\xe5\xf1\xe5\xf6. \xcc" \
	"\xee\xeb\xff, \xef\xf0\xee\xe2\xe5\xf0\xe5\xf2\xe5 \xef\xeb\xe0" \
	"\xf9\xe0\xed\xe5\xf2\xee \xe8 \xec\xe8 \xe8\xe7\xef\xf0\xe0\xf2" \
	"\xe5\xf2\xe5 \xed\xee\xe2\xe0 \xf4\xe0\xea\xf2\xf3\xf0\xe0 \xe2" \
	"\xfa\xe7\xec\xee\xe6\xed\xee \xed\xe0\xe9-\xf1\xea\xee\xf0\xee. " \
	"\xc1\xeb\xe0\xe3\xee\xe4\xe0\xf0\xff \xef\xf0\xe5\xe4\xe2\xe0\xf0" \
	"\xe8\xf2\xe5\xeb\xed\xee!"
#define BG_KOI8 \
	"\xfa\xc4\xd2\xc1\xd7\xc5\xca\xd4\xc5, \xc9\xcd\xc1\xcd \xd0\xd2" \
	"\xcf\xc2\xcc\xc5\xcd \xd3 \xc6\xc1\xcb\xd4\xd5\xd2\xc1\xd4\xc1 " \
	"\xda\xc1 \xcd\xc9\xce\xc1\xcc\xc9\xd1 \xcd\xc5\xd3\xc5\xc3. \xed" \
	"\xcf\xcc\xd1, \xd0\xd2\xcf\xd7\xc5\xd2\xc5\xd4\xc5 \xd0\xcc\xc1" \
	"\xdd\xc1\xce\xc5\xd4\xcf \xc9 \xcd\xc9 \xc9\xda\xd0\xd2\xc1\xd4" \
	"\xc5\xd4\xc5 \xce\xcf\xd7\xc1 \xc6\xc1\xcb\xd4\xd5\xd2\xc1 \xd7" \
	"\xdf\xda\xcd\xcf\xd6\xce\xcf \xce\xc1\xca-\xd3\xcb\xcf\xd2\xcf. " \
	"\xe2\xcc\xc1\xc7\xcf\xc4\xc1\xd2\xd1 \xd0\xd2\xc5\xc4\xd7\xc1\xd2" \
	"\xc9\xd4\xc5\xcc\xce\xcf!"

/* "Здравствуйте! У меня не работает вход ..." (Russian) */
#define RU_TEXT "Здравствуйте! У меня не работает вход в личный кабинет " \
	"после обновления пароля. Пожалуйста, помогите разобраться как " \
	"можно скорее. Спасибо."
#define RU_KOI8 \
	"\xfa\xc4\xd2\xc1\xd7\xd3\xd4\xd7\xd5\xca\xd4\xc5! \xf5 \xcd\xc5" \
	"\xce\xd1 \xce\xc5 \xd2\xc1\xc2\xcf\xd4\xc1\xc5\xd4 \xd7\xc8\xcf" \
	"\xc4 \xd7 \xcc\xc9\xde\xce\xd9\xca \xcb\xc1\xc2\xc9\xce\xc5\xd4 " \
	"\xd0\xcf\xd3\xcc\xc5 \xcf\xc2\xce\xcf\xd7\xcc\xc5\xce\xc9\xd1 \xd0" \
	"\xc1\xd2\xcf\xcc\xd1. \xf0\xcf\xd6\xc1\xcc\xd5\xca\xd3\xd4\xc1, " \
	"\xd0\xcf\xcd\xcf\xc7\xc9\xd4\xc5 \xd2\xc1\xda\xcf\xc2\xd2\xc1\xd4" \
	"\xd8\xd3\xd1 \xcb\xc1\xcb \xcd\xcf\xd6\xce\xcf \xd3\xcb\xcf\xd2" \
	"\xc5\xc5. \xf3\xd0\xc1\xd3\xc9\xc2\xcf."
#define RU_1251 \
	"\xc7\xe4\xf0\xe0\xe2\xf1\xf2\xe2\xf3\xe9\xf2\xe5! \xd3 \xec\xe5" \
	"\xed\xff \xed\xe5 \xf0\xe0\xe1\xee\xf2\xe0\xe5\xf2 \xe2\xf5\xee" \
	"\xe4 \xe2 \xeb\xe8\xf7\xed\xfb\xe9 \xea\xe0\xe1\xe8\xed\xe5\xf2 " \
	"\xef\xee\xf1\xeb\xe5 \xee\xe1\xed\xee\xe2\xeb\xe5\xed\xe8\xff \xef" \
	"\xe0\xf0\xee\xeb\xff. \xcf\xee\xe6\xe0\xeb\xf3\xe9\xf1\xf2\xe0, " \
	"\xef\xee\xec\xee\xe3\xe8\xf2\xe5 \xf0\xe0\xe7\xee\xe1\xf0\xe0\xf2" \
	"\xfc\xf1\xff \xea\xe0\xea \xec\xee\xe6\xed\xee \xf1\xea\xee\xf0" \
	"\xe5\xe5. \xd1\xef\xe0\xf1\xe8\xe1\xee."

/* SHA-256 of the attachment contents, from sha256sum(1) */
#define SHA_PNG \
	"b05d0f70f1cea3aa9a8e74d778915d77" \
	"af66bbb677729d7d0e2b44bd68888e13"
#define SHA_PDF \
	"e4b0c69700eaac6f3fb38aa22fa0d048" \
	"3d97702d256d7775ae383ff12938c140"
#define SHA_NOTES \
	"6866a4cafb2f8dabeb7be97a987b1656" \
	"9ffb30ee69e225be7976a4deda4ed490"
#define SHA_HELLO \
	"d9014c4624844aa5bac314773d6b689a" \
	"d467fa4e1d1a50a1b8a99d5a95f72ff5"
#define SHA_PART1 \
	"858c245be6c10e225719a69ed58b41e5" \
	"e4c52a7a29bddb01b6aa6bb64754111d"
#define SHA_PART2 \
	"192c026995af1237b136870cdcc7c615" \
	"7819484337b3b1c4b7ec5d0b01b2289e"

static struct parse_opts opts;

static char *
to_crlf(const char *s)
{
	GString *g = g_string_new(NULL);

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			g_string_append_c(g, '\r');
		g_string_append_c(g, *s);
	}
	return g_string_free(g, FALSE);
}

static char *
flags_str(unsigned flags)
{
	GString *g = g_string_new(NULL);

	for (unsigned i = 0; i < MSG_F_COUNT; i++) {
		if ((flags & (1u << i)) == 0)
			continue;
		if (g->len > 0)
			g_string_append_c(g, ',');
		g_string_append(g, msg_flag_name(1u << i));
	}
	return g_string_free(g, FALSE);
}

static void
addrs_str(GString *g, const char *label, const struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++)
		g_string_append_printf(g, "%s: %s <%s>\n", label, a->v[i].name,
		    a->v[i].address);
}

/* Everything parse_message() fills in except the byte counts. */
static char *
summary(const struct msg *m)
{
	GString *g = g_string_new(NULL);
	char *f = flags_str(m->flags);

	g_string_append_printf(g, "id %s\ndate %lld\nfrom %s <%s>\n",
	    m->message_id, (long long)m->date, m->from.name, m->from.address);
	addrs_str(g, "to", &m->to);
	addrs_str(g, "cc", &m->cc);
	addrs_str(g, "reply-to", &m->reply_to);
	g_string_append_printf(g, "subject %s\nin-reply-to %s\n", m->subject,
	    m->in_reply_to);
	for (size_t i = 0; i < m->references.n; i++)
		g_string_append_printf(g, "ref %s\n", m->references.v[i]);
	for (size_t i = 0; i < m->nheaders; i++)
		g_string_append_printf(g, "header %s: %s\n",
		    m->headers[i].name, m->headers[i].value);
	g_string_append_printf(g, "text [%s]\nhtml %d [%s]\n", m->body_text,
	    m->has_html, m->body_html);
	for (size_t i = 0; i < m->nparts; i++) {
		const struct msg_part *p = &m->parts[i];

		g_string_append_printf(g, "part %s %s <%s> %llu %d %d %s\n",
		    p->filename, p->content_type, p->content_id,
		    (unsigned long long)p->size, p->is_inline, p->is_message,
		    p->sha256);
	}
	g_string_append_printf(g, "flags %s\n", f);
	g_free(f);
	return g_string_free(g, FALSE);
}

static struct msg *
parse_with(const char *raw, const struct parse_opts *o)
{
	return parse_message(raw, strlen(raw), o);
}

/* Parse an LF fixture, check that its CR LF twin gives the same. */
static struct msg *
check(const char *name, const char *raw)
{
	struct msg *m = parse_with(raw, &opts);
	char *crlf = to_crlf(raw);
	struct msg *m2 = parse_with(crlf, &opts);
	char *a = summary(m), *b = summary(m2);
	char *label = g_strdup_printf("%s: CR LF parses like LF", name);

	is_str(b, a, label);
	g_free(label);
	g_free(a);
	g_free(b);
	g_free(crlf);
	msg_free(m2);
	return m;
}

static void
is_flags(const struct msg *m, const char *want, const char *name)
{
	char *got = flags_str(m->flags);

	is_str(got, want, name);
	g_free(got);
}

static bool
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool
is_noid(const char *id)
{
	size_t n = strlen(id);

	if (n != 5 + 32 + 17 || strncmp(id, "noid-", 5) != 0 ||
	    strcmp(id + 37, "@postdesk.invalid") != 0)
		return false;
	for (size_t i = 5; i < 37; i++)
		if (!g_ascii_isxdigit(id[i]) || g_ascii_isupper(id[i]))
			return false;
	return true;
}

static void
is_part(const struct msg *m, size_t i, const char *filename,
    const char *type, uint64_t size, bool is_inline, const char *sha)
{
	char *l = g_strdup_printf("part %zu (%s)", i, filename);
	char *n;

	if (!ok(i < m->nparts, l)) {
		g_free(l);
		return;
	}
	n = g_strdup_printf("%s: filename", l);
	is_str(m->parts[i].filename, filename, n);
	g_free(n);
	n = g_strdup_printf("%s: content type", l);
	is_str(m->parts[i].content_type, type, n);
	g_free(n);
	n = g_strdup_printf("%s: size", l);
	is_int(m->parts[i].size, size, n);
	g_free(n);
	n = g_strdup_printf("%s: inline", l);
	is_int(m->parts[i].is_inline, is_inline, n);
	g_free(n);
	if (sha != NULL) {
		n = g_strdup_printf("%s: sha256", l);
		is_str(m->parts[i].sha256, sha, n);
		g_free(n);
	}
	g_free(l);
}

/* Adjacent base64 words whose first is padded: GMime on its own joins
 * the payloads and loses the second word (GMime's encoder writes such
 * pairs: a folded Bulgarian subject came back cut in half). */
static void
test_padded_b_words(void)
{
	struct msg *m = check("padded base64 words",
	    "Message-ID: <pb@x>\n"
	    "Subject: [Support #49] =?UTF-8?B?0J3Rj9C80LAg0LTQvtGB0YLRitC/INC00L4=?=\n"
	    " =?UTF-8?B?INGE0LDQutGC0YPRgNC40YLQtQ==?=\n"
	    "X-Two-Charsets: =?UTF-8?B?0JQ=?= =?iso-8859-1?B?6Q==?=\n\nx\n");

	is_str(m->subject, "[Support #49] Няма достъп до фактурите",
	    "padded base64 words: both decoded");
	is_str(msg_header(m, "X-Two-Charsets"), "Дé",
	    "padded base64 words of two charsets: both decoded");
	msg_free(m);
}

static void
test_basic(void)
{
	struct msg *m = check("basic",
	    "From: \"Doe, Jane\" <Jane.Doe@Example.COM>\n"
	    "To: Support <support@example.org>, bob@EXAMPLE.net\n"
	    "Cc: Team: alice@example.org, carol@example.org;\n"
	    "Reply-To: replies@example.com\n"
	    "Subject: Printer\n on fire\n"
	    "Date: Tue, 02 Jan 2024 10:30:00 +0200\n"
	    "Message-ID: <abc.123@example.com>\n"
	    "In-Reply-To: <parent@example.com> <other@example.com>\n"
	    "References: <root@example.com>\n <parent@example.com>\n"
	    "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "Hello,\n"
	    "the printer is on fire.\n");

	is_str(m->message_id, "abc.123@example.com", "basic: message id");
	is_int(m->date, 1704184200, "basic: date in UTC");
	is_str(m->from.name, "Doe, Jane", "basic: from name");
	is_str(m->from.address, "Jane.Doe@example.com",
	    "basic: from address, domain lower-cased");
	is_int(m->to.n, 2, "basic: two To addresses");
	if (m->to.n == 2) {
		is_str(m->to.v[0].name, "Support", "basic: to[0] name");
		is_str(m->to.v[0].address, "support@example.org",
		    "basic: to[0] address");
		is_str(m->to.v[1].name, "", "basic: to[1] no name");
		is_str(m->to.v[1].address, "bob@example.net",
		    "basic: to[1] address");
	}
	is_int(m->cc.n, 2, "basic: group in Cc flattened");
	if (m->cc.n == 2)
		is_str(m->cc.v[1].address, "carol@example.org",
		    "basic: cc[1] address");
	is_int(m->reply_to.n, 1, "basic: one Reply-To");
	is_str(m->subject, "Printer on fire", "basic: folded subject");
	is_str(m->in_reply_to, "parent@example.com", "basic: in-reply-to");
	is_int(m->references.n, 2, "basic: two references");
	if (m->references.n == 2) {
		is_str(m->references.v[0], "root@example.com", "basic: ref 0");
		is_str(m->references.v[1], "parent@example.com",
		    "basic: ref 1");
	}
	is_str(msg_header(m, "auto-submitted"), "auto-replied",
	    "basic: header lookup is case-insensitive");
	is_int(m->nheaders, 12, "basic: all headers kept");
	if (m->nheaders == 12) {
		is_str(m->headers[0].name, "From", "basic: first header");
		is_str(m->headers[11].name, "Content-Type",
		    "basic: Content-Type kept in its place");
		is_str(m->headers[4].value, "Printer on fire",
		    "basic: header value unfolded");
	}
	is_str(m->body_text, "Hello,\nthe printer is on fire.\n",
	    "basic: body text");
	ok(!m->has_html, "basic: no html");
	is_int(m->nparts, 0, "basic: no parts");
	is_flags(m, "", "basic: no flags");
	msg_free(m);

	m = check("bad date", "From: a@example.com\nDate: the day before "
	    "yesterday\nMessage-ID: <d@x>\n\nx\n");
	is_int(m->date, -1, "bad date: no date");
	is_flags(m, "bad-date", "bad date: flagged");
	msg_free(m);
}

static void
test_encoded_words(void)
{
	struct msg *m = check("encoded words",
	    "From: =?utf-8?B?0J/RgNC40LLQtdGC?= <p@example.com>\n"
	    "Message-ID: <ew@x>\n"
	    "Subject: =?windows-1251?Q?=CF=F0=EE=E1=EB=E5=EC?= 42\n"
	    "X-Q: =?iso-8859-1?Q?Caf=E9_au_lait?=\n"
	    "X-B: =?UTF-8?B?0J/RgNC40LLQtdGC?=\n"
	    "X-Adjacent: =?utf-8?q?Hello?= =?utf-8?q?World?=\n"
	    "X-Folded: =?utf-8?q?Hello?=\n =?utf-8?q?_World?=\n"
	    "X-Mixed: Re: =?utf-8?q?caf=C3=A9?= ok\n"
	    "X-Split-Q: =?utf-8?Q?Caf=C3?= =?utf-8?Q?=A9?=\n"
	    "X-Split-B: =?utf-8?B?0J/R?= =?utf-8?B?gNC40LLQtdGC?=\n"
	    "X-Case: =?Utf-8?b?0J/RgNC40LLQtdGC?= =?ISO-8859-1?q?na=EFve?=\n"
	    "X-Koi8: =?koi8-r?B?8NLJ18XU?=\n"
	    "X-Lang: =?utf-8*en?q?hello?=\n"
	    "X-No-End: =?utf-8?Q?broken_end\n"
	    "X-No-End-B: =?utf-8?B?0J/RgNC40LLQtdGC\n"
	    "\n"
	    "body\n");

	is_str(m->subject, "Проблем 42", "ew: windows-1251 Q subject");
	is_str(m->from.name, "Привет", "ew: B in a From display name");
	is_str(msg_header(m, "X-Q"), "Café au lait", "ew: Q, latin-1");
	is_str(msg_header(m, "X-B"), "Привет", "ew: B, UTF-8");
	is_str(msg_header(m, "X-Adjacent"), "HelloWorld",
	    "ew: space between adjacent encoded words dropped");
	is_str(msg_header(m, "X-Folded"), "Hello World",
	    "ew: folded adjacent words, encoded space kept");
	is_str(msg_header(m, "X-Mixed"), "Re: café ok",
	    "ew: encoded word between plain words");
	is_str(msg_header(m, "X-Split-Q"), "Café",
	    "ew: UTF-8 char split across two Q words");
	is_str(msg_header(m, "X-Split-B"), "Привет",
	    "ew: UTF-8 char split across two B words");
	is_str(msg_header(m, "X-Case"), "Приветnaïve",
	    "ew: lower-case b/q, mixed-case charsets");
	is_str(msg_header(m, "X-Koi8"), "Привет", "ew: KOI8-R B");
	is_str(msg_header(m, "X-Lang"), "hello", "ew: RFC 2231 language tag");
	is_str(msg_header(m, "X-No-End"), "broken end",
	    "ew: missing ?= at the end, Q");
	is_str(msg_header(m, "X-No-End-B"), "Привет",
	    "ew: missing ?= at the end, B");
	is_flags(m, "", "ew: no flags");
	msg_free(m);
}

static void
test_rfc2231(void)
{
	struct msg *m = check("rfc2231",
	    "From: a@example.com\n"
	    "Message-ID: <r2231@x>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "See attachments.\n"
	    "--b\n"
	    "Content-Type: application/pdf\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment;\n"
	    " filename*0*=utf-8''%D0%9E%D1%82%D1%87%D0%B5%D1%82;\n"
	    " filename*1*=%20%D0%B7%D0%B0%20%D0%BC%D0%B0%D0%B9.pdf\n"
	    "\n"
	    "cGFydCAxCg==\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment; filename*0=\"very-long-file-\";\n"
	    " filename*1=\"name-continued.txt\"\n"
	    "\n"
	    "cGFydCAyCg==\n"
	    "--b\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment;\n"
	    " filename*=windows-1251''%CE%F2%F7%E5%F2.txt\n"
	    "\n"
	    "cGFydCAxCg==\n"
	    "--b\n"
	    "Content-Type: application/octet-stream;\n"
	    " name=\"=?utf-8?B?0J/RgNC40LLQtdGCLmJpbg==?=\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "cGFydCAxCg==\n"
	    "--b--\n");

	is_int(m->nparts, 4, "rfc2231: four attachments");
	is_part(m, 0, "Отчет за май.pdf", "application/pdf", 7, false,
	    SHA_PART1);
	is_part(m, 1, "very-long-file-name-continued.txt", "text/plain", 7,
	    false, SHA_PART2);
	is_part(m, 2, "Отчет.txt", "application/octet-stream", 7, false,
	    SHA_PART1);
	is_part(m, 3, "Привет.bin", "application/octet-stream", 7, true,
	    SHA_PART1);
	is_str(m->body_text, "See attachments.", "rfc2231: body text");
	is_flags(m, "", "rfc2231: no flags");
	msg_free(m);
}

static char *
cyrillic_mail(const char *ctype, const char *body)
{
	return g_strdup_printf("From: a@example.com\n"
	    "Subject: charset\n"
	    "Message-ID: <cs@x>\n"
	    "MIME-Version: 1.0\n"
	    "%s"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "%s\n", ctype, body);
}

static void
one_charset(const char *name, const char *ctype, const char *body,
    const char *want, const char *flags)
{
	char *raw = cyrillic_mail(ctype, body);
	struct msg *m = check(name, raw);
	char *w = g_strdup_printf("%s\n", want);
	char *l = g_strdup_printf("%s: body text", name);

	is_str(m->body_text, w, l);
	g_free(l);
	l = g_strdup_printf("%s: flags", name);
	is_flags(m, flags, l);
	g_free(l);
	g_free(w);
	g_free(raw);
	msg_free(m);
}

static void
test_charsets(void)
{
	const char *c1251 = "Content-Type: text/plain; charset=windows-1251\n";
	const char *ckoi = "Content-Type: text/plain; charset=\"koi8-r\"\n";
	const char *none = "Content-Type: text/plain\n";
	const char *latin1 = "Content-Type: text/plain; charset=iso-8859-1\n";
	const char *ascii = "Content-Type: text/plain; charset=us-ascii\n";

	one_charset("bg 1251 declared", c1251, BG_1251, BG_TEXT, "");
	one_charset("bg 1251 no charset", none, BG_1251, BG_TEXT,
	    "charset-detected");
	one_charset("bg 1251 no content-type", "", BG_1251, BG_TEXT,
	    "charset-detected");
	one_charset("bg 1251 as iso-8859-1", latin1, BG_1251, BG_TEXT,
	    "charset-detected");
	one_charset("bg koi8-r declared", ckoi, BG_KOI8, BG_TEXT, "");
	one_charset("bg koi8-r no charset", none, BG_KOI8, BG_TEXT,
	    "charset-detected");
	one_charset("ru koi8-r declared", ckoi, RU_KOI8, RU_TEXT, "");
	one_charset("ru koi8-r no charset", none, RU_KOI8, RU_TEXT,
	    "charset-detected");
	one_charset("ru koi8-r no content-type", "", RU_KOI8, RU_TEXT,
	    "charset-detected");
	one_charset("ru koi8-r as iso-8859-1", latin1, RU_KOI8, RU_TEXT,
	    "charset-detected");
	one_charset("ru 1251 declared", c1251, RU_1251, RU_TEXT, "");
	one_charset("ru 1251 no charset", none, RU_1251, RU_TEXT,
	    "charset-detected");
	one_charset("ru 1251 as us-ascii", ascii, RU_1251, RU_TEXT,
	    "charset-detected");
	one_charset("ru 1251 as iso-8859-1", latin1, RU_1251, RU_TEXT,
	    "charset-detected");
	/* 8-bit under no label is flagged even when it is UTF-8 */
	one_charset("utf-8 undeclared", none, RU_TEXT, RU_TEXT,
	    "charset-detected");
	one_charset("latin-1 declared", latin1, "Gr\xfc\xdf Gott, caf\xe9",
	    "Grüß Gott, café", "");
}

static void
test_raw_8bit_headers(void)
{
	struct msg *m = check("raw 8-bit headers",
	    "From: \xc8\xe2\xe0\xed \xcf\xe5\xf2\xf0\xee\xe2\n"
	    " <ivan@example.bg>\n"
	    "Subject: \xcf\xf0\xee\xe1\xeb\xe5\xec \xf1 \xf4\xe0\xea\xf2\xf3"
	    "\xf0\xe0\xf2\xe0 \xe7\xe0 \xec\xe8\xed\xe0\xeb\xe8\xff \xec\xe5"
	    "\xf1\xe5\xf6\n"
	    "Message-ID: <raw8@x>\n"
	    "Content-Type: text/plain; charset=windows-1251\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    BG_1251 "\n");

	is_str(m->subject, "Проблем с фактурата за миналия месец",
	    "raw 8-bit: subject");
	is_str(m->from.name, "Иван Петров", "raw 8-bit: from name");
	is_str(m->from.address, "ivan@example.bg", "raw 8-bit: from address");
	is_str(m->body_text, BG_TEXT "\n", "raw 8-bit: body");
	is_flags(m, "charset-detected", "raw 8-bit: flagged");
	msg_free(m);

	m = check("raw utf-8 header", "From: a@example.com\n"
	    "Subject: Привет, мир\nMessage-ID: <u8@x>\n\nbody\n");
	is_str(m->subject, "Привет, мир", "raw utf-8 subject kept");
	is_flags(m, "", "raw utf-8 subject: no flags");
	msg_free(m);
}

static void
test_injection(void)
{
	struct msg *m = check("crlf injection",
	    "From: =?utf-8?B?RXZlDQpCY2M6IHhAZXZpbC5leGFtcGxl?=\n"
	    " <eve@example.com>\n"
	    "Reply-To: =?utf-8?q?Eve=0D=0ABcc:_x@evil.example?=\n"
	    " <r@example.com>\n"
	    "To: support@example.com\n"
	    "Subject: =?utf-8?B?SGVsbG8NCkJjYzogeEBldmlsLmV4YW1wbGU=?=\n"
	    "Message-ID: <inj@x>\n"
	    "\n"
	    "body\n");

	is_str(m->subject, "Hello  Bcc: x@evil.example",
	    "injection: CR LF in subject became spaces");
	ok(!has_ctl(m->subject), "injection: no control char in subject");
	ok(!has_ctl(msg_header(m, "Subject")),
	    "injection: no control char in the Subject header value");
	is_str(m->from.name, "Eve  Bcc: x@evil.example",
	    "injection: CR LF in from name became spaces");
	is_str(m->from.address, "eve@example.com", "injection: from address");
	ok(!has_ctl(msg_header(m, "From")),
	    "injection: no control char in the From header value");
	is_str(msg_header(m, "Bcc"), "", "injection: no Bcc header appears");
	ok(!has_ctl(m->reply_to.n > 0 ? m->reply_to.v[0].name : ""),
	    "injection: no control char in a sloppy Q display name");
	is_int(m->nheaders, 5, "injection: still five headers");
	is_int(m->to.n, 1, "injection: one recipient");
	is_flags(m, "control-chars-removed", "injection: flagged");
	msg_free(m);
}

static void
test_html_only(void)
{
	static const char html[] = "<html><head><title>T</title>"
	    "<style>p { color: red }</style></head>\n"
	    "<body><p>Hello <b>world</b>,</p><p>the printer&nbsp;is &amp; "
	    "was <a href=\"https://example.com/x\">on fire</a>.</p>\n"
	    "<ul><li>one</li><li>two</li></ul></body></html>\n";
	char *raw = g_strconcat("From: a@example.com\n"
	    "Subject: html only\n"
	    "Message-ID: <html@x>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "\n", html, NULL);
	struct msg *m = check("html only", raw);

	is_str(m->body_text, "Hello world,\n\nthe printer is & was on fire "
	    "<https://example.com/x>.\n\n- one\n- two",
	    "html only: text converted from html");
	ok(m->has_html, "html only: has html");
	is_str(m->body_html, html, "html only: html kept as sent");
	is_flags(m, "html-converted", "html only: html-converted");
	msg_free(m);
	g_free(raw);

	m = check("html koi8-r", "From: a@example.com\n"
	    "Message-ID: <htmlkoi@x>\n"
	    "Content-Type: text/html; charset=koi8-r\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "<p>" RU_KOI8 "</p>\n");
	is_str(m->body_text, RU_TEXT, "html koi8-r: text in UTF-8");
	is_str(m->body_html, "<p>" RU_TEXT "</p>\n",
	    "html koi8-r: html in UTF-8");
	is_flags(m, "html-converted", "html koi8-r: flags");
	msg_free(m);
}

static void
test_alternative(void)
{
	struct msg *m = check("alternative",
	    "From: a@example.com\n"
	    "Message-ID: <alt@x>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
	    "\n"
	    "--alt\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "\n"
	    "<p>HTML version.</p>\n"
	    "--alt\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n"
	    "Plain version.\n"
	    "--alt--\n");

	is_str(m->body_text, "Plain version.",
	    "alternative: plain part chosen");
	ok(m->has_html, "alternative: has html");
	is_str(m->body_html, "<p>HTML version.</p>",
	    "alternative: html kept");
	is_int(m->nparts, 0, "alternative: no parts");
	is_flags(m, "", "alternative: no flags");
	msg_free(m);
}

static const char nested_mail[] =
	"From: a@example.com\n"
	"Subject: nested\n"
	"Message-ID: <nested@x>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"mix\"\n"
	"\n"
	"This is a multi-part message in MIME format.\n"
	"--mix\n"
	"Content-Type: multipart/alternative; boundary=\"alt\"\n"
	"\n"
	"--alt\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"See the report.\n"
	"--alt\n"
	"Content-Type: multipart/related; boundary=\"rel\"\n"
	"\n"
	"--rel\n"
	"Content-Type: text/html; charset=utf-8\n"
	"\n"
	"<p>See the report. <img src=\"cid:logo@x\"></p>\n"
	"--rel\n"
	"Content-Type: image/png\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-ID: <logo@x>\n"
	"Content-Disposition: inline; filename=\"logo.png\"\n"
	"\n"
	"iVBORw0KGgoAAAANSUhEUmZha2UtbG9nbw==\n"
	"--rel--\n"
	"\n"
	"--alt--\n"
	"\n"
	"--mix\n"
	"Content-Type: application/pdf; name=\"report.pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-Disposition: attachment; filename=\"report.pdf\"\n"
	"\n"
	"JVBERi0xLjQKJWZha2UgcmVwb3J0CjEgMCBvYmoKPDw+PgplbmRvYmoKJSVFT0YK\n"
	"--mix\n"
	"Content-Type: text/plain; name=\"notes.txt\"\n"
	"Content-Transfer-Encoding: base64\n"
	"Content-Disposition: attachment; filename=\"notes.txt\"\n"
	"\n"
	"bm90ZXMgbGluZSAxCm5vdGVzIGxpbmUgMgo=\n"
	"--mix--\n";

static void
test_nested(void)
{
	struct msg *m = check("nested", nested_mail);

	is_str(m->body_text, "See the report.", "nested: plain text");
	is_str(m->body_html, "<p>See the report. <img src=\"cid:logo@x\"></p>",
	    "nested: html from multipart/related");
	is_int(m->nparts, 3, "nested: three parts");
	is_part(m, 0, "logo.png", "image/png", 25, true, SHA_PNG);
	if (m->nparts > 0)
		is_str(m->parts[0].content_id, "logo@x", "nested: content id");
	is_part(m, 1, "report.pdf", "application/pdf", 48, false, SHA_PDF);
	is_part(m, 2, "notes.txt", "text/plain", 26, false, SHA_NOTES);
	is_flags(m, "", "nested: no flags");
	msg_free(m);
}

/* A 7bit text attachment is kept as sent, line ends included. */
static void
test_text_attachment(void)
{
	static const char raw[] = "From: a@example.com\n"
	    "Message-ID: <txt@x>\n"
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "\n"
	    "body\n"
	    "--b\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Disposition: attachment; filename=notes.txt\n"
	    "\n"
	    "notes line 1\n"
	    "notes line 2\n"
	    "\n"
	    "--b--\n";
	struct msg *m = parse_with(raw, &opts);
	char *crlf = to_crlf(raw);
	struct msg *m2 = parse_with(crlf, &opts);

	is_part(m, 0, "notes.txt", "text/plain", 26, false, SHA_NOTES);
	is_part(m2, 0, "notes.txt", "text/plain", 26, false, SHA_NOTES);
	msg_free(m);
	msg_free(m2);
	g_free(crlf);
}

/* Boundaries that never show up must not lose the text. */
static void
test_broken_multipart(void)
{
	struct msg *m = check("wrong boundary", "From: a@example.com\n"
	    "Message-ID: <wb@x>\n"
	    "Content-Type: multipart/mixed; boundary=OTHER\n"
	    "\n"
	    "--BOUNDARY\n"
	    "\n"
	    "message 1\n"
	    "--BOUNDARY--\n");

	is_str(m->body_text, "--BOUNDARY\n\nmessage 1\n--BOUNDARY--\n",
	    "wrong boundary: the body is kept as text");
	is_flags(m, "malformed-mime", "wrong boundary: flagged");
	msg_free(m);

	m = check("no boundary", "From: a@example.com\n"
	    "Message-ID: <nb@x>\n"
	    "Content-Type: multipart/alternative;\n"
	    "\n"
	    "Blah blah blah\n");
	is_str(m->body_text, "Blah blah blah\n",
	    "no boundary: the body is kept as text");
	is_flags(m, "malformed-mime", "no boundary: flagged");
	msg_free(m);
}

static void
test_keep_part_data(void)
{
	struct parse_opts o = opts;
	struct msg *m;

	o.keep_part_data = true;
	m = parse_with(nested_mail, &o);
	is_int(m->nparts, 3, "part data: three parts");
	is_part(m, 1, "report.pdf", "application/pdf", 48, false, SHA_PDF);
	ok(m->nparts == 3 && m->parts[1].data != NULL &&
	    memcmp(m->parts[1].data, "%PDF-1.4\n%fake report\n", 22) == 0,
	    "part data: decoded bytes kept");
	ok(m->nparts == 3 && m->parts[2].data != NULL &&
	    memcmp(m->parts[2].data, "notes line 1\nnotes line 2\n", 26) == 0,
	    "part data: text attachment bytes kept");
	msg_free(m);
	m = parse_with(nested_mail, &opts);
	ok(m->nparts == 3 && m->parts[1].data == NULL,
	    "part data: not kept by default");
	msg_free(m);
}

static void
test_rfc822(void)
{
	static const char inner[] = "From: inner@example.com\n"
	    "Subject: Inner subject\nMessage-ID: <inner@x>\n\nInner body.\n";
	char *raw = g_strdup_printf("From: outer@example.com\n"
	    "Subject: Fwd: Inner subject\n"
	    "Message-ID: <outer@x>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "See the forwarded mail.\n"
	    "--b\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Disposition: attachment; filename=\"fwd.eml\"\n"
	    "\n"
	    "%s"
	    "--b--\n", inner);
	struct msg *m = check("rfc822", raw);
	char sha[DIGEST_HEX_LEN + 1];

	/* The part ends before the LF that precedes the boundary. */
	digest_bytes(inner, strlen(inner) - 1, sha);
	is_str(m->message_id, "outer@x", "rfc822: outer message id");
	is_str(m->subject, "Fwd: Inner subject", "rfc822: outer subject");
	is_str(m->body_text, "See the forwarded mail.",
	    "rfc822: inner body not in the body text");
	is_int(m->nparts, 1, "rfc822: one part");
	is_part(m, 0, "fwd.eml", "message/rfc822", strlen(inner) - 1, false,
	    sha);
	ok(m->nparts > 0 && m->parts[0].is_message, "rfc822: is a message");
	is_flags(m, "", "rfc822: no flags");
	msg_free(m);
	g_free(raw);
}

static void
test_no_message_id(void)
{
	static const char raw[] = "From: a@example.com\nSubject: no id\n"
	    "Date: Tue, 02 Jan 2024 10:30:00 +0000\n\nbody\n";
	struct msg *m = check("no message-id", raw), *m2;
	char *more = g_strdup_printf("Received: from mx.example.com by "
	    "mx2.example.com;\n\tTue, 02 Jan 2024 10:31:00 +0000\n"
	    "Return-Path: <a@example.com>\n%s", raw);

	ok(is_noid(m->message_id), "no id: noid-<32 hex>@postdesk.invalid");
	is_flags(m, "no-message-id", "no id: flagged");
	m2 = parse_with(raw, &opts);
	is_str(m2->message_id, m->message_id, "no id: same bytes, same id");
	msg_free(m2);
	m2 = parse_with(more, &opts);
	is_str(m2->message_id, m->message_id,
	    "no id: leading Received and Return-Path, same id");
	msg_free(m2);
	m2 = parse_with("From: a@example.com\nSubject: no id\n"
	    "Date: Tue, 02 Jan 2024 10:30:00 +0000\n\nother body\n", &opts);
	ok(strcmp(m2->message_id, m->message_id) != 0 &&
	    is_noid(m2->message_id), "no id: other body, other id");
	msg_free(m2);
	msg_free(m);
	g_free(more);

	m = check("empty message-id", "From: a@example.com\n"
	    "Message-ID: <>\n\nbody\n");
	ok(is_noid(m->message_id), "empty message-id: synthesised");
	msg_free(m);
}

static void
test_junk_and_no_headers(void)
{
	struct msg *m = check("junk",
	    "This is not a header\n"
	    ">From someone else\n"
	    "From: a@example.com\n"
	    "Subject: junk first\n"
	    "Message-ID: <junk@x>\n"
	    "\n"
	    "body\n");

	is_flags(m, "junk-before-headers", "junk: flagged");
	is_str(m->subject, "junk first", "junk: subject parsed");
	is_str(m->from.address, "a@example.com", "junk: from parsed");
	is_str(m->message_id, "junk@x", "junk: message id parsed");
	is_str(m->body_text, "body\n", "junk: body");
	msg_free(m);

	m = check("mbox from line",
	    "From a@example.com Tue Jan  2 10:30:00 2024\n"
	    "From: a@example.com\nSubject: mbox\nMessage-ID: <mbox@x>\n"
	    "\nbody\n");
	is_flags(m, "", "mbox From line is not junk");
	is_str(m->subject, "mbox", "mbox From line: subject");
	msg_free(m);

	m = check("no headers", "just some text\nwith no header at all\n");
	is_flags(m, "no-message-id,no-headers", "no headers: flagged");
	is_str(m->body_text, "just some text\nwith no header at all\n",
	    "no headers: the whole text is the body");
	is_str(m->subject, "", "no headers: no subject");
	ok(is_noid(m->message_id), "no headers: id synthesised");
	msg_free(m);

	m = check("empty", "");
	is_flags(m, "no-message-id,no-headers", "empty: flagged");
	is_str(m->body_text, "", "empty: empty body");
	ok(is_noid(m->message_id), "empty: id synthesised");
	is_int(m->nheaders, 0, "empty: no headers");
	msg_free(m);
}

static void
test_filename_paths(void)
{
	struct msg *m = check("paths",
	    "From: a@example.com\n"
	    "Message-ID: <paths@x>\n"
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Disposition: attachment; filename=\"../../etc/passwd\"\n"
	    "\n"
	    "x\n"
	    "--b\n"
	    "Content-Disposition: attachment; filename=\"C:\\x\\y.txt\"\n"
	    "\n"
	    "x\n"
	    "--b\n"
	    "Content-Disposition: attachment;\n"
	    " filename*=utf-8''..%2F..%2Fsecret.txt\n"
	    "\n"
	    "x\n"
	    "--b\n"
	    "Content-Disposition: attachment; filename=\"..\"\n"
	    "\n"
	    "x\n"
	    "--b--\n");

	is_int(m->nparts, 4, "paths: four parts");
	is_part(m, 0, "passwd", "text/plain", 1, false, NULL);
	is_part(m, 1, "y.txt", "text/plain", 1, false, NULL);
	is_part(m, 2, "secret.txt", "text/plain", 1, false, NULL);
	is_part(m, 3, "", "text/plain", 1, false, NULL);
	msg_free(m);
}

static char *
five_parts(void)
{
	GString *g = g_string_new("From: a@example.com\n"
	    "Message-ID: <five@x>\n"
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "\n"
	    "body\n");

	for (int i = 1; i <= 5; i++)
		g_string_append_printf(g, "--b\n"
		    "Content-Type: text/plain\n"
		    "Content-Transfer-Encoding: base64\n"
		    "Content-Disposition: attachment; filename=p%d.txt\n"
		    "\n"
		    "cGFydCAxCg==\n", i);
	g_string_append(g, "--b--\n");
	return g_string_free(g, FALSE);
}

static const char deep_mail[] =
	"From: a@example.com\n"
	"Message-ID: <deep@x>\n"
	"Content-Type: multipart/mixed; boundary=b0\n"
	"\n"
	"--b0\n"
	"\n"
	"top text\n"
	"--b0\n"
	"Content-Type: multipart/mixed; boundary=b1\n"
	"\n"
	"--b1\n"
	"Content-Type: multipart/mixed; boundary=b2\n"
	"\n"
	"--b2\n"
	"\n"
	"deep text\n"
	"--b2--\n"
	"--b1--\n"
	"--b0--\n";

static void
test_limits(void)
{
	struct parse_opts o = opts;
	char *raw = five_parts();
	struct msg *m = parse_with(raw, &o);

	is_int(m->nparts, 5, "limits: five parts by default");
	msg_free(m);
	o.max_parts = 2;
	m = parse_with(raw, &o);
	is_int(m->nparts, 2, "limits: max_parts 2 keeps two");
	is_part(m, 0, "p1.txt", "text/plain", 7, false, SHA_PART1);
	is_part(m, 1, "p2.txt", "text/plain", 7, false, SHA_PART1);
	is_str(m->body_text, "body", "limits: body kept");
	is_flags(m, "over-part-limit", "limits: over-part-limit");
	msg_free(m);
	g_free(raw);

	m = parse_with(deep_mail, &opts);
	is_str(m->body_text, "top text\ndeep text", "depth: both texts");
	is_flags(m, "", "depth: no flags by default");
	msg_free(m);
	o = opts;
	o.max_depth = 2;
	m = parse_with(deep_mail, &o);
	is_str(m->body_text, "top text", "depth: deep text cut off");
	is_flags(m, "over-depth-limit", "depth: over-depth-limit");
	msg_free(m);

	o = opts;
	o.max_size = 10;
	o.max_header_bytes = 20;
	m = parse_with(deep_mail, &o);
	/* The parser never sees the header past its limit. */
	is_flags(m, "no-message-id,over-size-limit,over-header-limit",
	    "limits: size and header flags");
	ok(strstr(m->body_text, "deep text") != NULL, "limits: still parsed");
	msg_free(m);
}

/* The raw fallback: a plain scan of the header, no GMime. */
static void
test_raw(void)
{
	static const char raw[] =
	    "From mbox-line\n"
	    "Received: from x\n"
	    "From: \"Doe, Jane\" <jane@Example.ORG>\n"
	    "To: Team: a@x.example, \"Q, R\" <b@Y.example>;\r\n"
	    "Cc: c@z.example\n"
	    "Subject: =?utf-8?q?raw?= \x01 stays\n"
	    "Message-ID:\n <id1@example.org> (comment)\n"
	    "In-Reply-To: <p1@example.org>\n"
	    "References: <r1@example.org>\n <p1@example.org>\n"
	    "\nthe body\x00 with a NUL\n";
	struct msg *m = parse_raw(raw, sizeof(raw) - 1);

	is_str(m->message_id, "id1@example.org", "raw: Message-ID");
	is_str(m->in_reply_to, "p1@example.org", "raw: In-Reply-To");
	ok(m->references.n == 2 && strcmp(m->references.v[1],
	    "p1@example.org") == 0, "raw: References");
	is_str(m->from.name, "Doe, Jane", "raw: From name");
	is_str(m->from.address, "jane@example.org", "raw: From address, "
	    "domain lower-cased");
	ok(m->to.n == 2 && strcmp(m->to.v[0].address, "a@x.example") == 0 &&
	    strcmp(m->to.v[1].address, "b@y.example") == 0,
	    "raw: a group's name is no address");
	ok(m->cc.n == 1 && strcmp(m->cc.v[0].address, "c@z.example") == 0,
	    "raw: Cc");
	is_str(m->subject, "=?utf-8?q?raw?=   stays", "raw: Subject as "
	    "written, control characters gone");
	ok(strstr(m->body_text, "could not be parsed") != NULL &&
	    strstr(m->body_text, "with a NUL") != NULL, "raw: the raw text "
	    "follows the note");
	is_flags(m, "unparsed", "raw: flagged unparsed");
	msg_free(m);
	m = parse_raw("Subject: no id\n\nx\n", 17);
	ok(g_str_has_prefix(m->message_id, "noid-"), "raw: no Message-ID: "
	    "the parser's synthetic id");
	msg_free(m);
}

static void
test_uuencoded(void)
{
	struct msg *m = check("uuencoded",
	    "From: a@example.com\n"
	    "Message-ID: <uu@x>\n"
	    "\n"
	    "Hello, see attached.\n"
	    "\n"
	    "begin 644 ../dir/hello.txt\n"
	    ".2&5L;&\\L('=O<FQD(0H`\n"
	    "`\n"
	    "end\n"
	    "\n"
	    "Bye\n");

	is_int(m->nparts, 1, "uuencoded: one part");
	is_part(m, 0, "hello.txt", "application/octet-stream", 14, false,
	    SHA_HELLO);
	is_str(m->body_text, "Hello, see attached.\n\n\nBye\n",
	    "uuencoded: block removed from the text");
	is_flags(m, "uuencoded", "uuencoded: flagged");
	msg_free(m);
}

static void
test_digest(void)
{
	static const char a[] = "From: a@example.com\nSubject: x\n\nbody\n";
	static const char a_crlf[] = "From: a@example.com\r\nSubject: x\r\n"
	    "\r\nbody\r\n";
	static const char trace[] = "From MAILER-DAEMON Tue Jan  2 10:30:00 "
	    "2024\nReceived: from a by b;\n\tTue, 2 Jan 2024\n"
	    "Return-Path: <a@example.com>\nDelivered-To: b@example.com\n";
	char *traced = g_strconcat(trace, a, NULL);
	char *late = g_strconcat("From: a@example.com\nReceived: from a by b;"
	    " x\nSubject: x\n\nbody\n", NULL);
	char d1[DIGEST_HEX_LEN + 1], d2[DIGEST_HEX_LEN + 1];

	digest_message(a, strlen(a), d1);
	is_int(strlen(d1), 64, "digest: 64 hex digits");
	digest_message(a_crlf, strlen(a_crlf), d2);
	is_str(d2, d1, "digest: CR LF and LF equal");
	is_int(digest_trace_len(traced, strlen(traced)), strlen(trace),
	    "digest: trace block length");
	is_int(digest_trace_len(a, strlen(a)), 0, "digest: no trace block");
	digest_message(traced, strlen(traced), d2);
	is_str(d2, d1, "digest: leading trace headers ignored");
	digest_message(late, strlen(late), d2);
	ok(strcmp(d1, d2) != 0, "digest: a Received below From counts");
	digest_message("From: a@example.com\nSubject: x\n\nbodY\n", 37, d2);
	ok(strcmp(d1, d2) != 0, "digest: other body, other digest");
	digest_bytes("abc", 3, d2);
	is_str(d2, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "digest: sha256 of abc");
	g_free(traced);
	g_free(late);
}

int
main(void)
{
	parse_opts_default(&opts);
	parse_init();
	test_basic();
	test_encoded_words();
	test_padded_b_words();
	test_rfc2231();
	test_charsets();
	test_raw_8bit_headers();
	test_injection();
	test_html_only();
	test_alternative();
	test_nested();
	test_text_attachment();
	test_broken_multipart();
	test_keep_part_data();
	test_rfc822();
	test_no_message_id();
	test_junk_and_no_headers();
	test_filename_paths();
	test_limits();
	test_raw();
	test_uuencoded();
	test_digest();
	return tap_done();
}

/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <glib.h>

#include "quote.h"

/*
 * The body is an array of lines and every step narrows a range of them
 * [a, b): the result is always one contiguous run of the original lines.
 * A cut that comes from a heuristic (quote marks, attribution patterns,
 * Outlook headers, a signature) is "weak" and is skipped when it would
 * leave no text; the marker and a repeat of our own sent text are
 * "strong" and may.
 */

#define ATTR_MAX	400	/* bytes an attribution can have */
#define HEADER_LINES	12	/* lines an Outlook header block can have */
#define SENT_TRIES	20	/* attribution lines tried for a sent repeat */

struct text {
	char	**lines;
	size_t	  n;
	char	**sent;		/* normalised, NULL-ended; NULL when none */
	bool	  cut_signature;
};

/* ASCII white space, U+00A0 and U+202F (French puts them before ':'). */
static size_t
space_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v')
		return 1;
	if (u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xaf)
		return 3;
	return 0;
}

static const char *
skip_space(const char *s)
{
	size_t len;

	while ((len = space_len(s)) > 0)
		s += len;
	return s;
}

/* Length of s without white space (of space_len's kinds) at its end. */
static size_t
rtrim_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (;;) {
		if (len >= 1 && space_len(s + len - 1) == 1)
			len--;
		else if (len >= 2 && u[len - 2] == 0xc2 && u[len - 1] == 0xa0)
			len -= 2;
		else if (len >= 3 && u[len - 3] == 0xe2 && u[len - 2] == 0x80 &&
		    u[len - 1] == 0xaf)
			len -= 3;
		else
			return len;
	}
}

static bool
blank(const char *s)
{
	return *skip_space(s) == '\0';
}

static bool
quoted(const char *s)
{
	return *skip_space(s) == '>';
}

/* s without its quote marks: "> > text" is "text". */
static const char *
unquote(const char *s)
{
	s = skip_space(s);
	while (*s == '>')
		s = skip_space(s + 1);
	return s;
}

/* A lower-case copy of s with white space trimmed at both ends. */
static char *
lower(const char *s)
{
	char *low = g_utf8_strdown(skip_space(s), -1);

	low[rtrim_len(low, strlen(low))] = '\0';
	return low;
}

bool
quote_is_marker(const char *line)
{
	const char *s = unquote(line);
	size_t len;

	while (*s == '*')
		s = skip_space(s + 1);
	len = rtrim_len(s, strlen(s));
	while (len > 0 && s[len - 1] == '*')
		len = rtrim_len(s, len - 1);
	return len >= 6 && len <= 200 && strncmp(s, "##-", 3) == 0 &&
	    strncmp(s + len - 3, "-##", 3) == 0;
}

/* Line ranges. */

static size_t
trim_blank(const struct text *t, size_t a, size_t b)
{
	while (b > a && blank(t->lines[b - 1]))
		b--;
	return b;
}

/* Is there a line of new text (not blank, not quoted) in [a, b)? */
static bool
has_text(const struct text *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (!blank(t->lines[i]) && !quoted(t->lines[i]))
			return true;
	return false;
}

/* Where the quoted block at the end of [a, b) starts (blank lines
 * inside it belong to it); b when the last line is not quoted. */
static size_t
quoted_run(const struct text *t, size_t a, size_t b)
{
	size_t q = b;

	if (b == a || !quoted(t->lines[b - 1]))
		return b;
	while (q > a && (quoted(t->lines[q - 1]) || blank(t->lines[q - 1])))
		q--;
	while (blank(t->lines[q]))
		q++;
	return q;
}

/* Attribution lines ("On ... wrote:"). */

static const char *const verbs[] = {
	"wrote", "написа", "написал", "написала", "написал(а)", "пишет",
	"a écrit", "escribió", "ha scritto", "scrisse", "escreveu",
	"pisze", "napisał", "napisała", "napisał(a)", "schreef", "schrieb",
	"skrev", "kirjoitti",
};

/* Languages that put the verb before the name: "Am ... schrieb X:". */
static const struct {
	const char	*opener, *verb;
} verbs_inside[] = {
	{ "am ", " schrieb " },
	{ "op ", " schreef " },
	{ "den ", " skrev " },
};

static const char *const openers[] = {
	"on ", "am ", "на ", "le ", "el ", "il ", "op ", "em ", "w dniu ",
	"dnia ", "den ",
};

static bool
ends_with_verb(const char *s, size_t len)
{
	for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++) {
		size_t n = strlen(verbs[i]);

		if (len >= n && memcmp(s + len - n, verbs[i], n) == 0 &&
		    (len == n || s[len - n - 1] == ' '))
			return true;
	}
	return false;
}

static bool
has_time(const char *s)
{
	for (; *s != '\0'; s++)
		if (g_ascii_isdigit(s[0]) && s[1] == ':' &&
		    g_ascii_isdigit(s[2]) && g_ascii_isdigit(s[3]))
			return true;
	return false;
}

/* low: a lower-case line.  Gmail in Russian writes no verb at all:
 * "пн, 4 мар. 2024 г. в 10:00, Support <support@example.org>:". */
static bool
attribution_text(const char *low)
{
	size_t len = strlen(low);

	if (len < 6 || len > ATTR_MAX || low[len - 1] != ':')
		return false;
	len = rtrim_len(low, len - 1);
	if (ends_with_verb(low, len))
		return true;
	for (size_t i = 0; i < G_N_ELEMENTS(verbs_inside); i++)
		if (g_str_has_prefix(low, verbs_inside[i].opener) &&
		    g_strstr_len(low, len, verbs_inside[i].verb) != NULL)
			return true;
	return len > 0 && low[len - 1] == '>' && memchr(low, '@', len) &&
	    has_time(low);
}

/* Does the line end in ':' (before trailing space)?  Every attribution
 * does; checking first spares lower-casing every line of a long mail. */
static bool
ends_in_colon(const char *line)
{
	size_t n = rtrim_len(line, strlen(line));

	return n > 0 && line[n - 1] == ':';
}

static bool
attribution(const char *line)
{
	char *low;
	bool yes;

	if (quoted(line) || strlen(line) > ATTR_MAX || !ends_in_colon(line))
		return false;
	low = lower(line);
	yes = attribution_text(low + strspn(low, "-"));
	g_free(low);
	return yes;
}

/* Could low begin a wrapped attribution?  An opener, a date or a short
 * weekday ("пн,"), and the time of day. */
static bool
attribution_start(const char *low)
{
	const char *comma = strchr(low, ',');
	bool start = g_ascii_isdigit(*low) ||
	    (comma != NULL && g_utf8_strlen(low, comma - low) <= 4);

	for (size_t i = 0; i < G_N_ELEMENTS(openers) && !start; i++)
		start = g_str_has_prefix(low, openers[i]);
	return start && has_time(low);
}

static bool
wrapped_attribution(const char *first, const char *second)
{
	char *low, *joined;
	bool yes;

	if (blank(first) || quoted(first) || quoted(second) ||
	    !ends_in_colon(second) || strchr(first, ':') == NULL ||
	    strlen(first) > ATTR_MAX / 2 || attribution(first))
		return false;
	low = lower(first);
	yes = attribution_start(low + strspn(low, "-"));
	g_free(low);
	if (!yes)
		return false;
	joined = g_strconcat(skip_space(first), " ", skip_space(second), NULL);
	yes = attribution(joined);
	g_free(joined);
	return yes;
}

/* [a, b) without the blank lines and the attribution at its end: the
 * new end. */
static size_t
drop_attribution(const struct text *t, size_t a, size_t b)
{
	size_t i;

	b = trim_blank(t, a, b);
	if (b == a)
		return b;
	i = b - 1;
	if (i > a && wrapped_attribution(t->lines[i - 1], t->lines[i]))
		return i - 1;
	if (attribution(t->lines[i]))
		return i;
	return b;
}

/* Outlook's header block. */

enum {
	L_FROM = 1 << 0,
	L_DATE = 1 << 1,
	L_TO = 1 << 2,
	L_SUBJECT = 1 << 3,
	L_CC = 1 << 4,
};

static const struct {
	const char	*name;
	unsigned	 bit;
} labels[] = {
	{ "from", L_FROM }, { "von", L_FROM }, { "от", L_FROM },
	{ "de", L_FROM }, { "da", L_FROM }, { "van", L_FROM },
	{ "od", L_FROM }, { "från", L_FROM },
	{ "sent", L_DATE }, { "date", L_DATE }, { "gesendet", L_DATE },
	{ "datum", L_DATE }, { "изпратено", L_DATE }, { "дата", L_DATE },
	{ "отправлено", L_DATE }, { "envoyé", L_DATE }, { "enviado", L_DATE },
	{ "enviada", L_DATE }, { "fecha", L_DATE }, { "data", L_DATE },
	{ "inviato", L_DATE }, { "verzonden", L_DATE }, { "wysłano", L_DATE },
	{ "wysłane", L_DATE }, { "skickat", L_DATE },
	{ "to", L_TO }, { "an", L_TO }, { "до", L_TO }, { "кому", L_TO },
	{ "à", L_TO }, { "a", L_TO }, { "para", L_TO }, { "aan", L_TO },
	{ "do", L_TO }, { "till", L_TO },
	{ "cc", L_CC }, { "копие", L_CC }, { "копия", L_CC },
	{ "subject", L_SUBJECT }, { "betreff", L_SUBJECT },
	{ "относно", L_SUBJECT }, { "тема", L_SUBJECT },
	{ "objet", L_SUBJECT }, { "asunto", L_SUBJECT },
	{ "oggetto", L_SUBJECT }, { "onderwerp", L_SUBJECT },
	{ "temat", L_SUBJECT }, { "assunto", L_SUBJECT },
	{ "ämne", L_SUBJECT },
};

/* The label "name:" at s (lower case), 0 when none. */
static unsigned
label_at(const char *s)
{
	while (*s == '*')
		s++;
	for (size_t i = 0; i < G_N_ELEMENTS(labels); i++) {
		size_t n = strlen(labels[i].name);

		if (strncmp(s, labels[i].name, n) == 0 && s[n] == ':')
			return labels[i].bit;
	}
	return 0;
}

/* The labels of one line: at its start, and with mid_line also after
 * spaces (an HTML reply flattened to "From: X Sent: Y To: Z ..."). */
static unsigned
line_labels(const char *line, bool mid_line)
{
	char *low = lower(line);
	unsigned bits = label_at(low);

	for (const char *s = low; mid_line && *s != '\0'; s++)
		if (*s == ' ')
			bits |= label_at(s + 1) & (L_DATE | L_TO | L_SUBJECT);
	g_free(low);
	return bits;
}

/* Does an Outlook header block start at line i? */
static bool
header_block(const struct text *t, size_t i, size_t b)
{
	unsigned bits;

	if (quoted(t->lines[i]) || !(line_labels(t->lines[i], false) & L_FROM))
		return false;
	bits = line_labels(t->lines[i], true);
	for (size_t j = i + 1; j < b && j < i + HEADER_LINES; j++) {
		if (blank(t->lines[j]) || quoted(t->lines[j]))
			break;
		bits |= line_labels(t->lines[j], false);
	}
	return (bits & L_SUBJECT) && (bits & (L_DATE | L_TO));
}

static const char *const original_message[] = {
	"original message", "ursprüngliche nachricht", "original-nachricht",
	"оригинално съобщение", "исходное сообщение", "message d'origine",
	"mensaje original", "messaggio originale", "oorspronkelijk bericht",
	"wiadomość oryginalna", "mensagem original", "originalmeddelande",
};

/* "-----Original Message-----": 1; another "--- text ---" line (a
 * forwarded message): 2; else 0. */
static int
dashed(const char *line)
{
	char *low = lower(line), *in;
	size_t len = strlen(low);
	int kind = 0;

	if (len >= 8 && strncmp(low, "---", 3) == 0 &&
	    strcmp(low + len - 3, "---") == 0) {
		while (len > 0 && low[len - 1] == '-')
			low[--len] = '\0';
		in = g_strstrip(low + strspn(low, "-"));
		kind = 2;
		for (size_t i = 0; i < G_N_ELEMENTS(original_message); i++)
			if (strcmp(in, original_message[i]) == 0)
				kind = 1;
	}
	g_free(low);
	return kind;
}

static bool
underscores(const char *line)
{
	const char *s = skip_space(line);
	size_t n = strspn(s, "_");

	return n >= 10 && blank(s + n);
}

static bool
forward_intro(const char *line)
{
	char *low;
	bool yes;

	if (dashed(line) == 2)
		return true;
	low = lower(line);
	yes = strstr(low, "forwarded message") != NULL ||
	    strstr(low, "weitergeleitete nachricht") != NULL;
	g_free(low);
	return yes;
}

/* A header block at i counts after a blank line (or at the start), and
 * not after "Begin forwarded message:" and the like. */
static bool
block_may_start(const struct text *t, size_t a, size_t i)
{
	size_t p = i;

	if (i > a && !blank(t->lines[i - 1]))
		return false;
	while (p > a && blank(t->lines[p - 1]))
		p--;
	return p == a || !forward_intro(t->lines[p - 1]);
}

/* The first line of Outlook's quoted original in [a, b), else b. */
static size_t
find_outlook(const struct text *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const char *l = t->lines[i];

		if (blank(l) || quoted(l))
			continue;
		if (dashed(l) == 1)
			return i;
		if (underscores(l) && i + 1 < b && (header_block(t, i + 1, b) ||
		    (i + 2 < b && blank(t->lines[i + 1]) &&
		    header_block(t, i + 2, b))))
			return i;
		if (block_may_start(t, a, i) && header_block(t, i, b))
			return i;
	}
	return b;
}

/* Our sent texts. */

/* Lines [a, b) with quote marks removed and white space folded. */
static char *
normalise(char *const *lines, size_t a, size_t b)
{
	GString *out = g_string_new(NULL);
	size_t len;

	for (size_t i = a; i < b; i++) {
		for (const char *s = unquote(lines[i]); *s != '\0';) {
			if ((len = space_len(s)) > 0) {
				s += len;
				if (out->len > 0 && out->str[out->len - 1] != ' ')
					g_string_append_c(out, ' ');
			} else
				g_string_append_c(out, *s++);
		}
		if (out->len > 0 && out->str[out->len - 1] != ' ')
			g_string_append_c(out, ' ');
	}
	if (out->len > 0)
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

static char **
split_lines(const char *s, size_t *n)
{
	char **lines = g_strsplit(s, "\n", -1);
	size_t i;

	for (i = 0; lines[i] != NULL; i++) {
		size_t len = strlen(lines[i]);

		if (len > 0 && lines[i][len - 1] == '\r')
			lines[i][len - 1] = '\0';
	}
	*n = i;
	return lines;
}

/* split_lines() over a buffer of our own: the lines point into it, so
 * a big body costs one copy, not one allocation per line. */
static char **
split_in_place(char *buf, size_t *n)
{
	size_t cap = 16, i = 0;
	char **lines = g_new(char *, cap), *p = buf, *nl;

	for (;;) {
		if (i + 2 > cap)
			lines = g_renew(char *, lines, cap *= 2);
		lines[i++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		p = nl + 1;
	}
	if ((nl = strchr(lines[i - 1], '\0')) > lines[i - 1] && nl[-1] == '\r')
		nl[-1] = '\0';
	lines[i] = NULL;
	*n = i;
	return lines;
}

static char **
normalise_sent(const char *const *sent, size_t nsent)
{
	GPtrArray *v = g_ptr_array_new();
	char *valid, **lines, *norm;
	size_t n;

	for (size_t i = 0; sent != NULL && i < nsent; i++) {
		if (sent[i] == NULL)
			continue;
		valid = g_utf8_make_valid(sent[i], -1);
		lines = split_lines(valid, &n);
		norm = normalise(lines, 0, n);
		if (*norm != '\0')
			g_ptr_array_add(v, norm);
		else
			g_free(norm);
		g_strfreev(lines);
		g_free(valid);
	}
	if (v->len == 0) {
		g_ptr_array_free(v, TRUE);
		return NULL;
	}
	g_ptr_array_add(v, NULL);
	return (char **)g_ptr_array_free(v, FALSE);
}

/* Do lines [a, b) repeat (a part of) one of our sent texts? */
static bool
sent_contains(const struct text *t, size_t a, size_t b)
{
	char *norm;
	bool yes = false;

	if (t->sent == NULL)
		return false;
	norm = normalise(t->lines, a, b);
	for (char **s = t->sent; *norm != '\0' && *s != NULL && !yes; s++)
		yes = strstr(*s, norm) != NULL;
	g_free(norm);
	return yes;
}

/* An unquoted block at the end of [a, b), right after an attribution,
 * that repeats a sent text: where the attribution starts, else b. */
static size_t
sent_after_attribution(const struct text *t, size_t a, size_t b)
{
	int tries = 0;

	for (size_t i = b; i > a && tries < SENT_TRIES; i--) {
		size_t e;

		if (quoted(t->lines[i - 1]))
			break;
		if ((e = drop_attribution(t, a, i)) >= i)
			continue;
		tries++;
		if (has_text(t, i, b) && sent_contains(t, i, b))
			return e;
	}
	return b;
}

/* The cuts. */

static size_t
find_signature(const struct text *t, size_t a, size_t b)
{
	for (size_t i = b; i > a; i--)
		if (strcmp(t->lines[i - 1], "-- ") == 0)
			return i - 1;
	return b;
}

/* Step 3 of quote_new_text(): the new end of [a, b). */
static size_t
cut_tail(const struct text *t, size_t a, size_t b, bool *strong)
{
	size_t q, e;
	bool ours;

	for (;;) {
		b = trim_blank(t, a, b);
		if ((q = quoted_run(t, a, b)) < b) {
			ours = sent_contains(t, q, b);
			e = drop_attribution(t, a, q);
			if (!ours && !*strong && (!has_text(t, a, e) ||
			    forward_intro(unquote(t->lines[q]))))
				return b;
			*strong = *strong || ours;
		} else if ((e = sent_after_attribution(t, a, b)) < b)
			*strong = true;
		else
			return b;
		b = e;
	}
}

/* Steps 2 to 4 on [a, b): the new end. */
static size_t
cut(const struct text *t, size_t a, size_t b, bool strong)
{
	size_t o = find_outlook(t, a, b), s;

	if (o < b && (strong || has_text(t, a, o)))
		b = o;
	b = cut_tail(t, a, b, &strong);
	if (t->cut_signature && (s = find_signature(t, a, b)) < b &&
	    (strong || has_text(t, a, s)))
		b = cut_tail(t, a, s, &strong);
	return trim_blank(t, a, b);
}

static size_t
find_marker(const struct text *t, size_t a)
{
	for (size_t i = a; i < t->n; i++)
		if (quote_is_marker(t->lines[i]))
			return i;
	return t->n;
}

/* The lines to keep: [*start, *end). */
static void
new_range(const struct text *t, size_t *start, size_t *end)
{
	size_t a = 0, m, e;
	bool strong = false;

	while ((m = find_marker(t, a)) < t->n) {
		strong = true;
		e = cut(t, a, drop_attribution(t, a, m), true);
		if (e > a || !quoted(t->lines[m])) {
			*start = a;
			*end = e;
			return;
		}
		/* Answered below the quoted notification. */
		for (a = m + 1; a < t->n && (quoted(t->lines[a]) ||
		    blank(t->lines[a])); a++)
			;
	}
	*start = a;
	*end = cut(t, a, t->n, strong);
}

/*
 * Lines a..e of the text, each ending in a newline.  When buf is a
 * plain copy of body the bytes are taken from body after buf is freed,
 * so that a big mail is not held three times at once.
 */
static char *
join_range(struct text *t, size_t a, size_t e, const char *body, char *buf,
    bool copy)
{
	size_t k = e > a ? e - a : 0, total = 0;
	size_t *off = g_new(size_t, k + 1), *len = g_new(size_t, k + 1);
	char *out;

	for (size_t i = 0; i < k; i++) {
		off[i] = (size_t)(t->lines[a + i] - buf);
		len[i] = strlen(t->lines[a + i]);
		total += len[i] + 1;
	}
	if (copy) {
		g_free(t->lines);
		t->lines = NULL;
		g_free(buf);
		buf = NULL;
	}
	/* Exactly sized: a GString would round a 50 MB text up to 64 MB. */
	out = g_malloc(total + 1);
	for (size_t i = 0, o = 0; i < k; i++) {
		memcpy(out + o, (copy ? body : t->lines[a + i] - off[i]) +
		    off[i], len[i]);
		o += len[i];
		out[o++] = '\n';
	}
	out[total] = '\0';
	g_free(off);
	g_free(len);
	g_free(t->lines);
	g_free(buf);
	return out;
}

char *
quote_new_text(const char *body, const char *const *sent, size_t nsent,
    bool cut_signature)
{
	size_t len = strlen(body), a, e;
	bool copy = g_utf8_validate(body, (gssize)len, NULL);
	char *buf = copy ? g_strndup(body, len) :
	    g_utf8_make_valid(body, (gssize)len);
	struct text t = { .cut_signature = cut_signature };
	char *out;

	t.lines = split_in_place(buf, &t.n);
	t.sent = normalise_sent(sent, nsent);
	new_range(&t, &a, &e);
	g_strfreev(t.sent);
	out = join_range(&t, a, e, body, buf, copy);
	return out;
}

/* SPDX-License-Identifier: ISC */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sieve-priv.h"

/*
 * The Sieve lexer (RFC 5228 section 8.1): identifiers, tags, numbers
 * with K/M/G, quoted strings, "text:" multi-line strings with
 * dot-stuffing, and both comment styles.  Positions are 1-based lines
 * and columns counted in characters.  An error skips the bad input and
 * lexing goes on, so that one run reports every error.
 */

struct lexer {
	const char	*p, *end;
	unsigned	 line, col;
	struct sv_diag	*d;
	GArray		*toks;
	GStringChunk	*arena;
	GString		*buf;		/* scratch */
};

void
sv_error(struct sv_diag *d, unsigned line, unsigned col, const char *fmt,
    ...)
{
	struct conf_diag *out = d->out;
	va_list ap;
	char *msg;

	/* One error per place: the first says what went wrong there. */
	if (d->n > 0 && line == d->line && col == d->col)
		return;
	d->line = line;
	d->col = col;
	if (d->n++ >= SV_MAX_ERRORS || out == NULL)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	out->lines = g_renew(char *, out->lines, out->n + 2);
	if (d->n == SV_MAX_ERRORS)
		out->lines[out->n++] = g_strdup_printf("%s:%u:%u: too many "
		    "errors, giving up", d->name, line, col);
	else
		out->lines[out->n++] = g_strdup_printf("%s:%u:%u: %s",
		    d->name, line, col, msg);
	out->lines[out->n] = NULL;
	g_free(msg);
}

bool
sv_too_many(const struct sv_diag *d)
{
	return d->n >= SV_MAX_ERRORS;
}

const char *
sv_tok_name(enum sv_tok t)
{
	static const char *const names[] = {
		[SV_TOK_EOF] = "end of file",
		[SV_TOK_IDENT] = "an identifier",
		[SV_TOK_TAG] = "a tagged argument",
		[SV_TOK_NUMBER] = "a number",
		[SV_TOK_STRING] = "a string",
		[SV_TOK_LBRACKET] = "\"[\"",
		[SV_TOK_RBRACKET] = "\"]\"",
		[SV_TOK_LPAREN] = "\"(\"",
		[SV_TOK_RPAREN] = "\")\"",
		[SV_TOK_LBRACE] = "\"{\"",
		[SV_TOK_RBRACE] = "\"}\"",
		[SV_TOK_COMMA] = "\",\"",
		[SV_TOK_SEMICOLON] = "\";\"",
	};

	return names[t];
}

static void
advance(struct lexer *lx)
{
	if (*lx->p == '\n') {
		lx->line++;
		lx->col = 1;
	} else if (((unsigned char)*lx->p & 0xc0) != 0x80)
		lx->col++;
	lx->p++;
}

static int
peek(const struct lexer *lx, size_t ahead)
{
	if ((size_t)(lx->end - lx->p) <= ahead)
		return -1;
	return (unsigned char)lx->p[ahead];
}

static void
push(struct lexer *lx, enum sv_tok kind, const char *text, unsigned line,
    unsigned col)
{
	struct sv_token t = { .kind = kind, .text = text, .line = line,
	    .col = col };

	g_array_append_val(lx->toks, t);
}

/* The scratch buffer's text, moved into the arena. */
static const char *
keep(struct lexer *lx)
{
	return g_string_chunk_insert_len(lx->arena, lx->buf->str,
	    lx->buf->len);
}

/* Whitespace and comments (an unterminated one is reported). */
static void
skip_blank(struct lexer *lx)
{
	unsigned line, col;

	while (lx->p < lx->end) {
		if (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' ||
		    *lx->p == '\n')
			advance(lx);
		else if (*lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				advance(lx);
		} else if (*lx->p == '/' && peek(lx, 1) == '*') {
			line = lx->line;
			col = lx->col;
			advance(lx);
			advance(lx);
			while (lx->p < lx->end && !(*lx->p == '*' &&
			    peek(lx, 1) == '/'))
				advance(lx);
			if (lx->p >= lx->end) {
				sv_error(lx->d, line, col, "unterminated "
				    "comment");
				return;
			}
			advance(lx);
			advance(lx);
		} else
			return;
	}
}

static bool
is_ident_start(int c)
{
	return c != -1 && (g_ascii_isalpha(c) || c == '_');
}

static bool
is_ident_char(int c)
{
	return c != -1 && (g_ascii_isalnum(c) || c == '_');
}

/* An identifier, lower-cased, into the scratch buffer. */
static void
lex_name(struct lexer *lx)
{
	const char *start = lx->p;

	while (lx->p < lx->end && (g_ascii_isalnum(*lx->p) || *lx->p == '_'))
		lx->p++;
	lx->col += lx->p - start;
	g_string_truncate(lx->buf, 0);
	g_string_append_len(lx->buf, start, lx->p - start);
	for (char *c = lx->buf->str; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
}

static void
lex_number(struct lexer *lx)
{
	unsigned line = lx->line, col = lx->col;
	uint64_t n = 0, mult = 1;
	bool overflow = false;
	int c;

	while (g_ascii_isdigit(c = peek(lx, 0))) {
		if (n > (UINT64_MAX - (c - '0')) / 10)
			overflow = true;
		n = n * 10 + (c - '0');
		advance(lx);
	}
	c = g_ascii_tolower(peek(lx, 0));
	if (c == 'k' || c == 'm' || c == 'g') {
		mult = c == 'k' ? 1024 : c == 'm' ? 1024 * 1024 :
		    1024 * 1024 * 1024;
		advance(lx);
	}
	if (is_ident_char(peek(lx, 0))) {
		while (is_ident_char(peek(lx, 0)))
			advance(lx);
		sv_error(lx->d, line, col, "bad number (digits and one of "
		    "K, M, G)");
		return;
	}
	if (overflow || n > UINT64_MAX / mult) {
		sv_error(lx->d, line, col, "number too large");
		return;
	}
	push(lx, SV_TOK_NUMBER, NULL, line, col);
	g_array_index(lx->toks, struct sv_token, lx->toks->len - 1).num =
	    n * mult;
}

/* "...": a backslash makes the next character literal. */
static void
lex_quoted(struct lexer *lx)
{
	unsigned line = lx->line, col = lx->col;
	GString *s = lx->buf;

	g_string_truncate(s, 0);
	advance(lx);
	while (lx->p < lx->end && *lx->p != '"') {
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			advance(lx);
		if (*lx->p != '\r' || peek(lx, 1) != '\n')
			g_string_append_c(s, *lx->p);
		advance(lx);
	}
	if (lx->p >= lx->end) {
		sv_error(lx->d, line, col, "unterminated string");
		return;
	}
	advance(lx);
	push(lx, SV_TOK_STRING, keep(lx), line, col);
}

/* One line of a text: string, without its line break; NULL at the end
 * of input. */
static char *
text_line(struct lexer *lx)
{
	const char *start = lx->p;
	size_t len;

	if (lx->p >= lx->end)
		return NULL;
	while (lx->p < lx->end && *lx->p != '\n')
		advance(lx);
	len = lx->p - start;
	if (lx->p < lx->end)
		advance(lx);
	if (len > 0 && start[len - 1] == '\r')
		len--;
	return g_strndup(start, len);
}

/* After "text:": blanks, an optional hash comment, a line break, then
 * lines up to one holding only ".".  Lines keep LF endings. */
static void
lex_text(struct lexer *lx, unsigned line, unsigned col)
{
	GString *s = lx->buf;
	char *l;

	while (peek(lx, 0) == ' ' || peek(lx, 0) == '\t')
		advance(lx);
	if (peek(lx, 0) == '#')
		while (lx->p < lx->end && *lx->p != '\n')
			advance(lx);
	if (peek(lx, 0) == '\r' && peek(lx, 1) == '\n')
		advance(lx);
	if (peek(lx, 0) != '\n') {
		sv_error(lx->d, line, col, "\"text:\" must end its line");
		return;
	}
	advance(lx);
	g_string_truncate(s, 0);
	while ((l = text_line(lx)) != NULL && strcmp(l, ".") != 0) {
		g_string_append(s, l[0] == '.' ? l + 1 : l);
		g_string_append_c(s, '\n');
		g_free(l);
	}
	if (l == NULL) {
		sv_error(lx->d, line, col, "unterminated \"text:\" string "
		    "(no line with a single \".\")");
		return;
	}
	g_free(l);
	push(lx, SV_TOK_STRING, keep(lx), line, col);
}

static void
lex_word(struct lexer *lx)
{
	unsigned line = lx->line, col = lx->col;

	lex_name(lx);
	if (strcmp(lx->buf->str, "text") == 0 && peek(lx, 0) == ':') {
		advance(lx);
		lex_text(lx, line, col);
		return;
	}
	push(lx, SV_TOK_IDENT, keep(lx), line, col);
}

static void
lex_tag(struct lexer *lx)
{
	unsigned line = lx->line, col = lx->col;

	advance(lx);
	if (!is_ident_start(peek(lx, 0))) {
		sv_error(lx->d, line, col, "expected a name after \":\"");
		return;
	}
	lex_name(lx);
	push(lx, SV_TOK_TAG, keep(lx), line, col);
}

static bool
lex_punct(struct lexer *lx)
{
	static const struct {
		char		 c;
		enum sv_tok	 kind;
	} punct[] = {
		{ '[', SV_TOK_LBRACKET }, { ']', SV_TOK_RBRACKET },
		{ '(', SV_TOK_LPAREN }, { ')', SV_TOK_RPAREN },
		{ '{', SV_TOK_LBRACE }, { '}', SV_TOK_RBRACE },
		{ ',', SV_TOK_COMMA }, { ';', SV_TOK_SEMICOLON },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(punct); i++)
		if (*lx->p == punct[i].c) {
			push(lx, punct[i].kind, NULL, lx->line, lx->col);
			advance(lx);
			return true;
		}
	return false;
}

static void
lex_other(struct lexer *lx)
{
	gunichar c = g_utf8_get_char(lx->p);

	if (c < 0x20 || c == 0x7f)
		sv_error(lx->d, lx->line, lx->col, "unexpected control "
		    "character 0x%02x", (unsigned)c);
	else
		sv_error(lx->d, lx->line, lx->col, "unexpected character "
		    "\"%.*s\"", (int)(g_utf8_next_char(lx->p) - lx->p), lx->p);
	advance(lx);
	while (lx->p < lx->end && ((unsigned char)*lx->p & 0xc0) == 0x80)
		advance(lx);
}

/* The script must be UTF-8 without NUL bytes; false (reported) if not. */
static bool
text_ok(struct lexer *lx)
{
	const char *bad = NULL;

	if (!g_utf8_validate(lx->p, lx->end - lx->p, &bad) ||
	    (bad = memchr(lx->p, '\0', lx->end - lx->p)) != NULL) {
		while (lx->p < bad)
			advance(lx);
		sv_error(lx->d, lx->line, lx->col, "%s", *bad == '\0' ?
		    "NUL byte in script" : "invalid UTF-8");
		return false;
	}
	return true;
}

GArray *
sv_lex(const char *text, size_t len, GStringChunk *arena, struct sv_diag *d)
{
	struct lexer lx = { .p = text, .end = text + len, .line = 1,
	    .col = 1, .d = d, .arena = arena };
	bool ok;

	/* About one token per 6 bytes of a typical rule file. */
	lx.toks = g_array_sized_new(FALSE, TRUE, sizeof(struct sv_token),
	    len / 6 + 1);
	lx.buf = g_string_sized_new(256);
	ok = text_ok(&lx);
	lx.p = text;
	lx.line = lx.col = 1;
	while (ok && !sv_too_many(d)) {
		skip_blank(&lx);
		if (lx.p >= lx.end)
			break;
		if (g_ascii_isdigit(*lx.p))
			lex_number(&lx);
		else if (is_ident_start(*lx.p))
			lex_word(&lx);
		else if (*lx.p == ':')
			lex_tag(&lx);
		else if (*lx.p == '"')
			lex_quoted(&lx);
		else if (!lex_punct(&lx))
			lex_other(&lx);
	}
	push(&lx, SV_TOK_EOF, NULL, lx.line, lx.col);
	g_string_free(lx.buf, TRUE);
	return lx.toks;
}

void
sv_tokens_free(GArray *toks)
{
	if (toks != NULL)
		g_array_free(toks, TRUE);
}

/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include <glib.h>
#include <uchardet/uchardet.h>

#include "charset.h"

#define REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD */
#define OUT_CHUNK	(16 * 1024)	/* iconv output per round */
#define SAMPLE_MAX	(64 * 1024)	/* bytes rated per candidate */
#define DETECT_MAX	(256 * 1024)	/* uchardet: 0.1 s, and sure by then */
#define CONTEXT_MAX	1024		/* look-back for a line start */
#define LABEL_MAX	64
#define CACHE_SLOTS	8

/*
 * Labels mail really carries, mapped the way browsers (WHATWG Encoding)
 * do: a label for a subset decodes with its superset, because senders
 * say "iso-8859-1", "gb2312" or "ks_c_5601-1987" and write windows-1252,
 * GBK or CP949 bytes.  us-ascii stays US-ASCII so that 8-bit bytes under
 * it are caught as mislabeled.  Labels not listed go to iconv as given.
 */
static const struct alias {
	const char	*label;
	const char	*name;
} aliases[] = {
	{ "utf-8", "UTF-8" }, { "utf8", "UTF-8" },
	{ "unicode-1-1-utf-8", "UTF-8" }, { "x-unicode20utf8", "UTF-8" },
	{ "us-ascii", "US-ASCII" }, { "ascii", "US-ASCII" },
	{ "ansi_x3.4-1968", "US-ASCII" }, { "iso646-us", "US-ASCII" },
	{ "iso-8859-1", "windows-1252" }, { "iso8859-1", "windows-1252" },
	{ "iso_8859-1", "windows-1252" }, { "latin1", "windows-1252" },
	{ "l1", "windows-1252" }, { "cp819", "windows-1252" },
	{ "ibm819", "windows-1252" }, { "windows-1252", "windows-1252" },
	{ "cp1252", "windows-1252" }, { "x-cp1252", "windows-1252" },
	{ "windows-1251", "windows-1251" }, { "cp1251", "windows-1251" },
	{ "win-1251", "windows-1251" }, { "win1251", "windows-1251" },
	{ "x-cp1251", "windows-1251" },
	{ "koi8-r", "KOI8-R" }, { "koi8r", "KOI8-R" }, { "koi8", "KOI8-R" },
	{ "cskoi8r", "KOI8-R" }, { "koi8-u", "KOI8-U" },
	{ "x-mac-cyrillic", "MAC-CYRILLIC" },
	{ "mac-cyrillic", "MAC-CYRILLIC" },
	{ "x-mac-ukrainian", "MAC-CYRILLIC" },
	{ "ibm866", "IBM866" }, { "cp866", "IBM866" },
	{ "iso-8859-5", "ISO-8859-5" },
	{ "iso-8859-9", "windows-1254" }, { "latin5", "windows-1254" },
	{ "tis-620", "CP874" }, { "iso-8859-11", "CP874" },
	{ "windows-874", "CP874" },
	{ "iso-8859-8-i", "ISO-8859-8" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" },
	{ "cp936", "GB18030" }, { "euc-cn", "GB18030" },
	{ "gb18030", "GB18030" },
	{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601-1989", "CP949" },
	{ "ksc5601", "CP949" }, { "euc-kr", "CP949" }, { "cp949", "CP949" },
	{ "windows-949", "CP949" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
	{ "x-sjis", "CP932" }, { "ms_kanji", "CP932" },
	{ "windows-31j", "CP932" },
	{ "big5", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
	{ "cn-big5", "BIG5-HKSCS" },
};

/* Used when neither the detector nor the hints give a usable answer;
 * rated like any candidate, ties go to the first. */
static const char *const fallbacks[] = {
	"windows-1252", "windows-1251", "KOI8-R", NULL
};

/*
 * iconv_open() costs more than a whole short conversion, so handles are
 * kept.  A handle is taken out of the cache while in use, which keeps
 * this correct with threads.
 */
static GMutex cache_lock;
static struct {
	const char	*name;		/* interned */
	iconv_t		 cd;
} cache[CACHE_SLOTS];

static iconv_t
cd_get(const char *name)
{
	iconv_t	 cd = (iconv_t)-1;
	size_t	 i;

	g_mutex_lock(&cache_lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].name != NULL && strcmp(cache[i].name, name) == 0) {
			cd = cache[i].cd;
			cache[i].name = NULL;
			break;
		}
	}
	g_mutex_unlock(&cache_lock);
	if (cd == (iconv_t)-1)
		return iconv_open("UTF-8", name);
	iconv(cd, NULL, NULL, NULL, NULL);
	return cd;
}

static void
cd_put(const char *name, iconv_t cd)
{
	size_t	 i;

	g_mutex_lock(&cache_lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].name == NULL) {
			cache[i].name = name;
			cache[i].cd = cd;
			g_mutex_unlock(&cache_lock);
			return;
		}
	}
	g_mutex_unlock(&cache_lock);
	iconv_close(cd);
}

/* Lower case, no quotes or blanks; only characters charset names use,
 * so that "utf-8//IGNORE" and the like never reach iconv_open(). */
static bool
normalize(const char *label, char *buf, size_t size)
{
	size_t	 n = 0;

	while (*label == ' ' || *label == '\t' || *label == '"')
		label++;
	for (; *label != '\0' && *label != '"' && *label != ' ' &&
	    *label != '\t'; label++) {
		if (!g_ascii_isalnum(*label) &&
		    strchr("-_.:()+", *label) == NULL)
			return false;
		if (n + 1 >= size)
			return false;
		buf[n++] = g_ascii_tolower(*label);
	}
	buf[n] = '\0';
	return n > 0;
}

/*
 * The name as static storage, when iconv knows it.  Interned only then:
 * hostile labels are unbounded, the names iconv knows are not.
 */
static const char *
known(const char *name)
{
	iconv_t	 cd;

	if ((cd = cd_get(name)) == (iconv_t)-1)
		return NULL;
	name = g_intern_string(name);
	cd_put(name, cd);
	return name;
}

const char *
charset_canon(const char *label)
{
	char	 norm[LABEL_MAX];
	size_t	 i;

	if (label == NULL || !normalize(label, norm, sizeof(norm)))
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(aliases); i++)
		if (strcmp(aliases[i].label, norm) == 0)
			return known(aliases[i].name);
	for (i = 0; norm[i] != '\0'; i++)
		norm[i] = g_ascii_toupper(norm[i]);
	return known(norm);
}

/* Length of the valid UTF-8 prefix; GLib stops at NUL, which is ASCII. */
static size_t
utf8_prefix(const char *in, size_t len)
{
	const char	*p = in, *end;

	while (p < in + len) {
		if (g_utf8_validate_len(p, in + len - p, &end))
			return len;
		if (*end != '\0')
			return end - in;
		p = end + 1;
	}
	return len;
}

bool
charset_is_utf8(const char *in, size_t len)
{
	return utf8_prefix(in, len) == len;
}

/*
 * UTF-8 with a few bad bytes (text cut or pasted together) is still
 * UTF-8: legacy 8-bit text almost never forms valid multibyte sequences,
 * let alone four for every byte that does not.
 */
static bool
is_mostly_utf8(const char *in, size_t len)
{
	size_t	 n, i, multi = 0, bad = 0;

	while (len > 0) {
		n = utf8_prefix(in, len);
		for (i = 0; i < n; i++)
			if ((unsigned char)in[i] >= 0xc0)
				multi++;
		if (n == len)
			break;
		/* Legacy text is bad all along: no need to read 50 MB. */
		if (++bad >= 64 && multi < 4 * bad)
			return false;
		in += n + 1;
		len -= n + 1;
	}
	return bad == 0 || (multi > 0 && multi >= 4 * bad);
}

static bool
has_8bit(const char *in, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			return true;
	return false;
}

/* Returns the number of bytes replaced by U+FFFD. */
static size_t
copy_utf8(const char *in, size_t len, GString *out)
{
	size_t	 n, bad = 0;

	while (len > 0) {
		n = utf8_prefix(in, len);
		g_string_append_len(out, in, n);
		if (n == len)
			break;
		g_string_append(out, REPLACEMENT);
		bad++;
		in += n + 1;
		len -= n + 1;
	}
	return bad;
}

/*
 * The whole input goes to iconv in one call per output chunk, so a
 * character is never split between rounds.  out NULL: only check.
 * stop: return at the first bad byte.  Returns the bytes replaced.
 */
static size_t
convert(iconv_t cd, const char *in, size_t len, GString *out, bool stop)
{
	char	 buf[OUT_CHUNK], *ip = (char *)in, *op;
	size_t	 il = len, ol, bad = 0;
	bool	 failed;

	while (il > 0) {
		op = buf;
		ol = sizeof(buf);
		/* EILSEQ, or EINVAL for a sequence cut off at the end */
		failed = iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 &&
		    errno != E2BIG;
		if (out != NULL)
			g_string_append_len(out, buf, op - buf);
		if (!failed)
			continue;
		bad++;
		if (stop)
			return bad;
		if (out != NULL)
			g_string_append(out, REPLACEMENT);
		ip++;
		il--;
	}
	op = buf;
	ol = sizeof(buf);
	iconv(cd, NULL, NULL, &op, &ol);
	if (out != NULL)
		g_string_append_len(out, buf, op - buf);
	return bad;
}

static bool
valid_in(const char *in, size_t len, const char *name)
{
	iconv_t	 cd;
	bool	 ok;

	if (strcmp(name, "UTF-8") == 0)
		return charset_is_utf8(in, len);
	if ((cd = cd_get(name)) == (iconv_t)-1)
		return false;
	ok = convert(cd, in, len, NULL, true) == 0;
	cd_put(name, cd);
	return ok;
}

/* Appends the UTF-8 to out; returns the bytes replaced by U+FFFD. */
static size_t
decode(const char *in, size_t len, const char *name, GString *out)
{
	iconv_t	 cd;
	size_t	 bad;

	if (strcmp(name, "UTF-8") == 0 || (cd = cd_get(name)) == (iconv_t)-1)
		return copy_utf8(in, len, out);
	bad = convert(cd, in, len, out, false);
	cd_put(name, cd);
	return bad;
}

/*
 * The text being detected: all of it (validity is checked over all) and
 * the sample that is rated and shown to uchardet, which starts at the
 * line of the first 8-bit byte: an ASCII preamble tells nothing.
 */
struct text {
	const char	*in;
	size_t		 len;
	size_t		 start;
	size_t		 end;		/* of the rated sample */
};

static void
text_init(struct text *t, const char *in, size_t len)
{
	size_t	 i, start = 0, end;

	while (start < len && (unsigned char)in[start] < 0x80)
		start++;
	if (start == len)
		start = 0;
	/* A line start is a character boundary in every charset here. */
	for (i = start; i > 0 && start - i < CONTEXT_MAX; i--)
		if (in[i - 1] == '\n')
			break;
	if (i == 0 || in[i - 1] == '\n')
		start = i;
	end = len - start > SAMPLE_MAX ? start + SAMPLE_MAX : len;
	/* ASCII white space is never a trail byte: no character is cut. */
	for (i = end; end < len && i > start + 1; i--) {
		if (in[i - 1] == ' ' || in[i - 1] == '\n') {
			end = i;
			break;
		}
	}
	*t = (struct text){ .in = in, .len = len, .start = start, .end = end };
}

static const char *
run_uchardet(const struct text *t)
{
	uchardet_t	 ud;
	const char	*name = NULL;
	size_t		 n = t->len - t->start;

	if ((ud = uchardet_new()) == NULL)
		return NULL;
	if (uchardet_handle_data(ud, t->in + t->start,
	    n > DETECT_MAX ? DETECT_MAX : n) == 0) {
		uchardet_data_end(ud);
		name = charset_canon(uchardet_get_charset(ud));
	}
	uchardet_delete(ud);
	return name;
}

/*
 * How much a decoding looks like text.  good: non-ASCII letters in words
 * that look like words; bad: anomalies that wrong decodings produce.
 */
struct plaus {
	long	good;
	long	bad;
	long	upper;
	long	lower;
};

struct word {
	size_t		 len;
	size_t		 nonascii;
	size_t		 cyr;
	size_t		 vowels;
	GUnicodeScript	 script;	/* COMMON until a letter says */
	bool		 mixed;
	bool		 lower_seen;
	bool		 case_bad;
};

static bool
is_cyrillic_vowel(gunichar c)
{
	/* а е ё и о у ы э ю я ъ і ї є */
	static const gunichar	 v[] = {
		0x430, 0x435, 0x451, 0x438, 0x43e, 0x443, 0x44b, 0x44d,
		0x44e, 0x44f, 0x44a, 0x456, 0x457, 0x454,
	};
	size_t			 i;

	c = g_unichar_tolower(c);
	for (i = 0; i < G_N_ELEMENTS(v); i++)
		if (v[i] == c)
			return true;
	return false;
}

/* Scripts that one word never mixes; Han with Kana or Hangul it may. */
static bool
is_cased_script(GUnicodeScript s)
{
	return s == G_UNICODE_SCRIPT_LATIN || s == G_UNICODE_SCRIPT_CYRILLIC ||
	    s == G_UNICODE_SCRIPT_GREEK;
}

static void
word_add(struct word *w, struct plaus *p, gunichar c)
{
	GUnicodeScript	 s = g_unichar_get_script(c);

	if (is_cased_script(s)) {
		if (w->script == G_UNICODE_SCRIPT_COMMON)
			w->script = s;
		else if (s != w->script)
			w->mixed = true;
	}
	w->len++;
	if (g_unichar_islower(c))
		w->lower_seen = true;
	else if (g_unichar_isupper(c) && w->lower_seen)
		w->case_bad = true;
	if (c < 0x80)
		return;
	w->nonascii++;
	if (g_unichar_isupper(c))
		p->upper++;
	else if (g_unichar_islower(c))
		p->lower++;
	if (s == G_UNICODE_SCRIPT_CYRILLIC) {
		w->cyr++;
		if (is_cyrillic_vowel(c))
			w->vowels++;
	}
}

/*
 * A wrong single-byte decoding shows as: two scripts in one word
 * (French read as windows-1251), inverted case ("пРИВЕТ": KOI8-R and
 * windows-1251 swap the cases), Latin words made mostly of accented
 * letters (Cyrillic read as windows-1252), Cyrillic words with almost
 * no vowels (KOI8-R and windows-1251 order the letters differently).
 */
static void
word_end(struct word *w, struct plaus *p)
{
	bool	 odd;

	if (w->nonascii > 0) {
		odd = w->mixed || w->case_bad ||
		    (w->script == G_UNICODE_SCRIPT_LATIN &&
		    w->nonascii * 2 > w->len + 1) ||
		    (w->cyr >= 4 && w->vowels * 4 < w->cyr);
		if (odd)
			p->bad += w->nonascii;
		else
			p->good += w->nonascii;
	}
	*w = (struct word){ .script = G_UNICODE_SCRIPT_COMMON };
}

/* Marks and the punctuation that real words carry inside. */
static bool
is_word_inner(gunichar c)
{
	return g_unichar_ismark(c) || c == 0x2019 || c == 0x2010 ||
	    c == 0x2011 || c == 0xb7 || c == 0xad;
}

static void
rate_utf8(const char *s, const char *end, struct plaus *p)
{
	struct word	 w = { .script = G_UNICODE_SCRIPT_COMMON };
	gunichar	 c;
	bool		 sym = false;	/* a symbol after a letter */

	for (; s < end; s = g_utf8_next_char(s)) {
		c = g_utf8_get_char(s);
		if (g_unichar_isalpha(c)) {
			if (sym)
				p->bad += 2;
			sym = false;
			word_add(&w, p, c);
			continue;
		}
		sym = w.len > 0 && c >= 0x80 && !g_unichar_isspace(c) &&
		    !is_word_inner(c);
		word_end(&w, p);
		if (c >= 0x80 && (c == 0xfffd || g_unichar_iscntrl(c) ||
		    !g_unichar_isdefined(c)))
			p->bad += 2;
	}
	word_end(&w, p);
	/* Real text is mostly lower case; a swapped-case decoding is not. */
	if (p->upper + p->lower >= 16 && p->upper > p->lower)
		p->bad += p->upper - p->lower;
}

static void
rate(const struct text *t, const char *name, struct plaus *p)
{
	GString	*s = g_string_sized_new(2 * (t->end - t->start) + 1);

	*p = (struct plaus){ 0 };
	decode(t->in + t->start, t->end - t->start, name, s);
	rate_utf8(s->str, s->str + s->len, p);
	g_string_free(s, TRUE);
}

static long
net(const struct plaus *p)
{
	return p->good - 4 * p->bad;
}

static bool
plausible(const struct plaus *p)
{
	return p->bad * 8 <= p->good;
}

static bool
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

struct pick {
	const char	*name;
	long		 score;
	bool		 plausible;
};

/* Strictly better only: the first candidate considered wins a tie. */
static void
consider(struct pick *best, const struct text *t, const char *name,
    bool lossy)
{
	struct plaus	 p;

	if (name == NULL || (!lossy && !valid_in(t->in, t->len, name)))
		return;
	rate(t, name, &p);
	if (best->name == NULL || net(&p) > best->score)
		*best = (struct pick){ .name = name, .score = net(&p),
		    .plausible = plausible(&p) };
}

static bool
in_hints(const char *name, const char *const *hints)
{
	size_t	 i;

	for (i = 0; hints[i] != NULL; i++)
		if (same(charset_canon(hints[i]), name))
			return true;
	return false;
}

/*
 * Hints first, so they win ties, then the detector's answer; the built-in
 * fallbacks only when none of those decodes to plausible text.  When no
 * candidate decodes without errors, the one that reads best is used.
 */
static const char *
tie_break(const struct text *t, const char *det, const char *const *hints)
{
	struct pick	 best = { .name = NULL };
	size_t		 i;
	int		 lossy;

	for (lossy = 0; lossy < 2 && best.name == NULL; lossy++) {
		for (i = 0; hints != NULL && hints[i] != NULL; i++)
			consider(&best, t, charset_canon(hints[i]), lossy);
		consider(&best, t, det, lossy);
		if (best.name != NULL && best.plausible)
			break;
		for (i = 0; fallbacks[i] != NULL; i++)
			consider(&best, t, fallbacks[i], lossy);
	}
	return best.name != NULL ? best.name : "windows-1252";
}

/*
 * uchardet 0.0.7 reports no confidence, so its answer is trusted only
 * when it decodes the bytes without errors, the result rates as
 * plausible text and, when the queue has hints, it is one of them.
 * Otherwise every candidate is rated and the best reading wins.
 */
const char *
charset_detect(const char *in, size_t len, const char *const *hints)
{
	struct text	 t;
	struct plaus	 p;
	const char	*det;

	if (is_mostly_utf8(in, len))
		return "UTF-8";
	text_init(&t, in, len);
	det = run_uchardet(&t);
	if (det != NULL && valid_in(in, len, det)) {
		rate(&t, det, &p);
		if (plausible(&p) && (hints == NULL || hints[0] == NULL ||
		    in_hints(det, hints)))
			return det;
	}
	return tie_break(&t, det, hints);
}

/*
 * 8-bit text labeled latin-1 or windows-1252: that label is many a mail
 * client's default, and windows-1252 accepts nearly every byte.  Other
 * scripts read as accented Latin gibberish there, so the detector's
 * answer wins when it reads as better text.
 */
static const char *
relabel(const char *in, size_t len, const char *label,
    const char *const *hints)
{
	struct text	 t;
	struct plaus	 a, b;
	const char	*det;

	if (is_mostly_utf8(in, len))
		return "UTF-8";
	det = charset_detect(in, len, hints);
	if (same(det, label) || !valid_in(in, len, det))
		return label;
	text_init(&t, in, len);
	rate(&t, det, &a);
	rate(&t, label, &b);
	return plausible(&a) && net(&a) > net(&b) ? det : label;
}

/* A declared charset with a few bad bytes (a character cut off) is
 * still the charset; a label on text in another charset gives many. */
static bool
is_mostly_in(const char *in, size_t len, const char *name)
{
	iconv_t	 cd;
	size_t	 bad, high = 0, i;

	if ((cd = cd_get(name)) == (iconv_t)-1)
		return false;
	bad = convert(cd, in, len, NULL, false);
	cd_put(name, cd);
	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] >= 0x80)
			high++;
	return bad * 16 <= high;
}

static const char *
choose(const char *in, size_t len, const char *label,
    const char *const *hints)
{
	bool	 usable;

	if (label == NULL)
		return charset_detect(in, len, hints);
	usable = valid_in(in, len, label) || (!is_mostly_utf8(in, len) &&
	    is_mostly_in(in, len, label));
	if (!usable)
		return charset_detect(in, len, hints);
	if (same(label, "windows-1252") && has_8bit(in, len))
		return relabel(in, len, label, hints);
	return label;
}

/* NUL would end the returned string early and silently. */
static size_t
replace_nul(GString **sp)
{
	GString		*s = *sp, *r;
	const char	*p = s->str, *end = s->str + s->len, *nul;
	size_t		 n = 0;

	if (memchr(p, '\0', s->len) == NULL)
		return 0;
	r = g_string_sized_new(s->len + 16);
	while ((nul = memchr(p, '\0', end - p)) != NULL) {
		g_string_append_len(r, p, nul - p);
		g_string_append(r, REPLACEMENT);
		p = nul + 1;
		n++;
	}
	g_string_append_len(r, p, end - p);
	g_string_free(s, TRUE);
	*sp = r;
	return n;
}

/* The common case in one pass: a declared charset that fits. */
static bool
decode_clean(const char *in, size_t len, const char *name, GString *out)
{
	iconv_t	 cd;
	bool	 ok;

	if (strcmp(name, "UTF-8") == 0) {
		if ((ok = charset_is_utf8(in, len)))
			g_string_append_len(out, in, len);
		return ok;
	}
	if ((cd = cd_get(name)) == (iconv_t)-1)
		return false;
	ok = convert(cd, in, len, out, true) == 0;
	cd_put(name, cd);
	if (!ok)
		g_string_truncate(out, 0);
	return ok;
}

char *
charset_to_utf8(const char *in, size_t len, const char *declared,
    const char *const *hints, unsigned *result)
{
	const char	*label, *cs;
	GString		*out;
	unsigned	 r = 0;

	if (in == NULL) {
		in = "";
		len = 0;
	}
	label = declared != NULL ? charset_canon(declared) : NULL;
	out = g_string_sized_new(len + len / 2 + 1);
	if (label != NULL && !(same(label, "windows-1252") &&
	    has_8bit(in, len)) && decode_clean(in, len, label, out))
		cs = label;
	else {
		cs = choose(in, len, label, hints);
		if (decode(in, len, cs, out) > 0)
			r |= CHARSET_R_LOSSY;
	}
	if (!same(cs, label) && has_8bit(in, len))
		r |= CHARSET_R_DETECTED;
	if (replace_nul(&out) > 0)
		r |= CHARSET_R_LOSSY;
	if (result != NULL)
		*result |= r;
	/* Give back the head-room reserved for the conversion: on a 50 MB
	 * body it is 25 MB that would otherwise live as long as the text. */
	len = out->len;
	return g_realloc(g_string_free(out, FALSE), len + 1);
}

/* uchardet has no version call; the build may pass one. */
#ifdef POSTDESK_UCHARDET_VERSION
#define UCHARDET_NAME	"uchardet " POSTDESK_UCHARDET_VERSION
#else
#define UCHARDET_NAME	"uchardet"
#endif

const char *
charset_lib_version(void)
{
	static gsize	 once;
	static char	 buf[80];
	const char	*libc = "iconv";
	char		 tmp[48];

#ifdef __GLIBC__
	if (snprintf(tmp, sizeof(tmp), "glibc iconv %s",
	    gnu_get_libc_version()) < (int)sizeof(tmp))
		libc = tmp;
#endif
	if (g_once_init_enter(&once)) {
		if (snprintf(buf, sizeof(buf), "%s, %s", UCHARDET_NAME,
		    libc) >= (int)sizeof(buf))
			buf[0] = '\0';
		g_once_init_leave(&once, 1);
	}
	return buf;
}

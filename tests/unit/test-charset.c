/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "charset.h"
#include "tap.h"

/*
 * Fixtures: one Russian and one Bulgarian sentence in windows-1251,
 * KOI8-R and UTF-8, a short all-caps word, French in latin-1, Japanese
 * in Shift_JIS and ISO-2022-JP.  Generated with Python's codecs.
 */
#define RU_1251 \
	"\307\344\360\340\342\361\362\342\363\351\362\345! \337 \355" \
	"\345 \354\356\343\363 \342\356\351\362\350 \342 \353\350\367" \
	"\355\373\351 \352\340\341\350\355\345\362 \357\356\361\353" \
	"\345 \361\354\345\355\373 \357\340\360\356\353\377. \317\356" \
	"\346\340\353\363\351\361\362\340, \357\356\354\356\343\350" \
	"\362\345."
#define RU_KOI8 \
	"\372\304\322\301\327\323\324\327\325\312\324\305! \361 \316" \
	"\305 \315\317\307\325 \327\317\312\324\311 \327 \314\311\336" \
	"\316\331\312 \313\301\302\311\316\305\324 \320\317\323\314" \
	"\305 \323\315\305\316\331 \320\301\322\317\314\321. \360\317" \
	"\326\301\314\325\312\323\324\301, \320\317\315\317\307\311" \
	"\324\305."
#define RU_UTF8 \
	"\320\227\320\264\321\200\320\260\320\262\321\201\321\202\320" \
	"\262\321\203\320\271\321\202\320\265! \320\257 \320\275\320" \
	"\265 \320\274\320\276\320\263\321\203 \320\262\320\276\320" \
	"\271\321\202\320\270 \320\262 \320\273\320\270\321\207\320" \
	"\275\321\213\320\271 \320\272\320\260\320\261\320\270\320" \
	"\275\320\265\321\202 \320\277\320\276\321\201\320\273\320" \
	"\265 \321\201\320\274\320\265\320\275\321\213 \320\277\320" \
	"\260\321\200\320\276\320\273\321\217. \320\237\320\276\320" \
	"\266\320\260\320\273\321\203\320\271\321\201\321\202\320\260" \
	", \320\277\320\276\320\274\320\276\320\263\320\270\321\202" \
	"\320\265."
#define BG_1251 \
	"\307\344\360\340\342\345\351\362\345, \355\345 \354\356\343" \
	"\340 \344\340 \342\353\377\347\340 \342 \357\360\356\364\350" \
	"\353\340 \361\350 \361\353\345\344 \361\354\377\355\340\362" \
	"\340 \355\340 \357\340\360\356\353\340\362\340. \314\356\353" \
	"\377, \357\356\354\356\343\355\345\362\345 \354\350."
#define BG_KOI8 \
	"\372\304\322\301\327\305\312\324\305, \316\305 \315\317\307" \
	"\301 \304\301 \327\314\321\332\301 \327 \320\322\317\306\311" \
	"\314\301 \323\311 \323\314\305\304 \323\315\321\316\301\324" \
	"\301 \316\301 \320\301\322\317\314\301\324\301. \355\317\314" \
	"\321, \320\317\315\317\307\316\305\324\305 \315\311."
#define BG_UTF8 \
	"\320\227\320\264\321\200\320\260\320\262\320\265\320\271\321" \
	"\202\320\265, \320\275\320\265 \320\274\320\276\320\263\320" \
	"\260 \320\264\320\260 \320\262\320\273\321\217\320\267\320" \
	"\260 \320\262 \320\277\321\200\320\276\321\204\320\270\320" \
	"\273\320\260 \321\201\320\270 \321\201\320\273\320\265\320" \
	"\264 \321\201\320\274\321\217\320\275\320\260\321\202\320" \
	"\260 \320\275\320\260 \320\277\320\260\321\200\320\276\320" \
	"\273\320\260\321\202\320\260. \320\234\320\276\320\273\321" \
	"\217, \320\277\320\276\320\274\320\276\320\263\320\275\320" \
	"\265\321\202\320\265 \320\274\320\270."
#define CAPS_1251 \
	"\321\320\316\327\315\316"
#define CAPS_KOI8 \
	"\363\362\357\376\356\357"
#define CAPS_UTF8 \
	"\320\241\320\240\320\236\320\247\320\235\320\236"
#define FR_UTF8 \
	"Caf\303\251 cr\303\250me br\303\273l\303\251e \303\240 la fr" \
	"an\303\247aise, s'il vous pla\303\256t."
#define FR_LATIN1 \
	"Caf\351 cr\350me br\373l\351e \340 la fran\347aise, s'il vou" \
	"s pla\356t."
#define JA_UTF8 \
	"\346\227\245\346\234\254\350\252\236\343\201\256\343\203\206" \
	"\343\202\255\343\202\271\343\203\210\343\201\247\343\201\231" \
	"\343\200\202"
#define JA_SJIS \
	"\223\372\226{\214\352\202\314\203e\203L\203X\203g\202\305" \
	"\202\267\201B"
#define JA_JIS \
	"\033$BF|K\1348l$N%F%-%9%H$G$9!#\033(B"
/* "Привет, Мир" */
#define HI_1251	"\317\360\350\342\345\362, \314\350\360"
#define HI_KOI8	"\360\322\311\327\305\324, \355\311\322"
#define HI_UTF8	\
	"\320\237\321\200\320\270\320\262\320\265\321\202, " \
	"\320\234\320\270\321\200"

#define FFFD	"\357\277\275"

static const char *const hints_1251[] = { "cp1251", NULL };
static const char *const hints_koi8[] = { "koi8-r", NULL };
static const char *const hints_both[] = { "koi8-r", "windows-1251", NULL };
static const char *const hints_rev[] = { "windows-1251", "koi8-r", NULL };

/* Converts and checks both the text and the result bits. */
static void
conv(const char *in, size_t len, const char *declared,
    const char *const *hints, const char *want, unsigned want_r,
    const char *name)
{
	unsigned	 r = 0;
	char		*s = charset_to_utf8(in, len, declared, hints, &r);
	char		*n = g_strdup_printf("%s: flags", name);

	is_str(s, want, name);
	is_int(r, want_r, n);
	g_free(n);
	g_free(s);
}

#define CONV(in, decl, hints, want, r, name) \
	conv((in), sizeof(in) - 1, (decl), (hints), (want), (r), (name))

static void
test_canon(void)
{
	is_str(charset_canon("cp1251"), "windows-1251", "canon cp1251");
	is_str(charset_canon("WIN-1251"), "windows-1251", "canon WIN-1251");
	is_str(charset_canon(" \"Windows-1251\""), "windows-1251",
	    "canon quoted");
	is_str(charset_canon("latin1"), "windows-1252", "canon latin1");
	is_str(charset_canon("ISO-8859-1"), "windows-1252",
	    "canon iso-8859-1 is windows-1252");
	is_str(charset_canon("us-ascii"), "US-ASCII", "canon us-ascii");
	is_str(charset_canon("utf8"), "UTF-8", "canon utf8");
	is_str(charset_canon("unicode-1-1-utf-8"), "UTF-8",
	    "canon unicode-1-1-utf-8");
	is_str(charset_canon("ks_c_5601-1987"), "CP949", "canon ks_c_5601");
	is_str(charset_canon("GB2312"), "GB18030", "canon gb2312");
	is_str(charset_canon("x-mac-cyrillic"), "MAC-CYRILLIC",
	    "canon x-mac-cyrillic");
	is_str(charset_canon("koi8-r"), "KOI8-R", "canon koi8-r");
	is_str(charset_canon("iso-8859-2"), "ISO-8859-2",
	    "canon unlisted label goes to iconv");
	ok(charset_canon("iso-8859-2") == charset_canon("ISO-8859-2"),
	    "canon unlisted label: same static string");
	ok(charset_canon("x-unknown-8bit") == NULL, "canon unknown: NULL");
	ok(charset_canon("utf-8//IGNORE") == NULL, "canon rejects suffixes");
	ok(charset_canon("") == NULL, "canon empty: NULL");
	ok(charset_canon(NULL) == NULL, "canon NULL: NULL");
}

static void
test_is_utf8(void)
{
	ok(charset_is_utf8("", 0), "is_utf8 empty");
	ok(charset_is_utf8("plain", 5), "is_utf8 ascii");
	ok(charset_is_utf8(RU_UTF8, sizeof(RU_UTF8) - 1), "is_utf8 russian");
	ok(charset_is_utf8("a\0b", 3), "is_utf8 NUL is ascii");
	ok(!charset_is_utf8(RU_1251, sizeof(RU_1251) - 1),
	    "is_utf8 windows-1251: no");
	ok(!charset_is_utf8("\320", 1), "is_utf8 cut sequence: no");
	ok(!charset_is_utf8("\300\257", 2), "is_utf8 overlong: no");
	ok(!charset_is_utf8("\355\240\200", 3), "is_utf8 surrogate: no");
}

static void
test_detect(void)
{
	is_str(charset_detect(RU_1251, sizeof(RU_1251) - 1, NULL),
	    "windows-1251", "detect russian windows-1251");
	is_str(charset_detect(RU_KOI8, sizeof(RU_KOI8) - 1, NULL),
	    "KOI8-R", "detect russian koi8-r");
	is_str(charset_detect(BG_1251, sizeof(BG_1251) - 1, NULL),
	    "windows-1251", "detect bulgarian windows-1251");
	is_str(charset_detect(BG_KOI8, sizeof(BG_KOI8) - 1, NULL),
	    "KOI8-R", "detect bulgarian koi8-r");
	is_str(charset_detect(RU_KOI8, sizeof(RU_KOI8) - 1, hints_1251),
	    "KOI8-R", "detect koi8-r against a windows-1251 hint");
	is_str(charset_detect(RU_UTF8, sizeof(RU_UTF8) - 1, hints_1251),
	    "UTF-8", "detect utf-8 against a hint");
	is_str(charset_detect("plain", 5, NULL), "UTF-8", "detect ascii");
	is_str(charset_detect(FR_LATIN1, sizeof(FR_LATIN1) - 1, hints_1251),
	    "windows-1252", "detect french against a windows-1251 hint");
}

/* One word is too little for uchardet: the hints decide. */
static void
test_hints(void)
{
	is_str(charset_detect(CAPS_1251, sizeof(CAPS_1251) - 1, hints_1251),
	    "windows-1251", "hint windows-1251 for a short word");
	is_str(charset_detect(CAPS_KOI8, sizeof(CAPS_KOI8) - 1, hints_koi8),
	    "KOI8-R", "hint koi8-r for a short word");
	is_str(charset_detect(CAPS_KOI8, sizeof(CAPS_KOI8) - 1, hints_both),
	    "KOI8-R", "first of two hints wins a tie");
	is_str(charset_detect(CAPS_KOI8, sizeof(CAPS_KOI8) - 1, hints_rev),
	    "windows-1251", "first of two hints wins a tie, reversed");
	is_str(charset_detect(CAPS_1251, sizeof(CAPS_1251) - 1, NULL),
	    "windows-1251", "no hint: the best reading of the fallbacks");
	is_str(charset_detect(HI_KOI8, sizeof(HI_KOI8) - 1, hints_1251),
	    "KOI8-R", "short koi8-r: inverted case loses against the hint");
	CONV(HI_1251, NULL, hints_koi8, HI_UTF8, CHARSET_R_DETECTED,
	    "short windows-1251 with a koi8-r hint");
	CONV(CAPS_1251, NULL, hints_1251, CAPS_UTF8, CHARSET_R_DETECTED,
	    "convert a short word with a hint");
	CONV(CAPS_KOI8, "", hints_koi8, CAPS_UTF8, CHARSET_R_DETECTED,
	    "convert a short koi8-r word with a hint");
}

static void
test_declared(void)
{
	CONV(RU_1251, "windows-1251", NULL, RU_UTF8, 0, "declared cp1251");
	CONV(RU_KOI8, "KOI8-R", NULL, RU_UTF8, 0, "declared koi8-r");
	CONV(BG_1251, "cp1251", hints_koi8, BG_UTF8, 0,
	    "declared cp1251 beats a hint");
	CONV(BG_KOI8, "koi8-r", NULL, BG_UTF8, 0, "declared koi8-r bg");
	CONV(RU_UTF8, "utf-8", NULL, RU_UTF8, 0, "declared utf-8");
	CONV(FR_LATIN1, "iso-8859-1", hints_1251, FR_UTF8, 0,
	    "declared latin-1 that is latin-1");
	CONV(JA_SJIS, "shift_jis", NULL, JA_UTF8, 0, "declared shift_jis");
	CONV(JA_JIS, "iso-2022-jp", NULL, JA_UTF8, 0,
	    "declared 7-bit iso-2022-jp");
	CONV("plain text", "x-unknown", NULL, "plain text", 0,
	    "unknown label on ascii");
}

static void
test_undeclared(void)
{
	CONV(RU_1251, NULL, NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "undeclared ru windows-1251");
	CONV(RU_KOI8, NULL, NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "undeclared ru koi8-r");
	CONV(BG_1251, "", NULL, BG_UTF8, CHARSET_R_DETECTED,
	    "undeclared bg windows-1251");
	CONV(BG_KOI8, NULL, hints_1251, BG_UTF8, CHARSET_R_DETECTED,
	    "undeclared bg koi8-r, windows-1251 hint");
	CONV(RU_UTF8, NULL, NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "undeclared utf-8 stays utf-8");
	CONV(RU_1251, "x-unknown", NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "unknown label on windows-1251");
	CONV("plain", NULL, NULL, "plain", 0, "undeclared ascii");
}

static void
test_mislabeled(void)
{
	CONV(RU_1251, "iso-8859-1", NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "ru windows-1251 labeled iso-8859-1");
	CONV(BG_1251, "iso-8859-1", NULL, BG_UTF8, CHARSET_R_DETECTED,
	    "bg windows-1251 labeled iso-8859-1");
	CONV(RU_1251, "us-ascii", NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "ru windows-1251 labeled us-ascii");
	CONV(BG_KOI8, "us-ascii", hints_1251, BG_UTF8, CHARSET_R_DETECTED,
	    "bg koi8-r labeled us-ascii");
	CONV(RU_KOI8, "windows-1252", NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "ru koi8-r labeled windows-1252");
	CONV(RU_UTF8, "iso-8859-1", NULL, RU_UTF8, CHARSET_R_DETECTED,
	    "utf-8 labeled iso-8859-1");
	CONV(JA_SJIS, "utf-8", NULL, JA_UTF8, CHARSET_R_DETECTED,
	    "shift_jis labeled utf-8");
}

static void
test_lossy(void)
{
	CONV("\320\237\321\200\320\270\320\262\320\265\321\202\377 "
	    "\320\274\320\270\321\200", "utf-8", NULL,
	    "\320\237\321\200\320\270\320\262\320\265\321\202" FFFD " "
	    "\320\274\320\270\321\200", CHARSET_R_LOSSY,
	    "bad byte in utf-8");
	CONV("\320\237\321\200\320\270\320\262\320\265\321\202\320", NULL,
	    NULL, "\320\237\321\200\320\270\320\262\320\265\321\202" FFFD,
	    CHARSET_R_DETECTED | CHARSET_R_LOSSY, "cut utf-8 at the end");
	CONV("a\0b", "utf-8", NULL, "a" FFFD "b", CHARSET_R_LOSSY,
	    "NUL becomes U+FFFD");
	CONV(JA_SJIS "\202", "shift_jis", NULL, JA_UTF8 FFFD,
	    CHARSET_R_LOSSY, "cut shift_jis at the end");
}

static void
test_empty(void)
{
	CONV("", NULL, NULL, "", 0, "empty, undeclared");
	CONV("", "koi8-r", hints_1251, "", 0, "empty, declared");
	conv(NULL, 0, "utf-8", NULL, "", 0, "NULL input");
}

/* Repeats that make the fixtures over 1 MB. */
#define BIG_COUNT	12000
#define BIG_COUNT_JA	50000

static GString *
repeat(const char *s, size_t n)
{
	GString	*g = g_string_new(NULL);

	while (n-- > 0)
		g_string_append(g, s);
	return g;
}

/*
 * Over 1 MB: far beyond the converter's output chunk and the detector's
 * sample, so multibyte characters fall across every boundary.  The odd
 * lead byte shifts them off any power of two.
 */
static void
test_big(void)
{
	GString		*ru8 = repeat("x" RU_UTF8 "\n", BIG_COUNT);
	GString		*in, *ja8;
	unsigned	 r;
	char		*s;

	in = repeat("x" RU_1251 "\n", BIG_COUNT);
	r = 0;
	s = charset_to_utf8(in->str, in->len, "windows-1251", NULL, &r);
	ok(in->len > 1 << 20, "windows-1251 fixture is over 1 MB");
	ok(strcmp(s, ru8->str) == 0, "1 MB windows-1251 declared");
	is_int(r, 0, "1 MB windows-1251 declared: flags");
	g_free(s);
	g_string_free(in, TRUE);

	in = repeat("x" RU_KOI8 "\n", BIG_COUNT);
	r = 0;
	s = charset_to_utf8(in->str, in->len, NULL, NULL, &r);
	ok(strcmp(s, ru8->str) == 0, "1 MB koi8-r detected");
	is_int(r, CHARSET_R_DETECTED, "1 MB koi8-r detected: flags");
	g_free(s);
	g_string_free(in, TRUE);

	r = 0;
	s = charset_to_utf8(ru8->str, ru8->len, "utf-8", NULL, &r);
	ok(strcmp(s, ru8->str) == 0, "1 MB utf-8 passes through");
	is_int(r, 0, "1 MB utf-8: flags");
	g_free(s);
	g_string_free(ru8, TRUE);

	in = repeat("x" JA_SJIS "\n", BIG_COUNT_JA);
	ja8 = repeat("x" JA_UTF8 "\n", BIG_COUNT_JA);
	r = 0;
	s = charset_to_utf8(in->str, in->len, "Shift_JIS", NULL, &r);
	ok(in->len > 1 << 20, "shift_jis fixture is over 1 MB");
	ok(strcmp(s, ja8->str) == 0, "1 MB shift_jis declared");
	is_int(r, 0, "1 MB shift_jis declared: flags");
	g_free(s);
	g_string_free(in, TRUE);
	g_string_free(ja8, TRUE);
}

/* The start of a 1 MB ASCII preamble does not hide the 8-bit text. */
static void
test_late_8bit(void)
{
	GString		*in = repeat("ascii text, padding\n", 60000);
	GString		*want = g_string_new(in->str);
	unsigned	 r = 0;
	char		*s;

	g_string_append(in, RU_KOI8);
	g_string_append(want, RU_UTF8);
	s = charset_to_utf8(in->str, in->len, NULL, NULL, &r);
	ok(strcmp(s, want->str) == 0, "koi8-r after 1 MB of ascii");
	is_int(r, CHARSET_R_DETECTED, "koi8-r after 1 MB of ascii: flags");
	g_free(s);
	g_string_free(in, TRUE);
	g_string_free(want, TRUE);
}

static void
test_version(void)
{
	const char	*v = charset_lib_version();

	ok(g_str_has_prefix(v, "uchardet"), "version names uchardet");
	ok(strstr(v, "iconv") != NULL, "version names iconv");
}

int
main(void)
{
	test_canon();
	test_is_utf8();
	test_detect();
	test_hints();
	test_declared();
	test_undeclared();
	test_mislabeled();
	test_lossy();
	test_empty();
	test_big();
	test_late_8bit();
	test_version();
	return tap_done();
}

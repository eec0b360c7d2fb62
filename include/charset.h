/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_CHARSET_H
#define POSTDESK_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Charset detection and conversion to UTF-8 (uchardet + iconv).  This
 * module owns both libraries.  All functions are thread-safe.
 */

enum charset_result {
	CHARSET_R_DETECTED	= 1u << 0,	/* declared charset not used */
	CHARSET_R_LOSSY		= 1u << 1,	/* some bytes became U+FFFD */
};

/* True when the bytes are valid UTF-8 (ASCII is). */
bool	 charset_is_utf8(const char *in, size_t len);

/*
 * Guess the charset of 8-bit text with no trustworthy label.  hints is a
 * NULL-terminated list of charsets the queue expects (may be NULL): they
 * break ties where the detector is unsure.  UTF-8 with a few bad bytes is
 * still "UTF-8".  Returns a static canonical iconv name ("UTF-8",
 * "windows-1251", "KOI8-R", ...); never NULL.
 */
const char *charset_detect(const char *in, size_t len,
	    const char *const *hints);

/*
 * Convert len bytes to UTF-8.  declared (may be NULL or "") is the label
 * the message gave; it is used when the bytes are valid in it (or all but
 * a few, such as a character cut off at the end), else the text is
 * detected.  8-bit text labeled us-ascii is always detected; labeled
 * latin-1/windows-1252 it is detected too, and the detector's answer
 * wins when it reads as better text.  *result (may be NULL) gets enum
 * charset_result bits or-ed in: CHARSET_R_DETECTED when the text has
 * 8-bit bytes and the declared charset (if any) was not used.  Returns
 * newly allocated, NUL-terminated valid UTF-8 (free with g_free); bytes
 * that cannot be decoded, and NUL, become U+FFFD.  Never NULL.
 */
char	*charset_to_utf8(const char *in, size_t len, const char *declared,
	    const char *const *hints, unsigned *result);

/*
 * Canonical iconv name for a label ("cp1251" -> "windows-1251"), or NULL
 * when iconv does not know it.  Case and surrounding quotes do not
 * matter.  As in browsers, a subset's label names its superset:
 * iso-8859-1 -> windows-1252, gb2312 -> GB18030, ks_c_5601-1987 and
 * euc-kr -> CP949, shift_jis -> CP932; us-ascii stays US-ASCII.  Static
 * storage; the same label always gives the same pointer.
 */
const char *charset_canon(const char *label);

/*
 * "uchardet, glibc iconv 2.36": library versions; static.  uchardet has
 * no version call: a build that defines POSTDESK_UCHARDET_VERSION (from
 * pkg-config) gets "uchardet 0.0.7, ...".
 */
const char *charset_lib_version(void);

#endif

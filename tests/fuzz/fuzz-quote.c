/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the reply cutter: quote_new_text() on arbitrary
 * bytes, with and without the signature cut and a sent text taken from
 * the input's first line.  The result must be valid UTF-8 and one run of
 * whole lines of the (repaired) input.  A breach abort()s so that
 * libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "quote.h"

static void
fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz-quote: contract broken: %s: \"%.200s\"\n", what,
	    s != NULL ? s : "(null)");
	abort();
}

/* The input as quote_new_text() sees it: valid UTF-8, LF line ends,
 * framed by "\n" so that a run of whole lines is "\n" + run. */
static char *
lines_of(const char *in)
{
	char *valid = g_utf8_make_valid(in, -1);
	GString *s = g_string_new("\n");

	for (const char *p = valid; *p != '\0'; p++)
		if (!(*p == '\r' && (p[1] == '\n' || p[1] == '\0')))
			g_string_append_c(s, *p);
	g_string_append_c(s, '\n');
	g_free(valid);
	return g_string_free(s, FALSE);
}

static void
check(const char *in, const char *const *sent, size_t nsent, bool sig)
{
	char *got = quote_new_text(in, sent, nsent, sig);
	char *all = lines_of(in), *run;

	if (got == NULL || !g_utf8_validate(got, -1, NULL))
		fail("result NULL or not UTF-8", in);
	run = g_strconcat("\n", got, NULL);
	if (*got != '\0' && (!g_str_has_suffix(got, "\n") ||
	    strstr(all, run) == NULL))
		fail("result is not a run of the input's lines", in);
	g_free(run);
	g_free(all);
	g_free(got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = g_strndup((const char *)data, size);
	char *nl = strchr(in, '\n');
	char *first = g_strndup(in, nl != NULL ? (size_t)(nl - in) : 0);
	const char *sent[] = { first, NULL };

	check(in, NULL, 0, false);
	check(in, sent, 2, true);
	g_free(first);
	g_free(in);
	return 0;
}

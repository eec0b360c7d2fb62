/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the Sieve engine: compile arbitrary bytes as a
 * rule file (lexer, parser, validator), check the diagnostics contract
 * (NULL exactly when there are errors, each "fuzz.sieve:LINE:COL: ...")
 * and run what compiles over a fixed message with a small step budget.
 * A breach abort()s so that libFuzzer keeps the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "parse.h"
#include "sieve.h"

static struct msg *msg;

static const char message[] =
    "From: Alice <alice@example.com>\n"
    "To: support@example.org, \"Doe, J\" <j@example.net>\n"
    "Cc: group: a@b.example, c@d.example;\n"
    "Subject: Invoice 42 / =?utf-8?q?=D1=84=D0=B0=D0=BA=D1=82=D1=83=D1=80=D0=B0?=\n"
    "X-Spam-Flag: YES\n"
    "Message-ID: <fuzz@example.com>\n"
    "\n"
    "Please pay the invoice.\n";

static void
fail(const char *what, const char *s)
{
	fprintf(stderr, "fuzz-sieve: contract broken: %s: \"%.200s\"\n", what,
	    s != NULL ? s : "(null)");
	abort();
}

static void
check_diag(const struct conf_diag *d, bool compiled)
{
	unsigned line, col;

	if (compiled != (d->n == 0))
		fail("script returned with errors, or NULL without", NULL);
	for (size_t i = 0; i < d->n; i++) {
		if (d->lines[i] == NULL ||
		    sscanf(d->lines[i], "fuzz.sieve:%u:%u: ", &line, &col) != 2 ||
		    line == 0 || col == 0)
			fail("diagnostic without FILE:LINE:COL", d->lines[i]);
		if (!g_utf8_validate(d->lines[i], -1, NULL))
			fail("diagnostic not UTF-8", d->lines[i]);
	}
}

static void
check_result(const struct sieve_result *r)
{
	if (r->error != NULL && (r->nactions != 0 || !r->implicit_keep))
		fail("runtime error left actions", r->error);
	for (size_t i = 0; i < r->nactions; i++)
		if (r->actions[i].file == NULL || r->actions[i].line == 0)
			fail("action without a rule", NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct parse_opts po;

	(void)argc;
	(void)argv;
	setenv("G_SLICE", "always-malloc", 0);
	parse_init();
	parse_opts_default(&po);
	msg = parse_message(message, strlen(message), &po);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag d = { 0 };
	struct sieve_script *s;
	struct sieve_result r;
	struct sieve_view v = { .msg = msg, .env_from = "alice@example.com",
	    .env_to = "support@example.org", .is_new = true };

	s = sieve_compile("fuzz.sieve", (const char *)data, size, &d);
	check_diag(&d, s != NULL);
	conf_diag_clear(&d);
	if (s == NULL)
		return 0;
	sieve_result_init(&r);
	r.budget = 20000;
	sieve_eval(s, &v, &r);
	check_result(&r);
	(void)sieve_result_disposition(&r, NULL);
	sieve_result_clear(&r);
	sieve_free(s);
	return 0;
}

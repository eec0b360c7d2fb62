/* SPDX-License-Identifier: ISC */
/*
 * sieve-bench: what filter rules cost per delivered message.
 *
 *   sieve-bench [-n RULES]... [-r REPS] [MSGFILE]
 *
 * Writes a rule file of RULES rules (default 100) in a realistic mix --
 * header :contains/:matches/:regex, address and envelope parts, body,
 * size, allof/anyof/not -- that mostly do not match, as rules mostly do
 * not.  Then times compiling it (postdesk-deliver compiles the rules
 * once per process, so once per message) and evaluating it on one
 * message (built in, or MSGFILE), and prints one table row per -n.
 * The goal: compile + evaluate under 5% of a delivery (about 5 ms), so
 * under 250 us.  The best of REPS repetitions counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "filter.h"
#include "io.h"
#include "parse.h"
#include "sieve.h"

#define GOAL_US		250.0
#define MIN_PASS_NS	(100 * 1000 * 1000LL)
#define DEFAULT_REPS	5

static const char sample[] =
    "Return-Path: <customer17@example.com>\n"
    "Received: from mx3.example.com (mx3.example.com [192.0.2.17])\n"
    "\tby mail.example.org (Postfix) with ESMTPS id 4Tq00017Z\n"
    "\tfor <support@example.org>; Mon, 4 Mar 2024 10:17:59 +0100 (CET)\n"
    "Received: from [10.0.0.5] by mx3.example.com; Mon, 4 Mar 2024\n"
    "\t10:17:58 +0100\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s1; h=from:to;\n"
    "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA==\n"
    "From: \"Customer 17\" <customer17@Example.COM>\n"
    "To: Support <support@example.org>\n"
    "Cc: team@example.org, \"Ops\" <ops@example.org>\n"
    "Subject: Re: Order 4821 has not arrived yet\n"
    "Date: Mon, 4 Mar 2024 10:17:58 +0100\n"
    "Message-ID: <20240304101758.17@example.com>\n"
    "In-Reply-To: <pd.17.abc@example.org>\n"
    "References: <pd.17.abc@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "User-Agent: Mozilla Thunderbird\n"
    "\n"
    "Hello,\n\n"
    "my order 4821 still has not arrived.  The payment went through\n"
    "three days ago and the money was taken from my card, but the\n"
    "status does not change.  The tracking number does not work and\n"
    "the courier never called.  Please check what happened and tell\n"
    "me when it will be delivered; if it is lost, refund me or send\n"
    "it again.\n\n"
    "Thanks,\nCustomer 17\n\n"
    "> On Mon, 1 Mar 2024, Support wrote:\n"
    "> Thank you for your order.  It will ship within two days.\n"
    "> Your order number is 4821.\n";

static long long
now_ns(void)
{
	struct timespec ts;

	/* CPU time: what the rules cost, whatever else the machine runs. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Rule i of the mix. */
static void
rule(GString *s, unsigned i)
{
	switch (i % 10) {
	case 0:
		g_string_append_printf(s, "if header :contains \"subject\" "
		    "\"keyword%u\" { addtag \"k%u\"; }\n", i, i);
		break;
	case 1:
		g_string_append_printf(s, "if address :domain :is \"from\" "
		    "\"domain%u.example\" { priority \"high\"; }\n", i);
		break;
	case 2:
		g_string_append_printf(s, "if header :matches \"subject\" "
		    "\"*[[]Support #%u]*\" { addtag \"m%u\"; }\n", i, i);
		break;
	case 3:
		g_string_append_printf(s, "if anyof (header :is \"x-mailer\" "
		    "\"mailer%u\", exists \"x-list-%u\") { noack; }\n", i, i);
		break;
	case 4:
		g_string_append_printf(s, "if body :contains \"phrase number "
		    "%u\" { queue \"q%u\"; }\n", i, i);
		break;
	case 5:
		g_string_append_printf(s, "if header :regex \"subject\" "
		    "\"^(re|fwd?): order [0-9]+-%u$\" { addtag \"r%u\"; }\n",
		    i, i);
		break;
	case 6:
		g_string_append_printf(s, "if envelope :domain :is \"from\" "
		    "[\"a%u.example\", \"b%u.example\"] { discard; }\n", i, i);
		break;
	case 7:
		g_string_append_printf(s, "if size :over %uM { addtag "
		    "\"big\"; }\n", 10 + i);
		break;
	case 8:
		g_string_append_printf(s, "if allof (address :localpart :is "
		    "\"to\" \"support\", header :contains \"subject\" "
		    "\"word%u\") { assign \"agent%u\"; }\n", i, i);
		break;
	default:
		g_string_append_printf(s, "if not header :contains "
		    "\"received\" \"relay%u.example\" { addtag \"n%u\"; }\n",
		    i, i);
		break;
	}
}

static char *
rules_text(unsigned n)
{
	GString *s = g_string_new("require [\"vnd.postdesk\", \"envelope\", "
	    "\"body\", \"regex\"];\n");

	for (unsigned i = 0; i < n; i++)
		rule(s, i);
	return g_string_free(s, FALSE);
}

/* ns per call of one pass (compile or evaluate), best of reps. */
static double
time_compile(const char *text, int reps)
{
	long long best = -1;

	for (int r = 0; r < reps; r++) {
		long long t0 = now_ns(), n = 0;

		do {
			sieve_free(sieve_compile("bench.sieve", text,
			    strlen(text), NULL));
			n++;
		} while (now_ns() - t0 < MIN_PASS_NS);
		if (best < 0 || (now_ns() - t0) / n < best)
			best = (now_ns() - t0) / n;
	}
	return best;
}

static double
time_eval(const struct sieve_script *s, const struct sieve_view *v, int reps,
    size_t *nactions)
{
	struct sieve_result res;
	long long best = -1;

	for (int r = 0; r < reps; r++) {
		long long t0 = now_ns(), n = 0;

		do {
			sieve_result_init(&res);
			sieve_eval(s, v, &res);
			*nactions = res.nactions;
			sieve_result_clear(&res);
			n++;
		} while (now_ns() - t0 < MIN_PASS_NS);
		if (best < 0 || (now_ns() - t0) / n < best)
			best = (now_ns() - t0) / n;
	}
	return best;
}

static int
row(unsigned nrules, const struct msg *m, int reps)
{
	struct conf_diag d = { 0 };
	char *text = rules_text(nrules);
	struct sieve_script *s = sieve_compile("bench.sieve", text,
	    strlen(text), &d);
	struct sieve_view v;
	double c, e;
	size_t nact = 0;

	if (s == NULL) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.lines[i]);
		conf_diag_clear(&d);
		g_free(text);
		return -1;
	}
	filter_view(&v, m, "customer17@example.com", "support@example.org",
	    true);
	c = time_compile(text, reps) / 1000.0;
	e = time_eval(s, &v, reps, &nact) / 1000.0;
	printf("%6u  %10.1f  %11.1f  %9.1f  %8.0f  %7zu  %s\n", nrules, c, e,
	    c + e, GOAL_US, nact, c + e <= GOAL_US || nrules != 100 ?
	    "ok" : "OVER");
	sieve_free(s);
	g_free(text);
	return c + e <= GOAL_US || nrules != 100 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	unsigned counts[16], ncounts = 0;
	int ch, reps = DEFAULT_REPS, rc = 0;
	struct parse_opts po;
	const char *raw = sample;
	size_t len = sizeof(sample) - 1;
	char *buf = NULL;
	struct msg *m;

	while ((ch = getopt(argc, argv, "n:r:")) != -1) {
		if (ch == 'n' && ncounts < G_N_ELEMENTS(counts))
			counts[ncounts++] = (unsigned)strtoul(optarg, NULL, 10);
		else if (ch == 'r')
			reps = atoi(optarg) > 0 ? atoi(optarg) : DEFAULT_REPS;
		else {
			fprintf(stderr, "usage: sieve-bench [-n RULES]... "
			    "[-r REPS] [MSGFILE]\n");
			return 64;
		}
	}
	if (optind < argc && (raw = buf = io_read_path(argv[optind], 0,
	    &len)) == NULL)
		return 66;
	if (ncounts == 0)
		counts[ncounts++] = 100;
	parse_init();
	parse_opts_default(&po);
	m = parse_message(raw, len, &po);
	printf("Sieve rules per message (%zu bytes, %zu header fields; "
	    "goal: compile + evaluate <= %.0f us at 100 rules)\n", len,
	    m->nheaders, GOAL_US);
	printf("%6s  %10s  %11s  %9s  %8s  %7s\n", "RULES", "COMPILE us",
	    "EVALUATE us", "TOTAL us", "GOAL us", "ACTIONS");
	for (unsigned i = 0; i < ncounts; i++)
		if (row(counts[i], m, reps) != 0)
			rc = 1;
	msg_free(m);
	g_free(buf);
	return rc;
}

/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "authres.h"
#include "parse.h"
#include "tap.h"

static struct msg *
message(const char *header)
{
	struct parse_opts po;
	char *raw = g_strconcat(header, "From: Maria <maria@example.org>\n"
	    "To: support@example.org\nSubject: Re: [Support #42]\n"
	    "Message-ID: <r1@example.org>\n\nDone.\n", NULL);
	struct msg *m;

	parse_opts_default(&po);
	m = parse_message(raw, strlen(raw), &po);
	g_free(raw);
	return m;
}

static void
test_parse(void)
{
	struct authres a;

	is_int(authres_parse("mx.example.org;\n\tspf=pass "
	    "smtp.mailfrom=anna@example.com;\n\tdkim=pass header.d=example.com "
	    "header.s=sel1 header.b=Ab/+12;\n\tdmarc=pass (p=none dis=none) "
	    "header.from=example.com", &a), 0, "parse: three methods");
	is_str(a.authserv_id, "mx.example.org", "parse: authserv-id");
	is_int(a.n, 3, "parse: three results");
	is_str(a.v[0].method, "spf", "parse: spf");
	is_str(a.v[0].domain, "example.com", "parse: spf domain from mailfrom");
	is_str(authres_prop(&a.v[0], "smtp", "mailfrom"), "anna@example.com",
	    "parse: smtp.mailfrom value");
	is_str(authres_prop(&a.v[1], "header", "b"), "Ab/+12",
	    "parse: header.b with / and +");
	is_str(authres_result(&a, "dmarc"), "pass", "parse: dmarc result");
	ok(authres_result(&a, "arc") == NULL, "parse: no arc");
	authres_clear(&a);

	is_int(authres_parse("mx.example.org 1; none", &a), 0,
	    "parse: version and none");
	is_str(a.version, "1", "parse: version 1");
	ok(a.none && a.n == 0, "parse: none, no results");
	authres_clear(&a);

	is_int(authres_parse("mx.example.org (our (nested) mx); "
	    "DKIM/1 = Pass (good \\) sig) header . d = Example.COM "
	    "header.i=\"@example.com\"", &a), 0,
	    "parse: comments, CFWS around = and ., method version");
	ok(a.n == 1 && strcmp(a.v[0].method, "dkim") == 0 &&
	    strcmp(a.v[0].version, "1") == 0 &&
	    strcmp(a.v[0].result, "pass") == 0, "parse: dkim/1=pass");
	is_str(authres_prop(&a.v[0], "header", "d"), "Example.COM",
	    "parse: header.d as written");
	is_str(a.v[0].domain, "example.com", "parse: domain lower case");
	is_str(authres_prop(&a.v[0], "header", "i"), "@example.com",
	    "parse: quoted value");
	authres_clear(&a);

	is_int(authres_parse("\"mx.example.org\"; dkim=fail reason=\"bad "
	    "signature\" header.d=example.com header.b=AbC+/d==; spf=pass "
	    "smtp.mailfrom=\"john doe\"@example.com;", &a), 0,
	    "parse: quoted id, reason, padding, quoted local part, final ;");
	is_str(a.authserv_id, "mx.example.org", "parse: unquoted id");
	is_str(a.v[0].reason, "bad signature", "parse: reason");
	is_str(authres_prop(&a.v[0], "header", "b"), "AbC+/d==",
	    "parse: base64 padding kept");
	is_str(authres_prop(&a.v[1], "smtp", "mailfrom"),
	    "john doe@example.com", "parse: quoted local part");
	authres_clear(&a);

	is_int(authres_parse("mx.example.org; dmarc=pass action=none "
	    "header.from=example.com", &a), 0, "parse: bare key=value kept");
	is_str(authres_prop(&a.v[0], "", "action"), "none",
	    "parse: bare key as ptype \"\"");
	authres_clear(&a);
}

static void
test_malformed(void)
{
	static const char *const bad[] = {
		"", "   ", "(only a comment)", "spf=pass",
		"spf=pass smtp.mailfrom=example.com", "mx.example.org",
		"mx.example.org; spf", "mx.example.org; spf=",
		"mx.example.org; =pass", "mx.example.org (unterminated",
		"mx.example.org; dkim=pass header.d=\"unterminated",
		"mx.example.org; spf=pass foo", "mx.example.org; dkim=pass "
		"header.d=", "mx.example.org; sp f=pass",
		"mx.example.org) ; spf=pass", "mx.example.org; spf=pa/ss",
		"mx.example.org; dkim/x=pass", "mx.example.org; d.k=pass",
		"mx.example.org; spf=pass smtp.=x", "mx.example.org; ;=",
		"; spf=pass", "mx.example.org x; spf=pass",
	};
	struct authres a;
	char name[128];

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		snprintf(name, sizeof(name), "malformed: \"%s\"", bad[i]);
		ok(authres_parse(bad[i], &a) == -1 && a.authserv_id == NULL &&
		    a.n == 0, name);
		authres_clear(&a);
	}
}

static void
test_aligned(void)
{
	struct authres a;

	authres_parse("mx.example.org; dkim=fail header.d=example.org; "
	    "dkim=pass header.d=example.org; spf=pass "
	    "smtp.mailfrom=example.org", &a);
	is_str(authres_aligned_pass(&a, "example.org"), "dkim",
	    "aligned: any passing signature counts");
	is_str(authres_aligned_pass(&a, "EXAMPLE.ORG"), "dkim",
	    "aligned: case-insensitive");
	ok(authres_aligned_pass(&a, "sub.example.org") == NULL,
	    "aligned: a subdomain does not align");
	ok(authres_aligned_pass(&a, "example.com") == NULL,
	    "aligned: another domain");
	ok(authres_aligned_pass(&a, "") == NULL, "aligned: no domain");
	authres_clear(&a);
	authres_parse("mx.example.org; dkim=pass header.d=mailer.example; "
	    "dmarc=pass header.from=example.org; spf=pass "
	    "smtp.mailfrom=example.net", &a);
	is_str(authres_aligned_pass(&a, "example.org"), "dmarc",
	    "aligned: dmarc header.from");
	ok(authres_aligned_pass(&a, "example.net") == NULL,
	    "aligned: spf alone never");
	authres_clear(&a);
	authres_parse("mx.example.org; dmarc=pass header.d=example.org", &a);
	is_str(authres_aligned_pass(&a, "example.org"), "dmarc",
	    "aligned: old OpenDMARC's header.d");
	authres_clear(&a);
	authres_parse("mx.example.org; dmarc=pass header.from=evil.example "
	    "header.d=example.org", &a);
	ok(authres_aligned_pass(&a, "example.org") == NULL,
	    "aligned: header.d does not override header.from");
	authres_clear(&a);
	authres_parse("mx.example.org; dmarc=fail header.from=example.org; "
	    "dkim=neutral header.d=example.org", &a);
	ok(authres_aligned_pass(&a, "example.org") == NULL,
	    "aligned: no pass");
	authres_clear(&a);
}

static int
trusted(const char *header, const char *id, unsigned own, const char **pass)
{
	struct msg *m = message(header);
	struct authres a;
	int rc = authres_trusted_below(m, id, own, &a);

	*pass = rc == 0 ? authres_aligned_pass(&a, "example.org") : NULL;
	if (rc == -1 && (a.authserv_id != NULL || a.n != 0))
		rc = -2;	/* out not empty */
	authres_clear(&a);
	msg_free(m);
	return rc;
}

#define RCVD_OURS "Received: from mail.example.org by mx.example.org " \
	"(Postfix) with ESMTPS id 4AB; Mon, 4 Mar 2024 10:15:00 +0000\n"
#define RCVD_THEIRS "Received: from [10.0.0.5] by mail.example.org; " \
	"Mon, 4 Mar 2024 10:14:59 +0000\n"
#define AR_PASS "Authentication-Results: mx.example.org; dkim=pass " \
	"header.d=example.org\n"
#define AR_FAIL "Authentication-Results: mx.example.org; dkim=fail " \
	"header.d=example.org\n"

static void
test_trusted(void)
{
	const char *pass;

	is_int(trusted(AR_PASS RCVD_OURS RCVD_THEIRS, "mx.example.org", 0,
	    &pass), 0, "trusted: ours above the Received lines");
	is_str(pass, "dkim", "trusted: and it passes");
	is_int(trusted(RCVD_OURS AR_PASS RCVD_THEIRS, "mx.example.org", 0,
	    &pass), -1, "trusted: not below our Received line");
	is_int(trusted(RCVD_OURS AR_PASS RCVD_THEIRS, "mx.example.org", 1,
	    &pass), 0, "trusted below: one own Received line above it");
	is_int(trusted(RCVD_OURS RCVD_THEIRS AR_PASS, "mx.example.org", 1,
	    &pass), -1, "trusted below: not below the second");
	is_int(trusted(AR_FAIL RCVD_OURS AR_PASS RCVD_THEIRS,
	    "mx.example.org", 0, &pass), 0,
	    "trusted: ours on top, a forged pass below Received");
	ok(pass == NULL, "trusted: the forged pass is ignored");
	is_int(trusted("Authentication-Results: other.example; dkim=pass "
	    "header.d=example.org\n" AR_FAIL RCVD_OURS, "mx.example.org", 0,
	    &pass), 0, "trusted: another authserv-id on top is skipped");
	ok(pass == NULL, "trusted: and its pass does not count");
	is_int(trusted("Authentication-Results: mx.example.org; "
	    "dmarc=pass header.from=example.org\n" AR_FAIL RCVD_OURS,
	    "mx.example.org", 0, &pass), 0,
	    "trusted: two of ours above Received (DKIM and DMARC milters)");
	is_str(pass, "dmarc", "trusted: their results merge");
	is_int(trusted(AR_PASS "Authentication-Results: mx.example.org; "
	    "none\n" RCVD_OURS, "mx.example.org", 0, &pass), 0,
	    "trusted: a second one of ours saying none");
	is_str(pass, "dkim", "trusted: merging none keeps the first");
	is_int(trusted("Authentication-Results: MX.Example.ORG; spf=pass "
	    "smtp.mailfrom=example.org\n" RCVD_OURS, "mx.example.org", 0, &pass),
	    0, "trusted: authserv-id case-insensitive");
	is_int(trusted("Authentication-Results: other.example; dkim=pass "
	    "header.d=example.org\n" RCVD_OURS, "mx.example.org", 0, &pass), -1,
	    "trusted: an untrusted authserv-id");
	is_int(trusted("Authentication-Results: mx.example.org; dkim\n"
	    RCVD_OURS, "mx.example.org", 0, &pass), -1,
	    "trusted: malformed is ignored");
	is_int(trusted(AR_PASS RCVD_OURS, NULL, 0, &pass), -1,
	    "trusted: no trusted id configured");
	is_int(trusted(AR_PASS RCVD_OURS, "", 0, &pass), -1,
	    "trusted: empty trusted id");
	is_int(trusted(RCVD_OURS RCVD_THEIRS, "mx.example.org", 0, &pass), -1,
	    "trusted: none at all");
	is_int(trusted(AR_PASS, "mx.example.org", 0, &pass), 0,
	    "trusted: a message without Received lines");
}

static void
test_dmarc(void)
{
	struct authres a;

	authres_parse("mx.example.org; dmarc=fail header.from=evil.example; "
	    "dmarc=none header.from=Example.ORG; dmarc=fail "
	    "header.from=example.org", &a);
	is_str(authres_dmarc_result(&a, "example.org"), "none",
	    "dmarc: the first entry for the domain counts");
	is_str(authres_dmarc_result(&a, "evil.example"), "fail",
	    "dmarc: another domain's entry");
	ok(authres_dmarc_result(&a, "example.com") == NULL,
	    "dmarc: no entry for the domain");
	ok(authres_dmarc_result(&a, "") == NULL, "dmarc: no domain");
	authres_clear(&a);
	authres_parse("mx.example.org; dmarc=fail", &a);
	is_str(authres_dmarc_result(&a, "example.org"), "fail",
	    "dmarc: a failure naming no domain is the From domain's");
	authres_clear(&a);
	authres_parse("mx.example.org; dmarc=pass", &a);
	ok(authres_dmarc_result(&a, "example.org") == NULL,
	    "dmarc: a pass naming no domain is no aligned pass");
	authres_clear(&a);
	authres_parse("mx.example.org; dkim=pass header.d=example.org", &a);
	ok(authres_dmarc_result(&a, "example.org") == NULL,
	    "dmarc: dkim is not dmarc");
	authres_clear(&a);
}

int
main(void)
{
	parse_init();
	test_dmarc();
	test_parse();
	test_malformed();
	test_aligned();
	test_trusted();
	return tap_done();
}

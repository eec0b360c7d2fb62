/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "agent.h"
#include "conf.h"
#include "parse.h"
#include "tap.h"

/*
 * Who wrote a mail: every spoof case of the agents issue ends in
 * AGENT_UNVERIFIED (stored as a flagged internal note, no relay, no
 * command), the genuine ones in a verified verdict.  The tests prepend
 * the MTA's Authentication-Results themselves, as the MTA would.
 */

static struct conf *cf;
static const struct conf_agent *maria, *ivan;

#define RCVD "Received: from mail.example.org by mx.example.org " \
	"(Postfix) with ESMTPS id 4AB; Mon, 4 Mar 2024 10:15:00 +0000\n" \
	"Received: from [10.0.0.5] by mail.example.org; " \
	"Mon, 4 Mar 2024 10:14:59 +0000\n"
#define AR(results) "Authentication-Results: mx.example.org; " results "\n"
#define FROM_MARIA "From: Maria Ivanova <maria@example.org>\n"

static struct conf *
load(const char *text)
{
	char *dir = g_dir_make_tmp("test-agent.XXXXXX", NULL);
	char *path = g_build_filename(dir, "postdesk.conf", NULL);
	struct conf *c;

	g_file_set_contents(path, text, -1, NULL);
	c = conf_load(path, NULL);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
	return c;
}

static struct msg *
message(const char *header)
{
	struct parse_opts po;
	char *raw = g_strconcat(header, "To: support+t42.token@example.org\n"
	    "Subject: Re: [Support #42] Invoice\nMessage-ID: <r@example.org>\n"
	    "\n#status resolved\nDone.\n", NULL);
	struct msg *m;

	parse_opts_default(&po);
	m = parse_message(raw, strlen(raw), &po);
	g_free(raw);
	return m;
}

/* The verdict for header with token_for_agent, and which agent. */
static void
verdict(const char *name, const char *header, bool token,
    enum agent_verdict want, const struct conf_agent *want_agent)
{
	struct msg *m = message(header);
	const struct conf_agent *ag = (void *)&ag;
	enum agent_verdict v = agent_identify(cf, m, &ag, token);
	char *label = g_strdup_printf("%s: %s", name, agent_verdict_name(want));

	if (!ok(v == want && ag == want_agent, label))
		printf("#   got %s, agent %s\n", agent_verdict_name(v),
		    ag != NULL ? ag->address : "(none)");
	g_free(label);
	msg_free(m);
}

static void
test_genuine(void)
{
	verdict("reply to the signed address", FROM_MARIA RCVD, true,
	    AGENT_VERIFIED_TOKEN, maria);
	verdict("From case differs", "From: MARIA@Example.ORG\n" RCVD, true,
	    AGENT_VERIFIED_TOKEN, maria);
	verdict("aligned DKIM pass, domain opted in",
	    AR("dkim=pass header.d=example.org header.s=s1") FROM_MARIA RCVD,
	    false, AGENT_VERIFIED_AUTHRES, maria);
	verdict("aligned DMARC pass, domain opted in",
	    AR("spf=pass smtp.mailfrom=example.org; dmarc=pass (p=reject) "
	    "header.from=example.org") FROM_MARIA RCVD, false,
	    AGENT_VERIFIED_AUTHRES, maria);
	verdict("a customer", "From: Anna <anna@example.com>\n" RCVD, false,
	    AGENT_NOT_AGENT, NULL);
	verdict("a customer holding a token", "From: anna@example.com\n" RCVD,
	    true, AGENT_NOT_AGENT, NULL);
	verdict("a plus address is another address",
	    "From: maria+x@example.org\n" RCVD, true, AGENT_NOT_AGENT, NULL);
}

static void
test_spoofs(void)
{
	verdict("forged From without token", FROM_MARIA RCVD, false,
	    AGENT_UNVERIFIED, maria);
	/* The caller checked the token: it was Maria's, From is Ivan. */
	verdict("the agent's token used with another agent's From",
	    "From: ivan@partner.example\n" RCVD, false, AGENT_UNVERIFIED, ivan);
	/* The caller checked the token: Maria's, for another ticket. */
	verdict("a token for another ticket", FROM_MARIA RCVD, false,
	    AGENT_UNVERIFIED, maria);
	verdict("a failing Authentication-Results",
	    AR("dkim=fail header.d=example.org; dmarc=fail "
	    "header.from=example.org") FROM_MARIA RCVD, false,
	    AGENT_UNVERIFIED, maria);
	verdict("Authentication-Results from an untrusted authserv-id",
	    "Authentication-Results: mx.evil.example; dkim=pass "
	    "header.d=example.org\n" FROM_MARIA RCVD, false, AGENT_UNVERIFIED,
	    maria);
	verdict("forged trusted Authentication-Results below the MTA's",
	    AR("dkim=none") RCVD AR("dkim=pass header.d=example.org; "
	    "dmarc=pass header.from=example.org") FROM_MARIA, false,
	    AGENT_UNVERIFIED, maria);
	verdict("forged trusted Authentication-Results, the MTA added none",
	    RCVD AR("dkim=pass header.d=example.org") FROM_MARIA, false,
	    AGENT_UNVERIFIED, maria);
	verdict("DKIM pass for a domain not opted in",
	    AR("dkim=pass header.d=partner.example; dmarc=pass "
	    "header.from=partner.example") "From: ivan@partner.example\n" RCVD,
	    false, AGENT_UNVERIFIED, ivan);
	verdict("DKIM pass for another domain than From's",
	    AR("dkim=pass header.d=mailer.example") FROM_MARIA RCVD, false,
	    AGENT_UNVERIFIED, maria);
	verdict("SPF pass alone", AR("spf=pass smtp.mailfrom=example.org")
	    FROM_MARIA RCVD, false, AGENT_UNVERIFIED, maria);
	verdict("two From addresses, token or not",
	    "From: maria@example.org, mallory@evil.example\n" RCVD, true,
	    AGENT_UNVERIFIED, maria);
	verdict("two From headers", FROM_MARIA "From: mallory@evil.example\n"
	    RCVD, true, AGENT_UNVERIFIED, maria);
}

static void
test_automatic(void)
{
	struct msg *m = message(FROM_MARIA RCVD);
	const struct conf_agent *ag;
	char *saved;

	verdict("out-of-office reply with the token",
	    "Auto-Submitted: auto-replied\n" FROM_MARIA RCVD, true,
	    AGENT_AUTOMATIC, maria);
	verdict("automatic, with a DKIM pass",
	    AR("dkim=pass header.d=example.org") "Precedence: bulk\n"
	    FROM_MARIA RCVD, false, AGENT_AUTOMATIC, maria);
	ok(agent_identify_env(cf, m, "", &ag, true) == AGENT_AUTOMATIC &&
	    ag == maria, "null envelope sender: automatic");
	ok(agent_identify_env(cf, m, "maria@example.org", &ag, true) ==
	    AGENT_VERIFIED_TOKEN, "envelope sender given: token");
	msg_free(m);

	m = message(AR("dkim=pass header.d=example.org") FROM_MARIA RCVD);
	saved = cf->trusted_authserv;
	cf->trusted_authserv = NULL;
	ok(agent_identify(cf, m, &ag, false) == AGENT_UNVERIFIED,
	    "no trusted-authserv-id: no Authentication-Results counts");
	cf->trusted_authserv = saved;
	is_str(agent_authres_pass(cf, m, maria), "dkim",
	    "agent_authres_pass names the method");
	ok(agent_authres_pass(cf, m, ivan) == NULL,
	    "agent_authres_pass: not for another agent's domain");
	msg_free(m);
}

static void
test_conf(void)
{
	struct conf *c = load("trusted-authserv-id \"mx.example.org\"\n"
	    "trust-authres-domain \"Example.ORG\" \"b.example\"\n"
	    "trust-authres-domain \"example.org\"\n"
	    "queue \"s\" {\n\taddress \"s@example.org\"\n}\n");

	if (!ok(c != NULL, "conf: trust-authres-domain loads"))
		return;
	ok(g_strv_length(c->trust_authres_domains) == 2 &&
	    strcmp(c->trust_authres_domains[0], "example.org") == 0 &&
	    strcmp(c->trust_authres_domains[1], "b.example") == 0,
	    "conf: lower case, duplicates merged, in order");
	ok(!c->cut_signature, "conf: cut-signature defaults to no");
	conf_free(c);
	c = conf_default();
	ok(c->trust_authres_domains != NULL &&
	    *c->trust_authres_domains == NULL, "conf: default none");
	conf_free(c);
}

int
main(void)
{
	parse_init();
	cf = load("trusted-authserv-id \"mx.example.org\"\n"
	    "trust-authres-domain \"example.org\"\n"
	    "queue \"support\" {\n\taddress \"support@example.org\"\n}\n"
	    "agent \"maria@example.org\" name \"Maria Ivanova\"\n"
	    "agent \"ivan@partner.example\" name \"Ivan\"\n");
	if (cf == NULL) {
		ok(0, "config loads");
		return tap_done();
	}
	maria = conf_agent_find(cf, "maria@example.org");
	ivan = conf_agent_find(cf, "ivan@partner.example");
	test_genuine();
	test_spoofs();
	test_automatic();
	test_conf();
	ok(strcmp(agent_verdict_name(AGENT_VERIFIED_AUTHRES),
	    "verified-authres") == 0, "verdict name");
	conf_free(cf);
	return tap_done();
}

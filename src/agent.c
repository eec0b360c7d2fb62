/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <glib.h>

#include "agent.h"
#include "authres.h"
#include "classify.h"
#include "parse.h"

/* One From header holding one address: a list of authors cannot speak
 * for one agent. */
static bool
single_from(const struct msg *m)
{
	struct msg_addrs l = { 0 };
	size_t n;

	if (msg_header_nth(m, "From", 1) != NULL)
		return false;
	parse_addresses(msg_header(m, "From"), &l);
	n = l.n;
	for (size_t i = 0; i < l.n; i++) {
		g_free(l.v[i].name);
		g_free(l.v[i].address);
	}
	g_free(l.v);
	return n <= 1;
}

static bool
domain_trusted(const struct conf *cf, const char *domain)
{
	for (char **d = cf->trust_authres_domains; d != NULL && *d != NULL;
	    d++)
		if (g_ascii_strcasecmp(*d, domain) == 0)
			return true;
	return false;
}

const char *
agent_authres_pass(const struct conf *cf, const struct msg *m,
    const struct conf_agent *ag)
{
	const char *at = strrchr(ag->address, '@'), *method;
	struct authres ar;

	if (at == NULL || !domain_trusted(cf, at + 1) ||
	    authres_trusted(m, cf->trusted_authserv, &ar) == -1)
		return NULL;
	method = authres_aligned_pass(&ar, at + 1);
	authres_clear(&ar);
	return method;
}

enum agent_verdict
agent_identify_env(const struct conf *cf, const struct msg *m,
    const char *envelope_from, const struct conf_agent **agent,
    bool token_for_agent)
{
	const struct conf_agent *a = conf_agent_by_address(cf, m->from.address);

	*agent = a;
	if (a == NULL)
		return AGENT_NOT_AGENT;
	if (classify_auto(m, envelope_from) != NULL)
		return AGENT_AUTOMATIC;
	if (!single_from(m))
		return AGENT_UNVERIFIED;
	if (token_for_agent)
		return AGENT_VERIFIED_TOKEN;
	if (agent_authres_pass(cf, m, a) != NULL)
		return AGENT_VERIFIED_AUTHRES;
	return AGENT_UNVERIFIED;
}

enum agent_verdict
agent_identify(const struct conf *cf, const struct msg *m,
    const struct conf_agent **agent, bool token_for_agent)
{
	return agent_identify_env(cf, m, NULL, agent, token_for_agent);
}

const char *
agent_verdict_name(enum agent_verdict v)
{
	switch (v) {
	case AGENT_NOT_AGENT:
		return "not-agent";
	case AGENT_AUTOMATIC:
		return "automatic";
	case AGENT_UNVERIFIED:
		return "unverified";
	case AGENT_VERIFIED_TOKEN:
		return "verified-token";
	case AGENT_VERIFIED_AUTHRES:
		return "verified-authres";
	}
	return "unknown";
}

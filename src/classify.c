/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "classify.h"

static const char *const robots[] = {
	"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply",
	"donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces",
};

bool
classify_is_robot_address(const char *address)
{
	const char *at = strrchr(address, '@');
	size_t n = at != NULL ? (size_t)(at - address) : strlen(address);
	const char *plus = memchr(address, '+', n);

	if (plus != NULL)
		n = (size_t)(plus - address);
	for (size_t i = 0; i < G_N_ELEMENTS(robots); i++)
		if (strlen(robots[i]) == n &&
		    strncasecmp(address, robots[i], n) == 0)
			return true;
	return false;
}

static const char *
auto_submitted(const struct msg *m)
{
	const char *v = msg_header(m, "Auto-Submitted");
	size_t n = strcspn(v, " \t;(");

	if (*v == '\0' || (n == 2 && strncasecmp(v, "no", 2) == 0))
		return NULL;
	if (strncasecmp(v, "auto-replied", n) == 0 && n == 12)
		return "auto-submitted: auto-replied";
	if (strncasecmp(v, "auto-generated", n) == 0 && n == 14)
		return "auto-submitted: auto-generated";
	return "auto-submitted";
}

static const char *
precedence(const struct msg *m)
{
	const char *v = msg_header(m, "Precedence");

	if (strcasecmp(v, "bulk") == 0)
		return "precedence: bulk";
	if (strcasecmp(v, "list") == 0)
		return "precedence: list";
	if (strcasecmp(v, "junk") == 0)
		return "precedence: junk";
	return NULL;
}

const char *
classify_auto(const struct msg *m, const char *envelope_from)
{
	const char *why;

	if ((why = auto_submitted(m)) != NULL)
		return why;
	if ((why = precedence(m)) != NULL)
		return why;
	if (msg_header_nth(m, "List-Id", 0) != NULL)
		return "list-id";
	if (msg_header_nth(m, "List-Unsubscribe", 0) != NULL)
		return "list-unsubscribe";
	if (msg_header_nth(m, "X-Autoreply", 0) != NULL ||
	    msg_header_nth(m, "X-Autorespond", 0) != NULL)
		return "x-autoreply";
	if (envelope_from != NULL && *envelope_from == '\0')
		return "null sender";
	if (classify_is_robot_address(m->from.address) ||
	    (envelope_from != NULL && classify_is_robot_address(envelope_from)))
		return "robot sender";
	return NULL;
}

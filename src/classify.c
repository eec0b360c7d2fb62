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

/* An X-Loop value names us: "addr", "<addr>", "Name <addr>", or a list. */
static bool
loop_is_ours(const struct conf *cf, const char *value)
{
	char **v = g_strsplit(value, ",", -1);
	bool ours = false;

	for (char **p = v; *p != NULL && !ours; p++) {
		char *a = *p, *lt = strchr(a, '<'), *gt;

		if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
			*gt = '\0';
			a = lt + 1;
		}
		ours = conf_is_our_address(cf, g_strstrip(a));
	}
	g_strfreev(v);
	return ours;
}

const char *
classify_own(const struct msg *m, const struct conf *cf,
    const struct token_keys *keys)
{
	const char *v;
	int64_t ticket;

	for (size_t i = 0; (v = msg_header_nth(m, "X-Loop", i)) != NULL; i++)
		if (loop_is_ours(cf, v))
			return "carries our own X-Loop header";
	if (keys != NULL && token_message_id_check(keys, m->message_id,
	    &ticket))
		return "carries our own Message-ID";
	if (conf_is_our_address(cf, m->from.address))
		return "from one of our own addresses";
	return NULL;
}

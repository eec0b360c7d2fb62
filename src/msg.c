/* SPDX-License-Identifier: ISC */
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "msg.h"

static const char *const flag_names[MSG_F_COUNT] = {
	"no-message-id",
	"malformed-mime",
	"charset-detected",
	"undecodable",
	"junk-before-headers",
	"no-headers",
	"bad-date",
	"html-converted",
	"over-size-limit",
	"over-depth-limit",
	"over-part-limit",
	"over-header-limit",
	"control-chars-removed",
	"uuencoded",
	"encrypted",
	"message-id-conflict",
	"unparsed",
	"internal",
	"unverified-agent-mail",
};

struct msg *
msg_new(void)
{
	struct msg *m = g_new0(struct msg, 1);

	m->message_id = g_strdup("");
	m->date = -1;
	m->from.name = g_strdup("");
	m->from.address = g_strdup("");
	m->subject = g_strdup("");
	m->in_reply_to = g_strdup("");
	m->body_text = g_strdup("");
	m->body_html = g_strdup("");
	return m;
}

static void
addrs_clear(struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		g_free(a->v[i].name);
		g_free(a->v[i].address);
	}
	g_free(a->v);
}

static void
strs_clear(struct msg_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		g_free(s->v[i]);
	g_free(s->v);
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	g_free(m->message_id);
	g_free(m->from.name);
	g_free(m->from.address);
	addrs_clear(&m->to);
	addrs_clear(&m->cc);
	addrs_clear(&m->reply_to);
	g_free(m->subject);
	g_free(m->in_reply_to);
	strs_clear(&m->references);
	for (size_t i = 0; i < m->nheaders; i++) {
		g_free(m->headers[i].name);
		g_free(m->headers[i].value);
	}
	g_free(m->headers);
	g_free(m->body_text);
	g_free(m->body_html);
	for (size_t i = 0; i < m->nparts; i++) {
		g_free(m->parts[i].filename);
		g_free(m->parts[i].content_type);
		g_free(m->parts[i].content_id);
		g_free(m->parts[i].data);
	}
	g_free(m->parts);
	g_free(m);
}

const char *
msg_header_nth(const struct msg *m, const char *name, size_t n)
{
	for (size_t i = 0; i < m->nheaders; i++) {
		if (strcasecmp(m->headers[i].name, name) != 0)
			continue;
		if (n-- == 0)
			return m->headers[i].value;
	}
	return NULL;
}

const char *
msg_header(const struct msg *m, const char *name)
{
	const char *v = msg_header_nth(m, name, 0);

	return v != NULL ? v : "";
}

const char *
msg_flag_name(unsigned bit)
{
	for (unsigned i = 0; i < MSG_F_COUNT; i++)
		if (bit == 1u << i)
			return flag_names[i];
	return NULL;
}

unsigned
msg_flag_by_name(const char *name)
{
	for (unsigned i = 0; i < MSG_F_COUNT; i++)
		if (strcmp(flag_names[i], name) == 0)
			return 1u << i;
	return 0;
}

void
msg_addrs_add(struct msg_addrs *a, const char *name, const char *address)
{
	a->v = g_renew(struct msg_addr, a->v, a->n + 1);
	a->v[a->n].name = g_strdup(name);
	a->v[a->n].address = g_strdup(address);
	a->n++;
}

char *
msg_envelope_address(char *s)
{
	size_t n;

	g_strstrip(s);
	n = strlen(s);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
		g_strstrip(s);
	}
	return s;
}

void
msg_strs_add(struct msg_strs *s, const char *str)
{
	s->v = g_renew(char *, s->v, s->n + 1);
	s->v[s->n++] = g_strdup(str);
}

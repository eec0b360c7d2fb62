/* SPDX-License-Identifier: ISC */
#include <string.h>

#include <glib.h>

#include "lang.h"

/* The queue's own spelling of lang when it offers it, else NULL. */
static const char *
offered(const struct conf_queue *q, const char *lang)
{
	if (q->languages == NULL)
		return g_ascii_strcasecmp(q->language, lang) == 0 ?
		    q->language : NULL;
	for (char **l = q->languages; *l != NULL; l++)
		if (g_ascii_strcasecmp(*l, lang) == 0)
			return *l;
	return NULL;
}

/* The start of a text says what language it is in. */
#define GUESS_CHARS	4096

const char *
lang_guess(const char *text)
{
	size_t cyr = 0, latin = 0, seen = 0;
	bool russian = false;

	for (const char *p = text; *p != '\0' && seen++ < GUESS_CHARS;
	    p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (c >= 0x0400 && c <= 0x04ff) {
			cyr++;
			/* ы э ё (and capitals): Russian, never Bulgarian */
			russian = russian || c == 0x044b || c == 0x042b ||
			    c == 0x044d || c == 0x042d || c == 0x0451 ||
			    c == 0x0401;
		} else if (g_unichar_isalpha(c) && c < 0x0250)
			latin++;
	}
	if (cyr < 8 || cyr < latin)
		return NULL;
	return russian ? "ru" : "bg";
}

/* "bg-BG, en;q=0.5" -> each primary tag in order. */
static const char *
from_content_language(const struct conf_queue *q, const char *v)
{
	static char tag[16];
	char **tags = g_strsplit_set(v, ",", -1);
	const char *found = NULL;

	for (size_t i = 0; tags[i] != NULL && found == NULL; i++) {
		char *t = g_strstrip(tags[i]);
		size_t n = strcspn(t, "-_; ");

		if (n == 0 || n >= sizeof(tag))
			continue;
		memcpy(tag, t, n);
		tag[n] = '\0';
		found = offered(q, tag);
	}
	g_strfreev(tags);
	return found;
}

const char *
lang_pick(const struct conf_queue *q, const struct msg *m)
{
	const char *l;

	if (q == NULL)
		return "en";
	if ((l = from_content_language(q, msg_header(m, "Content-Language")))
	    != NULL)
		return l;
	if ((l = lang_guess(m->body_text)) == NULL)
		l = lang_guess(m->subject);
	if (l != NULL && offered(q, l) != NULL)
		return offered(q, l);
	return q->language;
}

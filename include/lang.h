/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_LANG_H
#define POSTDESK_LANG_H

#include "conf.h"
#include "msg.h"

/*
 * The language to answer a customer in: the first Content-Language tag
 * the queue offers; else what the text looks like (Cyrillic without ы,
 * э or ё is Bulgarian, with them Russian) when the queue offers it; else
 * the queue's default.  Static storage or the queue's own strings.
 */
const char	*lang_pick(const struct conf_queue *, const struct msg *);

/* Guess from text alone: "bg", "ru" or NULL. */
const char	*lang_guess(const char *text);

#endif

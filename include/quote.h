/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_QUOTE_H
#define POSTDESK_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The new text of a reply: what its writer added, without the history
 * their mail client quoted.  Pure: text in, text out.
 */

/* The line our notifications carry above the quoted history.  Any line
 * of the form "##- ... -##" counts as the marker (translated templates),
 * also when quoted ("> ##- ...") or bold ("*##- ... -##*"). */
#define QUOTE_MARKER	"##- Reply above this line -##"

/*
 * The new text of body (UTF-8; LF or CRLF line ends; invalid UTF-8 is
 * repaired first).  Cut, in this order:
 *
 *  1. everything from the marker line down, and the attribution line
 *     ("On ... wrote:") right above it.  When the marker is quoted and
 *     nothing but quotes and the attribution stand above it, the writer
 *     answered below the quote: the text after that quoted block counts.
 *  2. Outlook's header block ("-----Original Message-----", or a
 *     "From:" line followed by "Sent:"/"Date:"/"To:" and "Subject:",
 *     labels in en, de, bg, fr, es, it, nl, pl, pt, ru, with or without
 *     a "____" separator line above) and everything below it; not a
 *     forwarded message's header block.
 *  3. repeatedly, at the end: a trailing block of ">"-quoted lines and
 *     the attribution line(s) above it (en, bg, ru, de, fr, es, it, nl,
 *     pl, pt, also wrapped over two lines); and a trailing unquoted block
 *     right after an attribution line when it repeats one of the sent
 *     texts (an HTML reply whose quote lost its ">").  Quotes between
 *     answers (interleaved replies) stay, and so does a quoted block
 *     that starts as a forwarded message.
 *  4. with cut_signature, the last "-- " line and everything below it,
 *     then step 3 again.
 *
 * sent: the bodies of the messages we sent on this ticket (nsent of
 * them, NULL entries skipped; sent may be NULL when nsent is 0).  A
 * trailing quote that repeats one of them (compared with quote marks
 * removed and white space folded) is certainly history.
 *
 * Conservative: a cut that only a heuristic suggests (2, 3, 4) is not
 * made when it would leave no text; only the marker or a repeat of a
 * sent text can make the result empty.
 *
 * Returns the kept lines, each ending in "\n", without trailing blank
 * lines: "" when nothing is left.  Never NULL; g_free() it.
 */
char	*quote_new_text(const char *body, const char *const *sent,
	    size_t nsent, bool cut_signature);

/* Is line the marker line (see QUOTE_MARKER)? */
bool	 quote_is_marker(const char *line);

#endif

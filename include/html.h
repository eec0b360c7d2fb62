/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_HTML_H
#define POSTDESK_HTML_H

#include <stddef.h>

/*
 * HTML to readable plain text with libxml2's HTML parser (this module
 * owns libxml2).  Block elements and <br> become line breaks (<p>,
 * headings, lists, <pre> a blank line around), list items keep a bullet
 * ("- " or "1. ", nested lists indented), table rows become lines with
 * TAB between cells, links become "text <url>" (just the text when it
 * equals the url or the url is empty, "#" or javascript:), entities are
 * decoded (&nbsp; to a space that is not folded), script, style, head,
 * title, noscript and template are dropped, runs of white space are
 * folded except in <pre>, at most one blank line in a row, no blank
 * lines at either end, no blanks at line ends.  Input is UTF-8 whatever
 * a <meta> says.  Returns newly allocated UTF-8 (free with g_free), ""
 * for empty input; never NULL.
 */
char	*html_to_text(const char *html, size_t len);

/* Called once at start-up (initialises libxml2, silences its error
 * output); html_to_text() works without it too. */
void	 html_init(void);

/* "libxml2 2.9.14": the library version for --version; static. */
const char *html_lib_version(void);

#endif

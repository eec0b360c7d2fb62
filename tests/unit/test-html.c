/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "html.h"
#include "tap.h"

static void
conv(const char *html, const char *want, const char *name)
{
	char	*s = html_to_text(html, strlen(html));

	is_str(s, want, name);
	g_free(s);
}

static void
test_blocks(void)
{
	conv("<p>One</p><p>Two</p>", "One\n\nTwo", "paragraphs");
	conv("<html><body>\n  <p>\n  Hello,\n  world  </p>\n</body></html>",
	    "Hello, world", "white space folded");
	conv("line one<br>line two<br/>line three", "line one\nline two\n"
	    "line three", "br");
	conv("a<br><br><br><br>b", "a\n\nb", "at most one blank line");
	conv("<div>a</div><div>b</div>text", "a\nb\ntext", "divs");
	conv("<h1>Title</h1>body<hr>end", "Title\n\nbody\n\nend",
	    "heading and hr");
	conv("<p>\n\n</p><br><div> </div><p>x</p><br><br>", "x",
	    "blank lines trimmed at both ends");
	conv("<b>bold</b><i>italic</i> <span>span</span>",
	    "bolditalic span", "inline elements join");
	conv("<blockquote>quoted</blockquote>after", "quoted\n\nafter",
	    "blockquote");
	conv("<dl><dt>term</dt><dd>meaning</dd></dl>", "term\nmeaning",
	    "definition list");
}

static void
test_lists(void)
{
	conv("<ul><li>apple</li><li>pear</li></ul>", "- apple\n- pear",
	    "unordered list");
	conv("<p>Steps:</p><ol><li>open</li><li>click</li><li>close</li>"
	    "</ol><p>Done</p>", "Steps:\n\n1. open\n2. click\n3. close\n\n"
	    "Done", "ordered list");
	conv("<ol start=\"4\"><li>four<li>five</ol>", "4. four\n5. five",
	    "ordered list with start, unclosed items");
	conv("<ul><li>a<ul><li>a1</li><li>a2</li></ul></li><li>b</li></ul>",
	    "- a\n  - a1\n  - a2\n- b", "nested lists indent");
	conv("<ol><li>x<ul><li>y</li></ul></li><li>z</li></ol>",
	    "1. x\n  - y\n2. z", "ordered keeps counting around a nested list");
}

static void
test_links(void)
{
	conv("See <a href=\"https://example.com/help\">the help page</a>.",
	    "See the help page <https://example.com/help>.", "link with text");
	conv("<a href=\"https://example.com/\">https://example.com/</a>",
	    "https://example.com/", "link text equals url");
	conv("<a href=\"mailto:help@example.com\">help@example.com</a>",
	    "help@example.com", "mailto link text equals address");
	conv("<a href=\"#\">top</a> <a href=\"javascript:void(0)\">x</a> "
	    "<a href=\"\">y</a> <a>z</a>", "top x y z",
	    "links without a useful url");
	conv("<a href=\" https://example.com/a \"><img src=\"x.png\"></a>",
	    "<https://example.com/a>", "link without text");
}

static void
test_entities(void)
{
	conv("Tom &amp; Jerry", "Tom & Jerry", "&amp;");
	conv("a&nbsp;b&nbsp;&nbsp;c", "a b  c", "&nbsp; is a kept space");
	conv("caf&eacute; &lt;tag&gt; &quot;q&quot;",
	    "caf\303\251 <tag> \"q\"", "named entities");
	conv("&#1073;&#x431; &#8364;", "\320\261\320\261 \342\202\254",
	    "numeric entities");
	conv("\320\237\321\200\320\270\320\262\320\265\321\202 "
	    "\344\270\226\347\225\214", "\320\237\321\200\320\270\320\262"
	    "\320\265\321\202 \344\270\226\347\225\214", "utf-8 text");
	conv("<meta charset=\"windows-1251\"><p>\320\261</p>",
	    "\320\261", "input is utf-8 whatever meta says");
}

static void
test_dropped(void)
{
	conv("<html><head><title>T</title><style>p { color: red }</style>"
	    "</head><body><p>shown</p><script>alert('x')</script>"
	    "<noscript>no js</noscript></body></html>", "shown",
	    "head, title, style, script, noscript dropped");
	conv("a<!-- comment -->b<template>t</template>c", "abc",
	    "comments and templates dropped");
	conv("<p>x<script>if (a < b && c > d) {}</script>y</p>", "xy",
	    "script with markup characters");
}

static void
test_tables(void)
{
	conv("<table><tr><th>Name</th><th>Qty</th></tr>"
	    "<tr><td>Apple</td><td>3</td></tr></table>",
	    "Name\tQty\nApple\t3", "table rows and cells");
	conv("<table><tr><td>a<table><tr><td>b</td><td>c</td></tr>"
	    "<tr><td>d</td></tr></table></td><td>e</td></tr>"
	    "<tr><td>f</td><td>g</td></tr></table>",
	    "a\nb\tc\nd\ne\nf\tg", "nested tables");
}

static void
test_pre(void)
{
	conv("<p>code:</p><pre>  if (x)\n      y();\n\tz;</pre>after",
	    "code:\n\n  if (x)\n      y();\n\tz;\n\nafter",
	    "pre keeps white space");
	conv("<pre>a  <b>b</b>  c</pre>", "a  b  c", "pre with inline markup");
}

static void
test_broken(void)
{
	/* A div cannot sit in a p: the p ends before it. */
	conv("<p>one<p>two<div>three", "one\n\ntwo\n\nthree",
	    "unclosed blocks");
	conv("<b>bold <i>both</b> italic</i> text", "bold both italic text",
	    "misnested inline");
	conv("<ul><li>a<li>b", "- a\n- b", "unclosed list");
	conv("text <a href=\"x\">link", "text link <x>", "unclosed link");
	conv("<p>a</p></div></span></p>b", "a\n\nb", "stray end tags");
	conv("a < b and c > d &&; x", "a < b and c > d &&; x",
	    "bare < > & stay text");
	conv("<p", "", "cut tag");
}

static void
test_empty(void)
{
	conv("", "", "empty input");
	conv("   \n\t ", "", "white space only");
	conv("<html><body></body></html>", "", "empty body");
	conv("<script>only</script>", "", "script only");
}

/* Deeper than any recursion would survive. */
static void
test_deep(void)
{
	GString	*g = g_string_new(NULL);
	char	*s;
	int	 i;

	g_string_append(g, "top");
	for (i = 0; i < 100000; i++)
		g_string_append(g, "<div><span>");
	g_string_append(g, "deep");
	s = html_to_text(g->str, g->len);
	/* libxml2 puts leading text into an implied <p>. */
	is_str(s, "top\n\ndeep", "100000 levels deep");
	g_free(s);
	g_string_free(g, TRUE);
}

static void
test_version(void)
{
	const char	*v = html_lib_version();

	ok(g_str_has_prefix(v, "libxml2 2."), "version names libxml2");
}

int
main(void)
{
	html_init();
	test_blocks();
	test_lists();
	test_links();
	test_entities();
	test_dropped();
	test_tables();
	test_pre();
	test_broken();
	test_empty();
	test_deep();
	test_version();
	return tap_done();
}

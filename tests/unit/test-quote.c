/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "quote.h"
#include "tap.h"

/* The way each client quotes our notification; sent texts given where
 * the test is about them. */

static void
check(const char *name, const char *body, const char *want)
{
	char *got = quote_new_text(body, NULL, 0, false);

	is_str(got, want, name);
	g_free(got);
}

static void
check_sent(const char *name, const char *body, const char *sent,
    const char *want)
{
	const char *v[] = { "Some other mail we sent.\n", NULL, sent };
	char *got = quote_new_text(body, v, 3, false);

	is_str(got, want, name);
	g_free(got);
}

static void
check_sig(const char *name, const char *body, const char *want)
{
	char *got = quote_new_text(body, NULL, 0, true);

	is_str(got, want, name);
	g_free(got);
}

static const char notification[] =
    "##- Reply above this line -##\n"
    "\n"
    "Ticket #42: Invoice missing\n"
    "Status: open, priority: normal, requester: Anna Petrova\n"
    "\n"
    "Anna Petrova wrote:\n"
    "I did not get my invoice for February.\n";

static void
test_clients(void)
{
	check("thunderbird, marker quoted below the attribution",
	    "Hello Anna,\n\nthe invoice is attached.\n\nMaria\n\n"
	    "On 04.03.24 10:15, Anna Petrova via Support wrote:\n"
	    "> ##- Reply above this line -##\n>\n> Ticket #42: Invoice missing\n"
	    "> Status: open\n>\n> Anna Petrova wrote:\n"
	    "> > I did not get my invoice for February.\n",
	    "Hello Anna,\n\nthe invoice is attached.\n\nMaria\n");
	check("outlook, separator and header block above the marker",
	    "Hi Anna, done.\r\n\r\nBest regards\r\nMaria\r\n\r\n"
	    "________________________________\r\n"
	    "From: Anna Petrova via Support <support@example.org>\r\n"
	    "Sent: Monday, March 4, 2024 10:15 AM\r\n"
	    "To: Maria Ivanova <maria@example.org>\r\n"
	    "Subject: [Support #42] Invoice missing\r\n\r\n"
	    "##- Reply above this line -##\r\n\r\nTicket #42\r\n",
	    "Hi Anna, done.\n\nBest regards\nMaria\n");
	check("outlook with only an attachment: nothing above the marker",
	    "________________________________\n"
	    "From: Support <support@example.org>\nSent: Monday\n"
	    "To: Maria\nSubject: [Support #42] Invoice\n\n"
	    "##- Reply above this line -##\nTicket #42\n", "");
	check("gmail, attribution wrapped over two lines",
	    "Thanks, that fixed it.\n\n"
	    "On Mon, Mar 4, 2024 at 10:15 AM Support Team of Example "
	    "Corporation <\nsupport@example.org> wrote:\n\n"
	    "> Hello Anna,\n>\n> please restart the router.\n>\n",
	    "Thanks, that fixed it.\n");
	check("apple mail, attribution inside the quote",
	    "Perfect, thank you!\n\nSent from my iPhone\n\n"
	    "> On 4 Mar 2024, at 10:15, Support <support@example.org> wrote:\n"
	    "> \n> ##- Reply above this line -##\n> \n> Ticket #42\n",
	    "Perfect, thank you!\n\nSent from my iPhone\n");
	check("gmail, marker quoted after a blank line",
	    "Sure, done.\n\nOn Mon, Mar 4, 2024 at 10:15 AM Support "
	    "<support@example.org> wrote:\n\n> ##- Reply above this line -##\n"
	    "> Ticket #42\n", "Sure, done.\n");
	check("outlook flattened from HTML: header on one line",
	    "Ok.\n\nFrom: Support <support@example.org> Sent: Monday, March 4, "
	    "2024 10:15 To: Anna Subject: Invoice\nold text\n", "Ok.\n");
	check("outlook from HTML with bold labels",
	    "Thanks.\n\n*From:* Support <support@example.org>\n"
	    "*Sent:* Monday, March 4, 2024 10:15\n*To:* Anna\n"
	    "*Subject:* Invoice\n\nold text\n", "Thanks.\n");
	check("no quote at all: unchanged but for trailing blank lines",
	    "Just a question:\nwhere is my invoice?\n\n\n",
	    "Just a question:\nwhere is my invoice?\n");
	check("empty body", "", "");
	check("only the marker", "##- Reply above this line -##\n", "");
}

static void
test_languages(void)
{
	check("bg: gmail attribution",
	    "Благодаря!\n\nНа пн, 4.03.2024 г. в 10:15 ч. Support "
	    "<support@example.org> написа:\n\n> Здравейте,\n> рестартирайте.\n",
	    "Благодаря!\n");
	check("bg: outlook header block",
	    "Благодаря, получих я.\n\nОт: Support <support@example.org>\n"
	    "Изпратено: понеделник, 4 март 2024 г. 10:15\n"
	    "До: Анна Петрова <anna@example.bg>\n"
	    "Относно: [Support #42] Липсваща фактура\n\nЗдравейте,\n",
	    "Благодаря, получих я.\n");
	check("ru: thunderbird пишет",
	    "Спасибо, работает.\n\n04.03.2024 10:15, Support пишет:\n"
	    "> Здравствуйте,\n", "Спасибо, работает.\n");
	check("ru: написал(а)",
	    "Спасибо.\n\n4 марта 2024 г., в 10:15, Мария Иванова написал(а):\n"
	    "> Добрый день\n", "Спасибо.\n");
	check("ru: gmail without a verb",
	    "Спасибо!\n\nпн, 4 мар. 2024 г. в 10:15, Support "
	    "<support@example.org>:\n\n> Здравствуйте\n", "Спасибо!\n");
	check("ru: wrapped attribution",
	    "Готово.\n\n04.03.2024 10:15, Служба поддержки компании Пример\n"
	    "пишет:\n> Здравствуйте\n", "Готово.\n");
	check("de: thunderbird",
	    "Vielen Dank!\n\nAm 04.03.24 um 10:15 schrieb Support:\n"
	    "> Hallo Anna,\n", "Vielen Dank!\n");
	check("de: gmail wrapped",
	    "Danke.\n\nAm Mo., 4. März 2024 um 10:15 Uhr schrieb Support Team <\n"
	    "support@example.org>:\n\n> Hallo\n", "Danke.\n");
	check("de: outlook original message",
	    "Danke!\n\n-----Ursprüngliche Nachricht-----\n"
	    "Von: Support <support@example.org>\n"
	    "Gesendet: Montag, 4. März 2024 10:15\nAn: Anna\n"
	    "Betreff: Rechnung\n\nHallo Anna,\n", "Danke!\n");
	check("fr: a écrit with a no-break space",
	    "Merci beaucoup.\n\nLe lun. 4 mars 2024 à 10:15, Support "
	    "<support@example.org> a écrit\xc2\xa0:\n\n> Bonjour,\n",
	    "Merci beaucoup.\n");
	check("de: mulberry, dashes and wrapped",
	    "Danke.\n\n--Am Montag, 26. Mai 2003 18:41 Uhr +0200 schrieb "
	    "Dirk Pape \n<pape@example.org>:\n\n> Hallo\n", "Danke.\n");
	check("es: escribió",
	    "Gracias.\n\nEl lun, 4 mar 2024 a las 10:15, Support "
	    "(<support@example.org>) escribió:\n> Hola\n", "Gracias.\n");
	check("it: ha scritto",
	    "Grazie.\n\nIl giorno lun 4 mar 2024 alle ore 10:15 Support "
	    "<support@example.org> ha scritto:\n> Ciao\n", "Grazie.\n");
	check("nl: schreef",
	    "Bedankt.\n\nOp ma 4 mrt 2024 om 10:15 schreef Support "
	    "<support@example.org>:\n> Hallo\n", "Bedankt.\n");
	check("pl: napisał(a)",
	    "Dziękuję.\n\npon., 4 mar 2024 o 10:15 Support "
	    "<support@example.org> napisał(a):\n> Dzień dobry\n", "Dziękuję.\n");
	check("pt: escreveu",
	    "Obrigado.\n\nEm seg., 4 de mar. de 2024 às 10:15, Support "
	    "<support@example.org> escreveu:\n> Olá\n", "Obrigado.\n");
}

static void
test_interleaved(void)
{
	check("interleaved answers stay, the trailing quote goes",
	    "Hi,\n\nOn 04.03.24 10:15, Support wrote:\n"
	    "> Which model is it?\nIt's the X200.\n\n"
	    "> Since when does it happen?\nSince Monday.\n\n"
	    "> Best regards,\n> Support\n",
	    "Hi,\n\nOn 04.03.24 10:15, Support wrote:\n"
	    "> Which model is it?\nIt's the X200.\n\n"
	    "> Since when does it happen?\nSince Monday.\n");
	check("answered below the quoted notification",
	    "On 04.03.24 10:15, Support wrote:\n"
	    "> ##- Reply above this line -##\n> Ticket #42\n\n"
	    "Sorry, I answer below: it works now.\n",
	    "Sorry, I answer below: it works now.\n");
	check("answered between the quoted notification's lines",
	    "On 04.03.24 10:15, Support wrote:\n> ##- Reply above this line -##\n"
	    "> Which model?\nThe X200.\n> Thanks\n", "The X200.\n");
}

static void
test_sent(void)
{
	const char *reply =
	    "On Mon, Mar 4, 2024 at 10:15 AM Support <support@example.org> "
	    "wrote:\n> Hello Anna,\n>\n> please restart\n> the router.\n";
	const char *html_reply =
	    "Thanks!\n\nOn Mon, Mar 4, 2024 at 10:15 AM Support "
	    "<support@example.org> wrote:\nHello Anna,\n"
	    "please restart the router.\n";
	const char *sent = "Hello Anna,\n\nplease restart the\nrouter.\n";

	check_sent("a quote of our mail and nothing else: empty", reply, sent,
	    "");
	check("the same without the sent texts: kept (conservative)", reply,
	    reply);
	check_sent("HTML reply whose quote lost its marks", html_reply, sent,
	    "Thanks!\n");
	check("the same without the sent texts: kept", html_reply, html_reply);
	check_sent("a quote that is not ours is cut as a quote",
	    "Yes.\n\nOn Mon, Mar 4, 2024 at 10:15 AM Bob <bob@example.com> "
	    "wrote:\n> something else\n", sent, "Yes.\n");
	check_sent("our text repeated by the writer without quote marks and "
	    "attribution stays",
	    "As we said:\nplease restart the router.\n", sent,
	    "As we said:\nplease restart the router.\n");
}

static void
test_signature(void)
{
	check_sig("signature cut when asked",
	    "Done.\n\n-- \nMaria Ivanova\nSupport\n", "Done.\n");
	check("signature kept otherwise",
	    "Done.\n\n-- \nMaria Ivanova\n", "Done.\n\n-- \nMaria Ivanova\n");
	check_sig("only a signature: kept",
	    "-- \nMaria Ivanova\n", "-- \nMaria Ivanova\n");
	check_sig("signature below the quote",
	    "Done.\n\nOn 04.03.24 10:15, Support wrote:\n> q\n\n-- \nMaria\n",
	    "Done.\n");
	check_sig("\"--\" without the space is no signature",
	    "Done.\n--\nMaria\n", "Done.\n--\nMaria\n");
}

static void
test_false_positives(void)
{
	check("a lone quote with an attribution-like line stays",
	    "Please see what you wrote:\n> I can't log in\n",
	    "Please see what you wrote:\n> I can't log in\n");
	check("only a quote stays", "> quoted only\n", "> quoted only\n");
	check("a header block without text above stays",
	    "From: Maria\nSent: today\nSubject: hi\n",
	    "From: Maria\nSent: today\nSubject: hi\n");
	check("a forwarded message stays",
	    "See below.\n\n---------- Forwarded message ---------\n"
	    "From: Supplier <s@example.com>\nDate: Mon, 4 Mar 2024\n"
	    "Subject: Delivery\nTo: Maria <maria@example.org>\n\n"
	    "The parts ship Friday.\n",
	    "See below.\n\n---------- Forwarded message ---------\n"
	    "From: Supplier <s@example.com>\nDate: Mon, 4 Mar 2024\n"
	    "Subject: Delivery\nTo: Maria <maria@example.org>\n\n"
	    "The parts ship Friday.\n");
	check("an apple forward stays",
	    "FYI\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\n"
	    "Subject: x\nDate: 4 March 2024\nTo: B <b@example.com>\n\nBody\n",
	    "FYI\n\nBegin forwarded message:\n\nFrom: A <a@example.com>\n"
	    "Subject: x\nDate: 4 March 2024\nTo: B <b@example.com>\n\nBody\n");
	check("a From: line inside a paragraph is no header block",
	    "Ok\nFrom: me\nTo: you\nSubject: x\n",
	    "Ok\nFrom: me\nTo: you\nSubject: x\n");
	check("a last line starting with On is not part of the attribution",
	    "Thanks.\nOn my side it works.\nMaria wrote:\n> q\n",
	    "Thanks.\nOn my side it works.\n");
	check("a quoted forwarded message stays",
	    "Forwarded, see below.\n\n> ------ Forwarded Message\n"
	    "> From: Xxx <x@example.com>\n> Subject: test\n>\n> Body\n",
	    "Forwarded, see below.\n\n> ------ Forwarded Message\n"
	    "> From: Xxx <x@example.com>\n> Subject: test\n>\n> Body\n");
	check("a '#' heading is no marker", "## Steps ##\n1. x\n",
	    "## Steps ##\n1. x\n");
}

static void
test_marker(void)
{
	ok(quote_is_marker(QUOTE_MARKER), "marker: the marker");
	ok(quote_is_marker("> > ##- Reply above this line -##  "),
	    "marker: quoted twice, trailing blanks");
	ok(quote_is_marker("*##- Reply above this line -##*"),
	    "marker: bold");
	ok(quote_is_marker("##- Пишете над този ред -##"),
	    "marker: translated");
	ok(!quote_is_marker("## heading"), "marker: not a heading");
	ok(!quote_is_marker("##- started but not ended"),
	    "marker: not unterminated");
	ok(!quote_is_marker(""), "marker: not empty");
}

static void
test_robust(void)
{
	char *got = quote_new_text("caf\xc3\n> \xff\xfe quoted\n", NULL, 0,
	    false);
	GString *big = g_string_new(NULL);

	ok(g_utf8_validate(got, -1, NULL), "invalid UTF-8 is repaired");
	g_free(got);
	for (int i = 0; i < 20000; i++)
		g_string_append(big, i % 3 == 0 ? "> q\n" : "On x wrote:\n");
	got = quote_new_text(big->str, NULL, 0, true);
	ok(got != NULL, "a large body of quotes and attributions");
	g_free(got);
	g_string_free(big, TRUE);
	got = quote_new_text(notification, NULL, 0, false);
	is_str(got, "", "our own notification is all history");
	g_free(got);
}

int
main(void)
{
	test_clients();
	test_languages();
	test_interleaved();
	test_sent();
	test_signature();
	test_false_positives();
	test_marker();
	test_robust();
	return tap_done();
}

# out-of-office.sieve: never acknowledge an automatic reply.
#
# An out-of-office answer to our acknowledgement must not get another
# acknowledgement (two robots would write to each other).  postdesk
# already recognises mail marked "Auto-Submitted" (RFC 3834); this
# catches the autoresponders that do not mark their mail, by their
# headers and by their Subject, in English and in Bulgarian.  The mail
# still joins its ticket, tagged "auto-reply", so that an agent sees
# that the customer is away.
require ["vnd.postdesk"];

if anyof (header :contains "Auto-Submitted" "auto-replied",
          exists ["X-Autoreply", "X-Autorespond"],
          header :matches "Subject" ["Out of office*", "*Out of the office*",
                                     "Automatic reply*", "Autoreply*",
                                     "Автоматичен отговор*",
                                     "Извън офиса*", "Отсъствам*"]) {
	noack;
	addtag "auto-reply";
	stop;
}

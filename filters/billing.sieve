# billing.sieve: invoices and payments go to the billing queue.
#
# Words about money in the Subject, in English and in Bulgarian, route
# the ticket to the queue "billing" (it must be defined in
# postdesk.conf: "postdesk check" says so when it is not).  Name this
# file in the block of the queue whose mail it sorts:
#
#     queue "support" {
#         address "support@example.org"
#         filter "/etc/postdesk/filters/billing.sieve"
#     }
#
# :regex searches anywhere in the decoded Subject; the default
# comparator, i;ascii-casemap, makes it ignore case, for Cyrillic too.
# Stems catch the word forms: "фактур" is фактура, фактури, фактурата;
# "плащан" is плащане, плащания; "сметк" is сметка, сметки;
# "разписк" is разписка (a receipt).
require ["vnd.postdesk", "regex", "body"];

if header :regex "subject" ["invoice", "payment", "billing", "receipt",
                            "refund", "фактур", "плащан", "сметк",
                            "разписк", "проформ"] {
	queue "billing";
	addtag "billing";
	stop;
}

# No money word in the Subject, but the text quotes an invoice number
# ("Invoice No. 1234", "фактура № 1234"): the same.
if body :regex "(invoice|фактура) *(no[.]?|№|#) *[0-9]+" {
	queue "billing";
	addtag "billing";
}

# spam.sieve: mail that the spam filter in front of postdesk flagged.
#
# SpamAssassin (and rspamd in its SpamAssassin-compatible mode) marks
# spam with "X-Spam-Flag: YES" and writes its score in "X-Spam-Level"
# as a row of stars, one per point.  Name this file at the top level of
# postdesk.conf, before the other rules:
#
#     filter "/etc/postdesk/filters/spam.sieve"
#
# Trust these headers only when your own MTA writes them (and removes
# any that came with the mail).
require ["vnd.postdesk"];

# Sure spam, 15 points or more: no ticket and no answer.  "discard"
# loses nothing: the raw mail stays in the database (quarantine), with
# an event naming this rule.  "stop" ends the rules for this mail.
if header :contains "X-Spam-Level" "***************" {
	discard;
	stop;
}

# Flagged, but not sure: still a ticket, at low priority and tagged, so
# that an agent can glance at it.  No acknowledgement: a spammer learns
# nothing from us.
if anyof (header :is "X-Spam-Flag" "YES",
          header :matches "X-Spam-Status" "Yes,*") {
	priority "low";
	addtag "spam";
	noack;
}

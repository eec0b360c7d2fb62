#!/bin/sh
# SPDX-License-Identifier: ISC
# Filter rules at delivery: mails routed to a queue, given a priority
# and a tag, their acknowledgement suppressed, discarded into quarantine
# and rejected with 65 -- by the shipped example rules and one of the
# test's own; every applied action is an event naming its rule; a rule
# set with an error makes deliver answer 75.
. "$TOP/tests/lib/common.sh"
require_cmd sqlite3
D=$RUNDIR/filter-deliver
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
cat >"$D/local.sieve" <<'SIEVE'
require ["vnd.postdesk", "envelope"];
if address :domain "from" "blocked.example" {
	reject "We do not accept mail from your domain.";
	stop;
}
SIEVE
sed -i "s|^queue \"support\" {|filter \"$TOP/filters/spam.sieve\"\nfilter \"$D/local.sieve\"\nqueue \"support\" {\n\tfilter \"$TOP/filters/billing.sieve\"\n\tfilter \"$TOP/filters/vip.sieve\"\n\tfilter \"$TOP/filters/out-of-office.sieve\"|" "$CONF"
cat >>"$CONF" <<'CONF'
queue "billing" {
	address "billing@support.example.test"
}
CONF
t_ok "postdesk check accepts the config with the shipped rules" \
    "$POSTDESK" -c "$CONF" check
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }
n=0
deliver() {	# from subject [header...]: sets RC, the exit status
	n=$((n + 1)); _f=$1 _s=$2; shift 2
	{ printf 'From: %s\nTo: support@support.example.test\nSubject: %s\nMessage-ID: <f%d.%d@x.example>\n' "$_f" "$_s" $n $$
	  for h in "$@"; do printf '%s\n' "$h"; done
	  printf '\nHello.\n'; } >"$D/m"
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$_f" \
	    -r support@support.example.test <"$D/m" 2>"$D/err"
	RC=$?
}
tk() { sql "select ticket from messages where message_id like 'f$n.%'"; }

deliver ann@customer.example 'Invoice 2026-11 is wrong'
t_is "$RC" 0 "billing mail: stored"
T=$(tk)
t_is "$(sql "select queue from tickets where number=$T")" billing "billing words route to the billing queue"
t_is "$(sql "select count(*) from ticket_tags where ticket=$T and tag='billing'")" 1 "and tag it"
t_like "$(sql "select why from events where ticket=$T and what='filter' limit 1")" "filter: *billing.sieve:*" \
    "the event names the rule (file:line)"
deliver 'Иван <ivan@klient.example>' 'Въпрос за фактура'
t_is "$RC" 0 "Bulgarian billing words: stored"
t_is "$(sql "select queue from tickets where number=$(tk)")" billing "Bulgarian billing words route too"

VIP=$(grep -o '"[a-z0-9.-]*\.example"' "$TOP/filters/vip.sieve" | head -n 1 | tr -d '"')
t_ok "vip.sieve names a VIP domain" test -n "$VIP"
deliver "boss@$VIP" 'Urgent question'
T=$(tk)
t_is "$(sql "select priority from tickets where number=$T")" high "VIP domain: priority high"
t_is "$(sql "select count(*) from ticket_tags where ticket=$T and tag='vip'")" 1 "VIP domain: tagged vip"

deliver carl@customer.example 'Out of office: back Monday'
T=$(tk)
t_is "$(sql "select count(*) from outbox where ticket=$T")" 0 "out-of-office subject: no acknowledgement"
t_is "$(sql "select why from events where ticket=$T and what='ack suppressed'")" "filter: noack" \
    "noack: an event says a rule suppressed it"
deliver dora@customer.example 'Plain question'
t_is "$(sql "select count(*) from outbox where ticket=$(tk)")" 1 "no rule matched: acknowledged"

before=$(sql "select count(*) from tickets")
deliver spam@spam.example 'Cheap pills' 'X-Spam-Flag: YES' 'X-Spam-Level: ********************'
t_is "$RC" 0 \
    "sure spam: exit 0"
t_is "$(sql "select count(*) from tickets")" "$before" "discard: no ticket"
t_is "$(sql "select count(*) from messages where message_id like 'f$n.%' and ticket is null")" 1 \
    "discard: the raw mail is kept (quarantine)"
t_like "$(sql "select why from events where what='discarded'")" "filter: *spam.sieve:*" "discard: an event names the rule"

deliver eve@blocked.example 'Hello'
t_is "$RC" 65 "reject: exit 65"
t_grep "reject: the rule's text on stderr" 'do not accept mail from your domain' "$D/err"
t_is "$(sql "select count(*) from messages where message_id like 'f$n.%'")" 0 "reject: nothing stored"

printf 'require ["vnd.postdesk"];\nif header :is "subject" {\n' >"$D/local.sieve"
deliver fred@customer.example 'Anything'
t_is "$RC" 75 "a broken rule set: exit 75, the mail waits"
t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# Loops and limits.  Automatic mail has two budgets: one for customers
# (acknowledgements, limit ack-per-hour) and one for agents
# (notifications, limit notify-per-hour), so notifications can't starve
# acknowledgements; a tripped budget is an event and a LOG_ERR line;
# agents' relayed answers are never limited.  Our own mail coming back
# (our X-Loop anywhere, our Message-ID, our From; Auto-Submitted
# stripped) notifies nobody, and a loop that hides all of that stops
# after 3 rounds an hour per ticket and sender, with an event.
. "$TOP/tests/lib/common.sh"
require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/loops
rm -rf "$D"
SUP=support@support.example.test
"$POSTDESK" init --address $SUP \
    --agent 'Ann One <ann@support.example.test>' \
    --agent 'Bob Two <bob@support.example.test>' \
    --agent 'Cid Three <cid@support.example.test>' \
    --agent 'Dee Four <dee@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }
deliver() {	# sender [rcpt] < message
	"$POSTDESK_DELIVER" -d -c "$CONF" deliver -f "$1" -r "${2:-$SUP}" \
	    2>>"$D/err"
}
customer() {	# n: a new mail from customer n
	printf 'From: c%d@customer%d.example\nTo: %s\nSubject: Problem %d\nMessage-ID: <m%d.%d@customer.example>\n\nHelp, please (%d).\n' \
	    "$1" "$1" $SUP "$1" "$1" $$ "$1" | deliver "c$1@customer$1.example"
}
ticket_of() { sql "select ticket from messages where message_id = 'm$1.$$@customer.example'"; }
count() { sql "select count(*) from events where what='$1'${2:+ and ticket=$2}"; }

# 1. Four agents, 25 new tickets in an hour: 25 acknowledgements and
#    100 notifications (the old shared hourly limit of 100 stopped the
#    acknowledgements after 20).
i=1
while [ $i -le 25 ]; do customer $i; i=$((i + 1)); done
t_is "$(sql "select count(*) from tickets")" 25 "25 new tickets"
t_is "$(count ack)" 25 "every new ticket acknowledged"
t_is "$(sql "select count(*) from outbox where rcpt like 'c%@customer%'")" 25 \
    "25 acknowledgements in the outbox"
t_is "$(count notify)" 100 "every agent notified of every ticket"
t_is "$(count 'ack suppressed')" 0 "no acknowledgement suppressed"

# 2. The agents' budget runs out: the acknowledgement still goes, the
#    notifications don't, each with an event and a LOG_ERR line.
echo 'limit notify-per-hour 100' >>"$CONF"
: >"$D/err"
customer 26
T=$(ticket_of 26)
t_is "$(count ack "$T")" 1 "agents' budget spent: the customer is still acknowledged"
t_is "$(count notify "$T")" 0 "agents' budget spent: no notification"
t_is "$(count 'notify suppressed' "$T")" 4 "an event for every notification not sent"
t_like "$(sql "select why from events where ticket=$T and what='notify suppressed' limit 1")" \
    "rate limit: 100 automatic mails to agents in the last hour (limit notify-per-hour)" \
    "the event names the limit"
t_grep "a log line for the trip" "ticket $T: mail to <ann@support.example.test> not sent: rate limit" "$D/err"
sed -i '/^limit notify-per-hour/d' "$CONF"

# 3. The customers' budget runs out: agents are still notified.
echo 'limit ack-per-hour 26' >>"$CONF"
customer 27
T=$(ticket_of 27)
t_is "$(count ack "$T")" 0 "customers' budget spent: no acknowledgement"
t_like "$(sql "select why from events where ticket=$T and what='ack suppressed'")" \
    "rate limit: 26 automatic mails to customers in the last hour (limit ack-per-hour)" \
    "the event names the limit"
t_is "$(count notify "$T")" 4 "customers' budget spent: agents still notified"

# 4. With every budget spent, an agent's answer is still relayed.
printf 'limit notify-per-hour 1\nlimit ack-per-address 1\n' >>"$CONF"
T=$(ticket_of 1)
TOK=$(/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" reply "$T" ann@support.example.test)
printf 'From: Ann One <ann@support.example.test>\nTo: support+t%s.%s@support.example.test\nSubject: Re: [Support #%s] Problem 1\nMessage-ID: <ans.%d@support.example.test>\n\nTry turning it off and on again.\n' \
    "$T" "$TOK" "$T" $$ | deliver ann@support.example.test "support+t$T.$TOK@support.example.test"
t_is "$(count relay "$T")" 1 "an agent's answer is relayed whatever the budgets"
t_is "$(sql "select count(*) from outbox where ticket=$T and rcpt='c1@customer1.example'")" 2 \
    "the answer is in the outbox beside the acknowledgement"
sed -i '/^limit /d' "$CONF"

# 5. Our own notification comes back through an agent's mailbox rule.
customer 30
T=$(ticket_of 30)
sql "select raw from outbox where ticket=$T and rcpt='ann@support.example.test'" >"$D/notify.eml"
NID=$(sed -n 's/^Message-I[Dd]: <\(.*\)>.*/\1/p' "$D/notify.eml" | head -n 1)
t_like "$NID" "pd.$T.*" "the notification carries our Message-ID"
before=$(count notify)
# a: redirected with Auto-Submitted stripped; the rule adds its own X-Loop
#    on top, ours comes second.
{ printf 'X-Loop: ann-rules@home.example\n'; grep -v '^Auto-Submitted:' "$D/notify.eml"; } |
    deliver ann@home.example
t_is "$(count notify)" "$before" "redirect without Auto-Submitted: nobody notified"
t_like "$(sql "select why from events where what='message' order by id desc limit 1")" \
    "*own X-Loop*" "an event says it was our own mail"
# b: no X-Loop, no Auto-Submitted, From rewritten: our Message-ID is left.
sed -e '/^Auto-Submitted:/d' -e '/^X-Loop:/d' \
    -e 's/^From: .*/From: Ann at home <ann@home.example>/' "$D/notify.eml" |
    deliver ann@home.example
t_is "$(count notify)" "$before" "our own Message-ID: nobody notified"
# c: a new Message-ID, no X-Loop, no Auto-Submitted: our From is left.
sed -e '/^Auto-Submitted:/d' -e '/^X-Loop:/d' \
    -e "s/^Message-I[Dd]: .*/Message-ID: <fw1.$$@home.example>/" "$D/notify.eml" |
    deliver ann@home.example
t_is "$(count notify)" "$before" "our own From: nobody notified"
t_is "$(sql "select count(*) from outbox where rcpt like '%home.example'")" 0 \
    "nothing goes back to the forwarding mailbox"

# 6. A forward that hides everything (new Message-ID, From and text)
#    still threads by our reference; it loops 3 rounds, then stops.
rounds() {	# first last
	r=$1
	while [ "$r" -le "$2" ]; do
		printf 'From: Ann at home <ann@home.example>\nTo: %s\nSubject: Fwd: [Support #%s] Problem 30\nMessage-ID: <round%d.%d@home.example>\nReferences: <%s>\n\nForwarded by a rule.\n' \
		    $SUP "$T" "$r" $$ "$NID" | deliver ann@home.example
		r=$((r + 1))
	done
}
before=$(count notify "$T")
rounds 1 3
t_is "$(sql "select count(distinct ticket) from messages where message_id like 'round%'")" 1 \
    "every round threads to the ticket"
t_is "$(($(count notify "$T") - before))" 12 "3 rounds notify the agents"
rounds 4 6
t_is "$(($(count notify "$T") - before))" 12 "the 4th to 6th round notify nobody"
t_is "$(count 'loop breaker' "$T")" 3 "an event for every round stopped"
t_like "$(sql "select why from events where ticket=$T and what='loop breaker' limit 1")" \
    "3 rounds from <ann@home.example>*" "the event names the sender"

# 7. A customer who proves who they are (their token) is no loop.
T=$(ticket_of 2)
TOK=$(/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" reply "$T" c2@customer2.example)
before=$(count notify "$T")
for r in 1 2 3 4 5; do
	printf 'From: c2@customer2.example\nTo: support+t%s.%s@support.example.test\nSubject: Re: [Support #%s] Problem 2\nMessage-ID: <f%d.%d@customer.example>\n\nMore details, part %d.\n' \
	    "$T" "$TOK" "$T" $r $$ $r | deliver c2@customer2.example "support+t$T.$TOK@support.example.test"
done
t_is "$(($(count notify "$T") - before))" 20 "5 proven follow-ups in an hour: every one notifies"
t_is "$(count 'loop breaker' "$T")" 0 "no loop breaker for a proven customer"
# ... but two auto-responders playing ping-pong through a proven
# address still end: 20 rounds an hour.
for r in $(seq 6 22); do
	printf 'From: c2@customer2.example\nTo: support+t%s.%s@support.example.test\nSubject: Re: [Support #%s] Problem 2\nMessage-ID: <f%d.%d@customer.example>\n\nI am away, part %d.\n' \
	    "$T" "$TOK" "$T" $r $$ $r | deliver c2@customer2.example "support+t$T.$TOK@support.example.test"
done
# Its first mail, 5 follow-ups and 17 more: 23 rounds, 3 past 20.
t_is "$(count 'loop breaker' "$T")" 3 "a proven sender's rounds past 20 in an hour are stopped"

t_done

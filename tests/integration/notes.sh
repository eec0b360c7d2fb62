#!/bin/sh
# SPDX-License-Identifier: ISC
# An agent's note never reaches a customer, whatever the order or the
# number of deliveries of one mail: the MTA delivers one recipient per
# run, so a mail to the reply address and the comment address arrives
# twice.  Comment evidence in To/Cc decides the same in every run; a
# comment address only in the envelope (Bcc) cancels the relay that
# relay-hold still holds.  Also: agents' mail naming a ticket by its
# subject tag, an agent's answer opening a new ticket, and a removed
# agent's old token.
. "$TOP/tests/lib/common.sh"
require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/notes
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test \
    --agent 'Maria Ivanova <maria@support.example.test>' \
    --agent 'Peter Petrov <peter@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
sed -i 's|^\taddress "support@support.example.test"|&\n\tcomment-address "support-comment@support.example.test"|' "$CONF"
t_ok "config checks" "$POSTDESK" -c "$CONF" check
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }
deliver() {	# sender rcpt < message
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$1" -r "$2" 2>>"$D/err"
}
send() { "$POSTDESK" -c "$CONF" send --once >/dev/null 2>>"$D/err"; }
tok() {	# purpose ticket address
	/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" "$@"
}
# Outbox rows to alice carrying TEXT; files the file transport wrote.
to_alice() { sql "select count(*) from outbox where rcpt='alice@customer.example' and cast(raw as text) like '%$1%'"; }
sent_files() {	# text: files to alice the file transport wrote
	grep -rl "$1" "$D/outbox" 2>/dev/null | xargs -r grep -l '^To:.*alice@customer.example' |
	    wc -l | tr -d ' '
}
to_peter() { sql "select count(*) from outbox where rcpt='peter@support.example.test' and cast(raw as text) like '%$1%'"; }
CM=support-comment@support.example.test

printf 'From: Alice <alice@customer.example>\nTo: support@support.example.test\nSubject: Printer\nMessage-ID: <c1.%d@customer.example>\n\nIt prints blank pages.\n' $$ |
    deliver alice@customer.example support@support.example.test
T=$(sql "select ticket from messages where message_id like 'c1.%'")
t_is "$(sql "select status from tickets where number=$T")" new "a customer's mail opens a new ticket"
RT=support+t$T.$(tok reply "$T" maria@support.example.test)@support.example.test
agent_mail() {	# id to cc body
	printf 'From: Maria Ivanova <maria@support.example.test>\nTo: %s\n%sSubject: Re: [Support #%s] Printer\nMessage-ID: <%s.%d@support.example.test>\n\n%s\n' \
	    "$2" "${3:+Cc: $3
}" "$T" "$1" $$ "$4"
}

# 1. Reply token first, then the comment address, both in the headers.
agent_mail cc "$RT" "$CM" "Cc-note: she has not paid." >"$D/cc.eml"
deliver maria@support.example.test "$RT" <"$D/cc.eml"
t_is "$?" 0 "token run of a mail with the comment address in Cc: stored"
deliver maria@support.example.test "$CM" <"$D/cc.eml"
t_is "$?" 0 "comment run of the same mail: accepted"
t_is "$(to_alice Cc-note)" 0 "comment address in Cc: no outbox row to the customer"
t_is "$(sql "select flags & 131072 from messages where message_id like 'cc.%'")" 131072 \
    "comment address in Cc: stored as a note"
t_is "$(to_peter Cc-note)" 1 "comment address in Cc: the other agent gets the note"
t_is "$(sql "select count(*) from messages where message_id like 'cc.%'")" 1 \
    "two runs, one message"

# 2. Bcc: the comment address only in the envelope of the second run.
agent_mail bcc "$RT" "" "Bcc-note: refund denied." >"$D/bcc.eml"
deliver maria@support.example.test "$RT" <"$D/bcc.eml"
t_is "$(to_alice Bcc-note)" 1 "Bcc, token run first: the answer is queued"
t_ok "Bcc: the relay is held for relay-hold" \
    test "$(sql "select next_try - created from outbox where rcpt='alice@customer.example' and cast(raw as text) like '%Bcc-note%'")" -ge 60
send
t_is "$(sent_files Bcc-note)" 0 "Bcc: send leaves a held relay alone"
deliver maria@support.example.test "$CM" <"$D/bcc.eml"
t_is "$?" 0 "Bcc: the comment run of the same mail is accepted"
t_is "$(sql "select state || ' ' || substr(last_error, 1, 9) from outbox where rcpt='alice@customer.example' and cast(raw as text) like '%Bcc-note%'")" \
    "failed cancelled" "Bcc within relay-hold: the relay is cancelled"
send
t_is "$(sent_files Bcc-note)" 0 "Bcc within relay-hold: nothing reaches the customer"
t_is "$(sql "select flags & 131072 from messages where message_id like 'bcc.%'")" 131072 \
    "Bcc: the message is a note now"
t_is "$(sql "select count(*) from events where what='late note'")" 1 "Bcc: an event records it"
t_is "$(to_peter Bcc-note)" 1 "Bcc: the other agent gets the note"
t_is "$(sql "select count(*) from events where what like 'note may have%'")" 0 \
    "Bcc within relay-hold: no leak reported"

# 3. Comment run first: the token run is a duplicate.
agent_mail first "$RT" "" "#priority high
First-note: internal." >"$D/first.eml"
deliver maria@support.example.test "$CM" <"$D/first.eml"
t_is "$(sql "select flags & 393216 from messages where message_id like 'first.%'")" 131072 \
    "comment run first: a note, proven by the reply token in To"
t_is "$(sql "select priority from tickets where number=$T")" high \
    "comment run first: the commands run as in the token run"
n0=$(sql "select count(*) from outbox")
deliver maria@support.example.test "$RT" <"$D/first.eml"
t_is "$?" 0 "comment run first: the token run is accepted"
t_is "$(sql "select count(*) from messages where message_id like 'first.%'")" 1 \
    "comment run first: the token run is a duplicate"
t_is "$(sql "select count(*) from outbox")" "$n0" "comment run first: the token run queues nothing"
t_is "$(to_alice First-note)" 0 "comment run first: nothing to the customer"

# 4. An unproven agent mail naming a ticket by its subject tag joins it
# as a flagged note, never a new ticket with the agent as requester.
n0=$(sql "select count(*) from tickets")
printf 'From: Maria Ivanova <maria@support.example.test>\nTo: support@support.example.test\nSubject: Re: [Support #%s] Printer\nMessage-ID: <tag.%d@support.example.test>\n\n#status closed\nTag-note: call her back.\n' "$T" $$ |
    deliver maria@support.example.test support@support.example.test
t_is "$(sql "select count(*) from tickets")" "$n0" "unproven agent mail with a subject tag: no new ticket"
t_is "$(sql "select ticket from messages where message_id like 'tag.%'")" "$T" \
    "unproven agent mail with a subject tag: joins the ticket it names"
t_is "$(sql "select flags & 393216 from messages where message_id like 'tag.%'")" 393216 \
    "unproven agent mail with a subject tag: a flagged internal note"
t_is "$(sql "select count(*) from participants where address='maria@support.example.test'")" 0 \
    "unproven agent mail with a subject tag: the agent is nobody's requester"
t_is "$(to_alice Tag-note)" 0 "unproven agent mail with a subject tag: nothing to the customer"
t_not "unproven agent mail with a subject tag: no command ran" \
    test "$(sql "select status from tickets where number=$T")" = closed

# 5. An agent's answer opens a new ticket, or sets the status it says.
for who in bob carol; do
	printf 'From: %s <%s@customer.example>\nTo: support@support.example.test\nSubject: Scanner\nMessage-ID: <%s.%d@customer.example>\n\nThe scanner jams.\n' \
	    "$who" "$who" "$who" $$ | deliver "$who@customer.example" support@support.example.test
done
B=$(sql "select ticket from messages where message_id like 'bob.%'")
C=$(sql "select ticket from messages where message_id like 'carol.%'")
BT=support+t$B.$(tok reply "$B" maria@support.example.test)@support.example.test
CT=support+t$C.$(tok reply "$C" maria@support.example.test)@support.example.test
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: Scanner\nMessage-ID: <ab.%d@support.example.test>\n\nPlease clean the rollers.\n' "$BT" $$ |
    deliver maria@support.example.test "$BT"
t_is "$(sql "select status from tickets where number=$B")" open "an agent's answer moves a new ticket to open"
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: Scanner\nMessage-ID: <ac.%d@support.example.test>\n\n#status pending\nPlease send a photo.\n' "$CT" $$ |
    deliver maria@support.example.test "$CT"
t_is "$(sql "select status from tickets where number=$C")" pending "an agent's answer keeps the status the agent set"

# 6. relay-hold 0: the relay goes at once; the late note is reported.
echo "relay-hold 0" >>"$CONF"
agent_mail zero "$RT" "" "Zero-note: oops." >"$D/zero.eml"
deliver maria@support.example.test "$RT" <"$D/zero.eml"
send
t_is "$(sent_files Zero-note)" 1 "relay-hold 0: the answer is sent at once"
"$POSTDESK_DELIVER" -d -c "$CONF" deliver -f maria@support.example.test \
    -r "$CM" <"$D/zero.eml" 2>"$D/zero.err"
t_is "$?" 0 "relay-hold 0: the comment run is accepted"
t_is "$(sql "select count(*) from events where what='note may have reached customers'")" 1 \
    "relay-hold 0 + Bcc: an event says the note may have reached customers"
t_grep "relay-hold 0 + Bcc: an error line in the log" "note may have reached customers" "$D/zero.err"

# 7. send-after-deliver alone (no cron, no send --loop): the sender it
# starts waits for the held answer and sends it when due.
sed -i 's/^relay-hold 0$/relay-hold 2s/' "$CONF"
echo "send-after-deliver yes" >>"$CONF"
t_ok "relay-hold 2s and send-after-deliver check" "$POSTDESK" -c "$CONF" check
agent_mail waited "$RT" "" "Waited-answer: the part is ordered." |
    deliver maria@support.example.test "$RT"
t_is "$(sent_files Waited-answer)" 0 "send-after-deliver: the answer is held at first"
wait_for 15 sh -c "grep -rl Waited-answer '$D/outbox' 2>/dev/null | grep -q ."
t_is "$(sent_files Waited-answer)" 1 \
    "send-after-deliver: the answer is sent when due, with no other delivery"

t_done

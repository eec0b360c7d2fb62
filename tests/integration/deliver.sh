#!/bin/sh
# SPDX-License-Identifier: ISC
# postdesk-deliver without an MTA: exit codes, idempotence, and the
# threading and trust rules (tokens, our references, subject tags,
# watchers, reopening).  The tokens are computed by an independent
# implementation (tests/lib/mktoken.py).
. "$TOP/tests/lib/common.sh"

require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/deliver
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test \
    --agent 'Maria Ivanova <maria@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
cat >>"$CONF" <<'CONF'
queue "billing" {
	address "billing@support.example.test"
	tag "Billing"
	reopen-window 0
}
CONF
DB=$D/postdesk.db
SUP=support@support.example.test
n=0

# deliver SENDER RCPT [extra args] < message; prints the exit status
deliver() {
	_f=$1 _r=$2; shift 2
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$_f" -r "$_r" "$@" \
	    2>"$D/err"
	echo $?
}
sql() { sqlite3 "$DB" "$1"; }
msg() {	# FROM SUBJECT [HEADER...]: a message on stdout, unique id
	n=$((n + 1))
	_from=$1 _subj=$2; shift 2
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <m%d.%d@customer.example>\nDate: Wed, 25 Nov 2026 10:00:00 +0000\n' \
	    "$_from" "$SUP" "$_subj" "$n" "$$"
	for h in "$@"; do printf '%s\n' "$h"; done
	printf '\nBody of message %d.\n' "$n"
}
tickets() { sql "select count(*) from tickets"; }
ticket_of() { sql "select ticket from messages where message_id like 'm$1.%'"; }
threaded() { sql "select threaded_by from messages where message_id like 'm$1.%'"; }
token() { /usr/bin/python3 "$TOP/tests/lib/mktoken.py" "$D/secret" "$@"; }
is_participant() { [ "$(sql "select count(*) from participants where ticket=$1 and address='$2'")" = 1 ]; }

# A new ticket; Cc'd people become watchers.
msg 'Alice <alice@customer.example>' 'Printer on fire' \
    'Cc: Bob <bob@customer.example>, support@support.example.test' >"$D/m1"
t_is "$(deliver alice@customer.example $SUP <"$D/m1")" 0 "new mail: exit 0"
t_is "$(tickets)" 1 "new mail: one ticket"
t_ok "new mail: alice is the requester" is_participant 1 alice@customer.example
t_ok "new mail: Cc'd bob becomes a watcher" is_participant 1 bob@customer.example
t_is "$(sql "select count(*) from participants where address like 'support%'")" 0 \
    "new mail: our own address is no watcher"
ROOT=$(sql "select root_id from tickets where number=1")
t_like "$ROOT" "pd.1.*@*" "ticket has an unguessable root Message-ID"

# Idempotence: the same mail again, with a trace header, to another queue.
t_is "$(deliver alice@customer.example $SUP <"$D/m1")" 0 "retry: exit 0"
{ printf 'Received: from mx by relay; Wed, 25 Nov 2026 10:00:01 +0000\nDelivered-To: billing@support.example.test\n'; cat "$D/m1"; } >"$D/m1b"
t_is "$(deliver alice@customer.example billing@support.example.test <"$D/m1b")" 0 \
    "same mail to a second queue address: exit 0"
t_is "$(sql "select count(*) from messages where direction='in'")" 1 "retries and second recipient: one message"
t_is "$(tickets)" 1 "retries and second recipient: one ticket"
t_is "$(sql "select count(*) from message_rcpts r join messages m on m.id = r.message where m.direction = 'in'")" 2 \
    "second recipient recorded"

# A reply referencing our root id: strong evidence of the thread, none
# of the sender: Cc carol is only proposed.
msg 'Alice <alice@customer.example>' 'Re: Printer on fire' \
    "References: <$ROOT>" 'Cc: carol@customer.example' >"$D/m2"
t_is "$(deliver alice@customer.example $SUP <"$D/m2")" 0 "reply with our reference: exit 0"
t_is "$(ticket_of 2)" 1 "reply with our reference joins ticket 1"
t_is "$(threaded 2)" our-ref "reply threaded by our-ref"
t_not "our reference alone: Cc'd carol is no watcher" is_participant 1 carol@customer.example
t_is "$(sql "select count(*) from proposed_participants where ticket=1 and address='carol@customer.example'")" 1 \
    "our reference alone: Cc'd carol is proposed"

# Subject tag from a participant joins; from a stranger, a new ticket.
# A customer's follow-up is news: the ticket's updated and last_customer.
sql "update tickets set updated = 0, last_customer = 0 where number = 1"
msg 'alice@customer.example' 'More about it [Support #1]' >"$D/m3"
deliver alice@customer.example $SUP <"$D/m3" >/dev/null
t_is "$(sql "select updated > 0 and last_customer > 0 from tickets where number = 1")" 1 \
    "a customer's follow-up updates the ticket's updated and last_customer"
t_is "$(ticket_of 3)" 1 "subject tag from a participant joins"
t_is "$(threaded 3)" subject-tag "threaded by subject-tag"
msg 'mallory@evil.example' 'Re: [Support #1] give me the data' >"$D/m4"
deliver mallory@evil.example $SUP <"$D/m4" >/dev/null
t_is "$(ticket_of 4)" 2 "subject tag from a stranger: new ticket"
t_is "$(sql "select new from events where ticket=2 and what='reference'")" 1 \
    "stranger's ticket records the reference to #1"

# A forged From of a participant with the tag and a stranger in Cc.
msg 'Alice <alice@customer.example>' 'Re: [Support #1]' 'Cc: mallory@evil.example' >"$D/m5"
deliver mallory@evil.example $SUP <"$D/m5" >/dev/null
t_is "$(ticket_of 5)" 1 "forged From with the tag: joins ticket 1"
t_not "forged From: the Cc'd stranger is no watcher" is_participant 1 mallory@evil.example

# Tokens: a valid one, a forged one, one for another ticket, wrong purpose.
TOK=$(token reply 1 alice@customer.example)
msg 'alice@customer.example' 'Re: something' >"$D/m6"
deliver alice@customer.example "support+t1.$TOK@support.example.test" <"$D/m6" >/dev/null
t_is "$(ticket_of 6):$(threaded 6)" 1:token "valid reply token joins by token"
msg 'mallory@evil.example' 'hello' >"$D/m7"
deliver mallory@evil.example "support+t1.aaaaaaaaaaaaaaaa@support.example.test" <"$D/m7" >/dev/null
t_is "$(threaded 7)" new "forged token: no evidence (new ticket)"
msg 'mallory@evil.example' 'hello' >"$D/m8"
deliver mallory@evil.example "support+t2.$TOK@support.example.test" <"$D/m8" >/dev/null
t_is "$(threaded 8)" new "token for another ticket: no evidence"
CTOK=$(token comment 1 alice@customer.example)
msg 'mallory@evil.example' 'hello' >"$D/m9"
deliver mallory@evil.example "support+t1.$CTOK@support.example.test" <"$D/m9" >/dev/null
t_is "$(threaded 9)" new "token of the wrong purpose: no evidence"
UTOK=$(echo "$TOK" | tr a-z A-Z)
msg 'alice@customer.example' 'Re: upper' >"$D/m10"
deliver alice@customer.example "SUPPORT+T1.$UTOK@support.example.test" <"$D/m10" >/dev/null
t_is "$(ticket_of 10):$(threaded 10)" 1:token "upper-cased token still verifies"

# Resolved ticket: an out-of-office reply leaves it; a human reopens it.
"$POSTDESK" -c "$CONF" ticket set 1 status resolved >/dev/null 2>&1
t_is "$(sql "select status from tickets where number=1")" resolved "admin resolves ticket 1"
msg 'alice@customer.example' 'Out of office' "In-Reply-To: <$ROOT>" 'Auto-Submitted: auto-replied' >"$D/m11"
deliver alice@customer.example $SUP <"$D/m11" >/dev/null
t_is "$(ticket_of 11):$(sql "select status from tickets where number=1")" 1:resolved \
    "out-of-office to a resolved ticket: stored, stays resolved"
msg 'alice@customer.example' 'Re: still broken' "In-Reply-To: <$ROOT>" >"$D/m12"
deliver alice@customer.example $SUP <"$D/m12" >/dev/null
t_is "$(ticket_of 12):$(sql "select status from tickets where number=1")" 1:open \
    "human follow-up within the window reopens"

# Billing queue: reopen-window 0 -> a follow-up opens a new linked ticket.
msg 'dave@customer.example' 'Invoice wrong' >"$D/m13"
deliver dave@customer.example billing@support.example.test <"$D/m13" >/dev/null
B=$(ticket_of 13)
t_is "$(sql "select queue from tickets where number=$B")" billing "billing address: billing queue"
BROOT=$(sql "select root_id from tickets where number=$B")
"$POSTDESK" -c "$CONF" ticket set "$B" status resolved >/dev/null 2>&1
msg 'dave@customer.example' 'Re: Invoice wrong' "References: <$BROOT>" >"$D/m14"
deliver dave@customer.example billing@support.example.test <"$D/m14" >/dev/null
NB=$(ticket_of 14)
t_ok "reopen-window 0: follow-up makes a new ticket" test "$NB" != "$B"
t_is "$(sql "select linked_from from tickets where number=$NB")" "$B" "new ticket links to the old one"
t_is "$(sql "select status from tickets where number=$B")" resolved "old ticket stays resolved"

# Exit codes: oversized 65, broken config 75, unknown recipient 67.
sed 's/^limit message-size .*/limit message-size 1K/' "$CONF" >"$D/small.conf"
{ msg 'eve@customer.example' 'big'; head -c 4000 /dev/zero | tr '\0' x; echo; } >"$D/big"
"$POSTDESK_DELIVER" -c "$D/small.conf" deliver -f eve@customer.example -r $SUP <"$D/big" 2>"$D/err"
t_is "$?" 65 "oversized mail: exit 65"
t_grep "oversized mail: reason on stderr" 'too large' "$D/err"
t_is "$(wc -l <"$D/err" | tr -d ' ')" 1 "deliver writes one stderr line"
printf 'queu "x"\n' >"$D/broken.conf"
msg 'eve@customer.example' 'x' | "$POSTDESK_DELIVER" -c "$D/broken.conf" deliver -r $SUP 2>/dev/null
t_is "$?" 75 "broken config: exit 75, never a bounce"
"$POSTDESK_DELIVER" -c "$D/nonexistent.conf" deliver -r $SUP </dev/null 2>/dev/null
t_is "$?" 75 "missing config: exit 75"
sed 's/^unknown-recipient accept/unknown-recipient refuse/' "$CONF" >"$D/refuse.conf"
msg 'eve@customer.example' 'who' | "$POSTDESK_DELIVER" -c "$D/refuse.conf" deliver -f eve@customer.example -r nobody@elsewhere.example 2>/dev/null
t_is "$?" 67 "unknown recipient with refuse: exit 67"

# No Message-ID: stored once, flagged; same id with another body: flagged.
printf 'From: frank@customer.example\nSubject: no id\n\nhello\n' >"$D/noid"
deliver frank@customer.example $SUP <"$D/noid" >/dev/null
deliver frank@customer.example $SUP <"$D/noid" >/dev/null
t_is "$(sql "select count(*) from messages where message_id like 'noid-%'")" 1 "no Message-ID: stored once"
t_is "$(sql "select flags & 1 from messages where message_id like 'noid-%'")" 1 "no Message-ID: flagged"
sed 's/Body of message/Another body of message/' "$D/m6" >"$D/m6b"
deliver alice@customer.example $SUP <"$D/m6b" >/dev/null
t_is "$(sql "select count(*) from messages where message_id like 'm6.%'")" 2 \
    "same Message-ID, other body: stored"
t_is "$(sql "select max(flags & 32768) from messages where message_id like 'm6.%'")" 32768 \
    "same Message-ID, other body: flagged message-id-conflict"

# Mail to a bounce address: an event, no new ticket.
before=$(tickets)
BTOK=$(token bounce 1 alice@customer.example)
printf 'From: MAILER-DAEMON@relay.example\nSubject: Undelivered Mail\nMessage-ID: <dsn1@relay.example>\n\nbounce\n' |
    "$POSTDESK_DELIVER" -c "$CONF" deliver -f '' -r "bounce+t1.$BTOK@support.example.test" 2>/dev/null
t_is "$?" 0 "bounce: exit 0"
t_is "$(tickets)" "$before" "bounce: no new ticket"
t_is "$(sql "select count(*) from events where ticket=1 and what='bounce'")" 1 "bounce: an event on its ticket"

t_is "$(sqlite3 "$DB" 'pragma integrity_check')" ok "database integrity"
t_done

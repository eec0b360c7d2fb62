#!/bin/sh
# SPDX-License-Identifier: ISC
# Acknowledgements (RFC 3834): every new ticket from a person gets one,
# in the customer's language, threaded and signed; automatic, own, spam
# and SPF/DMARC-failing mail gets none (an event says why), nor does
# mail from the null sender however it is written ('', '<>'); both rate
# limits hold; template text cannot inject headers; a reply to the
# acknowledgement joins the ticket by our own Message-ID.
. "$TOP/tests/lib/common.sh"
require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/ack
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
printf 'trusted-authserv-id "mx.support.example.test"\nlimit ack-per-address 3\n' >>"$CONF"
DB=$D/postdesk.db
SUP=support@support.example.test
sql() { sqlite3 "$DB" "$1"; }
n=0
deliver() {	# sender < message
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$1" -r $SUP 2>>"$D/err"
}
mail() {	# from subject [headers...]: message number $n on stdout
	_f=$1 _s=$2; shift 2
	printf 'From: %s\nTo: %s\nSubject: %s\nMessage-ID: <a%d.%d@customer.example>\n' "$_f" $SUP "$_s" $n $$
	for h in "$@"; do printf '%s\n' "$h"; done
	printf '\nPlease help, message %d.\n' $n
}
send() {	# envelope-sender from subject [headers...]: the next message
	n=$((n + 1)); _e=$1; shift
	mail "$@" >"$D/in.eml"
	deliver "$_e" <"$D/in.eml"
}
ticket_of() { sql "select ticket from messages where message_id like 'a$1.%'"; }
acks() { sql "select count(*) from outbox where ticket=$1"; }
why() { sql "select why from events where ticket=$1 and what='ack suppressed'"; }
parsed() {	# ticket field: the acknowledgement parsed back by postdesk parse
	sql "select raw from outbox where ticket=$1" >"$D/ack.eml"
	"$POSTDESK" parse --json "$D/ack.eml" | /usr/bin/python3 -I -c '
import json, sys
j = json.load(sys.stdin); f = sys.argv[1]
v = j
for k in f.split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, list) else " ".join(map(str, v)))' "$2"
}

# A person: acknowledged, threaded, signed.
send alice@customer.example 'Alice <alice@customer.example>' 'Printer on fire'
T=$(ticket_of 1)
t_is "$(acks "$T")" 1 "new ticket from a person: one acknowledgement"
t_is "$(sql "select rcpt from outbox where ticket=$T")" alice@customer.example "sent to the requester"
t_like "$(parsed "$T" subject)" "\[Support #$T\] Printer on fire" "subject carries the tag"
t_is "$(parsed "$T" auto_submitted)" auto-replied "Auto-Submitted: auto-replied"
t_like "$(grep -i '^X-Auto-Response-Suppress:' "$D/ack.eml")" "*All*" "X-Auto-Response-Suppress: All"
t_is "$(parsed "$T" in_reply_to)" "a1.$$@customer.example" "In-Reply-To: the customer's mail"
ROOT=$(sql "select root_id from tickets where number=$T")
t_like "$(parsed "$T" references)" "$ROOT *" "References start with the ticket's root id"
ACKID=$(parsed "$T" message_id)
t_like "$ACKID" "pd.$T.*@*" "Message-ID is one of ours"
RT=$(parsed "$T" reply_to.0.address)
TOK=$(/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" reply "$T" alice@customer.example)
t_is "$RT" "support+t$T.$TOK@support.example.test" "Reply-To token verifies (independent HMAC)"
t_like "$(sql "select mail_from from outbox where ticket=$T")" "bounce+t$T.*@support.example.test" \
    "envelope sender is a signed bounce address"
t_is "$(sql "select count(*) from message_ids where message_id='$ACKID' and ours=1")" 1 \
    "the acknowledgement's id is recorded as ours"
t_like "$(parsed "$T" body_text)" "*ticket \[Support #$T\]*" "English body names the ticket"

# The customer replies to the acknowledgement: joins by our reference.
send alice@customer.example 'alice@customer.example' 'Re: thanks' "In-Reply-To: <$ACKID>"
t_is "$(ticket_of 2)" "$T" "reply to the acknowledgement joins the ticket"
t_is "$(sql "select threaded_by from messages where message_id like 'a2.%'")" our-ref "threaded by our-ref"
t_is "$(acks "$T")" 1 "a follow-up gets no second acknowledgement"

# Bulgarian, detected from the text, and from Content-Language.
printf 'From: vesi@klient.example\nTo: %s\nSubject: =?utf-8?b?0J3Rj9C80LAg0LTQvtGB0YLRitC/?=\nMessage-ID: <bg1.%d@klient.example>\nContent-Type: text/plain; charset=utf-8\n\nЗдравейте, от вчера не мога да вляза в портала и да видя фактурите си.\n' $SUP $$ |
    deliver vesi@klient.example
B=$(sql "select ticket from messages where message_id like 'bg1.%'")
t_is "$(sql "select language from tickets where number=$B")" bg "Bulgarian text: ticket language bg"
t_like "$(parsed "$B" body_text)" "Здравейте*запитване*" "acknowledgement written in Bulgarian"
printf 'From: ivan@klient.example\nTo: %s\nSubject: Privet\nMessage-ID: <ru1.%d@klient.example>\nContent-Type: text/plain; charset=utf-8\n\nЗдравствуйте, мы не можем войти в систему. Это срочно.\n' $SUP $$ |
    deliver ivan@klient.example
R=$(sql "select ticket from messages where message_id like 'ru1.%'")
t_is "$(sql "select language from tickets where number=$R")" en "Russian is not Bulgarian: queue default"
send eva@customer.example 'eva@customer.example' 'Hello' 'Content-Language: bg'
t_is "$(sql "select language from tickets where number=$(ticket_of $n)")" bg "Content-Language: bg chooses bg"

# No acknowledgement to automatic, own, spam or forged mail.
check_none() {	# name ticket-msg-number expected-reason-glob
	t=$(ticket_of "$2")
	t_is "$(acks "$t")" 0 "no acknowledgement: $1"
	t_like "$(why "$t")" "$3" "event says why: $1"
}
send bob@customer.example 'bob@customer.example' 'Out of office' 'Auto-Submitted: auto-replied'
check_none "Auto-Submitted" $n "auto-submitted*"
send news@list.example 'news@list.example' 'Digest' 'Precedence: bulk'
check_none "Precedence: bulk" $n "precedence*"
send news@list.example 'news@list.example' 'List' 'List-Id: <x.list.example>'
check_none "List-Id" $n "list-id"
send news@list.example 'news@list.example' 'Unsub' 'List-Unsubscribe: <mailto:u@list.example>'
check_none "List-Unsubscribe" $n "list-unsubscribe"
send '' 'carl@customer.example' 'Null sender'
check_none "null envelope sender" $n "null sender"
# The null sender written out, as MTAs and scripts pass it (-f '<>').
send '<>' 'carl@customer.example' 'Null sender, written <>'
check_none "literal <> envelope sender" $n "null sender"
t_is "$(sql "select envelope_from from messages where message_id like 'a$n.%'")" "" \
    "literal <> is stored as the null sender"
send ' < > ' 'carl@customer.example' 'Null sender, with spaces'
check_none "' < > ' envelope sender" $n "null sender"
send '<dora@customer.example>' 'dora@customer.example' 'Bracketed sender'
t_is "$(sql "select envelope_from from messages where message_id like 'a$n.%'")" dora@customer.example \
    "<addr> envelope sender loses its brackets"
send '' 'MAILER-DAEMON@relay.example' 'Undelivered'
check_none "MAILER-DAEMON" $n "*"
send noreply@shop.example 'noreply@shop.example' 'Your order'
check_none "noreply sender" $n "robot sender"
send $SUP "$SUP" 'Looping'
check_none "from our own address" $n "*own address*"
send dan@customer.example 'dan@customer.example' 'Loop' "X-Loop: $SUP"
check_none "our X-Loop header" $n "*X-Loop*"
send dan@customer.example 'dan@customer.example' 'Loop 2' 'X-Loop: list@lists.example' "X-Loop: other@x.example, Support <$SUP>"
check_none "our X-Loop second, in a list, with a name" $n "*X-Loop*"
OURID=$(sql "select message_id from outbox limit 1")
printf 'From: dan@customer.example\nTo: %s\nSubject: Loop 3\nMessage-ID: <%s>\n\nhello\n' $SUP "$OURID" |
    deliver dan@customer.example
t=$(sql "select ticket from messages where message_id='$OURID' and direction='in'")
t_is "$(sql "select count(*) from events where ticket=$t and what='ack'")" 0 "no acknowledgement: our own Message-ID"
t_like "$(sql "select why from events where ticket=$t and what in ('ack suppressed', 'message') order by id desc limit 1")" \
    "*own Message-ID*" "event says why: our own Message-ID"
send spammer@spam.example 'spammer@spam.example' 'Cheap' 'X-Spam-Flag: YES'
check_none "X-Spam-Flag" $n "*spam*"
send forged@bank.example 'forged@bank.example' 'Verify' 'Authentication-Results: mx.support.example.test; spf=fail smtp.mailfrom=bank.example'
check_none "SPF fail at our MTA" $n "*SPF*"
send forged@bank.example 'forged@bank.example' 'Verify 2' 'Authentication-Results: mx.support.example.test; dkim=none; dmarc=fail header.from=bank.example'
check_none "DMARC fail at our MTA" $n "*DMARC*"
# A failure claimed by someone else's server is not evidence: acknowledged.
send erin@customer.example 'erin@customer.example' 'Hi' 'Authentication-Results: evil.example; spf=fail'
t_is "$(acks "$(ticket_of $n)")" 1 "untrusted authserv-id: acknowledged as usual"

# Rate limits: 3 per address a day (configured), then suppressed.
for i in 1 2 3 4; do send frank@customer.example 'frank@customer.example' "Flood $i"; done
t_is "$(sql "select count(*) from outbox where rcpt='frank@customer.example'")" 3 \
    "per-address limit: 3 acknowledgements for 4 tickets"
t_like "$(why "$(ticket_of $n)")" "rate limit*" "per-address limit: an event says why"
sed -i 's/^limit ack-per-address 3$/limit ack-per-address 3\nlimit ack-per-hour 1/' "$CONF"
send gina@customer.example 'gina@customer.example' 'One'
t_is "$(acks "$(ticket_of $n)")" 0 "per-hour limit holds"
t_like "$(why "$(ticket_of $n)")" "rate limit*hour*" "per-hour limit: an event says why"
sed -i '/^limit ack-per-hour 1$/d' "$CONF"

# Header injection: an encoded subject that decodes to CR LF + Bcc.
printf 'From: mallory@evil.example\nTo: %s\nSubject: =?utf-8?q?Hi=0D=0ABcc:_x@evil.example?=\nMessage-ID: <inj.%d@evil.example>\n\nhello\n' $SUP $$ |
    deliver mallory@evil.example
I=$(sql "select ticket from messages where message_id like 'inj.%'")
sql "select raw from outbox where ticket=$I" >"$D/inj.eml"
t_is "$(grep -ci '^subject:' "$D/inj.eml")" 1 "injection: exactly one Subject header"
t_is "$(grep -ci '^bcc:' "$D/inj.eml")" 0 "injection: no Bcc header"
t_is "$(sql "select count(*) from outbox where ticket=$I")" 1 "injection: one recipient only"
t_is "$(sql "select rcpt from outbox where ticket=$I")" mallory@evil.example "injection: the sender, nobody else"
# An acknowledgement never goes to Reply-To (a free relay to anyone).
send mia@customer.example 'Mia <mia@customer.example>' 'Question' 'Reply-To: "Cheap meds" <victim@victim.example>'
t_is "$(sql "select rcpt from outbox where ticket=$(ticket_of $n)")" mia@customer.example \
    "acknowledgement to From, not to Reply-To"

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# Agents answer from their mail client, end to end through a real SMTP
# server: customer mail -> agent notification (captured) -> the agent's
# reply, quoted the way Thunderbird and Outlook quote, with an
# attachment -> the customer receives the agent's words and attachment
# from the support address under the agent's name, in the customer's
# thread.  Commands change the ticket; notes never reach the customer;
# every spoof ends in no relay, no command run, and a flagged note.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"
require_cmd sqlite3 /usr/bin/python3
need_pymod aiosmtpd || t_done
ms_ca && ms_sink_start || { t_fail "start the capture sink"; t_done; }
D=$RUNDIR/agent
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test \
    --agent 'Maria Ivanova <maria@support.example.test>' \
    --agent 'Peter Petrov <peter@partner.example>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
echo secret >"$D/pw"
sed -i 's|^\taddress "support@support.example.test"|&\n\tcomment-address "support-comment@support.example.test"|' "$CONF"
sed -i '/^transport /d' "$CONF"
cat >>"$CONF" <<EOF2
transport smtp "127.0.0.1" port $SINK_PORT tls starttls auth "sender" password-file "$D/pw" ca-file "$MS_TLS/ca.crt"
trusted-authserv-id "mx.support.example.test"
trust-authres-domain "partner.example"
relay-hold 0
EOF2
t_ok "config with agents checks" "$POSTDESK" -c "$CONF" check
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }
deliver() {	# sender rcpt < message
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$1" -r "$2" 2>>"$D/err"
}
send() { "$POSTDESK" -c "$CONF" send --once >/dev/null 2>>"$D/err"; }
captured() {	# rcpt subject-glob: the newest capture to rcpt
	for f in $(ls -r "$MS_SINK_DIR"/*.eml 2>/dev/null); do
		grep -q "\"$1\"" "${f%.eml}.json" || continue
		echo "$f"; return
	done
}
pj() {	# file field
	"$POSTDESK" parse --json "$1" | /usr/bin/python3 -I -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$2"
}
relays() { sql "select count(*) from events where what='relay'"; }

# 1. A customer writes; the agents are notified.
printf 'From: Alice <alice@customer.example>\nTo: support@support.example.test\nSubject: Printer prints blank pages\nMessage-ID: <c1.%d@customer.example>\n\nSince this morning the printer prints only blank pages.\n' $$ |
    deliver alice@customer.example support@support.example.test
T=$(sql "select ticket from messages where message_id like 'c1.%'")
send
ms_sink_wait 3 10
N=$(captured maria@support.example.test)
t_ok "maria got a notification" test -n "$N"
t_is "$(pj "$N" from.name)" '"Alice" <alice@customer.example> via Support' 'notification from "\"Customer\" <address> via Queue"'
t_is "$(pj "$N" from.address)" support@support.example.test "notification from the support address"
t_is "$(pj "$N" auto_submitted)" auto-generated "notification is Auto-Submitted: auto-generated"
t_like "$(pj "$N" body_text)" "##- Reply above this line -##*blank pages*" "marker line on top, the customer's text below"
RT=$(pj "$N" reply_to.0.address)
t_like "$RT" "support+t$T.*@support.example.test" "Reply-To: a signed address for maria"
NID=$(pj "$N" message_id)

# 2. Maria answers Thunderbird-style, with an attachment and commands.
B=b$$
cat >"$D/tb.eml" <<EOF2
From: Maria Ivanova <maria@support.example.test>
To: Support <$RT>
Subject: Re: [Support #$T] Printer prints blank pages
Message-ID: <tb.$$@support.example.test>
In-Reply-To: <$NID>
References: <$NID>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="$B"

--$B
Content-Type: text/plain; charset=utf-8; format=flowed

#status pending
#assign me

Hi Alice,

please install the driver in the attachment.

Maria

On 25.11.26 10:00, Alice via Support wrote:
> ##- Reply above this line -##
>
> Alice wrote on ticket [Support #$T]
> Since this morning the printer prints only blank pages.
--$B
Content-Type: application/octet-stream; name="driver.bin"
Content-Disposition: attachment; filename="driver.bin"
Content-Transfer-Encoding: base64

AAECAwQFBgcICQ==
--$B--
EOF2
deliver maria@support.example.test "$RT" <"$D/tb.eml"
t_is "$?" 0 "agent reply: stored"
t_is "$(sql "select status || ' ' || assignee from tickets where number=$T")" \
    "pending maria@support.example.test" "commands #status and #assign me ran"
send
ms_sink_wait 5 10
A=$(captured alice@customer.example)
t_like "$(pj "$A" subject)" "Re: \[Support #$T\]*" "the customer gets the answer"
t_is "$(pj "$A" from.address)" support@support.example.test "relayed from the support address"
t_is "$(pj "$A" from.name)" "Maria Ivanova (Support)" "under the agent's real name"
t_like "$(pj "$A" body_text)" "Hi Alice,*install the driver*" "the agent's words arrive"
t_not "the quoted notification is cut" grep -q "Reply above this line" "$A"
t_not "command lines are not relayed" grep -q "#status" "$A"
t_is "$(pj "$A" attachments.0.filename)" driver.bin "the attachment arrives"
t_is "$(pj "$A" attachments.0.size)" 10 "with its content"
ROOT=$(sql "select root_id from tickets where number=$T")
t_like "$(pj "$A" references)" "$ROOT*" "in the customer's thread (References the root id)"
t_is "$(pj "$A" auto_submitted)" "" "a relayed answer is not Auto-Submitted"
t_ok "first response time is set" test "$(sql "select first_response from tickets where number=$T")" -gt 0

# 3. Outlook-style quoting.
printf 'From: Maria Ivanova <maria@support.example.test>\nTo: %s\nSubject: RE: [Support #%s] Printer\nMessage-ID: <ol.%d@support.example.test>\n\nHello again, it should work now.\n\n-----Original Message-----\nFrom: Alice via Support <support@support.example.test>\nSent: Wednesday, November 25, 2026 10:00 AM\nTo: Maria Ivanova <maria@support.example.test>\nSubject: [Support #%s] Printer prints blank pages\n\n##- Reply above this line -##\nSince this morning the printer prints only blank pages.\n' "$RT" "$T" $$ "$T" |
    deliver maria@support.example.test "$RT"
send
ms_sink_wait 7 10
A=$(captured alice@customer.example)
t_like "$(pj "$A" body_text)" "Hello again, it should work now.*" "Outlook reply relayed"
t_not "Outlook header block cut" grep -q "Original Message" "$A"

# 4. Commands only: nothing relayed.  A bad command: nothing changes.
r0=$(relays)
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: x\nMessage-ID: <co.%d@support.example.test>\n\n#priority high\n#tag printer\n' "$RT" $$ |
    deliver maria@support.example.test "$RT"
t_is "$(relays)" "$r0" "a mail of commands only relays nothing"
t_is "$(sql "select priority from tickets where number=$T")" high "#priority high ran"
t_is "$(sql "select count(*) from ticket_tags where ticket=$T and tag='printer'")" 1 "#tag ran"
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: x\nMessage-ID: <bad.%d@support.example.test>\n\n#status solved\n#priority low\n' "$RT" $$ |
    deliver maria@support.example.test "$RT"
t_is "$(sql "select status || ' ' || priority from tickets where number=$T")" "pending high" \
    "an invalid command leaves the ticket unchanged"
t_is "$(sql "select count(*) from outbox where rcpt='maria@support.example.test' and cast(raw as text) like '%line 1%solved%'")" 1 \
    "the agent gets an error mail naming the line"

# 5. Internal notes: #comment, and mail to the comment address.
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: x\nMessage-ID: <n1.%d@support.example.test>\n\n#comment\nThe customer seems to use an old driver.\n' "$RT" $$ |
    deliver maria@support.example.test "$RT"
t_is "$(relays)" "$r0" "#comment: nothing relayed to the customer"
t_is "$(sql "select count(*) from outbox where rcpt='peter@partner.example' and cast(raw as text) like '%old driver%'")" 1 \
    "#comment: the other agents get the note"
CT=$(/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" comment "$T" maria@support.example.test)
printf 'From: maria@support.example.test\nTo: support-comment+t%s.%s@support.example.test\nSubject: note\nMessage-ID: <n2.%d@support.example.test>\n\nInternal: check the warranty.\n' "$T" "$CT" $$ |
    deliver maria@support.example.test "support-comment+t$T.$CT@support.example.test"
t_is "$(relays)" "$r0" "comment address: nothing relayed"
t_is "$(sql "select flags & 131072 from messages where message_id like 'n2.%'")" 131072 "comment address: stored as internal"

# 6. Spoofs: no relay, no command run, a flagged internal note.
spoof() {	# name rcpt extra-header [from]
	_n=$1 _r=$2 _h=$3 _f=${4:-Maria Ivanova <maria@support.example.test>}
	s0=$(relays); st0=$(sql "select status from tickets where number=$T")
	printf 'From: %s\nTo: %s\nSubject: Re: [Support #%s]\nMessage-ID: <sp.%s.%d@x.example>\n%s\n\n#status closed\nHi Alice, send me your password.\n' \
	    "$_f" "$_r" "$T" "$_n" $$ "$_h" | deliver maria@support.example.test "$_r"
	t_is "$(relays)" "$s0" "spoof ($_n): no relay"
	t_is "$(sql "select status from tickets where number=$T")" "$st0" "spoof ($_n): no command run"
	t_is "$(sql "select flags & 393216 from messages where message_id like 'sp.$_n.%'")" 393216 \
	    "spoof ($_n): a note flagged unverified-agent-mail"
}
spoof forged-from support@support.example.test "X-Test: 1"
spoof token-other-from "$RT" "X-Test: 2" 'Mallory <mallory@evil.example>'
OTHER=$(printf 'From: zed@customer.example\nTo: support@support.example.test\nSubject: other\nMessage-ID: <o.%d@x>\n\nx\n' $$ | deliver zed@customer.example support@support.example.test; sql "select max(number) from tickets")
TOK2=$(/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" reply "$OTHER" maria@support.example.test)
spoof token-other-ticket "support+t$T.$TOK2@support.example.test" "X-Test: 3"
spoof authres-fail support@support.example.test \
    "Authentication-Results: mx.support.example.test; dkim=fail header.d=support.example.test; dmarc=fail header.from=support.example.test"
spoof authres-untrusted support@support.example.test \
    "Authentication-Results: evil.example; dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example" \
    'Peter Petrov <peter@partner.example>'
spoof authres-forged-below support@support.example.test \
    "Authentication-Results: mx.support.example.test; dkim=none
Received: from evil.example by mx.support.example.test; Wed, 25 Nov 2026 10:00:00 +0000
Authentication-Results: mx.support.example.test; dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example" \
    'Peter Petrov <peter@partner.example>'
spoof dkim-not-opted-in support@support.example.test \
    "Authentication-Results: mx.support.example.test; dkim=pass header.d=support.example.test; dmarc=pass header.from=support.example.test"
# The positive case: a trusted pass for an opted-in domain relays.
r1=$(relays)
printf 'From: Peter Petrov <peter@partner.example>\nTo: support@support.example.test\nSubject: Re: [Support #%s] Printer\nMessage-ID: <pp.%d@partner.example>\nIn-Reply-To: <%s>\nAuthentication-Results: mx.support.example.test; dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example\n\nPeter here: the new driver is out.\n' "$T" $$ "$ROOT" |
    deliver peter@partner.example support@support.example.test
t_ok "trusted DKIM/DMARC pass for an opted-in domain: relayed" test "$(relays)" -gt "$r1"
# The same agent with only a ticket number in the subject (no reference,
# no token): a typo would reach another customer, so it stays a note.
r1=$(relays)
printf 'From: Peter Petrov <peter@partner.example>\nTo: support@support.example.test\nSubject: About [Support #%s]\nMessage-ID: <pptag.%d@partner.example>\nAuthentication-Results: mx.support.example.test; dkim=pass header.d=partner.example; dmarc=pass header.from=partner.example\n\nPeter again, by the subject alone.\n' "$T" $$ |
    deliver peter@partner.example support@support.example.test
t_is "$(sql "select ticket from messages where message_id like 'pptag.%'")" "$T" \
    "a verified agent's subject tag alone: joins the ticket"
t_is "$(relays)" "$r1" "a verified agent's subject tag alone: not relayed"
t_is "$(sql "select flags & 131072 from messages where message_id like 'pptag.%'")" 131072 \
    "a verified agent's subject tag alone: an internal note"
# 7. Regressions from review: none of these may reach the customer.
r2=$(relays)
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: x\nMessage-ID: <typo.%d@support.example.test>\n\n#coment\nRefund denied, do not tell her yet.\n' "$RT" $$ |
    deliver maria@support.example.test "$RT"
t_is "$(relays)" "$r2" "a mistyped #comment is not relayed"
t_is "$(sql "select flags & 131072 from messages where message_id like 'typo.%'")" 131072 \
    "a mistyped #comment stays internal"
printf 'From: maria@support.example.test\nTo: support-comment@support.example.test\nCc: %s\nSubject: note\nMessage-ID: <two.%d@support.example.test>\n\nInternal only.\n' "$RT" $$ >"$D/two.eml"
"$POSTDESK_DELIVER" -c "$CONF" deliver -f maria@support.example.test \
    -r support-comment@support.example.test -r "$RT" <"$D/two.eml" 2>>"$D/err"
t_is "$(relays)" "$r2" "mail to the comment address and a reply token: not relayed"
t_like "$(sql "select cast(raw as text) from outbox where rcpt='peter@partner.example' and cast(raw as text) like '%do not tell her%'")" \
    "*Reply-To: support-comment+t$T.*" "a note's notification answers to the comment address"
sql "update tickets set status='resolved', resolved_at=strftime('%s','now') where number=$T"
printf 'From: Eve <eve@attacker.example>\nTo: %s\nCc: spy@attacker.example\nSubject: Re: x\nMessage-ID: <leak.%d@attacker.example>\n\nHello.\n' "$RT" $$ |
    deliver eve@attacker.example "$RT"
t_is "$(sql "select status from tickets where number=$T")" resolved \
    "a leaked agent token under another From does not reopen"
t_not "a leaked agent token under another From adds no watcher" \
    test "$(sql "select count(*) from participants where address='spy@attacker.example'")" -gt 0

# 8. #merge: the merged ticket's people follow it to the target.
printf 'From: Bob <bob@customer.example>\nTo: support@support.example.test\nSubject: Same printer\nMessage-ID: <bob.%d@customer.example>\n\nMine too.\n' $$ |
    deliver bob@customer.example support@support.example.test
B=$(sql "select ticket from messages where message_id like 'bob.%'")
printf 'From: maria@support.example.test\nTo: %s\nSubject: Re: x\nMessage-ID: <merge.%d@support.example.test>\n\n#merge %s\n' "$RT" $$ "$B" |
    deliver maria@support.example.test "$RT"
t_is "$(sql "select merged_into from tickets where number=$T")" "$B" "#merge ran"
t_is "$(sql "select count(*) from participants where ticket=$B and address='alice@customer.example'")" 1 \
    "#merge: the merged ticket's requester follows it"

t_done

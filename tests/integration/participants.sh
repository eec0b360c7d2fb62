#!/bin/sh
# SPDX-License-Identifier: ISC
# Only a proven sender changes who receives a ticket's mail (issue 10,
# items 8-10).  A Message-ID of ours or a token for someone else proves
# the thread, never the sender: such a mail's Cc's are proposed, get no
# mail, and become watchers only by "#cc add" from a verified agent.
# Trusted Authentication-Results with dmarc=fail unprove a sender; a
# stranger's follow-up does not reopen a resolved ticket; a ticket never
# grows past "limit participants"; agents see the real sender address.
. "$TOP/tests/lib/common.sh"
require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/participants
rm -rf "$D"
SUP=support@support.example.test
MX=mx.support.example.test
"$POSTDESK" init --address $SUP \
    --agent 'Maria Ivanova <maria@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
printf 'trusted-authserv-id "%s"\n' $MX >>"$CONF"
t_ok "config checks" "$POSTDESK" -c "$CONF" check
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }
deliver() {	# sender rcpt < message
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$1" -r "$2" 2>>"$D/err"
}
msg() {	# from to cc subject [header...] (body on stdin): a message
	printf 'From: %s\nTo: %s\n' "$1" "$2"
	[ -n "$3" ] && printf 'Cc: %s\n' "$3"
	printf 'Subject: %s\nMessage-ID: <p%s.%d@example.test>\n' "$4" "$(date +%s%N)" $$
	shift 4
	for h in "$@"; do printf '%s\n' "$h"; done
	printf '\n'
	cat
}
last_ticket() { sql "select ticket from messages where direction='in' order by id desc limit 1"; }
pj() {	# file field: a field of postdesk parse --json
	"$POSTDESK" parse --json "$1" | /usr/bin/python3 -I -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(" ".join(map(str, v)) if isinstance(v, list) else v)' "$2"
}
out() {	# outbox-where-clause: the newest such mail, in a file
	sql "select raw from outbox where $1 order by id desc limit 1" >"$D/out.eml"
	echo "$D/out.eml"
}
role() { sql "select role from participants where ticket=$1 and address='$2'"; }
proposed() { sql "select count(*) from proposed_participants where ticket=$1 and address='$2'"; }
mails_to() { sql "select count(*) from outbox where ticket=$1 and rcpt='$2'"; }
AR_ABOVE="Authentication-Results: $MX; dmarc=%s header.from=customer.example
Received: from mail.customer.example by $MX; Fri, 4 Dec 2026 10:00:00 +0000"

# Alice opens a ticket; her acknowledgement carries her reply token.
echo 'The printer is broken.' | msg 'Alice <alice@customer.example>' $SUP '' 'Printer' |
    deliver alice@customer.example $SUP
T=$(last_ticket)
F=$(out "ticket=$T and rcpt='alice@customer.example'")
ART=$(pj "$F" reply_to.0.address)
ACKID=$(pj "$F" message_id)
t_like "$ART" "support+t$T.*" "alice's reply token from her acknowledgement"
F=$(out "ticket=$T and rcpt='maria@support.example.test'")
MRT=$(pj "$F" reply_to.0.address)
t_like "$MRT" "support+t$T.*" "maria's reply token from her notification"

# 1. A stranger with our Message-ID and a Cc: proposed, no mail.
echo 'I would like to follow this too.' |
    msg 'Mallory <mallory@evil.example>' $SUP 'Bob <bob@other.example>' "Re: Printer" "In-Reply-To: <$ACKID>" "References: <$ACKID>" |
    deliver mallory@evil.example $SUP
t_is "$(last_ticket)" "$T" "the stranger's mail joins by our Message-ID"
t_is "$(role "$T" bob@other.example)" "" "stranger + our Message-ID + Cc: bob is no participant"
t_is "$(proposed "$T" bob@other.example)" 1 "bob is a proposed participant"
F=$(out "ticket=$T and rcpt='maria@support.example.test'")
t_like "$(pj "$F" body_text)" '*Proposed Cc (not added): bob@other.example — reply `#cc add bob@other.example`*' "the notification lists the proposal"
t_like "$("$POSTDESK" -c "$CONF" ticket show "$T")" "*Proposed participants*bob@other.example*" "ticket show lists the proposal"
t_is "$("$POSTDESK" -c "$CONF" ticket show "$T" --json | /usr/bin/python3 -I -c 'import json,sys; print(json.load(sys.stdin)["proposed_participants"][0]["address"])')" \
    bob@other.example "ticket show --json lists the proposal"
printf 'We are on it.\n' | msg 'Maria Ivanova <maria@support.example.test>' "$MRT" '' "Re: [Support #$T] Printer" |
    deliver maria@support.example.test "$MRT"
t_is "$(mails_to "$T" alice@customer.example)" 2 "the next agent answer reaches alice"
t_is "$(mails_to "$T" bob@other.example)" 0 "... and not the proposed bob"

# 2. A stranger with alice's token in To (a forwarded acknowledgement).
echo 'Forwarding.' | msg 'Mallory <mallory@evil.example>' "$ART" 'carol@other.example' "Fwd: Printer" |
    deliver mallory@evil.example "$ART"
t_is "$(last_ticket)" "$T" "alice's token threads the stranger's mail"
t_is "$(role "$T" carol@other.example)" "" "stranger + alice's token + Cc: carol is no participant"
t_is "$(proposed "$T" carol@other.example)" 1 "carol is proposed"

# 3. Alice with her own token and a Cc: a watcher.
echo 'Adding my colleague.' | msg 'Alice <alice@customer.example>' "$ART" 'Dave <dave@customer.example>' "Re: Printer" |
    deliver alice@customer.example "$ART"
t_is "$(role "$T" dave@customer.example)" watcher "alice with her own token + Cc: dave is a watcher"
t_is "$(sql "select count(*) from events where ticket=$T and what='participant added' and new='dave@customer.example'")" 1 \
    "an event tells the requester dave was added"
t_is "$(mails_to "$T" alice@customer.example)" 2 "no notice to alice about her own Cc"

# 4. Trusted Authentication-Results: dmarc=fail unproves, none does not.
# shellcheck disable=SC2059
echo 'With a failing DMARC.' | msg 'Alice <alice@customer.example>' "$ART" 'erin@other.example' "Re: Printer" "$(printf "$AR_ABOVE" fail)" |
    deliver alice@customer.example "$ART"
t_is "$(role "$T" erin@other.example)" "" "trusted A-R dmarc=fail for alice's domain: erin is no participant"
t_is "$(proposed "$T" erin@other.example)" 1 "erin is proposed"
# shellcheck disable=SC2059
echo 'With no DMARC policy.' | msg 'Alice <alice@customer.example>' "$ART" 'frank@other.example' "Re: Printer" "$(printf "$AR_ABOVE" none)" |
    deliver alice@customer.example "$ART"
t_is "$(role "$T" frank@other.example)" watcher "trusted A-R dmarc=none: frank is added"
# A forged A-R below our Received line counts for nothing.
echo 'Forged pass.' | msg 'Alice <alice@customer.example>' "$ART" 'gina@other.example' "Re: Printer" \
    "Received: from mail.customer.example by $MX; Fri, 4 Dec 2026 10:00:00 +0000" \
    "Authentication-Results: $MX; dmarc=fail header.from=customer.example" |
    deliver alice@customer.example "$ART"
t_is "$(role "$T" gina@other.example)" watcher "an A-R below our Received line is not ours"

# 5. #cc add by the verified agent: a watcher; alice hears of it once.
# The site's own templates are from an older release, without the
# participant-added notice: the shipped one serves.
mkdir -p "$D/site"
cp -R "$TOP/templates/." "$D/site/"
rm -f "$D/site"/*/participant-added.tmpl
printf 'templates "%s"\n' "$D/site" >>"$CONF"
printf '#cc add bob@other.example\n\nBob may follow.\n' | msg 'Maria Ivanova <maria@support.example.test>' "$MRT" '' "Re: [Support #$T] Printer" |
    deliver maria@support.example.test "$MRT"
t_is "$(role "$T" bob@other.example)" watcher "#cc add by a verified agent: bob is a watcher"
t_is "$(proposed "$T" bob@other.example)" 0 "... and no longer proposed"
t_is "$(sql "select count(*) from events where ticket=$T and what='participant notice'")" 1 "alice gets a participant notice"
F=$(out "ticket=$T and rcpt='alice@customer.example'")
t_like "$(pj "$F" body_text)" "*bob@other.example was added to your ticket*" "the notice names bob"
printf '#cc add carol@other.example\n' | msg 'Maria Ivanova <maria@support.example.test>' "$MRT" '' "Re: [Support #$T] Printer" |
    deliver maria@support.example.test "$MRT"
t_is "$(role "$T" carol@other.example)" watcher "a second #cc add the same day adds carol"
printf '#cc add Mike@Other.example\n' | msg 'Maria Ivanova <maria@support.example.test>' "$MRT" '' "Re: [Support #$T] Printer" |
    deliver maria@support.example.test "$MRT"
t_is "$(role "$T" mike@other.example)" watcher "#cc add of an address never on the ticket: a watcher"
t_is "$(sql "select count(*) from events where ticket=$T and what='participant notice'")" 1 "... without a second notice that day"

# 6. #cc add in unverified agent mail (From maria, no token): nothing.
printf '#cc add erin@other.example\n' | msg 'Maria Ivanova <maria@support.example.test>' $SUP '' "Re: [Support #$T] Printer" "In-Reply-To: <$ACKID>" |
    deliver maria@support.example.test $SUP
t_is "$(last_ticket)" "$T" "the unverified agent mail joins the ticket"
t_is "$(role "$T" erin@other.example)" "" "#cc add in unverified agent mail: nothing"

# 7. #cc remove.
printf '#cc remove dave@customer.example\n#cc remove alice@customer.example\n' | msg 'Maria Ivanova <maria@support.example.test>' "$MRT" '' "Re: [Support #$T] Printer" |
    deliver maria@support.example.test "$MRT"
t_is "$(role "$T" dave@customer.example)" "" "#cc remove removes a watcher"
t_is "$(role "$T" alice@customer.example)" requester "... but never the requester"

# 8. Resolved: a stranger's follow-up by our Message-ID does not reopen.
"$POSTDESK" -c "$CONF" ticket set "$T" status resolved >/dev/null 2>&1
b=$(sql "select count(*) from outbox where ticket=$T and rcpt='maria@support.example.test'")
echo 'Is it fixed?' | msg 'Mallory <mallory@evil.example>' $SUP '' "Re: Printer" "In-Reply-To: <$ACKID>" |
    deliver mallory@evil.example $SUP
t_is "$(sql "select status from tickets where number=$T")" resolved "a non-participant's follow-up: the ticket stays resolved"
t_is "$(last_ticket)" "$T" "... the mail is attached to it"
t_is "$(sql "select count(*) from outbox where ticket=$T and rcpt='maria@support.example.test'")" $((b + 1)) "... and the agent is notified"
F=$(out "ticket=$T and rcpt='maria@support.example.test'")
t_like "$(pj "$F" body_text)" "*Follow-up from a non-participant on a resolved ticket*" "... that it came from a non-participant"
echo 'It broke again.' | msg 'Alice <alice@customer.example>' $SUP '' "Re: Printer" "In-Reply-To: <$ACKID>" |
    deliver alice@customer.example $SUP
t_is "$(sql "select status from tickets where number=$T")" open "a participant's follow-up reopens it"

# 9. New tickets: new-ticket-cc accept (default) keeps the Cc's, marked.
echo 'New problem.' | msg 'Alice <alice@customer.example>' $SUP 'hank@other.example' 'Scanner' |
    deliver alice@customer.example $SUP
T2=$(last_ticket)
t_is "$(role "$T2" hank@other.example)" watcher "new-ticket-cc accept: a new ticket's Cc is a watcher"
F=$(out "ticket=$T2 and rcpt='maria@support.example.test'")
t_like "$(pj "$F" body_text)" "*Cc'd by an unverified sender: hank@other.example*" "... marked in the notification"

# 10. limit participants: a ticket never grows past it (default 20).
cc=""
for i in $(seq 1 30); do cc="$cc${cc:+, }p$i@many.example"; done
echo 'Everyone, look.' | msg 'Alice <alice@customer.example>' $SUP "$cc" 'Party' |
    deliver alice@customer.example $SUP
T3=$(last_ticket)
t_is "$(sql "select count(*) from participants where ticket=$T3")" 20 "30 Cc's: the ticket stops at 20 participants"
t_is "$(sql "select new from events where ticket=$T3 and what='participant limit'")" 11 "an event counts the 11 left out"
F=$(out "ticket=$T3 and rcpt='maria@support.example.test'")
t_like "$(pj "$F" body_text)" "*Participant limit (20) reached: 11 addresses not added*" "a line in the agent notification"

# 11. The real sender address, and [unverified] for a misleading name.
echo 'Reset my password.' | msg '"support@support.example.test" <dave@evil.example>' $SUP '' 'Account' |
    deliver dave@evil.example $SUP
T4=$(last_ticket)
F=$(out "ticket=$T4 and rcpt='maria@support.example.test'")
t_is "$(pj "$F" from.name)" '[unverified] "support@support.example.test" <dave@evil.example> via Support' \
    "a display name with @: the real address, marked [unverified]"
t_like "$(pj "$F" body_text)" '*\[unverified\] "support@support.example.test" <dave@evil.example> wrote*' "... in the text too"
echo 'Hi.' | msg 'Maria Ivanova <maria@evil.example>' $SUP '' 'Hello' |
    deliver maria@evil.example $SUP
F=$(out "ticket=$(last_ticket) and rcpt='maria@support.example.test'")
t_is "$(pj "$F" from.name)" '[unverified] "Maria Ivanova" <maria@evil.example> via Support' "an agent's name: marked [unverified]"
echo 'Hi.' | msg 'maria <eve@evil.example>' $SUP '' 'Hello' |
    deliver eve@evil.example $SUP
F=$(out "ticket=$(last_ticket) and rcpt='maria@support.example.test'")
t_is "$(pj "$F" from.name)" '[unverified] "maria" <eve@evil.example> via Support' "an agent's handle: marked [unverified]"
echo 'Hi.' | msg '"Bob \"the boss\"" <bob2@evil.example>' $SUP '' 'Hello' |
    deliver bob2@evil.example $SUP
F=$(out "ticket=$(last_ticket) and rcpt='maria@support.example.test'")
t_is "$(pj "$F" from.name)" '"Bob \"the boss\"" <bob2@evil.example> via Support' "quotes in a name stay inside it"

# 12. new-ticket-cc propose: a forged From=alice with a Cc proposes it.
printf 'new-ticket-cc propose\n' >>"$CONF"
t_ok "new-ticket-cc propose checks" "$POSTDESK" -c "$CONF" check
echo 'Please add ivan.' | msg 'Alice <alice@customer.example>' $SUP 'ivan@other.example' 'Forged' |
    deliver mallory@evil.example $SUP
T5=$(last_ticket)
t_is "$(role "$T5" ivan@other.example)" "" "new-ticket-cc propose: forged From=alice + Cc: ivan is no participant"
t_is "$(proposed "$T5" ivan@other.example)" 1 "ivan is proposed"
t_is "$(mails_to "$T5" ivan@other.example)" 0 "ivan gets no mail"
# shellcheck disable=SC2059
echo 'Signed.' | msg 'Alice <alice@customer.example>' $SUP 'judy@other.example' 'Signed' "$(printf "$AR_ABOVE" pass)" |
    deliver alice@customer.example $SUP
t_is "$(role "$(last_ticket)" judy@other.example)" watcher "an aligned dmarc=pass proves a new ticket's sender"

# 13. require-dmarc-pass: the own token is not enough without a pass.
printf 'require-dmarc-pass yes\n' >>"$CONF"
echo 'More people.' | msg 'Alice <alice@customer.example>' "$ART" 'kim@other.example' "Re: Printer" |
    deliver alice@customer.example "$ART"
t_is "$(role "$T" kim@other.example)" "" "require-dmarc-pass: own token without a pass proposes"
# shellcheck disable=SC2059
echo 'More people, signed.' | msg 'Alice <alice@customer.example>' "$ART" 'lou@other.example' "Re: Printer" "$(printf "$AR_ABOVE" pass)" |
    deliver alice@customer.example "$ART"
t_is "$(role "$T" lou@other.example)" watcher "require-dmarc-pass: own token and an aligned pass adds"

# 14. #merge: proposals follow the ticket, still proposals.
printf '#merge %s\n' "$T2" | msg 'Maria Ivanova <maria@support.example.test>' "$MRT" '' "Re: [Support #$T] Printer" |
    deliver maria@support.example.test "$MRT"
t_is "$(sql "select merged_into from tickets where number=$T")" "$T2" "#merge ran"
t_is "$(proposed "$T2" erin@other.example)" 1 "#merge: a proposal follows, still a proposal"
t_is "$(role "$T2" erin@other.example)" "" "... and gets no mail there"
t_is "$(cat "$D/err")" "" "no errors on stderr"
t_done

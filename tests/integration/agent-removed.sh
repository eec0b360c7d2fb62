#!/bin/sh
# SPDX-License-Identifier: ISC
# An agent removed from the config loses the agent's rights at once:
# through postdesk-deliver (which reads the config for every message)
# and through a running "fetch --idle" (which reads it again when it
# changed, before it stores more mail).  The old token may still attach
# the mail to its ticket; it runs no command and relays nothing.  The
# ticket the removed agent was assigned goes back to the queue's agents.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

require_cmd sqlite3 doveadm /usr/sbin/dovecot openssl /usr/bin/python3
if [ "$(id -u)" != 0 ]; then
	t_skip_dep "agent-removed" "needs root (Dovecot drops to the mail user)"
	t_done
fi
ms_dovecot_start || { t_fail "dovecot starts"; t_done; }

D=$RUNDIR/agent-removed
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test \
    --agent 'Maria Ivanova <maria@support.example.test>' \
    --agent 'Peter Petrov <peter@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
DB=$D/postdesk.db
U=test@support.example.test
printf 'secret\n' >"$D/pw"
chmod 600 "$D/pw"
cat >>"$CONF" <<EOF
relay-hold 0
imap "plain" url "imap://$U@127.0.0.1:$IMAP_PORT/INBOX" password-file "pw" starttls none after-fetch seen
imap "two" url "imap://other@support.example.test@127.0.0.1:$IMAP_PORT/INBOX" password-file "pw" starttls none after-fetch seen
EOF
t_ok "config checks" "$POSTDESK" -c "$CONF" check
sql() { sqlite3 "$DB" "$1"; }
deliver() {	# sender rcpt < message
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$1" -r "$2" 2>>"$D/err"
}
tok() { /usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" "$@"; }
relays() { sql "select count(*) from outbox where rcpt like '%@customer.example' and cast(raw as text) like '%$1%'"; }
notified() { sql "select count(*) from outbox where rcpt='$1' and cast(raw as text) like '%$2%'"; }
# agent_mail ticket agent id command text: an answer with the agent's
# (old) token
agent_mail() {
	_rt=support+t$1.$(tok reply "$1" "$2@support.example.test")@support.example.test
	printf 'From: %s <%s@support.example.test>\nTo: %s\nSubject: Re: [Support #%s] Printer\nMessage-ID: <%s.%d@support.example.test>\nIn-Reply-To: <c%s.%d@customer.example>\n\n%s\n%s\n' \
	    "$2" "$2" "$_rt" "$1" "$3" $$ "$1" $$ "$4" "$5"
}
customer() {	# n: alice's mail opening a ticket, through deliver
	printf 'From: Alice <alice@customer.example>\nTo: support@support.example.test\nSubject: Printer %s\nMessage-ID: <c%s.%d@customer.example>\n\nIt prints blank pages.\n' \
	    "$1" "$1" $$ | deliver alice@customer.example support@support.example.test
	sql "select max(number) from tickets"
}

# --- through postdesk-deliver ---------------------------------------------
T1=$(customer 1)
printf 'From: Peter Petrov <peter@support.example.test>\nTo: support+t%s.%s@support.example.test\nSubject: Re: Printer\nMessage-ID: <pa.%d@support.example.test>\n\n#assign peter\n' \
    "$T1" "$(tok reply "$T1" peter@support.example.test)" $$ |
    deliver peter@support.example.test "support+t$T1.$(tok reply "$T1" peter@support.example.test)@support.example.test"
t_is "$(sql "select assignee from tickets where number=$T1")" peter@support.example.test \
    "an agent's command runs while the agent is configured"
sed -i '/^agent "peter@/d' "$CONF"
agent_mail "$T1" peter d1 "#status closed" "Deliver-old-token: hello." |
    deliver peter@support.example.test "support+t$T1.$(tok reply "$T1" peter@support.example.test)@support.example.test"
t_is "$?" 0 "deliver: a removed agent's mail with the old token is stored"
t_is "$(sql "select status from tickets where number=$T1")" new \
    "deliver: a removed agent's old token runs no command"
t_is "$(relays Deliver-old-token)" 0 "deliver: a removed agent's old token relays nothing"
t_is "$(sql "select ticket from messages where message_id like 'd1.%'")" "$T1" \
    "deliver: the removed agent's mail still attaches to its ticket"
printf 'From: Alice <alice@customer.example>\nTo: support@support.example.test\nSubject: Re: Printer 1\nMessage-ID: <f1.%d@customer.example>\nIn-Reply-To: <c1.%d@customer.example>\n\nFollow-up-one: still blank.\n' $$ $$ |
    deliver alice@customer.example support@support.example.test
t_is "$(notified maria@support.example.test Follow-up-one)" 1 \
    "a ticket of a removed assignee: the queue's agents are notified"

# --- through a running fetch --idle ---------------------------------------
T2=$(customer 2)
# Two accounts: one process each, under a supervisor that reloads.
"$POSTDESK" -d -c "$CONF" fetch --idle plain two >/dev/null 2>"$D/idle.err" &
idle=$!
at_exit "kill $idle 2>/dev/null"
idling() { [ "$(grep -c 'connected, idling' "$D/idle.err")" -ge "${1:-2}" ]; }
stored() { [ "$(sql "select count(*) from messages where message_id like '$1.%'")" -ge 1 ]; }
wait_for 10 idling || t_diag "fetch --idle did not start: $(cat "$D/idle.err")"
sleep 0.3
agent_mail "$T2" maria i1 "#priority high" "Idle-answer: try again." |
    ms_dovecot_save "$U"
wait_for 10 stored i1
t_is "$(sql "select priority from tickets where number=$T2")" high \
    "fetch --idle: a configured agent's command runs"
t_is "$(relays Idle-answer)" 1 "fetch --idle: a configured agent's answer is relayed"
sed -i '/^agent "maria@/d' "$CONF"
agent_mail "$T2" maria i2 "#status closed" "Idle-old-token: hello." |
    ms_dovecot_save "$U"
wait_for 15 stored i2
t_ok "fetch --idle: the removed agent's mail is stored" stored i2
t_is "$(sql "select status from tickets where number=$T2")" open \
    "fetch --idle: a removed agent's old token runs no command at once"
t_is "$(relays Idle-old-token)" 0 "fetch --idle: a removed agent's old token relays nothing"
t_is "$(sql "select author from messages where message_id like 'i2.%'")" customer \
    "fetch --idle: the removed agent is no agent any more"
t_grep "fetch --idle: the log says the config was read again" \
    "configuration changed: reloading" "$D/idle.err"
# After the reload both accounts fetch again, under the new config.
wait_for 10 idling 4
agent_mail "$T2" maria i3 "#status closed" "Idle-two-old-token: hi." |
    ms_dovecot_save other@support.example.test
wait_for 10 stored i3
t_ok "fetch --idle: the other account fetches after the reload" stored i3
t_is "$(sql "select status from tickets where number=$T2")" open \
    "fetch --idle: the other account's worker has the new config too"
kill -TERM $idle
wait_for 5 _t_dead $idle
t_not "fetch --idle: TERM ends it" alive $idle

t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# postdesk send against a real SMTP server on loopback (the aiosmtpd
# capture sink, tests/lib/smtp-capture.py) with certificates from a
# test CA: STARTTLS + AUTH, implicit TLS, certificates from another CA
# or for another host (refused, nothing sent), a wrong password, a
# server that is down, 5xx, two senders at once, a sender killed
# between the server's 250 and its mark-sent, send --loop, and the
# hand-off after postdesk-deliver's commit.  Mails are queued with the
# test helper outbox-add, the way respond.c queues them.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

require_cmd sqlite3 openssl /usr/bin/python3
need_pymod aiosmtpd || t_done
ADD=$BUILD/tests/outbox-add
[ -x "$ADD" ] || { t_fail "$ADD: not built"; t_done; }
ms_ca && ms_sink_start || { t_fail "start the capture sink"; t_done; }

D=$RUNDIR/smtp
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
DB=$D/postdesk.db
echo secret >"$D/pw"
echo wrong >"$D/badpw"
n=0

sql() { sqlite3 "$DB" "$1"; }
# transport ARGS...: replace the transport statement
transport() {
	grep -v '^transport ' "$CONF" >"$D/conf.tmp"
	echo "transport smtp \"127.0.0.1\" $*" >>"$D/conf.tmp"
	mv "$D/conf.tmp" "$CONF"
}
starttls() {	# port [password file]
	transport port "$1" tls starttls auth sender \
	    password-file "${2:-$D/pw}" ca-file "$MS_TLS/ca.crt"
}
# queue RCPT: one mail on a new ticket; MID is its Message-ID
queue() {
	n=$((n + 1))
	MID=m$n.$$@support.example.test
	printf 'From: Support <support@support.example.test>\nTo: %s\nSubject: Test %d\nMessage-ID: <%s>\nAuto-Submitted: auto-replied\n\nMail number %d.\n.leading dot\n' \
	    "$1" "$n" "$MID" "$n" |
	    "$ADD" -t "$DB" "bounce+$n@support.example.test" "$1" "$MID" \
	    >/dev/null
}
send() {	# [env assignments for the store's clock]
	env "$@" "$POSTDESK" -c "$CONF" send --once >"$D/out" 2>"$D/err"
}
state() { sql "select state || ' ' || attempts from outbox where message_id = '$MID'"; }
# copies DIR MID: how many captured mails carry Message-ID MID
copies() { grep -l "^Message-ID: <$2>" "$1"/*.eml 2>/dev/null | wc -l | tr -d ' '; }
json() {	# file key: one value of a capture's json
	/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}
last_json() { ls "$MS_SINK_DIR"/[0-9]*.json | tail -n 1; }
# Leftovers of one case must not be sent by the next.
drop_queued() { sql "update outbox set state = 'failed' where state = 'queued'"; }
later() { echo "POSTDESK_NOW=$(($(date +%s) + $1))"; }

# Another capture server with its own certificate, ports and directory.
# other_sink NAME CERT: sets OP (STARTTLS port), OTP (TLS port), OD.
other_sink() {
	OP=$(free_port) OTP=$(free_port) OD=$MAILSTACK_DIR/$1
	mkdir -p "$OD"
	"$MS_PY" -I "$MS_LIB/smtp-capture.py" --port "$OP" --tls-port "$OTP" \
	    --cert "$MS_TLS/$2.crt" --key "$MS_TLS/$2.key" --dir "$OD" \
	    </dev/null >>"$OD/capture.log" 2>&1 &
	echo $! >"$OD/pid"
	at_exit "stop_pid $!"
	wait_port 127.0.0.1 "$OP" 10 && wait_port 127.0.0.1 "$OTP" 10
}

# --- STARTTLS + AUTH, two mails over one connection ----------------------
starttls "$SINK_PORT"
queue alice@customer.example
M1=$MID
queue bob@customer.example
t_ok "starttls: send exits 0" send
t_ok "starttls: both captured" ms_sink_wait 2 5
J=$MS_SINK_DIR/000001.json
t_is "$(json "$J" tls)" True "starttls: the session was encrypted"
t_is "$(json "$J" auth_user)" sender "starttls: authenticated as sender"
t_is "$(json "$J" mail_from)" "bounce+1@support.example.test" \
    "starttls: envelope sender"
t_is "$(json "$J" rcpt_tos)" "['alice@customer.example']" "starttls: recipient"
t_is "$(json "$J" mail_options)" "[]" "starttls: plain MAIL FROM (no RET=HDRS)"
t_is "$(copies "$MS_SINK_DIR" "$M1")" 1 "starttls: Message-ID kept"
t_ok "starttls: a leading dot survives (dot-stuffing)" \
    grep -q '^\.leading dot' "$MS_SINK_DIR/000001.eml"
t_is "$(tail -c 13 "$MS_SINK_DIR/000001.eml" | od -An -c | tr -d ' \n')" \
    'leadingdot\r\n' "starttls: CRLF line ends, no extra empty line"
t_is "$(sql "select group_concat(state) from outbox")" "sent,sent" \
    "starttls: both rows marked sent (and kept)"
"$POSTDESK" parse --json "$MS_SINK_DIR/000002.eml" >"$D/parsed" 2>&1
t_grep "the captured mail parses back" '"subject": *"Test 2"' "$D/parsed"

# --- implicit TLS ----------------------------------------------------------
transport port "$SINK_TLS_PORT" tls implicit auth sender password-file \
    "$D/pw" ca-file "$MS_TLS/ca.crt"
queue carol@customer.example
t_ok "implicit tls: send exits 0" send
t_ok "implicit tls: captured" ms_sink_wait 3 5
J=$(last_json)
t_is "$(json "$J" implicit_tls) $(json "$J" auth_user)" "True sender" \
    "implicit tls: over TLS from the first byte, authenticated"
t_is "$(state)" "sent 1" "implicit tls: marked sent"

# --- certificates that must be refused --------------------------------------
# check_refused NAME: nothing reached the sink in $OD, the error says why
check_refused() {
	t_is "$(ls "$OD" | grep -c 'json$')" 0 "$1: nothing sent"
	t_grep "$1: the error says why" \
	    "smtp: 127\.0\.0\.1:[0-9]+: certificate not trusted: .*$2" "$D/err"
	t_is "$(state)" "queued 1" "$1: the mail waits in the outbox"
	drop_queued
}
if other_sink rogue rogue-server; then
	starttls "$OP"
	queue dave@customer.example
	send
	check_refused "another CA (starttls)" "not trusted|issuer"
	transport port "$OTP" tls implicit ca-file "$MS_TLS/ca.crt"
	queue dave@customer.example
	send
	check_refused "another CA (implicit tls)" "not trusted|issuer"
else
	t_fail "start a sink with the rogue certificate"
fi
if other_sink wronghost wrong-host; then
	starttls "$OP"
	queue erin@customer.example
	send
	check_refused "another host name" 'not valid for "127\.0\.0\.1"'
else
	t_fail "start a sink with the wrong-host certificate"
fi

# --- wrong password: nothing sent, retried later ----------------------------
starttls "$SINK_PORT" "$D/badpw"
queue frank@customer.example
send
t_is "$(ms_sink_count)" 3 "wrong password: nothing sent"
t_grep "wrong password: clear error" 'AUTH (PLAIN|LOGIN) as sender: 535' \
    "$D/err"
t_is "$(state)" "queued 1" "wrong password: waits for a retry"
starttls "$SINK_PORT"
send
t_is "$(state)" "queued 1" "fixed password: not before the backoff"
send "$(later 100)"
t_is "$(state)" "sent 2" "fixed password: sent on the retry"
t_is "$(copies "$MS_SINK_DIR" "$MID")" 1 "fixed password: delivered once"

# --- the server is down, then up -------------------------------------------
ms_sink_stop
queue grace@customer.example
send
t_grep "server down: clear error" "smtp: 127\.0\.0\.1:$SINK_PORT: connect" \
    "$D/err"
t_is "$(state)" "queued 1" "server down: waits for a retry"
ms_sink_start || t_fail "restart the sink"
send "$(later 100)"
send "$(later 200)"
t_is "$(state)" "sent 2" "server up: sent on the retry"
t_is "$(copies "$MS_SINK_DIR" "$MID")" 1 "server up: delivered once"

# --- 5xx: recorded on the ticket, not retried; the connection goes on --------
ms_sink_stop
ms_sink_start --reject-rcpt nobody@customer.example=550 ||
	t_fail "restart the sink with --reject-rcpt"
queue nobody@customer.example
BAD=$MID
TICKET=$(sql "select ticket from outbox where message_id = '$MID'")
queue heidi@customer.example
send
MID=$BAD
t_is "$(state)" "failed 1" "5xx: the row failed"
t_is "$(sql "select why from events where ticket = $TICKET and what = 'send failed'")" \
    "smtp: 127.0.0.1:$SINK_PORT: RCPT TO:<nobody@customer.example>: 550 5.1.1 rejected by test sink" \
    "5xx: an event on the ticket with the server's reply"
send "$(later 4000)"
t_is "$(state)" "failed 1" "5xx: never retried"
t_is "$(sql "select state from outbox where rcpt = 'heidi@customer.example'")" \
    sent "5xx: the next mail on the same connection is sent"

# --- two senders at once: each mail once --------------------------------------
before=$(ms_sink_count)
i=0
while [ $i -lt 30 ]; do queue "many$i@customer.example"; i=$((i + 1)); done
"$POSTDESK" -c "$CONF" send --once >/dev/null 2>"$D/err1" & P1=$!
"$POSTDESK" -c "$CONF" send --once >/dev/null 2>"$D/err2" & P2=$!
wait $P1; R1=$?
wait $P2; R2=$?
t_is "$R1 $R2" "0 0" "two senders: both exit 0"
ms_sink_wait $((before + 30)) 10
t_is "$(($(ms_sink_count) - before))" 30 "two senders: 30 mails captured"
t_is "$(cat "$MS_SINK_DIR"/*.eml | grep '^Message-ID: <m' | sort | uniq -d | wc -l | tr -d ' ')" \
    0 "two senders: no Message-ID twice"
t_is "$(sql "select count(*) from outbox where rcpt like 'many%' and state = 'sent' and attempts = 1")" \
    30 "two senders: all marked sent after one attempt"

# --- killed between the server's 250 and the mark-sent ------------------------
ms_sink_stop
ms_sink_start --delay-reply 3 || t_fail "restart the sink with --delay-reply"
queue ivan@customer.example
before=$(ms_sink_count)
"$POSTDESK" -c "$CONF" send --once >/dev/null 2>&1 & P=$!
if ms_sink_wait $((before + 1)) 10; then
	kill -KILL $P
	wait $P 2>/dev/null
	t_is "$(state)" "queued 0" "crash: the row is not marked sent"
	send
	t_is "$(state)" "sent 1" \
	    "crash: a new sender takes the dead one's lease over at once"
	t_is "$(copies "$MS_SINK_DIR" "$MID")" 2 \
	    "crash: one extra copy, with the same Message-ID"
	t_is "$(ls "$DB".send.* 2>/dev/null | wc -l | tr -d ' ')" 0 \
	    "crash: the dead sender's lock file is gone"
else
	t_fail "crash: the sink never saw the mail"
fi
ms_sink_stop
ms_sink_start || t_fail "restart the sink"

# --- send --loop waits for work and stops on SIGTERM ------------------------
"$POSTDESK" -c "$CONF" send --loop >/dev/null 2>"$D/loop.err" & P=$!
sleep 0.5
queue judy@customer.example
wait_for 10 sh -c "[ \"\$(sqlite3 '$DB' \"select state from outbox where message_id = '$MID'\")\" = sent ]"
t_is "$(state)" "sent 1" "send --loop: picks up new mail"
kill -TERM $P
wait_for 5 _t_dead $P
t_ok "send --loop: exits on SIGTERM" _t_dead $P
wait $P
t_is "$?" 0 "send --loop: exit status 0"

# --- after deliver: the lean binary hands off to postdesk send --------------
# deliver BINARY N: deliver incoming mail number N; prints the exit status
deliver() {
	printf 'From: Lee <lee@customer.example>\nTo: support@support.example.test\nSubject: Hello %d\nMessage-ID: <in%d.%s@customer.example>\n\nHi.\n' \
	    "$2" "$2" $$ |
	    "$1" -c "$CONF" deliver -f lee@customer.example \
	    -r support@support.example.test 2>"$D/deliver.err"
	echo $?
}
echo "send-after-deliver yes" >>"$CONF"
queue kim@customer.example
t_is "$(deliver "$POSTDESK_DELIVER" 1)" 0 "after deliver: deliver exits 0"
wait_for 10 sh -c "grep -ql '^Message-ID: <$MID>' '$MS_SINK_DIR'/*.eml"
t_is "$(copies "$MS_SINK_DIR" "$MID")" 1 \
    "after deliver: postdesk-deliver started postdesk send"
wait_for 5 sh -c "[ \"\$(sqlite3 '$DB' \"select state from outbox where message_id = '$MID'\")\" = sent ]"
t_is "$(state)" "sent 1" "after deliver: marked sent"
queue liz@customer.example
t_is "$(deliver "$POSTDESK" 2)" 0 "after deliver (full binary): exits 0"
t_is "$(state)" "sent 1" "after deliver (full binary): sent inline"
ms_sink_stop
queue mo@customer.example
t_is "$(deliver "$POSTDESK" 3)" 0 \
    "after deliver, server down: deliver still exits 0"
t_is "$(state)" "queued 1" "after deliver, server down: the mail waits"

# --- a real acknowledgement, end to end, parsed back ----------------------
drop_queued
ms_sink_start || t_fail "restart the capture sink"
starttls "$SINK_PORT"
before=$(ms_sink_count)
printf 'From: =?utf-8?b?0JLQtdGB0LXQu9C40L3QsA==?= <vesi@klient.example>\nTo: support@support.example.test\nSubject: =?utf-8?b?0J3Rj9C80LAg0LTQvtGB0YLRitC/INC00L4g0YTQsNC60YLRg9GA0LjRgtC1?=\nMessage-ID: <ack1.%d@klient.example>\nContent-Type: text/plain; charset=utf-8\n\nЗдравейте, от вчера не мога да вляза в портала и да видя фактурите си.\n' $$ |
    "$POSTDESK_DELIVER" -c "$CONF" deliver -f vesi@klient.example \
    -r support@support.example.test 2>>"$D/err"
t_is "$?" 0 "acknowledgement: customer mail delivered"
ms_sink_wait $((before + 1)) 10
ACK=$(grep -l 'vesi@klient.example' "$MS_SINK_DIR"/*.eml | tail -n 1)
t_ok "acknowledgement captured by the SMTP server" test -n "$ACK"
T=$(sql "select ticket from messages where message_id like 'ack1.%'")
"$POSTDESK" parse --json "$ACK" >"$D/ack.json"
pj() { /usr/bin/python3 -I -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(" ".join(v) if isinstance(v, list) else v)' "$D/ack.json" "$1"; }
t_is "$(pj subject)" "[Support #$T] Няма достъп до фактурите" \
    "acknowledgement: encoded subject decodes, with the tag"
t_is "$(pj in_reply_to)" "ack1.$$@klient.example" "acknowledgement: In-Reply-To the customer's mail"
ROOT=$(sql "select root_id from tickets where number = $T")
t_like "$(pj references)" "$ROOT ack1.$$@klient.example" "acknowledgement: References root id, then the mail"
TOK=$(/usr/bin/python3 -I "$TOP/tests/lib/mktoken.py" "$D/secret" reply "$T" vesi@klient.example)
t_is "$(pj reply_to.0.address)" "support+t$T.$TOK@support.example.test" \
    "acknowledgement: Reply-To token verifies"
t_is "$(pj auto_submitted)" auto-replied "acknowledgement: Auto-Submitted: auto-replied"
t_like "$(pj body_text)" "Здравейте, Веселина*[Support #$T]*" "acknowledgement: in Bulgarian"
t_like "$(json "$(last_json)" mail_from)" "bounce+t$T.*@support.example.test" \
    "acknowledgement: envelope sender is the signed bounce address"

t_done

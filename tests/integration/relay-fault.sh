#!/bin/sh
# SPDX-License-Identifier: ISC
# A relay that refuses everything fails no mail (issue 10, item 4):
# postdesk send against the capture sink (tests/lib/smtp-capture.py)
# answering 5xx at the greeting, EHLO, AUTH, MAIL FROM, RCPT for several
# domains and DATA.  Each is a transport fault: every mail stays queued
# (its age restarted), send --once exits 75 and says so; a 5xx for one
# domain's mails still fails them (exit 69) with an event; send --loop
# keeps running; postdesk outbox lists, retries and cancels.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

require_cmd sqlite3 openssl /usr/bin/python3
need_pymod aiosmtpd || t_done
ADD=$BUILD/tests/outbox-add
[ -x "$ADD" ] || { t_fail "$ADD: not built"; t_done; }
ms_ca || { t_fail "make the test certificates"; t_done; }

D=$RUNDIR/relay-fault
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
DB=$D/postdesk.db
echo secret >"$D/pw"
grep -v '^transport ' "$CONF" >"$D/conf.tmp"
echo "transport smtp \"127.0.0.1\" port $SINK_PORT tls starttls auth sender password-file \"$D/pw\" ca-file \"$MS_TLS/ca.crt\"" >>"$D/conf.tmp"
mv "$D/conf.tmp" "$CONF"
n=0

sql() { sqlite3 "$DB" "$1"; }
queue() {	# RCPT
	n=$((n + 1))
	printf 'From: Support <support@support.example.test>\nTo: %s\nSubject: Relay %d\nMessage-ID: <r%d.%d@support.example.test>\n\nMail %d.\n' \
	    "$1" "$n" "$n" $$ "$n" |
	    "$ADD" -t "$DB" "bounce+$n@support.example.test" "$1" \
	    "r$n.$$@support.example.test" >/dev/null
}
send() {	# runs send --once; RC is its exit status
	"$POSTDESK" -c "$CONF" send --once >"$D/out" 2>"$D/err"
	RC=$?
}
states() { sql "select state, count(*) from outbox group by state order by state" | tr '\n' ' ' | sed 's/ $//'; }
due_now() { sql "update outbox set next_try = 0 where state = 'queued'"; }
sink() {	# smtp-capture options: restart the sink with them
	ms_sink_stop
	ms_sink_start "$@" || t_fail "start the sink with $*"
}

# Nine mails to nine domains, as in the report: one 500 from a
# misconfigured relay failed all of them for good, and send exited 0.
for d in a b c d e f g h i; do queue "user@$d.example"; done

# fault NAME SINK-OPTIONS...: every mail stays queued, exit 75, logged
fault() {
	name=$1; shift
	sink "$@"
	due_now
	before=$(sql "select sum(attempts) from outbox")
	send
	t_is "$RC" 75 "$name: send --once exits 75"
	t_is "$(states)" "queued|9" "$name: all nine mails stay queued"
	t_is "$(ms_sink_count)" 0 "$name: nothing was sent"
	t_is "$(sql "select count(*) from events where what = 'send failed'")" \
	    0 "$name: no failure recorded"
	t_is "$(($(sql "select sum(attempts) from outbox") - before))" 9 \
	    "$name: each mail counted one attempt"
	t_grep "$name: the fault is reported" "send: transport fault: " \
	    "$D/err"
	t_diag "$(grep 'transport fault' "$D/err")"
	t_is "$(grep -c 'transport fault' "$D/err")" 1 \
	    "$name: reported once, not per mail"
	t_grep "$name: the summary says so" "0 sent, 9 to retry later, 0 failed \(transport fault\)" "$D/out"
}
fault "greeting 554" --reject-greeting 554
t_grep "greeting 554: the server's words" "connect" "$D/err"
fault "EHLO 550" --reject-ehlo 550
t_grep "EHLO 550: the server's words" "EHLO: 550" "$D/err"
fault "AUTH 535" --reject-auth 535
t_grep "AUTH 535: the server's words" "AUTH (PLAIN|LOGIN) as sender: 535" "$D/err"
fault "MAIL FROM 550" --reject-mail 550
t_grep "MAIL FROM 550: the server's words" "MAIL FROM:<bounce\+[0-9]+@support.example.test>: 550" "$D/err"
fault "RCPT 550 from three domains" --reject-domain a.example=550 \
    --reject-domain b.example=550 --reject-domain c.example=550
t_grep "RCPT: the refusal named" '3 recipient domains refused with "550 5.7.1 relaying denied' "$D/err"
fault "DATA 554 for everyone" --reject-data 554

# A fault after send-max-age (2 days) still fails nothing: it never
# counts toward the age, and restarts it.
sql "update outbox set created = created - 3 * 86400, age_base = 0"
fault "old mail, MAIL FROM 550" --reject-mail 550
t_is "$(sql "select count(*) from outbox where age_base >= strftime('%s', 'now') - 60")" \
    9 "old mail: the fault restarted every mail's age"

# The relay is fixed: everything goes, once.
sink
due_now
send
t_is "$RC" 0 "relay fixed: send --once exits 0"
t_is "$(states)" "sent|9" "relay fixed: all nine sent"
t_is "$(ms_sink_count)" 9 "relay fixed: nine mails captured"

# --- a refusal of one domain's mails is theirs: failed, exit 69 ----------
sink --reject-domain gone.example=550
queue one@gone.example
queue two@gone.example
queue three@gone.example
queue fine@j.example
send
t_is "$RC" 69 "one domain refused: send --once exits 69"
t_is "$(sql "select group_concat(state) from outbox where id > 9 order by id")" \
    "failed,failed,failed,sent" "one domain refused: its three failed, the other sent"
t_is "$(sql "select count(*) from events where what = 'send failed'")" 3 \
    "one domain refused: an event each"
t_not "one domain refused: no transport fault" grep -q 'transport fault' "$D/err"
send
t_is "$RC" 0 "nothing due: send --once exits 0"

# --- postdesk outbox -------------------------------------------------------
"$POSTDESK" -c "$CONF" outbox list --state failed --json >"$D/list.json"
t_is "$?" 0 "outbox list --json exits 0"
pyj() { /usr/bin/python3 -I -c "import json, sys; v = json.load(open(sys.argv[1])); print($1)" "$D/list.json"; }
t_is "$(pyj 'len(v)')" 3 "outbox list --state failed: three mails"
t_is "$(pyj 'set(v[0]) >= {"id", "ticket", "rcpt", "state", "attempts", "next_try", "last_error", "message_id"}')" \
    True "outbox list --json: the documented keys"
t_is "$(pyj '(v[0]["id"], v[0]["rcpt"], v[0]["state"], v[0]["attempts"], v[0]["next_try"])')" \
    "(10, 'one@gone.example', 'failed', 1, None)" "outbox list --json: the values"
t_like "$(pyj 'v[0]["last_error"]')" "*RCPT TO:<one@gone.example>: 550 5.7.1 relaying denied*" \
    "outbox list --json: the server's reply"
t_is "$(pyj 'v[0]["message_id"]')" "r10.$$@support.example.test" \
    "outbox list --json: the Message-ID"
"$POSTDESK" -c "$CONF" outbox list >"$D/list.txt"
t_grep "outbox list: a table" "^10 +failed +[0-9]+ +1 +- +one@gone.example" "$D/list.txt"
"$POSTDESK" -c "$CONF" outbox cancel 11 >"$D/cancel.out" 2>&1
t_is "$?" 1 "outbox cancel of a failed mail: exit 1"
"$POSTDESK" -c "$CONF" outbox retry --all-failed >"$D/retry.out"
t_is "$?" 0 "outbox retry --all-failed exits 0"
t_grep "outbox retry --all-failed: says how many" "3 failed mails queued again" "$D/retry.out"
"$POSTDESK" -c "$CONF" outbox cancel 12 >/dev/null
t_is "$?" 0 "outbox cancel 12 exits 0"
t_is "$(sql "select count(*) from events where what in ('send retry', 'send cancelled')")" \
    4 "outbox retry and cancel: events on the tickets"
sink
send
t_is "$RC" 0 "after retry: send --once exits 0"
t_is "$(sql "select group_concat(state) from outbox where id between 10 and 12 order by id")" \
    "sent,sent,failed" "after retry: sent, the cancelled one not"
"$POSTDESK" -c "$CONF" outbox list --state cancelled --json >"$D/list.json"
t_is "$(pyj '[(r["id"], r["state"]) for r in v]')" "[(12, 'cancelled')]" \
    "outbox list --state cancelled"
"$POSTDESK" -c "$CONF" outbox retry 99 >/dev/null 2>&1
t_is "$?" 1 "outbox retry of no such mail: exit 1"
"$POSTDESK" -c "$CONF" outbox list --state bogus >/dev/null 2>&1
t_is "$?" 64 "outbox list --state bogus: exit 64"
"$POSTDESK" outbox --help >"$D/help"
t_grep "outbox --help" "outbox retry ID \| --all-failed" "$D/help"
"$POSTDESK" --help >"$D/help"
t_grep "postdesk --help lists outbox" "^  outbox " "$D/help"

# --- send --loop logs a fault and keeps running ---------------------------
sink --reject-greeting 554
queue later@k.example
"$POSTDESK" -c "$CONF" send --loop >/dev/null 2>"$D/loop.err" & P=$!
wait_for 10 grep -q 'transport fault' "$D/loop.err"
t_grep "send --loop: logs the fault" "send: transport fault: " "$D/loop.err"
sleep 1
t_ok "send --loop: still running after the fault" alive $P
kill -TERM $P
wait_for 5 _t_dead $P
wait $P
t_is "$?" 0 "send --loop: exit 0 on SIGTERM"
t_is "$(sql "select state from outbox where rcpt = 'later@k.example'")" \
    queued "send --loop: the mail waits"

t_done

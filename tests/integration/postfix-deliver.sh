#!/bin/sh
# SPDX-License-Identifier: ISC
# Real Postfix on loopback delivers through its pipe transport into
# postdesk-deliver (as nobody, the way contrib/postfix sets it up):
# tickets appear; a locked database defers the mail and it arrives once
# after the lock goes; an oversized mail bounces with our reason; one
# mail to two queue addresses is one ticket.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

if [ "$(id -u)" != 0 ]; then
	t_skip_dep "postfix delivery" "needs root to run Postfix"
	t_done
fi
require_cmd /usr/sbin/postfix swaks sqlite3 /usr/bin/python3
at_exit ms_stop_all
ms_init || { t_fail "mailstack init"; t_done; }

D=$MAILSTACK_DIR/pd
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
cat >>"$CONF" <<'CONF'
queue "billing" {
	address "billing@support.example.test"
}
limit message-size 20K
limit busy-timeout 1s
CONF
# The pipe runs as nobody, who may not reach this tree (a clone under
# /root): give it its own copy of the templates.
cp -R "$TOP/templates" "$MAILSTACK_DIR/templates"
chmod -R a+rX "$MAILSTACK_DIR/templates"
echo "templates \"$MAILSTACK_DIR/templates\"" >>"$CONF"
chown -R nobody:nogroup "$D"
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }

ms_install_bin "$POSTDESK_DELIVER"
ms_smtpsink_start || { t_fail "smtp-sink start"; t_done; }
ms_postfix_start "$MS_BIN/postdesk-deliver" -c "$CONF" deliver \
    -f '${sender}' -r '${recipient}' || { t_fail "postfix start"; t_done; }
t_pass "postfix started with the postdesk-deliver pipe"

send() {	# from to subject [swaks args]
	_f=$1 _t=$2 _s=$3; shift 3
	swaks --silent 2 --server "127.0.0.1:$POSTFIX_PORT" --from "$_f" \
	    --to "$_t" --header "Subject: $_s" "$@" >>"$MAILSTACK_DIR/swaks.log" 2>&1
}

send alice@customer.example support@support.example.test "Printer on fire" \
    --body "It burns."
ms_postfix_wait_empty 20
t_is "$(sql "select count(*) from tickets where subject='Printer on fire'")" 1 \
    "mail through Postfix becomes a ticket"
t_is "$(sql "select requester from tickets where subject='Printer on fire'")" \
    alice@customer.example "requester is the sender"
t_grep "postfix log: delivered via ticket" 'status=sent \(delivered via ticket' \
    "$MS_POSTFIX/log/postfix.log"

# One mail to two queue addresses: Postfix runs the pipe twice.
send bob@customer.example support@support.example.test,billing@support.example.test \
    "Two addresses" --body "Once please."
ms_postfix_wait_empty 20
t_is "$(sql "select count(*) from tickets where subject='Two addresses'")" 1 \
    "one mail to two queue addresses: one ticket"
t_is "$(sql "select count(*) from message_rcpts r join messages m on m.id=r.message where m.subject='Two addresses'")" 2 \
    "both recipients recorded"

# A write lock held past the busy timeout: deferred, then exactly once.
/usr/bin/python3 - "$DB" "$MAILSTACK_DIR/locked" <<'PY' &
import sqlite3, sys, time, os
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("begin exclusive")
open(sys.argv[2], "w").close()
time.sleep(4)
db.execute("rollback")
os.unlink(sys.argv[2])
PY
lockpid=$!
wait_for 5 test -e "$MAILSTACK_DIR/locked"
send carol@customer.example support@support.example.test "While locked" --body "Wait for it."
wait_for 10 grep -q 'While locked\|status=deferred' "$MS_POSTFIX/log/postfix.log"
wait_for 10 grep -q 'status=deferred' "$MS_POSTFIX/log/postfix.log"
t_grep "locked database: Postfix defers (exit 75)" 'status=deferred.*(database busy|temporary)' \
    "$MS_POSTFIX/log/postfix.log"
t_is "$(sql "select count(*) from messages where subject='While locked'")" 0 \
    "nothing stored while locked"
wait "$lockpid"
ms_postfix_flush
ms_postfix_wait_empty 20
t_is "$(sql "select count(*) from messages where subject='While locked'")" 1 \
    "after the lock: delivered exactly once"

# Oversized: bounced with our reason, sent back to the customer.
head -c 40000 /dev/zero | tr '\0' 'x' | fold -w 70 >"$MAILSTACK_DIR/big.txt"
send dave@customer.example support@support.example.test "Huge" \
    --body "$MAILSTACK_DIR/big.txt"
ms_postfix_wait_empty 20
t_grep "oversized: Postfix bounces it" 'status=bounced.*too large' \
    "$MS_POSTFIX/log/postfix.log"
ms_smtpsink_wait 1 10
t_ok "oversized: the DSN to the customer carries our reason" \
    grep -rqs 'message too large' "$MS_SMTPSINK_DIR"
t_is "$(sql "select count(*) from messages where subject='Huge'")" 0 "oversized: not stored"
# The same mail twice, as an admin tries it: sent through Postfix, then
# a CRLF copy of the original through Postfix again, then the stored
# copy (CRLF, its last line end lost on the way) handed to the pipe by
# hand.  One ticket, one acknowledgement.
printf 'From: Erin <erin@customer.example>\nTo: support@support.example.test\nSubject: Same mail\nDate: Fri, 04 Dec 2026 10:00:00 +0000\nMessage-ID: <same1@customer.example>\n\nHello,\nthe printer.\n' \
    >"$MAILSTACK_DIR/same.eml"
sed 's/$/\r/' "$MAILSTACK_DIR/same.eml" >"$MAILSTACK_DIR/same-crlf.eml"
for f in same.eml same-crlf.eml; do
	swaks --silent 2 --server "127.0.0.1:$POSTFIX_PORT" --from erin@customer.example \
	    --to support@support.example.test --data "@$MAILSTACK_DIR/$f" \
	    >>"$MAILSTACK_DIR/swaks.log" 2>&1
	ms_postfix_wait_empty 20
done
# by_hand SENDER < mail: handed to the pipe program directly, as an
# admin does
by_hand() {
	"$POSTDESK_DELIVER" -c "$CONF" deliver -f "$1" \
	    -r support@support.example.test 2>/dev/null
}
same() { sql "select $1 from messages where message_id = 'same1@customer.example' $2"; }
sqlite3 "$DB" "select writefile('$MAILSTACK_DIR/same.raw', raw) from messages where message_id = 'same1@customer.example'" >/dev/null
printf '%s' "$(sed 's/$/\r/' "$MAILSTACK_DIR/same.raw")" |
    by_hand erin@customer.example
t_is "$?" 0 "the same mail by hand: exit 0"
t_is "$(same 'count(*)')" 1 "the same mail three ways: stored once"
t_is "$(sql "select count(*) from tickets where subject = 'Same mail'")" 1 \
    "the same mail three ways: one ticket"
t_is "$(sql "select count(*) from outbox where rcpt = 'erin@customer.example'")" 1 \
    "the same mail three ways: one acknowledgement"
# Same Message-ID and From, other text: joins the first one's ticket,
# flagged, not acknowledged again; from someone else: a ticket of its own.
sed 's/the printer/the scanner/' "$MAILSTACK_DIR/same.eml" |
    by_hand erin@customer.example
t_is "$(same 'count(distinct ticket)')" 1 \
    "same Message-ID and sender, other bytes: the same ticket"
t_is "$(same 'count(*)' 'and flags & 32768')" 1 \
    "same Message-ID and sender, other bytes: flagged message-id-conflict"
t_is "$(sql "select count(*) from outbox where rcpt = 'erin@customer.example'")" 1 \
    "same Message-ID and sender, other bytes: no second acknowledgement"
t_is "$(sql "select count(*) from events where what = 'message-id-conflict'")" 1 \
    "same Message-ID and sender, other bytes: an event says so"
sed 's/Erin <erin@/Mallory <mallory@/' "$MAILSTACK_DIR/same.eml" |
    by_hand mallory@customer.example
t_is "$(same 'count(distinct ticket)')" 2 \
    "same Message-ID from another sender: a ticket of its own"
t_is "$(sql 'pragma integrity_check')" ok "database integrity"
t_is "$(stat -c %U "$DB"-wal 2>/dev/null || echo nobody)" nobody "WAL file belongs to the delivery user"
t_done

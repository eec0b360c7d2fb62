#!/bin/sh
# SPDX-License-Identifier: ISC
# postdesk filter: usage and exit codes, rules from the configuration
# (top level, then the queue of -t), and replay over a real store, with
# and without recorded "filter" events.
. "$TOP/tests/lib/common.sh"

D=$RUNDIR/filter-cli
rm -rf "$D"
"$POSTDESK" init --address support@example.org "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
G=$TOP/tests/golden/filters
F=$TOP/filters

t_ok "filter --help" "$POSTDESK" filter --help
"$POSTDESK" filter >/dev/null 2>&1
t_is "$?" 64 "filter without a command: 64"
"$POSTDESK" filter frob >/dev/null 2>&1
t_is "$?" 64 "unknown filter command: 64"
"$POSTDESK" filter test -r "$F/vip.sieve" "$D/nonexistent.eml" >/dev/null 2>&1
t_is "$?" 66 "filter test on a missing message: 66"
"$POSTDESK" filter check "$D/nonexistent.sieve" >/dev/null 2>"$D/err"
t_is "$?" 78 "filter check on a missing file: 78"
t_grep "filter check names the missing file" \
    "nonexistent.sieve: No such file or directory" "$D/err"

# Rules from the configuration: the spam rules for all, billing for
# the support queue only.
cat >>"$CONF" <<CONF
filter "$F/spam.sieve"
queue "billing" {
	address "billing@example.org"
}
CONF
sed -i "s|^queue \"support\" {|queue \"support\" {\n\tfilter \"$F/billing.sieve\"|" "$CONF"
t_ok "postdesk check with rules" "$POSTDESK" -c "$CONF" check
out=$("$POSTDESK" -c "$CONF" filter test -t support@example.org \
    "$G/invoice-bg.eml" 2>&1)
t_like "$out" "*queue \"billing\"  (*billing.sieve:23)*" \
    "rules of the -t queue run"
out=$("$POSTDESK" -c "$CONF" filter test -t billing@example.org \
    "$G/invoice-bg.eml" 2>&1)
t_is "$out" "$G/invoice-bg.eml: keep (implicit keep)" \
    "another queue's rules do not run"
out=$("$POSTDESK" -c "$CONF" filter test -q support "$G/spam-sure.eml" 2>&1)
t_like "$out" "*: discard*" "top-level rules run first (spam discarded)"

# Replay: store the samples, then ask what other rules would do.
for m in plain vip spam-sure; do
	"$POSTDESK" -c "$CONF" deliver -f x@example.net \
	    -r support@example.org <"$G/$m.eml" >/dev/null 2>&1
done
out=$("$POSTDESK" -c "$CONF" filter replay -r "$F/vip.sieve" 2>&1)
t_like "$out" "*<vip@bigcustomer.example>*was: keep*now: keep; priority \"high\"; addtag \"vip\"*" \
    "replay: the VIP message would change"
t_like "$out" "*<sure@lottery.example>*was: discard*now: keep*" \
    "replay: without events, compared with the configured rules"
t_like "$out" "*3 messages, 2 decided differently" "replay: summary"
out=$("$POSTDESK" -c "$CONF" filter replay --since 2999-01-01 \
    -r "$F/vip.sieve" 2>&1)
t_is "$out" "0 messages, 0 decided differently" "replay --since"
"$POSTDESK" -c "$CONF" filter replay --since someday -r "$F/vip.sieve" \
    >/dev/null 2>&1
t_is "$?" 64 "replay with a bad date: 64"
"$POSTDESK" -c "$CONF" filter replay >/dev/null 2>&1
t_is "$?" 64 "replay without -r: 64"
if need_cmd sqlite3; then
	ev="insert into events (ticket, message, at, actor, what, new, why)"
	sqlite3 "$D/postdesk.db" "$ev select ticket, id, 0, 'system', 'filter', 'priority \"high\"', 'filter: vip.sieve:11' from messages where message_id = 'vip@bigcustomer.example'; $ev select ticket, id, 0, 'system', 'filter', 'addtag \"vip\"', 'filter: vip.sieve:12' from messages where message_id = 'vip@bigcustomer.example'; $ev select null, id, 0, 'system', 'discarded', null, 'filter: spam.sieve:18' from messages where message_id = 'plain@customer.example'"
	out=$("$POSTDESK" -c "$CONF" filter replay -r "$F/vip.sieve" 2>&1)
	t_like "$out" "*<plain@customer.example>*was: discard*now: keep*" \
	    "replay: a recorded discard"
	t_like "$out" "*3 messages, 2 decided differently" \
	    "replay: recorded filter events are what was decided"
fi
t_done

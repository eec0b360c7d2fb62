#!/bin/sh
# SPDX-License-Identifier: ISC
# The poison-message escape: a mail that crashes the parser, hangs it or
# makes it run out of memory (fault hooks compiled into a test build of
# postdesk-deliver only) fails `limit attempts` times, each attempt noted
# by the guard, and is then stored from a raw scan of its header: under
# its own Message-ID, threaded, acknowledged, shown to the agents.  The
# next delivery of the same bytes is a duplicate, without running the
# parser again.  A killed attempt never counts.
. "$TOP/tests/lib/common.sh"

require_cmd sqlite3
HOOKS=$BUILD/tests/postdesk-deliver-hooks
[ -x "$HOOKS" ] || { t_fail "no $HOOKS (make unit builds it)"; t_done; }
D=$RUNDIR/poison
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test \
    --agent 'Maria Ivanova <maria@support.example.test>' "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
printf 'limit attempts 3\nlimit parse-time 2s\nlimit memory 256M\n' >>"$CONF"
DB=$D/postdesk.db
SUP=support@support.example.test
sql() { sqlite3 "$DB" "$1"; }

poison() {	# KIND: the message
	printf 'From: Pat Poison <pat-%s@customer.example>\nTo: %s\n' "$1" "$SUP"
	printf 'Cc: Carl <carl-%s@other.example>\n' "$1"
	printf 'Subject: poison %s\nMessage-ID: <poison-%s@customer.example>\n' \
	    "$1" "$1"
	printf 'X-Test-Poison: yes\n\nThis mail brings the parser down (%s).\n' \
	    "$1"
}

# deliver KIND FAULT [ASAN_OPTIONS additions]: exit status
deliver() {
	poison "$1" | ASAN_OPTIONS="${ASAN_OPTIONS:-}${3:+:$3}" \
	    POSTDESK_TEST_PARSE_FAULT=$2 "$HOOKS" -c "$CONF" deliver \
	    -f "pat-$1@customer.example" -r "$SUP" 2>>"$D/err"
	echo $?
}

escape() {	# KIND EXPECTED-FAILURE-STATUS [ASAN_OPTIONS additions]
	_k=$1 _want=$2 _asan=${3:-}
	_codes=""
	for _i in 1 2 3 4; do
		_codes="$_codes $(deliver "$_k" "$_k" "$_asan")"
	done
	t_is "$_codes" " $_want $_want $_want 0" \
	    "$_k: three attempts fail, the fourth stores it raw"
	_id="poison-$_k@customer.example"
	t_is "$(sql "select count(*) from messages where message_id = '$_id'")" 1 \
	    "$_k: stored once, under its own Message-ID"
	t_is "$(sql "select flags & 65536 from messages where message_id = '$_id'")" 65536 \
	    "$_k: flagged unparsed"
	_t=$(sql "select ticket from messages where message_id = '$_id'")
	t_is "$(sql "select subject from tickets where number = '$_t'")" "poison $_k" \
	    "$_k: its ticket has the mail's subject"
	t_is "$(sql "select count(*) from proposed_participants where ticket = '$_t' and address = 'carl-$_k@other.example'")" 1 \
	    "$_k: a raw mail's Cc is only proposed"
	t_is "$(sql "select count(*) from participants where ticket = '$_t' and address = 'carl-$_k@other.example'")" 0 \
	    "$_k: ... and no participant"
	t_is "$(sql "select count(*) from outbox where ticket = '$_t' and rcpt = 'pat-$_k@customer.example'")" 1 \
	    "$_k: the customer is acknowledged"
	t_is "$(sql "select count(*) from outbox where ticket = '$_t' and rcpt = 'maria@support.example.test' and cast(raw as text) like '%could not be parsed%'")" 1 \
	    "$_k: the agent is notified, with the raw mail"
	t_is "$(deliver "$_k" "$_k" "$_asan")" 0 \
	    "$_k: delivered again, still poison: exit 0, the parser not run"
	t_is "$(sql "select count(*) from messages where message_id = '$_id'")" 1 \
	    "$_k: delivered again: a duplicate"
	t_is "$(sql "select count(*) from tickets where subject = 'poison $_k'")" 1 \
	    "$_k: one ticket"
}

# SIGSEGV dies by the signal (128 + 11 in the shell); under ASan its own
# handler must not turn it into a report.
escape crash 139 handle_segv=0
# The CPU limit ends the attempt with 75.
escape hang 75
if [ "${SAN:-}" = 1 ]; then
	t_skip "oom" "an address-space limit can't apply under AddressSanitizer, which reserves terabytes of shadow memory"
else
	# A failed allocation under limit memory: g_error() traps (128 + 5).
	escape oom 133
fi

# A raw mail from an agent's address proves nothing: an internal note,
# flagged, nobody acknowledged.
for _i in 1 2 3 4; do
	printf 'From: Maria Ivanova <maria@support.example.test>\nTo: %s\nSubject: poison agent\nMessage-ID: <poison-agent@support.example.test>\nX-Test-Poison: yes\n\nRefund denied.\n' "$SUP" |
	    ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0" \
	    POSTDESK_TEST_PARSE_FAULT=crash "$HOOKS" -c "$CONF" deliver \
	    -f maria@support.example.test -r "$SUP" 2>>"$D/err"
done
t_is "$(sql "select flags & (65536 | 131072 | 262144) from messages where message_id = 'poison-agent@support.example.test'")" \
    $((65536 | 131072 | 262144)) "agent's raw mail: unparsed, internal, unverified"
t_is "$(sql "select count(*) from outbox where rcpt = 'maria@support.example.test' and cast(raw as text) like '%Auto-Submitted: auto-replied%' and ticket = (select ticket from messages where message_id = 'poison-agent@support.example.test')")" 0 \
    "agent's raw mail: no acknowledgement"

# A killed attempt leaves no fault behind: it never counts.
for _i in 1 2 3 4; do
	poison killed | POSTDESK_TEST_PARSE_FAULT=hang "$HOOKS" -c "$CONF" \
	    deliver -f pat-killed@customer.example -r "$SUP" 2>>"$D/err" &
	_p=$!
	sleep 0.3
	kill -9 "$_p"
	wait "$_p" 2>/dev/null
done
t_is "$(deliver killed none)" 0 "killed four times, then delivered: exit 0"
t_is "$(sql "select flags & 65536 from messages where message_id = 'poison-killed@customer.example'")" 0 \
    "killed four times: parsed normally, not stored raw"
t_ok "the faults file names each fault" grep -q ' 1 SIGSEGV$' "$DB.faults"
t_is "$(sql 'pragma integrity_check')" ok "integrity_check ok"
t_done

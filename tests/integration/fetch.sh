#!/bin/sh
# SPDX-License-Identifier: ISC
# postdesk fetch against a real Dovecot started here: plain IMAP on
# loopback, STARTTLS and IMAPS verified against the test CA; after-fetch
# seen, move and delete; a message over the size limit goes to the
# refused folder; fetch SIGKILLed mid-batch and run again loses and
# doubles nothing; a new UIDVALIDITY doubles nothing; under --idle a new
# message is a ticket within 2 s (two accounts at once); a wrong password
# and certificates that do not verify are refused and touch nothing.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

require_cmd sqlite3 doveadm /usr/sbin/dovecot openssl
if [ "$(id -u)" != 0 ]; then
	t_skip_dep "fetch" "needs root (Dovecot drops to the mail user)"
	t_done
fi
ms_dovecot_start || { t_fail "dovecot starts"; t_done; }

D=$RUNDIR/fetch
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
DB=$D/postdesk.db
T=test@support.example.test
O=other@support.example.test
printf 'secret\n' >"$D/pw"
printf 'wrong\n' >"$D/badpw"
chmod 600 "$D/pw" "$D/badpw"
cat >>"$CONF" <<EOF
queue "billing" {
	address "billing@support.example.test"
}
limit message-size 64K
imap "plain" url "imap://$T@127.0.0.1:$IMAP_PORT/INBOX" password-file "pw" starttls none after-fetch seen
imap "tls" url "imaps://$O@127.0.0.1:$IMAPS_PORT/INBOX" password-file "pw" ca-file "$MS_TLS/ca.crt" after-fetch move "Done"
imap "del" url "imap://$T@127.0.0.1:$IMAP_PORT/Del" password-file "pw" ca-file "$MS_TLS/ca.crt" after-fetch delete refused-folder "Too big"
EOF

sql() { sqlite3 "$DB" "$1"; }
msgs() { sql "select count(*) from messages where message_id like '$1%'"; }
distinct() { sql "select count(distinct message_id) from messages where message_id like '$1%'"; }
box() {	# user mailbox [search query]: how many messages match
	ms_doveadm search -u "$1" mailbox "$2" ${3:-ALL} 2>/dev/null |
	    wc -l | tr -d ' '
}
fetch() {	# args...: exit status on stdout, output in $D/out, $D/err
	"$POSTDESK" -c "$CONF" fetch "$@" >"$D/out" 2>"$D/err"
	echo $?
}
# drop USER MAILBOX N PREFIX [BYTES]: N messages straight into the
# Maildir (fast: doveadm save takes ~16 ms a message)
drop() {
	_md=$MS_DOVECOT/mail/$1/Maildir
	[ "$2" = INBOX ] || _md=$_md/.$2
	mkdir -p "$_md/tmp" "$_md/new" "$_md/cur"
	_i=0
	while [ $_i -lt "$3" ]; do
		_i=$((_i + 1))
		_f=$_md/tmp/$4.$_i.$$
		{
			printf 'From: c%d@customer.example\nTo: support@support.example.test\n' $_i
			printf 'Subject: %s %d\nMessage-ID: <%s.%d@customer.example>\n' "$4" $_i "$4" $_i
			printf 'Date: Wed, 25 Nov 2026 10:00:00 +0000\n\nBody %d.\n' $_i
			[ -n "${5:-}" ] && head -c "$5" /dev/zero | tr '\0' 'x' | fold -w 70
		} >"$_f"
	done
	chown -R mail:mail "$MS_DOVECOT/mail/$1"
	for _f in "$_md"/tmp/"$4".*; do mv "$_f" "$_md/new/"; done
}

# --- plain text on loopback, after-fetch seen ------------------------------
drop $T INBOX 5 seen
t_is "$(fetch --once plain)" 0 "plain: fetch exits 0"
t_grep "plain: reports 5 stored" "^plain: 5 fetched, 5 stored" "$D/out"
t_is "$(msgs seen.)" 5 "plain: 5 messages stored"
t_is "$(sql "select count(distinct ticket) from messages where message_id like 'seen.%'")" 5 \
    "plain: each one a ticket"
t_is "$(box $T INBOX SEEN)" 5 "plain: all 5 flagged \\Seen"
t_is "$(fetch --once plain)" 0 "plain: second fetch exits 0"
t_grep "plain: second fetch finds nothing new" "^plain: 0 fetched" "$D/out"

# --- IMAPS with the test CA, after-fetch move -------------------------------
drop $O INBOX 4 move
t_is "$(fetch --once tls)" 0 "imaps: fetch exits 0"
t_is "$(msgs move.)" 4 "imaps: 4 messages stored"
t_is "$(box $O INBOX)" 0 "imaps: the mailbox is empty"
t_is "$(box $O Done)" 4 "imaps: all 4 moved to Done"

# --- STARTTLS, after-fetch delete; one over the size limit -----------------
ms_doveadm mailbox create -u $T Del
drop $T Del 3 del
drop $T Del 1 big 100000
t_is "$(fetch --once del)" 0 "starttls: fetch exits 0"
t_is "$(msgs del.)" 3 "starttls: 3 messages stored"
t_is "$(msgs big.)" 0 "too large: not stored"
t_is "$(box $T Del)" 0 "starttls: Del is empty (3 expunged, 1 moved)"
t_is "$(box $T 'Too big')" 1 "too large: moved to the refused folder"
t_grep "too large: says why" "too large" "$D/err"

# --- SIGKILL mid-batch ------------------------------------------------------
N=${FETCH_KILL_N:-1000}
drop $T INBOX "$N" kill
before=$(msgs kill.)
kills=0
for delay in 0.15 0.3 0.5; do
	"$POSTDESK" -c "$CONF" fetch --once plain >/dev/null 2>&1 &
	pid=$!
	sleep $delay
	kill -KILL $pid 2>/dev/null && kills=$((kills + 1))
	wait $pid 2>/dev/null
	t_diag "killed after ${delay}s: $(msgs kill.) of $N stored"
done
mid=$(msgs kill.)
t_ok "kill: at least one fetch died mid-way" [ "$kills" -ge 1 ]
t_is "$(fetch --once plain)" 0 "kill: the fetch after the kills exits 0"
t_is "$(msgs kill.)" "$N" "kill: all $N stored (0 lost; $before before, $mid after the kills)"
t_is "$(distinct kill.)" "$N" "kill: 0 duplicated"
t_is "$(box $T INBOX UNSEEN)" 0 "kill: every one flagged \\Seen in the end"
t_is "$(sql "pragma integrity_check")" ok "kill: database integrity"

# --- UIDVALIDITY changes ----------------------------------------------------
total=$(sql "select count(*) from messages")
old=$(sql "select uidvalidity from imap_state where account='$T@127.0.0.1' and mailbox='INBOX'")
ms_doveadm mailbox update -u $T --uid-validity $((old + 7)) INBOX
t_is "$(fetch --once plain)" 0 "uidvalidity: fetch exits 0"
t_grep "uidvalidity: a full resync, all duplicates" "^plain: [0-9]+ fetched, 0 stored, [0-9]+ duplicate" "$D/out"
t_is "$(sql "select count(*) from messages")" "$total" "uidvalidity: no message doubled"
t_is "$(sql "select uidvalidity from imap_state where account='$T@127.0.0.1' and mailbox='INBOX'")" \
    $((old + 7)) "uidvalidity: the state follows the new UIDVALIDITY"

# --- --idle: within 2 s, two accounts at once -------------------------------
"$POSTDESK" -d -c "$CONF" fetch --idle plain tls >/dev/null 2>"$D/idle.err" &
idle=$!
at_exit "kill $idle 2>/dev/null"
idling() { [ "$(grep -c 'connected, idling' "$D/idle.err")" -ge 2 ]; }
wait_for 10 idling
sleep 0.3	# both through their first round and into IDLE
stored() { [ "$(msgs "$1")" -ge 1 ]; }
now_ms() { date +%s%3N; }
for who in $T $O; do
	id=idle$who
	t0=$(now_ms)
	printf 'From: x@customer.example\nTo: support@support.example.test\nSubject: idle\nMessage-ID: <%s@customer.example>\n\nnew\n' \
	    "$id" | ms_dovecot_save "$who"
	wait_for 5 stored "$id"
	ms=$(($(now_ms) - t0))
	t_diag "$who: a ticket $ms ms after the message was saved"
	t_ok "idle: $who: new message a ticket within 2 s ($ms ms)" [ "$ms" -le 2000 ]
done
kill -TERM $idle
wait_for 5 _t_dead $idle
t_not "idle: TERM ends it" alive $idle
wait $idle
t_is "$?" 0 "idle: exit status 0 after TERM"

# --- wrong password: a clear error, nothing touched -------------------------
drop $O INBOX 2 untouched
t_is "$(fetch --once --url "imaps://$O@127.0.0.1:$IMAPS_PORT/INBOX" \
    --password-file "$D/badpw" --ca-file "$MS_TLS/ca.crt")" 77 \
    "wrong password: exit 77"
t_grep "wrong password: clear error" "imap: $O@127.0.0.1: login failed: " "$D/err"
t_is "$(msgs untouched.):$(box $O INBOX UNSEEN)" 0:2 "wrong password: nothing fetched or flagged"

# --- plain text elsewhere than loopback -------------------------------------
t_is "$(fetch --once --url "imap://$T@192.0.2.1/INBOX" --starttls none \
    --password-file "$D/pw")" 76 "plain text to a non-loopback address: refused"
t_grep "plain text: says why" "plain text refused: only to a loopback address" "$D/err"

# --- certificates that do not verify ----------------------------------------
use_cert() {	# name: Dovecot serves $MS_TLS/name.crt
	sed -i -e "s|^ssl_cert = .*|ssl_cert = <$MS_TLS/$1.crt|" \
	    -e "s|^ssl_key = .*|ssl_key = <$MS_TLS/$1.key|" "$MS_DOVECOT/dovecot.conf"
	ms_doveadm reload
	_want=$(openssl x509 -noout -subject -in "$MS_TLS/$1.crt")
	wait_for 5 serves "$_want"
}
serves() {
	[ "$(openssl s_client -connect "127.0.0.1:$IMAPS_PORT" </dev/null 2>/dev/null |
	    openssl x509 -noout -subject 2>/dev/null)" = "$1" ]
}
use_cert rogue-server
t_is "$(fetch --once tls)" 76 "rogue CA: refused (exit 76)"
t_grep "rogue CA: says why" "TLS: certificate does not verify: .*issuer is unknown" "$D/err"
t_is "$(msgs untouched.):$(box $O INBOX)" 0:2 "rogue CA: nothing fetched or moved"
use_cert wrong-host
t_is "$(fetch --once tls)" 76 "wrong host: refused (exit 76)"
t_grep "wrong host: says why" "certificate is not valid for \"127.0.0.1\"" "$D/err"
t_is "$(fetch --once --url "imaps://$O@localhost:$IMAPS_PORT/INBOX" --password-file "$D/pw" \
    --ca-file "$MS_TLS/ca.crt")" 76 "wrong host by name: refused"
t_is "$(msgs untouched.):$(box $O INBOX)" 0:2 "wrong host: nothing fetched or moved"
use_cert server
t_is "$(fetch --once tls)" 0 "the right certificate again: fetched"
t_is "$(msgs untouched.)" 2 "the right certificate again: 2 stored"

# --- --url: password on standard input, a forced queue ---------------------
drop $O INBOX 1 byurl
t_is "$(printf 'secret\n' | "$POSTDESK" -c "$CONF" fetch --once --url \
    "imaps://$O@127.0.0.1:$IMAPS_PORT" --ca-file "$MS_TLS/ca.crt" \
    --queue billing >"$D/out" 2>"$D/err"; echo $?)" 0 "--url: password from standard input"
t_is "$(sql "select t.queue from tickets t join messages m on m.ticket = t.number where m.message_id like 'byurl.%'")" \
    billing "--url: --queue puts the ticket into that queue"
t_is "$(box $O INBOX SEEN)" 1 "--url: after-fetch seen by default"

t_done

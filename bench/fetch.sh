#!/bin/sh
# SPDX-License-Identifier: ISC
# make bench: messages per second through `postdesk fetch --once` from a
# Dovecot on loopback (started here, as the tests start it): N small
# messages (default 1000) fetched with BODY.PEEK[], ingested in batches
# with one COMMIT each, and flagged \Seen; plain IMAP and IMAPS.  Goal:
# at least 1000 messages per second.  Needs root, Dovecot and sqlite3.
# BUILD names the build directory (default build).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
POSTDESK=$BUILD/postdesk
N=${FETCH_BENCH_N:-1000}
TOP=$top
RUNDIR=$(mktemp -d /tmp/postdesk-fetch-bench.XXXXXX) || exit 1
chmod 755 "$RUNDIR"
export TOP RUNDIR

# The tests' helpers print TAP on failure; here a failure just ends it.
. "$top/tests/lib/common.sh"
. "$top/tests/lib/mailstack.sh"
at_exit "rm -rf '$RUNDIR'"

if [ "$(id -u)" != 0 ] || ! have_cmd /usr/sbin/dovecot doveadm sqlite3; then
	echo "bench fetch: skipped (needs root, dovecot-imapd and sqlite3)"
	exit 0
fi
ms_dovecot_start >/dev/null || { echo "bench fetch: dovecot failed" >&2; exit 1; }

# N messages straight into USER's Maildir INBOX.
fill() {
	_md=$MS_DOVECOT/mail/$1/Maildir
	mkdir -p "$_md/tmp" "$_md/new" "$_md/cur"
	awk -v dir="$_md/tmp" -v n="$N" -v tag="$2" 'BEGIN {
		for (i = 1; i <= n; i++) {
			f = sprintf("%s/%s.%05d", dir, tag, i)
			printf "From: Customer %d <c%d@customer.example>\n", i, i % 97 > f
			printf "To: support@support.example.test\n" > f
			printf "Subject: order %d does not arrive\n", i > f
			printf "Message-ID: <%s.%d@customer.example>\n", tag, i > f
			printf "Date: Mon, 4 Mar 2024 10:00:00 +0100\n\n" > f
			for (k = 0; k < 12; k++)
				printf "Line %d of a small message about order %d.\n", k, i > f
			close(f)
		}
	}'
	chown -R mail:mail "$MS_DOVECOT/mail/$1"
	mv "$_md"/tmp/* "$_md/new/"
}

run() {	# label url user: one timed fetch into a fresh database
	_d=$RUNDIR/$1
	"$POSTDESK" init --address support@support.example.test "$_d" >/dev/null ||
		exit 1
	printf 'secret\n' >"$_d/pw"
	chmod 600 "$_d/pw"
	# Warm up: Dovecot's auth and index processes, our database.
	"$POSTDESK" -c "$_d/postdesk.conf" fetch --once --url "$2" \
	    --password-file "$_d/pw" --ca-file "$MS_TLS/ca.crt" \
	    ${4:-} >/dev/null 2>&1
	fill "$3" "$1"
	_t0=$(date +%s%N)
	"$POSTDESK" -c "$_d/postdesk.conf" fetch --once --url "$2" \
	    --password-file "$_d/pw" --ca-file "$MS_TLS/ca.crt" \
	    ${4:-} >"$_d/out" 2>"$_d/err" || {
		echo "bench fetch: $1 failed:" >&2
		cat "$_d/err" >&2
		exit 1
	}
	_t1=$(date +%s%N)
	_n=$(sqlite3 "$_d/postdesk.db" "select count(*) from messages where direction = 'in'")
	awk -v l="$1" -v n="$_n" -v ns="$((_t1 - _t0))" 'BEGIN {
		s = ns / 1e9
		printf "%-16s %8d %9.3f %9.0f\n", l, n, s, n / s
	}' | tee -a "$RUNDIR/table"
}

echo "fetch: $N small messages from Dovecot on loopback -> ingest -> \\Seen"
printf '%-16s %8s %9s %9s\n' account messages seconds msg/s
run imap "imap://test@support.example.test@127.0.0.1:$IMAP_PORT/INBOX" \
    test@support.example.test "--starttls none"
run imaps "imaps://other@support.example.test@127.0.0.1:$IMAPS_PORT/INBOX" \
    other@support.example.test
if awk '$4 < 1000 { bad = 1 } END { exit bad }' "$RUNDIR/table"; then
	echo "goal: >= 1000 msg/s: met"
else
	echo "goal: >= 1000 msg/s: MISSED"
fi

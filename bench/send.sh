#!/bin/sh
# SPDX-License-Identifier: ISC
# Outbox mails per second through `postdesk send --once` to SMTP servers
# on loopback, one connection reused for every mail (RSET between):
# Postfix's smtp-sink (plain text, the fastest server there is) and the
# tests' aiosmtpd capture sink (STARTTLS with certificate verification
# and AUTH PLAIN; it writes and fsyncs every mail, so it is the slower
# side).  Mails are queued straight into the outbox table, N of about
# 2 KB (BENCH_SEND_N, default 2000).  Needs root for smtp-sink, and
# sqlite3, openssl, python3-aiosmtpd.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
N=${BENCH_SEND_N:-2000}
TOP=$top
RUNDIR=$(mktemp -d ${BENCH_DIR:-/tmp}/postdesk-bench.XXXXXX)
chmod 755 "$RUNDIR"
export TOP RUNDIR
. "$top/tests/lib/common.sh"
. "$top/tests/lib/mailstack.sh"
at_exit "rm -rf '$RUNDIR'"
POSTDESK=$BUILD/postdesk

# queue DIR: a fresh database with N mails in its outbox
queue() {
	rm -rf "$1"
	"$POSTDESK" init --address support@example.org "$1" >/dev/null
	sqlite3 "$1/postdesk.db" "
	WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i
	    WHERE n < $N)
	INSERT INTO outbox (mail_from, rcpt, message_id, raw, created,
	    next_try)
	SELECT 'bounce+' || n || '@example.org', 'c' || n || '@customer.example',
	    'b' || n || '@example.org',
	    'From: Support <support@example.org>' || char(10) ||
	    'To: c' || n || '@customer.example' || char(10) ||
	    'Subject: [Support #' || n || '] We got your message' || char(10) ||
	    'Message-ID: <b' || n || '@example.org>' || char(10) ||
	    'Auto-Submitted: auto-replied' || char(10) || char(10) ||
	    replace(hex(zeroblob(30)), '00',
	        'Thank you for writing, we will answer soon.' || char(10)),
	    strftime('%s', 'now'), 0 FROM i"
}

# run LABEL DIR TRANSPORT...: print "label mails seconds"
run() {
	label=$1 dir=$2; shift 2
	queue "$dir"
	echo "transport smtp \"127.0.0.1\" $*" >>"$dir/postdesk.conf"
	t0=$(date +%s.%N)
	"$POSTDESK" -c "$dir/postdesk.conf" send --once >/dev/null
	t1=$(date +%s.%N)
	sent=$(sqlite3 "$dir/postdesk.db" \
	    "select count(*) from outbox where state = 'sent'")
	echo "$label $sent $t0 $t1"
}

ms_ca >/dev/null
ms_smtpsink_start
ms_sink_start
echo secret >"$RUNDIR/pw"
{
	run "smtp-sink,plain" "$RUNDIR/a" port "$SMTPSINK_PORT" tls none
	run "aiosmtpd,starttls+auth" "$RUNDIR/b" port "$SINK_PORT" \
	    tls starttls auth sender password-file "$RUNDIR/pw" \
	    ca-file "$MS_TLS/ca.crt"
	run "aiosmtpd,implicit+auth" "$RUNDIR/c" port "$SINK_TLS_PORT" \
	    tls implicit auth sender password-file "$RUNDIR/pw" \
	    ca-file "$MS_TLS/ca.crt"
} | awk -v n="$N" '
BEGIN {
	print "postdesk send --once: outbox to a loopback SMTP server, one connection"
	printf "%-24s %6s %6s %8s %9s\n", "server", "queued", "sent", \
	    "seconds", "mails/s"
}
{
	s = $4 - $3
	printf "%-24s %6d %6d %8.2f %9.0f\n", $1, n, $2, s, $2 / s
	if ($2 != n)
		bad = 1
}
END { exit bad }'

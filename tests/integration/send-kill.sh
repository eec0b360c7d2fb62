#!/bin/sh
# SPDX-License-Identifier: ISC
# postdesk send SIGKILLed at random moments mid-batch (issue 10, item
# 3), retried until the outbox is empty, for the file transport and for
# SMTP (the capture sink, tests/lib/smtp-capture.py): every mail arrives;
# the file transport never twice and leaves nothing in tmp/; SMTP at
# most once more per kill, with the same Message-ID; and a sender
# started after a kill sends the dead one's mails at once (every run
# that was not killed leaves nothing queued).  SEND_KILL_N mails per
# transport (default 150).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/mailstack.sh"

require_cmd sqlite3 /usr/bin/python3
ADD=$BUILD/tests/outbox-add
[ -x "$ADD" ] || { t_fail "$ADD: not built"; t_done; }
N=${SEND_KILL_N:-150}

# setup NAME: a fresh installation in $D with $N queued mails
setup() {
	D=$RUNDIR/send-kill-$1
	rm -rf "$D"
	"$POSTDESK" init --address support@support.example.test "$D" \
	    >/dev/null || return 1
	CONF=$D/postdesk.conf
	DB=$D/postdesk.db
	i=0
	while [ $i -lt "$N" ]; do
		i=$((i + 1))
		printf 'From: support@support.example.test\nTo: c%d@customer.example\nSubject: kill %d\nMessage-ID: <k%d.%s@support.example.test>\n\n%s\n' \
		    "$i" "$i" "$i" "$1" "$(seq 1 40 | tr '\n' ' ')" |
		    "$ADD" -t "$DB" bounce@support.example.test \
		    "c$i@customer.example" "k$i.$1@support.example.test" \
		    >/dev/null || return 1
	done
}

# kill_until_done MAX-DELAY: send --once, SIGKILLed 0..MAX-DELAY seconds
# after it claimed mail (the first 20 runs always, then every other run),
# until
# nothing is queued.  Prints "kills=K midbatch=M runs=R stalls=S
# unexpected=U left=L": midbatch counts kills that left mails leased
# by the dead sender; a stall is a run that was not killed, exited 0
# and left mail queued (a dead sender's lease it did not take over).
kill_until_done() {
	/usr/bin/python3 -I - "$POSTDESK" "$CONF" "$DB" "$1" <<'PY'
import random, sqlite3, subprocess, sys, time
exe, conf, db, maxdelay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
rng = random.Random(10)
kills = midbatch = runs = stalls = unexpected = 0
def count(where):
    c = sqlite3.connect(db, timeout=30)
    try:
        return c.execute("select count(*) from outbox where state = 'queued'"
                         + where).fetchone()[0]
    finally:
        c.close()
LEASED = " and lease_until > strftime('%s', 'now')"
deadline = time.time() + 90
while count("") > 0 and time.time() < deadline:
    p = subprocess.Popen([exe, "-c", conf, "send", "--once"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if runs < 20 or rng.random() < 0.5:
        # once it has claimed mail, at a random moment of its batch
        t = time.time() + 10
        while p.poll() is None and time.time() < t and count(LEASED) == 0:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, maxdelay))
        p.kill()
    rc = p.wait()
    runs += 1
    if rc == -9:
        kills += 1
        midbatch += count(LEASED) > 0
    elif rc != 0:
        unexpected += 1
    elif count("") > 0:
        stalls += 1
print(f"kills={kills} midbatch={midbatch} runs={runs} stalls={stalls} "
      f"unexpected={unexpected} left={count('')}")
PY
}

# --- the file transport ----------------------------------------------------
setup file || { t_fail "set up the file transport case"; t_done; }
MD=$D/outbox
R=$(kill_until_done 0.03)
t_diag "file transport: $N mails, $R"
t_like "$R" "kills=* stalls=0 unexpected=0 left=0" \
    "file: done, no sender waited for a dead one's lease"
MID=$(echo "$R" | sed 's/.*midbatch=\([0-9]*\).*/\1/')
t_ok "file: killed mid-batch at least 5 times" [ "$MID" -ge 5 ]
t_is "$(sqlite3 "$DB" "select count(*) from outbox where state = 'sent'")" \
    "$N" "file: every row marked sent"
t_is "$(ls "$MD/new" | wc -l | tr -d ' ')" "$N" "file: $N files in new/"
t_is "$(cat "$MD"/new/* | grep '^Message-ID: ' | sort -u | wc -l |
    tr -d ' ')" "$N" "file: $N distinct Message-IDs in $N files: 0 duplicates"
t_is "$(ls "$MD/new" | cut -d. -f1 | sort -u | wc -l | tr -d ' ')" "$N" \
    "file: each file named after its outbox row"
t_is "$(ls "$MD/tmp" | wc -l | tr -d ' ')" 0 "file: nothing left in tmp/"
t_is "$(ls "$DB".send.* 2>/dev/null | wc -l | tr -d ' ')" 0 \
    "file: no sender's lock file left"

# --- SMTP --------------------------------------------------------------------
if need_pymod aiosmtpd && ms_sink_start; then
	setup smtp || { t_fail "set up the SMTP case"; t_done; }
	grep -v '^transport ' "$CONF" >"$D/conf.tmp"
	echo "transport smtp \"127.0.0.1\" port $SINK_PORT tls none" \
	    >>"$D/conf.tmp"
	mv "$D/conf.tmp" "$CONF"
	R=$(kill_until_done 0.03)
	t_diag "smtp: $N mails, $R"
	t_like "$R" "kills=* stalls=0 unexpected=0 left=0" \
	    "smtp: done, no sender waited for a dead one's lease"
	KILLS=$(echo "$R" | sed 's/.*kills=\([0-9]*\).*/\1/')
	MID=$(echo "$R" | sed 's/.*midbatch=\([0-9]*\).*/\1/')
	t_ok "smtp: killed mid-batch at least 3 times" [ "$MID" -ge 3 ]
	sleep 1	# the sink's last files
	GOT=$(ms_sink_count)
	UNIQ=$(cat "$MS_SINK_DIR"/*.eml | grep '^Message-ID: <k[0-9]*\.smtp@' |
	    sort -u | wc -l | tr -d ' ')
	t_diag "smtp: $GOT mails captured, $UNIQ distinct, $((GOT - UNIQ)) duplicates, $KILLS kills"
	t_is "$UNIQ" "$N" "smtp: every mail arrived"
	t_ok "smtp: duplicates ($((GOT - UNIQ))) <= kills ($KILLS)" \
	    [ $((GOT - UNIQ)) -le "$KILLS" ]
	t_is "$(sqlite3 "$DB" "select count(*) from outbox where state = 'sent'")" \
	    "$N" "smtp: every row marked sent"
fi

t_done

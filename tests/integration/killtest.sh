#!/bin/sh
# SPDX-License-Identifier: ISC
# 300 messages delivered while deliver processes are SIGKILLed at random
# moments (0-20 ms after the start), every failed one retried as an MTA
# would: afterwards exactly 300 messages, none stored raw (a kill never
# counts as a failed attempt), no duplicates, integrity ok.  And two
# deliveries of the same mail at once (two recipients) make one ticket.
. "$TOP/tests/lib/common.sh"
require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/kill
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
# Few counted attempts make a wrongly counted kill show at once.
echo "limit attempts 3" >>"$D/postdesk.conf"
N=${KILL_N:-300}
/usr/bin/python3 - "$POSTDESK_DELIVER" "$D/postdesk.conf" "$N" >"$D/out" 2>&1 <<'PY'
import os, random, subprocess, sys, time, threading
exe, conf, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(42)
kills = retries = 0
lock = threading.Lock()

def message(i):
    return (f"From: c{i % 37}@customer.example\nTo: support@support.example.test\n"
            f"Subject: kill test {i}\nMessage-ID: <kill{i}@customer.example>\n\n"
            + f"line {i}\n" * 50).encode()

def deliver(i, delay):
    # A leak check that a kill interrupts only reports the kill.
    env = dict(os.environ)
    if delay is not None:
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    p = subprocess.Popen([exe, "-c", conf, "deliver", "-f", "c@customer.example",
                          "-r", "support@support.example.test"],
                         stdin=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        p.stdin.write(message(i))
        p.stdin.close()
    except BrokenPipeError:
        pass
    if delay is not None:
        time.sleep(delay)
        p.kill()
    return p.wait()

# Kill within the time a delivery really takes here (about 20 ms on an
# idle machine, far more under load or the sanitizers): calibrate.
def calibrate():
    ts = []
    for i in range(5):
        m = (f"From: cal@customer.example\nSubject: cal {i}\n"
             f"Message-ID: <cal{i}@customer.example>\n\nx\n").encode()
        t0 = time.monotonic()
        p = subprocess.Popen([exe, "-c", conf, "deliver", "-f", "cal@customer.example",
                              "-r", "support@support.example.test"], stdin=subprocess.PIPE)
        p.communicate(m)
        ts.append(time.monotonic() - t0)
    return max(0.005, sorted(ts)[2] * 1.2)
span = calibrate()
print(f"span={span * 1000:.1f}ms")

def worker(ids, seed):
    global kills, retries
    r = random.Random(seed)
    for i in ids:
        tries = 0
        while True:
            # Killed at a random moment of its work, as an MTA's time-out
            # or the OOM killer would, until the 8th try, which runs to
            # the end.
            tries += 1
            delay = r.uniform(0, span) if tries < 8 else None
            rc = deliver(i, delay)
            if rc == 0:
                break
            with lock:
                retries += 1
                kills += rc < 0
            if rc not in (75, -9):
                print(f"message {i}: unexpected exit {rc}")
ids = list(range(n))
ts = [threading.Thread(target=worker, args=(ids[k::2], k)) for k in range(2)]
[t.start() for t in ts]
[t.join() for t in ts]
print(f"kills={kills} retries={retries}")

# The same mail twice at once, as Postfix does for two recipients.
def pair(i):
    m = (f"From: p{i}@customer.example\nTo: support@support.example.test\n"
         f"Subject: pair {i}\nMessage-ID: <pair{i}@customer.example>\n\nhi\n").encode()
    ps = [subprocess.Popen([exe, "-c", conf, "deliver", "-f", f"p{i}@customer.example",
                            "-r", r], stdin=subprocess.PIPE)
          for r in ("support@support.example.test", "support+x@support.example.test")]
    for p in ps:
        p.communicate(m)
    return [p.returncode for p in ps]
for i in range(20):
    rc = pair(i)
    if rc != [0, 0]:
        print(f"pair {i}: exits {rc}")
PY
t_ok "driver ran" grep -q '^kills=' "$D/out"
t_diag "$(grep '^kills=' "$D/out") $(grep '^span=' "$D/out")"
t_is "$(grep -c unexpected "$D/out")" 0 "every failed attempt exited 75 or died by the signal"
sql() { sqlite3 "$D/postdesk.db" "$1"; }
t_is "$(sql "select count(*) from messages where direction = 'in' and subject like 'kill test %'")" "$N" \
    "exactly $N messages stored"
t_is "$(sql "select count(distinct message_id) from messages where direction = 'in' and message_id like 'kill%'")" "$N" \
    "no duplicates, each under its own Message-ID"
t_is "$(sql "select count(*) from messages where flags & 65536")" 0 \
    "none stored raw (kills are not failed attempts)"
t_is "$(sql "select count(*) from tickets where subject like 'kill test %'")" "$N" \
    "one ticket each"
t_ok "some deliveries were killed" grep -q '^kills=[1-9]' "$D/out"
t_is "$(sql 'pragma integrity_check')" ok "integrity_check ok"
t_is "$(grep -c '^pair' "$D/out")" 0 "concurrent pairs all exit 0"
t_is "$(sql "select count(*) from tickets where subject like 'pair %'")" 20 \
    "two deliveries of one mail at once: one ticket each (20 pairs)"
t_done

#!/bin/sh
# SPDX-License-Identifier: ISC
# Memory is bounded before the damage: a mail over limit message-size is
# refused after reading one byte past the limit (the rest is never
# read), a header of millions of tiny lines reaches the parser cut to
# limit header-size, and a mail of hundreds of thousands of parts is cut
# at the part limit before the MIME parser builds anything.  Each is
# measured by the peak memory of the delivery (getrusage).
. "$TOP/tests/lib/common.sh"

require_cmd sqlite3 /usr/bin/python3
D=$RUNDIR/limits
rm -rf "$D"
"$POSTDESK" init --address support@support.example.test "$D" >/dev/null ||
	{ t_fail "postdesk init"; t_done; }
CONF=$D/postdesk.conf
DB=$D/postdesk.db
sql() { sqlite3 "$DB" "$1"; }

/usr/bin/python3 - "$D" <<'PY'
import sys
d = sys.argv[1]
def head(mid, extra=""):
    return (f"From: big@customer.example\nTo: support@support.example.test\n"
            f"Subject: {mid}\nMessage-ID: <{mid}@customer.example>\n{extra}")
with open(f"{d}/huge", "w") as f:            # 100 MB, over 50M
    f.write(head("huge") + "\n")
    line = "x" * 99 + "\n"
    for _ in range(1000 * 1000):
        f.write(line)
with open(f"{d}/headers", "w") as f:         # 48 MB of header lines
    f.write(head("headers"))
    f.write("X-A: b\n" * (48 * 1024 * 1024 // 7))
    f.write("\nthe body\n")
with open(f"{d}/parts", "w") as f:           # 300,000 parts
    f.write(head("parts", "MIME-Version: 1.0\n"
                 "Content-Type: multipart/mixed; boundary=b\n") + "\n")
    f.write("--b\n\nx\n" * 300000)
    f.write("--b--\n")
PY

# measure FILE: "EXIT MAXRSS-MB SECONDS" of one delivery of FILE
measure() {
	/usr/bin/python3 - "$POSTDESK_DELIVER" "$CONF" "$1" <<'PY'
import resource, subprocess, sys, time
exe, conf, path = sys.argv[1:4]
t0 = time.monotonic()
with open(path, "rb") as f:
    rc = subprocess.call([exe, "-c", conf, "deliver", "-f", "big@customer.example",
                          "-r", "support@support.example.test"], stdin=f,
                         stderr=subprocess.DEVNULL)
dt = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(rc, rss, f"{dt:.1f}")
PY
}

# AddressSanitizer's shadow memory and quarantine double the peaks.
x=1
[ "${SAN:-}" = 1 ] && x=2

set -- $(measure "$D/huge")
t_is "$1" 65 "100 MB over limit message-size 50M: refused (65)"
t_diag "100 MB refused: peak ${2} MB, ${3} s"
t_ok "100 MB refused: read no further than the limit (peak ${2} MB < $((90 * x)) MB)" \
    [ "$2" -lt $((90 * x)) ]
t_is "$(sql "select count(*) from messages where message_id = 'huge@customer.example'")" 0 \
    "100 MB refused: nothing stored"

set -- $(measure "$D/headers")
t_is "$1" 0 "48 MB of header lines: stored (0)"
t_diag "48 MB of header lines: peak ${2} MB, ${3} s"
t_ok "48 MB of header lines: peak ${2} MB < $((400 * x)) MB" \
    [ "$2" -lt $((400 * x)) ]
t_is "$(sql "select flags & 2048 from messages where subject = 'headers'")" 2048 \
    "48 MB of header lines: flagged over-header-limit"
t_is "$(sql "select length(raw) from messages where subject = 'headers'")" \
    "$(wc -c <"$D/headers" | tr -d ' ')" "48 MB of header lines: raw kept whole"

set -- $(measure "$D/parts")
t_is "$1" 0 "300,000 parts: stored (0)"
t_diag "300,000 parts: peak ${2} MB, ${3} s"
t_ok "300,000 parts: peak ${2} MB < $((150 * x)) MB" \
    [ "$2" -lt $((150 * x)) ]
t_is "$(sql "select flags & 1024 from messages where subject = 'parts'")" 1024 \
    "300,000 parts: flagged over-part-limit"
t_ok "300,000 parts: at most 500 attachments" \
    [ "$(sql "select count(*) from attachments a join messages m on m.id = a.message where m.subject = 'parts'")" -le 500 ]

# The WAL gives back what one large mail took: after a 20 MB mail and a
# few more it is back near 4 MB (journal_size_limit); it kept 40 MB.
W=$D/wal
"$POSTDESK" init --address support@support.example.test "$W" >/dev/null
wdeliver() {
	"$POSTDESK_DELIVER" -c "$W/postdesk.conf" deliver -f w@customer.example \
	    -r support@support.example.test 2>/dev/null
}
{ printf 'From: w@customer.example\nSubject: wal big\nMessage-ID: <walbig@customer.example>\n\n'
  head -c 20000000 /dev/zero | tr '\0' 'w'; } | wdeliver
big=$(wc -c <"$W/postdesk.db-wal" | tr -d ' ')
for i in 1 2 3 4 5 6; do
	printf 'From: w@customer.example\nSubject: wal %s\nMessage-ID: <wal%s@customer.example>\n\n%s\n' \
	    "$i" "$i" "$(head -c 300000 /dev/zero | tr '\0' 'w')" | wdeliver
done
wal=$(wc -c <"$W/postdesk.db-wal" | tr -d ' ')
t_diag "WAL after a 20 MB mail: $big bytes; after six more: $wal bytes"
t_ok "the WAL grew with the large mail" [ "$big" -gt 20000000 ]
t_ok "the WAL shrank again ($wal bytes < 6 MB)" [ "$wal" -lt 6000000 ]
t_done

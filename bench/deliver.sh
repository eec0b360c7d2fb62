#!/bin/sh
# SPDX-License-Identifier: ISC
# Messages per second through postdesk-deliver, one process per message
# as an MTA pipe runs it: sequential and 2 at once, small and 200 KB
# messages, beside the floor: exec of a do-nothing program linked with
# exactly the same libraries.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
N=${BENCH_DELIVER_N:-400}
w=$(mktemp -d /tmp/postdesk-bench.XXXXXX)
trap 'rm -rf "$w"' EXIT INT TERM
CC=${CC:-cc}

"$CC" -O2 -o "$w/spawn-bench" "$top/bench/spawn-bench.c"
printf 'int main(void) { return 0; }\n' >"$w/nop.c"
# The floor links what postdesk-deliver links, loaded even if unused.
libs=$(make -s -C "$top" print-lean-libs)
"$CC" -O2 -o "$w/floor" "$w/nop.c" -Wl,--no-as-needed $libs

mkmsgs() {	# dir count body-bytes
	mkdir -p "$1"
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
line = "The quick brown fox jumps over the lazy dog, again and again.\n"
body = (line * (size // len(line) + 1))[:size]
for i in range(n):
    with open(f"{d}/{i:05d}.eml", "w") as f:
        f.write(f"From: Customer {i % 50} <c{i % 50}@customer.example>\n"
                f"To: support@example.org\nSubject: bench message {i}\n"
                f"Message-ID: <bench{i}.{d[-6:]}@customer.example>\n"
                f"Date: Wed, 25 Nov 2026 10:00:00 +0000\n\n{body}")
PY
}

run() {	# label jobs msgdir: deliver into a fresh database
	rm -rf "$w/pd"
	"$BUILD/postdesk" init --address support@example.org "$w/pd" >/dev/null
	set -- "$1" "$2" "$3"
	r=$("$w/spawn-bench" -j "$2" "$3"/*.eml -- "$BUILD/postdesk-deliver" \
	    -c "$w/pd/postdesk.conf" deliver -f c@customer.example \
	    -r support@example.org)
	f=$("$w/spawn-bench" -j "$2" "$3"/*.eml -- "$w/floor")
	echo "$1 $2 $r $f"
}

mkmsgs "$w/small" "$N" 400
mkmsgs "$w/large" "$((N / 2))" 204800
{
	run small 1 "$w/small"
	run small 2 "$w/small"
	run 200KB 1 "$w/large"
	run 200KB 2 "$w/large"
} | awk '
BEGIN {
	print "postdesk-deliver: one process per message (pipe transport)"
	printf "%-7s %4s %6s %9s %9s %9s %7s %6s\n", "message", "jobs", \
	    "msgs", "msgs/s", "ms/msg", "floor/s", "ratio", "fails"
}
{
	rate = $3 / $4; floor = $6 / $7
	printf "%-7s %4d %6d %9.1f %9.2f %9.1f %7.2f %6d\n", $1, $2, $3, \
	    rate, 1000 / rate, floor, floor / rate, $5
}
END {
	print "floor: exec of an empty program linked like postdesk-deliver;"
	print "ratio: floor rate / deliver rate (goal <= 1.3; goal >= 200 msgs/s sequential)"
}'

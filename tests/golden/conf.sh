#!/bin/sh
# SPDX-License-Identifier: ISC
# Golden tests for postdesk.conf(5), in TAP.  For each NAME.conf in
# tests/golden/conf, run "postdesk -c NAME.conf check" from that
# directory (so that paths print as NAME.conf:LINE).  With NAME.expected
# beside it, the check must exit 78 (EX_CONFIG), print exactly those lines
# on stderr and nothing on stdout; with NAME.stdout it must exit 0, print
# exactly that on stdout and nothing on stderr.  NAME.inc files are only
# included.  $POSTDESK is the binary, $TOP the source tree.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
POSTDESK=${POSTDESK:-$TOP/build/postdesk}
LC_ALL=C
export LC_ALL

if [ ! -x "$POSTDESK" ]; then
	echo "not ok 1 - $POSTDESK: not built"
	echo "1..1"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden-conf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$TOP/tests/golden/conf" || exit 1

n=0
failed=0
for conf in *.conf; do
	name=${conf%.conf}
	n=$((n + 1))
	if [ -f "$name.expected" ]; then
		want_rc=78 want=$name.expected got=$tmp/err other=$tmp/out
	elif [ -f "$name.stdout" ]; then
		want_rc=0 want=$name.stdout got=$tmp/out other=$tmp/err
	else
		echo "not ok $n - $name: no $name.expected or $name.stdout"
		failed=$((failed + 1))
		continue
	fi
	"$POSTDESK" -c "$conf" check >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && cmp -s "$want" "$got" &&
	    [ ! -s "$other" ]; then
		echo "ok $n - $name"
		continue
	fi
	echo "not ok $n - $name"
	echo "#   exit status $rc, want $want_rc"
	diff -u "$want" "$got" | sed 's/^/#   /'
	sed 's/^/#   also: /' "$other"
	failed=$((failed + 1))
done
echo "1..$n"
[ "$failed" -eq 0 ]

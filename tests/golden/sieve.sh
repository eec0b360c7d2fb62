#!/bin/sh
# SPDX-License-Identifier: ISC
# Golden tests for the Sieve engine, in TAP.  In tests/golden/sieve:
# - NAME.sieve with NAME.expected: "postdesk filter check NAME.sieve"
#   must exit 78, print exactly those lines on stderr, nothing on stdout;
# - NAME.sieve with NAME.args and NAME.out: the script must pass
#   "filter check", and "postdesk filter test -r NAME.sieve ARGS" for
#   each line of NAME.args must print, all together, exactly NAME.out.
#   The messages are msg/*.eml; big.eml (600 KiB) and huge.eml (1.1 MiB)
#   are made here.  All run in one scratch directory, so that paths
#   print as NAME.sieve:LINE and FILE.eml.
# $POSTDESK is the binary, $TOP the source tree.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
POSTDESK=${POSTDESK:-$TOP/build/postdesk}
LC_ALL=C
export LC_ALL
unset POSTDESK_CONF

if [ ! -x "$POSTDESK" ]; then
	echo "not ok 1 - $POSTDESK: not built"
	echo "1..1"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden-sieve.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
src=$TOP/tests/golden/sieve
cp "$src"/*.sieve "$src"/msg/*.eml "$tmp"/ || exit 1
cd "$tmp" || exit 1

# A message of about $2 KiB.
big() {
	printf 'From: bulk@example.net\nTo: me@example.com\nSubject: big\n'
	printf 'Date: Wed, 25 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@example.net>\n\n' "$1"
	awk -v n="$2" 'BEGIN { for (i = 0; i < n * 16; i++)
		print "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde" }'
}
big big 600 >big.eml
big huge 1130 >huge.eml

n=0
failed=0
report() {	# name, ok?, details file
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		echo "ok $n - $1"
		return
	fi
	echo "not ok $n - $1"
	sed 's/^/#   /' "$3"
	failed=$((failed + 1))
}

for f in "$src"/*.sieve; do
	name=$(basename "$f" .sieve)
	if [ -f "$src/$name.expected" ]; then
		"$POSTDESK" filter check "$name.sieve" >out 2>err
		rc=$?
		{ echo "exit status $rc, want 78"; diff -u "$src/$name.expected" err
		  sed 's/^/stdout: /' out; } >diff
		[ "$rc" -eq 78 ] && cmp -s "$src/$name.expected" err && [ ! -s out ]
		report "$name: errors" $? diff
		continue
	fi
	if [ ! -f "$src/$name.out" ] || [ ! -f "$src/$name.args" ]; then
		echo "no $name.expected, nor $name.args and $name.out" >diff
		report "$name" 1 diff
		continue
	fi
	"$POSTDESK" filter check "$name.sieve" >out 2>&1
	rc=$?
	echo "exit status $rc" >>out
	[ "$rc" -eq 0 ]
	report "$name: filter check" $? out
	: >got
	rc=0
	while read -r args; do
		# shellcheck disable=SC2086
		"$POSTDESK" filter test -r "$name.sieve" $args >>got 2>&1 || rc=$?
	done <"$src/$name.args"
	{ echo "exit status $rc"; diff -u "$src/$name.out" got; } >diff
	[ "$rc" -eq 0 ] && cmp -s "$src/$name.out" got
	report "$name: behaves as the RFC says" $? diff
done
echo "1..$n"
[ "$failed" -eq 0 ]

#!/bin/sh
# SPDX-License-Identifier: ISC
# The shipped example rules (filters/*.sieve), in TAP: each passes
# "postdesk filter check", a configuration naming them all passes
# "postdesk check", each is used by at least one test, and for each
# tests/golden/filters/NAME.args, "postdesk -c postdesk.conf filter
# test --json ARGS" run from the top of the tree prints exactly
# NAME.json.  $POSTDESK is the binary, $TOP the source tree.
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
tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden-filters.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1
G=tests/golden/filters
CONF=$G/postdesk.conf

n=0
failed=0
result() {	# name, status, details file
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		sed 's/^/#   /' "$3"
		failed=$((failed + 1))
	fi
}

for f in filters/*.sieve; do
	"$POSTDESK" filter check "$f" >"$tmp/out" 2>&1
	result "$f: filter check" $? "$tmp/out"
	grep -q -- "-r $f " $G/*.args
	echo "no test in $G/*.args uses $f" >"$tmp/out"
	result "$f: has a test" $? "$tmp/out"
done
"$POSTDESK" -c $CONF check >"$tmp/out" 2>&1
result "postdesk check with every shipped filter" $? "$tmp/out"

for a in $G/*.args; do
	name=$(basename "$a" .args)
	# shellcheck disable=SC2046
	"$POSTDESK" -c $CONF filter test --json $(cat "$a") >"$tmp/got" \
	    2>"$tmp/err"
	rc=$?
	{ echo "exit status $rc"; cat "$tmp/err"
	  diff -u "$G/$name.json" "$tmp/got"; } >"$tmp/diff"
	[ "$rc" -eq 0 ] && cmp -s "$G/$name.json" "$tmp/got"
	result "filter test $name" $? "$tmp/diff"
done
echo "1..$n"
[ "$failed" -eq 0 ]

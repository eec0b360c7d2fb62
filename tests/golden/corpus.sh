#!/bin/sh
# SPDX-License-Identifier: ISC
# The shared corpus of real-world mail ($TOP/../shared/corpus, not shipped
# with postdesk), in TAP.  Every mail in it (but README.md and GMime's
# output/ directories) must give "postdesk parse --json" exit 0, nothing
# on stderr, no sanitizer report, valid JSON and a non-empty message_id:
# one line per mail.  The mails listed in golden_list must also give
# exactly tests/golden/corpus/NAME.json, output that was checked by eye
# against the mail; with NAME.conf beside it, parsed under that
# configuration (charset hints).  Without the corpus everything is one
# skip.
#
# Regenerate a golden file (then read it against the mail again):
#   build/postdesk [-c tests/golden/corpus/NAME.conf] parse --json \
#	../shared/corpus/PATH >tests/golden/corpus/NAME.json
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
POSTDESK=${POSTDESK:-$TOP/build/postdesk}
. "$TOP/tests/lib/common.sh"
LC_ALL=C
export LC_ALL
# Built-in defaults only: a configuration would change limits and hints.
unset POSTDESK_CONF

corpus=$TOP/../shared/corpus
golden=$TOP/tests/golden/corpus

# NAME PATH-IN-CORPUS
golden_list='
cpython-msg_15 cpython/msg_15.txt
cpython-msg_31 cpython/msg_31.txt
cpython-msg_41 cpython/msg_41.txt
gnupg-2-signed-MIME-plain-with-attachment rt/gnupg/emails/2-signed-MIME-plain-with-attachment.txt
rt-multipart-report rt/emails/multipart-report
rt-nested-rfc-822 rt/emails/nested-rfc-822
rt-new-ticket-from-gb18030 rt/emails/new-ticket-from-gb18030
rt-new-ticket-from-iso-8859-1 rt/emails/new-ticket-from-iso-8859-1
rt-notes-uuencoded rt/emails/notes-uuencoded
rt-rfc2231-attachment-filename-continuations rt/emails/rfc2231-attachment-filename-continuations
rt-russian-subject-no-content-type rt/emails/russian-subject-no-content-type
rt-text-html-with-umlaut rt/emails/text-html-with-umlaut
'

if [ ! -d "$corpus" ]; then
	t_skip "corpus" "no shared corpus at $corpus (developer data, not shipped)"
	t_done
fi
if [ ! -x "$POSTDESK" ]; then
	t_fail "corpus" "$POSTDESK: not built"
	t_done
fi
if [ ! -x "$T_PY" ]; then
	t_skip "corpus" "$T_PY not found: it checks the JSON"
	t_done
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golden-corpus.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

san_reports() {
	if [ -n "${SAN_DIR:-}" ] && [ -d "$SAN_DIR" ]; then
		ls "$SAN_DIR" | wc -l | tr -d ' '
	else
		echo 0
	fi
}

# Why "postdesk parse --json" on $1 is not right, or nothing.
sweep_one() {
	before=$(san_reports)
	"$POSTDESK" parse --json "$1" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -ne 0 ] && echo "exit status $rc"
	[ -s "$tmp/err" ] && { echo "stderr:"; head -n 20 "$tmp/err"; }
	[ "$(san_reports)" != "$before" ] && echo "sanitizer report in $SAN_DIR"
	"$T_PY" -I -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError as e:
    sys.exit("invalid JSON: %s" % e)
if not isinstance(d, dict) or not d.get("message_id"):
    sys.exit("empty message_id")
' <"$tmp/out" 2>&1
}

find "$corpus" -type f ! -name README.md ! -path '*/output/*' |
    sort >"$tmp/list"
while IFS= read -r f; do
	rel=${f#"$corpus"/}
	why=$(sweep_one "$f")
	if [ -z "$why" ]; then
		t_pass "parse $rel"
	else
		t_fail "parse $rel" "$why"
	fi
done <"$tmp/list"

echo "$golden_list" >"$tmp/golden"
while read -r name rel; do
	[ -n "$name" ] || continue
	if [ ! -f "$corpus/$rel" ]; then
		t_fail "golden $name" "$corpus/$rel: missing from the corpus"
		continue
	fi
	set --
	[ -f "$golden/$name.conf" ] && set -- -c "$golden/$name.conf"
	"$POSTDESK" "$@" parse --json "$corpus/$rel" </dev/null \
	    >"$tmp/out" 2>"$tmp/err"
	if [ ! -f "$golden/$name.json" ]; then
		t_fail "golden $name" "no $golden/$name.json"
	elif cmp -s "$golden/$name.json" "$tmp/out"; then
		t_pass "golden $name ($rel)"
	else
		t_fail "golden $name ($rel)" \
		    "$(diff -u "$golden/$name.json" "$tmp/out" | head -n 60)"
	fi
done <"$tmp/golden"
t_done

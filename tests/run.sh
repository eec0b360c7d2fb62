#!/bin/sh
# SPDX-License-Identifier: ISC
# Run every test: unit binaries ($BUILD/tests/test-*) and the shell tests
# (tests/integration/*.sh, tests/golden/*.sh), all speaking TAP.  Counts
# the results and ends with "N passed, N failed, N skipped".  Under SAN=1
# every sanitizer report (written to a log_path, so that it also works in
# processes whose environment Postfix's pipe(8) cleared) fails the test
# that caused it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
export BUILD TOP="$top"
export POSTDESK="$BUILD/postdesk" POSTDESK_DELIVER="$BUILD/postdesk-deliver"

# Test state lives under one world-searchable directory (Postfix, Dovecot
# and the pipe user are not root).
RUNDIR=${RUNDIR:-/tmp/postdesk-test.$$}
mkdir -p "$RUNDIR" && chmod 755 "$RUNDIR"
export RUNDIR
san_dir=$RUNDIR/san
mkdir -p "$san_dir" && chmod 1777 "$san_dir"
export SAN_DIR="$san_dir"
export G_SLICE=always-malloc
export ASAN_OPTIONS="log_path=$san_dir/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$san_dir/ubsan:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"

passed=0 failed=0 skipped=0
failures=""
only=${TESTS:-}

count() {	# name, TAP output file, exit status
	name=$1 out=$2 rc=$3
	p=$(grep -c '^ok ' "$out" | tr -d ' ')
	s=$(grep -c '^ok .*# SKIP' "$out" | tr -d ' ')
	f=$(grep -c '^not ok ' "$out" | tr -d ' ')
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$out"
		f=1
	fi
	if [ -n "$(ls "$san_dir" 2>/dev/null)" ]; then
		echo "not ok - $name: sanitizer report:" >>"$out"
		cat "$san_dir"/* >>"$out"
		rm -f "$san_dir"/*
		f=$((f + 1))
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$f" -gt 0 ]; then
		failures="$failures $name"
		grep -v '^ok ' "$out" | sed "s|^|    |"
	fi
	grep '# SKIP' "$out" | sed "s|^ok [0-9]* - |  skipped: $name: |"
	printf '%-40s %3d passed, %d failed, %d skipped\n' "$name" "$p" "$f" "$s"
}

selected() {
	[ -z "$only" ] && return 0
	case " $only " in *" $1 "*) return 0 ;; esac
	return 1
}

run_one() {	# name, command...
	name=$1; shift
	selected "$name" || return 0
	out=$RUNDIR/$name.tap
	"$@" >"$out" 2>"$RUNDIR/$name.err"
	rc=$?
	count "$name" "$out" "$rc"
	if [ "$rc" -ne 0 ] && [ -s "$RUNDIR/$name.err" ]; then
		tail -n 20 "$RUNDIR/$name.err" | sed 's|^|    stderr: |'
	fi
}

for t in "$BUILD"/tests/test-*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
for t in "$top"/tests/golden/*.sh "$top"/tests/integration/*.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t" .sh)" sh "$t"
done

[ -n "$failures" ] && echo "failed:$failures"
if [ "$failed" -eq 0 ] && [ -z "${KEEP:-}" ]; then
	rm -rf "$RUNDIR"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

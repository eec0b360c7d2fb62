#!/bin/sh
# SPDX-License-Identifier: ISC
# make fuzz-check: for every fuzzer $FUZZ_BUILD/fuzz-NAME, replay its
# committed corpus tests/fuzz/corpus/NAME/, then run a short campaign of
# FUZZ_RUNS executions with a fixed seed on a copy of that corpus (the
# committed one stays as it is).  Same binary, same corpus, same result:
# a landing never depends on luck.  For that the campaign runs without
# address randomisation (setarch -R, when it works), without libFuzzer's
# corpus reloads (timed) and without its per-input leak check (that
# reruns inputs as malloc counts vary); leaks are still caught when the
# campaign's corpus is replayed afterwards with it.  On a crash the
# working directory is kept and named; add the crashing input to the
# corpus once it is fixed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_RUNS=${FUZZ_RUNS:-30000}
FUZZ_ARGS="-max_len=65536 -timeout=10 -rss_limit_mb=2048 -reload=0"
FUZZ_ARGS="$FUZZ_ARGS -detect_leaks=0"
norand=
if setarch -R true 2>/dev/null; then
	norand="setarch -R"
fi

export G_SLICE=always-malloc
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"

# The libFuzzer status line with the given tag ("INITED", "DONE").
status() {	# log, tag
	grep -a "^#[0-9]*[[:space:]]*$2 " "$1" | tail -n 1 | sed 's/ *exec\/s.*//'
}

failed=0
for src in tests/fuzz/fuzz-*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	bin=$FUZZ_BUILD/$name
	corpus=tests/fuzz/corpus/${name#fuzz-}
	if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
		echo "$name: FAILED: $bin or $corpus missing"
		failed=1
		continue
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
	if ! "$bin" -runs=0 -artifact_prefix="$work/" "$corpus" \
	    >"$work/replay.log" 2>&1; then
		echo "$name: FAILED replaying $corpus; log and input in $work"
		tail -n 40 "$work/replay.log"
		failed=1
		continue
	fi
	echo "$name: replay $(ls "$corpus" | wc -l | tr -d ' ') inputs:" \
	    "$(status "$work/replay.log" INITED)"
	cp -R "$corpus" "$work/corpus"
	start=$(date +%s)
	# shellcheck disable=SC2086
	if ! $norand "$bin" -seed=1 -runs="$FUZZ_RUNS" $FUZZ_ARGS \
	    -artifact_prefix="$work/" "$work/corpus" >"$work/fuzz.log" 2>&1
	then
		echo "$name: FAILED in the seed-1 campaign; log and input in $work"
		grep -a -A 40 -m 1 'ERROR\|contract broken\|runtime error' \
		    "$work/fuzz.log"
		failed=1
		continue
	fi
	echo "$name: $FUZZ_RUNS runs (seed 1) in $(($(date +%s) - start)) s:" \
	    "$(status "$work/fuzz.log" DONE)"
	if ! "$bin" -runs=0 -artifact_prefix="$work/" "$work/corpus" \
	    >"$work/leaks.log" 2>&1; then
		echo "$name: FAILED replaying the campaign's corpus with" \
		    "leak checks; log and input in $work"
		grep -a -A 40 -m 1 'ERROR' "$work/leaks.log"
		failed=1
		continue
	fi
	rm -rf "$work"
done
exit "$failed"

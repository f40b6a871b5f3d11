#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs each libFuzzer target (build/fuzz/fuzz_*) for SECONDS on its
# committed seeds (tests/fuzz/corpus/<target>/, never written to) and a
# working corpus in WORK/corpus/<target>/.
#
#   tests/fuzz/run.sh SECONDS [TARGET...]
#
# Prints one line per target: "<target> ok <execs> execs" or "<target> FAIL";
# exits 1 if any target crashed, leaked or could not run. Crash inputs and
# logs stay in WORK: VX_FUZZ_WORK, default build/fuzz/ (the binaries' own
# directory, which need not be writable then: e.g. a user other than the
# one who built them).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VX_BUILD:-$ROOT/build}
WORK=${VX_FUZZ_WORK:-$BUILD/fuzz}
SECONDS_EACH=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for s in "$ROOT"/tests/fuzz/fuzz_*.c; do
		t=$(basename "$s" .c)
		targets+=("$t")
	done
fi

# The segmenter and coalescer take up to 64 KiB frames; fuzz_virtq a ring of
# 256 descriptors (4 KiB) and the memory around it.
max_len() {
	case "$1" in
	fuzz_pkt) echo 8192 ;;
	fuzz_ctl) echo 4096 ;;
	fuzz_vu | fuzz_kdev) echo 4096 ;;
	fuzz_virtq) echo 16384 ;;
	*) echo 70000 ;;
	esac
}

rc=0
for t in "${targets[@]}"; do
	bin=$BUILD/fuzz/$t
	work=$WORK/corpus/$t
	log=$WORK/$t.log
	if ! mkdir -p "$work"; then
		echo "$t FAIL (cannot write $work)"
		rc=1
		continue
	fi
	if [ ! -x "$bin" ]; then
		echo "$t FAIL (no binary $bin)"
		rc=1
		continue
	fi
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$t")" -print_final_stats=1 \
		-artifact_prefix="$WORK/$t-" "$work" "$ROOT/tests/fuzz/corpus/$t" \
		>"$log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$st" -ne 0 ] || grep -qE '^==[0-9]+==ERROR|runtime error|ERROR: libFuzzer' "$log"; then
		echo "$t FAIL (exit $st, see $log)"
		grep -E 'ERROR|runtime error|SUMMARY' "$log" | head -5
		rc=1
	else
		echo "$t ok ${execs:-?} execs"
	fi
done
exit "$rc"

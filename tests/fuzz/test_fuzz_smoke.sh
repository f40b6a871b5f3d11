#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The libFuzzer targets build, and each runs ~10 s on its seed corpus
# without a crash, a leak or a sanitizer report (FUZZ_SMOKE_SECONDS).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VX_BUILD:-$ROOT/build}
SECS=${FUZZ_SMOKE_SECONDS:-10}
targets=()
for s in "$ROOT"/tests/fuzz/fuzz_*.c; do
	targets+=("$(basename "$s" .c)")
done

echo "1..${#targets[@]}"
make -s -C "$ROOT" BUILD="$BUILD" fuzz-build >"$BUILD/fuzz-build.log" 2>&1
built=$?
n=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	if [ "$built" -ne 0 ] && [ ! -x "$BUILD/fuzz/$t" ]; then
		echo "not ok $n - $t: build failed"
		sed 's/^/# /' "$BUILD/fuzz-build.log" | tail -20
		continue
	fi
	if out=$("$ROOT/tests/fuzz/run.sh" "$SECS" "$t"); then
		echo "ok $n - $t: ${out#"$t ok "}"
	else
		echo "not ok $n - $t"
		echo "$out" | sed 's/^/# /'
	fi
done

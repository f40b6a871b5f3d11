#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The libFuzzer targets build, and each runs ~10 s on its seed corpus
# without a crash, a leak or a sanitizer report (FUZZ_SMOKE_SECONDS).
# Its corpora, logs and crash inputs go to a directory of its own (kept
# and named on a failure), so it runs as any user and next to `make fuzz`.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${VX_BUILD:-$ROOT/build}
SECS=${FUZZ_SMOKE_SECONDS:-10}
WORK=$(mktemp -d /tmp/vx-fuzz-smoke.XXXXXX) || exit 1
export VX_FUZZ_WORK=$WORK
failed=0
trap '[ "$failed" -ne 0 ] && echo "# kept $WORK" || rm -rf "$WORK"' EXIT
targets=()
for s in "$ROOT"/tests/fuzz/fuzz_*.c; do
	targets+=("$(basename "$s" .c)")
done

. "$ROOT/tests/lib/tap.sh"
make -s -C "$ROOT" BUILD="$BUILD" fuzz-build >"$WORK/fuzz-build.log" 2>&1
built=$?
for t in "${targets[@]}"; do
	if [ "$built" -ne 0 ] && [ ! -x "$BUILD/fuzz/$t" ]; then
		vx_ok 1 "$t: build failed"
		sed 's/^/# /' "$WORK/fuzz-build.log" | tail -20
		continue
	fi
	if out=$("$ROOT/tests/fuzz/run.sh" "$SECS" "$t"); then
		vx_ok 0 "$t: ${out#"$t ok "}"
	else
		vx_ok 1 "$t"
		echo "$out" | sed 's/^/# /'
	fi
done
vx_failed && failed=1
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test under prove (TAP), in the order unit, fuzz, bpf, ns, e2e, kmod.
#
#   tests/run-all.sh [FILTER...]
#
# A FILTER that names a kind (unit, fuzz, bpf, ns, e2e, kmod) selects that kind; any
# other FILTER selects the tests whose path contains it. VX_SKIP_SLOW=1
# leaves out tests/e2e and tests/kmod (QEMU guests). VX_TEST_TIMEOUT (seconds, default 900) bounds each
# test. The C programs come from build/tests/<kind>/ (run `make` first).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VX_BUILD:-$ROOT/build}
KINDS=(unit fuzz bpf ns e2e kmod)

kinds=()
patterns=()
for arg in "$@"; do
	case " ${KINDS[*]} " in
	*" $arg "*) kinds+=("$arg") ;;
	*) patterns+=("$arg") ;;
	esac
done
[ ${#kinds[@]} -gt 0 ] || kinds=("${KINDS[@]}")

# unit and fuzz run as any user; the others need root (namespaces, XDP, hugepages).
if [ "$(id -u)" -ne 0 ]; then
	for kind in "${kinds[@]}"; do
		case $kind in
		unit | fuzz) ;;
		*)
			echo "run-all.sh: tests/$kind needs root (namespaces, XDP, hugepages);" \
				"as another user run: tests/run-all.sh unit fuzz" >&2
			exit 1
			;;
		esac
	done
fi

selected() { # selected <path>: does the path pass the pattern filters?
	local p
	[ ${#patterns[@]} -eq 0 ] && return 0
	for p in "${patterns[@]}"; do
		[[ "$1" == *"$p"* ]] && return 0
	done
	return 1
}

tests=()
for kind in "${KINDS[@]}"; do
	case " ${kinds[*]} " in *" $kind "*) ;; *) continue ;; esac
	if { [ "$kind" = e2e ] || [ "$kind" = kmod ]; } && [ -n "${VX_SKIP_SLOW:-}" ] &&
		[ "$VX_SKIP_SLOW" != 0 ]; then
		echo "run-all.sh: VX_SKIP_SLOW set, skipping tests/$kind"
		continue
	fi
	for t in "$BUILD/tests/$kind"/test_* "$ROOT/tests/$kind"/test_*.sh; do
		[ -f "$t" ] || continue
		selected "$t" || continue
		if [ ! -x "$t" ]; then
			echo "run-all.sh: $t is not executable (chmod +x)" >&2
			exit 1
		fi
		tests+=("${t#"$ROOT"/}")
	done
done

if [ ${#tests[@]} -eq 0 ]; then
	echo "run-all.sh: no test matched (kinds: ${kinds[*]}; filters: ${patterns[*]:-none})" >&2
	echo "run-all.sh: did you run make?" >&2
	exit 1
fi

cd "$ROOT" || exit 1
out=$(mktemp /tmp/vx-run-all.XXXXXX)
trap 'rm -f "$out"' EXIT
# --foreground keeps Ctrl-C working; a timed-out shell test still gets
# SIGTERM and its EXIT trap tears its namespaces down.
prove --timer --exec "timeout --foreground -k 10 ${VX_TEST_TIMEOUT:-900}" "${tests[@]}" |
	tee "$out"
rc=${PIPESTATUS[0]}
# prove passes a run in which every test skipped itself ("Result: NOTESTS");
# that proves nothing, so it fails here (prove's summary stays the last line).
grep -q '^Result: NOTESTS' "$out" && rc=1
exit "$rc"

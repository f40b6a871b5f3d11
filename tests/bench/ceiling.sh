#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The ceiling of the "NIC": what a bare AF_XDP socket (build/vx-xskgen, no
# virtqueue, no guest) reaches on the veth of tests/lib/ns.sh. Any AF_XDP
# back-end there pays at least this kernel-side cost per packet.
#
#   x  bare AF_XDP socket (vx-xskgen), copy mode, one queue
#
#   g2w  vx-xskgen tx on vxa (host ns, taskset -c 1) -> dpdk-testpmd
#        net_af_xdp rxonly on vxb (peer ns); the rate is testpmd's Rx-pps
#   w2g  dpdk-testpmd net_af_xdp txonly on vxb -> vx-xskgen rx on vxa
#        (taskset -c 1); the rate is what vx-xskgen received over the window
#
# testpmd: EAL -l 0,1 --main-lcore 1, so its forwarding lcore is CPU 0, the
# same placement as the wire peer in bench.sh; vx-xskgen has CPU 1, where
# bench.sh puts the back-end. Frame sizes include the 4-byte FCS (testpmd
# "set txpkts size-4", vx-xskgen --size size-4).
#
# Standalone (sets up and removes its own namespaces and hugepages):
#   flock /tmp/vx-cpu.lock tests/bench/ceiling.sh [--time S] [--sizes "64 1518"] [--runs N]
# prints the median of N runs (default 3) per case; each run's lines go to stderr.
# Run to run, single figures vary by up to +-30% on this machine.
# Sourced after tests/lib/ns.sh and tests/lib/dpdk.sh, with vx_ns_setup and
# vx_huge_setup done and nothing else on vxa/vxb's queue 0:
#   vx_ceil_run [WINDOW [SIZES...]]
# Either way, one line per case on stdout: "x g2w_64 <Mpps, 3 decimals>";
# progress on stderr.

VX_XSKGEN=${VX_XSKGEN:-${VX_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}/vx-xskgen}
VX_CEIL_CPU=1

vx_ceil_log() { echo "ceiling: $*" >&2; }

vx_ceil_mpps() { awk -v p="${1:-0}" 'BEGIN { printf "%.3f", p / 1e6 }'; }

# testpmd computes Rx-pps itself between two "show port stats", from its own clock.
vx_ceil_rx_pps() { # vx_ceil_rx_pps NAME WINDOW
	vx_testpmd_query "$1" "show port stats 0" >/dev/null
	sleep "$2"
	vx_testpmd_query "$1" "show port stats 0" | sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' | tail -n 1
}

# nsenter, not ip netns exec: libxdp wants the host's bpffs (see docs/machine-notes.md).
vx_ceil_xskgen() { # vx_ceil_xskgen ARGS...
	taskset -c "$VX_CEIL_CPU" nsenter --net="/run/netns/$VX_HNS" "$VX_XSKGEN" "$@"
}

vx_ceil_peer_start() { # vx_ceil_peer_start HOST-MAC
	vx_testpmd_start cp "$VX_PNS" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "net_af_xdp1,iface=$VX_PEER" -- --nb-cores=1 --total-num-mbufs=16384 \
		--forward-mode=rxonly --eth-peer="0,$1"
}

vx_ceil_g2w() { # vx_ceil_g2w SIZE WINDOW PEER-MAC
	local size=$1 win=$2 pid pps out=$VX_TMP/xskgen-tx.out
	vx_testpmd_cmd cp "set fwd rxonly"
	vx_testpmd_cmd cp start
	# Runs past the window on both sides so that the sender never stops inside it.
	vx_ceil_xskgen tx --dev "$VX_NIC" --dst "$3" --size "$((size - 4))" \
		--time "$(awk -v w="$win" 'BEGIN { print w + 1.5 }')" >"$out" 2>&1 &
	pid=$!
	sleep 0.5
	pps=$(vx_ceil_rx_pps cp "$win")
	wait "$pid" || vx_ceil_log "g2w $size: vx-xskgen failed: $(tail -n 2 "$out")"
	vx_testpmd_cmd cp stop
	sleep 0.3
	vx_ceil_log "g2w $size B: testpmd Rx $(vx_ceil_mpps "$pps") Mpps; sender: $(grep '^xskgen' "$out")"
	echo "x g2w_$size $(vx_ceil_mpps "$pps")"
}

vx_ceil_w2g() { # vx_ceil_w2g SIZE WINDOW
	local size=$1 win=$2 line pps
	vx_testpmd_cmd cp "set txpkts $((size - 4))"
	vx_testpmd_cmd cp "set fwd txonly"
	vx_testpmd_cmd cp start
	sleep 0.3
	line=$(vx_ceil_xskgen rx --dev "$VX_NIC" --warmup 0.5 --time "$win" 2>"$VX_TMP/xskgen-rx.err")
	vx_testpmd_cmd cp stop
	sleep 0.3
	pps=$(awk '$1 == "xskgen" { for (i = 2; i < NF; i++) if ($i == "pps") print $(i + 1) }' <<<"$line")
	[ -n "$pps" ] || vx_ceil_log "w2g $size: vx-xskgen failed: $(grep -v '^lib' "$VX_TMP/xskgen-rx.err" | tail -n 2)"
	vx_ceil_log "w2g $size B: $line; $(grep 'socket stats' "$VX_TMP/xskgen-rx.err" | cut -d: -f2-)"
	echo "x w2g_$size $(vx_ceil_mpps "$pps")"
}

# vx_ceil_run [WINDOW [SIZES...]]: both directions for each size.
vx_ceil_run() {
	local win=${1:-2} amac bmac size
	shift
	[ $# -gt 0 ] || set -- 64 1518
	[ -x "$VX_XSKGEN" ] || { vx_ceil_log "$VX_XSKGEN not built (run make)"; return 1; }
	amac=$(vx_in_host cat "/sys/class/net/$VX_NIC/address")
	bmac=$(vx_in_peer cat "/sys/class/net/$VX_PEER/address")
	vx_ceil_peer_start "$amac" || { vx_ceil_log "peer testpmd did not start"; return 1; }
	for size in "$@"; do
		vx_testpmd_cmd cp "set txpkts $((size - 4))"
		vx_ceil_g2w "$size" "$win" "$bmac"
		vx_ceil_w2g "$size" "$win"
	done
	vx_testpmd_stop cp
	if vx_in_host ip link show "$VX_NIC" | grep -q ' xdp'; then
		vx_ceil_log "an XDP program is still attached to $VX_NIC"
		return 1
	fi
}

# Median of each case over the runs: vx_ceil_median < "x case value" lines.
vx_ceil_median() {
	sort -k2,2 -k3,3g | awk '{ v[$2] = v[$2] " " $3; n[$2]++; s[$2] = $1 }
		END { for (c in v) { split(substr(v[c], 2), a, " "); k = n[c]
			m = k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			printf "%s %s %.3f\n", s[c], c, m } }' | sort -k2,2V
}

vx_ceil_main() {
	local win=2 sizes="64 1518" runs=3 r r_rc raw
	while [ $# -gt 0 ]; do
		case $1 in
		--time) win=$2; shift ;;
		--sizes) sizes=$2; shift ;;
		--runs) runs=$2; shift ;;
		-h | --help) sed -n '3,27p' "$0"; exit 0 ;;
		*) echo "ceiling.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
		esac
		shift
	done
	[[ "$win" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "ceiling.sh: --time takes seconds" >&2; exit 2; }
	[[ "$sizes" =~ ^[0-9\ ]+$ ]] || { echo "ceiling.sh: --sizes takes frame sizes" >&2; exit 2; }
	[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "ceiling.sh: --runs takes a positive integer" >&2; exit 2; }
	. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
	. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"
	command -v "$VX_TESTPMD" >/dev/null || { echo "ceiling.sh: $VX_TESTPMD not found" >&2; exit 1; }
	raw=$(mktemp /tmp/vx-ceiling.XXXXXX)
	trap 'vx_testpmd_stop_all; vx_ns_teardown; vx_huge_teardown; rm -f "$raw" "$raw.run"' EXIT
	trap 'exit 130' INT TERM
	vx_huge_setup 512 || { echo "ceiling.sh: no hugepages" >&2; exit 1; }
	vx_ns_setup || { echo "ceiling.sh: namespace setup failed" >&2; exit 1; }
	vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	for ((r = 1; r <= runs; r++)); do
		vx_ceil_log "run $r/$runs"
		# shellcheck disable=SC2086 # a list of sizes
		vx_ceil_run "$win" $sizes >"$raw.run"
		r_rc=$?
		cat "$raw.run" >&2
		cat "$raw.run" >>"$raw"
		[ "$r_rc" = 0 ] || return 1
	done
	vx_ceil_median <"$raw"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	vx_ceil_main "$@"
fi

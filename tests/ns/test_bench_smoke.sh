#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-smoke: the benchmark (tests/bench/bench.sh --smoke, about 90 s) runs
# every system and every case once and produces a complete table. It checks
# that the benchmark works, not how fast anything is.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

command -v dpdk-testpmd >/dev/null || vx_skip_all "no dpdk-testpmd"
command -v valgrind >/dev/null || vx_skip_all "no valgrind"
out=$VX_TMP/smoke.md
trap 'rm -rf "$VX_TMP"' EXIT

start=$SECONDS
"$VX_ROOT/tests/bench/bench.sh" --smoke --out "$out" >"$VX_TMP/bench.log" 2>&1
rc=$?
vx_ok $rc "bench-smoke: bench.sh --smoke exits 0 (every figure present) in $((SECONDS - start)) s"
[ $rc -eq 0 ] || tail -n 30 "$VX_TMP/bench.log" | sed 's/^/#   /'
vx_check "bench-smoke: the table has a column for each of the six systems" \
	grep -q '| vhost-xdpd | vhost-xdpd dedicated | vhost-xdpd --poll | DPDK vhost + af_xdp | DPDK vhost + tap | bare AF_XDP (limit) |' "$out"
for row in 'guest->wire 64 B' 'wire->guest 64 B' 'PVP loop 64 B' 'instructions/packet, g2w 64 B' \
	'round trip p50' 'round trip p99' 'CPU at' 'CPU idle'; do
	vx_check "bench-smoke: row '$row'" grep -q "^| $row" "$out"
done
vx_check "bench-smoke: vhost-xdpd moved guest->wire frames (> 0 Mpps)" \
	awk -F'|' '/^\| guest->wire 64 B/ { exit !($3 + 0 > 0) }' "$out"
vx_check "bench-smoke: no namespace, XDP program or testpmd left behind" \
	bash -c "! ip netns list | grep -q 'vxh-\|vxp-' && ! pgrep -x dpdk-testpmd >/dev/null"
sed 's/^/# /' "$out"
vx_done

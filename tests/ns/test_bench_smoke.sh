#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-smoke: the benchmark (tests/bench/bench.sh --smoke, about 90 s) runs
# every system and every case once and produces a complete table. It checks
# that the benchmark works, not how fast anything is: among others that the
# one-process wire + guest harness (net_pcap -> net_af_xdp, virtio_user)
# moved frames wire->guest and around the PVP loop for every system.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

command -v dpdk-testpmd >/dev/null || vx_skip_all "no dpdk-testpmd"
command -v valgrind >/dev/null || vx_skip_all "no valgrind"
out=$VX_TMP/smoke.md
trap 'rm -rf "$VX_TMP"' EXIT

start=$SECONDS
# Our own id: the leftover checks below look for this run's namespaces and
# testpmd processes only (other tests may run on the machine meanwhile). The
# [-] keeps pgrep from matching the bash -c that runs it.
export VX_ID
"$VX_ROOT/tests/bench/bench.sh" --smoke --out "$out" >"$VX_TMP/bench.log" 2>&1
rc=$?
vx_ok $rc "bench-smoke: bench.sh --smoke exits 0 (every figure present) in $((SECONDS - start)) s"
[ $rc -eq 0 ] || tail -n 30 "$VX_TMP/bench.log" | sed 's/^/#   /'
vx_check "bench-smoke: the table has a column for each of the six systems" \
	grep -q '| vhost-xdpd | vhost-xdpd dedicated | vhost-xdpd --poll | DPDK vhost + af_xdp | DPDK vhost + tap | bare AF_XDP (limit) |' "$out"
for row in 'guest->wire 64 B' 'wire->guest 64 B' 'PVP 64 B' 'back-end CPU during w2g 64 B' \
	'instructions/packet, g2w 64 B' \
	'round trip p50' 'round trip p99' 'CPU at' 'CPU idle'; do
	vx_check "bench-smoke: row '$row'" grep -q "^| $row" "$out"
done
vx_check "bench-smoke: vhost-xdpd moved guest->wire frames (> 0 Mpps)" \
	awk -F'|' '/^\| guest->wire 64 B/ { exit !($3 + 0 > 0) }' "$out"
# Every system in wire->guest (columns 3-8: a d p b c x), every back-end in
# PVP (3-7: x has no PVP).
for c in 'wire->guest 64 B:8' 'PVP 64 B:7'; do
	vx_check "bench-smoke: every system moved frames in '${c%:*}' (> 0 Mpps)" \
		awk -F'|' -v c="${c%:*}" -v last="${c##*:}" 'index($0, "| " c " ") == 1 {
			for (i = 3; i <= last; i++) if (!($i + 0 > 0)) exit 1; f = 1 } END { exit !f }' "$out"
done
vx_check "bench-smoke: the header names the one-process wire + guest harness" \
	grep -q 'ONE testpmd' "$out"
vx_check "bench-smoke: no namespace, XDP program or testpmd of this run left behind" \
	bash -c "! ip netns list | grep -q 'vx[hp]-$VX_ID\b' && ! pgrep -f -- '[-]-file-prefix vx-$VX_ID-' >/dev/null"
sed 's/^/# /' "$out"
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tcp-bench-smoke: the TCP benchmark (tests/bench/tcp.sh --smoke: one run of
# 2 s iperf3 tests in QEMU guests, about 3 minutes) gives every system a
# non-zero figure in both directions, guest to guest at MTU 1500 and 9000
# too. It checks that the benchmark works, not how fast anything is.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

P="e2e-slow: tcp-bench-smoke:"
[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
for t in qemu-system-x86_64 iperf3 dpdk-testpmd; do
	command -v "$t" >/dev/null || vx_skip_all "no $t"
done
ls /boot/vmlinuz-6.1.*-amd64 >/dev/null 2>&1 || vx_skip_all "no /boot/vmlinuz-6.1.*-amd64"
[ -x "$VX_BUILD/vhost-xdpd" ] || vx_skip_all "no $VX_BUILD/vhost-xdpd (run make)"
out=$VX_TMP/tcp.md
trap 'rm -rf "$VX_TMP"' EXIT

start=$SECONDS
huge0=$(cat /proc/sys/vm/nr_hugepages)
VX_ID=tcps$$ "$VX_ROOT/tests/bench/tcp.sh" --smoke --out "$out" >"$VX_TMP/tcp.log" 2>&1
rc=$?
vx_ok $rc "$P tcp.sh --smoke exits 0 (every expected figure present) in $((SECONDS - start)) s"
[ $rc -eq 0 ] || grep -v '^- \|^  ' "$VX_TMP/tcp.log" | tail -n 40 | sed 's/^/#   /'

raw=${out%.md}.raw
# fig SYS CASE: the single figure of a smoke run
fig() { awk -v s="$1" -v c="$2" '$1 == s && $2 == c { print $3 }' "$raw" 2>/dev/null | tail -n 1; }
nonzero() { awk -v v="$1" 'BEGIN { exit !(v ~ /^[0-9.]+$/ && v + 0 > 0) }'; }

declare -A NAME=([l]="guest loopback" [a]="vhost-xdpd" [t]="QEMU tap + bridge"
	[b]="DPDK vhost + af_xdp" [c]="DPDK vhost + tap" [A]="vhost-xdpd guest to guest"
	[T]="QEMU taps + bridge guest to guest")
for s in l a t b c; do
	for k in g2p p2g; do
		v=$(fig "$s" "${k}_1500")
		nonzero "$v"
		vx_ok $? "$P ${NAME[$s]}, $k, MTU 1500: ${v:-no figure} Mbit/s"
	done
done
for m in 1500 9000; do
	for s in A T; do
		for k in fwd rev; do
			v=$(fig "$s" "vv_${k}_$m")
			nonzero "$v"
			vx_ok $? "$P ${NAME[$s]}, $k, MTU $m: ${v:-no figure} Mbit/s"
		done
	done
done
vx_check "$P the table has both sections" \
	grep -q '^## Guest <-> guest' "$out"
left=
ip netns list | grep -q "vx[hp]-tcps$$" && left+=" namespaces"
ps -eo args | grep -v grep | grep -q "/tmp/vx-tcp-tcps$$\." && left+=" processes"
ls -d /tmp/vx-tcp-tcps$$.* >/dev/null 2>&1 && left+=" /tmp/vx-tcp-tcps$$.*"
ls /dev/hugepages/vx-tcps$$-* >/dev/null 2>&1 && left+=" hugepage files"
if [ "$(cat /proc/sys/vm/nr_hugepages)" != "$huge0" ] && ! pgrep -x dpdk-testpmd >/dev/null; then
	left+=" nr_hugepages $(cat /proc/sys/vm/nr_hugepages) (was $huge0)"
fi
[ -z "$left" ]
vx_ok $? "$P nothing left behind (namespaces with their taps and bridges, QEMU, testpmd, hugepages)${left:+: left$left}"
sed 's/^/# /' "$out"
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# e2e-slow: a real VMM-side client on /dev/vhost-xdp in a real kernel. In a
# Debian 6.1 guest (QEMU/TCG) with vhost_xdp.ko loaded, vhost-xdpd serves a
# mode=kdev port on a veth pair; DPDK's virtio-user in vhost-kernel mode
# (testpmd icmpecho, path=/dev/vhost-xdp) answers pings from a peer
# namespace: packets both ways. vx-guest (our front-end, kernel vhost
# transport) sends malformed TX chains, then valid frames. Then the baseline: testpmd txonly through
# /dev/vhost-xdp and through Debian's vhost_net (/dev/vhost-net + tap) in the
# same guest and run; the ratio is reported (TCG: only indicative). Last, a
# second daemon is SIGKILLed under a running testpmd: no hang, nothing held.
# Guest side: tests/kmod/guest_dpdk.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap km_cleanup EXIT

if ! kmod_prepare with-daemon; then
	vx_ok 1 "module, vhost-xdpd and guest image build"
	vx_done
	exit 1
fi
vx_ok 0 "module, vhost-xdpd and guest image build"

t0=$(date +%s)
kmod_guest_run dpdk "$(dirname "$0")/guest_dpdk.sh" 400
vx_ok $? "e2e-slow: guest ran the DPDK test to the end ($(($(date +%s) - t0)) s)"
out=$KM_TMP/dpdk.out
field() { # <line-regex> <key>
	grep -E "$1" "$out" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
! grep -q KM-INSMOD-FAIL "$out"
vx_ok $? "e2e-slow: tun, tap, veth, vhost, vhost_net and vhost_xdp load"
grep -q 'k0: serves /dev/vhost-xdp device' "$out"
vx_ok $? "e2e-slow: vhost-xdpd took testpmd's /dev/vhost-xdp device"
recv=$(field '^KM-MARK ping rc' received)
[ "${recv:-0}" -ge 10 ]
vx_ok $? "e2e-slow: peer pings testpmd through /dev/vhost-xdp: ${recv:-0}/12 replies"
rx=$(grep -E '^# stats-at-ping: k0 rx_packets' "$out" | awk '{print $NF}')
tx=$(grep -E '^# stats-at-ping: k0 tx_packets' "$out" | awk '{print $NF}')
[ "${rx:-0}" -ge 10 ] && [ "${tx:-0}" -ge 10 ]
vx_ok $? "e2e-slow: vhost-xdpd counted both directions (to guest ${rx:-0}, from guest ${tx:-0})"
km_relay_tap "$out"
grep -q '^KM-MARK real rc=0' "$out"
vx_ok $? "e2e-slow: ioctl sequences against the real daemon"
grep -q '^KM-MARK vg-hostile rc=0' "$out"
vx_ok $? "e2e-slow: vx-guest (kernel vhost transport) hostile TX chains on /dev/vhost-xdp: $(grep -E '^# vg: hostile:' "$out" | sed 's/^# vg: //')"
frames=$(field '^KM-MARK vg-send' peer-frames)
grep -q '^KM-MARK vg-send rc=0' "$out" && [ "${frames:-0}" -ge 200 ]
vx_ok $? "e2e-slow: ... afterwards vx-guest sends 200 frames through /dev/vhost-xdp: ${frames:-0} arrive"
xdp=$(field '^KM-RATE name=vhost-xdp' pps)
net=$(field '^KM-RATE name=vhost-net' pps)
[ "${xdp:-0}" -gt 0 ]
vx_ok $? "e2e-slow: testpmd txonly through /dev/vhost-xdp: ${xdp:-0} frames/s arrive on the veth peer"
[ "${net:-0}" -gt 0 ]
vx_ok $? "e2e-slow: baseline, testpmd txonly through vhost_net: ${net:-0} frames/s arrive on the tap"
if [ "${xdp:-0}" -gt 0 ] && [ "${net:-0}" -gt 0 ]; then
	vx_diag "ratio /dev/vhost-xdp : vhost_net = $(awk -v a="$xdp" -v b="$net" 'BEGIN{printf "%.2f", a/b}') (64-byte frames, guest TX, TCG, same guest and run)"
fi
grep -q '^KM-MARK daemon-exit rc=0' "$out"
vx_ok $? "e2e-slow: vhost-xdpd exits cleanly on SIGTERM"
grep -q '^KM-MARK killed-daemon-bound' "$out"
vx_ok $? "e2e-slow: a second daemon serves a new testpmd"
secs=$(field '^KM-MARK killed-daemon' pmd-exit-secs)
[ -n "$secs" ] && [ "$secs" -le 20 ]
vx_ok $? "e2e-slow: daemon SIGKILLed under testpmd: testpmd still stops and exits (${secs:-?} s)"
grep -q '^KM-MARK live devices 0 events 0 files 0' "$out"
vx_ok $? "e2e-slow: ... and the module holds nothing: $(grep '^KM-MARK live' "$out")"
grep -q '^KM-MARK rmmod-ok' "$out"
vx_ok $? "e2e-slow: the module unloads after the run"
! grep -q '^KM-DMESG-BAD' "$out"
vx_ok $? "e2e-slow: dmesg has no oops, BUG or WARNING"
grep -E '^KM-(RATE|DMESG)|^# pmd-' "$out" | sed 's/^/# /'
[ -n "${VX_VERBOSE:-}" ] && sed 's/^/# console: /' "$out"
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# e2e-slow: QEMU's own vhost-kernel client on /dev/vhost-xdp. In the Debian
# 6.1 test guest (QEMU/TCG) with vhost_xdp.ko loaded, vhost-xdpd serves a
# mode=kdev port on a veth pair, and a second QEMU inside the guest runs a
# virtio-net-pci device on -netdev tap,vhost=on,vhostfd=3 with fd 3 open on
# /dev/vhost-xdp. That QEMU runs no guest code: tests/kmod/kmod_qtest.c
# plays the guest's driver through the qtest protocol (PCI set-up, modern
# virtio-pci registers, split rings in guest RAM). Setting DRIVER_OK makes
# QEMU's vhost-net code issue the real ioctls (SET_FEATURES, SET_MEM_TABLE,
# SET_VRING_*, NET_SET_BACKEND with its tap fd) on the module, which hands
# them to the daemon. Frames then pass both ways between the device's rings
# and a packet socket on the veth peer, counted and compared byte for byte,
# in three rounds with a device reset (vhost stop) between them: VERSION_1;
# then MRG_RXBUF and EVENT_IDX too; then what a Linux guest takes from
# QEMU's defaults, CSUM and HOST_TSO4, with a NEEDS_CSUM UDP frame and a
# GSO_TCPV4 frame that must reach the peer finished and cut into segments.
# Guest side: tests/kmod/guest_qemu.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap km_cleanup EXIT

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP no qemu-system-x86_64"
	exit 0
fi
if ! kmod_prepare with-daemon with-qemu; then
	vx_ok 1 "module, vhost-xdpd, kmod_qtest and guest image (with QEMU) build"
	vx_done
	exit 1
fi
vx_ok 0 "module, vhost-xdpd, kmod_qtest and guest image (with QEMU) build"
vx_diag "guest archive with QEMU: $(du -k "$KM_TMP/kmod.cpio.gz" | cut -f1) KiB"

t0=$(date +%s)
kmod_guest_run qemu "$(dirname "$0")/guest_qemu.sh" 400
vx_ok $? "e2e-slow: guest ran the QEMU test to the end ($(($(date +%s) - t0)) s)"
out=$KM_TMP/qemu.out
field() { # <line-regex> <key>
	grep -E "$1" "$out" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
! grep -q KM-INSMOD-FAIL "$out"
vx_ok $? "e2e-slow: tun, tap, veth, vhost, vhost_net and vhost_xdp load"
grep -q '^KM-VXD k0: serves /dev/vhost-xdp device' "$out"
vx_ok $? "e2e-slow: vhost-xdpd took QEMU's /dev/vhost-xdp device"
km_relay_tap "$out"
grep -q '^KM-MARK qtest rc=0' "$out"
vx_ok $? "e2e-slow: kmod_qtest passed every check ($(field '^KM-QT-DONE' secs) s in the guest)"
! grep -q '^KM-MARK qemu-vhost-fallback' "$out"
vx_ok $? "e2e-slow: QEMU never fell back to its own virtio-net (vhost start did not fail)"
# Three rounds of N frames each way; the daemon's port counters must show them.
n=$(grep -c '^KM-QT-TX' "$out")
sum() { # <key>: the sum of key= over the KM-QT-TX/RX lines
	grep -E '^KM-QT-(TX|RX)' "$out" | tr ' ' '\n' | sed -n "s/^$1=//p" | awk '{ s += $1 } END { print s + 0 }'
}
sent=$(sum sent)
intact=$(sum intact)
[ "$n" -eq 3 ] && [ "$sent" -gt 0 ] && [ "$intact" = "$sent" ]
vx_ok $? "e2e-slow: frames intact both ways over $n rounds: ${intact:-0} of ${sent:-0}"
rx=$(field '^KM-MARK stats' rx)
tx=$(field '^KM-MARK stats' tx)
half=$((${sent:-0} / 2))
[ "$half" -gt 0 ] && [ "${rx:-0}" -ge "$half" ] && [ "${tx:-0}" -ge "$half" ]
vx_ok $? "e2e-slow: vhost-xdpd counted at least those (to the device ${rx:-0}, from it ${tx:-0}, sent $half each way)"
grep -q '^KM-VXD k0: /dev/vhost-xdp device [0-9]* closed' "$out"
vx_ok $? "e2e-slow: the daemon saw the device closed when QEMU exited"
grep -q '^KM-MARK live devices 0 events 0 files 0' "$out"
vx_ok $? "e2e-slow: the module holds nothing afterwards: $(grep '^KM-MARK live' "$out")"
grep -q '^KM-MARK daemon-exit rc=0' "$out"
vx_ok $? "e2e-slow: vhost-xdpd exits cleanly on SIGTERM"
grep -q '^KM-MARK rmmod-ok' "$out"
vx_ok $? "e2e-slow: the module unloads after the run"
! grep -q '^KM-DMESG-BAD' "$out"
vx_ok $? "e2e-slow: dmesg has no oops, BUG or WARNING"
grep -E '^KM-DMESG-BAD|^# (qemu|stats|vxd-warn):' "$out" | sed 's/^/# /'
if [ -n "${VX_VERBOSE:-}" ] || grep -q '^not ok' <(km_relay_tap "$out"); then
	sed 's/^/# console: /' "$out" | tail -n 80
fi
vx_done

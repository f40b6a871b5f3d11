#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# e2e-slow: vhost_xdp.ko in a real kernel (Debian 6.1 under QEMU/TCG) against
# hostile ioctl sequences (tests/kmod/kmod_hostile.c): wrong order, bad
# sizes, huge counts, wrong fd types, close and daemon death mid-request.
# Then: no oops/warning in dmesg, no live object in the module, rmmod works.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap km_cleanup EXIT

if ! kmod_prepare; then
	vx_ok 1 "module (-Werror, 6.1 headers), hostile test and guest image build"
	vx_done
	exit 1
fi
vx_ok 0 "module (-Werror, 6.1 headers), hostile test and guest image build"
cat >"$KM_TMP/guest.sh" <<'GUEST'
for m in tun tap vhost_xdp; do insmod /lib/modules/$m.ko || echo "KM-INSMOD-FAIL $m"; done
mount -t debugfs none /sys/kernel/debug
ls -l /dev/vhost-xdp /dev/vhost-xdp-ctl
echo KM-TAP-BEGIN
/bin/kmod_hostile
echo "KM-HOSTILE-RC $?"
echo KM-TAP-END
echo "KM-LIVE $(tr '\n' ' ' </sys/kernel/debug/vhost_xdp/live)"
dmesg | grep -q 'is private or anonymous.*memory-backend-memfd,share=on' && echo KM-REFUSAL-LOGGED
rmmod vhost_xdp && echo KM-RMMOD-OK
dmesg | grep -E 'WARNING|BUG|Oops|leak|refcount|general protection|RIP:' | sed 's/^/KM-DMESG-BAD /'
dmesg | grep vhost-xdp | tail -n 20 | sed 's/^/# dmesg: /'
GUEST

t0=$(date +%s)
kmod_guest_run hostile "$KM_TMP/guest.sh" 240
rc=$?
out=$KM_TMP/hostile.out
vx_ok $rc "e2e-slow: guest booted, loaded vhost_xdp.ko and finished ($(( $(date +%s) - t0 )) s)"
grep -q KM-INSMOD-FAIL "$out"
vx_ok $((!$?)) "e2e-slow: tun, tap and vhost_xdp load"
km_relay_tap "$out"
grep -q '^KM-HOSTILE-RC 0' "$out"
vx_ok $? "e2e-slow: every hostile case passed"
grep -q '^KM-REFUSAL-LOGGED' "$out"
vx_ok $? "e2e-slow: refused private memory is logged with what to change in the VMM"
grep -q '^KM-LIVE devices 0 events 0 files 0' "$out"
vx_ok $? "e2e-slow: no live object left: $(grep '^KM-LIVE' "$out")"
grep -q '^KM-RMMOD-OK' "$out"
vx_ok $? "e2e-slow: the module unloads"
grep -q '^KM-DMESG-BAD' "$out"
vx_ok $((!$?)) "e2e-slow: dmesg has no oops, BUG or WARNING"
grep '^KM-DMESG-BAD' "$out" | sed 's/^/# /'
if [ $rc -ne 0 ] || grep -q '^not ok' <(km_relay_tap "$out"); then
	tail -n 40 "$out" | sed 's/^/# console: /'
fi
vx_done

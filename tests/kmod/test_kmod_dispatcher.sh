#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# e2e-slow: vhost-xdpd beside another XDP program through libxdp's
# dispatcher. The build host refuses freplace programs (no dispatcher there),
# so this runs in the Debian 6.1 guest (QEMU/TCG) of the kmod tests: on a
# veth pair, xdp-loader attaches xdp_count (tests/kmod/xdp_count.bpf.c,
# counts and passes) first; vhost-xdpd then joins the dispatcher with a
# vhost-user port (vx-guest). Guest traffic flows both ways, host pings pass
# and xdp_count still counts them; SIGTERM, and SIGKILL + --cleanup, take
# only vx_steer away; xdp-loader unload --all leaves nothing.
# Guest side: tests/kmod/guest_dispatcher.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap km_cleanup EXIT

COUNT_OBJ=$KM_BUILD/kmod/xdp_count.bpf.o
if ! command -v xdp-loader >/dev/null || ! command -v bpftool >/dev/null; then
	echo "1..0 # SKIP no xdp-loader or bpftool (tools/install-deps.sh)"
	exit 0
fi
# The guest archive gets these besides the daemon (tools/mk-kmod-guest.sh).
VX_KMOD_EXTRA="$(command -v xdp-loader)=/usr/sbin/xdp-loader
	$(command -v bpftool)=/usr/sbin/bpftool $KM_BUILD/vx-pkt=/usr/sbin/vx-pkt
	$COUNT_OBJ=/lib/bpf/xdp_count.bpf.o"
export VX_KMOD_EXTRA
if ! make -s -C "$KM_ROOT" BUILD="$KM_BUILD" "$KM_BUILD/vx-pkt" "$COUNT_OBJ" >&2 ||
	! kmod_prepare with-daemon; then
	vx_ok 1 "vhost-xdpd, xdp_count.bpf.o and guest image build"
	vx_done
	exit 1
fi
vx_ok 0 "vhost-xdpd, xdp_count.bpf.o and guest image build"

t0=$(date +%s)
kmod_guest_run dispatcher "$(dirname "$0")/guest_dispatcher.sh" "${KM_TIMEOUT:-300}"
rc=$?
out=$KM_TMP/dispatcher.out
[ $rc -eq 0 ] && grep -q '^KM-MARK done' "$out"
vx_ok $? "e2e-slow: guest ran the dispatcher test to the end ($(($(date +%s) - t0)) s)"
! grep -q KM-INSMOD-FAIL "$out"
vx_ok $? "e2e-slow: veth loads"
km_relay_tap "$out"
# The guest prints 26 checks; fewer means it stopped early.
n=$(sed -n '/^KM-TAP-BEGIN/,/^KM-TAP-END/p' "$out" | grep -cE '^(not )?ok ')
[ "$n" -eq 26 ]
vx_ok $? "e2e-slow: all 26 guest checks ran ($n)"
! grep -q '^KM-DMESG-BAD' "$out"
vx_ok $? "e2e-slow: dmesg has no oops, BUG or WARNING"
grep '^KM-DMESG-BAD' "$out" | sed 's/^/# /'
[ -n "${VX_VERBOSE:-}" ] && sed 's/^/# console: /' "$out"
vx_done

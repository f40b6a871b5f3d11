#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The dirty log during live migration, checked without QEMU: vx-guest
# (tools/vx-guest/dirtylog.c) turns logging on as QEMU does, snapshots its
# guest memory, receives frames from the peer namespace and sends frames to
# it, stops the rings with GET_VRING_BASE, and checks that every byte the
# daemon changed lies in a page marked in the log, and that nothing changes
# after GET_VRING_BASE was answered. Cases: mergeable buffers, a frame over
# several merged buffers, no MRG_RXBUF (one chain per frame), no EVENT_IDX.
#
#   VX_KEEP_TMP=1   keep $VX_TMP (logs) after the run
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

GUEST=$VX_BUILD/vx-guest
PKT=$VX_BUILD/vx-pkt
MAC0=52:54:00:00:00:30
SOCK0=$VX_TMP/vm0.sock
N=300 # frames each way per case

GUEST_PID=
cleanup() {
	[ -n "$GUEST_PID" ] && kill "$GUEST_PID" 2>/dev/null
	vx_daemon_stop	# before `wait`: the daemon is one of this shell's children
	wait 2>/dev/null
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
}
trap cleanup EXIT
[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
[ -x "$GUEST" ] && [ -x "$PKT" ] && [ -x "$VX_BUILD/vhost-xdpd" ] ||
	vx_skip_all "build/vx-guest, vx-pkt or vhost-xdpd missing (run make)"

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1

# shellcheck disable=SC2086
vx_daemon_start --port "name=vm0,socket=$SOCK0,mac=$MAC0" ${VX_DAEMON_ARGS:-}
vx_wait_path "$SOCK0" 10
vx_ok $? "daemon up with port vm0"

# run_case <name> <frame size> <vx-guest options...>
run_case() {
	local name=$1 size=$2 out=$VX_TMP/dl-$1.out
	shift 2
	# The peer listens first: vx-guest sends as soon as logging is on.
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$MAC0" --count "$N" --timeout 25 \
		>"$VX_TMP/dl-$name.peer" 2>&1 &
	local recv_pid=$!
	sleep 0.3
	"$GUEST" dirtylog --socket "$SOCK0" --mac "$MAC0" --dst "$BMAC" --count "$N" \
		--rx-count "$N" --size "$size" --timeout 20 "$@" >"$out" 2>&1 &
	GUEST_PID=$!
	if ! vx_wait_line "$out" "logging on" 10; then
		vx_ok 1 "$name: logging on"
		sed 's/^/#   /' "$out"
		kill "$GUEST_PID" "$recv_pid" 2>/dev/null
		wait "$GUEST_PID" "$recv_pid" 2>/dev/null
		GUEST_PID=
		return
	fi
	vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$MAC0" --count "$N" --size "$size" \
		--rate 2000 >/dev/null
	wait "$GUEST_PID"
	local rc=$?
	GUEST_PID=
	wait "$recv_pid"
	local prc=$?
	local line
	line=$(grep '^dirtylog rx' "$out")
	vx_ok $rc "$name: every byte the daemon wrote is in a logged page (${line#dirtylog })"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$out" | head -20
	vx_ok $prc "$name: the peer got vm0's frames ($(tail -n1 "$VX_TMP/dl-$name.peer"))"
}

run_case mrg 1000
run_case mrg-merged 1400 --rx-buf 512
run_case no-mrg 1000 --no-mrg
run_case no-event-idx 600 --no-event-idx --rx-buf 256

kill -0 "$VX_DAEMON_PID" 2>/dev/null
vx_ok $? "daemon still running"
vx_done

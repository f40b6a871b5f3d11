#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The daemon leaves nothing behind: (a) after SIGTERM, by itself; (b) after
# SIGKILL, once `vhost-xdpd --cleanup --nic IF` has run. "Nothing" means no
# XDP program on the NIC (ip link, xdp-loader), the program it attached no
# longer loaded at all, no new entries under /sys/fs/bpf, no socket file
# (case a) and no process left in the namespace. (c) repeats (b) with the
# root mount namespace, where /sys/fs/bpf is the real one.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

VXD=$VX_BUILD/vhost-xdpd
SOCK=$VX_TMP/vm0.sock
GMAC=52:54:00:00:00:10

[ -x "$VXD" ] || vx_skip_all "no $VXD (run make)"
command -v xdp-loader >/dev/null || vx_skip_all "no xdp-loader"
trap vx_ns_teardown EXIT

xdp_prog_id() { # the id of the XDP program on the NIC, empty if none
	vx_in_host ip -d link show dev "$VX_NIC" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

wait_xdp() { # wait_xdp <seconds>: until a program is attached
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ -n "$(xdp_prog_id)" ] && return 0
		sleep 0.1
	done
	return 1
}

prog_gone() { # prog_gone <id>: freeing is deferred (RCU), so allow 3 s
	local i
	for ((i = 0; i < 30; i++)); do
		bpftool prog show id "$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}

bpffs_list() {
	find /sys/fs/bpf -mindepth 1 2>/dev/null | sort
}

# `ip netns exec` gives the daemon a private mount namespace in which
# /sys/fs/bpf is not mounted (the daemon mounts a fresh, private bpffs), so
# pins made there are invisible to the listing below. This variant keeps the
# root mount namespace, and with it the real /sys/fs/bpf.
daemon_start_rootfs() {
	nsenter --net="/run/netns/$VX_HNS" "$VXD" --nic "$VX_NIC" --socket-dir "$VX_TMP" "$@" 2>>"$VX_TMP/daemon.log" &
	VX_DAEMON_PID=$!
}

daemon_up() { # daemon_up <case> [start-function]: start, wait for socket and program
	${2:-vx_daemon_start} --port "name=vm0,socket=$SOCK,mac=$GMAC"
	vx_wait_path "$SOCK" 10
	vx_ok $? "$1: daemon created $SOCK"
	wait_xdp 10
	vx_ok $? "$1: daemon attached an XDP program to $VX_NIC"
	PROG_ID=$(xdp_prog_id)
	vx_diag "$1: XDP program id ${PROG_ID:-none}"
}

# Everything but the socket file, which only a clean exit removes.
check_clean() { # check_clean <case>
	local out
	vx_check "$1: no XDP program on $VX_NIC (ip link)" [ -z "$(xdp_prog_id)" ]
	out=$(vx_in_host xdp-loader status "$VX_NIC" 2>&1)
	echo "$out" | grep -q 'No XDP program loaded'
	vx_ok $? "$1: xdp-loader status shows no program on $VX_NIC"
	if [ -n "${PROG_ID:-}" ]; then
		vx_check "$1: program $PROG_ID is no longer loaded (nothing holds it)" \
			prog_gone "$PROG_ID"
	fi
	bpffs_list >"$VX_TMP/bpffs.after"
	diff -u "$VX_TMP/bpffs.before" "$VX_TMP/bpffs.after" | sed -n 's/^+\//# new: \//p'
	cmp -s "$VX_TMP/bpffs.before" "$VX_TMP/bpffs.after"
	vx_ok $? "$1: /sys/fs/bpf holds the same entries as before"
	vx_check "$1: no process left in $VX_HNS" [ -z "$(ip netns pids "$VX_HNS")" ]
}

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
bpffs_list >"$VX_TMP/bpffs.before"

# --- (a) SIGTERM: the daemon cleans up by itself ---
daemon_up "SIGTERM"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: daemon exited with status 0"
check_clean "SIGTERM"
vx_check "SIGTERM: socket file removed" [ ! -e "$SOCK" ]

# --- (b) SIGKILL: the documented clean-up command does it ---
daemon_up "SIGKILL"
pid=$VX_DAEMON_PID
kill -KILL "$pid"
wait "$pid" 2>/dev/null
VX_DAEMON_PID=
[ -n "$(xdp_prog_id)" ] && vx_diag "SIGKILL: program ${PROG_ID:-?} still attached, as expected"
vx_in_host "$VXD" --cleanup --nic "$VX_NIC" >"$VX_TMP/cleanup.log" 2>&1
rc=$?
sed 's/^/#   cleanup: /' "$VX_TMP/cleanup.log"
vx_ok $rc "SIGKILL: vhost-xdpd --cleanup --nic $VX_NIC succeeded"
check_clean "SIGKILL + --cleanup"
rm -f "$SOCK"

vx_in_host "$VXD" --cleanup --nic "$VX_NIC" >/dev/null 2>&1
vx_ok $? "--cleanup with nothing to clean succeeds too"

# --- (c) SIGKILL again, with the real /sys/fs/bpf visible to daemon and clean-up ---
daemon_up "SIGKILL (root mount ns)" daemon_start_rootfs
kill -KILL "$VX_DAEMON_PID"
wait "$VX_DAEMON_PID" 2>/dev/null
VX_DAEMON_PID=
nsenter --net="/run/netns/$VX_HNS" "$VXD" --cleanup --nic "$VX_NIC" >"$VX_TMP/cleanup.log" 2>&1
vx_ok $? "SIGKILL (root mount ns): --cleanup succeeded"
check_clean "SIGKILL (root mount ns) + --cleanup"
rm -f "$SOCK"

# The NIC is usable again: a new daemon attaches and exits cleanly.
daemon_up "restart after clean-up"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "restart after clean-up: daemon exited with status 0"
check_clean "restart after clean-up"

if [ -s "$VX_TMP/daemon.log" ]; then
	vx_diag "daemon log (last 15 lines):"
	tail -n 15 "$VX_TMP/daemon.log" | sed 's/^/#   /'
fi
vx_done

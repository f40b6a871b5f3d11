# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for namespace tests. Source it; it defines the test
# topology, the TAP emitter (tests/lib/tap.sh) and the daemon's counters. Everything it creates carries the run's
# suffix and is removed by vx_ns_teardown (called from an EXIT trap).
#
#   netns vxh-$VX_ID ("host")           netns vxp-$VX_ID ("peer")
#     vxa (the "NIC", 10.77.0.1/24) <--veth--> vxb (10.77.0.100/24)
#     vhost-xdpd runs here; guests get 10.77.0.2, 10.77.0.3, ...

VX_ROOT=${VX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VX_BUILD=${VX_BUILD:-$VX_ROOT/build}
VX_ID=${VX_ID:-$$}
VX_HNS=vxh-$VX_ID
VX_PNS=vxp-$VX_ID
VX_NIC=vxa
VX_PEER=vxb
VX_HOST_IP=10.77.0.1
VX_PEER_IP=10.77.0.100
VX_TMP=${VX_TMP:-$(mktemp -d /tmp/vx-test.XXXXXX)}

# TAP: vx_ok, vx_check, vx_skip, vx_todo, vx_diag, vx_done, vx_skip_all (tests/lib/tap.sh).
. "$VX_ROOT/tests/lib/tap.sh"

vx_in_host() { ip netns exec "$VX_HNS" "$@"; }
vx_in_peer() { ip netns exec "$VX_PNS" "$@"; }

vx_bpffs() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# Builds the two namespaces and the veth "NIC". Checksum offload is off on
# both ends (see docs/machine-notes.md and shared machine.md: CHECKSUM_PARTIAL frames otherwise).
vx_ns_setup() {
	vx_bpffs
	ip netns add "$VX_HNS" || return 1
	ip netns add "$VX_PNS" || return 1
	# VX_NIC_QUEUES: queues on each end (default 1, like a one-queue NIC).
	local nq=${VX_NIC_QUEUES:-1}
	ip -n "$VX_HNS" link add "$VX_NIC" numtxqueues "$nq" numrxqueues "$nq" type veth \
		peer name "$VX_PEER" netns "$VX_PNS" numtxqueues "$nq" numrxqueues "$nq" || return 1
	vx_in_host ip link set lo up
	vx_in_peer ip link set lo up
	vx_in_host ethtool -K "$VX_NIC" tx off rxvlan off txvlan off >/dev/null 2>&1
	vx_in_peer ethtool -K "$VX_PEER" tx off rxvlan off txvlan off >/dev/null 2>&1
	vx_in_host ip addr add "$VX_HOST_IP/24" dev "$VX_NIC"
	vx_in_peer ip addr add "$VX_PEER_IP/24" dev "$VX_PEER"
	vx_in_host ip link set "$VX_NIC" up
	vx_in_peer ip link set "$VX_PEER" up
}

# Starts vhost-xdpd in the host namespace: vx_daemon_start <args...>
# Sets VX_DAEMON_PID; stderr goes to $VX_TMP/daemon.log. VX_DAEMON_CPUS
# (a taskset CPU list) pins every thread of it. nsenter rather than
# `ip netns exec`, which would give the daemon a private /sys without the
# host's bpffs, hiding anything libxdp pins from checks and --cleanup.
vx_daemon_start() {
	${VX_DAEMON_CPUS:+taskset -c "$VX_DAEMON_CPUS"} nsenter --net="/run/netns/$VX_HNS" "$VX_BUILD/vhost-xdpd" --nic "$VX_NIC" --socket-dir "$VX_TMP" \
		--stats-file "$VX_TMP/stats" "$@" 2>>"$VX_TMP/daemon.log" &
	VX_DAEMON_PID=$!
}

# A Linux bridge in the host namespace over existing interfaces, all up:
# vx_bridge <bridge> <if...>. vx_ns_teardown removes it with the namespace.
vx_bridge() {
	local br=$1 i
	shift
	vx_in_host ip link add "$br" type bridge || return 1
	for i in "$@"; do
		vx_in_host ip link set "$i" master "$br" || return 1
		vx_in_host ip link set "$i" up || return 1
	done
	vx_in_host ip link set "$br" up
}

# Waits until a line matching the regex shows up in a file: vx_wait_line <file> <regex> <seconds>
vx_wait_line() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -aEq "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Waits until a path exists: vx_wait_path <path> <seconds>
vx_wait_path() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# The daemon's counters (its --stats-file, rewritten every second):
#   vx_stat <object> <counter>              the value now (0 if absent)
#   vx_stat_settled <object> <counter> <want> [tenths]  waits (3 s) until it is want
#   vx_stat_mark "<object> <counter>"...    remembers values; vx_stat_delta gives the increase
#   vx_stat_delta <object> <counter>        increase since vx_stat_mark
vx_stat() {
	awk -v o="$1" -v c="$2" '$1 == o && $2 == c { v = $3 } END { print v + 0 }' "$VX_TMP/stats"
}

vx_stat_settled() {
	local i
	for ((i = 0; i < ${4:-30}; i++)); do
		[ "$(vx_stat "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	vx_diag "$1 $2 = $(vx_stat "$1" "$2"), want $3"
	return 1
}

declare -gA _vx_stat_base
vx_stat_mark() {
	local k
	for k in "$@"; do
		_vx_stat_base[$k]=$(vx_stat "${k% *}" "${k#* }")
	done
}

vx_stat_delta() {
	echo $(($(vx_stat "$1" "$2") - ${_vx_stat_base[$1 $2]:-0}))
}

# Waits until the daemon's log has <min count> (default 1) lines matching the
# regex: vx_log_wait <regex> <seconds> [min count]
vx_log_wait() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(grep -Ec "$1" "$VX_TMP/daemon.log")" -ge "${3:-1}" ] && return 0
		sleep 0.1
	done
	return 1
}

# Waits (6 s at most) for the stats file to be rewritten: its counters are then current.
vx_stats_fresh() {
	local t i
	t=$(stat -c %Y.%y "$VX_TMP/stats" 2>/dev/null)
	for ((i = 0; i < 30; i++)); do
		sleep 0.2
		[ "$(stat -c %Y.%y "$VX_TMP/stats" 2>/dev/null)" != "$t" ] && return 0
	done
	return 1
}

# Frames both ways through the port of a MAC whose guest echoes (vx-guest
# echo): the peer sends N (vx-pkt), all N must come back from that MAC.
# vx_echo <mac> <N> [tries]: a retry helps right after a re-attach, when the
# veth may still be coming up. Prints the receiver's summary as a diagnostic
# (on success too, unless VX_ECHO_QUIET is set).
vx_echo() {
	local try rp
	for ((try = 1; try <= ${3:-1}; try++)); do
		vx_in_peer "$VX_BUILD/vx-pkt" recv --dev "$VX_PEER" --src "$1" --count "$2" \
			--timeout 6 >"$VX_TMP/recv.out" 2>&1 &
		rp=$!
		sleep 0.3
		vx_in_peer "$VX_BUILD/vx-pkt" send --dev "$VX_PEER" --dst "$1" --count "$2" \
			--rate 5000 >/dev/null
		if wait $rp; then
			[ -n "${VX_ECHO_QUIET:-}" ] || vx_diag "  $1: $(cat "$VX_TMP/recv.out")"
			return 0
		fi
		vx_diag "  $1 try $try: $(cat "$VX_TMP/recv.out")"
		[ "$try" -lt "${3:-1}" ] && sleep 1
	done
	return 1
}

vx_daemon_stop() {
	[ -n "${VX_DAEMON_PID:-}" ] || return 0
	kill -TERM "$VX_DAEMON_PID" 2>/dev/null
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$VX_DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$VX_DAEMON_PID" 2>/dev/null
	wait "$VX_DAEMON_PID" 2>/dev/null
	VX_DAEMON_RC=$?
	VX_DAEMON_PID=
	return 0
}

vx_ns_teardown() {
	vx_daemon_stop
	ip netns pids "$VX_HNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$VX_PNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$VX_HNS" 2>/dev/null
	ip netns del "$VX_PNS" 2>/dev/null
	[ -n "${VX_KEEP_TMP:-}" ] || rm -rf "$VX_TMP"
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The NIC under a running daemon with two echoing guests (vx-guest echo on
# vm0 and vm1; the peer's vx-pkt sends to them and checks what comes back):
#
#   link down and up (the NIC itself, then the peer), an MTU change and back,
#   the NIC deleted and created again with the same name (a new ifindex: the
#   daemon attaches to it again, README "Faults"), and created again with
#   two queues instead of one.
#
# After each fault frames pass both ways again without a daemon restart, the
# ports keep their front-ends (no reconnect), and at the end the daemon's fd
# count, memory maps and UMEM frames held are where they were, and the NIC
# carries exactly one XDP program. VX_KEEP_TMP=1 keeps the logs.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

GUEST=$VX_BUILD/vx-guest
PKT=$VX_BUILD/vx-pkt
MAC0=52:54:00:00:00:30
MAC1=52:54:00:00:00:31
SOCK0=$VX_TMP/vm0.sock
SOCK1=$VX_TMP/vm1.sock
N=300

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	vx_daemon_stop	# before `wait`: a running daemon is one of this shell's children
	wait 2>/dev/null
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
}
trap cleanup EXIT
[ -x "$GUEST" ] && [ -x "$PKT" ] && [ -x "$VX_BUILD/vhost-xdpd" ] ||
	vx_skip_all "build/vx-guest, vx-pkt or vhost-xdpd missing (run make)"
[ "$(id -u)" = 0 ] || vx_skip_all "needs root"
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }

fds() { ls "/proc/$VX_DAEMON_PID/fd" 2>/dev/null | wc -l; }
# What the fds are, by kind (anon_inode:bpf-map, socket:, ...), for a leak's diagnosis.
fd_kinds() {
	local f
	for f in /proc/"$VX_DAEMON_PID"/fd/*; do readlink "$f"; done 2>/dev/null |
		sed 's/\[[0-9]*\]//' | sort | uniq -c
}
memfds() { grep -c 'memfd:' "/proc/$VX_DAEMON_PID/maps" 2>/dev/null; }
maps() { wc -l <"/proc/$VX_DAEMON_PID/maps"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$VX_DAEMON_PID/status"; }
held() { vx_stat nic umem_held; }
xdp_progs() { vx_in_host ip -d link show "$VX_NIC" 2>/dev/null | grep -o 'prog/xdp id [0-9]*' | wc -l; }
wait_log() { vx_log_wait "$@"; }
stats_fresh() { vx_stats_fresh; }
echo_ok() { vx_echo "$1" "$N" 2; }
both_ports() { echo_ok "$MAC0" && echo_ok "$MAC1"; }

# The peer end after the pair was created again: the same set-up as vx_ns_setup.
pair_create() { # pair_create <queues>
	vx_in_host ip link add "$VX_NIC" numtxqueues "$1" numrxqueues "$1" type veth \
		peer name "$VX_PEER" netns "$VX_PNS" numtxqueues "$1" numrxqueues "$1" || return 1
	vx_in_host ethtool -K "$VX_NIC" tx off rxvlan off txvlan off >/dev/null 2>&1
	vx_in_peer ethtool -K "$VX_PEER" tx off rxvlan off txvlan off >/dev/null 2>&1
	vx_in_host ip addr add "$VX_HOST_IP/24" dev "$VX_NIC"
	vx_in_peer ip addr add "$VX_PEER_IP/24" dev "$VX_PEER"
	vx_in_host ip link set "$VX_NIC" up
	vx_in_peer ip link set "$VX_PEER" up
}

vx_daemon_start --port "name=vm0,socket=$SOCK0,mac=$MAC0" \
	--port "name=vm1,socket=$SOCK1,mac=$MAC1" ${VX_DAEMON_ARGS:-}
vx_wait_path "$SOCK0" 15 && vx_wait_path "$SOCK1" 15
vx_ok $? "daemon up with two ports"
"$GUEST" echo --socket "$SOCK0" --mac "$MAC0" >"$VX_TMP/vm0.out" 2>&1 &
PIDS+=($!)
"$GUEST" echo --socket "$SOCK1" --mac "$MAC1" >"$VX_TMP/vm1.out" 2>&1 &
PIDS+=($!)
sleep 1
vx_check "before any fault: frames both ways through vm0 and vm1" both_ports
stats_fresh
fd_kinds >"$VX_TMP/fds.start"
F0=$(fds) M0=$(memfds) P0=$(maps) H0=$(held) R0=$(rss_kb) X0=$(xdp_progs)
vx_diag "start: fds $F0, memfd maps $M0, maps $P0, umem_held $H0, RSS $R0 kB, XDP programs $X0"
vx_ok $((X0 != 1)) "one XDP program on $VX_NIC"

# 1. The NIC's own link down and up.
vx_in_host ip link set "$VX_NIC" down
sleep 1
vx_check "NIC down: the daemon says so" wait_log "$VX_NIC: link down" 5
vx_in_host ip link set "$VX_NIC" up
vx_check "NIC up again: frames both ways" both_ports

# 2. The peer goes away and comes back (carrier loss).
vx_in_peer ip link set "$VX_PEER" down
sleep 1
vx_in_peer ip link set "$VX_PEER" up
vx_check "peer down and up: frames both ways" both_ports

# 3. MTU down and back.
vx_in_host ip link set "$VX_NIC" mtu 1400
vx_check "MTU 1400 is picked up" wait_log "MTU changed to 1400" 5
vx_check "MTU 1400: frames both ways" both_ports
vx_in_host ip link set "$VX_NIC" mtu 1500
vx_check "MTU 1500 is picked up" wait_log "MTU changed to 1500" 5
vx_check "MTU 1500: frames both ways" both_ports

# 4. The NIC deleted and created again with the same name (a new ifindex).
for round in 1 2; do
	old=$(vx_in_host cat "/sys/class/net/$VX_NIC/ifindex")
	vx_in_host ip link del "$VX_NIC"
	vx_check "round $round: NIC deleted: the daemon lets it go" \
		wait_log "$VX_NIC: NIC has disappeared" 5 "$round"
	kill -0 "$VX_DAEMON_PID" 2>/dev/null
	vx_ok $? "round $round: daemon still running without its NIC"
	sleep 1
	pair_create 1
	new=$(vx_in_host cat "/sys/class/net/$VX_NIC/ifindex")
	vx_check "round $round: NIC created again (ifindex $old -> $new): attached again" \
		wait_log "$VX_NIC: attached again" 10 "$round"
	vx_check "round $round: frames both ways on the new NIC" both_ports
	vx_ok $(($(xdp_progs) != 1)) "round $round: exactly one XDP program on the new NIC"
done

# 5. Created again with two queues instead of one.
vx_in_host ip link del "$VX_NIC"
wait_log "$VX_NIC: NIC has disappeared" 5 3
pair_create 2
vx_check "two queues now: attached again" wait_log "$VX_NIC: attached again \(.*2 queues" 10
vx_check "two queues: frames both ways" both_ports
vx_in_host ip link del "$VX_NIC"
wait_log "$VX_NIC: NIC has disappeared" 5 4
pair_create 1
vx_check "back to one queue: attached again" wait_log "$VX_NIC: attached again \(.*1 queue," 10
vx_check "one queue: frames both ways" both_ports

# The front-ends never noticed: still the first connection, still echoing.
for i in 0 1; do
	kill -0 "${PIDS[$i]}" 2>/dev/null
	vx_ok $? "vm$i's vx-guest kept its connection through every fault"
done
nconn=$(grep -c 'front-end connected' "$VX_TMP/daemon.log")
vx_ok $((nconn != 2)) "the ports kept their front-ends: $nconn connections in the log"
stats_fresh
sleep 1
F1=$(fds) M1=$(memfds) P1=$(maps) H1=$(held) R1=$(rss_kb) X1=$(xdp_progs)
vx_diag "end: fds $F1, memfd maps $M1, maps $P1, umem_held $H1, RSS $R1 kB, XDP programs $X1"
vx_diag "reattached $(vx_stat nic reattached), attached $(vx_stat nic attached)"
fd_kinds >"$VX_TMP/fds.end"
[ "$F1" = "$F0" ] || vx_diag "fds by kind, start -> end: $(diff "$VX_TMP/fds.start" "$VX_TMP/fds.end" | grep '^[<>]' | tr '\n' ' ')"
vx_ok $((F1 != F0)) "fd count back where it was ($F0 -> $F1)"
vx_ok $((M1 != M0)) "guest memory maps unchanged ($M0 -> $M1)"
vx_ok $((P1 > P0 + 4)) "memory maps flat, within 4 ($P0 -> $P1)"
vx_ok $((H1 > H0 + 64)) "UMEM frames held flat, within a batch ($H0 -> $H1)"
vx_ok $((R1 > R0 + 8192)) "RSS within 8 MiB of the start ($R0 -> $R1 kB)"
vx_ok $((X1 != 1)) "exactly one XDP program at the end"
vx_ok $(($(vx_stat nic reattached) != 4)) "the daemon counted 4 re-attaches (one per new NIC)"
kill -0 "$VX_DAEMON_PID" 2>/dev/null
vx_ok $? "daemon still running"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: clean exit (rc=$VX_DAEMON_RC)"
vx_ok $(($(xdp_progs) != 0)) "no XDP program left on $VX_NIC"
vx_done

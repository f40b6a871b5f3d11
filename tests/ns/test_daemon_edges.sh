#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The daemon's edges, with no guest traffic: command-line errors, a NIC that
# already has someone else's XDP program, forced zero-copy on veth, hostile
# bytes on the vhost-user socket, idle CPU, and a NIC that goes down,
# changes MTU and disappears under a running daemon.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

VXD=$VX_BUILD/vhost-xdpd
[ -x "$VXD" ] || vx_skip_all "no $VXD (run make)"
[ "$(id -u)" = 0 ] || vx_skip_all "needs root"
trap vx_ns_teardown EXIT
vx_ns_setup || { echo "1..0 # SKIP namespace setup failed"; exit 1; }
SOCK=$VX_TMP/vm0.sock
PORT="name=vm0,socket=$SOCK,mac=52:54:00:00:00:20"

no_xdp() { ! vx_in_host ip -d link show "$VX_NIC" 2>/dev/null | grep -q 'prog/xdp'; }

# Runs the daemon in the host netns, expecting it to fail: rc and last stderr line.
expect_fail() { # expect_fail <description> <args...>
	local d=$1 out rc
	shift
	out=$(vx_in_host timeout 20 "$VXD" --socket-dir "$VX_TMP" "$@" 2>&1 >/dev/null)
	rc=$?
	vx_diag "$d: rc=$rc: $(echo "$out" | tail -n 1)"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ -n "$out" ] && no_xdp
}

vx_check "unknown flag: one-line error, exit 2" \
	bash -c "out=\$('$VXD' --bogus 2>&1); rc=\$?; [ \$rc = 2 ] && [ \$(echo \"\$out\" | wc -l) = 1 ]"
vx_check "bad port spec is refused" expect_fail "bad mac" --nic "$VX_NIC" --port "socket=$SOCK,mac=01:00:5e:00:00:01"
vx_check "missing NIC is refused" expect_fail "missing NIC" --nic vx-nonexistent --port "$PORT"
vx_check "unusable socket path is refused, no XDP left behind" \
	expect_fail "socket path" --nic "$VX_NIC" --port "socket=/nonexistent-dir/vm0.sock,mac=52:54:00:00:00:20"
vx_check "--zero-copy on fails cleanly on veth" expect_fail "zero-copy" --nic "$VX_NIC" --zero-copy on --port "$PORT"

# Someone else's XDP program: refused, and left alone.
# ip netns exec gives a fresh /sys without bpffs; libxdp tools need it there.
xdpf() { vx_in_host sh -c 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf; exec xdp-filter "$@"' xdpf "$@"; }
xdpf load "$VX_NIC" >/dev/null 2>&1
foreign() { vx_in_host ip -d link show "$VX_NIC" | grep -q 'prog/xdp'; }
if foreign; then
	out=$(vx_in_host timeout 20 "$VXD" --socket-dir "$VX_TMP" --nic "$VX_NIC" --port "$PORT" 2>&1)
	rc=$?
	vx_diag "foreign program: rc=$rc: $(echo "$out" | grep -i error | tail -n 1)"
	[ $rc -ne 0 ] && foreign
	vx_ok $? "a NIC with another XDP program is refused and the program stays"
	xdpf unload "$VX_NIC" >/dev/null 2>&1 || vx_in_host ip link set "$VX_NIC" xdp off
else
	vx_ok 1 "could not attach xdp-filter to set up the foreign-program case"
fi

# A running daemon: hostile bytes on its socket must not hurt it.
vx_daemon_start --port "$PORT"
vx_check "daemon starts and creates its socket" vx_wait_path "$SOCK" 10

# GET_FEATURES (request 1, version 1, size 0) must get a 20-byte reply.
get_features() {
	local n
	n=$(printf '\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00' |
		timeout 5 socat -t 1 - UNIX-CONNECT:"$SOCK" | wc -c)
	[ "$n" = 20 ]
}
send_bytes() { printf "$1" | timeout 5 socat -t 0.5 - UNIX-CONNECT:"$SOCK" >/dev/null 2>&1; }
alive() { kill -0 "$VX_DAEMON_PID" 2>/dev/null; }

vx_check "GET_FEATURES is answered" get_features
head -c 4096 /dev/urandom >"$VX_TMP/junk"
timeout 5 socat -t 0.5 - UNIX-CONNECT:"$SOCK" <"$VX_TMP/junk" >/dev/null 2>&1
vx_check "random bytes: daemon survives and answers the next front-end" bash -c "sleep 0.3; kill -0 $VX_DAEMON_PID" 
vx_check "  ...and the next connection works" get_features
send_bytes '\x05\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\xff'
vx_check "header size 0xffffffff: rejected, daemon alive" alive
vx_check "  ...and the next connection works" get_features
send_bytes '\x05\x00\x00\x00\x01\x00\x00\x00\x28\x00\x00\x00\x01\x00'
vx_check "disconnect in the middle of SET_MEM_TABLE: daemon alive" alive
vx_check "  ...and the next connection works" get_features
send_bytes '\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00'
vx_check "wrong version bits: daemon alive, next connection works" get_features
send_bytes '\x63\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00'
vx_check "unknown request: daemon alive, next connection works" get_features
vx_check "no fd leaked by the hostile connections" \
	bash -c "[ \$(ls /proc/$VX_DAEMON_PID/fd | wc -l) -lt 40 ]"

# Idle: event mode must not spin. utime+stime in clock ticks, over 3 s.
ticks() { awk '{ print $14 + $15 }' "/proc/$VX_DAEMON_PID/stat"; }
t0=$(ticks)
sleep 3
t1=$(ticks)
vx_diag "idle CPU: $((t1 - t0)) ticks in 3 s"
vx_ok $(((t1 - t0) <= 3 ? 0 : 1)) "idle daemon uses (almost) no CPU: $((t1 - t0)) ticks in 3 s"

# The NIC: carrier loss, MTU change, removal. The daemon keeps running.
vx_in_peer ip link set "$VX_PEER" down
sleep 2
vx_check "peer down: daemon notices the link is down" grep -q "vxa: link down" "$VX_TMP/daemon.log"
vx_in_peer ip link set "$VX_PEER" up
vx_in_host ip link set "$VX_NIC" mtu 1400
sleep 2
vx_check "MTU change is picked up" grep -q "MTU changed to 1400" "$VX_TMP/daemon.log"
vx_in_host ip link del "$VX_NIC"
sleep 2
vx_check "NIC deleted: daemon still running" alive
vx_check "  ...and it said so" grep -q "disappeared\|reported an error" "$VX_TMP/daemon.log"
vx_check "  ...and the vhost-user socket still answers" get_features
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM after the NIC vanished: clean exit (rc=$VX_DAEMON_RC)"
vx_check "socket file removed" test ! -e "$SOCK"
vx_done

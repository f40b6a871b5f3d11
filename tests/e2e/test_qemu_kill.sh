#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end (e2e-slow, about 2 minutes): QEMU is killed with SIGKILL while
# its real Linux guest (TCG) moves traffic through a vhost-xdpd port, and
# every resource of that port comes back. For each socket mode (server:
# the daemon listens, QEMU reconnect=1; client: QEMU listens with
# server=on, the daemon connects):
#   1. the daemon starts with one port; its figures are taken: fds
#      (/proc/PID/fd), eventfds among them, guest memory maps (memfd lines
#      of /proc/PID/maps), UMEM frames held (nic umem_held, which counts the
#      frames waiting in a port's backlog too) and the port's attached flag
#      (vhost-xdpctl stats --json);
#   2. a guest boots on the port and streams TCP to the peer while the peer
#      streams TCP to it and ping-floods it; the figures are taken again;
#   3. QEMU gets SIGKILL under that traffic; the port must show attached
#      false, and, once the peer's traffic is stopped, every figure must be
#      back at its value of step 1 (diag lines show all three sets);
#   4. a new QEMU attaches to the same port and its guest pings the peer.
#   VX_KILL_MODES="server client"
#   VX_KILL_TRAFFIC=4     seconds of traffic before the kill
set -u

. "$(dirname "$0")/../lib/ns.sh"
. "$(dirname "$0")/../lib/guest.sh"

MODES=${VX_KILL_MODES:-server client}
TRAFFIC=${VX_KILL_TRAFFIC:-4}
G_IP=10.77.0.2
G_MAC=52:54:00:00:00:02
P_G2P=5001 # guest -> peer stream, the peer listens
P_P2G=5002 # peer -> guest stream, the guest listens
CTL=$VX_BUILD/vhost-xdpctl
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
for tool in "$VX_QEMU" socat ip "$PY"; do
	command -v "$tool" >/dev/null || vx_skip_all "no $tool"
done
[ -n "$VX_GUEST_KERNEL" ] || vx_skip_all "no /boot/vmlinuz-6.1.*-amd64"
[ -x "$VX_BUILD/vhost-xdpd" ] && [ -x "$CTL" ] || vx_skip_all "no $VX_BUILD/vhost-xdpd (run make)"

failed=0
t_ok() { [ "$1" -eq 0 ] || failed=1; vx_ok "$@"; }
PIDS=()
DUMP=()
cleanup() {
	local p g
	if [ "$failed" -ne 0 ]; then
		for g in "${DUMP[@]}"; do vx_guest_dump "$g" 30; done
		vx_backend_dump 60
	fi
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	vx_guest_teardown
	vx_ns_teardown
}
trap cleanup EXIT

ctl() { "$CTL" -s "$VX_TMP/$VX_NIC.ctl" "$@"; }

# The port's figures, one line: "fds N eventfds N memfd_maps N umem_held N
# attached B rx_packets N tx_packets N rx_drop_not_ready N rx_drop_no_buffer N".
figures() {
	local pid=$VX_DAEMON_PID fds evs maps
	fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
	evs=$(for f in /proc/"$pid"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c eventfd)
	maps=$(grep -c 'memfd:' "/proc/$pid/maps" 2>/dev/null)
	echo -n "fds $fds eventfds $evs memfd_maps $maps "
	ctl stats --json | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
p = [p for p in s["ports"] if p["name"] == "vm0"][0]
c = p["counters"]
print("umem_held %d attached %s rx_packets %d tx_packets %d rx_drop_not_ready %d rx_drop_no_buffer %d" % (
    s["nic"]["counters"]["umem_held"], str(p["attached"]).lower(), c["rx_packets"],
    c["tx_packets"], c["rx_drop_not_ready"], c["rx_drop_no_buffer"]))'
}
fig() { # <figures line> <key>
	echo "$1" | tr ' ' '\n' | sed -n "/^$2\$/{n;p}"
}
# The figures that must come back after the kill.
resources() { # <figures line>
	local k out=
	for k in fds eventfds memfd_maps umem_held attached; do out+="$k $(fig "$1" $k) "; done
	echo "$out"
}

guest_script() { # the guest that streams
	cat <<EOF
PEER=$VX_PEER_IP
EOF
	cat <<'EOF'
mark() { echo "VXGUEST-MARK $*"; }
ping -c 3 -W 2 $PEER >/dev/null 2>&1; mark ping-peer rc=$?
nc -l -p 5002 </dev/null >/dev/null &
mark streams
nc $PEER 5001 </dev/zero >/dev/null
mark g2p-ended rc=$?
sleep 600
EOF
}

guest2_script() { # the guest of the new QEMU: pings the peer, then waits to be stopped
	cat <<EOF
ping -c 5 -W 2 $VX_PEER_IP; echo "VXGUEST-MARK ping rc=\$?"
sleep 600
EOF
}

run_mode() { # <server|client>
	local mode=$1 g=k$1 g2=k${1}2 rc=0 t0 i f0 f1 f2 r0 r2 gp
	vx_backend_start "$mode" "vm0=$G_MAC" || rc=1
	vx_wait_path "$VX_TMP/$VX_NIC.ctl" 10 || rc=1
	t_ok $rc "$mode: daemon started with port vm0"
	[ $rc -eq 0 ] || return
	sleep 0.5
	f0=$(figures)
	vx_diag "$mode: before the guest: $f0"

	# The peer's listener first: the guest's busybox nc does not retry.
	ip netns exec "$VX_PNS" socat -u "TCP-LISTEN:$P_G2P,reuseaddr" OPEN:/dev/null \
		>/dev/null 2>&1 &
	PIDS+=($!)
	guest_script >"$VX_TMP/$g.sh"
	DUMP+=("$g")
	vx_guest_start "$g" "$VX_TMP/vm0.sock" $G_MAC $G_IP/24 "$VX_TMP/$g.sh" "$mode" || rc=1
	gp=${VX_GUEST_PID[$g]:-}
	vx_guest_wait "$g" 'VXGUEST-MARK streams' 180 || rc=1
	t_ok $rc "$mode: e2e-slow: the guest boots and starts its stream to the peer"
	[ $rc -eq 0 ] || return
	[ "$(vx_guest_field "$g" 'VXGUEST-MARK ping-peer' rc)" = 0 ] || vx_diag "$mode: the guest's first pings failed"
	ip netns exec "$VX_PNS" socat -u /dev/zero "TCP:$G_IP:$P_P2G,retry=30,interval=0.5" \
		>/dev/null 2>&1 &
	PIDS+=($!)
	ip netns exec "$VX_PNS" ping -f -W 1 "$G_IP" >"$VX_TMP/flood-$mode.log" 2>&1 &
	local flood=$!
	PIDS+=($flood)
	# The figures under traffic; UMEM frames held (backlogs included) sampled
	# ten times a second, the largest number kept.
	local held=0 h end=$((SECONDS + TRAFFIC))
	while [ $SECONDS -lt $end ]; do
		h=$(fig "$(figures)" umem_held)
		[ "${h:-0}" -gt "$held" ] && held=$h
		sleep 0.1
	done
	f1=$(figures)
	vx_diag "$mode: with the guest, under traffic: $f1 (umem_held up to $held)"
	sleep 1
	local f1b
	f1b=$(figures)
	local drx=$(($(fig "$f1b" rx_packets) - $(fig "$f1" rx_packets)))
	local dtx=$(($(fig "$f1b" tx_packets) - $(fig "$f1" tx_packets)))
	rc=1
	[ "$(fig "$f1b" attached)" = true ] && [ "$drx" -gt 0 ] && [ "$dtx" -gt 0 ] &&
		[ "$(fig "$f1b" memfd_maps)" -gt "$(fig "$f0" memfd_maps)" ] &&
		[ "$(fig "$f1b" eventfds)" -gt "$(fig "$f0" eventfds)" ] && rc=0
	t_ok $rc "$mode: port attached, guest memory mapped, eventfds held; traffic both ways in the last second before the kill (to the guest $drx, from it $dtx frames)"

	# QEMU itself (vx_guest_start runs it without a prefix).
	[ "$(cat "/proc/$gp/comm" 2>/dev/null)" = qemu-system-x86 ]
	t_ok $? "$mode: pid $gp is QEMU"
	# QEMU stopped (SIGSTOP) for a moment while the peer adds UDP as fast as
	# it can send: the guest takes no frame, its RX ring fills, and the
	# frames after those wait in the port's backlog, holding UMEM frames.
	kill -STOP "$gp"
	ip netns exec "$VX_PNS" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d = b"x" * 1000
while True:
    try:
        s.sendto(d, (sys.argv[1], 9))
    except OSError:
        pass' "$G_IP" >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 1.5
	local fs
	fs=$(figures)
	vx_diag "$mode: QEMU stopped, traffic on: $fs"
	t_ok "$([ "$(fig "$fs" umem_held)" -gt 0 ]; echo $?)" \
		"$mode: frames wait in the backlog while QEMU is stopped (umem_held $(fig "$fs" umem_held))"
	t0=$(date +%s%N)
	vx_guest_kill "$g" KILL
	t_ok $? "$mode: QEMU killed with SIGKILL under traffic, its backlog full"
	for ((i = 0; i < 100; i++)); do
		[ "$(fig "$(figures)" attached)" = false ] && break
		sleep 0.1
	done
	local det_ms=$((($(date +%s%N) - t0) / 1000000))
	f2=$(figures)
	t_ok "$([ "$(fig "$f2" attached)" = false ]; echo $?)" "$mode: the port shows attached false ($det_ms ms after the kill)"
	kill -0 "$VX_DAEMON_PID" 2>/dev/null
	t_ok $? "$mode: the daemon runs on"
	# The peer's traffic stops (its senders would go on forever); then every
	# figure must be back at its value before the guest.
	kill -INT "$flood" 2>/dev/null # ping prints its summary
	wait "$flood" 2>/dev/null
	for i in "${PIDS[@]}"; do kill "$i" 2>/dev/null; done
	for i in "${PIDS[@]}"; do wait "$i" 2>/dev/null; done
	PIDS=()
	r0=$(resources "$f0")
	for ((i = 0; i < 50; i++)); do
		f2=$(figures)
		r2=$(resources "$f2")
		[ "$r2" = "$r0" ] && break
		sleep 0.2
	done
	vx_diag "$mode: after the kill: $f2"
	vx_diag "$mode: flood: $(grep -E 'transmitted' "$VX_TMP/flood-$mode.log")"
	local k
	for k in fds eventfds memfd_maps umem_held; do
		t_ok "$([ "$(fig "$f2" $k)" = "$(fig "$f0" $k)" ]; echo $?)" \
			"$mode: $k back to its value before the guest ($(fig "$f0" $k) -> $(fig "$f1" $k) under traffic -> $(fig "$fs" $k) QEMU stopped -> $(fig "$f2" $k))"
	done
	t_ok "$([ "$(fig "$f2" attached)" = "$(fig "$f0" attached)" ]; echo $?)" \
		"$mode: attached back to $(fig "$f0" attached)"
	vx_diag "$mode: frames dropped from the backlog and while no guest was there (rx_drop_not_ready): $(($(fig "$f2" rx_drop_not_ready) - $(fig "$fs" rx_drop_not_ready)))"

	guest2_script >"$VX_TMP/$g2.sh"
	DUMP+=("$g2")
	vx_guest_start "$g2" "$VX_TMP/vm0.sock" $G_MAC $G_IP/24 "$VX_TMP/$g2.sh" "$mode"
	vx_guest_wait "$g2" 'VXGUEST-MARK ping' 180
	t_ok $? "$mode: e2e-slow: a new QEMU boots on the same port"
	local line
	line=$(vx_guest_line "$g2" 'packets transmitted')
	[ "$(vx_guest_field "$g2" 'VXGUEST-MARK ping' rc)" = 0 ]
	t_ok $? "$mode: e2e-slow: its guest pings the peer ($line)"
	[ "$(fig "$(figures)" attached)" = true ]
	t_ok $? "$mode: the port shows attached true again"
	vx_in_peer ping -c 3 -W 2 "$G_IP" >/dev/null 2>&1
	t_ok $? "$mode: the peer pings the new guest"
	vx_guest_stop "$g2"
	vx_backend_stop
	t_ok "$([ "${VX_BACKEND_RC:-1}" = 0 ]; echo $?)" "$mode: the daemon exits 0 on SIGTERM"
}

vx_ns_setup || { t_ok 1 "namespaces set up"; vx_done; exit; }
vx_guest_prepare || { t_ok 1 "guest initramfs built"; vx_done; exit; }
t0=$SECONDS
for m in $MODES; do
	run_mode "$m"
done
xdp=$(ip -n "$VX_HNS" link show "$VX_NIC" | grep -c xdp)
t_ok "$xdp" "no XDP program left on $VX_NIC"
vx_diag "timing: total $((SECONDS - t0)) s"
vx_done

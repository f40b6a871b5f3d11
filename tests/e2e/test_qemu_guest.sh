#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end: two real Linux guests (QEMU, TCG) on vhost-xdpd, the NIC a
# veth in a namespace. Checks ping and 20 MB TCP transfers both ways to the
# peer namespace, guest-to-guest traffic, that the host stack keeps its
# address on the NIC, the daemon's counters and its clean shutdown.
#
#   VX_BACKEND=dpdk     run against DPDK testpmd instead (one guest; the
#                       guest-to-guest, host-address and daemon checks skip)
#   VX_SOCK_MODE=client the daemon connects to QEMU's socket
#   VX_DEDICATED=1      one guest on a dedicated-queue port with tx=inplace (its
#                       memory is the AF_XDP UMEM); also checks frames went in place
#   VX_MQ=1             multiqueue: a 2-queue NIC with two workers, guests with two
#                       queue pairs and two vCPUs; the transfers run pinned to
#                       the second CPU on both sides, so queue pair 1 and
#                       worker 1 carry them; also checks both workers moved frames
#   VX_OFFLOAD=off      the guests' virtio-net offers no offload (csum=off,
#                       guest_csum=off, host_tso4=off, ...); default on (QEMU's
#                       defaults): also checks that the daemon finished
#                       checksums, cut TSO frames and coalesced received segments
#   VX_JUMBO=1          one guest at MTU 9000 (virtio-net host_mtu=9000, veth
#                       ends at 9000): pings of 8000 bytes (the peer's with -M do,
#                       never fragmented), TCP with 8960-byte segments; checks the
#                       daemon passed multi-buffer frames (tests/e2e/test_qemu_jumbo.sh)
#   VX_E2E_MB=20        size of each TCP transfer
#   VX_E2E_TIMEOUT=240  overall budget in seconds for the guests' steps
#   VX_KEEP_TMP=1       keep $VX_TMP (consoles, logs) after the run
set -u

. "$(dirname "$0")/../lib/ns.sh"
. "$(dirname "$0")/../lib/guest.sh"

MB=${VX_E2E_MB:-20}
OFFLOAD=${VX_OFFLOAD:-on}
if [ "$OFFLOAD" = off ]; then
	VX_GUEST_DEVOPTS=${VX_GUEST_DEVOPTS:+$VX_GUEST_DEVOPTS,}csum=off,guest_csum=off,host_tso4=off,host_tso6=off,host_ecn=off,guest_tso4=off,guest_tso6=off,guest_ecn=off
	export VX_GUEST_DEVOPTS
fi
BYTES=$((MB * 1048576))
MQ=${VX_MQ:-0}
JUMBO=${VX_JUMBO:-0}
PING_SIZE=
if [ "$JUMBO" = 1 ]; then
	export VX_GUEST_DEVOPTS="${VX_GUEST_DEVOPTS:+$VX_GUEST_DEVOPTS,}host_mtu=9000"
	PING_SIZE="-s 8000"
fi
PIN=        # guest side: the command prefix for the transfers
PEER_PIN=() # peer side
if [ "$MQ" = 1 ]; then
	export VX_NIC_QUEUES=2 VX_GUEST_QUEUES=2
	VX_DAEMON_ARGS="${VX_DAEMON_ARGS:-} --workers 2"
	PIN="taskset 2"
	PEER_PIN=(taskset -c 1)
fi
XFER_TMO=$((30 + MB)) # seconds for one transfer; TCG moves about 10 MB/s
DEADLINE=$((SECONDS + ${VX_E2E_TIMEOUT:-240}))
G1_IP=10.77.0.2
G2_IP=10.77.0.3
G1_MAC=52:54:00:00:00:02
G2_MAC=52:54:00:00:00:03
P_G2P=5001 # guest -> peer data, peer listens
P_P2G=5002 # peer -> guest data, guest listens
P_G2G=5003 # guest 1 -> guest 2 message, guest 2 listens

[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
for tool in "$VX_QEMU" socat ip ethtool; do
	command -v "$tool" >/dev/null || vx_skip_all "no $tool"
done
[ -n "$VX_GUEST_KERNEL" ] || vx_skip_all "no /boot/vmlinuz-6.1.*-amd64"
if [ "$VX_BACKEND" = vhost-xdpd ] && [ ! -x "$VX_BUILD/vhost-xdpd" ]; then
	vx_skip_all "no $VX_BUILD/vhost-xdpd (run make)"
fi

failed=0
t_ok() { # <rc> <description>
	[ "$1" -eq 0 ] || failed=1
	vx_ok "$@"
}
t_skip() { vx_skip "$1" "$2"; }

cleanup() {
	if [ "$failed" -ne 0 ]; then
		for g in g1 g2; do
			[ -e "$VX_TMP/$g.log" ] && vx_guest_dump "$g" 30
		done
		vx_backend_dump 40
	fi
	vx_guest_teardown
	vx_ns_teardown
}
trap cleanup EXIT

# --- guest scripts -------------------------------------------------------
# Each guest runs a list of steps and reports each result as a
# "VXGUEST-MARK <step> key=value..." console line. Every step is bounded
# by a timeout, so a broken path ends in a marker, not a hang.
guest_prelude() {
	cat <<EOF
PEER=$VX_PEER_IP
BYTES=$BYTES
XFER_TMO=$XFER_TMO
PIN="$PIN"
PING_SIZE="$PING_SIZE"
EOF
	cat <<'EOF'
mark() { echo "VXGUEST-MARK $*"; }
now() { read u _ </proc/uptime; echo "${u%.*}${u#*.}"; } # centiseconds
EOF
}

step_ping_peer() {
	cat <<'EOF'
ping -c 3 -W 2 $PING_SIZE $PEER >/tmp/ping.out 2>&1; rc=$?
[ $rc -eq 0 ] || cat /tmp/ping.out
mark ping-peer rc=$rc txq=$(ls -d /sys/class/net/eth0/queues/tx-* | wc -l) mtu=$(cat /sys/class/net/eth0/mtu)
EOF
}

step_g2p() {
	cat <<EOF
head -c \$BYTES /dev/urandom >/tmp/g2p
set -- \$(sha256sum /tmp/g2p)
t0=\$(now)
timeout \$XFER_TMO \$PIN nc \$PEER $P_G2P </tmp/g2p; rc=\$?
mark g2p-done rc=\$rc sha=\$1 cs=\$((\$(now) - t0))
rm -f /tmp/g2p
EOF
}

step_p2g() {
	cat <<EOF
t0=\$(now)
mark p2g-listen
set -- \$(timeout \$XFER_TMO \$PIN nc -l -p $P_P2G </dev/null | sha256sum)
mark p2g-done sha=\$1 cs=\$((\$(now) - t0))
EOF
}

# Pings the other guest, then sends it a TCP message; both retry for up
# to 60 s, since the other guest may boot later.
step_to_guest() { # <ip>
	cat <<EOF
rc=1; end=\$((\$(now) + 6000))
while [ \$(now) -lt \$end ]; do
	ping -c 1 -W 1 $1 >/dev/null 2>&1 && { rc=0; break; }
done
mark ping-guest rc=\$rc
rc=1; end=\$((\$(now) + 6000))
while [ \$(now) -lt \$end ]; do
	echo "hello-from-\$VX_NAME" | timeout 10 nc $1 $P_G2G 2>/dev/null && { rc=0; break; }
	sleep 1
done
mark tcp-guest rc=\$rc
EOF
}

step_hold() { # waits for the other guest's message, so it stays reachable
	cat <<EOF
msg=\$(timeout 150 nc -l -p $P_G2G </dev/null)
mark hold msg=\$msg
EOF
}

# Waits for a guest's marker, within the test's overall budget. Every
# guest step has its own timeout too, so a broken data path ends in
# markers that report it, in about three minutes at most.
wait_mark() { # <guest> <regex> <timeout>
	local t=$3 left=$((DEADLINE - SECONDS))
	[ "$t" -le "$left" ] || t=$left
	[ "$t" -ge 1 ] || t=1
	vx_guest_wait "$1" "$2" "$t"
}

# --- setup ----------------------------------------------------------------
t0=$SECONDS
vx_diag "backend $VX_BACKEND, socket mode $VX_SOCK_MODE, $MB MB per transfer"
[ -n "${VX_KEEP_TMP:-}" ] && vx_diag "logs kept in $VX_TMP"
vx_ns_setup || {
	t_ok 1 "namespaces set up"
	vx_done
	exit
}
if [ "$JUMBO" = 1 ]; then
	vx_in_host ip link set "$VX_NIC" mtu 9000
	vx_in_peer ip link set "$VX_PEER" mtu 9000
fi
if [ "$MQ" = 1 ]; then
	# What the peer sends from CPU c leaves on veth queue c: NIC queue c, worker c.
	for q in 0 1; do
		vx_in_peer sh -c "echo $((1 << q)) > /sys/class/net/$VX_PEER/queues/tx-$q/xps_cpus"
	done
fi
if ! vx_guest_prepare; then
	t_ok 1 "guest initramfs built"
	vx_done
	exit
fi

if [ "$VX_BACKEND" = dpdk ] || [ "${VX_DEDICATED:-0}" = 1 ] || [ "$JUMBO" = 1 ]; then
	[ "${VX_DEDICATED:-0}" = 1 ] && VX_PORT_OPTS=,queue=dedicated,tx=inplace
	guests=(g1)
	P2G_GUEST=g1
	P2G_IP=$G1_IP
	{ guest_prelude; step_ping_peer; step_g2p; step_p2g; } >"$VX_TMP/g1.sh"
	ports=("vm0=$G1_MAC")
else
	guests=(g1 g2)
	P2G_GUEST=g2
	P2G_IP=$G2_IP
	{ guest_prelude; step_ping_peer; step_g2p; step_to_guest $G2_IP; } >"$VX_TMP/g1.sh"
	{ guest_prelude; step_ping_peer; step_p2g; step_hold; } >"$VX_TMP/g2.sh"
	ports=("vm0=$G1_MAC" "vm1=$G2_MAC")
fi

head -c "$BYTES" /dev/urandom >"$VX_TMP/p2g.tx"
p2g_sha=$(sha256sum <"$VX_TMP/p2g.tx" | cut -d' ' -f1)
vx_in_peer socat -u TCP-LISTEN:$P_G2P,reuseaddr "OPEN:$VX_TMP/g2p.rx,creat,trunc" \
	2>"$VX_TMP/socat-g2p.log" &
g2p_pid=$!

start_guests() {
	vx_guest_start g1 "$VX_TMP/vm0.sock" $G1_MAC $G1_IP/24 "$VX_TMP/g1.sh" || return 1
	[ ${#guests[@]} -eq 1 ] ||
		vx_guest_start g2 "$VX_TMP/vm1.sock" $G2_MAC $G2_IP/24 "$VX_TMP/g2.sh"
}

# In client mode QEMU owns the sockets, so it starts first.
rc=0
if [ "$VX_SOCK_MODE" = client ]; then
	start_guests || rc=1
	for p in "${ports[@]}"; do
		vx_wait_path "$VX_TMP/${p%%=*}.sock" 20 || rc=1
	done
	[ $rc -ne 0 ] || vx_backend_start client "${ports[@]}" || rc=1
else
	vx_backend_start server "${ports[@]}" || rc=1
	[ $rc -ne 0 ] || start_guests || rc=1
fi
t_ok $rc "$VX_BACKEND started with ${#ports[@]} port(s), $VX_SOCK_MODE mode"
[ $rc -eq 0 ] || { vx_done; exit; }

# --- boot -----------------------------------------------------------------
tb=$SECONDS
rc=0
for g in "${guests[@]}"; do
	vx_guest_wait "$g" 'VXGUEST-READY' 120 || rc=1
done
t_ok $rc "e2e-slow: ${#guests[@]} guest(s) boot with virtio-net on vhost-user"
vx_diag "timing: boot $((SECONDS - tb)) s"
[ $rc -eq 0 ] || { vx_done; exit; }

# --- a) ping --------------------------------------------------------------
wait_mark g1 'VXGUEST-MARK ping-peer' 30
rc=$(vx_guest_field g1 'VXGUEST-MARK ping-peer' rc)
t_ok "${rc:-1}" "a) guest 1 pings the peer $VX_PEER_IP"
if [ "$JUMBO" = 1 ]; then
	n=$(vx_guest_field g1 'VXGUEST-MARK ping-peer' mtu)
	t_ok $((${n:-0} != 9000)) "a) e2e-slow: jumbo: the guest's eth0 has MTU 9000 (${n:-?})"
	vx_in_peer ping -c 3 -W 2 -M do -s 8000 "$G1_IP" >"$VX_TMP/ping-jumbo.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$VX_TMP/ping-jumbo.log"
	t_ok $rc "a) e2e-slow: jumbo: the peer pings the guest with 8000 bytes, -M do"
fi
if [ "$MQ" = 1 ]; then
	n=$(vx_guest_field g1 'VXGUEST-MARK ping-peer' txq)
	t_ok $((${n:-0} != 2)) "a) multiqueue: the guest's eth0 has 2 TX queues (${n:-?})"
fi

# --- b) TCP both ways, d) host address during traffic -----------------------
tt=$SECONDS
p2g_pid=
if wait_mark $P2G_GUEST 'VXGUEST-MARK p2g-listen' 60; then
	vx_in_peer "${PEER_PIN[@]}" socat -u "OPEN:$VX_TMP/p2g.tx" \
		"TCP:$P2G_IP:$P_P2G,retry=100,interval=0.2" 2>"$VX_TMP/socat-p2g.log" &
	p2g_pid=$!
fi

if [ "$VX_BACKEND" = dpdk ]; then
	t_skip "d) host address $VX_HOST_IP reachable from the peer" \
		"testpmd's AF_XDP port takes all traffic of the NIC"
else
	vx_in_peer ping -c 5 -i 0.2 -W 2 "$VX_HOST_IP" >"$VX_TMP/ping-host.log" 2>&1
	rc=$?
	t_ok $rc "d) host address $VX_HOST_IP stays reachable from the peer during guest traffic"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$VX_TMP/ping-host.log"
fi

wait_mark g1 'VXGUEST-MARK g2p-done' $((XFER_TMO + 30))
g2p_rc=$(vx_guest_field g1 'VXGUEST-MARK g2p-done' rc)
g2p_sha=$(vx_guest_field g1 'VXGUEST-MARK g2p-done' sha)
g2p_cs=$(vx_guest_field g1 'VXGUEST-MARK g2p-done' cs)
for ((i = 0; i < 50; i++)); do
	kill -0 $g2p_pid 2>/dev/null || break
	sleep 0.1
done
rx_sha=none
rx_len=0
if [ -e "$VX_TMP/g2p.rx" ]; then
	rx_sha=$(sha256sum <"$VX_TMP/g2p.rx" | cut -d' ' -f1)
	rx_len=$(stat -c %s "$VX_TMP/g2p.rx")
fi
rc=1
[ "${g2p_rc:-1}" -eq 0 ] && [ -n "$g2p_sha" ] && [ "$rx_sha" = "$g2p_sha" ] && rc=0
t_ok $rc "b) e2e-slow: TCP guest -> peer, $MB MB, sha256 matches"
[ $rc -eq 0 ] || vx_diag "g2p: nc rc=$g2p_rc, guest sha $g2p_sha, peer got $rx_len bytes sha $rx_sha"
[ -n "$g2p_cs" ] && vx_diag "$(printf 'timing: guest -> peer %d MB in %d.%02d s' $MB $((g2p_cs / 100)) $((g2p_cs % 100)))"

wait_mark $P2G_GUEST 'VXGUEST-MARK p2g-done' $((XFER_TMO + 10))
got_sha=$(vx_guest_field $P2G_GUEST 'VXGUEST-MARK p2g-done' sha)
p2g_cs=$(vx_guest_field $P2G_GUEST 'VXGUEST-MARK p2g-done' cs)
rc=1
[ "$got_sha" = "$p2g_sha" ] && rc=0
t_ok $rc "b) e2e-slow: TCP peer -> guest, $MB MB, sha256 matches"
if [ $rc -ne 0 ]; then
	vx_diag "p2g: sent sha $p2g_sha, guest got ${got_sha:-nothing}"
	[ -n "$p2g_pid" ] && sed 's/^/#   socat: /' "$VX_TMP/socat-p2g.log"
fi
[ -n "$p2g_cs" ] && vx_diag "$(printf 'timing: peer -> guest %d MB in %d.%02d s' $MB $((p2g_cs / 100)) $((p2g_cs % 100)))"
vx_diag "timing: transfers $((SECONDS - tt)) s"

# --- c) guest to guest ----------------------------------------------------
if [ ${#guests[@]} -eq 1 ]; then
	t_skip "c) guest 1 pings guest 2" "one port (dpdk stand-in, dedicated queue or jumbo)"
	t_skip "c) TCP guest 1 -> guest 2" "one port (dpdk stand-in, dedicated queue or jumbo)"
else
	wait_mark g1 'VXGUEST-MARK tcp-guest' 130
	rc=$(vx_guest_field g1 'VXGUEST-MARK ping-guest' rc)
	t_ok "${rc:-1}" "c) guest 1 pings guest 2"
	wait_mark g2 'VXGUEST-MARK hold' 30
	msg=$(vx_guest_field g2 'VXGUEST-MARK hold' msg)
	rc=1
	[ "$msg" = hello-from-g1 ] && rc=0
	t_ok $rc "c) TCP guest 1 -> guest 2"
fi

# --- guests finish ----------------------------------------------------------
if [ "$failed" -ne 0 ]; then
	t_skip "guests ran their scripts and powered off" "an earlier check failed"
else
	rc=0
	for g in "${guests[@]}"; do
		wait_mark $g 'VXGUEST-DONE' 60 || rc=1
		[ "$(vx_guest_field $g 'VXGUEST-DONE' rc)" = 0 ] || rc=1
		vx_guest_exit_wait $g 20 || rc=1
	done
	t_ok $rc "guests ran their scripts and powered off"
fi

# --- e) counters and shutdown ---------------------------------------------
if [ "$VX_BACKEND" = dpdk ]; then
	vx_backend_stop
	t_skip "e) daemon counters and clean shutdown" "dpdk stand-in"
else
	sleep 1.2 # the stats file is rewritten every second
	tx=$(vx_stat vm0 tx_packets)
	rx=$(vx_stat vm0 rx_packets)
	rc=1
	[ "$tx" -gt 0 ] && [ "$rx" -gt 0 ] && rc=0
	t_ok $rc "e) stats file: vm0 tx_packets $tx, rx_packets $rx (both > 0)"
	if [ "$JUMBO" = 1 ]; then
		r=$(vx_stat nic rx_multibuf)
		t=$(vx_stat nic tx_multibuf)
		rc=1
		# The 20 MB peer -> guest transfer alone is some 2300 full-size frames.
		[ "$r" -gt $((BYTES / 9000 / 2)) ] && [ "$t" -gt 0 ] && rc=0
		t_ok $rc "e) e2e-slow: jumbo: frames passed in several pieces (nic rx_multibuf $r of $rx, tx_multibuf $t)"
	fi
	if [ "${VX_DEDICATED:-0}" = 1 ]; then
		rip=$(vx_stat vm0 rx_in_place)
		tip=$(vx_stat vm0 tx_in_place)
		rc=1
		[ "$rip" -gt $((rx / 2)) ] && [ "$tip" -gt $((tx / 2)) ] && rc=0
		t_ok $rc "e) dedicated queue: most frames in place (rx $rip of $rx, tx $tip of $tx)"
	fi
	if [ "${VX_DEDICATED:-0}" != 1 ]; then
		# The 20 MB transfers (b) ran through both ports: summed over them.
		offl=""
		for c in tx_csum tx_gso tx_gso_segs rx_csum_good rx_gro rx_gro_segs \
			tx_drop_bad_offload tx_drop_gso_segs tx_drop_gso_too_big rx_csum_bad; do
			v=0
			for p in "${ports[@]}"; do
				n=$(vx_stat "${p%%=*}" "$c")
				v=$((v + ${n:-0}))
			done
			eval "o_$c=$v"
			offl+=" $c=$v"
		done
		vx_diag "offload counters of the ports:$offl"
		rc=1
		if [ "$OFFLOAD" = off ]; then
			[ "$o_tx_csum$o_tx_gso$o_rx_csum_good$o_rx_gro" = 0000 ] && rc=0
			t_ok $rc "e) offloads off: no checksum finished, no TSO frame, no DATA_VALID, no coalescing"
		else
			[ "${o_tx_gso:-0}" -gt 0 ] && [ "${o_tx_gso_segs:-0}" -gt "${o_tx_gso:-0}" ] &&
				[ "${o_tx_csum:-0}" -gt 0 ] && rc=0
			t_ok $rc "e) offloads on: guest TSO frames cut into segments, partial checksums finished"
			rc=1
			if [ "$JUMBO" = 1 ]; then
				# Multi-buffer frames are passed on as they are (the guest checks them).
				[ "${o_rx_csum_good:-0}" -gt 0 ] && rc=0
				t_ok $rc "e) offloads on: received one-buffer frames' checksums verified (DATA_VALID)"
			else
				[ "${o_rx_csum_good:-0}" -gt 0 ] && [ "${o_rx_gro:-0}" -gt 0 ] &&
					[ "${o_rx_gro_segs:-0}" -gt "${o_rx_gro:-0}" ] && rc=0
				t_ok $rc "e) offloads on: received checksums verified (DATA_VALID), segments coalesced"
			fi
		fi
		rc=1
		[ "$o_tx_drop_bad_offload$o_tx_drop_gso_segs$o_tx_drop_gso_too_big$o_rx_csum_bad" = 0000 ] && rc=0
		t_ok $rc "e) no offload drop, no bad checksum"
	fi
	if [ "$MQ" = 1 ]; then
		rc=0
		for w in 0 1; do
			r=$(vx_stat worker$w rx_frames)
			t=$(vx_stat worker$w tx_frames)
			vx_diag "worker$w: rx_frames $r tx_frames $t"
			[ "${r:-0}" -gt 0 ] && [ "${t:-0}" -gt 0 ] || rc=1
		done
		t_ok $rc "e) multiqueue: both workers took frames from the NIC and sent frames to it"
		t=$(vx_stat worker1 tx_frames)
		rc=1
		[ "${t:-0}" -gt $((BYTES / 1514 / 2)) ] && rc=0
		t_ok $rc "e) multiqueue: the pinned guest -> peer transfer left through queue pair 1 (worker1 tx_frames $t)"
	fi
	[ -s "$VX_TMP/stats" ] && sed 's/^/#   stats: /' "$VX_TMP/stats"
	vx_backend_stop
	t_ok "$([ "${VX_BACKEND_RC:-1}" = 0 ]; echo $?)" \
		"e) vhost-xdpd exits 0 on SIGTERM (rc=${VX_BACKEND_RC:-none})"
	xdp=$(ip -n "$VX_HNS" link show "$VX_NIC" | grep -c xdp)
	t_ok "$xdp" "e) no XDP program left on $VX_NIC"
	rc=0
	for p in "${ports[@]}"; do
		[ "$VX_SOCK_MODE" = client ] || [ ! -e "$VX_TMP/${p%%=*}.sock" ] || rc=1
	done
	t_ok $rc "e) vhost-user sockets removed"
fi

vx_diag "timing: total $((SECONDS - t0)) s"
vx_done

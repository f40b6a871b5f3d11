#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Dedicated-queue mode (user/dq.h): queue 0's UMEM is the guest's memory.
#   1. DPDK virtio-user (hugetlbfs memory), macswap, tx=inplace: frames from
#      the wire are written by the kernel straight into guest buffers and sent
#      back from guest memory; every one intact, every one counted as in place.
#   2. The guest goes away and comes back: the mode stops (every lent buffer
#      returned) and starts again on the new memory; no mapping is left over.
#   3. Frames longer than the guest buffers were checked for never reach
#      guest memory: with the NIC's MTU raised under the running guest, the
#      steering program drops them (steer_drop_too_big).
#   4. Our own front-end (vx-guest, memfd memory) echoes through the mode too,
#      with the default tx=copy (RX in place, TX copied); paused (SIGSTOP)
#      under 400 frames, it loses none: spares and the backlog hold them.
#   5. The mode is refused with a clear error where it cannot hold.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"

GMAC=52:54:00:00:00:40
N=${VX_TESTPMD_N:-1000}
SOCK=$VX_TMP/vm0.sock
PKT=$VX_BUILD/vx-pkt
GUEST=$VX_BUILD/vx-guest
VXG_PID=

command -v "$VX_TESTPMD" >/dev/null || vx_skip_all "no $VX_TESTPMD"
[ -x "$PKT" ] && [ -x "$GUEST" ] && [ -x "$VX_BUILD/vhost-xdpd" ] || vx_skip_all "not built (run make)"

cleanup() {
	[ -n "$VXG_PID" ] && kill "$VXG_PID" 2>/dev/null
	vx_testpmd_stop_all
	vx_ns_teardown
	vx_huge_teardown
}
trap cleanup EXIT

guest_start() {
	vx_testpmd_launch g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=1,mac=$GMAC" -- \
		--nb-cores=1 --forward-mode=macswap && vx_testpmd_ready g 30
}

# echo_n <n> <size> <description>: n frames to the guest come back intact.
echo_n() {
	local rpid rc
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$GMAC" --count "$1" --timeout 20 \
		>"$VX_TMP/recv.out" &
	rpid=$!
	sleep 0.5
	vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count "$1" --size "$2" \
		--rate 5000 >/dev/null
	wait $rpid
	rc=$?
	vx_diag "vx-pkt: $(cat "$VX_TMP/recv.out")"
	vx_ok $rc "$3: $1 frames of $2 bytes came back intact"
}

umem_maps() { grep -c 'dev/zero\|SYSV\|hugepages\|memfd' "/proc/$VX_DAEMON_PID/maps"; }

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_huge_setup 1024 || { echo "Bail out! no hugepages"; exit 1; }

# --- 1. testpmd guest ---
vx_daemon_start --port "name=vm0,socket=$SOCK,mac=$GMAC,queue=dedicated,tx=inplace"
vx_wait_path "$SOCK" 10
guest_start
vx_ok $? "testpmd (virtio-user, hugetlbfs) connected"
vx_testpmd_cmd g start
sleep 0.5
vx_check "daemon says the dedicated queue is on, guest TX read in place" \
	grep -q 'dedicated queue: vxa q0 writes into guest memory, guest TX read in place' \
	"$VX_TMP/daemon.log"
echo_n "$N" 60 "dedicated, 64-byte frames"
echo_n 200 1514 "dedicated, 1518-byte frames"
total=$((N + 200))
vx_check "rx_in_place == rx_packets == $total" \
	bash -c "$(declare -f vx_stat_settled vx_stat vx_diag); VX_TMP=$VX_TMP; vx_stat_settled vm0 rx_in_place $total && vx_stat_settled vm0 rx_packets $total"
vx_check "tx_in_place == tx_packets == $total (no frame copied by the daemon)" \
	bash -c "$(declare -f vx_stat_settled vx_stat vx_diag); VX_TMP=$VX_TMP; vx_stat_settled vm0 tx_in_place $total && vx_stat_settled vm0 tx_packets $total"
vx_check "no RX buffer refused" vx_stat_settled vm0 rx_buf_refused 0
maps1=$(umem_maps)

# --- 2. the guest leaves and comes back ---
vx_testpmd_stop g
sleep 0.5
vx_check "guest gone: the mode stopped" grep -q 'vm0: dedicated queue stopped' "$VX_TMP/daemon.log"
vx_check "daemon still running" kill -0 "$VX_DAEMON_PID"
guest_start
vx_ok $? "testpmd reconnected"
vx_testpmd_cmd g start
sleep 0.5
echo_n 300 60 "after reconnect"
vx_check "the UMEM mappings did not pile up ($maps1 before, $(umem_maps) now)" \
	test "$(umem_maps)" -le "$maps1"

# --- 3. frames longer than the checked buffers ---
vx_check "stats caught up (rx_packets == $((total + 300)))" vx_stat_settled vm0 rx_packets $((total + 300))
before=$(vx_stat vm0 rx_packets)
vx_in_host ip link set dev "$VX_NIC" mtu 3000
vx_in_peer ip link set dev "$VX_PEER" mtu 3000
vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count 50 --size 2000 --rate 5000 >/dev/null
vx_check "2000-byte frames dropped by the steering program (steer_drop_too_big == 50)" \
	vx_stat_settled vm0 steer_drop_too_big 50
vx_check "  ...none reached the guest" vx_stat_settled vm0 rx_packets "$before"
vx_in_host ip link set dev "$VX_NIC" mtu 1500
vx_in_peer ip link set dev "$VX_PEER" mtu 1500
echo_n 100 1514 "MTU back to 1500"
vx_testpmd_stop g
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "clean exit after the testpmd rounds"

# --- 4. vx-guest (memfd memory) ---
vx_daemon_start --port "name=vm0,socket=$SOCK,mac=$GMAC,queue=dedicated"
vx_wait_path "$SOCK" 10
"$GUEST" echo --socket "$SOCK" --mac "$GMAC" >"$VX_TMP/vx-guest.out" 2>&1 &
VXG_PID=$!
sleep 1
echo_n 500 60 "vx-guest (memfd)"
vx_check "vx-guest frames went in place" vx_stat_settled vm0 rx_in_place 500
vx_check "  ...and came back copied (tx=copy: tx_packets 500, tx_in_place 0)" \
	bash -c "$(declare -f vx_stat_settled vx_stat vx_diag); VX_TMP=$VX_TMP; vx_stat_settled vm0 tx_packets 500 && vx_stat_settled vm0 tx_in_place 0"
# The guest stops taking frames (SIGSTOP) while 400 arrive, more than its 256
# RX buffers: the rest land in the daemon's spares and wait in the backlog
# (dq.h) instead of being dropped by the kernel; all come back once it resumes.
in0=$(vx_stat vm0 rx_in_place)
vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$GMAC" --count 400 --timeout 20 \
	>"$VX_TMP/recv.out" &
rpid=$!
sleep 0.5
kill -STOP "$VXG_PID"
vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count 400 --size 60 --rate 2000 >/dev/null
sleep 0.5
kill -CONT "$VXG_PID"
wait $rpid
vx_ok $? "guest paused while 400 frames arrived: all came back intact ($(cat "$VX_TMP/recv.out"))"
vx_check "  ...none dropped by the kernel (rx_drop_kernel 0), rx_packets 900" \
	bash -c "$(declare -f vx_stat_settled vx_stat vx_diag); VX_TMP=$VX_TMP; vx_stat_settled vm0 rx_drop_kernel 0 && vx_stat_settled vm0 rx_packets 900"
in1=$(vx_stat vm0 rx_in_place)
vx_diag "rx_in_place +$((in1 - in0)) of 400"
vx_ok $(((in1 - in0) < 200 || (in1 - in0) >= 400)) "  ...the guest's own buffers took the first ones in place, spares the rest ($((in1 - in0)) of 400 in place)"
kill "$VXG_PID"
wait "$VXG_PID" 2>/dev/null
VXG_PID=
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "clean exit after vx-guest"

# --- 5. refused where it cannot hold ---
out=$(nsenter --net="/run/netns/$VX_HNS" "$VX_BUILD/vhost-xdpd" --nic "$VX_NIC" --socket-dir "$VX_TMP" \
	--port "socket=$VX_TMP/a.sock,mac=$GMAC,queue=dedicated" \
	--port "socket=$VX_TMP/b.sock,mac=52:54:00:00:00:41" 2>&1)
vx_ok $(($? == 0)) "two ports with one dedicated: refused"
vx_check "  ...with a reason" grep -q "needs it to be the NIC's only port" <<<"$out"
out=$(nsenter --net="/run/netns/$VX_HNS" "$VX_BUILD/vhost-xdpd" --nic "$VX_NIC" --socket-dir "$VX_TMP" \
	--port "socket=$VX_TMP/a.sock,mac=$GMAC,vlan=5,queue=dedicated" 2>&1)
vx_ok $(($? == 0)) "a dedicated VLAN port: refused"
out=$(nsenter --net="/run/netns/$VX_HNS" "$VX_BUILD/vhost-xdpd" --nic "$VX_NIC" --socket-dir "$VX_TMP" \
	--port "socket=$VX_TMP/a.sock,mac=$GMAC,tx=inplace" 2>&1)
vx_ok $(($? == 0)) "tx=inplace without queue=dedicated: refused"
vx_check "  ...with a reason" grep -q "tx=inplace needs queue=dedicated" <<<"$out"
vx_check "no XDP program left on the NIC" bash -c "! ip -n $VX_HNS link show $VX_NIC | grep -q xdp"
vx_done

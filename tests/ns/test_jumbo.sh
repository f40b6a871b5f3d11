#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Jumbo frames (MTU 9000) end to end, with DPDK testpmd (virtio-user) as the
# guest and vx-pkt on the wire side, both veth ends at MTU 9000:
#   1. frames of 1500, 4000, 9000 and 9014 bytes go to the guest and come
#      back intact (testpmd macswap): multi-buffer AF_XDP RX (several
#      descriptors per frame) and TX (one frame scattered over up to 5
#      UMEM frames), counted in nic rx_multibuf / tx_multibuf;
#   2. a guest frame longer than the MTU + 14 is dropped and counted
#      (tx_drop_too_big);
#   3. the same sizes on a VLAN access port (the tag added in front of a
#      multi-frame packet, and stripped from one);
#   4. after each part no UMEM frame is held (nic umem_held 0).
# VX_KEEP_TMP=1 keeps the logs.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"

GMAC=52:54:00:00:00:10
N=${VX_JUMBO_N:-300}
RATE=${VX_JUMBO_RATE:-2000}
SIZES=${VX_JUMBO_SIZES:-"1500 4000 9000 9014"}
MTU=9000
SOCK=$VX_TMP/vm0.sock
PKT=$VX_BUILD/vx-pkt

command -v "$VX_TESTPMD" >/dev/null || vx_skip_all "no $VX_TESTPMD"
[ -x "$PKT" ] || vx_skip_all "no $PKT (run make)"
[ -x "$VX_BUILD/vhost-xdpd" ] || vx_skip_all "no vhost-xdpd (run make)"

cleanup() {
	vx_testpmd_stop_all
	vx_daemon_stop
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
	vx_huge_teardown
}
trap cleanup EXIT

# The guest: virtio-user as the socket server (the daemon connects, and again
# after a restart with other options); mbufs that hold a whole jumbo frame.
guest_launch() {
	vx_testpmd_launch g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=1,mac=$GMAC,server=1" -- \
		--nb-cores=1 --forward-mode=macswap --eth-peer="0,$BMAC" \
		--mbuf-size=10240 --max-pkt-len=9018
}


# echo_size <vlan> <size>: N frames of <size> bytes (untagged size) to the
# guest and back, intact.
echo_size() {
	local v=() rc mb
	[ "$1" != 0 ] && v=(--vlan "$1")
	vx_testpmd_cmd g "clear port stats all"
	vx_testpmd_cmd g start
	vx_stat_mark "nic rx_multibuf" "nic tx_multibuf" "vm0 rx_packets" "vm0 tx_packets"
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$GMAC" --count "$N" --timeout 20 \
		"${v[@]}" >"$VX_TMP/recv.out" &
	local rpid=$!
	sleep 0.5
	vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count "$N" --rate "$RATE" \
		--size "$2" "${v[@]}" >/dev/null
	wait $rpid
	rc=$?
	vx_diag "vx-pkt, vlan $1, $2 bytes: $(cat "$VX_TMP/recv.out")"
	vx_ok $rc "vlan $1: $N frames of $2 bytes to the guest and back, intact"
	vx_testpmd_cmd g stop
	sleep 1.2	# the stats file is rewritten every second
	vx_ok $(($(vx_stat_delta vm0 rx_packets) != N || $(vx_stat_delta vm0 tx_packets) != N)) \
		"vlan $1, $2 bytes: vm0 rx_packets and tx_packets went up by $N"
	# Frames longer than one 2048-byte UMEM frame (1792 bytes from the kernel) use several.
	mb=0
	[ "$(($2 + (${1} != 0 ? 4 : 0)))" -gt 1792 ] && mb=$N
	vx_ok $(($(vx_stat_delta nic rx_multibuf) != mb)) \
		"vlan $1, $2 bytes: nic rx_multibuf went up by $mb (got $(vx_stat_delta nic rx_multibuf))"
	mb=0
	[ "$2" -gt 1788 ] && mb=$N
	[ "$2" -le 2044 ] && mb=0
	vx_ok $(($(vx_stat_delta nic tx_multibuf) != mb)) \
		"vlan $1, $2 bytes: nic tx_multibuf went up by $mb (got $(vx_stat_delta nic tx_multibuf))"
}

# A guest frame over the MTU + 14: testpmd txonly sends 9100-byte frames.
oversize() {
	local sent
	vx_stat_mark "vm0 tx_drop_too_big" "nic tx_frames"
	vx_testpmd_cmd g "clear port stats all"
	vx_testpmd_cmd g "set fwd txonly"
	vx_testpmd_cmd g "set txpkts 9100"
	vx_testpmd_cmd g start
	sleep 1
	vx_testpmd_cmd g stop
	sleep 1.2
	sent=$(vx_testpmd_stat g 0 TX-packets)
	vx_diag "testpmd sent ${sent:-?} frames of 9100 bytes"
	vx_ok $((${sent:-0} == 0)) "oversize: testpmd sent 9100-byte frames"
	vx_ok $(($(vx_stat_delta vm0 tx_drop_too_big) != ${sent:-0})) \
		"oversize: every one counted in vm0 tx_drop_too_big ($(vx_stat_delta vm0 tx_drop_too_big))"
	vx_ok $(($(vx_stat_delta nic tx_frames) != 0)) "oversize: none went to the wire"
	vx_testpmd_cmd g "set fwd macswap"
}

daemon_up() { # daemon_up <port options>
	vx_daemon_start --stats-interval 1 --port "name=vm0,socket=$SOCK,mac=$GMAC,mode=client$1"
	vx_testpmd_link_up g
}

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
vx_in_host ip link set "$VX_NIC" mtu $MTU
vx_in_peer ip link set "$VX_PEER" mtu $MTU
BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_huge_setup 1024 || { echo "Bail out! no hugepages"; exit 1; }

rm -f "$SOCK"
guest_launch
vx_wait_path "$SOCK" 30
vx_ok $? "testpmd (virtio-user, --max-pkt-len 9018) created $SOCK"

# --- 1, 2: untagged ---
daemon_up ""
vx_ok $? "daemon up at MTU $MTU, guest link up"
grep -q "multi-buffer" "$VX_TMP/daemon.log"
vx_ok $? "the AF_XDP socket is bound with XDP_USE_SG (multi-buffer)"
for s in $SIZES; do
	echo_size 0 "$s"
done
oversize
vx_check "untagged: no UMEM frame held afterwards (nic umem_held 0)" vx_stat_settled nic umem_held 0
vx_daemon_stop
vx_ok $((VX_DAEMON_RC != 0)) "daemon exited cleanly"

# --- 3: VLAN access port ---
daemon_up ",vlan=100"
vx_ok $? "daemon up with a VLAN 100 port, guest link up again"
for s in $SIZES; do
	echo_size 100 "$s"
done
vx_check "vlan: no UMEM frame held afterwards (nic umem_held 0)" vx_stat_settled nic umem_held 0
vx_testpmd_stop g
vx_daemon_stop
vx_ok $((VX_DAEMON_RC != 0)) "daemon exited cleanly"
vx_diag "daemon log (last 10 lines):"
tail -n 10 "$VX_TMP/daemon.log" | sed 's/^/#   /'
vx_done

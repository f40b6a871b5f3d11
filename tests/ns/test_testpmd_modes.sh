#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The daemon's other modes against DPDK's virtio-user (testpmd, macswap):
#   1. --poll with a VLAN access port: the peer speaks 802.1Q VLAN 10, the
#      guest sees untagged frames; untagged frames to the same MAC must not
#      reach the guest.
#   2. event mode with a guest that did not negotiate MRG_RXBUF (each frame
#      must fit one RX chain).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"

GMAC=52:54:00:00:00:30
N=${VX_TESTPMD_N:-1000}
SOCK=$VX_TMP/vm0.sock
PKT=$VX_BUILD/vx-pkt

command -v "$VX_TESTPMD" >/dev/null || vx_skip_all "no $VX_TESTPMD"
[ -x "$PKT" ] && [ -x "$VX_BUILD/vhost-xdpd" ] || vx_skip_all "not built (run make)"

cleanup() {
	vx_testpmd_stop_all
	vx_ns_teardown
	vx_huge_teardown
}
trap cleanup EXIT

guest_start() { # guest_start EXTRA-DEVARGS
	vx_testpmd_launch g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=1,mac=$GMAC$1" -- \
		--nb-cores=1 --forward-mode=macswap && vx_testpmd_ready g 30
}

# echo_via <vlan> <n> <description>: n frames (802.1Q <vlan>, 0 = untagged)
# to the guest must come back intact, in the same VLAN. The kernel here has
# no VLAN devices, so vx-pkt tags and untags itself.
echo_via() {
	local rpid rc v=()
	[ "$1" != 0 ] && v=(--vlan "$1")
	vx_testpmd_cmd g start
	vx_in_peer "$PKT" recv --dev "$VX_PEER" "${v[@]}" --src "$GMAC" --count "$2" --timeout 20 \
		>"$VX_TMP/recv.out" &
	rpid=$!
	sleep 0.5
	vx_in_peer "$PKT" send --dev "$VX_PEER" "${v[@]}" --dst "$GMAC" --count "$2" --rate 5000 >/dev/null
	wait $rpid
	rc=$?
	vx_diag "vx-pkt, vlan $1: $(cat "$VX_TMP/recv.out")"
	vx_ok $rc "$3: $2 frames to the guest came back intact"
	vx_testpmd_cmd g stop
}

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_huge_setup 1024 || { echo "Bail out! no hugepages"; exit 1; }

# --- 1. polling, VLAN 10 ---
vx_daemon_start --poll --port "name=vm0,socket=$SOCK,mac=$GMAC,vlan=10"
vx_wait_path "$SOCK" 10
guest_start ""
vx_ok $? "poll mode: testpmd connected"
echo_via 10 "$N" "poll mode, VLAN 10"
vx_check "poll+vlan: steer_redirect == $N" vx_stat_settled vm0 steer_redirect "$N"
vx_check "poll+vlan: rx_packets == tx_packets == $N" \
	bash -c "stat_ok() { [ \$(awk -v c=\$1 '\$1==\"vm0\" && \$2==c {print \$3}' $VX_TMP/stats) = $N ]; }; stat_ok rx_packets && stat_ok tx_packets"
# Untagged frames to the guest's MAC belong to another VLAN: not the guest's.
vx_testpmd_cmd g start
vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count 100 --rate 5000 >/dev/null
sleep 1.5
vx_testpmd_cmd g stop
vx_check "untagged frames to a VLAN port's MAC never reach it" vx_stat_settled vm0 rx_packets "$N"
vx_check "  ...they went to the host stack (steer_pass_host >= 100)" \
	bash -c "[ \$(awk '\$1==\"nic\" && \$2==\"steer_pass_host\" {print \$3}' $VX_TMP/stats) -ge 100 ]"
vx_testpmd_stop g
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "poll mode: clean exit"

# --- 2. event mode, no mergeable RX buffers ---
vx_daemon_start --port "name=vm0,socket=$SOCK,mac=$GMAC"
vx_wait_path "$SOCK" 10
guest_start ",mrg_rxbuf=0"
vx_ok $? "mrg_rxbuf=0: testpmd connected"
echo_via 0 "$N" "event mode without MRG_RXBUF"
vx_check "no-mrg: rx_packets == $N" vx_stat_settled vm0 rx_packets "$N"
vx_check "no-mrg: nothing dropped as too big" vx_stat_settled vm0 rx_drop_too_big 0
vx_testpmd_stop g
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "event mode: clean exit"
vx_done

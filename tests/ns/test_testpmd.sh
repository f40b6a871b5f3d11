#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DPDK's dpdk-testpmd plays the guest: a virtio-user front-end on the
# daemon's vhost-user socket. The veth pair plays the NIC; vx-pkt in the peer
# namespace plays the rest of the network.
#
#   wire -> guest -> wire   testpmd in macswap mode echoes vx-pkt's frames
#   guest -> wire           testpmd txonly
#   client mode             testpmd's virtio-user is the socket server,
#                           the daemon connects, and reconnects after a restart
#
# VX_BACKEND=dpdk runs the same test against DPDK's own vhost PMD plus its
# AF_XDP PMD instead of vhost-xdpd, to check the test itself.
# VX_DAEMON_ARGS adds daemon options (e.g. -v); VX_KEEP_TMP=1 keeps the logs.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"

GMAC=52:54:00:00:00:10
N=${VX_TESTPMD_N:-2000}
RATE=${VX_TESTPMD_RATE:-10000}
SOCK=$VX_TMP/vm0.sock
PKT=$VX_BUILD/vx-pkt
BACKEND=${VX_BACKEND:-vhost-xdpd}

command -v "$VX_TESTPMD" >/dev/null || vx_skip_all "no $VX_TESTPMD"
[ -x "$PKT" ] || vx_skip_all "no $PKT (run make)"
[ "$BACKEND" = dpdk ] || [ -x "$VX_BUILD/vhost-xdpd" ] || vx_skip_all "no vhost-xdpd (run make)"

cleanup() {
	vx_testpmd_stop_all
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
	vx_huge_teardown
}
trap cleanup EXIT

# The guest: one virtio-user port, forwarding on lcore 0, the prompt on 1.
guest_launch() { # guest_launch EXTRA-DEVARGS
	vx_testpmd_launch g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=1,mac=$GMAC$1" -- \
		--nb-cores=1 --forward-mode=macswap --eth-peer="0,$BMAC"
}

backend_start() { # backend_start server|client
	if [ "$BACKEND" = dpdk ]; then
		local client=
		[ "$1" = client ] && client=,client=1
		vx_testpmd_start be "$VX_HNS" -l 0,1 --main-lcore 0 --no-pci \
			--single-file-segments --vdev "net_vhost0,iface=$SOCK$client" \
			--vdev net_af_xdp0,iface="$VX_NIC" -- --nb-cores=1 --forward-mode=io &&
			vx_testpmd_cmd be start
		return
	fi
	# shellcheck disable=SC2086 # VX_DAEMON_ARGS: extra options, e.g. -v
	vx_daemon_start --port "name=vm0,socket=$SOCK,mac=$GMAC,mode=$1" ${VX_DAEMON_ARGS:-}
	[ "$1" = client ] || vx_wait_path "$SOCK" 10
}

backend_stop() {
	if [ "$BACKEND" = dpdk ]; then
		vx_testpmd_stop be
		return 0
	fi
	vx_daemon_stop
	[ "${VX_DAEMON_RC:-1}" -eq 0 ]
}

# The daemon's counters only move forward; tests compare differences.
stat_mark() {
	[ -f "$VX_TMP/stats" ] || return 0
	vx_stat_mark "vm0 rx_packets" "vm0 tx_packets" "vm0 steer_redirect" "nic rx_frames" \
		"nic tx_frames"
}

# check_stat <object> <counter> <expected increase>; the file is rewritten
# every second, so give it three.
check_stat() {
	local got i
	if [ "$BACKEND" = dpdk ]; then
		vx_skip "daemon $1 $2 == $3" "DPDK stand-in"
		return
	fi
	for ((i = 0; i < 30; i++)); do
		got=$(vx_stat_delta "$1" "$2" 2>/dev/null)
		[ "$got" -eq "$3" ] && break
		sleep 0.1
	done
	[ "$got" -eq "$3" ] || vx_diag "$1 $2 went up by $got"
	vx_ok $((got != $3)) "daemon $1 $2 went up by $3"
}

check_tp_stat() { # check_tp_stat <field> <expected>
	local got
	got=$(vx_testpmd_stat g 0 "$1")
	[ "${got:-x}" = "$2" ] || vx_diag "testpmd port 0 $1: ${got:-none}"
	vx_ok $(("${got:-0}" != $2)) "testpmd port 0 $1 == $2"
}

# Sends n frames from the peer to the guest; the guest swaps the MACs and
# sends them back; all n must come back intact.
echo_round() { # echo_round <n> <description>
	local out rc
	vx_testpmd_cmd g "clear port stats all"
	vx_testpmd_cmd g "set fwd macswap"
	vx_testpmd_cmd g start
	stat_mark
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$GMAC" --count "$1" --timeout 20 \
		>"$VX_TMP/recv.out" &
	local rpid=$!
	sleep 0.5
	vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count "$1" --rate "$RATE" >/dev/null
	wait $rpid
	rc=$?
	out=$(cat "$VX_TMP/recv.out")
	vx_diag "vx-pkt: $out"
	vx_ok $rc "$2: $1 frames went to the guest and came back intact"
	vx_testpmd_cmd g stop
	check_tp_stat RX-packets "$1"
	check_tp_stat TX-packets "$1"
	check_stat vm0 steer_redirect "$1"
	check_stat nic rx_frames "$1"
	check_stat vm0 rx_packets "$1"
	check_stat vm0 tx_packets "$1"
	check_stat nic tx_frames "$1"
}

peer_rx() { vx_in_peer cat /sys/class/net/"$VX_PEER"/statistics/rx_packets; }

# testpmd txonly floods the wire for a second; everything it managed to
# queue must reach the peer, and the daemon must have counted it. At this
# rate a packet socket would drop, so the peer's own counter is the witness
# (IPv6 is off: nothing else arrives there).
txonly_round() {
	local sent got before
	vx_testpmd_cmd g "clear port stats all"
	vx_testpmd_cmd g "set fwd txonly"
	stat_mark
	before=$(peer_rx)
	vx_testpmd_cmd g start
	sleep 1
	vx_testpmd_cmd g stop
	sleep 0.5
	sent=$(vx_testpmd_stat g 0 TX-packets)
	got=$(($(peer_rx) - before))
	vx_diag "testpmd sent ${sent:-?}, the peer received $got"
	vx_ok $((${sent:-0} == 0)) "txonly: testpmd sent frames"
	vx_ok $((got != ${sent:-0})) "txonly: the peer received every frame testpmd sent"
	check_stat vm0 tx_packets "${sent:-0}"
	check_stat nic tx_frames "${sent:-0}"
}

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
# No IPv6 chatter (router solicitations, DAD) among the counted frames.
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_huge_setup 1024 || { echo "Bail out! no hugepages"; exit 1; }
vx_diag "back-end: $BACKEND, $N frames at $RATE pps"

# --- the daemon is the vhost-user server ---
backend_start server
vx_ok $? "server mode: back-end up, socket $SOCK exists"
guest_launch ""
vx_testpmd_ready g 30
vx_ok $? "server mode: testpmd (virtio-user) connected"
vx_testpmd_link_up g
vx_ok $? "server mode: guest link is up"
echo_round "$N" "server mode"
txonly_round
vx_testpmd_stop g
backend_stop
vx_ok $? "server mode: back-end exited cleanly on SIGTERM"

# --- the daemon is the client: testpmd's virtio-user owns the socket ---
rm -f "$SOCK"
guest_launch ",server=1"
vx_wait_path "$SOCK" 30
vx_ok $? "client mode: testpmd created $SOCK"
backend_start client
vx_testpmd_ready g 30
vx_ok $? "client mode: the back-end connected to testpmd"
vx_testpmd_link_up g
vx_ok $? "client mode: guest link is up"
echo_round "$((N / 2))" "client mode"

backend_stop
backend_start client
sleep 2
vx_testpmd_link_up g
vx_ok $? "client mode: guest link is up again after a back-end restart"
echo_round "$((N / 2))" "client mode, after reconnect"
vx_testpmd_stop g
backend_stop
vx_ok $? "client mode: back-end exited cleanly on SIGTERM"

if [ "$BACKEND" != dpdk ] && [ -s "$VX_TMP/daemon.log" ]; then
	vx_diag "daemon log (last 20 lines):"
	tail -n 20 "$VX_TMP/daemon.log" | sed 's/^/#   /'
fi
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Multiqueue (VIRTIO_NET_F_MQ) with DPDK's virtio-user as the guest, on a
# 4-queue veth "NIC" served by two workers (user/worker.h):
#
#   worker 0: NIC queues 0, 2 and the guest's queue pairs 0, 2
#   worker 1: NIC queues 1, 3 and the guest's queue pairs 1, 3
#
# XPS on the peer pins what each CPU sends to one veth queue, so frames sent
# from CPU 0 arrive on NIC queue 0 and frames from CPU 1 on queue 1.
#
#   two pairs    wire queue q -> guest RX queue q -> guest TX queue q -> wire,
#                every frame back intact, each worker doing its own half
#   guest TX     testpmd txonly on both queues; every frame reaches the peer
#   one pair     the guest runs fewer pairs than there are workers: worker 1
#                delivers into pair 0, which worker 0 owns (a shared pair,
#                locked); a concurrent flood from both CPUs must come back
#                with no frame corrupted or duplicated
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"

GMAC=52:54:00:00:00:30
N=${VX_MQ_N:-1000}
SOCK=$VX_TMP/vm0.sock
PKT=$VX_BUILD/vx-pkt
export VX_NIC_QUEUES=4

command -v "$VX_TESTPMD" >/dev/null || vx_skip_all "no $VX_TESTPMD"
[ -x "$PKT" ] && [ -x "$VX_BUILD/vhost-xdpd" ] || vx_skip_all "run make first"
[ "$(nproc)" -ge 2 ] || vx_skip_all "needs two CPUs for two NIC queues"

cleanup() {
	vx_testpmd_stop_all
	vx_ns_teardown
	vx_huge_teardown
}
trap cleanup EXIT

guest_launch() { # guest_launch QUEUES
	local cq=
	[ "$1" -gt 1 ] && cq=,cq=1
	vx_testpmd_launch g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=$1$cq,mac=$GMAC" -- \
		--nb-cores=1 --rxq="$1" --txq="$1" --forward-mode=macswap &&
		vx_testpmd_ready g 30
}

# Every frame the peer sends from CPU c leaves on veth queue c.
xps_pin() {
	local q mask
	for ((q = 0; q < VX_NIC_QUEUES; q++)); do
		mask=0
		[ "$q" -lt 2 ] && mask=$((1 << q))
		vx_in_peer sh -c "echo $mask > /sys/class/net/$VX_PEER/queues/tx-$q/xps_cpus" ||
			return 1
	done
}

xstat() { # xstat NAME: one counter of "show port xstats 0"
	vx_testpmd_query g "show port xstats 0" | awk -v k="$1:" '$1 == k { print $2 }' | tail -n 1
}

stat_mark() {
	vx_stat_mark "worker0 rx_frames" "worker1 rx_frames" "worker0 tx_frames" "worker1 tx_frames" \
		"vm0 rx_packets" "vm0 tx_packets" "vm0 rx_drop_no_buffer" "vm0 queue_broken" \
		"nic rx_drop_kernel" "nic tx_drop_no_frame" "nic tx_frames" "nic rx_frames"
}

stats_settle() { sleep 1.2; } # the stats file is rewritten every second

# Sends n frames from CPU 0 and n from CPU 1 (disjoint sequence numbers) and
# waits for all 2n to come back. rate: per sender.
echo_both() { # echo_both N RATE [TIMEOUT]
	local rpid spid rc
	vx_testpmd_cmd g "clear port xstats 0"
	vx_testpmd_cmd g "set fwd macswap"
	vx_testpmd_cmd g start
	sleep 0.3
	stat_mark
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$GMAC" --count $((2 * $1)) --timeout "${3:-30}" \
		>"$VX_TMP/recv.out" 2>"$VX_TMP/recv.err" &
	rpid=$!
	sleep 0.5
	vx_in_peer taskset -c 0 "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count "$1" \
		--rate "$2" >/dev/null &
	spid=$!
	vx_in_peer taskset -c 1 "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count "$1" \
		--rate "$2" --first "$1" >/dev/null
	wait $spid
	wait $rpid
	rc=$?
	vx_diag "vx-pkt: $(cat "$VX_TMP/recv.out") $(head -c 300 "$VX_TMP/recv.err")"
	vx_testpmd_cmd g stop
	stats_settle
	return $rc
}

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_huge_setup 1024 || { echo "Bail out! no hugepages"; exit 1; }
vx_check "XPS on the peer: CPU 0 -> queue 0, CPU 1 -> queue 1" xps_pin

vx_daemon_start --workers 2 --port "name=vm0,socket=$SOCK,mac=$GMAC,queues=4"
vx_wait_path "$SOCK" 10
vx_ok $? "daemon up on a 4-queue NIC"
grep -q "4 queues, 2 workers" "$VX_TMP/daemon.log"
vx_ok $? "  ... with two workers"
vx_diag "$(grep -m1 workers "$VX_TMP/daemon.log")"

# --- two queue pairs: each worker serves its own NIC queue and guest pair ---
guest_launch 2
vx_ok $? "testpmd with 2 queue pairs (virtio-user queues=2,cq=1) connected"
vx_testpmd_link_up g
vx_ok $? "  ... guest link is up"
echo_both "$N" 5000
vx_ok $? "2 pairs: $N frames from each of two NIC queues came back intact"
q0=$(xstat rx_q0_good_packets)
q1=$(xstat rx_q1_good_packets)
vx_diag "guest rx_q0_good_packets ${q0:-?} rx_q1_good_packets ${q1:-?}"
vx_ok $((${q0:-0} != N || ${q1:-0} != N)) "  ... NIC queue 0 fed guest RX queue 0 and queue 1 fed RX queue 1"
for w in 0 1; do
	r=$(vx_stat_delta worker$w rx_frames)
	t=$(vx_stat_delta worker$w tx_frames)
	vx_diag "worker$w: rx_frames +$r tx_frames +$t"
	vx_ok $((r != N || t != N)) "  ... worker $w took $N frames from its NIC queue and sent $N back"
done
vx_ok "$(vx_stat_delta vm0 queue_broken)" "  ... no queue broken"

# Guest TX on both queues: whatever testpmd sent reaches the peer.
before=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/statistics/rx_packets)
vx_testpmd_cmd g "clear port stats all"
vx_testpmd_cmd g "set fwd txonly"
stat_mark
vx_testpmd_cmd g start
sleep 1
vx_testpmd_cmd g stop
sleep 0.5
sent=$(vx_testpmd_stat g 0 TX-packets)
got=$(($(vx_in_peer cat /sys/class/net/"$VX_PEER"/statistics/rx_packets) - before))
stats_settle
t0=$(vx_stat_delta worker0 tx_frames)
t1=$(vx_stat_delta worker1 tx_frames)
vx_diag "txonly: testpmd sent ${sent:-?}, the peer got $got; worker0 +$t0, worker1 +$t1"
vx_ok $((${sent:-0} == 0 || got != ${sent:-0})) "2 pairs, guest TX: the peer received every frame testpmd sent"
vx_ok $((t0 == 0 || t1 == 0 || t0 + t1 != ${sent:-0})) "  ... both workers sent, from their own queue pair"
vx_testpmd_stop g

# --- one queue pair on two workers: pair 0 is shared ---
guest_launch 1
vx_ok $? "testpmd with 1 queue pair connected to the same port"
vx_testpmd_link_up g
vx_ok $? "  ... guest link is up"
echo_both "$N" 5000
vx_ok $? "1 pair: $N frames from each of two NIC queues came back intact"
q0=$(xstat rx_q0_good_packets)
vx_ok $((${q0:-0} != 2 * N)) "  ... all $((2 * N)) in guest RX queue 0 (got ${q0:-?})"
r1=$(vx_stat_delta worker1 rx_frames)
vx_ok $((r1 != N)) "  ... worker 1 delivered its $N into the pair worker 0 owns (+$r1)"
# Both workers write the one RX ring at full speed: a lost lock would show
# as a corrupted, duplicated or lost frame, or a broken queue.
echo_both 20000 50000 10
rc=$?
read -r _ recvd _ ok _ bad <"$VX_TMP/recv.out"
# Every frame that did not come back is counted somewhere: no guest buffer,
# the kernel's AF_XDP rings (before the daemon saw it), no UMEM frame for TX.
nob=$(vx_stat_delta vm0 rx_drop_no_buffer)
kdrop=$(vx_stat_delta nic rx_drop_kernel)
nof=$(vx_stat_delta nic tx_drop_no_frame)
drops=$((nob + kdrop + nof))
vx_diag "flood: nic rx_frames +$(vx_stat_delta nic rx_frames), vm0 rx_packets +$(vx_stat_delta vm0 rx_packets), vm0 tx_packets +$(vx_stat_delta vm0 tx_packets), nic tx_frames +$(vx_stat_delta nic tx_frames)"
vx_diag "flood: received ${recvd:-?} ok ${ok:-?} bad ${bad:-?}; daemon rx_drop_no_buffer +$nob, nic rx_drop_kernel +$kdrop, tx_drop_no_frame +$nof"
vx_ok $((${bad:-1} != 0)) "1 pair, flood from both queues: no frame corrupted or duplicated"
# What the guest itself does not echo (testpmd drops when its TX ring is
# full) is its own, and so is what the peer's packet socket loses at this
# rate (vx-pkt recv): the daemon must account for every frame it was handed.
rxf=$(vx_stat_delta nic rx_frames)
rxp=$(vx_stat_delta vm0 rx_packets)
txf=$(vx_stat_delta nic tx_frames)
vx_ok $((rxf < 40000 * 9 / 10 || rxp + drops != rxf)) \
	"  ... every frame the daemon took ($rxf) delivered ($rxp) or counted as dropped ($drops)"
vx_diag "flood: the guest sent back $txf frames through the daemon, the peer's socket got ${ok:-0}"
vx_ok "$(vx_stat_delta vm0 queue_broken)" "  ... no queue broken"
vx_testpmd_cmd g start
vx_testpmd_link_up g && echo_both 200 2000
vx_ok $? "  ... and the port still echoes afterwards"
vx_testpmd_stop g

vx_daemon_stop
vx_ok "${VX_DAEMON_RC:-1}" "daemon exited cleanly on SIGTERM"
vx_done

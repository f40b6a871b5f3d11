#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Instructions per packet of the back-end's forwarding loop, counted by
# valgrind --tool=callgrind: a cost figure that does not depend on how busy
# this (noisy, 2-core) machine is, unlike a packet rate.
#
#   a  vhost-xdpd: Ir inclusive of worker_main (the NIC's worker thread,
#      --toggle-collect=worker_main), user space only
#   d  the same with --port ...,queue=dedicated (guest memory as the UMEM)
#   b  dpdk-testpmd net_vhost0 + net_af_xdp0, io forwarding, under valgrind
#      with --no-huge (anonymous memory; only the guest's memory must be
#      shared): Ir of the forwarding lcore's thread (--separate-threads=yes;
#      the thread that called rte_vhost_dequeue_burst / rte_vhost_enqueue_burst)
#
#   g2w  guest (dpdk-testpmd virtio-user, txonly) -> back-end -> vxa -> vxb;
#        packets = frames the back-end put on the NIC (a: nic tx_frames,
#        b: TX-packets of the af_xdp port)
#   w2g  peer (dpdk-testpmd net_af_xdp on vxb, txonly) -> vxa -> back-end ->
#        guest (rxonly); packets = frames the guest received
#
# The offered load saturates the back-end (under valgrind it forwards some
# 100 kpps), so the figure is the cost per packet of the loop when busy;
# the kernel's share (AF_XDP copy, veth) is not in it. Valgrind runs on
# CPU 1 (taskset), the guest's and the peer's forwarding lcores on CPU 0.
# Kernel instructions are not counted: compare with tests/bench/ceiling.sh.
#
#   tests/bench/callgrind.sh [--time S] [--systems adb] [--sizes "64 1518"] [--cases g2w,w2g]
#
# Output: one line per case on stdout, "a instr_g2w_64 <Ir per packet>";
# progress on stderr. Each case takes well under a minute. With VX_KEEP_TMP=1
# the callgrind files stay in the printed directory (callgrind_annotate).
# VX_VXD=PATH measures another vhost-xdpd build (default build/vhost-xdpd);
# VX_VXD_ARGS adds daemon options. Run it under /tmp/vx-cpu.lock all the
# same: the guest's lcore must have CPU 0 to itself (docs/machine-notes.md).
set -uo pipefail

TRAFFIC=3
SYSTEMS=adb
SIZES="64 1518"
CASES=g2w,w2g
while [ $# -gt 0 ]; do
	case $1 in
	--time) TRAFFIC=$2; shift ;;
	--systems) SYSTEMS=$2; shift ;;
	--sizes) SIZES=$2; shift ;;
	--cases) CASES=$2; shift ;;
	-h | --help) sed -n '3,33p' "$0"; exit 0 ;;
	*) echo "callgrind.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[[ "$TRAFFIC" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "callgrind.sh: --time takes seconds" >&2; exit 2; }
[[ "$SYSTEMS" =~ ^[adb]+$ ]] || { echo "callgrind.sh: --systems takes letters from adb" >&2; exit 2; }
[[ "$SIZES" =~ ^[0-9\ ]+$ ]] || { echo "callgrind.sh: --sizes takes frame sizes" >&2; exit 2; }
[[ ",$CASES," =~ ^(,(g2w|w2g))+,$ ]] || { echo "callgrind.sh: --cases takes g2w,w2g" >&2; exit 2; }

# After the checks above: ns.sh makes the run's temporary directory.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"

GMAC=52:54:00:00:00:10
SOCK=$VX_TMP/vm0.sock
VXD=${VX_VXD:-$VX_BUILD/vhost-xdpd}
VG_CPU=1
BE_PID=

for t in valgrind callgrind_annotate "$VX_TESTPMD" taskset; do
	command -v "$t" >/dev/null || { echo "callgrind.sh: $t not found" >&2; exit 1; }
done
[ -x "$VXD" ] || { echo "callgrind.sh: $VXD not built (run make)" >&2; exit 1; }

cleanup() {
	[ -n "$BE_PID" ] && kill -KILL "$BE_PID" 2>/dev/null
	vx_testpmd_stop_all
	vx_ns_teardown
	vx_huge_teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "callgrind: $*" >&2; }

# Waits up to SECONDS for a child to exit, then kills it.
wait_gone() { # wait_gone PID SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		log "pid $1 still running after $2 s; killed (no callgrind output)"
		kill -KILL "$1" 2>/dev/null
	fi
	wait "$1" 2>/dev/null
}

# One counter from "show port stats PORT" of a testpmd: tp_stat NAME PORT FIELD
tp_stat() { vx_testpmd_stat "$1" "$2" "$3"; }

per_packet() { # per_packet IR PACKETS
	awk -v i="${1:-0}" -v p="${2:-0}" 'BEGIN { if (p > 0 && i > 0) printf "%d", i / p + 0.5; else print "-" }'
}

# --- the guest and the peer (natively, not under valgrind) ------------

guest_start() { # guest_start FWD-MODE SIZE
	vx_testpmd_start g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=1,queue_size=1024,mac=$GMAC" -- \
		--nb-cores=1 --total-num-mbufs=16384 --forward-mode="$1" || return 1
	local i
	for ((i = 0; i < 100; i++)); do
		vx_testpmd_query g "show port info 0" | grep -q 'Link status: up' && break
		sleep 0.2
	done
	vx_testpmd_cmd g "set txpkts $(($2 - 4))"
}

# The peer's forwarding lcore shares CPU 1 with valgrind, not CPU 0 with the
# guest: a guest that loses its core for a time slice runs out of RX buffers,
# and the back-end's drops would be counted in its cost. Instruction counts
# do not depend on how the CPU time is shared, only on the batches.
peer_start() { # peer_start SIZE: txonly to the guest's MAC
	vx_testpmd_start p "$VX_PNS" -l 0,1 --main-lcore 0 --no-pci --single-file-segments \
		--vdev "net_af_xdp1,iface=$VX_PEER" -- --nb-cores=1 --total-num-mbufs=16384 \
		--forward-mode=txonly --eth-peer="0,$GMAC" || return 1
	vx_testpmd_cmd p "set txpkts $(($1 - 4))"
}

# --- a: vhost-xdpd ------------------------------------------------------

a_start() { # a_start OUT SYS
	local q=
	[ "$2" = d ] && q=,queue=dedicated
	# shellcheck disable=SC2086 # VX_VXD_ARGS is a list of options
	taskset -c "$VG_CPU" nsenter --net="/run/netns/$VX_HNS" valgrind --tool=callgrind \
		--toggle-collect=worker_main --callgrind-out-file="$1" \
		"$VXD" --nic "$VX_NIC" --socket-dir "$VX_TMP" --port "name=vm0,socket=$SOCK,mac=$GMAC$q" \
		--stats-file "$VX_TMP/stats" ${VX_VXD_ARGS:-} 2>"$VX_TMP/valgrind-a.log" &
	BE_PID=$!
	vx_wait_path "$SOCK" 30
}

# After a crash the steering program stays on the NIC and the next
# back-end could not attach: --cleanup removes it (a no-op after a clean exit).
a_stop() {
	local rc
	kill -TERM "$BE_PID" 2>/dev/null
	wait_gone "$BE_PID" 30
	rc=$?
	BE_PID=
	[ "$rc" = 0 ] || log "a: vhost-xdpd exited with status $rc: $(grep -v '^==' "$VX_TMP/valgrind-a.log" | tail -n 2)"
	nsenter --net="/run/netns/$VX_HNS" "$VXD" --cleanup --nic "$VX_NIC" >/dev/null 2>&1
	return 0
}

# Inclusive Ir of worker_main in vhost-xdpd (the only thing collected).
a_ir() { # a_ir OUT
	callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
		awk '/:worker_main \[.*vhost-xdpd\]/ { gsub(",", "", $1); print $1; exit }'
}

a_case() { # a_case CASE SIZE [SYS]
	local case=$1 size=$2 sys=${3:-a} out=$VX_TMP/callgrind-${3:-a}-$1-$2.out ir pkts
	rm -f "$VX_TMP/stats"
	a_start "$out" "$sys" ||
		{ log "$sys: vhost-xdpd did not come up: $(tail -n 3 "$VX_TMP/valgrind-a.log")"; return 1; }
	if [ "$case" = g2w ]; then
		guest_start txonly "$size" || return 1
		vx_testpmd_cmd g start
		sleep "$TRAFFIC"
		vx_testpmd_cmd g stop
		sleep 1
	else
		guest_start rxonly "$size" && peer_start "$size" || return 1
		vx_testpmd_cmd g start
		vx_testpmd_cmd p start
		sleep "$TRAFFIC"
		vx_testpmd_cmd p stop
		sleep 1
		pkts=$(tp_stat g 0 RX-packets)
	fi
	a_stop
	# The daemon's port counters in its last stats file are written after the
	# ports are freed; the NIC's are not, and the guest's are its own.
	[ "$case" = g2w ] && pkts=$(vx_stat nic tx_frames)
	# w2g: frames read from the socket but not delivered (no guest buffer)
	# cost instructions too; the log says how many, as the figure depends on it.
	log "$sys $case $size B: guest TX-packets $(tp_stat g 0 TX-packets)," \
		"RX-packets $(tp_stat g 0 RX-packets); nic tx_frames $(vx_stat nic tx_frames)," \
		"rx_frames $(vx_stat nic rx_frames)"
	vx_testpmd_stop_all
	ir=$(a_ir "$out")
	log "$sys $case $size B: worker_main Ir $ir over $pkts packets"
	echo "$sys instr_${case}_$size $(per_packet "$ir" "$pkts")"
}

d_case() { a_case "$1" "$2" d; }

# --- b: dpdk-testpmd as the back-end, under valgrind -------------------

b_wrapper() { # b_wrapper OUT-PREFIX: a testpmd that vx_testpmd_launch can run
	cat >"$VX_TMP/vg-testpmd" <<-EOF
		#!/bin/sh
		exec taskset -c $VG_CPU valgrind --tool=callgrind --separate-threads=yes \\
			--callgrind-out-file=$1.%p $(command -v "$VX_TESTPMD") "\$@"
	EOF
	chmod +x "$VX_TMP/vg-testpmd"
}

# --no-flush-rx: else "start" drains the rings from the main thread first.
b_start() { # b_start OUT-PREFIX
	b_wrapper "$1"
	VX_TESTPMD=$VX_TMP/vg-testpmd vx_testpmd_start be "$VX_HNS" -l 0,1 --main-lcore 0 \
		--no-huge -m 512 --no-pci --vdev "net_vhost0,iface=$SOCK" \
		--vdev "net_af_xdp0,iface=$VX_NIC" -- --nb-cores=1 --total-num-mbufs=16384 \
		--forward-mode=io --no-flush-rx || return 1
	BE_PID=${_vx_tp_pid[be]}
}

# quit, and EOF on its stdin; wait for valgrind to write the profiles.
b_stop() {
	local fd=${_vx_tp_fd[be]}
	echo quit >&"$fd"
	exec {fd}>&-
	wait_gone "$BE_PID" 60
	BE_PID=
	unset "_vx_tp_pid[be]" "_vx_tp_fd[be]"
	rm -f "$VX_TMP/testpmd-be.in"
	rm -rf "/var/run/dpdk/vx-$VX_ID-be"
}

# Ir of the forwarding lcore: the one thread whose profile has the vhost burst calls.
b_ir() { # b_ir OUT-PREFIX
	local f best=0 ir
	for f in "$1".*; do
		grep -q 'rte_vhost_\(de\|en\)queue_burst' "$f" || continue
		ir=$(awk '$1 == "totals:" || $1 == "summary:" { print $2; exit }' "$f")
		[ "${ir:-0}" -gt "$best" ] && best=$ir
	done
	[ "$best" -gt 0 ] && echo "$best"
}

b_case() { # b_case CASE SIZE
	local case=$1 size=$2 out=$VX_TMP/callgrind-b-$1-$2 ir pkts port
	b_start "$out" || { log "b: testpmd under valgrind did not come up"; return 1; }
	# The back-end forwards only while the ring it reads is already full:
	# no idle polling in the count.
	if [ "$case" = g2w ]; then
		port=1
		guest_start txonly "$size" || return 1
		vx_testpmd_cmd g start
	else
		port=0
		guest_start rxonly "$size" && peer_start "$size" || return 1
		vx_testpmd_cmd g start
		vx_testpmd_cmd p start
	fi
	sleep 0.5
	vx_testpmd_cmd be start
	sleep "$TRAFFIC"
	vx_testpmd_query be stop >"$VX_TMP/be-stop.txt"
	pkts=$(tp_stat be "$port" TX-packets)
	log "b $case $size B: back-end port $port TX-packets $pkts, dropped" \
		"$(awk -v p="port $port" '$0 ~ "statistics for " p { f = 1 }
			f && /TX-dropped/ { print $4; exit }' "$VX_TMP/be-stop.txt");" \
		"guest TX-packets $(tp_stat g 0 TX-packets), RX-packets $(tp_stat g 0 RX-packets)"
	b_stop
	vx_testpmd_stop_all
	ir=$(b_ir "$out")
	log "b $case $size B: forwarding lcore Ir ${ir:-?} over $pkts packets"
	echo "b instr_${case}_$size $(per_packet "$ir" "$pkts")"
}

# --- main ---------------------------------------------------------------

vx_huge_setup 512 || { echo "callgrind.sh: no hugepages" >&2; exit 1; }
vx_ns_setup || { echo "callgrind.sh: namespace setup failed" >&2; exit 1; }
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
log "files in $VX_TMP"
rc=0
for s in $(grep -o . <<<"$SYSTEMS"); do
	for size in $SIZES; do
		for c in g2w w2g; do
			[[ ",$CASES," == *",$c,"* ]] || continue
			"${s}_case" "$c" "$size" || { log "$s $c $size failed; logs in $VX_TMP"; rc=1; }
			vx_testpmd_stop_all
			[ -n "$BE_PID" ] && { kill -KILL "$BE_PID" 2>/dev/null; BE_PID=; }
			# Whatever a killed process left on our veth goes with it.
			vx_in_host ip link set "$VX_NIC" xdp off
			vx_in_peer ip link set "$VX_PEER" xdp off
			rm -f "$SOCK"
		done
	done
done
exit $rc

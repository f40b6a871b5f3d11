#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark: vhost-xdpd against the back-ends people would use instead,
# in one run, with the same traffic and the same core placement.
#
#   a  vhost-xdpd                          vhost-user -> AF_XDP on the "NIC"
#   d  vhost-xdpd --port ...,queue=dedicated  the same, guest memory as the UMEM
#                                          (RX written in place, TX copied)
#   p  vhost-xdpd --poll                   busy-polling like DPDK (latency with
#                                          the CPU of a polling back-end)
#   b  dpdk-testpmd net_vhost + net_af_xdp vhost-user -> AF_XDP, DPDK's design
#   c  dpdk-testpmd net_vhost + net_tap    vhost-user -> tap, bridged to the NIC
#   x  a bare AF_XDP socket (vx-xskgen, tests/bench/ceiling.sh): no guest, no
#      back-end; the most any AF_XDP back-end can reach on this veth. For the
#      latency case, x is the floor of event mode instead: two wake-ups of a
#      sleeping thread across CPUs 0 and 1 (vx-wakelat), what an event-mode
#      back-end pays per round trip on top of a polling one
#
# Then, once (the count is repeatable), instructions per packet of each
# back-end's forwarding loop under valgrind (tests/bench/callgrind.sh).
#
# The "NIC" is the veth vxa (host namespace) <-> vxb (peer namespace) of
# tests/lib/ns.sh. The guest is DPDK's virtio-user front-end in dpdk-testpmd.
#
#   g2w  the guest testpmd sends (txonly); an XDP program on vxb counts and
#        drops what arrives (sink.bpf.c): one process on CPU 0
#   w2g  ONE testpmd on CPU 0 is both the wire and the guest, so that no two
#        polling processes time-slice CPU 0: net_pcap replays one frame
#        (vx-pkt pcap, to the guest's MAC) into net_af_xdp on vxb, and
#        virtio_user passes what it receives to net_null (io forwarding,
#        paired ports). The rate is the virtio_user port's Rx-pps
#   pvp  the same process: net_pcap -> net_af_xdp on vxb -> back-end ->
#        virtio_user, which sends every frame back (macswap, the port paired
#        with itself) -> back-end -> vxb, where the sink (sink-xsk.bpf.o,
#        which net_af_xdp loads as its xdp_prog) counts and drops it. The
#        rate is the sink's count: what came back to the wire
#   lat  vx-pkt ping on a packet socket of vxb, vx-guest echo as the guest
#        (latency, CPU at a fixed rate)
#
# Cores: the back-end gets CPU 1 to itself (taskset / EAL -l); the guest /
# wire process's forwarding lcore has CPU 0. The output says so.
#
#   tests/bench/bench.sh [--runs N] [--time S] [--systems adpbcx] [--cases LIST] [--smoke]
#                        [--no-callgrind] [--out FILE]
#
# --cases: a comma-separated subset of g2w,w2g,pvp,lat (default: all).
# VX_BENCH_PERF=DIR: also record a cpu-clock profile of the back-end's core
# for each throughput case into DIR/<system>-<case>.data (perf report -i).
#
# --smoke: one run, short windows, 64-byte frames only, one callgrind case:
# checks that every piece works (CI, tests/ns/test_bench_smoke.sh), not a
# measurement. The table goes to stdout and to --out.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/report.sh"
. "$(dirname "${BASH_SOURCE[0]}")/ceiling.sh"
# ns.sh made a VX_TMP when sourced; each system makes its own.
rmdir "$VX_TMP" 2>/dev/null

RUNS=5
WINDOW=2
SYSTEMS=adpbcx
SMOKE=0
CALLGRIND=1
OUT=$VX_BUILD/bench/results.md
CPU_RATE=20000
PING_N=2000
SIZES=(64 1518)
CASES=g2w,w2g,pvp,lat
GUEST=$VX_BUILD/vx-guest
SINK=$VX_BUILD/bench/sink.bpf.o
SINK_XSK=$VX_BUILD/bench/sink-xsk.bpf.o
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--time) WINDOW=$2; shift ;;
	--systems) SYSTEMS=$2; shift ;;
	--cases) CASES=$2; shift ;;
	--out) OUT=$2; shift ;;
	--smoke) SMOKE=1 ;;
	--no-callgrind) CALLGRIND=0 ;;
	-h | --help) sed -n '3,52p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
CG_SIZES=(64 1518)
CG_CASES=g2w,w2g
CG_TIME=3
if [ "$SMOKE" = 1 ]; then
	RUNS=1
	WINDOW=0.5
	PING_N=200
	CPU_RATE=5000
	CG_SIZES=(64)
	CG_CASES=g2w
	CG_TIME=1
	SIZES=(64)
fi
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs must be a positive integer" >&2; exit 2; }
[[ "$SYSTEMS" =~ ^[abcdpx]+$ ]] || { echo "bench.sh: --systems takes letters from abcdpx" >&2; exit 2; }
[[ ",$CASES," =~ ^(,(g2w|w2g|pvp|lat))+,$ ]] ||
	{ echo "bench.sh: --cases takes a comma-separated list of g2w,w2g,pvp,lat" >&2; exit 2; }
want_case() { [[ ",$CASES," == *",$1,"* ]]; }

GMAC=52:54:00:00:00:10
SOCK=$VX_TMP/vm0.sock
PKT=$VX_BUILD/vx-pkt
VXD=$VX_BUILD/vhost-xdpd
# "system case value" lines, one per measurement (VX_TMP is removed with each system's namespaces).
RAW=$(mktemp /tmp/vx-bench-raw.XXXXXX)
BE_CPU=1	# the back-end's core
: >"$RAW"

for t in "$VX_TESTPMD" taskset; do
	command -v "$t" >/dev/null || { echo "bench.sh: $t not found (run tools/install-deps.sh)" >&2; exit 1; }
done
for t in "$PKT" "$VXD" "$GUEST" "$VX_BUILD/vx-wakelat"; do
	[ -x "$t" ] || { echo "bench.sh: $t not built (run make)" >&2; exit 1; }
done
for t in "$SINK" "$SINK_XSK"; do
	[ -f "$t" ] || { echo "bench.sh: $t not built (run make)" >&2; exit 1; }
done
for t in net_pcap net_null net_af_xdp net_virtio; do
	ls /usr/lib/*/dpdk/pmds-*/librte_"$t".so* >/dev/null 2>&1 ||
		{ echo "bench.sh: DPDK's $t driver is missing (run tools/install-deps.sh)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "bench.sh: needs 2 CPUs" >&2; exit 1; }

declare -A SYS_NAME=([a]="vhost-xdpd" [d]="vhost-xdpd dedicated" [p]="vhost-xdpd --poll"
	[b]="DPDK vhost + af_xdp"
	[c]="DPDK vhost + tap" [x]="bare AF_XDP (limit)")
BE_PID=

cleanup() {
	vxg_stop
	vx_testpmd_stop_all
	vx_ns_teardown
	vx_huge_teardown
	rm -f "$RAW"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }
record() { echo "$1 $2 $3" >>"$RAW"; }

# --- set-up of one system ----------------------------------------------

# The tap-backed system needs a bridge between the tap and the NIC, as a
# tap-backed host would have.
bridge_tap() {
	local i
	for ((i = 0; i < 50; i++)); do
		vx_in_host ip link show dtap0 >/dev/null 2>&1 && break
		sleep 0.1
	done
	vx_bridge br0 "$VX_NIC" dtap0
}

backend_start() { # backend_start a|b|c
	case $1 in
	a | d | p)
		local q= poll=
		[ "$1" = d ] && q=,queue=dedicated
		[ "$1" = p ] && poll=--poll
		# Like DPDK's EAL -l 0,1 --main-lcore 0: control threads on CPU 0,
		# the worker (the forwarding loop) alone on CPU 1.
		taskset -c 0 nsenter --net="/run/netns/$VX_HNS" "$VXD" --nic "$VX_NIC" --socket-dir "$VX_TMP" $poll \
			--worker-cpu "$BE_CPU" \
			--port "name=vm0,socket=$SOCK,mac=$GMAC$q" --stats-file "$VX_TMP/stats" ${VX_BENCH_XDPD_ARGS:-} \
			2>>"$VX_TMP/daemon.log" &
		BE_PID=$!
		vx_wait_path "$SOCK" 10
		;;
	b | c)
		local wire="net_af_xdp0,iface=$VX_NIC"
		[ "$1" = c ] && wire="net_tap0,iface=dtap0"
		vx_testpmd_start be "$VX_HNS" -l 0,1 --main-lcore 0 --no-pci \
			--single-file-segments --vdev "net_vhost0,iface=$SOCK" --vdev "$wire" -- \
			--nb-cores=1 --total-num-mbufs=16384 --forward-mode=io || return 1
		BE_PID=${_vx_tp_pid[be]}
		[ "$1" = c ] && { bridge_tap || return 1; }
		vx_testpmd_cmd be start
		;;
	esac
}

backend_stop() {
	if [[ "$1" == [adp] ]]; then
		VX_DAEMON_PID=$BE_PID vx_daemon_stop
	else
		vx_testpmd_stop be
	fi
	BE_PID=
}

guest_start() {
	vx_testpmd_start g "" -l 0,1 --main-lcore 1 --no-pci --single-file-segments \
		--vdev "virtio_user0,path=$SOCK,queues=1,queue_size=${VX_BENCH_QSIZE:-1024},mac=$GMAC" -- \
		--nb-cores=1 --total-num-mbufs=16384 --forward-mode=macswap --eth-peer="0,$BMAC" || return 1
	local i
	for ((i = 0; i < 50; i++)); do
		vx_testpmd_query g "show port info 0" | grep -q 'Link status: up' && return 0
		sleep 0.2
	done
	log "guest link did not come up"
	return 1
}

# The one-process wire + guest for w2g and pvp (see the top of the file).
# Its ports, in --vdev order (port ids follow it):
#   one net_pcap per size replaying a frame to the guest (w2g; io keeps it),
#   net_af_xdp on vxb (the wire; its XDP program is the sink),
#   one net_pcap per size replaying a frame from the guest to the wire, which
#     macswap turns into one to the guest (pvp),
#   virtio_user (the guest), net_null (where w2g frames end).
# "set portlist" picks the ports of a case (always given in port order);
# paired topology pairs the first two and the next two; with three, the last
# (virtio_user) is paired with itself, which is the guest sending back.
# vhost-xdpd drops guest frames with a source MAC other than the port's
# (tx_drop_spoofed), so the PVP guest swaps MACs; macswap applies to every
# stream, so the PVP frame is written swapped and leaves vxb to the guest.
declare -A WP
wire_guest_start() {
	local vdevs=() size i=0
	for size in "${SIZES[@]}"; do
		"$PKT" pcap --out "$VX_TMP/w2g-$size.pcap" --dst "$GMAC" --src "$BMAC" --size $((size - 4)) >/dev/null &&
			"$PKT" pcap --out "$VX_TMP/pvp-$size.pcap" --dst "$BMAC" --src "$GMAC" --size $((size - 4)) >/dev/null ||
			return 1
		vdevs+=(--vdev "net_pcap$i,rx_pcap=$VX_TMP/w2g-$size.pcap,infinite_rx=1")
		WP[w2g_$size]=$i
		i=$((i + 1))
	done
	vdevs+=(--vdev "net_af_xdp0,iface=$VX_PEER,xdp_prog=$SINK_XSK")
	WP[wire]=$i
	i=$((i + 1))
	for size in "${SIZES[@]}"; do
		vdevs+=(--vdev "net_pcap$i,rx_pcap=$VX_TMP/pvp-$size.pcap,infinite_rx=1")
		WP[pvp_$size]=$i
		i=$((i + 1))
	done
	vdevs+=(--vdev "virtio_user0,path=$SOCK,queues=1,queue_size=${VX_BENCH_QSIZE:-1024},mac=$GMAC"
		--vdev "net_null0,no-rx=1")
	WP[guest]=$i
	WP[null]=$((i + 1))
	vx_testpmd_start w "$VX_PNS" -l 0,1 --main-lcore 1 --no-pci --single-file-segments "${vdevs[@]}" -- \
		--nb-cores=1 --total-num-mbufs=32768 --forward-mode=io --port-topology=paired || return 1
	for ((i = 0; i < 50; i++)); do
		vx_testpmd_query w "show port info ${WP[guest]}" | grep -q 'Link status: up' &&
			sink_find && return 0
		sleep 0.2
	done
	log "guest link did not come up, or no sink on $VX_PEER"
	return 1
}

# --- measurements ------------------------------------------------------

# guest->wire frames are counted by an XDP program on the peer's veth that
# drops them (sink.bpf.c): no polling receiver shares CPU 0 with the guest.
SINK_MAP=
sink_on() {
	vx_in_peer ip link set dev "$VX_PEER" xdp obj "$SINK" sec xdp || return 1
	sink_find
}

# The counter of the XDP program on vxb: the sink from sink_on, or
# sink-xsk.bpf.o that net_af_xdp loaded (its xsks_map is not used by the
# program, so the counter is the program's only map).
sink_find() {
	local prog
	prog=$(vx_in_peer ip -d link show dev "$VX_PEER" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	SINK_MAP=$(bpftool -j prog show id "$prog" | grep -o '"map_ids":\[[0-9]*' | grep -o '[0-9]*$')
	[ -n "$SINK_MAP" ]
}

sink_off() {
	vx_in_peer ip link set dev "$VX_PEER" xdp off 2>/dev/null
	SINK_MAP=
}

sink_count() {
	bpftool -j map dump id "$SINK_MAP" | sed 's/.*"formatted"//' | grep -o '"value":[0-9]*' |
		awk -F: '{ s += $2 } END { print s + 0 }'
}

# Waits one window; with VX_BENCH_PERF, profiles the back-end's core meanwhile.
window() { # window [PROFILE-NAME]
	if [ -n "${VX_BENCH_PERF:-}" ] && [ -n "${1:-}" ]; then
		mkdir -p "$VX_BENCH_PERF"
		perf record -q -e cpu-clock -g -C "$BE_CPU" -o "$VX_BENCH_PERF/$1.data" \
			-- sleep "$WINDOW" >/dev/null 2>&1
	else
		sleep "$WINDOW"
	fi
}

# Frames per second into the sink over the window, by the clock of this shell.
sink_pps() { # sink_pps [PROFILE-NAME]
	local n0 n1 t0 t1
	n0=$(sink_count)
	t0=$(date +%s.%N)
	window "${1:-}"
	n1=$(sink_count)
	t1=$(date +%s.%N)
	awk -v n="$((n1 - n0))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", n / (b - a) }'
}

# Rx-pps of a testpmd port over the window: testpmd itself computes it
# between two "show port stats" calls, from its own clock.
rx_pps() { # rx_pps NAME PORT [PROFILE-NAME]
	vx_testpmd_query "$1" "show port stats $2" >/dev/null
	window "${3:-}"
	vx_testpmd_query "$1" "show port stats $2" | sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' | tail -n 1
}

mpps() { awk -v p="${1:-0}" 'BEGIN { printf "%.3f", p / 1e6 }'; }

# One throughput case: the sender starts, the receiver's rate is measured.
# g2w runs in the guest testpmd (g) with the sink on the peer's veth; w2g and
# pvp in the one wire + guest process (w). With each, the back-end's CPU over
# the window (cores; event mode sleeps when it can, the pollers take 1.0).
tput() { # tput SYS CASE SIZE
	local sys=$1 case=$2 size=$3 pps n=g c0 c1 t0 t1
	case $case in
	g2w)
		vx_testpmd_cmd g "set txpkts $((size - 4))"
		vx_testpmd_cmd g "set fwd txonly"
		vx_testpmd_cmd g start
		sleep 0.5
		c0=$(cpu_ticks "$BE_PID") t0=$(date +%s.%N)
		pps=$(sink_pps "$sys-${case}_$size")
		;;
	w2g | pvp)
		n=w
		if [ "$case" = w2g ]; then
			vx_testpmd_cmd w "set portlist ${WP[w2g_$size]},${WP[wire]},${WP[guest]},${WP[null]}"
			vx_testpmd_cmd w "set fwd io"
		else
			vx_testpmd_cmd w "set portlist ${WP[wire]},${WP[pvp_$size]},${WP[guest]}"
			vx_testpmd_cmd w "set fwd macswap"
		fi
		vx_testpmd_cmd w start
		sleep 0.5
		c0=$(cpu_ticks "$BE_PID") t0=$(date +%s.%N)
		if [ "$case" = w2g ]; then
			pps=$(rx_pps w "${WP[guest]}" "$sys-${case}_$size")
		else
			pps=$(sink_pps "$sys-${case}_$size")
		fi
		;;
	esac
	c1=$(cpu_ticks "$BE_PID") t1=$(date +%s.%N)
	vx_testpmd_cmd "$n" stop
	sleep 0.3
	record "$sys" "${case}_${size}" "$(mpps "$pps")"
	record "$sys" "${case}cpu_${size}" "$(cores_used "$c0" "$c1" "$t0" "$t1")"
	log "${SYS_NAME[$sys]}: $case $size B: $(mpps "$pps") Mpps, back-end $(tail -n 1 "$RAW" | cut -d' ' -f3) cores"
}

# CPU time (user + system, all threads) of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Round trips through the back-end and the guest, one at a time, from a
# packet socket on the peer; and the back-end's CPU at a fixed rate. The
# guest here is vx-guest echo, which sleeps on its call eventfd (event
# mode), so that CPU 0 is not taken by a polling guest; vx-pkt and vx-guest
# are both pinned to CPU 0, the back-end keeps CPU 1.
vxg_start() {
	taskset -c 0 "$GUEST" echo --socket "$SOCK" --mac "$GMAC" >"$VX_TMP/vx-guest.log" 2>&1 &
	VXG_PID=$!
	sleep 1
	kill -0 "$VXG_PID" 2>/dev/null
}

vxg_stop() {
	[ -n "${VXG_PID:-}" ] || return 0
	kill -TERM "$VXG_PID" 2>/dev/null
	wait "$VXG_PID" 2>/dev/null
	VXG_PID=
}

cores_used() { # cores_used TICKS0 TICKS1 T0 T1
	awk -v c="$(($2 - $1))" -v h="$(getconf CLK_TCK)" -v a="$3" -v b="$4" \
		'BEGIN { printf "%.3f", c / h / (b - a) }'
}

latency_cpu() { # latency_cpu SYS
	local sys=$1 out t0 t1 c0 c1 secs
	vx_testpmd_stop g
	if ! vxg_start; then
		log "${SYS_NAME[$sys]}: vx-guest did not attach: $(tail -n 3 "$VX_TMP/vx-guest.log")"
		return 1
	fi
	out=$(vx_in_peer taskset -c 0 "$PKT" ping --dev "$VX_PEER" --dst "$GMAC" \
		--count "$PING_N" --rate 1000 --size 60 --timeout 0.5)
	log "${SYS_NAME[$sys]}: $out"
	record "$sys" lat_p50 "$(awk '{ for (i = 1; i < NF; i++) if ($i == "p50_us") print $(i + 1) }' <<<"$out")"
	record "$sys" lat_p99 "$(awk '{ for (i = 1; i < NF; i++) if ($i == "p99_us") print $(i + 1) }' <<<"$out")"
	# Idle: guest attached, no traffic.
	c0=$(cpu_ticks "$BE_PID")
	t0=$(date +%s.%N)
	sleep "$WINDOW"
	c1=$(cpu_ticks "$BE_PID")
	t1=$(date +%s.%N)
	record "$sys" cpu_idle "$(cores_used "$c0" "$c1" "$t0" "$t1")"
	# A fixed offered rate, echoed by the guest.
	secs=$(awk -v w="$WINDOW" 'BEGIN { print (w < 1 ? 1 : w) + 1 }')
	c0=$(cpu_ticks "$BE_PID")
	t0=$(date +%s.%N)
	vx_in_peer taskset -c 0 "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --size 60 \
		--rate "$CPU_RATE" --count "$(awk -v r="$CPU_RATE" -v s="$secs" 'BEGIN { print int(r * s) }')" >/dev/null
	c1=$(cpu_ticks "$BE_PID")
	t1=$(date +%s.%N)
	vxg_stop
	record "$sys" cpu_rate "$(cores_used "$c0" "$c1" "$t0" "$t1")"
	log "${SYS_NAME[$sys]}: idle $(tail -n 2 "$RAW" | head -n 1 | cut -d' ' -f3) cores," \
		"$CPU_RATE pps echoed: $(tail -n 1 "$RAW" | cut -d' ' -f3) cores"
}

setup_failed() {
	log "${SYS_NAME[$1]}: set-up failed; logs in $VX_TMP"
	VX_KEEP_TMP=1
	vx_testpmd_stop_all
	case $1 in a | d | p) backend_stop "$1" ;; esac
	vx_ns_teardown
}

# g2w of the bare socket into the same sink as the back-ends: vx-xskgen tx
# on the back-end's core.
ceiling_g2w() { # ceiling_g2w SIZE
	local pid pps
	vx_ceil_xskgen tx --dev "$VX_NIC" --dst "$BMAC" --size "$(($1 - 4))" \
		--time "$(awk -v w="$WINDOW" 'BEGIN { print w + 1.5 }')" >"$VX_TMP/xskgen.out" 2>&1 &
	pid=$!
	sleep 0.5
	pps=$(sink_pps "x-g2w_$1")
	wait "$pid" || log "vx-xskgen tx failed: $(tail -n 2 "$VX_TMP/xskgen.out")"
	record x "g2w_$1" "$(mpps "$pps")"
	log "${SYS_NAME[x]}: g2w $1 B: $(mpps "$pps") Mpps"
}

# The ceiling: a bare AF_XDP socket on the same veth, same cores. w2g comes
# from ceiling.sh (testpmd txonly on the peer -> vx-xskgen rx on CPU 1).
run_ceiling() {
	local size c=0 out
	VX_TMP=$(mktemp -d /tmp/vx-bench.XXXXXX)
	vx_ns_setup || { log "namespace setup failed"; return 1; }
	BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
	vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	if want_case g2w; then
		sink_on || c=1
		for size in "${SIZES[@]}"; do
			[ $c = 0 ] && ceiling_g2w "$size"
		done
		sink_off
	fi
	if want_case w2g && [ $c = 0 ]; then
		vx_ceil_peer_start "$(vx_in_host cat "/sys/class/net/$VX_NIC/address")" || c=1
		for size in "${SIZES[@]}"; do
			[ $c = 0 ] && vx_ceil_w2g "$size" "$WINDOW" >>"$VX_TMP/ceiling.out"
		done
		grep -E '^x w2g_' "$VX_TMP/ceiling.out" 2>/dev/null | while read -r s k v; do
			record "$s" "$k" "$v"
		done
	fi
	if want_case lat; then
		out=$("$VX_BUILD/vx-wakelat" --count "$PING_N" --rate 1000 --cpus "0,$BE_CPU")
		log "wake-up floor: $out"
		record x wake_p50 "$(awk '{ for (i = 1; i < NF; i++) if ($i == "p50_us") print $(i + 1) }' <<<"$out")"
		record x wake_p99 "$(awk '{ for (i = 1; i < NF; i++) if ($i == "p99_us") print $(i + 1) }' <<<"$out")"
	fi
	vx_testpmd_stop_all
	vx_ns_teardown
	return $c
}

run_system() { # run_system SYS
	local sys=$1 size c
	[ "$sys" = x ] && { run_ceiling; return; }
	# ns.sh removes VX_TMP with the namespaces: a fresh one per system.
	VX_TMP=$(mktemp -d /tmp/vx-bench.XXXXXX)
	SOCK=$VX_TMP/vm0.sock
	vx_ns_setup || { log "namespace setup failed"; return 1; }
	BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
	vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	if ! backend_start "$sys" || ! guest_start || ! sink_on; then
		setup_failed "$sys"
		return 1
	fi
	if want_case g2w; then
		for size in "${SIZES[@]}"; do
			tput "$sys" g2w "$size"
		done
	fi
	sink_off
	if want_case w2g || want_case pvp; then
		# The guest's place goes to the one wire + guest process.
		vx_testpmd_stop g
		if ! wire_guest_start; then
			setup_failed "$sys"
			return 1
		fi
		for size in "${SIZES[@]}"; do
			for c in w2g pvp; do
				want_case "$c" && tput "$sys" "$c" "$size"
			done
		done
		# Its XDP program (the sink) takes every frame on vxb; the packet
		# socket cases need it gone.
		vx_testpmd_stop w
	fi
	want_case lat && latency_cpu "$sys"
	vx_testpmd_stop g
	vxg_stop
	backend_stop "$sys"
	vx_ns_teardown
}

# --- report ------------------------------------------------------------

report() {
	local cases=() labels=() i s hdr sep c
	for size in "${SIZES[@]}"; do
		want_case g2w && cases+=("g2w_$size") && labels+=("guest->wire $size B (Mpps)")
		want_case w2g && cases+=("w2g_$size") && labels+=("wire->guest $size B (Mpps)")
		want_case pvp && cases+=("pvp_$size") && labels+=("PVP $size B (Mpps)")
	done
	for size in "${SIZES[@]}"; do
		for c in g2w w2g pvp; do
			want_case $c || continue
			cases+=("${c}cpu_$size")
			labels+=("back-end CPU during $c $size B (cores)")
		done
	done
	if [ "$CALLGRIND" = 1 ]; then
		for size in "${CG_SIZES[@]}"; do
			for c in ${CG_CASES//,/ }; do
				cases+=("instr_${c}_$size")
				labels+=("instructions/packet, $c $size B (callgrind, user space, lower is better)")
			done
		done
	fi
	if want_case lat; then
		cases+=(lat_p50 lat_p99 wake_p50 wake_p99 cpu_rate cpu_idle)
		labels+=("round trip p50 (us, lower is better)" "round trip p99 (us, lower is better)"
			"two cross-CPU wake-ups p50 (us; x: vx-wakelat, event mode's extra cost)"
			"two cross-CPU wake-ups p99 (us; x: vx-wakelat)"
			"CPU at $CPU_RATE pps echoed (cores, lower is better)" "CPU idle, guest attached (cores)")
	fi
	hdr="| case |"
	sep="|---|"
	for s in $(grep -o . <<<"$SYSTEMS"); do
		hdr+=" ${SYS_NAME[$s]} |"
		sep+="---:|"
	done
	# Ratios: each of ours (a, d, p) against each other system, ours / theirs.
	local pairs=() o t
	for o in a d p; do
		[[ "$SYSTEMS" == *$o* ]] || continue
		for t in $(grep -o . <<<"$SYSTEMS"); do
			[[ "$t" == [adp] ]] || pairs+=("$o$t")
		done
	done
	[[ "$SYSTEMS" == *a* && "$SYSTEMS" == *d* ]] && pairs+=(da)
	table_head "$hdr" "$sep" "${pairs[@]}"
	for i in "${!cases[@]}"; do
		local line="| ${labels[$i]} |"
		for s in $(grep -o . <<<"$SYSTEMS"); do
			line+=" $(median "$s" "${cases[$i]}") |"
		done
		for o in "${pairs[@]}"; do
			line+=" $(ratio "$(median "${o:0:1}" "${cases[$i]}")" "$(median "${o:1:1}" "${cases[$i]}")") |"
		done
		echo "$line"
	done
	[ "$RUNS" -gt 1 ] || return 0
	echo
	echo "Per-run ratios (within each run), median [min-max] of $RUNS:"
	echo
	table_head "| case |" "|---|" "${pairs[@]}"
	for i in "${!cases[@]}"; do
		[[ "${cases[$i]}" == instr_* ]] && continue # measured once
		local line="| ${labels[$i]} |"
		for o in "${pairs[@]}"; do
			line+=" $(ratio_runs "${o:0:1}" "${o:1:1}" "${cases[$i]}") |"
		done
		echo "$line"
	done
}

header() {
	echo "# vhost-xdp benchmark"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git -C "$VX_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$VX_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
	echo "- NIC: veth pair in two namespaces, AF_XDP copy mode, one queue"
	echo "- cores: the back-end's forwarding thread alone on CPU $BE_CPU (vhost-xdpd: taskset -c 0 plus --worker-cpu $BE_CPU;"
	echo "  DPDK: EAL -l 0,1 --main-lcore 0, forwarding lcore on $BE_CPU); control threads on CPU 0;"
	echo "- guest->wire: the guest (testpmd virtio-user, txonly, forwarding lcore on CPU 0) sends; frames are counted"
	echo "  and dropped by an XDP program on vxb (no receiver process)"
	echo "- wire->guest and PVP: ONE testpmd, forwarding lcore on CPU 0, is both the wire and the guest (no two pollers"
	echo "  time-slicing CPU 0): net_pcap replays one frame (vx-pkt pcap) into net_af_xdp on vxb; wire->guest: virtio-user"
	echo "  -> net_null (io), the rate is virtio-user's Rx-pps; PVP: virtio-user sends every frame back (macswap), the"
	echo "  rate is what an XDP program on vxb (net_af_xdp's xdp_prog) counts coming back. On veth the sender's core"
	echo "  (CPU 0) also pays the kernel's receive work of wire->guest (XDP, copy into the back-end's UMEM)"
	echo "- back-end CPU: /proc/PID/stat utime+stime of the back-end process over each throughput window"
	echo "- runs: $RUNS per system, interleaved; each figure is the median; windows of ${WINDOW} s; frame sizes include the 4-byte FCS"
	echo "- latency and CPU: the guest is vx-guest echo (event mode: sleeps on its call eventfd), pinned to CPU 0 with vx-pkt;"
	echo "  vx-pkt ping sends $PING_N probes at 1000/s, 64 B, one at a time; vhost-xdpd in event mode, DPDK's back-ends poll"
	echo "- CPU: /proc/PID/stat utime+stime of the back-end process over the window"
	echo "- bare AF_XDP (limit): vx-xskgen on vxa pinned to CPU $BE_CPU, no guest: g2w into the same sink, w2g from testpmd"
	echo "  txonly on the peer (tests/bench/ceiling.sh; CPU 0 then runs only the sender, whose core also pays the kernel's"
	echo "  copy into the UMEM, see docs/machine-notes.md)"
	echo "- two cross-CPU wake-ups (x in the latency rows): vx-wakelat, eventfd + epoll_wait ping-pong between CPU 0"
	echo "  and CPU $BE_CPU at 1000 round trips/s; an event-mode back-end pays this per round trip, a polling one does not"
	echo "- instructions/packet: tests/bench/callgrind.sh, the back-end's forwarding thread under valgrind, user space only"
	[ "$SMOKE" = 1 ] && echo "- SMOKE RUN: one short run, a functional check, not a measurement"
	echo
}

vx_bpffs
vx_huge_setup 512 || { echo "bench.sh: no hugepages" >&2; exit 1; }
for ((r = 1; r <= RUNS; r++)); do
	for s in $(grep -o . <<<"$SYSTEMS"); do
		log "run $r/$RUNS: ${SYS_NAME[$s]}"
		run_system "$s" || log "run $r of ${SYS_NAME[$s]} failed"
	done
done
# Instruction counts: once, they repeat to within a few percent.
cg_systems=$(tr -cd 'adb' <<<"$SYSTEMS")
if [ "$CALLGRIND" = 1 ] && [ -n "$cg_systems" ]; then
	log "callgrind: systems $cg_systems, ${CG_SIZES[*]} B, $CG_CASES"
	"$(dirname "${BASH_SOURCE[0]}")/callgrind.sh" --time "$CG_TIME" --systems "$cg_systems" \
		--sizes "${CG_SIZES[*]}" --cases "$CG_CASES" >"$RAW.cg" || log "callgrind.sh failed"
	grep -E '^[adb] instr_' "$RAW.cg" >>"$RAW"
	rm -f "$RAW.cg"
fi
mkdir -p "$(dirname "$OUT")"
{
	header
	report
} | tee "$OUT"
cp "$RAW" "${OUT%.md}.raw"

# Every system must have produced every figure that applies to it; a hole is a failure.
applies() { # applies SYS CASE
	case $2 in
	pvp_* | lat_* | cpu_* | *cpu_*) [ "$1" != x ] ;;
	wake_*) [ "$1" = x ] ;;
	instr_*) [[ "$1" == [adb] ]] && [ "$CALLGRIND" = 1 ] ;;
	*) true ;;
	esac
}
holes=0
for s in $(grep -o . <<<"$SYSTEMS"); do
	for k in $(awk '{ print $2 }' "${OUT%.md}.raw" | sort -u) \
		$(for z in "${SIZES[@]}"; do for c in g2w w2g pvp; do want_case $c && echo "${c}_$z ${c}cpu_$z"; done; done) \
		$(want_case lat && echo lat_p50 lat_p99 wake_p50 wake_p99 cpu_rate cpu_idle); do
		applies "$s" "$k" || continue
		[ "$(median "$s" "$k")" != - ] && continue
		log "no figure for ${SYS_NAME[$s]}, $k"
		holes=$((holes + 1))
	done
done
[ "$holes" -eq 0 ]

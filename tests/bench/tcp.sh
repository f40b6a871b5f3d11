#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The TCP table of the benchmark: iperf3 in a real Linux guest (QEMU 7.2 TCG,
# Debian's 6.1 kernel, the busybox initramfs plus an archive with iperf3 and
# its libraries) against iperf3 in the peer namespace (vxb of tests/lib/ns.sh),
# through each back-end, guest->peer and peer->guest (-R); then guest to guest
# on one host.
#
#   l  the guest's own loopback (iperf3 -c 127.0.0.1): no network at all, the
#      most the TCG guest's CPU can move (the ceiling)
#   a  vhost-xdpd (event mode, default options), the port's MAC = the guest's
#   t  QEMU's own virtio-net on a tap (-netdev tap,vhost=off), the tap and vxa
#      in one Linux bridge: the plain tap-backed baseline that runs here
#   b  dpdk-testpmd net_vhost -> net_af_xdp on vxa (io forwarding)
#   c  dpdk-testpmd net_vhost -> net_tap, the tap bridged to vxa
# Guest to guest (g1 is the iperf3 client, g2 the server), at each MTU:
#   A  two guests on two vhost-xdpd ports of the same NIC (switched by the daemon)
#   T  two guests on QEMU taps in one Linux bridge
#
#   tests/bench/tcp.sh [--runs N] [--time S] [--systems latbc] [--vv AT] [--mtus "1500 9000"]
#                      [--peer-mtus "1500"] [--guest-cpu 0] [--be-cpu 1] [--peer-cpu 1]
#                      [--out FILE] [--smoke]
#
# --smoke: one run of 2 s windows (CI: tests/e2e/test_bench_tcp_smoke.sh).
# Each run boots every system's guest(s) afresh, one system after the other
# (interleaved: run 1 all systems, run 2 all systems, ...).
# VX_TCP_DEVOPTS: extra virtio-net-pci properties for the vhost-xdpd guests
# (a, A), e.g. "csum=off,guest_csum=off,host_tso4=off,host_tso6=off,guest_tso4=off,guest_tso6=off";
# default: QEMU's defaults (offloads offered). VX_DAEMON_ARGS: extra vhost-xdpd options.
# The table goes to stdout and to --out (default build/bench/tcp.md), every
# figure to the .raw file next to it. Exit status 0 when every figure that is
# expected is there.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/guest.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/dpdk.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/report.sh"
# ns.sh made a VX_TMP when sourced; each system makes its own. This one
# holds the iperf3 archive and the raw figures for the whole run.
WORK=$VX_TMP

RUNS=5
TIME=6
SYSTEMS=latbc
VV=AT
MTUS="1500 9000"
PEER_MTUS="1500"
SMOKE=0
OUT=$VX_BUILD/bench/tcp.md
GUEST_CPU=0
BE_CPU=1
PEER_CPU=1
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift ;;
	--time) TIME=$2; shift ;;
	--systems) SYSTEMS=$2; shift ;;
	--vv) VV=$2; shift ;;
	--mtus) MTUS=$2; shift ;;
	--peer-mtus) PEER_MTUS=$2; shift ;;
	--guest-cpu) GUEST_CPU=$2; shift ;;
	--be-cpu) BE_CPU=$2; shift ;;
	--peer-cpu) PEER_CPU=$2; shift ;;
	--out) OUT=$2; shift ;;
	--smoke) SMOKE=1 ;;
	-h | --help) sed -n '3,34p' "$0"; exit 0 ;;
	*) echo "tcp.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ "$SMOKE" = 1 ]; then
	RUNS=1
	TIME=2
fi
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "tcp.sh: --runs must be a positive integer" >&2; exit 2; }
[[ "$TIME" =~ ^[1-9][0-9]*$ ]] || { echo "tcp.sh: --time must be whole seconds" >&2; exit 2; }
[[ "$SYSTEMS" =~ ^[ltabc]*$ ]] || { echo "tcp.sh: --systems takes letters from ltabc" >&2; exit 2; }
[[ "$VV" =~ ^[AT]*$ ]] || { echo "tcp.sh: --vv takes letters from AT" >&2; exit 2; }
[[ "$MTUS $PEER_MTUS" =~ ^[0-9\ ]*$ ]] || { echo "tcp.sh: MTUs are numbers" >&2; exit 2; }

declare -A SYS_NAME=([l]="guest loopback (ceiling)" [a]="vhost-xdpd" [t]="QEMU tap + bridge"
	[b]="DPDK vhost + af_xdp" [c]="DPDK vhost + tap" [A]="vhost-xdpd" [T]="QEMU taps + bridge")
GMAC=52:54:00:00:00:10
G1MAC=52:54:00:00:00:11
G2MAC=52:54:00:00:00:12
G_IP=10.77.0.2
G1_IP=10.77.0.11
G2_IP=10.77.0.12
ARCHIVE=$WORK/iperf3.cpio.gz
RAW=$WORK/tcp.raw
IPERF=$(command -v iperf3 || true)
# Host-side bound of one iperf3 test: the guest's own timeout plus slack.
TEST_TMO=$((TIME + 40))
BOOT_TMO=${VX_TCP_BOOT_TIMEOUT:-120}
: >"$RAW"

for t in "$VX_QEMU" "$VX_TESTPMD" taskset ethtool; do
	command -v "$t" >/dev/null || { echo "tcp.sh: $t not found (run tools/install-deps.sh)" >&2; exit 1; }
done
[ -n "$IPERF" ] || { echo "tcp.sh: iperf3 not found (run tools/install-deps.sh)" >&2; exit 1; }
[ -x "$VX_BUILD/vhost-xdpd" ] || { echo "tcp.sh: $VX_BUILD/vhost-xdpd not built (run make)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "tcp.sh: needs 2 CPUs" >&2; exit 1; }

log() { echo "tcp: $*" >&2; }
record() { echo "$1 $2 $3" >>"$RAW"; }

# Everything one system made: guests, back-end, the namespaces (with their
# bridges and taps, and the peer's iperf3), hugepages are given back at exit.
system_down() {
	vx_guest_teardown
	vx_testpmd_stop_all
	vx_ns_teardown
}

cleanup() {
	system_down
	vx_huge_teardown
	VX_TMP=$WORK
	[ -n "${VX_KEEP_TMP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- guest scripts -----------------------------------------------------

# Common part: MTU, a bounded wait until DST answers, and run(), which runs one
# iperf3 test, copies its output to the console and prints
# "VXGUEST-MARK tcp name=N rc=R mbps=M" (M: the receiver's figure).
guest_prelude() { # guest_prelude MTU DST
	cat <<EOF
T=$TIME
MTU=$1
DST=$2
EOF
	cat <<'EOF'
export PATH=$PATH:/usr/bin:/usr/sbin
mark() { echo "VXGUEST-MARK $*"; }
[ "$MTU" = 1500 ] || ip link set eth0 mtu "$MTU" || echo "VXGUEST-ERROR mtu $MTU"
mark mtu value=$(cat /sys/class/net/eth0/mtu)
# run NAME IPERF3-ARGS...: retries while the server is not listening yet.
run() {
	n=$1
	shift
	k=0
	while :; do
		timeout $((T + 30)) iperf3 -f m -t "$T" --connect-timeout 3000 "$@" >/tmp/o 2>&1
		rc=$?
		grep -q 'unable to connect' /tmp/o || break
		k=$((k + 1))
		[ $k -lt 30 ] || break
		sleep 1
	done
	sed "s/^/VXIPERF $n: /" /tmp/o
	set -- $(awk '/receiver/ { v = $(NF - 2) } END { print v + 0 }' /tmp/o)
	mark tcp name=$n rc=$rc mbps=$1
}
reach() {
	i=0
	while [ $i -lt 60 ]; do
		ping -c 1 -W 1 "$DST" >/dev/null 2>&1 && { mark reach rc=0; return 0; }
		i=$((i + 1))
	done
	mark reach rc=1
	return 1
}
EOF
}

script_peer() { # script_peer MTU FILE: guest -> peer, then peer -> guest
	{
		guest_prelude "$1" "$VX_PEER_IP"
		echo 'reach'
		echo 'run g2p -c "$DST"'
		echo 'run p2g -c "$DST" -R'
	} >"$2"
}

script_loopback() { # script_loopback FILE
	{
		guest_prelude 1500 127.0.0.1
		echo 'iperf3 -s -D; sleep 1'
		echo 'run g2p -c "$DST"'
		echo 'run p2g -c "$DST" -R'
	} >"$1"
}

script_vv_client() { # script_vv_client MTU FILE
	{
		guest_prelude "$1" "$G2_IP"
		echo 'reach'
		echo 'run fwd -c "$DST"'
		echo 'run rev -c "$DST" -R'
	} >"$2"
}

script_vv_server() { # script_vv_server MTU FILE: serves until the host stops it
	{
		guest_prelude "$1" "$G1_IP"
		echo 'mark server'
		echo 'iperf3 -s'
	} >"$2"
}

# --- set-up ------------------------------------------------------------

ns_up() { # ns_up MTU: fresh namespaces (and VX_TMP) for one system
	VX_TMP=$(mktemp -d "/tmp/vx-tcp-$VX_ID.XXXXXX")
	vx_ns_setup || { log "namespace setup failed"; return 1; }
	vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	vx_in_host sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	# Per network namespace on this kernel (a new one starts at 1): the
	# bridge baselines skip iptables; the machine's own setting is untouched.
	vx_in_host sysctl -qw net.bridge.bridge-nf-call-iptables=0
	vx_in_host sysctl -qw net.bridge.bridge-nf-call-ip6tables=0
	if [ "$1" != 1500 ]; then
		vx_in_host ip link set "$VX_NIC" mtu "$1" &&
			vx_in_peer ip link set "$VX_PEER" mtu "$1" || { log "NIC MTU $1 refused"; return 1; }
	fi
}

peer_iperf() { # the peer's iperf3 server, pinned; ns teardown kills it
	vx_in_peer taskset -c "$PEER_CPU" "$IPERF" -s >"$VX_TMP/peer-iperf3.log" 2>&1 &
}

tap_add() { # tap_add NAME MTU: a tap for QEMU in the host namespace
	vx_in_host ip tuntap add mode tap name "$1" || return 1
	vx_in_host ip link set "$1" mtu "$2"
}

# The DPDK back-ends: the forwarding lcore alone on the back-end's CPU, the
# main lcore (idle at its prompt) on the other one.
pmd_start() { # pmd_start WIRE-VDEV
	vx_huge_setup 512 || return 1
	vx_testpmd_start be "$VX_HNS" -l 0,1 --main-lcore $((1 - BE_CPU)) --no-pci \
		--single-file-segments --vdev "net_vhost0,iface=$VX_TMP/vm0.sock" --vdev "$1" -- \
		--nb-cores=1 --total-num-mbufs=16384 --forward-mode=io || return 1
	vx_testpmd_cmd be start
}

wait_if() { # wait_if IF: up to 10 s for an interface in the host namespace
	local i
	for ((i = 0; i < 100; i++)); do
		vx_in_host ip link show "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Starts the back-end of SYS for a single guest; sets the VX_GUEST_* knobs.
single_backend() { # single_backend SYS MTU
	VX_GUEST_NETDEV= VX_GUEST_NETNS= VX_GUEST_DEVOPTS=
	[ "$2" != 1500 ] && VX_GUEST_DEVOPTS=host_mtu=$2
	case $1 in
	l) VX_GUEST_NETDEV=hubport,id=n0,hubid=0 ;;
	a)
		VX_GUEST_DEVOPTS+=${VX_TCP_DEVOPTS:+${VX_GUEST_DEVOPTS:+,}$VX_TCP_DEVOPTS}
		VX_DAEMON_CPUS=$BE_CPU VX_BACKEND=vhost-xdpd vx_backend_start server "vm0=$GMAC"
		;;
	t)
		tap_add qtap0 "$2" && vx_bridge br0 "$VX_NIC" qtap0 || return 1
		VX_GUEST_NETDEV=tap,id=n0,ifname=qtap0,script=no,downscript=no,vhost=off
		VX_GUEST_NETNS=$VX_HNS
		;;
	b) pmd_start "net_af_xdp0,iface=$VX_NIC" ;;
	c)
		pmd_start net_tap0,iface=dtap0 && wait_if dtap0 &&
			vx_in_host ip link set dtap0 mtu "$2" && vx_bridge br0 "$VX_NIC" dtap0
		;;
	esac
}

# Prints the figure of one test from a guest's console, or "fail".
figure() { # figure GUEST NAME
	local v rc
	v=$(vx_guest_field "$1" "VXGUEST-MARK tcp name=$2 " mbps)
	rc=$(vx_guest_field "$1" "VXGUEST-MARK tcp name=$2 " rc)
	if [ "$rc" = 0 ] && awk -v v="$v" 'BEGIN { exit !(v + 0 > 0) }'; then
		echo "$v"
	else
		echo fail
	fi
}

failed_logs() { # failed_logs WHAT: keeps the logs of a failed system
	local d
	d=$(mktemp -d "$WORK/failed.XXXXXX")
	cp -r "$VX_TMP"/*.log "$d"/ 2>/dev/null
	log "$1: logs in $d (kept after exit only with VX_KEEP_TMP=1)"
	[ -n "${VX_KEEP_TMP:-}" ] || log "$(for f in "$d"/*.log; do echo "--- $f"; tail -n 8 "$f"; done 2>/dev/null)"
}

run_single() { # run_single SYS MTU
	local sys=$1 mtu=$2 n v bad=0
	if ! ns_up "$mtu"; then
		for n in g2p p2g; do record "$sys" "${n}_$mtu" fail; done
		system_down
		return 1
	fi
	[ "$sys" = l ] || peer_iperf
	if [ "$sys" = l ]; then
		script_loopback "$VX_TMP/g.sh"
	else
		script_peer "$mtu" "$VX_TMP/g.sh"
	fi
	VX_GUEST_ARCHIVES=$ARCHIVE VX_GUEST_CPUS=$GUEST_CPU
	if ! single_backend "$sys" "$mtu" ||
		! vx_guest_start g "$VX_TMP/vm0.sock" "$GMAC" "$G_IP/24" "$VX_TMP/g.sh" server; then
		log "${SYS_NAME[$sys]}: set-up failed"
		bad=1
	elif ! vx_guest_wait g 'VXGUEST-READY' "$BOOT_TMO"; then
		log "${SYS_NAME[$sys]}: the guest did not boot in $BOOT_TMO s"
		bad=1
	else
		vx_guest_wait g 'VXGUEST-MARK tcp name=p2g ' $((2 * TEST_TMO + 60)) ||
			log "${SYS_NAME[$sys]}: no result from the guest"
	fi
	for n in g2p p2g; do
		v=$(figure g "$n")
		record "$sys" "${n}_$mtu" "$v"
		[ "$v" = fail ] && bad=1
		log "${SYS_NAME[$sys]}, MTU $mtu, $n: $v Mbit/s"
	done
	[ $bad = 0 ] || failed_logs "${SYS_NAME[$sys]} MTU $mtu"
	system_down
	return $bad
}

run_vv() { # run_vv SYS MTU: g1 (client) <-> g2 (server) on one host
	local sys=$1 mtu=$2 n v bad=0 opts=
	# The NIC does not carry guest-to-guest traffic: it keeps MTU 1500; the
	# MTU that matters is the guests' (and the taps' and bridge's for T).
	if ! ns_up 1500; then
		for n in fwd rev; do record "$sys" "vv_${n}_$mtu" fail; done
		system_down
		return 1
	fi
	script_vv_server "$mtu" "$VX_TMP/g2.sh"
	script_vv_client "$mtu" "$VX_TMP/g1.sh"
	[ "$mtu" != 1500 ] && opts=host_mtu=$mtu
	VX_GUEST_ARCHIVES=$ARCHIVE VX_GUEST_NETDEV= VX_GUEST_NETNS= VX_GUEST_DEVOPTS=$opts
	case $sys in
	A)
		VX_GUEST_DEVOPTS+=${VX_TCP_DEVOPTS:+${opts:+,}$VX_TCP_DEVOPTS}
		VX_DAEMON_CPUS=$BE_CPU VX_BACKEND=vhost-xdpd vx_backend_start server "vm1=$G1MAC" "vm2=$G2MAC" ||
			bad=1
		;;
	T)
		{ tap_add qtap1 "$mtu" && tap_add qtap2 "$mtu" && vx_bridge br1 qtap1 qtap2; } || bad=1
		VX_GUEST_NETNS=$VX_HNS
		;;
	esac
	if [ $bad = 0 ]; then
		[ "$sys" = T ] && VX_GUEST_NETDEV=tap,id=n0,ifname=qtap2,script=no,downscript=no,vhost=off
		VX_GUEST_CPUS=$PEER_CPU vx_guest_start g2 "$VX_TMP/vm2.sock" "$G2MAC" "$G2_IP/24" "$VX_TMP/g2.sh" server || bad=1
		[ "$sys" = T ] && VX_GUEST_NETDEV=tap,id=n0,ifname=qtap1,script=no,downscript=no,vhost=off
		VX_GUEST_CPUS=$GUEST_CPU vx_guest_start g1 "$VX_TMP/vm1.sock" "$G1MAC" "$G1_IP/24" "$VX_TMP/g1.sh" server || bad=1
	fi
	if [ $bad = 1 ]; then
		log "${SYS_NAME[$sys]} guest to guest, MTU $mtu: set-up failed"
	elif ! vx_guest_wait g1 'VXGUEST-READY' "$BOOT_TMO" || ! vx_guest_wait g2 'VXGUEST-MARK server' "$BOOT_TMO"; then
		log "${SYS_NAME[$sys]} guest to guest: the guests did not boot in $BOOT_TMO s"
		bad=1
	else
		vx_guest_wait g1 'VXGUEST-MARK tcp name=rev ' $((2 * TEST_TMO + 60)) ||
			log "${SYS_NAME[$sys]} guest to guest, MTU $mtu: no result from the guest"
	fi
	for n in fwd rev; do
		v=$(figure g1 "$n")
		record "$sys" "vv_${n}_$mtu" "$v"
		[ "$v" = fail ] && bad=1
		log "${SYS_NAME[$sys]} guest to guest, MTU $mtu, $n: $v Mbit/s"
	done
	[ $bad = 0 ] || failed_logs "${SYS_NAME[$sys]} guest to guest MTU $mtu"
	system_down
	return $bad
}

# --- report ------------------------------------------------------------

cell() { # cell SYS CASE: the median, or why there is none
	local m
	m=$(median "$1" "$2")
	if [ "$m" != - ]; then
		printf '%.0f' "$m"
	elif grep -q "^$1 $2 fail" "$RAW"; then
		echo "n/a (failed)"
	else
		echo "-"
	fi
}

# table TITLE SYSTEMS PAIRS CASE=LABEL...
table() {
	local title=$1 systems=$2 pairs=($3) hdr="| case |" sep="|---|" s kv line
	shift 3
	echo "$title"
	echo
	for s in $(grep -o . <<<"$systems"); do
		hdr+=" ${SYS_NAME[$s]} |"
		sep+="---:|"
	done
	table_head "$hdr" "$sep" "${pairs[@]}"
	for kv in "$@"; do
		line="| ${kv#*=} |"
		for s in $(grep -o . <<<"$systems"); do
			line+=" $(cell "$s" "${kv%%=*}") |"
		done
		for s in "${pairs[@]}"; do
			line+=" $(ratio_runs "${s:0:1}" "${s:1:1}" "${kv%%=*}") |"
		done
		echo "$line"
	done
	echo
}

report() {
	local m rows=() pairs="" o
	for o in $(grep -o . <<<"$SYSTEMS"); do
		[[ "$o" == [tbc] && "$SYSTEMS" == *a* ]] && pairs+=" a$o"
	done
	for m in $PEER_MTUS; do
		rows+=("g2p_$m=guest->peer, MTU $m (Mbit/s)" "p2g_$m=peer->guest (-R), MTU $m (Mbit/s)")
	done
	[ -n "$SYSTEMS" ] && table "## Guest <-> peer (iperf3 in the guest, iperf3 -s in the peer namespace)" \
		"$SYSTEMS" "$pairs" "${rows[@]}"
	rows=()
	for m in $MTUS; do
		rows+=("vv_fwd_$m=g1->g2, MTU $m (Mbit/s)" "vv_rev_$m=g2->g1 (-R), MTU $m (Mbit/s)")
	done
	pairs=""
	[[ "$VV" == *A* && "$VV" == *T* ]] && pairs=AT
	[ -n "$VV" ] && table "## Guest <-> guest on one host (iperf3 client in g1, server in g2)" "$VV" "$pairs" "${rows[@]}"
	echo "Ratios: vhost-xdpd / the other system within each run, median [min-max] of the runs."
	echo "n/a (failed): no figure in any run (see the log)."
}

header() {
	echo "# vhost-xdp TCP benchmark (iperf3)"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit: $(git -C "$VX_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$VX_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
	echo "- guest: QEMU $("$VX_QEMU" --version | sed -n 's/.*version \([^ ]*\).*/\1/p;q') -accel tcg, 1 vCPU, ${VX_GUEST_MEM} MiB (memfd, shared), $(basename "$VX_GUEST_KERNEL"), busybox initramfs + $($IPERF --version | head -n 1 | cut -d' ' -f1-2)"
	echo "- virtio-net-pci: QEMU's default features (offloads offered)${VX_TCP_DEVOPTS:+; vhost-xdpd guests also $VX_TCP_DEVOPTS}; vectors=0; host_mtu=M above 1500"
	echo "- NIC: veth vxa (host namespace) <-> vxb (peer namespace), TX checksum offload off on both ends"
	echo "- bridges (t, c, T): net.bridge.bridge-nf-call-iptables=0 inside the test's host namespace only"
	echo "  (per namespace on this kernel; the machine's own setting is left as it is)"
	echo "- cores: every QEMU thread of the guest (g1) on CPU $GUEST_CPU; the back-end on CPU $BE_CPU"
	echo "  (vhost-xdpd: taskset -c $BE_CPU, event mode; DPDK: forwarding lcore $BE_CPU, busy-polling, main lcore $((1 - BE_CPU)) idle);"
	echo "  the peer's iperf3 -s on CPU $PEER_CPU; guest to guest: g1 on CPU $GUEST_CPU, g2 on CPU $PEER_CPU."
	echo "  QEMU's tap baseline does its virtio work in QEMU's own threads, on the guest's CPU."
	echo "  The veth's receive work runs in softirq on the sending CPU."
	echo "- runs: $RUNS, systems interleaved within each run; iperf3 -t $TIME -f m; each figure is the median"
	echo "  of the receiver's Mbit/s"
	[ "$SMOKE" = 1 ] && echo "- SMOKE RUN: one short run, a functional check, not a measurement"
	echo
}

log "building the guest's iperf3 archive"
vx_guest_prepare || { log "guest image failed"; exit 1; }
VX_TMP=$WORK vx_guest_archive "$ARCHIVE" "$IPERF" || exit 1
vx_bpffs
start=$SECONDS
for ((r = 1; r <= RUNS; r++)); do
	for s in $(grep -o . <<<"$SYSTEMS"); do
		for m in $PEER_MTUS; do
			[ "$s" = l ] && [ "$m" != "${PEER_MTUS%% *}" ] && continue
			log "run $r/$RUNS: ${SYS_NAME[$s]}, MTU $m ($((SECONDS - start)) s)"
			run_single "$s" "$m"
		done
	done
	for m in $MTUS; do
		for s in $(grep -o . <<<"$VV"); do
			log "run $r/$RUNS: ${SYS_NAME[$s]} guest to guest, MTU $m ($((SECONDS - start)) s)"
			run_vv "$s" "$m"
		done
	done
done
log "all runs: $((SECONDS - start)) s"
mkdir -p "$(dirname "$OUT")"
{
	header
	report
	echo
	echo "Wall time of the runs: $((SECONDS - start)) s."
} | tee "$OUT"
cp "$RAW" "${OUT%.md}.raw"

# Every figure must be there.
holes=0
while read -r s k; do
	[ "$(median "$s" "$k")" != - ] && continue
	log "no figure for ${SYS_NAME[$s]}, $k"
	holes=$((holes + 1))
done < <(awk '{ print $1, $2 }' "$RAW" | sort -u)
[ "$holes" -eq 0 ]

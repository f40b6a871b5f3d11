#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Soak: three echoing ports (vx-guest echo, the peer's vx-pkt sends and
# checks) and random faults for SOAK_SECONDS (default 120; `make soak`: 600):
#
#   fe-kill     kill -9 of one front-end, then a new one on the same port
#   fe-term     SIGTERM of every front-end, new ones
#   d-term      daemon SIGTERM, started again with the same ports
#   d-kill      daemon SIGKILL, --cleanup, started again
#   nic-flap    the NIC down and up
#   nic-mtu     MTU 1400 and back to 1500
#   nic-new     the NIC deleted and created again (a new ifindex)
#   hostile     vx-guest hostile on a fourth port: malformed chains
#
# After every fault all three ports echo 100 frames intact, then a
# checkpoint (same shape every time: three front-ends attached, the hostile
# one gone) records the daemon's fds, RSS, UMEM frames held, its BPF
# programs and maps (the bpf-prog and bpf-map fds it holds) and the XDP programs on the NIC.
# Nothing may leak; tolerances:
#   fds, BPF programs and maps   equal at every checkpoint (any daemon)
#   XDP programs on the NIC      exactly 1
#   umem_held                    <= 64 (one batch in a worker's hands)
#   RSS                          within 4 MiB from a daemon's first to its last checkpoint
# SOAK_SEED fixes the fault sequence; VX_KEEP_TMP=1 keeps the logs.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

GUEST=$VX_BUILD/vx-guest
PKT=$VX_BUILD/vx-pkt
VXD=$VX_BUILD/vhost-xdpd
SOAK_SECONDS=${SOAK_SECONDS:-120}
SOAK_SEED=${SOAK_SEED:-$$}
MACS=(52:54:00:00:00:50 52:54:00:00:00:51 52:54:00:00:00:52)
HMAC=52:54:00:00:00:5f
GPIDS=("" "" "")

cleanup() {
	local p
	for p in "${GPIDS[@]}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null; done
	vx_daemon_stop	# before `wait`: a running daemon is one of this shell's children
	wait 2>/dev/null
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
}
trap cleanup EXIT
[ -x "$GUEST" ] && [ -x "$PKT" ] && [ -x "$VXD" ] ||
	vx_skip_all "build/vx-guest, vx-pkt or vhost-xdpd missing (run make)"
[ "$(id -u)" = 0 ] || vx_skip_all "needs root"
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
RANDOM=$SOAK_SEED
vx_diag "SOAK_SECONDS $SOAK_SECONDS SOAK_SEED $SOAK_SEED"

PORTS=()
for i in 0 1 2; do
	PORTS+=(--port "name=vm$i,socket=$VX_TMP/vm$i.sock,mac=${MACS[$i]}")
done
PORTS+=(--port "name=vh,socket=$VX_TMP/vh.sock,mac=$HMAC")

# Waits for the "ready" line: after a SIGKILL the old socket files are still there.
daemon_up() {
	local n k
	n=$(cat "$VX_TMP/daemon.log" 2>/dev/null | grep -c "ready: ")
	vx_daemon_start "${PORTS[@]}"
	for ((k = 0; k < 200; k++)); do
		[ "$(grep -c "ready: " "$VX_TMP/daemon.log")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
nconn() { grep -c "vm$1: front-end connected" "$VX_TMP/daemon.log"; }
guest_up() { # guest_up <i>: a front-end on port i, waits until the daemon has it
	local n
	n=$(nconn "$1")
	"$GUEST" echo --socket "$VX_TMP/vm$1.sock" --mac "${MACS[$1]}" >>"$VX_TMP/vm$1.out" 2>&1 &
	GPIDS[$1]=$!
	for ((k = 0; k < 100; k++)); do
		[ "$(nconn "$1")" -gt "$n" ] && return 0
		sleep 0.1
	done
	return 1
}
guest_kill() { # guest_kill <i> <signal>
	[ -n "${GPIDS[$1]}" ] || return 0
	kill "-$2" "${GPIDS[$1]}" 2>/dev/null
	wait "${GPIDS[$1]}" 2>/dev/null
	GPIDS[$1]=
}
guests_restart() {
	local i
	for i in 0 1 2; do guest_kill $i KILL; done
	for i in 0 1 2; do guest_up $i || return 1; done
}
echo_ok() { VX_ECHO_QUIET=1 vx_echo "$1" 100 3; }
all_echo() { echo_ok "${MACS[0]}" && echo_ok "${MACS[1]}" && echo_ok "${MACS[2]}"; }
pair_create() {
	vx_in_host ip link add "$VX_NIC" type veth peer name "$VX_PEER" netns "$VX_PNS" || return 1
	vx_in_host ethtool -K "$VX_NIC" tx off rxvlan off txvlan off >/dev/null 2>&1
	vx_in_peer ethtool -K "$VX_PEER" tx off rxvlan off txvlan off >/dev/null 2>&1
	vx_in_peer ip link set "$VX_PEER" address "$BMAC"
	vx_in_host ip addr add "$VX_HOST_IP/24" dev "$VX_NIC"
	vx_in_peer ip addr add "$VX_PEER_IP/24" dev "$VX_PEER"
	vx_in_host ip link set "$VX_NIC" up
	vx_in_peer ip link set "$VX_PEER" up
}
wait_log_count() { vx_log_wait "$1" "$3" "$2"; } # <regex> <min count> <seconds>

fds() { ls "/proc/$VX_DAEMON_PID/fd" 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$VX_DAEMON_PID/status"; }
# The daemon's BPF objects: the fds it holds of each kind.
bpf_fds() { for f in /proc/"$VX_DAEMON_PID"/fd/*; do readlink "$f"; done 2>/dev/null | grep -c "bpf-$1"; }
bpf_progs() { bpf_fds prog; }
bpf_maps() { bpf_fds map; }
xdp_progs() { vx_in_host ip -d link show "$VX_NIC" 2>/dev/null | grep -o 'prog/xdp id' | wc -l; }
stats_fresh() { vx_stats_fresh; }

daemon_up || { echo "Bail out! daemon did not start"; exit 1; }
guests_restart || { echo "Bail out! front-ends did not attach"; exit 1; }
vx_check "start: three ports echo" all_echo

FAULTS=(fe-kill fe-term d-term d-kill nic-flap nic-mtu nic-new hostile)
declare -A NF
nfault=0 failed=0 ncp=0 leak=0
F0= B0= M0= RSS_FIRST= RSS_LAST= RSS_MAXGROW=0 HELD_MAX=0 LIFE=0
checkpoint() { # checkpoint <fault>
	stats_fresh
	local f r h bp bm x
	f=$(fds) r=$(rss_kb) h=$(vx_stat nic umem_held) bp=$(bpf_progs) bm=$(bpf_maps) x=$(xdp_progs)
	ncp=$((ncp + 1))
	echo "$ncp $1 pid $VX_DAEMON_PID fds $f rss_kb $r umem_held $h bpf_progs $bp bpf_maps $bm xdp $x" \
		>>"$VX_TMP/checkpoints"
	if [ -z "$F0" ]; then
		F0=$f B0=$bp M0=$bm
		vx_diag "first checkpoint: fds $f rss ${r} kB umem_held $h bpf progs $bp maps $bm xdp $x"
	fi
	[ "$f" = "$F0" ] && [ "$bp" = "$B0" ] && [ "$bm" = "$M0" ] && [ "$x" = 1 ] && [ "$h" -le 64 ] || {
		vx_diag "checkpoint $ncp after $1: fds $f (first $F0) bpf $bp/$bm (first $B0/$M0) xdp $x umem_held $h"
		leak=$((leak + 1))
	}
	[ "$h" -gt "$HELD_MAX" ] && HELD_MAX=$h
	if [ "$LIFE" != "$VX_DAEMON_PID" ]; then
		LIFE=$VX_DAEMON_PID RSS_FIRST=$r
	fi
	RSS_LAST=$r
	[ $((r - RSS_FIRST)) -gt "$RSS_MAXGROW" ] && RSS_MAXGROW=$((r - RSS_FIRST))
}
checkpoint start

end=$((SECONDS + SOAK_SECONDS))
while [ $SECONDS -lt $end ]; do
	fault=${FAULTS[$((RANDOM % ${#FAULTS[@]}))]}
	nfault=$((nfault + 1))
	NF[$fault]=$((${NF[$fault]:-0} + 1))
	ok=0
	case $fault in
	fe-kill)
		i=$((RANDOM % 3))
		# under traffic: the peer keeps sending while it dies
		vx_in_peer timeout 2 "$PKT" send --dev "$VX_PEER" --dst "${MACS[$i]}" \
			--count 1000000 --rate 20000 >/dev/null 2>&1 &
		sp=$!
		sleep 0.3
		guest_kill $i KILL
		wait $sp
		sleep 0.3
		guest_up $i || ok=1
		;;
	fe-term)
		for i in 0 1 2; do guest_kill $i TERM; done
		for i in 0 1 2; do guest_up $i || ok=1; done
		;;
	d-term)
		vx_daemon_stop
		[ "$VX_DAEMON_RC" = 0 ] || { vx_diag "daemon SIGTERM exit $VX_DAEMON_RC"; ok=1; }
		daemon_up && guests_restart || ok=1
		;;
	d-kill)
		kill -KILL "$VX_DAEMON_PID"
		wait "$VX_DAEMON_PID" 2>/dev/null
		VX_DAEMON_PID=
		nsenter --net="/run/netns/$VX_HNS" "$VXD" --nic "$VX_NIC" --cleanup \
			2>>"$VX_TMP/daemon.log" || ok=1
		[ "$(xdp_progs)" = 0 ] || { vx_diag "--cleanup left an XDP program"; ok=1; }
		daemon_up && guests_restart || ok=1
		;;
	nic-flap)
		vx_in_host ip link set "$VX_NIC" down
		sleep 0.5
		vx_in_host ip link set "$VX_NIC" up
		;;
	nic-mtu)
		vx_in_host ip link set "$VX_NIC" mtu 1400
		sleep 0.5
		vx_in_host ip link set "$VX_NIC" mtu 1500
		;;
	nic-new)
		n=$(grep -c "$VX_NIC: attached again" "$VX_TMP/daemon.log")
		vx_in_host ip link del "$VX_NIC"
		sleep 0.5
		pair_create || ok=1
		wait_log_count "$VX_NIC: attached again" $((n + 1)) 10 || ok=1
		;;
	hostile)
		cases=(next-loop addr-oob ind-loop avail-jump len-max rx-loop hdr-only)
		c1=${cases[$((RANDOM % ${#cases[@]}))]} c2=${cases[$((RANDOM % ${#cases[@]}))]}
		# RX cases need frames arriving while they wait: the peer sends some meanwhile.
		vx_in_peer timeout 8 "$PKT" send --dev "$VX_PEER" --dst "$HMAC" --count 100000 \
			--rate 1000 >/dev/null 2>&1 &
		sp=$!
		timeout 30 "$GUEST" hostile --socket "$VX_TMP/vh.sock" --mac "$HMAC" --dst "$BMAC" \
			--wait 0.5 "$c1" "$c2" >>"$VX_TMP/hostile.out" 2>&1 ||
			{ vx_diag "hostile $c1 $c2: $(tail -n 1 "$VX_TMP/hostile.out")"; ok=1; }
		kill $sp 2>/dev/null
		wait $sp 2>/dev/null
		;;
	esac
	kill -0 "$VX_DAEMON_PID" 2>/dev/null || { vx_diag "daemon died after $fault"; ok=1; break; }
	all_echo || ok=1
	[ $ok = 0 ] || { failed=$((failed + 1)); vx_diag "fault $nfault ($fault) failed"; }
	sleep 0.3
	checkpoint "$fault"
done

summary=
for f in "${FAULTS[@]}"; do summary+="$f ${NF[$f]:-0}, "; done
vx_diag "faults: $nfault ($summary)"
vx_diag "checkpoints: $ncp; fds $F0 at each: $([ $leak = 0 ] && echo yes || echo no); bpf progs/maps $B0/$M0"
vx_diag "umem_held max $HELD_MAX; RSS largest growth within one daemon $RSS_MAXGROW kB (last daemon: $RSS_FIRST -> $RSS_LAST kB)"
vx_ok $((nfault < 3)) "$nfault faults in $SOAK_SECONDS s"
vx_ok $failed "every fault recovered: all three ports echo after each ($failed failed)"
vx_ok $leak "no leak: fds, BPF programs and maps equal, one XDP program, umem_held <= 64 at all $ncp checkpoints"
vx_ok $((RSS_MAXGROW > 4096)) "RSS flat: grew at most $RSS_MAXGROW kB within a daemon's life (tolerance 4096)"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM at the end: clean exit"
vx_ok $(($(xdp_progs) != 0)) "no XDP program left"
vx_done

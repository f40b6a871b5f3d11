#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The capabilities of vhost-xdpd@.service (CapabilityBoundingSet=, read from
# dist/vhost-xdpd@.service.in) are enough, and each of them is needed. The
# daemon runs as root on the veth pair under `setpriv --bounding-set`, which
# is what systemd does for a root service with that setting (root's
# permitted and effective sets after exec are the bounding set), and under
# a 4 MiB RLIMIT_MEMLOCK, less than one 8 MiB UMEM:
#   1. with exactly the unit's set: ready; a guest (vx-guest, memfd memory)
#      echoes frames; broadcast frames reach the port through the AF_PACKET
#      tap; --napi-busy-poll's socket options are accepted; SIGTERM detaches
#      the XDP program (without CAP_SYS_ADMIN) and exits 0;
#   2. the same with a dedicated-queue port (the guest's memory is the UMEM);
#   3. with one capability of the set taken away, for each: no start, a
#      one-line reason, no XDP program left;
#   4. after SIGKILL, --cleanup needs CAP_SYS_ADMIN, which is why the unit runs
#      it as ExecStopPost=+ (full privileges);
#   5. (a daemon with --ctl-group) giving the control socket to a group fails
#      without CAP_CHOWN, and works when the group is a supplementary group
#      (SupplementaryGroups=, as the unit's comment says).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

VXD=$VX_BUILD/vhost-xdpd
GUEST=$VX_BUILD/vx-guest
PKT=$VX_BUILD/vx-pkt
UNIT=$VX_ROOT/dist/vhost-xdpd@.service.in
CAPH=/usr/include/linux/capability.h
[ -x "$VXD" ] && [ -x "$GUEST" ] && [ -x "$PKT" ] || vx_skip_all "not built (run make)"
[ "$(id -u)" = 0 ] || vx_skip_all "needs root"
command -v setpriv >/dev/null || vx_skip_all "no setpriv (util-linux)"
[ -r "$CAPH" ] || vx_skip_all "no $CAPH (linux-libc-dev)"

read -r -a CAPS <<<"$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")"
[ ${#CAPS[@]} -gt 0 ] || { echo "Bail out! no CapabilityBoundingSet= in $UNIT"; exit 1; }
MEMLOCK=$((4 << 20))
GMAC=52:54:00:00:00:60
SOCK=$VX_TMP/vm0.sock
GUEST_PID=
# Newer daemons want port sockets in --socket-dir.
SOCKDIR=()
"$VXD" --help | grep -q -- --socket-dir && SOCKDIR=(--socket-dir "$VX_TMP")

cleanup() {
	[ -n "$GUEST_PID" ] && kill "$GUEST_PID" 2>/dev/null
	vx_ns_teardown
}
trap cleanup EXIT
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1

# bounding <CAP_X...>: setpriv's --bounding-set for exactly these.
bounding() {
	local s=-all c
	for c in "$@"; do
		c=${c#CAP_}
		s+=",+${c,,}"
	done
	echo "$s"
}
# mask <CAP_X...>: their bit mask, as /proc/PID/status prints it.
mask() {
	local m=0 c n
	for c in "$@"; do
		n=$(awk -v c="$c" '$1 == "#define" && $2 == c { print $3 }' "$CAPH")
		m=$((m | (1 << n)))
	done
	printf '%016x\n' "$m"
}
# start_caps <CAP_X...> -- <daemon args>: the daemon in the host namespace,
# as root with that bounding set. prlimit, setpriv and the daemon are one
# process (each execs the next): VX_DAEMON_PID is the daemon's.
start_caps() {
	local caps=()
	while [ "$1" != -- ]; do
		caps+=("$1")
		shift
	done
	shift
	: >"$VX_TMP/daemon.log"
	nsenter --net="/run/netns/$VX_HNS" prlimit --memlock="$MEMLOCK" \
		setpriv --bounding-set="$(bounding "${caps[@]}")" --inh-caps=-all ${SETPRIV_EXTRA:-} -- \
		"$VXD" --nic "$VX_NIC" "${SOCKDIR[@]}" --stats-file "$VX_TMP/stats" "$@" \
		2>>"$VX_TMP/daemon.log" &
	VX_DAEMON_PID=$!
}
wait_ready() { # wait_ready <seconds>: the daemon logged ready (0) or exited (1)
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		grep -q 'ready:' "$VX_TMP/daemon.log" && return 0
		kill -0 "$VX_DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
no_xdp() { ! vx_in_host ip -d link show "$VX_NIC" | grep -q 'prog/xdp'; }
nic_stat() { awk -v c="$1" '$2 == c { v += $3 } END { print v + 0 }' "$VX_TMP/stats"; }
guest_start() {
	"$GUEST" echo --socket "$SOCK" --mac "$GMAC" >"$VX_TMP/guest.out" 2>&1 &
	GUEST_PID=$!
}
guest_stop() {
	[ -n "$GUEST_PID" ] || return 0
	kill "$GUEST_PID" 2>/dev/null
	wait "$GUEST_PID" 2>/dev/null
	GUEST_PID=
}
# echo_n <n> <description>: n frames to the guest come back intact.
echo_n() {
	local rpid rc
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$GMAC" --count "$1" --timeout 15 \
		>"$VX_TMP/recv.out" 2>&1 &
	rpid=$!
	sleep 0.5
	vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$GMAC" --count "$1" --size 60 \
		--rate 2000 >/dev/null
	wait $rpid
	rc=$?
	vx_diag "vx-pkt: $(cat "$VX_TMP/recv.out")"
	vx_ok $rc "$2: $1 frames came back intact"
}
last_error() { grep -E 'error|warn' "$VX_TMP/daemon.log" | tail -n 1 | sed 's/^vhost-xdpd\[[0-9.]*\] //'; }

vx_diag "the unit's set: ${CAPS[*]}; RLIMIT_MEMLOCK $((MEMLOCK >> 20)) MiB"

# --- 1. the unit's set, an ordinary port ---
start_caps "${CAPS[@]}" -- --napi-busy-poll --port "name=vm0,socket=$SOCK,mac=$GMAC"
vx_check "the unit's set: the daemon becomes ready" wait_ready 20
eff=$(awk '/^CapEff/ { print $2 }' "/proc/$VX_DAEMON_PID/status" 2>/dev/null)
vx_check "  its effective set is exactly the unit's ($eff)" test "$eff" = "$(mask "${CAPS[@]}")"
vx_check "  the socket options of --napi-busy-poll were accepted" \
	bash -c "! grep -q 'no preferred busy polling' '$VX_TMP/daemon.log'"
guest_start
vx_wait_path "$SOCK" 5
sleep 1
echo_n 200 "the unit's set, vx-guest echo"
before=$(nic_stat bcast_frames)
vx_in_peer "$PKT" send --dev "$VX_PEER" --dst ff:ff:ff:ff:ff:ff --count 20 --size 60 \
	--rate 1000 >/dev/null
sleep 1.5
after=$(nic_stat bcast_frames)
vx_diag "bcast_frames $before -> $after"
vx_ok "$([ $((after - before)) -ge 20 ] && echo 0 || echo 1)" \
	"  20 broadcast frames came in through the AF_PACKET tap"
guest_stop
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "  SIGTERM: clean exit (rc=$VX_DAEMON_RC)"
vx_check "  the XDP program was detached without CAP_SYS_ADMIN" no_xdp
vx_check "  ...and the daemon said so" grep -q 'XDP program vx_steer detached' "$VX_TMP/daemon.log"

# --- 2. the unit's set, a dedicated-queue port ---
start_caps "${CAPS[@]}" -- --port "name=vm0,socket=$SOCK,mac=$GMAC,queue=dedicated"
vx_check "dedicated queue, the unit's set: ready" wait_ready 20
guest_start
vx_wait_path "$SOCK" 5
sleep 1
vx_check "  the guest's memory became the UMEM" \
	grep -q 'dedicated queue: .* writes into guest memory' "$VX_TMP/daemon.log"
echo_n 200 "  dedicated queue"
guest_stop
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "  clean exit (rc=$VX_DAEMON_RC)"
vx_check "  no XDP program left" no_xdp

# --- 3. each capability of the set is needed ---
for drop in "${CAPS[@]}"; do
	rest=()
	for c in "${CAPS[@]}"; do
		[ "$c" = "$drop" ] || rest+=("$c")
	done
	start_caps "${rest[@]}" -- --port "name=vm0,socket=$SOCK,mac=$GMAC"
	wait_ready 20
	ready=$?
	vx_daemon_stop
	vx_diag "without $drop: rc=$VX_DAEMON_RC: $(last_error)"
	vx_ok "$([ $ready -ne 0 ] && [ "$VX_DAEMON_RC" -ne 0 ] && echo 0 || echo 1)" \
		"without $drop the daemon does not start"
	vx_check "  and leaves no XDP program" no_xdp
done

# --- 4. after SIGKILL ---
start_caps "${CAPS[@]}" -- --port "name=vm0,socket=$SOCK,mac=$GMAC"
wait_ready 20
kill -KILL "$VX_DAEMON_PID"
wait "$VX_DAEMON_PID" 2>/dev/null
VX_DAEMON_PID=
vx_ok "$(no_xdp && echo 1 || echo 0)" "SIGKILL leaves the XDP program on the NIC"
out=$(nsenter --net="/run/netns/$VX_HNS" setpriv --bounding-set="$(bounding "${CAPS[@]}")" \
	--inh-caps=-all -- "$VXD" --cleanup --nic "$VX_NIC" 2>&1)
rc=$?
vx_diag "--cleanup with the unit's set: rc=$rc: $(echo "$out" | tail -n 1)"
vx_ok "$([ $rc -ne 0 ] && echo 0 || echo 1)" "  --cleanup with the unit's set fails (reading the program back needs CAP_SYS_ADMIN)"
out=$(nsenter --net="/run/netns/$VX_HNS" "$VXD" --cleanup --nic "$VX_NIC" 2>&1)
vx_ok $? "  --cleanup with full privileges, as ExecStopPost=+ runs it: $(echo "$out" | tail -n 1)"
vx_check "  and the program is gone" no_xdp

# --- 5. --ctl-group ---
gid=100		# "users" on Debian
group=$(getent group "$gid" | cut -d: -f1)
if [ -z "$group" ]; then
	vx_ok 0 "--ctl-group with the unit's set # SKIP no group $gid here"
elif "$VXD" --help | grep -q -- --ctl-group; then
	start_caps "${CAPS[@]}" -- --ctl-group "$group"
	wait_ready 10
	ready=$?
	vx_daemon_stop
	vx_diag "--ctl-group $group, the unit's set: $(last_error)"
	vx_ok "$([ $ready -ne 0 ] && echo 0 || echo 1)" "--ctl-group $group with the unit's set alone: refused (no CAP_CHOWN)"
	SETPRIV_EXTRA="--groups=$gid" start_caps "${CAPS[@]}" -- --ctl-group "$group"
	vx_check "  with $group as a supplementary group: ready" wait_ready 20
	vx_check "  the control socket is $group's, mode 0660" \
		test "$(stat -c '%G %a' "$VX_TMP/$VX_NIC.ctl" 2>/dev/null)" = "$group 660"
	vx_daemon_stop
	vx_ok "$VX_DAEMON_RC" "  clean exit (rc=$VX_DAEMON_RC)"
else
	vx_ok 0 "--ctl-group with the unit's set # SKIP this vhost-xdpd has no --ctl-group yet"
fi
vx_done

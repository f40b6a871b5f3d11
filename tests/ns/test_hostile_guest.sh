#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A hostile guest next to a well-behaved one (shared/docs/hostile-inputs.md,
# classes 9-18). The daemon serves two ports on the veth "NIC":
#
#   vm0  vx-guest hostile: one malformed chain per case (cases come one by one
#        through a FIFO), checks what it sees itself (err eventfd, used ring,
#        canaries, GET_FEATURES still answered), then resets its rings like a
#        rebooting guest and sends one valid frame, which the peer must get
#   vm1  vx-guest echo: echoes (macswap) what the peer sends it
#
# For each case: the daemon still runs, vm1 keeps echoing every frame intact,
# and the daemon's counters say what happened (queue_broken, tx_drop_runt,
# rx_drop_too_big, ...). tx-flood keeps vm0's TX ring full while vm1 echoes;
# its frames go to vm0's own MAC (switched inside the daemon): over the veth a
# flood of over a million frames a second would overflow the peer's packet
# socket and lose vm1's echoes there, not in the daemon.
# The daemon's fd count must be the same before and after the cases, and it
# must exit 0 on SIGTERM. VX_KEEP_TMP=1 keeps the logs; VX_DAEMON_ARGS adds
# daemon options.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

GUEST=$VX_BUILD/vx-guest
PKT=$VX_BUILD/vx-pkt
MAC0=52:54:00:00:00:20
MAC1=52:54:00:00:00:21
SOCK0=$VX_TMP/vm0.sock
SOCK1=$VX_TMP/vm1.sock
ECHO_N=200		# frames vm1 must echo during each case
RX_N=3			# frames sent to vm0 while its RX ring holds bad buffers

ECHO_PID=
HOSTILE_PID=
cleanup() {
	exec 7>&- 2>/dev/null
	[ -n "$HOSTILE_PID" ] && kill "$HOSTILE_PID" 2>/dev/null
	[ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null
	vx_daemon_stop	# before `wait`: a running daemon is one of this shell's children
	wait 2>/dev/null
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
}
trap cleanup EXIT
[ -x "$GUEST" ] && [ -x "$PKT" ] && [ -x "$VX_BUILD/vhost-xdpd" ] ||
	vx_skip_all "build/vx-guest, vx-pkt or vhost-xdpd missing (run make)"

daemon_fds() { ls "/proc/$VX_DAEMON_PID/fd" 2>/dev/null | wc -l; }

declare -A base
COUNTERS="queue_broken tx_packets tx_drop_runt rx_drop_too_big rx_drop_not_ready
	tx_drop_bad_offload tx_drop_gso_segs tx_drop_gso_too_big tx_gso tx_gso_segs"
stat_mark() {
	local c
	for c in $COUNTERS; do
		vx_stat_mark "vm0 $c"
	done
}
delta() { vx_stat_delta vm0 "$1"; }

# Waits (3 s at most) until vm0's tx_packets went up by at least $1: the
# snapshot then covers everything the case did before its last frame.
wait_tx() {
	local i
	for ((i = 0; i < 30; i++)); do
		[ "$(delta tx_packets)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

check_delta() { # check_delta <case> <counter> <expected increase>
	local got
	got=$(delta "$2")
	[ "$got" -eq "$3" ] || vx_diag "$1: vm0 $2 went up by $got"
	vx_ok $((got != $3)) "$1: daemon counted vm0 $2 +$3"
}

# Turns vx-guest's own "ok"/"not ok" lines for one case into TAP lines here.
relay_case() { # relay_case <output file> <case>
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok - $2"*) vx_ok 0 "vm0 sees: ${line#ok - }" ;;
		"not ok - $2"*) vx_ok 1 "vm0 sees: ${line#not ok - }" ;;
		esac
	done < <(sed -n "/^# $2: /,/^done $2 /p" "$1")
}

# Runs one case through the hostile session whose stdin is fd 7.
# run_case <output file> <case> <break|runt|sent|rxdrop|rxbreak|flood|offload:COUNTER|tso:SEGS>
run_case() {
	local out=$1 name=$2 kind=$3 nvm0=1 rc rpid epid
	# frames of vm0 the peer must get, and vm0's tx_packets (a TSO frame's
	# segments go to a MAC of nobody's: the peer's checker does not see them)
	local ntx=1
	case "$kind" in sent) nvm0=2 ntx=2 ;; tso:*) ntx=2 ;; esac
	stat_mark
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$MAC0" --dst "$BMAC" --count "$nvm0" \
		--timeout 8 >"$VX_TMP/vm0-$name.out" 2>&1 &
	rpid=$!
	vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$MAC1" --count "$ECHO_N" --timeout 8 \
		>"$VX_TMP/vm1-$name.out" 2>&1 &
	epid=$!
	sleep 0.2
	echo "$name" >&7
	case "$kind" in
	rx*)
		vx_wait_line "$out" "^wait $name\$" 5
		vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$MAC0" --count "$RX_N" >/dev/null
		sleep 0.1
		echo go >&7
		;;
	flood) sleep 0.5 ;;	# vm1 must echo while the flood runs
	esac
	vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$MAC1" --count "$ECHO_N" \
		--rate 20000 >/dev/null
	vx_wait_line "$out" "^done $name " 10
	vx_ok $? "$name: case finished"
	relay_case "$out" "$name"
	wait $rpid
	vx_ok $? "$name: the peer got vm0's valid frame(s) ($(cat "$VX_TMP/vm0-$name.out"))"
	wait $epid
	rc=$?
	vx_ok $rc "$name: vm1 echoed $ECHO_N frames intact ($(cat "$VX_TMP/vm1-$name.out"))"
	kill -0 "$VX_DAEMON_PID" 2>/dev/null
	vx_ok $? "$name: daemon still running"
	wait_tx "$ntx"
	case "$kind" in
	break)
		check_delta "$name" queue_broken 1
		check_delta "$name" tx_drop_runt 0
		;;
	runt)
		check_delta "$name" tx_drop_runt 1
		check_delta "$name" queue_broken 0
		;;
	sent)
		check_delta "$name" tx_packets 2
		check_delta "$name" tx_drop_runt 0
		check_delta "$name" queue_broken 0
		;;
	rxdrop)
		check_delta "$name" rx_drop_too_big "$RX_N"
		check_delta "$name" queue_broken 0
		;;
	rxbreak)
		check_delta "$name" queue_broken 1
		check_delta "$name" rx_drop_not_ready "$RX_N"
		;;
	flood)
		vx_diag "$name: vm0 tx_packets +$(delta tx_packets)"
		check_delta "$name" queue_broken 0
		;;
	offload:*)	# dropped for the reason named, nothing else
		check_delta "$name" "${kind#offload:}" 1
		check_delta "$name" tx_gso_segs 0
		check_delta "$name" tx_drop_runt 0
		check_delta "$name" queue_broken 0
		;;
	tso:*)	# cut into this many segments and sent
		check_delta "$name" tx_gso 1
		check_delta "$name" tx_gso_segs "${kind#tso:}"
		check_delta "$name" queue_broken 0
		;;
	esac
}

# Starts a hostile session on fd 7: start_hostile <output file> [vx-guest options]
start_hostile() {
	local out=$1
	shift
	rm -f "$VX_TMP/h.in"
	mkfifo "$VX_TMP/h.in"
	"$GUEST" hostile --socket "$SOCK0" --mac "$MAC0" --dst "$BMAC" --flood 2 \
		--flood-dst "$MAC0" "$@" - \
		<"$VX_TMP/h.in" >"$out" 2>&1 &
	HOSTILE_PID=$!
	exec 7>"$VX_TMP/h.in"
	vx_wait_line "$out" '^ready$' 5
}

stop_hostile() {
	exec 7>&-
	wait "$HOSTILE_PID"
	local rc=$?
	HOSTILE_PID=
	return $rc
}

vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }
BMAC=$(vx_in_peer cat /sys/class/net/"$VX_PEER"/address)
vx_in_host sysctl -qw net.ipv6.conf.all.disable_ipv6=1
vx_in_peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1

# shellcheck disable=SC2086 # VX_DAEMON_ARGS: extra options, e.g. -v
vx_daemon_start --port "name=vm0,socket=$SOCK0,mac=$MAC0" \
	--port "name=vm1,socket=$SOCK1,mac=$MAC1" ${VX_DAEMON_ARGS:-}
vx_wait_path "$SOCK0" 10 && vx_wait_path "$SOCK1" 10
vx_ok $? "daemon up with ports vm0 and vm1"

"$GUEST" echo --socket "$SOCK1" --mac "$MAC1" >"$VX_TMP/echo.out" 2>&1 &
ECHO_PID=$!
sleep 0.3
kill -0 "$ECHO_PID" 2>/dev/null
vx_ok $? "vm1: vx-guest echo connected"
FDS_IDLE=$(daemon_fds)

# --- one session with MRG_RXBUF and EVENT_IDX: every case in turn ---
OUT=$VX_TMP/hostile.out
start_hostile "$OUT"
vx_ok $? "vm0: vx-guest hostile connected"
sleep 0.2
FDS_BEFORE=$(daemon_fds)
for c in next-loop next-oob addr-oob len-max cross-end ind-len-odd ind-len-0 ind-nested \
	ind-next ind-oob ind-loop avail-jump; do
	run_case "$OUT" "$c" break
done
run_case "$OUT" hdr-only runt
run_case "$OUT" short-hdr runt
run_case "$OUT" hdr-split sent
run_case "$OUT" rx-readonly rxdrop
run_case "$OUT" rx-1byte-mrg rxdrop
run_case "$OUT" rx-loop rxbreak
run_case "$OUT" tx-flood flood
FDS_AFTER=$(daemon_fds)
[ "$FDS_AFTER" -eq "$FDS_BEFORE" ] || vx_diag "daemon fds: $FDS_BEFORE before, $FDS_AFTER after"
vx_ok $((FDS_AFTER != FDS_BEFORE)) "daemon holds as many fds after the cases as before"
vx_diag "daemon fds: $FDS_IDLE with vm1 only, $FDS_BEFORE with vm0 connected too"
BROKEN=$(vx_stat vm0 queue_broken)
stop_hostile
vx_ok $? "vm0: every hostile case passed on the guest side"
sleep 1.2
# Counters only move forward: a reconnect must not forget queue_broken.
NOW=$(vx_stat vm0 queue_broken)
[ "$NOW" -ge "$BROKEN" ] || vx_diag "vm0 queue_broken was $BROKEN, $NOW after the disconnect"
vx_ok $((NOW < BROKEN)) "vm0 queue_broken survives the front-end's disconnect"

# --- without MRG_RXBUF and EVENT_IDX (NO_NOTIFY / NO_INTERRUPT flags instead) ---
OUT=$VX_TMP/hostile-nomrg.out
start_hostile "$OUT" --no-mrg --no-event-idx
vx_ok $? "vm0: vx-guest hostile --no-mrg --no-event-idx connected"
run_case "$OUT" rx-tiny rxdrop
run_case "$OUT" next-loop break
run_case "$OUT" hdr-split sent
stop_hostile
vx_ok $? "vm0: the cases without MRG_RXBUF passed on the guest side"
sleep 0.3
FDS_END=$(daemon_fds)
[ "$FDS_END" -eq "$FDS_IDLE" ] || vx_diag "daemon fds: $FDS_IDLE idle before, $FDS_END after"
vx_ok $((FDS_END != FDS_IDLE)) "vm0 gone again: daemon back to $FDS_IDLE fds"

# --- offloads negotiated (CSUM, HOST_TSO4/6, HOST_ECN): lying headers (classes 16, 25) ---
OUT=$VX_TMP/hostile-offload.out
start_hostile "$OUT" --offload
vx_ok $? "vm0: vx-guest hostile --offload connected"
run_case "$OUT" off-csum-start offload:tx_drop_bad_offload
run_case "$OUT" off-csum-offset offload:tx_drop_bad_offload
run_case "$OUT" off-gso-size0 offload:tx_drop_gso_segs
run_case "$OUT" off-gso-mss1 offload:tx_drop_gso_segs
run_case "$OUT" off-gso-mtu offload:tx_drop_gso_too_big
run_case "$OUT" off-gso-udp offload:tx_drop_bad_offload
run_case "$OUT" off-gso-v6 offload:tx_drop_bad_offload
run_case "$OUT" off-gso-ihl offload:tx_drop_bad_offload
run_case "$OUT" off-gso-doff offload:tx_drop_bad_offload
run_case "$OUT" off-gso-totlen offload:tx_drop_bad_offload
# 60000 bytes of payload in 1448-byte segments: 42.
run_case "$OUT" off-tso-long tso:42
stop_hostile
vx_ok $? "vm0: the offload cases passed on the guest side"

kill -TERM "$ECHO_PID"
wait "$ECHO_PID"
vx_ok $? "vm1: echo exited cleanly ($(cat "$VX_TMP/echo.out"))"
ECHO_PID=
vx_daemon_stop
vx_ok "${VX_DAEMON_RC:-1}" "daemon exited 0 on SIGTERM"
if [ -s "$VX_TMP/daemon.log" ]; then
	vx_diag "daemon log (last 10 lines):"
	tail -n 10 "$VX_TMP/daemon.log" | sed 's/^/#   /'
fi
vx_done

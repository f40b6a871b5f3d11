#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A migration pair without QEMU (README "Live migration"): two ports of one
# MAC, each with its own vx-guest echo front-end; frames from the peer and
# the ports' rx_packets show which one receives at each step:
#
#   1. a attached: a receives (the first port of a pair owns the MAC)
#   2. b's rings start (a migration's destination): b receives, a nothing
#   3. a's rings start again (a failed migration: the source resumes): a
#      receives, b nothing; broadcasts too go to the owner only
#   4. a removed (vhost-xdpctl port del, as after a migration): b owns the
#      MAC and receives
#
# Never both at once: every frame is counted by exactly one port.
# VX_KEEP_TMP=1 keeps the logs.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

GUEST=$VX_BUILD/vx-guest
CTL=$VX_BUILD/vhost-xdpctl
MAC=52:54:00:00:00:4a
N=200

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	vx_daemon_stop
	wait 2>/dev/null
	[ -n "${VX_KEEP_TMP:-}" ] && echo "# logs kept in $VX_TMP"
	vx_ns_teardown
}
trap cleanup EXIT
[ -x "$GUEST" ] && [ -x "$CTL" ] && [ -x "$VX_BUILD/vx-pkt" ] && [ -x "$VX_BUILD/vhost-xdpd" ] ||
	vx_skip_all "build/vx-guest, vhost-xdpctl, vx-pkt or vhost-xdpd missing (run make)"
[ "$(id -u)" = 0 ] || vx_skip_all "needs root"
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }

# guest_up <port>: a new echo front-end on the port; waits for its rings.
guest_up() {
	local n
	n=$(grep -c "$1: front-end connected" "$VX_TMP/daemon.log")
	"$GUEST" echo --socket "$VX_TMP/$1.sock" --mac "$MAC" >>"$VX_TMP/$1.out" 2>&1 &
	PIDS+=($!)
	eval "G_$1=$!"
	vx_log_wait "$1: front-end connected" 10 $((n + 1)) && sleep 0.5
}

# receives <who> <other>: N frames echoed, all counted by <who>'s port
# and none by <other>'s. (<who> may count a few more: the host's own
# broadcasts and multicasts on the NIC, flooded to the owner.)
receives() {
	local da db
	vx_stats_fresh
	vx_stat_mark "$1 rx_packets" "$2 rx_packets"
	vx_echo "$MAC" "$N" || return 1
	vx_stats_fresh
	da=$(vx_stat_delta "$1" rx_packets)
	db=$(vx_stat_delta "$2" rx_packets)
	vx_diag "  rx_packets: $1 +$da, $2 +$db"
	[ "$da" -ge "$N" ] && [ "$db" -eq 0 ]
}

vx_daemon_start --port "name=a,socket=$VX_TMP/a.sock,mac=$MAC" \
	--port "name=b,socket=$VX_TMP/b.sock,mac=$MAC"
vx_wait_path "$VX_TMP/a.sock" 15 && vx_wait_path "$VX_TMP/b.sock" 15
vx_ok $? "daemon up with ports a and b of one MAC (a migration pair)"

guest_up a
vx_ok $? "a's front-end attached"
vx_check "1. a receives, b (no front-end yet) nothing" receives a b

guest_up b
vx_log_wait "b: RX rings started: MAC .* now steered here, not to a" 5
vx_ok $? "2. b's rings started: the daemon moved the MAC to b"
vx_check "   b receives, a nothing (a still attached)" receives b a

kill "$G_a"
wait "$G_a" 2>/dev/null
guest_up a
vx_log_wait "a: RX rings started: MAC .* now steered here, not to b" 5
vx_ok $? "3. a's rings started again (the source resumes): the MAC is a's again"
vx_check "   a receives, b nothing" receives a b

vx_stats_fresh
vx_stat_mark "a rx_packets" "b rx_packets"
vx_in_peer "$VX_BUILD/vx-pkt" send --dev "$VX_PEER" --dst ff:ff:ff:ff:ff:ff --count 50 \
	--rate 5000 >/dev/null
vx_stats_fresh
da=$(vx_stat_delta a rx_packets)
db=$(vx_stat_delta b rx_packets)
vx_ok "$([ "$da" -ge 50 ] && [ "$db" -eq 0 ] && echo 0 || echo 1)" \
	"   50 broadcasts: a got $da, b (standby) $db"

"$CTL" -s "$VX_TMP/$VX_NIC.ctl" port del a >/dev/null
vx_ok $? "4. vhost-xdpctl port del a"
vx_log_wait "a: removed; b now owns MAC" 5
vx_ok $? "   the daemon handed the MAC to b"
vx_check "   b receives" receives b a

kill -0 "$VX_DAEMON_PID" 2>/dev/null
vx_ok $? "daemon still running"
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end (e2e-slow, about 60 s): ports added and removed at runtime
# while a real Linux guest (QEMU, TCG) on another port is pinged from the
# peer at 100 per second. The daemon starts with no port; the guest's port
# comes through vhost-xdpctl. During the pings, ports are added and removed
# in a loop, every other one with vx-guest attached when it is removed.
# Counts ping loss and the worst round trip, against a run of the same
# length without the churn, and times each add and remove. Afterwards only
# the guest's port is left, with the daemon's fd count as before the churn.
#   VX_CHURN_SECONDS=15   length of each ping run
set -u

. "$(dirname "$0")/../lib/ns.sh"
. "$(dirname "$0")/../lib/guest.sh"

CTL=$VX_BUILD/vhost-xdpctl
GUEST=$VX_BUILD/vx-guest
SECS=${VX_CHURN_SECONDS:-15}
G1_IP=10.77.0.2
G1_MAC=52:54:00:00:00:02

[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
[ -n "$VX_GUEST_KERNEL" ] || vx_skip_all "no /boot/vmlinuz-6.1.*-amd64"
[ -x "$VX_BUILD/vhost-xdpd" ] && [ -x "$CTL" ] && [ -x "$GUEST" ] || vx_skip_all "run make"

cleanup() {
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	vx_guest_teardown
	vx_ns_teardown
}
trap cleanup EXIT

vx_ns_setup || { vx_ok 1 "namespaces set up"; vx_done; exit; }
vx_guest_prepare || { vx_ok 1 "guest image"; vx_done; exit; }
CS=$VX_TMP/$VX_NIC.ctl
ctl() { "$CTL" -s "$CS" "$@"; }
dfds() { ls "/proc/$VX_DAEMON_PID/fd" 2>/dev/null | wc -l; }

vx_daemon_start
vx_wait_path "$CS" 10
out=$(ctl port add "name=g1,mac=$G1_MAC" 2>&1)
vx_ok $? "the guest's port is added at runtime: $out"
printf 'echo VXGUEST-MARK up\nsleep 300\n' >"$VX_TMP/g1.sh"
vx_guest_start g1 "$VX_TMP/g1.sock" "$G1_MAC" "$G1_IP/24" "$VX_TMP/g1.sh" server
vx_guest_wait g1 'VXGUEST-MARK up' 120
vx_ok $? "e2e-slow: the guest boots on it"
vx_in_peer ping -c 20 -i 0.2 -W 1 "$G1_IP" >/dev/null 2>&1 # ARP, and the guest settles
vx_in_peer ping -c 3 -W 2 "$G1_IP" >"$VX_TMP/ping0.log" 2>&1
vx_ok $? "the peer pings the guest"

# ping_run <name>: SECS seconds at 100 per second; prints "sent received max_ms"
ping_run() {
	vx_in_peer ping -q -i 0.01 -W 1 -c $((SECS * 100)) "$G1_IP" >"$VX_TMP/$1.log" 2>&1
	awk '/packets transmitted/ { s = $1; r = $4 } /^rtt|^round-trip/ { split($4, a, "/"); m = a[3] }
		END { printf "%d %d %s\n", s, r, m }' "$VX_TMP/$1.log"
}

read -r b_sent b_recv b_max < <(ping_run base)
vx_diag "without churn: $b_recv of $b_sent replies, worst round trip $b_max ms"

fds0=$(dfds)
: >"$VX_TMP/lat.txt"
(
	i=0
	while [ ! -e "$VX_TMP/stop" ]; do
		i=$((i + 1))
		mac=$(printf '52:54:00:10:%02x:%02x' $((i >> 8 & 255)) $((i & 255)))
		t0=$(date +%s%N)
		ctl port add "name=c$i,mac=$mac" >/dev/null || echo "add c$i failed" >>"$VX_TMP/churn.err"
		t1=$(date +%s%N)
		gp=
		if [ $((i % 2)) = 0 ]; then
			"$GUEST" echo --socket "$VX_TMP/c$i.sock" --mac "$mac" >/dev/null 2>&1 &
			gp=$!
			sleep 0.2
		fi
		t2=$(date +%s%N)
		ctl port del "c$i" >/dev/null || echo "del c$i failed" >>"$VX_TMP/churn.err"
		t3=$(date +%s%N)
		[ -n "$gp" ] && wait "$gp"
		echo "$(((t1 - t0) / 1000)) $(((t3 - t2) / 1000))" >>"$VX_TMP/lat.txt"
	done
) &
churn=$!
read -r c_sent c_recv c_max < <(ping_run churn)
touch "$VX_TMP/stop"
wait $churn
n=$(wc -l <"$VX_TMP/lat.txt")
vx_diag "with churn: $c_recv of $c_sent replies, worst round trip $c_max ms; $n ports added and removed"
vx_diag "add/remove through vhost-xdpctl (a process each), µs p50/p99/max: add $(sort -n <"$VX_TMP/lat.txt" | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.5)+1]"/"a[int(NR*0.99)+1]"/"a[NR]}'), remove $(awk '{print $2}' "$VX_TMP/lat.txt" | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.5)+1]"/"a[int(NR*0.99)+1]"/"a[NR]}')"
vx_ok $((n < 20)) "at least 20 ports added and removed during the pings ($n)"
vx_check "every add and remove succeeded" [ ! -s "$VX_TMP/churn.err" ]
lost=$((c_sent - c_recv))
base_lost=$((b_sent - b_recv))
# A TCG guest under load may miss a reply now and then; churn may cost no more than 1 %.
vx_ok $((c_sent == 0 || lost * 100 > c_sent)) "ping loss under churn: $lost of $c_sent (without churn: $base_lost of $b_sent)"
vx_check "only the guest's port is left" bash -c "[ \"\$('$CTL' -s '$CS' port list | tail -n +2 | awk '{print \$1}')\" = g1 ]"
vx_check "no churn socket is left" bash -c "! ls '$VX_TMP'/c*.sock >/dev/null 2>&1"
vx_check "the daemon holds as many fds as before the churn ($fds0 -> $(dfds))" [ "$(dfds)" -eq "$fds0" ]
vx_in_peer ping -c 3 -W 2 "$G1_IP" >/dev/null 2>&1
vx_ok $? "the guest still answers"
vx_guest_stop g1
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: exit 0"
vx_done

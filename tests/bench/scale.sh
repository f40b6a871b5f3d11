#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scale benchmark: one daemon with N idle ports (default 1024), through the
# control socket (tests/lib/ctl_scale.py). Per configuration, RUNS runs
# (default 3), each on a fresh daemon; prints the medians as a table with
# issue 10's targets: RSS per idle port <= 64 KiB, no CPU while idle, add
# and remove p99 <= 5 ms. Configurations: server ports; client ports
# (their VMs off: the daemon retries, backing off to 30 s, after 35 s of
# settling); server ports with a Prometheus stats file written every second.
# Every port add and remove rewrites the --state file (runtime ports saved for a
# restart): in the socket directory by default, which on this machine is ext4;
# the other configurations put it on tmpfs, as /run is on a systemd host.
# There is no peer: no other vhost-user back-end here adds ports at runtime
# without hugepages per port (DPDK's vhost PMD), so the figures stand alone.
#
#   tests/bench/scale.sh [-n PORTS] [-r RUNS] [-i IDLE_SECONDS]
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/report.sh"

N=1024 RUNS=3 IDLE=10
while getopts n:r:i: o; do
	case $o in
	n) N=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	i) IDLE=$OPTARG ;;
	*) echo "usage: $0 [-n PORTS] [-r RUNS] [-i IDLE_SECONDS]" >&2; exit 2 ;;
	esac
done
PY=/usr/bin/python3
[ "$(id -u)" = 0 ] || { echo "scale.sh: needs root" >&2; exit 1; }
SHM=$(mktemp -d /dev/shm/vx-scale.XXXXXX)
trap 'vx_ns_teardown; rm -rf "$SHM"' EXIT
vx_ns_setup || exit 1
RAW=$VX_TMP/raw

one() { # one <config> <mode> <settle> [daemon args...]
	local cfg=$1 mode=$2 settle=$3 j
	shift 3
	nsenter --net="/run/netns/$VX_HNS" "$VX_BUILD/vhost-xdpd" --nic "$VX_NIC" --socket-dir "$VX_TMP" \
		"$@" 2>>"$VX_TMP/daemon.log" &
	VX_DAEMON_PID=$!
	vx_wait_path "$VX_TMP/$VX_NIC.ctl" 10
	sleep 1
	rm -f "$SHM/state"
	j=$("$PY" "$VX_ROOT/tests/lib/ctl_scale.py" "$VX_TMP/$VX_NIC.ctl" "$VX_DAEMON_PID" "$N" "$IDLE" \
		"$mode" "$settle")
	vx_daemon_stop
	echo "# $cfg: $j" >&2
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[2])
for k, v in (("rss", d["rss_per_port_kib"]), ("cpu", d["idle_cpu_pct"]),
             ("add50", d["add_ms"]["p50"]), ("add99", d["add_ms"]["p99"]),
             ("del50", d["del_ms"]["p50"]), ("del99", d["del_ms"]["p99"]),
             ("iadd99", d["add_daemon_ms"]["p99"]), ("idel99", d["del_daemon_ms"]["p99"]),
             ("failed", d["n_failed"])):
    print(sys.argv[1], k, v)' "$cfg" "$j" >>"$RAW"
}

: >"$RAW"
for ((r = 1; r <= RUNS; r++)); do
	one server server 0
	one tmpfs server 0 --state "$SHM/state"
	one client client 35 --state "$SHM/state"
	one prom server 0 --state "$SHM/state" --stats-file "$VX_TMP/stats.prom" --stats-format prometheus
done

echo
echo "Scale: $N idle ports on one daemon, median of $RUNS runs ($(date -u +%F), $(nproc) CPUs, $(uname -r))"
echo
echo "| configuration | RSS per idle port (KiB) | idle CPU (% of a core) | add p50 / p99 (ms) | remove p50 / p99 (ms) | in the daemon: add / remove p99 (ms) | refused |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for c in server tmpfs client prom; do
	case $c in
	server) d="server ports, state file in the socket directory (ext4 here)" ;;
	tmpfs) d="server ports, state file on tmpfs (as /run on a systemd host)" ;;
	client) d="client ports (VMs off), state on tmpfs" ;;
	prom) d="server ports, state on tmpfs, Prometheus file every 1 s" ;;
	esac
	echo "| $d | $(median $c rss) | $(median $c cpu) | $(median $c add50) / $(median $c add99) | $(median $c del50) / $(median $c del99) | $(median $c iadd99) / $(median $c idel99) | $(median $c failed) |"
done
echo "| target (issue 10) | <= 64 | 0 | - / <= 5 | - / <= 5 | | 0 |"
echo
echo "Times are from request to reply on the control socket (ctl_scale.py), not through vhost-xdpctl,"
echo "whose process start costs more than the request; \"in the daemon\" is the time the daemon's reply"
echo "states (the request's own work, without the scheduling of two processes on a busy machine). RSS is the daemon's VmRSS after the adds minus"
echo "before, divided by N; the kernel's socket memory is not in it. Idle CPU is every thread's"
echo "schedstat run time over ${IDLE} s."

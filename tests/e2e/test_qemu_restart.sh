#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end (e2e-slow, 1-3 minutes): the daemon is restarted under a real
# Linux guest's TCP streams and the guest never reboots. For each socket
# mode, one guest (QEMU, TCG) streams VX_RESTART_MB both ways with the peer
# (rate-limited by the peer, so both streams last through two restarts)
# while the daemon is
#   1. stopped with SIGTERM and started again, then
#   2. killed with SIGKILL, cleaned up with `vhost-xdpd --cleanup --nic IF`
#      and started again.
# Modes: server (the daemon listens, QEMU reconnect=1) and client (QEMU
# listens with server=on, the daemon connects). Both streams must complete
# intact (sha256). The outage of each restart is measured from the peer's
# pings at 50 per second (the longest time without a reply) and from the
# guest -> peer stream (the longest pause in what the peer receives); the
# pings must resume within VX_RESTART_MAX_MS (default 2000; a TODO check
# above that, since the machine is shared, the measured number is reported).
#   VX_RESTART_MB=24          size of each stream
#   VX_RESTART_RATE=1.5       MB/s the peer sends and reads at
#   VX_RESTART_MODES="server client"
set -u

. "$(dirname "$0")/../lib/ns.sh"
. "$(dirname "$0")/../lib/guest.sh"

MB=${VX_RESTART_MB:-24}
RATE=${VX_RESTART_RATE:-1.5}
MODES=${VX_RESTART_MODES:-server client}
MAX_MS=${VX_RESTART_MAX_MS:-2000}
BYTES=$((MB * 1048576))
XFER_TMO=$((60 + 2 * MB))
G_IP=10.77.0.2
G_MAC=52:54:00:00:00:02
P_G2P=5001
P_P2G=5002
PY=/usr/bin/python3
VXD=$VX_BUILD/vhost-xdpd

[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
for tool in "$VX_QEMU" socat ip "$PY"; do
	command -v "$tool" >/dev/null || vx_skip_all "no $tool"
done
[ -n "$VX_GUEST_KERNEL" ] || vx_skip_all "no /boot/vmlinuz-6.1.*-amd64"
[ -x "$VXD" ] || vx_skip_all "no $VXD (run make)"

failed=0
t_ok() { [ "$1" -eq 0 ] || failed=1; vx_ok "$@"; }
PIDS=()
cleanup() {
	[ "$failed" -ne 0 ] && { for g in gserver gclient; do
		[ -e "$VX_TMP/$g.log" ] && vx_guest_dump "$g" 30; done; vx_backend_dump 60; }
	local p
	for p in "${PIDS[@]}" $(jobs -p); do kill "$p" 2>/dev/null; done
	vx_guest_teardown
	vx_ns_teardown
}
trap cleanup EXIT

# The peer's ends of the streams, at RATE MB/s: "recv PORT OUT" takes the
# guest -> peer stream and logs the longest pause between reads after the
# first byte; "send HOST PORT FILE" sends the peer -> guest stream, retrying
# the connection until the guest listens.
cat >"$VX_TMP/stream.py" <<'PY'
import socket, sys, time
rate = float(sys.argv[1]) * 1048576
def pace(start, done):
    ahead = done / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
if sys.argv[2] == 'recv':
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', int(sys.argv[3])))
    ls.listen(1)
    c, _ = ls.accept()
    out = open(sys.argv[4], 'wb')
    start = last = None
    done = 0
    gaps = []
    while True:
        b = c.recv(65536)
        now = time.monotonic()
        if not b:
            break
        if start is None:
            start = now
        elif now - last > 0.2:
            gaps.append((round(last, 3), round(now - last, 3)))
        last = now
        out.write(b)
        out.flush()
        done += len(b)
        pace(start, done)
    out.close()
    print('done', done, 'gaps', ' '.join('%s:%s' % g for g in gaps), flush=True)
else:
    data = open(sys.argv[5], 'rb').read()
    deadline = time.monotonic() + 120
    while True:
        try:
            s = socket.create_connection((sys.argv[3], int(sys.argv[4])), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    s.settimeout(None)
    start = time.monotonic()
    done = 0
    while done < len(data):
        s.sendall(data[done:done + 65536])
        done += min(65536, len(data) - done)
        pace(start, done)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    print('done', done, flush=True)
PY

guest_script() {
	cat <<EOF
PEER=$VX_PEER_IP
BYTES=$BYTES
TMO=$XFER_TMO
EOF
	cat <<'EOF'
mark() { echo "VXGUEST-MARK $*"; }
ping -c 3 -W 2 $PEER >/dev/null 2>&1; mark ping-peer rc=$?
head -c $BYTES /dev/urandom >/tmp/g2p
set -- $(sha256sum /tmp/g2p)
g2p_sha=$1
(set -- $(timeout $TMO nc -l -p 5002 </dev/null | sha256sum); echo $1 >/tmp/p2g.sha) &
p2g=$!
mark streams
timeout $TMO nc $PEER 5001 </tmp/g2p; rc=$?
mark g2p-done rc=$rc sha=$g2p_sha
wait $p2g
mark p2g-done sha=$(cat /tmp/p2g.sha)
EOF
}

# The longest time without a ping reply (ms) in a ping -D log, and the loss.
ping_gap() { # <log>
	awk '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0; if (p && t - p > g) g = t - p; p = t; r++ }
		END { printf "%d %d\n", g * 1000, r }' "$1"
}

# restart <mode> <guest> <term|kill> <n>: one restart while the streams run.
restart() {
	local mode=$1 g=$2 how=$3 n=$4
	local plog=$VX_TMP/ping-$mode-$how.log t0 t1 t2 rx0 rc=0 ppid
	# ip netns exec execs ping: $! is ping's pid (a function would add a subshell).
	ip netns exec "$VX_PNS" ping -D -i 0.02 -W 1 "$G_IP" >"$plog" 2>&1 &
	ppid=$!
	PIDS+=($ppid)
	sleep 1
	rx0=$(stat -c %s "$VX_TMP/g2p-$mode.rx" 2>/dev/null || echo 0)
	t0=$(date +%s.%N)
	if [ "$how" = term ]; then
		vx_backend_stop
		t1=$(date +%s.%N)
		[ "${VX_BACKEND_RC:-1}" = 0 ] || rc=1
		t_ok $rc "$mode: $n. SIGTERM: the daemon exits 0"
	else
		kill -KILL "$VX_DAEMON_PID"
		wait "$VX_DAEMON_PID" 2>/dev/null
		VX_DAEMON_PID=
		t1=$(date +%s.%N)
		nsenter --net="/run/netns/$VX_HNS" "$VXD" --cleanup --nic "$VX_NIC" \
			2>>"$VX_TMP/daemon.log" || rc=1
		t_ok $rc "$mode: $n. vhost-xdpd --cleanup --nic $VX_NIC after SIGKILL"
	fi
	t2=$(date +%s.%N)
	vx_backend_start "$mode" "vm0=$G_MAC" || rc=1
	t_ok $rc "$mode: $n. daemon started again after $how"
	# The pings resume; then two more seconds to see them steady.
	local i
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		[ "$(tail -n 3 "$plog" | grep -c 'bytes from')" -ge 3 ] &&
			[ "$(awk -v t="$t2" '/bytes from/ { x = substr($1, 2, length($1) - 2) + 0; if (x > t) c++ } END { print c + 0 }' "$plog")" -gt 0 ] && break
	done
	sleep 2
	kill -INT $ppid 2>/dev/null
	wait $ppid 2>/dev/null
	read -r gap replies < <(ping_gap "$plog")
	local stop_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
	local cl_ms=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%d", (b - a) * 1000 }')
	vx_diag "$mode $how: longest ping gap ${gap} ms ($replies replies); stop ${stop_ms} ms, cleanup ${cl_ms} ms"
	OUTAGES+="$mode/$how=${gap}ms "
	if [ "${gap:-99999}" -le "$MAX_MS" ]; then
		t_ok 0 "$mode: $n. pings resume within $MAX_MS ms after $how (${gap} ms)"
	else
		vx_todo 1 "$mode: $n. pings resume within $MAX_MS ms after $how (${gap} ms)" \
			"a shared 2-core machine; see the diagnostics"
	fi
	local rx1
	rx1=$(stat -c %s "$VX_TMP/g2p-$mode.rx" 2>/dev/null || echo 0)
	t_ok $(((rx0 > 0 && rx0 < BYTES) ? 0 : 1)) \
		"$mode: $n. the guest -> peer stream was under way at the $how ($((rx0 / 1048576)) of $MB MB, $((rx1 / 1048576)) MB after)"
}

reap() { # <pid> <seconds>: wait for a helper, kill it when it takes longer
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

run_mode() { # <server|client>
	local mode=$1 g=g$1 rc=0
	rm -f "$VX_TMP/g2p-$mode.rx"
	ip netns exec "$VX_PNS" "$PY" "$VX_TMP/stream.py" "$RATE" recv $P_G2P "$VX_TMP/g2p-$mode.rx" \
		>"$VX_TMP/recv-$mode.log" 2>&1 &
	local recv_pid=$!
	PIDS+=($recv_pid)
	guest_script >"$VX_TMP/$g.sh"
	if [ "$mode" = client ]; then
		vx_guest_start "$g" "$VX_TMP/vm0.sock" $G_MAC $G_IP/24 "$VX_TMP/$g.sh" client || rc=1
		vx_wait_path "$VX_TMP/vm0.sock" 30 || rc=1
		[ $rc -ne 0 ] || vx_backend_start client "vm0=$G_MAC" || rc=1
	else
		vx_backend_start server "vm0=$G_MAC" || rc=1
		[ $rc -ne 0 ] || vx_guest_start "$g" "$VX_TMP/vm0.sock" $G_MAC $G_IP/24 "$VX_TMP/$g.sh" server || rc=1
	fi
	t_ok $rc "$mode: daemon and guest started"
	[ $rc -eq 0 ] || return
	vx_guest_wait "$g" 'VXGUEST-MARK streams' 180
	t_ok $? "$mode: e2e-slow: the guest boots, pings the peer and starts its streams"
	[ "$(vx_guest_field "$g" 'VXGUEST-MARK ping-peer' rc)" = 0 ] || vx_diag "$mode: the guest's first pings failed"
	ip netns exec "$VX_PNS" "$PY" "$VX_TMP/stream.py" "$RATE" send $G_IP $P_P2G "$VX_TMP/p2g.tx" \
		>"$VX_TMP/send-$mode.log" 2>&1 &
	local send_pid=$!
	PIDS+=($send_pid)
	vx_in_peer ping -c 5 -i 0.2 -W 1 "$G_IP" >/dev/null 2>&1 # ARP, and the streams settle
	restart "$mode" "$g" term 1
	sleep 1
	restart "$mode" "$g" kill 2
	vx_guest_wait "$g" 'VXGUEST-MARK p2g-done' "$XFER_TMO"
	local g2p_rc g2p_sha p2g_sha rx_sha
	g2p_rc=$(vx_guest_field "$g" 'VXGUEST-MARK g2p-done' rc)
	g2p_sha=$(vx_guest_field "$g" 'VXGUEST-MARK g2p-done' sha)
	p2g_sha=$(vx_guest_field "$g" 'VXGUEST-MARK p2g-done' sha)
	reap $recv_pid 30
	rx_sha=$(sha256sum <"$VX_TMP/g2p-$mode.rx" | cut -d' ' -f1)
	rc=1
	[ "${g2p_rc:-1}" = 0 ] && [ -n "$g2p_sha" ] && [ "$rx_sha" = "$g2p_sha" ] && rc=0
	t_ok $rc "$mode: e2e-slow: TCP guest -> peer, $MB MB through both restarts, sha256 matches"
	vx_diag "$mode: guest -> peer reader: $(cat "$VX_TMP/recv-$mode.log")"
	rc=1
	[ "$p2g_sha" = "$P2G_SHA" ] && rc=0
	t_ok $rc "$mode: e2e-slow: TCP peer -> guest, $MB MB through both restarts, sha256 matches"
	[ $rc -eq 0 ] || vx_diag "$mode: sent $P2G_SHA, guest got ${p2g_sha:-nothing}; sender: $(cat "$VX_TMP/send-$mode.log")"
	reap $send_pid 10
	vx_guest_wait "$g" 'VXGUEST-DONE' 30
	t_ok $? "$mode: the guest ran to its end without a reboot"
	[ "$(grep -ac 'VXGUEST-READY' "$VX_TMP/$g.log")" = 1 ]
	t_ok $? "$mode: ... it booted once"
	vx_guest_exit_wait "$g" 20
	vx_backend_stop
	t_ok "$([ "${VX_BACKEND_RC:-1}" = 0 ]; echo $?)" "$mode: the last daemon exits 0 on SIGTERM"
}

vx_ns_setup || { t_ok 1 "namespaces set up"; vx_done; exit; }
vx_guest_prepare || { t_ok 1 "guest initramfs built"; vx_done; exit; }
head -c "$BYTES" /dev/urandom >"$VX_TMP/p2g.tx"
P2G_SHA=$(sha256sum <"$VX_TMP/p2g.tx" | cut -d' ' -f1)
OUTAGES=
t0=$SECONDS
for m in $MODES; do
	run_mode "$m"
done
vx_diag "outages (longest ping gap, 50/s): $OUTAGES"
xdp=$(ip -n "$VX_HNS" link show "$VX_NIC" | grep -c xdp)
t_ok "$xdp" "no XDP program left on $VX_NIC"
vx_diag "timing: total $((SECONDS - t0)) s"
vx_done

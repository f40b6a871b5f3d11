#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Service notifications (user/notify.c, sd_notify): the real daemon on the
# veth pair with NOTIFY_SOCKET pointing at a datagram socket this test
# listens on, as systemd does for Type=notify (PID 1 here is not systemd).
#   - READY=1 comes once, from the daemon's own PID (NotifyAccess=main), and
#     only when the daemon is ready: at that moment its log says ready, the
#     XDP program is on the NIC and the vhost-user socket answers;
#   - STOPPING=1 comes once at SIGTERM, after READY=1;
#   - with --config (once the daemon has it): SIGHUP gives RELOADING=1 with
#     MONOTONIC_USEC, then READY=1;
#   - a daemon that fails to start says nothing; an unusable NOTIFY_SOCKET
#     changes nothing.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

VXD=$VX_BUILD/vhost-xdpd
[ -x "$VXD" ] || vx_skip_all "no $VXD (run make)"
[ "$(id -u)" = 0 ] || vx_skip_all "needs root"
command -v python3 >/dev/null || vx_skip_all "no python3 (tools/install-deps.sh)"
ldd "$VXD" | grep -q libsystemd || vx_skip_all "$VXD is not linked with libsystemd"

LISTENER_PID=
unlisten() {
	[ -n "$LISTENER_PID" ] || return 0
	kill "$LISTENER_PID" 2>/dev/null
	wait "$LISTENER_PID" 2>/dev/null
	LISTENER_PID=
}
cleanup() {
	unlisten
	vx_ns_teardown
}
trap cleanup EXIT
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }

SOCK=$VX_TMP/vm0.sock
# Newer daemons want port sockets in --socket-dir (vx_daemon_start passes it there).
SOCKDIR=
"$VXD" --help | grep -q -- --socket-dir && SOCKDIR="--socket-dir $VX_TMP"
PORT="name=vm0,socket=$SOCK,mac=52:54:00:00:00:50"
NSOCK=$VX_TMP/notify.sock
NOTES=$VX_TMP/notes

# The listener: one line per datagram, "pid=<sender> <variables>"; on
# READY=1 it first runs the probe below and appends probe=<exit status>.
cat >"$VX_TMP/listen.py" <<'EOF'
import socket, struct, subprocess, sys
path, out, probe = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while True:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = -1
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        words = msg.decode(errors="replace").split("\n")
        line = "pid=%d %s" % (pid, " ".join(words))
        if "READY=1" in words:
            line += " probe=%d" % subprocess.call(probe)
        f.write(line + "\n")
EOF
# Ready means: the log says so, the steering program is on the NIC, and the
# port's socket answers GET_FEATURES (request 1, version 1, no payload).
cat >"$VX_TMP/probe.sh" <<EOF
#!/bin/bash
grep -q 'ready:' '$VX_TMP/daemon.log' || exit 1
ip -n '$VX_HNS' -d link show '$VX_NIC' | grep -q 'prog/xdp' || exit 2
n=\$(printf '\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00' |
	timeout 5 socat -t 1 - UNIX-CONNECT:'$SOCK' | wc -c)
[ "\$n" = 20 ] || exit 3
EOF
chmod +x "$VX_TMP/probe.sh"

# listen: (re)starts the listener on $NSOCK, writing to $NOTES. Its output
# goes to a file: nothing of it may hold prove's pipe.
listen() {
	unlisten
	rm -f "$NSOCK" "$NOTES"
	python3 "$VX_TMP/listen.py" "$NSOCK" "$NOTES" "$VX_TMP/probe.sh" \
		>>"$VX_TMP/listen.log" 2>&1 </dev/null &
	LISTENER_PID=$!
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$NOTES" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# wait_note <regex> <seconds>: a notification line matching it arrived.
wait_note() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q "$1" "$NOTES" && return 0
		sleep 0.1
	done
	return 1
}
count() { grep -c "$1" "$NOTES"; }
wait_count() { # wait_count <regex> <n> <seconds>: n lines match
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# start <args>: the daemon with a fresh log (the probe greps it).
start() {
	: >"$VX_TMP/daemon.log"
	vx_daemon_start "$@"
}
show_notes() { grep -v '^listening$' "$NOTES" | sed 's/^/# note: /'; }

# --- 1. start, ready, SIGTERM ---
listen || { echo "Bail out! the listener did not start"; exit 1; }
NOTIFY_SOCKET=$NSOCK start --port "$PORT"
pid=$VX_DAEMON_PID
vx_check "READY=1 arrives" wait_note 'READY=1' 20
vx_check "  from the daemon's own PID ($pid)" grep -q "^pid=$pid READY=1" "$NOTES"
probe=$(sed -n 's/.* READY=1.* probe=\([0-9]*\).*/\1/p' "$NOTES" | head -n 1)
vx_diag "probe at READY=1: ${probe:-none} (0 ready; 1 no 'ready:' in the log; 2 no XDP program; 3 socket silent)"
vx_ok "$([ "$probe" = 0 ] && echo 0 || echo 1)" \
	"  ...when the daemon was ready: log said so, XDP attached, socket answered"
vx_check "no STOPPING=1 while running" test "$(count STOPPING=1)" = 0
kill -TERM "$pid"
vx_check "STOPPING=1 arrives at SIGTERM" wait_note 'STOPPING=1' 10
vx_check "  from the daemon's PID" grep -q "^pid=$pid STOPPING=1" "$NOTES"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "clean exit (rc=$VX_DAEMON_RC)"
vx_check "one READY=1 and one STOPPING=1, in that order" \
	test "$(grep -o 'READY=1\|STOPPING=1' "$NOTES" | tr '\n' ' ')" = "READY=1 STOPPING=1 "
show_notes

# --- 2. SIGHUP with a ports file (the daemon's --config) ---
if "$VXD" --help | grep -q -- '--config'; then
	echo "$PORT" >"$VX_TMP/ports"
	listen || { echo "Bail out! the listener did not start"; exit 1; }
	NOTIFY_SOCKET=$NSOCK start --config "$VX_TMP/ports"
	pid=$VX_DAEMON_PID
	vx_check "--config: READY=1 arrives" wait_note 'READY=1' 20
	echo "name=vm1,socket=$VX_TMP/vm1.sock,mac=52:54:00:00:00:51" >>"$VX_TMP/ports"
	kill -HUP "$pid"
	vx_check "SIGHUP: RELOADING=1 with MONOTONIC_USEC" wait_note "^pid=$pid RELOADING=1 MONOTONIC_USEC=[0-9]" 10
	vx_check "  then READY=1 again" wait_count READY=1 2 10
	vx_check "  and the new port's socket exists" vx_wait_path "$VX_TMP/vm1.sock" 5
	vx_check "  order: READY=1 RELOADING=1 READY=1" \
		test "$(grep -o 'READY=1\|RELOADING=1' "$NOTES" | tr '\n' ' ')" = "READY=1 RELOADING=1 READY=1 "
	vx_daemon_stop
	vx_ok "$VX_DAEMON_RC" "clean exit after the reload (rc=$VX_DAEMON_RC)"
	show_notes
else
	vx_ok 0 "SIGHUP reload notifications # SKIP this vhost-xdpd has no --config yet"
fi

# --- 3. a daemon that cannot start says nothing ---
# --zero-copy on fails on veth after the program is attached: late in the start.
listen || { echo "Bail out! the listener did not start"; exit 1; }
out=$(NOTIFY_SOCKET=$NSOCK nsenter --net="/run/netns/$VX_HNS" timeout 20 "$VXD" --nic "$VX_NIC" \
	$SOCKDIR --zero-copy on --port "$PORT" 2>&1)
rc=$?
vx_diag "--zero-copy on: rc=$rc: $(echo "$out" | grep -i error | tail -n 1)"
vx_ok "$([ $rc -ne 0 ] && [ $rc -ne 124 ] && echo 0 || echo 1)" "a daemon that cannot start exits non-zero"
sleep 0.3
vx_check "  ...and sent no READY=1 (nor anything else)" test "$(grep -vc '^listening$' "$NOTES")" = 0
unlisten

# --- 4. NOTIFY_SOCKET nobody listens on ---
NOTIFY_SOCKET=$VX_TMP/nobody.sock start --port "$PORT"
vx_check "NOTIFY_SOCKET without a listener: the daemon still starts" vx_wait_path "$SOCK" 10
vx_check "  and becomes ready" bash -c "sleep 0.5; grep -q 'ready:' '$VX_TMP/daemon.log'"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "  and exits cleanly (rc=$VX_DAEMON_RC)"
vx_done

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Ports at runtime through the control socket and --config, with vx-guest as
# the VMM: vhost-xdpctl port add/list/show/del, a removed port releases its
# socket file, fds, guest memory maps and steering entry; bad requests get
# a reason and break nothing; the socket directory confines port paths;
# --config is re-read on SIGHUP and only the difference applied; stats as
# JSON (read by python3's json) and Prometheus text (read by
# prometheus_client's parser); the control socket's mode and --ctl-group.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

GUEST=$VX_BUILD/vx-guest
PKT=$VX_BUILD/vx-pkt
CTL=$VX_BUILD/vhost-xdpctl
PY=/usr/bin/python3
MACA=52:54:00:00:01:0a
MAC1=52:54:00:00:01:01
MAC2=52:54:00:00:01:02
MACC=52:54:00:00:01:0c

GPID=
cleanup() {
	[ -n "$GPID" ] && kill "$GPID" 2>/dev/null
	vx_daemon_stop	# before `wait`: a running daemon is one of this shell's children
	wait 2>/dev/null
	vx_ns_teardown
}
trap cleanup EXIT
[ -x "$GUEST" ] && [ -x "$PKT" ] && [ -x "$CTL" ] && [ -x "$VX_BUILD/vhost-xdpd" ] ||
	vx_skip_all "build/vx-guest, vx-pkt, vhost-xdpctl or vhost-xdpd missing (run make)"
[ -x "$PY" ] && "$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	vx_skip_all "no python3 with prometheus_client (tools/install-deps.sh)"
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }

SD=$VX_TMP
CS=$SD/$VX_NIC.ctl
chmod 755 "$VX_TMP"	# others may reach the sockets: their own modes must keep them out
ctl() { "$CTL" -s "$CS" "$@"; }
dfds() { ls "/proc/$VX_DAEMON_PID/fd" 2>/dev/null | wc -l; }
dmaps() { grep -c 'memfd:vx-guest' "/proc/$VX_DAEMON_PID/maps" 2>/dev/null; }
listed() { ctl port list | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }
# A raw request on the control socket: raw <bytes (printf format)> -> the reply
raw() { "$PY" - "$CS" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode('latin-1').decode('unicode_escape').encode('latin-1'))
out = b''
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except socket.timeout:
    out += b'<timeout>'
sys.stdout.write(out.decode('latin-1'))
PY
}

printf '# the operator'"'"'s ports\nname=vmA,mac=%s\n' "$MACA" >"$VX_TMP/ports.conf"
vx_daemon_start --config "$VX_TMP/ports.conf" --stats-format prometheus
vx_wait_path "$CS" 10
vx_ok $? "the daemon starts without --port; control socket $CS"
vx_check "control socket is mode 600, root's" [ "$(stat -c %a:%u "$CS")" = 600:0 ]
vx_check "the --config port is there, its socket in the socket directory" \
	bash -c "$(declare -f ctl listed); CTL=$CTL CS=$CS; listed vmA && [ -S $SD/vmA.sock ]"

# ---- add, use, remove ----
fds0=$(dfds)
out=$(ctl port add "name=vm1,mac=$MAC1" 2>&1)
vx_ok $? "port add vm1: $out"
vx_check "  ... its socket exists" [ -S "$SD/vm1.sock" ]
vx_check "  ... port list shows it" listed vm1
ctl port list --json >"$VX_TMP/list.json"
vx_check "  ... port list --json parses, with both ports" "$PY" -c "
import json,sys; l=json.load(open('$VX_TMP/list.json'))
sys.exit(not ({p['name'] for p in l} == {'vmA','vm1'} and all('attached' in p for p in l)))"
ctl port add 'name=odd,mac=52:54:00:00:01:0e,socket=a"b\c.sock' >/dev/null
vx_check "a socket name with a quote and a backslash: port list and show --json still parse" bash -c "
'$CTL' -s '$CS' port list --json | '$PY' -c 'import json,sys; l=json.load(sys.stdin); sys.exit(not [p for p in l if p[\"socket\"].endswith(\"a\\\"b\\\\c.sock\")])' &&
'$CTL' -s '$CS' port show odd --json | '$PY' -c 'import json,sys; json.load(sys.stdin)'"
ctl port del odd >/dev/null
"$GUEST" echo --socket "$SD/vm1.sock" --mac "$MAC1" >"$VX_TMP/g1.out" 2>&1 &
GPID=$!
for ((i = 0; i < 50; i++)); do
	ctl port show vm1 | grep -q '^attached: yes' && break
	sleep 0.1
done
vx_check "  ... vx-guest attached (port show)" bash -c "'$CTL' -s '$CS' port show vm1 | grep -q '^attached: yes'"
sleep 0.5
vx_in_peer "$PKT" recv --dev "$VX_PEER" --src "$MAC1" --count 50 --timeout 8 >"$VX_TMP/r1.out" 2>&1 &
rpid=$!
sleep 0.2
vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$MAC1" --count 50 --rate 2000 >/dev/null
wait $rpid
vx_ok $? "  ... 50 frames echoed through the runtime port"
ctl stats --json >"$VX_TMP/stats.json"
vx_check "stats --json parses; vm1 received 50+" "$PY" -c "
import json,sys; s=json.load(open('$VX_TMP/stats.json'))
p={x['name']:x for x in s['ports']}
sys.exit(not (p['vm1']['counters']['rx_packets']>=50 and p['vm1']['attached'] and 'rx_frames' in s['nic']['counters']))"
fds1=$(dfds)
maps1=$(dmaps)
vx_diag "daemon fds: $fds0 before the port, $fds1 with vx-guest attached; guest memory maps: $maps1"
out=$(ctl port del vm1 2>&1)
vx_ok $? "port del vm1 while its guest is attached: $out"
vx_check "  ... the socket file is gone" [ ! -e "$SD/vm1.sock" ]
vx_check "  ... the port is not listed" bash -c "! ( $(declare -f ctl listed); CTL=$CTL CS=$CS; listed vm1 )"
vx_check "  ... the guest's memory is unmapped" [ "$(dmaps)" -eq 0 ]
vx_check "  ... every fd it held is closed ($fds1 -> $fds0)" [ "$(dfds)" -eq "$fds0" ]
for ((i = 0; i < 50; i++)); do
	kill -0 "$GPID" 2>/dev/null || break
	sleep 0.1
done
vx_check "  ... vx-guest saw its back-end go" bash -c "! kill -0 $GPID 2>/dev/null"
GPID=
# Its MAC is no longer steered: a frame to it passes to the host stack.
sleep 1.2
h0=$(vx_stat nic steer_pass_host)
awk '/^vhost_xdp_nic_steer_pass_host_total/ {print $2}' "$VX_TMP/stats" >/dev/null
vx_in_peer "$PKT" send --dev "$VX_PEER" --dst "$MAC1" --count 20 >/dev/null
sleep 1.3
h1=$(awk '/^vhost_xdp_nic_steer_pass_host_total/ {print $2}' "$VX_TMP/stats")
vx_diag "steer_pass_host after the 20 frames: $h1"
vx_check "  ... its steering entry is gone: frames to its MAC pass to the host" [ "${h1:-0}" -ge 20 ]
out=$(ctl port add "name=vm1,mac=$MAC1,socket=vm1b.sock" 2>&1)
vx_ok $? "the name can be used again: $out"
vx_check "  ... its counters start from 0" bash -c \
	"'$CTL' -s '$CS' stats --json | '$PY' -c 'import json,sys; s=json.load(sys.stdin); sys.exit(not [p for p in s[\"ports\"] if p[\"name\"]==\"vm1\" and p[\"counters\"][\"rx_packets\"]==0 and p[\"counters\"][\"steer_redirect\"]==0])'"

# ---- refused requests ----
refused() { # refused <description> <vhost-xdpctl args...>
	local d=$1 out rc
	shift
	out=$(ctl "$@" 2>&1)
	rc=$?
	vx_diag "$d: rc=$rc: $out"
	[ "$rc" = 1 ] && [ -n "$out" ]
}
vx_check "a second port named vm1 is refused" refused dup port add "name=vm1,mac=$MAC2"
vx_check "a second port with vmA's MAC is accepted (a migration pair)" ctl port add "name=vmA2,mac=$MACA"
vx_check "a third port with vmA's MAC is refused" refused dupmac port add "name=vm2,mac=$MACA"
vx_check "  ... the pair's second port is removed again" ctl port del vmA2
vx_check "a socket outside the socket directory is refused" refused outside port add "name=vm2,mac=$MAC2,socket=/etc/vm2"
vx_check "a socket of ../ is refused" refused dotdot port add "name=vm2,mac=$MAC2,socket=../vm2"
vx_check "a SPEC without name= is refused" refused noname port add "mac=$MAC2"
vx_check "a bad MAC is refused" refused badmac port add "name=vm2,mac=01:00:5e:00:00:01"
vx_check "deleting an unknown port is refused" refused nodel port del nosuch
vx_check "/etc is untouched" [ ! -e /etc/vm2 ]
vx_check "usage error: exit 2" bash -c "'$CTL' -s '$CS' >/dev/null 2>&1; [ \$? = 2 ]"

rawcheck() { # rawcheck <description> <bytes> <regex>
	local out
	out=$(raw "$2")
	vx_diag "$1: $(echo "$out" | head -n 1)"
	[[ "$out" =~ $3 ]]
}
vx_check "garbage bytes: error" rawcheck garbage '\x00\xff\x01junk\n' '^error: '
vx_check "an unknown request: error" rawcheck unknown 'frobnicate\n' '^error: unknown request'
vx_check "a line of 5000 bytes: error" rawcheck long "$(printf 'a%.0s' {1..5000})\n" '^error: '
vx_check "two requests in one: error" rawcheck two 'stats\nstats\n' '^error: one request'

t0=$(date +%s%N)
out=$(raw 'port list')
t1=$(date +%s%N)
vx_diag "a request without its newline: closed after $(((t1 - t0) / 1000000)) ms"
ms=$(((t1 - t0) / 1000000))
vx_check "a request that never ends is dropped after the timeout" \
	bash -c "[ $ms -ge 4000 ] && [ $ms -lt 9000 ]"
# 40 connections at once that send nothing: some refused, the daemon serves the next.
"$PY" - "$CS" <<'PY' >"$VX_TMP/flood.out" 2>&1 &
import socket, sys, time
ss = []
for i in range(40):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1]); ss.append(s)
time.sleep(1)
busy = 0
for s in ss:
    s.setblocking(False)
    try:
        if s.recv(100).startswith(b'error: too many'): busy += 1
    except BlockingIOError:
        pass
print('busy', busy)
PY
fpid=$!
sleep 0.5
out=$(ctl port list 2>&1)
wait $fpid
vx_diag "while 40 idle connections are open: $(cat "$VX_TMP/flood.out")"
vx_check "idle connections past the limit are refused" grep -Eq 'busy [1-9]' "$VX_TMP/flood.out"
sleep 5.5
vx_check "after the flood, requests are served" bash -c "'$CTL' -s '$CS' port list | grep -q vmA"
vx_check "the daemon still runs" kill -0 "$VX_DAEMON_PID"

# ---- --config and SIGHUP ----
printf 'name=vmA,mac=%s,vlan=5\nname=vmC,mac=%s\n' "$MACA" "$MACC" >"$VX_TMP/ports.conf"
kill -HUP "$VX_DAEMON_PID"
sleep 1
vx_check "SIGHUP: a new line adds vmC" listed vmC
vx_check "  ... a changed line changes vmA (vlan 5)" bash -c "'$CTL' -s '$CS' port show vmA | grep -q 'vlan=5'"
vx_check "  ... the port added by vhost-xdpctl stays" listed vm1
printf 'name=vmC,mac=%s\n' "$MACC" >"$VX_TMP/ports.conf"
out=$(ctl reload 2>&1)
vx_ok $? "vhost-xdpctl reload: $out"
vx_check "  ... a removed line removes vmA and its socket" \
	bash -c "! ( $(declare -f ctl listed); CTL=$CTL CS=$CS; listed vmA ) && [ ! -e $SD/vmA.sock ]"
printf 'name=vmC,mac=%s\nname=bad,mac=zz\n' "$MACC" >"$VX_TMP/ports.conf"
kill -HUP "$VX_DAEMON_PID"
sleep 1
vx_check "a broken file changes nothing" bash -c "$(declare -f ctl listed); CTL=$CTL CS=$CS; listed vmC && listed vm1"
grep -E 'reload|ports.conf' "$VX_TMP/daemon.log" | tail -n 2 | sed 's/^/# /'

# ---- Prometheus ----
sleep 1.2
vx_check "the Prometheus stats file parses, families have port/reason/queue labels" "$PY" - "$VX_TMP/stats" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
need = ['vhost_xdp_port_rx_packets', 'vhost_xdp_port_rx_dropped', 'vhost_xdp_nic_umem_frames_held',
        'vhost_xdp_port_queue_errors', 'vhost_xdp_port_attached']
miss = [n for n in need if n not in fams]
ok = not miss
ok = ok and {s.labels.get('port') for s in fams['vhost_xdp_port_rx_packets'].samples} >= {'vm1', 'vmC'}
ok = ok and all('reason' in s.labels for s in fams['vhost_xdp_port_rx_dropped'].samples)
ok = ok and all('queue' in s.labels for s in fams['vhost_xdp_nic_umem_frames_held'].samples)
print('# families:', len(fams), 'missing:', miss)
sys.exit(not ok)
PY
vx_check "  ... written to a temporary file and renamed (no .tmp left)" [ ! -e "$VX_TMP/stats.tmp" ]

# ---- SIGTERM, then --ctl-group ----
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: exit 0"
vx_check "  ... the control socket and port sockets are removed" \
	bash -c "[ ! -e '$CS' ] && ! ls '$SD'/*.sock >/dev/null 2>&1"
vx_check "as nobody, the root-only socket is refused" \
	bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups '$CTL' -s '$CS' port list >/dev/null 2>&1"
vx_daemon_start --ctl-group nogroup
vx_wait_path "$CS" 10
vx_check "--ctl-group nogroup: mode 660, group nogroup" [ "$(stat -c %a:%G "$CS")" = 660:nogroup ]
vx_check "  ... a member of the group is served" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" -s "$CS" port list
vx_check "  ... a user outside it is refused" \
	bash -c "! setpriv --reuid=nobody --regid=12345 --clear-groups '$CTL' -s '$CS' port list >/dev/null 2>&1"
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: exit 0"
vx_done

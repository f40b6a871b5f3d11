#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Ports added at runtime survive a daemon restart (--state): added with
# vhost-xdpctl, they are back with the same sockets after SIGTERM and a new
# start, and after SIGKILL, `vhost-xdpd --cleanup` and a new start; a port
# removed with `port del` does not come back; --port and --config ports are
# not saved and win over a saved port they conflict with; --state none
# saves nothing.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/ns.sh"

CTL=$VX_BUILD/vhost-xdpctl
VXD=$VX_BUILD/vhost-xdpd
CS=$VX_TMP/$VX_NIC.ctl
ST=$VX_TMP/$VX_NIC.state
MAC0=52:54:00:00:02:00
MAC1=52:54:00:00:02:01
MAC2=52:54:00:00:02:02
MAC3=52:54:00:00:02:03
MACA=52:54:00:00:02:0a

[ -x "$CTL" ] && [ -x "$VXD" ] || vx_skip_all "build/vhost-xdpctl or vhost-xdpd missing (run make)"
[ "$(id -u)" -eq 0 ] || vx_skip_all "needs root"
trap vx_ns_teardown EXIT
vx_ns_setup || { echo "Bail out! namespace setup failed"; exit 1; }

ctl() { "$CTL" -s "$CS" "$@"; }
# The ports as "NAME SOCKET MODE", sorted: what a restart must bring back.
ports() { ctl port list | awk 'NR > 1 { print $1, $6, $4 }' | sort; }
has() { ctl port list | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; }
up() { # up <args...>: start and wait for the control socket
	rm -f "$CS"
	vx_daemon_start "$@"
	vx_wait_path "$CS" 15
}
xdp_on() { vx_in_host ip link show "$VX_NIC" | grep -q xdp; }
not() { ! "$@"; }

printf 'name=vmA,mac=%s\n' "$MACA" >"$VX_TMP/ports.conf"
up --port "name=vm0,mac=$MAC0" --config "$VX_TMP/ports.conf"
vx_ok $? "the daemon starts with --port vm0 and --config vmA"
vx_check "no state file before any runtime add" [ ! -e "$ST" ]
ctl port add "name=vm1,mac=$MAC1" >/dev/null &&
	ctl port add "name=vm2,mac=$MAC2,socket=two.sock,mode=client,vlan=7,queues=2" >/dev/null &&
	ctl port add "name=vm3,mac=$MAC3" >/dev/null
vx_ok $? "vm1 (server), vm2 (client, vlan 7, 2 queues) and vm3 added with vhost-xdpctl"
ctl port del vm3 >/dev/null
vx_ok $? "vm3 removed again"
vx_check "the state file is mode 600" [ "$(stat -c %a "$ST" 2>/dev/null)" = 600 ]
vx_check "  ... holds vm1 and vm2 only (not vm0 from --port, vmA from --config, vm3 removed)" \
	bash -c "[ \"\$(grep -v '^#' '$ST' | cut -d, -f1 | sort | tr '\n' ' ')\" = 'name=vm1 name=vm2 ' ]"
vx_check "  ... no temporary file left" [ ! -e "$ST.tmp" ]
before=$(ports)
vx_diag "ports: $(echo "$before" | tr '\n' ';')"

# ---- SIGTERM, start again ----
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: exit 0"
vx_check "  ... vm1's socket is removed" [ ! -e "$VX_TMP/vm1.sock" ]
vx_check "  ... the state file stays" [ -s "$ST" ]
up --port "name=vm0,mac=$MAC0" --config "$VX_TMP/ports.conf"
vx_ok $? "started again with the same command line"
after=$(ports)
vx_check "  ... the same ports with the same sockets and modes (vm1, vm2 back)" [ "$before" = "$after" ]
[ "$before" = "$after" ] || vx_diag "after: $(echo "$after" | tr '\n' ';')"
vx_check "  ... vm1's socket is there again" [ -S "$VX_TMP/vm1.sock" ]
vx_check "  ... vm2 keeps vlan 7, mode=client, queues=2" \
	bash -c "'$CTL' -s '$CS' port show vm2 | grep -q 'vlan=7.*queues=2\|queues=2.*vlan=7' &&
		'$CTL' -s '$CS' port show vm2 | grep -q mode=client"
vx_check "  ... vm3, removed before, is not back" not has vm3

# ---- SIGKILL, --cleanup, start again ----
kill -KILL "$VX_DAEMON_PID"
wait "$VX_DAEMON_PID" 2>/dev/null
VX_DAEMON_PID=
vx_check "SIGKILL leaves the XDP program on $VX_NIC" xdp_on
nsenter --net="/run/netns/$VX_HNS" "$VXD" --cleanup --nic "$VX_NIC" 2>>"$VX_TMP/daemon.log"
vx_ok $? "vhost-xdpd --cleanup --nic $VX_NIC"
vx_check "  ... no XDP program left" not xdp_on
up --port "name=vm0,mac=$MAC0" --config "$VX_TMP/ports.conf"
vx_ok $? "started again over the stale sockets"
after=$(ports)
vx_check "  ... the same ports with the same sockets and modes" [ "$before" = "$after" ]
vx_check "  ... vm1's socket is a fresh one (accepting)" \
	bash -c "socat -u OPEN:/dev/null UNIX-CONNECT:$VX_TMP/vm1.sock"

# ---- conflicts: --port and --config win ----
ctl port del vm2 >/dev/null
vx_daemon_stop
up --port "name=vm0,mac=$MAC0" --port "name=vm1,mac=$MAC3" --config "$VX_TMP/ports.conf"
vx_ok $? "a --port named like the saved vm1 does not stop the start"
vx_check "  ... vm1 is the --port one (MAC $MAC3)" bash -c "'$CTL' -s '$CS' port show vm1 | grep -qi '$MAC3'"
vx_check "  ... vm2, removed before the restart, is not back" not has vm2
vx_check "  ... the saved vm1 is left out of the file" bash -c "! grep -q '^name=' '$ST'"
vx_check "  ... and the log says so" grep -q "vm1.*left out\|two ports named 'vm1'" "$VX_TMP/daemon.log"
vx_daemon_stop

# ---- --state none, another --state ----
up --state none
ctl port add "name=vm5,mac=$MAC1" >/dev/null
vx_ok $? "--state none: a port is added"
vx_check "  ... and not saved" bash -c "! grep -q vm5 '$ST'"
vx_daemon_stop
up --state "$VX_TMP/other.state"
ctl port add "name=vm6,mac=$MAC1" >/dev/null
vx_check "--state FILE: a port added is saved there" grep -q '^name=vm6,' "$VX_TMP/other.state"
vx_daemon_stop
mkdir "$VX_TMP/ro" && chmod 555 "$VX_TMP/ro"
up --state "$VX_TMP/ro/x.state"
mkdir "$VX_TMP/ro/x.state.tmp" 2>/dev/null || { chmod 755 "$VX_TMP/ro"; mkdir "$VX_TMP/ro/x.state.tmp"; }
out=$(ctl port add "name=vm7,mac=$MAC2" 2>&1)
rc=$?
vx_check "a port that cannot be saved is refused: $out" [ $rc -ne 0 ]
vx_check "  ... and not added" not has vm7
vx_check "  ... its socket is gone" [ ! -e "$VX_TMP/vm7.sock" ]
vx_daemon_stop
vx_ok "$VX_DAEMON_RC" "SIGTERM: exit 0"
vx_done

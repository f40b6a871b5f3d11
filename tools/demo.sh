#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job on a built-in default: one real Linux guest on vhost-xdpd.
#
#   tools/demo.sh [--keep] [--no-deps] [--no-build]
#
# Installs what is missing, builds, makes a namespace "NIC" (a veth pair:
# vxa 10.77.0.1 in netns vxh-ID, its peer vxb 10.77.0.100 in netns vxp-ID),
# starts vhost-xdpd on vxa with one port, boots a guest (10.77.0.2) on it,
# shows the guest pinging the peer, the peer pinging the guest and the host
# address, prints the daemon's counters and removes everything again.
# --keep leaves it all running until you press Enter.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
DEPS=1
BUILD=1
for arg in "$@"; do
	case "$arg" in
	--keep) KEEP=1 ;;
	--no-deps) DEPS=0 ;;
	--no-build) BUILD=0 ;;
	-h | --help)
		sed -n '3,12p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "demo.sh: unknown option $arg (try --help)" >&2
		exit 2
		;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: must run as root" >&2; exit 1; }

say() { printf '\n==> %s\n' "$*"; }
run() { # shows a command, then runs it
	printf '    $ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/      /'
	return "${PIPESTATUS[0]}"
}

cd "$ROOT" || exit 1
if [ $DEPS -eq 1 ]; then
	say "Installing missing packages"
	tools/install-deps.sh || exit 1
fi
if [ $BUILD -eq 1 ]; then
	say "Building"
	make -j"$(nproc)" >/tmp/vx-demo-build.log 2>&1 || {
		tail -n 30 /tmp/vx-demo-build.log
		echo "demo.sh: build failed (full log: /tmp/vx-demo-build.log)" >&2
		exit 1
	}
	rm -f /tmp/vx-demo-build.log
	echo "    build/vhost-xdpd ready"
fi

. "$ROOT/tests/lib/ns.sh"
. "$ROOT/tests/lib/guest.sh"
vx_diag() { echo "    $*"; }

MAC=52:54:00:00:00:02
GUEST_IP=10.77.0.2
status=0
tailer=

cleanup() {
	[ $? -eq 0 ] || status=1
	[ -n "$tailer" ] && kill "$tailer" 2>/dev/null
	say "Tearing down"
	vx_guest_teardown
	echo "    $VX_BACKEND exit code: ${VX_BACKEND_RC:-?}"
	if ip -n "$VX_HNS" link show "$VX_NIC" 2>/dev/null | grep -q xdp; then
		echo "    XDP program still attached to $VX_NIC"
		status=1
	else
		echo "    no XDP program left on $VX_NIC"
	fi
	vx_ns_teardown
	echo "    namespaces $VX_HNS and $VX_PNS removed"
	if [ $status -eq 0 ]; then say "Demo finished: OK"; else say "Demo finished: FAILED"; fi
	exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Making the namespace NIC: $VX_HNS/$VX_NIC $VX_HOST_IP <-> $VX_PNS/$VX_PEER $VX_PEER_IP"
vx_ns_setup || { status=1; exit; }
vx_guest_prepare || { status=1; exit; }

say "Starting $VX_BACKEND on $VX_NIC, port vm0 ($MAC, socket $VX_TMP/vm0.sock)"
vx_backend_start server vm0=$MAC || { status=1; vx_backend_dump; exit; }
echo "    pid ${VX_DAEMON_PID:-${VX_PMD_PID:-}}, log $VX_TMP/daemon.log, counters $VX_TMP/stats"
run ip -n "$VX_HNS" link show "$VX_NIC"

cat >"$VX_TMP/demo-guest.sh" <<EOF
echo "--- inside the guest:"
ip -4 addr show eth0 | grep inet
ping -c 3 -W 2 $VX_PEER_IP
echo "VXGUEST-MARK demo-ping rc=\$?"
if [ $KEEP -eq 1 ]; then
	echo "--- guest stays up (--keep)"
	while :; do sleep 3600; done
fi
# Stay up until the demo says bye (port 5003), so the peer can ping us.
timeout 60 nc -l -p 5003 </dev/null >/dev/null
EOF

say "Booting a Linux guest (QEMU, TCG: about 10 s) with virtio-net on vm0, ip $GUEST_IP"
vx_guest_start g1 "$VX_TMP/vm0.sock" $MAC $GUEST_IP/24 "$VX_TMP/demo-guest.sh" || { status=1; exit; }
tail -n +1 -f "$VX_TMP/g1.log" 2>/dev/null > >(sed -u 's/\r//; s/^/    guest| /') &
tailer=$!
if ! vx_guest_wait g1 'VXGUEST-MARK demo-ping' 120; then
	echo "    the guest did not get through its ping"
	status=1
fi
[ "$(vx_guest_field g1 'VXGUEST-MARK demo-ping' rc)" = 0 ] || status=1
sleep 0.5

say "The peer reaches the guest through vhost-xdpd, and the host's own address on the NIC"
run vx_in_peer ping -c 3 -i 0.3 -W 2 $GUEST_IP || status=1
run vx_in_peer ping -c 3 -i 0.3 -W 2 $VX_HOST_IP || status=1

say "Daemon counters ($VX_TMP/stats)"
sleep 1.1
if [ -s "$VX_TMP/stats" ]; then
	sed 's/^/    /' "$VX_TMP/stats"
else
	echo "    (no stats file yet)"
fi

if [ $KEEP -eq 1 ]; then
	say "Everything stays up. Try:"
	echo "    ip netns exec $VX_PNS ping $GUEST_IP"
	echo "    cat $VX_TMP/stats; tail -f $VX_TMP/daemon.log"
	echo "    Press Enter to tear down."
	read -r _ || true
else
	vx_in_peer socat -u - TCP:$GUEST_IP:5003,retry=10,interval=0.3 <<<bye 2>/dev/null
	vx_guest_wait g1 'VXGUEST-DONE' 30
	vx_guest_exit_wait g1 10
fi
exit $status

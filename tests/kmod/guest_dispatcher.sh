# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/kmod/test_kmod_dispatcher.sh (runs as /test.sh in the
# Debian 6.1 guest, whose kernel loads freplace programs: libxdp's dispatcher
# works here, unlike on the build host). Prints its own TAP lines between
# KM-TAP-BEGIN and KM-TAP-END; the host relays them.
#
#   vxa (this namespace, 10.99.0.1, XDP) <-> vxb (namespace peer, 10.99.0.2)
#   1. xdp-loader puts xdp_count (counts and passes every frame) on vxa: the
#      dispatcher loads.
#   2. vhost-xdpd starts on vxa with one port (vx-guest on its vhost-user
#      socket): both programs under one dispatcher; frames for the port's MAC
#      reach vx-guest, vx-guest's frames reach vxb, the host still answers
#      pings and xdp_count still counts them.
#   3. SIGTERM: vx_steer goes, xdp_count stays and counts.
#   4. SIGKILL + vhost-xdpd --cleanup: the same.
#   5. xdp-loader unload --all: nothing left.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
IP=/usr/sbin/ip-full
GMAC=52:54:00:00:00:02
SOCK=/tmp/vm0.sock
COUNT_OBJ=/lib/bpf/xdp_count.bpf.o
NFR=20
# TAP: vx_ok, vx_diag (tests/lib/tap.sh, put next to this script as /tap.sh by kmod_guest_run).
. /tap.sh

# Frames xdp_count has seen (its one map entry), empty if it is not loaded.
count() {
	bpftool map dump name xdp_count_pkts 2>/dev/null |
		sed -n 's/.*"value": *\([0-9][0-9]*\).*/\1/p' | head -n1
}
status() { xdp-loader status vxa 2>&1; }
has_prog() { status | grep -q " $1 "; } # has_prog <program name>
wait_log() { # wait_log <file> <pattern> <seconds>
	i=0
	while ! grep -q "$2" "$1" && [ $i -lt $(($3 * 5)) ]; do sleep 0.2; i=$((i + 1)); done
	grep -q "$2" "$1"
}
daemon_start() { # daemon_start <log> [daemon options]
	l=$1
	shift
	vhost-xdpd "$@" --nic vxa --socket-dir "$(dirname "$SOCK")" --port "name=vm0,socket=$SOCK,mac=$GMAC" --stats-file /tmp/vx.stats \
		>"$l" 2>&1 &
	VXD=$!
	wait_log "$l" 'ready' 60
}
# host_ping <what>: the peer pings vxa's address; xdp_count must count the
# echo requests (they pass vx_steer, if loaded, then reach xdp_count).
host_ping() {
	c0=$(count)
	$IP netns exec peer ping -c 5 -i 0.3 -w 15 10.99.0.1 >/tmp/ping.log 2>&1
	rc=$?
	c1=$(count)
	vx_ok $rc "$1: the peer pings the host's address on vxa: $(grep -o '[0-9]* packets received' /tmp/ping.log)"
	[ -n "$c0" ] && [ -n "$c1" ] && [ $((c1 - c0)) -ge 5 ]
	vx_ok $? "$1: xdp_count still sees host traffic (counter ${c0:-?} -> ${c1:-?})"
}
show_status() { status | grep -E '^(vxa| =>)' | sed "s/^/# $1: /"; }

insmod /lib/modules/veth.ko || echo "KM-INSMOD-FAIL veth"
mkdir -p /run/netns /var/run /sys/fs/bpf /tmp
mount -t bpf bpf /sys/fs/bpf
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null
$IP netns add peer
$IP link add vxa type veth peer name vxb
$IP link set vxb netns peer
$IP addr add 10.99.0.1/24 dev vxa
$IP link set vxa up
$IP netns exec peer $IP addr add 10.99.0.2/24 dev vxb
$IP netns exec peer $IP link set vxb up
$IP netns exec peer $IP link set lo up
PEER_MAC=$($IP netns exec peer cat /sys/class/net/vxb/address)

echo KM-TAP-BEGIN
# 1. The other program first, through xdp-loader: the dispatcher loads here.
xdp-loader load -v -m native vxa "$COUNT_OBJ" >/tmp/load.log 2>&1
vx_ok $? "xdp-loader load -m native vxa xdp_count.bpf.o"
grep -E 'Loading multiprog|Attached prog|rror' /tmp/load.log | sed 's/^/# xdp-loader: /'
show_status "alone"
has_prog xdp_dispatcher && has_prog xdp_count
vx_ok $? "the libxdp dispatcher loads in the 6.1 guest: xdp-loader status shows xdp_dispatcher with xdp_count"
host_ping "xdp_count alone"

# 2. vhost-xdpd joins the dispatcher.
# libxdp's debug lines show how it rebuilt the dispatcher.
daemon_start /tmp/vxd.log --log-level debug
vx_ok $? "vhost-xdpd starts on vxa next to xdp_count"
grep -E 'libxdp: (Loading multiprog|Attached prog)|info: vxa|error|refus' /tmp/vxd.log | sed 's/^/# vxd: /'
show_status "both"
has_prog xdp_dispatcher && has_prog vx_steer && has_prog xdp_count
vx_ok $? "xdp-loader status lists vx_steer and xdp_count under one dispatcher"
# vx_steer (priority 10) runs before xdp_count (libxdp's default 50).
status | grep -E '^ =>' | awk '{print $3}' | tr '\n' ' ' | grep -q '^vx_steer xdp_count '
vx_ok $? "vx_steer runs first (its run priority 10 against xdp_count's default 50)"

# Wire -> guest: the peer sends until vx-guest has NFR intact frames.
vx-guest recv --socket "$SOCK" --mac "$GMAC" --count $NFR --timeout 90 >/tmp/vg-recv.log 2>&1 &
VG=$!
wait_log /tmp/vxd.log 'front-end connected' 30
sleep 2
c0=$(count)
sent=0
i=0
while kill -0 $VG 2>/dev/null && [ $i -lt 15 ]; do
	$IP netns exec peer vx-pkt send --dev vxb --dst $GMAC --count $NFR >/dev/null 2>&1
	sent=$((sent + NFR))
	i=$((i + 1))
	sleep 2
done
kill $VG 2>/dev/null
wait $VG
rc=$?
c1=$(count)
vx_ok $rc "wire -> guest: frames to the port's MAC reach vx-guest ($(tail -n1 /tmp/vg-recv.log); $sent sent)"
[ -n "$c0" ] && [ -n "$c1" ] && [ $((c1 - c0)) -lt $sent ]
vx_ok $? "... steered to the port before xdp_count: it saw $((${c1:-0} - ${c0:-0})) of the $sent frames"

# Guest -> wire.
$IP netns exec peer vx-pkt recv --dev vxb --src $GMAC --count $NFR --timeout 60 >/tmp/pkt-recv.log 2>&1 &
PR=$!
sleep 2
vx-guest send --socket "$SOCK" --mac "$GMAC" --dst "$PEER_MAC" --count $NFR >/tmp/vg-send.log 2>&1
vx_diag "vx-guest: $(tail -n1 /tmp/vg-send.log)"
wait $PR
vx_ok $? "guest -> wire: vx-guest's frames reach the peer ($(tail -n1 /tmp/pkt-recv.log))"
host_ping "with vhost-xdpd"
sleep 1.2
grep -E ' (rx|tx)_packets | pass_host | redirect ' /tmp/vx.stats | sed 's/^/# stats: /'

# 3. SIGTERM: the daemon takes only its own program away.
kill $VXD
wait $VXD
vx_ok $? "vhost-xdpd exits with status 0 on SIGTERM"
show_status "after SIGTERM"
has_prog xdp_count && ! has_prog vx_steer
vx_ok $? "after SIGTERM: xdp_count is still attached, vx_steer is gone"
host_ping "after SIGTERM"

# 4. SIGKILL, then --cleanup: also only our program.
daemon_start /tmp/vxd2.log && has_prog vx_steer && has_prog xdp_count
vx_ok $? "a second vhost-xdpd joins the dispatcher again"
kill -9 $VXD
wait $VXD 2>/dev/null
vhost-xdpd --cleanup --nic vxa >/tmp/cleanup.log 2>&1
vx_ok $? "vhost-xdpd --cleanup --nic vxa after SIGKILL"
sed 's/^/# cleanup: /' /tmp/cleanup.log
show_status "after --cleanup"
has_prog xdp_count && ! has_prog vx_steer
vx_ok $? "after --cleanup: xdp_count is still attached, vx_steer is gone"
host_ping "after --cleanup"

# 5. Everything off: no program on vxa, none loaded, no dispatcher pins.
xdp-loader unload vxa --all >/tmp/unload.log 2>&1
vx_ok $? "xdp-loader unload vxa --all"
sed 's/^/# unload: /' /tmp/unload.log
status | grep -q 'No XDP program loaded'
vx_ok $? "xdp-loader status: no XDP program on vxa"
! $IP link show vxa | grep -q 'prog/xdp'
vx_ok $? "ip link: no XDP program on vxa"
i=0
while bpftool prog show 2>/dev/null | grep -qE 'xdp_dispatcher|xdp_count|vx_steer' && [ $i -lt 30 ]; do
	sleep 0.2
	i=$((i + 1))
done
! bpftool prog show 2>/dev/null | grep -qE 'xdp_dispatcher|xdp_count|vx_steer'
vx_ok $? "no XDP program of the test is loaded any more (bpftool prog show)"
find /sys/fs/bpf -mindepth 1 | sed 's/^/# bpffs: /'
! find /sys/fs/bpf -name 'dispatch-*' | grep -q .
vx_ok $? "no dispatcher pins left under /sys/fs/bpf"
echo KM-TAP-END
dmesg | grep -E 'WARNING|BUG|Oops|general protection|RIP:' | sed 's/^/KM-DMESG-BAD /'
echo "KM-MARK done"

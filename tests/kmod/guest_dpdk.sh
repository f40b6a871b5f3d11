# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/kmod/test_kmod_dpdk.sh (runs as /test.sh in the guest).
# DPDK's virtio-user in vhost-kernel mode drives /dev/vhost-xdp, served by
# vhost-xdpd on a veth pair; a peer namespace pings it (testpmd icmpecho
# answers ARP and echo requests), then txonly runs measure the TX rate on
# /dev/vhost-xdp and on Debian's /dev/vhost-net (tap) in the same guest.
IP=/usr/sbin/ip-full
MAC=52:54:00:00:00:02
DUR=${KM_DUR:-8}
mark() { echo "KM-MARK $*"; }

for m in tun tap veth vhost_iotlb vhost vhost_net vhost_xdp; do
	insmod /lib/modules/$m.ko || echo "KM-INSMOD-FAIL $m"
done
chmod 755 / /usr /usr/lib /usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/dpdk 2>/dev/null
mkdir -p /run/netns /var/run /sys/fs/bpf /dev/hugepages
mount -t debugfs none /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
mount -t hugetlbfs none /dev/hugepages
echo 320 >/proc/sys/vm/nr_hugepages
mark hugepages $(cat /proc/sys/vm/nr_hugepages)

$IP netns add peer
$IP link add vxa type veth peer name vxb
$IP link set vxb netns peer
$IP link set vxa up
$IP netns exec peer $IP addr add 10.99.0.1/24 dev vxb
$IP netns exec peer $IP link set vxb up
$IP netns exec peer $IP link set lo up

/usr/sbin/vhost-xdpd --nic vxa --port name=k0,mode=kdev,mac=$MAC --stats-file /tmp/vx.stats $KM_VXD_ARGS \
	>/tmp/vxd.log 2>&1 &
VXD=$!
i=0
while ! grep -q 'ready' /tmp/vxd.log && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
sed 's/^/# vxd: /' /tmp/vxd.log

# 1. Packets both ways through /dev/vhost-xdp.
# pmd_start <vhost path> <fwd mode> <log> [,more devargs]: testpmd, one virtio_user port on
# the device, driven through a FIFO on fd 3 (under TCG its start-up takes
# seconds, so commands go in only when it is ready).
pmd_start() {
	rm -f /tmp/pmd.in
	mkfifo /tmp/pmd.in
	/usr/bin/dpdk-testpmd -l 0,1 --main-lcore 0 --no-pci --single-file-segments \
		--file-prefix km -m 256 \
		--vdev "virtio_user0,path=$1,queues=1,queue_size=256,mac=$MAC$4" -- \
		--forward-mode="$2" --txd=256 --rxd=256 --disable-link-check -i \
		</tmp/pmd.in >"$3" 2>&1 &
	PMD=$!
	exec 3>/tmp/pmd.in
	i=0
	while ! grep -q 'testpmd>' "$3" && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done
	echo "set verbose ${KM_PMD_VERBOSE:-0}" >&3
	echo start >&3
	sleep 1
}

pmd_stop() {
	echo stop >&3
	sleep 1
	echo quit >&3
	exec 3>&-
	i=0
	while kill -0 $PMD 2>/dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
	kill -9 $PMD 2>/dev/null
	wait $PMD 2>/dev/null
}

# 1. Packets both ways through /dev/vhost-xdp.
pmd_start /dev/vhost-xdp icmpecho /tmp/pmd1.log
sleep 2
mark ping-start $(cut -d' ' -f1 /proc/uptime)
$IP netns exec peer ping -c 12 -i 0.5 -w 12 10.99.0.2 >/tmp/ping.log 2>&1
mark ping rc=$? received=$(grep -o '[0-9][0-9]* packets received' /tmp/ping.log | cut -d' ' -f1)
sed 's/^/# ping: /' /tmp/ping.log
mark ping-end $(cut -d' ' -f1 /proc/uptime)
sleep 1.2; grep -v ' 0$' /tmp/vx.stats | sed 's/^/# stats-at-ping: /'
pmd_stop
sed 's/^/# pmd1: /' /tmp/pmd1.log | tail -n 40

sleep 1.2
grep -v ' 0$' /tmp/vx.stats | sed 's/^/# stats: /'
$IP netns exec peer $IP -s link show vxb | sed 's/^/# peer: /'
$IP netns exec peer $IP neigh | sed 's/^/# peer: /'
sed 's/^/# vxd-end: /' /tmp/vxd.log | tail -n 60
mark done-ping

rx_count() { # <netns or -> <ifname>
	if [ "$1" = - ]; then
		cat /sys/class/net/$2/statistics/rx_packets
	else
		$IP netns exec $1 cat /sys/class/net/$2/statistics/rx_packets
	fi
}

# 2a. Ioctl sequences against the real daemon (its errno reaches the VMM).
echo KM-TAP-BEGIN
/bin/kmod_hostile real
mark real rc=$?
echo KM-TAP-END
grep -E 'k0: .*(refused|failed|warn)|k0 vq0: after SET_VRING_ADDR' /tmp/vxd.log | tail -n 6 | sed 's/^/# vxd-real: /'

# 2. Our own front-end (tools/vx-guest, kernel vhost transport) on
# /dev/vhost-xdp: malformed TX chains break only their ring (the daemon,
# not the module, parses them), then valid frames still reach the peer.
PEER_MAC=$($IP netns exec peer cat /sys/class/net/vxb/address)
/usr/sbin/vx-guest hostile --socket /dev/vhost-xdp --mac $MAC --dst $PEER_MAC --flood 1 \
	next-loop next-oob addr-oob len-max cross-end ind-len-odd ind-nested ind-loop avail-jump \
	hdr-split tx-flood >/tmp/vg-hostile.log 2>&1
mark vg-hostile rc=$?
grep -E '^(not )?ok|^hostile:' /tmp/vg-hostile.log | sed 's/^/# vg: /'
c0=$(rx_count peer vxb)
/usr/sbin/vx-guest send --socket /dev/vhost-xdp --mac $MAC --dst $PEER_MAC --count 200 \
	>/tmp/vg-send.log 2>&1
r=$?
sleep 0.5
mark vg-send rc=$r peer-frames=$(($(rx_count peer vxb) - c0))
sed 's/^/# vg-send: /' /tmp/vg-send.log | tail -n 3

# 3. The baseline: TX rate (64-byte frames, testpmd txonly) into the kernel,
# through /dev/vhost-xdp (vhost-xdpd, AF_XDP, veth) and through Debian's
# vhost_net (/dev/vhost-net, tap), counted where the frames arrive.
rate() { # <name> <path> <netns> <ifname> [devargs]
	pmd_start "$2" txonly /tmp/pmd-$1.log "$5"
	[ "$3" = - ] && $IP link set "$4" up
	sleep 1
	c0=$(rx_count $3 $4)
	t0=$(cut -d' ' -f1 /proc/uptime)
	sleep $DUR
	c1=$(rx_count $3 $4)
	t1=$(cut -d' ' -f1 /proc/uptime)
	pmd_stop
	grep -E 'TX-packets|RX-packets' /tmp/pmd-$1.log | tail -n 2 | sed "s/^/# pmd-$1: /"
	awk -v a=$c0 -v b=$c1 -v s=$t0 -v e=$t1 -v n=$1 \
		'BEGIN { printf "KM-RATE name=%s frames=%d secs=%.2f pps=%d\n", n, b - a, e - s, (b - a) / (e - s) }'
}

rate vhost-xdp /dev/vhost-xdp peer vxb
rate vhost-net /dev/vhost-net - vxtap0 ,iface=vxtap0
kill $VXD
wait $VXD
mark daemon-exit rc=$?

# 4. The daemon SIGKILLed under a running client: the client's ioctls fail
# (ENOTCONN) instead of hanging, and the module holds nothing afterwards.
/usr/sbin/vhost-xdpd --cleanup --nic vxa >/dev/null 2>&1
/usr/sbin/vhost-xdpd --nic vxa --port name=k0,mode=kdev,mac=$MAC >/tmp/vxd2.log 2>&1 &
VXD=$!
i=0
while ! grep -q 'ready' /tmp/vxd2.log && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
pmd_start /dev/vhost-xdp icmpecho /tmp/pmd3.log
grep -q 'serves /dev/vhost-xdp device' /tmp/vxd2.log && mark killed-daemon-bound
kill -9 $VXD
wait $VXD
t0=$(cut -d' ' -f1 /proc/uptime)
pmd_stop
t1=$(cut -d' ' -f1 /proc/uptime)
mark killed-daemon pmd-exit-secs=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%d", b - a }')
grep -i 'fail\|error' /tmp/pmd3.log | tail -n 5 | sed 's/^/# pmd3: /'
mark live $(tr '\n' ' ' </sys/kernel/debug/vhost_xdp/live)
/usr/sbin/vhost-xdpd --cleanup --nic vxa >/dev/null 2>&1
rmmod vhost_xdp && mark rmmod-ok
dmesg | grep -E 'WARNING|BUG|Oops|leak|general protection|RIP:' | sed 's/^/KM-DMESG-BAD /'
mark done

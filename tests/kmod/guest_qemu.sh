# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/kmod/test_kmod_qemu.sh (runs as /test.sh in the guest).
# vhost-xdpd serves a mode=kdev port on the veth vxa; QEMU's own vhost-net
# client (-netdev tap,vhost=on,vhostfd=3 with fd 3 open on /dev/vhost-xdp)
# drives it for a virtio-net-pci device that kmod_qtest programs through the
# qtest protocol; the peer end vxb sits in namespace "peer".
IP=/usr/sbin/ip-full
MAC=52:54:00:00:00:02
mark() { echo "KM-MARK $*"; }

for m in tun tap veth vhost_iotlb vhost vhost_net vhost_xdp; do
	insmod /lib/modules/$m.ko || echo "KM-INSMOD-FAIL $m"
done
mkdir -p /run/netns /var/run /sys/fs/bpf
mount -t debugfs none /sys/kernel/debug
mount -t bpf bpf /sys/fs/bpf
# No IPv6: the peer's router/neighbour solicitations would be more multicast into the ring.
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6

$IP netns add peer
$IP link add vxa type veth peer name vxb
$IP link set vxb netns peer
$IP link set vxa up
$IP netns exec peer sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6'
$IP netns exec peer $IP link set vxb up

/usr/sbin/vhost-xdpd --nic vxa --port name=k0,mode=kdev,mac=$MAC --stats-file /tmp/vx.stats \
	>/tmp/vxd.log 2>&1 &
VXD=$!
i=0
while ! grep -q 'ready' /tmp/vxd.log && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
sed 's/^/# vxd: /' /tmp/vxd.log
mark daemon-ready $(cut -d' ' -f1 /proc/uptime)

# fd 3 is QEMU's vhostfd. QEMU gets the rest of its command line from
# kmod_qtest: -qtest unix:SOCK -qtest-log none -bios (a 64 KiB "cli; hlt" image).
echo KM-TAP-BEGIN
/bin/kmod_qtest --sock /tmp/qt.sock --mac $MAC --netns /run/netns/peer --ifname vxb \
	--frames ${KM_QT_FRAMES:-64} -- \
	/usr/bin/qemu-system-x86_64 -machine pc -accel tcg -m 64 \
	-object memory-backend-memfd,id=mem,size=64M,share=on -machine memory-backend=mem \
	-nodefaults -vga none -display none -monitor none -serial none \
	-netdev tap,id=n0,ifname=qt0,script=no,downscript=no,vhost=on,vhostfd=3 \
	-device virtio-net-pci,netdev=n0,mac=$MAC,romfile=,vectors=0 \
	3<>/dev/vhost-xdp 2>/tmp/qemu.err
mark qtest rc=$?
echo KM-TAP-END
sed 's/^/# qemu: /' /tmp/qemu.err | tail -n 20
grep -q 'falling back' /tmp/qemu.err && mark qemu-vhost-fallback
sleep 1.2
grep -E ' (rx|tx)_(packets|frames)' /tmp/vx.stats | grep '^k0' | sed 's/^/# stats: /'
mark stats rx=$(awk '$1 == "k0" && $2 == "rx_packets" { print $3 }' /tmp/vx.stats) \
	tx=$(awk '$1 == "k0" && $2 == "tx_packets" { print $3 }' /tmp/vx.stats)
grep -v ' 0$' /tmp/vx.stats | grep -i 'drop\|err\|broken' | sed 's/^/# stats-nonzero: /'
grep -oE 'k0: (serves /dev/vhost-xdp device [0-9]+|/dev/vhost-xdp device [0-9]+ closed)' /tmp/vxd.log |
	sed 's/^/KM-VXD /'
grep -E 'k0.*(refused|failed|warn|error)' /tmp/vxd.log | tail -n 10 | sed 's/^/# vxd-warn: /'
mark live $(tr '\n' ' ' </sys/kernel/debug/vhost_xdp/live)
kill $VXD
wait $VXD
mark daemon-exit rc=$?
/usr/sbin/vhost-xdpd --cleanup --nic vxa >/dev/null 2>&1
rmmod vhost_xdp && mark rmmod-ok
dmesg | grep -E 'WARNING|BUG|Oops|leak|general protection|RIP:' | sed 's/^/KM-DMESG-BAD /'
dmesg | grep vhost-xdp | tail -n 10 | sed 's/^/# dmesg: /'
mark done

# SPDX-License-Identifier: GPL-2.0
# Shell helpers that boot real Linux guests (Debian's 6.1 kernel, busybox
# initramfs from tools/mk-guest-initramfs.sh) under QEMU on a vhost-user
# back-end. Source tests/lib/ns.sh first. See docs/guest-harness.md.
#
#   VX_BACKEND=vhost-xdpd (default) | dpdk   back-end vx_backend_start runs
#   VX_GUEST_QUEUES=1 (default)              virtio-net queue pairs; with more, the
#       guest gets mq=on and as many vCPUs, so Linux enables them all
#   VX_GUEST_DEVOPTS=                        appended to the virtio-net-pci device's
#       properties, e.g. ",host_mtu=9000" (the MTU the device offers, F_MTU)
#   VX_SOCK_MODE=server (default) | client   who creates the vhost-user socket:
#       server: the back-end listens, QEMU connects (and reconnects, 1 s)
#       client: QEMU listens (server=on,wait=off), the back-end connects
#   VX_GUEST_NETDEV=                         another -netdev for the guest than
#       vhost-user, e.g. "tap,id=n0,ifname=T,script=no,downscript=no,vhost=off"
#       (its id must be n0); the socket argument is then ignored
#   VX_GUEST_NETNS=                          run QEMU in this network namespace
#       (a tap netdev opens its tap there)
#   VX_GUEST_DEVOPTS=                        extra virtio-net-pci properties,
#       "k=v,k=v" (e.g. host_mtu=9000, csum=off)
#   VX_GUEST_CPUS=                           taskset CPU list for all of QEMU
#   VX_GUEST_ARCHIVES=                       gzipped cpio archives appended to
#       the initrd after the test script (see vx_guest_archive)
#
# Every guest, back-end and hugepage setting made here is undone by
# vx_guest_teardown (call it before vx_ns_teardown). QEMU itself is started
# and stopped by tests/lib/qemu.sh.

VX_BACKEND=${VX_BACKEND:-vhost-xdpd}
VX_SOCK_MODE=${VX_SOCK_MODE:-server}
VX_QEMU=${VX_QEMU:-qemu-system-x86_64}
VX_GUEST_MEM=${VX_GUEST_MEM:-512}
VX_GUEST_KERNEL=${VX_GUEST_KERNEL:-$(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V | tail -n1)}
VX_GUEST_INITRD=${VX_GUEST_INITRD:-$VX_BUILD/guest/initramfs.cpio.gz}
VX_GUEST_APPEND=${VX_GUEST_APPEND:-quiet}
. "$VX_ROOT/tests/lib/qemu.sh"
declare -gA VX_GUEST_PID=()
VX_PMD_PID=
VX_PMD_FD=
_vx_huge_saved=
_vx_huge_mounted=

# Builds the base initramfs if needed and checks that a guest can boot.
vx_guest_prepare() {
	[ -n "$VX_GUEST_KERNEL" ] || { vx_diag "no /boot/vmlinuz-6.1.*-amd64"; return 1; }
	command -v "$VX_QEMU" >/dev/null || { vx_diag "no $VX_QEMU"; return 1; }
	"$VX_ROOT/tools/mk-guest-initramfs.sh" "$VX_GUEST_INITRD" >&2
}

# The guest's initrd: the base image, zero padding to a 4-byte boundary
# (the kernel only looks for an uncompressed archive there) and a small
# gzipped cpio that holds the test script as /test.sh.
_vx_guest_initrd() { # <script> <out>
	local stage
	stage=$(mktemp -d "$VX_TMP/initrd.XXXXXX") || return 1
	cp "$1" "$stage/test.sh" && chmod 755 "$stage/test.sh" || return 1
	cp "$VX_GUEST_INITRD" "$2" || return 1
	local size
	size=$(stat -c %s "$2")
	head -c $(((4 - size % 4) % 4)) /dev/zero >>"$2"
	(cd "$stage" && echo test.sh | cpio --quiet -o -H newc -R 0:0 | gzip -n) >>"$2"
	rm -rf "$stage"
	# Each archive is gzipped, so it needs no alignment of its own.
	local a
	for a in ${VX_GUEST_ARCHIVES:-}; do
		cat "$a" >>"$2" || return 1
	done
}

# vx_guest_archive <out.cpio.gz> <program...>
# A gzipped cpio holding each program at its host path plus the libraries
# ldd lists for it (the ldd closure), for VX_GUEST_ARCHIVES.
vx_guest_archive() {
	local out=$1 stage f lib
	shift
	stage=$(mktemp -d "$VX_TMP/archive.XXXXXX") || return 1
	for f in "$@"; do
		[ -x "$f" ] || { vx_diag "vx_guest_archive: no $f"; rm -rf "$stage"; return 1; }
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
		for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{ print $3 } /^[ \t]*\//{ print $1 }'); do
			[ -e "$stage$lib" ] && continue
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
	done
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | gzip -n) >"$out"
	local rc=$?
	rm -rf "$stage"
	return $rc
}

# vx_guest_start <name> <socket> <mac> <ip/prefix> <script> [server|client]
# Boots a guest in the background (tests/lib/qemu.sh vx_qemu_start); its
# serial console goes to $VX_TMP/<name>.log. The last argument is the
# back-end's socket mode (default $VX_SOCK_MODE). In client mode QEMU's
# netdev setup blocks until the back-end connects, so the console stays
# empty until then.
vx_guest_start() {
	local name=$1 sock=$2 mac=$3 ip=$4 script=$5 mode=${6:-$VX_SOCK_MODE}
	local initrd=$VX_TMP/$name.initrd chr
	local nq=${VX_GUEST_QUEUES:-1} mq=
	[ "$nq" -gt 1 ] && mq=,mq=on

	_vx_guest_initrd "$script" "$initrd" || return 1
	case "$mode" in
	server) chr="socket,id=c0,path=$sock,reconnect=1" ;;
	client) chr="socket,id=c0,path=$sock,server=on,wait=off" ;;
	*) vx_diag "vx_guest_start: bad mode $mode"; return 1 ;;
	esac
	local net=(-chardev "$chr" -netdev "vhost-user,id=n0,chardev=c0,queues=$nq")
	[ -n "${VX_GUEST_NETDEV:-}" ] && net=(-netdev "$VX_GUEST_NETDEV")
	vx_qemu_start "$name" dir="$VX_TMP" kernel="$VX_GUEST_KERNEL" initrd="$initrd" \
		mem="$VX_GUEST_MEM" shared=1 smp="$nq" netns="${VX_GUEST_NETNS:-}" cpus="${VX_GUEST_CPUS:-}" \
		append="$VX_GUEST_APPEND vx.ip=$ip vx.name=$name" -- \
		"${net[@]}" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,vectors=0$mq${VX_GUEST_DEVOPTS:+,$VX_GUEST_DEVOPTS}" ||
		return 1
	VX_GUEST_PID[$name]=${VX_QEMU_PID[$name]}
}

# The runner's record of <name> from VX_GUEST_PID, which a test may also
# set to a QEMU it did not start (tests/e2e/test_libvirt.sh: libvirt's);
# the files are the ones in $VX_TMP.
_vx_guest_sync() { # <name>
	if [ -n "${VX_GUEST_PID[$1]:-}" ]; then
		VX_QEMU_PID[$1]=${VX_GUEST_PID[$1]}
	else
		unset "VX_QEMU_PID[$1]"
	fi
	VX_QEMU_LOG[$1]=$VX_TMP/$1.log
	VX_QEMU_OUT[$1]=$VX_TMP/$1.qemu.log
}

# vx_guest_wait <name> <marker-regex> <timeout-seconds>
# Returns 0 once a console line matches, 1 on timeout or if QEMU exited
# without printing it.
vx_guest_wait() {
	_vx_guest_sync "$1"
	vx_qemu_console_wait "$1" "$2" "$3"
}

# Prints the last console line of <name> that matches <regex>, without
# the carriage return the serial console adds.
vx_guest_line() {
	grep -aE "$2" "$VX_TMP/$1.log" 2>/dev/null | tail -n1 | tr -d '\r'
}

# Prints the value of key=value in the last console line matching <regex>.
vx_guest_field() { # <name> <regex> <key>
	vx_guest_line "$1" "$2" | tr ' ' '\n' | sed -n "s/^$3=//p" | tail -n1
}

# Waits for QEMU to exit by itself (after VXGUEST-DONE): <name> <seconds>
vx_guest_exit_wait() {
	[ -n "${VX_GUEST_PID[$1]:-}" ] || return 0
	_vx_guest_sync "$1"
	vx_qemu_wait "$1" "$2" || return 1
	unset "VX_GUEST_PID[$1]"
}

vx_guest_stop() { # <name>
	[ -n "${VX_GUEST_PID[$1]:-}" ] || return 0
	_vx_guest_sync "$1"
	vx_qemu_stop "$1" 5
	unset "VX_GUEST_PID[$1]"
}

# vx_guest_kill <name> [signal]: sends QEMU the signal (default KILL, a
# VMM crash) and reaps it.
vx_guest_kill() {
	[ -n "${VX_GUEST_PID[$1]:-}" ] || return 1
	_vx_guest_sync "$1"
	vx_qemu_kill "$1" "${2:-KILL}" || return 1
	unset "VX_GUEST_PID[$1]"
}

# Prints the tail of a guest's console (and QEMU's own errors) as TAP
# diagnostics.
vx_guest_dump() { # <name> [lines]
	_vx_guest_sync "$1"
	vx_qemu_dump "$1" "${2:-20}"
}

# --- back-ends ------------------------------------------------------------

# vx_backend_start <mode> <name>=<mac> ...
# Starts $VX_BACKEND in the host netns with one vhost-user port per
# argument, socket $VX_TMP/<name>.sock. The dpdk stand-in (testpmd: one
# vhost port forwarded to an AF_XDP port on the NIC) takes one port only
# and owns the whole NIC: host traffic does not reach the host stack.
# Extra vhost-xdpd options go in VX_DAEMON_ARGS.
vx_backend_start() {
	local mode=$1 spec name mac ports=()
	shift
	for spec in "$@"; do
		name=${spec%%=*}
		mac=${spec#*=}
		ports+=(--port "name=$name,socket=$VX_TMP/$name.sock,mac=$mac,mode=$mode${VX_PORT_OPTS:-}")
	done
	case "$VX_BACKEND" in
	vhost-xdpd)
		[ -x "$VX_BUILD/vhost-xdpd" ] || { vx_diag "no $VX_BUILD/vhost-xdpd"; return 1; }
		# shellcheck disable=SC2086
		vx_daemon_start "${ports[@]}" ${VX_DAEMON_ARGS:-}
		;;
	dpdk)
		[ $# -eq 1 ] || { vx_diag "dpdk back-end: one port only"; return 1; }
		_vx_pmd_start "$mode" "$VX_TMP/${1%%=*}.sock"
		;;
	*)
		vx_diag "unknown VX_BACKEND=$VX_BACKEND"
		return 1
		;;
	esac || return 1
	if [ "$mode" = server ]; then
		for spec in "$@"; do
			_vx_backend_wait_path "$VX_TMP/${spec%%=*}.sock" 10 || {
				vx_diag "backend did not create $VX_TMP/${spec%%=*}.sock"
				return 1
			}
		done
	fi
}

_vx_backend_pid() { echo "${VX_DAEMON_PID:-${VX_PMD_PID:-}}"; }

# Like vx_wait_path, but gives up as soon as the back-end has exited.
_vx_backend_wait_path() { # <path> <seconds>
	local i pid
	pid=$(_vx_backend_pid)
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Stops the back-end; sets VX_BACKEND_RC to its exit code.
# shellcheck disable=SC2034
vx_backend_stop() {
	case "$VX_BACKEND" in
	vhost-xdpd)
		vx_daemon_stop
		VX_BACKEND_RC=${VX_DAEMON_RC:-}
		;;
	dpdk) _vx_pmd_stop ;;
	esac
}

# Prints the back-end's log as TAP diagnostics.
vx_backend_dump() { # [lines]
	local f=$VX_TMP/daemon.log
	[ "$VX_BACKEND" = dpdk ] && f=$VX_TMP/testpmd.log
	vx_diag "--- $VX_BACKEND log (last ${1:-30} lines)"
	tail -n "${1:-30}" "$f" 2>/dev/null | sed 's/^/#   /'
	return 0
}

_vx_hugepages_on() {
	local want=${VX_HUGEPAGES:-1024} cur
	cur=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$cur" -lt "$want" ]; then
		_vx_huge_saved=$cur
		echo "$want" >/proc/sys/vm/nr_hugepages
	fi
	if ! mountpoint -q /dev/hugepages; then
		mkdir -p /dev/hugepages
		mount -t hugetlbfs nodev /dev/hugepages && _vx_huge_mounted=1
	fi
}

# Hugepages are machine-wide: while another DPDK process runs (a parallel
# test), leave the setting and the mount to whoever made them last.
_vx_hugepages_off() {
	if ! pgrep -x dpdk-testpmd >/dev/null; then
		[ -n "$_vx_huge_mounted" ] && umount /dev/hugepages 2>/dev/null
		[ -n "$_vx_huge_saved" ] && echo "$_vx_huge_saved" >/proc/sys/vm/nr_hugepages
	fi
	_vx_huge_mounted=
	_vx_huge_saved=
}

# testpmd as a vhost-user back-end, io-forwarding to AF_XDP on the NIC.
# Its stdin is a FIFO that this shell holds open: testpmd -a exits at EOF.
_vx_pmd_start() { # <mode> <socket>
	local client=
	[ "$1" = client ] && client=,client=1
	command -v dpdk-testpmd >/dev/null || { vx_diag "no dpdk-testpmd"; return 1; }
	_vx_hugepages_on
	mkfifo "$VX_TMP/testpmd.in" || return 1
	: >"$VX_TMP/testpmd.log"
	exec {VX_PMD_FD}<>"$VX_TMP/testpmd.in"
	ip netns exec "$VX_HNS" stdbuf -oL dpdk-testpmd -l 0,1 --main-lcore 1 --no-pci \
		--file-prefix "vx$VX_ID" --huge-unlink \
		--vdev "net_vhost0,iface=$2$client" --vdev "net_af_xdp0,iface=$VX_NIC" \
		-- -a --forward-mode=io --nb-cores=1 --disable-link-check \
		<"$VX_TMP/testpmd.in" >"$VX_TMP/testpmd.log" 2>&1 &
	VX_PMD_PID=$!
	local i
	for ((i = 0; i < 150; i++)); do
		grep -q "Press enter to exit" "$VX_TMP/testpmd.log" && return 0
		kill -0 "$VX_PMD_PID" 2>/dev/null || break
		sleep 0.2
	done
	vx_diag "testpmd did not start"
	return 1
}

_vx_pmd_stop() {
	if [ -n "$VX_PMD_PID" ]; then
		kill -INT "$VX_PMD_PID" 2>/dev/null
		local i
		for ((i = 0; i < 50; i++)); do
			kill -0 "$VX_PMD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$VX_PMD_PID" 2>/dev/null
		wait "$VX_PMD_PID" 2>/dev/null
		# shellcheck disable=SC2034
		VX_BACKEND_RC=$?
		VX_PMD_PID=
	fi
	[ -n "$VX_PMD_FD" ] && exec {VX_PMD_FD}>&-
	VX_PMD_FD=
	rm -f "$VX_TMP/testpmd.in"
	rm -rf "/var/run/dpdk/vx$VX_ID"
	_vx_hugepages_off
}

# Kills every guest this shell started, then the back-end.
vx_guest_teardown() {
	local name
	for name in "${!VX_GUEST_PID[@]}"; do
		vx_guest_stop "$name"
	done
	vx_backend_stop
}

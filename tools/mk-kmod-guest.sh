#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the extra initramfs archive of the kernel-module tests: it is
# appended to the base guest image (tools/mk-guest-initramfs.sh) and holds
#   /lib/modules/*.ko   vhost_xdp.ko plus tun, tap, veth, vhost_iotlb, vhost,
#                       vhost_net from Debian's 6.1 kernel (the baseline)
#   /bin/kmod_hostile   the hostile ioctl test (static)
#   vhost-xdpd, dpdk-testpmd (virtio_user, mempool_ring, bus_vdev PMDs),
#   vx-guest, the full iproute2 `ip` as /usr/sbin/ip-full, and every shared library
#   they need (ldd closure), at their host paths.
#   With QTEST (tests/kmod/test_kmod_qemu.sh): /bin/kmod_qtest (static) and
#   qemu-system-x86_64 with its TCG accelerator module and their ldd closure
#   (about 20 MB more, so only that test asks for it). No firmware: the test
#   gives QEMU its own -bios image and romfile= on the device.
#
#   extra files a test names in VX_KMOD_EXTRA (space-separated SRC or SRC=DEST
#                       entries, DEST an absolute path in the guest, default SRC),
#                       with their ldd closure.
#
#   tools/mk-kmod-guest.sh OUT KO HOSTILE [DAEMON [VX_GUEST [QTEST]]]
set -euo pipefail

OUT=$1 KO=$2 HOSTILE=$3 DAEMON=${4:-} VXGUEST=${5:-} QTEST=${6:-}
KVER=${VX_GUEST_KVER:-$(ls -d /lib/modules/6.1.*-amd64 | sort -V | tail -n1 | xargs basename)}
MODS="tun tap veth vhost_iotlb vhost vhost_net"
PMDDIR=$(ls -d /usr/lib/x86_64-linux-gnu/dpdk/pmds-* 2>/dev/null | head -n1)
PMDS="librte_net_virtio librte_mempool_ring librte_bus_vdev"

die() {
	echo "mk-kmod-guest: $*" >&2
	exit 1
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,usr/sbin,lib/modules}

for m in $MODS; do
	src=$(find "/lib/modules/$KVER/kernel" -name "$m.ko" -o -name "$m.ko.*" | head -n1)
	[ -n "$src" ] || die "module $m not found"
	case "$src" in
	*.ko) cp "$src" "$stage/lib/modules/" ;;
	*.ko.xz) xz -dc "$src" >"$stage/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$src" >"$stage/lib/modules/$m.ko" ;;
	*) die "unknown module format $src" ;;
	esac
done
cp "$KO" "$stage/lib/modules/vhost_xdp.ko"
cp "$HOSTILE" "$stage/bin/kmod_hostile"

# Copies a dynamic binary or library and everything it links to.
copy_closure() {
	local f lib
	for f in "$@"; do
		mkdir -p "$stage$(dirname "$f")"
		cp -L "$f" "$stage$f"
		for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}'); do
			[ -e "$stage$lib" ] && continue
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
	done
}

if [ -n "$DAEMON" ]; then
	copy_closure "$DAEMON" /usr/bin/dpdk-testpmd /usr/bin/ip
	mv "$stage/usr/bin/ip" "$stage/usr/sbin/ip-full"
	cp "$DAEMON" "$stage/usr/sbin/vhost-xdpd"
	rm -f "$stage$DAEMON"
	if [ -n "$VXGUEST" ]; then
		copy_closure "$VXGUEST"
		cp "$VXGUEST" "$stage/usr/sbin/vx-guest"
		rm -f "$stage$VXGUEST"
	fi
	# libxdp loads its dispatcher and the default AF_XDP program from files.
	mkdir -p "$stage/usr/lib/x86_64-linux-gnu/bpf"
	cp /usr/lib/x86_64-linux-gnu/bpf/xdp-dispatcher.o /usr/lib/x86_64-linux-gnu/bpf/xsk_def_xdp_prog*.o \
		"$stage/usr/lib/x86_64-linux-gnu/bpf/"
	[ -n "$PMDDIR" ] || die "no DPDK PMD directory"
	for p in $PMDS; do
		copy_closure "$PMDDIR/$p.so"
		(cd "$stage$PMDDIR" && ln -sf "$p.so" "$p.so.23")
	done
fi

# Extra files of one test (e.g. xdp-loader, bpftool, a BPF object): SRC or SRC=DEST.
for e in ${VX_KMOD_EXTRA:-}; do
	src=${e%%=*} dst=${e#*=}
	[ -e "$src" ] || die "extra file $src not found"
	copy_closure "$src"
	if [ "$dst" != "$src" ]; then
		mkdir -p "$stage$(dirname "$dst")"
		mv "$stage$src" "$stage$dst"
	fi
done

if [ -n "$QTEST" ]; then
	cp "$QTEST" "$stage/bin/kmod_qtest"
	qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64 (qemu-system-x86)"
	# Debian builds TCG as a module; QEMU loads it from its module directory.
	accel=$(ls /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so 2>/dev/null || true)
	copy_closure "$qemu" $accel
fi

mkdir -p "$(dirname "$OUT")"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) |
	gzip -1n >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "  GUEST   $OUT ($(du -k "$OUT" | cut -f1) KiB)"

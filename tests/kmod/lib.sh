# SPDX-License-Identifier: GPL-2.0
# Helpers of the kernel-module tests: build the module, its guest archive,
# and boot Debian's 6.1 kernel under QEMU (TCG) with a test script that
# loads the module. The guest talks back through its serial console only.
#
#   kmod_prepare [with-daemon [with-qemu]]
#                                  build vhost_xdp.ko, the hostile test, the images
#                                  (with-qemu: kmod_qtest and QEMU in the archive too)
#   kmod_guest_run NAME SCRIPT TIMEOUT [qemu args...]
#                                  boot, run SCRIPT as /test.sh, wait for the end;
#                                  console in $KM_TMP/NAME.log
# One QEMU run at a time (the tests run them in turn).

KM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KM_BUILD=${VX_BUILD:-$KM_ROOT/build}
KM_KDIR=${KDIR:-$(ls -d /lib/modules/6.1.*-amd64/build 2>/dev/null | sort -V | tail -n1)}
KM_KERNEL=${VX_GUEST_KERNEL:-$(ls /boot/vmlinuz-6.1.*-amd64 2>/dev/null | sort -V | tail -n1)}
KM_BASE=$KM_BUILD/guest/initramfs.cpio.gz
KM_TMP=${KM_TMP:-$(mktemp -d /var/tmp/kmod-test.XXXXXX)}
KM_MEM=${KM_MEM:-1536}
# TAP: vx_ok, vx_diag, vx_done ... (tests/lib/tap.sh); the guest scripts source it too (/tap.sh).
. "$KM_ROOT/tests/lib/tap.sh"
# QEMU: vx_qemu_start/wait/stop (tests/lib/qemu.sh).
. "$KM_ROOT/tests/lib/qemu.sh"

km_cleanup() {
	vx_qemu_stop_all
	if [ -n "${VX_KEEP_TMP:-}" ]; then
		vx_diag "kept $KM_TMP"
	else
		rm -rf "$KM_TMP"
	fi
}

kmod_prepare() { # [with-daemon [with-qemu]]
	local daemon= qtest=
	[ -n "$KM_KDIR" ] && [ -n "$KM_KERNEL" ] ||
		vx_skip_all "no Debian 6.1 kernel image/headers (tools/install-deps.sh)"
	make -s -C "$KM_ROOT/kmod" KDIR="$KM_KDIR" >"$KM_TMP/kbuild.log" 2>&1 || {
		cat "$KM_TMP/kbuild.log" >&2
		return 1
	}
	make -s -C "$KM_ROOT" BUILD="$KM_BUILD" "$KM_BUILD/kmod/kmod_hostile" >&2 || return 1
	if [ "${1:-}" = with-daemon ]; then
		make -s -C "$KM_ROOT" BUILD="$KM_BUILD" "$KM_BUILD/vhost-xdpd" "$KM_BUILD/vx-guest" >&2 || return 1
		daemon="$KM_BUILD/vhost-xdpd $KM_BUILD/vx-guest"
	fi
	if [ "${2:-}" = with-qemu ]; then
		make -s -C "$KM_ROOT" BUILD="$KM_BUILD" "$KM_BUILD/kmod/kmod_qtest" >&2 || return 1
		qtest=$KM_BUILD/kmod/kmod_qtest
	fi
	"$KM_ROOT/tools/mk-guest-initramfs.sh" "$KM_BASE" >&2 || return 1
	"$KM_ROOT/tools/mk-kmod-guest.sh" "$KM_TMP/kmod.cpio.gz" "$KM_ROOT/kmod/vhost_xdp.ko" \
		"$KM_BUILD/kmod/kmod_hostile" $daemon $qtest >&2
}

# Appends a gzipped archive to an initrd, 4-byte aligned (see docs/guest-harness.md).
km_append() { # <initrd> <archive>
	local size
	size=$(stat -c %s "$1")
	head -c $(((4 - size % 4) % 4)) /dev/zero >>"$1"
	cat "$2" >>"$1"
}

kmod_guest_run() { # NAME SCRIPT TIMEOUT [qemu args]
	local name=$1 script=$2 timeout=$3 initrd=$KM_TMP/$1.initrd stage
	shift 3
	stage=$(mktemp -d "$KM_TMP/s.XXXXXX")
	cp "$script" "$stage/test.sh" && chmod 755 "$stage/test.sh"
	cp "$KM_ROOT/tests/lib/tap.sh" "$stage/tap.sh"
	(cd "$stage" && printf 'test.sh\ntap.sh\n' | cpio --quiet -o -H newc -R 0:0 | gzip -n) >"$KM_TMP/$name.test.gz"
	cp "$KM_BASE" "$initrd"
	km_append "$initrd" "$KM_TMP/kmod.cpio.gz"
	km_append "$initrd" "$KM_TMP/$name.test.gz"
	# The runner (tests/lib/qemu.sh); on timeout QEMU gets SIGTERM, then SIGKILL 5 s later.
	vx_qemu_start "$name" dir="$KM_TMP" kernel="$KM_KERNEL" initrd="$initrd" cpu=max \
		mem="$KM_MEM" smp=2 append="quiet oops=panic panic_on_warn=0" -- "$@" || return 1
	vx_qemu_wait "$name" "$timeout" || vx_qemu_stop "$name" 5
	tr -d '\r' <"$KM_TMP/$name.log" >"$KM_TMP/$name.out"
	grep -q '^VXGUEST-DONE' "$KM_TMP/$name.out"
}

# Prints the guest's TAP lines (between KM-TAP-BEGIN and KM-TAP-END) renumbered into ours.
km_relay_tap() { # <out-file>
	vx_relay_tap < <(sed -n '/^KM-TAP-BEGIN/,/^KM-TAP-END/p' "$1")
}

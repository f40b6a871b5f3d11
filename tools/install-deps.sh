#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian 12 packages needed to build and test vhost-xdp, and
# mounts bpffs. Idempotent: apt is only run when something is missing.
set -euo pipefail

# libclang-rt-14-dev: libFuzzer and the sanitizer runtimes (make fuzz, tests/fuzz).
# libsystemd-dev: sd_notify (user/notify.c).
BUILD_PKGS=(make gcc clang llvm libbpf-dev libxdp-dev xdp-tools bpftool iproute2
	    pkg-config libelf-dev zlib1g-dev libclang-rt-14-dev libsystemd-dev)
# perl ships prove; dpdk-dev ships dpdk-testpmd; the librte-net-* drivers are
# the vhost/virtio-user/af_xdp/tap PMDs the end-to-end tests load, and the
# pcap/null PMDs of the benchmark's one-process wire + guest (bench.sh).
# systemd (systemd-analyze verify), man-db + groff-base (man --warnings) and
# bash-completion (its loader) for tests/unit/test_install.sh; python3 is the
# NOTIFY_SOCKET listener of tests/ns/test_sd_notify.sh; systemd-container
# (systemd-nspawn) runs the unit under systemd in tests/ns/test_unit_systemd.sh.
TEST_PKGS=(linux-image-amd64 linux-headers-amd64 busybox-static qemu-system-x86 cpio
	   dpdk dpdk-dev librte-net-vhost23 librte-net-virtio23 librte-net-af-xdp23
	   librte-net-tap23 librte-net-pcap23 librte-net-null23 iputils-ping ethtool tcpdump iperf3 socat perl xz-utils valgrind
	   python3 python3-prometheus-client systemd systemd-container man-db groff-base bash-completion)
# libvirt 9.0 for tests/e2e/test_libvirt.sh and contrib/libvirt/qemu (the hook
# runs under python3, above), without Recommends (they pull in the Xen, LXC and
# VirtualBox drivers, lvm2, dnsmasq).
LIBVIRT_PKGS=(libvirt-daemon-system libvirt-clients)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root" >&2
	exit 1
fi

missing_of() { # prints the packages of the arguments that are not installed
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || echo "$pkg"
	done
}
mapfile -t missing < <(missing_of "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
mapfile -t missing_lv < <(missing_of "${LIBVIRT_PKGS[@]}")

# Services must not start from a package's postinst (PID 1 is not systemd
# on the test machines, and nothing should run that a test did not start):
# a policy-rc.d that refuses every start, only for the time of the install
# and only if the machine has none of its own.
policy=/usr/sbin/policy-rc.d
policy_made=
restore_policy() { [ -z "$policy_made" ] || rm -f "$policy"; }
trap restore_policy EXIT

if [ ${#missing[@]} -gt 0 ] || [ ${#missing_lv[@]} -gt 0 ]; then
	echo "install-deps.sh: installing ${missing[*]} ${missing_lv[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		policy_made=1
	fi
	# Another session's apt may hold the lock for a while.
	apt-get -o DPkg::Lock::Timeout=600 update -q
	if [ ${#missing[@]} -gt 0 ]; then
		apt-get -o DPkg::Lock::Timeout=600 install -y -q "${missing[@]}" </dev/null
	fi
	if [ ${#missing_lv[@]} -gt 0 ]; then
		apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends \
			"${missing_lv[@]}" </dev/null
	fi
else
	echo "install-deps.sh: all packages present"
fi

# libxdp and the daemon pin maps and programs under bpffs.
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi

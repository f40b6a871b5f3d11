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
	   systemd systemd-container man-db groff-base bash-completion python3)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root" >&2
	exit 1
fi

missing=()
for pkg in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q "${missing[@]}" </dev/null
else
	echo "install-deps.sh: all packages present"
fi

# libxdp and the daemon pin maps and programs under bpffs.
if ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi

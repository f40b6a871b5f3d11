#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end with jumbo frames: one real Linux guest on vhost-xdpd at MTU
# 9000 (virtio-net-pci host_mtu=9000, the veth ends at 9000). The guest pings
# the peer with 8000 bytes, the peer pings the guest with -M do (iputils;
# busybox ping has no -M, but an unfragmented 8028-byte packet shows in the
# daemon's multi-buffer counters), 20 MB of TCP each way (MSS 8960) with
# sha256 checked, and the daemon's counters show frames passed in several
# pieces. It is tests/e2e/test_qemu_guest.sh with VX_JUMBO=1.
exec env VX_JUMBO=1 "$(dirname "$0")/test_qemu_guest.sh" "$@"

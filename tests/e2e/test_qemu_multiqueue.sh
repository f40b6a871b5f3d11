#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end with real Linux guests (QEMU, TCG) using multiqueue
# (VIRTIO_NET_F_MQ): two queue pairs per guest, two vCPUs, a 2-queue veth NIC
# and two daemon workers. Same checks as test_qemu_guest.sh, with the
# transfers pinned to the guests' and the peer's second CPU so that queue
# pair 1 and worker 1 carry them, plus per-worker counters.
VX_MQ=1 exec "$(dirname "$0")/test_qemu_guest.sh" "$@"

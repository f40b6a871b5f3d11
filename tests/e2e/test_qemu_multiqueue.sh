#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end with real Linux guests (QEMU, TCG) using multiqueue
# (VIRTIO_NET_F_MQ): two queue pairs per guest, two vCPUs, a 2-queue veth NIC
# and two daemon workers. Same checks as test_qemu_guest.sh, with the
# transfers pinned to the guests' and the peer's second CPU so that queue
# pair 1 and worker 1 carry them, plus per-worker counters.
#
# Offloads off: with TSO the guest's TCP also sends from the softirq that
# handles the peer's ACKs, which runs on CPU 0 (vectors=0: one INTx line)
# and so leaves through queue pair 0; how much does varies from run to run,
# and the check that the pinned transfer used pair 1 would measure that.
# The offloads are checked in test_qemu_guest.sh.
VX_MQ=1 VX_OFFLOAD=off exec "$(dirname "$0")/test_qemu_guest.sh" "$@"

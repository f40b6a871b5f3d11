#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end with a real Linux guest (QEMU, TCG) on a dedicated-queue port:
# the guest's memory is the AF_XDP UMEM, so its virtio-net RX buffers are
# written by the kernel and its TX frames read in place. Same checks as
# test_qemu_guest.sh with one guest, plus the in-place counters.
VX_DEDICATED=1 exec "$(dirname "$0")/test_qemu_guest.sh" "$@"

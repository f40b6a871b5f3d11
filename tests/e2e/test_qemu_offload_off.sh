#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# tests/e2e/test_qemu_guest.sh with guests whose virtio-net negotiates no
# offload (QEMU's csum=off,guest_csum=off,host_tso4=off,...): the path every
# guest took before offloads existed, still intact.
VX_OFFLOAD=off exec "$(dirname "$0")/test_qemu_guest.sh" "$@"

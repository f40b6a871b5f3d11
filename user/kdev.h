/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ports served through the kernel module (kmod/vhost_xdp.ko): VMMs open
 * /dev/vhost-xdp and drive it with the vhost-net ioctls; the module turns
 * each change into an event on /dev/vhost-xdp-ctl. This file takes the
 * events and feeds them, as the equivalent vhost-user requests, to the same
 * handlers (vx_dev_handle) that serve vhost-user, so guest memory, rings
 * and the worker are shared code. A port given `mode=kdev` serves the next
 * /dev/vhost-xdp device that is opened, until the VMM closes it.
 */
#ifndef VX_KDEV_H
#define VX_KDEV_H

#include "vhost_user.h"

#define VX_KDEV_CTL "/dev/vhost-xdp-ctl"

/* Opens the control device, announces the features, starts the thread. */
int vx_kdev_start(struct vx_dev **devs, unsigned int n, int stop_fd);
/* Joins the thread (stop_fd must have fired), releases every device. */
void vx_kdev_stop(void);

#endif

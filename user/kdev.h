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

/*
 * Adds a mode=kdev port; the first opens the control device and announces
 * the features. Returns 1 if the device was opened now (the caller watches
 * vx_kdev_fd() from then on), 0, or -errno.
 */
int vx_kdev_add(struct vx_dev *dev);
/* Removes a port, releasing the kernel device it serves, if any. */
void vx_kdev_del(struct vx_dev *dev);
/* The control device, or -1 while no kdev port exists. */
int vx_kdev_fd(void);
/* Handles every pending event; -errno if the device failed (stop watching it). */
int vx_kdev_process(void);
/* Releases every port and closes the device. */
void vx_kdev_close(void);

struct vxk_event;
/*
 * Builds the vhost-user request for ev, an event of the kernel device dev
 * serves; the event's fds move into m. -errno for an event that has none
 * (its fds are then still the caller's). Pure: tests/fuzz/fuzz_kdev.c.
 */
int vx_kdev_ev_to_msg(const struct vx_dev *dev, const struct vxk_event *ev, struct vu_msg *m);
/* Closes every fd an event carries (one it could not turn into a request). */
void vx_kdev_ev_close_fds(const struct vxk_event *ev);

#endif

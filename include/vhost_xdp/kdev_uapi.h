/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The control interface of kmod/vhost_xdp.ko, shared by the module and
 * vhost-xdpd (user/kdev.c). Fixed-size __u* fields only, padding explicit.
 *
 * /dev/vhost-xdp is the VMM side: one virtio-net device per open, driven by
 * the ioctls of /dev/vhost-net (<linux/vhost.h>). The module parses no
 * guest ring. It turns every VMM ioctl that changes device state into one
 * event on /dev/vhost-xdp-ctl, the daemon side, and waits (at most
 * VXK_ACK_TIMEOUT_MS) for the daemon to acknowledge it with VXK_CTL_ACK.
 *
 * The daemon side, in order:
 *   fd = open("/dev/vhost-xdp-ctl", O_RDWR)   CAP_NET_ADMIN; one daemon at a time (EBUSY)
 *   ioctl(fd, VXK_CTL_HELLO, &hello)          the virtio features it serves; devices work from now
 *   poll(fd, POLLIN) ... ioctl(fd, VXK_CTL_NEXT, &ev)   one event; EAGAIN when none is queued
 *   ioctl(fd, VXK_CTL_ACK, &ack)              for every event with seq != 0
 * Files that an event carries (memory, eventfds) are installed into the
 * daemon as new O_CLOEXEC fds by VXK_CTL_NEXT; the daemon owns and closes
 * them. Closing the ctl fd detaches the daemon: every waiting VMM ioctl
 * returns ENOTCONN, and every device opened so far stays dead (ENOTCONN)
 * until the VMM opens it again.
 *
 * A VMM that gets a signal withdraws its request if VXK_CTL_NEXT has not
 * handed it out yet (the daemon never sees it; the ioctl is restarted or
 * fails with EINTR). Once handed out, the VMM waits for the answer, however
 * many signals come. A VXK_CTL_NEXT that fails (EFAULT, EMFILE) installs
 * no fd and leaves the event at the head of the queue.
 */
#ifndef VHOST_XDP_KDEV_UAPI_H
#define VHOST_XDP_KDEV_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define VXK_CTL_MAGIC 0xB7

/* How long a VMM ioctl waits for the daemon before failing with ETIMEDOUT. */
#define VXK_ACK_TIMEOUT_MS 2000
/* Memory regions one event carries, after splitting at unmapped holes. */
#define VXK_MAX_REGIONS 8
/* Regions one VHOST_SET_MEM_TABLE may describe (vhost's max_mem_regions default). */
#define VXK_MAX_VMM_REGIONS 64
/* virtqueues per device: receiveq1 = 0, transmitq1 = 1 (virtio 1.2 5.1.2). */
#define VXK_NVQ 2

enum vxk_event_type {
	VXK_EV_ADD = 1,	       /* a VMM opened /dev/vhost-xdp (no ack) */
	VXK_EV_REMOVE,	       /* the VMM closed it (no ack) */
	VXK_EV_SET_FEATURES,   /* value: virtio features */
	VXK_EV_RESET,	       /* VHOST_RESET_OWNER */
	VXK_EV_MEM_TABLE,      /* nregions, regions[] with fds */
	VXK_EV_VRING_NUM,      /* index, value */
	VXK_EV_VRING_ADDR,     /* index, addr */
	VXK_EV_VRING_BASE,     /* index, value */
	VXK_EV_GET_VRING_BASE, /* index; ack value = the ring position to report */
	VXK_EV_VRING_KICK,     /* index, fd (-1: none) */
	VXK_EV_VRING_CALL,     /* index, fd (-1: none) */
	VXK_EV_VRING_ERR,      /* index, fd (-1: none) */
	VXK_EV_BACKEND,	       /* index, value 1 = a backend is set (ring runs), 0 = detached */
	VXK_EV_MAX,
};

struct vxk_region {
	__u64 gpa;
	__u64 size;
	__u64 uva;    /* the VMM's address; ring addresses are in this space */
	__u64 offset; /* where the region starts in the file behind fd */
	__s32 fd;     /* installed into the daemon by VXK_CTL_NEXT */
	__u32 pad;
};

struct vxk_vring_addr {
	__u64 desc; /* VMM addresses, as in struct vhost_vring_addr */
	__u64 used;
	__u64 avail;
	__u64 log;
	__u32 flags; /* VHOST_VRING_F_LOG */
	__u32 pad;
};

struct vxk_event {
	__u32 type;  /* enum vxk_event_type */
	__u32 dev;   /* device id, unique while the module is loaded */
	__u32 seq;   /* non-zero: answer with VXK_CTL_ACK {dev, seq} */
	__u32 index; /* vring index, < VXK_NVQ */
	__u64 value;
	__s32 fd; /* kick/call/err eventfd installed into the daemon, or -1 */
	__u32 nregions;
	struct vxk_vring_addr addr;
	struct vxk_region regions[VXK_MAX_REGIONS];
};

struct vxk_ack {
	__u32 dev;
	__u32 seq;
	__s32 result; /* 0 or -errno, passed to the VMM */
	__u32 pad;
	__u64 value; /* VXK_EV_GET_VRING_BASE: the ring position */
};

struct vxk_hello {
	__u64 features; /* virtio features the daemon serves */
	__u32 version;	/* VXK_VERSION */
	__u32 pad;
};

#define VXK_VERSION 1

#define VXK_CTL_HELLO _IOW(VXK_CTL_MAGIC, 0x01, struct vxk_hello)
#define VXK_CTL_NEXT  _IOR(VXK_CTL_MAGIC, 0x02, struct vxk_event)
#define VXK_CTL_ACK   _IOW(VXK_CTL_MAGIC, 0x03, struct vxk_ack)

#endif

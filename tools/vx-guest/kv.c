// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel vhost transport: the ioctls of <linux/vhost.h> on
 * /dev/vhost-net or /dev/vhost-xdp (kmod/vhost_xdp.ko). As QEMU and DPDK do,
 * a tap is the backend and NET_SET_BACKEND starts and stops the rings; for
 * /dev/vhost-xdp the tap only says "running" (packets go through AF_XDP),
 * for vhost-net it carries the packets (tap name in d->tap_name).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>

#include "vg.h"

static int kv_ioctl(struct vg_dev *d, unsigned long req, void *arg)
{
	return ioctl(d->kfd, req, arg) < 0 ? -errno : 0;
}

static int kv_tap_open(struct vg_dev *d)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	int hdr = VG_HDR_LEN;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "vxg%%d");
	d->tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (d->tap < 0)
		return -errno;
	if (ioctl(d->tap, TUNSETIFF, &ifr) < 0 || ioctl(d->tap, TUNSETVNETHDRSZ, &hdr) < 0)
		return -errno;
	snprintf(d->tap_name, sizeof(d->tap_name), "%s", ifr.ifr_name);
	return 0;
}

static int kv_open(struct vg_dev *d, const char *path, bool server)
{
	d->kfd = open(path, O_RDWR | O_CLOEXEC);
	if (d->kfd < 0)
		return -errno;
	return kv_tap_open(d);
}

static void kv_close(struct vg_dev *d)
{
	if (d->kfd >= 0)
		close(d->kfd);
	if (d->tap >= 0)
		close(d->tap);
	d->kfd = d->tap = -1;
}

static int kv_get_features(struct vg_dev *d, uint64_t *f)
{
	return kv_ioctl(d, VHOST_GET_FEATURES, f);
}

static int kv_set_features(struct vg_dev *d, uint64_t f)
{
	return kv_ioctl(d, VHOST_SET_FEATURES, &f);
}

static int kv_set_owner(struct vg_dev *d)
{
	return kv_ioctl(d, VHOST_SET_OWNER, NULL);
}

static int kv_set_mem_table(struct vg_dev *d)
{
	struct {
		struct vhost_memory h;
		struct vhost_memory_region r;
	} t = {.h.nregions = 1};

	t.r.guest_phys_addr = 0;
	t.r.memory_size = d->mem.size;
	t.r.userspace_addr = (uintptr_t)d->mem.base;
	return kv_ioctl(d, VHOST_SET_MEM_TABLE, &t);
}

static int kv_state(struct vg_dev *d, unsigned long req, unsigned int q, unsigned int num)
{
	struct vhost_vring_state s = {.index = q, .num = num};

	return kv_ioctl(d, req, &s);
}

static int kv_set_vring_num(struct vg_dev *d, unsigned int q, unsigned int num)
{
	return kv_state(d, VHOST_SET_VRING_NUM, q, num);
}

static int kv_set_vring_base(struct vg_dev *d, unsigned int q, unsigned int base)
{
	return kv_state(d, VHOST_SET_VRING_BASE, q, base);
}

static int kv_get_vring_base(struct vg_dev *d, unsigned int q, unsigned int *base)
{
	struct vhost_vring_state s = {.index = q};
	int err = kv_ioctl(d, VHOST_GET_VRING_BASE, &s);

	*base = s.num;
	return err;
}

static int kv_set_vring_addr(struct vg_dev *d, unsigned int q)
{
	const struct vg_vq *vq = &d->vq[q];
	struct vhost_vring_addr a = {
	    .index = q,
	    .desc_user_addr = (uintptr_t)vq->desc,
	    .avail_user_addr = (uintptr_t)vq->avail,
	    .used_user_addr = (uintptr_t)vq->used,
	};

	return kv_ioctl(d, VHOST_SET_VRING_ADDR, &a);
}

static int kv_file(struct vg_dev *d, unsigned long req, unsigned int q, int fd)
{
	struct vhost_vring_file f = {.index = q, .fd = fd};

	return kv_ioctl(d, req, &f);
}

static int kv_set_vring_kick(struct vg_dev *d, unsigned int q, int fd)
{
	return kv_file(d, VHOST_SET_VRING_KICK, q, fd);
}

static int kv_set_vring_call(struct vg_dev *d, unsigned int q, int fd)
{
	return kv_file(d, VHOST_SET_VRING_CALL, q, fd);
}

static int kv_set_vring_err(struct vg_dev *d, unsigned int q, int fd)
{
	return kv_file(d, VHOST_SET_VRING_ERR, q, fd);
}

/* vhost has no ring enable: the backend is the switch. */
static int kv_set_vring_enable(struct vg_dev *d, unsigned int q, bool on)
{
	return kv_file(d, VHOST_NET_SET_BACKEND, q, on ? d->tap : -1);
}

const struct vg_ops vg_vhost_kernel_ops = {
    .open = kv_open,
    .close = kv_close,
    .get_features = kv_get_features,
    .set_features = kv_set_features,
    .set_owner = kv_set_owner,
    .set_mem_table = kv_set_mem_table,
    .set_vring_num = kv_set_vring_num,
    .set_vring_base = kv_set_vring_base,
    .get_vring_base = kv_get_vring_base,
    .set_vring_addr = kv_set_vring_addr,
    .set_vring_kick = kv_set_vring_kick,
    .set_vring_call = kv_set_vring_call,
    .set_vring_err = kv_set_vring_err,
    .set_vring_enable = kv_set_vring_enable,
};

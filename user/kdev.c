// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon side of /dev/vhost-xdp-ctl (include/vhost_xdp/kdev_uapi.h).
 * Each event becomes the vhost-user request that means the same thing and
 * goes through vx_dev_handle, with its checks; the handler's result is the
 * ack, and GET_VRING_BASE's state its value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include <vhost_xdp/kdev_uapi.h>
#include <vhost_xdp/steer_kern_user.h>

#include "kdev.h"
#include "log.h"

struct kdev_port {
	struct vx_dev *dev;
	uint32_t kid; /* the module's device id; 0 = free */
};

static struct {
	int ctl;
	unsigned int n, cap;
	struct kdev_port *p;
} kd = {.ctl = -1};

static struct kdev_port *port_of(uint32_t kid)
{
	unsigned int i;

	for (i = 0; kid && i < kd.n; i++)
		if (kd.p[i].kid == kid)
			return &kd.p[i];
	return NULL;
}

void vx_kdev_ev_close_fds(const struct vxk_event *ev)
{
	unsigned int i;

	if (ev->fd >= 0)
		close(ev->fd);
	for (i = 0; i < ev->nregions && i < VXK_MAX_REGIONS; i++)
		if (ev->regions[i].fd >= 0)
			close(ev->regions[i].fd);
}

static void port_bind(const struct vxk_event *ev)
{
	struct kdev_port *p = NULL;

	for (unsigned int i = 0; !p && i < kd.n; i++)
		if (!kd.p[i].kid)
			p = &kd.p[i];
	if (!p) {
		pr_warn("kdev: device %u opened, but every mode=kdev port is taken; its ioctls "
			"will fail with EBUSY\n",
			ev->dev);
		return;
	}
	p->kid = ev->dev;
	p->dev->attached = true;
	pr_info("%s: serves /dev/vhost-xdp device %u\n", p->dev->name, ev->dev);
}

static void port_unbind(struct kdev_port *p)
{
	pr_info("%s: /dev/vhost-xdp device %u closed\n", p->dev->name, p->kid);
	vx_dev_disconnect(p->dev);
	p->dev->attached = false;
	p->kid = 0;
}

/*
 * The guest's TX offloads. A VMM on the vhost-net ABI (QEMU's tap netdev,
 * DPDK's virtio-user) offers them to the guest from its tap and never passes
 * them to the vhost device, whose tap then honours any TX header anyway; a
 * guest with QEMU's defaults sends partial checksums and TSO frames. So the
 * port takes them as negotiated (a guest without them sends a zero header).
 */
#define KDEV_TX_OFFLOADS                                                                           \
	((1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_HOST_TSO4) |                          \
	 (1ull << VIRTIO_NET_F_HOST_TSO6) | (1ull << VIRTIO_NET_F_HOST_ECN))

int vx_kdev_ev_to_msg(const struct vx_dev *dev, const struct vxk_event *ev, struct vu_msg *m)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->hdr.flags = VU_FLAG_VERSION;
	switch (ev->type) {
	case VXK_EV_SET_FEATURES:
		m->hdr.request = VU_SET_FEATURES;
		m->hdr.size = sizeof(m->p.u64);
		m->p.u64 = ev->value | (vx_dev_offered(dev) & KDEV_TX_OFFLOADS);
		break;
	case VXK_EV_RESET:
		m->hdr.request = VU_RESET_OWNER;
		break;
	case VXK_EV_MEM_TABLE:
		if (ev->nregions > VU_MEM_TABLE_MAX)
			return -E2BIG;
		m->hdr.request = VU_SET_MEM_TABLE;
		m->hdr.size = offsetof(struct vu_mem_table, regions) +
			      ev->nregions * sizeof(struct vu_region);
		m->p.mem.nregions = ev->nregions;
		for (i = 0; i < ev->nregions; i++) {
			m->p.mem.regions[i] = (struct vu_region){
			    .gpa = ev->regions[i].gpa,
			    .size = ev->regions[i].size,
			    .uva = ev->regions[i].uva,
			    .mmap_offset = ev->regions[i].offset,
			};
			m->fds[m->nfds++] = ev->regions[i].fd;
		}
		break;
	case VXK_EV_VRING_NUM:
	case VXK_EV_VRING_BASE:
	case VXK_EV_GET_VRING_BASE:
	case VXK_EV_BACKEND:
		m->hdr.request = ev->type == VXK_EV_VRING_NUM	     ? VU_SET_VRING_NUM
				 : ev->type == VXK_EV_VRING_BASE     ? VU_SET_VRING_BASE
				 : ev->type == VXK_EV_GET_VRING_BASE ? VU_GET_VRING_BASE
								     : VU_SET_VRING_ENABLE;
		m->hdr.size = sizeof(m->p.state);
		m->p.state.index = ev->index;
		m->p.state.num = (uint32_t)ev->value;
		break;
	case VXK_EV_VRING_ADDR:
		m->hdr.request = VU_SET_VRING_ADDR;
		m->hdr.size = sizeof(m->p.addr);
		m->p.addr = (struct vu_vring_addr){
		    .index = ev->index,
		    .flags = ev->addr.flags,
		    .desc_uva = ev->addr.desc,
		    .used_uva = ev->addr.used,
		    .avail_uva = ev->addr.avail,
		    .log_gpa = ev->addr.log,
		};
		break;
	case VXK_EV_VRING_KICK:
	case VXK_EV_VRING_CALL:
	case VXK_EV_VRING_ERR:
		m->hdr.request = ev->type == VXK_EV_VRING_KICK	 ? VU_SET_VRING_KICK
				 : ev->type == VXK_EV_VRING_CALL ? VU_SET_VRING_CALL
								 : VU_SET_VRING_ERR;
		m->hdr.size = sizeof(m->p.u64);
		m->p.u64 = ev->index | (ev->fd < 0 ? VU_VRING_NOFD : 0);
		if (ev->fd >= 0)
			m->fds[m->nfds++] = ev->fd;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static void ev_handle(const struct vxk_event *ev)
{
	struct vxk_ack a = {.dev = ev->dev, .seq = ev->seq};
	struct kdev_port *p = port_of(ev->dev);
	struct vu_msg m;
	int err;

	if (ev->type == VXK_EV_ADD || ev->type == VXK_EV_REMOVE) {
		if (ev->type == VXK_EV_ADD && !p)
			port_bind(ev);
		else if (ev->type == VXK_EV_REMOVE && p)
			port_unbind(p);
		vx_kdev_ev_close_fds(ev);
		return;
	}
	if (!p) {
		vx_kdev_ev_close_fds(ev);
		a.result = -EBUSY;
	} else if ((err = vx_kdev_ev_to_msg(p->dev, ev, &m))) {
		vx_kdev_ev_close_fds(ev);
		a.result = err;
	} else {
		/* The handler's result is the ack; GET_VRING_BASE's value comes with it. */
		struct vx_outcome o = vx_dev_handle(p->dev, &m); /* closes every fd it does not keep */

		a.result = o.err;
		if (!o.err && m.hdr.request == VU_GET_VRING_BASE)
			a.value = m.p.state.num;
	}
	if (ev->seq && ioctl(kd.ctl, VXK_CTL_ACK, &a) < 0)
		pr_warn("kdev: device %u: ack: %s\n", ev->dev, strerror(errno));
}

int vx_kdev_fd(void)
{
	return kd.ctl;
}

int vx_kdev_process(void)
{
	struct vxk_event ev;

	while (ioctl(kd.ctl, VXK_CTL_NEXT, &ev) == 0)
		ev_handle(&ev);
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	pr_err("kdev: %s: %s; kernel devices are no longer served\n", VX_KDEV_CTL,
	       strerror(errno));
	return -errno;
}

static int kdev_open(void)
{
	struct vxk_hello h = {.version = VXK_VERSION, .features = vx_dev_features()};
	int err;

	kd.ctl = open(VX_KDEV_CTL, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (kd.ctl < 0) {
		err = -errno;
		pr_err("%s: %s (is vhost_xdp.ko loaded? only one daemon may attach)\n", VX_KDEV_CTL,
		       strerror(errno));
		return err;
	}
	if (ioctl(kd.ctl, VXK_CTL_HELLO, &h) < 0) {
		err = -errno;
		pr_err("%s: hello: %s\n", VX_KDEV_CTL, strerror(errno));
		close(kd.ctl);
		kd.ctl = -1;
		return err;
	}
	pr_info("kdev: serving /dev/vhost-xdp\n");
	return 1;
}

int vx_kdev_add(struct vx_dev *dev)
{
	int opened = 0;

	if (kd.ctl < 0 && (opened = kdev_open()) < 0)
		return opened;
	if (kd.n == kd.cap) {
		unsigned int cap = kd.cap ? 2 * kd.cap : 8;
		struct kdev_port *p = realloc(kd.p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		kd.p = p;
		kd.cap = cap;
	}
	kd.p[kd.n++] = (struct kdev_port){.dev = dev};
	return opened;
}

void vx_kdev_del(struct vx_dev *dev)
{
	unsigned int i;

	for (i = 0; i < kd.n; i++) {
		if (kd.p[i].dev != dev)
			continue;
		if (kd.p[i].kid)
			port_unbind(&kd.p[i]);
		kd.p[i] = kd.p[--kd.n];
		break;
	}
}

void vx_kdev_close(void)
{
	while (kd.n)
		vx_kdev_del(kd.p[kd.n - 1].dev);
	free(kd.p);
	kd.p = NULL;
	kd.cap = 0;
	if (kd.ctl >= 0)
		close(kd.ctl);
	kd.ctl = -1;
}

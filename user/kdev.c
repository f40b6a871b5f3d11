// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon side of /dev/vhost-xdp-ctl (include/vhost_xdp/kdev_uapi.h).
 * Each event becomes the vhost-user request that means the same thing and
 * goes through vx_dev_handle, with its checks; the port's "socket" is one
 * end of a socketpair, from whose other end the reply (REPLY_ACK, or the
 * GET_VRING_BASE state) is read back and passed on as the ack.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
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
	int sp[2];    /* sp[0] is dev->sock; replies are read from sp[1] */
};

static struct {
	int ctl;
	int stop_fd;
	pthread_t tid;
	bool running;
	unsigned int n;
	struct kdev_port p[VX_MAX_PORTS];
} kd = {.ctl = -1};

static struct kdev_port *port_of(uint32_t kid)
{
	unsigned int i;

	for (i = 0; kid && i < kd.n; i++)
		if (kd.p[i].kid == kid)
			return &kd.p[i];
	return NULL;
}

static void ev_close_fds(const struct vxk_event *ev)
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
	p->dev->protocol_features = 1ull << VU_PF_REPLY_ACK;
	pr_info("%s: serves /dev/vhost-xdp device %u\n", p->dev->name, ev->dev);
}

static void port_unbind(struct kdev_port *p)
{
	pr_info("%s: /dev/vhost-xdp device %u closed\n", p->dev->name, p->kid);
	vx_dev_disconnect(p->dev);
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

/* Builds the vhost-user request for ev; its fds move into m. */
static int ev_to_msg(const struct vxk_event *ev, struct vu_msg *m)
{
	unsigned int i;

	memset(m, 0, sizeof(*m));
	m->hdr.flags = VU_FLAG_VERSION | VU_FLAG_NEED_REPLY;
	switch (ev->type) {
	case VXK_EV_SET_FEATURES:
		m->hdr.request = VU_SET_FEATURES;
		m->hdr.size = sizeof(m->p.u64);
		m->p.u64 = ev->value | (vx_dev_offered(port_of(ev->dev)->dev) & KDEV_TX_OFFLOADS);
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

/* Reads the reply vx_dev_handle wrote: REPLY_ACK's u64, or GET_VRING_BASE's state. */
static int reply_read(struct kdev_port *p, uint32_t request, uint64_t *value)
{
	/* The payload follows the 12-byte header directly (no padding on the wire). */
	uint8_t buf[sizeof(struct vu_hdr) + sizeof(union vu_payload)];
	ssize_t n = recv(p->sp[1], buf, sizeof(buf), MSG_DONTWAIT);
	struct vu_vring_state st;
	uint64_t ack;

	if (n < (ssize_t)(sizeof(struct vu_hdr) + 8))
		return -EIO;
	if (request == VU_GET_VRING_BASE) {
		memcpy(&st, buf + sizeof(struct vu_hdr), sizeof(st));
		*value = st.num;
		return 0;
	}
	memcpy(&ack, buf + sizeof(struct vu_hdr), sizeof(ack));
	/* REPLY_ACK carries 0 or 1; the handler's errno is kept in the device. */
	if (!ack)
		return 0;
	return p->dev->last_err < 0 ? p->dev->last_err : -EINVAL;
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
		ev_close_fds(ev);
		return;
	}
	if (!p) {
		ev_close_fds(ev);
		a.result = -EBUSY;
	} else if ((err = ev_to_msg(ev, &m))) {
		ev_close_fds(ev);
		a.result = err;
	} else {
		char junk[64];

		while (recv(p->sp[1], junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;			 /* no stale reply may answer this request */
		err = vx_dev_handle(p->dev, &m); /* closes every fd it does not keep */
		uint64_t v = 0;

		a.result = err ? err : reply_read(p, m.hdr.request, &v);
		a.value = v;
		for (unsigned int i = 0; i < VX_VQ_MAX; i++) {
			const struct vx_vq *q = &p->dev->vq[i];

			pr_debug("%s: after %s: num %u ready %d started %d enabled %d broken %d "
				 "avail %u used %u\n",
				 q->name, vu_request_name(m.hdr.request), q->num, q->ready,
				 q->started, q->enabled, q->broken, q->last_avail, q->used_idx);
		}
	}
	if (ev->seq && ioctl(kd.ctl, VXK_CTL_ACK, &a) < 0)
		pr_warn("kdev: device %u: ack: %s\n", ev->dev, strerror(errno));
}

static void *kdev_main(void *arg)
{
	struct pollfd pf[2] = {{.fd = kd.stop_fd, .events = POLLIN},
			       {.fd = kd.ctl, .events = POLLIN}};
	struct vxk_event ev;

	for (;;) {
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		while (ioctl(kd.ctl, VXK_CTL_NEXT, &ev) == 0)
			ev_handle(&ev);
		if (errno != EAGAIN && errno != EINTR) {
			pr_err("kdev: %s: %s; kernel devices are no longer served\n", VX_KDEV_CTL,
			       strerror(errno));
			break;
		}
	}
	return NULL;
}

int vx_kdev_start(struct vx_dev **devs, unsigned int n, int stop_fd)
{
	struct vxk_hello h = {.version = VXK_VERSION, .features = vx_dev_features()};
	unsigned int i;
	int err;

	kd.ctl = open(VX_KDEV_CTL, O_RDWR | O_CLOEXEC);
	if (kd.ctl < 0) {
		err = -errno;
		pr_err("%s: %s (is vhost_xdp.ko loaded? only one daemon may attach)\n", VX_KDEV_CTL,
		       strerror(errno));
		return err;
	}
	for (i = 0; i < n; i++) {
		struct kdev_port *p = &kd.p[kd.n];

		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p->sp) < 0)
			return -errno;
		p->dev = devs[i];
		p->dev->sock = p->sp[0];
		kd.n++;
	}
	if (ioctl(kd.ctl, VXK_CTL_HELLO, &h) < 0)
		return -errno;
	kd.stop_fd = stop_fd;
	err = pthread_create(&kd.tid, NULL, kdev_main, NULL);
	if (err)
		return -err;
	kd.running = true;
	pr_info("kdev: serving /dev/vhost-xdp with %u port%s\n", n, n == 1 ? "" : "s");
	return 0;
}

void vx_kdev_stop(void)
{
	unsigned int i;

	if (kd.running)
		pthread_join(kd.tid, NULL);
	kd.running = false;
	for (i = 0; i < kd.n; i++) {
		if (kd.p[i].kid)
			port_unbind(&kd.p[i]);
		kd.p[i].dev->sock = -1;
		close(kd.p[i].sp[0]);
		close(kd.p[i].sp[1]);
	}
	kd.n = 0;
	if (kd.ctl >= 0)
		close(kd.ctl);
	kd.ctl = -1;
}

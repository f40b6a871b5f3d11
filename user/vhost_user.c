// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-user message handlers for a virtio-net device.
 *
 * Security model: the front-end (the VMM) is not trusted. No field of a
 * received message is used before it is checked here; the payload size and
 * the number of fds of every request are checked in one place (vu_table and
 * vx_dev_handle), and every fd a message brings is either kept by its
 * handler or closed. A request that fails leaves the previous state intact.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "log.h"
#include "vhost_user.h"

#define BIT(n) (1ull << (n))

/* virtio 1.2 5.1.6.2 and 5.1.6.4: offloads done here (user/offload/). */
#define VX_OFFLOAD_FEATURES                                                                  \
	(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) | \
	 BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |                           \
	 BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |                        \
	 BIT(VIRTIO_NET_F_GUEST_ECN))

static void dev_set_offload(struct vx_dev *dev, uint64_t f)
{
	struct vx_offload *o = &dev->offl;

	o->tx_csum = f & BIT(VIRTIO_NET_F_CSUM);
	o->tx_tso4 = o->tx_csum && (f & BIT(VIRTIO_NET_F_HOST_TSO4));
	o->tx_tso6 = o->tx_csum && (f & BIT(VIRTIO_NET_F_HOST_TSO6));
	o->tx_ecn = (o->tx_tso4 || o->tx_tso6) && (f & BIT(VIRTIO_NET_F_HOST_ECN));
	o->rx_csum = f & BIT(VIRTIO_NET_F_GUEST_CSUM);
	o->rx_tso4 = o->rx_csum && (f & BIT(VIRTIO_NET_F_GUEST_TSO4));
	o->rx_tso6 = o->rx_csum && (f & BIT(VIRTIO_NET_F_GUEST_TSO6));
	o->rx_ecn = (o->rx_tso4 || o->rx_tso6) && (f & BIT(VIRTIO_NET_F_GUEST_ECN));
}

uint64_t vx_dev_features(void)
{
	return BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF) |
	       BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |
	       BIT(VIRTIO_F_ANY_LAYOUT) | BIT(VIRTIO_NET_F_MTU) | BIT(VHOST_F_LOG_ALL) |
	       BIT(VU_F_PROTOCOL_FEATURES) | VX_OFFLOAD_FEATURES;
}

uint64_t vx_dev_offered(const struct vx_dev *dev)
{
	uint64_t f = vx_dev_features() | (dev->max_qp > 1 ? BIT(VIRTIO_NET_F_MQ) : 0);

	/* Frames sent from guest memory as they are cannot have their checksums finished. */
	if (dev->no_tx_offload)
		f &= ~(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
		       BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN));
	return f;
}

uint64_t vx_dev_protocol_features(void)
{
	return BIT(VU_PF_MQ) | BIT(VU_PF_LOG_SHMFD) | BIT(VU_PF_RARP) | BIT(VU_PF_REPLY_ACK) |
	       BIT(VU_PF_NET_MTU) | BIT(VU_PF_RESET_DEVICE) | BIT(VU_PF_CONFIGURE_MEM_SLOTS);
}

void vx_dev_init(struct vx_dev *dev)
{
	unsigned int i;
	char name[32];

	dev->sock = -1;
	dev->listen_fd = -1;
	dev->act_idx = -1;
	dev->rxfmt.hdr_len = sizeof(struct virtio_net_hdr);
	if (!dev->max_qp || dev->max_qp > VX_DEV_MAX_QP)
		dev->max_qp = VX_DEV_MAX_QP;
	for (i = 0; i < VX_DEV_MAX_QP; i++)
		pthread_mutex_init(&dev->rxq[i].lock, NULL);
	for (i = 0; i < VX_VQ_MAX; i++) {
		snprintf(name, sizeof(name), "%s vq%u", dev->name, i);
		vx_vq_init(&dev->vq[i], name);
		dev->vq[i].mem = &dev->mem;
		dev->kick_reg[i] = -1;
	}
}

static void dev_lock(struct vx_dev *dev)
{
	if (dev->ops && dev->ops->lock)
		dev->ops->lock(dev);
}

static void dev_unlock(struct vx_dev *dev)
{
	if (dev->ops && dev->ops->unlock)
		dev->ops->unlock(dev);
}

static void dev_vq_update(struct vx_dev *dev, unsigned int idx, int old_kick)
{
	if (dev->ops && dev->ops->vq_update)
		dev->ops->vq_update(dev, idx, old_kick);
}

/* Re-translates every configured ring, e.g. after the memory table changed. */
static void dev_map_vqs(struct vx_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VX_VQ_MAX; i++) {
		struct vx_vq *vq = &dev->vq[i];

		if (!vq->num || !vq->addr_set)
			continue;
		if (vx_vq_map(vq) && vq->started)
			pr_warn("%s: ring not inside guest memory; queue stopped until it is\n",
				vq->name);
		dev_vq_update(dev, i, vq->kick_fd);
	}
}

static void dev_set_log(struct vx_dev *dev)
{
	bool on = (dev->features & BIT(VHOST_F_LOG_ALL)) && dev->log.bits;
	unsigned int i;

	for (i = 0; i < VX_VQ_MAX; i++)
		dev->vq[i].log = on ? &dev->log : NULL;
}

static void dev_stop_vq(struct vx_dev *dev, unsigned int idx)
{
	struct vx_vq *vq = &dev->vq[idx];
	int old = vq->kick_fd;

	vq->started = false;
	vq->kick_fd = -1;
	dev_vq_update(dev, idx, old);
	if (old >= 0)
		close(old);
}

/* Back to the state of a new connection, keeping the protocol features. */
static void dev_reset(struct vx_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VX_VQ_MAX; i++) {
		dev_stop_vq(dev, i);
		vx_vq_reset(&dev->vq[i]);
		dev->vq[i].mem = &dev->mem;
	}
	if (dev->ops && dev->ops->reset)
		dev->ops->reset(dev);
	vx_mem_clear(&dev->mem);
	vx_dirty_log_unmap(&dev->log);
	dev->features = 0;
	dev_set_offload(dev, 0);
	dev->mtu = 0;
	dev->rxfmt.mrg_rxbuf = false;
	dev->rxfmt.hdr_len = sizeof(struct virtio_net_hdr);
}

/* ---- handlers: return 0 or -errno; reply payloads go in m->p, size in m->hdr.size ---- */

static int reply_u64(struct vu_msg *m, uint64_t v)
{
	m->p.u64 = v;
	m->hdr.size = sizeof(m->p.u64);
	return 0;
}

static int vq_index(const struct vx_dev *dev, uint32_t index)
{
	/* Rings beyond the pairs this port offers do not exist (GET_QUEUE_NUM). */
	return index < 2u * dev->max_qp ? (int)index : -ERANGE;
}

static int h_get_features(struct vx_dev *dev, struct vu_msg *m)
{
	return reply_u64(m, vx_dev_offered(dev));
}

static int h_set_features(struct vx_dev *dev, struct vu_msg *m)
{
	uint64_t f = m->p.u64;
	unsigned int i;

	if (f & ~vx_dev_offered(dev))
		return -EINVAL;
	dev->features = f;
	dev_set_offload(dev, f);
	dev->rxfmt.mrg_rxbuf = f & BIT(VIRTIO_NET_F_MRG_RXBUF);
	/* 5.1.6: the header has num_buffers with VERSION_1 or MRG_RXBUF. */
	dev->rxfmt.hdr_len = (f & (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MRG_RXBUF))) ?
			       sizeof(struct virtio_net_hdr_mrg_rxbuf) :
			       sizeof(struct virtio_net_hdr);
	for (i = 0; i < VX_VQ_MAX; i++)
		dev->vq[i].event_idx = f & BIT(VIRTIO_RING_F_EVENT_IDX);
	dev_set_log(dev);
	return 0;
}

static int h_set_owner(struct vx_dev *dev, struct vu_msg *m)
{
	return 0;
}

static int h_reset(struct vx_dev *dev, struct vu_msg *m)
{
	dev_reset(dev);
	return 0;
}

static int mem_desc_from(struct vx_mem_desc *d, const struct vu_region *r)
{
	d->gpa = r->gpa;
	d->size = r->size;
	d->uva = r->uva;
	d->mmap_offset = r->mmap_offset;
	return 0;
}

static int h_set_mem_table(struct vx_dev *dev, struct vu_msg *m)
{
	const struct vu_mem_table *t = &m->p.mem;
	struct vx_mem nm = { .keep_fds = dev->mem.keep_fds };
	struct vx_mem_desc d;
	unsigned int i;
	int err;

	if (m->hdr.size < offsetof(struct vu_mem_table, regions) || !t->nregions ||
	    t->nregions > VU_MEM_TABLE_MAX ||
	    m->hdr.size != offsetof(struct vu_mem_table, regions) +
				   t->nregions * sizeof(struct vu_region) ||
	    m->nfds != t->nregions)
		return -EINVAL;
	for (i = 0; i < t->nregions; i++) {
		mem_desc_from(&d, &t->regions[i]);
		err = vx_mem_add(&nm, &d, m->fds[i]);
		if (err) {
			pr_warn("%s: memory region %u (gpa 0x%llx size 0x%llx) refused: %s\n",
				dev->name, i, (unsigned long long)d.gpa,
				(unsigned long long)d.size, strerror(-err));
			vx_mem_clear(&nm);
			return err;
		}
	}
	/* Only now, with the new table complete, drop the old one. */
	vx_mem_clear(&dev->mem);
	dev->mem = nm;
	dev_map_vqs(dev);
	return 0;
}

static int h_get_max_mem_slots(struct vx_dev *dev, struct vu_msg *m)
{
	return reply_u64(m, VX_MEM_MAX_REGIONS);
}

static int h_add_mem_reg(struct vx_dev *dev, struct vu_msg *m)
{
	struct vx_mem_desc d;
	int err;

	mem_desc_from(&d, &m->p.memreg.region);
	err = vx_mem_add(&dev->mem, &d, m->fds[0]);
	if (err)
		return err;
	dev_map_vqs(dev);
	return 0;
}

static int h_rem_mem_reg(struct vx_dev *dev, struct vu_msg *m)
{
	struct vx_mem_desc d;
	int err;

	mem_desc_from(&d, &m->p.memreg.region);
	err = vx_mem_remove(&dev->mem, &d);
	if (err)
		return err;
	dev_map_vqs(dev);
	return 0;
}

static int h_set_log_base(struct vx_dev *dev, struct vu_msg *m)
{
	struct vx_dirty_log nl = { 0 };
	int err;

	err = vx_dirty_log_map(&nl, m->fds[0], m->p.log.size, m->p.log.offset);
	if (err)
		return err;
	vx_dirty_log_unmap(&dev->log);
	dev->log = nl;
	dev_set_log(dev);
	return reply_u64(m, 0);
}

static int h_set_log_fd(struct vx_dev *dev, struct vu_msg *m)
{
	/* The log eventfd is optional for a back-end that writes the log directly. */
	return 0;
}

static int h_set_vring_num(struct vx_dev *dev, struct vu_msg *m)
{
	int i = vq_index(dev, m->p.state.index);
	uint32_t num = m->p.state.num;

	if (i < 0)
		return i;
	if (!num || num > VX_VQ_MAX_SIZE || (num & (num - 1)))
		return -EINVAL;
	dev->vq[i].num = (uint16_t)num;
	/* Never leave a ring ready that was checked for a smaller size. */
	dev->vq[i].ready = false;
	if (dev->vq[i].addr_set && dev->mem.n)
		vx_vq_map(&dev->vq[i]);
	return 0;
}

static int h_set_vring_addr(struct vx_dev *dev, struct vu_msg *m)
{
	const struct vu_vring_addr *a = &m->p.addr;
	int i = vq_index(dev, a->index);
	struct vx_vq *vq, old;

	if (i < 0)
		return i;
	if (a->flags & ~(1u << VHOST_VRING_F_LOG))
		return -EINVAL;
	vq = &dev->vq[i];
	old = *vq;
	vq->desc_uva = a->desc_uva;
	vq->avail_uva = a->avail_uva;
	vq->used_uva = a->used_uva;
	vq->log_gpa = a->log_gpa;
	vq->log_used = a->flags & (1u << VHOST_VRING_F_LOG);
	vq->addr_set = true;
	if (dev->mem.n && vq->num && vx_vq_map(vq)) {
		/* vx_vq_map may have grown (moved) the segment storage: keep it. */
		old.segs = vq->segs;
		old.segs_cap = vq->segs_cap;
		*vq = old;
		return -EFAULT;
	}
	dev_vq_update(dev, i, vq->kick_fd);
	return 0;
}

static int h_set_vring_base(struct vx_dev *dev, struct vu_msg *m)
{
	int i = vq_index(dev, m->p.state.index);

	if (i < 0)
		return i;
	if (m->p.state.num > 0xffff)
		return -EINVAL;
	dev->vq[i].last_avail = (uint16_t)m->p.state.num;
	dev->vq[i].avail_seen = dev->vq[i].last_avail;
	/* A new base is how the front-end restarts a ring (e.g. after a guest reset). */
	dev->vq[i].broken = false;
	return 0;
}

static int h_get_vring_base(struct vx_dev *dev, struct vu_msg *m)
{
	int i = vq_index(dev, m->p.state.index);

	if (i < 0)
		return i;
	dev_stop_vq(dev, (unsigned int)i);
	m->p.state.num = dev->vq[i].last_avail;
	m->hdr.size = sizeof(m->p.state);
	return 0;
}

/* Index of SET_VRING_KICK/CALL/ERR, refusing bits beyond index and NOFD. */
static int vring_fd_index(const struct vx_dev *dev, const struct vu_msg *m)
{
	if (m->p.u64 & ~(uint64_t)(VU_VRING_IDX_MASK | VU_VRING_NOFD))
		return -EINVAL;
	return vq_index(dev, m->p.u64 & VU_VRING_IDX_MASK);
}

/*
 * Takes the kick/call/err fd of the message, non-blocking: the worker reads
 * and writes these eventfds and must never block on one a VMM filled up
 * (or on a pipe passed in its place). Returns -1 for VU_VRING_NOFD.
 */
static int take_vring_fd(struct vu_msg *m, int *fd)
{
	int flags;

	*fd = (m->p.u64 & VU_VRING_NOFD) ? -1 : vu_msg_take_fd(m, 0);
	if (*fd < 0)
		return 0;
	flags = fcntl(*fd, F_GETFL);
	if (flags < 0 || fcntl(*fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		close(*fd);
		*fd = -1;
		return -EBADF;
	}
	return 0;
}

static int h_set_vring_kick(struct vx_dev *dev, struct vu_msg *m)
{
	int i = vring_fd_index(dev, m), fd, old, err;
	struct vx_vq *vq;

	if (i < 0)
		return i;
	err = take_vring_fd(m, &fd);
	if (err)
		return err;
	vq = &dev->vq[i];
	old = vq->kick_fd;
	vq->kick_fd = fd;
	vq->started = true;
	/* vhost-user.rst "Ring states": without protocol features, rings start enabled. */
	if (!(dev->features & BIT(VU_F_PROTOCOL_FEATURES)))
		vq->enabled = true;
	if (!vq->ready && vq->num && vq->addr_set && dev->mem.n && vx_vq_map(vq))
		pr_warn("%s: started, but its ring is not inside guest memory\n", vq->name);
	dev_vq_update(dev, (unsigned int)i, old);
	if (old >= 0)
		close(old);
	return 0;
}

/* SET_VRING_CALL and SET_VRING_ERR: replace one of the queue's signalling fds. */
static int set_vring_signal_fd(struct vx_dev *dev, struct vu_msg *m, bool call)
{
	int i = vring_fd_index(dev, m), fd, err, *slot;

	if (i < 0)
		return i;
	err = take_vring_fd(m, &fd);
	if (err)
		return err;
	slot = call ? &dev->vq[i].call_fd : &dev->vq[i].err_fd;
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
	if (call)
		dev->vq[i].signalled_valid = false;
	return 0;
}

static int h_set_vring_call(struct vx_dev *dev, struct vu_msg *m)
{
	return set_vring_signal_fd(dev, m, true);
}

static int h_set_vring_err(struct vx_dev *dev, struct vu_msg *m)
{
	return set_vring_signal_fd(dev, m, false);
}

static int h_set_vring_enable(struct vx_dev *dev, struct vu_msg *m)
{
	int i = vq_index(dev, m->p.state.index);

	if (i < 0)
		return i;
	if (m->p.state.num > 1)
		return -EINVAL;
	dev->vq[i].enabled = m->p.state.num;
	dev_vq_update(dev, (unsigned int)i, dev->vq[i].kick_fd);
	return 0;
}

static int h_get_protocol_features(struct vx_dev *dev, struct vu_msg *m)
{
	return reply_u64(m, vx_dev_protocol_features());
}

static int h_set_protocol_features(struct vx_dev *dev, struct vu_msg *m)
{
	if (m->p.u64 & ~vx_dev_protocol_features())
		return -EINVAL;
	dev->protocol_features = m->p.u64;
	return 0;
}

static int h_get_queue_num(struct vx_dev *dev, struct vu_msg *m)
{
	return reply_u64(m, dev->max_qp);
}

static int h_net_set_mtu(struct vx_dev *dev, struct vu_msg *m)
{
	/* 5.1.4.1: at least 68; the field is 16 bits. */
	if (m->p.u64 < 68 || m->p.u64 > 65535)
		return -EINVAL;
	dev->mtu = (uint16_t)m->p.u64;
	return 0;
}

/*
 * vhost-user.rst SEND_RARP: the first 6 bytes are the guest's MAC. It may
 * come at any time, before the memory table too: nothing here needs guest
 * memory. Only the port's own MAC is ever announced: a VMM cannot make the
 * daemon claim another address on the wire.
 */
static int h_send_rarp(struct vx_dev *dev, struct vu_msg *m)
{
	const uint8_t *mac = (const uint8_t *)&m->p.u64;

	if (!(dev->protocol_features & BIT(VU_PF_RARP)))
		return -EINVAL;
	if (memcmp(mac, dev->mac, 6))
		pr_warn("%s: SEND_RARP for %02x:%02x:%02x:%02x:%02x:%02x, not the port's MAC; "
			"announcing the port's\n", dev->name, mac[0], mac[1], mac[2], mac[3], mac[4],
			mac[5]);
	if (dev->ops && dev->ops->announce)
		dev->ops->announce(dev);
	return 0;
}

enum vu_fds {
	FDS_NONE,	/* no fd may come */
	FDS_ONE,	/* exactly one */
	FDS_VRING,	/* one, unless the payload has VU_VRING_NOFD */
	FDS_OPT,	/* zero or one (REM_MEM_REG: some front-ends send one) */
	FDS_TABLE,	/* one per region: the handler checks */
};

#define SIZE_VAR UINT32_MAX

struct vu_handler {
	int (*fn)(struct vx_dev *dev, struct vu_msg *m);
	uint32_t size;		/* exact payload size, or SIZE_VAR (handler checks) */
	uint8_t fds;
	bool reply;		/* the request has a reply of its own */
};

static const struct vu_handler vu_table[VU_REQUEST_MAX] = {
	[VU_GET_FEATURES] = { h_get_features, 0, FDS_NONE, true },
	[VU_SET_FEATURES] = { h_set_features, 8, FDS_NONE, false },
	[VU_SET_OWNER] = { h_set_owner, 0, FDS_NONE, false },
	[VU_RESET_OWNER] = { h_reset, 0, FDS_NONE, false },
	[VU_RESET_DEVICE] = { h_reset, 0, FDS_NONE, false },
	[VU_SET_MEM_TABLE] = { h_set_mem_table, SIZE_VAR, FDS_TABLE, false },
	[VU_GET_MAX_MEM_SLOTS] = { h_get_max_mem_slots, 0, FDS_NONE, true },
	[VU_ADD_MEM_REG] = { h_add_mem_reg, sizeof(struct vu_mem_reg), FDS_ONE, false },
	[VU_REM_MEM_REG] = { h_rem_mem_reg, sizeof(struct vu_mem_reg), FDS_OPT, false },
	[VU_SET_LOG_BASE] = { h_set_log_base, sizeof(struct vu_log), FDS_ONE, true },
	[VU_SET_LOG_FD] = { h_set_log_fd, 0, FDS_ONE, false },
	[VU_SET_VRING_NUM] = { h_set_vring_num, sizeof(struct vu_vring_state), FDS_NONE, false },
	[VU_SET_VRING_ADDR] = { h_set_vring_addr, sizeof(struct vu_vring_addr), FDS_NONE, false },
	[VU_SET_VRING_BASE] = { h_set_vring_base, sizeof(struct vu_vring_state), FDS_NONE, false },
	[VU_GET_VRING_BASE] = { h_get_vring_base, sizeof(struct vu_vring_state), FDS_NONE, true },
	[VU_SET_VRING_KICK] = { h_set_vring_kick, 8, FDS_VRING, false },
	[VU_SET_VRING_CALL] = { h_set_vring_call, 8, FDS_VRING, false },
	[VU_SET_VRING_ERR] = { h_set_vring_err, 8, FDS_VRING, false },
	[VU_GET_PROTOCOL_FEATURES] = { h_get_protocol_features, 0, FDS_NONE, true },
	[VU_SET_PROTOCOL_FEATURES] = { h_set_protocol_features, 8, FDS_NONE, false },
	[VU_GET_QUEUE_NUM] = { h_get_queue_num, 0, FDS_NONE, true },
	[VU_SET_VRING_ENABLE] = { h_set_vring_enable, sizeof(struct vu_vring_state), FDS_NONE,
				  false },
	[VU_NET_SET_MTU] = { h_net_set_mtu, 8, FDS_NONE, false },
	[VU_SEND_RARP] = { h_send_rarp, 8, FDS_NONE, false },
};

static bool fds_ok(const struct vu_handler *h, const struct vu_msg *m)
{
	switch (h->fds) {
	case FDS_NONE:
		return m->nfds == 0;
	case FDS_ONE:
		return m->nfds == 1;
	case FDS_VRING:
		return m->nfds == ((m->p.u64 & VU_VRING_NOFD) ? 0u : 1u);
	case FDS_OPT:
		return m->nfds <= 1;
	default:
		return true;
	}
}

/* Sizes are checked before any handler looks at the payload. */
static bool size_ok(const struct vu_handler *h, const struct vu_msg *m)
{
	/* GET requests may come with an (ignored) payload, e.g. GET_VRING_BASE's state. */
	if (h->size == SIZE_VAR)
		return true;
	return m->hdr.size == h->size;
}

/* REPLY_ACK (vhost-user.rst): a request with NEED_REPLY set is answered 0 or 1. */
static struct vx_outcome dev_ack(struct vx_dev *dev, struct vu_msg *m, int err)
{
	struct vx_outcome o = { .err = err };

	if (!(m->hdr.flags & VU_FLAG_NEED_REPLY) ||
	    !(dev->protocol_features & BIT(VU_PF_REPLY_ACK)))
		return o;
	reply_u64(m, err ? 1 : 0);
	o.reply = true;
	return o;
}

struct vx_outcome vx_dev_handle(struct vx_dev *dev, struct vu_msg *m)
{
	uint32_t req = m->hdr.request;
	const struct vu_handler *h = req < VU_REQUEST_MAX ? &vu_table[req] : NULL;
	const char *name = vu_request_name(req);
	int err;

	if (!h || !h->fn) {
		pr_warn("%s: unsupported request %u (%s), refused\n", dev->name, req, name);
		vu_msg_close_fds(m);
		return dev_ack(dev, m, -ENOTSUP);
	}
	if (!size_ok(h, m) || !fds_ok(h, m)) {
		pr_warn("%s: %s: malformed (payload %u bytes, %u fds); disconnecting\n", dev->name,
			name, m->hdr.size, m->nfds);
		vu_msg_close_fds(m);
		return (struct vx_outcome){ .err = -EBADMSG, .drop = true };
	}
	pr_debug("%s: %s\n", dev->name, name);
	dev_lock(dev);
	err = h->fn(dev, m);
	dev_unlock(dev);
	vu_msg_close_fds(m);
	if (h->reply) {
		if (err)
			pr_warn("%s: %s failed: %s; disconnecting\n", dev->name, name,
				strerror(-err));
		return (struct vx_outcome){ .err = err, .reply = !err, .drop = err != 0 };
	}
	if (err)
		pr_warn("%s: %s refused: %s\n", dev->name, name, strerror(-err));
	return dev_ack(dev, m, err);
}

void vx_dev_disconnect(struct vx_dev *dev)
{
	dev_lock(dev);
	dev_reset(dev);
	dev->protocol_features = 0;
	dev_unlock(dev);
}

void vx_dev_free(struct vx_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VX_VQ_MAX; i++)
		vx_vq_free(&dev->vq[i]);
	for (i = 0; i < VX_DEV_MAX_QP; i++) {
		free(dev->rxq[i].backlog);
		dev->rxq[i].backlog = NULL;
		pthread_mutex_destroy(&dev->rxq[i].lock);
	}
}

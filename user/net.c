// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>

#include "net.h"

#ifndef XDP_PACKET_HEADROOM
#define XDP_PACKET_HEADROOM 256	/* include/uapi/linux/bpf.h */
#endif

/* A chain spread over more RX buffers than this is dropped (only with MRG_RXBUF). */
#define VX_RX_MAX_BUFS 64
/* Guest TX data is copied this far into a frame, leaving room for a VLAN tag. */
#define VX_TX_PAD 4
#define VLAN_HLEN 4

enum rx_result {
	RX_DELIVERED,
	RX_NO_BUFFER,	/* try again when the guest posts buffers */
	RX_TOO_BIG,	/* the guest's buffers cannot hold it */
	RX_NOT_READY,	/* no running RX queue */
};

/* Worker w's counters for a port (stats.h: one writer per counter). */
#define PST(w, dev) (&(dev)->stats[(w)->idx])

static bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static struct vx_dev *port_by_mac(struct vx_nic *nic, const uint8_t *mac, uint16_t vlan)
{
	unsigned int i;

	for (i = 0; i < nic->nports; i++) {
		struct vx_dev *d = nic->ports[i];

		if (d->vlan == vlan && !memcmp(d->mac, mac, ETH_ALEN))
			return d;
	}
	return NULL;
}

/* Without MRG_RXBUF the whole frame must fit one chain (virtio 1.2 5.1.6.3). */
static enum rx_result rx_single(struct vx_dev *dev, struct vx_vq *vq, const uint8_t *pkt,
				uint32_t len)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { .num_buffers = htole16(1) };
	uint32_t total = dev->hdr_len + len;
	struct vx_chain c;
	int r;

	r = vx_vq_pop(vq, &c);
	if (r < 0)
		return RX_NOT_READY;
	if (r == 0)
		return RX_NO_BUFFER;
	if (c.in_len < total) {
		/* Like vhost-net: drop the frame, keep the buffer for the next one. */
		vx_vq_unpop(vq, 1);
		return RX_TOO_BIG;
	}
	vx_chain_write(&c, 0, &hdr, dev->hdr_len);
	vx_chain_write(&c, dev->hdr_len, pkt, len);
	vx_vq_log_write(vq, &c, total);
	vx_vq_push(vq, c.head, total);
	return RX_DELIVERED;
}

/*
 * virtio 1.2 5.1.6.4: with MRG_RXBUF the frame may span several chains;
 * the header (with num_buffers) goes at the start of the first one. Used
 * entries are pushed only once the whole frame is placed, so a frame that
 * does not fit is given back without the guest seeing any of it.
 */
static enum rx_result rx_merge(struct vx_dev *dev, struct vx_vq *vq, const uint8_t *pkt,
			       uint32_t len)
{
	struct virtio_net_hdr_mrg_rxbuf hdr = { 0 };
	uint16_t heads[VX_RX_MAX_BUFS];
	uint32_t lens[VX_RX_MAX_BUFS], off = 0, n;
	struct vx_chain first, c;
	uint16_t nbufs = 0, i;
	int r;

	r = vx_vq_pop(vq, &first);
	if (r <= 0)
		return r < 0 ? RX_NOT_READY : RX_NO_BUFFER;
	/* 5.1.6.3.1: each buffer is at least as large as the header. */
	if (first.in_len < dev->hdr_len) {
		vx_vq_unpop(vq, 1);
		return RX_TOO_BIG;
	}
	n = first.in_len - dev->hdr_len < len ? first.in_len - dev->hdr_len : len;
	vx_chain_write(&first, dev->hdr_len, pkt, n);
	heads[0] = first.head;
	lens[0] = dev->hdr_len + n;
	off = n;
	nbufs = 1;
	while (off < len) {
		r = nbufs < VX_RX_MAX_BUFS ? vx_vq_pop(vq, &c) : -1;
		if (r <= 0 || !c.in_len) {
			vx_vq_unpop(vq, nbufs + (r > 0));
			if (r == 0)
				return RX_NO_BUFFER;
			return vx_vq_active(vq) ? RX_TOO_BIG : RX_NOT_READY;
		}
		n = c.in_len < len - off ? c.in_len : len - off;
		vx_chain_write(&c, 0, pkt + off, n);
		vx_vq_log_write(vq, &c, n);
		heads[nbufs] = c.head;
		lens[nbufs++] = n;
		off += n;
	}
	hdr.num_buffers = htole16(nbufs);
	vx_chain_write(&first, 0, &hdr, dev->hdr_len);
	vx_vq_log_write(vq, &first, lens[0]);
	for (i = 0; i < nbufs; i++)
		vx_vq_push(vq, heads[i], lens[i]);
	return RX_DELIVERED;
}

static enum rx_result rx_to_guest(struct vx_dev *dev, struct vx_vq *vq, const uint8_t *pkt,
				  uint32_t len)
{
	if (!vx_vq_active(vq))
		return RX_NOT_READY;
	return dev->mrg_rxbuf ? rx_merge(dev, vq, pkt, len) : rx_single(dev, vq, pkt, len);
}

/* Counts a final outcome; RX_NO_BUFFER is not final. */
static void rx_account(struct vx_port_stats *st, enum rx_result r, uint32_t len)
{
	switch (r) {
	case RX_DELIVERED:
		st->rx_packets++;
		st->rx_bytes += len;
		break;
	case RX_TOO_BIG:
		st->rx_drop_too_big++;
		break;
	case RX_NOT_READY:
		st->rx_drop_not_ready++;
		break;
	case RX_NO_BUFFER:
		st->rx_drop_no_buffer++;
		break;
	}
}

/* ---- shared RX pairs (worker.h): locked once per batch, never while waiting holding one ---- */

void vx_net_release(struct vx_worker *w)
{
	while (w->nheld) {
		w->nheld--;
		vx_vq_flush(w->held_vq[w->nheld]);
		pthread_mutex_unlock(&w->held[w->nheld]->lock);
	}
}

static void held_take(struct vx_worker *w, struct vx_rxq *rq, struct vx_vq *vq)
{
	unsigned int i;

	for (i = 0; i < w->nheld; i++)
		if (w->held[i] == rq)
			return;
	if (w->nheld == VX_HELD_MAX)
		vx_net_release(w);
	/* Blocking while holding one could deadlock against another worker: let go first. */
	if (pthread_mutex_trylock(&rq->lock)) {
		vx_net_release(w);
		pthread_mutex_lock(&rq->lock);
	}
	w->held[w->nheld] = rq;
	w->held_vq[w->nheld++] = vq;
}


static bool backlog_push(struct vx_rxq *rq, unsigned int q, uint64_t addr, uint16_t off,
			 uint32_t len)
{
	struct vx_backlog_ent *e;

	if (rq->bl_len == VX_RX_BACKLOG)
		return false;
	e = &rq->backlog[(rq->bl_head + rq->bl_len) % VX_RX_BACKLOG];
	e->addr = addr;
	e->off = off;
	e->len = len;
	e->xsk = (uint16_t)q;
	rq->bl_len++;
	return true;
}

/*
 * First try for a frame of dev's from NIC queue q (the worker's own queue
 * for local switching and broadcast): its route's RX pair, locked if other
 * workers write it too. RX_NO_BUFFER with *keep set: the frame may wait in
 * the pair's backlog (only the pair's owner keeps one: the frames there come
 * from its own sockets, which only it may free to, and frames queue behind
 * it so that their order is kept).
 */
static inline __attribute__((always_inline)) enum rx_result
rx_route(struct vx_worker *w, const struct vx_rx_route *rt, struct vx_dev *dev, const uint8_t *pkt,
	 uint32_t len, bool *keep)
{
	enum rx_result r = RX_NO_BUFFER;

	*keep = false;
	if (!rt->vq)
		return RX_NOT_READY;
	if (rt->shared)
		held_take(w, rt->rq, rt->vq);
	if (!rt->own || !rt->rq->bl_len)
		r = rx_to_guest(dev, rt->vq, pkt, len);
	*keep = r == RX_NO_BUFFER && rt->own && vx_vq_active(rt->vq);
	return r;
}

/* A frame the caller owns (from socket q's UMEM): into the guest, the backlog, or freed. */
static void port_rx_frame(struct vx_worker *w, struct vx_dev *dev, unsigned int q, uint64_t addr,
			  uint16_t off, uint32_t len)
{
	const struct vx_rx_route *rt = &dev->route[q];
	struct vx_xsk *x = w->nic->xsk[q];
	enum rx_result r;
	bool keep;

	r = rx_route(w, rt, dev, (uint8_t *)vx_xsk_data(x, addr) + off, len, &keep);
	if (keep && backlog_push(rt->rq, q, addr, off, len))
		return;
	rx_account(rt->st, r, len);
	vx_xsk_frame_free(x, addr);
}

/* A frame the caller keeps (broadcast, local switching): copied if it must wait. */
static void port_rx_copy(struct vx_worker *w, struct vx_dev *dev, const uint8_t *pkt, uint32_t len)
{
	const struct vx_rx_route *rt = &dev->route[w->idx];
	struct vx_xsk *x = w->nic->xsk[w->idx];
	enum rx_result r;
	uint64_t addr;
	bool keep;

	r = rx_route(w, rt, dev, pkt, len, &keep);
	if (keep && x && len <= vx_xsk_frame_size(x) && vx_xsk_frame_alloc(x, &addr)) {
		memcpy(vx_xsk_data(x, addr), pkt, len);
		if (backlog_push(rt->rq, w->idx, addr, 0, len))
			return;
		vx_xsk_frame_free(x, addr);
	}
	rx_account(rt->st, r, len);
}

void vx_net_backlog_drain(struct vx_worker *w, struct vx_dev *dev, unsigned int p)
{
	struct vx_rxq *rq = &dev->rxq[p];
	struct vx_vq *vq = &dev->vq[VX_RXQ(p)];

	if (rq->shared)
		held_take(w, rq, vq);
	while (rq->bl_len) {
		struct vx_backlog_ent *e = &rq->backlog[rq->bl_head];
		struct vx_xsk *x = w->nic->xsk[e->xsk];
		enum rx_result r;

		r = rx_to_guest(dev, vq, (uint8_t *)vx_xsk_data(x, e->addr) + e->off, e->len);
		if (r == RX_NO_BUFFER)
			break;
		rx_account(PST(w, dev), r, e->len);
		vx_xsk_frame_free(x, e->addr);
		rq->bl_head = (rq->bl_head + 1) % VX_RX_BACKLOG;
		rq->bl_len--;
	}
	vx_vq_flush(vq);
}

void vx_net_backlog_drop(struct vx_nic *nic, struct vx_dev *dev)
{
	unsigned int p;

	for (p = 0; p < VX_DEV_MAX_QP; p++) {
		struct vx_rxq *rq = &dev->rxq[p];

		while (rq->bl_len) {
			struct vx_backlog_ent *e = &rq->backlog[rq->bl_head];

			dev->stats[p % nic->nw].rx_drop_not_ready++;
			vx_xsk_frame_free(nic->xsk[e->xsk], e->addr);
			rq->bl_head = (rq->bl_head + 1) % VX_RX_BACKLOG;
			rq->bl_len--;
		}
		rq->bl_head = 0;
	}
}

/* Broadcast/multicast from a port: every other port on its VLAN gets a copy. */
static void flood_local(struct vx_worker *w, struct vx_dev *from, const uint8_t *pkt,
			uint32_t len)
{
	struct vx_nic *nic = w->nic;
	unsigned int i;

	for (i = 0; i < nic->nports; i++) {
		struct vx_dev *d = nic->ports[i];

		if (d != from && d->vlan == (from ? from->vlan : d->vlan))
			port_rx_copy(w, d, pkt, len);
	}
}

/* What one vx_net_tx call works with, looked up once per call rather than per packet. */
struct tx_ctx {
	struct vx_worker *w;
	struct vx_nic *nic;
	struct vx_xsk *x;	/* the worker's own socket: frames come from its pool */
	struct vx_dev *dev;
	struct vx_port_stats *st;	/* the port's counters of this worker */
};

/* Sends pkt (inside the frame at addr) to the wire, tagging it for a VLAN port. */
static void tx_wire(const struct tx_ctx *t, uint64_t addr, uint8_t *pkt, uint32_t len)
{
	struct vx_xsk *x = t->x;
	struct vx_dev *dev = t->dev;
	uint8_t *frame = vx_xsk_data(x, addr);
	uint32_t off = VX_TX_PAD;

	if (!t->nic->link_up) {
		t->st->tx_drop_link_down++;
		vx_xsk_frame_free(x, addr);
		return;
	}
	if (dev->vlan) {
		uint16_t tag[2] = { htobe16(ETH_P_8021Q), htobe16(dev->vlan) };

		memmove(frame, pkt, 2 * ETH_ALEN);
		memcpy(frame + 2 * ETH_ALEN, tag, sizeof(tag));
		off = 0;
		len += VLAN_HLEN;
	}
	if (!vx_xsk_tx(x, addr + off, len)) {
		vx_xsk_tx_flush(x);
		vx_xsk_complete(x);
		if (!vx_xsk_tx(x, addr + off, len)) {
			t->w->stats.tx_drop_no_frame++;
			vx_xsk_frame_free(x, addr);
			return;
		}
	}
	t->w->stats.tx_frames++;
}

/* One guest TX chain; the chain is read exactly once, into the frame. */
static void tx_one(const struct tx_ctx *t, const struct vx_chain *c, uint64_t addr)
{
	struct vx_nic *nic = t->nic;
	struct vx_dev *dev = t->dev;
	struct vx_port_stats *st = t->st;
	struct vx_xsk *x = t->x;
	uint8_t *pkt = (uint8_t *)vx_xsk_data(x, addr) + VX_TX_PAD;
	uint32_t room = vx_xsk_frame_size(x) - VX_TX_PAD;
	uint32_t len, max = nic->mtu + ETH_HLEN;
	struct vx_dev *to;

	if (c->out_len < dev->hdr_len + ETH_HLEN) {
		st->tx_drop_runt++;
		goto drop;
	}
	len = c->out_len - dev->hdr_len;
	if (len > room || len > max) {
		st->tx_drop_too_big++;
		goto drop;
	}
	/* The virtio-net header is skipped: no offload was negotiated, so its flags are ignored. */
	vx_chain_read(c, dev->hdr_len, pkt, len);
	if (memcmp(pkt + ETH_ALEN, dev->mac, ETH_ALEN)) {
		st->tx_drop_spoofed++;
		goto drop;
	}
	st->tx_packets++;
	st->tx_bytes += len;
	if (mac_is_multicast(pkt)) {
		flood_local(t->w, dev, pkt, len);
	} else if ((to = port_by_mac(nic, pkt, dev->vlan))) {
		st->local_switched++;
		port_rx_copy(t->w, to, pkt, len);
		goto drop;
	}
	tx_wire(t, addr, pkt, len);
	return;
drop:
	vx_xsk_frame_free(x, addr);
}

/*
 * Dedicated queue: the frame goes out from guest memory. Its Ethernet header
 * is copied into our frame at addr first and checked there, so what the
 * wire gets is what we checked (dq.h). Returns false if the chain must take
 * the copy path instead; true if it was sent or dropped (the chain is then
 * given back on completion, or at once).
 */
static bool tx_in_place(struct vx_worker *w, struct vx_dev *dev, const struct vx_chain *c,
			uint64_t addr)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = nic->xsk[0];
	struct vx_dq_ent e = { .head = c->head };
	uint8_t *eth = vx_xsk_data(x, addr);
	uint32_t len;

	if (!nic->dq_on || !nic->dq->zc_tx || nic->dq->tx.n == VX_DQ_INFLIGHT || dev->vlan ||
	    vx_dq_tx_frame(nic->dq, c, dev->hdr_len, &e.addr, &len) || len <= ETH_HLEN ||
	    len > nic->mtu + ETH_HLEN || !nic->link_up)
		return false;
	memcpy(eth, nic->dq->area + e.addr, ETH_HLEN);
	if (memcmp(eth + ETH_ALEN, dev->mac, ETH_ALEN) || mac_is_multicast(eth))
		return false;	/* the copy path counts and drops, or floods */
	if (!vx_xsk_tx2(x, addr, ETH_HLEN, e.addr + ETH_HLEN, len - ETH_HLEN)) {
		vx_xsk_tx_flush(x);
		if (!vx_xsk_tx2(x, addr, ETH_HLEN, e.addr + ETH_HLEN, len - ETH_HLEN))
			return false;
	}
	e.addr += ETH_HLEN;
	vx_dq_fifo_push(&nic->dq->tx, &e);
	PST(w, dev)->tx_packets++;
	PST(w, dev)->tx_bytes += len;
	PST(w, dev)->tx_in_place++;
	w->stats.tx_frames++;
	return true;
}

bool vx_net_tx(struct vx_worker *w, struct vx_dev *dev, unsigned int pair)
{
	struct vx_vq *vq = &dev->vq[VX_TXQ(pair)];
	struct vx_xsk *x = w->nic->xsk[w->idx];
	const struct tx_ctx t = { .w = w, .nic = w->nic, .x = x, .dev = dev, .st = PST(w, dev) };
	uint32_t pkts = 0, bytes = 0;
	struct vx_chain c;
	uint64_t addr;

	if (!vx_vq_active(vq) || !x)
		return false;
	while (pkts < VX_TX_PKT_WEIGHT && bytes < VX_TX_BYTE_WEIGHT) {
		if (!vx_xsk_frame_alloc(x, &addr)) {
			vx_xsk_tx_flush(x);
			vx_xsk_complete(x);
			if (!vx_xsk_frame_alloc(x, &addr))
				break;	/* the chain stays in the ring until frames return */
		}
		if (vx_vq_pop(vq, &c) <= 0) {
			vx_xsk_frame_free(x, addr);
			break;
		}
		w->work++;
		if (tx_in_place(w, dev, &c, addr)) {
			pkts++;
			bytes += c.out_len;
			continue;
		}
		tx_one(&t, &c, addr);
		vx_vq_push(vq, c.head, 0);
		pkts++;
		bytes += c.out_len;
	}
	vx_vq_flush(vq);
	vx_net_release(w);	/* frames switched to other ports */
	return pkts >= VX_TX_PKT_WEIGHT || bytes >= VX_TX_BYTE_WEIGHT;
}

/*
 * Dedicated queue: the kernel wrote the frame into the guest buffer lent at
 * d->base; add the virtio-net header in front of it and give it back.
 */
static void rx_in_place(struct vx_worker *w, struct vx_dev *dev, const struct vx_xsk_desc *d)
{
	struct vx_nic *nic = w->nic;
	struct vx_port_stats *st = PST(w, dev);
	struct virtio_net_hdr_mrg_rxbuf hdr = { .num_buffers = htole16(1) };
	struct vx_vq *vq = &dev->vq[VX_RX_VQ];
	struct vx_dq_ent e;

	if (!vx_dq_fifo_take(&nic->dq->rx, d->base, &e)) {
		w->stats.rx_no_port++;	/* not a buffer we lent: cannot happen */
		return;
	}
	/* Where we assumed the kernel would put it (dq.h); else hand the buffer back empty. */
	if (d->addr != e.addr + XDP_PACKET_HEADROOM || d->len > nic->dq->max_len) {
		st->rx_buf_refused++;
		vx_vq_push(vq, e.head, 0);
		return;
	}
	memcpy(nic->dq->area + d->addr - dev->hdr_len, &hdr, dev->hdr_len);
	if (vq->log)
		vx_dirty_log_mark(vq->log, e.gpa, dev->hdr_len + d->len);
	vx_vq_push(vq, e.head, dev->hdr_len + d->len);
	st->rx_packets++;
	st->rx_bytes += d->len;
	st->rx_in_place++;
}

/* A frame from socket q: strip the VLAN tag, find the port, deliver. */
static void rx_frame(struct vx_worker *w, unsigned int q, const struct vx_xsk_desc *d)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = nic->xsk[q];
	uint8_t *pkt;
	uint32_t len = d->len;
	uint16_t vlan = 0, off = 0;
	struct vx_dev *dev;

	w->stats.rx_frames++;
	if (nic->dq_on) {
		if (d->base >= vx_xsk_pool_end(x)) {
			rx_in_place(w, nic->ports[0], d);
			return;
		}
		/* One of the spares (dq.h): the ordinary path copies it. */
		if (nic->dq->spare_lent)
			nic->dq->spare_lent--;
	}
	pkt = vx_xsk_data(x, d->addr);
	if (len >= ETH_HLEN + VLAN_HLEN && pkt[12] == 0x81 && pkt[13] == 0x00) {
		vlan = ((pkt[14] << 8) | pkt[15]) & 0xfff;
		memmove(pkt + VLAN_HLEN, pkt, 2 * ETH_ALEN);
		off = VLAN_HLEN;
		len -= VLAN_HLEN;
	}
	dev = len >= ETH_HLEN ? port_by_mac(nic, pkt + off, vlan) : NULL;
	if (!dev) {
		w->stats.rx_no_port++;
		vx_xsk_frame_free(x, d->addr);
		return;
	}
	port_rx_frame(w, dev, q, d->addr, off, len);
}

bool vx_net_rx_xsk(struct vx_worker *w, unsigned int q)
{
	struct vx_xsk *x = w->nic->xsk[q];
	struct vx_xsk_desc descs[VX_BATCH];
	unsigned int b, i, n;

	if (!x)
		return false;
	for (b = 0; b < VX_RX_BATCHES; b++) {
		n = vx_xsk_rx(x, descs, VX_BATCH);
		w->work += n;
		for (i = 0; i < n; i++)
			rx_frame(w, q, &descs[i]);
		vx_net_release(w);
		if (n < VX_BATCH)
			return false;
	}
	return true;
}

bool vx_net_rx_bcast(struct vx_worker *w)
{
	struct vx_nic *nic = w->nic;
	static uint8_t buf[9216];
	unsigned int i;
	uint16_t vlan;
	int len;

	/* Only after epoll said so: a recvmsg per pass would be a syscall per wake-up. */
	if (!nic->bcast || !w->bcast_ready)
		return false;
	for (i = 0; i < VX_BCAST_WEIGHT; i++) {
		struct vx_dev *src;
		unsigned int p;

		len = vx_bcast_recv(nic->bcast, buf, sizeof(buf), &vlan);
		if (len < ETH_HLEN) {
			w->bcast_ready = false;
			vx_net_release(w);
			return false;
		}
		w->stats.bcast_frames++;
		src = port_by_mac(nic, buf + ETH_ALEN, vlan);
		for (p = 0; p < nic->nports; p++) {
			struct vx_dev *d = nic->ports[p];

			if (d != src && d->vlan == vlan)
				port_rx_copy(w, d, buf, (uint32_t)len);
		}
	}
	vx_net_release(w);
	return true;
}

void vx_net_dq_post(struct vx_worker *w, struct vx_dev *dev)
{
	struct vx_nic *nic = w->nic;
	struct vx_dq *dq = nic->dq;
	struct vx_vq *vq = &dev->vq[VX_RX_VQ];
	uint64_t addrs[VX_DQ_POST_BATCH];
	struct vx_dq_ent e;
	uint32_t n = 0, room;
	struct vx_chain c;
	bool copying;

	if (!nic->dq_on || !vx_vq_active(vq))
		return;
	/* While spares are out or frames wait in the backlog, new buffers are for those (dq.h). */
	copying = dq->spare_lent || dev->rxq[0].bl_len;
	room = copying ? 0 : vx_xsk_fill_room(nic->xsk[0]);
	while (n < room && n < VX_DQ_POST_BATCH && vx_vq_pop(vq, &c) > 0) {
		e.head = c.head;
		if (vx_dq_rx_fill_addr(dq, &c, dev->hdr_len, &e.addr, &e.gpa) ||
		    !vx_dq_fifo_push(&dq->rx, &e)) {
			PST(w, dev)->rx_buf_refused++;
			vx_vq_push(vq, c.head, 0);
			continue;
		}
		addrs[n++] = e.addr;
	}
	/* Cannot take fewer: n is within the ring's room. */
	if (n)
		vx_xsk_fill(nic->xsk[0], addrs, n);
	w->work += n;
	/* The kernel is about to run out of guest buffers: lend it spares, behind them. */
	dq->rx_posted |= n > 0;
	if (dq->rx_posted && !copying && dq->rx.n < VX_DQ_SPARE_LOW)
		dq->spare_lent = vx_xsk_fill_spare(nic->xsk[0], VX_DQ_SPARE);
}

void vx_net_dq_tx_done(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_vq *vq = &dev->vq[VX_TX_VQ];
	uint64_t addrs[VX_BATCH];
	struct vx_dq_ent e;
	uint32_t n, i;

	if (!nic->dq_on)
		return;
	while ((n = vx_xsk_foreign_done(nic->xsk[0], addrs, VX_BATCH))) {
		for (i = 0; i < n; i++)
			if (vx_dq_fifo_take(&nic->dq->tx, addrs[i], &e))
				vx_vq_push(vq, e.head, 0);
	}
	vx_vq_flush(vq);
}

void vx_net_dq_return(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_vq *rx = &dev->vq[VX_RX_VQ], *tx = &dev->vq[VX_TX_VQ];
	struct vx_dq_ent e;

	while (vx_dq_fifo_pop(&nic->dq->rx, &e))
		if (rx->ready)
			vx_vq_push(rx, e.head, 0);
	while (vx_dq_fifo_pop(&nic->dq->tx, &e))
		if (tx->ready)
			vx_vq_push(tx, e.head, 0);
	if (rx->ready)
		vx_vq_flush(rx);
	if (tx->ready)
		vx_vq_flush(tx);
}

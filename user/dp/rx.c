// SPDX-License-Identifier: GPL-2.0
/*
 * Frames towards the guests: from the NIC's AF_XDP sockets, from the
 * broadcast tap, and from other ports (local switching). Each frame goes
 * through its port's RX route (worker.h): the pair's ring, locked if other
 * workers write it too, or the pair's backlog while the guest has no
 * buffer.
 */
#include <endian.h>
#include <linux/virtio_net.h>

#include <netinet/in.h>

#include "dp/dp.h"
#include "offload/gro.h"

/* Counts a final outcome; VX_RX_NO_BUFFER is not final. */
void vx_dp_rx_account(struct vx_port_stats *st, enum vx_rx_result r, uint32_t len)
{
	switch (r) {
	case VX_RX_DELIVERED:
		st->rx_packets++;
		st->rx_bytes += len;
		break;
	case VX_RX_TOO_BIG:
		st->rx_drop_too_big++;
		break;
	case VX_RX_NOT_READY:
		st->rx_drop_not_ready++;
		break;
	case VX_RX_NO_BUFFER:
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


_Static_assert(VX_MAX_QUEUES <= 256, "vx_backlog_ent.xsk is 8 bits");

/* One entry at the backlog's tail; the caller checked the room. */
static void backlog_put(struct vx_rxq *rq, unsigned int q, uint64_t addr, uint16_t off,
			uint32_t len, unsigned int more)
{
	struct vx_backlog_ent *e = &rq->backlog[(rq->bl_head + rq->bl_len) % VX_RX_BACKLOG_ENTS];

	e->addr = addr;
	e->off = off;
	e->len = len;
	e->xsk = (uint8_t)q;
	e->more = (uint8_t)more;
	rq->bl_len++;
}

static bool backlog_push(struct vx_rxq *rq, unsigned int q, uint64_t addr, uint16_t off,
			 uint32_t len)
{
	if (rq->bl_frames == VX_RX_BACKLOG || rq->bl_len == VX_RX_BACKLOG_ENTS)
		return false;
	backlog_put(rq, q, addr, off, len, 0);
	rq->bl_frames++;
	return true;
}

/* A frame of n pieces (n <= VX_RX_MAX_PIECES) into the backlog, whole or not at all. */
static bool backlog_push_n(struct vx_rxq *rq, unsigned int q, const uint64_t *addr,
			   const struct vx_iov *iov, uint16_t off, unsigned int n)
{
	unsigned int i;

	if (rq->bl_frames == VX_RX_BACKLOG || VX_RX_BACKLOG_ENTS - rq->bl_len < n)
		return false;
	for (i = 0; i < n; i++)
		backlog_put(rq, q, addr[i], i ? 0 : off, iov[i].len, i ? 0 : n - 1);
	rq->bl_frames++;
	return true;
}

/*
 * First try for a frame of dev's from NIC queue q (the worker's own queue
 * for local switching and broadcast): its route's RX pair, locked if other
 * workers write it too. VX_RX_NO_BUFFER with *keep set: the frame may wait in
 * the pair's backlog (only the pair's owner keeps one: the frames there come
 * from its own sockets, which only it may free to, and frames queue behind
 * it so that their order is kept).
 */
static inline __attribute__((always_inline)) enum vx_rx_result
rx_route(struct vx_worker *w, const struct vx_rx_route *rt, struct vx_dev *dev,
	 const struct vx_vnet_hdr *vh, const struct vx_iov *iov, unsigned int niov, uint32_t len,
	 bool *keep)
{
	enum vx_rx_result r = VX_RX_NO_BUFFER;

	*keep = false;
	if (!rt->vq)
		return VX_RX_NOT_READY;
	if (rt->shared)
		held_take(w, rt->rq, rt->vq);
	if (!rt->own || !rt->rq->bl_len)
		r = vx_rx_write(rt->vq, &dev->rxfmt, vh, iov, niov, len);
	*keep = r == VX_RX_NO_BUFFER && rt->own && vx_vq_active(rt->vq);
	return r;
}

/*
 * A frame the caller owns (from socket q's UMEM): into the guest, the
 * backlog, or freed. vh: the virtio-net header to give it (NULL: zero).
 */
static inline __attribute__((always_inline)) void port_rx_frame(struct vx_worker *w, struct vx_dev *dev, unsigned int q, uint64_t addr,
			  uint16_t off, uint32_t len, const struct vx_vnet_hdr *vh)
{
	const struct vx_rx_route *rt = &dev->route[q];
	struct vx_xsk *x = w->nic->xsk[q];
	struct vx_iov v = { (uint8_t *)vx_xsk_data(x, addr) + off, len };
	enum vx_rx_result r;
	bool keep;

	r = rx_route(w, rt, dev, vh, &v, 1, len, &keep);
	if (keep && backlog_push(rt->rq, q, addr, off, len))
		return;
	vx_dp_rx_account(rt->st, r, len);
	vx_xsk_frame_free(x, addr);
}

/*
 * A frame the caller keeps, copied into frames of the worker's socket to
 * wait in the backlog: several pieces if it is longer than one.
 */
static bool backlog_push_copy(struct vx_worker *w, struct vx_rxq *rq, const uint8_t *pkt,
			      uint32_t len)
{
	struct vx_xsk *x = w->nic->xsk[w->idx];
	uint64_t addr[VX_RX_MAX_PIECES];
	struct vx_iov iov[VX_RX_MAX_PIECES] = { 0 };
	uint32_t fs, n, i, done = 0;

	if (!x)
		return false;
	fs = vx_xsk_frame_size(x);
	n = (len + fs - 1) / fs;
	if (n > VX_RX_MAX_PIECES || vx_xsk_pool_free(x) < n)
		return false;
	for (i = 0; i < n; i++) {
		vx_xsk_frame_alloc(x, &addr[i]);
		iov[i].len = len - done < fs ? len - done : fs;
		memcpy(vx_xsk_data(x, addr[i]), pkt + done, iov[i].len);
		done += iov[i].len;
	}
	if (backlog_push_n(rq, w->idx, addr, iov, 0, n))
		return true;
	for (i = 0; i < n; i++)
		vx_xsk_frame_free(x, addr[i]);
	return false;
}

void vx_dp_port_rx_copy(struct vx_worker *w, struct vx_dev *dev, const uint8_t *pkt, uint32_t len)
{
	const struct vx_rx_route *rt = &dev->route[w->idx];
	struct vx_iov v = { pkt, len };
	enum vx_rx_result r;
	bool keep;

	r = rx_route(w, rt, dev, NULL, &v, 1, len, &keep);
	if (keep && backlog_push_copy(w, rt->rq, pkt, len))
		return;
	vx_dp_rx_account(rt->st, r, len);
}

void vx_dp_port_rx_gso(struct vx_worker *w, struct vx_dev *dev, const struct vx_vnet_hdr *vh,
		       const uint8_t *pkt, uint32_t len)
{
	const struct vx_rx_route *rt = &dev->route[w->idx];
	struct vx_iov v = { pkt, len };
	bool keep;

	/* Too large for a UMEM frame: no backlog; the sender's TCP sends it again. */
	vx_dp_rx_account(rt->st, rx_route(w, rt, dev, vh, &v, 1, len, &keep), len);
}

/*
 * ---- offloads towards a guest (virtio 1.2 5.1.6.4) ----
 * With GUEST_CSUM each frame's L4 checksum is verified here (DATA_VALID).
 * With GUEST_TSO4/6 consecutive in-order segments of one TCP flow in one
 * RX batch become one packet (user/offload/gro.h): the worker keeps one
 * train, of one port and one socket, flushed at the end of every batch and
 * before any other frame of that port, so that order is kept. Its frames
 * stay in the UMEM until the flush; one the guest has no room for goes to
 * the backlog frame by frame, uncoalesced.
 */
void vx_dp_gro_flush(struct vx_worker *w)
{
	struct vx_gro *g = &w->gro;
	struct vx_dev *dev = w->gro_dev;
	const struct vx_rx_route *rt;
	struct vx_iov iov[VX_GRO_MAX_SEGS + 1];
	struct vx_vnet_hdr vh;
	unsigned int i, n = g->n;
	enum vx_rx_result r;
	uint32_t len, bytes = 0;
	struct vx_xsk *x;
	bool keep;

	if (!n)
		return;
	rt = &dev->route[w->gro_q];
	x = w->nic->xsk[w->gro_q];
	vx_gro_finish(g, &vh);
	iov[0] = (struct vx_iov){ g->hdr, g->h.hdr_len };
	len = g->h.hdr_len;
	for (i = 0; i < n; i++) {
		iov[i + 1] = (struct vx_iov){ g->piece[i].data, g->piece[i].len };
		len += g->piece[i].len;
	}
	r = rx_route(w, rt, dev, &vh, iov, n + 1, len, &keep);
	for (i = 0; i < n; i++) {
		const struct vx_gro_frame *f = &w->gro_fr[i];

		bytes += f->len;
		if (keep && backlog_push(rt->rq, w->gro_q, f->addr, f->off, f->len))
			continue;
		if (r != VX_RX_DELIVERED)
			vx_dp_rx_account(rt->st, r, f->len);
		vx_xsk_frame_free(x, f->addr);
	}
	if (r == VX_RX_DELIVERED) {
		rt->st->rx_packets += n;
		rt->st->rx_bytes += bytes;
		if (n > 1) {
			rt->st->rx_gro++;
			rt->st->rx_gro_segs += n;
		}
	}
	vx_gro_init(g);
	w->gro_dev = NULL;
}

/* A frame from socket q for a port that negotiated GUEST_CSUM. */
static void port_rx_offload(struct vx_worker *w, struct vx_dev *dev, unsigned int q, uint64_t addr,
			    uint16_t off, uint32_t len)
{
	const struct vx_rx_route *rt = &dev->route[q];
	uint8_t *pkt = (uint8_t *)vx_xsk_data(w->nic->xsk[q], addr) + off;
	enum vx_csum_state cs = VX_CSUM_NONE;
	struct vx_vnet_hdr vh = { 0 };
	struct vx_pkt_hdrs h;
	enum vx_gro_res res;
	unsigned int idx;
	bool gro;

	if (!vx_pkt_parse(pkt, len < VX_PKT_HDR_MAX ? len : VX_PKT_HDR_MAX, len, &h))
		cs = vx_pkt_csum_verify(pkt, len, &h);
	if (cs == VX_CSUM_GOOD)
		rt->st->rx_csum_good++;
	else if (cs == VX_CSUM_BAD)
		rt->st->rx_csum_bad++;
	gro = cs == VX_CSUM_GOOD && h.l4_proto == IPPROTO_TCP &&
	      (h.l3_proto == ETH_P_IP ? dev->offl.rx_tso4 : dev->offl.rx_tso6) && rt->vq &&
	      rt->own && !rt->rq->bl_len;
	if (w->gro.n && (w->gro_dev != dev || w->gro_q != q || !gro))
		vx_dp_gro_flush(w);
	if (gro) {
		idx = w->gro.n;
		res = vx_gro_add(&w->gro, pkt, len, idx);
		if (res == VX_GRO_FLUSH) {
			vx_dp_gro_flush(w);
			idx = 0;
			res = vx_gro_add(&w->gro, pkt, len, idx);
		}
		if (res == VX_GRO_HELD) {
			w->gro_fr[idx] = (struct vx_gro_frame){ addr, len, off };
			w->gro_dev = dev;
			w->gro_q = (uint16_t)q;
			return;
		}
	}
	if (cs == VX_CSUM_GOOD)
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	port_rx_frame(w, dev, q, addr, off, len, &vh);
}

/* Backlog entry e and the e->more that follow it: one frame of several pieces. */
static enum vx_rx_result backlog_write_n(struct vx_worker *w, struct vx_dev *dev,
					 struct vx_vq *vq, const struct vx_rxq *rq,
					 const struct vx_backlog_ent *e, uint32_t *len)
{
	struct vx_xsk *x = w->nic->xsk[e->xsk];
	struct vx_iov iov[VX_RX_MAX_PIECES];
	unsigned int i;

	*len = 0;
	for (i = 0; i <= e->more; i++) {
		const struct vx_backlog_ent *p =
			&rq->backlog[(rq->bl_head + i) % VX_RX_BACKLOG_ENTS];

		iov[i] = (struct vx_iov){ (uint8_t *)vx_xsk_data(x, p->addr) + p->off, p->len };
		*len += p->len;
	}
	return vx_rx_write(vq, &dev->rxfmt, NULL, iov, i, *len);
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
		unsigned int i, n = 1 + e->more;
		enum vx_rx_result r;
		uint32_t len = e->len;

		if (n == 1)
			r = vx_rx_write_plain(vq, &dev->rxfmt,
					      (uint8_t *)vx_xsk_data(x, e->addr) + e->off, e->len);
		else
			r = backlog_write_n(w, dev, vq, rq, e, &len);
		if (r == VX_RX_NO_BUFFER)
			break;
		vx_dp_rx_account(PST(w, dev), r, len);
		for (i = 0; i < n; i++) {
			vx_xsk_frame_free(x, rq->backlog[rq->bl_head].addr);
			rq->bl_head = (rq->bl_head + 1) % VX_RX_BACKLOG_ENTS;
			rq->bl_len--;
		}
		rq->bl_frames--;
	}
	vx_vq_flush(vq);
}

void vx_net_backlog_drop(struct vx_nic *nic, struct vx_dev *dev)
{
	unsigned int p;

	for (p = 0; p < VX_DEV_MAX_QP; p++) {
		struct vx_rxq *rq = &dev->rxq[p];

		if (!rq->backlog)
			continue;
		unsigned int rest = 0;	/* further pieces of a frame already counted */

		while (rq->bl_len) {
			struct vx_backlog_ent *e = &rq->backlog[rq->bl_head];

			if (rest) {
				rest--;
			} else {
				dev->stats[p % nic->nw].rx_drop_not_ready++;
				rest = e->more;
			}
			vx_xsk_frame_free(nic->xsk[e->xsk], e->addr);
			rq->bl_head = (rq->bl_head + 1) % VX_RX_BACKLOG_ENTS;
			rq->bl_len--;
		}
		rq->bl_head = 0;
		rq->bl_frames = 0;
	}
}

void vx_dp_flood_local(struct vx_worker *w, struct vx_dev *from, const uint8_t *pkt,
			uint32_t len)
{
	struct vx_nic *nic = w->nic;
	unsigned int i;

	for (i = 0; i < nic->nact; i++) {
		struct vx_dev *d = nic->act[i];

		if (d != from && !d->standby && d->vlan == (from ? from->vlan : d->vlan))
			vx_dp_port_rx_copy(w, d, pkt, len);
	}
}

/* A frame from socket q: strip the VLAN tag, find the port, deliver. */
static inline __attribute__((always_inline)) void rx_frame(struct vx_worker *w, unsigned int q,
							   const struct vx_xsk_desc *d)
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
			vx_dp_rx_in_place(w, nic->ports[0], d);
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
	if (dev->offl.rx_csum)
		port_rx_offload(w, dev, q, d->addr, off, len);
	else
		port_rx_frame(w, dev, q, d->addr, off, len, NULL);
}

/*
 * A frame of n pieces from socket q (XDP_USE_SG), the headers in the first
 * (it is a whole UMEM frame). Delivered as a gather list with a zero
 * virtio-net header: no checksum verification or GRO, which want a flat
 * frame (the guest verifies the checksum itself). While the guest has no
 * buffer it waits in the backlog, piece by piece.
 */
static __attribute__((noinline, cold)) void
rx_frame_mb(struct vx_worker *w, unsigned int q, const struct vx_xsk_desc *d, unsigned int n)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = nic->xsk[q];
	struct vx_iov iov[VX_RX_MAX_PIECES];
	uint64_t addr[VX_RX_MAX_PIECES];
	const struct vx_rx_route *rt;
	uint8_t *pkt = vx_xsk_data(x, d[0].addr);
	uint32_t len = 0;
	uint16_t vlan = 0, off = 0;
	struct vx_dev *dev = NULL;
	enum vx_rx_result r;
	unsigned int i;
	bool keep;

	w->stats.rx_frames++;
	w->stats.rx_multibuf++;
	if (nic->dq_on) {
		vx_dp_rx_in_place_drop(w, nic->ports[0], d, n);
		return;
	}
	if (n > VX_RX_MAX_PIECES) {
		w->stats.rx_drop_pieces++;
		goto drop;
	}
	if (d[0].len >= ETH_HLEN + VLAN_HLEN && pkt[12] == 0x81 && pkt[13] == 0x00) {
		vlan = ((pkt[14] << 8) | pkt[15]) & 0xfff;
		memmove(pkt + VLAN_HLEN, pkt, 2 * ETH_ALEN);
		off = VLAN_HLEN;
	}
	if (d[0].len >= (uint32_t)off + ETH_HLEN)
		dev = port_by_mac(nic, pkt + off, vlan);
	if (!dev) {
		w->stats.rx_no_port++;
		goto drop;
	}
	for (i = 0; i < n; i++) {
		iov[i] = (struct vx_iov){ (uint8_t *)vx_xsk_data(x, d[i].addr) + (i ? 0 : off),
					  d[i].len - (i ? 0 : off) };
		addr[i] = d[i].addr;
		len += iov[i].len;
	}
	vx_dp_gro_flush(w);	/* frames of a train in front of this one go first */
	rt = &dev->route[q];
	r = rx_route(w, rt, dev, NULL, iov, n, len, &keep);
	if (keep && backlog_push_n(rt->rq, q, addr, iov, off, n))
		return;
	vx_dp_rx_account(rt->st, r, len);
drop:
	for (i = 0; i < n; i++)
		vx_xsk_frame_free(x, d[i].addr);
}

/* A batch with frames of several pieces (vx_xsk_rx returns whole frames only). */
static __attribute__((noinline, cold)) void
rx_batch_mb(struct vx_worker *w, unsigned int q, const struct vx_xsk_desc *descs, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i = j + 1) {
		for (j = i; descs[j].contd; j++)
			;
		if (j == i)
			rx_frame(w, q, &descs[i]);
		else
			rx_frame_mb(w, q, &descs[i], j - i + 1);
	}
}

bool vx_net_rx_xsk(struct vx_worker *w, unsigned int q)
{
	struct vx_xsk *x = w->nic->xsk[q];
	struct vx_xsk_desc descs[VX_BATCH];
	unsigned int b, i, n;

	if (!x)
		return false;
	/* --napi-busy-poll: the NIC's receive work for this socket runs here, now. */
	if (w->polling)
		vx_xsk_busy_poll(x);
	for (b = 0; b < VX_RX_BATCHES; b++) {
		n = vx_xsk_rx(x, descs, VX_BATCH);
		w->work += n;
		/* Single-piece batches keep a loop of their own: 64-byte frames pay nothing. */
		if (__builtin_expect(vx_xsk_rx_multi(x), 0))
			rx_batch_mb(w, q, descs, n);
		else
			for (i = 0; i < n; i++)
				rx_frame(w, q, &descs[i]);
		vx_dp_gro_flush(w);
		vx_net_release(w);
		if (n < VX_BATCH)
			return false;
	}
	return true;
}

bool vx_net_rx_bcast(struct vx_worker *w)
{
	struct vx_nic *nic = w->nic;
	static uint8_t buf[VX_BCAST_FRAME_MAX];
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
		for (p = 0; p < nic->nact; p++) {
			struct vx_dev *d = nic->act[p];

			if (d != src && !d->standby && d->vlan == vlan)
				vx_dp_port_rx_copy(w, d, buf, (uint32_t)len);
		}
	}
	vx_net_release(w);
	return true;
}


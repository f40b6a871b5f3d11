// SPDX-License-Identifier: GPL-2.0
/*
 * The dedicated queue's hooks into the data path (user/dq.h): guest RX
 * buffers lent to the fill ring and given back with a header, guest TX
 * frames sent from guest memory and given back on completion.
 */
#include <endian.h>
#include <linux/virtio_net.h>

#include "dp/dp.h"

#ifndef XDP_PACKET_HEADROOM
#define XDP_PACKET_HEADROOM 256	/* include/uapi/linux/bpf.h */
#endif

/*
 * Dedicated queue: the frame goes out from guest memory. Its Ethernet header
 * is copied into our frame at addr first and checked there, so what the
 * wire gets is what we checked (dq.h). Returns false if the chain must take
 * the copy path instead; true if it was sent or dropped (the chain is then
 * given back on completion, or at once).
 */
bool vx_dp_tx_in_place(struct vx_worker *w, struct vx_dev *dev, const struct vx_chain *c,
			uint64_t addr)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = nic->xsk[0];
	struct vx_dq_ent e = { .head = c->head };
	uint8_t *eth = vx_xsk_data(x, addr);
	struct vx_vnet_hdr vh = { 0 };
	uint32_t len;

	/* A checksum or TSO request needs the copy path (tx.c) to be carried out. */
	if (dev->offl.tx_csum && vx_tx_read_hdr(c, dev->rxfmt.hdr_len, &vh) &&
	    (vh.flags || vh.gso_type))
		return false;
	if (!nic->dq->zc_tx || nic->dq->tx.n == VX_DQ_INFLIGHT || dev->vlan ||
	    vx_dq_tx_frame(nic->dq, c, dev->rxfmt.hdr_len, &e.addr, &len) || len <= ETH_HLEN ||
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

/*
 * Dedicated queue: the kernel wrote the frame into the guest buffer lent at
 * d->base; add the virtio-net header in front of it and give it back.
 */
void vx_dp_rx_in_place(struct vx_worker *w, struct vx_dev *dev, const struct vx_xsk_desc *d)
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
	memcpy(nic->dq->area + d->addr - dev->rxfmt.hdr_len, &hdr, dev->rxfmt.hdr_len);
	if (vq->log)
		vx_dirty_log_mark(vq->log, e.gpa, dev->rxfmt.hdr_len + d->len);
	vx_vq_push(vq, e.head, dev->rxfmt.hdr_len + d->len);
	st->rx_packets++;
	st->rx_bytes += d->len;
	st->rx_in_place++;
}

/*
 * A frame the kernel spread over several buffers (XDP_USE_SG with a frame
 * longer than one): the steering program's max_len keeps such frames away
 * from guest buffers, so this is a spare frame's case or a race with an MTU
 * change. Every guest buffer goes back empty, every spare to the pool.
 */
void vx_dp_rx_in_place_drop(struct vx_worker *w, struct vx_dev *dev, const struct vx_xsk_desc *d,
			    unsigned int n)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = nic->xsk[0];
	struct vx_vq *vq = &dev->vq[VX_RX_VQ];
	struct vx_dq_ent e;
	unsigned int i;

	w->stats.rx_drop_pieces++;
	for (i = 0; i < n; i++) {
		if (d[i].base < vx_xsk_pool_end(x)) {
			if (nic->dq->spare_lent)
				nic->dq->spare_lent--;
			vx_xsk_frame_free(x, d[i].base);
		} else if (vx_dq_fifo_take(&nic->dq->rx, d[i].base, &e)) {
			PST(w, dev)->rx_buf_refused++;
			vx_vq_push(vq, e.head, 0);
		}
	}
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
		if (vx_dq_rx_fill_addr(dq, &c, dev->rxfmt.hdr_len, &e.addr, &e.gpa) ||
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

// SPDX-License-Identifier: GPL-2.0
/*
 * Guest TX: each chain of a TX ring the worker owns is read once, into a
 * UMEM frame of the worker's socket, and goes to the wire, to another port
 * on the NIC (local switching), or to every port on its VLAN (broadcast).
 */
#include <endian.h>
#include <linux/virtio_net.h>

#include "dp/dp.h"

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

	if (c->out_len < dev->rxfmt.hdr_len + ETH_HLEN) {
		st->tx_drop_runt++;
		goto drop;
	}
	len = c->out_len - dev->rxfmt.hdr_len;
	if (len > room || len > max) {
		st->tx_drop_too_big++;
		goto drop;
	}
	/* The virtio-net header is skipped: no offload was negotiated, so its flags are ignored. */
	vx_chain_read(c, dev->rxfmt.hdr_len, pkt, len);
	if (memcmp(pkt + ETH_ALEN, dev->mac, ETH_ALEN)) {
		st->tx_drop_spoofed++;
		goto drop;
	}
	st->tx_packets++;
	st->tx_bytes += len;
	if (mac_is_multicast(pkt)) {
		vx_dp_flood_local(t->w, dev, pkt, len);
	} else if ((to = port_by_mac(nic, pkt, dev->vlan))) {
		st->local_switched++;
		vx_dp_port_rx_copy(t->w, to, pkt, len);
		goto drop;
	}
	tx_wire(t, addr, pkt, len);
	return;
drop:
	vx_xsk_frame_free(x, addr);
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
		if (vx_dp_tx_in_place(w, dev, &c, addr)) {
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


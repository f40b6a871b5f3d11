// SPDX-License-Identifier: GPL-2.0
/*
 * Guest TX: each chain of a TX ring the worker owns is read once, into a
 * UMEM frame of the worker's socket, and goes to the wire, to another port
 * on the NIC (local switching), or to every port on its VLAN (broadcast).
 */
#include <endian.h>
#include <linux/virtio_net.h>

#include "dp/dp.h"
#include "offload/tso.h"

/* What one vx_net_tx call works with, looked up once per call rather than per packet. */
struct tx_ctx {
	struct vx_worker *w;
	struct vx_nic *nic;
	struct vx_xsk *x;	/* the worker's own socket: frames come from its pool */
	struct vx_dev *dev;
	struct vx_port_stats *st;	/* the port's counters of this worker */
};

/* A frame for the wire or another port: false if the pool and the TX ring stay full. */
static bool tx_frame_alloc(const struct tx_ctx *t, uint64_t *addr)
{
	if (vx_xsk_frame_alloc(t->x, addr))
		return true;
	vx_xsk_tx_flush(t->x);
	vx_xsk_complete(t->x);
	if (vx_xsk_frame_alloc(t->x, addr))
		return true;
	t->w->stats.tx_drop_no_frame++;
	return false;
}

/* Puts an 802.1Q tag in front of the frame whose data is at frame + VX_TX_PAD. */
static void tx_tag(uint8_t *frame, uint16_t vlan)
{
	uint16_t tag[2] = { htobe16(ETH_P_8021Q), htobe16(vlan) };

	memmove(frame, frame + VX_TX_PAD, 2 * ETH_ALEN);
	memcpy(frame + 2 * ETH_ALEN, tag, sizeof(tag));
}

/* Sends pkt (inside the frame at addr) to the wire, tagging it for a VLAN port. */
static inline __attribute__((always_inline)) void tx_wire(const struct tx_ctx *t, uint64_t addr, uint8_t *pkt, uint32_t len)
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
		tx_tag(frame, dev->vlan);	/* pkt is frame + VX_TX_PAD */
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

/*
 * A frame longer than one UMEM frame's room, flat in buf (the worker's
 * scratch): scattered over frames of the worker's socket, the first being
 * addr (data at VX_TX_PAD, so that a VLAN tag fits in front, as in
 * tx_wire), the others whole, and sent as one packet (XDP_USE_SG). Bytes
 * are copied from buf, which the guest cannot reach. addr is consumed.
 */
static void tx_wire_mb(const struct tx_ctx *t, uint64_t addr, const uint8_t *buf, uint32_t len)
{
	struct vx_xsk *x = t->x;
	uint32_t chunk = vx_xsk_chunk_size(x), first = chunk - VX_TX_PAD;
	uint32_t n = vx_tx_pieces(len, first, chunk), lens[VX_TX_MAX_PIECES], i, done = 0;
	uint64_t addrs[VX_TX_MAX_PIECES], sends[VX_TX_MAX_PIECES];
	uint8_t *frame = vx_xsk_data(x, addr);

	addrs[0] = addr;
	i = 1;
	if (n > VX_TX_MAX_PIECES || (n > 1 && !vx_xsk_sg(x))) {
		t->st->tx_drop_too_big++;
		goto free;
	}
	if (!t->nic->link_up) {
		t->st->tx_drop_link_down++;
		goto free;
	}
	for (; i < n; i++)
		if (!tx_frame_alloc(t, &addrs[i]))
			goto free;
	for (i = 0; i < n; i++) {
		uint32_t o = i ? 0 : VX_TX_PAD, room = chunk - o;

		lens[i] = len - done < room ? len - done : room;
		memcpy((uint8_t *)vx_xsk_data(x, addrs[i]) + o, buf + done, lens[i]);
		sends[i] = addrs[i] + o;
		done += lens[i];
	}
	if (t->dev->vlan) {
		tx_tag(frame, t->dev->vlan);
		sends[0] = addr;
		lens[0] += VLAN_HLEN;
	}
	if (!vx_xsk_txv(x, sends, lens, n)) {
		vx_xsk_tx_flush(x);
		vx_xsk_complete(x);
		if (!vx_xsk_txv(x, sends, lens, n)) {
			t->w->stats.tx_drop_no_frame++;
			goto free;
		}
	}
	t->w->stats.tx_frames++;
	if (n > 1)
		t->w->stats.tx_multibuf++;
	return;
free:
	while (i--)
		vx_xsk_frame_free(x, addrs[i]);
}

/*
 * The largest L3 packet a port may send: the NIC's MTU, or the guest's own
 * (NET_SET_MTU) when that is larger, for frames to other ports on the NIC
 * (a bridge forwards between taps at their MTU whatever its uplink's); the
 * wire then takes only what fits the NIC's (wire_fits). Bounded by the
 * scratch a frame is read into.
 */
static uint32_t port_l3_max(const struct tx_ctx *t)
{
	uint32_t l3 = t->dev->mtu > t->nic->mtu ? t->dev->mtu : t->nic->mtu;

	return l3 < VX_TSO_MAX_LEN - ETH_HLEN ? l3 : VX_TSO_MAX_LEN - ETH_HLEN;
}

static bool wire_fits(const struct tx_ctx *t, uint32_t len)
{
	if (len <= t->nic->mtu + ETH_HLEN)
		return true;
	t->st->tx_drop_too_big++;
	return false;
}

/* virtio 1.2 5.1.6.2: which TSO frames this guest may send (it negotiated them). */
static bool tso_allowed(const struct vx_offload *o, uint8_t gso_type)
{
	if ((gso_type & VIRTIO_NET_HDR_GSO_ECN) && !o->tx_ecn)
		return false;
	switch (gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return o->tx_tso4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return o->tx_tso6;
	default:
		return false;	/* UDP fragmentation offload was not offered */
	}
}

/* Whether port `to` takes this TSO frame whole (what a bridge does for taps). */
static bool tso_local_whole(const struct vx_dev *to, const struct vx_tso *ts, uint8_t gso_type)
{
	const struct vx_offload *o = &to->offl;

	if ((gso_type & VIRTIO_NET_HDR_GSO_ECN) && !o->rx_ecn)
		return false;
	return ts->h.l3_proto == ETH_P_IP ? o->rx_tso4 : o->rx_tso6;
}

/*
 * A TSO frame to a port whose guest takes them: copied whole (the headers
 * from the checked copy, not again from guest memory), checksum left
 * partial for the receiver, as a bridge passes GSO frames between taps.
 */
static void tso_to_port(const struct tx_ctx *t, const struct vx_chain *c, struct vx_dev *to,
			const struct vx_tso *ts, const struct vx_vnet_hdr *vh, uint32_t len)
{
	uint8_t *buf = t->w->gso_buf;
	const struct vx_vnet_hdr out = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = vh->gso_type,
		.hdr_len = ts->h.hdr_len,
		.gso_size = vh->gso_size,
		.csum_start = ts->h.l4_off,
		.csum_offset = 16,	/* struct tcphdr's check */
	};

	vx_chain_read(c, t->dev->rxfmt.hdr_len, buf, len);
	memcpy(buf, ts->hdr, ts->h.hdr_len);
	t->st->tx_gso_local++;
	vx_dp_port_rx_gso(t->w, to, &out, buf, len);
}

/*
 * A guest TSO frame (gso_type set): cut into MSS-sized frames, each to the
 * wire or to the destination port, or passed whole to a port whose guest
 * takes TSO frames. addr is a frame already taken from the pool.
 */
static void tx_gso(const struct tx_ctx *t, struct vx_chain *c, uint64_t addr,
		   const struct vx_vnet_hdr *vh)
{
	struct vx_dev *dev = t->dev, *to = NULL;
	struct vx_port_stats *st = t->st;
	uint32_t hlen = dev->rxfmt.hdr_len, len = c->out_len - hlen, room, n, skip, i;
	struct vx_seg saved;
	struct vx_tso ts;
	uint8_t *pkt;
	bool big;
	int err;

	if (!tso_allowed(&dev->offl, vh->gso_type)) {
		st->tx_drop_bad_offload++;
		goto drop;
	}
	/* The frame without the virtio-net header: the chain's own segments, the first trimmed. */
	for (i = 0, skip = hlen; i < c->nout && skip >= c->seg[i].len; i++)
		skip -= c->seg[i].len;
	saved = c->seg[i];
	c->seg[i].hva += skip;
	c->seg[i].len -= skip;
	c->seg[i].gpa += skip;
	err = vx_tso_begin(&ts, vh, &c->seg[i], c->nout - i, len, port_l3_max(t));
	if (err) {
		c->seg[i] = saved;
		if (err == VX_TSO_TOO_MANY)
			st->tx_drop_gso_segs++;
		else if (err == VX_TSO_TOO_BIG)
			st->tx_drop_gso_too_big++;
		else
			st->tx_drop_bad_offload++;
		goto drop;
	}
	if (memcmp(ts.hdr + ETH_ALEN, dev->mac, ETH_ALEN)) {
		c->seg[i] = saved;
		st->tx_drop_spoofed++;
		goto drop;
	}
	st->tx_packets++;
	st->tx_bytes += len;
	if (!mac_is_multicast(ts.hdr) && (to = port_by_mac(t->nic, ts.hdr, dev->vlan))) {
		st->local_switched++;
		if (tso_local_whole(to, &ts, vh->gso_type)) {
			c->seg[i] = saved;
			tso_to_port(t, c, to, &ts, vh, len);
			goto drop;
		}
	}
	/* For the wire, headers + MSS must fit the NIC's MTU (another port's may be larger). */
	if (!to && ts.h.hdr_len + ts.mss > t->nic->mtu + ts.h.l3_off) {
		c->seg[i] = saved;
		st->tx_drop_gso_too_big++;
		goto drop;
	}
	st->tx_gso++;
	room = vx_xsk_frame_size(t->x) - VX_TX_PAD;
	/* Segments longer than a frame (a jumbo MTU): cut into the scratch, then scattered. */
	big = (uint32_t)ts.h.hdr_len + ts.mss > room;
	for (;;) {
		pkt = big ? t->w->gso_buf : (uint8_t *)vx_xsk_data(t->x, addr) + VX_TX_PAD;
		n = vx_tso_next(&ts, pkt, big ? VX_TSO_MAX_LEN : room);
		if (!n)
			break;
		st->tx_gso_segs++;
		if (to) {
			vx_dp_port_rx_copy(t->w, to, pkt, n);	/* copied: the frame serves again */
			continue;
		}
		if (mac_is_multicast(pkt))
			vx_dp_flood_local(t->w, dev, pkt, n);
		if (big)
			tx_wire_mb(t, addr, pkt, n);
		else
			tx_wire(t, addr, pkt, n);
		if (!tx_frame_alloc(t, &addr)) {
			c->seg[i] = saved;
			return;	/* the rest of the frame is lost, counted */
		}
	}
	c->seg[i] = saved;
	/* vx_tso_begin bounded headers + MSS by what the scratch holds: cannot happen. */
	if (ts.seg < ts.nsegs)
		st->tx_drop_gso_too_big++;
drop:
	vx_xsk_frame_free(t->x, addr);
}

/*
 * A frame read once into pkt (inside the frame at addr, or the worker's
 * scratch when big): its checksum finished, its source checked, then to
 * every port on its VLAN, to one port, or to the wire. addr is consumed.
 */
static inline __attribute__((always_inline)) void
tx_send(const struct tx_ctx *t, uint64_t addr, uint8_t *pkt, uint32_t len,
	const struct vx_vnet_hdr *vh, bool big)
{
	struct vx_port_stats *st = t->st;
	struct vx_dev *to;

	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* Over our copy: the guest cannot change what was summed. */
		if (vx_pkt_csum_fill(pkt, len, vh)) {
			st->tx_drop_bad_offload++;
			goto drop;
		}
		st->tx_csum++;
	}
	if (memcmp(pkt + ETH_ALEN, t->dev->mac, ETH_ALEN)) {
		st->tx_drop_spoofed++;
		goto drop;
	}
	st->tx_packets++;
	st->tx_bytes += len;
	if (mac_is_multicast(pkt)) {
		vx_dp_flood_local(t->w, t->dev, pkt, len);
	} else if ((to = port_by_mac(t->nic, pkt, t->dev->vlan))) {
		st->local_switched++;
		vx_dp_port_rx_copy(t->w, to, pkt, len);
		goto drop;
	}
	if (!wire_fits(t, len))
		goto drop;
	if (big)
		tx_wire_mb(t, addr, pkt, len);
	else
		tx_wire(t, addr, pkt, len);
	return;
drop:
	vx_xsk_frame_free(t->x, addr);
}

/*
 * One guest TX chain; the chain is read exactly once: into the frame, or,
 * longer than a frame's room (a jumbo MTU), into the worker's scratch,
 * from which it is scattered over frames for the wire.
 */
static void tx_one(const struct tx_ctx *t, struct vx_chain *c, uint64_t addr)
{
	struct vx_dev *dev = t->dev;
	struct vx_port_stats *st = t->st;
	struct vx_xsk *x = t->x;
	uint8_t *pkt = (uint8_t *)vx_xsk_data(x, addr) + VX_TX_PAD;
	uint32_t room = vx_xsk_frame_size(x) - VX_TX_PAD;
	struct vx_vnet_hdr vh = { 0 };
	uint32_t len;
	bool big;

	if (c->out_len < dev->rxfmt.hdr_len + ETH_HLEN) {
		st->tx_drop_runt++;
		goto drop;
	}
	/* Without CSUM negotiated the header's flags mean nothing (5.1.6.2) and are not read. */
	if (dev->offl.tx_csum) {
		vx_tx_read_hdr(c, dev->rxfmt.hdr_len, &vh);
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			tx_gso(t, c, addr, &vh);
			return;
		}
	}
	len = c->out_len - dev->rxfmt.hdr_len;
	if (len > port_l3_max(t) + ETH_HLEN) {
		st->tx_drop_too_big++;
		goto drop;
	}
	big = len > room;
	if (big)
		pkt = t->w->gso_buf;
	vx_chain_read(c, dev->rxfmt.hdr_len, pkt, len);
	tx_send(t, addr, pkt, len, &vh, big);
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
		if (w->nic->dq_on && vx_dp_tx_in_place(w, dev, &c, addr)) {
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


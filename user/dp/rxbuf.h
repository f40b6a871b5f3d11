/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Frames to guest RX buffers and guest TX chains to frames: the two
 * conversions of the data path, as functions over a ring (or a chain) and
 * plain buffers, with no sockets, threads or counters, so that they can be
 * tested alone (tests/unit/test_rxbuf.c).
 */
#ifndef VX_DP_RXBUF_H
#define VX_DP_RXBUF_H

#include <stdbool.h>
#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "offload/pkt.h"
#include "dp/limits.h"
#include "virtq.h"

/* One piece of a frame being written into the guest. */
struct vx_iov {
	const void *base;
	uint32_t len;
};

/* How the guest wants its RX buffers filled (negotiated features). */
struct vx_rx_fmt {
	uint32_t hdr_len;	/* virtio-net header: 12, or 10 for legacy without MRG_RXBUF */
	bool mrg_rxbuf;		/* VIRTIO_NET_F_MRG_RXBUF: a frame may span several chains */
};

enum vx_rx_result {
	VX_RX_DELIVERED,
	VX_RX_NO_BUFFER,	/* try again when the guest posts buffers */
	VX_RX_TOO_BIG,		/* the guest's buffers cannot hold it */
	VX_RX_NOT_READY,	/* no running RX queue */
};

/*
 * Writes the virtio-net header vh (num_buffers is set here) and the frame,
 * len bytes in niov pieces, into the guest's RX ring: one chain without
 * MRG_RXBUF (virtio 1.2 5.1.6.3), as many as needed (at most
 * VX_RX_MAX_BUFS) with it (5.1.6.4). Used entries are pushed only once the
 * whole frame is placed, so a frame that does not fit is given back without
 * the guest seeing any of it; the caller flushes the ring. Writes are
 * logged while dirty logging is on.
 */
static inline __attribute__((always_inline)) enum vx_rx_result
vx_rx_write(struct vx_vq *vq, const struct vx_rx_fmt *f, const struct vx_vnet_hdr *vh,
	    const struct vx_iov *iov, unsigned int niov, uint32_t len);

/* The same for one contiguous frame with an all-zero header (no offload). */
static inline enum vx_rx_result vx_rx_write_plain(struct vx_vq *vq, const struct vx_rx_fmt *f,
						  const void *pkt, uint32_t len);

/*
 * Reads the virtio-net header at the start of a guest TX chain into *vh
 * (host order). Returns false if the chain is shorter than the header.
 */
bool vx_tx_read_hdr(const struct vx_chain *c, uint32_t hdr_len, struct vx_vnet_hdr *vh);

/*
 * Frames a packet of len bytes takes when the first frame holds first
 * bytes and every further one chunk bytes (multi-buffer AF_XDP TX); 0 for
 * an empty packet or a chunk of 0.
 */
uint32_t vx_tx_pieces(uint32_t len, uint32_t first, uint32_t chunk);

/*
 * ---- the implementation: inline, because it is the per-packet path of
 * user/dp/rx.c (a call per layer costs measurably in instructions per packet) ----
 */
static inline void vx_rx_hdr_encode(struct virtio_net_hdr_mrg_rxbuf *out, const struct vx_vnet_hdr *vh,
		       uint16_t nbufs)
{
	if (!vh) {
		memset(out, 0, sizeof(*out));
	} else {
		out->hdr.flags = vh->flags;
		out->hdr.gso_type = vh->gso_type;
		out->hdr.hdr_len = htole16(vh->hdr_len);
		out->hdr.gso_size = htole16(vh->gso_size);
		out->hdr.csum_start = htole16(vh->csum_start);
		out->hdr.csum_offset = htole16(vh->csum_offset);
	}
	out->num_buffers = htole16(nbufs);
}

/* Where the next byte of the frame comes from. */
struct vx_iov_cur {
	const struct vx_iov *iov;
	unsigned int i;
	uint32_t off;
};

/* Copies the next n bytes of the frame into c's writable part at skip. */
static inline __attribute__((always_inline)) void vx_iov_cur_write(const struct vx_chain *c, uint32_t skip,
							    struct vx_iov_cur *cur, uint32_t n)
{
	/* The common case: what is left of the current piece holds them all. */
	if (cur->iov[cur->i].len - cur->off >= n) {
		vx_chain_write(c, skip, (const uint8_t *)cur->iov[cur->i].base + cur->off, n);
		cur->off += n;
		return;
	}
	while (n) {
		const struct vx_iov *v = &cur->iov[cur->i];
		uint32_t l = v->len - cur->off < n ? v->len - cur->off : n;

		vx_chain_write(c, skip, (const uint8_t *)v->base + cur->off, l);
		skip += l;
		n -= l;
		cur->off += l;
		if (cur->off == v->len) {
			cur->i++;
			cur->off = 0;
		}
	}
}

/* Without MRG_RXBUF the whole frame must fit one chain (virtio 1.2 5.1.6.3). */
static __attribute__((noinline)) enum vx_rx_result vx_rx_single(struct vx_vq *vq, const struct vx_rx_fmt *f,
				   const struct vx_vnet_hdr *vh, struct vx_iov_cur *cur, uint32_t len)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	uint32_t total = f->hdr_len + len;
	struct vx_chain c;
	int r;

	r = vx_vq_pop(vq, &c);
	if (r < 0)
		return VX_RX_NOT_READY;
	if (r == 0)
		return VX_RX_NO_BUFFER;
	if (c.in_len < total) {
		/* Like vhost-net: drop the frame, keep the buffer for the next one. */
		vx_vq_unpop(vq, 1);
		return VX_RX_TOO_BIG;
	}
	vx_rx_hdr_encode(&hdr, vh, 1);
	vx_chain_write(&c, 0, &hdr, f->hdr_len);
	vx_iov_cur_write(&c, f->hdr_len, cur, len);
	vx_vq_log_write(vq, &c, total);
	vx_vq_push(vq, c.head, total);
	return VX_RX_DELIVERED;
}

/*
 * virtio 1.2 5.1.6.4: with MRG_RXBUF the frame may span several chains;
 * the header (with num_buffers) goes at the start of the first one, and is
 * written last, once the count is known. The first chain's segments are
 * the queue's storage, which the next pop reuses: the few that hold the
 * header are kept aside (each segment holds at least one byte).
 */
static __attribute__((noinline)) enum vx_rx_result vx_rx_merge(struct vx_vq *vq, const struct vx_rx_fmt *f,
				  const struct vx_vnet_hdr *vh, struct vx_iov_cur *cur, uint32_t len)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct vx_seg hseg[sizeof(hdr)];	/* one byte each at least */
	struct vx_chain first, c, hc = { .seg = hseg };
	uint16_t heads[VX_RX_MAX_BUFS];
	uint32_t lens[VX_RX_MAX_BUFS], off, n, have;
	uint16_t nbufs, i;
	int r;

	r = vx_vq_pop(vq, &first);
	if (r <= 0)
		return r < 0 ? VX_RX_NOT_READY : VX_RX_NO_BUFFER;
	/* 5.1.6.3.1: each buffer is at least as large as the header. */
	if (first.in_len < f->hdr_len) {
		vx_vq_unpop(vq, 1);
		return VX_RX_TOO_BIG;
	}
	n = first.in_len - f->hdr_len < len ? first.in_len - f->hdr_len : len;
	vx_iov_cur_write(&first, f->hdr_len, cur, n);
	heads[0] = first.head;
	lens[0] = f->hdr_len + n;
	off = n;
	nbufs = 1;
	if (off == len) {
		/* One buffer (every small frame): the header goes straight in. */
		vx_rx_hdr_encode(&hdr, vh, 1);
		vx_chain_write(&first, 0, &hdr, f->hdr_len);
		/* Logged after the last write: a migration copies a page when it sees the bit. */
		vx_vq_log_write(vq, &first, lens[0]);
		vx_vq_push(vq, first.head, lens[0]);
		return VX_RX_DELIVERED;
	}
	vx_vq_log_write(vq, &first, lens[0]);
	for (have = 0; hc.nin < sizeof(hseg) / sizeof(hseg[0]) && have < f->hdr_len; hc.nin++) {
		hseg[hc.nin] = first.seg[first.nout + hc.nin];
		have += hseg[hc.nin].len;
	}
	while (off < len) {
		r = nbufs < VX_RX_MAX_BUFS ? vx_vq_pop(vq, &c) : -1;
		if (r <= 0 || !c.in_len) {
			vx_vq_unpop(vq, nbufs + (r > 0));
			if (r == 0)
				return VX_RX_NO_BUFFER;
			return vx_vq_active(vq) ? VX_RX_TOO_BIG : VX_RX_NOT_READY;
		}
		n = c.in_len < len - off ? c.in_len : len - off;
		vx_iov_cur_write(&c, 0, cur, n);
		vx_vq_log_write(vq, &c, n);
		heads[nbufs] = c.head;
		lens[nbufs++] = n;
		off += n;
	}
	vx_rx_hdr_encode(&hdr, vh, nbufs);
	vx_chain_write(&hc, 0, &hdr, f->hdr_len);
	/* The header came after the first buffer's log bit: log it again, after the write. */
	vx_vq_log_write(vq, &hc, f->hdr_len);
	for (i = 0; i < nbufs; i++)
		vx_vq_push(vq, heads[i], lens[i]);
	return VX_RX_DELIVERED;
}

static inline __attribute__((always_inline)) enum vx_rx_result
vx_rx_write(struct vx_vq *vq, const struct vx_rx_fmt *f, const struct vx_vnet_hdr *vh,
	    const struct vx_iov *iov, unsigned int niov, uint32_t len)
{
	struct vx_iov_cur cur = { .iov = iov };

	(void)niov;	/* the pieces add up to len: the cursor stops there */
	if (!vx_vq_active(vq))
		return VX_RX_NOT_READY;
	return f->mrg_rxbuf ? vx_rx_merge(vq, f, vh, &cur, len) : vx_rx_single(vq, f, vh, &cur, len);
}

static inline enum vx_rx_result vx_rx_write_plain(struct vx_vq *vq, const struct vx_rx_fmt *f, const void *pkt,
				    uint32_t len)
{
	struct vx_iov v = { .base = pkt, .len = len };

	return vx_rx_write(vq, f, NULL, &v, 1, len);
}

#endif

// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "dp/rxbuf.h"
#include "dp/limits.h"

static void hdr_encode(struct virtio_net_hdr_mrg_rxbuf *out, const struct vx_vnet_hdr *vh,
		       uint16_t nbufs)
{
	out->hdr.flags = vh ? vh->flags : 0;
	out->hdr.gso_type = vh ? vh->gso_type : 0;
	out->hdr.hdr_len = htole16(vh ? vh->hdr_len : 0);
	out->hdr.gso_size = htole16(vh ? vh->gso_size : 0);
	out->hdr.csum_start = htole16(vh ? vh->csum_start : 0);
	out->hdr.csum_offset = htole16(vh ? vh->csum_offset : 0);
	out->num_buffers = htole16(nbufs);
}

/* Where the next byte of the frame comes from. */
struct iov_cur {
	const struct vx_iov *iov;
	unsigned int i;
	uint32_t off;
};

/* Copies the next n bytes of the frame into c's writable part at skip. */
static void cur_write(const struct vx_chain *c, uint32_t skip, struct iov_cur *cur, uint32_t n)
{
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
static enum vx_rx_result rx_single(struct vx_vq *vq, const struct vx_rx_fmt *f,
				   const struct vx_vnet_hdr *vh, struct iov_cur *cur, uint32_t len)
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
	hdr_encode(&hdr, vh, 1);
	vx_chain_write(&c, 0, &hdr, f->hdr_len);
	cur_write(&c, f->hdr_len, cur, len);
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
static enum vx_rx_result rx_merge(struct vx_vq *vq, const struct vx_rx_fmt *f,
				  const struct vx_vnet_hdr *vh, struct iov_cur *cur, uint32_t len)
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
	cur_write(&first, f->hdr_len, cur, n);
	vx_vq_log_write(vq, &first, f->hdr_len + n);
	heads[0] = first.head;
	lens[0] = f->hdr_len + n;
	for (have = 0; hc.nin < sizeof(hseg) / sizeof(hseg[0]) && have < f->hdr_len; hc.nin++) {
		hseg[hc.nin] = first.seg[first.nout + hc.nin];
		have += hseg[hc.nin].len;
	}
	off = n;
	nbufs = 1;
	while (off < len) {
		r = nbufs < VX_RX_MAX_BUFS ? vx_vq_pop(vq, &c) : -1;
		if (r <= 0 || !c.in_len) {
			vx_vq_unpop(vq, nbufs + (r > 0));
			if (r == 0)
				return VX_RX_NO_BUFFER;
			return vx_vq_active(vq) ? VX_RX_TOO_BIG : VX_RX_NOT_READY;
		}
		n = c.in_len < len - off ? c.in_len : len - off;
		cur_write(&c, 0, cur, n);
		vx_vq_log_write(vq, &c, n);
		heads[nbufs] = c.head;
		lens[nbufs++] = n;
		off += n;
	}
	hdr_encode(&hdr, vh, nbufs);
	vx_chain_write(&hc, 0, &hdr, f->hdr_len);
	for (i = 0; i < nbufs; i++)
		vx_vq_push(vq, heads[i], lens[i]);
	return VX_RX_DELIVERED;
}

enum vx_rx_result vx_rx_write(struct vx_vq *vq, const struct vx_rx_fmt *f,
			      const struct vx_vnet_hdr *vh, const struct vx_iov *iov,
			      unsigned int niov, uint32_t len)
{
	struct iov_cur cur = { .iov = iov };

	(void)niov;	/* the pieces add up to len: the cursor stops there */
	if (!vx_vq_active(vq))
		return VX_RX_NOT_READY;
	return f->mrg_rxbuf ? rx_merge(vq, f, vh, &cur, len) : rx_single(vq, f, vh, &cur, len);
}

enum vx_rx_result vx_rx_write_plain(struct vx_vq *vq, const struct vx_rx_fmt *f, const void *pkt,
				    uint32_t len)
{
	struct vx_iov v = { .base = pkt, .len = len };

	return vx_rx_write(vq, f, NULL, &v, 1, len);
}

bool vx_tx_read_hdr(const struct vx_chain *c, uint32_t hdr_len, struct vx_vnet_hdr *vh)
{
	struct virtio_net_hdr_mrg_rxbuf h;

	if (c->out_len < hdr_len || hdr_len > sizeof(h))
		return false;
	vx_chain_read(c, 0, &h, hdr_len);
	vh->flags = h.hdr.flags;
	vh->gso_type = h.hdr.gso_type;
	vh->hdr_len = le16toh(h.hdr.hdr_len);
	vh->gso_size = le16toh(h.hdr.gso_size);
	vh->csum_start = le16toh(h.hdr.csum_start);
	vh->csum_offset = le16toh(h.hdr.csum_offset);
	return true;
}

uint32_t vx_tx_pieces(uint32_t len, uint32_t first, uint32_t chunk)
{
	if (!len || !chunk)
		return 0;
	if (len <= first)
		return 1;
	/* Cannot overflow: (len - first) / chunk < len. */
	return 1 + (len - first) / chunk + !!((len - first) % chunk);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * rxbuf: frames into guest RX buffers (with and without MRG_RXBUF, from one
 * piece or a gather list) and the virtio-net header of guest TX chains, as
 * pure functions over a fake guest's ring (virtio 1.2 5.1.6.3, 5.1.6.4).
 */
#include <endian.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "dp/limits.h"
#include "dp/rxbuf.h"
#include "fixtures.h"
#include "tap.h"

#define NUM    16
#define BUF(i) (FX_BUF_GPA + 0x1000ull * (i))

static struct fx_guest g;
static struct fx_ring r;
static struct vx_vq vq;

static void setup(void)
{
	fx_ring_init(&r, &g, NUM);
	fx_vq_init(&vq, &r);
}

static void teardown(void)
{
	vx_vq_free(&vq);
}

/* Posts a writable buffer of len bytes at BUF(i) (one descriptor, head i). */
static void post(uint16_t i, uint32_t len)
{
	fx_ring_desc(&r, i, BUF(i), len, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, i);
}

static uint8_t *buf(uint16_t i)
{
	return fx_gpa(&g, BUF(i));
}

static uint32_t used_len(uint16_t slot)
{
	return le32toh(r.used->ring[slot].len);
}

static uint16_t used_idx(void)
{
	return le16toh(r.used->idx);
}

static void fill(uint8_t *p, uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void test_single(void)
{
	const struct vx_rx_fmt f = { .hdr_len = 10, .mrg_rxbuf = false };
	struct virtio_net_hdr h;
	uint8_t pkt[300];

	setup();
	fill(pkt, sizeof(pkt), 1);
	post(0, 200);	/* too small for 10 + 300 */
	post(1, 400);
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, sizeof(pkt)) == VX_RX_TOO_BIG &&
		       vq.last_avail == 0,
	       "no MRG_RXBUF: a buffer too small is refused and kept");
	/* vhost-net's behaviour: the frame is dropped, the buffer stays for the next one. */
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, 150) == VX_RX_DELIVERED && vq.last_avail == 1,
	       "  ... and takes the next frame that fits");
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, sizeof(pkt)) == VX_RX_DELIVERED,
	       "300-byte frame into the 400-byte buffer");
	vx_vq_flush(&vq);
	memcpy(&h, buf(1), sizeof(h));
	tap_ok(used_idx() == 2 && used_len(0) == 160 && used_len(1) == 310 &&
		       !memcmp(buf(1) + 10, pkt, sizeof(pkt)) && h.flags == 0 && h.gso_type == 0,
	       "  ... used lengths header + frame, data intact, header zero");
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, 60) == VX_RX_NO_BUFFER, "empty ring: no buffer");
	vq.enabled = false;
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, 60) == VX_RX_NOT_READY, "disabled ring: not ready");
	teardown();
}

static void test_merge(void)
{
	const struct vx_rx_fmt f = { .hdr_len = 12, .mrg_rxbuf = true };
	struct virtio_net_hdr_mrg_rxbuf h;
	uint8_t pkt[250], out[250];
	uint16_t i;

	setup();
	fill(pkt, sizeof(pkt), 3);
	for (i = 0; i < 3; i++)
		post(i, 100);
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, sizeof(pkt)) == VX_RX_DELIVERED,
	       "MRG_RXBUF: 12 + 250 bytes over three 100-byte buffers");
	vx_vq_flush(&vq);
	memcpy(&h, buf(0), sizeof(h));
	memcpy(out, buf(0) + 12, 88);
	memcpy(out + 88, buf(1), 100);
	memcpy(out + 188, buf(2), 62);
	tap_ok(le16toh(h.num_buffers) == 3 && used_idx() == 3 && used_len(0) == 100 &&
		       used_len(1) == 100 && used_len(2) == 62 && !memcmp(out, pkt, sizeof(pkt)),
	       "  ... num_buffers 3, used lengths 100/100/62, data intact");

	/* Not enough buffers: nothing is consumed, nothing published. */
	post(3, 100);
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, sizeof(pkt)) == VX_RX_NO_BUFFER &&
		       vq.last_avail == 3 && used_idx() == 3,
	       "too few buffers: no buffer, none consumed");
	post(4, 100);
	post(5, 100);
	tap_ok(vx_rx_write_plain(&vq, &f, pkt, sizeof(pkt)) == VX_RX_DELIVERED &&
		       vq.last_avail == 6,
	       "  ... delivered once more are posted");
	teardown();

	/* More than VX_RX_MAX_BUFS buffers would be needed. */
	setup();
	{
		static uint8_t big[VX_RX_MAX_BUFS * 16 + 100];
		uint16_t n = 0;

		r.num = NUM;
		/* 16 one-descriptor buffers of 16 bytes cannot hold 1124 bytes, and NUM < 64. */
		for (i = 0; i < NUM; i++, n++)
			post(i, 16);
		tap_ok(vx_rx_write_plain(&vq, &f, big, sizeof(big)) == VX_RX_NO_BUFFER &&
			       vq.last_avail == 0,
		       "frame larger than the whole ring: no buffer, none consumed");
		(void)n;
	}
	teardown();
}

/* The header split over two descriptors of the first chain, and a gather list. */
static void test_split_header_iov(void)
{
	const struct vx_rx_fmt f = { .hdr_len = 12, .mrg_rxbuf = true };
	const struct vx_vnet_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					.gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					.hdr_len = 66,
					.gso_size = 1448,
					.csum_start = 34,
					.csum_offset = 16 };
	struct virtio_net_hdr_mrg_rxbuf h;
	uint8_t a[40], b[70], c[30], out[140], raw[12];
	struct vx_iov iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };

	setup();
	fill(a, sizeof(a), 10);
	fill(b, sizeof(b), 50);
	fill(c, sizeof(c), 90);
	/* Chain 0: 5 bytes at BUF(0), then 95 at BUF(8); chain 1: 100 bytes at BUF(1). */
	fx_ring_desc(&r, 0, BUF(0), 5, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	fx_ring_desc(&r, 2, BUF(8), 95, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, 0);
	post(1, 100);
	tap_ok(vx_rx_write(&vq, &f, &vh, iov, 3, 140) == VX_RX_DELIVERED,
	       "gather list of 3 pieces, header split 5 + 7 over two descriptors");
	vx_vq_flush(&vq);
	memcpy(raw, buf(0), 5);
	memcpy(raw + 5, buf(8), 7);
	memcpy(&h, raw, sizeof(h));
	memcpy(out, buf(8) + 7, 88);
	memcpy(out + 88, buf(1), 52);
	tap_ok(h.hdr.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
		       h.hdr.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && le16toh(h.hdr.hdr_len) == 66 &&
		       le16toh(h.hdr.gso_size) == 1448 && le16toh(h.hdr.csum_start) == 34 &&
		       le16toh(h.hdr.csum_offset) == 16 && le16toh(h.num_buffers) == 2,
	       "  ... header fields little-endian, num_buffers 2, across the split");
	tap_ok(!memcmp(out, a, 40) && !memcmp(out + 40, b, 70) && !memcmp(out + 110, c, 30) &&
		       used_len(0) == 100 && used_len(1) == 52,
	       "  ... pieces in order across both chains");
	teardown();
}

static void test_tx_hdr(void)
{
	struct virtio_net_hdr_mrg_rxbuf h = { 0 };
	struct vx_vnet_hdr vh;
	struct vx_chain c;
	uint8_t raw[12];

	setup();
	h.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h.hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	h.hdr.gso_size = htole16(1428);
	h.hdr.csum_start = htole16(54);
	h.hdr.csum_offset = htole16(16);
	memcpy(raw, &h, sizeof(raw));
	memcpy(buf(0), raw, 3);
	memcpy(buf(1), raw + 3, 9);
	fx_ring_desc(&r, 0, BUF(0), 3, VRING_DESC_F_NEXT, 1);
	fx_ring_desc(&r, 1, BUF(1), 100, 0, 0);
	fx_ring_avail(&r, 0);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && vx_tx_read_hdr(&c, 12, &vh) &&
		       vh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
		       vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV6 && vh.gso_size == 1428 &&
		       vh.csum_start == 54 && vh.csum_offset == 16,
	       "TX header read across two descriptors, host order");
	fx_ring_desc(&r, 2, BUF(2), 8, 0, 0);
	fx_ring_avail(&r, 2);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && !vx_tx_read_hdr(&c, 12, &vh),
	       "chain shorter than the header: refused");
	teardown();
}

/* Multi-buffer TX: how many 2048-byte frames a frame takes, the first 4 bytes short. */
static void test_tx_pieces(void)
{
	tap_is(vx_tx_pieces(0, 2044, 2048), 0, "empty frame: no pieces");
	tap_is(vx_tx_pieces(60, 2044, 0), 0, "chunk 0: no pieces");
	tap_is(vx_tx_pieces(60, 2044, 2048), 1, "60 bytes: 1 piece");
	tap_is(vx_tx_pieces(2044, 2044, 2048), 1, "2044 bytes: 1 piece (first frame full)");
	tap_is(vx_tx_pieces(2045, 2044, 2048), 2, "2045 bytes: 2 pieces");
	tap_is(vx_tx_pieces(4092, 2044, 2048), 2, "4092 bytes: 2 pieces, both full");
	tap_is(vx_tx_pieces(4093, 2044, 2048), 3, "4093 bytes: 3 pieces");
	tap_is(vx_tx_pieces(9014, 2044, 2048), 5, "9014 bytes (MTU 9000): 5 pieces");
	tap_is(vx_tx_pieces(9018, 2044, 2048), 5, "9018 bytes (MTU 9000 + tag): 5 pieces");
	tap_is(vx_tx_pieces(10236, 2044, 2048), 5, "10236 bytes: 5 pieces, all full");
	tap_is(vx_tx_pieces(10237, 2044, 2048), 6, "10237 bytes: 6, over VX_TX_MAX_PIECES");
	tap_is(vx_tx_pieces(0xffffffffu, 2044, 2048), 2097153, "4 GiB - 1: no overflow");
	tap_ok(vx_tx_pieces(9018, 2044, 2048) <= VX_TX_MAX_PIECES,
	       "VX_TX_MAX_PIECES holds a 9000-byte MTU frame with a tag");
}

int main(void)
{
	fx_guest_init(&g);
	test_single();
	test_merge();
	test_split_header_iov();
	test_tx_hdr();
	test_tx_pieces();
	fx_guest_fini(&g);
	return tap_done();
}

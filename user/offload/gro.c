// SPDX-License-Identifier: GPL-2.0
/*
 * The coalescer (gro.h): Linux's tcp_gro_receive rules, for one train at a
 * time. The result is handed to the guest as virtio 1.2 5.1.6.4 asks of a
 * device with GUEST_TSO4/6: NEEDS_CSUM with the pseudo-header sum in the
 * TCP checksum field (Linux's CHECKSUM_PARTIAL), and the GSO type and size.
 *
 * Each offered frame's headers are copied once and only the copy is
 * parsed and compared; the payload is never read.
 */
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#include "offload/bytes.h"
#include "offload/csum.h"
#include "offload/gro.h"

#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_PSH 0x08
#define IP_DF	     0x4000

void vx_gro_init(struct vx_gro *g)
{
	g->n = 0;
	g->payload = 0;
	g->closed = false;
	g->id_fixed = false;
	g->last_flags = 0;
}

/*
 * Could this frame be in a train at all? TCP with payload, only ACK (and
 * PSH), IPv4 without options (and a good header checksum: the merged
 * header gets a new one, which must not hide a bad one) or IPv6 without
 * extension headers.
 */
static bool gro_mergeable(const uint8_t *hdr, const struct vx_pkt_hdrs *h)
{
	uint8_t flags;

	/*
	 * Only a TCP header is sure to be in the copy (vx_pkt_parse checked its
	 * doff): for anything else byte l4_off + 13 may lie past it (fuzz_gro).
	 */
	if (h->l4_proto != IPPROTO_TCP || h->l3_end == h->hdr_len)
		return false;
	flags = hdr[h->l4_off + 13];
	if ((flags & ~(TCP_FLAG_ACK | TCP_FLAG_PSH)) || !(flags & TCP_FLAG_ACK))
		return false;
	if (h->l3_proto == ETH_P_IPV6)
		return h->l4_off == h->l3_off + 40;
	return h->l4_off == h->l3_off + 20 &&
	       vx_csum_fold(vx_csum_partial(hdr + h->l3_off, 20, 0)) == 0xffff;
}

/*
 * Same flow and the same everything that must not change within a train:
 * Ethernet header, IP fields (not lengths, ids, checksums), ports, ACK,
 * window and TCP options, byte for byte.
 */
static bool gro_same(const struct vx_gro *g, const uint8_t *hdr, const struct vx_pkt_hdrs *h)
{
	const uint8_t *a = g->hdr, *b = hdr;
	uint32_t l3 = h->l3_off, l4 = h->l4_off;

	if (h->l3_proto != g->h.l3_proto || l3 != g->h.l3_off || h->hdr_len != g->h.hdr_len ||
	    memcmp(a, b, l3))
		return false;
	if (h->l3_proto == ETH_P_IP) {
		/* TOS; DF (fragments were refused); TTL and protocol; addresses. */
		if (a[l3 + 1] != b[l3 + 1] || a[l3 + 6] != b[l3 + 6] ||
		    memcmp(a + l3 + 8, b + l3 + 8, 2) || memcmp(a + l3 + 12, b + l3 + 12, 8))
			return false;
	} else {
		/* Version, traffic class, flow label; next header, hop limit; addresses. */
		if (memcmp(a + l3, b + l3, 4) || memcmp(a + l3 + 6, b + l3 + 6, 34))
			return false;
	}
	/* Ports; ACK; data offset; window; options. */
	return !memcmp(a + l4, b + l4, 4) && !memcmp(a + l4 + 8, b + l4 + 8, 5) &&
	       !memcmp(a + l4 + 14, b + l4 + 14, 2) &&
	       !memcmp(a + l4 + 20, b + l4 + 20, h->hdr_len - l4 - 20u);
}

/*
 * IPv4 ids: each the previous + 1, or (with DF, as Linux allows for atomic
 * datagrams) all equal. Returns 0 if it breaks the train, 1 if it
 * increments, 2 if fixed.
 */
static int gro_id(const struct vx_gro *g, const uint8_t *ip)
{
	uint16_t id = rd16(ip + 4), first = rd16(g->hdr + g->h.l3_off + 4);

	if (!g->id_fixed && id == g->next_id)
		return 1;
	if ((g->n == 1 || g->id_fixed) && id == first && (rd16(ip + 6) & IP_DF))
		return 2;
	return 0;
}

static enum vx_gro_res gro_start(struct vx_gro *g, const uint8_t *frame, const uint8_t *hdr,
				 const struct vx_pkt_hdrs *h, uint64_t cookie)
{
	uint32_t plen = h->l3_end - h->hdr_len;
	uint8_t flags = hdr[h->l4_off + 13];

	/* Linux flushes a first segment with PSH at once: nothing can follow it. */
	if (flags & TCP_FLAG_PSH)
		return VX_GRO_PASS;
	memcpy(g->hdr, hdr, h->hdr_len);
	g->h = *h;
	g->mss = (uint16_t)plen;
	g->next_seq = rd32(hdr + h->l4_off + 4) + plen;
	g->next_id = h->l3_proto == ETH_P_IP ? (uint16_t)(rd16(hdr + h->l3_off + 4) + 1) : 0;
	g->id_fixed = false;
	g->closed = false;
	g->last_flags = flags;
	g->payload = plen;
	g->piece[0] = (struct vx_gro_piece){frame + h->hdr_len, plen, cookie};
	g->n = 1;
	return VX_GRO_HELD;
}

static enum vx_gro_res gro_join(struct vx_gro *g, const uint8_t *frame, const uint8_t *hdr,
				const struct vx_pkt_hdrs *h, uint64_t cookie)
{
	uint32_t plen = h->l3_end - h->hdr_len;
	uint8_t flags = hdr[h->l4_off + 13];
	int id = 1;

	if (g->closed || g->n >= VX_GRO_MAX_SEGS || !gro_same(g, hdr, h) ||
	    rd32(hdr + h->l4_off + 4) != g->next_seq || plen > g->mss ||
	    g->h.hdr_len - g->h.l3_off + g->payload + plen > VX_GRO_MAX_L3)
		return VX_GRO_FLUSH;
	if (h->l3_proto == ETH_P_IP && !(id = gro_id(g, hdr + h->l3_off)))
		return VX_GRO_FLUSH;
	g->id_fixed = id == 2;
	g->next_id++;
	g->next_seq += plen;
	g->payload += plen;
	g->last_flags = flags;
	/* PSH or a short segment is the train's last (tcp_gro_receive: flush after it). */
	g->closed = (flags & TCP_FLAG_PSH) || plen < g->mss;
	g->piece[g->n++] = (struct vx_gro_piece){frame + h->hdr_len, plen, cookie};
	return VX_GRO_HELD;
}

enum vx_gro_res vx_gro_add(struct vx_gro *g, const uint8_t *frame, uint32_t len, uint64_t cookie)
{
	uint8_t hdr[VX_PKT_HDR_MAX];
	uint32_t copy = len < sizeof(hdr) ? len : sizeof(hdr);
	struct vx_pkt_hdrs h;

	memcpy(hdr, frame, copy);
	if (vx_pkt_parse(hdr, copy, len, &h) != VX_PKT_OK || !gro_mergeable(hdr, &h))
		return g->n ? VX_GRO_FLUSH : VX_GRO_PASS;
	if (!g->n)
		return gro_start(g, frame, hdr, &h, cookie);
	return gro_join(g, frame, hdr, &h, cookie);
}

void vx_gro_finish(struct vx_gro *g, struct vx_vnet_hdr *vh)
{
	uint8_t *ip = g->hdr + g->h.l3_off, *th = g->hdr + g->h.l4_off;
	uint32_t l3_len = g->h.hdr_len - g->h.l3_off + g->payload;
	uint16_t c;

	memset(vh, 0, sizeof(*vh));
	if (g->n == 0)
		return;
	if (g->n == 1) {
		vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
		return;
	}
	if (g->h.l3_proto == ETH_P_IP) {
		wr16(ip + 2, l3_len);
		wr16(ip + 10, 0);
		c = vx_csum_finish(vx_csum_partial(ip, 20, 0));
		memcpy(ip + 10, &c, 2);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else {
		wr16(ip + 4, l3_len - 40);
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	}
	g->h.l3_end = g->h.l3_off + l3_len;
	th[13] |= g->last_flags & TCP_FLAG_PSH;
	/* CHECKSUM_PARTIAL: the folded pseudo-header sum, not inverted. */
	c = vx_csum_fold(vx_pkt_pseudo(g->hdr, &g->h, g->h.l3_end - g->h.l4_off));
	memcpy(th + 16, &c, 2);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = g->h.l4_off;
	vh->csum_offset = 16;
	vh->gso_size = g->mss;
	vh->hdr_len = g->h.hdr_len;
}

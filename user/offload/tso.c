// SPDX-License-Identifier: GPL-2.0
/*
 * The segmenter (tso.h): virtio 1.2 5.1.6.2 (the device sends a GSO frame
 * as MSS-sized segments) done the way Linux's tcp_gso_segment and
 * inet_gso_segment / ipv6_gso_segment do it.
 *
 * What the guest wrote is read once: the headers by vx_tso_begin into
 * t->hdr, each payload byte by vx_tso_next, copied and summed in one pass.
 */
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>

#include "offload/bytes.h"
#include "offload/csum.h"
#include "offload/tso.h"

#define TCP_FLAG_CWR 0x80
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_FIN 0x01

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Do the pieces hold at least len bytes? (Summed in 64 bits: no overflow.) */
static bool src_holds(const struct vx_seg *src, unsigned int nsrc, uint32_t len)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 0; i < nsrc && total < len; i++)
		total += src[i].len;
	return total >= len;
}

/*
 * Moves the source cursor on by len bytes, copying them to dst unless dst
 * is NULL, and summing them into *sum unless sum is NULL. The caller made
 * sure (src_holds) that the bytes are there.
 */
static void src_take(struct vx_tso *t, uint8_t *dst, uint32_t len, uint32_t *sum)
{
	uint32_t off = 0, k;

	while (off < len && t->si < t->nsrc) {
		const struct vx_seg *p = &t->src[t->si];

		if (t->soff >= p->len) {
			t->si++;
			t->soff = 0;
			continue;
		}
		k = min_u32(p->len - t->soff, len - off);
		if (dst && !sum)
			memcpy(dst + off, p->hva + t->soff, k);
		else if (dst && (off & 1))
			*sum = vx_csum_add_at(*sum, vx_csum_copy(dst + off, p->hva + t->soff, k, 0),
					      off);
		else if (dst)
			*sum = vx_csum_copy(dst + off, p->hva + t->soff, k, *sum);
		off += k;
		t->soff += k;
	}
}

/* Does the guest's gso_type (ECN bit aside) name what the headers are? */
static bool gso_type_agrees(uint8_t gso_type, const struct vx_pkt_hdrs *h)
{
	uint8_t type = gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if (h->l4_proto != IPPROTO_TCP)
		return false;
	return (type == VIRTIO_NET_HDR_GSO_TCPV4 && h->l3_proto == ETH_P_IP) ||
	       (type == VIRTIO_NET_HDR_GSO_TCPV6 && h->l3_proto == ETH_P_IPV6);
}

/* Copies and checks the headers; sets t->h, t->mss, t->payload and t->nsegs. */
static int tso_headers(struct vx_tso *t, const struct vx_vnet_hdr *vh, uint32_t len,
		       uint32_t max_l3)
{
	uint32_t copy = min_u32(len, VX_PKT_HDR_MAX), nsegs;

	src_take(t, t->hdr, copy, NULL);
	/*
	 * The IP length must be the frame's: Linux guests set it so for GSO
	 * frames, and a frame that says otherwise has no one right reading.
	 */
	if (vx_pkt_parse(t->hdr, copy, len, &t->h) != VX_PKT_OK || t->h.l3_end != len ||
	    !gso_type_agrees(vh->gso_type, &t->h))
		return VX_TSO_BAD_HDR;
	t->mss = vh->gso_size;
	if (t->mss < VX_TSO_MIN_MSS)
		return VX_TSO_TOO_MANY;
	if (t->h.hdr_len + t->mss > max_l3 + (uint64_t)t->h.l3_off)
		return VX_TSO_TOO_BIG;
	t->payload = len - t->h.hdr_len;
	/* No more than one MSS of payload (or none) goes out as one segment. */
	nsegs = t->payload ? (t->payload - 1) / t->mss + 1 : 1;
	if (nsegs > VX_TSO_MAX_SEGS)
		return VX_TSO_TOO_MANY;
	t->nsegs = (uint16_t)nsegs;
	return 0;
}

int vx_tso_begin(struct vx_tso *t, const struct vx_vnet_hdr *vh, const struct vx_seg *src,
		 unsigned int nsrc, uint32_t len, uint32_t max_l3)
{
	const uint8_t *ip, *th;
	int err;

	/* Everything but hdr[]: a refused t has nsegs 0 and vx_tso_next writes nothing. */
	memset(&t->h, 0, sizeof(*t) - offsetof(struct vx_tso, h));
	if (len > VX_TSO_MAX_LEN)
		return VX_TSO_TOO_BIG;
	if (!src_holds(src, nsrc, len))
		return VX_TSO_BAD_HDR;
	t->src = src;
	t->nsrc = nsrc;
	err = tso_headers(t, vh, len, max_l3);
	if (err < 0) {
		t->nsegs = 0;
		return err;
	}
	ip = t->hdr + t->h.l3_off;
	th = t->hdr + t->h.l4_off;
	t->ip_id = t->h.l3_proto == ETH_P_IP ? rd16(ip + 4) : 0;
	t->seq = rd32(th + 4);
	t->tcp_flags = th[13];
	t->pseudo = vx_pkt_pseudo(t->hdr, &t->h, 0);
	/* The header copy read past hdr_len: the payload starts at hdr_len. */
	t->si = 0;
	t->soff = 0;
	src_take(t, NULL, t->h.hdr_len, NULL);
	return 0;
}

/* The segment's IP header: length, and for IPv4 the id and header checksum. */
static void tso_patch_ip(const struct vx_tso *t, uint8_t *dst, uint32_t n)
{
	uint8_t *ip = dst + t->h.l3_off;
	uint16_t c;

	if (t->h.l3_proto == ETH_P_IP) {
		wr16(ip + 2, n - t->h.l3_off);
		wr16(ip + 4, t->ip_id);
		wr16(ip + 10, 0);
		c = vx_csum_finish(vx_csum_partial(ip, t->h.l4_off - t->h.l3_off, 0));
		memcpy(ip + 10, &c, 2);
	} else {
		wr16(ip + 4, n - t->h.l3_off - 40);
	}
}

/* The segment's TCP header: sequence, flags (tcp_gso_segment) and checksum. */
static void tso_patch_tcp(const struct vx_tso *t, uint8_t *dst, uint32_t n, uint32_t payload_sum)
{
	uint8_t *th = dst + t->h.l4_off, lw[2];
	uint8_t flags = t->tcp_flags;
	uint32_t l4_len = n - t->h.l4_off, sum;
	uint16_t c;

	if (t->seg > 0)
		flags &= (uint8_t)~TCP_FLAG_CWR;
	if (t->seg + 1 < t->nsegs)
		flags &= (uint8_t) ~(TCP_FLAG_FIN | TCP_FLAG_PSH);
	wr32(th + 4, t->seq);
	th[13] = flags;
	wr16(th + 16, 0);
	wr16(lw, l4_len);
	sum = vx_csum_partial(lw, 2, t->pseudo);
	sum = vx_csum_partial(th, t->h.hdr_len - t->h.l4_off, sum);
	/* The TCP header is a multiple of 4 bytes: the payload starts even. */
	sum = vx_csum_add_at(sum, payload_sum, 0);
	c = vx_csum_finish(sum);
	memcpy(th + 16, &c, 2);
}

uint32_t vx_tso_next(struct vx_tso *t, uint8_t *dst, uint32_t room)
{
	uint32_t plen, n, sum = 0;

	if (t->seg >= t->nsegs)
		return 0;
	plen = min_u32(t->mss, t->payload - t->done);
	n = t->h.hdr_len + plen;
	if (n > room)
		return 0;
	memcpy(dst, t->hdr, t->h.hdr_len);
	src_take(t, dst + t->h.hdr_len, plen, &sum);
	tso_patch_ip(t, dst, n);
	tso_patch_tcp(t, dst, n, sum);
	t->ip_id++;
	t->seq += plen;
	t->done += plen;
	t->seg++;
	return n;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Header parsing, L4 checksum verification (device RX, virtio 1.2 5.1.6.4:
 * DATA_VALID) and checksum completion (device TX, 5.1.6.2: NEEDS_CSUM).
 *
 * The parser only ever looks at the private copy it is given, and each
 * offset it derives is checked against both the copy and the frame before
 * anything at that offset is read. Every sum is done in 32 bits on 16-bit
 * fields: nothing can overflow.
 */
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "offload/bytes.h"
#include "offload/csum.h"
#include "offload/pkt.h"

#define ETH_HLEN_VLAN 18u
#define IPV6_HLEN     40u
/* RFC 8200 4.1 order: hop-by-hop, destination options, routing, destination options. */
#define IPV6_MAX_EXT 4
#define IP_MF_OFFSET 0x3fff

static int parse_ipv4(const uint8_t *hdr, uint32_t avail, uint32_t frame_len, struct vx_pkt_hdrs *h)
{
	const uint8_t *ip = hdr + h->l3_off;
	uint32_t ihl, tot;

	if (h->l3_off + 20u > avail)
		return VX_PKT_SHORT;
	ihl = (ip[0] & 0xfu) * 4;
	if (ip[0] >> 4 != 4 || ihl < 20)
		return VX_PKT_BAD_IP;
	if (h->l3_off + ihl > avail)
		return VX_PKT_SHORT;
	tot = rd16(ip + 2);
	if (tot < ihl || h->l3_off + tot > frame_len)
		return VX_PKT_BAD_IP;
	if (rd16(ip + 6) & IP_MF_OFFSET)
		return VX_PKT_BAD_IP;
	h->l4_off = (uint16_t)(h->l3_off + ihl);
	h->l3_end = h->l3_off + tot;
	h->l4_proto = ip[9];
	return VX_PKT_OK;
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS;
}

static int parse_ipv6(const uint8_t *hdr, uint32_t avail, uint32_t frame_len, struct vx_pkt_hdrs *h)
{
	const uint8_t *ip = hdr + h->l3_off;
	uint32_t off, n;
	uint8_t nh;

	if (h->l3_off + IPV6_HLEN > avail)
		return VX_PKT_SHORT;
	if (ip[0] >> 4 != 6)
		return VX_PKT_BAD_IP;
	/* A payload length of 0 (a jumbogram, RFC 2675) has no TCP/UDP header to find. */
	h->l3_end = h->l3_off + IPV6_HLEN + rd16(ip + 4);
	if (h->l3_end > frame_len)
		return VX_PKT_BAD_IP;
	nh = ip[6];
	off = h->l3_off + IPV6_HLEN;
	for (n = 0; ipv6_is_ext(nh); n++) {
		if (n == IPV6_MAX_EXT)
			return VX_PKT_BAD_IP;
		if (off + 8 > avail)
			return VX_PKT_SHORT;
		nh = hdr[off];
		off += (hdr[off + 1] + 1u) * 8;
		if (off > h->l3_end)
			return VX_PKT_BAD_IP;
		if (off > avail)
			return VX_PKT_SHORT;
	}
	if (nh == IPPROTO_FRAGMENT)
		return VX_PKT_BAD_IP;
	h->l4_off = (uint16_t)off;
	h->l4_proto = nh;
	return VX_PKT_OK;
}

static int parse_l4(const uint8_t *hdr, uint32_t avail, struct vx_pkt_hdrs *h)
{
	const uint8_t *l4 = hdr + h->l4_off;
	uint32_t len;

	if (h->l4_proto == IPPROTO_TCP) {
		if (h->l4_off + 20u > avail)
			return h->l4_off + 20u > h->l3_end ? VX_PKT_BAD_L4 : VX_PKT_SHORT;
		len = (l4[12] >> 4) * 4u;
		if (len < 20 || h->l4_off + len > h->l3_end)
			return VX_PKT_BAD_L4;
		if (h->l4_off + len > avail)
			return VX_PKT_SHORT;
	} else if (h->l4_proto == IPPROTO_UDP) {
		if (h->l4_off + 8u > avail)
			return h->l4_off + 8u > h->l3_end ? VX_PKT_BAD_L4 : VX_PKT_SHORT;
		len = rd16(l4 + 4);
		if (len < 8 || h->l4_off + len > h->l3_end)
			return VX_PKT_BAD_L4;
		len = 8;
	} else {
		return VX_PKT_BAD_L4;
	}
	h->hdr_len = (uint16_t)(h->l4_off + len);
	return VX_PKT_OK;
}

int vx_pkt_parse(const uint8_t *hdr, uint32_t copy_len, uint32_t frame_len, struct vx_pkt_hdrs *h)
{
	uint32_t avail = copy_len < frame_len ? copy_len : frame_len;
	uint16_t type;
	int err;

	memset(h, 0, sizeof(*h));
	if (avail < ETH_HLEN)
		return VX_PKT_SHORT;
	type = rd16(hdr + 12);
	h->l3_off = ETH_HLEN;
	if (type == ETH_P_8021Q) {
		if (avail < ETH_HLEN_VLAN)
			return VX_PKT_SHORT;
		type = rd16(hdr + 16);
		h->l3_off = ETH_HLEN_VLAN;
		h->vlan = true;
	}
	if (type == ETH_P_IP)
		err = parse_ipv4(hdr, avail, frame_len, h);
	else if (type == ETH_P_IPV6)
		err = parse_ipv6(hdr, avail, frame_len, h);
	else
		err = VX_PKT_NOT_IP;
	if (err == VX_PKT_OK) {
		h->l3_proto = type;
		err = parse_l4(hdr, avail, h);
	}
	return err;
}

/* The pseudo-header sum of the packet h describes, for l4_len bytes of L4. */
uint32_t vx_pkt_pseudo(const uint8_t *hdr, const struct vx_pkt_hdrs *h, uint32_t l4_len)
{
	const uint8_t *ip = hdr + h->l3_off;

	if (h->l3_proto == ETH_P_IP)
		return vx_csum_pseudo4(ip + 12, ip + 16, h->l4_proto, l4_len);
	return vx_csum_pseudo6(ip + 8, ip + 24, h->l4_proto, l4_len);
}

enum vx_csum_state vx_pkt_csum_verify(const uint8_t *frame, uint32_t len,
				      const struct vx_pkt_hdrs *h)
{
	uint32_t l4_len, sum;

	/* h comes from vx_pkt_parse, but is checked against this frame all the same. */
	if (h->l3_end > len || h->hdr_len > h->l3_end || h->l4_off < h->l3_off + 20u ||
	    h->l3_off < ETH_HLEN)
		return VX_CSUM_NONE;
	if (h->l4_proto == IPPROTO_TCP) {
		l4_len = h->l3_end - h->l4_off;
	} else if (h->l4_proto == IPPROTO_UDP) {
		if (h->l4_off + 8u > h->l3_end)
			return VX_CSUM_NONE;
		l4_len = rd16(frame + h->l4_off + 4);
		if (l4_len < 8 || h->l4_off + l4_len > h->l3_end)
			return VX_CSUM_NONE;
		/* RFC 768: no checksum over IPv4; RFC 8200 8.1: IPv6 must have one. */
		if (rd16(frame + h->l4_off + 6) == 0)
			return h->l3_proto == ETH_P_IP ? VX_CSUM_GOOD : VX_CSUM_BAD;
	} else {
		return VX_CSUM_NONE;
	}
	sum = vx_pkt_pseudo(frame, h, l4_len);
	sum = vx_csum_partial(frame + h->l4_off, l4_len, sum);
	return vx_csum_fold(sum) == 0xffff ? VX_CSUM_GOOD : VX_CSUM_BAD;
}

int vx_pkt_csum_fill(uint8_t *frame, uint32_t len, const struct vx_vnet_hdr *vh)
{
	uint32_t start = vh->csum_start, field = start + vh->csum_offset;
	uint16_t c;

	if (start >= len || field + 2 > len)
		return VX_PKT_SHORT;
	/* The field holds the guest's pseudo-header sum and is summed with the rest. */
	c = vx_csum_finish(vx_csum_partial(frame + start, len - start, 0));
	/* As Linux's skb_checksum_help: 0 would mean "no checksum" to UDP. */
	if (c == 0)
		c = 0xffff;
	memcpy(frame + field, &c, 2);
	return 0;
}

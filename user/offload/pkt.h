/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header parsing for the offload engines. The input is always a private
 * copy of a frame's first bytes (never guest memory, which the guest may
 * change while we look: read once, then decide). Nothing a guest wrote in
 * its virtio-net header (hdr_len, csum_start, gso_type) is trusted here:
 * the offsets come from the packet's own headers, and are checked against
 * the copy's length and the frame's length.
 */
#ifndef VX_OFFLOAD_PKT_H
#define VX_OFFLOAD_PKT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Bytes of headers the engines copy and parse: Ethernet with one 802.1Q
 * tag (18), IPv6 (40) with up to 4 extension headers of at most 16 bytes
 * each, or IPv4 with options (60), and TCP with options (60).
 */
#define VX_PKT_HDR_MAX 192

/* The virtio-net header (virtio 1.2 5.1.6), in host byte order. */
struct vx_vnet_hdr {
	uint8_t flags;		/* VIRTIO_NET_HDR_F_NEEDS_CSUM, _DATA_VALID */
	uint8_t gso_type;	/* VIRTIO_NET_HDR_GSO_*, with _ECN */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

enum vx_pkt_err {
	VX_PKT_OK = 0,
	VX_PKT_SHORT = -1,	/* a header does not fit the copy or the frame */
	VX_PKT_NOT_IP = -2,	/* not IPv4 or IPv6 */
	VX_PKT_BAD_IP = -3,	/* version, IHL, lengths, fragment, extension chain */
	VX_PKT_BAD_L4 = -4,	/* TCP data offset, UDP length */
};

struct vx_pkt_hdrs {
	uint16_t l3_off;	/* IP header */
	uint16_t l4_off;	/* TCP or UDP header */
	uint16_t hdr_len;	/* l4_off + TCP header length (data offset), or + 8 for UDP */
	uint16_t l3_proto;	/* ETH_P_IP or ETH_P_IPV6, host order */
	uint8_t l4_proto;	/* IPPROTO_TCP, IPPROTO_UDP (others: VX_PKT_BAD_L4 / not parsed) */
	bool vlan;		/* one 802.1Q tag after the MAC addresses */
	uint32_t l3_end;	/* l3_off + the IP header's own length field (the frame may be padded beyond) */
};

/*
 * Parses Ethernet [802.1Q] IPv4|IPv6 TCP|UDP in hdr (copy_len bytes, a
 * copy of the first bytes of a frame of frame_len bytes). IPv4 fragments
 * (MF or an offset) and IPv6 fragment headers are refused (VX_PKT_BAD_IP).
 * Returns VX_PKT_OK with every offset within copy_len and l3_end within
 * frame_len, or a negative vx_pkt_err.
 */
int vx_pkt_parse(const uint8_t *hdr, uint32_t copy_len, uint32_t frame_len,
		 struct vx_pkt_hdrs *h);

/*
 * The pseudo-header sum (csum.h) of the IPv4/IPv6 packet h describes in hdr,
 * for l4_len bytes of h->l4_proto. h must come from vx_pkt_parse over hdr.
 */
uint32_t vx_pkt_pseudo(const uint8_t *hdr, const struct vx_pkt_hdrs *h, uint32_t l4_len);

enum vx_csum_state {
	VX_CSUM_NONE = 0,	/* not TCP/UDP over IP, or not parsed: the guest checks */
	VX_CSUM_GOOD,		/* L4 checksum verified (UDP checksum 0 over IPv4 counts as good) */
	VX_CSUM_BAD,		/* wrong: deliver without DATA_VALID, the guest drops it */
};

/* Verifies the L4 checksum of a flat frame whose headers h describes. */
enum vx_csum_state vx_pkt_csum_verify(const uint8_t *frame, uint32_t len,
				      const struct vx_pkt_hdrs *h);

/*
 * virtio 1.2 5.1.6.2: a frame with NEEDS_CSUM (and no GSO) gets the
 * checksum over [csum_start, len) stored at csum_start + csum_offset. The
 * guest's offsets are checked (csum_start < len, the field wholly inside
 * the frame); returns 0, or VX_PKT_SHORT if they point outside. A result of
 * 0 is stored as 0xffff (as Linux's skb_checksum_help: to UDP, 0 would mean
 * "no checksum"; to TCP both are the same). The caller checks vh->flags.
 */
int vx_pkt_csum_fill(uint8_t *frame, uint32_t len, const struct vx_vnet_hdr *vh);

#endif

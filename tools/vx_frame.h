/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test frame format shared by vx-pkt (wire side) and vx-guest (guest
 * side): Ethernet/IPv4/UDP to port VX_FRAME_PORT, a header with a magic,
 * a sequence number and the frame length, then a payload pattern derived
 * from the sequence number, so either end can verify every byte.
 */
#ifndef VX_FRAME_H
#define VX_FRAME_H

#include <stddef.h>
#include <stdint.h>
/*
 * struct iphdr, struct udphdr and IPPROTO_UDP come from the includer, from
 * either glibc's <netinet/...> or the kernel's <linux/...> headers (the two
 * sets cannot be mixed).
 */

#define VX_FRAME_MAGIC 0x76787074 /* "vxpt" */
#define VX_FRAME_PORT  9000

struct vx_frame_hdr {
	uint32_t magic;
	uint32_t seq;
	uint32_t len; /* whole frame length, as sent */
} __attribute__((packed));

static inline uint8_t vx_frame_pattern(uint32_t seq, size_t i)
{
	return (uint8_t)(seq * 7 + i);
}

/* Internet checksum (RFC 1071) of data, continuing from sum; returns it folded. */
static inline uint16_t vx_frame_csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum over the IPv4 pseudo-header and the segment (RFC 768). */
static inline uint16_t vx_frame_udp_csum(const struct iphdr *ip, const struct udphdr *udp,
					 size_t len)
{
	uint32_t sum = IPPROTO_UDP + len;

	sum += (uint16_t)~vx_frame_csum(&ip->saddr, 8, 0);
	return vx_frame_csum(udp, len, sum);
}

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The coalescer: consecutive in-order TCP segments of one flow, received
 * from the wire in one batch, become one large guest packet (GUEST_TSO4/6,
 * virtio 1.2 5.1.6.4), following the rules of Linux's tcp_gro_receive:
 *   - same flow (addresses, ports), same IP version, no IP options or
 *     IPv6 extension headers, IPv4 not fragmented, same TTL/hop limit and
 *     TOS/traffic class and DF, IPv4 ids consecutive or all equal;
 *   - same ACK number, window and TCP options (byte for byte);
 *   - sequence exactly continuing the train;
 *   - only ACK and PSH set; PSH ends the train (included); FIN, SYN, RST,
 *     URG or CWR, or no payload, cannot join one (and end it);
 *   - every segment's payload at most the first's (gso_size), and one
 *     shorter than it ends the train;
 *   - the train stays under 64 KiB of IP packet.
 * The caller verifies each frame's L4 checksum before offering it
 * (pkt.h); a frame with a bad checksum is never merged.
 *
 * The coalescer copies no payload: it keeps pointers to the frames (which
 * the caller holds until the train is flushed) and builds the merged
 * headers; the caller writes headers + pieces into the guest's buffers.
 */
#ifndef VX_OFFLOAD_GRO_H
#define VX_OFFLOAD_GRO_H

#include <stdbool.h>
#include <stdint.h>

#include "offload/pkt.h"

/* Segments per train: 64 KiB of 1448-byte segments is 45. */
#define VX_GRO_MAX_SEGS 48
/* Largest merged IP packet (IPv4 total length; IPv6 payload length held to the same). */
#define VX_GRO_MAX_L3	65535

struct vx_gro_piece {
	const uint8_t *data;	/* payload bytes of one segment (inside the caller's frame) */
	uint32_t len;
	uint64_t cookie;	/* the caller's handle for the frame (freed after the flush) */
};

struct vx_gro {
	uint8_t hdr[VX_PKT_HDR_MAX];	/* the first segment's headers, then the merged ones */
	struct vx_pkt_hdrs h;
	uint16_t mss;		/* the first segment's payload length */
	uint32_t next_seq;
	uint16_t next_id;	/* IPv4: the id the next segment must have (if ids increment) */
	bool id_fixed;		/* IPv4: every id equal so far (and more than one segment) */
	bool closed;		/* PSH or a short segment ended it: nothing more joins */
	uint8_t last_flags;	/* TCP flags of the last segment (PSH carried to the merged header) */
	uint32_t payload;	/* payload bytes in the train */
	unsigned int n;		/* segments, 0 = no train */
	struct vx_gro_piece piece[VX_GRO_MAX_SEGS];
};

enum vx_gro_res {
	VX_GRO_HELD = 0,	/* the frame is in the train: keep it until the flush */
	VX_GRO_FLUSH = 1,	/* it cannot join the open train: flush it, then offer the frame again */
	VX_GRO_PASS = 2,	/* it cannot start a train either: deliver it alone, as it is */
};

void vx_gro_init(struct vx_gro *g);
/*
 * Offers a flat frame of len bytes (checksum already verified good). The
 * headers are copied into g on the first segment; later segments are
 * compared against that copy.
 */
enum vx_gro_res vx_gro_add(struct vx_gro *g, const uint8_t *frame, uint32_t len, uint64_t cookie);
/*
 * Ends the open train (n >= 1): patches g->hdr into the merged packet's
 * headers (IPv4 total length and header checksum, or IPv6 payload length;
 * the last segment's PSH; the TCP checksum field set to the pseudo-header
 * sum, as for CHECKSUM_PARTIAL) and fills vh: for n >= 2 NEEDS_CSUM with
 * csum_start/offset, GSO_TCPV4/6 with gso_size = mss and hdr_len; for n == 1
 * the original headers are left unchanged and vh says DATA_VALID only.
 * After it, g->hdr[0..g->h.hdr_len) followed by piece[0..n) is the packet.
 * The caller frees the pieces' frames and calls vx_gro_init again.
 */
void vx_gro_finish(struct vx_gro *g, struct vx_vnet_hdr *vh);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The segmenter: one guest TSO frame (virtio 1.2 5.1.6.2, HOST_TSO4/6 and
 * HOST_ECN) cut into MSS-sized wire frames, as Linux's tcp_gso_segment
 * does. The payload is copied straight from guest memory into each output
 * frame and summed in the same pass; each segment gets its own IPv4
 * total length, id (+1 per segment) and header checksum, or IPv6 payload
 * length, its TCP sequence number, flags (CWR on the first only; FIN and
 * PSH on the last only) and TCP checksum.
 *
 * Usage:
 *	struct vx_tso t;
 *	if (vx_tso_begin(&t, &vh, segs, nsegs, len, max_l3) < 0)  -> drop, count the reason
 *	while ((n = vx_tso_next(&t, frame, room)) > 0)            -> send frame[0..n)
 *
 * The headers are copied out of guest memory once (vx_tso_begin) and
 * parsed there (pkt.h); gso_type must agree with what the headers are, and
 * hdr_len and csum_start from the guest are not used. A guest that changes
 * its payload while we copy gets garbage in its own segments, with correct
 * checksums over what was sent: nothing else is affected.
 */
#ifndef VX_OFFLOAD_TSO_H
#define VX_OFFLOAD_TSO_H

#include <stdint.h>

#include "guest_mem.h"
#include "offload/pkt.h"

/*
 * Segments per TSO frame. Linux sends at most 64 KiB per GSO frame; at the
 * smallest MSS we accept (VX_TSO_MIN_MSS) that is 257 segments. More are
 * refused: a guest must not make one frame cost unbounded work.
 */
#define VX_TSO_MAX_SEGS 320
#define VX_TSO_MIN_MSS	256
/* The largest GSO frame (IPv4 total length is 16 bits; we hold IPv6 to the same). */
#define VX_TSO_MAX_LEN	(65535 + 18)

enum vx_tso_err {
	VX_TSO_BAD_HDR = -1,	/* headers unparsable, not TCP, or gso_type disagrees with them */
	VX_TSO_TOO_MANY = -2,	/* more than VX_TSO_MAX_SEGS segments, or MSS below VX_TSO_MIN_MSS */
	VX_TSO_TOO_BIG = -3,	/* frame over VX_TSO_MAX_LEN, or headers + MSS over max_l3 + l3_off */
};

struct vx_tso {
	uint8_t hdr[VX_PKT_HDR_MAX];	/* the first segment's headers, private */
	struct vx_pkt_hdrs h;
	uint32_t mss;
	uint32_t payload;	/* total payload bytes (len - h.hdr_len) */
	uint32_t done;		/* payload bytes already emitted */
	uint16_t seg, nsegs;
	uint16_t ip_id;		/* of the next segment (IPv4) */
	uint32_t seq;		/* of the next segment */
	uint8_t tcp_flags;	/* of the original frame */
	uint32_t pseudo;	/* pseudo-header sum without the length */
	/* The source cursor: segment index and offset into it, after the headers. */
	const struct vx_seg *src;
	unsigned int nsrc, si;
	uint32_t soff;
};

/*
 * Prepares to cut the frame of len bytes lying in src (nsrc pieces, the
 * virtio-net header already skipped; pieces beyond len bytes are ignored,
 * pieces holding fewer than len bytes are refused). max_l3 is the NIC's MTU:
 * each segment's IP packet is at most that. The IP header's length must
 * be len (IPv4 total length, IPv6 payload length), else VX_TSO_BAD_HDR.
 * The ECN bit of gso_type is accepted either way: CWR goes on the first
 * segment only. A payload of at most one MSS (or none) is one segment.
 * src must stay valid until the last vx_tso_next. Returns 0 or a vx_tso_err.
 */
int vx_tso_begin(struct vx_tso *t, const struct vx_vnet_hdr *vh, const struct vx_seg *src,
		 unsigned int nsrc, uint32_t len, uint32_t max_l3);
/*
 * Writes the next segment into dst (room bytes, at least the headers plus
 * the MSS) and returns its length; 0 when every segment was written. If the
 * segment does not fit room, nothing is written and 0 is returned without
 * moving on: t->seg < t->nsegs then tells the caller the frame was cut
 * short (room >= h.hdr_len + mss always suffices; vx_tso_begin made sure
 * that is at most max_l3 + h.l3_off). After a refused vx_tso_begin it
 * returns 0.
 */
uint32_t vx_tso_next(struct vx_tso *t, uint8_t *dst, uint32_t room);

#endif

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
#include <stdint.h>

#include "offload/pkt.h"
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
enum vx_rx_result vx_rx_write(struct vx_vq *vq, const struct vx_rx_fmt *f,
			      const struct vx_vnet_hdr *vh, const struct vx_iov *iov,
			      unsigned int niov, uint32_t len);

/* The same for one contiguous frame with an all-zero header (no offload). */
enum vx_rx_result vx_rx_write_plain(struct vx_vq *vq, const struct vx_rx_fmt *f,
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

#endif

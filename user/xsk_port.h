/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One AF_XDP socket on one NIC queue, with its own UMEM and frame pool,
 * built on libxdp's xsk API. Single-threaded: the owning worker is the only
 * caller after open.
 */
#ifndef VX_XSK_PORT_H
#define VX_XSK_PORT_H

#include <stdbool.h>
#include <stdint.h>

struct vx_xsk;

enum vx_xsk_zc {
	VX_XSK_ZC_AUTO = 0,	/* try zero-copy, fall back to copy mode */
	VX_XSK_ZC_OFF,		/* copy mode only */
	VX_XSK_ZC_ON,		/* zero-copy or fail */
};

struct vx_xsk_opts {
	uint32_t nframes;	/* UMEM frames, power of two; 0 = default 4096 */
	uint32_t frame_size;	/* 0 = default 2048; 2048 or 4096 */
	enum vx_xsk_zc zc;
	bool skb_mode;		/* bind as XDP_SKB program mode (generic XDP) */
	bool load_default_prog;	/* tests only: let libxdp load its own redirect program */
	/*
	 * Dedicated queue (user/dq.c): a UMEM the caller built and keeps. Its
	 * first nframes * frame_size bytes are this socket's frame pool, the
	 * rest is "foreign" (guest memory). Chunks are unaligned; the pool is
	 * never lent to the fill ring (the caller posts foreign buffers there
	 * with vx_xsk_fill), and completed foreign TX addresses are kept for
	 * vx_xsk_foreign_done().
	 */
	void *area;
	size_t area_len;
	/*
	 * Bind with XDP_USE_SG (multi-buffer, Linux 6.6): a received packet
	 * longer than a frame comes as several descriptors, and one packet
	 * can be sent as several (vx_xsk_txv). A kernel without it refuses
	 * the bind with EINVAL; the caller retries without.
	 */
	bool sg;
};

struct vx_xsk_desc {
	uint64_t addr;		/* UMEM address of the frame data */
	uint64_t base;		/* the address the frame was lent as (fill ring entry) */
	uint32_t len;
	bool contd;		/* XDP_PKT_CONTD: the packet goes on in the next descriptor */
};

/* Queues an AF_XDP socket can bind to on ifname (ethtool channels), 0 if unknown. */
uint32_t vx_xsk_nic_queues(const char *ifname);

int vx_xsk_open(struct vx_xsk **out, const char *ifname, uint32_t queue,
		const struct vx_xsk_opts *opts);
void vx_xsk_close(struct vx_xsk *x);	/* NULL allowed */
int vx_xsk_fd(const struct vx_xsk *x);
bool vx_xsk_zerocopy(const struct vx_xsk *x);
uint32_t vx_xsk_frame_size(const struct vx_xsk *x);	/* usable bytes per frame */
void *vx_xsk_data(struct vx_xsk *x, uint64_t addr);

/* Frame pool (frames neither in a ring nor held by the caller). */
bool vx_xsk_frame_alloc(struct vx_xsk *x, uint64_t *addr);
void vx_xsk_frame_free(struct vx_xsk *x, uint64_t addr);

/*
 * RX: takes up to max received frames. With sg a packet may be several
 * descriptors in a row, all but its last with contd set; only whole
 * packets are returned (a packet cut by max stays in the RX ring for the
 * next call), so max must be at least the pieces a packet can have. A
 * packet of more than max pieces is dropped (vx_xsk_rx_drops). The caller owns them until it passes
 * each back with vx_xsk_frame_free() (or keeps them, e.g. in a backlog).
 * Also refills the fill ring from the pool and wakes the kernel when
 * need_wakeup says so.
 */
unsigned vx_xsk_rx(struct vx_xsk *x, struct vx_xsk_desc *descs, unsigned max);

/*
 * TX: queues one owned frame; false if the TX ring is full (the caller
 * keeps the frame). vx_xsk_tx_flush submits what was queued and kicks the
 * kernel once if needed. Completed frames return to the pool on the next
 * vx_xsk_rx/vx_xsk_tx_flush/vx_xsk_complete.
 */
bool vx_xsk_tx(struct vx_xsk *x, uint64_t addr, uint32_t len);
void vx_xsk_tx_flush(struct vx_xsk *x);
unsigned vx_xsk_complete(struct vx_xsk *x);

/* Dedicated queue: lends foreign buffers for RX; returns how many were taken. */
uint32_t vx_xsk_fill(struct vx_xsk *x, const uint64_t *addrs, uint32_t n);
/*
 * Dedicated queue: lends up to max frames of the socket's own pool for RX
 * too (spares for when the guest posts no buffers); returns how many. They
 * come back from vx_xsk_rx with a base below vx_xsk_pool_end().
 */
uint32_t vx_xsk_fill_spare(struct vx_xsk *x, uint32_t max);
/* Room left in the fill ring for vx_xsk_fill. */
uint32_t vx_xsk_fill_room(const struct vx_xsk *x);
/*
 * Queues one packet in n descriptors (XDP_USE_SG; n >= 1), each an owned
 * frame; false if the TX ring has no room for all of them (the caller keeps
 * them all).
 */
bool vx_xsk_txv(struct vx_xsk *x, const uint64_t *addrs, const uint32_t *lens, unsigned int n);
/* The same for two descriptors. */
bool vx_xsk_tx2(struct vx_xsk *x, uint64_t a1, uint32_t l1, uint64_t a2, uint32_t l2);
/* Whether the socket is bound with XDP_USE_SG. */
bool vx_xsk_sg(const struct vx_xsk *x);
/*
 * Bytes of one frame a TX descriptor may use from the frame's base (the
 * whole chunk: TX has no headroom), against vx_xsk_frame_size() for RX.
 */
uint32_t vx_xsk_chunk_size(const struct vx_xsk *x);
/*
 * Whether the last vx_xsk_rx call saw a packet of several pieces (contd set
 * anywhere): lets the caller keep a loop for single-piece batches.
 */
bool vx_xsk_rx_multi(const struct vx_xsk *x);
/* Received packets dropped here because they had more pieces than one vx_xsk_rx call takes. */
uint64_t vx_xsk_rx_drops(const struct vx_xsk *x);
/* Takes up to max completed foreign TX addresses. */
uint32_t vx_xsk_foreign_done(struct vx_xsk *x, uint64_t *addrs, uint32_t max);
/* First foreign address (the pool's end). */
uint64_t vx_xsk_pool_end(const struct vx_xsk *x);
/* Frames the kernel dropped on this socket (XDP_STATISTICS: RX ring full, fill ring empty). */
uint64_t vx_xsk_kernel_drops(const struct vx_xsk *x);

/*
 * Preferred busy polling of the socket's NAPI context (SO_PREFER_BUSY_POLL,
 * SO_BUSY_POLL usec, SO_BUSY_POLL_BUDGET budget); -errno if the kernel
 * refuses. vx_xsk_busy_poll then runs one round of it (a recvfrom).
 */
int vx_xsk_set_busy_poll(struct vx_xsk *x, unsigned int usec, unsigned int budget);
void vx_xsk_busy_poll(struct vx_xsk *x);

/*
 * Frames the caller holds (neither in the pool nor lent to the kernel):
 * nframes - pool - lent. 0 whenever nothing waits in a backlog; a count
 * that stays up after traffic stops is a leak.
 */
uint32_t vx_xsk_held(const struct vx_xsk *x);

/* Free frames in the pool (for backlog accounting and tests). */
uint32_t vx_xsk_pool_free(const struct vx_xsk *x);

/*
 * Debug/tests: frames lent to the kernel by our own count (*lent) and as the
 * fill, RX, TX and completion rings' indices show (*in_rings; equal to *lent
 * whenever the kernel is idle). pool + lent + held by the caller == nframes.
 */
void vx_xsk_debug_frames(const struct vx_xsk *x, uint32_t *lent, uint32_t *in_rings);

#endif

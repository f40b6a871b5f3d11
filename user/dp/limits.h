/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every limit of the data path, in one place, each with its reason. The
 * guest controls the rings and the NIC's peer controls what arrives, so
 * each of these bounds the work or memory one of them can cause, or says
 * what the daemon gives up on rather than walking or holding without end.
 * (Limits of the control plane stay with their parsers: guest_mem.h,
 * vu_msg.h, the steering map in include/vhost_xdp/steer_kern_user.h.)
 */
#ifndef VX_LIMITS_H
#define VX_LIMITS_H

/* ---- rings ---- */

/* virtio 1.2 2.7: Queue Size is a power of two, at most 32768. */
#define VX_VQ_MAX_SIZE 32768
/*
 * A chain may be as long as its queue (virtio 1.2 2.7.5.2: a driver MUST
 * NOT make one longer; 2.7.5.3.1 the same for an indirect table). Each
 * descriptor is one segment unless it crosses from one memory region into
 * the next; this many such crossings are allowed per chain on top of the
 * queue size. A longer chain, or a loop, breaks the queue (vx_vq_fail).
 */
#define VX_CHAIN_SPLIT_SEGS 64

/* ---- queue pairs and threads ---- */

/* Queue pairs a device can have (VIRTIO_NET_F_MQ); a port may offer fewer. */
#define VX_DEV_MAX_QP 8
/* Worker threads per NIC; per-worker counters are kept this wide. */
#define VX_MAX_WORKERS 8
/* Shared RX pairs one worker holds locked at once (user/dp/rx.c). */
#define VX_HELD_MAX 8

/*
 * ---- one pass of a worker ----
 * After vhost-net's VHOST_NET_WEIGHT and VHOST_NET_PKT_WEIGHT: a guest
 * that keeps its TX ring full, or a flood towards one port, must not
 * starve the other ports (CVE-2019-3900).
 */
#define VX_BATCH	  64		/* frames per AF_XDP RX call */
#define VX_TX_PKT_WEIGHT  256		/* guest TX chains per port per pass */
#define VX_TX_BYTE_WEIGHT (512 * 1024)	/* guest TX bytes per port per pass */
#define VX_RX_BATCHES	  4		/* AF_XDP RX batches per socket per pass */
#define VX_BCAST_WEIGHT	  64		/* broadcast frames per pass */

/*
 * Event mode under load: a wake-up costs the worker an epoll_wait and a
 * context switch, and the guest an eventfd write per kick. After a pass
 * that moved at least VX_BUSY_MIN_WORK chains or frames (a backlog built up
 * while we slept, so packets come faster than we wake) the worker keeps
 * polling, with kicks still off, until --busy-poll microseconds pass with
 * nothing to do. A trickle (a ping, a few thousand packets per second)
 * never reaches the threshold and keeps the sleep-on-every-pass behaviour.
 */
#define VX_BUSY_MIN_WORK  16
/*
 * The spin window grows (doubling) while busy periods keep coming back
 * right after the worker gave up on them, up to this; it costs at most this
 * much CPU per busy period that really ended.
 */
#define VX_BUSY_SPIN_MAX_US 1000

/* ---- frames ---- */

/*
 * With MRG_RXBUF, RX buffers one frame may spread over (virtio 1.2
 * 5.1.6.4: num_buffers). A guest posting tiny buffers gets its frame
 * dropped (rx_drop_too_big) rather than spread over hundreds of them.
 */
#define VX_RX_MAX_BUFS 64
/* Guest TX data is copied this far into a UMEM frame, leaving room for a VLAN tag. */
#define VX_TX_PAD 4
/*
 * Frames waiting for the guest to post RX buffers, per queue pair. Holding
 * a few keeps a short burst from becoming drops (and TCP retransmits)
 * while the guest refills its ring; beyond this, frames are dropped and
 * counted.
 */
#define VX_RX_BACKLOG 256
/*
 * Backlog entries per queue pair: one per UMEM frame, so a frame of several
 * pieces takes several. Enough for 170 frames of 6 pieces (MTU 9000), so
 * that a jumbo burst is not dropped after 42; 1024 held frames of the
 * socket's 4096 still leave the TX path and the fill ring theirs.
 */
#define VX_RX_BACKLOG_ENTS 1024
/*
 * Multi-buffer AF_XDP (XDP_USE_SG): one frame in several UMEM frames. The
 * kernel fills RX frames from XDP_PACKET_HEADROOM on, 1792 bytes each: a
 * 9000-byte MTU frame with a VLAN tag (9018) is 6 pieces, 9216 + tags 6
 * too. More pieces than VX_RX_MAX_PIECES (a peer with a larger MTU) are
 * dropped and counted (rx_drop_pieces); it also bounds the gather list.
 * TX fills whole 2048-byte frames (the first 4 bytes short, VX_TX_PAD):
 * 9018 bytes are 5 pieces, and 5 hold 10236 bytes. A guest frame is
 * further limited by the NIC's MTU + 14 (tx_drop_too_big).
 */
#define VX_RX_MAX_PIECES 8
#define VX_TX_MAX_PIECES 5

/* Largest frame from the broadcast tap (an AF_PACKET socket): a 9000-byte MTU and tags. */
#define VX_BCAST_FRAME_MAX 9216

/* ---- dedicated queue (user/dq.h) ---- */

/* Buffers lent to the kernel per direction: the AF_XDP ring size (xsk_port.c). */
#define VX_DQ_INFLIGHT 2048
/* The socket's own frames (2048 bytes each) in front of guest memory. */
#define VX_DQ_NFRAMES 4096
/* Guest RX buffers posted to the fill ring per pass (vhost-net's batch). */
#define VX_DQ_POST_BATCH 64
/*
 * Spares: when fewer than VX_DQ_SPARE_LOW buffers are left with the kernel
 * (the guest is not posting fast enough), up to VX_DQ_SPARE frames of the
 * socket's own pool go to the fill ring too. A frame that lands in one is
 * copied into the guest like a shared-queue frame, through the pair's
 * backlog, instead of being dropped by the kernel. Until every spare is
 * back and the backlog is empty, new guest buffers are not lent: the copies
 * need them, and the fill ring, which the kernel takes in order, then holds
 * no guest buffer behind a spare, so frames reach the guest in the order
 * they came (a guest buffer lent behind a spare would be filled while the
 * spare's frame waits for a buffer the guest cannot post: a deadlock).
 */
#define VX_DQ_SPARE	 256
#define VX_DQ_SPARE_LOW	 64

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data-path counters. Each is written by exactly one worker thread, so no
 * atomics; the stats writer reads them without locking (64-bit loads do not
 * tear on the platforms we build for, and a counter read one packet late is
 * fine).
 */
#ifndef VX_STATS_H
#define VX_STATS_H

#include <stdint.h>
#include <stdio.h>

#define VX_PORT_COUNTERS(X)                                                                \
	X(tx_packets)		/* guest -> wire or another port */                        \
	X(tx_bytes)                                                                        \
	X(tx_drop_too_big)	/* larger than the MTU or a UMEM frame */                  \
	X(tx_drop_runt)		/* shorter than an Ethernet header, or no header at all */ \
	X(tx_drop_spoofed)	/* source MAC is not the port's */                         \
	X(tx_drop_link_down)	/* NIC down or gone */                                     \
	X(rx_packets)		/* -> guest */                                             \
	X(rx_bytes)                                                                        \
	X(rx_drop_no_buffer)	/* guest posted no buffers and the backlog was full */     \
	X(rx_drop_too_big)	/* guest buffers too small for the frame */                \
	X(rx_drop_not_ready)	/* no guest attached or queue not running */               \
	X(local_switched)	/* delivered to another port on this NIC */                \
	X(queue_broken)		/* times a queue of this port was marked broken */          \
	X(tx_in_place)		/* dedicated queue: sent from guest memory, not copied */  \
	X(rx_in_place)		/* dedicated queue: written by the kernel into the guest */\
	X(rx_buf_refused)	/* dedicated queue: RX buffer unusable, returned empty */  \
	X(rx_drop_kernel)	/* dedicated queue: dropped by the kernel (no buffer) */\
	X(tx_csum)		/* checksums finished for the guest (NEEDS_CSUM) */        \
	X(tx_gso)		/* guest TSO frames cut into segments */                   \
	X(tx_gso_segs)		/* segments those made */                                  \
	X(tx_gso_local)		/* TSO frames passed whole to a port with GUEST_TSO */     \
	X(tx_drop_bad_offload)	/* offload request refused: bad header, not negotiated */  \
	X(tx_drop_gso_segs)	/* TSO frame with too many segments (MSS too small) */     \
	X(tx_drop_gso_too_big)	/* TSO frame too long, or headers + MSS over the MTU */    \
	X(rx_csum_good)		/* L4 checksum verified: DATA_VALID */                     \
	X(rx_csum_bad)		/* L4 checksum wrong: passed on without DATA_VALID */      \
	X(rx_gro)		/* coalesced packets delivered (GUEST_TSO) */              \
	X(rx_gro_segs)		/* wire frames in them */

#define VX_NIC_COUNTERS(X)                                                                 \
	X(rx_frames)		/* frames taken from the AF_XDP sockets */                 \
	X(rx_no_port)		/* redirected frame matched no port (raced a removal) */   \
	X(bcast_frames)		/* broadcast/multicast frames from the AF_PACKET tap */    \
	X(tx_frames)		/* frames queued on AF_XDP TX */                           \
	X(tx_drop_no_frame)	/* UMEM exhausted or TX ring full */                       \
	X(rx_multibuf)		/* frames that came in several pieces (XDP_USE_SG) */      \
	X(tx_multibuf)		/* frames sent in several pieces */                        \
	X(rx_drop_pieces)	/* frames of more than VX_RX_MAX_PIECES pieces */          \
	X(wakeups)		/* worker loop iterations */

enum vx_stats_format {
	VX_STATS_TEXT,		/* `object counter value` lines */
	VX_STATS_PROMETHEUS,	/* node_exporter's textfile collector */
	VX_STATS_JSON,
	VX_STATS_TABLE,		/* a row per port, for people (vhost-xdpctl stats) */
};

#define VX_COUNTER_FIELD(name) uint64_t name;

struct vx_port_stats {
	VX_PORT_COUNTERS(VX_COUNTER_FIELD)
};

struct vx_nic_stats {
	VX_NIC_COUNTERS(VX_COUNTER_FIELD)
};

/* s as a JSON string, quotes included: names are [A-Za-z0-9_-], paths may hold anything. */
void vx_json_str(FILE *f, const char *s);
void vx_port_stats_print(FILE *f, const char *obj, const struct vx_port_stats *s);
void vx_nic_stats_print(FILE *f, const char *obj, const struct vx_nic_stats *s);

#endif

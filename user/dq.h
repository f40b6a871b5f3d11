/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dedicated-queue mode: the AF_XDP socket of a NIC queue that belongs to one
 * VM uses that VM's memory as its UMEM. The kernel then writes received
 * frames straight into the guest's RX buffers (one copy in copy mode, none
 * with a zero-copy driver) and reads guest TX frames where the guest put
 * them.
 *
 * The UMEM is one contiguous range: this socket's own frame pool first (TX
 * of copied frames, the 14-byte Ethernet header of zero-copy TX, the RX
 * backlog), then a second mapping of each guest memory region's file (the
 * same pages as the daemon's own mapping). Addresses above the pool are
 * guest memory.
 *
 * What keeps it safe (the guest is never trusted):
 *  - Only one VM's traffic reaches the queue: the mode needs a NIC with one
 *    queue and one untagged port (vx_dq_config_check), so the steering
 *    program redirects nothing else to this socket.
 *  - Nothing is written past a guest buffer: a buffer is lent to the fill
 *    ring only if its first writable descriptor holds the virtio-net header
 *    plus max_len bytes, and the steering program drops longer frames (and
 *    frames carrying metadata, which would be written in front of the data)
 *    for this port before the kernel copies anything (vx_port_val.max_len).
 *  - Nothing is written before it: the kernel writes the frame
 *    XDP_PACKET_HEADROOM bytes after the fill address; the fill address is
 *    the buffer start + header - XDP_PACKET_HEADROOM, and those 256 bytes,
 *    which may belong to something else, are not written in copy mode.
 *    A buffer that starts less than that far into its region is refused.
 *  - TX in place (port key tx=inplace): a guest TX frame is read by the
 *    kernel after we checked it, so the guest could rewrite it in between:
 *    the Ethernet header (source MAC anti-spoofing) is copied into a frame of
 *    our own and sent as the first of two descriptors (XDP_USE_SG); only the
 *    payload is read in place. A kernel without multi-buffer TX gets the copy
 *    path instead. It is not the default: in copy mode the kernel copies
 *    every TX descriptor into a new skb anyway (xsk_build_skb), and a packet
 *    in two descriptors costs it a page allocation more than our copy saves
 *    (docs/results.md); it pays off only once the socket is zero-copy.
 *  - A buffer lent to the kernel is given back to the guest (used ring)
 *    only when the kernel is done with it: RX when its frame arrives, TX on
 *    completion, and everything still lent when the mode stops (a ring
 *    stops, the memory table changes, the guest goes away) comes back with
 *    length 0 after the socket is closed.
 */
#ifndef VX_DQ_H
#define VX_DQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "virtq.h"

#include "dp/limits.h"

/* Regions are placed at this alignment in the UMEM (huge pages stay aligned). */
#define VX_DQ_ALIGN (2ull << 20)

struct vx_dq_ent {
	uint64_t addr;		/* RX: fill address; TX: payload address */
	uint64_t gpa;		/* RX: guest address of the buffer (dirty log) */
	uint16_t head;
};

/* Buffers lent to the kernel, oldest first; found by address when they return. */
struct vx_dq_fifo {
	struct vx_dq_ent e[VX_DQ_INFLIGHT];
	uint32_t first, n;
};

struct vx_dq_region {
	uint64_t gpa, size;
	uint64_t off;		/* UMEM address of gpa */
	uint64_t map_off;	/* UMEM address where this region's mapping starts */
	const void *src;	/* the vx_mem mapping it aliases (to notice a new table) */
};

struct vx_dq {
	uint8_t *area;		/* the UMEM */
	size_t area_len;
	uint64_t pool_len;
	struct vx_dq_region reg[VX_MEM_MAX_REGIONS];
	unsigned int nreg;
	uint32_t max_len;	/* longest frame a posted RX buffer holds (after the header) */
	bool zc_tx;		/* guest TX payload read in place */
	bool failed;		/* the last start failed; not retried until the table changes */
	uint32_t spare_lent;	/* pool frames in the fill ring or the kernel */
	bool rx_posted;		/* the guest has posted RX buffers since the start: spares
				 * are for a guest that falls behind, not one still setting up */
	struct vx_dq_fifo rx, tx;
};

/* Builds the UMEM over m, after pool_len bytes of the socket's own frames. */
int vx_dq_map(struct vx_dq *dq, const struct vx_mem *m, uint64_t pool_len);
void vx_dq_unmap(struct vx_dq *dq);
/* True if m is not the table the UMEM was built from. */
bool vx_dq_stale(const struct vx_dq *dq, const struct vx_mem *m);
/* UMEM address of [gpa, gpa+len), or -EFAULT unless it lies inside one mapped region. */
int vx_dq_umem_addr(const struct vx_dq *dq, uint64_t gpa, uint64_t len, uint64_t *addr);

/*
 * The fill address for an RX chain, or -EINVAL if its buffer cannot take a
 * frame in place (not writable, first segment smaller than hdr_len +
 * max_len, too close to the start of its region).
 */
int vx_dq_rx_fill_addr(const struct vx_dq *dq, const struct vx_chain *c, uint32_t hdr_len,
		       uint64_t *fill, uint64_t *gpa);
/*
 * Where a TX chain's frame lies, if it is one contiguous piece of guest
 * memory after the header: *addr and *len. -EINVAL otherwise (copy path).
 */
int vx_dq_tx_frame(const struct vx_dq *dq, const struct vx_chain *c, uint32_t hdr_len,
		   uint64_t *addr, uint32_t *len);

bool vx_dq_fifo_push(struct vx_dq_fifo *f, const struct vx_dq_ent *e);
/* Takes the oldest entry with this address; false if there is none. */
bool vx_dq_fifo_take(struct vx_dq_fifo *f, uint64_t addr, struct vx_dq_ent *out);
/* Takes the oldest entry, whatever its address; false if empty. */
bool vx_dq_fifo_pop(struct vx_dq_fifo *f, struct vx_dq_ent *out);

#endif

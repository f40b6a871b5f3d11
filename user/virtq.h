/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueues (virtio 1.2, section 2.7), device side. The guest owns
 * the rings and is never trusted: every descriptor, ring entry and index is
 * read once into a local copy, every address goes through guest_mem's
 * checked translation, and every malformed chain marks the queue broken and
 * signals its error eventfd instead of touching anything else (see
 * vx_vq_fail).
 */
#ifndef VX_VIRTQ_H
#define VX_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"

#include "dp/limits.h"

/*
 * One chain, translated. Its segments live in the queue's own array
 * (vx_vq.segs, sized when the ring is mapped): they are valid until the
 * next vx_vq_pop on the same queue. A caller that needs part of a chain
 * across pops copies those segments (user/dp/rxbuf.c does for the header).
 */
struct vx_chain {
	uint16_t head;
	uint16_t nout;		/* device-readable segments, first */
	uint16_t nin;		/* device-writable segments, after them */
	uint32_t out_len;
	uint32_t in_len;
	struct vx_seg *seg;
};

struct vx_vq {
	char name[24];		/* "vm0 vq1", for log lines */

	/* Set by the control thread while the worker is paused. */
	uint16_t num;
	uint64_t desc_uva, avail_uva, used_uva, log_gpa;
	bool addr_set;		/* SET_VRING_ADDR was received (any uva, 0 included, is valid) */
	bool log_used;		/* VHOST_VRING_F_LOG: log used-ring writes */
	bool event_idx;
	bool enabled;		/* SET_VRING_ENABLE, or implicit without protocol features */
	bool started;		/* has a kick fd (or polls), not stopped by GET_VRING_BASE */
	int kick_fd, call_fd, err_fd;
	const struct vx_mem *mem;
	struct vx_dirty_log *log;	/* non-NULL while VHOST_F_LOG_ALL is on */

	/* Ring pointers, valid when ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool ready;
	bool broken;

	/* Device state; the control thread reads last_avail at GET_VRING_BASE. */
	uint16_t last_avail;
	uint16_t avail_seen;	/* avail->idx as last read */
	uint16_t used_idx;	/* next used entry; published on flush */
	uint16_t used_pub;	/* used->idx as last published */
	uint16_t signalled_used;
	bool signalled_valid;

	uint64_t errors;	/* times the queue was marked broken */

	/* Segment storage for popped chains: num + VX_CHAIN_SPLIT_SEGS entries (limits.h). */
	struct vx_seg *segs;
	uint32_t segs_cap;
};

void vx_vq_init(struct vx_vq *vq, const char *name);
/*
 * Translates the ring addresses through mem and sizes the segment storage.
 * Returns 0 and sets ready, -EFAULT if a ring is not wholly inside one
 * region (the queue then stays not ready; it is retried when the memory
 * table changes), or -ENOMEM.
 */
int vx_vq_map(struct vx_vq *vq);
/* Closes the eventfds and returns to the just-initialised state (keeps the segment storage). */
void vx_vq_reset(struct vx_vq *vq);
/* Frees the segment storage too (the port goes away). */
void vx_vq_free(struct vx_vq *vq);
/* Segments a chain of this queue may have: the queue size plus region splits. */
uint32_t vx_vq_max_segs(const struct vx_vq *vq);
/* True if the worker may process this queue (per packet: inline). */
static inline bool vx_vq_active(const struct vx_vq *vq)
{
	return vq->ready && vq->started && vq->enabled && !vq->broken;
}

/*
 * Takes the next available chain. Returns 1 with *c filled, 0 if the ring
 * is empty, or -EIO if the queue is (now) broken.
 */
int vx_vq_pop(struct vx_vq *vq, struct vx_chain *c);
/* Gives the last n popped chains back, unused (e.g. a packet did not fit). */
void vx_vq_unpop(struct vx_vq *vq, uint16_t n);
/* Writes one used element; not visible to the guest until vx_vq_flush. */
void vx_vq_push(struct vx_vq *vq, uint16_t head, uint32_t len);
/* Marks the first len bytes of c's writable segments dirty (during migration). */
void vx_vq_log_write_slow(struct vx_vq *vq, const struct vx_chain *c, uint32_t len);
static inline void vx_vq_log_write(struct vx_vq *vq, const struct vx_chain *c, uint32_t len)
{
	if (vq->log)	/* only while migrating: no call per packet otherwise */
		vx_vq_log_write_slow(vq, c, len);
}
/* Publishes pushed elements and interrupts the guest if it asked for it. */
void vx_vq_flush(struct vx_vq *vq);

/*
 * Kick suppression (virtio 1.2 2.7.7, 2.7.10): while the worker is busy it
 * asks for no kicks; before sleeping it re-enables them. Returns true if
 * buffers arrived in the meantime, so the caller must not sleep.
 */
void vx_vq_kick_disable(struct vx_vq *vq);
bool vx_vq_kick_enable(struct vx_vq *vq);

/* Marks the queue broken: counts, logs at debug level, signals err_fd. */
void vx_vq_fail(struct vx_vq *vq, const char *why);

/* Copies between a chain's segments and a flat buffer, starting `skip` bytes in. */
uint32_t vx_chain_read(const struct vx_chain *c, uint32_t skip, void *buf, uint32_t len);
uint32_t vx_chain_write(const struct vx_chain *c, uint32_t skip, const void *buf, uint32_t len);

#endif

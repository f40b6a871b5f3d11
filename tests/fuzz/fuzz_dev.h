/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device the vhost-user targets (fuzz_vu, fuzz_kdev) drive, and the
 * invariants it must keep after every message, whatever the message was.
 */
#ifndef VX_FUZZ_DEV_H
#define VX_FUZZ_DEV_H

#include "fuzz_common.h"
#include "vhost_user.h"

static struct vx_dev dev;

static void check_fd(int fd, const char *what)
{
	if (fd >= 0 && !fz_fd_open(fd)) {
		fprintf(stderr, "fuzz: the device holds a closed fd (%s)\n", what);
		abort();
	}
}

static void check_dev(const struct vx_dev *d)
{
	unsigned int i;

	if (d->mem.n > VX_MEM_MAX_REGIONS)
		abort();
	for (i = 0; i < d->mem.n; i++) {
		const struct vx_mem_region *r = &d->mem.r[i];

		if (!r->size || r->hva != (uint8_t *)r->map + r->mmap_offset ||
		    r->map_len < r->mmap_offset + r->size || !r->refs || r->refs > VX_MEM_MAX_REFS)
			abort();
		if (d->mem.keep_fds ? r->fd < 0 : r->fd != -1)
			abort();
		check_fd(r->fd, "region");
	}
	for (i = 0; i < VX_VQ_MAX; i++) {
		const struct vx_vq *vq = &d->vq[i];

		check_fd(vq->kick_fd, "kick");
		check_fd(vq->call_fd, "call");
		check_fd(vq->err_fd, "err");
		if (vq->mem != &d->mem)
			abort();
		/* Rings past the pairs offered do not exist. */
		if (i >= 2u * d->max_qp &&
		    (vq->num || vq->addr_set || vq->kick_fd >= 0 || vq->call_fd >= 0 ||
		     vq->err_fd >= 0 || vq->started || vq->enabled))
			abort();
		if (vq->num && (vq->num & (vq->num - 1)))
			abort();
		if (!vq->ready)
			continue;
		if (!vq->num || vq->segs_cap < vx_vq_max_segs(vq) ||
		    (void *)vq->desc != vx_mem_uva(&d->mem, vq->desc_uva, 16ull * vq->num) ||
		    (void *)vq->avail != vx_mem_uva(&d->mem, vq->avail_uva, 6ull + 2ull * vq->num) ||
		    (void *)vq->used != vx_mem_uva(&d->mem, vq->used_uva, 6ull + 8ull * vq->num)) {
			fprintf(stderr, "fuzz: vq%u ready with a ring outside guest memory\n", i);
			abort();
		}
	}
	if (d->log.bits && (!d->log.map || d->log.bits < (uint8_t *)d->log.map ||
			     d->log.bits + d->log.size > (uint8_t *)d->log.map + d->log.map_len))
		abort();
}

static void check_outcome(const struct vu_msg *m, struct vx_outcome o)
{
	/* vx_dev_handle closes (or keeps) every fd: none is left in the message. */
	if (m->nfds)
		abort();
	if (o.reply && m->hdr.size > sizeof(m->p))
		abort();
	if (o.reply && o.drop)
		abort();
}

#endif

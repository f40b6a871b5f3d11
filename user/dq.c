// SPDX-License-Identifier: GPL-2.0
/* Dedicated-queue mode: the UMEM over guest memory and its address checks (see dq.h). */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "dq.h"

#ifndef XDP_PACKET_HEADROOM
#define XDP_PACKET_HEADROOM 256	/* include/uapi/linux/bpf.h */
#endif

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Total UMEM length, with a slack chunk at the end; 0 on overflow. */
static uint64_t dq_len(const struct vx_mem *m, uint64_t pool_len)
{
	uint64_t len = align_up(pool_len, VX_DQ_ALIGN);
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		uint64_t l = align_up(m->r[i].map_len, VX_DQ_ALIGN);

		if (l < m->r[i].map_len || len + l < len)
			return 0;
		len += l;
	}
	return len + VX_DQ_ALIGN < len ? 0 : len + VX_DQ_ALIGN;
}

/*
 * Reserves len bytes at a VX_DQ_ALIGN-aligned address, backed by shared
 * anonymous memory (the pool and the gaps between regions must be pinnable).
 */
static uint8_t *dq_reserve(uint64_t len)
{
	uint8_t *p, *base;
	uint64_t head;

	p = mmap(NULL, len + VX_DQ_ALIGN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	base = (uint8_t *)align_up((uintptr_t)p, VX_DQ_ALIGN);
	head = base - p;
	if (head)
		munmap(p, head);
	munmap(base + len, VX_DQ_ALIGN - head);
	if (mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1,
		 0) == MAP_FAILED) {
		munmap(base, len);
		return NULL;
	}
	return base;
}

int vx_dq_map(struct vx_dq *dq, const struct vx_mem *m, uint64_t pool_len)
{
	uint64_t len = dq_len(m, pool_len), cur;
	unsigned int i;
	int err;

	if (!len || !m->n)
		return -EINVAL;
	dq->area = dq_reserve(len);
	if (!dq->area)
		return -ENOMEM;
	dq->area_len = len;
	dq->pool_len = pool_len;
	cur = align_up(pool_len, VX_DQ_ALIGN);
	for (i = 0; i < m->n; i++) {
		const struct vx_mem_region *r = &m->r[i];
		struct vx_dq_region *d = &dq->reg[i];

		if (r->fd < 0) {
			vx_dq_unmap(dq);
			return -EBADF;
		}
		/* A second mapping of the same file, as vx_mem_add mapped it. */
		if (mmap(dq->area + cur, r->map_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_NORESERVE, r->fd, 0) == MAP_FAILED) {
			err = -errno;
			vx_dq_unmap(dq);
			return err;
		}
		d->gpa = r->gpa;
		d->size = r->size;
		d->map_off = cur;
		d->off = cur + (uint64_t)(r->hva - (const uint8_t *)r->map);
		d->src = r->map;
		cur += align_up(r->map_len, VX_DQ_ALIGN);
	}
	dq->nreg = m->n;
	return 0;
}

void vx_dq_unmap(struct vx_dq *dq)
{
	if (dq->area)
		munmap(dq->area, dq->area_len);
	dq->area = NULL;
	dq->area_len = 0;
	dq->nreg = 0;
}

bool vx_dq_stale(const struct vx_dq *dq, const struct vx_mem *m)
{
	unsigned int i;

	if (m->n != dq->nreg)
		return true;
	for (i = 0; i < m->n; i++)
		if (m->r[i].map != dq->reg[i].src || m->r[i].gpa != dq->reg[i].gpa ||
		    m->r[i].size != dq->reg[i].size)
			return true;
	return false;
}

static const struct vx_dq_region *dq_region(const struct vx_dq *dq, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < dq->nreg; i++) {
		const struct vx_dq_region *r = &dq->reg[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

int vx_dq_umem_addr(const struct vx_dq *dq, uint64_t gpa, uint64_t len, uint64_t *addr)
{
	const struct vx_dq_region *r = dq_region(dq, gpa, len);

	if (!r)
		return -EFAULT;
	*addr = r->off + (gpa - r->gpa);
	return 0;
}

int vx_dq_rx_fill_addr(const struct vx_dq *dq, const struct vx_chain *c, uint32_t hdr_len,
		       uint64_t *fill, uint64_t *gpa)
{
	const struct vx_seg *s = &c->seg[0];
	const struct vx_dq_region *r;
	uint64_t addr;

	if (c->nout || !c->nin || s->len < (uint64_t)hdr_len + dq->max_len)
		return -EINVAL;
	r = dq_region(dq, s->gpa, s->len);
	if (!r)
		return -EFAULT;
	addr = r->off + (s->gpa - r->gpa);
	/* The kernel writes at fill + XDP_PACKET_HEADROOM; fill must stay in this region's mapping. */
	if (addr + hdr_len < r->map_off + XDP_PACKET_HEADROOM)
		return -EINVAL;
	*fill = addr + hdr_len - XDP_PACKET_HEADROOM;
	*gpa = s->gpa;
	return 0;
}

int vx_dq_tx_frame(const struct vx_dq *dq, const struct vx_chain *c, uint32_t hdr_len,
		   uint64_t *addr, uint32_t *len)
{
	uint64_t gpa;

	if (c->nin || !c->nout)
		return -EINVAL;
	if (c->nout == 1 && c->seg[0].len > hdr_len) {
		gpa = c->seg[0].gpa + hdr_len;
		*len = c->seg[0].len - hdr_len;
	} else if (c->nout == 2 && c->seg[0].len == hdr_len) {
		gpa = c->seg[1].gpa;
		*len = c->seg[1].len;
	} else {
		return -EINVAL;
	}
	return vx_dq_umem_addr(dq, gpa, *len, addr) ? -EINVAL : 0;
}

bool vx_dq_fifo_push(struct vx_dq_fifo *f, const struct vx_dq_ent *e)
{
	if (f->n == VX_DQ_INFLIGHT)
		return false;
	f->e[(f->first + f->n) % VX_DQ_INFLIGHT] = *e;
	f->n++;
	return true;
}

bool vx_dq_fifo_pop(struct vx_dq_fifo *f, struct vx_dq_ent *out)
{
	if (!f->n)
		return false;
	*out = f->e[f->first];
	f->first = (f->first + 1) % VX_DQ_INFLIGHT;
	f->n--;
	return true;
}

/*
 * The kernel returns buffers in the order they were lent, except when it
 * recycles one internally (a frame it could not queue), so the oldest entry
 * is almost always the one; otherwise search, and move the oldest into the
 * hole.
 */
bool vx_dq_fifo_take(struct vx_dq_fifo *f, uint64_t addr, struct vx_dq_ent *out)
{
	uint32_t i, slot;

	for (i = 0; i < f->n; i++) {
		slot = (f->first + i) % VX_DQ_INFLIGHT;
		if (f->e[slot].addr != addr)
			continue;
		*out = f->e[slot];
		f->e[slot] = f->e[f->first];
		f->first = (f->first + 1) % VX_DQ_INFLIGHT;
		f->n--;
		return true;
	}
	return false;
}

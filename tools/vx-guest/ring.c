// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue, driver side (virtio 1.2 2.7). Descriptors, the avail
 * ring and the used ring live in the shared memfd; the device is the other
 * process, so every index is published and read with the barriers of
 * 2.7.13 (a release before avail->idx, an acquire after used->idx, a full
 * fence between publishing and reading the other side's event index).
 */
#include <endian.h>
#include <string.h>
#include <sys/eventfd.h>

#include "vg.h"

#define LOAD16(p)      le16toh(__atomic_load_n(&(p), __ATOMIC_ACQUIRE))
#define STORE16(p, v)  __atomic_store_n(&(p), htole16(v), __ATOMIC_RELEASE)
#define PAGE_ALIGN(x) (((x) + 4095) & ~4095ull)

void *vg_gpa(struct vg_mem *m, uint64_t gpa)
{
	return m->base + gpa;
}

/* Places the rings and buffers of queue idx at *off (page aligned, as legacy rings were). */
void vg_vq_layout(struct vg_vq *vq, struct vg_mem *m, unsigned int idx, uint16_t num,
		  uint64_t *off)
{
	memset(vq, 0, sizeof(*vq));
	vq->idx = idx;
	vq->num = num;
	vq->desc_gpa = *off;
	vq->avail_gpa = PAGE_ALIGN(vq->desc_gpa + 16ull * num);
	vq->used_gpa = PAGE_ALIGN(vq->avail_gpa + 6 + 2ull * num);
	vq->buf_gpa = PAGE_ALIGN(vq->used_gpa + 6 + 8ull * num);
	*off = vq->buf_gpa + (uint64_t)num * VG_BUF_SIZE;
	vq->kick_fd = vq->call_fd = vq->err_fd = -1;
	if (m->base) {
		vq->desc = vg_gpa(m, vq->desc_gpa);
		vq->avail = vg_gpa(m, vq->avail_gpa);
		vq->used = vg_gpa(m, vq->used_gpa);
	}
}

/* A fresh ring, as after a device reset: zeroed, indices 0, every buffer free. */
void vg_vq_clear(struct vg_vq *vq)
{
	unsigned int i;

	memset(vq->desc, 0, 16ull * vq->num);
	memset(vq->avail, 0, 6 + 2ull * vq->num);
	memset(vq->used, 0, 6 + 8ull * vq->num);
	vq->avail_idx = vq->kicked = vq->last_used = 0;
	for (i = 0; i < vq->num; i++)
		vq->free[i] = (uint16_t)(vq->num - 1 - i);
	vq->nfree = vq->num;
}

void vg_vq_desc(struct vg_vq *vq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next)
{
	struct vring_desc *d = &vq->desc[i & (vq->num - 1)];

	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void vg_vq_add(struct vg_vq *vq, uint16_t head)
{
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = htole16(head);
	vq->avail_idx++;
}

/* 2.7.10: the device's avail_event sits right after the used ring. */
static uint16_t avail_event(const struct vg_vq *vq)
{
	const volatile uint16_t *ev = (const void *)((const uint8_t *)vq->used + 4 + 8ull * vq->num);

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return le16toh(*ev);
}

/*
 * Makes added entries visible and kicks if the device asked for it
 * (2.7.10: avail_event with EVENT_IDX, else VRING_USED_F_NO_NOTIFY).
 * Returns true if it kicked.
 */
bool vg_vq_publish(struct vg_vq *vq, bool force_kick)
{
	uint16_t old = vq->kicked, new = vq->avail_idx;
	bool kick;

	STORE16(vq->avail->idx, new);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx)
		kick = vring_need_event(avail_event(vq), new, old);
	else
		kick = !(LOAD16(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	vq->kicked = new;
	if ((kick || force_kick) && vq->kick_fd >= 0) {
		eventfd_write(vq->kick_fd, 1);
		vq->kicks++;
		return true;
	}
	return false;
}

uint16_t vg_vq_used_idx(const struct vg_vq *vq)
{
	return LOAD16(vq->used->idx);
}

/* Takes the next used element. Returns 1, or 0 if there is none. */
int vg_vq_get_used(struct vg_vq *vq, uint16_t *id, uint32_t *len)
{
	struct vring_used_elem *e;

	if (vg_vq_used_idx(vq) == vq->last_used)
		return 0;
	e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	*id = (uint16_t)le32toh(e->id);
	*len = le32toh(e->len);
	vq->last_used++;
	return 1;
}

/*
 * Asks for an interrupt at the next used element (used_event with
 * EVENT_IDX, else clears NO_INTERRUPT). Returns true if elements arrived
 * meanwhile, so the caller must look again before sleeping.
 */
bool vg_vq_arm(struct vg_vq *vq)
{
	if (vq->event_idx)
		STORE16(vq->avail->ring[vq->num], vq->last_used);
	else
		STORE16(vq->avail->flags, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vg_vq_used_idx(vq) != vq->last_used;
}

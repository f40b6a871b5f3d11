// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "virtq.h"

#define READ_ONCE16(p)	   le16toh(__atomic_load_n((uint16_t *)&(p), __ATOMIC_RELAXED))
#define WRITE_ONCE16(p, v) __atomic_store_n((uint16_t *)&(p), htole16(v), __ATOMIC_RELAXED)

/* virtio 1.2 2.7: ring sizes, including used_event and avail_event. */
static uint64_t desc_size(uint16_t num)
{
	return 16ull * num;
}

static uint64_t avail_size(uint16_t num)
{
	return 6ull + 2ull * num;
}

static uint64_t used_size(uint16_t num)
{
	return 6ull + 8ull * num;
}

void vx_vq_init(struct vx_vq *vq, const char *name)
{
	memset(vq, 0, sizeof(*vq));
	snprintf(vq->name, sizeof(vq->name), "%s", name);
	vq->kick_fd = vq->call_fd = vq->err_fd = -1;
}

void vx_vq_reset(struct vx_vq *vq)
{
	char name[sizeof(vq->name)];
	uint64_t errors = vq->errors;	/* a statistic: survives the reset */
	struct vx_seg *segs = vq->segs;
	uint32_t cap = vq->segs_cap;

	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	if (vq->err_fd >= 0)
		close(vq->err_fd);
	memcpy(name, vq->name, sizeof(name));
	vx_vq_init(vq, name);
	vq->errors = errors;
	vq->segs = segs;
	vq->segs_cap = cap;
}

void vx_vq_free(struct vx_vq *vq)
{
	vx_vq_reset(vq);
	free(vq->segs);
	vq->segs = NULL;
	vq->segs_cap = 0;
}

uint32_t vx_vq_max_segs(const struct vx_vq *vq)
{
	return (uint32_t)vq->num + VX_CHAIN_SPLIT_SEGS;
}

/* Grows the segment storage to the queue size (control thread, worker paused). */
static int vq_size_segs(struct vx_vq *vq)
{
	uint32_t need = vx_vq_max_segs(vq);
	struct vx_seg *s;

	if (vq->segs_cap >= need)
		return 0;
	s = realloc(vq->segs, need * sizeof(*s));
	if (!s)
		return -ENOMEM;
	vq->segs = s;
	vq->segs_cap = need;
	return 0;
}

int vx_vq_map(struct vx_vq *vq)
{
	vq->ready = false;
	if (!vq->mem || !vq->num)
		return -EINVAL;
	if (vq_size_segs(vq))
		return -ENOMEM;
	vq->desc = vx_mem_uva(vq->mem, vq->desc_uva, desc_size(vq->num));
	vq->avail = vx_mem_uva(vq->mem, vq->avail_uva, avail_size(vq->num));
	vq->used = vx_mem_uva(vq->mem, vq->used_uva, used_size(vq->num));
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	/* Alignment the spec requires (2.7: 16, 2 and 4); unaligned rings are a broken driver. */
	if (((uintptr_t)vq->desc & 15) || ((uintptr_t)vq->avail & 1) || ((uintptr_t)vq->used & 3))
		return -EFAULT;
	/*
	 * The used index lives in guest memory; continue from where it stands.
	 * This back-end completes chains in order, so every chain before
	 * used->idx was consumed: a front-end that reconnects to running rings
	 * (DPDK's virtio-user sends base 0) gets its position from the ring.
	 */
	vq->used_idx = vq->used_pub = READ_ONCE16(vq->used->idx);
	if (vq->last_avail != vq->used_idx) {
		pr_debug("%s: ring base %u does not match used index %u; resuming at %u\n",
			vq->name, vq->last_avail, vq->used_idx, vq->used_idx);
		vq->last_avail = vq->avail_seen = vq->used_idx;
	}
	vq->signalled_valid = false;
	vq->ready = true;
	return 0;
}

void vx_vq_fail(struct vx_vq *vq, const char *why)
{
	if (vq->broken)
		return;
	vq->broken = true;
	vq->errors++;
	pr_debug("%s: queue broken: %s\n", vq->name, why);
	if (vq->err_fd >= 0)
		eventfd_write(vq->err_fd, 1);
}

/* Returns how many chains are available, reading avail->idx only when needed. */
static int vq_avail(struct vx_vq *vq)
{
	uint16_t idx;

	if (vq->avail_seen != vq->last_avail)
		return (uint16_t)(vq->avail_seen - vq->last_avail);
	idx = READ_ONCE16(vq->avail->idx);
	/* 2.7.6: idx only moves forward, and never by more than the queue size. */
	if ((uint16_t)(idx - vq->last_avail) > vq->num) {
		vx_vq_fail(vq, "avail index moved by more than the queue size");
		return -EIO;
	}
	vq->avail_seen = idx;
	/* Read ring entries and descriptors only after the index (2.7.13.3). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return (uint16_t)(idx - vq->last_avail);
}

/* Appends one descriptor, already copied out of guest memory, to c. */
static const char *chain_add(struct vx_vq *vq, struct vx_chain *c, const struct vring_desc *d)
{
	uint16_t flags = le16toh(d->flags);
	uint32_t len = le32toh(d->len);
	bool wr = flags & VRING_DESC_F_WRITE;
	uint16_t used = c->nout + c->nin;
	int n;

	if (!len)
		return NULL;
	/* 2.7.4: device-writable descriptors come after all device-readable ones. */
	if (!wr && c->nin)
		return "readable descriptor after a writable one";
	n = vx_mem_gpa_segs(vq->mem, le64toh(d->addr), len, &c->seg[used],
			    (int)(vq->segs_cap - used));
	if (n == -E2BIG)
		return "chain has too many segments";
	if (n < 0)
		return "descriptor outside guest memory";
	if (wr) {
		if (c->in_len + len < c->in_len)
			return "writable length overflows";
		c->nin += n;
		c->in_len += len;
	} else {
		if (c->out_len + len < c->out_len)
			return "readable length overflows";
		c->nout += n;
		c->out_len += len;
	}
	return NULL;
}

/* 2.7.5.3: an indirect table is one descriptor's buffer; it may not nest. */
static const char *chain_indirect(struct vx_vq *vq, struct vx_chain *c, const struct vring_desc *d)
{
	uint32_t len = le32toh(d->len), n = len / 16, i = 0, count = 0;
	const struct vring_desc *table;
	struct vring_desc e;
	const char *err;

	if (le16toh(d->flags) & VRING_DESC_F_NEXT)
		return "INDIRECT together with NEXT";
	if (!len || len % 16 || n > VX_VQ_MAX_SIZE)
		return "bad indirect table length";
	table = vx_mem_gpa(vq->mem, le64toh(d->addr), len);
	if (!table)
		return "indirect table outside guest memory";
	for (;;) {
		if (++count > n)
			return "indirect chain loops";
		memcpy(&e, &table[i], sizeof(e));
		if (le16toh(e.flags) & VRING_DESC_F_INDIRECT)
			return "nested indirect table";
		err = chain_add(vq, c, &e);
		if (err)
			return err;
		if (!(le16toh(e.flags) & VRING_DESC_F_NEXT))
			return NULL;
		i = le16toh(e.next);
		if (i >= n)
			return "indirect next out of range";
	}
}

static const char *chain_walk(struct vx_vq *vq, struct vx_chain *c, uint16_t head)
{
	uint32_t count = 0;
	uint16_t i = head;
	struct vring_desc d;
	const char *err;

	for (;;) {
		if (i >= vq->num)
			return "descriptor index out of range";
		if (++count > vq->num)
			return "descriptor chain loops";
		memcpy(&d, &vq->desc[i], sizeof(d));
		if (le16toh(d.flags) & VRING_DESC_F_INDIRECT)
			return chain_indirect(vq, c, &d);
		err = chain_add(vq, c, &d);
		if (err)
			return err;
		if (!(le16toh(d.flags) & VRING_DESC_F_NEXT))
			return NULL;
		i = le16toh(d.next);
	}
}

int vx_vq_pop(struct vx_vq *vq, struct vx_chain *c)
{
	const char *err;
	uint16_t head;
	int n;

	if (!vx_vq_active(vq))
		return vq->broken ? -EIO : 0;
	n = vq_avail(vq);
	if (n <= 0)
		return n;
	head = READ_ONCE16(vq->avail->ring[vq->last_avail & (vq->num - 1)]);
	c->head = head;
	c->seg = vq->segs;
	c->nout = c->nin = 0;
	c->out_len = c->in_len = 0;
	err = chain_walk(vq, c, head);
	if (err) {
		vx_vq_fail(vq, err);
		return -EIO;
	}
	vq->last_avail++;
	return 1;
}

void vx_vq_unpop(struct vx_vq *vq, uint16_t n)
{
	vq->last_avail -= n;
}

static void vq_log_used(struct vx_vq *vq, uint64_t off, uint64_t len)
{
	if (vq->log && vq->log_used)
		vx_dirty_log_mark(vq->log, vq->log_gpa + off, len);
}

void vx_vq_log_write_slow(struct vx_vq *vq, const struct vx_chain *c, uint32_t len)
{
	unsigned int i;

	for (i = c->nout; i < c->nout + c->nin && len; i++) {
		uint32_t l = c->seg[i].len < len ? c->seg[i].len : len;

		vx_dirty_log_mark(vq->log, c->seg[i].gpa, l);
		len -= l;
	}
}

void vx_vq_push(struct vx_vq *vq, uint16_t head, uint32_t len)
{
	uint16_t slot = vq->used_idx & (vq->num - 1);
	struct vring_used_elem *e = &vq->used->ring[slot];

	e->id = htole32(head);
	e->len = htole32(len);
	vq_log_used(vq, offsetof(struct vring_used, ring) + slot * sizeof(*e), sizeof(*e));
	vq->used_idx++;
}

/* 2.7.10: with EVENT_IDX, interrupt only when used_event is crossed. */
static bool vq_need_interrupt(struct vx_vq *vq)
{
	uint16_t old = vq->signalled_used, ev;
	bool valid = vq->signalled_valid;

	if (!vq->event_idx)
		return !(READ_ONCE16(vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	ev = READ_ONCE16(vq->avail->ring[vq->num]);
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	return !valid || (uint16_t)(vq->used_idx - ev - 1) < (uint16_t)(vq->used_idx - old);
}

void vx_vq_flush(struct vx_vq *vq)
{
	if (vq->used_idx == vq->used_pub)
		return;
	/* Used elements must be visible before the index that publishes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	WRITE_ONCE16(vq->used->idx, vq->used_idx);
	vq->used_pub = vq->used_idx;
	vq_log_used(vq, offsetof(struct vring_used, idx), 2);
	/* The index store must be ordered before reading used_event / flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->call_fd >= 0 && vq_need_interrupt(vq))
		eventfd_write(vq->call_fd, 1);
}

void vx_vq_kick_disable(struct vx_vq *vq)
{
	/* With EVENT_IDX, not advancing avail_event is enough. */
	if (!vq->ready || vq->event_idx)
		return;
	WRITE_ONCE16(vq->used->flags, VRING_USED_F_NO_NOTIFY);
	vq_log_used(vq, offsetof(struct vring_used, flags), 2);
}

bool vx_vq_kick_enable(struct vx_vq *vq)
{
	if (!vx_vq_active(vq))
		return false;
	if (vq->event_idx) {
		WRITE_ONCE16(vq->used->ring[vq->num], vq->last_avail);
		vq_log_used(vq, offsetof(struct vring_used, ring) + vq->num * 8ull, 2);
	} else {
		WRITE_ONCE16(vq->used->flags, 0);
		vq_log_used(vq, offsetof(struct vring_used, flags), 2);
	}
	/* Publish the request before looking again, or a kick could be missed. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return READ_ONCE16(vq->avail->idx) != vq->last_avail;
}

uint32_t vx_chain_read(const struct vx_chain *c, uint32_t skip, void *buf, uint32_t len)
{
	uint8_t *out = buf;
	uint32_t done = 0;
	unsigned int i;
	const struct vx_seg *seg = c->seg;	/* loaded once: memcpy could alias it */
	unsigned int n = c->nout;

	for (i = 0; i < n && done < len; i++) {
		const struct vx_seg *s = &seg[i];
		uint32_t l;

		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		l = s->len - skip;
		if (l > len - done)
			l = len - done;
		memcpy(out + done, s->hva + skip, l);
		done += l;
		skip = 0;
	}
	return done;
}

uint32_t vx_chain_write(const struct vx_chain *c, uint32_t skip, const void *buf, uint32_t len)
{
	const uint8_t *in = buf;
	uint32_t done = 0;
	unsigned int i;
	const struct vx_seg *seg = c->seg;	/* loaded once: memcpy could alias it */
	unsigned int n = (unsigned int)c->nout + c->nin;

	for (i = c->nout; i < n && done < len; i++) {
		const struct vx_seg *s = &seg[i];
		uint32_t l;

		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		l = s->len - skip;
		if (l > len - done)
			l = len - done;
		memcpy(s->hva + skip, in + done, l);
		done += l;
		skip = 0;
	}
	return done;
}

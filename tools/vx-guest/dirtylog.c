// SPDX-License-Identifier: GPL-2.0
/*
 * vx-guest dirtylog: checks a back-end's dirty log (vhost-user.rst,
 * "Migration"), deterministically and without QEMU.
 *
 * With the rings running, it turns logging on as QEMU does when a live
 * migration starts (SET_LOG_BASE with a memfd, SET_FEATURES with
 * VHOST_F_LOG_ALL, SET_VRING_ADDR with VHOST_VRING_F_LOG and the used
 * rings' guest addresses), snapshots all of guest memory, receives frames
 * (the test's peer sends them) and sends frames, then stops both rings with
 * GET_VRING_BASE as QEMU does at the switch-over. Meanwhile it keeps a copy
 * of guest memory the way a migration keeps the destination's: after every
 * few frames it takes and clears the log (atomically, as QEMU's bitmap sync)
 * and copies the pages it names. Any byte of the copy that then still
 * differs from guest memory, outside what this driver writes itself
 * (descriptor tables, avail rings, TX buffers), was written without a log
 * bit set after the write: the destination would have lost it. A moment
 * after GET_VRING_BASE it looks again: nothing may change once it was answered.
 *
 * Summary line: "dirtylog rx N tx N checks N changed_pages N logged_pages N
 * unlogged_pages N unlogged_bytes N late_bytes N". Fails if a write was not
 * logged, if anything changed late, or if too few frames passed either way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vg.h"

#define BIT(n) (1ull << (n))
#define LOG_PAGE 4096
#define VHOST_F_LOG_ALL 26

struct range {
	uint64_t start, end;
};

/* What the driver writes itself: QEMU tracks those writes on its own. */
static unsigned int own_ranges(const struct vg_dev *d, struct range *r)
{
	unsigned int q, n = 0;

	for (q = 0; q < VG_NQ; q++) {
		const struct vg_vq *vq = &d->vq[q];

		r[n++] = (struct range){ vq->desc_gpa, vq->desc_gpa + 16ull * vq->num };
		r[n++] = (struct range){ vq->avail_gpa, vq->avail_gpa + 6 + 2ull * vq->num };
	}
	r[n++] = (struct range){ d->vq[VG_TX].buf_gpa,
				 d->vq[VG_TX].buf_gpa + (uint64_t)d->vq[VG_TX].num * VG_BUF_SIZE };
	return n;
}

static bool is_own(const struct range *r, unsigned int n, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (gpa >= r[i].start && gpa < r[i].end)
			return true;
	return false;
}

struct counts {
	unsigned long rx;
};

static void on_rx(struct vg_dev *d, uint8_t *frame, uint32_t len, void *arg)
{
	struct counts *c = arg;
	uint32_t seq;

	if (vg_pkt_verify(frame, len, &seq) > 0)
		c->rx++;
}

/* The migration's view: the destination's copy of guest memory, kept up to date from the log. */
struct dl {
	struct vg_dev *d;
	uint64_t *log;
	uint64_t words, pages;
	uint8_t *shadow;
	uint8_t *seen;		/* pages ever found in the log */
	struct range own[2 * VG_NQ + 1];
	unsigned int nown;
	unsigned long unlogged, unlogged_bytes, reported;
};

/* As QEMU's bitmap sync: take and clear the log, copy every page it names. */
static void dl_sync(struct dl *l)
{
	uint64_t i, w, p;

	for (i = 0; i < l->words; i++) {
		w = __atomic_exchange_n(&l->log[i], 0, __ATOMIC_ACQ_REL);
		while (w) {
			p = i * 64 + (uint64_t)__builtin_ctzll(w);
			w &= w - 1;
			if (p >= l->pages)
				continue;
			l->seen[p] = 1;
			memcpy(l->shadow + p * LOG_PAGE, l->d->mem.base + p * LOG_PAGE, LOG_PAGE);
		}
	}
}

/* Bytes of page p that differ from the copy, outside the driver's own writes. */
static unsigned long dl_diff(struct dl *l, uint64_t p)
{
	uint64_t off = p * LOG_PAGE, b;
	unsigned long n = 0;

	if (!memcmp(l->shadow + off, l->d->mem.base + off, LOG_PAGE))
		return 0;
	for (b = off; b < off + LOG_PAGE; b++)
		if (l->shadow[b] != l->d->mem.base[b] && !is_own(l->own, l->nown, b))
			n++;
	return n;
}

/*
 * Syncs and compares: a page that differs from the copy changed without a
 * log bit, or its bit is being set right now (the back-end writes, then
 * marks); it counts as unlogged only if it still differs after a second
 * sync a moment later. A counted page is copied, so it counts once.
 */
static void dl_check(struct dl *l)
{
	uint64_t p;
	bool again = false;

	dl_sync(l);
	for (p = 0; p < l->pages && !again; p++)
		again = dl_diff(l, p) != 0;
	if (!again)
		return;
	usleep(5000);
	dl_sync(l);
	for (p = 0; p < l->pages; p++) {
		unsigned long n = dl_diff(l, p);

		if (!n)
			continue;
		/* Written since the sync by a write whose bit is on its way: give it time. */
		usleep(5000);
		if (__atomic_load_n(&l->log[p / 64], __ATOMIC_ACQUIRE) & (1ull << (p % 64)))
			continue;	/* the next sync copies it */
		l->unlogged++;
		l->unlogged_bytes += n;
		if (l->reported++ < 10)
			fprintf(stderr, "vx-guest: dirtylog: page %llu (gpa 0x%llx) changed in %lu "
				"bytes, not in the log\n", (unsigned long long)p,
				(unsigned long long)(p * LOG_PAGE), n);
		memcpy(l->shadow + p * LOG_PAGE, l->d->mem.base + p * LOG_PAGE, LOG_PAGE);
	}
}

int vg_dirtylog_main(struct vg_dev *d, const struct vg_dirtylog_opts *o)
{
	static uint8_t frame[VG_BUF_SIZE];
	struct dl l = { .d = d, .pages = d->mem.size / LOG_PAGE };
	uint64_t log_size, p, b;
	unsigned long tx = 0, changed = 0, logged = 0, late = 0, checks = 0;
	struct counts c = { 0 };
	uint8_t *snap = malloc(d->mem.size), *stop = malloc(d->mem.size);
	double end = vg_now() + o->timeout;
	unsigned int q, base;
	int fd, err, n;

	l.words = (l.pages + 63) / 64;
	log_size = l.words * 8;
	l.nown = own_ranges(d, l.own);
	l.shadow = malloc(d->mem.size);
	l.seen = calloc(l.pages, 1);
	if (!snap || !stop || !l.shadow || !l.seen || !d->ops->set_log_base)
		return 1;
	fd = memfd_create("vx-guest-log", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)log_size))
		return 1;
	l.log = mmap(NULL, log_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (l.log == MAP_FAILED)
		return 1;
	vg_rx_post_all(d);
	/* QEMU's order (vhost_dev_set_log): the log base, then the feature, then the rings. */
	err = d->ops->set_log_base(d, fd, log_size);
	close(fd);
	if (!err)
		err = d->ops->set_features(d, d->features | BIT(VHOST_F_LOG_ALL));
	d->log_rings = true;
	for (q = 0; q < VG_NQ && !err; q++)
		err = d->ops->set_vring_addr(d, q);
	if (err) {
		fprintf(stderr, "vx-guest: dirtylog: turning logging on failed: %s\n", strerror(-err));
		return 1;
	}
	memcpy(snap, d->mem.base, d->mem.size);
	memcpy(l.shadow, snap, d->mem.size);
	printf("dirtylog: logging on, %llu pages\n", (unsigned long long)l.pages);

	while (!vg_stop && vg_now() < end && (c.rx < o->rx_count || tx < o->tx_count)) {
		n = vg_rx_poll(d, on_rx, &c);
		if (n < 0)
			break;
		/* A few frames at a time, so that checks fall between the back-end's writes. */
		for (q = 0; q < 4 && tx < o->tx_count; q++) {
			vg_pkt_build(frame, o->dst, d->mac, o->size, (uint32_t)tx);
			if (vg_tx_frame(d, frame, o->size, false))
				break;
			tx++;
		}
		vg_vq_publish(&d->vq[VG_TX], false);
		vg_tx_reclaim(d);
		vg_vq_arm(&d->vq[VG_TX]);
		dl_check(&l);
		checks++;
		if (!n)
			vg_wait(d, 5);
	}
	/* Let the back-end finish the last TX frames before the rings stop. */
	for (n = 0; n < 50 && d->vq[VG_TX].nfree < d->vq[VG_TX].num; n++) {
		vg_tx_reclaim(d);
		if (!vg_vq_arm(&d->vq[VG_TX]))
			vg_wait(d, 20);
	}
	/* The switch-over: QEMU stops every ring; from the reply on, the log must be complete. */
	for (q = 0; q < VG_NQ; q++)
		if (d->ops->get_vring_base(d, q, &base))
			fprintf(stderr, "vx-guest: dirtylog: GET_VRING_BASE %u failed\n", q);
	memcpy(stop, d->mem.base, d->mem.size);
	/* The last sync: whatever still differs was written and never logged. */
	dl_check(&l);
	for (p = 0; p < l.pages; p++) {
		uint64_t off = p * LOG_PAGE;

		logged += l.seen[p];
		if (memcmp(snap + off, stop + off, LOG_PAGE))
			for (b = off; b < off + LOG_PAGE; b++)
				if (snap[b] != stop[b] && !is_own(l.own, l.nown, b)) {
					changed++;
					break;
				}
	}
	/* Nothing may change once GET_VRING_BASE was answered. */
	usleep(300 * 1000);
	for (b = 0; b < d->mem.size; b++)
		if (d->mem.base[b] != stop[b] && !is_own(l.own, l.nown, b))
			late++;
	printf("dirtylog rx %lu tx %lu checks %lu changed_pages %lu logged_pages %lu "
	       "unlogged_pages %lu unlogged_bytes %lu late_bytes %lu\n", c.rx, tx, checks, changed,
	       logged, l.unlogged, l.unlogged_bytes, late);
	munmap(l.log, log_size);
	free(snap);
	free(stop);
	free(l.shadow);
	free(l.seen);
	return l.unlogged || late || !c.rx || !tx || c.rx < o->rx_count || tx < o->tx_count;
}

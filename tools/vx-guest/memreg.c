// SPDX-License-Identifier: GPL-2.0
/*
 * memreg mode: memory hot-plug as a front-end does it with
 * CONFIGURE_MEM_SLOTS (vhost-user.rst: ADD_MEM_REG, REM_MEM_REG), while the
 * port echoes (macswap) what comes in:
 *
 *   each cycle  ADD_MEM_REG a second region (its own memfd, at gpa 1 GiB),
 *               send --frames frames whose buffers lie in it, wait until the
 *               back-end has used every one, then REM_MEM_REG it: what a
 *               well-behaved front-end does (the guest gave the memory up
 *               before it is unplugged);
 *   every Nth   (--stale-every) after the removal, one TX chain that still
 *               points into the removed region: the back-end must not touch
 *               it (its mapping is gone: using a stale pointer would read
 *               unmapped memory or the wrong file) but find the address
 *               invalid and mark the queue broken (err eventfd); the ring is
 *               then restarted, as a guest reset would.
 *
 * Ends with "memreg cycles N region_frames M stale K broken J echoed E".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_ether.h>

#include "vg.h"

#define REGION_GPA  (1ull << 30)
#define REGION_SIZE (1ull << 20)

struct mr {
	struct vg_dev *d;
	const struct vg_memreg_opts *o;
	struct vg_mem m;
	unsigned long region_frames, stale, broken, echoed, received;
	uint32_t seq;
	int err;
};

static void on_echo(struct vg_dev *d, uint8_t *frame, uint32_t len, void *arg)
{
	struct mr *c = arg;

	c->received++;
	if (len < ETH_HLEN)
		return;
	memcpy(frame, frame + ETH_ALEN, ETH_ALEN);
	memcpy(frame + ETH_ALEN, d->mac, ETH_ALEN);
	if (!vg_tx_frame(d, frame, len, false))
		c->echoed++;	/* a full ring drops the echo; the peer counts what came */
}

/* One round of the echo loop; waits up to ms for a call. */
static int echo_pass(struct mr *c, int ms)
{
	int n = vg_rx_poll(c->d, on_echo, c);

	if (n < 0)
		return n;
	vg_vq_publish(&c->d->vq[VG_TX], false);
	vg_tx_reclaim(c->d);
	return n ? 0 : vg_wait(c->d, ms);
}

/* Queues one frame whose buffer is at gpa (host address hva); -EAGAIN if no descriptor is free. */
static int tx_at(struct vg_dev *d, uint64_t gpa, uint8_t *hva, const uint8_t *frame, uint32_t len)
{
	struct vg_vq *vq = &d->vq[VG_TX];
	uint16_t id;

	vg_tx_reclaim(d);
	if (!vq->nfree)
		return -EAGAIN;
	id = vq->free[--vq->nfree];
	memset(hva, 0, VG_HDR_LEN);
	memcpy(hva + VG_HDR_LEN, frame, len);
	vg_vq_desc(vq, id, gpa, VG_HDR_LEN + len, 0, 0);
	vg_vq_add(vq, id);
	return 0;
}

/* Until every TX descriptor is back (the back-end is done with the region), echoing meanwhile. */
static int tx_drain(struct mr *c, double secs)
{
	struct vg_vq *vq = &c->d->vq[VG_TX];
	double end = vg_now() + secs;
	int err = 0;

	while (!err && !vg_stop && vg_now() < end) {
		vg_vq_publish(vq, false);
		vg_tx_reclaim(c->d);
		if (vq->nfree == vq->num)
			return 0;
		vg_vq_arm(vq);
		err = echo_pass(c, 20);
	}
	return err ? err : vg_stop ? 0 : -ETIMEDOUT;
}

static int cycle(struct mr *c, unsigned long n)
{
	static uint8_t frame[VG_BUF_SIZE];
	struct vg_dev *d = c->d;
	const struct vg_memreg_opts *o = c->o;
	unsigned int k = 0;
	int err;

	err = vg_vu_mem_reg(d, true, &c->m, REGION_GPA);
	if (err) {
		fprintf(stderr, "vx-guest: memreg: ADD_MEM_REG: %s\n", strerror(-err));
		return err;
	}
	while (k < o->frames && !vg_stop) {
		uint64_t off = (uint64_t)(k % (REGION_SIZE / VG_BUF_SIZE)) * VG_BUF_SIZE;

		vg_pkt_build(frame, o->dst, d->mac, 128, c->seq);
		err = tx_at(d, REGION_GPA + off, c->m.base + off, frame, 128);
		if (err == -EAGAIN) {
			err = tx_drain(c, 2);
			if (err)
				break;
			continue;
		}
		c->seq++;
		k++;
	}
	vg_vq_publish(&d->vq[VG_TX], true);
	if (!err)
		err = tx_drain(c, 5);
	if (err) {
		fprintf(stderr, "vx-guest: memreg: frames from the region: %s\n", strerror(-err));
		return err;
	}
	c->region_frames += k;
	err = vg_vu_mem_reg(d, false, &c->m, REGION_GPA);
	if (err) {
		fprintf(stderr, "vx-guest: memreg: REM_MEM_REG: %s\n", strerror(-err));
		return err;
	}
	if (!o->stale_every || n % o->stale_every)
		return 0;
	/* A chain into the region just removed, alone in the ring: no echo is lost with it. */
	err = tx_drain(c, 5);
	if (err)
		return err;
	c->stale++;
	vg_pkt_build(frame, o->dst, d->mac, 128, 0xffffffu);
	tx_at(d, REGION_GPA, c->m.base, frame, 128);
	vg_vq_publish(&d->vq[VG_TX], true);
	if (vg_fd_readable(d->vq[VG_TX].err_fd, 2000))
		c->broken++;
	else
		fprintf(stderr, "vx-guest: memreg: a chain in a removed region did not break the queue\n");
	err = vg_dev_restart_vq(d, VG_TX);
	if (err)
		fprintf(stderr, "vx-guest: memreg: TX ring restart: %s\n", strerror(-err));
	return err;
}

int vg_memreg_main(struct vg_dev *d, const struct vg_memreg_opts *o)
{
	struct mr c = { .d = d, .o = o, .m = { .fd = -1 } };
	double end = o->timeout > 0 ? vg_now() + o->timeout : 0;
	unsigned long n = 0;
	int err;

	err = vg_mem_open(&c.m, REGION_SIZE);
	if (err)
		return 1;
	vg_rx_post_all(d);
	printf("ready\n");
	while (!vg_stop && !err && (!o->cycles || n < o->cycles) && (!end || vg_now() < end)) {
		err = echo_pass(&c, 1);
		if (!err)
			err = cycle(&c, ++n);
	}
	vg_mem_close(&c.m);
	printf("memreg cycles %lu region_frames %lu stale %lu broken %lu echoed %lu\n", n,
	       c.region_frames, c.stale, c.broken, c.echoed);
	return err || c.broken != c.stale;
}

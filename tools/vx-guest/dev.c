// SPDX-License-Identifier: GPL-2.0
/*
 * Device set-up in the order QEMU uses (vhost-user.rst "Starting and
 * stopping rings"), and the ring restart a guest reset causes.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "vg.h"

#define BIT(n) (1ull << (n))

int vg_mem_open(struct vg_mem *m, uint64_t size)
{
	m->size = (size + 0xfffff) & ~0xfffffull;
	m->fd = memfd_create("vx-guest", MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)m->size))
		return -errno;
	m->base = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		return -errno;
	}
	return 0;
}

static int vq_fds_open(struct vg_vq *vq)
{
	vq->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vq->err_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return vq->kick_fd < 0 || vq->call_fd < 0 || vq->err_fd < 0 ? -errno : 0;
}

static void drain(int fd)
{
	eventfd_t v;

	if (fd >= 0)
		eventfd_read(fd, &v);
}

/* NUM, BASE, ADDR, KICK, CALL, ENABLE: what QEMU sends to start a ring. */
static int vq_start(struct vg_dev *d, unsigned int q)
{
	const struct vg_ops *o = d->ops;
	struct vg_vq *vq = &d->vq[q];
	int err;

	err = o->set_vring_num(d, q, vq->num);
	if (!err)
		err = o->set_vring_base(d, q, vq->avail_idx);
	if (!err)
		err = o->set_vring_addr(d, q);
	if (!err)
		err = o->set_vring_kick(d, q, vq->kick_fd);
	if (!err)
		err = o->set_vring_call(d, q, vq->call_fd);
	if (!err)
		err = o->set_vring_enable(d, q, true);
	return err;
}

static int dev_negotiate(struct vg_dev *d, uint64_t want)
{
	uint64_t offered;
	int err = d->ops->get_features(d, &offered);

	if (err)
		return err;
	want |= BIT(VIRTIO_F_VERSION_1);
	if ((offered & want) != want) {
		fprintf(stderr, "vx-guest: back-end lacks features 0x%llx\n",
			(unsigned long long)(want & ~offered));
		return -ENOTSUP;
	}
	d->features = want;
	d->mrg_rxbuf = want & BIT(VIRTIO_NET_F_MRG_RXBUF);
	d->vq[VG_RX].event_idx = d->vq[VG_TX].event_idx = want & BIT(VIRTIO_RING_F_EVENT_IDX);
	return d->ops->set_features(d, want);
}

int vg_dev_open(struct vg_dev *d, const char *path, bool server, uint64_t want, uint16_t qsize)
{
	uint64_t off = 0;
	unsigned int q;
	int err;

	d->sock = d->kfd = d->tap = -1;
	d->mem.fd = -1;
	vg_vq_layout(&d->vq[VG_RX], &d->mem, VG_RX, qsize, &off);
	vg_vq_layout(&d->vq[VG_TX], &d->mem, VG_TX, qsize, &off);
	err = vg_mem_open(&d->mem, off + VG_SCRATCH);
	if (err)
		return err;
	off = 0;
	for (q = 0; q < VG_NQ; q++) {
		vg_vq_layout(&d->vq[q], &d->mem, q, qsize, &off);
		vg_vq_clear(&d->vq[q]);
		err = vq_fds_open(&d->vq[q]);
		if (err)
			return err;
	}
	err = d->ops->open(d, path, server);
	if (!err)
		err = d->ops->set_owner(d);
	if (!err)
		err = dev_negotiate(d, want);
	if (!err)
		err = d->ops->set_mem_table(d);
	for (q = 0; q < VG_NQ && !err; q++) {
		err = d->ops->set_vring_err(d, q, d->vq[q].err_fd);
		if (!err)
			err = vq_start(d, q);
	}
	return err;
}

void vg_mem_close(struct vg_mem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->fd = -1;
}

void vg_dev_close(struct vg_dev *d)
{
	unsigned int q;

	if (d->ops)
		d->ops->close(d);
	for (q = 0; q < VG_NQ; q++) {
		struct vg_vq *vq = &d->vq[q];

		if (vq->kick_fd >= 0)
			close(vq->kick_fd);
		if (vq->call_fd >= 0)
			close(vq->call_fd);
		if (vq->err_fd >= 0)
			close(vq->err_fd);
		vq->kick_fd = vq->call_fd = vq->err_fd = -1;
	}
	if (d->mem.base)
		munmap(d->mem.base, d->mem.size);
	if (d->mem.fd >= 0)
		close(d->mem.fd);
	d->mem.base = NULL;
	d->mem.fd = -1;
}

/* The connection still answers: GET_FEATURES gets its reply. */
int vg_dev_ping(struct vg_dev *d)
{
	uint64_t f;

	return d->ops->get_features(d, &f);
}

/*
 * What a guest reset looks like to the back-end: the VMM stops the ring
 * (GET_VRING_BASE), the guest lays out a fresh one, and the VMM starts it
 * again. The err eventfd stays registered.
 */
int vg_dev_restart_vq(struct vg_dev *d, unsigned int q)
{
	struct vg_vq *vq = &d->vq[q];
	unsigned int base;
	int err = d->ops->get_vring_base(d, q, &base);

	if (err)
		return err;
	vg_vq_clear(vq);
	drain(vq->call_fd);
	drain(vq->err_fd);
	return vq_start(d, q);
}

bool vg_fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

/*
 * Sleeps until a call eventfd fires or timeout_ms passes. Returns 0,
 * -ECONNRESET if the back-end hung up, or -EIO if a queue was marked broken.
 */
int vg_wait(struct vg_dev *d, int timeout_ms)
{
	struct pollfd p[5] = {
		{ .fd = d->vq[VG_RX].call_fd, .events = POLLIN },
		{ .fd = d->vq[VG_TX].call_fd, .events = POLLIN },
		{ .fd = d->vq[VG_RX].err_fd, .events = POLLIN },
		{ .fd = d->vq[VG_TX].err_fd, .events = POLLIN },
		{ .fd = d->sock, .events = POLLIN },
	};
	int n = poll(p, 5, timeout_ms);

	if (n <= 0)
		return 0;
	if (p[4].revents)
		return -ECONNRESET;
	if (p[2].revents || p[3].revents)
		return -EIO;
	drain(p[0].fd);
	drain(p[1].fd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "log.h"
#include "dp/net.h"
#include "worker.h"

/* epoll data: what woke us, packed so that no pointer outlives its object. */
enum ev_kind {
	EV_WAKE = 1,
	EV_XSK,
	EV_BCAST,
	EV_KICK,
};

#define EV(kind, port, idx) (((uint64_t)(kind) << 56) | ((uint64_t)(port) << 16) | (idx))
#define EV_KIND(d)	    ((unsigned int)((d) >> 56))
#define EV_PORT(d)	    ((unsigned int)(((d) >> 16) & 0xffff))
#define EV_IDX(d)	    ((unsigned int)((d) & 0xffff))

/* A ring without a kick fd (VU_VRING_NOFD) is polled this often. */
#define VX_NOFD_POLL_MS 1

static int ep_add(struct vx_worker *w, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* The worker that owns NIC queue q, or queue pair q of every port. */
static struct vx_worker *owner_of(struct vx_nic *nic, unsigned int q)
{
	return &nic->w[q % nic->nw];
}

/* Pairs of a port this worker serves: p = w->idx, w->idx + nw, ... (those in use). */
#define for_each_pair(w, dev, p) \
	for ((p) = (w)->idx; (p) < (dev)->qp_used; (p) += (w)->nic->nw)

static void dq_check(struct vx_nic *nic);

/* ---- the ops control threads call; all with every worker paused ---- */

static _Atomic unsigned int ctl_waiting;

static void nic_dev_lock(struct vx_dev *dev)
{
	struct vx_nic *nic = dev->owner;
	unsigned int i;

	ctl_waiting++;
	for (i = 0; i < nic->nw; i++)
		pthread_mutex_lock(&nic->w[i].lock);
	ctl_waiting--;
}

static void nic_dev_unlock(struct vx_dev *dev)
{
	struct vx_nic *nic = dev->owner;
	unsigned int i = nic->nw;

	while (i--) {
		struct vx_worker *w = &nic->w[i];
		bool wake = w->pending;

		w->pending = false;
		pthread_mutex_unlock(&w->lock);
		if (wake)
			eventfd_write(w->wake_fd, 1);
	}
}

/*
 * Which RX pair takes the frames of NIC queue q (and of worker q's local
 * switching and broadcast): one of the running pairs its worker owns,
 * spread by queue, else any running pair, which is then shared (worker.h).
 * Pairs count as running from the control state alone, so a guest that
 * breaks a ring cannot change the plan under the workers.
 */
static void rx_plan(struct vx_nic *nic, struct vx_dev *dev)
{
	unsigned int run[VX_DEV_MAX_QP], own[VX_DEV_MAX_QP], n = 0, q, p, nown;

	dev->qp_used = 1;
	for (p = 0; p < dev->max_qp; p++) {
		const struct vx_vq *vq = &dev->vq[VX_RXQ(p)], *tx = &dev->vq[VX_TXQ(p)];

		dev->rxq[p].shared = false;
		if (vq->ready && vq->started && vq->enabled)
			run[n++] = p;
		/* Frames may still wait in a pair that stopped: its owner frees them. */
		if (vq->started || tx->started || dev->rxq[p].bl_len)
			dev->qp_used = (uint16_t)(p + 1);
	}
	for (q = 0; q < VX_MAX_QUEUES; q++) {
		struct vx_rx_route *rt = &dev->route[q];
		unsigned int w = q % nic->nw, i;

		memset(rt, 0, sizeof(*rt));
		rt->st = &dev->stats[w];	/* counted even when no pair runs */
		if (q >= nic->nq || !n)
			continue;
		for (i = 0, nown = 0; i < n; i++)
			if (run[i] % nic->nw == w)
				own[nown++] = run[i];
		p = nown ? own[(q / nic->nw) % nown] : run[w % n];
		rt->vq = &dev->vq[VX_RXQ(p)];
		rt->rq = &dev->rxq[p];
		rt->st = &dev->stats[w];
		rt->own = nown > 0;
		if (!rt->own)
			dev->rxq[p].shared = true;
	}
	/* Known only once every queue has picked. */
	for (q = 0; q < nic->nq && q < VX_MAX_QUEUES; q++)
		if (dev->route[q].rq)
			dev->route[q].shared = dev->route[q].rq->shared;
}

static void nic_vq_update(struct vx_dev *dev, unsigned int idx, int old_kick)
{
	struct vx_nic *nic = dev->owner;
	struct vx_worker *w = owner_of(nic, idx / 2);
	int want = dev->vq[idx].kick_fd;

	if (dev->kick_reg[idx] != want) {
		if (dev->kick_reg[idx] >= 0)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, dev->kick_reg[idx], NULL);
		dev->kick_reg[idx] = -1;
		if (want >= 0 && !ep_add(w, want, EV(EV_KICK, dev->id, idx)))
			dev->kick_reg[idx] = want;
	}
	rx_plan(nic, dev);
	/* Buffers may already be waiting in a ring that just started. */
	w->pending = true;
	dq_check(nic);
}

static void nic_dev_reset(struct vx_dev *dev)
{
	vx_net_backlog_drop(dev->owner, dev);
	rx_plan(dev->owner, dev);
	dq_check(dev->owner);
}

static const struct vx_dev_ops nic_dev_ops = {
	.lock = nic_dev_lock,
	.unlock = nic_dev_unlock,
	.vq_update = nic_vq_update,
	.reset = nic_dev_reset,
};

/* ---- the worker ---- */

static void drain_eventfd(int fd)
{
	eventfd_t v;

	if (fd >= 0)
		eventfd_read(fd, &v);
}

/* A socket that reports an error (the NIC went away) is taken out of epoll. */
static void ev_error(struct vx_worker *w, uint64_t d)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = EV_KIND(d) == EV_XSK ? nic->xsk[EV_IDX(d)] : NULL;
	int fd;

	if (EV_KIND(d) == EV_XSK && !x)
		return;		/* closed since epoll reported it */
	fd = x ? vx_xsk_fd(x) : vx_bcast_fd(nic->bcast);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (x) {
		w->xsk_armed[EV_IDX(d)] = false;
		nic->xsk_failed[EV_IDX(d)] = true;
	}
	nic->link_up = false;
	pr_err("%s: %s socket reported an error (NIC down or gone); its traffic is dropped\n",
	       nic->ifname, EV_KIND(d) == EV_XSK ? "AF_XDP" : "broadcast");
}

static void handle_event(struct vx_worker *w, const struct epoll_event *ev)
{
	struct vx_nic *nic = w->nic;
	uint64_t d = ev->data.u64;

	switch (EV_KIND(d)) {
	case EV_WAKE:
		drain_eventfd(w->wake_fd);
		break;
	case EV_KICK:
		if (EV_PORT(d) < nic->nports && EV_IDX(d) < VX_VQ_MAX)
			drain_eventfd(nic->ports[EV_PORT(d)]->vq[EV_IDX(d)].kick_fd);
		break;
	case EV_XSK:
	case EV_BCAST:
		if (ev->events & (EPOLLERR | EPOLLHUP))
			ev_error(w, d);
		else if (EV_KIND(d) == EV_BCAST)
			w->bcast_ready = true;
		break;
	}
}

/*
 * Before sleeping, ask the guest to kick again; if buffers slipped in
 * meanwhile, go round once more. RX kicks matter only while frames wait
 * for buffers.
 */
static bool rearm_kicks(struct vx_worker *w, bool *nofd)
{
	struct vx_nic *nic = w->nic;
	bool more = false;
	unsigned int i, p;

	for (i = 0; i < nic->nports; i++) {
		struct vx_dev *d = nic->ports[i];

		for_each_pair(w, d, p) {
			struct vx_vq *tx = &d->vq[VX_TXQ(p)], *rx = &d->vq[VX_RXQ(p)];
			bool waiting = d->rxq[p].bl_len;

			if (vx_vq_active(tx) && tx->kick_fd < 0)
				*nofd = true;
			if (vx_vq_active(rx) && rx->kick_fd < 0 && waiting)
				*nofd = true;
			if (nic->opts.poll)
				continue;
			more |= vx_vq_kick_enable(tx);
			/* A dedicated queue wants new RX buffers for the fill ring as they come. */
			if (waiting || nic->dq_on)
				more |= vx_vq_kick_enable(rx);
		}
	}
	/* Zero-copy TX buffers return on completion, which wakes no one: look again soon. */
	if (nic->dq_on && nic->dq->tx.n)
		*nofd = true;
	return more;
}

/*
 * One bounded pass over everything this worker serves; true if work
 * remains. The dedicated queue exists only with one worker (dq.h).
 */
static bool worker_pass(struct vx_worker *w, bool *nofd)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = nic->xsk[w->idx];
	bool more = false;
	unsigned int i, p, q;

	w->stats.wakeups++;
	for (i = 0; i < nic->nports; i++) {
		for_each_pair(w, nic->ports[i], p) {
			vx_vq_kick_disable(&nic->ports[i]->vq[VX_TXQ(p)]);
			more |= vx_net_tx(w, nic->ports[i], p);
		}
	}
	if (x)
		vx_xsk_tx_flush(x);
	if (nic->dq_on) {
		vx_vq_kick_disable(&nic->ports[0]->vq[VX_RX_VQ]);
		vx_net_dq_tx_done(nic, nic->ports[0]);
	}
	for (q = w->idx; q < nic->nq; q += nic->nw)
		more |= vx_net_rx_xsk(w, q);
	if (nic->dq_on)
		vx_net_dq_post(w, nic->ports[0]);
	if (w->idx == 0)
		more |= vx_net_rx_bcast(w);
	for (i = 0; i < nic->nports; i++)
		for_each_pair(w, nic->ports[i], p)
			vx_net_backlog_drain(w, nic->ports[i], p);
	vx_net_release(w);
	if (x)
		vx_xsk_tx_flush(x);
	if (nic->dq_on)
		vx_net_dq_tx_done(nic, nic->ports[0]);
	/* A queue the guest broke stops the dedicated socket too. */
	if (nic->dq)
		dq_check(nic);
	return more;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * After a pass with nothing left: keep polling while a busy period lasts
 * (see VX_BUSY_MIN_WORK), else ask for kicks again. Returns true if the
 * worker must not sleep.
 */
static bool worker_idle(struct vx_worker *w, uint64_t moved, uint64_t *spin_until, bool *nofd)
{
	const struct vx_nic_opts *o = &w->nic->opts;
	uint64_t now;

	if (o->poll) {
		rearm_kicks(w, nofd);	/* only looks for rings without a kick fd */
		return true;
	}
	if (o->busy_poll_us) {
		now = now_us();
		if (moved >= VX_BUSY_MIN_WORK)
			*spin_until = now + o->busy_poll_us;
		else if (moved)
			*spin_until = *spin_until > now ? now + o->busy_poll_us : 0;
		if (now < *spin_until)
			return true;
	}
	return rearm_kicks(w, nofd);
}

/*
 * The AF_XDP sockets leave epoll while the worker is busy (a pass moved
 * VX_BUSY_MIN_WORK or more) and return before it sleeps. A socket with a
 * waiter pays a wake-up call (a wait-queue lock and epoll's callback) for
 * every frame it sends or receives (sock_wfree -> sk_write_space,
 * sk_data_ready): 6-10% of the worker's core at 64 bytes in perf. A trickle
 * keeps them in, so a ping costs no epoll_ctl. Adding a socket that is
 * already readable puts it on the ready list at once, so no frame that
 * arrived in between is missed.
 */
static void xsk_arm(struct vx_worker *w, bool on)
{
	struct vx_nic *nic = w->nic;
	unsigned int q;

	for (q = w->idx; q < nic->nq; q += nic->nw) {
		if (!nic->xsk[q] || w->xsk_armed[q] == on || nic->xsk_failed[q])
			continue;
		if (on)
			w->xsk_armed[q] = !ep_add(w, vx_xsk_fd(nic->xsk[q]), EV(EV_XSK, 0, q));
		else if (!epoll_ctl(w->epfd, EPOLL_CTL_DEL, vx_xsk_fd(nic->xsk[q]), NULL))
			w->xsk_armed[q] = false;
	}
}

static void *worker_main(void *arg)
{
	struct vx_worker *w = arg;
	struct epoll_event ev[32];
	bool more = true, nofd = false;
	uint64_t spin_until = 0, work;
	int n, i, timeout;

	for (;;) {
		timeout = more ? 0 : nofd ? VX_NOFD_POLL_MS : -1;
		n = epoll_wait(w->epfd, ev, 32, timeout);
		pthread_mutex_lock(&w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		for (i = 0; i < n; i++)
			handle_event(w, &ev[i]);
		nofd = false;
		work = w->work;
		more = worker_pass(w, &nofd);
		/* Busy: the sockets leave epoll until the worker sleeps again. */
		if (w->work - work >= VX_BUSY_MIN_WORK)
			xsk_arm(w, false);
		if (!more)
			more = worker_idle(w, w->work - work, &spin_until, &nofd);
		if (!more)
			xsk_arm(w, true);
		pthread_mutex_unlock(&w->lock);
		/* Mutexes are not fair: let a waiting control thread in. */
		while (ctl_waiting)
			sched_yield();
	}
	return NULL;
}

/* ---- set-up and tear-down ---- */

static int nic_read_mtu(const char *ifname, uint32_t *mtu, bool *up)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		err = -errno;
	else
		*mtu = (uint32_t)ifr.ifr_mtu;
	if (!err && ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	else if (!err)
		*up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	close(fd);
	return err;
}

/* Makes x the socket of queue q: the steering program redirects to it from now on. */
static int nic_xsk_install(struct vx_nic *nic, unsigned int q, struct vx_xsk *x)
{
	int err = vx_steer_set_xsk(nic->steer, q, vx_xsk_fd(x));

	if (err) {
		vx_steer_set_xsk(nic->steer, q, -1);
		vx_xsk_close(x);
		return err;
	}
	nic->xsk[q] = x;
	nic->xsk_failed[q] = false;
	return 0;
}

/* Closes queue q's socket; frames of its UMEM that wait in a backlog are dropped first. */
static void nic_xsk_remove(struct vx_nic *nic, unsigned int q)
{
	struct vx_worker *w = owner_of(nic, q);
	unsigned int i;

	if (!nic->xsk[q])
		return;
	vx_steer_set_xsk(nic->steer, q, -1);
	if (w->xsk_armed[q])
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, vx_xsk_fd(nic->xsk[q]), NULL);
	w->xsk_armed[q] = false;
	for (i = 0; i < nic->nports; i++)
		vx_net_backlog_drop(nic, nic->ports[i]);
	vx_xsk_close(nic->xsk[q]);
	nic->xsk[q] = NULL;
}

/* Queue q's ordinary socket: its own UMEM, copy between it and guest buffers. */
static int nic_open_queue(struct vx_nic *nic, unsigned int q)
{
	struct vx_xsk_opts xo = { .zc = nic->opts.zc, .skb_mode = nic->opts.skb_mode };
	struct vx_xsk *x;
	int err;

	err = vx_xsk_open(&x, nic->ifname, q, &xo);
	if (!err)
		err = nic_xsk_install(nic, q, x);
	if (!err)
		pr_info("%s q%u: AF_XDP socket bound in %s mode\n", nic->ifname, q,
			vx_xsk_zerocopy(x) ? "zero-copy" : "copy");
	return err;
}

static int nic_open_sockets(struct vx_nic *nic)
{
	unsigned int q;
	int err;

	for (q = 0; q < nic->nq; q++) {
		err = nic_open_queue(nic, q);
		if (err)
			return err;
	}
	err = vx_bcast_open(&nic->bcast, nic->ifindex);
	if (!err)
		err = ep_add(&nic->w[0], vx_bcast_fd(nic->bcast), EV(EV_BCAST, 0, 0));
	return err;
}

/* ---- dedicated queue (user/dq.h) ---- */

/*
 * Opens queue 0's socket over the guest's memory. Copy mode even where the
 * driver could do zero-copy: with zero-copy, a chunk that crosses into a
 * physically discontiguous page is refused by the kernel, and guest buffers
 * are not laid out to avoid that; not handled yet.
 */
static int dq_open(struct vx_nic *nic, struct vx_xsk **x)
{
	struct vx_xsk_opts xo = {
		.zc = VX_XSK_ZC_OFF,
		.skb_mode = nic->opts.skb_mode,
		.nframes = VX_DQ_NFRAMES,
		.area = nic->dq->area,
		.area_len = nic->dq->area_len,
		.sg = nic->opts.dq_tx_inplace,
	};
	int err = vx_xsk_open(x, nic->ifname, 0, &xo);

	if (xo.sg && (err == -EINVAL || err == -EOPNOTSUPP)) {
		/* No multi-buffer TX in this kernel: the guest's TX frames are copied. */
		xo.sg = false;
		err = vx_xsk_open(x, nic->ifname, 0, &xo);
	}
	nic->dq->zc_tx = !err && xo.sg;
	return err;
}

static int dq_start(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_dq *dq = nic->dq;
	struct vx_xsk *x = NULL;
	int err;

	dq->max_len = nic->mtu + ETH_HLEN;
	err = vx_dq_map(dq, &dev->mem, (uint64_t)VX_DQ_NFRAMES * 2048);
	if (err) {
		pr_err("%s: dedicated queue: cannot map guest memory as a UMEM: %s\n", dev->name,
		       strerror(-err));
		return err;
	}
	/* One socket per queue: the ordinary one goes first. */
	nic_xsk_remove(nic, 0);
	err = vx_steer_port_limit(nic->steer, dev->id, dev->mac, 0, dq->max_len);
	if (!err)
		err = dq_open(nic, &x);
	if (!err)
		err = nic_xsk_install(nic, 0, x);
	if (err) {
		pr_err("%s: dedicated queue refused (%s); frames are copied instead\n", dev->name,
		       strerror(-err));
		vx_steer_port_limit(nic->steer, dev->id, dev->mac, 0, 0);
		vx_dq_unmap(dq);
		nic_open_queue(nic, 0);
		return err;
	}
	nic->dq_on = true;
	nic->dq_drops_seen = 0;
	dq->spare_lent = 0;
	dq->rx_posted = false;
	pr_info("%s: dedicated queue: %s q0 writes into guest memory, guest TX %s\n", dev->name,
		nic->ifname, dq->zc_tx ? "read in place" :
			     nic->opts.dq_tx_inplace ? "copied (no multi-buffer TX here)" : "copied");
	return 0;
}

static void dq_stop(struct vx_nic *nic, struct vx_dev *dev)
{
	dev->stats[0].rx_drop_kernel += vx_xsk_kernel_drops(nic->xsk[0]) - nic->dq_drops_seen;
	nic->dq_drops_seen = 0;
	/* Closed first: after that the kernel holds no guest buffer, and they can go back. */
	nic_xsk_remove(nic, 0);
	nic->dq_on = false;
	vx_net_dq_return(nic, dev);
	vx_dq_unmap(nic->dq);
	vx_steer_port_limit(nic->steer, dev->id, dev->mac, 0, 0);
	if (nic_open_queue(nic, 0))
		pr_err("%s: cannot reopen queue 0 after the dedicated queue stopped\n", nic->ifname);
	pr_info("%s: dedicated queue stopped\n", dev->name);
}

/* Starts or stops the dedicated socket to match the port's state; called locked. */
static void dq_check(struct vx_nic *nic)
{
	struct vx_dev *dev;
	bool want;

	if (!nic->dq || !nic->nports)
		return;
	dev = nic->ports[0];
	want = dev->mem.n && vx_vq_active(&dev->vq[VX_RX_VQ]) &&
	       vx_vq_active(&dev->vq[VX_TX_VQ]);
	if (nic->dq_on && (!want || vx_dq_stale(nic->dq, &dev->mem)))
		dq_stop(nic, dev);
	if (!want)
		nic->dq->failed = false;
	else if (!nic->dq_on && !nic->dq->failed && dq_start(nic, dev))
		nic->dq->failed = true;
}

/* One worker per NIC queue unless told otherwise, no more than there are CPUs. */
static unsigned int nic_workers(const struct vx_nic *nic, unsigned int asked)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = asked;

	if (!n)
		n = cpus > 0 && (unsigned long)cpus < nic->nq ? (unsigned int)cpus : nic->nq;
	if (n > nic->nq) {
		pr_warn("%s: %u workers asked for, but the NIC has %u queue%s; using %u\n",
			nic->ifname, n, nic->nq, nic->nq == 1 ? "" : "s", nic->nq);
		n = nic->nq;
	}
	return n < VX_MAX_WORKERS ? n : VX_MAX_WORKERS;
}

static int worker_init(struct vx_nic *nic, unsigned int i)
{
	struct vx_worker *w = &nic->w[i];

	w->nic = nic;
	w->idx = i;
	pthread_mutex_init(&w->lock, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0)
		return -errno;
	return ep_add(w, w->wake_fd, EV(EV_WAKE, 0, 0));
}

int vx_nic_open(struct vx_nic *nic, const char *ifname, const struct vx_nic_opts *opts)
{
	bool up = false;
	unsigned int i;
	uint32_t nq;
	int err;

	memset(nic, 0, sizeof(*nic));
	for (i = 0; i < VX_MAX_WORKERS; i++)
		nic->w[i].epfd = nic->w[i].wake_fd = -1;
	snprintf(nic->ifname, sizeof(nic->ifname), "%s", ifname);
	nic->opts = *opts;
	nic->ifindex = (int)if_nametoindex(ifname);
	if (!nic->ifindex)
		return -ENODEV;
	err = nic_read_mtu(ifname, &nic->mtu, &up);
	if (err)
		return err;
	nic->link_up = up;
	nq = vx_xsk_nic_queues(ifname);
	nic->nq = nq ? (nq < VX_MAX_QUEUES ? nq : VX_MAX_QUEUES) : 1;
	if (opts->dedicated) {
		/* Frames on any other queue would reach no socket (dq.h). */
		if (nic->nq != 1) {
			pr_err("%s: a dedicated queue needs a NIC with one queue; it has %u "
			       "(ethtool -L %s combined 1)\n", ifname, nic->nq, ifname);
			return -EINVAL;
		}
		nic->dq = calloc(1, sizeof(*nic->dq));
		if (!nic->dq)
			return -ENOMEM;
	}
	nic->nw = nic_workers(nic, opts->workers);
	for (i = 0; i < nic->nw; i++) {
		err = worker_init(nic, i);
		if (err)
			return err;
	}
	err = vx_steer_attach(&nic->steer, nic->ifindex, opts->skb_mode);
	if (err)
		return err;
	pr_info("%s: steering program attached (%s mode), %u queue%s, %u worker%s, MTU %u\n",
		ifname, vx_steer_mode(nic->steer), nic->nq, nic->nq == 1 ? "" : "s", nic->nw,
		nic->nw == 1 ? "" : "s", nic->mtu);
	return nic_open_sockets(nic);
}

int vx_nic_add_port(struct vx_nic *nic, struct vx_dev *dev)
{
	int err;

	if (nic->nports >= VX_MAX_PORTS)
		return -ENOSPC;
	/* The CLI checks this too; the queue's frames must belong to one untagged port. */
	if (nic->dq && (nic->nports || dev->vlan))
		return -EINVAL;
	dev->id = nic->nports;
	dev->owner = nic;
	rx_plan(nic, dev);	/* no ring runs yet: every frame is counted as not ready */
	/* The dedicated socket serves one queue pair (dq.h). */
	if (nic->dq)
		dev->max_qp = 1;
	dev->mem.keep_fds = nic->dq != NULL;
	dev->ops = &nic_dev_ops;
	err = vx_steer_port_add(nic->steer, dev->id, dev->mac, dev->vlan);
	if (err)
		return err;
	nic->ports[nic->nports++] = dev;
	return 0;
}

static int worker_start(struct vx_worker *w)
{
	int cpu = w->nic->opts.worker_cpu[w->idx];
	pthread_attr_t attr;
	cpu_set_t cpus;
	char name[16];
	int err;

	pthread_attr_init(&attr);
	if (cpu >= 0) {
		CPU_ZERO(&cpus);
		CPU_SET(cpu, &cpus);
		pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	}
	err = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (err) {
		pr_err("%s: cannot start worker %u%s: %s\n", w->nic->ifname, w->idx,
		       cpu >= 0 ? " on that CPU" : "", strerror(err));
		return -err;
	}
	snprintf(name, sizeof(name), "vx-w%u", w->idx);
	pthread_setname_np(w->thread, name);
	w->running = true;
	return 0;
}

int vx_nic_start(struct vx_nic *nic)
{
	unsigned int i;
	int err;

	for (i = 0; i < nic->nw; i++) {
		err = worker_start(&nic->w[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Order matters: detach XDP before closing the sockets it redirects to. */
void vx_nic_close(struct vx_nic *nic)
{
	unsigned int q, i;

	for (i = 0; i < VX_MAX_WORKERS; i++) {
		struct vx_worker *w = &nic->w[i];

		if (!w->running)
			continue;
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_mutex_unlock(&w->lock);
		eventfd_write(w->wake_fd, 1);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	vx_steer_detach(nic->steer);
	nic->steer = NULL;
	for (q = 0; q < VX_MAX_QUEUES; q++) {
		vx_xsk_close(nic->xsk[q]);
		nic->xsk[q] = NULL;
	}
	vx_bcast_close(nic->bcast);
	nic->bcast = NULL;
	if (nic->dq) {
		vx_dq_unmap(nic->dq);
		free(nic->dq);
		nic->dq = NULL;
		nic->dq_on = false;
	}
	for (i = 0; i < VX_MAX_WORKERS; i++) {
		struct vx_worker *w = &nic->w[i];

		if (!w->nic)
			continue;	/* never set up */
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->wake_fd >= 0)
			close(w->wake_fd);
		w->epfd = w->wake_fd = -1;
	}
}

void vx_nic_refresh(struct vx_nic *nic)
{
	uint32_t mtu = nic->mtu;
	bool up = false;
	int err = nic_read_mtu(nic->ifname, &mtu, &up);

	if (err == -ENODEV && nic->link_up)
		pr_err("%s: NIC has disappeared; guest traffic to the wire is dropped\n",
		       nic->ifname);
	if (!err && up != nic->link_up)
		pr_info("%s: link %s\n", nic->ifname, up ? "up" : "down");
	if (!err && mtu != nic->mtu)
		pr_info("%s: MTU changed to %u\n", nic->ifname, mtu);
	nic->mtu = mtu;
	nic->link_up = !err && up;
}

/* Sums per-worker counters: struct of uint64_t fields, n of them. */
static void stats_add(uint64_t *sum, const uint64_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum[i] += v[i];
}

#define STATS_ADD(sum, v) stats_add((uint64_t *)(sum), (const uint64_t *)(v), \
				    sizeof(*(sum)) / sizeof(uint64_t))

void vx_nic_stats_write(struct vx_nic *nic, FILE *f)
{
	struct vx_steer_stats ss, glob = { 0 };
	struct vx_nic_stats ns = { 0 };
	struct vx_port_stats ps;
	unsigned int i, k;

	for (k = 0; k < nic->nw; k++)
		STATS_ADD(&ns, &nic->w[k].stats);
	vx_nic_stats_print(f, "nic", &ns);
	fprintf(f, "nic workers %u\n", nic->nw);
	for (k = 0; k < nic->nw; k++) {
		char obj[24];

		snprintf(obj, sizeof(obj), "worker%u", k);
		vx_nic_stats_print(f, obj, &nic->w[k].stats);
	}
	if (nic->steer)
		vx_steer_stats(nic->steer, VX_STEER_GLOBAL, &glob);
	fprintf(f, "nic steer_pass_multicast %llu\nnic steer_pass_host %llu\n"
		   "nic steer_pass_unparsed %llu\n",
		(unsigned long long)glob.cnt[VX_CNT_PASS_MULTICAST],
		(unsigned long long)glob.cnt[VX_CNT_PASS_HOST],
		(unsigned long long)glob.cnt[VX_CNT_PASS_UNPARSED]);
	for (i = 0; i < nic->nports; i++) {
		struct vx_dev *d = nic->ports[i];

		memset(&ss, 0, sizeof(ss));
		if (nic->steer)
			vx_steer_stats(nic->steer, d->id, &ss);
		if (nic->dq_on) {
			/* The socket may be swapped by the worker: read it locked. */
			pthread_mutex_lock(&nic->w[0].lock);
			if (nic->dq_on) {
				uint64_t drops = vx_xsk_kernel_drops(nic->xsk[0]);

				d->stats[0].rx_drop_kernel += drops - nic->dq_drops_seen;
				nic->dq_drops_seen = drops;
			}
			pthread_mutex_unlock(&nic->w[0].lock);
		}
		memset(&ps, 0, sizeof(ps));
		for (k = 0; k < nic->nw; k++)
			STATS_ADD(&ps, &d->stats[k]);
		for (k = 0; k < VX_VQ_MAX; k++)
			ps.queue_broken += d->vq[k].errors;
		vx_port_stats_print(f, d->name, &ps);
		fprintf(f, "%s steer_redirect %llu\n%s steer_drop_no_socket %llu\n"
			   "%s steer_drop_too_big %llu\n", d->name,
			(unsigned long long)ss.cnt[VX_CNT_REDIRECT], d->name,
			(unsigned long long)ss.cnt[VX_CNT_DROP_NO_SOCKET], d->name,
			(unsigned long long)ss.cnt[VX_CNT_DROP_TOO_BIG]);
	}
}

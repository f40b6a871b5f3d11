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
#include "migrate.h"
#include "dp/net.h"
#include "nic_priv.h"

int vx_ep_add(struct vx_worker *w, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* A ring without a kick fd (VU_VRING_NOFD) is polled this often. */
#define VX_NOFD_POLL_MS 1

/* Pairs of a port this worker serves: p = w->idx, w->idx + nw, ... (those in use). */
#define for_each_pair(w, dev, p) \
	for ((p) = (w)->idx; (p) < (dev)->qp_used; (p) += (w)->nic->nw)

/* ---- the ops control threads call; all with every worker paused ---- */

static _Atomic unsigned int ctl_waiting;

void vx_nic_pause(struct vx_nic *nic)
{
	unsigned int i;

	ctl_waiting++;
	for (i = 0; i < nic->nw; i++)
		pthread_mutex_lock(&nic->w[i].lock);
	ctl_waiting--;
}

void vx_nic_resume(struct vx_nic *nic)
{
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

static void nic_dev_lock(struct vx_dev *dev)
{
	vx_nic_pause(dev->owner);
}

static void nic_dev_unlock(struct vx_dev *dev)
{
	vx_nic_resume(dev->owner);
}

static void nic_vq_update(struct vx_dev *dev, unsigned int idx, int old_kick)
{
	struct vx_nic *nic = dev->owner;
	struct vx_worker *w = vx_owner_of(nic, idx / 2);
	int want = dev->vq[idx].kick_fd;
	bool was_on;

	if (dev->kick_reg[idx] != want) {
		if (dev->kick_reg[idx] >= 0)
			epoll_ctl(w->epfd, EPOLL_CTL_DEL, dev->kick_reg[idx], NULL);
		dev->kick_reg[idx] = -1;
		if (want >= 0 && !vx_ep_add(w, want, EV(EV_KICK, dev->id, idx)))
			dev->kick_reg[idx] = want;
	}
	was_on = dev->rx_on;
	vx_rx_plan(nic, dev);
	/* Of a migration pair, the port whose RX rings started last receives (migrate.h). */
	if (!was_on && dev->rx_on)
		vx_mig_claim(nic, dev);
	/* Buffers may already be waiting in a ring that just started. */
	w->pending = true;
	vx_dq_check(nic);
}

static void nic_dev_reset(struct vx_dev *dev)
{
	vx_net_backlog_drop(dev->owner, dev);
	vx_rx_plan(dev->owner, dev);
	vx_dq_check(dev->owner);
}

const struct vx_dev_ops vx_nic_dev_ops = {
	.lock = nic_dev_lock,
	.unlock = nic_dev_unlock,
	.vq_update = nic_vq_update,
	.reset = nic_dev_reset,
	.announce = vx_mig_announce,
};

/* ---- the worker ---- */

static void drain_eventfd(int fd)
{
	eventfd_t v;

	if (fd >= 0)
		eventfd_read(fd, &v);
}

/* A socket that reports an error (the NIC went away) is taken out of epoll. */
static void ev_error(struct vx_worker *w, uint64_t d, uint32_t ev_events)
{
	struct vx_nic *nic = w->nic;
	struct vx_xsk *x = EV_KIND(d) == EV_XSK ? nic->xsk[EV_IDX(d)] : NULL;
	int fd;

	/* Closed since epoll reported it (the NIC was let go or attached again). */
	if (EV_KIND(d) == EV_XSK ? !x : !nic->bcast || nic->bcast_failed)
		return;
	/*
	 * The packet socket reports ENETDOWN once when the link goes down and
	 * works again when it comes up: reading the error clears it. Only an
	 * error that does not clear takes it out (and the NIC is re-attached).
	 */
	if (!x) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (!getsockopt(vx_bcast_fd(nic->bcast), SOL_SOCKET, SO_ERROR, &soerr, &sl) &&
		    soerr && !(ev_events & EPOLLHUP)) {
			pr_debug("%s: broadcast socket: %s (cleared)\n", nic->ifname,
				 strerror(soerr));
			return;
		}
	}
	fd = x ? vx_xsk_fd(x) : vx_bcast_fd(nic->bcast);
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	if (x) {
		w->xsk_armed[EV_IDX(d)] = false;
		nic->xsk_failed[EV_IDX(d)] = true;
	} else {
		nic->bcast_failed = true;
		w->bcast_ready = false;
	}
	nic->link_up = false;
	/* The main thread's next vx_nic_refresh opens the sockets again (nic.c). */
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
		/* The port may be gone since epoll_wait (its id then reads NULL, or a new port's). */
		if (EV_PORT(d) < VX_MAX_PORTS && nic->by_id[EV_PORT(d)] && EV_IDX(d) < VX_VQ_MAX)
			drain_eventfd(nic->by_id[EV_PORT(d)]->vq[EV_IDX(d)].kick_fd);
		break;
	case EV_XSK:
	case EV_BCAST:
		if (ev->events & (EPOLLERR | EPOLLHUP))
			ev_error(w, d, ev->events);
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

	for (i = 0; i < nic->nact; i++) {
		struct vx_dev *d = nic->act[i];

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
	for (i = 0; i < nic->nact; i++) {
		for_each_pair(w, nic->act[i], p) {
			vx_vq_kick_disable(&nic->act[i]->vq[VX_TXQ(p)]);
			more |= vx_net_tx(w, nic->act[i], p);
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
	for (i = 0; i < nic->nact; i++)
		for_each_pair(w, nic->act[i], p)
			vx_net_backlog_drain(w, nic->act[i], p);
	vx_net_release(w);
	if (x)
		vx_xsk_tx_flush(x);
	if (nic->dq_on)
		vx_net_dq_tx_done(nic, nic->ports[0]);
	/* A queue the guest broke stops the dedicated socket too. */
	if (nic->dq)
		vx_dq_check(nic);
	return more;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * The spin window adapts (event mode): a worker that gave up spinning
 * after a busy period and was handed a busy pass again within the window
 * slept for nothing, paying two wake-ups (its own, and the socket
 * callbacks on the sender's CPU while it sleeps); the window doubles, up to
 * VX_BUSY_SPIN_MAX_US. A sleep longer than the largest window halves it,
 * down to --busy-poll. A trickle never counts as busy, so it never spins.
 */
static void spin_adapt(struct vx_worker *w, uint64_t now, uint64_t moved)
{
	const unsigned int base = w->nic->opts.busy_poll_us;

	if (!w->slept_at)
		return;
	if (moved >= VX_BUSY_MIN_WORK && now - w->slept_at < w->spin_us)
		w->spin_us = w->spin_us * 2 < VX_BUSY_SPIN_MAX_US ? w->spin_us * 2
								  : VX_BUSY_SPIN_MAX_US;
	else if (now - w->slept_at > VX_BUSY_SPIN_MAX_US)
		w->spin_us = w->spin_us / 2 > base ? w->spin_us / 2 : base;
	w->slept_at = 0;
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
		bool spinning = *spin_until != 0;

		now = now_us();
		spin_adapt(w, now, moved);
		if (moved >= VX_BUSY_MIN_WORK)
			*spin_until = now + w->spin_us;
		else if (moved)
			*spin_until = *spin_until > now ? now + w->spin_us : 0;
		if (now < *spin_until)
			return true;
		/* A busy period ends here: remember when, to see if it was over. */
		if (spinning)
			w->slept_at = now;
		*spin_until = 0;
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
			w->xsk_armed[q] = !vx_ep_add(w, vx_xsk_fd(nic->xsk[q]), EV(EV_XSK, 0, q));
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

	w->spin_us = w->nic->opts.busy_poll_us;
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
		w->polling = w->nic->opts.napi_busy_poll && (w->nic->opts.poll || spin_until);
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


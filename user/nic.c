// SPDX-License-Identifier: GPL-2.0
/*
 * A NIC's set-up and tear-down: the steering program, one AF_XDP socket per
 * queue, the broadcast tap, the workers' state, ports, link and MTU.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>

#include "dp/net.h"
#include "log.h"
#include "migrate.h"
#include "nic_priv.h"
#include "offload/tso.h"

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
int vx_nic_xsk_install(struct vx_nic *nic, unsigned int q, struct vx_xsk *x)
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
void vx_nic_xsk_remove(struct vx_nic *nic, unsigned int q)
{
	struct vx_worker *w = vx_owner_of(nic, q);
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

/*
 * Queue q's ordinary socket: its own UMEM, copy between it and guest buffers.
 * Bound with XDP_USE_SG where the kernel has it (6.6), so that frames longer
 * than a UMEM frame (MTU above 1792 - 14) pass as several pieces; a kernel
 * or driver that refuses it gets a socket without, and such frames are then
 * dropped (by the kernel on RX, tx_drop_too_big on TX) as before.
 */
int vx_nic_open_queue(struct vx_nic *nic, unsigned int q)
{
	struct vx_xsk_opts xo = { .zc = nic->opts.zc, .skb_mode = nic->opts.skb_mode, .sg = true };
	struct vx_xsk *x;
	int err;

	err = vx_xsk_open(&x, nic->ifname, q, &xo);
	if (err == -EINVAL || err == -EOPNOTSUPP) {
		pr_info("%s q%u: no multi-buffer AF_XDP (%s): frames longer than a UMEM frame are dropped\n",
			nic->ifname, q, strerror(-err));
		xo.sg = false;
		err = vx_xsk_open(&x, nic->ifname, q, &xo);
	}
	if (!err && nic->opts.napi_busy_poll) {
		/* 20 µs and a batch per call: enough to find what the NIC holds, no more. */
		int e = vx_xsk_set_busy_poll(x, 20, VX_BATCH);

		if (e)
			pr_warn("%s q%u: no preferred busy polling here (%s); sleeping on events\n",
				nic->ifname, q, strerror(-e));
	}
	if (!err)
		err = vx_nic_xsk_install(nic, q, x);
	if (!err)
		pr_info("%s q%u: AF_XDP socket bound in %s mode%s\n", nic->ifname, q,
			vx_xsk_zerocopy(x) ? "zero-copy" : "copy",
			vx_xsk_sg(x) ? ", multi-buffer" : "");
	return err;
}

static int nic_open_sockets(struct vx_nic *nic)
{
	unsigned int q;
	int err;

	for (q = 0; q < nic->nq; q++) {
		err = vx_nic_open_queue(nic, q);
		if (err)
			return err;
	}
	err = vx_bcast_open(&nic->bcast, nic->ifindex);
	if (!err)
		err = vx_ep_add(&nic->w[0], vx_bcast_fd(nic->bcast), EV(EV_BCAST, 0, 0));
	return err;
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

int vx_worker_init(struct vx_nic *nic, unsigned int i)
{
	struct vx_worker *w = &nic->w[i];

	w->nic = nic;
	w->idx = i;
	pthread_mutex_init(&w->lock, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0)
		return -errno;
	vx_gro_init(&w->gro);
	w->gso_buf = malloc(VX_TSO_MAX_LEN);
	if (!w->gso_buf)
		return -ENOMEM;
	return vx_ep_add(w, w->wake_fd, EV(EV_WAKE, 0, 0));
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
		err = vx_worker_init(nic, i);
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

/* Room for one more port in ports and act (workers paused: both may move). */
static int ports_grow(struct vx_nic *nic)
{
	unsigned int cap = nic->ports_cap ? 2 * nic->ports_cap : 16;
	struct vx_dev **p, **a;

	if (nic->nports < nic->ports_cap)
		return 0;
	p = realloc(nic->ports, cap * sizeof(*p));
	if (p)
		nic->ports = p;
	a = p ? realloc(nic->act, cap * sizeof(*a)) : NULL;
	if (!a)
		return -ENOMEM;
	nic->act = a;
	nic->ports_cap = cap;
	return 0;
}

static int port_free_id(const struct vx_nic *nic)
{
	int id;

	for (id = 0; id < VX_MAX_PORTS; id++)
		if (!nic->by_id[id])
			return id;
	return -ENOSPC;
}

int vx_nic_add_port(struct vx_nic *nic, struct vx_dev *dev)
{
	unsigned int h = vx_port_hash(dev->mac, dev->vlan);
	struct vx_dev *twin;
	int id, err;

	/* The CLI checks this too; the queue's frames must belong to one untagged port. */
	if (nic->dq && (nic->nports || dev->vlan))
		return -EINVAL;
	id = port_free_id(nic);
	if (id < 0)
		return id;
	dev->id = (uint32_t)id;
	dev->owner = nic;
	dev->act_idx = -1;
	/* The dedicated socket serves one queue pair (dq.h). */
	if (nic->dq)
		dev->max_qp = 1;
	dev->no_tx_offload = nic->opts.dq_tx_inplace;
	dev->mem.keep_fds = nic->dq != NULL;
	dev->ops = &vx_nic_dev_ops;
	/* Counters of an earlier port with the same id start again from 0. */
	if (nic->steer)
		vx_steer_stats_clear(nic->steer, dev->id);
	/* A migration pair's second port waits on standby until its rings start (migrate.h). */
	twin = vx_mig_twin(nic, dev);
	dev->standby = twin != NULL;
	/* Without a NIC (it is gone) nic_attach adds the entry when it comes back. */
	if (!twin && nic->steer) {
		err = vx_steer_port_add(nic->steer, dev->id, dev->mac, dev->vlan);
		if (err)
			return err;
	}
	vx_nic_pause(nic);
	err = ports_grow(nic);
	if (!err) {
		vx_rx_plan(nic, dev);	/* no ring runs yet: every frame is counted as not ready */
		nic->ports[nic->nports++] = dev;
		nic->by_id[dev->id] = dev;
		if (twin) {	/* behind the owner: port_by_mac finds the owner */
			dev->hnext = twin->hnext;
			twin->hnext = dev;
		} else {
			dev->hnext = nic->by_mac[h];
			nic->by_mac[h] = dev;
		}
	}
	vx_nic_resume(nic);
	if (err && !twin && nic->steer)
		vx_steer_port_del(nic->steer, dev->mac, dev->vlan);
	return err;
}

void vx_nic_del_port(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_dev **pp = &nic->by_mac[vx_port_hash(dev->mac, dev->vlan)];
	unsigned int i;

	/*
	 * New frames for it pass to the host stack, or go to its migration twin;
	 * those already queued find no port (or the twin).
	 */
	vx_nic_pause(nic);
	if (!vx_mig_hand_over(nic, dev) && nic->steer)
		vx_steer_port_del(nic->steer, dev->mac, dev->vlan);
	while (*pp && *pp != dev)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = dev->hnext;
	nic->by_id[dev->id] = NULL;
	for (i = 0; i < nic->nports; i++)
		if (nic->ports[i] == dev) {
			/* In order: ports[0] is the dedicated queue's port. */
			memmove(&nic->ports[i], &nic->ports[i + 1],
				(nic->nports - i - 1) * sizeof(*nic->ports));
			nic->nports--;
			break;
		}
	vx_net_backlog_drop(nic, dev);
	dev->live = false;
	if (dev->act_idx >= 0) {
		struct vx_dev *last = nic->act[--nic->nact];

		nic->act[dev->act_idx] = last;
		last->act_idx = dev->act_idx;
		dev->act_idx = -1;
	}
	/* A GRO train never outlives a batch (dp/rx.c), so none holds the port's frames here. */
	if (nic->dq)
		vx_dq_check(nic);
	vx_nic_resume(nic);
	dev->owner = NULL;
	dev->ops = NULL;
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
	free(nic->ports);
	free(nic->act);
	nic->ports = nic->act = NULL;
	nic->nports = nic->nact = nic->ports_cap = 0;
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
		free(w->gso_buf);
		w->gso_buf = NULL;
		w->epfd = w->wake_fd = -1;
	}
}

/*
 * Lets the NIC go: its sockets and program, with the workers paused. Frames
 * of its UMEMs waiting in a backlog are dropped (vx_nic_xsk_remove); the
 * ports keep their front-ends, rings and ids. Until the NIC is attached
 * again the workers have no socket: guest TX rings wait (like a link down)
 * and frames for the guests come from nowhere.
 */
static void nic_detach(struct vx_nic *nic)
{
	unsigned int q;

	vx_nic_pause(nic);
	for (q = 0; q < VX_MAX_QUEUES; q++) {
		vx_nic_xsk_remove(nic, q);
		nic->xsk_failed[q] = false;
	}
	if (nic->bcast) {
		if (!nic->bcast_failed)
			epoll_ctl(nic->w[0].epfd, EPOLL_CTL_DEL, vx_bcast_fd(nic->bcast), NULL);
		vx_bcast_close(nic->bcast);
		nic->bcast = NULL;
	}
	nic->bcast_failed = false;
	nic->w[0].bcast_ready = false;
	nic->link_up = false;
	vx_nic_resume(nic);
	/* The maps go with the program: every port's entry and the steering counters. */
	vx_steer_detach(nic->steer);
	nic->steer = NULL;
}

/*
 * Attaches the NIC now at ifindex: program, every port's steering entry,
 * sockets, broadcast tap (workers paused while the sockets change). The
 * worker count stays what it was at start-up; a different queue count is
 * taken as it comes (see README "Faults").
 */
static int nic_attach(struct vx_nic *nic, int ifindex)
{
	struct vx_steer *st;
	unsigned int i, nq = vx_xsk_nic_queues(nic->ifname);
	int err;

	nq = nq ? (nq < VX_MAX_QUEUES ? nq : VX_MAX_QUEUES) : 1;
	err = vx_steer_attach(&st, ifindex, nic->opts.skb_mode);
	if (err)
		return err;
	for (i = 0; i < nic->nports && !err; i++) {
		struct vx_dev *dev = nic->ports[i];

		vx_steer_stats_clear(st, dev->id);
		/* A migration pair's standby port has no entry of its own (migrate.h). */
		if (!dev->standby)
			err = vx_steer_port_add(st, dev->id, dev->mac, dev->vlan);
	}
	if (err) {
		vx_steer_detach(st);
		return err;
	}
	if (nq != nic->nq)
		pr_warn("%s: the NIC now has %u queue%s (had %u)\n", nic->ifname, nq,
			nq == 1 ? "" : "s", nic->nq);
	if (nq < nic->nw && nic->nw_warned != nq)
		pr_err("%s: %u queue%s for %u workers: the guest queue pairs of workers %u.. "
		       "cannot reach the wire until the daemon restarts (--workers %u)\n",
		       nic->ifname, nq, nq == 1 ? "" : "s", nic->nw, nq, nq);
	nic->nw_warned = nq;
	vx_nic_pause(nic);
	nic->steer = st;
	nic->ifindex = ifindex;
	if (nq != nic->nq) {
		nic->nq = nq;
		for (i = 0; i < nic->nports; i++)
			vx_rx_plan(nic, nic->ports[i]);
	}
	err = nic_open_sockets(nic);
	for (i = 0; i < nic->nw; i++)
		nic->w[i].pending = true;	/* arm the new sockets, look at the rings */
	vx_nic_resume(nic);
	if (err)
		nic_detach(nic);
	return err;
}

/* A socket of the NIC reported an error while the NIC is still there. */
static bool nic_sockets_failed(const struct vx_nic *nic)
{
	unsigned int q;

	for (q = 0; q < nic->nq; q++)
		if (nic->xsk_failed[q])
			return true;
	return nic->bcast_failed;
}

void vx_nic_refresh(struct vx_nic *nic)
{
	int ifindex = (int)if_nametoindex(nic->ifname), err;
	uint32_t mtu = nic->mtu;
	bool up = false, was_up = nic->link_up;

	/* The dedicated queue's socket is the guest's memory: not re-attached (README). */
	if (nic->dq) {
		err = nic_read_mtu(nic->ifname, &mtu, &up);
		if (err == -ENODEV && nic->link_up)
			pr_err("%s: NIC has disappeared; guest traffic to the wire is dropped\n",
			       nic->ifname);
		goto report;
	}
	if (nic->steer && !ifindex) {
		pr_err("%s: NIC has disappeared; its sockets are closed until a NIC of that "
		       "name appears again\n", nic->ifname);
		nic_detach(nic);
	} else if (nic->steer && ifindex != nic->ifindex) {
		pr_warn("%s: the NIC was replaced (ifindex %d -> %d); attaching to the new one\n",
			nic->ifname, nic->ifindex, ifindex);
		nic_detach(nic);
	} else if (nic->steer && nic_sockets_failed(nic)) {
		pr_warn("%s: a socket reported an error; opening them again\n", nic->ifname);
		nic_detach(nic);
	}
	if (!ifindex) {
		nic->link_up = false;
		return;
	}
	err = nic_read_mtu(nic->ifname, &mtu, &up);
	if (!err && !nic->steer) {
		err = nic_attach(nic, ifindex);
		/* Loading the program parsed the kernel's BTF again: give it back (main.c). */
		malloc_trim(0);
		if (!err) {
			nic->reattached++;
			pr_info("%s: attached again (ifindex %d, %u queue%s, %u port%s)\n",
				nic->ifname, ifindex, nic->nq, nic->nq == 1 ? "" : "s",
				nic->nports, nic->nports == 1 ? "" : "s");
		} else {
			pr_err("%s: cannot attach again: %s; retried on the next link event\n",
			       nic->ifname, strerror(-err));
		}
	}
report:
	if (!err && up != was_up)
		pr_info("%s: link %s\n", nic->ifname, up ? "up" : "down");
	if (!err && mtu != nic->mtu)
		pr_info("%s: MTU changed to %u\n", nic->ifname, mtu);
	nic->mtu = mtu;
	nic->link_up = !err && up && (nic->steer || nic->dq);
}

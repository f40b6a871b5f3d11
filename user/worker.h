/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One host NIC and the worker thread that serves it: the NIC's AF_XDP
 * sockets (one per queue), its broadcast tap, and every VM port attached to
 * it. One thread owns all of them, so ports on the same NIC can be switched
 * locally without locks; the control threads pause it (nic->lock) while
 * they change a port.
 */
#ifndef VX_WORKER_H
#define VX_WORKER_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>

#include <vhost_xdp/steer_kern_user.h>

#include "bcast.h"
#include "dq.h"
#include "stats.h"
#include "steer.h"
#include "vhost_user.h"
#include "xsk_port.h"

struct vx_nic_opts {
	bool poll;		/* busy-poll instead of sleeping in epoll */
	bool dedicated;		/* the one port's memory is queue 0's UMEM (user/dq.h) */
	bool dq_tx_inplace;	/* and the kernel reads its TX frames there */
	unsigned int busy_poll_us;	/* event mode: spin this long after a busy pass */
	int worker_cpu;		/* -1, or the only CPU the worker runs on */
	bool skb_mode;		/* generic XDP */
	enum vx_xsk_zc zc;
};

struct vx_nic {
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint32_t mtu;
	struct vx_nic_opts opts;

	struct vx_steer *steer;
	struct vx_xsk *xsk[VX_MAX_QUEUES];
	bool xsk_armed[VX_MAX_QUEUES];	/* in epoll: only while the worker sleeps */
	bool xsk_failed[VX_MAX_QUEUES];	/* reported an error (NIC gone): never again in epoll */
	unsigned int nq;
	struct vx_bcast *bcast;

	struct vx_dev *ports[VX_MAX_PORTS];
	unsigned int nports;
	struct vx_dq *dq;	/* dedicated-queue mode: its state, and */
	bool dq_on;		/* whether xsk[0] is the guest-memory socket now */
	uint64_t dq_drops_seen;	/* kernel drop count already added to the port */

	pthread_mutex_t lock;
	pthread_t thread;
	bool running;
	int epfd;
	int wake_fd;		/* eventfd: control changed something, or stop */
	volatile bool stop;
	volatile bool link_up;	/* refreshed by the main thread */
	bool pending;		/* work found while locked by a control thread */
	bool bcast_ready;	/* epoll saw the broadcast socket readable */
	uint64_t work;		/* guest chains and NIC frames moved, ever */

	struct vx_nic_stats stats;
};

/* Opens the NIC: steering program, one AF_XDP socket per queue, broadcast tap. */
int vx_nic_open(struct vx_nic *nic, const char *ifname, const struct vx_nic_opts *opts);
/* Adds a port (before vx_nic_start); sets its ops so handlers pause this worker. */
int vx_nic_add_port(struct vx_nic *nic, struct vx_dev *dev);
int vx_nic_start(struct vx_nic *nic);
/* Stops the worker, detaches XDP, closes the sockets. */
void vx_nic_close(struct vx_nic *nic);
/* Refreshes link state and MTU; called periodically by the main thread. */
void vx_nic_refresh(struct vx_nic *nic);
void vx_nic_stats_write(struct vx_nic *nic, FILE *f);

#endif

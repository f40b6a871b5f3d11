/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One host NIC and the worker threads that serve it: the NIC's AF_XDP
 * sockets (one per queue), its broadcast tap, and every VM port attached to
 * it.
 *
 * Worker w owns NIC queues q with q % nw == w, sends to the wire on queue w,
 * and owns queue pair p of every port with p % nw == w: it alone reads that
 * pair's TX ring, and it writes the pair's RX ring. A frame a worker takes
 * from its NIC queues (or a guest sends to another port) goes to the RX
 * pair dev->route[q]: one of its own when the guest runs one, so with as
 * many guest pairs as workers no lock is taken anywhere on the data path.
 * With fewer, the pairs that other workers also deliver into are marked
 * shared and their writers take the pair's lock once per batch (like
 * OVS-DPDK's locked vhost TX queues). The control threads pause every
 * worker of the NIC (each worker's lock) while they change a port.
 */
#ifndef VX_WORKER_H
#define VX_WORKER_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>

#include <vhost_xdp/steer_kern_user.h>

#include "bcast.h"
#include "offload/gro.h"
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
	bool napi_busy_poll;	/* the sockets' NAPI is polled by the worker while it polls */
	unsigned int workers;	/* worker threads; 0 = one per NIC queue, at most one per CPU */
	int worker_cpu[VX_MAX_WORKERS];	/* worker w runs only there; -1 = not pinned */
	bool skb_mode;		/* generic XDP */
	enum vx_xsk_zc zc;
};

struct vx_nic;

/* Buckets of the port lookup by MAC and VLAN (a power of two). */
#define VX_PORT_HASH 1024


struct vx_worker {
	struct vx_nic *nic;
	unsigned int idx;
	pthread_mutex_t lock;	/* held by the worker while it runs a pass */
	pthread_t thread;
	bool running;
	int epfd;
	int wake_fd;		/* eventfd: control changed something, or stop */
	volatile bool stop;
	bool pending;		/* work found while locked by a control thread */
	bool bcast_ready;	/* epoll saw the broadcast socket readable (worker 0) */
	bool xsk_armed[VX_MAX_QUEUES];	/* in epoll: only while the worker sleeps */
	uint64_t work;		/* guest chains and NIC frames moved, ever */
	unsigned int spin_us;	/* event mode: the current spin window (worker.c, spin_adapt) */
	bool polling;		/* --poll, or spinning after a busy pass */
	uint64_t slept_at;	/* when a busy period last ended in sleep (µs), 0: not since */
	struct vx_rxq *held[VX_HELD_MAX];	/* shared RX pairs locked by this worker */
	struct vx_vq *held_vq[VX_HELD_MAX];
	unsigned int nheld;
	struct vx_nic_stats stats;

	/* Offloads (user/dp/rx.c, tx.c): the open GRO train and its frames, by piece. */
	struct vx_gro gro;
	struct vx_dev *gro_dev;
	uint16_t gro_q;
	struct vx_gro_frame {
		uint64_t addr;
		uint32_t len;
		uint16_t off;
	} gro_fr[VX_GRO_MAX_SEGS];
	uint8_t *gso_buf;	/* VX_TSO_MAX_LEN: a TSO frame passed whole to another port */
};

struct vx_nic {
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint32_t mtu;
	struct vx_nic_opts opts;

	struct vx_steer *steer;
	struct vx_xsk *xsk[VX_MAX_QUEUES];	/* queue q belongs to worker q % nw */
	bool xsk_failed[VX_MAX_QUEUES];	/* reported an error (NIC gone): never again in epoll */
	unsigned int nq;
	struct vx_bcast *bcast;
	bool bcast_failed;	/* the broadcast socket reported an error: out of epoll */
	unsigned int nw_warned;	/* queue count last warned about (fewer queues than workers) */
	uint64_t reattached;	/* times the NIC was attached again (vx_nic_refresh) */

	/*
	 * Ports: changed only with every worker paused (vx_nic_pause). The
	 * workers walk act, the ports with a ring running or frames waiting,
	 * so that idle ports cost them nothing; frames find their port by
	 * destination MAC and VLAN in by_mac, kick events by id in by_id.
	 */
	struct vx_dev **ports;	/* every port, in the order added */
	unsigned int nports, ports_cap;
	struct vx_dev **act;	/* ports_cap entries */
	unsigned int nact;
	struct vx_dev *by_id[VX_MAX_PORTS];
	struct vx_dev *by_mac[VX_PORT_HASH];
	struct vx_dq *dq;	/* dedicated-queue mode: its state, and */
	bool dq_on;		/* whether xsk[0] is the guest-memory socket now */
	uint64_t dq_drops_seen;	/* kernel drop count already added to the port */

	struct vx_worker w[VX_MAX_WORKERS];
	unsigned int nw;
	volatile bool link_up;	/* refreshed by the main thread */
};

/* Bucket of a MAC and VLAN in nic->by_mac: a multiplicative hash of all 8 bytes. */
static inline unsigned int vx_port_hash(const uint8_t *mac, uint16_t vlan)
{
	uint64_t k = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		     (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];

	k = (k ^ ((uint64_t)vlan << 48)) * 0x9e3779b97f4a7c15ull;
	return (unsigned int)(k >> (64 - __builtin_ctz(VX_PORT_HASH)));
}

/* Opens the NIC: steering program, one AF_XDP socket per queue, broadcast tap, workers' state. */
int vx_nic_open(struct vx_nic *nic, const char *ifname, const struct vx_nic_opts *opts);
/*
 * Adds a port, at any time: gives it an id and a steering entry, and sets
 * its ops so that handlers pause the workers.
 */
int vx_nic_add_port(struct vx_nic *nic, struct vx_dev *dev);
/*
 * Removes a port whose front-end is gone (vx_dev_disconnect first): its
 * steering entry, and any frame of it still in a worker's hands.
 */
void vx_nic_del_port(struct vx_nic *nic, struct vx_dev *dev);
/* Every worker waits at the top of its loop until vx_nic_resume. */
void vx_nic_pause(struct vx_nic *nic);
void vx_nic_resume(struct vx_nic *nic);
int vx_nic_start(struct vx_nic *nic);
/* Stops the workers, detaches XDP, closes the sockets. */
void vx_nic_close(struct vx_nic *nic);
/*
 * Refreshes link state and MTU; called by the main thread on every link
 * event of the NIC's index or name, and periodically. A NIC that is gone
 * is let go (sockets closed, program detached: nic->steer is NULL then);
 * when an interface of the same name appears again (or the sockets of the
 * same one reported errors) it is attached again: the program, every
 * port's steering entry, the AF_XDP sockets and the broadcast tap, with the
 * workers paused. Ports and their front-ends are not touched.
 */
void vx_nic_refresh(struct vx_nic *nic);
/* The counters, in one of the formats of cli.h. */
void vx_nic_stats_write(struct vx_nic *nic, FILE *f, enum vx_stats_format fmt);

#endif

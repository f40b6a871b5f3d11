/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A vhost-user virtio-net device: one VM port. The control thread of the
 * port feeds it messages (vx_dev_handle); the worker that owns the port's
 * NIC moves its packets. Every handler runs with the worker paused
 * (ops->lock), so the worker never sees a half-updated ring or memory table.
 */
#ifndef VX_VHOST_USER_H
#define VX_VHOST_USER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <vhost_xdp/steer_kern_user.h>

#include "dp/rxbuf.h"
#include "guest_mem.h"
#include "stats.h"
#include "virtq.h"
#include "vu_msg.h"

#include "dp/limits.h"

/* virtio 1.2 5.1.2: receiveqN = 2(N-1), transmitqN = 2(N-1)+1. */
enum {
	VX_RX_VQ = 0,
	VX_TX_VQ = 1,
	VX_VQ_MAX = 2 * VX_DEV_MAX_QP,
};
#define VX_RXQ(pair) (2 * (pair))
#define VX_TXQ(pair) (2 * (pair) + 1)


/*
 * A frame waiting for guest RX buffers. A frame of several pieces
 * (multi-buffer AF_XDP) takes one entry per piece, in order: the first has
 * `more` set to the number that follow, which have off and more 0.
 */
struct vx_backlog_ent {
	uint64_t addr;		/* the frame, as the pool handed it out */
	uint32_t len;
	uint8_t xsk;		/* which socket's UMEM holds the frame (< VX_MAX_QUEUES) */
	uint8_t more;		/* pieces of the same frame in the next entries */
	uint16_t off;		/* packet data starts this far into the frame */
};

/*
 * One queue pair's receive side, as the data path sees it. The worker that
 * owns the pair (user/worker.h) writes its RX ring; when the guest has fewer
 * pairs than there are workers, other workers deliver into it too, and then
 * every writer holds the lock (shared is set by the control thread while
 * the workers are paused). Frames wait in the backlog only for the owner.
 */
struct vx_rxq {
	pthread_mutex_t lock;
	bool shared;
	struct vx_backlog_ent *backlog;	/* VX_RX_BACKLOG_ENTS, allocated when the pair first runs */
	uint32_t bl_head, bl_len;	/* entries */
	uint32_t bl_frames;		/* frames in them, at most VX_RX_BACKLOG */
};

/*
 * Where a port's frames from NIC queue q go (rx_plan in user/worker.c): set
 * while the workers are paused, read by queue q's worker per frame.
 */
struct vx_rx_route {
	struct vx_vq *vq;	/* the pair's RX ring; NULL: the guest runs none */
	struct vx_rxq *rq;
	struct vx_port_stats *st;	/* the port's counters of queue q's worker */
	bool own;		/* queue q's worker owns the pair: it may keep a backlog */
	bool shared;		/* other workers write the pair too: hold its lock */
};

/*
 * The offloads a guest negotiated (virtio 1.2 5.1.3.1: each TSO feature
 * needs its checksum feature; one without it counts as off here).
 */
struct vx_offload {
	bool tx_csum;		/* VIRTIO_NET_F_CSUM: the guest sends partial checksums */
	bool tx_tso4, tx_tso6;	/* HOST_TSO4/6: and TSO frames */
	bool tx_ecn;		/* HOST_ECN: with the ECN bit */
	bool rx_csum;		/* GUEST_CSUM: takes DATA_VALID and partial checksums */
	bool rx_tso4, rx_tso6;	/* GUEST_TSO4/6: takes coalesced / TSO frames */
	bool rx_ecn;		/* GUEST_ECN: with the ECN bit */
};

struct vx_dev;

struct vx_dev_ops {
	void (*lock)(struct vx_dev *dev);
	void (*unlock)(struct vx_dev *dev);
	/*
	 * A queue's kick fd or running state changed (called locked, before
	 * an old kick fd is closed): re-register it and look at the ring.
	 */
	void (*vq_update)(struct vx_dev *dev, unsigned int idx, int old_kick);
	/* The device stopped or reset (called locked): drop per-port packet state. */
	void (*reset)(struct vx_dev *dev);
	/* SEND_RARP (called locked): announce the port's MAC (user/migrate.h). */
	void (*announce)(struct vx_dev *dev);
};

struct vx_dev {
	/* From the command line. */
	char name[16];
	uint8_t mac[6];
	uint16_t vlan;
	uint32_t id;		/* port id in the steering map, and in kick events */
	char path[108];
	bool client;
	uint16_t max_qp;	/* queue pairs offered (GET_QUEUE_NUM), 1..VX_DEV_MAX_QP */
	bool no_tx_offload;	/* CSUM and HOST_TSO not offered (dedicated queue, tx=inplace) */
	int listen_fd;		/* server mode */
	const struct vx_dev_ops *ops;
	void *owner;

	/* vhost-user state, changed by handlers only. */
	int sock;
	bool attached;		/* a front-end is connected (or a kernel device bound) */
	uint64_t features;
	uint64_t protocol_features;
	uint16_t mtu;		/* NET_SET_MTU, 0 = not set */
	struct vx_rx_fmt rxfmt;	/* virtio-net header length, MRG_RXBUF */
	struct vx_offload offl;	/* offloads negotiated (virtio 1.2 5.1.3) */
	struct vx_mem mem;
	struct vx_dirty_log log;
	struct vx_vq vq[VX_VQ_MAX];

	/* Data-path state, owned by the workers. */
	struct vx_rxq rxq[VX_DEV_MAX_QP];
	struct vx_rx_route route[VX_MAX_QUEUES];	/* by NIC queue (worker w uses route[w] too) */
	uint16_t qp_used;	/* pairs the workers look at: 1 + the last one in use */
	bool live;		/* a ring runs or frames wait: the workers walk the port (nic->act) */
	bool rx_on;		/* an RX pair runs (vx_rx_plan) */
	bool standby;		/* its twin owns the MAC and VLAN: it receives nothing (migrate.h) */
	uint64_t announced_ms;	/* last SEND_RARP acted on */
	uint64_t announces, announce_skipped;	/* SEND_RARPs acted on, and ignored (too often) */
	int act_idx;		/* its place in nic->act, -1 = not there */
	struct vx_dev *hnext;	/* the NIC's MAC/VLAN hash chain */
	int kick_reg[VX_VQ_MAX];	/* kick fd registered with a worker's epoll */
	struct vx_port_stats stats[VX_MAX_WORKERS];	/* [w]: written by worker w only */
};

/* Features offered to the front-end; VIRTIO_NET_F_MQ too when max_qp > 1. */
uint64_t vx_dev_features(void);
uint64_t vx_dev_offered(const struct vx_dev *dev);
uint64_t vx_dev_protocol_features(void);

void vx_dev_init(struct vx_dev *dev);
/*
 * What one request came to. The transport (a vhost-user socket, vu_conn.c,
 * or the kernel module's event channel, kdev.c) acts on it: sends m back as
 * the reply when reply is set (the payload is in m->p, its size in
 * m->hdr.size), and drops the connection when drop is set (a malformed
 * message, or a failed request whose reply we cannot give).
 */
struct vx_outcome {
	int err;	/* the handler's result: 0 or -errno */
	bool reply;
	bool drop;
};

/*
 * Handles one received message: validates it, applies it, and closes every
 * fd it did not keep. Never sends anything itself.
 */
struct vx_outcome vx_dev_handle(struct vx_dev *dev, struct vu_msg *m);
/* The connection went away: stop every queue and release guest resources. */
void vx_dev_disconnect(struct vx_dev *dev);
/* Frees what the device allocated (after vx_dev_disconnect and vx_nic_del_port). */
void vx_dev_free(struct vx_dev *dev);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the NIC's files share and nothing else uses: worker.c (the workers'
 * loop and the ops control threads call), nic.c (set-up and tear-down),
 * dq_ctl.c (the dedicated queue's lifecycle), nic_stats.c, dp/route.c.
 */
#ifndef VX_NIC_PRIV_H
#define VX_NIC_PRIV_H

#include <stdint.h>

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

/* Registers fd with worker w's epoll for EPOLLIN, tagged with data (EV()). */
int vx_ep_add(struct vx_worker *w, int fd, uint64_t data);
/* The worker that owns NIC queue q, or queue pair q of every port. */
static inline struct vx_worker *vx_owner_of(struct vx_nic *nic, unsigned int q)
{
	return &nic->w[q % nic->nw];
}
int vx_worker_init(struct vx_nic *nic, unsigned int i);
/* The ops of every port on a NIC: pause the workers around each handler. */
extern const struct vx_dev_ops vx_nic_dev_ops;

/* dp/route.c: which RX pair takes the frames of each NIC queue (workers paused). */
void vx_rx_plan(struct vx_nic *nic, struct vx_dev *dev);

/* nic.c: queue q's socket. */
int vx_nic_xsk_install(struct vx_nic *nic, unsigned int q, struct vx_xsk *x);
void vx_nic_xsk_remove(struct vx_nic *nic, unsigned int q);
int vx_nic_open_queue(struct vx_nic *nic, unsigned int q);

/* dq_ctl.c: starts or stops the dedicated socket to match the port's state; called locked. */
void vx_dq_check(struct vx_nic *nic);

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-net data path: guest TX chains to frames (to the wire or to
 * another port), and frames to guest RX buffers (virtio 1.2 5.1.6). Runs
 * on the NIC's worker threads; user/worker.h says who owns what.
 */
#ifndef VX_NET_H
#define VX_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "worker.h"

#include "dp/limits.h"

/*
 * Each returns true if it stopped because of a weight limit (more work
 * waits). vx_net_tx serves one queue pair's TX ring; the worker must own it.
 */
bool vx_net_tx(struct vx_worker *w, struct vx_dev *dev, unsigned int pair);
bool vx_net_rx_xsk(struct vx_worker *w, unsigned int q);
bool vx_net_rx_bcast(struct vx_worker *w);
/*
 * Moves frames waiting in an owned pair's backlog into newly posted RX
 * buffers, and publishes what was written to the pair's RX ring.
 */
void vx_net_backlog_drain(struct vx_worker *w, struct vx_dev *dev, unsigned int pair);
/* Returns all backlog frames to their pools (port stopped; workers paused). */
void vx_net_backlog_drop(struct vx_nic *nic, struct vx_dev *dev);
/* Publishes and unlocks the shared RX rings this worker holds (worker.h). */
void vx_net_release(struct vx_worker *w);

/* Dedicated queue (user/dq.h), worker 0 only: lends guest RX buffers to the fill ring. */
void vx_net_dq_post(struct vx_worker *w, struct vx_dev *dev);
/* Gives completed zero-copy TX buffers back to the guest. */
void vx_net_dq_tx_done(struct vx_nic *nic, struct vx_dev *dev);
/* After the socket is closed: every buffer still lent goes back, empty. */
void vx_net_dq_return(struct vx_nic *nic, struct vx_dev *dev);

#endif

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

/*
 * Limits of one pass of the worker, after vhost-net's VHOST_NET_WEIGHT and
 * VHOST_NET_PKT_WEIGHT: a guest that keeps its TX ring full, or a flood
 * towards one port, must not starve the other ports (CVE-2019-3900).
 */
#define VX_BATCH	  64		/* frames per AF_XDP RX call */
#define VX_TX_PKT_WEIGHT  256		/* guest TX chains per port per pass */
#define VX_TX_BYTE_WEIGHT (512 * 1024)	/* guest TX bytes per port per pass */
#define VX_RX_BATCHES	  4		/* AF_XDP RX batches per socket per pass */
#define VX_BCAST_WEIGHT	  64		/* broadcast frames per pass */

/*
 * Event mode under load: a wake-up costs the worker an epoll_wait and a
 * context switch, and the guest an eventfd write per kick. After a pass
 * that moved at least VX_BUSY_MIN_WORK chains or frames (a backlog built up
 * while we slept, so packets come faster than we wake) the worker keeps
 * polling, with kicks still off, until --busy-poll microseconds pass with
 * nothing to do. A trickle (a ping, a few thousand packets per second)
 * never reaches the threshold and keeps the sleep-on-every-pass behaviour.
 */
#define VX_BUSY_MIN_WORK  16

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

// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nic_priv.h"

/* A pair's backlog is allocated when it first runs: an idle port holds none. */
static bool backlog_ready(struct vx_dev *dev, unsigned int p)
{
	struct vx_rxq *rq = &dev->rxq[p];

	if (!rq->backlog)
		rq->backlog = calloc(VX_RX_BACKLOG_ENTS, sizeof(*rq->backlog));
	if (!rq->backlog)
		pr_err("%s: no memory for queue pair %u's backlog; its frames are dropped\n",
		       dev->name, p);
	return rq->backlog;
}

/* Keeps dev in nic->act exactly while it is live. */
static void act_update(struct vx_nic *nic, struct vx_dev *dev)
{
	if (dev->live && dev->act_idx < 0) {
		dev->act_idx = (int)nic->nact;
		nic->act[nic->nact++] = dev;
	} else if (!dev->live && dev->act_idx >= 0) {
		struct vx_dev *last = nic->act[--nic->nact];

		nic->act[dev->act_idx] = last;
		last->act_idx = dev->act_idx;
		dev->act_idx = -1;
	}
}

/*
 * Which RX pair takes the frames of NIC queue q (and of worker q's local
 * switching and broadcast): one of the running pairs its worker owns,
 * spread by queue, else any running pair, which is then shared (worker.h).
 * Pairs count as running from the control state alone, so a guest that
 * breaks a ring cannot change the plan under the workers.
 */
void vx_rx_plan(struct vx_nic *nic, struct vx_dev *dev)
{
	unsigned int run[VX_DEV_MAX_QP], own[VX_DEV_MAX_QP], n = 0, q, p, nown;

	dev->qp_used = 1;
	dev->live = false;
	for (p = 0; p < dev->max_qp; p++) {
		const struct vx_vq *vq = &dev->vq[VX_RXQ(p)], *tx = &dev->vq[VX_TXQ(p)];

		dev->rxq[p].shared = false;
		if (vq->ready && vq->started && vq->enabled && backlog_ready(dev, p))
			run[n++] = p;
		/* Frames may still wait in a pair that stopped: its owner frees them. */
		if (vq->started || tx->started || dev->rxq[p].bl_len) {
			dev->qp_used = (uint16_t)(p + 1);
			dev->live = true;
		}
	}
	dev->rx_on = n > 0;
	act_update(nic, dev);
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


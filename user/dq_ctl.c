// SPDX-License-Identifier: GPL-2.0
/*
 * The dedicated queue's lifecycle (user/dq.h): queue 0's socket is swapped
 * for one over the guest's memory while the port's rings run, and back when
 * they stop or the memory table changes. Called with the workers paused.
 */
#include <errno.h>
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
#include "nic_priv.h"

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
	vx_nic_xsk_remove(nic, 0);
	err = vx_steer_port_limit(nic->steer, dev->id, dev->mac, 0, dq->max_len);
	if (!err)
		err = dq_open(nic, &x);
	if (!err)
		err = vx_nic_xsk_install(nic, 0, x);
	if (err) {
		pr_err("%s: dedicated queue refused (%s); frames are copied instead\n", dev->name,
		       strerror(-err));
		vx_steer_port_limit(nic->steer, dev->id, dev->mac, 0, 0);
		vx_dq_unmap(dq);
		vx_nic_open_queue(nic, 0);
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
	vx_nic_xsk_remove(nic, 0);
	nic->dq_on = false;
	vx_net_dq_return(nic, dev);
	vx_dq_unmap(nic->dq);
	vx_steer_port_limit(nic->steer, dev->id, dev->mac, 0, 0);
	if (vx_nic_open_queue(nic, 0))
		pr_err("%s: cannot reopen queue 0 after the dedicated queue stopped\n", nic->ifname);
	pr_info("%s: dedicated queue stopped\n", dev->name);
}

/* Starts or stops the dedicated socket to match the port's state; called locked. */
void vx_dq_check(struct vx_nic *nic)
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


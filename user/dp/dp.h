/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the data path's files share (user/dp/): port lookup, delivery of a
 * frame to a port (its RX route, the shared-pair locks, the backlog) and
 * the per-worker counters. Not for use outside user/dp/.
 */
#ifndef VX_DP_DP_H
#define VX_DP_DP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/if_ether.h>

#include "dp/net.h"
#include "dp/rxbuf.h"

#define VLAN_HLEN 4

/* Worker w's counters for a port (stats.h: one writer per counter). */
#define PST(w, dev) (&(dev)->stats[(w)->idx])

static inline bool mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline struct vx_dev *port_by_mac(struct vx_nic *nic, const uint8_t *mac, uint16_t vlan)
{
	struct vx_dev *d;

	for (d = nic->by_mac[vx_port_hash(mac, vlan)]; d; d = d->hnext)
		if (d->vlan == vlan && !memcmp(d->mac, mac, ETH_ALEN))
			return d;
	return NULL;
}

/* Counts a final delivery outcome; VX_RX_NO_BUFFER is not final. */
void vx_dp_rx_account(struct vx_port_stats *st, enum vx_rx_result r, uint32_t len);
/* A frame the caller keeps (broadcast, local switching): into dev, copied if it must wait. */
void vx_dp_port_rx_copy(struct vx_worker *w, struct vx_dev *dev, const uint8_t *pkt,
			uint32_t len);
/* A TSO frame passed whole to a port that takes them (vh: its header); never kept. */
void vx_dp_port_rx_gso(struct vx_worker *w, struct vx_dev *dev, const struct vx_vnet_hdr *vh,
		       const uint8_t *pkt, uint32_t len);
/* Delivers the worker's open GRO train, if any, and frees its frames. */
void vx_dp_gro_flush(struct vx_worker *w);
/* Broadcast/multicast from a port: every other port on its VLAN gets a copy. */
void vx_dp_flood_local(struct vx_worker *w, struct vx_dev *from, const uint8_t *pkt,
		       uint32_t len);

/*
 * Dedicated queue (dq_path.c), while nic->dq_on: a chain sent from guest
 * memory; false: take the copy path.
 */
bool vx_dp_tx_in_place(struct vx_worker *w, struct vx_dev *dev, const struct vx_chain *c,
		       uint64_t addr);
/* Dedicated queue: a frame the kernel wrote into a lent guest buffer. */
void vx_dp_rx_in_place(struct vx_worker *w, struct vx_dev *dev, const struct vx_xsk_desc *d);
/* Dedicated queue: a frame of n pieces; dropped, every buffer given back. */
void vx_dp_rx_in_place_drop(struct vx_worker *w, struct vx_dev *dev, const struct vx_xsk_desc *d,
			    unsigned int n);

#endif

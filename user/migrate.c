// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>

#include "bcast.h"
#include "log.h"
#include "loop.h"
#include "migrate.h"
#include "steer.h"
#include "vhost_user.h"

#include "dp/dp.h"

/* QEMU announces 5 times, 50 ms apart and more (announce-rounds): let those through. */
#define VX_RARP_MIN_GAP_MS 40

static bool same_addr(const struct vx_dev *a, const struct vx_dev *b)
{
	return a->vlan == b->vlan && !memcmp(a->mac, b->mac, ETH_ALEN);
}

struct vx_dev *vx_mig_twin(struct vx_nic *nic, const struct vx_dev *dev)
{
	struct vx_dev *d;

	for (d = nic->by_mac[vx_port_hash(dev->mac, dev->vlan)]; d; d = d->hnext)
		if (d != dev && same_addr(d, dev))
			return d;
	return NULL;
}

/* Unlinks dev from its by_mac chain. */
static void chain_unlink(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_dev **pp = &nic->by_mac[vx_port_hash(dev->mac, dev->vlan)];

	while (*pp && *pp != dev)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = dev->hnext;
	dev->hnext = NULL;
}

void vx_mig_claim(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_dev *twin, **pp;
	int err;

	if (!dev->standby)
		return;
	twin = vx_mig_twin(nic, dev);
	if (!twin) {
		dev->standby = false;
		return;
	}
	/*
	 * max_len 0: a pair is never on a dedicated queue (the CLI refuses a second
	 * port there). Without a NIC (gone, user/nic.c) only the userspace order
	 * moves; nic_attach gives the entry to the owner when the NIC is back.
	 */
	err = nic->steer ? vx_steer_port_limit(nic->steer, dev->id, dev->mac, dev->vlan, 0) : 0;
	if (err) {
		pr_err("%s: cannot move MAC %02x:%02x:%02x:%02x:%02x:%02x to it in the steering map: "
		       "%s\n", dev->name, dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3],
		       dev->mac[4], dev->mac[5], strerror(-err));
		return;
	}
	/* Userspace lookups (port_by_mac) find the first match: dev goes in front of its twin. */
	chain_unlink(nic, dev);
	pp = &nic->by_mac[vx_port_hash(dev->mac, dev->vlan)];
	while (*pp && *pp != twin)
		pp = &(*pp)->hnext;
	dev->hnext = *pp;
	*pp = dev;
	dev->standby = false;
	twin->standby = true;
	/* Frames that waited for the old owner's guest are not the new one's. */
	vx_net_backlog_drop(nic, twin);
	pr_info("%s: RX rings started: MAC %02x:%02x:%02x:%02x:%02x:%02x vlan %u now steered here, "
		"not to %s (migration pair)\n", dev->name, dev->mac[0], dev->mac[1], dev->mac[2],
		dev->mac[3], dev->mac[4], dev->mac[5], dev->vlan, twin->name);
}

int vx_mig_hand_over(struct vx_nic *nic, struct vx_dev *dev)
{
	struct vx_dev *twin = vx_mig_twin(nic, dev);

	if (!twin)
		return 0;
	if (!dev->standby) {
		if (nic->steer && vx_steer_port_limit(nic->steer, twin->id, twin->mac, twin->vlan, 0))
			pr_err("%s: cannot give its MAC to %s in the steering map\n", dev->name,
			       twin->name);
		twin->standby = false;
		pr_info("%s: removed; %s now owns MAC %02x:%02x:%02x:%02x:%02x:%02x vlan %u\n",
			dev->name, twin->name, dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3],
			dev->mac[4], dev->mac[5], dev->vlan);
	}
	return 1;
}

uint32_t vx_rarp_build(uint8_t *buf, const uint8_t mac[6], uint16_t vlan)
{
	uint8_t *p = buf;

	memset(buf, 0, VX_RARP_LEN + 4);
	memset(p, 0xff, ETH_ALEN);
	memcpy(p + ETH_ALEN, mac, ETH_ALEN);
	p += 2 * ETH_ALEN;
	if (vlan) {
		*p++ = 0x81;
		*p++ = 0x00;
		*p++ = (uint8_t)(vlan >> 8);
		*p++ = (uint8_t)vlan;
	}
	*p++ = 0x80;	/* ETH_P_RARP */
	*p++ = 0x35;
	/* RFC 903: hardware Ethernet, protocol IPv4, reverse request; sender = target = mac. */
	*p++ = 0;
	*p++ = 1;
	*p++ = 0x08;
	*p++ = 0x00;
	*p++ = ETH_ALEN;
	*p++ = 4;
	*p++ = 0;
	*p++ = 3;
	memcpy(p, mac, ETH_ALEN);
	p += ETH_ALEN + 4;
	memcpy(p, mac, ETH_ALEN);
	return VX_RARP_LEN + (vlan ? 4 : 0);
}

void vx_mig_announce(struct vx_dev *dev)
{
	struct vx_nic *nic = dev->owner;
	struct vx_worker *w;
	uint8_t frame[VX_RARP_LEN + 4];
	uint64_t now = vx_now_ms();
	uint32_t len;
	unsigned int i;
	int err = 0;

	if (!nic)
		return;
	if (dev->announced_ms && now - dev->announced_ms < VX_RARP_MIN_GAP_MS) {
		dev->announce_skipped++;
		return;
	}
	dev->announced_ms = now;
	dev->announces++;
	/* Out of the NIC, tagged as the port's frames are. */
	len = vx_rarp_build(frame, dev->mac, dev->vlan);
	if (nic->bcast)
		err = vx_bcast_send(nic->bcast, frame, len);
	if (err || !nic->bcast)
		pr_warn("%s: RARP not sent on %s: %s\n", dev->name, nic->ifname,
			nic->bcast ? strerror(-err) : "no packet socket");
	/*
	 * To the other ports on the VLAN, untagged, as a broadcast from the wire
	 * is delivered. The workers are paused (the handler holds every worker's
	 * lock), so worker 0's context is free for the control thread to use.
	 */
	len = vx_rarp_build(frame, dev->mac, 0);
	w = &nic->w[0];
	for (i = 0; i < nic->nact; i++) {
		struct vx_dev *d = nic->act[i];

		if (d == dev || d->standby || d->vlan != dev->vlan ||
		    !memcmp(d->mac, dev->mac, ETH_ALEN))
			continue;
		vx_dp_port_rx_copy(w, d, frame, len);
		if (d->route[w->idx].vq)
			vx_vq_flush(d->route[w->idx].vq);
	}
	vx_net_release(w);
	pr_info("%s: SEND_RARP: announced %02x:%02x:%02x:%02x:%02x:%02x vlan %u\n", dev->name,
		dev->mac[0], dev->mac[1], dev->mac[2], dev->mac[3], dev->mac[4], dev->mac[5],
		dev->vlan);
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Live migration between two VMs on one daemon (README, Live migration).
 *
 * Two vhost-user ports may share a MAC and VLAN: a migration pair, the
 * source VM's port and the destination's. One of them owns the address:
 * the steering map entry (its port_id) and the first place in the NIC's
 * by_mac chain are its; the other is on standby (dev->standby) and receives
 * nothing, neither unicast nor flooded frames. The port whose RX rings
 * started most recently owns the address: the destination when QEMU starts
 * it after the switch-over, the source again if the migration fails and the
 * source restarts its rings.
 *
 * SEND_RARP (VHOST_USER_PROTOCOL_F_RARP): a RARP announcing the port's MAC
 * goes out of the NIC and to every other port on its VLAN, so that the
 * physical network learns where the MAC is now (as DPDK's vhost library
 * does for guests without VIRTIO_NET_F_GUEST_ANNOUNCE).
 *
 * Every function here is called by the control thread with the NIC's
 * workers paused.
 */
#ifndef VX_MIGRATE_H
#define VX_MIGRATE_H

#include <stdint.h>

#include "worker.h"

/* The other port with dev's MAC and VLAN, or NULL. */
struct vx_dev *vx_mig_twin(struct vx_nic *nic, const struct vx_dev *dev);
/* dev's RX rings started: it takes the address from its twin, if it was on standby. */
void vx_mig_claim(struct vx_nic *nic, struct vx_dev *dev);
/* dev, the owner of its address, goes away: its twin (if any) takes it. 1 if it did. */
int vx_mig_hand_over(struct vx_nic *nic, struct vx_dev *dev);

/* RARP frame announcing mac (60 bytes, 64 with a VLAN tag): its length. */
#define VX_RARP_LEN 60
uint32_t vx_rarp_build(uint8_t *buf, const uint8_t mac[6], uint16_t vlan);
/* SEND_RARP: announces dev's MAC on the NIC and to the other ports (rate-limited). */
void vx_mig_announce(struct vx_dev *dev);

#endif

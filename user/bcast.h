/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Broadcast and multicast from the wire. XDP cannot clone a frame, so the
 * steering program passes these to the host stack and this AF_PACKET socket
 * receives a copy of each (see bcast.c for why this mechanism).
 */
#ifndef VX_BCAST_H
#define VX_BCAST_H

#include <stdint.h>

struct vx_bcast;

int vx_bcast_open(struct vx_bcast **out, int ifindex);
void vx_bcast_close(struct vx_bcast *b);	/* NULL allowed */
int vx_bcast_fd(const struct vx_bcast *b);

/*
 * Receives one inbound multicast/broadcast frame, without blocking, into buf
 * with its VLAN tag removed (vlan = 0 if untagged). Returns the frame length,
 * 0 when nothing is queued, or -errno. Frames this host sent are never
 * returned.
 */
int vx_bcast_send(struct vx_bcast *b, const void *buf, uint32_t len);	/* 0 or -errno */
int vx_bcast_recv(struct vx_bcast *b, void *buf, uint32_t buflen, uint16_t *vlan);

#endif

/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared between bpf/steer.bpf.c and user/steer.c: the layout of the steering
 * program's maps. Fixed-size __u* fields only, padding explicit.
 */
#ifndef VHOST_XDP_STEER_KERN_USER_H
#define VHOST_XDP_STEER_KERN_USER_H

#include <linux/types.h>

/* Upper bounds of the maps; the daemon refuses configurations above them. */
/*
 * Ports per daemon: a port costs the steering maps an entry each, and an
 * idle port (no VMM attached) some 10 KiB of daemon memory.
 */
#define VX_MAX_PORTS	4096
#define VX_MAX_QUEUES	64

/* Stats slot for traffic that belongs to no VM port. */
#define VX_STEER_GLOBAL	VX_MAX_PORTS

/* Key of the port map: destination MAC and VLAN id (0 = untagged). */
struct vx_port_key {
	__u8 mac[6];
	__u16 vlan;	/* host byte order, 0..4095 */
};

struct vx_port_val {
	__u32 port_id;	/* index into the stats map, < VX_MAX_PORTS */
	/*
	 * 0, or (dedicated-queue ports, whose AF_XDP socket writes straight
	 * into guest buffers) the longest frame those buffers were checked to
	 * hold: longer frames, and frames carrying XDP metadata, are dropped.
	 */
	__u32 max_len;
};

/* Per-CPU counters, one struct per port plus VX_STEER_GLOBAL. */
enum vx_steer_counter {
	VX_CNT_REDIRECT = 0,	/* port: unicast redirected to the rx queue's socket */
	VX_CNT_DROP_NO_SOCKET,	/* port: no socket bound on this rx queue, dropped */
	VX_CNT_PASS_MULTICAST,	/* global: broadcast/multicast, passed to the host stack */
	VX_CNT_PASS_HOST,	/* global: unicast for no port, passed to the host stack */
	VX_CNT_PASS_UNPARSED,	/* global: too short or unknown framing, passed */
	VX_CNT_DROP_TOO_BIG,	/* port: longer than max_len (dedicated queue), dropped */
	VX_CNT_MAX
};

struct vx_steer_stats {
	__u64 cnt[VX_CNT_MAX];
};

#endif

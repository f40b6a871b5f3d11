/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The XDP steering program on one host NIC (bpf/steer.bpf.c), attached
 * through libxdp so that `xdp-loader status` shows it and `xdp-loader unload`
 * removes it.
 */
#ifndef VX_STEER_H
#define VX_STEER_H

#include <stdbool.h>
#include <stdint.h>

#include <vhost_xdp/steer_kern_user.h>

struct vx_steer;

/* Name the program carries in `xdp-loader status`; --cleanup looks for it. */
#define VX_STEER_PROG_NAME "vx_steer"

/*
 * Loads the program and attaches it to ifindex in native mode, falling back
 * to generic (skb) mode if native is refused. Never replaces a program that
 * someone else attached: returns -EEXIST (or libxdp's error) and logs which
 * program is in the way. skb_mode forces generic mode.
 */
int vx_steer_attach(struct vx_steer **out, int ifindex, bool skb_mode);
/* Detaches the program and frees everything; NULL is allowed. */
void vx_steer_detach(struct vx_steer *st);

/* Port map: (mac, vlan) -> port_id. vlan 0 means untagged. */
int vx_steer_port_add(struct vx_steer *st, uint32_t port_id, const uint8_t mac[6], uint16_t vlan);
int vx_steer_port_del(struct vx_steer *st, const uint8_t mac[6], uint16_t vlan);
/* Zeroes a port's counters, for a port id used again. */
int vx_steer_stats_clear(struct vx_steer *st, uint32_t slot);
/* Sets a port's max_len (see struct vx_port_val); 0 lifts the limit. */
int vx_steer_port_limit(struct vx_steer *st, uint32_t port_id, const uint8_t mac[6],
			uint16_t vlan, uint32_t max_len);

/* XSKMAP[queue] = xsk_fd; xsk_fd < 0 removes the entry. */
int vx_steer_set_xsk(struct vx_steer *st, uint32_t queue, int xsk_fd);

/* Sums the per-CPU counters of one slot (port_id or VX_STEER_GLOBAL). */
int vx_steer_stats(struct vx_steer *st, uint32_t slot, struct vx_steer_stats *out);
/* Slots 0..n-1 at once (out has n entries), summed over the CPUs. */
int vx_steer_stats_range(struct vx_steer *st, uint32_t n, struct vx_steer_stats *out);

/* "native" or "skb" */
const char *vx_steer_mode(const struct vx_steer *st);

/*
 * Post-crash clean-up: removes every program named VX_STEER_PROG_NAME from
 * ifindex (and the libxdp dispatcher if it holds nothing else) and anything
 * of ours under /sys/fs/bpf. Returns the number removed or -errno.
 */
int vx_steer_cleanup(int ifindex);

#endif

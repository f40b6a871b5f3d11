// SPDX-License-Identifier: GPL-2.0
/*
 * vx_steer: the XDP program on the host NIC. Guest-bound unicast, found by
 * (destination MAC, VLAN id) in the port map, goes to the AF_XDP socket of the
 * rx queue it arrived on; everything else goes on to the host stack.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>

/*
 * The shared header pulls in <linux/types.h> for userspace; vmlinux.h already
 * defines those types, and the uapi header cannot be parsed for -target bpf.
 */
#define _LINUX_TYPES_H
#include <vhost_xdp/steer_kern_user.h>

/* ---- consts ---- */

#define VX_ETH_ALEN	 6
#define VX_ETH_P_8021Q	 0x8100
#define VX_VLAN_VID_MASK 0x0fff
/* Lower runs first: steering should see frames before other chained programs. */
#define VX_RUN_PRIO 10

/* ---- structs ---- */

/* Own copies: vmlinux.h only has what the running kernel's BTF carries. */
struct vx_eth_hdr {
	__u8 dst[VX_ETH_ALEN];
	__u8 src[VX_ETH_ALEN];
	__be16 proto;
};

struct vx_vlan_hdr {
	__be16 tci;
	__be16 inner_proto;
};

/* ---- maps ---- */

/* (dst MAC, VLAN id) -> port; written by the daemon for each --port. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vx_port_key);
	__type(value, struct vx_port_val);
	__uint(max_entries, VX_MAX_PORTS);
} vx_ports SEC(".maps");

/* rx queue index -> AF_XDP socket bound to that queue of this NIC. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, VX_MAX_QUEUES);
} vx_xsks SEC(".maps");

/* Counters per port_id, plus slot VX_STEER_GLOBAL for not-a-port traffic. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct vx_steer_stats);
	__uint(max_entries, VX_MAX_PORTS + 1);
} vx_stats SEC(".maps");

/*
 * libxdp run config: used when the multi-program dispatcher is available
 * (chain on to the next program after XDP_PASS); ignored in single-program
 * mode.
 */
struct {
	__uint(priority, VX_RUN_PRIO);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(vx_steer);

/* ---- helpers ---- */

/* Per-CPU slot, so a plain increment is enough. */
static __always_inline void vx_count(__u32 slot, enum vx_steer_counter c)
{
	struct vx_steer_stats *st = bpf_map_lookup_elem(&vx_stats, &slot);

	if (st)
		st->cnt[c]++;
}

/* Fills key from the Ethernet header and at most one 802.1Q tag. */
static __always_inline int vx_parse(struct xdp_md *ctx, struct vx_port_key *key, bool *mcast)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct vx_eth_hdr *eth = data;
	struct vx_vlan_hdr *vh;

	if ((void *)(eth + 1) > end)
		return -1;
	__builtin_memcpy(key->mac, eth->dst, VX_ETH_ALEN);
	key->vlan = 0;
	*mcast = eth->dst[0] & 1;
	if (eth->proto != bpf_htons(VX_ETH_P_8021Q))
		return 0;
	vh = (void *)(eth + 1);
	if ((void *)(vh + 1) > end)
		return -1;
	key->vlan = bpf_ntohs(vh->tci) & VX_VLAN_VID_MASK;
	return 0;
}

/* ---- program ---- */

/*
 * xdp.frags (BPF_F_XDP_HAS_FRAGS): the program accepts multi-buffer frames,
 * which a NIC or veth hands over when its MTU is larger than one page can
 * hold; without the flag veth refuses the program above MTU ~3500. Only the
 * linear part is between data and data_end; the headers read here are
 * always in it (the first buffer holds at least a page's worth, minus
 * headroom), and a frame's length is bpf_xdp_get_buff_len().
 */
SEC("xdp.frags")
int vx_steer(struct xdp_md *ctx)
{
	struct vx_port_key key;
	struct vx_port_val *port;
	__u32 qid = ctx->rx_queue_index;
	bool mcast;

	if (vx_parse(ctx, &key, &mcast) < 0) {
		vx_count(VX_STEER_GLOBAL, VX_CNT_PASS_UNPARSED);
		return XDP_PASS;
	}
	/*
	 * Broadcast and multicast (group bit of the destination MAC): XDP cannot
	 * clone a frame, so it cannot hand one copy to each VM. The frame goes
	 * on to the host stack, which keeps working (ARP, ND, ...), and the
	 * daemon receives its copy through an AF_PACKET socket with a BPF filter
	 * and delivers it to every VM port on that NIC/VLAN: one frame reaches
	 * the host and all those VMs.
	 */
	if (mcast) {
		vx_count(VX_STEER_GLOBAL, VX_CNT_PASS_MULTICAST);
		return XDP_PASS;
	}
	port = bpf_map_lookup_elem(&vx_ports, &key);
	if (!port) {
		vx_count(VX_STEER_GLOBAL, VX_CNT_PASS_HOST);
		return XDP_PASS;
	}
	/*
	 * The frame belongs to a VM: never leak it to the host stack. Without a
	 * socket on this queue (daemon restarting, queue not served) it is dropped
	 * and counted, so the loss is visible.
	 */
	if (!bpf_map_lookup_elem(&vx_xsks, &qid)) {
		vx_count(port->port_id, VX_CNT_DROP_NO_SOCKET);
		return XDP_DROP;
	}
	/*
	 * A dedicated-queue port's socket has the guest's own buffers in its fill
	 * ring: the kernel copies the frame (and any metadata an earlier chained
	 * program added in front of it) into guest memory. The daemon only posts
	 * buffers that hold max_len bytes after the virtio-net header; nothing
	 * longer may go there, and nothing may be written before the frame.
	 */
	if (port->max_len && (bpf_xdp_get_buff_len(ctx) > port->max_len ||
			      ctx->data_meta < ctx->data)) {
		vx_count(port->port_id, VX_CNT_DROP_TOO_BIG);
		return XDP_DROP;
	}
	/* Counted as redirected even if the socket's rx ring turns out to be full. */
	vx_count(port->port_id, VX_CNT_REDIRECT);
	return bpf_redirect_map(&vx_xsks, qid, XDP_DROP);
}

char LICENSE[] SEC("license") = "GPL";

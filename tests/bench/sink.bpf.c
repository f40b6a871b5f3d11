// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's wire-side sink for guest->wire: counts every frame and
 * drops it. It runs in the softirq of whoever transmitted into the veth (the
 * back-end's core), so no polling receiver competes with the guest for CPU 0,
 * and it costs every back-end the same. Loaded with iproute2
 * (ip link set dev IF xdp obj ... sec xdp), read with bpftool.
 *
 * Built a second time with VX_SINK_XSKMAP (sink-xsk.bpf.o) for DPDK's
 * net_af_xdp, which loads it itself (xdp_prog=) and puts its socket into a
 * map that must be called xsks_map. The program never redirects there: the
 * port only transmits (the wire source of bench.sh's wire->guest and PVP
 * cases), and what comes back to the veth is counted and dropped here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vx_sink_cnt SEC(".maps");

#ifdef VX_SINK_XSKMAP
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");
#endif

SEC("xdp")
int vx_sink(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *cnt = bpf_map_lookup_elem(&vx_sink_cnt, &key);

	if (cnt)
		(*cnt)++;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";

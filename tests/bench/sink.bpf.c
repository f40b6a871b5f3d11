// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's wire-side sink for guest->wire: counts every frame and
 * drops it. It runs in the softirq of whoever transmitted into the veth (the
 * back-end's core), so no polling receiver competes with the guest for CPU 0,
 * and it costs every back-end the same. Loaded with iproute2
 * (ip link set dev IF xdp obj ... sec xdp), read with bpftool.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vx_sink_cnt SEC(".maps");

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

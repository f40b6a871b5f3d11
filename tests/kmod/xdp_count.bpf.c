// SPDX-License-Identifier: GPL-2.0
/*
 * "Another XDP program" for tests/kmod/test_kmod_dispatcher.sh: counts every
 * frame it sees and passes it on. It carries no libxdp run config, so
 * xdp-loader gives it libxdp's defaults (priority 50, chain on XDP_PASS):
 * what a program written without vhost-xdpd in mind gets. The count is read
 * with `bpftool map dump name xdp_count_pkts`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xdp_count_pkts SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *cnt = bpf_map_lookup_elem(&xdp_count_pkts, &key);

	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

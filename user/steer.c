// SPDX-License-Identifier: GPL-2.0
/*
 * Loads bpf/steer.bpf.c from its skeleton and attaches it through libxdp.
 *
 * libxdp tries its multi-program dispatcher first. Where the kernel refuses
 * freplace programs (the dispatcher's building block) libxdp falls back to
 * attaching our program alone; both ways `xdp-loader status` lists it and
 * `xdp-loader unload` removes it. We pin nothing ourselves.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "steer.h"
#include "steer.skel.h"

struct vx_steer {
	struct steer_bpf *skel;
	struct xdp_program *prog;
	int ifindex;
	enum xdp_attach_mode mode;
	char ifname[IF_NAMESIZE];
};

static void vx_ifname(int ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%d", ifindex);
}

static bool vx_is_ours(const struct xdp_program *p)
{
	const char *name = xdp_program__name(p);

	return name && !strcmp(name, VX_STEER_PROG_NAME);
}

/*
 * Refuses to go near a NIC that already has XDP: a single program would be
 * replaced (libxdp refuses that too, but names nothing), and a program of ours
 * means another daemon runs or one crashed (--cleanup). A libxdp dispatcher
 * without our program is fine: libxdp adds ours beside the others.
 */
static int vx_steer_check_free(int ifindex, const char *ifname)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *p;
	long err = libxdp_get_error(mp);
	int ret = 0;

	if (err == -ENOENT || (!err && !mp))
		return 0;
	if (err == -EPERM) {
		pr_err("%s: an XDP program is already attached and reading it needs CAP_SYS_ADMIN; "
		       "not replacing it (run --cleanup if it is ours from a crashed daemon)\n",
		       ifname);
		return (int)err;
	}
	if (err) {
		pr_err("%s: cannot query XDP programs: %s\n", ifname, strerror((int)-err));
		return (int)err;
	}
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p) {
			pr_err("%s: XDP program '%s' (id %u) is already attached; not replacing it "
			       "(run --cleanup if it is ours from a crashed daemon)\n",
			       ifname, xdp_program__name(p), xdp_program__id(p));
			ret = -EEXIST;
		}
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp)) {
			if (!vx_is_ours(p))
				continue;
			pr_err("%s: %s (id %u) is already attached through the libxdp dispatcher; "
			       "another daemon runs here, or run --cleanup\n",
			       ifname, VX_STEER_PROG_NAME, xdp_program__id(p));
			ret = -EEXIST;
			break;
		}
	}
	if (!ret && xdp_multiprog__hw_prog(mp)) {
		pr_err("%s: a hardware-offloaded XDP program is attached; not touching it\n",
		       ifname);
		ret = -EEXIST;
	}
	xdp_multiprog__close(mp);
	return ret;
}

static int vx_steer_try_attach(struct vx_steer *st, enum xdp_attach_mode mode)
{
	int err = xdp_program__attach(st->prog, st->ifindex, mode, 0);

	if (!err)
		st->mode = mode;
	return err;
}

static int vx_steer_load_attach(struct vx_steer *st, bool skb_mode)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = st->skel->obj,
			    .prog_name = VX_STEER_PROG_NAME);
	int err;

	st->prog = xdp_program__create(&opts);
	err = (int)libxdp_get_error(st->prog);
	if (err) {
		st->prog = NULL;
		pr_err("%s: cannot create XDP program: %s\n", st->ifname, strerror(-err));
		return err;
	}
	if (!skb_mode) {
		err = vx_steer_try_attach(st, XDP_MODE_NATIVE);
		if (!err || err == -EEXIST || err == -EBUSY)
			return err;
		pr_info("%s: native XDP refused (%s), trying generic (skb) mode\n", st->ifname,
			strerror(-err));
	}
	return vx_steer_try_attach(st, XDP_MODE_SKB);
}

int vx_steer_attach(struct vx_steer **out, int ifindex, bool skb_mode)
{
	struct vx_steer *st;
	int err;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->ifindex = ifindex;
	vx_ifname(ifindex, st->ifname);

	err = vx_steer_check_free(ifindex, st->ifname);
	if (err)
		goto end_free;
	st->skel = steer_bpf__open();
	if (!st->skel) {
		err = -errno;
		pr_err("%s: cannot open the steering BPF object: %s\n", st->ifname, strerror(-err));
		goto end_free;
	}
	err = vx_steer_load_attach(st, skb_mode);
	if (err) {
		pr_err("%s: cannot attach XDP program %s: %s\n", st->ifname, VX_STEER_PROG_NAME,
		       strerror(-err));
		goto end_destroy;
	}
	pr_info("%s: XDP program %s (id %u) attached in %s mode\n", st->ifname, VX_STEER_PROG_NAME,
		xdp_program__id(st->prog), vx_steer_mode(st));
	*out = st;
	return 0;

end_destroy:
	xdp_program__close(st->prog);
	steer_bpf__destroy(st->skel);
end_free:
	free(st);
	return err;
}

/*
 * Where libxdp attached our program alone (its single-program fallback), the
 * kernel removes it on CAP_NET_ADMIN alone: with XDP_FLAGS_REPLACE and our fd
 * it detaches only if our program is still the one attached, and says EEXIST
 * otherwise. libxdp's detach reads the NIC's programs back by id first
 * (BPF_PROG_GET_FD_BY_ID), which needs CAP_SYS_ADMIN; it remains the way for
 * a program behind a dispatcher and for a NIC where ours is gone.
 */
static int vx_steer_detach_alone(const struct vx_steer *st)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(st->prog));
	__u32 flags = XDP_FLAGS_REPLACE |
		      (st->mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);

	return bpf_xdp_detach(st->ifindex, flags, &opts);
}

void vx_steer_detach(struct vx_steer *st)
{
	int err;

	if (!st)
		return;
	/* Both ways only detach the program if it is still the one we attached. */
	err = vx_steer_detach_alone(st) ? xdp_program__detach(st->prog, st->ifindex, st->mode, 0)
					: 0;
	if (err == -ENOENT)
		pr_info("%s: XDP program %s was already removed (xdp-loader unload?)\n", st->ifname,
			VX_STEER_PROG_NAME);
	else if (err)
		pr_warn("%s: cannot detach XDP program %s: %s\n", st->ifname, VX_STEER_PROG_NAME,
			strerror(-err));
	else
		pr_info("%s: XDP program %s detached\n", st->ifname, VX_STEER_PROG_NAME);
	/* The program does not own the skeleton's object; close it first. */
	xdp_program__close(st->prog);
	steer_bpf__destroy(st->skel);
	free(st);
}

int vx_steer_port_add(struct vx_steer *st, uint32_t port_id, const uint8_t mac[6], uint16_t vlan)
{
	struct vx_port_key key = {.vlan = vlan};
	struct vx_port_val val = {.port_id = port_id};
	int err;

	if (port_id >= VX_MAX_PORTS || vlan > 4095)
		return -EINVAL;
	memcpy(key.mac, mac, sizeof(key.mac));
	err = bpf_map__update_elem(st->skel->maps.vx_ports, &key, sizeof(key), &val, sizeof(val),
				   BPF_NOEXIST);
	if (err)
		pr_err("%s: cannot add port %u (vlan %u) to the steering map: %s\n", st->ifname,
		       port_id, vlan, strerror(-err));
	return err;
}

int vx_steer_port_limit(struct vx_steer *st, uint32_t port_id, const uint8_t mac[6],
			uint16_t vlan, uint32_t max_len)
{
	struct vx_port_key key = {.vlan = vlan};
	struct vx_port_val val = {.port_id = port_id, .max_len = max_len};

	memcpy(key.mac, mac, sizeof(key.mac));
	return bpf_map__update_elem(st->skel->maps.vx_ports, &key, sizeof(key), &val, sizeof(val),
				    BPF_EXIST);
}

int vx_steer_port_del(struct vx_steer *st, const uint8_t mac[6], uint16_t vlan)
{
	struct vx_port_key key = {.vlan = vlan};

	memcpy(key.mac, mac, sizeof(key.mac));
	return bpf_map__delete_elem(st->skel->maps.vx_ports, &key, sizeof(key), 0);
}

int vx_steer_set_xsk(struct vx_steer *st, uint32_t queue, int xsk_fd)
{
	__u32 fd = (__u32)xsk_fd;
	int err;

	if (queue >= VX_MAX_QUEUES)
		return -EINVAL;
	if (xsk_fd < 0) {
		err = bpf_map__delete_elem(st->skel->maps.vx_xsks, &queue, sizeof(queue), 0);
		return err == -ENOENT ? 0 : err;
	}
	err = bpf_map__update_elem(st->skel->maps.vx_xsks, &queue, sizeof(queue), &fd, sizeof(fd),
				   BPF_ANY);
	if (err)
		pr_err("%s: cannot put the AF_XDP socket of queue %u in the XSKMAP: %s\n",
		       st->ifname, queue, strerror(-err));
	return err;
}

int vx_steer_stats_clear(struct vx_steer *st, uint32_t slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vx_steer_stats *zero;
	int err;

	if (ncpu < 0)
		return ncpu;
	if (slot > VX_STEER_GLOBAL)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	err = bpf_map__update_elem(st->skel->maps.vx_stats, &slot, sizeof(slot), zero,
				   ncpu * sizeof(*zero), BPF_ANY);
	free(zero);
	return err;
}

int vx_steer_stats(struct vx_steer *st, uint32_t slot, struct vx_steer_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vx_steer_stats *percpu;
	int err, c, i;

	if (ncpu < 0)
		return ncpu;
	if (slot > VX_STEER_GLOBAL)
		return -EINVAL;
	/* sizeof() is a multiple of 8, as the kernel's per-CPU value layout wants. */
	percpu = calloc(ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	err = bpf_map__lookup_elem(st->skel->maps.vx_stats, &slot, sizeof(slot), percpu,
				   ncpu * sizeof(*percpu), 0);
	if (!err) {
		memset(out, 0, sizeof(*out));
		for (c = 0; c < ncpu; c++)
			for (i = 0; i < VX_CNT_MAX; i++)
				out->cnt[i] += percpu[c].cnt[i];
	}
	free(percpu);
	return err;
}

int vx_steer_stats_range(struct vx_steer *st, uint32_t n, struct vx_steer_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err = 0;
	struct vx_steer_stats *percpu;
	uint32_t *keys, got = 0, batch, c, k, i, token = 0;
	bool first = true;

	if (ncpu < 0)
		return ncpu;
	if (n > VX_STEER_GLOBAL + 1)
		return -EINVAL;
	memset(out, 0, n * sizeof(*out));
	if (!n)
		return 0;
	percpu = calloc((size_t)n * ncpu, sizeof(*percpu));
	keys = calloc(n, sizeof(*keys));
	if (!percpu || !keys) {
		free(percpu);
		free(keys);
		return -ENOMEM;
	}
	/* One syscall for every slot (BPF_MAP_LOOKUP_BATCH), not one per port. */
	fd = bpf_map__fd(st->skel->maps.vx_stats);
	while (got < n) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);

		batch = n - got;
		/* token: where the kernel stopped (opaque, a key's size for arrays) */
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys + got,
					   percpu + (size_t)got * ncpu, &batch, &o);
		first = false;
		got += batch;
		if (err)
			break;
	}
	/* ENOENT: the array ended before n; what came is complete. */
	if (err == -ENOENT)
		err = 0;
	for (k = 0; !err && k < got && k < n; k++) {
		if (keys[k] >= n)
			continue;
		for (c = 0; c < (uint32_t)ncpu; c++)
			for (i = 0; i < VX_CNT_MAX; i++)
				out[keys[k]].cnt[i] += percpu[(size_t)k * ncpu + c].cnt[i];
	}
	free(percpu);
	free(keys);
	return err;
}

const char *vx_steer_mode(const struct vx_steer *st)
{
	return st->mode == XDP_MODE_SKB ? "skb" : "native";
}

/* Removes our programs from a libxdp dispatcher, leaving the others attached. */
static int vx_steer_cleanup_multi(struct xdp_multiprog *mp, int ifindex, const char *ifname)
{
	enum xdp_attach_mode mode = xdp_multiprog__attach_mode(mp);
	struct xdp_program *p;
	int n = 0, err;

	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
		if (!vx_is_ours(p))
			continue;
		err = xdp_program__detach(p, ifindex, mode, 0);
		if (err) {
			pr_err("%s: cannot remove %s (id %u): %s\n", ifname, VX_STEER_PROG_NAME,
			       xdp_program__id(p), strerror(-err));
			return err;
		}
		pr_info("%s: removed %s (id %u)\n", ifname, VX_STEER_PROG_NAME, xdp_program__id(p));
		n++;
	}
	return n;
}

int vx_steer_cleanup(int ifindex)
{
	char ifname[IF_NAMESIZE];
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	long err;
	int n = 0;

	vx_ifname(ifindex, ifname);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	err = libxdp_get_error(mp);
	if (err == -ENOENT || (!err && !mp))
		goto end_refs;
	if (err) {
		pr_err("%s: cannot query XDP programs: %s\n", ifname, strerror((int)-err));
		return (int)err;
	}
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && vx_is_ours(p)) {
			err = xdp_multiprog__detach(mp);
			if (err) {
				pr_err("%s: cannot remove %s (id %u): %s\n", ifname,
				       VX_STEER_PROG_NAME, xdp_program__id(p), strerror((int)-err));
				goto end_close;
			}
			pr_info("%s: removed %s (id %u)\n", ifname, VX_STEER_PROG_NAME,
				xdp_program__id(p));
			n = 1;
		} else if (p) {
			pr_info("%s: XDP program '%s' is not ours, left alone\n", ifname,
				xdp_program__name(p));
		}
	} else {
		err = vx_steer_cleanup_multi(mp, ifindex, ifname);
		if (err < 0)
			goto end_close;
		n = (int)err;
	}
	xdp_multiprog__close(mp);
end_refs:
	/* Stale dispatcher pins under bpffs, if a dispatcher was ever used. */
	libxdp_clean_references(ifindex);
	return n;

end_close:
	xdp_multiprog__close(mp);
	return (int)err;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vx-guest: plays a virtio-net guest on a vhost-user socket, or on a kernel
 * vhost device (/dev/vhost-net, /dev/vhost-xdp) when --socket names a
 * character device.
 *
 *   vx-guest send    --socket PATH --mac MAC --dst MAC [--count N] [--size BYTES]
 *   vx-guest recv    --socket PATH --mac MAC [--count N] [--timeout S]
 *   vx-guest echo    --socket PATH --mac MAC [--count N] [--timeout S]
 *   vx-guest memreg  --socket PATH --mac MAC [--dst MAC] [--count CYCLES] [--timeout S]
 *                    [--frames N] [--stale-every N]
 *   vx-guest hostile --socket PATH --mac MAC [--dst MAC] [--wait S] [--flood S]
 *                    [--flood-dst MAC] CASE... | all | -
 *   vx-guest dirtylog --socket PATH --mac MAC --dst MAC [--count N] [--rx-count N]
 *                    [--size BYTES] [--rx-buf BYTES] [--timeout S]
 *
 * dirtylog turns the dirty log on, sends --count frames and waits for
 * --rx-count intact frames (vx-pkt's), stops the rings and checks that every
 * byte the back-end changed is in a logged page (dirtylog.c). --rx-buf makes
 * the RX buffers smaller, so that frames span several (merged buffers).
 *
 * Common: --server (listen on PATH instead of connecting), --no-mrg,
 * --no-event-idx, --qsize N. Each mode ends with a one-line summary; see
 * hostile.c for the cases. SIGTERM or SIGINT ends a mode early, with its summary.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/if_ether.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "vg.h"

#define BIT(n) (1ull << (n))
#define TX_BATCH 32	/* frames queued before a publish */

volatile int vg_stop;

struct opts {
	const char *socket;
	bool server, no_mrg, no_event_idx, offload;
	uint8_t mac[ETH_ALEN], dst[ETH_ALEN], flood_dst[ETH_ALEN];
	bool has_mac, has_dst, has_flood_dst;
	unsigned long count, rx_count;
	unsigned int size, qsize, rx_buf;
	double timeout, wait, flood;
	unsigned int frames, stale_every;
};

double vg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	vg_stop = sig;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* Waits for TX completions or the deadline; -errno if the back-end went away or broke the ring. */
static int tx_wait_room(struct vg_dev *d)
{
	vg_vq_publish(&d->vq[VG_TX], false);
	if (vg_vq_arm(&d->vq[VG_TX]))
		return 0;
	return vg_wait(d, 100);
}

static int mode_send(struct vg_dev *d, const struct opts *o)
{
	static uint8_t frame[VG_BUF_SIZE];
	double end = vg_now() + o->timeout;
	unsigned long i;
	int err = 0;

	for (i = 0; i < o->count && !vg_stop && !err && vg_now() < end;) {
		vg_pkt_build(frame, o->dst, o->mac, o->size, (uint32_t)i);
		err = vg_tx_frame(d, frame, o->size, (i + 1) % TX_BATCH == 0);
		if (err == -EAGAIN)
			err = tx_wait_room(d);
		else if (!err)
			i++;
	}
	vg_vq_publish(&d->vq[VG_TX], false);
	/* Done when the back-end has consumed every frame. */
	while (!err && !vg_stop && d->vq[VG_TX].nfree < d->vq[VG_TX].num && vg_now() < end) {
		vg_tx_reclaim(d);
		if (!vg_vq_arm(&d->vq[VG_TX]))
			err = vg_wait(d, 100);
	}
	printf("sent %lu\n", i);
	return err || i < o->count;
}

struct rx_count {
	unsigned long received, ok, bad, echoed;
	const struct opts *o;
	int err;
};

static void on_recv(struct vg_dev *d, uint8_t *frame, uint32_t len, void *arg)
{
	struct rx_count *c = arg;
	uint32_t seq;
	int v = vg_pkt_verify(frame, len, &seq);

	c->received++;
	if (v > 0)
		c->ok++;
	else if (v < 0)
		c->bad++;
}

/* macswap: every frame goes back where it came from, from our MAC. */
static void on_echo(struct vg_dev *d, uint8_t *frame, uint32_t len, void *arg)
{
	struct rx_count *c = arg;
	int err;

	c->received++;
	if (len < ETH_HLEN)
		return;
	memcpy(frame, frame + ETH_ALEN, ETH_ALEN);
	memcpy(frame + ETH_ALEN, d->mac, ETH_ALEN);
	while ((err = vg_tx_frame(d, frame, len, false)) == -EAGAIN && !c->err)
		c->err = tx_wait_room(d);
	if (!err)
		c->echoed++;
}

static int rx_loop(struct vg_dev *d, const struct opts *o, vg_rx_fn fn, struct rx_count *c)
{
	double end = o->timeout > 0 ? vg_now() + o->timeout : 0;
	int n;

	vg_rx_post_all(d);
	while (!vg_stop && !c->err && (!o->count || c->received < o->count) &&
	       (!end || vg_now() < end)) {
		n = vg_rx_poll(d, fn, c);
		if (n < 0)
			return n;
		vg_vq_publish(&d->vq[VG_TX], false);
		vg_tx_reclaim(d);
		if (!n)
			c->err = vg_wait(d, 100);
	}
	return c->err;
}

static int mode_recv(struct vg_dev *d, const struct opts *o)
{
	struct rx_count c = { .o = o };
	int err = rx_loop(d, o, on_recv, &c);

	printf("received %lu ok %lu bad %lu\n", c.received, c.ok, c.bad);
	return err || c.bad || c.ok < o->count;
}

static int mode_echo(struct vg_dev *d, const struct opts *o)
{
	struct rx_count c = { .o = o };
	int err = rx_loop(d, o, on_echo, &c);

	if (err)
		fprintf(stderr, "vx-guest: echo: %s\n", strerror(-err));
	printf("echoed %lu of %lu\n", c.echoed, c.received);
	return err || c.echoed < c.received;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: vx-guest send|recv|echo|memreg|hostile|dirtylog --socket PATH --mac MAC [options] [CASE...]\n"
		"  --server           listen on PATH (the back-end connects)\n"
		"  --no-mrg           do not negotiate VIRTIO_NET_F_MRG_RXBUF\n"
		"  --no-event-idx     do not negotiate VIRTIO_RING_F_EVENT_IDX\n"
		"  --offload          negotiate CSUM, HOST_TSO4/6 and HOST_ECN (hostile off-* cases)\n"
		"  --qsize N          queue size (power of two, <= %d; default %d)\n"
		"  --dst MAC          send: destination; hostile: where valid frames go\n"
		"  --count N --size BYTES --timeout S\n"
		"  --wait S           hostile RX cases: how long frames may arrive (default 1;\n"
		"                     with CASE '-', cases come from stdin and 'go' ends the wait)\n"
		"  --flood S          hostile tx-flood: how long (default 2)\n"
		"  --flood-dst MAC    hostile tx-flood: destination (default --dst)\n"
		"  --frames N         memreg: frames sent from the added region per cycle (default 8)\n"
		"  --stale-every N    memreg: every Nth cycle a chain into the removed region (0: never)\n",
		VG_QSIZE_MAX, VG_QSIZE_DEF);
	vg_hostile_main(NULL, 0, NULL, NULL);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "socket", required_argument, NULL, 'S' }, { "server", no_argument, NULL, 'l' },
		{ "mac", required_argument, NULL, 'm' },    { "dst", required_argument, NULL, 'd' },
		{ "no-mrg", no_argument, NULL, 'M' },	    { "no-event-idx", no_argument, NULL, 'E' },
		{ "count", required_argument, NULL, 'c' },  { "size", required_argument, NULL, 's' },
		{ "qsize", required_argument, NULL, 'q' },  { "timeout", required_argument, NULL, 't' },
		{ "wait", required_argument, NULL, 'w' },   { "flood", required_argument, NULL, 'f' },
		{ "flood-dst", required_argument, NULL, 'F' }, { "offload", no_argument, NULL, 'O' },
		{ "frames", required_argument, NULL, 'n' }, { "stale-every", required_argument, NULL, 'x' },
		{ "rx-count", required_argument, NULL, 'r' }, { "rx-buf", required_argument, NULL, 'b' },
		{}
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'S':
			o->socket = optarg;
			break;
		case 'l':
			o->server = true;
			break;
		case 'm':
			o->has_mac = !parse_mac(optarg, o->mac);
			break;
		case 'd':
			o->has_dst = !parse_mac(optarg, o->dst);
			break;
		case 'F':
			o->has_flood_dst = !parse_mac(optarg, o->flood_dst);
			break;
		case 'M':
			o->no_mrg = true;
			break;
		case 'E':
			o->no_event_idx = true;
			break;
		case 'O':
			o->offload = true;
			break;
		case 'c':
			o->count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			o->size = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'q':
			o->qsize = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->timeout = strtod(optarg, NULL);
			break;
		case 'w':
			o->wait = strtod(optarg, NULL);
			break;
		case 'f':
			o->flood = strtod(optarg, NULL);
			break;
		case 'n':
			o->frames = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'x':
			o->stale_every = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->rx_count = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			o->rx_buf = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		default:
			return -EINVAL;
		}
		if ((c == 'm' && !o->has_mac) || (c == 'd' && !o->has_dst) ||
		    (c == 'F' && !o->has_flood_dst))
			return -EINVAL;
	}
	if (!o->socket || !o->has_mac || o->size < 60 || o->size > VG_BUF_SIZE - VG_HDR_LEN ||
	    !o->qsize || o->qsize > VG_QSIZE_MAX || (o->qsize & (o->qsize - 1)) ||
	    (o->rx_buf && (o->rx_buf < VG_HDR_LEN || o->rx_buf > VG_BUF_SIZE)))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .size = 128, .qsize = VG_QSIZE_DEF, .wait = 1, .flood = 2, .frames = 8,
			  .dst = { 0x02, 0, 0, 0, 0, 0x99 } };
	const char *mode = argc > 1 ? argv[1] : "";
	struct sigaction sa = { .sa_handler = on_signal };
	struct vg_dev d = { .ops = &vg_vhost_user_ops };
	struct vg_hostile_opts ho;
	struct stat st;
	uint64_t want;
	int err, rc;

	if (parse(argc - 1, argv + 1, &o)) {
		usage();
		return 2;
	}
	if ((!strcmp(mode, "send") || !strcmp(mode, "dirtylog")) && !o.has_dst) {
		usage();
		return 2;
	}
	ho = (struct vg_hostile_opts){ .wait_s = o.wait, .flood_s = o.flood, .dst = o.dst,
				       .flood_dst = o.has_flood_dst ? o.flood_dst : o.dst };
	if (!o.timeout)
		o.timeout = strcmp(mode, "echo") && strcmp(mode, "memreg") ? 10 : 0;	/* run until stopped */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	memcpy(d.mac, o.mac, ETH_ALEN);
	d.want_mem_slots = !strcmp(mode, "memreg");
	d.want_log = !strcmp(mode, "dirtylog");
	d.rx_buf_len = o.rx_buf;
	if (!stat(o.socket, &st) && S_ISCHR(st.st_mode))
		d.ops = &vg_vhost_kernel_ops;
	want = BIT(VIRTIO_F_VERSION_1);
	if (!o.no_mrg)
		want |= BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (!o.no_event_idx)
		want |= BIT(VIRTIO_RING_F_EVENT_IDX);
	if (o.offload)
		want |= BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
			BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN);
	err = vg_dev_open(&d, o.socket, o.server, want, (uint16_t)o.qsize);
	if (err) {
		fprintf(stderr, "vx-guest: %s: set-up failed: %s\n", o.socket, strerror(-err));
		vg_dev_close(&d);
		return 1;
	}
	if (!strcmp(mode, "send"))
		rc = mode_send(&d, &o);
	else if (!strcmp(mode, "recv"))
		rc = mode_recv(&d, &o);
	else if (!strcmp(mode, "echo"))
		rc = mode_echo(&d, &o);
	else if (!strcmp(mode, "memreg")) {
		struct vg_memreg_opts mo = { .cycles = o.count, .timeout = o.timeout,
					     .frames = o.frames, .stale_every = o.stale_every,
					     .dst = o.dst };

		rc = vg_memreg_main(&d, &mo);
	} else if (!strcmp(mode, "dirtylog")) {
		struct vg_dirtylog_opts lo = { .dst = o.dst, .tx_count = o.count ? o.count : 100,
					       .rx_count = o.rx_count, .size = o.size,
					       .timeout = o.timeout };

		rc = vg_dirtylog_main(&d, &lo);
	} else if (!strcmp(mode, "hostile"))
		rc = vg_hostile_main(&d, argc - optind - 1, argv + optind + 1, &ho);
	else
		rc = (usage(), 2);
	vg_dev_close(&d);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vx-xskgen: a bare AF_XDP socket that sends or receives as fast as it can,
 * with no virtqueue, no copy to a guest and no per-packet work of its own.
 * What it reaches on a NIC is the ceiling for any AF_XDP back-end there: the
 * cost of the kernel side alone.
 *
 *   vx-xskgen tx --dev IF --dst MAC [--src MAC] [--size BYTES] [--time S]
 *                [--batch N] [--warmup S] [--queue Q]
 *   vx-xskgen rx --dev IF [--time S] [--batch N] [--warmup S] [--queue Q]
 *
 * tx fills every UMEM frame once with the same Ethernet/IPv4/UDP frame of
 * --size bytes (no FCS), then only posts descriptors and reaps completions.
 * rx lets libxdp load its default program, which redirects every frame of
 * the queue to the socket, and returns each frame to the fill ring unread.
 * Both print one line at the end:
 *
 *   xskgen tx|rx packets N seconds T pps P
 *
 * counted over --time seconds after --warmup seconds (tx counts completions,
 * rx counts received descriptors). SIGINT/SIGTERM end the run early; rx then
 * deletes the socket, which makes libxdp remove its program from the NIC.
 * Copy mode (XDP_COPY) with XDP_USE_NEED_WAKEUP; 4096 frames of 2048 bytes.
 * Exit status: 0 done, 1 set-up failure (e.g. no such interface), 2 bad flags.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <xdp/xsk.h>

#include "vx_frame.h"

#define VX_GEN_NFRAMES	  4096
#define VX_GEN_FRAME_SIZE 2048
/* Each ring gets half the frames: rx never lends more than its RX ring holds. */
#define VX_GEN_RING	 (VX_GEN_NFRAMES / 2)
#define VX_GEN_MIN_SIZE	 60   /* Ethernet minimum without FCS */
#define VX_GEN_MAX_SIZE	 1514 /* a 1500-byte MTU; the veth drops longer frames */
#define VX_GEN_DEF_BATCH 64
/*
 * Copy mode transmits at most 32 descriptors per sendto() (TX_BATCH_SIZE in
 * net/xdp/xsk.c) and returns EAGAIN while more are queued: enough kicks to
 * empty a full TX ring.
 */
#define VX_GEN_MAX_KICKS (VX_GEN_RING / 32)
/* A queue freed a moment ago is released from a workqueue: EBUSY for a while. */
#define VX_GEN_BUSY_TRIES   100
#define VX_GEN_BUSY_WAIT_US 10000

enum vx_gen_mode { VX_GEN_TX, VX_GEN_RX };

struct vx_gen_opts {
	enum vx_gen_mode mode;
	const char *dev;
	uint8_t dst[ETH_ALEN], src[ETH_ALEN];
	bool has_dst, has_src;
	unsigned int size, batch, queue;
	double time, warmup;
};

struct vx_gen {
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_umem *umem;
	struct xsk_socket *sock;
	void *area;
	uint32_t next;	   /* next frame to post for tx, round robin */
	uint32_t inflight; /* tx descriptors posted and not yet completed */
	uint64_t packets;
	uint64_t kick_errors;
};

static volatile sig_atomic_t vx_gen_stop;

static void vx_gen_on_signal(int sig)
{
	vx_gen_stop = 1;
}

static double vx_gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void vx_gen_usage(FILE *f)
{
	fprintf(f,
		"usage: vx-xskgen tx --dev IF --dst MAC [--src MAC] [--size BYTES] [--time S]\n"
		"                    [--batch N] [--warmup S] [--queue Q]\n"
		"       vx-xskgen rx --dev IF [--time S] [--batch N] [--warmup S] [--queue Q]\n");
}

/* ---- command line ---- */

static int vx_gen_parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return -1;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

static int vx_gen_parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || n < lo || n > hi)
		return -1;
	*v = n;
	return 0;
}

static int vx_gen_parse_secs(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !(*v >= 0 && *v < 1e6) ? -1 : 0;
}

static int vx_gen_bad(const char *opt, const char *val)
{
	fprintf(stderr, "vx-xskgen: bad value for --%s: '%s'\n", opt, val);
	return -1;
}

static int vx_gen_parse_opt(struct vx_gen_opts *o, const char *name, const char *val)
{
	if (!strcmp(name, "dev"))
		o->dev = val;
	else if (!strcmp(name, "dst"))
		o->has_dst = !vx_gen_parse_mac(val, o->dst);
	else if (!strcmp(name, "src"))
		o->has_src = !vx_gen_parse_mac(val, o->src);
	else if (!strcmp(name, "size"))
		return vx_gen_parse_uint(val, VX_GEN_MIN_SIZE, VX_GEN_MAX_SIZE, &o->size)
			   ? vx_gen_bad(name, val)
			   : 0;
	else if (!strcmp(name, "batch"))
		return vx_gen_parse_uint(val, 1, VX_GEN_RING, &o->batch) ? vx_gen_bad(name, val)
									 : 0;
	else if (!strcmp(name, "queue"))
		return vx_gen_parse_uint(val, 0, 1023, &o->queue) ? vx_gen_bad(name, val) : 0;
	else if (!strcmp(name, "time"))
		return vx_gen_parse_secs(val, &o->time) || o->time <= 0 ? vx_gen_bad(name, val) : 0;
	else if (!strcmp(name, "warmup"))
		return vx_gen_parse_secs(val, &o->warmup) ? vx_gen_bad(name, val) : 0;
	if ((!strcmp(name, "dst") && !o->has_dst) || (!strcmp(name, "src") && !o->has_src))
		return vx_gen_bad(name, val);
	return 0;
}

static int vx_gen_check_opts(const struct vx_gen_opts *o)
{
	if (!o->dev) {
		fprintf(stderr, "vx-xskgen: --dev is required\n");
		return -1;
	}
	if (o->mode == VX_GEN_TX && !o->has_dst) {
		fprintf(stderr, "vx-xskgen: tx needs --dst MAC\n");
		return -1;
	}
	if (o->mode == VX_GEN_RX && (o->has_dst || o->has_src)) {
		fprintf(stderr, "vx-xskgen: --dst and --src are for tx only\n");
		return -1;
	}
	return 0;
}

static int vx_gen_parse(struct vx_gen_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"dev", required_argument, NULL, 0},    {"dst", required_argument, NULL, 0},
	    {"src", required_argument, NULL, 0},    {"size", required_argument, NULL, 0},
	    {"time", required_argument, NULL, 0},   {"batch", required_argument, NULL, 0},
	    {"warmup", required_argument, NULL, 0}, {"queue", required_argument, NULL, 0},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	int c, idx;

	if (argc < 2 || (strcmp(argv[1], "tx") && strcmp(argv[1], "rx"))) {
		fprintf(stderr, "vx-xskgen: first argument must be tx or rx\n");
		vx_gen_usage(stderr);
		return -1;
	}
	o->mode = strcmp(argv[1], "tx") ? VX_GEN_RX : VX_GEN_TX;
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			vx_gen_usage(stdout);
			exit(0);
		}
		if (c || vx_gen_parse_opt(o, longopts[idx].name, optarg))
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "vx-xskgen: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return vx_gen_check_opts(o);
}

/* ---- the frame ---- */

static int vx_gen_dev_mac(const char *dev, uint8_t *mac)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	close(fd);
	return err;
}

/* Ethernet/IPv4/UDP, 10.77.0.1 -> 10.77.0.100 port VX_FRAME_PORT, zero payload. */
static void vx_gen_frame_build(uint8_t *buf, const struct vx_gen_opts *o)
{
	struct ether_header *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	size_t ip_len = o->size - sizeof(*eth);

	memset(buf, 0, o->size);
	memcpy(eth->ether_dhost, o->dst, ETH_ALEN);
	memcpy(eth->ether_shost, o->src, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(ip_len);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0x0a4d0001);
	ip->daddr = htonl(0x0a4d0064);
	ip->check = htons(vx_frame_csum(ip, sizeof(*ip), 0));
	udp->source = htons(VX_FRAME_PORT);
	udp->dest = htons(VX_FRAME_PORT);
	udp->len = htons(ip_len - sizeof(*ip));
	/* UDP checksum 0: none, valid for IPv4 (RFC 768). */
}

/* ---- the socket ---- */

static int vx_gen_bind(struct vx_gen *g, const struct vx_gen_opts *o)
{
	struct xsk_socket_config cfg = {
	    .rx_size = VX_GEN_RING,
	    .tx_size = VX_GEN_RING,
	    .bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	int err;

	/* tx sends only: no RX ring and no XDP program on the NIC. */
	if (o->mode == VX_GEN_TX)
		cfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	err = xsk_socket__create(&g->sock, o->dev, o->queue, g->umem,
				 o->mode == VX_GEN_RX ? &g->rx : NULL,
				 o->mode == VX_GEN_TX ? &g->tx : NULL, &cfg);
	if (err)
		g->sock = NULL;
	return err;
}

/* One attempt; a UMEM whose bind failed is not reusable through libxdp, so it goes too. */
static int vx_gen_open_once(struct vx_gen *g, const struct vx_gen_opts *o)
{
	struct xsk_umem_config ucfg = {
	    .fill_size = VX_GEN_RING,
	    .comp_size = VX_GEN_RING,
	    .frame_size = VX_GEN_FRAME_SIZE,
	};
	int err;

	err = xsk_umem__create(&g->umem, g->area, (size_t)VX_GEN_NFRAMES * VX_GEN_FRAME_SIZE,
			       &g->fill, &g->comp, &ucfg);
	if (err) {
		g->umem = NULL;
		fprintf(stderr, "vx-xskgen: UMEM registration failed: %s\n", strerror(-err));
		return err;
	}
	err = vx_gen_bind(g, o);
	if (err) {
		xsk_umem__delete(g->umem);
		g->umem = NULL;
	}
	return err;
}

static int vx_gen_open(struct vx_gen *g, const struct vx_gen_opts *o)
{
	size_t len = (size_t)VX_GEN_NFRAMES * VX_GEN_FRAME_SIZE;
	int err, tries = 0;

	g->area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->area == MAP_FAILED) {
		g->area = NULL;
		fprintf(stderr, "vx-xskgen: cannot map the UMEM: %s\n", strerror(errno));
		return -ENOMEM;
	}
	while ((err = vx_gen_open_once(g, o)) == -EBUSY && ++tries < VX_GEN_BUSY_TRIES)
		usleep(VX_GEN_BUSY_WAIT_US);
	if (err)
		fprintf(stderr, "vx-xskgen: %s queue %u: AF_XDP bind (copy mode) failed: %s\n",
			o->dev, o->queue, strerror(-err));
	return err;
}

/* Deleting the socket is what makes libxdp detach the program it loaded. */
static void vx_gen_close(struct vx_gen *g)
{
	if (g->sock)
		xsk_socket__delete(g->sock);
	if (g->umem)
		xsk_umem__delete(g->umem);
	if (g->area)
		munmap(g->area, (size_t)VX_GEN_NFRAMES * VX_GEN_FRAME_SIZE);
}

/* ---- tx ---- */

static void vx_gen_tx_prefill(struct vx_gen *g, const struct vx_gen_opts *o)
{
	uint32_t i;

	vx_gen_frame_build(g->area, o);
	for (i = 1; i < VX_GEN_NFRAMES; i++)
		memcpy((uint8_t *)g->area + (size_t)i * VX_GEN_FRAME_SIZE, g->area, o->size);
}

static void vx_gen_tx_reap(struct vx_gen *g)
{
	uint32_t idx = 0, n;

	n = xsk_ring_cons__peek(&g->comp, VX_GEN_RING, &idx);
	if (!n)
		return;
	xsk_ring_cons__release(&g->comp, n);
	g->inflight -= n;
	g->packets += n;
}

/* EAGAIN: more than 32 queued; EBUSY/ENOBUFS: completion ring or skb pressure. */
static void vx_gen_tx_kick(struct vx_gen *g)
{
	int i;

	for (i = 0; i < VX_GEN_MAX_KICKS && xsk_ring_prod__needs_wakeup(&g->tx); i++) {
		if (sendto(xsk_socket__fd(g->sock), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			return;
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) {
			g->kick_errors++;
			return;
		}
		vx_gen_tx_reap(g);
	}
}

static void vx_gen_tx_step(struct vx_gen *g, const struct vx_gen_opts *o)
{
	uint32_t want = VX_GEN_RING - g->inflight, idx = 0, n, i;

	if (want > o->batch)
		want = o->batch;
	n = want ? xsk_ring_prod__reserve(&g->tx, want, &idx) : 0;
	for (i = 0; i < n; i++) {
		struct xdp_desc *d = xsk_ring_prod__tx_desc(&g->tx, idx + i);

		d->addr = (uint64_t)(g->next++ % VX_GEN_NFRAMES) * VX_GEN_FRAME_SIZE;
		d->len = o->size;
		d->options = 0;
	}
	if (n) {
		xsk_ring_prod__submit(&g->tx, n);
		g->inflight += n;
	}
	vx_gen_tx_kick(g);
	vx_gen_tx_reap(g);
}

/* ---- rx ---- */

/* Lends RING frames to the kernel; each one received goes straight back. */
static void vx_gen_rx_prefill(struct vx_gen *g)
{
	uint32_t idx = 0, i;

	xsk_ring_prod__reserve(&g->fill, VX_GEN_RING, &idx);
	for (i = 0; i < VX_GEN_RING; i++)
		*xsk_ring_prod__fill_addr(&g->fill, idx + i) = (uint64_t)i * VX_GEN_FRAME_SIZE;
	xsk_ring_prod__submit(&g->fill, VX_GEN_RING);
}

static void vx_gen_rx_step(struct vx_gen *g, const struct vx_gen_opts *o)
{
	uint32_t n, idx_rx = 0, idx_fq = 0, i;

	n = xsk_ring_cons__peek(&g->rx, o->batch, &idx_rx);
	if (!n) {
		if (xsk_ring_prod__needs_wakeup(&g->fill))
			recvfrom(xsk_socket__fd(g->sock), NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return;
	}
	/* Frames lent == fill ring size, so the n just taken always fit back. */
	xsk_ring_prod__reserve(&g->fill, n, &idx_fq);
	for (i = 0; i < n; i++) {
		uint64_t addr = xsk_ring_cons__rx_desc(&g->rx, idx_rx + i)->addr;

		*xsk_ring_prod__fill_addr(&g->fill, idx_fq + i) = xsk_umem__extract_addr(addr);
	}
	xsk_ring_prod__submit(&g->fill, n);
	xsk_ring_cons__release(&g->rx, n);
	g->packets += n;
}

/* ---- main loop ---- */

static void vx_gen_report(const struct vx_gen *g, const struct vx_gen_opts *o, double secs)
{
	struct xdp_statistics st = {};
	socklen_t len = sizeof(st);

	if (secs <= 0)
		secs = 0;
	printf("xskgen %s packets %llu seconds %.3f pps %.0f\n", o->mode == VX_GEN_TX ? "tx" : "rx",
	       (unsigned long long)g->packets, secs, secs > 0 ? g->packets / secs : 0.0);
	if (getsockopt(xsk_socket__fd(g->sock), SOL_XDP, XDP_STATISTICS, &st, &len))
		return;
	fprintf(stderr,
		"vx-xskgen: socket stats rx_dropped %llu rx_ring_full %llu "
		"rx_fill_ring_empty %llu tx_invalid %llu kick_errors %llu\n",
		(unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full,
		(unsigned long long)st.rx_fill_ring_empty_descs,
		(unsigned long long)st.tx_invalid_descs, (unsigned long long)g->kick_errors);
}

static void vx_gen_run(struct vx_gen *g, const struct vx_gen_opts *o)
{
	double start = vx_gen_now() + o->warmup, end = start + o->time, t;
	bool counting = o->warmup <= 0;

	while (!vx_gen_stop && (t = vx_gen_now()) < end) {
		if (!counting && t >= start) {
			g->packets = 0;
			counting = true;
		}
		if (o->mode == VX_GEN_TX)
			vx_gen_tx_step(g, o);
		else
			vx_gen_rx_step(g, o);
	}
	t = vx_gen_now();
	if (!counting)
		g->packets = 0;
	vx_gen_report(g, o, (t < end ? t : end) - start);
}

static int vx_gen_setup(struct vx_gen *g, struct vx_gen_opts *o)
{
	if (!if_nametoindex(o->dev)) {
		fprintf(stderr, "vx-xskgen: %s: no such interface\n", o->dev);
		return -ENODEV;
	}
	if (o->mode == VX_GEN_TX && !o->has_src && vx_gen_dev_mac(o->dev, o->src)) {
		fprintf(stderr, "vx-xskgen: cannot read the MAC of %s\n", o->dev);
		return -EIO;
	}
	if (vx_gen_open(g, o))
		return -EIO;
	if (o->mode == VX_GEN_TX)
		vx_gen_tx_prefill(g, o);
	else
		vx_gen_rx_prefill(g);
	return 0;
}

int main(int argc, char **argv)
{
	struct vx_gen_opts o = {
	    .size = VX_GEN_MIN_SIZE,
	    .batch = VX_GEN_DEF_BATCH,
	    .time = 10,
	};
	struct vx_gen g = {};
	struct sigaction sa = {.sa_handler = vx_gen_on_signal};
	int err;

	if (vx_gen_parse(&o, argc, argv))
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = vx_gen_setup(&g, &o);
	if (!err)
		vx_gen_run(&g, &o);
	vx_gen_close(&g);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vx-pkt: a small packet generator and checker for the tests and the
 * benchmark. It sends Ethernet/IPv4/UDP frames on an AF_PACKET socket, each
 * carrying a sequence number and a payload pattern derived from it, so the
 * receiver can tell an intact frame from a corrupted or duplicated one.
 *
 *   vx-pkt send --dev IF --dst MAC [--src MAC] [--count N] [--size BYTES] [--rate PPS]
 *               [--first SEQ]
 *   vx-pkt recv --dev IF [--src MAC | --dst MAC] [--count N] [--timeout S] [--any]
 *   vx-pkt echo --dev IF [--src MAC | --dst MAC] [--count N] [--timeout S]
 *   vx-pkt ping --dev IF --dst MAC [--count N] [--rate PROBES/S] [--size BYTES] [--timeout S]
 *   vx-pkt pcap --out FILE --dst MAC --src MAC [--count N] [--size BYTES]
 *
 * recv prints "received N ok M bad K" and fails if K > 0 or M < --count.
 * --any also counts frames of other generators (e.g. testpmd txonly) as ok,
 * without checking them; the MAC filter still applies.
 * echo sends every matching frame back with its MAC addresses swapped.
 * ping sends one frame at a time to an echoing peer (a guest in macswap
 * mode), waits up to --timeout for that frame to come back intact, and
 * prints "ping sent N replies M lost K p50_us A p99_us B max_us C": round
 * trips measured with CLOCK_MONOTONIC around the socket calls.
 * pcap writes --count frames (default 1) of the same format to a classic
 * libpcap file (Ethernet link type), for DPDK's net_pcap to replay (the
 * benchmark's wire source, tests/bench/bench.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vx_frame.h"

#define VX_PKT_MIN   60		/* Ethernet minimum without FCS */
#define VX_PKT_MAX   9018
/* Bursts from a fast sender must not overflow the socket before we read. */
#define VX_PKT_RCVBUF (8 << 20)
/* Duplicate detection window, in sequence numbers. */
#define VX_PKT_SEQ_BITS (1u << 20)


#define VX_PKT_HDRS (sizeof(struct ether_header) + sizeof(struct iphdr) + sizeof(struct udphdr))

struct vx_pkt_opts {
	const char *dev;
	const char *out;	/* pcap: the file to write */
	uint8_t src[ETH_ALEN], dst[ETH_ALEN];
	bool has_src, has_dst, any;
	unsigned int vlan; /* 802.1Q id to send with / expect; 0 = untagged */
	unsigned long count;
	unsigned long first;	/* send: sequence number of the first frame (default 0) */
	unsigned int size;
	unsigned long rate;
	double timeout;
	int ifindex;
};

struct vx_pkt_counts {
	unsigned long received, ok, bad;
	uint8_t *seen;
};

static void vx_pkt_build(uint8_t *buf, const struct vx_pkt_opts *o, uint32_t seq)
{
	struct ether_header *eth = (void *)buf;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct vx_frame_hdr *h = (void *)(udp + 1);
	size_t ip_len = o->size - sizeof(*eth);
	size_t udp_len = ip_len - sizeof(*ip);
	size_t i;

	memcpy(eth->ether_dhost, o->dst, ETH_ALEN);
	memcpy(eth->ether_shost, o->src, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(ip_len);
	ip->id = htons(seq);
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = htonl(0x0a4d0064); /* 10.77.0.100, the peer namespace */
	ip->daddr = htonl(0x0a4d0002); /* 10.77.0.2, the first guest */
	ip->check = htons(vx_frame_csum(ip, sizeof(*ip), 0));

	udp->source = htons(VX_FRAME_PORT);
	udp->dest = htons(VX_FRAME_PORT);
	udp->len = htons(udp_len);
	udp->check = 0;

	h->magic = htonl(VX_FRAME_MAGIC);
	h->seq = htonl(seq);
	h->len = htonl(o->size);
	for (i = VX_PKT_HDRS + sizeof(*h); i < o->size; i++)
		buf[i] = vx_frame_pattern(seq, i);

	udp->check = htons(vx_frame_udp_csum(ip, udp, udp_len));
	if (!udp->check)
		udp->check = 0xffff;
}

/* Returns 1 for an intact frame of ours, 0 for someone else's, -1 if corrupt. */
static int vx_pkt_verify(const uint8_t *buf, size_t len, uint32_t *seq)
{
	const struct ether_header *eth = (const void *)buf;
	const struct iphdr *ip = (const void *)(eth + 1);
	const struct udphdr *udp = (const void *)(ip + 1);
	const struct vx_frame_hdr *h = (const void *)(udp + 1);
	size_t flen, i;

	if (len < VX_PKT_HDRS + sizeof(*h) || eth->ether_type != htons(ETHERTYPE_IP) ||
	    ip->protocol != IPPROTO_UDP || udp->dest != htons(VX_FRAME_PORT) ||
	    h->magic != htonl(VX_FRAME_MAGIC))
		return 0;
	*seq = ntohl(h->seq);
	flen = ntohl(h->len);
	if (flen > len || ip->ihl != 5 || ntohs(ip->tot_len) != flen - sizeof(*eth) ||
	    vx_frame_csum(ip, sizeof(*ip), 0) != 0)
		return -1;
	/* A valid checksum field sums the segment to zero (0xffff if sent as 0xffff). */
	if (udp->check && vx_frame_udp_csum(ip, udp, ntohs(udp->len)) != 0)
		return -1;
	for (i = VX_PKT_HDRS + sizeof(*h); i < flen; i++)
		if (buf[i] != vx_frame_pattern(*seq, i))
			return -1;
	return 1;
}

static bool vx_pkt_match(const uint8_t *buf, const struct vx_pkt_opts *o)
{
	const struct ether_header *eth = (const void *)buf;

	if (o->has_dst && memcmp(eth->ether_dhost, o->dst, ETH_ALEN))
		return false;
	if (o->has_src && memcmp(eth->ether_shost, o->src, ETH_ALEN))
		return false;
	return true;
}

static int vx_pkt_open(struct vx_pkt_opts *o)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int fd, buf = VX_PKT_RCVBUF;

	o->ifindex = if_nametoindex(o->dev);
	if (!o->ifindex) {
		fprintf(stderr, "vx-pkt: %s: %s\n", o->dev, strerror(errno));
		return -errno;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "vx-pkt: socket: %s\n", strerror(errno));
		return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &(int){1}, sizeof(int));
	sll.sll_ifindex = o->ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "vx-pkt: bind %s: %s\n", o->dev, strerror(errno));
		close(fd);
		return -errno;
	}
	return fd;
}

static int vx_pkt_dev_mac(int fd, const char *dev, uint8_t *mac)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

/* A sending socket; the source MAC defaults to the device's own. */
static int vx_pkt_open_sender(struct vx_pkt_opts *o)
{
	int fd = vx_pkt_open(o);

	if (fd < 0 || o->has_src || !vx_pkt_dev_mac(fd, o->dev, o->src))
		return fd;
	fprintf(stderr, "vx-pkt: cannot read the MAC of %s\n", o->dev);
	close(fd);
	return -EIO;
}

static double vx_pkt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int vx_pkt_xmit(int fd, const uint8_t *buf, size_t len)
{
	/* veth can push back with ENOBUFS under a burst; wait and retry. */
	while (send(fd, buf, len, 0) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "vx-pkt: send: %s\n", strerror(errno));
			return -errno;
		}
		usleep(100);
	}
	return 0;
}

/* Inserts an 802.1Q tag after the MACs (this kernel has no VLAN devices); returns the new length. */
static size_t vx_pkt_tag(uint8_t *buf, size_t len, unsigned int vlan)
{
	if (!vlan)
		return len;
	memmove(buf + 2 * ETH_ALEN + 4, buf + 2 * ETH_ALEN, len - 2 * ETH_ALEN);
	buf[12] = 0x81;
	buf[13] = 0x00;
	buf[14] = (vlan >> 8) & 0x0f;
	buf[15] = vlan & 0xff;
	return len + 4;
}

/*
 * The VLAN a received frame carried: the stack usually moves the tag into
 * PACKET_AUXDATA; a tag still in the data is removed here. Returns the id
 * (0 = untagged) and updates *n.
 */
static unsigned int vx_pkt_untag(uint8_t *buf, ssize_t *n, struct msghdr *mh)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		struct tpacket_auxdata *aux = (void *)CMSG_DATA(c);

		if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
		    (aux->tp_status & TP_STATUS_VLAN_VALID))
			return aux->tp_vlan_tci & 0xfff;
	}
	if (*n >= 18 && buf[12] == 0x81 && buf[13] == 0x00) {
		unsigned int vid = ((buf[14] << 8) | buf[15]) & 0xfff;

		memmove(buf + 12, buf + 16, *n - 16);
		*n -= 4;
		return vid;
	}
	return 0;
}

static int vx_pkt_send(struct vx_pkt_opts *o)
{
	static uint8_t buf[VX_PKT_MAX];
	double start, due;
	unsigned long i;
	int fd, err = 0;

	fd = vx_pkt_open_sender(o);
	if (fd < 0)
		return 1;
	start = vx_pkt_now();
	for (i = 0; i < o->count; i++) {
		vx_pkt_build(buf, o, (uint32_t)(o->first + i));
		err = vx_pkt_xmit(fd, buf, vx_pkt_tag(buf, o->size, o->vlan));
		if (err)
			break;
		if (o->rate) {
			due = start + (double)(i + 1) / o->rate;
			while (vx_pkt_now() < due)
				usleep(50);
		}
	}
	printf("sent %lu\n", i);
	close(fd);
	return err || i < o->count;
}

/* A classic libpcap file: global header, then a record header per frame. */
struct vx_pcap_hdr {
	uint32_t magic, ver, zone, sigfigs, snaplen, linktype;
} __attribute__((packed));
struct vx_pcap_rec {
	uint32_t sec, usec, caplen, len;
} __attribute__((packed));

static int vx_pkt_pcap(struct vx_pkt_opts *o)
{
	static uint8_t buf[VX_PKT_MAX];
	const struct vx_pcap_hdr gh = {.magic = 0xa1b2c3d4, .ver = 2 | 4u << 16,
				       .snaplen = VX_PKT_MAX, .linktype = 1 /* Ethernet */};
	struct vx_pcap_rec rh = {0};
	unsigned long i;
	size_t len;
	FILE *f;

	f = fopen(o->out, "wb");
	if (!f) {
		fprintf(stderr, "vx-pkt: %s: %s\n", o->out, strerror(errno));
		return 1;
	}
	fwrite(&gh, sizeof(gh), 1, f);
	for (i = 0; i < o->count; i++) {
		vx_pkt_build(buf, o, (uint32_t)(o->first + i));
		len = vx_pkt_tag(buf, o->size, o->vlan);
		rh.usec = i;
		rh.caplen = rh.len = len;
		fwrite(&rh, sizeof(rh), 1, f);
		fwrite(buf, len, 1, f);
	}
	if (fclose(f)) {
		fprintf(stderr, "vx-pkt: %s: %s\n", o->out, strerror(errno));
		return 1;
	}
	printf("wrote %lu\n", i);
	return 0;
}

static void vx_pkt_account(struct vx_pkt_counts *c, int verdict, uint32_t seq)
{
	uint32_t bit = seq % VX_PKT_SEQ_BITS;

	c->received++;
	if (verdict < 0) {
		c->bad++;
		return;
	}
	if (c->seen[bit / 8] & (1u << (bit % 8))) {
		fprintf(stderr, "vx-pkt: duplicate seq %u\n", seq);
		c->bad++;
		return;
	}
	c->seen[bit / 8] |= 1u << (bit % 8);
	c->ok++;
}

/* recv and echo: read frames until --count intact ones or --timeout. */
static int vx_pkt_recv(struct vx_pkt_opts *o, bool echo)
{
	static uint8_t buf[VX_PKT_MAX];
	struct vx_pkt_counts c = {};
	struct sockaddr_ll from;
	char ctl[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	double end;
	uint32_t seq;
	ssize_t n;
	int fd, v;

	fd = vx_pkt_open(o);
	if (fd < 0)
		return 1;
	c.seen = calloc(VX_PKT_SEQ_BITS / 8, 1);
	if (!c.seen) {
		close(fd);
		return 1;
	}
	end = vx_pkt_now() + o->timeout;
	while ((!o->count || c.ok < o->count) && vx_pkt_now() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};

		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		/* Our own transmissions show up on an ETH_P_ALL socket too. */
		if (n < (ssize_t)sizeof(struct ether_header) ||
		    from.sll_pkttype == PACKET_OUTGOING || !vx_pkt_match(buf, o))
			continue;
		if (vx_pkt_untag(buf, &n, &mh) != o->vlan)
			continue;
		v = vx_pkt_verify(buf, n, &seq);
		if (!v && o->any) {
			c.received++;
			c.ok++;
			continue;
		}
		if (!v)
			continue;
		vx_pkt_account(&c, v, seq);
		if (echo && v > 0) {
			uint8_t mac[ETH_ALEN];

			memcpy(mac, buf, ETH_ALEN);
			memcpy(buf, buf + ETH_ALEN, ETH_ALEN);
			memcpy(buf + ETH_ALEN, mac, ETH_ALEN);
			vx_pkt_xmit(fd, buf, vx_pkt_tag(buf, n, o->vlan));
		}
	}
	printf("received %lu ok %lu bad %lu\n", c.received, c.ok, c.bad);
	free(c.seen);
	close(fd);
	return c.bad || c.ok < o->count;
}

static int vx_pkt_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Waits for frame seq to come back from o->dst; returns 1, or 0 on timeout. */
static int vx_pkt_await(int fd, const struct vx_pkt_opts *o, uint32_t seq, double end)
{
	static uint8_t buf[VX_PKT_MAX];
	struct sockaddr_ll from;
	uint32_t got;
	ssize_t n;

	for (;;) {
		double left = end - vx_pkt_now();
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		socklen_t fl = sizeof(from);

		if (left <= 0)
			return 0;
		if (poll(&pfd, 1, (int)ceil(left * 1000)) <= 0)
			continue;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < (ssize_t)sizeof(struct ether_header) || from.sll_pkttype == PACKET_OUTGOING ||
		    memcmp(buf + ETH_ALEN, o->dst, ETH_ALEN))
			continue;
		if (vx_pkt_verify(buf, n, &got) == 1 && got == seq)
			return 1;
	}
}

static int vx_pkt_ping(struct vx_pkt_opts *o)
{
	static uint8_t buf[VX_PKT_MAX];
	unsigned long i, replies = 0;
	double *rtt, start, t0;
	int fd, err = 0;

	fd = vx_pkt_open_sender(o);
	if (fd < 0)
		return 1;
	rtt = calloc(o->count, sizeof(*rtt));
	if (!rtt) {
		close(fd);
		return 1;
	}
	start = vx_pkt_now();
	for (i = 0; i < o->count; i++) {
		vx_pkt_build(buf, o, (uint32_t)i);
		t0 = vx_pkt_now();
		err = vx_pkt_xmit(fd, buf, o->size);
		if (err)
			break;
		if (vx_pkt_await(fd, o, (uint32_t)i, t0 + o->timeout))
			rtt[replies++] = (vx_pkt_now() - t0) * 1e6;
		if (o->rate) {
			double due = start + (double)(i + 1) / o->rate;

			while (vx_pkt_now() < due)
				usleep(20);
		}
	}
	qsort(rtt, replies, sizeof(*rtt), vx_pkt_cmp_double);
	printf("ping sent %lu replies %lu lost %lu p50_us %.1f p99_us %.1f max_us %.1f\n", i,
	       replies, i - replies, replies ? rtt[replies / 2] : 0.0,
	       replies ? rtt[(replies * 99) / 100 < replies ? (replies * 99) / 100 : replies - 1]
		       : 0.0,
	       replies ? rtt[replies - 1] : 0.0);
	free(rtt);
	close(fd);
	return err || !replies;
}

static int vx_pkt_parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = b[i];
	}
	return 0;
}

static void vx_pkt_usage(void)
{
	fprintf(
	    stderr,
	    "usage: vx-pkt send --dev IF --dst MAC [--src MAC] [--count N] [--size BYTES] [--rate "
	    "PPS] [--vlan ID]\n"
	    "                  [--first SEQ]   (sequence number of the first frame; two senders\n"
	    "                  to one receiver use disjoint ranges)\n"
	    "       vx-pkt recv --dev IF [--src MAC|--dst MAC] [--count N] [--timeout S] [--any]\n"
	    "                  [--vlan ID]   (frames of that 802.1Q VLAN only; default untagged)\n"
	    "       vx-pkt echo --dev IF [--src MAC|--dst MAC] [--count N] [--timeout S]\n"
	    "       vx-pkt ping --dev IF --dst MAC [--count N] [--rate PROBES/S] [--size BYTES]\n"
	    "                  [--timeout S]   (per probe)\n"
	    "       vx-pkt pcap --out FILE --dst MAC --src MAC [--count N] [--size BYTES] [--vlan ID]\n"
	    "                  (writes the frames to a pcap file instead of sending them)\n");
}

static int vx_pkt_parse(int argc, char **argv, struct vx_pkt_opts *o)
{
	static const struct option opts[] = {{"dev", required_argument, NULL, 'd'},
					     {"src", required_argument, NULL, 's'},
					     {"dst", required_argument, NULL, 'D'},
					     {"count", required_argument, NULL, 'c'},
					     {"size", required_argument, NULL, 'S'},
					     {"rate", required_argument, NULL, 'r'},
					     {"timeout", required_argument, NULL, 't'},
					     {"any", no_argument, NULL, 'a'},
					     {"vlan", required_argument, NULL, 'v'},
					     {"first", required_argument, NULL, 'f'},
					     {"out", required_argument, NULL, 'o'},
					     {}};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dev = optarg;
			break;
		case 's':
			if (vx_pkt_parse_mac(optarg, o->src))
				return -EINVAL;
			o->has_src = true;
			break;
		case 'D':
			if (vx_pkt_parse_mac(optarg, o->dst))
				return -EINVAL;
			o->has_dst = true;
			break;
		case 'c':
			o->count = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			o->size = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->rate = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->timeout = strtod(optarg, NULL);
			break;
		case 'a':
			o->any = true;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'f':
			o->first = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			o->vlan = strtoul(optarg, NULL, 0);
			if (!o->vlan || o->vlan > 4094)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	if ((!o->dev && !o->out) || o->size < VX_PKT_MIN || o->size > VX_PKT_MAX || o->timeout <= 0)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct vx_pkt_opts o = {.count = 0, .size = 128, .timeout = 5};
	const char *mode = argc > 1 ? argv[1] : "";

	if (vx_pkt_parse(argc - 1, argv + 1, &o)) {
		vx_pkt_usage();
		return 2;
	}
	if (!strcmp(mode, "send")) {
		if (!o.has_dst) {
			vx_pkt_usage();
			return 2;
		}
		if (!o.count)
			o.count = 1;
		return vx_pkt_send(&o);
	}
	if (!strcmp(mode, "pcap")) {
		if (!o.out || !o.has_dst || !o.has_src) {
			vx_pkt_usage();
			return 2;
		}
		if (!o.count)
			o.count = 1;
		return vx_pkt_pcap(&o);
	}
	if (o.out || !o.dev) {
		vx_pkt_usage();
		return 2;
	}
	if (!strcmp(mode, "ping")) {
		if (!o.has_dst) {
			vx_pkt_usage();
			return 2;
		}
		if (!o.count)
			o.count = 1;
		return vx_pkt_ping(&o);
	}
	if (!strcmp(mode, "recv") || !strcmp(mode, "echo"))
		return vx_pkt_recv(&o, mode[0] == 'e');
	vx_pkt_usage();
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * AF_XDP port and broadcast tap over a veth pair vA <-> vB, both ends in a
 * private network namespace (and a private mount namespace with its own
 * bpffs, for libxdp), so nothing outlives the test process.
 *
 * veth cannot do zero-copy: the copy-mode fallback is what runs here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "bcast.h"
#include "log.h"
#include "steer.h"
#include "tap.h"
#include "xsk_port.h"

#define VA		"vxsA"
#define VB		"vxsB"
#define TEST_ETHERTYPE	0x88b5	/* IEEE local experimental */
#define TEST_MAGIC	0x76785850u
#define NFRAMES		4096
#define RX_SHARE	2048	/* frames on the fill ring when idle: its size */
#define MAX_FRAME	1514
#define MIN_FRAME	60

static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_mcast[ETH_ALEN] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_src[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0xbb };

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		tap_diag("command failed (%d): %s", rc, cmd);
	return rc;
}

static int count_fds(void)
{
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static int setup_netns(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		tap_diag("unshare: %s", strerror(errno));
		return -1;
	}
	/* A bpffs of our own: libxdp's lock and pins vanish with the test. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		tap_diag("mount: %s", strerror(errno));
		return -1;
	}
	if (run("ip link set lo up") || run("ip link add " VA " type veth peer name " VB))
		return -1;
	/*
	 * No IPv6 on the test link, so that no ND/MLD chatter lands in the
	 * sockets. TX checksum offload off on both ends (see machine.md).
	 * txvlan off on vB: the tagged test frame leaves vB exactly as
	 * written (tag in the bytes); on reception the stack moves the tag
	 * into metadata before any packet tap runs, which is the path
	 * vx_bcast_recv sees via PACKET_AUXDATA. Not every kernel lets
	 * veth change it, so its result is ignored.
	 */
	if (run("sysctl -qw net.ipv6.conf." VA ".disable_ipv6=1 net.ipv6.conf." VB
		".disable_ipv6=1") ||
	    run("ethtool -K " VA " tx off >/dev/null") || run("ethtool -K " VB " tx off >/dev/null"))
		return -1;
	if (system("ethtool -K " VB " txvlan off >/dev/null 2>&1"))
		tap_diag("ethtool -K " VB " txvlan off not supported");
	return run("ip link set " VA " up") || run("ip link set " VB " up");
}

static int pkt_open(const char *ifname)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = if_nametoindex(ifname),
	};
	int fd, sz = 8 << 20;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void get_mac(const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (fd >= 0 && !ioctl(fd, SIOCGIFHWADDR, &ifr))
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (fd >= 0)
		close(fd);
}

/* Test frame: dst, src, [802.1Q tag], TEST_ETHERTYPE, magic, seq, pattern. */
static uint32_t build_frame(uint8_t *p, uint32_t len, const uint8_t *dst, uint16_t vlan,
			    uint32_t seq)
{
	uint32_t off = 12, i, v;
	uint16_t t;

	memcpy(p, dst, ETH_ALEN);
	memcpy(p + ETH_ALEN, mac_src, ETH_ALEN);
	if (vlan) {
		t = htons(ETH_P_8021Q);
		memcpy(p + off, &t, 2);
		t = htons(vlan);
		memcpy(p + off + 2, &t, 2);
		off += 4;
		len += 4;
	}
	t = htons(TEST_ETHERTYPE);
	memcpy(p + off, &t, 2);
	v = htonl(TEST_MAGIC);
	memcpy(p + off + 2, &v, 4);
	v = htonl(seq);
	memcpy(p + off + 6, &v, 4);
	for (i = off + 10; i < len; i++)
		p[i] = (uint8_t)(seq * 7 + i - off);
	return len;
}

/* Sequence number of a test frame (untagged), or -1 for anything else. */
static long frame_seq(const uint8_t *p, uint32_t len)
{
	uint32_t v;
	uint16_t t;

	if (len < 24)
		return -1;
	memcpy(&t, p + 12, 2);
	memcpy(&v, p + 14, 4);
	if (ntohs(t) != TEST_ETHERTYPE || ntohl(v) != TEST_MAGIC)
		return -1;
	memcpy(&v, p + 18, 4);
	return ntohl(v);
}

static uint32_t frame_len_of(uint32_t i)
{
	return MIN_FRAME + (i * 377) % (MAX_FRAME - MIN_FRAME + 1);
}

static bool frame_matches(const uint8_t *got, uint32_t got_len, const uint8_t *dst, uint32_t seq,
			  uint32_t want_len)
{
	uint8_t want[MAX_FRAME + 4];

	build_frame(want, want_len, dst, 0, seq);
	return got_len == want_len && !memcmp(got, want, want_len);
}

/* Frames held by the test are 0 here: pool + lent must be all of them. */
static void check_pool(struct vx_xsk *x, uint32_t held, const char *when)
{
	uint32_t lent, in_rings;

	vx_xsk_debug_frames(x, &lent, &in_rings);
	tap_ok(vx_xsk_pool_free(x) + lent + held == NFRAMES && lent == in_rings,
	       "%s: pool %u + lent %u + held %u == %u, rings hold %u", when, vx_xsk_pool_free(x),
	       lent, held, NFRAMES, in_rings);
}

static void test_open_modes(void)
{
	struct vx_xsk_opts o = { .zc = VX_XSK_ZC_AUTO };
	struct vx_xsk *x = NULL;
	int fds, maps, err;

	/* Warm up once so lazily created library state is not counted as a leak. */
	err = vx_xsk_open(&x, VA, 0, &o);
	tap_ok(!err && x, "open zc=auto on veth (err %d)", err);
	if (x) {
		tap_ok(!vx_xsk_zerocopy(x), "veth falls back to copy mode");
		tap_ok(vx_xsk_fd(x) >= 0, "socket fd %d", vx_xsk_fd(x));
		tap_is(vx_xsk_frame_size(x), 2048 - 256, "usable frame size");
		check_pool(x, 0, "after open");
	}
	vx_xsk_close(x);

	fds = count_fds();
	maps = count_maps();
	x = NULL;
	err = vx_xsk_open(&x, VA, 0, &o);
	vx_xsk_close(x);
	tap_ok(!err && count_fds() == fds && count_maps() == maps,
	       "zc=auto open+close leaks nothing (fds %d->%d, maps %d->%d)", fds, count_fds(), maps,
	       count_maps());

	o.zc = VX_XSK_ZC_ON;
	x = (struct vx_xsk *)1;
	err = vx_xsk_open(&x, VA, 0, &o);
	tap_ok(err < 0 && !x, "zc=on fails on veth: %s", strerror(-err));
	tap_ok(count_fds() == fds && count_maps() == maps,
	       "failed zc=on leaks nothing (fds %d->%d, maps %d->%d)", fds, count_fds(), maps,
	       count_maps());

	o.zc = VX_XSK_ZC_OFF;
	x = NULL;
	err = vx_xsk_open(&x, VA, 0, &o);
	tap_ok(!err && x && !vx_xsk_zerocopy(x), "zc=off opens in copy mode");
	vx_xsk_close(x);
}

/* Drains vB's receive socket, checking each test frame against the expected sequence. */
static void tx_drain(int fd, uint32_t *next, uint32_t *bad)
{
	uint8_t buf[2048];
	struct sockaddr_ll sll;
	socklen_t sl;
	ssize_t n;
	long seq;

	for (;;) {
		sl = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll, &sl);
		if (n < 0)
			return;
		seq = frame_seq(buf, n);
		if (seq < 0 || sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (seq != *next || !frame_matches(buf, n, mac_bcast, seq, frame_len_of(seq))) {
			if (!(*bad)++)
				tap_diag("frame %ld (len %zd) differs, expected %u", seq, n, *next);
		}
		*next = seq + 1;
	}
}

static void test_tx(void)
{
	const uint32_t total = 1000;
	struct vx_xsk_opts o = { .zc = VX_XSK_ZC_AUTO };
	uint32_t i, next = 0, bad = 0, sent = 0, lent, rings;
	struct vx_xsk *x = NULL;
	uint64_t addr, t0;
	int fd;

	fd = pkt_open(VB);
	if (fd < 0 || vx_xsk_open(&x, VA, 0, &o)) {
		tap_ok(false, "tx: setup");
		goto out;
	}
	for (i = 0; i < total; i++) {
		if (!vx_xsk_frame_alloc(x, &addr))
			break;
		build_frame(vx_xsk_data(x, addr), frame_len_of(i), mac_bcast, 0, i);
		if (!vx_xsk_tx(x, addr, frame_len_of(i))) {
			vx_xsk_frame_free(x, addr);
			break;
		}
		sent++;
		if (i % 64 == 63 || i == total - 1) {
			vx_xsk_tx_flush(x);
			tx_drain(fd, &next, &bad);
		}
	}
	tap_is(sent, total, "tx: every frame was queued");
	for (t0 = now_ms(); now_ms() - t0 < 2000;) {
		vx_xsk_tx_flush(x);
		tx_drain(fd, &next, &bad);
		vx_xsk_debug_frames(x, &lent, &rings);
		/* Done when only the fill ring's share is still lent. */
		if (next == total && lent == RX_SHARE && rings == lent)
			break;
		usleep(1000);
	}
	tap_is(next, total, "tx: peer received all frames in order");
	tap_is(bad, 0, "tx: frame bytes and lengths match (60..1514 bytes)");
	vx_xsk_complete(x);
	vx_xsk_debug_frames(x, &lent, &rings);
	tap_ok(vx_xsk_pool_free(x) == NFRAMES - RX_SHARE && lent == RX_SHARE && lent == rings,
	       "tx: completions returned every frame (pool %u, lent %u, in rings %u)",
	       vx_xsk_pool_free(x), lent, rings);
	check_pool(x, 0, "tx");
out:
	vx_xsk_close(x);
	if (fd >= 0)
		close(fd);
}

static void rx_take(struct vx_xsk *x, uint32_t *got, uint32_t *bad, uint32_t *other)
{
	struct vx_xsk_desc d[64];
	unsigned n, i;
	long seq;
	uint8_t *p;

	while ((n = vx_xsk_rx(x, d, 64))) {
		for (i = 0; i < n; i++) {
			p = vx_xsk_data(x, d[i].addr);
			seq = frame_seq(p, d[i].len);
			if (seq < 0) {
				(*other)++;
			} else if (seq != *got || !frame_matches(p, d[i].len, mac_bcast, seq,
								 frame_len_of(seq))) {
				if (!(*bad)++)
					tap_diag("rx frame %ld len %u differs (expected %u)", seq,
						 d[i].len, *got);
				*got = seq + 1;
			} else {
				(*got)++;
			}
			vx_xsk_frame_free(x, d[i].addr);
		}
	}
}

static void test_rx(void)
{
	const uint32_t total = 5000, batch = 250;
	struct vx_xsk_opts o = { .zc = VX_XSK_ZC_AUTO, .load_default_prog = true };
	uint32_t i, got = 0, bad = 0, other = 0, sent = 0;
	struct vx_xsk *x = NULL;
	uint8_t buf[MAX_FRAME];
	uint64_t t0;
	int fd, err;

	fd = pkt_open(VB);
	err = vx_xsk_open(&x, VA, 0, &o);
	if (fd < 0 || err) {
		tap_ok(false, "rx: setup (%d)", err);
		goto out;
	}
	for (i = 0; i < total; i++) {
		if (send(fd, buf, build_frame(buf, frame_len_of(i), mac_bcast, 0, i), 0) < 0)
			break;
		sent++;
		if (i % batch != batch - 1)
			continue;
		/* Take this batch before the next, so veth's backlog never drops. */
		for (t0 = now_ms(); got < sent && now_ms() - t0 < 1000;)
			rx_take(x, &got, &bad, &other);
	}
	for (t0 = now_ms(); got < sent && now_ms() - t0 < 1000;)
		rx_take(x, &got, &bad, &other);
	tap_is(sent, total, "rx: peer sent every frame");
	tap_is(got, total, "rx: received every frame, in order (more than the fill ring holds)");
	tap_is(bad, 0, "rx: frame bytes and lengths match");
	if (other)
		tap_diag("rx: %u unrelated frames", other);
	check_pool(x, 0, "rx");
out:
	vx_xsk_close(x);
	if (fd >= 0)
		close(fd);
	/* libxdp may leave its default program attached; the next test wants none. */
	run("ip link set dev " VA " xdp off");
}

static void test_bcast(void)
{
	enum { F_BCAST = 1, F_MCAST, F_UCAST, F_VLAN, F_OWN, F_MAX };
	uint8_t mac_a[ETH_ALEN] = {}, buf[2048];
	uint32_t seen[F_MAX] = {}, len;
	struct vx_bcast *b = NULL;
	uint16_t vlan;
	int fa, fb, err, n, bad = 0;
	long seq;
	struct pollfd pfd;

	get_mac(VA, mac_a);
	fa = pkt_open(VA);
	fb = pkt_open(VB);
	err = vx_bcast_open(&b, if_nametoindex(VA));
	if (fa < 0 || fb < 0 || err) {
		tap_ok(false, "bcast: setup (%d)", err);
		goto out;
	}
	send(fb, buf, build_frame(buf, 100, mac_bcast, 0, F_BCAST), 0);
	send(fb, buf, build_frame(buf, 101, mac_mcast, 0, F_MCAST), 0);
	send(fb, buf, build_frame(buf, 102, mac_a, 0, F_UCAST), 0);
	send(fb, buf, build_frame(buf, 103, mac_bcast, 10, F_VLAN), 0);
	send(fa, buf, build_frame(buf, 104, mac_bcast, 0, F_OWN), 0);

	pfd = (struct pollfd){ .fd = vx_bcast_fd(b), .events = POLLIN };
	while (poll(&pfd, 1, 300) > 0) {
		n = vx_bcast_recv(b, buf, sizeof(buf), &vlan);
		if (n < 0) {
			tap_diag("vx_bcast_recv: %s", strerror(-n));
			bad++;
			break;
		}
		seq = n ? frame_seq(buf, n) : -1;
		if (seq <= 0 || seq >= F_MAX) {
			if (n)
				tap_diag("bcast: unrelated frame of %d bytes", n);
			continue;
		}
		seen[seq]++;
		len = 100 + seq - 1;
		if (!frame_matches(buf, n, seq == F_MCAST ? mac_mcast : mac_bcast, seq, len) ||
		    vlan != (seq == F_VLAN ? 10 : 0)) {
			tap_diag("bcast: frame %ld: len %d vlan %u not as sent", seq, n, vlan);
			bad++;
		}
	}
	tap_is(seen[F_BCAST], 1, "bcast: broadcast frame received");
	tap_is(seen[F_MCAST], 1, "bcast: multicast frame received");
	tap_is(seen[F_VLAN], 1, "bcast: VLAN-tagged broadcast received");
	tap_is(seen[F_UCAST], 0, "bcast: unicast frame filtered out");
	tap_is(seen[F_OWN], 0, "bcast: frame sent from the NIC itself not returned");
	tap_is(bad, 0, "bcast: bytes as sent, tag removed, vlan reported");
	tap_is(vx_bcast_recv(b, buf, sizeof(buf), &vlan), 0, "bcast: empty queue returns 0");
out:
	vx_bcast_close(b);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
}

static void test_bad_input(void)
{
	struct vx_xsk *x = (struct vx_xsk *)1;
	struct vx_bcast *b = (struct vx_bcast *)1;
	int fds = count_fds(), maps = count_maps(), err;

	err = vx_xsk_open(&x, "vxnosuch0", 0, NULL);
	tap_ok(err < 0 && !x, "open on a missing interface: %s", strerror(-err));
	x = (struct vx_xsk *)1;
	err = vx_xsk_open(&x, VA, 99, NULL);
	tap_ok(err < 0 && !x, "open on queue 99: %s", strerror(-err));
	err = vx_bcast_open(&b, 99999);
	tap_ok(err < 0 && !b, "bcast open on a missing ifindex: %s", strerror(-err));
	tap_ok(count_fds() == fds && count_maps() == maps,
	       "failed opens leak nothing (fds %d->%d, maps %d->%d)", fds, count_fds(), maps,
	       count_maps());
}

/* Pieces of one packet from vx_xsk_rx (max per call), concatenated into out. */
static unsigned int mb_take(struct vx_xsk *x, unsigned int max, uint8_t *out, uint32_t *len,
			    bool *contd_ok)
{
	struct vx_xsk_desc d[16];
	unsigned int n = 0, i;
	uint64_t t0;

	for (t0 = now_ms(); !n && now_ms() - t0 < 1000;)
		n = vx_xsk_rx(x, d, max);
	*len = 0;
	*contd_ok = n > 0;
	for (i = 0; i < n; i++) {
		if (out)
			memcpy(out + *len, vx_xsk_data(x, d[i].addr), d[i].len);
		*len += d[i].len;
		if (d[i].contd != (i + 1 < n))
			*contd_ok = false;
		vx_xsk_frame_free(x, d[i].addr);
	}
	return n;
}

/*
 * Multi-buffer (XDP_USE_SG) at MTU 9000, with the steering program (xdp.frags):
 * a 9000-byte frame comes as 6 descriptors of at most 1792 bytes; a frame cut
 * by a batch waits in the RX ring for its rest; one longer than a batch is
 * dropped whole; one packet sent as 3 descriptors arrives as one frame.
 */
static void test_multibuf(void)
{
	static uint8_t buf[9100], got[9100];
	struct vx_xsk_opts o = { .zc = VX_XSK_ZC_AUTO, .sg = true };
	uint8_t mac_a[ETH_ALEN];
	struct vx_steer *st = NULL;
	struct vx_xsk *x = NULL;
	uint64_t addrs[3];
	uint32_t lens[3], len, flen, i, n;
	bool ok;
	int fd = -1, err;

	run("ip link set " VA " mtu 9000");
	run("ip link set " VB " mtu 9000");
	get_mac(VA, mac_a);
	err = vx_steer_attach(&st, (int)if_nametoindex(VA), false);
	if (!tap_ok(!err, "multibuf: steering program (xdp.frags) attached at MTU 9000"))
		goto out;
	err = vx_xsk_open(&x, VA, 0, &o);
	if (!tap_ok(!err && vx_xsk_sg(x), "multibuf: socket bound with XDP_USE_SG (%d)", err))
		goto out;
	fd = pkt_open(VB);
	if (!tap_ok(fd >= 0 && !vx_steer_set_xsk(st, 0, vx_xsk_fd(x)) &&
			    !vx_steer_port_add(st, 0, mac_a, 0),
		    "multibuf: socket in the XSKMAP, port added"))
		goto out;

	flen = build_frame(buf, 9000, mac_a, 0, 1);
	send(fd, buf, flen, 0);
	send(fd, buf, flen, 0);
	usleep(100 * 1000);
	/* Batch of 8: the first frame (6) whole, the second's first 2 left in the ring. */
	n = mb_take(x, 8, got, &len, &ok);
	tap_ok(n == 6 && ok && len == flen && !memcmp(got, buf, flen),
	       "multibuf: 9000-byte frame as 6 pieces, contd on all but the last (n %u len %u)", n,
	       len);
	n = mb_take(x, 8, got, &len, &ok);
	tap_ok(n == 6 && ok && len == flen && !memcmp(got, buf, flen),
	       "multibuf: the frame cut by the batch comes whole on the next call (n %u len %u)", n,
	       len);
	check_pool(x, 0, "multibuf rx");

	/* More pieces than a call takes: dropped whole, the next frame unharmed. */
	send(fd, buf, flen, 0);
	usleep(100 * 1000);
	n = vx_xsk_rx(x, (struct vx_xsk_desc[4]){ 0 }, 4);
	tap_ok(n == 0 && vx_xsk_rx_drops(x) == 1, "multibuf: 6 pieces for a batch of 4: dropped");
	flen = build_frame(buf, 60, mac_a, 0, 2);
	send(fd, buf, flen, 0);
	n = mb_take(x, 4, got, &len, &ok);
	tap_ok(n == 1 && len == flen && !memcmp(got, buf, flen),
	       "multibuf: the rest of the dropped frame skipped, the next frame intact");
	check_pool(x, 0, "multibuf drop");

	/* TX: one frame of 3 descriptors. */
	flen = build_frame(buf, 5000, mac_src, 0, 3);
	for (i = 0; i < 3; i++) {
		vx_xsk_frame_alloc(x, &addrs[i]);
		lens[i] = i < 2 ? 2000 : flen - 4000;
		memcpy(vx_xsk_data(x, addrs[i]), buf + 2000 * i, lens[i]);
	}
	while (recv(fd, got, sizeof(got), 0) > 0)
		;
	ok = vx_xsk_txv(x, addrs, lens, 3);
	vx_xsk_tx_flush(x);
	len = 0;
	for (uint64_t t0 = now_ms(); now_ms() - t0 < 1000;) {
		ssize_t r = recv(fd, got, sizeof(got), 0);

		if (r == (ssize_t)flen && !memcmp(got, buf, flen)) {
			len = (uint32_t)r;
			break;
		}
		vx_xsk_complete(x);
	}
	tap_ok(ok && len == flen, "multibuf: 3 descriptors sent as one %u-byte frame", flen);
	for (uint64_t t0 = now_ms(); vx_xsk_pool_free(x) + 2048 < NFRAMES && now_ms() - t0 < 1000;)
		vx_xsk_complete(x);
	check_pool(x, 0, "multibuf tx");
out:
	vx_steer_detach(st);
	vx_xsk_close(x);
	if (fd >= 0)
		close(fd);
	run("ip link set " VA " mtu 1500");
	run("ip link set " VB " mtu 1500");
}

int main(void)
{
	if (geteuid())
		tap_plan_skip_all("needs root (network namespaces, AF_XDP)");
	if (getenv("VX_DEBUG"))
		vx_log_set_level(VX_LOG_DEBUG);
	vx_log_route_libs();
	if (setup_netns())
		tap_plan_skip_all("cannot set up the veth pair in a private namespace");

	test_open_modes();
	test_tx();
	test_rx();
	test_bcast();
	test_multibuf();
	test_bad_input();

	run("ip link del " VA);
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's own vhost-kernel client on /dev/vhost-xdp (tests/kmod/test_kmod_qemu.sh).
 *
 * Runs inside the kernel-module test guest. Starts QEMU with the command line
 * given after "--" (a virtio-net-pci device on -netdev tap,vhost=on,vhostfd=N
 * where fd N is open on /dev/vhost-xdp) plus
 *   -qtest unix:SOCK -qtest-log none -bios BIOS
 * and plays the guest's virtio-net driver through QEMU's qtest protocol: PCI
 * config cycles on ports 0xcf8/0xcfc, MMIO to the modern virtio-pci BAR, and
 * reads and writes of guest RAM for the split rings and the buffers (virtio
 * 1.2 sections 2.7, 4.1 and 5.1). No guest code runs: BIOS is a 64 KiB image
 * whose reset vector is "cli; hlt", so the vCPU sleeps while the machine
 * counts as running (QEMU starts vhost only for a running VM). Debian's QEMU
 * 7.2 refuses -accel qtest ("invalid accelerator"), so the machine runs
 * under TCG; the qtest server works with any accelerator.
 *
 * When the driver sets DRIVER_OK, QEMU's vhost-net code issues the real
 * ioctls on /dev/vhost-xdp (SET_OWNER was done at start-up; SET_FEATURES,
 * SET_MEM_TABLE, SET_VRING_*, NET_SET_BACKEND with its tap fd), which the
 * module hands to vhost-xdpd. Then, per round:
 *   TX: frames put in the transmit queue must arrive on the peer interface
 *       (a packet socket in the peer namespace), byte for byte;
 *   RX: frames the peer sends to the device's MAC must appear in the receive
 *       queue's used ring, byte for byte behind a 12-byte virtio-net header;
 *   the device status is reset (QEMU stops vhost: GET_VRING_BASE,
 *   NET_SET_BACKEND -1) and the next round negotiates other features.
 * Round 1 takes VERSION_1 only, round 2 adds MRG_RXBUF and EVENT_IDX, round 3
 * takes CSUM and HOST_TSO4 as a Linux guest does from QEMU's defaults and
 * also sends a NEEDS_CSUM UDP frame and a GSO_TCPV4 frame, which must reach
 * the peer with the checksum finished and cut into valid segments.
 * Prints TAP. Exit status 0 when every check passed.
 *
 *   kmod_qtest --sock PATH --mac MAC --netns NSFILE --ifname IF [--frames N]
 *              -- qemu-system-x86_64 ARGS...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#define ETH_TYPE    0x88b5 /* IEEE 802 local experimental */
#define MAGIC	    "VXQT"
#define HDR_LEN	    12 /* struct virtio_net_hdr_mrg_rxbuf: VERSION_1 always has num_buffers */
#define BUF_SIZE    2048
#define MAX_FRAMES  128
#define REPLY_MS    30000 /* one qtest command; vhost ioctls wait up to 2 s for the daemon */
#define RING_WAIT_S 30

/* virtio 1.2 feature bits and status (2.1, 6) */
#define F_CSUM	    0
#define F_MAC	    5
#define F_HOST_TSO4 11
#define F_MRG_RXBUF 15
#define F_EVENT_IDX 29
#define F_VERSION_1 32
#define S_ACK	    1
#define S_DRIVER    2
#define S_DRIVER_OK 4
#define S_FEAT_OK   8
#define S_NEED_RST  64

/* Guest-physical layout in the VM's RAM (at least 16 MiB). */
#define GPA_RING(q) (0x100000ull + (q)*0x10000ull) /* desc, +0x8000 avail, +0xc000 used */
#define GPA_RXBUF   0x200000ull
#define GPA_TXBUF   0x400000ull
#define GPA_BIGBUF  0x600000ull /* the TSO frame */

static const char *argv0 = "kmod_qtest";
static int qt = -1; /* the qtest connection */
static pid_t qemu_pid = -1;
static char *line; /* the last reply */
static size_t line_cap;
static char inbuf[1 << 16];
static size_t in_len;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "# %s: ", argv0);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	fflush(stdout);
	if (qemu_pid > 0) {
		kill(qemu_pid, SIGKILL);
		waitpid(qemu_pid, NULL, 0);
	}
	tap_ok(false, "qtest driver ran to the end");
	tap_done();
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the qtest protocol: one request line, one "OK ..." line back ---- */

static void qt_send(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(qt, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("qtest write: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

/* Reads one line into `line`; async "IRQ ..." lines are skipped. */
static void qt_read_line(void)
{
	size_t len = 0;

	for (;;) {
		char *nl = memchr(inbuf, '\n', in_len);

		if (nl) {
			size_t n = (size_t)(nl - inbuf);

			if (len + n + 1 > line_cap) {
				line_cap = (len + n + 1) * 2;
				line = realloc(line, line_cap);
				if (!line)
					die("out of memory");
			}
			memcpy(line + len, inbuf, n);
			len += n;
			line[len] = 0;
			memmove(inbuf, nl + 1, in_len - n - 1);
			in_len -= n + 1;
			if (!strncmp(line, "IRQ", 3)) {
				len = 0;
				continue;
			}
			return;
		}
		/* No newline yet: move what we have into line and read more. */
		if (len + in_len + 1 > line_cap) {
			line_cap = (len + in_len + 1) * 2;
			line = realloc(line, line_cap);
			if (!line)
				die("out of memory");
		}
		memcpy(line + len, inbuf, in_len);
		len += in_len;
		in_len = 0;

		struct pollfd pf = {.fd = qt, .events = POLLIN};
		int r = poll(&pf, 1, REPLY_MS);

		if (r == 0)
			die("no qtest reply within %d s", REPLY_MS / 1000);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t got = read(qt, inbuf, sizeof(inbuf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			die("qtest connection closed (QEMU exited?)");
		in_len = (size_t)got;
	}
}

/* Sends a command and returns the value after "OK " (0 when there is none). */
static uint64_t qt_cmd(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	buf[n++] = '\n';
	qt_send(buf, (size_t)n);
	qt_read_line();
	if (strncmp(line, "OK", 2))
		die("qtest: '%.*s' answered '%.80s'", n - 1, buf, line);
	return line[2] == ' ' ? strtoull(line + 3, NULL, 0) : 0;
}

static void outl(uint16_t port, uint32_t v)
{
	qt_cmd("outl 0x%x 0x%x", port, v);
}
static uint32_t inl(uint16_t port)
{
	return (uint32_t)qt_cmd("inl 0x%x", port);
}
static uint8_t rd8(uint64_t a)
{
	return (uint8_t)qt_cmd("readb 0x%llx", (unsigned long long)a);
}
static uint16_t rd16(uint64_t a)
{
	return (uint16_t)qt_cmd("readw 0x%llx", (unsigned long long)a);
}
static uint32_t rd32(uint64_t a)
{
	return (uint32_t)qt_cmd("readl 0x%llx", (unsigned long long)a);
}
static void wr8(uint64_t a, uint8_t v)
{
	qt_cmd("writeb 0x%llx 0x%x", (unsigned long long)a, v);
}
static void wr16(uint64_t a, uint16_t v)
{
	qt_cmd("writew 0x%llx 0x%x", (unsigned long long)a, v);
}
static void wr32(uint64_t a, uint32_t v)
{
	qt_cmd("writel 0x%llx 0x%x", (unsigned long long)a, v);
}

static void mem_write(uint64_t gpa, const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t cap = len * 2 + 80, n;
	char *buf = malloc(cap);

	if (!buf)
		die("out of memory");
	n = (size_t)snprintf(buf, cap, "write 0x%llx 0x%zx 0x", (unsigned long long)gpa, len);
	for (size_t i = 0; i < len; i++) {
		buf[n++] = hex[p[i] >> 4];
		buf[n++] = hex[p[i] & 15];
	}
	buf[n++] = '\n';
	qt_send(buf, n);
	free(buf);
	qt_read_line();
	if (strcmp(line, "OK"))
		die("qtest write of %zu bytes at 0x%llx: '%.80s'", len, (unsigned long long)gpa,
		    line);
}

static int nib(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void mem_read(uint64_t gpa, void *data, size_t len)
{
	uint8_t *p = data;

	qt_cmd("read 0x%llx 0x%zx", (unsigned long long)gpa, len);
	if (strncmp(line, "OK 0x", 5) || strlen(line) != 5 + 2 * len)
		die("qtest read of %zu bytes: '%.80s'", len, line);
	for (size_t i = 0; i < len; i++) {
		int h = nib(line[5 + 2 * i]), l = nib(line[6 + 2 * i]);

		if (h < 0 || l < 0)
			die("qtest read: bad hex");
		p[i] = (uint8_t)(h << 4 | l);
	}
}

static void mem_zero(uint64_t gpa, size_t len)
{
	qt_cmd("memset 0x%llx 0x%zx 0", (unsigned long long)gpa, len);
}

/* ---- PCI (configuration mechanism #1) ---- */

static uint32_t pci_bdf;

static uint32_t cfg32(unsigned int off)
{
	outl(0xcf8, 0x80000000u | pci_bdf | (off & 0xfc));
	return inl(0xcfc);
}

static uint8_t cfg8(unsigned int off)
{
	return (uint8_t)(cfg32(off) >> (8 * (off & 3)));
}

static void cfg_w32(unsigned int off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | pci_bdf | (off & 0xfc));
	outl(0xcfc, v);
}

static void cfg_w16(unsigned int off, uint16_t v)
{
	uint32_t old = cfg32(off & ~3u), sh = 8 * (off & 2);

	cfg_w32(off & ~3u, (old & ~(0xffffu << sh)) | (uint32_t)v << sh);
}

/* ---- the virtio-net device ---- */

static struct {
	uint64_t bar[6];
	uint64_t common, notify, isr, devcfg;
	uint32_t notify_mult;
	uint16_t qsize[2], notify_off[2];
	uint16_t avail_idx[2], used_seen[2];
	uint64_t features; /* negotiated */
} vd;

/* Finds the first virtio-net function on bus 0 and gives its BARs addresses. */
static void pci_setup(void)
{
	uint64_t mem_next = 0xe0000000ull;
	uint32_t io_next = 0xc000;
	unsigned int dev, i;

	for (dev = 0; dev < 32; dev++) {
		pci_bdf = dev << 11;
		uint32_t id = cfg32(0);

		if ((id & 0xffff) == 0x1af4 && ((id >> 16) == 0x1000 || (id >> 16) == 0x1041))
			break;
	}
	if (dev == 32)
		die("no virtio-net PCI function on bus 0");
	tap_diag("virtio-net at 00:%02x.0, id %08x", dev, cfg32(0));

	for (i = 0; i < 6; i++) {
		unsigned int off = 0x10 + 4 * i;
		uint32_t orig = cfg32(off), sz;

		cfg_w32(off, 0xffffffff);
		sz = cfg32(off);
		if (!sz || sz == 0xffffffff) {
			cfg_w32(off, orig);
			continue;
		}
		if (orig & 1) { /* I/O */
			uint32_t size = (~(sz & ~3u) + 1) & 0xffff;

			io_next = (io_next + size - 1) & ~(size - 1);
			cfg_w32(off, io_next);
			vd.bar[i] = io_next;
			io_next += size;
		} else {
			uint64_t size = (uint64_t)(~(sz & ~15u)) + 1;
			bool is64 = ((orig >> 1) & 3) == 2;

			if (is64) {
				cfg_w32(off + 4, 0xffffffff);
				size = ~(((uint64_t)cfg32(off + 4) << 32) | (sz & ~15u)) + 1;
			}
			mem_next = (mem_next + size - 1) & ~(size - 1);
			cfg_w32(off, (uint32_t)mem_next);
			if (is64)
				cfg_w32(off + 4, (uint32_t)(mem_next >> 32));
			vd.bar[i] = mem_next;
			mem_next += size;
			if (is64)
				i++;
		}
	}
	cfg_w16(0x04, 0x0007); /* I/O, memory, bus master */

	/* Vendor-specific capabilities (virtio 1.2 4.1.4): the first of each type. */
	if (!(cfg32(0x04) >> 16 & 0x10))
		die("no capability list");
	unsigned int ptr = cfg8(0x34) & ~3u, n = 0;

	while (ptr && n++ < 48) {
		if (cfg8(ptr) == 0x09) {
			unsigned int type = cfg8(ptr + 3), bar = cfg8(ptr + 4);
			uint64_t addr = bar < 6 ? vd.bar[bar] + cfg32(ptr + 8) : 0;

			if (type == 1 && !vd.common)
				vd.common = addr;
			else if (type == 2 && !vd.notify) {
				vd.notify = addr;
				vd.notify_mult = cfg32(ptr + 16);
			} else if (type == 3 && !vd.isr)
				vd.isr = addr;
			else if (type == 4 && !vd.devcfg)
				vd.devcfg = addr;
		}
		ptr = cfg8(ptr + 1) & ~3u;
	}
	if (!vd.common || !vd.notify || !vd.isr || !vd.devcfg)
		die("a virtio capability is missing (common %llx notify %llx isr %llx device %llx)",
		    (unsigned long long)vd.common, (unsigned long long)vd.notify,
		    (unsigned long long)vd.isr, (unsigned long long)vd.devcfg);
}

/* common configuration layout (virtio 1.2 4.1.4.3) */
#define C_DFSEL	  0x00
#define C_DF	  0x04
#define C_GFSEL	  0x08
#define C_GF	  0x0c
#define C_NUMQ	  0x12
#define C_STATUS  0x14
#define C_QSEL	  0x16
#define C_QSIZE	  0x18
#define C_QMSIX	  0x1a
#define C_QENABLE 0x1c
#define C_QNOTIFY 0x1e
#define C_QDESC	  0x20
#define C_QAVAIL  0x28
#define C_QUSED	  0x30

static uint64_t dev_features(void)
{
	uint64_t f;

	wr32(vd.common + C_DFSEL, 0);
	f = rd32(vd.common + C_DF);
	wr32(vd.common + C_DFSEL, 1);
	return f | (uint64_t)rd32(vd.common + C_DF) << 32;
}

static uint8_t dev_status(void)
{
	return rd8(vd.common + C_STATUS);
}

static void dev_reset(void)
{
	wr8(vd.common + C_STATUS, 0);
	for (int i = 0; i < 100 && dev_status(); i++)
		usleep(10000);
}

/* Status sequence of virtio 1.2 3.1.1 up to FEATURES_OK; false when refused. */
static bool dev_negotiate(uint64_t want)
{
	uint64_t offered;

	dev_reset();
	wr8(vd.common + C_STATUS, S_ACK);
	wr8(vd.common + C_STATUS, S_ACK | S_DRIVER);
	offered = dev_features();
	vd.features = offered & want;
	wr32(vd.common + C_GFSEL, 0);
	wr32(vd.common + C_GF, (uint32_t)vd.features);
	wr32(vd.common + C_GFSEL, 1);
	wr32(vd.common + C_GF, (uint32_t)(vd.features >> 32));
	wr8(vd.common + C_STATUS, S_ACK | S_DRIVER | S_FEAT_OK);
	return dev_status() & S_FEAT_OK;
}

static void queue_setup(unsigned int q)
{
	uint64_t base = GPA_RING(q);

	wr16(vd.common + C_QSEL, (uint16_t)q);
	vd.qsize[q] = rd16(vd.common + C_QSIZE);
	if (!vd.qsize[q] || vd.qsize[q] > 1024 || (vd.qsize[q] & (vd.qsize[q] - 1)))
		die("queue %u: size %u", q, vd.qsize[q]);
	mem_zero(base, 0x10000);
	wr16(vd.common + C_QMSIX, 0xffff); /* no MSI-X vector: INTx and the ISR */
	wr32(vd.common + C_QDESC, (uint32_t)base);
	wr32(vd.common + C_QDESC + 4, 0);
	wr32(vd.common + C_QAVAIL, (uint32_t)(base + 0x8000));
	wr32(vd.common + C_QAVAIL + 4, 0);
	wr32(vd.common + C_QUSED, (uint32_t)(base + 0xc000));
	wr32(vd.common + C_QUSED + 4, 0);
	vd.notify_off[q] = rd16(vd.common + C_QNOTIFY);
	wr16(vd.common + C_QENABLE, 1);
	vd.avail_idx[q] = 0;
	vd.used_seen[q] = 0;
}

static void kick(unsigned int q)
{
	wr16(vd.notify + (uint64_t)vd.notify_off[q] * vd.notify_mult, (uint16_t)q);
}

struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
} __attribute__((packed));

#define D_NEXT	1
#define D_WRITE 2

/* Publishes chains that start at the given heads: ring entries, then the index. */
static void avail_publish(unsigned int q, const uint16_t *heads, unsigned int n)
{
	uint64_t avail = GPA_RING(q) + 0x8000;
	uint16_t ring[MAX_FRAMES * 2];

	for (unsigned int i = 0; i < n; i++)
		ring[i] = heads[i];
	/* The ring never wraps here: a round publishes fewer entries than the queue holds. */
	mem_write(avail + 4 + 2 * (vd.avail_idx[q] % vd.qsize[q]), ring, 2 * n);
	vd.avail_idx[q] = (uint16_t)(vd.avail_idx[q] + n);
	wr16(avail + 2, vd.avail_idx[q]);
}

static uint16_t used_idx(unsigned int q)
{
	return rd16(GPA_RING(q) + 0xc000 + 2);
}

/* Waits until the used index reaches `want`; returns what it reached. */
static uint16_t used_wait(unsigned int q, uint16_t want, double secs)
{
	double end = now() + secs;
	uint16_t u;

	while ((u = used_idx(q)) != want && now() < end)
		usleep(20000);
	return u;
}

/* ---- frames ---- */

static uint8_t mac[6], peer_mac[6];

static size_t frame_len(unsigned int round, unsigned int seq)
{
	return 60 + (seq * 211 + round * 17) % 1455; /* 60..1514 */
}

/* dir 'T': guest to peer, 'R': peer to guest. */
static size_t frame_build(uint8_t *f, char dir, unsigned int round, unsigned int seq)
{
	size_t len = frame_len(round, seq), i;

	memcpy(f, dir == 'T' ? peer_mac : mac, 6);
	memcpy(f + 6, dir == 'T' ? mac : peer_mac, 6);
	f[12] = ETH_TYPE >> 8;
	f[13] = ETH_TYPE & 0xff;
	memcpy(f + 14, MAGIC, 4);
	f[18] = (uint8_t)dir;
	f[19] = (uint8_t)round;
	f[20] = (uint8_t)(seq >> 8);
	f[21] = (uint8_t)seq;
	for (i = 22; i < len; i++)
		f[i] = (uint8_t)(seq * 7 + i * 13 + round + dir);
	return len;
}

/* Checks a received frame; returns its sequence number or -1 if it is none of ours. */
static int frame_check(const uint8_t *f, size_t len, char dir, unsigned int round, int *bad)
{
	uint8_t want[1514];
	unsigned int seq;

	*bad = 0;
	if (len < 22 || f[12] != ETH_TYPE >> 8 || f[13] != (ETH_TYPE & 0xff) ||
	    memcmp(f + 14, MAGIC, 4) || f[18] != (uint8_t)dir || f[19] != (uint8_t)round)
		return -1;
	seq = (unsigned int)f[20] << 8 | f[21];
	if (seq >= MAX_FRAMES) {
		*bad = 1;
		return -1;
	}
	if (frame_build(want, dir, round, seq) != len || memcmp(want, f, len))
		*bad = 1;
	return (int)seq;
}

/* ---- the peer: a packet socket on the other end of the daemon's NIC ---- */

static int peer_fd = -1, peer_ip_fd = -1, peer_ifindex;

static void peer_open(const char *netns, const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_TYPE)};
	struct ifreq ifr = {0};
	int ns = open(netns, O_RDONLY | O_CLOEXEC);

	if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
		die("setns %s: %s", netns, strerror(errno));
	close(ns);
	peer_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_TYPE));
	if (peer_fd < 0)
		die("packet socket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(peer_fd, SIOCGIFINDEX, &ifr) < 0)
		die("%s: %s", ifname, strerror(errno));
	peer_ifindex = ifr.ifr_ifindex;
	if (ioctl(peer_fd, SIOCGIFHWADDR, &ifr) < 0)
		die("%s: hwaddr: %s", ifname, strerror(errno));
	memcpy(peer_mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = peer_ifindex;
	if (bind(peer_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind %s: %s", ifname, strerror(errno));
	peer_ip_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x0800));
	sll.sll_protocol = htons(0x0800);
	if (peer_ip_fd < 0 || bind(peer_ip_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("IPv4 packet socket on %s: %s", ifname, strerror(errno));
}

static void peer_drain(void)
{
	uint8_t buf[2048];

	while (recv(peer_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* ---- round 3: the guest's offload requests (CSUM, HOST_TSO4) ---- */

/*
 * QEMU offers CSUM and HOST_TSO4/6 whenever its tap takes virtio-net headers,
 * and a guest that accepts them sends partial checksums and 64 KiB TCP
 * frames. vhost-net never hears of these bits (QEMU's SET_FEATURES to the
 * vhost device carries only the ring and header ones): the tap always takes
 * what the header asks for. So the back-end must too.
 */

#define IP_SRC 0x0a630002u /* 10.99.0.2, the "guest" */
#define IP_DST 0x0a630001u /* 10.99.0.1, the peer (not configured: its stack drops them) */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Ethernet + IPv4 (header checksum filled in) for an L4 packet of l4_len bytes. */
static void ip_build(uint8_t *f, uint8_t proto, size_t l4_len, uint16_t id)
{
	memcpy(f, peer_mac, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, id);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, IP_SRC);
	put32(ip + 16, IP_DST);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
}

/* The pseudo-header sum of an IPv4 packet (RFC 793/768). */
static uint32_t pseudo(const uint8_t *ip, size_t l4_len)
{
	uint32_t sum = sum16(ip + 12, 8, 0);

	return sum + ip[9] + (uint32_t)l4_len;
}

/* Does the L4 checksum of the IPv4 packet at ip verify? */
static bool l4_csum_ok(const uint8_t *ip, size_t l4_len)
{
	return fold(sum16(ip + 20, l4_len, pseudo(ip, l4_len))) == 0xffff;
}

static uint8_t payload_byte(unsigned int i)
{
	return (uint8_t)(i * 31 + (i >> 8) + 5);
}

struct vnet_hdr {
	uint8_t flags, gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

#define UDP_PAYLOAD 300
#define TSO_PAYLOAD 4000
#define TSO_MSS	    1000
#define TSO_SEQ	    100000u

static void round_offload(unsigned int round)
{
	uint8_t f[14 + 40 + TSO_PAYLOAD], r[2048];
	struct vnet_hdr vh;
	struct vdesc d[4];
	uint16_t heads[2], u, b = (uint16_t)(vd.qsize[1] - 4); /* descriptors round_tx left alone */
	size_t ulen = 8 + UDP_PAYLOAD, tlen = 20 + TSO_PAYLOAD, i;
	unsigned int udp_ok = 0, udp_bad = 0, segs = 0, seg_bad = 0, other = 0;
	uint8_t got[TSO_PAYLOAD];
	unsigned int got_bytes = 0;
	double end;

	while (recv(peer_ip_fd, r, sizeof(r), MSG_DONTWAIT) > 0)
		;
	/* 1. UDP with NEEDS_CSUM: the checksum field holds the pseudo-header sum. */
	ip_build(f, 17, ulen, 1);
	uint8_t *uh = f + 34;

	put16(uh, 5000);
	put16(uh + 2, 6000);
	put16(uh + 4, (uint16_t)ulen);
	for (i = 0; i < UDP_PAYLOAD; i++)
		uh[8 + i] = payload_byte((unsigned int)i);
	put16(uh + 6, fold(pseudo(f + 14, ulen)));
	vh = (struct vnet_hdr){.flags = 1, .csum_start = 34, .csum_offset = 6};
	mem_write(GPA_TXBUF, &vh, HDR_LEN);
	mem_write(GPA_TXBUF + 64, f, 34 + ulen);
	d[0] = (struct vdesc){GPA_TXBUF, HDR_LEN, D_NEXT, (uint16_t)(b + 1)};
	d[1] = (struct vdesc){GPA_TXBUF + 64, (uint32_t)(34 + ulen), 0, 0};

	/* 2. A TCP frame of 4 MSS with GSO_TCPV4 (Linux seeds the checksum the same way). */
	ip_build(f, 6, tlen, 0x1000);
	uint8_t *th = f + 34;

	memset(th, 0, 20);
	put16(th, 5000);
	put16(th + 2, 6000);
	put32(th + 4, TSO_SEQ);
	put32(th + 8, 1);
	th[12] = 5 << 4;
	th[13] = 0x18; /* ACK, PSH */
	put16(th + 14, 512);
	for (i = 0; i < TSO_PAYLOAD; i++)
		th[20 + i] = payload_byte((unsigned int)i);
	put16(th + 16, fold(pseudo(f + 14, tlen)));
	vh = (struct vnet_hdr){.flags = 1,
			       .gso_type = 1, /* VIRTIO_NET_HDR_GSO_TCPV4 */
			       .hdr_len = 54,
			       .gso_size = TSO_MSS,
			       .csum_start = 34,
			       .csum_offset = 16};
	mem_write(GPA_BIGBUF, &vh, HDR_LEN);
	mem_write(GPA_BIGBUF + 64, f, 34 + tlen);
	d[2] = (struct vdesc){GPA_BIGBUF, HDR_LEN, D_NEXT, (uint16_t)(b + 3)};
	d[3] = (struct vdesc){GPA_BIGBUF + 64, (uint32_t)(34 + tlen), 0, 0};

	if (vd.avail_idx[1] + vd.avail_idx[1] / 2 > b) /* what round_tx's chains took */
		die("TX queue too small for the offload chains");
	heads[0] = b;
	heads[1] = (uint16_t)(b + 2);
	mem_write(GPA_RING(1) + (uint64_t)b * 16, d, sizeof(d));
	avail_publish(1, heads, 2);
	kick(1);
	u = used_wait(1, (uint16_t)(vd.used_seen[1] + 2), RING_WAIT_S);
	tap_ok((uint16_t)(u - vd.used_seen[1]) == 2,
	       "round %u: the back-end used both offload chains (%u of 2)", round,
	       (uint16_t)(u - vd.used_seen[1]));
	vd.used_seen[1] = u;

	memset(got, 0, sizeof(got));
	end = now() + 5;
	while ((udp_ok + udp_bad < 1 || segs + seg_bad < TSO_PAYLOAD / TSO_MSS) && now() < end) {
		struct pollfd pf = {.fd = peer_ip_fd, .events = POLLIN};
		ssize_t len;

		if (poll(&pf, 1, 200) <= 0)
			continue;
		len = recv(peer_ip_fd, r, sizeof(r), 0);
		if (len < 34 || get16(r + 12) != 0x0800 || get32(r + 26) != IP_SRC ||
		    get32(r + 30) != IP_DST) {
			other++;
			continue;
		}
		const uint8_t *ip = r + 14;
		size_t l4 = (size_t)get16(ip + 2) - 20;

		if ((ip[0] & 0x0f) != 5 || 14 + 20 + l4 > (size_t)len ||
		    fold(sum16(ip, 20, 0)) != 0xffff) {
			tap_diag("offload: bad IPv4 header from the back-end");
			ip[9] == 17 ? udp_bad++ : seg_bad++;
			continue;
		}
		if (ip[9] == 17) {
			bool ok = l4 == ulen && l4_csum_ok(ip, l4);

			for (i = 0; ok && i < UDP_PAYLOAD; i++)
				ok = ip[28 + i] == payload_byte((unsigned int)i);
			if (!ok)
				tap_diag("offload: UDP frame: length %zu, checksum %#x %s", l4,
					 get16(ip + 26), l4_csum_ok(ip, l4) ? "verifies" : "wrong");
			ok ? udp_ok++ : udp_bad++;
		} else if (ip[9] == 6) {
			uint32_t off = get32(ip + 24) - TSO_SEQ;
			size_t plen = l4 - 20;
			bool last = off + plen == TSO_PAYLOAD;
			bool ok = l4_csum_ok(ip, l4) && plen == TSO_MSS && off < TSO_PAYLOAD &&
				  !(off % TSO_MSS) && (ip[33] == (last ? 0x18 : 0x10));

			for (i = 0; ok && i < plen; i++)
				ok = ip[40 + i] == payload_byte((unsigned int)(off + i));
			if (ok) {
				memcpy(got + off, ip + 40, plen);
				got_bytes += (unsigned int)plen;
				segs++;
			} else {
				tap_diag("offload: TCP segment: offset %u, %zu bytes, flags %#x, "
					 "checksum %s",
					 off, plen, ip[33],
					 l4_csum_ok(ip, l4) ? "verifies" : "wrong");
				seg_bad++;
			}
		} else {
			other++;
		}
	}
	/* Anything longer than the MTU that came through whole would show here. */
	tap_diag("round %u offload: UDP %u good %u bad; TCP segments %u good %u bad, %u payload "
		 "bytes; %u other",
		 round, udp_ok, udp_bad, segs, seg_bad, got_bytes, other);
	tap_ok(udp_ok == 1 && !udp_bad,
	       "round %u: a NEEDS_CSUM UDP frame reaches the peer with its checksum finished",
	       round);
	tap_ok(segs == TSO_PAYLOAD / TSO_MSS && !seg_bad && got_bytes == TSO_PAYLOAD,
	       "round %u: a %u-byte GSO_TCPV4 frame reaches the peer as %u valid segments (%u)",
	       round, TSO_PAYLOAD, TSO_PAYLOAD / TSO_MSS, segs);
	printf("KM-QT-OFFLOAD round=%u udp=%u tcp-segs=%u bad=%u\n", round, udp_ok, segs,
	       udp_bad + seg_bad);
}

/* ---- one round ---- */

struct counts {
	unsigned int ok, bad, dup, other;
};

static void round_tx(unsigned int round, unsigned int n)
{
	uint8_t f[BUF_SIZE], seen[MAX_FRAMES] = {0};
	struct vdesc d[2 * MAX_FRAMES];
	uint16_t heads[MAX_FRAMES], u;
	unsigned int nd = 0, i;
	struct counts c = {0};
	double t0, end;

	peer_drain();
	for (i = 0; i < n; i++) {
		uint64_t buf = GPA_TXBUF + (uint64_t)i * BUF_SIZE;
		size_t len;

		memset(f, 0, HDR_LEN); /* no checksum or GSO request */
		len = frame_build(f + HDR_LEN, 'T', round, i);
		heads[i] = (uint16_t)nd;
		if (i & 1) { /* header and frame in separate descriptors */
			mem_write(buf, f, HDR_LEN);
			mem_write(buf + 64, f + HDR_LEN, len);
			d[nd] = (struct vdesc){buf, HDR_LEN, D_NEXT, (uint16_t)(nd + 1)};
			d[nd + 1] = (struct vdesc){buf + 64, (uint32_t)len, 0, 0};
			nd += 2;
		} else {
			mem_write(buf, f, HDR_LEN + len);
			d[nd++] = (struct vdesc){buf, (uint32_t)(HDR_LEN + len), 0, 0};
		}
	}
	if (nd > vd.qsize[1])
		die("TX queue of %u entries too small for %u descriptors", vd.qsize[1], nd);
	mem_write(GPA_RING(1), d, nd * sizeof(d[0]));
	t0 = now();
	avail_publish(1, heads, n);
	kick(1);
	u = used_wait(1, (uint16_t)(vd.used_seen[1] + n), RING_WAIT_S);
	tap_ok((uint16_t)(u - vd.used_seen[1]) == n,
	       "round %u: the back-end used every TX chain (used index %u of %u)", round,
	       (uint16_t)(u - vd.used_seen[1]), n);
	vd.used_seen[1] = u;

	/* What reached the peer. */
	end = now() + 5;
	while (c.ok + c.bad < n && now() < end) {
		struct pollfd pf = {.fd = peer_fd, .events = POLLIN};
		ssize_t len;
		int seq, bad;

		if (poll(&pf, 1, 200) <= 0)
			continue;
		len = recv(peer_fd, f, sizeof(f), 0);
		if (len <= 0)
			continue;
		seq = frame_check(f, (size_t)len, 'T', round, &bad);
		if (seq < 0 && !bad)
			c.other++;
		else if (bad)
			c.bad++;
		else if (seen[seq]++)
			c.dup++;
		else
			c.ok++;
	}
	tap_diag("round %u TX: %u frames in %.2f s: %u intact at the peer, %u corrupted, %u "
		 "duplicated, %u other",
		 round, n, now() - t0, c.ok, c.bad, c.dup, c.other);
	tap_ok(c.ok == n, "round %u TX: every frame reached the peer intact (%u of %u)", round,
	       c.ok, n);
	tap_ok(!c.bad && !c.dup, "round %u TX: no corrupted or duplicated frame (%u, %u)", round,
	       c.bad, c.dup);
	printf("KM-QT-TX round=%u sent=%u intact=%u bad=%u dup=%u\n", round, n, c.ok, c.bad, c.dup);
}

static void round_rx(unsigned int round, unsigned int n)
{
	unsigned int nbuf = n + 32, i;
	struct vdesc d[MAX_FRAMES + 32];
	uint16_t heads[MAX_FRAMES + 32], u, got;
	uint8_t f[BUF_SIZE], seen[MAX_FRAMES] = {0};
	struct counts c = {0};
	unsigned int nb_bad = 0, hdr_bad = 0;
	bool isr = false;
	double t0;

	if (nbuf > vd.qsize[0])
		nbuf = vd.qsize[0];
	for (i = 0; i < nbuf; i++) {
		d[i] = (struct vdesc){GPA_RXBUF + (uint64_t)i * BUF_SIZE, BUF_SIZE, D_WRITE, 0};
		heads[i] = (uint16_t)i;
	}
	mem_zero(GPA_RXBUF, (size_t)nbuf * BUF_SIZE);
	mem_write(GPA_RING(0), d, nbuf * sizeof(d[0]));
	avail_publish(0, heads, nbuf);
	kick(0);
	rd8(vd.isr); /* clear */

	t0 = now();
	for (i = 0; i < n; i++) {
		struct sockaddr_ll to = {
		    .sll_family = AF_PACKET, .sll_ifindex = peer_ifindex, .sll_halen = 6};
		size_t len = frame_build(f, 'R', round, i);

		memcpy(to.sll_addr, mac, 6);
		if (sendto(peer_fd, f, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
			tap_diag("peer send %u: %s", i, strerror(errno));
	}
	/* Our frames, plus whatever multicast the peer's stack sends meanwhile. */
	got = 0;
	double end = now() + RING_WAIT_S;

	while (c.ok + c.bad < n && now() < end) {
		u = used_idx(0);
		if (u == vd.used_seen[0]) {
			usleep(20000);
			continue;
		}
		for (; vd.used_seen[0] != u; vd.used_seen[0]++, got++) {
			uint32_t elem[2];
			uint8_t hdr[HDR_LEN];
			int seq, bad;

			mem_read(GPA_RING(0) + 0xc000 + 4 + 8 * (vd.used_seen[0] % vd.qsize[0]),
				 elem, sizeof(elem));
			if (elem[0] >= nbuf || elem[1] < HDR_LEN || elem[1] > BUF_SIZE) {
				tap_diag("RX used element: id %u len %u", elem[0], elem[1]);
				c.bad++;
				continue;
			}
			mem_read(GPA_RXBUF + (uint64_t)elem[0] * BUF_SIZE, f, elem[1]);
			memcpy(hdr, f, HDR_LEN);
			seq = frame_check(f + HDR_LEN, elem[1] - HDR_LEN, 'R', round, &bad);
			if (seq < 0 && !bad) {
				c.other++;
				continue;
			}
			/* flags 0, gso_type NONE; num_buffers 1 (virtio 1.2 5.1.6.4). */
			if (hdr[0] || hdr[1])
				hdr_bad++;
			if ((hdr[10] | hdr[11] << 8) != 1)
				nb_bad++;
			if (bad)
				c.bad++;
			else if (seen[seq]++)
				c.dup++;
			else
				c.ok++;
		}
	}
	for (i = 0; i < 50 && !isr; i++) {
		isr = rd8(vd.isr) & 1;
		if (!isr)
			usleep(20000);
	}
	tap_diag("round %u RX: %u frames in %.2f s: %u intact in the ring, %u corrupted, %u "
		 "duplicated, %u other frames; %u used entries",
		 round, n, now() - t0, c.ok, c.bad, c.dup, c.other, got);
	tap_ok(c.ok == n,
	       "round %u RX: every frame from the peer reached the receive queue intact (%u of %u)",
	       round, c.ok, n);
	tap_ok(!c.bad && !c.dup, "round %u RX: no corrupted or duplicated frame (%u, %u)", round,
	       c.bad, c.dup);
	tap_ok(!hdr_bad && !nb_bad,
	       "round %u RX: virtio-net headers say no offload and num_buffers 1 (%u, %u wrong)",
	       round, hdr_bad, nb_bad);
	tap_ok(isr,
	       "round %u RX: the back-end's call eventfd raised the queue interrupt (ISR bit 0)",
	       round);
	printf("KM-QT-RX round=%u sent=%u intact=%u bad=%u dup=%u other=%u\n", round, n, c.ok,
	       c.bad, c.dup, c.other);
}

static void round_run(unsigned int round, uint64_t want, unsigned int n)
{
	bool offl = want >> F_HOST_TSO4 & 1;
	uint8_t m[6];
	uint8_t st;
	bool ok = dev_negotiate(want);

	tap_ok(ok, "round %u: FEATURES_OK accepted for %#llx", round,
	       (unsigned long long)vd.features);
	for (int i = 0; i < 6; i++)
		m[i] = rd8(vd.devcfg + (unsigned int)i);
	tap_ok(!memcmp(m, mac, 6), "round %u: device MAC in config space is the port's", round);
	queue_setup(0);
	queue_setup(1);
	/* DRIVER_OK: QEMU's vhost-net starts and issues the ioctls on /dev/vhost-xdp. */
	double t0 = now();

	wr8(vd.common + C_STATUS, S_ACK | S_DRIVER | S_FEAT_OK | S_DRIVER_OK);
	st = dev_status();
	tap_diag("round %u: DRIVER_OK took %.2f s (vhost start), status %#x, queues %u/%u", round,
		 now() - t0, st, vd.qsize[0], vd.qsize[1]);
	tap_ok(st == (S_ACK | S_DRIVER | S_FEAT_OK | S_DRIVER_OK),
	       "round %u: device running after DRIVER_OK (status %#x)", round, st);
	round_tx(round, n);
	if (offl)
		round_offload(round);
	round_rx(round, n);
	t0 = now();
	dev_reset();
	st = dev_status();
	tap_diag("round %u: reset took %.2f s (vhost stop)", round, now() - t0);
	tap_ok(!st && !(st & S_NEED_RST), "round %u: device reset (vhost stopped), status %#x",
	       round, st);
}

/* ---- QEMU ---- */

static void write_bios(const char *path)
{
	static uint8_t img[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	/* At the reset vector (top 16 bytes): cli; hlt; jmp back to the hlt. */
	img[0xfff0] = 0xfa;
	img[0xfff1] = 0xf4;
	img[0xfff2] = 0xeb;
	img[0xfff3] = 0xfd;
	if (fd < 0 || write(fd, img, sizeof(img)) != (ssize_t)sizeof(img) || close(fd))
		die("%s: %s", path, strerror(errno));
}

static void qemu_start(const char *sock, char **qargv, int qargc)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char bios[sizeof(sa.sun_path) + 8], chr[sizeof(sa.sun_path) + 8];
	char **args = calloc((size_t)qargc + 8, sizeof(char *));
	int ls, i;

	if (!args || strlen(sock) >= sizeof(sa.sun_path))
		die("bad socket path");
	snprintf(bios, sizeof(bios), "%s.bios", sock);
	write_bios(bios);
	snprintf(chr, sizeof(chr), "unix:%s", sock);
	memcpy(sa.sun_path, sock, strlen(sock));
	unlink(sock);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0)
		die("%s: %s", sock, strerror(errno));
	for (i = 0; i < qargc; i++)
		args[i] = qargv[i];
	args[i++] = "-qtest";
	args[i++] = chr;
	args[i++] = "-qtest-log";
	args[i++] = "none";
	args[i++] = "-bios";
	args[i++] = bios;
	args[i] = NULL;
	fflush(stdout);
	qemu_pid = fork();
	if (qemu_pid < 0)
		die("fork: %s", strerror(errno));
	if (!qemu_pid) {
		execvp(args[0], args);
		fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	printf("KM-QT-QEMU-PID %d\n", (int)qemu_pid);
	fflush(stdout);

	struct pollfd pf = {.fd = ls, .events = POLLIN};
	int st, waited = 0;

	while (poll(&pf, 1, 1000) <= 0) {
		if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid) {
			qemu_pid = -1;
			die("QEMU exited before it connected (wait status %#x; see its stderr)",
			    st);
		}
		if (++waited == 120)
			die("QEMU did not connect to %s within 120 s", sock);
	}
	qt = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (qt < 0)
		die("accept: %s", strerror(errno));
	close(ls);
	unlink(sock);
}

/* SIGTERM, then SIGKILL after 20 s; returns the wait status. */
static int qemu_stop(void)
{
	int st = -1;

	close(qt);
	qt = -1;
	kill(qemu_pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(qemu_pid, &st, WNOHANG) == qemu_pid) {
			qemu_pid = -1;
			return st;
		}
		usleep(100000);
	}
	kill(qemu_pid, SIGKILL);
	waitpid(qemu_pid, &st, 0);
	qemu_pid = -1;
	return -1;
}

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock = NULL, *netns = NULL, *ifname = NULL;
	unsigned int n = 64;
	int i, st;
	double t0 = now();

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (i + 1 >= argc)
			die("%s needs a value", argv[i]);
		if (!strcmp(argv[i], "--sock"))
			sock = argv[++i];
		else if (!strcmp(argv[i], "--mac")) {
			if (parse_mac(argv[++i], mac))
				die("bad --mac");
		} else if (!strcmp(argv[i], "--netns"))
			netns = argv[++i];
		else if (!strcmp(argv[i], "--ifname"))
			ifname = argv[++i];
		else if (!strcmp(argv[i], "--frames"))
			n = (unsigned int)atoi(argv[++i]);
		else
			die("unknown option %s", argv[i]);
	}
	if (!sock || !netns || !ifname || i + 1 >= argc || !n || n > MAX_FRAMES)
		die("usage: %s --sock PATH --mac MAC --netns NSFILE --ifname IF [--frames 1-%d] -- "
		    "QEMU ARGS...",
		    argv0, MAX_FRAMES);

	qemu_start(sock, argv + i + 1, argc - i - 1);
	/* fds the shell opened for QEMU (vhostfd=N) are QEMU's alone from here. */
	for (int fd = 3; fd < 10; fd++)
		if (fd != qt && fcntl(fd, F_GETFD) >= 0 && !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			close(fd);
	peer_open(netns, ifname);
	tap_ok(true, "QEMU connected to the qtest socket (%.1f s)", now() - t0);

	pci_setup();
	uint64_t offered = dev_features();

	tap_diag("device features offered %#llx (QEMU masks the vhost bits by VHOST_GET_FEATURES)",
		 (unsigned long long)offered);
	tap_ok(offered >> F_VERSION_1 & 1, "the device offers VERSION_1");
	round_run(1, 1ull << F_VERSION_1 | 1ull << F_MAC, n);
	round_run(
	    2, 1ull << F_VERSION_1 | 1ull << F_MAC | 1ull << F_MRG_RXBUF | 1ull << F_EVENT_IDX, n);
	/* What a Linux guest negotiates with QEMU's defaults: the tap's offloads too. */
	if ((offered & (1ull << F_CSUM | 1ull << F_HOST_TSO4)) ==
	    (1ull << F_CSUM | 1ull << F_HOST_TSO4))
		round_run(3,
			  1ull << F_VERSION_1 | 1ull << F_MAC | 1ull << F_MRG_RXBUF |
			      1ull << F_CSUM | 1ull << F_HOST_TSO4,
			  n);
	else
		tap_ok(
		    false,
		    "the device offers CSUM and HOST_TSO4 (QEMU's tap takes virtio-net headers)");

	st = qemu_stop();
	tap_ok(st >= 0, "QEMU exits on SIGTERM (wait status %#x)", st);
	printf("KM-QT-DONE secs=%.1f\n", now() - t0);
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the vhost-user dispatcher (vx_dev_handle) fed a sequence of
 * messages, some built straight into a struct vu_msg, some sent as raw
 * bytes with SCM_RIGHTS over a socketpair and received by vu_rx_step, as a
 * port's connection does (user/vu_conn.c). The fds a message carries are
 * real, made per message: a dup of the input's guest memfd (64 KiB), a
 * small memfd, an empty one, an eventfd, either end of a pipe. No workers:
 * dev->ops is NULL.
 *
 * Input: byte 0 the port (max_qp, keep_fds), then per message
 *   op       bits 0-5 request (direct, 63: a u32 request follows the
 *            size), bit 6 NEED_REPLY, bit 7 over the socket
 *   nfds     count (direct: % 4, socket: % 10: more than VU_MAX_FDS)
 *   kind     one byte per fd (see make_fd)
 *   [flags]  socket only: XORed into VU_FLAG_VERSION
 *   size     u16: the header's size (direct: at most the payload union)
 *   payload  size bytes (what the input has left, zeros after it)
 *
 * After each message: every fd the message brought was kept or closed,
 * every fd the device holds is open, every ready ring lies inside guest
 * memory. After each input (connection dropped, device freed): no fd and
 * no mapping left (fz_check_leaks).
 */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz_common.h"
#include "fuzz_dev.h"

#define GUEST_SIZE 0x10000

static int make_fd(uint8_t kind, int guest)
{
	int p[2], fd;

	switch (kind % 7) {
	case 0:
		return fcntl(guest, F_DUPFD_CLOEXEC, 0);
	case 1:
		return fz_memfd("small", 4096);
	case 2:
		return fz_memfd("empty", 0);
	case 3:
		return eventfd(0, EFD_CLOEXEC);
	case 4:
	case 5:
		if (pipe2(p, O_CLOEXEC))
			abort();
		close(p[kind % 7 == 4 ? 1 : 0]);
		return p[kind % 7 == 4 ? 0 : 1];
	default:
		fd = fz_memfd("guest2", GUEST_SIZE);
		return fd;
	}
}

/* A dropped connection: the front-end comes back on a new one. */
static void drop_conn(void)
{
	vx_dev_disconnect(&dev);
	if (dev.mem.n || dev.log.map)
		abort();
}

struct conn {
	int sv[2];
	struct vu_rx rx;
};

static void conn_open(struct conn *c)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->sv))
		abort();
	fcntl(c->sv[1], F_SETFL, O_NONBLOCK);
	memset(&c->rx, 0, sizeof(c->rx));
}

static void conn_close(struct conn *c)
{
	vu_rx_reset(&c->rx);
	close(c->sv[0]);
	close(c->sv[1]);
}

/* Sends hdr + payload with fds on the first byte; then takes what is complete. */
static void via_socket(struct conn *c, const struct vu_hdr *h, const uint8_t *pl, size_t plen,
		       const int *fds, unsigned int nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov[2] = {
		{ .iov_base = (void *)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)pl, .iov_len = plen },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = plen ? 2 : 1 };
	unsigned int i;
	int r;

	if (nfds) {
		struct cmsghdr *cm;

		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(c->sv[0], &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(*h) + plen))
		abort();
	/* The receiver has its own copies now. */
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	for (;;) {
		r = vu_rx_step(c->sv[1], &c->rx);
		if (r == 0)
			return;
		if (r < 0) {
			/* vu_rx_step closed the message's fds. */
			if (c->rx.m.nfds || c->rx.got)
				abort();
			drop_conn();
			conn_close(c);
			conn_open(c);
			return;
		}
		{
			struct vx_outcome o = vx_dev_handle(&dev, &c->rx.m);

			check_outcome(&c->rx.m, o);
			check_dev(&dev);
			c->rx.got = 0;
			c->rx.m.nfds = 0;
			if (o.drop) {
				drop_conn();
				conn_close(c);
				conn_open(c);
				return;
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { .d = data, .n = size };
	static uint8_t payload[0x10000];
	struct conn c;
	uint8_t b0;
	int guest;

	b0 = fz_u8(&f);
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "fz");
	dev.max_qp = 1 + (b0 & 7);
	vx_dev_init(&dev);
	dev.mem.keep_fds = b0 & 0x10;
	dev.attached = true;
	guest = fz_memfd("guest", GUEST_SIZE);
	conn_open(&c);

	while (fz_left(&f) >= 2) {
		uint8_t op = fz_u8(&f);
		bool sock = op & 0x80;
		unsigned int nfds = fz_u8(&f) % (sock ? 10 : 4), i;
		int fds[16];
		uint32_t flags = VU_FLAG_VERSION;
		uint16_t len;

		for (i = 0; i < nfds; i++) {
			fds[i] = make_fd(fz_u8(&f), guest);
			if (fds[i] < 0)
				abort();
		}
		if (sock)
			flags ^= fz_u8(&f);
		else if (op & 0x40)
			flags |= VU_FLAG_NEED_REPLY;
		len = fz_u16(&f);
		if (!sock) {
			struct vu_msg m;
			struct vx_outcome o;

			memset(&m, 0, sizeof(m));
			/* 63: any 32-bit request (unknown ones are refused). */
			m.hdr.request = (op & 0x3f) == 0x3f ? fz_u32(&f) : op & 0x3f;
			m.hdr.flags = flags;
			m.hdr.size = len % (sizeof(m.p) + 1);
			fz_bytes(&f, &m.p, m.hdr.size);
			memcpy(m.fds, fds, nfds * sizeof(int));
			m.nfds = nfds;
			o = vx_dev_handle(&dev, &m);
			check_outcome(&m, o);
			check_dev(&dev);
			if (o.drop)
				drop_conn();
		} else {
			struct vu_hdr h = { .request = op & 0x3f, .flags = flags, .size = len };
			size_t plen = fz_bytes(&f, payload, len);

			via_socket(&c, &h, payload, plen, fds, nfds);
		}
	}

	conn_close(&c);
	vx_dev_disconnect(&dev);
	vx_dev_free(&dev);
	close(guest);
	fz_check_leaks();
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vu_msg.h"

void vu_msg_close_fds(struct vu_msg *m)
{
	unsigned int i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

int vu_msg_take_fd(struct vu_msg *m, unsigned int i)
{
	int fd;

	if (i >= m->nfds)
		return -1;
	fd = m->fds[i];
	m->fds[i] = -1;
	return fd;
}

/* Collects SCM_RIGHTS fds; any beyond VU_MAX_FDS are closed and counted as an error. */
static int msg_collect_fds(struct msghdr *mh, struct vu_msg *m)
{
	struct cmsghdr *c;
	int err = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t i, n;
		int *fds = (int *)CMSG_DATA(c);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			if (m->nfds < VU_MAX_FDS) {
				m->fds[m->nfds++] = fds[i];
			} else {
				close(fds[i]);
				err = -EMSGSIZE;
			}
		}
	}
	return err;
}

void vu_rx_reset(struct vu_rx *rx)
{
	vu_msg_close_fds(&rx->m);
	rx->got = 0;
}

/* Where the next bytes go, and how many are still missing. */
static void *rx_cursor(struct vu_rx *rx, size_t *len)
{
	const size_t hl = sizeof(rx->m.hdr);

	if (rx->got < hl) {
		*len = hl - rx->got;
		return (uint8_t *)&rx->m.hdr + rx->got;
	}
	*len = hl + rx->m.hdr.size - rx->got;
	return (uint8_t *)&rx->m.p + (rx->got - hl);
}

/* The header is complete: is it one we may read the payload of? */
static int rx_check_hdr(const struct vu_rx *rx)
{
	if ((rx->m.hdr.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION)
		return -EPROTO;
	if (rx->m.hdr.size > sizeof(rx->m.p))
		return -EMSGSIZE;
	return 0;
}

static int rx_step(int sock, struct vu_rx *rx)
{
	char ctl[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	struct iovec iov;
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = sizeof(ctl),
	};
	ssize_t n;
	int err;

	iov.iov_base = rx_cursor(rx, &iov.iov_len);
	if (!iov.iov_len)
		return 1;
	/*
	 * fds belong to the header (vhost-user.rst: sent with the message, so
	 * with its first byte); any riding on payload bytes are not taken, and
	 * the kernel closes them when no control buffer is given.
	 */
	if (rx->got >= sizeof(rx->m.hdr))
		mh.msg_controllen = 0, mh.msg_control = NULL;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return -errno;
	err = msg_collect_fds(&mh, &rx->m);
	if (!err && mh.msg_control && (mh.msg_flags & MSG_CTRUNC))
		err = -EMSGSIZE;
	if (err)
		return err;
	rx->got += (size_t)n;
	if (rx->got == sizeof(rx->m.hdr) && (err = rx_check_hdr(rx)))
		return err;
	rx_cursor(rx, &iov.iov_len);
	return rx->got >= sizeof(rx->m.hdr) && !iov.iov_len;
}

int vu_rx_step(int sock, struct vu_rx *rx)
{
	int r;

	while ((r = rx_step(sock, rx)) == 0)
		;
	if (r == -EAGAIN || r == -EWOULDBLOCK)
		return 0;
	if (r < 0)
		vu_rx_reset(rx);
	return r;
}

int vu_msg_recv(int sock, struct vu_msg *m)
{
	struct vu_rx rx = { .got = 0 };
	int r;

	rx.m.nfds = 0;
	while ((r = rx_step(sock, &rx)) == 0)
		;
	if (r < 0) {
		vu_rx_reset(&rx);
		return r;
	}
	*m = rx.m;
	return 0;
}

int vu_msg_reply(int sock, struct vu_msg *m, uint32_t size)
{
	struct vu_hdr hdr = {
		.request = m->hdr.request,
		.flags = VU_FLAG_VERSION | VU_FLAG_REPLY,
		.size = size,
	};
	struct iovec iov[2] = {
		{ .iov_base = &hdr, .iov_len = sizeof(hdr) },
		{ .iov_base = &m->p, .iov_len = size },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(hdr) + size ? 0 : -EIO;
}

const char *vu_request_name(uint32_t request)
{
	static const char *const names[VU_REQUEST_MAX] = {
		[VU_GET_FEATURES] = "GET_FEATURES",
		[VU_SET_FEATURES] = "SET_FEATURES",
		[VU_SET_OWNER] = "SET_OWNER",
		[VU_RESET_OWNER] = "RESET_OWNER",
		[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VU_SET_LOG_BASE] = "SET_LOG_BASE",
		[VU_SET_LOG_FD] = "SET_LOG_FD",
		[VU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VU_GET_VRING_BASE] = "GET_VRING_BASE",
		[VU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VU_SET_VRING_ERR] = "SET_VRING_ERR",
		[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
		[VU_SEND_RARP] = "SEND_RARP",
		[VU_NET_SET_MTU] = "NET_SET_MTU",
		[VU_RESET_DEVICE] = "RESET_DEVICE",
		[VU_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
		[VU_ADD_MEM_REG] = "ADD_MEM_REG",
		[VU_REM_MEM_REG] = "REM_MEM_REG",
	};

	if (request < VU_REQUEST_MAX && names[request])
		return names[request];
	return "UNKNOWN";
}

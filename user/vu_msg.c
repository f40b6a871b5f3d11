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

/* Reads exactly len bytes; stream sockets may split a message. */
static int read_full(int sock, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(sock, p, len, 0);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vu_msg_recv(int sock, struct vu_msg *m)
{
	char ctl[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl,
		.msg_controllen = sizeof(ctl),
	};
	ssize_t n;
	int err;

	m->nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -ECONNRESET;
	if (n < 0)
		return -errno;
	err = msg_collect_fds(&mh, m);
	if (!err && (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
		err = -EMSGSIZE;
	if (!err && (size_t)n < sizeof(m->hdr))
		err = read_full(sock, (uint8_t *)&m->hdr + n, sizeof(m->hdr) - (size_t)n);
	if (!err && (m->hdr.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION)
		err = -EPROTO;
	if (!err && m->hdr.size > sizeof(m->p))
		err = -EMSGSIZE;
	if (!err && m->hdr.size)
		err = read_full(sock, &m->p, m->hdr.size);
	if (err)
		vu_msg_close_fds(m);
	return err;
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

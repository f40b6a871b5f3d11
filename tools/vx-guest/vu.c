// SPDX-License-Identifier: GPL-2.0
/*
 * The vhost-user transport (QEMU docs/interop/vhost-user.rst), front-end
 * side: each op is one request, with REPLY_ACK asked for on every request
 * that has no reply of its own, so that a refusal is seen where it happens.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vg.h"
#include "vu_msg.h"

#include <linux/vhost_types.h>

#define BIT(n) (1ull << (n))

static int vu_send(struct vg_dev *d, uint32_t req, const void *p, uint32_t size, int fd,
		   bool need_reply)
{
	struct vu_hdr hdr = { .request = req, .flags = VU_FLAG_VERSION, .size = size };
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)p, size } };
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (need_reply)
		hdr.flags |= VU_FLAG_NEED_REPLY;
	if (fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(d->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(hdr) + size ? 0 : -EIO;
}

/* Waits for the reply to req; copies at most size bytes of its payload to p. */
static int vu_reply(struct vg_dev *d, uint32_t req, void *p, uint32_t size)
{
	struct vu_msg m;
	int err = vu_msg_recv(d->sock, &m);

	if (err)
		return err;
	vu_msg_close_fds(&m);
	if (m.hdr.request != req || !(m.hdr.flags & VU_FLAG_REPLY) || m.hdr.size < size)
		return -EPROTO;
	memcpy(p, &m.p, size);
	return 0;
}

/* A request without a reply of its own; with REPLY_ACK, waits for the ack. */
static int vu_set(struct vg_dev *d, uint32_t req, const void *p, uint32_t size, int fd)
{
	bool ack = d->protocol_features & BIT(VU_PF_REPLY_ACK);
	uint64_t status;
	int err = vu_send(d, req, p, size, fd, ack);

	if (err || !ack)
		return err;
	err = vu_reply(d, req, &status, sizeof(status));
	return err ? err : status ? -EIO : 0;
}

static int vu_get_u64(struct vg_dev *d, uint32_t req, uint64_t *v)
{
	int err = vu_send(d, req, NULL, 0, -1, false);

	return err ? err : vu_reply(d, req, v, sizeof(*v));
}

static int vu_set_u64(struct vg_dev *d, uint32_t req, uint64_t v, int fd)
{
	return vu_set(d, req, &v, sizeof(v), fd);
}

static int vu_connect(const char *path, bool server)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, lfd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (!server)
		return connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? (close(fd), -errno) : fd;
	lfd = fd;
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		close(lfd);
		return -errno;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	unlink(path);
	return fd < 0 ? -errno : fd;
}

/* Connects and settles the protocol features; virtio features come later. */
static int vu_open(struct vg_dev *d, const char *path, bool server)
{
	uint64_t f, pf;
	int err;

	d->sock = vu_connect(path, server);
	if (d->sock < 0)
		return d->sock;
	err = vu_get_u64(d, VU_GET_FEATURES, &f);
	if (err || !(f & BIT(VU_F_PROTOCOL_FEATURES)))
		return err;
	err = vu_get_u64(d, VU_GET_PROTOCOL_FEATURES, &pf);
	if (err)
		return err;
	pf &= BIT(VU_PF_REPLY_ACK) | (d->want_mem_slots ? BIT(VU_PF_CONFIGURE_MEM_SLOTS) : 0) |
	      (d->want_log ? BIT(VU_PF_LOG_SHMFD) : 0);
	err = vu_set_u64(d, VU_SET_PROTOCOL_FEATURES, pf, -1);
	if (!err)
		d->protocol_features = pf;
	return err;
}

static void vu_close(struct vg_dev *d)
{
	if (d->sock >= 0)
		close(d->sock);
	d->sock = -1;
}

static int vu_get_features(struct vg_dev *d, uint64_t *f)
{
	return vu_get_u64(d, VU_GET_FEATURES, f);
}

static int vu_set_features(struct vg_dev *d, uint64_t f)
{
	/* PROTOCOL_FEATURES stays acked, or the rings would start enabled. */
	if (d->protocol_features)
		f |= BIT(VU_F_PROTOCOL_FEATURES);
	return vu_set_u64(d, VU_SET_FEATURES, f, -1);
}

static int vu_set_owner(struct vg_dev *d)
{
	return vu_set(d, VU_SET_OWNER, NULL, 0, -1);
}

static int vu_set_mem_table(struct vg_dev *d)
{
	struct vu_mem_table t = { .nregions = 1 };

	t.regions[0].gpa = 0;
	t.regions[0].size = d->mem.size;
	t.regions[0].uva = (uintptr_t)d->mem.base;
	t.regions[0].mmap_offset = 0;
	return vu_set(d, VU_SET_MEM_TABLE, &t, 8 + sizeof(t.regions[0]), d->mem.fd);
}

static int vu_state(struct vg_dev *d, uint32_t req, unsigned int q, unsigned int num)
{
	struct vu_vring_state s = { .index = q, .num = num };

	return vu_set(d, req, &s, sizeof(s), -1);
}

static int vu_set_vring_num(struct vg_dev *d, unsigned int q, unsigned int num)
{
	return vu_state(d, VU_SET_VRING_NUM, q, num);
}

static int vu_set_vring_base(struct vg_dev *d, unsigned int q, unsigned int base)
{
	return vu_state(d, VU_SET_VRING_BASE, q, base);
}

static int vu_set_vring_enable(struct vg_dev *d, unsigned int q, bool on)
{
	return vu_state(d, VU_SET_VRING_ENABLE, q, on);
}

static int vu_get_vring_base(struct vg_dev *d, unsigned int q, unsigned int *base)
{
	struct vu_vring_state s = { .index = q };
	int err = vu_send(d, VU_GET_VRING_BASE, &s, sizeof(s), -1, false);

	if (!err)
		err = vu_reply(d, VU_GET_VRING_BASE, &s, sizeof(s));
	*base = s.num;
	return err;
}

static int vu_set_vring_addr(struct vg_dev *d, unsigned int q)
{
	const struct vg_vq *vq = &d->vq[q];
	struct vu_vring_addr a = {
		.index = q,
		.desc_uva = (uintptr_t)vq->desc,
		.avail_uva = (uintptr_t)vq->avail,
		.used_uva = (uintptr_t)vq->used,
	};

	/* As QEMU does while migrating: log used-ring writes at the ring's guest address. */
	if (d->log_rings) {
		a.flags = 1u << VHOST_VRING_F_LOG;
		a.log_gpa = vq->used_gpa;
	}

	return vu_set(d, VU_SET_VRING_ADDR, &a, sizeof(a), -1);
}

static int vu_vring_fd(struct vg_dev *d, uint32_t req, unsigned int q, int fd)
{
	return vu_set_u64(d, req, fd < 0 ? (q | VU_VRING_NOFD) : q, fd);
}

static int vu_set_vring_kick(struct vg_dev *d, unsigned int q, int fd)
{
	return vu_vring_fd(d, VU_SET_VRING_KICK, q, fd);
}

static int vu_set_vring_call(struct vg_dev *d, unsigned int q, int fd)
{
	return vu_vring_fd(d, VU_SET_VRING_CALL, q, fd);
}

static int vu_set_vring_err(struct vg_dev *d, unsigned int q, int fd)
{
	return vu_vring_fd(d, VU_SET_VRING_ERR, q, fd);
}

/*
 * ADD_MEM_REG or REM_MEM_REG (vhost-user.rst, CONFIGURE_MEM_SLOTS) for the
 * region of m at gpa; REM sends the fd too, as QEMU does.
 */
int vg_vu_mem_reg(struct vg_dev *d, bool add, const struct vg_mem *m, uint64_t gpa)
{
	struct vu_mem_reg r = { 0 };

	if (!(d->protocol_features & BIT(VU_PF_CONFIGURE_MEM_SLOTS)))
		return -ENOTSUP;
	r.region.gpa = gpa;
	r.region.size = m->size;
	r.region.uva = (uintptr_t)m->base;
	r.region.mmap_offset = 0;
	return vu_set(d, add ? VU_ADD_MEM_REG : VU_REM_MEM_REG, &r, sizeof(r), m->fd);
}

/* SET_LOG_BASE has a reply of its own with LOG_SHMFD (vhost-user.rst). */
static int vu_set_log_base(struct vg_dev *d, int fd, uint64_t size)
{
	struct vu_log l = { .size = size, .offset = 0 };
	uint64_t r = 1;
	int err = vu_send(d, VU_SET_LOG_BASE, &l, sizeof(l), fd, false);

	if (!err)
		err = vu_reply(d, VU_SET_LOG_BASE, &r, sizeof(r));
	return err ? err : r ? -EIO : 0;
}

const struct vg_ops vg_vhost_user_ops = {
	.set_log_base = vu_set_log_base,
	.open = vu_open,
	.close = vu_close,
	.get_features = vu_get_features,
	.set_features = vu_set_features,
	.set_owner = vu_set_owner,
	.set_mem_table = vu_set_mem_table,
	.set_vring_num = vu_set_vring_num,
	.set_vring_base = vu_set_vring_base,
	.get_vring_base = vu_get_vring_base,
	.set_vring_addr = vu_set_vring_addr,
	.set_vring_kick = vu_set_vring_kick,
	.set_vring_call = vu_set_vring_call,
	.set_vring_err = vu_set_vring_err,
	.set_vring_enable = vu_set_vring_enable,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-user: the wire format (vu_msg_recv) and the request handlers
 * (vx_dev_handle), driven by a hostile front-end over a socketpair
 * (hostile-inputs.md classes 1-8 and 19). Every refusal must close the fds
 * that came with the message, and leave the previous state - memory table,
 * rings, eventfds - intact and usable.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vhost_types.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "fixtures.h"
#include "log.h"
#include "tap.h"
#include "port.h"
#include "vhost_user.h"
#include "vu_msg.h"

#define BIT(n)	 (1ull << (n))
#define NUM	 8
#define NO_REPLY (-1000)

static struct vx_dev dev;
static int vmm = -1; /* the front-end's end of the socket */
static int last_err; /* what vu_msg_recv or vx_dev_handle returned */

/* The guest: region A of fixtures.h as one memfd, also mapped here (the guest's view). */
static int mem_fd = -1;
static uint8_t *guest;
static struct fx_ring ring;

static void *gpa(uint64_t a)
{
	return guest + FX_OFF_A + (a - FX_GPA_A);
}

/* A device with qp queue pairs (GET_QUEUE_NUM); conn_open() gives the one-pair device. */
static void conn_open_qp(uint16_t qp)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(2);
	}
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "t0");
	dev.max_qp = qp;
	vx_dev_init(&dev);
	dev.sock = sv[0];
	vmm = sv[1];
}

static void conn_open(void)
{
	conn_open_qp(1);
}

static void conn_close(void)
{
	vx_dev_disconnect(&dev);
	vx_dev_free(&dev); /* conn_open starts from a zeroed device */
	close(dev.sock);
	close(vmm);
	dev.sock = vmm = -1;
}

static int send_raw(const void *buf, size_t len, const int *fds, int nfds)
{
	char ctl[CMSG_SPACE(sizeof(int) * 253)];
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (nfds) {
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(vmm, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

static void vmm_send(uint32_t req, uint32_t flags, const void *p, uint32_t size, const int *fds,
		     int nfds)
{
	uint8_t buf[sizeof(struct vu_hdr) + 1024];
	struct vu_hdr h = {.request = req, .flags = flags, .size = size};

	memcpy(buf, &h, sizeof(h));
	if (size)
		memcpy(buf + sizeof(h), p, size);
	if (send_raw(buf, sizeof(h) + size, fds, nfds)) {
		perror("sendmsg");
		exit(2);
	}
}

/* The device receives and handles one message; returns (and records) the result. */
static int dev_step(void)
{
	struct vu_msg m;

	memset(&m, 0x5a, sizeof(m)); /* no stale zeroes to hide behind */
	last_err = vu_msg_recv(dev.sock, &m);
	if (!last_err)
		last_err = vx_conn_dispatch(&dev, dev.sock, &m);
	return last_err;
}

/* Reads a reply if one is waiting: returns its payload size, or NO_REPLY. */
static int vmm_reply(struct vu_hdr *h, void *p, size_t max)
{
	ssize_t n = recv(vmm, h, sizeof(*h), MSG_DONTWAIT);

	if (n != (ssize_t)sizeof(*h))
		return NO_REPLY;
	if (h->size > max || recv(vmm, p, h->size, MSG_DONTWAIT) != (ssize_t)h->size) {
		tap_diag("bad reply: size %u", h->size);
		return NO_REPLY;
	}
	return (int)h->size;
}

/*
 * Sends a request with NEED_REPLY and returns the ack's value (0 = done,
 * nonzero = refused), or NO_REPLY if none came (see last_err then).
 */
static long long req(uint32_t r, const void *p, uint32_t size, const int *fds, int nfds)
{
	struct vu_hdr h;
	uint64_t v = 0;

	vmm_send(r, VU_FLAG_VERSION | VU_FLAG_NEED_REPLY, p, size, fds, nfds);
	dev_step();
	if (vmm_reply(&h, &v, sizeof(v)) != 8 || h.request != r ||
	    h.flags != (VU_FLAG_VERSION | VU_FLAG_REPLY))
		return NO_REPLY;
	return (long long)v;
}

static long long req_u64(uint32_t r, uint64_t v, const int *fds, int nfds)
{
	return req(r, &v, 8, fds, nfds);
}

static long long req_state(uint32_t r, uint32_t index, uint32_t num)
{
	struct vu_vring_state s = {index, num};

	return req(r, &s, sizeof(s), NULL, 0);
}

/* A GET request: returns the u64 reply, or NO_REPLY. */
static long long get_u64(uint32_t r)
{
	struct vu_hdr h;
	uint64_t v;

	vmm_send(r, VU_FLAG_VERSION, NULL, 0, NULL, 0);
	dev_step();
	if (vmm_reply(&h, &v, sizeof(v)) != 8 || h.request != r)
		return NO_REPLY;
	return (long long)v;
}

static void negotiate(uint64_t features)
{
	req_u64(VU_SET_FEATURES, features | BIT(VU_F_PROTOCOL_FEATURES), NULL, 0);
	req_u64(VU_SET_PROTOCOL_FEATURES, vx_dev_protocol_features(), NULL, 0);
}

/* size may disagree with nregions; up to 9 regions are laid out. */
static long long set_mem_table(const struct vu_region *r, uint32_t nregions, uint32_t size,
			       const int *fds, int nfds)
{
	uint8_t buf[8 + 9 * sizeof(struct vu_region)] = {0};

	memcpy(buf, &nregions, 4);
	memcpy(buf + 8, r, sizeof(*r) * (nregions < 9 ? nregions : 9));
	return req(VU_SET_MEM_TABLE, buf, size < sizeof(buf) ? size : sizeof(buf), fds, nfds);
}

#define TABLE_SIZE(n) (8 + 32 * (n))

static const struct vu_region region_a = {FX_GPA_A, FX_SIZE_A, FX_UVA_A, FX_OFF_A};
static const struct vu_region region_b = {FX_GPA_B, FX_SIZE_B, FX_UVA_B, 0};

static long long set_table_a(void)
{
	return set_mem_table(&region_a, 1, TABLE_SIZE(1), &mem_fd, 1);
}

static long long vring_fd(uint32_t r, uint64_t v, bool with_fd)
{
	int fd = fx_eventfd();
	long long a = req_u64(r, v, &fd, with_fd ? 1 : 0);

	close(fd);
	return a;
}

/* Rings of vq 0 in region A, started and enabled, as QEMU would do it. */
static void start_vq0(void)
{
	struct vu_vring_addr a = {
	    0, 0, FX_UVA_A + FX_DESC_OFF, FX_UVA_A + FX_USED_OFF, FX_UVA_A + FX_AVAIL_OFF, 0};

	ring.num = NUM;
	ring.desc = gpa(FX_GPA_A + FX_DESC_OFF);
	ring.avail = gpa(FX_GPA_A + FX_AVAIL_OFF);
	ring.used = gpa(FX_GPA_A + FX_USED_OFF);
	memset(ring.desc, 0, 0x10000);
	req_state(VU_SET_VRING_NUM, 0, NUM);
	req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	req_state(VU_SET_VRING_BASE, 0, 0);
	vring_fd(VU_SET_VRING_KICK, 0, true);
	vring_fd(VU_SET_VRING_CALL, 0, true);
	vring_fd(VU_SET_VRING_ERR, 0, true);
	req_state(VU_SET_VRING_ENABLE, 0, 1);
}

/* The guest posts one readable buffer holding `tag`; the device must pop and read it. */
static bool ring_works(uint8_t tag)
{
	static uint16_t slot;
	struct vx_chain c;
	uint64_t buf = FX_BUF_GPA + 0x100ull * (slot % 8);
	uint8_t got = 0;

	if (!vx_vq_active(&dev.vq[0]))
		return false;
	memset(gpa(buf), tag, 16);
	fx_ring_desc(&ring, slot % NUM, buf, 16, 0, 0);
	fx_ring_avail(&ring, slot % NUM);
	slot++;
	if (vx_vq_pop(&dev.vq[0], &c) != 1 || vx_chain_read(&c, 15, &got, 1) != 1 || got != tag)
		return false;
	/* Complete it, as the worker does: this back-end uses buffers in order. */
	vx_vq_push(&dev.vq[0], c.head, 0);
	vx_vq_flush(&dev.vq[0]);
	return true;
}

/* ---- wire format ---- */

static void recv_refused(const char *what, int want, const void *buf, size_t len, int nfds,
			 bool eof)
{
	int fds[253], i, before;

	conn_open();
	before = fx_count_fds();
	for (i = 0; i < nfds; i++)
		fds[i] = i ? fds[0] : fx_eventfd();
	send_raw(buf, len, fds, nfds);
	if (nfds)
		close(fds[0]);
	if (eof)
		shutdown(vmm, SHUT_WR);
	{
		struct vu_msg m;

		memset(&m, 0, sizeof(m));
		tap_is(vu_msg_recv(dev.sock, &m), want, what);
		tap_ok(m.nfds == 0 && fx_count_fds() == before,
		       "  ... every fd that came with it closed (%d fds sent)", nfds);
	}
	conn_close();
}

static void test_wire(void)
{
	struct {
		struct vu_hdr h;
		uint8_t p[600];
	} msg = {{VU_GET_FEATURES, VU_FLAG_VERSION, 0}, {0}};
	struct vu_msg m;
	uint64_t v = 0x1234;
	int fd, before;

	msg.h.size = sizeof(union vu_payload) + 1;
	recv_refused("header size 513 > payload max: -EMSGSIZE", -EMSGSIZE, &msg,
		     sizeof(msg.h) + msg.h.size, 2, false);
	msg.h.size = UINT32_MAX;
	recv_refused("header size 0xffffffff: -EMSGSIZE", -EMSGSIZE, &msg, sizeof(msg.h), 1, false);
	msg.h.size = 0;
	recv_refused("short header then EOF: -ECONNRESET", -ECONNRESET, &msg, 6, 1, true);
	msg.h.size = 8;
	recv_refused("EOF in the middle of the payload: -ECONNRESET", -ECONNRESET, &msg,
		     sizeof(msg.h) + 4, 1, true);
	recv_refused("EOF right after the header: -ECONNRESET", -ECONNRESET, &msg, sizeof(msg.h), 3,
		     true);
	msg.h.size = 0;
	msg.h.flags = 0;
	recv_refused("version 0: -EPROTO", -EPROTO, &msg, sizeof(msg.h), 1, false);
	msg.h.flags = 2;
	recv_refused("version 2: -EPROTO", -EPROTO, &msg, sizeof(msg.h), 1, false);
	msg.h.flags = 3 | VU_FLAG_NEED_REPLY;
	recv_refused("version 3: -EPROTO", -EPROTO, &msg, sizeof(msg.h), 1, false);
	msg.h.flags = VU_FLAG_VERSION;
	recv_refused("VU_MAX_FDS + 1 fds: -EMSGSIZE", -EMSGSIZE, &msg, sizeof(msg.h),
		     VU_MAX_FDS + 1, false);
	recv_refused("253 fds: -EMSGSIZE", -EMSGSIZE, &msg, sizeof(msg.h), 253, false);

	/* EOF on a message boundary is the clean end of a connection. */
	conn_open();
	shutdown(vmm, SHUT_WR);
	tap_is(vu_msg_recv(dev.sock, &m), -ECONNRESET, "EOF between messages: -ECONNRESET");
	conn_close();

	/* A stream may split a message anywhere; the fds ride on its first byte. */
	before = fx_count_fds();
	conn_open();
	fd = fx_eventfd();
	msg.h.request = VU_SET_VRING_CALL;
	msg.h.size = 8;
	memset(msg.p, 0, 8);
	send_raw(&msg, 5, &fd, 1);
	send_raw((uint8_t *)&msg + 5, sizeof(msg.h) + 8 - 5, NULL, 0);
	close(fd);
	tap_ok(vu_msg_recv(dev.sock, &m) == 0 && m.nfds == 1 && m.hdr.size == 8 &&
		   m.hdr.request == VU_SET_VRING_CALL,
	       "header split over two segments is reassembled, fd kept");
	tap_ok(vx_conn_dispatch(&dev, dev.sock, &m) == 0 && dev.vq[0].call_fd >= 0, "  ... and handled");
	conn_close();
	tap_is(fx_count_fds(), before, "  ... disconnect closed it");

	/* An exact VU_MAX_FDS is accepted by recv (the handler decides). */
	conn_open();
	before = fx_count_fds();
	fd = fx_eventfd();
	{
		int fds[VU_MAX_FDS], i;

		for (i = 0; i < VU_MAX_FDS; i++)
			fds[i] = fd;
		vmm_send(VU_SET_FEATURES, VU_FLAG_VERSION, &v, 8, fds, VU_MAX_FDS);
	}
	close(fd);
	tap_ok(vu_msg_recv(dev.sock, &m) == 0 && m.nfds == VU_MAX_FDS, "VU_MAX_FDS fds received");
	tap_is(vx_conn_dispatch(&dev, dev.sock, &m), -EBADMSG, "  ... SET_FEATURES with fds: -EBADMSG");
	tap_is(fx_count_fds(), before, "  ... all closed");
	conn_close();
}

/* Fds on a request that takes none, again and again (CVE-2019-14818). */
static void test_fd_flood(void)
{
	int fds[3], before, i, bad = 0;

	conn_open();
	fds[0] = fx_eventfd();
	fds[1] = fx_memfd(4096, false);
	fds[2] = dup(fds[0]);
	before = fx_count_fds();
	for (i = 0; i < 2000; i++) {
		vmm_send(VU_GET_FEATURES, VU_FLAG_VERSION, NULL, 0, fds, 3);
		bad += dev_step() != -EBADMSG;
	}
	tap_is(bad, 0, "GET_FEATURES with 3 fds refused 2000 times (-EBADMSG)");
	tap_is(fx_count_fds(), before, "  ... and the fd count did not grow");
	{
		struct vu_hdr h;
		uint64_t v;

		tap_is(vmm_reply(&h, &v, 8), NO_REPLY, "  ... and nothing was answered");
	}
	for (i = 0; i < 3; i++)
		close(fds[i]);
	conn_close();
}

/* ---- requests ---- */

static void test_features(void)
{
	struct vu_hdr h;
	uint64_t v = 0;

	conn_open();
	tap_is(get_u64(VU_GET_FEATURES), (long long)vx_dev_features(), "GET_FEATURES replies");
	tap_is(get_u64(VU_GET_PROTOCOL_FEATURES), (long long)vx_dev_protocol_features(),
	       "GET_PROTOCOL_FEATURES replies");
	tap_is(get_u64(VU_GET_QUEUE_NUM), 1, "GET_QUEUE_NUM replies 1 for a one-pair port");
	tap_is(get_u64(VU_GET_MAX_MEM_SLOTS), VX_MEM_MAX_REGIONS, "GET_MAX_MEM_SLOTS replies");
	vmm_send(VU_GET_FEATURES, VU_FLAG_VERSION, &v, 8, NULL, 0);
	tap_ok(dev_step() == -EBADMSG && vmm_reply(&h, &v, 8) == NO_REPLY,
	       "GET_FEATURES with a payload: -EBADMSG");

	/* Without REPLY_ACK, NEED_REPLY is not answered. */
	tap_is(req_u64(VU_SET_FEATURES, BIT(63), NULL, 0), NO_REPLY,
	       "no ack before REPLY_ACK is negotiated");
	tap_is(dev.features, 0, "  ... but unoffered feature bit 63 refused");
	tap_is(req_u64(VU_SET_PROTOCOL_FEATURES, BIT(40), NULL, 0), NO_REPLY,
	       "unoffered protocol feature");
	tap_is(dev.protocol_features, 0, "  ... refused");
	tap_is(req_u64(VU_SET_PROTOCOL_FEATURES, BIT(VU_PF_REPLY_ACK), NULL, 0), 0,
	       "REPLY_ACK negotiated: acked");
	tap_is(req_u64(VU_SET_FEATURES, vx_dev_features() | BIT(VIRTIO_NET_F_GUEST_UFO), NULL, 0), 1,
	       "SET_FEATURES with unoffered GUEST_UFO: nack");
	tap_is(dev.features, 0, "  ... features unchanged");
	tap_is(req_u64(VU_SET_FEATURES,
		       BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_EVENT_IDX) |
			   BIT(VU_F_PROTOCOL_FEATURES),
		       NULL, 0),
	       0, "SET_FEATURES VERSION_1 | EVENT_IDX: ack");
	tap_ok(dev.rxfmt.hdr_len == 12 && dev.vq[0].event_idx && dev.vq[1].event_idx && !dev.rxfmt.mrg_rxbuf,
	       "  ... 12-byte header, event idx on both queues");

	/* Unknown requests. */
	tap_is(req(VU_REQUEST_MAX - 1, NULL, 0, NULL, 0), 1, "unknown request 63: nack");
	tap_is(last_err, 0, "  ... connection kept");
	tap_is(req(1000, &v, 8, NULL, 0), 1, "request 1000 with a payload: nack");
	tap_is(req(0, NULL, 0, NULL, 0), 1, "request 0: nack");
	tap_is(req(UINT32_MAX, NULL, 0, NULL, 0), 1, "request 0xffffffff: nack");
	{
		int fd = fx_eventfd(), before;

		before = fx_count_fds();
		tap_is(req(21, NULL, 0, &fd, 1), 1, "unknown request with an fd: nack");
		tap_is(fx_count_fds(), before, "  ... fd closed");
		close(fd);
	}
	{
		int fd = fx_memfd(4096, false), before = fx_count_fds();
		uint8_t inflight[24] = {0};

		tap_is(req(31, inflight, sizeof(inflight), NULL, 0), 1,
		       "GET_INFLIGHT_FD (not offered): nack");
		tap_is(req(32, inflight, sizeof(inflight), &fd, 1), 1,
		       "SET_INFLIGHT_FD (not offered) with an fd: nack");
		tap_is(fx_count_fds(), before, "  ... fd closed");
		close(fd);
	}
	vmm_send(VU_REQUEST_MAX - 1, VU_FLAG_VERSION, NULL, 0, NULL, 0);
	tap_ok(dev_step() == 0 && vmm_reply(&h, &v, 8) == NO_REPLY,
	       "unknown request without NEED_REPLY: ignored, no reply");
	tap_is(get_u64(VU_GET_FEATURES), (long long)vx_dev_features(),
	       "stream still in sync after all that");

	tap_is(req_u64(VU_NET_SET_MTU, 67, NULL, 0), 1, "NET_SET_MTU 67: nack");
	tap_is(req_u64(VU_NET_SET_MTU, 68, NULL, 0), 0, "NET_SET_MTU 68: ack");
	tap_is(req_u64(VU_NET_SET_MTU, 65535, NULL, 0), 0, "NET_SET_MTU 65535: ack");
	tap_is(req_u64(VU_NET_SET_MTU, 65536, NULL, 0), 1, "NET_SET_MTU 65536: nack");
	tap_is(req_u64(VU_NET_SET_MTU, (1ull << 32) | 1500, NULL, 0), 1,
	       "NET_SET_MTU with high bits: nack");
	tap_is(dev.mtu, 65535, "  ... MTU is the last accepted one");
	conn_close();
}

/* VIRTIO_NET_F_MQ: offered with more than one pair; rings exist up to 2 * pairs. */
static void test_multiqueue(void)
{
	conn_open();
	req_u64(VU_SET_PROTOCOL_FEATURES, BIT(VU_PF_REPLY_ACK) | BIT(VU_PF_MQ), NULL, 0);
	tap_ok(!(get_u64(VU_GET_FEATURES) & BIT(VIRTIO_NET_F_MQ)), "one pair: MQ not offered");
	tap_is(req_u64(VU_SET_FEATURES, vx_dev_features() | BIT(VIRTIO_NET_F_MQ), NULL, 0), 1,
	       "  ... and refused in SET_FEATURES");
	conn_close();

	conn_open_qp(4);
	req_u64(VU_SET_PROTOCOL_FEATURES, BIT(VU_PF_REPLY_ACK) | BIT(VU_PF_MQ), NULL, 0);
	tap_is(get_u64(VU_GET_FEATURES), (long long)(vx_dev_features() | BIT(VIRTIO_NET_F_MQ)),
	       "four pairs: GET_FEATURES adds MQ");
	tap_is(get_u64(VU_GET_QUEUE_NUM), 4, "  ... GET_QUEUE_NUM replies 4");
	tap_is(req_u64(VU_SET_FEATURES, vx_dev_features() | BIT(VIRTIO_NET_F_MQ), NULL, 0), 0,
	       "  ... SET_FEATURES with MQ: ack");
	tap_is(req_state(VU_SET_VRING_NUM, 7, 256), 0, "  ... SET_VRING_NUM index 7: ack");
	tap_is(req_state(VU_SET_VRING_ENABLE, 7, 1), 0, "  ... SET_VRING_ENABLE index 7: ack");
	tap_ok(dev.vq[7].num == 256 && dev.vq[7].enabled, "  ... transmitq4 configured");
	tap_is(req_state(VU_SET_VRING_NUM, 8, 256), 1, "  ... SET_VRING_NUM index 8: nack");
	tap_is(vring_fd(VU_SET_VRING_KICK, 8, true), 1, "  ... SET_VRING_KICK index 8: nack");
	tap_ok(dev.vq[8].num == 0 && dev.vq[8].kick_fd < 0, "  ... vq 8 untouched");
	conn_close();

	conn_open_qp(VX_DEV_MAX_QP);
	req_u64(VU_SET_PROTOCOL_FEATURES, BIT(VU_PF_REPLY_ACK), NULL, 0);
	tap_is(get_u64(VU_GET_QUEUE_NUM), VX_DEV_MAX_QP, "the most pairs: GET_QUEUE_NUM replies it");
	tap_is(req_state(VU_SET_VRING_NUM, VX_VQ_MAX - 1, 64), 0, "  ... last ring: ack");
	tap_is(req_state(VU_SET_VRING_NUM, VX_VQ_MAX, 64), 1, "  ... one past it: nack");
	conn_close();
}

static void test_vring_index(void)
{
	int before, old_kick, old_call;

	conn_open();
	negotiate(0);
	tap_is(set_table_a(), 0, "memory table set");
	start_vq0();
	tap_ok(ring_works(1), "vq 0 running");
	before = fx_count_fds();
	old_kick = dev.vq[0].kick_fd;
	old_call = dev.vq[0].call_fd;

	tap_is(req_state(VU_SET_VRING_NUM, 2, 256), 1, "SET_VRING_NUM index 2: nack");
	tap_is(req_state(VU_SET_VRING_NUM, 0x10000, 256), 1,
	       "SET_VRING_NUM index 0x10000 (0 in 16 bits): nack");
	tap_is(req_state(VU_SET_VRING_NUM, UINT32_MAX, 256), 1, "index 0xffffffff: nack");
	tap_is(req_state(VU_SET_VRING_BASE, 0x10000, 5), 1, "SET_VRING_BASE index 0x10000: nack");
	tap_is(req_state(VU_SET_VRING_ENABLE, 0x10000, 0), 1,
	       "SET_VRING_ENABLE index 0x10000: nack");
	tap_is(vring_fd(VU_SET_VRING_KICK, 0x10000, true), 1,
	       "SET_VRING_KICK u64 0x10000 (bit 16): nack");
	tap_is(vring_fd(VU_SET_VRING_KICK, 2, true), 1, "SET_VRING_KICK index 2: nack");
	tap_is(vring_fd(VU_SET_VRING_KICK, 0xff, true), 1, "SET_VRING_KICK index 255: nack");
	tap_is(vring_fd(VU_SET_VRING_KICK, 1ull << 63, true), 1, "SET_VRING_KICK bit 63: nack");
	tap_is(vring_fd(VU_SET_VRING_KICK, VU_VRING_NOFD | 5, false), 1,
	       "SET_VRING_KICK NOFD | index 5: nack");
	tap_is(vring_fd(VU_SET_VRING_CALL, 0x10000, true), 1, "SET_VRING_CALL bit 16: nack");
	tap_is(vring_fd(VU_SET_VRING_ERR, 0x10000, true), 1, "SET_VRING_ERR bit 16: nack");
	tap_ok(fx_count_fds() == before && dev.vq[0].kick_fd == old_kick &&
		   dev.vq[0].call_fd == old_call,
	       "  ... every fd closed, vq 0's eventfds untouched");
	tap_ok(dev.vq[0].num == NUM && dev.vq[0].last_avail == 1 && dev.vq[0].enabled &&
		   dev.vq[1].num == 0,
	       "  ... vq 0 state untouched, vq 1 unconfigured");
	tap_ok(ring_works(2), "  ... vq 0 still runs");

	vmm_send(VU_SET_VRING_KICK, VU_FLAG_VERSION, &(uint64_t){VU_VRING_NOFD}, 8,
		 &(int){dev.vq[0].kick_fd}, 1);
	tap_is(dev_step(), -EBADMSG, "SET_VRING_KICK with NOFD and an fd: -EBADMSG");
	vmm_send(VU_SET_VRING_CALL, VU_FLAG_VERSION, &(uint64_t){0}, 8, NULL, 0);
	tap_is(dev_step(), -EBADMSG, "SET_VRING_CALL without NOFD and without an fd: -EBADMSG");
	vmm_send(VU_SET_VRING_NUM, VU_FLAG_VERSION, &(uint32_t){0}, 4, NULL, 0);
	tap_is(dev_step(), -EBADMSG, "SET_VRING_NUM with a 4-byte payload: -EBADMSG");
	vmm_send(VU_SET_VRING_ADDR, VU_FLAG_VERSION, &(struct vu_vring_addr){0}, 16, NULL, 0);
	tap_is(dev_step(), -EBADMSG, "SET_VRING_ADDR with a short payload: -EBADMSG");
	tap_is(fx_count_fds(), before, "  ... no fd leaked");

	tap_is(req_state(VU_SET_VRING_NUM, 0, 0), 1, "SET_VRING_NUM 0: nack");
	tap_is(req_state(VU_SET_VRING_NUM, 0, 3), 1, "SET_VRING_NUM 3: nack");
	tap_is(req_state(VU_SET_VRING_NUM, 0, 65536), 1, "SET_VRING_NUM 65536: nack");
	tap_is(req_state(VU_SET_VRING_NUM, 0, 65535), 1, "SET_VRING_NUM 65535: nack");
	tap_is(req_state(VU_SET_VRING_NUM, 0, 1u << 31), 1, "SET_VRING_NUM 2^31: nack");
	tap_ok(dev.vq[0].num == NUM && ring_works(3), "  ... num unchanged, ring runs");
	tap_is(req_state(VU_SET_VRING_NUM, 1, 32768), 0, "SET_VRING_NUM 32768 on vq 1: ack");
	tap_is(dev.vq[1].num, 32768, "  ... set");
	tap_is(req_state(VU_SET_VRING_BASE, 0, 0x10000), 1, "SET_VRING_BASE 0x10000: nack");
	tap_is(req_state(VU_SET_VRING_ENABLE, 0, 2), 1, "SET_VRING_ENABLE 2: nack");
	{
		struct vu_vring_addr a = {
		    0, 0x2, FX_UVA_A + FX_DESC_OFF, FX_UVA_A + FX_USED_OFF, FX_UVA_A + FX_AVAIL_OFF,
		    0};

		tap_is(req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 1,
		       "SET_VRING_ADDR unknown flag: nack");
		a.flags = 0;
		a.desc_uva = 0x1000;
		tap_is(req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 1,
		       "SET_VRING_ADDR desc outside memory: nack");
		a.desc_uva = FX_UVA_A + FX_DESC_OFF;
		a.used_uva = FX_UVA_A + FX_SIZE_A - 8;
		tap_is(req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 1,
		       "SET_VRING_ADDR used ring crossing the region end: nack");
		a.used_uva = FX_GPA_A + FX_USED_OFF;
		tap_is(req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 1,
		       "SET_VRING_ADDR with a gpa for a uva: nack");
		tap_ok(dev.vq[0].desc_uva == FX_UVA_A + FX_DESC_OFF &&
			   dev.vq[0].used_uva == FX_UVA_A + FX_USED_OFF && ring_works(4),
		       "  ... old ring addresses kept, ring runs");
	}
	{
		/*
		 * A refused SET_VRING_ADDR after the ring grew (found by
		 * fuzz_vu): vx_vq_map reallocated the segment storage for the
		 * new size before failing, and the handler put the old, freed
		 * pointer back; the next map or pop used it.
		 */
		struct vu_vring_addr a = {0, 0, 0x1000, FX_UVA_A + FX_USED_OFF,
					  FX_UVA_A + FX_AVAIL_OFF, 0};

		tap_is(req(VU_RESET_OWNER, NULL, 0, NULL, 0), 0, "RESET_OWNER: ack");
		set_table_a();
		tap_is(req_state(VU_SET_VRING_NUM, 0, 1024), 0, "SET_VRING_NUM 1024 (no ring yet): ack");
		tap_is(req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 1,
		       "SET_VRING_ADDR outside memory for it: nack");
		tap_ok(dev.vq[0].segs_cap >= 1024 + VX_CHAIN_SPLIT_SEGS,
		       "  ... the segment storage grown for it stays the queue's");
		start_vq0();
		tap_ok(ring_works(5), "  ... and the ring set up again runs");
	}
	conn_close();
}

static void test_vring_base(void)
{
	struct vu_vring_state s = {0, 77};
	struct vu_hdr h;
	int before;

	before = fx_count_fds();
	conn_open();
	vmm_send(VU_GET_VRING_BASE, VU_FLAG_VERSION, &s, sizeof(s), NULL, 0);
	tap_is(dev_step(), 0, "GET_VRING_BASE before any setup: handled");
	memset(&s, 0xff, sizeof(s));
	tap_ok(vmm_reply(&h, &s, sizeof(s)) == 8 && h.request == VU_GET_VRING_BASE &&
		   s.index == 0 && s.num == 0,
	       "  ... replies index 0, base 0");
	s.index = 5;
	vmm_send(VU_GET_VRING_BASE, VU_FLAG_VERSION, &s, sizeof(s), NULL, 0);
	tap_ok(dev_step() < 0 && vmm_reply(&h, &s, sizeof(s)) == NO_REPLY,
	       "GET_VRING_BASE index 5: error, no reply");
	tap_is(vring_fd(VU_SET_VRING_KICK, 0, true), NO_REPLY,
	       "SET_VRING_KICK on a ring with no address (no REPLY_ACK yet)");
	tap_ok(last_err == 0 && dev.vq[0].started && !dev.vq[0].ready,
	       "  ... started but not ready");
	{
		struct vx_chain c;

		tap_is(vx_vq_pop(&dev.vq[0], &c), 0, "  ... pop returns 0");
	}

	negotiate(0);
	set_table_a();
	start_vq0();
	tap_ok(ring_works(1) && ring_works(2), "2 chains consumed");
	s.index = 0;
	s.num = 0;
	vmm_send(VU_GET_VRING_BASE, VU_FLAG_VERSION, &s, sizeof(s), NULL, 0);
	dev_step();
	tap_ok(vmm_reply(&h, &s, sizeof(s)) == 8 && s.num == 2, "GET_VRING_BASE replies 2");
	tap_ok(!vx_vq_active(&dev.vq[0]) && dev.vq[0].kick_fd < 0, "  ... and stopped the ring");
	tap_is(req_state(VU_SET_VRING_BASE, 0, 2), 0, "SET_VRING_BASE 2");
	vring_fd(VU_SET_VRING_KICK, 0, true);
	tap_ok(ring_works(3), "  ... restarted with a new kick, ring runs");
	conn_close();
	tap_is(fx_count_fds(), before, "no fd leaked");
}

static bool mem_same(const struct vx_mem *a, const struct vx_mem *b)
{
	return !memcmp(a, b, sizeof(*a));
}

/* Class 8: a refused table must leave the old one mapped and the rings running. */
static void test_mem_table(void)
{
	struct vu_region r[9];
	struct vx_mem saved;
	int fds[9], small_fd, efd, before_fds, before_maps, i, ok;
	uint8_t tag = 10;

	conn_open();
	negotiate(0);
	tap_is(set_table_a(), 0, "SET_MEM_TABLE with region A: ack");
	start_vq0();
	tap_ok(ring_works(tag++), "ring in region A runs");
	small_fd = fx_memfd(FX_SIZE_A, false); /* misses FX_OFF_A bytes */
	efd = fx_eventfd();
	saved = dev.mem;
	before_fds = fx_count_fds();
	before_maps = fx_count_maps();
	for (i = 0; i < 9; i++) {
		r[i] = region_a;
		r[i].gpa = 0x10000000ull * (uint64_t)(i + 1);
		r[i].uva = 0x7e0000000000ull + 0x10000000ull * (uint64_t)i;
		fds[i] = mem_fd;
	}

#define REFUSED(what, ...)                                                                         \
	do {                                                                                       \
		tap_is(set_mem_table(__VA_ARGS__), 1, what);                                       \
		tap_ok(mem_same(&saved, &dev.mem) && fx_count_maps() == before_maps &&             \
			   fx_count_fds() == before_fds && ring_works(tag++),                      \
		       "  ... old table kept and mapped, no fd/mapping leaked, ring runs");        \
	} while (0)

	REFUSED("nregions 0: nack", r, 0, TABLE_SIZE(0), NULL, 0);
	REFUSED("nregions 9 (with 8 fds): nack", r, 9, TABLE_SIZE(9), fds, 8);
	REFUSED("2 regions, 1 fd: nack", r, 2, TABLE_SIZE(2), fds, 1);
	REFUSED("1 region, 2 fds: nack", r, 1, TABLE_SIZE(1), fds, 2);
	REFUSED("1 region, 0 fds: nack", r, 1, TABLE_SIZE(1), NULL, 0);
	REFUSED("payload size not matching nregions: nack", r, 1, TABLE_SIZE(2), fds, 1);
	REFUSED("payload shorter than nregions: nack", r, 2, TABLE_SIZE(1), fds, 2);
	REFUSED("payload of 4 bytes: nack", r, 1, 4, fds, 1);
	r[1].gpa = r[0].gpa + 0x1000;
	REFUSED("overlapping gpa: nack", r, 2, TABLE_SIZE(2), fds, 2);
	r[1].gpa = 0x30000000;
	r[1].uva = r[0].uva + FX_SIZE_A - 1;
	REFUSED("overlapping uva: nack", r, 2, TABLE_SIZE(2), fds, 2);
	r[1].uva = 0x7d0000000000ull;
	r[1].size = UINT64_MAX - 0x1000;
	REFUSED("region size overflowing gpa + size: nack", r, 2, TABLE_SIZE(2), fds, 2);
	r[1].size = FX_SIZE_A;
	r[1].mmap_offset = UINT64_MAX - 0x10;
	REFUSED("mmap_offset + size overflowing: nack", r, 2, TABLE_SIZE(2), fds, 2);
	r[1].mmap_offset = FX_OFF_A;
	r[1].size = 0;
	REFUSED("region size 0: nack", r, 2, TABLE_SIZE(2), fds, 2);
	r[1].size = FX_SIZE_A;
	fds[1] = small_fd;
	REFUSED("second region's fd short of mmap_offset + size: nack", r, 2, TABLE_SIZE(2), fds,
		2);
	fds[1] = efd;
	REFUSED("second region is an eventfd: nack", r, 2, TABLE_SIZE(2), fds, 2);
	fds[1] = mem_fd;
	tap_ok(ring_works(tag++), "after all refusals the ring still runs");

	/* A good table elsewhere: the rings are not in it, so the queue stops (not breaks). */
	tap_is(set_mem_table(r, 2, TABLE_SIZE(2), fds, 2), 0,
	       "valid 2-region table elsewhere: ack");
	tap_ok(!dev.vq[0].ready && !dev.vq[0].broken && dev.mem.n == 2,
	       "  ... rings no longer in memory: vq 0 not ready, not broken");
	tap_is(fx_count_maps(), before_maps + 1, "  ... old mapping released, 2 new");
	tap_is(set_table_a(), 0, "region A again: ack");
	tap_ok(dev.vq[0].ready && ring_works(tag++), "  ... vq 0 remapped and running");

	/* Repeated tables release the old mappings (class 4). */
	before_maps = fx_count_maps();
	before_fds = fx_count_fds();
	for (i = 0, ok = 0; i < 200; i++)
		ok += set_table_a() == 0;
	tap_is(ok, 200, "200 x SET_MEM_TABLE: all acked");
	tap_ok(fx_count_maps() == before_maps && fx_count_fds() == before_fds,
	       "  ... no mapping or fd leaked");
	tap_ok(ring_works(tag++), "  ... ring runs on the latest table");
	close(small_fd);
	close(efd);
	conn_close();
#undef REFUSED
}

/* Repeated SET_VRING_CALL/KICK/ERR replace, never leak (class 4). */
static void test_repeat_fds(void)
{
	int before, i, ok = 0;

	conn_open();
	negotiate(0);
	set_table_a();
	start_vq0();
	before = fx_count_fds();
	for (i = 0; i < 500; i++) {
		ok += vring_fd(VU_SET_VRING_CALL, 0, true) == 0;
		ok += vring_fd(VU_SET_VRING_KICK, 0, true) == 0;
		ok += vring_fd(VU_SET_VRING_ERR, 0, true) == 0;
		ok += vring_fd(VU_SET_VRING_CALL, VU_VRING_NOFD, false) == 0;
	}
	tap_is(ok, 2000, "500 x SET_VRING_CALL/KICK/ERR: all acked");
	tap_is(fx_count_fds(), before - 1, "  ... fd count stable (the call fd is now NOFD)");
	tap_ok(ring_works(1), "  ... ring runs");
	{
		int fd = fx_eventfd(), log_before = fx_count_fds();

		tap_is(req(VU_SET_LOG_FD, NULL, 0, &fd, 1), 0, "SET_LOG_FD: ack");
		tap_is(fx_count_fds(), log_before, "  ... its fd not kept");
		close(fd);
	}
	conn_close();
}

static void test_log_base(void)
{
	struct vu_log l = {4096, 0};
	struct vu_hdr h;
	uint64_t v;
	int fd = fx_memfd(4096, false), base = fx_count_fds(), before, maps;

	conn_open();
	negotiate(BIT(VHOST_F_LOG_ALL));
	before = fx_count_fds();
	maps = fx_count_maps();
	l.size = 8192;
	vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), &fd, 1);
	tap_ok(dev_step() < 0 && vmm_reply(&h, &v, 8) == NO_REPLY,
	       "SET_LOG_BASE larger than its fd: refused (error, connection dropped)");
	tap_ok(!dev.log.bits && fx_count_fds() == before && fx_count_maps() == maps,
	       "  ... nothing mapped, fd closed");
	l.size = 4000;
	l.offset = 100;
	vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), &fd, 1);
	tap_ok(dev_step() < 0 && !dev.log.bits, "size + offset past the fd: refused");
	l.offset = UINT64_MAX - 10;
	vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), &fd, 1);
	tap_ok(dev_step() < 0 && !dev.log.bits, "offset overflowing: refused");
	vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), NULL, 0);
	tap_is(dev_step(), -EBADMSG, "SET_LOG_BASE without an fd: -EBADMSG");
	l.size = 4096;
	l.offset = 0;
	vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), &fd, 1);
	v = 1;
	tap_ok(dev_step() == 0 && vmm_reply(&h, &v, 8) == 8 && v == 0 &&
		   h.request == VU_SET_LOG_BASE,
	       "valid SET_LOG_BASE: replied 0");
	tap_ok(dev.log.bits && dev.log.size == 4096 && dev.vq[0].log == &dev.log,
	       "  ... log mapped, queues log (LOG_ALL negotiated)");
	for (int i = 0; i < 50; i++) {
		vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), &fd, 1);
		dev_step();
		vmm_reply(&h, &v, 8);
	}
	tap_ok(fx_count_maps() == maps + 1 && fx_count_fds() == before,
	       "50 more SET_LOG_BASE: one log mapping, no fd kept");
	tap_is(req_u64(VU_SET_FEATURES, BIT(VU_F_PROTOCOL_FEATURES), NULL, 0), 0,
	       "LOG_ALL turned off");
	tap_ok(dev.vq[0].log == NULL && dev.vq[1].log == NULL, "  ... queues stop logging");
	conn_close();
	tap_ok(fx_count_maps() == maps && fx_count_fds() == base, "disconnect unmaps the log");
	close(fd);
}

static long long mem_reg(uint32_t r, const struct vu_region *reg, int fd)
{
	struct vu_mem_reg m = {0, *reg};

	return req(r, &m, sizeof(m), &fd, fd >= 0 ? 1 : 0);
}

static void test_mem_slots(void)
{
	int fd_b = fx_memfd(FX_SIZE_B, false), base = fx_count_fds(), before, maps, other;
	struct vu_region bad = region_b;

	conn_open();
	negotiate(0);
	before = fx_count_fds();
	maps = fx_count_maps();
	tap_is(mem_reg(VU_ADD_MEM_REG, &region_a, mem_fd), 0, "ADD_MEM_REG A: ack");
	tap_is(mem_reg(VU_ADD_MEM_REG, &region_b, fd_b), 0, "ADD_MEM_REG B: ack");
	tap_is(dev.mem.n, 2, "  ... 2 regions");
	start_vq0();
	tap_ok(ring_works(1), "ring in A runs");
	tap_is(mem_reg(VU_ADD_MEM_REG, &region_b, fd_b), 0,
	       "ADD_MEM_REG B again (QEMU < 8.0 sends one per queue pair): ack");
	tap_ok(dev.mem.n == 2 && fx_count_maps() == maps + 2, "  ... counted, not mapped twice");
	other = fx_memfd(FX_SIZE_B, false);
	tap_is(mem_reg(VU_ADD_MEM_REG, &region_b, other), 1,
	       "ADD_MEM_REG at B's addresses from another file: nack");
	close(other);
	bad.gpa = FX_GPA_A + 0x1000;
	bad.uva = 0x7c0000000000ull;
	tap_is(mem_reg(VU_ADD_MEM_REG, &bad, fd_b), 1, "ADD_MEM_REG overlapping A: nack");
	bad = region_b;
	bad.gpa = 0x40000000;
	bad.uva = 0x7c0000000000ull;
	bad.size = FX_SIZE_B + 1;
	tap_is(mem_reg(VU_ADD_MEM_REG, &bad, fd_b), 1, "ADD_MEM_REG larger than its fd: nack");
	bad.size = 0;
	tap_is(mem_reg(VU_ADD_MEM_REG, &bad, fd_b), 1, "ADD_MEM_REG size 0: nack");
	vmm_send(VU_ADD_MEM_REG, VU_FLAG_VERSION, &(struct vu_mem_reg){0, region_b},
		 sizeof(struct vu_mem_reg), NULL, 0);
	tap_is(dev_step(), -EBADMSG, "ADD_MEM_REG without an fd: -EBADMSG");
	tap_ok(dev.mem.n == 2 && fx_count_maps() == maps + 2 && fx_count_fds() == before + 3 &&
		   ring_works(2),
	       "  ... still 2 regions, no leak, ring runs");
	tap_is(mem_reg(VU_REM_MEM_REG, &bad, -1), 1, "REM_MEM_REG of a region not there: nack");
	tap_is(mem_reg(VU_REM_MEM_REG, &region_b, fd_b), 0, "REM_MEM_REG B (with an fd): ack");
	tap_ok(dev.mem.n == 2 && fx_count_maps() == maps + 2 && ring_works(3),
	       "  ... B was added twice: still mapped");
	tap_is(mem_reg(VU_REM_MEM_REG, &region_b, -1), 0, "REM_MEM_REG B again: ack");
	tap_ok(dev.mem.n == 1 && fx_count_maps() == maps + 1 && fx_count_fds() == before + 3 &&
		   ring_works(4),
	       "  ... unmapped, fd not kept, ring in A still runs");
	tap_is(mem_reg(VU_REM_MEM_REG, &region_a, -1), 0, "REM_MEM_REG A (holding the rings): ack");
	tap_ok(dev.mem.n == 0 && !dev.vq[0].ready && !ring_works(5) && fx_count_maps() == maps,
	       "  ... vq 0 stops, nothing mapped");
	tap_is(mem_reg(VU_ADD_MEM_REG, &region_a, mem_fd), 0, "ADD_MEM_REG A again");
	tap_ok(dev.vq[0].ready && ring_works(6), "  ... vq 0 remapped and runs");
	conn_close();
	tap_ok(fx_count_fds() == base && fx_count_maps() == maps, "disconnect: no leak");
	close(fd_b);
}

/* A ready queue's rings must lie inside the current memory table. */
static bool rings_inside(const struct vx_vq *vq)
{
	if (!vq->ready)
		return true;
	return vx_mem_uva(&dev.mem, vq->desc_uva, 16ull * vq->num) == vq->desc &&
	       vx_mem_uva(&dev.mem, vq->avail_uva, 6 + 2ull * vq->num) == vq->avail &&
	       vx_mem_uva(&dev.mem, vq->used_uva, 6 + 8ull * vq->num) == vq->used;
}

/*
 * The VMM chooses the uvas; 0 is as valid as any. A ring at uva 0 must be
 * re-checked like any other when the table or the queue size changes,
 * or the worker walks an unmapped (or too small) ring.
 */
static void test_ring_at_uva0(void)
{
	struct vu_region small = {FX_GPA_A, 0x10000, 0, FX_OFF_A};
	struct vu_region elsewhere = {FX_GPA_A, FX_SIZE_A, 0x7b0000000000ull, FX_OFF_A};
	struct vu_vring_addr a = {0, 0, 0, FX_USED_OFF, FX_AVAIL_OFF, 0};

	conn_open();
	negotiate(0);
	tap_is(set_mem_table(&small, 1, TABLE_SIZE(1), &mem_fd, 1), 0,
	       "64 KiB region at uva 0: ack");
	req_state(VU_SET_VRING_NUM, 0, NUM);
	tap_is(req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0), 0, "rings at uva 0: ack");
	vring_fd(VU_SET_VRING_KICK, 0, true);
	req_state(VU_SET_VRING_ENABLE, 0, 1);
	tap_ok(dev.vq[0].ready && rings_inside(&dev.vq[0]), "  ... mapped");
	req_state(VU_SET_VRING_NUM, 0, 32768);
	tap_ok(rings_inside(&dev.vq[0]),
	       "SET_VRING_NUM 32768 (ring no longer fits): queue not left ready on the old check");
	req_state(VU_SET_VRING_NUM, 0, NUM);
	vx_vq_map(&dev.vq[0]);
	tap_is(set_mem_table(&elsewhere, 1, TABLE_SIZE(1), &mem_fd, 1), 0,
	       "new table without uva 0: ack");
	tap_ok(rings_inside(&dev.vq[0]),
	       "  ... queue not left ready with pointers into the unmapped old table");
	dev.vq[0].ready = false; /* so that the rest of this run cannot touch them */
	conn_close();
}

/*
 * A guest that broke its queue and then reset its driver (QEMU: GET_VRING_BASE,
 * then SET_VRING_NUM/BASE/ADDR/KICK) must get a working queue again.
 */
static void test_restart_after_broken(void)
{
	struct vu_vring_state s = {0, 0};
	struct vu_vring_addr a = {
	    0, 0, FX_UVA_A + FX_DESC_OFF, FX_UVA_A + FX_USED_OFF, FX_UVA_A + FX_AVAIL_OFF, 0};
	struct vx_chain c;
	struct vu_hdr h;

	conn_open();
	negotiate(0);
	set_table_a();
	start_vq0();
	fx_ring_desc(&ring, 0, 0x50000000, 10, 0, 0);
	fx_ring_avail(&ring, 0);
	tap_ok(vx_vq_pop(&dev.vq[0], &c) == -EIO && dev.vq[0].broken, "guest breaks vq 0");
	vmm_send(VU_GET_VRING_BASE, VU_FLAG_VERSION, &s, sizeof(s), NULL, 0);
	dev_step();
	vmm_reply(&h, &s, sizeof(s));
	memset(ring.desc, 0, 0x10000);
	req_state(VU_SET_VRING_NUM, 0, NUM);
	req_state(VU_SET_VRING_BASE, 0, 0);
	req(VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
	vring_fd(VU_SET_VRING_KICK, 0, true);
	req_state(VU_SET_VRING_ENABLE, 0, 1);
	tap_ok(ring_works(1), "after the front-end restarts the ring, it works again");
	conn_close();
}

/* Child: push and flush (and fail) many times; must finish, never block on call/err fds. */
static bool worker_never_blocks(const char *what)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct vx_vq *vq = &dev.vq[0];
		int i;

		alarm(1);
		for (i = 0; i < 20000; i++) {
			vx_vq_push(vq, 0, 1);
			vx_vq_flush(vq);
		}
		vx_vq_fail(vq, "test");
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		tap_diag("  %s: worker %s", what,
			 WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? "blocked" : "died");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The call and error fds come from the VMM: a blocking eventfd near its
 * maximum, or a pipe, would block the worker (and every port it serves)
 * on eventfd_write. They must be non-blocking (as the kick fd is) or refused.
 */
static void test_blocking_call_fd(void)
{
	int efd, p[2], before;
	uint64_t v = 0xfffffffffffffffeull;

	before = fx_count_fds();
	conn_open();
	negotiate(0);
	set_table_a();
	start_vq0();
	tap_ok(fcntl(dev.vq[0].kick_fd, F_GETFL) & O_NONBLOCK, "kick fd made non-blocking");
	efd = eventfd(0, EFD_CLOEXEC); /* blocking, as a hostile VMM may hand it */
	if (write(efd, &v, 8) != 8)
		tap_diag("eventfd write failed");
	/*
	 * take_vring_fd (user/vhost_user.c) accepts any fd it can make
	 * non-blocking: the request succeeds, the flag is set on the open file
	 * (ours too, it is the same one), and the worker never blocks on it.
	 */
	tap_is(req_u64(VU_SET_VRING_CALL, 0, &efd, 1), 0,
	       "a blocking call eventfd at its maximum is taken");
	tap_ok(dev.vq[0].call_fd >= 0 && (fcntl(dev.vq[0].call_fd, F_GETFL) & O_NONBLOCK) &&
		       (fcntl(efd, F_GETFL) & O_NONBLOCK),
	       "  ... made non-blocking");
	tap_ok(worker_never_blocks("call eventfd at its maximum"),
	       "call eventfd at its maximum: interrupts never block the worker");
	close(efd);
	if (pipe2(p, O_CLOEXEC)) {
		tap_diag("pipe2: %s", strerror(errno));
		exit(2);
	}
	tap_is(req_u64(VU_SET_VRING_CALL, 0, &p[1], 1), 0, "a pipe as call fd is taken");
	tap_is(req_u64(VU_SET_VRING_ERR, 0, &p[1], 1), 0, "a pipe as err fd is taken");
	tap_ok(fcntl(p[1], F_GETFL) & O_NONBLOCK, "  ... made non-blocking");
	tap_ok(worker_never_blocks("pipe as call fd"),
	       "a pipe as call/err fd never blocks the worker");
	close(p[0]);
	close(p[1]);
	conn_close();
	tap_is(fx_count_fds(), before, "no fd leaked");
}

/* Fds riding on the payload (not the header) are dropped by the kernel, not leaked. */
static void test_fds_on_payload(void)
{
	struct vu_hdr hd = {VU_SET_VRING_CALL, VU_FLAG_VERSION, 8};
	uint64_t idx = 0;
	int fd = fx_eventfd(), before;
	struct vu_msg m;

	conn_open();
	before = fx_count_fds();
	send_raw(&hd, sizeof(hd), NULL, 0);
	send_raw(&idx, 8, &fd, 1);
	close(fd);
	tap_ok(vu_msg_recv(dev.sock, &m) == 0 && m.nfds == 0,
	       "fd sent with the payload bytes is not taken as the message's");
	tap_is(vx_conn_dispatch(&dev, dev.sock, &m), -EBADMSG, "  ... so SET_VRING_CALL lacks its fd: -EBADMSG");
	tap_is(fx_count_fds(), before - 1, "  ... and no fd arrived in this process");
	conn_close();
}

static void test_max_slots(void)
{
	int i, ok = 0, maps = fx_count_maps();
	struct vu_region r = region_a;

	conn_open();
	negotiate(0);
	r.size = 0x1000;
	for (i = 0; i < VX_MEM_MAX_REGIONS; i++) {
		r.gpa = 0x1000ull * (uint64_t)i;
		r.uva = 0x7a0000000000ull + 0x1000ull * (uint64_t)i;
		ok += mem_reg(VU_ADD_MEM_REG, &r, mem_fd) == 0;
	}
	tap_is(ok, VX_MEM_MAX_REGIONS, "ADD_MEM_REG up to GET_MAX_MEM_SLOTS");
	r.gpa = 0x1000000;
	r.uva = 0x790000000000ull;
	tap_is(mem_reg(VU_ADD_MEM_REG, &r, mem_fd), 1, "one more: nack");
	tap_is(fx_count_maps(), maps + VX_MEM_MAX_REGIONS, "  ... nothing extra mapped");
	conn_close();
	tap_is(fx_count_maps(), maps, "disconnect unmaps all slots");
}

/* Full setup on both queues, log and two regions; then fn must release all of it. */
static void test_release(const char *what, bool reset_owner)
{
	int fd_b = fx_memfd(FX_SIZE_B, false), log_fd = fx_memfd(4096, false), before, maps;
	struct vu_log l = {4096, 0};
	struct vu_region two[2] = {region_a, region_b};
	int fds[2] = {mem_fd, fd_b};
	struct vu_hdr h;
	uint64_t v;

	before = fx_count_fds();
	maps = fx_count_maps();
	conn_open();
	negotiate(BIT(VHOST_F_LOG_ALL) | BIT(VIRTIO_RING_F_EVENT_IDX));
	set_mem_table(two, 2, TABLE_SIZE(2), fds, 2);
	vmm_send(VU_SET_LOG_BASE, VU_FLAG_VERSION, &l, sizeof(l), &log_fd, 1);
	dev_step();
	vmm_reply(&h, &v, 8);
	start_vq0();
	req_state(VU_SET_VRING_NUM, 1, NUM);
	vring_fd(VU_SET_VRING_KICK, 1, true);
	vring_fd(VU_SET_VRING_CALL, 1, true);
	vring_fd(VU_SET_VRING_ERR, 1, true);
	req_u64(VU_NET_SET_MTU, 1500, NULL, 0);
	tap_ok(ring_works(1) && dev.log.bits && dev.mem.n == 2 &&
		   fx_count_fds() == before + 2 + 6 && fx_count_maps() == maps + 3,
	       "%s: device running with 6 eventfds, 2 regions and a log", what);
	if (reset_owner) {
		tap_is(req(VU_RESET_OWNER, NULL, 0, NULL, 0), 0, "RESET_OWNER while running: ack");
		tap_ok(fx_count_fds() == before + 2 && fx_count_maps() == maps,
		       "  ... every eventfd closed, every mapping released");
		tap_ok(dev.mem.n == 0 && !dev.log.bits && dev.features == 0 && dev.mtu == 0 &&
			   dev.vq[0].num == 0 && !dev.vq[0].ready && !dev.vq[0].started &&
			   dev.vq[0].kick_fd < 0 && dev.vq[1].call_fd < 0 &&
			   dev.vq[0].mem == &dev.mem && !ring_works(2),
		       "  ... device back to its initial state");
		tap_ok(dev.protocol_features == vx_dev_protocol_features(),
		       "  ... protocol features kept");
		tap_ok(set_table_a() == 0 && (start_vq0(), ring_works(3)),
		       "  ... and it can be set up again");
		conn_close();
	} else {
		vx_dev_disconnect(&dev);
		tap_ok(fx_count_fds() == before + 2 && fx_count_maps() == maps,
		       "vx_dev_disconnect closes every eventfd and releases every mapping");
		tap_ok(dev.mem.n == 0 && !dev.log.bits && dev.protocol_features == 0 &&
			   dev.vq[1].kick_fd < 0 && dev.vq[1].err_fd < 0 && !ring_works(2),
		       "  ... and resets the device");
		close(dev.sock);
		close(vmm);
	}
	tap_is(fx_count_fds(), before, "  ... nothing left after the connection closed");
	close(fd_b);
	close(log_fd);
}

int main(void)
{
	int fds, maps;

	vx_log_set_level(VX_LOG_ERROR);
	mem_fd = fx_memfd(FX_OFF_A + FX_SIZE_A, false);
	guest = mmap(NULL, FX_OFF_A + FX_SIZE_A, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0);
	if (guest == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	fds = fx_count_fds();
	maps = fx_count_maps();
	test_wire();
	test_fd_flood();
	test_features();
	test_multiqueue();
	test_vring_index();
	test_vring_base();
	test_mem_table();
	test_repeat_fds();
	test_log_base();
	test_mem_slots();
	test_max_slots();
	test_fds_on_payload();
	test_ring_at_uva0();
	test_restart_after_broken();
	test_blocking_call_fd();
	test_release("RESET_OWNER", true);
	test_release("disconnect", false);
	tap_is(fx_count_fds(), fds, "no fd leaked overall");
	tap_is(fx_count_maps(), maps, "no mapping leaked overall");
	munmap(guest, FX_OFF_A + FX_SIZE_A);
	close(mem_fd);
	return tap_done();
}

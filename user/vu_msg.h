/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhost-user wire format (QEMU docs/interop/vhost-user.rst) and message
 * I/O. A message is a 12-byte header, a payload of hdr.size bytes, and
 * file descriptors passed as SCM_RIGHTS. Nothing here interprets a request:
 * vu_msg_recv only guarantees that the header is well formed, that the
 * payload fits, and that every received fd is either returned or closed.
 */
#ifndef VX_VU_MSG_H
#define VX_VU_MSG_H

#include <stdint.h>

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_SEND_RARP = 19,
	VU_NET_SET_MTU = 20,
	VU_RESET_DEVICE = 34,
	VU_GET_MAX_MEM_SLOTS = 36,
	VU_ADD_MEM_REG = 37,
	VU_REM_MEM_REG = 38,
	VU_REQUEST_MAX = 64,
};

/* Protocol feature bits (VHOST_USER_PROTOCOL_F_*). */
enum vu_protocol_feature {
	VU_PF_MQ = 0,
	VU_PF_LOG_SHMFD = 1,
	VU_PF_RARP = 2,
	VU_PF_REPLY_ACK = 3,
	VU_PF_NET_MTU = 4,
	VU_PF_RESET_DEVICE = 13,
	VU_PF_CONFIGURE_MEM_SLOTS = 15,
};

#define VU_F_PROTOCOL_FEATURES 30	/* virtio feature bit VHOST_USER_F_PROTOCOL_FEATURES */

#define VU_FLAG_VERSION	   0x1
#define VU_FLAG_VERSION_MASK 0x3
#define VU_FLAG_REPLY	   0x4
#define VU_FLAG_NEED_REPLY 0x8

/* SET_VRING_KICK/CALL/ERR payload: index in bits 0-7, bit 8 = no fd. */
#define VU_VRING_IDX_MASK 0xff
#define VU_VRING_NOFD	  0x100

/* Regions one SET_MEM_TABLE carries (VHOST_MEMORY_BASELINE_NREGIONS). */
#define VU_MEM_TABLE_MAX 8
/* At most this many fds are accepted with one message; more is an error. */
#define VU_MAX_FDS 8

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;		/* bit 0: VHOST_VRING_F_LOG */
	uint64_t desc_uva;
	uint64_t used_uva;
	uint64_t avail_uva;
	uint64_t log_gpa;
};

struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

struct vu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vu_region regions[VU_MEM_TABLE_MAX];
};

struct vu_mem_reg {
	uint64_t padding;
	struct vu_region region;
};

struct vu_log {
	uint64_t size;
	uint64_t offset;
};

union vu_payload {
	uint64_t u64;
	struct vu_vring_state state;
	struct vu_vring_addr addr;
	struct vu_mem_table mem;
	struct vu_mem_reg memreg;
	struct vu_log log;
	uint8_t raw[512];	/* larger than anything a net back-end accepts */
};

struct vu_msg {
	struct vu_hdr hdr;
	union vu_payload p;
	int fds[VU_MAX_FDS];
	unsigned int nfds;
};

/*
 * Receives one message. Returns 0, -ECONNRESET on a clean EOF, or another
 * -errno for a malformed or truncated message, in which case every fd that
 * came with it has been closed and the connection should be dropped.
 */
int vu_msg_recv(int sock, struct vu_msg *m);
/*
 * A message being received from a non-blocking socket: vu_rx_step reads
 * what has arrived and returns 1 once rx->m is complete (then the caller
 * owns its fds and calls vu_rx_reset before the next message), 0 if more is
 * needed, or -errno as vu_msg_recv (the fds so far closed, rx reset).
 */
struct vu_rx {
	struct vu_msg m;
	size_t got;	/* bytes of header and payload so far */
};

int vu_rx_step(int sock, struct vu_rx *rx);
/* Forgets the message so far, closing its fds. */
void vu_rx_reset(struct vu_rx *rx);
/* Sends a reply for request m->hdr.request with `size` bytes of m->p. */
int vu_msg_reply(int sock, struct vu_msg *m, uint32_t size);
/* Closes every fd still held by m (taken ones are set to -1). */
void vu_msg_close_fds(struct vu_msg *m);
/* Takes fd i out of m (so that close_fds will not close it). */
int vu_msg_take_fd(struct vu_msg *m, unsigned int i);
const char *vu_request_name(uint32_t request);

#endif

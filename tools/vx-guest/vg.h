/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vx-guest: a lean virtio-net driver (the guest side of split virtqueues,
 * virtio 1.2 2.7 and 5.1) for tests and benchmarks. The transport that
 * hands the rings and memory to a back-end is behind struct vg_ops
 * (vhost-user in vu.c, the kernel's vhost ioctls in kv.c); the rings and the
 * packet logic do not know which one is used.
 */
#ifndef VX_GUEST_H
#define VX_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

/* virtio 1.2 5.1.2: receiveq1 = 0, transmitq1 = 1. */
enum { VG_RX = 0, VG_TX = 1, VG_NQ = 2 };

#define VG_QSIZE_DEF 256
#define VG_QSIZE_MAX 1024
#define VG_BUF_SIZE  2048	/* one buffer per descriptor: header + a full frame */
#define VG_HDR_LEN   12		/* VERSION_1 is always negotiated: virtio_net_hdr_mrg_rxbuf */
#define VG_SCRATCH   (256 * 1024) /* room for hostile tables and buffers, after the rings */

/* Guest memory: one memfd, gpa 0, mapped MAP_SHARED at base (the "uva"). */
struct vg_mem {
	int fd;
	uint8_t *base;
	uint64_t size;
};

struct vg_vq {
	unsigned int idx;
	uint16_t num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint64_t buf_gpa;	/* num buffers of VG_BUF_SIZE, buffer i belongs to descriptor i */
	uint16_t avail_idx;	/* next avail entry, published by vg_vq_publish */
	uint16_t kicked;	/* avail idx at the last kick decision */
	uint16_t last_used;
	uint16_t free[VG_QSIZE_MAX];	/* TX: descriptors not in flight */
	unsigned int nfree;
	bool event_idx;
	int kick_fd, call_fd, err_fd;
	uint64_t kicks;
};

struct vg_dev;

/* The back-end transport; every op returns 0 or -errno. */
struct vg_ops {
	int (*open)(struct vg_dev *d, const char *path, bool server);
	void (*close)(struct vg_dev *d);
	int (*get_features)(struct vg_dev *d, uint64_t *features);
	int (*set_features)(struct vg_dev *d, uint64_t features);
	int (*set_owner)(struct vg_dev *d);
	int (*set_mem_table)(struct vg_dev *d);
	int (*set_vring_num)(struct vg_dev *d, unsigned int q, unsigned int num);
	int (*set_vring_base)(struct vg_dev *d, unsigned int q, unsigned int base);
	int (*get_vring_base)(struct vg_dev *d, unsigned int q, unsigned int *base);
	int (*set_vring_addr)(struct vg_dev *d, unsigned int q);
	int (*set_vring_kick)(struct vg_dev *d, unsigned int q, int fd);
	int (*set_vring_call)(struct vg_dev *d, unsigned int q, int fd);
	int (*set_vring_err)(struct vg_dev *d, unsigned int q, int fd);
	int (*set_vring_enable)(struct vg_dev *d, unsigned int q, bool on);
	/* Dirty log (vhost-user only; NULL elsewhere): SET_LOG_BASE with a shared-memory fd. */
	int (*set_log_base)(struct vg_dev *d, int fd, uint64_t size);
};

struct vg_dev {
	const struct vg_ops *ops;
	int sock;		/* vhost-user: the connection */
	int kfd;		/* kernel vhost: /dev/vhost-net or /dev/vhost-xdp */
	int tap;		/* kernel vhost: the backend tap */
	char tap_name[16];
	uint64_t protocol_features;
	bool want_mem_slots;	/* ask for CONFIGURE_MEM_SLOTS (memreg mode) */
	uint64_t features;	/* negotiated */
	bool mrg_rxbuf;
	bool want_log;		/* acknowledge LOG_SHMFD (dirtylog mode) */
	bool log_rings;		/* SET_VRING_ADDR with VHOST_VRING_F_LOG, log_gpa = used ring */
	uint32_t rx_buf_len;	/* RX descriptor length (0: VG_BUF_SIZE); smaller makes merged buffers */
	uint8_t mac[6];
	struct vg_mem mem;
	struct vg_vq vq[VG_NQ];
};

extern const struct vg_ops vg_vhost_user_ops;
extern const struct vg_ops vg_vhost_kernel_ops;	/* kv.c */

/* ring.c: the driver side of a split virtqueue. */
void vg_vq_layout(struct vg_vq *vq, struct vg_mem *m, unsigned int idx, uint16_t num,
		  uint64_t *off);
void vg_vq_clear(struct vg_vq *vq);
void vg_vq_desc(struct vg_vq *vq, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		uint16_t next);
void vg_vq_add(struct vg_vq *vq, uint16_t head);
bool vg_vq_publish(struct vg_vq *vq, bool force_kick);
int vg_vq_get_used(struct vg_vq *vq, uint16_t *id, uint32_t *len);
bool vg_vq_arm(struct vg_vq *vq);
uint16_t vg_vq_used_idx(const struct vg_vq *vq);
void *vg_gpa(struct vg_mem *m, uint64_t gpa);

/* dev.c: set-up, tear-down, and the reset that restarts a ring. */
int vg_dev_open(struct vg_dev *d, const char *path, bool server, uint64_t want, uint16_t qsize);
void vg_dev_close(struct vg_dev *d);
int vg_dev_ping(struct vg_dev *d);
int vg_dev_restart_vq(struct vg_dev *d, unsigned int q);
int vg_wait(struct vg_dev *d, int timeout_ms);
bool vg_fd_readable(int fd, int timeout_ms);

/* net.c: frames. */
void vg_pkt_build(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint32_t size,
		  uint32_t seq);
int vg_pkt_verify(const uint8_t *buf, uint32_t len, uint32_t *seq);
void vg_rx_post_all(struct vg_dev *d);
int vg_tx_frame(struct vg_dev *d, const uint8_t *frame, uint32_t len, bool kick);
void vg_tx_reclaim(struct vg_dev *d);
typedef void (*vg_rx_fn)(struct vg_dev *d, uint8_t *frame, uint32_t len, void *arg);
int vg_rx_poll(struct vg_dev *d, vg_rx_fn fn, void *arg);

/* vu.c: a second region added or removed (vhost-user only). */
int vg_vu_mem_reg(struct vg_dev *d, bool add, const struct vg_mem *m, uint64_t gpa);
int vg_mem_open(struct vg_mem *m, uint64_t size);
void vg_mem_close(struct vg_mem *m);

/* memreg.c */
struct vg_memreg_opts {
	unsigned long cycles;	/* 0: until stopped or the timeout */
	double timeout;
	unsigned int frames;	/* frames sent from the region per cycle */
	unsigned int stale_every;	/* every Nth cycle: a chain in the removed region */
	const uint8_t *dst;
};

int vg_memreg_main(struct vg_dev *d, const struct vg_memreg_opts *o);

/* dirtylog.c: the dirty-log check (see there). */
struct vg_dirtylog_opts {
	const uint8_t *dst;	/* where TX frames go */
	unsigned long tx_count, rx_count;
	unsigned int size;
	double timeout;
};

int vg_dirtylog_main(struct vg_dev *d, const struct vg_dirtylog_opts *o);

/* hostile.c */
struct vg_hostile_opts {
	double wait_s;		/* RX cases without stdin: how long frames may arrive */
	double flood_s;
	const uint8_t *dst;	/* where valid frames go */
	const uint8_t *flood_dst;
};

int vg_hostile_main(struct vg_dev *d, int argc, char **argv, const struct vg_hostile_opts *o);

extern volatile int vg_stop;
double vg_now(void);

#endif

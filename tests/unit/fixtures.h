/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the unit tests: fake guest memory built from memfd
 * regions, split-ring builders that write descriptors the way a (hostile)
 * guest would, and counters for fds and mappings to catch leaks.
 *
 * Header-only: tests/Build.mk links each test_*.o with tap.o and libvx.a
 * only, so everything here is static.
 */
#ifndef VX_TEST_FIXTURES_H
#define VX_TEST_FIXTURES_H

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest_mem.h"
#include "tap.h"
#include "virtq.h"

/* Every memfd the tests create carries this name, so its mappings can be counted. */
#define FX_MEMFD_NAME "vxtest-guest"

static inline int fx_memfd(uint64_t size, bool sealable)
{
	int fd = memfd_create(FX_MEMFD_NAME, MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("memfd");
		exit(2);
	}
	return fd;
}

static inline int fx_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0) {
		perror("eventfd");
		exit(2);
	}
	return fd;
}

/* Returns the eventfd counter and clears it, or 0 if it was not signalled. */
static inline uint64_t fx_eventfd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* Number of open fds of this process. */
static inline int fx_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* Number of mappings of the tests' memfds. */
static inline int fx_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, FX_MEMFD_NAME))
			n++;
	fclose(f);
	return n;
}

static inline struct vx_mem_desc fx_desc(uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
	struct vx_mem_desc d = {.gpa = gpa, .size = size, .uva = uva, .mmap_offset = off};

	return d;
}

/*
 * The guest used by the virtqueue tests. Two regions, adjacent in guest
 * physical space but not in the VMM's address space, and neither gpa nor
 * hva equal to uva, so that a mix-up of the three shows:
 *   A: gpa 0x100000, 1 MiB, uva FX_UVA_A, file offset 0x3000 (rings live here)
 *   B: gpa 0x200000, 64 KiB, uva FX_UVA_B
 */
#define FX_GPA_A  0x100000ull
#define FX_SIZE_A 0x100000ull
#define FX_UVA_A  0x7f1200000000ull
#define FX_OFF_A  0x3000ull
#define FX_GPA_B  0x200000ull
#define FX_SIZE_B 0x10000ull
#define FX_UVA_B  0x7f3400000000ull
#define FX_END_B  (FX_GPA_B + FX_SIZE_B)

/* Ring offsets in region A, and where guest buffers start. */
#define FX_DESC_OFF  0x0ull
#define FX_AVAIL_OFF 0x8000ull
#define FX_USED_OFF  0x9000ull
#define FX_BUF_GPA   (FX_GPA_A + 0x10000ull)

struct fx_guest {
	struct vx_mem mem;
	int fd_a, fd_b;
};

static inline void fx_guest_init(struct fx_guest *g)
{
	struct vx_mem_desc a = fx_desc(FX_GPA_A, FX_SIZE_A, FX_UVA_A, FX_OFF_A);
	struct vx_mem_desc b = fx_desc(FX_GPA_B, FX_SIZE_B, FX_UVA_B, 0);

	memset(g, 0, sizeof(*g));
	g->fd_a = fx_memfd(FX_OFF_A + FX_SIZE_A, false);
	g->fd_b = fx_memfd(FX_SIZE_B, false);
	if (vx_mem_add(&g->mem, &a, g->fd_a) || vx_mem_add(&g->mem, &b, g->fd_b)) {
		fprintf(stderr, "fx_guest_init: vx_mem_add failed\n");
		exit(2);
	}
}

static inline void fx_guest_fini(struct fx_guest *g)
{
	vx_mem_clear(&g->mem);
	close(g->fd_a);
	close(g->fd_b);
}

/* Host pointer for a guest physical address; the test's own checked view. */
static inline void *fx_gpa(struct fx_guest *g, uint64_t gpa)
{
	void *p = vx_mem_gpa(&g->mem, gpa, 1);

	if (!p) {
		fprintf(stderr, "fx_gpa: 0x%llx not mapped\n", (unsigned long long)gpa);
		exit(2);
	}
	return p;
}

/* A split ring in region A, seen from the guest's side. */
struct fx_ring {
	struct fx_guest *g;
	uint16_t num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

static inline void fx_ring_init(struct fx_ring *r, struct fx_guest *g, uint16_t num)
{
	r->g = g;
	r->num = num;
	r->desc = fx_gpa(g, FX_GPA_A + FX_DESC_OFF);
	r->avail = fx_gpa(g, FX_GPA_A + FX_AVAIL_OFF);
	r->used = fx_gpa(g, FX_GPA_A + FX_USED_OFF);
	memset(r->desc, 0, 16ull * num);
	memset(r->avail, 0, 6 + 2ull * num);
	memset(r->used, 0, 6 + 8ull * num);
}

static inline void fx_set_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
			       uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

static inline void fx_ring_desc(struct fx_ring *r, uint16_t i, uint64_t addr, uint32_t len,
				uint16_t flags, uint16_t next)
{
	fx_set_desc(&r->desc[i], addr, len, flags, next);
}

/* Makes head available, as the driver does (2.7.13). */
static inline void fx_ring_avail(struct fx_ring *r, uint16_t head)
{
	uint16_t idx = le16toh(r->avail->idx);

	r->avail->ring[idx & (r->num - 1)] = htole16(head);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->avail->idx = htole16((uint16_t)(idx + 1));
}

/* used_event lives after avail->ring, avail_event after used->ring (2.7.10). */
static inline void fx_ring_set_used_event(struct fx_ring *r, uint16_t v)
{
	r->avail->ring[r->num] = htole16(v);
}

static inline uint16_t fx_ring_avail_event(struct fx_ring *r)
{
	uint16_t v;

	memcpy(&v, &r->used->ring[r->num], sizeof(v));
	return le16toh(v);
}

/* A device-side queue on that ring, active, with real eventfds. */
static inline void fx_vq_init(struct vx_vq *vq, struct fx_ring *r)
{
	vx_vq_init(vq, "test vq0");
	vq->num = r->num;
	vq->desc_uva = FX_UVA_A + FX_DESC_OFF;
	vq->avail_uva = FX_UVA_A + FX_AVAIL_OFF;
	vq->used_uva = FX_UVA_A + FX_USED_OFF;
	vq->mem = &r->g->mem;
	vq->started = true;
	vq->enabled = true;
	vq->err_fd = fx_eventfd();
	vq->call_fd = fx_eventfd();
	if (vx_vq_map(vq)) {
		fprintf(stderr, "fx_vq_init: vx_vq_map failed\n");
		exit(2);
	}
}

#endif

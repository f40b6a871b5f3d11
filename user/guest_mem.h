/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory: the memory table the VMM hands over (vhost-user
 * SET_MEM_TABLE / ADD_MEM_REG), mapped into the daemon, and the one checked
 * translation every guest address goes through. Also the dirty log used
 * during live migration (VHOST_F_LOG_ALL).
 *
 * Nothing here trusts the VMM: sizes, offsets and addresses are checked for
 * overflow and overlap, and the backing file must really be as large as the
 * region claims (a short file would turn guest accesses into SIGBUS).
 */
#ifndef VX_GUEST_MEM_H
#define VX_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

/* Slots offered with GET_MAX_MEM_SLOTS; SET_MEM_TABLE itself carries at most 8. */
#define VX_MEM_MAX_REGIONS 32

struct vx_mem_region {
	uint64_t gpa;		/* guest physical address */
	uint64_t size;
	uint64_t uva;		/* the VMM's virtual address (vring addresses use it) */
	uint8_t *hva;		/* where the region is mapped here */
	void *map;		/* mmap base and length, for munmap */
	uint64_t map_len;
	int fd;			/* a duplicate of the backing file's fd if keep_fds, else -1 */
	uint64_t mmap_offset;
	uint64_t file_dev, file_ino;	/* the backing file, to recognise it again */
	uint32_t refs;		/* times added (see vx_mem_add) */
};

/* A region added again this often is refused: the count is bounded. */
#define VX_MEM_MAX_REFS 64

struct vx_mem {
	bool keep_fds;		/* the dedicated queue (dq.c) maps the files a second time */
	unsigned int n;
	struct vx_mem_region r[VX_MEM_MAX_REGIONS];
};

/* What the VMM describes for one region (the wire format, host order). */
struct vx_mem_desc {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint64_t mmap_offset;
};

/* One translated piece of a guest buffer. */
struct vx_seg {
	uint8_t *hva;
	uint32_t len;
	uint64_t gpa;
};

/*
 * Maps one region from fd and appends it to m after checking it against the
 * regions already there. Does not take ownership of fd (with m->keep_fds it
 * keeps a duplicate). On error m is unchanged.
 *
 * The same region again (same addresses, offset and file) only counts one
 * more reference: QEMU before 8.0 sends ADD_MEM_REG and REM_MEM_REG once
 * per queue pair of a multiqueue device, all on one connection.
 */
int vx_mem_add(struct vx_mem *m, const struct vx_mem_desc *d, int fd);
/*
 * Unmaps and removes the region matching d's gpa, size and uva; a region
 * added n times goes at the n-th removal.
 */
int vx_mem_remove(struct vx_mem *m, const struct vx_mem_desc *d);
/* Unmaps everything. */
void vx_mem_clear(struct vx_mem *m);

/* Host pointer for [gpa, gpa+len) if it lies wholly inside one region. */
void *vx_mem_gpa(const struct vx_mem *m, uint64_t gpa, uint64_t len);
/* The same for the VMM's virtual addresses (ring addresses). */
void *vx_mem_uva(const struct vx_mem *m, uint64_t uva, uint64_t len);
/*
 * Splits [gpa, gpa+len) into pieces that each lie inside one region.
 * Returns the number of pieces, -EFAULT if any byte is unmapped, or -E2BIG
 * if more than max pieces would be needed.
 */
int vx_mem_gpa_segs(const struct vx_mem *m, uint64_t gpa, uint32_t len, struct vx_seg *segs,
		    int max);

/* Dirty page log (vhost-user SET_LOG_BASE): one bit per 4 KiB guest page. */
#define VX_LOG_PAGE 4096

struct vx_dirty_log {
	uint8_t *bits;
	uint64_t size;		/* bytes of bitmap */
	void *map;
	uint64_t map_len;
};

int vx_dirty_log_map(struct vx_dirty_log *log, int fd, uint64_t size, uint64_t offset);
void vx_dirty_log_unmap(struct vx_dirty_log *log);
/* Marks the pages of [gpa, gpa+len) dirty; pages past the bitmap are ignored. */
void vx_dirty_log_mark(struct vx_dirty_log *log, uint64_t gpa, uint64_t len);

#endif

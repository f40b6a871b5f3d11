// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_mem.h"
#include "log.h"

/* a + b without wrapping past UINT64_MAX */
static bool add_ok(uint64_t a, uint64_t b)
{
	return a + b >= a;
}

/* Half-open ranges [a, a+al) and [b, b+bl) intersect. Both sums are known not to wrap. */
static bool ranges_overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a < b + bl && b < a + al;
}

static int mem_desc_check(const struct vx_mem *m, const struct vx_mem_desc *d)
{
	unsigned int i;

	if (m->n >= VX_MEM_MAX_REGIONS)
		return -ENOSPC;
	if (!d->size || !add_ok(d->gpa, d->size) || !add_ok(d->uva, d->size) ||
	    !add_ok(d->mmap_offset, d->size))
		return -EINVAL;
	for (i = 0; i < m->n; i++) {
		const struct vx_mem_region *r = &m->r[i];

		if (ranges_overlap(d->gpa, d->size, r->gpa, r->size) ||
		    ranges_overlap(d->uva, d->size, r->uva, r->size))
			return -EEXIST;
	}
	return 0;
}

/*
 * The file must cover the whole mapping: touching a page past its end
 * raises SIGBUS. A memfd may still shrink later, so ask for F_SEAL_SHRINK;
 * QEMU's memory-backend-memfd seals by default.
 */
static int mem_fd_check(int fd, uint64_t end, uint64_t *align)
{
	struct stat st;
	int seals;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < end)
		return -EINVAL;
	*align = st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && !(seals & F_SEAL_SHRINK) && !(seals & F_SEAL_SEAL))
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	return 0;
}

/* The region d describes, backed by the file of fd, if it is there already. */
static struct vx_mem_region *mem_same(struct vx_mem *m, const struct vx_mem_desc *d, int fd)
{
	struct stat st;
	unsigned int i;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (i = 0; i < m->n; i++) {
		struct vx_mem_region *r = &m->r[i];

		if (r->gpa == d->gpa && r->size == d->size && r->uva == d->uva &&
		    r->mmap_offset == d->mmap_offset && r->file_dev == (uint64_t)st.st_dev &&
		    r->file_ino == (uint64_t)st.st_ino)
			return r;
	}
	return NULL;
}

int vx_mem_add(struct vx_mem *m, const struct vx_mem_desc *d, int fd)
{
	struct vx_mem_region *r;
	uint64_t end, align, len;
	struct stat st;
	void *p;
	int err;

	r = mem_same(m, d, fd);
	if (r) {
		if (r->refs >= VX_MEM_MAX_REFS)
			return -ENOSPC;
		r->refs++;
		return 0;
	}
	err = mem_desc_check(m, d);
	if (err)
		return err;
	end = d->mmap_offset + d->size;
	err = mem_fd_check(fd, end, &align);
	if (!err && fstat(fd, &st) < 0)
		err = -errno;
	if (err)
		return err;
	/* hugetlbfs wants whole huge pages; st_blksize is the page size there. */
	if (end > UINT64_MAX - align)
		return -EINVAL;
	len = (end + align - 1) / align * align;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED && len != end)
		p = mmap(NULL, len = end, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	r = &m->r[m->n];
	r->fd = m->keep_fds ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (m->keep_fds && r->fd < 0) {
		err = -errno;
		munmap(p, len);
		return err;
	}
	m->n++;
	r->gpa = d->gpa;
	r->size = d->size;
	r->uva = d->uva;
	r->map = p;
	r->map_len = len;
	r->hva = (uint8_t *)p + d->mmap_offset;
	r->mmap_offset = d->mmap_offset;
	r->file_dev = (uint64_t)st.st_dev;
	r->file_ino = (uint64_t)st.st_ino;
	r->refs = 1;
	return 0;
}

int vx_mem_remove(struct vx_mem *m, const struct vx_mem_desc *d)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		struct vx_mem_region *r = &m->r[i];

		if (r->gpa != d->gpa || r->size != d->size || r->uva != d->uva)
			continue;
		if (r->refs > 1) {
			r->refs--;
			return 0;
		}
		munmap(r->map, r->map_len);
		if (r->fd >= 0)
			close(r->fd);
		memmove(r, r + 1, (m->n - i - 1) * sizeof(*r));
		m->n--;
		return 0;
	}
	return -ENOENT;
}

void vx_mem_clear(struct vx_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		munmap(m->r[i].map, m->r[i].map_len);
		if (m->r[i].fd >= 0)
			close(m->r[i].fd);
	}
	m->n = 0;
}

static const struct vx_mem_region *mem_find(const struct vx_mem *m, uint64_t addr, bool uva)
{
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		const struct vx_mem_region *r = &m->r[i];
		uint64_t base = uva ? r->uva : r->gpa;

		if (addr >= base && addr - base < r->size)
			return r;
	}
	return NULL;
}

static void *mem_xlate(const struct vx_mem *m, uint64_t addr, uint64_t len, bool uva)
{
	const struct vx_mem_region *r = mem_find(m, addr, uva);
	uint64_t off;

	if (!r)
		return NULL;
	off = addr - (uva ? r->uva : r->gpa);
	if (len > r->size - off)
		return NULL;
	return r->hva + off;
}

void *vx_mem_gpa(const struct vx_mem *m, uint64_t gpa, uint64_t len)
{
	return mem_xlate(m, gpa, len, false);
}

void *vx_mem_uva(const struct vx_mem *m, uint64_t uva, uint64_t len)
{
	return mem_xlate(m, uva, len, true);
}

int vx_mem_gpa_segs(const struct vx_mem *m, uint64_t gpa, uint32_t len, struct vx_seg *segs,
		    int max)
{
	int n = 0;

	if (!add_ok(gpa, len))
		return -EFAULT;
	while (len) {
		const struct vx_mem_region *r = mem_find(m, gpa, false);
		uint64_t off, chunk;

		if (!r)
			return -EFAULT;
		if (n == max)
			return -E2BIG;
		off = gpa - r->gpa;
		chunk = r->size - off < len ? r->size - off : len;
		segs[n].hva = r->hva + off;
		segs[n].len = (uint32_t)chunk;
		segs[n].gpa = gpa;
		n++;
		gpa += chunk;
		len -= (uint32_t)chunk;
	}
	return n;
}

int vx_dirty_log_map(struct vx_dirty_log *log, int fd, uint64_t size, uint64_t offset)
{
	uint64_t align, end;
	void *p;
	int err;

	if (!size || !add_ok(size, offset))
		return -EINVAL;
	end = size + offset;
	err = mem_fd_check(fd, end, &align);
	if (err)
		return err;
	p = mmap(NULL, end, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	log->map = p;
	log->map_len = end;
	log->bits = (uint8_t *)p + offset;
	log->size = size;
	return 0;
}

void vx_dirty_log_unmap(struct vx_dirty_log *log)
{
	if (log->map)
		munmap(log->map, log->map_len);
	memset(log, 0, sizeof(*log));
}

void vx_dirty_log_mark(struct vx_dirty_log *log, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!log->bits || !len)
		return;
	page = gpa / VX_LOG_PAGE;
	last = (gpa + len - 1) / VX_LOG_PAGE;
	if (gpa + len - 1 < gpa)
		last = UINT64_MAX / VX_LOG_PAGE;
	/* The VMM reads and clears the bitmap concurrently: set bits atomically. */
	for (; page <= last && page / 8 < log->size; page++)
		__atomic_fetch_or(&log->bits[page / 8], (uint8_t)(1u << (page % 8)),
				  __ATOMIC_RELAXED);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * guest_mem: the memory table a VMM hands over and the one checked
 * translation (hostile-inputs.md classes 6, 8, 9, 10). Regions are memfds;
 * every refusal must leave the table exactly as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fixtures.h"
#include "guest_mem.h"
#include "log.h"
#include "tap.h"

#define PAGE 4096ull

/* vx_mem_add must fail with want and leave m byte-for-byte unchanged. */
static void add_refused(struct vx_mem *m, struct vx_mem_desc d, int fd, int want, const char *what)
{
	struct vx_mem before = *m;
	int maps = fx_count_maps();
	int err = vx_mem_add(m, &d, fd);

	tap_is(err, want, what);
	tap_ok(!memcmp(&before, m, sizeof(before)) && fx_count_maps() == maps,
	       "  ... and the table is unchanged, nothing mapped");
}

static void test_add_checks(void)
{
	struct vx_mem m = {0};
	int fd = fx_memfd(16 * PAGE, false);
	int efd = eventfd(0, EFD_CLOEXEC), p[2];

	tap_is(vx_mem_add(&m, &(struct vx_mem_desc){0x10000, 4 * PAGE, 0x7000000000, 0}, fd), 0,
	       "valid region added");
	add_refused(&m, fx_desc(0x100000, 0, 0x7100000000, 0), fd, -EINVAL,
		    "region size 0 refused");
	add_refused(&m, fx_desc(UINT64_MAX - PAGE + 1, 2 * PAGE, 0x7100000000, 0), fd, -EINVAL,
		    "gpa + size overflow refused");
	add_refused(&m, fx_desc(0x100000, PAGE, UINT64_MAX - 10, 0), fd, -EINVAL,
		    "uva + size overflow refused");
	add_refused(&m, fx_desc(0x100000, 2 * PAGE, 0x7100000000, UINT64_MAX - PAGE), fd, -EINVAL,
		    "mmap_offset + size overflow refused");
	add_refused(&m, fx_desc(0x100000, UINT64_MAX, 0, 0), fd, -EINVAL,
		    "size UINT64_MAX refused");
	add_refused(&m, fx_desc(0x10000 + 3 * PAGE, PAGE * 2, 0x7100000000, 0), fd, -EEXIST,
		    "overlapping gpa (tail) refused");
	add_refused(&m, fx_desc(0x8000, PAGE * 16, 0x7100000000, 0), fd, -EEXIST,
		    "gpa range containing an existing region refused");
	add_refused(&m, fx_desc(0x100000, PAGE, 0x7000000000 + 2 * PAGE, 0), fd, -EEXIST,
		    "overlapping uva refused");
	add_refused(&m, fx_desc(0x10000, 4 * PAGE, 0x7000000000, PAGE), fd, -EEXIST,
		    "the same addresses at another file offset refused");
	{
		int fd2 = fx_memfd(16 * PAGE, false);

		add_refused(&m, fx_desc(0x10000, 4 * PAGE, 0x7000000000, 0), fd2, -EEXIST,
			    "the same addresses in another file refused");
		close(fd2);
	}
	tap_is(vx_mem_add(&m, &(struct vx_mem_desc){0x10000, 4 * PAGE, 0x7000000000, 0}, fd), 0,
	       "the same region again: one more reference (QEMU < 8.0 with multiqueue)");
	tap_ok(m.n == 1 && m.r[0].refs == 2, "  ... still one region, two references");
	tap_is(vx_mem_remove(&m, &(struct vx_mem_desc){0x10000, 4 * PAGE, 0x7000000000, 0}), 0,
	       "  ... the first removal drops a reference");
	tap_ok(m.n == 1 && m.r[0].refs == 1 && vx_mem_gpa(&m, 0x10000, PAGE),
	       "  ... and the region stays mapped");
	{
		struct vx_mem_desc same = {0x10000, 4 * PAGE, 0x7000000000, 0};
		int i, ok = 0;

		for (i = 1; i < VX_MEM_MAX_REFS; i++)
			ok += vx_mem_add(&m, &same, fd) == 0;
		tap_ok(ok == VX_MEM_MAX_REFS - 1 && vx_mem_add(&m, &same, fd) == -ENOSPC,
		       "  ... at most %d references, then -ENOSPC", VX_MEM_MAX_REFS);
		for (i = 1; i < VX_MEM_MAX_REFS; i++)
			vx_mem_remove(&m, &same);
		tap_ok(m.n == 1 && m.r[0].refs == 1, "  ... and back to one");
	}
	add_refused(&m, fx_desc(0x100000, 8 * PAGE, 0x7100000000, 9 * PAGE), fd, -EINVAL,
		    "fd smaller than mmap_offset + size refused (SIGBUS otherwise)");
	add_refused(&m, fx_desc(0x100000, 16 * PAGE + 1, 0x7100000000, 0), fd, -EINVAL,
		    "fd one byte short refused");
	add_refused(&m, fx_desc(0x100000, PAGE, 0x7100000000, 0), efd, -EINVAL,
		    "eventfd as memory refused");
	if (pipe(p) == 0) {
		add_refused(&m, fx_desc(0x100000, PAGE, 0x7100000000, 0), p[0], -EINVAL,
			    "pipe as memory refused");
		close(p[0]);
		close(p[1]);
	}
	add_refused(&m, fx_desc(0x100000, PAGE, 0x7100000000, 0), 999, -EBADF, "closed fd refused");
	tap_is(vx_mem_add(
		   &m, &(struct vx_mem_desc){0x10000 + 4 * PAGE, 12 * PAGE, 0x7100000000, 4 * PAGE},
		   fd),
	       0, "adjacent region covering the rest of the file accepted");
	tap_is(m.n, 2, "two regions in the table");
	vx_mem_clear(&m);
	tap_is(m.n, 0, "clear empties the table");
	tap_is(fx_count_maps(), 0, "clear unmaps everything");
	close(efd);
	close(fd);
}

static void test_max_regions(void)
{
	struct vx_mem m = {0};
	int fd = fx_memfd(PAGE, false), i, err = 0;

	for (i = 0; i < VX_MEM_MAX_REGIONS && !err; i++)
		err = vx_mem_add(&m,
				 &(struct vx_mem_desc){(uint64_t)i * PAGE, PAGE,
						       0x7000000000 + (uint64_t)i * PAGE, 0},
				 fd);
	tap_ok(!err && m.n == VX_MEM_MAX_REGIONS, "%d regions accepted", VX_MEM_MAX_REGIONS);
	add_refused(&m, fx_desc(0x40000000, PAGE, 0x7800000000, 0), fd, -ENOSPC,
		    "one region more than VX_MEM_MAX_REGIONS refused");
	tap_is(fx_count_maps(), VX_MEM_MAX_REGIONS, "one mapping per region");
	vx_mem_clear(&m);
	tap_is(fx_count_maps(), 0, "all unmapped");
	close(fd);
}

/* A sealable memfd gets F_SEAL_SHRINK, so the VMM cannot turn accesses into SIGBUS later. */
static void test_seal(void)
{
	struct vx_mem m = {0};
	int fd = fx_memfd(4 * PAGE, true);

	tap_is(vx_mem_add(&m, &(struct vx_mem_desc){0, 4 * PAGE, 0x7000000000, 0}, fd), 0,
	       "sealable memfd accepted");
	tap_ok(ftruncate(fd, PAGE) < 0 && errno == EPERM, "it can no longer shrink");
	vx_mem_clear(&m);
	close(fd);
}

static void test_translate(void)
{
	struct fx_guest g;
	uint8_t *a, *pa;
	uint64_t magic = 0x1122334455667788ull, got;

	fx_guest_init(&g);
	/* The file offset is honoured: byte FX_OFF_A + 0x500 of the file is gpa A + 0x500. */
	tap_ok(pwrite(g.fd_a, &magic, 8, FX_OFF_A + 0x500) == 8, "wrote through the fd");
	pa = vx_mem_gpa(&g.mem, FX_GPA_A + 0x500, 8);
	memcpy(&got, pa, 8);
	tap_ok(pa && got == magic, "gpa maps to mmap_offset + (gpa - region gpa)");
	tap_ok(vx_mem_uva(&g.mem, FX_UVA_A + 0x500, 8) == pa, "uva of the same byte agrees");

	a = vx_mem_gpa(&g.mem, FX_GPA_A, 1);
	tap_ok(a != NULL, "first byte of region");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A - 1, 1) == NULL, "byte before region fails");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A + FX_SIZE_A - 1, 1) == a + FX_SIZE_A - 1,
	       "last byte of region A");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A + FX_SIZE_A - 8, 8) != NULL, "last 8 bytes of A");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A + FX_SIZE_A - 8, 9) == NULL,
	       "range crossing A's end fails even though B is adjacent");
	tap_ok(vx_mem_gpa(&g.mem, FX_END_B - 1, 1) != NULL, "last byte of B");
	tap_ok(vx_mem_gpa(&g.mem, FX_END_B, 1) == NULL, "one past B fails");
	tap_ok(vx_mem_gpa(&g.mem, FX_END_B - 1, 2) == NULL, "last byte + 1 fails");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A, 0) != NULL, "len 0 inside a region");
	tap_ok(vx_mem_gpa(&g.mem, FX_END_B, 0) == NULL, "len 0 one past the end fails");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A, 0xffffffffull) == NULL, "len 0xffffffff fails");
	tap_ok(vx_mem_gpa(&g.mem, FX_GPA_A + 16, UINT64_MAX) == NULL, "len UINT64_MAX fails");
	tap_ok(vx_mem_gpa(&g.mem, UINT64_MAX, 1) == NULL, "gpa UINT64_MAX fails");
	tap_ok(vx_mem_gpa(&g.mem, UINT64_MAX - 3, 8) == NULL, "gpa near UINT64_MAX, wrapping len");
	tap_ok(vx_mem_uva(&g.mem, FX_UVA_A + FX_SIZE_A - 1, 1) != NULL, "last uva byte of A");
	tap_ok(vx_mem_uva(&g.mem, FX_UVA_A + FX_SIZE_A, 1) == NULL, "one past A's uva fails");
	tap_ok(vx_mem_uva(&g.mem, UINT64_MAX - 1, 0xffffffff) == NULL, "uva near UINT64_MAX fails");
	tap_ok(vx_mem_gpa(&g.mem, FX_UVA_A, 1) == NULL, "a uva is not a gpa");
	tap_ok(vx_mem_uva(&g.mem, FX_GPA_A, 1) == NULL, "a gpa is not a uva");
	fx_guest_fini(&g);
}

static void test_segs(void)
{
	struct fx_guest g;
	struct vx_seg s[4];
	int n;

	fx_guest_init(&g);
	n = vx_mem_gpa_segs(&g.mem, FX_GPA_B - 0x10, 0x20, s, 4);
	tap_is(n, 2, "buffer over the A/B boundary is 2 segments");
	tap_ok(n == 2 && s[0].len == 0x10 && s[1].len == 0x10 &&
		   s[0].hva == vx_mem_gpa(&g.mem, FX_GPA_B - 0x10, 1) &&
		   s[1].hva == vx_mem_gpa(&g.mem, FX_GPA_B, 1) && s[0].gpa == FX_GPA_B - 0x10 &&
		   s[1].gpa == FX_GPA_B,
	       "  ... with the right lengths, host addresses and gpas");
	tap_is(vx_mem_gpa_segs(&g.mem, FX_GPA_B - 0x10, 0x20, s, 1), -E2BIG,
	       "max segs too small: -E2BIG");
	tap_is(vx_mem_gpa_segs(&g.mem, FX_END_B - 0x10, 0x20, s, 4), -EFAULT,
	       "buffer running past the last region: -EFAULT");
	tap_is(vx_mem_gpa_segs(&g.mem, FX_GPA_A - 4, 8, s, 4), -EFAULT,
	       "buffer starting in a hole: -EFAULT");
	tap_is(vx_mem_gpa_segs(&g.mem, FX_GPA_A, 0, s, 4), 0, "len 0: no segments");
	tap_is(vx_mem_gpa_segs(&g.mem, FX_GPA_A, 0xffffffff, s, 4), -EFAULT, "len 0xffffffff");
	tap_is(vx_mem_gpa_segs(&g.mem, UINT64_MAX - 8, 0x20, s, 4), -EFAULT,
	       "gpa + len wrapping: -EFAULT");
	tap_is(vx_mem_gpa_segs(&g.mem, FX_GPA_A, (uint32_t)FX_SIZE_A, s, 1), 1,
	       "whole region A is one segment");

	/* A hole between two regions. */
	{
		struct vx_mem m = {0};
		int fd = fx_memfd(2 * PAGE, false);

		vx_mem_add(&m, &(struct vx_mem_desc){0, PAGE, 0x7000000000, 0}, fd);
		vx_mem_add(&m, &(struct vx_mem_desc){2 * PAGE, PAGE, 0x7100000000, PAGE}, fd);
		tap_is(vx_mem_gpa_segs(&m, PAGE - 8, 16, s, 4), -EFAULT,
		       "buffer over a hole between regions: -EFAULT");
		tap_is(vx_mem_gpa_segs(&m, PAGE - 8, 8, s, 4), 1,
		       "the part before the hole is fine");
		vx_mem_clear(&m);
		close(fd);
	}
	fx_guest_fini(&g);
}

static void test_remove(void)
{
	struct vx_mem m = {0};
	int fd = fx_memfd(3 * PAGE, false), i;
	struct vx_mem_desc d[3];

	for (i = 0; i < 3; i++) {
		d[i] = fx_desc(0x100000 * (uint64_t)(i + 1), PAGE, 0x7000000000 + 0x100000ull * i,
			       PAGE * (uint64_t)i);
		vx_mem_add(&m, &d[i], fd);
	}
	tap_is(fx_count_maps(), 3, "3 regions mapped");
	tap_is(vx_mem_remove(&m, &(struct vx_mem_desc){0x200000, 2 * PAGE, 0x7000100000, 0}),
	       -ENOENT, "remove with the wrong size: -ENOENT");
	tap_is(vx_mem_remove(&m, &(struct vx_mem_desc){0x200000, PAGE, 0x7000200000, 0}), -ENOENT,
	       "remove with the wrong uva: -ENOENT");
	tap_is(m.n, 3, "nothing removed");
	tap_is(vx_mem_remove(&m, &d[1]), 0, "remove the middle region");
	tap_ok(m.n == 2 && fx_count_maps() == 2, "  ... it is unmapped");
	tap_ok(vx_mem_gpa(&m, d[1].gpa, 1) == NULL, "  ... and no longer translates");
	tap_ok(vx_mem_gpa(&m, d[0].gpa, PAGE) && vx_mem_gpa(&m, d[2].gpa, PAGE) &&
		   vx_mem_uva(&m, d[2].uva, PAGE) == vx_mem_gpa(&m, d[2].gpa, PAGE),
	       "  ... the others still do");
	tap_is(vx_mem_remove(&m, &d[1]), -ENOENT, "removing it again: -ENOENT");
	tap_is(vx_mem_add(&m, &d[1], fd), 0, "it can be added back");
	vx_mem_clear(&m);
	tap_is(fx_count_maps(), 0, "all unmapped");
	close(fd);
}

static bool bits_only(const uint8_t *b, size_t n, const uint8_t *want)
{
	return !memcmp(b, want, n);
}

static void test_dirty_log(void)
{
	struct vx_dirty_log log = {0};
	/* 16 bytes of bitmap at offset 64 of a 4 KiB file: 128 pages. */
	int fd = fx_memfd(PAGE, false), efd = eventfd(0, EFD_CLOEXEC);
	uint8_t want[PAGE] = {0};
	uint8_t *file;

	tap_is(vx_dirty_log_map(&log, fd, 0, 0), -EINVAL, "log size 0 refused");
	tap_is(vx_dirty_log_map(&log, fd, 16, UINT64_MAX - 8), -EINVAL,
	       "log size + offset overflow refused");
	tap_is(vx_dirty_log_map(&log, fd, PAGE, 1), -EINVAL, "log fd smaller than claimed refused");
	tap_is(vx_dirty_log_map(&log, fd, 1ull << 40, 0), -EINVAL, "log of 1 TiB on 4 KiB refused");
	tap_is(vx_dirty_log_map(&log, efd, 16, 0), -EINVAL, "log on an eventfd refused");
	tap_ok(log.bits == NULL && log.map == NULL, "refusals leave the log unmapped");
	tap_is(vx_dirty_log_map(&log, fd, 16, 64), 0, "16-byte log at offset 64 mapped");
	file = log.bits - 64;

	vx_dirty_log_mark(&log, 3 * PAGE, 1);
	want[64] |= 1 << 3;
	tap_ok(bits_only(file, PAGE, want), "one byte of page 3 marks bit 3");
	vx_dirty_log_mark(&log, 2 * PAGE - 1, 2);
	want[64] |= 1 << 1 | 1 << 2;
	tap_ok(bits_only(file, PAGE, want), "two bytes over pages 1|2 mark both");
	vx_dirty_log_mark(&log, 9 * PAGE, 0);
	tap_ok(bits_only(file, PAGE, want), "len 0 marks nothing");
	vx_dirty_log_mark(&log, 126 * PAGE + 5, 3 * PAGE);
	want[64 + 15] |= 1 << 6 | 1 << 7;
	tap_ok(bits_only(file, PAGE, want), "range running past the bitmap marks its last pages");
	vx_dirty_log_mark(&log, 128 * PAGE, PAGE);
	vx_dirty_log_mark(&log, 1ull << 50, PAGE);
	vx_dirty_log_mark(&log, UINT64_MAX - 10, 100);
	tap_ok(bits_only(file, PAGE, want), "pages past the bitmap (and wrapping ranges) ignored");
	vx_dirty_log_mark(&log, 0, UINT64_MAX);
	memset(want + 64, 0xff, 16);
	tap_ok(bits_only(file, PAGE, want),
	       "len UINT64_MAX marks the whole bitmap and not one byte around it");
	vx_dirty_log_unmap(&log);
	tap_ok(log.bits == NULL && fx_count_maps() == 0, "log unmapped");
	vx_dirty_log_mark(&log, 0, PAGE);
	vx_dirty_log_mark(&log, 5 * PAGE, UINT64_MAX);
	{
		uint8_t now[PAGE];

		/* Nothing to crash on, and the file behind the old log keeps its bits. */
		tap_ok(log.bits == NULL && log.map == NULL && log.size == 0 &&
			       pread(fd, now, PAGE, 0) == PAGE && bits_only(now, PAGE, want),
		       "marking with no log is a no-op: the log stays empty, the file as it was");
	}
	close(fd);
	close(efd);
}

int main(void)
{
	int fds = fx_count_fds();

	vx_log_set_level(VX_LOG_ERROR);
	test_add_checks();
	test_max_regions();
	test_seal();
	test_translate();
	test_segs();
	test_remove();
	test_dirty_log();
	tap_is(fx_count_fds(), fds, "no fd leaked");
	tap_is(fx_count_maps(), 0, "no mapping leaked");
	return tap_done();
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the libFuzzer targets that drive libvx code (fuzz_vu,
 * fuzz_virtq, fuzz_kdev): an input reader, per-run fds that must all be
 * gone at the end of each input (fz_check_leaks), and a vx_log stand-in
 * that formats every message (so the arguments are checked) but prints
 * nothing. Header-only: each target is one file plus the user/ sources.
 */
#ifndef VX_FUZZ_COMMON_H
#define VX_FUZZ_COMMON_H

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/* ---- log: formatted, not printed (VX_FUZZ_LOG=1 prints) ---- */

void vx_log(enum vx_log_level level, const char *fmt, ...)
{
	static int print = -1;
	char buf[512];
	va_list ap;

	if (print < 0)
		print = getenv("VX_FUZZ_LOG") != NULL;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (print)
		fputs(buf, stderr);
}

/* ---- the input ---- */

struct fz {
	const uint8_t *d;
	size_t n, pos;
};

static inline size_t fz_left(const struct fz *f)
{
	return f->n - f->pos;
}

/* Copies len bytes (zeros past the end of the input); returns how many came from it. */
static inline size_t fz_bytes(struct fz *f, void *out, size_t len)
{
	size_t k = fz_left(f) < len ? fz_left(f) : len;

	memcpy(out, f->d + f->pos, k);
	memset((uint8_t *)out + k, 0, len - k);
	f->pos += k;
	return k;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint16_t v;

	fz_bytes(f, &v, 2);
	return v;
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint32_t v;

	fz_bytes(f, &v, 4);
	return v;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t v;

	fz_bytes(f, &v, 8);
	return v;
}

/* ---- leaks: fds and mappings of the memfds made here ---- */

#define FZ_MEMFD_NAME "vxfuzz"

static inline int fz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static inline int fz_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		abort();
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/memfd:" FZ_MEMFD_NAME))
			n++;
	fclose(f);
	return n;
}

/*
 * Call at the end of every input, after everything the input made should
 * be gone: aborts (a libFuzzer crash) if an fd or a mapping of one of our
 * memfds outlived it. The first call takes the baseline.
 */
static inline void fz_check_leaks(void)
{
	static int base_fds = -1;
	int fds = fz_count_fds(), maps = fz_count_maps();

	if (base_fds < 0)
		base_fds = fds;
	if (fds != base_fds || maps) {
		fprintf(stderr, "fuzz: leak after this input: %d fds (baseline %d), %d mappings\n",
			fds, base_fds, maps);
		abort();
	}
}

static inline int fz_memfd(const char *tag, uint64_t size)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), FZ_MEMFD_NAME "-%s", tag);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	return fd;
}

/* Is fd open? (A device must never hold an fd it closed.) */
static inline bool fz_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the split-ring walker (user/virtq.c) over guest memory the
 * input writes: descriptor table, avail ring, indirect tables and data.
 * Guest memory is one 64 KiB memfd as two regions, adjacent in guest
 * physical space but apart in the VMM's, so buffers that cross 0x8000 are
 * split into two segments:
 *
 *   gpa 0x0000-0x7fff  uva 0x100000   desc at gpa 0, avail right after it
 *   gpa 0x8000-0xffff  uva 0x208000   used ring at gpa 0xc000 (not input)
 *
 * Input: num (1 << (b % 9)), flags (bit 0 EVENT_IDX, 1 dirty log, 2 call
 * eventfd, 3 err eventfd, 4 pop/unpop/pop), base (u16: avail position and
 * used->idx), pops (0: 2 * num + 2), skip (u16, for vx_chain_read), then
 * guest memory from gpa 0.
 *
 * Each chain popped must have its segments inside one region each, its
 * lengths add up, no more segments than vx_vq_max_segs, and pop again to
 * the same chain after vx_vq_unpop; reads and writes through it stay
 * within it.
 */
#include <errno.h>

#include "fuzz_common.h"
#include "virtq.h"

#define GUEST_SIZE 0x10000
#define SPLIT	   0x8000
#define UVA_A	   0x100000ull
#define UVA_B	   0x208000ull
#define USED_GPA   0xc000ull

static struct vx_mem mem;
static struct vx_dirty_log dlog;
static int call_fd, err_fd;
static uint8_t buf[0x40000];

static uint8_t *gpa_ptr(uint64_t gpa)
{
	return gpa < SPLIT ? mem.r[0].hva + gpa : mem.r[1].hva + (gpa - SPLIT);
}

static void setup(void)
{
	struct vx_mem_desc a = { .gpa = 0, .size = SPLIT, .uva = UVA_A, .mmap_offset = 0 };
	struct vx_mem_desc b = { .gpa = SPLIT, .size = SPLIT, .uva = UVA_B, .mmap_offset = SPLIT };
	int fd = fz_memfd("guest", GUEST_SIZE), lfd = fz_memfd("log", 4096);

	if (vx_mem_add(&mem, &a, fd) || vx_mem_add(&mem, &b, fd) ||
	    vx_dirty_log_map(&dlog, lfd, 2, 0))
		abort();
	close(fd);
	close(lfd);
	call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	err_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static void check_chain(const struct vx_vq *vq, const struct vx_chain *c)
{
	uint64_t out = 0, in = 0;
	unsigned int i;

	if (c->head >= vq->num || c->seg != vq->segs ||
	    (uint32_t)c->nout + c->nin > vx_vq_max_segs(vq) || vx_vq_max_segs(vq) > vq->segs_cap)
		abort();
	for (i = 0; i < (unsigned int)c->nout + c->nin; i++) {
		const struct vx_seg *s = &c->seg[i];

		/* Each segment is non-empty and wholly inside one region, where its gpa says. */
		if (!s->len || vx_mem_gpa(&mem, s->gpa, s->len) != s->hva) {
			fprintf(stderr, "fuzz: segment %u (gpa 0x%llx len %u) outside memory\n", i,
				(unsigned long long)s->gpa, s->len);
			abort();
		}
		if (i < c->nout)
			out += s->len;
		else
			in += s->len;
	}
	if (out != c->out_len || in != c->in_len)
		abort();
}

static bool same_chain(const struct vx_chain *a, const struct vx_chain *b)
{
	return a->head == b->head && a->nout == b->nout && a->nin == b->nin &&
	       a->out_len == b->out_len && a->in_len == b->in_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { .d = data, .n = size };
	struct vx_vq vq;
	struct vx_chain c, again;
	uint16_t num, base, skip;
	uint8_t flags;
	unsigned int pops, i;
	size_t left;

	if (!mem.n)
		setup();
	num = (uint16_t)(1u << (fz_u8(&f) % 9));
	flags = fz_u8(&f);
	base = fz_u16(&f);
	pops = fz_u8(&f);
	skip = fz_u16(&f);
	if (!pops)
		pops = 2u * num + 2;

	memset(mem.r[0].hva, 0, SPLIT);
	memset(mem.r[1].hva, 0, SPLIT);
	left = fz_left(&f) < USED_GPA ? fz_left(&f) : USED_GPA;
	for (i = 0; i < left; i++)
		*gpa_ptr(i) = f.d[f.pos + i];
	memcpy(gpa_ptr(USED_GPA + 2), &base, 2);

	vx_vq_init(&vq, "fz");
	vq.mem = &mem;
	vq.num = num;
	vq.desc_uva = UVA_A;
	vq.avail_uva = UVA_A + 16ull * num;
	vq.used_uva = UVA_B + (USED_GPA - SPLIT);
	vq.log_gpa = USED_GPA;
	vq.addr_set = true;
	vq.event_idx = flags & 1;
	vq.log = (flags & 2) ? &dlog : NULL;
	vq.log_used = flags & 2;
	vq.call_fd = (flags & 4) ? call_fd : -1;
	vq.err_fd = (flags & 8) ? err_fd : -1;
	vq.started = vq.enabled = true;
	vq.last_avail = vq.avail_seen = base;
	if (vx_vq_map(&vq) || !vx_vq_active(&vq))
		abort();

	for (i = 0; i < pops; i++) {
		int r = vx_vq_pop(&vq, &c);
		uint32_t n, want;

		if (r < 0) {
			if (r != -EIO || !vq.broken || vx_vq_pop(&vq, &c) != -EIO)
				abort();
			break;
		}
		if (r == 0) {
			if (!vx_vq_kick_enable(&vq))
				break;
			vx_vq_kick_disable(&vq);
			continue;
		}
		check_chain(&vq, &c);
		if (flags & 0x10) {
			/* Nothing written yet: the same chain comes again. */
			vx_vq_unpop(&vq, 1);
			if (vx_vq_pop(&vq, &again) != 1 || !same_chain(&c, &again))
				abort();
		}
		n = c.out_len < sizeof(buf) ? c.out_len : sizeof(buf);
		want = skip >= c.out_len ? 0 : (c.out_len - skip < n ? c.out_len - skip : n);
		if (vx_chain_read(&c, skip, buf, n) != want)
			abort();
		n = c.in_len < sizeof(buf) ? c.in_len : sizeof(buf);
		if (vx_chain_write(&c, 0, buf, n) != n)
			abort();
		vx_vq_log_write(&vq, &c, n);
		vx_vq_push(&vq, c.head, n);
		if (i % 4 == 3)
			vx_vq_flush(&vq);
	}
	vx_vq_flush(&vq);
	vx_vq_kick_disable(&vq);
	/* The fds are the harness's: the queue must not close them. */
	vq.call_fd = vq.err_fd = -1;
	vx_vq_free(&vq);
	if (!fz_fd_open(call_fd) || !fz_fd_open(err_fd))
		abort();
	return 0;
}

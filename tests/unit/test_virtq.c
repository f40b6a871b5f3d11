// SPDX-License-Identifier: GPL-2.0
/*
 * virtq: the split-ring walker, driven by a hostile guest (hostile-inputs.md
 * classes 9-14, 17). Rings live in memfd-backed fake guest memory whose gpa,
 * uva and host addresses all differ; every malformed chain must break the
 * queue, signal the error eventfd and touch nothing.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"
#include "log.h"
#include "tap.h"
#include "virtq.h"

#define NUM    8
#define BUF(i) (FX_BUF_GPA + 0x1000ull * (i))

static struct fx_guest g;
static struct fx_ring r;
static struct vx_vq vq;
static struct vx_chain c;

static void setup(uint16_t num, bool event_idx)
{
	fx_ring_init(&r, &g, num);
	fx_vq_init(&vq, &r);
	vq.event_idx = event_idx;
	memset(&c, 0, sizeof(c));
}

static void teardown(void)
{
	vx_vq_free(&vq);
}

/* The queue must now be broken: pop fails, the error eventfd fired once. */
static void expect_broken(const char *what)
{
	int err_fd = vq.err_fd;
	int n = vx_vq_pop(&vq, &c);

	tap_ok(n == -EIO && vq.broken && vq.errors == 1 && fx_eventfd_take(err_fd) == 1, "%s",
	       what);
	if (n != -EIO || !vq.broken)
		tap_diag("  pop returned %d, broken %d", n, vq.broken);
	tap_ok(vx_vq_pop(&vq, &c) == -EIO && vq.errors == 1 && fx_eventfd_take(err_fd) == 0 &&
		   vq.last_avail == 0,
	       "  ... stays broken, signalled once, nothing consumed");
}

/* One descriptor chain given by (addr, len, flags) triples, linked by NEXT. */
static void post_chain(uint16_t head, int n, const uint64_t *addr, const uint32_t *len,
		       const uint16_t *flags)
{
	int i;

	for (i = 0; i < n; i++) {
		uint16_t f = flags[i] | (i + 1 < n ? VRING_DESC_F_NEXT : 0);

		fx_ring_desc(&r, (uint16_t)(head + i), addr[i], len[i], f,
			     (uint16_t)(head + i + 1));
	}
	fx_ring_avail(&r, head);
}

static void test_normal(void)
{
	uint8_t *rd = fx_gpa(&g, BUF(0)), *wr = fx_gpa(&g, BUF(1));
	uint8_t buf[64];

	setup(NUM, false);
	tap_is(vx_vq_pop(&vq, &c), 0, "empty ring: pop returns 0");
	post_chain(0, 2, (uint64_t[]){BUF(0), BUF(1)}, (uint32_t[]){100, 200},
		   (uint16_t[]){0, VRING_DESC_F_WRITE});
	tap_is(vx_vq_pop(&vq, &c), 1, "readable+writable chain popped");
	tap_ok(c.head == 0 && c.nout == 1 && c.nin == 1 && c.out_len == 100 && c.in_len == 200,
	       "  ... head 0, 1 out of 100, 1 in of 200");
	tap_ok(c.seg[0].hva == rd && c.seg[1].hva == wr && c.seg[0].gpa == BUF(0) &&
		   c.seg[1].len == 200,
	       "  ... segments point into guest memory at the gpa (not the uva)");
	tap_is(vx_vq_pop(&vq, &c), 0, "ring empty again");
	tap_is(vq.last_avail, 1, "last_avail advanced");

	memset(rd, 0xab, 100);
	memset(buf, 0, sizeof(buf));
	tap_is(vx_chain_read(&c, 90, buf, sizeof(buf)), 10, "read with skip stops at the end");
	tap_is(vx_chain_read(&c, 100, buf, sizeof(buf)), 0, "read past the end reads nothing");
	tap_is(vx_chain_write(&c, 0, buf, 64), 64, "write 64");
	tap_ok(rd[0] == 0xab && wr[0] == 0xab && wr[63] == 0,
	       "  ... into the writable segment only");
	tap_is(vx_chain_write(&c, 150, buf, 64), 50, "write with skip clipped at the end");
	tap_is(vx_chain_write(&c, 200, buf, 64), 0, "write past the end writes nothing");
	teardown();
}

/* Writes never go past the writable segments; reads never into them. */
static void test_chain_rw_segments(void)
{
	uint8_t data[40], out[40];
	uint8_t *w1 = fx_gpa(&g, BUF(1)), *w2 = fx_gpa(&g, BUF(2)), *rd = fx_gpa(&g, BUF(0));
	unsigned int i;

	setup(NUM, false);
	memset(w1, 0xee, 32);
	memset(w2, 0xee, 32);
	memset(rd, 0x11, 32);
	/* 10 readable, then 10 + 10 writable; the guard bytes after each stay 0xee. */
	post_chain(0, 3, (uint64_t[]){BUF(0), BUF(1), BUF(2)}, (uint32_t[]){10, 10, 10},
		   (uint16_t[]){0, VRING_DESC_F_WRITE, VRING_DESC_F_WRITE});
	tap_is(vx_vq_pop(&vq, &c), 1, "1 readable + 2 writable");
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	tap_is(vx_chain_write(&c, 0, data, sizeof(data)), 20,
	       "write 40 into 20 writable bytes: 20");
	tap_ok(!memcmp(w1, data, 10) && !memcmp(w2, data + 10, 10) && w1[10] == 0xee &&
		   w2[10] == 0xee && rd[0] == 0x11 && rd[10] == 0x11,
	       "  ... split over both, nothing past them, readable buffer untouched");
	tap_is(vx_chain_write(&c, 5, data, 10), 10, "write at skip 5 crosses segments");
	tap_ok(!memcmp(w1 + 5, data, 5) && !memcmp(w2, data + 5, 5), "  ... correctly");
	tap_is(vx_chain_read(&c, 0, out, sizeof(out)), 10, "read sees only the readable 10 bytes");
	/* An RX chain without any device-writable buffer. */
	post_chain(3, 2, (uint64_t[]){BUF(3), BUF(4)}, (uint32_t[]){1, 1}, (uint16_t[]){0, 0});
	memset(fx_gpa(&g, BUF(3)), 0x22, 2);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.nin == 0 && c.in_len == 0,
	       "read-only chain: nothing writable");
	tap_ok(vx_chain_write(&c, 0, data, sizeof(data)) == 0 &&
		   *(uint8_t *)fx_gpa(&g, BUF(3)) == 0x22,
	       "  ... write writes nothing");
	post_chain(5, 1, (uint64_t[]){BUF(5)}, (uint32_t[]){1}, (uint16_t[]){VRING_DESC_F_WRITE});
	memset(fx_gpa(&g, BUF(5)), 0x33, 2);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && vx_chain_write(&c, 0, data, sizeof(data)) == 1 &&
		   *(uint8_t *)fx_gpa(&g, BUF(5) + 1) == 0x33,
	       "1-byte writable buffer: 1 byte written, not one more");
	teardown();
}

static void test_cross_region(void)
{
	uint8_t *a = fx_gpa(&g, FX_GPA_B - 16), *b = fx_gpa(&g, FX_GPA_B), out[32], want[32];

	setup(NUM, false);
	memset(a, 'a', 16);
	memset(b, 'b', 16);
	memset(want, 'a', 16);
	memset(want + 16, 'b', 16);
	fx_ring_desc(&r, 0, FX_GPA_B - 16, 32, 0, 0);
	fx_ring_avail(&r, 0);
	tap_is(vx_vq_pop(&vq, &c), 1, "descriptor over two adjacent regions");
	tap_ok(c.nout == 2 && c.out_len == 32 && c.seg[0].len == 16 && c.seg[1].hva == b,
	       "  ... becomes two segments");
	tap_ok(vx_chain_read(&c, 0, out, 32) == 32 && !memcmp(out, want, 32),
	       "  ... read across both");
	teardown();
}

static void test_indirect(void)
{
	struct vring_desc *t = fx_gpa(&g, BUF(8));

	setup(NUM, false);
	fx_set_desc(&t[0], BUF(0), 10, VRING_DESC_F_NEXT, 1);
	fx_set_desc(&t[1], BUF(1), 20, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	fx_set_desc(&t[2], BUF(2), 30, VRING_DESC_F_WRITE, 0);
	fx_ring_desc(&r, 3, BUF(8), 3 * 16, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 3);
	tap_is(vx_vq_pop(&vq, &c), 1, "indirect table popped");
	tap_ok(c.head == 3 && c.nout == 1 && c.nin == 2 && c.out_len == 10 && c.in_len == 50,
	       "  ... head 3, 1 out, 2 in");
	tap_ok(c.seg[2].hva == fx_gpa(&g, BUF(2)), "  ... segment addresses from the table");

	/* The walk starts at entry 0 and follows next, not table order: 0 -> 2. */
	t = fx_gpa(&g, BUF(9));
	fx_set_desc(&t[0], BUF(0), 5, VRING_DESC_F_NEXT, 2);
	fx_set_desc(&t[1], 0x50000000, 0xffffffff, 0, 0); /* never visited */
	fx_set_desc(&t[2], BUF(1), 6, VRING_DESC_F_WRITE, 0);
	fx_ring_desc(&r, 4, BUF(9), 3 * 16, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 4);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.nout == 1 && c.nin == 1 && c.in_len == 6,
	       "indirect entries followed by next, not by position");
	teardown();
}

/* A bad chain: broken queue. `set` writes the descriptors, head 0 is made available. */
static void bad_chain(const char *what, void (*set)(void))
{
	setup(NUM, false);
	set();
	expect_broken(what);
	teardown();
}

static void set_loop(void)
{
	fx_ring_desc(&r, 0, BUF(0), 10, VRING_DESC_F_NEXT, 1);
	fx_ring_desc(&r, 1, BUF(1), 10, VRING_DESC_F_NEXT, 0);
	fx_ring_avail(&r, 0);
}

static void set_self_loop_len0(void)
{
	/* Zero-length descriptors translate to nothing, so only the count can stop this. */
	fx_ring_desc(&r, 0, 0, 0, VRING_DESC_F_NEXT, 0);
	fx_ring_avail(&r, 0);
}

static void set_loop_tail(void)
{
	int i;

	/* 0 -> 1 -> ... -> 7 -> 3: longer than the queue. */
	for (i = 0; i < NUM; i++)
		fx_ring_desc(&r, (uint16_t)i, BUF(i), 1, VRING_DESC_F_NEXT,
			     (uint16_t)(i == NUM - 1 ? 3 : i + 1));
	fx_ring_avail(&r, 0);
}

static void set_next_oob(void)
{
	fx_ring_desc(&r, 0, BUF(0), 10, VRING_DESC_F_NEXT, NUM);
	fx_ring_avail(&r, 0);
}

static void set_next_huge(void)
{
	fx_ring_desc(&r, 0, BUF(0), 10, VRING_DESC_F_NEXT, 0xffff);
	fx_ring_avail(&r, 0);
}

static void set_head_oob(void)
{
	fx_ring_desc(&r, 0, BUF(0), 10, 0, 0);
	fx_ring_avail(&r, NUM);
}

static void set_outside(void)
{
	fx_ring_desc(&r, 0, 0x50000000, 10, 0, 0);
	fx_ring_avail(&r, 0);
}

static void set_uva_not_gpa(void)
{
	/* The VMM's address of a buffer is not its guest address. */
	fx_ring_desc(&r, 0, FX_UVA_A + 0x10000, 10, 0, 0);
	fx_ring_avail(&r, 0);
}

static void set_cross_end(void)
{
	fx_ring_desc(&r, 0, FX_END_B - 16, 32, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, 0);
}

static void set_cross_start(void)
{
	fx_ring_desc(&r, 0, FX_GPA_A - 16, 32, 0, 0);
	fx_ring_avail(&r, 0);
}

static void set_len_max(void)
{
	fx_ring_desc(&r, 0, BUF(0), 0xffffffff, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, 0);
}

static void set_addr_wrap(void)
{
	fx_ring_desc(&r, 0, UINT64_MAX - 8, 0x100, 0, 0);
	fx_ring_avail(&r, 0);
}

static void set_read_after_write(void)
{
	fx_ring_desc(&r, 0, BUF(0), 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	fx_ring_desc(&r, 1, BUF(1), 10, 0, 0);
	fx_ring_avail(&r, 0);
}

static void set_avail_jump(void)
{
	fx_ring_desc(&r, 0, BUF(0), 10, 0, 0);
	r.avail->ring[0] = 0;
	r.avail->idx = htole16(NUM + 1);
}

static void set_avail_backwards(void)
{
	/* idx "behind" last_avail is a jump of almost 65536. */
	r.avail->idx = htole16(0xffff);
}

static struct vring_desc *ind_table(void)
{
	return fx_gpa(&g, BUF(8));
}

static void set_ind(uint64_t addr, uint32_t len, uint16_t flags)
{
	fx_ring_desc(&r, 0, addr, len, VRING_DESC_F_INDIRECT | flags, 1);
	fx_ring_desc(&r, 1, BUF(1), 10, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, 0);
}

static void set_ind_len24(void)
{
	fx_set_desc(&ind_table()[0], BUF(0), 10, 0, 0);
	set_ind(BUF(8), 24, 0);
}

static void set_ind_len0(void)
{
	set_ind(BUF(8), 0, 0);
}

static void set_ind_huge(void)
{
	set_ind(BUF(8), 0xfffffff0, 0);
}

static void set_ind_big(void)
{
	/* 32769 entries: one more than any queue, and more than memory after BUF(8). */
	set_ind(BUF(8), 16 * (VX_VQ_MAX_SIZE + 1), 0);
}

static void set_ind_outside(void)
{
	set_ind(0x50000000, 32, 0);
}

static void set_ind_cross_end(void)
{
	set_ind(FX_END_B - 16, 32, 0);
}

static void set_ind_nested(void)
{
	struct vring_desc *t = ind_table();

	fx_set_desc(&t[0], BUF(0), 10, VRING_DESC_F_NEXT, 1);
	fx_set_desc(&t[1], BUF(9), 32, VRING_DESC_F_INDIRECT, 0);
	set_ind(BUF(8), 32, 0);
}

static void set_ind_next(void)
{
	fx_set_desc(&ind_table()[0], BUF(0), 10, 0, 0);
	set_ind(BUF(8), 16, VRING_DESC_F_NEXT);
}

static void set_ind_loop(void)
{
	struct vring_desc *t = ind_table();

	fx_set_desc(&t[0], BUF(0), 10, VRING_DESC_F_NEXT, 1);
	fx_set_desc(&t[1], BUF(1), 10, VRING_DESC_F_NEXT, 0);
	fx_ring_desc(&r, 0, BUF(8), 32, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 0);
}

static void set_ind_next_oob(void)
{
	struct vring_desc *t = ind_table();

	fx_set_desc(&t[0], BUF(0), 10, VRING_DESC_F_NEXT, 2);
	fx_set_desc(&t[2], BUF(0), 10, 0, 0); /* present in memory, but past len */
	fx_ring_desc(&r, 0, BUF(8), 32, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 0);
}

static void set_ind_read_after_write(void)
{
	struct vring_desc *t = ind_table();

	fx_set_desc(&t[0], BUF(0), 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	fx_set_desc(&t[1], BUF(1), 10, 0, 0);
	fx_ring_desc(&r, 0, BUF(8), 32, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 0);
}

static void set_ind_entry_outside(void)
{
	fx_set_desc(&ind_table()[0], 0x50000000, 10, 0, 0);
	fx_ring_desc(&r, 0, BUF(8), 16, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 0);
}

static void set_ind_many_segs(void)
{
	struct vring_desc *t = ind_table();
	uint16_t i, n = NUM + VX_CHAIN_SPLIT_SEGS + 1;

	/* More one-byte entries than the queue size plus the split allowance. */
	for (i = 0; i < n; i++)
		fx_set_desc(&t[i], BUF(0) + i, 1, i + 1 < n ? VRING_DESC_F_NEXT : 0,
			    (uint16_t)(i + 1));
	fx_ring_desc(&r, 0, BUF(8), 16u * n, VRING_DESC_F_INDIRECT, 0);
	fx_ring_avail(&r, 0);
}

static void test_bad_chains(void)
{
	bad_chain("next cycle 0 -> 1 -> 0: broken, err eventfd signalled", set_loop);
	bad_chain("self loop of zero-length descriptors: broken", set_self_loop_len0);
	bad_chain("chain longer than the queue (tail loop): broken", set_loop_tail);
	bad_chain("next == num: broken", set_next_oob);
	bad_chain("next 0xffff: broken", set_next_huge);
	bad_chain("avail ring head >= num: broken", set_head_oob);
	bad_chain("descriptor outside guest memory: broken", set_outside);
	bad_chain("descriptor address given as a uva: broken", set_uva_not_gpa);
	bad_chain("descriptor crossing the end of the last region: broken", set_cross_end);
	bad_chain("descriptor starting before the first region: broken", set_cross_start);
	bad_chain("length 0xffffffff: broken", set_len_max);
	bad_chain("address + length wrapping: broken", set_addr_wrap);
	bad_chain("readable after writable: broken", set_read_after_write);
	bad_chain("avail idx jumping by num + 1: broken", set_avail_jump);
	bad_chain("avail idx going backwards: broken", set_avail_backwards);
	bad_chain("indirect len 24 (not a multiple of 16): broken", set_ind_len24);
	bad_chain("indirect len 0: broken", set_ind_len0);
	bad_chain("indirect len 0xfffffff0: broken", set_ind_huge);
	bad_chain("indirect len 16 * 32769: broken", set_ind_big);
	bad_chain("indirect table outside memory: broken", set_ind_outside);
	bad_chain("indirect table crossing the end of memory: broken", set_ind_cross_end);
	bad_chain("nested indirect: broken", set_ind_nested);
	bad_chain("INDIRECT | NEXT: broken", set_ind_next);
	bad_chain("indirect next loop: broken", set_ind_loop);
	bad_chain("indirect next past the table: broken", set_ind_next_oob);
	bad_chain("indirect readable after writable: broken", set_ind_read_after_write);
	bad_chain("indirect entry outside memory: broken", set_ind_entry_outside);
	bad_chain("indirect with more entries than the queue size + split allowance: broken",
		  set_ind_many_segs);
}

static void test_zero_len(void)
{
	setup(NUM, false);
	fx_ring_desc(&r, 0, 0x50000000, 0, VRING_DESC_F_NEXT, 1); /* len 0: not translated */
	fx_ring_desc(&r, 1, BUF(1), 10, 0, 0);
	fx_ring_avail(&r, 0);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.nout == 1 && c.out_len == 10 &&
		   c.seg[0].hva == fx_gpa(&g, BUF(1)),
	       "zero-length descriptor skipped (even with a bogus address)");
	fx_ring_desc(&r, 2, BUF(0), 10, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	fx_ring_desc(&r, 3, BUF(1), 0, 0, 0);
	fx_ring_avail(&r, 2);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.nin == 1 && c.nout == 0 && !vq.broken,
	       "zero-length readable after writable is harmless");
	teardown();
}

/* A chain n descriptors long, the first `split` of them crossing from region A into B. */
static void post_long_chain(uint16_t n, uint16_t split)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		fx_ring_desc(&r, i, i < split ? FX_GPA_B - 1 : BUF(0) + i, i < split ? 2 : 1,
			     i + 1 < n ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	fx_ring_avail(&r, 0);
}

/*
 * virtio 1.2 2.7.5.2: a chain may be as long as the queue (a 256-descriptor
 * TSO frame on a 256-entry queue is legal); VX_CHAIN_SPLIT_SEGS region
 * crossings are allowed on top; one more, or a longer chain, breaks it.
 */
static void test_max_segs(void)
{
	uint16_t n = 256;
	uint8_t *p;

	setup(n, false);
	post_long_chain(n, 0);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.nout == n && c.out_len == n && !vq.broken,
	       "chain as long as the queue (256 one-byte descriptors on a 256-entry queue)");
	p = fx_gpa(&g, BUF(0));
	memset(p, 0, 300);
	p[255] = 0xab;
	{
		uint8_t out[256];

		tap_ok(vx_chain_read(&c, 0, out, sizeof(out)) == 256 && out[255] == 0xab,
		       "  ... read back whole");
	}
	teardown();

	setup(n, false);
	post_long_chain(n, VX_CHAIN_SPLIT_SEGS);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.nout == n + VX_CHAIN_SPLIT_SEGS && !vq.broken,
	       "queue-long chain with VX_CHAIN_SPLIT_SEGS region crossings");
	teardown();

	setup(n, false);
	post_long_chain(n, VX_CHAIN_SPLIT_SEGS + 1);
	expect_broken("queue-long chain with one crossing more: broken");
	teardown();

	/* 1024 descriptors linked on a 256-entry table cannot be built; a cycle is the longer chain. */
	setup(n, false);
	post_long_chain(n, 0);
	fx_ring_desc(&r, (uint16_t)(n - 1), BUF(0), 1, VRING_DESC_F_NEXT, 0);
	expect_broken("queue-long chain whose last descriptor links back to the head: broken");
	teardown();
}

/* 2.7.13: avail and used indices wrap at 65536, ring slots at num. */
static void test_wrap(void)
{
	int i, ok = 1;

	setup(NUM, false);
	vq.last_avail = vq.avail_seen = 65533;
	r.avail->idx = htole16(65533);
	for (i = 0; i < NUM; i++) {
		fx_ring_desc(&r, (uint16_t)i, BUF(i), 10, 0, 0);
		fx_ring_avail(&r, (uint16_t)i);
	}
	tap_is(le16toh(r.avail->idx), (65533 + NUM) & 0xffff, "avail idx wrapped");
	for (i = 0; i < NUM; i++)
		ok &= vx_vq_pop(&vq, &c) == 1 && c.head == i;
	tap_ok(ok && vx_vq_pop(&vq, &c) == 0 && !vq.broken,
	       "a full ring over the wrap pops in order");
	teardown();
}

static void test_double_fetch(void)
{
	setup(NUM, false);
	fx_ring_desc(&r, 0, BUF(0), 10, VRING_DESC_F_NEXT, 1);
	fx_ring_desc(&r, 1, BUF(1), 20, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, 0);
	tap_is(vx_vq_pop(&vq, &c), 1, "popped");
	/* The guest rewrites everything after the device looked. */
	fx_ring_desc(&r, 0, 0x50000000, 0xffffffff, VRING_DESC_F_WRITE, 5);
	fx_ring_desc(&r, 1, BUF(1), 0xffffff, VRING_DESC_F_WRITE, 0);
	r.avail->ring[0] = htole16(7);
	tap_ok(c.head == 0 && c.nout == 1 && c.nin == 1 && c.seg[0].len == 10 &&
		   c.seg[1].len == 20 && c.in_len == 20 && c.seg[0].hva == fx_gpa(&g, BUF(0)),
	       "chain holds copies: later guest writes change nothing");
	tap_is(vx_chain_write(&c, 0, "0123456789012345678901234567890", 32), 20,
	       "  ... writes still bounded by the copied length");
	teardown();
}

static void test_unpop(void)
{
	int i;

	setup(NUM, false);
	for (i = 0; i < 3; i++) {
		fx_ring_desc(&r, (uint16_t)i, BUF(i), 10, VRING_DESC_F_WRITE, 0);
		fx_ring_avail(&r, (uint16_t)i);
	}
	vx_vq_pop(&vq, &c);
	vx_vq_pop(&vq, &c);
	tap_is(c.head, 1, "popped 0 and 1");
	vx_vq_unpop(&vq, 1);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.head == 1, "after unpop(1), 1 comes again");
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.head == 2, "then 2");
	vx_vq_unpop(&vq, 3);
	tap_ok(vx_vq_pop(&vq, &c) == 1 && c.head == 0, "unpop(3) goes back to the start");
	tap_ok(vq.last_avail == 1 && !vq.broken, "  ... without breaking the queue");
	teardown();
}

static void test_used(void)
{
	int call;

	setup(NUM, false);
	call = vq.call_fd;
	vx_vq_push(&vq, 3, 77);
	tap_ok(le32toh(r.used->ring[0].id) == 3 && le32toh(r.used->ring[0].len) == 77,
	       "push writes id and len");
	tap_ok(r.used->idx == 0 && fx_eventfd_take(call) == 0, "  ... but publishes nothing");
	vx_vq_push(&vq, 5, 1);
	vx_vq_flush(&vq);
	tap_ok(le16toh(r.used->idx) == 2 && le32toh(r.used->ring[1].id) == 5,
	       "flush publishes used idx 2");
	tap_is(fx_eventfd_take(call), 1, "  ... and interrupts the guest once");
	vx_vq_flush(&vq);
	tap_is(fx_eventfd_take(call), 0, "flush with nothing pushed: no interrupt");
	r.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	vx_vq_push(&vq, 1, 1);
	vx_vq_flush(&vq);
	tap_ok(le16toh(r.used->idx) == 3 && fx_eventfd_take(call) == 0,
	       "VRING_AVAIL_F_NO_INTERRUPT honoured without EVENT_IDX");
	r.avail->flags = 0;
	/* Used slots wrap at num. */
	vq.used_idx = vq.used_pub = 0xffff;
	vx_vq_push(&vq, 6, 2);
	vx_vq_push(&vq, 7, 3);
	vx_vq_flush(&vq);
	tap_ok(le32toh(r.used->ring[NUM - 1].id) == 6 && le32toh(r.used->ring[0].id) == 7 &&
		   le16toh(r.used->idx) == 1,
	       "used idx and slots wrap");
	teardown();

	/* vx_vq_map continues from the used idx in guest memory. */
	fx_ring_init(&r, &g, NUM);
	r.used->idx = htole16(42);
	fx_vq_init(&vq, &r);
	vx_vq_push(&vq, 2, 9);
	vx_vq_flush(&vq);
	tap_ok(le32toh(r.used->ring[42 & (NUM - 1)].id) == 2 && le16toh(r.used->idx) == 43,
	       "map resumes at the used idx the guest memory holds");
	tap_is(vq.last_avail, 42, "  ... and so does last_avail (buffers are used in order)");
	teardown();
}

static void test_event_idx(void)
{
	int call;

	setup(NUM, true);
	call = vq.call_fd;
	r.avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT); /* ignored with EVENT_IDX */
	fx_ring_set_used_event(&r, 0);
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq);
	tap_is(fx_eventfd_take(call), 1, "EVENT_IDX: used_event 0 crossed (0 -> 1): interrupt");
	fx_ring_set_used_event(&r, 4);
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq); /* used idx 2 */
	tap_is(fx_eventfd_take(call), 0, "used_event 4, idx 1 -> 2: no interrupt");
	vx_vq_push(&vq, 0, 1);
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq); /* used idx 4 */
	tap_is(fx_eventfd_take(call), 0, "idx 2 -> 4: event 4 not yet crossed: no interrupt");
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq); /* 5 */
	tap_is(fx_eventfd_take(call), 1, "idx 4 -> 5 crosses used_event 4: interrupt");
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq); /* 6 */
	tap_is(fx_eventfd_take(call), 0, "idx 5 -> 6, used_event still 4: no interrupt");
	fx_ring_set_used_event(&r, 6);
	vx_vq_push(&vq, 0, 1);
	vx_vq_push(&vq, 0, 1);
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq); /* 9 */
	tap_is(fx_eventfd_take(call), 1, "batch 6 -> 9 over used_event 6: one interrupt");
	teardown();
}

static void test_kick(void)
{
	setup(NUM, false);
	vx_vq_kick_disable(&vq);
	tap_is(le16toh(r.used->flags), VRING_USED_F_NO_NOTIFY, "kick_disable sets NO_NOTIFY");
	tap_ok(!vx_vq_kick_enable(&vq) && r.used->flags == 0,
	       "kick_enable clears it, returns false on an empty ring");
	fx_ring_desc(&r, 0, BUF(0), 10, 0, 0);
	fx_ring_avail(&r, 0);
	tap_ok(vx_vq_kick_enable(&vq), "kick_enable returns true when buffers arrived");
	vx_vq_pop(&vq, &c);
	tap_ok(!vx_vq_kick_enable(&vq), "false again once consumed");
	teardown();

	setup(NUM, true);
	vx_vq_kick_disable(&vq);
	tap_is(r.used->flags, 0, "EVENT_IDX: kick_disable leaves flags alone");
	fx_ring_desc(&r, 0, BUF(0), 10, 0, 0);
	fx_ring_avail(&r, 0);
	fx_ring_avail(&r, 0);
	vx_vq_pop(&vq, &c);
	tap_ok(vx_vq_kick_enable(&vq) && fx_ring_avail_event(&r) == 1,
	       "EVENT_IDX: kick_enable writes avail_event = last_avail, returns true (1 left)");
	vx_vq_pop(&vq, &c);
	tap_ok(!vx_vq_kick_enable(&vq) && fx_ring_avail_event(&r) == 2, "  ... then 2, false");
	teardown();

	setup(NUM, false);
	vq.started = false;
	fx_ring_avail(&r, 0);
	tap_ok(vx_vq_pop(&vq, &c) == 0 && !vx_vq_kick_enable(&vq),
	       "stopped queue: pop returns 0, kick_enable false");
	vq.started = true;
	vq.enabled = false;
	tap_is(vx_vq_pop(&vq, &c), 0, "disabled queue: pop returns 0");
	teardown();
}

static void map_refused(const char *what, uint64_t desc, uint64_t avail, uint64_t used,
			uint16_t num)
{
	vx_vq_init(&vq, "map");
	vq.mem = &g.mem;
	vq.num = num;
	vq.desc_uva = desc;
	vq.avail_uva = avail;
	vq.used_uva = used;
	tap_ok(vx_vq_map(&vq) < 0 && !vq.ready && vx_vq_pop(&vq, &c) == 0, "%s", what);
	vx_vq_free(&vq);
}

static void test_map(void)
{
	uint64_t d = FX_UVA_A + FX_DESC_OFF, a = FX_UVA_A + FX_AVAIL_OFF,
		 u = FX_UVA_A + FX_USED_OFF;
	uint64_t end = FX_UVA_A + FX_SIZE_A;

	map_refused("num 0 refused", d, a, u, 0);
	map_refused("desc table outside memory refused", 0x1000, a, u, NUM);
	map_refused("ring addresses given as gpas refused", FX_GPA_A, FX_GPA_A + FX_AVAIL_OFF,
		    FX_GPA_A + FX_USED_OFF, NUM);
	map_refused("desc table crossing the region end refused", end - 64, a, u, NUM);
	map_refused("avail ring crossing the region end refused", d, end - 6 - 2 * NUM + 2, u, NUM);
	map_refused("used ring (with avail_event) crossing the end refused", d, a,
		    end - 8 * NUM - 4, NUM);
	map_refused("used ring at UINT64_MAX refused", d, a, UINT64_MAX - 3, NUM);
	map_refused("desc table of 32768 entries past the end refused", end - 16 * 1024, a, u,
		    32768);
	map_refused("misaligned desc table refused", d + 8, a, u, NUM);
	map_refused("misaligned avail ring refused", d, a + 1, u, NUM);
	map_refused("misaligned used ring refused", d, a, u + 2, NUM);
	vx_vq_init(&vq, "map");
	vq.mem = &g.mem;
	vq.num = NUM;
	vq.desc_uva = end - 16 * NUM;
	vq.avail_uva = end - 16 * NUM - 6 - 2 * NUM;
	vq.used_uva = FX_UVA_B + FX_SIZE_B - 8 - 8 * NUM;
	tap_ok(vx_vq_map(&vq) == 0 && vq.ready,
	       "desc table ending at the region end, avail right before it, used in B: accepted");
	vx_vq_free(&vq);
}

/* Dirty logging of used-ring writes and of data written into the guest. */
static void test_log(void)
{
	struct vx_dirty_log log = {0};
	int fd = fx_memfd(4096, false);
	uint64_t log_gpa = FX_GPA_A + FX_USED_OFF;
	uint8_t *bits;

	setup(NUM, false);
	vx_dirty_log_map(&log, fd, 128, 0); /* 1024 pages: 4 MiB of guest */
	bits = log.bits;
	vq.log = &log;
	vq.log_used = true;
	vq.log_gpa = log_gpa;
	vx_vq_push(&vq, 0, 1);
	vx_vq_flush(&vq);
	tap_ok(bits[(log_gpa / 4096) / 8] & (1 << ((log_gpa / 4096) % 8)),
	       "used ring write logged at log_gpa's page");
	fx_ring_desc(&r, 0, FX_GPA_B - 8, 16, VRING_DESC_F_WRITE, 0);
	fx_ring_avail(&r, 0);
	vx_vq_pop(&vq, &c);
	vx_vq_log_write(&vq, &c, 16);
	tap_ok((bits[(FX_GPA_B / 4096 - 1) / 8] & (1 << ((FX_GPA_B / 4096 - 1) % 8))) &&
		   (bits[(FX_GPA_B / 4096) / 8] & (1 << ((FX_GPA_B / 4096) % 8))),
	       "data written over two regions logs both pages");
	vq.log = NULL;
	teardown();
	vx_dirty_log_unmap(&log);
	close(fd);
}

int main(void)
{
	int fds, maps;

	vx_log_set_level(VX_LOG_ERROR);
	fx_guest_init(&g);
	fds = fx_count_fds();
	maps = fx_count_maps();
	test_normal();
	test_chain_rw_segments();
	test_cross_region();
	test_indirect();
	test_bad_chains();
	test_zero_len();
	test_max_segs();
	test_wrap();
	test_double_fetch();
	test_unpop();
	test_used();
	test_event_idx();
	test_kick();
	test_map();
	test_log();
	tap_is(fx_count_fds(), fds, "no fd leaked");
	tap_is(fx_count_maps(), maps, "no mapping leaked");
	fx_guest_fini(&g);
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * dq: the dedicated queue's UMEM over guest memory and the checks that
 * decide which guest buffers the kernel may write into or read from in
 * place (hostile-inputs.md classes 9, 10, 17). Regions are memfds.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "dq.h"
#include "fixtures.h"
#include "tap.h"

#define HDR  12u	/* virtio_net_hdr_mrg_rxbuf */
#define MAXF 1514u	/* MTU 1500 + Ethernet header */
#define HEADROOM 256u	/* XDP_PACKET_HEADROOM */
#define POOL (64ull * 2048)

static struct fx_guest g;
static struct vx_dq dq;
/* Segment storage for the chains built here (a queue keeps its own, vx_vq.segs). */
static struct vx_seg segs[4];

/* A chain of one segment at gpa, len bytes, writable or not. */
static struct vx_chain chain1(uint64_t gpa, uint32_t len, bool writable)
{
	struct vx_chain c = { .seg = segs };

	c.seg[0] = (struct vx_seg){ .hva = vx_mem_gpa(&g.mem, gpa, len), .len = len, .gpa = gpa };
	c.nin = writable;
	c.nout = !writable;
	return c;
}

static uint64_t umem(uint64_t gpa)
{
	uint64_t a = 0;

	if (vx_dq_umem_addr(&dq, gpa, 1, &a)) {
		fprintf(stderr, "umem: 0x%llx not mapped\n", (unsigned long long)gpa);
		exit(2);
	}
	return a;
}

static void test_map(void)
{
	uint8_t *guest = fx_gpa(&g, FX_GPA_A + 0x1234);
	uint64_t a;

	tap_is(vx_dq_map(&dq, &g.mem, POOL), 0, "UMEM built over two memfd regions");
	tap_ok(dq.area && dq.nreg == 2 && dq.area_len >= POOL + FX_OFF_A + FX_SIZE_A + FX_SIZE_B,
	       "  ... pool first, then both regions");
	tap_ok(!((uintptr_t)dq.area & (VX_DQ_ALIGN - 1)) && dq.reg[0].map_off >= POOL &&
		   !(dq.reg[0].map_off & (VX_DQ_ALIGN - 1)) && !(dq.reg[1].map_off & (VX_DQ_ALIGN - 1)),
	       "  ... area and regions 2 MiB aligned, regions after the pool");
	memcpy(guest, "guest wrote this", 16);
	tap_ok(!memcmp(dq.area + umem(FX_GPA_A + 0x1234), "guest wrote this", 16),
	       "the UMEM sees what the guest writes (same pages)");
	memcpy(dq.area + umem(FX_GPA_B + 8), "kernel wrote it", 15);
	tap_ok(!memcmp(fx_gpa(&g, FX_GPA_B + 8), "kernel wrote it", 15),
	       "the guest sees what is written through the UMEM");
	tap_is(vx_dq_umem_addr(&dq, FX_GPA_A + FX_SIZE_A - 10, 11, &a), -EFAULT,
	       "a range crossing a region's end has no UMEM address");
	tap_is(vx_dq_umem_addr(&dq, FX_GPA_A - 1, 1, &a), -EFAULT, "below the first region: none");
	tap_is(vx_dq_umem_addr(&dq, FX_END_B, 1, &a), -EFAULT, "past the last region: none");
	tap_is(vx_dq_umem_addr(&dq, FX_GPA_B, FX_SIZE_B, &a), 0, "a whole region: mapped");
	tap_ok(!vx_dq_stale(&dq, &g.mem), "built from this table: not stale");
}

static void test_rx_fill(void)
{
	uint64_t fill = 0, gpa = 0, buf = FX_GPA_A + 0x20000;
	struct vx_chain c;

	dq.max_len = MAXF;
	c = chain1(buf, 2048, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), 0, "2048-byte writable buffer: lent");
	tap_ok(fill + HEADROOM == umem(buf) + HDR && gpa == buf,
	       "  ... the kernel's write lands right after the virtio-net header");
	c = chain1(buf, HDR + MAXF, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), 0,
	       "buffer of exactly header + max frame: lent");
	c = chain1(buf, HDR + MAXF - 1, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), -EINVAL,
	       "one byte short of header + max frame: refused");
	c = chain1(buf, 1, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), -EINVAL, "1-byte buffer: refused");
	c = chain1(buf, 2048, false);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), -EINVAL, "read-only buffer: refused");
	c = chain1(buf, 1024, true);
	c.seg[1] = (struct vx_seg){ .hva = fx_gpa(&g, buf + 1024), .len = 1024, .gpa = buf + 1024 };
	c.nin = 2;
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), -EINVAL,
	       "2048 bytes in two segments: refused (the kernel writes one piece)");
	/* Region B is mapped from file offset 0: its start has nothing of it in front. */
	c = chain1(FX_GPA_B, 2048, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), -EINVAL,
	       "buffer at a region's first byte: refused (the headroom would leave the region)");
	c = chain1(FX_GPA_B + HEADROOM - HDR, 2048, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), 0,
	       "buffer 244 bytes in: lent, fill address at the mapping's start");
	tap_ok(fill == dq.reg[1].map_off, "  ... exactly the region's mapping start");
	c = chain1(FX_GPA_B + HEADROOM - HDR - 1, 2048, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), -EINVAL, "243 bytes in: refused");
	/* Region A sits 0x3000 into its file, and the mapping starts at offset 0. */
	c = chain1(FX_GPA_A, 2048, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), 0,
	       "buffer at region A's start: lent (its file mapping starts 0x3000 earlier)");
	c = chain1(FX_END_B - 2048, 2048, true);
	tap_is(vx_dq_rx_fill_addr(&dq, &c, HDR, &fill, &gpa), 0,
	       "buffer at the very end of guest memory: lent");
	tap_ok(fill + HEADROOM + MAXF <= dq.area_len, "  ... and the longest frame stays in the UMEM");
}

static void test_tx_frame(void)
{
	uint64_t buf = FX_GPA_A + 0x30000, addr = 0;
	struct vx_chain c;
	uint32_t len = 0;

	c = chain1(buf, HDR + 60, false);
	tap_ok(!vx_dq_tx_frame(&dq, &c, HDR, &addr, &len) && addr == umem(buf) + HDR && len == 60,
	       "header and frame in one descriptor: frame right after the header");
	c = chain1(buf, HDR, false);
	c.seg[1] = (struct vx_seg){ .hva = fx_gpa(&g, buf + 4096), .len = 60, .gpa = buf + 4096 };
	c.nout = 2;
	tap_ok(!vx_dq_tx_frame(&dq, &c, HDR, &addr, &len) && addr == umem(buf + 4096) && len == 60,
	       "header, then frame in a second descriptor: the second one");
	c.seg[0].len = 10;
	tap_is(vx_dq_tx_frame(&dq, &c, HDR, &addr, &len), -EINVAL, "header split: copy path");
	c = chain1(buf, HDR, false);
	tap_is(vx_dq_tx_frame(&dq, &c, HDR, &addr, &len), -EINVAL, "header only: copy path");
	c = chain1(buf, HDR + 60, true);
	tap_is(vx_dq_tx_frame(&dq, &c, HDR, &addr, &len), -EINVAL, "writable TX chain: copy path");
	c = chain1(buf, HDR + 30, false);
	c.seg[1] = (struct vx_seg){ .hva = fx_gpa(&g, buf + 4096), .len = 30, .gpa = buf + 4096 };
	c.nout = 2;
	tap_is(vx_dq_tx_frame(&dq, &c, HDR, &addr, &len), -EINVAL,
	       "frame in two pieces: copy path");
}

static void test_fifo(void)
{
	static struct vx_dq_fifo f;
	struct vx_dq_ent e = {0};
	unsigned int i;
	bool ok = true;

	for (i = 1; i <= 3; i++)
		vx_dq_fifo_push(&f, &(struct vx_dq_ent){ .addr = i * 100, .head = (uint16_t)i });
	tap_ok(vx_dq_fifo_take(&f, 200, &e) && e.head == 2 && f.n == 2,
	       "take by address out of order");
	tap_ok(vx_dq_fifo_take(&f, 100, &e) && e.head == 1 && vx_dq_fifo_take(&f, 300, &e) &&
		   e.head == 3 && f.n == 0,
	       "  ... then the rest");
	tap_ok(!vx_dq_fifo_take(&f, 100, &e), "an address never lent is not found");
	vx_dq_fifo_push(&f, &(struct vx_dq_ent){ .addr = 5, .head = 7 });
	vx_dq_fifo_push(&f, &(struct vx_dq_ent){ .addr = 5, .head = 8 });
	tap_ok(vx_dq_fifo_take(&f, 5, &e) && e.head == 7 && vx_dq_fifo_take(&f, 5, &e) &&
		   e.head == 8,
	       "a guest lending one buffer twice gets both heads back, oldest first");
	for (i = 0; i < VX_DQ_INFLIGHT; i++)
		ok &= vx_dq_fifo_push(&f, &(struct vx_dq_ent){ .addr = i, .head = (uint16_t)i });
	tap_ok(ok && !vx_dq_fifo_push(&f, &e), "full at VX_DQ_INFLIGHT entries");
	for (i = 0; i < VX_DQ_INFLIGHT && vx_dq_fifo_pop(&f, &e); i++)
		ok &= e.head == (uint16_t)i;
	tap_ok(ok && i == VX_DQ_INFLIGHT && f.n == 0, "pop returns them all, oldest first");
}

int main(void)
{
	int fds = fx_count_fds(), maps = fx_count_maps();
	struct vx_mem_desc b = fx_desc(FX_GPA_B, FX_SIZE_B, FX_UVA_B, 0);
	struct vx_dq none = {0};

	memset(&g, 0, sizeof(g));
	g.mem.keep_fds = true;
	g.fd_a = fx_memfd(FX_OFF_A + FX_SIZE_A, false);
	g.fd_b = fx_memfd(FX_SIZE_B, false);
	if (vx_mem_add(&g.mem, &(struct vx_mem_desc){ FX_GPA_A, FX_SIZE_A, FX_UVA_A, FX_OFF_A },
		       g.fd_a) ||
	    vx_mem_add(&g.mem, &b, g.fd_b)) {
		fprintf(stderr, "vx_mem_add failed\n");
		return 2;
	}
	tap_ok(g.mem.r[0].fd >= 0 && g.mem.r[1].fd >= 0, "keep_fds: the table holds its own fds");
	test_map();
	test_rx_fill();
	test_tx_frame();
	test_fifo();
	vx_mem_remove(&g.mem, &b);
	tap_ok(vx_dq_stale(&dq, &g.mem), "a region removed: stale");
	vx_dq_unmap(&dq);
	tap_ok(!dq.area && !dq.nreg, "unmapped");
	vx_mem_clear(&g.mem);
	tap_is(vx_dq_map(&none, &g.mem, POOL), -EINVAL, "empty table: refused");
	g.mem.keep_fds = false;
	vx_mem_add(&g.mem, &b, g.fd_b);
	tap_is(vx_dq_map(&none, &g.mem, POOL), -EBADF, "a table that kept no fds: refused");
	tap_ok(!none.area, "  ... and nothing left mapped");
	vx_mem_clear(&g.mem);
	close(g.fd_a);
	close(g.fd_b);
	tap_is(fx_count_fds(), fds, "no fd leaked");
	tap_is(fx_count_maps(), maps, "no mapping leaked");
	return tap_done();
}

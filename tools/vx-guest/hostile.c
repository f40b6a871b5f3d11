// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile guest: one malformed chain per case (shared/docs/hostile-inputs.md
 * classes 9-18), then what must have happened, printed as TAP-style lines
 * ("ok - CASE: ..." / "not ok - CASE: ..."):
 *   break  the back-end marks the queue broken (our err eventfd fires) and
 *          never marks the bad chain used;
 *   runt   the chain is used with length 0 and the queue keeps running;
 *   sent   the chain is a valid frame in an odd layout and goes out;
 *   rxdrop RX buffers the frame cannot go into: nothing used, nothing
 *          written outside (or, read-only, into) them, queue running;
 *   flood  the TX ring is kept full of valid frames for --flood seconds
 *          (to --flood-dst, by default --dst).
 * After each case the connection must answer GET_FEATURES, and the rings
 * are restarted the way a guest reset does it (vg_dev_restart_vq); one
 * valid frame to --dst then shows that the queue works again.
 *
 * With CASE "-" the case names come from stdin, one a line; an RX case
 * prints "wait CASE" and waits for a line "go" (the frames are sent from
 * outside meanwhile). Every case ends with "done CASE pass|fail".
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_ring.h>

#include "vg.h"

#define RX_BUFS	    8		/* hostile RX buffers posted per case */
#define RX_SLOT	    64		/* each one gets a slot this big; past its length a canary */
#define CANARY	    0xa5
#define FILL	    0x5a
#define OUTCOME_MS  2000	/* how long the back-end may take to react */
#define FRAME_SIZE  128

enum expect { EXP_BREAK, EXP_RUNT, EXP_SENT, EXP_RXDROP, EXP_FLOOD };
enum mrg_need { MRG_ANY, MRG_ON, MRG_OFF };

struct hctx {
	struct vg_dev *d;
	struct vg_vq *vq;	/* the ring that gets the bad chain */
	uint64_t scratch;	/* gpa of the scratch area */
	uint32_t rx_len;	/* RX cases: length of each buffer */
	uint16_t rx_flags;
	const struct vg_hostile_opts *o;
	unsigned int failed;
	const char *name;
	bool interactive;
};

struct hcase {
	const char *name;
	unsigned int q;
	enum expect expect;
	enum mrg_need mrg;
	void (*build)(struct hctx *h);
	const char *what;
};

static void check(struct hctx *h, bool ok, const char *what)
{
	printf("%s - %s: %s\n", ok ? "ok" : "not ok", h->name, what);
	if (!ok)
		h->failed++;
}

/* A valid TX buffer (header + frame) at scratch; returns its length. */
static uint32_t good_buf(struct hctx *h, uint32_t seq)
{
	uint8_t *b = vg_gpa(&h->d->mem, h->scratch);

	memset(b, 0, VG_HDR_LEN);
	vg_pkt_build(b + VG_HDR_LEN, h->o->dst, h->d->mac, FRAME_SIZE, seq);
	return VG_HDR_LEN + FRAME_SIZE;
}

/* ---- the cases: each lays out descriptors from index 0 and adds head 0 ---- */

static void desc(struct hctx *h, uint16_t i, uint64_t a, uint32_t l, uint16_t f, uint16_t n)
{
	vg_vq_desc(h->vq, i, a, l, f, n);
}

static void b_next_loop(struct hctx *h)
{
	desc(h, 0, h->scratch, 64, VRING_DESC_F_NEXT, 1);
	desc(h, 1, h->scratch + 64, 64, VRING_DESC_F_NEXT, 0);
}

static void b_next_oob(struct hctx *h)
{
	desc(h, 0, h->scratch, 64, VRING_DESC_F_NEXT, h->vq->num);
}

static void b_addr_oob(struct hctx *h)
{
	desc(h, 0, h->d->mem.size + 4096, 64, 0, 0);
}

static void b_len_max(struct hctx *h)
{
	desc(h, 0, h->scratch, 0xffffffff, 0, 0);
}

static void b_cross_end(struct hctx *h)
{
	desc(h, 0, h->d->mem.size - 32, 64, 0, 0);
}

/* One entry of an indirect table (2.7.5.3) at gpa t. */
static void tdesc(struct hctx *h, uint64_t t, uint16_t i, uint64_t a, uint32_t l, uint16_t f,
		  uint16_t n)
{
	struct vring_desc *d = (struct vring_desc *)vg_gpa(&h->d->mem, t) + i;

	d->addr = htole64(a);
	d->len = htole32(l);
	d->flags = htole16(f);
	d->next = htole16(n);
}

/* An indirect table of two valid descriptors at scratch + 4096. */
static uint64_t table(struct hctx *h)
{
	uint64_t t = h->scratch + 4096;
	uint32_t len = good_buf(h, 0);

	tdesc(h, t, 0, h->scratch, VG_HDR_LEN, VRING_DESC_F_NEXT, 1);
	tdesc(h, t, 1, h->scratch + VG_HDR_LEN, len - VG_HDR_LEN, 0, 0);
	return t;
}

static void b_ind_len_odd(struct hctx *h)
{
	desc(h, 0, table(h), 24, VRING_DESC_F_INDIRECT, 0);
}

static void b_ind_len_0(struct hctx *h)
{
	desc(h, 0, table(h), 0, VRING_DESC_F_INDIRECT, 0);
}

static void b_ind_nested(struct hctx *h)
{
	tdesc(h, h->scratch + 8192, 0, table(h), 32, VRING_DESC_F_INDIRECT, 0);
	desc(h, 0, h->scratch + 8192, 16, VRING_DESC_F_INDIRECT, 0);
}

static void b_ind_next(struct hctx *h)
{
	desc(h, 0, table(h), 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	desc(h, 1, h->scratch, 64, 0, 0);
}

static void b_ind_oob(struct hctx *h)
{
	desc(h, 0, h->d->mem.size + 4096, 32, VRING_DESC_F_INDIRECT, 0);
}

static void b_ind_loop(struct hctx *h)
{
	uint64_t t = table(h);

	tdesc(h, t, 1, h->scratch + VG_HDR_LEN, 64, VRING_DESC_F_NEXT, 0);
	desc(h, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
}

/* A valid one-descriptor chain, then avail->idx far beyond it (2.7.6). */
static void b_avail_jump(struct hctx *h)
{
	desc(h, 0, h->scratch, good_buf(h, 0), 0, 0);
	h->vq->avail_idx += h->vq->num + 1;
}

static void b_hdr_only(struct hctx *h)
{
	good_buf(h, 0);
	desc(h, 0, h->scratch, VG_HDR_LEN, 0, 0);
}

static void b_short_hdr(struct hctx *h)
{
	good_buf(h, 0);
	desc(h, 0, h->scratch, VG_HDR_LEN / 2, 0, 0);
}

/* 4 + 4 + 4 header bytes in three descriptors, then the frame (class 15). */
static void b_hdr_split(struct hctx *h)
{
	uint32_t len = good_buf(h, 999);

	desc(h, 0, h->scratch, 4, VRING_DESC_F_NEXT, 1);
	desc(h, 1, h->scratch + 4, 4, VRING_DESC_F_NEXT, 2);
	desc(h, 2, h->scratch + 8, 4, VRING_DESC_F_NEXT, 3);
	desc(h, 3, h->scratch + VG_HDR_LEN, len - VG_HDR_LEN, 0, 0);
}

/*
 * ---- offload requests (hostile-inputs.md classes 16, 25): the guest
 * negotiated CSUM and HOST_TSO4/6 (--offload). Each lie must cost the
 * guest its own frame only: dropped, counted, the queue running. ----
 */
#define TSO_HDRS   54	/* Ethernet, IPv4 without options, TCP without options */
#define TSO_MSS	   1448
#define TSO_DST	   "\x02\x00\x00\x00\x00\x99"	/* nobody's: the segments leave by the wire */

/*
 * A TCP/IPv4 frame of TSO_HDRS + payload bytes behind a virtio-net header
 * asking for TSO at scratch, as Linux's virtio-net sends one (partial
 * checksum); returns the buffer's length.
 */
static uint32_t tso_buf(struct hctx *h, uint32_t payload, uint16_t mss)
{
	uint8_t *b = vg_gpa(&h->d->mem, h->scratch), *e = b + VG_HDR_LEN, *ip = e + 14;
	uint8_t *tcp = ip + 20;
	uint32_t tot = 40 + payload, i;

	memset(b, 0, VG_HDR_LEN + TSO_HDRS);
	b[0] = 1;	/* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	b[1] = 1;	/* VIRTIO_NET_HDR_GSO_TCPV4 */
	b[2] = TSO_HDRS;	/* hdr_len, little-endian */
	b[4] = (uint8_t)mss;
	b[5] = (uint8_t)(mss >> 8);
	b[6] = 34;	/* csum_start: the TCP header */
	b[8] = 16;	/* csum_offset: its check field */
	memcpy(e, TSO_DST, 6);
	memcpy(e + 6, h->d->mac, 6);
	e[12] = 0x08;	/* IPv4 */
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40;	/* DF */
	ip[8] = 64;
	ip[9] = 6;	/* TCP */
	memcpy(ip + 12, "\x0a\x4d\x00\x02\x0a\x4d\x00\x64", 8);
	tcp[0] = 0x9c;	/* ports 40000 -> 5201 */
	tcp[1] = 0x40;
	tcp[2] = 0x14;
	tcp[3] = 0x51;
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;	/* ACK, PSH */
	tcp[14] = 0xff;
	for (i = 0; i < payload; i++)
		e[TSO_HDRS + i] = (uint8_t)i;
	return VG_HDR_LEN + TSO_HDRS + payload;
}

static void one_desc(struct hctx *h, uint32_t len)
{
	desc(h, 0, h->scratch, len, 0, 0);
}

static void b_off_csum_start(struct hctx *h)
{
	uint32_t len = good_buf(h, 0);
	uint8_t *b = vg_gpa(&h->d->mem, h->scratch);

	b[0] = 1;	/* NEEDS_CSUM, no GSO */
	b[6] = 0xd0;	/* csum_start 2000, past the 128-byte frame */
	b[7] = 0x07;
	one_desc(h, len);
}

static void b_off_csum_offset(struct hctx *h)
{
	uint32_t len = good_buf(h, 0);
	uint8_t *b = vg_gpa(&h->d->mem, h->scratch);

	b[0] = 1;
	b[6] = 100;	/* csum_start inside, csum_start + csum_offset + 2 past the end */
	b[8] = 27;
	one_desc(h, len);
}

static void b_off_gso_size0(struct hctx *h)
{
	one_desc(h, tso_buf(h, 20000, 0));
}

static void b_off_gso_mss1(struct hctx *h)
{
	one_desc(h, tso_buf(h, 20000, 1));
}

static void b_off_gso_mtu(struct hctx *h)
{
	one_desc(h, tso_buf(h, 20000, 4000));	/* headers + MSS over the 1500-byte MTU */
}

static void b_off_gso_udp(struct hctx *h)
{
	uint32_t len = tso_buf(h, 20000, TSO_MSS);

	((uint8_t *)vg_gpa(&h->d->mem, h->scratch))[1] = 3;	/* GSO_UDP: never offered */
	one_desc(h, len);
}

static void b_off_gso_v6(struct hctx *h)
{
	uint32_t len = tso_buf(h, 20000, TSO_MSS);

	((uint8_t *)vg_gpa(&h->d->mem, h->scratch))[1] = 4;	/* TCPV6 on an IPv4 frame */
	one_desc(h, len);
}

static void b_off_gso_ihl(struct hctx *h)
{
	uint32_t len = tso_buf(h, 20000, TSO_MSS);

	((uint8_t *)vg_gpa(&h->d->mem, h->scratch))[VG_HDR_LEN + 14] = 0x44;	/* IHL 4 */
	one_desc(h, len);
}

static void b_off_gso_doff(struct hctx *h)
{
	uint32_t len = tso_buf(h, 20000, TSO_MSS);

	((uint8_t *)vg_gpa(&h->d->mem, h->scratch))[VG_HDR_LEN + 34 + 12] = 4 << 4;	/* doff 4 */
	one_desc(h, len);
}

static void b_off_gso_totlen(struct hctx *h)
{
	uint32_t len = tso_buf(h, 20000, TSO_MSS);
	uint8_t *ip = (uint8_t *)vg_gpa(&h->d->mem, h->scratch) + VG_HDR_LEN + 14;

	ip[2] = 0x60;	/* IP total length 24576: past the end of the chain */
	ip[3] = 0x00;
	one_desc(h, len);
}

/*
 * A legal 60000-byte TSO frame as long a chain as the queue allows: the
 * headers in one descriptor, 254 one-byte descriptors, the rest in one
 * (virtio 1.2 2.7.5.2). It must be cut into segments and sent.
 */
static void b_off_tso_long(struct hctx *h)
{
	uint32_t len = tso_buf(h, 60000, TSO_MSS), head = VG_HDR_LEN + TSO_HDRS;
	uint16_t n = h->vq->num, i;

	desc(h, 0, h->scratch, head, VRING_DESC_F_NEXT, 1);
	for (i = 1; i + 1 < n; i++)
		desc(h, i, h->scratch + head + i - 1, 1, VRING_DESC_F_NEXT, (uint16_t)(i + 1));
	desc(h, (uint16_t)(n - 1), h->scratch + head + n - 2, len - head - (n - 2), 0, 0);
}

/* RX_BUFS one-descriptor chains of rx_len bytes each, canaries behind them. */
static void rx_bufs(struct hctx *h, uint32_t len, uint16_t flags)
{
	uint8_t *s = vg_gpa(&h->d->mem, h->scratch);
	uint16_t i;

	h->rx_len = len;
	h->rx_flags = flags;
	memset(s, CANARY, RX_BUFS * RX_SLOT);
	for (i = 0; i < RX_BUFS; i++) {
		memset(s + i * RX_SLOT, FILL, len);
		desc(h, i, h->scratch + i * RX_SLOT, len, flags, 0);
		if (i)
			vg_vq_add(h->vq, i);
	}
}

static void b_rx_readonly(struct hctx *h)
{
	rx_bufs(h, 32, 0);
}

static void b_rx_1byte(struct hctx *h)
{
	rx_bufs(h, 1, VRING_DESC_F_WRITE);
}

static void b_rx_tiny(struct hctx *h)
{
	rx_bufs(h, 16, VRING_DESC_F_WRITE);
}

static void b_rx_loop(struct hctx *h)
{
	rx_bufs(h, 32, VRING_DESC_F_WRITE);
	desc(h, 0, h->scratch, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	desc(h, 1, h->scratch + RX_SLOT, 32, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);
}

static const struct hcase cases[] = {
	{ "next-loop", VG_TX, EXP_BREAK, MRG_ANY, b_next_loop, "desc next loop" },
	{ "next-oob", VG_TX, EXP_BREAK, MRG_ANY, b_next_oob, "next >= queue size" },
	{ "addr-oob", VG_TX, EXP_BREAK, MRG_ANY, b_addr_oob, "desc addr outside memory" },
	{ "len-max", VG_TX, EXP_BREAK, MRG_ANY, b_len_max, "desc len 0xffffffff" },
	{ "cross-end", VG_TX, EXP_BREAK, MRG_ANY, b_cross_end, "desc crossing the region's end" },
	{ "ind-len-odd", VG_TX, EXP_BREAK, MRG_ANY, b_ind_len_odd, "indirect len % 16 != 0" },
	{ "ind-len-0", VG_TX, EXP_BREAK, MRG_ANY, b_ind_len_0, "indirect len 0" },
	{ "ind-nested", VG_TX, EXP_BREAK, MRG_ANY, b_ind_nested, "nested indirect" },
	{ "ind-next", VG_TX, EXP_BREAK, MRG_ANY, b_ind_next, "INDIRECT|NEXT" },
	{ "ind-oob", VG_TX, EXP_BREAK, MRG_ANY, b_ind_oob, "indirect table outside memory" },
	{ "ind-loop", VG_TX, EXP_BREAK, MRG_ANY, b_ind_loop, "next loop inside an indirect table" },
	{ "avail-jump", VG_TX, EXP_BREAK, MRG_ANY, b_avail_jump, "avail idx jumps > queue size" },
	{ "hdr-only", VG_TX, EXP_RUNT, MRG_ANY, b_hdr_only, "TX chain of only a header" },
	{ "short-hdr", VG_TX, EXP_RUNT, MRG_ANY, b_short_hdr, "TX chain shorter than a header" },
	{ "hdr-split", VG_TX, EXP_SENT, MRG_ANY, b_hdr_split, "header split over 3 descriptors" },
	{ "rx-readonly", VG_RX, EXP_RXDROP, MRG_ANY, b_rx_readonly, "read-only RX buffers" },
	{ "rx-1byte-mrg", VG_RX, EXP_RXDROP, MRG_ON, b_rx_1byte, "1-byte RX buffers, MRG_RXBUF" },
	{ "rx-tiny", VG_RX, EXP_RXDROP, MRG_OFF, b_rx_tiny, "16-byte RX buffers, no MRG_RXBUF" },
	{ "rx-loop", VG_RX, EXP_BREAK, MRG_ANY, b_rx_loop, "desc next loop in the RX ring" },
	{ "tx-flood", VG_TX, EXP_FLOOD, MRG_ANY, NULL, "TX ring kept full of valid frames" },
	/* These need --offload; the back-end drops each frame and counts the reason. */
	{ "off-csum-start", VG_TX, EXP_RUNT, MRG_ANY, b_off_csum_start, "NEEDS_CSUM, csum_start past the frame" },
	{ "off-csum-offset", VG_TX, EXP_RUNT, MRG_ANY, b_off_csum_offset, "NEEDS_CSUM, csum_offset past the frame" },
	{ "off-gso-size0", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_size0, "TSO with gso_size 0" },
	{ "off-gso-mss1", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_mss1, "TSO with gso_size 1 (20000 segments)" },
	{ "off-gso-mtu", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_mtu, "TSO with headers + gso_size over the MTU" },
	{ "off-gso-udp", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_udp, "gso_type UDP, never offered" },
	{ "off-gso-v6", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_v6, "gso_type TCPV6 on an IPv4 frame" },
	{ "off-gso-ihl", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_ihl, "TSO frame with IPv4 IHL 4" },
	{ "off-gso-doff", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_doff, "TSO frame with TCP doff 4" },
	{ "off-gso-totlen", VG_TX, EXP_RUNT, MRG_ANY, b_off_gso_totlen, "TSO frame whose IP length is past the chain" },
	{ "off-tso-long", VG_TX, EXP_SENT, MRG_ANY, b_off_tso_long, "60000-byte TSO frame in a queue-long chain" },
};

/* ---- running one case ---- */

static int read_line(char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = 0, .events = POLLIN };

		if (poll(&p, 1, timeout_ms) != 1 || read(0, &buf[n], 1) != 1)
			break;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return n ? 0 : -1;
}

/* Waits until used->idx reaches want; true if it did within OUTCOME_MS. */
static bool wait_used(struct vg_vq *vq, uint16_t want)
{
	double end = vg_now() + OUTCOME_MS / 1000.0;

	while (vg_vq_used_idx(vq) != want && vg_now() < end)
		vg_fd_readable(vq->call_fd, 10);
	return vg_vq_used_idx(vq) == want;
}

static bool canaries_ok(struct hctx *h)
{
	const uint8_t *s = vg_gpa(&h->d->mem, h->scratch);
	unsigned int i, j;

	for (i = 0; i < RX_BUFS; i++)
		for (j = 0; j < RX_SLOT; j++) {
			bool in = j < h->rx_len;

			/* Inside a writable buffer the device may write; elsewhere never. */
			if (in && (h->rx_flags & VRING_DESC_F_WRITE))
				continue;
			if (s[i * RX_SLOT + j] != (in ? FILL : CANARY))
				return false;
		}
	return true;
}

/* Fresh rings, RX buffers posted: the state every case starts from. */
static int reset_rings(struct hctx *h, bool post_rx)
{
	int err = vg_dev_restart_vq(h->d, VG_TX);

	if (!err)
		err = vg_dev_restart_vq(h->d, VG_RX);
	if (!err && post_rx)
		vg_rx_post_all(h->d);
	return err;
}

static void outcome(struct hctx *h, const struct hcase *c)
{
	bool broken = vg_fd_readable(h->vq->err_fd, c->expect == EXP_BREAK ? OUTCOME_MS : 0);
	struct vring_used_elem *e = &h->vq->used->ring[0];

	switch (c->expect) {
	case EXP_BREAK:
		check(h, broken, "queue marked broken (err eventfd signalled)");
		check(h, vg_vq_used_idx(h->vq) == 0, "bad chain not marked used");
		break;
	case EXP_RUNT:
	case EXP_SENT:
		check(h, wait_used(h->vq, 1) && e->id == 0 && e->len == 0,
		      "chain used once, with length 0");
		check(h, !vg_fd_readable(h->vq->err_fd, 50), "queue not broken");
		break;
	case EXP_RXDROP:
		check(h, !broken, "queue not broken");
		check(h, vg_vq_used_idx(h->vq) == 0, "no buffer used");
		check(h, canaries_ok(h), "nothing written outside the writable buffers");
		break;
	case EXP_FLOOD:
		break;
	}
}

static void flood(struct hctx *h)
{
	static uint8_t frame[64];
	double start = vg_now(), end = start + h->o->flood_s;
	struct vg_vq *vq = &h->d->vq[VG_TX];
	unsigned long sent = 0;
	int err = 0;

	vg_pkt_build(frame, h->o->flood_dst, h->d->mac, 60, 0);
	while (!err && !vg_stop && vg_now() < end) {
		while (!vg_tx_frame(h->d, frame, 60, false))
			sent++;
		vg_vq_publish(vq, false);
		vg_tx_reclaim(h->d);
		if (!vq->nfree && !vg_vq_arm(vq))
			err = vg_wait(h->d, 1);
	}
	vg_tx_reclaim(h->d);
	printf("# %s: %lu frames queued in %.1f s, %u still in the ring\n", h->name, sent,
	       vg_now() - start, vq->num - vq->nfree);
	check(h, err != -EIO && !vg_fd_readable(vq->err_fd, 0), "queue not broken by the flood");
	check(h, err == 0 && sent > vq->num, "back-end kept consuming the ring");
}

/* After the reset: one valid frame must be used (and reach --dst). */
static void after_reset(struct hctx *h, uint32_t seq)
{
	struct vg_vq *tx = &h->d->vq[VG_TX];
	uint8_t frame[FRAME_SIZE];
	uint16_t want = tx->avail_idx + 1;

	vg_pkt_build(frame, h->o->dst, h->d->mac, FRAME_SIZE, seq);
	vg_tx_frame(h->d, frame, FRAME_SIZE, true);
	check(h, wait_used(tx, want) && !vg_fd_readable(tx->err_fd, 0),
	      "after a ring reset a valid frame is sent");
	vg_tx_reclaim(h->d);
}

static void run_case(struct hctx *h, const struct hcase *c, uint32_t seq)
{
	bool mrg = h->d->mrg_rxbuf;
	char line[64];

	h->name = c->name;
	h->failed = 0;
	printf("# %s: %s\n", c->name, c->what);
	if ((c->mrg == MRG_ON && !mrg) || (c->mrg == MRG_OFF && mrg)) {
		printf("ok - %s # SKIP needs %s\n", c->name, mrg ? "--no-mrg" : "MRG_RXBUF");
		goto done;
	}
	if (reset_rings(h, c->q == VG_TX)) {
		check(h, false, "ring reset before the case");
		goto done;
	}
	h->vq = &h->d->vq[c->q];
	if (c->expect == EXP_FLOOD) {
		flood(h);
	} else {
		c->build(h);
		vg_vq_add(h->vq, 0);
		vg_vq_publish(h->vq, true);
		if (c->q == VG_RX) {
			printf("wait %s\n", c->name);
			if (h->interactive)
				read_line(line, sizeof(line), 20000);
			else
				usleep((useconds_t)(h->o->wait_s * 1e6));
		}
		outcome(h, c);
	}
	check(h, vg_dev_ping(h->d) == 0, "connection still answers GET_FEATURES");
	if (reset_rings(h, true))
		check(h, false, "ring reset after the case");
	else
		after_reset(h, seq);
done:
	printf("done %s %s\n", c->name, h->failed ? "fail" : "pass");
}

static const struct hcase *find_case(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

static int run_named(struct hctx *h, const char *name, unsigned int *nfail)
{
	const struct hcase *c = find_case(name);

	if (!strcmp(name, "all")) {
		unsigned int i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && !vg_stop; i++) {
			run_case(h, &cases[i], i);
			*nfail += h->failed != 0;
		}
		return 0;
	}
	if (!c) {
		printf("not ok - %s: unknown case\n", name);
		(*nfail)++;
		return -EINVAL;
	}
	run_case(h, c, (uint32_t)(c - cases));
	*nfail += h->failed != 0;
	return 0;
}

int vg_hostile_main(struct vg_dev *d, int argc, char **argv, const struct vg_hostile_opts *o)
{
	struct hctx h = { .d = d, .o = o };
	unsigned int nfail = 0, i;
	char line[64];

	if (!d) {
		fprintf(stderr, "cases (or 'all'):\n");
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			fprintf(stderr, "  %-14s %s\n", cases[i].name, cases[i].what);
		return 2;
	}
	h.scratch = (d->vq[VG_TX].buf_gpa + (uint64_t)d->vq[VG_TX].num * VG_BUF_SIZE + 4095) &
		    ~4095ull;
	h.interactive = argc == 1 && !strcmp(argv[0], "-");
	printf("ready\n");
	if (h.interactive) {
		while (!vg_stop && !read_line(line, sizeof(line), -1))
			if (line[0] && strcmp(line, "go"))
				run_named(&h, line, &nfail);
	} else {
		for (i = 0; i < (unsigned int)argc && !vg_stop; i++)
			run_named(&h, argv[i], &nfail);
	}
	printf("hostile: %u case%s failed\n", nfail, nfail == 1 ? "" : "s");
	return nfail != 0;
}

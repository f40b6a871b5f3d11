// SPDX-License-Identifier: GPL-2.0
/*
 * offload: the checksum, the header parser, the TSO segmenter and the GRO
 * coalescer, checked against an independent reference written here the
 * slow, obvious way (RFC 1071 one byte at a time, big-endian words, a
 * 64-bit accumulator folded at the end), and driven with hostile headers
 * (hostile-inputs.md classes 16, 25, 26).
 *
 *   test_offload               run the tests (TAP)
 *   test_offload --corpus DIR  write the fuzzers' seed frames into DIR/<target>/
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "offload/csum.h"
#include "offload/gro.h"
#include "offload/pkt.h"
#include "offload/tso.h"
#include "tap.h"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80

#define BIG (VX_TSO_MAX_LEN + 64)

/* ---- the reference: byte at a time ---- */

static uint64_t ref_add(uint64_t acc, const uint8_t *p, size_t len, size_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		acc += ((pos + i) & 1) ? p[i] : (uint64_t)p[i] << 8;
	return acc;
}

static uint16_t ref_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The pseudo-header, byte by byte, from the packet's own addresses. */
static uint64_t ref_pseudo(const uint8_t *f, uint32_t l3, bool v6, uint8_t proto, uint32_t l4len)
{
	uint64_t acc = v6 ? ref_add(0, f + l3 + 8, 32, 0) : ref_add(0, f + l3 + 12, 8, 0);

	return acc + proto + (l4len >> 16) + (l4len & 0xffff);
}

static bool ref_l4_ok(const uint8_t *f, uint32_t l3, uint32_t l4, uint32_t l4len, bool v6,
		      uint8_t proto)
{
	return ref_fold(ref_pseudo(f, l3, v6, proto, l4len) + ref_add(0, f + l4, l4len, 0)) ==
	       0xffff;
}

static bool ref_ip4_ok(const uint8_t *ip)
{
	return ref_fold(ref_add(0, ip, (ip[0] & 15u) * 4, 0)) == 0xffff;
}

/* vx sums are the bytes as they lie in memory: as a host number, swapped. */
static uint16_t vx_host(uint32_t sum)
{
	return ntohs(vx_csum_fold(sum));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static void fill_rand(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

/* ---- the frame builder (checksums by the reference) ---- */

struct fb {
	bool v6, vlan, udp;
	uint8_t ipopt, ext, tcpopt; /* option bytes (multiple of 4), IPv6 extension headers */
	uint8_t flags, tos, ttl;
	uint16_t id, frag, win, sport, dport;
	uint32_t seq, ack, tsval;
	uint32_t plen;
	const uint8_t *pay;
	uint8_t mac; /* last byte of the source MAC */
	/* out */
	uint32_t l3, l4, hlen, len;
};

static struct fb fb_tcp(bool v6, uint32_t plen, const uint8_t *pay)
{
	return (struct fb){.v6 = v6,
			   .tcpopt = 12,
			   .flags = F_ACK,
			   .ttl = 64,
			   .id = 0x1234,
			   .frag = 0x4000,
			   .win = 501,
			   .sport = 40000,
			   .dport = 5201,
			   .seq = 0xfffff000u,
			   .ack = 0x01020304,
			   .tsval = 777,
			   .plen = plen,
			   .pay = pay,
			   .mac = 2};
}

static uint32_t fb_build(uint8_t *o, struct fb *f)
{
	static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	uint8_t proto = f->udp ? IPPROTO_UDP : IPPROTO_TCP, *ip, *l4;
	uint32_t p = 12, i, l4hl = f->udp ? 8 : 20u + f->tcpopt;

	memcpy(o, (uint8_t[]){2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, f->mac}, 12);
	if (f->vlan) {
		wr16(o + p, ETH_P_8021Q);
		wr16(o + p + 2, 100);
		p += 4;
	}
	wr16(o + p, f->v6 ? ETH_P_IPV6 : ETH_P_IP);
	f->l3 = p + 2;
	ip = o + f->l3;
	if (f->v6) {
		f->l4 = f->l3 + 40 + 8u * f->ext;
		wr32(ip, 0x60000000u | (uint32_t)f->tos << 20 | 0x12345);
		ip[6] = f->ext ? IPPROTO_DSTOPTS : proto;
		ip[7] = f->ttl;
		memcpy(ip + 8, s6, 16);
		memcpy(ip + 24, d6, 16);
		for (i = 0; i < f->ext; i++)
			memcpy(ip + 40 + 8 * i,
			       (uint8_t[]){i + 1 < f->ext ? IPPROTO_DSTOPTS : proto, 0, 1, 4, 0, 0,
					   0, 0},
			       8);
	} else {
		f->l4 = f->l3 + 20u + f->ipopt;
		ip[0] = (uint8_t)(0x40 | (5 + f->ipopt / 4));
		ip[1] = f->tos;
		wr16(ip + 4, f->id);
		wr16(ip + 6, f->frag);
		ip[8] = f->ttl;
		ip[9] = proto;
		wr16(ip + 10, 0);
		memcpy(ip + 12, (uint8_t[]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
		memset(ip + 20, 1, f->ipopt);
	}
	l4 = o + f->l4;
	f->hlen = f->l4 + l4hl;
	f->len = f->hlen + f->plen;
	wr16(l4, f->sport);
	wr16(l4 + 2, f->dport);
	if (f->udp) {
		wr16(l4 + 4, l4hl + f->plen);
		wr16(l4 + 6, 0);
	} else {
		wr32(l4 + 4, f->seq);
		wr32(l4 + 8, f->ack);
		l4[12] = (uint8_t)((l4hl / 4) << 4);
		l4[13] = f->flags;
		wr16(l4 + 14, f->win);
		wr32(l4 + 16, 0);
		memset(l4 + 20, 1, f->tcpopt);
		if (f->tcpopt >= 12) {
			memcpy(l4 + 22, (uint8_t[]){8, 10}, 2);
			wr32(l4 + 24, f->tsval);
			wr32(l4 + 28, 4242);
		}
	}
	if (f->pay)
		memcpy(o + f->hlen, f->pay, f->plen);
	else
		memset(o + f->hlen, 0xab, f->plen);
	if (f->v6) {
		wr16(ip + 4, f->len - f->l3 - 40);
	} else {
		wr16(ip + 2, f->len - f->l3);
		wr16(ip + 10, (uint16_t)~ref_fold(ref_add(0, ip, f->l4 - f->l3, 0)));
	}
	i = ref_fold(ref_pseudo(o, f->l3, f->v6, proto, f->len - f->l4) +
		     ref_add(0, l4, f->len - f->l4, 0));
	wr16(l4 + (f->udp ? 6 : 16), (uint16_t)~i ? (uint16_t)~i : 0xffff);
	return f->len;
}

/* ---- checksum ---- */

static void test_csum(void)
{
	static uint8_t buf[4096 + 16], a[4096 + 16], b[4096 + 16];
	int i, bad = 0, bad_at = 0, bad_copy = 0;
	uint8_t s[4] = {192, 0, 2, 1}, d[4] = {198, 51, 100, 7};
	uint8_t s6[16], d6[16], ph[40];

	fill_rand(buf, sizeof(buf));
	tap_is(vx_host(vx_csum_partial((uint8_t[]){0x12, 0x34, 0x56}, 3, 0)), 0x6834,
	       "csum: 12 34 56 sums to 0x6834 (odd byte is a high byte)");
	for (i = 0; i < 4000; i++) {
		uint32_t off = rnd() % 16, len = i < 64 ? (uint32_t)i : rnd() % 4096;

		if (vx_host(vx_csum_partial(buf + off, len, 0)) !=
		    ref_fold(ref_add(0, buf + off, len, 0)))
			bad++;
	}
	tap_is(bad, 0, "csum: vx_csum_partial equals the reference, 4000 random lengths/offsets");

	/* A buffer cut in random odd and even pieces, joined with vx_csum_add_at. */
	for (i = 0; i < 500; i++) {
		uint32_t len = rnd() % 3000 + 1, pos = 0, sum = 0;
		uint16_t want = ref_fold(ref_add(0, buf, len, 0));

		while (pos < len) {
			uint32_t k = rnd() % 9 == 0 ? 1 : rnd() % 200 + 1;

			k = k > len - pos ? len - pos : k;
			sum = vx_csum_add_at(sum, vx_csum_partial(buf + pos, k, 0), pos);
			pos += k;
		}
		bad_at += vx_host(sum) != want;
	}
	tap_is(bad_at, 0, "csum: odd-offset pieces joined with vx_csum_add_at, 500 cuts");

	for (i = 0; i < 500; i++) {
		uint32_t len = rnd() % 4096, so = rnd() % 8, init = rnd();
		uint32_t got;

		memset(a, 0x5a, sizeof(a));
		memset(b, 0x5a, sizeof(b));
		got = vx_csum_copy(a + so, buf + so, len, init);
		memcpy(b + so, buf + so, len);
		bad_copy += memcmp(a, b, sizeof(a)) != 0 ||
			    vx_csum_fold(got) != vx_csum_fold(vx_csum_partial(buf + so, len, init));
	}
	tap_is(bad_copy, 0, "csum: vx_csum_copy equals memcpy + vx_csum_partial, 500 lengths");

	tap_is(vx_csum_fold(0xffffffffu), 0xffff, "csum: fold of 0xffffffff is 0xffff");
	tap_is(vx_csum_finish(0), 0xffff, "csum: finish of 0 is 0xffff");
	tap_is(vx_host(vx_csum_pseudo4(s, d, IPPROTO_TCP, 1234)),
	       ref_fold(ref_add(0, s, 4, 0) + ref_add(0, d, 4, 0) + IPPROTO_TCP + 1234),
	       "csum: IPv4 pseudo-header equals the reference");
	fill_rand(s6, 16);
	fill_rand(d6, 16);
	memcpy(ph, s6, 16);
	memcpy(ph + 16, d6, 16);
	wr32(ph + 32, 70000);
	wr32(ph + 36, IPPROTO_UDP);
	tap_is(vx_host(vx_csum_pseudo6(s6, d6, IPPROTO_UDP, 70000)),
	       ref_fold(ref_add(0, ph, 40, 0)),
	       "csum: IPv6 pseudo-header (32-bit length) equals the reference");
}

/* ---- parser ---- */

static uint8_t fr[BIG], fr2[BIG];

static int parse_fb(struct fb *f, struct vx_pkt_hdrs *h)
{
	fb_build(fr, f);
	return vx_pkt_parse(fr, f->len < VX_PKT_HDR_MAX ? f->len : VX_PKT_HDR_MAX, f->len, h);
}

static void expect_parse(struct fb f, const char *name)
{
	struct vx_pkt_hdrs h;
	int err = parse_fb(&f, &h);

	tap_ok(err == 0 && h.l3_off == f.l3 && h.l4_off == f.l4 && h.hdr_len == f.hlen &&
		   h.l3_end == f.len && h.vlan == f.vlan &&
		   h.l3_proto == (f.v6 ? ETH_P_IPV6 : ETH_P_IP) &&
		   h.l4_proto == (f.udp ? IPPROTO_UDP : IPPROTO_TCP),
	       "parse: %s", name);
	if (err)
		tap_diag("  err %d", err);
}

/* Builds f, lets mut spoil fr, and expects err. */
static void expect_refused(struct fb f, void (*mut)(uint8_t *, struct fb *), uint32_t copy,
			   int want, const char *name)
{
	struct vx_pkt_hdrs h;
	int err;

	fb_build(fr, &f);
	if (mut)
		mut(fr, &f);
	err = vx_pkt_parse(fr, copy ? copy : VX_PKT_HDR_MAX, f.len, &h);
	tap_ok(err == want, "parse refuses: %s", name);
	if (err != want)
		tap_diag("  got %d, want %d", err, want);
}

static void m_ihl4(uint8_t *o, struct fb *f)
{
	o[f->l3] = 0x44;
}
static void m_ihl15(uint8_t *o, struct fb *f)
{
	o[f->l3] = 0x4f;
}
static void m_totbig(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 2, f->len - f->l3 + 1);
}
static void m_totsmall(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 2, 19);
}
static void m_totnotcp(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 2, 30);
}
static void m_doff4(uint8_t *o, struct fb *f)
{
	o[f->l4 + 12] = 0x40;
}
static void m_doff15(uint8_t *o, struct fb *f)
{
	o[f->l4 + 12] = 0xf0;
}
static void m_mf(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 6, 0x2000);
}
static void m_fragoff(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 6, 0x0001);
}
static void m_ver6(uint8_t *o, struct fb *f)
{
	o[f->l3] = 0x65;
}
static void m_ver4(uint8_t *o, struct fb *f)
{
	o[f->l3] = 0x40;
}
static void m_arp(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 - 2, ETH_P_ARP);
}
static void m_icmp(uint8_t *o, struct fb *f)
{
	o[f->l3 + 9] = IPPROTO_ICMP;
}
static void m_v6frag(uint8_t *o, struct fb *f)
{
	o[f->l3 + 6] = IPPROTO_FRAGMENT;
}
static void m_v6plen(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 4, f->len - f->l3 - 39);
}
static void m_v6plen0(uint8_t *o, struct fb *f)
{
	wr16(o + f->l3 + 4, 0);
}
static void m_extlong(uint8_t *o, struct fb *f)
{
	o[f->l3 + 41] = 255;
}
static void m_extpast(uint8_t *o, struct fb *f)
{
	o[f->l3 + 41] = 30;
}
static void m_udplen7(uint8_t *o, struct fb *f)
{
	wr16(o + f->l4 + 4, 7);
}
static void m_udplong(uint8_t *o, struct fb *f)
{
	wr16(o + f->l4 + 4, f->len - f->l4 + 1);
}

static void test_parse(void)
{
	struct fb f = fb_tcp(false, 100, NULL), g;
	struct vx_pkt_hdrs h;
	uint32_t cut;
	int bad = 0, badc = 0;

	expect_parse(f, "IPv4 TCP with timestamps");
	g = f, g.ipopt = 8;
	expect_parse(g, "IPv4 with 8 bytes of options");
	g = f, g.ipopt = 40, g.tcpopt = 40;
	expect_parse(g, "IPv4 with 40 bytes of IP and of TCP options");
	g = f, g.vlan = true;
	expect_parse(g, "IPv4 behind an 802.1Q tag");
	g = f, g.udp = true;
	expect_parse(g, "IPv4 UDP");
	g = fb_tcp(true, 100, NULL);
	expect_parse(g, "IPv6 TCP");
	g.ext = 2;
	expect_parse(g, "IPv6 with 2 extension headers");
	g.ext = 4, g.vlan = true, g.tcpopt = 40;
	expect_parse(g, "IPv6, VLAN, 4 extension headers, 60-byte TCP header");
	g = fb_tcp(true, 0, NULL), g.udp = true;
	expect_parse(g, "IPv6 UDP, no payload");

	/* Padded beyond the IP length (an Ethernet minimum frame): l3_end is the IP's. */
	g = fb_tcp(false, 0, NULL), g.tcpopt = 0;
	fb_build(fr, &g);
	tap_ok(vx_pkt_parse(fr, 60, 60, &h) == 0 && h.l3_end == 54, "parse: padded 60-byte frame");

	/* Cut at every byte, as a frame (SHORT or BAD) and as a short copy (SHORT). */
	g = fb_tcp(true, 0, NULL), g.ext = 3, g.vlan = true, g.tcpopt = 40;
	fb_build(fr, &g);
	for (cut = 0; cut < g.hlen; cut++) {
		bad += vx_pkt_parse(fr, cut, cut, &h) >= 0;
		badc += vx_pkt_parse(fr, cut, g.len, &h) != VX_PKT_SHORT;
	}
	g = fb_tcp(false, 0, NULL), g.ipopt = 40, g.tcpopt = 40;
	fb_build(fr, &g);
	for (cut = 0; cut < g.hlen; cut++) {
		bad += vx_pkt_parse(fr, cut, cut, &h) >= 0;
		badc += vx_pkt_parse(fr, cut, g.len, &h) != VX_PKT_SHORT;
	}
	tap_is(bad, 0, "parse refuses: frames truncated at every byte of their headers");
	tap_is(badc, 0, "parse refuses: copies truncated at every byte (VX_PKT_SHORT)");

	expect_refused(f, m_ihl4, 0, VX_PKT_BAD_IP, "IHL 4");
	expect_refused(f, m_ihl15, 40, VX_PKT_SHORT, "IHL 15 beyond a 40-byte copy");
	expect_refused(f, m_totbig, 0, VX_PKT_BAD_IP, "IPv4 total length beyond the frame");
	expect_refused(f, m_totsmall, 0, VX_PKT_BAD_IP, "IPv4 total length below IHL");
	expect_refused(f, m_totnotcp, 0, VX_PKT_BAD_L4, "IPv4 total length too short for TCP");
	expect_refused(f, m_doff4, 0, VX_PKT_BAD_L4, "TCP doff 4");
	g = fb_tcp(false, 10, NULL);
	expect_refused(g, m_doff15, 0, VX_PKT_BAD_L4, "TCP doff 15 beyond the IP packet");
	g = fb_tcp(false, 100, NULL);
	expect_refused(g, m_doff15, 60, VX_PKT_SHORT, "TCP doff 15 beyond the copy");
	expect_refused(f, m_mf, 0, VX_PKT_BAD_IP, "IPv4 MF");
	expect_refused(f, m_fragoff, 0, VX_PKT_BAD_IP, "IPv4 fragment offset");
	expect_refused(f, m_ver6, 0, VX_PKT_BAD_IP, "version 6 in an IPv4 ethertype");
	expect_refused(f, m_arp, 0, VX_PKT_NOT_IP, "ARP ethertype");
	expect_refused(f, m_icmp, 0, VX_PKT_BAD_L4, "ICMP");
	g = fb_tcp(true, 100, NULL);
	expect_refused(g, m_ver4, 0, VX_PKT_BAD_IP, "version 4 in an IPv6 ethertype");
	expect_refused(g, m_v6frag, 0, VX_PKT_BAD_IP, "IPv6 fragment header");
	expect_refused(g, m_v6plen, 0, VX_PKT_BAD_IP, "IPv6 payload length beyond the frame");
	expect_refused(g, m_v6plen0, 0, VX_PKT_BAD_L4, "IPv6 payload length 0 (jumbogram)");
	g.ext = 5;
	expect_refused(g, NULL, 0, VX_PKT_BAD_IP, "5 IPv6 extension headers");
	g.ext = 1;
	expect_refused(g, m_extlong, 0, VX_PKT_BAD_IP, "extension header longer than the packet");
	g = fb_tcp(true, 400, NULL), g.ext = 1;
	expect_refused(g, m_extpast, 0, VX_PKT_SHORT, "extension header beyond the copy");
	g = f, g.udp = true;
	expect_refused(g, m_udplen7, 0, VX_PKT_BAD_L4, "UDP length 7");
	expect_refused(g, m_udplong, 0, VX_PKT_BAD_L4, "UDP length beyond the IP packet");
}

/* ---- checksum verification (RX) and completion (TX) ---- */

static void expect_verify(struct fb f, bool spoil, enum vx_csum_state want, const char *name)
{
	struct vx_pkt_hdrs h;

	fb_build(fr, &f);
	if (spoil)
		fr[f.len - 1] ^= 0x40;
	tap_ok(vx_pkt_parse(fr, VX_PKT_HDR_MAX, f.len, &h) == 0 &&
		   vx_pkt_csum_verify(fr, f.len, &h) == want,
	       "verify: %s", name);
}

static void m_udp0(uint8_t *o, struct fb *f)
{
	wr16(o + f->l4 + 6, 0);
}

static void test_verify(void)
{
	struct fb f;
	struct vx_pkt_hdrs h;
	int v6;

	for (v6 = 0; v6 < 2; v6++) {
		f = fb_tcp(v6, 333, NULL);
		expect_verify(f, false, VX_CSUM_GOOD, v6 ? "good TCP/IPv6" : "good TCP/IPv4");
		expect_verify(f, true, VX_CSUM_BAD, v6 ? "bad TCP/IPv6" : "bad TCP/IPv4");
		f.udp = true;
		expect_verify(f, false, VX_CSUM_GOOD, v6 ? "good UDP/IPv6" : "good UDP/IPv4");
		expect_verify(f, true, VX_CSUM_BAD, v6 ? "bad UDP/IPv6" : "bad UDP/IPv4");
		fb_build(fr, &f);
		m_udp0(fr, &f);
		vx_pkt_parse(fr, VX_PKT_HDR_MAX, f.len, &h);
		tap_is(vx_pkt_csum_verify(fr, f.len, &h), v6 ? VX_CSUM_BAD : VX_CSUM_GOOD,
		       v6 ? "verify: UDP checksum 0 over IPv6 is bad"
			  : "verify: UDP checksum 0 over IPv4 is good (none)");
	}
	/* Odd payload and a padded frame: only the IP length counts. */
	f = fb_tcp(false, 3, NULL);
	fb_build(fr, &f);
	memset(fr + f.len, 0x77, 20);
	tap_ok(vx_pkt_parse(fr, VX_PKT_HDR_MAX, f.len + 20, &h) == 0 &&
		   vx_pkt_csum_verify(fr, f.len + 20, &h) == VX_CSUM_GOOD,
	       "verify: odd payload in a padded frame");
	h.l3_end = f.len + 21;
	tap_is(vx_pkt_csum_verify(fr, f.len + 20, &h), VX_CSUM_NONE,
	       "verify: headers that do not fit the frame give NONE");
}

static void test_csum_fill(void)
{
	struct vx_vnet_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM};
	struct fb f;
	uint16_t c;
	int v6, udp, bad = 0;

	for (v6 = 0; v6 < 2; v6++) {
		for (udp = 0; udp < 2; udp++) {
			f = fb_tcp(v6, 777, NULL);
			f.udp = udp;
			fb_build(fr, &f);
			/* What the guest leaves: the folded pseudo-header sum in the field. */
			c = htons(ref_fold(ref_pseudo(fr, f.l3, v6, udp ? IPPROTO_UDP : IPPROTO_TCP,
						      f.len - f.l4)));
			memcpy(fr + f.l4 + (udp ? 6 : 16), &c, 2);
			vh.csum_start = (uint16_t)f.l4;
			vh.csum_offset = udp ? 6 : 16;
			bad += vx_pkt_csum_fill(fr, f.len, &vh) != 0 ||
			       !ref_l4_ok(fr, f.l3, f.l4, f.len - f.l4, v6,
					  udp ? IPPROTO_UDP : IPPROTO_TCP);
		}
	}
	tap_is(bad, 0, "csum_fill: TCP and UDP over IPv4 and IPv6 pass the reference");

	f = fb_tcp(false, 100, NULL);
	fb_build(fr, &f);
	memcpy(fr2, fr, f.len);
	vh.csum_start = (uint16_t)f.len;
	vh.csum_offset = 0;
	tap_is(vx_pkt_csum_fill(fr, f.len, &vh), VX_PKT_SHORT,
	       "csum_fill refuses: csum_start = len");
	vh.csum_start = (uint16_t)(f.len - 1);
	tap_is(vx_pkt_csum_fill(fr, f.len, &vh), VX_PKT_SHORT,
	       "csum_fill refuses: field half outside the frame");
	vh.csum_start = (uint16_t)f.l4;
	vh.csum_offset = 0xffff;
	tap_is(vx_pkt_csum_fill(fr, f.len, &vh), VX_PKT_SHORT,
	       "csum_fill refuses: csum_offset 0xffff");
	vh.csum_start = 0xffff;
	vh.csum_offset = 0xffff;
	tap_is(vx_pkt_csum_fill(fr, f.len, &vh), VX_PKT_SHORT,
	       "csum_fill refuses: both 0xffff (no 16-bit wrap)");
	tap_ok(!memcmp(fr, fr2, f.len), "  ... and the frame is untouched");
	vh.csum_start = (uint16_t)(f.len - 2);
	vh.csum_offset = 0;
	tap_is(vx_pkt_csum_fill(fr, f.len, &vh), 0, "csum_fill: field in the last two bytes");

	/* A UDP sum that comes to 0 is stored as 0xffff (0 is "no checksum"). */
	f = fb_tcp(false, 100, NULL);
	f.udp = true;
	fb_build(fr, &f);
	c = htons(ref_fold(ref_pseudo(fr, f.l3, false, IPPROTO_UDP, f.len - f.l4)));
	memcpy(fr + f.l4 + 6, &c, 2);
	wr16(fr + f.l4 + 8, 0);
	wr16(fr + f.l4 + 8, 0xffff - ref_fold(ref_add(0, fr + f.l4, f.len - f.l4, 0)));
	vh.csum_start = (uint16_t)f.l4;
	vh.csum_offset = 6;
	tap_ok(vx_pkt_csum_fill(fr, f.len, &vh) == 0 && rd16(fr + f.l4 + 6) == 0xffff &&
		   ref_l4_ok(fr, f.l3, f.l4, f.len - f.l4, false, IPPROTO_UDP),
	       "csum_fill: a sum of 0 is stored as 0xffff");
}

/* ---- TSO segmenter ---- */

static uint8_t arena[2 * BIG + 8192], outbuf[BIG + 256], cat[BIG];
static struct vx_seg segs[BIG];

/*
 * Spreads frame over pieces whose sizes cycle through sizes[], each in its
 * own place in the arena with a poisoned byte between pieces.
 */
static unsigned int spread(const uint8_t *frame, uint32_t len, const uint32_t *sizes,
			   unsigned int nsizes)
{
	uint32_t pos = 0, a = 1;
	unsigned int n = 0;

	memset(arena, 0xee, sizeof(arena));
	while (pos < len) {
		uint32_t k = sizes[n % nsizes];

		k = k > len - pos ? len - pos : k;
		memcpy(arena + a, frame + pos, k);
		segs[n++] = (struct vx_seg){arena + a, k, 0x10000 + a};
		a += k + 1;
		pos += k;
	}
	return n;
}

static unsigned int spread_n(const uint8_t *frame, uint32_t len, unsigned int pieces)
{
	uint32_t k = (len + pieces - 1) / pieces;

	return spread(frame, len, &k, 1);
}

/* Checks segment k (bytes [done, ...) of the payload) against the original frame. */
static const char *check_seg(const struct fb *f, const uint8_t *o, const uint8_t *s, uint32_t n,
			     uint32_t k, uint32_t nexp, uint32_t done, uint32_t mss,
			     uint32_t max_l3)
{
	uint32_t l3 = f->l3, l4 = f->l4, want_plen = k + 1 < nexp ? mss : f->plen - done;
	uint8_t flags = f->flags;

	if (k > 0)
		flags &= (uint8_t)~F_CWR;
	if (k + 1 < nexp)
		flags &= (uint8_t) ~(F_FIN | F_PSH);
	if (n > max_l3 + l3)
		return "longer than max_l3 + l3_off";
	if (n - f->hlen != want_plen)
		return "payload length";
	if (memcmp(s, o, l3))
		return "Ethernet header";
	if (!f->v6) {
		if (rd16(s + l3 + 2) != n - l3)
			return "IPv4 total length";
		if (rd16(s + l3 + 4) != (uint16_t)(f->id + k))
			return "IPv4 id";
		if (!ref_ip4_ok(s + l3))
			return "IPv4 header checksum";
		if (memcmp(s + l3, o + l3, 2) || memcmp(s + l3 + 6, o + l3 + 6, 4) ||
		    memcmp(s + l3 + 12, o + l3 + 12, l4 - l3 - 12))
			return "IPv4 fields, addresses or options";
	} else {
		if (rd16(s + l3 + 4) != n - l3 - 40)
			return "IPv6 payload length";
		if (memcmp(s + l3, o + l3, 4) || memcmp(s + l3 + 6, o + l3 + 6, l4 - l3 - 6))
			return "IPv6 fields, addresses or extension headers";
	}
	if (rd32(s + l4 + 4) != f->seq + done)
		return "TCP sequence";
	if (s[l4 + 13] != flags)
		return "TCP flags";
	if (memcmp(s + l4, o + l4, 4) || memcmp(s + l4 + 8, o + l4 + 8, 5) ||
	    memcmp(s + l4 + 14, o + l4 + 14, 2) ||
	    memcmp(s + l4 + 18, o + l4 + 18, f->hlen - l4 - 18))
		return "TCP ports, ACK, window or options";
	if (!ref_l4_ok(s, l3, l4, n - l4, f->v6, IPPROTO_TCP))
		return "TCP checksum";
	return NULL;
}

struct tso_case {
	uint16_t mss;
	uint8_t gso_type; /* 0: TCPV4/TCPV6 as the frame is */
	uint32_t max_l3;  /* 0: 1500 */
	bool lie;	  /* hdr_len and csum_start the guest got wrong */
};

static void tso_vh(const struct fb *f, const struct tso_case *c, struct vx_vnet_hdr *vh)
{
	*vh = (struct vx_vnet_hdr){
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = c->gso_type ? c->gso_type
			: f->v6	    ? VIRTIO_NET_HDR_GSO_TCPV6
				    : VIRTIO_NET_HDR_GSO_TCPV4,
	    .hdr_len = c->lie ? 7 : (uint16_t)f->hlen,
	    .gso_size = c->mss,
	    .csum_start = c->lie ? 0xfff0 : (uint16_t)f->l4,
	    .csum_offset = c->lie ? 0xffff : 16,
	};
}

/* Segments f (built in fr, spread over nsrc pieces) and checks every segment. */
static void expect_tso(const struct fb *f, unsigned int nsrc, struct tso_case c, const char *name)
{
	uint32_t max_l3 = c.max_l3 ? c.max_l3 : 1500, room = max_l3 + f->l3 + 4;
	uint32_t nexp = f->plen ? (f->plen + c.mss - 1) / c.mss : 1, n, k = 0, done = 0, i;
	struct vx_vnet_hdr vh;
	const char *why = NULL;
	struct vx_tso t;
	int err;

	tso_vh(f, &c, &vh);
	err = vx_tso_begin(&t, &vh, segs, nsrc, f->len, max_l3);
	memset(outbuf, 0xcc, sizeof(outbuf));
	while (!err && !why && (n = vx_tso_next(&t, outbuf, room)) > 0) {
		for (i = room; i < room + 64; i++)
			if (outbuf[i] != 0xcc)
				why = "wrote past room";
		if (!why && n > f->hlen + c.mss)
			why = "segment larger than headers + MSS";
		if (!why)
			why = check_seg(f, fr, outbuf, n, k, nexp, done, c.mss, max_l3);
		if (!why) {
			memcpy(cat + done, outbuf + f->hlen, n - f->hlen);
			done += n - f->hlen;
			k++;
		}
		memset(outbuf, 0xcc, room + 64);
	}
	if (!err && !why && (k != nexp || done != f->plen))
		why = "segment count or payload total";
	if (!err && !why && memcmp(cat, fr + f->hlen, f->plen))
		why = "payload concatenation";
	tap_ok(!err && !why, "tso: %s (%u segments)", name, k);
	if (err || why)
		tap_diag("  begin %d, segment %u: %s", err, k, why ? why : "-");
}

static void expect_tso_err(const struct fb *f, unsigned int nsrc, uint32_t len, struct tso_case c,
			   int want, const char *name)
{
	struct vx_vnet_hdr vh;
	struct vx_tso t;
	int err;

	tso_vh(f, &c, &vh);
	err = vx_tso_begin(&t, &vh, segs, nsrc, len, c.max_l3 ? c.max_l3 : 1500);
	memset(outbuf, 0xcc, 64);
	tap_ok(err == want && vx_tso_next(&t, outbuf, sizeof(outbuf)) == 0 && outbuf[0] == 0xcc,
	       "tso refuses: %s", name);
	if (err != want)
		tap_diag("  got %d, want %d", err, want);
}

/* gro_train takes up to GN segments of up to 1448 bytes from it (46 x 1448 > BIG). */
static uint8_t payload[BIG + 4096];

static struct fb tso_frame(bool v6, uint32_t plen)
{
	struct fb f = fb_tcp(v6, plen, payload);

	fb_build(fr, &f);
	return f;
}

static void test_tso(void)
{
	static const uint32_t odd[] = {7, 1, 333, 1, 2, 4096, 13}, small[] = {1000, 17, 1};
	struct fb f;
	unsigned int n;

	fill_rand(payload, sizeof(payload));

	f = fb_tcp(false, 10000, payload);
	f.flags = F_ACK | F_PSH | F_FIN;
	fb_build(fr, &f);
	n = spread(fr, f.len, odd, 7);
	expect_tso(&f, n, (struct tso_case){.mss = 1448}, "IPv4, timestamps, PSH+FIN, odd pieces");
	expect_tso(&f, n, (struct tso_case){.mss = 1448, .lie = true},
		   "  ... with hdr_len and csum_start lies (ignored)");
	expect_tso(&f, spread_n(fr, f.len, 1), (struct tso_case){.mss = 1000},
		   "  ... one flat piece, MSS 1000");

	f = fb_tcp(false, 3000, payload);
	f.flags = F_ACK | F_PSH | F_CWR | F_ECE;
	f.id = 0xfffe;
	fb_build(fr, &f);
	n = spread(fr, f.len, (uint32_t[]){1}, 1);
	expect_tso(&f, n,
		   (struct tso_case){.mss = 536,
				     .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN},
		   "IPv4, CWR+ECE (ECN), ids wrapping, 1-byte pieces");
	f.flags = F_ACK | F_CWR;
	fb_build(fr, &f);
	n = spread(fr, f.len, (uint32_t[]){1}, 1);
	expect_tso(&f, n, (struct tso_case){.mss = 536}, "IPv4, CWR without the ECN bit");

	f = tso_frame(true, 20000);
	expect_tso(&f, spread(fr, f.len, small, 3), (struct tso_case){.mss = 1428},
		   "IPv6, pieces of 1000, 17 and 1 bytes");
	f = fb_tcp(true, 30001, payload);
	f.ext = 2, f.vlan = true, f.flags = F_ACK | F_FIN;
	fb_build(fr, &f);
	expect_tso(&f, spread_n(fr, f.len, 256), (struct tso_case){.mss = 1400},
		   "IPv6, VLAN, 2 extension headers, odd payload, 256 pieces");

	f = fb_tcp(false, 65535 - 28 - 32, payload);
	f.ipopt = 8;
	fb_build(fr, &f);
	expect_tso(&f, spread_n(fr, f.len, 256), (struct tso_case){.mss = 1440},
		   "IPv4 with options, 64 KiB, 256 pieces");
	f = tso_frame(false, 65535 - 52);
	expect_tso(&f, spread(fr, f.len, odd, 7), (struct tso_case){.mss = VX_TSO_MIN_MSS},
		   "64 KiB at the smallest MSS (256 segments)");
	f = tso_frame(true, 65535 - 40 - 32);
	expect_tso(&f, spread(fr, f.len, odd, 7), (struct tso_case){.mss = 8928, .max_l3 = 9000},
		   "IPv6 64 KiB, MTU 9000");
	f = tso_frame(false, 1448);
	f.flags = F_ACK | F_PSH | F_FIN | F_CWR;
	fb_build(fr, &f);
	expect_tso(&f, spread(fr, f.len, odd, 7), (struct tso_case){.mss = 1448},
		   "payload of exactly one MSS: one segment, flags kept");
	f = tso_frame(false, 0);
	expect_tso(&f, spread(fr, f.len, odd, 7), (struct tso_case){.mss = 1448},
		   "no payload: one segment of headers");
}

static void test_tso_hostile(void)
{
	struct tso_case c = {.mss = 1448};
	struct vx_vnet_hdr vh;
	struct vx_tso t;
	struct fb f = tso_frame(false, 5000), g;
	unsigned int n = spread(fr, f.len, (uint32_t[]){100, 3}, 2), i;
	uint32_t room;
	bool ok;

	expect_tso_err(&f, n, f.len, (struct tso_case){.mss = 0}, VX_TSO_TOO_MANY, "gso_size 0");
	expect_tso_err(&f, n, f.len, (struct tso_case){.mss = 1}, VX_TSO_TOO_MANY, "gso_size 1");
	expect_tso_err(&f, n, f.len, (struct tso_case){.mss = VX_TSO_MIN_MSS - 1}, VX_TSO_TOO_MANY,
		       "gso_size just below VX_TSO_MIN_MSS");
	expect_tso_err(&f, n, f.len, (struct tso_case){.mss = 1461}, VX_TSO_TOO_BIG,
		       "headers + MSS over the MTU");
	tso_vh(&f, &c, &vh);
	tap_is(vx_tso_begin(&t, &vh, segs, n, f.len, 0xffffffffu), 0,
	       "tso: max_l3 0xffffffff does not overflow");
	expect_tso_err(&f, n, f.len,
		       (struct tso_case){.mss = 1448, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6},
		       VX_TSO_BAD_HDR, "gso_type TCPV6 on an IPv4 frame");
	expect_tso_err(&f, n, f.len,
		       (struct tso_case){.mss = 1448, .gso_type = VIRTIO_NET_HDR_GSO_UDP},
		       VX_TSO_BAD_HDR, "gso_type UDP on a TCP frame");
	expect_tso_err(&f, n, f.len, (struct tso_case){.mss = 1448, .gso_type = 0x7f},
		       VX_TSO_BAD_HDR, "gso_type 0x7f");
	expect_tso_err(&f, n, f.len, (struct tso_case){.mss = 1448, .gso_type = 0x80},
		       VX_TSO_BAD_HDR, "gso_type ECN alone");
	expect_tso_err(&f, n, f.len - 1, c, VX_TSO_BAD_HDR, "len one short of the IP length");
	expect_tso_err(&f, n, f.len + 1, c, VX_TSO_BAD_HDR, "len beyond what the pieces hold");
	wr16(fr + f.l3 + 2, f.len - f.l3 - 1);
	n = spread(fr, f.len, (uint32_t[]){100, 3}, 2);
	expect_tso_err(&f, n, f.len, c, VX_TSO_BAD_HDR, "IPv4 total length one short of len");
	f = tso_frame(false, 5000);
	n = spread(fr, f.len, (uint32_t[]){100, 3}, 2);
	expect_tso_err(&f, n, 40, c, VX_TSO_BAD_HDR, "frame shorter than its headers");
	expect_tso_err(&f, 0, f.len, c, VX_TSO_BAD_HDR, "no pieces");
	expect_tso_err(&f, n, VX_TSO_MAX_LEN + 1, c, VX_TSO_TOO_BIG, "len over VX_TSO_MAX_LEN");
	expect_tso_err(&f, n, 0xffffffffu, c, VX_TSO_TOO_BIG, "len 0xffffffff");
	g = tso_frame(true, 5000);
	n = spread(fr, g.len, (uint32_t[]){1}, 1);
	expect_tso_err(
	    &g, n, g.len, (struct tso_case){.mss = 1448, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4},
	    VX_TSO_BAD_HDR, "gso_type TCPV4 on an IPv6 frame (headers in 1-byte pieces)");
	g = fb_tcp(false, 5000, payload);
	g.udp = true;
	fb_build(fr, &g);
	n = spread(fr, g.len, (uint32_t[]){64}, 1);
	expect_tso_err(&g, n, g.len, c, VX_TSO_BAD_HDR, "a UDP frame with TCPV4");
	f = tso_frame(false, 5000);
	fr[f.l4 + 12] = 0x40;
	n = spread(fr, f.len, (uint32_t[]){64}, 1);
	expect_tso_err(&f, n, f.len, c, VX_TSO_BAD_HDR, "TCP doff 4");
	f = tso_frame(false, 5000);
	fr[f.l3] = 0x44;
	n = spread(fr, f.len, (uint32_t[]){64}, 1);
	expect_tso_err(&f, n, f.len, c, VX_TSO_BAD_HDR, "IHL 4");

	/* Too little room: nothing written past it, nothing lost, then it goes on. */
	f = tso_frame(false, 5000);
	n = spread(fr, f.len, (uint32_t[]){100, 3}, 2);
	tso_vh(&f, &c, &vh);
	room = f.hlen + c.mss - 1;
	memset(outbuf, 0xcc, sizeof(outbuf));
	ok = vx_tso_begin(&t, &vh, segs, n, f.len, 1500) == 0 &&
	     vx_tso_next(&t, outbuf, sizeof(outbuf)) == f.hlen + c.mss;
	memset(outbuf, 0xcc, sizeof(outbuf));
	ok = ok && vx_tso_next(&t, outbuf, room) == 0 && t.seg == 1 && t.nsegs == 4;
	for (i = 0; i < sizeof(outbuf); i++)
		ok = ok && outbuf[i] == 0xcc;
	ok = ok && vx_tso_next(&t, outbuf, room + 1) == f.hlen + c.mss &&
	     rd32(outbuf + f.l4 + 4) == f.seq + c.mss;
	tap_ok(ok, "tso: room too small returns 0, writes nothing, and the segment follows later");
}

/* ---- GRO coalescer ---- */

#define GN 64
static uint8_t gfr[GN][2048], merged[BIG];
static struct fb gf[GN];
static struct vx_gro g;

/* Segment i of the flow base: sequence, id and payload moved on by i MSS. */
static void gro_seg(struct fb base, int i, void (*mod)(struct fb *))
{
	base.seq += (uint32_t)i * base.plen;
	base.id = (uint16_t)(base.id + i);
	base.pay = payload + (uint32_t)i * base.plen;
	if (mod)
		mod(&base);
	fb_build(gfr[i], &base);
	gf[i] = base;
}

static enum vx_gro_res offer(int i)
{
	return vx_gro_add(&g, gfr[i], gf[i].len, (uint64_t)i);
}

/* The finished train as the guest gets it; returns its length. */
static uint32_t gro_flat(void)
{
	uint32_t m = g.h.hdr_len;
	unsigned int i;

	memcpy(merged, g.hdr, m);
	for (i = 0; i < g.n; i++) {
		memcpy(merged + m, g.piece[i].data, g.piece[i].len);
		m += g.piece[i].len;
	}
	return m;
}

/*
 * Finishes the train of segments [0, n) and checks the merged packet: by
 * the reference, and (ids incrementing) by cutting it again with the
 * segmenter, which must give back the original segments byte for byte.
 */
static void expect_merged(int n, bool resegment, const char *name)
{
	struct vx_vnet_hdr vh;
	const struct fb *f = &gf[0];
	uint32_t m, l3 = f->l3, l4 = f->l4, out, seg = 0;
	const char *why = NULL;
	struct vx_seg one;
	struct vx_tso t;
	int i, cookies = 0;

	for (i = 0; i < (int)g.n; i++)
		cookies += g.piece[i].cookie == (uint64_t)i && g.piece[i].data == gfr[i] + f->hlen;
	vx_gro_finish(&g, &vh);
	m = gro_flat();
	if ((int)g.n != n || cookies != n)
		why = "segment count or pieces";
	else if (vh.flags != VIRTIO_NET_HDR_F_NEEDS_CSUM || vh.csum_start != l4 ||
		 vh.csum_offset != 16 || vh.gso_size != f->plen || vh.hdr_len != f->hlen ||
		 vh.gso_type != (f->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4))
		why = "virtio-net header";
	else if (!f->v6 && (rd16(merged + l3 + 2) != m - l3 || !ref_ip4_ok(merged + l3)))
		why = "IPv4 total length or header checksum";
	else if (f->v6 && rd16(merged + l3 + 4) != m - l3 - 40)
		why = "IPv6 payload length";
	else if (rd16(merged + l4 + 16) !=
		 ref_fold(ref_pseudo(merged, l3, f->v6, IPPROTO_TCP, m - l4)))
		why = "TCP check field is not the folded pseudo-header sum";
	else if (merged[l4 + 13] != (gf[0].flags | (gf[n - 1].flags & F_PSH)))
		why = "TCP flags";
	else if (rd32(merged + l4 + 4) != f->seq)
		why = "TCP sequence";
	if (!why && resegment) {
		one = (struct vx_seg){merged, m, 0};
		if (vx_tso_begin(&t, &vh, &one, 1, m, 1500) != 0)
			why = "the segmenter refused the merged packet";
		while (!why && (out = vx_tso_next(&t, outbuf, sizeof(outbuf))) > 0) {
			if ((int)seg >= n || out != gf[seg].len || memcmp(outbuf, gfr[seg], out))
				why = "re-segmented output differs from the original segments";
			seg++;
		}
		if (!why && (int)seg != n)
			why = "re-segmented count";
	}
	tap_ok(!why, "gro: %s", name);
	if (why)
		tap_diag("  %s (n %u, want %d)", why, g.n, n);
}

static int gro_train(struct fb base, int n, void (*mod_last)(struct fb *))
{
	int i, held = 0;

	vx_gro_init(&g);
	for (i = 0; i < n; i++) {
		gro_seg(base, i, i == n - 1 ? mod_last : NULL);
		held += offer(i) == VX_GRO_HELD;
	}
	return held;
}

static void m_psh(struct fb *f)
{
	f->flags |= F_PSH;
}
static void m_short(struct fb *f)
{
	f->plen -= 1;
}
static void m_back1(struct fb *f)
{
	f->seq -= 1;
}

static void test_gro_merge(void)
{
	struct fb b4 = fb_tcp(false, 1448, NULL), b6 = fb_tcp(true, 1428, NULL), b;
	struct vx_vnet_hdr vh;
	int held;

	tap_is(gro_train(b4, 8, NULL), 8, "gro: 8 IPv4 segments held");
	expect_merged(8, true, "8 IPv4 segments merged; re-cut they are the originals");
	tap_is(gro_train(b6, 20, NULL), 20, "gro: 20 IPv6 segments held");
	expect_merged(20, true, "20 IPv6 segments merged; re-cut they are the originals");
	b = b6, b.vlan = true, b.tcpopt = 0;
	tap_is(gro_train(b, 5, m_psh), 5, "gro: VLAN IPv6 train ending in PSH held");
	gro_seg(b, 5, NULL);
	tap_is(offer(5), VX_GRO_FLUSH, "  ... PSH closed it: the next in sequence flushes");
	expect_merged(5, true, "PSH included and carried to the merged header");
	tap_is(gro_train(b4, 4, m_short), 4, "gro: train ending in a shorter segment held");
	gro_seg(b4, 4, m_back1);
	tap_is(offer(4), VX_GRO_FLUSH,
	       "  ... the shorter one ended it (the next in sequence flushes)");
	expect_merged(4, true, "shorter last segment");
	b = b4, b.id = 0xfffd;
	tap_is(gro_train(b, 6, NULL), 6, "gro: IPv4 ids wrapping through 0xffff held");
	expect_merged(6, true, "ids wrapping");

	/* 64 KiB: 52 bytes of headers + 45 x 1448 fits, the 46th does not. */
	held = gro_train(b4, 46, NULL);
	tap_ok(held == 45 && g.n == 45, "gro: the 46th 1448-byte segment would pass 64 KiB");
	expect_merged(45, true, "45 x 1448 merged (65212 bytes of IP)");
	b = b4, b.plen = 300;
	held = gro_train(b, VX_GRO_MAX_SEGS + 1, NULL);
	tap_ok(held == VX_GRO_MAX_SEGS && g.n == VX_GRO_MAX_SEGS,
	       "gro: VX_GRO_MAX_SEGS segments, the next one flushes");
	expect_merged(VX_GRO_MAX_SEGS, true, "VX_GRO_MAX_SEGS x 300 merged");

	/* One segment: delivered as it came, DATA_VALID. */
	vx_gro_init(&g);
	gro_seg(b4, 0, NULL);
	tap_is(offer(0), VX_GRO_HELD, "gro: a lone segment is held");
	vx_gro_finish(&g, &vh);
	tap_ok(vh.flags == VIRTIO_NET_HDR_F_DATA_VALID && vh.gso_type == 0 && vh.gso_size == 0 &&
		   vh.csum_start == 0 && g.n == 1 && gro_flat() == gf[0].len &&
		   !memcmp(merged, gfr[0], gf[0].len),
	       "gro: a single segment is finished unchanged, DATA_VALID only");
	vx_gro_init(&g);
	vx_gro_finish(&g, &vh);
	tap_ok(vh.flags == 0 && vh.gso_type == 0,
	       "gro: finishing an empty train gives a zero header");
}

static void m_port(struct fb *f)
{
	f->sport++;
}
static void m_gap(struct fb *f)
{
	f->seq++;
}
static void m_back(struct fb *f)
{
	f->seq -= f->plen;
}
static void m_ack(struct fb *f)
{
	f->ack++;
}
static void m_win(struct fb *f)
{
	f->win++;
}
static void m_ts(struct fb *f)
{
	f->tsval++;
}
static void m_nots(struct fb *f)
{
	f->tcpopt = 0;
}
static void m_ttl(struct fb *f)
{
	f->ttl--;
}
static void m_tos(struct fb *f)
{
	f->tos = 2;
}
static void m_mac(struct fb *f)
{
	f->mac = 9;
}
static void m_vlan(struct fb *f)
{
	f->vlan = true;
}
static void m_v6(struct fb *f)
{
	f->v6 = true;
}
static void m_fin(struct fb *f)
{
	f->flags |= F_FIN;
}
static void m_syn(struct fb *f)
{
	f->flags |= F_SYN;
}
static void m_rst(struct fb *f)
{
	f->flags |= F_RST;
}
static void m_urg(struct fb *f)
{
	f->flags |= F_URG;
}
static void m_cwr(struct fb *f)
{
	f->flags |= F_CWR;
}
static void m_ece(struct fb *f)
{
	f->flags |= F_ECE;
}
static void m_noack(struct fb *f)
{
	f->flags = 0;
}
static void m_zero(struct fb *f)
{
	f->plen = 0;
}
static void m_bigger(struct fb *f)
{
	f->plen += 1;
}
static void m_ipopt(struct fb *f)
{
	f->ipopt = 4;
}
static void m_ext(struct fb *f)
{
	f->ext = 1;
}
static void m_idjump(struct fb *f)
{
	f->id += 5;
}
static void m_idsame(struct fb *f)
{
	f->id -= 2;
}
static void m_nodf(struct fb *f)
{
	f->frag = 0;
}
static void m_frag(struct fb *f)
{
	f->frag = 0x2000;
}
static void m_udp(struct fb *f)
{
	f->udp = true;
}

/*
 * A train of two, then a third segment changed by mod: want from the train,
 * and alone (after a flush) it must start a train, or be passed.
 */
static void expect_third(struct fb base, void (*mod)(struct fb *), enum vx_gro_res want,
			 enum vx_gro_res alone, const char *name)
{
	bool ok = gro_train(base, 3, mod) == (want == VX_GRO_HELD ? 3 : 2);
	enum vx_gro_res got = vx_gro_add(&g, gfr[2], gf[2].len, 2);

	/* Offered again (the train has it or refused it), the answer is the same kind. */
	ok = ok && (want == VX_GRO_HELD ? got == VX_GRO_FLUSH : got == want) &&
	     g.n == (want == VX_GRO_HELD ? 3u : 2u);
	vx_gro_init(&g);
	ok = ok && offer(2) == alone;
	tap_ok(ok, "gro: %s", name);
}

static void m_badipsum(uint8_t *o, struct fb *f)
{
	o[f->l3 + 10] ^= 1;
}

static void test_gro_rules(void)
{
	struct fb b4 = fb_tcp(false, 1448, NULL), b6 = fb_tcp(true, 1428, NULL), b;
	const enum vx_gro_res F = VX_GRO_FLUSH, H = VX_GRO_HELD, P = VX_GRO_PASS;

	expect_third(b4, m_port, F, H, "different flow (port) flushes");
	expect_third(b4, m_gap, F, H, "a sequence gap flushes");
	expect_third(b4, m_back, F, H, "a retransmission (overlap) flushes");
	expect_third(b4, m_ack, F, H, "a different ACK flushes");
	expect_third(b4, m_win, F, H, "a different window flushes");
	expect_third(b4, m_ts, F, H, "different TCP options (timestamp) flush");
	expect_third(b4, m_nots, F, H, "different TCP option length flushes");
	expect_third(b4, m_ttl, F, H, "a different TTL flushes");
	expect_third(b4, m_tos, F, H, "a different TOS flushes");
	expect_third(b4, m_mac, F, H, "a different source MAC flushes");
	expect_third(b4, m_vlan, F, H, "a VLAN tag flushes");
	expect_third(b4, m_v6, F, H, "another IP version flushes");
	expect_third(b6, m_tos, F, H, "a different traffic class (IPv6) flushes");
	expect_third(b6, m_ttl, F, H, "a different hop limit (IPv6) flushes");
	expect_third(b4, m_fin, F, P, "FIN cannot join, nor start a train");
	expect_third(b4, m_syn, F, P, "SYN cannot join, nor start a train");
	expect_third(b4, m_rst, F, P, "RST cannot join, nor start a train");
	expect_third(b4, m_urg, F, P, "URG cannot join, nor start a train");
	expect_third(b4, m_cwr, F, P, "CWR cannot join, nor start a train");
	expect_third(b4, m_ece, F, P, "ECE cannot join, nor start a train");
	expect_third(b4, m_noack, F, P, "no ACK cannot join, nor start a train");
	expect_third(b4, m_psh, H, P, "PSH joins (and ends); alone it is passed");
	expect_third(b4, m_zero, F, P, "no payload cannot join, nor start a train");
	expect_third(b6, m_zero, F, P, "no payload (IPv6) cannot join, nor start a train");
	expect_third(b4, m_bigger, F, H, "more than the MSS cannot join");
	expect_third(b4, m_ipopt, F, P, "IPv4 options refused");
	expect_third(b6, m_ext, F, P, "IPv6 extension headers refused");
	expect_third(b4, m_idjump, F, H, "an IPv4 id jump flushes");
	expect_third(b4, m_idsame, F, H, "incrementing ids, then the first again, flush");
	expect_third(b4, m_nodf, F, H, "DF changing flushes");
	expect_third(b4, m_frag, F, P, "a fragment is passed");
	expect_third(b4, m_udp, F, P, "UDP is passed");

	/* Fixed ids: all equal with DF is a train; without DF it is not. */
	b = b4;
	b.id = 0x4444;
	{
		int i, held = 0;

		vx_gro_init(&g);
		for (i = 0; i < 5; i++) {
			struct fb s = b;

			s.seq += (uint32_t)i * s.plen;
			s.pay = payload + (uint32_t)i * s.plen;
			fb_build(gfr[i], &s);
			gf[i] = s;
			held += offer(i) == H;
		}
		tap_is(held, 5, "gro: fixed ids with DF are one train");
		expect_merged(5, false, "fixed-id train merged (the first id kept)");
		tap_is(rd16(merged + gf[0].l3 + 4), 0x4444, "  ... with the first id");
		b.frag = 0;
		vx_gro_init(&g);
		for (i = 0, held = 0; i < 2; i++) {
			struct fb s = b;

			s.seq += (uint32_t)i * s.plen;
			fb_build(gfr[i], &s);
			gf[i] = s;
			held += offer(i) == H;
		}
		tap_is(held, 1, "gro: fixed ids without DF are not");
	}

	/* A bad IPv4 header checksum is never merged (its new one would hide it). */
	vx_gro_init(&g);
	gro_seg(b4, 0, NULL);
	m_badipsum(gfr[0], &gf[0]);
	tap_is(offer(0), P, "gro: a bad IPv4 header checksum is passed");
	gro_seg(b4, 0, m_psh);
	tap_is(offer(0), P, "gro: PSH on the first segment is passed");
	tap_is(vx_gro_add(&g, gfr[0], 13, 0), P, "gro: a 13-byte frame is passed");
	gro_seg(b4, 0, NULL);
	tap_is(vx_gro_add(&g, gfr[0], gf[0].len - 1, 0), P, "gro: a frame cut short is passed");
	tap_is(g.n, 0, "  ... and nothing was held");
}

/* ---- the fuzzers' seed corpus ---- */

static void put_le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static int write_seed(const char *dir, const char *target, int i, const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/seed-%02d", dir, target, i);
	fp = fopen(path, "wb");
	if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp)) {
		perror(path);
		return -1;
	}
	return 0;
}

/*
 * Input formats (the targets in tests/fuzz): fuzz_pkt: csum_start, csum_offset (le16),
 * frame. fuzz_tso: flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset (le16 after the two bytes), max_l3 (le16), a piece-size seed
 * byte, frame. fuzz_gro: frames, each preceded by its length (le16).
 */
static int write_corpus(const char *dir)
{
	static uint8_t buf[BIG];
	struct fb f[6] = {fb_tcp(false, 100, NULL),  fb_tcp(true, 300, NULL),
			  fb_tcp(false, 50, NULL),   fb_tcp(true, 20, NULL),
			  fb_tcp(false, 3000, NULL), fb_tcp(true, 4000, NULL)};
	int i, j, err = 0;
	size_t n;

	f[1].ext = 2;
	f[2].udp = true, f[2].vlan = true;
	f[3].udp = true;
	f[4].flags = F_ACK | F_PSH | F_CWR;
	f[5].ext = 1, f[5].vlan = true;
	mkdir(dir, 0755);
	for (i = 0; i < 6; i++) {
		n = fb_build(buf + 4, &f[i]);
		put_le16(buf, f[i].l4);
		put_le16(buf + 2, f[i].udp ? 6 : 16);
		err |= write_seed(dir, "fuzz_pkt", i, buf, n + 4);
	}
	for (i = 0; i < 4; i++) {
		struct fb *t = &f[i < 2 ? i + 4 : i - 2];

		n = fb_build(buf + 13, t);
		buf[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		buf[1] = t->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
		put_le16(buf + 2, t->hlen);
		put_le16(buf + 4, i & 1 ? 1000 : 536);
		put_le16(buf + 6, t->l4);
		put_le16(buf + 8, 16);
		put_le16(buf + 10, 1500);
		buf[12] = (uint8_t)(i * 37);
		err |= write_seed(dir, "fuzz_tso", i, buf, n + 13);
	}
	for (i = 0; i < 3; i++) {
		struct fb b = fb_tcp(i == 1, i == 2 ? 300 : 500, NULL);

		n = 0;
		for (j = 0; j < 5; j++) {
			struct fb s = b;

			s.seq += (uint32_t)j * s.plen;
			s.id = (uint16_t)(s.id + j);
			if (i == 2 && j == 3)
				s.flags |= F_PSH;
			put_le16(buf + n, fb_build(buf + n + 2, &s));
			n += 2 + s.len;
		}
		err |= write_seed(dir, "fuzz_gro", i, buf, n);
	}
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	test_csum();
	test_parse();
	test_verify();
	test_csum_fill();
	test_tso();
	test_tso_hostile();
	test_gro_merge();
	test_gro_rules();
	return tap_done();
}

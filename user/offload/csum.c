// SPDX-License-Identifier: GPL-2.0
/*
 * The Internet checksum (RFC 1071). The sum is kept in the host's view of
 * the bytes as they lie in memory (16-bit words loaded natively): one's
 * complement addition is byte-order independent (RFC 1071 2.B), so the
 * folded result, stored natively, is the right bytes in network order.
 *
 * The loops add 8 bytes at a time into a 64-bit accumulator with the
 * carry added back (end-around), then fold 64 -> 32 bits.
 */
#include <string.h>

#include "offload/csum.h"

static inline uint64_t add64(uint64_t acc, uint64_t v)
{
	acc += v;
	return acc + (acc < v);
}

static inline uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

static inline uint32_t add32(uint32_t a, uint32_t b)
{
	a += b;
	return a + (a < b);
}

/* The last 0-7 bytes of a piece whose earlier bytes were a multiple of 8. */
static uint64_t sum_tail(const uint8_t *p, uint32_t len, uint64_t acc)
{
	uint32_t v32;
	uint16_t v16;
	uint8_t last[2] = {0, 0};

	if (len & 4) {
		memcpy(&v32, p, 4);
		acc = add64(acc, v32);
		p += 4;
	}
	if (len & 2) {
		memcpy(&v16, p, 2);
		acc = add64(acc, v16);
		p += 2;
	}
	if (len & 1) {
		/* An odd last byte is the first byte of a word padded with zero. */
		last[0] = *p;
		memcpy(&v16, last, 2);
		acc = add64(acc, v16);
	}
	return acc;
}

uint32_t vx_csum_partial(const void *buf, uint32_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t acc = sum, v;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&v, p, 8);
		acc = add64(acc, v);
	}
	return fold64(sum_tail(p, len, acc));
}

uint32_t vx_csum_copy(void *dst, const void *src, uint32_t len, uint32_t sum)
{
	const uint8_t *s = src;
	uint8_t *d = dst;
	uint64_t acc = sum, v;

	for (; len >= 8; len -= 8, s += 8, d += 8) {
		memcpy(&v, s, 8);
		memcpy(d, &v, 8);
		acc = add64(acc, v);
	}
	memcpy(d, s, len);
	/* The tail is summed from the copy: src is read exactly once. */
	return fold64(sum_tail(d, len, acc));
}

uint32_t vx_csum_add_at(uint32_t sum, uint32_t piece, uint32_t off)
{
	/*
	 * A piece that starts at an odd offset had its bytes paired the other
	 * way round: swapping the bytes of its folded sum re-pairs them.
	 */
	if (off & 1) {
		uint16_t f = vx_csum_fold(piece);

		piece = (uint16_t)((f << 8) | (f >> 8));
	}
	return add32(sum, piece);
}

uint16_t vx_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t vx_csum_finish(uint32_t sum)
{
	return (uint16_t)~vx_csum_fold(sum);
}

/* The length as the big-endian word(s) the pseudo-header holds. */
static uint32_t pseudo_tail(uint8_t proto, uint32_t l4_len, uint32_t sum)
{
	uint8_t b[8] = {0};

	b[0] = (uint8_t)(l4_len >> 24);
	b[1] = (uint8_t)(l4_len >> 16);
	b[2] = (uint8_t)(l4_len >> 8);
	b[3] = (uint8_t)l4_len;
	b[7] = proto;
	return vx_csum_partial(b, sizeof(b), sum);
}

uint32_t vx_csum_pseudo4(const uint8_t saddr[4], const uint8_t daddr[4], uint8_t proto,
			 uint32_t l4_len)
{
	/* RFC 793: zero, protocol, 16-bit length; a 32-bit length sums the same below 64 KiB. */
	uint32_t sum = vx_csum_partial(saddr, 4, 0);

	sum = vx_csum_partial(daddr, 4, sum);
	return pseudo_tail(proto, l4_len, sum);
}

uint32_t vx_csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16], uint8_t proto,
			 uint32_t l4_len)
{
	/* RFC 8200 8.1: 32-bit upper-layer length, 3 zero bytes, next header. */
	uint32_t sum = vx_csum_partial(saddr, 16, 0);

	sum = vx_csum_partial(daddr, 16, sum);
	return pseudo_tail(proto, l4_len, sum);
}

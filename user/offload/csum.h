/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Internet checksum (RFC 1071, RFC 1624), as the offload engines need
 * it: a 32-bit running sum that can be extended piece by piece (a frame
 * spread over guest buffers or UMEM frames), folded to 16 bits at the end,
 * and a copy that sums what it copies in the same pass.
 *
 * Sums are in network byte order as the bytes lie in memory (a sum over
 * the bytes of a buffer, read as big-endian 16-bit words, stored with
 * htons): the folded result can be stored into a header as it is.
 * Pieces of odd length are handled: a piece that starts at an odd offset of
 * the whole is summed with its bytes swapped (vx_csum_add_at).
 */
#ifndef VX_OFFLOAD_CSUM_H
#define VX_OFFLOAD_CSUM_H

#include <stdint.h>

/* Sum of len bytes at buf, added to sum (not folded). */
uint32_t vx_csum_partial(const void *buf, uint32_t len, uint32_t sum);
/* Copies len bytes from src to dst and returns their sum added to sum. */
uint32_t vx_csum_copy(void *dst, const void *src, uint32_t len, uint32_t sum);
/* Adds a piece's sum that began at byte offset off of the whole. */
uint32_t vx_csum_add_at(uint32_t sum, uint32_t piece, uint32_t off);
/* Folds to 16 bits (not inverted). */
uint16_t vx_csum_fold(uint32_t sum);
/* The checksum field's value: ~fold(sum), with 0 kept as 0xffff only for UDP (caller). */
uint16_t vx_csum_finish(uint32_t sum);

/* Pseudo-header sums (RFC 793/768, RFC 8200 8.1), in network order like the rest. */
uint32_t vx_csum_pseudo4(const uint8_t saddr[4], const uint8_t daddr[4], uint8_t proto,
			 uint32_t l4_len);
uint32_t vx_csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16], uint8_t proto,
			 uint32_t l4_len);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the segmenter on an arbitrary virtio-net header and frame,
 * spread over pieces of arbitrary sizes, run to completion. Input: flags,
 * gso_type, hdr_len, gso_size, csum_start, csum_offset (le16), max_l3
 * (le16), a seed for the piece sizes, then the frame.
 */
#include <stdlib.h>
#include <string.h>

#include "offload/tso.h"

#define MAX_PIECES 300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vx_seg src[MAX_PIECES];
	struct vx_vnet_hdr vh;
	struct vx_tso t;
	uint32_t len, max_l3, room, pos = 0, n, segs = 0, rng;
	unsigned int nsrc = 0;
	uint8_t *out;

	if (size < 13 || size > 13 + VX_TSO_MAX_LEN + 16)
		return 0;
	vh = (struct vx_vnet_hdr){data[0],
				  data[1],
				  (uint16_t)(data[2] | data[3] << 8),
				  (uint16_t)(data[4] | data[5] << 8),
				  (uint16_t)(data[6] | data[7] << 8),
				  (uint16_t)(data[8] | data[9] << 8)};
	max_l3 = (uint32_t)(data[10] | data[11] << 8);
	rng = data[12] * 2654435761u + 1;
	len = (uint32_t)(size - 13);
	/* Each piece in its own heap block: ASan catches reads past any of them. */
	while (pos < len && nsrc < MAX_PIECES) {
		uint32_t k = nsrc + 1 == MAX_PIECES ? len - pos : (rng >> 24) % 200 + 1;

		rng = rng * 1103515245u + 12345;
		k = k > len - pos ? len - pos : k;
		src[nsrc].hva = malloc(k);
		memcpy(src[nsrc].hva, data + 13 + pos, k);
		src[nsrc++].len = k;
		pos += k;
	}
	room = max_l3 + 18 + 4;
	out = malloc(room);
	if (vx_tso_begin(&t, &vh, src, nsrc, len, max_l3) == 0) {
		while ((n = vx_tso_next(&t, out, room)) > 0) {
			if (n > room || ++segs > VX_TSO_MAX_SEGS || n > max_l3 + t.h.l3_off)
				abort();
		}
		if (t.seg != t.nsegs || t.done != t.payload)
			abort();
	} else if (vx_tso_next(&t, out, room) != 0) {
		abort();
	}
	free(out);
	while (nsrc)
		free(src[--nsrc].hva);
	return 0;
}

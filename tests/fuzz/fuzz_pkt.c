// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the header parser, the checksum verifier and NEEDS_CSUM
 * completion on arbitrary bytes. Input: csum_start, csum_offset (le16),
 * then the frame.
 */
#include <stdlib.h>
#include <string.h>

#include "offload/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_vnet_hdr vh = {0};
	struct vx_pkt_hdrs h;
	uint32_t len;
	uint8_t *frame;

	if (size < 4 || size > 70000)
		return 0;
	vh.csum_start = (uint16_t)(data[0] | data[1] << 8);
	vh.csum_offset = (uint16_t)(data[2] | data[3] << 8);
	len = (uint32_t)(size - 4);
	/* An exact-size heap copy: ASan sees any read or write past the frame. */
	frame = malloc(len ? len : 1);
	memcpy(frame, data + 4, len);
	if (vx_pkt_parse(frame, len < VX_PKT_HDR_MAX ? len : VX_PKT_HDR_MAX, len, &h) ==
	    VX_PKT_OK) {
		if (h.l4_off > h.hdr_len || h.hdr_len > len || h.l3_end > len ||
		    h.hdr_len > VX_PKT_HDR_MAX || h.hdr_len > h.l3_end)
			abort();
		(void)vx_pkt_csum_verify(frame, len, &h);
	}
	if (vx_pkt_csum_fill(frame, len, &vh) == 0 &&
	    ((uint32_t)vh.csum_start + vh.csum_offset + 2 > len))
		abort();
	free(frame);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
#include <endian.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "dp/rxbuf.h"
#include "dp/limits.h"

bool vx_tx_read_hdr(const struct vx_chain *c, uint32_t hdr_len, struct vx_vnet_hdr *vh)
{
	struct virtio_net_hdr_mrg_rxbuf h;

	if (c->out_len < hdr_len || hdr_len > sizeof(h))
		return false;
	vx_chain_read(c, 0, &h, hdr_len);
	vh->flags = h.hdr.flags;
	vh->gso_type = h.hdr.gso_type;
	vh->hdr_len = le16toh(h.hdr.hdr_len);
	vh->gso_size = le16toh(h.hdr.gso_size);
	vh->csum_start = le16toh(h.hdr.csum_start);
	vh->csum_offset = le16toh(h.hdr.csum_offset);
	return true;
}

uint32_t vx_tx_pieces(uint32_t len, uint32_t first, uint32_t chunk)
{
	if (!len || !chunk)
		return 0;
	if (len <= first)
		return 1;
	/* Cannot overflow: (len - first) / chunk < len. */
	return 1 + (len - first) / chunk + !!((len - first) % chunk);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a sequence of arbitrary frames through the coalescer, with
 * the caller's protocol (flush and offer again), checking its invariants.
 * Input: frames, each preceded by its length (le16).
 */
#include <stdlib.h>
#include <string.h>

#include "offload/gro.h"

#define MAX_FRAMES 256

static uint8_t *frames[MAX_FRAMES];
static uint32_t lens[MAX_FRAMES];

static void check_and_finish(struct vx_gro *g)
{
	struct vx_vnet_hdr vh;
	uint64_t total = 0;
	unsigned int i;

	if (g->n > VX_GRO_MAX_SEGS)
		abort();
	for (i = 0; i < g->n; i++) {
		const struct vx_gro_piece *p = &g->piece[i];
		uint64_t c = p->cookie;

		if (c >= MAX_FRAMES || p->data < frames[c] || p->len == 0 ||
		    p->data + p->len > frames[c] + lens[c])
			abort();
		total += p->len;
	}
	vx_gro_finish(g, &vh);
	if (g->n && g->h.hdr_len - g->h.l3_off + total > VX_GRO_MAX_L3)
		abort();
	if (g->n > 1 && (vh.gso_size == 0 || vh.hdr_len != g->h.hdr_len ||
			 g->h.l3_end - g->h.l3_off != g->h.hdr_len - g->h.l3_off + total))
		abort();
	vx_gro_init(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vx_gro g;
	unsigned int nf = 0, i;
	size_t pos = 0;

	while (pos + 2 <= size && nf < MAX_FRAMES) {
		uint32_t l = (uint32_t)(data[pos] | data[pos + 1] << 8);

		pos += 2;
		if (l > size - pos)
			l = (uint32_t)(size - pos);
		frames[nf] = malloc(l ? l : 1);
		memcpy(frames[nf], data + pos, l);
		lens[nf++] = l;
		pos += l;
	}
	vx_gro_init(&g);
	for (i = 0; i < nf; i++) {
		enum vx_gro_res r = vx_gro_add(&g, frames[i], lens[i], i);

		if (r == VX_GRO_FLUSH) {
			if (g.n == 0)
				abort();
			check_and_finish(&g);
			r = vx_gro_add(&g, frames[i], lens[i], i);
			if (r == VX_GRO_FLUSH)
				abort();
		}
		if (r == VX_GRO_PASS && g.n)
			abort();
	}
	if (g.n)
		check_and_finish(&g);
	for (i = 0; i < nf; i++)
		free(frames[i]);
	return 0;
}

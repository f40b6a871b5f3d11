// SPDX-License-Identifier: GPL-2.0
/* The NIC's counters, summed over its workers, as `object counter value` lines. */
#include <string.h>

#include "nic_priv.h"

/* Sums per-worker counters: struct of uint64_t fields, n of them. */
static void stats_add(uint64_t *sum, const uint64_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sum[i] += v[i];
}

#define STATS_ADD(sum, v) stats_add((uint64_t *)(sum), (const uint64_t *)(v), \
				    sizeof(*(sum)) / sizeof(uint64_t))

static uint64_t xsk_held(const struct vx_xsk *x)
{
	return vx_xsk_held(x);
}

/*
 * Sums fn over the ordinary queues' sockets, each read with its worker
 * paused (the socket may be swapped). The dedicated queue's socket is left
 * out: its lent guest buffers are not its frames, and its kernel drops are
 * counted per port (rx_drop_kernel).
 */
static uint64_t nic_xsk_sum(struct vx_nic *nic, uint64_t (*fn)(const struct vx_xsk *))
{
	uint64_t sum = 0;
	unsigned int q;

	for (q = 0; q < nic->nq && nic->nw; q++) {
		struct vx_worker *w = &nic->w[q % nic->nw];

		pthread_mutex_lock(&w->lock);
		if (nic->xsk[q] && !(q == 0 && nic->dq_on))
			sum += fn(nic->xsk[q]);
		pthread_mutex_unlock(&w->lock);
	}
	return sum;
}

void vx_nic_stats_write(struct vx_nic *nic, FILE *f)
{
	struct vx_steer_stats ss, glob = { 0 };
	struct vx_nic_stats ns = { 0 };
	struct vx_port_stats ps;
	unsigned int i, k;

	for (k = 0; k < nic->nw; k++)
		STATS_ADD(&ns, &nic->w[k].stats);
	vx_nic_stats_print(f, "nic", &ns);
	fprintf(f, "nic workers %u\n", nic->nw);
	fprintf(f, "nic umem_held %llu\nnic rx_drop_kernel %llu\n",
		(unsigned long long)nic_xsk_sum(nic, xsk_held),
		(unsigned long long)nic_xsk_sum(nic, vx_xsk_kernel_drops));
	for (k = 0; k < nic->nw; k++) {
		char obj[24];

		snprintf(obj, sizeof(obj), "worker%u", k);
		vx_nic_stats_print(f, obj, &nic->w[k].stats);
	}
	if (nic->steer)
		vx_steer_stats(nic->steer, VX_STEER_GLOBAL, &glob);
	fprintf(f, "nic steer_pass_multicast %llu\nnic steer_pass_host %llu\n"
		   "nic steer_pass_unparsed %llu\n",
		(unsigned long long)glob.cnt[VX_CNT_PASS_MULTICAST],
		(unsigned long long)glob.cnt[VX_CNT_PASS_HOST],
		(unsigned long long)glob.cnt[VX_CNT_PASS_UNPARSED]);
	for (i = 0; i < nic->nports; i++) {
		struct vx_dev *d = nic->ports[i];

		memset(&ss, 0, sizeof(ss));
		if (nic->steer)
			vx_steer_stats(nic->steer, d->id, &ss);
		if (nic->dq_on) {
			/* The socket may be swapped by the worker: read it locked. */
			pthread_mutex_lock(&nic->w[0].lock);
			if (nic->dq_on) {
				uint64_t drops = vx_xsk_kernel_drops(nic->xsk[0]);

				d->stats[0].rx_drop_kernel += drops - nic->dq_drops_seen;
				nic->dq_drops_seen = drops;
			}
			pthread_mutex_unlock(&nic->w[0].lock);
		}
		memset(&ps, 0, sizeof(ps));
		for (k = 0; k < nic->nw; k++)
			STATS_ADD(&ps, &d->stats[k]);
		for (k = 0; k < VX_VQ_MAX; k++)
			ps.queue_broken += d->vq[k].errors;
		vx_port_stats_print(f, d->name, &ps);
		fprintf(f, "%s steer_redirect %llu\n%s steer_drop_no_socket %llu\n"
			   "%s steer_drop_too_big %llu\n", d->name,
			(unsigned long long)ss.cnt[VX_CNT_REDIRECT], d->name,
			(unsigned long long)ss.cnt[VX_CNT_DROP_NO_SOCKET], d->name,
			(unsigned long long)ss.cnt[VX_CNT_DROP_TOO_BIG]);
	}
}

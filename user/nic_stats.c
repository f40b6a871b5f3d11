// SPDX-License-Identifier: GPL-2.0
/*
 * The NIC's and its ports' counters, summed over the workers, in three
 * formats: `object counter value` lines, JSON (vhost-xdpctl stats --json),
 * and Prometheus text (--stats-format prometheus).
 */
#include <stdlib.h>
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

/*
 * A port's counters summed over the workers, its steering counters after
 * them, then its SEND_RARPs announced and ignored (too soon, migrate.c).
 */
#define STEER_NAMES(X) X(steer_redirect) X(steer_drop_no_socket) X(steer_drop_too_big)
#define CTL_NAMES(X) X(rarp_announced) X(rarp_skipped)
#define NAME_STR(n) #n,
static const char *const port_names[] = { VX_PORT_COUNTERS(NAME_STR) STEER_NAMES(NAME_STR)
					   CTL_NAMES(NAME_STR) };
#define N_PORT (sizeof(port_names) / sizeof(port_names[0]))
#define N_PORT_STATS (sizeof(struct vx_port_stats) / sizeof(uint64_t))

/* The steering program's counters of every port slot, read once per write. */
static struct vx_steer_stats *steer_snap;
static uint32_t steer_snap_n;

static void steer_snap_take(struct vx_nic *nic)
{
	uint32_t n = 0, i;

	for (i = 0; i < nic->nports; i++)
		if (nic->ports[i]->id + 1 > n)
			n = nic->ports[i]->id + 1;
	free(steer_snap);
	steer_snap = n ? calloc(n, sizeof(*steer_snap)) : NULL;
	steer_snap_n = steer_snap ? n : 0;
	if (nic->steer && steer_snap_n && vx_steer_stats_range(nic->steer, n, steer_snap))
		memset(steer_snap, 0, n * sizeof(*steer_snap));
}

static void port_values(struct vx_nic *nic, struct vx_dev *d, uint64_t *v)
{
	struct vx_steer_stats ss = { 0 };
	struct vx_port_stats ps = { 0 };
	unsigned int k;

	if (d->id < steer_snap_n)
		ss = steer_snap[d->id];
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
	for (k = 0; k < nic->nw; k++)
		STATS_ADD(&ps, &d->stats[k]);
	for (k = 0; k < VX_VQ_MAX; k++)
		ps.queue_broken += d->vq[k].errors;
	memcpy(v, &ps, sizeof(ps));
	v[N_PORT_STATS] = ss.cnt[VX_CNT_REDIRECT];
	v[N_PORT_STATS + 1] = ss.cnt[VX_CNT_DROP_NO_SOCKET];
	v[N_PORT_STATS + 2] = ss.cnt[VX_CNT_DROP_TOO_BIG];
	v[N_PORT_STATS + 3] = d->announces;
	v[N_PORT_STATS + 4] = d->announce_skipped;
}

/* The NIC's counters: the workers' sums, then these. */
static const char *const nic_extra[] = { "umem_held", "rx_drop_kernel", "steer_pass_multicast",
					 "steer_pass_host", "steer_pass_unparsed" };
#define N_NIC_STATS (sizeof(struct vx_nic_stats) / sizeof(uint64_t))
#define N_NIC (N_NIC_STATS + 5)
static const char *const nic_names[] = { VX_NIC_COUNTERS(NAME_STR) };

static const char *nic_name(unsigned int i)
{
	return i < N_NIC_STATS ? nic_names[i] : nic_extra[i - N_NIC_STATS];
}

static uint64_t xsk_q(struct vx_nic *nic, unsigned int q, uint64_t (*fn)(const struct vx_xsk *))
{
	struct vx_worker *w = &nic->w[q % nic->nw];
	uint64_t v = 0;

	pthread_mutex_lock(&w->lock);
	if (nic->xsk[q] && !(q == 0 && nic->dq_on))
		v = fn(nic->xsk[q]);
	pthread_mutex_unlock(&w->lock);
	return v;
}

static void nic_values(struct vx_nic *nic, uint64_t *v)
{
	struct vx_steer_stats glob = { 0 };
	struct vx_nic_stats ns = { 0 };
	unsigned int k;

	for (k = 0; k < nic->nw; k++)
		STATS_ADD(&ns, &nic->w[k].stats);
	memcpy(v, &ns, sizeof(ns));
	v[N_NIC_STATS] = nic_xsk_sum(nic, xsk_held);
	v[N_NIC_STATS + 1] = nic_xsk_sum(nic, vx_xsk_kernel_drops);
	if (nic->steer)
		vx_steer_stats(nic->steer, VX_STEER_GLOBAL, &glob);
	v[N_NIC_STATS + 2] = glob.cnt[VX_CNT_PASS_MULTICAST];
	v[N_NIC_STATS + 3] = glob.cnt[VX_CNT_PASS_HOST];
	v[N_NIC_STATS + 4] = glob.cnt[VX_CNT_PASS_UNPARSED];
}

static void write_text(struct vx_nic *nic, FILE *f)
{
	uint64_t nv[N_NIC], pv[N_PORT];
	unsigned int i, k;

	nic_values(nic, nv);
	for (i = 0; i < N_NIC_STATS; i++)
		fprintf(f, "nic %s %llu\n", nic_name(i), (unsigned long long)nv[i]);
	fprintf(f, "nic workers %u\n", nic->nw);
	fprintf(f, "nic attached %d\nnic reattached %llu\n", nic->steer != NULL,
		(unsigned long long)nic->reattached);
	for (i = N_NIC_STATS; i < N_NIC_STATS + 2; i++)
		fprintf(f, "nic %s %llu\n", nic_name(i), (unsigned long long)nv[i]);
	for (k = 0; k < nic->nw; k++) {
		char obj[24];

		snprintf(obj, sizeof(obj), "worker%u", k);
		vx_nic_stats_print(f, obj, &nic->w[k].stats);
	}
	for (i = N_NIC_STATS + 2; i < N_NIC; i++)
		fprintf(f, "nic %s %llu\n", nic_name(i), (unsigned long long)nv[i]);
	for (k = 0; k < nic->nports; k++) {
		port_values(nic, nic->ports[k], pv);
		for (i = 0; i < N_PORT; i++)
			fprintf(f, "%s %s %llu\n", nic->ports[k]->name, port_names[i],
				(unsigned long long)pv[i]);
	}
}

static void json_counters(FILE *f, const char *(*name)(unsigned int), const char *const *names,
			  const uint64_t *v, unsigned int n)
{
	unsigned int i;

	fputs("{", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", name ? name(i) : names[i],
			(unsigned long long)v[i]);
	fputs("}", f);
}

static void write_json(struct vx_nic *nic, FILE *f)
{
	uint64_t nv[N_NIC], pv[N_PORT];
	unsigned int i, q;

	nic_values(nic, nv);
	fputs("{\"nic\":{\"name\":", f);
	vx_json_str(f, nic->ifname);
	fprintf(f, ",\"link_up\":%s,\"mtu\":%u,\"queues\":%u,\"workers\":%u,\"ifindex\":%d,"
		   "\"attached\":%s,\"reattached\":%llu,\"counters\":",
		nic->link_up ? "true" : "false", nic->mtu, nic->nq, nic->nw, nic->ifindex,
		nic->steer ? "true" : "false", (unsigned long long)nic->reattached);
	json_counters(f, nic_name, NULL, nv, N_NIC);
	fputs(",\"per_queue\":[", f);
	for (q = 0; q < nic->nq; q++)
		fprintf(f, "%s{\"queue\":%u,\"umem_held\":%llu,\"rx_drop_kernel\":%llu}",
			q ? "," : "", q, (unsigned long long)xsk_q(nic, q, xsk_held),
			(unsigned long long)xsk_q(nic, q, vx_xsk_kernel_drops));
	fputs("]},\"ports\":[", f);
	for (i = 0; i < nic->nports; i++) {
		struct vx_dev *d = nic->ports[i];

		port_values(nic, d, pv);
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		vx_json_str(f, d->name);
		fprintf(f, ",\"id\":%u,\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"vlan\":%u,"
			   "\"attached\":%s,\"queue_pairs\":%u,\"counters\":",
			d->id, d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5],
			d->vlan, d->attached ? "true" : "false", d->live ? d->qp_used : 0);
		json_counters(f, NULL, port_names, pv, N_PORT);
		fputs("}", f);
	}
	fputs("]}\n", f);
}

/*
 * Prometheus text format 0.0.4, for node_exporter's textfile collector:
 * counters named vhost_xdp_<object>_<what>_total, drops folded into one
 * family per direction with a reason label; every family's samples
 * together, after its HELP and TYPE lines.
 */
struct prom_family {
	char name[64];
	char reason[40];
};

static void prom_family_of(const char *obj, const char *counter, struct prom_family *fam)
{
	const char *r = NULL;

	if (!strncmp(counter, "tx_drop_", 8) || !strncmp(counter, "rx_drop_", 8))
		r = counter + 8;
	else if (!strncmp(counter, "steer_drop_", 11))
		r = counter + 11;
	if (r) {
		snprintf(fam->name, sizeof(fam->name), "vhost_xdp_%s_%.2s_dropped_total", obj,
			 counter[0] == 's' ? "rx" : counter);
		snprintf(fam->reason, sizeof(fam->reason), "%s%s", counter[0] == 's' ? "steer_" : "",
			 r);
	} else if (!strcmp(counter, "umem_held")) {
		snprintf(fam->name, sizeof(fam->name), "vhost_xdp_%s_umem_frames_held", obj);
		fam->reason[0] = 0;
	} else {
		snprintf(fam->name, sizeof(fam->name), "vhost_xdp_%s_%s_total", obj, counter);
		fam->reason[0] = 0;
	}
}

static void prom_head(FILE *f, const struct prom_family *fam)
{
	bool gauge = !strstr(fam->name, "_total");

	fprintf(f, "# HELP %s vhost-xdpd %s%s\n# TYPE %s %s\n", fam->name,
		fam->reason[0] ? "frames dropped, by reason" : "counter",
		gauge ? " (gauge)" : "", fam->name, gauge ? "gauge" : "counter");
}

static void write_prom(struct vx_nic *nic, FILE *f)
{
	unsigned int np = nic->nports, i, j, k, q;
	uint64_t nv[N_NIC], *pv = calloc((size_t)np * N_PORT + 1, sizeof(uint64_t));
	struct prom_family fam, other;
	bool done[N_PORT] = { false }, ndone[N_NIC] = { false };

	if (!pv)
		return;
	nic_values(nic, nv);
	fprintf(f, "# HELP vhost_xdp_nic_link_up 1 while the NIC is up and running\n"
		   "# TYPE vhost_xdp_nic_link_up gauge\nvhost_xdp_nic_link_up{nic=\"%s\"} %d\n",
		nic->ifname, nic->link_up ? 1 : 0);
	fprintf(f, "# HELP vhost_xdp_ports ports on the NIC\n# TYPE vhost_xdp_ports gauge\n"
		   "vhost_xdp_ports{nic=\"%s\"} %u\n", nic->ifname, np);
	for (i = 0; i < N_NIC; i++) {
		if (ndone[i])
			continue;
		prom_family_of("nic", nic_name(i), &fam);
		prom_head(f, &fam);
		for (j = i; j < N_NIC; j++) {
			prom_family_of("nic", nic_name(j), &other);
			if (strcmp(other.name, fam.name))
				continue;
			ndone[j] = true;
			if (j == N_NIC_STATS) {	/* umem_held: per queue */
				for (q = 0; q < nic->nq; q++)
					fprintf(f, "%s{nic=\"%s\",queue=\"%u\"} %llu\n", other.name,
						nic->ifname, q,
						(unsigned long long)xsk_q(nic, q, xsk_held));
			} else if (other.reason[0]) {
				fprintf(f, "%s{nic=\"%s\",reason=\"%s\"} %llu\n", other.name,
					nic->ifname, other.reason, (unsigned long long)nv[j]);
			} else {
				fprintf(f, "%s{nic=\"%s\"} %llu\n", other.name, nic->ifname,
					(unsigned long long)nv[j]);
			}
		}
	}
	for (k = 0; k < np; k++)
		port_values(nic, nic->ports[k], pv + (size_t)k * N_PORT);
	fputs("# HELP vhost_xdp_port_attached 1 while a front-end (VMM) is attached\n"
	      "# TYPE vhost_xdp_port_attached gauge\n", f);
	for (k = 0; k < np; k++)
		fprintf(f, "vhost_xdp_port_attached{port=\"%s\"} %d\n", nic->ports[k]->name,
			nic->ports[k]->attached ? 1 : 0);
	fputs("# HELP vhost_xdp_port_queue_errors_total times a virtqueue was found broken\n"
	      "# TYPE vhost_xdp_port_queue_errors_total counter\n", f);
	for (k = 0; k < np; k++)
		for (q = 0; q < 2u * nic->ports[k]->max_qp; q++)
			fprintf(f, "vhost_xdp_port_queue_errors_total{port=\"%s\",queue=\"%s%u\"} "
				   "%llu\n", nic->ports[k]->name, q & 1 ? "tx" : "rx", q / 2,
				(unsigned long long)nic->ports[k]->vq[q].errors);
	for (i = 0; i < N_PORT; i++) {
		if (done[i] || !strcmp(port_names[i], "queue_broken"))
			continue;
		prom_family_of("port", port_names[i], &fam);
		prom_head(f, &fam);
		for (j = i; j < N_PORT; j++) {
			prom_family_of("port", port_names[j], &other);
			if (strcmp(other.name, fam.name))
				continue;
			done[j] = true;
			for (k = 0; k < np; k++) {
				fprintf(f, "%s{port=\"%s\"", other.name, nic->ports[k]->name);
				if (other.reason[0])
					fprintf(f, ",reason=\"%s\"", other.reason);
				fprintf(f, "} %llu\n", (unsigned long long)pv[(size_t)k * N_PORT + j]);
			}
		}
	}
	free(pv);
}

static uint64_t d_val(const uint64_t *v, const char *name)
{
	unsigned int i;

	for (i = 0; i < N_PORT; i++)
		if (!strcmp(port_names[i], name))
			return v[i];
	return 0;
}

static uint64_t sum_prefix(const uint64_t *v, const char *prefix)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < N_PORT; i++)
		if (!strncmp(port_names[i], prefix, strlen(prefix)))
			s += v[i];
	return s;
}

static void write_table(struct vx_nic *nic, FILE *f)
{
	uint64_t nv[N_NIC], pv[N_PORT];
	unsigned int k;

	nic_values(nic, nv);
	fprintf(f, "NIC %s: link %s, MTU %u, %u queue%s, %u worker%s, %u port%s\n", nic->ifname,
		nic->link_up ? "up" : "down", nic->mtu, nic->nq, nic->nq == 1 ? "" : "s", nic->nw,
		nic->nw == 1 ? "" : "s", nic->nports, nic->nports == 1 ? "" : "s");
	fprintf(f, "%-15s %-8s %12s %14s %12s %14s %10s %10s\n", "PORT", "ATTACHED", "RX_PACKETS",
		"RX_BYTES", "TX_PACKETS", "TX_BYTES", "RX_DROPS", "TX_DROPS");
	for (k = 0; k < nic->nports; k++) {
		struct vx_dev *d = nic->ports[k];

		port_values(nic, d, pv);
		fprintf(f, "%-15s %-8s %12llu %14llu %12llu %14llu %10llu %10llu\n", d->name,
			d->attached ? "yes" : "no", (unsigned long long)d_val(pv, "rx_packets"),
			(unsigned long long)d_val(pv, "rx_bytes"),
			(unsigned long long)d_val(pv, "tx_packets"),
			(unsigned long long)d_val(pv, "tx_bytes"),
			(unsigned long long)(sum_prefix(pv, "rx_drop_") + sum_prefix(pv, "steer_drop_")),
			(unsigned long long)sum_prefix(pv, "tx_drop_"));
	}
}

void vx_nic_stats_write(struct vx_nic *nic, FILE *f, enum vx_stats_format fmt)
{
	steer_snap_take(nic);
	switch (fmt) {
	case VX_STATS_TABLE:
		write_table(nic, f);
		break;
	case VX_STATS_PROMETHEUS:
		write_prom(nic, f);
		break;
	case VX_STATS_JSON:
		write_json(nic, f);
		break;
	default:
		write_text(nic, f);
	}
}

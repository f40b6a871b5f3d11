// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-xdpd: parses the command line, opens the NIC and its worker,
 * starts one control thread per VM port, then writes statistics until
 * SIGTERM or SIGINT, and tears everything down in the reverse order.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cli.h"
#include "kdev.h"
#include "log.h"
#include "notify.h"
#include "vu_conn.h"
#include "worker.h"

static struct vx_nic vx_nic;	/* vx_nic_close() is safe on it before vx_nic_open() */
static struct vx_dev *vx_ports[VX_MAX_PORTS];

/* libxdp keeps its state in bpffs; mount it if the system has not. */
static void bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		pr_warn("bpffs is not mounted at /sys/fs/bpf and mounting it failed: %s\n",
			strerror(errno));
}

static int cleanup_only(const struct vx_cfg *cfg)
{
	int ifindex = (int)if_nametoindex(cfg->nic), n;

	if (!ifindex) {
		pr_err("%s: no such interface\n", cfg->nic);
		return 1;
	}
	n = vx_steer_cleanup(ifindex);
	if (n < 0) {
		pr_err("%s: cleanup failed: %s\n", cfg->nic, strerror(-n));
		return 1;
	}
	pr_info("%s: removed %d program%s\n", cfg->nic, n, n == 1 ? "" : "s");
	return 0;
}

static void stats_write(const struct vx_cfg *cfg)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	if (!cfg->stats_file[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->stats_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	vx_nic_stats_write(&vx_nic, f);
	if (fclose(f) == 0)
		rename(tmp, cfg->stats_file);
}

static int ports_create(const struct vx_cfg *cfg)
{
	unsigned int i;
	int err;

	for (i = 0; i < cfg->nports; i++) {
		const struct vx_port_cfg *pc = &cfg->ports[i];
		struct vx_dev *d = calloc(1, sizeof(*d));

		if (!d)
			return -ENOMEM;
		vx_ports[i] = d;
		snprintf(d->name, sizeof(d->name), "%s", pc->name);
		snprintf(d->path, sizeof(d->path), "%s", pc->path);
		memcpy(d->mac, pc->mac, sizeof(d->mac));
		d->vlan = pc->vlan;
		d->client = pc->client;
		/* The kernel vhost ABI has one queue pair per device (kdev.h). */
		d->max_qp = pc->kdev ? 1 : pc->queues;
		vx_dev_init(d);
		if (pc->kdev)
			continue;
		err = vx_conn_prepare(d);
		if (err) {
			pr_err("%s: socket %s: %s\n", d->name, d->path, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int ports_attach(const struct vx_cfg *cfg)
{
	unsigned int i;
	int err;

	for (i = 0; i < cfg->nports; i++) {
		err = vx_nic_add_port(&vx_nic, vx_ports[i]);
		if (err) {
			pr_err("%s: cannot add port: %s\n", vx_ports[i]->name, strerror(-err));
			return err;
		}
	}
	return 0;
}

static void ports_stop(const struct vx_cfg *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nports; i++)
		if (vx_ports[i])
			vx_conn_stop(vx_ports[i]);
}

/* Only after the NIC's worker, which reads every port, has stopped. */
static void ports_free(const struct vx_cfg *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nports; i++) {
		free(vx_ports[i]);
		vx_ports[i] = NULL;
	}
}

/* Ports with mode=kdev are served through /dev/vhost-xdp-ctl (user/kdev.c). */
static int kdev_start(const struct vx_cfg *cfg, int stop_fd)
{
	struct vx_dev *devs[VX_MAX_PORTS];
	unsigned int i, n = 0;

	for (i = 0; i < cfg->nports; i++)
		if (cfg->ports[i].kdev)
			devs[n++] = vx_ports[i];
	return n ? vx_kdev_start(devs, n, stop_fd) : 0;
}

/* Waits for SIGTERM/SIGINT, refreshing link state and statistics meanwhile. */
static void run(const struct vx_cfg *cfg, const sigset_t *sigs)
{
	struct timespec tick = { .tv_sec = cfg->stats_interval };
	siginfo_t si;
	int sig;

	for (;;) {
		sig = sigtimedwait(sigs, &si, &tick);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		vx_nic_refresh(&vx_nic);
		stats_write(cfg);
	}
	pr_info("%s received, shutting down\n", strsignal(sig));
}

int main(int argc, char **argv)
{
	struct vx_nic_opts opts;
	struct vx_cfg cfg;
	char err[512];
	sigset_t sigs;
	unsigned int i;
	int rc = 1, stop_fd = -1, e;

	e = vx_cli_parse(&cfg, argc, argv, err, sizeof(err));
	if (e)
		return e > 0 ? 0 : (fprintf(stderr, "vhost-xdpd: %s\n", err), 2);
	vx_log_set_level(cfg.log_level);
	vx_log_route_libs();
	bpffs_ensure();
	if (cfg.cleanup)
		return cleanup_only(&cfg);

	/* Signals go to the main thread's sigtimedwait only; the others block them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	opts = (struct vx_nic_opts){ .poll = cfg.poll, .busy_poll_us = cfg.busy_poll_us,
				     .napi_busy_poll = cfg.napi_busy_poll,
				     .dedicated = cfg.ports[0].dedicated,
				     .dq_tx_inplace = cfg.ports[0].tx_inplace,
				     .workers = cfg.workers,
				     .skb_mode = cfg.skb_mode, .zc = cfg.zc };
	memcpy(opts.worker_cpu, cfg.worker_cpu, sizeof(opts.worker_cpu));
	/* Sockets first: a bad path is reported before anything touches the NIC. */
	if (ports_create(&cfg))
		goto out;
	e = vx_nic_open(&vx_nic, cfg.nic, &opts);
	if (e) {
		pr_err("%s: %s\n", cfg.nic, strerror(-e));
		goto out;
	}
	if (ports_attach(&cfg))
		goto out;
	stop_fd = eventfd(0, EFD_CLOEXEC);
	e = stop_fd < 0 ? -errno : vx_nic_start(&vx_nic);
	for (i = 0; !e && i < cfg.nports; i++)
		e = cfg.ports[i].kdev ? 0 : vx_conn_start(vx_ports[i], stop_fd);
	if (!e)
		e = kdev_start(&cfg, stop_fd);
	if (e) {
		pr_err("cannot start threads: %s\n", strerror(-e));
		goto out;
	}
	pr_info("ready: %u port%s on %s, %s mode\n", cfg.nports, cfg.nports == 1 ? "" : "s",
		cfg.nic, cfg.poll ? "polling" : "event");
	vx_notify_ready();
	stats_write(&cfg);
	run(&cfg, &sigs);
	vx_notify_stopping();
	rc = 0;
out:
	if (stop_fd >= 0)
		eventfd_write(stop_fd, 1);
	vx_kdev_stop();
	ports_stop(&cfg);
	stats_write(&cfg);
	vx_nic_close(&vx_nic);
	ports_free(&cfg);
	if (stop_fd >= 0)
		close(stop_fd);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-xdpd: parses the command line, opens the NIC and its workers, adds
 * the ports it was given, then serves every port's vhost-user socket, the
 * control socket, signals and timers from one event loop (loop.h) until
 * SIGTERM or SIGINT, and tears everything down in the reverse order.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "daemon.h"
#include "log.h"
#include "notify.h"

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

static void stats_write(struct vx_daemon *d)
{
	const struct vx_cfg *cfg = &d->cfg;
	char tmp[PATH_MAX + 8];
	FILE *f;

	if (!cfg->stats_file[0])
		return;
	/* Written aside and renamed: a reader (node_exporter) never sees half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->stats_file);
	f = fopen(tmp, "w");
	if (!f)
		return;
	vx_nic_stats_write(&d->nic, f, cfg->stats_format);
	if (fclose(f) == 0)
		rename(tmp, cfg->stats_file);
	else
		unlink(tmp);
}

int vx_daemon_reload(struct vx_daemon *d, char *err, size_t len)
{
	if (!d->cfg.config[0]) {
		snprintf(err, len, "the daemon was started without --config");
		return -ENOENT;
	}
	return vx_ports_reload(&d->ports, d->cfg.config, err, len);
}

/* A host with a thousand VMs needs a thousand sockets and their eventfds. */
static void nofile_raise(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int socket_dir_make(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

struct ticker {
	struct vx_watch w;
	struct vx_daemon *d;
	uint64_t stats_at;	/* next stats write and link refresh (ms) */
	uint64_t armed;		/* the deadline the timer is set to, 0: none */
};

struct sigwatch {
	struct vx_watch w;
	struct vx_daemon *d;
};

static void on_sigfd(struct vx_watch *w, uint32_t events)
{
	struct vx_daemon *d = ((struct sigwatch *)w)->d;
	struct signalfd_siginfo si;
	char err[512];

	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: reloading %s\n",
				d->cfg.config[0] ? d->cfg.config : "(no --config)");
			if (d->cfg.config[0]) {
				vx_notify_reloading();
				if (vx_daemon_reload(d, err, sizeof(err)))
					pr_err("reload: %s\n", err);
				vx_notify_ready();
			}
			continue;
		}
		pr_info("%s received, shutting down\n", strsignal((int)si.ssi_signo));
		d->stop = true;
	}
}

/*
 * The timer is one-shot, set to the earliest of: the next stats write (only
 * with --stats-file), a client port's next connection attempt, a vhost-user
 * message or control request that must finish. With none of these (server
 * ports, no stats file) the daemon sleeps until something happens: an idle
 * daemon uses no CPU, however many ports it has.
 */
static uint64_t next_deadline(struct vx_daemon *d, const struct ticker *t)
{
	uint64_t a = vx_ports_deadline(&d->ports), b = vx_ctl_deadline(d);
	uint64_t c = d->cfg.stats_file[0] ? t->stats_at : UINT64_MAX;

	a = a < b ? a : b;
	return a < c ? a : c;
}

static void timer_arm(struct vx_daemon *d, struct ticker *t)
{
	uint64_t at = next_deadline(d, t);
	struct itimerspec its = { 0 };

	if (at == UINT64_MAX)
		at = 0;
	if (at == t->armed)
		return;
	/* TFD_TIMER_ABSTIME on CLOCK_MONOTONIC, the clock of vx_now_ms(); 0 disarms. */
	its.it_value.tv_sec = (time_t)(at / 1000);
	its.it_value.tv_nsec = (long)(at % 1000) * 1000000L;
	if (at && !its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	if (!timerfd_settime(t->w.fd, TFD_TIMER_ABSTIME, &its, NULL))
		t->armed = at;
}

static void on_tick(struct vx_watch *w, uint32_t events)
{
	struct ticker *t = (struct ticker *)w;
	struct vx_daemon *d = t->d;
	uint64_t exp, now = vx_now_ms();

	if (read(w->fd, &exp, sizeof(exp)) != sizeof(exp))
		return;
	t->armed = 0;
	vx_ports_tick(&d->ports, now);
	vx_ctl_tick(d, now);
	if (now >= t->stats_at) {
		t->stats_at = now + d->cfg.stats_interval * 1000u;
		vx_nic_refresh(&d->nic);
		stats_write(d);
	}
}

/* Link changes come from rtnetlink, so the NIC needs no polling. */
struct linkwatch {
	struct vx_watch w;
	struct vx_daemon *d;
};

/*
 * A message about the NIC: its index, or its name (IFLA_IFNAME), which is
 * how a NIC deleted and created again (a new index) is found.
 */
static bool link_msg_ours(const struct nlmsghdr *h, const struct vx_nic *nic)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a;
	int len;

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return false;
	if (ifi->ifi_index == nic->ifindex)
		return true;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	for (a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == IFLA_IFNAME)
			return RTA_PAYLOAD(a) > strlen(nic->ifname) &&
			       !strncmp(RTA_DATA(a), nic->ifname, RTA_PAYLOAD(a));
	return false;
}

static void on_link(struct vx_watch *w, uint32_t events)
{
	struct vx_daemon *d = ((struct linkwatch *)w)->d;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool ours = false;
	ssize_t n;

	while ((n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct nlmsghdr *h;
		unsigned int len = (unsigned int)n;

		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
			ours |= link_msg_ours(h, &d->nic);
	}
	/* An overrun (ENOBUFS) lost events: look anyway. */
	if (ours || (n < 0 && errno == ENOBUFS))
		vx_nic_refresh(&d->nic);
}

static int link_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int ports_from_cmdline(struct vx_daemon *d)
{
	char err[512];
	unsigned int i;

	for (i = 0; i < d->cfg.nports; i++)
		if (vx_ports_add(&d->ports, &d->cfg.ports[i], false, err, sizeof(err))) {
			pr_err("%s\n", err);
			return -EINVAL;
		}
	if (d->cfg.config[0] && vx_daemon_reload(d, err, sizeof(err))) {
		pr_err("%s\n", err);
		return -EINVAL;
	}
	/* Last: a saved port that conflicts with --port or --config is left out. */
	if (vx_ports_restore(&d->ports, err, sizeof(err))) {
		pr_err("--state %s\n", err);
		return -EIO;
	}
	return 0;
}

static struct vx_daemon vxd;	/* vx_nic_close() is safe on it before vx_nic_open() */

int main(int argc, char **argv)
{
	struct vx_daemon *d = &vxd;
	struct vx_cfg *cfg = &d->cfg;
	struct sigwatch sw = { .d = d };
	struct ticker tk = { .d = d };
	struct linkwatch lk = { .d = d };
	struct vx_nic_opts opts;
	char err[512];
	sigset_t sigs;
	int rc = 1, e;

	e = vx_cli_parse(cfg, argc, argv, err, sizeof(err));
	if (e) {
		vx_cli_free(cfg);
		return e > 0 ? 0 : (fprintf(stderr, "vhost-xdpd: %s\n", err), 2);
	}
	vx_log_set_level(cfg->log_level);
	vx_log_route_libs();
	bpffs_ensure();
	if (cfg->cleanup) {
		rc = cleanup_only(cfg);
		vx_cli_free(cfg);
		return rc;
	}
	nofile_raise();
	d->loop.epfd = sw.w.fd = tk.w.fd = lk.w.fd = -1;

	/* Signals come through a signalfd; every thread blocks them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	opts = (struct vx_nic_opts){ .poll = cfg->poll, .busy_poll_us = cfg->busy_poll_us,
				     .napi_busy_poll = cfg->napi_busy_poll,
				     .dedicated = cfg->nports && cfg->ports[0].dedicated,
				     .dq_tx_inplace = cfg->nports && cfg->ports[0].tx_inplace,
				     .workers = cfg->workers,
				     .skb_mode = cfg->skb_mode, .zc = cfg->zc };
	memcpy(opts.worker_cpu, cfg->worker_cpu, sizeof(opts.worker_cpu));
	/*
	 * A port file that cannot be used is a command-line error (exit 2, which
	 * the systemd unit does not restart), found before anything touches the NIC.
	 */
	if (cfg->config[0]) {
		struct vx_port_cfg *pc;
		unsigned int n;

		if (vx_config_read(cfg->config, cfg->socket_dir, &pc, &n, err, sizeof(err))) {
			fprintf(stderr, "vhost-xdpd: --config: %s\n", err);
			vx_cli_free(cfg);
			return 2;
		}
		free(pc);
	}
	/* The socket directory next: a bad one is reported before anything touches the NIC. */
	e = socket_dir_make(cfg->socket_dir);
	if (e) {
		pr_err("--socket-dir %s: %s\n", cfg->socket_dir, strerror(-e));
		goto out;
	}
	if (vx_loop_init(&d->loop)) {
		pr_err("epoll: %s\n", strerror(errno));
		goto out;
	}
	d->ports = (struct vx_ports){ .loop = &d->loop, .nic = &d->nic,
				      .socket_dir = cfg->socket_dir,
				      .state = cfg->state[0] ? cfg->state : NULL };
	e = vx_nic_open(&d->nic, cfg->nic, &opts);
	if (e) {
		pr_err("%s: %s\n", cfg->nic, strerror(-e));
		goto out;
	}
	if (ports_from_cmdline(d))
		goto out;
	e = vx_ctl_open(d);
	if (e) {
		pr_err("control socket %s: %s\n", cfg->ctl_path, strerror(-e));
		goto out;
	}
	sw.w.fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	tk.w.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	lk.w.fd = link_open();
	if (sw.w.fd < 0 || tk.w.fd < 0 || lk.w.fd < 0 ||
	    vx_loop_add(&d->loop, &sw.w, sw.w.fd, EPOLLIN, on_sigfd) ||
	    vx_loop_add(&d->loop, &tk.w, tk.w.fd, EPOLLIN, on_tick) ||
	    vx_loop_add(&d->loop, &lk.w, lk.w.fd, EPOLLIN, on_link)) {
		pr_err("signalfd/timerfd/rtnetlink: %s\n", strerror(errno));
		goto out;
	}
	vx_nic_refresh(&d->nic);	/* what changed before the watch began */
	/* Loading the program parses the kernel's BTF: give those megabytes back. */
	malloc_trim(0);
	e = vx_nic_start(&d->nic);
	if (e) {
		pr_err("cannot start threads: %s\n", strerror(-e));
		goto out;
	}
	pr_info("ready: %u port%s on %s, %s mode, control socket %s\n", d->ports.n,
		d->ports.n == 1 ? "" : "s", cfg->nic, cfg->poll ? "polling" : "event",
		cfg->ctl_path);
	vx_notify_ready();
	stats_write(d);
	tk.stats_at = vx_now_ms() + cfg->stats_interval * 1000u;
	while (!d->stop) {
		timer_arm(d, &tk);
		if (vx_loop_once(&d->loop, -1) < 0)
			break;
	}
	vx_notify_stopping();
	rc = 0;
out:
	vx_ctl_close(d);
	/* Ports first: their front-ends see the socket close, the workers still run. */
	vx_ports_del_all(&d->ports);
	stats_write(d);
	vx_nic_close(&d->nic);
	if (sw.w.fd >= 0)
		close(sw.w.fd);
	if (tk.w.fd >= 0)
		close(tk.w.fd);
	if (lk.w.fd >= 0)
		close(lk.w.fd);
	vx_loop_fini(&d->loop);
	vx_cli_free(cfg);
	return rc;
}

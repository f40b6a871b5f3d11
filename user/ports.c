// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "kdev.h"
#include "log.h"
#include "ports.h"
#include "reason.h"
#include "state.h"

#define fail vx_reason

struct vx_port *vx_ports_find(struct vx_ports *ps, const char *name)
{
	unsigned int i;

	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i]->cfg.name, name))
			return ps->v[i];
	return NULL;
}

static void on_kdev(struct vx_watch *w, uint32_t events)
{
	struct vx_ports *ps = (struct vx_ports *)((char *)w - offsetof(struct vx_ports, kdev_w));

	if (vx_kdev_process() < 0)
		vx_loop_del(ps->loop, w);
}

/* A file appeared in the socket directory: a client port's VMM may listen there now. */
static void on_dir(struct vx_watch *w, uint32_t events)
{
	struct vx_ports *ps = (struct vx_ports *)((char *)w - offsetof(struct vx_ports, dir_w));
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t dl = strlen(ps->socket_dir);
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		const struct inotify_event *e;
		char *q;

		for (q = buf; q < buf + n; q += sizeof(*e) + e->len) {
			unsigned int i;

			e = (const struct inotify_event *)q;
			for (i = 0; e->len && i < ps->n; i++) {
				struct vx_port *p = ps->v[i];

				if (p->cfg.client && !strncmp(p->cfg.path, ps->socket_dir, dl) &&
				    !strcmp(p->cfg.path + dl + 1, e->name))
					vx_conn_retry_now(p);
			}
		}
	}
}

static void dir_watch(struct vx_ports *ps)
{
	int fd;

	if (ps->dir_w.added)
		return;
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, ps->socket_dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0 ||
	    vx_loop_add(ps->loop, &ps->dir_w, fd, EPOLLIN, on_dir)) {
		pr_warn("%s: cannot watch for VMM sockets (%s); client ports retry on a timer only\n",
			ps->socket_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}

static int port_start(struct vx_ports *ps, struct vx_port *p)
{
	int r;

	if (p->cfg.client)
		dir_watch(ps);
	if (!p->cfg.kdev)
		return vx_conn_open(p);
	r = vx_kdev_add(p->dev);
	if (r == 1)
		r = vx_loop_add(ps->loop, &ps->kdev_w, vx_kdev_fd(), EPOLLIN, on_kdev);
	return r;
}

static void port_stop(struct vx_port *p)
{
	if (p->cfg.kdev)
		vx_kdev_del(p->dev);
	else
		vx_conn_close(p);
}

static void port_free(struct vx_port *p)
{
	if (!p)
		return;
	if (p->dev) {
		vx_dev_free(p->dev);
		free(p->dev);
	}
	free(p);
}

int vx_ports_add(struct vx_ports *ps, const struct vx_port_cfg *pc, bool from_config,
		 char *err, size_t len)
{
	struct vx_port *p;
	struct vx_dev *d;
	const struct vx_port_cfg *twin[2] = { NULL, NULL };
	unsigned int i;
	int e;

	e = vx_port_check(pc, err, len);
	for (i = 0; !e && i < ps->n; i++)
		e = vx_port_against(pc, &ps->v[i]->cfg, twin, err, len);
	if (e)
		return e;
	if (pc->dedicated != (ps->nic->dq != NULL))
		return fail(err, len, -EINVAL, "port %s: queue=dedicated is chosen when the daemon "
			    "starts (its first --port)", pc->name);
	if (ps->n >= VX_MAX_PORTS)
		return fail(err, len, -ENOSPC, "at most %d ports", VX_MAX_PORTS);
	if (ps->n == ps->cap) {
		unsigned int cap = ps->cap ? 2 * ps->cap : 16;
		struct vx_port **v = realloc(ps->v, cap * sizeof(*v));

		if (!v)
			return fail(err, len, -ENOMEM, "out of memory");
		ps->v = v;
		ps->cap = cap;
	}
	p = calloc(1, sizeof(*p));
	d = p ? calloc(1, sizeof(*d)) : NULL;
	if (!d) {
		free(p);
		return fail(err, len, -ENOMEM, "out of memory");
	}
	p->cfg = *pc;
	p->dev = d;
	p->loop = ps->loop;
	p->from_config = from_config;
	snprintf(d->name, sizeof(d->name), "%s", pc->name);
	snprintf(d->path, sizeof(d->path), "%s", pc->path);
	memcpy(d->mac, pc->mac, sizeof(d->mac));
	d->vlan = pc->vlan;
	d->client = pc->client;
	/* The kernel vhost ABI has one queue pair per device (kdev.h). */
	d->max_qp = pc->kdev ? 1 : pc->queues;
	vx_dev_init(d);
	e = vx_nic_add_port(ps->nic, d);
	if (e) {
		port_free(p);
		return fail(err, len, e, "port %s: cannot add it to %s: %s", pc->name,
			    ps->nic->ifname, strerror(-e));
	}
	e = port_start(ps, p);
	if (e) {
		port_stop(p);
		vx_nic_del_port(ps->nic, d);
		port_free(p);
		return fail(err, len, e, "port %s: %s: %s", pc->name,
			    pc->kdev ? "/dev/vhost-xdp-ctl" : pc->path, strerror(-e));
	}
	ps->v[ps->n++] = p;
	pr_info("%s: port added (%s%s)\n", pc->name, pc->kdev ? "kdev" : pc->path,
		pc->kdev ? "" : pc->client ? ", client" : ", server");
	return 0;
}

static void port_remove(struct vx_ports *ps, unsigned int i)
{
	struct vx_port *p = ps->v[i];

	port_stop(p);
	vx_nic_del_port(ps->nic, p->dev);
	ps->v[i] = ps->v[--ps->n];
	pr_info("%s: port removed\n", p->cfg.name);
	port_free(p);
}

/* Rewrites the --state file: every saved port but skip. */
static int state_save(struct vx_ports *ps, const struct vx_port *skip, char *err, size_t len)
{
	struct vx_port_cfg *v;
	unsigned int i, n = 0;
	int e;

	if (!ps->state)
		return 0;
	v = malloc((ps->n ? ps->n : 1) * sizeof(*v));
	if (!v)
		return fail(err, len, -ENOMEM, "out of memory");
	for (i = 0; i < ps->n; i++)
		if (ps->v[i]->saved && ps->v[i] != skip)
			v[n++] = ps->v[i]->cfg;
	e = vx_state_write(ps->state, v, n, err, len);
	free(v);
	return e;
}

int vx_ports_add_saved(struct vx_ports *ps, const struct vx_port_cfg *pc, char *err,
		       size_t len)
{
	char why[512];
	int e;

	e = vx_ports_add(ps, pc, false, err, len);
	if (e)
		return e;
	ps->v[ps->n - 1]->saved = true;
	e = state_save(ps, NULL, why, sizeof(why));
	if (e) {
		port_remove(ps, ps->n - 1);
		return fail(err, len, e, "port %s: not added: cannot save the port list: %s",
			    pc->name, why);
	}
	return 0;
}

int vx_ports_restore(struct vx_ports *ps, char *err, size_t len)
{
	struct vx_port_cfg *v;
	unsigned int n, bad, i, added = 0;
	char why[512];
	int e;

	if (!ps->state)
		return 0;
	e = vx_state_read(ps->state, ps->socket_dir, &v, &n, &bad, err, len);
	if (e)
		return e;
	for (i = 0; i < n; i++) {
		if (vx_ports_add(ps, &v[i], false, why, sizeof(why))) {
			pr_warn("%s: %s; left out\n", ps->state, why);
			bad++;
			continue;
		}
		ps->v[ps->n - 1]->saved = true;
		added++;
	}
	free(v);
	if (n || bad)
		pr_info("%s: %u port%s restored, %u left out\n", ps->state, added,
			added == 1 ? "" : "s", bad);
	/* What was left out stays out: the file says what runs. */
	if (bad && state_save(ps, NULL, why, sizeof(why)))
		pr_err("%s\n", why);
	return 0;
}

int vx_ports_del(struct vx_ports *ps, const char *name, char *err, size_t len)
{
	unsigned int i;
	char why[512];
	int e;

	for (i = 0; i < ps->n; i++)
		if (!strcmp(ps->v[i]->cfg.name, name)) {
			if (ps->v[i]->saved && (e = state_save(ps, ps->v[i], why, sizeof(why))))
				return fail(err, len, e, "port %s: not removed: cannot save the "
					    "port list: %s", name, why);
			port_remove(ps, i);
			return 0;
		}
	return fail(err, len, -ENOENT, "no port named '%.32s'", name);
}

void vx_ports_del_all(struct vx_ports *ps)
{
	while (ps->n)
		port_remove(ps, ps->n - 1);
	free(ps->v);
	ps->v = NULL;
	ps->cap = 0;
	vx_loop_del(ps->loop, &ps->kdev_w);
	vx_kdev_close();
	if (ps->dir_w.added) {
		vx_loop_del(ps->loop, &ps->dir_w);
		close(ps->dir_w.fd);
	}
}

void vx_ports_tick(struct vx_ports *ps, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < ps->n; i++)
		if (!ps->v[i]->cfg.kdev)
			vx_conn_tick(ps->v[i], now);
}

uint64_t vx_ports_deadline(struct vx_ports *ps)
{
	uint64_t t = UINT64_MAX, d;
	unsigned int i;

	for (i = 0; i < ps->n; i++)
		if (!ps->v[i]->cfg.kdev && (d = vx_conn_deadline(ps->v[i])) < t)
			t = d;
	return t;
}

static bool cfg_same(const struct vx_port_cfg *a, const struct vx_port_cfg *b)
{
	char x[512], y[512];

	vx_port_format(a, x, sizeof(x));
	vx_port_format(b, y, sizeof(y));
	return !strcmp(x, y);
}

int vx_ports_reload(struct vx_ports *ps, const char *path, char *err, size_t len)
{
	struct vx_port_cfg *want;
	unsigned int n, i, j, added = 0, removed = 0, failed = 0;
	char why[512];
	int e;

	e = vx_config_read(path, ps->socket_dir, &want, &n, err, len);
	if (e)
		return e;
	/* First what goes: a changed port is removed and added again. */
	for (i = ps->n; i-- > 0;) {
		struct vx_port *p = ps->v[i];

		if (!p->from_config)
			continue;
		for (j = 0; j < n && strcmp(want[j].name, p->cfg.name); j++)
			;
		if (j < n && cfg_same(&want[j], &p->cfg))
			continue;
		port_remove(ps, i);
		removed++;
	}
	for (j = 0; j < n; j++) {
		struct vx_port *p = vx_ports_find(ps, want[j].name);

		if (p)
			continue;	/* unchanged, or a port of the same name from vhost-xdpctl */
		if (vx_ports_add(ps, &want[j], true, why, sizeof(why))) {
			pr_err("%s: %s\n", path, why);
			failed++;
		} else {
			added++;
		}
	}
	free(want);
	pr_info("%s: %u port%s added, %u removed, %u refused\n", path, added,
		added == 1 ? "" : "s", removed, failed);
	if (failed)
		return fail(err, len, -EINVAL, "%s: %u port%s refused (see the log)", path, failed,
			    failed == 1 ? "" : "s");
	return 0;
}

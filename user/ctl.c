// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: vhost-xdpctl's requests (include/vhost_xdp/ctl_proto.h)
 * served by the control event loop. Root only unless --ctl-group opens it
 * to a group (mode 0660). One request per connection; the peer has
 * VX_CTL_TIMEOUT_MS to send it and to take the reply, and at most
 * VX_CTL_CONNS connections are served at once.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <stdbool.h>

#include "ctl_req.h"
#include "daemon.h"
#include "log.h"

#define VX_CTL_CONNS 16

struct ctl_conn {
	struct vx_watch w;
	struct vx_daemon *d;
	uint64_t since;
	char in[VX_CTL_LINE_MAX + 1];
	size_t n_in;
	char *out;		/* the reply, while it is being sent */
	size_t n_out, sent;
};

struct vx_ctl {
	struct vx_watch lw;
	struct vx_daemon *d;
	struct ctl_conn *c[VX_CTL_CONNS];
	char path[108];
};

static void conn_free(struct vx_ctl *ctl, struct vx_daemon *d, unsigned int i)
{
	struct ctl_conn *c = ctl->c[i];

	vx_loop_del(&d->loop, &c->w);
	close(c->w.fd);
	free(c->out);
	free(c);
	ctl->c[i] = NULL;
}

static unsigned int conn_index(struct vx_ctl *ctl, struct ctl_conn *c)
{
	unsigned int i;

	for (i = 0; i < VX_CTL_CONNS && ctl->c[i] != c; i++)
		;
	return i;
}

static const char *port_mode(const struct vx_port_cfg *pc)
{
	return pc->kdev ? "kdev" : pc->client ? "client" : "server";
}

static void port_list(struct vx_daemon *d, FILE *f, enum vx_stats_format fmt)
{
	unsigned int i;

	if (fmt == VX_STATS_JSON)
		fputs("[", f);
	else
		fprintf(f, "%-15s %-17s %4s %-6s %-8s %s\n", "NAME", "MAC", "VLAN", "MODE",
			"ATTACHED", "SOCKET");
	for (i = 0; i < d->ports.n; i++) {
		const struct vx_port *p = d->ports.v[i];
		const struct vx_port_cfg *pc = &p->cfg;
		char mac[18], spec[512];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", pc->mac[0], pc->mac[1],
			 pc->mac[2], pc->mac[3], pc->mac[4], pc->mac[5]);
		vx_port_format(pc, spec, sizeof(spec));
		if (fmt == VX_STATS_JSON) {
			fprintf(f, "%s{\"name\":\"%s\",\"mac\":\"%s\",\"vlan\":%u,\"mode\":\"%s\","
				   "\"attached\":%s,\"from_config\":%s,\"socket\":",
				i ? "," : "", pc->name, mac, pc->vlan, port_mode(pc),
				p->dev->attached ? "true" : "false", p->from_config ? "true" : "false");
			vx_json_str(f, pc->kdev ? "" : pc->path);
			fputs("}", f);
		} else
			fprintf(f, "%-15s %-17s %4u %-6s %-8s %s\n", pc->name, mac, pc->vlan,
				port_mode(pc), p->dev->attached ? "yes" : "no",
				pc->kdev ? "-" : pc->path);
	}
	if (fmt == VX_STATS_JSON)
		fputs("]\n", f);
}

static void port_show(struct vx_daemon *d, struct vx_port *p, FILE *f,
		      enum vx_stats_format fmt)
{
	const struct vx_dev *dev = p->dev;
	char spec[512];
	unsigned int q;

	vx_port_format(&p->cfg, spec, sizeof(spec));
	if (fmt == VX_STATS_JSON) {
		fprintf(f, "{\"name\":\"%s\",\"spec\":", p->cfg.name);
		vx_json_str(f, spec);
		fprintf(f, ",\"id\":%u,\"mode\":\"%s\","
			   "\"attached\":%s,\"connects\":%llu,\"features\":%llu,\"mtu\":%u,"
			   "\"memory_regions\":%u,\"queue_pairs\":%u,\"from_config\":%s}\n",
			dev->id, port_mode(&p->cfg),
			dev->attached ? "true" : "false", (unsigned long long)p->connects,
			(unsigned long long)dev->features, dev->mtu, dev->mem.n,
			dev->live ? dev->qp_used : 0, p->from_config ? "true" : "false");
		return;
	}
	fprintf(f, "name: %s\nspec: %s\nid: %u\nmode: %s\nattached: %s\nconnects: %llu\n"
		   "features: 0x%llx\nmtu: %u\nmemory regions: %u\nfrom config: %s\n",
		p->cfg.name, spec, dev->id, port_mode(&p->cfg), dev->attached ? "yes" : "no",
		(unsigned long long)p->connects, (unsigned long long)dev->features, dev->mtu,
		dev->mem.n, p->from_config ? "yes" : "no");
	for (q = 0; q < 2u * dev->max_qp; q++) {
		const struct vx_vq *vq = &dev->vq[q];

		if (vq->num)
			fprintf(f, "queue %s%u: size %u %s%s avail %u used %u errors %llu\n",
				q & 1 ? "tx" : "rx", q / 2, vq->num,
				vq->started ? "started" : "stopped",
				vq->broken ? " broken" : "", vq->last_avail, vq->used_idx,
				(unsigned long long)vq->errors);
	}
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Runs a request; the body goes to f. 0, or -errno with the reason in err. */
static int ctl_run(struct vx_daemon *d, const struct vx_ctl_req *r, FILE *f, char *err,
		   size_t len)
{
	struct vx_port_cfg pc;
	struct vx_port *p;
	int e;

	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (r->verb) {
	case VX_CTL_PORT_ADD:
		e = vx_port_parse(&pc, r->arg, 0, err, len);
		if (!e && !pc.named)
			e = -EINVAL, snprintf(err, len, "name= is required");
		if (!e)
			e = vx_port_resolve(&pc, d->cfg.socket_dir, err, len);
		if (!e)
			e = vx_ports_add_saved(&d->ports, &pc, err, len);
		if (!e)
			fprintf(f, "port %s added: %s (%.3f ms)\n", pc.name,
				pc.kdev ? "mode=kdev" : pc.path, ms_since(&t0));
		return e;
	case VX_CTL_PORT_DEL:
		e = vx_ports_del(&d->ports, r->arg, err, len);
		if (!e)
			fprintf(f, "port %s removed (%.3f ms)\n", r->arg, ms_since(&t0));
		return e;
	case VX_CTL_PORT_LIST:
		port_list(d, f, r->fmt);
		return 0;
	case VX_CTL_PORT_SHOW:
		p = vx_ports_find(&d->ports, r->arg);
		if (!p)
			return snprintf(err, len, "no port named '%.32s'", r->arg), -ENOENT;
		port_show(d, p, f, r->fmt);
		return 0;
	case VX_CTL_STATS:
		vx_nic_stats_write(&d->nic, f, r->fmt == VX_STATS_TEXT ? VX_STATS_TABLE : r->fmt);
		return 0;
	case VX_CTL_RELOAD:
		return vx_daemon_reload(d, err, len);
	}
	return snprintf(err, len, "unknown request"), -EINVAL;
}

static void on_conn(struct vx_watch *w, uint32_t events);

static void conn_reply(struct ctl_conn *c)
{
	struct vx_daemon *d = c->d;
	struct vx_ctl_req req;
	char err[512] = "";
	FILE *f;
	int e;

	f = open_memstream(&c->out, &c->n_out);
	if (!f) {
		conn_free(d->ctl, d, conn_index(d->ctl, c));
		return;
	}
	e = vx_ctl_parse(c->in, c->n_in, &req, err, sizeof(err));
	if (!e) {
		char *body = NULL;
		size_t nb = 0;
		FILE *b = open_memstream(&body, &nb);

		e = b ? ctl_run(d, &req, b, err, sizeof(err)) : -ENOMEM;
		if (b)
			fclose(b);
		if (!e)
			fprintf(f, "ok\n%s", body ? body : "");
		free(body);
		if (req.verb == VX_CTL_PORT_ADD || req.verb == VX_CTL_PORT_DEL ||
		    req.verb == VX_CTL_RELOAD)
			pr_info("control: %.*s: %s%s\n", (int)(c->n_in - 1), c->in,
				e ? "refused: " : "done", e ? err : "");
	} else {
		pr_warn("control: bad request refused: %s\n", err);
	}
	if (e)
		fprintf(f, "error: %s\n", err[0] ? err : strerror(-e));
	fclose(f);
	c->sent = 0;
	shutdown(c->w.fd, SHUT_RD);
	if (vx_loop_mod(&d->loop, &c->w, EPOLLOUT))
		conn_free(d->ctl, d, conn_index(d->ctl, c));
	else
		on_conn(&c->w, EPOLLOUT);
}

static void on_conn(struct vx_watch *w, uint32_t events)
{
	struct ctl_conn *c = (struct ctl_conn *)w;
	struct vx_ctl *ctl = c->d->ctl;
	ssize_t n;

	if (c->out) {
		while (c->sent < c->n_out) {
			n = send(w->fd, c->out + c->sent, c->n_out - c->sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0)
				break;
			c->sent += (size_t)n;
		}
		conn_free(ctl, c->d, conn_index(ctl, c));
		return;
	}
	if (c->n_in == sizeof(c->in)) {
		/* Too long: read on to its end, so that the peer gets the refusal, not a reset. */
		char junk[4096];

		n = recv(w->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0 && !memchr(junk, '\n', (size_t)n))
			return;
		conn_reply(c);
		return;
	}
	n = recv(w->fd, c->in + c->n_in, sizeof(c->in) - c->n_in, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		/* The peer went away before a whole request. */
		conn_free(ctl, c->d, conn_index(ctl, c));
		return;
	}
	c->n_in += (size_t)n;
	/* Bytes after the newline make the request malformed: vx_ctl_parse says so. */
	if (memchr(c->in, '\n', c->n_in))
		conn_reply(c);
}

static void on_listen(struct vx_watch *w, uint32_t events)
{
	struct vx_ctl *ctl = (struct vx_ctl *)w;
	struct ctl_conn *c;
	unsigned int i;
	int fd;

	fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	for (i = 0; i < VX_CTL_CONNS && ctl->c[i]; i++)
		;
	c = i < VX_CTL_CONNS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		static const char busy[] = "error: too many control connections\n";

		if (send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			pr_debug("control: refused a connection: %s\n", strerror(errno));
		close(fd);
		return;
	}
	c->d = ctl->d;
	c->since = vx_now_ms();
	if (vx_loop_add(&ctl->d->loop, &c->w, fd, EPOLLIN, on_conn)) {
		close(fd);
		free(c);
		return;
	}
	ctl->c[i] = c;
}

void vx_ctl_tick(struct vx_daemon *d, uint64_t now)
{
	struct vx_ctl *ctl = d->ctl;
	unsigned int i;

	for (i = 0; ctl && i < VX_CTL_CONNS; i++)
		if (ctl->c[i] && now - ctl->c[i]->since > VX_CTL_TIMEOUT_MS) {
			pr_warn("control: a client took over %d ms; dropped\n", VX_CTL_TIMEOUT_MS);
			conn_free(ctl, d, i);
		}
}

uint64_t vx_ctl_deadline(struct vx_daemon *d)
{
	uint64_t t = UINT64_MAX;
	unsigned int i;

	for (i = 0; d->ctl && i < VX_CTL_CONNS; i++)
		if (d->ctl->c[i] && d->ctl->c[i]->since + VX_CTL_TIMEOUT_MS + 1 < t)
			t = d->ctl->c[i]->since + VX_CTL_TIMEOUT_MS + 1;
	return t;
}

/* Mode 0600, or 0660 and the group's; set before anyone can connect. */
static int ctl_perms(const char *path, const char *group)
{
	struct group *g;

	if (!group[0])
		return chmod(path, 0600) ? -errno : 0;
	g = getgrnam(group);
	if (!g)
		return -ENOENT;
	if (chown(path, 0, g->gr_gid) || chmod(path, 0660))
		return -errno;
	return 0;
}

int vx_ctl_open(struct vx_daemon *d)
{
	const char *path = d->cfg.ctl_path;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vx_ctl *ctl;
	struct stat st;
	mode_t old;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	/* A socket left by a daemon that was killed; anything else is not ours to remove. */
	if (!lstat(path, &st)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool live = probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa));

		if (probe >= 0)
			close(probe);
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (live)
			return -EADDRINUSE;
		unlink(path);
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->d = d;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		free(ctl);
		return -errno;
	}
	old = umask(0177);
	e = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (!e)
		e = ctl_perms(path, d->cfg.ctl_group);
	if (!e && listen(fd, VX_CTL_CONNS))
		e = -errno;
	if (!e)
		e = vx_loop_add(&d->loop, &ctl->lw, fd, EPOLLIN, on_listen);
	if (e) {
		close(fd);
		unlink(path);
		free(ctl);
		return e;
	}
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	d->ctl = ctl;
	return 0;
}

void vx_ctl_close(struct vx_daemon *d)
{
	struct vx_ctl *ctl = d->ctl;
	unsigned int i;

	if (!ctl)
		return;
	for (i = 0; i < VX_CTL_CONNS; i++)
		if (ctl->c[i])
			conn_free(ctl, d, i);
	vx_loop_del(&d->loop, &ctl->lw);
	close(ctl->lw.fd);
	unlink(ctl->path);
	free(ctl);
	d->ctl = NULL;
}

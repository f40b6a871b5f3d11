// SPDX-License-Identifier: GPL-2.0
/*
 * The vhost-user socket of a port, driven by the control event loop
 * (loop.h): listen (server mode) or connect and reconnect (client mode),
 * then read messages as far as they have arrived and hand each complete one
 * to the device. The sockets are non-blocking: a front-end that stops in
 * the middle of a message holds up nobody, and is dropped after
 * VX_MSG_TIMEOUT_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "port.h"

/*
 * Client mode: the first retry after this, doubling up to VX_RECONNECT_MAX_MS.
 * The socket directory is watched (ports.c), so a VMM that creates its
 * socket is tried at once; the retries are for a file that is there but
 * not yet listened on, and so cost next to nothing for ports whose VM is off.
 */
#define VX_RECONNECT_MS 250
#define VX_RECONNECT_MAX_MS 30000
/* A message that has started must finish within this time, or the peer is dropped. */
#define VX_MSG_TIMEOUT_MS 5000

static int sockaddr_fill(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/* A socket file nobody listens on is left over from a crash: remove it. */
static int server_unlink_stale(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, err;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	sockaddr_fill(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? -EADDRINUSE : 0;
	close(fd);
	if (!err && unlink(path) < 0)
		err = -errno;
	return err;
}

bool vx_conn_connected(const struct vx_port *p)
{
	return p->cw.added;
}

static void conn_drop(struct vx_port *p, const char *why)
{
	struct vx_dev *dev = p->dev;

	if (!p->cw.added)
		return;
	pr_info("%s: front-end %s\n", dev->name, why);
	vx_loop_del(p->loop, &p->cw);
	vx_dev_disconnect(dev);
	close(p->cw.fd);
	dev->sock = -1;
	dev->attached = false;
	if (p->rx) {
		vu_rx_reset(p->rx);
		free(p->rx);
		p->rx = NULL;
	}
	p->msg_since = 0;
	if (dev->client) {
		p->retry_ms = VX_RECONNECT_MS;
		p->retry_at = vx_now_ms() + p->retry_ms;
	} else if (dev->listen_fd >= 0 &&
		   vx_loop_add(p->loop, &p->lw, dev->listen_fd, EPOLLIN, p->lw.fn)) {
		pr_err("%s: cannot watch %s again; the port takes no new front-end\n", dev->name,
		       dev->path);
	}
}

int vx_conn_dispatch(struct vx_dev *dev, int fd, struct vu_msg *m)
{
	struct vx_outcome o = vx_dev_handle(dev, m);

	if (o.drop)
		return o.err ? o.err : -EPROTO;
	if (o.reply)
		return vu_msg_reply(fd, m, m->hdr.size);
	return 0;
}

static void on_conn(struct vx_watch *w, uint32_t events)
{
	struct vx_port *p = (struct vx_port *)((char *)w - offsetof(struct vx_port, cw));
	int err;

	/* Every complete message that has arrived, then back to the loop. */
	for (;;) {
		err = vu_rx_step(w->fd, p->rx);
		if (err <= 0)
			break;
		p->msg_since = 0;
		err = vx_conn_dispatch(p->dev, w->fd, &p->rx->m);
		p->rx->got = 0;
		p->rx->m.nfds = 0;
		if (err)
			break;
	}
	if (err == -ECONNRESET) {
		conn_drop(p, "disconnected");
	} else if (err < 0) {
		pr_warn("%s: bad message or failed reply: %s; disconnecting\n", p->dev->name,
			strerror(-err));
		conn_drop(p, "dropped");
	} else if (p->rx->got && !p->msg_since) {
		p->msg_since = vx_now_ms();
	} else if (events & (EPOLLHUP | EPOLLERR) && !p->rx->got) {
		conn_drop(p, "hung up");
	}
}

/* A front-end is there: serve it (fd is non-blocking). */
static void conn_attach(struct vx_port *p, int fd)
{
	p->rx = calloc(1, sizeof(*p->rx));
	if (!p->rx || vx_loop_add(p->loop, &p->cw, fd, EPOLLIN, on_conn)) {
		pr_err("%s: cannot serve the front-end: %s\n", p->dev->name,
		       p->rx ? strerror(errno) : "out of memory");
		free(p->rx);
		p->rx = NULL;
		close(fd);
		return;
	}
	p->dev->sock = fd;
	p->dev->attached = true;
	p->connects++;
	pr_info("%s: front-end connected on %s\n", p->dev->name, p->dev->path);
}

static void on_listen(struct vx_watch *w, uint32_t events)
{
	struct vx_port *p = (struct vx_port *)((char *)w - offsetof(struct vx_port, lw));
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			pr_warn("%s: accept on %s: %s\n", p->dev->name, p->dev->path,
				strerror(errno));
		return;
	}
	/* One front-end at a time: the next waits in the backlog until this one goes. */
	vx_loop_del(p->loop, &p->lw);
	conn_attach(p, fd);
	if (!p->cw.added &&
	    vx_loop_add(p->loop, &p->lw, p->dev->listen_fd, EPOLLIN, on_listen))
		pr_err("%s: cannot watch %s again\n", p->dev->name, p->dev->path);
}

static void client_connect(struct vx_port *p, uint64_t now)
{
	struct sockaddr_un sa;
	int fd;

	if (sockaddr_fill(&sa, p->dev->path))
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		p->retry_ms = VX_RECONNECT_MS;
		conn_attach(p, fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	/* Nobody listens yet (ENOENT, ECONNREFUSED) or the backlog is full: back off. */
	p->retry_at = now + p->retry_ms;
	p->retry_ms = p->retry_ms * 2 < VX_RECONNECT_MAX_MS ? p->retry_ms * 2 : VX_RECONNECT_MAX_MS;
}

uint64_t vx_conn_deadline(const struct vx_port *p)
{
	if (p->cw.added)
		return p->msg_since ? p->msg_since + VX_MSG_TIMEOUT_MS + 1 : UINT64_MAX;
	return p->dev->client ? p->retry_at : UINT64_MAX;
}

void vx_conn_retry_now(struct vx_port *p)
{
	if (p->dev->client && !p->cw.added) {
		p->retry_ms = VX_RECONNECT_MS;
		client_connect(p, vx_now_ms());
	}
}

void vx_conn_tick(struct vx_port *p, uint64_t now)
{
	if (p->cw.added && p->msg_since && now - p->msg_since > VX_MSG_TIMEOUT_MS) {
		pr_warn("%s: a message stalled for over %u ms; disconnecting\n", p->dev->name,
			VX_MSG_TIMEOUT_MS);
		conn_drop(p, "dropped");
		return;
	}
	if (p->dev->client && !p->cw.added && now >= p->retry_at)
		client_connect(p, now);
}

int vx_conn_open(struct vx_port *p)
{
	struct vx_dev *dev = p->dev;
	char dir[PATH_MAX];
	struct sockaddr_un sa;
	int fd, err;

	err = sockaddr_fill(&sa, dev->path);
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "%s", dev->path);
	if (access(dirname(dir), W_OK | X_OK) < 0)
		return -errno;
	p->lw.fn = on_listen;
	if (dev->client) {
		p->retry_ms = VX_RECONNECT_MS;
		client_connect(p, vx_now_ms());
		return 0;
	}
	err = server_unlink_stale(dev->path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	dev->listen_fd = fd;
	err = vx_loop_add(p->loop, &p->lw, fd, EPOLLIN, on_listen);
	if (err) {
		close(fd);
		unlink(dev->path);
		dev->listen_fd = -1;
	}
	return err;
}

void vx_conn_close(struct vx_port *p)
{
	struct vx_dev *dev = p->dev;

	conn_drop(p, "released: port removed");
	vx_loop_del(p->loop, &p->lw);
	if (dev->listen_fd >= 0) {
		close(dev->listen_fd);
		dev->listen_fd = -1;
		unlink(dev->path);
	}
}

// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "vu_conn.h"

/* Client mode: how long to wait between connection attempts. */
#define VX_RECONNECT_MS 500
/* A message that has started must finish within this time, or the peer is dropped. */
#define VX_MSG_TIMEOUT_S 5

struct conn_thread {
	pthread_t tid;
	struct vx_dev *dev;
	int stop_fd;
};

static struct conn_thread conn_threads[64];
static unsigned int conn_nthreads;

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

int vx_conn_prepare(struct vx_dev *dev)
{
	char dir[PATH_MAX];
	struct sockaddr_un sa;
	int fd, err;

	err = sockaddr_fill(&sa, dev->path);
	if (err)
		return err;
	snprintf(dir, sizeof(dir), "%s", dev->path);
	if (access(dirname(dir), W_OK | X_OK) < 0)
		return -errno;
	if (dev->client)
		return 0;
	err = server_unlink_stale(dev->path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	dev->listen_fd = fd;
	return 0;
}

/*
 * Waits until fd is readable (or has hung up). Returns false if stop_fd
 * fired first. With fd < 0 it only sleeps for timeout_ms, interruptibly.
 */
static bool wait_readable(int fd, int stop_fd, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = stop_fd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	int n;

	do
		n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (p[0].revents)
		return false;
	return fd < 0 || n > 0;
}

static bool stopping(int stop_fd)
{
	struct pollfd p = { .fd = stop_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static int conn_get(struct vx_dev *dev, int stop_fd)
{
	struct sockaddr_un sa;
	int fd;

	if (!dev->client) {
		if (!wait_readable(dev->listen_fd, stop_fd, -1))
			return -EINTR;
		fd = accept4(dev->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	sockaddr_fill(&sa, dev->path);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if (!wait_readable(-1, stop_fd, VX_RECONNECT_MS))
			return -EINTR;
	}
}

static void conn_serve(struct vx_dev *dev, int fd, int stop_fd)
{
	struct timeval tv = { .tv_sec = VX_MSG_TIMEOUT_S };
	struct vu_msg m;
	int err;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	dev->sock = fd;
	pr_info("%s: front-end connected on %s\n", dev->name, dev->path);
	for (;;) {
		if (!wait_readable(fd, stop_fd, -1))
			break;
		err = vu_msg_recv(fd, &m);
		if (err == -ECONNRESET) {
			pr_info("%s: front-end disconnected\n", dev->name);
			break;
		}
		if (err) {
			pr_warn("%s: bad message: %s; disconnecting\n", dev->name, strerror(-err));
			break;
		}
		if (vx_dev_handle(dev, &m))
			break;
	}
	vx_dev_disconnect(dev);
	dev->sock = -1;
	close(fd);
}

static void *conn_main(void *arg)
{
	struct conn_thread *t = arg;
	int fd;

	while (!stopping(t->stop_fd)) {
		fd = conn_get(t->dev, t->stop_fd);
		if (fd == -EINTR)
			break;
		if (fd < 0) {
			pr_warn("%s: %s: %s\n", t->dev->name, t->dev->path, strerror(-fd));
			wait_readable(-1, t->stop_fd, VX_RECONNECT_MS);
			continue;
		}
		conn_serve(t->dev, fd, t->stop_fd);
	}
	return NULL;
}

int vx_conn_start(struct vx_dev *dev, int stop_fd)
{
	struct conn_thread *t;
	int err;

	if (conn_nthreads >= sizeof(conn_threads) / sizeof(conn_threads[0]))
		return -ENOSPC;
	t = &conn_threads[conn_nthreads];
	t->dev = dev;
	t->stop_fd = stop_fd;
	err = pthread_create(&t->tid, NULL, conn_main, t);
	if (err)
		return -err;
	conn_nthreads++;
	return 0;
}

void vx_conn_stop(struct vx_dev *dev)
{
	unsigned int i;

	for (i = 0; i < conn_nthreads; i++) {
		if (conn_threads[i].dev != dev)
			continue;
		pthread_join(conn_threads[i].tid, NULL);
		conn_threads[i].dev = NULL;
	}
	if (dev->listen_fd >= 0) {
		close(dev->listen_fd);
		dev->listen_fd = -1;
		unlink(dev->path);
	}
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile ioctl sequences against vhost_xdp.ko, run inside a guest that
 * loaded the module (tests/kmod/test_kmod_hostile.sh). Plays both sides: a
 * VMM on /dev/vhost-xdp and a daemon on /dev/vhost-xdp-ctl (a thread that
 * answers, stays silent or answers late), plus a child daemon that is
 * killed in the middle of a request. Prints TAP. Classes 19 and 20 of
 * hostile-inputs.md: wrong order, bad sizes, huge counts, fds of the wrong
 * type, close and daemon death in the middle of a request, signals to the
 * VMM while a slow daemon has its request queued or in flight (a thread of
 * this process, or a child process for SIGSTOP/SIGCONT and SIGKILL), a
 * daemon buffer that faults (userfaultfd) or is bad, uninitialised bytes,
 * and leaks (fds here, live objects in the module's debugfs file).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/userfaultfd.h>
#include <linux/vhost.h>
#include <linux/virtio_ring.h>

#include <vhost_xdp/kdev_uapi.h>

#include "tap.h"

#define DEV  "/dev/vhost-xdp"
#define CTL  "/dev/vhost-xdp-ctl"
#define LIVE "/sys/kernel/debug/vhost_xdp/live"

/* ---- the fake daemon ---- */

enum dmode { D_ACK, D_SILENT, D_LATE, D_FAIL };

static struct {
	int fd;
	volatile enum dmode mode;
	volatile int stop;
	pthread_t tid;
	pthread_mutex_t lock;
	struct vxk_event last; /* last event of a type other than ADD/REMOVE */
	unsigned int nevents[VXK_EV_MAX];
	int bad_pad;   /* an event with non-zero padding came out */
	uint64_t base; /* what GET_VRING_BASE answers */
	/* Delays of a slow daemon that still answers inside the limit. */
	volatile int take_ms;	       /* from seeing an event queued (poll) to taking it (NEXT) */
	volatile int ack_ms;	       /* from taking a request to answering it */
	volatile int saw_queued;       /* set when poll saw an event, before the take_ms delay */
	volatile int last_ack;	       /* 0 or -errno of the last VXK_CTL_ACK */
	volatile unsigned int drained; /* NEXT rounds that ended with an empty queue */
} dm = {.fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER};

static void ev_close_fds(const struct vxk_event *ev)
{
	unsigned int i;

	if (ev->fd >= 0)
		close(ev->fd);
	for (i = 0; i < ev->nregions && i < VXK_MAX_REGIONS; i++)
		if (ev->regions[i].fd >= 0)
			close(ev->regions[i].fd);
}

static void dm_handle(struct vxk_event *ev)
{
	struct vxk_ack a = {.dev = ev->dev, .seq = ev->seq};
	unsigned int i;

	pthread_mutex_lock(&dm.lock);
	if (ev->type < VXK_EV_MAX)
		dm.nevents[ev->type]++;
	if (ev->addr.pad)
		dm.bad_pad = 1;
	for (i = 0; i < VXK_MAX_REGIONS; i++)
		if (ev->regions[i].pad)
			dm.bad_pad = 1;
	if (ev->type != VXK_EV_ADD && ev->type != VXK_EV_REMOVE)
		dm.last = *ev;
	pthread_mutex_unlock(&dm.lock);
	/* Region sizes are checked by the test before the fds go. */
	if (ev->type == VXK_EV_MEM_TABLE)
		usleep(1000);
	ev_close_fds(ev);
	if (!ev->seq || dm.mode == D_SILENT)
		return;
	if (dm.mode == D_LATE)
		usleep(400 * 1000);
	if (dm.ack_ms)
		usleep(dm.ack_ms * 1000);
	if (dm.mode == D_FAIL)
		a.result = -EFAULT;
	if (ev->type == VXK_EV_GET_VRING_BASE)
		a.value = dm.base;
	dm.last_ack = ioctl(dm.fd, VXK_CTL_ACK, &a) < 0 ? -errno : 0;
}

static void *dm_main(void *arg)
{
	struct pollfd p = {.fd = dm.fd, .events = POLLIN};
	struct vxk_event ev;

	while (!dm.stop) {
		if (poll(&p, 1, 50) <= 0)
			continue;
		if (dm.take_ms) {
			dm.saw_queued = 1;
			usleep(dm.take_ms * 1000);
		}
		for (;;) {
			memset(&ev, 0xaa, sizeof(ev));
			if (ioctl(dm.fd, VXK_CTL_NEXT, &ev) < 0)
				break;
			dm_handle(&ev);
		}
		dm.drained++;
	}
	return NULL;
}

static int dm_start(enum dmode mode)
{
	struct vxk_hello h = {.features = ~0ull, .version = VXK_VERSION};

	dm.fd = open(CTL, O_RDWR | O_CLOEXEC);
	if (dm.fd < 0)
		return -errno;
	if (ioctl(dm.fd, VXK_CTL_HELLO, &h) < 0)
		return -errno;
	dm.mode = mode;
	dm.stop = 0;
	memset(dm.nevents, 0, sizeof(dm.nevents));
	return -pthread_create(&dm.tid, NULL, dm_main, NULL);
}

static void dm_stop(void)
{
	if (dm.fd < 0)
		return;
	dm.stop = 1;
	pthread_join(dm.tid, NULL);
	close(dm.fd);
	dm.fd = -1;
}

static unsigned int dm_count(enum vxk_event_type t)
{
	unsigned int n;

	pthread_mutex_lock(&dm.lock);
	n = dm.nevents[t];
	pthread_mutex_unlock(&dm.lock);
	return n;
}

/* ---- helpers ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int live(const char *what)
{
	char line[64];
	int v = -1, x;
	FILE *f = fopen(LIVE, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char name[32];

		if (sscanf(line, "%31s %d", name, &x) == 2 && !strcmp(name, what))
			v = x;
	}
	fclose(f);
	return v;
}

/* ioctl returning 0 or -errno. */
static int io(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int dev_open_owned(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd >= 0 && io(fd, VHOST_SET_OWNER, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

struct memtab {
	struct vhost_memory h;
	struct vhost_memory_region r[VXK_MAX_VMM_REGIONS + 1];
};

static int set_mem(int fd, uint64_t gpa, void *p, uint64_t size)
{
	struct memtab t = {.h.nregions = 1};

	t.r[0] = (struct vhost_memory_region){
	    .guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)p};
	return io(fd, VHOST_SET_MEM_TABLE, &t);
}

static int vring_file(int fd, unsigned long cmd, unsigned int idx, int efd)
{
	struct vhost_vring_file f = {.index = idx, .fd = efd};

	return io(fd, cmd, &f);
}

static int vring_state(int fd, unsigned long cmd, unsigned int idx, unsigned int num)
{
	struct vhost_vring_state s = {.index = idx, .num = num};

	return io(fd, cmd, &s);
}

/* ---- the cases ---- */

static void t_privilege(void)
{
	pid_t pid;
	int st = -1, fd;

	chmod(CTL, 0666);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = open(CTL, O_RDWR);
		_exit(fd < 0 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	chmod(CTL, 0600);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ctl: open without CAP_NET_ADMIN is EPERM");
	fd = open(CTL, O_RDWR);
	tap_ok(fd >= 0, "ctl: root opens it");
	tap_is(open(CTL, O_RDWR) < 0 ? errno : 0, EBUSY, "ctl: a second daemon is EBUSY");
	if (fd >= 0)
		close(fd);
}

static void t_no_daemon(void)
{
	uint64_t f;
	int fd = dev_open_owned();
	double t0;

	tap_ok(fd >= 0, "no daemon: open and SET_OWNER work");
	tap_is(io(fd, VHOST_GET_FEATURES, &f), -ENOTCONN, "no daemon: GET_FEATURES is ENOTCONN");
	t0 = now();
	tap_is(vring_state(fd, VHOST_GET_VRING_BASE, 0, 0), -ENOTCONN,
	       "no daemon: GET_VRING_BASE is ENOTCONN");
	tap_ok(now() - t0 < 0.5, "no daemon: ... at once, no wait");
	close(fd);
}

static void t_order(void)
{
	int fd = open(DEV, O_RDWR), st = -1;
	uint64_t f = 0;
	pid_t pid;

	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), -EPERM,
	       "order: SET_VRING_NUM before SET_OWNER is EPERM");
	tap_is(io(fd, VHOST_SET_FEATURES, &f), -EPERM,
	       "order: SET_FEATURES before SET_OWNER is EPERM");
	tap_is(io(fd, VHOST_SET_OWNER, NULL), 0, "order: SET_OWNER");
	tap_is(io(fd, VHOST_SET_OWNER, NULL), -EBUSY, "order: SET_OWNER twice is EBUSY");
	pid = fork();
	if (pid == 0) {
		/* A child has another mm: not the owner, even with the same fd. */
		_exit(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256) == -EPERM ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "order: another process's ioctl is EPERM");
	tap_is(vring_state(fd, VHOST_GET_VRING_BASE, 1, 0), 0,
	       "order: GET_VRING_BASE before any setup works");
	tap_is(io(fd, VHOST_GET_FEATURES, &f), 0, "order: GET_FEATURES");
	tap_ok(!(f & (1ull << VHOST_F_LOG_ALL)) && (f & (1ull << 32)),
	       "order: features offer VERSION_1, not LOG_ALL (0x%llx)", (unsigned long long)f);
	f = 1ull << 40;
	tap_is(io(fd, VHOST_SET_FEATURES, &f), -EOPNOTSUPP,
	       "order: unoffered feature is EOPNOTSUPP");
	tap_is(io(fd, VHOST_RESET_OWNER, NULL), 0, "order: RESET_OWNER");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), -EPERM,
	       "order: after RESET_OWNER, owner is gone");
	tap_is(io(fd, VHOST_SET_OWNER, NULL), 0, "order: SET_OWNER again after reset");
	close(fd);
}

/* The VMM side needs no privilege beyond access to the node, like /dev/vhost-net. */
static void t_unprivileged_vmm(void)
{
	int st = -1;
	pid_t pid;

	chmod(DEV, 0666);
	pid = fork();
	if (pid == 0) {
		size_t sz = 1 << 20;
		int mfd, fd, bad = 0;
		uint64_t f;
		void *p;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		mfd = memfd_create("vmm", 0);
		if (mfd < 0 || ftruncate(mfd, sz))
			_exit(3);
		p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
		fd = open(DEV, O_RDWR);
		bad |= fd < 0;
		bad |= io(fd, VHOST_SET_OWNER, NULL) << 1;
		bad |= io(fd, VHOST_GET_FEATURES, &f) << 2;
		bad |= set_mem(fd, 0, p, sz) << 3;
		bad |= vring_state(fd, VHOST_SET_VRING_NUM, 0, 256) << 4;
		bad |= (open(CTL, O_RDWR) >= 0) << 5;
		_exit(bad ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	chmod(DEV, 0600);
	tap_ok(
	    WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "unprivileged VMM (uid 65534): open, SET_OWNER, features, memfd table, vring; no ctl");
}

static void t_sizes(int fd)
{
	struct vhost_vring_addr a = {.index = 0};
	uint64_t v = 0;
	int efd = eventfd(0, 0);

	tap_is(io(fd, _IOW(VHOST_VIRTIO, 0x00, uint32_t), &v), -ENOTTY,
	       "sizes: SET_FEATURES with a 4-byte size is ENOTTY");
	tap_is(io(fd, _IOW(VHOST_VIRTIO, 0x10, uint32_t), &v), -ENOTTY,
	       "sizes: SET_VRING_NUM with a 4-byte size is ENOTTY");
	tap_is(io(fd, _IO(VHOST_VIRTIO, 0x7f), NULL), -ENOTTY, "sizes: unknown ioctl is ENOTTY");
	tap_is(io(fd, VHOST_SET_VRING_ENDIAN, &v), -ENOTTY, "sizes: SET_VRING_ENDIAN is ENOTTY");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 2, 256), -ENOBUFS,
	       "sizes: vring index 2 is ENOBUFS");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0x10000, 256), -ENOBUFS,
	       "sizes: vring index 0x10000 is ENOBUFS");
	tap_is(vring_state(fd, VHOST_GET_VRING_BASE, 0xffffffff, 0), -ENOBUFS,
	       "sizes: GET_VRING_BASE index ~0 is ENOBUFS");
	tap_is(vring_file(fd, VHOST_SET_VRING_KICK, 2, efd), -ENOBUFS,
	       "sizes: kick index 2 is ENOBUFS");
	tap_is(vring_file(fd, VHOST_NET_SET_BACKEND, 5, -1), -ENOBUFS,
	       "sizes: backend index 5 is ENOBUFS");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 0), -EINVAL,
	       "sizes: queue size 0 is EINVAL");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 3), -EINVAL,
	       "sizes: queue size 3 is EINVAL");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 65536), -EINVAL,
	       "sizes: queue size 65536 is EINVAL");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0, "sizes: queue size 256");
	tap_is(vring_state(fd, VHOST_SET_VRING_BASE, 0, 0x10000), -EINVAL,
	       "sizes: base 0x10000 is EINVAL");
	a.desc_user_addr = 0x1008;
	tap_is(io(fd, VHOST_SET_VRING_ADDR, &a), -EINVAL,
	       "sizes: misaligned descriptor table is EINVAL");
	a.desc_user_addr = 0x1000;
	a.flags = 0x80;
	tap_is(io(fd, VHOST_SET_VRING_ADDR, &a), -EOPNOTSUPP,
	       "sizes: unknown ring flags are EOPNOTSUPP");
	a.flags = 0;
	tap_is(io(fd, VHOST_SET_VRING_ADDR, &a), 0, "sizes: aligned ring address");
	tap_is(io(fd, VHOST_SET_VRING_ADDR, (void *)8), -EFAULT,
	       "sizes: bad user pointer is EFAULT");
	tap_is(io(fd, VHOST_SET_LOG_BASE, &v), -EOPNOTSUPP,
	       "sizes: SET_LOG_BASE is EOPNOTSUPP (no dirty log)");
	v = 1;
	tap_is(io(fd, VHOST_SET_BACKEND_FEATURES, &v), -EOPNOTSUPP,
	       "sizes: backend feature IOTLB is EOPNOTSUPP");
	close(efd);
}

static void t_counts(int fd)
{
	struct memtab *t = calloc(1, sizeof(*t));
	size_t sz = 1 << 20;
	void *anon = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int mfd = memfd_create("vxk", MFD_CLOEXEC);
	uint8_t *res, *shm;

	t->h.nregions = 0;
	tap_is(io(fd, VHOST_SET_MEM_TABLE, t), -EINVAL, "counts: 0 regions is EINVAL");
	t->h.nregions = VXK_MAX_VMM_REGIONS + 1;
	tap_is(io(fd, VHOST_SET_MEM_TABLE, t), -E2BIG, "counts: 65 regions is E2BIG");
	t->h.nregions = 0xffffffff;
	tap_is(io(fd, VHOST_SET_MEM_TABLE, t), -E2BIG, "counts: 0xffffffff regions is E2BIG");
	t->h.nregions = 1;
	t->h.padding = 1;
	tap_is(io(fd, VHOST_SET_MEM_TABLE, t), -EINVAL, "counts: non-zero padding is EINVAL");
	free(t);
	tap_is(set_mem(fd, 0, anon, 0), -EINVAL, "counts: region size 0 is EINVAL");
	tap_is(set_mem(fd, ~0ull - 10, anon, sz), -EINVAL,
	       "counts: gpa + size overflowing is EINVAL");
	tap_is(set_mem(fd, 0, (void *)(~0ull - 4095), sz), -EINVAL,
	       "counts: uva + size overflowing is EINVAL");
	tap_is(set_mem(fd, 0, anon, sz), -EINVAL,
	       "counts: private anonymous memory is refused (EINVAL)");
	tap_is(set_mem(fd, 0, (void *)0x10000, 4096), -EFAULT, "counts: unmapped memory is EFAULT");

	/* DPDK's layout: a PROT_NONE reservation with a shared file mapped in its middle. */
	ftruncate(mfd, 8 * sz);
	res = mmap(NULL, 16 * sz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shm =
	    mmap(res + 4 * sz, 2 * sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 3 * sz);
	tap_is(set_mem(fd, 0x100000000ull, res, 16 * sz), 0,
	       "counts: reservation with a shared part is accepted");
	pthread_mutex_lock(&dm.lock);
	tap_ok(dm.last.type == VXK_EV_MEM_TABLE && dm.last.nregions == 1 &&
		   dm.last.regions[0].size == 2 * sz && dm.last.regions[0].offset == 3 * sz &&
		   dm.last.regions[0].uva == (uintptr_t)shm &&
		   dm.last.regions[0].gpa == 0x100000000ull + 4 * sz,
	       "counts: ... the daemon gets just the shared part, with its file offset");
	pthread_mutex_unlock(&dm.lock);
	/* The same table with a private page inside the reservation. */
	mmap(res + 8 * sz, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
	     0);
	tap_is(set_mem(fd, 0, res, 16 * sz), -EINVAL,
	       "counts: ... with private memory inside is refused");
	munmap(res, 16 * sz);
	munmap(anon, sz);
	close(mfd);
}

static void t_fd_types(int fd)
{
	int p[2], efd = eventfd(0, 0), tfd;
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI};

	pipe(p);
	tap_is(vring_file(fd, VHOST_SET_VRING_KICK, 0, p[0]), -EINVAL,
	       "fds: a pipe as kick fd is EINVAL");
	tap_is(vring_file(fd, VHOST_SET_VRING_CALL, 0, fd), -EINVAL,
	       "fds: the device itself as call fd is EINVAL");
	tap_is(vring_file(fd, VHOST_SET_VRING_ERR, 0, 9999), -EBADF, "fds: a closed fd is EBADF");
	tap_is(vring_file(fd, VHOST_SET_VRING_KICK, 0, -2), -EBADF, "fds: fd -2 is EBADF");
	tap_is(vring_file(fd, VHOST_SET_VRING_KICK, 0, efd), 0, "fds: an eventfd as kick fd");
	pthread_mutex_lock(&dm.lock);
	tap_ok(dm.last.type == VXK_EV_VRING_KICK && dm.last.fd >= 0,
	       "fds: ... reaches the daemon as a new fd");
	pthread_mutex_unlock(&dm.lock);
	tap_is(vring_file(fd, VHOST_SET_VRING_CALL, 1, -1), 0, "fds: call fd -1 (none)");
	tap_is(io(fd, VHOST_SET_LOG_FD, &p[1]), -EINVAL, "fds: a pipe as log fd is EINVAL");
	tap_is(io(fd, VHOST_SET_LOG_FD, &efd), 0, "fds: an eventfd as log fd");
	tap_is(vring_file(fd, VHOST_NET_SET_BACKEND, 0, efd), -ENOTSOCK,
	       "fds: an eventfd as backend is ENOTSOCK");
	tap_is(vring_file(fd, VHOST_NET_SET_BACKEND, 0, p[0]), -ENOTSOCK,
	       "fds: a pipe as backend is ENOTSOCK");
	tfd = open("/dev/net/tun", O_RDWR);
	if (tfd >= 0 && ioctl(tfd, TUNSETIFF, &ifr) == 0) {
		tap_is(vring_file(fd, VHOST_NET_SET_BACKEND, 0, tfd), 0, "fds: a tap as backend");
		tap_is(vring_file(fd, VHOST_NET_SET_BACKEND, 1, tfd), 0,
		       "fds: the same tap on ring 1");
		tap_is(vring_file(fd, VHOST_NET_SET_BACKEND, 0, -1), 0, "fds: backend -1 detaches");
	} else {
		tap_ok(0, "fds: /dev/net/tun: %s", strerror(errno));
	}
	if (tfd >= 0)
		close(tfd); /* the device keeps its reference to ring 1's tap */
	close(p[0]);
	close(p[1]);
	close(efd);
}

static void t_wait(void)
{
	int fd = dev_open_owned(), r;
	double t0;

	dm.base = 1234;
	tap_is(vring_state(fd, VHOST_SET_VRING_BASE, 1, 77), 0, "wait: SET_VRING_BASE");
	{
		struct vhost_vring_state s;

		memset(&s, 0xaa, sizeof(s));
		s.index = 1;
		tap_is(io(fd, VHOST_GET_VRING_BASE, &s), 0, "wait: GET_VRING_BASE");
		tap_ok(s.index == 1 && s.num == 1234,
		       "wait: ... returns the daemon's position (%u)", s.num);
	}
	dm.mode = D_FAIL;
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), -EFAULT,
	       "wait: the daemon's error reaches the VMM");
	dm.mode = D_LATE;
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0,
	       "wait: a late answer (0.4 s) is waited for");
	dm.mode = D_SILENT;
	t0 = now();
	r = vring_state(fd, VHOST_GET_VRING_BASE, 0, 0);
	tap_is(r, -ETIMEDOUT, "wait: a silent daemon gives ETIMEDOUT");
	tap_ok(now() - t0 < VXK_ACK_TIMEOUT_MS / 1000.0 + 1.5, "wait: ... after %.1f s",
	       now() - t0);
	dm.mode = D_ACK;
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), -EIO,
	       "wait: the device is disabled afterwards (EIO)");
	close(fd);
	fd = dev_open_owned();
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0, "wait: a new open works again");
	close(fd);
}

struct bg_call {
	int fd;
	int ret;
	double took;
};

static void *bg_get_base(void *arg)
{
	struct bg_call *c = arg;
	double t0 = now();

	c->ret = vring_state(c->fd, VHOST_GET_VRING_BASE, 0, 0);
	c->took = now() - t0;
	return NULL;
}

static void t_close_mid(void)
{
	struct bg_call c;
	unsigned int rm;
	pthread_t t;
	int i;

	/* Earlier devices' REMOVE events must not be counted as this one's. */
	for (i = 0; i < 100 && live("events"); i++)
		usleep(50 * 1000);
	usleep(100 * 1000);
	rm = dm_count(VXK_EV_REMOVE);
	c.fd = dev_open_owned();

	dm.mode = D_LATE;
	pthread_create(&t, NULL, bg_get_base, &c);
	usleep(100 * 1000);
	close(c.fd); /* the ioctl in flight keeps the file alive */
	pthread_join(t, NULL);
	tap_is(c.ret, 0, "close mid-request: the request in flight completes");
	for (i = 0; i < 100 && dm_count(VXK_EV_REMOVE) == rm; i++)
		usleep(50 * 1000);
	tap_ok(dm_count(VXK_EV_REMOVE) == rm + 1,
	       "close mid-request: then the daemon hears REMOVE");
	dm.mode = D_ACK;
}

static void t_daemon_killed(void)
{
	struct bg_call c;
	int ready[2], fd, st;
	pthread_t t;
	pid_t pid;
	char x;

	dm_stop();
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		struct vxk_hello h = {.features = ~0ull, .version = VXK_VERSION};
		struct vxk_event ev;
		int cfd = open(CTL, O_RDWR);

		if (cfd < 0 || ioctl(cfd, VXK_CTL_HELLO, &h))
			_exit(1);
		write(ready[1], "r", 1);
		for (;;) { /* takes events, never answers, until killed */
			if (ioctl(cfd, VXK_CTL_NEXT, &ev) < 0)
				usleep(10000);
		}
	}
	read(ready[0], &x, 1);
	fd = dev_open_owned();
	c.fd = fd;
	pthread_create(&t, NULL, bg_get_base, &c);
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	pthread_join(t, NULL);
	tap_is(c.ret, -ENOTCONN, "daemon killed mid-request: the VMM gets ENOTCONN");
	tap_ok(c.took < 1.5,
	       "daemon killed mid-request: ... without waiting for the timeout (%.2f s)", c.took);
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), -ENOTCONN,
	       "daemon killed: the device stays dead");
	close(fd);
	close(ready[0]);
	close(ready[1]);
	tap_is(dm_start(D_ACK), 0, "daemon killed: a new daemon attaches");
}

struct bg_mem {
	int fd;
	void *p;
	size_t sz;
	int ret;
};

static void *bg_set_mem(void *arg)
{
	struct bg_mem *m = arg;

	m->ret = set_mem(m->fd, 0, m->p, m->sz);
	return NULL;
}

/* A daemon that dies with a memory table (and its file references) still queued. */
static void t_daemon_gone_queued(void)
{
	struct vxk_hello h = {.features = ~0ull, .version = VXK_VERSION};
	struct bg_mem m = {.sz = 1 << 20};
	int mfd = memfd_create("q", MFD_CLOEXEC), cfd, files;
	pthread_t t;

	dm_stop();
	cfd = open(CTL, O_RDWR);
	ioctl(cfd, VXK_CTL_HELLO, &h);
	ftruncate(mfd, m.sz);
	m.p = mmap(NULL, m.sz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	m.fd = dev_open_owned();
	pthread_create(&t, NULL, bg_set_mem, &m);
	usleep(300 * 1000);
	files = live("files");
	close(cfd); /* the daemon goes away without reading anything */
	pthread_join(t, NULL);
	tap_ok(files == 1, "daemon gone with a queued table: the event held the memfd (%d file)",
	       files);
	tap_is(m.ret, -ENOTCONN, "daemon gone with a queued table: the VMM gets ENOTCONN");
	tap_is(live("files"), 0, "daemon gone with a queued table: the file reference is dropped");
	close(m.fd);
	munmap(m.p, m.sz);
	close(mfd);
	tap_is(dm_start(D_ACK), 0, "daemon gone: a new daemon attaches");
}

/* ---- signals to a VMM whose ioctl waits for the daemon ---- */

static volatile sig_atomic_t nsig;

static void on_sig(int sig)
{
	(void)sig;
	nsig++;
}

static void set_handler(int sig, int flags)
{
	struct sigaction sa = {.sa_handler = on_sig, .sa_flags = flags};

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Polls cond every 10 ms for at most 5 s; its last value. */
#define WAIT_FOR(cond)                                                                             \
	({                                                                                         \
		int i_;                                                                            \
		for (i_ = 0; i_ < 500 && !(cond); i_++)                                            \
			usleep(10 * 1000);                                                         \
		(cond);                                                                            \
	})

/* Opens and owns a device, once the daemon took its ADD. */
static int dev_open_settled(void)
{
	unsigned int adds = dm_count(VXK_EV_ADD);
	int fd = dev_open_owned();

	WAIT_FOR(dm_count(VXK_EV_ADD) > adds);
	return fd;
}

struct bg_req {
	int fd;
	unsigned long cmd; /* VHOST_SET_VRING_NUM or VHOST_GET_VRING_BASE, ring 0 */
	unsigned int num;  /* in: the value; out: what came back */
	int ret;
	double took;
};

static void *bg_req_run(void *arg)
{
	struct bg_req *r = arg;
	struct vhost_vring_state s = {.index = 0, .num = r->num};
	double t0 = now();

	r->ret = io(r->fd, r->cmd, &s);
	r->num = s.num;
	r->took = now() - t0;
	return NULL;
}

static enum vxk_event_type req_type(unsigned long cmd)
{
	return cmd == VHOST_GET_VRING_BASE ? VXK_EV_GET_VRING_BASE : VXK_EV_VRING_NUM;
}

/*
 * A request from a thread of this process while the daemon is slow but
 * inside the limit; sig (handler with flags) goes to that thread while the
 * request is queued (the daemon takes it 1 s after it is queued) or, with
 * taken, in flight (the daemon took it and answers 1 s later).
 */
static struct bg_req sig_thread_case(int fd, unsigned long cmd, unsigned int num, int sig,
				     int flags, int taken)
{
	struct bg_req r = {.fd = fd, .cmd = cmd, .num = num};
	unsigned int n0 = dm_count(req_type(cmd));
	pthread_t t;

	set_handler(sig, flags);
	nsig = 0;
	dm.saw_queued = 0;
	if (taken)
		dm.ack_ms = 1000;
	else
		dm.take_ms = 1000;
	pthread_create(&t, NULL, bg_req_run, &r);
	if (taken)
		WAIT_FOR(dm_count(req_type(cmd)) > n0);
	else
		WAIT_FOR(dm.saw_queued);
	pthread_kill(t, sig);
	pthread_join(t, NULL);
	dm.take_ms = 0;
	dm.ack_ms = 0;
	return r;
}

static void t_sig_threads(void)
{
	int fd = dev_open_settled();
	unsigned int n0, d0;
	struct bg_req r;

	/* A handler without SA_RESTART, before the daemon took the request. */
	n0 = dm_count(VXK_EV_VRING_NUM);
	r = sig_thread_case(fd, VHOST_SET_VRING_NUM, 256, SIGUSR1, 0, 0);
	tap_is(r.ret, -EINTR, "signal, queued, no SA_RESTART: the ioctl is EINTR");
	tap_ok(r.took < 0.9 && nsig == 1, "signal, queued: ... at once (%.2f s), the handler ran",
	       r.took);
	d0 = dm.drained;
	WAIT_FOR(dm.drained != d0);
	tap_is(dm_count(VXK_EV_VRING_NUM), n0,
	       "signal, queued: the request was withdrawn, the daemon never saw it");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0,
	       "signal, queued: the device still works (SET_VRING_NUM, not EIO)");
	tap_is(vring_state(fd, VHOST_GET_VRING_BASE, 0, 0), 0,
	       "signal, queued: ... and GET_VRING_BASE after it");

	/* SA_RESTART (QEMU's handlers), before the daemon took the request. */
	n0 = dm_count(VXK_EV_VRING_NUM);
	r = sig_thread_case(fd, VHOST_SET_VRING_NUM, 512, SIGUSR2, SA_RESTART, 0);
	tap_is(r.ret, 0, "signal, queued, SA_RESTART: the ioctl succeeds transparently");
	tap_ok(nsig == 1 && r.took > 0.8,
	       "signal, queued, SA_RESTART: the handler ran, the restarted ioctl waited for the "
	       "slow daemon (%.2f s)",
	       r.took);
	tap_is(dm_count(VXK_EV_VRING_NUM), n0 + 1,
	       "signal, queued, SA_RESTART: the daemon saw the request once");

	/* Signals after the daemon took the request: its answer is not lost. */
	dm.base = 4321;
	r = sig_thread_case(fd, VHOST_GET_VRING_BASE, 0, SIGUSR1, 0, 1);
	tap_is(r.ret, 0, "signal, in flight, no SA_RESTART: the ioctl returns the daemon's answer");
	tap_ok(r.num == 4321 && nsig == 1 && r.took > 0.8,
	       "signal, in flight: ... with its value (%u) after %.2f s, then the handler ran",
	       r.num, r.took);
	r = sig_thread_case(fd, VHOST_SET_VRING_NUM, 256, SIGUSR2, SA_RESTART, 1);
	tap_ok(r.ret == 0 && nsig == 1, "signal, in flight, SA_RESTART: the ioctl succeeds (%d)",
	       r.ret);
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0,
	       "signal, in flight: the device still works");

	/* A daemon that takes the request and never answers: still 2 s, then the device is off. */
	dm.mode = D_SILENT;
	r = sig_thread_case(fd, VHOST_GET_VRING_BASE, 0, SIGUSR1, 0, 1);
	dm.mode = D_ACK;
	tap_is(r.ret, -ETIMEDOUT, "signal, in flight, silent daemon: still ETIMEDOUT");
	tap_ok(r.took > VXK_ACK_TIMEOUT_MS / 1000.0 - 0.2 &&
		   r.took < VXK_ACK_TIMEOUT_MS / 1000.0 + 1.5,
	       "signal, in flight, silent daemon: ... after the limit (%.2f s)", r.took);
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), -EIO,
	       "signal, in flight, silent daemon: then EIO, as without a signal");
	close(fd);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

struct child_res {
	int ret, ret2;
	double took;
};

static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * A child process is the VMM (SIGSTOP stops every thread, the fake daemon's
 * too, so it cannot be this process): SET_VRING_NUM against the slow
 * daemon, then one more. how: 's' SIGSTOP for 600 ms then SIGCONT, 'k'
 * SIGKILL; taken: the signal comes after the daemon took the request.
 */
static void t_sig_child(char how, int taken)
{
	int to[2], from[2], st = -1, r;
	struct child_res out = {-1, -1, 0};
	unsigned int adds = dm_count(VXK_EV_ADD), n0;
	const char *when = taken ? "in flight" : "queued";
	char x = 0, state = '?';
	double t0, killed = 0;
	pid_t pid;

	pipe(to);
	pipe(from);
	pid = fork();
	if (pid == 0) {
		int fd = dev_open_owned();

		write(from[1], "r", 1);
		read(to[0], &x, 1);
		t0 = now();
		out.ret = vring_state(fd, VHOST_SET_VRING_NUM, 0, 256);
		out.took = now() - t0;
		out.ret2 = vring_state(fd, VHOST_SET_VRING_NUM, 0, 1024);
		write(from[1], &out, sizeof(out));
		_exit(0);
	}
	read(from[0], &x, 1);
	WAIT_FOR(dm_count(VXK_EV_ADD) > adds);
	n0 = dm_count(VXK_EV_VRING_NUM);
	dm.saw_queued = 0;
	dm.last_ack = 1;
	if (taken)
		dm.ack_ms = 1000;
	else
		dm.take_ms = 1000;
	write(to[1], "g", 1);
	if (taken)
		WAIT_FOR(dm_count(VXK_EV_VRING_NUM) > n0);
	else
		WAIT_FOR(dm.saw_queued);
	if (how == 'k') {
		t0 = now();
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		killed = now() - t0;
		WAIT_FOR(dm.last_ack != 1);
		dm.ack_ms = 0;
		dm.take_ms = 0;
		tap_ok(WIFSIGNALED(st) && killed < 0.6,
		       "SIGKILL, %s: the VMM dies at once (%.2f s), no wait for the daemon", when,
		       killed);
		tap_ok(dm.last_ack == -ESRCH, "SIGKILL, %s: the daemon's late answer is ESRCH (%d)",
		       when, dm.last_ack);
		goto out;
	}
	kill(pid, SIGSTOP);
	usleep(300 * 1000);
	state = proc_state(pid);
	usleep(300 * 1000);
	kill(pid, SIGCONT);
	r = read(from[0], &out, sizeof(out));
	waitpid(pid, &st, 0);
	dm.ack_ms = 0;
	dm.take_ms = 0;
	tap_ok(r == sizeof(out) && out.ret == 0,
	       "SIGSTOP 600 ms + SIGCONT, %s: the ioctl succeeds transparently (%d, %.2f s)", when,
	       out.ret, out.took);
	tap_ok(out.ret2 == 0, "SIGSTOP + SIGCONT, %s: the device still works afterwards (%d)", when,
	       out.ret2);
	tap_ok(dm_count(VXK_EV_VRING_NUM) == n0 + 2,
	       "SIGSTOP + SIGCONT, %s: the daemon saw each request once (%u)", when,
	       dm_count(VXK_EV_VRING_NUM) - n0);
	if (!taken)
		tap_ok(state == 'T', "SIGSTOP, queued: the VMM stopped at once (state %c)", state);
	else
		tap_diag("SIGSTOP, in flight: VMM state %c while the daemon answers", state);
out:
	close(to[0]);
	close(to[1]);
	close(from[0]);
	close(from[1]);
}

static void t_signals(void)
{
	t_sig_threads();
	t_sig_child('s', 0);
	t_sig_child('s', 1);
	t_sig_child('k', 1);
}

/*
 * Random ioctls with random arguments on an owned device, with random fds
 * around, while the daemon answers: nothing but errno may come back.
 */
static void t_fuzz(void)
{
	static const unsigned long cmds[] = {
	    VHOST_GET_FEATURES,		VHOST_SET_FEATURES,	    VHOST_SET_OWNER,
	    VHOST_RESET_OWNER,		VHOST_SET_MEM_TABLE,	    VHOST_SET_LOG_BASE,
	    VHOST_SET_LOG_FD,		VHOST_SET_VRING_NUM,	    VHOST_SET_VRING_ADDR,
	    VHOST_SET_VRING_BASE,	VHOST_GET_VRING_BASE,	    VHOST_SET_VRING_KICK,
	    VHOST_SET_VRING_CALL,	VHOST_SET_VRING_ERR,	    VHOST_NET_SET_BACKEND,
	    VHOST_GET_BACKEND_FEATURES, VHOST_SET_BACKEND_FEATURES,
	};
	uint32_t buf[64];
	int fd = dev_open_owned(), efd = eventfd(0, 0), i, j, odd = 0, fds0 = nfds();
	unsigned int seed = 12345;

	for (i = 0; i < 20000; i++) {
		unsigned long cmd = cmds[rand_r(&seed) % (sizeof(cmds) / sizeof(cmds[0]))];
		int r;

		for (j = 0; j < 64; j++)
			buf[j] = rand_r(&seed);
		/* Small values and real fds make the deeper paths reachable. */
		if (rand_r(&seed) & 1) {
			buf[0] = rand_r(&seed) % 3;
			buf[1] =
			    (rand_r(&seed) & 1) ? (uint32_t)efd : (uint32_t)(rand_r(&seed) % 8);
		}
		r = io(fd, cmd, buf);
		if (r > 0 || r < -4095 || r == -ETIMEDOUT || r == -EIO)
			odd++;
		if (cmd == VHOST_RESET_OWNER)
			io(fd, VHOST_SET_OWNER, NULL);
	}
	close(fd);
	close(efd);
	tap_ok(odd == 0, "fuzz: 20000 random ioctls, only plain errors (%d odd)", odd);
	tap_is(nfds(), fds0 - 2, "fuzz: no fd left behind");
}

static void t_ctl_abuse(void)
{
	struct vxk_ack a = {.dev = 1, .seq = 1};
	struct vxk_hello h = {.version = 99};
	struct vxk_event ev;
	int before, fd;

	tap_is(io(dm.fd, VXK_CTL_ACK, &a), -ESRCH, "ctl: an answer nobody waits for is ESRCH");
	a.result = 5;
	tap_is(io(dm.fd, VXK_CTL_ACK, &a), -EINVAL, "ctl: a positive result is EINVAL");
	a.result = -100000;
	tap_is(io(dm.fd, VXK_CTL_ACK, &a), -EINVAL, "ctl: a result below -MAX_ERRNO is EINVAL");
	tap_is(io(dm.fd, VXK_CTL_HELLO, &h), -EINVAL, "ctl: wrong version is EINVAL");
	tap_is(io(dm.fd, _IO(VXK_CTL_MAGIC, 0x55), NULL), -ENOTTY, "ctl: unknown ioctl is ENOTTY");

	/* NEXT into a bad buffer: EFAULT, the event stays, no fd leaks. */
	dm_stop();
	dm.fd = open(CTL, O_RDWR);
	h.version = VXK_VERSION;
	h.features = ~0ull;
	io(dm.fd, VXK_CTL_HELLO, &h);
	fd = open(DEV, O_RDWR);
	before = nfds();
	tap_is(io(dm.fd, VXK_CTL_NEXT, (void *)8), -EFAULT,
	       "ctl: NEXT into a bad buffer is EFAULT");
	tap_is(nfds(), before, "ctl: ... and installs no fd");
	memset(&ev, 0xaa, sizeof(ev));
	tap_is(io(dm.fd, VXK_CTL_NEXT, &ev), 0, "ctl: the event is still there");
	tap_ok(ev.type == VXK_EV_ADD && ev.fd == -1 && ev.nregions == 0 && ev.addr.pad == 0 &&
		   ev.regions[0].pad == 0 && ev.regions[7].size == 0,
	       "ctl: ... and every unused byte of it is zero");
	tap_is(io(dm.fd, VXK_CTL_NEXT, &ev), -EAGAIN, "ctl: empty queue is EAGAIN");
	close(fd);
	close(dm.fd);
	dm.fd = -1;
	tap_is(dm_start(D_ACK), 0, "ctl: daemon re-attached");
}

struct bg_next {
	int cfd;
	void *buf;
	int ret;
};

static void *bg_next_run(void *arg)
{
	struct bg_next *b = arg;

	b->ret = io(b->cfd, VXK_CTL_NEXT, b->buf);
	return NULL;
}

struct bg_vmm {
	int fd, ret;
	volatile int done;
	double took;
};

static void *bg_vmm_run(void *arg)
{
	struct bg_vmm *v = arg;
	double t0 = now();
	uint64_t f;

	v->fd = open(DEV, O_RDWR | O_CLOEXEC);
	v->ret = v->fd < 0 ? -errno : io(v->fd, VHOST_SET_OWNER, NULL);
	if (!v->ret)
		v->ret = io(v->fd, VHOST_GET_FEATURES, &f);
	v->took = now() - t0;
	v->done = 1;
	return NULL;
}

struct bg_kick {
	int fd, efd, ret;
};

static void *bg_kick_run(void *arg)
{
	struct bg_kick *k = arg;

	k->ret = vring_file(k->fd, VHOST_SET_VRING_KICK, 0, k->efd);
	return NULL;
}

/*
 * VXK_CTL_NEXT copies to the daemon without the module's global lock: a
 * daemon buffer that faults slowly (here: a userfaultfd page nobody fills
 * yet) must not hold up a VMM. And a copy that fails puts the event back.
 */
static void t_next_unlocked(void)
{
	struct vxk_hello h = {.features = ~0ull, .version = VXK_VERSION};
	struct uffdio_api api = {.api = UFFD_API};
	struct bg_next b = {.ret = 1};
	struct bg_vmm v = {.fd = -1};
	struct bg_req r = {.cmd = VHOST_SET_VRING_NUM, .num = 256};
	struct bg_kick k = {.ret = 1};
	struct pollfd p = {.events = POLLIN};
	struct vxk_ack a = {0};
	struct uffd_msg msg;
	struct vxk_event ev;
	long pg = sysconf(_SC_PAGESIZE);
	int uffd, fd, efd, before, files;
	pthread_t tn, tv, tr, tk;
	void *buf;

	dm_stop();
	b.cfd = open(CTL, O_RDWR | O_CLOEXEC);
	io(b.cfd, VXK_CTL_HELLO, &h);
	fd = open(DEV, O_RDWR | O_CLOEXEC); /* its ADD is queued */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	buf = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		tap_skip("NEXT into a faulting page: no userfaultfd (%s)", strerror(errno));
	} else {
		struct uffdio_register reg = {.range = {.start = (uintptr_t)buf, .len = pg},
					      .mode = UFFDIO_REGISTER_MODE_MISSING};
		struct uffdio_zeropage zp = {.range = {.start = (uintptr_t)buf, .len = pg}};

		ioctl(uffd, UFFDIO_REGISTER, &reg);
		b.buf = buf;
		pthread_create(&tn, NULL, bg_next_run, &b);
		p.fd = uffd;
		tap_ok(poll(&p, 1, 5000) == 1 && read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
			   msg.event == UFFD_EVENT_PAGEFAULT,
		       "NEXT into a userfaultfd page: the copy to the daemon waits on the fault");
		pthread_create(&tv, NULL, bg_vmm_run, &v);
		WAIT_FOR(v.done);
		tap_ok(v.done && v.ret == 0 && v.took < 1.0,
		       "NEXT waiting on a fault: meanwhile a VMM opens a device, SET_OWNER, "
		       "GET_FEATURES (%d, %.2f s)",
		       v.ret, v.done ? v.took : -1.0);
		ioctl(uffd, UFFDIO_ZEROPAGE, &zp);
		pthread_join(tn, NULL);
		pthread_join(tv, NULL);
		tap_ok(
		    b.ret == 0 && ((struct vxk_event *)buf)->type == VXK_EV_ADD,
		    "NEXT waiting on a fault: the fault filled, NEXT hands out the first ADD (%d)",
		    b.ret);
		memset(&ev, 0, sizeof(ev));
		tap_ok(io(b.cfd, VXK_CTL_NEXT, &ev) == 0 && ev.type == VXK_EV_ADD &&
			   ev.dev != ((struct vxk_event *)buf)->dev,
		       "NEXT waiting on a fault: ... then the second device's ADD, in order");
		close(v.fd);
		io(b.cfd, VXK_CTL_NEXT, &ev); /* its REMOVE */
		close(uffd);
	}
	munmap(buf, pg);
	while (io(b.cfd, VXK_CTL_NEXT, &ev) == 0)
		ev_close_fds(&ev);

	/* A failed copy of a request with a file in flight: back in the queue, fds not installed.
	 */
	io(fd, VHOST_SET_OWNER, NULL);
	efd = eventfd(0, EFD_CLOEXEC);
	r.fd = fd;
	r.ret = 1;
	k.fd = fd;
	k.efd = efd;
	p.fd = b.cfd;
	pthread_create(&tk, NULL, bg_kick_run, &k);
	poll(&p, 1, 5000);
	files = live("files");
	before = nfds();
	tap_is(io(b.cfd, VXK_CTL_NEXT, (void *)8), -EFAULT,
	       "NEXT of a KICK into a bad buffer: EFAULT");
	tap_ok(nfds() == before && live("files") == files && files >= 1,
	       "NEXT of a KICK into a bad buffer: no fd installed, the eventfd still held");
	memset(&ev, 0xaa, sizeof(ev));
	tap_ok(io(b.cfd, VXK_CTL_NEXT, &ev) == 0 && ev.type == VXK_EV_VRING_KICK && ev.fd >= 0,
	       "NEXT of a KICK: the event was put back, the next NEXT hands it out with its fd");
	a.dev = ev.dev;
	a.seq = ev.seq;
	tap_is(io(b.cfd, VXK_CTL_ACK, &a), 0, "NEXT of a KICK: ... and the ack is taken");
	if (ev.fd >= 0)
		close(ev.fd);
	pthread_join(tk, NULL);
	tap_is(k.ret, 0, "NEXT of a KICK: the VMM's SET_VRING_KICK succeeds");
	/* Put back, a request can be withdrawn again by a signal. */
	set_handler(SIGUSR1, 0);
	nsig = 0;
	pthread_create(&tr, NULL, bg_req_run, &r);
	poll(&p, 1, 5000);
	tap_is(io(b.cfd, VXK_CTL_NEXT, (void *)8), -EFAULT, "NEXT of a request into a bad buffer");
	pthread_kill(tr, SIGUSR1);
	pthread_join(tr, NULL);
	tap_is(r.ret, -EINTR, "put back, a signal withdraws the request again (EINTR)");
	tap_is(io(b.cfd, VXK_CTL_NEXT, &ev), -EAGAIN, "... and the queue is empty");
	signal(SIGUSR1, SIG_DFL);
	close(efd);
	close(fd);
	close(b.cfd);
	tap_is(dm_start(D_ACK), 0, "NEXT cases: daemon re-attached");
}

static void t_flood(void)
{
	int fds[70], i, n = 0, err = 0, ev;

	/* Open/close churn while the daemon reads nothing: the queue stays bounded. */
	dm_stop();
	dm.fd = open(CTL, O_RDWR);
	for (i = 0; i < 2000; i++) {
		int fd = open(DEV, O_RDWR);

		if (fd < 0)
			err++;
		else
			close(fd);
	}
	ev = live("events");
	tap_ok(err == 0 && ev == 0,
	       "flood: 2000 open/close with an idle daemon: %d errors, %d events queued", err, ev);
	for (i = 0; i < 70; i++) {
		fds[i] = open(DEV, O_RDWR);
		if (fds[i] >= 0)
			n++;
		else if (errno != ENOSPC)
			err++;
	}
	tap_ok(n == 64 && err == 0,
	       "flood: devices are capped at max_devices=64 (%d opened), then ENOSPC", n);
	for (i = 0; i < 70; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(dm.fd);
	dm.fd = -1;
	tap_is(live("events"), 0, "flood: closing the daemon drops its queue");
	tap_is(dm_start(D_ACK), 0, "flood: daemon re-attached");
}

/*
 * `kmod_hostile real`: against a running vhost-xdpd (mode=kdev port free).
 * The daemon's own vhost-user checks answer, and their errno reaches the VMM.
 */
static int t_real(void)
{
	size_t sz = 1 << 20;
	int mfd = memfd_create("real", MFD_CLOEXEC), fd = dev_open_owned();
	struct vhost_vring_addr a = {.index = 0};
	struct vhost_vring_state s = {.index = 0};
	uint64_t f = 0;
	uint8_t *p;

	ftruncate(mfd, sz);
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	tap_ok(fd >= 0, "real daemon: open and SET_OWNER");
	tap_is(io(fd, VHOST_GET_FEATURES, &f), 0, "real daemon: GET_FEATURES");
	f &= (1ull << 32) | (1ull << 15);
	tap_is(io(fd, VHOST_SET_FEATURES, &f), 0, "real daemon: SET_FEATURES VERSION_1|MRG_RXBUF");
	tap_is(vring_state(fd, VHOST_GET_VRING_BASE, 1, 0), 0,
	       "real daemon: GET_VRING_BASE before setup");
	tap_is(set_mem(fd, 0, p, sz), 0, "real daemon: memfd table");
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0, "real daemon: SET_VRING_NUM");
	a.desc_user_addr = (uintptr_t)p + sz - 4096; /* 256 descriptors need 4 KiB: fits */
	a.avail_user_addr = (uintptr_t)p;
	a.used_user_addr = (uintptr_t)p + 8192;
	tap_is(io(fd, VHOST_SET_VRING_ADDR, &a), 0, "real daemon: ring inside memory");
	a.desc_user_addr = (uintptr_t)p + sz - 2048; /* crosses the end */
	tap_is(io(fd, VHOST_SET_VRING_ADDR, &a), -EFAULT,
	       "real daemon: ring crossing the table's end is EFAULT (the daemon's errno)");
	/* The daemon resumes from the used index in memory: make it 7. */
	((struct vring_used *)(p + 8192))->idx = 7;
	tap_is(vring_state(fd, VHOST_SET_VRING_NUM, 0, 256), 0, "real daemon: SET_VRING_NUM again");
	tap_is(io(fd, VHOST_GET_VRING_BASE, &s), 0, "real daemon: GET_VRING_BASE");
	tap_is(s.num, 7, "real daemon: ... reports the ring position (used index 7 in memory)");
	tap_is(io(fd, VHOST_RESET_OWNER, NULL), 0, "real daemon: RESET_OWNER");
	close(fd);
	munmap(p, sz);
	close(mfd);
	return tap_done();
}

int main(int argc, char **argv)
{
	int fd, fds0;

	if (access(DEV, F_OK))
		tap_plan_skip_all(DEV " is missing: module not loaded");
	if (argc > 1 && !strcmp(argv[1], "real"))
		return t_real();
	fds0 = nfds();
	t_privilege();
	t_no_daemon();
	tap_is(dm_start(D_ACK), 0, "a daemon attaches");
	t_order();
	t_unprivileged_vmm();
	fd = dev_open_owned();
	tap_ok(fd >= 0, "a device for the argument checks");
	t_sizes(fd);
	t_counts(fd);
	t_fd_types(fd);
	close(fd);
	t_wait();
	t_close_mid();
	t_signals();
	t_daemon_killed();
	t_daemon_gone_queued();
	t_fuzz();
	t_ctl_abuse();
	t_next_unlocked();
	t_flood();
	tap_ok(!dm.bad_pad, "no event came out with non-zero padding");
	dm_stop();
	tap_is(nfds(), fds0, "no fd leaked in this process (every received fd closed)");
	tap_is(live("devices"), 0, "module: no live device");
	tap_is(live("events"), 0, "module: no live event");
	tap_is(live("files"), 0, "module: no file reference held");
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vx-wakelat: what it costs this machine to wake a sleeping thread on one
 * CPU from another, measured the way an event-mode back-end is woken: an
 * eventfd written on one side, epoll_wait returning on the other.
 *
 *   vx-wakelat [--count N] [--rate PER_S] [--cpus A,B]
 *
 * A thread pinned to CPU B sleeps in epoll_wait on eventfd 1; the main
 * thread, pinned to CPU A, writes eventfd 1 and sleeps in epoll_wait on
 * eventfd 2, which the other thread writes as soon as it wakes. One round
 * trip is two wake-ups of a sleeping thread, one on each CPU. Round trips
 * are paced at --rate (default 1000/s, the benchmark's ping rate), so both
 * CPUs go idle in between, as they do under a ping. Prints one line:
 *
 *   wakelat n N p50_us A p99_us B max_us C
 *
 * (round-trip times over N round trips, CLOCK_MONOTONIC). An event-mode
 * vhost-xdpd pays two such wake-ups of its worker per guest round trip that
 * a polling back-end does not: one when the frame arrives from the NIC, one
 * when the guest kicks its reply (docs/results.md, Latency).
 * Exit status: 0 done, 1 set-up failure, 2 bad flags.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct wl_side {
	int efd;	/* written by the other side */
	int epfd;	/* waits on efd */
};

static struct wl_side wl_a, wl_b;
static int wl_cpu_b;

static double wl_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int wl_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int wl_side_open(struct wl_side *s)
{
	struct epoll_event ev = { .events = EPOLLIN };

	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->efd < 0 || s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->efd, &ev))
		return -errno;
	return 0;
}

/* Sleeps until the other side writes; returns the value read (0 = stop). */
static uint64_t wl_wait(const struct wl_side *s)
{
	struct epoll_event ev;
	eventfd_t v = 0;

	while (epoll_wait(s->epfd, &ev, 1, -1) < 1)
		;
	eventfd_read(s->efd, &v);
	return v;
}

static void *wl_echo(void *arg)
{
	(void)arg;
	if (wl_pin(wl_cpu_b))
		return NULL;
	/* 1 is a probe, anything larger the stop signal. */
	while (wl_wait(&wl_b) == 1)
		eventfd_write(wl_a.efd, 1);
	return NULL;
}

static int wl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void wl_usage(void)
{
	fprintf(stderr, "usage: vx-wakelat [--count N] [--rate PER_S] [--cpus A,B]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "count", required_argument, NULL, 'c' },
					      { "rate", required_argument, NULL, 'r' },
					      { "cpus", required_argument, NULL, 'C' },
					      {} };
	unsigned long count = 2000, rate = 1000, i;
	int cpu_a = 0, c;
	double *rtt, start, due, t0;
	pthread_t th;

	wl_cpu_b = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rate = strtoul(optarg, NULL, 0);
			break;
		case 'C':
			if (sscanf(optarg, "%d,%d", &cpu_a, &wl_cpu_b) != 2 || cpu_a < 0 ||
			    wl_cpu_b < 0 || cpu_a >= CPU_SETSIZE || wl_cpu_b >= CPU_SETSIZE) {
				wl_usage();
				return 2;
			}
			break;
		default:
			wl_usage();
			return 2;
		}
	}
	if (!count || !rate || optind != argc) {
		wl_usage();
		return 2;
	}
	rtt = calloc(count, sizeof(*rtt));
	if (!rtt || wl_side_open(&wl_a) || wl_side_open(&wl_b)) {
		perror("vx-wakelat: set-up");
		return 1;
	}
	if (wl_pin(cpu_a) || pthread_create(&th, NULL, wl_echo, NULL)) {
		fprintf(stderr, "vx-wakelat: cannot run on CPUs %d and %d\n", cpu_a, wl_cpu_b);
		return 1;
	}
	start = wl_now_us();
	for (i = 0; i < count; i++) {
		due = start + (double)i * 1e6 / rate;
		while (wl_now_us() < due)
			usleep(50);
		t0 = wl_now_us();
		eventfd_write(wl_b.efd, 1);
		wl_wait(&wl_a);
		rtt[i] = wl_now_us() - t0;
	}
	eventfd_write(wl_b.efd, 2);
	pthread_join(th, NULL);
	qsort(rtt, count, sizeof(*rtt), wl_cmp);
	printf("wakelat n %lu p50_us %.1f p99_us %.1f max_us %.1f\n", count, rtt[count / 2],
	       rtt[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1], rtt[count - 1]);
	free(rtt);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control event loop: one thread, one epoll set, serving every
 * vhost-user socket, the kernel module's event channel, the control socket,
 * signals and timers. Nothing in it blocks: a message is read as far as it
 * has arrived, and a peer that stops in the middle of one is dropped after
 * a timeout (vu_conn.c), so one stalled VMM cannot hold up the others.
 *
 * A watch is an fd and the function called when it is ready. epoll_wait
 * returns one event at a time, so a callback may delete (and free) any
 * watch, its own included, without another event for it being pending.
 */
#ifndef VX_LOOP_H
#define VX_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct vx_watch;
typedef void (*vx_watch_fn)(struct vx_watch *w, uint32_t events);

struct vx_watch {
	int fd;
	vx_watch_fn fn;
	bool added;
};

struct vx_loop {
	int epfd;
};

int vx_loop_init(struct vx_loop *l);
void vx_loop_fini(struct vx_loop *l);
/* Watches fd for events (EPOLLIN, ...); w must live until vx_loop_del. */
int vx_loop_add(struct vx_loop *l, struct vx_watch *w, int fd, uint32_t events, vx_watch_fn fn);
int vx_loop_mod(struct vx_loop *l, struct vx_watch *w, uint32_t events);
/* Stops watching (call before closing the fd); harmless if not added. */
void vx_loop_del(struct vx_loop *l, struct vx_watch *w);
/* Waits up to timeout_ms (-1: no limit) and runs the callback of one ready watch. */
int vx_loop_once(struct vx_loop *l, int timeout_ms);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t vx_now_ms(void);

#endif

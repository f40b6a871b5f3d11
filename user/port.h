/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM port as the control plane sees it: what it was added with, its
 * device (vhost_user.h), and its vhost-user socket (vu_conn.c). Ports are
 * kept by the registry in ports.c, which adds and removes them at runtime.
 */
#ifndef VX_PORT_H
#define VX_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "loop.h"
#include "vhost_user.h"

struct vx_port {
	struct vx_port_cfg cfg;	/* as added, the socket path resolved */
	struct vx_dev *dev;
	struct vx_loop *loop;
	bool from_config;	/* from --config: a reload may remove or change it */
	bool saved;		/* added at runtime (vhost-xdpctl): kept in the --state file */

	/* The vhost-user socket (vu_conn.c). */
	struct vx_watch lw;	/* server mode: the listening socket, while no front-end */
	struct vx_watch cw;	/* the connection */
	struct vu_rx *rx;	/* the message being received, while connected */
	uint64_t msg_since;	/* ms: a message has started and is not complete; 0 = none */
	uint64_t retry_at;	/* client mode: next connection attempt (ms) */
	unsigned int retry_ms;	/* client mode: the current back-off */
	uint64_t connects;	/* front-ends that connected, ever */
};

/* Server mode: creates the listening socket and watches it. Client mode: connects soon. */
int vx_conn_open(struct vx_port *p);
/* Drops the front-end, if any, closes the socket and removes its file (server mode). */
void vx_conn_close(struct vx_port *p);
/* Timers: client-mode reconnection, and a message that stalls half-way. */
void vx_conn_tick(struct vx_port *p, uint64_t now_ms);
/* When vx_conn_tick has something to do next (ms), UINT64_MAX: nothing. */
uint64_t vx_conn_deadline(const struct vx_port *p);
bool vx_conn_connected(const struct vx_port *p);
/* Client mode: the VMM's socket file appeared; try it now rather than after the back-off. */
void vx_conn_retry_now(struct vx_port *p);
/*
 * The vhost-user transport's part of a request: hands m to the device and
 * sends its reply on fd. 0, or -errno when the connection must be dropped.
 */
int vx_conn_dispatch(struct vx_dev *dev, int fd, struct vu_msg *m);

#endif

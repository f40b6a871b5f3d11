/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon: one NIC with its workers, its ports, and the control event
 * loop that serves them (main.c). The control socket (ctl.c) acts on it.
 */
#ifndef VX_DAEMON_H
#define VX_DAEMON_H

#include "cli.h"
#include "loop.h"
#include "ports.h"
#include "worker.h"

struct vx_ctl;

struct vx_daemon {
	struct vx_cfg cfg;
	struct vx_nic nic;
	struct vx_loop loop;
	struct vx_ports ports;
	struct vx_ctl *ctl;
	bool stop;
};

/* Re-reads --config and applies the difference (SIGHUP, `vhost-xdpctl reload`). */
int vx_daemon_reload(struct vx_daemon *d, char *err, size_t len);

/* The control socket (ctl.c): created at cfg.ctl_path, served by the loop. */
int vx_ctl_open(struct vx_daemon *d);
void vx_ctl_tick(struct vx_daemon *d, uint64_t now_ms);
/* When a control client's time runs out (ms), UINT64_MAX: none is connected. */
uint64_t vx_ctl_deadline(struct vx_daemon *d);
void vx_ctl_close(struct vx_daemon *d);

#endif

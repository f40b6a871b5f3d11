/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every port of the daemon, added and removed at runtime: from the command
 * line, the control socket (ctl.c) or the --config file. Runs in the
 * control event loop only. Adding or removing a port pauses the NIC's
 * workers only for the moment its entries change (vx_nic_add_port,
 * vx_nic_del_port), as long as any one vhost-user message does.
 */
#ifndef VX_PORTS_H
#define VX_PORTS_H

#include "port.h"
#include "worker.h"

struct vx_ports {
	struct vx_loop *loop;
	struct vx_nic *nic;
	const char *socket_dir;
	const char *state;	/* --state: the runtime-added ports are saved there; NULL: not */
	struct vx_port **v;
	unsigned int n, cap;
	struct vx_watch kdev_w;	/* /dev/vhost-xdp-ctl, once a kdev port exists */
	struct vx_watch dir_w;	/* inotify on socket_dir, once a client port exists */
};

/*
 * Adds a port (its socket resolved, vx_port_resolve): checks it against the
 * others, creates the device and its socket, and gives it to the NIC. 0, or
 * -errno with the reason in err; nothing is left behind on failure.
 */
int vx_ports_add(struct vx_ports *ps, const struct vx_port_cfg *pc, bool from_config,
		 char *err, size_t len);
/*
 * vhost-xdpctl's port add: vx_ports_add, then the --state file is rewritten
 * with it; if that fails the port is removed again and the add refused.
 */
int vx_ports_add_saved(struct vx_ports *ps, const struct vx_port_cfg *pc, char *err,
		       size_t len);
/*
 * At start, after --port and --config: adds the ports of the --state file.
 * One that is refused (it conflicts with a --port or --config port, its
 * socket is outside --socket-dir...) is logged and left out, and the file is
 * rewritten without it. 0, or -errno when the file cannot be read.
 */
int vx_ports_restore(struct vx_ports *ps, char *err, size_t len);
/*
 * Removes a port: drops its front-end, closes and unlinks its socket, and
 * releases its memory maps, eventfds, steering entry and backlog frames.
 * A port from the --state file is first written out of it: if that fails,
 * nothing is removed and the reason is in err.
 */
int vx_ports_del(struct vx_ports *ps, const char *name, char *err, size_t len);
struct vx_port *vx_ports_find(struct vx_ports *ps, const char *name);
/* Applies a --config file: ports from it that are gone or changed go, new ones come. */
int vx_ports_reload(struct vx_ports *ps, const char *path, char *err, size_t len);
void vx_ports_tick(struct vx_ports *ps, uint64_t now_ms);
/* The earliest time a port's timer is due (ms), UINT64_MAX: none is. */
uint64_t vx_ports_deadline(struct vx_ports *ps);
/* At exit: removes every port, the --state file untouched. */
void vx_ports_del_all(struct vx_ports *ps);

#endif

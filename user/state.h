/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The saved port list (--state): the ports added at runtime with vhost-xdpctl,
 * one --port SPEC a line (vx_port_format), rewritten on every runtime add and
 * del and read again when the daemon starts, so a restart or an upgrade brings
 * them back with the same sockets. Ports from --port and --config are not in
 * it: they come from there again.
 */
#ifndef VX_STATE_H
#define VX_STATE_H

#include <stddef.h>

#include "cli.h"

/*
 * Writes the n ports to path atomically: path.tmp (mode 0600, never through
 * a symlink), renamed over path. A reader, or a daemon killed at any moment,
 * sees the old list or the new one (not fsynced: see state.c). 0 or -errno
 * with the reason in err.
 */
int vx_state_write(const char *path, const struct vx_port_cfg *ports, unsigned int n,
		   char *err, size_t len);
/*
 * Reads a state file: each line is checked like a `port add` SPEC (name=
 * required, the socket confined to dir, vx_port_check) and against the lines
 * before it (vx_port_conflict). A bad line is skipped and counted in *bad with
 * a warning in the log; a missing file is an empty list. *ports (malloc'd,
 * free it; NULL when n is 0). 0, or -errno (the file exists but cannot be
 * read) with the reason in err.
 */
int vx_state_read(const char *path, const char *dir, struct vx_port_cfg **ports,
		  unsigned int *n, unsigned int *bad, char *err, size_t len);

#endif

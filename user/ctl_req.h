/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsing of a control request (include/vhost_xdp/ctl_proto.h). The peer
 * is trusted no more than a VMM: every byte is checked here, before
 * anything is done, and a bad request gets a reason, never a crash.
 */
#ifndef VX_CTL_REQ_H
#define VX_CTL_REQ_H

#include <stddef.h>

#include <vhost_xdp/ctl_proto.h>

#include "stats.h"

enum vx_ctl_verb {
	VX_CTL_PORT_ADD = 1,
	VX_CTL_PORT_DEL,
	VX_CTL_PORT_LIST,
	VX_CTL_PORT_SHOW,
	VX_CTL_STATS,
	VX_CTL_RELOAD,
};

struct vx_ctl_req {
	enum vx_ctl_verb verb;
	char arg[VX_CTL_LINE_MAX];	/* SPEC or NAME */
	enum vx_stats_format fmt;
};

/* 0, or -EINVAL/-E2BIG with the reason in err. buf need not be terminated. */
int vx_ctl_parse(const char *buf, size_t n, struct vx_ctl_req *req, char *err, size_t len);

#endif

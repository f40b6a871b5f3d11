// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: a control-socket request (vx_ctl_parse) on arbitrary bytes,
 * and for `port add` the SPEC it carries through the port parser, the
 * socket confinement, the checks and back out through vx_port_format,
 * whose output must parse to the same port.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctl_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vx_port_cfg p, q;
	struct vx_ctl_req r;
	char err[256], spec[512];
	char *buf;

	if (size > 4 * VX_CTL_LINE_MAX)
		return 0;
	/* An exact-size heap copy: ASan sees any read past the request. */
	buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	if (!vx_ctl_parse(buf, size, &r, err, sizeof(err)) && r.verb == VX_CTL_PORT_ADD &&
	    !vx_port_parse(&p, r.arg, 0, err, sizeof(err)) &&
	    !vx_port_resolve(&p, "/run/vhost-xdp", err, sizeof(err)) &&
	    !vx_port_check(&p, err, sizeof(err))) {
		vx_port_format(&p, spec, sizeof(spec));
		if (vx_port_parse(&q, spec, 0, err, sizeof(err)) ||
		    vx_port_resolve(&q, "/run/vhost-xdp", err, sizeof(err)) ||
		    strcmp(p.path, q.path) || memcmp(p.mac, q.mac, 6) || p.vlan != q.vlan ||
		    p.client != q.client || p.kdev != q.kdev || p.queues != q.queues ||
		    strcmp(p.name, q.name))
			abort();
	}
	free(buf);
	return 0;
}

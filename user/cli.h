/* SPDX-License-Identifier: GPL-2.0 */
/* The command line of vhost-xdpd: parsed and fully validated before anything is set up. */
#ifndef VX_CLI_H
#define VX_CLI_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vhost_xdp/steer_kern_user.h>

#include "log.h"
#include "xsk_port.h"

struct vx_port_cfg {
	char name[16];
	char path[108];		/* sun_path */
	uint8_t mac[6];
	uint16_t vlan;		/* 0 = untagged */
	bool client;
	bool kdev;		/* mode=kdev: served through /dev/vhost-xdp, no socket */
};

struct vx_cfg {
	char nic[IF_NAMESIZE];
	struct vx_port_cfg ports[VX_MAX_PORTS];
	unsigned int nports;
	bool poll;
	bool skb_mode;
	bool cleanup;
	enum vx_xsk_zc zc;
	char stats_file[PATH_MAX];
	unsigned int stats_interval;	/* seconds */
	enum vx_log_level log_level;
};

/*
 * Returns 0 with cfg filled, 1 if --help was printed, or -EINVAL with a
 * one-line reason in err.
 */
int vx_cli_parse(struct vx_cfg *cfg, int argc, char **argv, char *err, size_t errlen);
void vx_cli_usage(FILE *f);

#endif

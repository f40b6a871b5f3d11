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
#include "vhost_user.h"
#include "xsk_port.h"

/* Event mode: how long the worker keeps polling after a busy pass (user/net.h). */
#define VX_BUSY_POLL_DEF_US 50
#define VX_BUSY_POLL_MAX_US 10000

struct vx_port_cfg {
	char name[16];
	char path[108];		/* sun_path */
	uint8_t mac[6];
	uint16_t vlan;		/* 0 = untagged */
	bool client;
	bool dedicated;		/* the NIC queue's UMEM is this guest's memory (user/dq.h) */
	bool tx_inplace;	/* dedicated: guest TX frames read in place (dq.h) */
	bool kdev;		/* mode=kdev: served through /dev/vhost-xdp, no socket */
	uint16_t queues;	/* queue pairs offered; 0 = the default (VX_DEV_MAX_QP) */
};

struct vx_cfg {
	char nic[IF_NAMESIZE];
	struct vx_port_cfg ports[VX_MAX_PORTS];
	unsigned int nports;
	bool poll;
	unsigned int busy_poll_us;	/* event mode; 0 = sleep after every idle pass */
	bool napi_busy_poll;		/* SO_PREFER_BUSY_POLL on the sockets, polled while busy */
	unsigned int workers;	/* worker threads; 0 = one per NIC queue, at most one per CPU */
	int worker_cpu[VX_MAX_WORKERS];	/* worker i runs there; -1 = not pinned */
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

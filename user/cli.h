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
#include "stats.h"
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
	bool named;		/* the SPEC gave name= */
};

/* Where port sockets live unless --socket-dir says otherwise. */
#define VX_SOCKET_DIR_DEF "/run/vhost-xdp"

struct vx_cfg {
	char nic[IF_NAMESIZE];
	struct vx_port_cfg *ports;	/* --port, in order (vx_cli_free) */
	unsigned int nports, ports_cap;
	char socket_dir[PATH_MAX - 128];	/* port sockets must lie directly in it */
	char ctl_path[108];	/* the control socket; "" = socket_dir/NIC.ctl */
	char ctl_group[64];	/* "" = root only */
	char config[PATH_MAX];	/* --config port file; "" = none */
	char state[PATH_MAX];	/* --state: runtime ports saved there; "" = none (--state none) */
	enum vx_stats_format stats_format;
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
 * one-line reason in err. vx_cli_free releases cfg in every case.
 */
int vx_cli_parse(struct vx_cfg *cfg, int argc, char **argv, char *err, size_t errlen);
void vx_cli_free(struct vx_cfg *cfg);

/*
 * One port SPEC (--port, `vhost-xdpctl port add`, a --config line): fills
 * p, named vm<idx> unless it says otherwise. The socket path is resolved
 * later (vx_port_resolve). 0 or -EINVAL with the reason in err.
 */
int vx_port_parse(struct vx_port_cfg *p, const char *spec, unsigned int idx, char *err,
		  size_t len);
/* The rules a port obeys on its own (kdev, dedicated, tx=inplace, queues). */
int vx_port_check(const struct vx_port_cfg *p, char *err, size_t len);
/*
 * Two ports may share neither a name nor a socket. Two vhost-user socket
 * ports may share a MAC and VLAN: a migration pair (README, Live migration);
 * kdev ports may not.
 */
int vx_port_conflict(const struct vx_port_cfg *a, const struct vx_port_cfg *b, char *err,
		     size_t len);
/* Same MAC and VLAN. */
bool vx_port_same_addr(const struct vx_port_cfg *a, const struct vx_port_cfg *b);
/*
 * At most two ports per MAC and VLAN: first and second are ports that
 * already have p's (NULL: none); fails when both are set.
 */
int vx_port_pair_check(const struct vx_port_cfg *p, const struct vx_port_cfg *first,
		       const struct vx_port_cfg *second, char *err, size_t len);
/*
 * p against one port q already there: vx_port_conflict, then the pair rule,
 * with twin[2] (start with both NULL) collecting the ports of p's MAC and
 * VLAN over the calls. Every reader of ports (command line, --config, the
 * state file, ports added at runtime) checks a new port this way.
 */
int vx_port_against(const struct vx_port_cfg *p, const struct vx_port_cfg *q,
		    const struct vx_port_cfg *twin[2], char *err, size_t len);
/*
 * A line of a port file, trimmed in place; NULL for a blank line or a
 * comment (#).
 */
char *vx_port_line(char *line);
/*
 * Confines the socket to dir: socket=NAME means dir/NAME, no socket= means
 * dir/<name>.sock, and an absolute path must name a file directly in dir.
 * No "..", no ".", no further directories (OVS confines vhost-server-path
 * the same way). kdev ports have no socket and are left alone.
 */
int vx_port_resolve(struct vx_port_cfg *p, const char *dir, char *err, size_t len);
/*
 * Reads a --config port file: one SPEC a line, blank lines and # comments
 * skipped. *ports (malloc'd, free it) gets them resolved and checked, or
 * -errno with "FILE:LINE: reason" in err.
 */
int vx_config_read(const char *path, const char *dir, struct vx_port_cfg **ports,
		   unsigned int *n, char *err, size_t len);
/* The port's SPEC as it can be given again (port show, the saved port list). */
void vx_port_format(const struct vx_port_cfg *p, char *buf, size_t len);
void vx_cli_usage(FILE *f);

#endif

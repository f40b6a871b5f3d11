// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reason.h"

void vx_cli_usage(FILE *f)
{
	fputs("Usage: vhost-xdpd --nic IFNAME [--port SPEC ...] [--config FILE] [options]\n"
	      "       vhost-xdpd --cleanup --nic IFNAME\n"
	      "\n"
	      "A vhost-user virtio-net back-end: VM ports on one host NIC, steered by XDP,\n"
	      "served through AF_XDP sockets.\n"
	      "\n"
	      "  --nic IFNAME          the host NIC (required)\n"
	      "  --port SPEC           a VM port; SPEC is comma-separated key=value:\n"
	      "                          socket=PATH   vhost-user socket, in --socket-dir; a\n"
	      "                                        bare file name is taken there (default\n"
	      "                                        NAME.sock; kdev ports have none)\n"
	      "                          mac=MAC       the guest's MAC address (required)\n"
	      "                          name=NAME     for logs and stats (default vm<N>)\n"
	      "                          vlan=ID       802.1Q VLAN 1-4094 (default untagged)\n"
	      "                          mode=server   the daemon creates the socket (default)\n"
	      "                          mode=client   the VMM listens; the daemon connects and\n"
	      "                                        reconnects\n"
	      "                          mode=kdev     no socket: serves the next /dev/vhost-xdp\n"
	      "                                        device a VMM opens (kmod/vhost_xdp.ko)\n"
	      "                          queue=dedicated  the NIC queue belongs to this VM: its\n"
	      "                                        memory is the AF_XDP UMEM, frames are not\n"
	      "                                        copied by the daemon (one untagged port,\n"
	      "                                        a one-queue NIC)\n"
	      "                          tx=inplace    with queue=dedicated: the kernel reads\n"
	      "                                        guest TX frames in place (default tx=copy)\n"
	      "                          queues=N      queue pairs offered to the guest, 1-8\n"
	      "                                        (VIRTIO_NET_F_MQ; default 8, kdev and\n"
	      "                                        dedicated ports 1)\n"
	      "                        Ports can also be added and removed at runtime with\n"
	      "                        vhost-xdpctl(8), or come from --config.\n"
	      "  --config FILE         port file: one SPEC (with name=) a line, # comments;\n"
	      "                        re-read on SIGHUP, and only the difference applied\n"
	      "  --state FILE         ports added with vhost-xdpctl are saved there (rewritten\n"
	      "                        on every add and del) and added again at start, after\n"
	      "                        --port and --config (default DIR/IFNAME.state;\n"
	      "                        'none': not saved)\n"
	      "  --socket-dir DIR      port sockets must lie directly in DIR (default\n"
	      "                        " VX_SOCKET_DIR_DEF ", created if missing)\n"
	      "  --ctl PATH            the control socket (default DIR/IFNAME.ctl)\n"
	      "  --ctl-group GROUP     the control socket is also open to GROUP (default: root\n"
	      "                        only)\n"
	      "  --poll                busy-poll on one core instead of sleeping on events\n"
	      "  --busy-poll USEC      event mode: keep polling this long after a busy pass\n"
	      "                        (default 50, 0-10000; 0 = sleep as soon as idle); the\n"
	      "                        window doubles, up to 1000, while busy periods keep\n"
	      "                        coming back right after it ran out\n"
	      "  --napi-busy-poll      while polling, the worker also runs the NIC's NAPI\n"
	      "                        context for its sockets (SO_PREFER_BUSY_POLL)\n"
	      "  --workers N           worker threads, 1-8 (default: one per NIC queue, at most\n"
	      "                        one per CPU); worker w serves NIC queues and guest\n"
	      "                        queue pairs whose number modulo N is w\n"
	      "  --worker-cpu LIST     pin worker i to the i-th CPU of a comma-separated list\n"
	      "                        (the list repeats if shorter; other threads keep the\n"
	      "                        process's affinity)\n"
	      "  --zero-copy MODE      auto (default: try zero-copy, fall back to copy), on, off\n"
	      "  --skb-mode            attach XDP in generic (skb) mode\n"
	      "  --stats-file PATH     write counters there every --stats-interval and at exit\n"
	      "  --stats-interval SEC  default 1\n"
	      "  --stats-format FMT    text (default), prometheus (node_exporter textfile\n"
	      "                        collector) or json\n"
	      "  --log-level LEVEL     error, warn, info (default) or debug\n"
	      "  -v, --verbose         same as --log-level debug\n"
	      "  --cleanup             remove the XDP program a killed daemon left on --nic\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "Example:\n"
	      "  vhost-xdpd --nic eth1 --port name=vm0,mac=52:54:00:12:34:56\n"
	      "  (the socket is " VX_SOCKET_DIR_DEF "/vm0.sock)\n",
	      f);
}

#define fail(err, len, ...) vx_reason(err, len, -EINVAL, __VA_ARGS__)

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	/* A port answers to one unicast address. */
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) >= sizeof(((struct vx_port_cfg *)0)->name))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static int port_key(struct vx_port_cfg *p, const char *key, const char *val, char *err,
		    size_t len)
{
	unsigned long v;

	if (!strcmp(key, "socket")) {
		if (!*val || strlen(val) >= sizeof(p->path))
			return fail(err, len, "socket path empty or longer than %zu bytes",
				    sizeof(p->path) - 1);
		strcpy(p->path, val);
	} else if (!strcmp(key, "mac")) {
		if (!parse_mac(val, p->mac))
			return fail(err, len, "mac '%s' is not a unicast aa:bb:cc:dd:ee:ff", val);
	} else if (!strcmp(key, "name")) {
		if (!name_ok(val))
			return fail(err, len, "name '%s': use 1-15 of [A-Za-z0-9_-]", val);
		strcpy(p->name, val);
		p->named = true;
	} else if (!strcmp(key, "vlan")) {
		if (!parse_uint(val, 4094, &v) || !v)
			return fail(err, len, "vlan '%s' is not in 1-4094", val);
		p->vlan = (uint16_t)v;
	} else if (!strcmp(key, "mode")) {
		if (strcmp(val, "server") && strcmp(val, "client") && strcmp(val, "kdev"))
			return fail(err, len, "mode '%s': use server, client or kdev", val);
		p->client = !strcmp(val, "client");
		p->kdev = !strcmp(val, "kdev");
	} else if (!strcmp(key, "queue")) {
		if (strcmp(val, "shared") && strcmp(val, "dedicated"))
			return fail(err, len, "queue '%s': use shared or dedicated", val);
		p->dedicated = !strcmp(val, "dedicated");
	} else if (!strcmp(key, "queues")) {
		if (!parse_uint(val, VX_DEV_MAX_QP, &v) || !v)
			return fail(err, len, "queues '%s' is not in 1-%d", val, VX_DEV_MAX_QP);
		p->queues = (uint16_t)v;
	} else if (!strcmp(key, "tx")) {
		if (strcmp(val, "copy") && strcmp(val, "inplace"))
			return fail(err, len, "tx '%s': use copy or inplace", val);
		p->tx_inplace = !strcmp(val, "inplace");
	} else {
		return fail(err, len, "unknown key '%s'", key);
	}
	return 0;
}

int vx_port_parse(struct vx_port_cfg *p, const char *spec, unsigned int idx, char *err,
		  size_t len)
{
	char buf[512], *save = NULL, *kv;
	int e;

	memset(p, 0, sizeof(*p));
	if (strlen(spec) >= sizeof(buf))
		return fail(err, len, "port spec too long");
	snprintf(p->name, sizeof(p->name), "vm%u", idx);
	strcpy(buf, spec);
	for (kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			return fail(err, len, "'%s' is not key=value", kv);
		*eq = 0;
		e = port_key(p, kv, eq + 1, err, len);
		if (e)
			return e;
	}
	/* A kdev port has no socket; its name stands in for the path (both are unique). */
	if (p->kdev) {
		if (p->path[0])
			return fail(err, len, "mode=kdev ports have no socket=");
		strcpy(p->path, "kdev:");
		strcat(p->path, p->name);	/* name: at most 15 bytes */
	}
	if (!(p->mac[0] | p->mac[1] | p->mac[2] | p->mac[3] | p->mac[4] | p->mac[5]))
		return fail(err, len, "mac= is required");
	return 0;
}

static int parse_port(struct vx_cfg *cfg, const char *spec, char *err, size_t len)
{
	struct vx_port_cfg *p;
	int e;

	if (cfg->nports >= VX_MAX_PORTS)
		return fail(err, len, "at most %d ports", VX_MAX_PORTS);
	if (cfg->nports == cfg->ports_cap) {
		unsigned int cap = cfg->ports_cap ? 2 * cfg->ports_cap : 8;

		p = realloc(cfg->ports, cap * sizeof(*p));
		if (!p)
			return fail(err, len, "out of memory");
		cfg->ports = p;
		cfg->ports_cap = cap;
	}
	p = &cfg->ports[cfg->nports];
	e = vx_port_parse(p, spec, cfg->nports, err, len);
	if (e) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		return fail(err, len, "--port %s: %s", spec, why);
	}
	cfg->nports++;
	return 0;
}

int vx_port_check(const struct vx_port_cfg *a, char *err, size_t len)
{
	/* user/dq.h: only one VM's frames may reach guest memory through the queue. */
	if (a->dedicated && a->kdev)
		return fail(err, len, "port %s: queue=dedicated is not supported with mode=kdev yet",
			    a->name);
	if (a->tx_inplace && !a->dedicated)
		return fail(err, len, "port %s: tx=inplace needs queue=dedicated", a->name);
	if ((a->dedicated || a->kdev) && a->queues > 1)
		return fail(err, len, "port %s: queues=%u: %s ports have one queue pair", a->name,
			    a->queues, a->kdev ? "kdev" : "dedicated");
	if (a->dedicated && a->vlan)
		return fail(err, len, "port %s: queue=dedicated needs it to be the NIC's only "
			    "port, untagged", a->name);
	return 0;
}

bool vx_port_same_addr(const struct vx_port_cfg *a, const struct vx_port_cfg *b)
{
	return !memcmp(a->mac, b->mac, 6) && a->vlan == b->vlan;
}

int vx_port_pair_check(const struct vx_port_cfg *p, const struct vx_port_cfg *first,
		       const struct vx_port_cfg *second, char *err, size_t len)
{
	if (!second)
		return 0;
	return fail(err, len, "port %s: ports %s and %s already have its MAC and VLAN (at most "
		    "two ports, a migration pair, may share them)", p->name, first->name,
		    second->name);
}

int vx_port_against(const struct vx_port_cfg *p, const struct vx_port_cfg *q,
		    const struct vx_port_cfg *twin[2], char *err, size_t len)
{
	int e = vx_port_conflict(p, q, err, len);

	if (e)
		return e;
	if (vx_port_same_addr(p, q))
		twin[!!twin[0]] = q;
	return vx_port_pair_check(p, twin[0], twin[1], err, len);
}

char *vx_port_line(char *line)
{
	char *s = line, *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return *s && *s != '#' ? s : NULL;
}

int vx_port_conflict(const struct vx_port_cfg *a, const struct vx_port_cfg *b, char *err,
		     size_t len)
{
	if (!strcmp(a->name, b->name))
		return fail(err, len, "two ports named '%s'", a->name);
	if (a->path[0] && !strcmp(a->path, b->path))
		return fail(err, len, "two ports on socket %s", a->path);
	/* Live migration on this host: two vhost-user ports may share a MAC (vx_port_pair_check). */
	if (vx_port_same_addr(a, b) && (a->kdev || b->kdev))
		return fail(err, len, "ports %s and %s have the same MAC and VLAN (only vhost-user "
			    "socket ports may share one, as a migration pair)", b->name, a->name);
	if (a->dedicated || b->dedicated)
		return fail(err, len, "port %s: queue=dedicated needs it to be the NIC's only port, "
			    "untagged", a->dedicated ? a->name : b->name);
	return 0;
}

static int check_ports(const struct vx_cfg *cfg, char *err, size_t len)
{
	unsigned int i, j;
	int e;

	for (i = 0; i < cfg->nports; i++) {
		const struct vx_port_cfg *twin[2] = { NULL, NULL };

		e = vx_port_check(&cfg->ports[i], err, len);
		for (j = 0; !e && j < i; j++)
			e = vx_port_against(&cfg->ports[i], &cfg->ports[j], twin, err, len);
		if (e)
			return e;
	}
	return 0;
}

int vx_port_resolve(struct vx_port_cfg *p, const char *dir, char *err, size_t len)
{
	const char *base = p->path;
	size_t dl = strlen(dir);
	char path[sizeof(p->path)], def[sizeof(p->name) + 8];

	if (p->kdev)
		return 0;
	if (!p->path[0]) {
		snprintf(def, sizeof(def), "%s.sock", p->name);
		base = def;
	} else if (p->path[0] == '/') {
		if (strncmp(p->path, dir, dl) || p->path[dl] != '/')
			return fail(err, len, "port %s: socket %s is not in the socket directory %s "
				    "(--socket-dir)", p->name, p->path, dir);
		base = p->path + dl + 1;
	}
	if (!*base || strchr(base, '/') || !strcmp(base, ".") || !strcmp(base, ".."))
		return fail(err, len, "port %s: socket '%s' must name a file directly in %s",
			    p->name, p->path[0] ? p->path : base, dir);
	if (dl + 1 + strlen(base) >= sizeof(p->path))
		return fail(err, len, "port %s: socket path %s/%s longer than %zu bytes", p->name,
			    dir, base, sizeof(p->path) - 1);
	snprintf(path, sizeof(path), "%s/%s", dir, base);
	strcpy(p->path, path);
	return 0;
}

int vx_config_read(const char *path, const char *dir, struct vx_port_cfg **ports,
		   unsigned int *n, char *err, size_t len)
{
	struct vx_cfg c = { 0 };
	char line[600], why[400];
	unsigned int ln = 0, j;
	FILE *f = fopen(path, "re");
	int e = 0;

	*ports = NULL;
	*n = 0;
	if (!f)
		return fail(err, len, "%s: %s", path, strerror(errno)), -errno;
	while (!e && fgets(line, sizeof(line), f)) {
		const struct vx_port_cfg *twin[2] = { NULL, NULL };
		char *s;

		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			e = fail(why, sizeof(why), "line too long");
			break;
		}
		s = vx_port_line(line);
		if (!s)
			continue;
		e = parse_port(&c, s, why, sizeof(why));
		/* A default name would change with the line's place, and a reload with it. */
		if (!e && !c.ports[c.nports - 1].named)
			e = fail(why, sizeof(why), "name= is required in a port file");
		if (!e)
			e = vx_port_resolve(&c.ports[c.nports - 1], dir, why, sizeof(why));
		if (!e)
			e = vx_port_check(&c.ports[c.nports - 1], why, sizeof(why));
		for (j = 0; !e && j + 1 < c.nports; j++)
			e = vx_port_against(&c.ports[c.nports - 1], &c.ports[j], twin, why,
					    sizeof(why));
	}
	fclose(f);
	if (e) {
		free(c.ports);
		return fail(err, len, "%s:%u: %s", path, ln, why);
	}
	*ports = c.ports;
	*n = c.nports;
	return 0;
}

void vx_port_format(const struct vx_port_cfg *p, char *buf, size_t len)
{
	int n = snprintf(buf, len, "name=%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", p->name,
			 p->mac[0], p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5]);

#define APPEND(...)                                                      \
	do {                                                             \
		if (n >= 0 && (size_t)n < len)                           \
			n += snprintf(buf + n, len - (size_t)n, __VA_ARGS__); \
	} while (0)
	if (p->kdev)
		APPEND(",mode=kdev");
	else
		APPEND(",socket=%s%s", p->path, p->client ? ",mode=client" : "");
	if (p->vlan)
		APPEND(",vlan=%u", p->vlan);
	if (p->dedicated)
		APPEND(",queue=dedicated%s", p->tx_inplace ? ",tx=inplace" : "");
	if (p->queues)
		APPEND(",queues=%u", p->queues);
#undef APPEND
}

void vx_cli_free(struct vx_cfg *cfg)
{
	free(cfg->ports);
	cfg->ports = NULL;
	cfg->nports = cfg->ports_cap = 0;
}

enum {
	OPT_NIC = 256,
	OPT_PORT,
	OPT_POLL,
	OPT_BUSY_POLL,
	OPT_NAPI_BUSY_POLL,
	OPT_WORKERS,
	OPT_WORKER_CPU,
	OPT_ZC,
	OPT_SKB,
	OPT_STATS,
	OPT_STATS_INT,
	OPT_LOG,
	OPT_CLEANUP,
	OPT_SOCKET_DIR,
	OPT_CTL,
	OPT_CTL_GROUP,
	OPT_CONFIG,
	OPT_STATS_FORMAT,
	OPT_STATE,
};

static const struct option vx_options[] = {
	{ "nic", required_argument, NULL, OPT_NIC },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "poll", no_argument, NULL, OPT_POLL },
	{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
	{ "napi-busy-poll", no_argument, NULL, OPT_NAPI_BUSY_POLL },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "worker-cpu", required_argument, NULL, OPT_WORKER_CPU },
	{ "zero-copy", required_argument, NULL, OPT_ZC },
	{ "skb-mode", no_argument, NULL, OPT_SKB },
	{ "stats-file", required_argument, NULL, OPT_STATS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INT },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "cleanup", no_argument, NULL, OPT_CLEANUP },
	{ "socket-dir", required_argument, NULL, OPT_SOCKET_DIR },
	{ "ctl", required_argument, NULL, OPT_CTL },
	{ "ctl-group", required_argument, NULL, OPT_CTL_GROUP },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "stats-format", required_argument, NULL, OPT_STATS_FORMAT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* "1" or "1,3,2": worker i gets the i-th; a shorter list repeats. */
static int parse_cpus(struct vx_cfg *cfg, const char *arg, char *err, size_t len)
{
	char buf[128], *save = NULL, *tok;
	int cpus[VX_MAX_WORKERS];
	unsigned int n = 0, i;
	unsigned long v;

	if (strlen(arg) >= sizeof(buf))
		return fail(err, len, "--worker-cpu: list too long");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == VX_MAX_WORKERS)
			return fail(err, len, "--worker-cpu: at most %d CPUs", VX_MAX_WORKERS);
		if (!parse_uint(tok, CPU_SETSIZE - 1, &v))
			return fail(err, len, "--worker-cpu: '%s' is not a CPU number", tok);
		cpus[n++] = (int)v;
	}
	if (!n || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,") || arg[0] == ',')
		return fail(err, len, "--worker-cpu: '%s' is not a comma-separated CPU list", arg);
	for (i = 0; i < VX_MAX_WORKERS; i++)
		cfg->worker_cpu[i] = cpus[i % n];
	return 0;
}

static int parse_opt(struct vx_cfg *cfg, int c, const char *arg, char *err, size_t len)
{
	static const char *const levels[] = { "error", "warn", "info", "debug" };
	unsigned long v;
	unsigned int i;

	switch (c) {
	case OPT_NIC:
		if (!*arg || strlen(arg) >= sizeof(cfg->nic))
			return fail(err, len, "--nic: '%s' is not an interface name", arg);
		strcpy(cfg->nic, arg);
		return 0;
	case OPT_PORT:
		return parse_port(cfg, arg, err, len);
	case OPT_POLL:
		cfg->poll = true;
		return 0;
	case OPT_BUSY_POLL:
		if (!parse_uint(arg, VX_BUSY_POLL_MAX_US, &v))
			return fail(err, len, "--busy-poll: '%s' is not 0-%u microseconds", arg,
				    VX_BUSY_POLL_MAX_US);
		cfg->busy_poll_us = (unsigned int)v;
		return 0;
	case OPT_NAPI_BUSY_POLL:
		cfg->napi_busy_poll = true;
		return 0;
	case OPT_WORKERS:
		if (!parse_uint(arg, VX_MAX_WORKERS, &v) || !v)
			return fail(err, len, "--workers: '%s' is not 1-%d", arg, VX_MAX_WORKERS);
		cfg->workers = (unsigned int)v;
		return 0;
	case OPT_WORKER_CPU:
		return parse_cpus(cfg, arg, err, len);
	case OPT_ZC:
		if (!strcmp(arg, "auto"))
			cfg->zc = VX_XSK_ZC_AUTO;
		else if (!strcmp(arg, "on"))
			cfg->zc = VX_XSK_ZC_ON;
		else if (!strcmp(arg, "off"))
			cfg->zc = VX_XSK_ZC_OFF;
		else
			return fail(err, len, "--zero-copy: '%s': use auto, on or off", arg);
		return 0;
	case OPT_SKB:
		cfg->skb_mode = true;
		return 0;
	case OPT_STATS:
		if (!*arg || strlen(arg) >= sizeof(cfg->stats_file))
			return fail(err, len, "--stats-file: bad path");
		strcpy(cfg->stats_file, arg);
		return 0;
	case OPT_STATS_INT:
		if (!parse_uint(arg, 3600, &v) || !v)
			return fail(err, len, "--stats-interval: '%s' is not 1-3600 seconds", arg);
		cfg->stats_interval = (unsigned int)v;
		return 0;
	case OPT_LOG:
		for (i = 0; i < 4; i++)
			if (!strcmp(arg, levels[i]))
				break;
		if (i == 4)
			return fail(err, len, "--log-level: '%s': use error, warn, info or debug",
				    arg);
		cfg->log_level = (enum vx_log_level)i;
		return 0;
	case 'v':
		cfg->log_level = VX_LOG_DEBUG;
		return 0;
	case OPT_CLEANUP:
		cfg->cleanup = true;
		return 0;
	case OPT_SOCKET_DIR:
		/* Absolute and plain: the confinement compares strings (vx_port_resolve). */
		if (arg[0] != '/' || strlen(arg) >= sizeof(cfg->socket_dir) || strstr(arg, "/./") ||
		    strstr(arg, "/../") || strstr(arg, "//"))
			return fail(err, len, "--socket-dir: '%s' is not an absolute path without "
				    "'.', '..' or '//'", arg);
		strcpy(cfg->socket_dir, arg);
		while (strlen(cfg->socket_dir) > 1 && cfg->socket_dir[strlen(cfg->socket_dir) - 1] == '/')
			cfg->socket_dir[strlen(cfg->socket_dir) - 1] = 0;
		if (!strcmp(cfg->socket_dir, "/") || strstr(cfg->socket_dir, "/.."))
			return fail(err, len, "--socket-dir: '%s' cannot be a socket directory", arg);
		return 0;
	case OPT_CTL:
		if (arg[0] != '/' || strlen(arg) >= sizeof(cfg->ctl_path))
			return fail(err, len, "--ctl: '%s' is not an absolute path under %zu bytes", arg,
				    sizeof(cfg->ctl_path));
		strcpy(cfg->ctl_path, arg);
		return 0;
	case OPT_CTL_GROUP:
		if (!*arg || strlen(arg) >= sizeof(cfg->ctl_group))
			return fail(err, len, "--ctl-group: '%s' is not a group name", arg);
		strcpy(cfg->ctl_group, arg);
		return 0;
	case OPT_CONFIG:
		if (!*arg || strlen(arg) >= sizeof(cfg->config))
			return fail(err, len, "--config: bad path");
		strcpy(cfg->config, arg);
		return 0;
	case OPT_STATE:
		/* Absolute, so "none" can never be a file name. */
		if (strcmp(arg, "none") && (arg[0] != '/' || strlen(arg) + 4 >= sizeof(cfg->state)))
			return fail(err, len, "--state: '%s' is not an absolute path or none", arg);
		snprintf(cfg->state, sizeof(cfg->state), "%s", arg);
		return 0;
	case OPT_STATS_FORMAT:
		if (!strcmp(arg, "text"))
			cfg->stats_format = VX_STATS_TEXT;
		else if (!strcmp(arg, "prometheus"))
			cfg->stats_format = VX_STATS_PROMETHEUS;
		else if (!strcmp(arg, "json"))
			cfg->stats_format = VX_STATS_JSON;
		else
			return fail(err, len, "--stats-format: '%s': use text, prometheus or json", arg);
		return 0;
	}
	return fail(err, len, "unknown option (see --help)");
}

int vx_cli_parse(struct vx_cfg *cfg, int argc, char **argv, char *err, size_t errlen)
{
	int c, e;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->socket_dir, VX_SOCKET_DIR_DEF);
	cfg->stats_interval = 1;
	cfg->busy_poll_us = VX_BUSY_POLL_DEF_US;
	for (c = 0; c < VX_MAX_WORKERS; c++)
		cfg->worker_cpu[c] = -1;
	cfg->log_level = VX_LOG_INFO;
	optind = 0;	/* 0, not 1: glibc then also forgets a half-parsed option cluster */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", vx_options, NULL)) != -1) {
		if (c == 'h') {
			vx_cli_usage(stdout);
			return 1;
		}
		if (c == '?')
			return fail(err, errlen, "unknown option or missing value: '%s' (see --help)",
				    argv[optind - 1]);
		e = parse_opt(cfg, c, optarg, err, errlen);
		if (e)
			return e;
	}
	if (optind < argc)
		return fail(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!cfg->nic[0])
		return fail(err, errlen, "--nic is required (see --help)");
	if (cfg->cleanup)
		return 0;
	for (c = 0; c < (int)cfg->nports; c++) {
		e = vx_port_resolve(&cfg->ports[c], cfg->socket_dir, err, errlen);
		if (e)
			return e;
	}
	if (!cfg->ctl_path[0] &&
	    snprintf(cfg->ctl_path, sizeof(cfg->ctl_path), "%s/%s.ctl", cfg->socket_dir, cfg->nic) >=
		    (int)sizeof(cfg->ctl_path))
		return fail(err, errlen, "control socket path %s/%s.ctl is too long (--ctl)",
			    cfg->socket_dir, cfg->nic);
	if (!cfg->state[0])
		snprintf(cfg->state, sizeof(cfg->state), "%s/%s.state", cfg->socket_dir, cfg->nic);
	else if (!strcmp(cfg->state, "none"))
		cfg->state[0] = 0;
	return check_ports(cfg, err, errlen);
}

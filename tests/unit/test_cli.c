// SPDX-License-Identifier: GPL-2.0
/* vx_cli_parse: every malformed command line is refused with a reason, before anything runs. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "tap.h"

#define MAXARGS 32

static struct vx_cfg cfg;
static char err[256];

/* Parses a NULL-terminated argument list (copied: getopt permutes argv). */
static int parse_v(const char *first, va_list ap)
{
	static char store[MAXARGS][600];
	char *argv[MAXARGS + 1];
	const char *a;
	int argc = 0;

	snprintf(store[argc], sizeof(store[0]), "vhost-xdpd");
	argv[argc] = store[argc];
	argc++;
	/* The tests' sockets are in /tmp; the confinement itself is tested with its own dir. */
	snprintf(store[argc], sizeof(store[0]), "--socket-dir=/tmp");
	argv[argc] = store[argc];
	argc++;
	for (a = first; a && argc < MAXARGS; a = va_arg(ap, const char *)) {
		snprintf(store[argc], sizeof(store[0]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	argv[argc] = NULL;
	err[0] = 0;
	vx_cli_free(&cfg); /* the previous parse's ports: vx_cli_parse starts afresh */
	return vx_cli_parse(&cfg, argc, argv, err, sizeof(err));
}

static int parse(const char *first, ...)
{
	va_list ap;
	int r;

	va_start(ap, first);
	r = parse_v(first, ap);
	va_end(ap);
	return r;
}

/* --help prints to stdout; keep it out of the TAP stream. */
static int parse_quiet(const char *first, ...)
{
	int saved, devnull, r;
	va_list ap;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, STDOUT_FILENO);
	va_start(ap, first);
	r = parse_v(first, ap);
	va_end(ap);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(devnull);
	return r;
}

#define P0 "socket=/tmp/vm0.sock,mac=52:54:00:12:34:56"
#define P1 "socket=/tmp/vm1.sock,mac=52:54:00:12:34:57"

/* A refusal must say why. */
static void refused(int r, const char *what)
{
	tap_ok(r == -EINVAL && err[0], "%s", what);
	if (r != -EINVAL)
		tap_diag("  returned %d", r);
	else
		tap_diag("  %s", err);
}

static void test_valid(void)
{
#define p (&cfg.ports[0]) /* ports move with each parse */

	tap_is(parse("--nic", "eth0", "--port", P0, NULL), 0, "minimal command line");
	tap_ok(!strcmp(cfg.nic, "eth0") && cfg.nports == 1 && !strcmp(p->name, "vm0") &&
		   !strcmp(p->path, "/tmp/vm0.sock") && p->mac[0] == 0x52 && p->mac[5] == 0x56 &&
		   p->vlan == 0 && !p->client,
	       "  ... defaults: name vm0, untagged, server");
	tap_ok(!cfg.poll && !cfg.skb_mode && !cfg.cleanup && cfg.zc == VX_XSK_ZC_AUTO &&
		   cfg.stats_interval == 1 && cfg.log_level == VX_LOG_INFO && !cfg.stats_file[0] &&
		   cfg.busy_poll_us == VX_BUSY_POLL_DEF_US && cfg.worker_cpu[0] == -1 &&
		   cfg.worker_cpu[VX_MAX_WORKERS - 1] == -1 && cfg.workers == 0 && p->queues == 0,
	       "  ... option defaults");
	tap_is(parse("--nic", "eth1", "--port",
		     "name=web-1,socket=/tmp/a.sock,mac=02:00:00:00:00:01,vlan=4094,mode=client",
		     "--port", P1, "--poll", "--zero-copy", "off", "--skb-mode", "--stats-file",
		     "/tmp/s", "--stats-interval", "5", "--log-level", "warn", NULL),
	       0, "every option and key");
	tap_ok(cfg.nports == 2 && !strcmp(p->name, "web-1") && p->vlan == 4094 && p->client &&
		   p->mac[0] == 2 && p->mac[5] == 1 && !strcmp(cfg.ports[1].name, "vm1"),
	       "  ... port keys parsed, second port named vm1");
	tap_ok(cfg.poll && cfg.skb_mode && cfg.zc == VX_XSK_ZC_OFF && cfg.stats_interval == 5 &&
		   cfg.log_level == VX_LOG_WARN && !strcmp(cfg.stats_file, "/tmp/s"),
	       "  ... options parsed");
	tap_is(parse("--port=" P0, "--nic=eth0", "-v", "--zero-copy=on", NULL), 0,
	       "--opt=value forms, any order");
	tap_ok(cfg.log_level == VX_LOG_DEBUG && cfg.zc == VX_XSK_ZC_ON, "  ... -v is debug");
	tap_ok(parse("--nic", "eth0", "--port", "mac=AA:bb:cc:dd:ee:f0,socket=/tmp/x", NULL) == 0 &&
		   cfg.ports[0].mac[0] == 0xaa,
	       "upper- and lower-case MAC, keys in any order");
	tap_ok(parse("--nic", "eth0", "--port", P0, "--port",
		     "socket=/tmp/vm1.sock,mac=52:54:00:12:34:56,vlan=5", NULL) == 0,
	       "same MAC on another VLAN is fine");
	tap_ok(parse("--nic", "eth0", "--port", "socket=/tmp/s,mac=52:54:00:12:34:56,vlan=1", NULL) ==
		       0 &&
		   cfg.ports[0].vlan == 1,
	       "vlan 1");
#undef p
}

static void test_ports(void)
{
	char longpath[200], spec[300];

	tap_is(parse("--nic", "eth0", NULL), 0, "no --port: ports can come at runtime");
	tap_ok(cfg.nports == 0 && !strcmp(cfg.ctl_path, "/tmp/eth0.ctl"),
	       "  ... control socket defaults to SOCKET_DIR/NIC.ctl");
	refused(parse("--port", P0, NULL), "no --nic");
	tap_ok(parse("--nic", "eth0", "--port", "name=web,mac=52:54:00:12:34:56", NULL) == 0 &&
		   !strcmp(cfg.ports[0].path, "/tmp/web.sock"),
	       "no socket=: SOCKET_DIR/NAME.sock");
	refused(parse("--nic", "eth0", "--port", "socket=/tmp/a", NULL), "missing mac=");
	refused(parse("--nic", "eth0", "--port", "", NULL), "empty spec");
	refused(parse("--nic", "eth0", "--port", "socket=,mac=52:54:00:12:34:56", NULL),
		"empty socket path");
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "/tmp/", 5);
	longpath[108] = 0; /* 108 chars: one more than sun_path holds with its NUL */
	snprintf(spec, sizeof(spec), "socket=%s,mac=52:54:00:12:34:56", longpath);
	refused(parse("--nic", "eth0", "--port", spec, NULL), "socket path of 108 bytes");
	longpath[107] = 0;
	snprintf(spec, sizeof(spec), "socket=%s,mac=52:54:00:12:34:56", longpath);
	tap_is(parse("--nic", "eth0", "--port", spec, NULL), 0, "socket path of 107 bytes");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=01:00:5e:00:00:01", NULL),
		"multicast MAC");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=ff:ff:ff:ff:ff:ff", NULL),
		"broadcast MAC");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=00:00:00:00:00:00", NULL),
		"all-zero MAC");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=52:54:00:12:34", NULL),
		"short MAC");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=52:54:00:12:34:56:78", NULL),
		"long MAC");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=52:54:00:12:34:5g", NULL),
		"MAC with a non-hex digit");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=zz", NULL), "garbage MAC");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=52-54-00-12-34-56", NULL),
		"MAC with dashes");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=5:54:00:12:34:56:", NULL),
		"MAC with a short group");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=52:54:00:12:34:56x", NULL),
		"MAC with trailing garbage");
	refused(parse("--nic", "eth0", "--port", "socket=/a,mac=", NULL), "empty MAC");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=0", NULL), "vlan 0");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=4095", NULL), "vlan 4095");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=abc", NULL), "vlan abc");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=-1", NULL), "vlan -1");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan= 5", NULL), "vlan with a space");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=5x", NULL), "vlan 5x");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=99999999999999999999999", NULL),
		"vlan overflowing");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=", NULL), "empty vlan");
	refused(parse("--nic", "eth0", "--port", P0 ",color=red", NULL), "unknown key");
	refused(parse("--nic", "eth0", "--port", P0 ",mode=both", NULL), "unknown mode");
	refused(parse("--nic", "eth0", "--port", P0 ",name=", NULL), "empty name");
	refused(parse("--nic", "eth0", "--port", P0 ",name=a-name-of-16-chr", NULL),
		"name of 16 characters");
	refused(parse("--nic", "eth0", "--port", P0 ",name=a/b", NULL), "name with a slash");
	refused(parse("--nic", "eth0", "--port", P0 ",name=a b", NULL), "name with a space");
	refused(parse("--nic", "eth0", "--port", P0 ",novalue", NULL), "key without a value");
	refused(parse("--nic", "eth0", "--port", P0 ",name=x", "--port", P1 ",name=x", NULL),
		"duplicate names");
	refused(parse("--nic", "eth0", "--port", P0 ",name=vm1", "--port", P1, NULL),
		"explicit name equal to a default name");
	refused(parse("--nic", "eth0", "--port", P0, "--port",
		      "socket=/tmp/vm0.sock,mac=52:54:00:12:34:57", NULL),
		"duplicate sockets");
	tap_is(parse("--nic", "eth0", "--port", P0, "--port",
		     "socket=/tmp/vm1.sock,mac=52:54:00:12:34:56", NULL),
	       0, "two ports of one MAC: a migration pair");
	refused(parse("--nic", "eth0", "--port", P0 ",vlan=7", "--port",
		      "socket=/tmp/vm1.sock,mac=52:54:00:12:34:56,vlan=7", "--port",
		      "socket=/tmp/vm2.sock,mac=52:54:00:12:34:56,vlan=7", NULL),
		"a third port of one MAC + VLAN");
	memset(spec, 'x', sizeof(spec));
	spec[sizeof(spec) - 1] = 0;
	refused(parse("--nic", "eth0", "--port", spec, NULL), "long garbage spec");
}

static void test_max_ports(void)
{
	static char specs[VX_MAX_PORTS + 1][80];
	static char *argv[2 * (VX_MAX_PORTS + 1) + 4 + 1]; /* and the NULL after them */
	char prog[] = "vhost-xdpd", nic[] = "--nic", eth[] = "eth0", port[] = "--port";
	char sdir[] = "--socket-dir=/tmp";
	int argc = 0, i;

	argv[argc++] = prog;
	argv[argc++] = sdir;
	argv[argc++] = nic;
	argv[argc++] = eth;
	for (i = 0; i <= VX_MAX_PORTS; i++) {
		snprintf(specs[i], sizeof(specs[i]), "socket=/tmp/p%d,mac=02:00:00:00:%02x:%02x", i,
			 i >> 8, i & 0xff);
		argv[argc++] = port;
		argv[argc++] = specs[i];
	}
	argv[argc] = NULL;
	vx_cli_free(&cfg);
	tap_is(vx_cli_parse(&cfg, argc - 2, argv, err, sizeof(err)), 0, "VX_MAX_PORTS ports");
	tap_is(cfg.nports, VX_MAX_PORTS, "  ... all there");
	vx_cli_free(&cfg);
	refused(vx_cli_parse(&cfg, argc, argv, err, sizeof(err)), "VX_MAX_PORTS + 1 ports");
}

static void test_options(void)
{
	char longnic[40];

	refused(parse("--nic", "eth0", "--port", P0, "--bogus", NULL), "unknown option");
	refused(parse("--nic", "eth0", "--port", P0, "-x", NULL), "unknown short option");
	refused(parse("--nic", "eth0", "--port", P0, "stray", NULL), "stray argument");
	refused(parse("--nic", NULL), "--nic without a value");
	refused(parse("--nic", "eth0", "--port", NULL), "--port without a value");
	refused(parse("--nic", "", "--port", P0, NULL), "empty --nic");
	memset(longnic, 'e', sizeof(longnic));
	longnic[IF_NAMESIZE] = 0; /* 16 chars: one too many */
	refused(parse("--nic", longnic, "--port", P0, NULL), "--nic of 16 characters");
	refused(parse("--nic", "eth0", "--port", P0, "--zero-copy", "maybe", NULL),
		"--zero-copy maybe");
	refused(parse("--nic", "eth0", "--port", P0, "--log-level", "loud", NULL),
		"--log-level loud");
	refused(parse("--nic", "eth0", "--port", P0, "--stats-interval", "0", NULL),
		"--stats-interval 0");
	refused(parse("--nic", "eth0", "--port", P0, "--stats-interval", "3601", NULL),
		"--stats-interval 3601");
	refused(parse("--nic", "eth0", "--port", P0, "--stats-interval", "-1", NULL),
		"--stats-interval -1");
	refused(parse("--nic", "eth0", "--port", P0, "--stats-file", "", NULL),
		"empty --stats-file");
	refused(parse("--nic", "eth0", "--port", P0, "--poll=yes", NULL), "--poll with a value");
	tap_ok(parse("--nic", "eth0", "--port", P0, "--busy-poll", "0", NULL) == 0 &&
		   cfg.busy_poll_us == 0,
	       "--busy-poll 0 turns spinning off");
	tap_ok(parse("--nic", "eth0", "--port", P0, "--busy-poll=10000", NULL) == 0 &&
		   cfg.busy_poll_us == 10000,
	       "--busy-poll 10000 is the maximum");
	refused(parse("--nic", "eth0", "--port", P0, "--busy-poll", "10001", NULL),
		"--busy-poll 10001");
	refused(parse("--nic", "eth0", "--port", P0, "--busy-poll", "1e3", NULL),
		"--busy-poll 1e3");
	refused(parse("--nic", "eth0", "--port", P0, "--busy-poll", NULL), "--busy-poll without a value");
	tap_ok(parse("--nic", "eth0", "--port", P0 ",queue=dedicated,tx=inplace", NULL) == 0 &&
		   cfg.ports[0].dedicated && cfg.ports[0].tx_inplace,
	       "queue=dedicated,tx=inplace");
	tap_ok(parse("--nic", "eth0", "--port", P0 ",queue=dedicated", NULL) == 0 &&
		   cfg.ports[0].dedicated && !cfg.ports[0].tx_inplace,
	       "queue=dedicated: TX copied by default");
	tap_ok(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "1", NULL) == 0 &&
		   cfg.worker_cpu[0] == 1 && cfg.worker_cpu[VX_MAX_WORKERS - 1] == 1,
	       "--worker-cpu 1: every worker there");
	tap_ok(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "1,0,3", NULL) == 0 &&
		   cfg.worker_cpu[0] == 1 && cfg.worker_cpu[1] == 0 && cfg.worker_cpu[2] == 3 &&
		   cfg.worker_cpu[3] == 1,
	       "--worker-cpu 1,0,3: worker i on the i-th, the list repeats");
	refused(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "1,", NULL), "--worker-cpu 1,");
	refused(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "1,,2", NULL),
		"--worker-cpu 1,,2");
	refused(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "0,1,2,3,4,5,6,7,8", NULL),
		"--worker-cpu with 9 CPUs");
	tap_ok(parse("--nic", "eth0", "--port", P0, "--workers", "4", NULL) == 0 && cfg.workers == 4,
	       "--workers 4");
	refused(parse("--nic", "eth0", "--port", P0, "--workers", "0", NULL), "--workers 0");
	refused(parse("--nic", "eth0", "--port", P0, "--workers", "9", NULL), "--workers 9");
	tap_ok(parse("--nic", "eth0", "--port", P0 ",queues=4", NULL) == 0 &&
		   cfg.ports[0].queues == 4,
	       "queues=4");
	refused(parse("--nic", "eth0", "--port", P0 ",queues=0", NULL), "queues=0");
	refused(parse("--nic", "eth0", "--port", P0 ",queues=9", NULL), "queues=9");
	refused(parse("--nic", "eth0", "--port", P0 ",queue=dedicated,queues=2", NULL),
		"queue=dedicated with queues=2");
	refused(parse("--nic", "eth0", "--port", "name=k0,mode=kdev,mac=52:54:00:00:00:02,queues=2",
		      NULL),
		"mode=kdev with queues=2");
	refused(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "-1", NULL), "--worker-cpu -1");
	refused(parse("--nic", "eth0", "--port", P0, "--worker-cpu", "99999", NULL),
		"--worker-cpu beyond CPU_SETSIZE");
	refused(parse("--nic", "eth0", "--port", P0 ",tx=inplace", NULL),
		"tx=inplace without queue=dedicated");
	refused(parse("--nic", "eth0", "--port", P0 ",queue=private", NULL), "queue=private");
	refused(parse("--nic", "eth0", "--port", P0 ",queue=dedicated,vlan=3", NULL),
		"a dedicated VLAN port");
	refused(parse("--nic", "eth0", "--port", P0 ",queue=dedicated", "--port", P1, NULL),
		"a dedicated port next to another");

	tap_is(parse_quiet("--help", NULL), 1, "--help returns 1");
	tap_is(parse_quiet("--nic", "eth0", "-h", NULL), 1, "-h returns 1");
	tap_is(parse_quiet("--bogus", "--help", NULL), -EINVAL, "an error before --help wins");

	tap_ok(parse("--cleanup", "--nic", "eth0", NULL) == 0 && cfg.cleanup && cfg.nports == 0,
	       "--cleanup with only --nic");
	refused(parse("--cleanup", NULL), "--cleanup without --nic");
	tap_ok(parse("--nic", "eth0", "--port", P0, NULL) == 0 && !cfg.cleanup,
	       "a later parse starts from a clean config");
}

/* getopt keeps state between calls; a parse cut short must not leak into the next one. */
static void test_reparse(void)
{
	tap_is(parse_quiet("-hv", NULL), 1, "-hv: help");
	tap_ok(parse("--nic", "eth0", "--port", P0, NULL) == 0 && cfg.log_level == VX_LOG_INFO,
	       "the next parse does not see the pending -v");
}

/* mode=kdev: a port served through /dev/vhost-xdp needs no socket. */
static void test_kdev(void)
{
	tap_ok(parse("--nic", "eth0", "--port", "name=k0,mode=kdev,mac=52:54:00:00:00:02", "--port",
		     "mode=kdev,mac=52:54:00:00:00:03", NULL) == 0 &&
		       cfg.ports[0].kdev && !cfg.ports[0].client && cfg.ports[1].kdev &&
		       !strcmp(cfg.ports[0].path, "kdev:k0") && !strcmp(cfg.ports[1].path, "kdev:vm1"),
	       "mode=kdev without socket=, two such ports");
	refused(parse("--nic", "eth0", "--port", "mode=kdev", NULL), "mode=kdev still needs mac=");
	refused(parse("--nic", "eth0", "--port", "mode=kdev,mac=52:54:00:00:00:02", "--port",
		      "mode=kdev,mac=52:54:00:00:00:02", NULL),
		"two kdev ports with the same MAC");
	refused(parse("--nic", "eth0", "--port", "mode=kernel,mac=52:54:00:00:00:02", NULL),
		"unknown mode");
}

int main(void)
{
	vx_log_set_level(VX_LOG_ERROR);
	test_valid();
	test_ports();
	test_max_ports();
	test_options();
	test_reparse();
	test_kdev();
	vx_cli_free(&cfg);
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane's parsers, which take what root's peers on the control
 * socket and the --config file say: the request line (vx_ctl_parse), a
 * port SPEC, the socket confinement (vx_port_resolve), the port file
 * (vx_config_read) and the SPEC printed back (vx_port_format).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl_req.h"
#include "tap.h"

static char err[512];

static int req(const char *line, struct vx_ctl_req *r)
{
	err[0] = 0;
	return vx_ctl_parse(line, strlen(line), r, err, sizeof(err));
}

static void refused(const char *line, const char *what)
{
	struct vx_ctl_req r;
	int e = req(line, &r);

	tap_ok(e < 0 && err[0], "%s: refused with a reason", what);
	tap_diag("  %s", err);
}

static void test_requests(void)
{
	struct vx_ctl_req r;
	char big[VX_CTL_LINE_MAX + 16];

	tap_ok(!req("port add name=a,mac=52:54:00:00:00:01\n", &r) && r.verb == VX_CTL_PORT_ADD &&
		       !strcmp(r.arg, "name=a,mac=52:54:00:00:00:01"),
	       "port add SPEC");
	tap_ok(!req("port del a\n", &r) && r.verb == VX_CTL_PORT_DEL && !strcmp(r.arg, "a"),
	       "port del NAME");
	tap_ok(!req("port list\n", &r) && r.verb == VX_CTL_PORT_LIST && r.fmt == VX_STATS_TEXT,
	       "port list");
	tap_ok(!req("port list json\n", &r) && r.fmt == VX_STATS_JSON, "port list json");
	tap_ok(!req("port show a json\n", &r) && r.verb == VX_CTL_PORT_SHOW && r.fmt == VX_STATS_JSON,
	       "port show NAME json");
	tap_ok(!req("stats prometheus\n", &r) && r.verb == VX_CTL_STATS &&
		       r.fmt == VX_STATS_PROMETHEUS,
	       "stats prometheus");
	tap_ok(!req("reload\n", &r) && r.verb == VX_CTL_RELOAD, "reload");
	tap_ok(!req("port  del   a\n", &r) && !strcmp(r.arg, "a"), "runs of spaces");

	refused("", "empty input");
	refused("\n", "empty line");
	refused("stats", "no newline");
	refused("stats\nstats\n", "two requests");
	refused("stats\n\n", "bytes after the newline");
	refused("stats\r\n", "CR");
	refused("port add \x01x\n", "control byte");
	refused("port add \xc3\xa9\n", "UTF-8");
	refused("stats\0\n", "NUL");	/* strlen stops there: "stats" without newline */
	refused("bogus\n", "unknown verb");
	refused("port\n", "port without a verb");
	refused("port frob a\n", "unknown port verb");
	refused("port add\n", "port add without SPEC");
	refused("port add a b\n", "port add with two SPECs");
	refused("port del\n", "port del without NAME");
	refused("port list yaml\n", "unknown format");
	refused("port show a prometheus\n", "prometheus for port show");
	refused("stats json extra\n", "stats with two words");
	refused("reload now\n", "reload with a word");
	refused("a b c d e f\n", "too many words");
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = 0;
	refused(big, "a line longer than VX_CTL_LINE_MAX");
	{
		struct vx_ctl_req r2;
		char nul[] = "stats\0\n";

		tap_ok(vx_ctl_parse(nul, sizeof(nul) - 1, &r2, err, sizeof(err)) < 0,
		       "a NUL inside the line is refused");
	}
}

static void test_resolve(void)
{
	struct vx_port_cfg p;

#define RES(spec) (vx_port_parse(&p, spec, 0, err, sizeof(err)) ?: \
		   vx_port_resolve(&p, "/run/vx", err, sizeof(err)))
	tap_ok(!RES("name=a,mac=52:54:00:00:00:01") && !strcmp(p.path, "/run/vx/a.sock"),
	       "no socket=: DIR/NAME.sock");
	tap_ok(!RES("name=a,mac=52:54:00:00:00:01,socket=vm.sock") && !strcmp(p.path, "/run/vx/vm.sock"),
	       "socket=FILE: DIR/FILE");
	tap_ok(!RES("name=a,mac=52:54:00:00:00:01,socket=/run/vx/x") && !strcmp(p.path, "/run/vx/x"),
	       "socket=DIR/FILE");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=/etc/passwd") == -EINVAL, "outside DIR");
	tap_diag("  %s", err);
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=/run/vx2/x") == -EINVAL,
	       "a sibling with DIR as prefix");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=/run/vx/../x") == -EINVAL, "DIR/../FILE");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=../x") == -EINVAL, "../FILE");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=..") == -EINVAL, "..");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=.") == -EINVAL, ".");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=/run/vx/") == -EINVAL, "DIR/");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=/run/vx/sub/x") == -EINVAL,
	       "a subdirectory of DIR");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=sub/x") == -EINVAL, "sub/FILE");
	tap_ok(RES("name=a,mac=52:54:00:00:00:01,socket=/run/vx//x") == -EINVAL, "DIR//FILE");
	tap_ok(!RES("name=k,mac=52:54:00:00:00:01,mode=kdev") && !strcmp(p.path, "kdev:k"),
	       "kdev: no socket");
	tap_ok(RES("name=k,mac=52:54:00:00:00:01,mode=kdev,socket=x") == -EINVAL,
	       "kdev with a socket");
#undef RES
}

static int config(const char *text, struct vx_port_cfg **ports, unsigned int *n)
{
	char path[] = "/tmp/vx-test-config.XXXXXX";
	int fd = mkstemp(path), e;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -EIO;
	close(fd);
	err[0] = 0;
	e = vx_config_read(path, "/run/vx", ports, n, err, sizeof(err));
	unlink(path);
	return e;
}

static void test_config(void)
{
	struct vx_port_cfg *p = NULL;
	unsigned int n = 0;
	char spec[512];

	tap_ok(!config("# ports\n\n  name=a,mac=52:54:00:00:00:01  \n"
		       "name=b,mac=52:54:00:00:00:02,socket=b.sock,mode=client,vlan=7\n",
		       &p, &n) && n == 2 && !strcmp(p[0].path, "/run/vx/a.sock") && p[1].client &&
		       p[1].vlan == 7,
	       "comments, blank lines, spaces around a line");
	if (n == 2) {
		struct vx_port_cfg q;

		vx_port_format(&p[1], spec, sizeof(spec));
		tap_ok(!vx_port_parse(&q, spec, 0, err, sizeof(err)) &&
			       !vx_port_resolve(&q, "/run/vx", err, sizeof(err)) &&
			       !strcmp(q.path, p[1].path) && q.client && q.vlan == 7 &&
			       !memcmp(q.mac, p[1].mac, 6),
		       "a port printed back parses to itself: %s", spec);
	}
	free(p);
	tap_ok(!config("", &p, &n) && n == 0, "an empty file: no ports");
	free(p);
	tap_ok(config("name=a,mac=52:54:00:00:00:01\nmac=52:54:00:00:00:02\n", &p, &n) == -EINVAL &&
		       strstr(err, ":2:"),
	       "a line without name= is refused, with its line number");
	tap_diag("  %s", err);
	tap_ok(config("name=a,mac=52:54:00:00:00:01\nname=a,mac=52:54:00:00:00:02\n", &p, &n) ==
		       -EINVAL,
	       "two ports of one name");
	tap_ok(config("name=a,mac=52:54:00:00:00:01\nname=b,mac=52:54:00:00:00:01\n", &p, &n) == 0,
	       "two ports of one MAC and VLAN: a migration pair");
	free(p);
	tap_ok(config("name=a,mac=52:54:00:00:00:01\nname=b,mac=52:54:00:00:00:01\n"
		      "name=c,mac=52:54:00:00:00:01\n", &p, &n) == -EINVAL && strstr(err, ":3:"),
	       "a third port of one MAC and VLAN is refused");
	tap_diag("  %s", err);
	tap_ok(config("name=a,mac=52:54:00:00:00:01,socket=/etc/x\n", &p, &n) == -EINVAL,
	       "a socket outside the directory");
	tap_ok(config("name=a,mac=52:54:00:00:00:01,bogus=1\n", &p, &n) == -EINVAL, "an unknown key");
	{
		char *longl = malloc(2000);

		memset(longl, 'a', 1998);
		longl[1998] = '\n';
		longl[1999] = 0;
		tap_ok(config(longl, &p, &n) == -EINVAL, "a line of 2000 bytes");
		free(longl);
	}
	err[0] = 0;
	tap_ok(vx_config_read("/nonexistent/x", "/run/vx", &p, &n, err, sizeof(err)) < 0 && err[0],
	       "a missing file is an error");
}

int main(void)
{
	test_requests();
	test_resolve();
	test_config();
	return tap_done();
}

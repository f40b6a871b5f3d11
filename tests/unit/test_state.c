// SPDX-License-Identifier: GPL-2.0
/* The --state file: written atomically, read back as it was, bad lines left out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "state.h"
#include "tap.h"

static char dir[64], path[128], err[512];

static void spec(struct vx_port_cfg *p, const char *s)
{
	if (vx_port_parse(p, s, 0, err, sizeof(err)) || vx_port_resolve(p, dir, err, sizeof(err)))
		tap_diag("bad spec %s: %s", s, err);
}

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_round_trip(void)
{
	struct vx_port_cfg w[3], *r;
	unsigned int n, bad, i;
	char a[512], b[512], tmp[160];
	struct stat st;
	bool same = true;

	spec(&w[0], "name=vm1,mac=52:54:00:00:00:01");
	spec(&w[1], "name=vm2,mac=52:54:00:00:00:02,socket=two.sock,mode=client,vlan=7,queues=2");
	spec(&w[2], "name=vm3,mac=52:54:00:00:00:03,mode=kdev");
	tap_is(vx_state_write(path, w, 3, err, sizeof(err)), 0, "three ports written");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	tap_ok(access(tmp, F_OK) && errno == ENOENT, "no .tmp file left behind");
	tap_ok(!stat(path, &st) && (st.st_mode & 0777) == 0600, "the file is mode 0600");
	tap_is(vx_state_read(path, dir, &r, &n, &bad, err, sizeof(err)), 0, "read back");
	tap_is(n, 3, "  ... three ports");
	tap_is(bad, 0, "  ... no bad line");
	for (i = 0; i < 3 && i < n; i++) {
		vx_port_format(&w[i], a, sizeof(a));
		vx_port_format(&r[i], b, sizeof(b));
		if (strcmp(a, b)) {
			tap_diag("wrote %s, read %s", a, b);
			same = false;
		}
	}
	tap_ok(same && n == 3, "  ... each SPEC as it was written, in order");
	tap_ok(n == 3 && r[1].client && r[1].vlan == 7 && r[1].queues == 2 && r[2].kdev,
	       "  ... mode, vlan, queues and kdev kept");
	free(r);

	tap_is(vx_state_write(path, w, 0, err, sizeof(err)), 0, "an empty list written");
	tap_is(vx_state_read(path, dir, &r, &n, &bad, err, sizeof(err)), 0, "  ... read back");
	tap_ok(n == 0 && bad == 0 && !r, "  ... no port");
}

static void test_bad_lines(void)
{
	struct vx_port_cfg *r;
	unsigned int n, bad;
	char text[2048], longline[700];

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	snprintf(text, sizeof(text),
		 "# comment\n\n"
		 "name=ok1,mac=52:54:00:00:00:11\n"
		 "mac=52:54:00:00:00:12\n"					/* no name */
		 "name=out,mac=52:54:00:00:00:13,socket=/etc/out.sock\n"	/* outside the dir */
		 "name=dots,mac=52:54:00:00:00:14,socket=../x.sock\n"
		 "name=ok1,mac=52:54:00:00:00:15\n"				/* duplicate name */
		 "name=pair,mac=52:54:00:00:00:11\n"				/* ok1's migration twin */
		 "name=third,mac=52:54:00:00:00:11\n"				/* a third of one MAC */
		 "name=badmac,mac=01:00:5e:00:00:01\n"
		 "name=junk,mac=52:54:00:00:00:16,color=blue\n"
		 "%s\n"
		 "  name=ok2,mac=52:54:00:00:00:17,socket=%s/ok2.sock  \n"
		 "name=ok3,mac=52:54:00:00:00:18",				/* no final newline */
		 longline, dir);
	put(text);
	tap_is(vx_state_read(path, dir, &r, &n, &bad, err, sizeof(err)), 0,
	       "a file with bad lines is read");
	tap_is(n, 4, "  ... the four good ports (a migration pair among them)");
	tap_is(bad, 8, "  ... eight bad lines left out");
	tap_ok(n == 4 && !strcmp(r[0].name, "ok1") && !strcmp(r[1].name, "pair") &&
		       !strcmp(r[2].name, "ok2") && !strcmp(r[3].name, "ok3"),
	       "  ... ok1, pair, ok2, ok3 in order");
	free(r);

	unlink(path);
	tap_is(vx_state_read(path, dir, &r, &n, &bad, err, sizeof(err)), 0, "a missing file is fine");
	tap_ok(n == 0 && !r, "  ... and holds no port");
}

static void test_write_errors(void)
{
	struct vx_port_cfg w;
	char tmp[160], target[160], nodir[160];
	FILE *f;

	spec(&w, "name=vm1,mac=52:54:00:00:00:01");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(target, sizeof(target), "%s/target", dir);
	f = fopen(target, "w");
	fputs("untouched\n", f);
	fclose(f);
	symlink(target, tmp);
	tap_ok(vx_state_write(path, &w, 1, err, sizeof(err)) == -ELOOP,
	       "a symlink at the temporary name is refused (ELOOP)");
	f = fopen(target, "r");
	tap_ok(f && fgets(tmp, sizeof(tmp), f) && !strcmp(tmp, "untouched\n"),
	       "  ... and not written through");
	if (f)
		fclose(f);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	unlink(target);
	snprintf(nodir, sizeof(nodir), "%s/nodir/x.state", dir);
	tap_ok(vx_state_write(nodir, &w, 1, err, sizeof(err)) == -ENOENT && strstr(err, "nodir"),
	       "a missing directory: -ENOENT with the path (%s)", err);
}

static void test_cli(void)
{
	char a0[] = "vhost-xdpd", a1[] = "--nic=eth9", a2[] = "--socket-dir=/run/x",
	     a3[] = "--state=none", a4[] = "--state=rel.state", a5[] = "--state=/var/lib/x.state";
	char *v1[] = { a0, a1, a2, NULL }, *v2[] = { a0, a1, a3, NULL },
	     *v3[] = { a0, a1, a4, NULL }, *v4[] = { a0, a1, a5, NULL };
	struct vx_cfg c;

	tap_ok(!vx_cli_parse(&c, 3, v1, err, sizeof(err)) && !strcmp(c.state, "/run/x/eth9.state"),
	       "--state defaults to SOCKET_DIR/NIC.state (%s)", c.state);
	vx_cli_free(&c);
	tap_ok(!vx_cli_parse(&c, 3, v2, err, sizeof(err)) && !c.state[0], "--state none: no file");
	vx_cli_free(&c);
	tap_ok(vx_cli_parse(&c, 3, v3, err, sizeof(err)) == -EINVAL, "--state relative is refused");
	vx_cli_free(&c);
	tap_ok(!vx_cli_parse(&c, 3, v4, err, sizeof(err)) && !strcmp(c.state, "/var/lib/x.state"),
	       "--state /var/lib/x.state is taken");
	vx_cli_free(&c);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vxstate.XXXXXX");
	if (!mkdtemp(dir)) {
		tap_plan_skip_all("mkdtemp failed");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/eth0.state", dir);
	test_round_trip();
	test_bad_lines();
	test_write_errors();
	test_cli();
	unlink(path);
	rmdir(dir);
	return tap_done();
}

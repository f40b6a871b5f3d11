// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reason.h"
#include "state.h"

#define fail vx_reason

int vx_state_write(const char *path, const struct vx_port_cfg *ports, unsigned int n,
		   char *err, size_t len)
{
	char tmp[PATH_MAX], line[512];
	unsigned int i;
	FILE *f;
	int fd, e = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return fail(err, len, -ENAMETOOLONG, "%s: path too long", path);
	/* O_NOFOLLOW: a link planted at the temporary name is not written through. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, len, -errno, "%s: %s", tmp, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		e = -errno;
		close(fd);
		unlink(tmp);
		return fail(err, len, e, "%s: %s", tmp, strerror(-e));
	}
	fputs("# vhost-xdpd: ports added with vhost-xdpctl, restored when the daemon starts.\n"
	      "# Rewritten on every port add and del; do not edit while the daemon runs.\n", f);
	for (i = 0; i < n; i++) {
		vx_port_format(&ports[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
	/*
	 * No fsync: the rename is atomic for every reader and against the
	 * daemon's own death at any moment, which is what a restart needs. An
	 * fsync per add cost 10-30 ms on ext4 (tests/ns/test_scale.sh: add p99
	 * 36 ms against 5), and the default place, /run, is a tmpfs that a host
	 * crash empties along with the VMs whose ports it lists.
	 */
	errno = 0;
	if (fflush(f) || ferror(f))
		e = errno ? -errno : -EIO;
	if (fclose(f) && !e)
		e = -errno;
	if (!e && rename(tmp, path))
		e = -errno;
	if (e) {
		unlink(tmp);
		return fail(err, len, e, "%s: %s", path, strerror(-e));
	}
	return 0;
}

int vx_state_read(const char *path, const char *dir, struct vx_port_cfg **ports,
		  unsigned int *n, unsigned int *bad, char *err, size_t len)
{
	struct vx_port_cfg *v = NULL, p;
	unsigned int cap = 0, ln = 0, j;
	char line[600], why[400];
	FILE *f;
	int e;

	*ports = NULL;
	*n = *bad = 0;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return fail(err, len, -errno, "%s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		const struct vx_port_cfg *twin[2] = { NULL, NULL };
		char *s;

		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			pr_warn("%s:%u: line too long; skipped\n", path, ln);
			(*bad)++;
			continue;
		}
		s = vx_port_line(line);
		if (!s)
			continue;
		e = vx_port_parse(&p, s, 0, why, sizeof(why));
		if (!e && !p.named)
			e = -EINVAL, snprintf(why, sizeof(why), "name= is required");
		if (!e)
			e = vx_port_resolve(&p, dir, why, sizeof(why));
		if (!e)
			e = vx_port_check(&p, why, sizeof(why));
		for (j = 0; !e && j < *n; j++)
			e = vx_port_against(&p, &v[j], twin, why, sizeof(why));
		if (!e && *n == cap) {
			struct vx_port_cfg *nv;

			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fclose(f);
				free(v);
				return fail(err, len, -ENOMEM, "out of memory");
			}
			v = nv;
		}
		if (e) {
			pr_warn("%s:%u: %s; skipped\n", path, ln, why);
			(*bad)++;
			continue;
		}
		v[(*n)++] = p;
	}
	fclose(f);
	*ports = v;
	return 0;
}

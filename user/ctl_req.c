// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ctl_req.h"
#include "reason.h"

#define fail(err, len, ...) vx_reason(err, len, -EINVAL, __VA_ARGS__)

static int parse_fmt(const char *w, enum vx_stats_format *fmt, int allow_prom, char *err,
		     size_t len)
{
	if (!w || !strcmp(w, "text"))
		*fmt = VX_STATS_TEXT;
	else if (!strcmp(w, "json"))
		*fmt = VX_STATS_JSON;
	else if (allow_prom && !strcmp(w, "prometheus"))
		*fmt = VX_STATS_PROMETHEUS;
	else
		return fail(err, len, "format '%.32s': use text or json%s", w,
			    allow_prom ? " or prometheus" : "");
	return 0;
}

int vx_ctl_parse(const char *buf, size_t n, struct vx_ctl_req *req, char *err, size_t len)
{
	char line[VX_CTL_LINE_MAX + 1], *w[5], *save = NULL, *t;
	unsigned int nw = 0;
	size_t i;

	memset(req, 0, sizeof(*req));
	if (n > VX_CTL_LINE_MAX)
		return fail(err, len, "request longer than %d bytes", VX_CTL_LINE_MAX), -E2BIG;
	if (!n || buf[n - 1] != '\n')
		return fail(err, len, "a request is one line ending in a newline");
	n--;
	if (memchr(buf, '\n', n))
		return fail(err, len, "one request per connection: bytes follow the newline");
	for (i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return fail(err, len, "byte %zu of the request is not printable ASCII", i);
	memcpy(line, buf, n);
	line[n] = 0;
	for (t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (nw == sizeof(w) / sizeof(w[0]))
			return fail(err, len, "too many words");
		w[nw++] = t;
	}
	if (!nw)
		return fail(err, len, "empty request");
	if (!strcmp(w[0], "stats")) {
		if (nw > 2)
			return fail(err, len, "usage: stats [text|json|prometheus]");
		req->verb = VX_CTL_STATS;
		return parse_fmt(nw > 1 ? w[1] : NULL, &req->fmt, 1, err, len);
	}
	if (!strcmp(w[0], "reload")) {
		if (nw != 1)
			return fail(err, len, "usage: reload");
		req->verb = VX_CTL_RELOAD;
		return 0;
	}
	if (strcmp(w[0], "port") || nw < 2)
		return fail(err, len, "unknown request '%.32s' (port add|del|list|show, stats, "
			    "reload)", w[0]);
	if (!strcmp(w[1], "list")) {
		if (nw > 3)
			return fail(err, len, "usage: port list [text|json]");
		req->verb = VX_CTL_PORT_LIST;
		return parse_fmt(nw > 2 ? w[2] : NULL, &req->fmt, 0, err, len);
	}
	if (!strcmp(w[1], "add") || !strcmp(w[1], "del") || !strcmp(w[1], "show")) {
		bool show = !strcmp(w[1], "show");

		if (nw < 3 || nw > (show ? 4u : 3u))
			return fail(err, len, "usage: port %s %s", w[1],
				    !strcmp(w[1], "add") ? "SPEC" : show ? "NAME [text|json]" : "NAME");
		req->verb = !strcmp(w[1], "add") ? VX_CTL_PORT_ADD
			    : show		 ? VX_CTL_PORT_SHOW
						 : VX_CTL_PORT_DEL;
		snprintf(req->arg, sizeof(req->arg), "%s", w[2]);
		return show ? parse_fmt(nw > 3 ? w[3] : NULL, &req->fmt, 0, err, len) : 0;
	}
	return fail(err, len, "unknown request 'port %.32s' (add, del, list, show)", w[1]);
}

// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum vx_log_level vx_level = VX_LOG_INFO;
static const char *const vx_level_name[] = { "error", "warn", "info", "debug" };

void vx_log_set_level(enum vx_log_level level)
{
	vx_level = level;
}

enum vx_log_level vx_log_get_level(void)
{
	return vx_level;
}

static void vx_vlog(enum vx_log_level level, const char *fmt, va_list ap)
{
	struct timespec ts;

	if (level > vx_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "vhost-xdpd[%ld.%03ld] %s: ", (long)ts.tv_sec, ts.tv_nsec / 1000000,
		vx_level_name[level]);
	vfprintf(stderr, fmt, ap);
}

void vx_log(enum vx_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vx_vlog(level, fmt, ap);
	va_end(ap);
}

static int vx_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/*
	 * Debug only: libxdp probes for its dispatcher and libbpf warns when
	 * the probe fails, which is expected on kernels without freplace. Real
	 * failures come back as errors that the caller reports.
	 */
	enum vx_log_level l = VX_LOG_DEBUG;

	vx_vlog(l, fmt, ap);
	return 0;
}

static int vx_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	enum vx_log_level l = level == LIBXDP_WARN ? VX_LOG_INFO : VX_LOG_DEBUG;

	vx_vlog(l, fmt, ap);
	return 0;
}

void vx_log_route_libs(void)
{
	libbpf_set_print(vx_libbpf_print);
	libxdp_set_print(vx_libxdp_print);
}

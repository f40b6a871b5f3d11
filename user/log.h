/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Control-path logging. The data path never prints per packet; it counts
 * into statistics instead (see stats.h).
 */
#ifndef VX_LOG_H
#define VX_LOG_H

enum vx_log_level {
	VX_LOG_ERROR = 0,
	VX_LOG_WARN,
	VX_LOG_INFO,
	VX_LOG_DEBUG,
};

void vx_log_set_level(enum vx_log_level level);
enum vx_log_level vx_log_get_level(void);
void vx_log(enum vx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Routes libbpf's and libxdp's messages through vx_log, one level lower. */
void vx_log_route_libs(void);

#define pr_err(...)   vx_log(VX_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  vx_log(VX_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  vx_log(VX_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) vx_log(VX_LOG_DEBUG, __VA_ARGS__)

#endif

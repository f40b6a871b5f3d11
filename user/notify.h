/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Service-manager notifications (systemd's sd_notify protocol, through
 * libsystemd): a unit with Type=notify learns when the daemon is ready,
 * reloading or stopping. Without NOTIFY_SOCKET in the environment (not
 * started by systemd) every call does nothing.
 */
#ifndef VX_NOTIFY_H
#define VX_NOTIFY_H

/* READY=1: the NIC, its workers and every port are up. */
void vx_notify_ready(void);
/* RELOADING=1 (with MONOTONIC_USEC): a SIGHUP reload begins; READY=1 ends it. */
void vx_notify_reloading(void);
/* STOPPING=1: shutdown has begun. */
void vx_notify_stopping(void);
/* STATUS=...: one line for `systemctl status`. */
void vx_notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

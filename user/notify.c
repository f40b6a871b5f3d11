// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify() wrappers. A failed notification is logged at debug level and
 * otherwise ignored: the daemon works the same without a service manager.
 * NOTIFY_SOCKET stays in the environment (unset_environment = 0) because
 * later reloads and the shutdown notify again.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"

static void vx_notify(const char *state)
{
	int err = sd_notify(0, state);

	if (err < 0)
		pr_debug("sd_notify(%s): %s\n", state, strerror(-err));
}

void vx_notify_ready(void)
{
	vx_notify("READY=1");
}

void vx_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	/* systemd 253+ wants the time of the reload with it (Type=notify-reload). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	vx_notify(msg);
}

void vx_notify_stopping(void)
{
	vx_notify("STOPPING=1");
}

void vx_notify_status(const char *fmt, ...)
{
	char msg[256] = "STATUS=";
	size_t n = strlen(msg);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	/* One line: a newline would start another variable. */
	msg[strcspn(msg, "\n")] = '\0';
	vx_notify(msg);
}

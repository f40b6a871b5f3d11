/* SPDX-License-Identifier: GPL-2.0 */
/* A refusal's reason, for the parsers and registries that report one line to their caller. */
#ifndef VX_REASON_H
#define VX_REASON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes the reason into err (len bytes) and returns e (a -errno). */
static inline __attribute__((format(printf, 4, 5))) int vx_reason(char *err, size_t len, int e,
								 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return e;
}

#endif

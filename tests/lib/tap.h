/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP producer for the C tests; prove reads the output. */
#ifndef VX_TAP_H
#define VX_TAP_H

#include <stdbool.h>

void tap_plan(int n);
void tap_plan_skip_all(const char *why);
bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a trailing plan if none was given and returns the exit code. */
int tap_done(void);

#define tap_is(got, want, name)                                                             \
	({                                                                                  \
		long long _g = (long long)(got), _w = (long long)(want);                    \
		bool _r = tap_ok(_g == _w, "%s", name);                                     \
		if (!_r)                                                                    \
			tap_diag("  got %lld, want %lld", _g, _w);                          \
		_r;                                                                         \
	})

#endif

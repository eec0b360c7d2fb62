/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_TAP_H
#define POSTDESK_TAP_H

/*
 * A tiny TAP producer for unit tests: each check prints "ok N - name" or
 * "not ok N - name" (with what was expected); tests/run.sh counts them.
 * tap_done() returns the exit status (1 when anything failed).
 */

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *name, const char *file, int line)
{
	tap_n++;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", tap_n, name);
	if (!cond) {
		printf("#   failed at %s:%d\n", file, line);
		tap_failed++;
	}
	fflush(stdout);
	return cond;
}

static inline int
tap_is_str(const char *got, const char *want, const char *name,
    const char *file, int line)
{
	int cond = got != NULL && want != NULL && strcmp(got, want) == 0;

	if (!tap_ok(cond, name, file, line)) {
		printf("#   got:  \"%s\"\n", got ? got : "(null)");
		printf("#   want: \"%s\"\n", want ? want : "(null)");
	}
	return cond;
}

static inline int
tap_is_int(long long got, long long want, const char *name,
    const char *file, int line)
{
	int cond = got == want;

	if (!tap_ok(cond, name, file, line))
		printf("#   got: %lld, want: %lld\n", got, want);
	return cond;
}

static inline void
tap_skip(const char *name, const char *why)
{
	printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define ok(c, name)		tap_ok(!!(c), (name), __FILE__, __LINE__)
#define is_str(g, w, name)	tap_is_str((g), (w), (name), __FILE__, __LINE__)
#define is_int(g, w, name)	tap_is_int((g), (w), (name), __FILE__, __LINE__)

#endif

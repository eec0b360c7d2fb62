/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>

#include "log.h"

static enum log_sink sink = LOG_SINK_STDERR;
static int debug_on;
static int fatal_code = EX_TEMPFAIL;

void
log_init(enum log_sink s, int debug)
{
	sink = s;
	debug_on = debug;
	if (sink == LOG_SINK_SYSLOG)
		openlog("postdesk", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_fatal_code(int code)
{
	fatal_code = code;
}

int
log_get_debug(void)
{
	return debug_on;
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char buf[2048];

	if (vsnprintf(buf, sizeof(buf), fmt, ap) >= (int)sizeof(buf))
		memcpy(buf + sizeof(buf) - 4, "...", 4);
	if (sink == LOG_SINK_SYSLOG) {
		if (suffix != NULL)
			syslog(pri, "%s: %s", buf, suffix);
		else
			syslog(pri, "%s", buf);
		if (!debug_on)
			return;
	}
	if (suffix != NULL)
		fprintf(stderr, "postdesk: %s: %s\n", buf, suffix);
	else
		fprintf(stderr, "postdesk: %s\n", buf);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (sink == LOG_SINK_STDERR && !debug_on)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug_on)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(fatal_code);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(fatal_code);
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
}

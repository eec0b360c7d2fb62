/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_LOG_H
#define POSTDESK_LOG_H

/*
 * Logging.  Messages are lower case, no final period:
 * "stage: object: what: why".  log_init() picks the sink: stderr
 * (CLI commands, -d) or syslog LOG_MAIL (delivery and daemon modes).
 * fatal()/fatalx() log and exit with the code set by log_set_fatal_code()
 * (default 75, EX_TEMPFAIL: a transient problem must never bounce mail).
 */

enum log_sink {
	LOG_SINK_STDERR,
	LOG_SINK_SYSLOG,
};

void	log_init(enum log_sink sink, int debug);
void	log_set_fatal_code(int code);
int	log_get_debug(void);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error an admin must act on (syslog LOG_ERR), not a failure of
 * the caller: a tripped limit, a broken loop, a relay refusing all. */
void	log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif

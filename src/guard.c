/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include <glib.h>

#include "guard.h"
#include "io.h"
#include "log.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* What one line of the faults file may take: digest, attempt, name. */
#define LINE_MAX_LEN	(DIGEST_HEX_LEN + 32)
#define FAULTS_READ_MAX	((uint64_t)1 << 20)

static const struct {
	int		 sig;
	const char	*name;
} fatal_sigs[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" }, { SIGILL, "SIGILL" },
	{ SIGFPE, "SIGFPE" }, { SIGABRT, "SIGABRT" },
	{ SIGTRAP, "SIGTRAP" },	/* GLib's g_error(): a failed allocation */
};

/* Everything the handlers touch is set up before a message is armed. */
static int			 faults_fd = -1;
static unsigned			 cpu_limit;
static volatile sig_atomic_t	 armed;
static char			 line_prefix[LINE_MAX_LEN];
static size_t			 prefix_len;
static struct sigaction		 old_actions[G_N_ELEMENTS(fatal_sigs)];

static void
mark(const char *what)
{
	char line[LINE_MAX_LEN + 16];
	size_t n = strlen(what);
	ssize_t r;

	if (!armed || faults_fd == -1 || prefix_len + n + 1 > sizeof(line))
		return;
	memcpy(line, line_prefix, prefix_len);
	memcpy(line + prefix_len, what, n);
	line[prefix_len + n] = '\n';
	do
		r = write(faults_fd, line, prefix_len + n + 1);
	while (r == -1 && errno == EINTR);
	armed = 0;
}

static void
on_fatal(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < G_N_ELEMENTS(fatal_sigs); i++) {
		if (fatal_sigs[i].sig != sig)
			continue;
		mark(fatal_sigs[i].name);
		sigaction(sig, &old_actions[i], NULL);
		/* A sent signal is sent again; a fault repeats by itself
		 * when the instruction runs again, under the old handler. */
		if (si == NULL || si->si_code <= 0)
			raise(sig);
		return;
	}
}

static void
on_cpu(int sig)
{
	(void)sig;
	mark("cpu-time");
	_exit(EX_TEMPFAIL);
}

static int
install(void)
{
	struct sigaction sa = { .sa_sigaction = on_fatal,
	    .sa_flags = SA_SIGINFO | SA_RESETHAND };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < G_N_ELEMENTS(fatal_sigs); i++)
		if (sigaction(fatal_sigs[i].sig, &sa, &old_actions[i]) == -1)
			return -1;
	sa = (struct sigaction){ .sa_handler = on_cpu };
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGPROF, &sa, NULL);
}

static void
limit_memory(uint64_t memory)
{
#ifndef UNDER_ASAN
	struct rlimit rl = { .rlim_cur = memory, .rlim_max = memory };
	struct rlimit cur;

	if (memory == 0 || getrlimit(RLIMIT_AS, &cur) == -1)
		return;
	if (cur.rlim_max != RLIM_INFINITY && cur.rlim_max < memory)
		rl.rlim_cur = rl.rlim_max = cur.rlim_max;
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		log_warn("guard: memory limit %" G_GUINT64_FORMAT, memory);
#else
	(void)memory;
#endif
}

int
guard_init(const char *database, unsigned cpu_seconds, uint64_t memory)
{
	char *path;

	if (faults_fd != -1)
		return 0;
	path = g_strconcat(database, ".faults", NULL);
	faults_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600);
	if (faults_fd == -1)
		log_warn("guard: %s", path);
	g_free(path);
	if (faults_fd == -1)
		return -1;
	cpu_limit = cpu_seconds;
	limit_memory(memory);
	if (install() == -1) {
		log_warn("guard: signal handlers");
		return -1;
	}
	return 0;
}

static void
set_timer(unsigned seconds)
{
	struct itimerval it = { .it_value = { .tv_sec = seconds } };

	setitimer(ITIMER_PROF, &it, NULL);
}

void
guard_arm(const char *digest, unsigned attempt)
{
	int n;

	if (faults_fd == -1)
		return;
	n = snprintf(line_prefix, sizeof(line_prefix), "%s %u ", digest,
	    attempt);
	if (n < 0 || (size_t)n >= sizeof(line_prefix))
		return;
	prefix_len = (size_t)n;
	armed = 1;
	if (cpu_limit > 0)
		set_timer(cpu_limit);
}

void
guard_disarm(void)
{
	if (faults_fd == -1)
		return;
	if (cpu_limit > 0)
		set_timer(0);
	armed = 0;
}

/* The last line of text that starts with prefix, copied after it. */
static bool
find_line(const char *text, size_t len, const char *prefix, char *what,
    size_t whatlen)
{
	size_t plen = strlen(prefix);
	bool found = false;

	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > plen && memcmp(p, prefix, plen) == 0) {
			g_strlcpy(what, p + plen, MIN(whatlen, n - plen + 1));
			found = true;
		}
		p += n + 1;
	}
	return found;
}

bool
guard_faulted(const char *database, const char *digest, unsigned attempt,
    char *what, size_t whatlen)
{
	char *path = g_strconcat(database, ".faults", NULL);
	char *prefix = g_strdup_printf("%s %u ", digest, attempt);
	char *text;
	size_t len;
	bool found = false;

	if (whatlen > 0)
		what[0] = '\0';
	text = io_read_tail(path, FAULTS_READ_MAX, &len);
	if (text != NULL)
		found = find_line(text, len, prefix, what, whatlen);
	g_free(text);
	g_free(prefix);
	g_free(path);
	return found;
}

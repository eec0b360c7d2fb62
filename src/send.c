/* SPDX-License-Identifier: ISC */
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "send.h"

/* Stop sending a batch this long before its lease runs out: a mail
 * sent after that might be sent by the next claimant too. */
#define LEASE_MARGIN	120

struct drain {
	struct store		*store;
	const struct conf	*conf;
	const struct transport_ops *ops;
	void			*session;	/* from the first row on */
	const char		*owner;
	struct send_stats	*stats;
	char			*down;		/* why nothing can go */
};

static uint32_t
random32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = g_random_int();
	return v;
}

char *
send_owner_new(void)
{
	char host[HOST_NAME_MAX + 1];

	if (gethostname(host, sizeof(host)) == -1)
		g_strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	return g_strdup_printf("%s.%ld.%08x", host, (long)getpid(),
	    random32());
}

int64_t
send_backoff(unsigned attempts, uint32_t rnd)
{
	int64_t d = SEND_BACKOFF_BASE;

	for (unsigned i = 0; i < attempts && d < SEND_BACKOFF_MAX; i++)
		d *= 2;
	if (d > SEND_BACKOFF_MAX)
		d = SEND_BACKOFF_MAX;
	/* rnd spread over [-20 %, +20 %] of d */
	return d - d / 5 + (int64_t)((uint64_t)rnd * (uint64_t)(2 * d / 5) /
	    UINT32_MAX);
}

bool
send_expired(int64_t created, int64_t now, int64_t max_age)
{
	return now - created >= max_age;
}

static const struct transport_ops *
pick_transport(const struct conf *cf, const struct transport_ops *smtp)
{
	if (cf->transport.kind == CONF_TRANSPORT_FILE)
		return &transport_file;
	if (smtp == NULL)
		log_warnx("send: transport smtp: not available in this "
		    "program (use postdesk send)");
	return smtp;
}

/* A transient failure: later, or never when the mail is too old.
 * Only the first of a batch's mails held up by one cause is logged. */
static void
transient(struct drain *d, const struct store_outbox *o, const char *why,
    bool loud)
{
	int64_t now = store_now(d->store);
	int64_t max_age = d->conf->limits.send_max_age;
	int64_t next;
	char *gave_up;

	if (send_expired(o->created, now, max_age)) {
		gave_up = g_strdup_printf("gave up after %u attempts in "
		    "%lld s: %s", o->attempts + 1,
		    (long long)(now - o->created), why);
		log_warnx("send: outbox %lld: <%s>: %s", (long long)o->id,
		    o->rcpt, gave_up);
		if (store_outbox_failed(d->store, o->id, d->owner,
		    gave_up) == 0)
			d->stats->failed++;
		g_free(gave_up);
		return;
	}
	next = now + send_backoff(o->attempts, random32());
	if (next > o->created + max_age)
		next = o->created + max_age;
	if (loud)
		log_warnx("send: outbox %lld: <%s>: %s; next try in %lld s",
		    (long long)o->id, o->rcpt, why, (long long)(next - now));
	if (store_outbox_retry(d->store, o->id, d->owner, next, why) == 0)
		d->stats->retried++;
}

static void
outcome(struct drain *d, const struct store_outbox *o,
    enum transport_status st, const char *reply)
{
	switch (st) {
	case TRANSPORT_SENT:
		log_info("send: outbox %lld: <%s>: sent %s: %s",
		    (long long)o->id, o->rcpt, o->message_id, reply);
		if (store_outbox_sent(d->store, o->id, d->owner) == 0)
			d->stats->sent++;
		break;
	case TRANSPORT_PERMANENT:
		log_warnx("send: outbox %lld: <%s>: failed: %s",
		    (long long)o->id, o->rcpt, reply);
		if (store_outbox_failed(d->store, o->id, d->owner, reply) == 0)
			d->stats->failed++;
		break;
	case TRANSPORT_DOWN:
		g_free(d->down);
		d->down = g_strdup(reply);
		/* FALLTHROUGH */
	case TRANSPORT_TRANSIENT:
		transient(d, o, reply, true);
		break;
	}
}

static void
send_row(struct drain *d, const struct store_outbox *o)
{
	enum transport_status st;
	char *reply = NULL;

	if (d->down != NULL) {
		transient(d, o, d->down, false);
		return;
	}
	if (d->session == NULL &&
	    (d->session = d->ops->open(&d->conf->transport)) == NULL) {
		d->down = g_strdup_printf("%s: cannot set up the transport",
		    d->ops->name);
		transient(d, o, d->down, true);
		return;
	}
	st = d->ops->send(d->session, o, &reply);
	outcome(d, o, st, reply != NULL ? reply : "");
	g_free(reply);
}

/* One claim: 1 when rows were claimed, 0 when none were due, -1. */
static int
batch(struct drain *d, volatile sig_atomic_t *stop)
{
	struct store_outbox *v;
	size_t n, i;
	int64_t until;

	if (store_outbox_claim(d->store, d->owner, SEND_LEASE, SEND_BATCH,
	    &v, &n) == -1)
		return -1;
	until = store_now(d->store) + SEND_LEASE - LEASE_MARGIN;
	d->stats->claimed += n;
	for (i = 0; i < n; i++) {
		if ((stop != NULL && *stop) || store_now(d->store) >= until)
			break;
		send_row(d, &v[i]);
	}
	if (i < n)
		log_info("send: %zu mails left for when their lease ends",
		    n - i);
	store_outbox_free(v, n);
	return n > 0 && i == n ? 1 : 0;
}

int
send_drain(struct store *s, const struct conf *cf,
    const struct transport_ops *smtp, const char *owner,
    volatile sig_atomic_t *stop, struct send_stats *stats)
{
	struct drain d = {
		.store = s, .conf = cf, .owner = owner, .stats = stats,
	};
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int r;

	*stats = (struct send_stats){ 0 };
	if ((d.ops = pick_transport(cf, smtp)) == NULL)
		return -1;
	/* A server that hangs up must not kill us with SIGPIPE. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	/* Rows that fail go to the future: each claim takes new ones. */
	while ((r = batch(&d, stop)) == 1 && (stop == NULL || !*stop))
		;
	d.ops->close(d.session);
	sigaction(SIGPIPE, &old, NULL);
	g_free(d.down);
	return r == -1 ? -1 : 0;
}

/* ---- after deliver ---- */

/* The postdesk program: postdesk-path, else next to this program. */
static char *
postdesk_path(const struct conf *cf)
{
	char *self, *dir, *path;

	if (cf->postdesk_path != NULL && *cf->postdesk_path != '\0')
		return g_strdup(cf->postdesk_path);
	if ((self = g_file_read_link("/proc/self/exe", NULL)) == NULL) {
		log_warn("send: /proc/self/exe");
		return NULL;
	}
	dir = g_path_get_dirname(self);
	path = g_build_filename(dir, "postdesk", NULL);
	g_free(dir);
	g_free(self);
	return path;
}

/* In the grandchild: no terminal, no MTA pipe, no inherited files. */
static void __attribute__((noreturn))
exec_send(const char *path, const char *conf_path)
{
	char *argv[] = { (char *)path, "-c", (char *)conf_path, "send",
	    "--once", "--syslog", NULL };
	int fd;

	if (setsid() == -1 || (fd = open("/dev/null", O_RDWR)) == -1)
		_exit(EXIT_FAILURE);
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	closefrom(STDERR_FILENO + 1);
	execv(path, argv);
	log_warn("send: %s", path);
	_exit(EXIT_FAILURE);
}

/* Double fork: the sender is nobody's child, so deliver returns to the
 * MTA at once and no zombie is left. */
static void
spawn_send(const struct conf *cf, const char *conf_path)
{
	char *path = postdesk_path(cf);
	pid_t pid;
	int status;

	if (path == NULL)
		return;
	if ((pid = fork()) == -1)
		log_warn("send: fork");
	else if (pid == 0) {
		if ((pid = fork()) == 0)
			exec_send(path, conf_path);
		_exit(pid == -1 ? EXIT_FAILURE : EXIT_SUCCESS);
	} else {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		log_debug("send: started %s send --once", path);
	}
	g_free(path);
}

void
send_after_deliver(struct store *s, const struct conf *cf,
    const char *conf_path, const struct transport_ops *smtp)
{
	struct send_stats stats;
	char *owner;

	if (!cf->send_after_deliver || store_count(s, "outbox-queued") <= 0)
		return;
	if (cf->transport.kind == CONF_TRANSPORT_SMTP && smtp == NULL) {
		spawn_send(cf, conf_path);
		return;
	}
	owner = send_owner_new();
	if (send_drain(s, cf, smtp, owner, NULL, &stats) == 0)
		log_debug("send: after deliver: %zu sent, %zu to retry, "
		    "%zu failed", stats.sent, stats.retried, stats.failed);
	g_free(owner);
}

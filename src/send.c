/* SPDX-License-Identifier: ISC */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "send.h"

/* The lease of the one mail being sent: longer than one SMTP
 * transaction can take (a reply time-out is 60 s), so that no other
 * sender claims it meanwhile.  A sender on this host that dies holding
 * it is found by its lock at once. */
#define ROW_LEASE	600
/* A refusal of RCPT or DATA, the same from this many recipient domains
 * in one run, is the relay's, not the mails'. */
#define FAULT_DOMAINS	3

/* A mail refused at RCPT or DATA: failed for good at the end of the run
 * unless its refusal turns out to be the relay's. */
struct held {
	int64_t		 id;
	unsigned	 attempts;
	char		*rcpt;
	char		*text;		/* for the outbox and the event */
	char		*refusal;	/* the server's reply alone */
};

struct drain {
	struct store		*store;
	const struct conf	*conf;
	const struct transport_ops *ops;
	void			*session;	/* from the first row on */
	const char		*owner;
	struct send_stats	*stats;
	char			*fault;		/* why nothing can go */
	GHashTable		*domains;	/* refusal -> set of domains */
	GArray			*held;		/* struct held */
	int64_t			 renewed;	/* leases renewed at */
};

static uint32_t
random32(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = g_random_int();
	return v;
}

static void
host_name(char *host, size_t len)
{
	if (gethostname(host, len) == -1)
		g_strlcpy(host, "localhost", len);
	host[len - 1] = '\0';
}

char *
send_owner_new(void)
{
	char host[HOST_NAME_MAX + 1];

	host_name(host, sizeof(host));
	return g_strdup_printf("%s.%ld.%08x", host, (long)getpid(),
	    random32());
}

/* Was owner made by send_owner_new() on this host?  Only such a
 * sender's lock file tells whether it lives. */
static bool
owner_here(const char *owner)
{
	char host[HOST_NAME_MAX + 1];
	size_t len;

	const char *p;

	host_name(host, sizeof(host));
	len = strlen(host);
	if (strncmp(owner, host, len) != 0 || owner[len] != '.')
		return false;
	/* Exactly ".PID.RAND" after the host: "mail" is not the host of
	 * "mail.example.org.PID.RAND". */
	p = owner + len + 1;
	p += strspn(p, "0123456789");
	return p > owner + len + 1 && *p == '.' &&
	    strspn(p + 1, "0123456789abcdef") == 8 && p[9] == '\0';
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

/* ---- this sender's lock ---- */

/* One sender per process: its lock lives until send_owner_free(). */
static struct {
	char		*owner;
	char		*path;
	int		 fd;
} lock = { .fd = -1 };

/* <database>.send.<owner> */
static char *
lock_path(const struct conf *cf, const char *owner)
{
	char *o = g_strdelimit(g_strdup(owner), "/", '_');
	char *p = g_strdup_printf("%s.send.%s", cf->database, o);

	g_free(o);
	return p;
}

static void
lock_drop(void)
{
	if (lock.fd != -1) {
		unlink(lock.path);
		close(lock.fd);
	}
	g_free(lock.owner);
	g_free(lock.path);
	lock.owner = lock.path = NULL;
	lock.fd = -1;
}

/* Is fd (still) the file at path?  A sweep may have removed the file
 * between our open and our flock. */
static bool
same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Hold the lock of owner from now on; 0 / -1. */
static int
lock_take(const struct conf *cf, const char *owner)
{
	if (lock.owner != NULL && strcmp(lock.owner, owner) == 0)
		return 0;
	lock_drop();
	lock.path = lock_path(cf, owner);
	for (int tries = 0; tries < 3; tries++) {
		lock.fd = open(lock.path, O_RDWR | O_CREAT | O_NOFOLLOW |
		    O_CLOEXEC, 0640);
		if (lock.fd == -1 || flock(lock.fd, LOCK_EX | LOCK_NB) == -1)
			break;
		if (same_file(lock.fd, lock.path)) {
			lock.owner = g_strdup(owner);
			return 0;
		}
		close(lock.fd);
		lock.fd = -1;
	}
	log_warn("send: lock %s", lock.path);
	if (lock.fd != -1)
		close(lock.fd);
	lock.fd = -1;
	g_free(lock.path);
	lock.path = NULL;
	return -1;
}

void
send_owner_free(char *owner)
{
	if (owner != NULL && lock.owner != NULL &&
	    strcmp(owner, lock.owner) == 0)
		lock_drop();
	g_free(owner);
}

/* Is the sender behind this lock file gone?  Its lock can be taken (then
 * *fd holds it), or the file is gone; a file we may not open tells
 * nothing, and its leases run out in SEND_LEASE seconds. */
static bool
owner_dead(const char *path, int *fd)
{
	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT;
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return true;
	close(*fd);
	*fd = -1;
	return false;
}

/* Take over at once the leases of senders on this host that died
 * (SIGKILL, a crash, a power cut): no mail waits for a lease of a
 * process that is gone.  Another host's run out after SEND_LEASE. */
static void
reclaim(struct drain *d)
{
	char **owners, *path;
	int fd, n;

	if (store_outbox_owners(d->store, &owners) == -1)
		return;
	for (size_t i = 0; owners[i] != NULL; i++) {
		if (strcmp(owners[i], d->owner) == 0 ||
		    !owner_here(owners[i]))
			continue;
		path = lock_path(d->conf, owners[i]);
		if (owner_dead(path, &fd) &&
		    (n = store_outbox_release(d->store, owners[i])) >= 0) {
			log_warnx("send: sender %s is gone: %d of its mails "
			    "taken over", owners[i], n);
			unlink(path);
		}
		if (fd != -1)
			close(fd);
		g_free(path);
	}
	g_strfreev(owners);
}

/* Lock files of senders that died holding no lease: nobody else would
 * ever remove them. */
static void
sweep(const struct conf *cf)
{
	char *dir = g_path_get_dirname(cf->database);
	char *base = g_path_get_basename(cf->database);
	char *prefix = g_strconcat(base, ".send.", NULL), *path;
	const char *e;
	GDir *d;
	int fd;

	if ((d = g_dir_open(dir, 0, NULL)) != NULL) {
		while ((e = g_dir_read_name(d)) != NULL) {
			if (!g_str_has_prefix(e, prefix))
				continue;
			path = g_build_filename(dir, e, NULL);
			fd = -1;
			if (!same_file(lock.fd, path) && owner_dead(path, &fd) &&
			    fd != -1)
				unlink(path);
			if (fd != -1)
				close(fd);
			g_free(path);
		}
		g_dir_close(d);
	}
	g_free(prefix);
	g_free(base);
	g_free(dir);
}

/* Every SEND_RENEW seconds the leases run SEND_LEASE from now again. */
static void
renew(struct drain *d)
{
	int64_t now = store_now(d->store);

	if (now - d->renewed >= SEND_RENEW &&
	    store_outbox_renew(d->store, d->owner, SEND_LEASE) == 0)
		d->renewed = now;
}

/* ---- outcomes ---- */

/* The age that counts toward send-max-age starts here. */
static int64_t
age_start(const struct store_outbox *o)
{
	return o->age_base > o->created ? o->age_base : o->created;
}

/* A transient failure: later, or never when the mail is too old.
 * Only the first of a batch's mails held up by one cause is logged. */
static void
transient(struct drain *d, const struct store_outbox *o, const char *why)
{
	int64_t now = store_now(d->store), born = age_start(o);
	int64_t max_age = d->conf->limits.send_max_age;
	int64_t next;
	char *gave_up;

	if (send_expired(born, now, max_age)) {
		gave_up = g_strdup_printf("gave up after %u attempts in "
		    "%lld s: %s", o->attempts + 1, (long long)(now - born),
		    why);
		log_warnx("send: outbox %lld: <%s>: %s", (long long)o->id,
		    o->rcpt, gave_up);
		if (store_outbox_failed(d->store, o->id, d->owner,
		    gave_up) == 0)
			d->stats->failed++;
		g_free(gave_up);
		return;
	}
	next = now + send_backoff(o->attempts, random32());
	if (next > born + max_age)
		next = born + max_age;
	log_warnx("send: outbox %lld: <%s>: %s; next try in %lld s",
	    (long long)o->id, o->rcpt, why, (long long)(next - now));
	if (store_outbox_retry(d->store, o->id, d->owner, next, why) == 0)
		d->stats->retried++;
}

/* A transport fault holds up this mail: back to the queue, its age
 * restarted. */
static void
requeue(struct drain *d, int64_t id, unsigned attempts, const char *why)
{
	int64_t next = store_now(d->store) + send_backoff(attempts,
	    random32());

	if (store_outbox_fault(d->store, id, d->owner, next, why) == 0)
		d->stats->retried++;
}

/* From now on nothing goes in this run: logged once, at LOG_ERR. */
static void
fault(struct drain *d, const char *why)
{
	if (d->fault != NULL)
		return;
	d->fault = g_strdup(why);
	d->stats->faults++;
	log_errx("send: transport fault: %s; every mail waits", why);
}

static void
held_clear(struct held *h)
{
	g_free(h->rcpt);
	g_free(h->text);
	g_free(h->refusal);
}

/* The refusal is the relay's: its held mails go back to the queue. */
static void
requeue_held(struct drain *d, const char *refusal)
{
	for (guint i = d->held->len; i-- > 0;) {
		struct held *h = &g_array_index(d->held, struct held, i);

		if (strcmp(h->refusal, refusal) != 0)
			continue;
		requeue(d, h->id, h->attempts, d->fault);
		held_clear(h);
		g_array_remove_index(d->held, i);
	}
}

/* A 5xx to RCPT or DATA: this mail's, unless FAULT_DOMAINS recipient
 * domains get the same reply in this run. */
static void
hold(struct drain *d, const struct store_outbox *o,
    struct transport_reply *r)
{
	const char *at = strrchr(o->rcpt, '@');
	struct held h = {
		.id = o->id, .attempts = o->attempts,
		.rcpt = g_strdup(o->rcpt), .text = r->text,
		.refusal = r->refusal,
	};
	GHashTable *set = g_hash_table_lookup(d->domains, h.refusal);
	char *why;

	r->text = r->refusal = NULL;
	if (set == NULL) {
		set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
		    NULL);
		g_hash_table_insert(d->domains, g_strdup(h.refusal), set);
	}
	g_hash_table_add(set, g_ascii_strdown(at != NULL ? at + 1 : "", -1));
	g_array_append_val(d->held, h);
	log_warnx("send: outbox %lld: <%s>: refused: %s", (long long)o->id,
	    o->rcpt, h.text);
	if (g_hash_table_size(set) < FAULT_DOMAINS)
		return;
	why = g_strdup_printf("%u recipient domains refused with \"%s\"",
	    g_hash_table_size(set), h.refusal);
	fault(d, why);
	g_free(why);
	why = g_strdup(g_array_index(d->held, struct held,
	    d->held->len - 1).refusal);
	requeue_held(d, why);
	g_free(why);
}

/* End of the run: the held mails failed for good. */
static void
settle(struct drain *d)
{
	for (guint i = 0; i < d->held->len; i++) {
		struct held *h = &g_array_index(d->held, struct held, i);

		log_warnx("send: outbox %lld: <%s>: failed: %s",
		    (long long)h->id, h->rcpt, h->text);
		if (store_outbox_failed(d->store, h->id, d->owner,
		    h->text) == 0)
			d->stats->failed++;
		held_clear(h);
	}
	g_array_set_size(d->held, 0);
}

static void
outcome(struct drain *d, const struct store_outbox *o,
    enum transport_status st, struct transport_reply *r)
{
	const char *text = r->text != NULL ? r->text : "";

	switch (st) {
	case TRANSPORT_SENT:
		log_info("send: outbox %lld: <%s>: sent %s: %s",
		    (long long)o->id, o->rcpt, o->message_id, text);
		if (store_outbox_sent(d->store, o->id, d->owner) == 0)
			d->stats->sent++;
		break;
	case TRANSPORT_PERMANENT:
		if (r->refusal != NULL) {
			hold(d, o, r);
			break;
		}
		log_warnx("send: outbox %lld: <%s>: failed: %s",
		    (long long)o->id, o->rcpt, text);
		if (store_outbox_failed(d->store, o->id, d->owner, text) == 0)
			d->stats->failed++;
		break;
	case TRANSPORT_DOWN:
		fault(d, text);
		requeue(d, o->id, o->attempts, text);
		break;
	case TRANSPORT_TRANSIENT:
		transient(d, o, text);
		break;
	}
}

static void
send_row(struct drain *d, const struct store_outbox *o)
{
	struct transport_reply r = { 0 };
	enum transport_status st;
	char *why;

	if (d->fault != NULL) {
		requeue(d, o->id, o->attempts, d->fault);
		return;
	}
	if (d->session == NULL &&
	    (d->session = d->ops->open(&d->conf->transport)) == NULL) {
		why = g_strdup_printf("%s: cannot set up the transport",
		    d->ops->name);
		fault(d, why);
		requeue(d, o->id, o->attempts, why);
		g_free(why);
		return;
	}
	st = d->ops->send(d->session, o, &r);
	outcome(d, o, st, &r);
	g_free(r.text);
	g_free(r.refusal);
}

/* One claim: 1 when rows were claimed, 0 when none were due, -1. */
static int
batch(struct drain *d, volatile sig_atomic_t *stop)
{
	struct store_outbox *v;
	size_t n, i;

	reclaim(d);
	if (store_outbox_claim(d->store, d->owner, SEND_LEASE, SEND_BATCH,
	    &v, &n) == -1)
		return -1;
	d->renewed = store_now(d->store);
	d->stats->claimed += n;
	for (i = 0; i < n; i++) {
		if (stop != NULL && *stop)
			break;
		renew(d);
		/* A slow mail before it may have let this one's lease run
		 * out: another sender may have it now. */
		if (store_outbox_lease_one(d->store, v[i].id, d->owner,
		    ROW_LEASE) != 1) {
			log_info("send: outbox %" PRId64 ": lease lost, left "
			    "to its new sender", v[i].id);
			continue;
		}
		send_row(d, &v[i]);
	}
	if (i < n)
		log_info("send: %zu mails left for the next sender", n - i);
	store_outbox_free(v, n);
	return n > 0 && i == n ? 1 : 0;
}

static void
drain_free(struct drain *d)
{
	d->ops->close(d->session);
	g_free(d->fault);
	g_hash_table_destroy(d->domains);
	g_array_free(d->held, TRUE);
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
	if ((d.ops = pick_transport(cf, smtp)) == NULL ||
	    lock_take(cf, owner) == -1)
		return -1;
	sweep(cf);
	d.domains = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    (GDestroyNotify)g_hash_table_destroy);
	d.held = g_array_new(FALSE, TRUE, sizeof(struct held));
	/* A server that hangs up must not kill us with SIGPIPE. */
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);
	/* Rows that fail go to the future: each claim takes new ones. */
	while ((r = batch(&d, stop)) == 1 && (stop == NULL || !*stop))
		;
	settle(&d);
	/* Rows a stop left claimed are the next sender's at once. */
	if (store_outbox_release(s, owner) == -1)
		r = -1;
	sigaction(SIGPIPE, &old, NULL);
	drain_free(&d);
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
	    "--once", "--wait-held", "--syslog", NULL };
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

	int64_t held;

	if (!cf->send_after_deliver || store_count(s, "outbox-queued") <= 0)
		return;
	/* An agent's answer held back by relay-hold needs a sender that
	 * waits for it: not this one, the MTA waits for our exit. */
	if ((cf->transport.kind == CONF_TRANSPORT_SMTP && smtp == NULL) ||
	    store_outbox_next_held(s, &held) == 1) {
		spawn_send(cf, conf_path);
		return;
	}
	owner = send_owner_new();
	if (send_drain(s, cf, smtp, owner, NULL, &stats) == 0)
		log_debug("send: after deliver: %zu sent, %zu to retry, "
		    "%zu failed", stats.sent, stats.retried, stats.failed);
	send_owner_free(owner);
}

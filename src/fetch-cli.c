/* SPDX-License-Identifier: ISC */
#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "cli.h"
#include "conf.h"
#include "fetch.h"
#include "guard.h"
#include "ingest.h"
#include "log.h"
#include "mailurl.h"
#include "store.h"
#include "token.h"

/*
 * postdesk fetch: the IMAP accounts of the configuration, or one given
 * by --url.  --idle runs one process per account when there are
 * several: libetpan's calls block, so in one process a slow or hung
 * server would hold up every other account's mail; separate processes
 * share nothing but the database, whose busy timeout serialises their
 * commits.  A worker that dies is restarted after a pause.
 */

#define RESTART_SECONDS	5
/* A worker's exit status: the config changed, reload it.  Not a
 * sysexits code, and below them. */
#define EXIT_RELOAD	3
/* run(): the config changed under --idle. */
#define RUN_RELOAD	(-2)

static const char usage_text[] =
    "usage: postdesk [-d] [-c FILE] fetch [--once | --idle] [NAME]...\n"
    "       postdesk [-d] [-c FILE] fetch [--once | --idle] --url URL\n"
    "           [--password-file FILE] [--queue QUEUE] [--ca-file FILE]\n"
    "           [--starttls require|none]\n"
    "  Fetch mail from IMAP mailboxes: the configured imap accounts\n"
    "  (all, or those named), or the one URL names:\n"
    "  imaps://USER@HOST[:PORT][/MAILBOX] or imap://... (STARTTLS;\n"
    "  --starttls none, plain text, only to a loopback address).\n"
    "  --once           one pass over each account (the default)\n"
    "  --idle           stay connected, fetch new mail as it arrives;\n"
    "                   a changed config is read again before more is\n"
    "                   stored\n"
    "  --password-file  the password's file (default: standard input)\n"
    "  --queue QUEUE    put the mail into this queue\n"
    "  --ca-file FILE   CA certificates (PEM) instead of the system's\n"
    "  Exit: 0 done, 75 try again later, 69 the server refused a\n"
    "  command, 76 TLS or certificate refused, 77 login refused,\n"
    "  78 configuration error.\n";

struct fetch_args {
	bool		 idle;
	const char	*url, *password_file, *queue, *ca_file, *starttls;
	char		**names;
	int		 nnames;
};

static volatile sig_atomic_t stop, reload;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
parse_args(int argc, char **argv, struct fetch_args *a)
{
	static const struct option longopts[] = {
		{ "once",		no_argument,		NULL, 'o' },
		{ "idle",		no_argument,		NULL, 'i' },
		{ "url",		required_argument,	NULL, 'u' },
		{ "password-file",	required_argument,	NULL, 'p' },
		{ "queue",		required_argument,	NULL, 'q' },
		{ "ca-file",		required_argument,	NULL, 'C' },
		{ "starttls",		required_argument,	NULL, 's' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL,			0,			NULL, 0 },
	};
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': a->idle = false; break;
		case 'i': a->idle = true; break;
		case 'u': a->url = optarg; break;
		case 'p': a->password_file = optarg; break;
		case 'q': a->queue = optarg; break;
		case 'C': a->ca_file = optarg; break;
		case 's': a->starttls = optarg; break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		default:
			fputs(usage_text, stderr);
			return EX_USAGE;
		}
	}
	a->names = argv + optind;
	a->nnames = argc - optind;
	if (a->url != NULL && a->nnames > 0) {
		fprintf(stderr, "postdesk: fetch: --url or account names, "
		    "not both\n");
		return EX_USAGE;
	}
	return -1;
}

/* The first line of standard input, in GLib's memory; NULL at the
 * end.  Read once: a reload asks again. */
static char *
stdin_line(void)
{
	static char *first;
	char *line = NULL;
	size_t cap = 0;

	if (first == NULL && getline(&line, &cap, stdin) != -1)
		first = g_strdup(line);
	free(line);
	return g_strdup(first);
}

/* The first line of path (standard input for NULL); NULL (told). */
static char *
read_password(const char *path, const char *name)
{
	GError *err = NULL;
	char *buf = NULL;

	if (path == NULL || *path == '\0') {
		if ((buf = stdin_line()) == NULL) {
			fprintf(stderr, "postdesk: fetch: %s: no password on "
			    "standard input\n", name);
			return NULL;
		}
	} else if (!g_file_get_contents(path, &buf, NULL, &err)) {
		fprintf(stderr, "postdesk: fetch: %s: password-file: %s\n",
		    name, err->message);
		g_error_free(err);
		return NULL;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (*buf == '\0') {
		fprintf(stderr, "postdesk: fetch: %s: the password is empty\n",
		    name);
		g_free(buf);
		return NULL;
	}
	return buf;
}

/* The --url account, checked as the config checks an imap statement. */
static int
url_account(const struct conf *cf, const struct fetch_args *a,
    struct conf_imap *m)
{
	char err[128];
	bool plain = a->starttls != NULL && strcmp(a->starttls, "none") == 0;

	if (conf_imap_from_url(m, a->url, err, sizeof(err)) == -1) {
		fprintf(stderr, "postdesk: fetch: bad url \"%s\": %s\n", a->url,
		    err);
		return -1;
	}
	if (a->starttls != NULL && (m->tls == CONF_TLS_IMPLICIT || (!plain &&
	    strcmp(a->starttls, "require") != 0))) {
		fprintf(stderr, "postdesk: fetch: --starttls require|none goes "
		    "with imap:// URLs\n");
		return -1;
	}
	if (plain)
		m->tls = CONF_TLS_NONE;
	if (a->queue != NULL && conf_queue_by_name(cf, a->queue) == NULL) {
		fprintf(stderr, "postdesk: fetch: unknown queue \"%s\"\n",
		    a->queue);
		return -1;
	}
	g_free(m->queue);
	m->queue = g_strdup(a->queue != NULL ? a->queue : "");
	g_free(m->ca_file);
	m->ca_file = g_strdup(a->ca_file != NULL ? a->ca_file : "");
	g_free(m->password_file);
	m->password_file = g_strdup(a->password_file != NULL ?
	    a->password_file : "");
	return 0;
}

/* The accounts to fetch, pointers into cf (or to *url). */
static GPtrArray *
pick_accounts(const struct conf *cf, const struct fetch_args *a,
    struct conf_imap *url)
{
	GPtrArray *v = g_ptr_array_new();

	if (a->url != NULL) {
		if (url_account(cf, a, url) == 0)
			g_ptr_array_add(v, url);
		else
			g_ptr_array_set_size(v, 0);
		return v;
	}
	for (int i = 0; i < a->nnames; i++) {
		const struct conf_imap *m = conf_imap_by_name(cf, a->names[i]);

		if (m == NULL) {
			fprintf(stderr, "postdesk: fetch: no imap account "
			    "\"%s\" in %s\n", a->names[i], cf->path);
			g_ptr_array_set_size(v, 0);
			return v;
		}
		g_ptr_array_add(v, (gpointer)m);
	}
	for (size_t i = 0; a->nnames == 0 && i < cf->nimaps; i++)
		g_ptr_array_add(v, &cf->imaps[i]);
	if (v->len == 0 && a->nnames == 0)
		fprintf(stderr, "postdesk: fetch: no imap accounts in %s\n",
		    cf->path);
	return v;
}

static int
exit_code(enum fetch_status st)
{
	switch (st) {
	case FETCH_OK:
		return EX_OK;
	case FETCH_TEMPFAIL:
		return EX_TEMPFAIL;
	case FETCH_ERROR:
		return EX_UNAVAILABLE;
	case FETCH_TLS:
		return EX_PROTOCOL;
	case FETCH_LOGIN:
		return EX_NOPERM;
	}
	return EX_SOFTWARE;
}

/* What an account's run needs besides the account. */
struct env {
	const struct conf	*cf;
	struct token_keys	*keys;
	struct store		*store;
	struct ingest		*ing;
};

static int
env_open(struct env *e, const struct conf *cf)
{
	*e = (struct env){ .cf = cf };
	if ((e->keys = token_keys_load(cf->secret)) == NULL ||
	    (e->store = store_open(cf->database, STORE_OPEN,
	    cf->limits.busy_timeout)) == NULL)
		return -1;
	e->ing = ingest_new(cf, e->store, e->keys);
	if (guard_init(cf->database, (unsigned)cf->limits.parse_time,
	    cf->limits.memory) == -1)
		log_warnx("fetch: no guard: a crash counts as a kill");
	return 0;
}

static void
env_close(struct env *e)
{
	ingest_free(e->ing);
	store_close(e->store);
	token_keys_free(e->keys);
	*e = (struct env){ 0 };
}

static int
run_once(const struct conf *cf, GPtrArray *accts, char **passwords)
{
	enum fetch_status worst = FETCH_OK;
	struct env e;

	if (env_open(&e, cf) == -1) {
		env_close(&e);
		return EX_TEMPFAIL;
	}
	for (guint i = 0; i < accts->len && !stop; i++) {
		const struct conf_imap *m = accts->pdata[i];
		struct fetch_account a = { .conf = cf, .imap = m,
		    .password = passwords[i], .store = e.store,
		    .ingest = e.ing };
		struct fetch_counts n = { 0 };
		enum fetch_status st = fetch_once(&a, &n);

		printf("%s: %zu fetched, %zu stored, %zu duplicate, %zu "
		    "refused, %zu failed\n", m->name, n.fetched, n.stored,
		    n.duplicates, n.refused, n.failed);
		if (st > worst)
			worst = st;
	}
	env_close(&e);
	return exit_code(worst);
}

/* One account under --idle, in this process. */
static int
idle_one(const struct conf *cf, const struct conf_imap *m,
    const char *password)
{
	struct fetch_account a = { .conf = cf, .imap = m,
	    .password = password, .reload = &reload };
	struct env e;

	if (env_open(&e, cf) == -1) {
		env_close(&e);
		return EX_TEMPFAIL;
	}
	a.store = e.store;
	a.ingest = e.ing;
	fetch_idle(&a, &stop);
	env_close(&e);
	return reload ? EXIT_RELOAD : EX_OK;
}

static pid_t
spawn(const struct conf *cf, const struct conf_imap *m, const char *password)
{
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == -1) {
		log_warn("fetch: %s: fork", m->name);
		return -1;
	}
	if (pid == 0)
		exit(idle_one(cf, m, password));
	return pid;
}

/* Wait for the workers, restart the ones that die, stop them all (and
 * have the config reloaded when one saw it change). */
static void
supervise(const struct conf *cf, GPtrArray *accts, char **passwords,
    pid_t *pids)
{
	int status;
	pid_t pid;

	while (!stop && !reload) {
		if ((pid = waitpid(-1, &status, 0)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (guint i = 0; i < accts->len; i++) {
			const struct conf_imap *m = accts->pdata[i];

			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			if (WIFEXITED(status) && WEXITSTATUS(status) ==
			    EXIT_RELOAD) {
				reload = 1;
				break;
			}
			log_warnx("fetch: %s: worker %d ended (status 0x%x): "
			    "restarting in %d s", m->name, (int)pid, status,
			    RESTART_SECONDS);
			sleep(RESTART_SECONDS);
			pids[i] = stop ? 0 : spawn(cf, m, passwords[i]);
		}
	}
	for (guint i = 0; i < accts->len; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		;
}

static int
run_idle(const struct conf *cf, GPtrArray *accts, char **passwords)
{
	pid_t *pids;

	if (accts->len == 1)
		return idle_one(cf, accts->pdata[0], passwords[0]) ==
		    EXIT_RELOAD ? RUN_RELOAD : EX_OK;
	pids = g_new0(pid_t, accts->len);
	for (guint i = 0; i < accts->len; i++)
		pids[i] = spawn(cf, accts->pdata[i], passwords[i]);
	supervise(cf, accts, passwords, pids);
	g_free(pids);
	return reload ? RUN_RELOAD : EX_OK;
}

static void
catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A server that closes the connection must not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

static int
run(const struct fetch_args *a, const struct conf *cf)
{
	struct conf_imap url = { 0 };
	GPtrArray *accts = pick_accounts(cf, a, &url);
	char **passwords = g_new0(char *, accts->len + 1);
	int rc = accts->len == 0 ? EX_CONFIG : -1;

	for (guint i = 0; rc == -1 && i < accts->len; i++) {
		const struct conf_imap *m = accts->pdata[i];

		if ((passwords[i] = read_password(m->password_file,
		    m->name)) == NULL)
			rc = EX_CONFIG;
	}
	if (rc == -1) {
		catch_signals();
		rc = a->idle ? run_idle(cf, accts, passwords) :
		    run_once(cf, accts, passwords);
	}
	for (guint i = 0; i < accts->len; i++)
		if (passwords[i] != NULL)
			memset(passwords[i], 0, strlen(passwords[i]));
	g_strfreev(passwords);
	g_ptr_array_free(accts, TRUE);
	conf_imap_clear(&url);
	return rc;
}

/* The errors go to standard error as "FILE:LINE: message", or, once
 * running, to the log. */
static struct conf *
load(const char *path, bool running)
{
	struct conf_diag diag = { 0 };
	struct conf *cf = conf_load(path, &diag);

	for (size_t i = 0; i < diag.n; i++)
		if (running)
			log_warnx("fetch: %s", diag.lines[i]);
		else
			fprintf(stderr, "%s\n", diag.lines[i]);
	conf_diag_clear(&diag);
	return cf;
}

/*
 * Under --idle a changed config is read again before any more mail is
 * stored; while it has errors, mail waits on the server.
 */
static struct conf *
reload_conf(const char *path)
{
	struct conf *cf;

	reload = 0;
	while ((cf = load(path, true)) == NULL && !stop) {
		log_warnx("fetch: %s: errors: fetching again once it "
		    "checks", path);
		sleep(RESTART_SECONDS);
	}
	return cf;
}

int
cli_fetch(int argc, char **argv, const struct cli_global *g)
{
	struct fetch_args a = { 0 };
	struct conf *cf;
	int rc;

	if ((rc = parse_args(argc, argv, &a)) != -1)
		return rc;
	if ((cf = load(g->conf_path, false)) == NULL)
		return EX_CONFIG;
	while ((rc = run(&a, cf)) == RUN_RELOAD) {
		conf_free(cf);
		if ((cf = reload_conf(g->conf_path)) == NULL)
			return EX_OK;
	}
	conf_free(cf);
	return rc;
}

/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "filter.h"
#include "io.h"

/* Rule files larger than this are refused: rules are written by hand. */
#define RULES_MAX	(1024 * 1024)

/* The scripts one queue (or the top level, queue NULL) runs. */
struct rules {
	char			 *queue;
	GPtrArray		 *v;		/* struct sieve_script *,
						   borrowed from scripts */
};

struct filter_set {
	GHashTable		*scripts;	/* path -> struct sieve_script */
	struct rules		 top;
	struct rules		*queues;
	size_t			 nqueues;
};

static void
diag_add(struct conf_diag *diag, char *line)
{
	if (diag == NULL) {
		g_free(line);
		return;
	}
	diag->lines = g_renew(char *, diag->lines, diag->n + 2);
	diag->lines[diag->n++] = line;
	diag->lines[diag->n] = NULL;
}

/* The file's text, or NULL with errno set. */
static char *
read_rules(const char *path, size_t *len)
{
	struct stat st;
	char *text;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else if (st.st_size > RULES_MAX)
		err = EFBIG;
	else if ((text = io_read_fd(fd, RULES_MAX, len)) == NULL)
		err = errno;
	else {
		close(fd);
		return text;
	}
	close(fd);
	errno = err;
	return NULL;
}

/* Action names that must exist in the configuration. */
static void
check_names(const struct sieve_script *s, const struct conf *conf,
    struct conf_diag *diag, bool *ok)
{
	const struct sieve_action *a;
	size_t n;

	a = sieve_script_actions(s, &n);
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind == SIEVE_ACT_QUEUE &&
		    conf_queue_by_name(conf, a[i].arg) == NULL)
			diag_add(diag, g_strdup_printf("%s:%u:%u: queue: no "
			    "queue \"%s\" in %s", a[i].file, a[i].line,
			    a[i].col, a[i].arg, conf->path));
		else if (a[i].kind == SIEVE_ACT_ASSIGN &&
		    conf_agent_find(conf, a[i].arg) == NULL)
			diag_add(diag, g_strdup_printf("%s:%u:%u: assign: no "
			    "agent \"%s\" in %s", a[i].file, a[i].line,
			    a[i].col, a[i].arg, conf->path));
		else
			continue;
		*ok = false;
	}
}

/* The compiled file f (compiled on first use); NULL after errors. */
static struct sieve_script *
script_get(struct filter_set *fs, const struct conf_filter *f,
    const struct conf *conf, struct conf_diag *diag, bool *ok)
{
	struct sieve_script *s;
	size_t len;
	char *text;

	if (g_hash_table_lookup_extended(fs->scripts, f->path, NULL,
	    (gpointer *)&s))
		return s;
	if ((text = read_rules(f->path, &len)) == NULL) {
		if (f->file != NULL)
			diag_add(diag, g_strdup_printf("%s:%u: filter \"%s\": "
			    "%s", f->file, f->line, f->name,
			    g_strerror(errno)));
		else
			diag_add(diag, g_strdup_printf("%s: %s", f->name,
			    g_strerror(errno)));
		*ok = false;
		return NULL;
	}
	s = sieve_compile(f->name, text, len, diag);
	g_free(text);
	if (s == NULL)
		*ok = false;
	else if (conf != NULL)
		check_names(s, conf, diag, ok);
	g_hash_table_insert(fs->scripts, g_strdup(f->path), s);
	return s;
}

static void
script_free(gpointer p)
{
	sieve_free(p);
}

static struct filter_set *
set_new(size_t nqueues)
{
	struct filter_set *fs = g_new0(struct filter_set, 1);

	fs->scripts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    script_free);
	fs->top.v = g_ptr_array_new();
	fs->queues = g_new0(struct rules, nqueues);
	fs->nqueues = nqueues;
	return fs;
}

static void
add_rules(struct filter_set *fs, struct rules *r, const struct conf_filter *v,
    size_t n, const struct conf *conf, struct conf_diag *diag, bool *ok)
{
	struct sieve_script *s;

	for (size_t i = 0; i < n; i++)
		if ((s = script_get(fs, &v[i], conf, diag, ok)) != NULL)
			g_ptr_array_add(r->v, s);
}

static struct filter_set *
finish(struct filter_set *fs, bool ok)
{
	if (ok)
		return fs;
	filter_free(fs);
	return NULL;
}

struct filter_set *
filter_load(const struct conf *conf, struct conf_diag *diag)
{
	struct filter_set *fs = set_new(conf->nqueues);
	bool ok = true;

	add_rules(fs, &fs->top, conf->filters, conf->nfilters, conf, diag,
	    &ok);
	for (size_t i = 0; i < conf->nqueues; i++) {
		const struct conf_queue *q = &conf->queues[i];

		fs->queues[i].queue = g_strdup(q->name);
		fs->queues[i].v = g_ptr_array_new();
		add_rules(fs, &fs->queues[i], q->filters, q->nfilters, conf,
		    diag, &ok);
	}
	return finish(fs, ok);
}

struct filter_set *
filter_load_files(const char *const *paths, size_t n,
    const struct conf *conf, struct conf_diag *diag)
{
	struct filter_set *fs = set_new(0);
	bool ok = true;

	for (size_t i = 0; i < n; i++) {
		struct conf_filter f = { .name = (char *)paths[i] };
		struct sieve_script *s;

		f.path = g_canonicalize_filename(paths[i], NULL);
		if ((s = script_get(fs, &f, conf, diag, &ok)) != NULL)
			g_ptr_array_add(fs->top.v, s);
		g_free(f.path);
	}
	return finish(fs, ok);
}

void
filter_free(struct filter_set *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; i < fs->nqueues; i++) {
		g_free(fs->queues[i].queue);
		if (fs->queues[i].v != NULL)
			g_ptr_array_free(fs->queues[i].v, TRUE);
	}
	g_free(fs->queues);
	g_ptr_array_free(fs->top.v, TRUE);
	g_hash_table_destroy(fs->scripts);
	g_free(fs);
}

size_t
filter_count(const struct filter_set *fs)
{
	return g_hash_table_size(fs->scripts);
}

void
filter_view(struct sieve_view *v, const struct msg *m, const char *env_from,
    const char *env_to, bool is_new)
{
	*v = (struct sieve_view){ .msg = m, .env_from = env_from,
	    .env_to = env_to, .is_new = is_new };
}

static void
run_rules(const struct rules *r, const struct sieve_view *view,
    struct sieve_result *res)
{
	for (guint i = 0; i < r->v->len; i++)
		sieve_eval(r->v->pdata[i], view, res);
}

int
filter_run(const struct filter_set *fs, const char *queue,
    const struct sieve_view *view, struct sieve_result *r)
{
	run_rules(&fs->top, view, r);
	for (size_t i = 0; queue != NULL && i < fs->nqueues; i++)
		if (strcmp(fs->queues[i].queue, queue) == 0)
			run_rules(&fs->queues[i], view, r);
	return r->error != NULL ? -1 : 0;
}

char *
filter_action_text(const struct sieve_action *a)
{
	GString *s = g_string_new(sieve_action_name(a->kind));

	if (a->arg == NULL)
		return g_string_free(s, FALSE);
	g_string_append(s, " \"");
	for (const char *p = a->arg; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_c(s, '\\');
		if (*p == '\n')
			g_string_append(s, "\\n");
		else
			g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
	return g_string_free(s, FALSE);
}

char *
filter_action_rule(const struct sieve_action *a)
{
	return g_strdup_printf("%s:%u", a->file, a->line);
}

/* SPDX-License-Identifier: ISC */
/*
 * parse-bench: throughput of parse_message() against a bare GMime parse
 * of the same bytes, which constructs the message and decodes every leaf
 * part (down through message/rfc822) into a null stream.  Both read the
 * messages from memory in place, without a copy.
 *
 *   parse-bench [-r REPS] LABEL=DIR ...   one table row per directory
 *   parse-bench -m FILE                   parse once, print peak RSS (kB)
 *
 * Each repetition runs every message of a set through one side, then
 * through the other; a set too small to time is looped until a pass
 * takes about MIN_PASS_NS.  The best repetition counts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "io.h"
#include "msg.h"
#include "parse.h"

#define MIN_PASS_NS	(200 * 1000 * 1000LL)
#define DEFAULT_REPS	5
#define GOAL_RATIO	0.8

struct set {
	const char	*label;
	char		**raw;
	size_t		*len;
	size_t		 n;
	uint64_t	 bytes;
	unsigned	 loops;		/* passes per timed repetition */
	long long	 best_pd;	/* ns per single pass */
	long long	 best_gm;
};

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
gmime_decode(GMimeObject *obj, GMimeStream *null)
{
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n; i++)
			gmime_decode(g_mime_multipart_get_part(mp, i), null);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));

		if (m != NULL && g_mime_message_get_mime_part(m) != NULL)
			gmime_decode(g_mime_message_get_mime_part(m), null);
	} else if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(obj));

		if (dw != NULL)
			g_mime_data_wrapper_write_to_stream(dw, null);
	}
}

static void
run_gmime(const char *raw, size_t len)
{
	GByteArray *arr = g_byte_array_new_take((guint8 *)raw, len);
	GMimeStream *st = g_mime_stream_mem_new_with_byte_array(arr);
	GMimeStream *null = g_mime_stream_null_new();
	GMimeParser *parser;
	GMimeMessage *message;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(st), FALSE);
	parser = g_mime_parser_new_with_stream(st);
	g_mime_parser_set_persist_stream(parser, TRUE);
	message = g_mime_parser_construct_message(parser, NULL);
	if (message != NULL) {
		if (g_mime_message_get_mime_part(message) != NULL)
			gmime_decode(g_mime_message_get_mime_part(message), null);
		g_object_unref(message);
	}
	g_object_unref(parser);
	g_object_unref(st);
	g_object_unref(null);
	g_byte_array_free(arr, FALSE);
}

static void
run_postdesk(const char *raw, size_t len)
{
	struct parse_opts o;

	parse_opts_default(&o);
	msg_free(parse_message(raw, len, &o));
}

static long long
pass(const struct set *s, void (*fn)(const char *, size_t))
{
	long long t0 = now_ns();

	for (unsigned l = 0; l < s->loops; l++)
		for (size_t i = 0; i < s->n; i++)
			fn(s->raw[i], s->len[i]);
	return now_ns() - t0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file under dir, recursively, in name order. */
static void
collect(const char *dir, GPtrArray *paths)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL) {
		fprintf(stderr, "parse-bench: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			g_ptr_array_add(names, g_build_filename(dir, e->d_name,
			    NULL));
	closedir(d);
	qsort(names->pdata, names->len, sizeof(char *), name_cmp);
	for (guint i = 0; i < names->len; i++) {
		const char *p = names->pdata[i];

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			collect(p, paths);
		else if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(paths, g_strdup(p));
	}
	g_ptr_array_free(names, TRUE);
}

static void
load(struct set *s, const char *arg)
{
	const char *eq = strchr(arg, '=');
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);

	if (eq == NULL) {
		fprintf(stderr, "parse-bench: %s: expected LABEL=DIR\n", arg);
		exit(2);
	}
	s->label = g_strndup(arg, (size_t)(eq - arg));
	collect(eq + 1, paths);
	s->raw = g_new0(char *, paths->len);
	s->len = g_new0(size_t, paths->len);
	for (guint i = 0; i < paths->len; i++) {
		s->raw[s->n] = io_read_path(paths->pdata[i], 0, &s->len[s->n]);
		if (s->raw[s->n] == NULL)
			exit(1);
		s->bytes += s->len[s->n++];
	}
	g_ptr_array_free(paths, TRUE);
}

static void
measure(struct set *s, unsigned reps)
{
	long long t;

	s->loops = 1;
	t = pass(s, run_postdesk);	/* warm-up, and the loop count */
	if (t < MIN_PASS_NS)
		s->loops = (unsigned)(MIN_PASS_NS / (t > 0 ? t : 1)) + 1;
	pass(s, run_gmime);
	s->best_pd = s->best_gm = -1;
	for (unsigned r = 0; r < reps; r++) {
		t = pass(s, run_postdesk);
		if (s->best_pd < 0 || t < s->best_pd)
			s->best_pd = t;
		t = pass(s, run_gmime);
		if (s->best_gm < 0 || t < s->best_gm)
			s->best_gm = t;
	}
	s->best_pd /= s->loops;
	s->best_gm /= s->loops;
}

static void
row(const char *label, size_t n, uint64_t bytes, long long pd, long long gm)
{
	double mb = (double)bytes / 1e6;
	double spd = (double)pd / 1e9, sgm = (double)gm / 1e9;

	printf("%-14s %6zu %8.2f %11.0f %8.1f %11.0f %8.1f %6.2f\n", label, n,
	    mb, (double)n / spd, mb / spd, (double)n / sgm, mb / sgm,
	    sgm / spd);
}

static int
throughput(int argc, char **argv, unsigned reps)
{
	struct set *sets = g_new0(struct set, (size_t)argc);
	long long tpd = 0, tgm = 0;
	uint64_t bytes = 0;
	size_t n = 0;

	for (int i = 0; i < argc; i++) {
		load(&sets[i], argv[i]);
		measure(&sets[i], reps);
	}
	printf("parse throughput: postdesk parse_message() vs bare GMime "
	    "(construct + decode every part), best of %u\n", reps);
	printf("%-14s %6s %8s %11s %8s %11s %8s %6s\n", "set", "msgs", "MB",
	    "postdesk/s", "MB/s", "gmime/s", "MB/s", "ratio");
	for (int i = 0; i < argc; i++) {
		struct set *s = &sets[i];

		row(s->label, s->n, s->bytes, s->best_pd, s->best_gm);
		n += s->n;
		bytes += s->bytes;
		tpd += s->best_pd;
		tgm += s->best_gm;
	}
	row("all", n, bytes, tpd, tgm);
	printf("goal: ratio >= %.2f (all): %s\n", GOAL_RATIO,
	    (double)tgm / (double)tpd >= GOAL_RATIO ? "met" : "MISSED");
	return 0;
}

/* Fallback for peak memory when the postdesk binary is not built. */
static int
peak(const char *path)
{
	struct parse_opts o;
	size_t len;
	char *raw = io_read_path(path, 0, &len), line[256];
	FILE *fp;

	if (raw == NULL)
		return 1;
	parse_opts_default(&o);
	msg_free(parse_message(raw, len, &o));
	g_free(raw);
	if ((fp = fopen("/proc/self/status", "r")) == NULL)
		return 1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, "VmHWM:", 6) == 0)
			printf("%ld\n", strtol(line + 6, NULL, 10));
	fclose(fp);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned reps = DEFAULT_REPS;
	int ch;

	while ((ch = getopt(argc, argv, "m:r:")) != -1) {
		switch (ch) {
		case 'm':
			return peak(optarg);
		case 'r':
			reps = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: parse-bench [-r REPS] "
			    "LABEL=DIR ...\n       parse-bench -m FILE\n");
			return 2;
		}
	}
	if (optind == argc || reps == 0) {
		fprintf(stderr, "parse-bench: no message sets\n");
		return 2;
	}
	parse_init();
	return throughput(argc - optind, argv + optind, reps);
}

/* SPDX-License-Identifier: ISC */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "transport.h"

/*
 * The file transport: each mail becomes one file in a Maildir, written
 * into tmp/, fsynced and renamed into new/ (the Maildir protocol), so a
 * reader never sees half a mail.  The envelope goes first, as an MDA
 * would write it: Return-Path and Delivered-To.
 *
 * A file is named after its outbox row, "<id>.<hash of the
 * Message-ID>", in tmp/ and new/ alike, so a sender killed after the
 * rename but before its mark-sent leaves nothing to send twice: the
 * next sender finds the file in new/ (or cur/, where a mail reader
 * moved it, adding ":2,FLAGS") and only marks the row sent; one killed
 * before the rename leaves a tmp/ file the next one overwrites.
 */

#define HASH_HEX	16	/* 64 bits of the Message-ID's SHA-256 */

struct session {
	char		*dir;
};

static void *
file_open(const struct conf_transport *t)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	struct session *s;

	if (t->path == NULL || *t->path == '\0') {
		log_warnx("send: transport file: no Maildir configured");
		return NULL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(sub); i++) {
		char *d = g_build_filename(t->path, sub[i], NULL);
		int r = g_mkdir_with_parents(d, 0700);

		if (r == -1)
			log_warn("send: transport file: %s", d);
		g_free(d);
		if (r == -1)
			return NULL;
	}
	s = g_new0(struct session, 1);
	s->dir = g_strdup(t->path);
	return s;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
write_mail(const char *path, const struct store_outbox *o)
{
	char *env = g_strdup_printf("Return-Path: <%s>\nDelivered-To: %s\n",
	    o->mail_from, o->rcpt);
	int fd, r = -1;

	/* Not O_EXCL: a dead sender's half-written file is overwritten. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto out;
	if (write_all(fd, env, strlen(env)) == 0 &&
	    write_all(fd, o->raw, o->raw_len) == 0 && fsync(fd) == 0)
		r = 0;
	if (close(fd) == -1)
		r = -1;
out:
	g_free(env);
	return r;
}

/* The rename is durable once the directory is synced. */
static int
sync_dir(const char *dir)
{
	int fd, r;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* "<id>.<hash>": the same for every try of one outbox row. */
static char *
file_name(const struct store_outbox *o)
{
	char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
	    o->message_id, -1);
	char *name = g_strdup_printf("%lld.%.*s", (long long)o->id,
	    HASH_HEX, hash);

	g_free(hash);
	return name;
}

/* Is name, or name plus ":2,FLAGS", in the directory sub? */
static bool
found_in(const struct session *s, const char *sub, const char *name)
{
	char *path = g_build_filename(s->dir, sub, NULL);
	size_t len = strlen(name);
	const char *e;
	GDir *dir;
	bool found = false;

	if ((dir = g_dir_open(path, 0, NULL)) != NULL) {
		while (!found && (e = g_dir_read_name(dir)) != NULL)
			found = strncmp(e, name, len) == 0 &&
			    (e[len] == '\0' || e[len] == ':');
		g_dir_close(dir);
	}
	g_free(path);
	return found;
}

static enum transport_status
file_send(void *arg, const struct store_outbox *o, struct transport_reply *r)
{
	struct session *s = arg;
	char *name = file_name(o), *tmp, *dst, *newdir;
	enum transport_status st = TRANSPORT_TRANSIENT;

	tmp = g_build_filename(s->dir, "tmp", name, NULL);
	newdir = g_build_filename(s->dir, "new", NULL);
	dst = g_build_filename(newdir, name, NULL);
	if (found_in(s, "new", name) || found_in(s, "cur", name)) {
		unlink(tmp);
		r->text = g_strdup_printf("file: %s: delivered before", name);
		st = TRANSPORT_SENT;
	} else if (write_mail(tmp, o) == -1 || rename(tmp, dst) == -1 ||
	    sync_dir(newdir) == -1) {
		r->text = g_strdup_printf("file: %s: %s", tmp,
		    g_strerror(errno));
		unlink(tmp);
	} else {
		r->text = g_strdup_printf("file: %s", dst);
		st = TRANSPORT_SENT;
	}
	g_free(name);
	g_free(tmp);
	g_free(newdir);
	g_free(dst);
	return st;
}

static void
file_close(void *arg)
{
	struct session *s = arg;

	if (s == NULL)
		return;
	g_free(s->dir);
	g_free(s);
}

const struct transport_ops transport_file = {
	.name = "file",
	.open = file_open,
	.send = file_send,
	.close = file_close,
};

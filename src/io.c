/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "io.h"
#include "log.h"

char *
io_read_fd(int fd, uint64_t max, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = g_malloc(cap + 1);
	ssize_t r;

	for (;;) {
		size_t want;

		if (max > 0 && n > max) {
			errno = EFBIG;
			break;
		}
		if (n == cap) {
			cap *= 2;
			buf = g_realloc(buf, cap + 1);
		}
		/* Never more than one byte past max: that byte says "too
		 * large", and the rest is not read at all. */
		want = cap - n;
		if (max > 0 && max + 1 - n < want)
			want = (size_t)(max + 1 - n);
		r = read(fd, buf + n, want);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			log_warn("read");
			g_free(buf);
			return NULL;
		}
		n += (size_t)r;
		errno = 0;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *
io_read_path(const char *path, uint64_t max, size_t *len)
{
	char *buf;
	int fd;

	if (strcmp(path, "-") == 0)
		return io_read_fd(STDIN_FILENO, max, len);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return NULL;
	}
	buf = io_read_fd(fd, max, len);
	close(fd);
	return buf;
}

char *
io_read_tail(const char *path, uint64_t max, size_t *len)
{
	struct stat st;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		return NULL;
	}
	if (fstat(fd, &st) == 0 && max > 0 && (uint64_t)st.st_size > max &&
	    lseek(fd, (off_t)(st.st_size - (off_t)max), SEEK_SET) == -1) {
		log_warn("%s: seek", path);
		close(fd);
		return NULL;
	}
	buf = io_read_fd(fd, max, len);
	close(fd);
	return buf;
}

int
io_write_file(const char *path, const void *data, size_t len, int mode)
{
	char *tmp = g_strdup_printf("%s.tmp.%ld", path, (long)getpid());
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd == -1) {
		log_warn("%s", tmp);
		goto out;
	}
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) == -1) {
		log_warn("%s", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	g_free(tmp);
	return ret;
}

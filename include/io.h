/* SPDX-License-Identifier: ISC */
#ifndef POSTDESK_IO_H
#define POSTDESK_IO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Read everything from fd into one buffer (free with g_free), NUL-
 * terminated past *len.  Stops with errno EFBIG after max bytes (0 = no
 * limit), *len then being what was read.  NULL on a read error (logged).
 */
char	*io_read_fd(int fd, uint64_t max, size_t *len);

/* The same for a path; "-" is standard input. */
char	*io_read_path(const char *path, uint64_t max, size_t *len);

/* The last max bytes (0: all) of the file at path; NULL when it does
 * not exist (silently) or can't be read (logged). */
char	*io_read_tail(const char *path, uint64_t max, size_t *len);

/* Write len bytes to path atomically (temp file, fsync, rename) with
 * mode; 0 or -1 (logged). */
int	 io_write_file(const char *path, const void *data, size_t len,
	    int mode);

#endif

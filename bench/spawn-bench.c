/* SPDX-License-Identifier: ISC */
/*
 * spawn-bench: run a command once per input file, the file on its stdin,
 * as an MTA's pipe transport does; -j runs that many at once.  Prints
 * "RUNS SECONDS FAILURES".
 *   spawn-bench [-j J] FILE... -- COMMAND [ARG...]
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static pid_t
start(const char *file, char **cmd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, file, O_RDONLY, 0);
	if (posix_spawn(&pid, cmd[0], &fa, NULL, cmd, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

int
main(int argc, char **argv)
{
	int j = 1, running = 0, failed = 0, nfiles = 0, next = 0, status;
	char **files, **cmd = NULL;
	struct timespec t0, t1;

	if (argc > 2 && strcmp(argv[1], "-j") == 0) {
		j = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	files = argv + 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			nfiles = i - 1;
			cmd = argv + i + 1;
			break;
		}
	if (cmd == NULL || cmd[0] == NULL || j < 1) {
		fprintf(stderr, "usage: spawn-bench [-j J] FILE... -- CMD...\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (next < nfiles || running > 0) {
		while (running < j && next < nfiles) {
			if (start(files[next++], cmd) == -1)
				failed++;
			else
				running++;
		}
		if (wait(&status) > 0) {
			running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				failed++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%d %.6f %d\n", nfiles, (double)(t1.tv_sec - t0.tv_sec) +
	    (t1.tv_nsec - t0.tv_nsec) / 1e9, failed);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Reference for bench/probes: a bare posix_spawn loop running argv N times
 * with C in flight, capturing stdout; prints spawns per second. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct child {
	pid_t pid;
	int fd;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
start(struct child *c, char **argv)
{
	posix_spawn_file_actions_t fa;
	int p[2];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (posix_spawnp(&c->pid, argv[0], &fa, NULL, argv, environ) != 0)
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	c->fd = p[0];
	return 0;
}

int
main(int argc, char **argv)
{
	long n, conc, started = 0, done = 0, i;
	struct child *kids;
	struct pollfd *pfd;
	double t0, secs;

	if (argc < 4) {
		fprintf(stderr, "usage: bare-spawn N CONCURRENCY ARGV...\n");
		return 2;
	}
	n = strtol(argv[1], NULL, 10);
	conc = strtol(argv[2], NULL, 10);
	kids = calloc((size_t)conc, sizeof(*kids));
	pfd = calloc((size_t)conc, sizeof(*pfd));
	t0 = now();
	for (i = 0; i < conc && started < n; i++, started++) {
		if (start(&kids[i], argv + 3) != 0)
			return 1;
	}
	for (; i < conc; i++)
		kids[i].fd = -1;
	while (done < n) {
		for (i = 0; i < conc; i++) {
			pfd[i].fd = kids[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)conc, 1000) < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < conc; i++) {
			char buf[4096];
			ssize_t r;

			if (kids[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			r = read(kids[i].fd, buf, sizeof(buf));
			if (r > 0)
				continue;
			close(kids[i].fd);
			kids[i].fd = -1;
			waitpid(kids[i].pid, NULL, 0);
			done++;
			if (started < n) {
				started++;
				if (start(&kids[i], argv + 3) != 0)
					return 1;
			}
		}
	}
	secs = now() - t0;
	printf("%.0f\n", (double)n / secs);
	fprintf(stderr, "bare-spawn: %ld spawns, %.3f s\n", n, secs);
	free(kids);
	free(pfd);
	return 0;
}

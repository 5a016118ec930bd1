/* SPDX-License-Identifier: MIT */
/* sd_notify(3)'s protocol: readiness and watchdog datagrams to systemd. The
 * protocol is one datagram on a unix socket; linking libsystemd for it would
 * add a library for twenty lines. */
#include "util/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
sdnotify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { 0 };
	socklen_t len;
	size_t n;
	ssize_t k;
	int fd, saved;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return 0;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	k = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, len);
	saved = errno;
	close(fd);
	errno = saved;
	return k < 0 ? -1 : 1;
}

double
sdnotify_watchdog(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid;
	char *end;
	unsigned long long v;

	if (usec == NULL)
		return 0;
	pid = getenv("WATCHDOG_PID");
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return 0;
	return (double)v / 1e6;
}

/* SPDX-License-Identifier: MIT */
/* systemd's readiness and watchdog protocol (sd_notify(3)): one datagram to
 * the socket systemd names in $NOTIFY_SOCKET. */
#ifndef TRIAGE_SDNOTIFY_H
#define TRIAGE_SDNOTIFY_H

/* sdnotify_send: sends state ("READY=1", "WATCHDOG=1", "STOPPING=1",
 * "RELOADING=1", "STATUS=...") to $NOTIFY_SOCKET (a path, or an abstract
 * socket when it starts with @). 1 when sent, 0 when there is no socket
 * to send to (not run by systemd), -1 on error (errno set). */
int sdnotify_send(const char *state);

/* sdnotify_watchdog: the interval at which systemd wants WATCHDOG=1, in
 * seconds ($WATCHDOG_USEC, for this pid when $WATCHDOG_PID is set), or 0
 * when it wants none. */
double sdnotify_watchdog(void);

#endif

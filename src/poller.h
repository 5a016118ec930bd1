/* SPDX-License-Identifier: MIT */
/* The poller of triage watch: a child process that runs every probe on its
 * schedule and streams the results to the daemon, which supervises it.
 *
 * The daemon starts the poller as its own executable with TRIAGE_POLLER
 * set in the environment (and the same runbook options): a process of its
 * own, in a process group of its own, so that a probe that crashes or
 * wedges it can be killed and restarted without taking the daemon, its
 * HTTP server or its state with it. The protocol is lines of JSON:
 *
 *   poller -> daemon (its stdout):
 *     {"t":"result","i":N,"lag":SECONDS,"result":{...}}  one per result
 *     {"t":"tick","running":N,"overruns":N}             every second
 *   daemon -> poller (its stdin):
 *     poll | pause | resume | drain                       one per line
 *
 * The poller's stderr is the daemon's log of it. When its stdin reaches
 * EOF (the daemon is gone) it drains and exits. */
#ifndef TRIAGE_POLLER_H
#define TRIAGE_POLLER_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#include "loop.h"
#include "util/buf.h"
#include "util/proc.h"

struct runbook;

/* The environment variable that makes `triage watch` the poller. */
#define POLLER_ENV "TRIAGE_POLLER"

/* poller_main: the poller process: schedules every probe of rb (loaded by
 * the caller) with jobs in flight at most, speaks the protocol above on
 * stdin/stdout, and returns its exit status once drained (0). A signal
 * that sets *interrupted drains it too. */
int poller_main(const struct runbook *rb, int jobs,
    volatile sig_atomic_t *interrupted);

/* What the daemon hears from its poller. */
struct poller_hooks {
	/* A result (the daemon's reference) of probe i, started lag s late. */
	void (*result)(void *arg, size_t i, json_t *result, double lag);
	/* A tick: the poller's loop is alive. */
	void (*tick)(void *arg, json_t *msg);
	/* A line of the poller's stderr (without its newline). */
	void (*log)(void *arg, const char *line);
	/* The poller has exited and is reaped; how says why, in words
	 * ("exited with status 3", "killed by SIGSEGV"). */
	void (*exited)(void *arg, const char *how);
	void *arg;
};

/* The daemon's side of one poller process. */
struct poller {
	struct proc proc;
	struct loop *loop;
	struct poller_hooks hooks;
	struct buf out;		/* partial line from stdout */
	struct buf err;		/* partial line from stderr */
	int running;
};

/* poller_start: spawns argv (the daemon's own executable and options)
 * with POLLER_ENV set, watched on l. 0, or -1 with *cause (heap). */
int poller_start(struct poller *p, struct loop *l, char *const argv[],
    const struct poller_hooks *hooks, char **cause);

/* poller_send: writes one command line ("poll", "pause", "resume",
 * "drain") to the poller; ignored when it is not running. */
void poller_send(struct poller *p, const char *command);

/* poller_kill: kills the poller's whole process group and reaps it now;
 * hooks.exited runs (with how). A no-op when it is not running. */
void poller_kill(struct poller *p, const char *how);

/* poller_pid: its pid, or -1 when it is not running. */
long poller_pid(const struct poller *p);

#endif

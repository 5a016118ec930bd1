/* SPDX-License-Identifier: MIT */
/* Running on other hosts (`on: HOST`) over the OpenSSH client: the command
 * line for the remote shell, the ssh argv, one control master per target
 * and per process that the probes on that host share, and what ssh's own
 * failures mean.
 *
 * A probe on a host opens a remote_session: the first one on a target
 * starts the target's control master (an ssh of its own, in its own process
 * group, owned here); every session then runs its own `ssh` client through
 * that master, so twenty probes on a host cost one connection. At most
 * REMOTE_SESSIONS_MAX sessions of a target run at once (sshd's MaxSessions
 * is 10 by default, the master's own session included); the others wait
 * in line. The masters outlive a run and serve the next one of the same
 * process; remote_shutdown() stops them when the process is done.
 *
 * Everything here runs on the thread that runs probes; it takes no lock. */
#ifndef TRIAGE_REMOTE_H
#define TRIAGE_REMOTE_H

#include <stddef.h>

#include "loop.h"

struct host;
struct remote_conn;

/* Sessions of one target that run at once, the rest wait. */
#define REMOTE_SESSIONS_MAX 8

/* remote_command: the command line that the login shell on the remote host
 * runs: /bin/sh with a small wrapper that sets env (NULL, or
 * NULL-terminated NAME=value entries), enters cwd (NULL: the login
 * directory), and runs argv (no shell: each word is quoted for sh) with
 * stdin from /dev/null in a session of its own; when the wrapper's stdin
 * (the ssh channel) reaches EOF, because the ssh client ended or the
 * connection dropped, the command's whole process group is killed, and
 * what the command left running is killed when it exits. Its exit status is
 * the command's (128+N when signal N killed it; 127 when argv[0] is not
 * found; 126 when cwd or env cannot be set). Heap string. */
char *remote_command(char *const argv[], const char *cwd, char *const env[]);

/* How an ssh client reaches its host. */
enum remote_mode {
	REMOTE_DIRECT,	/* a connection of its own */
	REMOTE_CLIENT,	/* through the master listening at control; a
			 * connection of its own when there is none */
	REMOTE_MASTER,	/* the master: connects and listens at control */
};

/* remote_ssh_argv: the ssh client's argv that runs command (one string,
 * for the remote login shell) on h: BatchMode, ConnectTimeout
 * (connect_timeout seconds), strict host key checking (against
 * h->known_hosts when set), h->identity alone when set, h->port when set,
 * no tty, no forwarding, and the control options of mode (control is the
 * control socket's path; ignored for REMOTE_DIRECT). Heap, NULL-terminated;
 * free with strv_free. */
char **remote_ssh_argv(const struct host *h, enum remote_mode mode,
    const char *control, int connect_timeout, const char *command);

/* remote_ssh_reason: what ssh's stderr err (n bytes) says went wrong, as
 * a result reason: "ssh: connection refused", "ssh: permission denied
 * (publickey)", "ssh: host key mismatch" (the key is unknown, or it
 * changed), "ssh: connection timed out", "ssh: could not resolve host",
 * else "ssh: " and the message. With sure (ssh itself failed, e.g. a
 * master that never came up), any text is ssh's: an empty err gives
 * "ssh: the connection failed". Without it (a client that exited 255,
 * which the remote command may do too), only a last line that is ssh's
 * own message counts, and NULL means the 255 was the command's. Heap
 * string or NULL. */
char *remote_ssh_reason(const char *err, size_t n, int sure);

/* remote_mux_refused: whether err (n bytes, a client's stderr) says the
 * master's host refused one more session (sshd's MaxSessions). */
int remote_mux_refused(const char *err, size_t n);

/* Called when a session may start (error NULL) or cannot (error: the
 * reason, e.g. "ssh: connection refused", borrowed for the call). It runs
 * from a loop callback, never from remote_session_open; it may close the
 * session and free its memory. */
typedef void (*remote_ready_fn)(void *arg, const char *error);

/* One session on a host: embed it, remote_session_open it, and
 * remote_session_close it when its ssh client is done or cancelled. The
 * fields are private. */
struct remote_session {
	struct remote_conn *conn;	/* NULL: closed */
	struct remote_session *next;	/* in the target's line */
	struct loop *loop;
	struct loop_timer timer;	/* calls ready() from the loop */
	remote_ready_fn ready;
	void *arg;
	char *error;			/* for ready() */
	double deadline;		/* monotonic: the caller gives up */
	int state;
};

/* remote_session_open: asks for a session on h (which need only live
 * until this returns) for a probe running on l until deadline (monotonic;
 * the master's ConnectTimeout is taken from it). Starts the target's
 * master when there is none. ready(arg, error) runs once, later, from a
 * loop callback on l, unless the session is closed first. */
void remote_session_open(struct remote_session *s, const struct host *h,
    struct loop *l, double deadline, remote_ready_fn ready, void *arg);

/* remote_session_argv: the ssh argv (see remote_ssh_argv) that runs
 * command for a session that is ready: through the target's master, or
 * with direct a connection of its own. */
char **remote_session_argv(const struct remote_session *s, int direct,
    const char *command);

/* remote_session_close: gives the session back: it leaves the line, or
 * frees its place for the next in line; a master whose connection nobody
 * waits for any more is stopped. Safe on a closed session and twice. */
void remote_session_close(struct remote_session *s);

/* remote_masters: how many control masters run now (for tests). */
size_t remote_masters(void);

/* remote_shutdown: stops every control master (SIGTERM, then SIGKILL to
 * its process group after a second), reaps it, and removes the private
 * control directory. Call it once the process has run its last probe (no
 * session may be open); the next session starts afresh. */
void remote_shutdown(void);

#endif

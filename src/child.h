/* SPDX-License-Identifier: MIT */
/* A child process on the event loop: output captured under a cap, the whole
 * process group killed and reaped at the end; plus the glue that probe kinds
 * running one command (command, nagios, steps) share. */
#ifndef TRIAGE_CHILD_H
#define TRIAGE_CHILD_H

#include <jansson.h>
#include <stddef.h>

#include "loop.h"
#include "probe.h"
#include "remote.h"
#include "util/buf.h"
#include "util/proc.h"

struct child;

typedef void (*child_done_fn)(void *arg, struct child *s);

struct child_opts {
	/* NULL, or NULL-terminated "NAME=value" entries replacing or added
	 * to our environment. */
	char *const *env;
	const char *cwd;	/* NULL: ours */
	size_t max_output;	/* per stream; 0: PROBE_OUTPUT_MAX */
	int stdin_pipe;		/* 1: stdin is a pipe kept open (never
				 * written) until the child is done or
				 * cancelled, then closed: EOF; 0: /dev/null */
};

/* One child. Embed it, child_start it, read the fields below once done()
 * ran or after child_cancel(), and child_dispose it. */
struct child {
	struct proc proc;	/* exit_code, signal: see child_exited */
	struct loop *loop;
	struct buf out;		/* stdout; out.truncated when capped */
	struct buf err;		/* stderr; err.truncated when capped */
	int finished;		/* done() ran, or cancelled */
	child_done_fn done;
	void *arg;
};

/* child_start: starts argv (no shell; see proc_spawn) with opts (may be
 * NULL) and watches it on l. stdout and stderr are captured into s->out and
 * s->err, each up to opts->max_output bytes; the rest is read and dropped,
 * so the child never blocks on a full pipe. done(arg, s) runs once, from a
 * loop callback, when the leader has exited and both pipes reached EOF;
 * by then the whole process group has been killed and reaped and every
 * descriptor closed. done() may dispose s (and free its memory) but must
 * not touch it afterwards through other calls. If the leader exits while
 * something it started keeps a pipe open, done() does not run: the caller's
 * timeout calls child_cancel. Returns 0, or -1 with *cause (heap; see
 * proc_spawn) and s safe to child_dispose. */
int child_start(struct child *s, struct loop *l, char *const argv[],
    const struct child_opts *opts, child_done_fn done, void *arg,
    char **cause);

/* child_cancel: stops the child now: kills its whole group, reaps it,
 * reads what is left in the pipes, closes and unwatches every descriptor.
 * What was captured stays in s->out and s->err; the leader's status is the
 * one it exited with, else SIGKILL. done() will not run. A no-op when s is
 * already finished. */
void child_cancel(struct child *s);

/* child_dispose: cancels the child if it still runs and frees the
 * captured output. Safe after a failed child_start and twice. */
void child_dispose(struct child *s);

/* child_exited: 1 when the leader's exit status is known: then
 * s->proc.exit_code is its exit code (or -1) and s->proc.signal the signal
 * that killed it (or 0). */
int child_exited(const struct child *s);

/* child_text: n bytes of child output as a heap string, trimmed of leading
 * and trailing white space, with NUL bytes and invalid UTF-8 replaced by
 * U+FFFD so that it is always a valid JSON string. */
char *child_text(const char *s, size_t n);

/* child_text_cut: a heap copy of the first line of s (valid UTF-8) cut to
 * at most max characters. */
char *child_text_cut(const char *s, size_t max);

/* Probe kinds that run one command (command, nagios; evidence and fix
 * steps, which are command probes; file and log on a host) share these.
 *
 * With `on: HOST` the command runs there, over ssh (remote.h): the run
 * waits for a session on the host, then runs an ssh client whose remote
 * command is argv, cwd and env quoted for the remote shell; the same
 * timeout kills the client's process group, and the remote command dies
 * with its session. When ssh itself fails (exit 255 with ssh's own
 * message), the run's error is ssh's reason ("ssh: connection refused")
 * and judge() does not run. */

/* The compiled command, kept in probe->priv by prepare(). */
struct child_probe {
	char **argv;		/* NULL-terminated, heap */
	char **env;		/* NULL, or NULL-terminated NAME=value */
	char *cwd;		/* NULL: ours */
	size_t max_output;
	const struct host *host;	/* NULL: here; else p->on (borrowed) */
};

/* The state of one run, in run->priv. */
struct child_probe_run {
	struct child sp;
	struct probe_run *run;
	/* Set the kind's verdict from the finished child; NULL: none. */
	void (*judge)(struct probe_run *run, struct child *s);
	const struct child_probe *cp;
	int started;		/* sp was started */
	int direct;		/* on a host: without the control master */
	struct remote_session rs;	/* on a host */
	void *data;		/* the kind's, see child_probe_set_data */
	void (*data_free)(void *data);
};

/* child_probe_create: compiles argv (a JSON array of strings, borrowed) and
 * p's `env` (map), `cwd` and `max_output` params into a new child_probe
 * that runs on p->on (NULL: here). Fails when argv is not a non-empty
 * array of strings, an env name is empty or has '=', or max_output is 0 or
 * above 64MiB. NULL on error with *cause (heap) and p->err_field set. */
struct child_probe *child_probe_create(struct probe *p, json_t *argv,
    const char *argv_key, char **cause);

/* child_probe_free: frees sp; NULL is a no-op. */
void child_probe_free(struct child_probe *sp);

/* child_probe_start: starts sp for run (run->priv becomes a
 * child_probe_run). When the child is done, judge(run, s) runs and the run
 * completes. Returns 0, or -1 after probe_run_error ("command not found:
 * foo") with run->priv NULL. */
int child_probe_start(struct probe_run *run, const struct child_probe *sp,
    void (*judge)(struct probe_run *run, struct child *s));

/* child_probe_cancel: child_cancel for the run's child (kept for finish). */
void child_probe_cancel(struct probe_run *run);

/* child_probe_get: the run's child, or NULL when it never started (it
 * could not be spawned, or its host could not be reached). */
struct child *child_probe_get(struct probe_run *run);

/* child_probe_set_data: keeps data (the kind's, e.g. what judge() parsed
 * from the output, for finish()) with the run; free_fn(data) runs in
 * child_probe_end. child_probe_data returns it, or NULL. */
void child_probe_set_data(struct probe_run *run, void *data,
    void (*free_fn)(void *data));
void *child_probe_data(struct probe_run *run);

/* child_probe_write_status: writes `exit` (integer; null when killed by
 * a signal), `signal` ("SIGKILL", only when killed) and `truncated` (true
 * when stdout or stderr hit the cap) into out. Nothing when s is NULL. */
void child_probe_write_status(const struct child *s, json_t *out);

/* child_manual_prefix: appends "cd CWD && env K=V ... " for p's cwd and
 * env keys (nothing when it has neither), shell-quoted: the start of the
 * command line an operator would type for a command or nagios probe. */
void child_manual_prefix(struct buf *b, const struct probe *p);

/* child_manual_argv: appends the JSON array argv as a shell-quoted command
 * line. */
void child_manual_argv(struct buf *b, json_t *argv);

/* child_probe_end: disposes and frees the run's state (and its data);
 * run->priv becomes NULL. For finish(). */
void child_probe_end(struct probe_run *run);

#endif

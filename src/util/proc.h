/* SPDX-License-Identifier: MIT */
/* Child processes, low level: spawn argv in its own process group with piped
 * output, see its exit through a pidfd, kill and reap the whole group. */
#ifndef TRIAGE_PROC_H
#define TRIAGE_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* One spawned child. Its pid is also its process group id: the child leads
 * a session and so a group of its own, so everything it starts can be
 * killed together, and it has no controlling terminal (a prompt on
 * /dev/tty fails at once). */
struct proc {
	pid_t pid;		/* the leader and the group id; -1: none */
	int pidfd;		/* readable once the leader exits; -1: none */
	int out_fd;		/* its stdout, non-blocking; -1: none */
	int err_fd;		/* its stderr, non-blocking; -1: none */
	int in_fd;		/* the write end of its stdin pipe
				 * (proc_opts.stdin_pipe), never written:
				 * closing it gives the child EOF; -1: none */
	int exited;		/* the leader's status below is known */
	int reaped;		/* the leader is reaped (proc_kill ran) */
	pid_t stuck;		/* 0, or a process of the group (the leader
				 * or another) that SIGKILL had not ended
				 * when proc_kill stopped waiting: stuck in
				 * the kernel; a later sweep reaps it */
	/* When stuck: what /proc said of it then, "df (pid 4242) survived
	 * SIGKILL, waiting in the kernel at rpc_wait_bit_killable (a hung
	 * mount or device?)", or "... had not exited 250 ms after SIGKILL"
	 * when it was not in uninterruptible sleep. */
	char stuck_why[256];
	int exit_code;		/* its exit code, or -1 when killed */
	int signal;		/* the signal that killed it, or 0 */
};

/* What to change for the child. */
struct proc_opts {
	/* NULL, or a NULL-terminated list of "NAME=value" entries that
	 * replace or add to our environment for the child. argv[0] is still
	 * looked up on our PATH. */
	char *const *env;
	const char *cwd;	/* NULL: our working directory */
	int stdin_pipe;		/* 1: stdin is a pipe (proc.in_fd) that
				 * stays open until we close it;
				 * 0: /dev/null */
};

/* proc_null_std_fds: opens /dev/null on whichever of standard input,
 * output and error is closed, so that no file or socket opened later
 * takes its number and gets what is printed there (a log line written
 * into a client's HTTP connection). main() calls it first. Returns 0, or
 * -1 with errno set (no /dev/null). */
int proc_null_std_fds(void);

/* proc_init: makes this process the child subreaper (PR_SET_CHILD_SUBREAPER)
 * so that orphaned grandchildren are re-parented to us and reaped by
 * proc_kill, and restores the default SIGCHLD disposition (an ignored
 * SIGCHLD would reap children behind our back). main() calls it once,
 * before any child is started. Returns 0, or -1 with errno set; a failure
 * is not fatal (orphans then go to init, still killed with their group). */
int proc_init(void);

/* proc_spawn: starts argv (argv[0] looked up on PATH; never a shell) with
 * stdin from /dev/null (or a pipe: opts->stdin_pipe), stdout and stderr
 * to fresh pipes, every signal unblocked and SIGPIPE, SIGINT, SIGTERM,
 * SIGHUP, SIGCHLD and SIGQUIT at their defaults, in a new session (and
 * process group) it leads, without a controlling terminal, in opts->cwd with opts->env merged over our environment (opts
 * may be NULL). On success fills *out (the caller owns its descriptors:
 * proc_kill then proc_close) and returns 0. Else returns -1, *out holds
 * nothing to release, and *cause (heap) is "command not found: foo",
 * "permission denied: foo", "cwd /x: No such file or directory" or another
 * sentence. */
int proc_spawn(struct proc *out, char *const argv[],
    const struct proc_opts *opts, char **cause);

/* proc_poll: whether the leader has exited, without reaping it (it stays a
 * zombie, so its pid and group id cannot be reused until proc_kill). On
 * exit records exit_code/signal and sets p->exited. Returns 1 when it has
 * exited, 0 while it runs, -1 on error (errno set). Never blocks. */
int proc_poll(struct proc *p);

/* proc_kill: sends SIGKILL to the whole group (when the leader is not yet
 * reaped, so the group id is still ours), then reaps the leader (recording
 * its status unless proc_poll already did) and every other member of the
 * group that is our child, including orphans re-parented to us. It waits
 * at most about a quarter of a second for them to die: one that has not
 * by then is stuck in the kernel (a hung NFS mount, a dead disk, a frozen
 * cgroup) and may never die; it is named in p->stuck and left to later
 * sweeps (proc_kill_strays), and p->exited stays 0 if it is the leader.
 * Idempotent; a no-op when pid is -1. Descriptors are left open. */
void proc_kill(struct proc *p);

/* proc_kill_strays: kills (SIGKILL) and reaps every child of ours that is
 * neither a leader proc_spawn started and proc_kill has not reaped yet nor
 * in such a leader's group: what escaped a group it was killed with
 * (setsid, `timeout`, a shell with job control) and was re-parented to us
 * when its parent died, and zombies of the same. It waits for them as
 * proc_kill does; one stuck in the kernel is left to a later sweep, which
 * reaps it once it has died, without waiting for it again. After
 * proc_keep_strays() it only reaps those that have exited.
 * proc_kill calls it; main() calls it before exiting. Returns how many it
 * killed. Where the kernel does not list children (CONFIG_PROC_CHILDREN),
 * it does nothing. */
size_t proc_kill_strays(void);

/* proc_keep_strays: from now on proc_kill_strays leaves running strays
 * alone: for a process whose children may rightly start daemons that
 * outlive them (`fix --apply` steps that start a service; the watch daemon,
 * which runs those) and become ours by double-forking. Irreversible. */
void proc_keep_strays(void);

/* proc_close: closes the pipes (stdin's too) and the pidfd that are still
 * open and sets them to -1. Does not kill: call proc_kill first. */
void proc_close(struct proc *p);

/* proc_signal_name: "SIGKILL" for SIGKILL, "SIG42" when it has no name;
 * written into buf (n bytes, 16 is enough); returns buf. */
const char *proc_signal_name(int sig, char *buf, size_t n);

#endif

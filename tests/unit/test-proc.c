/* SPDX-License-Identifier: MIT */
/* Tests for child processes: util/proc (spawn, poll, kill, reap) and
 * spawn (a child on the event loop with captured output). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "child.h"
#include "util/proc.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

struct fixture {
	char dir[64];
	char cgroup[96];	/* a v1 freezer cgroup a test made, or "" */
};

/* Writes text into the file path; 0 or -1. */
static int
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	int rc;

	if (fp == NULL)
		return -1;
	rc = fputs(text, fp) < 0 ? -1 : 0;
	if (fclose(fp) != 0)
		rc = -1;
	return rc;
}

/* Thaws a freezer cgroup, waits for what SIGKILL ended in it to leave,
 * and removes it. */
static void
freezer_remove(const char *dir)
{
	char path[160];
	int i;

	snprintf(path, sizeof(path), "%s/freezer.state", dir);
	write_file(path, "THAWED");
	for (i = 0; i < 500 && rmdir(dir) != 0 && errno == EBUSY; i++)
		usleep(10000);
}

/* A new cgroup-v1 freezer cgroup into f->cgroup: a process that freezes
 * its own cgroup cannot be ended by SIGKILL until it is thawed, as one
 * stuck on a hung NFS mount. 0, or -1 where there is no such freezer or
 * we may not make one (not root). */
static int
freezer_make(struct fixture *f)
{
	snprintf(f->cgroup, sizeof(f->cgroup),
	    "/sys/fs/cgroup/freezer/triage-test-%d", (int)getpid());
	if (mkdir(f->cgroup, 0755) != 0) {
		f->cgroup[0] = '\0';
		return -1;
	}
	return 0;
}

/* Waits (at most 5 s) until f's cgroup reads FROZEN. */
static int
freezer_frozen(const struct fixture *f)
{
	char path[160], state[32];
	int i;

	snprintf(path, sizeof(path), "%s/freezer.state", f->cgroup);
	for (i = 0; i < 500; i++) {
		FILE *fp = fopen(path, "r");

		state[0] = '\0';
		if (fp != NULL) {
			if (fgets(state, sizeof(state), fp) == NULL)
				state[0] = '\0';
			fclose(fp);
		}
		if (strncmp(state, "FROZEN", 6) == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/triage-proc-XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = {
		"pid", "leader", "noexec", "badinterp", "pid2",
	};
	struct fixture *f = *state;
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	rmdir(f->dir);
	if (f->cgroup[0] != '\0')
		freezer_remove(f->cgroup);
	free(f);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	if (proc_init() != 0) {
		perror("proc_init");
		return -1;
	}
	return 0;
}

/* A heap argv (the API takes char *const[], literals are const). */
static char **
argv_new(const char *first, ...)
{
	char **v = xcalloc(16, sizeof(*v));
	const char *a = first;
	size_t n = 0;
	va_list ap;

	va_start(ap, first);
	while (a != NULL && n < 15) {
		v[n++] = xstrdup(a);
		a = va_arg(ap, const char *);
	}
	va_end(ap);
	return v;
}

static void
argv_free(char **v)
{
	size_t i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Waits (at most secs) for a pid written into path by a child. */
static pid_t
read_pid(const char *path, double secs)
{
	double deadline = time_mono() + secs;
	long v = -1;

	while (time_mono() < deadline) {
		FILE *fp = fopen(path, "r");
		char line[32];

		if (fp != NULL) {
			if (fgets(line, sizeof(line), fp) != NULL &&
			    strchr(line, '\n') != NULL) {
				str_trim(line);
				str_to_long(line, 1, 1L << 30, &v);
			}
			fclose(fp);
			if (v > 0)
				return (pid_t)v;
		}
		usleep(10000);
	}
	return -1;
}

/* Gone: not running, not a zombie (kill(0) succeeds on zombies). */
static int
pid_gone(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return kill(pid, 0) == -1 && errno == ESRCH && access(path, F_OK) != 0;
}

/* The number of descriptors this process has open. */
static int
count_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (access(path, F_OK) == 0)
			n++;
	}
	return n;
}

static void
wait_exit(struct proc *p, int secs)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, secs * 1000), 1);
}

static void
test_proc_exit_code(void **state)
{
	char **argv = argv_new("sh", "-c", "exit 3", NULL);
	struct proc p;
	char *cause = NULL;
	int status;

	(void)state;
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), 0);
	assert_null(cause);
	assert_true(p.pid > 0);
	assert_true(p.pidfd >= 0 && p.out_fd >= 0 && p.err_fd >= 0);
	wait_exit(&p, 10);
	assert_int_equal(proc_poll(&p), 1);
	assert_int_equal(p.exit_code, 3);
	assert_int_equal(p.signal, 0);
	/* Not reaped yet: the zombie pins the pid. */
	assert_int_equal(kill(p.pid, 0), 0);
	proc_kill(&p);
	assert_int_equal(p.exit_code, 3);
	assert_int_equal(waitpid(p.pid, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	proc_kill(&p);
	proc_close(&p);
	assert_int_equal(p.pidfd, -1);
	assert_int_equal(p.out_fd, -1);
	assert_int_equal(p.err_fd, -1);
	argv_free(argv);
}

static void
test_proc_not_found(void **state)
{
	char **argv = argv_new("triage-no-such-command-x", "a", NULL);
	struct proc p;
	char *cause = NULL;

	(void)state;
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), -1);
	assert_string_equal(cause,
	    "command not found: triage-no-such-command-x");
	assert_int_equal(p.pid, -1);
	free(cause);
	argv_free(argv);
}

static void
test_proc_permission_denied(void **state)
{
	struct fixture *f = *state;
	char path[128], want[160];
	char **argv;
	struct proc p;
	char *cause = NULL;

	snprintf(path, sizeof(path), "%s/noexec", f->dir);
	assert_int_equal(write_file(path, "#!/bin/sh\necho hi\n"), 0);
	assert_int_equal(chmod(path, 0644), 0);
	if (geteuid() == 0 && access(path, X_OK) == 0)
		skip();
	argv = argv_new(path, NULL);
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), -1);
	snprintf(want, sizeof(want), "permission denied: %s", path);
	assert_string_equal(cause, want);
	free(cause);
	argv_free(argv);
}

/* A file that is there but cannot start (a #! naming a missing
 * interpreter) is not "command not found"; a directory is not "permission
 * denied". */
static void
test_proc_cannot_run(void **state)
{
	struct fixture *f = *state;
	char path[128], want[256];
	char **argv;
	struct proc p;
	char *cause = NULL;

	snprintf(path, sizeof(path), "%s/badinterp", f->dir);
	assert_int_equal(write_file(path, "#!/nonexistent/triage-interp\necho hi\n"), 0);
	assert_int_equal(chmod(path, 0755), 0);
	argv = argv_new(path, NULL);
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), -1);
	snprintf(want, sizeof(want), "cannot run %s: its interpreter (the #! "
	    "line) or its dynamic loader is missing", path);
	assert_string_equal(cause, want);
	free(cause);
	argv_free(argv);
	argv = argv_new(f->dir, NULL);
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), -1);
	snprintf(want, sizeof(want), "cannot run %s: it is a directory",
	    f->dir);
	assert_string_equal(cause, want);
	free(cause);
	argv_free(argv);
}

/* What leaves its group (setsid) and outlives its parent is re-parented to
 * us and killed by the next sweep; an orphan still in a group we run is
 * left to go with that group. */
static void
test_proc_kill_strays(void **state)
{
	struct fixture *f = *state;
	char script[256], path[128], path2[128];
	char **argv;
	struct proc p, q;
	char *cause = NULL;
	pid_t stray, member;
	int i;

	snprintf(path, sizeof(path), "%s/pid", f->dir);
	snprintf(path2, sizeof(path2), "%s/pid2", f->dir);
	unlink(path);
	unlink(path2);
	/* q: a leader that keeps running, with an orphan in its group. */
	snprintf(script, sizeof(script),
	    "(sleep 300 & echo $! > %s); sleep 300", path2);
	argv = argv_new("sh", "-c", script, NULL);
	assert_int_equal(proc_spawn(&q, argv, NULL, &cause), 0);
	argv_free(argv);
	member = read_pid(path2, 5);
	assert_true(member > 0);
	/* p: a leader that starts a process in a session of its own and
	 * exits. */
	snprintf(script, sizeof(script),
	    "setsid sleep 300 >/dev/null 2>&1 & echo $! > %s", path);
	argv = argv_new("sh", "-c", script, NULL);
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), 0);
	argv_free(argv);
	stray = read_pid(path, 5);
	assert_true(stray > 0);
	/* setsid(1) runs after the pid is written: wait for its session. */
	for (i = 0; i < 500 && getpgid(stray) == p.pid; i++)
		usleep(10000);
	assert_int_not_equal(getpgid(stray), p.pid);
	proc_kill(&p);	/* the leader; then the sweep */
	proc_close(&p);
	assert_true(pid_gone(stray));
	assert_false(pid_gone(member));
	assert_int_equal(proc_kill_strays(), 0);
	assert_false(pid_gone(member));
	proc_kill(&q);
	proc_close(&q);
	assert_true(pid_gone(member));
}

/* A process SIGKILL cannot end (frozen in the kernel, as one on a hung
 * NFS mount): proc_kill stops waiting, names it in p.stuck and leaves it
 * to a later sweep, which reaps it once it has died. */
static void
test_proc_kill_stuck_leader(void **state)
{
	struct fixture *f = *state;
	char script[512], *cause = NULL, **argv;
	struct proc p;
	double t0;
	int i;

	if (freezer_make(f) != 0) {
		fprintf(stderr, "skipped: needs root and a cgroup-v1 freezer "
		    "(/sys/fs/cgroup/freezer)\n");
		skip();
	}
	snprintf(script, sizeof(script), "echo $$ > %s/cgroup.procs && "
	    "echo FROZEN > %s/freezer.state; sleep 300", f->cgroup,
	    f->cgroup);
	argv = argv_new("sh", "-c", script, NULL);
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), 0);
	argv_free(argv);
	assert_true(freezer_frozen(f));
	t0 = time_mono();
	proc_kill(&p);
	/* Without a bound this never returns: the test would hang. */
	assert_true(time_mono() - t0 < 10);
	assert_int_equal(p.stuck, p.pid);
	assert_false(p.exited);
	assert_false(p.reaped);
	assert_true(str_has_prefix(p.stuck_why, "sh (pid "));
	assert_non_null(strstr(p.stuck_why, "survived SIGKILL, waiting in the "
	    "kernel at __refrigerator (its cgroup is frozen)"));
	proc_kill(&p);		/* idempotent: returns at once */
	assert_int_equal(proc_kill_strays(), 0);
	assert_false(pid_gone(p.pid));
	freezer_remove(f->cgroup);
	f->cgroup[0] = '\0';
	for (i = 0; i < 500 && !pid_gone(p.pid); i++) {
		proc_kill_strays();
		usleep(10000);
	}
	assert_true(pid_gone(p.pid));
	proc_close(&p);
}

/* The same for a member of the group: the leader is reaped, the member
 * is named. */
static void
test_proc_kill_stuck_member(void **state)
{
	struct fixture *f = *state;
	char script[512], path[128], *cause = NULL, **argv;
	struct proc p;
	pid_t member;
	int i;

	if (freezer_make(f) != 0) {
		fprintf(stderr, "skipped: needs root and a cgroup-v1 freezer "
		    "(/sys/fs/cgroup/freezer)\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/pid", f->dir);
	snprintf(script, sizeof(script), "sh -c 'echo $$ > %s; "
	    "echo $$ > %s/cgroup.procs && echo FROZEN > %s/freezer.state; "
	    "sleep 300'; sleep 300", path, f->cgroup, f->cgroup);
	argv = argv_new("sh", "-c", script, NULL);
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), 0);
	argv_free(argv);
	member = read_pid(path, 5);
	assert_true(member > 0);
	assert_true(freezer_frozen(f));
	proc_kill(&p);
	assert_true(p.reaped);
	assert_true(p.exited);
	assert_int_equal(p.signal, SIGKILL);
	assert_int_equal(p.stuck, member);
	assert_non_null(strstr(p.stuck_why, "survived SIGKILL"));
	assert_false(pid_gone(member));
	freezer_remove(f->cgroup);
	f->cgroup[0] = '\0';
	for (i = 0; i < 500 && !pid_gone(member); i++) {
		proc_kill_strays();
		usleep(10000);
	}
	assert_true(pid_gone(member));
	proc_close(&p);
}

static void
test_proc_bad_cwd(void **state)
{
	struct fixture *f = *state;
	char **argv = argv_new("true", NULL);
	char cwd[128];
	struct proc_opts o = { .cwd = cwd };
	struct proc p;
	char *cause = NULL;

	snprintf(cwd, sizeof(cwd), "%s/missing", f->dir);
	assert_int_equal(proc_spawn(&p, argv, &o, &cause), -1);
	assert_true(str_has_prefix(cause, "cwd "));
	assert_non_null(strstr(cause, "No such file or directory"));
	free(cause);
	argv_free(argv);
}

static void
test_proc_signal(void **state)
{
	char **argv = argv_new("sh", "-c", "kill -SEGV $$", NULL);
	struct proc p;
	char *cause = NULL, name[32];

	(void)state;
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), 0);
	wait_exit(&p, 10);
	assert_int_equal(proc_poll(&p), 1);
	assert_int_equal(p.signal, SIGSEGV);
	assert_int_equal(p.exit_code, -1);
	assert_string_equal(proc_signal_name(p.signal, name, sizeof(name)),
	    "SIGSEGV");
	assert_string_equal(proc_signal_name(SIGKILL, name, sizeof(name)),
	    "SIGKILL");
	proc_kill(&p);
	proc_close(&p);
	assert_true(pid_gone(p.pid));
	argv_free(argv);
}

/* The child leads its own group; killing it reports SIGKILL. */
static void
test_proc_group_kill(void **state)
{
	char **argv = argv_new("sleep", "300", NULL);
	struct proc p;
	char *cause = NULL;

	(void)state;
	assert_int_equal(proc_spawn(&p, argv, NULL, &cause), 0);
	assert_int_equal(getpgid(p.pid), p.pid);
	assert_int_not_equal(getpgid(p.pid), getpgid(0));
	assert_int_equal(proc_poll(&p), 0);
	proc_kill(&p);
	assert_int_equal(p.signal, SIGKILL);
	assert_int_equal(p.exit_code, -1);
	proc_close(&p);
	assert_true(pid_gone(p.pid));
	argv_free(argv);
}

#define ASSERT_START(opts) \
	assert_int_equal(child_start(&s, l, argv, (opts), on_done, &w, \
	    &cause), 0)

struct waiter {
	int done;
	struct child *s;
};

static void
on_done(void *arg, struct child *s)
{
	struct waiter *w = arg;

	w->done++;
	w->s = s;
}

/* Runs l until w->done or secs pass; returns w->done. */
static int
run_until(struct loop *l, struct waiter *w, double secs)
{
	double deadline = time_mono() + secs;

	while (!w->done && time_mono() < deadline)
		loop_run_once(l, deadline - time_mono());
	return w->done;
}

static void
test_spawn_capture(void **state)
{
	char **argv = argv_new("sh", "-c",
		"echo out; echo err >&2; printf more; exit 4", NULL);
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL;
	int fds = count_fds();

	(void)state;
	ASSERT_START(NULL);
	assert_int_equal(count_fds(), fds + 3);
	assert_int_equal(run_until(l, &w, 10), 1);
	assert_int_equal(count_fds(), fds);
	assert_ptr_equal(w.s, &s);
	assert_true(s.finished);
	assert_true(child_exited(&s));
	assert_int_equal(s.proc.exit_code, 4);
	assert_string_equal(buf_cstr(&s.out), "out\nmore");
	assert_string_equal(buf_cstr(&s.err), "err\n");
	assert_false(s.out.truncated);
	assert_int_equal(s.proc.pidfd, -1);
	assert_int_equal(s.proc.out_fd, -1);
	/* Nothing more happens. */
	loop_run_once(l, 0.05);
	assert_int_equal(w.done, 1);
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
}

/* A hex mask after "Name:\t" in /proc/PID/status text; ~0 when absent. */
static unsigned long long
status_mask(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	if (p == NULL)
		return ~0ULL;
	return strtoull(p + strlen(name), NULL, 16);
}

/* The child sees our signal state reset (nothing blocked, the six signals
 * at their defaults), stdin from /dev/null, the extra environment and the
 * cwd. */
static void
test_spawn_child_setup(void **state)
{
	static const int sigs[] = {
		SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	};
	struct fixture *f = *state;
	char **argv = argv_new("sh", "-c",
		"cat /proc/self/status; "
		"readlink /proc/self/fd/0; echo \"$TRIAGE_X $HOME\"; pwd -P; "
		"cat; echo fds; ls /proc/self/fd; echo end", NULL);
	char **env = argv_new("TRIAGE_X=x y", "HOME=/nowhere", NULL);
	struct child_opts o = { .env = env, .cwd = f->dir };
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct sigaction ign, old[ARRAY_LEN(sigs)];
	sigset_t block, old_mask;
	struct child s;
	char *cause = NULL, real[4096], *want;
	unsigned long long blk, ignored;
	const char *out;
	size_t i;
	int leaked;

	assert_non_null(realpath(f->dir, real));
	/* Not close-on-exec, yet the child must not get it. */
	leaked = open("/dev/null", O_RDONLY);
	assert_true(leaked >= 0);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	for (i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &ign, &old[i]);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	ASSERT_START(&o);
	close(leaked);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	for (i = 0; i < ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	assert_int_equal(run_until(l, &w, 10), 1);
	assert_int_equal(s.proc.exit_code, 0);
	out = buf_cstr(&s.out);
	blk = status_mask(out, "SigBlk:\t");
	ignored = status_mask(out, "SigIgn:\t");
	assert_true(blk == 0);
	for (i = 0; i < ARRAY_LEN(sigs); i++)
		assert_true((ignored & (1ULL << (sigs[i] - 1))) == 0);
	/* ls has 3 open on the directory it lists. */
	assert_non_null(strstr(out, "fds\n0\n1\n2\n3\nend\n"));
	want = xasprintf("/dev/null\nx y /nowhere\n%s\n", real);
	assert_non_null(strstr(out, want));
	free(want);
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
	argv_free(env);
}

static void
test_spawn_cap(void **state)
{
	char **argv = argv_new("head", "-c", "3000000", "/dev/zero", NULL);
	struct child_opts o = { .max_output = 1000 };
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL;

	(void)state;
	ASSERT_START(&o);
	assert_int_equal(run_until(l, &w, 20), 1);
	assert_int_equal(s.proc.exit_code, 0);
	assert_int_equal(s.out.len, 1000);
	assert_true(s.out.truncated);
	assert_false(s.err.truncated);
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
}

/* THE key case: a child that started a grandchild and hangs is killed at
 * cancel with its whole group, and nothing is left, not even a zombie. */
static void
test_spawn_cancel_group(void **state)
{
	struct fixture *f = *state;
	char script[512], path[128], leader_path[128];
	char **argv;
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL;
	pid_t gc, leader;
	int fds;

	snprintf(path, sizeof(path), "%s/pid", f->dir);
	snprintf(leader_path, sizeof(leader_path), "%s/leader", f->dir);
	snprintf(script, sizeof(script),
	    "echo $$ > %s; sleep 300 & echo $! > %s; echo started; sleep 300",
	    leader_path, path);
	argv = argv_new("sh", "-c", script, NULL);
	ASSERT_START(NULL);
	assert_int_equal(run_until(l, &w, 0.5), 0);
	gc = read_pid(path, 5);
	leader = read_pid(leader_path, 5);
	assert_true(gc > 0);
	assert_int_equal(leader, s.proc.pid);
	assert_int_equal(kill(gc, 0), 0);
	assert_int_equal(getpgid(gc), s.proc.pid);
	fds = count_fds();
	child_cancel(&s);
	assert_int_equal(count_fds(), fds - 3);
	assert_true(s.finished);
	assert_int_equal(s.proc.signal, SIGKILL);
	assert_true(pid_gone(gc));
	assert_true(pid_gone(leader));
	assert_string_equal(buf_cstr(&s.out), "started\n");
	loop_run_once(l, 0.05);
	assert_int_equal(w.done, 0);
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
}

/* A grandchild orphaned inside the group (its parent exited) is
 * re-parented to us, killed and reaped too. */
static void
test_spawn_cancel_orphan(void **state)
{
	struct fixture *f = *state;
	char script[256], path[128];
	char **argv;
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL;
	pid_t gc;

	snprintf(path, sizeof(path), "%s/pid", f->dir);
	unlink(path);
	snprintf(script, sizeof(script),
	    "(sleep 300 & echo $! > %s); sleep 300", path);
	argv = argv_new("sh", "-c", script, NULL);
	ASSERT_START(NULL);
	gc = read_pid(path, 5);
	assert_true(gc > 0);
	assert_int_equal(run_until(l, &w, 0.3), 0);
	child_cancel(&s);
	assert_true(pid_gone(gc));
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
}

/* A leader that exits leaving a member which closed its output: done()
 * runs at once and the member is killed. */
static void
test_spawn_done_kills_group(void **state)
{
	char **argv = argv_new("sh", "-c",
		"sleep 300 >/dev/null 2>&1 & echo $!", NULL);
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL, *text;
	long gc = 0;
	double t0 = time_mono();

	(void)state;
	ASSERT_START(NULL);
	assert_int_equal(run_until(l, &w, 10), 1);
	assert_true(time_mono() - t0 < 5);
	assert_int_equal(s.proc.exit_code, 0);
	text = xstrdup(buf_cstr(&s.out));
	str_trim(text);
	assert_int_equal(str_to_long(text, 1, 1L << 30, &gc), 0);
	free(text);
	assert_true(pid_gone((pid_t)gc));
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
}

/* A leader that exits while its grandchild keeps stdout open: done() does
 * not run; the caller's cancel kills the grandchild. */
static void
test_spawn_leader_exits_pipe_held(void **state)
{
	struct fixture *f = *state;
	char script[256], path[128];
	char **argv;
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL;
	pid_t gc;

	snprintf(path, sizeof(path), "%s/pid", f->dir);
	unlink(path);
	snprintf(script, sizeof(script), "sleep 300 & echo $! > %s; exit 7",
	    path);
	argv = argv_new("sh", "-c", script, NULL);
	ASSERT_START(NULL);
	assert_int_equal(run_until(l, &w, 0.5), 0);
	assert_true(child_exited(&s));
	gc = read_pid(path, 5);
	assert_true(gc > 0);
	assert_int_equal(kill(gc, 0), 0);
	child_cancel(&s);
	assert_int_equal(s.proc.exit_code, 7);
	assert_int_equal(s.proc.signal, 0);
	assert_true(pid_gone(gc));
	child_dispose(&s);
	loop_free(l);
	argv_free(argv);
}

static void
test_spawn_start_fails(void **state)
{
	char **argv = argv_new("triage-no-such-command-x", NULL);
	struct loop *l = loop_create();
	struct waiter w = { 0, NULL };
	struct child s;
	char *cause = NULL;

	(void)state;
	assert_int_equal(child_start(&s, l, argv, NULL, on_done, &w, &cause),
	    -1);
	assert_string_equal(cause,
	    "command not found: triage-no-such-command-x");
	free(cause);
	child_dispose(&s);
	child_dispose(&s);
	loop_run_once(l, 0.01);
	assert_int_equal(w.done, 0);
	loop_free(l);
	argv_free(argv);
}

static void
test_spawn_text(void **state)
{
	char *t;

	(void)state;
	t = child_text("  \n hello\tworld \r\n", 18);
	assert_string_equal(t, "hello\tworld");
	free(t);
	t = child_text("a\0b\xff" "c\xc3\xa9" "\xe2\x82", 9);
	assert_string_equal(t, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9"
	    "\xef\xbf\xbd\xef\xbf\xbd");
	free(t);
	/* Overlong, surrogate and too-large sequences are invalid. */
	t = child_text("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 9);
	assert_null(strstr(t, "\xed\xa0"));
	assert_null(strstr(t, "\xc0"));
	free(t);
	t = child_text("", 0);
	assert_string_equal(t, "");
	free(t);
	t = child_text_cut("first line  \nsecond", 100);
	assert_string_equal(t, "first line");
	free(t);
	t = child_text_cut("\xc3\xa9\xc3\xa9\xc3\xa9", 2);
	assert_string_equal(t, "\xc3\xa9\xc3\xa9");
	free(t);
}

/* A closed standard fd gets /dev/null; open ones are left alone; and the
 * next file opened does not take a standard number. */
static void
test_null_std_fds(void **state)
{
	int saved_in = dup(STDIN_FILENO), saved_err = dup(STDERR_FILENO), fd;
	struct stat null_st, st, out_before, out_after;

	(void)state;
	assert_true(saved_in > STDERR_FILENO && saved_err > STDERR_FILENO);
	assert_int_equal(stat("/dev/null", &null_st), 0);
	assert_int_equal(fstat(STDOUT_FILENO, &out_before), 0);
	close(STDIN_FILENO);
	close(STDERR_FILENO);
	assert_int_equal(proc_null_std_fds(), 0);
	assert_int_equal(fstat(STDIN_FILENO, &st), 0);
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev);
	assert_int_equal(fstat(STDOUT_FILENO, &out_after), 0);
	assert_true(out_after.st_ino == out_before.st_ino &&
	    out_after.st_dev == out_before.st_dev);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd > STDERR_FILENO);
	close(fd);
	/* Nothing closed: nothing changes. */
	assert_int_equal(proc_null_std_fds(), 0);
	assert_int_equal(dup2(saved_in, STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(dup2(saved_err, STDERR_FILENO), STDERR_FILENO);
	close(saved_in);
	close(saved_err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_proc_exit_code, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_not_found, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_permission_denied,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_cannot_run, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_kill_strays, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_kill_stuck_leader,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_kill_stuck_member,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_bad_cwd, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_signal, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_group_kill, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spawn_capture, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spawn_child_setup, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spawn_cap, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spawn_cancel_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_spawn_cancel_orphan,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_spawn_done_kills_group,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_spawn_leader_exits_pipe_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spawn_start_fails, setup,
		    teardown),
		cmocka_unit_test(test_spawn_text),
		cmocka_unit_test(test_null_std_fds),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}

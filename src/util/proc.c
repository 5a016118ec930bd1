/* SPDX-License-Identifier: MIT */
/* Child processes, low level: spawn, poll, kill and reap process groups. */
#define _GNU_SOURCE

#include "util/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/timeutil.h"
#include "util/xmalloc.h"

/* A set of pids, in no order. */
struct pidset {
	pid_t *v;
	size_t n, cap;
};

static int
pidset_has(const struct pidset *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i] == pid)
			return 1;
	}
	return 0;
}

static void
pidset_add(struct pidset *s, pid_t pid)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = pid;
}

static void
pidset_del(struct pidset *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i] == pid) {
			s->v[i] = s->v[--s->n];
			return;
		}
	}
}

/*
 * The leaders we spawned and have not reaped or given up on yet, so that a
 * child of ours that is none of them can be told apart: an orphan
 * re-parented to us (the subreaper) from a group that is no longer ours. A
 * child may spawn from another thread (the alert thread), so the sets have
 * a lock, held across the spawn so that a sweep never sees a new leader
 * before it is listed.
 *
 * The dying: children sent SIGKILL that had not died when we stopped
 * waiting (stuck in the kernel: a hung NFS mount, a dead device, a frozen
 * cgroup). Each sweep reaps those that have died since, without waiting.
 */
static pthread_mutex_t leaders_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pidset leaders, dying;
static int strays_kept;	/* proc_keep_strays() was called */

/*
 * How long proc_kill and a sweep wait for what they killed to die. Dying
 * takes microseconds, or a few hundred milliseconds for a process with
 * gigabytes to unmap; one that SIGKILL has not ended by then waits in the
 * kernel for something that may never come, and is left to later sweeps,
 * so that no timeout of ours waits on the kernel.
 */
#define PROC_KILL_WAIT_MS 250

int
proc_null_std_fds(void)
{
	int fd;

	/* open() takes the lowest free number: each closed one in turn,
	 * then one above them, which is closed again. */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= STDERR_FILENO)
		;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
proc_init(void)
{
	struct sigaction sa;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGCHLD, &sa, NULL);
}

static size_t
env_name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq != NULL ? (size_t)(eq - entry) : strlen(entry);
}

/* Whether list (NULL-terminated) has an entry naming the same variable as
 * entry. */
static int
env_has(char *const *list, const char *entry)
{
	size_t n = env_name_len(entry);

	for (; *list != NULL; list++) {
		if (env_name_len(*list) == n && strncmp(*list, entry, n) == 0)
			return 1;
	}
	return 0;
}

/* Our environment with extra's entries replacing or added; the array is
 * heap, its strings are borrowed. */
static char **
env_merge(char *const *extra)
{
	size_t n = 0, i = 0, k;
	char **env;

	for (k = 0; environ != NULL && environ[k] != NULL; k++)
		n++;
	for (k = 0; extra[k] != NULL; k++)
		n++;
	env = xreallocarray(NULL, n + 1, sizeof(*env));
	for (k = 0; environ != NULL && environ[k] != NULL; k++) {
		if (!env_has(extra, environ[k]))
			env[i++] = environ[k];
	}
	for (k = 0; extra[k] != NULL; k++)
		env[i++] = extra[k];
	env[i] = NULL;
	return env;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* A cwd that cannot be entered would fail the spawn with an errno that
 * reads like a missing command; say what is wrong instead. */
static int
check_cwd(const char *cwd, char **cause)
{
	struct stat st;

	if (stat(cwd, &st) != 0) {
		*cause = xasprintf("cwd %s: %s", cwd, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*cause = xasprintf("cwd %s: %s", cwd, strerror(ENOTDIR));
		return -1;
	}
	if (access(cwd, X_OK) != 0) {
		*cause = xasprintf("cwd %s: %s", cwd, strerror(errno));
		return -1;
	}
	return 0;
}

static int
setup_attr(posix_spawnattr_t *attr)
{
	static const int defaults[] = {
		SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGQUIT,
	};
	sigset_t mask, def;
	size_t i;
	int rc;

	sigemptyset(&mask);
	sigemptyset(&def);
	for (i = 0; i < ARRAY_LEN(defaults); i++)
		sigaddset(&def, defaults[i]);
	/* A session of its own, which is also a group of its own (the
	 * group id is the pid): and no controlling terminal, so that a
	 * command that would prompt on /dev/tty (ssh, sudo, a password
	 * read) fails at once instead of waiting for its timeout. */
	if ((rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(attr, &mask)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(attr, &def)) != 0)
		return rc;
	return 0;
}

static int
setup_actions(posix_spawn_file_actions_t *fa, const char *cwd, int in_r,
    int out_w, int err_w)
{
	int rc;

	/* The chdir comes first so that a relative argv[0] resolves as it
	 * would in a shell that did `cd cwd`. */
	if (cwd != NULL &&
	    (rc = posix_spawn_file_actions_addchdir_np(fa, cwd)) != 0)
		return rc;
	if (in_r >= 0)
		rc = posix_spawn_file_actions_adddup2(fa, in_r, STDIN_FILENO);
	else
		rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO,
		    "/dev/null", O_RDONLY, 0);
	if (rc != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, out_w,
	    STDOUT_FILENO)) != 0 ||
	    (rc = posix_spawn_file_actions_adddup2(fa, err_w,
	    STDERR_FILENO)) != 0)
		return rc;
#ifdef __GLIBC__
#if __GLIBC_PREREQ(2, 34)
	/* Our descriptors are close-on-exec, but a library's may not be. */
	if ((rc = posix_spawn_file_actions_addclosefrom_np(fa, 3)) != 0)
		return rc;
#endif
#endif
	return 0;
}

/* The file cmd names, as posix_spawnp looks it up (a name with a / as it
 * is, else the first match in PATH), with *st filled; 0, or -1 when there
 * is none. */
static int
find_command(const char *cmd, struct stat *st)
{
	const char *path = getenv("PATH"), *p, *colon;
	char *file;
	int rc = -1;

	if (strchr(cmd, '/') != NULL)
		return stat(cmd, st);
	if (path == NULL)
		path = "/bin:/usr/bin";
	for (p = path; rc != 0; p = colon + 1) {
		colon = strchr(p, ':');
		if (colon == NULL)
			colon = p + strlen(p);
		file = xasprintf("%.*s%s%s", (int)(colon - p), p,
		    colon > p ? "/" : "", cmd);
		rc = stat(file, st) == 0 && S_ISREG(st->st_mode) ? 0 : -1;
		free(file);
		if (*colon == '\0')
			break;
	}
	return rc;
}

static char *
child_cause(int err, const char *cmd)
{
	struct stat st;

	switch (err) {
	case ENOENT:
		/* The file is there: what it needs to run is not. */
		if (find_command(cmd, &st) == 0 && S_ISREG(st.st_mode))
			return xasprintf("cannot run %s: its interpreter (the "
			    "#! line) or its dynamic loader is missing", cmd);
		return xasprintf("command not found: %s", cmd);
	case EACCES:
		if (find_command(cmd, &st) == 0 && S_ISDIR(st.st_mode))
			return xasprintf("cannot run %s: it is a directory",
			    cmd);
		return xasprintf("permission denied: %s", cmd);
	default:
		return xasprintf("cannot run %s: %s", cmd, strerror(err));
	}
}

/* Kills and reaps a child we could not finish setting up. */
static void
abandon(pid_t pid)
{
	struct proc p = {
		.pid = pid, .pidfd = -1, .out_fd = -1, .err_fd = -1,
		.in_fd = -1,
	};

	proc_kill(&p);
}

int
proc_spawn(struct proc *out, char *const argv[],
    const struct proc_opts *opts, char **cause)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, inp[2] = { -1, -1 };
	char **env = NULL;
	const char *cwd = opts != NULL ? opts->cwd : NULL;
	pid_t pid = -1;
	int rc, ret = -1, have_fa = 0, have_attr = 0;

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	out->pidfd = out->out_fd = out->err_fd = out->in_fd = -1;
	out->exit_code = -1;
	if (argv == NULL || argv[0] == NULL || argv[0][0] == '\0') {
		*cause = xstrdup("empty command");
		return -1;
	}
	if (cwd != NULL && check_cwd(cwd, cause) != 0)
		return -1;
	if (pipe2(outp, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    pipe2(errp, O_CLOEXEC | O_NONBLOCK) != 0) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		goto out;
	}
	/* Our end is close-on-exec, so that no other child holds it open
	 * (and the child sees EOF when we close it). */
	if (opts != NULL && opts->stdin_pipe && pipe2(inp, O_CLOEXEC) != 0) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		goto out;
	}
	/* The child's ends must block: most programs do not expect EAGAIN
	 * on stdout. */
	if (fcntl(outp[1], F_SETFL, 0) != 0 ||
	    fcntl(errp[1], F_SETFL, 0) != 0) {
		*cause = xasprintf("fcntl: %s", strerror(errno));
		goto out;
	}
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		*cause = xasprintf("posix_spawn: %s", strerror(rc));
		goto out;
	}
	have_fa = 1;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		*cause = xasprintf("posix_spawn: %s", strerror(rc));
		goto out;
	}
	have_attr = 1;
	if ((rc = setup_attr(&attr)) != 0 ||
	    (rc = setup_actions(&fa, cwd, inp[0], outp[1], errp[1])) != 0) {
		*cause = xasprintf("posix_spawn: %s", strerror(rc));
		goto out;
	}
	if (opts != NULL && opts->env != NULL)
		env = env_merge(opts->env);
	pthread_mutex_lock(&leaders_lock);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv,
	    env != NULL ? env : environ);
	if (rc == 0)
		pidset_add(&leaders, pid);
	pthread_mutex_unlock(&leaders_lock);
	if (rc != 0) {
		*cause = child_cause(rc, argv[0]);
		goto out;
	}
	out->pidfd = pidfd_open(pid, 0);
	if (out->pidfd < 0) {
		*cause = xasprintf("pidfd_open: %s", strerror(errno));
		abandon(pid);
		goto out;
	}
	out->pid = pid;
	out->out_fd = outp[0];
	out->err_fd = errp[0];
	out->in_fd = inp[1];
	outp[0] = errp[0] = inp[1] = -1;
	ret = 0;
out:
	close_fd(&inp[0]);
	close_fd(&inp[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	if (have_fa)
		posix_spawn_file_actions_destroy(&fa);
	if (have_attr)
		posix_spawnattr_destroy(&attr);
	free(env);
	return ret;
}

static void
record_status(struct proc *p, int status)
{
	if (WIFEXITED(status)) {
		p->exit_code = WEXITSTATUS(status);
		p->signal = 0;
	} else if (WIFSIGNALED(status)) {
		p->exit_code = -1;
		p->signal = WTERMSIG(status);
	}
	p->exited = 1;
}

int
proc_poll(struct proc *p)
{
	siginfo_t si;

	if (p->exited)
		return 1;
	if (p->pid < 0) {
		errno = ECHILD;
		return -1;
	}
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si,
	    WEXITED | WNOHANG | WNOWAIT) != 0)
		return -1;
	if (si.si_pid == 0)
		return 0;
	if (si.si_code == CLD_EXITED) {
		p->exit_code = si.si_status;
		p->signal = 0;
	} else {
		p->exit_code = -1;
		p->signal = si.si_status;
	}
	p->exited = 1;
	return 1;
}

/* Appends our children listed in /proc/self/task/TID/children for every
 * thread (an orphan is re-parented to one thread of the subreaper).
 * -1 when the kernel has no such file (CONFIG_PROC_CHILDREN). */
static int
our_children(pid_t **out, size_t *n, size_t *cap)
{
	char path[sizeof("/proc/self/task//children") + NAME_MAX], buf[4096];
	struct dirent *d;
	DIR *dir;
	int found = 0;

	dir = opendir("/proc/self/task");
	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		ssize_t len;
		char *p, *end;
		int fd;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children",
		    d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		found = 1;
		/* A pid is at most 8 characters: 4 KiB holds 450 of them,
		 * more than the children one sweep needs to see. */
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		for (p = buf; *p != '\0'; p = end) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			if (v <= 0)
				continue;
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 16;
				*out = xreallocarray(*out, *cap,
				    sizeof(**out));
			}
			(*out)[(*n)++] = (pid_t)v;
		}
	}
	closedir(dir);
	return found ? 0 : -1;
}

void
proc_keep_strays(void)
{
	pthread_mutex_lock(&leaders_lock);
	strays_kept = 1;
	pthread_mutex_unlock(&leaders_lock);
}

/* Milliseconds from now until deadline (time_mono()), 0 once past. */
static int
ms_left(double deadline)
{
	double left = deadline - time_mono();

	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

/* Waits until deadline (time_mono(); 0: do not wait) for waitpid(pid,
 * WNOHANG) to reap something: pid is a child, or -pgid any child in that
 * group. pidfd, when >= 0, is pid's, to sleep on. Returns the pid reaped
 * (with *status), 0 when nothing died by the deadline, -1 when there is
 * nothing (left) to wait for. */
static pid_t
reap_until(pid_t pid, int pidfd, double deadline, int *status)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	struct timespec ms = { 0, 1000000 };
	int left;
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r > 0)
			return r;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		left = ms_left(deadline);
		if (left == 0)
			return 0;
		if (pidfd >= 0)
			(void)poll(&pfd, 1, left);
		else
			nanosleep(&ms, NULL);
	}
}

/* Moves the children of ours in group pgid to the dying, and returns one
 * of them (0 when none is left). */
static pid_t
group_to_dying(pid_t pgid)
{
	pid_t *kids = NULL, first = 0;
	size_t n = 0, cap = 0, i;

	if (our_children(&kids, &n, &cap) == 0) {
		pthread_mutex_lock(&leaders_lock);
		for (i = 0; i < n; i++) {
			if (getpgid(kids[i]) != pgid ||
			    pidset_has(&dying, kids[i]))
				continue;
			pidset_add(&dying, kids[i]);
			if (first == 0)
				first = kids[i];
		}
		pthread_mutex_unlock(&leaders_lock);
	}
	free(kids);
	return first;
}

/* The first line of /proc/PID/NAME into buf (n bytes), "" when none. */
static void
read_proc_line(pid_t pid, const char *name, char *buf, size_t n)
{
	char path[64];
	ssize_t len;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, buf, n - 1);
	close(fd);
	buf[len > 0 ? len : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* Writes into p->stuck_why what /proc says of p->stuck, which has not died
 * since SIGKILL: in uninterruptible sleep (state D), where in the kernel it
 * waits; else that it is still exiting (a large address space to free). */
static void
describe_stuck(struct proc *p)
{
	char comm[32], wchan[64], stat[512], who[64], at[72];
	const char *hint = "a hung mount or device?", *paren;

	read_proc_line(p->stuck, "comm", comm, sizeof(comm));
	read_proc_line(p->stuck, "wchan", wchan, sizeof(wchan));
	read_proc_line(p->stuck, "stat", stat, sizeof(stat));
	if (comm[0] != '\0')
		snprintf(who, sizeof(who), "%s (pid %d)", comm, (int)p->stuck);
	else
		snprintf(who, sizeof(who), "pid %d", (int)p->stuck);
	/* "PID (COMM) STATE ...": COMM may hold ") ". */
	paren = strrchr(stat, ')');
	if (paren == NULL || paren[1] != ' ' || paren[2] != 'D') {
		snprintf(p->stuck_why, sizeof(p->stuck_why), "%s had not "
		    "exited %d ms after SIGKILL", who, PROC_KILL_WAIT_MS);
		return;
	}
	/* "0" where the kernel does not say (kptr_restrict). */
	at[0] = '\0';
	if (wchan[0] != '\0' && strcmp(wchan, "0") != 0)
		snprintf(at, sizeof(at), " at %s", wchan);
	if (strcmp(wchan, "__refrigerator") == 0)
		hint = "its cgroup is frozen";
	snprintf(p->stuck_why, sizeof(p->stuck_why), "%s survived SIGKILL, "
	    "waiting in the kernel%s (%s)", who, at, hint);
}

void
proc_kill(struct proc *p)
{
	double deadline;
	int status;
	pid_t r;

	/* Once reaped, the group id may name someone else's group. */
	if (p->pid < 0 || p->reaped || p->stuck != 0)
		return;
	/* The unreaped leader (alive or a zombie) pins its pid, so the group
	 * id still names our group. */
	kill(-p->pid, SIGKILL);
	deadline = time_mono() + PROC_KILL_WAIT_MS / 1000.0;
	r = reap_until(p->pid, p->pidfd, deadline, &status);
	pthread_mutex_lock(&leaders_lock);
	pidset_del(&leaders, p->pid);
	if (r == 0)
		pidset_add(&dying, p->pid);
	pthread_mutex_unlock(&leaders_lock);
	if (r == 0) {
		/* Still ours and pinning the group: the rest of the group
		 * goes with it in a later sweep. */
		p->stuck = p->pid;
		describe_stuck(p);
	} else {
		if (r == p->pid && !p->exited)
			record_status(p, status);
		p->reaped = 1;
		/* Everything else in the group got SIGKILL too; orphans
		 * among them were re-parented to us (the subreaper). */
		while ((r = reap_until(-p->pid, -1, deadline, &status)) > 0)
			;
		if (r == 0 && (p->stuck = group_to_dying(p->pid)) != 0)
			describe_stuck(p);
	}
	/* What left the group (setsid, `timeout`, a shell's job control)
	 * and lost its parent with it is ours now too. */
	proc_kill_strays();
}

size_t
proc_kill_strays(void)
{
	pid_t *kids = NULL, pgid;
	size_t n, cap = 0, i, killed = 0, first;
	double deadline;
	int round;

	pthread_mutex_lock(&leaders_lock);
	/* Killing a stray may orphan its own children to us: again, a few
	 * times, until a sweep finds none. */
	for (round = 0; round < 8; round++) {
		first = killed;
		n = 0;
		if (our_children(&kids, &n, &cap) != 0)
			break;
		for (i = 0; i < n; i++) {
			/* Reaped once it has died, without waiting. */
			if (pidset_has(&dying, kids[i])) {
				if (reap_until(kids[i], -1, 0, NULL) != 0)
					pidset_del(&dying, kids[i]);
				continue;
			}
			if (pidset_has(&leaders, kids[i]))
				continue;
			/* In the group of a leader we still run: it goes
			 * with that group. */
			pgid = getpgid(kids[i]);
			if (pgid > 0 && pidset_has(&leaders, pgid))
				continue;
			if (strays_kept) {
				/* A daemon a fix step started: reaped
				 * once it ends, never killed. */
				(void)reap_until(kids[i], -1, 0, NULL);
				continue;
			}
			if (pgid == kids[i])
				kill(-pgid, SIGKILL);
			kill(kids[i], SIGKILL);
			kids[killed++ - first] = kids[i];
		}
		if (killed == first)
			break;
		/* One wait for all this round killed; those still there
		 * at its end join the dying. */
		deadline = time_mono() + PROC_KILL_WAIT_MS / 1000.0;
		for (i = 0; i < killed - first; i++) {
			if (reap_until(kids[i], -1, deadline, NULL) == 0)
				pidset_add(&dying, kids[i]);
		}
	}
	pthread_mutex_unlock(&leaders_lock);
	free(kids);
	return killed;
}

void
proc_close(struct proc *p)
{
	close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	close_fd(&p->pidfd);
}

const char *
proc_signal_name(int sig, char *buf, size_t n)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev != NULL)
		snprintf(buf, n, "SIG%s", abbrev);
	else
		snprintf(buf, n, "SIG%d", sig);
	return buf;
}

/* SPDX-License-Identifier: MIT */
/* Tests for running on other hosts (remote.c): the remote command line
 * (through a real sh), the ssh argv, ssh's failure reasons, and the
 * sessions and control masters, with a stand-in `ssh` on PATH that runs
 * the remote command here (tests/cli/test-ssh.sh uses a real sshd). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "loop.h"
#include "probe-harness.h"
#include "remote.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

extern const struct probe_kind probe_kind_command;

struct fixture {
	char dir[128];		/* temp dir: the stand-in ssh, files */
	char *old_path;
};

/* The stand-in: a master (ControlMaster=yes) prints a byte and waits for
 * EOF on stdin, or fails as $FAKE_SSH_FAIL says, or hangs with
 * $FAKE_SSH_HANG; a client runs its last argument with sh, here. Every
 * call appends its mode to $FAKE_SSH_LOG. */
static const char fake_ssh[] =
	"#!/bin/sh\n"
	"for a; do last=$a; done\n"
	"mode=client\n"
	"case \" $* \" in *ControlMaster=yes*) mode=master ;; "
	"*ControlPath=none*) mode=direct ;; esac\n"
	"[ -n \"$FAKE_SSH_LOG\" ] && echo $mode >>\"$FAKE_SSH_LOG\"\n"
	"if [ $mode = master ]; then\n"
	"  if [ -n \"$FAKE_SSH_FAIL\" ]; then\n"
	"    printf '%s\\r\\n' \"$FAKE_SSH_FAIL\" >&2; exit 255\n"
	"  fi\n"
	"  [ -n \"$FAKE_SSH_HANG\" ] && exec sleep 30\n"
	"  echo; exec cat >/dev/null\n"
	"fi\n"
	"exec setsid -w sh -c \"$last\"\n";

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char path[256];
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-remote-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/ssh", f->dir);
	fp = fopen(path, "w");
	if (fp == NULL)
		return -1;
	fputs(fake_ssh, fp);
	fclose(fp);
	chmod(path, 0755);
	f->old_path = xstrdup(getenv("PATH"));
	snprintf(path, sizeof(path), "%s:%s", f->dir, f->old_path);
	setenv("PATH", path, 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	remote_shutdown();
	setenv("PATH", f->old_path, 1);
	unsetenv("FAKE_SSH_FAIL");
	unsetenv("FAKE_SSH_HANG");
	unsetenv("FAKE_SSH_LOG");
	if (fs_remove_tree(f->dir) != 0)
		return -1;
	free(f->old_path);
	free(f);
	return 0;
}

static int
group_setup(void **state)
{
	(void)state;
	return proc_init() == 0 ? 0 : -1;
}

/* Runs `sh -c line` here with stdin a pipe kept open (as ssh's channel is)
 * until it exits or after_secs pass (then stdin is closed: EOF, as when
 * the connection drops). Returns stdout; *status is the exit code, or
 * 128+N for signal N. */
static char *
run_sh(const char *line, double after_secs, int *status, char **err)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)line, NULL };
	struct proc_opts o = { .stdin_pipe = 1 };
	struct buf out, eb;
	struct proc p;
	char *cause = NULL, chunk[4096];
	double end = time_mono() + after_secs;
	int open_fds = 2;

	assert_int_equal(proc_spawn(&p, argv, &o, &cause), 0);
	buf_init(&out, 0);
	buf_init(&eb, 0);
	while (open_fds > 0) {
		struct pollfd pfd[2] = {
			{ .fd = p.out_fd, .events = POLLIN },
			{ .fd = p.err_fd, .events = POLLIN },
		};
		double left = end - time_mono();
		int i;

		if (p.in_fd >= 0 && left <= 0) {
			close(p.in_fd);
			p.in_fd = -1;
		}
		poll(pfd, 2, p.in_fd >= 0 ? (int)(left * 1000) + 1 : 5000);
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (pfd[i].fd < 0 || !(pfd[i].revents &
			    (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n > 0) {
				buf_append(i == 0 ? &out : &eb, chunk,
				    (size_t)n);
			} else if (n == 0 || errno != EAGAIN) {
				close(pfd[i].fd);
				if (i == 0)
					p.out_fd = -1;
				else
					p.err_fd = -1;
				open_fds--;
			}
		}
	}
	proc_kill(&p);
	proc_close(&p);
	*status = p.signal != 0 ? 128 + p.signal : p.exit_code;
	if (err != NULL)
		*err = buf_steal(&eb);
	buf_dispose(&eb);
	if (out.data == NULL)
		return xstrdup("");
	return buf_steal(&out);
}

/* remote_command for argv (which must print something) run through
 * run_sh; the output, and *status. */
static char *
remote_run(char *const argv[], const char *cwd, char *const env[],
    double after_secs, int *status, char **err)
{
	char *line = remote_command(argv, cwd, env), *out;

	/* The words' own newlines are inside quotes: a login shell that
	 * reads the line whole sees one command. */
	assert_true(str_has_prefix(line, "exec /bin/sh -c '"));
	out = run_sh(line, after_secs, status, err);
	free(line);
	return out;
}

static void
test_remote_command_round_trip(void **state)
{
	static const char *const awkward[] = {
		"plain", "two words", "", "it's", "\"double\"", "$HOME",
		"$(touch /tmp/triage-remote-pwned)", "`touch /tmp/x`",
		"back\\slash", "new\nline", "trailing\n", "tab\there", "*",
		"~", "-n", "a;b", "a|b", "'", "''", "\\'", "!x", "%s",
		"caf\xc3\xa9", "=x", "a=b", "{a,b}", "#c", " lead",
		"\"$HOME\"'$HOME'",
	};
	char *argv[ARRAY_LEN(awkward) + 5];
	struct buf want;
	char *out;
	size_t i;
	int status;

	(void)state;
	unlink("/tmp/triage-remote-pwned");
	/* Each argument back, ended by \001 (no argument holds one). */
	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)"for a; do printf '%s\\001' \"$a\"; done";
	argv[3] = (char *)"x";
	buf_init(&want, 0);
	for (i = 0; i < ARRAY_LEN(awkward); i++) {
		argv[i + 4] = (char *)awkward[i];
		buf_puts(&want, awkward[i]);
		buf_putc(&want, '\001');
	}
	argv[i + 4] = NULL;
	out = remote_run(argv, NULL, NULL, 30, &status, NULL);
	assert_int_equal(status, 0);
	assert_string_equal(out, buf_cstr(&want));
	free(out);
	buf_dispose(&want);
	assert_int_equal(access("/tmp/triage-remote-pwned", F_OK), -1);
}

static void
test_remote_command_cwd_env(void **state)
{
	struct fixture *f = *state;
	char *argv[] = { (char *)"sh", (char *)"-c",
		(char *)"printf '%s|%s|%s' \"$(pwd -P)\" \"$TQ_A\" \"$TQ_B\"",
		NULL };
	char *env[] = { (char *)"TQ_A=two words", (char *)"TQ_B=$(id)'\"",
		NULL };
	char dir[256], *out, *want;
	int status;

	snprintf(dir, sizeof(dir), "%s/a dir 'q'", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	out = remote_run(argv, dir, env, 30, &status, NULL);
	assert_int_equal(status, 0);
	want = xasprintf("%s|two words|$(id)'\"", dir);
	assert_string_equal(out, want);
	free(want);
	free(out);
	rmdir(dir);
}

static void
test_remote_command_status(void **state)
{
	char *exit3[] = { (char *)"sh", (char *)"-c",
		(char *)"echo out; echo err >&2; exit 3", NULL };
	char *term[] = { (char *)"sh", (char *)"-c", (char *)"kill -TERM $$",
		NULL };
	char *nope[] = { (char *)"triage-no-such-command", (char *)"x", NULL };
	char *t[] = { (char *)"true", NULL };
	char *out, *err;
	int status;

	(void)state;
	out = remote_run(exit3, NULL, NULL, 30, &status, &err);
	assert_int_equal(status, 3);
	assert_string_equal(out, "out\n");
	assert_string_equal(err, "err\n");
	free(out);
	free(err);
	out = remote_run(term, NULL, NULL, 30, &status, &err);
	assert_int_equal(status, 128 + SIGTERM);
	free(out);
	free(err);
	out = remote_run(nope, NULL, NULL, 30, &status, &err);
	assert_int_equal(status, 127);
	assert_string_equal(err,
	    "command not found: triage-no-such-command\n");
	free(out);
	free(err);
	out = remote_run(t, "/nonexistent-dir", NULL, 30, &status, &err);
	assert_int_equal(status, 126);
	free(out);
	free(err);
}

/* Whether a process whose command line is exactly argv0 and arg1 runs. */
static int
process_running(const char *argv0, const char *arg1)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char path[300], buf[256];
	int found = 0;

	assert_non_null(d);
	while (!found && (e = readdir(d)) != NULL) {
		size_t n, a = strlen(argv0), b = strlen(arg1);
		FILE *fp;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fp = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		found = n == a + b + 2 && memcmp(buf, argv0, a + 1) == 0 &&
		    memcmp(buf + a + 1, arg1, b + 1) == 0;
	}
	closedir(d);
	return found;
}

/* EOF on the channel (the ssh client died) kills the command's whole
 * group, and what it left running is killed when it exits. */
static void
test_remote_command_dies_with_session(void **state)
{
	char bg[32], fg[32], left[32], *sleeper_sh, *leaver_sh;
	char *sleeper[] = { (char *)"sh", (char *)"-c", NULL, NULL };
	char *leaver[] = { (char *)"sh", (char *)"-c", NULL, NULL };
	double t0 = time_mono();
	char *out;
	int status, i;

	(void)state;
	/* Durations no other test run uses, to find them in /proc. */
	snprintf(bg, sizeof(bg), "61.%d", (int)getpid());
	snprintf(fg, sizeof(fg), "62.%d", (int)getpid());
	snprintf(left, sizeof(left), "63.%d", (int)getpid());
	sleeper_sh = xasprintf("sleep %s & sleep %s; echo never", bg, fg);
	leaver_sh = xasprintf("sleep %s >/dev/null 2>&1 & echo left", left);
	sleeper[2] = sleeper_sh;
	leaver[2] = leaver_sh;
	out = remote_run(sleeper, NULL, NULL, 0.5, &status, NULL);
	assert_int_equal(status, 128 + SIGKILL);
	assert_string_equal(out, "");
	assert_true(time_mono() - t0 < 10);
	free(out);
	for (i = 0; i < 100 && (process_running("sleep", bg) ||
	    process_running("sleep", fg)); i++)
		usleep(20000);
	assert_false(process_running("sleep", bg));
	assert_false(process_running("sleep", fg));

	out = remote_run(leaver, NULL, NULL, 30, &status, NULL);
	assert_int_equal(status, 0);
	assert_string_equal(out, "left\n");
	free(out);
	for (i = 0; i < 100 && process_running("sleep", left); i++)
		usleep(20000);
	assert_false(process_running("sleep", left));
	free(sleeper_sh);
	free(leaver_sh);
}

/* The index of word in argv, or -1. */
static long
argv_find(char **argv, const char *word)
{
	long i;

	for (i = 0; argv[i] != NULL; i++) {
		if (strcmp(argv[i], word) == 0)
			return i;
	}
	return -1;
}

/* Whether argv has "-o opt". */
static int
has_opt(char **argv, const char *opt)
{
	long i;

	for (i = 0; argv[i] != NULL && argv[i + 1] != NULL; i++) {
		if (strcmp(argv[i], "-o") == 0 && strcmp(argv[i + 1], opt) == 0)
			return 1;
	}
	return 0;
}

static void
test_remote_ssh_argv(void **state)
{
	struct host h = { .name = (char *)"dallas",
		.ssh = (char *)"deploy@10.0.0.5", .port = 2222,
		.identity = (char *)"/keys/id %h", .known_hosts =
		(char *)"/etc/kh dir/known \"x\"" };
	struct host bare = { .name = (char *)"b", .ssh = (char *)"10.0.0.6" };
	char **a;
	long i, n;

	(void)state;
	a = remote_ssh_argv(&h, REMOTE_CLIENT, "/run/t/m0", 7, "echo hi");
	assert_string_equal(a[0], "ssh");
	assert_true(argv_find(a, "-T") > 0);
	assert_true(has_opt(a, "BatchMode=yes"));
	assert_true(has_opt(a, "ConnectTimeout=7"));
	assert_true(has_opt(a, "StrictHostKeyChecking=yes"));
	assert_true(has_opt(a, "UserKnownHostsFile=\"/etc/kh dir/known "
	    "\\\"x\\\"\""));
	i = argv_find(a, "-i");
	assert_true(i > 0);
	assert_string_equal(a[i + 1], "/keys/id %%h");
	assert_true(has_opt(a, "IdentitiesOnly=yes"));
	assert_true(has_opt(a, "ControlMaster=no"));
	assert_true(has_opt(a, "ControlPath=/run/t/m0"));
	i = argv_find(a, "-p");
	assert_true(i > 0);
	assert_string_equal(a[i + 1], "2222");
	for (n = 0; a[n] != NULL; n++)
		;
	assert_string_equal(a[n - 3], "--");
	assert_string_equal(a[n - 2], "deploy@10.0.0.5");
	assert_string_equal(a[n - 1], "echo hi");
	strv_free(a);

	a = remote_ssh_argv(&h, REMOTE_MASTER, "/run/t/m0", 0, "x");
	assert_true(has_opt(a, "ControlMaster=yes"));
	assert_true(has_opt(a, "ControlPersist=no"));
	assert_true(has_opt(a, "ConnectTimeout=1"));
	strv_free(a);

	a = remote_ssh_argv(&bare, REMOTE_DIRECT, NULL, 5, "x");
	assert_true(has_opt(a, "ControlPath=none"));
	assert_int_equal(argv_find(a, "-p"), -1);
	assert_int_equal(argv_find(a, "-i"), -1);
	for (i = 0; a[i] != NULL; i++)
		assert_null(strstr(a[i], "UserKnownHostsFile"));
	strv_free(a);
	strv_free(NULL);
}

static void
check_reason(const char *err, int sure, const char *want)
{
	char *got = remote_ssh_reason(err, strlen(err), sure);

	if (want == NULL) {
		if (got != NULL)
			fail_msg("\"%s\": got \"%s\", want none", err, got);
		return;
	}
	if (got == NULL)
		fail_msg("\"%s\": got none, want \"%s\"", err, want);
	assert_string_equal(got, want);
	free(got);
}

static void
test_remote_ssh_reason(void **state)
{
	static const char changed[] =
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
	    "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n"
	    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n"
	    "Offending ED25519 key in /tmp/kh:1\r\n"
	    "Host key for [127.0.0.1]:2222 has changed and you have "
	    "requested strict checking.\r\n"
	    "Host key verification failed.\r\n";

	(void)state;
	check_reason("ssh: connect to host 127.0.0.1 port 1: Connection "
	    "refused\r\n", 1, "ssh: connection refused");
	check_reason("deploy@127.0.0.1: Permission denied (publickey).\r\n",
	    1, "ssh: permission denied (publickey)");
	check_reason("Warning: Identity file /x not accessible: No such file "
	    "or directory.\r\ndeploy@h: Permission denied "
	    "(publickey,password).\r\n", 1,
	    "ssh: permission denied (publickey,password)");
	check_reason("No ED25519 host key is known for [127.0.0.1]:2222 and "
	    "you have requested strict checking.\r\nHost key verification "
	    "failed.\r\n", 1, "ssh: host key mismatch");
	check_reason(changed, 1, "ssh: host key mismatch");
	check_reason(changed, 0, "ssh: host key mismatch");
	check_reason("ssh: connect to host 10.1.1.1 port 22: Connection "
	    "timed out\r\n", 1, "ssh: connection timed out");
	check_reason("Connection timed out during banner exchange\r\n", 1,
	    "ssh: connection timed out");
	check_reason("ssh: Could not resolve hostname nope.invalid: Name or "
	    "service not known\r\n", 1, "ssh: could not resolve host");
	check_reason("kex_exchange_identification: read: Connection reset by "
	    "peer\r\n", 1, "ssh: kex_exchange_identification: read: "
	    "Connection reset by peer");
	check_reason("ssh: connect to host h port 22: No route to host\r\n",
	    1, "ssh: connect to host h port 22: No route to host");
	check_reason("", 1, "ssh: the connection failed");
	/* A client's exit 255: only ssh's own last line is ssh's. */
	check_reason("curl: (7) Failed to connect to x: Connection refused\n",
	    0, NULL);
	check_reason("cat: /x: Permission denied\n", 0, NULL);
	check_reason("", 0, NULL);
	check_reason("output\nssh: connect to host 127.0.0.1 port 9: "
	    "Connection refused\n", 0, "ssh: connection refused");
	check_reason("mux_client_request_session: session request failed: "
	    "Session open refused by peer\r\n", 0, "ssh: "
	    "mux_client_request_session: session request failed: Session "
	    "open refused by peer");
	assert_true(remote_mux_refused("x\nmux_client_request_session: "
	    "session request failed: Session open refused by peer\n", 78));
	assert_false(remote_mux_refused("Session open", 12));
}

/*
 * Sessions and masters, with the stand-in ssh.
 */

struct waiter {
	struct remote_session s;
	int ready;
	char *error;
};

static void
on_ready(void *arg, const char *error)
{
	struct waiter *w = arg;

	w->ready++;
	w->error = error != NULL ? xstrdup(error) : NULL;
}

static struct host
fake_host(const char *ssh)
{
	struct host h = { .name = (char *)"fake", .ssh = (char *)ssh };

	return h;
}

/* Runs l until n waiters are ready or secs pass. */
static void
run_until(struct loop *l, struct waiter *w, size_t nw, size_t n,
    double secs)
{
	double end = time_mono() + secs;
	size_t i, ready;

	for (;;) {
		for (i = 0, ready = 0; i < nw; i++)
			ready += w[i].ready > 0;
		if (ready >= n || time_mono() > end)
			return;
		loop_run_once(l, 0.05);
	}
}

static size_t
count_ready(struct waiter *w, size_t nw)
{
	size_t i, n = 0;

	for (i = 0; i < nw; i++)
		n += w[i].ready > 0;
	return n;
}

/* Count the lines of file equal to word. */
static int
count_lines(const char *file, const char *word)
{
	char line[64];
	int n = 0;
	FILE *fp = fopen(file, "r");

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		n += strcmp(line, word) == 0;
	}
	fclose(fp);
	return n;
}

static void
test_remote_sessions_share_one_master(void **state)
{
	struct fixture *f = *state;
	struct host h = fake_host("u@h1");
	struct waiter w[REMOTE_SESSIONS_MAX + 4];
	struct loop *l = loop_create();
	char log[256];
	size_t i;

	snprintf(log, sizeof(log), "%s/log", f->dir);
	setenv("FAKE_SSH_LOG", log, 1);
	memset(w, 0, sizeof(w));
	for (i = 0; i < ARRAY_LEN(w); i++)
		remote_session_open(&w[i].s, &h, l, time_mono() + 10, on_ready,
		    &w[i]);
	/* Nothing is ready inside open(). */
	assert_int_equal(count_ready(w, ARRAY_LEN(w)), 0);
	run_until(l, w, ARRAY_LEN(w), REMOTE_SESSIONS_MAX, 10);
	for (i = 0; i < 20; i++)
		loop_run_once(l, 0.01);
	/* At most REMOTE_SESSIONS_MAX at once; one master for them all. */
	assert_int_equal(count_ready(w, ARRAY_LEN(w)), REMOTE_SESSIONS_MAX);
	assert_int_equal(remote_masters(), 1);
	assert_int_equal(count_lines(log, "master"), 1);
	for (i = 0; i < ARRAY_LEN(w); i++)
		assert_null(w[i].error);
	/* Closing two lets two more in, in order. */
	remote_session_close(&w[0].s);
	remote_session_close(&w[1].s);
	remote_session_close(&w[1].s);
	run_until(l, w, ARRAY_LEN(w), REMOTE_SESSIONS_MAX + 2, 10);
	assert_int_equal(count_ready(w, ARRAY_LEN(w)), REMOTE_SESSIONS_MAX + 2);
	assert_int_equal(w[REMOTE_SESSIONS_MAX].ready, 1);
	assert_int_equal(w[REMOTE_SESSIONS_MAX + 1].ready, 1);
	assert_int_equal(w[REMOTE_SESSIONS_MAX + 2].ready, 0);
	for (i = 0; i < ARRAY_LEN(w); i++)
		remote_session_close(&w[i].s);
	loop_free(l);
	/* The master outlives the loop: the next run shares it. */
	assert_int_equal(remote_masters(), 1);
	l = loop_create();
	memset(w, 0, sizeof(w));
	remote_session_open(&w[0].s, &h, l, time_mono() + 10, on_ready, &w[0]);
	run_until(l, w, 1, 1, 10);
	assert_int_equal(w[0].ready, 1);
	assert_int_equal(count_lines(log, "master"), 1);
	remote_session_close(&w[0].s);
	loop_free(l);
	remote_shutdown();
	assert_int_equal(remote_masters(), 0);
}

static void
test_remote_master_failure_reaches_everyone(void **state)
{
	struct host h = fake_host("u@h2");
	struct waiter w[3];
	struct loop *l = loop_create();
	size_t i;

	(void)state;
	setenv("FAKE_SSH_FAIL", "ssh: connect to host h2 port 22: "
	    "Connection refused", 1);
	memset(w, 0, sizeof(w));
	for (i = 0; i < ARRAY_LEN(w); i++)
		remote_session_open(&w[i].s, &h, l, time_mono() + 10, on_ready,
		    &w[i]);
	run_until(l, w, ARRAY_LEN(w), ARRAY_LEN(w), 10);
	for (i = 0; i < ARRAY_LEN(w); i++) {
		assert_int_equal(w[i].ready, 1);
		assert_non_null(w[i].error);
		assert_string_equal(w[i].error, "ssh: connection refused");
		free(w[i].error);
		remote_session_close(&w[i].s);
	}
	assert_int_equal(remote_masters(), 0);
	/* The next session tries again. */
	unsetenv("FAKE_SSH_FAIL");
	memset(w, 0, sizeof(w));
	remote_session_open(&w[0].s, &h, l, time_mono() + 10, on_ready, &w[0]);
	run_until(l, w, 1, 1, 10);
	assert_int_equal(w[0].ready, 1);
	assert_null(w[0].error);
	remote_session_close(&w[0].s);
	loop_free(l);
	remote_shutdown();
}

/* A master still connecting when the last one waiting gives up is
 * stopped: nothing is left watching a loop that may go. */
static void
test_remote_abandoned_connect_stops(void **state)
{
	struct host h = fake_host("u@h3");
	struct waiter w;
	struct loop *l = loop_create();
	int i;

	(void)state;
	setenv("FAKE_SSH_HANG", "1", 1);
	memset(&w, 0, sizeof(w));
	remote_session_open(&w.s, &h, l, time_mono() + 10, on_ready, &w);
	for (i = 0; i < 10; i++)
		loop_run_once(l, 0.02);
	assert_int_equal(w.ready, 0);
	assert_int_equal(remote_masters(), 1);
	remote_session_close(&w.s);
	assert_int_equal(remote_masters(), 0);
	loop_free(l);
	unsetenv("FAKE_SSH_HANG");
	remote_shutdown();
}

/* A command probe `on:` a host goes through all of it: session, ssh
 * client, the wrapper, the kind's fields. */
static void
test_remote_command_probe(void **state)
{
	struct host h = fake_host("u@h4");
	struct probe *p;
	struct harness_result r;

	(void)state;
	p = calloc(1, sizeof(*p));
	p->id = strdup("t");
	p->layer = strdup("test");
	p->kind = &probe_kind_command;
	p->params = json_pack("{s:[sss], s:{s:s}}", "command", "sh", "-c",
	    "echo \"$TQ\"; echo oops >&2; exit 4", "env", "TQ", "a b");
	p->timeout = 10;
	p->severity = STATE_CRITICAL;
	p->on = &h;
	{
		char *cause = NULL;

		assert_int_equal(p->kind->prepare(p, &cause), 0);
	}
	r = harness_run(p);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason, "exit 4: oops");
	assert_int_equal(json_integer_value(json_object_get(r.fields, "exit")),
	    4);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "stdout")), "a b");
	harness_result_dispose(&r);

	/* The same timeout: the client is killed, and the command with it. */
	{
		char secs[32], *script, *cause = NULL;
		int i;

		snprintf(secs, sizeof(secs), "64.%d", (int)getpid());
		script = xasprintf("sleep %s; echo late", secs);
		json_object_set_new(p->params, "command", json_pack("[sss]",
		    "sh", "-c", script));
		free(script);
		p->kind->release(p);
		assert_int_equal(p->kind->prepare(p, &cause), 0);
		p->timeout = 1;
		r = harness_run(p);
		assert_string_equal(r.error, "timeout");
		harness_result_dispose(&r);
		for (i = 0; i < 150 && process_running("sleep", secs); i++)
			usleep(20000);
		assert_false(process_running("sleep", secs));
	}

	/* ssh's own failure is the reason, and the kind does not judge. */
	setenv("FAKE_SSH_FAIL", "deploy@h: Permission denied (publickey).", 1);
	remote_shutdown();
	p->timeout = 10;
	r = harness_run(p);
	assert_string_equal(r.error, "ssh: permission denied (publickey)");
	assert_null(json_object_get(r.fields, "exit"));
	harness_result_dispose(&r);
	unsetenv("FAKE_SSH_FAIL");
	harness_probe_free(p);
	remote_shutdown();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_command_round_trip),
		cmocka_unit_test_setup_teardown(test_remote_command_cwd_env,
		    setup, teardown),
		cmocka_unit_test(test_remote_command_status),
		cmocka_unit_test(test_remote_command_dies_with_session),
		cmocka_unit_test(test_remote_ssh_argv),
		cmocka_unit_test(test_remote_ssh_reason),
		cmocka_unit_test_setup_teardown(
		    test_remote_sessions_share_one_master, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_remote_master_failure_reaches_everyone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_remote_abandoned_connect_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_command_probe,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}

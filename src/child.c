/* SPDX-License-Identifier: MIT */
/* A child process on the event loop, and glue for kinds that run one. */
#include "child.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/shquote.h"
#include "util/xmalloc.h"
#include "util/utf8.h"

/* Reads per callback and per stream: bounds the time one chatty child can
 * hold the loop (64 x 16KiB = 1MiB). */
#define CHILD_READ_BUDGET 64
#define CHILD_CHUNK 16384

#define CHILD_MAX_OUTPUT_LIMIT (64u * 1024u * 1024u)

/* Reads what fd has now into b (bytes past b's maximum are dropped).
 * Returns 1 at EOF or on a read error, 0 when it would block or the
 * budget is spent. */
static int
pipe_drain(int fd, struct buf *b)
{
	char chunk[CHILD_CHUNK];
	int budget = CHILD_READ_BUDGET;
	ssize_t n;

	while (budget-- > 0) {
		n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			buf_append(b, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return 1;
	}
	return 0;
}

static void
unwatch(struct child *s, int fd)
{
	if (fd >= 0)
		loop_io_del(s->loop, fd);
}

/* Calls done() once the leader has exited and both pipes are at EOF. Must
 * be the last thing a callback does: done() may free s. */
static void
child_check_done(struct child *s)
{
	if (s->finished || !s->proc.exited || s->proc.out_fd >= 0 ||
	    s->proc.err_fd >= 0)
		return;
	/* Members that closed their output may still run: kill them too. */
	unwatch(s, s->proc.pidfd);
	proc_kill(&s->proc);
	proc_close(&s->proc);
	s->finished = 1;
	s->done(s->arg, s);
}

static void
child_on_pipe(void *arg, int fd, unsigned events)
{
	struct child *s = arg;
	int *fdp = fd == s->proc.out_fd ? &s->proc.out_fd : &s->proc.err_fd;
	struct buf *b = fd == s->proc.out_fd ? &s->out : &s->err;

	(void)events;
	if (pipe_drain(fd, b)) {
		/* Our end is close-on-exec and never dup'ed: closing it
		 * takes it out of epoll. */
		loop_io_forget(s->loop, fd);
		close(fd);
		*fdp = -1;
	}
	child_check_done(s);
}

static void
child_on_exit(void *arg, int fd, unsigned events)
{
	struct child *s = arg;
	int rc;

	(void)events;
	/* The pidfd is readable once the leader has exited. A wakeup while
	 * it still runs (an event meant for an fd closed and reused within
	 * one wait) is not its exit: keep watching. Should its status be
	 * lost (someone else reaped it), stop waiting. Then the pidfd has
	 * served (the rest goes by pid): closed, it leaves epoll without a
	 * call of its own. */
	rc = proc_poll(&s->proc);
	if (rc == 0)
		return;
	if (rc != 1)
		s->proc.exited = 1;
	loop_io_forget(s->loop, fd);
	close(fd);
	s->proc.pidfd = -1;
	child_check_done(s);
}

int
child_start(struct child *s, struct loop *l, char *const argv[],
    const struct child_opts *opts, child_done_fn done, void *arg,
    char **cause)
{
	struct proc_opts po = { .env = NULL };
	size_t max = PROBE_OUTPUT_MAX;

	memset(s, 0, sizeof(*s));
	s->proc.pid = -1;
	s->proc.pidfd = s->proc.out_fd = s->proc.err_fd = s->proc.in_fd = -1;
	if (opts != NULL) {
		po.env = opts->env;
		po.cwd = opts->cwd;
		po.stdin_pipe = opts->stdin_pipe;
		if (opts->max_output > 0)
			max = opts->max_output;
	}
	buf_init(&s->out, max);
	buf_init(&s->err, max);
	s->done = done;
	s->arg = arg;
	if (proc_spawn(&s->proc, argv, &po, cause) != 0)
		return -1;
	s->loop = l;
	if (loop_io_add(l, s->proc.out_fd, LOOP_READ, child_on_pipe, s) != 0 ||
	    loop_io_add(l, s->proc.err_fd, LOOP_READ, child_on_pipe, s) != 0 ||
	    loop_io_add(l, s->proc.pidfd, LOOP_READ, child_on_exit, s) != 0) {
		*cause = xasprintf("cannot watch %s: %s", argv[0],
		    strerror(errno));
		child_cancel(s);
		return -1;
	}
	return 0;
}

void
child_cancel(struct child *s)
{
	if (s->finished || s->loop == NULL)
		return;
	unwatch(s, s->proc.out_fd);
	unwatch(s, s->proc.err_fd);
	unwatch(s, s->proc.pidfd);
	proc_kill(&s->proc);
	/* The writers are dead now: keep what they left in the pipes. */
	if (s->proc.out_fd >= 0)
		pipe_drain(s->proc.out_fd, &s->out);
	if (s->proc.err_fd >= 0)
		pipe_drain(s->proc.err_fd, &s->err);
	proc_close(&s->proc);
	s->finished = 1;
}

void
child_dispose(struct child *s)
{
	child_cancel(s);
	buf_dispose(&s->out);
	buf_dispose(&s->err);
}

int
child_exited(const struct child *s)
{
	return s->proc.exited;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

char *
child_text(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	size_t i = 0;
	int k;

	while (n > 0 && is_space(s[n - 1]))
		n--;
	while (i < n && is_space(s[i]))
		i++;
	buf_init(&b, 0);
	while (i < n) {
		/* NUL is replaced too: it would cut C strings short. */
		k = p[i] == 0 ? 0 : utf8_seq_len(p + i, n - i);
		if (k <= 0) {
			buf_append(&b, "\xEF\xBF\xBD", 3);
			i++;
		} else {
			buf_append(&b, p + i, (size_t)k);
			i += (size_t)k;
		}
	}
	return buf_steal(&b);
}

char *
child_text_cut(const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	while (s[i] != '\0' && s[i] != '\n') {
		/* Count lead bytes, not continuation bytes. */
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (chars == max)
				break;
			chars++;
		}
		i++;
	}
	while (i > 0 && is_space(s[i - 1]))
		i--;
	return xstrndup(s, i);
}

static int
fail(struct probe *p, const char *key, char **cause, char *msg)
{
	p->err_field = key;
	*cause = msg;
	return -1;
}

static int
compile_argv(struct child_probe *sp, struct probe *p, json_t *argv,
    const char *key, char **cause)
{
	size_t i, n;

	if (!json_is_array(argv) || json_array_size(argv) == 0)
		return fail(p, key, cause,
		    xasprintf("%s must be a non-empty list", key));
	n = json_array_size(argv);
	sp->argv = xcalloc(n + 1, sizeof(*sp->argv));
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(argv, i);

		if (!json_is_string(v))
			return fail(p, key, cause,
			    xasprintf("%s[%zu] must be a string", key, i));
		sp->argv[i] = xstrdup(json_string_value(v));
	}
	if (sp->argv[0][0] == '\0')
		return fail(p, key, cause,
		    xasprintf("%s: the program name is empty", key));
	return 0;
}

static int
compile_env(struct child_probe *sp, struct probe *p, char **cause)
{
	json_t *env = probe_param(p, "env"), *v;
	const char *name;
	size_t i = 0;

	if (env == NULL)
		return 0;
	if (!json_is_object(env))
		return fail(p, "env", cause,
		    xstrdup("env must be a map of NAME: value"));
	sp->env = xcalloc(json_object_size(env) + 1, sizeof(*sp->env));
	json_object_foreach(env, name, v) {
		if (name[0] == '\0' || strchr(name, '=') != NULL)
			return fail(p, "env", cause, xasprintf(
			    "env: bad variable name \"%s\"", name));
		if (!json_is_string(v))
			return fail(p, "env", cause, xasprintf(
			    "env: %s must be a string", name));
		sp->env[i++] = xasprintf("%s=%s", name, json_string_value(v));
	}
	return 0;
}

static int
compile_opts(struct child_probe *sp, struct probe *p, char **cause)
{
	json_t *cwd = probe_param(p, "cwd"), *max = probe_param(p,
	    "max_output");

	if (cwd != NULL) {
		if (!json_is_string(cwd) || json_string_value(cwd)[0] == '\0')
			return fail(p, "cwd", cause,
			    xstrdup("cwd must be a directory path"));
		sp->cwd = xstrdup(json_string_value(cwd));
	}
	sp->max_output = PROBE_OUTPUT_MAX;
	if (max != NULL) {
		double v = json_is_number(max) ? json_number_value(max) : -1;

		if (v < 1 || v > CHILD_MAX_OUTPUT_LIMIT)
			return fail(p, "max_output", cause, xstrdup(
			    "max_output must be between 1 byte and 64MiB"));
		sp->max_output = (size_t)v;
	}
	return 0;
}

struct child_probe *
child_probe_create(struct probe *p, json_t *argv, const char *argv_key,
    char **cause)
{
	struct child_probe *sp = xcalloc(1, sizeof(*sp));

	sp->host = p->on;
	if (compile_argv(sp, p, argv, argv_key, cause) != 0 ||
	    compile_env(sp, p, cause) != 0 ||
	    compile_opts(sp, p, cause) != 0) {
		child_probe_free(sp);
		return NULL;
	}
	return sp;
}

void
child_probe_free(struct child_probe *sp)
{
	if (sp == NULL)
		return;
	strv_free(sp->argv);
	strv_free(sp->env);
	free(sp->cwd);
	free(sp);
}

static void child_probe_remote_start(struct child_probe_run *r);

/* On a host: whether ssh itself failed (it exits 255, and so may the
 * remote command: its last line tells). Frees the session's place, or
 * starts again without the master when the host refused one more session
 * on the shared connection (sshd's MaxSessions). 1 when the run is
 * decided here. */
static int
child_probe_remote_done(struct child_probe_run *r, struct child *s)
{
	char *reason = NULL;

	if (child_exited(s) && s->proc.signal == 0 &&
	    s->proc.exit_code == 255) {
		if (!r->direct && remote_mux_refused(buf_cstr(&s->err),
		    s->err.len)) {
			child_dispose(&r->sp);
			r->started = 0;
			r->direct = 1;
			child_probe_remote_start(r);
			return 1;
		}
		reason = remote_ssh_reason(buf_cstr(&s->err), s->err.len, 0);
	}
	remote_session_close(&r->rs);
	if (reason == NULL)
		return 0;
	probe_run_error(r->run, "%s", reason);
	free(reason);
	probe_run_complete(r->run);
	return 1;
}

static void
child_probe_done(void *arg, struct child *s)
{
	struct child_probe_run *r = arg;

	if (r->cp->host != NULL && child_probe_remote_done(r, s))
		return;
	if (r->judge != NULL)
		r->judge(r->run, s);
	/* Whoever runs the probe may finish (and free r) right here. */
	probe_run_complete(r->run);
}

/* Starts the ssh client for a run whose session is ready; from a loop
 * callback. */
static void
child_probe_remote_start(struct child_probe_run *r)
{
	const struct child_probe *cp = r->cp;
	struct child_opts o = { .max_output = cp->max_output,
		.stdin_pipe = 1 };
	char *command = remote_command(cp->argv, cp->cwd, cp->env);
	char **argv = remote_session_argv(&r->rs, r->direct, command);
	char *cause = NULL;

	free(command);
	if (child_start(&r->sp, r->run->loop, argv, &o, child_probe_done, r,
	    &cause) != 0) {
		probe_run_error(r->run, "%s", cause);
		free(cause);
		strv_free(argv);
		child_dispose(&r->sp);
		remote_session_close(&r->rs);
		probe_run_complete(r->run);
		return;
	}
	strv_free(argv);
	r->started = 1;
}

static void
child_probe_remote_ready(void *arg, const char *error)
{
	struct child_probe_run *r = arg;

	if (error != NULL) {
		probe_run_error(r->run, "%s", error);
		remote_session_close(&r->rs);
		probe_run_complete(r->run);
		return;
	}
	child_probe_remote_start(r);
}

int
child_probe_start(struct probe_run *run, const struct child_probe *sp,
    void (*judge)(struct probe_run *run, struct child *s))
{
	struct child_probe_run *r = xcalloc(1, sizeof(*r));
	struct child_opts o = { .env = sp->env, .cwd = sp->cwd,
		.max_output = sp->max_output };
	char *cause = NULL;

	run->priv = NULL;
	r->run = run;
	r->judge = judge;
	r->cp = sp;
	if (sp->host != NULL) {
		/* The command starts once the host has a session for it. */
		run->priv = r;
		remote_session_open(&r->rs, sp->host, run->loop, run->deadline,
		    child_probe_remote_ready, r);
		return 0;
	}
	if (child_start(&r->sp, run->loop, sp->argv, &o, child_probe_done, r,
	    &cause) != 0) {
		probe_run_error(run, "%s", cause);
		free(cause);
		child_dispose(&r->sp);
		free(r);
		return -1;
	}
	r->started = 1;
	run->priv = r;
	return 0;
}

void
child_probe_cancel(struct probe_run *run)
{
	struct child_probe_run *r = run->priv;

	if (r == NULL)
		return;
	if (r->started) {
		child_cancel(&r->sp);
		if (r->sp.proc.stuck != 0)
			probe_run_error(run, "%s", r->sp.proc.stuck_why);
	}
	remote_session_close(&r->rs);
}

struct child *
child_probe_get(struct probe_run *run)
{
	struct child_probe_run *r = run->priv;

	return r != NULL && r->started ? &r->sp : NULL;
}

void
child_probe_set_data(struct probe_run *run, void *data,
    void (*free_fn)(void *data))
{
	struct child_probe_run *r = run->priv;

	if (r->data != NULL && r->data_free != NULL)
		r->data_free(r->data);
	r->data = data;
	r->data_free = free_fn;
}

void *
child_probe_data(struct probe_run *run)
{
	struct child_probe_run *r = run->priv;

	return r != NULL ? r->data : NULL;
}

void
child_probe_write_status(const struct child *s, json_t *out)
{
	char name[32];

	if (s == NULL)
		return;
	if (child_exited(s) && s->proc.signal == 0 && s->proc.exit_code >= 0)
		json_object_set_new(out, "exit",
		    json_integer(s->proc.exit_code));
	else
		json_object_set_new(out, "exit", json_null());
	if (child_exited(s) && s->proc.signal != 0)
		json_object_set_new(out, "signal", json_string(
		    proc_signal_name(s->proc.signal, name, sizeof(name))));
	json_object_set_new(out, "truncated",
	    json_boolean(s->out.truncated || s->err.truncated));
}

void
child_probe_end(struct probe_run *run)
{
	struct child_probe_run *r = run->priv;

	if (r == NULL)
		return;
	child_dispose(&r->sp);
	remote_session_close(&r->rs);
	if (r->data != NULL && r->data_free != NULL)
		r->data_free(r->data);
	free(r);
	run->priv = NULL;
}

void
child_manual_prefix(struct buf *b, const struct probe *p)
{
	const char *cwd = probe_param_str(p, "cwd", NULL);
	json_t *env = probe_param(p, "env"), *v;
	const char *name;

	if (cwd != NULL) {
		buf_puts(b, "cd ");
		shquote_append(b, cwd);
		buf_puts(b, " && ");
	}
	if (json_object_size(env) == 0)
		return;
	buf_puts(b, "env");
	json_object_foreach(env, name, v) {
		char *kv = xasprintf("%s=%s", name, json_is_string(v) ?
		    json_string_value(v) : "");

		buf_putc(b, ' ');
		shquote_append(b, kv);
		free(kv);
	}
	buf_putc(b, ' ');
}

void
child_manual_argv(struct buf *b, json_t *argv)
{
	const char **words = xcalloc(json_array_size(argv) + 1,
	    sizeof(*words));
	json_t *v;
	size_t i;

	json_array_foreach(argv, i, v)
		words[i] = json_is_string(v) ? json_string_value(v) : "";
	shquote_append_argv(b, words, json_array_size(argv));
	free(words);
}

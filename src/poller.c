/* SPDX-License-Identifier: MIT */
/* The poller of triage watch: the child that runs the schedule, and the
 * daemon's side of it (poller.h has the protocol). */
#include "poller.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "runbook.h"
#include "util/xmalloc.h"

/* A result line can carry a 1 MiB body, escaped; more is a broken poller. */
#define POLLER_LINE_MAX (64u * 1024u * 1024u)

/*
 * The poller process.
 */

struct worker {
	struct loop *loop;
	struct sched *sched;
	struct loop_timer tick;
	struct buf in;		/* partial command line */
	int draining;
	int gone;		/* stdout is closed: the daemon is gone */
};

/* Writes all of s to stdout (blocking: the daemon reads as it goes). */
static void
worker_write(struct worker *w, const char *s, size_t n)
{
	while (n > 0 && !w->gone) {
		ssize_t k = write(STDOUT_FILENO, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->gone = 1;
			break;
		}
		s += k;
		n -= (size_t)k;
	}
}

static void
worker_send(struct worker *w, json_t *msg)
{
	char *line = json_dumps(msg, JSON_COMPACT);
	size_t n = strlen(line);

	line[n] = '\n';	/* json_dumps's NUL: written as the line end */
	worker_write(w, line, n + 1);
	free(line);
	json_decref(msg);
}

static void
worker_result(void *arg, size_t i, json_t *result, double lag)
{
	worker_send(arg, json_pack("{s:s, s:I, s:f, s:o}", "t", "result",
	    "i", (json_int_t)i, "lag", lag, "result", result));
}

static void
worker_tick(void *arg)
{
	struct worker *w = arg;

	worker_send(w, json_pack("{s:s, s:I, s:I}", "t", "tick", "running",
	    (json_int_t)sched_running(w->sched), "overruns",
	    (json_int_t)sched_overruns(w->sched)));
	loop_timer_after(w->loop, &w->tick, 1.0);
}

static void
worker_drain(struct worker *w)
{
	w->draining = 1;
	sched_drain(w->sched);
}

static void
worker_command(struct worker *w, const char *line)
{
	if (strcmp(line, "poll") == 0)
		sched_poll_now(w->sched);
	else if (strcmp(line, "pause") == 0)
		sched_pause(w->sched, 1);
	else if (strcmp(line, "resume") == 0)
		sched_pause(w->sched, 0);
	else if (strcmp(line, "drain") == 0)
		worker_drain(w);
	else
		fprintf(stderr, "unknown command \"%.40s\" ignored\n", line);
}

static void
worker_stdin(void *arg, int fd, unsigned events)
{
	struct worker *w = arg;
	char chunk[4096];
	ssize_t k;

	(void)events;
	while ((k = read(fd, chunk, sizeof(chunk))) != 0) {
		char *nl;

		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		buf_append(&w->in, chunk, (size_t)k);
		while (w->in.len > 0 &&
		    (nl = memchr(w->in.data, '\n', w->in.len)) != NULL) {
			size_t used = (size_t)(nl - w->in.data) + 1;

			*nl = '\0';
			worker_command(w, w->in.data);
			memmove(w->in.data, nl + 1, w->in.len - used);
			w->in.len -= used;
			w->in.data[w->in.len] = '\0';
		}
		if (w->in.truncated)
			buf_reset(&w->in);
	}
	/* EOF or an error: the daemon is gone. */
	loop_io_del(w->loop, fd);
	worker_drain(w);
}

int
poller_main(const struct runbook *rb, int jobs,
    volatile sig_atomic_t *interrupted)
{
	struct worker w = { 0 };
	struct sched_opts so = { 0 };
	struct probe **probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	size_t i;
	int flags;

	for (i = 0; i < rb->nprobes; i++)
		probes[i] = &rb->probes[i];
	w.loop = loop_create();
	if (w.loop == NULL) {
		fprintf(stderr, "cannot create the event loop: %s\n",
		    strerror(errno));
		free(probes);
		return 1;
	}
	buf_init(&w.in, 4096);
	so.jobs = jobs;
	so.take = worker_result;
	so.arg = &w;
	w.sched = sched_create(rb, probes, rb->nprobes, w.loop, &so);
	loop_timer_init(&w.tick, worker_tick, &w);
	worker_tick(&w);
	flags = fcntl(STDIN_FILENO, F_GETFL);
	if (flags >= 0)
		fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
	if (loop_io_add(w.loop, STDIN_FILENO, LOOP_READ, worker_stdin,
	    &w) != 0)
		worker_drain(&w);
	while (!(w.draining && sched_running(w.sched) == 0) && !w.gone) {
		if (*interrupted && !w.draining)
			worker_drain(&w);
		if (loop_run_once(w.loop, 1.0) < 0 && errno != EINTR)
			break;
		sched_process(w.sched);
	}
	loop_timer_stop(w.loop, &w.tick);
	sched_free(w.sched);
	loop_free(w.loop);
	buf_dispose(&w.in);
	free(probes);
	return 0;
}

/*
 * The daemon's side.
 */

/* Takes the complete lines out of b, calling fn on each. */
static void
take_lines(struct buf *b, void (*fn)(struct poller *, char *),
    struct poller *p)
{
	size_t start = 0;
	char *nl;

	while (start < b->len && (nl = memchr(b->data + start, '\n',
	    b->len - start)) != NULL) {
		*nl = '\0';
		fn(p, b->data + start);
		start = (size_t)(nl - b->data) + 1;
	}
	if (start > 0) {
		memmove(b->data, b->data + start, b->len - start);
		b->len -= start;
		b->data[b->len] = '\0';
	}
}

static void
on_result_line(struct poller *p, char *line)
{
	json_error_t jerr;
	json_t *msg = json_loads(line, 0, &jerr);
	const char *t = json_string_value(json_object_get(msg, "t"));

	if (t != NULL && strcmp(t, "result") == 0) {
		json_t *r = json_object_get(msg, "result");

		if (json_is_object(r) && p->hooks.result != NULL)
			p->hooks.result(p->hooks.arg, (size_t)json_integer_value(
			    json_object_get(msg, "i")), json_incref(r),
			    json_number_value(json_object_get(msg, "lag")));
	} else if (t != NULL && strcmp(t, "tick") == 0) {
		if (p->hooks.tick != NULL)
			p->hooks.tick(p->hooks.arg, msg);
	} else if (p->hooks.log != NULL) {
		p->hooks.log(p->hooks.arg, "unreadable line on stdout");
	}
	json_decref(msg);
}

static void
on_log_line(struct poller *p, char *line)
{
	if (p->hooks.log != NULL && *line != '\0')
		p->hooks.log(p->hooks.arg, line);
}

/* Reads what fd has into b; 0 at EOF, 1 when it would block. */
static int
read_into(int fd, struct buf *b)
{
	char chunk[65536];

	for (;;) {
		ssize_t k = read(fd, chunk, sizeof(chunk));

		if (k > 0) {
			buf_append(b, chunk, (size_t)k);
			if (b->truncated)
				return 1;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 && errno == EAGAIN ? 1 : 0;
	}
}

static void poller_reap(struct poller *p, const char *how);

static void
on_stdout(void *arg, int fd, unsigned events)
{
	struct poller *p = arg;
	int more = read_into(fd, &p->out);

	(void)events;
	if (p->out.truncated) {
		poller_kill(p, "killed: a line of its output was over 64 MiB");
		return;
	}
	take_lines(&p->out, on_result_line, p);
	if (!more) {
		loop_io_forget(p->loop, fd);
		close(fd);
		p->proc.out_fd = -1;
	}
}

static void
on_stderr(void *arg, int fd, unsigned events)
{
	struct poller *p = arg;
	int more = read_into(fd, &p->err);

	(void)events;
	if (p->err.truncated) {	/* a line too long for a log: cut it */
		on_log_line(p, p->err.data);
		buf_reset(&p->err);
		p->err.truncated = 0;
	}
	take_lines(&p->err, on_log_line, p);
	if (!more) {
		loop_io_forget(p->loop, fd);
		close(fd);
		p->proc.err_fd = -1;
	}
}

static void
on_exit_fd(void *arg, int fd, unsigned events)
{
	struct poller *p = arg;

	(void)fd;
	(void)events;
	poller_reap(p, NULL);
}

int
poller_start(struct poller *p, struct loop *l, char *const argv[],
    const struct poller_hooks *hooks, char **cause)
{
	static char poller_env[] = POLLER_ENV "=1";
	char *const env[] = { poller_env, NULL };
	struct proc_opts po = { 0 };
	int flags;

	memset(p, 0, sizeof(*p));
	p->loop = l;
	p->hooks = *hooks;
	buf_init(&p->out, POLLER_LINE_MAX);
	buf_init(&p->err, 8192);
	po.env = env;
	po.stdin_pipe = 1;
	if (proc_spawn(&p->proc, argv, &po, cause) != 0) {
		p->proc.pid = -1;
		return -1;
	}
	flags = fcntl(p->proc.in_fd, F_GETFL);
	if (flags >= 0)
		fcntl(p->proc.in_fd, F_SETFL, flags | O_NONBLOCK);
	p->running = 1;
	if (loop_io_add(l, p->proc.out_fd, LOOP_READ, on_stdout, p) != 0 ||
	    loop_io_add(l, p->proc.err_fd, LOOP_READ, on_stderr, p) != 0 ||
	    loop_io_add(l, p->proc.pidfd, LOOP_READ, on_exit_fd, p) != 0) {
		*cause = xasprintf("cannot watch the poller: %s",
		    strerror(errno));
		poller_kill(p, "killed");
		return -1;
	}
	return 0;
}

void
poller_send(struct poller *p, const char *command)
{
	char line[32];
	int n;

	if (!p->running || p->proc.in_fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%s\n", command);
	/* Non-blocking: a poller too wedged to read its commands is the
	 * supervisor's business, never a reason for the daemon to hang. */
	if (write(p->proc.in_fd, line, (size_t)n) != n && p->hooks.log)
		p->hooks.log(p->hooks.arg, "command not delivered: the "
		    "poller is not reading");
}

static void
forget_fd(struct poller *p, int *fd)
{
	if (*fd >= 0) {
		loop_io_forget(p->loop, *fd);
		close(*fd);
		*fd = -1;
	}
}

/* The poller has exited (how == NULL: find out how) or is to be killed. */
static void
poller_reap(struct poller *p, const char *how)
{
	char words[64], sig[16];

	if (!p->running)
		return;
	p->running = 0;
	/* What it wrote before it went: its last results and words. */
	if (p->proc.out_fd >= 0)
		on_stdout(p, p->proc.out_fd, LOOP_READ);
	if (p->proc.err_fd >= 0)
		on_stderr(p, p->proc.err_fd, LOOP_READ);
	proc_kill(&p->proc);
	if (how == NULL) {
		if (p->proc.signal != 0)
			snprintf(words, sizeof(words), "killed by %s",
			    proc_signal_name(p->proc.signal, sig,
			    sizeof(sig)));
		else
			snprintf(words, sizeof(words), "exited with status %d",
			    p->proc.exit_code);
		how = words;
	}
	forget_fd(p, &p->proc.out_fd);
	forget_fd(p, &p->proc.err_fd);
	forget_fd(p, &p->proc.pidfd);
	proc_close(&p->proc);
	buf_dispose(&p->out);
	buf_dispose(&p->err);
	p->proc.pid = -1;
	if (p->hooks.exited != NULL)
		p->hooks.exited(p->hooks.arg, how);
}

void
poller_kill(struct poller *p, const char *how)
{
	poller_reap(p, how != NULL ? how : "killed");
}

long
poller_pid(const struct poller *p)
{
	return p->running ? (long)p->proc.pid : -1;
}

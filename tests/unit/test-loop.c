/* SPDX-License-Identifier: MIT */
/* Tests for the event loop (loop.c): io watches, the timer heap, waits and
 * per-loop slots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* What an io callback saw. */
struct io_seen {
	int calls;
	int fd;
	unsigned events;
	struct loop *loop;
	int del_fd;		/* >= 0: loop_io_del this fd in the callback */
	int drain;		/* read what is there */
};

static void
on_io(void *arg, int fd, unsigned events)
{
	struct io_seen *s = arg;
	char chunk[64];

	s->calls++;
	s->fd = fd;
	s->events = events;
	if (s->drain)
		while (read(fd, chunk, sizeof(chunk)) > 0)
			;
	if (s->del_fd >= 0)
		loop_io_del(s->loop, s->del_fd);
}

static void
make_pipe(int fds[2])
{
	int i;

	assert_int_equal(pipe(fds), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(fcntl(fds[i], F_SETFD, FD_CLOEXEC), 0);
		assert_int_equal(fcntl(fds[i], F_SETFL, O_NONBLOCK), 0);
	}
}

/* Runs the loop until *flag is set or secs pass; returns the seconds. */
static double
run_until(struct loop *l, const int *flag, double secs)
{
	double t0 = time_mono();

	while (!*flag && time_mono() - t0 < secs)
		assert_true(loop_run_once(l, 0.05) >= 0);
	return time_mono() - t0;
}

static void
test_create_free(void **state)
{
	struct loop *l = loop_create();
	double t = time_mono();

	(void)state;
	assert_non_null(l);
	assert_true(loop_now(l) <= t && loop_now(l) > t - 5);
	loop_free(l);
	loop_free(NULL);
}

static void
test_io_readable(void **state)
{
	struct io_seen seen = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	int fds[2];

	(void)state;
	make_pipe(fds);
	assert_int_equal(loop_io_add(l, fds[0], LOOP_READ, on_io, &seen), 0);
	/* Nothing to read: nothing runs. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(seen.calls, 0);

	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.fd, fds[0]);
	assert_true(seen.events & LOOP_READ);
	assert_false(seen.events & LOOP_WRITE);
	assert_false(seen.events & LOOP_ERROR);
	/* Drained: level-triggered, so quiet again. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(seen.calls, 1);

	loop_io_del(l, fds[0]);
	assert_int_equal(write(fds[1], "y", 1), 1);
	assert_int_equal(loop_run_once(l, 0.01), 0);
	assert_int_equal(seen.calls, 1);
	/* Deleting twice, or an fd never watched, is a no-op. */
	loop_io_del(l, fds[0]);
	loop_io_del(l, 1000);
	loop_io_del(l, -1);
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

static void
test_io_writable_and_mod(void **state)
{
	struct io_seen w = { .fd = -1, .del_fd = -1 };
	struct io_seen r = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	int fds[2];

	(void)state;
	make_pipe(fds);
	assert_int_equal(loop_io_add(l, fds[1], LOOP_WRITE, on_io, &w), 0);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.fd, fds[1]);
	assert_true(w.events & LOOP_WRITE);
	assert_false(w.events & LOOP_READ);

	/* mod to no events: quiet; back to WRITE with another callback. */
	assert_int_equal(loop_io_mod(l, fds[1], 0, on_io, &w), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(loop_io_mod(l, fds[1], LOOP_WRITE, on_io, &r), 0);
	assert_int_equal(loop_run_once(l, 0), 1);
	assert_int_equal(w.calls, 1);
	assert_int_equal(r.calls, 1);
	loop_io_del(l, fds[1]);

	/* READ|WRITE on the read end of an empty pipe: neither. */
	r.calls = 0;
	assert_int_equal(loop_io_add(l, fds[0], LOOP_READ | LOOP_WRITE, on_io,
	    &r), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(write(fds[1], "z", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_true(r.events & LOOP_READ);
	loop_io_del(l, fds[0]);
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

/* A closed write end: the read end reports READ and ERROR (hang-up). */
static void
test_io_hangup(void **state)
{
	struct io_seen seen = { .fd = -1, .del_fd = -1 };
	struct loop *l = loop_create();
	int fds[2];

	(void)state;
	make_pipe(fds);
	assert_int_equal(loop_io_add(l, fds[0], LOOP_READ, on_io, &seen), 0);
	close(fds[1]);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_true(seen.events & LOOP_READ);
	assert_true(seen.events & LOOP_ERROR);
	loop_io_del(l, fds[0]);
	close(fds[0]);
	loop_free(l);
}

static void
test_io_add_errors(void **state)
{
	struct io_seen seen = { .fd = -1, .del_fd = -1 };
	struct loop *l = loop_create();
	int fd;

	(void)state;
	errno = 0;
	assert_int_equal(loop_io_add(l, -1, LOOP_READ, on_io, &seen), -1);
	assert_int_equal(errno, EBADF);
	/* A regular file cannot be polled: epoll says EPERM. */
	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(loop_io_add(l, fd, LOOP_READ, on_io, &seen), -1);
	assert_int_equal(errno, EPERM);
	close(fd);
	/* A closed fd: EBADF from epoll. */
	errno = 0;
	assert_int_equal(loop_io_add(l, fd, LOOP_READ, on_io, &seen), -1);
	assert_int_equal(errno, EBADF);
	loop_free(l);
}

/* A callback deletes another watch that is ready in the same wait: that
 * watch's callback must not run. */
static void
test_io_del_inside_callback(void **state)
{
	struct io_seen a = { .fd = -1, .drain = 1 };
	struct io_seen b = { .fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	int p1[2], p2[2];

	(void)state;
	make_pipe(p1);
	make_pipe(p2);
	a.loop = b.loop = l;
	/* Each deletes the other: whichever runs first, the other must
	 * not run. */
	a.del_fd = p2[0];
	b.del_fd = p1[0];
	assert_int_equal(loop_io_add(l, p1[0], LOOP_READ, on_io, &a), 0);
	assert_int_equal(loop_io_add(l, p2[0], LOOP_READ, on_io, &b), 0);
	assert_int_equal(write(p1[1], "x", 1), 1);
	assert_int_equal(write(p2[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(a.calls + b.calls, 1);

	/* The survivor deletes itself inside its callback: never again. */
	if (a.calls == 1) {
		a.del_fd = p1[0];
		assert_int_equal(write(p1[1], "x", 1), 1);
	} else {
		b.del_fd = p2[0];
		assert_int_equal(write(p2[1], "x", 1), 1);
	}
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(a.calls + b.calls, 2);
	assert_int_equal(write(p1[1], "x", 1), 1);
	assert_int_equal(write(p2[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 0.01), 0);
	assert_int_equal(a.calls + b.calls, 2);

	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	loop_free(l);
}

/* An fd closed without loop_io_del and reused by a new pipe: adding it
 * again must work and call the new callback only. */
static void
test_io_readd_reused_fd(void **state)
{
	struct io_seen old = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct io_seen fresh = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	int p1[2], p2[2];

	(void)state;
	make_pipe(p1);
	assert_int_equal(loop_io_add(l, p1[0], LOOP_READ, on_io, &old), 0);
	close(p1[0]);
	close(p1[1]);
	make_pipe(p2);
	/* The lowest free descriptors are reused. */
	assert_int_equal(p2[0], p1[0]);
	assert_int_equal(loop_io_add(l, p2[0], LOOP_READ, on_io, &fresh), 0);
	assert_int_equal(write(p2[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(fresh.calls, 1);
	assert_int_equal(old.calls, 0);
	assert_int_equal(fresh.fd, p2[0]);

	/* The same, with the reused fd now the write end. */
	loop_io_del(l, p2[0]);
	assert_int_equal(loop_io_add(l, p2[1], LOOP_READ, on_io, &old), 0);
	close(p2[0]);
	close(p2[1]);
	make_pipe(p1);
	fresh.calls = 0;
	assert_true(p1[1] == p2[1] || p1[0] == p2[1]);
	assert_int_equal(loop_io_add(l, p2[1], LOOP_WRITE, on_io, &fresh), 0);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(old.calls, 0);
	assert_int_equal(fresh.calls, 1);
	loop_io_del(l, p2[1]);
	close(p1[0]);
	close(p1[1]);
	loop_free(l);
}

/* A watch forgotten before its descriptor is closed never runs again,
 * and the number can be watched anew when it is reused. */
static void
test_io_forget_then_close(void **state)
{
	struct io_seen old = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct io_seen fresh = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	int p1[2], p2[2];

	(void)state;
	make_pipe(p1);
	assert_int_equal(loop_io_add(l, p1[0], LOOP_READ, on_io, &old), 0);
	assert_int_equal(write(p1[1], "x", 1), 1);
	loop_io_forget(l, p1[0]);
	assert_int_equal(loop_run_once(l, 0.01), 0);
	assert_int_equal(old.calls, 0);
	close(p1[0]);
	close(p1[1]);
	make_pipe(p2);
	assert_int_equal(p2[0], p1[0]);
	assert_int_equal(loop_io_add(l, p2[0], LOOP_READ, on_io, &fresh), 0);
	assert_int_equal(write(p2[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(fresh.calls, 1);
	assert_int_equal(old.calls, 0);
	loop_io_forget(l, -1);
	loop_io_forget(l, 100000);
	loop_io_del(l, p2[0]);
	close(p2[0]);
	close(p2[1]);
	loop_free(l);
}

/* Descriptors far above the initial table size. */
static void
test_io_high_fd(void **state)
{
	struct io_seen seen = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	int fds[2], high;

	(void)state;
	make_pipe(fds);
	high = fcntl(fds[0], F_DUPFD_CLOEXEC, 300);
	assert_true(high >= 300);
	close(fds[0]);
	assert_int_equal(loop_io_add(l, high, LOOP_READ, on_io, &seen), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 1);
	assert_int_equal(seen.fd, high);
	loop_io_del(l, high);
	close(high);
	close(fds[1]);
	loop_free(l);
}

/*
 * Timers.
 */

struct fired {
	struct loop *loop;
	struct loop_timer *order[1024];
	size_t n;
	double last_at;
	int sorted;		/* deadlines came in non-decreasing order */
	int active_inside;	/* loop_timer_active of the firing timer */
	struct loop_timer *victim;	/* stopped by the next callback */
};

struct ttimer {
	struct loop_timer t;
	struct fired *f;
	int calls;
	double at;
};

static void
on_timer(void *arg)
{
	struct ttimer *tt = arg;
	struct fired *f = tt->f;

	tt->calls++;
	if (tt->t.at < f->last_at)
		f->sorted = 0;
	f->last_at = tt->t.at;
	f->active_inside |= loop_timer_active(&tt->t);
	if (f->n < ARRAY_LEN(f->order))
		f->order[f->n++] = &tt->t;
	if (f->victim != NULL) {
		loop_timer_stop(f->loop, f->victim);
		f->victim = NULL;
	}
}

static void
fired_init(struct fired *f, struct loop *l)
{
	memset(f, 0, sizeof(*f));
	f->loop = l;
	f->last_at = -1e300;
	f->sorted = 1;
}

/* Deadlines all in the past run in one iteration, earliest first: the
 * heap order, after random inserts, stops and re-arms. */
static void
test_timer_heap_order(void **state)
{
	enum { N = 600 };
	struct ttimer *tt = xcalloc(N, sizeof(*tt));
	struct loop *l = loop_create();
	struct fired f;
	unsigned seed = 4242;
	double base = time_mono() - 10000;
	size_t i, expected = 0;
	int ran;

	(void)state;
	fired_init(&f, l);
	for (i = 0; i < N; i++) {
		loop_timer_init(&tt[i].t, on_timer, &tt[i]);
		assert_false(loop_timer_active(&tt[i].t));
		tt[i].f = &f;
		seed = seed * 1103515245u + 12345u;
		/* Coarse deadlines, so some are equal. */
		loop_timer_at(l, &tt[i].t, base + (seed >> 16) % 500);
		assert_true(loop_timer_active(&tt[i].t));
	}
	/* Stop every third, re-arm every fifth (some of them stopped). */
	for (i = 0; i < N; i += 3)
		loop_timer_stop(l, &tt[i].t);
	for (i = 0; i < N; i += 5) {
		seed = seed * 1103515245u + 12345u;
		loop_timer_at(l, &tt[i].t, base + (seed >> 16) % 500 + 0.5);
	}
	for (i = 0; i < N; i++) {
		if (i % 3 != 0 || i % 5 == 0)
			expected++;
		assert_int_equal(loop_timer_active(&tt[i].t),
		    i % 3 != 0 || i % 5 == 0);
	}
	ran = loop_run_once(l, 0);
	assert_int_equal(ran, (int)expected);
	assert_int_equal(f.n, expected);
	assert_true(f.sorted);
	assert_false(f.active_inside);
	for (i = 0; i < N; i++) {
		assert_int_equal(tt[i].calls, i % 3 != 0 || i % 5 == 0);
		assert_false(loop_timer_active(&tt[i].t));
	}
	/* Nothing is left. */
	assert_int_equal(loop_run_once(l, 0), 0);
	loop_free(l);
	free(tt);
}

/* Removing timers from the middle of the heap keeps it a heap: stop in a
 * random order while popping. */
static void
test_timer_heap_random_stops(void **state)
{
	enum { N = 300 };
	struct ttimer *tt = xcalloc(N, sizeof(*tt));
	struct loop *l = loop_create();
	struct fired f;
	unsigned seed = 99;
	double base = time_mono() - 10000;
	size_t i, round;

	(void)state;
	for (round = 0; round < 20; round++) {
		size_t stopped = 0, calls = 0;

		fired_init(&f, l);
		for (i = 0; i < N; i++) {
			loop_timer_init(&tt[i].t, on_timer, &tt[i]);
			tt[i].f = &f;
			tt[i].calls = 0;
			seed = seed * 1103515245u + 12345u;
			loop_timer_at(l, &tt[i].t,
			    base + (double)(seed % 1000000) / 1e3);
		}
		for (i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 4 == 0) {
				loop_timer_stop(l, &tt[i].t);
				stopped++;
			}
		}
		assert_int_equal(loop_run_once(l, 0), (int)(N - stopped));
		assert_true(f.sorted);
		for (i = 0; i < N; i++)
			calls += (size_t)tt[i].calls;
		assert_int_equal(calls, N - stopped);
	}
	loop_free(l);
	free(tt);
}

static void
test_timer_stop_and_rearm(void **state)
{
	struct loop *l = loop_create();
	struct ttimer a = { 0 };
	struct fired f;
	double t0, took;

	(void)state;
	fired_init(&f, l);
	a.f = &f;
	loop_timer_init(&a.t, on_timer, &a);
	loop_timer_stop(l, &a.t);	/* idle: no-op */
	loop_timer_after(l, &a.t, 10);
	assert_true(loop_timer_active(&a.t));
	loop_timer_stop(l, &a.t);
	assert_false(loop_timer_active(&a.t));
	loop_timer_stop(l, &a.t);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(a.calls, 0);

	/* Re-arming an armed timer moves it rather than adding it twice. */
	t0 = time_mono();
	loop_timer_after(l, &a.t, 10);
	loop_timer_after(l, &a.t, 0.05);
	took = run_until(l, &a.calls, 2);
	assert_int_equal(a.calls, 1);
	assert_true(took >= 0.045);
	assert_true(time_mono() - t0 < 1.5);
	assert_false(loop_timer_active(&a.t));
	assert_int_equal(loop_run_once(l, 0.06), 0);
	assert_int_equal(a.calls, 1);

	/* Fired timers can be armed again. */
	loop_timer_at(l, &a.t, time_mono() - 1);
	assert_int_equal(loop_run_once(l, 0), 1);
	assert_int_equal(a.calls, 2);
	loop_free(l);
}

/* A timer stopped from another timer's callback, both due: the stopped
 * one must not run. */
static void
test_timer_stopped_by_other_callback(void **state)
{
	struct loop *l = loop_create();
	struct ttimer a = { 0 }, b = { 0 }, c = { 0 };
	struct fired f;
	double now = time_mono();

	(void)state;
	fired_init(&f, l);
	a.f = b.f = c.f = &f;
	loop_timer_init(&a.t, on_timer, &a);
	loop_timer_init(&b.t, on_timer, &b);
	loop_timer_init(&c.t, on_timer, &c);
	loop_timer_at(l, &a.t, now - 3);
	loop_timer_at(l, &b.t, now - 2);
	loop_timer_at(l, &c.t, now - 1);
	f.victim = &b.t;	/* a's callback stops b */
	assert_int_equal(loop_run_once(l, 0), 2);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_int_equal(c.calls, 1);
	assert_false(loop_timer_active(&b.t));

	/* Stopping a future timer from a callback. */
	loop_timer_at(l, &a.t, now - 1);
	loop_timer_after(l, &b.t, 0.02);
	f.victim = &b.t;
	assert_int_equal(loop_run_once(l, 0), 1);
	assert_int_equal(loop_run_once(l, 0.05), 0);
	assert_int_equal(b.calls, 0);
	loop_free(l);
}

struct rearm {
	struct loop_timer t;
	struct loop *loop;
	int calls;
	int limit;
};

static void
on_rearm(void *arg)
{
	struct rearm *r = arg;

	if (++r->calls < r->limit)
		loop_timer_after(r->loop, &r->t, 0.005);
}

/* A timer that re-arms itself from its callback runs again later, not in
 * the same iteration. */
static void
test_timer_rearm_from_callback(void **state)
{
	struct loop *l = loop_create();
	struct rearm r = { .loop = l, .limit = 5 };
	double t0 = time_mono();

	(void)state;
	loop_timer_init(&r.t, on_rearm, &r);
	loop_timer_after(l, &r.t, 0);
	while (r.calls < r.limit && time_mono() - t0 < 2) {
		int before = r.calls;

		assert_true(loop_run_once(l, 0.1) >= 0);
		assert_true(r.calls - before <= 2);
	}
	assert_int_equal(r.calls, 5);
	assert_false(loop_timer_active(&r.t));
	assert_true(time_mono() - t0 >= 0.02);
	loop_free(l);
}

/* loop_run_once waits at most max_wait, and no longer than the next
 * timer. */
static void
test_run_once_max_wait(void **state)
{
	struct loop *l = loop_create();
	struct ttimer a = { 0 };
	struct fired f;
	double t0, took, before;

	(void)state;
	/* Nothing at all: waits max_wait. */
	t0 = time_mono();
	assert_int_equal(loop_run_once(l, 0.1), 0);
	took = time_mono() - t0;
	assert_true(took >= 0.095);
	assert_true(took < 0.6);

	/* max_wait 0: does not block. */
	t0 = time_mono();
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_true(time_mono() - t0 < 0.05);

	/* A far timer does not stretch max_wait. */
	fired_init(&f, l);
	a.f = &f;
	loop_timer_init(&a.t, on_timer, &a);
	loop_timer_after(l, &a.t, 30);
	t0 = time_mono();
	assert_int_equal(loop_run_once(l, 0.1), 0);
	took = time_mono() - t0;
	assert_true(took >= 0.095 && took < 0.6);

	/* A near timer shortens it, even with max_wait < 0 (forever). */
	loop_timer_after(l, &a.t, 0.1);
	t0 = time_mono();
	while (a.calls == 0 && time_mono() - t0 < 3)
		loop_run_once(l, -1);
	took = time_mono() - t0;
	assert_int_equal(a.calls, 1);
	assert_true(took >= 0.095 && took < 0.6);

	loop_timer_after(l, &a.t, 0.05);
	t0 = time_mono();
	while (a.calls == 1 && time_mono() - t0 < 3)
		loop_run_once(l, 5);
	took = time_mono() - t0;
	assert_int_equal(a.calls, 2);
	assert_true(took >= 0.045 && took < 0.6);

	/* loop_now moves forward with each iteration. */
	before = loop_now(l);
	assert_int_equal(loop_run_once(l, 0.01), 0);
	assert_true(loop_now(l) > before);
	assert_true(loop_now(l) <= time_mono());
	loop_free(l);
}

/* A due timer and a ready fd in the same iteration both run; the return
 * value counts both. */
static void
test_run_once_counts_io_and_timers(void **state)
{
	struct io_seen seen = { .fd = -1, .del_fd = -1, .drain = 1 };
	struct loop *l = loop_create();
	struct ttimer a = { 0 }, b = { 0 };
	struct fired f;
	int fds[2];

	(void)state;
	make_pipe(fds);
	fired_init(&f, l);
	a.f = b.f = &f;
	loop_timer_init(&a.t, on_timer, &a);
	loop_timer_init(&b.t, on_timer, &b);
	loop_timer_at(l, &a.t, time_mono() - 1);
	loop_timer_at(l, &b.t, time_mono() - 0.5);
	assert_int_equal(loop_io_add(l, fds[0], LOOP_READ, on_io, &seen), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, 1), 3);
	assert_int_equal(a.calls + b.calls + seen.calls, 3);
	loop_io_del(l, fds[0]);
	close(fds[0]);
	close(fds[1]);
	loop_free(l);
}

static int destroyed[3];

static void
destroy_int(void *ptr)
{
	int *i = ptr;

	destroyed[*i]++;
}

static void
test_slots(void **state)
{
	static int one = 1, two = 2;
	struct loop *l = loop_create();

	(void)state;
	memset(destroyed, 0, sizeof(destroyed));
	assert_null(loop_slot_get(l, LOOP_SLOT_CURL));
	assert_null(loop_slot_get(l, LOOP_SLOT_SSH));
	loop_slot_set(l, LOOP_SLOT_CURL, &one, destroy_int);
	loop_slot_set(l, LOOP_SLOT_SSH, &two, destroy_int);
	assert_ptr_equal(loop_slot_get(l, LOOP_SLOT_CURL), &one);
	assert_ptr_equal(loop_slot_get(l, LOOP_SLOT_SSH), &two);
	/* Running the loop leaves the slots alone. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(destroyed[1] + destroyed[2], 0);
	loop_free(l);
	assert_int_equal(destroyed[1], 1);
	assert_int_equal(destroyed[2], 1);

	/* A cleared slot, and one without a destructor, destroy nothing. */
	memset(destroyed, 0, sizeof(destroyed));
	l = loop_create();
	loop_slot_set(l, LOOP_SLOT_CURL, &one, destroy_int);
	loop_slot_set(l, LOOP_SLOT_CURL, NULL, NULL);
	loop_slot_set(l, LOOP_SLOT_SSH, &two, NULL);
	assert_null(loop_slot_get(l, LOOP_SLOT_CURL));
	loop_free(l);
	assert_int_equal(destroyed[1] + destroyed[2], 0);
}

/* A heap-allocated slot value freed by its destructor (ASan checks the
 * leak). */
static void
test_slot_heap_destructor(void **state)
{
	struct loop *l = loop_create();

	(void)state;
	loop_slot_set(l, LOOP_SLOT_CURL, xstrdup("multi handle"), free);
	assert_string_equal(loop_slot_get(l, LOOP_SLOT_CURL), "multi handle");
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_free),
		cmocka_unit_test(test_io_readable),
		cmocka_unit_test(test_io_writable_and_mod),
		cmocka_unit_test(test_io_hangup),
		cmocka_unit_test(test_io_add_errors),
		cmocka_unit_test(test_io_del_inside_callback),
		cmocka_unit_test(test_io_readd_reused_fd),
		cmocka_unit_test(test_io_forget_then_close),
		cmocka_unit_test(test_io_high_fd),
		cmocka_unit_test(test_timer_heap_order),
		cmocka_unit_test(test_timer_heap_random_stops),
		cmocka_unit_test(test_timer_stop_and_rearm),
		cmocka_unit_test(test_timer_stopped_by_other_callback),
		cmocka_unit_test(test_timer_rearm_from_callback),
		cmocka_unit_test(test_run_once_max_wait),
		cmocka_unit_test(test_run_once_counts_io_and_timers),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_slot_heap_destructor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

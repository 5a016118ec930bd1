/* SPDX-License-Identifier: MIT */
/* The event loop: epoll for file descriptors, a binary heap of timers. */
#include "loop.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/timeutil.h"
#include "util/xmalloc.h"

#define TIMER_IDLE ((size_t)-1)

struct watch {
	int fd;
	unsigned events;
	loop_io_fn fn;
	void *arg;
	int active;
};

struct loop {
	int epfd;
	double now;
	/* Watches indexed by fd; fds are small and dense. */
	struct watch *watches;
	size_t nwatches;
	struct loop_timer **heap;
	size_t nheap;
	size_t heapcap;
	struct {
		void *ptr;
		void (*destroy)(void *);
	} slots[LOOP_SLOT_MAX];
};

struct loop *
loop_create(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->now = time_mono();
	return l;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < LOOP_SLOT_MAX; i++) {
		if (l->slots[i].ptr != NULL && l->slots[i].destroy != NULL)
			l->slots[i].destroy(l->slots[i].ptr);
	}
	close(l->epfd);
	free(l->watches);
	free(l->heap);
	free(l);
}

static uint32_t
to_epoll(unsigned events)
{
	return (events & LOOP_READ ? EPOLLIN : 0) |
	    (events & LOOP_WRITE ? EPOLLOUT : 0);
}

static struct watch *
watch_slot(struct loop *l, int fd)
{
	if ((size_t)fd >= l->nwatches) {
		size_t n = l->nwatches ? l->nwatches : 64;

		while (n <= (size_t)fd)
			n *= 2;
		l->watches = xreallocarray(l->watches, n, sizeof(*l->watches));
		memset(l->watches + l->nwatches, 0,
		    (n - l->nwatches) * sizeof(*l->watches));
		l->nwatches = n;
	}
	return &l->watches[fd];
}

int
loop_io_add(struct loop *l, int fd, unsigned events, loop_io_fn fn,
    void *arg)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };
	struct watch *w;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	w = watch_slot(l, fd);
	/* A watch left active on a closed and reused fd is gone from epoll:
	 * fall back from MOD to ADD. */
	if (w->active && epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		goto done;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
done:
	*w = (struct watch){ fd, events, fn, arg, 1 };
	return 0;
}

int
loop_io_mod(struct loop *l, int fd, unsigned events, loop_io_fn fn,
    void *arg)
{
	return loop_io_add(l, fd, events, fn, arg);
}

void
loop_io_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nwatches || !l->watches[fd].active)
		return;
	/* The fd may already be closed by its owner; epoll dropped it then. */
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->watches[fd].active = 0;
}

void
loop_io_forget(struct loop *l, int fd)
{
	if (fd >= 0 && (size_t)fd < l->nwatches)
		l->watches[fd].active = 0;
}

void
loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	t->at = 0;
	t->slot = TIMER_IDLE;
	t->fn = fn;
	t->arg = arg;
}

int
loop_timer_active(const struct loop_timer *t)
{
	return t->slot != TIMER_IDLE;
}

static void
heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void
heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (l->heap[parent]->at <= t->at)
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void
heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->at < l->heap[c]->at)
			c++;
		if (t->at <= l->heap[c]->at)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void
loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	size_t i = t->slot;

	if (i == TIMER_IDLE)
		return;
	t->slot = TIMER_IDLE;
	l->nheap--;
	if (i == l->nheap)
		return;
	heap_set(l, i, l->heap[l->nheap]);
	heap_down(l, i);
	heap_up(l, l->heap[i]->slot);
}

void
loop_timer_at(struct loop *l, struct loop_timer *t, double at)
{
	loop_timer_stop(l, t);
	if (l->nheap == l->heapcap) {
		l->heapcap = l->heapcap ? l->heapcap * 2 : 64;
		l->heap = xreallocarray(l->heap, l->heapcap, sizeof(*l->heap));
	}
	t->at = at;
	heap_set(l, l->nheap, t);
	l->nheap++;
	heap_up(l, l->nheap - 1);
}

void
loop_timer_after(struct loop *l, struct loop_timer *t, double secs)
{
	loop_timer_at(l, t, time_mono() + secs);
}

double
loop_now(const struct loop *l)
{
	return l->now;
}

static int
run_timers(struct loop *l)
{
	int ran = 0;

	l->now = time_mono();
	while (l->nheap > 0 && l->heap[0]->at <= l->now) {
		struct loop_timer *t = l->heap[0];

		loop_timer_stop(l, t);
		t->fn(t->arg);
		ran++;
	}
	return ran;
}

int
loop_run_once(struct loop *l, double max_wait)
{
	struct epoll_event evs[256];
	int n, i, ran, timeout_ms;
	double wait = max_wait;

	ran = run_timers(l);
	if (l->nheap > 0) {
		double until = l->heap[0]->at - time_mono();

		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	if (ran > 0)
		wait = 0;
	timeout_ms = wait < 0 ? -1 : (int)ceil(wait * 1000);
	n = epoll_wait(l->epfd, evs, (int)ARRAY_LEN(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? ran : -1;
	l->now = time_mono();
	for (i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		struct watch *w;
		unsigned events = 0;

		if ((size_t)fd >= l->nwatches || !l->watches[fd].active)
			continue;
		w = &l->watches[fd];
		if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			events |= LOOP_READ;
		if (evs[i].events & EPOLLOUT)
			events |= LOOP_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			events |= LOOP_ERROR;
		w->fn(w->arg, fd, events);
		ran++;
	}
	return ran + run_timers(l);
}

void *
loop_slot_get(struct loop *l, enum loop_slot slot)
{
	return l->slots[slot].ptr;
}

void
loop_slot_set(struct loop *l, enum loop_slot slot, void *ptr,
    void (*destroy)(void *ptr))
{
	l->slots[slot].ptr = ptr;
	l->slots[slot].destroy = destroy;
}

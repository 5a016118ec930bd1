/* SPDX-License-Identifier: MIT */
/* The event loop: epoll for file descriptors, a binary heap of timers. */
#ifndef TRIAGE_LOOP_H
#define TRIAGE_LOOP_H

#include <stddef.h>

struct loop;

#define LOOP_READ 1u
#define LOOP_WRITE 2u
#define LOOP_ERROR 4u	/* EPOLLERR/EPOLLHUP, reported with READ */

typedef void (*loop_io_fn)(void *arg, int fd, unsigned events);
typedef void (*loop_timer_fn)(void *arg);

/* A timer the caller embeds in its own struct; loop_timer_init before use. */
struct loop_timer {
	double at;		/* monotonic deadline */
	size_t slot;		/* index in the heap, (size_t)-1 when idle */
	loop_timer_fn fn;
	void *arg;
};

/* Slots for state shared by every probe of a kind on one loop (the curl
 * multi handle, later the SSH control masters). */
enum loop_slot {
	LOOP_SLOT_CURL,
	LOOP_SLOT_SSH,
	LOOP_SLOT_MAX,
};

/* loop_create: a new loop; loop_free releases it, calling each slot's
 * destructor first; loop_free(NULL) is a no-op. */
struct loop *loop_create(void);
void loop_free(struct loop *l);

/* loop_io_add: watch fd for events (LOOP_READ|LOOP_WRITE); fn(arg, fd,
 * events) runs when it is ready. loop_io_mod changes the events and the
 * callback, loop_io_del stops watching (safe inside a callback). Return 0,
 * or -1 with errno set. */
int loop_io_add(struct loop *l, int fd, unsigned events, loop_io_fn fn,
    void *arg);
int loop_io_mod(struct loop *l, int fd, unsigned events, loop_io_fn fn,
    void *arg);
void loop_io_del(struct loop *l, int fd);

/* loop_io_forget: loop_io_del for a descriptor its owner is about to
 * close, and that no other descriptor shares (not dup'ed, not inherited):
 * closing it takes it out of epoll, so this costs no system call. */
void loop_io_forget(struct loop *l, int fd);

/* loop_timer_init: an idle timer that will call fn(arg). */
void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);

/* loop_timer_at, loop_timer_after: (re)arm t for a monotonic time or for
 * secs from now; loop_timer_stop disarms it (no-op when idle). */
void loop_timer_at(struct loop *l, struct loop_timer *t, double at);
void loop_timer_after(struct loop *l, struct loop_timer *t, double secs);
void loop_timer_stop(struct loop *l, struct loop_timer *t);
int loop_timer_active(const struct loop_timer *t);

/* loop_run_once: waits for events for at most max_wait seconds (< 0: until
 * the next timer), runs the callbacks that are due; returns the number of
 * callbacks run, or -1 on a fatal epoll error. EINTR returns 0. */
int loop_run_once(struct loop *l, double max_wait);

/* loop_now: the monotonic time cached at the start of this iteration. */
double loop_now(const struct loop *l);

/* loop_slot_get, loop_slot_set: per-loop shared state; destroy(ptr) runs
 * in loop_free. */
void *loop_slot_get(struct loop *l, enum loop_slot slot);
void loop_slot_set(struct loop *l, enum loop_slot slot, void *ptr,
    void (*destroy)(void *ptr));

#endif

/* SPDX-License-Identifier: MIT */
/* The engine: runs probes concurrently on one event loop, in `needs` order,
 * each under its timeout, and turns what the kinds report into results. */
#ifndef TRIAGE_ENGINE_H
#define TRIAGE_ENGINE_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>

#include "probe.h"

struct runbook;

#define ENGINE_JOBS_DEFAULT 128

struct engine_opts {
	int jobs;		/* probes in flight at most; 0: default */
	/* Called after each probe finishes, e.g. for progress on stderr. */
	void (*progress)(void *arg, size_t done, size_t total,
	    const struct probe *p, json_t *result);
	void *progress_arg;
	/* When non-NULL and it becomes non-zero (a signal handler sets it),
	 * in-flight probes are cancelled with reason "interrupted". */
	volatile sig_atomic_t *interrupted;
};

/* engine_run: runs probes[0..n) (which must stay valid) and returns a new
 * object mapping each probe id to its result (DESIGN.md section 3: id,
 * layer, kind, ok, state, reason, latency, latency_ms, checked_at and the
 * kind's fields), with every secret of rb redacted. `needs` are honoured
 * among the given probes; a need that is not among them counts as unmet.
 * Never fails: every probe gets a result. */
json_t *engine_run(const struct runbook *rb, struct probe *const *probes,
    size_t n, const struct engine_opts *opts);

/* Takes over one final result (the caller's reference): i is its probe's
 * index in the probes given to engine_run_each. */
typedef void (*engine_result_fn)(void *arg, size_t i, json_t *result);

/* engine_run_each: runs probes[0..n) as engine_run does, but hands each
 * result to take(take_arg, i, result) instead of keeping it: in the order
 * of probes, each as soon as it and those before it are final (after
 * opts->progress has seen it). A caller that writes or sums results up as
 * they come holds none of them at once. Returns the worst state among them
 * (as engine_worst would). Never fails: take sees every probe once. */
enum probe_state engine_run_each(const struct runbook *rb,
    struct probe *const *probes, size_t n, const struct engine_opts *opts,
    engine_result_fn take, void *take_arg);

/* engine_worst: the worst state among results (an object of results by id,
 * or an array of results): STATE_OK, STATE_WARNING, STATE_UNKNOWN or
 * STATE_CRITICAL, in that order of badness (skipped counts as ok). */
enum probe_state engine_worst(json_t *results);

/*
 * The poller (triage watch): the same engine kept alive on the caller's
 * loop, every probe on its own interval.
 */
struct sched;

/* Takes over one result (the caller's reference) of probe i of those
 * given to sched_create; lag is how late its run started after its
 * scheduled time, in seconds (0 for a probe skipped without running). */
typedef void (*sched_result_fn)(void *arg, size_t i, json_t *result,
    double lag);

struct sched_opts {
	int jobs;		/* probes in flight at most; 0: default */
	sched_result_fn take;
	void *arg;
};

/* sched_create: schedules probes[0..n) (which must stay valid, as must rb
 * and l) on l: each runs at once, then every probe->interval seconds at a
 * fixed rate from one interval on, offset within its interval by a hash
 * of its id. A probe whose need has not run yet waits for the need's
 * first result; one whose need's last state is not ok or warning is
 * skipped ("skipped: needs X") instead of run. A probe still running when
 * its next run is due skips that run (sched_overruns counts them).
 * Results go to o->take as they come. The caller runs the loop and calls
 * sched_process after each loop_run_once. Never fails. */
struct sched *sched_create(const struct runbook *rb,
    struct probe *const *probes, size_t n, struct loop *l,
    const struct sched_opts *o);

/* sched_process: starts what is due (within jobs) and hands over what has
 * finished; call after every loop_run_once. */
void sched_process(struct sched *s);

/* sched_poll_now: every probe that is not running or queued runs now (a
 * forced poll); its later runs keep their schedule. No-op when paused. */
void sched_poll_now(struct sched *s);

/* sched_pause: paused 1 stops starting runs (those in flight finish);
 * 0 resumes with a poll of every probe at once. */
void sched_pause(struct sched *s, int paused);

/* sched_drain: starts nothing more, ever; in-flight runs finish (each
 * within its timeout). Done when sched_running is 0. */
void sched_drain(struct sched *s);

/* sched_running: runs in flight or finished and not yet handed over. */
size_t sched_running(const struct sched *s);

/* sched_overruns: scheduled runs skipped because the previous run of the
 * same probe had not finished. */
size_t sched_overruns(const struct sched *s);

/* sched_free: cancels what is in flight (their results are dropped) and
 * frees s; NULL is a no-op. */
void sched_free(struct sched *s);

#endif

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

#endif

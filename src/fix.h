/* SPDX-License-Identifier: MIT */
/* Fixes: the dry-run plan and its hash, evidence, running the steps and
 * verifying against the original symptom (docs/safety.md). */
#ifndef TRIAGE_FIX_H
#define TRIAGE_FIX_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

struct engine_opts;
struct failure;
struct probe;
struct runbook;
struct style;

/* fix_failure_find: the failure mode of rb named id, or NULL. */
const struct failure *fix_failure_find(const struct runbook *rb,
    const char *id);

/* fix_step_command: the command line a step stands for, as an operator
 * would type it (heap, not redacted). */
char *fix_step_command(const struct probe *p);

/* fix_plan: the dry-run plan of f judged against by_id (results by probe
 * id) at now, as a new object: "symptom" {"when", "holds"}, "guard"
 * [{"if", "holds"}], "steps" and "on_failure" [{"step", "command",
 * "argv", "host", "timeout", "dangerous", "continue_on_error"}], "verify"
 * (probe ids), "verify_timeout", "max_applies", "apply_window", "run" (the
 * command that applies it) and "hash": 64 hex digits of SHA-256 over the
 * steps, verify and the state the plan was made from (the truth of the
 * symptom, of each of its && terms and of each guard, and the state of
 * every probe they read), so that the same stack in the same state gives
 * the same hash and any change that matters gives another. Redacted. */
json_t *fix_plan(const struct runbook *rb, const struct failure *f,
    json_t *by_id, double now);

/* fix_plan_print: the plan as an operator reads it, on out; show_hash adds
 * the first 12 digits of its hash to the heading. */
void fix_plan_print(FILE *out, json_t *plan, const struct style *st,
    int show_hash);

/* fix_evidence: runs the evidence steps of fs[0..n) concurrently
 * (read-only) and returns a new array holding, for each failure, the
 * array of its evidence results, each with the "command" it ran. */
json_t *fix_evidence(const struct runbook *rb,
    const struct failure *const *fs, size_t n,
    const struct engine_opts *opts);

/* What fix_run_steps tells its caller as it goes. */
struct fix_hooks {
	/* Before step i (0-based) of phase ("fix" or "on_failure") runs;
	 * plan is its entry in the plan. */
	void (*step_start)(void *arg, const char *phase, size_t i,
	    json_t *plan);
	/* After it ran: result is its entry in the "steps" list (see
	 * fix_run_steps). Return -1 to stop the run (the store could not
	 * record it). */
	int (*step_done)(void *arg, const char *phase, json_t *result);
	void *arg;
};

/* The end of fix_run_steps. */
enum fix_outcome {
	FIX_STEPS_OK,		/* every step ran and succeeded (or may fail) */
	FIX_STEPS_FAILED,	/* a step failed: the rest did not run, and
				 * on_failure did */
	FIX_STEPS_INTERRUPTED,	/* *interrupted was set: the running step's
				 * process group was killed */
	FIX_STEPS_ABORTED,	/* a hook returned -1 */
};

/* fix_run_steps: runs the fix steps of f in order, each alone under its
 * timeout in its own process group, and appends to steps (an array) one
 * object per step run: "phase", "step", "command", "argv", "host", "ok",
 * "state", "reason", "exit", "duration_ms", "output" (stdout), "stderr",
 * "truncated". A failed step stops the run unless it has
 * continue_on_error; then the on_failure steps run (all of them, whatever
 * they return). opts->interrupted stops it at once. Redacted. */
enum fix_outcome fix_run_steps(const struct runbook *rb,
    const struct failure *f, const struct engine_opts *opts,
    const struct fix_hooks *hooks, json_t *steps);

/* fix_verify_probes: the probes verify runs: f's verify probes, those its
 * symptom reads, and what they need, as a heap array of *n (NULL-ended)
 * pointers into rb. */
struct probe **fix_verify_probes(const struct runbook *rb,
    const struct failure *f, size_t *n);

/* fix_verify: re-runs fix_verify_probes until every verify probe is ok
 * and the symptom no longer holds, or verify_timeout passes (attempts
 * back off from 1 s to 5 s; the last ends by the deadline). Returns a new
 * object: "ok", "attempts", "symptom_holds", "failing" (ids of verify
 * probes not ok), "probes" (the last results). attempt(arg, n, verdict) is
 * called after each attempt when not NULL. */
json_t *fix_verify(const struct runbook *rb, const struct failure *f,
    const struct engine_opts *opts,
    void (*attempt)(void *arg, json_t *verdict), void *arg);

#endif

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

#define FIX_PRINT_HASH 1u	/* the first 12 digits of the hash, and
				 * --plan in the command that applies it */
#define FIX_PRINT_APPLYING 2u	/* being applied: not a dry run */

/* fix_plan_print: the plan as an operator reads it, on out (flags:
 * FIX_PRINT_*). */
void fix_plan_print(FILE *out, json_t *plan, const struct style *st,
    unsigned flags);

/* fix_evidence: runs the evidence steps of fs[0..n) concurrently
 * (read-only) and returns a new array holding, for each failure, the
 * array of its evidence results, each with the "command" it ran. */
json_t *fix_evidence(const struct runbook *rb,
    const struct failure *const *fs, size_t n,
    const struct engine_opts *opts);

/* What fix_apply tells its caller as the steps run. */
struct fix_hooks {
	/* Before step i (0-based) of phase ("fix" or "on_failure") runs;
	 * plan is its entry in the plan. */
	void (*step_start)(void *arg, const char *phase, size_t i,
	    json_t *plan);
	/* After it ran: result is its entry in the fix document's "steps":
	 * "phase", "step", "command", "argv", "host", "ok", "state",
	 * "reason", "exit", "duration_ms", "output" (stdout, or the kind's
	 * text), "stderr", "truncated", and the kind's own fields ("rows",
	 * "rowcount", "reply", "status", ...). Return -1 to stop the run. */
	int (*step_done)(void *arg, const char *phase, json_t *result);
	void *arg;
};

/* fix_probes: the probes a fix reads: f's verify probes, those its
 * symptom reads, with_guard those its guard reads, and what they need, as
 * a heap array of *n (NULL-ended) pointers into rb, in runbook order. */
struct probe **fix_probes(const struct runbook *rb, const struct failure *f,
    int with_guard, size_t *n);

/* fix_verify: re-runs fix_probes (without the guard's) until every verify probe is ok
 * and the symptom no longer holds, or verify_timeout passes (attempts
 * back off from 1 s to 5 s; the last ends by the deadline). Returns a new
 * object: "ok", "attempts", "symptom_holds", "failing" (ids of verify
 * probes not ok), "probes" (the last results). attempt(arg, n, verdict) is
 * called after each attempt when not NULL. */
json_t *fix_verify(const struct runbook *rb, const struct failure *f,
    const struct engine_opts *opts,
    void (*attempt)(void *arg, json_t *verdict), void *arg);

/*
 * Applying: the one path from a runbook to a mutation (docs/safety.md).
 */

struct store;

/* How fix_apply ended; cmd-fix maps it to the exit code. */
enum fix_result {
	FIX_PLANNED,		/* dry run: the plan only */
	FIX_RESOLVED,		/* applied; verify is green */
	FIX_NOTHING_TO_FIX,	/* the symptom does not hold: nothing ran */
	FIX_REFUSED,		/* a gate said no: nothing ran */
	FIX_UNRESOLVED,		/* a step failed, or verify stayed red */
	FIX_INTERRUPTED,	/* stopped by a signal */
	FIX_ERROR,		/* the store failed: see the doc's "error" */
};

struct fix_request {
	const struct runbook *rb;
	const struct failure *f;
	int apply;			/* 0: plan only */
	struct store *store;		/* required when apply */
	const char *operator;		/* "user@host" */
	const char *host;
	const struct engine_opts *engine;	/* jobs, interrupted */
	const char *plan_hash;		/* NULL, or the plan (a prefix of
					 * its hash) the operator approved */
	int allow_dangerous;
	/* Asked once every gate passed, before anything runs; dangerous is
	 * 1 when a step is. Returns 0 to go on without having asked anyone,
	 * 1 to go on after asking a person (the state is then probed again
	 * and must not have drifted), or -1 with *refusal set (static) to
	 * refuse. NULL: go on. */
	int (*confirm)(void *arg, json_t *plan, int dangerous,
	    const char **refusal);
	/* Called with the plan (and refused, NULL or why) once made. */
	void (*planned)(void *arg, json_t *doc);
	const struct fix_hooks *hooks;	/* step progress, or NULL */
	void (*verify_attempt)(void *arg, json_t *verdict);
	void *arg;			/* for the callbacks */
};

/* fix_apply: with req->apply 0, probes what the fix reads and makes the
 * plan. With apply 1, takes the runbook's fix lock, probes, makes the plan,
 * and passes every gate in order (an automated fix exists; the plan
 * approved with --plan has not drifted; the symptom holds, else nothing to
 * fix; the guard holds; the rate limit; --allow-dangerous for a dangerous
 * step; confirm), then opens an incident, gathers the evidence, runs the
 * steps, verifies and records each stage in the store, and releases the
 * lock. *doc is the fix document of DESIGN.md section 5 (schema,
 * runbook, failure, plan_hash, symptom_holds, plan, applied, refused,
 * steps, verify, incident, outcome). Never runs a step when it returns
 * anything but FIX_RESOLVED, FIX_UNRESOLVED or FIX_INTERRUPTED. */
enum fix_result fix_apply(const struct fix_request *req, json_t **doc);

#endif

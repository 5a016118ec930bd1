/* SPDX-License-Identifier: MIT */
/* Fixes: the dry-run plan and its hash, evidence, the steps, and verify. */
#include "fix.h"

#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "expr.h"
#include "runbook.h"
#include "store.h"
#include "util/sha256.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define VERIFY_BACKOFF_FIRST 1.0	/* seconds between verify attempts */
#define VERIFY_BACKOFF_MAX 5.0

const struct failure *
fix_failure_find(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < rb->nfailures; i++) {
		if (strcmp(rb->failures[i].id, id) == 0)
			return &rb->failures[i];
	}
	return NULL;
}

char *
fix_step_command(const struct probe *p)
{
	char *manual = p->kind->manual != NULL ? p->kind->manual(p) : NULL;

	if (manual != NULL)
		return manual;
	return xasprintf("(%s) %s", p->kind->name,
	    probe_param_str(p, p->kind->name, ""));
}

static json_t *
steps_json(const struct runbook *rb, const struct step *steps, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		const struct probe *p = &steps[i].probe;
		char *cmd = fix_step_command(p);
		json_t *argv = probe_param(p, "command");

		json_array_append_new(a, json_pack("{s:i, s:s, s:O, s:s?, "
		    "s:f, s:s?, s:b}", "step", (int)i + 1, "command", cmd,
		    "argv", argv != NULL ? argv : json_null(), "host",
		    p->on != NULL ? p->on->name : NULL, "timeout", p->timeout,
		    "dangerous", steps[i].dangerous, "continue_on_error",
		    steps[i].continue_on_error));
		free(cmd);
	}
	runbook_redact_json(rb, a);
	return a;
}

struct read_states {
	json_t *by_id;
	json_t *states;
};

static void
note_state(void *arg, const char *name)
{
	struct read_states *rs = arg;
	json_t *r = json_object_get(rs->by_id, name);
	json_t *state = json_object_get(r, "state");

	json_object_set(rs->states, name, state != NULL ? state :
	    json_null());
}

/* What the plan was made from, for its hash: the steps, verify, and the
 * truth of what decides whether it may run. States, not values: a latency
 * that moves by a millisecond is not drift, a probe that turns ok is. */
static void
plan_hash(const struct runbook *rb, const struct failure *f, json_t *plan,
    json_t *by_id, double now, char *out)
{
	struct read_states rs = { by_id, json_object() };
	json_t *terms = json_array(), *guards = json_array(), *basis;
	char *text;
	size_t i;

	for (i = 0; i < expr_terms(f->when); i++)
		json_array_append_new(terms, json_boolean(expr_term_test(
		    f->when, i, by_id, now)));
	expr_refs(f->when, note_state, &rs);
	for (i = 0; i < f->nguard; i++) {
		json_array_append_new(guards, json_boolean(expr_test(
		    f->guard[i], by_id, now)));
		expr_refs(f->guard[i], note_state, &rs);
	}
	basis = json_pack("{s:s, s:s, s:O, s:O, s:O, s:O, s:o, s:o, s:o}",
	    "runbook", rb->id, "failure", f->id, "steps",
	    json_object_get(plan, "steps"), "on_failure",
	    json_object_get(plan, "on_failure"), "verify",
	    json_object_get(plan, "verify"), "symptom",
	    json_object_get(json_object_get(plan, "symptom"), "holds"),
	    "terms", terms, "guard", guards, "states", rs.states);
	text = json_dumps(basis, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(text, strlen(text), out);
	free(text);
	json_decref(basis);
}

json_t *
fix_plan(const struct runbook *rb, const struct failure *f, json_t *by_id,
    double now)
{
	json_t *guard = json_array(), *verify = json_array(), *plan;
	char hash[SHA256_HEX_SIZE];
	size_t i;

	for (i = 0; i < f->nguard; i++)
		json_array_append_new(guard, json_pack("{s:s, s:b}", "if",
		    expr_source(f->guard[i]), "holds",
		    expr_test(f->guard[i], by_id, now)));
	for (i = 0; i < f->nverify; i++)
		json_array_append_new(verify,
		    json_string(rb->probes[f->verify[i]].id));
	/* The command to apply it names the runbook, so that it can be
	 * pasted as it is. */
	plan = json_pack("{s:{s:s, s:b}, s:o, s:o, s:o, s:o, s:f, s:i, s:f, "
	    "s:o}", "symptom", "when", expr_source(f->when), "holds",
	    expr_test(f->when, by_id, now), "guard", guard, "steps",
	    steps_json(rb, f->fix, f->nfix), "on_failure",
	    steps_json(rb, f->on_failure, f->non_failure), "verify", verify,
	    "verify_timeout", f->verify_timeout, "max_applies",
	    f->max_applies, "apply_window", f->apply_window, "run",
	    strcmp(rb->path, "<builtin>") == 0 ?
	    json_sprintf("triage fix %s", f->id) :
	    json_sprintf("triage fix -f %s %s", rb->path, f->id));
	plan_hash(rb, f, plan, by_id, now, hash);
	json_object_set_new(plan, "hash", json_string(hash));
	runbook_redact_json(rb, plan);
	return plan;
}

void
fix_plan_print(FILE *out, json_t *plan, const struct style *st,
    unsigned flags)
{
	int show_hash = (flags & FIX_PRINT_HASH) != 0;
	int applying = (flags & FIX_PRINT_APPLYING) != 0;

	json_t *s, *g;
	size_t i;

	fprintf(out, "\n%sFix%s%s%.12s%s\n", st->bold, st->reset,
	    show_hash ? " plan " : "", show_hash ? json_string_value(
	    json_object_get(plan, "hash")) : "", applying ? "" :
	    " (dry run: nothing has been changed)");
	json_array_foreach(json_object_get(plan, "guard"), i, g)
		fprintf(out, "  guard: %s  (%s now)\n", json_string_value(
		    json_object_get(g, "if")), json_is_true(json_object_get(g,
		    "holds")) ? "holds" : "DOES NOT HOLD");
	if (json_array_size(json_object_get(plan, "steps")) == 0)
		fprintf(out, "  (this failure mode has no automated fix: "
		    "follow its diagnosis)\n");
	json_array_foreach(json_object_get(plan, "steps"), i, s) {
		char t[32];
		const char *host = json_string_value(json_object_get(s,
		    "host"));

		duration_format(json_number_value(json_object_get(s,
		    "timeout")), t, sizeof(t));
		fprintf(out, "  %zu. %s%s%s  %s(timeout %s%s)%s\n", i + 1,
		    json_string_value(json_object_get(s, "command")),
		    host != NULL ? "  on " : "", host != NULL ? host : "",
		    st->dim, t, json_is_true(json_object_get(s,
		    "continue_on_error")) ? ", continues on error" : "",
		    st->reset);
		if (json_string_value(json_object_get(s, "dangerous")))
			fprintf(out, "     %sDANGEROUS: %s%s\n", st->red,
			    json_string_value(json_object_get(s, "dangerous")),
			    st->reset);
	}
	json_array_foreach(json_object_get(plan, "on_failure"), i, s)
		fprintf(out, "  %s %s\n", i == 0 ? "if a step fails:" :
		    "                ", json_string_value(json_object_get(s,
		    "command")));
	if (json_array_size(json_object_get(plan, "verify")) > 0) {
		char t[32];

		duration_format(json_number_value(json_object_get(plan,
		    "verify_timeout")), t, sizeof(t));
		fprintf(out, "  verify: ");
		json_array_foreach(json_object_get(plan, "verify"), i, s)
			fprintf(out, "%s%s", i ? ", " : "",
			    json_string_value(s));
		fprintf(out, " ok within %s\n", t);
	}
	if (applying)
		return;
	if (!json_is_true(json_object_get(json_object_get(plan, "symptom"),
	    "holds")))
		fprintf(out, "  %sthe symptom does not hold now: --apply would "
		    "find nothing to fix%s\n", st->yellow, st->reset);
	json_array_foreach(json_object_get(plan, "guard"), i, g) {
		if (!json_is_true(json_object_get(g, "holds"))) {
			fprintf(out, "  %sthe guard does not hold now: --apply "
			    "would be refused%s\n", st->yellow, st->reset);
			break;
		}
	}
	if (json_array_size(json_object_get(plan, "steps")) > 0)
		fprintf(out, "  run:    %s --apply%s%.12s\n",
		    json_string_value(json_object_get(plan, "run")),
		    show_hash ? " --plan " : "", show_hash ?
		    json_string_value(json_object_get(plan, "hash")) : "");
}

json_t *
fix_evidence(const struct runbook *rb, const struct failure *const *fs,
    size_t n, const struct engine_opts *opts)
{
	json_t *out = json_array(), *results;
	struct probe **probes = NULL;
	size_t count = 0, i, j;

	for (i = 0; i < n; i++) {
		probes = xreallocarray(probes, count + fs[i]->nevidence + 1,
		    sizeof(*probes));
		for (j = 0; j < fs[i]->nevidence; j++)
			probes[count++] = &fs[i]->evidence[j].probe;
	}
	results = engine_run(rb, probes, count, opts);
	for (i = 0; i < n; i++) {
		json_t *ev = json_array();

		for (j = 0; j < fs[i]->nevidence; j++) {
			const struct probe *p = &fs[i]->evidence[j].probe;
			json_t *r = json_object_get(results, p->id);
			char *cmd = fix_step_command(p), *clean;

			clean = runbook_redact(rb, cmd);
			json_object_set_new(r, "command", json_string(clean));
			json_array_append(ev, r);
			free(cmd);
			free(clean);
		}
		json_array_append_new(out, ev);
	}
	json_decref(results);
	free(probes);
	return out;
}

/* The end of fix_run_steps. */
enum fix_outcome {
	FIX_STEPS_OK,		/* every step ran and succeeded (or may fail) */
	FIX_STEPS_FAILED,	/* a step failed: the rest did not run, and
				 * on_failure did */
	FIX_STEPS_INTERRUPTED,	/* *interrupted was set: the running step's
				 * process group was killed */
	FIX_STEPS_ABORTED,	/* a hook returned -1 */
};

/* The fields every result has, which a step's record names its own way. */
static int
is_run_field(const char *key)
{
	static const char *const names[] = {
		"id", "layer", "kind", "latency", "latency_ms", "checked_at",
		"stdout", "text",
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		if (strcmp(key, names[i]) == 0)
			return 1;
	}
	return 0;
}

/* Runs step i of steps[] alone and returns its entry for the record. */
static json_t *
run_step(const struct runbook *rb, const char *phase, const struct step *s,
    size_t i, const struct engine_opts *opts)
{
	struct probe *p = (struct probe *)&s->probe;
	json_t *results = engine_run(rb, &p, 1, opts);
	json_t *r = json_object_get(results, p->id), *argv, *e, *v;
	json_t *empty = json_string("");	/* for steps with no output */
	json_t *out = json_object_get(r, "stdout");
	char *cmd = fix_step_command(p);
	const char *key;

	argv = probe_param(p, "command");
	e = json_pack("{s:s, s:i, s:s, s:O, s:s?, s:O, s:O, s:O, s:O, s:O, "
	    "s:O, s:O, s:O}", "phase", phase, "step", (int)i + 1, "command",
	    cmd, "argv", argv != NULL ? argv : json_null(), "host",
	    p->on != NULL ? p->on->name : NULL,
	    "ok", json_object_get(r, "ok"),
	    "state", json_object_get(r, "state"),
	    "reason", json_object_get(r, "reason"),
	    "exit", json_object_get(r, "exit") != NULL ?
	    json_object_get(r, "exit") : json_null(),
	    "duration_ms", json_object_get(r, "latency_ms"),
	    "output", out != NULL ? out : json_object_get(r, "text") != NULL ?
	    json_object_get(r, "text") : empty,
	    "stderr", json_object_get(r, "stderr") != NULL ?
	    json_object_get(r, "stderr") : empty,
	    "truncated", json_object_get(r, "truncated") != NULL ?
	    json_object_get(r, "truncated") : json_false());
	/* And what the kind read besides (sql rows, a redis reply, an http
	 * status): the step's result as a condition would see it. */
	json_object_foreach(r, key, v) {
		if (json_object_get(e, key) == NULL && !is_run_field(key))
			json_object_set(e, key, v);
	}
	json_decref(empty);
	free(cmd);
	json_decref(results);
	runbook_redact_json(rb, e);
	return e;
}

/* Runs steps[0..n) of phase; stops at a failed step without
 * continue_on_error when stop_on_failure. *failed is set when a step
 * failed. */
static enum fix_outcome
run_phase(const struct runbook *rb, const char *phase,
    const struct step *steps, size_t n, int stop_on_failure,
    const struct engine_opts *opts, const struct fix_hooks *hooks,
    json_t *plan, json_t *out, int *failed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *e;
		int ok;

		if (opts->interrupted != NULL && *opts->interrupted)
			return FIX_STEPS_INTERRUPTED;
		if (hooks != NULL && hooks->step_start != NULL)
			hooks->step_start(hooks->arg, phase, i,
			    json_array_get(plan, i));
		e = run_step(rb, phase, &steps[i], i, opts);
		ok = json_is_true(json_object_get(e, "ok"));
		json_array_append(out, e);
		if (hooks != NULL && hooks->step_done != NULL &&
		    hooks->step_done(hooks->arg, phase, e) != 0) {
			json_decref(e);
			return FIX_STEPS_ABORTED;
		}
		json_decref(e);
		if (opts->interrupted != NULL && *opts->interrupted)
			return FIX_STEPS_INTERRUPTED;
		if (!ok && !steps[i].continue_on_error) {
			*failed = 1;
			if (stop_on_failure)
				return FIX_STEPS_FAILED;
		}
	}
	return FIX_STEPS_OK;
}

/* Runs the fix steps of f in order, each alone under its timeout in its own
 * process group, and appends to steps one object per step run: "phase",
 * "step", "command", "argv", "host", "ok", "state", "reason", "exit",
 * "duration_ms", "output" (stdout), "stderr", "truncated". A failed step
 * stops the run unless it has continue_on_error; then the on_failure steps
 * run (all of them, whatever they return). opts->interrupted stops it at
 * once. Static on purpose: fix_apply, after its gates, is the only way in
 * (docs/safety.md). */
static enum fix_outcome
fix_run_steps(const struct runbook *rb, const struct failure *f,
    const struct engine_opts *opts, const struct fix_hooks *hooks,
    json_t *steps)
{
	json_t *fix_plan_steps = steps_json(rb, f->fix, f->nfix);
	json_t *onf_plan_steps = steps_json(rb, f->on_failure,
	    f->non_failure);
	enum fix_outcome o;
	int failed = 0, ignored = 0;

	o = run_phase(rb, "fix", f->fix, f->nfix, 1, opts, hooks,
	    fix_plan_steps, steps, &failed);
	if (o == FIX_STEPS_FAILED) {
		/* on_failure runs whole: it is the way back. */
		enum fix_outcome o2 = run_phase(rb, "on_failure",
		    f->on_failure, f->non_failure, 0, opts, hooks,
		    onf_plan_steps, steps, &ignored);

		if (o2 != FIX_STEPS_OK)
			o = o2;
	}
	json_decref(fix_plan_steps);
	json_decref(onf_plan_steps);
	return o;
}

struct probe_set {
	const struct runbook *rb;
	char *selected;
};

static void
select_ref(void *arg, const char *name)
{
	struct probe_set *ps = arg;
	long k = runbook_probe_index(ps->rb, name);

	if (k >= 0)
		runbook_select_with_needs(ps->rb, (size_t)k, ps->selected);
}

struct probe **
fix_probes(const struct runbook *rb, const struct failure *f,
    int with_guard, size_t *n)
{
	struct probe_set ps = { rb, xcalloc(rb->nprobes + 1, 1) };
	struct probe **probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	size_t i;

	for (i = 0; i < f->nverify; i++)
		runbook_select_with_needs(rb, f->verify[i], ps.selected);
	expr_refs(f->when, select_ref, &ps);
	for (i = 0; with_guard && i < f->nguard; i++)
		expr_refs(f->guard[i], select_ref, &ps);
	*n = 0;
	for (i = 0; i < rb->nprobes; i++) {
		if (ps.selected[i])
			probes[(*n)++] = &rb->probes[i];
	}
	free(ps.selected);
	return probes;
}

/* Sleeps secs, waking early when interrupted. */
static void
pause_for(double secs, volatile sig_atomic_t *interrupted)
{
	double end = time_mono() + secs, left;

	while ((left = end - time_mono()) > 0 &&
	    (interrupted == NULL || !*interrupted)) {
		struct timespec ts;

		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* One verify attempt: the verdict object of fix_verify. */
static json_t *
verify_once(const struct runbook *rb, const struct failure *f,
    struct probe **probes, size_t n, const struct engine_opts *opts,
    int attempt)
{
	json_t *results = engine_run(rb, probes, n, opts);
	json_t *failing = json_array(), *list = json_array(), *v;
	int holds = expr_test(f->when, results, time_now());
	size_t i;

	for (i = 0; i < f->nverify; i++) {
		const char *id = rb->probes[f->verify[i]].id;

		if (!json_is_true(json_object_get(json_object_get(results,
		    id), "ok")))
			json_array_append_new(failing, json_string(id));
	}
	for (i = 0; i < n; i++)
		json_array_append(list, json_object_get(results,
		    probes[i]->id));
	v = json_pack("{s:b, s:i, s:b, s:o, s:o}", "ok",
	    !holds && json_array_size(failing) == 0, "attempts", attempt,
	    "symptom_holds", holds, "failing", failing, "probes", list);
	json_decref(results);
	return v;
}

json_t *
fix_verify(const struct runbook *rb, const struct failure *f,
    const struct engine_opts *opts,
    void (*attempt)(void *arg, json_t *verdict), void *arg)
{
	size_t n;
	struct probe **probes = fix_probes(rb, f, 0, &n);
	double deadline = time_mono() + f->verify_timeout;
	double backoff = VERIFY_BACKOFF_FIRST;
	json_t *v = NULL;
	int i;

	for (i = 1;; i++) {
		double left;

		json_decref(v);
		v = verify_once(rb, f, probes, n, opts, i);
		if (attempt != NULL)
			attempt(arg, v);
		left = deadline - time_mono();
		if (json_is_true(json_object_get(v, "ok")) || left <= 0 ||
		    (opts->interrupted != NULL && *opts->interrupted))
			break;
		pause_for(backoff < left ? backoff : left, opts->interrupted);
		backoff = backoff * 2 > VERIFY_BACKOFF_MAX ?
		    VERIFY_BACKOFF_MAX : backoff * 2;
	}
	free(probes);
	return v;
}

/*
 * Applying.
 */

struct apply {
	const struct fix_request *req;
	json_t *doc;
	int64_t incident;	/* 0: none opened */
	json_t *by_id;		/* the latest results */
	json_t *plan;		/* the latest plan (borrowed from doc) */
};

static int
interrupted(const struct fix_request *req)
{
	return req->engine->interrupted != NULL && *req->engine->interrupted;
}

/* Probes what the fix reads; sets doc's "probes", "plan", "plan_hash" and
 * "symptom_holds", and a->by_id and a->plan. */
static void
apply_probe(struct apply *a)
{
	const struct fix_request *req = a->req;
	size_t n, i;
	struct probe **probes = fix_probes(req->rb, req->f, 1, &n);
	json_t *results = engine_run(req->rb, probes, n, req->engine);
	json_t *list = json_array(), *plan;

	for (i = 0; i < n; i++)
		json_array_append(list, json_object_get(results,
		    probes[i]->id));
	free(probes);
	json_decref(a->by_id);
	a->by_id = results;
	plan = fix_plan(req->rb, req->f, results, time_now());
	json_object_set_new(a->doc, "plan_hash", json_incref(
	    json_object_get(plan, "hash")));
	json_object_set_new(a->doc, "symptom_holds", json_incref(
	    json_object_get(json_object_get(plan, "symptom"), "holds")));
	json_object_set_new(a->doc, "plan", plan);
	json_object_set_new(a->doc, "probes", list);
	a->plan = plan;
}

static enum fix_result
refuse(struct apply *a, enum fix_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum fix_result
refuse(struct apply *a, enum fix_result r, const char *fmt, ...)
{
	static const char *const outcomes[] = {
		[FIX_NOTHING_TO_FIX] = "nothing to fix",
		[FIX_INTERRUPTED] = "interrupted",
	};
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	json_object_set_new(a->doc, "refused", json_string(why));
	json_object_set_new(a->doc, "outcome", json_string(
	    (size_t)r < ARRAY_LEN(outcomes) && outcomes[r] != NULL ?
	    outcomes[r] : "refused"));
	free(why);
	return r;
}

static enum fix_result
store_failed(struct apply *a, char *err)
{
	json_object_set_new(a->doc, "error", json_string(err));
	json_object_set_new(a->doc, "outcome", json_string("error"));
	free(err);
	return FIX_ERROR;
}

static const struct step *
first_dangerous(const struct failure *f)
{
	size_t i;

	for (i = 0; i < f->nfix; i++) {
		if (f->fix[i].dangerous != NULL)
			return &f->fix[i];
	}
	for (i = 0; i < f->non_failure; i++) {
		if (f->on_failure[i].dangerous != NULL)
			return &f->on_failure[i];
	}
	return NULL;
}

/* The first guard that does not hold, or NULL. */
static const char *
failing_guard(json_t *plan)
{
	json_t *g;
	size_t i;

	json_array_foreach(json_object_get(plan, "guard"), i, g) {
		if (!json_is_true(json_object_get(g, "holds")))
			return json_string_value(json_object_get(g, "if"));
	}
	return NULL;
}

/* The gates that need no person, in order (docs/safety.md). */
static enum fix_result
apply_gates(struct apply *a)
{
	const struct fix_request *req = a->req;
	const struct failure *f = req->f;
	const char *hash = json_string_value(json_object_get(a->plan,
	    "hash"));
	const struct step *danger;
	const char *guard;
	char *err = NULL, window[32];
	long count;

	if (f->nfix == 0)
		return refuse(a, FIX_REFUSED, "%s has no automated fix: follow "
		    "its diagnosis", f->id);
	if (req->plan_hash != NULL && (strlen(req->plan_hash) < 6 ||
	    strncmp(hash, req->plan_hash, strlen(req->plan_hash)) != 0))
		return refuse(a, FIX_REFUSED, "the plan has changed since %s "
		    "was shown (it is %.12s now): review the new plan and "
		    "apply that one", req->plan_hash, hash);
	if (!json_is_true(json_object_get(a->doc, "symptom_holds")))
		return refuse(a, FIX_NOTHING_TO_FIX, "the symptom (%s) does "
		    "not hold now", expr_source(f->when));
	if ((guard = failing_guard(a->plan)) != NULL)
		return refuse(a, FIX_REFUSED, "the guard %s does not hold",
		    guard);
	if (store_fix_count(req->store, req->rb->id, f->id,
	    time_now() - f->apply_window, &count, &err) != 0)
		return store_failed(a, err);
	duration_format(f->apply_window, window, sizeof(window));
	if (count >= f->max_applies)
		return refuse(a, FIX_REFUSED, "%s was applied %ld time%s in "
		    "the last %s (max_applies: %d): a fix that keeps "
		    "working is not working; escalate%s%s", f->id, count,
		    count == 1 ? "" : "s", window, f->max_applies,
		    req->rb->escalation.contact != NULL ? " to " : "",
		    req->rb->escalation.contact != NULL ?
		    req->rb->escalation.contact : "");
	danger = first_dangerous(f);
	if (danger != NULL && !req->allow_dangerous)
		return refuse(a, FIX_REFUSED, "a step is dangerous (%s): "
		    "it needs --allow-dangerous and the failure id typed to "
		    "confirm", danger->dangerous);
	return FIX_PLANNED;
}

/* Asks (through req->confirm) and, when a person was asked, probes again:
 * the state must not have moved while they read. */
static enum fix_result
apply_confirm(struct apply *a)
{
	const struct fix_request *req = a->req;
	const char *refusal = NULL;
	char shown[SHA256_HEX_SIZE];
	int asked;

	if (req->confirm == NULL)
		return FIX_PLANNED;
	asked = req->confirm(req->arg, a->plan, first_dangerous(req->f) !=
	    NULL, &refusal);
	if (asked < 0)
		return refuse(a, FIX_REFUSED, "%s", refusal != NULL ?
		    refusal : "not confirmed");
	if (interrupted(req))
		return refuse(a, FIX_INTERRUPTED, "interrupted before any step "
		    "ran");
	if (asked == 0)
		return FIX_PLANNED;
	snprintf(shown, sizeof(shown), "%s", json_string_value(
	    json_object_get(a->plan, "hash")));
	apply_probe(a);
	if (interrupted(req))
		return refuse(a, FIX_INTERRUPTED, "interrupted before any step "
		    "ran");
	if (!json_is_true(json_object_get(a->doc, "symptom_holds")))
		return refuse(a, FIX_NOTHING_TO_FIX, "the symptom (%s) "
		    "stopped holding while confirming",
		    expr_source(req->f->when));
	if (strcmp(shown, json_string_value(json_object_get(a->plan,
	    "hash"))) != 0)
		return refuse(a, FIX_REFUSED, "the state changed while "
		    "confirming (plan %.12s is now %.12s): review the new "
		    "plan", shown, json_string_value(json_object_get(a->plan,
		    "hash")));
	return FIX_PLANNED;
}

/* Appends an event of kind to the incident; takes body. */
static int
apply_event(struct apply *a, const char *kind, json_t *body, char **err)
{
	int rc = store_incident_event(a->req->store, a->incident, kind,
	    time_now(), body, err);

	json_decref(body);
	return rc;
}

static int
hook_step_done(void *arg, const char *phase, json_t *result)
{
	struct apply *a = arg;
	const struct fix_hooks *user = a->req->hooks;
	char *err = NULL;

	if (apply_event(a, "step", json_incref(result), &err) != 0) {
		store_failed(a, err);
		return -1;
	}
	if (user != NULL && user->step_done != NULL)
		return user->step_done(user->arg, phase, result);
	return 0;
}

static void
hook_step_start(void *arg, const char *phase, size_t i, json_t *plan)
{
	struct apply *a = arg;
	const struct fix_hooks *user = a->req->hooks;

	if (user != NULL && user->step_start != NULL)
		user->step_start(user->arg, phase, i, plan);
}

/* Opens the incident with what was known before anything changed. */
static int
apply_open_incident(struct apply *a, char **err)
{
	const struct fix_request *req = a->req;
	const struct failure *f = req->f;
	char sum[SHA256_HEX_SIZE];
	json_t *body, *ev;

	ev = fix_evidence(req->rb, &f, 1, req->engine);
	sha256_hex(req->rb->source, strlen(req->rb->source), sum);
	body = json_pack("{s:s?, s:s, s:{s:s, s:b}, s:O, s:O, s:O, s:O, "
	    "s:s, s:s, s:I, s:s, s:s, s:s}", "title", f->title, "layer",
	    f->layer, "symptom", "when", expr_source(f->when), "holds", 1,
	    "plan_hash", json_object_get(a->plan, "hash"), "plan", a->plan,
	    "probes", json_object_get(a->doc, "probes"), "evidence",
	    json_array_get(ev, 0), "operator", req->operator, "host",
	    req->host, "pid", (json_int_t)getpid(), "runbook_path",
	    req->rb->path, "runbook_sha256", sum, "triage", TRIAGE_VERSION);
	json_decref(ev);
	runbook_redact_json(req->rb, body);
	if (store_incident_open(req->store, req->rb->id, f->id, time_now(),
	    body, &a->incident, err) != 0) {
		json_decref(body);
		return -1;
	}
	json_decref(body);
	json_object_set_new(a->doc, "incident", json_integer(a->incident));
	return 0;
}

/* Runs the steps and verify inside the lock, recording each stage. */
static enum fix_result
apply_run(struct apply *a)
{
	const struct fix_request *req = a->req;
	struct fix_hooks hooks = { hook_step_start, hook_step_done, a };
	enum fix_outcome o;
	json_t *verdict;
	char *err = NULL;
	int resolved;

	if (apply_open_incident(a, &err) != 0)
		return store_failed(a, err);
	json_object_set_new(a->doc, "applied", json_true());
	o = fix_run_steps(req->rb, req->f, req->engine, &hooks,
	    json_object_get(a->doc, "steps"));
	if (o == FIX_STEPS_ABORTED)
		return FIX_ERROR;
	if (o == FIX_STEPS_INTERRUPTED) {
		json_object_set_new(a->doc, "outcome",
		    json_string("interrupted"));
		if (apply_event(a, "interrupted", json_pack("{s:s}", "during",
		    "steps"), &err) != 0)
			return store_failed(a, err);
		return FIX_INTERRUPTED;
	}
	if (o == FIX_STEPS_FAILED) {
		/* The incident stays open: a person has to look. */
		json_object_set_new(a->doc, "outcome", json_string("failed"));
		if (apply_event(a, "stopped", json_pack("{s:s}", "reason",
		    "a step failed"), &err) != 0)
			return store_failed(a, err);
		return FIX_UNRESOLVED;
	}
	verdict = fix_verify(req->rb, req->f, req->engine,
	    req->verify_attempt, req->arg);
	runbook_redact_json(req->rb, verdict);
	json_object_set(a->doc, "verify", verdict);
	resolved = json_is_true(json_object_get(verdict, "ok"));
	if (apply_event(a, "verify", verdict, &err) != 0)
		return store_failed(a, err);
	if (interrupted(req) && !resolved) {
		json_object_set_new(a->doc, "outcome",
		    json_string("interrupted"));
		if (apply_event(a, "interrupted", json_pack("{s:s}", "during",
		    "verify"), &err) != 0)
			return store_failed(a, err);
		return FIX_INTERRUPTED;
	}
	json_object_set_new(a->doc, "outcome", json_string(resolved ?
	    "resolved" : "unresolved"));
	if (resolved && apply_event(a, "closed", json_pack("{s:s}",
	    "outcome", "resolved"), &err) != 0)
		return store_failed(a, err);
	return resolved ? FIX_RESOLVED : FIX_UNRESOLVED;
}

enum fix_result
fix_apply(const struct fix_request *req, json_t **doc)
{
	struct apply a = { req, NULL, 0, NULL, NULL };
	struct store_holder me = { req->operator, req->host, (long)getpid(),
		time_now() };
	enum fix_result r;
	json_t *held = NULL;
	char *err = NULL;
	int locked;

	a.doc = json_pack("{s:i, s:s, s:s, s:n, s:n, s:n, s:b, s:n, s:[], "
	    "s:n, s:n, s:s}", "schema", 1, "runbook", req->rb->id,
	    "failure", req->f->id, "plan_hash", "symptom_holds", "plan",
	    "applied", 0, "refused", "steps", "verify", "incident",
	    "outcome", "planned");
	*doc = a.doc;
	if (!req->apply) {
		apply_probe(&a);
		if (req->planned != NULL)
			req->planned(req->arg, a.doc);
		json_decref(a.by_id);
		return interrupted(req) ? refuse(&a, FIX_INTERRUPTED,
		    "interrupted while probing") : FIX_PLANNED;
	}
	/* The lock first: every check below must still be true when the
	 * first step runs, and only the lock holder may change the stack. */
	locked = store_lock(req->store, req->rb->id, &me, &held, &err);
	if (locked < 0)
		return store_failed(&a, err);
	if (locked == 1) {
		r = refuse(&a, FIX_REFUSED, "another fix of %s is running: "
		    "%s (pid %" JSON_INTEGER_FORMAT " on %s) has held the "
		    "lock since %s", req->rb->id, json_string_value(
		    json_object_get(held, "who")), json_integer_value(
		    json_object_get(held, "pid")), json_string_value(
		    json_object_get(held, "host")), json_string_value(
		    json_object_get(held, "since")));
		json_object_set_new(a.doc, "lock", held);
		return r;
	}
	if (held != NULL)
		json_object_set_new(a.doc, "lock_taken_over", held);
	apply_probe(&a);
	if (req->planned != NULL)
		req->planned(req->arg, a.doc);
	/* Results cut short by a signal prove nothing either way. */
	r = interrupted(req) ? refuse(&a, FIX_INTERRUPTED, "interrupted "
	    "before any step ran") : apply_gates(&a);
	if (r == FIX_PLANNED)
		r = apply_confirm(&a);
	if (r == FIX_PLANNED)
		r = apply_run(&a);
	if (store_unlock(req->store, req->rb->id, &me, &err) != 0) {
		if (r != FIX_ERROR)
			r = store_failed(&a, err);
		else
			free(err);
	}
	json_decref(a.by_id);
	return r;
}

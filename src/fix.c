/* SPDX-License-Identifier: MIT */
/* Fixes: the dry-run plan and its hash, evidence, the steps, and verify. */
#include "fix.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle.h"
#include "cmd.h"
#include "engine.h"
#include "expr.h"
#include "runbook.h"
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
	char hash[65];
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
    int show_hash)
{
	json_t *s, *g;
	size_t i;

	fprintf(out, "\n%sFix%s%s%.12s (dry run: nothing has been changed)\n",
	    st->bold, st->reset, show_hash ? " plan " : "",
	    show_hash ? json_string_value(json_object_get(plan, "hash")) :
	    "");
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
	json_array_foreach(json_object_get(plan, "guard"), i, g) {
		if (!json_is_true(json_object_get(g, "holds"))) {
			fprintf(out, "  %sthe guard does not hold now: --apply "
			    "would be refused%s\n", st->yellow, st->reset);
			break;
		}
	}
	if (json_array_size(json_object_get(plan, "steps")) > 0)
		fprintf(out, "  run:    %s --apply\n", json_string_value(
		    json_object_get(plan, "run")));
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

/* Runs step i of steps[] alone and returns its entry for the record. */
static json_t *
run_step(const struct runbook *rb, const char *phase, const struct step *s,
    size_t i, const struct engine_opts *opts)
{
	struct probe *p = (struct probe *)&s->probe;
	json_t *results = engine_run(rb, &p, 1, opts);
	json_t *r = json_object_get(results, p->id), *argv, *e;
	char *cmd = fix_step_command(p);

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
	    "output", json_object_get(r, "stdout") != NULL ?
	    json_object_get(r, "stdout") : json_string(""),
	    "stderr", json_object_get(r, "stderr") != NULL ?
	    json_object_get(r, "stderr") : json_string(""),
	    "truncated", json_object_get(r, "truncated") != NULL ?
	    json_object_get(r, "truncated") : json_false());
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

enum fix_outcome
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
fix_verify_probes(const struct runbook *rb, const struct failure *f,
    size_t *n)
{
	struct probe_set ps = { rb, xcalloc(rb->nprobes + 1, 1) };
	struct probe **probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	size_t i;

	for (i = 0; i < f->nverify; i++)
		runbook_select_with_needs(rb, f->verify[i], ps.selected);
	expr_refs(f->when, select_ref, &ps);
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
	struct probe **probes = fix_verify_probes(rb, f, &n);
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

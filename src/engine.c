/* SPDX-License-Identifier: MIT */
/* The engine: runs probes concurrently on one event loop, in `needs` order,
 * each under its timeout, and turns what the kinds report into results. */
#include "engine.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr.h"
#include "loop.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

enum item_status {
	ITEM_WAITING,	/* for its needs */
	ITEM_READY,	/* queued for a job slot */
	ITEM_RUNNING,
	ITEM_COMPLETED,	/* the kind is done; not yet finished */
	ITEM_DONE,
};

struct item {
	struct engine *engine;
	struct probe *probe;
	struct probe_run run;
	struct loop_timer timeout;
	enum item_status status;
	size_t *needs;		/* indices of the items it needs */
	size_t nneeds;
	size_t *dependents;	/* indices of the items that need it */
	size_t ndependents;
	size_t unmet;		/* needs not yet done */
	char *missing_need;	/* a need that is not among the probes run */
	enum probe_state state;
	json_t *result;
	/* The poller (struct sched) only. */
	struct loop_timer due_timer;	/* the next scheduled run */
	double due;		/* monotonic time of the run being made */
	double phase;		/* offset of its runs within its interval */
	double lag;		/* how late its run started, seconds */
	int ran;		/* it has a result: state is its last */
	int awaits_need;	/* due, held until a need has a first result */
};

struct engine {
	const struct runbook *rb;
	const struct engine_opts *opts;
	struct loop *loop;
	struct item *items;
	size_t n;
	size_t *queue;		/* ready items, FIFO */
	size_t qhead, qtail;
	size_t *completed;	/* completed items awaiting finish */
	size_t ncompleted;
	size_t running;
	size_t done;
	size_t next;		/* the first item not yet handed over */
	int jobs;
	engine_result_fn take;	/* who results are handed over to */
	void *take_arg;
	struct sched *sched;	/* the poller driving it, or NULL (one run) */
};

/* The poller: the same engine, kept alive on a loop it does not own, every
 * probe on its own interval (triage watch). */
struct sched {
	struct engine e;
	struct engine_opts opts;
	struct sched_opts sopts;
	double started;		/* monotonic */
	int paused;
	int draining;
	size_t overruns;	/* runs skipped: the last one was still on */
};

static void
result_set_str(json_t *o, const char *key, const char *value)
{
	json_object_set_new(o, key, value != NULL ? json_string(value) :
	    json_null());
}

/* Fills the fields every result has, in the order --json shows them. The
 * kind's fields follow; state, ok and reason are settled afterwards. */
static json_t *
result_new(const struct probe *p, double started_wall)
{
	json_t *o = json_object();
	char when[40];

	time_format_iso8601(started_wall, 1, when, sizeof(when));
	result_set_str(o, "id", p->id);
	result_set_str(o, "layer", p->layer);
	result_set_str(o, "kind", p->kind->name);
	/* Not decided until expect and warn have run: null while they do. */
	json_object_set_new(o, "ok", json_null());
	json_object_set_new(o, "state", json_null());
	json_object_set_new(o, "reason", json_null());
	json_object_set_new(o, "latency_ms", json_null());
	json_object_set_new(o, "latency", json_null());
	result_set_str(o, "checked_at", when);
	return o;
}

static void
result_settle(struct item *it, enum probe_state state, const char *reason)
{
	json_t *o = it->result;
	char *clean = reason != NULL ?
	    runbook_redact(it->engine->rb, reason) : NULL;

	it->state = state;
	json_object_set_new(o, "ok", json_boolean(state == STATE_OK ||
	    state == STATE_WARNING));
	result_set_str(o, "state", probe_state_name(state));
	result_set_str(o, "reason", clean);
	free(clean);
}

/* Applies expect and warn to a result the kind has written. */
static void
judge(struct item *it, double now)
{
	const struct probe *p = it->probe;
	struct probe_run *run = &it->run;
	enum probe_state state = run->verdict;
	char *reason = NULL;
	size_t i;

	/* A check that could not be made is critical whatever `severity`
	 * says: severity softens a failed expectation, not an outage. */
	if (run->error != NULL) {
		result_settle(it, STATE_CRITICAL, run->error);
		return;
	}
	if (p->nexpect > 0) {
		state = STATE_OK;
		for (i = 0; i < p->nexpect; i++) {
			char *got;

			if (expr_test(p->expect[i], it->result, now))
				continue;
			got = expr_explain(p->expect[i], it->result, now);
			reason = xasprintf("expected %s, got %s",
			    expr_source(p->expect[i]), got);
			free(got);
			state = p->severity;
			break;
		}
	} else if (state == STATE_CRITICAL) {
		state = p->severity;
		reason = xstrdup(run->verdict_reason);
	} else {
		reason = xstrdup(run->verdict_reason);
	}
	if (state == STATE_OK) {
		for (i = 0; i < p->nwarn; i++) {
			char *got;

			if (!expr_test(p->warn[i], it->result, now))
				continue;
			got = expr_explain(p->warn[i], it->result, now);
			free(reason);
			reason = xasprintf("%s (%s)", expr_source(p->warn[i]),
			    got);
			free(got);
			state = STATE_WARNING;
			break;
		}
	}
	result_settle(it, state, reason);
	free(reason);
}

/* A probe that is not run: "skipped: <why> <what>". */
static void
item_skip(struct item *it, const char *why, const char *what)
{
	char *reason = xasprintf("skipped: %s%s", why, what);

	it->result = result_new(it->probe, time_now());
	result_settle(it, STATE_SKIPPED, reason);
	free(reason);
}

static void item_finish(struct item *it);

static void
on_complete(struct probe_run *run)
{
	struct item *it = (struct item *)((char *)run -
	    offsetof(struct item, run));
	struct engine *e = it->engine;

	/* Deferred: the kind is still inside its own callback. */
	if (it->status != ITEM_RUNNING)
		return;
	it->status = ITEM_COMPLETED;
	e->completed[e->ncompleted++] = (size_t)(it - e->items);
}

/* Stops a running probe with reason why; what its kind's cancel() had to
 * say (a process that would not die) follows. */
static void
item_cancel(struct item *it, const char *why)
{
	char *detail;

	it->probe->kind->cancel(&it->run);
	detail = it->run.error;
	it->run.error = NULL;
	if (detail != NULL)
		probe_run_error(&it->run, "%s; %s", why, detail);
	else
		probe_run_error(&it->run, "%s", why);
	free(detail);
	it->run.completed = 1;
	on_complete(&it->run);
}

static void
on_timeout(void *arg)
{
	struct item *it = arg;
	char d[32], why[48];

	if (it->status != ITEM_RUNNING)
		return;
	duration_format(it->probe->timeout, d, sizeof(d));
	snprintf(why, sizeof(why), "timeout after %s", d);
	item_cancel(it, why);
}

/* requires: each entry is an absolute path that must exist, or a command
 * that must be on PATH. Returns the first one missing, or NULL. They are
 * looked for on this machine, so a probe `on:` another host is not held
 * back by them (a command missing there fails there). */
static const char *
unmet_requirement(const struct probe *p)
{
	const char *path = getenv("PATH");
	size_t i;

	if (p->on != NULL)
		return NULL;
	for (i = 0; i < p->nrequires; i++) {
		const char *r = p->requires[i], *dir;
		int found = 0;

		if (strchr(r, '/') != NULL) {
			if (access(r, F_OK) != 0)
				return r;
			continue;
		}
		for (dir = path; dir != NULL && !found;) {
			const char *end = strchr(dir, ':');
			size_t len = end ? (size_t)(end - dir) : strlen(dir);
			char *full = xasprintf("%.*s/%s", (int)len, dir, r);

			found = access(full, X_OK) == 0;
			free(full);
			dir = end ? end + 1 : NULL;
		}
		if (!found)
			return r;
	}
	return NULL;
}

static void
item_start(struct item *it)
{
	struct engine *e = it->engine;
	const struct probe *p = it->probe;
	struct probe_run *run = &it->run;
	const char *missing;

	if (p->missing_env != NULL) {
		item_skip(it, p->missing_env, " unset");
		item_finish(it);
		return;
	}
	if ((missing = unmet_requirement(p)) != NULL) {
		item_skip(it, "requires ", missing);
		item_finish(it);
		return;
	}
	memset(run, 0, sizeof(*run));
	run->probe = p;
	run->loop = e->loop;
	run->engine = e;
	run->started = time_mono();
	it->lag = run->started - it->due;
	run->started_wall = time_now();
	run->deadline = run->started + p->timeout;
	run->verdict = STATE_OK;
	run->on_complete = on_complete;
	it->status = ITEM_RUNNING;
	e->running++;
	loop_timer_init(&it->timeout, on_timeout, it);
	loop_timer_at(e->loop, &it->timeout, run->deadline);
	if (p->kind->start(run) != 0) {
		if (run->error == NULL)
			probe_run_error(run, "could not start");
		run->completed = 1;
		on_complete(run);
	}
}

static void
item_ready(struct item *it)
{
	struct engine *e = it->engine;

	it->status = ITEM_READY;
	e->queue[e->qtail++ % e->n] = (size_t)(it - e->items);
}

/* A need is done: release the dependents whose needs are all met, and skip
 * those with a need that is not ok. */
static void sched_consider(struct item *it);

static void
release_dependents(struct item *it)
{
	struct engine *e = it->engine;
	size_t i;

	if (e->sched != NULL) {
		for (i = 0; i < it->ndependents; i++) {
			struct item *d = &e->items[it->dependents[i]];

			if (d->awaits_need) {
				d->awaits_need = 0;
				sched_consider(d);
			}
		}
		return;
	}
	for (i = 0; i < it->ndependents; i++) {
		struct item *d = &e->items[it->dependents[i]];
		size_t j;

		if (d->status != ITEM_WAITING || --d->unmet > 0)
			continue;
		for (j = 0; j < d->nneeds; j++) {
			struct item *need = &e->items[d->needs[j]];

			if (need->state != STATE_OK &&
			    need->state != STATE_WARNING)
				break;
		}
		if (j < d->nneeds) {
			item_skip(d, "needs ", e->items[d->needs[j]].probe->id);
			item_finish(d);
		} else {
			item_ready(d);
		}
	}
}

/* Hands over the results that are final, in the order of the probes: a
 * result waits for those before it (at most about as many as run at once,
 * unless `needs` hold some back). */
static void
hand_over(struct engine *e)
{
	while (e->next < e->n && e->items[e->next].status == ITEM_DONE) {
		struct item *it = &e->items[e->next];
		json_t *result = it->result;

		it->result = NULL;
		e->next++;
		e->take(e->take_arg, (size_t)(it - e->items), result);
	}
}

static void sched_done(struct sched *s, struct item *it);

/* An item has its final result. */
static void
item_done(struct item *it)
{
	struct engine *e = it->engine;

	if (e->sched != NULL) {
		sched_done(e->sched, it);
		return;
	}
	it->status = ITEM_DONE;
	e->done++;
	if (e->opts->progress != NULL)
		e->opts->progress(e->opts->progress_arg, e->done, e->n,
		    it->probe, it->result);
	hand_over(e);
}

/* Writes the result of a run that has ended, or of a skipped probe. */
static void
item_finish(struct item *it)
{
	struct engine *e = it->engine;
	const struct probe *p = it->probe;

	if (it->status == ITEM_COMPLETED) {
		struct probe_run *run = &it->run;
		double end = time_mono(), secs = end - run->started;

		loop_timer_stop(e->loop, &it->timeout);
		e->running--;
		it->result = result_new(p, run->started_wall);
		p->kind->finish(run, it->result);
		json_object_set_new(it->result, "latency_ms",
		    json_real((double)llround(secs * 10000) / 10));
		json_object_set_new(it->result, "latency", json_real(secs));
		runbook_redact_json(e->rb, it->result);
		judge(it, time_now());
		free(run->error);
		free(run->verdict_reason);
		run->error = run->verdict_reason = NULL;
	}
	item_done(it);
	release_dependents(it);
}

/* Cancels every running probe: each completes as "interrupted". */
static void
cancel_running(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		struct item *it = &e->items[i];

		if (it->status == ITEM_RUNNING)
			item_cancel(it, "interrupted");
	}
}

static void
interrupt_all(struct engine *e)
{
	size_t i;

	cancel_running(e);
	for (i = 0; i < e->n; i++) {
		struct item *it = &e->items[i];

		if (it->status == ITEM_WAITING || it->status == ITEM_READY) {
			item_skip(it, "interrupted", "");
			item_done(it);
		}
	}
	e->qhead = e->qtail;
}

static void
engine_build(struct engine *e, struct probe *const *probes, size_t n)
{
	json_t *index = json_object();
	size_t i, j;

	e->items = xcalloc(n, sizeof(*e->items));
	e->queue = xcalloc(n, sizeof(*e->queue));
	e->completed = xcalloc(n, sizeof(*e->completed));
	e->n = n;
	for (i = 0; i < n; i++) {
		e->items[i].engine = e;
		e->items[i].probe = probes[i];
		e->items[i].state = STATE_UNKNOWN;
		json_object_set_new(index, probes[i]->id,
		    json_integer((json_int_t)i));
	}
	for (i = 0; i < n; i++) {
		struct item *it = &e->items[i];
		const struct probe *p = it->probe;

		it->needs = xcalloc(p->nneeds, sizeof(*it->needs));
		for (j = 0; j < p->nneeds; j++) {
			json_t *idx = json_object_get(index, p->needs[j]);
			struct item *need;

			if (idx == NULL) {
				if (it->missing_need == NULL)
					it->missing_need = p->needs[j];
				continue;
			}
			need = &e->items[json_integer_value(idx)];
			it->needs[it->nneeds++] = (size_t)json_integer_value(idx);
			need->dependents = xreallocarray(need->dependents,
			    need->ndependents + 1, sizeof(size_t));
			need->dependents[need->ndependents++] = i;
		}
		it->unmet = it->nneeds;
	}
	json_decref(index);
}

/* Badness, for engine_worst: skipped is as good as ok. */
static const int state_rank[] = {
	[STATE_OK] = 0, [STATE_SKIPPED] = 0, [STATE_WARNING] = 1,
	[STATE_UNKNOWN] = 2, [STATE_CRITICAL] = 3,
};

static enum probe_state
worse_state(enum probe_state worst, enum probe_state s)
{
	return state_rank[s] > state_rank[worst] ? s : worst;
}

enum probe_state
engine_run_each(const struct runbook *rb, struct probe *const *probes,
    size_t n, const struct engine_opts *opts, engine_result_fn take,
    void *take_arg)
{
	static const struct engine_opts defaults = { 0 };
	struct engine e = { 0 };
	enum probe_state worst = STATE_OK;
	size_t i;

	e.rb = rb;
	e.opts = opts != NULL ? opts : &defaults;
	e.jobs = e.opts->jobs > 0 ? e.opts->jobs : ENGINE_JOBS_DEFAULT;
	e.take = take;
	e.take_arg = take_arg;
	e.loop = loop_create();
	if (e.loop == NULL)
		abort();
	engine_build(&e, probes, n);
	for (i = 0; i < n; i++) {
		struct item *it = &e.items[i];

		if (it->missing_need != NULL) {
			item_skip(it, "needs ", it->missing_need);
			item_finish(it);
		} else if (it->unmet == 0 && it->status == ITEM_WAITING) {
			item_ready(it);
		}
	}
	while (e.done < e.n) {
		while (e.qhead < e.qtail && e.running < (size_t)e.jobs)
			item_start(&e.items[e.queue[e.qhead++ % e.n]]);
		while (e.ncompleted > 0) {
			struct item *it = &e.items[e.completed[--e.ncompleted]];

			item_finish(it);
		}
		if (e.done == e.n)
			break;
		if (e.qhead < e.qtail && e.running < (size_t)e.jobs)
			continue;
		if (e.opts->interrupted != NULL && *e.opts->interrupted) {
			interrupt_all(&e);
			continue;
		}
		if (loop_run_once(e.loop, 0.25) < 0 && errno != EINTR)
			abort();
	}
	for (i = 0; i < n; i++) {
		struct item *it = &e.items[i];

		worst = worse_state(worst, it->state);
		free(it->needs);
		free(it->dependents);
	}
	loop_free(e.loop);
	free(e.items);
	free(e.queue);
	free(e.completed);
	return worst;
}

struct collect {
	struct probe *const *probes;
	json_t *results;
};

/* engine_run's hand-over: results by probe id, in the order of probes. */
static void
collect(void *arg, size_t i, json_t *result)
{
	struct collect *c = arg;

	json_object_set_new(c->results, c->probes[i]->id, result);
}

json_t *
engine_run(const struct runbook *rb, struct probe *const *probes, size_t n,
    const struct engine_opts *opts)
{
	struct collect c = { probes, json_object() };

	engine_run_each(rb, probes, n, opts, collect, &c);
	return c.results;
}

static enum probe_state
worse(enum probe_state worst, json_t *r)
{
	enum probe_state s;
	const char *name = json_string_value(json_object_get(r, "state"));

	if (name == NULL || probe_state_parse(name, &s) != 0)
		s = STATE_UNKNOWN;
	return worse_state(worst, s);
}

enum probe_state
engine_worst(json_t *results)
{
	enum probe_state worst = STATE_OK;
	const char *key;
	json_t *r;
	size_t i;

	if (json_is_array(results)) {
		json_array_foreach(results, i, r)
			worst = worse(worst, r);
	} else {
		json_object_foreach(results, key, r)
			worst = worse(worst, r);
	}
	return worst;
}

/*
 * The poller: every probe on its own interval, on a loop that outlives any
 * one run (triage watch). Each probe runs at start, then at start + phase +
 * k x interval (k >= 1): a fixed rate that latency does not push back,
 * spread over the interval by a per-probe phase (a hash of its id), so
 * that a thousand probes of one interval do not all start at once.
 */

/* The offset of p's runs in its interval: FNV-1a of its id. */
static double
sched_phase(const struct probe *p)
{
	uint32_t h = 2166136261u;
	const unsigned char *c;

	for (c = (const unsigned char *)p->id; *c != '\0'; c++)
		h = (h ^ *c) * 16777619u;
	return (double)h / 4294967296.0 * p->interval;
}

/* The first scheduled time of it after `after` (monotonic). */
static double
sched_next(const struct sched *s, const struct item *it, double after)
{
	double iv = it->probe->interval, k;

	k = floor((after - s->started - it->phase) / iv) + 1;
	if (k < 1)	/* the run at start is the slot before the first */
		k = 1;
	return s->started + it->phase + k * iv;
}

/* A due probe: run it now, hold it for a need's first result, or skip it
 * because a need is down (as Nagios's parent checks: a dependent of
 * something down is not checked, and does not alert). */
static void
sched_consider(struct item *it)
{
	struct engine *e = it->engine;
	size_t j;

	if (it->missing_need != NULL) {
		item_skip(it, "needs ", it->missing_need);
		item_finish(it);
		return;
	}
	for (j = 0; j < it->nneeds; j++) {
		if (!e->items[it->needs[j]].ran) {
			it->awaits_need = 1;
			return;
		}
	}
	for (j = 0; j < it->nneeds; j++) {
		struct item *need = &e->items[it->needs[j]];

		if (need->state != STATE_OK && need->state != STATE_WARNING) {
			item_skip(it, "needs ", need->probe->id);
			item_finish(it);
			return;
		}
	}
	item_ready(it);
}

static void
sched_due(void *arg)
{
	struct item *it = arg;
	struct engine *e = it->engine;
	struct sched *s = e->sched;

	it->due = it->due_timer.at;
	/* The next slot after now: a loop held up (a stopped process) skips
	 * the runs it missed rather than make them all at once. */
	loop_timer_at(e->loop, &it->due_timer, sched_next(s, it,
	    fmax(it->due, time_mono())));
	if (it->status != ITEM_WAITING || it->awaits_need) {
		s->overruns++;
		return;
	}
	sched_consider(it);
}

/* An item's run is over: hand the result over and wait for the next. */
static void
sched_done(struct sched *s, struct item *it)
{
	json_t *result = it->result;

	it->result = NULL;
	it->status = ITEM_WAITING;
	it->ran = 1;
	s->e.done++;
	if (s->sopts.take != NULL)
		s->sopts.take(s->sopts.arg, (size_t)(it - s->e.items), result,
		    it->lag > 0 ? it->lag : 0);
	else
		json_decref(result);
}

struct sched *
sched_create(const struct runbook *rb, struct probe *const *probes,
    size_t n, struct loop *l, const struct sched_opts *o)
{
	struct sched *s = xcalloc(1, sizeof(*s));
	size_t i;

	s->sopts = *o;
	s->opts.jobs = o->jobs > 0 ? o->jobs : ENGINE_JOBS_DEFAULT;
	s->e.rb = rb;
	s->e.opts = &s->opts;
	s->e.jobs = s->opts.jobs;
	s->e.loop = l;
	s->e.sched = s;
	s->started = time_mono();
	engine_build(&s->e, probes, n);
	for (i = 0; i < n; i++) {
		struct item *it = &s->e.items[i];

		it->status = ITEM_WAITING;
		it->phase = sched_phase(it->probe);
		it->due = s->started;
		loop_timer_init(&it->due_timer, sched_due, it);
		loop_timer_at(l, &it->due_timer, s->started);
	}
	return s;
}

void
sched_process(struct sched *s)
{
	struct engine *e = &s->e;

	for (;;) {
		while (e->qhead < e->qtail && e->running < (size_t)e->jobs)
			item_start(&e->items[e->queue[e->qhead++ % e->n]]);
		if (e->ncompleted == 0)
			break;
		while (e->ncompleted > 0)
			item_finish(&e->items[e->completed[--e->ncompleted]]);
	}
}

void
sched_poll_now(struct sched *s)
{
	double now = time_mono();
	size_t i;

	if (s->paused || s->draining)
		return;
	for (i = 0; i < s->e.n; i++) {
		struct item *it = &s->e.items[i];

		if (it->status == ITEM_WAITING && !it->awaits_need)
			loop_timer_at(s->e.loop, &it->due_timer, now);
	}
}

/* Stops every scheduled run; what is queued goes back to waiting. */
static void
sched_stop_timers(struct sched *s)
{
	struct engine *e = &s->e;
	size_t i;

	for (i = 0; i < e->n; i++) {
		loop_timer_stop(e->loop, &e->items[i].due_timer);
		e->items[i].awaits_need = 0;
	}
	while (e->qhead < e->qtail)
		e->items[e->queue[e->qhead++ % e->n]].status = ITEM_WAITING;
}

void
sched_pause(struct sched *s, int paused)
{
	size_t i;

	if (s->draining || s->paused == paused)
		return;
	s->paused = paused;
	if (paused) {
		sched_stop_timers(s);
		return;
	}
	for (i = 0; i < s->e.n; i++)
		loop_timer_at(s->e.loop, &s->e.items[i].due_timer,
		    time_mono());
}

void
sched_drain(struct sched *s)
{
	s->draining = 1;
	sched_stop_timers(s);
}

size_t
sched_running(const struct sched *s)
{
	return s->e.running + s->e.ncompleted;
}

size_t
sched_overruns(const struct sched *s)
{
	return s->overruns;
}

void
sched_free(struct sched *s)
{
	struct engine *e;
	size_t i;

	if (s == NULL)
		return;
	e = &s->e;
	sched_drain(s);
	s->sopts.take = NULL;
	cancel_running(e);
	while (e->ncompleted > 0)
		item_finish(&e->items[e->completed[--e->ncompleted]]);
	for (i = 0; i < e->n; i++) {
		free(e->items[i].needs);
		free(e->items[i].dependents);
		json_decref(e->items[i].result);
	}
	free(e->items);
	free(e->queue);
	free(e->completed);
	free(s);
}

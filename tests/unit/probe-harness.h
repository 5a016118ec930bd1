/* SPDX-License-Identifier: MIT */
/* Test helper: run one probe kind by hand on a fresh loop, without the
 * loader or the engine. Include from one test file. */
#ifndef TRIAGE_PROBE_HARNESS_H
#define TRIAGE_PROBE_HARNESS_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "probe.h"
#include "util/timeutil.h"

struct harness_result {
	json_t *fields;		/* what finish() wrote */
	char *error;		/* probe_run_error, or "timeout" */
	enum probe_state verdict;
	char *verdict_reason;
	double elapsed;
};

/* harness_probe: a probe of kind k with params (stolen); prepare() must
 * succeed. Free with harness_probe_free. */
static inline struct probe *
harness_probe(const struct probe_kind *k, json_t *params, double timeout)
{
	struct probe *p = calloc(1, sizeof(*p));
	char *cause = NULL;

	p->id = strdup("t");
	p->layer = strdup("test");
	p->kind = k;
	p->params = params;
	p->timeout = timeout;
	p->severity = STATE_CRITICAL;
	if (k->prepare != NULL && k->prepare(p, &cause) != 0) {
		fprintf(stderr, "prepare failed: %s\n", cause);
		abort();
	}
	return p;
}

static inline void
harness_probe_free(struct probe *p)
{
	if (p->kind->release != NULL)
		p->kind->release(p);
	json_decref(p->params);
	free(p->id);
	free(p->layer);
	free(p);
}

/* harness_run: start, loop until complete or timeout (then cancel),
 * finish. */
static inline struct harness_result
harness_run(const struct probe *p)
{
	struct harness_result r = { 0 };
	struct probe_run run;
	struct loop *l = loop_create();
	double t0 = time_mono();

	memset(&run, 0, sizeof(run));
	run.probe = p;
	run.loop = l;
	run.started = t0;
	run.started_wall = time_now();
	run.deadline = t0 + p->timeout;
	run.verdict = STATE_OK;
	if (p->kind->start(&run) == 0) {
		while (!run.completed && time_mono() < run.deadline)
			loop_run_once(l, run.deadline - time_mono());
		if (!run.completed) {
			p->kind->cancel(&run);
			probe_run_error(&run, "timeout");
		}
	}
	r.fields = json_object();
	p->kind->finish(&run, r.fields);
	r.error = run.error;
	r.verdict = run.verdict;
	r.verdict_reason = run.verdict_reason;
	r.elapsed = time_mono() - t0;
	loop_free(l);
	return r;
}

static inline void
harness_result_dispose(struct harness_result *r)
{
	json_decref(r->fields);
	free(r->error);
	free(r->verdict_reason);
}

#endif

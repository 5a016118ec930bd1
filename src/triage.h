/* SPDX-License-Identifier: MIT */
/* The triage tree walk and the ranking of failure modes over probe results. */
#ifndef TRIAGE_TRIAGE_H
#define TRIAGE_TRIAGE_H

#include <jansson.h>

struct runbook;

/* triage_diagnose: walks rb's tree over results (probe id -> result, as
 * engine_run returns) and ranks the failure modes whose symptom holds.
 * Returns a new object:
 *   status    "healthy" (every probe ok or skipped, nothing matched),
 *             "failure" (a failure mode matched) or "unmatched";
 *   path      [{node, ask, if, answer: true|false|null, values, why}]:
 *             the walk; answer null when the condition reads a probe that
 *             was skipped or unknown (why says which), where it stops;
 *   failures  the matches, best first: [{id, title, layer, diagnosis,
 *             symptom, values, reached, proven}]; reached: the tree led to
 *             it; proven: how many terms of its symptom hold;
 *   possible  [{id, title, layer, symptom, missing: [{probe, reason}]}]:
 *             failure modes whose symptom reads a probe that did not run
 *             and whose other terms do not rule them out.
 * Ranking: reached first (in the order the leaf lists them), then more
 * terms proven, then runbook order (the seeds order by frequency). */
json_t *triage_diagnose(const struct runbook *rb, json_t *results, double now);

/* triage_fields: calls fn (as expr_fields does) for every path that
 * triage_diagnose and fix_plan read of the results: the tree's
 * conditions, each failure mode's `when` and guards. */
void triage_fields(const struct runbook *rb, void (*fn)(void *arg,
    const char *root, const char *key), void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/* Recording a run's probe results in the store as samples (--record). */
#ifndef TRIAGE_RECORD_H
#define TRIAGE_RECORD_H

#include <jansson.h>

struct store;

/* record_results: stores results, the array of probe results as `triage
 * check --json` prints them under "probes" (each an object with "id",
 * "state", "latency_ms" (a number, or null or absent: none), "reason" (a
 * string, or null) and "checked_at" (ISO-8601)), as samples of runbook in
 * one store_samples_add call (one transaction: all or none), which also
 * records each probe's state changes. The results must already be
 * redacted: they are stored as given. The caller keeps ownership of
 * results. Returns 0 (an empty array stores nothing), or -1 with *err a
 * heap message naming the result that is malformed (nothing stored) or
 * the store's own error. */
int record_results(struct store *s, const char *runbook, json_t *results,
    char **err);

#endif

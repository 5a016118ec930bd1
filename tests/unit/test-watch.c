/* SPDX-License-Identifier: MIT */
/* Tests for the daemon's picture of a runbook (watch.c): SOFT and HARD
 * states with retries, recovery, skips, flapping with hysteresis, the
 * diagnosis over HARD states and its hooks, staleness, the documents and
 * the metrics text, and carrying state over a reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runbook.h"
#include "watch.h"
#include "util/xmalloc.h"

static const char runbook_text[] =
    "runbook: t\n"
    "title: Test\n"
    "probes:\n"
    "  edge: { layer: edge, tcp: \"127.0.0.1:1\", retries: 3 }\n"
    "  app: { layer: app, tcp: \"127.0.0.1:1\" }\n"
    "triage:\n"
    "  start: top\n"
    "  nodes:\n"
    "    top: { ask: \"Edge up?\", if: edge.ok, then: [], "
    "else: [edge-down] }\n"
    "failures:\n"
    "  edge-down:\n"
    "    title: The edge is down\n"
    "    layer: edge\n"
    "    when: \"!edge.ok && app.ok\"\n"
    "    diagnosis: It is down.\n"
    "    evidence: [{ command: [\"true\"] }]\n"
    "    guard: [\"app.status != 503\"]\n"
    "    fix: [{ command: [\"true\"] }]\n"
    "    verify: [edge, app]\n";

struct events {
	int probe_changes;
	size_t last_probe;
	enum probe_state last_from;
	int flapping;
	int active;
	int resolved;
};

static void
on_probe(void *arg, size_t i, const struct watch_probe *wp,
    enum probe_state from)
{
	struct events *ev = arg;

	ev->probe_changes++;
	ev->last_probe = i;
	ev->last_from = from;
	ev->flapping = wp->flapping;
}

static void
on_failure(void *arg, const struct failure *f, json_t *match)
{
	struct events *ev = arg;

	assert_string_equal(f->id, "edge-down");
	if (match != NULL) {
		ev->active++;
		/* The match carries its fix plan. */
		assert_non_null(json_object_get(match, "fix"));
	} else {
		ev->resolved++;
	}
}

static struct runbook *
load(void)
{
	struct runbook *rb = NULL;
	struct diags d;

	diags_init(&d);
	if (runbook_load_string("t.yaml", runbook_text, strlen(runbook_text),
	    &rb, &d) != 0) {
		diags_print(&d, stderr);
		fail_msg("the runbook does not load");
	}
	diags_dispose(&d);
	return rb;
}

static json_t *
result(const char *id, const char *state, double latency)
{
	int ok = strcmp(state, "ok") == 0 || strcmp(state, "warning") == 0;

	return json_pack("{s:s, s:b, s:s, s:s?, s:f, s:f, s:s}", "id", id,
	    "ok", ok, "state", state, "reason", ok ? NULL : "connection_refused",
	    "latency", latency, "latency_ms", latency * 1000, "checked_at",
	    "2026-11-24T10:00:00Z");
}

static void
init(struct watch *w, struct runbook *rb, struct events *ev)
{
	struct watch_hooks h = { on_probe, on_failure, ev };

	watch_init(w, rb, 1000, 120, &h);
}

static void
test_soft_then_hard(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;

	(void)state;
	init(&w, rb, &ev);
	/* edge has retries: 3: two failures are SOFT, the third HARD. */
	watch_result(&w, 0, result("edge", "ok", 0.001), 0, 1001);
	assert_int_equal(w.probes[0].hard, STATE_OK);
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1002);
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1003);
	assert_int_equal(w.probes[0].state, STATE_CRITICAL);
	assert_int_equal(w.probes[0].hard, STATE_OK);
	assert_int_equal(w.probes[0].attempt, 2);
	assert_int_equal(ev.probe_changes, 0);
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1004);
	assert_int_equal(w.probes[0].hard, STATE_CRITICAL);
	assert_int_equal(ev.probe_changes, 1);
	assert_int_equal(ev.last_from, STATE_OK);
	/* Another failing state is HARD at once; so is a recovery. */
	watch_result(&w, 0, result("edge", "warning", 0.001), 0, 1005);
	assert_int_equal(w.probes[0].hard, STATE_WARNING);
	watch_result(&w, 0, result("edge", "ok", 0.001), 0, 1006);
	assert_int_equal(w.probes[0].hard, STATE_OK);
	assert_int_equal(ev.probe_changes, 3);
	/* A soft blip that recovers changes no HARD state. */
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1007);
	watch_result(&w, 0, result("edge", "ok", 0.001), 0, 1008);
	assert_int_equal(ev.probe_changes, 3);
	/* The changes: newest first, typed. */
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(w.changes, 0), "type")), "soft");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(w.changes, 2), "to")), "ok");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(w.changes, 2), "type")), "hard");
	/* retries: 1 (app): HARD on the first failure; skipped at once. */
	watch_result(&w, 1, result("app", "critical", 0.001), 0, 1009);
	assert_int_equal(w.probes[1].hard, STATE_CRITICAL);
	watch_result(&w, 1, result("app", "skipped", 0), 0, 1010);
	assert_int_equal(w.probes[1].hard, STATE_SKIPPED);
	watch_dispose(&w);
	runbook_free(rb);
}

static void
test_flapping(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;
	int i, changes_at_start;

	(void)state;
	init(&w, rb, &ev);
	/* Twenty steady results: no flapping. */
	for (i = 0; i < 21; i++)
		watch_result(&w, 1, result("app", "ok", 0.001), 0, 1000 + i);
	assert_false(w.probes[1].flapping);
	/* Alternating: flapping starts once, and its hook runs once. */
	for (i = 0; i < 12; i++)
		watch_result(&w, 1, result("app", i % 2 ? "ok" : "critical",
		    0.001), 0, 1100 + i);
	assert_true(w.probes[1].flapping);
	changes_at_start = ev.probe_changes;
	/* Hysteresis: steady again, it stays flapping until the share of
	 * changes falls below the low threshold, then stops. */
	for (i = 0; i < 5; i++)
		watch_result(&w, 1, result("app", "ok", 0.001), 0, 1200 + i);
	assert_true(w.probes[1].flapping);
	for (i = 0; i < 16; i++)
		watch_result(&w, 1, result("app", "ok", 0.001), 0, 1300 + i);
	assert_false(w.probes[1].flapping);
	assert_true(ev.probe_changes > changes_at_start);
	assert_false(ev.flapping);
	watch_dispose(&w);
	runbook_free(rb);
}

static void
test_diagnosis_hooks(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;
	json_t *doc;

	(void)state;
	init(&w, rb, &ev);
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1001);
	for (int i = 0; i < 3; i++)
		watch_result(&w, 0, result("edge", "critical", 0.001), 0,
		    1002 + i);
	watch_diagnose(&w, 1005);
	assert_int_equal(ev.active, 1);
	doc = watch_diagnosis(&w);
	assert_string_equal(json_string_value(json_object_get(doc, "status")),
	    "failure");
	assert_string_equal(json_string_value(json_object_get(json_array_get(
	    json_object_get(doc, "failures"), 0), "id")), "edge-down");
	/* Not dirty: no second activation. */
	watch_diagnose(&w, 1006);
	assert_int_equal(ev.active, 1);
	watch_result(&w, 0, result("edge", "ok", 0.001), 0, 1007);
	watch_diagnose(&w, 1007);
	assert_int_equal(ev.resolved, 1);
	assert_string_equal(json_string_value(json_object_get(
	    watch_diagnosis(&w), "status")), "healthy");
	watch_dispose(&w);
	runbook_free(rb);
}

/* A failure mode that needs an ok probe is found when that probe's first
 * result (ok, the state it starts in: no change) comes after the
 * failing one's; without a state change the diagnosis runs again once an
 * interval. */
static void
test_first_result_rediagnoses(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;

	(void)state;
	init(&w, rb, &ev);
	for (int i = 0; i < 3; i++)
		watch_result(&w, 0, result("edge", "critical", 0.001), 0,
		    1001 + i);
	watch_diagnose(&w, 1003);
	assert_int_equal(ev.active, 0);	/* app unknown yet: possible */
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1004);
	assert_true(w.dirty);
	watch_diagnose(&w, 1004);
	assert_int_equal(ev.active, 1);
	/* A second ok result is no news ... */
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1005);
	assert_false(w.dirty);
	/* ... until a whole interval (30 s) has passed since the diagnosis:
	 * values and ages move without a state change. */
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1034);
	assert_true(w.dirty);
	watch_diagnose(&w, 1034);
	assert_int_equal(ev.active, 1);
	watch_dispose(&w);
	runbook_free(rb);
}

/* SOFT failures do not reach the diagnosis: it reads HARD results. */
static void
test_diagnosis_reads_hard(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;

	(void)state;
	init(&w, rb, &ev);
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1001);
	watch_result(&w, 0, result("edge", "ok", 0.001), 0, 1001);
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1002);
	watch_diagnose(&w, 1002);
	assert_int_equal(ev.active, 0);
	assert_string_equal(json_string_value(json_object_get(
	    watch_diagnosis(&w), "status")), "healthy");
	watch_dispose(&w);
	runbook_free(rb);
}

static void
test_stale_and_health(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;
	json_t *h;
	int status;

	(void)state;
	init(&w, rb, &ev);
	/* interval 30 s: the limit is max(60 s, 120 s). */
	assert_true(watch_stale_limit(&w) == 120);
	assert_false(watch_stale(&w, 1100));
	assert_true(watch_stale(&w, 1121));
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1200);
	h = watch_health(&w, 1250, &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(h, "status")),
	    "ok");
	assert_non_null(json_string_value(json_object_get(h,
	    "poller_last_poll_at")));
	json_decref(h);
	h = watch_health(&w, 1321, &status);
	assert_int_equal(status, 503);
	assert_string_equal(json_string_value(json_object_get(h, "status")),
	    "stale");
	json_decref(h);
	/* Paused is not stale. */
	w.paused = 1;
	h = watch_health(&w, 1321, &status);
	assert_int_equal(status, 200);
	assert_string_equal(json_string_value(json_object_get(h, "status")),
	    "paused");
	json_decref(h);
	watch_dispose(&w);
	runbook_free(rb);
}

static void
test_status_document(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;
	json_t *doc, *p;
	char *text;

	(void)state;
	init(&w, rb, &ev);
	watch_result(&w, 0, result("edge", "ok", 0.002), 0.004, 1001);
	watch_result(&w, 0, result("edge", "critical", 0.003), 0, 1002);
	watch_diagnose(&w, 1002);
	text = watch_status_text(&w, 1003);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc,
	    "runbook")), "t");
	assert_int_equal(json_array_size(json_object_get(doc, "probes")), 2);
	p = json_array_get(json_object_get(doc, "probes"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "state")),
	    "critical");
	assert_string_equal(json_string_value(json_object_get(p,
	    "hard_state")), "ok");
	assert_string_equal(json_string_value(json_object_get(p,
	    "state_type")), "soft");
	assert_int_equal(json_integer_value(json_object_get(p, "attempt")), 1);
	assert_int_equal(json_integer_value(json_object_get(p, "retries")), 3);
	assert_string_equal(json_string_value(json_object_get(p, "reason")),
	    "connection_refused");
	assert_int_equal(json_array_size(json_object_get(p,
	    "latency_history")), 2);
	/* app has no result yet. */
	p = json_array_get(json_object_get(doc, "probes"), 1);
	assert_true(json_is_null(json_object_get(p, "checked_at")));
	assert_string_equal(json_string_value(json_object_get(doc, "status")),
	    "ok");
	assert_true(json_is_array(json_object_get(doc, "failures")));
	assert_int_equal(json_array_size(json_object_get(doc, "changes")), 1);
	assert_true(json_is_number(json_object_get(json_object_get(doc,
	    "scheduler"), "lag_p99_ms")));
	json_decref(doc);
	watch_dispose(&w);
	runbook_free(rb);
}

/* An ok result keeps the common fields and what the conditions read of it
 * (app.status in the guard; edge in the tree and the symptom only through
 * .ok); a failing one keeps everything, for the evidence. */
static void
test_kept_fields(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;
	json_t *r;

	(void)state;
	init(&w, rb, &ev);
	r = result("app", "ok", 0.001);
	json_object_set_new(r, "status", json_integer(200));
	json_object_set_new(r, "headers", json_pack("{s:s}", "server", "x"));
	watch_result(&w, 1, r, 0, 1001);
	r = w.probes[1].result;
	assert_int_equal(json_integer_value(json_object_get(r, "status")), 200);
	assert_null(json_object_get(r, "headers"));
	assert_string_equal(json_string_value(json_object_get(r, "id")), "app");
	assert_non_null(json_object_get(r, "checked_at"));
	assert_ptr_equal(json_object_get(w.hard_by_id, "app"), r);

	r = result("edge", "ok", 0.001);
	json_object_set_new(r, "status", json_integer(200));
	watch_result(&w, 0, r, 0, 1001);
	assert_null(json_object_get(w.probes[0].result, "status"));

	r = result("edge", "critical", 0.001);
	json_object_set_new(r, "status", json_integer(502));
	json_object_set_new(r, "headers", json_pack("{s:s}", "server", "x"));
	watch_result(&w, 0, r, 0, 1002);
	assert_ptr_equal(w.probes[0].result, r);
	assert_non_null(json_object_get(w.probes[0].result, "headers"));
	watch_dispose(&w);
	runbook_free(rb);
}

/* Acknowledgements: refused while ok, kept while failing (and over a
 * reload), ended by the recovery; a failure mode's by its resolution. */
static void
test_acks(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w, nw;
	json_t *ack = json_pack("{s:s}", "by", "alice");
	char *text;
	json_t *doc;

	(void)state;
	init(&w, rb, &ev);
	assert_int_equal(watch_ack_probe(&w, 1, json_incref(ack)), -1);
	assert_null(w.probes[1].ack);
	assert_int_equal(watch_ack_failure(&w, "edge-down", json_incref(ack)),
	    -1);
	assert_int_equal(watch_ack_failure(&w, "edge-down", NULL), 0);

	/* app fails at once (retries 1); edge-down needs edge down, app up. */
	watch_result(&w, 1, result("app", "critical", 0.001), 0, 1001);
	assert_int_equal(watch_ack_probe(&w, 1, json_incref(ack)), 0);
	assert_ptr_equal(w.probes[1].ack, ack);
	watch_result(&w, 1, result("app", "critical", 0.001), 0, 1002);
	assert_ptr_equal(w.probes[1].ack, ack);

	/* It survives a reload. */
	watch_init(&nw, rb, 1002, 120, NULL);
	watch_adopt(&nw, &w);
	watch_dispose(&w);
	w = nw;
	assert_ptr_equal(w.probes[1].ack, ack);
	text = watch_status_text(&w, 1003);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(doc, "probes"), 1), "ack"), "by")),
	    "alice");
	assert_true(json_is_null(json_object_get(json_array_get(
	    json_object_get(doc, "probes"), 0), "ack")));
	json_decref(doc);

	/* The recovery ends it. */
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1004);
	assert_null(w.probes[1].ack);

	/* A failure mode's: while active; resolution ends it. */
	w.hooks.failure_changed = NULL;
	w.hooks.probe_changed = NULL;
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1005);
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1006);
	watch_result(&w, 0, result("edge", "critical", 0.001), 0, 1007);
	watch_diagnose(&w, 1007);
	assert_non_null(json_object_get(w.active, "edge-down"));
	assert_int_equal(watch_ack_failure(&w, "edge-down", json_incref(ack)),
	    0);
	text = watch_status_text(&w, 1008);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(doc, "failures"), 0), "ack"),
	    "by")), "alice");
	json_decref(doc);
	watch_result(&w, 0, result("edge", "ok", 0.001), 0, 1009);
	watch_diagnose(&w, 1009);
	assert_null(json_object_get(w.acks, "edge-down"));
	json_decref(ack);
	watch_dispose(&w);
	runbook_free(rb);
}

static void
test_metrics_text(void **state)
{
	struct runbook *rb = load();
	struct events ev = { 0 };
	struct watch w;
	char *m;

	(void)state;
	init(&w, rb, &ev);
	watch_result(&w, 0, result("edge", "ok", 0.002), 0.004, 1001);
	watch_diagnose(&w, 1001);
	m = watch_metrics(&w, 1002);
	assert_non_null(strstr(m, "# TYPE triage_probe_latency_seconds "
	    "histogram\n"));
	assert_non_null(strstr(m, "triage_probe_up{runbook=\"t\",probe=\"edge\","
	    "layer=\"edge\",kind=\"tcp\"} 1\n"));
	assert_non_null(strstr(m, "triage_probe_latency_seconds_bucket{runbook="
	    "\"t\",probe=\"edge\",layer=\"edge\",kind=\"tcp\",le=\"0.0025\"} "
	    "1\n"));
	assert_non_null(strstr(m, "triage_probe_latency_seconds_bucket{runbook="
	    "\"t\",probe=\"edge\",layer=\"edge\",kind=\"tcp\",le=\"0.001\"} "
	    "0\n"));
	assert_non_null(strstr(m, "triage_probe_latency_seconds_count{runbook="
	    "\"t\",probe=\"edge\",layer=\"edge\",kind=\"tcp\"} 1\n"));
	assert_non_null(strstr(m, "triage_failure_active{runbook=\"t\","
	    "failure=\"edge-down\",layer=\"edge\"} 0\n"));
	assert_non_null(strstr(m, "triage_scheduler_lag_seconds_bucket{runbook="
	    "\"t\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(m, "triage_last_poll_timestamp_seconds{runbook="
	    "\"t\"} 1001.000\n"));
	free(m);
	watch_dispose(&w);
	runbook_free(rb);
}

static void
test_adopt(void **state)
{
	struct runbook *rb = load(), *rb2 = load();
	struct events ev = { 0 };
	struct watch w, w2;

	(void)state;
	init(&w, rb, &ev);
	watch_result(&w, 1, result("app", "ok", 0.001), 0, 1001);
	for (int i = 0; i < 3; i++)
		watch_result(&w, 0, result("edge", "critical", 0.001), 0,
		    1002 + i);
	watch_diagnose(&w, 1005);
	assert_int_equal(ev.active, 1);
	init(&w2, rb2, &ev);
	watch_adopt(&w2, &w);
	watch_dispose(&w);
	assert_int_equal(w2.probes[0].hard, STATE_CRITICAL);
	assert_non_null(json_object_get(w2.hard_by_id, "edge"));
	/* Still active: no new activation, no resolution. */
	watch_diagnose(&w2, 1006);
	assert_int_equal(ev.active, 1);
	assert_int_equal(ev.resolved, 0);
	watch_dispose(&w2);
	runbook_free(rb);
	runbook_free(rb2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soft_then_hard),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_diagnosis_hooks),
		cmocka_unit_test(test_first_result_rediagnoses),
		cmocka_unit_test(test_diagnosis_reads_hard),
		cmocka_unit_test(test_stale_and_health),
		cmocka_unit_test(test_status_document),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_kept_fields),
		cmocka_unit_test(test_acks),
		cmocka_unit_test(test_adopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

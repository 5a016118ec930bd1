/* SPDX-License-Identifier: MIT */
/* Tests for the probe scheduler (engine.c): results, expect/warn/severity,
 * needs, skips, timeouts, concurrency, progress, interruption and
 * redaction, with command probes from runbooks loaded from strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "loop.h"
#include "runbook.h"
#include "util/proc.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define SECRET_VALUE "s3cr3t-Hunter2-value"

struct fixture {
	char dir[64];
};

static int
group_setup(void **state)
{
	(void)state;
	/* Children must be ours to reap, as in main(). */
	proc_init();
	unsetenv("TRIAGE_TEST_SURELY_UNSET");
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-engine-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	char path[sizeof(f->dir) + sizeof(de->d_name) + 1];
	DIR *d = opendir(f->dir);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, de->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct runbook *load(const char *fmt, ...) PRINTFLIKE(1, 2);

/* The runbook in fmt; it must load cleanly. */
static struct runbook *
load(const char *fmt, ...)
{
	struct runbook *rb = NULL;
	struct diags d;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	diags_init(&d);
	if (runbook_load_string("test.yaml", text, strlen(text), &rb,
	    &d) != 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "%s\n", text);
		diags_dispose(&d);
		free(text);
		fail_msg("the runbook does not load");
	}
	diags_dispose(&d);
	free(text);
	return rb;
}

/* Runs the probes of rb named in ids (NULL: all of them). */
static json_t *
run(const struct runbook *rb, const char *const *ids,
    const struct engine_opts *opts)
{
	struct probe **probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	size_t i, n = 0;
	json_t *results;

	for (i = 0; ids == NULL && i < rb->nprobes; i++)
		probes[n++] = &rb->probes[i];
	for (i = 0; ids != NULL && ids[i] != NULL; i++) {
		long k = runbook_probe_index(rb, ids[i]);

		assert_true(k >= 0);
		probes[n++] = &rb->probes[k];
	}
	results = engine_run(rb, probes, n, opts);
	free(probes);
	assert_non_null(results);
	assert_int_equal(json_object_size(results), n);
	return results;
}

static json_t *
result(json_t *results, const char *id)
{
	json_t *r = json_object_get(results, id);

	if (!json_is_object(r))
		fail_msg("no result for \"%s\"", id);
	return r;
}

static const char *
field_str(json_t *results, const char *id, const char *key)
{
	return json_string_value(json_object_get(result(results, id), key));
}

static double
field_num(json_t *results, const char *id, const char *key)
{
	json_t *v = json_object_get(result(results, id), key);

	if (!json_is_number(v))
		fail_msg("%s.%s is not a number", id, key);
	return json_number_value(v);
}

#define assert_state(results, id, state, reason) do {			\
	const char *s_ = field_str((results), (id), "state");		\
	const char *r_ = field_str((results), (id), "reason");		\
	const char *want_ = (reason);					\
	if (s_ == NULL || strcmp(s_, (state)) != 0)			\
		fail_msg("%s: state %s, expected %s (reason %s)", (id),	\
		    s_ ? s_ : "(none)", (state), r_ ? r_ : "null");	\
	if (want_ == NULL ? r_ != NULL : r_ == NULL ||			\
	    strcmp(r_, want_) != 0)					\
		fail_msg("%s: reason \"%s\", expected \"%s\"", (id),	\
		    r_ ? r_ : "null", want_ ? want_ : "null");		\
} while (0)

/* A timestamp a probe wrote with `date +%s.%N > DIR/NAME`. */
static double
stamp(const struct fixture *f, const char *name)
{
	char path[128], line[64];
	double t;
	FILE *fp;
	char *end;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("no timestamp %s", path);
	if (fgets(line, sizeof(line), fp) == NULL)
		line[0] = '\0';
	fclose(fp);
	t = strtod(line, &end);
	if (end == line)
		fail_msg("bad timestamp in %s: \"%s\"", path, line);
	return t;
}

/* A shell probe line: stamps ID.start, sleeps, stamps ID.end. */
#define STAMPED(id, secs, extra)					\
	"  " id ": { shell: 'date +%%s.%%N > {{dir}}/" id ".start; "	\
	"sleep " secs "; date +%%s.%%N > {{dir}}/" id ".end'" extra " }\n"

static void
test_empty(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n  a: { command: "
	    "[\"true\"] }\n");
	json_t *results;

	(void)state;
	results = engine_run(rb, NULL, 0, NULL);
	assert_non_null(results);
	assert_int_equal(json_object_size(results), 0);
	assert_int_equal(engine_worst(results), STATE_OK);
	json_decref(results);
	runbook_free(rb);
}

/* id, layer, kind, ok, state, reason, latency_ms, latency, checked_at, in
 * that order, then the kind's fields. */
static void
test_result_shape(void **state)
{
	static const char *const keys[] = {
		"id", "layer", "kind", "ok", "state", "reason", "latency_ms",
		"latency", "checked_at",
	};
	static const char *const ids[] = { "a", "b", NULL };
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  a: { layer: app, command: [echo, hello] }\n"
	    "  b: { command: [echo, \"{{env.TRIAGE_TEST_SURELY_UNSET}}\"] }\n");
	double before = time_now(), after, t;
	json_t *results = run(rb, NULL, NULL), *r, *v;
	const char *key;
	size_t i, k;
	void *it;

	(void)state;
	after = time_now();
	for (i = 0; ids[i] != NULL; i++) {
		r = result(results, ids[i]);
		it = json_object_iter(r);
		for (k = 0; k < ARRAY_LEN(keys); k++) {
			assert_non_null(it);
			assert_string_equal(json_object_iter_key(it), keys[k]);
			it = json_object_iter_next(r, it);
		}
		/* A probe that ran has its kind's fields after those. */
		if (strcmp(ids[i], "a") == 0)
			assert_non_null(it);
		else
			assert_null(it);
	}

	r = result(results, "a");
	assert_string_equal(field_str(results, "a", "id"), "a");
	assert_string_equal(field_str(results, "a", "layer"), "app");
	assert_string_equal(field_str(results, "a", "kind"), "command");
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_state(results, "a", "ok", NULL);
	assert_true(json_is_null(json_object_get(r, "reason")));
	assert_string_equal(field_str(results, "a", "stdout"), "hello");
	assert_int_equal(json_integer_value(json_object_get(r, "exit")), 0);
	/* The kind's fields follow the common ones. */
	json_object_foreach(r, key, v) {
		if (strcmp(key, "checked_at") == 0)
			break;
		assert_string_not_equal(key, "stdout");
		assert_string_not_equal(key, "exit");
	}
	assert_true(json_is_real(json_object_get(r, "latency")));
	assert_true(field_num(results, "a", "latency") >= 0);
	assert_true(field_num(results, "a", "latency") < 30);
	assert_true(fabs(field_num(results, "a", "latency_ms") -
	    field_num(results, "a", "latency") * 1000) <= 0.11);
	assert_int_equal(time_parse_iso8601(field_str(results, "a",
	    "checked_at"), &t), 0);
	assert_true(t >= before - 0.002 && t <= after + 0.002);
	assert_int_equal(strlen(field_str(results, "a", "checked_at")), 24);

	/* A skipped probe: the same keys, no latency, default layer. */
	r = result(results, "b");
	assert_string_equal(field_str(results, "b", "layer"), "default");
	assert_true(json_is_false(json_object_get(r, "ok")));
	assert_true(json_is_null(json_object_get(r, "latency")));
	assert_true(json_is_null(json_object_get(r, "latency_ms")));
	assert_int_equal(time_parse_iso8601(field_str(results, "b",
	    "checked_at"), &t), 0);
	json_decref(results);
	runbook_free(rb);
}

static void
test_expect(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  fails: { command: [\"false\"], expect: exit == 0 }\n"
	    "  holds: { command: [echo, hi], expect: ['exit == 0', "
	    "'stdout == \"hi\"'] }\n"
	    "  second: { command: [echo, hi], expect: ['exit == 0', "
	    "'stdout == \"ho\"'] }\n"
	    "  overrides: { command: [\"false\"], expect: exit == 1 }\n");
	json_t *results = run(rb, NULL, NULL);

	(void)state;
	assert_state(results, "fails", "critical", "expected exit == 0, got 1");
	assert_true(json_is_false(json_object_get(result(results, "fails"),
	    "ok")));
	assert_state(results, "holds", "ok", NULL);
	/* The first expectation that fails names itself. */
	assert_state(results, "second", "critical",
	    "expected stdout == \"ho\", got \"hi\"");
	/* expect replaces the kind's own verdict (exit 1 is failure). */
	assert_state(results, "overrides", "ok", NULL);
	assert_int_equal(engine_worst(results), STATE_CRITICAL);
	json_decref(results);
	runbook_free(rb);
}

static void
test_warn(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  w: { command: [echo, hi], warn: 'stdout == \"hi\"' }\n"
	    "  quiet: { command: [echo, hi], warn: 'stdout == \"ho\"' }\n"
	    "  both: { command: [echo, \"7\"], expect: exit == 0, "
	    "warn: ['exit > 0', 'number(stdout) > 5'] }\n"
	    "  failed: { command: [\"false\"], expect: exit == 0, "
	    "warn: exit == 1 }\n");
	json_t *results = run(rb, NULL, NULL);

	(void)state;
	assert_state(results, "w", "warning", "stdout == \"hi\" (\"hi\")");
	assert_true(json_is_true(json_object_get(result(results, "w"),
	    "ok")));
	assert_state(results, "quiet", "ok", NULL);
	assert_state(results, "both", "warning", "number(stdout) > 5 (\"7\")");
	/* A failed expect is not downgraded by a warn that holds. */
	assert_state(results, "failed", "critical",
	    "expected exit == 0, got 1");
	json_decref(results);
	runbook_free(rb);
}

static void
test_severity(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  expect_warn: { command: [\"false\"], expect: exit == 0, "
	    "severity: warning }\n"
	    "  verdict_warn: { command: [sh, -c, 'echo disk full >&2; "
	    "exit 2'], severity: warning }\n"
	    "  expect_unknown: { command: [\"false\"], expect: exit == 0, "
	    "severity: unknown }\n"
	    "  verdict_crit: { command: [\"false\"] }\n"
	    "  fine: { command: [\"true\"], severity: warning }\n");
	json_t *results = run(rb, NULL, NULL);

	(void)state;
	assert_state(results, "expect_warn", "warning",
	    "expected exit == 0, got 1");
	assert_true(json_is_true(json_object_get(result(results,
	    "expect_warn"), "ok")));
	assert_state(results, "verdict_warn", "warning", "exit 2: disk full");
	assert_state(results, "expect_unknown", "unknown",
	    "expected exit == 0, got 1");
	assert_true(json_is_false(json_object_get(result(results,
	    "expect_unknown"), "ok")));
	assert_state(results, "verdict_crit", "critical", "exit 1");
	assert_state(results, "fine", "ok", NULL);
	json_decref(results);
	runbook_free(rb);
}

/* probe.h: after probe_run_error "the result is critical with this reason
 * whatever expect says"; DESIGN.md 3: an error that prevents the check
 * gives critical. */
static void
test_severity_does_not_soften_errors(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  missing: { command: [triage-no-such-command-xyz], "
	    "severity: warning }\n"
	    "  slow: { command: [sleep, \"10\"], timeout: 300ms, "
	    "severity: warning }\n");
	json_t *results = run(rb, NULL, NULL);
	const char *missing = field_str(results, "missing", "state");
	const char *slow = field_str(results, "slow", "state");
	int critical;

	(void)state;
	assert_non_null(missing);
	assert_non_null(slow);
	assert_string_equal(field_str(results, "slow", "reason"),
	    "timeout after 300ms");
	critical = strcmp(missing, "critical") == 0 &&
	    strcmp(slow, "critical") == 0;
	json_decref(results);
	runbook_free(rb);
	assert_true(critical);
}

/* A dependent starts only after its need has finished. */
static void
test_needs_order(void **state)
{
	struct fixture *f = *state;
	struct runbook *rb = load("runbook: t\nvars: { dir: \"%s\" }\n"
	    "probes:\n"
	    STAMPED("a", "0.3", "")
	    STAMPED("b", "0", ", needs: a")
	    STAMPED("c", "0", ", needs: [a, b]")
	    STAMPED("free", "0", ""), f->dir);
	json_t *results = run(rb, NULL, NULL);

	assert_state(results, "a", "ok", NULL);
	assert_state(results, "b", "ok", NULL);
	assert_state(results, "c", "ok", NULL);
	assert_true(stamp(f, "b.start") >= stamp(f, "a.end"));
	assert_true(stamp(f, "c.start") >= stamp(f, "a.end"));
	assert_true(stamp(f, "c.start") >= stamp(f, "b.end"));
	/* A probe with no needs does not wait for a. */
	assert_true(stamp(f, "free.start") < stamp(f, "a.end"));
	json_decref(results);
	runbook_free(rb);
}

/* a fails: b (needs a) and c (needs b) are skipped, naming their own
 * need; d needs an ok probe and a failed one. */
static void
test_needs_skip_chain(void **state)
{
	struct fixture *f = *state;
	struct runbook *rb = load("runbook: t\nvars: { dir: \"%s\" }\n"
	    "probes:\n"
	    "  a: { command: [\"false\"] }\n"
	    "  good: { command: [\"true\"] }\n"
	    STAMPED("b", "0", ", needs: a")
	    STAMPED("c", "0", ", needs: b")
	    "  d: { command: [\"true\"], needs: [good, a] }\n"
	    "  e: { command: [\"true\"], needs: [good] }\n", f->dir);
	json_t *results = run(rb, NULL, NULL);
	char path[128];

	assert_state(results, "a", "critical", "exit 1");
	assert_state(results, "b", "skipped", "skipped: needs a");
	assert_state(results, "c", "skipped", "skipped: needs b");
	assert_state(results, "d", "skipped", "skipped: needs a");
	assert_state(results, "e", "ok", NULL);
	assert_true(json_is_false(json_object_get(result(results, "b"),
	    "ok")));
	/* Skipped probes never ran. */
	snprintf(path, sizeof(path), "%s/b.start", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/c.start", f->dir);
	assert_int_equal(access(path, F_OK), -1);
	/* Skipped counts as ok; a's failure is what shows. */
	assert_int_equal(engine_worst(results), STATE_CRITICAL);
	json_decref(results);
	runbook_free(rb);
}

/* A need in warning (ok: true) is met; a skipped need is not. */
static void
test_needs_warning_and_skipped(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  w: { command: [\"true\"], warn: exit == 0 }\n"
	    "  after_w: { command: [\"true\"], needs: w }\n"
	    "  s: { command: [echo, \"{{env.TRIAGE_TEST_SURELY_UNSET}}\"] }\n"
	    "  after_s: { command: [\"true\"], needs: s }\n"
	    "  soft: { command: [\"false\"], severity: warning }\n"
	    "  after_soft: { command: [\"true\"], needs: soft }\n");
	json_t *results = run(rb, NULL, NULL);

	(void)state;
	assert_state(results, "w", "warning", "exit == 0 (0)");
	assert_state(results, "after_w", "ok", NULL);
	assert_state(results, "s", "skipped",
	    "skipped: TRIAGE_TEST_SURELY_UNSET unset");
	assert_state(results, "after_s", "skipped", "skipped: needs s");
	assert_state(results, "soft", "warning", "exit 1");
	assert_state(results, "after_soft", "ok", NULL);
	json_decref(results);
	runbook_free(rb);
}

/* A need that is not among the probes run counts as unmet. */
static void
test_needs_not_given(void **state)
{
	static const char *const only_b[] = { "b", "c", NULL };
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"true\"], needs: a }\n"
	    "  c: { command: [\"true\"], needs: b }\n");
	json_t *results = run(rb, only_b, NULL);

	(void)state;
	assert_null(json_object_get(results, "a"));
	assert_state(results, "b", "skipped", "skipped: needs a");
	assert_state(results, "c", "skipped", "skipped: needs b");
	json_decref(results);
	runbook_free(rb);
}

static void
test_missing_env(void **state)
{
	struct runbook *rb;
	json_t *results;

	(void)state;
	setenv("TRIAGE_TEST_EMPTY", "", 1);
	setenv("TRIAGE_TEST_SET", "value-1", 1);
	rb = load("runbook: t\nprobes:\n"
	    "  unset: { command: [echo, \"{{env.TRIAGE_TEST_SURELY_UNSET}}\"] "
	    "}\n"
	    "  empty: { shell: 'echo {{env.TRIAGE_TEST_EMPTY}}' }\n"
	    "  set: { command: [echo, \"{{env.TRIAGE_TEST_SET}}\"] }\n");
	results = run(rb, NULL, NULL);
	assert_state(results, "unset", "skipped",
	    "skipped: TRIAGE_TEST_SURELY_UNSET unset");
	assert_state(results, "empty", "skipped",
	    "skipped: TRIAGE_TEST_EMPTY unset");
	assert_state(results, "set", "ok", NULL);
	assert_string_equal(field_str(results, "set", "stdout"), "value-1");
	json_decref(results);
	runbook_free(rb);
	unsetenv("TRIAGE_TEST_EMPTY");
	unsetenv("TRIAGE_TEST_SET");
}

static void
test_requires(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  abs_missing: { command: [\"true\"], requires: "
	    "/nonexistent/triage-test-xyz }\n"
	    "  cmd_missing: { command: [\"true\"], requires: "
	    "[sh, triage-no-such-command-xyz] }\n"
	    "  present: { command: [echo, ran], requires: [sh, /bin/sh, "
	    "/tmp] }\n");
	json_t *results = run(rb, NULL, NULL);

	(void)state;
	assert_state(results, "abs_missing", "skipped",
	    "skipped: requires /nonexistent/triage-test-xyz");
	assert_state(results, "cmd_missing", "skipped",
	    "skipped: requires triage-no-such-command-xyz");
	assert_state(results, "present", "ok", NULL);
	assert_string_equal(field_str(results, "present", "stdout"), "ran");
	json_decref(results);
	runbook_free(rb);
}

static void
test_timeout(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  slow: { command: [sleep, \"10\"], timeout: 1s }\n"
	    "  slower: { command: [sleep, \"10\"], timeout: 1500ms }\n"
	    "  quick: { command: [\"true\"], timeout: 1s }\n");
	double t0 = time_mono(), took;
	json_t *results = run(rb, NULL, NULL);

	(void)state;
	took = time_mono() - t0;
	assert_state(results, "slow", "critical", "timeout after 1s");
	assert_state(results, "slower", "critical", "timeout after 1.5s");
	assert_state(results, "quick", "ok", NULL);
	assert_true(field_num(results, "slow", "latency") >= 0.99);
	assert_true(field_num(results, "slow", "latency") < 2.5);
	assert_true(field_num(results, "slower", "latency") >= 1.49);
	assert_true(field_num(results, "slower", "latency") < 3);
	assert_true(field_num(results, "slow", "latency_ms") >= 990);
	/* Concurrent: not 2.5 s. */
	assert_true(took < 2.4);
	json_decref(results);
	runbook_free(rb);
}

#define THREE_SLEEPERS							\
	"runbook: t\nvars: { dir: \"%s\" }\nprobes:\n"			\
	STAMPED("p1", "0.2", "")					\
	STAMPED("p2", "0.2", "")					\
	STAMPED("p3", "0.2", "")

static void
test_jobs_one_is_serial(void **state)
{
	static const char *const names[][2] = {
		{ "p1.start", "p1.end" }, { "p2.start", "p2.end" },
		{ "p3.start", "p3.end" },
	};
	struct fixture *f = *state;
	struct runbook *rb = load(THREE_SLEEPERS, f->dir);
	struct engine_opts opts = { .jobs = 1 };
	double start[3], end[3];
	json_t *results = run(rb, NULL, &opts);
	size_t i, j;

	for (i = 0; i < 3; i++) {
		start[i] = stamp(f, names[i][0]);
		end[i] = stamp(f, names[i][1]);
	}
	/* No two runs overlap. */
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			if (i != j && start[j] >= start[i])
				assert_true(start[j] >= end[i]);
		}
	}
	assert_int_equal(engine_worst(results), STATE_OK);
	json_decref(results);
	runbook_free(rb);
}

static void
test_jobs_many_is_concurrent(void **state)
{
	struct fixture *f = *state;
	struct runbook *rb = load(THREE_SLEEPERS, f->dir);
	struct engine_opts opts = { .jobs = 3 };
	double last_start, first_end;
	json_t *results = run(rb, NULL, &opts);

	last_start = fmax(stamp(f, "p1.start"), fmax(stamp(f, "p2.start"),
	    stamp(f, "p3.start")));
	first_end = fmin(stamp(f, "p1.end"), fmin(stamp(f, "p2.end"),
	    stamp(f, "p3.end")));
	/* All three were running at once. */
	assert_true(last_start < first_end);
	json_decref(results);
	runbook_free(rb);

	/* jobs = 2: at most two at once, so some run starts after another
	 * ended, and two overlap. */
	rb = load(THREE_SLEEPERS, f->dir);
	opts.jobs = 2;
	results = run(rb, NULL, &opts);
	last_start = fmax(stamp(f, "p1.start"), fmax(stamp(f, "p2.start"),
	    stamp(f, "p3.start")));
	first_end = fmin(stamp(f, "p1.end"), fmin(stamp(f, "p2.end"),
	    stamp(f, "p3.end")));
	assert_true(last_start >= first_end);
	assert_true(fmax(stamp(f, "p1.start"), stamp(f, "p2.start")) <
	    fmin(stamp(f, "p1.end"), stamp(f, "p2.end")));
	json_decref(results);
	runbook_free(rb);
}

struct progress {
	size_t calls;
	size_t last_done;
	size_t total;
	int in_order;		/* done went 1, 2, 3, ... */
	int matches;		/* result belongs to p */
	json_t *seen;		/* id -> times reported */
	const char *trigger;	/* set *flag when this probe finishes */
	volatile sig_atomic_t *flag;
};

static void
on_progress(void *arg, size_t done, size_t total, const struct probe *p,
    json_t *r)
{
	struct progress *pr = arg;
	json_t *n;

	pr->calls++;
	if (done != pr->last_done + 1)
		pr->in_order = 0;
	pr->last_done = done;
	pr->total = total;
	if (p == NULL || r == NULL || strcmp(json_string_value(
	    json_object_get(r, "id")), p->id) != 0)
		pr->matches = 0;
	if (p == NULL)
		return;
	n = json_object_get(pr->seen, p->id);
	json_object_set_new(pr->seen, p->id, json_integer(n != NULL ?
	    json_integer_value(n) + 1 : 1));
	if (pr->trigger != NULL && strcmp(p->id, pr->trigger) == 0)
		*pr->flag = 1;
}

static void
progress_init(struct progress *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->in_order = 1;
	pr->matches = 1;
	pr->seen = json_object();
}

static void
test_progress(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"false\"] }\n"
	    "  c: { command: [\"true\"], needs: b }\n"
	    "  d: { command: [echo, \"{{env.TRIAGE_TEST_SURELY_UNSET}}\"] }\n"
	    "  e: { command: [\"true\"], needs: [a] }\n");
	struct engine_opts opts = { .progress = on_progress };
	struct progress pr;
	const char *key;
	json_t *results, *v;

	(void)state;
	progress_init(&pr);
	opts.progress_arg = &pr;
	results = run(rb, NULL, &opts);
	assert_int_equal(pr.calls, 5);
	assert_int_equal(pr.last_done, 5);
	assert_int_equal(pr.total, 5);
	assert_true(pr.in_order);
	assert_true(pr.matches);
	assert_int_equal(json_object_size(pr.seen), 5);
	json_object_foreach(pr.seen, key, v)
		assert_int_equal(json_integer_value(v), 1);
	json_decref(pr.seen);
	json_decref(results);
	runbook_free(rb);
}

/* Interrupted while one probe runs and one waits for it: the running one
 * is cancelled ("interrupted"), the waiting one skipped. */
static void
test_interrupted(void **state)
{
	static volatile sig_atomic_t flag;
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  fast: { command: [\"true\"] }\n"
	    "  slow: { command: [sleep, \"20\"], timeout: 30s }\n"
	    "  waiting: { command: [\"true\"], needs: slow }\n");
	struct engine_opts opts = { .progress = on_progress,
	    .interrupted = &flag };
	struct progress pr;
	double t0 = time_mono();
	json_t *results;

	(void)state;
	flag = 0;
	progress_init(&pr);
	pr.trigger = "fast";
	pr.flag = &flag;
	opts.progress_arg = &pr;
	results = run(rb, NULL, &opts);
	assert_true(time_mono() - t0 < 5);
	assert_state(results, "fast", "ok", NULL);
	assert_state(results, "slow", "critical", "interrupted");
	assert_true(field_num(results, "slow", "latency") < 5);
	assert_state(results, "waiting", "skipped", "skipped: interrupted");
	assert_int_equal(pr.last_done, 3);
	json_decref(pr.seen);
	json_decref(results);
	runbook_free(rb);
}

/* With jobs = 1, a probe queued behind a running one is skipped too. */
static void
test_interrupted_queue(void **state)
{
	static volatile sig_atomic_t flag;
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  fast: { command: [\"true\"] }\n"
	    "  slow: { command: [sleep, \"20\"], timeout: 30s }\n"
	    "  queued: { command: [\"true\"] }\n");
	struct engine_opts opts = { .jobs = 1, .progress = on_progress,
	    .interrupted = &flag };
	struct progress pr;
	double t0 = time_mono();
	json_t *results;

	(void)state;
	flag = 0;
	progress_init(&pr);
	pr.trigger = "fast";
	pr.flag = &flag;
	opts.progress_arg = &pr;
	results = run(rb, NULL, &opts);
	assert_true(time_mono() - t0 < 5);
	assert_state(results, "fast", "ok", NULL);
	assert_state(results, "slow", "critical", "interrupted");
	assert_state(results, "queued", "skipped", "skipped: interrupted");
	assert_int_equal(engine_worst(results), STATE_CRITICAL);
	json_decref(pr.seen);
	json_decref(results);
	runbook_free(rb);
}

/* engine_opts: "Called after each probe finishes"; probes skipped for
 * other reasons are reported, so interrupted ones should be too. */
static void
test_interrupted_progress_complete(void **state)
{
	static volatile sig_atomic_t flag;
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  fast: { command: [\"true\"] }\n"
	    "  slow: { command: [sleep, \"20\"], timeout: 30s }\n"
	    "  waiting: { command: [\"true\"], needs: slow }\n");
	struct engine_opts opts = { .progress = on_progress,
	    .interrupted = &flag };
	struct progress pr;
	json_t *results;

	(void)state;
	flag = 0;
	progress_init(&pr);
	pr.trigger = "fast";
	pr.flag = &flag;
	opts.progress_arg = &pr;
	results = run(rb, NULL, &opts);
	json_decref(pr.seen);
	json_decref(results);
	runbook_free(rb);
	assert_int_equal(pr.calls, 3);
	assert_true(pr.in_order);
}

static json_t *
states(const char *const *list)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		char id[32];

		snprintf(id, sizeof(id), "p%zu", i);
		json_object_set_new(o, id, json_pack("{s:s}", "state",
		    list[i]));
	}
	return o;
}

static void
test_worst(void **state)
{
	static const struct {
		const char *list[6];
		enum probe_state worst;
	} cases[] = {
		{ { NULL }, STATE_OK },
		{ { "ok", NULL }, STATE_OK },
		{ { "skipped", NULL }, STATE_OK },
		{ { "skipped", "ok", "skipped", NULL }, STATE_OK },
		{ { "ok", "warning", "skipped", NULL }, STATE_WARNING },
		{ { "warning", "unknown", "ok", NULL }, STATE_UNKNOWN },
		{ { "unknown", "warning", NULL }, STATE_UNKNOWN },
		{ { "unknown", "critical", "warning", NULL }, STATE_CRITICAL },
		{ { "critical", "unknown", NULL }, STATE_CRITICAL },
		{ { "ok", "ok", "critical", "skipped", "ok", NULL },
		    STATE_CRITICAL },
		{ { "warning", "critical", NULL }, STATE_CRITICAL },
		/* A state nobody knows is unknown. */
		{ { "ok", "bogus", NULL }, STATE_UNKNOWN },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		json_t *o = states(cases[i].list);
		enum probe_state w = engine_worst(o);

		if (w != cases[i].worst)
			fail_msg("case %zu: worst %s, expected %s", i,
			    probe_state_name(w),
			    probe_state_name(cases[i].worst));
		json_decref(o);
	}
}

static void
test_worst_missing_state(void **state)
{
	json_t *o = json_pack("{s:{s:s}, s:{s:i}, s:{}}", "a", "state", "ok",
	    "b", "state", 3, "c");

	(void)state;
	assert_int_equal(engine_worst(o), STATE_UNKNOWN);
	json_decref(o);
}

/* Secret values never reach a result: output, parsed JSON (keys too) and
 * reasons are redacted. */
static void
test_secrets_redacted(void **state)
{
	struct runbook *rb;
	json_t *results, *r;
	char *dump;

	(void)state;
	setenv("TRIAGE_TEST_SECRET", SECRET_VALUE, 1);
	rb = load("runbook: t\nsecrets: [TRIAGE_TEST_SECRET]\nprobes:\n"
	    "  out: { command: [echo, \"token={{env.TRIAGE_TEST_SECRET}}\"] }\n"
	    "  err: { shell: 'echo \"bad {{env.TRIAGE_TEST_SECRET}}\" >&2; "
	    "exit 1' }\n"
	    "  expect: { command: [echo, \"{{env.TRIAGE_TEST_SECRET}}\"], "
	    "expect: 'stdout == \"x\"' }\n"
	    "  doc: { shell: 'printf ''{\"%%s\": \"%%s\"}'' "
	    "{{env.TRIAGE_TEST_SECRET}} {{env.TRIAGE_TEST_SECRET}}' }\n");
	results = run(rb, NULL, NULL);
	assert_string_equal(field_str(results, "out", "stdout"), "token=***");
	assert_state(results, "err", "critical", "exit 1: bad ***");
	assert_string_equal(field_str(results, "err", "stderr"), "bad ***");
	assert_state(results, "expect", "critical",
	    "expected stdout == \"x\", got \"***\"");
	r = json_object_get(result(results, "doc"), "json");
	assert_true(json_is_object(r));
	assert_string_equal(json_string_value(json_object_get(r, "***")),
	    "***");
	dump = json_dumps(results, 0);
	assert_non_null(dump);
	if (strstr(dump, SECRET_VALUE) != NULL)
		fail_msg("secret in results: %s", dump);
	assert_non_null(strstr(dump, "***"));
	free(dump);
	json_decref(results);
	runbook_free(rb);
	unsetenv("TRIAGE_TEST_SECRET");
}

/* What engine_run_each handed over, in the order it did. */
struct taken {
	json_t *results;	/* array */
	size_t index[8];	/* the i of each */
	size_t n;
	size_t progress_first;	/* progress calls when the first came */
	struct progress *pr;
};

static void
on_take(void *arg, size_t i, json_t *result)
{
	struct taken *t = arg;

	if (t->n < ARRAY_LEN(t->index))
		t->index[t->n] = i;
	if (t->n == 0)
		t->progress_first = t->pr->calls;
	t->n++;
	json_array_append_new(t->results, result);
}

/* Results come out in the order of the probes, each once, as soon as those
 * before it are final: a slow first probe holds back the fast ones, which
 * finished before it. The return value is the worst state. */
static void
test_run_each_order(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  slow: { command: [sleep, \"0.3\"] }\n"
	    "  fast: { command: [\"true\"] }\n"
	    "  bad: { command: [\"false\"] }\n"
	    "  after: { command: [\"true\"], needs: bad }\n");
	struct probe *probes[4];
	struct progress pr;
	struct engine_opts opts = { .jobs = 4, .progress = on_progress,
	    .progress_arg = &pr };
	struct taken t = { json_array(), { 0 }, 0, 0, &pr };
	static const char *const ids[] = { "slow", "fast", "bad", "after" };
	enum probe_state worst;
	size_t i;

	(void)state;
	progress_init(&pr);
	for (i = 0; i < 4; i++)
		probes[i] = &rb->probes[i];
	worst = engine_run_each(rb, probes, 4, &opts, on_take, &t);
	assert_int_equal(worst, STATE_CRITICAL);
	assert_int_equal(t.n, 4);
	/* "slow" finished last; nothing came out before it. */
	assert_int_equal(t.progress_first, 4);
	for (i = 0; i < 4; i++) {
		json_t *r = json_array_get(t.results, i);

		assert_int_equal(t.index[i], i);
		assert_string_equal(json_string_value(json_object_get(r,
		    "id")), ids[i]);
	}
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(t.results, 3), "state")), "skipped");
	assert_int_equal(engine_worst(t.results), worst);
	json_decref(t.results);
	json_decref(pr.seen);
	runbook_free(rb);
}

/*
 * The poller (sched_*): intervals, needs, pause, forced polls, overruns.
 */

struct sched_log {
	const struct runbook *rb;
	json_t *results;	/* [{"id", "state", "reason", "at", "lag"}] */
	double t0;
	double max_lag;
};

static void
sched_take(void *arg, size_t i, json_t *result, double lag)
{
	struct sched_log *log = arg;

	json_array_append_new(log->results, json_pack("{s:s, s:O, s:O, s:f, "
	    "s:f}", "id", log->rb->probes[i].id, "state",
	    json_object_get(result, "state"), "reason",
	    json_object_get(result, "reason"), "at", time_mono() - log->t0,
	    "lag", lag));
	if (lag > log->max_lag)
		log->max_lag = lag;
	json_decref(result);
}

/* Runs the loop of s for secs seconds. */
static void
sched_for(struct loop *l, struct sched *s, double secs)
{
	double end = time_mono() + secs;

	while (time_mono() < end) {
		loop_run_once(l, end - time_mono());
		sched_process(s);
	}
}

static size_t
sched_count(const struct sched_log *log, const char *id, const char *state)
{
	size_t i, n = 0;
	json_t *r;

	json_array_foreach(log->results, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "id")),
		    id) == 0 && (state == NULL || strcmp(json_string_value(
		    json_object_get(r, "state")), state) == 0))
			n++;
	}
	return n;
}

static struct sched *
sched_start(const struct runbook *rb, struct loop *l, struct sched_log *log)
{
	struct probe **probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	struct sched_opts o = { 0 };
	struct sched *s;
	size_t i;

	for (i = 0; i < rb->nprobes; i++)
		probes[i] = &rb->probes[i];
	log->rb = rb;
	log->results = json_array();
	log->t0 = time_mono();
	o.take = sched_take;
	o.arg = log;
	s = sched_create(rb, probes, rb->nprobes, l, &o);
	free(probes);	/* sched_create copied the pointers */
	return s;
}

static void
test_sched_intervals(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  fast: { command: [\"true\"], interval: 200ms }\n"
	    "  slow: { command: [\"true\"], interval: 500ms }\n");
	struct loop *l = loop_create();
	struct sched_log log = { 0 };
	struct sched *s = sched_start(rb, l, &log);
	size_t fast, slow;

	(void)state;
	sched_for(l, s, 1.25);
	fast = sched_count(&log, "fast", "ok");
	slow = sched_count(&log, "slow", "ok");
	/* At once, then from one interval plus its phase on: 1 + 5 or 6,
	 * and 1 + 1 or 2. */
	assert_in_range(fast, 6, 7);
	assert_in_range(slow, 2, 3);
	assert_true(log.max_lag < 0.1);
	assert_int_equal(sched_overruns(s), 0);
	sched_free(s);
	loop_free(l);
	json_decref(log.results);
	runbook_free(rb);
}

static void
test_sched_needs(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  dep: { command: [\"true\"], needs: [base], interval: 100ms }\n"
	    "  base: { command: [sh, -c, \"sleep 0.1; exit 1\"], "
	    "interval: 100ms }\n");
	struct loop *l = loop_create();
	struct sched_log log = { 0 };
	struct sched *s = sched_start(rb, l, &log);
	json_t *first;

	(void)state;
	sched_for(l, s, 0.6);
	/* dep waited for base's first result, and is skipped, never run. */
	first = json_array_get(log.results, 0);
	assert_string_equal(json_string_value(json_object_get(first, "id")),
	    "base");
	assert_true(sched_count(&log, "dep", NULL) >= 2);
	assert_int_equal(sched_count(&log, "dep", NULL),
	    sched_count(&log, "dep", "skipped"));
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(log.results, 1), "reason")), "skipped: needs base");
	sched_free(s);
	loop_free(l);
	json_decref(log.results);
	runbook_free(rb);
}

static void
test_sched_pause_poll(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  p: { command: [\"true\"], interval: 1h }\n");
	struct loop *l = loop_create();
	struct sched_log log = { 0 };
	struct sched *s = sched_start(rb, l, &log);

	(void)state;
	sched_for(l, s, 0.2);
	assert_int_equal(sched_count(&log, "p", "ok"), 1);
	/* A forced poll runs it now, not in an hour. */
	sched_poll_now(s);
	sched_for(l, s, 0.2);
	assert_int_equal(sched_count(&log, "p", "ok"), 2);
	/* Paused: a forced poll does nothing; resuming polls at once. */
	sched_pause(s, 1);
	sched_poll_now(s);
	sched_for(l, s, 0.2);
	assert_int_equal(sched_count(&log, "p", "ok"), 2);
	sched_pause(s, 0);
	sched_for(l, s, 0.2);
	assert_int_equal(sched_count(&log, "p", "ok"), 3);
	/* Drained: nothing starts again. */
	sched_drain(s);
	sched_poll_now(s);
	sched_for(l, s, 0.2);
	assert_int_equal(sched_count(&log, "p", "ok"), 3);
	assert_int_equal(sched_running(s), 0);
	sched_free(s);
	loop_free(l);
	json_decref(log.results);
	runbook_free(rb);
}

static void
test_sched_overrun(void **state)
{
	struct runbook *rb = load("runbook: t\nprobes:\n"
	    "  slow: { command: [sleep, \"0.35\"], interval: 100ms }\n");
	struct loop *l = loop_create();
	struct sched_log log = { 0 };
	struct sched *s = sched_start(rb, l, &log);
	size_t n;

	(void)state;
	sched_for(l, s, 1.0);
	n = sched_count(&log, "slow", "ok");
	/* One run at a time: about 1 s / 0.4 s, and the runs it had to
	 * skip are counted. */
	assert_in_range(n, 2, 3);
	assert_true(sched_overruns(s) >= 4);
	sched_free(s);	/* cancels the run in flight; nothing leaks */
	loop_free(l);
	json_decref(log.results);
	runbook_free(rb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_result_shape),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_warn),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_severity_does_not_soften_errors),
		cmocka_unit_test_setup_teardown(test_needs_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_needs_skip_chain, setup,
		    teardown),
		cmocka_unit_test(test_needs_warning_and_skipped),
		cmocka_unit_test(test_needs_not_given),
		cmocka_unit_test(test_missing_env),
		cmocka_unit_test(test_requires),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test_setup_teardown(test_jobs_one_is_serial, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_jobs_many_is_concurrent,
		    setup, teardown),
		cmocka_unit_test(test_progress),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_interrupted_queue),
		cmocka_unit_test(test_interrupted_progress_complete),
		cmocka_unit_test(test_worst),
		cmocka_unit_test(test_worst_missing_state),
		cmocka_unit_test(test_secrets_redacted),
		cmocka_unit_test(test_run_each_order),
		cmocka_unit_test(test_sched_intervals),
		cmocka_unit_test(test_sched_needs),
		cmocka_unit_test(test_sched_pause_poll),
		cmocka_unit_test(test_sched_overrun),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}

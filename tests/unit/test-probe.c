/* SPDX-License-Identifier: MIT */
/* Tests for the probe kind table, states, parameters and run helpers
 * (probe.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util/xmalloc.h"

static void
test_kind_find_by_name(void **state)
{
	static const char *const names[] = {
		"http", "tcp", "tls", "command", "nagios", "file", "log",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(names); i++) {
		const struct probe_kind *k = probe_kind_find(names[i]);

		if (k == NULL)
			fail_msg("no kind \"%s\"", names[i]);
		assert_string_equal(k->name, names[i]);
		/* Every kind implements the run interface. */
		assert_non_null(k->fields);
		assert_non_null(k->start);
		assert_non_null(k->cancel);
		assert_non_null(k->finish);
	}
}

static void
test_kind_find_alias(void **state)
{
	const struct probe_kind *k = probe_kind_find("shell");

	(void)state;
	assert_non_null(k);
	assert_ptr_equal(k, probe_kind_find("command"));
	assert_string_equal(k->name, "command");
	assert_string_equal(k->alias, "shell");
}

static void
test_kind_find_unknown(void **state)
{
	static const char *const unknown[] = {
		"", "HTTP", "Http", "http ", "htt", "https", "shel", "probe",
		"default",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(unknown); i++) {
		if (probe_kind_find(unknown[i]) != NULL)
			fail_msg("\"%s\" found a kind", unknown[i]);
	}
}

/* The table is NULL-terminated, every row is found by its own name, and
 * no name or alias is used twice. */
static void
test_kind_table(void **state)
{
	size_t i, j, n;

	(void)state;
	for (n = 0; probe_kinds[n] != NULL; n++)
		assert_ptr_equal(probe_kind_find(probe_kinds[n]->name),
		    probe_kinds[n]);
	assert_true(n >= 7);
	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			const struct probe_kind *a = probe_kinds[i];
			const struct probe_kind *b = probe_kinds[j];

			assert_string_not_equal(a->name, b->name);
			if (a->alias != NULL)
				assert_string_not_equal(a->alias, b->name);
			if (b->alias != NULL)
				assert_string_not_equal(b->alias, a->name);
		}
	}
}

static void
test_state_names_round_trip(void **state)
{
	static const struct {
		enum probe_state s;
		const char *name;
	} cases[] = {
		{ STATE_OK, "ok" }, { STATE_WARNING, "warning" },
		{ STATE_CRITICAL, "critical" }, { STATE_UNKNOWN, "unknown" },
		{ STATE_SKIPPED, "skipped" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		enum probe_state back = STATE_SKIPPED;

		if (cases[i].s == STATE_SKIPPED)
			back = STATE_OK;
		assert_string_equal(probe_state_name(cases[i].s),
		    cases[i].name);
		assert_int_equal(probe_state_parse(cases[i].name, &back), 0);
		assert_int_equal(back, cases[i].s);
	}
}

static void
test_state_parse_unknown(void **state)
{
	static const char *const bad[] = {
		"", "OK", "Ok", "crit", "warn", "ok ", "skip", "none",
	};
	enum probe_state s = STATE_WARNING;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		if (probe_state_parse(bad[i], &s) != -1)
			fail_msg("\"%s\" parsed as a state", bad[i]);
	}
	assert_int_equal(s, STATE_WARNING);
	/* Out-of-range values name themselves "unknown", not garbage. */
	assert_string_equal(probe_state_name((enum probe_state)99),
	    "unknown");
	assert_string_equal(probe_state_name((enum probe_state)-1),
	    "unknown");
}

/* A reason's leading "STATE: " is dropped only for that state. */
static void
test_reason_why(void **state)
{
	const char *r = "skipped: needs pg";

	(void)state;
	assert_string_equal(probe_reason_why(r, STATE_SKIPPED), "needs pg");
	assert_ptr_equal(probe_reason_why(r, STATE_CRITICAL), r);
	assert_string_equal(probe_reason_why("skipped:needs pg",
	    STATE_SKIPPED), "skipped:needs pg");
	assert_string_equal(probe_reason_why("skippedX: y", STATE_SKIPPED),
	    "skippedX: y");
	assert_string_equal(probe_reason_why("connection_refused",
	    STATE_CRITICAL), "connection_refused");
	assert_null(probe_reason_why(NULL, STATE_SKIPPED));
}

static void
test_param_values_and_defaults(void **state)
{
	struct probe p;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.params = json_pack("{s:s, s:i, s:f, s:b, s:b, s:[s], s:n}",
	    "url", "http://x/", "count", 3, "timeout", 1.5, "follow", 1,
	    "insecure", 0, "argv", "true", "nothing");
	assert_non_null(p.params);

	assert_string_equal(probe_param_str(&p, "url", "def"), "http://x/");
	assert_string_equal(probe_param_str(&p, "absent", "def"), "def");
	assert_null(probe_param_str(&p, "absent", NULL));
	/* A value of another type gives the default. */
	assert_string_equal(probe_param_str(&p, "count", "def"), "def");
	assert_string_equal(probe_param_str(&p, "nothing", "def"), "def");

	assert_true(probe_param_num(&p, "count", -1) == 3);
	assert_true(probe_param_num(&p, "timeout", -1) == 1.5);
	assert_true(probe_param_num(&p, "absent", -1) == -1);
	assert_true(probe_param_num(&p, "url", -1) == -1);
	assert_true(probe_param_num(&p, "follow", -1) == -1);

	assert_int_equal(probe_param_bool(&p, "follow", 0), 1);
	assert_int_equal(probe_param_bool(&p, "insecure", 1), 0);
	assert_int_equal(probe_param_bool(&p, "absent", 1), 1);
	assert_int_equal(probe_param_bool(&p, "absent", 0), 0);
	assert_int_equal(probe_param_bool(&p, "count", 1), 1);

	assert_true(json_is_array(probe_param(&p, "argv")));
	assert_true(json_is_null(probe_param(&p, "nothing")));
	assert_null(probe_param(&p, "absent"));
	json_decref(p.params);

	/* No params at all: every lookup is the default. */
	p.params = NULL;
	assert_null(probe_param(&p, "url"));
	assert_string_equal(probe_param_str(&p, "url", "d"), "d");
	assert_true(probe_param_num(&p, "count", 9) == 9);
	assert_int_equal(probe_param_bool(&p, "follow", 1), 1);
}

static void
test_param_srcpos(void **state)
{
	struct param_pos pos[2] = {
		{ "url", { "rb.yaml", 4, 10 } },
		{ "timeout", { "rb.yaml", 5, 14 } },
	};
	struct probe p;
	struct srcpos s;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.pos = (struct srcpos){ "rb.yaml", 3, 3 };
	p.param_pos = pos;
	p.nparam_pos = ARRAY_LEN(pos);
	s = probe_param_srcpos(&p, "timeout");
	assert_string_equal(s.file, "rb.yaml");
	assert_int_equal(s.line, 5);
	assert_int_equal(s.col, 14);
	s = probe_param_srcpos(&p, "url");
	assert_int_equal(s.line, 4);
	assert_int_equal(s.col, 10);
	/* A key with no position falls back to the probe's own. */
	s = probe_param_srcpos(&p, "headers");
	assert_int_equal(s.line, 3);
	assert_int_equal(s.col, 3);
}

static void
test_run_error_first_wins(void **state)
{
	struct probe_run run;

	(void)state;
	memset(&run, 0, sizeof(run));
	probe_run_error(&run, "connection_refused: port %d", 5432);
	assert_string_equal(run.error, "connection_refused: port 5432");
	probe_run_error(&run, "timeout");
	assert_string_equal(run.error, "connection_refused: port 5432");
	/* An error leaves the verdict alone; the engine decides. */
	assert_int_equal(run.verdict, STATE_OK);
	assert_null(run.verdict_reason);
	free(run.error);
}

static void
test_run_verdict_replaces(void **state)
{
	struct probe_run run;

	(void)state;
	memset(&run, 0, sizeof(run));
	run.verdict = STATE_OK;
	probe_run_verdict(&run, STATE_CRITICAL, "http_%d", 502);
	assert_int_equal(run.verdict, STATE_CRITICAL);
	assert_string_equal(run.verdict_reason, "http_502");
	probe_run_verdict(&run, STATE_WARNING, "exit %d: %s", 1, "disk 85%");
	assert_int_equal(run.verdict, STATE_WARNING);
	assert_string_equal(run.verdict_reason, "exit 1: disk 85%");
	/* OK with no reason clears the old one. */
	probe_run_verdict(&run, STATE_OK, NULL);
	assert_int_equal(run.verdict, STATE_OK);
	assert_null(run.verdict_reason);
	probe_run_verdict(&run, STATE_UNKNOWN, "exit 3");
	assert_string_equal(run.verdict_reason, "exit 3");
	assert_null(run.error);
	free(run.verdict_reason);
}

static int completions;
static struct probe_run *completed_run;

static void
count_complete(struct probe_run *run)
{
	completions++;
	completed_run = run;
	/* completed is set before on_complete runs, so a kind that calls
	 * probe_run_complete again from here is ignored. */
	assert_int_equal(run->completed, 1);
	probe_run_complete(run);
}

static void
test_run_complete_once(void **state)
{
	struct probe_run run;

	(void)state;
	memset(&run, 0, sizeof(run));
	completions = 0;
	completed_run = NULL;
	run.on_complete = count_complete;
	probe_run_complete(&run);
	assert_int_equal(completions, 1);
	assert_ptr_equal(completed_run, &run);
	assert_int_equal(run.completed, 1);
	probe_run_complete(&run);
	probe_run_complete(&run);
	assert_int_equal(completions, 1);

	/* Without a callback it only marks the run complete. */
	memset(&run, 0, sizeof(run));
	probe_run_complete(&run);
	assert_int_equal(run.completed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_find_by_name),
		cmocka_unit_test(test_kind_find_alias),
		cmocka_unit_test(test_kind_find_unknown),
		cmocka_unit_test(test_kind_table),
		cmocka_unit_test(test_reason_why),
		cmocka_unit_test(test_state_names_round_trip),
		cmocka_unit_test(test_state_parse_unknown),
		cmocka_unit_test(test_param_values_and_defaults),
		cmocka_unit_test(test_param_srcpos),
		cmocka_unit_test(test_run_error_first_wins),
		cmocka_unit_test(test_run_verdict_replaces),
		cmocka_unit_test(test_run_complete_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Tests for record_results (record.c) against a real SQLite store in a
 * temporary directory: samples, state changes, and refusals that store
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "record.h"
#include "store.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define T0 1700000000.0

struct fixture {
	char dir[64];
	char *path;
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *err = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-record-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->path = xasprintf("%s/triage.db", f->dir);
	if (store_open(f->path, &f->s, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	assert_int_equal(fs_remove_tree(f->dir), 0);
	free(f->path);
	free(f);
	return 0;
}

/* One result as check --json prints it (the fields record reads, and a
 * few it ignores). latency < 0: null. */
static json_t *
result(const char *id, const char *state, double latency, const char *reason,
    double at)
{
	char iso[48];

	time_format_iso8601(at, 1, iso, sizeof(iso));
	return json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:s?, s:s}",
	    "id", id, "layer", "app", "kind", "command", "ok",
	    strcmp(state, "ok") == 0, "state", state,
	    "latency_ms", latency >= 0 ? json_real(latency) : json_null(),
	    "latency", latency >= 0 ? json_real(latency / 1000) : json_null(),
	    "reason", reason, "checked_at", iso);
}

/* The history of runbook since T0 - 1, all of it. */
static json_t *
history(struct store *s, const char *runbook)
{
	char *err = NULL;
	json_t *h = store_history(s, runbook, NULL, T0 - 1, 0, &err);

	if (h == NULL) {
		fprintf(stderr, "%s\n", err);
		free(err);
	}
	assert_non_null(h);
	return h;
}

static void
test_record_samples(void **state)
{
	struct fixture *f = *state;
	json_t *list = json_array(), *h, *row;
	char *err = NULL;

	json_array_append_new(list, result("web", "ok", 12.5, NULL, T0));
	json_array_append_new(list, result("db", "critical", 3000,
	    "connection_refused", T0 + 0.25));
	json_array_append_new(list, result("cache", "skipped", -1,
	    "skipped: needs db", T0 + 0.5));
	assert_int_equal(record_results(f->s, "rb", list, &err), 0);
	assert_null(err);

	h = history(f->s, "rb");
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 3);
	/* Newest first: cache, then db, then web. */
	row = json_array_get(json_object_get(h, "samples"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "probe")),
	    "cache");
	assert_string_equal(json_string_value(json_object_get(row, "state")),
	    "skipped");
	assert_true(json_is_null(json_object_get(row, "latency_ms")));
	assert_string_equal(json_string_value(json_object_get(row, "reason")),
	    "skipped: needs db");
	assert_string_equal(json_string_value(json_object_get(row, "at")),
	    "2023-11-14T22:13:20.500Z");
	row = json_array_get(json_object_get(h, "samples"), 1);
	assert_string_equal(json_string_value(json_object_get(row, "probe")),
	    "db");
	assert_true(json_number_value(json_object_get(row, "latency_ms")) ==
	    3000);
	assert_string_equal(json_string_value(json_object_get(row, "at")),
	    "2023-11-14T22:13:20.250Z");
	row = json_array_get(json_object_get(h, "samples"), 2);
	assert_string_equal(json_string_value(json_object_get(row, "probe")),
	    "web");
	assert_true(json_number_value(json_object_get(row, "latency_ms")) ==
	    12.5);
	assert_true(json_is_null(json_object_get(row, "reason")));
	assert_string_equal(json_string_value(json_object_get(row,
	    "runbook")), "rb");
	/* The first sample of each probe is a change from nothing. */
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 3);
	row = json_array_get(json_object_get(h, "changes"), 1);
	assert_true(json_is_null(json_object_get(row, "from")));
	assert_string_equal(json_string_value(json_object_get(row, "to")),
	    "critical");
	json_decref(h);
	json_decref(list);
}

static void
test_record_changes(void **state)
{
	struct fixture *f = *state;
	json_t *list = json_array(), *h, *row;
	char *err = NULL;

	json_array_append_new(list, result("db", "critical", 1, "refused",
	    T0));
	assert_int_equal(record_results(f->s, "rb", list, &err), 0);
	json_array_clear(list);
	json_array_append_new(list, result("db", "critical", 1, "refused",
	    T0 + 30));
	assert_int_equal(record_results(f->s, "rb", list, &err), 0);
	json_array_clear(list);
	json_array_append_new(list, result("db", "ok", 1, NULL, T0 + 60));
	assert_int_equal(record_results(f->s, "rb", list, &err), 0);
	assert_null(err);

	h = history(f->s, "rb");
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 3);
	/* Only the first sample and the recovery change the state. */
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 2);
	row = json_array_get(json_object_get(h, "changes"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "from")),
	    "critical");
	assert_string_equal(json_string_value(json_object_get(row, "to")),
	    "ok");
	json_decref(h);

	/* Another runbook's probe of the same id is another series. */
	json_array_clear(list);
	json_array_append_new(list, result("db", "ok", 1, NULL, T0 + 90));
	assert_int_equal(record_results(f->s, "other", list, &err), 0);
	h = history(f->s, "other");
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 1);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 1);
	json_decref(h);
	json_decref(list);
}

static void
test_record_empty(void **state)
{
	struct fixture *f = *state;
	json_t *list = json_array(), *h;
	char *err = NULL;

	assert_int_equal(record_results(f->s, "rb", list, &err), 0);
	assert_null(err);
	h = history(f->s, NULL);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 0);
	json_decref(h);
	json_decref(list);
}

/* record_results(list) fails with a message containing want, and stores
 * nothing (the good result before the bad one included). */
static void
expect_refused(struct fixture *f, json_t *list, const char *want)
{
	json_t *h;
	char *err = NULL;

	assert_int_equal(record_results(f->s, "rb", list, &err), -1);
	assert_non_null(err);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" not in \"%s\"", want, err);
	free(err);
	h = history(f->s, NULL);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 0);
	json_decref(h);
}

static void
test_record_refused(void **state)
{
	struct fixture *f = *state;
	json_t *list, *bad;
	char *err = NULL;

	bad = json_object();
	assert_int_equal(record_results(f->s, "rb", bad, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "not a list"));
	free(err);
	json_decref(bad);

	list = json_pack("[o, {s:s, s:s}]", result("web", "ok", 1, NULL, T0),
	    "state", "ok", "checked_at", "2023-11-14T22:13:20Z");
	expect_refused(f, list, "result 1 has no probe id");
	json_decref(list);

	list = json_pack("[o, s]", result("web", "ok", 1, NULL, T0), "web");
	expect_refused(f, list, "result 1 has no probe id");
	json_decref(list);

	bad = result("db", "ok", 1, NULL, T0);
	json_object_set_new(bad, "checked_at", json_string("yesterday"));
	list = json_pack("[o, o]", result("web", "ok", 1, NULL, T0), bad);
	expect_refused(f, list, "probe db: checked_at \"yesterday\" is not "
	    "an ISO-8601 time");
	json_decref(list);

	bad = result("db", "ok", 1, NULL, T0);
	json_object_del(bad, "checked_at");
	list = json_pack("[o]", bad);
	expect_refused(f, list, "probe db: checked_at (missing)");
	json_decref(list);

	bad = result("db", "ok", 1, NULL, T0);
	json_object_del(bad, "state");
	list = json_pack("[o]", bad);
	expect_refused(f, list, "probe db: no state");
	json_decref(list);

	/* A state the store does not know: the store refuses the lot. */
	list = json_pack("[o, o]", result("web", "ok", 1, NULL, T0),
	    result("db", "bogus", 1, NULL, T0));
	expect_refused(f, list, "bogus");
	json_decref(list);
}

/* A result with no latency_ms at all is stored with none; a negative one
 * too. */
static void
test_record_no_latency(void **state)
{
	struct fixture *f = *state;
	json_t *list = json_array(), *a, *b, *h, *rows;
	char *err = NULL;

	a = result("a", "ok", 5, NULL, T0);
	json_object_del(a, "latency_ms");
	b = result("b", "ok", 5, NULL, T0 + 1);
	json_object_set_new(b, "latency_ms", json_integer(-3));
	json_array_append_new(list, a);
	json_array_append_new(list, b);
	assert_int_equal(record_results(f->s, "rb", list, &err), 0);
	h = history(f->s, "rb");
	rows = json_object_get(h, "samples");
	assert_int_equal(json_array_size(rows), 2);
	assert_true(json_is_null(json_object_get(json_array_get(rows, 0),
	    "latency_ms")));
	assert_true(json_is_null(json_object_get(json_array_get(rows, 1),
	    "latency_ms")));
	json_decref(h);
	json_decref(list);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_samples, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_record_changes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_record_empty, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_record_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_record_no_latency, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

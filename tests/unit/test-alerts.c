/* SPDX-License-Identifier: MIT */
/* Tests for alert delivery (alerts.c), through the command target: once
 * per transition (an update of a firing alert is not re-announced), the
 * document on stdin, a failed attempt retried, every attempt reported as
 * an outcome; credentials stripped from a reported target; a URL that is
 * not http(s) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "alerts.h"
#include "util/fsutil.h"
#include "util/xmalloc.h"

struct fixture {
	char dir[64];
	char *out;	/* what the command received, a document a line */
	char *script;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	FILE *s;

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-test-alerts.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->out = xasprintf("%s/out", f->dir);
	f->script = xasprintf("%s/alert.sh", f->dir);
	/* Fails while $dir/fail holds a count above 0 (and counts it down). */
	s = fopen(f->script, "w");
	assert_non_null(s);
	fprintf(s, "#!/bin/sh\nd=%s\n"
	    "if [ -s $d/fail ] && [ \"$(cat $d/fail)\" -gt 0 ]; then\n"
	    "  echo $(($(cat $d/fail) - 1)) >$d/fail; exit 1\nfi\n"
	    "cat >>$d/out; echo >>$d/out\n", f->dir);
	fclose(s);
	assert_int_equal(chmod(f->script, 0755), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fs_remove_tree(f->dir), 0);
	free(f->out);
	free(f->script);
	free(f);
	return 0;
}

/* The outcomes of the next n attempts, waiting at most secs. */
static json_t *
outcomes(struct alerter *a, size_t n, double secs)
{
	json_t *all = json_array();
	int waited = 0;

	while (json_array_size(all) < n && waited < secs * 1000) {
		struct pollfd p = { alerter_fd(a), POLLIN, 0 };

		if (poll(&p, 1, 50) > 0) {
			json_t *some = alerter_take_outcomes(a);

			json_array_extend(all, some);
			json_decref(some);
		}
		waited += 50;
	}
	return all;
}

static json_t *
lines(const char *path)
{
	json_t *docs = json_array();
	char line[4096];
	FILE *f = fopen(path, "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		json_t *d = json_loads(line, 0, NULL);

		if (d != NULL)
			json_array_append_new(docs, d);
	}
	if (f != NULL)
		fclose(f);
	return docs;
}

static struct alerter *
start(struct fixture *f, char **webhooks, size_t nwebhooks, int attempts)
{
	struct alert_opts o = { 0 };
	char *argv[] = { f->script, NULL };
	struct alerter *a = NULL;
	char *err = NULL;

	o.runbook = "rb";
	o.command = nwebhooks == 0 ? argv : NULL;
	o.webhooks = webhooks;
	o.nwebhooks = nwebhooks;
	o.timeout = 5;
	o.max_attempts = attempts;
	if (alerter_create(&o, &a, &err) != 0)
		fail_msg("alerter_create: %s", err);
	return a;
}

static void
test_once_per_transition(void **state)
{
	struct fixture *f = *state;
	struct alerter *a = start(f, NULL, 0, 0);
	json_t *labels = json_pack("{s:s}", "probe", "web");
	json_t *ann = json_pack("{s:s}", "summary", "web is critical");
	json_t *got, *docs, *d;

	alerter_fire(a, "probe/web", labels, ann, 1796600000);
	got = outcomes(a, 1, 10);
	assert_int_equal(json_array_size(got), 1);
	d = json_array_get(got, 0);
	assert_true(json_is_true(json_object_get(d, "ok")));
	assert_string_equal(json_string_value(json_object_get(d, "status")),
	    "firing");
	assert_string_equal(json_string_value(json_object_get(d, "key")),
	    "probe/web");
	json_decref(got);

	/* Still firing, with a new annotation: no second announcement. */
	json_object_set_new(ann, "acknowledged", json_string("by alice"));
	alerter_fire(a, "probe/web", labels, ann, 1796600000);
	got = outcomes(a, 1, 0.5);
	assert_int_equal(json_array_size(got), 0);
	json_decref(got);

	alerter_resolve(a, "probe/web", 1796600060);
	alerter_resolve(a, "probe/web", 1796600061);	/* a no-op */
	got = outcomes(a, 2, 1);
	assert_int_equal(json_array_size(got), 1);
	json_decref(got);
	alerter_free(a);

	docs = lines(f->out);
	assert_int_equal(json_array_size(docs), 2);
	d = json_array_get(docs, 0);
	assert_string_equal(json_string_value(json_object_get(d, "status")),
	    "firing");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    d, "labels"), "runbook")), "rb");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    d, "labels"), "probe")), "web");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    d, "annotations"), "summary")), "web is critical");
	assert_true(json_is_null(json_object_get(d, "endsAt")));
	d = json_array_get(docs, 1);
	assert_string_equal(json_string_value(json_object_get(d, "status")),
	    "resolved");
	assert_true(json_is_string(json_object_get(d, "endsAt")));
	json_decref(docs);
	json_decref(labels);
	json_decref(ann);
}

/* A command that fails once is run again (after 1 s); both attempts are
 * outcomes. */
static void
test_retry(void **state)
{
	struct fixture *f = *state;
	char *fail = xasprintf("%s/fail", f->dir);
	FILE *c = fopen(fail, "w");
	struct alerter *a;
	json_t *labels = json_object(), *ann = json_object(), *got;

	assert_non_null(c);
	fputs("1\n", c);
	fclose(c);
	a = start(f, NULL, 0, 0);
	alerter_fire(a, "failure/x", labels, ann, 1796600000);
	got = outcomes(a, 2, 10);
	assert_int_equal(json_array_size(got), 2);
	assert_false(json_is_true(json_object_get(json_array_get(got, 0),
	    "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    got, 0), "attempt")), 1);
	assert_true(json_is_true(json_object_get(json_array_get(got, 1),
	    "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    got, 1), "attempt")), 2);
	json_decref(got);
	alerter_free(a);
	got = lines(f->out);
	assert_int_equal(json_array_size(got), 1);
	json_decref(got);
	json_decref(labels);
	json_decref(ann);
	free(fail);
}

/* A webhook nobody answers: the outcome says so, without the password. */
static void
test_target_without_credentials(void **state)
{
	struct fixture *f = *state;
	char *hooks[] = { (char *)"http://ann:s3cret@127.0.0.1:1/hook" };
	struct alerter *a = start(f, hooks, 1, 1);
	json_t *labels = json_object(), *ann = json_object(), *got, *d;

	alerter_fire(a, "probe/db", labels, ann, 1796600000);
	got = outcomes(a, 1, 10);
	assert_int_equal(json_array_size(got), 1);
	d = json_array_get(got, 0);
	assert_false(json_is_true(json_object_get(d, "ok")));
	assert_null(strstr(json_string_value(json_object_get(d, "target")),
	    "s3cret"));
	assert_non_null(strstr(json_string_value(json_object_get(d,
	    "target")), "127.0.0.1:1/hook"));
	assert_true(json_is_string(json_object_get(d, "error")));
	json_decref(got);
	alerter_free(a);
	json_decref(labels);
	json_decref(ann);
}

static void
test_bad_url(void **state)
{
	struct alert_opts o = { 0 };
	char *hooks[] = { (char *)"ftp://127.0.0.1/x" };
	struct alerter *a = NULL;
	char *err = NULL;

	(void)state;
	o.runbook = "rb";
	o.webhooks = hooks;
	o.nwebhooks = 1;
	assert_int_equal(alerter_create(&o, &a, &err), -1);
	assert_non_null(strstr(err, "ftp://127.0.0.1/x"));
	assert_null(a);
	free(err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_once_per_transition,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_target_without_credentials, setup, teardown),
		cmocka_unit_test(test_bad_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

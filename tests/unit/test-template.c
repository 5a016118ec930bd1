/* SPDX-License-Identifier: MIT */
/* Tests for runbook templating: {{var}}, {{env.NAME}}, what passes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"
#include "util/xmalloc.h"

struct fixture {
	json_t *values;
	json_t *missing;
	struct template_vars tv;
};

static char token_name[] = "TRIAGE_TEST_TPL_TOKEN";
static char *const secret_names[] = { token_name };

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->values = json_pack("{s:s, s:s, s:s}", "box", "127.0.0.1",
	    "host-name", "www.example.test", "api", "http://:8080");
	f->missing = json_pack("{s:s}", "api", "TRIAGE_TEST_TPL_API");
	f->tv.values = f->values;
	f->tv.missing = f->missing;
	f->tv.secrets = secret_names;
	f->tv.nsecrets = ARRAY_LEN(secret_names);
	setenv("TRIAGE_TEST_TPL_SET", "s3t", 1);
	unsetenv("TRIAGE_TEST_TPL_UNSET");
	setenv("TRIAGE_TEST_TPL_EMPTY", "", 1);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	json_decref(f->values);
	json_decref(f->missing);
	free(f);
	unsetenv("TRIAGE_TEST_TPL_SET");
	unsetenv("TRIAGE_TEST_TPL_EMPTY");
	return 0;
}

/* What template_expand reported, in order. */
struct errs {
	size_t n;
	size_t at[4];
	char cause[4][128];
	char hint[4][128];	/* "" for none */
};

static void
collect(void *arg, size_t at, const char *cause, char *hint)
{
	struct errs *e = arg;

	if (e->n < 4) {
		e->at[e->n] = at;
		snprintf(e->cause[e->n], sizeof(e->cause[0]), "%s", cause);
		snprintf(e->hint[e->n], sizeof(e->hint[0]), "%s",
		    hint != NULL ? hint : "");
	}
	e->n++;
	free(hint);
}

/* Expands s, which must succeed; the result (heap) and *missing. */
static char *
expand_ok(const struct fixture *f, const char *s, char **missing)
{
	struct errs e = { 0 };
	char *out = NULL, *unset = NULL;

	if (template_expand(&f->tv, s, &out, missing != NULL ? missing :
	    &unset, collect, &e) != 0)
		fail_msg("\"%s\": %s", s, e.cause[0]);
	assert_int_equal(e.n, 0);
	free(unset);
	return out;
}

/* Expands s, which must fail, into *e; the number of errors. */
static size_t
expand_err(const struct fixture *f, const char *s, struct errs *e)
{
	char *out = (char *)1, *missing = NULL;

	memset(e, 0, sizeof(*e));
	assert_int_equal(template_expand(&f->tv, s, &out, &missing, collect,
	    e), -1);
	assert_null(out);
	free(missing);
	return e->n;
}

static void
test_vars_and_env(void **state)
{
	const struct fixture *f = *state;
	char *out, *missing = NULL;

	out = expand_ok(f, "http://{{box}}:{{ env.TRIAGE_TEST_TPL_SET }}/up",
	    &missing);
	assert_string_equal(out, "http://127.0.0.1:s3t/up");
	assert_null(missing);
	free(out);
	out = expand_ok(f, "{{host-name}}{{box}}", NULL);
	assert_string_equal(out, "www.example.test127.0.0.1");
	free(out);
	out = expand_ok(f, "", NULL);
	assert_string_equal(out, "");
	free(out);
	out = expand_ok(f, "no braces at all", NULL);
	assert_string_equal(out, "no braces at all");
	free(out);
}

static void
test_unset_env_is_empty(void **state)
{
	const struct fixture *f = *state;
	char *out, *missing = NULL;

	out = expand_ok(f, "a{{env.TRIAGE_TEST_TPL_UNSET}}b"
	    "{{env.TRIAGE_TEST_TPL_EMPTY}}c", &missing);
	assert_string_equal(out, "abc");
	/* The first unset (or empty) one is named. */
	assert_string_equal(missing, "TRIAGE_TEST_TPL_UNSET");
	free(out);
	free(missing);
	missing = NULL;
	/* Through a var whose value lacked one. */
	out = expand_ok(f, "{{api}}/health", &missing);
	assert_string_equal(out, "http://:8080/health");
	assert_string_equal(missing, "TRIAGE_TEST_TPL_API");
	free(out);
	free(missing);
	/* An earlier name is kept. */
	missing = xstrdup("FIRST");
	out = expand_ok(f, "{{env.TRIAGE_TEST_TPL_UNSET}}", &missing);
	assert_string_equal(missing, "FIRST");
	free(out);
	free(missing);
}

static void
test_other_braces_pass_through(void **state)
{
	const struct fixture *f = *state;
	static const char *const kept[] = {
		"{{.State.Health.Status}}", "{{json .}}", "{ {box} }", "{box}",
		"{{", "}}", "{{box", "{{ box ", "x{", "{", "{{}}", "{{env.}}",
		"{{env.lower-case}}", "{{1box}}",
	};
	size_t i;
	char *out;

	for (i = 0; i < ARRAY_LEN(kept); i++) {
		out = expand_ok(f, kept[i], NULL);
		assert_string_equal(out, kept[i]);
		free(out);
	}
	/* Braces around and between references. */
	out = expand_ok(f, "{{{box}}}", NULL);
	assert_string_equal(out, "{127.0.0.1}");
	free(out);
	out = expand_ok(f, "a{b{{box}}c{d{{ box }}{", NULL);
	assert_string_equal(out, "a{b127.0.0.1c{d127.0.0.1{");
	free(out);
}

static void
test_unknown_var(void **state)
{
	const struct fixture *f = *state;
	struct errs e;

	assert_int_equal(expand_err(f, "{{bx}}", &e), 1);
	assert_int_equal(e.at[0], 0);
	assert_string_equal(e.cause[0], "unknown var \"bx\"");
	assert_string_equal(e.hint[0], "did you mean {{box}}?");
	assert_int_equal(expand_err(f, "x {{TRIAGE_TEST_TPL_TOKEN}}", &e), 1);
	assert_int_equal(e.at[0], 2);
	assert_string_equal(e.hint[0], "TRIAGE_TEST_TPL_TOKEN is a secret: "
	    "write {{env.TRIAGE_TEST_TPL_TOKEN}}");
	assert_int_equal(expand_err(f, "{{HOME_DIR}}", &e), 1);
	assert_string_equal(e.hint[0], "for an environment variable, write "
	    "{{env.HOME_DIR}}");
	assert_int_equal(expand_err(f, "{{something}}", &e), 1);
	assert_string_equal(e.hint[0], "define it under vars:");
}

/* Every reference that cannot be expanded is reported, each at its own
 * "{{"; good ones between them change nothing. */
static void
test_every_error(void **state)
{
	const struct fixture *f = *state;
	struct errs e;

	assert_int_equal(expand_err(f, "http://{{hots}}:{{box}}/{{ prt }}",
	    &e), 2);
	assert_int_equal(e.at[0], 7);
	assert_string_equal(e.cause[0], "unknown var \"hots\"");
	assert_int_equal(e.at[1], 24);
	assert_string_equal(e.cause[1], "unknown var \"prt\"");
	assert_string_equal(e.hint[1], "define it under vars:");
}

static void
test_no_vars_inside_vars(void **state)
{
	struct fixture *f = *state;
	struct errs e;
	char *out;

	f->tv.no_vars = 1;
	out = expand_ok(f, "{{env.TRIAGE_TEST_TPL_SET}}", NULL);
	assert_string_equal(out, "s3t");
	free(out);
	assert_int_equal(expand_err(f, "{{box}}", &e), 1);
	assert_string_equal(e.cause[0], "a var cannot use another var "
	    "({{box}})");
	assert_string_equal(e.hint[0], "only {{env.NAME}} is expanded inside "
	    "vars");
	f->tv.no_vars = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vars_and_env),
		cmocka_unit_test(test_unset_env_is_empty),
		cmocka_unit_test(test_other_braces_pass_through),
		cmocka_unit_test(test_unknown_var),
		cmocka_unit_test(test_every_error),
		cmocka_unit_test(test_no_vars_inside_vars),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

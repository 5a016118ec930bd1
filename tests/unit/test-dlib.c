/* SPDX-License-Identifier: MIT */
/* Tests for util/dlib.c: opening a library when first needed, all or
 * nothing, once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/dlib.h"

/* Stand-ins for a library's list: two functions of libc, and one that no
 * library has. */
static size_t (*sym_strlen)(const char *);
static int (*sym_strcmp)(const char *, const char *);
static void (*sym_absent)(void);

static const struct dlib_sym libc_syms[] = {
	{ "strlen", (void *)&sym_strlen },
	{ "strcmp", (void *)&sym_strcmp },
};

static const struct dlib_sym half_syms[] = {
	{ "strlen", (void *)&sym_strlen },
	{ "triage_no_such_function", (void *)&sym_absent },
};

static int inits, init_saw_pointers;

static const char *
count_init(void)
{
	inits++;
	return NULL;
}

static const char *
failing_init(void)
{
	inits++;
	init_saw_pointers = sym_strlen != NULL && sym_strcmp != NULL;
	return "refused to initialise";
}

static void
test_dlib_loads_once(void **state)
{
	static struct dlib lib = DLIB_INIT("libc.so.6", libc_syms, count_init);
	const char *err = "untouched";

	(void)state;
	inits = 0;
	assert_int_equal(dlib_load(&lib, &err), 0);
	assert_string_equal(err, "untouched");
	assert_non_null(sym_strlen);
	assert_int_equal(sym_strlen("triage"), 6);
	assert_int_equal(sym_strcmp("a", "a"), 0);
	assert_int_equal(dlib_load(&lib, NULL), 0);
	assert_int_equal(inits, 1);
}

static void
test_dlib_missing_library(void **state)
{
	static struct dlib lib = DLIB_INIT("libtriage-absent.so.0", libc_syms,
	    count_init);
	const char *err = NULL;

	(void)state;
	inits = 0;
	sym_strlen = NULL;
	assert_int_equal(dlib_load(&lib, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "libtriage-absent.so.0"));
	assert_null(sym_strlen);
	assert_int_equal(inits, 0);
	/* The failure sticks: not retried, the same words. */
	err = NULL;
	assert_int_equal(dlib_load(&lib, &err), -1);
	assert_non_null(strstr(err, "libtriage-absent.so.0"));
}

static void
test_dlib_missing_symbol(void **state)
{
	static struct dlib lib = DLIB_INIT("libc.so.6", half_syms, count_init);
	const char *err = NULL;

	(void)state;
	inits = 0;
	sym_strlen = NULL;
	sym_absent = NULL;
	assert_int_equal(dlib_load(&lib, &err), -1);
	assert_non_null(strstr(err, "triage_no_such_function"));
	/* All or nothing: the symbol found first is not left set. */
	assert_null(sym_strlen);
	assert_null(sym_absent);
	assert_int_equal(inits, 0);
}

static void
test_dlib_init_fails(void **state)
{
	static struct dlib lib = DLIB_INIT("libc.so.6", libc_syms,
	    failing_init);
	const char *err = NULL;

	(void)state;
	inits = 0;
	init_saw_pointers = 0;
	assert_int_equal(dlib_load(&lib, &err), -1);
	assert_string_equal(err, "libc.so.6: refused to initialise");
	/* All or nothing here too: init ran with every pointer set, and
	 * they were cleared when it failed. */
	assert_true(init_saw_pointers);
	assert_null(sym_strlen);
	assert_null(sym_strcmp);
	assert_int_equal(dlib_load(&lib, &err), -1);
	assert_int_equal(inits, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dlib_loads_once),
		cmocka_unit_test(test_dlib_missing_library),
		cmocka_unit_test(test_dlib_missing_symbol),
		cmocka_unit_test(test_dlib_init_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

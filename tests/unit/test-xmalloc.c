/* SPDX-License-Identifier: MIT */
/* Tests for allocation wrappers and string helpers (util/xmalloc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static void
test_xmalloc_family(void **state)
{
	unsigned char *p;
	char *s;
	size_t i;

	(void)state;
	p = xmalloc(0);
	assert_non_null(p);
	free(p);
	p = xcalloc(100, 4);
	for (i = 0; i < 400; i++)
		assert_int_equal(p[i], 0);
	p = xrealloc(p, 4000);
	p[3999] = 7;
	p = xreallocarray(p, 1000, 8);
	assert_int_equal(p[3999], 7);
	assert_int_equal(p[0], 0);
	free(p);

	assert_null(xstrdup(NULL));
	s = xstrdup("hello");
	assert_string_equal(s, "hello");
	free(s);
	s = xstrndup("hello", 3);
	assert_string_equal(s, "hel");
	free(s);
	s = xstrndup("hi", 100);
	assert_string_equal(s, "hi");
	free(s);
	s = xstrndup("hi", 0);
	assert_string_equal(s, "");
	free(s);
}

static char *
call_xvasprintf(const char *fmt, ...) PRINTFLIKE(1, 2);

static char *
call_xvasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

static void
test_xasprintf(void **state)
{
	char *s, *big;
	size_t i;

	(void)state;
	s = xasprintf("%s-%d-%c-%.2f", "a", -42, 'z', 1.5);
	assert_string_equal(s, "a--42-z-1.50");
	free(s);
	s = xasprintf("%s", "");
	assert_string_equal(s, "");
	free(s);
	s = call_xvasprintf("%zu/%s", (size_t)7, "x");
	assert_string_equal(s, "7/x");
	free(s);

	big = xmalloc(10001);
	for (i = 0; i < 10000; i++)
		big[i] = (char)('a' + i % 26);
	big[10000] = '\0';
	s = xasprintf("[%s]", big);
	assert_int_equal(strlen(s), 10002);
	assert_int_equal(s[0], '[');
	assert_int_equal(s[10001], ']');
	assert_memory_equal(s + 1, big, 10000);
	free(s);
	free(big);
}

static void
test_str_has_prefix(void **state)
{
	(void)state;
	assert_true(str_has_prefix("--json", "--"));
	assert_true(str_has_prefix("--json", "--json"));
	assert_true(str_has_prefix("abc", ""));
	assert_true(str_has_prefix("", ""));
	assert_false(str_has_prefix("-", "--"));
	assert_false(str_has_prefix("", "a"));
	assert_false(str_has_prefix("--json", "--jsonx"));
	assert_false(str_has_prefix("Abc", "a"));
}

static void
test_str_trim(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "", "" }, { "   ", "" }, { "\t\n\r\v\f ", "" },
		{ "a", "a" }, { " a", "a" }, { "a ", "a" },
		{ "  a b \t\n", "a b" }, { "\n\nline one\nline two\n", "line "
		    "one\nline two" }, { "x  y", "x  y" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		char *s = xstrdup(cases[i].in);

		assert_ptr_equal(str_trim(s), s);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void
test_str_to_long(void **state)
{
	long v = -1;

	(void)state;
	assert_int_equal(str_to_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(str_to_long("0", 0, 100, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(str_to_long("-5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(str_to_long("007", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	/* The bounds are inclusive. */
	assert_int_equal(str_to_long("1", 1, 8, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(str_to_long("8", 1, 8, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(str_to_long("9223372036854775807", LONG_MIN,
	    LONG_MAX, &v), 0);
	assert_true(v == LONG_MAX);
	assert_int_equal(str_to_long("-9223372036854775808", LONG_MIN,
	    LONG_MAX, &v), 0);
	assert_true(v == LONG_MIN);

	v = 99;
	assert_int_equal(str_to_long("0", 1, 8, &v), -1);
	assert_int_equal(str_to_long("9", 1, 8, &v), -1);
	assert_int_equal(str_to_long("-1", 0, 8, &v), -1);
	assert_int_equal(str_to_long("9223372036854775808", LONG_MIN,
	    LONG_MAX, &v), -1);
	assert_int_equal(str_to_long("-9223372036854775809", LONG_MIN,
	    LONG_MAX, &v), -1);
	assert_int_equal(str_to_long("99999999999999999999999", 0, 10, &v),
	    -1);
	assert_int_equal(str_to_long("", 0, 10, &v), -1);
	assert_int_equal(str_to_long(NULL, 0, 10, &v), -1);
	assert_int_equal(str_to_long("5x", 0, 10, &v), -1);
	assert_int_equal(str_to_long("5 ", 0, 10, &v), -1);
	assert_int_equal(str_to_long("x5", 0, 10, &v), -1);
	assert_int_equal(str_to_long("-", 0, 10, &v), -1);
	assert_int_equal(str_to_long("1.5", 0, 10, &v), -1);
	assert_int_equal(str_to_long("0x5", 0, 10, &v), -1);
	assert_int_equal(str_to_long("1e3", 0, 10000, &v), -1);
	/* A failed parse leaves *out alone. */
	assert_int_equal(v, 99);
}

static void
test_str_edit_distance(void **state)
{
	static const struct {
		const char *a, *b;
		unsigned d;
	} cases[] = {
		{ "", "", 0 }, { "abc", "abc", 0 }, { "", "abc", 3 },
		{ "abc", "", 3 }, { "kitten", "sitting", 3 },
		{ "sitting", "kitten", 3 }, { "flaw", "lawn", 2 },
		{ "timeout", "timeot", 1 }, { "timeout", "timeouts", 1 },
		{ "json", "jsno", 2 }, { "jobs", "jbos", 2 },
		{ "only", "ONLY", 4 }, { "a", "b", 1 },
		{ "intention", "execution", 5 },
	};
	char a[100], b[100];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		unsigned d = str_edit_distance(cases[i].a, cases[i].b);

		if (d != cases[i].d)
			fail_msg("str_edit_distance(\"%s\", \"%s\") = %u, "
			    "expected %u", cases[i].a, cases[i].b, d,
			    cases[i].d);
	}

	/* 63 bytes is computed exactly. */
	memset(a, 'a', 63);
	a[63] = '\0';
	memset(b, 'a', 63);
	b[63] = '\0';
	b[10] = 'b';
	assert_int_equal(str_edit_distance(a, a), 0);
	assert_int_equal(str_edit_distance(a, b), 1);
	assert_int_equal(str_edit_distance(a, ""), 63);
	/* Long strings are computed exactly too, up to the cap. */
	memset(a, 'a', 99);
	a[99] = '\0';
	memset(b, 'b', 99);
	b[99] = '\0';
	assert_int_equal(str_edit_distance(a, b), 99);
	assert_int_equal(str_edit_distance(a, "x"), 99);
	assert_int_equal(str_edit_distance("x", b), 99);
}

/* Distances past 255 are capped at 255. */
static void
test_str_edit_distance_cap(void **state)
{
	char a[301], b[301];

	(void)state;
	memset(a, 'a', 300);
	a[300] = '\0';
	memset(b, 'b', 300);
	b[300] = '\0';
	assert_int_equal(str_edit_distance(a, b), 255);
	assert_int_equal(str_edit_distance(a, ""), 255);
}

/* "all of s": leading white space is text that is not a number. */
static void
test_str_to_long_leading_space(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(str_to_long(" 42", 0, 100, &v), -1);
	assert_int_equal(str_to_long("\t-1", -5, 5, &v), -1);
}

/* Long equal strings are 0 apart; one deletion is 1. */
static void
test_str_edit_distance_long_equal(void **state)
{
	char a[100];

	(void)state;
	memset(a, 'a', 99);
	a[99] = '\0';
	assert_int_equal(str_edit_distance(a, a), 0);
	assert_int_equal(str_edit_distance(a, a + 1), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmalloc_family),
		cmocka_unit_test(test_xasprintf),
		cmocka_unit_test(test_str_has_prefix),
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_str_to_long),
		cmocka_unit_test(test_str_to_long_leading_space),
		cmocka_unit_test(test_str_edit_distance),
		cmocka_unit_test(test_str_edit_distance_long_equal),
		cmocka_unit_test(test_str_edit_distance_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

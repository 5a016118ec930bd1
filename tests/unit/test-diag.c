/* SPDX-License-Identifier: MIT */
/* Tests for diag.c: recording, sorting and printing FILE:LINE:COL messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"

/* What diags_print writes, as a heap string. */
static char *
printed(const struct diags *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	diags_print(d, f);
	fclose(f);
	return text;
}

static void
test_print_format(void **state)
{
	const char *src = "probes:\n  pg:\n    timout: 2s\n";
	struct srcpos pos = { "rb.yaml", 3, 5 };
	struct diags d;
	char *out;

	(void)state;
	diags_init(&d);
	diags_add(&d, DIAG_ERROR, pos, src, "did you mean \"timeout\"?",
	    "unknown key \"%s\" in probe \"%s\"", "timout", "pg");
	assert_int_equal(d.n, 1);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 0);
	assert_string_equal(d.v[0].source_line, "    timout: 2s");
	out = printed(&d);
	assert_string_equal(out,
	    "triage: rb.yaml:3:5: error: unknown key \"timout\" in probe "
	    "\"pg\"\n"
	    "        timout: 2s\n"
	    "        ^\n"
	    "  hint: did you mean \"timeout\"?\n");
	free(out);
	diags_dispose(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
}

static void
test_print_warning_without_hint(void **state)
{
	struct srcpos pos = { "rb.yaml", 1, 10 };
	struct diags d;
	char *out;

	(void)state;
	diags_init(&d);
	diags_add(&d, DIAG_WARNING, pos, "last_verified: 2020-01-01\n", NULL,
	    "stale");
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.errors, 0);
	out = printed(&d);
	assert_string_equal(out,
	    "triage: rb.yaml:1:10: warning: stale\n"
	    "    last_verified: 2020-01-01\n"
	    "             ^\n");
	free(out);
	diags_dispose(&d);
}

static void
test_print_tabs_and_utf8(void **state)
{
	/* A tab expands to the next multiple of 8; "é" is two bytes but
	 * one column, so the caret under byte column 9 ("x") lines up. */
	const char *src = "\tk: \xc3\xa9 x\r\n";
	struct srcpos tab = { "f", 1, 1 }, x = { "f", 1, 8 };
	struct diags d;
	char *out;

	(void)state;
	diags_init(&d);
	diags_add(&d, DIAG_ERROR, tab, src, NULL, "tab");
	diags_add(&d, DIAG_ERROR, x, src, NULL, "x");
	out = printed(&d);
	assert_string_equal(out,
	    "triage: f:1:1: error: tab\n"
	    "            k: \xc3\xa9 x\n"
	    "    ^\n"
	    "triage: f:1:8: error: x\n"
	    "            k: \xc3\xa9 x\n"
	    "                 ^\n");
	free(out);
	diags_dispose(&d);
}

static void
test_print_wide_and_combining(void **state)
{
	/* CJK and emoji take two columns on a terminal, a combining mark
	 * none: the caret under "x" counts what is shown, not bytes or code
	 * points. */
	const char *src = "a: \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 "
	    "e\xcc\x81 x";
	struct srcpos x = { "f", 1, 20 };
	struct diags d;
	char *out;

	(void)state;
	diags_init(&d);
	diags_add(&d, DIAG_ERROR, x, src, NULL, "x");
	out = printed(&d);
	assert_string_equal(out,
	    "triage: f:1:20: error: x\n"
	    "    a: \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 e\xcc\x81 x\n"
	    "                 ^\n");
	free(out);
	diags_dispose(&d);
}

static void
test_print_without_position(void **state)
{
	struct srcpos none = { "dir", 0, 0 }, line = { "f", 2, 0 };
	struct srcpos past = { "f", 3, 1 }, nofile = { NULL, 1, 1 };
	struct diags d;
	char *out;

	(void)state;
	diags_init(&d);
	diags_add(&d, DIAG_ERROR, none, NULL, NULL, "no files");
	diags_add(&d, DIAG_ERROR, line, "a\nb\n", NULL, "line only");
	diags_add(&d, DIAG_ERROR, past, "a\nb\n", NULL, "past the end");
	diags_add(&d, DIAG_ERROR, nofile, NULL, NULL, "no file");
	assert_null(d.v[2].source_line);
	out = printed(&d);
	assert_string_equal(out,
	    "triage: dir: error: no files\n"
	    "triage: f:2: error: line only\n"
	    "    b\n"
	    "triage: f:3:1: error: past the end\n"
	    "triage: <input>:1:1: error: no file\n");
	free(out);
	diags_dispose(&d);
}

static void
test_sort_is_stable(void **state)
{
	struct srcpos b3 = { "b", 3, 1 }, a9 = { "a", 9, 9 };
	struct srcpos b1 = { "b", 1, 7 }, b1early = { "b", 1, 2 };
	struct diags d;

	(void)state;
	diags_init(&d);
	diags_add(&d, DIAG_ERROR, b3, NULL, NULL, "b3 first");
	diags_add(&d, DIAG_ERROR, b1, NULL, NULL, "b1:7");
	diags_add(&d, DIAG_WARNING, b3, NULL, NULL, "b3 second");
	diags_add(&d, DIAG_ERROR, a9, NULL, NULL, "a9");
	diags_add(&d, DIAG_ERROR, b1early, NULL, NULL, "b1:2");
	diags_sort(&d);
	assert_string_equal(d.v[0].message, "a9");
	assert_string_equal(d.v[1].message, "b1:2");
	assert_string_equal(d.v[2].message, "b1:7");
	assert_string_equal(d.v[3].message, "b3 first");
	assert_string_equal(d.v[4].message, "b3 second");
	diags_dispose(&d);
}

static void
test_many(void **state)
{
	struct srcpos pos = { "f", 1, 1 };
	struct diags d;
	int i;

	(void)state;
	diags_init(&d);
	for (i = 0; i < 1000; i++)
		diags_add(&d, DIAG_ERROR, pos, "x\n", NULL, "error %d", i);
	assert_int_equal(d.n, 1000);
	assert_int_equal(d.errors, 1000);
	assert_string_equal(d.v[999].message, "error 999");
	diags_dispose(&d);
	diags_dispose(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_format),
		cmocka_unit_test(test_print_warning_without_hint),
		cmocka_unit_test(test_print_tabs_and_utf8),
		cmocka_unit_test(test_print_wide_and_combining),
		cmocka_unit_test(test_print_without_position),
		cmocka_unit_test(test_sort_is_stable),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

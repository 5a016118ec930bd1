/* SPDX-License-Identifier: MIT */
/* Unit tests for util/utf8: strict decoding of one sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/utf8.h"

#define LEN(lit) utf8_seq_len((const unsigned char *)(lit), sizeof(lit) - 1)

static void
test_valid(void **state)
{
	(void)state;
	assert_int_equal(LEN("a"), 1);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\0", 1), 1);
	assert_int_equal(LEN("\xc3\xa9"), 2);		/* é */
	assert_int_equal(LEN("\xe2\x82\xac"), 3);	/* € */
	assert_int_equal(LEN("\xf0\x9f\x98\x80"), 4);	/* U+1F600 */
	assert_int_equal(LEN("\xf4\x8f\xbf\xbf"), 4);	/* U+10FFFF */
}

static void
test_invalid(void **state)
{
	(void)state;
	assert_int_equal(LEN("\x80"), 0);		/* stray continuation */
	assert_int_equal(LEN("\xc0\xaf"), 0);		/* overlong lead */
	assert_int_equal(LEN("\xe0\x80\xaf"), 0);	/* overlong 3 */
	assert_int_equal(LEN("\xf0\x80\x80\xaf"), 0);	/* overlong 4 */
	assert_int_equal(LEN("\xed\xa0\x80"), 0);	/* surrogate */
	assert_int_equal(LEN("\xf4\x90\x80\x80"), 0);	/* past U+10FFFF */
	assert_int_equal(LEN("\xf5\x80\x80\x80"), 0);
	assert_int_equal(LEN("\xc3\x41"), 0);		/* bad continuation */
}

static void
test_cut_short(void **state)
{
	(void)state;
	assert_int_equal(LEN("\xc3"), -1);
	assert_int_equal(LEN("\xe2\x82"), -1);
	assert_int_equal(LEN("\xf0\x9f\x98"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_cut_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

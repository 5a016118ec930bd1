/* SPDX-License-Identifier: MIT */
/* Tests for the bounded byte buffer (util/buf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

/* Every buffer that holds data keeps a NUL right after its contents. */
static void
assert_terminated(const struct buf *b)
{
	assert_non_null(b->data);
	assert_true(b->cap > b->len);
	assert_int_equal(b->data[b->len], '\0');
}

static void
test_buf_init_empty(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 10);
	assert_int_equal(b.truncated, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_dispose(&b);
	assert_null(b.data);
}

static void
test_buf_append_grows(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), 0);
		assert_terminated(&b);
	}
	assert_int_equal(b.len, 10000);
	assert_int_equal(strlen(buf_cstr(&b)), 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.truncated, 0);
	buf_dispose(&b);
}

static void
test_buf_append_binary(void **state)
{
	static const char bytes[] = { 'a', '\0', 'b', '\0', 'c' };
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, bytes, sizeof(bytes)), 0);
	assert_int_equal(b.len, sizeof(bytes));
	assert_memory_equal(b.data, bytes, sizeof(bytes));
	assert_terminated(&b);
	/* Appending nothing still leaves a valid, terminated string. */
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, sizeof(bytes));
	assert_terminated(&b);
	buf_dispose(&b);

	buf_init(&b, 0);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_dispose(&b);
}

/* Exactly max bytes fit; the next byte is refused and flagged. */
static void
test_buf_max_exact_boundary(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "1234"), 0);
	assert_int_equal(buf_puts(&b, "5678"), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(b.truncated, 0);
	assert_string_equal(buf_cstr(&b), "12345678");

	assert_int_equal(buf_putc(&b, '9'), -1);
	assert_int_equal(b.truncated, 1);
	assert_int_equal(b.len, 8);
	assert_string_equal(buf_cstr(&b), "12345678");
	/* Once full, every append is refused, empty ones excepted. */
	assert_int_equal(buf_puts(&b, "more"), -1);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, 8);
	assert_terminated(&b);
	buf_dispose(&b);
}

/* An append that straddles the maximum keeps the part that fits. */
static void
test_buf_max_truncates_partially(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345"), 0);
	assert_int_equal(buf_puts(&b, "abcdef"), -1);
	assert_int_equal(b.len, 8);
	assert_int_equal(b.truncated, 1);
	assert_string_equal(buf_cstr(&b), "12345abc");
	assert_terminated(&b);
	buf_dispose(&b);

	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "123456789"), -1);
	assert_string_equal(buf_cstr(&b), "12345678");
	assert_int_equal(b.truncated, 1);
	buf_dispose(&b);

	buf_init(&b, 1);
	assert_int_equal(buf_puts(&b, "xy"), -1);
	assert_string_equal(buf_cstr(&b), "x");
	buf_dispose(&b);
}

static void
test_buf_printf_short(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%s=%d", "n", 42), 0);
	assert_int_equal(buf_printf(&b, ", %05.1f", 2.5), 0);
	assert_string_equal(buf_cstr(&b), "n=42, 002.5");
	assert_int_equal(b.len, strlen("n=42, 002.5"));
	buf_dispose(&b);
}

/* Output of 255, 256 and 10000 bytes: both sides of the 256-byte stack
 * buffer and far beyond it. */
static void
test_buf_printf_long(void **state)
{
	static const size_t sizes[] = { 255, 256, 257, 10000 };
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(sizes); i++) {
		char *s = xmalloc(sizes[i] + 1);
		struct buf b;

		for (j = 0; j < sizes[i]; j++)
			s[j] = (char)('A' + j % 23);
		s[sizes[i]] = '\0';
		buf_init(&b, 0);
		assert_int_equal(buf_puts(&b, "<"), 0);
		assert_int_equal(buf_printf(&b, "%s>%d", s, 7), 0);
		assert_int_equal(b.len, sizes[i] + 3);
		assert_int_equal(b.data[0], '<');
		assert_memory_equal(b.data + 1, s, sizes[i]);
		assert_string_equal(b.data + 1 + sizes[i], ">7");
		assert_terminated(&b);
		buf_dispose(&b);
		free(s);
	}
}

static void
test_buf_printf_truncates(void **state)
{
	char s[1001];
	struct buf b;

	(void)state;
	memset(s, 'x', 1000);
	s[1000] = '\0';
	buf_init(&b, 300);
	assert_int_equal(buf_printf(&b, "%s", s), -1);
	assert_int_equal(b.len, 300);
	assert_int_equal(b.truncated, 1);
	assert_int_equal(strlen(buf_cstr(&b)), 300);
	buf_dispose(&b);

	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%d-%d", 12345, 67890), -1);
	assert_string_equal(buf_cstr(&b), "12345-6789");
	buf_dispose(&b);
}

/* After buf_reserve(n), n bytes go in without moving the data. */
static void
test_buf_reserve(void **state)
{
	struct buf b;
	char *data;
	size_t i;

	(void)state;
	buf_init(&b, 0);
	buf_reserve(&b, 1000);
	assert_terminated(&b);
	assert_int_equal(b.len, 0);
	assert_true(b.cap >= 1001);
	data = b.data;
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_putc(&b, 'x'), 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.len, 1000);
	assert_terminated(&b);
	/* Room for more keeps what is there. */
	buf_reserve(&b, 10);
	assert_true(b.cap >= 1011);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.data[999], 'x');
	assert_terminated(&b);
	buf_dispose(&b);

	/* Never past the maximum. */
	buf_init(&b, 16);
	buf_reserve(&b, 1000);
	assert_true(b.cap <= 17);
	assert_int_equal(buf_append(&b, "0123456789abcdefXYZ", 19), -1);
	assert_int_equal(b.len, 16);
	assert_true(b.truncated);
	assert_terminated(&b);
	buf_dispose(&b);
}

static void
test_buf_reset_keeps_memory_and_max(void **state)
{
	struct buf b;
	char *data;
	size_t cap;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(buf_puts(&b, "abcdef"), -1);
	data = b.data;
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.truncated, 0);
	assert_int_equal(b.max, 4);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "wxyz"), 0);
	assert_string_equal(buf_cstr(&b), "wxyz");
	buf_dispose(&b);

	/* Resetting a buffer that never allocated is harmless. */
	buf_init(&b, 0);
	buf_reset(&b);
	assert_null(b.data);
	assert_string_equal(buf_cstr(&b), "");
}

static void
test_buf_steal(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_puts(&b, "stolen"), 0);
	s = buf_steal(&b);
	assert_string_equal(s, "stolen");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_string_equal(buf_cstr(&b), "");
	free(s);

	/* The buffer is reusable, and stealing an empty one gives "". */
	assert_int_equal(buf_puts(&b, "again"), 0);
	assert_string_equal(buf_cstr(&b), "again");
	buf_reset(&b);
	s = buf_steal(&b);
	assert_string_equal(s, "");
	free(s);
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_dispose(&b);
}

static void
test_buf_dispose_reusable(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 6);
	assert_int_equal(buf_puts(&b, "1234567"), -1);
	buf_dispose(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.truncated, 0);
	/* Disposing twice is harmless. */
	buf_dispose(&b);
	buf_init(&b, 6);
	assert_int_equal(buf_puts(&b, "123456"), 0);
	assert_string_equal(buf_cstr(&b), "123456");
	buf_dispose(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_empty),
		cmocka_unit_test(test_buf_append_grows),
		cmocka_unit_test(test_buf_append_binary),
		cmocka_unit_test(test_buf_max_exact_boundary),
		cmocka_unit_test(test_buf_max_truncates_partially),
		cmocka_unit_test(test_buf_printf_short),
		cmocka_unit_test(test_buf_printf_long),
		cmocka_unit_test(test_buf_printf_truncates),
		cmocka_unit_test(test_buf_reserve),
		cmocka_unit_test(test_buf_reset_keeps_memory_and_max),
		cmocka_unit_test(test_buf_steal),
		cmocka_unit_test(test_buf_dispose_reusable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

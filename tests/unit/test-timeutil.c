/* SPDX-License-Identifier: MIT */
/* Tests for durations, sizes and ISO-8601 times (util/timeutil.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xmalloc.h"

#define assert_near(a, b, eps) do {					\
	double a_ = (a), b_ = (b);					\
	if (!(fabs(a_ - b_) <= (eps)))					\
		fail_msg("%s = %.9f, expected %.9f", #a, a_, b_);	\
} while (0)

/* 2026-11-23T16:31:00Z and 2026-11-23T00:00:00Z as epoch seconds. */
#define T_2026_11_23_1631 1795451460.0
#define T_2026_11_23 1795392000.0

static void
test_clocks(void **state)
{
	double m0 = time_mono(), m1, now = time_now();

	(void)state;
	m1 = time_mono();
	assert_true(m1 >= m0);
	/* After 2020-01-01 and before 2100-01-01. */
	assert_true(now > 1577836800.0 && now < 4102444800.0);
}

static void
test_duration_parse_units(void **state)
{
	static const struct {
		const char *s;
		double secs;
	} cases[] = {
		{ "300ms", 0.3 }, { "0ms", 0 }, { "2s", 2 }, { "5m", 300 },
		{ "1h", 3600 }, { "7d", 604800 }, { "2w", 1209600 },
		{ "1.5s", 1.5 }, { ".5s", 0.5 }, { "0.25h", 900 },
		{ "1h30m", 5400 }, { "1m30s", 90 },
		{ "1d2h3m4s5ms", 93784.005 },
		{ "1s1s", 2 }, { "1500ms", 1.5 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		double v = -1;

		if (duration_parse(cases[i].s, &v) != 0)
			fail_msg("duration_parse(\"%s\") failed", cases[i].s);
		if (fabs(v - cases[i].secs) > 1e-9)
			fail_msg("duration_parse(\"%s\") = %f, expected %f",
			    cases[i].s, v, cases[i].secs);
	}
}

static void
test_duration_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "5", "1.5", "s", "ms", "-5s", "+5s", " 5s", "5s ", "5 s",
		"5x", "5sec", "5min", "5mss", "5S", "1h30", "1h 30m",
		"1h-30m", "5s junk", "1.5.5s", "inf", "nans", "1e999s", ".s",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		double v = 12345;

		if (duration_parse(bad[i], &v) != -1)
			fail_msg("duration_parse(\"%s\") accepted: %f", bad[i],
			    v);
	}
}

/* strtod also reads hexadecimal ("0x10" is 16), so "0x10s" is a
 * duration of 16 s and "0x1p4KB" is 16000 bytes. */
static void
test_duration_parse_rejects_hex(void **state)
{
	double v = 0;

	(void)state;
	assert_int_equal(duration_parse("0x10s", &v), -1);
	assert_int_equal(size_parse("0x1p4KB", &v), -1);
}

static void
test_duration_format(void **state)
{
	static const struct {
		double secs;
		const char *s;
	} cases[] = {
		{ 0, "0ms" }, { 0.001, "1ms" }, { 0.3, "300ms" },
		{ 0.9994, "999ms" }, { 1, "1s" }, { 2, "2s" }, { 1.5, "1.5s" },
		{ 59, "59s" }, { 60, "1m" }, { 90, "1m30s" },
		{ 3599, "59m59s" },
		{ 3600, "1h" }, { 5400, "1h30m" }, { 5405, "1h30m" },
		{ 86399, "23h59m" }, { 86400, "1d" }, { 90000, "1d1h" },
		{ 604800, "7d" }, { -2, "-2s" }, { -0.25, "-250ms" },
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		duration_format(cases[i].secs, out, sizeof(out));
		if (strcmp(out, cases[i].s) != 0)
			fail_msg("duration_format(%g) = \"%s\", expected "
			    "\"%s\"", cases[i].secs, out, cases[i].s);
	}
}

/* Values that round up into the next unit. */
static void
test_duration_format_rounding_boundary(void **state)
{
	char out[32];

	(void)state;
	duration_format(0.9996, out, sizeof(out));
	assert_string_equal(out, "1s");
	duration_format(59.96, out, sizeof(out));
	assert_string_equal(out, "1m");
}

static void
test_duration_format_small_buffer(void **state)
{
	char out[4];

	(void)state;
	memset(out, 'z', sizeof(out));
	duration_format(5400, out, sizeof(out));
	assert_string_equal(out, "1h3");
	memset(out, 'z', sizeof(out));
	duration_format(-5400, out, 2);
	assert_string_equal(out, "-");
	assert_int_equal(out[2], 'z');
}

/* What duration_format writes, duration_parse reads back. */
static void
test_duration_round_trip(void **state)
{
	static const double values[] = {
		0.001, 0.3, 1, 1.5, 42, 60, 90, 3540, 3600, 5400, 86400,
		90000, 7 * 86400.0,
	};
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(values); i++) {
		double v = -1;

		duration_format(values[i], out, sizeof(out));
		if (duration_parse(out, &v) != 0)
			fail_msg("\"%s\" does not parse back", out);
		assert_near(v, values[i], 1e-9);
	}
}

static void
test_size_parse(void **state)
{
	static const struct {
		const char *s;
		double bytes;
	} cases[] = {
		{ "0B", 0 }, { "512B", 512 }, { "10KB", 10000 },
		{ "1MB", 1e6 }, { "1GB", 1e9 }, { "2TB", 2e12 },
		{ "1KiB", 1024 }, { "1.5KiB", 1536 }, { "5MiB", 5242880 },
		{ "1GiB", 1073741824.0 }, { "1TiB", 1099511627776.0 },
		{ ".5KB", 500 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		double v = -1;

		if (size_parse(cases[i].s, &v) != 0)
			fail_msg("size_parse(\"%s\") failed", cases[i].s);
		assert_near(v, cases[i].bytes, 1e-6);
	}
}

static void
test_size_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "10", "KB", "B", "10 KB", " 10KB", "10KB ", "10XB",
		"10KBx", "10KiBs", "-1KB", "+1KB", "1e999KB", "10K", "10Ki",
		"1KB1KB",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		double v = 777;

		if (size_parse(bad[i], &v) != -1)
			fail_msg("size_parse(\"%s\") accepted: %f", bad[i], v);
	}
}

static void
test_iso8601_parse(void **state)
{
	static const struct {
		const char *s;
		double t;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2000-02-29T23:59:59Z", 951868799 },
		{ "2026-11-23T16:31:00Z", T_2026_11_23_1631 },
		{ "2026-11-23t16:31:00z", T_2026_11_23_1631 },
		{ "2026-11-23 16:31:00Z", T_2026_11_23_1631 },
		{ "2026-11-23T16:31Z", T_2026_11_23_1631 },
		{ "2026-11-23T16:31:00", T_2026_11_23_1631 },
		{ "2026-11-23T18:31:00+02:00", T_2026_11_23_1631 },
		{ "2026-11-23T18:31:00+0200", T_2026_11_23_1631 },
		{ "2026-11-23T18:31:00+02", T_2026_11_23_1631 },
		{ "2026-11-23T11:31:00-0500", T_2026_11_23_1631 },
		{ "2026-11-23T11:01:00-05:30", T_2026_11_23_1631 },
		{ "2026-11-23T16:31:00+00:00", T_2026_11_23_1631 },
		{ "2026-11-23T16:31:00.250Z", T_2026_11_23_1631 + 0.25 },
		{ "2026-11-23T16:31:00,5Z", T_2026_11_23_1631 + 0.5 },
		{ "2026-11-23T16:31:00.123456789Z",
		    T_2026_11_23_1631 + 0.123456789 },
		{ "2026-11-23T18:31:00.5+02:00", T_2026_11_23_1631 + 0.5 },
		{ "2026-11-23", T_2026_11_23 },
		{ "2026-11-23T23:59:60Z", T_2026_11_23 + 86400 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		double t = -12345;

		if (time_parse_iso8601(cases[i].s, &t) != 0)
			fail_msg("time_parse_iso8601(\"%s\") failed",
			    cases[i].s);
		if (fabs(t - cases[i].t) > 1e-6)
			fail_msg("time_parse_iso8601(\"%s\") = %.6f, expected "
			    "%.6f", cases[i].s, t, cases[i].t);
	}
}

static void
test_iso8601_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "junk", "2026", "2026-11", "2026-1-1", "26-11-23",
		"2026/11/23", "2026-13-01", "2026-00-10", "2026-11-00",
		"2026-11-32", "2026-11-23T", "2026-11-23T16",
		"2026-11-23T16:3", "2026-11-23T24:00:00Z",
		"2026-11-23T16:60:00Z", "2026-11-23T16:31:61Z",
		"2026-11-23T16:31:00.Z", "2026-11-23T16:31:00Zx",
		"2026-11-23T16:31:00 Z", "2026-11-23T16:31:00+2",
		"2026-11-23T16:31:00+25:00", "2026-11-23T16:31:00+02:60",
		"2026-11-23T16:31:00+02:3", "2026-11-23Tjunk",
		"2026-11-23junk", " 2026-11-23", "2026-11-23 ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		double t = 4242;

		if (time_parse_iso8601(bad[i], &t) != -1)
			fail_msg("time_parse_iso8601(\"%s\") accepted: %f",
			    bad[i], t);
	}
}

/* Days past the end of their month are not dates. */
static void
test_iso8601_parse_rejects_impossible_days(void **state)
{
	static const char *const bad[] = {
		"2026-02-30", "2026-02-29", "2026-04-31", "2100-02-29T00:00Z",
	};
	size_t i;
	double t = 0;

	(void)state;
	/* Leap days that exist are accepted. */
	assert_int_equal(time_parse_iso8601("2024-02-29", &t), 0);
	assert_int_equal(time_parse_iso8601("2000-02-29", &t), 0);
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		if (time_parse_iso8601(bad[i], &t) != -1)
			fail_msg("time_parse_iso8601(\"%s\") accepted",
			    bad[i]);
	}
}

/* An offset separator with nothing after it is not an offset. */
static void
test_iso8601_parse_rejects_dangling_colon(void **state)
{
	double t = 0;

	(void)state;
	assert_int_equal(time_parse_iso8601("2026-11-23T18:31:00+02:", &t),
	    -1);
}

static void
test_iso8601_format(void **state)
{
	char out[40];

	(void)state;
	time_format_iso8601(0, 0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	time_format_iso8601(0, 1, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	time_format_iso8601(T_2026_11_23_1631, 0, out, sizeof(out));
	assert_string_equal(out, "2026-11-23T16:31:00Z");
	time_format_iso8601(T_2026_11_23_1631 + 0.5, 1, out, sizeof(out));
	assert_string_equal(out, "2026-11-23T16:31:00.500Z");
	/* Without a fraction the seconds are truncated, not rounded. */
	time_format_iso8601(T_2026_11_23_1631 + 0.999, 0, out, sizeof(out));
	assert_string_equal(out, "2026-11-23T16:31:00Z");
	time_format_iso8601(-1, 0, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59Z");
	time_format_iso8601(-0.5, 1, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59.500Z");
	/* A short buffer is cut and still terminated. */
	memset(out, 'z', sizeof(out));
	time_format_iso8601(0, 1, out, 11);
	assert_string_equal(out, "1970-01-01");
	assert_int_equal(out[11], 'z');
}

/* Whole seconds survive format then parse, across many years. */
static void
test_iso8601_round_trip_seconds(void **state)
{
	char out[40], again[40];
	unsigned seed = 12345;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		double t, back = -1;

		seed = seed * 1103515245u + 12345u;
		t = (double)(seed % 4102444800u);
		time_format_iso8601(t, 0, out, sizeof(out));
		if (time_parse_iso8601(out, &back) != 0)
			fail_msg("\"%s\" does not parse back", out);
		if (back != t)
			fail_msg("%.0f -> \"%s\" -> %.0f", t, out, back);
		time_format_iso8601(back, 0, again, sizeof(again));
		assert_string_equal(again, out);
	}
}

/* Millisecond times survive format then parse within a millisecond. */
static void
test_iso8601_round_trip_millis(void **state)
{
	char out[40];
	unsigned seed = 777;
	int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		double t, back = -1;

		seed = seed * 1103515245u + 12345u;
		t = T_2026_11_23_1631 + (double)(seed % 100000000u) / 1000;
		time_format_iso8601(t, 1, out, sizeof(out));
		assert_int_equal(strlen(out), 24);
		if (time_parse_iso8601(out, &back) != 0)
			fail_msg("\"%s\" does not parse back", out);
		if (fabs(back - t) >= 0.001)
			fail_msg("%.6f -> \"%s\" -> %.6f", t, out, back);
	}
}

/* A text with milliseconds formats back to the same text. */
static void
test_iso8601_round_trip_text(void **state)
{
	static const char *const texts[] = {
		"2026-11-23T16:31:00.000Z", "2026-11-23T16:31:00.001Z",
		"2026-11-23T16:31:00.123Z", "2026-11-23T16:31:00.999Z",
		"2026-11-23T16:31:59.700Z", "2001-09-09T01:46:40.010Z",
	};
	char out[40];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(texts); i++) {
		double t;

		assert_int_equal(time_parse_iso8601(texts[i], &t), 0);
		time_format_iso8601(t, 1, out, sizeof(out));
		assert_string_equal(out, texts[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_duration_parse_units),
		cmocka_unit_test(test_duration_parse_rejects),
		cmocka_unit_test(test_duration_parse_rejects_hex),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_duration_format_rounding_boundary),
		cmocka_unit_test(test_duration_format_small_buffer),
		cmocka_unit_test(test_duration_round_trip),
		cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_size_parse_rejects),
		cmocka_unit_test(test_iso8601_parse),
		cmocka_unit_test(test_iso8601_parse_rejects),
		cmocka_unit_test(test_iso8601_parse_rejects_impossible_days),
		cmocka_unit_test(test_iso8601_parse_rejects_dangling_colon),
		cmocka_unit_test(test_iso8601_format),
		cmocka_unit_test(test_iso8601_round_trip_seconds),
		cmocka_unit_test(test_iso8601_round_trip_millis),
		cmocka_unit_test(test_iso8601_round_trip_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Tests for the --json writer (util/jsonout.c): byte for byte jansson's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/jsonout.h"
#include "util/xmalloc.h"

/* jansson's text of v, as cmd_print_json used to write it. */
static char *
jansson_text(const json_t *v)
{
	char *s = json_dumps(v, JSONOUT_FLAGS | JSON_ENCODE_ANY);

	assert_non_null(s);
	return s;
}

static void
assert_same_as_jansson(const json_t *v)
{
	char *want = jansson_text(v);
	struct buf b;

	buf_init(&b, 0);
	jsonout_append(&b, v, 0);
	assert_string_equal(buf_cstr(&b), want);
	buf_dispose(&b);
	free(want);
}

/* A value with a bit of everything a result holds. */
static json_t *
sample(void)
{
	json_t *o = json_pack("{s:s, s:n, s:b, s:b, s:I, s:I, s:f, s:f, s:f,"
	    " s:f, s:f, s:f, s:{}, s:[], s:[i, s, [], {}, [[]]]}",
	    "id", "web", "reason", "ok", 1, "bad", 0,
	    "status", (json_int_t)200, "neg", (json_int_t)-9223372036854775807,
	    "latency_ms", 1.2, "latency", 0.001234567891,
	    "whole", 3.0, "tiny", 1e-7, "huge", 1.5e300, "neg_real", -0.5,
	    "empty_obj", "empty_arr", "mixed", 1, "x");

	assert_non_null(o);
	json_object_set_new(o, "escapes", json_string("q\" b\\ \b\f\n\r\t "
	    "\x01\x1f\x7f / \xc3\xa9 \xf0\x9f\x98\x80 end"));
	json_object_set_new(o, "nul", json_stringn("a\0b", 3));
	json_object_set_new(o, "key \"quoted\"\n", json_string("v"));
	json_object_set_new(o, "headers", json_pack("{s:s, s:s}",
	    "content-type", "text/plain", "server", "nginx"));
	json_object_set_new(o, "body_text", json_string(""));
	return o;
}

static void
test_jsonout_matches_jansson(void **state)
{
	json_t *o = sample();
	json_t *a = json_pack("[O, O, [O]]", o, o, o);

	(void)state;
	assert_same_as_jansson(o);
	assert_same_as_jansson(a);
	json_decref(a);
	json_decref(o);
}

static void
test_jsonout_scalars(void **state)
{
	static const double reals[] = { 0.0, -0.0, 1.0, 0.1, 100.0, 1e16,
		1e17, 123456789.123, 5e-324, 1.7976931348623157e308, 0.00015,
	};
	json_t *v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(reals); i++) {
		v = json_real(reals[i]);
		assert_same_as_jansson(v);
		json_decref(v);
	}
	v = json_integer(0);
	assert_same_as_jansson(v);
	json_decref(v);
	assert_same_as_jansson(json_null());
	assert_same_as_jansson(json_true());
	v = json_string("");
	assert_same_as_jansson(v);
	json_decref(v);
}

/* Written at a depth, a value reads as it does inside a document. */
static void
test_jsonout_depth(void **state)
{
	json_t *r = sample();
	json_t *doc = json_pack("{s:i, s:[O, O]}", "schema", 1, "probes", r,
	    r);
	char *want = jansson_text(doc);
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	buf_puts(&b, "{\n  \"schema\": 1,\n  \"probes\": [\n    ");
	jsonout_append(&b, r, 2);
	buf_puts(&b, ",\n    ");
	jsonout_append(&b, r, 2);
	buf_puts(&b, "\n  ]\n}");
	assert_string_equal(buf_cstr(&b), want);
	buf_dispose(&b);
	free(want);
	json_decref(doc);
	json_decref(r);
}

/* Deeper than any indent jansson writes in one piece (32 spaces). */
static void
test_jsonout_deep(void **state)
{
	json_t *v = json_string("leaf"), *w;
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		w = i % 2 ? json_array() : json_object();
		if (i % 2)
			json_array_append_new(w, v);
		else
			json_object_set_new(w, "k", v);
		v = w;
	}
	assert_same_as_jansson(v);
	json_decref(v);
}

/* Appended after text, into a buffer with some room left but not
 * enough: what was there stays, the value is written whole. */
static void
test_jsonout_after_text(void **state)
{
	json_t *r = sample();
	char *want = jansson_text(r);
	size_t i;
	struct buf b;

	(void)state;
	for (i = 0; i < 3; i++) {
		buf_init(&b, 0);
		buf_puts(&b, "head:");
		if (i > 0)
			buf_reserve(&b, i == 1 ? 8 : strlen(want) + 1);
		jsonout_append(&b, r, 0);
		assert_int_equal(b.len, 5 + strlen(want));
		assert_memory_equal(b.data, "head:", 5);
		assert_string_equal(b.data + 5, want);
		buf_dispose(&b);
	}
	free(want);
	json_decref(r);
}

static void
test_jsonout_compact(void **state)
{
	json_t *r = sample();
	char *want = json_dumps(r, JSON_COMPACT | JSON_ENCODE_ANY);
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	buf_putc(&b, '[');
	jsonout_compact(&b, r);
	assert_non_null(want);
	assert_int_equal(b.len, 1 + strlen(want));
	assert_string_equal(b.data + 1, want);
	buf_dispose(&b);
	free(want);
	json_decref(r);
}

/* A buffer with a maximum the text does not fit under gets none of it. */
static void
test_jsonout_bounded(void **state)
{
	json_t *r = sample();
	struct buf b;

	(void)state;
	buf_init(&b, 16);
	buf_puts(&b, "x");
	jsonout_append(&b, r, 1);
	assert_string_equal(buf_cstr(&b), "x");
	assert_true(b.truncated);
	buf_dispose(&b);
	json_decref(r);
}

static void
test_jsonout_null(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	jsonout_append(&b, NULL, 0);
	assert_int_equal(b.len, 0);
	buf_dispose(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonout_matches_jansson),
		cmocka_unit_test(test_jsonout_scalars),
		cmocka_unit_test(test_jsonout_depth),
		cmocka_unit_test(test_jsonout_deep),
		cmocka_unit_test(test_jsonout_after_text),
		cmocka_unit_test(test_jsonout_compact),
		cmocka_unit_test(test_jsonout_bounded),
		cmocka_unit_test(test_jsonout_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests for the condition language (src/expr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "util/buf.h"

/* 2026-11-23T16:31:00Z */
#define NOW 1795451460.0

static const char root_json[] =
    "{"
    "\"status\": 200, \"latency\": 0.213, \"ok\": true, \"bad\": false,"
    "\"nothing\": null, \"zero\": 0, \"zero_real\": 0.0, \"empty\": \"\","
    "\"ea\": [], \"eo\": {}, \"name\": \"Heatwave\","
    "\"stdout\": \"active\\n\", \"real200\": 200.0,"
    "\"body\": {\"status\": \"ok\","
    "  \"latest_stage\": {\"status\": \"degraded\"},"
    "  \"items\": [1, 2.5, \"three\", null, {\"k\": \"v\"}],"
    "  \"poller_last_poll_at\": \"2026-11-23T16:30:00Z\"},"
    "\"headers\": {\"content-type\": \"application/json\", \"x-id\": \"abc\"},"
    "\"rows\": [{\"n\": 5}, {\"n\": 0}],"
    "\"edge-up\": {\"ok\": false}, \"proxy_up\": {\"ok\": true},"
    "\"matches\": 0, \"in\": 1, \"contains\": \"x\","
    "\"tags\": [\"a\", \"b\"],"
    "\"nested\": {\"a\": [1, {\"b\": 2}]},"
    "\"nested2\": {\"a\": [1.0, {\"b\": 2.0}]},"
    "\"ts_s\": 1795451400, \"ts_ms\": 1795451400000,"
    "\"str_num\": \" 42 \", \"str_neg\": \" -3\", \"str_real\": \"3.5\","
    "\"str_bad\": \"42x\", \"str_inf\": \"inf\", \"str_huge\": \"1e999\","
    "\"unicode\": \"h\\u00e9llo\", \"upper\": \"HeLLo \\u00c9A\","
    "\"key\": \"content-type\", \"idx\": 1, \"idx_real\": 1.0,"
    "\"pattern\": \"^act\", \"badpattern\": \"(\","
    "\"long\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    "\"reals\": [0.21300000000000001, 1234.5678, 200.0, 0.0001234, -0.5],"
    "\"near\": 29.9996, \"tiny\": 1e-7, \"vast\": 2e15,"
    "\"fine\": 0.0038659620004182216"
    "}";

static int
setup_root(void **state)
{
	json_error_t err;
	json_t *root = json_loads(root_json, 0, &err);

	if (root == NULL) {
		fprintf(stderr, "fixture: %s at %d\n", err.text, err.column);
		return -1;
	}
	*state = root;
	return 0;
}

static int
teardown_root(void **state)
{
	json_decref(*state);
	return 0;
}

static struct expr *
parse_ok(const char *src)
{
	char *cause = NULL;
	size_t col = 0;
	struct expr *e = expr_parse(src, &cause, &col);

	if (e == NULL)
		fail_msg("%s: unexpected parse error at column %zu: %s", src,
		    col, cause);
	assert_non_null(e);
	return e;
}

/* src must parse and test as want against root. */
static void
check_truth(json_t *root, const char *src, int want)
{
	struct expr *e = parse_ok(src);
	int got = expr_test(e, root, NOW);

	expr_free(e);
	if (got != want)
		fail_msg("%s: expected %s, got %s", src,
		    want ? "true" : "false", got ? "true" : "false");
	assert_int_equal(got, want);
}

#define T(src) check_truth(root, (src), 1)
#define F(src) check_truth(root, (src), 0)

/* src must evaluate to exactly (type included) the JSON text want. */
static void
check_value(json_t *root, const char *src, const char *want)
{
	struct expr *e = parse_ok(src);
	json_t *got = expr_eval(e, root, NOW);
	json_t *exp = json_loads(want, JSON_DECODE_ANY, NULL);
	char *text = json_dumps(got, JSON_ENCODE_ANY);

	assert_non_null(exp);
	if (!json_equal(got, exp))
		fail_msg("%s: expected %s, got %s", src, want, text);
	assert_true(json_equal(got, exp));
	free(text);
	json_decref(got);
	json_decref(exp);
	expr_free(e);
}

#define V(src, want) check_value(root, (src), (want))

/* src must evaluate to a real within 1e-9 of want. */
static void
check_real(json_t *root, const char *src, double want)
{
	struct expr *e = parse_ok(src);
	json_t *got = expr_eval(e, root, NOW);

	if (!json_is_real(got))
		fail_msg("%s: expected a real", src);
	assert_true(json_is_real(got));
	assert_float_equal(json_real_value(got), want, 1e-9);
	json_decref(got);
	expr_free(e);
}

#define R(src, want) check_real(root, (src), (want))

/* src must fail to parse with exactly msg at column col. */
static void
check_error(const char *src, const char *msg, size_t col)
{
	char *cause = NULL;
	size_t errcol = 0;
	struct expr *e = expr_parse(src, &cause, &errcol);

	if (e != NULL)
		fail_msg("%s: parsed, expected \"%s\"", src, msg);
	assert_null(e);
	assert_non_null(cause);
	if (strcmp(cause, msg) != 0 || errcol != col)
		fail_msg("%s: expected %zu: %s\n got %zu: %s", src, col, msg,
		    errcol, cause);
	assert_string_equal(cause, msg);
	assert_int_equal(errcol, col);
	free(cause);
}

static void
check_explain(json_t *root, const char *src, const char *want)
{
	struct expr *e = parse_ok(src);
	char *got = expr_explain(e, root, NOW);

	assert_string_equal(got, want);
	free(got);
	expr_free(e);
}

#define X(src, want) check_explain(root, (src), (want))

static void
test_literals(void **state)
{
	json_t *root = *state;

	V("200", "200");
	V("-3", "-3");
	V("- 3", "-3");
	V("0", "0");
	V("0.5", "0.5");
	V("-0.5", "-0.5");
	V("1e3", "1000.0");
	V("2.5E-1", "0.25");
	V("9223372036854775807", "9223372036854775807");
	R("9223372036854775808", 9223372036854775808.0);
	V("\"a\\\"b\"", "\"a\\\"b\"");
	V("'it\\'s'", "\"it's\"");
	V("'say \"hi\"'", "\"say \\\"hi\\\"\"");
	V("\"tab\\there\"", "\"tab\\there\"");
	V("\"nl\\n\"", "\"nl\\n\"");
	V("\"back\\\\slash\"", "\"back\\\\slash\"");
	V("\"\"", "\"\"");
	V("'h\xc3\xa9'", "\"h\\u00e9\"");
	V("true", "true");
	V("false", "false");
	V("null", "null");
	V("[1, \"a\", null]", "[1, \"a\", null]");
	V("[]", "[]");
	V("[1, [2, [3]],]", "[1, [2, [3]]]");
	V("[1, tags, missing, body.items[1]]",
	    "[1, [\"a\", \"b\"], null, 2.5]");
	V("  status  ", "200");
}

static void
test_durations_and_sizes(void **state)
{
	json_t *root = *state;

	R("300ms", 0.3);
	R("2s", 2);
	R("5m", 300);
	R("1h", 3600);
	R("7d", 604800);
	R("1w", 604800);
	R("1h30m", 5400);
	R("1.5s", 1.5);
	R("-5m", -300);
	R("10KB", 10000);
	R("5MiB", 5242880);
	R("512B", 512);
	R("1GB", 1e9);
	R("2TiB", 2199023255552.0);
	R("1KiB", 1024);
	T("latency < 300ms");
	T("latency > 200ms");
	F("latency > 1s");
	T("1h == 60m");
	T("3600 == 1h");
	T("1KiB > 1KB");
}

static void
test_paths(void **state)
{
	json_t *root = *state;

	V("status", "200");
	V("body.status", "\"ok\"");
	V("body.latest_stage.status", "\"degraded\"");
	V("body . status", "\"ok\"");
	V("body.items.0", "1");
	V("body.items.1", "2.5");
	V("body.items[1]", "2.5");
	V("body.items[-1].k", "\"v\"");
	V("body.items[-5]", "1");
	V("body.items[-6]", "null");
	V("body.items[5]", "null");
	V("body.items.5", "null");
	V("body.items[idx]", "2.5");
	V("body.items[idx_real]", "2.5");
	V("body.items[1.0]", "2.5");
	V("body.items[1.5]", "null");
	V("body.items[\"0\"]", "null");
	V("body.items[true]", "null");
	V("headers[\"content-type\"]", "\"application/json\"");
	V("headers['x-id']", "\"abc\"");
	V("headers[key]", "\"application/json\"");
	V("headers[0]", "null");
	V("headers[missing]", "null");
	V("rows[0].n", "5");
	V("rows.1.n", "0");
	V("rows[-1][\"n\"]", "0");
	V("edge-up.ok", "false");
	V("proxy_up.ok", "true");
	V("nested.a.1.b", "2");
	V("status.x", "null");
	V("tags.x", "null");
	V("name[0]", "null");
	V("nothing.x", "null");
	V("missing", "null");
	V("missing.deeper[3]", "null");
	V("body.null", "null");
	V("body.items[len(tags)]", "\"three\"");
	V("body.items.99999999999", "null");
	V("body.items[-9223372036854775807]", "null");
}

static void
test_non_object_roots(void **state)
{
	struct expr *e = parse_ok("status == null && !exists(status)");
	json_t *arr = json_array(), *v;
	char *s;

	(void)state;
	assert_true(expr_test(e, NULL, NOW));
	assert_true(expr_test(e, arr, NOW));
	assert_true(expr_test(e, json_null(), NOW));
	v = expr_eval(e, NULL, NOW);
	assert_true(json_is_true(v));
	json_decref(v);
	s = expr_explain(e, NULL, NOW);
	assert_string_equal(s, "nothing");
	free(s);
	json_decref(arr);
	expr_free(e);
}

static void
test_equality(void **state)
{
	json_t *root = *state;

	T("status == 200");
	F("status == 201");
	T("status == 200.0");
	T("real200 == 200");
	T("real200 == status");
	F("real200 != 200");
	T("status != 201");
	F("status != 200");
	T("nested == nested2");
	F("nested != nested2");
	T("[1, 2] == [1.0, 2]");
	F("[1, 2] == [1, 2, 3]");
	T("tags == [\"a\", \"b\"]");
	F("tags == [\"b\", \"a\"]");
	T("nested.a[1] == nested2.a[1]");
	F("nested == body");
	T("body.latest_stage == body.latest_stage");
	T("\"a\" == 'a'");
	F("\"a\" == \"A\"");
	T("nothing == null");
	T("missing == null");
	F("missing != null");
	F("nothing == 0");
	F("empty == null");
	F("zero == false");
	T("ok == true");
	F("ok == 1");
	T("bad == false");
	T("ea == []");
	F("ea == eo");
	T("body.status == \"ok\"");
	T("stdout == \"active\\n\"");
	T("zero == zero_real");
	T("-3 == -3.0");
}

static void
test_ordering(void **state)
{
	json_t *root = *state;

	T("status > 100");
	F("status < 100");
	T("status >= 200");
	T("status >= 200.0");
	T("status <= 200");
	F("status > 200");
	T("latency <= 0.213");
	F("latency >= 0.214");
	T("latency > 0");
	T("-1 < 0");
	T("name < \"Z\"");
	T("\"abc\" < \"abd\"");
	T("\"ab\" < \"abc\"");
	F("\"abc\" < \"ab\"");
	T("\"b\" >= \"b\"");
	T("\"b\" > \"B\"");
	F("nothing < 1");
	F("nothing > 1");
	F("nothing >= nothing");
	F("missing >= 0");
	F("missing <= 0");
	F("\"5\" > 1");
	F("\"5\" < 1");
	F("ok > false");
	F("tags > 1");
	F("eo < eo");
	T("9223372036854775807 > 9223372036854775806");
}

static void
test_in_contains(void **state)
{
	json_t *root = *state;

	T("\"a\" in tags");
	F("\"c\" in tags");
	T("2 in [1, 2.0]");
	T("2.0 in [1, 2]");
	T("\"eat\" in \"heatwave\"");
	F("\"x\" in \"heat\"");
	T("\"\" in name");
	T("\"wave\" in name");
	F("\"Wave\" in name");
	T("\"content-type\" in headers");
	F("\"nope\" in headers");
	F("1 in headers");
	F("1 in \"1\"");
	F("1 in 1");
	T("null in [null]");
	T("missing in [null]");
	F("missing in [1]");
	F("\"a\" in missing");
	T("[1] in [[1.0], 2]");
	T("status in [200, 204]");
	F("status in []");
	T("body.status in [\"ok\", \"degraded\"]");
	T("tags contains \"a\"");
	F("tags contains \"z\"");
	T("name contains \"wave\"");
	T("headers contains \"x-id\"");
	F("headers contains \"X-Id\"");
	T("body.items contains null");
	T("body.items contains 2.5");
	F("status contains 2");
	T("\"aab\" contains \"ab\"");
	F("\"ab\" contains \"abc\"");
}

static void
test_matches(void **state)
{
	json_t *root = *state;

	T("stdout matches \"^act\"");
	T("stdout matches 'ive\\n$'");
	F("stdout matches \"^ACT\"");
	T("stdout matches \"(?i)^ACT\"");
	T("unicode matches \"^h.llo$\"");
	F("unicode matches \"^h..llo$\"");
	T("body.status matches \"ok|fail\"");
	F("status matches \"200\"");
	F("missing matches \".*\"");
	T("stdout matches pattern");
	F("stdout matches badpattern");
	F("stdout matches status");
	F("stdout matches missing");
	T("name matches lower(\"^HEAT\") || name matches \"^Heat\"");
	T("empty matches \"^$\"");
}

static void
test_keyword_fields(void **state)
{
	json_t *root = *state;

	T("matches == 0");
	F("matches matches \"x\"");
	T("!matches");
	T("matches in [0]");
	T("exists(matches)");
	T("in == 1");
	T("in in [1, 2]");
	T("contains == \"x\"");
	T("contains contains \"x\"");
	T("contains matches \"^x$\"");
	T("body.items[in] == 2.5");
	T("len(contains) == 1");
}

static void
test_logic(void **state)
{
	json_t *root = *state;

	T("ok && status == 200");
	F("ok && bad");
	T("bad || ok");
	F("bad || nothing");
	F("bad || zero || empty || ea || eo || missing || zero_real");
	T("ok && name && tags && status && latency && headers");
	T("!bad");
	F("!ok");
	T("!nothing");
	T("!zero");
	T("!zero_real");
	T("!empty");
	T("!ea");
	T("!eo");
	T("!missing");
	F("!tags");
	F("!name");
	F("!status");
	F("!latency");
	F("!headers");
	T("!!ok");
	F("!!bad");
	T("proxy_up.ok && !edge-up.ok");
	/* Short-circuit results are booleans, not operands. */
	V("1 && \"a\"", "true");
	V("0 || \"\"", "false");
	V("status || 0", "true");
	V("!status", "false");
	V("status == 200", "true");
	V("status in tags", "false");
}

static void
test_precedence(void **state)
{
	json_t *root = *state;

	T("true || false && false");
	F("(true || false) && false");
	T("false && false || true");
	F("false && (false || true)");
	F("!status == 200");
	T("!status == 201");
	F("!(status == 200)");
	T("(!status) == false");
	T("bad && bad || ok");
	T("ok || bad && bad");
	T("!bad && !nothing");
	F("!(ok || bad)");
	T("((((status)))) == 200");
	T("(status == 200) == true");
	T("[status == 200, bad] == [true, false]");
	T("!\"x\" in [\"y\"]");
}

static void
test_age(void **state)
{
	json_t *root = *state;

	R("age(\"2026-11-23T16:30:00Z\")", 60);
	R("age('2026-11-23t16:30:00z')", 60);
	R("age(\"2026-11-23T17:30:00+01:00\")", 60);
	R("age(\"2026-11-23T11:30:00-0500\")", 60);
	R("age(\"2026-11-23T16:30:00.5Z\")", 59.5);
	R("age(\"2026-11-23T16:30:00,250Z\")", 59.75);
	R("age(\"2026-11-23T16:30Z\")", 60);
	R("age(\"2026-11-23\")", 59460);
	R("age(\"2026-11-23T16:32:00Z\")", -60);
	R("age(body.poller_last_poll_at)", 60);
	R("age(1795451400)", 60);
	R("age(1795451400.5)", 59.5);
	R("age(ts_s)", 60);
	R("age(ts_ms)", 60);
	R("age(1795451400500)", 59.5);
	V("age(\"yesterday\")", "null");
	V("age(\"2026-13-01T00:00:00Z\")", "null");
	V("age(\"\")", "null");
	V("age(true)", "null");
	V("age(missing)", "null");
	V("age(tags)", "null");
	T("age(body.poller_last_poll_at) < 120s");
	F("age(body.poller_last_poll_at) > 1m");
	T("age(body.poller_last_poll_at) >= 1m");
	F("age(missing) < 120s");
	F("age(missing) > 120s");
}

static void
test_len_lower_number(void **state)
{
	json_t *root = *state;

	V("len(\"abc\")", "3");
	V("len(unicode)", "5");
	V("len(\"\")", "0");
	V("len(tags)", "2");
	V("len(ea)", "0");
	V("len(headers)", "2");
	V("len(eo)", "0");
	V("len(status)", "null");
	V("len(missing)", "null");
	V("len(nothing)", "null");
	T("len(body.items) == 5");
	V("lower(upper)", "\"hello \\u00c9a\"");
	V("lower(\"ABC-xyz_09\")", "\"abc-xyz_09\"");
	V("lower(status)", "null");
	V("lower(missing)", "null");
	T("lower(name) == \"heatwave\"");
	V("number(str_num)", "42");
	V("number(str_neg)", "-3");
	V("number(str_real)", "3.5");
	V("number(\"1e3\")", "1000.0");
	V("number(str_bad)", "null");
	V("number(str_inf)", "null");
	V("number(str_huge)", "null");
	V("number(\"nan\")", "null");
	V("number(\"0x10\")", "null");
	V("number(\"infinity\")", "null");
	V("number(\" -2.5e1 \")", "-25.0");
	V("number(\"\")", "null");
	V("number(\"  \")", "null");
	V("number(true)", "1");
	V("number(false)", "0");
	V("number(7)", "7");
	V("number(0.5)", "0.5");
	V("number(nothing)", "null");
	V("number(missing)", "null");
	V("number(tags)", "null");
	T("number(str_num) > 40");
	T("number(str_num) == 42.0");
	V("number(\"99999999999999999999\")", "1e20");
}

static void
test_exists(void **state)
{
	json_t *root = *state;

	T("exists(nothing)");
	F("exists(missing)");
	T("exists(status)");
	T("exists(body.latest_stage.status)");
	F("exists(body.latest_stage.nope)");
	T("exists(body.items.3)");
	F("exists(body.items.5)");
	T("exists(body.items[-1].k)");
	F("exists(body.items[-6])");
	T("exists(headers[\"content-type\"])");
	F("exists(headers[\"Content-Type\"])");
	T("exists(headers[key])");
	F("exists(headers[missing])");
	F("exists(status.x)");
	T("exists(edge-up)");
	T("exists((status))");
	T("!exists(missing) && exists(nothing)");
}

struct refs {
	char names[16][32];
	size_t n;
};

static void
collect_ref(void *arg, const char *name)
{
	struct refs *r = arg;

	assert_true(r->n < 16);
	snprintf(r->names[r->n++], sizeof(r->names[0]), "%s", name);
}

static void
collect_field(void *arg, const char *root, const char *key)
{
	struct refs *r = arg;

	assert_true(r->n < 16);
	snprintf(r->names[r->n++], sizeof(r->names[0]), "%s%s%s", root,
	    key != NULL ? "." : "", key != NULL ? key : "");
}

/* expr_fields: every path with its first key, or the bare root when the
 * path reads all of it, an index of it or a computed step. */
static void
test_fields(void **state)
{
	struct expr *e;
	struct refs r = { .n = 0 };

	(void)state;
	e = parse_ok("web.status.code == 502 && age(web[\"checked_at\"]) > 1m "
	    "&& exists(db) && len(q[0]) > 1 && m.h[k.v] == 1 && "
	    "!(x[y] in [1, z.a])");
	expr_fields(e, collect_field, &r);
	assert_int_equal(r.n, 9);
	assert_string_equal(r.names[0], "web.status");
	assert_string_equal(r.names[1], "web.checked_at");
	assert_string_equal(r.names[2], "db");
	assert_string_equal(r.names[3], "q");
	assert_string_equal(r.names[4], "m.h");
	assert_string_equal(r.names[5], "k.v");
	assert_string_equal(r.names[6], "x");
	assert_string_equal(r.names[7], "y");
	assert_string_equal(r.names[8], "z.a");
	expr_free(e);

	r.n = 0;
	e = parse_ok("1 == 1");
	expr_fields(e, collect_field, &r);
	assert_int_equal(r.n, 0);
	expr_free(e);
}

static void
test_refs(void **state)
{
	struct expr *e;
	struct refs r = { .n = 0 };

	(void)state;
	e = parse_ok("proxy_up.ok && x > 1 && proxy_up.latency < 1s && "
	    "age(t) > 1 && headers[k.v] == x && len(matches) > 0 && "
	    "edge-up.ok");
	expr_refs(e, collect_ref, &r);
	assert_int_equal(r.n, 7);
	assert_string_equal(r.names[0], "proxy_up");
	assert_string_equal(r.names[1], "x");
	assert_string_equal(r.names[2], "t");
	assert_string_equal(r.names[3], "headers");
	assert_string_equal(r.names[4], "k");
	assert_string_equal(r.names[5], "matches");
	assert_string_equal(r.names[6], "edge-up");
	expr_free(e);

	r.n = 0;
	e = parse_ok("1 == 1 && \"age\" in [true, null]");
	expr_refs(e, collect_ref, &r);
	assert_int_equal(r.n, 0);
	expr_free(e);

	r.n = 0;
	e = parse_ok("a[b[c]] in [d, a]");
	expr_refs(e, collect_ref, &r);
	assert_int_equal(r.n, 4);
	assert_string_equal(r.names[0], "a");
	assert_string_equal(r.names[1], "b");
	assert_string_equal(r.names[2], "c");
	assert_string_equal(r.names[3], "d");
	expr_free(e);
}

static void
test_source(void **state)
{
	struct expr *e = parse_ok("status  ==  200");

	(void)state;
	assert_string_equal(expr_source(e), "status  ==  200");
	expr_free(e);
	/* Shown on one line: the ends trimmed, each line break with the
	 * white space around it one space (a YAML block scalar). */
	e = parse_ok("  status == 200 ");
	assert_string_equal(expr_source(e), "status == 200");
	expr_free(e);
	e = parse_ok("body.status == \"ok\" &&\n  latency < 10s\n");
	assert_string_equal(expr_source(e),
	    "body.status == \"ok\" && latency < 10s");
	expr_free(e);
	e = parse_ok("a.ok\r\n\t|| b.ok");
	assert_string_equal(expr_source(e), "a.ok || b.ok");
	expr_free(e);
	expr_free(NULL);
}

static void
test_explain(void **state)
{
	json_t *root = *state;
	struct expr *e;
	char *s;

	X("status == 403", "200");
	X("body.latest_stage.status == \"ok\"", "\"degraded\"");
	X("missing == 1", "nothing");
	X("nothing == 1", "null");
	X("ok", "true");
	X("latency < 0.2", "0.213");
	X("status == 200 && latency < 0.2", "status=200, latency=0.213");
	X("rows[0].n > 0", "5");
	X("status > 1 && status < 500", "200");
	X("headers[key] == \"x\"",
	    "headers[key]=\"application/json\", key=\"content-type\"");
	X("body.latest_stage == 1", "{\"status\":\"degraded\"}");
	X("tags == []", "[\"a\",\"b\"]");
	X("stdout == \"\"", "\"active\\n\"");
	X("unicode == \"\"", "\"h\xc3\xa9llo\"");
	X("exists(missing.x)", "nothing");
	X("1 == 1", "");
	/* age() shows the age it compared beside the time it read. */
	X("age(body.poller_last_poll_at) < 30s",
	    "\"2026-11-23T16:30:00Z\" (1m ago)");
	X("age(ts_ms) < 30s && ts_ms > 0", "1795451400000 (1m ago)");
	X("age(ts_s) < 30s || ts_s == 1", "1795451400 (1m ago)");
	X("age(upper) < 30s", "\"HeLLo \u00c9A\"");
	X("ts_s > 0 && age(ts_s) < 30s && status > 0",
	    "ts_s=1795451400 (1m ago), status=200");
	/* Reals as --json has them (9 significant digits), in the
	 * shortest text: never rounded into a number they are not. */
	X("reals == 1",
	    "[0.213,1234.5678,200,0.0001234,-0.5]");
	X("near > 30", "29.9996");
	X("fine > 1", "0.003865962");
	X("tiny > 1 || vast < 1", "tiny=1e-07, vast=2e+15");
	X("reals[0] > 1 || edge-up.ok || missing",
	    "reals[0]=0.213, edge-up.ok=false, missing=nothing");
	X("long == \"\"", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"");

	/* The whole explanation stays within 240 bytes. */
	e = parse_ok("long == 1 || long == 2 || body == 3 || headers == 4 ||"
	    "name == 5");
	s = expr_explain(e, root, NOW);
	assert_int_equal(strlen(s), 240);
	assert_string_equal(s + 237, "...");
	assert_true(strncmp(s, "long=\"aaaa", 10) == 0);
	free(s);
	expr_free(e);
}

static void
test_errors(void **state)
{
	char big[8300];
	char deep[200];
	size_t i;

	(void)state;
	check_error("", "empty condition", 1);
	check_error("   \t", "empty condition", 1);
	check_error(NULL, "empty condition", 1);
	check_error("status ==",
	    "unexpected end of condition, expected an operand", 10);
	check_error("status == 200 &&",
	    "unexpected end of condition, expected an operand", 17);
	check_error("!", "unexpected end of condition, expected an operand", 2);
	check_error("a.ok && null.ok", "null is a literal here, so a probe "
	    "named \"null\" cannot be read in a condition: rename the probe",
	    9);
	check_error("true[\"ok\"]", "true is a literal here, so a probe "
	    "named \"true\" cannot be read in a condition: rename the probe",
	    1);
	check_error("x[",
	    "unexpected end of condition, expected an operand", 3);
	check_error("status == \"abc", "unterminated string", 11);
	check_error("x == 'abc\\'", "unterminated string", 6);
	check_error("x == 'abc\\", "unterminated string", 6);
	check_error("agee(x) > 1",
	    "unknown function \"agee\"; did you mean \"age\"?", 1);
	check_error("ok && lenn(x)",
	    "unknown function \"lenn\"; did you mean \"len\"?", 7);
	check_error("x > 1 && foo(x)", "unknown function \"foo\"; the "
	    "functions are age, len, exists, lower and number", 10);
	check_error("(status == 200))", "unexpected \")\"", 16);
	check_error("status == )", "unexpected \")\"", 11);
	check_error("()", "unexpected \")\"", 2);
	check_error("== 1", "unexpected \"==\"", 1);
	check_error("rows[0", "expected \"]\"", 7);
	check_error("rows[0.n", "expected \"]\"", 7);
	check_error("(a", "expected \")\"", 3);
	check_error("(a b)", "expected \")\"", 4);
	check_error("len(a", "expected \")\"", 6);
	check_error("[1, 2", "expected \",\" or \"]\"", 6);
	check_error("1 < x < 3",
	    "comparison operators cannot be chained; use &&", 7);
	check_error("x == 1 == 2",
	    "comparison operators cannot be chained; use &&", 8);
	check_error("a in b in c",
	    "comparison operators cannot be chained; use &&", 8);
	check_error("a == b matches \"x\"",
	    "comparison operators cannot be chained; use &&", 8);
	check_error("latency < 5x", "bad duration \"5x\"", 11);
	check_error("latency < 1h30", "bad duration \"1h30\"", 11);
	check_error("latency < 5mb", "bad duration \"5mb\"", 11);
	check_error("size > 5XB", "bad size \"5XB\"", 8);
	check_error("x == 0x10", "bad duration \"0x10\"", 6);
	check_error("x matches \"(\"",
	    "bad regex: missing closing parenthesis", 11);
	check_error("x matches '[a-'",
	    "bad regex: missing terminating ] for character class", 11);
	check_error("x matches 5",
	    "the right side of matches must be a string holding a regex", 11);
	check_error("status = 200",
	    "unexpected \"=\"; did you mean \"==\"?", 8);
	check_error("a & b", "unexpected \"&\"; did you mean \"&&\"?", 3);
	check_error("a | b", "unexpected \"|\"; did you mean \"||\"?", 3);
	check_error("status 200", "unexpected \"200\"; expected an operator",
	    8);
	check_error("a b", "unexpected \"b\"; expected an operator", 3);
	check_error("a 'b'", "unexpected \"'b'\"; expected an operator", 3);
	check_error("a and b", "unexpected \"and\"; did you mean \"&&\"?", 3);
	check_error("a or b", "unexpected \"or\"; did you mean \"||\"?", 3);
	check_error("x contain \"a\"",
	    "unexpected \"contain\"; did you mean \"contains\"?", 3);
	check_error("x match \"a\"",
	    "unexpected \"match\"; did you mean \"matches\"?", 3);
	check_error("len(a, b)", "len() takes 1 argument, not 2", 1);
	check_error("x && age()", "age() takes 1 argument, not 0", 6);
	check_error("exists(1)",
	    "exists() needs a path, such as exists(body.status)", 8);
	check_error("exists(lower(x))",
	    "exists() needs a path, such as exists(body.status)", 8);
	check_error("exists(a == b)",
	    "exists() needs a path, such as exists(body.status)", 8);
	check_error("x == 'a\\q'", "unknown escape \"\\q\" in string", 8);
	check_error("x.\"a\"", "expected a name or an index after \".\"", 3);
	check_error("x.", "expected a name or an index after \".\"", 3);
	check_error("x.-1", "expected a name or an index after \".\"", 3);
	check_error("x @ 1", "unexpected character \"@\"", 3);
	check_error("x == \xe2\x80\x9c" "a\xe2\x80\x9d",
	    "unexpected character \"\xe2\x80\x9c\"; use a plain \" or '", 6);
	check_error("x == \x01", "unexpected character \"\\x01\"", 6);
	check_error("-x", "a minus sign must be followed by a number", 1);
	check_error("x > -\"a\"", "a minus sign must be followed by a number",
	    5);
	check_error("x == 1e999", "number \"1e999\" is out of range", 6);
	check_error("x.99999999999999999999",
	    "index \"99999999999999999999\" is too large", 3);
	check_error("x == \"\xff\"", "string is not valid UTF-8", 6);
	check_error("true(1)", "unexpected \"(\"; expected an operator", 5);
	check_error("\"a\"[0]", "unexpected \"[\"; expected an operator", 4);
	check_error("x == !y", "unexpected \"!\"", 6);
	check_error("a == \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" b",
	    "unexpected \"b\"; expected an operator", 51);
	check_error("a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	    "unexpected \"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"; "
	    "expected an operator", 3);

	/* Nesting: 64 levels parse, 65 do not. */
	for (i = 0; i < 64; i++) {
		deep[i] = '(';
		deep[64 + 1 + i] = ')';
	}
	deep[64] = 'x';
	deep[129] = '\0';
	expr_free(parse_ok(deep));
	memset(deep, '(', 65);
	deep[65] = 'x';
	memset(deep + 66, ')', 65);
	deep[131] = '\0';
	check_error(deep,
	    "condition is nested too deeply (the limit is 64 levels)", 65);
	memset(deep, '!', 64);
	deep[64] = 'x';
	deep[65] = '\0';
	expr_free(parse_ok(deep));
	memset(deep, '!', 65);
	deep[65] = 'x';
	deep[66] = '\0';
	check_error(deep,
	    "condition is nested too deeply (the limit is 64 levels)", 65);
	memset(deep, '[', 65);
	deep[65] = '\0';
	check_error(deep,
	    "condition is nested too deeply (the limit is 64 levels)", 65);

	/* Length: 8192 bytes parse, 8193 do not. */
	memset(big, ' ', 8192);
	big[0] = 'x';
	big[8192] = '\0';
	expr_free(parse_ok(big));
	big[8192] = ' ';
	big[8193] = '\0';
	check_error(big, "condition is too long (the limit is 8192 bytes)",
	    8193);
}

static void
test_error_outputs_optional(void **state)
{
	struct expr *e;
	char *cause = NULL;

	(void)state;
	/* cause and errcol may be NULL. */
	assert_null(expr_parse("x ==", NULL, NULL));
	e = expr_parse("x == (", &cause, NULL);
	assert_null(e);
	assert_string_equal(cause,
	    "unexpected end of condition, expected an operand");
	free(cause);
}

static void
test_long_chains(void **state)
{
	char src[8192];
	size_t i, n = 0;
	struct expr *e;
	json_t *root = *state;

	/* A long && chain is one node: no deep recursion, still correct. */
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(src + n, sizeof(src) - n, "%sok",
		    i ? "&&" : "");
	e = parse_ok(src);
	assert_true(expr_test(e, root, NOW));
	expr_free(e);
	src[n - 2] = 'x';	/* the last operand becomes "ox": missing */
	e = parse_ok(src);
	assert_false(expr_test(e, root, NOW));
	expr_free(e);
}

static void
test_reuse(void **state)
{
	json_t *root = *state, *other;
	struct expr *e = parse_ok("status == 200 && stdout matches \"^act\"");
	int i;

	/* Parse once, evaluate many times, against different roots. */
	for (i = 0; i < 1000; i++)
		assert_true(expr_test(e, root, NOW));
	other = json_pack("{s:i, s:s}", "status", 200, "stdout", "inactive");
	assert_false(expr_test(e, other, NOW));
	json_object_set_new(other, "stdout", json_string("active"));
	assert_true(expr_test(e, other, NOW));
	json_decref(other);
	expr_free(e);
}

static void
collect_term_ref(void *arg, const char *name)
{
	struct buf *b = arg;

	buf_printf(b, "%s%s", b->len ? "," : "", name);
}

/* The top-level && terms: counted, tested and their refs, one by one. */
static void
test_terms(void **state)
{
	json_t *root = json_pack("{s:{s:b}, s:{s:b}, s:{s:i}}", "a", "ok", 1,
	    "b", "ok", 0, "c", "n", 5);
	struct expr *e = parse_ok("a.ok && !b.ok && (c.n > 1 || a.ok)");
	struct expr *single = parse_ok("a.ok || b.ok");
	struct buf refs;

	(void)state;
	assert_int_equal(expr_terms(e), 3);
	assert_true(expr_term_test(e, 0, root, NOW));
	assert_true(expr_term_test(e, 1, root, NOW));
	assert_true(expr_term_test(e, 2, root, NOW));
	assert_false(expr_term_test(e, 3, root, NOW));
	buf_init(&refs, 0);
	expr_term_refs(e, 2, collect_term_ref, &refs);
	assert_string_equal(buf_cstr(&refs), "c,a");
	buf_reset(&refs);
	expr_term_refs(e, 1, collect_term_ref, &refs);
	assert_string_equal(buf_cstr(&refs), "b");
	buf_reset(&refs);
	expr_term_refs(e, 7, collect_term_ref, &refs);
	assert_string_equal(buf_cstr(&refs), "");
	assert_int_equal(expr_terms(single), 1);
	assert_true(expr_term_test(single, 0, root, NOW));
	assert_int_equal(expr_terms(NULL), 0);
	buf_dispose(&refs);
	expr_free(e);
	expr_free(single);
	json_decref(root);
}

/* The atom of atoms[i] has this subject, op, negation and text. */
static void
check_atom(const struct expr_atom *a, const char *subject,
    enum expr_atom_op op, int negated, const char *text)
{
	if (subject == NULL)
		assert_null(a->subject);
	else
		assert_string_equal(a->subject, subject);
	assert_int_equal(a->op, op);
	assert_int_equal(a->negated, negated);
	assert_string_equal(a->text, text);
}

static void
test_atoms_shapes(void **state)
{
	struct expr *e = parse_ok("a.ok && !b.ok && (c.n > 1 || a.ok) && "
	    "5 < x[\"rows\"].0.n && !(y.state == \"ok\") && !!z.ok");
	struct expr_atom *v;
	size_t n;

	(void)state;
	expr_atoms(e, 0, &v, &n);
	assert_int_equal(n, 5);
	check_atom(&v[0], "a.ok", EXPR_ATOM_TRUE, 0, "a.ok");
	assert_string_equal(v[0].root, "a");
	assert_string_equal(v[0].field, "ok");
	check_atom(&v[1], "b.ok", EXPR_ATOM_TRUE, 1, "!b.ok");
	check_atom(&v[2], "x.rows[0].n", EXPR_ATOM_GT, 0, "5 < x[\"rows\"].0.n");
	assert_null(v[2].field);
	assert_int_equal(json_integer_value(v[2].value), 5);
	check_atom(&v[3], "y.state", EXPR_ATOM_EQ, 1, "!(y.state == \"ok\")");
	assert_string_equal(v[3].field, "state");
	check_atom(&v[4], "z.ok", EXPR_ATOM_TRUE, 0, "!!z.ok");
	expr_atoms_free(v, n);
	/* false: `a || b` gives both negated; `a && b` gives nothing. */
	expr_atoms(e, 1, &v, &n);
	assert_int_equal(n, 0);
	assert_null(v);
	expr_atoms_free(v, n);
	expr_free(e);
	e = parse_ok("a.ok || x.n > 5 || (b.ok)");
	expr_atoms(e, 1, &v, &n);
	assert_int_equal(n, 3);
	check_atom(&v[0], "a.ok", EXPR_ATOM_TRUE, 1, "!a.ok");
	check_atom(&v[1], "x.n", EXPR_ATOM_GT, 1, "!(x.n > 5)");
	check_atom(&v[2], "b.ok", EXPR_ATOM_TRUE, 1, "!b.ok");
	expr_atoms_free(v, n);
	expr_free(e);
	e = parse_ok("!(a.ok || b.ok)");
	expr_atoms(e, 0, &v, &n);
	assert_int_equal(n, 2);
	check_atom(&v[0], "a.ok", EXPR_ATOM_TRUE, 1, "!a.ok");
	expr_atoms_free(v, n);
	expr_free(e);
	/* !x that must be false reads x; !!x that must be false, !x. */
	e = parse_ok("!a.ok || !!b.ok || !(c.n == 1)");
	expr_atoms(e, 1, &v, &n);
	assert_int_equal(n, 3);
	check_atom(&v[0], "a.ok", EXPR_ATOM_TRUE, 0, "a.ok");
	check_atom(&v[1], "b.ok", EXPR_ATOM_TRUE, 1, "!b.ok");
	check_atom(&v[2], "c.n", EXPR_ATOM_EQ, 0, "c.n == 1");
	expr_atoms_free(v, n);
	expr_free(e);
	expr_atoms_free(NULL, 0);
}

static void
test_atoms_subjects(void **state)
{
	struct expr *e = parse_ok("len(x.rows) > 0 && lower(x[\"a b\"]) == "
	    "\"q\" && x[y.n] == 1 && x.a == y.b && \"a\" in x.tags && "
	    "x.s in [\"p\", \"q\"] && x.tags contains \"b\" && "
	    "x.s matches \"^a\" && 1 == 2 && !false && exists(x.k)");
	struct expr_atom *v;
	size_t n;

	(void)state;
	expr_atoms(e, 0, &v, &n);
	assert_int_equal(n, 9);
	check_atom(&v[0], "len(x.rows)", EXPR_ATOM_GT, 0, "len(x.rows) > 0");
	assert_string_equal(v[0].root, "x");
	assert_null(v[0].field);
	check_atom(&v[1], "lower(x[\"a b\"])", EXPR_ATOM_EQ, 0,
	    "lower(x[\"a b\"]) == \"q\"");
	check_atom(&v[2], "x.tags", EXPR_ATOM_HAS, 0, "\"a\" in x.tags");
	check_atom(&v[3], "x.s", EXPR_ATOM_IN, 0, "x.s in [\"p\", \"q\"]");
	check_atom(&v[4], "x.tags", EXPR_ATOM_HAS, 0,
	    "x.tags contains \"b\"");
	check_atom(&v[5], "x.s", EXPR_ATOM_MATCHES, 0, "x.s matches \"^a\"");
	check_atom(&v[6], NULL, EXPR_ATOM_CONST, 0, "1 == 2");
	check_atom(&v[7], NULL, EXPR_ATOM_CONST, 1, "!false");
	check_atom(&v[8], "exists(x.k)", EXPR_ATOM_TRUE, 0, "exists(x.k)");
	assert_false(expr_atom_holds(&v[6], NULL));
	assert_true(expr_atom_holds(&v[7], NULL));
	expr_atoms_free(v, n);
	expr_free(e);
}

/* expr_atom_holds agrees with the evaluator on each value. */
static void
test_atoms_hold(void **state)
{
	static const char *const conds[] = {
		"x.v == 200", "x.v != 200", "x.v < 5", "x.v <= 5", "x.v > 5",
		"x.v >= \"m\"", "x.v", "!x.v", "x.v in [1, \"a\", null]",
		"\"b\" in x.v", "x.v contains 2", "x.v matches \"^a\"",
		"!(x.v < 5)", "x.v == null", "10 > x.v",
	};
	static const char *const values[] = {
		"200", "200.0", "4", "5", "5.5", "\"a\"", "\"abc\"", "\"z\"",
		"null", "true", "false", "0", "\"\"", "[]", "{}", "[1,2]",
		"{\"b\":1}", "\"b\"",
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		struct expr *e = parse_ok(conds[i]);
		struct expr_atom *v;
		size_t n;

		expr_atoms(e, 0, &v, &n);
		assert_int_equal(n, 1);
		for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
			json_t *val = json_loads(values[j], JSON_DECODE_ANY,
			    NULL);
			json_t *root = json_pack("{s:{s:O}}", "x", "v", val);

			if (expr_atom_holds(&v[0], val) !=
			    expr_test(e, root, NOW))
				fail_msg("%s with x.v = %s", conds[i],
				    values[j]);
			json_decref(root);
			json_decref(val);
		}
		expr_atoms_free(v, n);
		expr_free(e);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_durations_and_sizes),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_non_object_roots),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_in_contains),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_keyword_fields),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_len_lower_number),
		cmocka_unit_test(test_exists),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_outputs_optional),
		cmocka_unit_test(test_long_chains),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_atoms_shapes),
		cmocka_unit_test(test_atoms_subjects),
		cmocka_unit_test(test_atoms_hold),
	};

	return cmocka_run_group_tests(tests, setup_root, teardown_root);
}

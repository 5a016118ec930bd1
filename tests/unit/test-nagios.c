/* SPDX-License-Identifier: MIT */
/* Tests for the `nagios` probe kind: the output and perfdata parser over
 * real-world lines, and real monitoring plugins when they are installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nagios.h"
#include "probe-harness.h"
#include "util/proc.h"
#include "util/xmalloc.h"

extern const struct probe_kind probe_kind_nagios;

#define PLUGINS "/usr/lib/nagios/plugins"

static int
group_setup(void **state)
{
	(void)state;
	if (proc_init() != 0) {
		perror("proc_init");
		return -1;
	}
	return 0;
}

/* Parses text; the caller decrefs the result. */
static json_t *
parse(const char *text, int want_count)
{
	json_t *out = json_object();
	int n = nagios_parse_output(text, out);

	if (n != want_count)
		fail_msg("%s: %d perf items, want %d", text, n, want_count);
	assert_true(json_is_object(json_object_get(out, "perf")));
	assert_int_equal(json_object_size(json_object_get(out, "perf")),
	    want_count);
	return out;
}

static json_t *
perf(json_t *out, const char *label)
{
	json_t *item = json_object_get(json_object_get(out, "perf"), label);

	if (!json_is_object(item))
		fail_msg("no perf item \"%s\"", label);
	return item;
}

static const char *
str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

static void
assert_num(json_t *obj, const char *key, double want)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_number(v))
		fail_msg("%s is not a number", key);
	if (fabs(json_number_value(v) - want) > 1e-9 * (fabs(want) + 1))
		fail_msg("%s: %g, want %g", key, json_number_value(v), want);
}

static void
assert_absent(json_t *obj, const char *key)
{
	if (json_object_get(obj, key) != NULL)
		fail_msg("%s should be absent", key);
}

static void
test_parse_check_disk(void **state)
{
	json_t *out, *p;

	(void)state;
	out = parse("DISK CRITICAL - free space: / 81769MiB (83% inode=97%);"
	    "| /=17003708416B;2705525309;5411050618;0;270552530944\n", 1);
	assert_string_equal(str(out, "output"),
	    "DISK CRITICAL - free space: / 81769MiB (83% inode=97%);");
	assert_absent(out, "long_output");
	p = perf(out, "/");
	assert_true(json_is_integer(json_object_get(p, "value")));
	assert_num(p, "value", 17003708416.0);
	assert_string_equal(str(p, "uom"), "B");
	assert_true(json_is_integer(json_object_get(p, "warn")));
	assert_num(p, "warn", 2705525309.0);
	assert_num(p, "crit", 5411050618.0);
	assert_num(p, "min", 0);
	assert_num(p, "max", 270552530944.0);
	json_decref(out);

	out = parse("DISK OK - free space: / 3326 MB (56%); "
	    "| /=2643MB;5948;5958;0;5968", 1);
	assert_string_equal(str(out, "output"),
	    "DISK OK - free space: / 3326 MB (56%);");
	assert_string_equal(str(perf(out, "/"), "uom"), "MB");
	json_decref(out);
}

static void
test_parse_check_load(void **state)
{
	json_t *out, *p;

	(void)state;
	out = parse("LOAD OK - total load average: 1.70, 1.07, 0.50|"
	    "load1=1.700;1000.000;2000.000;0; load5=1.070;1000.000;2000.000;0;"
	    " load15=0.500;1000.000;2000.000;0; \n", 3);
	assert_string_equal(str(out, "output"),
	    "LOAD OK - total load average: 1.70, 1.07, 0.50");
	p = perf(out, "load1");
	assert_true(json_is_real(json_object_get(p, "value")));
	assert_num(p, "value", 1.7);
	assert_string_equal(str(p, "uom"), "");
	assert_num(p, "warn", 1000);
	assert_num(p, "crit", 2000);
	assert_num(p, "min", 0);
	assert_absent(p, "max");
	assert_num(perf(out, "load15"), "value", 0.5);
	json_decref(out);
}

static void
test_parse_check_http_ping(void **state)
{
	json_t *out, *p;

	(void)state;
	out = parse("HTTP OK: HTTP/1.1 200 OK - 573 bytes in 0.001 second "
	    "response time |time=0.001088s;;;0.000000;10.000000 size=573B;;;0",
	    2);
	assert_string_equal(str(out, "output"), "HTTP OK: HTTP/1.1 200 OK - "
	    "573 bytes in 0.001 second response time");
	p = perf(out, "time");
	assert_num(p, "value", 0.001088);
	assert_string_equal(str(p, "uom"), "s");
	assert_absent(p, "warn");
	assert_absent(p, "crit");
	assert_num(p, "min", 0);
	assert_num(p, "max", 10);
	p = perf(out, "size");
	assert_num(p, "value", 573);
	assert_string_equal(str(p, "uom"), "B");
	assert_num(p, "min", 0);
	assert_absent(p, "max");
	json_decref(out);

	out = parse("PING OK - Packet loss = 0%, RTA = 0.05 ms|"
	    "rta=0.050000ms;100.000000;500.000000;0.000000 pl=0%;20;60;0", 2);
	assert_string_equal(str(perf(out, "rta"), "uom"), "ms");
	assert_string_equal(str(perf(out, "pl"), "uom"), "%");
	assert_num(perf(out, "pl"), "crit", 60);
	json_decref(out);

	out = parse("OK - 3 units|a=1us b=2c c=3KB d=4GB e=5TB f=6KiB", 6);
	assert_string_equal(str(perf(out, "a"), "uom"), "us");
	assert_string_equal(str(perf(out, "b"), "uom"), "c");
	assert_string_equal(str(perf(out, "f"), "uom"), "KiB");
	json_decref(out);
}

static void
test_parse_quoted_labels(void **state)
{
	json_t *out, *p;

	(void)state;
	out = parse("OK | 'C:\\ used %'=45%;80;90;0;100 'it''s here'=5c "
	    "'a=b'=1 'x y z'=2;3;4", 4);
	p = perf(out, "C:\\ used %");
	assert_num(p, "value", 45);
	assert_string_equal(str(p, "uom"), "%");
	assert_num(p, "max", 100);
	assert_num(perf(out, "it's here"), "value", 5);
	assert_num(perf(out, "a=b"), "value", 1);
	p = perf(out, "x y z");
	assert_num(p, "warn", 3);
	assert_num(p, "crit", 4);
	assert_absent(p, "min");
	json_decref(out);
}

static void
test_parse_ranges(void **state)
{
	json_t *out, *p;

	(void)state;
	out = parse("OK | a=1;10:20;@10:20 b=2;~:5;10: c=3;@5;-1.5 "
	    "d=4;abc;1:2:3 e=5;~;@ f=6;:;5e2", 6);
	p = perf(out, "a");
	assert_string_equal(str(p, "warn"), "10:20");
	assert_string_equal(str(p, "crit"), "@10:20");
	p = perf(out, "b");
	assert_string_equal(str(p, "warn"), "~:5");
	assert_string_equal(str(p, "crit"), "10:");
	p = perf(out, "c");
	assert_string_equal(str(p, "warn"), "@5");
	assert_true(json_is_real(json_object_get(p, "crit")));
	assert_num(p, "crit", -1.5);
	/* Malformed thresholds are dropped, the value is kept. */
	p = perf(out, "d");
	assert_num(p, "value", 4);
	assert_absent(p, "warn");
	assert_absent(p, "crit");
	p = perf(out, "e");
	assert_absent(p, "warn");
	assert_absent(p, "crit");
	p = perf(out, "f");
	assert_absent(p, "warn");
	assert_num(p, "crit", 500);
	json_decref(out);
}

static void
test_parse_missing_fields(void **state)
{
	json_t *out, *p;

	(void)state;
	out = parse("OK|a=1 b=2; c=3;;5 d=-4.25;;;;9 u=U;1;2 e=1e3;1;2;3;4;5;6",
	    6);
	p = perf(out, "a");
	assert_num(p, "value", 1);
	assert_absent(p, "warn");
	assert_absent(p, "crit");
	assert_absent(p, "min");
	assert_absent(p, "max");
	p = perf(out, "b");
	assert_absent(p, "warn");
	p = perf(out, "c");
	assert_absent(p, "warn");
	assert_num(p, "crit", 5);
	p = perf(out, "d");
	assert_num(p, "value", -4.25);
	assert_absent(p, "min");
	assert_num(p, "max", 9);
	p = perf(out, "u");
	assert_true(json_is_null(json_object_get(p, "value")));
	assert_num(p, "crit", 2);
	p = perf(out, "e");
	assert_num(p, "value", 1000);
	assert_num(p, "max", 4);
	json_decref(out);

	out = parse("CHECK OK - nothing to measure", 0);
	assert_string_equal(str(out, "output"),
	    "CHECK OK - nothing to measure");
	json_decref(out);
	out = parse("", 0);
	assert_string_equal(str(out, "output"), "");
	assert_absent(out, "long_output");
	json_decref(out);
	out = parse("|", 0);
	assert_string_equal(str(out, "output"), "");
	json_decref(out);
}

/* The example from the development guidelines: perfdata on the first
 * line, long output, then more perfdata after a `|` in the long output. */
static void
test_parse_multiline(void **state)
{
	json_t *out;

	(void)state;
	out = parse("DISK OK - free space: / 3326 MB (56%); | "
	    "/=2643MB;5948;5958;0;5968\n"
	    "/ 15272 MB (77%);\n"
	    "/boot 68 MB (69%);\n"
	    "/home 69357 MB (27%);\n"
	    "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
	    "/home=69357MB;253404;253409;0;253414 \n"
	    "/var/log=818MB;970;975;0;980\n", 4);
	assert_string_equal(str(out, "output"),
	    "DISK OK - free space: / 3326 MB (56%);");
	assert_string_equal(str(out, "long_output"),
	    "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n"
	    "/var/log 819 MB (84%);");
	assert_num(perf(out, "/"), "value", 2643);
	assert_num(perf(out, "/boot"), "max", 98);
	assert_num(perf(out, "/home"), "warn", 253404);
	assert_num(perf(out, "/var/log"), "crit", 975);
	json_decref(out);

	/* Long output without perfdata; perfdata only in the long part. */
	out = parse("WARNING - 2 jobs late\r\n  job a\r\n  job b\r\n", 0);
	assert_string_equal(str(out, "output"), "WARNING - 2 jobs late");
	assert_string_equal(str(out, "long_output"), "job a\r\n  job b");
	json_decref(out);
	out = parse("OK\n| late=0;1;2", 1);
	assert_string_equal(str(out, "output"), "OK");
	assert_absent(out, "long_output");
	assert_num(perf(out, "late"), "crit", 2);
	json_decref(out);
}

static void
test_parse_garbage(void **state)
{
	static const char *const junk[] = {
		"OK | ===",
		"OK | '",
		"OK | 'unterminated=3 b=4",
		"OK | ;;;;",
		"OK | a= b=; c=;1;2 =5 ''=6",
		"OK | x=abc y=5xyz z=1.2.3 w=-- v=.e5 t=1e s=5MBs",
		"OK | \xff\xfe=1",
		"|||||",
		"OK | a=1;2;3;4;5|b=2",
		"\n\n\n| | |\n",
		"OK | inf=inf nan=nan hex=0x10",
	};
	json_t *out;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(junk); i++) {
		out = json_object();
		nagios_parse_output(junk[i], out);
		assert_true(json_is_string(json_object_get(out, "output")));
		assert_true(json_is_object(json_object_get(out, "perf")));
		json_decref(out);
	}
	/* What is good next to the garbage survives. */
	out = parse("OK | x=abc good=1 y=5xyz 'unterminated", 1);
	assert_num(perf(out, "good"), "value", 1);
	json_decref(out);
	out = parse("OK | t=1e s=5MBs z=1.2.3 v=.5", 1);
	assert_num(perf(out, "v"), "value", 0.5);
	json_decref(out);
	/* Invalid UTF-8 becomes U+FFFD, also in labels. */
	out = parse("OK \xff | \xfe=1", 1);
	assert_string_equal(str(out, "output"), "OK \xef\xbf\xbd");
	assert_num(perf(out, "\xef\xbf\xbd"), "value", 1);
	json_decref(out);
}

/* Runs a nagios probe on argv (a JSON array text). */
static struct harness_result
run_argv(const char *argv, double timeout)
{
	char *params = xasprintf("{\"nagios\": %s}", argv);
	json_t *p = json_loads(params, 0, NULL);
	struct probe *probe;
	struct harness_result r;

	assert_non_null(p);
	free(params);
	probe = harness_probe(&probe_kind_nagios, p, timeout);
	r = harness_run(probe);
	harness_probe_free(probe);
	return r;
}

static json_int_t
exit_of(const struct harness_result *r)
{
	json_t *v = json_object_get(r->fields, "exit");

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void
need_plugin(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", PLUGINS, name);
	if (access(path, X_OK) != 0)
		skip();
}

static void
test_plugin_dummy(void **state)
{
	static const struct {
		const char *code;
		enum probe_state state;
		const char *output;
	} cases[] = {
		{ "0", STATE_OK, "OK: all good" },
		{ "1", STATE_WARNING, "WARNING: so so" },
		{ "2", STATE_CRITICAL, "CRITICAL: on fire" },
		{ "3", STATE_UNKNOWN, "UNKNOWN: no idea" },
	};
	static const char *const text[] = {
		"all good", "so so", "on fire", "no idea",
	};
	struct harness_result r;
	char *argv;
	size_t i;

	(void)state;
	need_plugin("check_dummy");
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		argv = xasprintf("[\"" PLUGINS "/check_dummy\", "
		    "\"%s\", \"%s\"]", cases[i].code, text[i]);
		r = run_argv(argv, 10);
		free(argv);
		assert_null(r.error);
		assert_int_equal(exit_of(&r), (json_int_t)i);
		assert_int_equal(r.verdict, cases[i].state);
		assert_string_equal(json_string_value(json_object_get(r.fields,
		    "output")), cases[i].output);
		assert_string_equal(r.verdict_reason, cases[i].output);
		assert_int_equal(json_object_size(json_object_get(r.fields,
		    "perf")), 0);
		assert_false(json_is_true(json_object_get(r.fields,
		    "truncated")));
		harness_result_dispose(&r);
	}
}

static void
test_plugin_load(void **state)
{
	static const char *const labels[] = { "load1", "load5", "load15" };
	struct harness_result r;
	json_t *p;
	size_t i;

	(void)state;
	need_plugin("check_load");
	r = run_argv("[\"" PLUGINS "/check_load\", \"-w\", \"1000,1000,1000\","
	    " \"-c\", \"2000,2000,2000\"]", 10);
	assert_null(r.error);
	assert_int_equal(exit_of(&r), 0);
	assert_int_equal(r.verdict, STATE_OK);
	assert_true(str_has_prefix(json_string_value(json_object_get(
	    r.fields, "output")), "LOAD OK"));
	for (i = 0; i < ARRAY_LEN(labels); i++) {
		p = perf(r.fields, labels[i]);
		assert_true(json_number_value(json_object_get(p, "value")) >=
		    0);
		assert_num(p, "warn", 1000);
		assert_num(p, "crit", 2000);
		assert_num(p, "min", 0);
	}
	harness_result_dispose(&r);

	/* Bad arguments: the plugin says so and exits 3. */
	r = run_argv("[\"" PLUGINS "/check_load\"]", 10);
	assert_int_equal(exit_of(&r), 3);
	assert_int_equal(r.verdict, STATE_UNKNOWN);
	assert_non_null(r.verdict_reason);
	harness_result_dispose(&r);
}

static void
test_plugin_disk(void **state)
{
	static const enum probe_state states[] = {
		STATE_OK, STATE_WARNING, STATE_CRITICAL,
	};
	struct harness_result r;
	json_int_t code;
	json_t *p;

	(void)state;
	need_plugin("check_disk");
	r = run_argv("[\"" PLUGINS "/check_disk\", \"-w\", \"99%\", \"-c\", "
	    "\"98%\", \"-p\", \"/\"]", 20);
	assert_null(r.error);
	code = exit_of(&r);
	assert_true(code >= 0 && code <= 2);
	assert_int_equal(r.verdict, states[code]);
	assert_true(str_has_prefix(r.verdict_reason, "DISK "));
	p = perf(r.fields, "/");
	assert_true(json_number_value(json_object_get(p, "value")) > 0);
	assert_num(p, "min", 0);
	assert_true(json_number_value(json_object_get(p, "max")) > 0);
	harness_result_dispose(&r);

	/* Less than 100% free always: critical. */
	r = run_argv("[\"" PLUGINS "/check_disk\", \"-w\", \"100%\", \"-c\", "
	    "\"100%\", \"-p\", \"/\"]", 20);
	assert_int_equal(exit_of(&r), 2);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_true(str_has_prefix(r.verdict_reason, "DISK CRITICAL"));
	harness_result_dispose(&r);
}

/* The kind end to end on a stand-in plugin: long output, perfdata in it,
 * odd exit codes, signals, timeouts. */
static void
test_nagios_kind(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_argv("[\"sh\", \"-c\", \"printf 'SVC WARNING - 2 late | n=2;1;5"
	    "\\\\nlate a\\\\nlate b | m=3ms\\\\n'; exit 1\"]", 10);
	assert_int_equal(exit_of(&r), 1);
	assert_int_equal(r.verdict, STATE_WARNING);
	assert_string_equal(r.verdict_reason, "SVC WARNING - 2 late");
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "long_output")), "late a\nlate b");
	assert_num(perf(r.fields, "n"), "crit", 5);
	assert_string_equal(str(perf(r.fields, "m"), "uom"), "ms");
	harness_result_dispose(&r);

	r = run_argv("[\"sh\", \"-c\", \"echo weird; exit 7\"]", 10);
	assert_int_equal(exit_of(&r), 7);
	assert_int_equal(r.verdict, STATE_UNKNOWN);
	assert_string_equal(r.verdict_reason, "weird");
	harness_result_dispose(&r);

	r = run_argv("[\"sh\", \"-c\", \"echo plugin broke >&2; exit 2\"]", 10);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason, "plugin broke");
	harness_result_dispose(&r);

	r = run_argv("[\"sh\", \"-c\", \"exit 2\"]", 10);
	assert_string_equal(r.verdict_reason, "exit 2");
	harness_result_dispose(&r);

	r = run_argv("[\"sh\", \"-c\", \"kill -TERM $$\"]", 10);
	assert_int_equal(r.verdict, STATE_UNKNOWN);
	assert_string_equal(r.verdict_reason, "killed by SIGTERM");
	assert_true(json_is_null(json_object_get(r.fields, "exit")));
	assert_string_equal(str(r.fields, "signal"), "SIGTERM");
	harness_result_dispose(&r);

	r = run_argv("[\"sh\", \"-c\", \"i=0; while [ $i -lt 400 ]; do "
	    "printf 'x%0200d' 0; i=$((i+1)); done\"]", 10);
	assert_true(json_is_true(json_object_get(r.fields, "truncated")));
	harness_result_dispose(&r);

	r = run_argv("[\"sleep\", \"300\"]", 0.3);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed < 3);
	harness_result_dispose(&r);

	r = run_argv("[\"/nonexistent/check_x\"]", 10);
	assert_string_equal(r.error, "command not found: /nonexistent/check_x");
	harness_result_dispose(&r);
}

static void
test_nagios_prepare(void **state)
{
	char id[] = "t";
	struct probe p;
	char *cause = NULL;

	(void)state;
	assert_string_equal(probe_kind_nagios.name, "nagios");
	assert_true(probe_kind_nagios.flags & PROBE_KIND_REMOTE);
	memset(&p, 0, sizeof(p));
	p.id = id;
	p.kind = &probe_kind_nagios;
	p.params = json_pack("{s:[]}", "nagios");
	assert_int_equal(probe_kind_nagios.prepare(&p, &cause), -1);
	assert_string_equal(p.err_field, "nagios");
	free(cause);
	cause = NULL;
	json_decref(p.params);
	p.params = json_pack("{s:{s:s}}", "env", "A", "1");
	assert_int_equal(probe_kind_nagios.prepare(&p, &cause), -1);
	assert_string_equal(p.err_field, "nagios");
	free(cause);
	json_decref(p.params);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_check_disk),
		cmocka_unit_test(test_parse_check_load),
		cmocka_unit_test(test_parse_check_http_ping),
		cmocka_unit_test(test_parse_quoted_labels),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test(test_parse_missing_fields),
		cmocka_unit_test(test_parse_multiline),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_plugin_dummy),
		cmocka_unit_test(test_plugin_load),
		cmocka_unit_test(test_plugin_disk),
		cmocka_unit_test(test_nagios_kind),
		cmocka_unit_test(test_nagios_prepare),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Tests for the `command` probe kind (and `shell:`), run by hand on a loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe-harness.h"
#include "runbook.h"
#include "util/proc.h"
#include "util/xmalloc.h"

extern const struct probe_kind probe_kind_command;

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/triage-command-XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = { "pid", "leader" };
	struct fixture *f = *state;
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

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

/* Runs a command probe with params (a JSON text) under timeout. */
static struct harness_result
run_params(const char *params, double timeout)
{
	json_error_t err;
	json_t *p = json_loads(params, 0, &err);
	struct probe *probe;
	struct harness_result r;

	if (p == NULL)
		fail_msg("bad test JSON: %s: %s", params, err.text);
	probe = harness_probe(&probe_kind_command, p, timeout);
	r = harness_run(probe);
	harness_probe_free(probe);
	return r;
}

static const char *
field_str(const struct harness_result *r, const char *key)
{
	return json_string_value(json_object_get(r->fields, key));
}

static json_int_t
field_int(const struct harness_result *r, const char *key)
{
	json_t *v = json_object_get(r->fields, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static int
field_true(const struct harness_result *r, const char *key)
{
	return json_is_true(json_object_get(r->fields, key));
}

/* A pid written into path by a child; -1 when there is none. */
static pid_t
read_pid(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[32];
	long v = -1;

	if (fp == NULL)
		return -1;
	if (fgets(line, sizeof(line), fp) != NULL) {
		str_trim(line);
		if (str_to_long(line, 1, 1L << 30, &v) != 0)
			v = -1;
	}
	fclose(fp);
	return (pid_t)v;
}

/* Gone: not running and not a zombie (kill(0) succeeds on zombies). */
static int
pid_gone(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return kill(pid, 0) == -1 && errno == ESRCH && access(path, F_OK) != 0;
}

static void
test_command_ok(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_params("{\"command\": [\"sh\", \"-c\", "
	    "\"printf '  hello\\\\n\\\\n'; echo '  warn  ' >&2\"]}", 10);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_null(r.verdict_reason);
	assert_int_equal(field_int(&r, "exit"), 0);
	assert_string_equal(field_str(&r, "stdout"), "hello");
	assert_string_equal(field_str(&r, "stderr"), "warn");
	assert_false(field_true(&r, "truncated"));
	assert_null(json_object_get(r.fields, "signal"));
	assert_null(json_object_get(r.fields, "json"));
	harness_result_dispose(&r);
}

static void
test_command_exit_codes(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_params("{\"command\": [\"sh\", \"-c\", \"exit 3\"]}", 10);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason, "exit 3");
	assert_int_equal(field_int(&r, "exit"), 3);
	harness_result_dispose(&r);

	r = run_params("{\"command\": [\"sh\", \"-c\", "
	    "\"echo; echo ' disk full: /var ' >&2; echo more >&2; "
	    "exit 1\"]}", 10);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason, "exit 1: disk full: /var");
	assert_int_equal(field_int(&r, "exit"), 1);
	assert_string_equal(field_str(&r, "stderr"), "disk full: /var \nmore");
	assert_string_equal(field_str(&r, "stdout"), "");
	harness_result_dispose(&r);

	/* The reason keeps at most 100 characters of stderr. */
	r = run_params("{\"command\": [\"sh\", \"-c\", "
	    "\"printf '%0300d' 0 >&2; exit 2\"]}", 10);
	assert_int_equal(strlen(r.verdict_reason), strlen("exit 2: ") + 100);
	harness_result_dispose(&r);

	r = run_params("{\"command\": [\"false\"]}", 10);
	assert_int_equal(field_int(&r, "exit"), 1);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	harness_result_dispose(&r);
}

static void
test_command_signal(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_params("{\"command\": [\"sh\", \"-c\", \"kill -SEGV $$\"]}",
	    10);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason, "killed by SIGSEGV");
	assert_true(json_is_null(json_object_get(r.fields, "exit")));
	assert_string_equal(field_str(&r, "signal"), "SIGSEGV");
	harness_result_dispose(&r);
}

static void
test_command_json(void **state)
{
	struct harness_result r;
	json_t *doc;

	(void)state;
	r = run_params("{\"command\": [\"echo\", "
	    "\"{\\\"status\\\": \\\"ok\\\", \\\"n\\\": [1, 2]}\"]}", 10);
	doc = json_object_get(r.fields, "json");
	assert_true(json_is_object(doc));
	assert_string_equal(json_string_value(json_object_get(doc, "status")),
	    "ok");
	assert_int_equal(json_array_size(json_object_get(doc, "n")), 2);
	harness_result_dispose(&r);

	r = run_params("{\"command\": [\"echo\", \"{not json\"]}", 10);
	assert_null(json_object_get(r.fields, "json"));
	assert_string_equal(field_str(&r, "stdout"), "{not json");
	harness_result_dispose(&r);

	r = run_params("{\"command\": [\"echo\", \"active\"]}", 10);
	assert_null(json_object_get(r.fields, "json"));
	harness_result_dispose(&r);
}

static void
test_command_env_cwd(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;
	char real[PATH_MAX], *params, *want;

	assert_non_null(realpath(f->dir, real));
	params = xasprintf("{\"command\": [\"sh\", \"-c\", "
	    "\"echo \\\"$TRIAGE_A|$TRIAGE_B\\\"; pwd -P\"], "
	    "\"env\": {\"TRIAGE_A\": \"one two\", \"TRIAGE_B\": \"x=y\"}, "
	    "\"cwd\": \"%s\"}", f->dir);
	r = run_params(params, 10);
	want = xasprintf("one two|x=y\n%s", real);
	assert_string_equal(field_str(&r, "stdout"), want);
	free(want);
	free(params);
	harness_result_dispose(&r);

	/* A variable of ours is replaced, the others are kept. */
	setenv("TRIAGE_KEEP", "kept", 1);
	setenv("TRIAGE_REPLACE", "old", 1);
	r = run_params("{\"command\": [\"sh\", \"-c\", "
	    "\"echo $TRIAGE_KEEP $TRIAGE_REPLACE\"], "
	    "\"env\": {\"TRIAGE_REPLACE\": \"new\"}}", 10);
	assert_string_equal(field_str(&r, "stdout"), "kept new");
	harness_result_dispose(&r);
	unsetenv("TRIAGE_KEEP");
	unsetenv("TRIAGE_REPLACE");

	r = run_params("{\"command\": [\"true\"], "
	    "\"cwd\": \"/nonexistent/triage\"}", 10);
	assert_non_null(r.error);
	assert_true(str_has_prefix(r.error, "cwd /nonexistent/triage: "));
	harness_result_dispose(&r);
}

static void
test_command_shell(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_params("{\"shell\": \"echo hello | tr a-z A-Z; "
	    "echo oops >&2; exit 5\"}", 10);
	assert_int_equal(field_int(&r, "exit"), 5);
	assert_string_equal(field_str(&r, "stdout"), "HELLO");
	assert_string_equal(r.verdict_reason, "exit 5: oops");
	harness_result_dispose(&r);
}

static void
test_command_not_found(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_params("{\"command\": [\"triage-no-such-cmd\", \"x\"]}", 10);
	assert_non_null(r.error);
	assert_string_equal(r.error, "command not found: triage-no-such-cmd");
	assert_null(json_object_get(r.fields, "exit"));
	harness_result_dispose(&r);
}

/* A flood is capped at max_output, truncated says so, and the run still
 * ends as soon as the writer does. */
static void
test_command_flood(void **state)
{
	struct harness_result r;
	const char *out;

	(void)state;
	r = run_params("{\"shell\": "
	    "\"head -c 20000000 /dev/zero | tr '\\\\0' a;"
	    " head -c 300000 /dev/zero | tr '\\\\0' b >&2\"}", 30);
	assert_null(r.error);
	assert_true(r.elapsed < 20);
	assert_int_equal(field_int(&r, "exit"), 0);
	assert_true(field_true(&r, "truncated"));
	out = field_str(&r, "stdout");
	assert_int_equal(strlen(out), PROBE_OUTPUT_MAX);
	assert_int_equal(strspn(out, "a"), PROBE_OUTPUT_MAX);
	assert_int_equal(strlen(field_str(&r, "stderr")), PROBE_OUTPUT_MAX);
	harness_result_dispose(&r);

	r = run_params("{\"command\": [\"head\", \"-c\", \"20000000\", "
	    "\"/dev/zero\"], \"max_output\": 1000}", 30);
	assert_null(r.error);
	assert_true(field_true(&r, "truncated"));
	/* NUL bytes come out as U+FFFD (3 bytes each). */
	assert_int_equal(strlen(field_str(&r, "stdout")), 3000);
	harness_result_dispose(&r);

	r = run_params("{\"shell\": \"printf '\\\\377ok'\"}", 10);
	assert_string_equal(field_str(&r, "stdout"), "\xef\xbf\xbdok");
	harness_result_dispose(&r);
}

static void
test_command_timeout(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_params("{\"command\": [\"sh\", \"-c\", "
	    "\"echo before; sleep 300\"]}", 0.5);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed < 3);
	assert_true(json_is_null(json_object_get(r.fields, "exit")));
	assert_string_equal(field_str(&r, "signal"), "SIGKILL");
	assert_string_equal(field_str(&r, "stdout"), "before");
	harness_result_dispose(&r);
}

/* THE key case: a command that forks a grandchild and hangs is killed with
 * its whole process group at its timeout; nothing is left running, and
 * nothing is left a zombie. */
static void
test_command_timeout_kills_group(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;
	char *params;
	char pidfile[128], leaderfile[128];
	pid_t gc, leader;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	snprintf(leaderfile, sizeof(leaderfile), "%s/leader", f->dir);
	params = xasprintf("{\"command\": [\"sh\", \"-c\", \"echo $$ > %s; "
	    "sleep 300 & echo $! > %s; sleep 300\"]}", leaderfile, pidfile);
	r = run_params(params, 1);
	free(params);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed < 4);
	gc = read_pid(pidfile);
	leader = read_pid(leaderfile);
	assert_true(gc > 0);
	assert_true(leader > 0);
	assert_true(pid_gone(gc));
	assert_true(pid_gone(leader));
	harness_result_dispose(&r);
}

/* The leader exits at once but its grandchild keeps stdout open: the run
 * ends at the timeout, with the grandchild dead. */
static void
test_command_pipe_held(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;
	char *params;
	char pidfile[128];
	pid_t gc;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	params = xasprintf("{\"command\": [\"sh\", \"-c\", "
	    "\"sleep 300 & echo $! > %s; echo bye\"]}", pidfile);
	r = run_params(params, 1);
	free(params);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed >= 0.9 && r.elapsed < 4);
	assert_int_equal(field_int(&r, "exit"), 0);
	assert_string_equal(field_str(&r, "stdout"), "bye");
	gc = read_pid(pidfile);
	assert_true(gc > 0);
	assert_true(pid_gone(gc));
	harness_result_dispose(&r);
}

/* A member that closed its output does not hold the run: it ends when the
 * leader does, and the member is killed. */
static void
test_command_lingering_member(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;
	char *params;
	char pidfile[128];
	pid_t gc;

	snprintf(pidfile, sizeof(pidfile), "%s/pid", f->dir);
	params = xasprintf("{\"command\": [\"sh\", \"-c\", "
	    "\"sleep 300 >/dev/null 2>&1 & echo $! > %s\"]}", pidfile);
	r = run_params(params, 10);
	free(params);
	assert_null(r.error);
	assert_true(r.elapsed < 5);
	gc = read_pid(pidfile);
	assert_true(gc > 0);
	assert_true(pid_gone(gc));
	harness_result_dispose(&r);
}

/* prepare() on params (JSON text): 0, or -1 with the cause and the field. */
static int
prepare(const char *params, const struct host *on, char **cause,
    const char **field)
{
	char id[] = "t";
	struct probe p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.kind = &probe_kind_command;
	p.params = json_loads(params, 0, NULL);
	p.on = on;
	assert_non_null(p.params);
	rc = probe_kind_command.prepare(&p, cause);
	*field = p.err_field;
	if (rc == 0)
		probe_kind_command.release(&p);
	json_decref(p.params);
	return rc;
}

static void
test_command_prepare_errors(void **state)
{
	static const struct {
		const char *params;
		const char *field;
		const char *cause;
	} cases[] = {
		{ "{\"command\": [\"true\"], \"shell\": \"true\"}", "shell",
		    "not both" },
		{ "{}", "command", "required" },
		{ "{\"command\": []}", "command", "non-empty" },
		{ "{\"command\": [\"\"]}", "command", "empty" },
		{ "{\"shell\": \"\"}", "shell", "non-empty" },
		{ "{\"command\": [\"true\"], \"env\": {\"A=B\": \"x\"}}",
		    "env", "bad variable name" },
		{ "{\"command\": [\"true\"], \"env\": {\"\": \"x\"}}",
		    "env", "bad variable name" },
		{ "{\"command\": [\"true\"], \"max_output\": 0}",
		    "max_output", "between" },
		{ "{\"command\": [\"true\"], \"max_output\": 1000000000}",
		    "max_output", "between" },
		{ "{\"command\": [\"true\"], \"cwd\": \"\"}", "cwd",
		    "directory" },
	};
	struct host h;
	const char *field;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		cause = NULL;
		field = NULL;
		assert_int_equal(prepare(cases[i].params, NULL, &cause,
		    &field), -1);
		assert_non_null(cause);
		if (strstr(cause, cases[i].cause) == NULL)
			fail_msg("%s: cause \"%s\"", cases[i].params, cause);
		assert_non_null(field);
		assert_string_equal(field, cases[i].field);
		free(cause);
	}
	/* On a host (remote.h): prepared as here; it runs over ssh. */
	memset(&h, 0, sizeof(h));
	cause = NULL;
	assert_int_equal(prepare("{\"command\": [\"true\"]}", &h, &cause,
	    &field), 0);
	assert_null(cause);
	assert_int_equal(prepare("{\"command\": [\"true\"], \"env\": "
	    "{\"A\": \"1\"}, \"cwd\": \"/\", \"max_output\": 10}", NULL,
	    &cause, &field), 0);
	assert_null(cause);
}

static void
test_command_kind_table(void **state)
{
	(void)state;
	assert_string_equal(probe_kind_command.name, "command");
	assert_string_equal(probe_kind_command.alias, "shell");
	assert_true(probe_kind_command.flags & PROBE_KIND_REMOTE);
	assert_ptr_equal(probe_kind_find("shell"), &probe_kind_command);
	assert_ptr_equal(probe_kind_find("command"), &probe_kind_command);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_ok),
		cmocka_unit_test(test_command_exit_codes),
		cmocka_unit_test(test_command_signal),
		cmocka_unit_test(test_command_json),
		cmocka_unit_test_setup_teardown(test_command_env_cwd, setup,
		    teardown),
		cmocka_unit_test(test_command_shell),
		cmocka_unit_test(test_command_not_found),
		cmocka_unit_test(test_command_flood),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test_setup_teardown(
		    test_command_timeout_kills_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_pipe_held, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_command_lingering_member,
		    setup, teardown),
		cmocka_unit_test(test_command_prepare_errors),
		cmocka_unit_test(test_command_kind_table),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}

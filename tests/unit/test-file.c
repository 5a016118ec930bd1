/* SPDX-License-Identifier: MIT */
/* Tests for the `file` probe kind, and a check of the built-in host
 * runbook's YAML and scripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe-harness.h"
#include "runbook.h"

extern const struct probe_kind probe_kind_file;

struct fixture {
	char dir[64];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/triage-file-XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* Removes the entries the tests create, then the directory. */
static int
teardown(void **state)
{
	static const char *const names[] = { "f", "d", "link", "dangling",
		"fifo", "locked/x", "locked" };
	struct fixture *f = *state;
	char path[128];
	size_t i;

	snprintf(path, sizeof(path), "%s/locked", f->dir);
	chmod(path, 0700);
	for (i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		if (unlink(path) != 0)
			rmdir(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static char *
fx_path(const struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static void
fx_write(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static struct harness_result
run_file(const char *path)
{
	struct probe *p = harness_probe(&probe_kind_file,
	    json_pack("{s:s}", "file", path), 2);
	struct harness_result r = harness_run(p);

	harness_probe_free(p);
	return r;
}

static const char *
field_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
test_file_exists(void **state)
{
	struct fixture *f = *state;
	char *path = fx_path(f, "f");
	struct timespec ts[2];
	struct harness_result r;

	fx_write(path, "hello", 0640);
	/* mtime 100 s ago */
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= 100;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	r = run_file(path);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_true(json_is_true(json_object_get(r.fields, "exists")));
	assert_int_equal(json_integer_value(json_object_get(r.fields, "size")),
	    5);
	assert_string_equal(field_str(r.fields, "mode"), "0640");
	assert_string_equal(field_str(r.fields, "type"), "file");
	assert_true(json_is_real(json_object_get(r.fields, "age")));
	assert_true(json_real_value(json_object_get(r.fields, "age")) >= 99.9);
	assert_true(json_real_value(json_object_get(r.fields, "age")) < 110);
	assert_int_equal(json_integer_value(json_object_get(r.fields, "uid")),
	    getuid());
	assert_int_equal(json_integer_value(json_object_get(r.fields, "gid")),
	    getgid());
	if (getuid() == 0)
		assert_string_equal(field_str(r.fields, "owner"), "root");
	harness_result_dispose(&r);
	free(path);
}

static void
test_file_missing(void **state)
{
	struct fixture *f = *state;
	char *path = fx_path(f, "nope");
	char *want = xasprintf("not_found: %s", path);
	struct harness_result r = run_file(path);

	/* A verdict, not an error, so `expect: '!exists'` can hold. */
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason, want);
	assert_true(json_is_false(json_object_get(r.fields, "exists")));
	assert_null(json_object_get(r.fields, "size"));
	harness_result_dispose(&r);
	free(want);
	free(path);
}

static void
test_file_missing_parent_is_file(void **state)
{
	struct fixture *f = *state;
	char *file = fx_path(f, "f");
	char *path = fx_path(f, "f/below");
	struct harness_result r;

	fx_write(file, "x", 0644);
	r = run_file(path);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_non_null(strstr(r.verdict_reason, "not_found: "));
	harness_result_dispose(&r);
	free(path);
	free(file);
}

static void
test_file_directory(void **state)
{
	struct fixture *f = *state;
	char *path = fx_path(f, "d");
	struct harness_result r;

	assert_int_equal(mkdir(path, 0750), 0);
	assert_int_equal(chmod(path, 0750), 0);
	r = run_file(path);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_string_equal(field_str(r.fields, "type"), "directory");
	assert_string_equal(field_str(r.fields, "mode"), "0750");
	assert_true(json_is_true(json_object_get(r.fields, "exists")));
	harness_result_dispose(&r);
	free(path);
}

static void
test_file_symlink(void **state)
{
	struct fixture *f = *state;
	char *target = fx_path(f, "f");
	char *link = fx_path(f, "link");
	struct harness_result r;

	fx_write(target, "0123456789", 0600);
	assert_int_equal(symlink("f", link), 0);
	r = run_file(link);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_string_equal(field_str(r.fields, "type"), "symlink");
	assert_string_equal(field_str(r.fields, "target"), "f");
	/* size, mode: of what the link points to */
	assert_int_equal(json_integer_value(json_object_get(r.fields, "size")),
	    10);
	assert_string_equal(field_str(r.fields, "mode"), "0600");
	harness_result_dispose(&r);
	free(link);
	free(target);
}

static void
test_file_dangling_symlink(void **state)
{
	struct fixture *f = *state;
	char *link = fx_path(f, "dangling");
	struct harness_result r;

	assert_int_equal(symlink("nowhere", link), 0);
	r = run_file(link);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_non_null(strstr(r.verdict_reason, "dangling symlink to "
	    "nowhere"));
	assert_true(json_is_false(json_object_get(r.fields, "exists")));
	assert_string_equal(field_str(r.fields, "type"), "symlink");
	harness_result_dispose(&r);
	free(link);
}

static void
test_file_fifo(void **state)
{
	struct fixture *f = *state;
	char *path = fx_path(f, "fifo");
	struct harness_result r;

	assert_int_equal(mkfifo(path, 0600), 0);
	r = run_file(path);
	assert_null(r.error);
	assert_string_equal(field_str(r.fields, "type"), "fifo");
	assert_int_equal(json_integer_value(json_object_get(r.fields, "size")),
	    0);
	harness_result_dispose(&r);
	free(path);
}

static void
test_file_permission_denied(void **state)
{
	struct fixture *f = *state;
	char *dir = fx_path(f, "locked");
	char *path = fx_path(f, "locked/x");
	char *want = xasprintf("permission denied: %s", path);
	struct harness_result r;

	if (geteuid() == 0) {
		free(want);
		free(path);
		free(dir);
		skip();	/* root searches any directory */
	}
	assert_int_equal(mkdir(dir, 0700), 0);
	fx_write(path, "x", 0600);
	assert_int_equal(chmod(dir, 0), 0);
	r = run_file(path);
	assert_non_null(r.error);
	assert_string_equal(r.error, want);
	harness_result_dispose(&r);
	free(want);
	free(path);
	free(dir);
}

/* start() must not complete the run itself; a loop callback does. */
static void
test_file_completes_from_loop(void **state)
{
	struct fixture *f = *state;
	char *path = fx_path(f, "f");
	struct probe *p;
	struct probe_run run;
	json_t *out = json_object();
	int i;

	fx_write(path, "x", 0644);
	p = harness_probe(&probe_kind_file, json_pack("{s:s}", "file", path),
	    2);
	memset(&run, 0, sizeof(run));
	run.probe = p;
	run.loop = loop_create();
	run.started = time_mono();
	run.deadline = run.started + 2;
	assert_int_equal(p->kind->start(&run), 0);
	assert_int_equal(run.completed, 0);
	for (i = 0; i < 100 && !run.completed; i++)
		loop_run_once(run.loop, 0.1);
	assert_int_equal(run.completed, 1);
	p->kind->finish(&run, out);
	assert_null(run.priv);
	assert_true(json_is_true(json_object_get(out, "exists")));
	json_decref(out);
	loop_free(run.loop);
	free(run.error);
	free(run.verdict_reason);
	harness_probe_free(p);
	free(path);
}

/* cancel() then finish() releases everything, with no callback after. */
static void
test_file_cancel(void **state)
{
	struct fixture *f = *state;
	struct probe *p = harness_probe(&probe_kind_file,
	    json_pack("{s:s}", "file", f->dir), 2);
	struct probe_run run;
	json_t *out = json_object();

	memset(&run, 0, sizeof(run));
	run.probe = p;
	run.loop = loop_create();
	run.deadline = time_mono() + 2;
	assert_int_equal(p->kind->start(&run), 0);
	p->kind->cancel(&run);
	assert_int_equal(loop_run_once(run.loop, 0), 0);
	assert_int_equal(run.completed, 0);
	p->kind->finish(&run, out);
	assert_null(run.priv);
	json_decref(out);
	loop_free(run.loop);
	harness_probe_free(p);
}

/* On a host the kind compiles a remote stat (tests/cli/test-ssh.sh runs
 * it against a real sshd). */
static void
test_file_prepare_on_host(void **state)
{
	struct host h = { .name = (char *)"dallas" };
	struct probe p;
	char *cause = NULL;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.kind = &probe_kind_file;
	p.params = json_pack("{s:s}", "file", "/etc/hostname");
	p.on = &h;
	assert_int_equal(probe_kind_file.prepare(&p, &cause), 0);
	assert_null(cause);
	assert_non_null(p.priv);
	probe_kind_file.release(&p);
	assert_null(p.priv);
	json_decref(p.params);
}

static void
test_file_kind_table(void **state)
{
	(void)state;
	assert_ptr_equal(probe_kind_find("file"), &probe_kind_file);
	assert_true(probe_kind_file.flags & PROBE_KIND_REMOTE);
	assert_string_equal(probe_kind_file.fields[0].name, "file");
	assert_int_equal(probe_kind_file.fields[0].type, FIELD_STRING);
	assert_true(probe_kind_file.fields[0].flags & FIELD_REQUIRED);
	assert_null(probe_kind_file.fields[1].name);
}

/* The path of src/builtin/host.yaml from the test data dir, or from this
 * source file's own path. */
static char *
host_yaml_path(void)
{
	const char *data = getenv("TRIAGE_TEST_DATA");
	const char *self = __FILE__;
	const char *slash;

	if (data != NULL && *data != '\0')
		return xasprintf("%s/../../src/builtin/host.yaml", data);
	slash = strrchr(self, '/');
	if (slash == NULL)
		return xstrdup("../../src/builtin/host.yaml");
	return xasprintf("%.*s/../../src/builtin/host.yaml",
	    (int)(slash - self), self);
}

/* Loads the YAML with PyYAML, checks the shape the brief promises, and
 * runs each probe's script (when its requirements are met) to check that
 * its stdout is one JSON object. The loader checks it for real. */
static const char host_check_py[] =
    "import json, os, shutil, subprocess, sys, yaml\n"
    "rb = yaml.safe_load(open(os.environ['HOST_YAML']))\n"
    "assert rb['runbook'] == 'host', rb.get('runbook')\n"
    "assert rb['owner'] == 'local'\n"
    "assert rb['title'] == 'This machine'\n"
    "want = ['disk', 'inodes', 'memory', 'swap', 'load', 'clock', 'dns',\n"
    "        'ports', 'systemd']\n"
    "for w in want:\n"
    "    assert w in rb['probes'], w\n"
    "def secs(t):\n"
    "    assert t.endswith('s') and not t.endswith('ms'), t\n"
    "    return float(t[:-1])\n"
    "for pid, p in rb['probes'].items():\n"
    "    assert p.get('layer') and p.get('description'), pid\n"
    "    assert 'expect' in p, pid\n"
    "    assert secs(str(p.get('timeout', '5s'))) <= 5, pid\n"
    "    src = p.get('shell')\n"
    "    assert isinstance(src, str), pid\n"
    "    for k, v in rb.get('vars', {}).items():\n"
    "        src = src.replace('{{' + k + '}}', str(v))\n"
    "    assert '{{' not in src, pid\n"
    "    req = p.get('requires', [])\n"
    "    if not all(os.path.exists(r) if r.startswith('/')\n"
    "               else shutil.which(r) for r in req):\n"
    "        continue\n"
    "    out = subprocess.run(['/bin/sh', '-c', src], capture_output=True,\n"
    "                         timeout=10).stdout\n"
    "    v = json.loads(out)\n"
    "    assert isinstance(v, dict), pid\n"
    "    assert len(out) < 64 * 1024, pid\n";

static void
test_host_yaml(void **state)
{
	char *path = host_yaml_path();
	char *script = NULL;
	char tmpl[] = "/tmp/triage-host-check-XXXXXX";
	int fd, st;

	(void)state;
	assert_int_equal(access(path, R_OK), 0);
	st = system("python3 -c 'import yaml' >/dev/null 2>&1");
	if (st != 0) {
		free(path);
		skip();	/* no PyYAML: the loader's tests validate it */
	}
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, host_check_py, strlen(host_check_py)),
	    (ssize_t)strlen(host_check_py));
	close(fd);
	assert_int_equal(setenv("HOST_YAML", path, 1), 0);
	script = xasprintf("python3 %s", tmpl);
	st = system(script);
	unlink(tmpl);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	free(script);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_exists, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_file_missing_parent_is_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_symlink, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_dangling_symlink,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_fifo, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_permission_denied,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_completes_from_loop,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_cancel, setup,
		    teardown),
		cmocka_unit_test(test_file_prepare_on_host),
		cmocka_unit_test(test_file_kind_table),
		cmocka_unit_test(test_host_yaml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

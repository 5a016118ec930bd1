/* SPDX-License-Identifier: MIT */
/* Tests for the `log` probe kind: tail reading, line endings, matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe-harness.h"
#include "runbook.h"
#include "util/buf.h"

extern const struct probe_kind probe_kind_log;

#define BIG_SIZE (200L * 1024 * 1024)

struct fixture {
	char dir[64];
	char *path;		/* DIR/log */
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	snprintf(f->dir, sizeof(f->dir), "%s/triage-log-XXXXXX",
	    tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->path = xasprintf("%s/log", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *sub = xasprintf("%s/sub", f->dir);

	unlink(f->path);
	rmdir(sub);
	rmdir(f->dir);
	free(sub);
	free(f->path);
	free(f);
	return 0;
}

static void
fx_write(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t off = 0;

	assert_true(fd >= 0);
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		assert_true(n > 0);
		off += (size_t)n;
	}
	close(fd);
}

static void
fx_puts(const char *path, const char *text)
{
	fx_write(path, text, strlen(text));
}

/* Runs a log probe on path; last <= 0 leaves `last` out, match may be
 * NULL. */
static struct harness_result
run_log(const char *path, long last, const char *match)
{
	json_t *params = json_pack("{s:s}", "log", path);
	struct probe *p;
	struct harness_result r;

	if (last > 0)
		json_object_set_new(params, "last", json_integer(last));
	if (match != NULL)
		json_object_set_new(params, "match", json_string(match));
	p = harness_probe(&probe_kind_log, params, 5);
	r = harness_run(p);
	harness_probe_free(p);
	return r;
}

static long
field_int(const struct harness_result *r, const char *key)
{
	json_t *v = json_object_get(r->fields, key);

	assert_true(json_is_integer(v));
	return (long)json_integer_value(v);
}

static const char *
field_str(const struct harness_result *r, const char *key)
{
	json_t *v = json_object_get(r->fields, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "line 1\n" ... "line n\n" */
static char *
numbered_lines(int n, int final_newline)
{
	struct buf b;
	int i;

	buf_init(&b, 0);
	for (i = 1; i <= n; i++)
		buf_printf(&b, "line %d%s", i,
		    i < n || final_newline ? "\n" : "");
	return buf_steal(&b);
}

static void
test_log_last_n_trailing_newline(void **state)
{
	struct fixture *f = *state;
	char *text = numbered_lines(10, 1);
	struct harness_result r;

	fx_puts(f->path, text);
	r = run_log(f->path, 3, "^line (7|8|10)$");
	assert_null(r.error);
	assert_int_equal(field_int(&r, "lines"), 3);
	/* line 7 is outside the last 3 */
	assert_int_equal(field_int(&r, "matches"), 2);
	assert_string_equal(field_str(&r, "last_match"), "line 10");
	/* text is the scanned tail itself, for evidence. */
	assert_string_equal(field_str(&r, "text"), "line 8\nline 9\nline 10");
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason,
	    "2 lines match /^line (7|8|10)$/ in the last 3");
	harness_result_dispose(&r);
	free(text);
}

/* text keeps the newest 64 KiB of a long tail, from a line boundary. */
static void
test_log_text_cap(void **state)
{
	struct fixture *f = *state;
	char *text = numbered_lines(20000, 1);
	struct harness_result r;
	const char *t;

	fx_puts(f->path, text);
	r = run_log(f->path, 20000, NULL);
	assert_null(r.error);
	assert_int_equal(field_int(&r, "lines"), 20000);
	t = field_str(&r, "text");
	assert_non_null(t);
	assert_true(strlen(t) <= 64 * 1024);
	assert_true(strlen(t) > 60 * 1024);
	assert_true(strncmp(t, "line ", 5) == 0);
	assert_non_null(strstr(t, "line 20000"));
	assert_null(strstr(t, "line 1\n"));
	harness_result_dispose(&r);
	free(text);
}

static void
test_log_last_n_no_trailing_newline(void **state)
{
	struct fixture *f = *state;
	char *text = numbered_lines(10, 0);
	struct harness_result r;

	fx_puts(f->path, text);
	r = run_log(f->path, 3, "^line (7|8|10)$");
	assert_null(r.error);
	assert_int_equal(field_int(&r, "lines"), 3);
	assert_int_equal(field_int(&r, "matches"), 2);
	assert_string_equal(field_str(&r, "last_match"), "line 10");
	harness_result_dispose(&r);
	/* last 1: only the unterminated line */
	r = run_log(f->path, 1, "^line 9$");
	assert_int_equal(field_int(&r, "lines"), 1);
	assert_int_equal(field_int(&r, "matches"), 0);
	assert_null(json_object_get(r.fields, "last_match"));
	assert_int_equal(r.verdict, STATE_OK);
	harness_result_dispose(&r);
	free(text);
}

static void
test_log_empty_lines_count(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;

	fx_puts(f->path, "a\n\n\nb\n\n");
	r = run_log(f->path, 3, "^$");
	assert_int_equal(field_int(&r, "lines"), 3);
	assert_int_equal(field_int(&r, "matches"), 2);
	harness_result_dispose(&r);
	fx_puts(f->path, "\n");
	r = run_log(f->path, 5, NULL);
	assert_int_equal(field_int(&r, "lines"), 1);
	harness_result_dispose(&r);
}

static void
test_log_crlf(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;

	fx_puts(f->path, "a\r\nERROR disk x\r\nb\r\nERROR net y\r\n");
	/* `y$` only matches when the \r is gone */
	r = run_log(f->path, 0, "ERROR .* [xy]$");
	assert_null(r.error);
	assert_int_equal(field_int(&r, "lines"), 4);
	assert_int_equal(field_int(&r, "matches"), 2);
	assert_string_equal(field_str(&r, "last_match"), "ERROR net y");
	harness_result_dispose(&r);
}

static void
test_log_empty_file(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;

	fx_puts(f->path, "");
	r = run_log(f->path, 200, "ERROR");
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_int_equal(field_int(&r, "lines"), 0);
	assert_int_equal(field_int(&r, "matches"), 0);
	assert_null(json_object_get(r.fields, "last_match"));
	harness_result_dispose(&r);
}

static void
test_log_fewer_lines_than_last(void **state)
{
	struct fixture *f = *state;
	char *text = numbered_lines(5, 1);
	struct harness_result r;

	fx_puts(f->path, text);
	r = run_log(f->path, 0, "^line 1$");	/* default last: 200 */
	assert_int_equal(field_int(&r, "lines"), 5);
	assert_int_equal(field_int(&r, "matches"), 1);
	assert_string_equal(r.verdict_reason,
	    "1 line matches /^line 1$/ in the last 5");
	harness_result_dispose(&r);
	free(text);
}

static void
test_log_without_match(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;

	fx_puts(f->path, "ERROR one\nERROR two\n");
	r = run_log(f->path, 0, NULL);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_null(r.verdict_reason);
	assert_int_equal(field_int(&r, "lines"), 2);
	assert_null(json_object_get(r.fields, "matches"));
	assert_null(json_object_get(r.fields, "last_match"));
	harness_result_dispose(&r);
}

static void
test_log_match_count_and_last_match(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;

	fx_puts(f->path,
	    "I, [2026-11-23T10:00:00] INFO -- : Started GET /\n"
	    "E, [2026-11-23T10:00:01] ERROR -- : boom\n"
	    "I, [2026-11-23T10:00:02] INFO -- : Completed 200 OK\n"
	    "F, [2026-11-23T10:00:03] FATAL -- :   PG::ConnectionBad  \t\n"
	    "I, [2026-11-23T10:00:04] INFO -- : Completed 200 OK\n");
	r = run_log(f->path, 200, "ERROR|FATAL");
	assert_int_equal(field_int(&r, "lines"), 5);
	assert_int_equal(field_int(&r, "matches"), 2);
	/* trimmed at both ends */
	assert_string_equal(field_str(&r, "last_match"),
	    "F, [2026-11-23T10:00:03] FATAL -- :   PG::ConnectionBad");
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason,
	    "2 lines match /ERROR|FATAL/ in the last 5");
	harness_result_dispose(&r);
}

/* A 200 KB line (3 blocks) before short ones: counted once, matched on its
 * first 64 KiB, kept as 1 KiB of last_match with an ellipsis. */
static void
test_log_long_line(void **state)
{
	struct fixture *f = *state;
	size_t longlen = 200 * 1024;
	struct buf b;
	const char *lm;
	struct harness_result r;

	buf_init(&b, 0);
	buf_puts(&b, "first\n  ERROR ");
	while (b.len < longlen)
		buf_putc(&b, 'x');
	/* beyond the 64 KiB matching cap */
	buf_puts(&b, " HIDDEN\nshort\nlast\n");
	fx_write(f->path, b.data, b.len);

	r = run_log(f->path, 3, "ERROR");
	assert_null(r.error);
	assert_int_equal(field_int(&r, "lines"), 3);
	assert_int_equal(field_int(&r, "matches"), 1);
	lm = field_str(&r, "last_match");
	assert_non_null(lm);
	assert_true(str_has_prefix(lm, "ERROR xxx"));
	/* 1024 bytes of the line, then "…" */
	assert_int_equal(strlen(lm), 1024 + 3);
	assert_string_equal(lm + 1024, "\xe2\x80\xa6");
	harness_result_dispose(&r);

	r = run_log(f->path, 3, "HIDDEN");
	assert_int_equal(field_int(&r, "matches"), 0);
	harness_result_dispose(&r);

	/* last: 4 reaches "first" across the long line */
	r = run_log(f->path, 4, "^first$");
	assert_int_equal(field_int(&r, "lines"), 4);
	assert_int_equal(field_int(&r, "matches"), 1);
	harness_result_dispose(&r);

	/* a final long line with no newline at all */
	fx_write(f->path, b.data, b.len - strlen("\nshort\nlast\n"));
	r = run_log(f->path, 1, "ERROR");
	assert_int_equal(field_int(&r, "lines"), 1);
	assert_int_equal(field_int(&r, "matches"), 1);
	harness_result_dispose(&r);
	buf_dispose(&b);
}

/* 2000 lines of 100 bytes: block boundaries fall inside lines, and the
 * line holding byte 65536 is still one line. */
static void
test_log_lines_across_blocks(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	struct harness_result r;
	int i;

	buf_init(&b, 0);
	for (i = 0; i < 2000; i++)
		buf_printf(&b, "%05d %-93s\n", i, "payload");
	assert_int_equal(b.len, 200000);
	fx_write(f->path, b.data, b.len);

	r = run_log(f->path, 2000, "^00655 payload +$");
	assert_int_equal(field_int(&r, "lines"), 2000);
	assert_int_equal(field_int(&r, "matches"), 1);
	assert_true(str_has_prefix(field_str(&r, "last_match"), "00655 "));
	harness_result_dispose(&r);

	/* the last 1000 start exactly at line 01000 */
	r = run_log(f->path, 1000, "^0(0999|1000) ");
	assert_int_equal(field_int(&r, "lines"), 1000);
	assert_int_equal(field_int(&r, "matches"), 1);
	assert_true(str_has_prefix(field_str(&r, "last_match"), "01000 "));
	harness_result_dispose(&r);

	r = run_log(f->path, 1000000, "payload");
	assert_int_equal(field_int(&r, "lines"), 2000);
	assert_int_equal(field_int(&r, "matches"), 2000);
	harness_result_dispose(&r);
	buf_dispose(&b);
}

static void
test_log_invalid_utf8(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;
	const char *lm;

	fx_write(f->path, "ok\nERROR bad \xff\xfe bytes \xc3\n", 24);
	/* In UTF mode invalid bytes match nothing, not even `.`. */
	r = run_log(f->path, 10, "ERROR");
	assert_null(r.error);
	assert_int_equal(field_int(&r, "matches"), 1);
	lm = field_str(&r, "last_match");
	assert_non_null(lm);	/* valid UTF-8, or jansson refused it */
	assert_string_equal(lm, "ERROR bad \xef\xbf\xbd\xef\xbf\xbd bytes "
	    "\xef\xbf\xbd");
	harness_result_dispose(&r);
}

static void
test_log_missing(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/nope.log", f->dir);
	char *want = xasprintf("not_found: %s", path);
	struct harness_result r = run_log(path, 0, "ERROR");

	assert_non_null(r.error);
	assert_string_equal(r.error, want);
	assert_null(json_object_get(r.fields, "lines"));
	harness_result_dispose(&r);
	free(want);
	free(path);
}

static void
test_log_directory(void **state)
{
	struct fixture *f = *state;
	char *sub = xasprintf("%s/sub", f->dir);
	struct harness_result r;

	assert_int_equal(mkdir(sub, 0700), 0);
	r = run_log(sub, 0, NULL);
	assert_non_null(r.error);
	assert_true(str_has_prefix(r.error, "is a directory: "));
	harness_result_dispose(&r);
	free(sub);
}

static void
test_log_permission_denied(void **state)
{
	struct fixture *f = *state;
	char *want = xasprintf("permission denied: %s", f->path);
	struct harness_result r;

	if (geteuid() == 0) {
		free(want);
		skip();	/* root reads any file */
	}
	fx_puts(f->path, "ERROR\n");
	assert_int_equal(chmod(f->path, 0), 0);
	r = run_log(f->path, 0, "ERROR");
	assert_non_null(r.error);
	assert_string_equal(r.error, want);
	harness_result_dispose(&r);
	free(want);
}

/* Bytes this process has read so far, from /proc/self/io; -1 when that is
 * not available. */
static long long
proc_rchar(void)
{
	FILE *fp = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (str_has_prefix(line, "rchar: ")) {
			v = strtoll(line + 7, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return v;
}

/* A 200 MB file (a hole, then 1000 log lines): reading the last 200 lines
 * must touch only the end. */
static void
test_log_big_file_reads_tail_only(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	struct harness_result r;
	long long before, after;
	int fd, i;

	buf_init(&b, 0);
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "I, [2026-11-23T10:%02d:%02d] %s -- : request "
		    "%d\n", i / 60 % 60, i % 60, i % 97 == 0 ? "ERROR" :
		    "INFO", i);
	fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "head\n", 5), 5);
	assert_int_equal(pwrite(fd, b.data, b.len, BIG_SIZE - (off_t)b.len),
	    (ssize_t)b.len);
	close(fd);

	before = proc_rchar();
	r = run_log(f->path, 200, "ERROR|FATAL");
	after = proc_rchar();
	assert_null(r.error);
	assert_int_equal(field_int(&r, "lines"), 200);
	/* ERROR on i = 873, 970 among i = 800..999 */
	assert_int_equal(field_int(&r, "matches"), 2);
	assert_true(r.elapsed < 0.5);
	if (before >= 0 && after >= 0)
		assert_true(after - before < 1024 * 1024);
	harness_result_dispose(&r);
	buf_dispose(&b);
}

/* start() must not complete the run itself; a loop callback does. */
static void
test_log_completes_from_loop(void **state)
{
	struct fixture *f = *state;
	struct probe *p;
	struct probe_run run;
	json_t *out = json_object();
	int i;

	fx_puts(f->path, "x\n");
	p = harness_probe(&probe_kind_log, json_pack("{s:s}", "log",
	    f->path), 2);
	memset(&run, 0, sizeof(run));
	run.probe = p;
	run.loop = loop_create();
	run.deadline = time_mono() + 2;
	assert_int_equal(p->kind->start(&run), 0);
	assert_int_equal(run.completed, 0);
	for (i = 0; i < 100 && !run.completed; i++)
		loop_run_once(run.loop, 0.1);
	assert_int_equal(run.completed, 1);
	p->kind->finish(&run, out);
	assert_null(run.priv);
	assert_int_equal(json_integer_value(json_object_get(out, "lines")), 1);
	json_decref(out);
	loop_free(run.loop);
	free(run.error);
	free(run.verdict_reason);
	harness_probe_free(p);
}

static void
test_log_cancel(void **state)
{
	struct fixture *f = *state;
	struct probe *p;
	struct probe_run run;
	json_t *out = json_object();

	fx_puts(f->path, "x\n");
	p = harness_probe(&probe_kind_log, json_pack("{s:s}", "log",
	    f->path), 2);
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
	assert_null(json_object_get(out, "lines"));
	json_decref(out);
	loop_free(run.loop);
	harness_probe_free(p);
}

/* prepare() on params; returns its result and sets *cause, *field. */
static int
prepare_log(json_t *params, const struct host *on, char **cause,
    const char **field)
{
	struct probe p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.kind = &probe_kind_log;
	p.params = params;
	p.on = on;
	*cause = NULL;
	rc = probe_kind_log.prepare(&p, cause);
	*field = p.err_field;
	if (rc == 0)
		probe_kind_log.release(&p);
	json_decref(params);
	return rc;
}

static void
test_log_prepare_errors(void **state)
{
	struct host h = { .name = (char *)"dallas" };
	const char *field;
	char *cause;

	(void)state;
	assert_int_equal(prepare_log(json_pack("{s:s, s:s}", "log", "/x",
	    "match", "ERROR|(FATAL"), NULL, &cause, &field), -1);
	assert_string_equal(field, "match");
	assert_non_null(strstr(cause, "not a valid regex"));
	assert_non_null(strstr(cause, "ERROR|(FATAL"));
	free(cause);

	assert_int_equal(prepare_log(json_pack("{s:s, s:i}", "log", "/x",
	    "last", 0), NULL, &cause, &field), -1);
	assert_string_equal(field, "last");
	free(cause);
	assert_int_equal(prepare_log(json_pack("{s:s, s:i}", "log", "/x",
	    "last", 1000001), NULL, &cause, &field), -1);
	assert_string_equal(field, "last");
	free(cause);
	assert_int_equal(prepare_log(json_pack("{s:s, s:i}", "log", "/x",
	    "last", 1000000), NULL, &cause, &field), 0);
	assert_null(cause);

	/* On a host: a remote tail (tests/cli/test-ssh.sh). */
	assert_int_equal(prepare_log(json_pack("{s:s}", "log", "/x"), &h,
	    &cause, &field), 0);
	assert_null(cause);

	/* UTF mode */
	assert_int_equal(prepare_log(json_pack("{s:s, s:s}", "log", "/x",
	    "match", "^\xc3\xa9t\xc3\xa9$"), NULL, &cause, &field), 0);
}

static void
test_log_utf8_match(void **state)
{
	struct fixture *f = *state;
	struct harness_result r;

	fx_puts(f->path, "\xc3\xa9t\xc3\xa9\nete\n");
	/* . is one character, not one byte */
	r = run_log(f->path, 0, "^.t.$");
	assert_int_equal(field_int(&r, "matches"), 2);
	harness_result_dispose(&r);
	r = run_log(f->path, 0, "^..t..$");
	assert_int_equal(field_int(&r, "matches"), 0);
	harness_result_dispose(&r);
}

static void
test_log_kind_table(void **state)
{
	(void)state;
	assert_ptr_equal(probe_kind_find("log"), &probe_kind_log);
	assert_true(probe_kind_log.flags & PROBE_KIND_REMOTE);
	assert_string_equal(probe_kind_log.fields[0].name, "log");
	assert_true(probe_kind_log.fields[0].flags & FIELD_REQUIRED);
	assert_string_equal(probe_kind_log.fields[1].name, "last");
	assert_int_equal(probe_kind_log.fields[1].type, FIELD_INT);
	assert_string_equal(probe_kind_log.fields[2].name, "match");
	assert_null(probe_kind_log.fields[3].name);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_log_last_n_trailing_newline),
		T(test_log_text_cap),
		T(test_log_last_n_no_trailing_newline),
		T(test_log_empty_lines_count),
		T(test_log_crlf),
		T(test_log_empty_file),
		T(test_log_fewer_lines_than_last),
		T(test_log_without_match),
		T(test_log_match_count_and_last_match),
		T(test_log_long_line),
		T(test_log_lines_across_blocks),
		T(test_log_invalid_utf8),
		T(test_log_missing),
		T(test_log_directory),
		T(test_log_permission_denied),
		T(test_log_big_file_reads_tail_only),
		T(test_log_completes_from_loop),
		T(test_log_cancel),
		T(test_log_utf8_match),
		cmocka_unit_test(test_log_prepare_errors),
		cmocka_unit_test(test_log_kind_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Tests for the escalation bundle (bundle.c): its files, as a directory
 * and as a .tar.gz, the runbook's hash, and no secret in any byte. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "engine.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/xmalloc.h"

#define SECRET_NAME "TRIAGE_TEST_BUNDLE_SECRET"
#define SECRET_VALUE "bNd-s3cr3t-Zq9"
#define OTHER_NAME "TRIAGE_TEST_BUNDLE_TOKEN"
#define OTHER_VALUE "tok-Xy7-other"

struct fixture {
	char dir[64];
	char *runbook;		/* path of the runbook file */
	struct runbook *rb;
	json_t *doc;		/* a diagnose document */
	json_t *bring;		/* results of escalation.bring by id */
};

/* The files every bundle of the fixture's runbook holds, sorted. */
static const char *const bundle_files[] = {
	"README.txt",
	"bring/01-command.json",
	"bring/01-command.txt",
	"bring/02-log.json",
	"bring/02-log.txt",
	"bring/03-command.json",
	"bring/03-command.txt",
	"diagnosis.json",
	"host.json",
	"probes.json",
	"runbook.sha256",
	"runbook.yaml",
	NULL,
};

static int
group_setup(void **state)
{
	(void)state;
	proc_init();
	setenv(SECRET_NAME, SECRET_VALUE, 1);
	setenv(OTHER_NAME, OTHER_VALUE, 1);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unsetenv(SECRET_NAME);
	unsetenv(OTHER_NAME);
	return 0;
}

static char *
read_all(const char *path, size_t *len)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (len != NULL)
		*len = b.len;
	return buf_steal(&b);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *shell_line(const char *fmt, ...) PRINTFLIKE(1, 2);

/* The first line the shell command fmt prints, without its newline, or
 * "" (heap). */
static char *
shell_line(const char *fmt, ...)
{
	char line[4096] = "", *cmd;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	cmd = xvasprintf(fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	pclose(p);
	free(cmd);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct probe **probes;
	struct diags d;
	char *path, *text;
	size_t i;

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-bundle-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	path = xasprintf("%s/app.log", f->dir);
	write_file(path, "INFO started\nERROR login failed for token "
	    SECRET_VALUE "\nINFO ok\n");
	free(path);
	/* The secret's value also appears literally in the runbook (a
	 * careless comment): the copy in the bundle must not carry it. */
	f->runbook = xasprintf("%s/runbook.yaml", f->dir);
	text = xasprintf(
	    "# do not commit: the token is " SECRET_VALUE "\n"
	    "runbook: bundled\n"
	    "title: Bundle test\n"
	    "secrets: [" SECRET_NAME ", " OTHER_NAME "]\n"
	    "probes:\n"
	    "  api:\n"
	    "    layer: edge\n"
	    "    command: [echo, \"key={{env." SECRET_NAME "}}\"]\n"
	    "failures:\n"
	    "  api-down: { title: The API is down, when: \"!api.ok\" }\n"
	    "escalation:\n"
	    "  contact: \"#bundle-oncall\"\n"
	    "  bring:\n"
	    "    - { command: [echo, \"token {{env." SECRET_NAME "}}\"] }\n"
	    "    - { log: \"%s/app.log\", last: 10 }\n"
	    "    - { shell: \"echo out-" OTHER_VALUE "; echo "
	    "err-{{env." SECRET_NAME "}} >&2\" }\n", f->dir);
	write_file(f->runbook, text);
	free(text);
	diags_init(&d);
	if (runbook_load_file(f->runbook, &f->rb, &d) != 0) {
		diags_print(&d, stderr);
		diags_dispose(&d);
		return -1;
	}
	diags_dispose(&d);
	probes = xcalloc(f->rb->escalation.nbring + 1, sizeof(*probes));
	for (i = 0; i < f->rb->escalation.nbring; i++)
		probes[i] = &f->rb->escalation.bring[i].probe;
	f->bring = engine_run(f->rb, probes, f->rb->escalation.nbring, NULL);
	free(probes);
	/* A diagnose document that carries the secret in a value, an
	 * object key and a nested string, as an unredacted one would. */
	f->doc = json_pack("{s:i, s:s, s:s, s:[], s:[], s:[], "
	    "s:[{s:s, s:s, s:s, s:s}], s:{s:s}, s:{s:s}}",
	    "schema", 1, "runbook", "bundled", "status", "unmatched",
	    "path", "failures", "possible",
	    "probes", "id", "api", "state", "critical", "reason",
	    "http_403", "stdout", "key=" SECRET_VALUE,
	    "escalation", "contact", "#bundle-oncall",
	    "extra", "header-" SECRET_VALUE, "Bearer " OTHER_VALUE);
	assert_non_null(f->doc);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(fs_remove_tree(f->dir), 0);
	json_decref(f->doc);
	json_decref(f->bring);
	runbook_free(f->rb);
	free(f->runbook);
	free(f);
	return 0;
}

/* Every regular file under dir, relative, sorted, into out (a JSON
 * array); fails on anything that is neither a file nor a directory. */
static void
list_files(const char *dir, const char *rel, json_t *out)
{
	char *path = xasprintf("%s%s%s", dir, *rel ? "/" : "", rel);
	struct dirent *de;
	DIR *dp = opendir(path);

	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL) {
		char *sub, *full;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s%s%s", rel, *rel ? "/" : "", de->d_name);
		full = xasprintf("%s/%s", dir, sub);
		assert_int_equal(lstat(full, &st), 0);
		if (S_ISDIR(st.st_mode))
			list_files(dir, sub, out);
		else if (S_ISREG(st.st_mode))
			json_array_append_new(out, json_string(sub));
		else
			fail_msg("%s is neither a file nor a directory", full);
		free(full);
		free(sub);
	}
	closedir(dp);
	free(path);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The bundle at dir holds exactly bundle_files. */
static void
assert_exact_files(const char *dir)
{
	json_t *list = json_array();
	const char **names;
	size_t i, n;

	list_files(dir, "", list);
	n = json_array_size(list);
	names = xcalloc(n + 1, sizeof(*names));
	for (i = 0; i < n; i++)
		names[i] = json_string_value(json_array_get(list, i));
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n || bundle_files[i] != NULL; i++) {
		if (i >= n || bundle_files[i] == NULL ||
		    strcmp(names[i], bundle_files[i]) != 0)
			fail_msg("bundle file %zu: got %s, want %s", i,
			    i < n ? names[i] : "(none)", bundle_files[i] ?
			    bundle_files[i] : "(none)");
	}
	free(names);
	json_decref(list);
}

/* No file under dir holds a secret's value, in any byte. */
static void
assert_no_secret(const char *dir)
{
	json_t *list = json_array(), *v;
	size_t i;

	list_files(dir, "", list);
	assert_true(json_array_size(list) > 0);
	json_array_foreach(list, i, v) {
		char *path = xasprintf("%s/%s", dir, json_string_value(v));
		size_t len;
		char *data = read_all(path, &len);

		if (memmem(data, len, SECRET_VALUE, strlen(SECRET_VALUE)) !=
		    NULL || memmem(data, len, OTHER_VALUE,
		    strlen(OTHER_VALUE)) != NULL)
			fail_msg("a secret is in %s", path);
		free(data);
		free(path);
	}
	json_decref(list);
}

static json_t *
load_json(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	json_error_t err;
	json_t *v = json_load_file(path, JSON_DECODE_ANY, &err);

	if (v == NULL)
		fail_msg("%s: %s", path, err.text);
	free(path);
	return v;
}

static char *
read_rel(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *text = read_all(path, NULL);

	free(path);
	return text;
}

/* What each file holds. */
static void
assert_contents(struct fixture *f, const char *dir)
{
	char *text, *sum, *want, *redacted;
	json_t *v;

	text = read_rel(dir, "README.txt");
	assert_non_null(strstr(text, "#bundle-oncall"));
	assert_non_null(strstr(text, "bundled (Bundle test)"));
	assert_non_null(strstr(text, "unmatched"));
	assert_non_null(strstr(text, f->runbook));
	free(text);

	/* runbook.sha256 is sha256sum's line for the runbook that ran. */
	sum = shell_line("sha256sum '%s'", f->runbook);
	text = read_rel(dir, "runbook.sha256");
	want = xasprintf("%s\n", sum);
	assert_string_equal(text, want);
	assert_int_equal(strlen(sum), 64 + 2 + strlen(f->runbook));
	free(want);
	free(text);
	free(sum);

	/* runbook.yaml is the runbook, with the literal secret replaced. */
	text = read_rel(dir, "runbook.yaml");
	redacted = runbook_redact(f->rb, f->rb->source);
	assert_string_equal(text, redacted);
	assert_non_null(strstr(text, "the token is ***"));
	free(redacted);
	free(text);

	v = load_json(dir, "host.json");
	assert_true(json_is_string(json_object_get(v, "hostname")));
	assert_true(json_is_string(json_object_get(v, "user")));
	assert_true(json_is_string(json_object_get(v, "kernel")));
	assert_true(json_is_string(json_object_get(v, "triage")));
	assert_non_null(strchr(json_string_value(json_object_get(v, "time")),
	    'T'));
	json_decref(v);

	v = load_json(dir, "diagnosis.json");
	assert_int_equal(json_integer_value(json_object_get(v, "schema")), 1);
	assert_string_equal(json_string_value(json_object_get(v, "status")),
	    "unmatched");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(json_object_get(v, "probes"), 0), "stdout")),
	    "key=***");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(v, "extra"), "header-***")), "Bearer ***");
	json_decref(v);

	v = load_json(dir, "probes.json");
	assert_true(json_is_array(v));
	assert_int_equal(json_array_size(v), 1);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(v, 0), "id")), "api");
	json_decref(v);

	/* Each bring item: the command line, then what it printed. */
	text = read_rel(dir, "bring/01-command.txt");
	assert_true(str_has_prefix(text, "$ echo 'token ***'\n"));
	assert_non_null(strstr(text, "\ntoken ***\n"));
	free(text);
	v = load_json(dir, "bring/01-command.json");
	assert_string_equal(json_string_value(json_object_get(v, "stdout")),
	    "token ***");
	assert_string_equal(json_string_value(json_object_get(v, "kind")),
	    "command");
	json_decref(v);
	text = read_rel(dir, "bring/02-log.txt");
	assert_non_null(strstr(text, "ERROR login failed for token ***"));
	assert_non_null(strstr(text, "INFO ok"));
	free(text);
	v = load_json(dir, "bring/02-log.json");
	assert_string_equal(json_string_value(json_object_get(v, "kind")),
	    "log");
	json_decref(v);
	text = read_rel(dir, "bring/03-command.txt");
	assert_non_null(strstr(text, "out-***"));
	assert_non_null(strstr(text, "# stderr:\nerr-***"));
	free(text);
}

static void
test_directory(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/out/nested/b1", f->dir), *cause = NULL;
	struct stat st;

	/* Missing parents are created. */
	if (bundle_write(f->rb, path, f->doc, f->bring, &cause) != 0)
		fail_msg("bundle_write: %s", cause);
	assert_null(cause);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_exact_files(path);
	assert_contents(f, path);
	assert_no_secret(path);
	free(path);
}

static void
test_tarball(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/b2.tar.gz", f->dir), *cause = NULL;
	char *out = xasprintf("%s/unpacked", f->dir), *line;
	json_t *left = json_array();

	if (bundle_write(f->rb, path, f->doc, f->bring, &cause) != 0)
		fail_msg("bundle_write: %s", cause);
	/* A gzipped tar whose members are the bundle, at its top. */
	line = shell_line("gzip -t '%s' && echo gzip-ok", path);
	assert_string_equal(line, "gzip-ok");
	free(line);
	line = shell_line("tar -tzf '%s' | grep -v '/$' | sed 's,^\\./,,' "
	    "| sort | tr '\\n' ' '", path);
	assert_string_equal(line, "README.txt bring/01-command.json "
	    "bring/01-command.txt bring/02-log.json bring/02-log.txt "
	    "bring/03-command.json bring/03-command.txt diagnosis.json "
	    "host.json probes.json runbook.sha256 runbook.yaml ");
	free(line);
	/* No secret in the compressed stream's contents either. */
	line = shell_line("gzip -dc '%s' | grep -c -a -e '%s' -e '%s'", path,
	    SECRET_VALUE, OTHER_VALUE);
	assert_string_equal(line, "0");
	free(line);
	assert_int_equal(mkdir(out, 0700), 0);
	line = shell_line("tar -xzf '%s' -C '%s' && echo unpacked", path, out);
	assert_string_equal(line, "unpacked");
	free(line);
	assert_exact_files(out);
	assert_contents(f, out);
	assert_no_secret(out);
	/* The staging directory next to it is gone: only the fixture's
	 * files, the tarball and what we unpacked remain. */
	list_files(f->dir, "", left);
	{
		json_t *v;
		size_t i;

		json_array_foreach(left, i, v) {
			const char *name = json_string_value(v);

			if (strcmp(name, "b2.tar.gz") != 0 &&
			    strcmp(name, "app.log") != 0 &&
			    strcmp(name, "runbook.yaml") != 0 &&
			    !str_has_prefix(name, "unpacked/"))
				fail_msg("left behind: %s", name);
		}
	}
	json_decref(left);
	free(out);
	free(path);
}

/* .tgz is a tarball too. */
static void
test_tgz(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/b3.tgz", f->dir), *cause = NULL, *line;
	struct stat st;

	if (bundle_write(f->rb, path, f->doc, f->bring, &cause) != 0)
		fail_msg("bundle_write: %s", cause);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	line = shell_line("tar -tzf '%s' | grep -c README.txt", path);
	assert_string_equal(line, "1");
	free(line);
	free(path);
}

/* An existing directory is refused, and left as it was. */
static void
test_existing_directory(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/taken", f->dir), *cause = NULL;
	char *keep = xasprintf("%s/taken/keep.txt", f->dir);
	json_t *list = json_array();

	assert_int_equal(mkdir(path, 0755), 0);
	write_file(keep, "mine\n");
	assert_int_equal(bundle_write(f->rb, path, f->doc, f->bring, &cause),
	    -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, "exists already"));
	list_files(path, "", list);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(json_string_value(json_array_get(list, 0)),
	    "keep.txt");
	json_decref(list);
	free(cause);
	free(keep);
	free(path);
}

/* An existing tarball is another bundle: it must not be overwritten. */
static void
test_existing_tarball(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/old.tar.gz", f->dir), *cause = NULL;
	char *text;
	int rc;

	write_file(path, "an earlier bundle\n");
	rc = bundle_write(f->rb, path, f->doc, f->bring, &cause);
	text = read_all(path, NULL);
	/* An existing tarball is refused like an existing directory. */
	assert_int_equal(rc, -1);
	assert_string_equal(text, "an earlier bundle\n");
	free(text);
	free(cause);
	free(path);
}

/* A parent that cannot be created: -1 and a cause naming it. */
static void
test_unwritable_parent(void **state)
{
	struct fixture *f = *state;
	char *file = xasprintf("%s/plain", f->dir);
	char *path = xasprintf("%s/plain/b", f->dir), *cause = NULL;

	write_file(file, "x\n");
	assert_int_equal(bundle_write(f->rb, path, f->doc, f->bring, &cause),
	    -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	free(path);
	free(file);
}

/* A bring item with no result (the run was interrupted) still gets its
 * pair of files. */
static void
test_missing_bring_result(void **state)
{
	struct fixture *f = *state;
	char *path = xasprintf("%s/b4", f->dir), *cause = NULL, *text;
	json_t *partial = json_deep_copy(f->bring), *v;

	json_object_del(partial, f->rb->escalation.bring[1].probe.id);
	if (bundle_write(f->rb, path, f->doc, partial, &cause) != 0)
		fail_msg("bundle_write: %s", cause);
	assert_exact_files(path);
	text = read_rel(path, "bring/02-log.txt");
	assert_true(str_has_prefix(text, "$ tail -n 10 "));
	free(text);
	v = load_json(path, "bring/02-log.json");
	assert_true(json_is_null(v));
	json_decref(v);
	json_decref(partial);
	free(path);
}

/* A runbook with no escalation: no bring directory, the rest as ever. */
static void
test_no_escalation(void **state)
{
	struct fixture *f = *state;
	struct runbook *rb = NULL;
	struct diags d;
	const char *text = "runbook: bare\nprobes:\n"
	    "  a: { command: [\"true\"] }\n";
	char *path = xasprintf("%s/b5", f->dir), *cause = NULL, *readme;
	json_t *list = json_array();

	diags_init(&d);
	assert_int_equal(runbook_load_string("bare.yaml", text, strlen(text),
	    &rb, &d), 0);
	diags_dispose(&d);
	if (bundle_write(rb, path, f->doc, NULL, &cause) != 0)
		fail_msg("bundle_write: %s", cause);
	list_files(path, "", list);
	assert_int_equal(json_array_size(list), 6);
	readme = read_rel(path, "README.txt");
	assert_non_null(strstr(readme, "(none given)"));
	free(readme);
	json_decref(list);
	runbook_free(rb);
	free(path);
}

/* The default location is "bundles" in the state directory (whose rules
 * test-fsutil checks). */
static void
test_default_dir(void **state)
{
	char *old_state = getenv("XDG_STATE_HOME") ?
	    xstrdup(getenv("XDG_STATE_HOME")) : NULL;
	char *dir;

	(void)state;
	setenv("XDG_STATE_HOME", "/srv/state", 1);
	dir = bundle_default_dir();
	assert_string_equal(dir, "/srv/state/triage/bundles");
	free(dir);
	if (old_state != NULL)
		setenv("XDG_STATE_HOME", old_state, 1);
	else
		unsetenv("XDG_STATE_HOME");
	free(old_state);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tarball, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tgz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_directory, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_existing_tarball, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unwritable_parent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_bring_result,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_escalation, setup,
		    teardown),
		cmocka_unit_test(test_default_dir),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

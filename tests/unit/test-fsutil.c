/* SPDX-License-Identifier: MIT */
/* Tests for util/fsutil.c: the state directory, mkdir -p of parents, and
 * rm -r that does not follow symbolic links. */
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

#include "util/fsutil.h"
#include "util/xmalloc.h"

static int
setup(void **state)
{
	char tmpl[] = "/tmp/triage-fsutil.XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		return -1;
	*state = xstrdup(tmpl);
	return 0;
}

static int
teardown(void **state)
{
	char *dir = *state;
	int rc = fs_remove_tree(dir);

	free(dir);
	return rc;
}

static void
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
}

static void
test_state_dir(void **state)
{
	char *old_state = getenv("XDG_STATE_HOME") != NULL ?
	    xstrdup(getenv("XDG_STATE_HOME")) : NULL;
	char *old_home = getenv("HOME") != NULL ? xstrdup(getenv("HOME")) :
	    NULL;
	char *d;

	(void)state;
	setenv("XDG_STATE_HOME", "/srv/state", 1);
	d = fs_state_dir();
	assert_string_equal(d, "/srv/state/triage");
	free(d);
	/* A relative XDG_STATE_HOME is ignored, as the XDG spec says. */
	setenv("XDG_STATE_HOME", "rel/state", 1);
	setenv("HOME", "/home/op", 1);
	d = fs_state_dir();
	assert_string_equal(d, "/home/op/.local/state/triage");
	free(d);
	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "", 1);
	d = fs_state_dir();
	assert_string_equal(d, "/tmp/.local/state/triage");
	free(d);
	if (old_state != NULL)
		setenv("XDG_STATE_HOME", old_state, 1);
	if (old_home != NULL)
		setenv("HOME", old_home, 1);
	else
		unsetenv("HOME");
	free(old_state);
	free(old_home);
}

static void
test_make_parents(void **state)
{
	const char *dir = *state;
	char *path = xasprintf("%s/a/b/c/file", dir);
	char *parent = xasprintf("%s/a/b/c", dir);
	char *blocked = xasprintf("%s/a/b/c/file/x/y", dir);
	char *cause = NULL;
	struct stat st;

	assert_int_equal(fs_make_parents(path, &cause), 0);
	assert_int_equal(stat(parent, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* The path itself is not made. */
	assert_int_equal(stat(path, &st), -1);
	/* Again: nothing to do. */
	assert_int_equal(fs_make_parents(path, &cause), 0);
	/* A file where a directory must go: the error names it. */
	touch(path);
	assert_int_equal(fs_make_parents(blocked, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "cannot create"));
	assert_non_null(strstr(cause, "/a/b/c/file"));
	free(cause);
	free(blocked);
	free(parent);
	free(path);
}

static void
test_remove_tree(void **state)
{
	const char *dir = *state;
	char *tree = xasprintf("%s/tree", dir);
	char *file = xasprintf("%s/tree/x/y/z/f", dir);
	char *outside = xasprintf("%s/outside", dir);
	char *kept = xasprintf("%s/outside/kept", dir);
	char *link = xasprintf("%s/tree/x/link", dir);
	char *cause = NULL;
	struct stat st;

	assert_int_equal(fs_make_parents(file, &cause), 0);
	touch(file);
	assert_int_equal(mkdir(outside, 0700), 0);
	touch(kept);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(fs_remove_tree(tree), 0);
	assert_int_equal(lstat(tree, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* What the link pointed to is left alone. */
	assert_int_equal(stat(kept, &st), 0);
	/* Nothing there: an error, with errno. */
	errno = 0;
	assert_int_equal(fs_remove_tree(tree), -1);
	assert_int_equal(errno, ENOENT);
	/* A plain file is removed too. */
	assert_int_equal(fs_remove_tree(kept), 0);
	assert_int_equal(stat(kept, &st), -1);
	free(link);
	free(kept);
	free(outside);
	free(file);
	free(tree);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_dir),
		cmocka_unit_test_setup_teardown(test_make_parents, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remove_tree, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

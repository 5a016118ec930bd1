/* SPDX-License-Identifier: MIT */
/* Tests for option parsing, --help and runbook lookup (cmd.c), against a
 * small fake command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define MAX_ARGV 16

static const struct option_spec fake_options[] = {
	{ "json", 0, OPT_FLAG, "print one JSON document", NULL },
	{ "only", 0, OPT_LIST, "LAYER|PROBE,... to run", "LIST" },
	{ "jobs", 'j', OPT_INT, "probes in flight at most", "N" },
	{ "name", 'n', OPT_STRING, "a name", "NAME" },
	{ "verbose", 'v', OPT_FLAG, "say more", NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int fake_exec(struct cmd_ctx *ctx);

static const struct cmd_entry fake_entry = {
	.name = "fake",
	.summary = "a command for the tests",
	.args = "[ID]",
	.min_args = 0,
	.max_args = 1,
	.options = fake_options,
	.exec = fake_exec,
};

static const struct cmd_entry needs_arg_entry = {
	.name = "fix",
	.summary = "needs one argument",
	.args = "ID",
	.min_args = 1,
	.max_args = 1,
	.options = NULL,
	.exec = fake_exec,
};

static int
fake_exec(struct cmd_ctx *ctx)
{
	(void)ctx;
	return 0;
}

/* One parse: its argv (owned, outlives the ctx), its result and what it
 * printed on stderr. */
struct parse {
	char *argv[MAX_ARGV];
	int argc;
	int rc;
	char *err;
	struct cmd_ctx ctx;
};

/* Runs fn(arg) with fd 2 sent to a temp file; returns what it wrote. */
static char *
capture_stderr(void (*fn)(void *arg), void *arg)
{
	char path[] = "/tmp/triage-test-cmd-XXXXXX";
	struct buf b;
	char chunk[512];
	ssize_t n;
	int fd, saved;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	buf_init(&b, 0);
	assert_true(lseek(fd, 0, SEEK_SET) == 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fd);
	return buf_steal(&b);
}

struct parse_call {
	struct parse *p;
	const struct cmd_entry *cmd;
};

static void
do_parse(void *arg)
{
	struct parse_call *c = arg;

	c->p->rc = cmd_parse(&c->p->ctx, c->cmd, c->p->argc, c->p->argv);
}

/* Parses the NULL-terminated arguments against cmd into p. */
static void
parse(struct parse *p, const struct cmd_entry *cmd, ...)
{
	struct parse_call call = { p, cmd };
	const char *a;
	va_list ap;

	memset(p, 0, sizeof(*p));
	va_start(ap, cmd);
	while ((a = va_arg(ap, const char *)) != NULL) {
		assert_true(p->argc < MAX_ARGV - 1);
		p->argv[p->argc++] = xstrdup(a);
	}
	va_end(ap);
	p->err = capture_stderr(do_parse, &call);
}

static void
parse_dispose(struct parse *p)
{
	int i;

	cmd_dispose(&p->ctx);
	for (i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->err);
}

/* Asserts that the parse failed and printed a message containing text. */
#define assert_parse_error(p, text) do {				\
	assert_int_equal((p)->rc, -1);					\
	if (strstr((p)->err, (text)) == NULL)				\
		fail_msg("stderr \"%s\" lacks \"%s\"", (p)->err, (text)); \
} while (0)

static void
test_parse_nothing(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err, "");
	assert_int_equal(p.ctx.nargs, 0);
	assert_ptr_equal(p.ctx.cmd, &fake_entry);
	assert_null(cmd_opt(&p.ctx, "json"));
	assert_null(cmd_opt(&p.ctx, "only"));
	assert_null(cmd_opt(&p.ctx, "file"));
	assert_null(cmd_opt(&p.ctx, "no-such-option"));
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 128), 128);
	parse_dispose(&p);
}

static void
test_parse_long_options(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--json", "--name", "alpha", "--jobs", "8",
	    "--file", "rb.yaml", "--no-color", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err, "");
	assert_string_equal(cmd_opt(&p.ctx, "json"), "1");
	assert_string_equal(cmd_opt(&p.ctx, "name"), "alpha");
	assert_string_equal(cmd_opt(&p.ctx, "jobs"), "8");
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 128), 8);
	assert_string_equal(cmd_opt(&p.ctx, "file"), "rb.yaml");
	assert_string_equal(cmd_opt(&p.ctx, "no-color"), "1");
	assert_null(cmd_opt(&p.ctx, "verbose"));
	assert_int_equal(p.ctx.nargs, 0);
	parse_dispose(&p);
}

static void
test_parse_equals_values(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--name=alpha=beta", "--jobs=16", "--file=",
	    (const char *)NULL);
	assert_int_equal(p.rc, 0);
	/* Only the first '=' separates. */
	assert_string_equal(cmd_opt(&p.ctx, "name"), "alpha=beta");
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 1), 16);
	assert_string_equal(cmd_opt(&p.ctx, "file"), "");
	parse_dispose(&p);
}

static void
test_parse_short_options(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "-j8", "-n", "beta", "-f", "x.yaml", "-v",
	    (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 1), 8);
	assert_string_equal(cmd_opt(&p.ctx, "name"), "beta");
	assert_string_equal(cmd_opt(&p.ctx, "file"), "x.yaml");
	assert_string_equal(cmd_opt(&p.ctx, "verbose"), "1");
	parse_dispose(&p);

	parse(&p, &fake_entry, "-j", "3", "-nbeta", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 1), 3);
	assert_string_equal(cmd_opt(&p.ctx, "name"), "beta");
	parse_dispose(&p);
}

/* A repeated value option keeps the last value; a list accumulates. */
static void
test_parse_repeats(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--name", "a", "-n", "b", "-j1", "--jobs=2",
	    "--json", "--json", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(cmd_opt(&p.ctx, "name"), "b");
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 0), 2);
	assert_string_equal(cmd_opt(&p.ctx, "json"), "1");
	parse_dispose(&p);
}

static void
test_parse_list_accumulates(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--only", "a", "--only", "b",
	    (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(cmd_opt(&p.ctx, "only"), "a,b");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--only=edge,app", "--only", "db", "--only=x",
	    (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(cmd_opt(&p.ctx, "only"), "edge,app,db,x");
	parse_dispose(&p);
}

static void
test_parse_positionals(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--json", "target", "-v", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ctx.nargs, 1);
	assert_string_equal(p.ctx.args[0], "target");
	assert_string_equal(cmd_opt(&p.ctx, "verbose"), "1");
	parse_dispose(&p);

	/* A lone "-" is an argument (stdin, by convention). */
	parse(&p, &fake_entry, "-", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ctx.nargs, 1);
	assert_string_equal(p.ctx.args[0], "-");
	parse_dispose(&p);
}

/* "--" ends the options: what follows is an argument even when it looks
 * like an option. */
static void
test_parse_double_dash(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "-v", "--", "--json", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ctx.nargs, 1);
	assert_string_equal(p.ctx.args[0], "--json");
	assert_null(cmd_opt(&p.ctx, "json"));
	assert_string_equal(cmd_opt(&p.ctx, "verbose"), "1");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--", "--", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ctx.nargs, 1);
	assert_string_equal(p.ctx.args[0], "--");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ctx.nargs, 0);
	parse_dispose(&p);
}

static void
test_parse_unknown_long_suggests(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--jsno", (const char *)NULL);
	assert_parse_error(&p, "triage fake: unknown option --jsno; did you "
	    "mean --json?");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--jobz=4", (const char *)NULL);
	assert_parse_error(&p, "unknown option --jobz; did you mean --jobs?");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--completely-different", (const char *)NULL);
	assert_parse_error(&p, "triage fake: unknown option "
	    "--completely-different (see triage fake --help)");
	parse_dispose(&p);

	/* A prefix is not an abbreviation. */
	parse(&p, &fake_entry, "--js", (const char *)NULL);
	assert_parse_error(&p, "unknown option --js");
	parse_dispose(&p);
}

static void
test_parse_unknown_short(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "-z", (const char *)NULL);
	assert_parse_error(&p, "triage fake: unknown option -z (see triage "
	    "fake --help)");
	parse_dispose(&p);

	/* Short names come from the command's own table: fix has no -j. */
	parse(&p, &needs_arg_entry, "-j4", "id", (const char *)NULL);
	assert_parse_error(&p, "triage fix: unknown option -j");
	parse_dispose(&p);
}

static void
test_parse_flag_with_value(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--json=yes", (const char *)NULL);
	assert_parse_error(&p, "triage fake: --json takes no value");
	parse_dispose(&p);

	parse(&p, &fake_entry, "-vx", (const char *)NULL);
	assert_parse_error(&p, "--verbose takes no value");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--help=1", (const char *)NULL);
	assert_parse_error(&p, "--help takes no value");
	parse_dispose(&p);
}

static void
test_parse_missing_value(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--name", (const char *)NULL);
	assert_parse_error(&p, "triage fake: --name needs a value (NAME)");
	parse_dispose(&p);

	parse(&p, &fake_entry, "-v", "-j", (const char *)NULL);
	assert_parse_error(&p, "--jobs needs a value (N)");
	parse_dispose(&p);

	parse(&p, &fake_entry, "--only", (const char *)NULL);
	assert_parse_error(&p, "--only needs a value (LIST)");
	parse_dispose(&p);

	/* The next word is the value, whatever it looks like. */
	parse(&p, &fake_entry, "--name", "--json", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(cmd_opt(&p.ctx, "name"), "--json");
	assert_null(cmd_opt(&p.ctx, "json"));
	parse_dispose(&p);
}

static void
test_parse_bad_int(void **state)
{
	static const char *const bad[] = {
		"0", "-1", "abc", "8x", "1000001", "", "1.5",
		"99999999999999999999",
	};
	struct parse p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(bad); i++) {
		parse(&p, &fake_entry, "--jobs", bad[i], (const char *)NULL);
		assert_parse_error(&p, "--jobs takes a whole number from 1 "
		    "to 1000000");
		assert_non_null(strstr(p.err, bad[i]));
		parse_dispose(&p);
	}
	parse(&p, &fake_entry, "-j1000000", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 0), 1000000);
	parse_dispose(&p);
}

static void
test_parse_too_many_args(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "one", "two", (const char *)NULL);
	assert_parse_error(&p, "triage fake: unexpected argument \"two\"");
	assert_non_null(strstr(p.err, "usage: triage fake [options] [ID]"));
	parse_dispose(&p);

	parse(&p, &needs_arg_entry, "a", "--", "b", (const char *)NULL);
	assert_parse_error(&p, "triage fix: unexpected argument \"b\"");
	parse_dispose(&p);
}

static void
test_parse_missing_args(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &needs_arg_entry, (const char *)NULL);
	assert_parse_error(&p, "triage fix: missing ID");
	assert_non_null(strstr(p.err, "usage: triage fix [options] ID"));
	parse_dispose(&p);

	parse(&p, &needs_arg_entry, "tunnel-down", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.ctx.nargs, 1);
	assert_string_equal(p.ctx.args[0], "tunnel-down");
	parse_dispose(&p);
}

/* --help wins over argument counts, so "fix --help" works without an ID. */
static void
test_parse_help_short_circuits(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &needs_arg_entry, "--help", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err, "");
	assert_string_equal(cmd_opt(&p.ctx, "help"), "1");
	parse_dispose(&p);

	parse(&p, &fake_entry, "a", "b", "c", "-h", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.err, "");
	assert_string_equal(cmd_opt(&p.ctx, "help"), "1");
	parse_dispose(&p);
}

static void
test_opt_int_default_on_garbage(void **state)
{
	struct parse p;

	(void)state;
	parse(&p, &fake_entry, "--name", "abc", (const char *)NULL);
	assert_int_equal(p.rc, 0);
	/* Not a number: the default. */
	assert_int_equal(cmd_opt_int(&p.ctx, "name", 5), 5);
	assert_int_equal(cmd_opt_int(&p.ctx, "jobs", 7), 7);
	assert_int_equal(cmd_opt_int(&p.ctx, "nothing", 9), 9);
	parse_dispose(&p);
}

static char *
usage_text(const struct cmd_entry *cmd)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	cmd_usage(cmd, f);
	fclose(f);
	return text;
}

/* The option table drives --help: every option, its short name and
 * metavar are there. */
static void
test_usage_lists_options(void **state)
{
	static const char *const want[] = {
		"usage: triage fake [options] [ID]", "a command for the tests",
		"--json", "print one JSON document", "--only LIST",
		"-j, --jobs N", "-n, --name NAME", "-v, --verbose",
		"common options:", "-f, --file RUNBOOK", "--builtin",
		"--no-color", "-h, --help", "exit status:",
	};
	char *text = usage_text(&fake_entry);
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(want); i++) {
		if (strstr(text, want[i]) == NULL)
			fail_msg("usage lacks \"%s\":\n%s", want[i], text);
	}
	/* Options come before the common options. */
	assert_true(strstr(text, "--verbose") < strstr(text, "common "
	    "options:"));
	free(text);

	/* A command without options has no "options:" section. */
	text = usage_text(&needs_arg_entry);
	assert_non_null(strstr(text, "usage: triage fix [options] ID"));
	assert_null(strstr(text, "\noptions:"));
	assert_non_null(strstr(text, "common options:"));
	free(text);
}

static void
test_style(void **state)
{
	struct cmd_ctx ctx;
	struct style st;

	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	st = cmd_style(&ctx);
	assert_string_equal(st.bold, "");
	assert_string_equal(st.red, "");
	assert_string_equal(st.reset, "");
	ctx.color = 1;
	st = cmd_style(&ctx);
	assert_string_equal(st.red, "\033[31m");
	assert_string_equal(st.reset, "\033[0m");
}

struct load_call {
	struct cmd_ctx *ctx;
	struct runbook *rb;
	int rc;
};

static void
do_load(void *arg)
{
	struct load_call *c = arg;

	c->rc = cmd_load_runbook(c->ctx, &c->rb);
}

static void
test_load_runbook_file_and_conflicts(void **state)
{
	char dir[] = "/tmp/triage-test-cmd-XXXXXX", path[64];
	struct load_call call;
	struct parse p;
	FILE *f;
	char *err;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rb.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("runbook: from-file\nprobes:\n  up: { tcp: \"127.0.0.1:1\" }\n",
	    f);
	fclose(f);

	parse(&p, &fake_entry, "-f", path, (const char *)NULL);
	assert_int_equal(p.rc, 0);
	call = (struct load_call){ &p.ctx, NULL, -2 };
	err = capture_stderr(do_load, &call);
	assert_int_equal(call.rc, 0);
	assert_non_null(call.rb);
	assert_string_equal(call.rb->id, "from-file");
	assert_int_equal(call.rb->nprobes, 1);
	runbook_free(call.rb);
	free(err);
	parse_dispose(&p);

	parse(&p, &fake_entry, "--builtin", "-f", path, (const char *)NULL);
	assert_int_equal(p.rc, 0);
	call = (struct load_call){ &p.ctx, NULL, -2 };
	err = capture_stderr(do_load, &call);
	assert_int_equal(call.rc, -1);
	assert_non_null(strstr(err, "--builtin and --file cannot be used "
	    "together"));
	free(err);
	parse_dispose(&p);

	/* A runbook with an error says so and loads nothing. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("runbook: BAD ID\nprobes:\n  up: { tcp: \"127.0.0.1:1\" }\n", f);
	fclose(f);
	parse(&p, &fake_entry, "--file", path, (const char *)NULL);
	call = (struct load_call){ &p.ctx, NULL, -2 };
	err = capture_stderr(do_load, &call);
	assert_int_equal(call.rc, -1);
	assert_null(call.rb);
	assert_non_null(strstr(err, "nothing was run"));
	assert_non_null(strstr(err, "rb.yaml:1:"));
	free(err);
	parse_dispose(&p);

	unlink(path);
	rmdir(dir);
}

static void
test_load_runbook_builtin(void **state)
{
	struct load_call call;
	struct parse p;
	char *err;

	(void)state;
	parse(&p, &fake_entry, "--builtin", (const char *)NULL);
	call = (struct load_call){ &p.ctx, NULL, -2 };
	err = capture_stderr(do_load, &call);
	assert_int_equal(call.rc, 0);
	assert_non_null(call.rb);
	assert_string_equal(call.rb->path, "<builtin>");
	assert_true(call.rb->nprobes > 0);
	runbook_free(call.rb);
	free(err);
	parse_dispose(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_nothing),
		cmocka_unit_test(test_parse_long_options),
		cmocka_unit_test(test_parse_equals_values),
		cmocka_unit_test(test_parse_short_options),
		cmocka_unit_test(test_parse_repeats),
		cmocka_unit_test(test_parse_list_accumulates),
		cmocka_unit_test(test_parse_positionals),
		cmocka_unit_test(test_parse_double_dash),
		cmocka_unit_test(test_parse_unknown_long_suggests),
		cmocka_unit_test(test_parse_unknown_short),
		cmocka_unit_test(test_parse_flag_with_value),
		cmocka_unit_test(test_parse_missing_value),
		cmocka_unit_test(test_parse_bad_int),
		cmocka_unit_test(test_parse_too_many_args),
		cmocka_unit_test(test_parse_missing_args),
		cmocka_unit_test(test_parse_help_short_circuits),
		cmocka_unit_test(test_opt_int_default_on_garbage),
		cmocka_unit_test(test_usage_lists_options),
		cmocka_unit_test(test_style),
		cmocka_unit_test(test_load_runbook_file_and_conflicts),
		cmocka_unit_test(test_load_runbook_builtin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

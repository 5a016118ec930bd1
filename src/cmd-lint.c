/* SPDX-License-Identifier: MIT */
/* triage lint: load runbooks and report what they still get wrong. */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "diag.h"
#include "lint.h"
#include "runbook.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define BUILTIN_NAME "<builtin>"
#define LINT_EXIT_FINDINGS 1	/* errors found (not a Nagios state) */

static const struct option_spec lint_options[] = {
	{ "strict", 0, OPT_FLAG, "treat warnings as errors", NULL },
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "max-age", 0, OPT_STRING, "a last_verified older than this is "
	    "stale (default " LINT_MAX_AGE_DEFAULT ")", "DURATION" },
	{ "now", 0, OPT_STRING, "take this day as today (for tests and "
	    "reproducible CI runs)", "YYYY-MM-DD" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_lint_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_lint_entry = {
	.name = "lint",
	.summary = "validate runbooks without running them: unreachable "
	    "nodes, unused probes, stale last_verified, contradictions",
	.args = "[RUNBOOK...]",
	.min_args = 0,
	.max_args = INT_MAX,
	.options = lint_options,
	.exec = cmd_lint_exec,
	.exit_help = "0 clean (warnings allowed without --strict), 1 "
	    "findings that are errors, 3 a runbook that does not load or a "
	    "usage error.",
};

/* --now: a day that exists, as YYYY-MM-DD; its midnight UTC. */
static int
parse_day(const char *s, double *out)
{
	char back[40];
	size_t i;

	if (strlen(s) != 10)
		return -1;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' : s[i] < '0' || s[i] > '9')
			return -1;
	}
	if (time_parse_iso8601(s, out) != 0)
		return -1;
	time_format_iso8601(*out, 0, back, sizeof(back));
	return strncmp(back, s, 10) == 0 ? 0 : -1;
}

static int
parse_options(struct cmd_ctx *ctx, struct lint_opts *o)
{
	const char *age = cmd_opt(ctx, "max-age"), *now = cmd_opt(ctx, "now");

	o->now = time_now();
	o->max_age_text = age != NULL ? age : LINT_MAX_AGE_DEFAULT;
	if (duration_parse(o->max_age_text, &o->max_age) != 0 ||
	    o->max_age < 0) {
		fprintf(stderr, "triage lint: bad --max-age \"%s\": write a "
		    "duration such as 90d, 12w or 720h\n", o->max_age_text);
		return -1;
	}
	if (now != NULL && parse_day(now, &o->now) != 0) {
		fprintf(stderr, "triage lint: bad --now \"%s\": write a day "
		    "as YYYY-MM-DD\n", now);
		return -1;
	}
	return 0;
}

/* The runbooks to lint: -f and the arguments, else the one other commands
 * would use. NULL stands for the built-in runbook. */
static const char **
targets(struct cmd_ctx *ctx, size_t *n)
{
	const char **v = xcalloc((size_t)ctx->nargs + 3, sizeof(*v));
	const char *path;
	int i;

	*n = 0;
	if (ctx->nargs == 0 || cmd_opt(ctx, "file") != NULL ||
	    cmd_opt(ctx, "builtin") != NULL) {
		if (cmd_find_runbook(ctx, &path) != 0) {
			free(v);
			return NULL;
		}
		v[(*n)++] = path;
	}
	for (i = 0; i < ctx->nargs; i++)
		v[(*n)++] = ctx->args[i];
	return v;
}

/* --strict: every warning counts as an error. */
static void
promote_warnings(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->v[i].level == DIAG_WARNING) {
			d->v[i].level = DIAG_ERROR;
			d->warnings--;
			d->errors++;
		}
	}
}

static json_t *
int_or_null(int n)
{
	return n > 0 ? json_integer(n) : json_null();
}

static json_t *
findings_json(const struct diags *d)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];

		json_array_append_new(list, json_pack("{s:s, s:o, s:o, s:s, "
		    "s:s, s:s, s:o}", "file", g->file, "line",
		    int_or_null(g->line), "col", int_or_null(g->col), "level",
		    g->level == DIAG_ERROR ? "error" : "warning", "code",
		    g->code != NULL ? g->code : "load", "message", g->message,
		    "hint", g->hint != NULL ? json_string(g->hint) :
		    json_null()));
	}
	return list;
}

static void
print_summary(const char *path, const struct diags *d, int loaded)
{
	if (!loaded)
		printf("triage: %s: %zu error%s; the runbook does not load\n",
		    path, d->errors, d->errors == 1 ? "" : "s");
	else if (d->errors == 0 && d->warnings == 0)
		printf("triage: %s: no findings\n", path);
	else
		printf("triage: %s: %zu error%s, %zu warning%s\n", path,
		    d->errors, d->errors == 1 ? "" : "s", d->warnings,
		    d->warnings == 1 ? "" : "s");
}

/* Lints one runbook; returns its exit code. */
static int
lint_one(const char *path, const struct lint_opts *opts, int strict,
    json_t *list, size_t *errors, size_t *warnings)
{
	struct runbook *rb = NULL;
	struct diags d;
	int rc, exit_code;

	diags_init(&d);
	rc = cmd_load_runbook_from(path, &rb, &d);
	if (rc == 0)
		lint_runbook(rb, opts, &d);
	if (strict)
		promote_warnings(&d);
	diags_sort(&d);
	if (list != NULL) {
		json_array_append_new(list, json_pack("{s:s, s:o, s:o}",
		    "path", path != NULL ? path : BUILTIN_NAME, "runbook",
		    rc == 0 ? json_string(rb->id) : json_null(), "findings",
		    findings_json(&d)));
	} else {
		diags_print(&d, stdout);
		print_summary(path != NULL ? path : BUILTIN_NAME, &d, rc == 0);
	}
	*errors += d.errors;
	*warnings += d.warnings;
	exit_code = rc != 0 ? EXIT_UNKNOWN : d.errors > 0 ? LINT_EXIT_FINDINGS :
	    EXIT_OK;
	diags_dispose(&d);
	runbook_free(rb);
	return exit_code;
}

static int
cmd_lint_exec(struct cmd_ctx *ctx)
{
	struct lint_opts opts;
	const char **paths;
	size_t n, i, errors = 0, warnings = 0;
	int json = cmd_opt(ctx, "json") != NULL;
	int strict = cmd_opt(ctx, "strict") != NULL, worst = EXIT_OK, rc;
	json_t *list = json ? json_array() : NULL;

	if (parse_options(ctx, &opts) != 0 ||
	    (paths = targets(ctx, &n)) == NULL) {
		json_decref(list);
		return EXIT_UNKNOWN;
	}
	for (i = 0; i < n; i++) {
		rc = lint_one(paths[i], &opts, strict, list, &errors,
		    &warnings);
		if (rc > worst)
			worst = rc;
	}
	if (json) {
		json_t *doc = json_pack("{s:i, s:o, s:I, s:I}", "schema", 1,
		    "runbooks", list, "errors", (json_int_t)errors,
		    "warnings", (json_int_t)warnings);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(doc);
	}
	fflush(stdout);
	free(paths);
	return worst;
}

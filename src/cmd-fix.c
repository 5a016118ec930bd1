/* SPDX-License-Identifier: MIT */
/* triage fix: the dry-run plan of a failure mode's fix, and --apply. */
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "expr.h"
#include "fix.h"
#include "runbook.h"
#include "store.h"
#include "util/proc.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define EXIT_INTERRUPTED 130	/* as a shell reports a SIGINT */
#define FAILED_OUTPUT_LINES 5	/* of a failed step's output, the last */

static const struct option_spec fix_options[] = {
	{ "apply", 0, OPT_FLAG, "run the steps, after every gate in "
	    "docs/safety.md holds; then verify", NULL },
	{ "yes", 'y', OPT_FLAG, "apply without asking (needed when there is "
	    "no terminal)", NULL },
	{ "allow-dangerous", 0, OPT_FLAG, "let steps marked dangerous run "
	    "(the failure id must still be typed, or given with --confirm)",
	    NULL },
	{ "confirm", 0, OPT_STRING, "the failure id, typed ahead, to confirm "
	    "a dangerous fix without a terminal", "ID" },
	{ "plan", 0, OPT_STRING, "apply only while the plan is still HASH (6 "
	    "or more of its digits), as shown by the dry run", "HASH" },
	{ "store", 0, OPT_STRING, "the store (default: $TRIAGE_STORE, else "
	    "$XDG_STATE_HOME/triage/triage.db)", "PATH" },
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "jobs", 'j', OPT_INT, "run at most N probes at once (default 128)",
	    "N" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_fix_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_fix_entry = {
	.name = "fix",
	.summary = "show the fix of a failure mode as a dry-run plan; "
	    "--apply runs it, then verifies",
	.args = "FAILURE",
	.min_args = 0,
	.max_args = 1,
	.options = fix_options,
	.exec = cmd_fix_exec,
	.exit_help = "0 resolved, nothing to fix, or the plan shown; 2 "
	    "refused or not resolved; 3 usage, runbook or store error; 130 "
	    "interrupted",
};

struct fix_cli {
	struct cmd_ctx *ctx;
	const struct runbook *rb;
	const struct failure *f;
	struct style st;
	int human;
};

/* Reads one line from the terminal after prompt (on stderr). NULL at EOF
 * or on a signal. */
static char *
ask(const char *prompt)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(prompt, stderr);
	fflush(stderr);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		fputc('\n', stderr);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
	    line[n - 1] == ' '))
		line[--n] = '\0';
	return line;
}

static int
confirm(void *arg, json_t *plan, int dangerous, const char **refusal)
{
	struct fix_cli *c = arg;
	const char *typed = cmd_opt(c->ctx, "confirm");
	int tty = isatty(STDIN_FILENO), asked = 0;
	char *line, *prompt;

	if (dangerous && typed != NULL) {
		if (strcmp(typed, c->f->id) != 0) {
			*refusal = "--confirm does not name this failure mode";
			return -1;
		}
	} else if (dangerous) {
		if (!tty) {
			*refusal = "a dangerous step needs the failure id typed: "
			    "run on a terminal, or pass --confirm ID";
			return -1;
		}
		prompt = xasprintf("This fix has a dangerous step. Type the "
		    "failure id (%s) to go on: ", c->f->id);
		line = ask(prompt);
		free(prompt);
		asked = 1;
		if (line == NULL || strcmp(line, c->f->id) != 0) {
			free(line);
			*refusal = "the failure id was not typed: not confirmed";
			return -1;
		}
		free(line);
	}
	if (cmd_opt(c->ctx, "yes") != NULL)
		return asked;
	if (!tty) {
		*refusal = "no terminal to confirm on: pass --yes to apply "
		    "without asking";
		return -1;
	}
	prompt = xasprintf("Apply %zu step%s to %s now? [y/N] ",
	    json_array_size(json_object_get(plan, "steps")),
	    json_array_size(json_object_get(plan, "steps")) == 1 ? "" : "s",
	    c->rb->id);
	line = ask(prompt);
	free(prompt);
	if (line == NULL || (strcmp(line, "y") != 0 &&
	    strcmp(line, "yes") != 0)) {
		free(line);
		*refusal = "not confirmed at the prompt";
		return -1;
	}
	free(line);
	return 1;
}

struct proof {
	json_t *by_id;
	const struct style *st;
};

static void
print_proof_one(void *arg, const char *id)
{
	struct proof *pf = arg;
	json_t *r = json_object_get(pf->by_id, id);
	const char *reason = json_string_value(json_object_get(r, "reason"));

	printf("    %s%s%s: %s", pf->st->bold, id, pf->st->reset,
	    json_string_value(json_object_get(r, "state")));
	if (reason != NULL)
		printf(" (%s)", reason);
	printf("\n");
}

static void
planned(void *arg, json_t *doc)
{
	struct fix_cli *c = arg;
	const struct style *st = &c->st;
	json_t *plan = json_object_get(doc, "plan"), *by_id;
	struct proof pf;

	if (!c->human)
		return;
	by_id = cmd_results_by_id(json_object_get(doc, "probes"));
	pf.by_id = by_id;
	pf.st = st;
	printf("%sFIX%s  %s%s%s: %s  %s[%s]%s\n", st->bold, st->reset,
	    st->bold, c->f->id, st->reset, c->f->title != NULL ?
	    c->f->title : "", st->dim, c->f->layer, st->reset);
	printf("  symptom: %s  %s\n", expr_source(c->f->when),
	    json_is_true(json_object_get(doc, "symptom_holds")) ?
	    "(holds now)" : "(does not hold now)");
	expr_refs(c->f->when, print_proof_one, &pf);
	fix_plan_print(stdout, plan, st, FIX_PRINT_HASH |
	    (cmd_opt(c->ctx, "apply") != NULL ? FIX_PRINT_APPLYING : 0));
	json_decref(by_id);
	if (cmd_opt(c->ctx, "apply") != NULL)
		printf("\n");
	fflush(stdout);
}

static void
step_start(void *arg, const char *phase, size_t i, json_t *plan)
{
	struct fix_cli *c = arg;
	size_t n = strcmp(phase, "fix") == 0 ? c->f->nfix :
	    c->f->non_failure;

	if (!c->human)
		return;
	printf("  %s %zu/%zu  $ %s\n", strcmp(phase, "fix") == 0 ? "step" :
	    "on_failure", i + 1, n, json_string_value(json_object_get(plan,
	    "command")));
	fflush(stdout);
}

static int
step_done(void *arg, const char *phase, json_t *result)
{
	struct fix_cli *c = arg;
	const struct style *st = &c->st;
	char t[32];

	(void)phase;
	if (!c->human)
		return 0;
	duration_format(json_number_value(json_object_get(result,
	    "duration_ms")) / 1000.0, t, sizeof(t));
	if (json_is_true(json_object_get(result, "ok"))) {
		printf("       %sok%s  %s%s%s\n", st->green, st->reset, st->dim,
		    t, st->reset);
	} else {
		printf("       %sFAILED%s  %s  %s%s%s\n", st->red, st->reset,
		    json_string_value(json_object_get(result, "reason")),
		    st->dim, t, st->reset);
		cmd_print_excerpt(json_string_value(json_object_get(result,
		    "stderr")), FAILED_OUTPUT_LINES, 7, st);
		cmd_print_excerpt(json_string_value(json_object_get(result,
		    "output")), FAILED_OUTPUT_LINES, 7, st);
	}
	fflush(stdout);
	return 0;
}

static void
verify_attempt(void *arg, json_t *v)
{
	struct fix_cli *c = arg;
	json_t *id, *r;
	size_t i, j;

	if (!c->human)
		return;
	printf("  verify %" JSON_INTEGER_FORMAT ": ", json_integer_value(
	    json_object_get(v, "attempts")));
	if (json_is_true(json_object_get(v, "ok"))) {
		printf("%sok%s: every verify probe is ok and the symptom is "
		    "gone\n", c->st.green, c->st.reset);
		fflush(stdout);
		return;
	}
	printf("not yet:");
	json_array_foreach(json_object_get(v, "failing"), i, id) {
		json_array_foreach(json_object_get(v, "probes"), j, r) {
			if (json_equal(json_object_get(r, "id"), id))
				printf("%s %s (%s)", i ? "," : "",
				    json_string_value(id), json_string_value(
				    json_object_get(r, "reason")));
		}
	}
	if (json_is_true(json_object_get(v, "symptom_holds")))
		printf("%s the symptom still holds", json_array_size(
		    json_object_get(v, "failing")) ? ";" : "");
	printf("\n");
	fflush(stdout);
}

static void
print_result(struct fix_cli *c, enum fix_result r, json_t *doc)
{
	const struct style *st = &c->st;
	const char *refused = json_string_value(json_object_get(doc,
	    "refused"));
	json_int_t incident = json_integer_value(json_object_get(doc,
	    "incident"));

	switch (r) {
	case FIX_PLANNED:
		return;
	case FIX_RESOLVED:
		printf("\n%s%sRESOLVED%s  %s", st->bold, st->green, st->reset,
		    c->f->id);
		break;
	case FIX_NOTHING_TO_FIX:
		printf("%sNOTHING TO FIX%s  %s", st->bold, st->reset, refused);
		break;
	case FIX_REFUSED:
		printf("%s%sREFUSED%s  %s; nothing was run", st->bold, st->red,
		    st->reset, refused);
		break;
	case FIX_UNRESOLVED:
		printf("\n%s%sNOT RESOLVED%s  %s: %s", st->bold, st->red,
		    st->reset, c->f->id, json_object_get(doc, "verify") !=
		    NULL && !json_is_null(json_object_get(doc, "verify")) ?
		    "verify did not go green in time" :
		    "a step failed; the incident stays open");
		break;
	case FIX_INTERRUPTED:
		if (incident > 0)
			printf("\n%s%sINTERRUPTED%s  %s: the running step was "
			    "stopped; the incident stays open", st->bold,
			    st->yellow, st->reset, c->f->id);
		else
			printf("%s%sINTERRUPTED%s  %s; nothing was run",
			    st->bold, st->yellow, st->reset, refused);
		break;
	case FIX_ERROR:
		return;
	}
	if (incident > 0)
		printf(" (incident %" JSON_INTEGER_FORMAT ": triage incidents "
		    "show %" JSON_INTEGER_FORMAT ")", incident, incident);
	printf("\n");
}

/* "user@host" for the lock and the record: the person behind sudo when
 * there is one. */
static char *
operator_name(const char *host)
{
	const char *user = getenv("SUDO_USER");
	struct passwd *pw;

	if (user == NULL || *user == '\0') {
		pw = getpwuid(geteuid());
		user = pw != NULL ? pw->pw_name : NULL;
	}
	if (user == NULL)
		return xasprintf("uid%ld@%s", (long)geteuid(), host);
	return xasprintf("%s@%s", user, host);
}

static int
list_failures(const struct runbook *rb, const char *id)
{
	size_t i;

	if (id != NULL)
		fprintf(stderr, "triage fix: no failure mode named \"%s\" in "
		    "%s\n", id, rb->path);
	else
		fprintf(stderr, "triage fix: which failure mode? (triage fix "
		    "FAILURE)\n");
	fprintf(stderr, "the failure modes of %s:\n", rb->id);
	for (i = 0; i < rb->nfailures; i++)
		fprintf(stderr, "  %-24s %s\n", rb->failures[i].id,
		    rb->failures[i].title != NULL ? rb->failures[i].title : "");
	if (rb->nfailures == 0)
		fprintf(stderr, "  (none)\n");
	return EXIT_UNKNOWN;
}

/* --plan: absent, or 6 to 64 hex digits. */
static int
plan_hash_valid(const char *h)
{
	size_t n;

	if (h == NULL)
		return 1;
	n = strspn(h, "0123456789abcdef");
	return h[n] == '\0' && n >= 6 && n <= 64;
}

static int
exit_code(enum fix_result r)
{
	switch (r) {
	case FIX_PLANNED:
	case FIX_RESOLVED:
	case FIX_NOTHING_TO_FIX:
		return EXIT_OK;
	case FIX_REFUSED:
	case FIX_UNRESOLVED:
		return EXIT_CRITICAL;
	case FIX_INTERRUPTED:
		return EXIT_INTERRUPTED;
	case FIX_ERROR:
		break;
	}
	return EXIT_UNKNOWN;
}

static int
cmd_fix_exec(struct cmd_ctx *ctx)
{
	struct fix_hooks hooks = { step_start, step_done, NULL };
	struct engine_opts eopts = { 0 };
	struct fix_request req = { 0 };
	struct fix_cli c = { 0 };
	struct runbook *rb = NULL;
	struct store *store = NULL;
	char host[256], *who = NULL, *err = NULL;
	enum fix_result r;
	json_t *doc = NULL;
	int rc;

	if (!plan_hash_valid(cmd_opt(ctx, "plan"))) {
		fprintf(stderr, "triage fix: --plan takes 6 or more hex digits of "
		    "the plan hash the dry run shows, not \"%s\"\n",
		    cmd_opt(ctx, "plan"));
		return EXIT_UNKNOWN;
	}
	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	c.ctx = ctx;
	c.rb = rb;
	c.st = cmd_style(ctx);
	c.human = cmd_opt(ctx, "json") == NULL;
	c.f = ctx->nargs > 0 ? fix_failure_find(rb, ctx->args[0]) : NULL;
	if (c.f == NULL) {
		rc = list_failures(rb, ctx->nargs > 0 ? ctx->args[0] : NULL);
		runbook_free(rb);
		return rc;
	}
	/* A step may start a service, which may double-fork into our
	 * child (we are the subreaper): it must outlive us. */
	if (cmd_opt(ctx, "apply") != NULL)
		proc_keep_strays();
	if (cmd_opt(ctx, "apply") != NULL &&
	    store_open(cmd_opt(ctx, "store"), &store, &err) != 0) {
		fprintf(stderr, "triage fix: %s; nothing was run\n", err);
		free(err);
		runbook_free(rb);
		return EXIT_UNKNOWN;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	who = operator_name(host);
	eopts.jobs = (int)cmd_opt_int(ctx, "jobs", ENGINE_JOBS_DEFAULT);
	eopts.interrupted = ctx->interrupted;
	hooks.arg = &c;
	req.rb = rb;
	req.f = c.f;
	req.apply = cmd_opt(ctx, "apply") != NULL;
	req.store = store;
	req.operator = who;
	req.host = host;
	req.engine = &eopts;
	req.plan_hash = cmd_opt(ctx, "plan");
	req.allow_dangerous = cmd_opt(ctx, "allow-dangerous") != NULL;
	req.confirm = confirm;
	req.planned = planned;
	req.hooks = &hooks;
	req.verify_attempt = verify_attempt;
	req.arg = &c;
	r = fix_apply(&req, &doc);
	runbook_redact_json(rb, doc);
	if (!c.human)
		cmd_print_json(doc);
	else
		print_result(&c, r, doc);
	fflush(stdout);
	if (r == FIX_ERROR)
		fprintf(stderr, "triage fix: %s\n", json_string_value(
		    json_object_get(doc, "error")));
	else if (r == FIX_REFUSED && !c.human)
		fprintf(stderr, "triage fix: refused: %s\n", json_string_value(
		    json_object_get(doc, "refused")));
	rc = exit_code(r);
	json_decref(doc);
	free(who);
	store_close(store);
	runbook_free(rb);
	return rc;
}

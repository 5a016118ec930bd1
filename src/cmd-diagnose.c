/* SPDX-License-Identifier: MIT */
/* triage diagnose: what is broken, how we know, and what to do. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "cmd.h"
#include "engine.h"
#include "expr.h"
#include "fix.h"
#include "runbook.h"
#include "triage.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"


static const struct option_spec diagnose_options[] = {
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "only", 0, OPT_LIST, "run only these layers or probes, and what "
	    "they need", "LAYER|PROBE,..." },
	{ "jobs", 'j', OPT_INT, "run at most N probes at once (default 128)",
	    "N" },
	{ "evidence", 0, OPT_STRING, "gather evidence for the top match "
	    "(top, the default), every match (all) or none", "WHICH" },
	{ "bundle", 0, OPT_STRING, "write the escalation bundle to PATH (a "
	    "directory, or .tar.gz), even when a failure mode matched",
	    "PATH" },
	CMD_RECORD_OPTIONS,
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_diagnose_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_diagnose_entry = {
	.name = "diagnose",
	.summary = "check, walk the triage tree, name the failure mode with "
	    "its evidence and the fix plan",
	.options = diagnose_options,
	.exec = cmd_diagnose_exec,
	.exit_help = "0 healthy, 1 a probe is not ok and no failure mode "
	    "matched, 2 a failure mode matched, 3 a usage error, a runbook "
	    "that does not load, or an interrupted run.",
};

/* The failure mode named id. The ids come from triage_diagnose, which
 * takes them from rb: a miss is a bug, not bad input. */
static const struct failure *
failure_by_id(const struct runbook *rb, const char *id)
{
	const struct failure *f = fix_failure_find(rb, id);

	if (f == NULL)
		abort();
	return f;
}

/* Runs the evidence of the failures that want it, concurrently, and adds
 * each one's results (with the command line) under "evidence". */
static void
gather_evidence(struct cmd_ctx *ctx, const struct runbook *rb,
    json_t *failures, const char *which)
{
	struct engine_opts opts = { 0 };
	const struct failure **fs;
	size_t n, i;
	json_t *ev;

	n = strcmp(which, "all") == 0 ? json_array_size(failures) :
	    strcmp(which, "top") == 0 ? 1 : 0;
	if (n > json_array_size(failures))
		n = json_array_size(failures);
	if (n == 0)
		return;
	fs = xcalloc(n, sizeof(*fs));
	for (i = 0; i < n; i++)
		fs[i] = failure_by_id(rb, json_string_value(json_object_get(
		    json_array_get(failures, i), "id")));
	opts.jobs = (int)cmd_opt_int(ctx, "jobs", ENGINE_JOBS_DEFAULT);
	opts.interrupted = ctx->interrupted;
	ev = fix_evidence(rb, fs, n, &opts);
	for (i = 0; i < n; i++)
		json_object_set(json_array_get(failures, i), "evidence",
		    json_array_get(ev, i));
	json_decref(ev);
	free(fs);
}

/* Runs escalation.bring and writes the bundle; sets escalation.bundle. */
static void
escalate(struct cmd_ctx *ctx, const struct runbook *rb, json_t *doc,
    const char *path)
{
	json_t *esc = json_object_get(doc, "escalation"), *bring;
	struct probe **probes;
	char *cause = NULL, *where;
	size_t i;

	probes = xcalloc(rb->escalation.nbring + 1, sizeof(*probes));
	for (i = 0; i < rb->escalation.nbring; i++)
		probes[i] = &rb->escalation.bring[i].probe;
	bring = engine_run(rb, probes, rb->escalation.nbring, &(struct
	    engine_opts){ .interrupted = ctx->interrupted });
	free(probes);
	if (path != NULL) {
		where = xstrdup(path);
	} else {
		char stamp[40], *dir = bundle_default_dir(), *base;
		size_t k;

		time_format_iso8601(time_now(), 0, stamp, sizeof(stamp));
		for (k = 0; stamp[k] != '\0'; k++) {
			if (stamp[k] == ':' || stamp[k] == '-')
				stamp[k] = stamp[k] == ':' ? '.' : '-';
		}
		base = xasprintf("%s/%s-%s", dir, rb->id, stamp);
		where = xstrdup(base);
		/* Another run in the same second: NAME-2, NAME-3, ... */
		for (i = 2; access(where, F_OK) == 0 && i < 1000; i++) {
			free(where);
			where = xasprintf("%s-%zu", base, i);
		}
		free(base);
		free(dir);
	}
	if (bundle_write(rb, where, doc, bring, &cause) == 0) {
		json_object_set_new(esc, "bundle", json_string(where));
	} else {
		fprintf(stderr, "triage diagnose: the escalation bundle: %s\n",
		    cause);
		json_object_set_new(esc, "bundle_error", json_string(cause));
		free(cause);
	}
	free(where);
	json_decref(bring);
}

/* Human output. */

static const char *
yes_no(json_t *answer)
{
	return json_is_true(answer) ? "yes" : json_is_false(answer) ? "no" :
	    "?";
}

struct proof {
	json_t *by_id;
	const struct style *st;
	int first;
};

static void
print_proof_one(void *arg, const char *id)
{
	struct proof *pf = arg;
	json_t *r = json_object_get(pf->by_id, id);
	const char *reason = json_string_value(json_object_get(r, "reason"));

	if (r == NULL || json_is_true(json_object_get(r, "ok")) ||
	    reason == NULL)
		return;
	printf("  %s %s%s%s: %s\n", pf->first ? "proof:  " : "        ",
	    pf->st->bold, id, pf->st->reset, reason);
	pf->first = 0;
}

/* The probes the symptom reads that are not ok: the proof. */
static void
print_proof(const struct runbook *rb, json_t *f, json_t *by_id,
    const struct style *st)
{
	const struct failure *fm = failure_by_id(rb, json_string_value(
	    json_object_get(f, "id")));
	struct proof pf = { by_id, st, 1 };

	printf("  symptom: %s\n", json_string_value(json_object_get(f,
	    "symptom")));
	expr_refs(fm->when, print_proof_one, &pf);
}

static void
print_human(const struct runbook *rb, json_t *doc, json_t *by_id,
    const struct style *st)
{
	const char *status = json_string_value(json_object_get(doc, "status"));
	json_t *failures = json_object_get(doc, "failures"), *f, *e;
	json_t *esc = json_object_get(doc, "escalation");
	const char *contact;
	size_t i, counts[STATE_SKIPPED + 1] = { 0 };

	json_array_foreach(json_object_get(doc, "probes"), i, e) {
		enum probe_state s;

		if (probe_state_parse(json_string_value(json_object_get(e,
		    "state")), &s) == 0)
			counts[s]++;
	}
	f = json_array_get(failures, 0);
	if (f != NULL) {
		printf("%s%sFAILURE%s  %s%s%s: %s  %s[%s]%s\n", st->bold, st->red,
		    st->reset, st->bold, json_string_value(json_object_get(f,
		    "id")), st->reset, json_string_value(json_object_get(f,
		    "title")), st->dim, json_string_value(json_object_get(f,
		    "layer")), st->reset);
		if (*json_string_value(json_object_get(f, "diagnosis")))
			printf("  %s\n", json_string_value(json_object_get(f,
			    "diagnosis")));
		print_proof(rb, f, by_id, st);
	} else if (strcmp(status, "healthy") == 0) {
		if (counts[STATE_SKIPPED] > 0)
			printf("%s%sHEALTHY%s  %s: every probe that ran is ok "
			    "(%zu skipped)\n", st->bold, st->green, st->reset,
			    rb->id, counts[STATE_SKIPPED]);
		else
			printf("%s%sHEALTHY%s  %s: every probe is ok\n",
			    st->bold, st->green, st->reset, rb->id);
	} else {
		printf("%s%sUNMATCHED%s  %s: %s, and no known failure mode "
		    "matches\n", st->bold, st->yellow, st->reset, rb->id,
		    engine_worst(json_object_get(doc, "probes")) ==
		    STATE_WARNING ? "a probe warns" : "something is wrong");
		json_array_foreach(json_object_get(doc, "probes"), i, e) {
			const char *state = json_string_value(
			    json_object_get(e, "state"));

			if (strcmp(state, "ok") == 0 ||
			    strcmp(state, "skipped") == 0)
				continue;
			printf("  %s%s%s: %s\n", st->bold, json_string_value(
			    json_object_get(e, "id")), st->reset,
			    json_string_value(json_object_get(e, "reason")));
		}
	}
	if (json_array_size(json_object_get(doc, "path")) > 0) {
		printf("\n%sHow we got here%s (the triage tree)\n", st->bold,
		    st->reset);
		json_array_foreach(json_object_get(doc, "path"), i, e) {
			json_t *answer = json_object_get(e, "answer");

			printf("  %zu. %s  %s%s%s", i + 1, json_string_value(
			    json_object_get(e, "ask")), st->bold,
			    yes_no(answer), st->reset);
			if (json_is_null(answer))
				printf("  %s\n", json_string_value(
				    json_object_get(e, "why")));
			else
				printf("  %s(%s: %s)%s\n", st->dim,
				    json_string_value(json_object_get(e, "if")),
				    json_string_value(json_object_get(e,
				    "values")), st->reset);
		}
	}
	if (f != NULL) {
		cmd_print_evidence(json_object_get(f, "evidence"), "", st);
		fix_plan_print(stdout, json_object_get(f, "fix"), st, 0);
	}
	if (json_array_size(failures) > 1) {
		printf("\n%sAlso matching%s\n", st->bold, st->reset);
		json_array_foreach(failures, i, e) {
			if (i > 0)
				printf("  %s: %s\n", json_string_value(
				    json_object_get(e, "id")),
				    json_string_value(json_object_get(e,
				    "title")));
		}
	}
	if (json_array_size(json_object_get(doc, "possible")) > 0) {
		printf("\n%sPossible, unproven%s (a probe they read did not "
		    "run)\n", st->bold, st->reset);
		json_array_foreach(json_object_get(doc, "possible"), i, e) {
			json_t *m = json_array_get(json_object_get(e,
			    "missing"), 0);

			printf("  %s: %s  %s(%s %s)%s\n", json_string_value(
			    json_object_get(e, "id")), json_string_value(
			    json_object_get(e, "title")), st->dim,
			    json_string_value(json_object_get(m, "probe")),
			    json_string_value(json_object_get(m, "reason")),
			    st->reset);
		}
	}
	contact = json_string_value(json_object_get(esc, "contact"));
	if (json_string_value(json_object_get(esc, "bundle")) != NULL)
		printf("\n%sEscalate%s%s%s, with the bundle:\n  %s\n",
		    st->bold, st->reset, contact != NULL ? " to " : "",
		    contact != NULL ? contact : "", json_string_value(
		    json_object_get(esc, "bundle")));
	else if (f == NULL && contact != NULL &&
	    strcmp(status, "healthy") != 0 &&
	    engine_worst(json_object_get(doc, "probes")) != STATE_WARNING)
		printf("\n%sEscalate%s to %s\n", st->bold, st->reset,
		    contact);
	printf("\n%sprobes: %zu ok, %zu warning, %zu critical, %zu unknown, "
	    "%zu skipped (triage check shows them all)%s\n", st->dim,
	    counts[STATE_OK], counts[STATE_WARNING], counts[STATE_CRITICAL],
	    counts[STATE_UNKNOWN], counts[STATE_SKIPPED], st->reset);
}

static int
cmd_diagnose_exec(struct cmd_ctx *ctx)
{
	const char *which = cmd_opt(ctx, "evidence");
	const char *bundle = cmd_opt(ctx, "bundle");
	struct runbook *rb = NULL;
	struct style st = cmd_style(ctx);
	json_t *list, *by_id, *doc, *diag, *f;
	const char *status;
	size_t i;
	int rc, recorded = 0;

	if (which == NULL)
		which = "top";
	if (strcmp(which, "top") != 0 && strcmp(which, "all") != 0 &&
	    strcmp(which, "none") != 0) {
		fprintf(stderr, "triage diagnose: --evidence takes top, all or "
		    "none, not \"%s\"\n", which);
		return EXIT_UNKNOWN;
	}
	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	if (cmd_run_probes(ctx, rb, &list) != 0) {
		runbook_free(rb);
		return EXIT_UNKNOWN;
	}
	by_id = cmd_results_by_id(list);
	diag = triage_diagnose(rb, by_id, time_now());
	json_array_foreach(json_object_get(diag, "failures"), i, f)
		json_object_set_new(f, "fix", fix_plan(rb, failure_by_id(rb,
		    json_string_value(json_object_get(f, "id"))), by_id,
		    time_now()));
	if (!*ctx->interrupted)
		gather_evidence(ctx, rb, json_object_get(diag, "failures"),
		    which);
	status = json_string_value(json_object_get(diag, "status"));
	doc = json_pack("{s:i, s:s, s:s, s:O, s:O, s:O, s:O, s:{s:s?}}",
	    "schema", 1, "runbook", rb->id, "status", status, "path",
	    json_object_get(diag, "path"), "failures", json_object_get(diag,
	    "failures"), "possible", json_object_get(diag, "possible"),
	    "probes", list, "escalation", "contact",
	    rb->escalation.contact);
	/* A warning alone is no escalation: the bundle is for an unmatched
	 * critical or unknown probe, or when asked for. */
	if (!*ctx->interrupted && (bundle != NULL ||
	    (strcmp(status, "unmatched") == 0 &&
	    engine_worst(list) != STATE_WARNING)))
		escalate(ctx, rb, doc, bundle);
	runbook_redact_json(rb, doc);
	if (!*ctx->interrupted && cmd_record(ctx, rb, list) != 0)
		recorded = -1;
	if (cmd_opt(ctx, "json") != NULL)
		cmd_print_json(doc);
	else
		print_human(rb, doc, by_id, &st);
	fflush(stdout);
	rc = strcmp(status, "failure") == 0 ? EXIT_CRITICAL :
	    strcmp(status, "unmatched") == 0 ? EXIT_WARNING : EXIT_OK;
	if (*ctx->interrupted) {
		fprintf(stderr, "triage diagnose: interrupted\n");
		rc = EXIT_UNKNOWN;
	} else if (recorded != 0) {
		rc = EXIT_UNKNOWN;
	}
	json_decref(doc);
	json_decref(diag);
	json_decref(by_id);
	json_decref(list);
	runbook_free(rb);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* triage check: run every probe once and print the results by layer. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "engine.h"
#include "expr.h"
#include "runbook.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static const struct option_spec check_options[] = {
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "only", 0, OPT_LIST, "run only these layers or probes, and what "
	    "they need", "LAYER|PROBE,..." },
	{ "jobs", 'j', OPT_INT, "run at most N probes at once (default 128)",
	    "N" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_check_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.summary = "run every probe once, print a table grouped by layer",
	.options = check_options,
	.exec = cmd_check_exec,
};

/* Marks probe i and, transitively, the probes it needs. */
static void
select_with_needs(const struct runbook *rb, size_t i, char *selected)
{
	size_t j;

	if (selected[i])
		return;
	selected[i] = 1;
	for (j = 0; j < rb->probes[i].nneeds; j++) {
		long k = runbook_probe_index(rb, rb->probes[i].needs[j]);

		if (k >= 0)
			select_with_needs(rb, (size_t)k, selected);
	}
}

/* --only: each name is a layer or a probe id. Fills selected[]; -1 with a
 * message when a name is neither. */
static int
select_probes(const struct runbook *rb, const char *only, char *selected)
{
	char *list, *name, *next;
	int rc = 0;
	size_t i;

	if (only == NULL) {
		memset(selected, 1, rb->nprobes);
		return 0;
	}
	list = xstrdup(only);
	for (name = list; name != NULL && rc == 0; name = next) {
		int found = 0;

		next = strchr(name, ',');
		if (next != NULL)
			*next++ = '\0';
		if (*name == '\0')
			continue;
		for (i = 0; i < rb->nprobes; i++) {
			if (strcmp(rb->probes[i].layer, name) == 0 ||
			    strcmp(rb->probes[i].id, name) == 0) {
				select_with_needs(rb, i, selected);
				found = 1;
			}
		}
		if (!found) {
			fprintf(stderr, "triage check: --only: no layer or "
			    "probe named \"%s\" in %s\n", name, rb->path);
			rc = -1;
		}
	}
	free(list);
	return rc;
}

static void
progress(void *arg, size_t done, size_t total, const struct probe *p,
    json_t *result)
{
	(void)arg;
	(void)result;
	if (done < total)
		fprintf(stderr, "\r\033[Kchecking %zu/%zu: %s", done + 1, total,
		    p->id);
	else
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

static const char *
state_color(const struct style *st, const char *state)
{
	if (strcmp(state, "ok") == 0)
		return st->green;
	if (strcmp(state, "warning") == 0)
		return st->yellow;
	if (strcmp(state, "critical") == 0)
		return st->red;
	if (strcmp(state, "unknown") == 0)
		return st->magenta;
	return st->dim;
}

static int
exit_code(enum probe_state worst)
{
	switch (worst) {
	case STATE_OK:
	case STATE_SKIPPED:
		return EXIT_OK;
	case STATE_WARNING:
		return EXIT_WARNING;
	case STATE_CRITICAL:
		return EXIT_CRITICAL;
	case STATE_UNKNOWN:
		break;
	}
	return EXIT_UNKNOWN;
}

/* The first line is a monitoring-plugin status line with perfdata, so
 * `triage check` works as a Nagios/Icinga check as it is. */
static void
print_summary(const struct runbook *rb, json_t *list, enum probe_state worst,
    double secs, const struct style *st)
{
	size_t counts[STATE_SKIPPED + 1] = { 0 }, i;
	json_t *r, *first_bad = NULL;
	char upper[16];

	json_array_foreach(list, i, r) {
		enum probe_state s;

		if (probe_state_parse(json_string_value(json_object_get(r,
		    "state")), &s) != 0)
			s = STATE_UNKNOWN;
		counts[s]++;
		if (first_bad == NULL && s == worst && s != STATE_OK &&
		    s != STATE_SKIPPED)
			first_bad = r;
	}
	for (i = 0; i < sizeof(upper) - 1 &&
	    probe_state_name(worst)[i] != '\0'; i++)
		upper[i] = (char)(probe_state_name(worst)[i] - 'a' + 'A');
	upper[i] = '\0';
	printf("%sTRIAGE %s%s - %s: ", state_color(st,
	    probe_state_name(worst)), upper, st->reset, rb->id);
	if (first_bad != NULL) {
		size_t others = counts[worst] - 1;
		const char *reason = json_string_value(json_object_get(
		    first_bad, "reason"));

		printf("%s %s", json_string_value(json_object_get(first_bad,
		    "id")), reason != NULL ? reason : "");
		if (others > 0)
			printf(" (+%zu more %s)", others,
			    probe_state_name(worst));
		printf("; ");
	}
	printf("%zu ok, %zu warning, %zu critical, %zu unknown, %zu skipped "
	    "| ok=%zu warning=%zu critical=%zu unknown=%zu skipped=%zu "
	    "time=%.3fs\n", counts[STATE_OK], counts[STATE_WARNING],
	    counts[STATE_CRITICAL], counts[STATE_UNKNOWN],
	    counts[STATE_SKIPPED], counts[STATE_OK], counts[STATE_WARNING],
	    counts[STATE_CRITICAL], counts[STATE_UNKNOWN],
	    counts[STATE_SKIPPED], secs);
}

/* For a row that is ok: the last expectation (usually the most specific)
 * and the value it read, so the table shows what was checked
 * ("json.used_pct < 95 (17)"). */
static char *
ok_detail(const struct runbook *rb, json_t *r)
{
	long i = runbook_probe_index(rb, json_string_value(json_object_get(r,
	    "id")));
	const struct expr *e;
	char *got, *detail;

	if (i < 0 || rb->probes[i].nexpect == 0)
		return NULL;
	e = rb->probes[i].expect[rb->probes[i].nexpect - 1];
	got = expr_explain(e, r, time_now());
	detail = *got != '\0' ? xasprintf("%s (%s)", expr_source(e), got) :
	    xstrdup(expr_source(e));
	free(got);
	/* The condition's text may hold a templated secret. */
	got = runbook_redact(rb, detail);
	free(detail);
	return got;
}

static void
print_table(const struct runbook *rb, json_t *list, const struct style *st)
{
	int idw = 5;
	size_t i, j;
	json_t *r;

	json_array_foreach(list, i, r) {
		int w = (int)strlen(json_string_value(json_object_get(r,
		    "id")));

		if (w > idw)
			idw = w;
	}
	/* Layers in order of first appearance, probes in runbook order. */
	json_array_foreach(list, i, r) {
		const char *layer = json_string_value(json_object_get(r,
		    "layer"));
		json_t *q;

		for (j = 0; j < i; j++) {
			if (strcmp(json_string_value(json_object_get(
			    json_array_get(list, j), "layer")), layer) == 0)
				break;
		}
		if (j < i)
			continue;
		printf("\n%s%s%s\n", st->bold, layer, st->reset);
		for (j = i; j < json_array_size(list); j++) {
			const char *state, *reason;
			json_t *lat;
			char latency[32] = "-", *detail = NULL;

			q = json_array_get(list, j);
			if (strcmp(json_string_value(json_object_get(q,
			    "layer")), layer) != 0)
				continue;
			state = json_string_value(json_object_get(q, "state"));
			reason = json_string_value(json_object_get(q,
			    "reason"));
			lat = json_object_get(q, "latency");
			if (json_is_number(lat))
				duration_format(json_number_value(lat),
				    latency, sizeof(latency));
			if (reason == NULL && strcmp(state, "ok") == 0)
				detail = ok_detail(rb, q);
			printf("  %s%-8s%s  %-*s  %7s", state_color(st, state),
			    state, st->reset, idw, json_string_value(
			    json_object_get(q, "id")), latency);
			if (detail != NULL)
				printf("  %s%s%s", st->dim, detail, st->reset);
			else if (reason != NULL)
				printf("  %s", reason);
			putchar('\n');
			free(detail);
		}
	}
}

static int
cmd_check_exec(struct cmd_ctx *ctx)
{
	struct engine_opts opts = { 0 };
	struct runbook *rb = NULL;
	struct probe **probes;
	json_t *results, *list;
	char *selected;
	size_t i, n = 0;
	enum probe_state worst;
	double t0;
	struct style st = cmd_style(ctx);
	int json = cmd_opt(ctx, "json") != NULL;

	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	selected = xcalloc(rb->nprobes + 1, 1);
	if (select_probes(rb, cmd_opt(ctx, "only"), selected) != 0) {
		free(selected);
		runbook_free(rb);
		return EXIT_UNKNOWN;
	}
	probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	for (i = 0; i < rb->nprobes; i++) {
		if (selected[i])
			probes[n++] = &rb->probes[i];
	}
	opts.jobs = (int)cmd_opt_int(ctx, "jobs", ENGINE_JOBS_DEFAULT);
	opts.interrupted = ctx->interrupted;
	if (ctx->progress && !json)
		opts.progress = progress;
	t0 = time_mono();
	results = engine_run(rb, probes, n, &opts);
	worst = engine_worst(results);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append(list, json_object_get(results,
		    probes[i]->id));
	if (json) {
		json_t *doc = json_pack("{s:i, s:s, s:s, s:O}", "schema", 1,
		    "runbook", rb->id, "status", probe_state_name(
		    worst == STATE_SKIPPED ? STATE_OK : worst), "probes", list);

		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
		    JSON_REAL_PRECISION(9));
		putchar('\n');
		json_decref(doc);
	} else {
		print_summary(rb, list, worst, time_mono() - t0, &st);
		print_table(rb, list, &st);
	}
	if (*ctx->interrupted)
		fprintf(stderr, "triage check: interrupted\n");
	fflush(stdout);
	json_decref(list);
	json_decref(results);
	free(probes);
	free(selected);
	runbook_free(rb);
	return *ctx->interrupted ? EXIT_UNKNOWN : exit_code(worst);
}

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
#include "util/buf.h"
#include "util/jsonout.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static const struct option_spec check_options[] = {
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "only", 0, OPT_LIST, "run only these layers or probes, and what "
	    "they need", "LAYER|PROBE,..." },
	{ "jobs", 'j', OPT_INT, "run at most N probes at once (default 128)",
	    "N" },
	CMD_RECORD_OPTIONS,
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_check_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.summary = "run every probe once, print a table grouped by layer",
	.options = check_options,
	.exec = cmd_check_exec,
};

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
	printf("%sTRIAGE %s%s - %s: ", cmd_state_color(st,
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
print_row(const struct runbook *rb, json_t *q, int idw,
    const struct style *st)
{
	const char *state = json_string_value(json_object_get(q, "state"));
	const char *reason = json_string_value(json_object_get(q, "reason"));
	json_t *lat = json_object_get(q, "latency");
	char latency[32] = "-", *detail = NULL;

	if (json_is_number(lat))
		duration_format(json_number_value(lat), latency,
		    sizeof(latency));
	if (reason == NULL && strcmp(state, "ok") == 0)
		detail = ok_detail(rb, q);
	printf("  %s%-8s%s  %-*s  %7s", cmd_state_color(st, state), state,
	    st->reset, idw, json_string_value(json_object_get(q, "id")),
	    latency);
	if (detail != NULL)
		printf("  %s%s%s", st->dim, detail, st->reset);
	else if (reason != NULL)
		printf("  %s", reason);
	putchar('\n');
	free(detail);
}

static void
print_table(const struct runbook *rb, json_t *list, const struct style *st)
{
	json_t *layers = json_object(), *r, *rows, *q;
	const char *name;
	int idw = 5;
	size_t i, j;

	json_array_foreach(list, i, r) {
		int w = (int)strlen(json_string_value(json_object_get(r,
		    "id")));

		if (w > idw)
			idw = w;
	}
	/* Layers in order of first appearance, probes in runbook order: one
	 * pass to group the rows by layer, one to print them. */
	json_array_foreach(list, i, r) {
		const char *layer = json_string_value(json_object_get(r,
		    "layer"));
		json_t *group = json_object_get(layers, layer);

		if (group == NULL) {
			group = json_array();
			json_object_set_new(layers, layer, group);
		}
		json_array_append(group, r);
	}
	json_object_foreach(layers, name, rows) {
		printf("\n%s%s%s\n", st->bold, name, st->reset);
		json_array_foreach(rows, j, q)
			print_row(rb, q, idw, st);
	}
	json_decref(layers);
}

/* --json: each result is written into the text of the "probes" array as
 * soon as the engine hands it over, and freed, so that a large runbook
 * holds text rather than trees (building, touching and freeing the tree of
 * every result was most of the cost of --json). The text is kept in
 * chunks of the heap's size, so that it fits where freed trees were
 * instead of asking the system for new pages, and nothing is copied as it
 * grows. The document is the one cmd_print_json would print of
 * {"schema", "runbook", "status", "probes": [results...]}. */
#define CHECK_JSON_CHUNK (32u * 1024u)

struct check_json {
	struct buf *chunks;	/* the array's items and separators */
	size_t nchunks;
	size_t n;		/* results */
	json_t *keep;		/* NULL, or every result (for --record) */
};

static void
check_json_take(void *arg, size_t i, json_t *result)
{
	struct check_json *cj = arg;
	struct buf *b = cj->nchunks > 0 ? &cj->chunks[cj->nchunks - 1] :
	    NULL;

	(void)i;
	if (b == NULL || b->len >= CHECK_JSON_CHUNK * 7 / 8) {
		cj->chunks = xreallocarray(cj->chunks, cj->nchunks + 1,
		    sizeof(*cj->chunks));
		b = &cj->chunks[cj->nchunks++];
		buf_init(b, 0);
		buf_reserve(b, CHECK_JSON_CHUNK - 64);
	}
	buf_puts(b, cj->n++ > 0 ? ",\n    " : "\n    ");
	jsonout_append(b, result, 2);
	if (cj->keep != NULL)
		json_array_append(cj->keep, result);
	json_decref(result);
}

/* keep: NULL, or an array that gets every result too. */
static int
check_json(struct cmd_ctx *ctx, const struct runbook *rb,
    enum probe_state *worst, json_t *keep)
{
	struct check_json cj = { NULL, 0, 0, keep };
	json_t *id = json_string(rb->id);
	struct buf head;
	size_t i;
	int rc;

	rc = cmd_run_probes_each(ctx, rb, check_json_take, &cj, worst);
	if (rc == 0) {
		buf_init(&head, 0);
		buf_puts(&head, "{\n  \"schema\": 1,\n  \"runbook\": ");
		jsonout_append(&head, id, 1);
		buf_printf(&head, ",\n  \"status\": \"%s\",\n  \"probes\": [",
		    probe_state_name(*worst));
		fwrite(head.data, 1, head.len, stdout);
		buf_dispose(&head);
		for (i = 0; i < cj.nchunks; i++)
			fwrite(cj.chunks[i].data, 1, cj.chunks[i].len, stdout);
		fputs(cj.n > 0 ? "\n  ]\n}\n" : "]\n}\n", stdout);
	}
	for (i = 0; i < cj.nchunks; i++)
		buf_dispose(&cj.chunks[i]);
	free(cj.chunks);
	json_decref(id);
	return rc;
}

static int
cmd_check_exec(struct cmd_ctx *ctx)
{
	struct runbook *rb = NULL;
	json_t *list = NULL;
	enum probe_state worst;
	double t0 = time_mono();
	struct style st = cmd_style(ctx);
	int rc;

	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	if (cmd_opt(ctx, "json") != NULL) {
		if (cmd_opt(ctx, "record") != NULL)
			list = json_array();
		rc = check_json(ctx, rb, &worst, list);
	} else {
		rc = cmd_run_probes(ctx, rb, &list);
		if (rc == 0) {
			worst = engine_worst(list);
			print_summary(rb, list, worst, time_mono() - t0, &st);
			print_table(rb, list, &st);
		}
	}
	if (rc != 0) {
		json_decref(list);
		runbook_free(rb);
		return EXIT_UNKNOWN;
	}
	if (*ctx->interrupted)
		fprintf(stderr, "triage check: interrupted\n");
	fflush(stdout);
	/* A run that was cut short is not a sample of the stack. */
	rc = *ctx->interrupted ? EXIT_UNKNOWN : exit_code(worst);
	if (!*ctx->interrupted && cmd_record(ctx, rb, list) != 0)
		rc = EXIT_UNKNOWN;
	json_decref(list);
	runbook_free(rb);
	return rc;
}

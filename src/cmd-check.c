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

/* The human table, taken a result at a time as the engine hands them over
 * (runbook order): each becomes a row (its state, latency and note) and
 * the tree is freed, so a large runbook holds rows rather than results, as
 * --json holds text. The rows wait for the widest id and are printed
 * grouped by layer, layers in order of first appearance. */
struct check_row {
	const struct probe *probe;	/* its id and layer */
	char *note;		/* the ok row's detail, or the reason (heap) */
	size_t layer;		/* index into check_table.layers */
	enum probe_state state;
	int detail;		/* note is an ok row's detail (dim) */
	char latency[32];
};

struct check_table {
	const struct runbook *rb;
	struct check_row *rows;
	size_t nrows;
	size_t *layer_rows;	/* rows of each layer (then where it starts) */
	const char **layers;	/* names, borrowed from the runbook */
	size_t nlayers;
	json_t *layer_index;	/* name -> index into layers */
	json_t *keep;		/* NULL, or every result (for --record) */
};

/* For a row that is ok: the last expectation (usually the most specific)
 * and the value it read, so the table shows what was checked
 * ("json.used_pct < 95 (17)"). */
static char *
ok_detail(const struct runbook *rb, const struct probe *p, json_t *r)
{
	const struct expr *e;
	char *got, *detail;

	if (p->nexpect == 0)
		return NULL;
	e = p->expect[p->nexpect - 1];
	got = expr_explain(e, r, time_now());
	detail = *got != '\0' ? xasprintf("%s (%s)", expr_source(e), got) :
	    xstrdup(expr_source(e));
	free(got);
	/* The condition's text may hold a templated secret. */
	got = runbook_redact(rb, detail);
	free(detail);
	return got;
}

/* A reason or detail as the table and the status line show it: on one
 * line, without control bytes (a command's stderr may hold escapes), and
 * without "|", which the monitoring-plugin output reserves for perfdata
 * (a regex's "ERROR|FATAL" would cut the status line there): it is shown
 * as U+00A6 (broken bar). --json keeps the text as it is. Heap; takes s. */
static char *
plugin_text(char *s)
{
	struct buf b;
	const char *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (*p == '|' || (unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	}
	if (*p == '\0')
		return s;
	buf_init(&b, 0);
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '|') {
			buf_puts(&b, "\xc2\xa6");
		} else if (c == '\n' || c == '\r' || c == '\t') {
			if (b.len > 0 && b.data[b.len - 1] != ' ')
				buf_putc(&b, ' ');
		} else {
			buf_putc(&b, c < 0x20 || c == 0x7f ? '?' : (char)c);
		}
	}
	while (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	free(s);
	return buf_steal(&b);
}

static void
check_table_take(void *arg, size_t i, json_t *result)
{
	struct check_table *ct = arg;
	const struct runbook *rb = ct->rb;
	const char *reason = json_string_value(json_object_get(result,
	    "reason"));
	json_t *lat = json_object_get(result, "latency"), *at;
	struct check_row *row;
	long k = runbook_probe_index(rb, json_string_value(json_object_get(
	    result, "id")));

	(void)i;
	if (ct->keep != NULL)
		json_array_append(ct->keep, result);
	if (k < 0) {	/* cannot be: every result is of a probe of rb */
		json_decref(result);
		return;
	}
	row = &ct->rows[ct->nrows];
	memset(row, 0, sizeof(*row));
	row->probe = &rb->probes[k];
	if (probe_state_parse(json_string_value(json_object_get(result,
	    "state")), &row->state) != 0)
		row->state = STATE_UNKNOWN;
	snprintf(row->latency, sizeof(row->latency), "-");
	if (json_is_number(lat))
		duration_format(json_number_value(lat), row->latency,
		    sizeof(row->latency));
	if (reason == NULL && row->state == STATE_OK) {
		row->note = ok_detail(rb, row->probe, result);
		row->detail = 1;
	} else if (reason != NULL) {
		row->note = xstrdup(reason);
	}
	row->note = plugin_text(row->note);
	at = json_object_get(ct->layer_index, row->probe->layer);
	if (at == NULL) {
		at = json_integer((json_int_t)ct->nlayers);
		json_object_set_new(ct->layer_index, row->probe->layer, at);
		ct->layers[ct->nlayers++] = row->probe->layer;
	}
	row->layer = (size_t)json_integer_value(at);
	ct->layer_rows[row->layer]++;
	ct->nrows++;
	json_decref(result);
}

/* The first line is a monitoring-plugin status line with perfdata, so
 * `triage check` works as a Nagios/Icinga check as it is. A run that was
 * interrupted is UNKNOWN, as its exit status is. */
static void
print_summary(const struct check_table *ct, enum probe_state worst,
    int interrupted, double secs, const struct style *st)
{
	size_t c[STATE_SKIPPED + 1] = { 0 }, i;
	const struct check_row *bad = NULL;
	char upper[16];

	for (i = 0; i < ct->nrows; i++) {
		const struct check_row *row = &ct->rows[i];

		c[row->state]++;
		if (bad == NULL && row->state == worst &&
		    worst != STATE_OK && worst != STATE_SKIPPED)
			bad = row;
	}
	if (interrupted)
		worst = STATE_UNKNOWN;
	for (i = 0; i < sizeof(upper) - 1 &&
	    probe_state_name(worst)[i] != '\0'; i++)
		upper[i] = (char)(probe_state_name(worst)[i] - 'a' + 'A');
	upper[i] = '\0';
	printf("%sTRIAGE %s%s - %s: ", cmd_state_color(st,
	    probe_state_name(worst)), upper, st->reset, ct->rb->id);
	if (interrupted) {
		printf("interrupted; ");
	} else if (bad != NULL) {
		printf("%s %s", bad->probe->id, bad->note != NULL ?
		    bad->note : "");
		if (c[worst] > 1)
			printf(" (+%zu more %s)", c[worst] - 1,
			    probe_state_name(worst));
		printf("; ");
	}
	printf("%zu ok, %zu warning, %zu critical, %zu unknown, %zu skipped "
	    "| ok=%zu warning=%zu critical=%zu unknown=%zu skipped=%zu "
	    "time=%.3fs\n", c[STATE_OK], c[STATE_WARNING], c[STATE_CRITICAL],
	    c[STATE_UNKNOWN], c[STATE_SKIPPED], c[STATE_OK], c[STATE_WARNING],
	    c[STATE_CRITICAL], c[STATE_UNKNOWN], c[STATE_SKIPPED], secs);
}

static void
print_row(const struct check_row *row, int idw, const struct style *st)
{
	const char *state = probe_state_name(row->state);

	printf("  %s%-8s%s  %-*s  %7s", cmd_state_color(st, state), state,
	    st->reset, idw, row->probe->id, row->latency);
	if (row->note != NULL && row->detail)
		printf("  %s%s%s", st->dim, row->note, st->reset);
	else if (row->note != NULL)
		printf("  %s", row->note);
	putchar('\n');
}

/* The rows by layer: a counting sort on the layer index (stable, so
 * probes stay in runbook order), then each layer under its name. */
static void
print_table(struct check_table *ct, const struct style *st)
{
	size_t *order = xcalloc(ct->nrows + 1, sizeof(*order));
	size_t i, l, at = 0, n;
	int idw = 5;

	for (i = 0; i < ct->nrows; i++) {
		int w = (int)strlen(ct->rows[i].probe->id);

		if (w > idw)
			idw = w;
	}
	for (l = 0; l < ct->nlayers; l++) {
		n = ct->layer_rows[l];
		ct->layer_rows[l] = at;
		at += n;
	}
	for (i = 0; i < ct->nrows; i++)
		order[ct->layer_rows[ct->rows[i].layer]++] = i;
	for (i = 0; i < ct->nrows; i++) {
		const struct check_row *row = &ct->rows[order[i]];

		if (i == 0 || ct->rows[order[i - 1]].layer != row->layer)
			printf("\n%s%s%s\n", st->bold, ct->layers[row->layer],
			    st->reset);
		print_row(row, idw, st);
	}
	free(order);
}

/* keep: NULL, or an array that gets every result too. */
static int
check_table(struct cmd_ctx *ctx, const struct runbook *rb, double t0,
    enum probe_state *worst, json_t *keep)
{
	struct check_table ct = { .rb = rb, .keep = keep };
	struct style st = cmd_style(ctx);
	size_t i;
	int rc;

	ct.rows = xcalloc(rb->nprobes + 1, sizeof(*ct.rows));
	ct.layer_rows = xcalloc(rb->nprobes + 1, sizeof(*ct.layer_rows));
	ct.layers = xcalloc(rb->nprobes + 1, sizeof(*ct.layers));
	ct.layer_index = json_object();
	rc = cmd_run_probes_each(ctx, rb, check_table_take, &ct, worst);
	if (rc == 0) {
		print_summary(&ct, *worst, *ctx->interrupted, time_mono() - t0,
		    &st);
		print_table(&ct, &st);
	}
	for (i = 0; i < ct.nrows; i++)
		free(ct.rows[i].note);
	free(ct.rows);
	free(ct.layer_rows);
	free(ct.layers);
	json_decref(ct.layer_index);
	return rc;
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
		    probe_state_name(*ctx->interrupted ? STATE_UNKNOWN :
		    *worst));
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
	int rc;

	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	if (cmd_opt(ctx, "record") != NULL)
		list = json_array();
	if (cmd_opt(ctx, "json") != NULL)
		rc = check_json(ctx, rb, &worst, list);
	else
		rc = check_table(ctx, rb, t0, &worst, list);
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

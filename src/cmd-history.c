/* SPDX-License-Identifier: MIT */
/* triage history: probe state changes and samples from the store. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "store.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define LIMIT_DEFAULT 100
#define SINCE_DEFAULT "24h"

static const struct option_spec history_options[] = {
	{ "probe", 0, OPT_STRING, "only the probe ID", "ID" },
	{ "since", 0, OPT_STRING, "from this long ago (24h, 7d, 30m) or this "
	    "time (ISO-8601: 2026-11-23T16:00:00Z); default 24h",
	    "DURATION|TIME" },
	{ "runbook", 0, OPT_STRING, "only the runbook ID (default: every "
	    "runbook)", "ID" },
	{ "limit", 0, OPT_INT, "at most N samples and N changes, the newest "
	    "(default 100)", "N" },
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "store", 0, OPT_STRING, "the store (default: $TRIAGE_STORE, else "
	    "$XDG_STATE_HOME/triage/triage.db)", "PATH" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_history_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.summary = "probe state changes and samples from the store, newest "
	    "first",
	.options = history_options,
	.exec = cmd_history_exec,
	.exit_help = "0 ok (also: nothing recorded, or no store yet); 3 a "
	    "usage or store error.",
	.no_runbook = 1,
};

/* --since: a duration back from now, or an ISO-8601 time. -1 after
 * printing the problem. */
static int
parse_since(const struct cmd_ctx *ctx, double now, double *since)
{
	const char *v = cmd_opt(ctx, "since");
	double d;

	if (v == NULL)
		v = SINCE_DEFAULT;
	if (duration_parse(v, &d) == 0) {
		*since = now - d;
		return 0;
	}
	if (time_parse_iso8601(v, since) == 0)
		return 0;
	fprintf(stderr, "triage history: --since takes a duration (24h, 7d, "
	    "90m) or an ISO-8601 time (2026-11-23T16:00:00Z), not \"%s\"\n",
	    v);
	return -1;
}

/* Human output. */

/* 1 when the rows of list come from more than one runbook. */
static int
many_runbooks(json_t *list)
{
	const char *first = NULL, *rb;
	json_t *r;
	size_t i;

	json_array_foreach(list, i, r) {
		rb = cmd_str_or(r, "runbook", "");
		if (first == NULL)
			first = rb;
		else if (strcmp(first, rb) != 0)
			return 1;
	}
	return 0;
}

static void
print_changes(json_t *changes, const struct style *st)
{
	int many = many_runbooks(changes), pw = 5;
	json_t *r;
	size_t i;
	char t[48], *name;

	json_array_foreach(changes, i, r) {
		int w = (int)strlen(cmd_str_or(r, "probe", "?")) + (many ?
		    (int)strlen(cmd_str_or(r, "runbook", "?")) + 1 : 0);

		if (w > pw)
			pw = w;
	}
	printf("\n%sChanges%s\n", st->bold, st->reset);
	json_array_foreach(changes, i, r) {
		const char *from = json_string_value(json_object_get(r,
		    "from"));
		const char *to = cmd_str_or(r, "to", "?");
		const char *reason = json_string_value(json_object_get(r,
		    "reason"));

		cmd_format_time(cmd_str_or(r, "at", NULL), t, sizeof(t));
		name = many ? xasprintf("%s/%s", cmd_str_or(r, "runbook", "?"),
		    cmd_str_or(r, "probe", "?")) : xstrdup(cmd_str_or(r, "probe",
		    "?"));
		printf("  %s  %-*s  %s%s%s -> %s%s%s", t, pw, name,
		    cmd_state_color(st, from), from != NULL ? from : "(first)",
		    st->reset, cmd_state_color(st, to), to, st->reset);
		if (reason != NULL) {
			printf("  ");
			cmd_print_safe(reason, strlen(reason));
		}
		putchar('\n');
		free(name);
	}
}

static void
print_samples(json_t *samples, const struct style *st)
{
	int rw = cmd_width_of(samples, "runbook", 7);
	int pw = cmd_width_of(samples, "probe", 5);
	json_t *r, *lat;
	size_t i;
	char t[48], latency[32];

	printf("\n%sSamples%s\n", st->bold, st->reset);
	printf("  %s%-20s  %-*s  %-*s  %-8s  %7s  %s%s\n", st->dim, "AT", rw,
	    "RUNBOOK", pw, "PROBE", "STATE", "LATENCY", "REASON", st->reset);
	json_array_foreach(samples, i, r) {
		const char *state = cmd_str_or(r, "state", "?");
		const char *reason = json_string_value(json_object_get(r,
		    "reason"));

		cmd_format_time(cmd_str_or(r, "at", NULL), t, sizeof(t));
		lat = json_object_get(r, "latency_ms");
		if (json_is_number(lat))
			duration_format(json_number_value(lat) / 1000.0,
			    latency, sizeof(latency));
		else
			snprintf(latency, sizeof(latency), "-");
		printf("  %-20s  %-*s  %-*s  %s%-8s%s  %7s", t, rw,
		    cmd_str_or(r, "runbook", "?"), pw, cmd_str_or(r, "probe", "?"),
		    cmd_state_color(st, state), state, st->reset, latency);
		if (reason != NULL) {
			printf("  ");
			cmd_print_safe(reason, strlen(reason));
		}
		putchar('\n');
	}
}

/* "of runbook X, probe Y" for the filters given, or "". */
static char *
filters(const struct cmd_ctx *ctx)
{
	const char *rb = cmd_opt(ctx, "runbook"), *probe = cmd_opt(ctx,
	    "probe");

	return xasprintf("%s%s%s%s%s%s", rb != NULL || probe != NULL ?
	    " of" : "", rb != NULL ? " runbook " : "", rb != NULL ? rb : "",
	    rb != NULL && probe != NULL ? "," : "", probe != NULL ?
	    " probe " : "", probe != NULL ? probe : "");
}

static void
print_history(const struct cmd_ctx *ctx, json_t *h, const char *since,
    const char *path, size_t limit)
{
	struct style st = cmd_style(ctx);
	json_t *samples = json_object_get(h, "samples");
	json_t *changes = json_object_get(h, "changes");
	size_t ns = json_array_size(samples), nc = json_array_size(changes);
	char *which = filters(ctx);

	if (ns == 0 && nc == 0) {
		printf("no samples%s since %s (store %s)\n", which, since,
		    path);
		free(which);
		return;
	}
	printf("%s%zu state change%s%s, %zu sample%s%s%s since %s%s\n",
	    st.bold, nc, nc == 1 ? "" : "s", nc == limit ? " (the newest)" :
	    "", ns, ns == 1 ? "" : "s", ns == limit ? " (the newest)" : "",
	    which, since, st.reset);
	if (nc > 0)
		print_changes(changes, &st);
	if (ns > 0)
		print_samples(samples, &st);
	if (nc == limit || ns == limit)
		printf("%s(at most %zu of each shown: --limit N for more, "
		    "--since for a shorter window)%s\n", st.dim, limit,
		    st.reset);
	free(which);
}

static int
cmd_history_exec(struct cmd_ctx *ctx)
{
	size_t limit = (size_t)cmd_opt_int(ctx, "limit", LIMIT_DEFAULT);
	struct store *s = NULL;
	double since;
	char *path, *err = NULL, iso[48], shown[48];
	json_t *h;

	if (cmd_opt(ctx, "file") != NULL || cmd_opt(ctx, "builtin") != NULL) {
		fprintf(stderr, "triage history: reads only the store, not a "
		    "runbook: to see one runbook's history, use --runbook "
		    "ID\n");
		return EXIT_UNKNOWN;
	}
	if (parse_since(ctx, time_now(), &since) != 0)
		return EXIT_UNKNOWN;
	time_format_iso8601(since, 1, iso, sizeof(iso));
	time_format_iso8601(since, 0, shown, sizeof(shown));
	path = cmd_store_spec(ctx);
	if (cmd_store_missing(path)) {
		if (cmd_opt(ctx, "json") != NULL) {
			h = json_pack("{s:i, s:s, s:[], s:[]}", "schema", 1,
			    "since", iso, "samples", "changes");
			cmd_print_json(h);
			json_decref(h);
		} else {
			printf("no history (store %s does not exist yet)\n",
			    path);
		}
		free(path);
		return EXIT_OK;
	}
	/* Reading must not create the store: it exists, as checked. */
	if (store_open(path, &s, &err) != 0 ||
	    (h = store_history(s, cmd_opt(ctx, "runbook"), cmd_opt(ctx,
	    "probe"), since, limit, &err)) == NULL) {
		fprintf(stderr, "triage history: %s\n", err);
		free(err);
		store_close(s);
		free(path);
		return EXIT_UNKNOWN;
	}
	if (cmd_opt(ctx, "json") != NULL) {
		json_t *doc = json_pack("{s:i, s:s, s:O, s:O}", "schema", 1,
		    "since", iso, "samples", json_object_get(h, "samples"),
		    "changes", json_object_get(h, "changes"));

		cmd_print_json(doc);
		json_decref(doc);
	} else {
		print_history(ctx, h, shown, path, limit);
	}
	json_decref(h);
	store_close(s);
	free(path);
	return EXIT_OK;
}

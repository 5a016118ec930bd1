/* SPDX-License-Identifier: MIT */
/* triage incidents: list the incident records, show one, verify the log. */
#include <ctype.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "store.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define LIMIT_DEFAULT 20
#define EXCERPT_LINES 5		/* of each step's output, the last */
#define EXIT_NOT_FOUND EXIT_CRITICAL	/* show: no such incident; verify:
					 * the chain is broken */

static const struct option_spec incidents_options[] = {
	{ "runbook", 0, OPT_STRING, "list: only the incidents of runbook ID "
	    "(default: every runbook)", "ID" },
	{ "limit", 0, OPT_INT, "list: at most N, the newest (default 20)",
	    "N" },
	{ "json", 0, OPT_FLAG, "print one JSON document (schema 1)", NULL },
	{ "store", 0, OPT_STRING, "the store (default: $TRIAGE_STORE, else "
	    "$XDG_STATE_HOME/triage/triage.db)", "PATH" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_incidents_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_incidents_entry = {
	.name = "incidents",
	.summary = "list incident records, show one, or verify the log's "
	    "hash chain",
	.args = "[list | show ID | verify]",
	.min_args = 0,
	.max_args = 2,
	.options = incidents_options,
	.exec = cmd_incidents_exec,
	.exit_help = "0 ok (also: no store yet); 2 show: no such incident, "
	    "verify: the hash chain is broken; 3 a usage or store error.",
	.no_runbook = 1,
};

enum sub {
	SUB_LIST,
	SUB_SHOW,
	SUB_VERIFY,
};

/* Human output. */

static const char *
status_color(const struct style *st, const char *status)
{
	if (status == NULL)
		return st->magenta;
	if (strcmp(status, "resolved") == 0)
		return st->green;
	if (strcmp(status, "open") == 0 || strcmp(status, "interrupted") == 0)
		return st->yellow;
	return st->red;
}

/* A duration in milliseconds (a JSON number, or null) into out. */
static void
format_ms(json_t *ms, char *out, size_t n)
{
	if (json_is_number(ms))
		duration_format(json_number_value(ms) / 1000.0, out, n);
	else
		snprintf(out, n, "-");
}

/* One probe result as a row: state, id, latency, reason. */
static void
print_probe_row(json_t *r, int idw, const struct style *st)
{
	const char *state = cmd_str_or(r, "state", "?");
	const char *reason = json_string_value(json_object_get(r, "reason"));
	char lat[32];

	format_ms(json_object_get(r, "latency_ms"), lat, sizeof(lat));
	printf("    %s%-8s%s  %-*s  %7s", cmd_state_color(st, state), state,
	    st->reset, idw, cmd_str_or(r, "id", "?"), lat);
	if (reason != NULL) {
		printf("  ");
		cmd_print_safe(reason, strlen(reason));
	}
	putchar('\n');
}

static void
print_probes(json_t *list, const struct style *st)
{
	json_t *r;
	size_t i;
	int idw = 5;

	json_array_foreach(list, i, r) {
		int w = (int)strlen(cmd_str_or(r, "id", "?"));

		if (w > idw)
			idw = w;
	}
	json_array_foreach(list, i, r)
		print_probe_row(r, idw, st);
}

/* The header: the answer (status), then who, where, when and which plan. */
static void
print_header(json_t *inc, json_t *opened, const struct style *st)
{
	const char *status = cmd_str_or(inc, "status", "?");
	const char *title = json_string_value(json_object_get(opened,
	    "title"));
	const char *path = json_string_value(json_object_get(opened,
	    "runbook_path"));
	const char *sum = json_string_value(json_object_get(opened,
	    "runbook_sha256"));
	const char *closed = json_string_value(json_object_get(inc,
	    "closed_at"));
	char t[48], dur[32];
	double t0, t1;

	printf("%sINCIDENT %" JSON_INTEGER_FORMAT "%s  %s%s%s%s  %s%s%s",
	    st->bold, json_integer_value(json_object_get(inc, "id")),
	    st->reset, st->bold, status_color(st, status), status, st->reset,
	    st->bold, cmd_str_or(inc, "failure", "?"), st->reset);
	if (title != NULL)
		printf(": %s", title);
	printf("\n");
	cmd_format_time(cmd_str_or(inc, "opened_at", NULL), t, sizeof(t));
	printf("  opened:    %s by %s on %s\n", t, cmd_str_or(opened, "operator",
	    "?"), cmd_str_or(opened, "host", "?"));
	if (closed != NULL) {
		cmd_format_time(closed, t, sizeof(t));
		printf("  closed:    %s", t);
		if (time_parse_iso8601(cmd_str_or(inc, "opened_at", ""), &t0) ==
		    0 && time_parse_iso8601(closed, &t1) == 0) {
			duration_format(t1 - t0, dur, sizeof(dur));
			printf(" (after %s)", dur);
		}
		printf("\n");
	} else {
		printf("  closed:    %snot closed%s: a person has to look\n",
		    st->yellow, st->reset);
	}
	printf("  runbook:   %s", cmd_str_or(inc, "runbook", "?"));
	if (path != NULL)
		printf(" (%s%s%.12s)", path, sum != NULL ? ", sha256 " : "",
		    sum != NULL ? sum : "");
	printf("\n");
	if (json_string_value(json_object_get(opened, "plan_hash")) != NULL)
		printf("  plan:      %.12s\n", cmd_str_or(opened, "plan_hash", ""));
}

/* The state before anything ran: the symptom and the probe results. */
static void
print_before(json_t *opened, const struct style *st)
{
	json_t *sym = json_object_get(opened, "symptom");

	if (sym == NULL && json_array_size(json_object_get(opened,
	    "probes")) == 0)
		return;
	printf("\n%sBefore%s\n", st->bold, st->reset);
	if (sym != NULL)
		printf("  symptom: %s  %s\n", cmd_str_or(sym, "when", "?"),
		    json_is_true(json_object_get(sym, "holds")) ? "(held)" :
		    json_is_false(json_object_get(sym, "holds")) ?
		    "(did not hold)" : "");
	print_probes(json_object_get(opened, "probes"), st);
}

static void
print_step(json_t *body, const char *at, const struct style *st)
{
	const char *phase = cmd_str_or(body, "phase", "fix");
	const char *host = json_string_value(json_object_get(body, "host"));
	const char *reason = json_string_value(json_object_get(body,
	    "reason"));
	json_t *exit = json_object_get(body, "exit");
	int ok = json_is_true(json_object_get(body, "ok"));
	char dur[32], t[48];

	format_ms(json_object_get(body, "duration_ms"), dur, sizeof(dur));
	cmd_format_time(at, t, sizeof(t));
	printf("  %s%" JSON_INTEGER_FORMAT ". $ %s", strcmp(phase, "fix") ==
	    0 ? "" : "on_failure ", json_integer_value(json_object_get(body,
	    "step")), cmd_str_or(body, "command", "?"));
	if (host != NULL)
		printf("  (on %s)", host);
	printf("\n     %s%s%s", ok ? st->green : st->red, ok ? "ok" : "FAILED",
	    st->reset);
	if (json_is_integer(exit))
		printf("  exit %" JSON_INTEGER_FORMAT,
		    json_integer_value(exit));
	printf("  %s  %s%s%s", dur, st->dim, t, st->reset);
	if (!ok && reason != NULL) {
		printf("  ");
		cmd_print_safe(reason, strlen(reason));
	}
	printf("\n");
	cmd_print_excerpt(json_string_value(json_object_get(body, "output")),
	    EXCERPT_LINES, 5, st);
	cmd_print_excerpt(json_string_value(json_object_get(body, "stderr")),
	    EXCERPT_LINES, 5, st);
	if (json_is_true(json_object_get(body, "truncated")))
		printf("     %s(cut at the output cap)%s\n", st->dim,
		    st->reset);
}

static void
print_verify(json_t *body, const char *at, const struct style *st)
{
	json_int_t n = json_integer_value(json_object_get(body, "attempts"));
	int ok = json_is_true(json_object_get(body, "ok"));
	char t[48];

	cmd_format_time(at, t, sizeof(t));
	printf("\n%sVerify%s  %s%s%s after %" JSON_INTEGER_FORMAT
	    " attempt%s: ", st->bold, st->reset, ok ? st->green : st->red,
	    ok ? "ok" : "NOT OK", st->reset, n, n == 1 ? "" : "s");
	if (ok)
		printf("every verify probe ok, the symptom gone");
	else if (json_is_true(json_object_get(body, "symptom_holds")))
		printf("the symptom still held");
	else
		printf("%zu verify probe%s not ok", json_array_size(
		    json_object_get(body, "failing")), json_array_size(
		    json_object_get(body, "failing")) == 1 ? "" : "s");
	printf("  %s%s%s\n", st->dim, t, st->reset);
	print_probes(json_object_get(body, "probes"), st);
}

/* Any other event: its kind and time, then its reason ("stopped"), what
 * it interrupted ("interrupted"), or else its body, compact. */
static void
print_other(const char *kind, json_t *body, const char *at,
    const struct style *st)
{
	const char *outcome = cmd_str_or(body, "outcome", NULL);
	const char *reason = cmd_str_or(body, "reason", NULL);
	const char *during = cmd_str_or(body, "during", NULL);
	char t[48], *text = NULL;

	cmd_format_time(at, t, sizeof(t));
	if (*kind == '\0')
		kind = "?";
	printf("\n%s%c%s%s  ", st->bold, toupper((unsigned char)kind[0]),
	    kind + 1, st->reset);
	if (strcmp(kind, "closed") == 0 && outcome != NULL)
		printf("%s%s%s", status_color(st, outcome), outcome, st->reset);
	else if (reason != NULL && json_object_size(body) == 1)
		cmd_print_safe(reason, strlen(reason));
	else if (during != NULL && json_object_size(body) == 1)
		printf("during the %s", during);
	else if ((text = json_dumps(body, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) != NULL)
		cmd_print_safe(text, strlen(text));
	printf("  %s%s%s\n", st->dim, t, st->reset);
	free(text);
}

static void
print_incident(json_t *inc, const struct style *st)
{
	json_t *events = json_object_get(inc, "events"), *e, *opened = NULL;
	json_int_t first = 0, last = 0;
	int steps = 0;
	size_t i;

	json_array_foreach(events, i, e) {
		if (strcmp(cmd_str_or(e, "kind", ""), "opened") == 0) {
			opened = json_object_get(e, "body");
			break;
		}
	}
	print_header(inc, opened, st);
	print_before(opened, st);
	cmd_print_evidence(json_object_get(opened, "evidence"),
	    " (gathered when it was opened)", st);
	json_array_foreach(events, i, e) {
		const char *kind = cmd_str_or(e, "kind", "?");
		const char *at = json_string_value(json_object_get(e, "at"));
		json_t *body = json_object_get(e, "body");

		if (i == 0)
			first = json_integer_value(json_object_get(e, "seq"));
		last = json_integer_value(json_object_get(e, "seq"));
		if (strcmp(kind, "opened") == 0)
			continue;
		if (strcmp(kind, "step") == 0) {
			if (steps++ == 0)
				printf("\n%sSteps%s\n", st->bold, st->reset);
			print_step(body, at, st);
		} else if (strcmp(kind, "verify") == 0) {
			print_verify(body, at, st);
		} else {
			print_other(kind, body, at, st);
		}
	}
	printf("\n%s%zu event%s (seq %" JSON_INTEGER_FORMAT "..%"
	    JSON_INTEGER_FORMAT "); triage incidents verify checks the log%s\n",
	    st->dim, json_array_size(events), json_array_size(events) == 1 ?
	    "" : "s", first, last, st->reset);
}

static void
print_list(json_t *list, const char *path, const char *runbook,
    size_t limit, const struct style *st)
{
	size_t i, n = json_array_size(list), open = 0;
	int rbw, fw, sw;
	json_t *r;
	char t[48];

	json_array_foreach(list, i, r)
		open += strcmp(cmd_str_or(r, "status", ""), "open") == 0;
	if (n == 0) {
		printf("no incidents%s%s in %s\n", runbook ? " of runbook " :
		    "", runbook ? runbook : "", path);
		return;
	}
	if (open > 0)
		printf("%s%s%zu open%s, ", st->bold, st->yellow, open,
		    st->reset);
	else
		printf("%snone open%s, ", st->green, st->reset);
	printf("%s%zu incident%s%s%s, newest first%s\n", n == limit ?
	    "the last " : "", n, n == 1 ? "" : "s", runbook ? " of " : "",
	    runbook ? runbook : "", n == limit ? " (--limit N for more)" :
	    "");
	rbw = cmd_width_of(list, "runbook", 7);
	fw = cmd_width_of(list, "failure", 7);
	sw = cmd_width_of(list, "status", 6);
	printf("%s%6s  %-20s  %-*s  %-*s  %-*s  %s%s\n", st->dim, "ID",
	    "OPENED", sw, "STATUS", rbw, "RUNBOOK", fw, "FAILURE", "OPERATOR",
	    st->reset);
	json_array_foreach(list, i, r) {
		const char *status = cmd_str_or(r, "status", "?");

		cmd_format_time(cmd_str_or(r, "opened_at", NULL), t, sizeof(t));
		printf("%6" JSON_INTEGER_FORMAT "  %-20s  %s%-*s%s  %-*s  "
		    "%-*s  %s\n", json_integer_value(json_object_get(r, "id")),
		    t, status_color(st, status), sw, status, st->reset, rbw,
		    cmd_str_or(r, "runbook", "?"), fw, cmd_str_or(r, "failure", "?"),
		    cmd_str_or(r, "operator", "-"));
	}
	printf("%s(store %s; triage incidents show ID for the whole record)"
	    "%s\n", st->dim, path, st->reset);
}

/* The subcommands. */

static int
incidents_list(struct cmd_ctx *ctx, struct store *s, const char *path)
{
	const char *runbook = cmd_opt(ctx, "runbook");
	size_t limit = (size_t)cmd_opt_int(ctx, "limit", LIMIT_DEFAULT);
	struct style st = cmd_style(ctx);
	json_t *list = json_array();
	char *err = NULL;

	if (s != NULL) {
		json_decref(list);
		list = store_incidents_list(s, runbook, limit, &err);
		if (list == NULL) {
			fprintf(stderr, "triage incidents: %s\n", err);
			free(err);
			return EXIT_UNKNOWN;
		}
	}
	if (cmd_opt(ctx, "json") != NULL) {
		json_t *doc = json_pack("{s:i, s:O}", "schema", 1,
		    "incidents", list);

		cmd_print_json(doc);
		json_decref(doc);
	} else if (s == NULL) {
		printf("no incidents (store %s does not exist yet)\n", path);
	} else {
		print_list(list, path, runbook, limit, &st);
	}
	json_decref(list);
	return EXIT_OK;
}

static int
incidents_show(struct cmd_ctx *ctx, struct store *s, const char *path,
    long id)
{
	struct style st = cmd_style(ctx);
	json_t *inc = NULL;
	char *err = NULL;

	if (s != NULL && (inc = store_incident_get(s, id, &err)) == NULL &&
	    err != NULL) {
		fprintf(stderr, "triage incidents: %s\n", err);
		free(err);
		return EXIT_UNKNOWN;
	}
	if (inc == NULL) {
		if (s == NULL)
			fprintf(stderr, "triage incidents: no incident %ld "
			    "(store %s does not exist yet)\n", id, path);
		else
			fprintf(stderr, "triage incidents: no incident %ld in "
			    "%s (triage incidents lists them)\n", id, path);
		return EXIT_NOT_FOUND;
	}
	if (cmd_opt(ctx, "json") != NULL) {
		json_t *doc = json_pack("{s:i, s:[O]}", "schema", 1,
		    "incidents", inc);

		cmd_print_json(doc);
		json_decref(doc);
	} else {
		print_incident(inc, &st);
	}
	json_decref(inc);
	return EXIT_OK;
}

static int
incidents_verify(struct cmd_ctx *ctx, struct store *s, const char *path)
{
	struct style st = cmd_style(ctx);
	json_t *report = NULL, *doc, *bad;
	char *err = NULL;
	int ok;

	if (s == NULL)
		report = json_pack("{s:b, s:i}", "ok", 1, "events", 0);
	else if (store_verify_chain(s, &report, &err) != 0) {
		fprintf(stderr, "triage incidents: %s\n", err);
		free(err);
		return EXIT_UNKNOWN;
	}
	ok = json_is_true(json_object_get(report, "ok"));
	if (cmd_opt(ctx, "json") != NULL) {
		doc = json_pack("{s:i}", "schema", 1);
		json_object_update(doc, report);
		cmd_print_json(doc);
		json_decref(doc);
	} else if (ok) {
		printf("hash chain %sintact%s: %" JSON_INTEGER_FORMAT
		    " event%s%s%s%s\n", st.green, st.reset,
		    json_integer_value(json_object_get(report, "events")),
		    json_integer_value(json_object_get(report, "events")) == 1 ?
		    "" : "s", s == NULL ? " (store " : "", s == NULL ? path :
		    "", s == NULL ? " does not exist yet)" : "");
	} else {
		bad = json_object_get(report, "first_bad");
		printf("hash chain %s%sBROKEN%s", st.bold, st.red, st.reset);
		if (json_is_integer(bad))
			printf(" at event %" JSON_INTEGER_FORMAT,
			    json_integer_value(bad));
		if (json_is_integer(json_object_get(report, "incident")))
			printf(" (incident %" JSON_INTEGER_FORMAT ")",
			    json_integer_value(json_object_get(report,
			    "incident")));
		printf(": %s\n", cmd_str_or(report, "reason", "?"));
		printf("%" JSON_INTEGER_FORMAT " events read from %s; the log "
		    "from there on cannot be trusted: keep a copy of the file "
		    "as it is, and find out who wrote to it\n",
		    json_integer_value(json_object_get(report, "events")),
		    path);
	}
	json_decref(report);
	return ok ? EXIT_OK : EXIT_NOT_FOUND;
}

/* Which subcommand the arguments name, and for show the id; -1 after
 * printing the problem. */
static int
parse_sub(const struct cmd_ctx *ctx, enum sub *sub, long *id)
{
	const char *name = ctx->nargs > 0 ? ctx->args[0] : "list";
	long n;

	if (strcmp(name, "list") == 0) {
		*sub = SUB_LIST;
	} else if (strcmp(name, "show") == 0) {
		*sub = SUB_SHOW;
		if (ctx->nargs < 2) {
			fprintf(stderr, "triage incidents: show which "
			    "incident? (triage incidents show ID)\n");
			return -1;
		}
		if (str_to_long(ctx->args[1], 1, LONG_MAX, id) != 0) {
			fprintf(stderr, "triage incidents: show: \"%s\" is "
			    "not an incident id (a number from 1)\n",
			    ctx->args[1]);
			return -1;
		}
		return 0;
	} else if (strcmp(name, "verify") == 0) {
		*sub = SUB_VERIFY;
	} else {
		fprintf(stderr, "triage incidents: unknown subcommand \"%s\" "
		    "(list, show ID or verify)", name);
		if (str_to_long(name, 1, LONG_MAX, &n) == 0)
			fprintf(stderr, "; did you mean triage incidents show "
			    "%ld?", n);
		fprintf(stderr, "\n");
		return -1;
	}
	if (ctx->nargs > 1) {
		fprintf(stderr, "triage incidents: %s: unexpected argument "
		    "\"%s\"\n", name, ctx->args[1]);
		return -1;
	}
	return 0;
}

/* The options that make no sense here; -1 after printing which. */
static int
check_options(const struct cmd_ctx *ctx, enum sub sub)
{
	if (cmd_opt(ctx, "file") != NULL || cmd_opt(ctx, "builtin") != NULL) {
		fprintf(stderr, "triage incidents: reads only the store, not a "
		    "runbook: to see one runbook's incidents, use --runbook "
		    "ID\n");
		return -1;
	}
	if (sub != SUB_LIST && (cmd_opt(ctx, "runbook") != NULL ||
	    cmd_opt(ctx, "limit") != NULL)) {
		fprintf(stderr, "triage incidents: --%s is for list only\n",
		    cmd_opt(ctx, "runbook") != NULL ? "runbook" : "limit");
		return -1;
	}
	return 0;
}

static int
cmd_incidents_exec(struct cmd_ctx *ctx)
{
	struct store *s = NULL;
	enum sub sub = SUB_LIST;
	char *path, *err = NULL;
	long id = 0;
	int rc = EXIT_UNKNOWN;

	if (parse_sub(ctx, &sub, &id) != 0 || check_options(ctx, sub) != 0) {
		fprintf(stderr, "usage: triage incidents [options] %s\n",
		    ctx->cmd->args);
		return EXIT_UNKNOWN;
	}
	path = cmd_store_spec(ctx);
	/* Reading must not create the store (and its directory). */
	if (!cmd_store_missing(path) && store_open(path, &s, &err) != 0) {
		fprintf(stderr, "triage incidents: %s\n", err);
		free(err);
		free(path);
		return EXIT_UNKNOWN;
	}
	switch (sub) {
	case SUB_LIST:
		rc = incidents_list(ctx, s, path);
		break;
	case SUB_SHOW:
		rc = incidents_show(ctx, s, path, id);
		break;
	case SUB_VERIFY:
		rc = incidents_verify(ctx, s, path);
		break;
	}
	store_close(s);
	free(path);
	return rc;
}

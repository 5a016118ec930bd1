/* SPDX-License-Identifier: MIT */
/* Option parsing, --help, runbook lookup and terminal style for commands. */
#include "cmd.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "engine.h"
#include "record.h"
#include "runbook.h"
#include "store.h"
#include "util/buf.h"
#include "util/jsonout.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static const struct option_spec common_options[] = {
	{ "file", 'f', OPT_STRING, "the runbook to use, - for standard input "
	    "(default: $TRIAGE_RUNBOOK, else ./triage.yaml, else the built-in "
	    "host runbook)", "RUNBOOK" },
	{ "builtin", 0, OPT_FLAG, "use the built-in host runbook", NULL },
	{ "no-color", 0, OPT_FLAG, "no colour, even on a terminal (so does "
	    "NO_COLOR)", NULL },
	{ "help", 'h', OPT_FLAG, "show this help", NULL },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static void
add_specs(struct cmd_ctx *ctx, const struct option_spec *specs)
{
	for (; specs != NULL && specs->name != NULL; specs++) {
		if (ctx->nspecs < CMD_MAX_OPTIONS)
			ctx->specs[ctx->nspecs++] = specs;
	}
}

static long
find_spec(const struct cmd_ctx *ctx, const char *name, size_t len,
    char short_name)
{
	size_t i;

	for (i = 0; i < ctx->nspecs; i++) {
		const struct option_spec *s = ctx->specs[i];

		if (short_name != 0 ? s->short_name == short_name :
		    strlen(s->name) == len && strncmp(s->name, name, len) == 0)
			return (long)i;
	}
	return -1;
}

static void
unknown_option(const struct cmd_ctx *ctx, const char *arg, size_t len)
{
	const char *best = NULL;
	unsigned best_d = 3;
	size_t i;
	char *name = xstrndup(arg, len);

	for (i = 0; i < ctx->nspecs; i++) {
		unsigned d = str_edit_distance(name, ctx->specs[i]->name);

		if (d < best_d) {
			best_d = d;
			best = ctx->specs[i]->name;
		}
	}
	if (best != NULL)
		fprintf(stderr, "triage %s: unknown option --%s; did you mean "
		    "--%s?\n", ctx->cmd->name, name, best);
	else
		fprintf(stderr, "triage %s: unknown option --%s (see triage "
		    "%s --help)\n", ctx->cmd->name, name, ctx->cmd->name);
	free(name);
}

static int
set_value(struct cmd_ctx *ctx, size_t i, const char *value)
{
	const struct option_spec *s = ctx->specs[i];
	long n;

	switch (s->type) {
	case OPT_FLAG:
		free(ctx->values[i]);
		ctx->values[i] = xstrdup("1");
		return 0;
	case OPT_INT:
		if (str_to_long(value, 1, 1000000, &n) != 0) {
			fprintf(stderr, "triage %s: --%s takes a whole number "
			    "from 1 to 1000000, not \"%s\"\n", ctx->cmd->name,
			    s->name, value);
			return -1;
		}
		break;
	case OPT_LIST:
		if (ctx->values[i] != NULL) {
			char *joined = xasprintf("%s,%s", ctx->values[i],
			    value);

			free(ctx->values[i]);
			ctx->values[i] = joined;
			return 0;
		}
		break;
	case OPT_STRING:
		break;
	}
	free(ctx->values[i]);
	ctx->values[i] = xstrdup(value);
	return 0;
}

int
cmd_parse(struct cmd_ctx *ctx, const struct cmd_entry *cmd, int argc,
    char **argv)
{
	int i, only_args = 0;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cmd = cmd;
	ctx->args = xcalloc((size_t)argc + 1, sizeof(char *));
	add_specs(ctx, common_options);
	add_specs(ctx, cmd->options);
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		long spec;

		if (only_args || arg[0] != '-' || arg[1] == '\0') {
			ctx->args[ctx->nargs++] = argv[i];
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			only_args = 1;
			continue;
		}
		if (arg[1] == '-') {
			size_t len;

			eq = strchr(arg + 2, '=');
			len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			spec = find_spec(ctx, arg + 2, len, 0);
			if (spec < 0) {
				unknown_option(ctx, arg + 2, len);
				return -1;
			}
			if (eq != NULL)
				value = eq + 1;
		} else {
			spec = find_spec(ctx, NULL, 0, arg[1]);
			if (spec < 0) {
				fprintf(stderr, "triage %s: unknown option "
				    "-%c (see triage %s --help)\n", cmd->name,
				    arg[1], cmd->name);
				return -1;
			}
			if (arg[2] != '\0')
				value = arg + 2;
		}
		if (ctx->specs[spec]->type == OPT_FLAG) {
			if (value != NULL) {
				fprintf(stderr, "triage %s: --%s takes no "
				    "value\n", cmd->name, ctx->specs[spec]->name);
				return -1;
			}
		} else if (value == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "triage %s: --%s needs a "
				    "value (%s)\n", cmd->name,
				    ctx->specs[spec]->name,
				    ctx->specs[spec]->metavar);
				return -1;
			}
			value = argv[++i];
		}
		if (set_value(ctx, (size_t)spec, value) != 0)
			return -1;
	}
	if (cmd_opt(ctx, "help") != NULL)
		return 0;
	if (ctx->nargs < cmd->min_args || ctx->nargs > cmd->max_args) {
		if (ctx->nargs > cmd->max_args)
			fprintf(stderr, "triage %s: unexpected argument "
			    "\"%s\"\n", cmd->name, ctx->args[cmd->max_args]);
		else
			fprintf(stderr, "triage %s: missing %s\n", cmd->name,
			    cmd->args);
		fprintf(stderr, "usage: triage %s [options]%s%s\n", cmd->name,
		    cmd->args ? " " : "", cmd->args ? cmd->args : "");
		return -1;
	}
	return 0;
}

void
cmd_dispose(struct cmd_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->nspecs; i++)
		free(ctx->values[i]);
	free(ctx->args);
}

/* Prints the options of s; without_runbook leaves out -f and --builtin. */
static void
print_options(const struct option_spec *s, int without_runbook, FILE *out)
{
	for (; s->name != NULL; s++) {
		char left[64];

		if (without_runbook && (strcmp(s->name, "file") == 0 ||
		    strcmp(s->name, "builtin") == 0))
			continue;
		snprintf(left, sizeof(left), "%c%c%c --%s%s%s",
		    s->short_name ? '-' : ' ', s->short_name ? s->short_name :
		    ' ', s->short_name ? ',' : ' ', s->name,
		    s->metavar ? " " : "", s->metavar ? s->metavar : "");
		if (strlen(left) > 24)
			fprintf(out, "  %s\n  %-24s  %s\n", left, "", s->help);
		else
			fprintf(out, "  %-24s  %s\n", left, s->help);
	}
}

void
cmd_usage(const struct cmd_entry *cmd, FILE *out)
{
	fprintf(out, "usage: triage %s [options]%s%s\n\n%s\n", cmd->name,
	    cmd->args ? " " : "", cmd->args ? cmd->args : "", cmd->summary);
	if (cmd->options != NULL && cmd->options->name != NULL) {
		fprintf(out, "\noptions:\n");
		print_options(cmd->options, 0, out);
	}
	fprintf(out, "\ncommon options:\n");
	print_options(common_options, cmd->no_runbook, out);
	fprintf(out, "\nexit status: %s\nSee triage(1).\n",
	    cmd->exit_help != NULL ? cmd->exit_help : "0 ok, 1 warning, 2 "
	    "critical, 3 unknown or a usage or runbook error.");
}

const char *
cmd_opt(const struct cmd_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->nspecs; i++) {
		if (strcmp(ctx->specs[i]->name, name) == 0)
			return ctx->values[i];
	}
	return NULL;
}

long
cmd_opt_int(const struct cmd_ctx *ctx, const char *name, long def)
{
	const char *v = cmd_opt(ctx, name);
	long n;

	return v != NULL && str_to_long(v, 1, 1000000, &n) == 0 ? n : def;
}

int
cmd_find_runbook(const struct cmd_ctx *ctx, const char **path)
{
	const char *file = cmd_opt(ctx, "file");
	struct stat st;

	*path = NULL;
	if (cmd_opt(ctx, "builtin") != NULL) {
		if (file != NULL) {
			fprintf(stderr, "triage %s: --builtin and --file cannot "
			    "be used together\n", ctx->cmd->name);
			return -1;
		}
		return 0;
	}
	*path = file;
	if (*path == NULL) {
		*path = getenv("TRIAGE_RUNBOOK");
		if (*path != NULL && **path == '\0')
			*path = NULL;
	}
	if (*path == NULL && stat("triage.yaml", &st) == 0)
		*path = "triage.yaml";
	return 0;
}

int
cmd_load_runbook_from(const char *path, struct runbook **out,
    struct diags *d)
{
	if (path != NULL)
		return runbook_load_file(path, out, d);
	return runbook_load_string("<builtin>", builtin_host_yaml,
	    builtin_host_yaml_len, out, d);
}

/* A runbook's path as messages name it. */
static const char *
shown_path(const char *path)
{
	if (path == NULL)
		return "<builtin>";
	return strcmp(path, "-") == 0 ? RUNBOOK_STDIN_NAME : path;
}

int
cmd_load_runbook(struct cmd_ctx *ctx, struct runbook **out)
{
	const char *path;
	struct diags d;
	int rc;

	if (cmd_find_runbook(ctx, &path) != 0)
		return -1;
	diags_init(&d);
	rc = cmd_load_runbook_from(path, out, &d);
	diags_sort(&d);
	diags_print(&d, stderr);
	if (rc != 0 && d.errors > 0)
		fprintf(stderr, "triage: %s: %zu error%s; nothing was run\n",
		    shown_path(path), d.errors, d.errors == 1 ? "" : "s");
	diags_dispose(&d);
	return rc;
}

/* --only: each name is a layer or a probe id. Fills selected[]; -1 with a
 * message when a name is neither. */
static int
select_probes(const struct runbook *rb, const char *cmd, const char *only,
    char *selected)
{
	char *list, *name, *next;
	int rc = 0, names = 0;
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
		names++;
		for (i = 0; i < rb->nprobes; i++) {
			if (strcmp(rb->probes[i].layer, name) == 0 ||
			    strcmp(rb->probes[i].id, name) == 0) {
				runbook_select_with_needs(rb, i, selected);
				found = 1;
			}
		}
		if (!found) {
			fprintf(stderr, "triage %s: --only: no layer or "
			    "probe named \"%s\" in %s\n", cmd, name,
			    shown_path(rb->path));
			rc = -1;
		}
	}
	free(list);
	/* An empty list (an unset $ARG2$ in a Nagios command) would run
	 * nothing and say OK. */
	if (rc == 0 && names == 0) {
		fprintf(stderr, "triage %s: --only needs a layer or probe id "
		    "(--only LAYER|PROBE,...)\n", cmd);
		rc = -1;
	}
	return rc;
}

static void
progress(void *arg, size_t done, size_t total, const struct probe *p,
    json_t *result)
{
	(void)arg;
	(void)result;
	if (done < total)
		fprintf(stderr, "\r\033[K%zu/%zu checked (last: %s)", done,
		    total, p->id);
	else
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

int
cmd_run_probes_each(struct cmd_ctx *ctx, const struct runbook *rb,
    engine_result_fn take, void *take_arg, enum probe_state *worst)
{
	struct engine_opts opts = { 0 };
	char *selected = xcalloc(rb->nprobes + 1, 1);
	struct probe **probes;
	size_t i, n = 0;

	if (select_probes(rb, ctx->cmd->name, cmd_opt(ctx, "only"),
	    selected) != 0) {
		free(selected);
		return -1;
	}
	probes = xcalloc(rb->nprobes + 1, sizeof(*probes));
	for (i = 0; i < rb->nprobes; i++) {
		if (selected[i])
			probes[n++] = &rb->probes[i];
	}
	opts.jobs = (int)cmd_opt_int(ctx, "jobs", ENGINE_JOBS_DEFAULT);
	opts.interrupted = ctx->interrupted;
	if (ctx->progress && cmd_opt(ctx, "json") == NULL)
		opts.progress = progress;
	*worst = engine_run_each(rb, probes, n, &opts, take, take_arg);
	free(probes);
	free(selected);
	return 0;
}

/* cmd_run_probes' hand-over: results arrive in runbook order. */
static void
append_result(void *arg, size_t i, json_t *result)
{
	(void)i;
	json_array_append_new(arg, result);
}

int
cmd_run_probes(struct cmd_ctx *ctx, const struct runbook *rb, json_t **out)
{
	json_t *list = json_array();
	enum probe_state worst;

	if (cmd_run_probes_each(ctx, rb, append_result, list, &worst) != 0) {
		json_decref(list);
		return -1;
	}
	*out = list;
	return 0;
}

json_t *
cmd_results_by_id(json_t *list)
{
	json_t *o = json_object(), *r;
	size_t i;

	json_array_foreach(list, i, r)
		json_object_set(o, json_string_value(json_object_get(r, "id")),
		    r);
	return o;
}

void
cmd_print_json(json_t *doc)
{
	struct buf b;

	buf_init(&b, 0);
	/* As json_dumpf: a document is an object or an array. */
	if (json_is_object(doc) || json_is_array(doc))
		jsonout_append(&b, doc, 0);
	buf_putc(&b, '\n');
	fwrite(b.data, 1, b.len, stdout);
	buf_dispose(&b);
}

struct style
cmd_style(const struct cmd_ctx *ctx)
{
	static const struct style on = {
		"\033[1m", "\033[2m", "\033[31m", "\033[33m", "\033[32m",
		"\033[35m", "\033[0m",
	};
	static const struct style off = { "", "", "", "", "", "", "" };

	return ctx->color ? on : off;
}

int
cmd_record(struct cmd_ctx *ctx, const struct runbook *rb, json_t *results)
{
	struct store *s = NULL;
	char *err = NULL;
	int rc;

	if (cmd_opt(ctx, "record") == NULL)
		return 0;
	rc = store_open(cmd_opt(ctx, "store"), &s, &err);
	if (rc == 0)
		rc = record_results(s, rb->id, results, &err);
	if (rc != 0) {
		fprintf(stderr, "triage %s: --record: %s\n", ctx->cmd->name,
		    err);
		free(err);
	}
	store_close(s);
	return rc;
}

const char *
cmd_state_color(const struct style *st, const char *state)
{
	if (state == NULL)
		return st->dim;
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

void
cmd_print_safe(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		putchar(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?');
	}
}

void
cmd_print_excerpt(const char *text, size_t max_lines, int indent,
    const struct style *st)
{
	const char *p, *q, *end;
	size_t lines = 0, cut = 0;

	if (text == NULL || *text == '\0')
		return;
	end = text + strlen(text);
	while (end > text && end[-1] == '\n')
		end--;
	for (p = end; p > text; p--) {
		if (p[-1] == '\n' && ++lines == max_lines)
			break;
	}
	for (q = text; q < p; q++)
		cut += *q == '\n';
	if (cut > 0)
		printf("%*s%s(%zu earlier line%s)%s\n", indent, "", st->dim,
		    cut, cut == 1 ? "" : "s", st->reset);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);

		printf("%*s%s|%s ", indent, "", st->dim, st->reset);
		cmd_print_safe(p, len);
		putchar('\n');
		p += len + (nl != NULL);
	}
}

/* The rows of an sql result, one compact JSON object a line (heap). */
static char *
cmd_rows_text(json_t *rows)
{
	struct buf b;
	json_t *row;
	size_t i;
	char *line;

	buf_init(&b, 0);
	json_array_foreach(rows, i, row) {
		line = json_dumps(row, JSON_COMPACT | JSON_ENCODE_ANY);
		if (line != NULL)
			buf_printf(&b, "%s\n", line);
		free(line);
	}
	return buf_steal(&b);
}

void
cmd_print_evidence(json_t *ev, const char *note, const struct style *st)
{
	static const char *const fields[] = {
		"text", "stdout", "stderr", "output", "body_text",
	};
	json_t *r;
	size_t i, k;

	if (json_array_size(ev) == 0)
		return;
	printf("\n%sEvidence%s%s\n", st->bold, st->reset, note);
	json_array_foreach(ev, i, r) {
		const char *reason = json_string_value(json_object_get(r,
		    "reason"));
		const char *cmd = json_string_value(json_object_get(r,
		    "command"));
		int shown = 0;

		if (cmd == NULL)
			cmd = json_string_value(json_object_get(r, "id"));
		printf("  $ %s\n", cmd != NULL ? cmd : "?");
		for (k = 0; k < ARRAY_LEN(fields); k++) {
			const char *v = json_string_value(json_object_get(r,
			    fields[k]));

			if (v != NULL && *v != '\0') {
				cmd_print_excerpt(v, CMD_EVIDENCE_LINES, 4, st);
				shown = 1;
			}
		}
		/* sql: a row a line, as JSON. */
		if (!shown && json_array_size(json_object_get(r, "rows")) > 0) {
			char *rows = cmd_rows_text(json_object_get(r, "rows"));

			cmd_print_excerpt(rows, CMD_EVIDENCE_LINES, 4, st);
			free(rows);
			shown = 1;
		}
		if (json_is_true(json_object_get(r, "truncated")))
			printf("    %s(cut at the output cap)%s\n", st->dim,
			    st->reset);
		if (!json_is_true(json_object_get(r, "ok")) && reason != NULL) {
			printf("    %s(", st->yellow);
			cmd_print_safe(reason, strlen(reason));
			printf(")%s\n", st->reset);
		} else if (!shown) {
			printf("    %s(no output)%s\n", st->dim, st->reset);
		}
	}
}

char *
cmd_store_spec(const struct cmd_ctx *ctx)
{
	const char *spec = cmd_opt(ctx, "store");

	return spec != NULL ? xstrdup(spec) : store_default_path();
}

int
cmd_store_missing(const char *spec)
{
	struct stat st;

	if (*spec == '\0' || strstr(spec, "://") != NULL)
		return 0;
	return stat(spec, &st) != 0 && errno == ENOENT;
}

const char *
cmd_str_or(json_t *o, const char *key, const char *def)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : def;
}

void
cmd_format_time(const char *iso, char *out, size_t n)
{
	double t;

	if (iso != NULL && time_parse_iso8601(iso, &t) == 0)
		time_format_iso8601(t, 0, out, n);
	else
		snprintf(out, n, "%s", iso != NULL ? iso : "-");
}

int
cmd_width_of(json_t *list, const char *key, int min)
{
	json_t *r;
	size_t i;
	int w = min;

	json_array_foreach(list, i, r) {
		int n = (int)strlen(cmd_str_or(r, key, "-"));

		if (n > w)
			w = n;
	}
	return w;
}

/* Whether stdout is a pipe or socket whose reader has gone (the write
 * end polls as an error). */
static int
stdout_reader_gone(void)
{
	struct pollfd p = { STDOUT_FILENO, 0, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

/* stdio keeps no errno for a write that failed before the last flush:
 * then the message has no reason. */
int
cmd_close_stdout(int rc)
{
	int failed, err;

	errno = 0;
	failed = fflush(stdout) != 0;
	err = errno;
	if (ferror(stdout)) {
		failed = 1;
	} else if (!failed && fclose(stdout) != 0 && errno != EBADF) {
		/* EBADF with nothing pending: there was no stdout to lose. */
		failed = 1;
		err = errno;
	}
	if (!failed)
		return rc;
	if (err != EPIPE && !stdout_reader_gone())
		fprintf(stderr, "triage: cannot write the output%s%s\n",
		    err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
	return EXIT_UNKNOWN;
}

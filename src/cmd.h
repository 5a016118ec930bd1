/* SPDX-License-Identifier: MIT */
/* Commands: one table entry each; option tables drive parsing and --help. */
#ifndef TRIAGE_CMD_H
#define TRIAGE_CMD_H

#include <jansson.h>
#include <signal.h>
#include <stdio.h>

#include "engine.h"

struct diags;
struct runbook;

enum opt_type {
	OPT_FLAG,	/* --json */
	OPT_STRING,	/* --file PATH */
	OPT_LIST,	/* --only a,b (repeatable; values accumulate) */
	OPT_INT,	/* --jobs N (a positive integer) */
};

struct option_spec {
	const char *name;
	char short_name;	/* 0: none */
	enum opt_type type;
	const char *help;
	const char *metavar;	/* for non-flags: "RUNBOOK", "N" */
};

struct cmd_ctx;

struct cmd_entry {
	const char *name;
	const char *summary;
	const char *args;	/* positional arguments for usage, or NULL */
	int min_args;
	int max_args;
	const struct option_spec *options;	/* {NULL}-ended */
	int (*exec)(struct cmd_ctx *ctx);
	/* The exit status line of --help; NULL: the monitoring-plugins
	 * codes every probing command uses. */
	const char *exit_help;
	/* 1: reads the store, not a runbook: --help leaves out -f and
	 * --builtin (which the command refuses). */
	int no_runbook;
};

#define CMD_MAX_OPTIONS 32

struct cmd_ctx {
	const struct cmd_entry *cmd;
	char **args;		/* positional arguments */
	int nargs;
	/* Values by option, for the common table then the command's. */
	const struct option_spec *specs[CMD_MAX_OPTIONS];
	char *values[CMD_MAX_OPTIONS];	/* NULL: not given; "1" for flags */
	size_t nspecs;
	int color;		/* colour on stdout */
	int progress;		/* progress on stderr */
	volatile sig_atomic_t *interrupted;
};

/* Exit codes (DESIGN.md section 5, the monitoring-plugins convention). */
enum {
	EXIT_OK = 0,
	EXIT_WARNING = 1,
	EXIT_CRITICAL = 2,
	EXIT_UNKNOWN = 3,	/* also usage and runbook errors */
};

/* cmd_parse: parses argv (after the command name) against the common
 * options and cmd->options into ctx. Prints the problem and returns -1 on
 * bad usage. */
int cmd_parse(struct cmd_ctx *ctx, const struct cmd_entry *cmd, int argc,
    char **argv);

/* cmd_dispose: frees what cmd_parse allocated. */
void cmd_dispose(struct cmd_ctx *ctx);

/* cmd_usage: prints cmd's --help to out. */
void cmd_usage(const struct cmd_entry *cmd, FILE *out);

/* cmd_opt: the value of option name ("1" for a given flag), or NULL. */
const char *cmd_opt(const struct cmd_ctx *ctx, const char *name);

/* cmd_opt_int: the value of an OPT_INT option, or def when not given. */
long cmd_opt_int(const struct cmd_ctx *ctx, const char *name, long def);

/* cmd_find_runbook: which runbook the options name: -f, else
 * $TRIAGE_RUNBOOK, else ./triage.yaml, else the built-in host runbook
 * (--builtin forces it). 0 with *path set (NULL: the built-in one), or -1
 * after printing the problem (--builtin with -f). */
int cmd_find_runbook(const struct cmd_ctx *ctx, const char **path);

/* cmd_load_runbook_from: loads and validates the runbook at path (NULL:
 * the built-in one) into *out, adding every problem to d. 0 or -1. */
int cmd_load_runbook_from(const char *path, struct runbook **out,
    struct diags *d);

/* cmd_load_runbook: cmd_find_runbook, then loads and validates it. On
 * failure prints every diagnostic and returns -1 (the caller exits
 * EXIT_UNKNOWN); else 0 with *out set. */
int cmd_load_runbook(struct cmd_ctx *ctx, struct runbook **out);

/* cmd_run_probes: runs the probes of rb that --only selects (all without
 * it), with the probes they need, honouring -j, progress on a terminal
 * and interruption. *out is a new array of results in runbook order.
 * Prints the problem and returns -1 when --only names nothing. */
int cmd_run_probes(struct cmd_ctx *ctx, const struct runbook *rb,
    json_t **out);

/* cmd_run_probes_each: cmd_run_probes, but each result goes to take as
 * engine_run_each hands it over (runbook order, as soon as it and those
 * before it are final), and none is kept here: for commands that write
 * results out as they come. *worst: the worst state of them all. Prints
 * the problem and returns -1 when --only names nothing. */
int cmd_run_probes_each(struct cmd_ctx *ctx, const struct runbook *rb,
    engine_result_fn take, void *take_arg, enum probe_state *worst);

/* cmd_record: with --record, stores results (an array of redacted probe
 * results) as samples of rb in the store that --store names (default:
 * store_default_path()). 0 (also without --record), or -1 after printing
 * the problem. */
int cmd_record(struct cmd_ctx *ctx, const struct runbook *rb,
    json_t *results);

/* The options of cmd_record, for a command's option table. */
#define CMD_RECORD_OPTIONS \
	{ "record", 0, OPT_FLAG, "store the results as samples in the store " \
	    "(see triage history)", NULL }, \
	{ "store", 0, OPT_STRING, "the store for --record (default: " \
	    "$TRIAGE_STORE, else $XDG_STATE_HOME/triage/triage.db)", "PATH" }

/* cmd_results_by_id: a new object mapping each result's id to it, which is
 * what conditions read. */
json_t *cmd_results_by_id(json_t *list);

/* cmd_close_stdout: main's last word. Everything printed must have
 * reached stdout: a full disk or a stdout that is gone makes the run fail
 * (EXIT_UNKNOWN, as any failure of triage itself), said on stderr, except
 * a reader that left early (EPIPE, as in `triage check | head -1`), which
 * is quiet. As coreutils' close_stdout. Returns rc when all is written. */
int cmd_close_stdout(int rc);

/* cmd_print_json: doc on stdout as the one --json document (indented,
 * reals to 9 significant digits, a final newline). */
void cmd_print_json(json_t *doc);

/* The embedded host runbook (src/builtin/host.yaml). */
extern const char builtin_host_yaml[];
extern const size_t builtin_host_yaml_len;

/* Terminal styling for human output; empty strings when colour is off. */
struct style {
	const char *bold, *dim, *red, *yellow, *green, *magenta, *reset;
};

/* cmd_style: the escape sequences to use on stdout for ctx. */
struct style cmd_style(const struct cmd_ctx *ctx);

/* cmd_state_color: the colour of a probe state name ("ok", ...; NULL and
 * "skipped" are dim). */
const char *cmd_state_color(const struct style *st, const char *state);

/* cmd_print_safe: len bytes of p on stdout, control characters (but tab)
 * as "?", so that recorded output cannot move the terminal. */
void cmd_print_safe(const char *p, size_t len);

/* How many lines of each evidence output human output shows. */
#define CMD_EVIDENCE_LINES 15

/* cmd_print_excerpt: the last max_lines lines of text on stdout, each
 * behind "|" at indent, after "(N earlier lines)" when some were left out.
 * NULL or empty text prints nothing. */
void cmd_print_excerpt(const char *text, size_t max_lines, int indent,
    const struct style *st);

/* cmd_print_evidence: an "Evidence" section (heading followed by note) of
 * evidence results (each with the "command" it ran): the command, the end
 * of its output, and its reason when it failed. Nothing for none. */
void cmd_print_evidence(json_t *ev, const char *note,
    const struct style *st);

/* cmd_str_or: the string under key in o, or def when it is absent or not
 * a string. */
const char *cmd_str_or(json_t *o, const char *key, const char *def);

/* cmd_format_time: an ISO-8601 time (from the store) to the second into
 * out; "-" for NULL, and text that does not parse as it is. */
void cmd_format_time(const char *iso, char *out, size_t n);

/* cmd_width_of: the widest string under key among list's objects (absent:
 * "-"), and at least min: a table column's width. */
int cmd_width_of(json_t *list, const char *key, int min);

/* cmd_store_spec: the store --store names, else store_default_path(), as
 * a heap string. */
char *cmd_store_spec(const struct cmd_ctx *ctx);

/* cmd_store_missing: 1 when spec is a file that does not exist yet (then
 * reading commands say so rather than create it), else 0. */
int cmd_store_missing(const char *spec);

#endif

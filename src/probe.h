/* SPDX-License-Identifier: MIT */
/* Probes, probe kinds and probe runs: the one interface every kind implements.
 *
 * A kind is a file (probe-http.c, ...) that fills one `struct probe_kind`
 * and a row in probe-kinds.c; the loader and the engine never name a kind.
 *
 * Life of a run: the engine fills a `struct probe_run` and calls start().
 * start() begins non-blocking work on run->loop and returns 0, or returns -1
 * after probe_run_error() when it cannot even begin. When the work is done
 * the kind calls probe_run_complete() (from a loop callback, never from
 * inside start()). When the probe's timeout passes first, the engine calls
 * cancel(), which must stop all work at once (kill and reap children, remove
 * sockets) but keep what was gathered; what it reports with
 * probe_run_error() follows "timeout after 2s; " (or "interrupted; ") in the
 * reason. Either way the engine then calls
 * finish(), which writes the kind's result fields into `out` and frees
 * run->priv. */
#ifndef TRIAGE_PROBE_H
#define TRIAGE_PROBE_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"
#include "loop.h"

struct expr;
struct host;
struct probe;
struct probe_kind;
struct probe_run;

enum probe_state {
	STATE_OK,
	STATE_WARNING,
	STATE_CRITICAL,
	STATE_UNKNOWN,
	STATE_SKIPPED,
};

/* probe_state_name: "ok", "warning", "critical", "unknown", "skipped". */
const char *probe_state_name(enum probe_state s);

/* probe_reason_why: reason after the "NAME: " of state s that it starts
 * with ("skipped: needs pg" -> "needs pg", as a skip's reason says so
 * itself), else reason itself (NULL stays NULL). For text that names the
 * state already. */
const char *probe_reason_why(const char *reason, enum probe_state s);

/* The fields every result has, in the order the engine writes them: id,
 * layer, kind, ok, state, reason, latency_ms, latency, checked_at.
 * NULL-ended. */
extern const char *const probe_common_results[];

/* probe_result_field: whether a result of kind k may have a field named
 * name at its top level: one of the common ones or one of k->results. */
int probe_result_field(const struct probe_kind *k, const char *name);

/* probe_result_field_near: the field of a kind k result closest to name
 * (at most 2 edits, and at most half of name), its own fields first, for
 * "did you mean"; NULL when none is that close. */
const char *probe_result_field_near(const struct probe_kind *k,
    const char *name);

/* probe_state_parse: the inverse of probe_state_name; -1 when unknown. */
int probe_state_parse(const char *name, enum probe_state *out);

/* Types of the values a runbook key may hold. The loader converts and
 * validates them into probe->params (see there). */
enum field_type {
	FIELD_STRING,	/* string (numbers and bools are taken as text) */
	FIELD_BOOL,	/* true/false */
	FIELD_INT,	/* integer >= 0 */
	FIELD_DURATION,	/* "2s" -> real seconds */
	FIELD_SIZE,	/* "1MiB" or a number of bytes -> integer bytes */
	FIELD_ARGV,	/* non-empty list of strings */
	FIELD_STRINGS,	/* list of strings (a lone string is a list of one) */
	FIELD_MAP,	/* map of string -> string */
};

#define FIELD_REQUIRED 1u
/* FIELD_ARGV: the first item must be written out, not templated, so that
 * what runs is what the runbook says (redis: the command name). */
#define FIELD_LITERAL_HEAD 2u

struct field_spec {
	const char *name;
	enum field_type type;
	unsigned flags;
	const char *help;	/* one line, for docs and "did you mean" */
};

#define PROBE_KIND_REMOTE 1u	/* supports `on: HOST` */

struct probe_kind {
	const char *name;	/* "http": the key that selects this kind */
	const char *alias;	/* another key selecting it ("shell"), or NULL */
	const struct field_spec *fields;	/* the kind's own keys, the kind
						 * key(s) included; {NULL}-ended */
	/* The fields its results may have beside the common ones (id, layer,
	 * kind, ok, state, reason, latency, latency_ms, checked_at): what
	 * finish() writes. NULL-ended. */
	const char *const *results;
	unsigned flags;
	/* Load time: validate p->params and compile them into p->priv.
	 * 0, or -1 with *cause (heap) and optionally p->err_field set to the
	 * key the error is about. */
	int (*prepare)(struct probe *p, char **cause);
	/* Free p->priv. */
	void (*release)(struct probe *p);
	int (*start)(struct probe_run *run);
	void (*cancel)(struct probe_run *run);
	void (*finish)(struct probe_run *run, json_t *out);
	/* The command an operator would type to make the same check by hand
	 * ("curl -sS -i -H 'Host: x' http://127.0.0.1/up"), shell-quoted, for
	 * `triage render`; heap string, or NULL when there is none. */
	char *(*manual)(const struct probe *p);
};

/* The position of one key of a probe in the runbook, for diagnostics. */
struct param_pos {
	const char *key;	/* borrowed from the field spec */
	struct srcpos pos;	/* of the value */
};

struct probe {
	char *id;
	char *layer;		/* "default" when the runbook gives none */
	char *description;	/* NULL or one line for humans */
	const struct probe_kind *kind;
	struct srcpos pos;	/* of the probe's id (or step's mapping) */
	/* The kind's keys, templated and converted: strings, booleans,
	 * integers (INT, SIZE), reals (DURATION, seconds), arrays (ARGV,
	 * STRINGS) and objects (MAP). Keys absent from the runbook are absent
	 * here. */
	json_t *params;
	struct param_pos *param_pos;
	size_t nparam_pos;
	double timeout;		/* seconds; default 5 */
	double interval;	/* seconds; default 30 (watch) */
	int retries;		/* default 1 (watch) */
	enum probe_state severity;	/* for a failed expect; CRITICAL */
	struct expr **expect;	/* all must hold; NULL: the kind's verdict */
	struct srcpos *expect_pos;	/* of each, for lint */
	size_t nexpect;
	struct expr **warn;	/* any holds -> warning */
	struct srcpos *warn_pos;
	size_t nwarn;
	char **needs;		/* probe ids */
	size_t nneeds;
	char **requires;	/* commands on PATH or absolute paths */
	size_t nrequires;
	const struct host *on;	/* NULL: this machine */
	int may_write;		/* a fix or on_failure step: kinds that can
				 * tell reads from writes (sql, redis) refuse
				 * writes unless this is set */
	char *missing_env;	/* first {{env.X}} that was unset: skipped */
	/* The values of the runbook's secrets that are set (borrowed from
	 * the runbook, NULL when none): kinds that take a password (sql,
	 * redis) accept one only when it is one of these, so that a
	 * password is never written in the runbook itself. */
	char *const *secret_values;
	size_t nsecret_values;
	const char *err_field;	/* set by prepare() on error */
	void *priv;		/* the kind's compiled form */
};

struct probe_run {
	const struct probe *probe;
	struct loop *loop;
	void *engine;		/* opaque to kinds */
	void *priv;		/* the kind's per-run state */
	double started;		/* monotonic */
	double started_wall;	/* epoch seconds */
	double deadline;	/* monotonic */
	/* Set by the kind through the helpers below. */
	char *error;		/* the check could not be made */
	enum probe_state verdict;	/* the kind's own judgement */
	char *verdict_reason;	/* why the verdict is not ok */
	int completed;
	/* Set by whoever runs the probe (the engine, a test harness). */
	void (*on_complete)(struct probe_run *run);
};

/* probe_kind_find: the kind whose name or alias is key, or NULL. */
const struct probe_kind *probe_kind_find(const char *key);

/* probe_kinds: the NULL-terminated table of every kind. */
extern const struct probe_kind *const probe_kinds[];

/* probe_param, probe_param_str, probe_param_num, probe_param_bool: a
 * parameter of p by key (borrowed), or the default when absent. */
json_t *probe_param(const struct probe *p, const char *key);
const char *probe_param_str(const struct probe *p, const char *key,
    const char *def);
double probe_param_num(const struct probe *p, const char *key, double def);
int probe_param_bool(const struct probe *p, const char *key, int def);

/* probe_need_lib: for a kind's prepare(), the shared library it runs on
 * (lib_curl_load, lib_pq_load: see util/dlib.h). 0 once it is loaded, or
 * -1 with *cause (heap) naming the library and why it cannot be. */
int probe_need_lib(const struct probe *p, int (*load)(const char **err),
    char **cause);

/* probe_param_srcpos: where key's value stands, else the probe's pos. */
struct srcpos probe_param_srcpos(const struct probe *p, const char *key);

/* probe_run_error: the check could not be made; reason is a short code or
 * sentence ("connection_refused", "dns_failure: no such host"). The
 * result is critical with this reason whatever `expect` says. The first
 * call wins. */
void probe_run_error(struct probe_run *run, const char *fmt, ...)
    PRINTFLIKE(2, 3);

/* probe_run_verdict: the kind's own judgement, used when the probe has no
 * `expect` (http: 2xx/3xx, nagios: its exit code, ...). reason may be
 * NULL for STATE_OK. */
void probe_run_verdict(struct probe_run *run, enum probe_state state,
    const char *fmt, ...) PRINTFLIKE(3, 4);

/* probe_run_complete: the kind's work is done; whoever runs the probe
 * (run->on_complete) will call finish(). Call once, from a loop callback;
 * later calls are ignored. */
void probe_run_complete(struct probe_run *run);

/* Output caps for kinds that capture output. */
#define PROBE_OUTPUT_MAX (64u * 1024u)		/* command stdout/stderr */
#define PROBE_BODY_MAX (1024u * 1024u)		/* http body */

#endif

/* SPDX-License-Identifier: MIT */
/* The runbook loader's insides, shared by runbook.c and runbook-*.c.
 *
 * runbook.c reads the files and the top level (vars, secrets, hosts);
 * runbook-value.c turns YAML nodes into values and reports what is wrong
 * with them; runbook-probe.c loads probes and steps; runbook-triage.c the
 * failures, the triage tree, escalation and the cycle checks. Every
 * problem goes to the loader's diagnostics, never to stderr. */
#ifndef TRIAGE_RUNBOOK_LOAD_H
#define TRIAGE_RUNBOOK_LOAD_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"
#include "expr.h"
#include "runbook.h"
#include "template.h"
#include "util/buf.h"
#include "yaml-tree.h"

#define RUNBOOK_ERRORS_MAX 100u		/* more are counted, not kept */

/* One load of one runbook. */
struct loader {
	struct runbook *rb;
	struct diags *d;
	size_t nerrors;			/* found by this load */
	json_t *seen;			/* "LINE:COL:FILE\nMESSAGE" of each
					 * diagnostic so far -> true */
	struct ytree tree;		/* the YAML nodes and their cost */
	struct template_vars tv;
	char **host_missing;		/* per host: an unset env it uses */
	struct keyindex failure_ids;	/* failure id -> index in rb */
	struct keyindex node_ids;	/* triage node id -> index in rb */
};

/* Where a probe or step stands, for its defaults and allowed keys. */
enum role {
	ROLE_PROBE,
	ROLE_EVIDENCE,
	ROLE_FIX,			/* fix and on_failure */
	ROLE_BRING,
};

/* The shape of an id: its first character, the rest, and how to say so. */
struct idrule {
	const char *what;
	const char *first;		/* like a regex bracket: "a-z0-9_-" */
	const char *rest;
	const char *help;
};

/* Collects candidates for a "did you mean" hint and, with all, every
 * candidate for a list of what is allowed. */
struct suggest {
	const char *word;
	size_t len;
	const char *best;
	unsigned dist;
	int collect;
	struct buf all;
};

/*
 * runbook-value.c: names, hints and diagnostics.
 */

/* ld_str_find: the entry of list (NULL-ended) equal to s, or NULL. */
const char *ld_str_find(const char *const *list, const char *s);

/* ld_suggest_init: starts collecting candidates close to word (borrowed);
 * with all, every candidate is also kept for a list. End with
 * ld_suggest_hint. */
void ld_suggest_init(struct suggest *s, const char *word, int all);

/* ld_suggest_add, ld_suggest_add_list: one candidate (borrowed until
 * ld_suggest_hint), or each of a NULL-ended list. */
void ld_suggest_add(struct suggest *s, const char *cand);
void ld_suggest_add_list(struct suggest *s, const char *const *list);

/* ld_suggest_hint: the hint (heap): "did you mean ...?", else prefix and
 * every candidate when prefix is given, else fallback (which may be NULL).
 * Releases what s holds. */
char *ld_suggest_hint(struct suggest *s, const char *prefix,
    const char *fallback);

/* ld_errors_full: whether errors are no longer kept (only counted), so
 * that a costly hint need not be made. */
int ld_errors_full(const struct loader *ld);

/* ld_error, ld_warning: one diagnostic at pos; hint is heap or NULL and is
 * taken over. Errors past RUNBOOK_ERRORS_MAX are counted, not kept. */
void ld_error(struct loader *ld, struct srcpos pos, char *hint,
    const char *fmt, ...) PRINTFLIKE(4, 5);
void ld_warning(struct loader *ld, struct srcpos pos, char *hint,
    const char *fmt, ...) PRINTFLIKE(4, 5);

/* ld_key_in: "KEY in CTX", or KEY alone when ctx is NULL (heap). */
char *ld_key_in(const char *key, const char *ctx);

/* ld_expected: "expected WHAT for KEY in CTX, got ..." at n; hint is heap
 * or NULL and is taken over. Nothing when n stands for an error already
 * reported. */
void ld_expected(struct loader *ld, const struct ynode *n, const char *what,
    const char *key, const char *ctx, char *hint);

/* ld_duplicate: reports entry e, which repeats an earlier key. noun is
 * "key" (then ctx says where) or what the key names ("probe"). */
void ld_duplicate(struct loader *ld, const struct yentry *e, const char *noun,
    const char *ctx);

/* ld_check_keys: reports each repeated key of map and each key not in
 * allowed (NULL-ended), with a "did you mean" or the allowed keys. ctx
 * names the mapping, or is NULL at the top level. */
void ld_check_keys(struct loader *ld, const struct ynode *map,
    const char *const *allowed, const char *ctx);

/* ld_check_id: 0 when s has the shape of rule, else -1 after reporting
 * it at pos. */
int ld_check_id(struct loader *ld, const struct idrule *rule, const char *s,
    struct srcpos pos);

/*
 * runbook-value.c: scalars and conditions. key and ctx name the value in
 * messages ("timeout", "probe \"pg\""); a NULL ctx is the top level.
 */

/* ld_string: the text of scalar n (borrowed), or NULL after "expected a
 * string". */
const char *ld_string(struct loader *ld, const struct ynode *n,
    const char *key, const char *ctx);

/* ld_text: the text of scalar n with {{...}} expanded (heap), or NULL
 * after an error: each reference that cannot be expanded is reported at
 * its "{{", as "CAUSE in KEY of CTX" ("in KEY" without ctx). The first
 * unset environment variable it uses goes to *missing when missing is
 * given and *missing is NULL. */
char *ld_text(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing);

/* ld_expand: ld_text of n, already known to be a string scalar. */
char *ld_expand(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing);

/* ld_inner_pos: the position of byte col (1-based) of text, n's text or a
 * copy of it; see runbook-value.c. */
struct srcpos ld_inner_pos(struct loader *ld, const struct ynode *n,
    const char *text, size_t col);

/* ld_bool: true or false into *out; -1 after an error. */
int ld_bool(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, int *out);

/* ld_int: a whole number (templated) into *out; its text goes to *text
 * (heap, or NULL) for range messages. -1 after an error; 1, with nothing
 * reported, when it uses an environment variable that is unset (the name
 * goes to *missing: what holds it is skipped). ld_duration and ld_size
 * too. */
int ld_int(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, long *out, char **text);

/* ld_duration: a duration in seconds (templated); positive asks for more
 * than zero. -1 after an error. */
int ld_duration(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, int positive, double *out);

/* ld_size: "64KiB", "1MB" or a number of bytes (templated). -1 after an
 * error. */
int ld_size(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, json_int_t *out);

/* ld_date: a YYYY-MM-DD that exists (heap), or NULL after an error. */
char *ld_date(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx);

/* ld_json_string: s as a JSON string (new reference), or NULL after "not
 * valid UTF-8" at n. */
json_t *ld_json_string(struct loader *ld, const struct ynode *n,
    const char *s);

/* ld_condition: scalar n parsed as a condition (templated), or NULL after
 * an error. With probe_roots, every root it reads must be a probe id. */
struct expr *ld_condition(struct loader *ld, const struct ynode *n,
    const char *key, const char *ctx, char **missing, int probe_roots);

/* ld_conditions: a condition or a list of them into *out (heap, *nout of
 * them; NULL when none loaded), and, when pos is not NULL, the position of
 * each into *pos (heap, as many). */
void ld_conditions(struct loader *ld, struct ynode *v, const char *key,
    const char *ctx, char **missing, int probe_roots, struct expr ***out,
    struct srcpos **pos, size_t *nout);

/*
 * runbook-probe.c: probes and steps.
 */

/* ld_probes_load: the probes: mapping into rb->probes. */
void ld_probes_load(struct loader *ld, const struct ynode *v);

/* ld_steps_load: the list of steps at v, list ("fix") of the owner whose
 * id and ctx are given, with role's defaults and keys, into *out. */
void ld_steps_load(struct loader *ld, struct ynode *v, const char *owner_id,
    const char *owner_ctx, const char *list, enum role role,
    const char *layer, struct step **out, size_t *nout);

/*
 * runbook-triage.c: failures, the triage tree, escalation, cycles.
 */

/* ld_needs_check_cycles: reports each cycle of needs between probes. */
void ld_needs_check_cycles(struct loader *ld);

/* ld_ids_init: makes the loader's indexes of failure and node ids. */
void ld_ids_init(struct loader *ld);

/* ld_ids_dispose: frees them. */
void ld_ids_dispose(struct loader *ld);

/* ld_failures_load: the failures: mapping into rb->failures. */
void ld_failures_load(struct loader *ld, const struct ynode *v);

/* ld_tree_load: the triage: entry te into rb->triage, with its cycles and
 * unreachable nodes (after the failures). */
void ld_tree_load(struct loader *ld, const struct yentry *te);

/* ld_escalation_load: the escalation: mapping into rb->escalation. */
void ld_escalation_load(struct loader *ld, const struct ynode *body);

#endif

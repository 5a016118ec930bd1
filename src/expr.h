/* SPDX-License-Identifier: MIT */
/* The condition language (DESIGN.md section 4): parse once, evaluate many times.
 *
 * Values are jansson values. Paths resolve against a root object: in
 * `expect`/`warn` the root is the probe's own result, in `when`/`if`/`guard`
 * it is an object whose keys are probe ids. Durations evaluate to seconds
 * and sizes to bytes, both as JSON reals. A missing path is null; an
 * ordering comparison with null or between mismatched types is false;
 * `==`/`!=` compare structurally. Nothing here aborts on data. */
#ifndef TRIAGE_EXPR_H
#define TRIAGE_EXPR_H

#include <jansson.h>
#include <stddef.h>

struct expr;

/* expr_parse: compiles src (a PCRE2 literal after `matches` is compiled
 * here too). On error returns NULL, sets *cause to a heap message the
 * caller frees and *errcol to the 1-based column in src where it went
 * wrong. */
struct expr *expr_parse(const char *src, char **cause, size_t *errcol);

/* expr_free: releases e; expr_free(NULL) is a no-op. */
void expr_free(struct expr *e);

/* expr_source: the text e was parsed from; owned by e. */
const char *expr_source(const struct expr *e);

/* expr_eval: the value of e against root at wall-clock time now (for
 * age()). Returns a new reference, never NULL (json_null() for nothing). */
json_t *expr_eval(const struct expr *e, json_t *root, double now);

/* expr_test: the truth of expr_eval: false, null, 0, "" and empty
 * arrays/objects are false, everything else is true. */
int expr_test(const struct expr *e, json_t *root, double now);

/* expr_refs: calls fn once for each distinct root identifier e reads
 * (`proxy_up` in `proxy_up.ok && x > 1` and `x`), in order of first use. */
void expr_refs(const struct expr *e, void (*fn)(void *arg, const char *name),
    void *arg);

/* expr_terms: the number of operands of e's top-level `&&`: 3 for
 * `a.ok && !b.ok && c > 1`, 1 when e is not a conjunction. Diagnose ranks
 * a failure by how many terms its symptom proves. */
size_t expr_terms(const struct expr *e);

/* expr_term_test: the truth of term i (0-based, < expr_terms) of e. */
int expr_term_test(const struct expr *e, size_t i, json_t *root,
    double now);

/* expr_term_refs: calls fn for each root identifier term i reads (a name
 * may come more than once). */
void expr_term_refs(const struct expr *e, size_t i,
    void (*fn)(void *arg, const char *name), void *arg);

/* expr_explain: the values e read from root, for a failure reason:
 * "403" when e reads one path, else "status=403, latency=0.2". Heap string
 * the caller frees. */
char *expr_explain(const struct expr *e, json_t *root, double now);

#endif

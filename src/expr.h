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

/* expr_source: the text e was parsed from, on one line (a condition
 * written over several lines has each line break and the white space
 * around it shown as one space, and its ends trimmed); owned by e. */
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

/* expr_fields: calls fn for each path e reads (a path may come more than
 * once): root is its identifier, key its first step when that is a
 * literal key (`status` in `web.status.code` and `web["status"]`), NULL
 * when the path reads the root's whole value or an index or a computed
 * step of it (`web`, `web[0]`, `web[x]`). */
void expr_fields(const struct expr *e, void (*fn)(void *arg,
    const char *root, const char *key), void *arg);

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

/*
 * Static analysis, for `triage lint`: what a condition being true (or
 * false) says about the values it reads.
 */

/* What an atom says about the value of its subject. */
enum expr_atom_op {
	EXPR_ATOM_TRUE,		/* the subject is truthy */
	EXPR_ATOM_EQ,		/* subject == value */
	EXPR_ATOM_NE,		/* subject != value */
	EXPR_ATOM_LT,		/* subject < value */
	EXPR_ATOM_LE,
	EXPR_ATOM_GT,
	EXPR_ATOM_GE,
	EXPR_ATOM_IN,		/* subject in value */
	EXPR_ATOM_HAS,		/* subject contains value (value in subject) */
	EXPR_ATOM_MATCHES,	/* subject matches the regex value */
	EXPR_ATOM_CONST,	/* no subject: value is the constant truth */
};

/* One comparison of one subject with a literal, as the evaluator judges
 * it: `5 < x` is stored as x GT 5. */
struct expr_atom {
	enum expr_atom_op op;
	int negated;		/* the atom says the comparison is false */
	char *subject;		/* canonical text of what it reads: a.ok,
				 * a.body["x-y"], len(a.rows); NULL for
				 * EXPR_ATOM_CONST */
	char *root;		/* the subject's root name ("a"), or NULL */
	char *field;		/* "ok" for `a.ok`: the one key after the
				 * root, when the subject is just that */
	json_t *value;		/* the literal; for CONST, true or false */
	char *text;		/* a condition that holds when the atom does,
				 * from the source: "x > 5", "!a.ok",
				 * "!(x > 5)" */
	const struct expr *e;	/* what it came from (borrowed) */
	const void *node;	/* private */
};

/* expr_atoms: the atoms that hold whenever e is true (or, with negate,
 * whenever e is false): it looks through `&&`, `!` and `!(a || b)`;
 * comparisons between a path (or len/lower/number/age/exists of one)
 * and a literal, truth tests of such a path, and constants become atoms,
 * and anything else (two paths, computed steps, a disjunction) gives
 * none. So if the atoms cannot all hold, neither can e. *out is a heap
 * array of *n atoms (NULL when none) to free with expr_atoms_free; they
 * borrow from e and are valid while it lives. */
void expr_atoms(const struct expr *e, int negate, struct expr_atom **out,
    size_t *n);

/* expr_atoms_free: releases n atoms from expr_atoms; NULL is a no-op. */
void expr_atoms_free(struct expr_atom *atoms, size_t n);

/* expr_atom_holds: whether a holds when its subject's value is v
 * (borrowed; NULL counts as null), by the evaluator's own rules. */
int expr_atom_holds(const struct expr_atom *a, json_t *v);

#endif

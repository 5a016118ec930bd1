/* SPDX-License-Identifier: MIT */
/* Lint: what a runbook that loads can still get wrong (docs/lint.md). */
#ifndef TRIAGE_LINT_H
#define TRIAGE_LINT_H

#include <stddef.h>

#include "diag.h"

struct runbook;
struct expr_atom;

/* The codes of the findings, as printed ("[stale]") and in --json. */
#define LINT_UNREACHABLE_NODE "unreachable-node"
#define LINT_UNREACHABLE_FAILURE "unreachable-failure"
#define LINT_UNUSED_PROBE "unused-probe"
#define LINT_NO_VERIFY "no-verify"
#define LINT_DANGEROUS_WITHOUT_GUARD "dangerous-without-guard"
#define LINT_STALE "stale"
#define LINT_FUTURE_VERIFIED "future-verified"
#define LINT_CONTRADICTION "contradiction"
#define LINT_FIX_WITHOUT_EVIDENCE "fix-without-evidence"
#define LINT_VERIFY_MISSES_SYMPTOM "verify-misses-symptom"
#define LINT_UNKNOWN_FIELD "unknown-field"

#define LINT_MAX_AGE_DEFAULT "90d"

struct lint_opts {
	double now;		/* epoch seconds; its UTC day is "today" */
	double max_age;		/* seconds: a last_verified older is stale */
	const char *max_age_text;	/* as the user wrote it, for messages */
};

/* lint_level: the severity of the finding code (DIAG_WARNING for a code
 * it does not know). */
enum diag_level lint_level(const char *code);

/* lint_runbook: adds every lint finding about rb (which loaded) to d, each
 * at the position of what it is about, with its code (diags_set_code), its
 * severity (lint_level) and a hint; messages and hints are redacted. A
 * diagnostic already in d that says the same thing at the same place (the
 * loader warns about unreachable nodes) is given the code instead of
 * being repeated. Does not sort d. */
void lint_runbook(const struct runbook *rb, const struct lint_opts *opts,
    struct diags *d);

/* lint_atoms_conflict: whether the n atoms (see expr_atoms) cannot all
 * hold at once, judged soundly: 1 only when no values of what they read
 * satisfy them all (comparisons with literals, truth, and a probe's
 * `ok` being true exactly when its `state` is ok or warning); 0 when they
 * can, or when it cannot tell. On 1, when core is not NULL, sets core[i]
 * for an irreducible subset that already conflicts (core has n bytes). */
int lint_atoms_conflict(const struct expr_atom *const *atoms, size_t n,
    unsigned char *core);

#endif

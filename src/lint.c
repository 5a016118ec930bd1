/* SPDX-License-Identifier: MIT */
/* Lint: reachability, coverage, staleness and contradictions in a runbook. */
#include "lint.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "probe.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"
#include "yaml-tree.h"

#define LINT_MAX_ATOMS 256		/* atoms one conflict check takes */
#define LINT_WALK_BUDGET 20000		/* tree branches the path walk takes */
#define LINT_DAY 86400.0
#define LINT_EXACT 9007199254740992.0	/* 2^53: doubles are exact below */

static const struct {
	const char *code;
	enum diag_level level;
} lint_codes[] = {
	{ LINT_UNREACHABLE_NODE, DIAG_WARNING },
	{ LINT_UNREACHABLE_FAILURE, DIAG_WARNING },
	{ LINT_UNUSED_PROBE, DIAG_WARNING },
	{ LINT_NO_VERIFY, DIAG_WARNING },
	{ LINT_DANGEROUS_WITHOUT_GUARD, DIAG_ERROR },
	{ LINT_STALE, DIAG_ERROR },
	{ LINT_FUTURE_VERIFIED, DIAG_WARNING },
	{ LINT_CONTRADICTION, DIAG_ERROR },
	{ LINT_FIX_WITHOUT_EVIDENCE, DIAG_WARNING },
	{ LINT_VERIFY_MISSES_SYMPTOM, DIAG_WARNING },
	{ LINT_UNKNOWN_FIELD, DIAG_ERROR },
};

enum diag_level
lint_level(const char *code)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(lint_codes); i++) {
		if (strcmp(lint_codes[i].code, code) == 0)
			return lint_codes[i].level;
	}
	return DIAG_WARNING;
}

/*
 * The conflict checker. Atoms about one subject constrain one value; the
 * atoms conflict when no value satisfies them. Each subject is judged on
 * its own (if one subject's atoms conflict, so do all of them), plus the
 * one link the result contract gives: a probe's `ok` is true exactly when
 * its `state` is ok or warning.
 */

static int
same_subject(const struct expr_atom *a, const char *subject)
{
	return a->subject != NULL && strcmp(a->subject, subject) == 0;
}

/* Whether every atom about subject holds when it has value val. */
static int
all_hold(const struct expr_atom *const *v, size_t n, const char *subject,
    json_t *val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (same_subject(v[i], subject) && !expr_atom_holds(v[i], val))
			return 0;
	}
	return 1;
}

/* Whether one of the values in cands (an array) satisfies them all. */
static int
any_holds(const struct expr_atom *const *v, size_t n, const char *subject,
    json_t *cands)
{
	json_t *c;
	size_t i;

	json_array_foreach(cands, i, c) {
		if (all_hold(v, n, subject, c))
			return 1;
	}
	return 0;
}

struct bound {
	json_t *v;		/* borrowed; NULL: none */
	int strict;
};

/* The order of two numbers, or of two strings by bytes (as the evaluator
 * orders them). */
static int
lit_cmp(json_t *a, json_t *b)
{
	size_t la, lb;
	int c;

	if (json_is_number(a)) {
		double x = json_number_value(a), y = json_number_value(b);

		return (x > y) - (x < y);
	}
	la = json_string_length(a);
	lb = json_string_length(b);
	c = memcmp(json_string_value(a), json_string_value(b),
	    la < lb ? la : lb);
	if (c != 0)
		return c > 0 ? 1 : -1;
	return (la > lb) - (la < lb);
}

static void
bound_tighten(struct bound *b, json_t *v, int strict, int lower)
{
	int c;

	if (b->v == NULL) {
		b->v = v;
		b->strict = strict;
		return;
	}
	c = lit_cmp(v, b->v);
	if (lower ? c > 0 : c < 0) {
		b->v = v;
		b->strict = strict;
	} else if (c == 0 && strict) {
		b->strict = 1;
	}
}

static int
is_order(enum expr_atom_op op)
{
	return op == EXPR_ATOM_LT || op == EXPR_ATOM_LE || op == EXPR_ATOM_GT ||
	    op == EXPR_ATOM_GE;
}

/* The ordering atoms about subject: they need a number (or a string) in
 * an interval. 1 when the interval is empty, or when its one value fails
 * the other atoms. */
static int
range_unsat(const struct expr_atom *const *v, size_t n, const char *subject)
{
	struct bound lo = { NULL, 0 }, hi = { NULL, 0 };
	int num = 0, str = 0, c, r = 0;
	json_t *empty = NULL, *cands;
	enum expr_atom_op op;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct expr_atom *a = v[i];

		if (!same_subject(a, subject) || !is_order(a->op) ||
		    a->negated)
			continue;
		if (json_is_number(a->value))
			num = 1;
		else if (json_is_string(a->value))
			str = 1;
		else
			return 1;	/* `x < null` is always false */
	}
	/* Both a number and a string: nothing is both. Neither: no range. */
	if (num == str)
		return num;
	for (i = 0; i < n; i++) {
		const struct expr_atom *a = v[i];

		if (!same_subject(a, subject) || !is_order(a->op))
			continue;
		/* A negated ordering against the other type always holds. */
		if (num ? !json_is_number(a->value) :
		    !json_is_string(a->value))
			continue;
		if (num && fabs(json_number_value(a->value)) >= LINT_EXACT)
			return 0;
		op = a->op;
		/* The value has the type, so !(x < c) is x >= c. */
		if (a->negated)
			op = op == EXPR_ATOM_LT ? EXPR_ATOM_GE :
			    op == EXPR_ATOM_LE ? EXPR_ATOM_GT :
			    op == EXPR_ATOM_GT ? EXPR_ATOM_LE : EXPR_ATOM_LT;
		if (op == EXPR_ATOM_LT || op == EXPR_ATOM_LE)
			bound_tighten(&hi, a->value, op == EXPR_ATOM_LT, 0);
		else
			bound_tighten(&lo, a->value, op == EXPR_ATOM_GT, 1);
	}
	if (str && lo.v == NULL) {
		/* "" is the least string. */
		empty = json_string("");
		lo.v = empty;
	}
	if (lo.v == NULL || hi.v == NULL)
		goto out;
	c = lit_cmp(lo.v, hi.v);
	if (c > 0 || (c == 0 && (lo.strict || hi.strict))) {
		r = 1;
	} else if (c == 0) {
		cands = json_array();
		if (num && json_number_value(lo.v) ==
		    floor(json_number_value(lo.v)))
			json_array_append_new(cands, json_integer(
			    (json_int_t)json_number_value(lo.v)));
		json_array_append_new(cands, num ?
		    json_real(json_number_value(lo.v)) : json_incref(lo.v));
		r = !any_holds(v, n, subject, cands);
		json_decref(cands);
	}
out:
	json_decref(empty);
	return r;
}

/* Whether no value of subject satisfies the atoms about it. */
static int
subject_unsat(const struct expr_atom *const *v, size_t n, const char *subject)
{
	const struct expr_atom *eq = NULL, *in = NULL;
	int falsy = 0, r;
	json_t *cands;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct expr_atom *a = v[i];

		if (!same_subject(a, subject))
			continue;
		if ((a->op == EXPR_ATOM_EQ && !a->negated) ||
		    (a->op == EXPR_ATOM_NE && a->negated)) {
			if (eq == NULL)
				eq = a;
		} else if (a->op == EXPR_ATOM_IN && !a->negated &&
		    json_is_array(a->value)) {
			if (in == NULL)
				in = a;
		} else if (a->op == EXPR_ATOM_TRUE && a->negated) {
			falsy = 1;
		}
	}
	/* A finite set of candidates: try each. */
	if (eq != NULL)
		return !all_hold(v, n, subject, eq->value);
	if (in != NULL)
		return !any_holds(v, n, subject, in->value);
	if (falsy) {
		cands = json_pack("[b, n, i, f, s, [], {}]", 0, 0, 0.0, "");
		r = !any_holds(v, n, subject, cands);
		json_decref(cands);
		return r;
	}
	return range_unsat(v, n, subject);
}

static int
is_ok_or_state(const struct expr_atom *a)
{
	return a->field != NULL && (strcmp(a->field, "ok") == 0 ||
	    strcmp(a->field, "state") == 0);
}

/* Whether no (ok, state) a probe's result can have satisfies the atoms
 * about root.ok and root.state. (null, null) is a probe that did not run. */
static int
okstate_unsat(const struct expr_atom *const *v, size_t n, const char *root)
{
	static const struct {
		int ok;			/* -1: null */
		const char *state;	/* NULL: null */
	} results[] = {
		{ 1, "ok" }, { 1, "warning" }, { 0, "critical" },
		{ 0, "unknown" }, { 0, "skipped" }, { -1, NULL },
	};
	size_t r, i;

	for (r = 0; r < ARRAY_LEN(results); r++) {
		json_t *ok = results[r].ok < 0 ? json_null() :
		    json_boolean(results[r].ok);
		json_t *state = results[r].state != NULL ?
		    json_string(results[r].state) : json_null();
		int fits = 1;

		for (i = 0; i < n && fits; i++) {
			const struct expr_atom *a = v[i];

			if (!is_ok_or_state(a) || strcmp(a->root, root) != 0)
				continue;
			fits = expr_atom_holds(a, strcmp(a->field, "ok") == 0 ?
			    ok : state);
		}
		json_decref(ok);
		json_decref(state);
		if (fits)
			return 0;
	}
	return 1;
}

/* With okstate, the link between a probe's ok and state is used too. */
static int
atoms_unsat_by(const struct expr_atom *const *v, size_t n, int okstate)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct expr_atom *a = v[i];
		int first = 1, first_root = 1;

		if (a->op == EXPR_ATOM_CONST) {
			if (!expr_atom_holds(a, NULL))
				return 1;
			continue;
		}
		if (a->subject == NULL)
			continue;
		for (j = 0; j < i; j++) {
			if (same_subject(v[j], a->subject))
				first = 0;
			if (is_ok_or_state(v[j]) && is_ok_or_state(a) &&
			    strcmp(v[j]->root, a->root) == 0)
				first_root = 0;
		}
		if (first && subject_unsat(v, n, a->subject))
			return 1;
		if (okstate && is_ok_or_state(a) && first_root &&
		    okstate_unsat(v, n, a->root))
			return 1;
	}
	return 0;
}

static int
atoms_unsat(const struct expr_atom *const *v, size_t n)
{
	return atoms_unsat_by(v, n, 1);
}

int
lint_atoms_conflict(const struct expr_atom *const *atoms, size_t n,
    unsigned char *core)
{
	const struct expr_atom **sub;
	size_t i, j, k;

	if (n == 0 || n > LINT_MAX_ATOMS || !atoms_unsat(atoms, n))
		return 0;
	if (core == NULL)
		return 1;
	/* Drop each atom the conflict does not need: what is left is
	 * irreducible. */
	sub = xcalloc(n, sizeof(*sub));
	memset(core, 1, n);
	for (i = 0; i < n; i++) {
		core[i] = 0;
		for (j = 0, k = 0; j < n; j++) {
			if (core[j])
				sub[k++] = atoms[j];
		}
		if (!atoms_unsat(sub, k))
			core[i] = 1;
	}
	free(sub);
	return 1;
}

/* "`a.ok` and `!a.ok` cannot both be true", from the core of v. */
static char *
conflict_text(const struct expr_atom *const *v, size_t n,
    const unsigned char *core)
{
	size_t i, k = 0, done = 0;
	struct buf b;

	for (i = 0; i < n; i++)
		k += core[i] != 0;
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (!core[i])
			continue;
		if (done > 0)
			buf_puts(&b, done + 1 == k ? " and " : ", ");
		buf_printf(&b, "`%s`", v[i]->text);
		done++;
	}
	buf_puts(&b, k == 1 ? " is never true" : k == 2 ?
	    " cannot both be true" : " cannot all be true");
	return buf_steal(&b);
}

/* A hint for a conflict that only the result contract explains. */
static char *
conflict_hint(const struct expr_atom *const *v, size_t n,
    const unsigned char *core)
{
	const struct expr_atom **sub = xcalloc(n + 1, sizeof(*sub));
	size_t i, k = 0;
	int plain;

	for (i = 0; i < n; i++) {
		if (core[i])
			sub[k++] = v[i];
	}
	plain = atoms_unsat_by(sub, k, 0);
	free(sub);
	if (plain)
		return NULL;
	return xstrdup("a probe's state is ok, warning, critical, unknown or "
	    "skipped, and its ok is true exactly when the state is ok or "
	    "warning");
}

/*
 * Where things stand in the files: the loader keeps the position of ids
 * and of a few values; for a `when`, an `if` or a `guard`, read the file's
 * YAML tree again.
 */

struct locator {
	const struct runbook *rb;
	struct ytree *trees;
	struct ynode **roots;
	unsigned char *tried;
};

static void
locator_error(void *arg, struct srcpos pos, char *hint, const char *msg)
{
	(void)arg;
	(void)pos;
	(void)msg;
	free(hint);
}

static void
locator_init(struct locator *lc, const struct runbook *rb)
{
	lc->rb = rb;
	lc->trees = xcalloc(rb->nfiles + 1, sizeof(*lc->trees));
	lc->roots = xcalloc(rb->nfiles + 1, sizeof(*lc->roots));
	lc->tried = xcalloc(rb->nfiles + 1, 1);
}

static void
locator_dispose(struct locator *lc)
{
	size_t i;

	for (i = 0; i < lc->rb->nfiles; i++) {
		if (lc->tried[i])
			ytree_dispose(&lc->trees[i]);
	}
	free(lc->trees);
	free(lc->roots);
	free(lc->tried);
}

static const struct ynode *
locator_root(struct locator *lc, const char *file)
{
	const struct runbook *rb = lc->rb;
	size_t i;

	for (i = 0; file != NULL && i < rb->nfiles; i++) {
		const struct runbook_file *f = &rb->files[i];

		if (strcmp(f->path, file) != 0 || f->source == NULL)
			continue;
		if (!lc->tried[i]) {
			lc->tried[i] = 1;
			ytree_init(&lc->trees[i], f->path, locator_error, NULL);
			if (ytree_parse(&lc->trees[i], f, strlen(f->source),
			    &lc->roots[i]) != 0)
				lc->roots[i] = NULL;
		}
		return lc->roots[i];
	}
	return NULL;
}

/* The position of the value at keys (item index of it when >= 0) in the
 * file of near, or near when it cannot be found. */
static struct srcpos
locate(struct locator *lc, struct srcpos near, const char *const *keys,
    size_t nkeys, long index)
{
	const struct ynode *n = locator_root(lc, near.file);
	size_t k;

	for (k = 0; k < nkeys && n != NULL; k++)
		n = n->type == Y_MAP ? ymap_get(n, keys[k]) : NULL;
	if (n != NULL && index >= 0 && n->type == Y_SEQ)
		n = (size_t)index < n->nitems ? n->items[index] : NULL;
	if (n == NULL || n->nopos || n->pos.line <= 0)
		return near;
	return n->pos;
}

/*
 * The checks.
 */

struct atomset {
	struct expr_atom *v;
	size_t n;
};

struct lint {
	const struct runbook *rb;
	const struct lint_opts *opts;
	struct diags *d;
	struct locator loc;
	struct atomset *when;		/* per failure */
	unsigned char *when_bad;	/* per failure: when can never hold */
	struct atomset *if_true;	/* per node */
	struct atomset *if_false;
};

static void lint_add(struct lint *l, const char *code, struct srcpos pos,
    char *hint, const char *fmt, ...) PRINTFLIKE(5, 6);

/* Adds a finding; hint (heap or NULL) is taken over. */
static void
lint_add(struct lint *l, const char *code, struct srcpos pos, char *hint,
    const char *fmt, ...)
{
	enum diag_level level = lint_level(code);
	struct diags *d = l->d;
	char *raw, *msg, *h;
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	raw = xvasprintf(fmt, ap);
	va_end(ap);
	msg = runbook_redact(l->rb, raw);
	h = runbook_redact(l->rb, hint);
	free(raw);
	free(hint);
	/* The loader may have said it already: adopt its diagnostic. */
	for (i = 0; i < d->n; i++) {
		struct diag *g = &d->v[i];

		if (g->code != NULL || g->line != pos.line ||
		    g->col != pos.col || pos.file == NULL ||
		    strcmp(g->file, pos.file) != 0 ||
		    strcmp(g->message, msg) != 0)
			continue;
		if (g->level != level) {
			if (g->level == DIAG_ERROR)
				d->errors--;
			else
				d->warnings--;
			if (level == DIAG_ERROR)
				d->errors++;
			else
				d->warnings++;
			g->level = level;
		}
		if (g->hint == NULL) {
			g->hint = h;
			h = NULL;
		}
		g->code = xstrdup(code);
		goto out;
	}
	diags_add(d, level, pos, runbook_source(l->rb, pos.file), h, "%s",
	    msg);
	diags_set_code(d, code);
out:
	free(msg);
	free(h);
}

static struct srcpos
when_pos(struct lint *l, const struct failure *f)
{
	const char *keys[] = { "failures", f->id, "when" };

	return locate(&l->loc, f->pos, keys, ARRAY_LEN(keys), -1);
}

static struct srcpos
if_pos(struct lint *l, const struct tnode *n)
{
	const char *keys[] = { "triage", "nodes", n->id, "if" };

	return locate(&l->loc, n->pos, keys, ARRAY_LEN(keys), -1);
}

static struct srcpos
guard_pos(struct lint *l, const struct failure *f, size_t i)
{
	const char *keys[] = { "failures", f->id, "guard" };

	return locate(&l->loc, f->pos, keys, ARRAY_LEN(keys), (long)i);
}

/* Pointers to the atoms of sets, in order. */
static const struct expr_atom **
atoms_join(const struct atomset *const *sets, size_t nsets, size_t *n)
{
	const struct expr_atom **v;
	size_t i, j, k = 0;

	for (i = 0; i < nsets; i++)
		k += sets[i]->n;
	v = xcalloc(k + 1, sizeof(*v));
	*n = 0;
	for (i = 0; i < nsets; i++) {
		for (j = 0; j < sets[i]->n; j++)
			v[(*n)++] = &sets[i]->v[j];
	}
	return v;
}

/* If the atoms of the sets conflict: the conflict as text (and *hint),
 * else NULL. */
static char *
sets_conflict(const struct atomset *const *sets, size_t nsets, char **hint)
{
	size_t n;
	const struct expr_atom **v = atoms_join(sets, nsets, &n);
	unsigned char *core = xcalloc(n + 1, 1);
	char *text = NULL;

	if (lint_atoms_conflict(v, n, core)) {
		text = conflict_text(v, n, core);
		if (hint != NULL)
			*hint = conflict_hint(v, n, core);
	}
	free(core);
	free(v);
	return text;
}

static void
check_when(struct lint *l)
{
	const struct runbook *rb = l->rb;
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];
		const struct atomset *set = &l->when[i];
		char *why, *hint = NULL;

		if ((why = sets_conflict(&set, 1, &hint)) == NULL)
			continue;
		l->when_bad[i] = 1;
		lint_add(l, LINT_CONTRADICTION, when_pos(l, f), hint,
		    "when of failure \"%s\" can never be true: %s", f->id,
		    why);
		free(why);
	}
}

static void
check_guards(struct lint *l)
{
	const struct runbook *rb = l->rb;
	size_t i, g;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];
		struct atomset *gs;
		const struct atomset **sets;
		int found = 0;

		if (f->nguard == 0 || l->when_bad[i])
			continue;
		gs = xcalloc(f->nguard, sizeof(*gs));
		sets = xcalloc(f->nguard + 1, sizeof(*sets));
		sets[0] = &l->when[i];
		for (g = 0; g < f->nguard; g++)
			expr_atoms(f->guard[g], 0, &gs[g].v, &gs[g].n);
		for (g = 0; g < f->nguard; g++) {
			const struct atomset *one = &gs[g];
			char *why, *hint = NULL;

			if ((why = sets_conflict(&one, 1, &hint)) != NULL) {
				lint_add(l, LINT_CONTRADICTION,
				    guard_pos(l, f, g), hint, "guard of "
				    "failure \"%s\" can never be true, so its "
				    "fix never runs: %s", f->id, why);
			} else {
				sets[1] = one;
				why = sets_conflict(sets, 2, &hint);
				if (why != NULL)
					lint_add(l, LINT_CONTRADICTION,
					    guard_pos(l, f, g), hint,
					    "guard of failure \"%s\" "
					    "contradicts its when, so its fix "
					    "never runs: %s", f->id, why);
			}
			found |= why != NULL;
			free(why);
		}
		if (!found && f->nguard > 1) {
			char *why, *hint = NULL;

			for (g = 0; g < f->nguard; g++)
				sets[g + 1] = &gs[g];
			why = sets_conflict(sets, f->nguard + 1, &hint);
			if (why != NULL)
				lint_add(l, LINT_CONTRADICTION,
				    guard_pos(l, f, 0), hint, "the guards of "
				    "failure \"%s\" and its when cannot all "
				    "hold, so its fix never runs: %s", f->id,
				    why);
			free(why);
		}
		for (g = 0; g < f->nguard; g++)
			expr_atoms_free(gs[g].v, gs[g].n);
		free(gs);
		free(sets);
	}
}

static int
branch_empty(const struct tbranch *b)
{
	return !b->is_node && b->nfailures == 0;
}

static void
check_ifs(struct lint *l)
{
	const struct triage_tree *t = &l->rb->triage;
	size_t i;

	for (i = 0; i < t->nnodes; i++) {
		const struct tnode *n = &t->nodes[i];
		const struct atomset *set = &l->if_true[i];
		char *why, *hint = NULL;

		if ((why = sets_conflict(&set, 1, &hint)) != NULL) {
			lint_add(l, LINT_CONTRADICTION, if_pos(l, n), hint,
			    "if of node \"%s\" can never be true, so its then "
			    "is never taken: %s", n->id, why);
			free(why);
			continue;
		}
		set = &l->if_false[i];
		if (branch_empty(&n->else_branch) ||
		    (why = sets_conflict(&set, 1, &hint)) == NULL)
			continue;
		lint_add(l, LINT_CONTRADICTION, if_pos(l, n), hint, "if of "
		    "node \"%s\" can never be false, so its else is never "
		    "taken: %s", n->id, why);
		free(why);
	}
}

/* The walk of every path from start, with what each branch taken says. */
struct walk {
	struct lint *l;
	const struct expr_atom **facts;
	size_t nfacts;
	size_t cap;
	unsigned char *node_ok;		/* on a path that can be taken */
	unsigned char *fail_ok;		/* listed where its when can hold */
	char **node_why;		/* why a way into it cannot be taken */
	char **fail_why;
	size_t budget;
	int overflow;
};

static size_t
facts_push(struct walk *w, const struct atomset *s)
{
	size_t mark = w->nfacts, i;

	if (w->nfacts + s->n > w->cap) {
		w->cap = (w->nfacts + s->n) * 2;
		w->facts = xreallocarray(w->facts, w->cap, sizeof(*w->facts));
	}
	for (i = 0; i < s->n; i++)
		w->facts[w->nfacts++] = &s->v[i];
	return mark;
}

/* Keeps the first reason, "PREFIX BRANCH of node \"NODE\", CONFLICT", in
 * *why. */
static void
facts_why(struct walk *w, char **why, const char *prefix, const char *branch,
    const char *node)
{
	unsigned char *core;
	char *text;

	if (*why != NULL)
		return;
	core = xcalloc(w->nfacts + 1, 1);
	if (lint_atoms_conflict(w->facts, w->nfacts, core)) {
		text = conflict_text(w->facts, w->nfacts, core);
		*why = xasprintf("%s %s of node \"%s\", %s", prefix, branch,
		    node, text);
		free(text);
	}
	free(core);
}

static void
walk_node(struct walk *w, size_t i)
{
	const struct lint *l = w->l;
	const struct tnode *nd = &l->rb->triage.nodes[i];
	size_t b, k, mark, fmark;

	for (b = 0; b < 2; b++) {
		const struct tbranch *br = b == 0 ? &nd->then_branch :
		    &nd->else_branch;
		const char *name = b == 0 ? "then" : "else";

		if (w->budget == 0) {
			w->overflow = 1;
			return;
		}
		w->budget--;
		mark = facts_push(w, b == 0 ? &l->if_true[i] :
		    &l->if_false[i]);
		if (lint_atoms_conflict(w->facts, w->nfacts, NULL)) {
			if (br->is_node)
				facts_why(w, &w->node_why[br->node],
				    "on the way in through", name, nd->id);
			for (k = 0; !br->is_node && k < br->nfailures; k++)
				facts_why(w, &w->fail_why[br->failures[k]],
				    "under", name, nd->id);
		} else if (br->is_node) {
			w->node_ok[br->node] = 1;
			walk_node(w, br->node);
		} else {
			for (k = 0; k < br->nfailures; k++) {
				size_t f = br->failures[k];

				/* Reported as a contradiction in its when. */
				if (l->when_bad[f]) {
					w->fail_ok[f] = 1;
					continue;
				}
				fmark = facts_push(w, &l->when[f]);
				if (lint_atoms_conflict(w->facts, w->nfacts,
				    NULL))
					facts_why(w, &w->fail_why[f], "under",
					    name, nd->id);
				else
					w->fail_ok[f] = 1;
				w->nfacts = fmark;
			}
		}
		w->nfacts = mark;
	}
}

/* The nodes start leads to, by the shape of the tree alone. */
static unsigned char *
tree_reach(const struct triage_tree *t)
{
	unsigned char *seen = xcalloc(t->nnodes + 1, 1);
	size_t *queue = xcalloc(t->nnodes + 1, sizeof(*queue));
	size_t head = 0, tail = 0, b;

	if (t->start < t->nnodes) {
		seen[t->start] = 1;
		queue[tail++] = t->start;
	}
	while (head < tail) {
		const struct tnode *n = &t->nodes[queue[head++]];

		for (b = 0; b < 2; b++) {
			const struct tbranch *br = b == 0 ? &n->then_branch :
			    &n->else_branch;

			if (br->is_node && br->node < t->nnodes &&
			    !seen[br->node]) {
				seen[br->node] = 1;
				queue[tail++] = br->node;
			}
		}
	}
	free(queue);
	return seen;
}

/* The first node that lists failure f (reached or not, as asked), or -1. */
static long
node_listing(const struct triage_tree *t, const unsigned char *reach,
    size_t f, int reached)
{
	size_t i, k, b;

	for (i = 0; i < t->nnodes; i++) {
		if ((reach[i] != 0) != reached)
			continue;
		for (b = 0; b < 2; b++) {
			const struct tbranch *br = b == 0 ?
			    &t->nodes[i].then_branch : &t->nodes[i].else_branch;

			for (k = 0; !br->is_node && k < br->nfailures; k++) {
				if (br->failures[k] == f)
					return (long)i;
			}
		}
	}
	return -1;
}

static void
check_tree(struct lint *l)
{
	const struct runbook *rb = l->rb;
	const struct triage_tree *t = &rb->triage;
	struct walk w;
	unsigned char *reach;
	size_t i;
	long k;

	if (!t->present || t->start >= t->nnodes)
		return;
	reach = tree_reach(t);
	memset(&w, 0, sizeof(w));
	w.l = l;
	w.node_ok = xcalloc(t->nnodes + 1, 1);
	w.fail_ok = xcalloc(rb->nfailures + 1, 1);
	w.node_why = xcalloc(t->nnodes + 1, sizeof(*w.node_why));
	w.fail_why = xcalloc(rb->nfailures + 1, sizeof(*w.fail_why));
	w.budget = LINT_WALK_BUDGET;
	w.node_ok[t->start] = 1;
	walk_node(&w, t->start);
	for (i = 0; i < t->nnodes; i++) {
		const struct tnode *n = &t->nodes[i];

		if (!reach[i])
			lint_add(l, LINT_UNREACHABLE_NODE, n->pos,
			    xasprintf("no then or else on the way from start "
			    "(\"%s\") leads to it; link it or remove it",
			    t->nodes[t->start].id),
			    "node \"%s\" is never reached from start", n->id);
		else if (!w.overflow && !w.node_ok[i])
			lint_add(l, LINT_UNREACHABLE_NODE, n->pos,
			    xstrdup(w.node_why[i]), "node \"%s\" is never "
			    "reached: every way to it needs conditions that "
			    "cannot all hold", n->id);
	}
	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];

		if (node_listing(t, reach, i, 1) >= 0) {
			if (!w.overflow && !w.fail_ok[i])
				lint_add(l, LINT_UNREACHABLE_FAILURE, f->pos,
				    xstrdup(w.fail_why[i]), "failure \"%s\" is "
				    "never reached through the tree: where it "
				    "is listed, its when cannot hold", f->id);
		} else if ((k = node_listing(t, reach, i, 0)) >= 0) {
			lint_add(l, LINT_UNREACHABLE_FAILURE, f->pos,
			    xstrdup("diagnose still matches it by its when, "
			    "but ranks it after the failures the tree leads "
			    "to"), "failure \"%s\" is listed only under node "
			    "\"%s\", which is never reached from start",
			    f->id, t->nodes[k].id);
		} else {
			lint_add(l, LINT_UNREACHABLE_FAILURE, f->pos,
			    xstrdup("list it in the then or else of the node "
			    "whose question leads to it; diagnose still "
			    "matches it by its when, but ranks it after the "
			    "failures the tree leads to"), "failure \"%s\" "
			    "is not in the triage tree", f->id);
		}
	}
	for (i = 0; i < t->nnodes; i++)
		free(w.node_why[i]);
	for (i = 0; i < rb->nfailures; i++)
		free(w.fail_why[i]);
	free(w.node_why);
	free(w.fail_why);
	free(w.node_ok);
	free(w.fail_ok);
	free(w.facts);
	free(reach);
}

struct reads {
	const struct runbook *rb;
	unsigned char *read;
};

static void
mark_read(void *arg, const char *name)
{
	struct reads *r = arg;
	long k = runbook_probe_index(r->rb, name);

	if (k >= 0)
		r->read[k] = 1;
}

static void
check_unused(struct lint *l)
{
	const struct runbook *rb = l->rb;
	struct reads r = { rb, NULL };
	size_t i, j;

	/* Without failures or a tree, probes are there to be shown. */
	if (rb->nfailures == 0 && !rb->triage.present)
		return;
	r.read = xcalloc(rb->nprobes + 1, 1);
	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];

		expr_refs(f->when, mark_read, &r);
		for (j = 0; j < f->nguard; j++)
			expr_refs(f->guard[j], mark_read, &r);
		for (j = 0; j < f->nverify; j++)
			if (f->verify[j] < rb->nprobes)
				r.read[f->verify[j]] = 1;
	}
	for (i = 0; i < rb->triage.nnodes; i++)
		expr_refs(rb->triage.nodes[i].cond, mark_read, &r);
	for (i = 0; i < rb->nprobes; i++) {
		for (j = 0; j < rb->probes[i].nneeds; j++)
			mark_read(&r, rb->probes[i].needs[j]);
	}
	for (i = 0; i < rb->nprobes; i++) {
		if (r.read[i])
			continue;
		lint_add(l, LINT_UNUSED_PROBE, rb->probes[i].pos,
		    xstrdup("no when, if, guard, verify or needs reads it, "
		    "so when it fails no failure mode explains it; use it "
		    "in a when or an if, or remove it"),
		    "probe \"%s\" is never read", rb->probes[i].id);
	}
	free(r.read);
}

struct idlist {
	struct buf b;
	size_t n;
};

static void
add_id(void *arg, const char *name)
{
	struct idlist *ids = arg;

	buf_printf(&ids->b, "%s%s", ids->n++ > 0 ? ", " : "", name);
}

static void
check_verify(struct lint *l)
{
	const struct runbook *rb = l->rb;
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];
		struct idlist ids;
		char *hint;

		if (f->nfix == 0 || f->nverify > 0)
			continue;
		buf_init(&ids.b, 0);
		ids.n = 0;
		expr_refs(f->when, add_id, &ids);
		if (ids.n > 0)
			hint = xasprintf("list the probes that must be ok "
			    "after the fix, e.g. the ones its when reads: "
			    "verify: [%s]", buf_cstr(&ids.b));
		else
			hint = xstrdup("list the probes that must be ok after "
			    "the fix under verify:");
		buf_dispose(&ids.b);
		lint_add(l, LINT_NO_VERIFY, f->pos, hint, "failure \"%s\" has "
		    "a fix but no verify, so nothing proves the fix worked",
		    f->id);
	}
}

/* A fix changes things; its failure's evidence is the read-back the
 * incident opens with, the state to compare the outcome with. A fix with
 * none is a restart before the boundary is clear. */
static void
check_readback(struct lint *l)
{
	const struct runbook *rb = l->rb;
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];

		if (f->nfix == 0 || f->nevidence > 0)
			continue;
		lint_add(l, LINT_FIX_WITHOUT_EVIDENCE, f->pos,
		    xstrdup("add evidence: the read-only commands or queries "
		    "that show the state the fix will change (triage "
		    "records them in the incident before the first step)"),
		    "failure \"%s\" has a fix but no evidence, so nothing is "
		    "read back before it changes things", f->id);
	}
}

struct symptom_refs {
	const struct runbook *rb;
	const struct failure *f;
	unsigned char *missing;	/* per probe: read by when, not in verify */
	size_t nmissing;
};

static void
symptom_ref(void *arg, const char *name)
{
	struct symptom_refs *s = arg;
	long p = runbook_probe_index(s->rb, name);
	size_t i;

	if (p < 0 || s->missing[p])
		return;
	for (i = 0; i < s->f->nverify; i++) {
		if (s->f->verify[i] == (size_t)p)
			return;
	}
	s->missing[p] = 1;
	s->nmissing++;
}

/* Verify re-checks what the symptom reads, all of it: a green health
 * after a readiness failure proves nothing, and a symptom like
 * `health.ok && !readiness.ok` is also "gone" when the fix took health
 * down. */
static void
check_verify_symptom(struct lint *l)
{
	const struct runbook *rb = l->rb;
	const char *keys[3] = { "failures", NULL, "verify" };
	struct idlist listed, missing;
	size_t i, j;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];
		struct symptom_refs s = { rb, f, NULL, 0 };

		if (f->nverify == 0)
			continue;
		s.missing = xcalloc(rb->nprobes + 1, 1);
		expr_refs(f->when, symptom_ref, &s);
		if (s.nmissing > 0) {
			buf_init(&listed.b, 0);
			buf_init(&missing.b, 0);
			listed.n = missing.n = 0;
			for (j = 0; j < f->nverify; j++)
				add_id(&listed, rb->probes[f->verify[j]].id);
			for (j = 0; j < rb->nprobes; j++) {
				if (s.missing[j])
					add_id(&missing, rb->probes[j].id);
			}
			keys[1] = f->id;
			lint_add(l, LINT_VERIFY_MISSES_SYMPTOM,
			    locate(&l->loc, f->pos, keys, ARRAY_LEN(keys), -1),
			    xasprintf("verify: [%s, %s]", buf_cstr(&listed.b),
			    buf_cstr(&missing.b)),
			    "verify of failure \"%s\" does not re-check %s, "
			    "which its symptom reads, so it can pass while the "
			    "failure is not repaired", f->id,
			    buf_cstr(&missing.b));
			buf_dispose(&listed.b);
			buf_dispose(&missing.b);
		}
		free(s.missing);
	}
}

static void
check_dangerous_steps(struct lint *l, const struct failure *f,
    const struct step *steps, size_t n, const char *list)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (steps[i].dangerous == NULL)
			continue;
		lint_add(l, LINT_DANGEROUS_WITHOUT_GUARD,
		    probe_param_srcpos(&steps[i].probe, "dangerous"),
		    xstrdup("add a guard: conditions over probes that must "
		    "hold before any step runs (a fresh backup, the "
		    "symptom on every replica, ...)"), "%s[%zu] of failure "
		    "\"%s\" is dangerous (%s), but the failure has no guard",
		    list, i, f->id, steps[i].dangerous);
	}
}

static void
check_dangerous(struct lint *l)
{
	const struct runbook *rb = l->rb;
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];

		if (f->nguard > 0)
			continue;
		check_dangerous_steps(l, f, f->fix, f->nfix, "fix");
		check_dangerous_steps(l, f, f->on_failure, f->non_failure,
		    "on_failure");
	}
}

static void
check_date(struct lint *l, const char *date, struct srcpos pos,
    const char *what)
{
	const struct lint_opts *o = l->opts;
	double t, today = floor(o->now / LINT_DAY) * LINT_DAY, days;

	if (date == NULL || time_parse_iso8601(date, &t) != 0)
		return;
	days = floor((today - t) / LINT_DAY);
	if (today - t > o->max_age)
		lint_add(l, LINT_STALE, pos, xstrdup("check it against "
		    "reality, then set last_verified to the day you did"),
		    "%s was last verified %s, %.0f day%s ago (--max-age %s)",
		    what, date, days, days == 1 ? "" : "s", o->max_age_text);
	else if (t > today + LINT_DAY)
		lint_add(l, LINT_FUTURE_VERIFIED, pos, xstrdup("write the "
		    "day it was last checked; a date to come hides how old "
		    "it is"), "%s has last_verified %s, which is in the "
		    "future", what, date);
}

static void
check_stale(struct lint *l)
{
	const struct runbook *rb = l->rb;
	char *what;
	size_t i;

	what = xasprintf("runbook \"%s\"", rb->id);
	check_date(l, rb->last_verified, rb->last_verified_pos, what);
	free(what);
	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];

		what = xasprintf("failure \"%s\"", f->id);
		check_date(l, f->last_verified, f->last_verified_pos, what);
		free(what);
	}
}

/* What check_fields needs while it walks one condition. */
struct field_walk {
	struct lint *l;
	const struct probe *p;
	const char *key;	/* "expect" or "warn" */
	struct srcpos pos;
};

static void
field_read(void *arg, const char *name)
{
	struct field_walk *w = arg;
	const char *near;
	char *hint;

	if (probe_result_field(w->p->kind, name))
		return;
	if (runbook_probe_index(w->l->rb, name) >= 0)
		hint = xasprintf("%s reads the probe's own result by field "
		    "name: json.x, not %s.json.x", w->key, name);
	else if ((near = probe_result_field_near(w->p->kind, name)) != NULL)
		hint = xasprintf("did you mean %s?", near);
	else
		hint = xasprintf("the fields of a %s result are listed in "
		    "docs/runbook.md", w->p->kind->name);
	lint_add(w->l, LINT_UNKNOWN_FIELD, w->pos, hint, "%s of probe \"%s\" "
	    "reads \"%s\", which no %s result has (it is always null)",
	    w->key, w->p->id, name, w->p->kind->name);
}

/* A probe's expect and warn read its own result: a root name that is no
 * field of its kind is a typo that leaves the condition false for good
 * (`stauts == 200` fails with `got nothing`). */
static void
check_fields_of(struct lint *l, const struct probe *p)
{
	struct field_walk w = { l, p, NULL, p->pos };
	size_t i;

	if (p->kind == NULL)
		return;
	w.key = "expect";
	for (i = 0; i < p->nexpect; i++) {
		w.pos = p->expect_pos[i];
		expr_refs(p->expect[i], field_read, &w);
	}
	w.key = "warn";
	for (i = 0; i < p->nwarn; i++) {
		w.pos = p->warn_pos[i];
		expr_refs(p->warn[i], field_read, &w);
	}
}

/* Only probes have expect and warn (steps cannot). */
static void
check_fields(struct lint *l)
{
	size_t i;

	for (i = 0; i < l->rb->nprobes; i++)
		check_fields_of(l, &l->rb->probes[i]);
}

void
lint_runbook(const struct runbook *rb, const struct lint_opts *opts,
    struct diags *d)
{
	const struct triage_tree *t = &rb->triage;
	struct lint l;
	size_t i;

	memset(&l, 0, sizeof(l));
	l.rb = rb;
	l.opts = opts;
	l.d = d;
	locator_init(&l.loc, rb);
	l.when = xcalloc(rb->nfailures + 1, sizeof(*l.when));
	l.when_bad = xcalloc(rb->nfailures + 1, 1);
	l.if_true = xcalloc(t->nnodes + 1, sizeof(*l.if_true));
	l.if_false = xcalloc(t->nnodes + 1, sizeof(*l.if_false));
	for (i = 0; i < rb->nfailures; i++)
		expr_atoms(rb->failures[i].when, 0, &l.when[i].v,
		    &l.when[i].n);
	for (i = 0; i < t->nnodes; i++) {
		expr_atoms(t->nodes[i].cond, 0, &l.if_true[i].v,
		    &l.if_true[i].n);
		expr_atoms(t->nodes[i].cond, 1, &l.if_false[i].v,
		    &l.if_false[i].n);
	}
	check_when(&l);
	check_ifs(&l);
	check_guards(&l);
	check_tree(&l);
	check_unused(&l);
	check_verify(&l);
	check_verify_symptom(&l);
	check_readback(&l);
	check_dangerous(&l);
	check_stale(&l);
	check_fields(&l);
	for (i = 0; i < rb->nfailures; i++)
		expr_atoms_free(l.when[i].v, l.when[i].n);
	for (i = 0; i < t->nnodes; i++) {
		expr_atoms_free(l.if_true[i].v, l.if_true[i].n);
		expr_atoms_free(l.if_false[i].v, l.if_false[i].n);
	}
	free(l.when);
	free(l.when_bad);
	free(l.if_true);
	free(l.if_false);
	locator_dispose(&l.loc);
}

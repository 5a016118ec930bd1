/* SPDX-License-Identifier: MIT */
/* Tests for lint: the contradiction checker, reachability, and the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "diag.h"
#include "expr.h"
#include "lint.h"
#include "runbook.h"
#include "util/xmalloc.h"

/* 2026-11-23T00:00:00Z */
#define TODAY 1795392000.0

/*
 * The conflict checker, on the atoms of one condition.
 */

/* Whether src's atoms conflict; core (when not NULL) gets the indices of
 * the atoms in the core, as "0,2". */
static int
conflicts(const char *src, int negate, char *core, size_t corelen)
{
	char *cause = NULL;
	struct expr *e = expr_parse(src, &cause, NULL);
	struct expr_atom *v;
	const struct expr_atom **p;
	unsigned char *in;
	size_t n, i, used = 0;
	int r;

	if (e == NULL)
		fail_msg("%s: %s", src, cause);
	expr_atoms(e, negate, &v, &n);
	p = xcalloc(n + 1, sizeof(*p));
	in = xcalloc(n + 1, 1);
	for (i = 0; i < n; i++)
		p[i] = &v[i];
	r = lint_atoms_conflict(p, n, in);
	if (core != NULL) {
		core[0] = '\0';
		for (i = 0; r && i < n; i++) {
			if (in[i])
				used += (size_t)snprintf(core + used, corelen -
				    used, "%s%zu", used > 0 ? "," : "", i);
		}
	}
	/* Without a core asked for, the answer is the same. */
	assert_int_equal(lint_atoms_conflict(p, n, NULL), r);
	free(in);
	free(p);
	expr_atoms_free(v, n);
	expr_free(e);
	return r;
}

static const struct {
	const char *src;
	int conflict;
} conflict_cases[] = {
	/* A term and its negation. */
	{ "a.ok && !a.ok", 1 },
	{ "a.ok && !b.ok", 0 },
	{ "a.ok && b.ok && !(a.ok)", 1 },
	{ "!(a.ok || b.ok) && b.ok", 1 },
	{ "!!a.ok && !a.ok", 1 },
	{ "a.ok || !a.ok", 0 },
	{ "!(a.ok && !a.ok)", 0 },
	/* Equality. */
	{ "x.n == 200 && x.n == 503", 1 },
	{ "x.n == 200 && x.n == 200.0", 0 },
	{ "x.n == 200 && x.n != 200.0", 1 },
	{ "!(x.n != 1) && x.n == 2", 1 },
	{ "x.s == \"a\" && x.s in [\"b\", \"c\"]", 1 },
	{ "x.s == \"b\" && x.s in [\"b\", \"c\"]", 0 },
	{ "x.v in []", 1 },
	{ "x.v in [1, 2] && x.v > 1", 0 },
	{ "x.v in [1, 2] && x.v > 2", 1 },
	{ "x.s == \"b\" && x.s matches \"^a\"", 1 },
	{ "x.s == \"abc\" && x.s matches \"^a\"", 0 },
	{ "x.tags == [] && \"a\" in x.tags", 1 },
	{ "x.tags == [\"a\"] && x.tags contains \"a\"", 0 },
	{ "x.n == null && x.n > 0", 1 },
	/* Truth. */
	{ "!x.v && x.v == 1", 1 },
	{ "!x.v && x.v == 0", 0 },
	{ "!x.v && x.v != 0", 0 },
	{ "!x.v && x.v != 0 && x.v != false && x.v != null && x.v != \"\"",
	    0 },	/* [] and {} are false too */
	{ "!x.v && x.v != 0 && x.v != false && x.v != null && x.v != \"\" "
	    "&& x.v != [] && !exists(x.v)", 0 },
	{ "!x.v && x.v != 0 && x.v != false && x.v != null && x.v != \"\" "
	    "&& x.v != [] && x.v in [0, [], \"\"]", 1 },
	{ "x.v && x.v == \"\"", 1 },
	/* Ranges. */
	{ "x.n > 5 && x.n < 3", 1 },
	{ "x.n > 5 && x.n < 6", 0 },
	{ "x.n >= 5 && x.n <= 5", 0 },
	{ "x.n >= 5 && x.n <= 5 && x.n != 5", 1 },
	{ "x.n > 5 && x.n <= 5", 1 },
	{ "5 < x.n && 3 > x.n", 1 },
	{ "x.n >= 0 && x.n <= 0 && x.n", 1 },
	{ "x.n > 5 && !(x.n > 3)", 1 },
	{ "!(x.n > 5) && !(x.n < 3)", 0 },
	{ "x.n > 5 || x.n < 3", 0 },
	{ "x.n > 5 && x.n < \"a\"", 1 },
	{ "x.n < null", 1 },
	{ "x.n > 5 && !(x.n < \"a\")", 0 },
	{ "x.s > \"b\" && x.s < \"a\"", 1 },
	{ "x.s >= \"a\" && x.s <= \"a\"", 0 },
	{ "x.s < \"\"", 1 },
	{ "x.s <= \"\" && x.s", 1 },
	{ "api.latency > 5s && api.latency < 3s", 1 },
	{ "api.latency > 5m && api.latency < 1h", 0 },
	{ "len(x.rows) > 0 && len(x.rows) == 0", 1 },
	{ "len(x.rows) > 0 && len(x.cols) == 0", 0 },
	{ "x.rows[0].n > 1 && x[\"rows\"].0.n < 1", 1 },
	{ "x.n > 9007199254740993 && x.n < 9007199254740992", 0 },
	/* What cannot be analysed is never a conflict. */
	{ "x[y.k] > 1 && x[y.k] < 1", 0 },
	{ "x.a == y.b && x.a != y.b", 0 },
	{ "age(x.t) > 1h && age(x.t) < 5m", 1 },
	/* Constants. */
	{ "false", 1 },
	{ "1 == 2", 1 },
	{ "true && !false", 0 },
	{ "x.ok && null", 1 },
	/* A probe's ok is true exactly when its state is ok or warning. */
	{ "x.state == \"ok\" && !x.ok", 1 },
	{ "x.state == \"warning\" && x.ok", 0 },
	{ "x.state == \"warning\" && !x.ok", 1 },
	{ "x.state == \"critical\" && x.ok", 1 },
	{ "!x.ok && x.state != \"critical\"", 0 },
	{ "x.state in [\"ok\", \"warning\"] && !x.ok", 1 },
	{ "x.state == \"critcal\"", 1 },
	{ "x.ok == \"true\"", 1 },
	{ "x.state == null && !x.ok", 0 },
	{ "x.state == null && x.ok", 1 },
	{ "x.ok && y.state == \"critical\"", 0 },
	{ "x.body.state == \"weird\" && !x.body.ok", 0 },
	{ "len(x.state) == 2", 0 },
};

static void
test_conflicts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(conflict_cases); i++) {
		if (conflicts(conflict_cases[i].src, 0, NULL, 0) !=
		    conflict_cases[i].conflict)
			fail_msg("%s: expected %s", conflict_cases[i].src,
			    conflict_cases[i].conflict ? "a conflict" :
			    "no conflict");
	}
}

static void
test_conflict_core(void **state)
{
	char core[64];

	(void)state;
	assert_true(conflicts("a.ok && b.ok && c.n > 1 && !a.ok", 0, core,
	    sizeof(core)));
	assert_string_equal(core, "0,3");
	assert_true(conflicts("x.n > 1 && y.ok && x.n < 5 && x.n > 7", 0,
	    core, sizeof(core)));
	assert_string_equal(core, "2,3");
	assert_true(conflicts("y.ok && x.state == \"critcal\"", 0, core,
	    sizeof(core)));
	assert_string_equal(core, "1");
	/* The negation: a condition that can never be false. */
	assert_true(conflicts("a.ok || !a.ok", 1, core, sizeof(core)));
	assert_string_equal(core, "0,1");
	assert_false(conflicts("a.ok || b.ok", 1, core, sizeof(core)));
	assert_false(lint_atoms_conflict(NULL, 0, NULL));
}

/*
 * Whole runbooks.
 */

struct linted {
	struct runbook *rb;
	struct diags d;
};

static void
lint_text(struct linted *l, const char *text)
{
	struct lint_opts o = { TODAY, 90 * 86400.0, "90d" };

	diags_init(&l->d);
	l->rb = NULL;
	if (runbook_load_string("t.yaml", text, strlen(text), &l->rb,
	    &l->d) != 0) {
		diags_print(&l->d, stderr);
		fail_msg("the runbook does not load");
	}
	lint_runbook(l->rb, &o, &l->d);
	diags_sort(&l->d);
}

static void
linted_dispose(struct linted *l)
{
	diags_dispose(&l->d);
	runbook_free(l->rb);
}

/* The findings as "LINE:COL code" lines, for comparing. */
static char *
summary(const struct diags *d)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < d->n; i++) {
		t = xasprintf("%s%d:%d %s\n", s, d->v[i].line, d->v[i].col,
		    d->v[i].code != NULL ? d->v[i].code : "load");
		free(s);
		s = t;
	}
	return s;
}

static void
expect_findings(const char *text, const char *want)
{
	struct linted l;
	char *got;

	lint_text(&l, text);
	got = summary(&l.d);
	if (strcmp(got, want) != 0) {
		diags_print(&l.d, stderr);
		fail_msg("findings:\n%swanted:\n%s", got, want);
	}
	free(got);
	linted_dispose(&l);
}

static const char tree_runbook[] =
    "runbook: t\n"					/* 1 */
    "probes:\n"
    "  a: { tcp: \"127.0.0.1:1\" }\n"
    "  b: { tcp: \"127.0.0.1:2\" }\n"
    "triage:\n"						/* 5 */
    "  start: first\n"
    "  nodes:\n"
    "    first: { if: a.ok, then: second, else: [a-down] }\n"
    "    second: { if: '!a.ok', then: third, else: [b-down] }\n"
    "    third: { if: b.ok, then: [], else: [b-down, never] }\n"	/* 10 */
    "    orphan: { if: b.ok, else: [orphaned] }\n"
    "failures:\n"
    "  a-down: { when: '!a.ok' }\n"
    "  b-down: { when: a.ok && !b.ok }\n"
    "  never: { when: '!b.ok' }\n"			/* 15 */
    "  orphaned: { when: '!b.ok' }\n"
    "  loose: { when: '!b.ok' }\n";

static void
test_reachability(void **state)
{
	(void)state;
	/* third: only through then of second, which cannot be taken;
	 * orphan: linked from nowhere (the loader's warning, adopted);
	 * never: listed under third only; orphaned: under orphan only;
	 * loose: in no list. */
	expect_findings(tree_runbook,
	    "10:5 unreachable-node\n"
	    "11:5 unreachable-node\n"
	    "15:3 unreachable-failure\n"
	    "16:3 unreachable-failure\n"
	    "17:3 unreachable-failure\n");
}

static void
test_reachability_messages(void **state)
{
	struct linted l;
	size_t i, orphan = 0;

	(void)state;
	lint_text(&l, tree_runbook);
	for (i = 0; i < l.d.n; i++) {
		const struct diag *g = &l.d.v[i];

		assert_int_equal(g->level, DIAG_WARNING);
		if (strcmp(g->message, "node \"orphan\" is never reached from "
		    "start") == 0)
			orphan++;
	}
	/* Said once, though the loader says it too. */
	assert_int_equal(orphan, 1);
	assert_int_equal(l.d.warnings, 5);
	assert_int_equal(l.d.errors, 0);
	assert_string_equal(l.d.v[0].hint, "on the way in through then of "
	    "node \"second\", `a.ok` and `!a.ok` cannot both be true");
	assert_string_equal(l.d.v[2].message, "failure \"never\" is never "
	    "reached through the tree: where it is listed, its when cannot "
	    "hold");
	assert_string_equal(l.d.v[3].message, "failure \"orphaned\" is listed "
	    "only under node \"orphan\", which is never reached from start");
	assert_string_equal(l.d.v[4].message, "failure \"loose\" is not in "
	    "the triage tree");
	linted_dispose(&l);
}

static void
test_reachability_paths(void **state)
{
	(void)state;
	/* A failure whose when contradicts the branch that lists it. */
	expect_findings("runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "  q: { tcp: \"127.0.0.1:2\" }\ntriage:\n  start: s\n  nodes:\n"
	    "    s: { if: p.ok, then: [up], else: [down] }\nfailures:\n"
	    "  up: { when: p.ok && !q.ok }\n"
	    "  down: { when: 'p.state == \"ok\"' }\n",
	    "11:3 unreachable-failure\n");
	/* Facts add up along the path: p.ok, then q.ok, then r needs
	 * !p.ok. */
	expect_findings("runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "  q: { tcp: \"127.0.0.1:2\" }\ntriage:\n  start: s\n  nodes:\n"
	    "    s: { if: p.ok, then: t, else: [f] }\n"
	    "    t: { if: q.ok, then: [g], else: [f] }\nfailures:\n"
	    "  f: { when: '!p.ok || !q.ok' }\n"
	    "  g: { when: '!p.ok && q.ok' }\n",
	    "12:3 unreachable-failure\n");
	/* A node reached one way that can be taken and one that cannot is
	 * reachable; a failure listed twice likewise. */
	expect_findings("runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "triage:\n  start: s\n  nodes:\n"
	    "    s: { if: p.ok, then: t, else: u }\n"
	    "    u: { if: p.ok, then: t, else: [f] }\n"
	    "    t: { if: p.ok, then: [g], else: [f] }\nfailures:\n"
	    "  f: { when: '!p.ok' }\n  g: { when: p.ok }\n", "");
	/* No tree: nothing about reachability. */
	expect_findings("runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "failures:\n  f: { when: '!p.ok' }\n", "");
}

/* A tree with a diamond per level has 2^levels paths; the walk gives up
 * within its budget and then claims nothing it has not proven. */
static void
test_reachability_budget(void **state)
{
	char *text = xstrdup("runbook: t\nprobes:\n  p: { tcp: \"h:1\" }\n"
	    "triage:\n  start: n0\n  nodes:\n"), *t;
	int i, levels = 40;

	(void)state;
	for (i = 0; i < levels; i++) {
		t = xasprintf("%s    n%d: { if: p.ok, then: n%d, else: n%d }\n",
		    text, i, i + 1, i + 1);
		free(text);
		text = t;
	}
	t = xasprintf("%s    n%d: { if: p.ok, then: [f], else: [f] }\n"
	    "failures:\n  f: { when: p.ok }\n", text, levels);
	free(text);
	expect_findings(t, "");
	free(t);
}

static void
test_contradictions(void **state)
{
	struct linted l;

	(void)state;
	expect_findings("runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "  q: { tcp: \"127.0.0.1:2\" }\nfailures:\n"
	    "  a:\n    when: p.ok && q.ok && !p.ok\n"
	    "  b: { when: 'q.state == \"ok\" && !q.ok' }\n"
	    "  c:\n    when: p.ok\n    guard: [q.ok, '!p.ok']\n"
	    "    fix: [{ command: [x] }]\n    verify: [p]\n"
	    "    evidence: [{ command: [ls] }]\n"
	    "  d:\n    when: p.ok\n"
	    "    guard: p.latency > 2s && p.latency < 1s\n"
	    "  e:\n    when: p.ok\n"
	    "    guard: [p.latency > 2s, p.latency < 1s]\n",
	    "7:11 contradiction\n"
	    "8:14 contradiction\n"
	    "11:19 contradiction\n"
	    "17:12 contradiction\n"
	    "20:13 contradiction\n");
	lint_text(&l, "runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "failures:\n  a:\n    when: \"p.ok && p.latency > 5s && "
	    "p.latency < 3s\"\n");
	assert_int_equal(l.d.n, 1);
	assert_int_equal(l.d.v[0].level, DIAG_ERROR);
	assert_string_equal(l.d.v[0].code, LINT_CONTRADICTION);
	assert_string_equal(l.d.v[0].message, "when of failure \"a\" can "
	    "never be true: `p.latency > 5s` and `p.latency < 3s` cannot both "
	    "be true");
	assert_null(l.d.v[0].hint);
	assert_int_equal(l.d.v[0].line, 6);
	assert_int_equal(l.d.v[0].col, 11);
	linted_dispose(&l);
	/* In a tree: an if never true, an if never false. */
	expect_findings("runbook: t\nprobes:\n  p: { tcp: \"127.0.0.1:1\" }\n"
	    "triage:\n  start: s\n  nodes:\n"
	    "    s: { if: p.ok || !p.ok, then: t, else: [] }\n"
	    "    t: { if: p.ok || !p.ok, then: u, else: [f] }\n"
	    "    u: { if: 'false', then: [f], else: [g] }\n"
	    "failures:\n  f: { when: p.ok }\n  g: { when: p.ok }\n",
	    "8:14 contradiction\n"
	    "9:14 contradiction\n"
	    "11:3 unreachable-failure\n");
}

static void
test_unused_probes(void **state)
{
	(void)state;
	expect_findings("runbook: t\nprobes:\n"
	    "  a: { tcp: \"127.0.0.1:1\" }\n"
	    "  b: { tcp: \"127.0.0.1:2\" }\n"
	    "  c: { tcp: \"127.0.0.1:3\", needs: [b] }\n"
	    "  d: { tcp: \"127.0.0.1:4\" }\n"
	    "  e: { tcp: \"127.0.0.1:5\" }\n"
	    "  f: { tcp: \"127.0.0.1:6\" }\n"
	    "  g: { tcp: \"127.0.0.1:7\" }\n"
	    "failures:\n"
	    "  x:\n    when: '!a.ok'\n    guard: d.ok\n"
	    "    fix: [{ command: [y] }]\n    verify: [e, a]\n"
	    "    evidence: [{ command: [ls] }]\n"
	    "  z: { when: c.ok }\n",
	    "8:3 unused-probe\n9:3 unused-probe\n");
	/* Read by an if only. */
	expect_findings("runbook: t\nprobes:\n  a: { tcp: \"127.0.0.1:1\" }\n"
	    "triage:\n  start: s\n  nodes:\n    s: { if: a.ok }\n", "");
	/* Without failures or a tree, probes are for showing. */
	expect_findings("runbook: t\nprobes:\n  a: { tcp: \"127.0.0.1:1\" }\n",
	    "");
}

static void
test_verify_and_guard(void **state)
{
	struct linted l;

	(void)state;
	lint_text(&l, "runbook: t\nprobes:\n  a: { tcp: \"127.0.0.1:1\" }\n"
	    "  b: { tcp: \"127.0.0.1:2\" }\nfailures:\n"
	    "  x:\n    when: '!a.ok && !b.ok'\n"
	    "    evidence: [{ command: [ls] }]\n"
	    "    fix:\n      - { command: [rm, -rf, /], dangerous: wipes it }\n"
	    "    on_failure:\n      - command: [reboot]\n"
	    "        dangerous: reboots\n"
	    "  y:\n    when: '!a.ok'\n    guard: b.ok\n"
	    "    evidence: [{ command: [ls] }]\n"
	    "    fix: [{ command: [rm], dangerous: deletes }]\n"
	    "    verify: a\n"
	    "  z: { when: '!b.ok' }\n");
	assert_int_equal(l.d.n, 3);
	assert_string_equal(l.d.v[0].code, LINT_NO_VERIFY);
	assert_int_equal(l.d.v[0].line, 6);
	assert_int_equal(l.d.v[0].col, 3);
	assert_string_equal(l.d.v[0].hint, "list the probes that must be ok "
	    "after the fix, e.g. the ones its when reads: verify: [a, b]");
	assert_int_equal(l.d.v[0].level, DIAG_WARNING);
	assert_string_equal(l.d.v[1].code, LINT_DANGEROUS_WITHOUT_GUARD);
	assert_int_equal(l.d.v[1].line, 10);
	assert_int_equal(l.d.v[1].col, 45);
	assert_int_equal(l.d.v[1].level, DIAG_ERROR);
	assert_string_equal(l.d.v[1].message, "fix[0] of failure \"x\" is "
	    "dangerous (wipes it), but the failure has no guard");
	assert_string_equal(l.d.v[2].code, LINT_DANGEROUS_WITHOUT_GUARD);
	assert_int_equal(l.d.v[2].line, 13);
	assert_int_equal(l.d.v[2].col, 20);
	assert_int_equal(l.d.errors, 2);
	assert_int_equal(l.d.warnings, 1);
	linted_dispose(&l);
}

static void
test_readback_and_verify_symptom(void **state)
{
	struct linted l;

	(void)state;
	/* r restarts with nothing read back and re-checks only h, while
	 * its symptom reads h and n; s does both right. */
	lint_text(&l, "runbook: t\nprobes:\n  h: { tcp: \"127.0.0.1:1\" }\n"
	    "  n: { tcp: \"127.0.0.1:2\" }\nfailures:\n"
	    "  r:\n    when: h.ok && !n.ok\n"
	    "    fix: [{ command: [systemctl, restart, app] }]\n"
	    "    verify: [h]\n"
	    "  s:\n    when: h.ok && !n.ok\n"
	    "    evidence: [{ command: [journalctl, -n, \"20\"] }]\n"
	    "    fix: [{ command: [systemctl, restart, app] }]\n"
	    "    verify: [n, h]\n");
	assert_int_equal(l.d.n, 2);
	assert_string_equal(l.d.v[0].code, LINT_FIX_WITHOUT_EVIDENCE);
	assert_int_equal(l.d.v[0].line, 6);
	assert_int_equal(l.d.v[0].col, 3);
	assert_string_equal(l.d.v[0].message, "failure \"r\" has a fix but "
	    "no evidence, so nothing is read back before it changes things");
	assert_string_equal(l.d.v[1].code, LINT_VERIFY_MISSES_SYMPTOM);
	assert_int_equal(l.d.v[1].line, 9);
	assert_int_equal(l.d.v[1].col, 13);
	assert_string_equal(l.d.v[1].message, "verify of failure \"r\" does "
	    "not re-check n, which its symptom reads, so it can pass while "
	    "the failure is not repaired");
	assert_string_equal(l.d.v[1].hint, "verify: [h, n]");
	assert_int_equal(l.d.warnings, 2);
	linted_dispose(&l);
}

static void
test_stale(void **state)
{
	static const char text[] = "runbook: t\nlast_verified: 2026-08-25\n"
	    "probes:\n  a: { tcp: \"127.0.0.1:1\" }\nfailures:\n"
	    "  old: { when: '!a.ok', last_verified: 2026-08-24 }\n"
	    "  new: { when: a.ok, last_verified: 2026-11-24 }\n"
	    "  next: { when: a.ok, last_verified: 2026-11-25 }\n";
	struct lint_opts o = { TODAY + 43200, 90 * 86400.0, "90d" };
	struct diags d;
	struct runbook *rb = NULL;

	(void)state;
	diags_init(&d);
	assert_int_equal(runbook_load_string("t.yaml", text, strlen(text),
	    &rb, &d), 0);
	/* 2026-08-25 is 90 days before 2026-11-23: not yet stale; a day
	 * later is. Tomorrow is not the future (time zones), the day after
	 * is. */
	lint_runbook(rb, &o, &d);
	diags_sort(&d);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].code, LINT_STALE);
	assert_int_equal(d.v[0].line, 6);
	assert_int_equal(d.v[0].col, 40);
	assert_string_equal(d.v[0].message, "failure \"old\" was last verified "
	    "2026-08-24, 91 days ago (--max-age 90d)");
	assert_string_equal(d.v[1].code, LINT_FUTURE_VERIFIED);
	assert_int_equal(d.v[1].line, 8);
	diags_dispose(&d);
	/* A shorter --max-age. */
	diags_init(&d);
	o.max_age = 7 * 86400.0;
	o.max_age_text = "1w";
	lint_runbook(rb, &o, &d);
	diags_sort(&d);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[0].message, "runbook \"t\" was last verified "
	    "2026-08-25, 90 days ago (--max-age 1w)");
	assert_int_equal(d.v[0].line, 2);
	assert_int_equal(d.v[0].col, 16);
	diags_dispose(&d);
	runbook_free(rb);
}

/* In a directory runbook, each finding names the file it is about. */
static void
test_directory(void **state)
{
	char dir[] = "/tmp/triage-lint-XXXXXX", path[64];
	struct lint_opts o = { TODAY, 90 * 86400.0, "90d" };
	struct runbook *rb = NULL;
	struct diags d;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/10-main.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("runbook: t\nprobes:\n  a: { tcp: \"127.0.0.1:1\" }\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/20-failures.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("failures:\n  x:\n    title: X\n    when: a.ok && !a.ok\n", f);
	fclose(f);
	diags_init(&d);
	assert_int_equal(runbook_load_file(dir, &rb, &d), 0);
	lint_runbook(rb, &o, &d);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, path);
	assert_int_equal(d.v[0].line, 4);
	assert_int_equal(d.v[0].col, 11);
	assert_string_equal(d.v[0].source_line, "    when: a.ok && !a.ok");
	diags_dispose(&d);
	runbook_free(rb);
	unlink(path);
	snprintf(path, sizeof(path), "%s/10-main.yaml", dir);
	unlink(path);
	rmdir(dir);
}

/* A condition with a secret in it is redacted in what lint says. */
static void
test_redacted(void **state)
{
	static const char text[] = "runbook: t\nsecrets: [LINT_TOKEN]\n"
	    "probes:\n  a: { http: \"http://127.0.0.1:1/\" }\nfailures:\n"
	    "  x: { when: 'a.body.t == \"{{env.LINT_TOKEN}}\" && "
	    "a.body.t == \"other\"' }\n";
	struct linted l;

	(void)state;
	setenv("LINT_TOKEN", "s3cr3t-value", 1);
	lint_text(&l, text);
	unsetenv("LINT_TOKEN");
	assert_int_equal(l.d.n, 1);
	assert_null(strstr(l.d.v[0].message, "s3cr3t-value"));
	assert_non_null(strstr(l.d.v[0].message, "***"));
	linted_dispose(&l);
}

static void
test_levels_and_print(void **state)
{
	struct linted l;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(lint_level(LINT_STALE), DIAG_ERROR);
	assert_int_equal(lint_level(LINT_CONTRADICTION), DIAG_ERROR);
	assert_int_equal(lint_level(LINT_DANGEROUS_WITHOUT_GUARD), DIAG_ERROR);
	assert_int_equal(lint_level(LINT_UNUSED_PROBE), DIAG_WARNING);
	assert_int_equal(lint_level(LINT_UNREACHABLE_NODE), DIAG_WARNING);
	assert_int_equal(lint_level("no-such-code"), DIAG_WARNING);
	diags_init(&l.d);
	diags_set_code(&l.d, "x");	/* nothing to set it on */
	assert_int_equal(l.d.n, 0);
	diags_dispose(&l.d);
	lint_text(&l, "runbook: t\nprobes:\n  a: { tcp: \"127.0.0.1:1\" }\n"
	    "  b: { tcp: \"127.0.0.1:2\" }\nfailures:\n  x: { when: a.ok }\n");
	f = open_memstream(&out, &len);
	assert_non_null(f);
	diags_print(&l.d, f);
	fclose(f);
	assert_string_equal(out, "triage: t.yaml:4:3: warning: probe \"b\" is "
	    "never read [unused-probe]\n"
	    "      b: { tcp: \"127.0.0.1:2\" }\n"
	    "      ^\n"
	    "  hint: no when, if, guard, verify or needs reads it, so when it "
	    "fails no failure mode explains it; use it in a when or an if, or "
	    "remove it\n");
	free(out);
	linted_dispose(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_conflict_core),
		cmocka_unit_test(test_reachability),
		cmocka_unit_test(test_reachability_messages),
		cmocka_unit_test(test_reachability_paths),
		cmocka_unit_test(test_reachability_budget),
		cmocka_unit_test(test_contradictions),
		cmocka_unit_test(test_unused_probes),
		cmocka_unit_test(test_verify_and_guard),
		cmocka_unit_test(test_readback_and_verify_symptom),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_redacted),
		cmocka_unit_test(test_levels_and_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

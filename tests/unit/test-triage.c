/* SPDX-License-Identifier: MIT */
/* Tests for the triage tree walk and the ranking of failure modes
 * (triage.c), over runbooks loaded from strings and results built by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runbook.h"
#include "triage.h"
#include "util/xmalloc.h"

/* A fixed wall-clock time: nothing here reads age(). */
#define NOW 1800000000.0

/* The runbook in text; it must load cleanly. */
static struct runbook *
load(const char *text)
{
	struct runbook *rb = NULL;
	struct diags d;

	diags_init(&d);
	if (runbook_load_string("test.yaml", text, strlen(text), &rb,
	    &d) != 0 || d.n != 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "%s\n", text);
		diags_dispose(&d);
		runbook_free(rb);
		fail_msg("the runbook does not load cleanly");
	}
	diags_dispose(&d);
	return rb;
}

/* Results from a compact description: "a=ok b=critical c=skipped:needs x"
 * gives {"a": {"state": "ok", "ok": true, "reason": null}, ...}. A state
 * after ':' carries its reason (spaces as '_'); ok is true for ok and
 * warning, as the engine sets it. */
static json_t *
results(const char *spec)
{
	json_t *o = json_object();
	char *copy = xstrdup(spec), *word, *next;

	for (word = copy; word != NULL && *word != '\0'; word = next) {
		char *eq, *colon, *p;
		json_t *r;

		next = strchr(word, ' ');
		if (next != NULL)
			*next++ = '\0';
		eq = strchr(word, '=');
		assert_non_null(eq);
		*eq = '\0';
		colon = strchr(eq + 1, ':');
		if (colon != NULL) {
			*colon = '\0';
			for (p = colon + 1; *p != '\0'; p++) {
				if (*p == '_')
					*p = ' ';
			}
		}
		r = json_pack("{s:s, s:s, s:b}", "id", word, "state", eq + 1,
		    "ok", strcmp(eq + 1, "ok") == 0 ||
		    strcmp(eq + 1, "warning") == 0);
		json_object_set_new(r, "reason", colon != NULL ?
		    json_string(colon + 1) : strcmp(eq + 1, "ok") == 0 ?
		    json_null() : json_string(eq + 1));
		json_object_set_new(o, word, r);
	}
	free(copy);
	return o;
}

/* Runs triage_diagnose on rb over the results in spec. */
static json_t *
diagnose(const struct runbook *rb, const char *spec)
{
	json_t *res = results(spec), *doc;

	doc = triage_diagnose(rb, res, NOW);
	json_decref(res);
	assert_non_null(doc);
	assert_true(json_is_array(json_object_get(doc, "path")));
	assert_true(json_is_array(json_object_get(doc, "failures")));
	assert_true(json_is_array(json_object_get(doc, "possible")));
	return doc;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The ids of doc[key] joined by spaces: "f-a f-b". */
static char *
ids(json_t *doc, const char *key)
{
	json_t *a = json_object_get(doc, key), *f;
	char *s = xstrdup(""), *t;
	size_t i;

	json_array_foreach(a, i, f) {
		t = xasprintf("%s%s%s", s, i > 0 ? " " : "", str(f, "id"));
		free(s);
		s = t;
	}
	return s;
}

static void
assert_ids(json_t *doc, const char *key, const char *want)
{
	char *got = ids(doc, key);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s: got \"%s\", want \"%s\"\n", key, got,
		    want);
		free(got);
		fail();
	}
	free(got);
}

static json_t *
failure(json_t *doc, const char *key, const char *id)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(doc, key), i, f) {
		if (strcmp(str(f, "id"), id) == 0)
			return f;
	}
	fail_msg("%s has no \"%s\"", key, id);
	return NULL;
}

/* A two-question tree over probes a..d. */
static const char tree_yaml[] =
    "runbook: tree\n"
    "probes:\n"
    "  a: { command: [\"true\"] }\n"
    "  b: { command: [\"true\"] }\n"
    "  c: { command: [\"true\"] }\n"
    "  d: { command: [\"true\"] }\n"
    "triage:\n"
    "  start: first\n"
    "  nodes:\n"
    "    first: { ask: \"Is A up?\", if: a.ok, then: second, "
    "else: [a-down] }\n"
    "    second: { ask: \"Are B and C up?\", if: b.ok && c.ok, "
    "then: [], else: [bc-down] }\n"
    "failures:\n"
    "  a-down: { title: A is down, layer: app, when: \"!a.ok\", "
    "diagnosis: A died. }\n"
    "  bc-down: { when: \"!b.ok || !c.ok\" }\n";

/* Each step records node, question, condition, answer and the values
 * that decided it; a decided step has no why. */
static void
test_path_recorded(void **state)
{
	struct runbook *rb = load(tree_yaml);
	json_t *doc = diagnose(rb, "a=ok b=ok c=critical d=ok"), *p;

	(void)state;
	assert_int_equal(json_array_size(json_object_get(doc, "path")), 2);
	p = json_array_get(json_object_get(doc, "path"), 0);
	assert_string_equal(str(p, "node"), "first");
	assert_string_equal(str(p, "ask"), "Is A up?");
	assert_string_equal(str(p, "if"), "a.ok");
	assert_true(json_is_true(json_object_get(p, "answer")));
	assert_string_equal(str(p, "values"), "true");
	assert_null(json_object_get(p, "why"));
	p = json_array_get(json_object_get(doc, "path"), 1);
	assert_string_equal(str(p, "node"), "second");
	assert_string_equal(str(p, "ask"), "Are B and C up?");
	assert_string_equal(str(p, "if"), "b.ok && c.ok");
	assert_true(json_is_false(json_object_get(p, "answer")));
	assert_string_equal(str(p, "values"), "b.ok=true, c.ok=false");
	assert_null(json_object_get(p, "why"));
	/* The else leaf of the second node. */
	assert_ids(doc, "failures", "bc-down");
	assert_true(json_is_true(json_object_get(failure(doc, "failures",
	    "bc-down"), "reached")));
	assert_string_equal(str(doc, "status"), "failure");
	json_decref(doc);
	runbook_free(rb);
}

/* A "then" that leads to a node, then to an empty leaf: two steps, no
 * candidates, healthy. */
static void
test_path_empty_leaf(void **state)
{
	struct runbook *rb = load(tree_yaml);
	json_t *doc = diagnose(rb, "a=ok b=ok c=ok d=ok");

	(void)state;
	assert_int_equal(json_array_size(json_object_get(doc, "path")), 2);
	assert_true(json_is_true(json_object_get(json_array_get(
	    json_object_get(doc, "path"), 1), "answer")));
	assert_ids(doc, "failures", "");
	assert_ids(doc, "possible", "");
	assert_string_equal(str(doc, "status"), "healthy");
	json_decref(doc);
	runbook_free(rb);
}

/* The answer null, with why naming the probe and its reason; the walk
 * stops there. */
static void
assert_undecided(json_t *doc, size_t at, const char *probe,
    const char *reason)
{
	json_t *path = json_object_get(doc, "path");
	json_t *p = json_array_get(path, at);
	const char *why;

	assert_int_equal(json_array_size(path), at + 1);
	assert_non_null(p);
	assert_true(json_is_null(json_object_get(p, "answer")));
	assert_non_null(json_object_get(p, "answer"));
	why = str(p, "why");
	assert_non_null(why);
	/* "cannot tell: b was skipped (needs a)" for "skipped: needs a". */
	if (strncmp(reason, "skipped: ", 9) == 0)
		reason += 9;
	if (strstr(why, probe) == NULL || strstr(why, reason) == NULL)
		fail_msg("why \"%s\" does not name %s and \"%s\"", why, probe,
		    reason);
	assert_non_null(str(p, "values"));
	assert_non_null(str(p, "if"));
}

/* A skipped probe: cannot tell, not guessed as false (else would lead to
 * a-down). */
static void
test_undecided_skipped(void **state)
{
	struct runbook *rb = load(tree_yaml);
	json_t *doc = diagnose(rb, "a=skipped:skipped:_needs_d b=ok c=ok "
	    "d=critical");

	(void)state;
	assert_undecided(doc, 0, "a", "skipped: needs d");
	/* a-down reads a, which did not run: possible, not matched. */
	assert_ids(doc, "failures", "");
	assert_ids(doc, "possible", "a-down");
	json_decref(doc);
	runbook_free(rb);
}

static void
test_undecided_unknown(void **state)
{
	struct runbook *rb = load(tree_yaml);
	json_t *doc = diagnose(rb, "a=ok b=ok c=unknown:exit_3:_no_idea "
	    "d=ok");

	(void)state;
	assert_undecided(doc, 1, "c", "exit 3: no idea");
	assert_true(json_is_true(json_object_get(json_array_get(
	    json_object_get(doc, "path"), 0), "answer")));
	/* An unknown probe is something wrong that nothing matched. */
	assert_string_equal(str(doc, "status"), "unmatched");
	json_decref(doc);
	runbook_free(rb);
}

/* A probe the run did not include (--only) is as undecided. */
static void
test_undecided_not_run(void **state)
{
	struct runbook *rb = load(tree_yaml);
	json_t *doc = diagnose(rb, "b=ok c=ok");

	(void)state;
	assert_undecided(doc, 0, "a", "not run");
	assert_ids(doc, "possible", "a-down");
	assert_string_equal(str(json_array_get(json_object_get(
	    failure(doc, "possible", "a-down"), "missing"), 0), "reason"),
	    "not run");
	json_decref(doc);
	runbook_free(rb);
}

/*
 * Ranking. Failures in runbook order: wide3 (3 terms), leaf1 (2 terms),
 * leaf2 (1 term), z-first (1 term), two (2 terms), a-last (1 term). The
 * tree's else leaf lists [leaf2, leaf1].
 */
static const char rank_yaml[] =
    "runbook: rank\n"
    "probes:\n"
    "  a: { command: [\"true\"] }\n"
    "  b: { command: [\"true\"] }\n"
    "  c: { command: [\"true\"] }\n"
    "triage:\n"
    "  start: n\n"
    "  nodes:\n"
    "    n: { if: a.ok, then: [], else: [leaf2, leaf1] }\n"
    "failures:\n"
    "  wide3: { when: \"!a.ok && b.ok && c.ok\" }\n"
    "  leaf1: { when: \"!a.ok && b.ok\" }\n"
    "  leaf2: { when: \"!a.ok\" }\n"
    "  z-first: { when: \"!a.ok\" }\n"
    "  two: { when: \"b.ok && c.ok\" }\n"
    "  a-last: { when: \"c.ok\" }\n";

static void
assert_match(json_t *doc, const char *id, int reached, int proven)
{
	json_t *f = failure(doc, "failures", id);

	assert_int_equal(json_is_true(json_object_get(f, "reached")),
	    reached);
	assert_true(json_is_boolean(json_object_get(f, "reached")));
	assert_int_equal(json_integer_value(json_object_get(f, "proven")),
	    proven);
}

/* The whole order at once: leaf order, then terms, then runbook order. */
static void
test_rank_all_rules(void **state)
{
	struct runbook *rb = load(rank_yaml);
	json_t *doc = diagnose(rb, "a=critical b=ok c=ok");

	(void)state;
	assert_ids(doc, "failures", "leaf2 leaf1 wide3 two z-first a-last");
	assert_match(doc, "leaf2", 1, 1);
	assert_match(doc, "leaf1", 1, 2);
	assert_match(doc, "wide3", 0, 3);
	assert_match(doc, "two", 0, 2);
	assert_match(doc, "z-first", 0, 1);
	assert_match(doc, "a-last", 0, 1);
	assert_string_equal(str(doc, "status"), "failure");
	json_decref(doc);
	runbook_free(rb);
}

/* Rule 1: reached beats more terms proven. */
static void
test_rank_reached_first(void **state)
{
	struct runbook *rb = load(
	    "runbook: r1\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"true\"] }\n"
	    "triage:\n"
	    "  start: n\n"
	    "  nodes:\n"
	    "    n: { if: a.ok, then: [], else: [narrow] }\n"
	    "failures:\n"
	    "  wide: { when: \"!a.ok && b.ok\" }\n"
	    "  narrow: { when: \"!a.ok\" }\n");
	json_t *doc = diagnose(rb, "a=critical b=ok");

	(void)state;
	assert_ids(doc, "failures", "narrow wide");
	assert_match(doc, "narrow", 1, 1);
	assert_match(doc, "wide", 0, 2);
	json_decref(doc);
	runbook_free(rb);
}

/* Rule 1, among the reached: the leaf's order, not terms, not runbook
 * order. */
static void
test_rank_leaf_order(void **state)
{
	struct runbook *rb = load(rank_yaml);
	json_t *doc = diagnose(rb, "a=critical b=ok c=critical");

	(void)state;
	/* leaf1 is earlier in the runbook and proves more, but the leaf
	 * lists leaf2 first. */
	assert_ids(doc, "failures", "leaf2 leaf1 z-first");
	json_decref(doc);
	runbook_free(rb);
}

/* Rule 2: among the not reached, more terms proven first, whatever the
 * runbook order. */
static void
test_rank_terms(void **state)
{
	struct runbook *rb = load(
	    "runbook: r2\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"true\"] }\n"
	    "  c: { command: [\"true\"] }\n"
	    "failures:\n"
	    "  one: { when: \"!a.ok\" }\n"
	    "  either: { when: \"!a.ok || !b.ok\" }\n"
	    "  three: { when: \"!a.ok && b.ok && c.ok\" }\n"
	    "  two: { when: \"!a.ok && (b.ok || c.ok)\" }\n");
	json_t *doc = diagnose(rb, "a=critical b=ok c=ok");

	(void)state;
	/* A top-level || is one term: "either" ties with "one" and keeps
	 * its runbook place after it. */
	assert_ids(doc, "failures", "three two one either");
	assert_match(doc, "three", 0, 3);
	assert_match(doc, "two", 0, 2);
	assert_match(doc, "one", 0, 1);
	assert_match(doc, "either", 0, 1);
	json_decref(doc);
	runbook_free(rb);
}

/* Rule 3: ties keep runbook order (not alphabetical, not reversed). */
static void
test_rank_runbook_order_ties(void **state)
{
	struct runbook *rb = load(
	    "runbook: r3\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"true\"] }\n"
	    "failures:\n"
	    "  zz: { when: \"!a.ok && !b.ok\" }\n"
	    "  mm: { when: \"!b.ok && !a.ok\" }\n"
	    "  aa: { when: \"!a.ok && !b.ok\" }\n"
	    "  z1: { when: \"!a.ok\" }\n"
	    "  a1: { when: \"!b.ok\" }\n");
	json_t *doc = diagnose(rb, "a=critical b=critical");

	(void)state;
	assert_ids(doc, "failures", "zz mm aa z1 a1");
	json_decref(doc);
	runbook_free(rb);
}

/* Matches outside the leaf reached are still listed after it: the
 * runners-up. A leaf failure that does not hold is not listed. */
static void
test_runners_up(void **state)
{
	struct runbook *rb = load(rank_yaml);
	json_t *doc = diagnose(rb, "a=critical b=critical c=ok");

	(void)state;
	/* leaf1, wide3 and two need b.ok. */
	assert_ids(doc, "failures", "leaf2 z-first a-last");
	assert_match(doc, "leaf2", 1, 1);
	json_decref(doc);
	runbook_free(rb);
}

/* The tree reaches a leaf where nothing holds; a match elsewhere is still
 * the answer, not reached. */
static void
test_leaf_without_match(void **state)
{
	struct runbook *rb = load(rank_yaml);
	json_t *doc = diagnose(rb, "a=ok b=ok c=ok");

	(void)state;
	assert_ids(doc, "failures", "two a-last");
	assert_match(doc, "two", 0, 2);
	assert_string_equal(str(doc, "status"), "failure");
	json_decref(doc);
	runbook_free(rb);
}

/* The fields of a match. */
static void
test_match_fields(void **state)
{
	struct runbook *rb = load(tree_yaml);
	json_t *doc = diagnose(rb, "a=critical:connection_refused b=ok "
	    "c=ok d=ok"), *f;

	(void)state;
	assert_ids(doc, "failures", "a-down");
	f = failure(doc, "failures", "a-down");
	assert_string_equal(str(f, "title"), "A is down");
	assert_string_equal(str(f, "layer"), "app");
	assert_string_equal(str(f, "diagnosis"), "A died.");
	assert_string_equal(str(f, "symptom"), "!a.ok");
	assert_string_equal(str(f, "values"), "false");
	assert_match(doc, "a-down", 1, 1);
	/* Without a title, the id stands in. */
	json_decref(doc);
	doc = diagnose(rb, "a=ok b=critical c=ok d=ok");
	assert_string_equal(str(failure(doc, "failures", "bc-down"), "title"),
	    "bc-down");
	json_decref(doc);
	runbook_free(rb);
}

/*
 * Possible, unproven.
 */
static const char possible_yaml[] =
    "runbook: possible\n"
    "probes:\n"
    "  a: { command: [\"true\"] }\n"
    "  b: { command: [\"true\"] }\n"
    "  c: { command: [\"true\"] }\n"
    "  u: { command: [\"true\"] }\n"
    "failures:\n"
    "  b-broken: { title: B is broken, layer: db, when: \"a.ok && !b.ok\" }\n"
    "  ruled-out: { when: \"!a.ok && !b.ok\" }\n"
    "  only-b: { when: \"b.state == \\\"critical\\\"\" }\n"
    "  needs-c: { when: \"a.ok && !c.ok\" }\n"
    "  unknown-u: { when: \"!u.ok && a.ok\" }\n"
    "  a-ok: { when: \"a.ok && u.ok\" }\n";

/* A skipped probe makes its failures possible, with what is missing; a
 * decided false term rules one out. */
static void
test_possible(void **state)
{
	struct runbook *rb = load(possible_yaml);
	json_t *doc = diagnose(rb, "a=ok b=skipped:skipped:_needs_x "
	    "c=ok u=unknown:timeout_after_5s"), *p, *m;

	(void)state;
	/* ruled-out: !a.ok is decided and false. needs-c: all decided and
	 * false, so neither matched nor possible. */
	assert_ids(doc, "possible", "b-broken only-b unknown-u a-ok");
	assert_ids(doc, "failures", "");
	p = failure(doc, "possible", "b-broken");
	assert_string_equal(str(p, "title"), "B is broken");
	assert_string_equal(str(p, "layer"), "db");
	assert_string_equal(str(p, "symptom"), "a.ok && !b.ok");
	m = json_object_get(p, "missing");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(str(json_array_get(m, 0), "probe"), "b");
	assert_string_equal(str(json_array_get(m, 0), "reason"),
	    "skipped: needs x");
	m = json_object_get(failure(doc, "possible", "unknown-u"), "missing");
	assert_int_equal(json_array_size(m), 1);
	assert_string_equal(str(json_array_get(m, 0), "probe"), "u");
	assert_string_equal(str(json_array_get(m, 0), "reason"),
	    "timeout after 5s");
	/* Possible entries are not ranked matches: no reached/proven. */
	assert_null(json_object_get(p, "reached"));
	/* An unknown probe: something is wrong that nothing matched. */
	assert_string_equal(str(doc, "status"), "unmatched");
	json_decref(doc);
	runbook_free(rb);
}

/* Every missing probe is listed once, in the order the symptom reads
 * them. */
static void
test_possible_missing_list(void **state)
{
	struct runbook *rb = load(
	    "runbook: missing\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"true\"] }\n"
	    "  c: { command: [\"true\"] }\n"
	    "failures:\n"
	    "  f: { when: \"!b.ok && c.ok && !b.ok && a.ok\" }\n");
	json_t *doc = diagnose(rb, "a=ok b=skipped:skipped:_X_unset "
	    "c=skipped:skipped:_needs_b"), *m;

	(void)state;
	assert_ids(doc, "possible", "f");
	m = json_object_get(failure(doc, "possible", "f"), "missing");
	assert_int_equal(json_array_size(m), 2);
	assert_string_equal(str(json_array_get(m, 0), "probe"), "b");
	assert_string_equal(str(json_array_get(m, 0), "reason"),
	    "skipped: X unset");
	assert_string_equal(str(json_array_get(m, 1), "probe"), "c");
	/* Skipped alone is as good as ok. */
	assert_string_equal(str(doc, "status"), "healthy");
	json_decref(doc);
	runbook_free(rb);
}

/* A probe skipped because what it requires is absent does not apply to
 * this machine: its failures are neither matched nor possible, and the
 * tree cannot decide a node on it. */
static void
test_requires_not_applicable(void **state)
{
	struct runbook *rb = load(
	    "runbook: requires\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  units: { command: [\"true\"] }\n"
	    "triage:\n"
	    "  start: n\n"
	    "  nodes:\n"
	    "    n: { if: \"units.ok\", then: [], else: [unit-failed] }\n"
	    "failures:\n"
	    "  unit-failed: { when: \"!units.ok\" }\n"
	    "  unit-and-a: { when: \"a.ok && !units.ok\" }\n"
	    "  a-only: { when: \"a.ok\" }\n");
	json_t *doc = diagnose(rb, "a=ok "
	    "units=skipped:skipped:_requires_systemctl");

	(void)state;
	assert_ids(doc, "possible", "");
	assert_ids(doc, "failures", "a-only");
	assert_undecided(doc, 0, "units", "skipped: requires systemctl");
	json_decref(doc);
	/* The same probe skipped for another reason: possible. */
	doc = diagnose(rb, "a=ok units=skipped:skipped:_needs_a");
	assert_ids(doc, "possible", "unit-failed unit-and-a");
	json_decref(doc);
	runbook_free(rb);
}

/*
 * Status.
 */
static const char status_yaml[] =
    "runbook: status\n"
    "probes:\n"
    "  a: { command: [\"true\"] }\n"
    "  b: { command: [\"true\"] }\n"
    "  c: { command: [\"true\"] }\n"
    "failures:\n"
    "  a-down: { when: \"a.state == \\\"critical\\\"\" }\n";

static void
assert_status(const struct runbook *rb, const char *spec, const char *want,
    size_t nfailures)
{
	json_t *doc = diagnose(rb, spec);

	if (strcmp(str(doc, "status"), want) != 0)
		fail_msg("%s: status %s, want %s", spec, str(doc, "status"),
		    want);
	assert_int_equal(json_array_size(json_object_get(doc, "failures")),
	    nfailures);
	json_decref(doc);
}

static void
test_status(void **state)
{
	struct runbook *rb = load(status_yaml);

	(void)state;
	assert_status(rb, "a=ok b=ok c=ok", "healthy", 0);
	/* Skipped counts as ok. */
	assert_status(rb, "a=ok b=skipped:skipped:_needs_x c=ok", "healthy",
	    0);
	assert_status(rb, "a=critical b=ok c=ok", "failure", 1);
	/* A failure matched is the status whatever else is wrong. */
	assert_status(rb, "a=critical b=unknown c=warning", "failure", 1);
	/* Something wrong that nothing matches. */
	assert_status(rb, "a=ok b=critical c=ok", "unmatched", 0);
	assert_status(rb, "a=ok b=ok c=unknown", "unmatched", 0);
	/* A warning alone is still "something is wrong". */
	assert_status(rb, "a=ok b=warning c=ok", "unmatched", 0);
	runbook_free(rb);
}

/* Without a tree: an empty path, and ranking by terms then runbook
 * order, none reached. */
static void
test_no_tree(void **state)
{
	struct runbook *rb = load(
	    "runbook: flat\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n"
	    "  b: { command: [\"true\"] }\n"
	    "failures:\n"
	    "  first: { when: \"!a.ok\" }\n"
	    "  second: { when: \"!a.ok && b.ok\" }\n"
	    "  third: { when: \"!b.ok\" }\n");
	json_t *doc = diagnose(rb, "a=critical b=ok");

	(void)state;
	assert_int_equal(json_array_size(json_object_get(doc, "path")), 0);
	assert_ids(doc, "failures", "second first");
	assert_match(doc, "second", 0, 2);
	assert_match(doc, "first", 0, 1);
	json_decref(doc);
	runbook_free(rb);
}

/* No failures at all, and no probes' results: never a crash. */
static void
test_empty(void **state)
{
	struct runbook *rb = load(
	    "runbook: empty\n"
	    "probes:\n"
	    "  a: { command: [\"true\"] }\n");
	json_t *doc = diagnose(rb, "");

	(void)state;
	assert_string_equal(str(doc, "status"), "healthy");
	assert_ids(doc, "failures", "");
	json_decref(doc);
	doc = diagnose(rb, "a=critical");
	assert_string_equal(str(doc, "status"), "unmatched");
	json_decref(doc);
	runbook_free(rb);
}

/* Values read from kind fields, compared with literals: what an operator
 * writes in practice. */
static void
test_fields_in_conditions(void **state)
{
	struct runbook *rb = load(
	    "runbook: fields\n"
	    "probes:\n"
	    "  web: { command: [\"true\"] }\n"
	    "triage:\n"
	    "  start: n\n"
	    "  nodes:\n"
	    "    n: { ask: Forbidden?, if: \"web.status == 403\", "
	    "then: [forbidden], else: [] }\n"
	    "failures:\n"
	    "  forbidden: { when: \"web.status == 403 && !web.ok\" }\n");
	json_t *res = results("web=critical:http_403"), *doc;

	(void)state;
	json_object_set_new(json_object_get(res, "web"), "status",
	    json_integer(403));
	doc = triage_diagnose(rb, res, NOW);
	assert_string_equal(str(json_array_get(json_object_get(doc, "path"),
	    0), "values"), "403");
	assert_ids(doc, "failures", "forbidden");
	assert_string_equal(str(failure(doc, "failures", "forbidden"),
	    "values"), "web.status=403, web.ok=false");
	json_decref(doc);
	json_decref(res);
	runbook_free(rb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_recorded),
		cmocka_unit_test(test_path_empty_leaf),
		cmocka_unit_test(test_undecided_skipped),
		cmocka_unit_test(test_undecided_unknown),
		cmocka_unit_test(test_undecided_not_run),
		cmocka_unit_test(test_rank_all_rules),
		cmocka_unit_test(test_rank_reached_first),
		cmocka_unit_test(test_rank_leaf_order),
		cmocka_unit_test(test_rank_terms),
		cmocka_unit_test(test_rank_runbook_order_ties),
		cmocka_unit_test(test_runners_up),
		cmocka_unit_test(test_leaf_without_match),
		cmocka_unit_test(test_match_fields),
		cmocka_unit_test(test_possible),
		cmocka_unit_test(test_possible_missing_list),
		cmocka_unit_test(test_requires_not_applicable),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_no_tree),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_fields_in_conditions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

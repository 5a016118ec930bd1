/* SPDX-License-Identifier: MIT */
/* The triage tree walk and the ranking of failure modes over probe results. */
#include "triage.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "expr.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/xmalloc.h"

/* A probe skipped because what it requires is absent (no systemd, say)
 * does not apply to this machine: failure modes that read it are neither
 * matched nor possible. */
static int
not_applicable(json_t *result)
{
	const char *reason = json_string_value(json_object_get(result,
	    "reason"));

	return reason != NULL && str_has_prefix(reason, "skipped: requires ");
}

/* A probe result a condition cannot rely on: missing, skipped or unknown. */
static int
undecided(json_t *result)
{
	const char *state = json_string_value(json_object_get(result,
	    "state"));

	return state == NULL || strcmp(state, "skipped") == 0 ||
	    strcmp(state, "unknown") == 0;
}

struct missing {
	json_t *results;
	json_t *list;		/* [{probe, reason}], each probe once */
};

static void
note_missing(void *arg, const char *name)
{
	struct missing *m = arg;
	json_t *r = json_object_get(m->results, name), *it;
	size_t i;

	if (!undecided(r))
		return;
	json_array_foreach(m->list, i, it) {
		if (strcmp(json_string_value(json_object_get(it, "probe")),
		    name) == 0)
			return;
	}
	json_array_append_new(m->list, json_pack("{s:s, s:s}", "probe", name,
	    "reason", r == NULL ? "not run" :
	    json_string_value(json_object_get(r, "reason")) != NULL ?
	    json_string_value(json_object_get(r, "reason")) :
	    json_string_value(json_object_get(r, "state"))));
}

/* The probes e reads that did not give a usable result, as a new array. */
static json_t *
missing_reads(const struct expr *e, json_t *results)
{
	struct missing m = { results, json_array() };

	expr_refs(e, note_missing, &m);
	return m.list;
}

/* "cannot tell: app_up was skipped (needs app_tcp)" for the first
 * missing read. */
static char *
missing_why(json_t *missing)
{
	json_t *first = json_array_get(missing, 0);
	const char *probe = json_string_value(json_object_get(first, "probe"));
	const char *reason = json_string_value(json_object_get(first,
	    "reason"));
	const char *why = probe_reason_why(reason, STATE_SKIPPED);

	if (why != reason)
		return xasprintf("cannot tell: %s was skipped (%s)", probe,
		    why);
	return xasprintf("cannot tell: %s is not known (%s)", probe, reason);
}

/* Walks from the start node; returns the leaf branch reached, or NULL when
 * the walk stopped at an undecided node or there is no tree. */
static const struct tbranch *
walk(const struct runbook *rb, json_t *results, double now, json_t *path)
{
	const struct triage_tree *t = &rb->triage;
	size_t node = t->start, steps;

	if (!t->present || t->nnodes == 0)
		return NULL;
	/* The loader rejects cycles; the bound is a second line of defence. */
	for (steps = 0; steps <= t->nnodes; steps++) {
		const struct tnode *n = &t->nodes[node];
		json_t *missing = missing_reads(n->cond, results);
		char *values = expr_explain(n->cond, results, now);
		json_t *entry = json_pack("{s:s, s:s, s:s, s:s}", "node", n->id,
		    "ask", n->ask != NULL ? n->ask : "", "if",
		    expr_source(n->cond), "values", values);
		const struct tbranch *b;

		free(values);
		json_array_append_new(path, entry);
		if (json_array_size(missing) > 0) {
			char *why = missing_why(missing);

			json_object_set_new(entry, "answer", json_null());
			json_object_set_new(entry, "why", json_string(why));
			free(why);
			json_decref(missing);
			return NULL;
		}
		json_decref(missing);
		b = expr_test(n->cond, results, now) ? &n->then_branch :
		    &n->else_branch;
		json_object_set_new(entry, "answer",
		    json_boolean(b == &n->then_branch));
		if (!b->is_node)
			return b;
		node = b->node;
	}
	return NULL;
}

static size_t
terms_proven(const struct expr *e, json_t *results, double now)
{
	size_t i, n = 0;

	for (i = 0; i < expr_terms(e); i++)
		n += expr_term_test(e, i, results, now) != 0;
	return n;
}

/* A term rules a failure out when everything it reads is decided and it is
 * false. */
struct term_check {
	json_t *results;
	int decided;
};

static void
check_decided(void *arg, const char *name)
{
	struct term_check *c = arg;

	if (undecided(json_object_get(c->results, name)))
		c->decided = 0;
}

static int
ruled_out(const struct expr *e, json_t *results, double now)
{
	size_t i;

	for (i = 0; i < expr_terms(e); i++) {
		struct term_check c = { results, 1 };

		expr_term_refs(e, i, check_decided, &c);
		if (c.decided && !expr_term_test(e, i, results, now))
			return 1;
	}
	return 0;
}

static int
reads_not_applicable(json_t *missing, json_t *results)
{
	json_t *m;
	size_t i;

	json_array_foreach(missing, i, m) {
		if (not_applicable(json_object_get(results, json_string_value(
		    json_object_get(m, "probe")))))
			return 1;
	}
	return 0;
}

struct match {
	size_t failure;
	long leaf_rank;		/* position in the leaf's list, or -1 */
	size_t proven;
};

static int
match_cmp(const void *pa, const void *pb)
{
	const struct match *a = pa, *b = pb;

	if ((a->leaf_rank >= 0) != (b->leaf_rank >= 0))
		return a->leaf_rank >= 0 ? -1 : 1;
	if (a->leaf_rank != b->leaf_rank)
		return a->leaf_rank < b->leaf_rank ? -1 : 1;
	if (a->proven != b->proven)
		return a->proven > b->proven ? -1 : 1;
	return a->failure < b->failure ? -1 : a->failure > b->failure;
}

static long
leaf_rank(const struct tbranch *leaf, size_t failure)
{
	size_t i;

	for (i = 0; leaf != NULL && i < leaf->nfailures; i++) {
		if (leaf->failures[i] == failure)
			return (long)i;
	}
	return -1;
}

static json_t *
failure_json(const struct failure *f, json_t *results, double now)
{
	char *values = expr_explain(f->when, results, now);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", f->id,
	    "title", f->title != NULL ? f->title : f->id, "layer",
	    f->layer != NULL ? f->layer : "", "diagnosis",
	    f->diagnosis != NULL ? f->diagnosis : "", "symptom",
	    expr_source(f->when), "values", values);

	free(values);
	return o;
}

json_t *
triage_diagnose(const struct runbook *rb, json_t *results, double now)
{
	json_t *doc = json_object(), *path = json_array();
	json_t *failures = json_array(), *possible = json_array();
	struct match *m = xcalloc(rb->nfailures + 1, sizeof(*m));
	const struct tbranch *leaf = walk(rb, results, now, path);
	size_t i, n = 0;
	const char *status;

	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];
		json_t *missing = missing_reads(f->when, results);

		if (json_array_size(missing) > 0) {
			if (!ruled_out(f->when, results, now) &&
			    !reads_not_applicable(missing, results)) {
				json_t *o = failure_json(f, results, now);

				json_object_set(o, "missing", missing);
				json_array_append_new(possible, o);
			}
		} else if (expr_test(f->when, results, now)) {
			m[n].failure = i;
			m[n].leaf_rank = leaf_rank(leaf, i);
			m[n].proven = terms_proven(f->when, results, now);
			n++;
		}
		json_decref(missing);
	}
	qsort(m, n, sizeof(*m), match_cmp);
	for (i = 0; i < n; i++) {
		json_t *o = failure_json(&rb->failures[m[i].failure], results,
		    now);

		json_object_set_new(o, "reached",
		    json_boolean(m[i].leaf_rank >= 0));
		json_object_set_new(o, "proven",
		    json_integer((json_int_t)m[i].proven));
		json_array_append_new(failures, o);
	}
	free(m);
	if (n > 0)
		status = "failure";
	else if (engine_worst(results) == STATE_OK)
		status = "healthy";
	else
		status = "unmatched";
	json_object_set_new(doc, "status", json_string(status));
	json_object_set_new(doc, "path", path);
	json_object_set_new(doc, "failures", failures);
	json_object_set_new(doc, "possible", possible);
	return doc;
}

void
triage_fields(const struct runbook *rb, void (*fn)(void *arg,
    const char *root, const char *key), void *arg)
{
	size_t i, j;

	for (i = 0; i < rb->triage.nnodes; i++)
		expr_fields(rb->triage.nodes[i].cond, fn, arg);
	for (i = 0; i < rb->nfailures; i++) {
		expr_fields(rb->failures[i].when, fn, arg);
		for (j = 0; j < rb->failures[i].nguard; j++)
			expr_fields(rb->failures[i].guard[j], fn, arg);
	}
}

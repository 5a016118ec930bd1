/* SPDX-License-Identifier: MIT */
/* The runbook loader's triage side: failures, the tree, escalation, and the
 * cycle checks (needs between probes, branches between nodes). */
#include "runbook-load.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

static const char *const failure_keys[] = {
	"title", "layer", "when", "diagnosis", "evidence", "guard", "fix",
	"on_failure", "verify", "verify_timeout", "last_verified", "auto_fix",
	"max_applies", "apply_window", NULL,
};

static const char *const triage_keys[] = { "start", "nodes", NULL };
static const char *const node_keys[] = { "ask", "if", "then", "else", NULL };
static const char *const escalation_keys[] = { "contact", "bring", NULL };

static const struct idrule id_failure = { "failure id", "a-z0-9",
	"a-z0-9_-", "start with a-z or 0-9, then a-z, 0-9, _ or -" };
static const struct idrule id_node = { "node id", "A-Za-z0-9_",
	"A-Za-z0-9_-", "use letters, digits, _ and -" };

/*
 * Cycles: in needs, and in the triage tree.
 */

/* A directed graph over 0..n-1, built in order of u: the edges of u are
 * to[off[u]] .. to[off[u + 1] - 1]. */
struct graph {
	size_t n;
	size_t *off;
	size_t *to;
	size_t nto;
	size_t next;			/* the first u whose off is not set */
};

static void
graph_init(struct graph *g, size_t n)
{
	g->n = n;
	g->off = xcalloc(n + 1, sizeof(*g->off));
	g->to = NULL;
	g->nto = 0;
	g->next = 0;
}

static void
graph_edge(struct graph *g, size_t u, size_t v)
{
	while (g->next <= u)
		g->off[g->next++] = g->nto;
	g->to = xreallocarray(g->to, g->nto + 1, sizeof(*g->to));
	g->to[g->nto++] = v;
}

/* Ends the edges of the last nodes; call once all are added. */
static void
graph_end(struct graph *g)
{
	while (g->next <= g->n)
		g->off[g->next++] = g->nto;
}

static void
graph_dispose(struct graph *g)
{
	free(g->off);
	free(g->to);
}

/* Calls report once for each cycle a depth-first walk meets: path[0] ->
 * ... -> path[len - 1] -> path[0]. Iterative: deep graphs are fine. */
static void
graph_cycles(struct graph *g, void (*report)(void *arg, const size_t *path,
    size_t len), void *arg)
{
	unsigned char *color = xcalloc(g->n + 1, 1);	/* 1 open, 2 done */
	size_t *stack = xcalloc(g->n + 1, sizeof(*stack));
	size_t *next = xcalloc(g->n + 1, sizeof(*next));
	size_t r, u, v, j, depth;

	for (r = 0; r < g->n; r++) {
		if (color[r] != 0)
			continue;
		depth = 0;
		stack[depth++] = r;
		color[r] = 1;
		next[r] = g->off[r];
		while (depth > 0) {
			u = stack[depth - 1];
			if (next[u] == g->off[u + 1]) {
				color[u] = 2;
				depth--;
				continue;
			}
			v = g->to[next[u]++];
			if (color[v] == 0) {
				color[v] = 1;
				next[v] = g->off[v];
				stack[depth++] = v;
			} else if (color[v] == 1) {
				for (j = 0; stack[j] != v; j++)
					;
				report(arg, stack + j, depth - j);
			}
		}
	}
	free(color);
	free(stack);
	free(next);
}

static void
needs_cycle(void *arg, const size_t *path, size_t len)
{
	struct loader *ld = arg;
	struct probe *probes = ld->rb->probes;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < len; i++)
		buf_printf(&b, "%s -> ", probes[path[i]].id);
	buf_puts(&b, probes[path[0]].id);
	ld_error(ld, probes[path[0]].pos, NULL, "needs cycle: %s",
	    buf_cstr(&b));
	buf_dispose(&b);
}

void
ld_needs_check_cycles(struct loader *ld)
{
	struct runbook *rb = ld->rb;
	struct graph g;
	size_t i, j;
	long k;

	graph_init(&g, rb->nprobes);
	for (i = 0; i < rb->nprobes; i++) {
		for (j = 0; j < rb->probes[i].nneeds; j++) {
			k = runbook_probe_index(rb, rb->probes[i].needs[j]);
			if (k >= 0)
				graph_edge(&g, i, (size_t)k);
		}
	}
	graph_end(&g);
	graph_cycles(&g, needs_cycle, ld);
	graph_dispose(&g);
}

/*
 * Failures, the triage tree and escalation.
 */

static const char *
failure_id_of(const void *arg, size_t pos)
{
	const struct runbook *rb = arg;

	return rb->failures[pos].id;
}

static const char *
node_id_of(const void *arg, size_t pos)
{
	const struct runbook *rb = arg;

	return rb->triage.nodes[pos].id;
}

void
ld_ids_init(struct loader *ld)
{
	keyindex_init(&ld->failure_ids, failure_id_of, ld->rb);
	keyindex_init(&ld->node_ids, node_id_of, ld->rb);
}

void
ld_ids_dispose(struct loader *ld)
{
	keyindex_dispose(&ld->failure_ids);
	keyindex_dispose(&ld->node_ids);
}

/* The index of the failure named id, or -1. */
static long
failure_index(const struct loader *ld, const char *id)
{
	return keyindex_find(&ld->failure_ids, id);
}

/* The index of the triage node named id, or -1. */
static long
node_index(const struct loader *ld, const char *id)
{
	return keyindex_find(&ld->node_ids, id);
}

static void
failure_verify(struct loader *ld, struct failure *f, struct ynode *v,
    const char *ctx)
{
	struct ynode **items;
	struct suggest sg;
	const char *s;
	size_t n, i, k;
	long idx;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a list of probe ids", "verify", ctx, NULL);
		return;
	}
	items = ynode_list(&v, &n);
	f->verify = xcalloc(n, sizeof(*f->verify));
	for (i = 0; i < n; i++) {
		if ((s = ld_string(ld, items[i], "verify", ctx)) == NULL)
			continue;
		if ((idx = runbook_probe_index(ld->rb, s)) < 0) {
			ld_suggest_init(&sg, s, 0);
			for (k = 0; !ld_errors_full(ld) &&
			    k < ld->rb->nprobes; k++)
				ld_suggest_add(&sg, ld->rb->probes[k].id);
			ld_error(ld, items[i]->pos, ld_suggest_hint(&sg, NULL,
			    "verify lists probes that must be ok after the "
			    "fix"), "verify names unknown probe \"%s\" in %s",
			    s, ctx);
			continue;
		}
		f->verify[f->nverify++] = (size_t)idx;
	}
}

static void
failure_load(struct loader *ld, struct failure *f, const struct ynode *body)
{
	struct ynode *v;
	const char *s;
	char *ctx = xasprintf("failure \"%s\"", f->id);

	f->verify_timeout = 60;
	f->max_applies = 3;
	f->apply_window = 3600;
	f->layer = xstrdup("default");
	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", ctx, NULL, NULL);
		free(ctx);
		return;
	}
	ld_check_keys(ld, body, failure_keys, ctx);
	if ((v = ymap_get(body, "layer")) != NULL &&
	    (s = ld_string(ld, v, "layer", ctx)) != NULL) {
		free(f->layer);
		f->layer = xstrdup(s);
	}
	if ((v = ymap_get(body, "title")) != NULL)
		f->title = ld_text(ld, v, "title", ctx, NULL);
	if ((v = ymap_get(body, "diagnosis")) != NULL)
		f->diagnosis = ld_text(ld, v, "diagnosis", ctx, NULL);
	if ((v = ymap_get(body, "when")) != NULL)
		f->when = ld_condition(ld, v, "when", ctx, NULL, 1);
	else
		ld_error(ld, f->pos, xstrdup("when: is the symptom, a "
		    "condition over probes, e.g. proxy_up.ok && !tunnel.ok"),
		    "missing required key \"when\" in %s", ctx);
	if ((v = ymap_get(body, "guard")) != NULL)
		ld_conditions(ld, v, "guard", ctx, NULL, 1, &f->guard,
		    NULL, &f->nguard);
	if ((v = ymap_get(body, "evidence")) != NULL)
		ld_steps_load(ld, v, f->id, ctx, "evidence", ROLE_EVIDENCE,
		    f->layer, &f->evidence, &f->nevidence);
	if ((v = ymap_get(body, "fix")) != NULL)
		ld_steps_load(ld, v, f->id, ctx, "fix", ROLE_FIX, f->layer,
		    &f->fix, &f->nfix);
	if ((v = ymap_get(body, "on_failure")) != NULL)
		ld_steps_load(ld, v, f->id, ctx, "on_failure", ROLE_FIX,
		    f->layer,
		    &f->on_failure, &f->non_failure);
	if ((v = ymap_get(body, "verify")) != NULL)
		failure_verify(ld, f, v, ctx);
	if ((v = ymap_get(body, "verify_timeout")) != NULL)
		ld_duration(ld, v, "verify_timeout", ctx, NULL, 1,
		    &f->verify_timeout);
	if ((v = ymap_get(body, "last_verified")) != NULL) {
		f->last_verified = ld_date(ld, v, "last_verified", ctx);
		f->last_verified_pos = v->pos;
	}
	if ((v = ymap_get(body, "auto_fix")) != NULL)
		ld_bool(ld, v, "auto_fix", ctx, &f->auto_fix);
	if ((v = ymap_get(body, "max_applies")) != NULL) {
		char *text = NULL;
		long n;

		if (ld_int(ld, v, "max_applies", ctx, NULL, &n, &text) == 0) {
			if (n < 1 || n > 1000)
				ld_error(ld, v->pos, xstrdup("how many times "
				    "the fix may be applied within "
				    "apply_window before it is refused"),
				    "max_applies in %s must be from 1 to 1000, "
				    "not %s", ctx, text);
			else
				f->max_applies = (int)n;
		}
		free(text);
	}
	if ((v = ymap_get(body, "apply_window")) != NULL)
		ld_duration(ld, v, "apply_window", ctx, NULL, 1,
		    &f->apply_window);
	free(ctx);
}

void
ld_failures_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	size_t i, n = 0;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of failure ids", "failures", NULL,
		    NULL);
		return;
	}
	rb->failures = xcalloc(v->nentries, sizeof(*rb->failures));
	for (i = 0; i < v->nentries; i++) {
		const struct yentry *e = &v->entries[i];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "failure", NULL);
			continue;
		}
		ld_check_id(ld, &id_failure, e->key->text, e->key->pos);
		rb->failures[n].id = xstrdup(e->key->text);
		rb->failures[n].pos = e->key->pos;
		n++;
	}
	rb->nfailures = n;
	for (i = 0; i < n; i++)
		keyindex_add(&ld->failure_ids, rb->failures[i].id, i);
	for (i = 0, n = 0; i < v->nentries; i++) {
		if (v->entries[i].dup_of == NULL)
			failure_load(ld, &rb->failures[n++],
			    v->entries[i].value);
	}
}

static char *
branch_hint(struct loader *ld, const char *s, int nodes)
{
	const struct runbook *rb = ld->rb;
	struct suggest sg;
	size_t i;

	ld_suggest_init(&sg, s, 0);
	if (ld_errors_full(ld))
		nodes = 0;
	for (i = 0; nodes && i < rb->triage.nnodes; i++)
		ld_suggest_add(&sg, rb->triage.nodes[i].id);
	for (i = 0; !ld_errors_full(ld) && i < rb->nfailures; i++)
		ld_suggest_add(&sg, rb->failures[i].id);
	return ld_suggest_hint(&sg, NULL, NULL);
}

/* A then/else: a node id, or a failure id or a list of them. */
static void
tree_branch(struct loader *ld, struct tbranch *br, struct ynode *v,
    const char *key, const char *ctx)
{
	const char *s;
	size_t i;
	long k;

	br->pos = v->pos;
	if (v->type == Y_SCALAR && !ynode_is_null(v)) {
		if ((k = node_index(ld, v->text)) >= 0) {
			br->is_node = 1;
			br->node = (size_t)k;
		} else if ((k = failure_index(ld, v->text)) >= 0) {
			br->failures = xcalloc(1, sizeof(*br->failures));
			br->failures[br->nfailures++] = (size_t)k;
		} else {
			ld_error(ld, v->pos, branch_hint(ld, v->text, 1),
			    "unknown node or failure \"%s\" in %s of %s",
			    v->text, key, ctx);
		}
		return;
	}
	if (v->type != Y_SEQ) {
		ld_expected(ld, v, "a node id or a list of failure ids", key,
		    ctx, NULL);
		return;
	}
	br->failures = xcalloc(v->nitems, sizeof(*br->failures));
	for (i = 0; i < v->nitems; i++) {
		if ((s = ld_string(ld, v->items[i], key, ctx)) == NULL)
			continue;
		if ((k = failure_index(ld, s)) >= 0)
			br->failures[br->nfailures++] = (size_t)k;
		else if (node_index(ld, s) >= 0)
			ld_error(ld, v->items[i]->pos, xasprintf("to go to "
			    "node \"%s\", write %s: %s", s, key, s),
			    "\"%s\" is a node; a list in %s holds failures",
			    s, key);
		else
			ld_error(ld, v->items[i]->pos, branch_hint(ld, s, 0),
			    "unknown failure \"%s\" in %s of %s", s, key, ctx);
	}
}

static void
tree_node_load(struct loader *ld, struct tnode *t, const struct ynode *body)
{
	struct ynode *v;
	char *ctx = xasprintf("node \"%s\"", t->id);

	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", ctx, NULL, NULL);
		free(ctx);
		return;
	}
	ld_check_keys(ld, body, node_keys, ctx);
	if ((v = ymap_get(body, "ask")) != NULL)
		t->ask = ld_text(ld, v, "ask", ctx, NULL);
	if ((v = ymap_get(body, "if")) != NULL)
		t->cond = ld_condition(ld, v, "if", ctx, NULL, 1);
	else
		ld_error(ld, t->pos, NULL, "missing required key \"if\" in %s",
		    ctx);
	t->then_branch.pos = t->else_branch.pos = t->pos;
	if ((v = ymap_get(body, "then")) != NULL)
		tree_branch(ld, &t->then_branch, v, "then", ctx);
	if ((v = ymap_get(body, "else")) != NULL)
		tree_branch(ld, &t->else_branch, v, "else", ctx);
	free(ctx);
}

static void
tree_cycle(void *arg, const size_t *path, size_t len)
{
	struct loader *ld = arg;
	struct tnode *nodes = ld->rb->triage.nodes;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < len; i++)
		buf_printf(&b, "%s -> ", nodes[path[i]].id);
	buf_puts(&b, nodes[path[0]].id);
	ld_error(ld, nodes[path[0]].pos, NULL, "triage tree cycle: %s",
	    buf_cstr(&b));
	buf_dispose(&b);
}

/* Reports cycles, and nodes that start never leads to. */
static void
tree_check_paths(struct loader *ld)
{
	struct triage_tree *t = &ld->rb->triage;
	unsigned char *seen;
	size_t *queue, head = 0, tail = 0, i, u;
	struct graph g;

	graph_init(&g, t->nnodes);
	for (i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].then_branch.is_node)
			graph_edge(&g, i, t->nodes[i].then_branch.node);
		if (t->nodes[i].else_branch.is_node)
			graph_edge(&g, i, t->nodes[i].else_branch.node);
	}
	graph_end(&g);
	graph_cycles(&g, tree_cycle, ld);
	graph_dispose(&g);
	if (t->start >= t->nnodes)
		return;
	seen = xcalloc(t->nnodes, 1);
	queue = xcalloc(t->nnodes, sizeof(*queue));
	seen[t->start] = 1;
	queue[tail++] = t->start;
	while (head < tail) {
		const struct tnode *n = &t->nodes[queue[head++]];
		const struct tbranch *br[2] = { &n->then_branch,
			&n->else_branch };

		for (i = 0; i < 2; i++) {
			u = br[i]->node;
			if (br[i]->is_node && !seen[u]) {
				seen[u] = 1;
				queue[tail++] = u;
			}
		}
	}
	for (i = 0; i < t->nnodes; i++) {
		if (!seen[i])
			ld_warning(ld, t->nodes[i].pos, NULL, "node \"%s\" is "
			    "never reached from start", t->nodes[i].id);
	}
	free(seen);
	free(queue);
}

void
ld_tree_load(struct loader *ld, const struct yentry *te)
{
	struct triage_tree *t = &ld->rb->triage;
	struct ynode *body = te->value, *nodes, *v;
	size_t i, n = 0;
	long k;

	t->present = 1;
	t->pos = te->key->pos;
	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", "triage", NULL, NULL);
		return;
	}
	ld_check_keys(ld, body, triage_keys, "triage");
	if ((nodes = ymap_get(body, "nodes")) == NULL) {
		ld_error(ld, t->pos, NULL, "missing required key \"nodes\" in "
		    "triage");
		return;
	}
	if (nodes->type != Y_MAP) {
		ld_expected(ld, nodes, "a mapping of node ids", "nodes",
		    "triage", NULL);
		return;
	}
	t->nodes = xcalloc(nodes->nentries, sizeof(*t->nodes));
	for (i = 0; i < nodes->nentries; i++) {
		const struct yentry *e = &nodes->entries[i];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "node", NULL);
			continue;
		}
		ld_check_id(ld, &id_node, e->key->text, e->key->pos);
		t->nodes[n].id = xstrdup(e->key->text);
		t->nodes[n].pos = e->key->pos;
		n++;
	}
	t->nnodes = n;
	for (i = 0; i < n; i++)
		keyindex_add(&ld->node_ids, t->nodes[i].id, i);
	for (i = 0, n = 0; i < nodes->nentries; i++) {
		if (nodes->entries[i].dup_of == NULL)
			tree_node_load(ld, &t->nodes[n++],
			    nodes->entries[i].value);
	}
	t->start = t->nnodes;
	if ((v = ymap_get(body, "start")) == NULL) {
		ld_error(ld, t->pos, t->nnodes > 0 ? xasprintf("e.g. start: "
		    "%s", t->nodes[0].id) : NULL, "missing required key "
		    "\"start\" in triage");
	} else if (ld_string(ld, v, "start", "triage") != NULL) {
		if ((k = node_index(ld, v->text)) >= 0)
			t->start = (size_t)k;
		else
			ld_error(ld, v->pos, branch_hint(ld, v->text, 1),
			    "start names unknown node \"%s\"", v->text);
	}
	tree_check_paths(ld);
}

void
ld_escalation_load(struct loader *ld, const struct ynode *body)
{
	struct escalation *esc = &ld->rb->escalation;
	struct ynode *v;

	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", "escalation", NULL, NULL);
		return;
	}
	ld_check_keys(ld, body, escalation_keys, "escalation");
	if ((v = ymap_get(body, "contact")) != NULL)
		esc->contact = ld_text(ld, v, "contact", "escalation", NULL);
	if ((v = ymap_get(body, "bring")) != NULL)
		ld_steps_load(ld, v, "escalation", "escalation", "bring",
		    ROLE_BRING, "escalation", &esc->bring, &esc->nbring);
}

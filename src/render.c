/* SPDX-License-Identifier: MIT */
/* triage render: the runbook as a document model (sections, tables, the
 * tree), manual commands and the mermaid flowchart. */
#include "render.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "runbook.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* A command longer than this, or on several lines, is shown as a block
 * below its table rather than in a cell. */
#define RENDER_CELL_MAX 160

struct render {
	const struct runbook *rb;
	const struct render_opts *o;
	struct rdoc *doc;
	struct shquote_sub *subs;	/* set secrets, longest value first */
	size_t nsubs;
	size_t *walk;		/* node indices in the numbered walk */
	size_t nwalk;
	size_t nreach;		/* walk[0..nreach) are reached from start */
	size_t *node_num;	/* 1-based place of each node in walk */
};

/* Inline content. Every string is redacted on its way in. */

static void
inl_add(const struct render *r, struct rinline *in, enum rspan_kind kind,
    const char *text, const char *href)
{
	struct rspan *s;

	in->spans = xreallocarray(in->spans, in->n + 1, sizeof(*in->spans));
	s = &in->spans[in->n++];
	s->kind = kind;
	s->text = runbook_redact(r->rb, text != NULL ? text : "");
	s->href = href != NULL ? xstrdup(href) : NULL;
}

static void
inl_text(const struct render *r, struct rinline *in, const char *s)
{
	inl_add(r, in, RSPAN_TEXT, s, NULL);
}

static void PRINTFLIKE(3, 4)
inl_textf(const struct render *r, struct rinline *in, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	inl_text(r, in, s);
	free(s);
}

static void
inl_code(const struct render *r, struct rinline *in, const char *s)
{
	inl_add(r, in, RSPAN_CODE, s, NULL);
}

static void
inl_strong(const struct render *r, struct rinline *in, const char *s)
{
	inl_add(r, in, RSPAN_STRONG, s, NULL);
}

static void
inl_link(const struct render *r, struct rinline *in, const char *s,
    const char *href)
{
	inl_add(r, in, RSPAN_LINK, s, href);
}

static void
inl_break(const struct render *r, struct rinline *in)
{
	inl_add(r, in, RSPAN_BREAK, NULL, NULL);
}

static void
inl_anchor(const struct render *r, struct rinline *in, const char *id)
{
	inl_add(r, in, RSPAN_ANCHOR, id, NULL);
}

/* Blocks, added to a container: the document, or a list item. */

static struct rblock *
blk_add(struct rblock **v, size_t *n, enum rblock_kind kind,
    unsigned formats)
{
	struct rblock *b;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	b = &(*v)[(*n)++];
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->formats = formats;
	return b;
}

static struct rblock *
doc_add(struct render *r, enum rblock_kind kind)
{
	return blk_add(&r->doc->blocks, &r->doc->nblocks, kind, RFMT_ALL);
}

static void
doc_heading(struct render *r, int level, const char *anchor,
    const char *text)
{
	struct rblock *b = doc_add(r, RBLOCK_HEADING);

	b->level = level;
	b->anchor = anchor != NULL ? xstrdup(anchor) : NULL;
	inl_text(r, &b->text, text);
}

static struct rblock *
table_new(struct rblock *b, size_t ncols, const char *const *head,
    const struct render *r)
{
	size_t i;

	b->ncols = ncols;
	b->nrows = 1;
	b->cells = xcalloc(ncols, sizeof(*b->cells));
	for (i = 0; i < ncols; i++)
		inl_text(r, &b->cells[i], head[i]);
	return b;
}

/* A new row of b: its first cell (valid until the next row). */
static struct rinline *
table_row(struct rblock *b)
{
	b->cells = xreallocarray(b->cells, (b->nrows + 1) * b->ncols,
	    sizeof(*b->cells));
	memset(&b->cells[b->nrows * b->ncols], 0,
	    b->ncols * sizeof(*b->cells));
	return &b->cells[b->nrows++ * b->ncols];
}

static struct ritem *
list_item(struct rblock *b)
{
	struct ritem *it;

	b->items = xreallocarray(b->items, b->nitems + 1, sizeof(*b->items));
	it = &b->items[b->nitems++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* Freeing. */

static void
inl_free(struct rinline *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		free(in->spans[i].text);
		free(in->spans[i].href);
	}
	free(in->spans);
}

static void blocks_free(struct rblock *v, size_t n);

static void
block_dispose(struct rblock *b)
{
	size_t i;

	free(b->anchor);
	inl_free(&b->text);
	for (i = 0; i < b->nrows * b->ncols; i++)
		inl_free(&b->cells[i]);
	free(b->cells);
	for (i = 0; i < b->nitems; i++) {
		free(b->items[i].anchor);
		inl_free(&b->items[i].text);
		blocks_free(b->items[i].blocks, b->items[i].nblocks);
	}
	free(b->items);
	free(b->lang);
	free(b->code);
}

static void
blocks_free(struct rblock *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		block_dispose(&v[i]);
	free(v);
}

void
render_doc_free(struct rdoc *d)
{
	if (d == NULL)
		return;
	free(d->title);
	blocks_free(d->blocks, d->nblocks);
	free(d);
}

/* Manual commands. */

static int
sub_longer_first(const void *a, const void *b)
{
	size_t la = strlen(((const struct shquote_sub *)a)->value);
	size_t lb = strlen(((const struct shquote_sub *)b)->value);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

/* The secrets that are set, for "$NAME" in commands; *out is heap. */
static size_t
render_subs(const struct runbook *rb, struct shquote_sub **out)
{
	size_t i, n = 0;
	const char *v;

	*out = xcalloc(rb->nsecrets + 1, sizeof(**out));
	for (i = 0; i < rb->nsecrets; i++) {
		v = getenv(rb->secrets[i]);
		if (v == NULL || *v == '\0')
			continue;
		(*out)[n].value = v;
		(*out)[n].name = rb->secrets[i];
		n++;
	}
	qsort(*out, n, sizeof(**out), sub_longer_first);
	return n;
}

/* ssh to h running line, as `on: HOST` would. */
static char *
render_over_ssh(const struct host *h, const char *line)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "ssh -o BatchMode=yes");
	if (h->port != 0)
		buf_printf(&b, " -p %d", h->port);
	if (h->identity != NULL) {
		buf_puts(&b, " -i ");
		shquote_append(&b, h->identity);
	}
	if (h->known_hosts != NULL) {
		char *opt = xasprintf("UserKnownHostsFile=%s",
		    h->known_hosts);

		buf_puts(&b, " -o ");
		shquote_append(&b, opt);
		free(opt);
	}
	buf_putc(&b, ' ');
	shquote_append(&b, h->ssh);
	buf_putc(&b, ' ');
	shquote_append(&b, line);
	return buf_steal(&b);
}

static char *
manual_with(const struct runbook *rb, const struct probe *p,
    const struct shquote_sub *subs, size_t nsubs)
{
	char *line, *wrapped, *out;

	if (p->kind == NULL || p->kind->manual == NULL)
		return NULL;
	line = p->kind->manual(p);
	if (line == NULL)
		return NULL;
	if (p->on != NULL) {
		wrapped = render_over_ssh(p->on, line);
		free(line);
		line = wrapped;
	}
	wrapped = shquote_line_sub(line, subs, nsubs);
	out = runbook_redact(rb, wrapped);
	free(wrapped);
	free(line);
	return out;
}

char *
render_manual(const struct runbook *rb, const struct probe *p)
{
	struct shquote_sub *subs;
	size_t n = render_subs(rb, &subs);
	char *out = manual_with(rb, p, subs, n);

	free(subs);
	return out;
}

/* Mermaid. */

void
render_mermaid_label(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"':
			buf_puts(b, "#quot;");
			break;
		case '#':
			buf_puts(b, "#35;");
			break;
		case '&':
			buf_puts(b, "#amp;");
			break;
		case '<':
			buf_puts(b, "#lt;");
			break;
		case '>':
			buf_puts(b, "#gt;");
			break;
		case '`':
			buf_puts(b, "#96;");
			break;
		default:
			buf_putc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
		}
	}
	buf_putc(b, '"');
}

/* Mermaid ids: a prefix and the id with anything but [A-Za-z0-9_] as _,
 * so no id is a keyword (end, graph, ...) and none contains "-". */
static char *
mermaid_id(const char *prefix, const char *id)
{
	char *s = xasprintf("%s_%s", prefix, id), *p;

	for (p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_'))
			*p = '_';
	}
	return s;
}

/* Node then failure ids, made unique (a-b and a_b both give a_b), then
 * the id of the "no known failure" box. */
static char **
mermaid_ids(const struct runbook *rb)
{
	const struct triage_tree *t = &rb->triage;
	size_t n = t->nnodes + rb->nfailures, i, j, k;
	char **ids = xcalloc(n + 1, sizeof(*ids)), *base;

	for (i = 0; i < n; i++) {
		base = i < t->nnodes ? mermaid_id("q", t->nodes[i].id) :
		    mermaid_id("f", rb->failures[i - t->nnodes].id);
		ids[i] = xstrdup(base);
		for (k = 2;; k++) {
			for (j = 0; j < i && strcmp(ids[j], ids[i]) != 0; j++)
				;
			if (j == i)
				break;
			free(ids[i]);
			ids[i] = xasprintf("%s_%zu", base, k);
		}
		free(base);
	}
	ids[n] = xstrdup("x_none");
	return ids;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The question a node asks: its `ask`, else its condition. */
static char *
node_question(const struct tnode *nd)
{
	if (nd->ask != NULL && nd->ask[0] != '\0')
		return xstrdup(nd->ask);
	return xasprintf("%s?", expr_source(nd->cond));
}

static char *
failure_label(const struct failure *f)
{
	if (f->title != NULL && f->title[0] != '\0')
		return xasprintf("%s: %s", f->id, f->title);
	return xstrdup(f->id);
}

/* Nodes in walk order: breadth first from start (yes before no), then
 * those never reached, in runbook order. */
static size_t
tree_walk_order(const struct triage_tree *t, size_t *order, size_t *nreach)
{
	unsigned char *seen = xcalloc(t->nnodes + 1, 1);
	size_t head = 0, n = 0, i;

	if (t->nnodes > 0 && t->start < t->nnodes) {
		order[n++] = t->start;
		seen[t->start] = 1;
	}
	while (head < n) {
		const struct tnode *nd = &t->nodes[order[head++]];
		const struct tbranch *br[2] = { &nd->then_branch,
		    &nd->else_branch };

		for (i = 0; i < 2; i++) {
			if (br[i]->is_node && br[i]->node < t->nnodes &&
			    !seen[br[i]->node]) {
				seen[br[i]->node] = 1;
				order[n++] = br[i]->node;
			}
		}
	}
	*nreach = n;
	for (i = 0; i < t->nnodes; i++) {
		if (!seen[i])
			order[n++] = i;
	}
	free(seen);
	return n;
}

static void
mermaid_label_redacted(struct buf *b, const struct runbook *rb,
    const char *s)
{
	char *red = runbook_redact(rb, s);

	render_mermaid_label(b, red);
	free(red);
}

static void
mermaid_edges(struct buf *b, const struct runbook *rb, char **ids,
    const char *from, const struct tbranch *br, const char *label,
    unsigned char *used)
{
	size_t i, to;

	if (br->is_node) {
		buf_printf(b, "    %s -->|%s| %s\n", from, label,
		    ids[br->node]);
		return;
	}
	if (br->nfailures == 0) {
		buf_printf(b, "    %s -->|%s| %s\n", from, label,
		    ids[rb->triage.nnodes + rb->nfailures]);
		used[rb->nfailures] = 1;
		return;
	}
	for (i = 0; i < br->nfailures; i++) {
		to = br->failures[i];
		if (to >= rb->nfailures)
			continue;
		buf_printf(b, "    %s -->|%s| %s\n", from, label,
		    ids[rb->triage.nnodes + to]);
		used[to] = 1;
	}
}

char *
render_mermaid(const struct runbook *rb)
{
	const struct triage_tree *t = &rb->triage;
	size_t *order, n, i, nreach, nids = t->nnodes + rb->nfailures + 1;
	unsigned char *used;
	char **ids, *text;
	struct buf b;

	if (!t->present || t->nnodes == 0)
		return NULL;
	ids = mermaid_ids(rb);
	order = xcalloc(t->nnodes + 1, sizeof(*order));
	used = xcalloc(rb->nfailures + 1, 1);
	n = tree_walk_order(t, order, &nreach);
	buf_init(&b, 0);
	buf_puts(&b, "flowchart TD\n");
	for (i = 0; i < n; i++) {
		const struct tnode *nd = &t->nodes[order[i]];

		text = node_question(nd);
		buf_printf(&b, "    %s{", ids[order[i]]);
		mermaid_label_redacted(&b, rb, text);
		buf_puts(&b, "}\n");
		free(text);
		mermaid_edges(&b, rb, ids, ids[order[i]], &nd->then_branch,
		    "yes", used);
		mermaid_edges(&b, rb, ids, ids[order[i]], &nd->else_branch,
		    "no", used);
	}
	for (i = 0; i < rb->nfailures; i++) {
		if (!used[i])
			continue;
		text = failure_label(&rb->failures[i]);
		buf_printf(&b, "    %s[", ids[t->nnodes + i]);
		mermaid_label_redacted(&b, rb, text);
		buf_puts(&b, "]\n");
		free(text);
	}
	if (used[rb->nfailures])
		buf_printf(&b, "    %s([\"no known failure mode: "
		    "escalate\"])\n", ids[nids - 1]);
	free(used);
	free(order);
	free_strv(ids, nids);
	return buf_steal(&b);
}

/* Words. */

/* Days since date (YYYY-MM-DD) at now, or -1. */
static long
days_since(const char *date, double now)
{
	double t;

	if (date == NULL || time_parse_iso8601(date, &t) != 0)
		return -1;
	return (long)floor((now - t) / 86400.0);
}

static void
inl_last_verified(const struct render *r, struct rinline *in,
    const char *date)
{
	long days;

	if (date == NULL) {
		inl_text(r, in, "not recorded");
		return;
	}
	inl_text(r, in, date);
	days = days_since(date, r->o->now);
	if (days > RENDER_STALE_DAYS)
		inl_textf(r, in, " (stale: %ld days)", days);
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

/* The probe's own sentence when it has no description. */
static char *
probe_generated_description(const struct probe *p)
{
	const char *k = p->kind != NULL ? p->kind->name : "";
	json_t *argv;

	if (strcmp(k, "http") == 0) {
		const char *m = probe_param_str(p, "method", NULL);

		return xasprintf("HTTP %s %s", m != NULL ? m :
		    probe_param(p, "body") != NULL ? "POST" : "GET",
		    probe_param_str(p, "http", ""));
	}
	if (strcmp(k, "tcp") == 0)
		return xasprintf("something listens on %s",
		    probe_param_str(p, "tcp", ""));
	if (strcmp(k, "tls") == 0)
		return xasprintf("the TLS certificate of %s",
		    probe_param_str(p, "tls", ""));
	if (strcmp(k, "file") == 0)
		return xasprintf("the file %s",
		    probe_param_str(p, "file", ""));
	if (strcmp(k, "log") == 0)
		return xasprintf("the last %ld lines of %s",
		    (long)probe_param_num(p, "last", 200),
		    probe_param_str(p, "log", ""));
	if (strcmp(k, "nagios") == 0) {
		argv = probe_param(p, "nagios");
		return xasprintf("the monitoring plugin %s",
		    base_name(json_string_value(json_array_get(argv, 0)) ?
		    json_string_value(json_array_get(argv, 0)) : ""));
	}
	if (strcmp(k, "command") == 0) {
		if (probe_param(p, "shell") != NULL)
			return xstrdup("a shell script's exit code and output");
		argv = probe_param(p, "command");
		return xasprintf("the exit code and output of %s",
		    base_name(json_string_value(json_array_get(argv, 0)) ?
		    json_string_value(json_array_get(argv, 0)) : ""));
	}
	return xstrdup(k);
}

/* The kind's own verdict in words: healthy, and warning (or NULL). */
static void
probe_default_verdict(const struct probe *p, const char **healthy,
    const char **warns)
{
	const char *k = p->kind != NULL ? p->kind->name : "";

	*warns = NULL;
	if (strcmp(k, "http") == 0) {
		*healthy = probe_param_bool(p, "follow", 0) ?
		    "HTTP 2xx/3xx after redirects" : "HTTP 2xx/3xx";
	} else if (strcmp(k, "tcp") == 0) {
		*healthy = "connects";
	} else if (strcmp(k, "tls") == 0) {
		*healthy = "the certificate is valid for more than 14 days";
		*warns = "the certificate expires within 14 days";
	} else if (strcmp(k, "command") == 0) {
		*healthy = "exit 0";
	} else if (strcmp(k, "nagios") == 0) {
		*healthy = "the plugin exits 0 (OK)";
		*warns = "the plugin exits 1 (WARNING)";
	} else if (strcmp(k, "file") == 0) {
		*healthy = "it exists";
	} else if (strcmp(k, "log") == 0) {
		*healthy = probe_param(p, "match") != NULL ?
		    "no line matches" : "the file can be read";
	} else {
		*healthy = "the check succeeds";
	}
}

/* "a, b and c" of n code spans. */
static void
inl_code_list(const struct render *r, struct rinline *in,
    const char *const *v, size_t n, const char *last_sep)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			inl_text(r, in, i + 1 == n ? last_sep : ", ");
		inl_code(r, in, v[i]);
	}
}

static void
inl_conditions(const struct render *r, struct rinline *in,
    struct expr *const *v, size_t n, const char *sep)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			inl_text(r, in, sep);
		inl_code(r, in, expr_source(v[i]));
	}
}

/* The top-level && terms of a condition's text, when every one of them is
 * PROBE.ok, !PROBE.ok or PROBE.state == "STATE": then in words ("`a` is
 * ok and `b` is not ok"), and 1; else 0 and nothing added. */
static int
inl_condition_words(const struct render *r, struct rinline *in,
    const char *src)
{
	struct rinline tmp = { NULL, 0 };
	const char *s = src, *e, *id;
	size_t idlen, nterms = 0;
	int neg;
	char *name, state[32];

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		neg = *s == '!';
		if (neg) {
			s++;
			while (*s == ' ')
				s++;
		}
		id = s;
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    *s == '_'))
			goto no;
		while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')
			s++;
		idlen = (size_t)(s - id);
		name = xstrndup(id, idlen);
		if (nterms > 0)
			inl_text(r, &tmp, " and ");
		if (strncmp(s, ".ok", 3) == 0 &&
		    !(s[3] >= 'a' && s[3] <= 'z')) {
			s += 3;
			inl_code(r, &tmp, name);
			inl_text(r, &tmp, neg ? " is not ok" : " is ok");
		} else if (!neg && strncmp(s, ".state", 6) == 0) {
			s += 6;
			while (*s == ' ')
				s++;
			e = NULL;
			if (strncmp(s, "==", 2) == 0) {
				s += 2;
				while (*s == ' ')
					s++;
				if (*s == '"' || *s == '\'')
					e = strchr(s + 1, *s);
			}
			if (e == NULL || (size_t)(e - s) > sizeof(state)) {
				free(name);
				goto no;
			}
			snprintf(state, sizeof(state), "%.*s",
			    (int)(e - s - 1), s + 1);
			s = e + 1;
			inl_code(r, &tmp, name);
			inl_textf(r, &tmp, " is %s", state);
		} else {
			free(name);
			goto no;
		}
		free(name);
		nterms++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		if (strncmp(s, "&&", 2) != 0)
			goto no;
		s += 2;
	}
	in->spans = xreallocarray(in->spans, in->n + tmp.n,
	    sizeof(*in->spans));
	memcpy(&in->spans[in->n], tmp.spans, tmp.n * sizeof(*tmp.spans));
	in->n += tmp.n;
	free(tmp.spans);
	return 1;
no:
	inl_free(&tmp);
	return 0;
}

/* prefix-id, with anything but [A-Za-z0-9_-] in id as "-" so that it is
 * a valid fragment and HTML id. */
static char *
anchor_for(const char *prefix, const char *id)
{
	char *s = xasprintf("%s-%s", prefix, id), *p;

	for (p = s + strlen(prefix) + 1; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '-';
	}
	return s;
}

static int
any_fix(const struct runbook *rb)
{
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		if (rb->failures[i].nfix > 0)
			return 1;
	}
	return 0;
}

/* The header: title, owner, id, last verified, how to use it. */
static void
build_header(struct render *r)
{
	const struct runbook *rb = r->rb;
	const char *arg = r->o->runbook_arg;
	struct rblock *b;

	b = doc_add(r, RBLOCK_HEADING);
	b->level = 1;
	inl_text(r, &b->text, rb->title != NULL ? rb->title : rb->id);

	b = doc_add(r, RBLOCK_PARA);
	if (rb->owner != NULL) {
		inl_strong(r, &b->text, "Owner:");
		inl_textf(r, &b->text, " %s · ", rb->owner);
	}
	inl_strong(r, &b->text, "Runbook:");
	inl_text(r, &b->text, " ");
	inl_code(r, &b->text, rb->id);
	inl_text(r, &b->text, " · ");
	inl_strong(r, &b->text, "Last verified:");
	inl_text(r, &b->text, " ");
	inl_last_verified(r, &b->text, rb->last_verified);

	b = doc_add(r, RBLOCK_PARA);
	inl_strong(r, &b->text, "How to use this runbook.");
	inl_text(r, &b->text, " ");
	{
		char *cmd = xasprintf("triage %s", arg);

		inl_code(r, &b->text, cmd);
		free(cmd);
	}
	if (rb->triage.present)
		inl_text(r, &b->text, " does all of it: it runs every probe, "
		    "walks the triage tree and names the failure mode with its "
		    "evidence. ");
	else if (rb->nfailures > 0)
		inl_text(r, &b->text, " does all of it: it runs every probe "
		    "and names the failure mode that matches, with its "
		    "evidence. ");
	else
		inl_text(r, &b->text, " runs every probe and says what is "
		    "wrong. ");
	{
		char *cmd = xasprintf("triage check %s", arg);

		inl_code(r, &b->text, cmd);
		free(cmd);
	}
	if (!any_fix(rb)) {
		inl_text(r, &b->text, " only runs the probes. Without triage, "
		    "do the same by hand with the commands below.");
		return;
	}
	inl_text(r, &b->text, " only runs the probes; ");
	{
		char *cmd = xasprintf("triage fix %s ID", arg);

		inl_code(r, &b->text, cmd);
		free(cmd);
	}
	inl_text(r, &b->text, " shows a failure's fix as a plan, and ");
	inl_code(r, &b->text, "--apply");
	inl_text(r, &b->text, " runs it. Without triage, do the same by "
	    "hand with the commands below.");
}

/* Environment variables the runbook reads ({{env.NAME}}) that are unset
 * or empty now: what they expand to here is not what they will be. */
static void
build_env_note(struct render *r)
{
	const char *s = r->rb->source != NULL ? r->rb->source : "", *p, *q;
	char **names = NULL;
	size_t n = 0, i;
	struct rblock *b;

	for (p = strstr(s, "{{"); p != NULL; p = strstr(p + 2, "{{")) {
		char *name;
		const char *v;

		q = p + 2;
		while (*q == ' ')
			q++;
		if (strncmp(q, "env.", 4) != 0)
			continue;
		q += 4;
		p = q;
		while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
		    (*q >= '0' && *q <= '9') || *q == '_')
			q++;
		if (q == p)
			continue;
		name = xstrndup(p, (size_t)(q - p));
		while (*q == ' ')
			q++;
		v = getenv(name);
		for (i = 0; i < n && strcmp(names[i], name) != 0; i++)
			;
		if (strncmp(q, "}}", 2) != 0 || (v != NULL && *v != '\0') ||
		    i < n) {
			free(name);
			continue;
		}
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = name;
	}
	if (n == 0)
		return;
	b = doc_add(r, RBLOCK_NOTE);
	inl_strong(r, &b->text, "Note:");
	inl_text(r, &b->text, " this page was rendered with ");
	inl_code_list(r, &b->text, (const char *const *)names, n, " and ");
	inl_textf(r, &b->text, " unset, so the values that use %s are "
	    "incomplete below. Set %s and render again.",
	    n == 1 ? "it" : "them", n == 1 ? "it" : "them");
	free_strv(names, n);
}

/* A command in a cell: inline code, or a link to a block below. */
static void
cell_command(struct render *r, struct rinline *cell, const char *cmd,
    const char *below_anchor)
{
	char *href;

	if (cmd == NULL) {
		inl_text(r, cell, "—");
		return;
	}
	if (strchr(cmd, '\n') == NULL && strlen(cmd) <= RENDER_CELL_MAX) {
		inl_code(r, cell, cmd);
		return;
	}
	href = xasprintf("#%s", below_anchor);
	inl_link(r, cell, "see below", href);
	free(href);
}

static int
command_is_long(const char *cmd)
{
	return cmd != NULL && (strchr(cmd, '\n') != NULL ||
	    strlen(cmd) > RENDER_CELL_MAX);
}

static void
build_probe_row(struct render *r, struct rblock *t, const struct probe *p,
    const char *cmd)
{
	struct rinline *row = table_row(t);
	const char *healthy, *warns;
	char *a, *s;

	a = anchor_for("probe", p->id);
	inl_anchor(r, &row[0], a);
	free(a);
	inl_code(r, &row[0], p->id);

	if (p->description != NULL && p->description[0] != '\0') {
		inl_text(r, &row[1], p->description);
	} else {
		s = probe_generated_description(p);
		inl_text(r, &row[1], s);
		free(s);
	}
	if (p->nneeds > 0) {
		inl_text(r, &row[1], ". Runs after ");
		inl_code_list(r, &row[1], (const char *const *)p->needs,
		    p->nneeds, " and ");
		inl_text(r, &row[1], p->nneeds == 1 ? " is ok" : " are ok");
	}
	if (p->nrequires > 0) {
		inl_text(r, &row[1], ". Skipped without ");
		inl_code_list(r, &row[1], (const char *const *)p->requires,
		    p->nrequires, " or ");
	}
	if (p->on != NULL) {
		inl_text(r, &row[1], ". Runs on ");
		inl_code(r, &row[1], p->on->name);
	}

	a = anchor_for("by-hand", p->id);
	cell_command(r, &row[2], cmd, a);
	free(a);

	probe_default_verdict(p, &healthy, &warns);
	if (p->nexpect > 0)
		inl_conditions(r, &row[3], p->expect, p->nexpect, " and ");
	else
		inl_text(r, &row[3], healthy);

	if (p->nwarn > 0)
		inl_conditions(r, &row[4], p->warn, p->nwarn, " or ");
	if (p->nexpect == 0 && warns != NULL) {
		if (p->nwarn > 0)
			inl_text(r, &row[4], " or ");
		inl_text(r, &row[4], warns);
	}
	if (p->severity != STATE_CRITICAL) {
		if (row[4].n > 0)
			inl_text(r, &row[4], "; ");
		inl_textf(r, &row[4], "whenever it is not healthy (severity: "
		    "%s)", probe_state_name(p->severity));
	}
	if (row[4].n == 0)
		inl_text(r, &row[4], "—");
}

/* A command shown in full under a label ("**disk** by hand:"). */
static void
build_command_block(struct render *r, struct rblock **v, size_t *n,
    const char *anchor, const char *label, const char *cmd)
{
	struct rblock *b = blk_add(v, n, RBLOCK_PARA, RFMT_ALL);

	inl_anchor(r, &b->text, anchor);
	inl_strong(r, &b->text, label);
	inl_text(r, &b->text, " by hand:");
	b = blk_add(v, n, RBLOCK_CODE, RFMT_ALL);
	b->lang = xstrdup("sh");
	b->code = runbook_redact(r->rb, cmd);
}

static void
build_probes(struct render *r)
{
	static const char *const head[] = { "Probe", "What it checks",
	    "Check by hand", "Healthy when", "Warns when" };
	const struct runbook *rb = r->rb;
	unsigned char *done = xcalloc(rb->nprobes + 1, 1);
	char **cmds = xcalloc(rb->nprobes + 1, sizeof(*cmds));
	size_t i, j;
	struct rblock *b;

	doc_heading(r, 2, "layers-and-probes", "Layers and probes");
	if (rb->nprobes == 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_text(r, &b->text, "This runbook has no probes.");
		free(done);
		free(cmds);
		return;
	}
	b = doc_add(r, RBLOCK_PARA);
	inl_text(r, &b->text, "Each probe is a read-only check. ");
	{
		char *cmd = xasprintf("triage check %s", r->o->runbook_arg);

		inl_code(r, &b->text, cmd);
		free(cmd);
	}
	inl_text(r, &b->text, " runs them all at once; \"Check by hand\" is "
	    "the same check as a shell command.");
	for (i = 0; i < rb->nprobes; i++)
		cmds[i] = manual_with(rb, &rb->probes[i], r->subs, r->nsubs);

	/* One table per layer, layers in order of first use. */
	for (i = 0; i < rb->nprobes; i++) {
		const char *layer = rb->probes[i].layer;
		char *a;

		if (done[i])
			continue;
		doc_heading(r, 3, NULL, layer);
		b = doc_add(r, RBLOCK_TABLE);
		table_new(b, 5, head, r);
		for (j = i; j < rb->nprobes; j++) {
			if (done[j] || strcmp(rb->probes[j].layer, layer) != 0)
				continue;
			build_probe_row(r, b, &rb->probes[j], cmds[j]);
		}
		for (j = i; j < rb->nprobes; j++) {
			if (done[j] || strcmp(rb->probes[j].layer, layer) != 0)
				continue;
			done[j] = 1;
			if (command_is_long(cmds[j])) {
				a = anchor_for("by-hand", rb->probes[j].id);
				build_command_block(r, &r->doc->blocks,
				    &r->doc->nblocks, a, rb->probes[j].id,
				    cmds[j]);
				free(a);
			}
		}
	}
	free_strv(cmds, rb->nprobes);
	free(done);
}

/* The failures a branch leads to, as links, or what an empty one means. */
static void
inl_branch(struct render *r, struct rinline *in, const struct tbranch *br,
    int numbered)
{
	const struct runbook *rb = r->rb;
	size_t i;
	char *href;

	if (br->is_node) {
		const struct tnode *nd = &rb->triage.nodes[br->node];
		char *q = node_question(nd);

		href = xasprintf("#node-%s", nd->id);
		if (numbered) {
			char *label = xasprintf("go to %zu",
			    r->node_num[br->node]);

			inl_link(r, in, label, href);
			free(label);
			inl_textf(r, in, " (%s)", q);
		} else {
			inl_link(r, in, q, href);
		}
		free(href);
		free(q);
		return;
	}
	if (br->nfailures == 0) {
		inl_text(r, in, "no known failure mode here; if something is "
		    "still wrong, see ");
		inl_link(r, in, "Escalation", "#escalation");
		return;
	}
	inl_text(r, in, br->nfailures == 1 ? "the failure mode " :
	    "the failure modes ");
	for (i = 0; i < br->nfailures; i++) {
		const struct failure *f = &rb->failures[br->failures[i]];

		if (i > 0)
			inl_text(r, in, i + 1 == br->nfailures ? " or " : ", ");
		href = xasprintf("#failure-%s", f->id);
		inl_link(r, in, f->id, href);
		free(href);
	}
}

static void
inl_node_question(struct render *r, struct rinline *in,
    const struct tnode *nd)
{
	if (nd->ask != NULL && nd->ask[0] != '\0') {
		inl_strong(r, in, nd->ask);
		inl_text(r, in, " (");
		inl_code(r, in, expr_source(nd->cond));
		inl_text(r, in, ")");
	} else {
		inl_strong(r, in, "Does ");
		inl_code(r, in, expr_source(nd->cond));
		inl_strong(r, in, " hold?");
	}
}

/* The HTML tree: a nested list from start; a node met again links back. */
static void
build_tree_item(struct render *r, struct rblock *list, size_t node,
    unsigned char *expanded, const char *answer)
{
	const struct tnode *nd = &r->rb->triage.nodes[node];
	const struct tbranch *br[2] = { &nd->then_branch, &nd->else_branch };
	static const char *const words[2] = { "yes: ", "no: " };
	struct ritem *it = list_item(list);
	struct rblock *sub;
	size_t i;
	char *href, *q;

	if (answer != NULL)
		inl_text(r, &it->text, answer);
	if (expanded[node]) {
		href = xasprintf("#tree-%s", nd->id);
		q = node_question(nd);
		inl_text(r, &it->text, "the question ");
		inl_link(r, &it->text, q, href);
		inl_text(r, &it->text, " (above)");
		free(q);
		free(href);
		return;
	}
	expanded[node] = 1;
	it->anchor = anchor_for("tree", nd->id);
	inl_node_question(r, &it->text, nd);
	sub = blk_add(&it->blocks, &it->nblocks, RBLOCK_LIST, RFMT_ALL);
	for (i = 0; i < 2; i++) {
		if (br[i]->is_node) {
			build_tree_item(r, sub, br[i]->node, expanded,
			    words[i]);
		} else {
			struct ritem *leaf = list_item(sub);

			inl_text(r, &leaf->text, words[i]);
			inl_branch(r, &leaf->text, br[i], 0);
		}
	}
}

static void
build_tree(struct render *r)
{
	const struct runbook *rb = r->rb;
	const struct triage_tree *t = &rb->triage;
	unsigned char *expanded;
	char *mermaid, *cmd;
	struct rblock *b, *list;
	size_t i, k;

	doc_heading(r, 2, "triage", "Triage");
	if (!t->present || t->nnodes == 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_text(r, &b->text, "This runbook has no triage tree: match "
		    "the symptoms under ");
		inl_link(r, &b->text, "Failure modes", "#failure-modes");
		inl_text(r, &b->text, " directly.");
		return;
	}
	b = doc_add(r, RBLOCK_PARA);
	inl_text(r, &b->text, "Start at the first question. Each answer is a "
	    "probe condition and leads to the next question or to the failure "
	    "modes to check; ");
	cmd = xasprintf("triage %s", r->o->runbook_arg);
	inl_code(r, &b->text, cmd);
	free(cmd);
	inl_text(r, &b->text, " walks it for you.");

	mermaid = render_mermaid(rb);
	b = doc_add(r, RBLOCK_CODE);
	b->formats = RFMT_MD;
	b->lang = xstrdup("mermaid");
	b->code = mermaid;

	/* Markdown: the same walk as a numbered list. */
	b = doc_add(r, RBLOCK_LIST);
	b->formats = RFMT_MD;
	b->ordered = 1;
	for (k = 0; k < r->nwalk; k++) {
		const struct tnode *nd = &t->nodes[r->walk[k]];
		const struct tbranch *br[2] = { &nd->then_branch,
		    &nd->else_branch };
		static const char *const words[2] = { "yes: ", "no: " };
		struct ritem *it = list_item(b);
		struct rblock *sub;

		it->anchor = anchor_for("node", nd->id);
		inl_node_question(r, &it->text, nd);
		if (k >= r->nreach)
			inl_text(r, &it->text, " (never reached from the "
			    "start)");
		sub = blk_add(&it->blocks, &it->nblocks, RBLOCK_LIST, RFMT_ALL);
		for (i = 0; i < 2; i++) {
			struct ritem *ans = list_item(sub);

			inl_text(r, &ans->text, words[i]);
			inl_branch(r, &ans->text, br[i], 1);
		}
	}

	/* HTML: a nested list from the start, and the mermaid source. */
	expanded = xcalloc(t->nnodes + 1, 1);
	list = doc_add(r, RBLOCK_LIST);
	list->formats = RFMT_HTML;
	build_tree_item(r, list, t->start, expanded, NULL);
	for (i = 0; i < t->nnodes; i++) {
		if (expanded[i])
			continue;
		list = &r->doc->blocks[r->doc->nblocks - 1];
		build_tree_item(r, list, i, expanded,
		    "never reached from the start: ");
	}
	free(expanded);
	b = doc_add(r, RBLOCK_PARA);
	b->formats = RFMT_HTML;
	inl_text(r, &b->text, "The same tree as a mermaid flowchart:");
	b = doc_add(r, RBLOCK_CODE);
	b->formats = RFMT_HTML;
	b->lang = xstrdup("mermaid");
	b->code = render_mermaid(rb);
}

/* One step of evidence, fix, on_failure or bring, as a list item. */
static void
build_step(struct render *r, struct rblock *list, const struct step *st,
    int is_fix)
{
	const struct probe *p = &st->probe;
	struct ritem *it = list_item(list);
	char *cmd = manual_with(r->rb, p, r->subs, r->nsubs), d[32];
	struct rblock *code;

	if (p->description != NULL && p->description[0] != '\0')
		inl_textf(r, &it->text, "%s: ", p->description);
	if (cmd == NULL) {
		inl_textf(r, &it->text, "a %s step", p->kind != NULL ?
		    p->kind->name : "");
	} else if (strchr(cmd, '\n') == NULL) {
		inl_code(r, &it->text, cmd);
	} else {
		inl_text(r, &it->text, "this script:");
		code = blk_add(&it->blocks, &it->nblocks, RBLOCK_CODE,
		    RFMT_ALL);
		code->lang = xstrdup("sh");
		code->code = runbook_redact(r->rb, cmd);
	}
	free(cmd);
	if (p->on != NULL) {
		inl_text(r, &it->text, " on host ");
		inl_code(r, &it->text, p->on->name);
	}
	if (is_fix) {
		duration_format(p->timeout, d, sizeof(d));
		inl_textf(r, &it->text, " (timeout %s%s)", d,
		    st->continue_on_error ? "; the fix goes on if it fails" :
		    "");
	}
	if (st->dangerous != NULL) {
		inl_text(r, &it->text, " ");
		inl_strong(r, &it->text, "DANGEROUS:");
		inl_textf(r, &it->text, " %s. It runs only with ",
		    st->dangerous);
		inl_code(r, &it->text, "--allow-dangerous");
		inl_text(r, &it->text, " and a typed confirmation.");
	}
}

static struct rblock *
build_steps(struct render *r, const struct step *v, size_t n, int is_fix)
{
	struct rblock *b = doc_add(r, RBLOCK_LIST);
	size_t i;

	b->ordered = 1;
	for (i = 0; i < n; i++)
		build_step(r, b, &v[i], is_fix);
	return b;
}

static void
inl_probe_links(struct render *r, struct rinline *in, const size_t *v,
    size_t n)
{
	size_t i;
	char *href;

	for (i = 0; i < n; i++) {
		const struct probe *p = &r->rb->probes[v[i]];

		if (i > 0)
			inl_text(r, in, i + 1 == n ? " and " : ", ");
		href = xasprintf("#probe-%s", p->id);
		inl_link(r, in, p->id, href);
		free(href);
	}
}

/* The Fix cell of the summary table. */
static void
cell_fix(struct render *r, struct rinline *cell, const struct failure *f)
{
	size_t i;
	char *cmd, *href;

	if (f->nfix == 0) {
		inl_text(r, cell, "—");
		return;
	}
	for (i = 0; i < f->nfix; i++) {
		if (i > 0)
			inl_text(r, cell, ", then ");
		cmd = manual_with(r->rb, &f->fix[i].probe, r->subs, r->nsubs);
		if (cmd == NULL || command_is_long(cmd)) {
			href = xasprintf("#failure-%s", f->id);
			inl_link(r, cell, "a script (see below)", href);
			free(href);
		} else {
			inl_code(r, cell, cmd);
		}
		if (f->fix[i].dangerous != NULL) {
			inl_text(r, cell, " ");
			inl_strong(r, cell, "(dangerous)");
		}
		free(cmd);
	}
}

static void
build_failure_table(struct render *r)
{
	static const char *const head[] = { "Symptom", "Diagnosis", "Fix",
	    "Verify" };
	const struct runbook *rb = r->rb;
	struct rblock *t = doc_add(r, RBLOCK_TABLE);
	size_t i;

	table_new(t, 4, head, r);
	for (i = 0; i < rb->nfailures; i++) {
		const struct failure *f = &rb->failures[i];
		struct rinline *row = table_row(t);
		char *href = xasprintf("#failure-%s", f->id);

		inl_link(r, &row[0], f->title != NULL ? f->title : f->id,
		    href);
		free(href);
		inl_break(r, &row[0]);
		inl_code(r, &row[0], expr_source(f->when));
		inl_text(r, &row[1], f->diagnosis != NULL ? f->diagnosis :
		    "—");
		cell_fix(r, &row[2], f);
		if (f->nverify > 0)
			inl_probe_links(r, &row[3], f->verify, f->nverify);
		else
			inl_text(r, &row[3], "—");
	}
}

static void
build_failure(struct render *r, const struct failure *f)
{
	const char *arg = r->o->runbook_arg;
	struct rblock *b;
	char *a, *cmd, d[32];

	a = anchor_for("failure", f->id);
	doc_heading(r, 3, a, f->title != NULL ? f->title : f->id);
	free(a);

	b = doc_add(r, RBLOCK_PARA);
	inl_text(r, &b->text, "Failure ");
	inl_code(r, &b->text, f->id);
	inl_textf(r, &b->text, " · layer %s · last verified ",
	    f->layer != NULL ? f->layer : "default");
	inl_last_verified(r, &b->text, f->last_verified);

	b = doc_add(r, RBLOCK_PARA);
	inl_strong(r, &b->text, "Symptom:");
	inl_text(r, &b->text, " ");
	if (inl_condition_words(r, &b->text, expr_source(f->when)))
		inl_text(r, &b->text, ": ");
	inl_code(r, &b->text, expr_source(f->when));

	if (f->diagnosis != NULL) {
		b = doc_add(r, RBLOCK_PARA);
		inl_strong(r, &b->text, "Diagnosis:");
		inl_textf(r, &b->text, " %s", f->diagnosis);
	}

	if (f->nevidence > 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_strong(r, &b->text, "Evidence");
		inl_text(r, &b->text, " (read-only; triage captures it with "
		    "the diagnosis):");
		build_steps(r, f->evidence, f->nevidence, 0);
	}

	if (f->nguard > 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_strong(r, &b->text, "Guard:");
		inl_text(r, &b->text, " the fix runs only while ");
		inl_conditions(r, &b->text, f->guard, f->nguard, " and ");
		inl_text(r, &b->text, f->nguard == 1 ? " holds." :
		    " hold.");
	}

	b = doc_add(r, RBLOCK_PARA);
	if (f->nfix == 0) {
		inl_strong(r, &b->text, "Fix:");
		inl_text(r, &b->text, " none written down. If the diagnosis "
		    "does not say what to do, see ");
		inl_link(r, &b->text, "Escalation", "#escalation");
		inl_text(r, &b->text, ".");
	} else {
		cmd = xasprintf("triage fix %s %s", arg, f->id);
		inl_strong(r, &b->text, "Fix");
		inl_text(r, &b->text, " (");
		inl_code(r, &b->text, cmd);
		free(cmd);
		inl_text(r, &b->text, " shows this plan; add ");
		inl_code(r, &b->text, "--apply");
		inl_text(r, &b->text, " to run it, only while the symptom "
		    "holds):");
		build_steps(r, f->fix, f->nfix, 1);
	}

	if (f->non_failure > 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_strong(r, &b->text, "If a fix step fails,");
		inl_text(r, &b->text, " run:");
		build_steps(r, f->on_failure, f->non_failure, 1);
	}

	if (f->nverify > 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_strong(r, &b->text, "Verify:");
		inl_text(r, &b->text, " afterwards ");
		inl_probe_links(r, &b->text, f->verify, f->nverify);
		duration_format(f->verify_timeout, d, sizeof(d));
		inl_textf(r, &b->text, " must be ok again (retried for up to "
		    "%s).", d);
	}
	if (f->auto_fix) {
		b = doc_add(r, RBLOCK_PARA);
		inl_strong(r, &b->text, "Auto-fix:");
		inl_text(r, &b->text, " ");
		inl_code(r, &b->text, "triage watch");
		inl_text(r, &b->text, " may apply this fix by itself, through "
		    "the same guard and verify.");
	}
}

static void
build_failures(struct render *r)
{
	const struct runbook *rb = r->rb;
	struct rblock *b;
	size_t i;

	doc_heading(r, 2, "failure-modes", "Failure modes");
	if (rb->nfailures == 0) {
		b = doc_add(r, RBLOCK_PARA);
		inl_text(r, &b->text, "No failure modes are written down yet.");
		return;
	}
	build_failure_table(r);
	for (i = 0; i < rb->nfailures; i++)
		build_failure(r, &rb->failures[i]);
}

static void
build_escalation(struct render *r)
{
	const struct escalation *e = &r->rb->escalation;
	struct rblock *b;
	char *cmd;

	doc_heading(r, 2, "escalation", "Escalation");
	b = doc_add(r, RBLOCK_PARA);
	if (e->contact == NULL && e->nbring == 0) {
		inl_text(r, &b->text, "No escalation path is written down.");
		return;
	}
	inl_text(r, &b->text, "If no failure mode matches, or a fix does not "
	    "verify, ");
	if (e->contact != NULL) {
		inl_text(r, &b->text, "contact ");
		inl_strong(r, &b->text, e->contact);
		inl_text(r, &b->text, e->nbring > 0 ? " and bring:" : ".");
	} else {
		inl_text(r, &b->text, "bring:");
	}
	if (e->nbring == 0)
		return;
	build_steps(r, e->bring, e->nbring, 0);
	b = doc_add(r, RBLOCK_PARA);
	cmd = xasprintf("triage %s", r->o->runbook_arg);
	inl_code(r, &b->text, cmd);
	free(cmd);
	inl_text(r, &b->text, " gathers this bundle by itself when nothing "
	    "matches.");
}

struct rdoc *
render_doc_build(const struct runbook *rb, const struct render_opts *o)
{
	struct render r;
	struct rblock *b;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.rb = rb;
	r.o = o;
	r.doc = xcalloc(1, sizeof(*r.doc));
	r.doc->title = runbook_redact(rb, rb->title != NULL ? rb->title :
	    rb->id);
	r.nsubs = render_subs(rb, &r.subs);
	r.walk = xcalloc(rb->triage.nnodes + 1, sizeof(*r.walk));
	r.node_num = xcalloc(rb->triage.nnodes + 1, sizeof(*r.node_num));
	if (rb->triage.present)
		r.nwalk = tree_walk_order(&rb->triage, r.walk, &r.nreach);
	for (i = 0; i < r.nwalk; i++)
		r.node_num[r.walk[i]] = i + 1;

	build_header(&r);
	build_env_note(&r);
	build_probes(&r);
	build_tree(&r);
	build_failures(&r);
	build_escalation(&r);

	b = doc_add(&r, RBLOCK_PARA);
	if (rb->path != NULL && strcmp(rb->path, "<builtin>") == 0) {
		inl_text(&r, &b->text, "Generated from the built-in host "
		    "runbook by ");
		inl_code(&r, &b->text, "triage render --builtin");
		inl_text(&r, &b->text, "; ");
		inl_code(&r, &b->text, "--format yaml");
		inl_text(&r, &b->text, " prints the runbook itself.");
	} else {
		inl_text(&r, &b->text, "Generated from ");
		inl_code(&r, &b->text, rb->path != NULL ? rb->path : rb->id);
		inl_text(&r, &b->text, " by ");
		inl_code(&r, &b->text, "triage render");
		inl_text(&r, &b->text, ". Change the runbook, not this page.");
	}

	free(r.walk);
	free(r.node_num);
	free(r.subs);
	return r.doc;
}

char *
render_markdown(const struct runbook *rb, const struct render_opts *o)
{
	struct rdoc *d = render_doc_build(rb, o);
	struct buf b;
	char *out;

	buf_init(&b, 0);
	render_md_write(&b, d);
	render_doc_free(d);
	/* The writers escape; redacting again costs little and is final. */
	out = runbook_redact(rb, buf_cstr(&b));
	buf_dispose(&b);
	return out;
}

char *
render_html(const struct runbook *rb, const struct render_opts *o)
{
	struct rdoc *d = render_doc_build(rb, o);
	struct buf b;
	char *out;

	buf_init(&b, 0);
	render_html_write(&b, d);
	render_doc_free(d);
	out = runbook_redact(rb, buf_cstr(&b));
	buf_dispose(&b);
	return out;
}

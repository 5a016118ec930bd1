/* SPDX-License-Identifier: MIT */
/* The runbook loader: YAML into the structs of runbook.h, validated whole. */
#include "runbook.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libfyaml.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expr.h"
#include "template.h"
#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define RUNBOOK_FILE_MAX (4u * 1024u * 1024u)	/* bytes in one file */
#define RUNBOOK_WORK_MAX 2000000u	/* nodes looked at: stops alias bombs */
#define RUNBOOK_ERRORS_MAX 100u		/* more are counted, not kept */

/*
 * The YAML tree. libfyaml's events become a small tree of our own, so that
 * every node keeps its FILE:LINE:COL. An alias is the anchored node itself
 * (shared, never copied); `<<` merge keys are resolved as each mapping
 * ends, and a repeated key is kept but marked.
 */

enum ytype {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
};

struct ynode;

struct yentry {
	struct ynode *key;		/* always a scalar */
	struct ynode *value;
	const struct ynode *dup_of;	/* the earlier key it repeats */
};

struct ynode {
	enum ytype type;
	enum fy_scalar_style style;
	char *text;			/* scalar */
	size_t content;			/* byte offset of the scalar's text */
	int content_col;		/* and its byte column */
	struct srcpos pos;		/* at the opening quote if quoted */
	struct ynode **items;		/* sequence */
	size_t nitems;
	struct yentry *entries;		/* mapping */
	size_t nentries;
	size_t cap;			/* of items or entries */
	int bad;			/* stands for a reported error */
	int nopos;			/* empty: libfyaml gave no mark */
	struct ynode *next;		/* every node, for freeing */
};

/* Where a probe or step stands, for its defaults and allowed keys. */
enum role {
	ROLE_PROBE,
	ROLE_EVIDENCE,
	ROLE_FIX,			/* fix and on_failure */
	ROLE_BRING,
};

struct loader {
	struct runbook *rb;
	struct diags *d;
	size_t nerrors;			/* found by this load */
	struct ynode *nodes;		/* every node, for freeing */
	size_t work;			/* nodes looked at */
	int overworked;
	struct template_vars tv;
	char **host_missing;		/* per host: an unset env it uses */
};

static const char *const top_keys[] = {
	"runbook", "title", "owner", "last_verified", "vars", "secrets",
	"hosts", "probes", "triage", "failures", "escalation", NULL,
};

static const char *const host_keys[] = {
	"ssh", "port", "identity", "known_hosts", NULL,
};

/* Keys every probe may have besides its kind's own. */
static const char *const probe_keys[] = {
	"layer", "description", "timeout", "needs", "on", "expect", "warn",
	"interval", "retries", "severity", "requires", NULL,
};

/* Keys of evidence and escalation steps besides the kind's... */
static const char *const step_keys[] = {
	"on", "timeout", "description", NULL,
};

/* ...and of fix and on_failure steps. */
static const char *const fix_step_keys[] = {
	"on", "timeout", "description", "dangerous", "continue_on_error",
	NULL,
};

static const char *const failure_keys[] = {
	"title", "layer", "when", "diagnosis", "evidence", "guard", "fix",
	"on_failure", "verify", "verify_timeout", "last_verified", "auto_fix",
	NULL,
};

static const char *const triage_keys[] = { "start", "nodes", NULL };
static const char *const node_keys[] = { "ask", "if", "then", "else", NULL };
static const char *const escalation_keys[] = { "contact", "bring", NULL };

/* The shape of an id: its first character, the rest, and how to say so. */
struct idrule {
	const char *what;
	const char *first;		/* like a regex bracket: "a-z0-9_-" */
	const char *rest;
	const char *help;
};

static const struct idrule id_runbook = { "runbook id", "a-z0-9_-",
	"a-z0-9_-", "use only a-z, 0-9, _ and -" };
static const struct idrule id_probe = { "probe id", "A-Za-z_",
	"A-Za-z0-9_-", "start with a letter or _, then letters, digits, _ "
	"or -" };
static const struct idrule id_failure = { "failure id", "a-z0-9",
	"a-z0-9_-", "start with a-z or 0-9, then a-z, 0-9, _ or -" };
static const struct idrule id_node = { "node id", "A-Za-z0-9_",
	"A-Za-z0-9_-", "use letters, digits, _ and -" };
static const struct idrule id_host = { "host name", "A-Za-z0-9_",
	"A-Za-z0-9_.-", "use letters, digits, _, . and -" };
static const struct idrule id_var = { "var name", "A-Za-z_",
	"A-Za-z0-9_-", "start with a letter or _, then letters, digits, _ "
	"or -" };
static const struct idrule id_env = { "environment variable name", "A-Z_",
	"A-Z0-9_", "use A-Z, 0-9 and _" };

/*
 * Small helpers: character classes, lists of names, "did you mean".
 */

static int
in_class(int c, const char *cls)
{
	for (; *cls != '\0'; cls++) {
		if (cls[1] == '-' && cls[2] != '\0') {
			if (c >= cls[0] && c <= cls[2])
				return 1;
			cls += 2;
		} else if (c == *cls) {
			return 1;
		}
	}
	return 0;
}

static int
id_valid(const struct idrule *r, const char *s)
{
	if (!in_class((unsigned char)*s, r->first))
		return 0;
	for (s++; *s != '\0'; s++) {
		if (!in_class((unsigned char)*s, r->rest))
			return 0;
	}
	return 1;
}

/* The entry of list (NULL-ended) equal to s, or NULL. */
static const char *
str_find(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return *list;
	}
	return NULL;
}

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

static void
suggest_init(struct suggest *s, const char *word, int all)
{
	s->word = word;
	s->len = strlen(word);
	s->best = NULL;
	s->dist = 3;		/* at most two edits away */
	s->collect = all;
	buf_init(&s->all, 4096);
}

/* Whether cand is already one of the ", "-separated names of list. */
static int
list_has(const char *list, const char *cand)
{
	size_t n = strlen(cand);
	const char *p;

	if (n == 0)
		return 1;
	for (p = list; (p = strstr(p, cand)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

static void
suggest_add(struct suggest *s, const char *cand)
{
	size_t len = strlen(cand);
	unsigned d;

	if (len == 0)
		return;
	if (s->collect && !list_has(buf_cstr(&s->all), cand))
		buf_printf(&s->all, "%s%s", s->all.len > 0 ? ", " : "", cand);
	/* The distance is at least the difference in length. */
	if (len + s->dist <= s->len || s->len + s->dist <= len)
		return;
	d = str_edit_distance(s->word, cand);
	if (d < s->dist && d < s->len && d < len) {
		s->best = cand;
		s->dist = d;
	}
}

static void
suggest_add_list(struct suggest *s, const char *const *list)
{
	for (; *list != NULL; list++)
		suggest_add(s, *list);
}

/* The hint (heap): "did you mean ...?", else prefix and every candidate
 * when prefix is given, else fallback (which may be NULL). */
static char *
suggest_hint(struct suggest *s, const char *prefix, const char *fallback)
{
	char *h;

	if (s->best != NULL)
		h = xasprintf("did you mean \"%s\"?", s->best);
	else if (prefix != NULL && s->all.len > 0)
		h = xasprintf("%s%s", prefix, buf_cstr(&s->all));
	else
		h = xstrdup(fallback);
	buf_dispose(&s->all);
	return h;
}

/*
 * Diagnostics. Every error goes through ld_error, which takes a heap hint
 * (or NULL) and frees it.
 */

static void PRINTFLIKE(5, 0)
ld_vadd(struct loader *ld, enum diag_level level, struct srcpos pos,
    char *hint, const char *fmt, va_list ap)
{
	char *msg;

	if (level == DIAG_ERROR && ld->nerrors++ >= RUNBOOK_ERRORS_MAX) {
		free(hint);
		return;
	}
	msg = xvasprintf(fmt, ap);
	diags_add(ld->d, level, pos, runbook_source(ld->rb, pos.file), hint,
	    "%s", msg);
	free(msg);
	free(hint);
}

static void PRINTFLIKE(4, 5)
ld_error(struct loader *ld, struct srcpos pos, char *hint, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vadd(ld, DIAG_ERROR, pos, hint, fmt, ap);
	va_end(ap);
}

static void PRINTFLIKE(4, 5)
ld_warning(struct loader *ld, struct srcpos pos, char *hint, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vadd(ld, DIAG_WARNING, pos, hint, fmt, ap);
	va_end(ap);
}

/* ld_spend: counts n more units of work; 0 once the runbook has cost too
 * much (reported once), so that loops stop. */
static int
ld_spend(struct loader *ld, size_t n)
{
	struct srcpos pos = { ld->rb->files[0].path, 0, 0 };

	if (ld->overworked)
		return 0;
	ld->work += n;
	if (ld->work <= RUNBOOK_WORK_MAX)
		return 1;
	ld->overworked = 1;
	ld_error(ld, pos, NULL, "the runbook is too large: its aliases and "
	    "merges expand past %u nodes", RUNBOOK_WORK_MAX);
	return 0;
}

static int
ynode_is_null(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
		NULL };

	return n->type == Y_SCALAR && n->style == FYSS_PLAIN &&
	    str_find(nulls, n->text) != NULL;
}

/* "KEY in CTX", or KEY alone when there is no context (the top level). */
static char *
key_in(const char *key, const char *ctx)
{
	return ctx != NULL ? xasprintf("%s in %s", key, ctx) : xstrdup(key);
}

/* ld_expected: "expected WHAT for KEY in CTX, got ..." at n. */
static void
ld_expected(struct loader *ld, const struct ynode *n, const char *what,
    const char *key, const char *ctx, char *hint)
{
	char *where, got[64];

	if (n->bad) {
		free(hint);
		return;
	}
	where = key_in(key, ctx);
	if (n->type == Y_SEQ)
		snprintf(got, sizeof(got), "a list");
	else if (n->type == Y_MAP)
		snprintf(got, sizeof(got), "a mapping");
	else if (ynode_is_null(n))
		snprintf(got, sizeof(got), "nothing");
	else if (strlen(n->text) > 40)
		snprintf(got, sizeof(got), "\"%.37s...\"", n->text);
	else
		snprintf(got, sizeof(got), "\"%s\"", n->text);
	ld_error(ld, n->pos, hint, "expected %s for %s, got %s", what, where,
	    got);
	free(where);
}

/* ld_duplicate: reports entry e, which repeats an earlier key. noun is
 * "key" (then ctx says where) or what the key names ("probe"). */
static void
ld_duplicate(struct loader *ld, const struct yentry *e, const char *noun,
    const char *ctx)
{
	const struct srcpos *first = &e->dup_of->pos;
	char *at;

	if (first->file == e->key->pos.file)
		at = xasprintf("line %d", first->line);
	else
		at = xasprintf("%s:%d", first->file, first->line);
	if (strcmp(noun, "key") == 0 && ctx != NULL)
		ld_error(ld, e->key->pos, NULL, "duplicate key \"%s\" in %s; "
		    "the first is at %s", e->key->text, ctx, at);
	else
		ld_error(ld, e->key->pos, NULL, "duplicate %s \"%s\"; the "
		    "first is at %s", noun, e->key->text, at);
	free(at);
}

/* ld_check_keys: reports each repeated key of map and each key not in
 * allowed, with a "did you mean" or the list of allowed keys. */
static void
ld_check_keys(struct loader *ld, const struct ynode *map,
    const char *const *allowed, const char *ctx)
{
	struct suggest sg;
	size_t i;

	for (i = 0; i < map->nentries && ld_spend(ld, 1); i++) {
		const struct yentry *e = &map->entries[i];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "key", ctx);
			continue;
		}
		if (str_find(allowed, e->key->text) != NULL)
			continue;
		suggest_init(&sg, e->key->text, 1);
		suggest_add_list(&sg, allowed);
		if (ctx != NULL)
			ld_error(ld, e->key->pos,
			    suggest_hint(&sg, "allowed here: ", NULL),
			    "unknown key \"%s\" in %s", e->key->text, ctx);
		else
			ld_error(ld, e->key->pos,
			    suggest_hint(&sg, "allowed here: ", NULL),
			    "unknown key \"%s\"", e->key->text);
	}
}

/* ld_check_id: reports s when it does not have the shape of rule. */
static int
ld_check_id(struct loader *ld, const struct idrule *rule, const char *s,
    struct srcpos pos)
{
	if (id_valid(rule, s))
		return 0;
	ld_error(ld, pos, NULL, "bad %s \"%s\": %s", rule->what, s,
	    rule->help);
	return -1;
}

/*
 * Building the tree from libfyaml's events.
 */

struct yframe {
	struct ynode *node;		/* the open sequence or mapping */
	struct ynode *key;		/* mapping: a key awaiting its value */
	char *anchor;
};

struct yanchor {
	char *name;
	struct ynode *node;
};

struct ybuild {
	struct loader *ld;
	const struct runbook_file *file;
	size_t len;
	size_t *lines;			/* byte offset where each line starts */
	size_t nlines;
	struct yframe *stack;
	size_t depth;
	size_t stack_cap;
	struct yanchor *anchors;
	size_t nanchors;
	struct ynode *root;
	int docs;
};

static struct ynode *
ynode_new(struct loader *ld, enum ytype type, struct srcpos pos)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->type = type;
	n->pos = pos;
	n->next = ld->nodes;
	ld->nodes = n;
	return n;
}

static void
ynode_push_item(struct ynode *seq, struct ynode *item)
{
	if (seq->nitems == seq->cap) {
		seq->cap = seq->cap != 0 ? seq->cap * 2 : 4;
		seq->items = xreallocarray(seq->items, seq->cap,
		    sizeof(*seq->items));
	}
	seq->items[seq->nitems++] = item;
}

static void
ynode_push_entry(struct ynode *map, struct ynode *key, struct ynode *value,
    const struct ynode *dup_of)
{
	if (map->nentries == map->cap) {
		map->cap = map->cap != 0 ? map->cap * 2 : 4;
		map->entries = xreallocarray(map->entries, map->cap,
		    sizeof(*map->entries));
	}
	map->entries[map->nentries].key = key;
	map->entries[map->nentries].value = value;
	map->entries[map->nentries].dup_of = dup_of;
	map->nentries++;
}

/* ymap_entry: the first entry of map whose key is key, or NULL. */
static const struct yentry *
ymap_entry(const struct ynode *map, const char *key)
{
	size_t i;

	for (i = 0; i < map->nentries; i++) {
		if (strcmp(map->entries[i].key->text, key) == 0)
			return &map->entries[i];
	}
	return NULL;
}

static struct ynode *
ymap_get(const struct ynode *map, const char *key)
{
	const struct yentry *e = ymap_entry(map, key);

	return e != NULL ? e->value : NULL;
}

static void
ybuild_lines(struct ybuild *b)
{
	const char *s = b->file->source;
	size_t i, n = 1;

	for (i = 0; i < b->len; i++)
		n += s[i] == '\n';
	b->lines = xreallocarray(NULL, n, sizeof(*b->lines));
	b->lines[0] = 0;
	b->nlines = 1;
	for (i = 0; i < b->len; i++) {
		if (s[i] == '\n')
			b->lines[b->nlines++] = i + 1;
	}
}

/* The position of byte offset off of the file. */
static struct srcpos
ybuild_pos(const struct ybuild *b, size_t off)
{
	size_t lo = 0, hi = b->nlines, mid;
	struct srcpos pos;

	if (off > b->len)
		off = b->len;
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (b->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	pos.file = b->file->path;
	pos.line = (int)lo + 1;
	pos.col = (int)(off - b->lines[lo]) + 1;
	return pos;
}

static struct srcpos
ybuild_mark_pos(const struct ybuild *b, const struct fy_mark *m)
{
	return ybuild_pos(b, m != NULL ? m->input_pos : 0);
}

/* libfyaml reports line and column in characters; we count bytes. */
static struct srcpos
ybuild_line_col_pos(const struct ybuild *b, int line, int col)
{
	const char *s = b->file->source;
	size_t off;
	int c;

	if (line < 1 || (size_t)line > b->nlines)
		return (struct srcpos){ b->file->path, 0, 0 };
	off = b->lines[line - 1];
	for (c = 1; c < col && off < b->len && s[off] != '\n'; c++) {
		off++;
		while (off < b->len && ((unsigned char)s[off] & 0xc0) == 0x80)
			off++;
	}
	return ybuild_pos(b, off);
}

/* The value of a single-quoted scalar from its raw text (between the
 * quotes): '' is a quote, and line breaks fold (YAML 1.2, 7.3.2). Done
 * here because libfyaml 0.7 mangles and leaks some such scalars. */
static char *
single_quoted_text(const char *raw, size_t len)
{
	const char *line = raw, *end = raw + len, *nl, *s, *e;
	size_t breaks = 0, i;
	struct buf b;
	int first = 1;

	buf_init(&b, 0);
	while (line <= end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		s = line;
		e = nl != NULL ? nl : end;
		if (!first)
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
		if (nl != NULL)
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
			    e[-1] == '\r'))
				e--;
		if (!first && s == e && nl != NULL) {
			breaks++;
		} else {
			if (!first && breaks == 0)
				buf_putc(&b, ' ');
			for (; breaks > 0; breaks--)
				buf_putc(&b, '\n');
			for (i = 0; s + i < e; i++) {
				buf_putc(&b, s[i]);
				if (s[i] == '\'' && s + i + 1 < e &&
				    s[i + 1] == '\'')
					i++;
			}
		}
		first = 0;
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return buf_steal(&b);
}

static struct ynode *
ybuild_scalar(struct ybuild *b, struct fy_event *ev)
{
	const struct fy_mark *m = fy_event_start_mark(ev);
	const struct fy_mark *em = fy_event_end_mark(ev);
	enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
	size_t off = m != NULL ? m->input_pos : 0, len = 0;
	const char *t = NULL;
	struct ynode *n;

	if (off > b->len)
		off = b->len;
	if (style != FYSS_SINGLE_QUOTED || em == NULL ||
	    em->input_pos < off || em->input_pos > b->len)
		t = fy_token_get_text(ev->scalar.value, &len);
	/* A block scalar's mark is at the start of its first content line. */
	if (style == FYSS_LITERAL || style == FYSS_FOLDED) {
		while (off < b->len && b->file->source[off] == ' ')
			off++;
	}
	n = ynode_new(b->ld, Y_SCALAR, ybuild_pos(b, off));
	n->nopos = m == NULL;
	n->style = style;
	if (t != NULL)
		n->text = xstrndup(t, len);
	else if (style == FYSS_SINGLE_QUOTED && em != NULL)
		n->text = single_quoted_text(b->file->source + off,
		    em->input_pos - off);
	else
		n->text = xstrdup("");
	n->content = off;
	n->content_col = n->pos.col;
	/* A quoted scalar's mark is after its quote: point at the quote. */
	if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) &&
	    n->pos.col > 1)
		n->pos.col--;
	return n;
}

static struct ynode *
ybuild_alias(struct ybuild *b, struct fy_event *ev)
{
	const char *name = fy_token_get_text0(ev->alias.anchor);
	struct srcpos pos = ybuild_mark_pos(b, fy_event_start_mark(ev));
	struct ynode *n;
	size_t i;

	if (name == NULL)
		name = "";
	/* A later anchor of the same name replaces an earlier one. */
	for (i = b->nanchors; i > 0; i--) {
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			return b->anchors[i - 1].node;
	}
	if (pos.col > 1)
		pos.col--;	/* at the '*' */
	ld_error(b->ld, pos, xasprintf("an alias *%s needs an anchor &%s on "
	    "an earlier node", name, name), "unknown alias \"*%s\"", name);
	n = ynode_new(b->ld, Y_SCALAR, pos);
	n->text = xstrdup("");
	n->bad = 1;
	return n;
}

static void
ybuild_anchor(struct ybuild *b, const char *name, struct ynode *n)
{
	if (name == NULL)
		return;
	b->anchors = xreallocarray(b->anchors, b->nanchors + 1,
	    sizeof(*b->anchors));
	b->anchors[b->nanchors].name = xstrdup(name);
	b->anchors[b->nanchors].node = n;
	b->nanchors++;
}

/* Hands a finished node to the open collection, or makes it the root. */
static void
ybuild_emit(struct ybuild *b, struct ynode *n)
{
	struct yframe *f;

	if (b->depth == 0) {
		b->root = n;
		return;
	}
	f = &b->stack[b->depth - 1];
	/* An empty value has no position of its own: use its key's, or
	 * its list's. */
	if (n->nopos) {
		n->pos = f->key != NULL ? f->key->pos : f->node->pos;
		n->nopos = 0;
	}
	if (f->node->type == Y_SEQ) {
		ynode_push_item(f->node, n);
	} else if (f->key == NULL) {
		f->key = n;
	} else {
		ynode_push_entry(f->node, f->key, n, NULL);
		f->key = NULL;
	}
}

static int
is_merge_key(const struct ynode *k)
{
	return k->style == FYSS_PLAIN && strcmp(k->text, "<<") == 0;
}

/* Whether a mapping's own (raw) entries give key, `<<` aside. */
static int
raw_has_key(const struct yentry *raw, size_t nraw, const char *key)
{
	size_t i;

	for (i = 0; i < nraw; i++) {
		if (raw[i].key->type == Y_SCALAR && !is_merge_key(raw[i].key) &&
		    strcmp(raw[i].key->text, key) == 0)
			return 1;
	}
	return 0;
}

/* Adds to map the entries of src that map does not give itself and that
 * no earlier merge gave. */
static void
ybuild_merge_one(struct ybuild *b, struct ynode *map, const struct yentry *raw,
    size_t nraw, const struct ynode *src)
{
	size_t i;

	for (i = 0; i < src->nentries; i++) {
		const struct yentry *e = &src->entries[i];

		if (!ld_spend(b->ld, 1 + (nraw + map->nentries) / 32))
			return;
		if (e->dup_of != NULL || raw_has_key(raw, nraw, e->key->text) ||
		    ymap_entry(map, e->key->text) != NULL)
			continue;
		ynode_push_entry(map, e->key, e->value, NULL);
	}
}

static void
ybuild_merge(struct ybuild *b, struct ynode *map, const struct yentry *raw,
    size_t nraw, const struct ynode *src)
{
	size_t i;

	if (src->type == Y_MAP) {
		ybuild_merge_one(b, map, raw, nraw, src);
		return;
	}
	if (src->type == Y_SEQ) {
		for (i = 0; i < src->nitems; i++) {
			if (src->items[i]->type == Y_MAP)
				ybuild_merge_one(b, map, raw, nraw,
				    src->items[i]);
			else
				ld_error(b->ld, src->items[i]->pos, NULL,
				    "a << merge takes mappings");
		}
		return;
	}
	ld_error(b->ld, src->pos, NULL, "a << merge takes a mapping or a list "
	    "of mappings");
}

/* Resolves a finished mapping: keys must be scalars, `<<` merges, and a
 * repeated key is kept with dup_of set (the loader reports it where it
 * knows what the key means). */
static void
ybuild_map_end(struct ybuild *b, struct ynode *map)
{
	struct yentry *raw = map->entries;
	const struct yentry *first;
	size_t nraw = map->nentries, i;

	map->entries = NULL;
	map->nentries = map->cap = 0;
	for (i = 0; i < nraw; i++) {
		struct ynode *k = raw[i].key;

		if (!ld_spend(b->ld, 1 + map->nentries / 32))
			break;
		if (k->type != Y_SCALAR) {
			ld_error(b->ld, k->pos, NULL, "a mapping key must be a "
			    "string");
			continue;
		}
		if (is_merge_key(k)) {
			ybuild_merge(b, map, raw, nraw, raw[i].value);
			continue;
		}
		first = ymap_entry(map, k->text);
		ynode_push_entry(map, k, raw[i].value,
		    first != NULL ? first->key : NULL);
	}
	free(raw);
}

static const char *
event_anchor(struct fy_event *ev)
{
	struct fy_token *t = NULL;

	if (ev->type == FYET_SCALAR)
		t = ev->scalar.anchor;
	else if (ev->type == FYET_SEQUENCE_START)
		t = ev->sequence_start.anchor;
	else if (ev->type == FYET_MAPPING_START)
		t = ev->mapping_start.anchor;
	return t != NULL ? fy_token_get_text0(t) : NULL;
}

/* Takes one event: 0 to go on, 1 to stop (the tree so far is usable), -1
 * to give up. */
static int
ybuild_event(struct ybuild *b, struct fy_event *ev)
{
	struct ynode *n;
	struct yframe *f;

	if (!ld_spend(b->ld, 1))
		return -1;
	switch (ev->type) {
	case FYET_DOCUMENT_START:
		if (++b->docs == 1)
			return 0;
		ld_error(b->ld, ybuild_mark_pos(b, fy_event_start_mark(ev)),
		    xstrdup("a runbook is one YAML document; to split it, "
		    "use a directory of files"), "a second YAML document");
		return 1;
	case FYET_SCALAR:
		n = ybuild_scalar(b, ev);
		ybuild_anchor(b, event_anchor(ev), n);
		ybuild_emit(b, n);
		return 0;
	case FYET_ALIAS:
		ybuild_emit(b, ybuild_alias(b, ev));
		return 0;
	case FYET_SEQUENCE_START:
	case FYET_MAPPING_START:
		n = ynode_new(b->ld, ev->type == FYET_SEQUENCE_START ? Y_SEQ :
		    Y_MAP, ybuild_mark_pos(b, fy_event_start_mark(ev)));
		if (b->depth == b->stack_cap) {
			b->stack_cap = b->stack_cap * 2 + 16;
			b->stack = xreallocarray(b->stack, b->stack_cap,
			    sizeof(*b->stack));
		}
		f = &b->stack[b->depth++];
		f->node = n;
		f->key = NULL;
		f->anchor = xstrdup(event_anchor(ev));
		return 0;
	case FYET_SEQUENCE_END:
	case FYET_MAPPING_END:
		if (b->depth == 0)
			return -1;
		f = &b->stack[--b->depth];
		n = f->node;
		if (n->type == Y_MAP)
			ybuild_map_end(b, n);
		ybuild_anchor(b, f->anchor, n);
		free(f->anchor);
		ybuild_emit(b, n);
		return 0;
	default:
		return 0;
	}
}

static void
fy_sink(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* Reports the first error libfyaml collected. */
static void
ybuild_syntax_error(struct ybuild *b, struct fy_diag *diag)
{
	struct fy_diag_error *de;
	void *iter = NULL;
	char *hint = NULL;

	while ((de = fy_diag_errors_iterate(diag, &iter)) != NULL) {
		if (de->type != FYET_ERROR || de->msg == NULL)
			continue;
		if (strstr(de->msg, "tab") != NULL)
			hint = xstrdup("indent with spaces, not tabs");
		else if (strstr(de->msg, "flow") != NULL)
			hint = xstrdup("is a { or [ before it left open?");
		ld_error(b->ld, ybuild_line_col_pos(b, de->line, de->column),
		    hint, "bad YAML: %s", de->msg);
		return;
	}
	ld_error(b->ld, ybuild_pos(b, b->len), NULL, "bad YAML");
}

/* yaml_parse: the tree of file f (*out is NULL when it is empty). -1
 * after a syntax error, which is reported. */
static int
yaml_parse(struct loader *ld, const struct runbook_file *f, size_t len,
    struct ynode **out)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg cfg;
	struct fy_diag *diag;
	struct fy_parser *fyp;
	struct fy_event *ev;
	struct ybuild b;
	int rc = 0;
	size_t i;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.ld = ld;
	b.file = f;
	b.len = len;
	ybuild_lines(&b);
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = fy_sink;
	dcfg.level = FYET_ERROR;
	dcfg.colorize = false;
	diag = fy_diag_create(&dcfg);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
	cfg.diag = diag;
	if (diag != NULL)
		fy_diag_set_collect_errors(diag, true);
	fyp = diag != NULL ? fy_parser_create(&cfg) : NULL;
	if (fyp == NULL || fy_parser_set_string(fyp, f->source, len) != 0) {
		ld_error(ld, (struct srcpos){ f->path, 0, 0 }, NULL,
		    "cannot start the YAML parser");
		rc = -1;
		goto out;
	}
	while (rc == 0 && (ev = fy_parser_parse(fyp)) != NULL) {
		rc = ybuild_event(&b, ev);
		fy_parser_event_free(fyp, ev);
	}
	if (rc >= 0 && fy_parser_get_stream_error(fyp)) {
		ybuild_syntax_error(&b, diag);
		rc = -1;
	}
	if (rc >= 0)
		*out = b.root;
	rc = rc < 0 ? -1 : 0;
out:
	if (fyp != NULL)
		fy_parser_destroy(fyp);
	if (diag != NULL)
		fy_diag_destroy(diag);
	for (i = 0; i < b.depth; i++)
		free(b.stack[i].anchor);
	for (i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	free(b.stack);
	free(b.lines);
	return rc;
}

/*
 * Scalars: strings, templated strings, booleans, numbers, durations,
 * sizes and dates.
 */

/* ld_string: the text of scalar n, or NULL after "expected a string". */
static const char *
ld_string(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx)
{
	if (n->type == Y_SCALAR && !ynode_is_null(n))
		return n->text;
	ld_expected(ld, n, "a string", key, ctx, NULL);
	return NULL;
}

/* ld_text: the text of scalar n with {{...}} expanded (heap), or NULL
 * after an error. The first unset environment variable it uses goes to
 * *missing when missing is given and *missing is NULL. */
static char *
ld_text(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing)
{
	const char *s = ld_string(ld, n, key, ctx);
	char *out, *cause, *hint, *unset = NULL;

	if (s == NULL)
		return NULL;
	if (template_expand(&ld->tv, s, &out, missing != NULL ? missing :
	    &unset, &cause, &hint) != 0) {
		ld_error(ld, n->pos, hint, "%s in %s of %s", cause, key, ctx);
		free(cause);
		free(unset);
		return NULL;
	}
	free(unset);
	return out;
}

static int
ld_bool(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };

	if (n->type == Y_SCALAR && n->style == FYSS_PLAIN) {
		if (str_find(yes, n->text) != NULL) {
			*out = 1;
			return 0;
		}
		if (str_find(no, n->text) != NULL) {
			*out = 0;
			return 0;
		}
	}
	ld_expected(ld, n, "true or false", key, ctx, NULL);
	return -1;
}

/* ld_int: a whole number (templated); its text goes to *text (heap) for
 * range messages. */
static int
ld_int(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, long *out, char **text)
{
	char *s = ld_text(ld, n, key, ctx, missing);

	*text = s;
	if (s == NULL)
		return -1;
	if (str_to_long(s, LONG_MIN, LONG_MAX, out) == 0)
		return 0;
	ld_expected(ld, n, "a whole number", key, ctx, NULL);
	return -1;
}

static int
is_bare_number(const char *s)
{
	size_t digits = 0;

	for (; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s))
			digits++;
		else if (*s != '.')
			return 0;
	}
	return digits > 0;
}

/* ld_duration: a duration in seconds (templated); positive asks for more
 * than zero. */
static int
ld_duration(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, int positive, double *out)
{
	char *s = ld_text(ld, n, key, ctx, missing);
	int rc = -1;

	if (s == NULL)
		return -1;
	if (duration_parse(s, out) != 0) {
		if (is_bare_number(s))
			ld_error(ld, n->pos, NULL, "bad duration \"%s\" for "
			    "%s: write a unit, e.g. %ss", s, key, s);
		else
			ld_error(ld, n->pos, NULL, "bad duration \"%s\" for "
			    "%s: write e.g. 300ms, 5s, 2m or 1h30m", s, key);
	} else if (positive && *out <= 0) {
		ld_error(ld, n->pos, NULL, "bad duration \"%s\" for %s: it "
		    "must be more than 0", s, key);
	} else {
		rc = 0;
	}
	free(s);
	return rc;
}

/* ld_size: "64KiB", "1MB" or a number of bytes (templated). */
static int
ld_size(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, json_int_t *out)
{
	char *s = ld_text(ld, n, key, ctx, missing);
	double v;
	long l;
	int rc = 0;

	if (s == NULL)
		return -1;
	if (str_to_long(s, 0, LONG_MAX, &l) == 0) {
		*out = l;
	} else if (size_parse(s, &v) == 0 && v >= 0 && v < 9.0e15) {
		*out = (json_int_t)v;
	} else {
		ld_error(ld, n->pos, NULL, "bad size \"%s\" for %s: write e.g. "
		    "64KiB, 1MB or a number of bytes", s, key);
		rc = -1;
	}
	free(s);
	return rc;
}

static int
date_valid(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int i, y, m, d;

	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' :
		    !isdigit((unsigned char)s[i]))
			return 0;
	}
	if (s[10] != '\0')
		return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0));
}

/* ld_date: a YYYY-MM-DD that exists (heap), or NULL. */
static char *
ld_date(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx)
{
	const char *s = ld_string(ld, n, key, ctx);

	if (s == NULL)
		return NULL;
	if (date_valid(s))
		return xstrdup(s);
	ld_error(ld, n->pos, NULL, "bad date \"%s\" for %s: write YYYY-MM-DD, "
	    "a day that exists", s, key);
	return NULL;
}

/* ylist: the nodes of *v taken as a list: its items, or *v alone. */
static struct ynode **
ylist(struct ynode **v, size_t *n)
{
	if ((*v)->type == Y_SEQ) {
		*n = (*v)->nitems;
		return (*v)->items;
	}
	*n = 1;
	return v;
}

/*
 * Conditions.
 */

/* The position of byte col (1-based) inside a scalar's text: exact when the
 * text up to there stands as it is in the file (a one-line plain or quoted
 * scalar without escapes, or the first line of a block scalar), else the
 * scalar's own position. */
static struct srcpos
ld_inner_pos(struct loader *ld, const struct ynode *n, const char *text,
    size_t col)
{
	const char *src = runbook_source(ld->rb, n->pos.file);
	size_t k = col > 0 ? col - 1 : 0, len = strlen(text);
	struct srcpos pos = n->pos;

	/* At the end of a block scalar: point after its first line. */
	if (k >= len && len > 0 && text[len - 1] == '\n' &&
	    memchr(text, '\n', len - 1) == NULL)
		k = len - 1;
	if (src == NULL || strcmp(text, n->text) != 0 || k > strlen(text) ||
	    memchr(text, '\n', k) != NULL ||
	    strncmp(src + n->content, text, k) != 0)
		return pos;
	pos.col = n->content_col + (int)k;
	return pos;
}

struct refcheck {
	struct loader *ld;
	const struct ynode *n;
};

static void
refcheck_name(void *arg, const char *name)
{
	struct refcheck *rc = arg;
	struct runbook *rb = rc->ld->rb;
	struct suggest sg;
	size_t i;

	if (runbook_probe_index(rb, name) >= 0)
		return;
	suggest_init(&sg, name, 0);
	for (i = 0; i < rb->nprobes; i++)
		suggest_add(&sg, rb->probes[i].id);
	ld_error(rc->ld, rc->n->pos, suggest_hint(&sg, NULL, "if, when and "
	    "guard read probe results by probe id, e.g. PROBE.ok"),
	    "condition reads \"%s\", which is not a probe", name);
}

/* ld_condition: scalar n parsed as a condition (templated), or NULL after
 * an error. With probe_roots, every root it reads must be a probe id. */
static struct expr *
ld_condition(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, int probe_roots)
{
	char *src = ld_text(ld, n, key, ctx, missing), *cause = NULL;
	size_t col = 0;
	struct expr *e;

	if (src == NULL)
		return NULL;
	e = expr_parse(src, &cause, &col);
	if (e == NULL) {
		ld_error(ld, ld_inner_pos(ld, n, src, col), NULL,
		    "bad condition in %s of %s: %s", key, ctx,
		    cause != NULL ? cause : "cannot parse it");
	} else if (probe_roots) {
		struct refcheck rc = { ld, n };

		expr_refs(e, refcheck_name, &rc);
	}
	free(cause);
	free(src);
	return e;
}

/* ld_conditions: a condition or a list of them into *out. */
static void
ld_conditions(struct loader *ld, struct ynode *v, const char *key,
    const char *ctx, char **missing, int probe_roots, struct expr ***out,
    size_t *nout)
{
	struct ynode **items;
	struct expr *e;
	size_t n, i;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a condition or a list of conditions", key,
		    ctx, NULL);
		return;
	}
	items = ylist(&v, &n);
	*out = xcalloc(n, sizeof(**out));
	for (i = 0; i < n && ld_spend(ld, 1); i++) {
		e = ld_condition(ld, items[i], key, ctx, missing, probe_roots);
		if (e != NULL)
			(*out)[(*nout)++] = e;
	}
	if (*nout == 0) {
		free(*out);
		*out = NULL;
	}
}

/*
 * Probes and steps.
 */

static const struct field_spec *
kind_field(const struct probe_kind *k, const char *key)
{
	const struct field_spec *f;

	for (f = k->fields; f->name != NULL; f++) {
		if (strcmp(f->name, key) == 0)
			return f;
	}
	return NULL;
}

/* "http, tcp, command (or shell), ..." (heap). */
static char *
kinds_list(void)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; probe_kinds[i] != NULL; i++) {
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", probe_kinds[i]->name);
		if (probe_kinds[i]->alias != NULL)
			buf_printf(&b, " (or %s)", probe_kinds[i]->alias);
	}
	return buf_steal(&b);
}

/* "command, nagios, ..." (heap): the kinds that can run on a host. */
static char *
remote_kinds_list(void)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; probe_kinds[i] != NULL; i++) {
		if (probe_kinds[i]->flags & PROBE_KIND_REMOTE)
			buf_printf(&b, "%s%s", b.len > 0 ? ", " : "",
			    probe_kinds[i]->name);
	}
	return buf_steal(&b);
}

/* Sets p->kind from the one kind key of body; reports a second one. */
static void
probe_find_kind(struct loader *ld, struct probe *p, const struct ynode *body,
    const char *ctx)
{
	const struct yentry *first = NULL;
	const struct probe_kind *k;
	size_t i;

	for (i = 0; i < body->nentries; i++) {
		const struct yentry *e = &body->entries[i];

		if (e->dup_of != NULL ||
		    (k = probe_kind_find(e->key->text)) == NULL)
			continue;
		if (first == NULL) {
			first = e;
			p->kind = k;
		} else if (k != p->kind) {
			ld_error(ld, e->key->pos, xstrdup("one probe or step "
			    "checks one thing; split it in two"),
			    "%s has two kinds: \"%s\" and \"%s\"", ctx,
			    first->key->text, e->key->text);
		}
	}
}

static void
probe_note_pos(struct probe *p, const char *key, struct srcpos pos)
{
	p->param_pos[p->nparam_pos].key = key;
	p->param_pos[p->nparam_pos].pos = pos;
	p->nparam_pos++;
}

static json_t *
ld_json_string(struct loader *ld, const struct ynode *n, const char *s)
{
	json_t *j = json_string(s);

	if (j == NULL)
		ld_error(ld, n->pos, NULL, "not valid UTF-8");
	return j;
}

/* A list of strings (templated) as a JSON array, or NULL. */
static json_t *
param_strings(struct loader *ld, struct probe *p, const char *key,
    struct ynode *v, const char *ctx)
{
	struct ynode **items;
	json_t *a = json_array(), *j;
	size_t n, i;
	char *s;

	items = ylist(&v, &n);
	for (i = 0; i < n && ld_spend(ld, 1); i++) {
		s = ld_text(ld, items[i], key, ctx, &p->missing_env);
		if (s == NULL)
			continue;
		j = ld_json_string(ld, items[i], s);
		if (j != NULL)
			json_array_append_new(a, j);
		free(s);
	}
	if (json_array_size(a) != n) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* A mapping of strings (values templated) as a JSON object, or NULL. */
static json_t *
param_map(struct loader *ld, struct probe *p, const char *key,
    const struct ynode *v, const char *ctx)
{
	json_t *o = json_object(), *j;
	size_t i, errors = ld->nerrors;
	char *s, *sub;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping", key, ctx, NULL);
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < v->nentries && ld_spend(ld, 1); i++) {
		const struct yentry *e = &v->entries[i];

		if (e->dup_of != NULL) {
			sub = key_in(key, ctx);
			ld_duplicate(ld, e, "key", sub);
			free(sub);
			continue;
		}
		sub = xasprintf("%s.%s", key, e->key->text);
		s = ld_text(ld, e->value, sub, ctx, &p->missing_env);
		free(sub);
		if (s == NULL)
			continue;
		j = ld_json_string(ld, e->value, s);
		if (j != NULL && json_object_set_new(o, e->key->text, j) != 0)
			ld_error(ld, e->key->pos, NULL, "not valid UTF-8");
		free(s);
	}
	if (ld->nerrors != errors) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Converts the value of one of the kind's keys into p->params. */
static void
probe_param_load(struct loader *ld, struct probe *p,
    const struct field_spec *f, struct ynode *v, const char *ctx)
{
	json_t *j = NULL;
	json_int_t size;
	double secs;
	long l;
	int b;
	char *s;

	switch (f->type) {
	case FIELD_STRING:
		s = ld_text(ld, v, f->name, ctx, &p->missing_env);
		if (s != NULL)
			j = ld_json_string(ld, v, s);
		free(s);
		break;
	case FIELD_BOOL:
		if (ld_bool(ld, v, f->name, ctx, &b) == 0)
			j = json_boolean(b);
		break;
	case FIELD_INT:
		if (ld_int(ld, v, f->name, ctx, &p->missing_env, &l, &s) == 0) {
			if (l < 0)
				ld_error(ld, v->pos, NULL, "bad %s \"%s\": it "
				    "must be 0 or more", f->name, s);
			else
				j = json_integer(l);
		}
		free(s);
		break;
	case FIELD_DURATION:
		if (ld_duration(ld, v, f->name, ctx, &p->missing_env, 0,
		    &secs) == 0)
			j = json_real(secs);
		break;
	case FIELD_SIZE:
		if (ld_size(ld, v, f->name, ctx, &p->missing_env, &size) == 0)
			j = json_integer(size);
		break;
	case FIELD_ARGV:
		if (v->type != Y_SEQ)
			ld_expected(ld, v, "a list of strings", f->name, ctx,
			    v->type == Y_SCALAR ? xstrdup("write it as a list, "
			    "e.g. [systemctl, is-active, nginx]; a command "
			    "never passes through a shell") : NULL);
		else if (v->nitems == 0)
			ld_error(ld, v->pos, NULL, "%s in %s is an empty list: "
			    "write at least the program to run", f->name, ctx);
		else
			j = param_strings(ld, p, f->name, v, ctx);
		break;
	case FIELD_STRINGS:
		if (v->type == Y_MAP)
			ld_expected(ld, v, "a list of strings", f->name, ctx,
			    NULL);
		else
			j = param_strings(ld, p, f->name, v, ctx);
		break;
	case FIELD_MAP:
		j = param_map(ld, p, f->name, v, ctx);
		break;
	}
	if (j != NULL)
		json_object_set_new(p->params, f->name, j);
}

static void
probe_needs(struct loader *ld, struct probe *p, struct ynode *v,
    const char *ctx)
{
	struct ynode **items;
	struct suggest sg;
	const char *s;
	size_t n, i, k;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a probe id or a list of them", "needs", ctx,
		    NULL);
		return;
	}
	items = ylist(&v, &n);
	p->needs = xcalloc(n, sizeof(*p->needs));
	for (i = 0; i < n && ld_spend(ld, 1); i++) {
		if ((s = ld_string(ld, items[i], "needs", ctx)) == NULL)
			continue;
		if (strcmp(s, p->id) == 0) {
			ld_error(ld, items[i]->pos, NULL, "%s needs itself",
			    ctx);
			continue;
		}
		if (runbook_probe_index(ld->rb, s) < 0) {
			suggest_init(&sg, s, 0);
			for (k = 0; k < ld->rb->nprobes; k++)
				suggest_add(&sg, ld->rb->probes[k].id);
			ld_error(ld, items[i]->pos, suggest_hint(&sg, NULL,
			    NULL), "%s needs unknown probe \"%s\"", ctx, s);
			continue;
		}
		p->needs[p->nneeds++] = xstrdup(s);
	}
}

static void
probe_requires(struct loader *ld, struct probe *p, struct ynode *v,
    const char *ctx)
{
	struct ynode **items;
	const char *s;
	size_t n, i;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a command name or a list of them",
		    "requires", ctx, NULL);
		return;
	}
	items = ylist(&v, &n);
	p->requires = xcalloc(n, sizeof(*p->requires));
	for (i = 0; i < n && ld_spend(ld, 1); i++) {
		if ((s = ld_string(ld, items[i], "requires", ctx)) == NULL)
			continue;
		if (strpbrk(s, " \t\n") != NULL ||
		    (s[0] != '/' && strchr(s, '/') != NULL)) {
			ld_error(ld, items[i]->pos, NULL, "bad requires \"%s\" "
			    "in %s: write a command name or an absolute path",
			    s, ctx);
			continue;
		}
		p->requires[p->nrequires++] = xstrdup(s);
	}
}

static void
probe_on(struct loader *ld, struct probe *p, const struct ynode *v,
    const char *ctx)
{
	struct runbook *rb = ld->rb;
	struct suggest sg;
	const char *s = ld_string(ld, v, "on", ctx);
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < rb->nhosts; i++) {
		if (strcmp(rb->hosts[i].name, s) == 0) {
			p->on = &rb->hosts[i];
			return;
		}
	}
	suggest_init(&sg, s, 0);
	for (i = 0; i < rb->nhosts; i++)
		suggest_add(&sg, rb->hosts[i].name);
	ld_error(ld, v->pos, suggest_hint(&sg, NULL, "define it under hosts:"),
	    "unknown host \"%s\" in %s", s, ctx);
}

/* Loads one of the keys every probe (or step) may have. */
static void
probe_common(struct loader *ld, struct probe *p, struct step *st,
    const char *key, struct ynode *v, const char *ctx)
{
	enum probe_state sev;
	const char *s;
	long l;
	char *text;

	if (strcmp(key, "layer") == 0) {
		if ((s = ld_string(ld, v, key, ctx)) != NULL) {
			free(p->layer);
			p->layer = xstrdup(s);
		}
	} else if (strcmp(key, "description") == 0) {
		p->description = ld_text(ld, v, key, ctx, NULL);
	} else if (strcmp(key, "timeout") == 0) {
		ld_duration(ld, v, key, ctx, &p->missing_env, 1, &p->timeout);
	} else if (strcmp(key, "interval") == 0) {
		ld_duration(ld, v, key, ctx, &p->missing_env, 1, &p->interval);
	} else if (strcmp(key, "retries") == 0) {
		if (ld_int(ld, v, key, ctx, &p->missing_env, &l, &text) == 0) {
			if (l < 1 || l > INT_MAX)
				ld_error(ld, v->pos, NULL, "bad retries \"%s\" "
				    "in %s: it must be 1 or more", text, ctx);
			else
				p->retries = (int)l;
		}
		free(text);
	} else if (strcmp(key, "severity") == 0) {
		if ((s = ld_string(ld, v, key, ctx)) == NULL)
			return;
		if (probe_state_parse(s, &sev) != 0 || sev == STATE_OK ||
		    sev == STATE_SKIPPED)
			ld_error(ld, v->pos, NULL, "bad severity \"%s\" in %s: "
			    "write warning, critical or unknown", s, ctx);
		else
			p->severity = sev;
	} else if (strcmp(key, "needs") == 0) {
		probe_needs(ld, p, v, ctx);
	} else if (strcmp(key, "on") == 0) {
		probe_on(ld, p, v, ctx);
	} else if (strcmp(key, "expect") == 0) {
		ld_conditions(ld, v, key, ctx, &p->missing_env, 0, &p->expect,
		    &p->nexpect);
	} else if (strcmp(key, "warn") == 0) {
		ld_conditions(ld, v, key, ctx, &p->missing_env, 0, &p->warn,
		    &p->nwarn);
	} else if (strcmp(key, "requires") == 0) {
		probe_requires(ld, p, v, ctx);
	} else if (strcmp(key, "dangerous") == 0) {
		if ((s = ld_string(ld, v, key, ctx)) != NULL)
			st->dangerous = xstrdup(s);
	} else if (strcmp(key, "continue_on_error") == 0) {
		ld_bool(ld, v, key, ctx, &st->continue_on_error);
	}
}

static void
probe_unknown_key(struct loader *ld, const struct probe *p,
    const struct ynode *key, const char *const *common, const char *ctx)
{
	const struct field_spec *f;
	struct suggest sg;
	size_t i;

	suggest_init(&sg, key->text, 1);
	suggest_add_list(&sg, common);
	for (i = 0; probe_kinds[i] != NULL; i++) {
		if (p->kind != NULL && probe_kinds[i] != p->kind)
			continue;
		if (p->kind == NULL)
			suggest_add(&sg, probe_kinds[i]->name);
		for (f = probe_kinds[i]->fields; f->name != NULL; f++) {
			if (p->kind != NULL || strcmp(f->name,
			    probe_kinds[i]->name) != 0)
				suggest_add(&sg, f->name);
		}
	}
	ld_error(ld, key->pos, suggest_hint(&sg, "allowed here: ", NULL),
	    "unknown key \"%s\" in %s", key->text, ctx);
}

/* probe_load: fills p (whose id, layer and pos are set) from body, a
 * probe's mapping or, with st, a step's. ctx names it in messages. */
static void
probe_load(struct loader *ld, struct probe *p, struct step *st,
    const struct ynode *body, enum role role, const char *ctx)
{
	const char *const *common = role == ROLE_PROBE ? probe_keys :
	    role == ROLE_FIX ? fix_step_keys : step_keys;
	const struct ynode *on = NULL;
	const struct field_spec *f;
	const char *ck;
	size_t i, errors = ld->nerrors, unknown = 0;
	char *cause = NULL, *list;

	p->params = json_object();
	p->timeout = role == ROLE_PROBE ? 5 : role == ROLE_FIX ? 30 : 10;
	p->interval = 30;
	p->retries = 1;
	p->severity = STATE_CRITICAL;
	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", ctx, NULL, NULL);
		return;
	}
	p->param_pos = xcalloc(body->nentries, sizeof(*p->param_pos));
	probe_find_kind(ld, p, body, ctx);
	for (i = 0; i < body->nentries && ld_spend(ld, 1); i++) {
		const struct yentry *e = &body->entries[i];
		const char *key = e->key->text;

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "key", ctx);
		} else if ((ck = str_find(common, key)) != NULL) {
			probe_note_pos(p, ck, e->value->pos);
			if (strcmp(ck, "on") == 0)
				on = e->value;
			probe_common(ld, p, st, ck, e->value, ctx);
		} else if (p->kind != NULL &&
		    (f = kind_field(p->kind, key)) != NULL) {
			probe_note_pos(p, f->name, e->value->pos);
			probe_param_load(ld, p, f, e->value, ctx);
		} else if (probe_kind_find(key) != NULL) {
			/* a second kind, reported by probe_find_kind */
		} else if (role != ROLE_PROBE && (strcmp(key, "expect") == 0 ||
		    strcmp(key, "warn") == 0 || strcmp(key, "needs") == 0)) {
			ld_error(ld, e->key->pos, xstrdup("a step just runs; "
			    "checks belong in probes"),
			    "%s is not allowed in a step", key);
		} else if (str_find(fix_step_keys, key) != NULL) {
			ld_error(ld, e->key->pos, NULL, "%s is only allowed in "
			    "fix and on_failure steps", key);
		} else {
			probe_unknown_key(ld, p, e->key, common, ctx);
			unknown++;
		}
	}
	if (p->kind == NULL) {
		if (unknown == 0) {
			list = kinds_list();
			ld_error(ld, p->pos, xasprintf("give it one of: %s",
			    list), "%s has no kind", ctx);
			free(list);
		}
		return;
	}
	for (f = p->kind->fields; f->name != NULL; f++) {
		if ((f->flags & FIELD_REQUIRED) &&
		    ymap_entry(body, f->name) == NULL)
			ld_error(ld, p->pos, NULL, "missing required key "
			    "\"%s\" in %s", f->name, ctx);
	}
	if (on != NULL && p->on != NULL &&
	    !(p->kind->flags & PROBE_KIND_REMOTE)) {
		list = remote_kinds_list();
		ld_error(ld, on->pos, xasprintf("kinds that can: %s", list),
		    "probe kind \"%s\" cannot run on a host", p->kind->name);
		free(list);
	}
	if (p->on != NULL && p->missing_env == NULL) {
		char *m = ld->host_missing[p->on - ld->rb->hosts];

		p->missing_env = xstrdup(m);
	}
	/* An unset environment variable skips the probe at run time; its
	 * half-filled parameters are not the kind's to judge. */
	if (ld->nerrors != errors || p->missing_env != NULL ||
	    p->kind->prepare == NULL)
		return;
	p->err_field = NULL;
	if (p->kind->prepare(p, &cause) != 0) {
		ld_error(ld, p->err_field != NULL ? probe_param_srcpos(p,
		    p->err_field) : p->pos, NULL, "%s: %s", ctx,
		    cause != NULL ? cause : "invalid");
		free(cause);
	}
}

/* steps_load: the list of steps at v, for owner's list ("fix"). */
static void
steps_load(struct loader *ld, struct ynode *v, const char *owner_id,
    const char *owner_ctx, const char *list, enum role role,
    const char *layer, struct step **out, size_t *nout)
{
	size_t i;
	char *ctx;

	if (v->type != Y_SEQ) {
		ld_expected(ld, v, "a list of steps", list, owner_ctx, NULL);
		return;
	}
	*out = xcalloc(v->nitems, sizeof(**out));
	*nout = v->nitems;
	for (i = 0; i < v->nitems && ld_spend(ld, 1); i++) {
		struct probe *p = &(*out)[i].probe;

		p->id = xasprintf("%s.%s[%zu]", owner_id, list, i);
		p->layer = xstrdup(layer);
		p->pos = v->items[i]->pos;
		ctx = xasprintf("step %s[%zu] of %s", list, i, owner_ctx);
		probe_load(ld, p, &(*out)[i], v->items[i], role, ctx);
		free(ctx);
	}
}

static void
probes_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	size_t i, n = 0;
	char *ctx;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of probe ids", "probes", NULL,
		    NULL);
		return;
	}
	rb->probes = xcalloc(v->nentries, sizeof(*rb->probes));
	/* Every id first, so that needs: can name a later probe. */
	for (i = 0; i < v->nentries; i++) {
		const struct yentry *e = &v->entries[i];
		struct probe *p = &rb->probes[n];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "probe", NULL);
			continue;
		}
		ld_check_id(ld, &id_probe, e->key->text, e->key->pos);
		p->id = xstrdup(e->key->text);
		p->layer = xstrdup("default");
		p->pos = e->key->pos;
		n++;
	}
	rb->nprobes = n;
	for (i = 0, n = 0; i < v->nentries && ld_spend(ld, 1); i++) {
		if (v->entries[i].dup_of != NULL)
			continue;
		ctx = xasprintf("probe \"%s\"", v->entries[i].key->text);
		probe_load(ld, &rb->probes[n++], NULL, v->entries[i].value,
		    ROLE_PROBE, ctx);
		free(ctx);
	}
}

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

static void
needs_check_cycles(struct loader *ld)
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
 * Hosts, vars and secrets.
 */

static int
ssh_target_valid(const char *s)
{
	const char *at = strchr(s, '@');

	if (*s == '\0' || *s == '-' || strpbrk(s, " \t\n'\"`;") != NULL)
		return 0;
	if (at == NULL)
		return 1;
	return at != s && at[1] != '\0' && at[1] != '-' &&
	    strchr(at + 1, '@') == NULL;
}

static void
host_load(struct loader *ld, struct host *h, char **missing,
    const struct ynode *body)
{
	struct ynode *v;
	char *ctx = xasprintf("host \"%s\"", h->name), *text = NULL;
	long port;

	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", ctx, NULL, NULL);
		free(ctx);
		return;
	}
	ld_check_keys(ld, body, host_keys, ctx);
	if ((v = ymap_get(body, "ssh")) == NULL) {
		ld_error(ld, h->pos, xstrdup("e.g. ssh: deploy@10.0.0.5"),
		    "missing required key \"ssh\" in %s", ctx);
	} else if ((h->ssh = ld_text(ld, v, "ssh", ctx, missing)) != NULL &&
	    *missing == NULL && !ssh_target_valid(h->ssh)) {
		ld_error(ld, v->pos, NULL, "bad ssh \"%s\" for %s: write "
		    "user@address or address", h->ssh, ctx);
	}
	if ((v = ymap_get(body, "port")) != NULL &&
	    ld_int(ld, v, "port", ctx, missing, &port, &text) == 0) {
		if (port < 1 || port > 65535)
			ld_error(ld, v->pos, NULL, "bad port \"%s\" for %s: it "
			    "must be 1-65535", text, ctx);
		else
			h->port = (int)port;
	}
	free(text);
	if ((v = ymap_get(body, "identity")) != NULL)
		h->identity = ld_text(ld, v, "identity", ctx, missing);
	if ((v = ymap_get(body, "known_hosts")) != NULL)
		h->known_hosts = ld_text(ld, v, "known_hosts", ctx, missing);
	free(ctx);
}

static void
hosts_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	size_t i;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of host names", "hosts", NULL,
		    NULL);
		return;
	}
	rb->hosts = xcalloc(v->nentries, sizeof(*rb->hosts));
	ld->host_missing = xcalloc(v->nentries, sizeof(*ld->host_missing));
	for (i = 0; i < v->nentries && ld_spend(ld, 1); i++) {
		const struct yentry *e = &v->entries[i];
		struct host *h = &rb->hosts[rb->nhosts];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "host", NULL);
			continue;
		}
		ld_check_id(ld, &id_host, e->key->text, e->key->pos);
		h->name = xstrdup(e->key->text);
		h->pos = e->key->pos;
		host_load(ld, h, &ld->host_missing[rb->nhosts], e->value);
		rb->nhosts++;
	}
}

static void
vars_load(struct loader *ld, const struct ynode *v)
{
	char *out, *cause, *hint, *missing;
	const char *s;
	size_t i;
	json_t *j;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of var names", "vars", NULL,
		    NULL);
		return;
	}
	ld->tv.no_vars = 1;
	for (i = 0; i < v->nentries && ld_spend(ld, 1); i++) {
		const struct yentry *e = &v->entries[i];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "var", NULL);
			continue;
		}
		if (ld_check_id(ld, &id_var, e->key->text, e->key->pos) != 0 ||
		    (s = ld_string(ld, e->value, e->key->text, "vars")) == NULL)
			continue;
		missing = NULL;
		if (template_expand(&ld->tv, s, &out, &missing, &cause,
		    &hint) != 0) {
			ld_error(ld, e->value->pos, hint, "%s in var \"%s\"",
			    cause, e->key->text);
			free(cause);
			free(missing);
			continue;
		}
		if ((j = ld_json_string(ld, e->value, out)) != NULL)
			json_object_set_new(ld->rb->vars, e->key->text, j);
		if (missing != NULL)
			json_object_set_new(ld->tv.missing, e->key->text,
			    json_string(missing));
		free(missing);
		free(out);
	}
	ld->tv.no_vars = 0;
}

static int
longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

static void
secrets_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	const char *s, *val;
	size_t i, k;

	if (v->type != Y_SEQ) {
		ld_expected(ld, v, "a list of environment variable names",
		    "secrets", NULL, NULL);
		return;
	}
	rb->secrets = xcalloc(v->nitems, sizeof(*rb->secrets));
	rb->secret_values = xcalloc(v->nitems, sizeof(*rb->secret_values));
	for (i = 0; i < v->nitems && ld_spend(ld, 1); i++) {
		if ((s = ld_string(ld, v->items[i], "secrets", NULL)) == NULL ||
		    ld_check_id(ld, &id_env, s, v->items[i]->pos) != 0)
			continue;
		for (k = 0; k < rb->nsecrets; k++) {
			if (strcmp(rb->secrets[k], s) == 0)
				break;
		}
		if (k < rb->nsecrets)
			continue;
		rb->secrets[rb->nsecrets++] = xstrdup(s);
		val = getenv(s);
		if (val != NULL && *val != '\0')
			rb->secret_values[rb->nsecret_values++] = xstrdup(val);
	}
	qsort(rb->secret_values, rb->nsecret_values,
	    sizeof(*rb->secret_values), longest_first);
	ld->tv.secrets = rb->secrets;
	ld->tv.nsecrets = rb->nsecrets;
}

/*
 * Failures, the triage tree and escalation.
 */

static long
failure_index(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; i < rb->nfailures; i++) {
		if (strcmp(rb->failures[i].id, id) == 0)
			return (long)i;
	}
	return -1;
}

static long
node_index(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; i < rb->triage.nnodes; i++) {
		if (strcmp(rb->triage.nodes[i].id, id) == 0)
			return (long)i;
	}
	return -1;
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
	items = ylist(&v, &n);
	f->verify = xcalloc(n, sizeof(*f->verify));
	for (i = 0; i < n && ld_spend(ld, 1); i++) {
		if ((s = ld_string(ld, items[i], "verify", ctx)) == NULL)
			continue;
		if ((idx = runbook_probe_index(ld->rb, s)) < 0) {
			suggest_init(&sg, s, 0);
			for (k = 0; k < ld->rb->nprobes; k++)
				suggest_add(&sg, ld->rb->probes[k].id);
			ld_error(ld, items[i]->pos, suggest_hint(&sg, NULL,
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
		    &f->nguard);
	if ((v = ymap_get(body, "evidence")) != NULL)
		steps_load(ld, v, f->id, ctx, "evidence", ROLE_EVIDENCE,
		    f->layer, &f->evidence, &f->nevidence);
	if ((v = ymap_get(body, "fix")) != NULL)
		steps_load(ld, v, f->id, ctx, "fix", ROLE_FIX, f->layer,
		    &f->fix, &f->nfix);
	if ((v = ymap_get(body, "on_failure")) != NULL)
		steps_load(ld, v, f->id, ctx, "on_failure", ROLE_FIX, f->layer,
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
	free(ctx);
}

static void
failures_load(struct loader *ld, const struct ynode *v)
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
	for (i = 0, n = 0; i < v->nentries && ld_spend(ld, 1); i++) {
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

	suggest_init(&sg, s, 0);
	for (i = 0; nodes && i < rb->triage.nnodes; i++)
		suggest_add(&sg, rb->triage.nodes[i].id);
	for (i = 0; i < rb->nfailures; i++)
		suggest_add(&sg, rb->failures[i].id);
	return suggest_hint(&sg, NULL, NULL);
}

/* A then/else: a node id, or a failure id or a list of them. */
static void
tree_branch(struct loader *ld, struct tbranch *br, struct ynode *v,
    const char *key, const char *ctx)
{
	const struct runbook *rb = ld->rb;
	const char *s;
	size_t i;
	long k;

	br->pos = v->pos;
	if (v->type == Y_SCALAR && !ynode_is_null(v)) {
		if ((k = node_index(rb, v->text)) >= 0) {
			br->is_node = 1;
			br->node = (size_t)k;
		} else if ((k = failure_index(rb, v->text)) >= 0) {
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
	for (i = 0; i < v->nitems && ld_spend(ld, 1); i++) {
		if ((s = ld_string(ld, v->items[i], key, ctx)) == NULL)
			continue;
		if ((k = failure_index(rb, s)) >= 0)
			br->failures[br->nfailures++] = (size_t)k;
		else if (node_index(rb, s) >= 0)
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

static void
tree_load(struct loader *ld, const struct yentry *te)
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
	for (i = 0, n = 0; i < nodes->nentries && ld_spend(ld, 1); i++) {
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
		if ((k = node_index(ld->rb, v->text)) >= 0)
			t->start = (size_t)k;
		else
			ld_error(ld, v->pos, branch_hint(ld, v->text, 1),
			    "start names unknown node \"%s\"", v->text);
	}
	tree_check_paths(ld);
}

static void
escalation_load(struct loader *ld, const struct ynode *body)
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
		steps_load(ld, v, "escalation", "escalation", "bring",
		    ROLE_BRING, "escalation", &esc->bring, &esc->nbring);
}

/*
 * The whole runbook.
 */

static void
runbook_build(struct loader *ld, const struct ynode *root)
{
	struct runbook *rb = ld->rb;
	const struct yentry *e;
	struct ynode *v;
	struct srcpos top = { rb->files[0].path, 0, 0 };
	const char *s;

	if (root == NULL || ynode_is_null(root)) {
		ld_error(ld, top, xstrdup("start with runbook: NAME"),
		    "the runbook is empty");
		return;
	}
	if (root->type != Y_MAP) {
		ld_expected(ld, root, "a mapping", "the runbook", NULL, NULL);
		return;
	}
	ld_check_keys(ld, root, top_keys, NULL);
	if ((v = ymap_get(root, "runbook")) == NULL)
		ld_error(ld, root->pos, xstrdup("name the runbook first, e.g. "
		    "runbook: web-prod"), "missing required key \"runbook\"");
	else if ((s = ld_string(ld, v, "runbook", NULL)) != NULL &&
	    ld_check_id(ld, &id_runbook, s, v->pos) == 0)
		rb->id = xstrdup(s);
	if ((v = ymap_get(root, "title")) != NULL &&
	    (s = ld_string(ld, v, "title", NULL)) != NULL)
		rb->title = xstrdup(s);
	if ((v = ymap_get(root, "owner")) != NULL &&
	    (s = ld_string(ld, v, "owner", NULL)) != NULL)
		rb->owner = xstrdup(s);
	if ((v = ymap_get(root, "last_verified")) != NULL) {
		rb->last_verified = ld_date(ld, v, "last_verified", NULL);
		rb->last_verified_pos = v->pos;
	}
	/* In order of use: secrets for the hints of vars, vars and hosts
	 * for what follows, probes before what reads them. */
	if ((v = ymap_get(root, "secrets")) != NULL)
		secrets_load(ld, v);
	if ((v = ymap_get(root, "vars")) != NULL)
		vars_load(ld, v);
	if ((v = ymap_get(root, "hosts")) != NULL)
		hosts_load(ld, v);
	if ((v = ymap_get(root, "probes")) != NULL)
		probes_load(ld, v);
	needs_check_cycles(ld);
	if ((v = ymap_get(root, "failures")) != NULL)
		failures_load(ld, v);
	if ((e = ymap_entry(root, "triage")) != NULL)
		tree_load(ld, e);
	if ((v = ymap_get(root, "escalation")) != NULL)
		escalation_load(ld, v);
}

/*
 * Directories: the top-level mappings of several files become one. The
 * sections below combine; any other key given twice is a duplicate.
 */

enum merge_how {
	MERGE_MAP,			/* the entries of both */
	MERGE_LIST,			/* the items of both */
};

static const struct {
	const char *path;
	enum merge_how how;
} merge_rules[] = {
	{ "vars", MERGE_MAP },
	{ "secrets", MERGE_LIST },
	{ "hosts", MERGE_MAP },
	{ "probes", MERGE_MAP },
	{ "failures", MERGE_MAP },
	{ "triage", MERGE_MAP },
	{ "triage.nodes", MERGE_MAP },
	{ "escalation", MERGE_MAP },
	{ "escalation.bring", MERGE_LIST },
};

static int
merge_rule(const char *prefix, const char *key, enum merge_how *how)
{
	size_t i, plen = strlen(prefix);

	for (i = 0; i < ARRAY_LEN(merge_rules); i++) {
		const char *p = merge_rules[i].path;

		if (plen == 0 ? strcmp(p, key) == 0 :
		    strncmp(p, prefix, plen) == 0 && p[plen] == '.' &&
		    strcmp(p + plen + 1, key) == 0) {
			*how = merge_rules[i].how;
			return 0;
		}
	}
	return -1;
}

/* A fresh node with the contents of n, so merging never changes a node
 * that an alias may share. */
static struct ynode *
ynode_copy(struct loader *ld, const struct ynode *n)
{
	struct ynode *c = ynode_new(ld, n->type, n->pos);
	size_t i;

	for (i = 0; i < n->nitems; i++)
		ynode_push_item(c, n->items[i]);
	for (i = 0; i < n->nentries; i++)
		ynode_push_entry(c, n->entries[i].key, n->entries[i].value,
		    n->entries[i].dup_of);
	return c;
}

static int
merge_fits(enum merge_how how, const struct ynode *a, const struct ynode *b)
{
	enum ytype t = how == MERGE_MAP ? Y_MAP : Y_SEQ;

	return a->type == t && b->type == t;
}

/* Adds the entries of src to dst, combining the sections under prefix
 * ("" at the top) that merge_rules names. */
static void
ymerge_map(struct loader *ld, struct ynode *dst, const struct ynode *src,
    const char *prefix)
{
	const struct yentry *old;
	struct ynode *into;
	enum merge_how how;
	size_t i, j;
	char *sub;

	for (i = 0; i < src->nentries && ld_spend(ld, 1); i++) {
		const struct yentry *e = &src->entries[i];

		old = e->dup_of == NULL ? ymap_entry(dst, e->key->text) : NULL;
		if (old == NULL) {
			ynode_push_entry(dst, e->key, e->value, e->dup_of);
			continue;
		}
		if (merge_rule(prefix, e->key->text, &how) != 0 ||
		    !merge_fits(how, old->value, e->value)) {
			ynode_push_entry(dst, e->key, e->value, old->key);
			continue;
		}
		into = ynode_copy(ld, old->value);
		dst->entries[old - dst->entries].value = into;
		if (how == MERGE_LIST) {
			for (j = 0; j < e->value->nitems; j++)
				ynode_push_item(into, e->value->items[j]);
			continue;
		}
		sub = *prefix != '\0' ? xasprintf("%s.%s", prefix,
		    e->key->text) : xstrdup(e->key->text);
		ymerge_map(ld, into, e->value, sub);
		free(sub);
	}
}

/* The top-level mappings of every file as one; NULL after an error. */
static struct ynode *
ymerge_files(struct loader *ld, struct ynode *const *roots, size_t n)
{
	struct ynode *top = NULL;
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		struct srcpos pos = { ld->rb->files[i].path, 0, 0 };

		if (roots[i] == NULL || ynode_is_null(roots[i]))
			continue;
		if (roots[i]->type != Y_MAP) {
			ld_error(ld, roots[i]->pos, NULL, "expected a mapping "
			    "at the top of %s", pos.file);
			bad = 1;
			continue;
		}
		if (top == NULL)
			top = ynode_new(ld, Y_MAP, roots[i]->pos);
		ymerge_map(ld, top, roots[i], "");
	}
	return bad ? NULL : top;
}

/*
 * Loading, freeing, lookups.
 */

/* The position of byte offset off in file f. */
static struct srcpos
text_pos(const struct runbook_file *f, size_t off)
{
	struct srcpos pos = { f->path, 1, 1 };
	size_t i;

	for (i = 0; i < off; i++) {
		if (f->source[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

/* utf8_invalid: the offset of the first byte of s that is not valid
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF included),
 * or len when all of it is. */
static size_t
utf8_invalid(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return i;
		i += n + 1;
	}
	return len;
}

/* Drops repeated diagnostics (a node shared through an alias is checked
 * once per use) and redacts secret values from the new ones. */
static void
diags_tidy(struct loader *ld, size_t first)
{
	struct diags *d = ld->d;
	size_t i, j, n = first;
	char *s;

	for (i = first; i < d->n; i++) {
		struct diag *g = &d->v[i];

		for (j = first; j < n; j++) {
			if (strcmp(d->v[j].file, g->file) == 0 &&
			    d->v[j].line == g->line && d->v[j].col == g->col &&
			    strcmp(d->v[j].message, g->message) == 0)
				break;
		}
		if (j < n) {
			if (g->level == DIAG_ERROR)
				d->errors--;
			else
				d->warnings--;
			free(g->file);
			free(g->message);
			free(g->hint);
			free(g->source_line);
			continue;
		}
		s = runbook_redact(ld->rb, g->message);
		free(g->message);
		g->message = s;
		s = runbook_redact(ld->rb, g->hint);
		free(g->hint);
		g->hint = s;
		d->v[n++] = *g;
	}
	d->n = n;
	if (ld->nerrors > RUNBOOK_ERRORS_MAX)
		diags_add(d, DIAG_ERROR, (struct srcpos){ ld->rb->files[0].path,
		    0, 0 }, NULL, NULL, "%zu more errors not shown",
		    ld->nerrors - RUNBOOK_ERRORS_MAX);
	diags_sort(d);
}

/* Loads rb, whose files are read (lens: their lengths). */
static int
runbook_load(struct runbook *rb, const size_t *lens, struct runbook **out,
    struct diags *d)
{
	struct loader ld;
	struct ynode **roots, *root = NULL, *next;
	size_t i, first = d->n;
	int parsed = 1;

	memset(&ld, 0, sizeof(ld));
	ld.rb = rb;
	ld.d = d;
	rb->vars = json_object();
	ld.tv.values = rb->vars;
	ld.tv.missing = json_object();
	roots = xcalloc(rb->nfiles, sizeof(*roots));
	for (i = 0; i < rb->nfiles; i++) {
		const char *src = rb->files[i].source;
		const char *nul = memchr(src, '\0', lens[i]);
		size_t bad = utf8_invalid(src, lens[i]);

		/* Checked here, not left to libfyaml, which can loop
		 * forever on some invalid UTF-8. */
		if (nul != NULL || bad < lens[i]) {
			ld_error(&ld, text_pos(&rb->files[i], nul != NULL ?
			    (size_t)(nul - src) : bad), NULL, "%s: a runbook "
			    "is UTF-8 text", nul != NULL ? "a NUL byte" :
			    "invalid UTF-8");
			parsed = 0;
		} else if (yaml_parse(&ld, &rb->files[i], lens[i],
		    &roots[i]) != 0) {
			parsed = 0;
		}
	}
	if (parsed) {
		root = rb->nfiles == 1 ? roots[0] :
		    ymerge_files(&ld, roots, rb->nfiles);
		if (rb->nfiles == 1 || root != NULL || ld.nerrors == 0)
			runbook_build(&ld, root);
	}
	for (; ld.nodes != NULL; ld.nodes = next) {
		next = ld.nodes->next;
		free(ld.nodes->text);
		free(ld.nodes->items);
		free(ld.nodes->entries);
		free(ld.nodes);
	}
	for (i = 0; ld.host_missing != NULL && i < rb->nhosts; i++)
		free(ld.host_missing[i]);
	free(ld.host_missing);
	json_decref(ld.tv.missing);
	free(roots);
	diags_tidy(&ld, first);
	if (ld.nerrors > 0) {
		runbook_free(rb);
		*out = NULL;
		return -1;
	}
	*out = rb;
	return 0;
}

int
runbook_load_string(const char *name, const char *text, size_t len,
    struct runbook **out, struct diags *d)
{
	struct runbook *rb;

	*out = NULL;
	if (len > RUNBOOK_FILE_MAX) {
		diags_add(d, DIAG_ERROR, (struct srcpos){ name, 0, 0 }, NULL,
		    NULL, "larger than %u MiB; is it a runbook?",
		    RUNBOOK_FILE_MAX / (1024u * 1024u));
		return -1;
	}
	rb = xcalloc(1, sizeof(*rb));
	rb->path = xstrdup(name);
	rb->files = xcalloc(1, sizeof(*rb->files));
	rb->nfiles = 1;
	rb->files[0].path = xstrdup(name);
	rb->files[0].source = xmalloc(len + 1);
	memcpy(rb->files[0].source, text, len);
	rb->files[0].source[len] = '\0';
	rb->source = rb->files[0].source;
	return runbook_load(rb, &len, out, d);
}

/* read_file: the whole of path (heap, NUL-terminated) and its length. */
static int
read_file(const char *path, char **out, size_t *len, char **cause)
{
	char chunk[65536];
	struct buf b;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	buf_init(&b, RUNBOOK_FILE_MAX);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*cause = xasprintf("cannot read: %s", strerror(errno));
			break;
		}
		if (r == 0) {
			close(fd);
			*len = b.len;
			*out = buf_steal(&b);
			return 0;
		}
		if (buf_append(&b, chunk, (size_t)r) != 0) {
			*cause = xasprintf("larger than %u MiB; is it a "
			    "runbook?", RUNBOOK_FILE_MAX / (1024u * 1024u));
			break;
		}
	}
	close(fd);
	buf_dispose(&b);
	return -1;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' &&
	    ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

/* The *.yaml and *.yml files of dir, sorted (heap array of heap paths). */
static int
list_yaml(const char *dir, char ***out, size_t *n, char **cause)
{
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
	struct dirent *de;
	struct stat st;
	char *path;
	DIR *dp;

	*out = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!is_yaml_name(de->d_name))
			continue;
		path = xasprintf("%s%s%s", dir, sep, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = path;
	}
	closedir(dp);
	if (*n == 0) {
		*cause = xstrdup("no *.yaml or *.yml files in this directory");
		return -1;
	}
	qsort(*out, *n, sizeof(**out), name_cmp);
	return 0;
}

int
runbook_load_file(const char *path, struct runbook **out, struct diags *d)
{
	struct runbook *rb;
	struct stat st;
	struct buf joined;
	char **paths = NULL, *cause = NULL;
	size_t n = 0, i, *lens;
	int rc;

	*out = NULL;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (list_yaml(path, &paths, &n, &cause) != 0)
			goto fail;
	} else {
		paths = xcalloc(1, sizeof(*paths));
		paths[n++] = xstrdup(path);
	}
	rb = xcalloc(1, sizeof(*rb));
	rb->path = xstrdup(path);
	rb->files = xcalloc(n, sizeof(*rb->files));
	rb->nfiles = n;
	lens = xcalloc(n, sizeof(*lens));
	for (i = 0; i < n; i++)
		rb->files[i].path = paths[i];
	free(paths);
	for (i = 0; i < n; i++) {
		if (read_file(rb->files[i].path, &rb->files[i].source, &lens[i],
		    &cause) != 0) {
			diags_add(d, DIAG_ERROR, (struct srcpos){
			    rb->files[i].path, 0, 0 }, NULL, NULL, "%s", cause);
			free(cause);
			free(lens);
			runbook_free(rb);
			return -1;
		}
	}
	if (n == 1) {
		rb->source = rb->files[0].source;
	} else {
		buf_init(&joined, 0);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_puts(&joined, "---\n");
			buf_append(&joined, rb->files[i].source, lens[i]);
			if (lens[i] > 0 && rb->files[i].source[lens[i] - 1] !=
			    '\n')
				buf_putc(&joined, '\n');
		}
		rb->source = buf_steal(&joined);
	}
	rc = runbook_load(rb, lens, out, d);
	free(lens);
	return rc;
fail:
	diags_add(d, DIAG_ERROR, (struct srcpos){ path, 0, 0 }, NULL, NULL,
	    "%s", cause);
	free(cause);
	return -1;
}

static void
probe_dispose(struct probe *p)
{
	size_t i;

	if (p->kind != NULL && p->kind->release != NULL && p->priv != NULL)
		p->kind->release(p);
	free(p->id);
	free(p->layer);
	free(p->description);
	json_decref(p->params);
	free(p->param_pos);
	for (i = 0; i < p->nexpect; i++)
		expr_free(p->expect[i]);
	free(p->expect);
	for (i = 0; i < p->nwarn; i++)
		expr_free(p->warn[i]);
	free(p->warn);
	for (i = 0; i < p->nneeds; i++)
		free(p->needs[i]);
	free(p->needs);
	for (i = 0; i < p->nrequires; i++)
		free(p->requires[i]);
	free(p->requires);
	free(p->missing_env);
}

static void
steps_free(struct step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		probe_dispose(&s[i].probe);
		free(s[i].dangerous);
	}
	free(s);
}

static void
failure_dispose(struct failure *f)
{
	size_t i;

	free(f->id);
	free(f->title);
	free(f->layer);
	free(f->diagnosis);
	expr_free(f->when);
	steps_free(f->evidence, f->nevidence);
	for (i = 0; i < f->nguard; i++)
		expr_free(f->guard[i]);
	free(f->guard);
	steps_free(f->fix, f->nfix);
	steps_free(f->on_failure, f->non_failure);
	free(f->verify);
	free(f->last_verified);
}

void
runbook_free(struct runbook *rb)
{
	size_t i;

	if (rb == NULL)
		return;
	for (i = 0; i < rb->nprobes; i++)
		probe_dispose(&rb->probes[i]);
	free(rb->probes);
	for (i = 0; i < rb->nfailures; i++)
		failure_dispose(&rb->failures[i]);
	free(rb->failures);
	for (i = 0; i < rb->triage.nnodes; i++) {
		free(rb->triage.nodes[i].id);
		free(rb->triage.nodes[i].ask);
		expr_free(rb->triage.nodes[i].cond);
		free(rb->triage.nodes[i].then_branch.failures);
		free(rb->triage.nodes[i].else_branch.failures);
	}
	free(rb->triage.nodes);
	free(rb->escalation.contact);
	steps_free(rb->escalation.bring, rb->escalation.nbring);
	for (i = 0; i < rb->nhosts; i++) {
		free(rb->hosts[i].name);
		free(rb->hosts[i].ssh);
		free(rb->hosts[i].identity);
		free(rb->hosts[i].known_hosts);
	}
	free(rb->hosts);
	for (i = 0; i < rb->nsecrets; i++)
		free(rb->secrets[i]);
	free(rb->secrets);
	for (i = 0; i < rb->nsecret_values; i++)
		free(rb->secret_values[i]);
	free(rb->secret_values);
	json_decref(rb->vars);
	free(rb->id);
	free(rb->title);
	free(rb->owner);
	free(rb->last_verified);
	if (rb->nfiles != 1 || rb->source != rb->files[0].source)
		free(rb->source);
	for (i = 0; i < rb->nfiles; i++) {
		free(rb->files[i].path);
		free(rb->files[i].source);
	}
	free(rb->files);
	free(rb->path);
	free(rb);
}

const char *
runbook_source(const struct runbook *rb, const char *file)
{
	size_t i;

	if (rb == NULL || file == NULL)
		return NULL;
	for (i = 0; i < rb->nfiles; i++) {
		if (rb->files[i].path == file ||
		    strcmp(rb->files[i].path, file) == 0)
			return rb->files[i].source;
	}
	return NULL;
}

long
runbook_probe_index(const struct runbook *rb, const char *id)
{
	size_t i;

	for (i = 0; i < rb->nprobes; i++) {
		if (rb->probes[i].id != NULL &&
		    strcmp(rb->probes[i].id, id) == 0)
			return (long)i;
	}
	return -1;
}

char *
runbook_redact(const struct runbook *rb, const char *s)
{
	struct buf b;
	size_t i, len;

	if (s == NULL)
		return NULL;
	if (rb == NULL || rb->nsecret_values == 0)
		return xstrdup(s);
	buf_init(&b, 0);
	while (*s != '\0') {
		/* secret_values is sorted longest first. */
		for (i = 0; i < rb->nsecret_values; i++) {
			len = strlen(rb->secret_values[i]);
			if (strncmp(s, rb->secret_values[i], len) == 0)
				break;
		}
		if (i < rb->nsecret_values) {
			buf_puts(&b, "***");
			s += len;
		} else {
			buf_putc(&b, *s++);
		}
	}
	return buf_steal(&b);
}

void
runbook_redact_json(const struct runbook *rb, json_t *v)
{
	const char *key;
	json_t *item;
	char **keys = NULL, *r;
	size_t i, n = 0;

	if (rb == NULL || v == NULL || rb->nsecret_values == 0)
		return;
	if (json_is_string(v)) {
		r = runbook_redact(rb, json_string_value(v));
		if (strcmp(r, json_string_value(v)) != 0 &&
		    json_string_set(v, r) != 0)
			json_string_set(v, "***");
		free(r);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			runbook_redact_json(rb, item);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			runbook_redact_json(rb, item);
			r = runbook_redact(rb, key);
			if (strcmp(r, key) != 0) {
				keys = xreallocarray(keys, n + 1,
				    sizeof(*keys));
				keys[n++] = xstrdup(key);
			}
			free(r);
		}
		for (i = 0; i < n; i++) {
			item = json_incref(json_object_get(v, keys[i]));
			json_object_del(v, keys[i]);
			r = runbook_redact(rb, keys[i]);
			json_object_set_new(v, r, item);
			free(r);
			free(keys[i]);
		}
		free(keys);
	}
}

/* SPDX-License-Identifier: MIT */
/* The loader's YAML tree: libfyaml events into position-carrying nodes. */
#include "yaml-tree.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "runbook-index.h"
#include "util/buf.h"
#include "util/xmalloc.h"
#include "util/utf8.h"

/* Nodes that aliases and merges may bring in (stops alias bombs): each is
 * walked again by the loader, for every use. Nodes written in the text are
 * not counted: their number is bounded by its size. */
#define YTREE_COPY_MAX 2000000u

/* A mapping with this many entries gets an index of its keys. */
#define YMAP_INDEX_MIN 16u

/* A scalar counts as one node per this many bytes of text (and one), so
 * that an alias of a long string costs what copying it costs. */
#define YSCALAR_BYTES_PER_NODE 32u

/* Nodes and their text come from chunks of this size, freed together. */
#define YARENA_CHUNK (64u * 1024u)

/* One chunk of the tree's memory. */
struct yarena {
	struct yarena *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

/*
 * The tree itself: memory, errors, work, nodes.
 */

/* n zeroed bytes that live as long as t. */
static void *
ytree_alloc(struct ytree *t, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	struct yarena *a = t->arena;
	size_t size;
	char *p;

	n = (n + align - 1) / align * align;
	if (a == NULL || a->size - a->used < n) {
		size = n > YARENA_CHUNK / 4 ? n : YARENA_CHUNK;
		a = xmalloc(sizeof(*a) + size);
		a->size = size;
		a->used = 0;
		/* A chunk for one large request goes behind the current one,
		 * which may still have room. */
		if (t->arena != NULL && size != YARENA_CHUNK) {
			a->next = t->arena->next;
			t->arena->next = a;
		} else {
			a->next = t->arena;
			t->arena = a;
		}
	}
	p = (char *)a->data + a->used;
	a->used += n;
	memset(p, 0, n);
	return p;
}

/* A copy of the len bytes at s, NUL-terminated, that lives as long as t. */
static char *
ytree_strndup(struct ytree *t, const char *s, size_t len)
{
	char *p = ytree_alloc(t, len + 1);

	memcpy(p, s, len);
	return p;
}

static void PRINTFLIKE(4, 5)
ytree_error(struct ytree *t, struct srcpos pos, char *hint, const char *fmt,
    ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	t->error(t->arg, pos, hint, msg);
	free(msg);
}

void
ytree_init(struct ytree *t, const char *top, ytree_error_fn error, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->error = error;
	t->arg = arg;
	t->top = top;
}

void
ytree_dispose(struct ytree *t)
{
	struct yarena *a, *next;
	struct ynode *n;
	size_t i;

	for (i = 0; i < t->nowners; i++) {
		n = t->owners[i];
		if (n->merged) {
			free(n->items);
			free(n->entries);
		}
		if (n->index != NULL)
			keyindex_dispose(n->index);
	}
	free(t->owners);
	t->owners = NULL;
	t->nowners = t->owners_cap = 0;
	for (a = t->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	t->arena = NULL;
}

/* ytree_copy: counts n more nodes brought in by an alias or a merge; 0
 * once there are too many (reported once), so that building stops. */
static int
ytree_copy(struct ytree *t, size_t n)
{
	struct srcpos pos = { t->top, 0, 0 };

	if (t->overworked)
		return 0;
	t->copied = n < YTREE_COPY_MAX ? t->copied + n : YTREE_COPY_MAX + 1u;
	if (t->copied <= YTREE_COPY_MAX)
		return 1;
	t->overworked = 1;
	ytree_error(t, pos, NULL, "the runbook is too large: its aliases and "
	    "merges expand past %u nodes", YTREE_COPY_MAX);
	return 0;
}

/* a + b, stopping at a bound far past YTREE_COPY_MAX instead of wrapping:
 * nested aliases grow expanded sizes exponentially. */
static uint32_t
esize_add(uint32_t a, uint32_t b)
{
	const uint32_t cap = YTREE_COPY_MAX * 4u;

	return a >= cap || b >= cap || a + b >= cap ? cap : a + b;
}

/* Notes that n holds heap memory (merged arrays, an index) to free. */
static void
ytree_own(struct ytree *t, struct ynode *n)
{
	if (t->nowners == t->owners_cap) {
		t->owners_cap = t->owners_cap * 2 + 16;
		t->owners = xreallocarray(t->owners, t->owners_cap,
		    sizeof(*t->owners));
	}
	t->owners[t->nowners++] = n;
}

/* A copy in t of the n elements of size size at v (NULL when n is 0). */
static void *
ytree_dup(struct ytree *t, const void *v, size_t n, size_t size)
{
	void *p;

	if (n == 0)
		return NULL;
	p = ytree_alloc(t, n * size);
	memcpy(p, v, n * size);
	return p;
}

int
ynode_is_null(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL",
		NULL };
	size_t i;

	if (n->type != Y_SCALAR || n->style != FYSS_PLAIN)
		return 0;
	for (i = 0; nulls[i] != NULL; i++) {
		if (strcmp(nulls[i], n->text) == 0)
			return 1;
	}
	return 0;
}

struct ynode **
ynode_list(struct ynode **v, size_t *n)
{
	if ((*v)->type == Y_SEQ) {
		*n = (*v)->nitems;
		return (*v)->items;
	}
	*n = 1;
	return v;
}

/*
 * Building the tree from libfyaml's events.
 */

struct yframe {
	struct ynode *node;		/* the open sequence or mapping */
	struct ynode *key;		/* mapping: a key awaiting its value */
	size_t start;			/* where its children begin on the
					 * stack of items or entries */
	char *anchor;
};

struct yanchor {
	char *name;
	struct ynode *node;
};

struct ybuild {
	struct ytree *t;
	const struct runbook_file *file;
	size_t len;
	size_t *lines;			/* byte offset where each line starts */
	size_t nlines;
	size_t line;			/* of the last position, a hint */
	struct yframe *stack;
	size_t depth;
	size_t stack_cap;
	struct yanchor *anchors;	/* one per name: the latest node */
	size_t nanchors;
	struct keyindex anchor_index;	/* name -> its place in anchors */
	/* The children of the open collections, innermost last: each gets
	 * an array of the right size in the tree when it ends. */
	struct ynode **items;
	size_t nitems;
	size_t items_cap;
	struct yentry *entries;
	size_t nentries;
	size_t entries_cap;
	/* The entries of the mapping being resolved, and once it is large
	 * an index of their keys (handed to the mapping). */
	struct yentry *res;
	size_t nres;
	size_t res_cap;
	struct keyindex res_index;
	int res_indexed;
	struct ynode *root;
	int docs;
};

static struct ynode *
ynode_new(struct ytree *t, enum ytype type, struct srcpos pos)
{
	struct ynode *n = ytree_alloc(t, sizeof(*n));

	n->type = type;
	n->pos = pos;
	return n;
}

/* Appends an item to a merged sequence (its array is on the heap). */
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

/* Appends an entry to a merged mapping (its array is on the heap). */
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

static const char *
ymap_key_of(const void *arg, size_t pos)
{
	const struct ynode *map = arg;

	return map->entries[pos].key->text;
}

/* Appends an entry to a merged mapping (every key a scalar, the node an
 * owner of t), keeping its index of keys once it is large. */
static void
ymap_add(struct ytree *t, struct ynode *map, struct ynode *key,
    struct ynode *value, const struct ynode *dup_of)
{
	size_t i;

	ynode_push_entry(map, key, value, dup_of);
	if (map->index != NULL) {
		keyindex_add(map->index, key->text, map->nentries - 1);
	} else if (map->nentries >= YMAP_INDEX_MIN) {
		map->index = ytree_alloc(t, sizeof(*map->index));
		keyindex_init(map->index, ymap_key_of, map);
		for (i = 0; i < map->nentries; i++)
			keyindex_add(map->index, map->entries[i].key->text, i);
	}
}

const struct yentry *
ymap_entry(const struct ynode *map, const char *key)
{
	size_t i;
	long k;

	if (map->index != NULL) {
		k = keyindex_find(map->index, key);
		return k >= 0 ? &map->entries[k] : NULL;
	}
	for (i = 0; i < map->nentries; i++) {
		if (strcmp(map->entries[i].key->text, key) == 0)
			return &map->entries[i];
	}
	return NULL;
}

struct ynode *
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
ybuild_pos(struct ybuild *b, size_t off)
{
	size_t lo = 0, hi = b->nlines, mid;
	struct srcpos pos;

	if (off > b->len)
		off = b->len;
	/* Events come in order: most positions are on the line of the last
	 * one or the next. */
	if (b->lines[b->line] <= off) {
		lo = b->line;
		if (lo + 1 < b->nlines && b->lines[lo + 1] <= off) {
			lo++;
			if (lo + 1 < b->nlines && b->lines[lo + 1] <= off)
				hi = b->nlines;
			else
				hi = lo + 1;
		} else {
			hi = lo + 1;
		}
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (b->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	b->line = lo;
	pos.file = b->file->path;
	pos.line = (int)lo + 1;
	pos.col = (int)(off - b->lines[lo]) + 1;
	return pos;
}

static struct srcpos
ybuild_mark_pos(struct ybuild *b, const struct fy_mark *m)
{
	return ybuild_pos(b, m != NULL ? m->input_pos : 0);
}

/* libfyaml reports line and column in characters; we count bytes. */
static struct srcpos
ybuild_line_col_pos(struct ybuild *b, int line, int col)
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
	char *sq;

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
	n = ynode_new(b->t, Y_SCALAR, ybuild_pos(b, off));
	n->nopos = m == NULL;
	n->style = style;
	if (t != NULL) {
		n->text = ytree_strndup(b->t, t, len);
	} else if (style == FYSS_SINGLE_QUOTED && em != NULL) {
		sq = single_quoted_text(b->file->source + off,
		    em->input_pos - off);
		n->text = ytree_strndup(b->t, sq, strlen(sq));
		free(sq);
	} else {
		n->text = ytree_strndup(b->t, "", 0);
	}
	n->content = off;
	n->content_col = n->pos.col;
	n->esize = 1 + strlen(n->text) / YSCALAR_BYTES_PER_NODE;
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
	long k;

	if (name == NULL)
		name = "";
	if ((k = keyindex_find(&b->anchor_index, name)) >= 0) {
		/* The loader walks the anchored node once more for this
		 * use: that is what an alias costs. */
		n = b->anchors[k].node;
		return ytree_copy(b->t, n->esize) ? n : NULL;
	}
	if (pos.col > 1)
		pos.col--;	/* at the '*' */
	ytree_error(b->t, pos, xasprintf("an alias *%s needs an anchor &%s on "
	    "an earlier node", name, name), "unknown alias \"*%s\"", name);
	n = ynode_new(b->t, Y_SCALAR, pos);
	n->text = ytree_strndup(b->t, "", 0);
	n->bad = 1;
	return n;
}

static const char *
anchor_key_of(const void *arg, size_t pos)
{
	const struct ybuild *b = arg;

	return b->anchors[pos].name;
}

/* Names n; a later anchor of the same name replaces an earlier one. */
static void
ybuild_anchor(struct ybuild *b, const char *name, struct ynode *n)
{
	size_t k;

	if (name == NULL)
		return;
	b->anchors = xreallocarray(b->anchors, b->nanchors + 1,
	    sizeof(*b->anchors));
	b->anchors[b->nanchors].name = xstrdup(name);
	k = keyindex_add(&b->anchor_index, name, b->nanchors);
	if (k != b->nanchors) {
		free(b->anchors[b->nanchors].name);
		b->anchors[k].node = n;
		return;
	}
	b->anchors[b->nanchors].node = n;
	b->nanchors++;
}

/* A `|` or `>` block's text must be indented more than its key (or its
 * list's `-`). libfyaml 0.7 also takes as the text of an empty block the
 * line after it at the key's own indentation: `description: >` then
 * `expect: ...` lost the `expect` into the description, silently. */
static void
ybuild_check_block(struct ybuild *b, const struct yframe *f,
    const struct ynode *n)
{
	const struct ynode *owner = f->node->type == Y_SEQ ? f->node : f->key;

	if ((n->style != FYSS_LITERAL && n->style != FYSS_FOLDED) ||
	    owner == NULL || n->text[0] == '\0' ||
	    n->pos.line <= owner->pos.line || n->content_col > owner->pos.col)
		return;
	ytree_error(b->t, n->pos, f->node->type == Y_SEQ ?
	    xstrdup("indent the text past the \"-\"") :
	    xasprintf("indent the text past \"%s\", or write %s: \"\" for "
	    "an empty value", owner->text, owner->text),
	    "this line is taken as the text of the %s block on line %d, "
	    "which is not indented past its %s", n->style == FYSS_LITERAL ?
	    "|" : ">", owner->pos.line, f->node->type == Y_SEQ ? "\"-\"" :
	    "key");
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
	if (n->type == Y_SCALAR)
		ybuild_check_block(b, f, n);
	/* An empty value has no position of its own: use its key's, or
	 * its list's. */
	if (n->nopos) {
		n->pos = f->key != NULL ? f->key->pos : f->node->pos;
		n->nopos = 0;
	}
	if (f->node->type == Y_SEQ) {
		if (b->nitems == b->items_cap) {
			b->items_cap = b->items_cap * 2 + 64;
			b->items = xreallocarray(b->items, b->items_cap,
			    sizeof(*b->items));
		}
		b->items[b->nitems++] = n;
	} else if (f->key == NULL) {
		f->key = n;
	} else {
		if (b->nentries == b->entries_cap) {
			b->entries_cap = b->entries_cap * 2 + 64;
			b->entries = xreallocarray(b->entries, b->entries_cap,
			    sizeof(*b->entries));
		}
		b->entries[b->nentries].key = f->key;
		b->entries[b->nentries].value = n;
		b->entries[b->nentries++].dup_of = NULL;
		f->key = NULL;
	}
}

static int
is_merge_key(const struct ynode *k)
{
	return k->style == FYSS_PLAIN && strcmp(k->text, "<<") == 0;
}

/* The entries of a mapping as written, before `<<` merges resolve. */
struct yraw {
	const struct yentry *v;
	size_t n;
	struct keyindex own;		/* its own keys, `<<` aside */
	int indexed;
};

static const char *
raw_key_of(const void *arg, size_t pos)
{
	const struct yraw *raw = arg;

	return raw->v[pos].key->text;
}

static int
raw_is_own_key(const struct yentry *e)
{
	return e->key->type == Y_SCALAR && !is_merge_key(e->key);
}

/* Whether a mapping's own (raw) entries give key, `<<` aside. */
static int
raw_has_key(struct yraw *raw, const char *key)
{
	size_t i;

	if (!raw->indexed && raw->n >= YMAP_INDEX_MIN) {
		keyindex_init(&raw->own, raw_key_of, raw);
		for (i = 0; i < raw->n; i++) {
			if (raw_is_own_key(&raw->v[i]))
				keyindex_add(&raw->own, raw->v[i].key->text, i);
		}
		raw->indexed = 1;
	}
	if (raw->indexed)
		return keyindex_find(&raw->own, key) >= 0;
	for (i = 0; i < raw->n; i++) {
		if (raw_is_own_key(&raw->v[i]) &&
		    strcmp(raw->v[i].key->text, key) == 0)
			return 1;
	}
	return 0;
}

static const char *
res_key_of(const void *arg, size_t pos)
{
	const struct ybuild *b = arg;

	return b->res[pos].key->text;
}

/* The first resolved entry of the mapping being finished with key. */
static const struct yentry *
res_find(const struct ybuild *b, const char *key)
{
	size_t i;
	long k;

	if (b->res_indexed) {
		k = keyindex_find(&b->res_index, key);
		return k >= 0 ? &b->res[k] : NULL;
	}
	for (i = 0; i < b->nres; i++) {
		if (strcmp(b->res[i].key->text, key) == 0)
			return &b->res[i];
	}
	return NULL;
}

/* Appends a resolved entry, keeping an index of the keys once there are
 * many. */
static void
res_add(struct ybuild *b, struct ynode *key, struct ynode *value,
    const struct ynode *dup_of)
{
	size_t i;

	if (b->nres == b->res_cap) {
		b->res_cap = b->res_cap * 2 + 64;
		b->res = xreallocarray(b->res, b->res_cap, sizeof(*b->res));
	}
	b->res[b->nres].key = key;
	b->res[b->nres].value = value;
	b->res[b->nres++].dup_of = dup_of;
	if (b->res_indexed) {
		keyindex_add(&b->res_index, key->text, b->nres - 1);
	} else if (b->nres >= YMAP_INDEX_MIN) {
		keyindex_init(&b->res_index, res_key_of, b);
		for (i = 0; i < b->nres; i++)
			keyindex_add(&b->res_index, b->res[i].key->text, i);
		b->res_indexed = 1;
	}
}

/* Adds the entries of src that the mapping does not give itself and that
 * no earlier merge gave. */
static int
ybuild_merge_one(struct ybuild *b, struct yraw *raw, const struct ynode *src)
{
	size_t i;

	if (!ytree_copy(b->t, src->nentries))
		return -1;
	for (i = 0; i < src->nentries; i++) {
		const struct yentry *e = &src->entries[i];

		if (e->dup_of != NULL || raw_has_key(raw, e->key->text) ||
		    res_find(b, e->key->text) != NULL)
			continue;
		res_add(b, e->key, e->value, NULL);
	}
	return 0;
}

static int
ybuild_merge(struct ybuild *b, struct yraw *raw, const struct ynode *src)
{
	size_t i;

	if (src->type == Y_MAP)
		return ybuild_merge_one(b, raw, src);
	if (src->type == Y_SEQ) {
		for (i = 0; i < src->nitems; i++) {
			if (src->items[i]->type != Y_MAP)
				ytree_error(b->t, src->items[i]->pos, NULL,
				    "a << merge takes mappings");
			else if (ybuild_merge_one(b, raw, src->items[i]) != 0)
				return -1;
		}
		return 0;
	}
	ytree_error(b->t, src->pos, NULL, "a << merge takes a mapping or a "
	    "list of mappings");
	return 0;
}

/* Resolves a finished mapping whose entries as written are the top of
 * the stack from start: keys must be scalars, `<<` merges, and a repeated
 * key is kept with dup_of set (the loader reports it where it knows what
 * the key means). -1 once merges have copied too much. */
static int
ybuild_map_end(struct ybuild *b, struct ynode *map, size_t start)
{
	/* (NULL + 0 is undefined: a first mapping may have no entries.) */
	struct yraw raw = { b->entries != NULL ? b->entries + start : NULL,
		b->nentries - start, { 0 }, 0 };
	const struct yentry *first;
	size_t i;
	int rc = 0;

	b->nres = 0;
	for (i = 0; i < raw.n && rc == 0; i++) {
		struct ynode *k = raw.v[i].key;

		if (k->type != Y_SCALAR) {
			ytree_error(b->t, k->pos, NULL, "a mapping key must be "
			    "a string");
			continue;
		}
		if (is_merge_key(k)) {
			rc = ybuild_merge(b, &raw, raw.v[i].value);
			continue;
		}
		first = res_find(b, k->text);
		res_add(b, k, raw.v[i].value,
		    first != NULL ? first->key : NULL);
	}
	if (raw.indexed)
		keyindex_dispose(&raw.own);
	map->entries = ytree_dup(b->t, b->res, b->nres, sizeof(*b->res));
	map->nentries = (uint32_t)b->nres;
	if (b->res_indexed) {
		/* The positions are the same: the mapping takes the index. */
		map->index = ytree_alloc(b->t, sizeof(*map->index));
		*map->index = b->res_index;
		map->index->key_of = ymap_key_of;
		map->index->arg = map;
		ytree_own(b->t, map);
		b->res_indexed = 0;
	}
	b->nentries = start;
	return rc;
}

/* Gives a finished sequence the items on top of the stack from start. */
static void
ybuild_seq_end(struct ybuild *b, struct ynode *seq, size_t start)
{
	seq->nitems = (uint32_t)(b->nitems - start);
	if (seq->nitems > 0)
		seq->items = ytree_dup(b->t, b->items + start, seq->nitems,
		    sizeof(*b->items));
	b->nitems = start;
}

/* The number of nodes n stands for once its aliases are expanded. */
static uint32_t
ynode_esize(const struct ynode *n)
{
	uint32_t size = 1;
	size_t i;

	for (i = 0; i < n->nitems; i++)
		size = esize_add(size, n->items[i]->esize);
	for (i = 0; i < n->nentries; i++)
		size = esize_add(size, esize_add(n->entries[i].key->esize,
		    n->entries[i].value->esize));
	return size;
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
	int rc;

	switch (ev->type) {
	case FYET_DOCUMENT_START:
		if (++b->docs == 1)
			return 0;
		ytree_error(b->t, ybuild_mark_pos(b, fy_event_start_mark(ev)),
		    xstrdup("a runbook is one YAML document; to split it, "
		    "use a directory of files"), "a second YAML document");
		return 1;
	case FYET_SCALAR:
		n = ybuild_scalar(b, ev);
		ybuild_anchor(b, event_anchor(ev), n);
		ybuild_emit(b, n);
		return 0;
	case FYET_ALIAS:
		if ((n = ybuild_alias(b, ev)) == NULL)
			return -1;
		ybuild_emit(b, n);
		return 0;
	case FYET_SEQUENCE_START:
	case FYET_MAPPING_START:
		n = ynode_new(b->t, ev->type == FYET_SEQUENCE_START ? Y_SEQ :
		    Y_MAP, ybuild_mark_pos(b, fy_event_start_mark(ev)));
		if (b->depth == b->stack_cap) {
			b->stack_cap = b->stack_cap * 2 + 16;
			b->stack = xreallocarray(b->stack, b->stack_cap,
			    sizeof(*b->stack));
		}
		f = &b->stack[b->depth++];
		f->node = n;
		f->key = NULL;
		f->start = n->type == Y_SEQ ? b->nitems : b->nentries;
		f->anchor = xstrdup(event_anchor(ev));
		return 0;
	case FYET_SEQUENCE_END:
	case FYET_MAPPING_END:
		if (b->depth == 0)
			return -1;
		f = &b->stack[--b->depth];
		n = f->node;
		if (n->type == Y_MAP) {
			rc = ybuild_map_end(b, n, f->start);
		} else {
			ybuild_seq_end(b, n, f->start);
			rc = 0;
		}
		n->esize = ynode_esize(n);
		if (rc == 0)
			ybuild_anchor(b, f->anchor, n);
		free(f->anchor);
		if (rc != 0)
			return -1;
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
		ytree_error(b->t, ybuild_line_col_pos(b, de->line, de->column),
		    hint, "bad YAML: %s", de->msg);
		return;
	}
	ytree_error(b->t, ybuild_pos(b, b->len), NULL, "bad YAML");
}

/* yaml_parse: the tree of file f (*out is NULL when it is empty). -1
 * after a syntax error, which is reported. */
static int
yaml_parse(struct ytree *t, const struct runbook_file *f, size_t len,
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
	b.t = t;
	b.file = f;
	b.len = len;
	keyindex_init(&b.anchor_index, anchor_key_of, &b);
	keyindex_init(&b.res_index, res_key_of, &b);
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
		ytree_error(t, (struct srcpos){ f->path, 0, 0 }, NULL,
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
	keyindex_dispose(&b.anchor_index);
	if (b.res_indexed)
		keyindex_dispose(&b.res_index);
	free(b.items);
	free(b.entries);
	free(b.res);
	free(b.stack);
	free(b.lines);
	return rc;
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
 * that an alias may share; n itself when it is such a copy already (so
 * that many files adding to one section cost no more than one). */
static struct ynode *
ynode_copy(struct ytree *t, struct ynode *n)
{
	struct ynode *c;
	size_t i;

	if (n->merged)
		return n;
	c = ynode_new(t, n->type, n->pos);
	c->merged = 1;
	ytree_own(t, c);
	for (i = 0; i < n->nitems; i++)
		ynode_push_item(c, n->items[i]);
	for (i = 0; i < n->nentries; i++)
		ymap_add(t, c, n->entries[i].key, n->entries[i].value,
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
ymerge_map(struct ytree *t, struct ynode *dst, const struct ynode *src,
    const char *prefix)
{
	const struct yentry *old;
	struct ynode *into;
	enum merge_how how;
	size_t i, j;
	char *sub;

	for (i = 0; i < src->nentries; i++) {
		const struct yentry *e = &src->entries[i];

		old = e->dup_of == NULL ? ymap_entry(dst, e->key->text) : NULL;
		if (old == NULL) {
			ymap_add(t, dst, e->key, e->value, e->dup_of);
			continue;
		}
		if (merge_rule(prefix, e->key->text, &how) != 0 ||
		    !merge_fits(how, old->value, e->value)) {
			ymap_add(t, dst, e->key, e->value, old->key);
			continue;
		}
		into = ynode_copy(t, old->value);
		dst->entries[old - dst->entries].value = into;
		if (how == MERGE_LIST) {
			for (j = 0; j < e->value->nitems; j++)
				ynode_push_item(into, e->value->items[j]);
			continue;
		}
		sub = *prefix != '\0' ? xasprintf("%s.%s", prefix,
		    e->key->text) : xstrdup(e->key->text);
		ymerge_map(t, into, e->value, sub);
		free(sub);
	}
}

struct ynode *
ytree_merge_files(struct ytree *t, struct ynode *const *roots,
    const struct runbook_file *files, size_t n)
{
	struct ynode *top = NULL;
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		struct srcpos pos = { files[i].path, 0, 0 };

		if (roots[i] == NULL || ynode_is_null(roots[i]))
			continue;
		if (roots[i]->type != Y_MAP) {
			ytree_error(t, roots[i]->pos, NULL, "expected a "
			    "mapping at the top of %s", pos.file);
			bad = 1;
			continue;
		}
		if (top == NULL) {
			top = ynode_new(t, Y_MAP, roots[i]->pos);
			top->merged = 1;
			ytree_own(t, top);
		}
		ymerge_map(t, top, roots[i], "");
	}
	return bad ? NULL : top;
}

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
	size_t i = 0;

	while (i < len) {
		int n = utf8_seq_len(s + i, len - i);

		if (n <= 0)
			return i;
		i += (size_t)n;
	}
	return len;
}

/* explicit_key: the offset of the first YAML explicit-key indicator ("? "
 * opening a line, after its indentation and any "- "), or len. Runbook
 * keys are plain words, and libfyaml 0.7.12 can crash in
 * fy_parser_destroy after an error in such keys (upstream issue 124), so
 * they never reach it. */
static size_t
explicit_key(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' ||
		    (s[i] == '-' && i + 1 < len && (s[i + 1] == ' ' ||
		    s[i + 1] == '\t'))))
			i++;
		if (i < len && s[i] == '?' && (i + 1 == len || s[i + 1] == ' ' ||
		    s[i + 1] == '\t' || s[i + 1] == '\n' || s[i + 1] == '\r'))
			return i;
		while (i < len && s[i] != '\n')
			i++;
		i++;
	}
	return len;
}

int
ytree_parse(struct ytree *t, const struct runbook_file *f, size_t len,
    struct ynode **out)
{
	const char *nul = memchr(f->source, '\0', len);
	size_t bad = utf8_invalid(f->source, len), key;

	*out = NULL;
	/* Checked here, not left to libfyaml, which can loop forever on some
	 * invalid UTF-8. */
	if (nul != NULL || bad < len) {
		ytree_error(t, text_pos(f, nul != NULL ? (size_t)(nul -
		    f->source) : bad), NULL, "%s: a runbook is UTF-8 text",
		    nul != NULL ? "a NUL byte" : "invalid UTF-8");
		return -1;
	}
	key = explicit_key(f->source, len);
	if (key < len) {
		ytree_error(t, text_pos(f, key), xstrdup("write keys as plain "
		    "words, e.g. `timeout: 2s`; quote a text line that starts "
		    "with \"? \""), "explicit keys (\"? KEY\") are not "
		    "supported in runbooks");
		return -1;
	}
	return yaml_parse(t, f, len, out);
}

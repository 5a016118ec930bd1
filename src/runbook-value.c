/* SPDX-License-Identifier: MIT */
/* The runbook loader's values: scalars, conditions, hints and diagnostics. */
#include "runbook-load.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"
#include "util/xmalloc.h"

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

const char *
ld_str_find(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return *list;
	}
	return NULL;
}

void
ld_suggest_init(struct suggest *s, const char *word, int all)
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

void
ld_suggest_add(struct suggest *s, const char *cand)
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

void
ld_suggest_add_list(struct suggest *s, const char *const *list)
{
	for (; *list != NULL; list++)
		ld_suggest_add(s, *list);
}

char *
ld_suggest_hint(struct suggest *s, const char *prefix, const char *fallback)
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
	char *msg, *key;
	int seen;

	/* A node shared through an alias is checked once per use: the same
	 * words at the same place are one diagnostic, counted once, so that
	 * repeats cannot take the places of other errors. */
	msg = xvasprintf(fmt, ap);
	key = xasprintf("%d:%d:%s\n%s", pos.line, pos.col,
	    pos.file != NULL ? pos.file : "", msg);
	seen = json_object_get(ld->seen, key) != NULL;
	if (!seen)
		json_object_set_new_nocheck(ld->seen, key, json_true());
	free(key);
	if (seen || (level == DIAG_ERROR &&
	    ld->nerrors++ >= RUNBOOK_ERRORS_MAX)) {
		free(msg);
		free(hint);
		return;
	}
	diags_add(ld->d, level, pos, runbook_source(ld->rb, pos.file), hint,
	    "%s", msg);
	free(msg);
	free(hint);
}

int
ld_errors_full(const struct loader *ld)
{
	return ld->nerrors >= RUNBOOK_ERRORS_MAX;
}

void
ld_error(struct loader *ld, struct srcpos pos, char *hint, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vadd(ld, DIAG_ERROR, pos, hint, fmt, ap);
	va_end(ap);
}

void
ld_warning(struct loader *ld, struct srcpos pos, char *hint, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	ld_vadd(ld, DIAG_WARNING, pos, hint, fmt, ap);
	va_end(ap);
}

char *
ld_key_in(const char *key, const char *ctx)
{
	return ctx != NULL ? xasprintf("%s in %s", key, ctx) : xstrdup(key);
}

void
ld_expected(struct loader *ld, const struct ynode *n, const char *what,
    const char *key, const char *ctx, char *hint)
{
	char *where, got[64];

	if (n->bad) {
		free(hint);
		return;
	}
	where = ld_key_in(key, ctx);
	if (n->type == Y_SEQ)
		snprintf(got, sizeof(got), "a list");
	else if (n->type == Y_MAP)
		snprintf(got, sizeof(got), "a mapping");
	else if (ynode_is_null(n))
		snprintf(got, sizeof(got), "nothing");
	else if (strlen(n->text) > 40) {
		/* Cut on a character: a message is UTF-8 (lint --json). */
		int cut = 37;

		while (cut > 0 && ((unsigned char)n->text[cut] & 0xc0) == 0x80)
			cut--;
		snprintf(got, sizeof(got), "\"%.*s...\"", cut, n->text);
	} else
		snprintf(got, sizeof(got), "\"%s\"", n->text);
	ld_error(ld, n->pos, hint, "expected %s for %s, got %s", what, where,
	    got);
	free(where);
}

void
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

void
ld_check_keys(struct loader *ld, const struct ynode *map,
    const char *const *allowed, const char *ctx)
{
	struct suggest sg;
	size_t i;

	for (i = 0; i < map->nentries; i++) {
		const struct yentry *e = &map->entries[i];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "key", ctx);
			continue;
		}
		if (ld_str_find(allowed, e->key->text) != NULL)
			continue;
		ld_suggest_init(&sg, e->key->text, 1);
		ld_suggest_add_list(&sg, allowed);
		if (ctx != NULL)
			ld_error(ld, e->key->pos,
			    ld_suggest_hint(&sg, "allowed here: ", NULL),
			    "unknown key \"%s\" in %s", e->key->text, ctx);
		else
			ld_error(ld, e->key->pos,
			    ld_suggest_hint(&sg, "allowed here: ", NULL),
			    "unknown key \"%s\"", e->key->text);
	}
}

int
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
 * Scalars: strings, templated strings, booleans, numbers, durations,
 * sizes and dates.
 */

const char *
ld_string(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx)
{
	if (n->type == Y_SCALAR && !ynode_is_null(n))
		return n->text;
	ld_expected(ld, n, "a string", key, ctx, NULL);
	return NULL;
}

/* The position of byte col (1-based) inside a scalar's text: exact when the
 * text up to there stands as it is in the file (a one-line plain or quoted
 * scalar without escapes, or the first line of a block scalar), else the
 * scalar's own position. */
struct srcpos
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

/* Where ld_text reports a reference it cannot expand. */
struct text_errors {
	struct loader *ld;
	const struct ynode *n;
	const char *key;	/* what the text is: "url", "var \"a\"" */
	const char *ctx;	/* NULL, or whose key it is */
};

static void
text_error(void *arg, size_t at, const char *cause, char *hint)
{
	const struct text_errors *te = arg;
	struct srcpos pos = ld_inner_pos(te->ld, te->n, te->n->text, at + 1);

	if (te->ctx != NULL)
		ld_error(te->ld, pos, hint, "%s in %s of %s", cause, te->key,
		    te->ctx);
	else
		ld_error(te->ld, pos, hint, "%s in %s", cause, te->key);
}

char *
ld_expand(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing)
{
	struct text_errors te = { ld, n, key, ctx };
	char *out, *unset = NULL;

	template_expand(&ld->tv, n->text, &out, missing != NULL ? missing :
	    &unset, text_error, &te);
	free(unset);
	return out;
}

char *
ld_text(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing)
{
	return ld_string(ld, n, key, ctx) != NULL ? ld_expand(ld, n, key, ctx,
	    missing) : NULL;
}

/* ld_text_typed: ld_text for a value of a type (a number, a duration, a
 * size), which cannot be checked when an environment variable it uses is
 * unset: *unset says so, and the caller takes no value and reports
 * nothing (what holds the value is skipped, `skipped: NAME unset`). The
 * unset name goes to *missing as ld_text says; without missing, the
 * caller cannot skip, and the empty text is checked (and refused). */
static char *
ld_text_typed(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, int *unset)
{
	char *mine = NULL, *s = ld_text(ld, n, key, ctx, &mine);

	*unset = mine != NULL && missing != NULL;
	if (*unset && *missing == NULL)
		*missing = mine;
	else
		free(mine);
	return s;
}

int
ld_bool(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", NULL };
	static const char *const no[] = { "false", "False", "FALSE", NULL };

	if (n->type == Y_SCALAR && n->style == FYSS_PLAIN) {
		if (ld_str_find(yes, n->text) != NULL) {
			*out = 1;
			return 0;
		}
		if (ld_str_find(no, n->text) != NULL) {
			*out = 0;
			return 0;
		}
	}
	ld_expected(ld, n, "true or false", key, ctx, NULL);
	return -1;
}

int
ld_int(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, long *out, char **text)
{
	int unset;
	char *s = ld_text_typed(ld, n, key, ctx, missing, &unset);

	*text = s;
	if (s == NULL)
		return -1;
	if (unset)
		return 1;
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

int
ld_duration(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, int positive, double *out)
{
	int unset, rc = -1;
	char *s = ld_text_typed(ld, n, key, ctx, missing, &unset);

	if (s == NULL)
		return -1;
	if (unset) {
		free(s);
		return 1;
	}
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

int
ld_size(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, json_int_t *out)
{
	int unset, rc = 0;
	char *s = ld_text_typed(ld, n, key, ctx, missing, &unset);
	double v;
	long l;

	if (s == NULL)
		return -1;
	if (unset) {
		free(s);
		return 1;
	}
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

char *
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

/*
 * Conditions.
 */

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
	ld_suggest_init(&sg, name, 0);
	for (i = 0; !ld_errors_full(rc->ld) && i < rb->nprobes; i++)
		ld_suggest_add(&sg, rb->probes[i].id);
	ld_error(rc->ld, rc->n->pos, ld_suggest_hint(&sg, NULL, "if, when and "
	    "guard read probe results by probe id, e.g. PROBE.ok"),
	    "condition reads \"%s\", which is not a probe", name);
}

struct expr *
ld_condition(struct loader *ld, const struct ynode *n, const char *key,
    const char *ctx, char **missing, int probe_roots)
{
	char *src, *cause = NULL, *clean;
	size_t col = 0;
	struct expr *e;
	int unset = 0;

	/* Where an unset variable skips what holds it (expect, warn), the
	 * condition is still checked, with the variable as 0, so that it
	 * loads or fails the same whatever the environment; it is then
	 * dropped (the probe is skipped, `skipped: NAME unset`). */
	if (missing != NULL) {
		ld->tv.unset_as = "0";
		src = ld_text_typed(ld, n, key, ctx, missing, &unset);
		ld->tv.unset_as = NULL;
	} else {
		src = ld_text(ld, n, key, ctx, NULL);
	}
	if (src == NULL)
		return NULL;
	/* Results have their secret values redacted before conditions read
	 * them, so a condition that templates a secret compares with the
	 * redacted text too: `stdout == "{{env.TOKEN}}"` can then hold. */
	clean = runbook_redact(ld->rb, src);
	free(src);
	src = clean;
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
	if (unset) {
		expr_free(e);
		return NULL;
	}
	return e;
}

void
ld_conditions(struct loader *ld, struct ynode *v, const char *key,
    const char *ctx, char **missing, int probe_roots, struct expr ***out,
    struct srcpos **pos, size_t *nout)
{
	struct ynode **items;
	struct expr *e;
	size_t n, i;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a condition or a list of conditions", key,
		    ctx, NULL);
		return;
	}
	items = ynode_list(&v, &n);
	*out = xcalloc(n, sizeof(**out));
	if (pos != NULL)
		*pos = xcalloc(n, sizeof(**pos));
	for (i = 0; i < n; i++) {
		e = ld_condition(ld, items[i], key, ctx, missing, probe_roots);
		if (e == NULL)
			continue;
		if (pos != NULL)
			(*pos)[*nout] = items[i]->pos;
		(*out)[(*nout)++] = e;
	}
	if (*nout == 0) {
		free(*out);
		*out = NULL;
		if (pos != NULL) {
			free(*pos);
			*pos = NULL;
		}
	}
}

json_t *
ld_json_string(struct loader *ld, const struct ynode *n, const char *s)
{
	json_t *j = json_string(s);

	if (j == NULL)
		ld_error(ld, n->pos, NULL, "not valid UTF-8");
	return j;
}


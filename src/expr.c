/* SPDX-License-Identifier: MIT */
/* The condition language: tokenizer, recursive-descent parser, evaluator. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "expr.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define EXPR_MAX_SOURCE 8192		/* bytes of condition text */
#define EXPR_MAX_DEPTH 64		/* nested (), [], calls and ! */
#define EXPLAIN_MAX 240			/* bytes of expr_explain output */
#define EXPLAIN_STRING_MAX 80		/* code points of one string shown */
#define REGEX_MATCH_LIMIT 1000000	/* backtracking steps per match */
#define REGEX_HEAP_LIMIT_KIB 16384

/* Tokens. `in`, `contains` and `matches` are TOK_IDENT: the parser decides
 * from their position whether they are operators or field names. */
enum tok_kind {
	TOK_EOF,
	TOK_ERROR,	/* the lexer failed; the parser's error is set */
	TOK_NUMBER,	/* also durations and sizes */
	TOK_STRING,
	TOK_IDENT,
	TOK_INDEX,	/* digits right after a ".": an array index */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_LBRACKET,
	TOK_RBRACKET,
	TOK_COMMA,
	TOK_DOT,
	TOK_MINUS,
	TOK_NOT,
	TOK_AND,
	TOK_OR,
	TOK_EQ,
	TOK_NE,
	TOK_LT,
	TOK_LE,
	TOK_GT,
	TOK_GE,
};

struct token {
	enum tok_kind kind;
	size_t start;		/* byte offsets of its text in the source */
	size_t end;
	json_t *value;		/* TOK_NUMBER, TOK_STRING: owned until taken */
	json_int_t index;	/* TOK_INDEX */
};

enum node_kind {
	NODE_CONST,	/* value */
	NODE_PATH,	/* name, steps */
	NODE_LIST,	/* kids: the items */
	NODE_NOT,	/* kids[0] */
	NODE_AND,	/* kids: two or more operands */
	NODE_OR,
	NODE_CMP,	/* op, kids[0] and kids[1] */
	NODE_CALL,	/* func, kids: the arguments */
};

enum cmp_op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_CONTAINS,
	OP_MATCHES,
};

enum func_id {
	FUNC_AGE,
	FUNC_LEN,
	FUNC_EXISTS,
	FUNC_LOWER,
	FUNC_NUMBER,
};

enum step_kind {
	STEP_KEY,	/* .name or ["name"] */
	STEP_INDEX,	/* .0 or [-1] */
	STEP_EXPR,	/* [expression], looked at when evaluated */
};

struct step {
	enum step_kind kind;
	char *key;
	json_int_t index;
	struct node *expr;
};

struct node {
	enum node_kind kind;
	size_t col;		/* 1-based column where it starts */
	size_t end;		/* byte offset just past its text */
	json_t *value;		/* NODE_CONST */
	char *name;		/* NODE_PATH: the root identifier */
	struct step *steps;	/* NODE_PATH */
	size_t nsteps;
	struct node **kids;
	size_t nkids;
	enum cmp_op op;		/* NODE_CMP */
	pcre2_code *re;		/* NODE_CMP, OP_MATCHES with a literal regex */
	enum func_id func;	/* NODE_CALL */
};

/* A path the expression reads, by its source text, for expr_explain. */
struct path_ref {
	size_t start;
	size_t end;
	const struct node *node;
	int in_age;		/* it is (somewhere) the argument of age() */
};

struct expr {
	char *src;
	char *text;		/* src on one line, or NULL when it is */
	struct node *root;
	char **refs;		/* distinct root identifiers, first use first */
	size_t nrefs;
	struct path_ref *paths;	/* distinct paths, in source order */
	size_t npaths;
	pcre2_match_context *mctx;	/* limits for every regex match */
};

struct parser {
	const char *src;
	size_t len;
	size_t pos;		/* next byte to lex */
	struct token tok;	/* the current token */
	size_t prev_end;	/* end of the token consumed last */
	int depth;
	char *err;
	size_t errcol;
	struct expr *e;
};

struct eval_ctx {
	json_t *root;
	double now;
	const struct expr *e;
};

static const struct {
	const char *name;
	enum func_id id;
	size_t nargs;
} functions[] = {
	{ "age", FUNC_AGE, 1 },
	{ "len", FUNC_LEN, 1 },
	{ "exists", FUNC_EXISTS, 1 },
	{ "lower", FUNC_LOWER, 1 },
	{ "number", FUNC_NUMBER, 1 },
};

static const struct {
	const char *text;
	enum tok_kind kind;
} puncts[] = {
	/* Two-character operators first, so "<=" is not read as "<". */
	{ "==", TOK_EQ }, { "!=", TOK_NE }, { "<=", TOK_LE }, { ">=", TOK_GE },
	{ "&&", TOK_AND }, { "||", TOK_OR }, { "<", TOK_LT }, { ">", TOK_GT },
	{ "!", TOK_NOT }, { "(", TOK_LPAREN }, { ")", TOK_RPAREN },
	{ "[", TOK_LBRACKET }, { "]", TOK_RBRACKET }, { ",", TOK_COMMA },
	{ ".", TOK_DOT }, { "-", TOK_MINUS },
};

/* Comparisons and predicates; the words are operators only in infix
 * position. */
static const struct {
	enum tok_kind tok;
	const char *word;
	enum cmp_op op;
} cmp_ops[] = {
	{ TOK_EQ, NULL, OP_EQ }, { TOK_NE, NULL, OP_NE },
	{ TOK_LT, NULL, OP_LT }, { TOK_LE, NULL, OP_LE },
	{ TOK_GT, NULL, OP_GT }, { TOK_GE, NULL, OP_GE },
	{ TOK_IDENT, "in", OP_IN }, { TOK_IDENT, "contains", OP_CONTAINS },
	{ TOK_IDENT, "matches", OP_MATCHES },
};

static struct node *parse_or(struct parser *p);
static json_t *eval_node(const struct node *n, const struct eval_ctx *c);
static int value_equal(json_t *a, json_t *b);
static void *fail(struct parser *p, size_t off, const char *fmt, ...)
    PRINTFLIKE(3, 4);

/* Grows an array of n elements so that it holds n + 1: capacity is the
 * next power of two, so appending is amortized O(1). */
static void *
grow(void *arr, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		return xreallocarray(arr, n ? 2 * n : 1, size);
	return arr;
}

/* Records the first error only; returns NULL so callers can
 * `return fail(...)`. off is a byte offset in the source. */
static void *
fail(struct parser *p, size_t off, const char *fmt, ...)
{
	va_list ap;

	if (p->err != NULL)
		return NULL;
	va_start(ap, fmt);
	p->err = xvasprintf(fmt, ap);
	va_end(ap);
	p->errcol = off + 1;
	p->tok.kind = TOK_ERROR;
	return NULL;
}

static int
is_ident_start(int c)
{
	return isalpha(c) || c == '_';
}

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

static int
tok_is(const struct parser *p, const char *word)
{
	size_t n = p->tok.end - p->tok.start;

	return p->tok.kind == TOK_IDENT && strlen(word) == n &&
	    memcmp(p->src + p->tok.start, word, n) == 0;
}

static void
tok_set(struct parser *p, enum tok_kind kind, size_t end)
{
	p->tok.kind = kind;
	p->tok.end = end;
	p->pos = end;
}

/* Digits, an optional fraction and exponent, then optionally a unit glued
 * to them: "1h30m" is a duration, "5MiB" a size. */
static void
lex_number(struct parser *p)
{
	const char *s = p->src;
	size_t start = p->tok.start, i = start, end;
	int integral = 1;
	char *text, *rest;

	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
		integral = 0;
		for (i++; isdigit((unsigned char)s[i]); i++)
			;
	}
	if ((s[i] == 'e' || s[i] == 'E') &&
	    (isdigit((unsigned char)s[i + 1]) ||
	    ((s[i + 1] == '+' || s[i + 1] == '-') &&
	    isdigit((unsigned char)s[i + 2])))) {
		integral = 0;
		for (i += 2; isdigit((unsigned char)s[i]); i++)
			;
	}
	end = i;
	if (isalpha((unsigned char)s[i])) {
		while (isalnum((unsigned char)s[end]) || s[end] == '.')
			end++;
	}
	text = xstrndup(s + start, end - start);
	if (end > i) {
		double v;

		if (duration_parse(text, &v) == 0 || size_parse(text, &v) == 0)
			p->tok.value = json_real(v);
		else if (isupper((unsigned char)s[i]))
			fail(p, start, "bad size \"%s\"", text);
		else
			fail(p, start, "bad duration \"%s\"", text);
	} else if (integral) {
		long long v;

		errno = 0;
		v = strtoll(text, &rest, 10);
		if (errno == 0)
			p->tok.value = json_integer(v);
	}
	if (p->tok.value == NULL && p->err == NULL) {
		double v = strtod(text, &rest);

		p->tok.value = isfinite(v) ? json_real(v) : NULL;
		if (p->tok.value == NULL)
			fail(p, start, "number \"%s\" is out of range", text);
	}
	free(text);
	if (p->err == NULL)
		tok_set(p, TOK_NUMBER, end);
}

static void
lex_index(struct parser *p)
{
	const char *s = p->src;
	size_t start = p->tok.start, end = start;
	char *text;
	long v = 0;

	while (isdigit((unsigned char)s[end]))
		end++;
	text = xstrndup(s + start, end - start);
	if (str_to_long(text, 0, LONG_MAX, &v) < 0)
		fail(p, start, "index \"%s\" is too large", text);
	free(text);
	if (p->err != NULL)
		return;
	p->tok.index = v;
	tok_set(p, TOK_INDEX, end);
}

static void
lex_string(struct parser *p)
{
	const char *s = p->src;
	size_t start = p->tok.start, i = start + 1;
	char quote = s[start];
	struct buf b;

	buf_init(&b, 0);
	for (;;) {
		char c = s[i];

		if (c == '\0') {
			fail(p, start, "unterminated string");
			goto out;
		}
		if (c == quote)
			break;
		if (c == '\\') {
			switch (s[i + 1]) {
			case '"':
			case '\'':
			case '\\':
				c = s[i + 1];
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\0':
				fail(p, start, "unterminated string");
				goto out;
			default:
				if (isprint((unsigned char)s[i + 1]))
					fail(p, i, "unknown escape \"\\%c\" "
					    "in string", s[i + 1]);
				else
					fail(p, i, "unknown escape in string");
				goto out;
			}
			i++;
		}
		buf_putc(&b, c);
		i++;
	}
	p->tok.value = json_stringn(buf_cstr(&b), b.len);
	if (p->tok.value == NULL) {
		fail(p, start, "string is not valid UTF-8");
		goto out;
	}
	tok_set(p, TOK_STRING, i + 1);
out:
	buf_dispose(&b);
}

static void
lex_punct(struct parser *p)
{
	const char *s = p->src + p->tok.start;
	size_t i, n;

	for (i = 0; i < ARRAY_LEN(puncts); i++) {
		n = strlen(puncts[i].text);
		if (strncmp(s, puncts[i].text, n) == 0) {
			tok_set(p, puncts[i].kind, p->tok.start + n);
			return;
		}
	}
	switch (s[0]) {
	case '=':
		fail(p, p->tok.start, "unexpected \"=\"; did you mean \"==\"?");
		return;
	case '&':
		fail(p, p->tok.start, "unexpected \"&\"; did you mean \"&&\"?");
		return;
	case '|':
		fail(p, p->tok.start, "unexpected \"|\"; did you mean \"||\"?");
		return;
	}
	if (isprint((unsigned char)s[0])) {
		fail(p, p->tok.start, "unexpected character \"%c\"", s[0]);
		return;
	}
	/* Curly quotes pasted from a document are the usual culprit. */
	if ((unsigned char)s[0] == 0xe2 && (unsigned char)s[1] == 0x80 &&
	    (unsigned char)s[2] >= 0x98 && (unsigned char)s[2] <= 0x9d) {
		fail(p, p->tok.start,
		    "unexpected character \"%.3s\"; use a plain \" or '", s);
		return;
	}
	fail(p, p->tok.start, "unexpected character \"\\x%02x\"",
	    (unsigned char)s[0]);
}

static void
lex_ident(struct parser *p)
{
	size_t end = p->tok.start;

	while (is_ident_char((unsigned char)p->src[end]))
		end++;
	tok_set(p, TOK_IDENT, end);
}

/* Advances to the next token. After a ".", digits are an array index, so
 * `rows.0.n` is not read as the number 0.0. */
static void
lex_next(struct parser *p)
{
	enum tok_kind prev = p->tok.kind;
	int c;

	if (prev == TOK_ERROR)
		return;
	p->prev_end = p->tok.end;
	json_decref(p->tok.value);
	p->tok.value = NULL;
	while (p->pos < p->len && isspace((unsigned char)p->src[p->pos]))
		p->pos++;
	p->tok.start = p->pos;
	c = (unsigned char)p->src[p->pos];
	if (p->pos >= p->len)
		tok_set(p, TOK_EOF, p->pos);
	else if (prev == TOK_DOT && isdigit(c))
		lex_index(p);
	else if (isdigit(c))
		lex_number(p);
	else if (c == '"' || c == '\'')
		lex_string(p);
	else if (is_ident_start(c))
		lex_ident(p);
	else
		lex_punct(p);
}

/* Reports the current token as unexpected, showing at most 32 bytes. */
static void *
fail_unexpected(struct parser *p, const char *hint)
{
	size_t n = p->tok.end - p->tok.start;

	return fail(p, p->tok.start, "unexpected \"%.*s%s\"%s",
	    (int)(n > 32 ? 32 : n), p->src + p->tok.start,
	    n > 32 ? "..." : "", hint);
}

static struct node *
node_new(enum node_kind kind, size_t off)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->col = off + 1;
	return n;
}

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	json_decref(n->value);
	free(n->name);
	for (i = 0; i < n->nsteps; i++) {
		free(n->steps[i].key);
		node_free(n->steps[i].expr);
	}
	free(n->steps);
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	pcre2_code_free(n->re);
	free(n);
}

static void
node_push(struct node *n, struct node *kid)
{
	n->kids = grow(n->kids, n->nkids, sizeof(*n->kids));
	n->kids[n->nkids++] = kid;
}

/* A constant node that takes the current token's value. */
static struct node *
node_take_const(struct parser *p)
{
	struct node *n = node_new(NODE_CONST, p->tok.start);

	n->value = p->tok.value;
	p->tok.value = NULL;
	n->end = p->tok.end;
	lex_next(p);
	return n;
}

/* A constant node whose text is src[off, end). */
static struct node *
node_const_end(size_t off, json_t *value, size_t end)
{
	struct node *n = node_new(NODE_CONST, off);

	n->value = value;
	n->end = end;
	return n;
}

/* Counts one level of nesting; fails beyond EXPR_MAX_DEPTH. */
static int
enter(struct parser *p, size_t off)
{
	if (++p->depth <= EXPR_MAX_DEPTH)
		return 0;
	fail(p, off, "condition is nested too deeply (the limit is %d levels)",
	    EXPR_MAX_DEPTH);
	return -1;
}

static void
expr_add_ref(struct expr *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nrefs; i++) {
		if (strcmp(e->refs[i], name) == 0)
			return;
	}
	e->refs = grow(e->refs, e->nrefs, sizeof(*e->refs));
	e->refs[e->nrefs++] = xstrdup(name);
}

static void
expr_add_path(struct expr *e, const struct node *n, size_t start, size_t end)
{
	size_t i;

	for (i = 0; i < e->npaths; i++) {
		const struct path_ref *r = &e->paths[i];

		if (r->end - r->start == end - start &&
		    memcmp(e->src + r->start, e->src + start, end - start) == 0)
			return;
	}
	e->paths = grow(e->paths, e->npaths, sizeof(*e->paths));
	e->paths[e->npaths++] = (struct path_ref){ start, end, n, 0 };
}

/* Marks the path written as src[start, end) as an argument of age(), so
 * that a reason shows the age it has, not only the time. */
static void
expr_mark_age(struct expr *e, size_t start, size_t end)
{
	size_t i;

	for (i = 0; i < e->npaths; i++) {
		struct path_ref *r = &e->paths[i];

		if (r->end - r->start == end - start &&
		    memcmp(e->src + r->start, e->src + start, end - start) == 0)
			r->in_age = 1;
	}
}

static pcre2_code *
regex_compile(const char *pattern, size_t len, int *errcode)
{
	PCRE2_SIZE erroff;
	uint32_t opts = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C;

#ifdef PCRE2_MATCH_INVALID_UTF
	/* Subjects from probes may hold any bytes: match them safely. */
	opts |= PCRE2_MATCH_INVALID_UTF;
#endif
	return pcre2_compile((PCRE2_SPTR)pattern, len, opts, errcode, &erroff,
	    NULL);
}

/* `x matches "literal"`: compile the regex once, now. */
static int
compile_literal(struct parser *p, struct node *n)
{
	const struct node *rhs = n->kids[1];
	PCRE2_UCHAR msg[256];
	int errcode;

	if (!json_is_string(rhs->value)) {
		fail(p, rhs->col - 1, "the right side of matches must be a "
		    "string holding a regex");
		return -1;
	}
	n->re = regex_compile(json_string_value(rhs->value),
	    json_string_length(rhs->value), &errcode);
	if (n->re == NULL) {
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		fail(p, rhs->col - 1, "bad regex: %s", (const char *)msg);
		return -1;
	}
	/* Without JIT support the interpreter is used: not an error. */
	pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);
	return 0;
}

/* The parser. The grammar, lowest precedence first:
 *
 *   or      := and ("||" and)*
 *   and     := not ("&&" not)*
 *   not     := "!" not | cmp
 *   cmp     := operand [op operand]		op: == != < <= > >= in
 *						contains matches
 *   operand := number | string | true | false | null | "-" number
 *            | "(" or ")" | "[" [or ("," or)* [","]] "]"
 *            | name "(" [or ("," or)*] ")" | path
 *   path    := name ("." name | "." digits | "[" or "]")*
 *
 * Each function returns a new node, or NULL with the parser's error set. */

static int
parse_bracket_step(struct parser *p, struct step *st)
{
	size_t open = p->tok.start;
	struct node *sub;
	json_t *v;

	if (enter(p, open) < 0)
		return -1;
	lex_next(p);
	sub = parse_or(p);
	if (sub == NULL)
		return -1;
	if (p->tok.kind != TOK_RBRACKET) {
		node_free(sub);
		fail(p, p->tok.start, "expected \"]\"");
		return -1;
	}
	lex_next(p);
	p->depth--;
	/* Constant keys and indices are resolved now, not at every eval. */
	v = sub->kind == NODE_CONST ? sub->value : NULL;
	if (json_is_string(v) && strlen(json_string_value(v)) ==
	    json_string_length(v)) {
		st->kind = STEP_KEY;
		st->key = xstrdup(json_string_value(v));
		node_free(sub);
	} else if (json_is_integer(v)) {
		st->kind = STEP_INDEX;
		st->index = json_integer_value(v);
		node_free(sub);
	} else {
		st->kind = STEP_EXPR;
		st->expr = sub;
	}
	return 0;
}

/* name(.name | .N | [expr])* after the first identifier, which ends at
 * start..end and is already consumed. */
static struct node *
parse_path(struct parser *p, size_t start, size_t end)
{
	struct node *n = node_new(NODE_PATH, start);
	struct step *st;

	n->name = xstrndup(p->src + start, end - start);
	expr_add_ref(p->e, n->name);
	for (;;) {
		if (p->tok.kind != TOK_DOT && p->tok.kind != TOK_LBRACKET)
			break;
		n->steps = grow(n->steps, n->nsteps, sizeof(*n->steps));
		st = &n->steps[n->nsteps];
		memset(st, 0, sizeof(*st));
		if (p->tok.kind == TOK_LBRACKET) {
			if (parse_bracket_step(p, st) < 0)
				goto fail;
			n->nsteps++;
			continue;
		}
		lex_next(p);
		if (p->tok.kind == TOK_IDENT) {
			st->kind = STEP_KEY;
			st->key = xstrndup(p->src + p->tok.start,
			    p->tok.end - p->tok.start);
		} else if (p->tok.kind == TOK_INDEX) {
			st->kind = STEP_INDEX;
			st->index = p->tok.index;
		} else {
			fail(p, p->tok.start,
			    "expected a name or an index after \".\"");
			goto fail;
		}
		n->nsteps++;
		lex_next(p);
	}
	expr_add_path(p->e, n, start, p->prev_end);
	n->end = p->prev_end;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *
fail_unknown_function(struct parser *p, size_t start, size_t end)
{
	char *name = xstrndup(p->src + start, end - start);
	const char *best = NULL;
	unsigned d, bestd = 3;
	size_t i;

	for (i = 0; i < ARRAY_LEN(functions); i++) {
		d = str_edit_distance(name, functions[i].name);
		if (d < bestd && d < strlen(name)) {
			bestd = d;
			best = functions[i].name;
		}
	}
	if (best != NULL)
		fail(p, start, "unknown function \"%s\"; did you mean \"%s\"?",
		    name, best);
	else
		fail(p, start, "unknown function \"%s\"; the functions are "
		    "age, len, exists, lower and number", name);
	free(name);
	return NULL;
}

/* name(args) with the name at start..end consumed and "(" current. */
static struct node *
parse_call(struct parser *p, size_t start, size_t end)
{
	struct node *n, *kid;
	size_t i;

	for (i = 0; i < ARRAY_LEN(functions); i++) {
		if (strlen(functions[i].name) == end - start &&
		    memcmp(functions[i].name, p->src + start, end - start) == 0)
			break;
	}
	if (i == ARRAY_LEN(functions))
		return fail_unknown_function(p, start, end);
	if (enter(p, p->tok.start) < 0)
		return NULL;
	n = node_new(NODE_CALL, start);
	n->func = functions[i].id;
	lex_next(p);
	while (p->tok.kind != TOK_RPAREN) {
		kid = parse_or(p);
		if (kid == NULL)
			goto fail;
		node_push(n, kid);
		if (p->tok.kind != TOK_COMMA)
			break;
		lex_next(p);
	}
	if (p->tok.kind != TOK_RPAREN) {
		fail(p, p->tok.start, "expected \")\"");
		goto fail;
	}
	lex_next(p);
	p->depth--;
	if (n->nkids != functions[i].nargs) {
		fail(p, start, "%s() takes %zu argument%s, not %zu",
		    functions[i].name, functions[i].nargs,
		    functions[i].nargs == 1 ? "" : "s", n->nkids);
		goto fail;
	}
	if (n->func == FUNC_EXISTS && n->kids[0]->kind != NODE_PATH) {
		fail(p, n->kids[0]->col - 1,
		    "exists() needs a path, such as exists(body.status)");
		goto fail;
	}
	if (n->func == FUNC_AGE && n->kids[0]->kind == NODE_PATH)
		expr_mark_age(p->e, n->kids[0]->col - 1, n->kids[0]->end);
	n->end = p->prev_end;
	return n;
fail:
	node_free(n);
	return NULL;
}

/* An identifier: a literal keyword, a function call or a path. */
static struct node *
parse_name(struct parser *p)
{
	size_t start = p->tok.start, end = p->tok.end;

	if (tok_is(p, "true") || tok_is(p, "false") || tok_is(p, "null")) {
		json_t *v = tok_is(p, "null") ? json_null() :
		    json_boolean(tok_is(p, "true"));

		lex_next(p);
		/* A probe may be named "true"; a condition cannot read it. */
		if (p->tok.kind == TOK_DOT || p->tok.kind == TOK_LBRACKET) {
			json_decref(v);
			return fail(p, start, "%.*s is a literal here, so a "
			    "probe named \"%.*s\" cannot be read in a "
			    "condition: rename the probe", (int)(end - start),
			    p->src + start, (int)(end - start), p->src + start);
		}
		return node_const_end(start, v, p->prev_end);
	}
	lex_next(p);
	if (p->tok.kind == TOK_LPAREN)
		return parse_call(p, start, end);
	return parse_path(p, start, end);
}

static struct node *
parse_negative(struct parser *p)
{
	size_t start = p->tok.start;
	json_t *v;

	lex_next(p);
	if (p->tok.kind != TOK_NUMBER) {
		if (p->tok.kind == TOK_ERROR)
			return NULL;
		return fail(p, start, "a minus sign must be followed by a "
		    "number");
	}
	v = p->tok.value;
	if (json_is_integer(v))
		json_integer_set(v, -json_integer_value(v));
	else
		json_real_set(v, -json_real_value(v));
	p->tok.value = NULL;
	lex_next(p);
	return node_const_end(start, v, p->prev_end);
}

static struct node *
parse_group(struct parser *p)
{
	struct node *n;

	if (enter(p, p->tok.start) < 0)
		return NULL;
	lex_next(p);
	n = parse_or(p);
	if (n == NULL)
		return NULL;
	if (p->tok.kind != TOK_RPAREN) {
		node_free(n);
		return fail(p, p->tok.start, "expected \")\"");
	}
	lex_next(p);
	p->depth--;
	return n;
}

/* [a, b, ...]; a list of constants becomes one constant. */
static struct node *
parse_list(struct parser *p)
{
	struct node *n = node_new(NODE_LIST, p->tok.start), *kid;
	json_t *arr;
	size_t i;

	if (enter(p, p->tok.start) < 0)
		goto fail;
	lex_next(p);
	while (p->tok.kind != TOK_RBRACKET) {
		kid = parse_or(p);
		if (kid == NULL)
			goto fail;
		node_push(n, kid);
		if (p->tok.kind == TOK_COMMA)
			lex_next(p);
		else if (p->tok.kind != TOK_RBRACKET) {
			fail(p, p->tok.start, "expected \",\" or \"]\"");
			goto fail;
		}
	}
	lex_next(p);
	p->depth--;
	n->end = p->prev_end;
	for (i = 0; i < n->nkids; i++) {
		if (n->kids[i]->kind != NODE_CONST)
			return n;
	}
	arr = json_array();
	for (i = 0; i < n->nkids; i++)
		json_array_append(arr, n->kids[i]->value);
	kid = node_const_end(n->col - 1, arr, p->prev_end);
	node_free(n);
	return kid;
fail:
	node_free(n);
	return NULL;
}

static struct node *
parse_operand(struct parser *p)
{
	switch (p->tok.kind) {
	case TOK_NUMBER:
	case TOK_STRING:
		return node_take_const(p);
	case TOK_MINUS:
		return parse_negative(p);
	case TOK_IDENT:
		return parse_name(p);
	case TOK_LPAREN:
		return parse_group(p);
	case TOK_LBRACKET:
		return parse_list(p);
	case TOK_EOF:
		return fail(p, p->tok.start,
		    "unexpected end of condition, expected an operand");
	case TOK_ERROR:
		return NULL;
	default:
		return fail_unexpected(p, "");
	}
}

/* The comparison or predicate the current token is, if any. */
static int
tok_cmp_op(const struct parser *p, enum cmp_op *op)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(cmp_ops); i++) {
		if (p->tok.kind == cmp_ops[i].tok && (cmp_ops[i].word == NULL ||
		    tok_is(p, cmp_ops[i].word))) {
			*op = cmp_ops[i].op;
			return 1;
		}
	}
	return 0;
}

/* operand [op operand], where op is not associative. */
static struct node *
parse_cmp(struct parser *p)
{
	struct node *lhs, *rhs, *n;
	enum cmp_op op;

	lhs = parse_operand(p);
	if (lhs == NULL || !tok_cmp_op(p, &op))
		return lhs;
	n = node_new(NODE_CMP, lhs->col - 1);
	n->op = op;
	node_push(n, lhs);
	lex_next(p);
	rhs = parse_operand(p);
	if (rhs == NULL)
		goto fail;
	node_push(n, rhs);
	if (op == OP_MATCHES) {
		if (p->e->mctx == NULL) {
			p->e->mctx = pcre2_match_context_create(NULL);
			pcre2_set_match_limit(p->e->mctx, REGEX_MATCH_LIMIT);
			pcre2_set_heap_limit(p->e->mctx, REGEX_HEAP_LIMIT_KIB);
		}
		if (rhs->kind == NODE_CONST && compile_literal(p, n) < 0)
			goto fail;
	}
	if (tok_cmp_op(p, &op)) {
		fail(p, p->tok.start,
		    "comparison operators cannot be chained; use &&");
		goto fail;
	}
	n->end = p->prev_end;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct node *
parse_not(struct parser *p)
{
	struct node *n, *kid;

	if (p->tok.kind != TOK_NOT)
		return parse_cmp(p);
	if (enter(p, p->tok.start) < 0)
		return NULL;
	n = node_new(NODE_NOT, p->tok.start);
	lex_next(p);
	kid = parse_not(p);
	if (kid == NULL) {
		node_free(n);
		return NULL;
	}
	node_push(n, kid);
	n->end = p->prev_end;
	p->depth--;
	return n;
}

/* next (op next)*, as one n-ary node so long chains do not recurse. */
static struct node *
parse_chain(struct parser *p, enum tok_kind op, enum node_kind kind,
    struct node *(*next)(struct parser *))
{
	struct node *first, *n, *kid;

	first = next(p);
	if (first == NULL || p->tok.kind != op)
		return first;
	n = node_new(kind, first->col - 1);
	node_push(n, first);
	while (p->tok.kind == op) {
		lex_next(p);
		kid = next(p);
		if (kid == NULL) {
			node_free(n);
			return NULL;
		}
		node_push(n, kid);
	}
	n->end = p->prev_end;
	return n;
}

static struct node *
parse_and(struct parser *p)
{
	return parse_chain(p, TOK_AND, NODE_AND, parse_not);
}

static struct node *
parse_or(struct parser *p)
{
	return parse_chain(p, TOK_OR, NODE_OR, parse_and);
}

/* Text left after a whole condition: say what was probably meant. */
static void
fail_trailing(struct parser *p)
{
	static const char *const words[] = { "in", "contains", "matches" };
	char *word;
	size_t i;

	switch (p->tok.kind) {
	case TOK_IDENT:
		break;
	case TOK_NUMBER:
	case TOK_STRING:
	case TOK_LPAREN:
	case TOK_LBRACKET:
	case TOK_NOT:
		fail_unexpected(p, "; expected an operator");
		return;
	default:
		fail_unexpected(p, "");
		return;
	}
	if (tok_is(p, "and") || tok_is(p, "AND")) {
		fail_unexpected(p, "; did you mean \"&&\"?");
		return;
	}
	if (tok_is(p, "or") || tok_is(p, "OR")) {
		fail_unexpected(p, "; did you mean \"||\"?");
		return;
	}
	word = xstrndup(p->src + p->tok.start, p->tok.end - p->tok.start);
	for (i = 0; i < ARRAY_LEN(words); i++) {
		if (strlen(word) > 3 && str_edit_distance(word, words[i]) <= 2)
			break;
	}
	free(word);
	if (i < ARRAY_LEN(words)) {
		char hint[40];

		snprintf(hint, sizeof(hint), "; did you mean \"%s\"?",
		    words[i]);
		fail_unexpected(p, hint);
	} else {
		fail_unexpected(p, "; expected an operator");
	}
}

static int
path_ref_cmp(const void *a, const void *b)
{
	const struct path_ref *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/* A condition from a YAML block scalar ("expect: >") spans lines and ends
 * with one; reasons, plans and documents show it on one line: each run of
 * white space holding a line break becomes one space, and the ends are
 * trimmed. NULL when src is one line already. */
static char *
one_line(const char *src)
{
	const char *p = src, *end = src + strlen(src), *q;
	struct buf b;

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p == src && *end == '\0' && strpbrk(src, "\n\r") == NULL)
		return NULL;
	buf_init(&b, 0);
	while (p < end) {
		if (isspace((unsigned char)*p)) {
			for (q = p; q < end && isspace((unsigned char)*q); q++)
				;
			if (memchr(p, '\n', (size_t)(q - p)) != NULL ||
			    memchr(p, '\r', (size_t)(q - p)) != NULL)
				buf_putc(&b, ' ');
			else
				buf_append(&b, p, (size_t)(q - p));
			p = q;
		} else {
			buf_putc(&b, *p++);
		}
	}
	return buf_steal(&b);
}

struct expr *
expr_parse(const char *src, char **cause, size_t *errcol)
{
	struct parser p;
	struct expr *e;

	memset(&p, 0, sizeof(p));
	e = xcalloc(1, sizeof(*e));
	e->src = xstrdup(src != NULL ? src : "");
	p.src = e->src;
	p.len = strlen(e->src);
	p.e = e;
	p.tok.kind = TOK_EOF;
	if (p.len > EXPR_MAX_SOURCE) {
		fail(&p, EXPR_MAX_SOURCE, "condition is too long (the limit is "
		    "%d bytes)", EXPR_MAX_SOURCE);
		goto out;
	}
	lex_next(&p);
	if (p.tok.kind == TOK_EOF) {
		fail(&p, 0, "empty condition");
		goto out;
	}
	e->root = parse_or(&p);
	if (e->root != NULL && p.tok.kind != TOK_EOF)
		fail_trailing(&p);
out:
	json_decref(p.tok.value);
	if (p.err != NULL) {
		expr_free(e);
		if (cause != NULL)
			*cause = p.err;
		else
			free(p.err);
		if (errcol != NULL)
			*errcol = p.errcol;
		return NULL;
	}
	/* Nested paths are recorded when they end: put them in source order. */
	if (e->npaths > 1)
		qsort(e->paths, e->npaths, sizeof(*e->paths), path_ref_cmp);
	e->text = one_line(e->src);
	return e;
}

void
expr_free(struct expr *e)
{
	size_t i;

	if (e == NULL)
		return;
	node_free(e->root);
	for (i = 0; i < e->nrefs; i++)
		free(e->refs[i]);
	free(e->refs);
	free(e->paths);
	pcre2_match_context_free(e->mctx);
	free(e->src);
	free(e->text);
	free(e);
}

const char *
expr_source(const struct expr *e)
{
	return e->text != NULL ? e->text : e->src;
}

/* Evaluation. Values are new references; comparisons return the jansson
 * singletons, paths a reference into root, so most evaluations allocate
 * nothing. */

static int
value_truth(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_TRUE:
		return 1;
	default:
		return 0;
	}
}

static int
value_equal(json_t *a, json_t *b)
{
	const char *key;
	size_t keylen, i;
	json_t *va;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	/* jansson's json_equal says 200 != 200.0; conditions must not. */
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++) {
			if (!value_equal(json_array_get(a, i),
			    json_array_get(b, i)))
				return 0;
		}
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach(a, key, keylen, va) {
			json_t *vb = json_object_getn(b, key, keylen);

			if (vb == NULL || !value_equal(va, vb))
				return 0;
		}
		return 1;
	default:
		return 1;	/* true, false, null: the type is the value */
	}
}

/* Sets *out to the sign of a - b; -1 when a and b are not both numbers or
 * both strings. */
static int
value_order(json_t *a, json_t *b, int *out)
{
	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);

		*out = (x > y) - (x < y);
	} else if (json_is_number(a) && json_is_number(b)) {
		double x = json_number_value(a), y = json_number_value(b);

		*out = (x > y) - (x < y);
	} else if (json_is_string(a) && json_is_string(b)) {
		size_t la = json_string_length(a), lb = json_string_length(b);
		int c = memcmp(json_string_value(a), json_string_value(b),
		    la < lb ? la : lb);

		*out = c != 0 ? c : (la > lb) - (la < lb);
	} else {
		return -1;
	}
	return 0;
}

/* memmem, which is not in POSIX. */
static int
has_substring(const char *s, size_t n, const char *sub, size_t m)
{
	const char *p = s, *end = s + n;

	if (m == 0)
		return 1;
	while (m <= (size_t)(end - p)) {
		p = memchr(p, sub[0], (size_t)(end - p) - m + 1);
		if (p == NULL)
			return 0;
		if (memcmp(p, sub, m) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* `a in b`. */
static int
value_in(json_t *a, json_t *b)
{
	size_t i;

	if (json_is_array(b)) {
		for (i = 0; i < json_array_size(b); i++) {
			if (value_equal(a, json_array_get(b, i)))
				return 1;
		}
		return 0;
	}
	if (!json_is_string(a))
		return 0;
	if (json_is_string(b))
		return has_substring(json_string_value(b),
		    json_string_length(b), json_string_value(a),
		    json_string_length(a));
	if (json_is_object(b))
		return json_object_getn(b, json_string_value(a),
		    json_string_length(a)) != NULL;
	return 0;
}

static int
regex_match(const pcre2_code *re, json_t *subject, pcre2_match_context *mctx)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc;

	rc = pcre2_match(re, (PCRE2_SPTR)json_string_value(subject),
	    json_string_length(subject), 0, 0, md, mctx);
	/* JIT code runs on a small fixed stack; the interpreter does not. */
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(re, (PCRE2_SPTR)json_string_value(subject),
		    json_string_length(subject), 0, PCRE2_NO_JIT, md, mctx);
	pcre2_match_data_free(md);
	return rc >= 0;
}

/* `a matches b` with b computed: compile it for this one match. */
static int
regex_match_dynamic(json_t *a, json_t *b, const struct eval_ctx *c)
{
	pcre2_code *re;
	int errcode, r;

	if (!json_is_string(a) || !json_is_string(b))
		return 0;
	re = regex_compile(json_string_value(b), json_string_length(b),
	    &errcode);
	if (re == NULL)
		return 0;
	r = regex_match(re, a, c->e->mctx);
	pcre2_code_free(re);
	return r;
}

static json_t *
array_at(json_t *arr, json_int_t i)
{
	json_int_t n;

	if (!json_is_array(arr))
		return NULL;
	n = (json_int_t)json_array_size(arr);
	if (i < 0)
		i += n;
	return i >= 0 && i < n ? json_array_get(arr, (size_t)i) : NULL;
}

static json_t *
step_apply(const struct step *st, json_t *v, const struct eval_ctx *c)
{
	json_t *k, *r = NULL;
	double d;

	switch (st->kind) {
	case STEP_KEY:
		return json_is_object(v) ? json_object_get(v, st->key) : NULL;
	case STEP_INDEX:
		return array_at(v, st->index);
	case STEP_EXPR:
		break;
	}
	k = eval_node(st->expr, c);
	if (json_is_string(k) && json_is_object(v)) {
		r = json_object_getn(v, json_string_value(k),
		    json_string_length(k));
	} else if (json_is_integer(k)) {
		r = array_at(v, json_integer_value(k));
	} else if (json_is_real(k)) {
		d = json_real_value(k);
		if (d == floor(d) && d > -9e18 && d < 9e18)
			r = array_at(v, (json_int_t)d);
	}
	json_decref(k);
	return r;
}

/* The value at path n, borrowed from c->root; NULL when any step is
 * missing (a present JSON null is returned as json_null()). */
static json_t *
path_resolve(const struct node *n, const struct eval_ctx *c)
{
	json_t *v;
	size_t i;

	if (!json_is_object(c->root))
		return NULL;
	v = json_object_get(c->root, n->name);
	for (i = 0; v != NULL && i < n->nsteps; i++)
		v = step_apply(&n->steps[i], v, c);
	return v;
}

static int
eval_truth(const struct node *n, const struct eval_ctx *c)
{
	json_t *v = eval_node(n, c);
	int r = value_truth(v);

	json_decref(v);
	return r;
}

static int
eval_cmp(const struct node *n, const struct eval_ctx *c)
{
	json_t *a, *b;
	int r = 0, ord;

	a = eval_node(n->kids[0], c);
	if (n->re != NULL) {
		r = json_is_string(a) && regex_match(n->re, a, c->e->mctx);
		json_decref(a);
		return r;
	}
	b = eval_node(n->kids[1], c);
	switch (n->op) {
	case OP_EQ:
		r = value_equal(a, b);
		break;
	case OP_NE:
		r = !value_equal(a, b);
		break;
	case OP_LT:
		r = value_order(a, b, &ord) == 0 && ord < 0;
		break;
	case OP_LE:
		r = value_order(a, b, &ord) == 0 && ord <= 0;
		break;
	case OP_GT:
		r = value_order(a, b, &ord) == 0 && ord > 0;
		break;
	case OP_GE:
		r = value_order(a, b, &ord) == 0 && ord >= 0;
		break;
	case OP_IN:
		r = value_in(a, b);
		break;
	case OP_CONTAINS:
		r = value_in(b, a);
		break;
	case OP_MATCHES:
		r = regex_match_dynamic(a, b, c);
		break;
	}
	json_decref(a);
	json_decref(b);
	return r;
}

static json_t *
real_or_null(double x)
{
	json_t *v = isfinite(x) ? json_real(x) : NULL;

	return v != NULL ? v : json_null();
}

static json_t *
func_age(json_t *v, double now)
{
	double t;

	if (json_is_string(v)) {
		if (time_parse_iso8601(json_string_value(v), &t) < 0)
			return json_null();
	} else if (json_is_number(v)) {
		t = json_number_value(v);
		if (t > 1e11)
			t /= 1000;	/* epoch milliseconds */
	} else {
		return json_null();
	}
	return real_or_null(now - t);
}

static json_t *
func_len(json_t *v)
{
	const char *s;
	size_t i, n = 0;

	if (json_is_array(v))
		return json_integer((json_int_t)json_array_size(v));
	if (json_is_object(v))
		return json_integer((json_int_t)json_object_size(v));
	if (!json_is_string(v))
		return json_null();
	s = json_string_value(v);
	for (i = 0; i < json_string_length(v); i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return json_integer((json_int_t)n);
}

static json_t *
func_lower(json_t *v)
{
	size_t i, n;
	char *s;
	json_t *r;

	if (!json_is_string(v))
		return json_null();
	n = json_string_length(v);
	s = xmalloc(n + 1);
	memcpy(s, json_string_value(v), n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
	/* ASCII case changes keep whatever bytes the input had. */
	r = json_stringn_nocheck(s, n);
	free(s);
	return r;
}

static json_t *
func_number(json_t *v)
{
	const char *s, *last;
	char *end;
	long long i;
	double d;

	if (json_is_number(v))
		return json_incref(v);
	if (json_is_boolean(v))
		return json_integer(json_is_true(v));
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v))
		return json_null();
	s = json_string_value(v);
	last = s + json_string_length(v);
	while (last > s && isspace((unsigned char)last[-1]))
		last--;
	while (s < last && isspace((unsigned char)*s))
		s++;
	/* Decimal only: strtod would take "0x10", "inf" and "nan" too. */
	if (s == last || strspn(s, "0123456789+-.eE") < (size_t)(last - s))
		return json_null();
	errno = 0;
	i = strtoll(s, &end, 10);
	if (end == last && errno == 0)
		return json_integer(i);
	d = strtod(s, &end);
	if (end != last)
		return json_null();
	return real_or_null(d);
}

static json_t *
eval_call(const struct node *n, const struct eval_ctx *c)
{
	json_t *v, *r;

	if (n->func == FUNC_EXISTS)
		return json_boolean(path_resolve(n->kids[0], c) != NULL);
	v = eval_node(n->kids[0], c);
	switch (n->func) {
	case FUNC_AGE:
		r = func_age(v, c->now);
		break;
	case FUNC_LEN:
		r = func_len(v);
		break;
	case FUNC_LOWER:
		r = func_lower(v);
		break;
	case FUNC_NUMBER:
		r = func_number(v);
		break;
	default:
		r = json_null();
		break;
	}
	json_decref(v);
	return r != NULL ? r : json_null();
}

static json_t *
eval_node(const struct node *n, const struct eval_ctx *c)
{
	json_t *v;
	size_t i;

	switch (n->kind) {
	case NODE_CONST:
		return json_incref(n->value);
	case NODE_PATH:
		v = path_resolve(n, c);
		return v != NULL ? json_incref(v) : json_null();
	case NODE_LIST:
		v = json_array();
		for (i = 0; i < n->nkids; i++)
			json_array_append_new(v, eval_node(n->kids[i], c));
		return v;
	case NODE_NOT:
		return json_boolean(!eval_truth(n->kids[0], c));
	case NODE_AND:
		for (i = 0; i < n->nkids; i++) {
			if (!eval_truth(n->kids[i], c))
				return json_false();
		}
		return json_true();
	case NODE_OR:
		for (i = 0; i < n->nkids; i++) {
			if (eval_truth(n->kids[i], c))
				return json_true();
		}
		return json_false();
	case NODE_CMP:
		return json_boolean(eval_cmp(n, c));
	case NODE_CALL:
		return eval_call(n, c);
	}
	return json_null();
}

json_t *
expr_eval(const struct expr *e, json_t *root, double now)
{
	struct eval_ctx c = { root, now, e };

	if (e == NULL || e->root == NULL)
		return json_null();
	return eval_node(e->root, &c);
}

int
expr_test(const struct expr *e, json_t *root, double now)
{
	struct eval_ctx c = { root, now, e };

	if (e == NULL || e->root == NULL)
		return 0;
	return eval_truth(e->root, &c);
}

void
expr_refs(const struct expr *e, void (*fn)(void *arg, const char *name),
    void *arg)
{
	size_t i;

	for (i = 0; e != NULL && i < e->nrefs; i++)
		fn(arg, e->refs[i]);
}

static void
node_fields(const struct node *n, void (*fn)(void *arg, const char *root,
    const char *key), void *arg)
{
	size_t i;

	if (n->kind == NODE_PATH) {
		fn(arg, n->name, n->nsteps > 0 && n->steps[0].kind ==
		    STEP_KEY ? n->steps[0].key : NULL);
		for (i = 0; i < n->nsteps; i++) {
			if (n->steps[i].kind == STEP_EXPR)
				node_fields(n->steps[i].expr, fn, arg);
		}
	}
	for (i = 0; i < n->nkids; i++)
		node_fields(n->kids[i], fn, arg);
}

void
expr_fields(const struct expr *e, void (*fn)(void *arg, const char *root,
    const char *key), void *arg)
{
	if (e != NULL && e->root != NULL)
		node_fields(e->root, fn, arg);
}

static const struct node *
term_node(const struct expr *e, size_t i)
{
	if (e == NULL || e->root == NULL)
		return NULL;
	if (e->root->kind != NODE_AND)
		return i == 0 ? e->root : NULL;
	return i < e->root->nkids ? e->root->kids[i] : NULL;
}

size_t
expr_terms(const struct expr *e)
{
	if (e == NULL || e->root == NULL)
		return 0;
	return e->root->kind == NODE_AND ? e->root->nkids : 1;
}

int
expr_term_test(const struct expr *e, size_t i, json_t *root, double now)
{
	struct eval_ctx c = { root, now, e };
	const struct node *n = term_node(e, i);

	return n != NULL && eval_truth(n, &c);
}

static void
node_refs(const struct node *n, void (*fn)(void *arg, const char *name),
    void *arg)
{
	size_t i;

	if (n->kind == NODE_PATH) {
		fn(arg, n->name);
		for (i = 0; i < n->nsteps; i++) {
			if (n->steps[i].expr != NULL)
				node_refs(n->steps[i].expr, fn, arg);
		}
	}
	for (i = 0; i < n->nkids; i++)
		node_refs(n->kids[i], fn, arg);
}

void
expr_term_refs(const struct expr *e, size_t i,
    void (*fn)(void *arg, const char *name), void *arg)
{
	const struct node *n = term_node(e, i);

	if (n != NULL)
		node_refs(n, fn, arg);
}

/* Explaining: values as compact JSON, shortened for a one-line reason. */

/* x as --json has it (9 significant digits, JSON_REAL_PRECISION in
 * util/jsonout.h), in the shortest text that reads back as that number:
 * "29.9996", "200", "0.0001234"; "1e+15" and "1e-07" outside fixed
 * notation's range. A reason must not show 29.9996 as 30 beside "expected
 * n > 30", nor digits --json does not have. */
static void
format_real(double x, char *out, size_t n)
{
	int prec;

	snprintf(out, n, "%.9g", x);
	x = strtod(out, NULL);
	if (x == 0)
		x = 0;	/* no "-0" */
	if (fabs(x) >= 1e-4 && fabs(x) < 1e15) {
		for (prec = 0; prec <= 17; prec++) {
			snprintf(out, n, "%.*f", prec, x);
			if (strtod(out, NULL) == x)
				return;
		}
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, x);
		if (strtod(out, NULL) == x)
			return;
	}
}

static void
explain_string(struct buf *b, const char *s, size_t len)
{
	size_t i, chars = 0;

	buf_putc(b, '"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch & 0xc0) != 0x80 && chars++ == EXPLAIN_STRING_MAX) {
			buf_puts(b, "...");
			break;
		}
		switch (ch) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				buf_printf(b, "\\u%04x", ch);
			else
				buf_putc(b, (char)ch);
			break;
		}
	}
	buf_putc(b, '"');
}

static void
explain_value(struct buf *b, json_t *v)
{
	const char *key;
	size_t keylen, i;
	char num[64];
	json_t *item;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_putc(b, '{');
		i = 0;
		json_object_keylen_foreach(v, key, keylen, item) {
			if (b->truncated)
				break;
			if (i++ > 0)
				buf_putc(b, ',');
			explain_string(b, key, keylen);
			buf_putc(b, ':');
			explain_value(b, item);
		}
		buf_putc(b, '}');
		break;
	case JSON_ARRAY:
		buf_putc(b, '[');
		for (i = 0; i < json_array_size(v) && !b->truncated; i++) {
			if (i > 0)
				buf_putc(b, ',');
			explain_value(b, json_array_get(v, i));
		}
		buf_putc(b, ']');
		break;
	case JSON_STRING:
		explain_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		format_real(json_real_value(v), num, sizeof(num));
		buf_puts(b, num);
		break;
	case JSON_TRUE:
		buf_puts(b, "true");
		break;
	case JSON_FALSE:
		buf_puts(b, "false");
		break;
	default:
		buf_puts(b, "null");
		break;
	}
}

/* " (3h12m ago)" or " (in 5m)" after a time age() reads: what it
 * compared, beside the time it read; nothing when age() takes it for no
 * time. */
static void
explain_age(struct buf *b, json_t *v, double now)
{
	json_t *age = func_age(v, now);
	char d[32];
	double x;

	if (json_is_number(age)) {
		x = json_number_value(age);
		duration_format(fabs(x), d, sizeof(d));
		buf_printf(b, x < 0 ? " (in %s)" : " (%s ago)", d);
	}
	json_decref(age);
}

char *
expr_explain(const struct expr *e, json_t *root, double now)
{
	struct eval_ctx c = { root, now, e };
	struct buf b;
	size_t i, cut;
	json_t *v;

	buf_init(&b, EXPLAIN_MAX);
	for (i = 0; e != NULL && i < e->npaths && !b.truncated; i++) {
		const struct path_ref *r = &e->paths[i];

		if (e->npaths > 1) {
			if (i > 0)
				buf_puts(&b, ", ");
			buf_append(&b, e->src + r->start, r->end - r->start);
			buf_putc(&b, '=');
		}
		v = path_resolve(r->node, &c);
		if (v == NULL)
			buf_puts(&b, "nothing");
		else
			explain_value(&b, v);
		if (v != NULL && r->in_age)
			explain_age(&b, v, now);
	}
	if (b.truncated) {
		/* End with "..." inside the cap, on a character boundary. */
		cut = EXPLAIN_MAX - 3;
		while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
			cut--;
		b.len = cut;
		b.data[cut] = '\0';
		b.truncated = 0;
		buf_puts(&b, "...");
	}
	return buf_steal(&b);
}

/* Static analysis: the atoms a condition implies, for lint. */

static int
is_plain_key(const char *s)
{
	size_t i;

	if (!is_ident_start((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (!is_ident_char((unsigned char)s[i]))
			return 0;
	}
	/* Keywords would read as operators or literals. */
	return strcmp(s, "in") != 0 && strcmp(s, "contains") != 0 &&
	    strcmp(s, "matches") != 0 && strcmp(s, "true") != 0 &&
	    strcmp(s, "false") != 0 && strcmp(s, "null") != 0;
}

/* Appends the canonical text of what n reads (a path without computed
 * steps, or a function of one): the same text for `a["b"].0` and
 * `a.b[0]`. -1 when n is anything else. */
static int
subject_text(const struct node *n, struct buf *b)
{
	size_t i;
	char *q;

	if (n->kind == NODE_PATH) {
		buf_puts(b, n->name);
		for (i = 0; i < n->nsteps; i++) {
			const struct step *st = &n->steps[i];

			if (st->kind == STEP_EXPR)
				return -1;
			if (st->kind == STEP_INDEX) {
				buf_printf(b, "[%lld]", (long long)st->index);
			} else if (is_plain_key(st->key)) {
				buf_printf(b, ".%s", st->key);
			} else {
				json_t *k = json_string(st->key);

				q = k != NULL ? json_dumps(k, JSON_ENCODE_ANY) :
				    NULL;
				json_decref(k);
				if (q == NULL)
					return -1;
				buf_printf(b, "[%s]", q);
				free(q);
			}
		}
		return 0;
	}
	if (n->kind == NODE_CALL && n->nkids == 1) {
		for (i = 0; i < ARRAY_LEN(functions); i++) {
			if (functions[i].id == n->func)
				break;
		}
		if (i == ARRAY_LEN(functions))
			return -1;
		buf_printf(b, "%s(", functions[i].name);
		if (subject_text(n->kids[0], b) < 0)
			return -1;
		buf_putc(b, ')');
		return 0;
	}
	return -1;
}

/* The root name of a subject node (a path, or a function of one). */
static const struct node *
subject_path(const struct node *n)
{
	while (n->kind == NODE_CALL)
		n = n->kids[0];
	return n;
}

struct atom_list {
	const struct expr *e;
	struct expr_atom *v;
	size_t n;
};

/* "x > 5" as written, "!x.ok" or "!(x > 5)" when it must be false. */
static char *
atom_text(const struct expr *e, const struct node *outer, int pol)
{
	size_t start, end;
	int bare;

	/* !!x must be false: say !x. */
	while (!pol && outer->kind == NODE_NOT) {
		outer = outer->kids[0];
		pol = 1;
	}
	start = outer->col - 1;
	end = outer->end;
	if (end < start || end > strlen(e->src))
		end = start;
	if (pol)
		return xstrndup(e->src + start, end - start);
	bare = outer->kind == NODE_PATH || outer->kind == NODE_CALL ||
	    outer->kind == NODE_CONST || outer->kind == NODE_NOT;
	return xasprintf(bare ? "!%.*s" : "!(%.*s)", (int)(end - start),
	    e->src + start);
}

static struct expr_atom *
atom_push(struct atom_list *l, const struct node *n, const struct node *outer,
    int pol, int outer_pol)
{
	struct expr_atom *a;

	l->v = grow(l->v, l->n, sizeof(*l->v));
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->negated = !pol;
	a->text = atom_text(l->e, outer, outer_pol);
	a->e = l->e;
	a->node = n;
	return a;
}

/* Sets a's subject, root and field from the subject node s. */
static int
atom_subject(struct expr_atom *a, const struct node *s)
{
	const struct node *path = subject_path(s);
	struct buf b;

	buf_init(&b, 0);
	if (subject_text(s, &b) < 0) {
		buf_dispose(&b);
		return -1;
	}
	a->subject = buf_steal(&b);
	a->root = xstrdup(path->name);
	if (s == path && path->nsteps == 1 && path->steps[0].kind == STEP_KEY)
		a->field = xstrdup(path->steps[0].key);
	return 0;
}

static void
atom_drop_last(struct atom_list *l)
{
	struct expr_atom *a = &l->v[--l->n];

	free(a->text);
	free(a->subject);
	free(a->root);
	free(a->field);
	json_decref(a->value);
}

static const struct {
	enum cmp_op op;
	enum expr_atom_op left;		/* subject on the left */
	enum expr_atom_op right;	/* subject on the right */
} atom_ops[] = {
	{ OP_EQ, EXPR_ATOM_EQ, EXPR_ATOM_EQ },
	{ OP_NE, EXPR_ATOM_NE, EXPR_ATOM_NE },
	{ OP_LT, EXPR_ATOM_LT, EXPR_ATOM_GT },
	{ OP_LE, EXPR_ATOM_LE, EXPR_ATOM_GE },
	{ OP_GT, EXPR_ATOM_GT, EXPR_ATOM_LT },
	{ OP_GE, EXPR_ATOM_GE, EXPR_ATOM_LE },
	{ OP_IN, EXPR_ATOM_IN, EXPR_ATOM_HAS },
	{ OP_CONTAINS, EXPR_ATOM_HAS, EXPR_ATOM_IN },
};

/* A comparison as an atom: one subject against one literal, or two
 * literals (a constant). */
static void
atom_cmp(struct atom_list *l, const struct node *n, const struct node *outer,
    int pol, int outer_pol)
{
	const struct node *lhs = n->kids[0], *rhs = n->kids[1];
	int lconst = lhs->kind == NODE_CONST, rconst = rhs->kind == NODE_CONST;
	struct expr_atom *a;
	size_t i;

	if (lconst && rconst) {
		struct eval_ctx c = { NULL, 0, l->e };

		a = atom_push(l, n, outer, pol, outer_pol);
		a->op = EXPR_ATOM_CONST;
		a->value = json_boolean(eval_cmp(n, &c));
		return;
	}
	if (lconst == rconst)
		return;
	if (n->op == OP_MATCHES) {
		if (lconst || n->re == NULL)
			return;
		a = atom_push(l, n, outer, pol, outer_pol);
		a->op = EXPR_ATOM_MATCHES;
		a->value = json_incref(rhs->value);
		if (atom_subject(a, lhs) < 0)
			atom_drop_last(l);
		return;
	}
	for (i = 0; i < ARRAY_LEN(atom_ops); i++) {
		if (atom_ops[i].op == n->op)
			break;
	}
	if (i == ARRAY_LEN(atom_ops))
		return;
	a = atom_push(l, n, outer, pol, outer_pol);
	a->op = lconst ? atom_ops[i].right : atom_ops[i].left;
	a->value = json_incref(lconst ? lhs->value : rhs->value);
	if (atom_subject(a, lconst ? rhs : lhs) < 0)
		atom_drop_last(l);
}

/* Collects what n being truthy (pol) or falsy (!pol) implies. outer is
 * where the run of `!` that led here began, and outer_pol what it must
 * be, for the atom's text. */
static void
atoms_collect(struct atom_list *l, const struct node *n, int pol,
    const struct node *outer, int outer_pol)
{
	struct expr_atom *a;
	size_t i;

	if (outer == NULL) {
		outer = n;
		outer_pol = pol;
	}
	switch (n->kind) {
	case NODE_NOT:
		atoms_collect(l, n->kids[0], !pol, outer, outer_pol);
		break;
	case NODE_AND:
	case NODE_OR:
		/* a && b true, or a || b false: each operand alone. */
		if (pol != (n->kind == NODE_AND))
			break;
		for (i = 0; i < n->nkids; i++)
			atoms_collect(l, n->kids[i], pol, NULL, 0);
		break;
	case NODE_CMP:
		atom_cmp(l, n, outer, pol, outer_pol);
		break;
	case NODE_CONST:
		a = atom_push(l, n, outer, pol, outer_pol);
		a->op = EXPR_ATOM_CONST;
		a->value = json_boolean(value_truth(n->value));
		break;
	case NODE_PATH:
	case NODE_CALL:
		a = atom_push(l, n, outer, pol, outer_pol);
		a->op = EXPR_ATOM_TRUE;
		if (atom_subject(a, n) < 0)
			atom_drop_last(l);
		break;
	case NODE_LIST:
		break;
	}
}

void
expr_atoms(const struct expr *e, int negate, struct expr_atom **out,
    size_t *n)
{
	struct atom_list l = { e, NULL, 0 };

	if (e != NULL && e->root != NULL)
		atoms_collect(&l, e->root, !negate, NULL, 0);
	*out = l.v;
	*n = l.n;
}

void
expr_atoms_free(struct expr_atom *atoms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(atoms[i].text);
		free(atoms[i].subject);
		free(atoms[i].root);
		free(atoms[i].field);
		json_decref(atoms[i].value);
	}
	free(atoms);
}

int
expr_atom_holds(const struct expr_atom *a, json_t *v)
{
	const struct node *n = a->node;
	int r = 0, ord;

	if (v == NULL)
		v = json_null();
	switch (a->op) {
	case EXPR_ATOM_CONST:
		r = json_is_true(a->value);
		break;
	case EXPR_ATOM_TRUE:
		r = value_truth(v);
		break;
	case EXPR_ATOM_EQ:
		r = value_equal(v, a->value);
		break;
	case EXPR_ATOM_NE:
		r = !value_equal(v, a->value);
		break;
	case EXPR_ATOM_LT:
		r = value_order(v, a->value, &ord) == 0 && ord < 0;
		break;
	case EXPR_ATOM_LE:
		r = value_order(v, a->value, &ord) == 0 && ord <= 0;
		break;
	case EXPR_ATOM_GT:
		r = value_order(v, a->value, &ord) == 0 && ord > 0;
		break;
	case EXPR_ATOM_GE:
		r = value_order(v, a->value, &ord) == 0 && ord >= 0;
		break;
	case EXPR_ATOM_IN:
		r = value_in(v, a->value);
		break;
	case EXPR_ATOM_HAS:
		r = value_in(a->value, v);
		break;
	case EXPR_ATOM_MATCHES:
		r = n != NULL && n->re != NULL && json_is_string(v) &&
		    regex_match(n->re, v, a->e->mctx);
		break;
	}
	return a->negated ? !r : r;
}

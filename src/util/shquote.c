/* SPDX-License-Identifier: MIT */
/* Quoting for POSIX sh: words an operator can paste into a terminal. */
#include "util/shquote.h"

#include <string.h>


static int
shquote_safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("@%+=:,./_-", c) != NULL;
}

static int
shquote_is_bare(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || !shquote_safe_char((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* n bytes of s in single quotes. */
static void
shquote_append_quoted(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_putc(b, '\'');
	for (i = 0; i < n; i++) {
		if (s[i] == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, s[i]);
	}
	buf_putc(b, '\'');
}

/* n bytes of s as one word: bare when that is safe, else quoted. */
static void
shquote_append_n(struct buf *b, const char *s, size_t n)
{
	if (shquote_is_bare(s, n))
		buf_append(b, s, n);
	else
		shquote_append_quoted(b, s, n);
}

void
shquote_append(struct buf *b, const char *s)
{
	shquote_append_n(b, s, strlen(s));
}

char *
shquote(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	shquote_append(&b, s);
	return buf_steal(&b);
}

void
shquote_append_argv(struct buf *b, const char *const *argv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ' ');
		/* FOO=bar as a first word would be an assignment. */
		if (i == 0 && strchr(argv[i], '=') != NULL)
			shquote_append_quoted(b, argv[i], strlen(argv[i]));
		else
			shquote_append(b, argv[i]);
	}
}

/* The first sub whose value occurs in s at or after from: its index, and
 * the offset in *at; -1 when none does. */
static long
shquote_find_sub(const char *s, size_t from, const struct shquote_sub *subs,
    size_t nsubs, size_t *at)
{
	long best = -1;
	size_t i, best_at = 0;

	for (i = 0; i < nsubs; i++) {
		const char *hit;

		if (subs[i].value == NULL || subs[i].value[0] == '\0')
			continue;
		hit = strstr(s + from, subs[i].value);
		if (hit != NULL && (best < 0 || (size_t)(hit - s) < best_at)) {
			best = (long)i;
			best_at = (size_t)(hit - s);
		}
	}
	*at = best_at;
	return best;
}

void
shquote_append_sub(struct buf *b, const char *s,
    const struct shquote_sub *subs, size_t nsubs)
{
	size_t pos = 0, at, len = strlen(s);
	long k;

	k = shquote_find_sub(s, 0, subs, nsubs, &at);
	if (k < 0) {
		shquote_append_n(b, s, len);
		return;
	}
	while (k >= 0) {
		if (at > pos)
			shquote_append_n(b, s + pos, at - pos);
		buf_printf(b, "\"$%s\"", subs[k].name);
		pos = at + strlen(subs[k].value);
		k = shquote_find_sub(s, pos, subs, nsubs, &at);
	}
	if (pos < len)
		shquote_append_n(b, s + pos, len - pos);
}

/* One word of a command line from *pos, up to unquoted white space: its
 * value into v (unquoted). 1: a plain word that can be quoted again; 0: a
 * word with operators (|, </dev/null, 2>&1), copied as it is; -1: something
 * the scanner does not follow (", $, a backquote, <<, an open quote), after
 * which word boundaries cannot be trusted. */
static int
shquote_scan_word(const char *line, size_t *pos, struct buf *v)
{
	size_t i = *pos;
	int plain = 1;

	while (line[i] != '\0' && line[i] != ' ' && line[i] != '\t' &&
	    line[i] != '\n') {
		unsigned char c = (unsigned char)line[i];

		if (c == '\'') {
			const char *end = strchr(line + i + 1, '\'');

			if (end == NULL)
				return -1;
			buf_append(v, line + i + 1,
			    (size_t)(end - line) - i - 1);
			i = (size_t)(end - line) + 1;
		} else if (c == '\\' && line[i + 1] != '\0') {
			buf_putc(v, line[i + 1]);
			i += 2;
		} else if (c == '"' || c == '$' || c == '`' ||
		    (c == '<' && line[i + 1] == '<')) {
			return -1;
		} else {
			if (!shquote_safe_char(c))
				plain = 0;
			buf_putc(v, (char)c);
			i++;
		}
	}
	*pos = i;
	return plain;
}

char *
shquote_line_sub(const char *line, const struct shquote_sub *subs,
    size_t nsubs)
{
	struct buf out, v;
	size_t i = 0, start, at;
	int kind;

	buf_init(&out, 0);
	buf_init(&v, 0);
	while (line[i] != '\0') {
		if (line[i] == ' ' || line[i] == '\t' || line[i] == '\n') {
			buf_putc(&out, line[i++]);
			continue;
		}
		start = i;
		buf_reset(&v);
		kind = shquote_scan_word(line, &i, &v);
		if (kind < 0) {
			buf_puts(&out, line + start);
			break;
		}
		if (kind == 1 &&
		    shquote_find_sub(buf_cstr(&v), 0, subs, nsubs, &at) >= 0)
			shquote_append_sub(&out, buf_cstr(&v), subs, nsubs);
		else
			buf_append(&out, line + start, i - start);
	}
	buf_dispose(&v);
	return buf_steal(&out);
}

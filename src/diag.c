/* SPDX-License-Identifier: MIT */
/* Diagnostics: FILE:LINE:COL messages with the source line and a caret. */
#define _GNU_SOURCE

#include "diag.h"

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util/buf.h"
#include "util/utf8.h"

#define DIAG_TABSTOP 8

void
diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
diags_dispose(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
		free(d->v[i].hint);
		free(d->v[i].source_line);
		free(d->v[i].code);
	}
	free(d->v);
	diags_init(d);
}

/* The text of line (1-based) of source, without its line ending; NULL when
 * there is no such line. Text after the last newline is a line only when it
 * is not empty. */
static char *
source_line_copy(const char *source, int line)
{
	const char *p = source, *end;
	size_t len;
	int n;

	if (source == NULL || line < 1)
		return NULL;
	for (n = 1; n < line; n++) {
		p = strchr(p, '\n');
		if (p == NULL)
			return NULL;
		p++;
	}
	if (*p == '\0')
		return NULL;
	end = strchr(p, '\n');
	len = end != NULL ? (size_t)(end - p) : strlen(p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return xstrndup(p, len);
}

/* A diagnostic is one line whatever text it quotes (a block scalar's
 * value ends with a line break): control bytes other than tab are written
 * as \n, \r or \xNN. Takes s; heap. */
static char *
one_line(char *s)
{
	struct buf b;
	const char *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			break;
	}
	if (*p == '\0')
		return s;
	buf_init(&b, 0);
	for (p = s; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n')
			buf_puts(&b, "\\n");
		else if (c == '\r')
			buf_puts(&b, "\\r");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_putc(&b, (char)c);
	}
	free(s);
	return buf_steal(&b);
}

void
diags_add(struct diags *d, enum diag_level level, struct srcpos pos,
    const char *source, const char *hint, const char *fmt, ...)
{
	struct diag *g;
	va_list ap;

	if (d->n == d->cap) {
		d->cap = d->cap != 0 ? d->cap * 2 : 16;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n++];
	memset(g, 0, sizeof(*g));
	g->level = level;
	g->file = xstrdup(pos.file != NULL ? pos.file : "<input>");
	g->line = pos.line > 0 ? pos.line : 0;
	g->col = g->line > 0 && pos.col > 0 ? pos.col : 0;
	va_start(ap, fmt);
	g->message = one_line(xvasprintf(fmt, ap));
	va_end(ap);
	g->hint = one_line(xstrdup(hint));
	g->source_line = source_line_copy(source, g->line);
	if (level == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
}

void
diags_set_code(struct diags *d, const char *code)
{
	if (d->n == 0)
		return;
	free(d->v[d->n - 1].code);
	d->v[d->n - 1].code = xstrdup(code);
}

void
diags_set_last(struct diags *d)
{
	if (d->n > 0)
		d->v[d->n - 1].last = 1;
}

static int
diag_cmp(const struct diag *a, const struct diag *b)
{
	int c;

	if (a->last != b->last)
		return a->last ? 1 : -1;
	c = strcmp(a->file, b->file);

	if (c != 0)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

void
diags_sort(struct diags *d)
{
	size_t i, j;

	/* Insertion sort: stable, and the lists are short and mostly in
	 * order already. */
	for (i = 1; i < d->n; i++) {
		struct diag tmp = d->v[i];

		for (j = i; j > 0 && diag_cmp(&d->v[j - 1], &tmp) > 0; j--)
			d->v[j] = d->v[j - 1];
		d->v[j] = tmp;
	}
}

/* The columns a terminal gives the character at s (len bytes of valid
 * UTF-8, len >= 1), by the C library's tables in the C.UTF-8 locale: 2
 * for CJK and most emoji, 0 for combining marks, else 1 (also where the
 * locale is missing). diags_print runs on one thread. */
static int
char_width(const char *s, size_t len)
{
	static locale_t utf8;
	static int tried;
	mbstate_t st;
	locale_t old;
	wchar_t wc;
	int w = 1;

	if (len == 1)
		return 1;
	if (!tried) {
		tried = 1;
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	if (utf8 == (locale_t)0)
		return 1;
	old = uselocale(utf8);
	memset(&st, 0, sizeof(st));
	if (mbrtowc(&wc, s, len, &st) == len)
		w = wcwidth(wc);
	uselocale(old);
	return w >= 0 ? w : 1;
}

/* Prints line with tabs expanded; returns the display width of its first
 * upto bytes, for the caret. */
static size_t
print_expanded(FILE *out, const char *line, size_t upto)
{
	size_t i, n, len = strlen(line), width = 0, caret = 0;
	int k;

	for (i = 0; i < len; i += n) {
		unsigned char c = (unsigned char)line[i];

		if (i <= upto)
			caret = width;
		n = 1;
		if (c == '\t') {
			do
				fputc(' ', out);
			while (++width % DIAG_TABSTOP != 0);
			continue;
		}
		k = utf8_seq_len((const unsigned char *)line + i, len - i);
		n = k > 0 ? (size_t)k : 1;
		fwrite(line + i, 1, n, out);
		width += k > 1 ? (size_t)char_width(line + i, n) : 1;
	}
	if (i <= upto)
		caret = width + (upto - i);
	return caret;
}

void
diags_print(const struct diags *d, FILE *out)
{
	size_t i, caret;

	for (i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		const char *level = g->level == DIAG_ERROR ? "error" :
		    "warning";

		if (g->line > 0 && g->col > 0)
			fprintf(out, "triage: %s:%d:%d: %s: %s", g->file,
			    g->line, g->col, level, g->message);
		else if (g->line > 0)
			fprintf(out, "triage: %s:%d: %s: %s", g->file,
			    g->line, level, g->message);
		else
			fprintf(out, "triage: %s: %s: %s", g->file, level,
			    g->message);
		if (g->code != NULL)
			fprintf(out, " [%s]", g->code);
		fputc('\n', out);
		if (g->source_line != NULL) {
			fputs("    ", out);
			caret = print_expanded(out, g->source_line,
			    g->col > 0 ? (size_t)g->col - 1 : 0);
			fputc('\n', out);
			if (g->col > 0)
				fprintf(out, "    %*s^\n", (int)caret, "");
		}
		if (g->hint != NULL)
			fprintf(out, "  hint: %s\n", g->hint);
	}
}

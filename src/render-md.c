/* SPDX-License-Identifier: MIT */
/* triage render: the document model written as Markdown (CommonMark with
 * GitHub tables), every runbook string escaped for where it stands. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "util/xmalloc.h"

/* Where inline text is going: a table cell needs | escaped even in code,
 * a heading needs # escaped anywhere. */
enum md_ctx {
	MD_BLOCK,
	MD_HEADING,
	MD_CELL,
};

struct md_state {
	enum md_ctx ctx;
	int line_start;		/* nothing but spaces written on this line */
};

static int
md_alnum(int c)
{
	return c != '\0' && (isalnum((unsigned char)c) || c >= 0x80);
}

/* Text: CommonMark's markup characters are backslash-escaped, where they
 * could mean something; line breaks become spaces. */
static void
md_text(struct buf *b, const char *s, struct md_state *st)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (st->line_start) {
			/* Leading spaces could make an indented code block. */
			if (c == ' ')
				continue;
			if (strchr("#>-+=", c) != NULL) {
				buf_putc(b, '\\');
				buf_putc(b, c);
				st->line_start = 0;
				continue;
			}
			if (isdigit((unsigned char)c)) {
				/* "1." or "1)" would start a list. */
				size_t j = i;

				while (isdigit((unsigned char)s[j]))
					j++;
				buf_append(b, s + i, j - i);
				if (s[j] == '.' || s[j] == ')') {
					buf_putc(b, '\\');
					buf_putc(b, s[j]);
					j++;
				}
				i = j - 1;
				st->line_start = 0;
				continue;
			}
		}
		st->line_start = 0;
		switch (c) {
		case '\\': case '`': case '*': case '[': case ']': case '<':
		case '|': case '~': case '$':
			buf_putc(b, '\\');
			buf_putc(b, c);
			break;
		case '_':
			/* Only an underscore at a word's edge can emphasise. */
			if (i == 0 || !md_alnum(s[i - 1]) ||
			    !md_alnum(s[i + 1]))
				buf_putc(b, '\\');
			buf_putc(b, c);
			break;
		case '&':
			if (md_alnum(s[i + 1]) || s[i + 1] == '#')
				buf_putc(b, '\\');
			buf_putc(b, c);
			break;
		case '#':
			if (st->ctx == MD_HEADING)
				buf_putc(b, '\\');
			buf_putc(b, c);
			break;
		default:
			buf_putc(b, c);
		}
	}
}

/* Inline code, fenced with more backticks than it holds in a row. */
static void
md_code(struct buf *b, const char *s, struct md_state *st)
{
	size_t run = 0, longest = 0, i, n = strlen(s);
	int pad;

	st->line_start = 0;
	if (n == 0) {
		buf_puts(b, "` `");
		return;
	}
	for (i = 0; i < n; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = s[0] == '`' || s[0] == ' ' || s[n - 1] == '`' ||
	    s[n - 1] == ' ';
	for (i = 0; i <= longest; i++)
		buf_putc(b, '`');
	if (pad)
		buf_putc(b, ' ');
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		/* GitHub tables split cells on | even inside code. */
		if (c == '|' && st->ctx == MD_CELL)
			buf_putc(b, '\\');
		buf_putc(b, c);
	}
	if (pad)
		buf_putc(b, ' ');
	for (i = 0; i <= longest; i++)
		buf_putc(b, '`');
}

static void
md_strong(struct buf *b, const char *s, struct md_state *st)
{
	size_t n = strlen(s), lead = strspn(s, " "), trail = 0;
	char *core;

	while (trail < n - lead && s[n - 1 - trail] == ' ')
		trail++;
	if (lead == n) {
		md_text(b, s, st);
		return;
	}
	if (lead > 0 && !st->line_start)
		buf_putc(b, ' ');
	core = xstrndup(s + lead, n - lead - trail);
	buf_puts(b, "**");
	st->line_start = 0;
	md_text(b, core, st);
	buf_puts(b, "**");
	free(core);
	if (trail > 0)
		buf_putc(b, ' ');
}

static void
md_inline(struct buf *b, const struct rinline *in, enum md_ctx ctx)
{
	struct md_state st = { ctx, 1 };
	size_t i;

	for (i = 0; i < in->n; i++) {
		const struct rspan *sp = &in->spans[i];

		switch (sp->kind) {
		case RSPAN_TEXT:
			md_text(b, sp->text, &st);
			break;
		case RSPAN_CODE:
			md_code(b, sp->text, &st);
			break;
		case RSPAN_STRONG:
			md_strong(b, sp->text, &st);
			break;
		case RSPAN_LINK:
			buf_putc(b, '[');
			st.line_start = 0;
			md_text(b, sp->text, &st);
			buf_printf(b, "](%s)", sp->href);
			break;
		case RSPAN_BREAK:
			buf_puts(b, "<br>");
			st.line_start = 0;
			break;
		case RSPAN_ANCHOR:
			buf_printf(b, "<a id=\"%s\"></a>", sp->text);
			break;
		}
	}
}

/* Appends text to out with indent before every line that is not empty. */
static void
md_indent(struct buf *out, const char *text, size_t indent)
{
	int bol = 1;

	for (; *text != '\0'; text++) {
		if (bol && *text != '\n')
			buf_printf(out, "%*s", (int)indent, "");
		buf_putc(out, *text);
		bol = *text == '\n';
	}
}

static void md_blocks(struct buf *b, const struct rblock *v, size_t n,
    int nested);

static void
md_table(struct buf *b, const struct rblock *t)
{
	size_t r, c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			buf_puts(b, "| ");
			md_inline(b, &t->cells[r * t->ncols + c], MD_CELL);
			buf_putc(b, ' ');
		}
		buf_puts(b, "|\n");
		if (r == 0) {
			for (c = 0; c < t->ncols; c++)
				buf_puts(b, "|---");
			buf_puts(b, "|\n");
		}
	}
}

static void
md_list(struct buf *b, const struct rblock *l)
{
	struct buf sub;
	size_t i;
	char marker[32];

	buf_init(&sub, 0);
	for (i = 0; i < l->nitems; i++) {
		const struct ritem *it = &l->items[i];

		if (l->ordered)
			snprintf(marker, sizeof(marker), "%zu. ", i + 1);
		else
			snprintf(marker, sizeof(marker), "- ");
		buf_puts(b, marker);
		if (it->anchor != NULL)
			buf_printf(b, "<a id=\"%s\"></a>", it->anchor);
		md_inline(b, &it->text, MD_BLOCK);
		buf_putc(b, '\n');
		buf_reset(&sub);
		md_blocks(&sub, it->blocks, it->nblocks, 1);
		md_indent(b, buf_cstr(&sub), strlen(marker));
	}
	buf_dispose(&sub);
}

static void
md_code_block(struct buf *b, const struct rblock *c)
{
	size_t run = 0, longest = 0, i, n = strlen(c->code), fence;

	for (i = 0; i < n; i++) {
		run = c->code[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	fence = longest >= 3 ? longest + 1 : 3;
	for (i = 0; i < fence; i++)
		buf_putc(b, '`');
	buf_printf(b, "%s\n", c->lang != NULL ? c->lang : "");
	buf_puts(b, c->code);
	if (n > 0 && c->code[n - 1] != '\n')
		buf_putc(b, '\n');
	for (i = 0; i < fence; i++)
		buf_putc(b, '`');
	buf_putc(b, '\n');
}

/* Whether GitHub's own id for a heading (lower case, spaces as "-",
 * other punctuation dropped) is already anchor, so no <a id> is needed. */
static int
md_slug_is(const struct rinline *in, const char *anchor)
{
	struct buf slug;
	size_t i;
	const char *s;
	int same;

	buf_init(&slug, 0);
	for (i = 0; i < in->n; i++) {
		if (in->spans[i].kind != RSPAN_TEXT)
			continue;
		for (s = in->spans[i].text; *s != '\0'; s++) {
			unsigned char c = (unsigned char)*s;

			if (c == ' ')
				buf_putc(&slug, '-');
			else if (isalnum(c) || c == '-' || c == '_' ||
			    c >= 0x80)
				buf_putc(&slug, (char)tolower(c));
		}
	}
	same = strcmp(buf_cstr(&slug), anchor) == 0;
	buf_dispose(&slug);
	return same;
}

static void
md_block(struct buf *b, const struct rblock *blk)
{
	int i;

	switch (blk->kind) {
	case RBLOCK_HEADING:
		for (i = 0; i < blk->level; i++)
			buf_putc(b, '#');
		buf_putc(b, ' ');
		if (blk->anchor != NULL && !md_slug_is(&blk->text, blk->anchor))
			buf_printf(b, "<a id=\"%s\"></a>", blk->anchor);
		md_inline(b, &blk->text, MD_HEADING);
		buf_putc(b, '\n');
		break;
	case RBLOCK_PARA:
		md_inline(b, &blk->text, MD_BLOCK);
		buf_putc(b, '\n');
		break;
	case RBLOCK_NOTE:
		buf_puts(b, "> ");
		md_inline(b, &blk->text, MD_BLOCK);
		buf_putc(b, '\n');
		break;
	case RBLOCK_TABLE:
		md_table(b, blk);
		break;
	case RBLOCK_LIST:
		md_list(b, blk);
		break;
	case RBLOCK_CODE:
		md_code_block(b, blk);
		break;
	}
}

/* Blocks one after the other: apart by a blank line at the top, close
 * together inside a list item (a tight list). */
static void
md_blocks(struct buf *b, const struct rblock *v, size_t n, int nested)
{
	size_t i;
	int first = 1;

	for (i = 0; i < n; i++) {
		if (!(v[i].formats & RFMT_MD))
			continue;
		if (!first && !nested)
			buf_putc(b, '\n');
		md_block(b, &v[i]);
		first = 0;
	}
}

void
render_md_write(struct buf *out, const struct rdoc *d)
{
	md_blocks(out, d->blocks, d->nblocks, 0);
}

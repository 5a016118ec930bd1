/* SPDX-License-Identifier: MIT */
/* triage render: the document model written as one self-contained HTML
 * page (inline CSS, no script, no external asset), every string escaped. */
#include <string.h>

#include "render.h"

static const char html_style[] =
	":root{color-scheme:light dark}"
	"body{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"sans-serif;max-width:62rem;margin:0 auto;padding:1rem;"
	"color:#1f2328;background:#fff}"
	"h1{font-size:1.6rem;margin:.5rem 0 1rem}"
	"h2{font-size:1.3rem;margin-top:2.2rem;padding-bottom:.2rem;"
	"border-bottom:1px solid #d0d7de}"
	"h3{font-size:1.1rem;margin-top:1.6rem}"
	"code,pre{font:.875em/1.45 ui-monospace,SFMono-Regular,Menlo,"
	"Consolas,monospace}"
	"code{background:#f1f3f5;padding:.1em .3em;border-radius:4px;"
	"overflow-wrap:break-word}"
	"pre{background:#f1f3f5;padding:.75rem;border-radius:6px;"
	"overflow-x:auto}"
	"pre code{background:none;padding:0;overflow-wrap:normal}"
	".tw{overflow-x:auto;margin:.5rem 0}"
	"table{border-collapse:collapse}"
	"th,td{border:1px solid #d0d7de;padding:.35rem .55rem;"
	"text-align:left;vertical-align:top}"
	"th{background:#f1f3f5}"
	"blockquote{margin:1rem 0;padding:.5rem 1rem;"
	"border-left:4px solid #bf8700;background:#fff8c5}"
	"li{margin:.2rem 0}"
	"a{color:#0969da}"
	"@media (prefers-color-scheme:dark){"
	"body{color:#e6edf3;background:#0d1117}"
	"code,pre,th{background:#161b22}"
	"th,td{border-color:#30363d}h2{border-color:#30363d}"
	"blockquote{background:#272115;border-color:#9e6a03}"
	"a{color:#4493f8}}"
	/* A phone: each table row becomes a card, each cell labelled. */
	"@media (max-width:40rem){body{padding:.6rem;font-size:15px}"
	"table,tbody,tr,td{display:block}thead{display:none}"
	"tr{border:1px solid #d0d7de;border-radius:6px;margin:.6rem 0;"
	"padding:.3rem .6rem}"
	"td{border:none;padding:.2rem 0}"
	"td::before{content:attr(data-label);display:block;"
	"font-size:.8em;font-weight:600;opacity:.7}"
	"code{overflow-wrap:anywhere}}";

void
html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

static void
html_id(struct buf *b, const char *id)
{
	if (id == NULL)
		return;
	buf_puts(b, " id=\"");
	html_escape(b, id);
	buf_putc(b, '"');
}

static void
html_inline(struct buf *b, const struct rinline *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		const struct rspan *sp = &in->spans[i];

		switch (sp->kind) {
		case RSPAN_TEXT:
			html_escape(b, sp->text);
			break;
		case RSPAN_CODE:
			buf_puts(b, "<code>");
			html_escape(b, sp->text);
			buf_puts(b, "</code>");
			break;
		case RSPAN_STRONG:
			buf_puts(b, "<strong>");
			html_escape(b, sp->text);
			buf_puts(b, "</strong>");
			break;
		case RSPAN_LINK:
			buf_puts(b, "<a href=\"");
			html_escape(b, sp->href);
			buf_puts(b, "\">");
			html_escape(b, sp->text);
			buf_puts(b, "</a>");
			break;
		case RSPAN_BREAK:
			buf_puts(b, "<br>");
			break;
		case RSPAN_ANCHOR:
			buf_puts(b, "<span");
			html_id(b, sp->text);
			buf_puts(b, "></span>");
			break;
		}
	}
}

static void html_blocks(struct buf *b, const struct rblock *v, size_t n);

/* The text of in without markup, escaped, for an attribute. */
static void
html_plain(struct buf *b, const struct rinline *in)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		if (in->spans[i].kind != RSPAN_ANCHOR)
			html_escape(b, in->spans[i].text);
	}
}

static void
html_table(struct buf *b, const struct rblock *t)
{
	size_t r, c;

	buf_puts(b, "<div class=\"tw\"><table>\n");
	for (r = 0; r < t->nrows; r++) {
		buf_puts(b, r == 0 ? "<thead><tr>" : "<tr>");
		for (c = 0; c < t->ncols; c++) {
			if (r > 0) {
				/* The header, for a phone's cards. */
				buf_puts(b, "<td data-label=\"");
				html_plain(b, &t->cells[c]);
				buf_puts(b, "\">");
			} else {
				buf_puts(b, "<th>");
			}
			html_inline(b, &t->cells[r * t->ncols + c]);
			buf_puts(b, r == 0 ? "</th>" : "</td>");
		}
		buf_puts(b, r == 0 ? "</tr></thead>\n<tbody>\n" : "</tr>\n");
	}
	buf_puts(b, "</tbody></table></div>\n");
}

static void
html_list(struct buf *b, const struct rblock *l)
{
	size_t i;

	buf_puts(b, l->ordered ? "<ol>\n" : "<ul>\n");
	for (i = 0; i < l->nitems; i++) {
		const struct ritem *it = &l->items[i];

		buf_puts(b, "<li");
		html_id(b, it->anchor);
		buf_putc(b, '>');
		html_inline(b, &it->text);
		if (it->nblocks > 0) {
			buf_putc(b, '\n');
			html_blocks(b, it->blocks, it->nblocks);
		}
		buf_puts(b, "</li>\n");
	}
	buf_puts(b, l->ordered ? "</ol>\n" : "</ul>\n");
}

static void
html_block(struct buf *b, const struct rblock *blk)
{
	switch (blk->kind) {
	case RBLOCK_HEADING:
		buf_printf(b, "<h%d", blk->level);
		html_id(b, blk->anchor);
		buf_putc(b, '>');
		html_inline(b, &blk->text);
		buf_printf(b, "</h%d>\n", blk->level);
		break;
	case RBLOCK_PARA:
		buf_puts(b, "<p>");
		html_inline(b, &blk->text);
		buf_puts(b, "</p>\n");
		break;
	case RBLOCK_NOTE:
		buf_puts(b, "<blockquote><p>");
		html_inline(b, &blk->text);
		buf_puts(b, "</p></blockquote>\n");
		break;
	case RBLOCK_TABLE:
		html_table(b, blk);
		break;
	case RBLOCK_LIST:
		html_list(b, blk);
		break;
	case RBLOCK_CODE:
		buf_puts(b, "<pre><code");
		if (blk->lang != NULL) {
			buf_puts(b, " class=\"language-");
			html_escape(b, blk->lang);
			buf_putc(b, '"');
		}
		buf_putc(b, '>');
		html_escape(b, blk->code);
		buf_puts(b, "</code></pre>\n");
		break;
	}
}

static void
html_blocks(struct buf *b, const struct rblock *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].formats & RFMT_HTML)
			html_block(b, &v[i]);
	}
}

void
render_html_write(struct buf *out, const struct rdoc *d)
{
	buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<title>");
	html_escape(out, d->title);
	buf_puts(out, "</title>\n<style>");
	buf_puts(out, html_style);
	buf_puts(out, "</style>\n</head>\n<body>\n");
	html_blocks(out, d->blocks, d->nblocks);
	buf_puts(out, "</body>\n</html>\n");
}

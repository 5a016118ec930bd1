/* SPDX-License-Identifier: MIT */
/* The runbook as a document for people: Markdown, HTML and a mermaid tree.
 *
 * render.c builds one document model from a loaded runbook (every string
 * redacted as it goes in); render-md.c and render-html.c write that model
 * out, each with its own escaping. Both formats have the same sections. */
#ifndef TRIAGE_RENDER_H
#define TRIAGE_RENDER_H

#include <stddef.h>

#include "util/buf.h"

struct probe;
struct runbook;

#define RENDER_STALE_DAYS 90	/* last_verified older than this is stale */

struct render_opts {
	double now;		/* epoch seconds, for "stale: N days" */
	/* How a triage command line names the runbook: "-f examples/demo.yaml"
	 * or "--builtin" (already shell-quoted). */
	const char *runbook_arg;
};

/* render_markdown, render_html: rb as a Markdown or a self-contained HTML
 * document; heap string. No secret value appears in it. */
char *render_markdown(const struct runbook *rb, const struct render_opts *o);
char *render_html(const struct runbook *rb, const struct render_opts *o);

/* render_mermaid: rb's triage tree as a mermaid `flowchart TD` (no code
 * fence); heap string, or NULL when rb has no tree. */
char *render_mermaid(const struct runbook *rb);

/* render_mermaid_label: appends s to b as a quoted mermaid label ("..."),
 * with the characters mermaid would read as syntax written as entity
 * codes (#quot; #35; #lt; ...) and line breaks as spaces. */
void render_mermaid_label(struct buf *b, const char *s);

/* render_manual: the command an operator types to make p's check by hand
 * (the kind's manual command; over ssh for `on: HOST`), with each set
 * secret written as "$NAME" and anything else secret redacted; heap
 * string, or NULL when p's kind has none. */
char *render_manual(const struct runbook *rb, const struct probe *p);

/* The document model, shared by render.c and its two writers. */

enum rspan_kind {
	RSPAN_TEXT,		/* plain text */
	RSPAN_CODE,		/* inline code */
	RSPAN_STRONG,		/* bold text */
	RSPAN_LINK,		/* text linking to href ("#anchor") */
	RSPAN_BREAK,		/* a line break */
	RSPAN_ANCHOR,		/* an invisible link target named text */
};

struct rspan {
	enum rspan_kind kind;
	char *text;
	char *href;
};

struct rinline {
	struct rspan *spans;
	size_t n;
};

enum rblock_kind {
	RBLOCK_HEADING,		/* level, anchor, text */
	RBLOCK_PARA,		/* text */
	RBLOCK_NOTE,		/* text, set apart (a blockquote) */
	RBLOCK_TABLE,		/* ncols, nrows, cells (row 0: the header) */
	RBLOCK_LIST,		/* ordered, items */
	RBLOCK_CODE,		/* lang, code */
};

#define RFMT_MD 1u
#define RFMT_HTML 2u
#define RFMT_ALL (RFMT_MD | RFMT_HTML)

struct rblock;

struct ritem {
	char *anchor;		/* NULL or a link target */
	struct rinline text;
	struct rblock *blocks;	/* nested blocks (lists, code) */
	size_t nblocks;
};

struct rblock {
	enum rblock_kind kind;
	unsigned formats;	/* RFMT_*: the writers that show it */
	int level;
	char *anchor;
	struct rinline text;
	size_t ncols;
	size_t nrows;		/* the header included */
	struct rinline *cells;	/* nrows * ncols */
	int ordered;
	struct ritem *items;
	size_t nitems;
	char *lang;
	char *code;
};

struct rdoc {
	char *title;
	struct rblock *blocks;
	size_t nblocks;
};

/* render_doc_build: the document for rb; free it with render_doc_free. */
struct rdoc *render_doc_build(const struct runbook *rb,
    const struct render_opts *o);

/* render_doc_free: releases d; NULL is a no-op. */
void render_doc_free(struct rdoc *d);

/* render_md_write, render_html_write: append d to out as Markdown or as
 * one HTML page. */
void render_md_write(struct buf *out, const struct rdoc *d);
void render_html_write(struct buf *out, const struct rdoc *d);

struct buf;

/* html_escape: appends s to b with &, <, >, " and ' as character
 * references (safe in text and in quoted attributes). */
void html_escape(struct buf *b, const char *s);

#endif

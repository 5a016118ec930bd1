/* SPDX-License-Identifier: MIT */
/* Quoting for POSIX sh: words an operator can paste into a terminal. */
#ifndef TRIAGE_SHQUOTE_H
#define TRIAGE_SHQUOTE_H

#include <stddef.h>

#include "util/buf.h"

/* shquote_append: appends s to b as one shell word. Words made only of
 * letters, digits and @%+=:,./_- are left bare; anything else is put in
 * single quotes, a ' inside written as '\''. The empty string is ''. */
void shquote_append(struct buf *b, const char *s);

/* shquote: s as one shell word (as shquote_append); heap string. */
char *shquote(const char *s);

/* shquote_append_argv: appends argv[0..n) as a command line, the words
 * separated by one space. A first word holding '=' is quoted so that sh
 * does not take it for an assignment. */
void shquote_append_argv(struct buf *b, const char *const *argv, size_t n);

/* A value to show as an environment variable: "$name" instead of value. */
struct shquote_sub {
	const char *value;	/* non-empty */
	const char *name;	/* [A-Za-z_][A-Za-z0-9_]* */
};

/* shquote_append_sub: as shquote_append, but every occurrence of a sub's
 * value in s is written as "$NAME" (double-quoted, so the shell expands it
 * to that value): "Bearer tok" with {tok, API_TOKEN} gives
 * 'Bearer '"$API_TOKEN". Earlier subs win where values overlap, so give
 * longer values first. */
void shquote_append_sub(struct buf *b, const char *s,
    const struct shquote_sub *subs, size_t nsubs);

/* shquote_line_sub: line is a command line whose words were quoted with
 * shquote_append (bare words, '...' and \' pieces, plus operators such as
 * |, &&, </dev/null, 2>&1). Returns a heap copy in which each word whose
 * value holds a sub's value is quoted again with shquote_append_sub, and
 * everything else is as it was. From the first construct the scanner does
 * not follow (a double quote, $, a backquote, a here-document <<, an open
 * quote) the rest of the line is copied as it is, so callers that must
 * hide values redact the result as well. */
char *shquote_line_sub(const char *line, const struct shquote_sub *subs,
    size_t nsubs);

#endif

/* SPDX-License-Identifier: MIT */
/* A growable byte buffer with a hard maximum, for anything sized from outside. */
#ifndef TRIAGE_BUF_H
#define TRIAGE_BUF_H

#include <stddef.h>

#include "util/xmalloc.h"

struct buf {
	char *data;	/* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	size_t max;	/* 0: unbounded */
	int truncated;	/* set once an append did not fit under max */
};

/* buf_init: an empty buffer that will hold at most max bytes (0 = no limit).
 * Nothing is allocated until the first append. */
void buf_init(struct buf *b, size_t max);

/* buf_dispose: frees the contents; the buffer may be reused after buf_init. */
void buf_dispose(struct buf *b);

/* buf_reset: empties the buffer, keeping its memory and its maximum. */
void buf_reset(struct buf *b);

/* buf_reserve: makes room for n more bytes (within the maximum) in one
 * allocation, so that appending them moves nothing. */
void buf_reserve(struct buf *b, size_t n);

/* buf_append: appends n bytes. When they do not all fit under the maximum,
 * appends what fits, sets b->truncated and returns -1; else 0. */
int buf_append(struct buf *b, const void *p, size_t n);

/* buf_puts, buf_putc: buf_append for a string or one byte. */
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);

/* buf_printf: appends formatted text; -1 when truncated. */
int buf_printf(struct buf *b, const char *fmt, ...) PRINTFLIKE(2, 3);

/* buf_cstr: the contents as a NUL-terminated string ("" when empty); owned
 * by the buffer. */
const char *buf_cstr(const struct buf *b);

/* buf_steal: the contents as a heap string the caller frees; the buffer is
 * left empty. */
char *buf_steal(struct buf *b);

#endif

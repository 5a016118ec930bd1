/* SPDX-License-Identifier: MIT */
/* Allocation that aborts on failure, and small string helpers. */
#ifndef TRIAGE_XMALLOC_H
#define TRIAGE_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

#define PRINTFLIKE(f, a) __attribute__((format(printf, f, a)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* xmalloc, xcalloc, xrealloc, xstrdup, xstrndup: as the libc calls, but
 * print a message and abort on allocation failure; they never return NULL
 * (xstrdup(NULL) returns NULL). The caller owns and frees the result. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* xasprintf: a newly allocated formatted string; aborts on failure. */
char *xasprintf(const char *fmt, ...) PRINTFLIKE(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTFLIKE(1, 0);

/* str_has_prefix: 1 when s starts with prefix. */
int str_has_prefix(const char *s, const char *prefix);

/* str_trim: strips leading and trailing white space in place; returns s. */
char *str_trim(char *s);

/* str_to_long: parses all of s as a base-10 long within [min, max]; 0 on
 * success, -1 when s is empty, has trailing text or is out of range. */
int str_to_long(const char *s, long min, long max, long *out);

/* str_edit_distance: Levenshtein distance, capped at 255; for "did you
 * mean" hints. */
unsigned str_edit_distance(const char *a, const char *b);

/* strv_free: frees a NULL-terminated vector of heap strings and the vector;
 * NULL is a no-op. */
void strv_free(char **v);

#endif

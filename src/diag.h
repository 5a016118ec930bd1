/* SPDX-License-Identifier: MIT */
/* Diagnostics: FILE:LINE:COL messages with the source line and a caret. */
#ifndef TRIAGE_DIAG_H
#define TRIAGE_DIAG_H

#include <stdio.h>

#include "util/xmalloc.h"

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING,
};

/* A position in a source file; line and col are 1-based, 0 when unknown. */
struct srcpos {
	const char *file;	/* borrowed; owned by the runbook or the caller */
	int line;
	int col;
};

struct diag {
	enum diag_level level;
	char *file;
	int line;
	int col;
	char *message;
	char *hint;		/* NULL or "did you mean \"timeout\"?" */
	char *source_line;	/* NULL or the text of the offending line */
	char *code;		/* NULL, or the stable name of a lint finding
				 * ("stale"), printed as " [stale]" */
	int last;		/* sorts after every other diagnostic: a
				 * note about the list ("5 more errors not
				 * shown"); see diags_set_last */
};

struct diags {
	struct diag *v;
	size_t n;
	size_t cap;
	size_t errors;
	size_t warnings;
};

/* diags_init, diags_dispose: an empty list; dispose frees every entry. */
void diags_init(struct diags *d);
void diags_dispose(struct diags *d);

/* diags_add: records one diagnostic at pos. source is the whole text of
 * pos.file (or NULL), from which the offending line is copied; hint may be
 * NULL. */
void diags_add(struct diags *d, enum diag_level level, struct srcpos pos,
    const char *source, const char *hint, const char *fmt, ...)
    PRINTFLIKE(6, 7);

/* diags_set_code: sets the code of the diagnostic added last (a copy of
 * code); a no-op on an empty list. */
void diags_set_code(struct diags *d, const char *code);

/* diags_set_last: the last diagnostic added stays last when sorted. */
void diags_set_last(struct diags *d);

/* diags_sort: orders the list by file, line, column (stable); one marked
 * with diags_set_last stays last. */
void diags_sort(struct diags *d);

/* diags_print: "triage: FILE:LINE:COL: error: message", then the source
 * line, a caret under the column and the hint, for each diagnostic. */
void diags_print(const struct diags *d, FILE *out);

#endif

/* SPDX-License-Identifier: MIT */
/* JSON text as triage prints it, written at any depth of a document. */
#ifndef TRIAGE_JSONOUT_H
#define TRIAGE_JSONOUT_H

#include <jansson.h>

#include "util/buf.h"

/* What --json output is: two-space indents, keys in the order they were
 * set, reals to 9 significant digits (jansson's json_dumpf flags). */
#define JSONOUT_FLAGS \
	(JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9))

/* jsonout_append: appends v (any JSON value; NULL appends nothing) to b as
 * jansson writes it with JSONOUT_FLAGS, but nested depth levels deep in a
 * document: every line after the first is indented by two spaces per
 * level more. So a document can be written a part at a time. A value that
 * does not fit under b's maximum is left out whole and b is marked
 * truncated. */
void jsonout_append(struct buf *b, const json_t *v, int depth);

/* jsonout_compact: appends v to b as jansson writes it with JSON_COMPACT
 * (what the daemon's API serves); as jsonout_append at a maximum. */
void jsonout_compact(struct buf *b, const json_t *v);

#endif

/* SPDX-License-Identifier: MIT */
/* JSON text as triage prints it, written at any depth of a document. */
#include "util/jsonout.h"

#include <string.h>

static const char jsonout_spaces[] = "                                ";

struct jsonout_sink {
	struct buf *b;
	size_t indent;		/* spaces after each line break */
};

/* jansson's dump callback: copies what it writes into the buffer, with
 * the extra indent after each line break. A line break in the text is
 * always formatting: inside strings jansson writes "\n". */
static int
jsonout_write(const char *buffer, size_t size, void *data)
{
	struct jsonout_sink *s = data;
	const char *p = buffer, *end = buffer + size, *nl;

	while (s->indent > 0 &&
	    (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t left = s->indent;

		buf_append(s->b, p, (size_t)(nl + 1 - p));
		while (left > 0) {
			size_t k = left < sizeof(jsonout_spaces) - 1 ? left :
			    sizeof(jsonout_spaces) - 1;

			buf_append(s->b, jsonout_spaces, k);
			left -= k;
		}
		p = nl + 1;
	}
	buf_append(s->b, p, (size_t)(end - p));
	return 0;
}

void
jsonout_append(struct buf *b, const json_t *v, int depth)
{
	struct jsonout_sink s = { b, 2 * (size_t)(depth > 0 ? depth : 0) };

	if (v != NULL)
		json_dump_callback(v, jsonout_write, &s,
		    JSONOUT_FLAGS | JSON_ENCODE_ANY);
}

void
jsonout_compact(struct buf *b, const json_t *v)
{
	struct jsonout_sink s = { b, 0 };

	if (v != NULL)
		json_dump_callback(v, jsonout_write, &s, JSON_COMPACT |
		    JSON_ENCODE_ANY);
}

/* SPDX-License-Identifier: MIT */
/* JSON text as triage prints it, written at any depth of a document. */
#include "util/jsonout.h"

#include <string.h>

/* The bytes b can take before it must grow (its maximum counts). */
static size_t
jsonout_room(const struct buf *b)
{
	size_t room = b->cap > b->len ? b->cap - b->len - 1 : 0;

	if (b->max != 0 && room > b->max - b->len)
		room = b->max - b->len;
	return room;
}

/* Appends v as jansson writes it with flags, every line after the first
 * indented by indent more spaces. jansson writes straight into the
 * buffer's free space (json_dumpb, asked again with room enough when the
 * first answer did not fit): a callback per token into the buffer cost
 * about as much as jansson's own work. A line break in the text is always
 * formatting: inside strings jansson writes "\n". A value that does not
 * fit under the buffer's maximum is left out whole, and the buffer is
 * marked truncated. */
static void
jsonout_dump(struct buf *b, const json_t *v, size_t flags, size_t indent)
{
	size_t room = jsonout_room(b), n, lines = 0, extra;
	char *start, *src, *dst, *end, *nl;

	if (v == NULL)
		return;
	n = json_dumpb(v, room > 0 ? b->data + b->len : NULL, room, flags);
	if (n > room) {
		buf_reserve(b, n);
		room = jsonout_room(b);
		if (n > room)
			goto too_big;
		n = json_dumpb(v, b->data + b->len, room, flags);
	}
	if (n == 0)
		return;
	start = b->data + b->len;
	for (src = start; indent > 0 &&
	    (nl = memchr(src, '\n', (size_t)(start + n - src))) != NULL;
	    src = nl + 1)
		lines++;
	if (lines > 0) {
		/* Room for the indents after the text (which the buffer holds
		 * meanwhile); then the text moves to the end of it and is
		 * copied back a line at a time with the indent after each
		 * break: the copy never overtakes what it has yet to read. */
		extra = lines * indent;
		b->len += n;
		buf_reserve(b, extra);
		b->len -= n;
		if (jsonout_room(b) < n + extra)
			goto too_big;
		start = b->data + b->len;
		memmove(start + extra, start, n);
		src = start + extra;
		end = src + n;
		dst = start;
		while ((nl = memchr(src, '\n', (size_t)(end - src))) != NULL) {
			memmove(dst, src, (size_t)(nl + 1 - src));
			dst += nl + 1 - src;
			src = nl + 1;
			memset(dst, ' ', indent);
			dst += indent;
		}
		n += extra;
	}
	b->len += n;
	b->data[b->len] = '\0';
	return;
too_big:
	b->truncated = 1;
	if (b->data != NULL)
		b->data[b->len] = '\0';
}

void
jsonout_append(struct buf *b, const json_t *v, int depth)
{
	jsonout_dump(b, v, JSONOUT_FLAGS | JSON_ENCODE_ANY,
	    2 * (size_t)(depth > 0 ? depth : 0));
}

void
jsonout_compact(struct buf *b, const json_t *v)
{
	jsonout_dump(b, v, JSON_COMPACT | JSON_ENCODE_ANY, 0);
}

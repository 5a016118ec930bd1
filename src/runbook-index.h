/* SPDX-License-Identifier: MIT */
/* An index from string keys to positions in an array the caller keeps, so
 * that the loader finds a key in O(1) on average, not by a linear search.
 *
 * The index holds positions only; whenever it needs the key at a position
 * (to compare, or to rehash as it grows) it asks key_of(arg, pos). Keys
 * compare as C strings. A key that is already present is not added again,
 * so a find gives the first position added for that key. */
#ifndef TRIAGE_RUNBOOK_INDEX_H
#define TRIAGE_RUNBOOK_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* The key at position pos of the caller's array (borrowed). */
typedef const char *(*keyindex_key_fn)(const void *arg, size_t pos);

struct keyindex_slot {
	uint32_t hash;
	uint32_t pos1;			/* position + 1; 0: empty */
};

struct keyindex {
	struct keyindex_slot *slots;
	size_t mask;			/* slots - 1 (a power of two) */
	size_t n;			/* keys held */
	keyindex_key_fn key_of;
	const void *arg;
};

/* keyindex_init: an empty index whose keys are key_of(arg, pos). Nothing
 * is allocated until the first add. */
void keyindex_init(struct keyindex *x, keyindex_key_fn key_of,
    const void *arg);

/* keyindex_dispose: frees what x holds; x may be reused after
 * keyindex_init. */
void keyindex_dispose(struct keyindex *x);

/* keyindex_find: the position of key, or -1 when it is not held. */
long keyindex_find(const struct keyindex *x, const char *key);

/* keyindex_add: holds pos for key, which must be key_of(arg, pos), unless
 * key is held already. Returns the position held for key: pos, or the
 * earlier one. pos must be below UINT32_MAX. */
size_t keyindex_add(struct keyindex *x, const char *key, size_t pos);

#endif

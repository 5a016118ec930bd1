/* SPDX-License-Identifier: MIT */
/* An open-addressing hash index from string keys to array positions. */
#include "runbook-index.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

#define KEYINDEX_MIN_SLOTS 16u

/* FNV-1a. */
static uint32_t
key_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void
keyindex_init(struct keyindex *x, keyindex_key_fn key_of, const void *arg)
{
	memset(x, 0, sizeof(*x));
	x->key_of = key_of;
	x->arg = arg;
}

void
keyindex_dispose(struct keyindex *x)
{
	free(x->slots);
	x->slots = NULL;
	x->mask = 0;
	x->n = 0;
}

/* The slot holding key (hash h), or the empty slot where it would go. */
static struct keyindex_slot *
keyindex_slot(const struct keyindex *x, const char *key, uint32_t h)
{
	size_t i = h & x->mask;
	struct keyindex_slot *s;

	for (;;) {
		s = &x->slots[i];
		if (s->pos1 == 0 || (s->hash == h &&
		    strcmp(x->key_of(x->arg, s->pos1 - 1), key) == 0))
			return s;
		i = (i + 1) & x->mask;
	}
}

/* Doubles the slots (or makes the first ones) and places every key again. */
static void
keyindex_grow(struct keyindex *x)
{
	struct keyindex_slot *old = x->slots, *s;
	size_t nold = old != NULL ? x->mask + 1 : 0, i;

	x->mask = nold != 0 ? nold * 2 - 1 : KEYINDEX_MIN_SLOTS - 1;
	x->slots = xcalloc(x->mask + 1, sizeof(*x->slots));
	for (i = 0; i < nold; i++) {
		if (old[i].pos1 == 0)
			continue;
		for (s = &x->slots[old[i].hash & x->mask]; s->pos1 != 0;
		    s = &x->slots[(size_t)(s - x->slots + 1) & x->mask])
			;
		*s = old[i];
	}
	free(old);
}

long
keyindex_find(const struct keyindex *x, const char *key)
{
	const struct keyindex_slot *s;

	if (x->slots == NULL)
		return -1;
	s = keyindex_slot(x, key, key_hash(key));
	return s->pos1 != 0 ? (long)s->pos1 - 1 : -1;
}

size_t
keyindex_add(struct keyindex *x, const char *key, size_t pos)
{
	uint32_t h = key_hash(key);
	struct keyindex_slot *s;

	/* At most half full, so that probes stay short. */
	if (x->slots == NULL || (x->n + 1) * 2 > x->mask + 1)
		keyindex_grow(x);
	s = keyindex_slot(x, key, h);
	if (s->pos1 != 0)
		return s->pos1 - 1;
	s->hash = h;
	s->pos1 = (uint32_t)pos + 1;
	x->n++;
	return pos;
}

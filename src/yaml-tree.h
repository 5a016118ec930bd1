/* SPDX-License-Identifier: MIT */
/* The YAML tree of the runbook loader: libfyaml events as nodes that keep
 * their FILE:LINE:COL, with anchors, aliases and `<<` merges resolved.
 *
 * An alias is the anchored node itself (shared, never copied); `<<` merge
 * keys are resolved as each mapping ends, and a repeated key is kept but
 * marked (dup_of), for the loader to report where it knows what the key
 * means. Every node belongs to the struct ytree that made it. */
#ifndef TRIAGE_YAML_TREE_H
#define TRIAGE_YAML_TREE_H

#include <libfyaml.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "runbook-index.h"
#include "runbook.h"

enum ytype {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
};

struct yarena;
struct ynode;

struct yentry {
	struct ynode *key;		/* always a scalar */
	struct ynode *value;
	const struct ynode *dup_of;	/* the earlier key it repeats */
};

/* A node. Counts and offsets are 32-bit: a file is at most 16 MiB. */
struct ynode {
	char *text;			/* scalar; owned by the tree */
	struct ynode **items;		/* sequence */
	struct yentry *entries;		/* mapping */
	struct keyindex *index;		/* of a large mapping's keys, or NULL */
	struct srcpos pos;		/* at the opening quote if quoted */
	uint32_t nitems;
	uint32_t nentries;
	uint32_t cap;			/* of items or entries, when merged */
	uint32_t esize;			/* nodes it stands for, aliases
					 * expanded (to stop alias bombs) */
	uint32_t content;		/* byte offset of the scalar's text */
	int content_col;		/* and its byte column */
	enum ytype type;
	enum fy_scalar_style style;
	unsigned char bad;		/* stands for a reported error */
	unsigned char nopos;		/* empty: libfyaml gave no mark */
	unsigned char merged;		/* made by merging files: not shared,
					 * its arrays on the heap */
};

/* Reports one error at pos with hint (heap or NULL, taken over). */
typedef void (*ytree_error_fn)(void *arg, struct srcpos pos, char *hint,
    const char *msg);

/* The nodes of one load, and what building them has cost. */
struct ytree {
	ytree_error_fn error;
	void *arg;
	const char *top;		/* the file errors about the whole
					 * runbook name */
	struct yarena *arena;		/* memory of the nodes, texts, arrays */
	struct ynode **owners;		/* nodes that hold heap memory too */
	size_t nowners;
	size_t owners_cap;
	size_t copied;			/* nodes aliases and merges bring in */
	int overworked;
};

/* ytree_init: an empty tree whose errors go to error(arg, ...); top is
 * the file (borrowed) that errors about the whole runbook are put in. */
void ytree_init(struct ytree *t, const char *top, ytree_error_fn error,
    void *arg);

/* ytree_dispose: frees every node of t. */
void ytree_dispose(struct ytree *t);

/* ytree_parse: the tree of file f, whose text is len bytes (*out is NULL
 * when it is empty). Returns -1 after an error, which is reported: text
 * that is not UTF-8 or holds a NUL byte, bad YAML, or aliases and merges
 * that bring in more than 2,000,000 nodes (an alias costs the size of
 * what it names, every time; nodes written out cost nothing, so building
 * and then walking the tree is linear in the text plus that bound). */
int ytree_parse(struct ytree *t, const struct runbook_file *f, size_t len,
    struct ynode **out);

/* ytree_merge_files: the top-level mappings of the n files (roots[i] is
 * the tree of files[i], or NULL when empty) as one mapping; the sections
 * that combine (probes, vars, ...) are combined, any other key given
 * twice is kept as a duplicate. NULL after an error, which is reported. */
struct ynode *ytree_merge_files(struct ytree *t, struct ynode *const *roots,
    const struct runbook_file *files, size_t n);

/* ynode_is_null: whether n is a plain empty, ~ or null scalar. */
int ynode_is_null(const struct ynode *n);

/* ynode_list: the nodes of *v taken as a list: its items, or *v alone;
 * *n is their count. Borrowed. */
struct ynode **ynode_list(struct ynode **v, size_t *n);

/* ymap_entry: the first entry of map whose key is key, or NULL; O(1) on
 * average (a large mapping has an index of its keys). */
const struct yentry *ymap_entry(const struct ynode *map, const char *key);

/* ymap_get: the value of ymap_entry(map, key), or NULL. */
struct ynode *ymap_get(const struct ynode *map, const char *key);

#endif

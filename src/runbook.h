/* SPDX-License-Identifier: MIT */
/* The runbook: loaded from YAML, validated whole, then read-only. */
#ifndef TRIAGE_RUNBOOK_H
#define TRIAGE_RUNBOOK_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"
#include "probe.h"

struct expr;
struct keyindex;

struct host {
	char *name;
	char *ssh;		/* user@address */
	int port;		/* 0: the ssh default */
	char *identity;		/* NULL or a key file */
	char *known_hosts;	/* NULL: the user's */
	struct srcpos pos;
};

/* A step: evidence, a fix step, or an escalation item. It is a probe
 * (kinds command, log, http, file, ...) plus what a fix step may say. */
struct step {
	struct probe probe;
	char *dangerous;	/* NULL, or why it needs --allow-dangerous */
	int continue_on_error;
};

/* Where a tree branch leads: a node, or a list of candidate failures. */
struct tbranch {
	int is_node;
	size_t node;		/* index in triage.nodes when is_node */
	size_t *failures;	/* indices in runbook.failures */
	size_t nfailures;
	struct srcpos pos;
};

struct tnode {
	char *id;
	char *ask;
	struct expr *cond;
	struct tbranch then_branch;
	struct tbranch else_branch;
	struct srcpos pos;
};

struct triage_tree {
	int present;
	size_t start;
	struct tnode *nodes;
	size_t nnodes;
	struct srcpos pos;
};

struct failure {
	char *id;
	char *title;
	char *layer;
	char *diagnosis;
	struct expr *when;
	struct step *evidence;
	size_t nevidence;
	struct expr **guard;
	size_t nguard;
	struct step *fix;
	size_t nfix;
	struct step *on_failure;
	size_t non_failure;
	size_t *verify;		/* indices in runbook.probes */
	size_t nverify;
	double verify_timeout;	/* seconds; default 60 */
	char *last_verified;	/* NULL or YYYY-MM-DD */
	struct srcpos last_verified_pos;
	int auto_fix;
	/* The rate limit: refused once applied max_applies times within
	 * apply_window seconds (defaults 3 and 1h). */
	int max_applies;
	double apply_window;
	struct srcpos pos;
};

struct escalation {
	char *contact;
	struct step *bring;
	size_t nbring;
};

/* One file a runbook was read from; a directory runbook has several. */
struct runbook_file {
	char *path;		/* as given, or "<builtin>"; srcpos.file */
	char *source;		/* its whole text */
};

/* The shortest secret value a runbook accepts: values are redacted
 * wherever they appear, so a shorter one would mangle unrelated text. */
#define RUNBOOK_SECRET_MIN 4

struct runbook {
	char *path;		/* as given, or "<builtin>" */
	char *source;		/* the whole text, for diagnostics; for a
				 * directory, its files joined by "---" lines
				 * (use runbook_source for diagnostics) */
	char *id;
	char *title;
	char *owner;
	char *last_verified;
	struct srcpos last_verified_pos;
	json_t *vars;		/* object: name -> string */
	char **secrets;		/* names listed under secrets: */
	size_t nsecrets;
	char **secret_values;	/* values of those that are set (non-empty) */
	size_t nsecret_values;
	struct host *hosts;
	size_t nhosts;
	struct probe *probes;
	size_t nprobes;
	struct triage_tree triage;
	struct failure *failures;
	size_t nfailures;
	struct escalation escalation;
	struct runbook_file *files;	/* in name order; one for a file */
	size_t nfiles;
	struct keyindex *probe_ids;	/* private: probe id -> index, for
					 * runbook_probe_index (NULL: none) */
};

/* What errors call a runbook read from standard input. */
#define RUNBOOK_STDIN_NAME "<stdin>"

/* runbook_load_file: reads, parses and validates the runbook at path. Every
 * problem found is added to d (all of them, not just the first). Returns 0
 * with *out set (the caller frees it with runbook_free) when d has no
 * errors, else -1 and *out is NULL. A directory is every *.yaml and *.yml
 * file in it, in name order, read as one runbook; "-" is standard input
 * (RUNBOOK_STDIN_NAME in errors). */
int runbook_load_file(const char *path, struct runbook **out,
    struct diags *d);

/* runbook_load_string: as runbook_load_file, from text; name is used as
 * the FILE in diagnostics. */
int runbook_load_string(const char *name, const char *text, size_t len,
    struct runbook **out, struct diags *d);

/* runbook_free: releases rb and everything it owns; NULL is a no-op. */
void runbook_free(struct runbook *rb);

/* runbook_source: the text of file (a srcpos.file of rb), for diags_add;
 * NULL when rb was not read from it. */
const char *runbook_source(const struct runbook *rb, const char *file);

/* runbook_probe_index: the index of the probe named id, or -1. */
long runbook_probe_index(const struct runbook *rb, const char *id);

/* runbook_select_with_needs: sets selected[i] (selected has rb->nprobes
 * entries) and, transitively, the entries of the probes probe i needs. */
void runbook_select_with_needs(const struct runbook *rb, size_t i,
    char *selected);

/* runbook_redact: a heap copy of s with every secret value replaced by
 * "***". */
char *runbook_redact(const struct runbook *rb, const char *s);

/* runbook_redact_json: replaces secret values inside every string (and
 * object key) of v, in place. */
void runbook_redact_json(const struct runbook *rb, json_t *v);

#endif

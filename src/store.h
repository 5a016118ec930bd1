/* SPDX-License-Identifier: MIT */
/* The store: incidents (an append-only, hash-chained event log), probe
 * samples and state changes, and the per-runbook fix lock (DESIGN.md
 * section 7). One interface; SQLite (store-sqlite.c) implements it, and a
 * PostgreSQL backend will implement the same table of operations.
 *
 * Everything handed to the store must already be redacted: it stores what
 * it is given. Times are seconds since the epoch (double). A json_t handed
 * in (a body) is borrowed: the caller keeps and frees its reference; one
 * handed back is new and the caller's to free. Every function
 * that can fail returns -1 (or NULL) with *err set to a heap message that
 * names the store's path and what failed, for the caller to print and
 * free. */
#ifndef TRIAGE_STORE_H
#define TRIAGE_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* The schema version this build writes; store_open migrates older ones. */
#define STORE_SCHEMA_VERSION 3

/* store_default_path: $TRIAGE_STORE, else $XDG_STATE_HOME/triage/triage.db
 * (XDG_STATE_HOME defaults to ~/.local/state), as a heap string. */
char *store_default_path(void);

/* store_open: opens (creating it and its directory, mode 0700, when
 * missing) the store named by spec: a file path, or NULL for
 * store_default_path(). postgres:// and postgresql:// URLs are refused
 * with "not supported yet" until that backend exists. Sets WAL mode and a
 * busy timeout (5 s) and migrates the schema to STORE_SCHEMA_VERSION in
 * one transaction; a store written by a newer triage is refused. */
int store_open(const char *spec, struct store **out, char **err);

/* store_open_version: as store_open but migrates only up to version (for
 * the migration tests, which build an old store and reopen it). */
int store_open_version(const char *spec, int version, struct store **out,
    char **err);

/* store_close: closes s; NULL is a no-op. */
void store_close(struct store *s);

/* store_path: the path (or URL) s was opened from. */
const char *store_path(const struct store *s);

/* store_schema_version: the schema version of the open store. */
int store_schema_version(struct store *s);

/* ---- the fix lock: one fixer per runbook ---- */

struct store_holder {
	const char *who;	/* "user@host" */
	const char *host;	/* gethostname() */
	long pid;
	double since;
};

/* store_lock: takes the fix lock of runbook for me. Returns 0 when taken;
 * 1 when someone else holds it, with *held a new object {"who", "host",
 * "pid", "since" (ISO-8601)} describing them; -1 on error. A lock whose
 * holder ran on this host and whose pid no longer exists is stale and is
 * taken over (the takeover is reported in *held with "stale": true and
 * still returns 0). Atomic across processes (BEGIN IMMEDIATE). */
int store_lock(struct store *s, const char *runbook,
    const struct store_holder *me, json_t **held, char **err);

/* store_unlock: releases the lock of runbook if me (host and pid) holds
 * it; a no-op otherwise. */
int store_unlock(struct store *s, const char *runbook,
    const struct store_holder *me, char **err);

/* ---- incidents: an append-only, hash-chained log of events ---- */

/* store_incident_open: starts an incident for failure of runbook: appends
 * an "opened" event whose body is body (any object: symptom, probes
 * before, evidence, plan hash, operator, host). *id is the new incident's
 * number (1, 2, ...). */
int store_incident_open(struct store *s, const char *runbook,
    const char *failure, double at, json_t *body, int64_t *id, char **err);

/* store_incident_event: appends an event of kind ("step", "on_failure",
 * "verify", "interrupted", "closed", ...) with body to incident id. A
 * "closed" event's body has "outcome" ("resolved", "unresolved",
 * "failed", "interrupted"); an incident with no closed event is open.
 * Each event's hash is SHA-256 over the previous event's hash and this
 * event's seq, incident, at, kind and body (canonical JSON: sorted keys,
 * compact), so editing, deleting or reordering any row breaks the chain.
 */
int store_incident_event(struct store *s, int64_t id, const char *kind,
    double at, json_t *body, char **err);

/* store_incident_get: incident id as a new object {"id", "runbook",
 * "failure", "opened_at", "closed_at" (or null), "status" ("open" or the
 * closed outcome), "events": [{"seq", "at" (ISO-8601), "kind", "body",
 * "hash"}]}, or NULL with *err NULL when there is no such incident. */
json_t *store_incident_get(struct store *s, int64_t id, char **err);

/* store_incidents_list: the newest first, at most limit (0: all), of
 * runbook (NULL: every runbook), as a new array of {"id", "runbook",
 * "failure", "opened_at", "closed_at", "status", "operator"}. */
json_t *store_incidents_list(struct store *s, const char *runbook,
    size_t limit, char **err);

/* store_fix_count: how many incidents of (runbook, failure) were opened
 * at or after since: the rate limit counts applies with it. */
int store_fix_count(struct store *s, const char *runbook,
    const char *failure, double since, long *count, char **err);

/* store_verify_chain: recomputes the hash chain. 0 with *report
 * {"ok": true, "events": N, "head": HASH}, or 0 with {"ok": false,
 * "events": N, "first_bad": SEQ, "reason": "..."} when a row was edited,
 * deleted or reordered; -1 when the store cannot be read. head is the
 * newest event's hash (null when none): a copy kept elsewhere shows a
 * later truncation, which the chain alone cannot (docs/store.md). */
int store_verify_chain(struct store *s, json_t **report, char **err);

/* ---- probe samples and state changes ---- */

struct store_sample {
	const char *probe;	/* probe id */
	double at;		/* checked_at */
	const char *state;	/* ok warning critical unknown skipped */
	double latency_ms;	/* < 0: none */
	const char *reason;	/* NULL when ok */
};

/* store_samples_add: appends n samples of runbook in one transaction and,
 * for each whose state differs from the last stored state of its probe
 * (or that is the first of its probe), a state change. */
int store_samples_add(struct store *s, const char *runbook,
    const struct store_sample *v, size_t n, char **err);

/* store_history: samples of runbook (NULL: all) and probe (NULL: all) with
 * at >= since, newest first, at most limit (0: all), as a new object
 * {"samples": [{"runbook", "probe", "at" (ISO-8601), "state",
 * "latency_ms", "reason"}], "changes": [{"runbook", "probe", "at", "from",
 * "to", "reason"}]}. Served from an index on (probe, at): a query over a
 * short window costs the same with ten million samples as with ten. */
json_t *store_history(struct store *s, const char *runbook,
    const char *probe, double since, size_t limit, char **err);

/* store_prune: deletes samples, state changes and alert deliveries older
 * than before (retention), at most limit rows of each (0: no limit), in
 * one short transaction, so that a caller that must stay responsive
 * (triage watch) prunes a backlog batch by batch. Incidents are never
 * pruned. *deleted: rows removed. 1 when a table had limit rows to delete
 * (more may be left), 0 when nothing older is left, -1 on error. */
int store_prune(struct store *s, double before, long limit, long *deleted,
    char **err);

/* ---- alert deliveries (triage watch) ---- */

/* store_alerts_add: appends the delivery outcomes of runbook's alerts (an
 * array as alerter_take_outcomes returns: {"at", "key", "status",
 * "target", "ok", "attempt", "error"}) in one transaction. */
int store_alerts_add(struct store *s, const char *runbook, json_t *outcomes,
    char **err);

#endif

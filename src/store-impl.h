/* SPDX-License-Identifier: MIT */
/* The table of operations a store backend fills (private to store*.c). */
#ifndef TRIAGE_STORE_IMPL_H
#define TRIAGE_STORE_IMPL_H

#include "store.h"
#include "util/xmalloc.h"

struct store_ops;

/* The part of every store handle that store.c knows; a backend's handle
 * starts with it. */
struct store {
	const struct store_ops *ops;
	char *path;		/* what store_path returns; owned */
};

/* One backend. open allocates the handle, sets ops and path (which it
 * owns) and migrates to version; close frees everything. The other
 * members implement the store.h functions of the same name, which check
 * their arguments before calling them. */
struct store_ops {
	const char *name;
	int (*open)(const char *path, int version, struct store **out,
	    char **err);
	void (*close)(struct store *s);
	int (*schema_version)(struct store *s);
	int (*lock)(struct store *s, const char *runbook,
	    const struct store_holder *me, json_t **held, char **err);
	int (*unlock)(struct store *s, const char *runbook,
	    const struct store_holder *me, char **err);
	int (*incident_open)(struct store *s, const char *runbook,
	    const char *failure, double at, json_t *body, int64_t *id,
	    char **err);
	int (*incident_event)(struct store *s, int64_t id, const char *kind,
	    double at, json_t *body, char **err);
	json_t *(*incident_get)(struct store *s, int64_t id, char **err);
	json_t *(*incidents_list)(struct store *s, const char *runbook,
	    size_t limit, char **err);
	int (*fix_count)(struct store *s, const char *runbook,
	    const char *failure, double since, long *count, char **err);
	int (*verify_chain)(struct store *s, json_t **report, char **err);
	int (*samples_add)(struct store *s, const char *runbook,
	    const struct store_sample *v, size_t n, char **err);
	json_t *(*history)(struct store *s, const char *runbook,
	    const char *probe, double since, size_t limit, char **err);
	int (*prune)(struct store *s, double before, long limit,
	    long *deleted, char **err);
	int (*alerts_add)(struct store *s, const char *runbook,
	    json_t *outcomes, char **err);
};

/* The SQLite backend (store-sqlite.c). */
extern const struct store_ops store_sqlite_ops;

/* store_error: "store PATH: " followed by the formatted message, as a
 * heap string for *err. */
char *store_error(const struct store *s, const char *fmt, ...)
    PRINTFLIKE(2, 3);

/* store_event_hash: the hash of one incident event, as 64 lower-case hex
 * digits into out (at least 65 bytes): SHA-256 over the netstrings
 * ("LEN:BYTES,") of "triage-event-1", prev, seq, incident, at ("%.17g"),
 * kind and body (the canonical JSON text as stored). Every backend hashes
 * the same way, so a log moved between them still verifies. */
void store_event_hash(const char *prev, int64_t seq, int64_t incident,
    double at, const char *kind, const char *body, char *out);

/* store_body_dump: body (NULL: {}) as canonical JSON: compact, keys
 * sorted, non-ASCII escaped, as a heap string. */
char *store_body_dump(json_t *body);

/* The "prev" of the first event: 64 zeros. */
#define STORE_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"

#endif

/* SPDX-License-Identifier: MIT */
/* The SQLite store backend: one WAL file, a versioned schema migrated on
 * open, the hash-chained incident log, samples and the fix lock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "store-impl.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

/* Migration i takes the schema from version i to version i + 1; each runs
 * with the others in one transaction, then user_version is set. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 1: the incident log, samples and state changes. */
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY,"
	"  runbook TEXT NOT NULL,"
	"  failure TEXT NOT NULL,"
	"  opened_at REAL NOT NULL);"
	"CREATE INDEX incidents_fix ON incidents (runbook, failure, opened_at);"
	"CREATE TABLE events ("
	"  seq INTEGER PRIMARY KEY,"
	"  incident INTEGER NOT NULL,"
	"  at REAL NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  prev TEXT NOT NULL,"
	"  hash TEXT NOT NULL);"
	"CREATE INDEX events_incident ON events (incident, seq);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'the incident log is append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
	"  SELECT RAISE(ABORT, 'the incident log is append-only'); END;"
	"CREATE TRIGGER incidents_no_update BEFORE UPDATE ON incidents BEGIN"
	"  SELECT RAISE(ABORT, 'the incident log is append-only'); END;"
	"CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents BEGIN"
	"  SELECT RAISE(ABORT, 'the incident log is append-only'); END;"
	"CREATE TABLE series ("
	"  id INTEGER PRIMARY KEY,"
	"  runbook TEXT NOT NULL,"
	"  probe TEXT NOT NULL,"
	"  UNIQUE (runbook, probe));"
	"CREATE TABLE samples ("
	"  series INTEGER NOT NULL,"
	"  at REAL NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  latency_ms REAL,"
	"  reason TEXT);"
	"CREATE TABLE changes ("
	"  series INTEGER NOT NULL,"
	"  at REAL NOT NULL,"
	"  from_state INTEGER,"
	"  to_state INTEGER NOT NULL,"
	"  reason TEXT);",
	/* 2: the fix lock, and the indexes history and prune read through. */
	"CREATE TABLE locks ("
	"  runbook TEXT PRIMARY KEY,"
	"  who TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  since REAL NOT NULL);"
	"CREATE INDEX samples_series_at ON samples (series, at);"
	"CREATE INDEX changes_series_at ON changes (series, at);",
	/* 3: what triage watch delivered of its alerts, attempt by attempt. */
	"CREATE TABLE alerts ("
	"  at REAL NOT NULL,"
	"  runbook TEXT NOT NULL,"
	"  key TEXT,"
	"  status TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  ok INTEGER NOT NULL,"
	"  attempt INTEGER NOT NULL,"
	"  error TEXT);"
	"CREATE INDEX alerts_runbook_at ON alerts (runbook, at);",
};

/* Probe states as stored (a small integer keeps sample rows small). */
static const char *const state_names[] = {
	"ok", "warning", "critical", "unknown", "skipped",
};
#define STATE_NONE (-1)		/* the series has no sample yet */
#define STATE_UNLOADED (-2)	/* not read from the database yet */

/* The statements kept prepared for the life of the handle. */
enum stmt_id {
	ST_DATA_VERSION,
	ST_SERIES_GET,
	ST_SERIES_ADD,
	ST_LAST_STATE,
	ST_SAMPLE_ADD,
	ST_CHANGE_ADD,
	ST_EVENT_LAST,
	ST_EVENT_ADD,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_DATA_VERSION] = "PRAGMA data_version",
	[ST_SERIES_GET] = "SELECT id FROM series WHERE runbook = ? AND "
	    "probe = ?",
	[ST_SERIES_ADD] = "INSERT INTO series (runbook, probe) VALUES (?, ?)",
	[ST_LAST_STATE] = "SELECT state FROM samples WHERE series = ? "
	    "ORDER BY at DESC, rowid DESC LIMIT 1",
	[ST_SAMPLE_ADD] = "INSERT INTO samples (series, at, state, "
	    "latency_ms, reason) VALUES (?, ?, ?, ?, ?)",
	[ST_CHANGE_ADD] = "INSERT INTO changes (series, at, from_state, "
	    "to_state, reason) VALUES (?, ?, ?, ?, ?)",
	[ST_EVENT_LAST] = "SELECT seq, hash FROM events ORDER BY seq DESC "
	    "LIMIT 1",
	[ST_EVENT_ADD] = "INSERT INTO events (seq, incident, at, kind, body, "
	    "prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
};

/* One (runbook, probe) series in the handle's cache. */
struct series_slot {
	char *runbook;		/* NULL: an empty slot */
	char *probe;
	uint64_t hash;
	int64_t id;
	int state;		/* last stored state, STATE_NONE or _UNLOADED */
};

struct sqlite_store {
	struct store base;
	sqlite3 *db;
	int version;		/* the schema version of the file */
	sqlite3_stmt *stmt[ST_COUNT];
	struct series_slot *slots;	/* open addressing, power of 2 */
	size_t nslots;
	size_t used;
	int64_t data_version;	/* after our last write; -1: unknown */
};

static struct sqlite_store *
to_sqlite(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* *err = "store PATH: what: the SQLite message". */
static int
db_fail(struct sqlite_store *ss, const char *what, char **err)
{
	*err = store_error(&ss->base, "%s: %s", what,
	    sqlite3_errmsg(ss->db));
	return -1;
}

static int
exec_sql(struct sqlite_store *ss, const char *sql, const char *what,
    char **err)
{
	if (sqlite3_exec(ss->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(ss, what, err);
	return 0;
}

/* Ends the transaction begun by the caller: COMMIT when rc is 0 (a failed
 * commit makes rc -1 and sets *err), ROLLBACK otherwise. */
static int
txn_end(struct sqlite_store *ss, int rc, char **err)
{
	if (rc == 0 && exec_sql(ss, "COMMIT", "commit", err) == 0)
		return 0;
	sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* The kept statement id, prepared on first use; NULL with *err. */
static sqlite3_stmt *
stmt_get(struct sqlite_store *ss, enum stmt_id id, char **err)
{
	if (ss->stmt[id] == NULL &&
	    sqlite3_prepare_v3(ss->db, stmt_sql[id], -1,
	    SQLITE_PREPARE_PERSISTENT, &ss->stmt[id], NULL) != SQLITE_OK) {
		db_fail(ss, "prepare", err);
		return NULL;
	}
	return ss->stmt[id];
}

/* A statement for one use (the caller finalizes it); NULL with *err. */
static sqlite3_stmt *
stmt_new(struct sqlite_store *ss, const char *sql, char **err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(ss, "prepare", err);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static void
bind_text_or_null(sqlite3_stmt *st, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* A column as a new JSON string (bytes that are not UTF-8 become '?'),
 * or null when it is NULL. */
static json_t *
column_json_text(sqlite3_stmt *st, int i)
{
	const unsigned char *text = sqlite3_column_text(st, i);
	size_t n = (size_t)sqlite3_column_bytes(st, i), at = 0;
	json_t *out;
	char *copy;
	int len;

	if (text == NULL)
		return json_null();
	if ((out = json_stringn((const char *)text, n)) != NULL)
		return out;
	copy = xmalloc(n + 1);
	memcpy(copy, text, n);
	while (at < n) {
		len = utf8_seq_len(text + at, n - at);
		if (len <= 0) {
			copy[at++] = '?';
			continue;
		}
		at += (size_t)len;
	}
	out = json_stringn(copy, n);
	free(copy);
	return out;
}

static json_t *
json_iso(double t)
{
	char iso[48];

	time_format_iso8601(t, 1, iso, sizeof(iso));
	return json_string(iso);
}

/* ---- the series cache ---- */

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
cache_clear(struct sqlite_store *ss)
{
	size_t i;

	for (i = 0; i < ss->nslots; i++) {
		free(ss->slots[i].runbook);
		free(ss->slots[i].probe);
	}
	free(ss->slots);
	ss->slots = NULL;
	ss->nslots = 0;
	ss->used = 0;
}

/* The slot of (runbook, probe) with hash h: its own, or the empty one
 * where it belongs. */
static struct series_slot *
cache_find(struct sqlite_store *ss, uint64_t h, const char *runbook,
    const char *probe)
{
	size_t mask = ss->nslots - 1, i = (size_t)h & mask;
	struct series_slot *slot;

	for (;; i = (i + 1) & mask) {
		slot = &ss->slots[i];
		if (slot->runbook == NULL || (slot->hash == h &&
		    strcmp(slot->probe, probe) == 0 &&
		    strcmp(slot->runbook, runbook) == 0))
			return slot;
	}
}

static void
cache_grow(struct sqlite_store *ss)
{
	struct series_slot *old = ss->slots, *slot;
	size_t nold = ss->nslots, i;

	ss->nslots = nold != 0 ? nold * 2 : 64;
	ss->slots = xcalloc(ss->nslots, sizeof(*ss->slots));
	for (i = 0; i < nold; i++) {
		if (old[i].runbook == NULL)
			continue;
		slot = cache_find(ss, old[i].hash, old[i].runbook,
		    old[i].probe);
		*slot = old[i];
	}
	free(old);
}

/* Forgets every cached last state (another connection wrote). */
static void
cache_unload_states(struct sqlite_store *ss)
{
	size_t i;

	for (i = 0; i < ss->nslots; i++)
		ss->slots[i].state = STATE_UNLOADED;
}

/* The cached slot of (runbook, probe), reading or creating its series row
 * on first use; NULL with *err. Inside the caller's transaction. */
static struct series_slot *
series_slot(struct sqlite_store *ss, uint64_t h, const char *runbook,
    const char *probe, char **err)
{
	struct series_slot *slot;
	sqlite3_stmt *st;
	int64_t id = -1;
	int rc;

	if (ss->used * 2 >= ss->nslots)
		cache_grow(ss);
	slot = cache_find(ss, h, runbook, probe);
	if (slot->runbook != NULL)
		return slot;
	if ((st = stmt_get(ss, ST_SERIES_GET, err)) == NULL)
		return NULL;
	sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, probe, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_fail(ss, "read series", err);
		return NULL;
	}
	if (id < 0) {
		if ((st = stmt_get(ss, ST_SERIES_ADD, err)) == NULL)
			return NULL;
		sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, probe, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			db_fail(ss, "add series", err);
			return NULL;
		}
		id = sqlite3_last_insert_rowid(ss->db);
	}
	slot->runbook = xstrdup(runbook);
	slot->probe = xstrdup(probe);
	slot->hash = h;
	slot->id = id;
	slot->state = STATE_UNLOADED;
	ss->used++;
	return slot;
}

/* Loads slot->state from the newest stored sample; -1 with *err. */
static int
series_load_state(struct sqlite_store *ss, struct series_slot *slot,
    char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_get(ss, ST_LAST_STATE, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot->id);
	rc = sqlite3_step(st);
	slot->state = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) :
	    STATE_NONE;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(ss, "read the last state", err);
	return 0;
}

static int
data_version(struct sqlite_store *ss, int64_t *out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_get(ss, ST_DATA_VERSION, err)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return db_fail(ss, "read the data version", err);
	return 0;
}

/* ---- open, migrate, close ---- */

/* mkdir -p for the parents of path; the error names the store. */
static int
make_parents(const char *path, char **err)
{
	char *cause = NULL;

	if (fs_make_parents(path, &cause) == 0)
		return 0;
	*err = xasprintf("store %s: %s", path, cause);
	free(cause);
	return -1;
}

static int
read_user_version(struct sqlite_store *ss, int *out, char **err)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = stmt_new(ss, "PRAGMA user_version", err)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(ss, "read the schema version", err);
	return 0;
}

/* Refuses a schema newer than this build's. */
static int
check_not_newer(struct sqlite_store *ss, int cur, char **err)
{
	if (cur <= STORE_SCHEMA_VERSION)
		return 0;
	*err = store_error(&ss->base, "schema version %d was written by a "
	    "newer triage (this one knows up to %d); upgrade triage or "
	    "choose another store", cur, STORE_SCHEMA_VERSION);
	return -1;
}

/* Brings the schema from its version to version, in one transaction. */
static int
migrate(struct sqlite_store *ss, int version, char **err)
{
	sqlite3_stmt *st;
	char *sql;
	int cur, rc = 0, tables = 0, i;

	if (read_user_version(ss, &cur, err) != 0 ||
	    check_not_newer(ss, cur, err) != 0)
		return -1;
	if (cur >= version) {
		ss->version = cur;
		return 0;
	}
	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin the migration", err) != 0)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	if (read_user_version(ss, &cur, err) != 0 ||
	    check_not_newer(ss, cur, err) != 0)
		return txn_end(ss, -1, err);
	if (cur >= version) {
		ss->version = cur;
		return txn_end(ss, 0, err);
	}
	if (cur == 0) {
		if ((st = stmt_new(ss, "SELECT count(*) FROM sqlite_master",
		    err)) == NULL)
			return txn_end(ss, -1, err);
		if (sqlite3_step(st) == SQLITE_ROW)
			tables = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (tables > 0) {
			*err = store_error(&ss->base, "not a triage store (it "
			    "has tables but no schema version)");
			return txn_end(ss, -1, err);
		}
	}
	for (i = cur; i < version && rc == 0; i++) {
		sql = xasprintf("migrate the schema to version %d", i + 1);
		rc = exec_sql(ss, migrations[i], sql, err);
		free(sql);
	}
	if (rc == 0) {
		sql = xasprintf("PRAGMA user_version = %d", version);
		rc = exec_sql(ss, sql, "set the schema version", err);
		free(sql);
	}
	if (txn_end(ss, rc, err) != 0)
		return -1;
	ss->version = version;
	return 0;
}

static void
sqlite_close(struct store *s)
{
	struct sqlite_store *ss = to_sqlite(s);
	size_t i;

	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(ss->stmt[i]);
	sqlite3_close(ss->db);
	cache_clear(ss);
	free(ss->base.path);
	free(ss);
}

static int
sqlite_open(const char *path, int version, struct store **out, char **err)
{
	struct sqlite_store *ss;
	sqlite3_stmt *st;
	int fd;

	if (make_parents(path, err) != 0)
		return -1;
	/* Create the file ourselves so that it (and the -wal and -shm files
	 * SQLite gives the same mode) is private to its owner. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	ss = xcalloc(1, sizeof(*ss));
	ss->base.ops = &store_sqlite_ops;
	ss->base.path = xstrdup(path);
	ss->data_version = -1;
	if (sqlite3_open_v2(path, &ss->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		if (ss->db == NULL) {
			*err = store_error(&ss->base, "out of memory");
			goto fail;
		}
		db_fail(ss, "open", err);
		goto fail;
	}
	sqlite3_extended_result_codes(ss->db, 1);
	sqlite3_busy_timeout(ss->db, 5000);
	/* The first read tells a file that is not a database. */
	if (sqlite3_prepare_v2(ss->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		db_fail(ss, "open", err);
		goto fail;
	}
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_fail(ss, "set WAL mode", err);
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (exec_sql(ss, "PRAGMA synchronous = NORMAL", "set synchronous",
	    err) != 0 || migrate(ss, version, err) != 0)
		goto fail;
	*out = &ss->base;
	return 0;
fail:
	sqlite_close(&ss->base);
	return -1;
}

static int
sqlite_schema_version(struct store *s)
{
	return to_sqlite(s)->version;
}

/* ---- the fix lock ---- */

static int
needs_locks(struct sqlite_store *ss, char **err)
{
	if (ss->version >= 2)
		return 0;
	*err = store_error(&ss->base, "the fix lock needs schema version 2 "
	    "(this store is at %d)", ss->version);
	return -1;
}

/* The holder on this host with pid is gone. */
static int
pid_gone(int64_t pid)
{
	if (pid <= 0 || pid > INT_MAX)
		return 1;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static json_t *
holder_json(sqlite3_stmt *st)
{
	return json_pack("{s:o, s:o, s:I, s:o}",
	    "who", column_json_text(st, 0),
	    "host", column_json_text(st, 1),
	    "pid", (json_int_t)sqlite3_column_int64(st, 2),
	    "since", json_iso(sqlite3_column_double(st, 3)));
}

static int
sqlite_lock(struct store *s, const char *runbook,
    const struct store_holder *me, json_t **held, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	json_t *holder = NULL;
	int rc = -1, step, mine = 0, stale = 0;
	double since = me->since > 0 ? me->since : time_now();

	if (needs_locks(ss, err) != 0)
		return -1;
	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin the lock", err) != 0)
		return -1;
	if ((st = stmt_new(ss, "SELECT who, host, pid, since FROM locks "
	    "WHERE runbook = ?", err)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		db_fail(ss, "read the lock", err);
		goto out;
	}
	if (step == SQLITE_ROW) {
		const char *host = (const char *)sqlite3_column_text(st, 1);
		int64_t pid = sqlite3_column_int64(st, 2);
		int here = host != NULL && strcmp(host, me->host) == 0;

		mine = here && pid == me->pid;
		stale = !mine && here && pid_gone(pid);
		if (!mine)
			holder = holder_json(st);
		if (!mine && !stale) {
			rc = 1;
			goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (mine) {
		rc = 0;
		goto out;
	}
	if ((st = stmt_new(ss, "INSERT OR REPLACE INTO locks (runbook, who, "
	    "host, pid, since) VALUES (?, ?, ?, ?, ?)", err)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, me->who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, me->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, me->pid);
	sqlite3_bind_double(st, 5, since);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(ss, "take the lock", err);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	if (txn_end(ss, rc < 0 ? -1 : 0, err) != 0)
		rc = -1;
	if (rc >= 0 && stale)
		json_object_set_new(holder, "stale", json_true());
	if (rc < 0 || (rc == 0 && !stale) || held == NULL)
		json_decref(holder);
	else
		*held = holder;
	return rc;
}

static int
sqlite_unlock(struct store *s, const char *runbook,
    const struct store_holder *me, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st;
	int rc = 0;

	if (needs_locks(ss, err) != 0)
		return -1;
	if ((st = stmt_new(ss, "DELETE FROM locks WHERE runbook = ? AND "
	    "host = ? AND pid = ?", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, me->host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, me->pid);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_fail(ss, "release the lock", err);
	sqlite3_finalize(st);
	return rc;
}

/* ---- incidents ---- */

/* Appends one event to the chain, inside the caller's transaction. */
static int
event_append(struct sqlite_store *ss, int64_t incident, const char *kind,
    double at, const char *body, char **err)
{
	sqlite3_stmt *st;
	char prev[65], hash[65];
	int64_t seq = 1;
	int rc;

	if ((st = stmt_get(ss, ST_EVENT_LAST, err)) == NULL)
		return -1;
	snprintf(prev, sizeof(prev), "%s", STORE_GENESIS);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s",
		    (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(ss, "read the last event", err);
	store_event_hash(prev, seq, incident, at, kind, body, hash);
	if ((st = stmt_get(ss, ST_EVENT_ADD, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, incident);
	sqlite3_bind_double(st, 3, at);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(ss, "append the event", err);
	return 0;
}

static int
sqlite_incident_open(struct store *s, const char *runbook,
    const char *failure, double at, json_t *body, int64_t *id, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st = NULL;
	json_t *copy;
	char *text;
	int rc = -1;

	/* The opened event carries runbook and failure, so the chain covers
	 * the incidents row too (store_verify_chain compares them). */
	copy = body != NULL ? json_copy(body) : json_object();
	json_object_set_new(copy, "runbook", json_string(runbook));
	json_object_set_new(copy, "failure", json_string(failure));
	text = store_body_dump(copy);
	json_decref(copy);
	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin the incident", err) != 0)
		goto out;
	if ((st = stmt_new(ss, "INSERT INTO incidents (runbook, failure, "
	    "opened_at) VALUES (?, ?, ?)", err)) == NULL)
		goto end;
	sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, failure, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, at);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_fail(ss, "add the incident", err);
		goto end;
	}
	*id = sqlite3_last_insert_rowid(ss->db);
	rc = event_append(ss, *id, "opened", at, text, err);
end:
	sqlite3_finalize(st);
	rc = txn_end(ss, rc, err);
out:
	free(text);
	return rc;
}

static int
sqlite_incident_event(struct store *s, int64_t id, const char *kind,
    double at, json_t *body, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st;
	char *text = store_body_dump(body);
	int rc = -1, step;

	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin the event", err) != 0)
		goto out;
	if ((st = stmt_new(ss, "SELECT 1 FROM incidents WHERE id = ?",
	    err)) == NULL)
		goto end;
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	sqlite3_finalize(st);
	if (step == SQLITE_DONE)
		*err = store_error(s, "no incident %lld", (long long)id);
	else if (step != SQLITE_ROW)
		db_fail(ss, "read the incident", err);
	else
		rc = event_append(ss, id, kind, at, text, err);
end:
	rc = txn_end(ss, rc, err);
out:
	free(text);
	return rc;
}

/* The events of incident id into *events, and its closing time and
 * status; -1 with *err. */
static int
incident_events(struct sqlite_store *ss, int64_t id, json_t *events,
    json_t **closed_at, json_t **status, char **err)
{
	sqlite3_stmt *st;
	json_error_t jerr;
	json_t *body;
	const char *kind;
	int step;

	if ((st = stmt_new(ss, "SELECT seq, at, kind, body, hash FROM events "
	    "WHERE incident = ? ORDER BY seq", err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		body = json_loads((const char *)sqlite3_column_text(st, 3), 0,
		    &jerr);
		if (body == NULL) {
			*err = store_error(&ss->base, "event %lld: the body "
			    "is not JSON: %s",
			    (long long)sqlite3_column_int64(st, 0), jerr.text);
			sqlite3_finalize(st);
			return -1;
		}
		kind = (const char *)sqlite3_column_text(st, 2);
		if (kind != NULL && strcmp(kind, "closed") == 0) {
			json_decref(*closed_at);
			json_decref(*status);
			*closed_at = json_iso(sqlite3_column_double(st, 1));
			*status = json_incref(json_object_get(body,
			    "outcome"));
			if (*status == NULL)
				*status = json_string("closed");
		}
		json_array_append_new(events, json_pack("{s:I, s:o, s:o, "
		    "s:o, s:o}",
		    "seq", (json_int_t)sqlite3_column_int64(st, 0),
		    "at", json_iso(sqlite3_column_double(st, 1)),
		    "kind", column_json_text(st, 2),
		    "body", body,
		    "hash", column_json_text(st, 4)));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(ss, "read the events", err);
	return 0;
}

static json_t *
sqlite_incident_get(struct store *s, int64_t id, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st;
	json_t *out = NULL, *events, *closed_at = NULL, *status = NULL;
	int step;

	/* One read transaction: the incident and its events agree. */
	if (exec_sql(ss, "BEGIN", "begin reading", err) != 0)
		return NULL;
	if ((st = stmt_new(ss, "SELECT runbook, failure, opened_at FROM "
	    "incidents WHERE id = ?", err)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		out = json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)id,
		    "runbook", column_json_text(st, 0),
		    "failure", column_json_text(st, 1),
		    "opened_at", json_iso(sqlite3_column_double(st, 2)));
	} else if (step != SQLITE_DONE) {
		db_fail(ss, "read the incident", err);
	}
	sqlite3_finalize(st);
	if (out == NULL)
		goto out;
	events = json_array();
	if (incident_events(ss, id, events, &closed_at, &status, err) != 0) {
		json_decref(events);
		json_decref(closed_at);
		json_decref(status);
		json_decref(out);
		out = NULL;
		goto out;
	}
	json_object_set_new(out, "closed_at",
	    closed_at != NULL ? closed_at : json_null());
	json_object_set_new(out, "status",
	    status != NULL ? status : json_string("open"));
	json_object_set_new(out, "events", events);
out:
	sqlite3_exec(ss->db, "COMMIT", NULL, NULL, NULL);
	return out;
}

static json_t *
sqlite_incidents_list(struct store *s, const char *runbook, size_t limit,
    char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st;
	json_t *out;
	int step;

	/* The newest "closed" event of each incident gives its status; the
	 * "opened" event its operator. */
	if ((st = stmt_new(ss, "SELECT i.id, i.runbook, i.failure, "
	    "i.opened_at, c.at, json_extract(c.body, '$.outcome'), "
	    "json_extract(o.body, '$.operator') FROM incidents i "
	    "LEFT JOIN events o ON o.seq = (SELECT min(seq) FROM events "
	    "  WHERE incident = i.id AND kind = 'opened') "
	    "LEFT JOIN events c ON c.seq = (SELECT max(seq) FROM events "
	    "  WHERE incident = i.id AND kind = 'closed') "
	    "WHERE ?1 IS NULL OR i.runbook = ?1 "
	    "ORDER BY i.id DESC LIMIT ?2", err)) == NULL)
		return NULL;
	bind_text_or_null(st, 1, runbook);
	sqlite3_bind_int64(st, 2, limit > 0 && limit < INT64_MAX ?
	    (int64_t)limit : -1);
	out = json_array();
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int closed = sqlite3_column_type(st, 4) != SQLITE_NULL;
		json_t *status = !closed ? json_string("open") :
		    sqlite3_column_type(st, 5) == SQLITE_TEXT ?
		    column_json_text(st, 5) : json_string("closed");

		json_array_append_new(out, json_pack("{s:I, s:o, s:o, s:o, "
		    "s:o, s:o, s:o}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "runbook", column_json_text(st, 1),
		    "failure", column_json_text(st, 2),
		    "opened_at", json_iso(sqlite3_column_double(st, 3)),
		    "closed_at", closed ?
		    json_iso(sqlite3_column_double(st, 4)) : json_null(),
		    "status", status,
		    "operator", sqlite3_column_type(st, 6) == SQLITE_TEXT ?
		    column_json_text(st, 6) : json_null()));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		db_fail(ss, "list the incidents", err);
		json_decref(out);
		return NULL;
	}
	return out;
}

static int
sqlite_fix_count(struct store *s, const char *runbook, const char *failure,
    double since, long *count, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st;
	int rc = 0;

	if ((st = stmt_new(ss, "SELECT count(*) FROM incidents WHERE "
	    "runbook = ? AND failure = ? AND opened_at >= ?", err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, failure, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, since);
	if (sqlite3_step(st) == SQLITE_ROW)
		*count = (long)sqlite3_column_int64(st, 0);
	else
		rc = db_fail(ss, "count the fixes", err);
	sqlite3_finalize(st);
	return rc;
}

/* Walks the chain: *bad = the first seq that does not verify (0: none),
 * with *reason; *events = rows read; head = the hash of the last event
 * that verified (STORE_GENESIS when none). */
static int
verify_events(struct sqlite_store *ss, int64_t *events, int64_t *bad,
    char **reason, char head[65], char **err)
{
	sqlite3_stmt *st;
	char prev[65], hash[65];
	int64_t expect = 1, seq;
	const char *row_prev, *row_hash, *kind, *body;
	int step;

	snprintf(prev, sizeof(prev), "%s", STORE_GENESIS);
	if ((st = stmt_new(ss, "SELECT seq, incident, at, kind, body, prev, "
	    "hash FROM events ORDER BY seq", err)) == NULL)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		++*events;
		if (*bad != 0)
			continue;
		seq = sqlite3_column_int64(st, 0);
		kind = (const char *)sqlite3_column_text(st, 3);
		body = (const char *)sqlite3_column_text(st, 4);
		row_prev = (const char *)sqlite3_column_text(st, 5);
		row_hash = (const char *)sqlite3_column_text(st, 6);
		if (seq != expect) {
			*bad = seq;
			*reason = seq == expect + 1 ?
			    xasprintf("event %lld is missing",
			    (long long)expect) :
			    xasprintf("events %lld to %lld are missing",
			    (long long)expect, (long long)(seq - 1));
			continue;
		}
		if (row_prev == NULL || strcmp(row_prev, prev) != 0) {
			*bad = seq;
			*reason = xasprintf("its prev is not the hash of event "
			    "%lld (deleted, inserted or reordered rows)",
			    (long long)(seq - 1));
			continue;
		}
		store_event_hash(prev, seq, sqlite3_column_int64(st, 1),
		    sqlite3_column_double(st, 2), kind ? kind : "",
		    body ? body : "", hash);
		if (row_hash == NULL || strcmp(row_hash, hash) != 0) {
			*bad = seq;
			*reason = xstrdup("its hash does not match its "
			    "contents (the row was edited)");
			continue;
		}
		memcpy(prev, hash, sizeof(prev));
		expect = seq + 1;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(ss, "read the events", err);
	memcpy(head, prev, 65);
	return 0;
}

/* The incidents table against the chain: each row must match its opened
 * event, and each opened event must have its row. */
static int
verify_incidents(struct sqlite_store *ss, int64_t *bad, int64_t *incident,
    char **reason, char **err)
{
	sqlite3_stmt *st;
	int step;

	if ((st = stmt_new(ss, "SELECT e.seq, e.incident FROM events e "
	    "LEFT JOIN incidents i ON i.id = e.incident "
	    "WHERE e.kind = 'opened' AND (i.id IS NULL "
	    "  OR i.runbook IS NOT json_extract(e.body, '$.runbook') "
	    "  OR i.failure IS NOT json_extract(e.body, '$.failure') "
	    "  OR i.opened_at IS NOT e.at) "
	    "ORDER BY e.seq LIMIT 1", err)) == NULL)
		return -1;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*bad = sqlite3_column_int64(st, 0);
		*incident = sqlite3_column_int64(st, 1);
		*reason = xasprintf("the incidents row of incident %lld does "
		    "not match its opened event", (long long)*incident);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_fail(ss, "check the incidents", err);
	if (*bad != 0)
		return 0;
	if ((st = stmt_new(ss, "SELECT id FROM incidents i WHERE NOT EXISTS "
	    "(SELECT 1 FROM events WHERE incident = i.id AND "
	    "kind = 'opened') ORDER BY id LIMIT 1", err)) == NULL)
		return -1;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*incident = sqlite3_column_int64(st, 0);
		*reason = xasprintf("incident %lld has no opened event",
		    (long long)*incident);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_fail(ss, "check the incidents", err);
	return 0;
}

static int
sqlite_verify_chain(struct store *s, json_t **report, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	int64_t events = 0, bad = 0, incident = 0;
	char *reason = NULL, head[65];
	int rc;

	if (exec_sql(ss, "BEGIN", "begin reading", err) != 0)
		return -1;
	rc = verify_events(ss, &events, &bad, &reason, head, err);
	if (rc == 0 && bad == 0)
		rc = verify_incidents(ss, &bad, &incident, &reason, err);
	sqlite3_exec(ss->db, "COMMIT", NULL, NULL, NULL);
	if (rc != 0) {
		free(reason);
		return -1;
	}
	if (reason == NULL) {
		/* head: kept elsewhere, it makes truncation visible. */
		*report = json_pack("{s:b, s:I, s:o}", "ok", 1, "events",
		    (json_int_t)events, "head", events > 0 ?
		    json_string(head) : json_null());
		return 0;
	}
	*report = json_pack("{s:b, s:I, s:o, s:s}", "ok", 0,
	    "events", (json_int_t)events,
	    "first_bad", bad != 0 ? json_integer(bad) : json_null(),
	    "reason", reason);
	if (incident != 0)
		json_object_set_new(*report, "incident",
		    json_integer(incident));
	free(reason);
	return 0;
}

/* ---- samples ---- */

/* The stored number of state, or -1. */
static int
state_code(const char *state)
{
	int i;

	if (state == NULL)
		return -1;
	for (i = 0; i < (int)ARRAY_LEN(state_names); i++)
		if (strcmp(state, state_names[i]) == 0)
			return i;
	return -1;
}

static const char *
state_name(int code)
{
	if (code < 0 || code >= (int)ARRAY_LEN(state_names))
		return "unknown";
	return state_names[code];
}

/* Appends one sample (and its state change) inside the transaction. */
static int
sample_add(struct sqlite_store *ss, uint64_t runbook_hash,
    const char *runbook, const struct store_sample *v, char **err)
{
	struct series_slot *slot;
	sqlite3_stmt *st;
	int state = state_code(v->state), rc;

	if (v->probe == NULL || *v->probe == '\0') {
		*err = store_error(&ss->base, "a sample of %s has no probe",
		    runbook);
		return -1;
	}
	if (!isfinite(v->at)) {
		*err = store_error(&ss->base, "probe %s: a sample time that "
		    "is not a number", v->probe);
		return -1;
	}
	if (state < 0) {
		*err = store_error(&ss->base, "probe %s: \"%s\" is not a "
		    "state (ok, warning, critical, unknown or skipped)",
		    v->probe, v->state != NULL ? v->state : "(null)");
		return -1;
	}
	slot = series_slot(ss, fnv1a(runbook_hash, v->probe), runbook,
	    v->probe, err);
	if (slot == NULL)
		return -1;
	if (slot->state == STATE_UNLOADED &&
	    series_load_state(ss, slot, err) != 0)
		return -1;
	if ((st = stmt_get(ss, ST_SAMPLE_ADD, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot->id);
	sqlite3_bind_double(st, 2, v->at);
	sqlite3_bind_int(st, 3, state);
	if (v->latency_ms >= 0)
		sqlite3_bind_double(st, 4, v->latency_ms);
	else
		sqlite3_bind_null(st, 4);
	bind_text_or_null(st, 5, v->reason);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(ss, "add a sample", err);
	if (slot->state == state)
		return 0;
	if ((st = stmt_get(ss, ST_CHANGE_ADD, err)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, slot->id);
	sqlite3_bind_double(st, 2, v->at);
	if (slot->state >= 0)
		sqlite3_bind_int(st, 3, slot->state);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, state);
	bind_text_or_null(st, 5, v->reason);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(ss, "add a state change", err);
	slot->state = state;
	return 0;
}

static int
sqlite_samples_add(struct store *s, const char *runbook,
    const struct store_sample *v, size_t n, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	/* The hash of "runbook\0", which each sample's probe continues. */
	uint64_t h = fnv1a(14695981039346656037ULL, runbook) *
	    1099511628211ULL;
	int64_t dv;
	size_t i;
	int rc = 0;

	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin the samples", err) != 0)
		return -1;
	/* Another connection's commit may have moved a last state. */
	if (data_version(ss, &dv, err) != 0) {
		txn_end(ss, -1, err);
		return -1;
	}
	if (dv != ss->data_version)
		cache_unload_states(ss);
	for (i = 0; i < n && rc == 0; i++)
		rc = sample_add(ss, h, runbook, &v[i], err);
	if (txn_end(ss, rc, err) != 0) {
		/* Rolled back: the cached ids and states may be wrong. */
		cache_clear(ss);
		ss->data_version = -1;
		return -1;
	}
	/* Our own commit does not change data_version: what we read inside
	 * the transaction is what the next call must see unchanged. */
	ss->data_version = dv;
	return 0;
}

/* Appends " AND s.runbook = ?" and the like for the filters given. */
static char *
history_sql(const char *select, const char *table, const char *runbook,
    const char *probe, size_t limit)
{
	return xasprintf("SELECT s.runbook, s.probe, m.at, %s FROM series s "
	    "CROSS JOIN %s m ON m.series = s.id WHERE %s%s m.at >= ?3 "
	    "ORDER BY m.at DESC, m.rowid DESC%s", select, table,
	    runbook != NULL ? "s.runbook = ?1 AND" : "",
	    probe != NULL ? " s.probe = ?2 AND" : "",
	    limit > 0 ? " LIMIT ?4" : "");
}

/* Runs one history query, appending a row object per result to out. */
static int
history_rows(struct sqlite_store *ss, const char *sql, const char *runbook,
    const char *probe, double since, size_t limit, int changes,
    json_t *out, char **err)
{
	sqlite3_stmt *st;
	json_t *row;
	int step;

	if ((st = stmt_new(ss, sql, err)) == NULL)
		return -1;
	if (runbook != NULL)
		sqlite3_bind_text(st, 1, runbook, -1, SQLITE_STATIC);
	if (probe != NULL)
		sqlite3_bind_text(st, 2, probe, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, since);
	if (limit > 0)
		sqlite3_bind_int64(st, 4, limit < INT64_MAX ?
		    (int64_t)limit : INT64_MAX);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		row = json_pack("{s:o, s:o, s:o}",
		    "runbook", column_json_text(st, 0),
		    "probe", column_json_text(st, 1),
		    "at", json_iso(sqlite3_column_double(st, 2)));
		if (changes) {
			json_object_set_new(row, "from",
			    sqlite3_column_type(st, 3) == SQLITE_NULL ?
			    json_null() : json_string(state_name(
			    sqlite3_column_int(st, 3))));
			json_object_set_new(row, "to", json_string(
			    state_name(sqlite3_column_int(st, 4))));
		} else {
			json_object_set_new(row, "state", json_string(
			    state_name(sqlite3_column_int(st, 3))));
			json_object_set_new(row, "latency_ms",
			    sqlite3_column_type(st, 4) == SQLITE_NULL ?
			    json_null() :
			    json_real(sqlite3_column_double(st, 4)));
		}
		json_object_set_new(row, "reason", column_json_text(st, 5));
		json_array_append_new(out, row);
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return db_fail(ss, "read the history", err);
	return 0;
}

static json_t *
sqlite_history(struct store *s, const char *runbook, const char *probe,
    double since, size_t limit, char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	json_t *samples = json_array(), *changes = json_array();
	char *sql;
	int rc;

	if (exec_sql(ss, "BEGIN", "begin reading", err) != 0)
		goto fail;
	sql = history_sql("m.state, m.latency_ms, m.reason", "samples",
	    runbook, probe, limit);
	rc = history_rows(ss, sql, runbook, probe, since, limit, 0, samples,
	    err);
	free(sql);
	if (rc == 0) {
		sql = history_sql("m.from_state, m.to_state, m.reason",
		    "changes", runbook, probe, limit);
		rc = history_rows(ss, sql, runbook, probe, since, limit, 1,
		    changes, err);
		free(sql);
	}
	sqlite3_exec(ss->db, "COMMIT", NULL, NULL, NULL);
	if (rc != 0)
		goto fail;
	return json_pack("{s:o, s:o}", "samples", samples, "changes",
	    changes);
fail:
	json_decref(samples);
	json_decref(changes);
	return NULL;
}

static int
sqlite_prune(struct store *s, double before, long limit, long *deleted,
    char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	/* Through the (series, at) indexes; alerts are few. */
	static const char *const sql[] = {
		"DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples "
		"WHERE series IN (SELECT id FROM series) AND at < ?1 LIMIT ?2)",
		"DELETE FROM changes WHERE rowid IN (SELECT rowid FROM changes "
		"WHERE series IN (SELECT id FROM series) AND at < ?1 LIMIT ?2)",
		"DELETE FROM alerts WHERE rowid IN (SELECT rowid FROM alerts "
		"WHERE at < ?1 LIMIT ?2)",
	};
	sqlite3_stmt *st;
	size_t i;
	int rc = 0, more = 0;

	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin pruning", err) != 0)
		return -1;
	for (i = 0; i < ARRAY_LEN(sql) && rc == 0; i++) {
		if ((st = stmt_new(ss, sql[i], err)) == NULL) {
			rc = -1;
			break;
		}
		sqlite3_bind_double(st, 1, before);
		sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
		if (sqlite3_step(st) == SQLITE_DONE) {
			*deleted += sqlite3_changes(ss->db);
			more |= limit > 0 && sqlite3_changes(ss->db) >= limit;
		} else {
			rc = db_fail(ss, "prune", err);
		}
		sqlite3_finalize(st);
	}
	if (txn_end(ss, rc, err) != 0) {
		*deleted = 0;
		return -1;
	}
	/* The newest sample of a series may be gone: reload last states. */
	cache_unload_states(ss);
	return more;
}

static int
sqlite_alerts_add(struct store *s, const char *runbook, json_t *outcomes,
    char **err)
{
	struct sqlite_store *ss = to_sqlite(s);
	sqlite3_stmt *st;
	json_t *o;
	size_t i;
	int rc = 0;

	if (exec_sql(ss, "BEGIN IMMEDIATE", "begin storing alerts", err) != 0)
		return -1;
	st = stmt_new(ss, "INSERT INTO alerts (at, runbook, key, status, "
	    "target, ok, attempt, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", err);
	if (st == NULL)
		rc = -1;
	json_array_foreach(outcomes, i, o) {
		double at;

		if (rc != 0)
			break;
		if (time_parse_iso8601(json_string_value(json_object_get(o,
		    "at")), &at) != 0)
			at = time_now();
		sqlite3_bind_double(st, 1, at);
		sqlite3_bind_text(st, 2, runbook, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, json_string_value(json_object_get(o,
		    "key")), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, json_string_value(json_object_get(o,
		    "status")), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, json_string_value(json_object_get(o,
		    "target")), -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, json_is_true(json_object_get(o, "ok")));
		sqlite3_bind_int64(st, 7, json_integer_value(json_object_get(o,
		    "attempt")));
		sqlite3_bind_text(st, 8, json_string_value(json_object_get(o,
		    "error")), -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_fail(ss, "store an alert outcome", err);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return txn_end(ss, rc, err);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sqlite_open,
	.close = sqlite_close,
	.schema_version = sqlite_schema_version,
	.lock = sqlite_lock,
	.unlock = sqlite_unlock,
	.incident_open = sqlite_incident_open,
	.incident_event = sqlite_incident_event,
	.incident_get = sqlite_incident_get,
	.incidents_list = sqlite_incidents_list,
	.fix_count = sqlite_fix_count,
	.verify_chain = sqlite_verify_chain,
	.samples_add = sqlite_samples_add,
	.history = sqlite_history,
	.prune = sqlite_prune,
	.alerts_add = sqlite_alerts_add,
};

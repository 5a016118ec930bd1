/* SPDX-License-Identifier: MIT */
/* Tests for the store (store.c, store-sqlite.c): paths, migration, the
 * incident hash chain and its tamper detection, the fix lock across
 * processes, samples, state changes, history and pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store-impl.h"
#include "store.h"
#include "util/fsutil.h"
#include "util/xmalloc.h"

#define T0 1700000000.0

struct fixture {
	char dir[64];
	char *path;		/* dir/state/triage.db */
	struct store *s;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *err = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->path = xasprintf("%s/state/triage.db", f->dir);
	if (store_open(f->path, &f->s, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return -1;
	}
	*state = f;
	return 0;
}

/* As setup, without opening the store. */
static int
setup_closed(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/triage-store-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	f->path = xasprintf("%s/state/triage.db", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	assert_int_equal(fs_remove_tree(f->dir), 0);
	free(f->path);
	free(f);
	return 0;
}

/* Runs sql on the file at path with a connection of its own (as someone
 * editing the file would); returns the SQLite result code. */
static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

/* The integer the first row of sql gives on the file at path. */
static long long
raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Opens an incident with two steps, closed when close is set. */
static int64_t
make_incident(struct store *s, const char *runbook, const char *failure,
    double at, int close)
{
	json_t *body;
	char *err = NULL;
	int64_t id = 0;

	body = json_pack("{s:s, s:s, s:{s:s}}", "operator", "ann@web1",
	    "symptom", "502s", "before", "db", "critical");
	assert_int_equal(store_incident_open(s, runbook, failure, at, body,
	    &id, &err), 0);
	json_decref(body);
	body = json_pack("{s:[s,s], s:i, s:f, s:s}", "argv", "systemctl",
	    "restart", "exit", 0, "duration", 1.25, "output", "ok\n");
	assert_int_equal(store_incident_event(s, id, "step", at + 1, body,
	    &err), 0);
	assert_int_equal(store_incident_event(s, id, "verify", at + 2, NULL,
	    &err), 0);
	json_decref(body);
	if (close) {
		body = json_pack("{s:s}", "outcome", "resolved");
		assert_int_equal(store_incident_event(s, id, "closed", at + 3,
		    body, &err), 0);
		json_decref(body);
	}
	return id;
}

/* store_verify_chain's report: asserts it ran, returns it. */
static json_t *
verify(struct store *s)
{
	json_t *report = NULL;
	char *err = NULL;

	if (store_verify_chain(s, &report, &err) != 0)
		fail_msg("verify: %s", err);
	assert_non_null(report);
	return report;
}

static void
add_samples(struct store *s, const char *runbook,
    const struct store_sample *v, size_t n)
{
	char *err = NULL;

	if (store_samples_add(s, runbook, v, n, &err) != 0)
		fail_msg("samples: %s", err);
}

static json_t *
history(struct store *s, const char *runbook, const char *probe,
    double since, size_t limit)
{
	char *err = NULL;
	json_t *h = store_history(s, runbook, probe, since, limit, &err);

	if (h == NULL)
		fail_msg("history: %s", err);
	return h;
}

/* ---- open, paths, versions ---- */

static void
test_open_creates_private(void **state)
{
	struct fixture *f = *state;
	char *dir = xasprintf("%s/state", f->dir), *err = NULL;
	struct store *other = NULL;
	struct stat st;

	assert_string_equal(store_path(f->s), f->path);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "SELECT journal_mode = 'wal' FROM "
	    "pragma_journal_mode"), 1);
	/* Reopening an up-to-date store changes nothing; asking for an
	 * older version does not downgrade it. */
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->path, &f->s, &err), 0);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open_version(f->path, 1, &f->s, &err), 0);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(store_open_version(f->path, STORE_SCHEMA_VERSION + 1,
	    &other, &err), -1);
	assert_null(other);
	free(err);
	free(dir);
}

/* Sets or (value NULL) unsets name, returning the old value (heap). */
static char *
swap_env(const char *name, const char *value)
{
	const char *old = getenv(name);
	char *copy = old != NULL ? xstrdup(old) : NULL;

	if (value != NULL)
		setenv(name, value, 1);
	else
		unsetenv(name);
	return copy;
}

static void
restore_env(const char *name, char *old)
{
	if (old != NULL)
		setenv(name, old, 1);
	else
		unsetenv(name);
	free(old);
}

static void
test_default_path(void **state)
{
	struct fixture *f = *state;
	char *store = swap_env("TRIAGE_STORE", "/srv/t.db");
	char *xdg = swap_env("XDG_STATE_HOME", "/var/xdg");
	char *home = swap_env("HOME", "/home/ann");
	char *p, *err = NULL;

	p = store_default_path();
	assert_string_equal(p, "/srv/t.db");
	free(p);
	setenv("TRIAGE_STORE", "", 1);
	p = store_default_path();
	assert_string_equal(p, "/var/xdg/triage/triage.db");
	free(p);
	unsetenv("TRIAGE_STORE");
	setenv("XDG_STATE_HOME", "relative", 1);
	p = store_default_path();
	assert_string_equal(p, "/home/ann/.local/state/triage/triage.db");
	free(p);
	unsetenv("XDG_STATE_HOME");
	p = store_default_path();
	assert_string_equal(p, "/home/ann/.local/state/triage/triage.db");
	free(p);

	/* store_open(NULL) opens the default, creating its directories. */
	setenv("XDG_STATE_HOME", f->dir, 1);
	assert_int_equal(store_open(NULL, &f->s, &err), 0);
	p = xasprintf("%s/triage/triage.db", f->dir);
	assert_string_equal(store_path(f->s), p);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	restore_env("TRIAGE_STORE", store);
	restore_env("XDG_STATE_HOME", xdg);
	restore_env("HOME", home);
}

static void
test_refuse_postgres(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;

	assert_int_equal(store_open("postgres://ann:hunter2@db/triage",
	    &f->s, &err), -1);
	assert_null(f->s);
	assert_non_null(strstr(err, "not supported yet"));
	assert_non_null(strstr(err, "postgres://ann:***@db/triage"));
	assert_null(strstr(err, "hunter2"));
	free(err);
	err = NULL;
	assert_int_equal(store_open("postgresql://db/triage", &f->s, &err),
	    -1);
	assert_non_null(strstr(err, "store postgresql://db/triage: "));
	free(err);
	err = NULL;
	assert_int_equal(store_open("", &f->s, &err), -1);
	free(err);
}

static void
test_refuse_newer(void **state)
{
	struct fixture *f = *state;
	char *err = NULL, *want;

	store_close(f->s);
	f->s = NULL;
	assert_int_equal(raw_exec(f->path, "PRAGMA user_version = 99"),
	    SQLITE_OK);
	assert_int_equal(store_open(f->path, &f->s, &err), -1);
	assert_null(f->s);
	want = xasprintf("store %s: schema version 99 was written by a newer "
	    "triage", f->path);
	assert_non_null(strstr(err, want));
	free(want);
	free(err);
}

static void
test_refuse_foreign(void **state)
{
	struct fixture *f = *state;
	char *other = xasprintf("%s/other.db", f->dir), *err = NULL;
	FILE *fp;

	assert_int_equal(raw_exec(other, "CREATE TABLE t (x)"), SQLITE_OK);
	assert_int_equal(store_open(other, &f->s, &err), -1);
	assert_non_null(strstr(err, "not a triage store"));
	free(err);
	err = NULL;
	fp = fopen(other, "w");
	assert_non_null(fp);
	fputs("this is not a database, just text long enough to fill a "
	    "header of one hundred bytes or so, which SQLite reads first.\n",
	    fp);
	fclose(fp);
	assert_int_equal(store_open(other, &f->s, &err), -1);
	assert_non_null(strstr(err, other));
	assert_non_null(strstr(err, "not a database"));
	free(err);
	free(other);
}

static void
test_alerts_add(void **state)
{
	struct fixture *f = *state;
	json_t *out = json_pack("[{s:s, s:s, s:s, s:s, s:b, s:i, s:n}, "
	    "{s:s, s:n, s:s, s:s, s:b, s:i, s:s}]",
	    "at", "2026-11-24T10:00:00Z", "key", "failure/edge-down", "status",
	    "firing", "target", "http://127.0.0.1:9/hook", "ok", 1, "attempt",
	    1, "error",
	    "at", "2026-11-24T10:00:01Z", "key", "status", "batch", "target",
	    "http://127.0.0.1:9093/api/v2/alerts", "ok", 0, "attempt", 2,
	    "error", "Connection refused");
	char *err = NULL;

	assert_int_equal(store_alerts_add(f->s, "rb", out, &err), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM alerts "
	    "WHERE runbook = 'rb'"), 2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM alerts WHERE "
	    "ok = 1 AND key = 'failure/edge-down' AND status = 'firing'"), 1);
	assert_int_equal(raw_int(f->path, "SELECT attempt FROM alerts WHERE "
	    "key IS NULL AND error = 'Connection refused'"), 2);
	json_decref(out);
}

static void
test_migrate_v1_to_v2(void **state)
{
	struct fixture *f = *state;
	struct store_sample v[] = {
		{ "db", T0, "ok", 1.5, NULL },
		{ "web", T0, "critical", -1, "502" },
		{ "db", T0 + 10, "warning", 900, "slow" },
	};
	struct store_holder me = { "ann@h", "h", (long)getpid(), T0 };
	json_t *inc, *h, *report, *held = NULL;
	char *err = NULL;
	int64_t id;

	assert_int_equal(store_open_version(f->path, 1, &f->s, &err), 0);
	assert_int_equal(store_schema_version(f->s), 1);
	id = make_incident(f->s, "rb", "db_down", T0, 1);
	add_samples(f->s, "rb", v, 3);
	/* Version 1 has no lock table. */
	assert_int_equal(store_lock(f->s, "rb", &me, &held, &err), -1);
	assert_non_null(strstr(err, "needs schema version 2"));
	free(err);
	err = NULL;
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE name IN ('locks', 'samples_series_at')"), 0);

	assert_int_equal(store_open(f->path, &f->s, &err), 0);
	assert_int_equal(store_schema_version(f->s), STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
	    STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master "
	    "WHERE name IN ('locks', 'samples_series_at', "
	    "'changes_series_at', 'alerts')"), 4);
	/* The v1 data survived, and the history reads it through the new
	 * index. */
	inc = store_incident_get(f->s, id, &err);
	assert_non_null(inc);
	assert_string_equal(json_string_value(json_object_get(inc, "status")),
	    "resolved");
	assert_int_equal(json_array_size(json_object_get(inc, "events")), 4);
	json_decref(inc);
	report = verify(f->s);
	assert_true(json_is_true(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report,
	    "events")), 4);
	json_decref(report);
	h = history(f->s, "rb", "db", 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 2);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 2);
	json_decref(h);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM "
	    "pragma_index_info('samples_series_at')"), 2);
	/* The state cache starts from the migrated data: ok -> warning was
	 * the last change of db, so another warning is no change. */
	v[0].state = "warning";
	v[0].at = T0 + 20;
	add_samples(f->s, "rb", v, 1);
	h = history(f->s, "rb", "db", 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 2);
	json_decref(h);
	assert_int_equal(store_lock(f->s, "rb", &me, &held, &err), 0);
	assert_null(held);
}

/* ---- incidents ---- */

static void
test_incident_get_list(void **state)
{
	struct fixture *f = *state;
	json_t *inc, *ev, *list, *body;
	char *err = NULL;
	int64_t a, b, c;

	a = make_incident(f->s, "web", "db_down", T0, 1);
	b = make_incident(f->s, "web", "disk_full", T0 + 100, 0);
	c = make_incident(f->s, "mail", "queue", T0 + 200, 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(c, 3);

	inc = store_incident_get(f->s, a, &err);
	assert_non_null(inc);
	assert_int_equal(json_integer_value(json_object_get(inc, "id")), 1);
	assert_string_equal(json_string_value(json_object_get(inc,
	    "runbook")), "web");
	assert_string_equal(json_string_value(json_object_get(inc,
	    "failure")), "db_down");
	assert_string_equal(json_string_value(json_object_get(inc,
	    "opened_at")), "2023-11-14T22:13:20.000Z");
	assert_string_equal(json_string_value(json_object_get(inc,
	    "closed_at")), "2023-11-14T22:13:23.000Z");
	assert_string_equal(json_string_value(json_object_get(inc, "status")),
	    "resolved");
	ev = json_object_get(inc, "events");
	assert_int_equal(json_array_size(ev), 4);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(ev, 0), "kind")), "opened");
	body = json_object_get(json_array_get(ev, 0), "body");
	assert_string_equal(json_string_value(json_object_get(body,
	    "operator")), "ann@web1");
	assert_string_equal(json_string_value(json_object_get(body,
	    "runbook")), "web");
	body = json_object_get(json_array_get(ev, 1), "body");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(body, "argv"), 1)), "restart");
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(ev, 1), "seq")), 2);
	assert_int_equal(strlen(json_string_value(json_object_get(
	    json_array_get(ev, 1), "hash"))), 64);
	json_decref(inc);

	inc = store_incident_get(f->s, b, &err);
	assert_string_equal(json_string_value(json_object_get(inc, "status")),
	    "open");
	assert_true(json_is_null(json_object_get(inc, "closed_at")));
	json_decref(inc);

	/* No such incident: NULL and no error. */
	err = NULL;
	assert_null(store_incident_get(f->s, 99, &err));
	assert_null(err);

	list = store_incidents_list(f->s, NULL, 0, &err);
	assert_non_null(list);
	assert_int_equal(json_array_size(list), 3);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(list, 0), "id")), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(list, 0), "operator")), "ann@web1");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(list, 2), "status")), "resolved");
	assert_non_null(json_string_value(json_object_get(
	    json_array_get(list, 2), "closed_at")));
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(list, 1), "status")), "open");
	json_decref(list);
	list = store_incidents_list(f->s, "web", 1, &err);
	assert_int_equal(json_array_size(list), 1);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(list, 0), "id")), 2);
	json_decref(list);
	list = store_incidents_list(f->s, "none", 0, &err);
	assert_int_equal(json_array_size(list), 0);
	json_decref(list);
}

static void
test_incident_errors(void **state)
{
	struct fixture *f = *state;
	json_t *body = json_pack("{s:s}", "outcome", "fixed?");
	json_t *array = json_array();
	char *err = NULL, *want;
	int64_t id = make_incident(f->s, "web", "db_down", T0, 0);

	want = xasprintf("store %s: no incident 42", f->path);
	assert_int_equal(store_incident_event(f->s, 42, "step", T0, NULL,
	    &err), -1);
	assert_string_equal(err, want);
	free(want);
	free(err);
	err = NULL;
	assert_int_equal(store_incident_event(f->s, id, "closed", T0, body,
	    &err), -1);
	assert_non_null(strstr(err, "needs an outcome"));
	free(err);
	err = NULL;
	assert_int_equal(store_incident_event(f->s, id, "closed", T0, NULL,
	    &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_incident_event(f->s, id, "opened", T0, NULL,
	    &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_incident_event(f->s, id, "step", T0, array,
	    &err), -1);
	assert_non_null(strstr(err, "must be an object"));
	free(err);
	err = NULL;
	assert_int_equal(store_incident_event(f->s, id, "step", NAN, NULL,
	    &err), -1);
	assert_non_null(strstr(err, "not a number"));
	free(err);
	json_decref(body);
	json_decref(array);
	/* Nothing of the refused events reached the log. */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events"), 3);
}

static void
test_fix_count(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;
	long n = -1;

	make_incident(f->s, "web", "db_down", T0, 1);
	make_incident(f->s, "web", "db_down", T0 + 600, 1);
	make_incident(f->s, "web", "db_down", T0 + 1200, 0);
	make_incident(f->s, "web", "disk_full", T0 + 1200, 0);
	make_incident(f->s, "mail", "db_down", T0 + 1200, 0);
	assert_int_equal(store_fix_count(f->s, "web", "db_down", T0, &n,
	    &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_fix_count(f->s, "web", "db_down", T0 + 600,
	    &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_fix_count(f->s, "web", "db_down", T0 + 601,
	    &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_fix_count(f->s, "web", "nothing", 0, &n,
	    &err), 0);
	assert_int_equal(n, 0);
}

/* ---- the hash chain ---- */

static void
test_event_hash_vector(void **state)
{
	char out[65];

	(void)state;
	/* sha256("14:triage-event-1,64:000...0,1:1,1:1,12:1700000000.5,"
	 * "6:opened,7:{\"a\":1},"), computed independently. */
	store_event_hash(STORE_GENESIS, 1, 1, 1700000000.5, "opened",
	    "{\"a\":1}", out);
	assert_string_equal(out, "f8888f68cc7acbc85558583d2840bd92"
	    "dc66c353ad3f95d6db74e0f49b993a34");
}

static void
test_verify_ok(void **state)
{
	struct fixture *f = *state;
	json_t *report, *inc, *last;
	char *err = NULL;

	report = verify(f->s);
	assert_true(json_is_true(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report,
	    "events")), 0);
	assert_true(json_is_null(json_object_get(report, "head")));
	json_decref(report);
	make_incident(f->s, "web", "db_down", T0, 1);
	make_incident(f->s, "web", "disk", T0 + 10, 0);
	report = verify(f->s);
	assert_true(json_is_true(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report,
	    "events")), 7);
	assert_null(json_object_get(report, "first_bad"));
	/* head is the newest event's hash. */
	inc = store_incident_get(f->s, 2, &err);
	assert_non_null(inc);
	last = json_array_get(json_object_get(inc, "events"), 2);
	assert_string_equal(json_string_value(json_object_get(report,
	    "head")), json_string_value(json_object_get(last, "hash")));
	json_decref(inc);
	json_decref(report);
}

/* Asserts the report says not ok, first_bad seq, reason containing why. */
static void
assert_bad(struct store *s, long long seq, const char *why)
{
	json_t *report = verify(s);
	const char *reason;

	assert_true(json_is_false(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report,
	    "first_bad")), seq);
	reason = json_string_value(json_object_get(report, "reason"));
	assert_non_null(reason);
	if (strstr(reason, why) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", reason, why);
	json_decref(report);
}

static void
test_tamper_edit(void **state)
{
	struct fixture *f = *state;

	make_incident(f->s, "web", "db_down", T0, 1);
	make_incident(f->s, "web", "disk", T0 + 10, 1);
	/* Ordinary SQL cannot edit the log ... */
	assert_int_not_equal(raw_exec(f->path, "UPDATE events SET body = "
	    "'{}' WHERE seq = 3"), SQLITE_OK);
	assert_int_not_equal(raw_exec(f->path, "DELETE FROM events"),
	    SQLITE_OK);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events"), 8);
	/* ... but whoever drops the trigger can, and the chain shows it. */
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER events_no_update; "
	    "UPDATE events SET body = replace(body, '\"exit\":0', "
	    "'\"exit\":1') WHERE seq = 6"), SQLITE_OK);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events WHERE "
	    "body LIKE '%\"exit\":1%'"), 1);
	assert_bad(f->s, 6, "edited");
}

static void
test_tamper_delete(void **state)
{
	struct fixture *f = *state;
	json_t *report;

	make_incident(f->s, "web", "db_down", T0, 1);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER events_no_delete; "
	    "DELETE FROM events WHERE seq = 2"), SQLITE_OK);
	assert_bad(f->s, 3, "event 2 is missing");
	/* Deleting the newest rows cannot be seen without a copy of the
	 * head hash: the shortened chain is a valid chain. */
	assert_int_equal(raw_exec(f->path, "DELETE FROM events WHERE seq > 1"),
	    SQLITE_OK);
	report = verify(f->s);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
	/* Deleting the first. */
	assert_int_equal(raw_exec(f->path, "DELETE FROM events"), SQLITE_OK);
	make_incident(f->s, "web", "db_down", T0, 1);
	assert_int_equal(raw_exec(f->path, "DELETE FROM events WHERE seq = 1"),
	    SQLITE_OK);
	assert_bad(f->s, 2, "missing");
}

static void
test_tamper_reorder(void **state)
{
	struct fixture *f = *state;

	make_incident(f->s, "web", "db_down", T0, 1);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER events_no_update; "
	    "UPDATE events SET seq = -1 WHERE seq = 2; "
	    "UPDATE events SET seq = 2 WHERE seq = 3; "
	    "UPDATE events SET seq = 3 WHERE seq = -1"), SQLITE_OK);
	assert_bad(f->s, 2, "prev");
}

static void
test_tamper_incident_row(void **state)
{
	struct fixture *f = *state;
	json_t *report;
	long n = -1;
	char *err = NULL;

	make_incident(f->s, "web", "db_down", T0, 1);
	make_incident(f->s, "web", "db_down", T0 + 10, 1);
	/* Someone hides an incident from the rate limit. */
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER incidents_no_update; "
	    "UPDATE incidents SET failure = 'other' WHERE id = 2"), SQLITE_OK);
	assert_int_equal(store_fix_count(f->s, "web", "db_down", 0, &n, &err),
	    0);
	assert_int_equal(n, 1);
	assert_bad(f->s, 5, "incident 2");
	assert_int_equal(raw_exec(f->path, "UPDATE incidents SET failure = "
	    "'db_down' WHERE id = 2"), SQLITE_OK);
	report = verify(f->s);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
	assert_int_equal(raw_exec(f->path, "DROP TRIGGER incidents_no_delete; "
	    "DELETE FROM incidents WHERE id = 1"), SQLITE_OK);
	assert_bad(f->s, 1, "incident 1");
	/* An incident row with no opened event at all. */
	assert_int_equal(raw_exec(f->path, "DELETE FROM incidents; "
	    "INSERT INTO incidents VALUES (1, 'web', 'db_down', 1700000000); "
	    "INSERT INTO incidents VALUES (2, 'web', 'db_down', 1700000010); "
	    "INSERT INTO incidents VALUES (7, 'web', 'x', 1)"), SQLITE_OK);
	report = verify(f->s);
	assert_true(json_is_false(json_object_get(report, "ok")));
	assert_int_equal(json_integer_value(json_object_get(report,
	    "incident")), 7);
	json_decref(report);
}

/* ---- the fix lock ---- */

/* A pid that existed and no longer does. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

static void
test_lock(void **state)
{
	struct fixture *f = *state;
	struct store_holder a = { "ann@h", "h", (long)getpid(), T0 };
	struct store_holder b = { "bob@h", "h", (long)getppid(), 0 };
	struct store_holder far = { "cy@g", "g", (long)dead_pid(), T0 };
	json_t *held = NULL;
	char *err = NULL;

	assert_int_equal(store_lock(f->s, "web", &a, &held, &err), 0);
	assert_null(held);
	/* Taking it again is fine; someone else is refused and told who. */
	assert_int_equal(store_lock(f->s, "web", &a, &held, &err), 0);
	assert_int_equal(store_lock(f->s, "web", &b, &held, &err), 1);
	assert_non_null(held);
	assert_string_equal(json_string_value(json_object_get(held, "who")),
	    "ann@h");
	assert_string_equal(json_string_value(json_object_get(held, "host")),
	    "h");
	assert_int_equal(json_integer_value(json_object_get(held, "pid")),
	    getpid());
	assert_string_equal(json_string_value(json_object_get(held,
	    "since")), "2023-11-14T22:13:20.000Z");
	assert_null(json_object_get(held, "stale"));
	json_decref(held);
	held = NULL;
	/* Another runbook's lock is separate. */
	assert_int_equal(store_lock(f->s, "mail", &b, &held, &err), 0);
	/* b cannot release a's lock. */
	assert_int_equal(store_unlock(f->s, "web", &b, &err), 0);
	assert_int_equal(store_lock(f->s, "web", &b, &held, &err), 1);
	json_decref(held);
	held = NULL;
	assert_int_equal(store_unlock(f->s, "web", &a, &err), 0);
	assert_int_equal(store_lock(f->s, "web", &b, &held, &err), 0);
	assert_null(held);
	assert_int_equal(store_unlock(f->s, "web", &b, &err), 0);

	/* A dead pid on another host is not known to be dead. */
	assert_int_equal(store_lock(f->s, "web", &far, &held, &err), 0);
	assert_int_equal(store_lock(f->s, "web", &a, &held, &err), 1);
	assert_string_equal(json_string_value(json_object_get(held, "who")),
	    "cy@g");
	json_decref(held);
	held = NULL;
	assert_int_equal(store_unlock(f->s, "web", &far, &err), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM locks WHERE "
	    "runbook = 'web'"), 0);
	/* Without a place for the holder, refusal is still 1. */
	assert_int_equal(store_lock(f->s, "mail", &a, NULL, &err), 1);
}

static void
test_lock_stale(void **state)
{
	struct fixture *f = *state;
	struct store_holder gone = { "old@h", "h", (long)dead_pid(), T0 };
	struct store_holder me = { "ann@h", "h", (long)getpid(), 0 };
	json_t *held = NULL;
	char *err = NULL;

	assert_int_equal(store_lock(f->s, "web", &gone, &held, &err), 0);
	assert_int_equal(store_lock(f->s, "web", &me, &held, &err), 0);
	assert_non_null(held);
	assert_true(json_is_true(json_object_get(held, "stale")));
	assert_string_equal(json_string_value(json_object_get(held, "who")),
	    "old@h");
	assert_int_equal(json_integer_value(json_object_get(held, "pid")),
	    gone.pid);
	json_decref(held);
	held = NULL;
	/* It is ours now. */
	assert_int_equal(raw_int(f->path, "SELECT pid FROM locks WHERE "
	    "runbook = 'web'"), getpid());
	assert_int_equal(store_lock(f->s, "web", &gone, &held, &err), 1);
	json_decref(held);
}

struct race_result {
	int rc;
	long held_pid;
	char held_who[32];
};

/* A child of the race: opens its own connection, says it is ready, waits
 * for the start (EOF on go), races for the lock, reports, and waits for
 * EOF on release before it exits: a winner that exited at once would
 * leave a stale lock, not a live one. Never returns. */
static void
race_child(const char *path, const char *runbook, const int fds[4])
{
	struct race_result r;
	struct store_holder me;
	struct store *s = NULL;
	json_t *held = NULL;
	char who[32], c, *err = NULL;

	memset(&r, 0, sizeof(r));
	r.rc = -2;
	snprintf(who, sizeof(who), "child-%ld", (long)getpid());
	me.who = who;
	me.host = "h";
	me.pid = (long)getpid();
	me.since = 0;
	if (store_open(path, &s, &err) == 0 && write(fds[0], "r", 1) == 1 &&
	    read(fds[1], &c, 1) == 0) {
		r.rc = store_lock(s, runbook, &me, &held, &err);
		if (held != NULL) {
			r.held_pid = (long)json_integer_value(json_object_get(
			    held, "pid"));
			snprintf(r.held_who, sizeof(r.held_who), "%s",
			    json_string_value(json_object_get(held, "who")));
		}
	}
	if (write(fds[2], &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(2);
	if (read(fds[3], &c, 1) != 0)
		_exit(3);
	_exit(0);
}

static void
test_lock_race(void **state)
{
	struct fixture *f = *state;
	int round;

	/* No connection of ours crosses the fork. */
	store_close(f->s);
	f->s = NULL;
	for (round = 0; round < 8; round++) {
		struct race_result r[2];
		int ready[2], go[2], result[2], release[2], fds[4], i, w;
		int status;
		pid_t pid[2];
		char runbook[16], want[32], c, *sql;

		snprintf(runbook, sizeof(runbook), "rb%d", round);
		assert_int_equal(pipe(ready), 0);
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(result), 0);
		assert_int_equal(pipe(release), 0);
		fds[0] = ready[1];
		fds[1] = go[0];
		fds[2] = result[1];
		fds[3] = release[0];
		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				close(ready[0]);
				close(go[1]);
				close(result[0]);
				close(release[1]);
				race_child(f->path, runbook, fds);
			}
		}
		close(ready[1]);
		close(go[0]);
		close(result[1]);
		close(release[0]);
		for (i = 0; i < 2; i++)
			assert_int_equal(read(ready[0], &c, 1), 1);
		/* Both are waiting on go: start them at once. */
		close(go[1]);
		for (i = 0; i < 2; i++)
			assert_int_equal(read(result[0], &r[i], sizeof(r[i])),
			    (ssize_t)sizeof(r[i]));
		/* Which child wrote which result is not known; the pid
		 * the loser was given names the winner. */
		w = r[0].rc == 1 ? 0 : 1;
		if (r[w].rc != 1 || r[1 - w].rc != 0)
			fail_msg("round %d: results %d and %d", round,
			    r[0].rc, r[1].rc);
		assert_true(r[w].held_pid == pid[0] ||
		    r[w].held_pid == pid[1]);
		snprintf(want, sizeof(want), "child-%ld", r[w].held_pid);
		assert_string_equal(r[w].held_who, want);
		sql = xasprintf("SELECT pid FROM locks WHERE runbook = '%s'",
		    runbook);
		assert_int_equal(raw_int(f->path, sql), r[w].held_pid);
		free(sql);
		close(release[1]);
		for (i = 0; i < 2; i++) {
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
		close(ready[0]);
		close(result[0]);
	}
}

/* ---- samples ---- */

static void
test_samples_history(void **state)
{
	struct fixture *f = *state;
	struct store_sample batch1[] = {
		{ "db", T0, "ok", 1.5, NULL },
		{ "web", T0, "critical", -1, "HTTP 502" },
	};
	struct store_sample batch2[] = {
		{ "db", T0 + 10, "ok", 2, NULL },
		{ "web", T0 + 10, "ok", 30, NULL },
		{ "db", T0 + 20, "warning", 950, "slow" },
	};
	struct store_sample other[] = {
		{ "db", T0 + 5, "ok", 1, NULL },
	};
	json_t *h, *s, *c, *row;

	add_samples(f->s, "web", batch1, 2);
	add_samples(f->s, "web", batch2, 3);
	add_samples(f->s, "mail", other, 1);

	h = history(f->s, NULL, NULL, 0, 0);
	s = json_object_get(h, "samples");
	c = json_object_get(h, "changes");
	assert_int_equal(json_array_size(s), 6);
	row = json_array_get(s, 0);
	assert_string_equal(json_string_value(json_object_get(row, "probe")),
	    "db");
	assert_string_equal(json_string_value(json_object_get(row, "runbook")),
	    "web");
	assert_string_equal(json_string_value(json_object_get(row, "state")),
	    "warning");
	assert_string_equal(json_string_value(json_object_get(row, "reason")),
	    "slow");
	assert_string_equal(json_string_value(json_object_get(row, "at")),
	    "2023-11-14T22:13:40.000Z");
	assert_true(json_real_value(json_object_get(row, "latency_ms")) ==
	    950.0);
	/* Newest first, all the way down. */
	row = json_array_get(s, 5);
	assert_string_equal(json_string_value(json_object_get(row, "at")),
	    "2023-11-14T22:13:20.000Z");
	/* web/db: first ok, ok -> warning; web/web: first critical,
	 * critical -> ok; mail/db: first ok. */
	assert_int_equal(json_array_size(c), 5);
	row = json_array_get(c, 0);
	assert_string_equal(json_string_value(json_object_get(row, "from")),
	    "ok");
	assert_string_equal(json_string_value(json_object_get(row, "to")),
	    "warning");
	assert_string_equal(json_string_value(json_object_get(row, "reason")),
	    "slow");
	json_decref(h);

	h = history(f->s, "web", "web", 0, 0);
	s = json_object_get(h, "samples");
	c = json_object_get(h, "changes");
	assert_int_equal(json_array_size(s), 2);
	assert_true(json_is_null(json_object_get(json_array_get(s, 1),
	    "latency_ms")));
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(s, 1), "reason")), "HTTP 502");
	assert_int_equal(json_array_size(c), 2);
	row = json_array_get(c, 1);
	assert_true(json_is_null(json_object_get(row, "from")));
	assert_string_equal(json_string_value(json_object_get(row, "to")),
	    "critical");
	json_decref(h);

	h = history(f->s, NULL, "db", 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 4);
	json_decref(h);
	h = history(f->s, "web", NULL, T0 + 10, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 3);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 2);
	json_decref(h);
	h = history(f->s, "web", NULL, 0, 2);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 2);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 2);
	json_decref(h);
	h = history(f->s, "nope", NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 0);
	json_decref(h);
}

static void
test_samples_refused(void **state)
{
	struct fixture *f = *state;
	struct store_sample v[] = {
		{ "db", T0, "ok", 1, NULL },
		{ "web", T0, "sad", 1, NULL },
	};
	char *err = NULL;
	json_t *h;

	assert_int_equal(store_samples_add(f->s, "rb", v, 2, &err), -1);
	assert_non_null(strstr(err, "probe web: \"sad\" is not a state"));
	assert_non_null(strstr(err, f->path));
	free(err);
	err = NULL;
	/* One transaction: the good sample went too. */
	h = history(f->s, NULL, NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 0);
	json_decref(h);
	/* And the cache forgot what was rolled back: db's first sample is
	 * still its first state change. */
	add_samples(f->s, "rb", v, 1);
	h = history(f->s, NULL, NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 1);
	json_decref(h);
	v[0].at = NAN;
	assert_int_equal(store_samples_add(f->s, "rb", v, 1, &err), -1);
	assert_non_null(strstr(err, "probe db: a sample time"));
	free(err);
	err = NULL;
	v[0].probe = NULL;
	assert_int_equal(store_samples_add(f->s, "rb", v, 1, &err), -1);
	free(err);
	err = NULL;
	assert_int_equal(store_samples_add(f->s, NULL, v, 1, &err), -1);
	free(err);
}

static void
test_samples_two_writers(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct store_sample v = { "db", T0, "ok", 1, NULL };
	char *err = NULL;
	json_t *h;

	assert_int_equal(store_open(f->path, &other, &err), 0);
	add_samples(f->s, "rb", &v, 1);
	v.at += 10;
	v.state = "critical";
	add_samples(other, "rb", &v, 1);
	/* f->s cached "ok" for db; the other handle's write must be seen,
	 * or this would be recorded as a second ok -> critical. */
	v.at += 10;
	add_samples(f->s, "rb", &v, 1);
	v.at += 10;
	v.state = "ok";
	add_samples(f->s, "rb", &v, 1);
	h = history(f->s, NULL, NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 4);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 3);
	json_decref(h);
	store_close(other);
}

static void
test_prune(void **state)
{
	struct fixture *f = *state;
	struct store_sample v[] = {
		{ "db", T0, "critical", 1, "down" },
		{ "db", T0 + 100, "ok", 1, NULL },
		{ "db", T0 + 200, "ok", 1, NULL },
		{ "web", T0 + 50, "ok", 1, NULL },
	};
	struct store_sample next = { "db", T0 + 300, "ok", 1, NULL };
	char *err = NULL;
	long deleted = -1;
	json_t *h;

	make_incident(f->s, "rb", "db_down", T0, 1);
	add_samples(f->s, "rb", v, 4);
	assert_int_equal(store_prune(f->s, T0 + 100, 0, &deleted, &err), 0);
	/* Samples at T0 and T0 + 50, changes at T0 and T0 + 50. */
	assert_int_equal(deleted, 4);
	h = history(f->s, NULL, NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 2);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 1);
	json_decref(h);
	/* db is still ok: no change. */
	add_samples(f->s, "rb", &next, 1);
	h = history(f->s, NULL, NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "changes")), 1);
	json_decref(h);
	/* Incidents are never pruned. */
	assert_int_equal(store_prune(f->s, T0 + 1e6, 0, &deleted, &err), 0);
	assert_int_equal(deleted, 4);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM events"), 4);
	h = history(f->s, NULL, NULL, 0, 0);
	assert_int_equal(json_array_size(json_object_get(h, "samples")), 0);
	json_decref(h);
}

/* A limit prunes in batches: 1 while a table had a full batch to delete,
 * then 0; alert deliveries age out too. */
static void
test_prune_batches(void **state)
{
	struct fixture *f = *state;
	struct store_sample v[7];
	json_t *alerts = json_array();
	char *err = NULL, at[32];
	long deleted, total = 0;
	int rc, rounds = 0;
	size_t i;

	for (i = 0; i < 7; i++) {
		v[i].probe = "db";
		v[i].at = T0 + (double)i;
		v[i].state = i % 2 == 0 ? "ok" : "critical";
		v[i].latency_ms = 1;
		v[i].reason = NULL;
		/* 2026-11-24T10:00:0Ns: older than T0 + 1e6 */
		snprintf(at, sizeof(at), "2026-11-24T10:00:0%zuZ", i);
		json_array_append_new(alerts, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:b, s:i, s:n}", "at", at, "key", "probe/db", "status",
		    "firing", "target", "http://127.0.0.1:9/", "ok", 1,
		    "attempt", 1, "error"));
	}
	add_samples(f->s, "rb", v, 7);
	assert_int_equal(store_alerts_add(f->s, "rb", alerts, &err), 0);
	json_decref(alerts);
	/* 7 samples, 7 changes, 7 alerts, 3 a round. */
	do {
		rc = store_prune(f->s, T0 + 1e9, 3, &deleted, &err);
		assert_true(rc >= 0);
		assert_true(deleted <= 9);
		total += deleted;
		rounds++;
	} while (rc == 1 && rounds < 10);
	assert_int_equal(rc, 0);
	assert_int_equal(rounds, 3);
	assert_int_equal(total, 21);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM samples"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM changes"), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM alerts"), 0);
}

/* The history query reads the (series, at) index, never the whole
 * table. */
static void
test_history_plan(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;
	int scans = 0, searches = 0;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN "
	    "SELECT s.runbook, s.probe, m.at, m.state FROM series s "
	    "CROSS JOIN samples m ON m.series = s.id WHERE s.runbook = ?1 "
	    "AND s.probe = ?2 AND m.at >= ?3 ORDER BY m.at DESC, "
	    "m.rowid DESC", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 3);

		if (strstr(d, "SCAN m") != NULL)
			scans++;
		if (strstr(d, "samples_series_at") != NULL)
			searches++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(scans, 0);
	assert_int_equal(searches, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_private,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_path,
		    setup_closed, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_postgres,
		    setup_closed, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_newer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refuse_foreign,
		    setup_closed, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_add, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1_to_v2,
		    setup_closed, teardown),
		cmocka_unit_test_setup_teardown(test_incident_get_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_incident_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fix_count, setup,
		    teardown),
		cmocka_unit_test(test_event_hash_vector),
		cmocka_unit_test_setup_teardown(test_verify_ok, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_edit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_delete, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_reorder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tamper_incident_row,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_stale, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lock_race, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_samples_history, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_samples_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_samples_two_writers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_batches, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_history_plan, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

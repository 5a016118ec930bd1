/* SPDX-License-Identifier: MIT */
/* Reference for bench/store: a bare SQLite prepared-INSERT loop writing
 * the samples store_samples_add writes (same tables, indexes, pragmas,
 * rows and transaction sizes); prints rows per second. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PROBES 30
#define T0 1700000000.0

/* The sample tables and indexes of the store's schema (version 2). */
static const char schema[] =
	"PRAGMA journal_mode = WAL;"
	"PRAGMA synchronous = NORMAL;"
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
	"  reason TEXT);"
	"CREATE INDEX samples_series_at ON samples (series, at);"
	"CREATE INDEX changes_series_at ON changes (series, at);";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
check(sqlite3 *db, int rc, int want, const char *what)
{
	if (rc == want)
		return;
	fprintf(stderr, "bare-sqlite: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static long
arg_long(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "bare-sqlite: bad number %s\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *ins, *chg, *ser;
	int last[PROBES], k, state;
	long n, batch, i, j;
	double t0, secs, at;
	char probe[16];

	if (argc != 4) {
		fprintf(stderr, "usage: bare-sqlite PATH ROWS BATCH\n");
		return 2;
	}
	n = arg_long(argv[2]);
	batch = arg_long(argv[3]);
	k = sqlite3_open(argv[1], &db);
	check(db, k, SQLITE_OK, "open");
	sqlite3_busy_timeout(db, 5000);
	check(db, sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK,
	    "schema");
	check(db, sqlite3_prepare_v2(db, "INSERT INTO series (runbook, probe) "
	    "VALUES ('bench', ?)", -1, &ser, NULL), SQLITE_OK, "prepare");
	for (k = 0; k < PROBES; k++) {
		snprintf(probe, sizeof(probe), "p%d", k);
		sqlite3_bind_text(ser, 1, probe, -1, SQLITE_TRANSIENT);
		check(db, sqlite3_step(ser), SQLITE_DONE, "series");
		sqlite3_reset(ser);
		last[k] = -1;
	}
	sqlite3_finalize(ser);
	check(db, sqlite3_prepare_v2(db, "INSERT INTO samples (series, at, "
	    "state, latency_ms, reason) VALUES (?, ?, ?, ?, ?)", -1, &ins,
	    NULL), SQLITE_OK, "prepare");
	check(db, sqlite3_prepare_v2(db, "INSERT INTO changes (series, at, "
	    "from_state, to_state, reason) VALUES (?, ?, ?, ?, ?)", -1, &chg,
	    NULL), SQLITE_OK, "prepare");

	/* The rows bench/store-bench.c generates: PROBES probes every 10 s,
	 * each warning for one cycle in 500. */
	t0 = now();
	for (i = 0; i < n; i += batch) {
		check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
		    SQLITE_OK, "begin");
		for (j = i; j < i + batch && j < n; j++) {
			k = (int)(j % PROBES);
			at = T0 + (double)(j / PROBES) * 10 + k * 0.001;
			state = (j / PROBES) % 500 == 499;
			sqlite3_bind_int64(ins, 1, k + 1);
			sqlite3_bind_double(ins, 2, at);
			sqlite3_bind_int(ins, 3, state);
			sqlite3_bind_double(ins, 4, 1.0 + (double)(j % 13) *
			    0.25);
			if (state)
				sqlite3_bind_text(ins, 5, "slow", -1,
				    SQLITE_STATIC);
			else
				sqlite3_bind_null(ins, 5);
			check(db, sqlite3_step(ins), SQLITE_DONE, "insert");
			sqlite3_reset(ins);
			if (state == last[k])
				continue;
			sqlite3_bind_int64(chg, 1, k + 1);
			sqlite3_bind_double(chg, 2, at);
			if (last[k] >= 0)
				sqlite3_bind_int(chg, 3, last[k]);
			else
				sqlite3_bind_null(chg, 3);
			sqlite3_bind_int(chg, 4, state);
			if (state)
				sqlite3_bind_text(chg, 5, "slow", -1,
				    SQLITE_STATIC);
			else
				sqlite3_bind_null(chg, 5);
			check(db, sqlite3_step(chg), SQLITE_DONE, "change");
			sqlite3_reset(chg);
			last[k] = state;
		}
		check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
		    SQLITE_OK, "commit");
	}
	secs = now() - t0;
	sqlite3_finalize(ins);
	sqlite3_finalize(chg);
	sqlite3_close(db);
	printf("%.0f\n", (double)n / secs);
	return 0;
}

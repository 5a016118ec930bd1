/* SPDX-License-Identifier: MIT */
/* The triage side of bench/store: store_samples_add throughput, filling a
 * store with millions of samples, and store_history over a short window
 * of a big store. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define PROBES 30
#define T0 1700000000.0

static char probe_names[PROBES][8];

static void
die(const char *what, char *err)
{
	fprintf(stderr, "store-bench: %s: %s\n", what, err ? err : "");
	free(err);
	exit(1);
}

static long
arg_long(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "store-bench: bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* Sample j of the stream bench/bare-sqlite.c writes too: PROBES probes
 * every 10 s, each warning for one cycle in 500. */
static void
sample_make(long j, struct store_sample *v)
{
	int k = (int)(j % PROBES), warn = (j / PROBES) % 500 == 499;

	v->probe = probe_names[k];
	v->at = T0 + (double)(j / PROBES) * 10 + k * 0.001;
	v->state = warn ? "warning" : "ok";
	v->latency_ms = 1.0 + (double)(j % 13) * 0.25;
	v->reason = warn ? "slow" : NULL;
}

static struct store *
open_store(const char *path)
{
	struct store *s = NULL;
	char *err = NULL;

	if (store_open(path, &s, &err) != 0)
		die("open", err);
	return s;
}

/* Appends rows samples in calls of batch; returns the seconds taken. */
static double
add_rows(struct store *s, long rows, long batch)
{
	struct store_sample *v = xcalloc((size_t)batch, sizeof(*v));
	char *err = NULL;
	double t0 = time_mono();
	long i, j;

	for (i = 0; i < rows; i += batch) {
		for (j = i; j < i + batch && j < rows; j++)
			sample_make(j, &v[j - i]);
		if (store_samples_add(s, "bench", v, (size_t)(j - i),
		    &err) != 0)
			die("samples", err);
	}
	t0 = time_mono() - t0;
	free(v);
	return t0;
}

static void
sql(sqlite3 *db, const char *text)
{
	if (sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "store-bench: %s: %s\n", text,
		    sqlite3_errmsg(db));
		exit(1);
	}
}

/* Fills the store's tables with the same rows in SQL: the series through
 * the store (so their ids are the store's), then the samples and state
 * changes by one INSERT ... SELECT each, with the (series, at) index
 * dropped during the insert and built once after. */
static void
fill_sql(const char *path, long rows)
{
	struct store *s = open_store(path);
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	char *text;

	add_rows(s, PROBES, PROBES);
	store_close(s);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open", xstrdup(sqlite3_errmsg(db)));
	sql(db, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144;"
	    "BEGIN; DELETE FROM samples; DELETE FROM changes;"
	    "DROP INDEX samples_series_at;");
	/* The store numbered p0 ... p29 as series 1 ... 30. */
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM series WHERE "
	    "runbook = 'bench' AND probe = 'p' || (id - 1)", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
	    sqlite3_column_int(st, 0) != PROBES)
		die("fill", xstrdup("unexpected series ids"));
	sqlite3_finalize(st);
	text = xasprintf("WITH RECURSIVE c(j) AS (SELECT 0 UNION ALL "
	    "SELECT j + 1 FROM c WHERE j < %ld) "
	    "INSERT INTO samples (series, at, state, latency_ms, reason) "
	    "SELECT 1 + j %% %d, %.1f + (j / %d) * 10.0 + (j %% %d) * 0.001, "
	    "  (j / %d) %% 500 = 499, 1.0 + (j %% 13) * 0.25, "
	    "  CASE WHEN (j / %d) %% 500 = 499 THEN 'slow' END "
	    "FROM c", rows - 1, PROBES, T0, PROBES, PROBES, PROBES, PROBES);
	sql(db, text);
	free(text);
	/* The first sample of each series, and both edges of each warning
	 * cycle. */
	text = xasprintf("INSERT INTO changes (series, at, from_state, "
	    "to_state, reason) SELECT series, at, CASE WHEN state = 1 "
	    "THEN 0 WHEN at < %.1f THEN NULL ELSE 1 END, state, reason "
	    "FROM samples WHERE at < %.1f OR state = 1 OR "
	    "(CAST((at - %.1f) / 10 AS INTEGER) %% 500 = 0)",
	    T0 + 10, T0 + 10, T0);
	sql(db, text);
	free(text);
	sql(db, "CREATE INDEX samples_series_at ON samples (series, at);"
	    "COMMIT; PRAGMA wal_checkpoint(TRUNCATE);");
	sqlite3_close(db);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median milliseconds of runs store_history calls; *count: the samples
 * the last one returned. */
static double
time_history(struct store *s, const char *probe, double since,
    size_t limit, long runs, size_t *count)
{
	double *ms = xcalloc((size_t)runs, sizeof(*ms)), t, median;
	char *err = NULL;
	json_t *h;
	long i;

	for (i = 0; i < runs; i++) {
		t = time_mono();
		h = store_history(s, "bench", probe, since, limit, &err);
		ms[i] = (time_mono() - t) * 1000;
		if (h == NULL)
			die("history", err);
		*count = json_array_size(json_object_get(h, "samples"));
		json_decref(h);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	median = ms[runs / 2];
	free(ms);
	return median;
}

int
main(int argc, char **argv)
{
	struct store *s;
	double secs, end, one, all, last;
	size_t n_one = 0, n_all = 0, n_last = 0;
	long rows;
	int k;

	for (k = 0; k < PROBES; k++)
		snprintf(probe_names[k], sizeof(probe_names[k]), "p%d", k);
	if (argc < 5) {
		fprintf(stderr, "usage: store-bench write PATH ROWS BATCH\n"
		    "       store-bench fill PATH ROWS store|sql\n"
		    "       store-bench history PATH ROWS RUNS\n");
		return 2;
	}
	rows = arg_long(argv[3]);
	if (strcmp(argv[1], "write") == 0) {
		s = open_store(argv[2]);
		secs = add_rows(s, rows, arg_long(argv[4]));
		store_close(s);
		printf("%.0f\n", (double)rows / secs);
	} else if (strcmp(argv[1], "fill") == 0) {
		secs = time_mono();
		if (strcmp(argv[4], "sql") == 0) {
			fill_sql(argv[2], rows);
		} else {
			s = open_store(argv[2]);
			add_rows(s, rows, 100000);
			store_close(s);
		}
		secs = time_mono() - secs;
		printf("%.1f %.0f\n", secs, (double)rows / secs);
	} else if (strcmp(argv[1], "history") == 0) {
		/* The last hour of one probe, of the whole runbook, and the
		 * newest 50 samples of one probe however old. */
		end = T0 + (double)((rows - 1) / PROBES) * 10;
		s = open_store(argv[2]);
		one = time_history(s, "p7", end - 3600, 0, arg_long(argv[4]),
		    &n_one);
		all = time_history(s, NULL, end - 3600, 0, arg_long(argv[4]),
		    &n_all);
		last = time_history(s, "p7", 0, 50, arg_long(argv[4]),
		    &n_last);
		store_close(s);
		printf("%.2f %zu %.2f %zu %.2f %zu\n", one, n_one, all, n_all,
		    last, n_last);
	} else {
		fprintf(stderr, "store-bench: unknown mode %s\n", argv[1]);
		return 2;
	}
	return 0;
}

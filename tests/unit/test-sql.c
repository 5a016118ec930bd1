/* SPDX-License-Identifier: MIT */
/* Tests for the sql probe kind against a real PostgreSQL on loopback,
 * started by tests/seeds/lib/pg.sh (and stopped) for this test. */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-harness.h"
#include "util/xmalloc.h"

extern const struct probe_kind probe_kind_sql;

/* The server pg.sh started: its directory and the superuser's password. */
static char *pg_dir;
static char *pg_port;
static char *pg_password;
static char *pg_lib;
static char *secrets[1];
static char wrong_password[] = "not-the-password";

/* PGURL with the superuser's password, or with another one. */
static char *
pg_url(const char *password, const char *db)
{
	return xasprintf("postgres://postgres:%s@127.0.0.1:%s/%s", password,
	    pg_port, db);
}

/* A connection for the test's own set-up and checks (blocking). */
static PGconn *
pg_admin(void)
{
	char *url = pg_url(pg_password, "postgres");
	PGconn *c = PQconnectdb(url);

	free(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("cannot connect to the test server: %s",
		    PQerrorMessage(c));
	return c;
}

static void
pg_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

/* The first column of the first row of sql, as a number. */
static long
pg_count(const char *sql)
{
	PGconn *c = pg_admin();
	PGresult *r = PQexec(c, sql);
	long n = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return n;
}

/* NAME=value from pg.sh's env file (heap), or NULL. */
static char *
env_get(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return xstrndup(p + n + 1, strcspn(p + n + 1, "\n"));
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

/* Starts PostgreSQL. Not being able to is a failure, not a skip: CI
 * installs it (scripts/deps.sh), and a skipped suite proves nothing. */
static int
group_setup(void **state)
{
	const char *data = getenv("TRIAGE_TEST_DATA");
	char line[4096], text[4096], *cmd, *path;
	size_t n;
	FILE *f;
	PGconn *c;

	(void)state;
	pg_lib = xasprintf("%s/../seeds/lib/pg.sh", data != NULL ? data :
	    "tests/data");
	cmd = xasprintf("bash -c '. \"$0\" && pg_start >&2 && "
	    "echo \"$PG_DIR\"' '%s'", pg_lib);
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
		if (f != NULL)
			pclose(f);
		fprintf(stderr, "test-sql: FAILED: cannot start PostgreSQL "
		    "with %s (install it: scripts/deps.sh)\n", pg_lib);
		return -1;
	}
	pclose(f);
	line[strcspn(line, "\n")] = '\0';
	pg_dir = xstrdup(line);
	path = xasprintf("%s/env", pg_dir);
	f = fopen(path, "r");
	free(path);
	if (f == NULL)
		return -1;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	pg_port = env_get(text, "PG_PORT");
	pg_password = env_get(text, "PG_PASSWORD");
	if (pg_port == NULL || pg_password == NULL)
		return -1;
	secrets[0] = pg_password;
	c = pg_admin();
	pg_exec(c, "CREATE TABLE items (id int2 PRIMARY KEY, qty int4, "
	    "big int8, price numeric, ratio float8, ok bool, meta jsonb, "
	    "raw json, name text, at timestamptz)");
	pg_exec(c, "INSERT INTO items VALUES (1, 10, 9000000000, 12.50, "
	    "0.25, true, '{\"k\": [1, 2], \"s\": \"x\"}', '[1, \"two\"]', "
	    "'first', '2026-11-23 10:00:00+00'), (2, NULL, NULL, NULL, NULL, "
	    "false, 'null', '\"str\"', NULL, NULL)");
	pg_exec(c, "CREATE TABLE log (msg text)");
	pg_exec(c, "CREATE SEQUENCE counter");
	pg_exec(c, "CREATE VIEW view_quote_bom_items AS SELECT * FROM items");
	PQfinish(c);
	return 0;
}

static int
group_teardown(void **state)
{
	char *cmd;
	int rc = 0;

	(void)state;
	if (pg_dir != NULL) {
		cmd = xasprintf("bash -c '. \"$0\" && PG_DIR=\"$1\" pg_stop' "
		    "'%s' '%s'", pg_lib, pg_dir);
		rc = system(cmd);
		free(cmd);
	}
	free(pg_dir);
	free(pg_port);
	free(pg_password);
	free(pg_lib);
	return rc == 0 ? 0 : -1;
}

/* A probe of the sql kind whose runbook lists the superuser's password
 * as a secret; prepare() must succeed. */
static struct probe *
sql_probe_at(const char *url, const char *query, json_t *extra,
    double timeout, int may_write)
{
	struct probe *p = calloc(1, sizeof(*p));
	char *cause = NULL;

	p->id = strdup("t");
	p->layer = strdup("test");
	p->kind = &probe_kind_sql;
	p->params = extra != NULL ? extra : json_object();
	json_object_set_new(p->params, "sql", json_string(url));
	json_object_set_new(p->params, "query", json_string(query));
	p->timeout = timeout;
	p->severity = STATE_CRITICAL;
	p->may_write = may_write;
	p->secret_values = secrets;
	p->nsecret_values = 1;
	if (probe_kind_sql.prepare(p, &cause) != 0)
		fail_msg("prepare failed: %s", cause);
	return p;
}

static struct probe *
sql_probe(const char *query, json_t *extra, double timeout, int may_write)
{
	char *url = pg_url(pg_password, "postgres");
	struct probe *p = sql_probe_at(url, query, extra, timeout, may_write);

	free(url);
	return p;
}

/* Runs query as a probe; the result's fields, error and timing. */
static struct harness_result
sql_run(const char *query, json_t *extra, double timeout, int may_write)
{
	struct probe *p = sql_probe(query, extra, timeout, may_write);
	struct harness_result r = harness_run(p);

	harness_probe_free(p);
	return r;
}

static json_t *
row_field(const struct harness_result *r, size_t row, const char *key)
{
	return json_object_get(json_array_get(json_object_get(r->fields,
	    "rows"), row), key);
}

static void
test_sql_rows_and_types(void **state)
{
	struct harness_result r;
	json_t *v;

	(void)state;
	r = sql_run("SELECT * FROM items ORDER BY id", NULL, 5, 0);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 2);
	assert_true(json_is_false(json_object_get(r.fields, "truncated")));
	assert_int_equal(json_array_size(json_object_get(r.fields, "rows")),
	    2);
	/* int2, int4, int8: integers. */
	assert_true(json_is_integer(row_field(&r, 0, "id")));
	assert_int_equal(json_integer_value(row_field(&r, 0, "qty")), 10);
	assert_true(json_integer_value(row_field(&r, 0, "big")) ==
	    9000000000LL);
	/* numeric, float8: reals. */
	assert_true(json_is_real(row_field(&r, 0, "price")));
	assert_true(json_real_value(row_field(&r, 0, "price")) == 12.5);
	assert_true(json_real_value(row_field(&r, 0, "ratio")) == 0.25);
	/* bool */
	assert_true(json_is_true(row_field(&r, 0, "ok")));
	assert_true(json_is_false(row_field(&r, 1, "ok")));
	/* jsonb and json: parsed, whatever their top-level type. */
	v = row_field(&r, 0, "meta");
	assert_true(json_is_object(v));
	assert_int_equal(json_integer_value(json_array_get(json_object_get(v,
	    "k"), 1)), 2);
	assert_string_equal(json_string_value(json_object_get(v, "s")), "x");
	assert_true(json_is_array(row_field(&r, 0, "raw")));
	assert_true(json_is_null(row_field(&r, 1, "meta")));
	assert_string_equal(json_string_value(row_field(&r, 1, "raw")),
	    "str");
	/* text and the rest: strings; NULL: null (present, not missing). */
	assert_string_equal(json_string_value(row_field(&r, 0, "name")),
	    "first");
	assert_true(json_is_string(row_field(&r, 0, "at")));
	assert_non_null(row_field(&r, 1, "qty"));
	assert_true(json_is_null(row_field(&r, 1, "qty")));
	assert_true(json_is_null(row_field(&r, 1, "name")));
	assert_true(json_is_null(row_field(&r, 1, "price")));
	harness_result_dispose(&r);
}

static void
test_sql_count_and_params(void **state)
{
	struct harness_result r;

	(void)state;
	/* The design's example: count(*) is int8, an integer to compare. */
	r = sql_run("SELECT count(*) AS n FROM view_quote_bom_items", NULL, 5,
	    0);
	assert_null(r.error);
	assert_int_equal(json_integer_value(row_field(&r, 0, "n")), 2);
	harness_result_dispose(&r);
	/* params are bound as $1.., as text the server casts. */
	r = sql_run("SELECT name FROM items WHERE id = $1 AND name = $2",
	    json_pack("{s:[s,s]}", "params", "1", "first"), 5, 0);
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 1);
	assert_string_equal(json_string_value(row_field(&r, 0, "name")),
	    "first");
	harness_result_dispose(&r);
	/* A bound value is never SQL. */
	r = sql_run("SELECT count(*) AS n FROM items WHERE name = $1",
	    json_pack("{s:[s]}", "params", "x' OR '1'='1"), 5, 0);
	assert_null(r.error);
	assert_int_equal(json_integer_value(row_field(&r, 0, "n")), 0);
	harness_result_dispose(&r);
	/* No rows is a success with an empty list. */
	r = sql_run("SELECT * FROM items WHERE id < 0", NULL, 5, 0);
	assert_null(r.error);
	assert_int_equal(json_array_size(json_object_get(r.fields, "rows")),
	    0);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 0);
	harness_result_dispose(&r);
}

static void
test_sql_max_rows(void **state)
{
	struct harness_result r;

	(void)state;
	r = sql_run("SELECT g AS i FROM generate_series(1, 50) g", NULL, 5, 0);
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 50);
	assert_true(json_is_false(json_object_get(r.fields, "truncated")));
	harness_result_dispose(&r);

	r = sql_run("SELECT g AS i FROM generate_series(1, 50) g",
	    json_pack("{s:i}", "max_rows", 10), 5, 0);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_int_equal(json_array_size(json_object_get(r.fields, "rows")),
	    10);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 10);
	assert_int_equal(json_integer_value(row_field(&r, 9, "i")), 10);
	assert_true(json_is_true(json_object_get(r.fields, "truncated")));
	harness_result_dispose(&r);

	/* Exactly max_rows rows are not cut. */
	r = sql_run("SELECT g AS i FROM generate_series(1, 10) g",
	    json_pack("{s:i}", "max_rows", 10), 5, 0);
	assert_true(json_is_false(json_object_get(r.fields, "truncated")));
	harness_result_dispose(&r);

	/* Tens of millions of rows, streamed: cut at max_rows without
	 * reading the rest (that would run into the timeout). */
	r = sql_run("SELECT a.oid AS i FROM pg_class a, pg_class b, pg_class c",
	    NULL, 10, 0);
	assert_null(r.error);
	assert_int_equal(json_array_size(json_object_get(r.fields, "rows")),
	    1000);
	assert_true(json_is_true(json_object_get(r.fields, "truncated")));
	assert_true(r.elapsed < 5.0);
	harness_result_dispose(&r);
}

static void
test_sql_write_refused(void **state)
{
	struct harness_result r;
	long before = pg_count("SELECT count(*) FROM log");

	(void)state;
	r = sql_run("INSERT INTO log VALUES ('from a probe')", NULL, 5, 0);
	assert_non_null(r.error);
	assert_string_equal(r.error,
	    "read-only: cannot execute INSERT in a read-only transaction");
	harness_result_dispose(&r);
	r = sql_run("DELETE FROM items", NULL, 5, 0);
	assert_string_equal(r.error,
	    "read-only: cannot execute DELETE in a read-only transaction");
	harness_result_dispose(&r);
	/* A writing function called from a SELECT is refused too. */
	r = sql_run("SELECT nextval('counter')", NULL, 5, 0);
	assert_string_equal(r.error, "read-only: cannot execute nextval() in "
	    "a read-only transaction");
	harness_result_dispose(&r);
	/* Neither can the one statement turn the transaction read-write. */
	r = sql_run("SET TRANSACTION READ WRITE", NULL, 5, 0);
	harness_result_dispose(&r);
	assert_int_equal(pg_count("SELECT count(*) FROM log"), before);
	assert_int_equal(pg_count("SELECT count(*) FROM items"), 2);
}

static void
test_sql_write_in_fix(void **state)
{
	struct harness_result r;
	long before = pg_count("SELECT count(*) FROM log");

	(void)state;
	r = sql_run("INSERT INTO log VALUES ('from a fix'), ('and another')",
	    NULL, 5, 1);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 2);
	harness_result_dispose(&r);
	/* Committed: another connection sees it. */
	assert_int_equal(pg_count("SELECT count(*) FROM log"), before + 2);
	r = sql_run("DELETE FROM log WHERE msg = 'and another'", NULL, 5, 1);
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "rowcount")), 1);
	harness_result_dispose(&r);
	assert_int_equal(pg_count("SELECT count(*) FROM log"), before + 1);
}

static void
test_sql_one_statement(void **state)
{
	struct harness_result r;
	long before = pg_count("SELECT count(*) FROM log");

	(void)state;
	r = sql_run("SELECT 1; COMMIT; INSERT INTO log VALUES ('sneaked')",
	    NULL, 5, 0);
	assert_non_null(r.error);
	assert_string_equal(r.error, "sql: ERROR: cannot insert multiple "
	    "commands into a prepared statement");
	harness_result_dispose(&r);
	/* Not in a fix either: a step is one statement. */
	r = sql_run("SELECT 1; INSERT INTO log VALUES ('sneaked')", NULL, 5,
	    1);
	assert_non_null(r.error);
	harness_result_dispose(&r);
	assert_int_equal(pg_count("SELECT count(*) FROM log"), before);
}

static void
test_sql_sql_error(void **state)
{
	struct harness_result r;

	(void)state;
	r = sql_run("SELECT * FROM no_such_view", NULL, 5, 0);
	assert_string_equal(r.error,
	    "sql: ERROR: relation \"no_such_view\" does not exist");
	/* The statement ran: its (empty) fields are there. */
	assert_int_equal(json_array_size(json_object_get(r.fields, "rows")),
	    0);
	harness_result_dispose(&r);
	r = sql_run("SELECT 1/0", NULL, 5, 0);
	assert_string_equal(r.error, "sql: ERROR: division by zero");
	harness_result_dispose(&r);
}

/* A loopback port that is bound and not listening: refused. */
static int
closed_port(int *fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static void
test_sql_connection_errors(void **state)
{
	struct harness_result r;
	struct probe *p;
	char *url;
	int fd, port;

	(void)state;
	port = closed_port(&fd);
	url = xasprintf("postgres://postgres@127.0.0.1:%d/postgres", port);
	p = sql_probe_at(url, "SELECT 1", NULL, 3, 0);
	r = harness_run(p);
	assert_string_equal(r.error, "connection_refused");
	/* Nothing ran: no rows to show. */
	assert_null(json_object_get(r.fields, "rows"));
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
	close(fd);

	/* A bad password: the runbook's secret is wrong. */
	secrets[0] = wrong_password;
	url = pg_url(wrong_password, "postgres");
	p = sql_probe_at(url, "SELECT 1", NULL, 5, 0);
	r = harness_run(p);
	assert_string_equal(r.error,
	    "authentication failed for user \"postgres\"");
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
	secrets[0] = pg_password;

	/* No password at all (PGPASSWORD and ~/.pgpass aside). */
	url = xasprintf("postgres://postgres@127.0.0.1:%s/postgres?"
	    "passfile=/nonexistent", pg_port);
	p = sql_probe_at(url, "SELECT 1", NULL, 5, 0);
	r = harness_run(p);
	if (getenv("PGPASSWORD") == NULL)
		assert_string_equal(r.error, "authentication failed for user "
		    "\"postgres\": no password supplied");
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);

	url = pg_url(pg_password, "no_such_db");
	p = sql_probe_at(url, "SELECT 1", NULL, 5, 0);
	r = harness_run(p);
	assert_string_equal(r.error, "database \"no_such_db\" does not exist");
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
}

static void
test_sql_host_names(void **state)
{
	struct harness_result r;
	struct addrinfo hints, *ai = NULL;
	struct probe *p;
	char host[256], *url;
	int fd, port;

	(void)state;
	/* A name that never resolves (RFC 6761); with no resolver the
	 * lookup may time out instead. Either way the loop was not held. */
	url = xasprintf("postgres://postgres@no-such-host.invalid:%s/x",
	    pg_port);
	p = sql_probe_at(url, "SELECT 1", NULL, 3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	if (strcmp(r.error, "timeout") != 0)
		assert_string_equal(r.error, "dns_failure");
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);

	/* localhost, and this machine's name when it resolves to loopback:
	 * looked up through curl, then libpq connects to the address. */
	url = xasprintf("postgres://postgres:%s@localhost:%s/postgres",
	    pg_password, pg_port);
	p = sql_probe_at(url, "SELECT 7 AS n", NULL, 5, 0);
	r = harness_run(p);
	assert_null(r.error);
	assert_int_equal(json_integer_value(row_field(&r, 0, "n")), 7);
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
	/* Two hosts, the first refusing: libpq closes its socket and opens
	 * another mid-connect, which the loop must follow. */
	port = closed_port(&fd);
	url = xasprintf("host=127.0.0.1,127.0.0.1 port=%d,%s user=postgres "
	    "dbname=postgres password=%s", port, pg_port, pg_password);
	p = sql_probe_at(url, "SELECT 10 AS n", NULL, 5, 0);
	r = harness_run(p);
	assert_null(r.error);
	assert_int_equal(json_integer_value(row_field(&r, 0, "n")), 10);
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
	close(fd);
	/* libpq's key=value form, over the Unix socket in pg.sh's
	 * directory. */
	url = xasprintf("host=%s port=%s user=postgres dbname=postgres "
	    "password=%s", pg_dir, pg_port, pg_password);
	p = sql_probe_at(url, "SELECT 9 AS n", NULL, 5, 0);
	r = harness_run(p);
	assert_null(r.error);
	assert_int_equal(json_integer_value(row_field(&r, 0, "n")), 9);
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	if (gethostname(host, sizeof(host)) != 0 ||
	    getaddrinfo(host, NULL, &hints, &ai) != 0)
		return;
	if (((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr ==
	    htonl(INADDR_LOOPBACK)) {
		url = xasprintf("postgres://postgres:%s@%s:%s/postgres",
		    pg_password, host, pg_port);
		p = sql_probe_at(url, "SELECT 8 AS n", NULL, 5, 0);
		r = harness_run(p);
		assert_null(r.error);
		assert_int_equal(json_integer_value(row_field(&r, 0, "n")), 8);
		harness_result_dispose(&r);
		harness_probe_free(p);
		free(url);
	}
	freeaddrinfo(ai);
}

/* Whether a backend other than the asking one runs a query holding s. */
static long
pg_running(const char *s)
{
	char *sql = xasprintf("SELECT count(*) FROM pg_stat_activity WHERE "
	    "pid <> pg_backend_pid() AND state = 'active' AND "
	    "query LIKE '%%%s%%'", s);
	long n = pg_count(sql);

	free(sql);
	return n;
}

static void
test_sql_timeout(void **state)
{
	struct harness_result r;
	double t0;

	(void)state;
	r = sql_run("SELECT pg_sleep(30) AS slow_marker_1", NULL, 1, 0);
	assert_non_null(r.error);
	if (strcmp(r.error, "timeout") != 0)
		assert_string_equal(r.error, "timeout after 1s");
	assert_true(r.elapsed >= 0.9 && r.elapsed < 2.0);
	harness_result_dispose(&r);
	/* statement_timeout: the server stops the query at the deadline
	 * too, instead of sleeping on for 29 s. */
	t0 = time_mono();
	while (pg_running("slow_marker_1") > 0 && time_mono() - t0 < 5)
		usleep(50000);
	assert_int_equal(pg_running("slow_marker_1"), 0);
	assert_true(time_mono() - t0 < 3);
}

static void
test_sql_timeout_connecting(void **state)
{
	struct harness_result r;
	struct probe *p;
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char *url;
	int fd;

	(void)state;
	/* A listener that never accepts: the TCP handshake completes (the
	 * backlog) and the startup packet is never answered. */
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	url = xasprintf("postgres://postgres@127.0.0.1:%d/postgres?"
	    "sslmode=disable", ntohs(sa.sin_port));
	p = sql_probe_at(url, "SELECT 1", NULL, 0.5, 0);
	r = harness_run(p);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed < 1.5);
	harness_result_dispose(&r);
	harness_probe_free(p);
	free(url);
	close(fd);
}

/* Runs the n probes at once on one loop, as the engine does. */
static double
run_all(struct probe **ps, size_t n, struct harness_result *out)
{
	struct loop *l = loop_create();
	struct probe_run *runs = calloc(n, sizeof(*runs));
	double t0 = time_mono(), end = t0;
	size_t i, done;

	for (i = 0; i < n; i++) {
		runs[i].probe = ps[i];
		runs[i].loop = l;
		runs[i].started = t0;
		runs[i].started_wall = time_now();
		runs[i].deadline = t0 + ps[i]->timeout;
		runs[i].verdict = STATE_OK;
		if (ps[i]->kind->start(&runs[i]) != 0)
			runs[i].completed = 1;
		if (runs[i].deadline > end)
			end = runs[i].deadline;
	}
	for (;;) {
		for (i = 0, done = 0; i < n; i++)
			done += runs[i].completed != 0;
		if (done == n || time_mono() >= end)
			break;
		loop_run_once(l, 0.1);
	}
	for (i = 0; i < n; i++) {
		if (!runs[i].completed) {
			ps[i]->kind->cancel(&runs[i]);
			probe_run_error(&runs[i], "timeout");
		}
		out[i].fields = json_object();
		ps[i]->kind->finish(&runs[i], out[i].fields);
		out[i].error = runs[i].error;
		out[i].verdict = runs[i].verdict;
		out[i].verdict_reason = runs[i].verdict_reason;
	}
	free(runs);
	loop_free(l);
	return time_mono() - t0;
}

static void
test_sql_concurrent(void **state)
{
	enum { N = 50 };
	struct probe *ps[N];
	struct harness_result rs[N];
	double elapsed;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		ps[i] = sql_probe("SELECT pg_sleep(1), 1 AS one", NULL, 15, 0);
	elapsed = run_all(ps, N, rs);
	for (i = 0; i < N; i++) {
		if (rs[i].error != NULL)
			fail_msg("probe %zu: %s", i, rs[i].error);
		assert_int_equal(json_integer_value(json_object_get(
		    json_array_get(json_object_get(rs[i].fields, "rows"), 0),
		    "one")), 1);
		harness_result_dispose(&rs[i]);
		harness_probe_free(ps[i]);
	}
	/* One at a time would take 50 s. About 1 s plus what the server
	 * needs to start 50 backends, one after another: 20 to 60 ms each
	 * on a small VM, more under sanitizers and load. */
	fprintf(stderr, "test-sql: %d x pg_sleep(1) at once: %.2f s\n", N,
	    elapsed);
	assert_true(elapsed < 10.0);
}

/* prepare() of url as the sql of a probe whose runbook's set secrets are
 * the given ones; its cause (heap) or NULL when it succeeds. */
static char *
prepare_cause(const char *url, const char *query, char **secret_values,
    size_t nsecrets, json_t *extra)
{
	struct probe p;
	char *cause = NULL;

	memset(&p, 0, sizeof(p));
	p.kind = &probe_kind_sql;
	p.params = extra != NULL ? extra : json_object();
	json_object_set_new(p.params, "sql", json_string(url));
	json_object_set_new(p.params, "query", json_string(query));
	p.timeout = 5;
	p.secret_values = secret_values;
	p.nsecret_values = nsecrets;
	if (probe_kind_sql.prepare(&p, &cause) == 0) {
		assert_null(cause);
		probe_kind_sql.release(&p);
	} else {
		assert_non_null(cause);
		assert_null(p.priv);
	}
	json_decref(p.params);
	return cause;
}

static void
expect_password_refused(const char *url, char **secret_values, size_t n)
{
	char *cause = prepare_cause(url, "SELECT 1", secret_values, n, NULL);

	if (cause == NULL)
		fail_msg("\"%s\" was accepted", url);
	assert_non_null(strstr(cause, "{{env.NAME}}"));
	assert_non_null(strstr(cause, "secrets:"));
	assert_null(strstr(cause, "hunter2"));
	free(cause);
}

static void
test_sql_password_rule(void **state)
{
	static char s3cret[] = "s3cret", pct[] = "p%40ss";
	char *good[] = { s3cret }, *encoded[] = { pct }, *cause;

	(void)state;
	/* A password written in the runbook, in any of libpq's forms. */
	expect_password_refused("postgres://u:hunter2@db/x", NULL, 0);
	expect_password_refused("postgresql://u:hunter2@db/x", good, 1);
	expect_password_refused("postgres://u@db/x?password=hunter2", good, 1);
	expect_password_refused("host=db user=u password=hunter2", good, 1);
	/* Half a secret is still a literal. */
	expect_password_refused("postgres://u:s3cretX@db/x", good, 1);
	/* From a secret: fine, plain or percent-encoded in the env. */
	assert_null(prepare_cause("postgres://u:s3cret@db/x", "SELECT 1", good,
	    1, NULL));
	assert_null(prepare_cause("host=db password=s3cret", "SELECT 1", good,
	    1, NULL));
	assert_null(prepare_cause("postgres://u:p%40ss@db/x", "SELECT 1",
	    encoded, 1, NULL));
	/* No password, or an empty one (an unset secret: skipped). */
	assert_null(prepare_cause("postgres://u@db/x", "SELECT 1", NULL, 0,
	    NULL));
	assert_null(prepare_cause("postgres://u:@db/x", "SELECT 1", NULL, 0,
	    NULL));
	/* A broken URL's message never shows a secret. */
	cause = prepare_cause("postgres://u:s3cret@db/x?nope=1", "SELECT 1",
	    good, 1, NULL);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "invalid connection URL"));
	assert_null(strstr(cause, "s3cret"));
	free(cause);
}

static void
test_sql_prepare_errors(void **state)
{
	char *cause;

	(void)state;
	cause = prepare_cause("db.example:5432", "SELECT 1", NULL, 0, NULL);
	assert_non_null(strstr(cause, "postgres://USER@HOST:PORT/DB"));
	free(cause);
	cause = prepare_cause("", "SELECT 1", NULL, 0, NULL);
	assert_non_null(cause);
	free(cause);
	cause = prepare_cause("postgres://u@db/x", "  \n", NULL, 0, NULL);
	assert_non_null(strstr(cause, "query is empty"));
	free(cause);
	cause = prepare_cause("postgres://u@db/x", "SELECT 1", NULL, 0,
	    json_pack("{s:i}", "max_rows", 0));
	assert_non_null(strstr(cause, "max_rows"));
	free(cause);
}

static void
test_sql_manual(void **state)
{
	struct probe *p;
	char *m;

	(void)state;
	p = sql_probe_at("postgres://deploy@10.0.0.5/heatwave",
	    "SELECT count(*) AS n FROM view_quote_bom_items", NULL, 5, 0);
	m = probe_kind_sql.manual(p);
	assert_string_equal(m, "psql postgres://deploy@10.0.0.5/heatwave -c "
	    "'SELECT count(*) AS n FROM view_quote_bom_items'");
	free(m);
	harness_probe_free(p);
	/* psql -c binds nothing: params are written in as literals, where
	 * they stand outside quotes. */
	p = sql_probe_at("host=db user=deploy", "SELECT '$1', $1, $2 -- $1",
	    json_pack("{s:[s,s]}", "params", "it's", "2"), 5, 0);
	m = probe_kind_sql.manual(p);
	assert_string_equal(m, "psql 'host=db user=deploy' -c 'SELECT '\\''$1"
	    "'\\'', '\\''it'\\'''\\''s'\\'', '\\''2'\\'' -- $1'");
	free(m);
	harness_probe_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_rows_and_types),
		cmocka_unit_test(test_sql_count_and_params),
		cmocka_unit_test(test_sql_max_rows),
		cmocka_unit_test(test_sql_write_refused),
		cmocka_unit_test(test_sql_write_in_fix),
		cmocka_unit_test(test_sql_one_statement),
		cmocka_unit_test(test_sql_sql_error),
		cmocka_unit_test(test_sql_connection_errors),
		cmocka_unit_test(test_sql_host_names),
		cmocka_unit_test(test_sql_timeout),
		cmocka_unit_test(test_sql_timeout_connecting),
		cmocka_unit_test(test_sql_concurrent),
		cmocka_unit_test(test_sql_password_rule),
		cmocka_unit_test(test_sql_prepare_errors),
		cmocka_unit_test(test_sql_manual),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* SPDX-License-Identifier: MIT */
/* The `sql` probe kind: one PostgreSQL statement through libpq's
 * asynchronous API on the loop, in a read-only transaction unless it is a
 * fix step. */
#include <arpa/inet.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib-curl.h"
#include "lib-pq.h"
#include "net.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

#define SQL_MAX_ROWS_DEFAULT 1000
#define SQL_MAX_ROWS_LIMIT 1000000
/* Bytes of column values kept over all rows; past it the rows are cut. */
#define SQL_BYTES_MAX PROBE_BODY_MAX
/* Bytes of a server's or libpq's message kept in a reason. */
#define SQL_REASON_MAX 200
#define SQL_PARAMS_MAX 1000
/* curl's own timeout (name lookup) is only a safety net behind the
 * engine's. */
#define SQL_RESOLVE_SLACK 1.0

/* Type OIDs of the columns whose values are not kept as text (pg_type.h;
 * built-in OIDs never change). */
#define SQL_OID_BOOL 16
#define SQL_OID_INT8 20
#define SQL_OID_INT2 21
#define SQL_OID_INT4 23
#define SQL_OID_JSON 114
#define SQL_OID_FLOAT4 700
#define SQL_OID_FLOAT8 701
#define SQL_OID_NUMERIC 1700
#define SQL_OID_JSONB 3802

/* What prepare() compiles from the probe's keys. */
struct sql_conf {
	const char *conninfo;	/* borrowed from p->params */
	const char *query;	/* borrowed */
	const char **values;	/* params, borrowed; NULL when none */
	int nvalues;
	size_t max_rows;
	/* "http://HOST:PORT/" when the server is named by a host name: it is
	 * looked up (and reached) through curl first, because libpq would
	 * look it up with a blocking getaddrinfo(). NULL otherwise. */
	char *resolve_url;
};

enum sql_stage {
	SQL_RESOLVING,		/* curl looks the host up */
	SQL_CONNECTING,		/* PQconnectPoll */
	SQL_SETUP,		/* BEGIN READ ONLY, statement_timeout */
	SQL_QUERY,		/* the statement */
	SQL_DONE,
};

/* One run's state. */
struct sql_run {
	struct probe_run *run;
	const struct sql_conf *conf;
	struct net *net;
	CURL *easy;		/* during SQL_RESOLVING */
	PGconn *conn;
	int fd;			/* PQsocket as last watched */
	int watching;		/* fd is on the loop */
	enum sql_stage stage;
	int ran;		/* the statement was sent: write the fields */
	int clean;		/* every result of the statement was read */
	json_t *rows;
	long long rowcount;
	int truncated;
	size_t bytes;		/* of the values in rows */
};

static const struct field_spec sql_fields[] = {
	{ "sql", FIELD_STRING, FIELD_REQUIRED,
	    "PostgreSQL connection URL: postgres://USER@HOST:PORT/DB" },
	{ "query", FIELD_STRING, FIELD_REQUIRED,
	    "one SQL statement; read-only except in fix steps" },
	{ "params", FIELD_STRINGS, 0,
	    "values bound to $1, $2, ... of the query" },
	{ "max_rows", FIELD_INT, 0,
	    "rows kept (default 1000); the rest is cut (truncated)" },
	{ NULL, FIELD_STRING, 0, NULL },
};

/*
 * Load time.
 */

/* s with every set secret of p replaced by ***, for messages (heap). */
static char *
sql_redact(const struct probe *p, const char *s)
{
	struct buf b;
	size_t i, len;

	buf_init(&b, 0);
	while (*s != '\0') {
		for (i = 0; i < p->nsecret_values; i++) {
			len = strlen(p->secret_values[i]);
			if (len > 0 && strncmp(s, p->secret_values[i],
			    len) == 0)
				break;
		}
		if (i < p->nsecret_values) {
			buf_puts(&b, "***");
			s += len;
		} else {
			buf_putc(&b, *s++);
		}
	}
	return buf_steal(&b);
}

/* Whether pw is secret, or secret with its %XX escapes decoded (a secret
 * kept percent-encoded for the URL). */
static int
sql_secret_matches(const char *secret, const char *pw)
{
	char *decoded;
	int len, same;

	if (strcmp(secret, pw) == 0)
		return 1;
	decoded = sym_curl_easy_unescape(NULL, secret, 0, &len);
	if (decoded == NULL)
		return 0;
	same = (size_t)len == strlen(pw) &&
	    memcmp(decoded, pw, (size_t)len) == 0;
	sym_curl_free(decoded);
	return same;
}

/* Whether a password in the connection string comes from a secret (or
 * there is none): a password written in the runbook would be in every
 * copy of it, its history and its rendering. */
static int
sql_password_ok(const struct probe *p, const char *pw)
{
	size_t i;

	if (pw == NULL || *pw == '\0')
		return 1;
	for (i = 0; i < p->nsecret_values; i++) {
		if (sql_secret_matches(p->secret_values[i], pw))
			return 1;
	}
	return 0;
}

static const char *
sql_opt(const PQconninfoOption *opts, const char *key)
{
	for (; opts->keyword != NULL; opts++) {
		if (strcmp(opts->keyword, key) == 0)
			return opts->val;
	}
	return NULL;
}

/* The URL curl looks the server's host up with, or NULL when libpq can
 * connect without a name lookup: a socket directory, an IP address,
 * localhost, a hostaddr, or several hosts (left to libpq). */
static char *
sql_resolve_url(const PQconninfoOption *opts)
{
	const char *host = sql_opt(opts, "host");
	const char *hostaddr = sql_opt(opts, "hostaddr");
	const char *port = sql_opt(opts, "port");
	unsigned char addr[16];
	long n = 5432;

	if (host == NULL || *host == '\0' || host[0] == '/' ||
	    host[0] == '@' || strchr(host, ',') != NULL ||
	    strcmp(host, "localhost") == 0 ||
	    (hostaddr != NULL && *hostaddr != '\0') ||
	    inet_pton(AF_INET, host, addr) == 1 ||
	    inet_pton(AF_INET6, host, addr) == 1)
		return NULL;
	if (port == NULL || *port == '\0')
		port = getenv("PGPORT");
	if (port != NULL && *port != '\0' &&
	    str_to_long(port, 1, 65535, &n) != 0)
		return NULL;
	return net_hostport_url("http", host, n);
}

/* The first line of msg, cut to SQL_REASON_MAX bytes on a character
 * boundary (heap). */
static char *
sql_line(const char *msg)
{
	size_t len = strcspn(msg, "\r\n");

	if (len > SQL_REASON_MAX) {
		len = SQL_REASON_MAX;
		while (len > 0 && ((unsigned char)msg[len] & 0xc0) == 0x80)
			len--;
	}
	while (len > 0 && (msg[len - 1] == ' ' || msg[len - 1] == '\t' ||
	    msg[len - 1] == '.'))
		len--;
	return xstrndup(msg, len);
}

static void
sql_conf_free(struct sql_conf *c)
{
	if (c == NULL)
		return;
	free(c->values);
	free(c->resolve_url);
	free(c);
}

/* The connection string: it must parse, and hold no password of its
 * own. */
static int
sql_prepare_conninfo(struct probe *p, struct sql_conf *c, char **cause)
{
	PQconninfoOption *opts;
	char *err = NULL, *line, *red;

	p->err_field = "sql";
	if (c->conninfo == NULL || *c->conninfo == '\0') {
		*cause = xstrdup("sql needs a connection URL: "
		    "postgres://USER@HOST:PORT/DB");
		return -1;
	}
	opts = sym_PQconninfoParse(c->conninfo, &err);
	if (opts == NULL) {
		line = sql_line(err != NULL ? err : "out of memory");
		red = sql_redact(p, line);
		*cause = xasprintf("invalid connection URL: %s (write "
		    "postgres://USER@HOST:PORT/DB)", red);
		free(red);
		free(line);
		sym_PQfreemem(err);
		return -1;
	}
	if (!sql_password_ok(p, sql_opt(opts, "password"))) {
		*cause = xstrdup("a password is written in the connection "
		    "URL: keep it out of the runbook, write {{env.NAME}} in "
		    "its place and list NAME under secrets:");
		sym_PQconninfoFree(opts);
		return -1;
	}
	c->resolve_url = sql_resolve_url(opts);
	sym_PQconninfoFree(opts);
	return 0;
}

static int
sql_prepare(struct probe *p, char **cause)
{
	struct sql_conf *c;
	json_t *params = probe_param(p, "params"), *v;
	double max_rows;
	size_t i;

	if (probe_need_lib(p, lib_curl_load, cause) != 0 ||
	    probe_need_lib(p, lib_pq_load, cause) != 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->conninfo = probe_param_str(p, "sql", NULL);
	if (sql_prepare_conninfo(p, c, cause) != 0)
		goto fail;
	p->err_field = "query";
	c->query = probe_param_str(p, "query", NULL);
	if (c->query == NULL || c->query[strspn(c->query, " \t\r\n")] ==
	    '\0') {
		*cause = xstrdup("query is empty: write one SQL statement");
		goto fail;
	}
	p->err_field = "params";
	if (json_array_size(params) > SQL_PARAMS_MAX) {
		*cause = xasprintf("more than %d params", SQL_PARAMS_MAX);
		goto fail;
	}
	if (json_array_size(params) > 0) {
		c->nvalues = (int)json_array_size(params);
		c->values = xcalloc(json_array_size(params),
		    sizeof(*c->values));
		json_array_foreach(params, i, v)
			c->values[i] = json_is_string(v) ? json_string_value(v)
			    : "";
	}
	p->err_field = "max_rows";
	max_rows = probe_param_num(p, "max_rows", SQL_MAX_ROWS_DEFAULT);
	if (max_rows < 1 || max_rows > SQL_MAX_ROWS_LIMIT) {
		*cause = xasprintf("bad max_rows %.0f: it must be 1 to %d",
		    max_rows, SQL_MAX_ROWS_LIMIT);
		goto fail;
	}
	c->max_rows = (size_t)max_rows;
	p->err_field = NULL;
	p->priv = c;
	return 0;
fail:
	sql_conf_free(c);
	return -1;
}

static void
sql_release(struct probe *p)
{
	sql_conf_free(p->priv);
	p->priv = NULL;
}

/*
 * Reasons.
 */

/* libpq's message about a connection as an operator's reason (heap):
 * "connection_refused", "authentication failed for user \"x\"",
 * "database \"x\" does not exist", else "sql: " and its first line
 * without libpq's "connection to server at ... failed: " and the server's
 * "FATAL:  ". */
static char *
sql_conn_reason(PGconn *conn, const char *msg)
{
	/* Socket and lookup errors, named as the tcp kind names them. */
	static const struct {
		const char *text;
		const char *reason;
	} codes[] = {
		{ "Connection refused", "connection_refused" },
		{ "No such file or directory", "connection_refused" },
		{ "could not translate host name", "dns_failure" },
		{ "timed out", "timeout" },
		{ "No route to host", "host_unreachable" },
		{ "Network is unreachable", "network_unreachable" },
		{ "Connection reset", "connection_reset" },
		{ "closed the connection unexpectedly", "connection_reset" },
	};
	const char *s = msg, *f, *user;
	char *line, *r;
	size_t i;

	s += strspn(s, " \t\r\n");
	f = strstr(s, " failed: ");
	if (str_has_prefix(s, "connection to server") && f != NULL &&
	    f < s + strcspn(s, "\n"))
		s = f + strlen(" failed: ");
	if (str_has_prefix(s, "FATAL:  ") || str_has_prefix(s, "ERROR:  "))
		s += strlen("FATAL:  ");
	line = sql_line(s);
	for (i = 0; i < ARRAY_LEN(codes); i++) {
		if (strstr(line, codes[i].text) != NULL) {
			free(line);
			return xstrdup(codes[i].reason);
		}
	}
	user = conn != NULL ? sym_PQuser(conn) : NULL;
	if ((f = strstr(line, "authentication failed for user \"")) != NULL)
		r = xstrdup(f);
	else if (strstr(line, "no password supplied") != NULL)
		r = xasprintf("authentication failed for user \"%s\": no "
		    "password supplied", user != NULL ? user : "");
	else if (str_has_prefix(line, "database \"") ||
	    str_has_prefix(line, "role \""))
		r = xstrdup(line);
	else
		r = xasprintf("sql: %s", line);
	free(line);
	return r;
}

/* An error result of a statement as a reason (heap). */
static char *
sql_result_reason(struct sql_run *sr, const PGresult *res)
{
	const char *state = sym_PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = sym_PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY);
	const char *sev = sym_PQresultErrorField(res,
	    PG_DIAG_SEVERITY_NONLOCALIZED);
	char d[32], *line, *r;

	if (state == NULL || primary == NULL)
		return sql_conn_reason(sr->conn, sym_PQresultErrorMessage(res));
	if (strcmp(state, "57014") == 0 &&
	    strstr(primary, "statement timeout") != NULL) {
		duration_format(sr->run->probe->timeout, d, sizeof(d));
		return xasprintf("timeout after %s", d);
	}
	line = sql_line(primary);
	if (strcmp(state, "25006") == 0)
		r = xasprintf("read-only: %s", line);
	else
		r = xasprintf("sql: %s: %s", sev != NULL ? sev : "ERROR",
		    line);
	free(line);
	return r;
}

/*
 * Rows.
 */

/* One value as JSON: integers, reals, booleans and JSON as such, NULL as
 * null, the rest as text. */
static json_t *
sql_value(const PGresult *res, int row, int col)
{
	const char *s = sym_PQgetvalue(res, row, col);
	size_t len = (size_t)sym_PQgetlength(res, row, col);
	json_t *j = NULL;
	char *end;
	long long ll;
	double d;

	if (sym_PQgetisnull(res, row, col))
		return json_null();
	switch (sym_PQftype(res, col)) {
	case SQL_OID_INT2:
	case SQL_OID_INT4:
	case SQL_OID_INT8:
		ll = strtoll(s, &end, 10);
		if (end != s && *end == '\0')
			j = json_integer((json_int_t)ll);
		break;
	case SQL_OID_FLOAT4:
	case SQL_OID_FLOAT8:
	case SQL_OID_NUMERIC:
		/* NaN and Infinity have no JSON number: kept as text. */
		d = strtod(s, &end);
		if (end != s && *end == '\0' && isfinite(d))
			j = json_real(d);
		break;
	case SQL_OID_BOOL:
		j = json_boolean(s[0] == 't');
		break;
	case SQL_OID_JSON:
	case SQL_OID_JSONB:
		j = json_loadb(s, len, JSON_DECODE_ANY, NULL);
		break;
	default:
		break;
	}
	if (j == NULL)
		j = json_stringn(s, len);
	if (j == NULL) {
		/* Not UTF-8 (client_encoding is UTF8, so hardly ever). */
		struct buf b;
		size_t i = 0;
		int n;

		buf_init(&b, 0);
		while (i < len) {
			n = utf8_seq_len((const unsigned char *)s + i, len - i);
			if (n <= 0) {
				buf_puts(&b, "\xef\xbf\xbd");
				i++;
			} else {
				buf_append(&b, s + i, (size_t)n);
				i += (size_t)n;
			}
		}
		j = json_string(buf_cstr(&b));
		buf_dispose(&b);
	}
	return j != NULL ? j : json_string("");
}

/* Adds the rows of res to sr->rows; 1 when the rows were cut there
 * (max_rows or the byte cap), else 0. */
static int
sql_add_rows(struct sql_run *sr, const PGresult *res)
{
	int nrows = sym_PQntuples(res), ncols = sym_PQnfields(res), r, c;
	size_t bytes;
	json_t *obj;

	for (r = 0; r < nrows; r++) {
		if (json_array_size(sr->rows) >= sr->conf->max_rows)
			return 1;
		bytes = 0;
		for (c = 0; c < ncols; c++)
			bytes += (size_t)sym_PQgetlength(res, r, c);
		if (sr->bytes + bytes > SQL_BYTES_MAX)
			return 1;
		sr->bytes += bytes;
		obj = json_object();
		for (c = 0; c < ncols; c++)
			json_object_set_new(obj, sym_PQfname(res, c),
			    sql_value(res, r, c));
		json_array_append_new(sr->rows, obj);
		sr->rowcount++;
	}
	return 0;
}

/*
 * The run.
 */

static void sql_on_io(void *arg, int fd, unsigned events);

/* Stops watching; the connection stays open until sql_close. */
static void
sql_unwatch(struct sql_run *sr)
{
	if (sr->watching)
		loop_io_del(sr->run->loop, sr->fd);
	sr->watching = 0;
}

/* The run is over: it stops watching and tells whoever runs it. */
static void
sql_done(struct sql_run *sr)
{
	sr->stage = SQL_DONE;
	sql_unwatch(sr);
	if (sr->run->error == NULL)
		probe_run_verdict(sr->run, STATE_OK, NULL);
	probe_run_complete(sr->run);
}

static void
sql_fail(struct sql_run *sr, char *reason)
{
	probe_run_error(sr->run, "%s", reason);
	free(reason);
	sql_done(sr);
}

/* Watches the connection's socket for events. libpq may have closed the
 * socket it had and opened another (the next address of a host): the old
 * one left epoll when it was closed. 0, or -1 after probe_run_error. */
static int
sql_watch(struct sql_run *sr, unsigned events)
{
	int fd = sym_PQsocket(sr->conn);

	if (sr->watching && fd != sr->fd)
		loop_io_forget(sr->run->loop, sr->fd);
	sr->watching = 0;
	sr->fd = fd;
	if (fd < 0) {
		probe_run_error(sr->run, "%s", "sql: the connection has no "
		    "socket");
		return -1;
	}
	if (loop_io_add(sr->run->loop, fd, events, sql_on_io, sr) != 0) {
		probe_run_error(sr->run, "%s", "sql: cannot watch the "
		    "connection's socket");
		return -1;
	}
	sr->watching = 1;
	return 0;
}

/* Sends what libpq holds, then waits to read (and to write, when some is
 * left). 0, or -1 after probe_run_error. */
static int
sql_flush(struct sql_run *sr)
{
	int r = sym_PQflush(sr->conn);

	if (r < 0) {
		probe_run_error(sr->run, "%s", "connection_reset");
		return -1;
	}
	return sql_watch(sr, r > 0 ? LOOP_READ | LOOP_WRITE : LOOP_READ);
}

/* Sends what must hold before the statement: a read-only transaction
 * (probes and evidence) and a statement_timeout that ends the statement
 * on the server when the probe gives up. */
static int
sql_send_setup(struct sql_run *sr)
{
	double left = sr->run->deadline - time_mono();
	long ms = left * 1000.0 >= (double)INT_MAX ? INT_MAX :
	    left * 1000.0 < 1.0 ? 1 : (long)(left * 1000.0);
	char sql[128];

	if (sym_PQsetnonblocking(sr->conn, 1) != 0) {
		sql_fail(sr, sql_conn_reason(sr->conn,
		    sym_PQerrorMessage(sr->conn)));
		return -1;
	}
	if (sr->run->probe->may_write)
		snprintf(sql, sizeof(sql), "SET statement_timeout = %ld", ms);
	else
		snprintf(sql, sizeof(sql), "BEGIN TRANSACTION READ ONLY; "
		    "SET LOCAL statement_timeout = %ld", ms);
	if (!sym_PQsendQuery(sr->conn, sql)) {
		sql_fail(sr, sql_conn_reason(sr->conn,
		    sym_PQerrorMessage(sr->conn)));
		return -1;
	}
	sr->stage = SQL_SETUP;
	if (sql_flush(sr) != 0) {
		sql_done(sr);
		return -1;
	}
	return 0;
}

/* The statement, with the extended protocol: it carries exactly one
 * statement, so "SELECT 1; COMMIT; DELETE ..." is refused by the server.
 * Rows come one at a time, so that max_rows bounds what is kept. */
static int
sql_send_query(struct sql_run *sr)
{
	const struct sql_conf *c = sr->conf;

	if (!sym_PQsendQueryParams(sr->conn, c->query, c->nvalues, NULL,
	    c->values, NULL, NULL, 0)) {
		sql_fail(sr, sql_conn_reason(sr->conn,
		    sym_PQerrorMessage(sr->conn)));
		return -1;
	}
	sym_PQsetSingleRowMode(sr->conn);
	sr->stage = SQL_QUERY;
	sr->ran = 1;
	if (sql_flush(sr) != 0) {
		sql_done(sr);
		return -1;
	}
	return 0;
}

/* One result of the statement; 1 when the run is over. */
static int
sql_on_query_result(struct sql_run *sr, const PGresult *res)
{
	const char *tuples;
	long n;

	switch (sym_PQresultStatus(res)) {
	case PGRES_SINGLE_TUPLE:
	case PGRES_TUPLES_OK:
		if (sql_add_rows(sr, res)) {
			sr->truncated = 1;
			sql_done(sr);
			return 1;
		}
		return 0;
	case PGRES_COMMAND_OK:
		tuples = sym_PQcmdTuples((PGresult *)res);
		if (tuples != NULL && str_to_long(tuples, 0, LONG_MAX, &n) == 0)
			sr->rowcount = n;
		return 0;
	case PGRES_EMPTY_QUERY:
		sql_fail(sr, xstrdup("sql: the query is empty"));
		return 1;
	case PGRES_COPY_IN:
	case PGRES_COPY_OUT:
	case PGRES_COPY_BOTH:
		sql_fail(sr, xstrdup("sql: COPY is not supported in a probe"));
		return 1;
	default:
		sql_fail(sr, sql_result_reason(sr, res));
		return 1;
	}
}

/* Reads every result that has arrived, and moves on from setup to the
 * statement, and from the statement to done. */
static void
sql_drain(struct sql_run *sr)
{
	PGresult *res;
	int over;

	while (sr->stage == SQL_SETUP || sr->stage == SQL_QUERY) {
		if (sym_PQisBusy(sr->conn))
			return;
		res = sym_PQgetResult(sr->conn);
		if (res == NULL) {
			if (sr->stage == SQL_SETUP) {
				if (sql_send_query(sr) != 0)
					return;
			} else {
				sr->clean = 1;
				sql_done(sr);
			}
			continue;
		}
		if (sr->stage == SQL_SETUP) {
			over = sym_PQresultStatus(res) != PGRES_COMMAND_OK;
			if (over)
				sql_fail(sr, sql_result_reason(sr, res));
		} else {
			over = sql_on_query_result(sr, res);
		}
		sym_PQclear(res);
		if (over)
			return;
	}
}

static void
sql_on_connect(struct sql_run *sr)
{
	switch (sym_PQconnectPoll(sr->conn)) {
	case PGRES_POLLING_READING:
		if (sql_watch(sr, LOOP_READ) != 0)
			sql_done(sr);
		break;
	case PGRES_POLLING_WRITING:
		if (sql_watch(sr, LOOP_WRITE) != 0)
			sql_done(sr);
		break;
	case PGRES_POLLING_OK:
		sql_send_setup(sr);
		break;
	default:
		/* libpq may have closed the socket already. */
		if (sr->watching && sym_PQsocket(sr->conn) != sr->fd) {
			loop_io_forget(sr->run->loop, sr->fd);
			sr->watching = 0;
		}
		sql_fail(sr, sql_conn_reason(sr->conn,
		    sym_PQerrorMessage(sr->conn)));
		break;
	}
}

static void
sql_on_io(void *arg, int fd, unsigned events)
{
	struct sql_run *sr = arg;

	(void)fd;
	if (sr->stage == SQL_CONNECTING) {
		sql_on_connect(sr);
		return;
	}
	if (sr->stage != SQL_SETUP && sr->stage != SQL_QUERY)
		return;
	if ((events & LOOP_WRITE) && sql_flush(sr) != 0) {
		sql_done(sr);
		return;
	}
	if ((events & (LOOP_READ | LOOP_ERROR)) && !sym_PQconsumeInput(sr->conn)) {
		sql_fail(sr, sql_conn_reason(sr->conn,
		    sym_PQerrorMessage(sr->conn)));
		return;
	}
	sql_drain(sr);
}

/* Notices (a WARNING, a NOTICE from a function) would go to stderr. */
static void
sql_on_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/* Starts connecting, to hostaddr when the host was looked up. 0, or -1
 * after probe_run_error. */
static int
sql_connect(struct sql_run *sr, const char *hostaddr)
{
	const char *keys[5], *vals[5];
	int n = 0;

	/* The runbook's string first, so that what follows overrides it:
	 * values come back as UTF-8, whatever the server's encoding. */
	keys[n] = "dbname";
	vals[n++] = sr->conf->conninfo;
	keys[n] = "client_encoding";
	vals[n++] = "UTF8";
	keys[n] = "fallback_application_name";
	vals[n++] = "triage";
	if (hostaddr != NULL) {
		keys[n] = "hostaddr";
		vals[n++] = hostaddr;
	}
	keys[n] = vals[n] = NULL;
	sr->stage = SQL_CONNECTING;
	sr->conn = sym_PQconnectStartParams(keys, vals, 1);
	if (sr->conn == NULL) {
		probe_run_error(sr->run, "%s", "sql: out of memory");
		return -1;
	}
	sym_PQsetNoticeReceiver(sr->conn, sql_on_notice, NULL);
	if (sym_PQstatus(sr->conn) == CONNECTION_BAD) {
		char *r = sql_conn_reason(sr->conn, sym_PQerrorMessage(sr->conn));

		probe_run_error(sr->run, "%s", r);
		free(r);
		return -1;
	}
	/* Before the first PQconnectPoll, libpq waits to write. */
	return sql_watch(sr, LOOP_WRITE);
}

static void
sql_on_resolved(void *arg, CURLcode rc)
{
	struct sql_run *sr = arg;
	char reason[CURL_ERROR_SIZE + 64], addr[64];
	char *ip = NULL;

	if (rc != CURLE_OK) {
		probe_run_error(sr->run, "%s",
		    net_reason(sr->easy, rc, reason, sizeof(reason)));
		sql_done(sr);
		return;
	}
	addr[0] = '\0';
	if (sym_curl_easy_getinfo(sr->easy, CURLINFO_PRIMARY_IP, &ip) ==
	    CURLE_OK && ip != NULL)
		snprintf(addr, sizeof(addr), "%s", ip);
	net_easy_put(sr->net, sr->easy);
	sr->easy = NULL;
	if (sql_connect(sr, addr[0] != '\0' ? addr : NULL) != 0)
		sql_done(sr);
}

/* Closes the connection at once; a read-only transaction that ended
 * cleanly is rolled back first (closing would do it too, later). */
static void
sql_close(struct sql_run *sr)
{
	if (sr->easy != NULL) {
		net_easy_put(sr->net, sr->easy);
		sr->easy = NULL;
	}
	if (sr->conn == NULL)
		return;
	if (sr->clean && !sr->run->probe->may_write)
		sym_PQsendQuery(sr->conn, "ROLLBACK");
	/* PQfinish closes the socket, which takes it out of epoll. */
	if (sr->watching)
		loop_io_forget(sr->run->loop, sr->fd);
	sr->watching = 0;
	sym_PQfinish(sr->conn);
	sr->conn = NULL;
}

static void
sql_run_free(struct sql_run *sr)
{
	sql_close(sr);
	json_decref(sr->rows);
	free(sr);
}

static int
sql_start(struct probe_run *run)
{
	const struct sql_conf *c = run->probe->priv;
	struct sql_run *sr = xcalloc(1, sizeof(*sr));
	double timeout = run->deadline > run->started ?
	    run->deadline - run->started : run->probe->timeout;
	char *cause = NULL;

	sr->run = run;
	sr->conf = c;
	sr->fd = -1;
	sr->rows = json_array();
	if (c->resolve_url != NULL) {
		sr->stage = SQL_RESOLVING;
		sr->net = net_get(run->loop);
		sr->easy = net_easy_connect_only(sr->net, c->resolve_url,
		    timeout + SQL_RESOLVE_SLACK);
		if (net_add(sr->net, sr->easy, sql_on_resolved, sr,
		    &cause) != 0) {
			probe_run_error(run, "%s", cause);
			free(cause);
			sql_run_free(sr);
			return -1;
		}
	} else if (sql_connect(sr, NULL) != 0) {
		sql_run_free(sr);
		return -1;
	}
	run->priv = sr;
	return 0;
}

static void
sql_cancel(struct probe_run *run)
{
	struct sql_run *sr = run->priv;

	if (sr == NULL)
		return;
	sr->stage = SQL_DONE;
	sql_close(sr);
}

static void
sql_finish(struct probe_run *run, json_t *out)
{
	struct sql_run *sr = run->priv;

	if (sr == NULL)
		return;
	if (sr->ran) {
		json_object_set_new_nocheck(out, "rows", json_incref(sr->rows));
		json_object_set_new_nocheck(out, "rowcount",
		    json_integer((json_int_t)sr->rowcount));
		json_object_set_new_nocheck(out, "truncated",
		    json_boolean(sr->truncated));
	}
	sql_run_free(sr);
	run->priv = NULL;
}

/*
 * manual()
 */

/* s as an SQL string literal: 'it''s'. */
static void
sql_literal_append(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			buf_putc(b, '\'');
		buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

/* The query with $1, $2, ... outside quotes and comments replaced by the
 * params as literals, for psql -c, which binds none (heap). */
static char *
sql_query_inline(const char *q, json_t *params)
{
	size_t np = json_array_size(params), len;
	struct buf b;
	char quote = 0, *end;
	long n;

	buf_init(&b, 0);
	while (*q != '\0') {
		if (quote != 0) {
			if (*q == quote)
				quote = 0;
			buf_putc(&b, *q++);
		} else if (*q == '\'' || *q == '"') {
			quote = *q;
			buf_putc(&b, *q++);
		} else if (q[0] == '-' && q[1] == '-') {
			len = strcspn(q, "\n");
			buf_append(&b, q, len);
			q += len;
		} else if (q[0] == '$' && q[1] >= '1' && q[1] <= '9') {
			n = strtol(q + 1, &end, 10);
			if (n >= 1 && (size_t)n <= np &&
			    json_is_string(json_array_get(params,
			    (size_t)n - 1))) {
				sql_literal_append(&b, json_string_value(
				    json_array_get(params, (size_t)n - 1)));
				q = end;
			} else {
				buf_putc(&b, *q++);
			}
		} else {
			buf_putc(&b, *q++);
		}
	}
	return buf_steal(&b);
}

/* psql with the same statement. */
static char *
sql_manual(const struct probe *p)
{
	json_t *params = probe_param(p, "params");
	const char *query = probe_param_str(p, "query", "");
	char *q = json_array_size(params) > 0 ?
	    sql_query_inline(query, params) : xstrdup(query);
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "psql ");
	shquote_append(&b, probe_param_str(p, "sql", ""));
	buf_puts(&b, " -c ");
	shquote_append(&b, q);
	free(q);
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const sql_results[] = {
	"rows", "rowcount", "truncated", NULL,
};

const struct probe_kind probe_kind_sql = {
	.name = "sql",
	.alias = NULL,
	.fields = sql_fields,
	.results = sql_results,
	.flags = 0,
	.prepare = sql_prepare,
	.release = sql_release,
	.start = sql_start,
	.cancel = sql_cancel,
	.finish = sql_finish,
	.manual = sql_manual,
};

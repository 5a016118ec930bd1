/* SPDX-License-Identifier: MIT */
/* Tests for the redis probe kind against a real redis-server the test
 * starts (on a free loopback port and a Unix socket, in a temp dir). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "probe-harness.h"

extern char **environ;
extern const struct probe_kind probe_kind_redis;

#define PASSWORD "test-Redis-pw-7"
#define WRONG_PASSWORD "not-the-password"

/* The secrets a runbook would have: probes may use only these. */
static char *const secret_values[] = {
	(char *)PASSWORD, (char *)WRONG_PASSWORD,
};

static struct {
	char dir[64];
	char sock[128];
	int port;
	pid_t pid;
} srv;

/* A socket bound to a free loopback port, listening when asked. */
static int
open_port(int listening, int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, len) != 0 ||
	    (listening && listen(fd, 64) != 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A synchronous connection to the test server, authenticated. */
static redisContext *
admin(void)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectUnixWithTimeout(srv.sock, tv);
	redisReply *r;

	if (c == NULL || c->err) {
		redisFree(c);
		return NULL;
	}
	r = redisCommand(c, "AUTH %s", PASSWORD);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

/* Runs one command on the test server (printf-like, as redisCommand);
 * fails the test when it errs. Returns its reply's integer. */
static long long
admin_cmd(const char *fmt, ...)
{
	redisContext *c = admin();
	redisReply *r;
	long long n;
	va_list ap;

	assert_non_null(c);
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("%s: %s", fmt, r->str);
	n = r->integer;
	freeReplyObject(r);
	redisFree(c);
	return n;
}

/* The number of clients connected to the test server, the asker too. */
static long
connected_clients(void)
{
	redisContext *c = admin();
	redisReply *r;
	const char *s;
	long n = -1;

	assert_non_null(c);
	r = redisCommand(c, "INFO clients");
	assert_non_null(r);
	s = r->str != NULL ? strstr(r->str, "connected_clients:") : NULL;
	if (s != NULL)
		n = strtol(s + strlen("connected_clients:"), NULL, 10);
	freeReplyObject(r);
	redisFree(c);
	return n;
}

static void
server_stop(void)
{
	char path[192];
	int status;

	if (srv.pid > 0) {
		kill(srv.pid, SIGTERM);
		waitpid(srv.pid, &status, 0);
		srv.pid = 0;
	}
	if (srv.dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/redis.conf", srv.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/redis.log", srv.dir);
	unlink(path);
	unlink(srv.sock);
	rmdir(srv.dir);
	srv.dir[0] = '\0';
}

static void
print_log(void)
{
	char path[192], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/redis.log", srv.dir);
	if ((f = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		fprintf(stderr, "  redis.log: %s", line);
	fclose(f);
}

/* Starts redis-server on a free port; 0 once it answers. */
static int
server_try_start(void)
{
	char conf[192], *argv[] = { (char *)"redis-server", conf, NULL };
	FILE *f;
	int fd, i, status;
	redisContext *c;

	fd = open_port(0, &srv.port);
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(conf, sizeof(conf), "%s/redis.conf", srv.dir);
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "bind 127.0.0.1\nport %d\nunixsocket %s\n"
	    "daemonize no\nlogfile %s/redis.log\ndir %s\nsave \"\"\n"
	    "appendonly no\nmaxclients 1000\nrequirepass %s\n", srv.port,
	    srv.sock, srv.dir, srv.dir, PASSWORD);
	fclose(f);
	if (posix_spawnp(&srv.pid, "redis-server", NULL, NULL, argv,
	    environ) != 0) {
		fprintf(stderr, "test-redis: cannot run redis-server: %s\n",
		    strerror(errno));
		srv.pid = 0;
		return -1;
	}
	for (i = 0; i < 200; i++) {
		if (waitpid(srv.pid, &status, WNOHANG) == srv.pid) {
			srv.pid = 0;	/* the port was taken, say */
			return -1;
		}
		if ((c = admin()) != NULL) {
			redisFree(c);
			return 0;
		}
		usleep(50000);
	}
	return -1;
}

static int
group_setup(void **state)
{
	int try;

	(void)state;
	snprintf(srv.dir, sizeof(srv.dir), "/tmp/triage-test-redis.XXXXXX");
	if (mkdtemp(srv.dir) == NULL) {
		srv.dir[0] = '\0';
		return -1;
	}
	snprintf(srv.sock, sizeof(srv.sock), "%s/redis.sock", srv.dir);
	for (try = 0; try < 5; try++) {
		if (server_try_start() == 0)
			return 0;
		if (srv.pid > 0) {
			kill(srv.pid, SIGKILL);
			waitpid(srv.pid, NULL, 0);
			srv.pid = 0;
		}
	}
	fprintf(stderr, "test-redis: redis-server did not start (install "
	    "redis-server: scripts/deps.sh)\n");
	print_log();
	server_stop();
	return -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	server_stop();
	return 0;
}

/* A probe (or, with may_write, a fix step) of params (stolen), prepared
 * with the test's secrets; NULL, *cause and *field (the key it is about)
 * when prepare refuses it. */
static struct probe *
rprobe_try(json_t *params, double timeout, int may_write, char **cause,
    const char **field)
{
	struct probe *p = calloc(1, sizeof(*p));

	p->id = strdup("t");
	p->layer = strdup("test");
	p->kind = &probe_kind_redis;
	p->params = params;
	p->timeout = timeout;
	p->severity = STATE_CRITICAL;
	p->may_write = may_write;
	p->secret_values = secret_values;
	p->nsecret_values = ARRAY_LEN(secret_values);
	*cause = NULL;
	if (probe_kind_redis.prepare(p, cause) != 0) {
		assert_null(p->priv);
		*field = p->err_field;
		json_decref(p->params);
		free(p->id);
		free(p->layer);
		free(p);
		return NULL;
	}
	return p;
}

static struct probe *
rprobe(json_t *params, double timeout, int may_write)
{
	char *cause = NULL;
	const char *field = NULL;
	struct probe *p = rprobe_try(params, timeout, may_write, &cause,
	    &field);

	if (p == NULL)
		fail_msg("prepare failed: %s", cause);
	return p;
}

static char *
url(void)
{
	static char u[64];

	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", srv.port);
	return u;
}

/* Runs [words...] with the password on the test server. */
static struct harness_result
run_cmd(json_t *argv)
{
	struct probe *p = rprobe(json_pack("{s:s, s:o, s:s}", "redis", url(),
	    "command", argv, "password", PASSWORD), 3, 0);
	struct harness_result r = harness_run(p);

	harness_probe_free(p);
	return r;
}

static void
assert_ok(const struct harness_result *r)
{
	if (r->error != NULL)
		fail_msg("error: %s", r->error);
	assert_int_equal(r->verdict, STATE_OK);
}

static void
test_get_string(void **state)
{
	struct harness_result r;

	(void)state;
	admin_cmd("SET str hello");
	r = run_cmd(json_pack("[ss]", "GET", "str"));
	assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "reply")), "hello");
	assert_null(json_object_get(r.fields, "json"));
	harness_result_dispose(&r);
}

static void
test_get_json(void **state)
{
	struct harness_result r;
	json_t *j;

	(void)state;
	admin_cmd("SET %s %s", "ratiba:fsm:thread:01J",
	    "{\"state\":\"PAYMENT_PENDING\",\"updated_at\":"
	    "\"2026-11-23T10:00:00Z\"}");
	r = run_cmd(json_pack("[ss]", "get", "ratiba:fsm:thread:01J"));
	assert_ok(&r);
	j = json_object_get(r.fields, "json");
	assert_true(json_is_object(j));
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "PAYMENT_PENDING");
	assert_true(json_is_string(json_object_get(r.fields, "reply")));
	harness_result_dispose(&r);
}

static void
test_nil(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_cmd(json_pack("[ss]", "GET", "no-such-key"));
	assert_ok(&r);
	assert_true(json_is_null(json_object_get(r.fields, "reply")));
	assert_null(json_object_get(r.fields, "json"));
	harness_result_dispose(&r);
}

static void
test_integer(void **state)
{
	struct harness_result r;

	(void)state;
	admin_cmd("SET str hello");
	r = run_cmd(json_pack("[ss]", "STRLEN", "str"));
	assert_ok(&r);
	assert_true(json_is_integer(json_object_get(r.fields, "reply")));
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "reply")), 5);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "text")), "5");
	harness_result_dispose(&r);
}

static void
test_array(void **state)
{
	struct harness_result r;
	json_t *a;

	(void)state;
	admin_cmd("DEL list");
	admin_cmd("RPUSH list a b c");
	r = run_cmd(json_pack("[ssss]", "LRANGE", "list", "0", "-1"));
	assert_ok(&r);
	a = json_object_get(r.fields, "reply");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(json_string_value(json_array_get(a, 2)), "c");
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "text")), "a\nb\nc");
	harness_result_dispose(&r);
}

static void
test_status(void **state)
{
	struct harness_result r;

	(void)state;
	r = run_cmd(json_pack("[s]", "PING"));
	assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "reply")), "PONG");
	harness_result_dispose(&r);
}

static void
test_error_reply(void **state)
{
	struct harness_result r;

	(void)state;
	admin_cmd("DEL list");
	admin_cmd("RPUSH list a");
	r = run_cmd(json_pack("[ss]", "GET", "list"));
	assert_non_null(r.error);
	assert_string_equal(r.error, "redis: WRONGTYPE Operation against a "
	    "key holding the wrong kind of value");
	assert_true(json_is_null(json_object_get(r.fields, "reply")));
	harness_result_dispose(&r);
}

static void
test_binary_value(void **state)
{
	struct harness_result r;
	const char *s;

	(void)state;
	admin_cmd("SET %s %b", "bin", "a\0\xff" "b", (size_t)4);
	r = run_cmd(json_pack("[ss]", "GET", "bin"));
	assert_ok(&r);
	s = json_string_value(json_object_get(r.fields, "reply"));
	assert_non_null(s);
	assert_string_equal(s, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	harness_result_dispose(&r);
}

static void
test_auth(void **state)
{
	struct harness_result r;
	struct probe *p;

	(void)state;
	p = rprobe(json_pack("{s:s, s:[s], s:s}", "redis", url(), "command",
	    "PING", "password", WRONG_PASSWORD), 3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	if (strncmp(r.error, "redis: WRONGPASS ", 17) != 0)
		fail_msg("reason: %s", r.error);
	harness_result_dispose(&r);
	harness_probe_free(p);

	p = rprobe(json_pack("{s:s, s:[s]}", "redis", url(), "command",
	    "PING"), 3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "redis: NOAUTH Authentication required.");
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
test_user(void **state)
{
	struct harness_result r;
	struct probe *p;
	char u[96];

	(void)state;
	snprintf(u, sizeof(u), "redis://default@127.0.0.1:%d", srv.port);
	p = rprobe(json_pack("{s:s, s:[s], s:s}", "redis", u, "command",
	    "PING", "password", PASSWORD), 3, 0);
	r = harness_run(p);
	assert_ok(&r);
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
test_select_db(void **state)
{
	struct harness_result r;
	struct probe *p;
	char u[96];

	(void)state;
	admin_cmd("SELECT 0");
	{
		redisContext *c = admin();
		redisReply *x;

		assert_non_null(c);
		freeReplyObject(redisCommand(c, "SELECT 3"));
		x = redisCommand(c, "SET indb3 three");
		assert_non_null(x);
		freeReplyObject(x);
		redisFree(c);
	}
	p = rprobe(json_pack("{s:s, s:[ss], s:s, s:i}", "redis", url(),
	    "command", "GET", "indb3", "password", PASSWORD, "db", 3), 3, 0);
	r = harness_run(p);
	assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "reply")), "three");
	harness_result_dispose(&r);
	harness_probe_free(p);

	snprintf(u, sizeof(u), "redis://127.0.0.1:%d/3", srv.port);
	p = rprobe(json_pack("{s:s, s:[ss], s:s}", "redis", u, "command",
	    "GET", "indb3", "password", PASSWORD), 3, 0);
	r = harness_run(p);
	assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "reply")), "three");
	harness_result_dispose(&r);
	harness_probe_free(p);

	/* In database 0 it is not there. */
	r = run_cmd(json_pack("[ss]", "GET", "indb3"));
	assert_ok(&r);
	assert_true(json_is_null(json_object_get(r.fields, "reply")));
	harness_result_dispose(&r);

	/* A database that does not exist: the command never runs. */
	p = rprobe(json_pack("{s:s, s:[ss], s:s, s:i}", "redis", url(),
	    "command", "GET", "indb3", "password", PASSWORD, "db", 999999),
	    3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "redis: ERR DB index is out of range");
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
test_unix_socket(void **state)
{
	struct harness_result r;
	struct probe *p;
	char u[192];

	(void)state;
	snprintf(u, sizeof(u), "unix://%s", srv.sock);
	p = rprobe(json_pack("{s:s, s:[s], s:s}", "redis", u, "command",
	    "PING", "password", PASSWORD), 3, 0);
	r = harness_run(p);
	assert_ok(&r);
	harness_result_dispose(&r);
	harness_probe_free(p);

	snprintf(u, sizeof(u), "unix://%s/nonexistent.sock", srv.dir);
	p = rprobe(json_pack("{s:s, s:[s]}", "redis", u, "command", "PING"),
	    3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "no_such_socket");
	harness_result_dispose(&r);
	harness_probe_free(p);
}

/* A name, not an address: looked up on the loop, then connected to. */
static void
test_host_name(void **state)
{
	struct harness_result r;
	struct probe *p;
	char u[96];

	(void)state;
	snprintf(u, sizeof(u), "redis://localhost:%d", srv.port);
	p = rprobe(json_pack("{s:s, s:[s], s:s}", "redis", u, "command",
	    "PING", "password", PASSWORD), 3, 0);
	r = harness_run(p);
	assert_ok(&r);
	harness_result_dispose(&r);
	harness_probe_free(p);

	p = rprobe(json_pack("{s:s, s:[s]}", "redis",
	    "redis://no-such-host.invalid", "command", "PING"), 3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	if (strcmp(r.error, "timeout") != 0)
		assert_string_equal(r.error, "dns_failure");
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
test_refused(void **state)
{
	struct harness_result r;
	struct probe *p;
	char u[96];
	int port, fd;

	(void)state;
	fd = open_port(0, &port);
	assert_true(fd >= 0);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", port);
	p = rprobe(json_pack("{s:s, s:[s]}", "redis", u, "command", "PING"),
	    3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "connection_refused");
	assert_true(json_is_null(json_object_get(r.fields, "reply")));
	assert_true(r.elapsed < 1.0);
	harness_result_dispose(&r);
	harness_probe_free(p);
	close(fd);
}

/* A server that accepts (the kernel does) and never answers. */
static void
test_timeout(void **state)
{
	struct harness_result r;
	struct probe *p;
	char u[96];
	int port, fd;

	(void)state;
	fd = open_port(1, &port);
	assert_true(fd >= 0);
	snprintf(u, sizeof(u), "redis://127.0.0.1:%d", port);
	p = rprobe(json_pack("{s:s, s:[s], s:s}", "redis", u, "command",
	    "PING", "password", PASSWORD), 0.3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed >= 0.29 && r.elapsed < 1.0);
	harness_result_dispose(&r);
	harness_probe_free(p);
	close(fd);
}

/* Cancelled while the server holds the command: the connection is closed
 * at once and nothing leaks (ASan). */
static void
test_cancel_mid_command(void **state)
{
	struct harness_result r;
	struct probe *p;
	long before, after = -1;
	int i;

	(void)state;
	before = connected_clients();
	p = rprobe(json_pack("{s:s, s:[ssssss], s:s}", "redis", url(),
	    "command", "XREAD", "BLOCK", "5000", "STREAMS", "nostream", "$",
	    "password", PASSWORD), 0.3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "timeout");
	assert_true(r.elapsed < 1.0);
	harness_result_dispose(&r);
	harness_probe_free(p);
	for (i = 0; i < 40; i++) {
		if ((after = connected_clients()) <= before)
			break;
		usleep(25000);
	}
	assert_true(after <= before);
}

static void
test_reply_too_large(void **state)
{
	struct harness_result r;
	struct probe *p;
	char big[4096];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	admin_cmd("SET big %s", big);
	p = rprobe(json_pack("{s:s, s:[ss], s:s, s:i}", "redis", url(),
	    "command", "GET", "big", "password", PASSWORD, "max_reply", 1024),
	    3, 0);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "redis: reply larger than max_reply "
	    "(1024 bytes)");
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
expect_refused(json_t *params, const char *field, const char *needle)
{
	char *cause = NULL;
	const char *got = NULL;
	struct probe *p = rprobe_try(params, 1, 0, &cause, &got);

	if (p != NULL)
		fail_msg("prepare accepted what it should refuse (%s)", needle);
	assert_non_null(cause);
	if (strstr(cause, needle) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
	assert_non_null(got);
	assert_string_equal(got, field);
	free(cause);
}

static void
test_readonly(void **state)
{
	static const char *const reads[][3] = {
		{ "GET", "k", NULL }, { "hgetall", "h", NULL },
		{ "CONFIG", "get", "maxmemory" }, { "CLIENT", "LIST", NULL },
		{ "OBJECT", "ENCODING", "k" }, { "MEMORY", "USAGE", "k" },
		{ "SLOWLOG", "GET", NULL }, { "XINFO", "STREAM", "s" },
		{ "ZRANGEBYSCORE", "z", "0" }, { "SCAN", "0", NULL },
		{ "EVAL_RO", "return 1", "0" }, { "evalsha_ro", "x", "0" },
		{ "GEORADIUS_RO", "g", "0" }, { "ZUNION", "1", "z" },
		{ "ACL", "whoami", NULL }, { "BITCOUNT", "k", NULL },
	};
	struct harness_result r;
	struct probe *p;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_LEN(reads); i++) {
		json_t *argv = json_array();

		for (j = 0; j < 3 && reads[i][j] != NULL; j++)
			json_array_append_new(argv, json_string(reads[i][j]));
		p = rprobe(json_pack("{s:s, s:o}", "redis", url(), "command",
		    argv), 1, 0);
		harness_probe_free(p);
	}
	expect_refused(json_pack("{s:s, s:[sss]}", "redis", url(), "command",
	    "SET", "k", "v"), "command", "SET writes; only read-only commands "
	    "are allowed in probes and evidence (fix steps may write)");
	expect_refused(json_pack("{s:s, s:[sss]}", "redis", url(), "command",
	    "set", "k", "v"), "command", "SET writes");
	expect_refused(json_pack("{s:s, s:[ss]}", "redis", url(), "command",
	    "FLUSHALL", "ASYNC"), "command", "FLUSHALL writes");
	expect_refused(json_pack("{s:s, s:[sss]}", "redis", url(), "command",
	    "CONFIG", "SET", "x"), "command", "CONFIG SET is not a read-only "
	    "subcommand");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", url(), "command",
	    "CONFIG"), "command", "CONFIG needs a read-only subcommand");
	expect_refused(json_pack("{s:s, s:[ss]}", "redis", url(), "command",
	    "KEYS", "*"), "command", "use SCAN");
	expect_refused(json_pack("{s:s, s:[ss]}", "redis", url(), "command",
	    "DEBUG", "SLEEP"), "command", "DEBUG is not known to be "
	    "read-only");
	expect_refused(json_pack("{s:s, s:[ss]}", "redis", url(), "command",
	    "SELECT", "1"), "command", "give db: N");
	expect_refused(json_pack("{s:s, s:[ss]}", "redis", url(), "command",
	    "PFCOUNT", "h"), "command", "PFCOUNT writes");

	/* The same SET in a fix step runs, and writes. */
	admin_cmd("DEL fixed");
	p = rprobe(json_pack("{s:s, s:[sss], s:s}", "redis", url(), "command",
	    "SET", "fixed", "yes", "password", PASSWORD), 3, 1);
	r = harness_run(p);
	assert_ok(&r);
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "reply")), "OK");
	harness_result_dispose(&r);
	harness_probe_free(p);
	r = run_cmd(json_pack("[ss]", "GET", "fixed"));
	assert_string_equal(json_string_value(json_object_get(r.fields,
	    "reply")), "yes");
	harness_result_dispose(&r);
}

static void
test_bad_params(void **state)
{
	(void)state;
	expect_refused(json_pack("{s:s, s:[s]}", "redis",
	    "redis://:hunter2@127.0.0.1", "command", "PING"), "redis",
	    "the URL holds a password");
	expect_refused(json_pack("{s:s, s:[s]}", "redis",
	    "redis://app:hunter2@127.0.0.1:6379/0", "command", "PING"),
	    "redis", "the URL holds a password");
	expect_refused(json_pack("{s:s, s:[s], s:s}", "redis",
	    "redis://127.0.0.1", "command", "PING", "password", "hunter2"),
	    "password", "the password must come from a secret");
	expect_refused(json_pack("{s:s, s:[s]}", "redis",
	    "redis://app@127.0.0.1", "command", "PING"), "redis",
	    "a user needs a password");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "127.0.0.1:6379",
	    "command", "PING"), "redis", "expected redis://");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "rediss://h",
	    "command", "PING"), "redis", "TLS (rediss://) is not supported");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "redis://h:99999",
	    "command", "PING"), "redis", "1 to 65535");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "redis://h/x",
	    "command", "PING"), "redis", "database number");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "redis://h?db=1",
	    "command", "PING"), "redis", "options go in their own keys");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "unix://",
	    "command", "PING"), "redis", "absolute path");
	expect_refused(json_pack("{s:s, s:[s], s:i}", "redis", "redis://h/1",
	    "command", "PING", "db", 2), "db", "not both");
	expect_refused(json_pack("{s:s, s:[s], s:i}", "redis", "redis://h",
	    "command", "PING", "db", -1), "db", "db must be a number from 0");
	expect_refused(json_pack("{s:s, s:[s]}", "redis", "redis://h",
	    "command", ""), "command", "the command name is empty");
	expect_refused(json_pack("{s:s, s:[s], s:i}", "redis", "redis://h",
	    "command", "PING", "max_reply", 0), "max_reply", "max_reply");
}

static void
expect_manual(json_t *params, const char *want)
{
	struct probe *p = rprobe(params, 1, 0);
	char *m = probe_kind_redis.manual(p);

	assert_string_equal(m, want);
	free(m);
	harness_probe_free(p);
}

static void
test_manual(void **state)
{
	(void)state;
	expect_manual(json_pack("{s:s, s:[ss], s:s, s:i}", "redis",
	    "redis://10.0.0.5:6380", "command", "GET",
	    "ratiba:fsm:thread:01J X", "password", PASSWORD, "db", 2),
	    "redis-cli -h 10.0.0.5 -p 6380 -n 2 -a " PASSWORD
	    " GET 'ratiba:fsm:thread:01J X'");
	expect_manual(json_pack("{s:s, s:[s]}", "redis", "redis://cache",
	    "command", "PING"), "redis-cli -h cache -p 6379 PING");
	expect_manual(json_pack("{s:s, s:[s], s:s}", "redis",
	    "redis://app@[::1]:7000/1", "command", "PING", "password",
	    PASSWORD), "redis-cli -h ::1 -p 7000 -n 1 --user app -a "
	    PASSWORD " PING");
	expect_manual(json_pack("{s:s, s:[s]}", "redis",
	    "unix:///run/redis/redis.sock", "command", "INFO"),
	    "redis-cli -s /run/redis/redis.sock INFO");
}

static void
on_complete(struct probe_run *run)
{
	(void)run;
}

/* 200 probes on one loop, each on its own connection, each held 300 ms by
 * the server: together they take about as long as one. */
static void
test_concurrent(void **state)
{
	enum { N = 200 };
	struct probe_run *runs = calloc(N, sizeof(*runs));
	struct loop *l = loop_create();
	struct probe *p;
	double t0, one, all;
	int i, done;
	struct harness_result r;

	(void)state;
	p = rprobe(json_pack("{s:s, s:[ssssss], s:s}", "redis", url(),
	    "command", "XREAD", "BLOCK", "300", "STREAMS", "nostream", "$",
	    "password", PASSWORD), 10, 0);
	r = harness_run(p);
	assert_ok(&r);
	assert_true(json_is_null(json_object_get(r.fields, "reply")));
	one = r.elapsed;
	harness_result_dispose(&r);
	t0 = time_mono();
	for (i = 0; i < N; i++) {
		runs[i].probe = p;
		runs[i].loop = l;
		runs[i].started = time_mono();
		runs[i].deadline = runs[i].started + 10;
		runs[i].verdict = STATE_OK;
		runs[i].on_complete = on_complete;
		assert_int_equal(probe_kind_redis.start(&runs[i]), 0);
	}
	for (;;) {
		for (i = 0, done = 0; i < N; i++)
			done += runs[i].completed;
		if (done == N || time_mono() - t0 > 10)
			break;
		loop_run_once(l, 0.1);
	}
	all = time_mono() - t0;
	for (i = 0; i < N; i++) {
		json_t *out = json_object();

		assert_true(runs[i].completed);
		probe_kind_redis.finish(&runs[i], out);
		if (runs[i].error != NULL)
			fail_msg("probe %d: %s", i, runs[i].error);
		json_decref(out);
		free(runs[i].verdict_reason);
	}
	print_message("one probe %.3fs, %d at once %.3fs (%.2fx)\n", one, N,
	    all, all / one);
	assert_true(one >= 0.29);
	/* One after the other they would take 60 s. */
	assert_true(all < one + 1.0);
	harness_probe_free(p);
	loop_free(l);
	free(runs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_string),
		cmocka_unit_test(test_get_json),
		cmocka_unit_test(test_nil),
		cmocka_unit_test(test_integer),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_binary_value),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_select_db),
		cmocka_unit_test(test_unix_socket),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_cancel_mid_command),
		cmocka_unit_test(test_reply_too_large),
		cmocka_unit_test(test_readonly),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_manual),
		cmocka_unit_test(test_concurrent),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

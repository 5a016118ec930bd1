/* SPDX-License-Identifier: MIT */
/* Tests for the http probe kind (and net.c under it) against testhttpd. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <curl/curl.h>

#include "probe-harness.h"

extern const struct probe_kind probe_kind_http;

/* One testhttpd, started for the whole group. */
struct server {
	pid_t pid;
	int port;
	char dir[64];
	char port_file[96];
};

static struct server srv;
static struct server srv_idle;	/* closes idle connections after 1 s */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The server binary: $TRIAGE_TESTHTTPD, else testhttpd beside this test
 * (where the build puts both). */
static char *
testhttpd_path(void)
{
	const char *env = getenv("TRIAGE_TESTHTTPD");
	char self[4096], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return strdup(env);
	n = readlink("/proc/self/exe", self, sizeof(self) - 16);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return NULL;
	snprintf(slash + 1, 16, "testhttpd");
	return access(self, X_OK) == 0 ? strdup(self) : NULL;
}

/* Starts testhttpd with extra arguments (NULL-terminated, may be NULL). */
static int
server_start(struct server *s, const char *const *extra)
{
	char *path = testhttpd_path();
	double until;
	FILE *f;

	memset(s, 0, sizeof(*s));
	if (path == NULL) {
		fprintf(stderr, "test-http: set TRIAGE_TESTHTTPD to the "
		    "testhttpd binary\n");
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/triage-test-http-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		free(path);
		return -1;
	}
	snprintf(s->port_file, sizeof(s->port_file), "%s/port", s->dir);
	s->pid = fork();
	if (s->pid == 0) {
		const char *argv[16] = { path, "--port-file", s->port_file };
		size_t i, n = 3;

		for (i = 0; extra != NULL && extra[i] != NULL && n < 15; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		/* execv does not write to argv; its type predates const. */
		execv(path, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	free(path);
	until = time_mono() + 10;
	while (time_mono() < until) {
		int status;

		f = fopen(s->port_file, "r");
		if (f != NULL) {
			int ok = fscanf(f, "%d", &s->port) == 1;

			fclose(f);
			if (ok)
				return 0;
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return -1;
		}
		sleep_ms(10);
	}
	return -1;
}

static void
server_stop(struct server *s)
{
	int status, i;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		for (i = 0; i < 500; i++) {
			if (waitpid(s->pid, &status, WNOHANG) == s->pid)
				break;
			sleep_ms(10);
		}
		if (i == 500) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
		}
		s->pid = 0;
	}
	unlink(s->port_file);
	rmdir(s->dir);
}

static int
group_setup(void **state)
{
	static const char *const idle[] = { "--idle-timeout", "1", NULL };

	(void)state;
	if (server_start(&srv, NULL) != 0)
		return -1;
	return server_start(&srv_idle, idle);
}

static int
group_teardown(void **state)
{
	(void)state;
	server_stop(&srv);
	server_stop(&srv_idle);
	return 0;
}

static char *
url(const char *path)
{
	return xasprintf("http://127.0.0.1:%d%s", srv.port, path);
}

/* An http probe of path on the test server; extra (may be NULL) is
 * merged into its parameters. */
static struct probe *
http_probe(const char *path, json_t *extra, double timeout)
{
	char *u = url(path);
	json_t *params = json_pack("{s:s}", "http", u);

	free(u);
	if (extra != NULL)
		json_object_update_new(params, extra);
	return harness_probe(&probe_kind_http, params, timeout);
}

static struct harness_result
run_path(const char *path, json_t *extra)
{
	struct probe *p = http_probe(path, extra, 5);
	struct harness_result r = harness_run(p);

	harness_probe_free(p);
	return r;
}

static const char *
field_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static void
test_http_json_body(void **state)
{
	struct harness_result r = run_path("/json", NULL);
	json_t *body, *a;
	char *u = url("/json");

	(void)state;
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_null(r.verdict_reason);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 200);
	body = json_object_get(r.fields, "body");
	assert_true(json_is_object(body));
	assert_string_equal(field_str(body, "status"), "ok");
	a = json_object_get(json_object_get(body, "nested"), "a");
	assert_int_equal(json_array_size(a), 3);
	assert_int_equal(json_integer_value(json_array_get(a, 1)), 2);
	assert_non_null(strstr(field_str(r.fields, "body_text"),
	    "\"status\":\"ok\""));
	assert_string_equal(field_str(json_object_get(r.fields, "headers"),
	    "content-type"), "application/json");
	assert_string_equal(field_str(r.fields, "url"), u);
	assert_null(json_object_get(r.fields, "redirect"));
	assert_true(json_is_false(json_object_get(r.fields, "truncated")));
	free(u);
	harness_result_dispose(&r);
}

static void
test_http_text_body(void **state)
{
	struct harness_result r = run_path("/status/200", NULL);

	(void)state;
	assert_null(r.error);
	assert_string_equal(field_str(r.fields, "body"), "status 200");
	assert_string_equal(field_str(r.fields, "body_text"), "status 200");
	harness_result_dispose(&r);

	r = run_path("/up", NULL);
	assert_string_equal(field_str(r.fields, "body"), "ok");
	harness_result_dispose(&r);
}

static void
test_http_headers_lower_case(void **state)
{
	struct harness_result r = run_path("/redirect", NULL);
	json_t *headers = json_object_get(r.fields, "headers"), *v;
	const char *name;
	size_t n = 0;

	(void)state;
	assert_true(json_is_object(headers));
	json_object_foreach(headers, name, v) {
		const char *c;

		for (c = name; *c != '\0'; c++)
			assert_false(*c >= 'A' && *c <= 'Z');
		assert_true(json_is_string(v));
		n++;
	}
	assert_true(n >= 3);
	assert_string_equal(field_str(headers, "location"), "/json");
	assert_string_equal(field_str(headers, "content-length"), "12");
	harness_result_dispose(&r);
}

static void
test_http_repeated_headers(void **state)
{
	struct harness_result r = run_path("/multi", NULL);

	(void)state;
	assert_null(r.error);
	assert_string_equal(field_str(json_object_get(r.fields, "headers"),
	    "x-multi"), "a, b");
	harness_result_dispose(&r);
}

static void
test_http_redirect_not_followed(void **state)
{
	struct harness_result r = run_path("/redirect", NULL);
	char *u = url("/json");

	(void)state;
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 302);
	assert_string_equal(field_str(r.fields, "redirect"), u);
	free(u);
	harness_result_dispose(&r);
}

static void
test_http_redirect_followed(void **state)
{
	struct harness_result r = run_path("/redirect",
	    json_pack("{s:b}", "follow", 1));
	char *u = url("/json");

	(void)state;
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 200);
	assert_string_equal(field_str(r.fields, "url"), u);
	assert_null(json_object_get(r.fields, "redirect"));
	assert_string_equal(field_str(json_object_get(r.fields, "body"),
	    "status"), "ok");
	/* Only the final response's headers. */
	assert_null(json_object_get(json_object_get(r.fields, "headers"),
	    "location"));
	free(u);
	harness_result_dispose(&r);
}

static void
test_http_redirect_loop(void **state)
{
	struct harness_result r = run_path("/loop",
	    json_pack("{s:b}", "follow", 1));

	(void)state;
	assert_non_null(r.error);
	assert_string_equal(r.error, "too_many_redirects");
	harness_result_dispose(&r);
}

static void
test_http_error_statuses(void **state)
{
	static const int codes[] = { 404, 502, 500, 403 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(codes); i++) {
		char path[32], reason[32];
		struct harness_result r;

		snprintf(path, sizeof(path), "/status/%d", codes[i]);
		snprintf(reason, sizeof(reason), "http_%d", codes[i]);
		r = run_path(path, NULL);
		assert_null(r.error);
		assert_int_equal(r.verdict, STATE_CRITICAL);
		assert_string_equal(r.verdict_reason, reason);
		assert_int_equal(json_integer_value(json_object_get(r.fields,
		    "status")), codes[i]);
		harness_result_dispose(&r);
	}
}

static void
test_http_request_headers(void **state)
{
	struct harness_result r = run_path("/headers", json_pack(
	    "{s:{s:s, s:s, s:s}}", "headers", "X-Test", "hello",
	    "Accept", "application/json", "X-Empty", ""));
	json_t *body = json_object_get(r.fields, "body");

	(void)state;
	assert_null(r.error);
	assert_true(json_is_object(body));
	assert_string_equal(field_str(body, "x-test"), "hello");
	assert_string_equal(field_str(body, "accept"), "application/json");
	assert_string_equal(field_str(body, "x-empty"), "");
	assert_true(str_has_prefix(field_str(body, "user-agent"),
	    "triage/"));
	harness_result_dispose(&r);
	/* Without headers of its own, a probe sends the User-Agent only. */
	r = run_path("/headers", NULL);
	body = json_object_get(r.fields, "body");
	assert_null(r.error);
	assert_true(str_has_prefix(field_str(body, "user-agent"),
	    "triage/"));
	assert_null(json_object_get(body, "x-test"));
	harness_result_dispose(&r);
	/* A User-Agent of its own replaces ours. */
	r = run_path("/headers", json_pack("{s:{s:s}}", "headers",
	    "User-Agent", "probe/1"));
	body = json_object_get(r.fields, "body");
	assert_null(r.error);
	assert_string_equal(field_str(body, "user-agent"), "probe/1");
	harness_result_dispose(&r);
}

static void
test_http_method_and_body(void **state)
{
	struct harness_result r = run_path("/echo", json_pack("{s:s, s:s}",
	    "method", "put", "body", "payload"));
	json_t *body = json_object_get(r.fields, "body");

	(void)state;
	assert_null(r.error);
	assert_string_equal(field_str(body, "method"), "PUT");
	assert_string_equal(field_str(body, "body"), "payload");
	harness_result_dispose(&r);

	r = run_path("/echo", json_pack("{s:s}", "body", "{\"a\":1}"));
	body = json_object_get(r.fields, "body");
	assert_string_equal(field_str(body, "method"), "POST");
	assert_string_equal(field_str(body, "body"), "{\"a\":1}");
	harness_result_dispose(&r);

	r = run_path("/echo", json_pack("{s:s}", "method", "POST"));
	body = json_object_get(r.fields, "body");
	assert_string_equal(field_str(body, "method"), "POST");
	assert_string_equal(field_str(body, "body"), "");
	harness_result_dispose(&r);

	r = run_path("/echo", json_pack("{s:s}", "method", "DELETE"));
	body = json_object_get(r.fields, "body");
	assert_string_equal(field_str(body, "method"), "DELETE");
	harness_result_dispose(&r);

	r = run_path("/up", json_pack("{s:s}", "method", "HEAD"));
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 200);
	assert_string_equal(field_str(r.fields, "body_text"), "");
	harness_result_dispose(&r);
}

static void
test_http_max_body(void **state)
{
	struct harness_result r = run_path("/big/5000",
	    json_pack("{s:i}", "max_body", 100));

	(void)state;
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 200);
	assert_true(json_is_true(json_object_get(r.fields, "truncated")));
	assert_int_equal(strlen(field_str(r.fields, "body_text")), 100);
	harness_result_dispose(&r);

	/* Exactly at the limit is not truncated. */
	r = run_path("/big/100", json_pack("{s:i}", "max_body", 100));
	assert_null(r.error);
	assert_true(json_is_false(json_object_get(r.fields, "truncated")));
	assert_int_equal(strlen(field_str(r.fields, "body_text")), 100);
	harness_result_dispose(&r);

	/* The default cap stops a huge body early instead of reading it. */
	r = run_path("/big/2000000000", NULL);
	assert_null(r.error);
	assert_true(json_is_true(json_object_get(r.fields, "truncated")));
	assert_int_equal(strlen(field_str(r.fields, "body_text")),
	    PROBE_BODY_MAX);
	assert_true(r.elapsed < 3.0);
	harness_result_dispose(&r);
}

static void
test_http_invalid_utf8(void **state)
{
	/* "caf\xe9" (Latin-1) then a valid "\xc3\xa9". */
	struct harness_result r = run_path("/raw/636166e92dc3a9", NULL);

	(void)state;
	assert_null(r.error);
	assert_string_equal(field_str(r.fields, "body_text"),
	    "caf\xef\xbf\xbd-\xc3\xa9");
	assert_string_equal(field_str(r.fields, "body"),
	    "caf\xef\xbf\xbd-\xc3\xa9");
	harness_result_dispose(&r);
}

/* A loopback port nobody listens on (bound, not listening, then freed). */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
test_http_connection_refused(void **state)
{
	char u[64];
	struct probe *p;
	struct harness_result r;

	(void)state;
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", free_port());
	p = harness_probe(&probe_kind_http, json_pack("{s:s}", "http", u), 3);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "connection_refused");
	assert_null(json_object_get(r.fields, "status"));
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
test_http_timeout(void **state)
{
	struct probe *p = http_probe("/delay/3000", NULL, 0.5);
	struct harness_result r = harness_run(p);

	(void)state;
	assert_non_null(r.error);
	assert_string_equal(r.error, "timeout");
	assert_null(json_object_get(r.fields, "status"));
	assert_true(r.elapsed < 1.5);
	harness_result_dispose(&r);
	harness_probe_free(p);
}

/* Runs probes[0..n) concurrently on loop l, each under its timeout, and
 * fills res[] as harness_run would. Returns the elapsed seconds. */
static double
run_on_loop(struct loop *l, struct probe **probes, size_t n,
    struct harness_result *res)
{
	struct probe_run *runs = calloc(n, sizeof(*runs));
	double t0 = time_mono();
	size_t i, left = n;

	assert_non_null(runs);
	for (i = 0; i < n; i++) {
		runs[i].probe = probes[i];
		runs[i].loop = l;
		runs[i].started = t0;
		runs[i].started_wall = time_now();
		runs[i].deadline = t0 + probes[i]->timeout;
		runs[i].verdict = STATE_OK;
		if (probes[i]->kind->start(&runs[i]) != 0)
			runs[i].completed = 1;
	}
	while (left > 0) {
		loop_run_once(l, 0.05);
		left = 0;
		for (i = 0; i < n; i++) {
			if (runs[i].completed)
				continue;
			if (time_mono() >= runs[i].deadline) {
				probes[i]->kind->cancel(&runs[i]);
				probe_run_error(&runs[i], "timeout");
				runs[i].completed = 1;
				continue;
			}
			left++;
		}
	}
	for (i = 0; i < n; i++) {
		res[i].fields = json_object();
		probes[i]->kind->finish(&runs[i], res[i].fields);
		res[i].error = runs[i].error;
		res[i].verdict = runs[i].verdict;
		res[i].verdict_reason = runs[i].verdict_reason;
	}
	free(runs);
	return time_mono() - t0;
}

static void
test_http_concurrent_delays(void **state)
{
	enum { N = 40 };
	struct probe *probes[N];
	struct harness_result res[N];
	struct loop *l = loop_create();
	double elapsed;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++)
		probes[i] = http_probe("/delay/1000", NULL, 10);
	elapsed = run_on_loop(l, probes, N, res);
	for (i = 0; i < N; i++) {
		assert_null(res[i].error);
		assert_int_equal(json_integer_value(json_object_get(
		    res[i].fields, "status")), 200);
		assert_string_equal(field_str(res[i].fields, "body"),
		    "delayed 1000");
		harness_result_dispose(&res[i]);
		harness_probe_free(probes[i]);
	}
	assert_true(elapsed >= 0.9);
	assert_true(elapsed < 3.0);
	loop_free(l);
}

/* Sequential probes on one loop reuse the connection; fresh ones do not. */
static void
test_http_keepalive_and_fresh(void **state)
{
	struct loop *l = loop_create();
	struct probe *p = http_probe("/peer", NULL, 5);
	struct probe *f = http_probe("/peer", json_pack("{s:b}", "fresh", 1),
	    5);
	struct harness_result r1, r2, r3, r4;

	(void)state;
	run_on_loop(l, &p, 1, &r1);
	run_on_loop(l, &p, 1, &r2);
	assert_null(r1.error);
	assert_null(r2.error);
	assert_string_equal(field_str(r1.fields, "body"),
	    field_str(r2.fields, "body"));
	run_on_loop(l, &f, 1, &r3);
	run_on_loop(l, &f, 1, &r4);
	assert_null(r3.error);
	assert_null(r4.error);
	assert_string_not_equal(field_str(r3.fields, "body"),
	    field_str(r4.fields, "body"));
	assert_string_not_equal(field_str(r1.fields, "body"),
	    field_str(r3.fields, "body"));
	harness_result_dispose(&r1);
	harness_result_dispose(&r2);
	harness_result_dispose(&r3);
	harness_result_dispose(&r4);
	harness_probe_free(p);
	harness_probe_free(f);
	loop_free(l);
}

/* A keep-alive connection the server closes while it sits idle is
 * dropped without the loop spinning on it, and the next probe connects
 * afresh. */
static void
test_http_idle_connection_closed(void **state)
{
	struct loop *l = loop_create();
	char *u = xasprintf("http://127.0.0.1:%d/peer", srv_idle.port);
	struct probe *p = harness_probe(&probe_kind_http,
	    json_pack("{s:s}", "http", u), 5);
	struct harness_result r1, r2;
	double until;
	long callbacks = 0;

	(void)state;
	run_on_loop(l, &p, 1, &r1);
	assert_null(r1.error);
	/* The server closes the idle connection after 1 s. */
	until = time_mono() + 2.5;
	while (time_mono() < until)
		callbacks += loop_run_once(l, until - time_mono());
	assert_true(callbacks < 20);
	run_on_loop(l, &p, 1, &r2);
	assert_null(r2.error);
	assert_int_equal(json_integer_value(json_object_get(r2.fields,
	    "status")), 200);
	assert_string_not_equal(field_str(r1.fields, "body"),
	    field_str(r2.fields, "body"));
	harness_result_dispose(&r1);
	harness_result_dispose(&r2);
	harness_probe_free(p);
	free(u);
	loop_free(l);
}

/* Connections are close-on-exec: children of other probes do not get
 * them. */
static void
test_http_sockets_cloexec(void **state)
{
	struct loop *l = loop_create();
	struct probe *p = http_probe("/up", NULL, 5);
	struct harness_result r;
	int fd, found = 0;

	(void)state;
	run_on_loop(l, &p, 1, &r);
	assert_null(r.error);
	/* The kept-alive connection is still open in l's cache. */
	for (fd = 3; fd < 1024; fd++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof(sin);

		if (getpeername(fd, (struct sockaddr *)&sin, &len) != 0 ||
		    sin.sin_family != AF_INET ||
		    ntohs(sin.sin_port) != srv.port)
			continue;
		found++;
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	}
	assert_true(found >= 1);
	harness_result_dispose(&r);
	harness_probe_free(p);
	loop_free(l);
}

/* Pooled handles carry nothing from one probe to the next: not the
 * method, the body or the headers, whether the probes share a shape (same
 * method and body length) or not. */
static void
test_http_handle_reuse_isolated(void **state)
{
	struct loop *l = loop_create();
	struct probe *a = http_probe("/echo", json_pack("{s:s, s:s, s:{s:s}}",
	    "method", "PUT", "body", "one", "headers", "X-A", "1"), 5);
	struct probe *b = http_probe("/echo", json_pack("{s:s, s:s, s:{s:s}}",
	    "method", "PUT", "body", "two", "headers", "X-B", "2"), 5);
	struct probe *c = http_probe("/echo", NULL, 5);
	struct probe *order[] = { a, b, c, a, c, b };
	static const char *const method[] = {
		"PUT", "PUT", "GET", "PUT", "GET", "PUT",
	};
	static const char *const body[] = {
		"one", "two", "", "one", "", "two",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(order); i++) {
		struct harness_result r;
		json_t *echo, *headers;

		run_on_loop(l, &order[i], 1, &r);
		assert_null(r.error);
		echo = json_object_get(r.fields, "body");
		headers = json_object_get(echo, "headers");
		assert_string_equal(field_str(echo, "method"), method[i]);
		assert_string_equal(field_str(echo, "body"), body[i]);
		assert_int_equal(json_object_get(headers, "x-a") != NULL,
		    order[i] == a);
		assert_int_equal(json_object_get(headers, "x-b") != NULL,
		    order[i] == b);
		harness_result_dispose(&r);
	}
	harness_probe_free(a);
	harness_probe_free(b);
	harness_probe_free(c);
	loop_free(l);
}

/* Probes of different URLs share a shape (so one handle serves them in
 * turn, without a reset): each request still goes to its own URL. */
static void
test_http_handle_reuse_url(void **state)
{
	struct loop *l = loop_create();
	struct probe *up = http_probe("/up", NULL, 5);
	struct probe *missing = http_probe("/status/404", NULL, 5);
	struct probe *order[] = { up, missing, up, missing };
	static const long status[] = { 200, 404, 200, 404 };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(order); i++) {
		struct harness_result r;

		run_on_loop(l, &order[i], 1, &r);
		assert_null(r.error);
		assert_int_equal(json_integer_value(json_object_get(r.fields,
		    "status")), status[i]);
		assert_string_equal(field_str(r.fields, "url"),
		    probe_param_str(order[i], "http", ""));
		harness_result_dispose(&r);
	}
	harness_probe_free(up);
	harness_probe_free(missing);
	loop_free(l);
}

/* A cancelled transfer leaves the loop's curl state usable. */
static void
test_http_cancel_then_reuse(void **state)
{
	struct loop *l = loop_create();
	struct probe *slow = http_probe("/delay/2000", NULL, 0.3);
	struct probe *ok = http_probe("/json", NULL, 5);
	struct probe *both[2] = { slow, ok };
	struct harness_result r[2];

	(void)state;
	run_on_loop(l, both, 2, r);
	assert_string_equal(r[0].error, "timeout");
	assert_null(r[1].error);
	harness_result_dispose(&r[0]);
	harness_result_dispose(&r[1]);
	run_on_loop(l, &ok, 1, r);
	assert_null(r[0].error);
	assert_int_equal(json_integer_value(json_object_get(r[0].fields,
	    "status")), 200);
	harness_result_dispose(&r[0]);
	harness_probe_free(slow);
	harness_probe_free(ok);
	loop_free(l);
}

/* prepare() with params must fail, naming field, with needle in cause. */
static void
expect_bad(json_t *params, const char *field, const char *needle)
{
	struct probe p;
	char *cause = NULL;

	memset(&p, 0, sizeof(p));
	p.kind = &probe_kind_http;
	p.params = params;
	p.timeout = 1;
	assert_int_equal(probe_kind_http.prepare(&p, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, needle) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
	assert_non_null(p.err_field);
	assert_string_equal(p.err_field, field);
	assert_null(p.priv);
	free(cause);
	json_decref(params);
}

static void
test_http_prepare_errors(void **state)
{
	(void)state;
	expect_bad(json_pack("{s:s}", "http", "ftp://example.com/"), "http",
	    "scheme \"ftp\" is not supported");
	expect_bad(json_pack("{s:s}", "http", "example.com/up"), "http",
	    "start it with http:// or https://");
	expect_bad(json_pack("{s:s}", "http", "http://exa mple/"), "http",
	    "invalid URL");
	expect_bad(json_pack("{s:s, s:s}", "http", "http://x/", "method",
	    "GE T"), "method", "not an HTTP method");
	expect_bad(json_pack("{s:s, s:{s:s}}", "http", "http://x/",
	    "headers", "Bad Name", "v"), "headers", "not valid");
	expect_bad(json_pack("{s:s, s:{s:s}}", "http", "http://x/",
	    "headers", "X-A", "a\r\nX-B: b"), "headers", "line break");
	expect_bad(json_pack("{s:s, s:i}", "http", "http://x/", "max_body",
	    0), "max_body", "at least 1 byte");
}

/* libcurl's own answer: does url parse, with an http or https scheme? */
static int
curl_accepts(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int ok;

	assert_non_null(u);
	ok = strstr(url, "://") != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	    CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ==
	    CURLUE_OK && (strcmp(scheme, "http") == 0 ||
	    strcmp(scheme, "https") == 0);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

/* prepare() checks plain URLs without libcurl's parser: it must accept
 * exactly what libcurl accepts, over hosts, ports and path characters
 * near the edges of the plain form. */
static void
test_http_prepare_url_like_curl(void **state)
{
	static const char *const schemes[] = { "http://", "https://",
		"HTTP://", "ftp://", "http:/", "" };
	static const char *const hosts[] = { "127.0.0.1", "10.0.0.255",
		"256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.",
		"0.0.0.0", "localhost", "api.example.com", "a-b.c-d", "-a.b",
		"a-.b", "a..b", "a.b.", "x_y", "UPPER.Case", "svc1", "1a", "a.1",
		"a.b1", "[::1]", "user@host", "user:pw@host", "h\xc3\xa9", "",
		"a b", "0x7f.1", "999" };
	static const char *const ports[] = { "", ":1", ":80", ":65535",
		":65536", ":0", ":080", ":", ":99999", ":8a", ":123456" };
	static const char *const paths[] = { "", "/", "/up", "/a/b?c=d&e=f",
		"?q", "#f", "/%zz", "/%20", "/a b", "/\"q\"", "/<x>", "/a\\b",
		"/^", "/`", "/{}", "/|", "/~!$&'()*+,;=:@", "/\x7f", "/\x01",
		"/\xc3\xa9", "/a#b#c", "/[x]" };
	size_t a, b, c, d;
	char url[256];

	(void)state;
	for (a = 0; a < ARRAY_LEN(schemes); a++)
	for (b = 0; b < ARRAY_LEN(hosts); b++)
	for (c = 0; c < ARRAY_LEN(ports); c++)
	for (d = 0; d < ARRAY_LEN(paths); d++) {
		struct probe p;
		char *cause = NULL;
		int rc;

		snprintf(url, sizeof(url), "%s%s%s%s", schemes[a], hosts[b],
		    ports[c], paths[d]);
		memset(&p, 0, sizeof(p));
		p.kind = &probe_kind_http;
		p.params = json_pack("{s:s}", "http", url);
		if (p.params == NULL)
			continue;	/* not UTF-8: the loader rejects it */
		p.timeout = 1;
		rc = probe_kind_http.prepare(&p, &cause);
		if ((rc == 0) != curl_accepts(url))
			fail_msg("%s: prepare %s, libcurl %s", url,
			    rc == 0 ? "accepts" : "rejects",
			    rc == 0 ? "rejects" : "accepts");
		if (rc == 0)
			probe_kind_http.release(&p);
		free(cause);
		json_decref(p.params);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_json_body),
		cmocka_unit_test(test_http_text_body),
		cmocka_unit_test(test_http_headers_lower_case),
		cmocka_unit_test(test_http_repeated_headers),
		cmocka_unit_test(test_http_redirect_not_followed),
		cmocka_unit_test(test_http_redirect_followed),
		cmocka_unit_test(test_http_redirect_loop),
		cmocka_unit_test(test_http_error_statuses),
		cmocka_unit_test(test_http_request_headers),
		cmocka_unit_test(test_http_method_and_body),
		cmocka_unit_test(test_http_max_body),
		cmocka_unit_test(test_http_invalid_utf8),
		cmocka_unit_test(test_http_connection_refused),
		cmocka_unit_test(test_http_timeout),
		cmocka_unit_test(test_http_concurrent_delays),
		cmocka_unit_test(test_http_keepalive_and_fresh),
		cmocka_unit_test(test_http_idle_connection_closed),
		cmocka_unit_test(test_http_sockets_cloexec),
		cmocka_unit_test(test_http_handle_reuse_isolated),
		cmocka_unit_test(test_http_handle_reuse_url),
		cmocka_unit_test(test_http_cancel_then_reuse),
		cmocka_unit_test(test_http_prepare_errors),
		cmocka_unit_test(test_http_prepare_url_like_curl),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

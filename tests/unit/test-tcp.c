/* SPDX-License-Identifier: MIT */
/* Tests for the tcp probe kind against sockets the test opens itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-harness.h"

extern const struct probe_kind probe_kind_tcp;

/* A socket bound to a free loopback port, listening when asked; -1 when
 * the address family is not available here. */
static int
open_port(int family, int listening, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    (listening && listen(fd, 64) != 0) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static struct probe *
tcp_probe(const char *addr, double timeout)
{
	return harness_probe(&probe_kind_tcp, json_pack("{s:s}", "tcp", addr),
	    timeout);
}

static void
test_tcp_connected(void **state)
{
	struct harness_result r;
	struct probe *p;
	char addr[64];
	int port = 0, fd;

	(void)state;
	fd = open_port(AF_INET, 1, &port);
	assert_true(fd >= 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	p = tcp_probe(addr, 3);
	r = harness_run(p);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_true(json_is_true(json_object_get(r.fields, "connected")));
	assert_true(r.elapsed < 1.0);
	harness_result_dispose(&r);
	harness_probe_free(p);
	close(fd);
}

static void
test_tcp_localhost_name(void **state)
{
	struct harness_result r;
	struct probe *p;
	char addr[64];
	int port = 0, fd;

	(void)state;
	fd = open_port(AF_INET, 1, &port);
	assert_true(fd >= 0);
	snprintf(addr, sizeof(addr), "localhost:%d", port);
	p = tcp_probe(addr, 3);
	r = harness_run(p);
	assert_null(r.error);
	assert_true(json_is_true(json_object_get(r.fields, "connected")));
	harness_result_dispose(&r);
	harness_probe_free(p);
	close(fd);
}

static void
test_tcp_ipv6(void **state)
{
	struct harness_result r;
	struct probe *p;
	char addr[64];
	int port = 0, fd;

	(void)state;
	fd = open_port(AF_INET6, 1, &port);
	if (fd < 0)
		skip();
	snprintf(addr, sizeof(addr), "[::1]:%d", port);
	p = tcp_probe(addr, 3);
	r = harness_run(p);
	assert_null(r.error);
	assert_true(json_is_true(json_object_get(r.fields, "connected")));
	harness_result_dispose(&r);
	harness_probe_free(p);
	close(fd);
}

static void
test_tcp_refused(void **state)
{
	struct harness_result r;
	struct probe *p;
	char addr[64];
	int port = 0, fd;

	(void)state;
	/* Bound but not listening: the port is ours and nobody answers. */
	fd = open_port(AF_INET, 0, &port);
	assert_true(fd >= 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	p = tcp_probe(addr, 3);
	r = harness_run(p);
	assert_non_null(r.error);
	assert_string_equal(r.error, "connection_refused");
	assert_true(json_is_false(json_object_get(r.fields, "connected")));
	harness_result_dispose(&r);
	harness_probe_free(p);
	close(fd);
}

static void
test_tcp_dns_failure(void **state)
{
	struct harness_result r;
	struct probe *p;

	(void)state;
	/* .invalid never resolves (RFC 6761); with no reachable resolver the
	 * lookup may time out instead, which is the other honest answer. */
	p = tcp_probe("no-such-host.invalid:80", 3);
	r = harness_run(p);
	assert_non_null(r.error);
	if (strcmp(r.error, "timeout") != 0)
		assert_string_equal(r.error, "dns_failure");
	assert_true(json_is_false(json_object_get(r.fields, "connected")));
	harness_result_dispose(&r);
	harness_probe_free(p);
}

static void
expect_bad(const char *addr, const char *needle)
{
	struct probe p;
	char *cause = NULL;

	memset(&p, 0, sizeof(p));
	p.kind = &probe_kind_tcp;
	p.params = json_pack("{s:s}", "tcp", addr);
	p.timeout = 1;
	assert_int_equal(probe_kind_tcp.prepare(&p, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, needle) == NULL)
		fail_msg("\"%s\": cause \"%s\" lacks \"%s\"", addr, cause,
		    needle);
	assert_string_equal(p.err_field, "tcp");
	assert_null(p.priv);
	free(cause);
	json_decref(p.params);
}

static void
test_tcp_bad_address(void **state)
{
	(void)state;
	expect_bad("db.example", "missing the port");
	expect_bad("db.example:0", "1 to 65535");
	expect_bad("db.example:65536", "1 to 65535");
	expect_bad("db.example:http", "1 to 65535");
	expect_bad("db.example:+5", "1 to 65535");
	expect_bad(":5432", "not a host name");
	expect_bad("a b:5432", "not a host name");
	expect_bad("user@db:5432", "not a host name");
	expect_bad("::1:5432", "in brackets");
	expect_bad("[::1:5432", "missing ']'");
	expect_bad("[::1]5432", "expected ':PORT'");
	expect_bad("[db.example]:5432", "not an IPv6 address");
	expect_bad("[::1]", "missing the port");
}

static void
test_tcp_good_addresses(void **state)
{
	static const char *const good[] = {
		"db.example:5432", "10.0.0.1:1", "[2001:db8::1]:65535",
		"my_host-1.internal:22",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(good); i++) {
		struct probe *p = tcp_probe(good[i], 1);

		assert_non_null(p->priv);
		harness_probe_free(p);
	}
}

static void
on_complete(struct probe_run *run)
{
	(void)run;
}

/* Many probes on one long-lived loop: each connection is closed once its
 * probe is finished, so a poller does not pile up sockets. */
static void
test_tcp_closes_connections(void **state)
{
	struct loop *l = loop_create();
	struct probe *p;
	struct timeval tv = { 2, 0 };
	char addr[64], byte;
	int port, lfd, i;

	(void)state;
	lfd = open_port(AF_INET, 1, &port);
	assert_true(lfd >= 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	p = tcp_probe(addr, 3);
	for (i = 0; i < 20; i++) {
		struct probe_run run;
		json_t *out = json_object();
		int cfd;

		memset(&run, 0, sizeof(run));
		run.probe = p;
		run.loop = l;
		run.started = time_mono();
		run.deadline = run.started + 3;
		run.on_complete = on_complete;
		assert_int_equal(probe_kind_tcp.start(&run), 0);
		while (!run.completed && time_mono() < run.deadline)
			loop_run_once(l, 0.1);
		assert_true(run.completed);
		probe_kind_tcp.finish(&run, out);
		assert_null(run.error);
		assert_true(json_is_true(json_object_get(out, "connected")));
		json_decref(out);
		/* The probe's connection is in the backlog; the client must
		 * have closed it: EOF, not a 2 s wait. */
		cfd = accept(lfd, NULL, NULL);
		assert_true(cfd >= 0);
		setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		assert_int_equal(read(cfd, &byte, 1), 0);
		close(cfd);
		free(run.verdict_reason);
	}
	harness_probe_free(p);
	loop_free(l);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_connected),
		cmocka_unit_test(test_tcp_localhost_name),
		cmocka_unit_test(test_tcp_ipv6),
		cmocka_unit_test(test_tcp_refused),
		cmocka_unit_test(test_tcp_dns_failure),
		cmocka_unit_test(test_tcp_bad_address),
		cmocka_unit_test(test_tcp_good_addresses),
		cmocka_unit_test(test_tcp_closes_connections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Tests for the tls probe kind (and https in the http kind) against
 * testhttpd serving certificates made here with the openssl CLI. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "probe-harness.h"

extern const struct probe_kind probe_kind_tls;
extern const struct probe_kind probe_kind_http;

struct server {
	pid_t pid;
	int port;
};

static struct {
	char dir[64];
	int have_openssl;	/* certificates could be made */
	int have_expired;	/* an expired one too */
	struct server soon;	/* expires in 5 days */
	struct server later;	/* in 400 days */
	struct server expired;	/* expired 3 days ago */
	struct server plain;	/* no TLS at all */
} T;

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static char *
path_in(const char *name)
{
	return xasprintf("%s/%s", T.dir, name);
}

/* Runs argv (no shell) in the temp dir, output discarded; its exit code,
 * or -1. */
static int
run_cmd(const char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (chdir(T.dir) != 0)
			_exit(127);
		/* execvp does not write to argv; its type predates const. */
		execvp(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int
make_selfsigned(const char *name, const char *days)
{
	char key[64], cert[64];
	const char *argv[] = {
		"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
		"-days", days, "-subj", "/CN=localhost",
		"-addext", "subjectAltName=DNS:localhost",
		"-keyout", key, "-out", cert, NULL,
	};

	snprintf(key, sizeof(key), "%s.key", name);
	snprintf(cert, sizeof(cert), "%s.pem", name);
	return run_cmd(argv);
}

static void
utc_stamp(double t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y%m%d%H%M%SZ", &tm);
}

/* openssl req cannot back-date, openssl ca can: a self-signed
 * certificate valid from 30 days ago until 3 days ago. */
static int
make_expired(void)
{
	char start[32], end[32];
	const char *argv_req[] = {
		"openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
		"-subj", "/CN=expired.test", "-keyout", "expired.key",
		"-out", "expired.csr", NULL,
	};
	const char *argv_ca[] = {
		"openssl", "ca", "-batch", "-config", "ca.cnf", "-selfsign",
		"-keyfile", "expired.key", "-in", "expired.csr",
		"-startdate", start, "-enddate", end,
		"-out", "expired.pem", NULL,
	};
	static const char conf[] =
	    "[ ca ]\ndefault_ca = ca_default\n"
	    "[ ca_default ]\ndatabase = index.txt\nnew_certs_dir = .\n"
	    "serial = serial\ndefault_md = sha256\npolicy = policy_any\n"
	    "[ policy_any ]\ncommonName = supplied\n";
	static const struct {
		const char *name;
		const char *text;
	} files[] = {
		{ "ca.cnf", conf }, { "index.txt", "" }, { "serial", "01\n" },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(files); i++) {
		char *p = path_in(files[i].name);
		FILE *f = fopen(p, "w");

		free(p);
		if (f == NULL)
			return -1;
		fputs(files[i].text, f);
		fclose(f);
	}
	utc_stamp(time_now() - 30 * 86400.0, start, sizeof(start));
	utc_stamp(time_now() - 3 * 86400.0, end, sizeof(end));
	if (run_cmd(argv_req) != 0)
		return -1;
	return run_cmd(argv_ca);
}

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

/* Starts testhttpd, over TLS with name.pem/name.key when name is set. */
static int
server_start(struct server *s, const char *name)
{
	char *bin = testhttpd_path(), *port_file, *cert = NULL, *key = NULL;
	double until;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (bin == NULL) {
		fprintf(stderr, "test-tls: set TRIAGE_TESTHTTPD to the "
		    "testhttpd binary\n");
		return -1;
	}
	port_file = xasprintf("%s/%s.port", T.dir,
	    name != NULL ? name : "plain");
	if (name != NULL) {
		cert = xasprintf("%s/%s.pem", T.dir, name);
		key = xasprintf("%s/%s.key", T.dir, name);
	}
	s->pid = fork();
	if (s->pid == 0) {
		if (name != NULL)
			execl(bin, bin, "--port-file", port_file,
			    "--tls-cert", cert, "--tls-key", key,
			    (char *)NULL);
		else
			execl(bin, bin, "--port-file", port_file,
			    (char *)NULL);
		_exit(127);
	}
	until = time_mono() + 10;
	while (s->pid > 0 && time_mono() < until) {
		FILE *f = fopen(port_file, "r");
		int status;

		if (f != NULL) {
			int ok = fscanf(f, "%d", &s->port) == 1;

			fclose(f);
			if (ok) {
				rc = 0;
				break;
			}
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			s->pid = 0;
		sleep_ms(10);
	}
	unlink(port_file);
	free(port_file);
	free(cert);
	free(key);
	free(bin);
	return rc;
}

static void
server_stop(struct server *s)
{
	int status, i;

	if (s->pid <= 0)
		return;
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

static int
group_setup(void **state)
{
	const char *version[] = { "openssl", "version", NULL };

	(void)state;
	snprintf(T.dir, sizeof(T.dir), "/tmp/triage-test-tls-XXXXXX");
	if (mkdtemp(T.dir) == NULL)
		return -1;
	if (server_start(&T.plain, NULL) != 0)
		return -1;
	if (run_cmd(version) != 0) {
		fprintf(stderr, "test-tls: no openssl CLI; skipping the "
		    "certificate tests\n");
		return 0;
	}
	if (make_selfsigned("soon", "5") != 0 ||
	    make_selfsigned("later", "400") != 0 ||
	    server_start(&T.soon, "soon") != 0 ||
	    server_start(&T.later, "later") != 0)
		return -1;
	T.have_openssl = 1;
	if (make_expired() == 0 && server_start(&T.expired, "expired") == 0)
		T.have_expired = 1;
	else
		fprintf(stderr, "test-tls: openssl cannot make an expired "
		    "certificate here; skipping that test\n");
	return 0;
}

static int
group_teardown(void **state)
{
	static const char *const files[] = {
		"soon.pem", "soon.key", "later.pem", "later.key",
		"expired.pem", "expired.key", "expired.csr", "ca.cnf",
		"index.txt", "index.txt.attr", "index.txt.old", "serial",
		"serial.old", "01.pem",
	};
	size_t i;

	(void)state;
	server_stop(&T.soon);
	server_stop(&T.later);
	server_stop(&T.expired);
	server_stop(&T.plain);
	for (i = 0; i < ARRAY_LEN(files); i++) {
		char *p = path_in(files[i]);

		unlink(p);
		free(p);
	}
	if (rmdir(T.dir) != 0)
		fprintf(stderr, "test-tls: cannot remove %s: %s\n", T.dir,
		    strerror(errno));
	return 0;
}

static struct harness_result
run_tls(const char *addr, const char *servername)
{
	json_t *params = json_pack("{s:s}", "tls", addr);
	struct probe *p;
	struct harness_result r;

	if (servername != NULL)
		json_object_set_new(params, "servername",
		    json_string(servername));
	p = harness_probe(&probe_kind_tls, params, 5);
	r = harness_run(p);
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

static double
field_time(json_t *obj, const char *key)
{
	const char *s = field_str(obj, key);
	double t;

	assert_int_equal(strlen(s), 20);
	assert_int_equal(s[19], 'Z');
	assert_int_equal(time_parse_iso8601(s, &t), 0);
	return t;
}

static void
test_tls_expires_soon(void **state)
{
	char addr[64];
	struct harness_result r;
	double days, now = time_now();

	(void)state;
	if (!T.have_openssl)
		skip();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", T.soon.port);
	r = run_tls(addr, NULL);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_WARNING);
	assert_string_equal(r.verdict_reason,
	    "certificate expires in 5 days");
	days = json_real_value(json_object_get(r.fields, "days_left"));
	assert_true(days > 4.99 && days <= 5.0);
	assert_non_null(strstr(field_str(r.fields, "subject"),
	    "CN=localhost"));
	assert_non_null(strstr(field_str(r.fields, "issuer"),
	    "CN=localhost"));
	assert_true(fabs(field_time(r.fields, "not_after") -
	    (now + 5 * 86400.0)) < 300);
	assert_true(fabs(field_time(r.fields, "not_before") - now) < 300);
	harness_result_dispose(&r);
}

static void
test_tls_servername(void **state)
{
	char addr[64];
	struct harness_result r;

	(void)state;
	if (!T.have_openssl)
		skip();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", T.soon.port);
	r = run_tls(addr, "localhost");
	assert_null(r.error);
	assert_non_null(strstr(field_str(r.fields, "subject"),
	    "CN=localhost"));
	harness_result_dispose(&r);
}

static void
test_tls_valid(void **state)
{
	char addr[64];
	struct harness_result r;
	double days;

	(void)state;
	if (!T.have_openssl)
		skip();
	snprintf(addr, sizeof(addr), "localhost:%d", T.later.port);
	r = run_tls(addr, NULL);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_OK);
	assert_null(r.verdict_reason);
	days = json_real_value(json_object_get(r.fields, "days_left"));
	assert_true(days > 399 && days <= 400);
	harness_result_dispose(&r);
}

static void
test_tls_expired(void **state)
{
	char addr[64];
	struct harness_result r;
	double days;

	(void)state;
	if (!T.have_expired)
		skip();
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", T.expired.port);
	r = run_tls(addr, NULL);
	assert_null(r.error);
	assert_int_equal(r.verdict, STATE_CRITICAL);
	assert_string_equal(r.verdict_reason,
	    "certificate expired 3 days ago");
	days = json_real_value(json_object_get(r.fields, "days_left"));
	assert_true(days > -3.01 && days < -2.99);
	assert_non_null(strstr(field_str(r.fields, "subject"),
	    "CN=expired.test"));
	harness_result_dispose(&r);
}

static void
test_tls_not_tls(void **state)
{
	char addr[64];
	struct harness_result r;

	(void)state;
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", T.plain.port);
	r = run_tls(addr, NULL);
	assert_non_null(r.error);
	if (!str_has_prefix(r.error, "tls_error: "))
		fail_msg("reason \"%s\"", r.error);
	assert_null(json_object_get(r.fields, "days_left"));
	harness_result_dispose(&r);
}

static void
test_tls_refused(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char addr[64];
	struct harness_result r;

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sin.sin_port));
	r = run_tls(addr, NULL);
	assert_non_null(r.error);
	assert_string_equal(r.error, "connection_refused");
	harness_result_dispose(&r);
	close(fd);
}

static void
expect_bad(json_t *params, const char *field, const char *needle)
{
	struct probe p;
	char *cause = NULL;

	memset(&p, 0, sizeof(p));
	p.kind = &probe_kind_tls;
	p.params = params;
	p.timeout = 1;
	assert_int_equal(probe_kind_tls.prepare(&p, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, needle) == NULL)
		fail_msg("cause \"%s\" lacks \"%s\"", cause, needle);
	assert_string_equal(p.err_field, field);
	assert_null(p.priv);
	free(cause);
	json_decref(params);
}

static void
test_tls_prepare(void **state)
{
	struct probe *p;

	(void)state;
	/* The port defaults to 443. */
	p = harness_probe(&probe_kind_tls, json_pack("{s:s}", "tls",
	    "www.example.test"), 1);
	assert_non_null(p->priv);
	harness_probe_free(p);
	p = harness_probe(&probe_kind_tls, json_pack("{s:s, s:s}", "tls",
	    "[::1]:8443", "servername", "www.example.test"), 1);
	assert_non_null(p->priv);
	harness_probe_free(p);
	expect_bad(json_pack("{s:s}", "tls", "www.example.test:0"), "tls",
	    "1 to 65535");
	expect_bad(json_pack("{s:s}", "tls", "https://www.example.test/"),
	    "tls", "not a URL");
	expect_bad(json_pack("{s:s, s:s}", "tls", "127.0.0.1",
	    "servername", "a/b"), "servername", "not a host name");
}

static struct harness_result
run_https(int port, json_t *extra)
{
	char *u = xasprintf("https://localhost:%d/json", port);
	json_t *params = json_pack("{s:s}", "http", u);
	struct probe *p;
	struct harness_result r;

	free(u);
	if (extra != NULL)
		json_object_update_new(params, extra);
	p = harness_probe(&probe_kind_http, params, 5);
	r = harness_run(p);
	harness_probe_free(p);
	return r;
}

static void
test_https_verification(void **state)
{
	struct harness_result r;
	char *ca;

	(void)state;
	if (!T.have_openssl)
		skip();
	/* A self-signed certificate fails verification by default... */
	r = run_https(T.later.port, NULL);
	assert_non_null(r.error);
	if (!str_has_prefix(r.error, "tls_error: "))
		fail_msg("reason \"%s\"", r.error);
	harness_result_dispose(&r);

	/* ...passes with insecure... */
	r = run_https(T.later.port, json_pack("{s:b}", "insecure", 1));
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 200);
	assert_string_equal(field_str(json_object_get(r.fields, "body"),
	    "status"), "ok");
	harness_result_dispose(&r);

	/* ...and verifies against its own certificate as the CA. */
	ca = path_in("later.pem");
	r = run_https(T.later.port, json_pack("{s:s}", "cacert", ca));
	assert_null(r.error);
	assert_int_equal(json_integer_value(json_object_get(r.fields,
	    "status")), 200);
	harness_result_dispose(&r);
	free(ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_expires_soon),
		cmocka_unit_test(test_tls_servername),
		cmocka_unit_test(test_tls_valid),
		cmocka_unit_test(test_tls_expired),
		cmocka_unit_test(test_tls_not_tls),
		cmocka_unit_test(test_tls_refused),
		cmocka_unit_test(test_tls_prepare),
		cmocka_unit_test(test_https_verification),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

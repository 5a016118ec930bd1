/* SPDX-License-Identifier: MIT */
/* Tests for the HTTP server (http-server.c): the bearer token (read from a
 * file, refused when short or readable by others, generated 0600 when
 * missing), and requests through a real socket to a server on a loop:
 * routes, HEAD, 404 and 405 with Allow, 401 and 403 on a mutating route,
 * the body handed to the handler, the security headers, and a listen
 * address beyond loopback refused without an explicit token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "http-server.h"
#include "loop.h"
#include "util/fsutil.h"
#include "util/xmalloc.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/triage-test-httpd.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A token file: its first line, trimmed; refused when short or when group
 * or others may read it, and the message never holds the token. */
static void
test_token_file(void **state)
{
	char *dir = tmpdir(), *file = xasprintf("%s/t", dir);
	char *token = NULL, *path = NULL, *err = NULL;

	(void)state;
	write_file(file, "  " TOKEN "  \nsecond line\n", 0600);
	assert_int_equal(httpd_token_load(file, dir, &token, &path, &err), 0);
	assert_string_equal(token, TOKEN);
	free(token);
	free(path);
	path = NULL;

	write_file(file, TOKEN "\n", 0644);
	assert_int_equal(httpd_token_load(file, dir, &token, &path, &err), -1);
	assert_non_null(strstr(err, file));
	assert_null(strstr(err, TOKEN));
	free(err);
	free(path);
	path = NULL;

	write_file(file, "short\n", 0600);
	assert_int_equal(httpd_token_load(file, dir, &token, &path, &err), -1);
	assert_non_null(strstr(err, "16"));
	assert_null(strstr(err, "short"));
	free(err);
	free(path);
	free(file);
	assert_int_equal(fs_remove_tree(dir), 0);
	free(dir);
}

/* No file: generated into dir/token (the directories made 0700), 0600,
 * 64 hex digits; the next start reads the same one. */
static void
test_token_generated(void **state)
{
	char *dir = tmpdir(), *state_dir = xasprintf("%s/a/b", dir);
	char *token = NULL, *again = NULL, *path = NULL, *err = NULL;
	struct stat st;
	size_t i;

	(void)state;
	assert_int_equal(httpd_token_load(NULL, state_dir, &token, &path,
	    &err), 0);
	assert_int_equal(strlen(token), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", token[i]));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(state_dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(path);
	assert_int_equal(httpd_token_load(NULL, state_dir, &again, &path,
	    &err), 0);
	assert_string_equal(again, token);
	free(again);
	free(token);
	free(path);
	free(state_dir);
	assert_int_equal(fs_remove_tree(dir), 0);
	free(dir);
}

/*
 * Requests through a socket: the server runs on a loop in this thread, a
 * client thread makes the requests with libcurl.
 */

static void
route_get(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	(void)arg;
	(void)req;
	res->status = 200;
	res->body = xstrdup("{\"ok\":true}");
	res->len = strlen(res->body);
}

/* Echoes the body it was given. */
static void
route_post(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	(void)arg;
	res->status = 200;
	res->body = xmalloc(req->body_len + 1);
	memcpy(res->body, req->body, req->body_len + 1);
	res->len = req->body_len;
}

static const struct httpd_route routes[] = {
	{ "GET", "/x", 0, route_get },
	{ "POST", "/m", HTTPD_AUTH, route_post },
	{ NULL, NULL, 0, NULL },
};

struct text {
	char s[2048];
	size_t len;
};

struct reply {
	long status;
	struct text body;
	struct text headers;
};

struct client {
	unsigned short port;
	struct reply r[8];
	atomic_int done;
};

/* libcurl's write and header callback: appends to a struct text. */
static size_t
on_text(char *p, size_t size, size_t n, void *arg)
{
	struct text *t = arg;
	size_t k = size * n;

	if (t->len + k < sizeof(t->s)) {
		memcpy(t->s + t->len, p, k);
		t->len += k;
		t->s[t->len] = '\0';
	}
	return k;
}

static void
request(struct client *c, struct reply *r, const char *method,
    const char *path, const char *auth, const char *body)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = NULL;
	char *url = xasprintf("http://127.0.0.1:%u%s", c->port, path);

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_text);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_text);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &r->headers);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (auth != NULL) {
		char *line = xasprintf("Authorization: Bearer %s", auth);

		h = curl_slist_append(h, line);
		free(line);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	}
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	free(url);
}

static void *
client_main(void *arg)
{
	struct client *c = arg;

	request(c, &c->r[0], "GET", "/x", NULL, NULL);
	request(c, &c->r[1], "HEAD", "/x", NULL, NULL);
	request(c, &c->r[2], "GET", "/nope", NULL, NULL);
	request(c, &c->r[3], "DELETE", "/x", NULL, NULL);
	request(c, &c->r[4], "POST", "/m", NULL, "{\"a\":1}");
	request(c, &c->r[5], "POST", "/m", "not-the-token-at-all", "{\"a\":1}");
	request(c, &c->r[6], "POST", "/m", TOKEN, "{\"a\":1}");
	atomic_store(&c->done, 1);
	return NULL;
}

static const char *
error_code(const struct reply *r, json_t **doc)
{
	*doc = json_loads(r->body.s, 0, NULL);
	assert_non_null(*doc);
	return json_string_value(json_object_get(json_object_get(*doc,
	    "error"), "code"));
}

static void
test_requests(void **state)
{
	struct loop *l = loop_create();
	struct httpd_opts o = { 0 };
	struct httpd *h = NULL;
	struct client *c = xcalloc(1, sizeof(*c));
	char *err = NULL;
	pthread_t t;
	json_t *doc;

	(void)state;
	o.listen = "127.0.0.1:0";
	o.token = TOKEN;
	o.routes = routes;
	assert_int_equal(httpd_start(l, &o, &h, &err), 0);
	c->port = httpd_port(h);
	assert_true(c->port > 0);
	assert_int_equal(pthread_create(&t, NULL, client_main, c), 0);
	while (!atomic_load(&c->done))
		loop_run_once(l, 0.05);
	pthread_join(t, NULL);

	assert_int_equal(c->r[0].status, 200);
	assert_string_equal(c->r[0].body.s, "{\"ok\":true}");
	assert_non_null(strstr(c->r[0].headers.s, "Content-Security-Policy: "
	    "default-src 'none'"));
	assert_non_null(strstr(c->r[0].headers.s,
	    "X-Content-Type-Options: nosniff"));
	assert_null(strstr(c->r[0].headers.s, "Access-Control-Allow-Origin"));

	/* HEAD: GET's headers, its length too, and no body (once this
	 * freed the body twice and aborted the daemon). */
	assert_int_equal(c->r[1].status, 200);
	assert_int_equal(c->r[1].body.len, 0);
	assert_non_null(strstr(c->r[1].headers.s, "Content-Length: 11"));

	assert_int_equal(c->r[2].status, 404);
	assert_string_equal(error_code(&c->r[2], &doc), "not_found");
	json_decref(doc);

	assert_int_equal(c->r[3].status, 405);
	assert_string_equal(error_code(&c->r[3], &doc), "method_not_allowed");
	json_decref(doc);
	assert_non_null(strstr(c->r[3].headers.s, "Allow: GET, HEAD"));

	assert_int_equal(c->r[4].status, 401);
	assert_string_equal(error_code(&c->r[4], &doc), "unauthorized");
	json_decref(doc);
	assert_non_null(strstr(c->r[4].headers.s, "WWW-Authenticate: Bearer"));
	assert_int_equal(c->r[5].status, 403);
	assert_string_equal(error_code(&c->r[5], &doc), "forbidden");
	json_decref(doc);
	assert_int_equal(c->r[6].status, 200);
	assert_string_equal(c->r[6].body.s, "{\"a\":1}");

	httpd_stop(h);
	loop_free(l);
	free(c);
}

/* Beyond loopback only with a token the operator gave. */
static void
test_listen_beyond_loopback(void **state)
{
	struct loop *l = loop_create();
	struct httpd_opts o = { 0 };
	struct httpd *h = NULL;
	char *err = NULL;

	(void)state;
	o.listen = "0.0.0.0:0";
	o.token = TOKEN;
	o.routes = routes;
	assert_int_equal(httpd_start(l, &o, &h, &err), -1);
	assert_non_null(strstr(err, "0.0.0.0"));
	free(err);
	err = NULL;
	o.token_explicit = 1;
	assert_int_equal(httpd_start(l, &o, &h, &err), 0);
	httpd_stop(h);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_token_generated),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_listen_beyond_loopback),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}

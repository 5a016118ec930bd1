/* SPDX-License-Identifier: MIT */
/* The `http` probe kind: one HTTP(S) request through libcurl on the loop. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib-curl.h"
#include "net.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

#ifndef TRIAGE_VERSION
#define TRIAGE_VERSION "dev"
#endif

#define HTTP_MAX_REDIRS 10L
/* Header bytes kept per response; more are dropped. */
#define HTTP_HEAD_MAX (256u * 1024u)
/* curl's own timeout is only a safety net behind the engine's. */
#define HTTP_TIMEOUT_SLACK 1.0

/* What prepare() compiles from the probe's keys. */
struct http_conf {
	const char *url;	/* borrowed from p->params */
	char *method;		/* upper case; NULL: GET (POST with a body) */
	const char *body;	/* borrowed; NULL: none */
	size_t body_len;
	struct curl_slist *headers;	/* or &http_default_headers */
	size_t max_body;
	int follow;
	int insecure;
	const char *cacert;	/* borrowed; NULL: the system's */
	int fresh;
	int post;		/* sends a body (POSTFIELDS) */
	struct net_shape shape;	/* for net_easy_get */
};

/* One run's state. */
struct http_run {
	struct probe_run *run;
	const struct http_conf *conf;
	struct net *net;
	CURL *easy;
	struct buf body;
	struct buf head;	/* the last response's header lines */
};

static const struct field_spec http_fields[] = {
	{ "http", FIELD_STRING, FIELD_REQUIRED,
	    "the URL to request (http:// or https://)" },
	{ "method", FIELD_STRING, 0,
	    "request method: GET, or POST when there is a body" },
	{ "headers", FIELD_MAP, 0, "request headers, name: value" },
	{ "body", FIELD_STRING, 0, "the request body" },
	{ "follow", FIELD_BOOL, 0, "follow redirects (at most 10)" },
	{ "max_body", FIELD_SIZE, 0,
	    "response body bytes kept (default 1MiB); the rest is cut" },
	{ "insecure", FIELD_BOOL, 0, "do not verify the TLS certificate" },
	{ "cacert", FIELD_STRING, 0, "CA bundle file to verify the server" },
	{ "fresh", FIELD_BOOL, 0,
	    "use a new connection and close it afterwards" },
	{ NULL, FIELD_STRING, 0, NULL },
};

/* The request headers of every probe that sets none: one list, never
 * changed (curl only reads it), instead of a copy per probe. */
static char http_default_agent[] = "User-Agent: triage/" TRIAGE_VERSION;
static struct curl_slist http_default_headers = { http_default_agent, NULL };

static void
http_conf_free(struct http_conf *c)
{
	if (c == NULL)
		return;
	free(c->method);
	if (c->headers != &http_default_headers)
		sym_curl_slist_free_all(c->headers);
	net_shape_dispose(&c->shape);
	free(c);
}

/* A dotted-quad IPv4 address, s[0..n): four numbers 0-255 without
 * leading zeros. */
static int
http_is_ipv4(const char *s, size_t n)
{
	size_t i = 0, parts = 0;

	while (i < n && parts < 4) {
		size_t start = i;
		unsigned v = 0;

		while (i < n && i - start < 4 && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || i - start > 3 || v > 255 ||
		    (s[start] == '0' && i - start > 1))
			return 0;
		parts++;
		if (i < n && (s[i++] != '.' || i == n))
			return 0;
	}
	return parts == 4 && i == n;
}

/* An ASCII letter or digit, whatever the locale. */
static int
http_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* A host name s[0..n): labels of letters, digits and inner dashes, the
 * last one starting with a letter (so that it is no IPv4 address). */
static int
http_is_plain_host(const char *s, size_t n)
{
	size_t i, label = 0, last = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == label || i - label > 63 || s[i - 1] == '-')
				return 0;
			last = label;
			label = i + 1;
		} else if (!http_is_alnum(s[i]) && (s[i] != '-' ||
		    i == label)) {
			return 0;
		}
	}
	return http_is_alnum(s[last]) && !(s[last] >= '0' && s[last] <= '9');
}

/* Whether url is an http or https URL of the plain kind that libcurl's
 * parser accepts as it is: "http://" or "https://", a host name or IPv4
 * address, an optional port from 1 to 65535, and a path, query and
 * fragment of printable ASCII but for space and "<>\^`{|}. Anything
 * else (user info, IPv6, other characters) goes to libcurl. */
static int
http_url_is_plain(const char *url)
{
	const char *host, *end, *p;
	size_t len;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else
		return 0;
	len = strcspn(host, ":/?#");
	if (!http_is_ipv4(host, len) && !http_is_plain_host(host, len))
		return 0;
	end = host + len;
	if (*end == ':') {
		size_t digits = strspn(end + 1, "0123456789");
		unsigned long port = 0;

		if (digits == 0 || digits > 5 || end[1] == '0')
			return 0;
		for (p = end + 1; p < end + 1 + digits; p++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535 || (*p != '\0' && strchr("/?#", *p) == NULL))
			return 0;
		end = p;
	}
	for (p = end; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c) != NULL)
			return 0;
	}
	return 1;
}

/* The URL must parse and be http or https. libcurl's parser decides,
 * except for plain URLs, which it would accept: most URLs of a runbook,
 * checked here at a fraction of the cost. */
static int
http_check_url(const char *url, char **cause)
{
	CURLU *u;
	CURLUcode uc;
	char *scheme = NULL;
	int rc = -1;

	if (http_url_is_plain(url))
		return 0;
	u = sym_curl_url();
	if (u == NULL) {
		*cause = xstrdup("out of memory");
		return -1;
	}
	if (strstr(url, "://") == NULL) {
		*cause = xasprintf("\"%s\" is not a URL: start it with "
		    "http:// or https://", url);
		goto out;
	}
	uc = sym_curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
	if (uc != CURLUE_OK) {
		*cause = xasprintf("invalid URL \"%s\": %s", url,
		    sym_curl_url_strerror(uc));
		goto out;
	}
	if (sym_curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		*cause = xasprintf("URL scheme \"%s\" is not supported: use "
		    "http:// or https://", scheme != NULL ? scheme : "");
		goto out;
	}
	rc = 0;
out:
	sym_curl_free(scheme);
	sym_curl_url_cleanup(u);
	return rc;
}

/* A header name is an HTTP token. */
static int
http_is_token(const char *s)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	}
	return 1;
}

static int
http_add_header(struct http_conf *c, const char *line, char **cause)
{
	struct curl_slist *l = sym_curl_slist_append(c->headers, line);

	if (l == NULL) {
		*cause = xstrdup("out of memory");
		return -1;
	}
	c->headers = l;
	return 0;
}

/* The request headers as curl's list, with our User-Agent unless the
 * runbook gives one (a header line costs curl less than CURLOPT_USERAGENT,
 * which it formats anew for every request). */
static int
http_build_headers(struct probe *p, struct http_conf *c, char **cause)
{
	json_t *headers = probe_param(p, "headers"), *v;
	const char *name;
	int have_agent = 0;

	json_object_foreach(headers, name, v) {
		const char *value = json_is_string(v) ? json_string_value(v) :
		    "";
		char *line;

		if (!http_is_token(name)) {
			*cause = xasprintf("header name \"%s\" is not valid",
			    name);
			return -1;
		}
		if (strpbrk(value, "\r\n") != NULL) {
			*cause = xasprintf("header \"%s\" has a line break "
			    "in its value", name);
			return -1;
		}
		if (strcasecmp(name, "User-Agent") == 0)
			have_agent = 1;
		/* "Name;" is curl's way to send a header with no value. */
		if (*value == '\0')
			line = xasprintf("%s;", name);
		else
			line = xasprintf("%s: %s", name, value);
		if (http_add_header(c, line, cause) != 0) {
			free(line);
			return -1;
		}
		free(line);
	}
	if (have_agent)
		return 0;
	if (c->headers == NULL) {
		c->headers = &http_default_headers;
		return 0;
	}
	return http_add_header(c, http_default_agent, cause);
}

/* What http_setup sets, as a key: probes with equal keys can share an
 * easy handle without a reset. The URL, the header list and the body are
 * set for every run, so only the body's length counts, and probes of
 * different URLs share handles. Like snprintf: the key's length. */
static int
http_shape_key(const struct http_conf *c, char *out, size_t size)
{
	return snprintf(out, size, "http %s %d:%zu %d%d%d %s", c->method !=
	    NULL ? c->method : "-", c->post, c->body_len, c->follow,
	    c->insecure, c->fresh, c->cacert != NULL ? c->cacert : "");
}

static void
http_build_shape(struct http_conf *c)
{
	char small[128], *key = small;
	int n = http_shape_key(c, small, sizeof(small));

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(small)) {
		key = xmalloc((size_t)n + 1);
		http_shape_key(c, key, (size_t)n + 1);
	}
	net_shape_init(&c->shape, key, (size_t)n);
	if (key != small)
		free(key);
}

static int
http_prepare(struct probe *p, char **cause)
{
	struct http_conf *c;
	const char *method = probe_param_str(p, "method", NULL);
	json_t *body = probe_param(p, "body");
	double max_body;
	size_t i;

	if (probe_need_lib(p, lib_curl_load, cause) != 0)
		return -1;
	c = xcalloc(1, sizeof(*c));
	c->url = probe_param_str(p, "http", NULL);
	if (c->url == NULL) {
		*cause = xstrdup("http needs a URL");
		p->err_field = "http";
		goto fail;
	}
	if (http_check_url(c->url, cause) != 0) {
		p->err_field = "http";
		goto fail;
	}
	if (method != NULL) {
		size_t len = strlen(method);

		c->method = xstrdup(method);
		for (i = 0; i < len; i++) {
			if (!isalpha((unsigned char)method[i]))
				break;
			c->method[i] = (char)toupper((unsigned char)method[i]);
		}
		if (len == 0 || len > 32 || i != len) {
			*cause = xasprintf("method \"%s\" is not an HTTP "
			    "method (GET, HEAD, POST, PUT, ...)", method);
			p->err_field = "method";
			goto fail;
		}
	}
	if (json_is_string(body)) {
		c->body = json_string_value(body);
		c->body_len = json_string_length(body);
	}
	if (http_build_headers(p, c, cause) != 0) {
		p->err_field = "headers";
		goto fail;
	}
	max_body = probe_param_num(p, "max_body", (double)PROBE_BODY_MAX);
	if (max_body < 1 || max_body > (double)SIZE_MAX / 2) {
		*cause = xstrdup("max_body must be at least 1 byte");
		p->err_field = "max_body";
		goto fail;
	}
	c->max_body = (size_t)max_body;
	c->follow = probe_param_bool(p, "follow", 0);
	c->insecure = probe_param_bool(p, "insecure", 0);
	c->cacert = probe_param_str(p, "cacert", NULL);
	c->fresh = probe_param_bool(p, "fresh", 0);
	c->post = c->body != NULL ||
	    (c->method != NULL && strcmp(c->method, "POST") == 0);
	if (c->method != NULL && strcmp(c->method, "HEAD") == 0)
		c->post = 0;
	http_build_shape(c);
	p->priv = c;
	return 0;
fail:
	http_conf_free(c);
	return -1;
}

static void
http_release(struct probe *p)
{
	http_conf_free(p->priv);
	p->priv = NULL;
}

/* Keeps the body up to max_body; past it the transfer is aborted (curl
 * then reports a write error, which on_done takes as success). */
static size_t
http_on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_run *hr = arg;
	size_t n = size * nmemb;

	if (buf_append(&hr->body, ptr, n) != 0)
		return 0;
	return n;
}

/* Keeps the header lines of the last response: a status line starts a new
 * one (after a redirect, a 100 Continue or a proxy's CONNECT). */
static size_t
http_on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_run *hr = arg;
	size_t n = size * nmemb;

	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		buf_reset(&hr->head);
	else
		buf_append(&hr->head, ptr, n);
	return n;
}

static void
http_on_done(void *arg, CURLcode rc)
{
	struct http_run *hr = arg;
	struct probe_run *run = hr->run;
	long status = 0;
	char reason[CURL_ERROR_SIZE + 64];

	if (rc == CURLE_WRITE_ERROR && hr->body.truncated)
		rc = CURLE_OK;
	sym_curl_easy_getinfo(hr->easy, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		probe_run_error(run, "%s",
		    net_reason(hr->easy, rc, reason, sizeof(reason)));
	else if (status >= 200 && status <= 399)
		probe_run_verdict(run, STATE_OK, NULL);
	else
		probe_run_verdict(run, STATE_CRITICAL, "http_%ld", status);
	probe_run_complete(run);
}

/* The options that the shape stands for; a handle that net_easy_get hands
 * back as reused still has them. */
static void
http_setup(const struct http_conf *c, CURL *e)
{
	const char *m = c->method;

	sym_curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	sym_curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
	if (c->follow) {
		/* prepare() checked the URL's scheme; redirects need a limit
		 * of their own. */
		sym_curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		sym_curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
		sym_curl_easy_setopt(e, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRS);
	}
	if (m != NULL && strcmp(m, "HEAD") == 0) {
		sym_curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (c->post) {
		sym_curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)c->body_len);
		if (m != NULL && strcmp(m, "POST") != 0)
			sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	} else if (m != NULL && strcmp(m, "GET") != 0) {
		sym_curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	}
	if (c->insecure) {
		sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		sym_curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->cacert != NULL)
		sym_curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
	if (c->fresh) {
		sym_curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		sym_curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
}

static void
http_run_free(struct http_run *hr)
{
	net_easy_put(hr->net, hr->easy);
	buf_dispose(&hr->body);
	buf_dispose(&hr->head);
	free(hr);
}

static int
http_start(struct probe_run *run)
{
	struct http_run *hr = xcalloc(1, sizeof(*hr));
	double timeout = run->deadline > run->started ?
	    run->deadline - run->started : run->probe->timeout;
	char *cause = NULL;
	int reused;

	hr->run = run;
	hr->conf = run->probe->priv;
	hr->net = net_get(run->loop);
	hr->easy = net_easy_get(hr->net, &hr->conf->shape, &reused);
	buf_init(&hr->body, hr->conf->max_body);
	buf_init(&hr->head, HTTP_HEAD_MAX);
	/* Most responses' header lines fit: one allocation, not several. */
	buf_reserve(&hr->head, 480);
	if (!reused)
		http_setup(hr->conf, hr->easy);
	/* Not in the shape (the URL), or borrowed pointers: a reused handle
	 * may still point at another probe's. */
	sym_curl_easy_setopt(hr->easy, CURLOPT_URL, hr->conf->url);
	sym_curl_easy_setopt(hr->easy, CURLOPT_HTTPHEADER, hr->conf->headers);
	if (hr->conf->post)
		sym_curl_easy_setopt(hr->easy, CURLOPT_POSTFIELDS,
		    hr->conf->body != NULL ? hr->conf->body : "");
	sym_curl_easy_setopt(hr->easy, CURLOPT_WRITEDATA, hr);
	sym_curl_easy_setopt(hr->easy, CURLOPT_HEADERDATA, hr);
	sym_curl_easy_setopt(hr->easy, CURLOPT_TIMEOUT_MS,
	    (long)((timeout + HTTP_TIMEOUT_SLACK) * 1000.0));
	if (net_add(hr->net, hr->easy, http_on_done, hr, &cause) != 0) {
		probe_run_error(run, "%s", cause);
		free(cause);
		http_run_free(hr);
		return -1;
	}
	run->priv = hr;
	return 0;
}

static void
http_cancel(struct probe_run *run)
{
	struct http_run *hr = run->priv;

	if (hr != NULL)
		net_remove(hr->net, hr->easy);
}

/* The body as a JSON string, each invalid UTF-8 byte replaced by U+FFFD. */
static json_t *
http_body_text(const char *data, size_t len)
{
	static const char repl[] = "\xef\xbf\xbd";
	const unsigned char *s = (const unsigned char *)data;
	json_t *t = json_stringn(data, len);
	struct buf b;
	size_t i = 0;

	if (t != NULL)
		return t;
	buf_init(&b, 0);
	while (i < len) {
		int n = utf8_seq_len(s + i, len - i);

		if (n <= 0) {
			buf_append(&b, repl, sizeof(repl) - 1);
			i++;
		} else {
			buf_append(&b, s + i, (size_t)n);
			i += (size_t)n;
		}
	}
	t = json_stringn(b.data != NULL ? b.data : "", b.len);
	buf_dispose(&b);
	return t != NULL ? t : json_string("");
}

/* http_header_add: one "Name: value" line (without its line end) into
 * obj: the name lower-cased in place, the value trimmed, a repeated name's
 * values joined with ", ". Lines without a colon are ignored. */
static void
http_header_add(json_t *obj, char *line, size_t len)
{
	char *colon = memchr(line, ':', len), *v, *end = line + len, *c;
	json_t *old, *val;
	int ascii = 1;

	if (colon == NULL || colon == line)
		return;
	*colon = '\0';
	for (c = line; c < colon; c++) {
		if ((unsigned char)*c >= 0x80)
			ascii = 0;
		*c = (char)tolower((unsigned char)*c);
	}
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	old = json_object_get(obj, line);
	if (old != NULL) {
		char *joined = xasprintf("%s, %.*s", json_string_value(old),
		    (int)(end - v), v);

		val = http_body_text(joined, strlen(joined));
		free(joined);
	} else {
		val = http_body_text(v, (size_t)(end - v));
	}
	/* A name that is not UTF-8 gets jansson's check (and is dropped). */
	if (ascii)
		json_object_set_new_nocheck(obj, line, val);
	else
		json_object_set_new(obj, line, val);
}

/* The final response's headers from the lines http_on_header kept. */
static json_t *
http_headers_json(struct buf *head)
{
	json_t *obj = json_object();
	char *p = head->data, *end = p + head->len;

	while (p != NULL && p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl != NULL ? nl : end;
		size_t len = (size_t)(stop - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		/* Folded continuation lines (obsolete) are not kept. */
		if (len > 0 && *p != ' ' && *p != '\t')
			http_header_add(obj, p, len);
		p = nl != NULL ? nl + 1 : end;
	}
	return obj;
}

/* Could s[0..n) be JSON? Only then is it worth parsing. */
static int
http_maybe_json(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i < n && strchr("{[\"-0123456789tfn", s[i]) != NULL;
}

static void
http_finish(struct probe_run *run, json_t *out)
{
	struct http_run *hr = run->priv;
	const char *data, *url = NULL, *redirect = NULL;
	long status = 0;
	json_t *text, *parsed = NULL;

	if (hr == NULL)
		return;
	net_remove(hr->net, hr->easy);
	sym_curl_easy_getinfo(hr->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status <= 0)
		goto out;
	json_object_set_new_nocheck(out, "status", json_integer(status));
	if (sym_curl_easy_getinfo(hr->easy, CURLINFO_EFFECTIVE_URL, &url) ==
	    CURLE_OK && url != NULL)
		json_object_set_new_nocheck(out, "url", http_body_text(url,
		    strlen(url)));
	json_object_set_new_nocheck(out, "headers",
	    http_headers_json(&hr->head));
	if (status >= 300 && status <= 399 &&
	    sym_curl_easy_getinfo(hr->easy, CURLINFO_REDIRECT_URL, &redirect) ==
	    CURLE_OK && redirect != NULL)
		json_object_set_new_nocheck(out, "redirect",
		    http_body_text(redirect, strlen(redirect)));
	data = hr->body.data != NULL ? hr->body.data : "";
	text = http_body_text(data, hr->body.len);
	if (!hr->body.truncated && http_maybe_json(data, hr->body.len))
		parsed = json_loadb(data, hr->body.len, JSON_DECODE_ANY, NULL);
	json_object_set_new_nocheck(out, "body", parsed != NULL ? parsed :
	    json_incref(text));
	json_object_set_new_nocheck(out, "body_text", text);
	json_object_set_new_nocheck(out, "truncated",
	    json_boolean(hr->body.truncated));
out:
	http_run_free(hr);
	run->priv = NULL;
}

/* curl with the same request: -i shows the status line and headers. */
static char *
http_manual(const struct probe *p)
{
	const char *method = probe_param_str(p, "method", NULL);
	const char *body = probe_param_str(p, "body", NULL);
	const char *cacert = probe_param_str(p, "cacert", NULL);
	json_t *headers = probe_param(p, "headers"), *v;
	const char *name;
	char upper[40];
	size_t i;
	struct buf b;

	upper[0] = '\0';
	for (i = 0; method != NULL && method[i] != '\0' &&
	    i < sizeof(upper) - 1; i++)
		upper[i] = (char)toupper((unsigned char)method[i]);
	upper[i] = '\0';
	buf_init(&b, 0);
	buf_puts(&b, strcmp(upper, "HEAD") == 0 ? "curl -sS -I" :
	    "curl -sS -i");
	if (upper[0] != '\0' && strcmp(upper, "HEAD") != 0 &&
	    strcmp(upper, body != NULL ? "POST" : "GET") != 0) {
		buf_puts(&b, " -X ");
		shquote_append(&b, upper);
	}
	json_object_foreach(headers, name, v) {
		const char *value = json_is_string(v) ? json_string_value(v) :
		    "";
		char *line = *value == '\0' ? xasprintf("%s;", name) :
		    xasprintf("%s: %s", name, value);

		buf_puts(&b, " -H ");
		shquote_append(&b, line);
		free(line);
	}
	if (body != NULL) {
		/* --data-raw: a body starting with @ is not a file name. */
		buf_puts(&b, " --data-raw ");
		shquote_append(&b, body);
	}
	if (probe_param_bool(p, "follow", 0))
		buf_puts(&b, " -L");
	if (probe_param_bool(p, "insecure", 0))
		buf_puts(&b, " -k");
	if (cacert != NULL) {
		buf_puts(&b, " --cacert ");
		shquote_append(&b, cacert);
	}
	buf_putc(&b, ' ');
	shquote_append(&b, probe_param_str(p, "http", ""));
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const http_results[] = {
	"status", "url", "headers", "redirect", "body", "body_text",
	"truncated", NULL,
};

const struct probe_kind probe_kind_http = {
	.name = "http",
	.alias = NULL,
	.fields = http_fields,
	.results = http_results,
	.flags = 0,
	.prepare = http_prepare,
	.release = http_release,
	.start = http_start,
	.cancel = http_cancel,
	.finish = http_finish,
	.manual = http_manual,
};

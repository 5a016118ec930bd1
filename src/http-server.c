/* SPDX-License-Identifier: MIT */
/* The daemon's HTTP server on libmicrohttpd, driven by our loop
 * (http-server.h). */
#include "http-server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "lib-mhd.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/sha256.h"

#define TOKEN_MIN 16

/* Sent with every answer. The dashboard's script and style are files of
 * ours (no inline code), so the policy needs no 'unsafe-inline'. */
static const char csp[] = "default-src 'none'; script-src 'self'; "
    "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

struct httpd {
	struct MHD_Daemon *mhd;
	struct loop *loop;
	struct loop_timer timer;
	int epfd;
	const struct httpd_route *routes;
	void *arg;
	char token_sha[SHA256_HEX_SIZE];	/* of the token */
	size_t max_body;
	unsigned short port;
};

/* One request's state between MHD's calls. */
struct req {
	struct buf body;
	int too_big;
};

void
httpd_error(struct httpd_response *res, int status, const char *code,
    const char *fmt, ...)
{
	char *message;
	json_t *doc;
	va_list ap;

	va_start(ap, fmt);
	message = xvasprintf(fmt, ap);
	va_end(ap);
	doc = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message",
	    message);
	free(res->body);
	res->status = status;
	res->content_type = "application/json";
	res->body = json_dumps(doc, JSON_COMPACT);
	res->len = strlen(res->body);
	json_decref(doc);
	free(message);
}

const char *
httpd_query(const struct httpd_request *req, const char *key)
{
	return sym_MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
	    key);
}

/* Queues res (which it frees) with the headers every answer carries. To a
 * HEAD request libmicrohttpd sends the headers of the body (its length
 * too) without the body. */
static enum MHD_Result
send_response(struct MHD_Connection *c, struct httpd_response *res,
    const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (res->status == 0 || res->body == NULL)
		httpd_error(res, 500, "internal", "the handler gave no answer");
	r = sym_MHD_create_response_from_buffer_with_free_callback(res->len,
	    res->body, free);
	res->body = NULL;
	if (r == NULL)
		return MHD_NO;
	sym_MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    res->content_type != NULL ? res->content_type :
	    "application/json");
	sym_MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    res->cache_control != NULL ? res->cache_control : "no-store");
	sym_MHD_add_response_header(r, "Content-Security-Policy", csp);
	sym_MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	sym_MHD_add_response_header(r, "X-Frame-Options", "DENY");
	sym_MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (allow != NULL)
		sym_MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (res->status == 401)
		sym_MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"triage\"");
	ok = sym_MHD_queue_response(c, (unsigned int)res->status, r);
	sym_MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *code,
    const char *message)
{
	struct httpd_response res = { 0 };

	httpd_error(&res, status, code, "%s", message);
	return send_response(c, &res, NULL);
}

/* Whether the request carries the token: SHA-256 of both compared in
 * constant time, so neither the length nor a prefix leaks. */
static int
authorized(const struct httpd *h, struct MHD_Connection *c)
{
	const char *v = sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	char sha[SHA256_HEX_SIZE];

	if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
		return 0;
	v += 7;
	while (*v == ' ')
		v++;
	sha256_hex(v, strlen(v), sha);
	return CRYPTO_memcmp(sha, h->token_sha, 64) == 0;
}

static const char *
remote_of(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = sym_MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	snprintf(out, n, "?");
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr, out, (socklen_t)n);
	return out;
}

/* Dispatches a complete request. */
static enum MHD_Result
dispatch(struct httpd *h, struct MHD_Connection *c, const char *url,
    const char *method, struct req *r)
{
	const struct httpd_route *route, *match = NULL;
	struct httpd_response res = { 0 };
	struct httpd_request req = { 0 };
	char remote[64], allow[64] = "";
	int head = strcmp(method, "HEAD") == 0, known = 0;

	for (route = h->routes; route->path != NULL; route++) {
		if (strcmp(route->path, url) != 0)
			continue;
		known = 1;
		if (strlen(allow) + strlen(route->method) + 8 < sizeof(allow)) {
			if (*allow != '\0')
				strncat(allow, ", ", sizeof(allow) -
				    strlen(allow) - 1);
			strncat(allow, route->method, sizeof(allow) -
			    strlen(allow) - 1);
			if (strcmp(route->method, "GET") == 0)
				strncat(allow, ", HEAD", sizeof(allow) -
				    strlen(allow) - 1);
		}
		if (strcmp(route->method, method) == 0 ||
		    (head && strcmp(route->method, "GET") == 0))
			match = route;
	}
	if (match == NULL && known) {
		httpd_error(&res, 405, "method_not_allowed", "%s is not "
		    "allowed on %s (allowed: %s)", method, url, allow);
		return send_response(c, &res, allow);
	}
	if (match == NULL) {
		httpd_error(&res, 404, "not_found", "no route %s %s", method,
		    url);
		return send_response(c, &res, NULL);
	}
	req.method = head ? "GET" : method;
	req.path = url;
	req.remote = remote_of(c, remote, sizeof(remote));
	req.authorized = authorized(h, c);
	req.body = r->body.data != NULL ? r->body.data : "";
	req.body_len = r->body.len;
	req.conn = c;
	if ((match->flags & HTTPD_AUTH) && !req.authorized) {
		if (sym_MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_AUTHORIZATION) == NULL)
			httpd_error(&res, 401, "unauthorized", "%s %s needs "
			    "Authorization: Bearer <token>", method, url);
		else
			httpd_error(&res, 403, "forbidden", "the token is "
			    "not valid");
		return send_response(c, &res, NULL);
	}
	res.status = 200;
	match->handle(h->arg, &req, &res);
	return send_response(c, &res, NULL);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	struct req *r = *con_cls;

	(void)version;
	if (r == NULL) {	/* the headers are in */
		const char *cl = sym_MHD_lookup_connection_value(c,
		    MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		r = xcalloc(1, sizeof(*r));
		buf_init(&r->body, h->max_body);
		*con_cls = r;
		/* Announced too big: answered now, never read. */
		if (cl != NULL && strtoull(cl, NULL, 10) > h->max_body) {
			r->too_big = 1;
			return send_error(c, 413, "payload_too_large",
			    "the request body is over the limit");
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!r->too_big && buf_append(&r->body, upload_data,
		    *upload_data_size) != 0) {
			r->too_big = 1;
			*upload_data_size = 0;
			return send_error(c, 413, "payload_too_large",
			    "the request body is over the limit");
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->too_big)
		return MHD_YES;	/* answered already */
	return dispatch(h, c, url, method, r);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r != NULL) {
		buf_dispose(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* MHD has work: run it, then wake again when it wants. */
static void run_mhd(struct httpd *h);

static void
on_epoll(void *arg, int fd, unsigned events)
{
	(void)fd;
	(void)events;
	run_mhd(arg);
}

static void
on_timer(void *arg)
{
	run_mhd(arg);
}

static void
run_mhd(struct httpd *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	sym_MHD_run(h->mhd);
	if (sym_MHD_get_timeout(h->mhd, &ms) == MHD_YES)
		loop_timer_after(h->loop, &h->timer, (double)ms / 1000);
	else
		loop_timer_stop(h->loop, &h->timer);
}

/* Parses "HOST:PORT" or "[V6]:PORT" into ss. */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss,
    socklen_t *len, int *loopback)
{
	char host[128];
	const char *colon;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');

		if (close == NULL || close[1] != ':' ||
		    (size_t)(close - listen - 1) >= sizeof(host))
			return -1;
		memcpy(host, listen + 1, (size_t)(close - listen - 1));
		host[close - listen - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
			return -1;
		memcpy(host, listen, (size_t)(colon - listen));
		host[colon - listen] = '\0';
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || colon[1] == '\0' || port > 65535)
		return -1;
	if (*host == '\0')
		snprintf(host, sizeof(host), "0.0.0.0");
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)(void *)ss)->
	    sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		*loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)(void *)ss)->
	    sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		return 0;
	}
	return -1;
}

/* The connection limit is only real if we have the descriptors for it. */
static void
raise_nofile(unsigned want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want + 64)
		return;
	rl.rlim_cur = rl.rlim_max < want + 64 ? rl.rlim_max : want + 64;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int
httpd_start(struct loop *l, const struct httpd_opts *o, struct httpd **out,
    char **err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int loopback = 0;
	unsigned max_conns = o->max_conns ? o->max_conns : HTTPD_MAX_CONNS;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	struct httpd *h;
	const char *why;

	*out = NULL;
	if (lib_mhd_load(&why) != 0) {
		*err = xasprintf("the HTTP server needs a library that cannot "
		    "be loaded: %s", why);
		return -1;
	}
	if (parse_listen(o->listen, &ss, &sslen, &loopback) != 0) {
		*err = xasprintf("--listen %s: write ADDRESS:PORT, e.g. "
		    "127.0.0.1:8070 or [::1]:8070", o->listen);
		return -1;
	}
	if (!loopback && !o->token_explicit) {
		*err = xasprintf("--listen %s is not a loopback address: "
		    "serving beyond this machine needs --token-file (a token "
		    "you chose and can hand out)", o->listen);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	raise_nofile(max_conns);
	h = xcalloc(1, sizeof(*h));
	h->loop = l;
	h->routes = o->routes;
	h->arg = o->arg;
	h->max_body = o->max_body ? o->max_body : HTTPD_MAX_BODY;
	sha256_hex(o->token, strlen(o->token), h->token_sha);
	h->mhd = sym_MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    o->max_conns_per_ip ? o->max_conns_per_ip : HTTPD_MAX_CONNS_PER_IP,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    o->timeout ? o->timeout : HTTPD_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_MEMORY,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_END);
	if (h->mhd == NULL) {
		*err = xasprintf("cannot listen on %s: %s", o->listen,
		    errno != 0 ? strerror(errno) : "libmicrohttpd refused");
		free(h);
		return -1;
	}
	info = sym_MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info != NULL ? info->port : 0;
	info = sym_MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->epfd = info != NULL ? info->epoll_fd : -1;
	loop_timer_init(&h->timer, on_timer, h);
	if (h->epfd < 0 || loop_io_add(l, h->epfd, LOOP_READ, on_epoll,
	    h) != 0) {
		*err = xasprintf("cannot watch the server on %s", o->listen);
		sym_MHD_stop_daemon(h->mhd);
		free(h);
		return -1;
	}
	*out = h;
	return 0;
}

unsigned short
httpd_port(const struct httpd *h)
{
	return h->port;
}

void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	loop_io_del(h->loop, h->epfd);
	loop_timer_stop(h->loop, &h->timer);
	sym_MHD_stop_daemon(h->mhd);
	free(h);
}

/* The first line of path, trimmed, as a heap string; NULL with *err. */
static char *
read_token(const char *path, char **err)
{
	char line[512];
	struct stat st;
	FILE *f = fopen(path, "re");
	size_t n;
	char *start;

	if (f == NULL) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		*err = xasprintf("%s can be read by others (mode %03o): chmod "
		    "600 it", path, (unsigned)(st.st_mode & 0777));
		fclose(f);
		return NULL;
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	for (start = line; *start == ' ' || *start == '\t'; start++)
		;
	n = strlen(start);
	while (n > 0 && (start[n - 1] == '\n' || start[n - 1] == '\r' ||
	    start[n - 1] == ' ' || start[n - 1] == '\t'))
		start[--n] = '\0';
	if (n < TOKEN_MIN) {
		*err = xasprintf("%s: the token must be %d characters or more",
		    path, TOKEN_MIN);
		return NULL;
	}
	return xstrdup(start);
}

int
httpd_token_load(const char *file, const char *dir, char **token,
    char **path, char **err)
{
	unsigned char raw[32];
	char hex[65];
	size_t i;
	int fd;

	*token = *path = NULL;
	if (file != NULL) {
		*path = xstrdup(file);
		*token = read_token(file, err);
		return *token != NULL ? 0 : -1;
	}
	*path = xasprintf("%s/token", dir);
	if (fs_make_parents(*path, err) != 0)
		return -1;
	if (access(*path, F_OK) == 0) {
		*token = read_token(*path, err);
		return *token != NULL ? 0 : -1;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		*err = xasprintf("no random bytes for a token: %s",
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	fd = open(*path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 || write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1) {
		*err = xasprintf("%s: %s", *path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	*token = xstrdup(hex);
	return 0;
}

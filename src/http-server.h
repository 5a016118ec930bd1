/* SPDX-License-Identifier: MIT */
/* The daemon's HTTP server: libmicrohttpd on our own event loop (its epoll
 * descriptor watched by the loop, no thread of its own), a table of routes,
 * bearer-token auth in constant time, request limits and security headers
 * on every answer, errors as JSON (docs/watch.md). */
#ifndef TRIAGE_HTTP_SERVER_H
#define TRIAGE_HTTP_SERVER_H

#include <stddef.h>

#include "loop.h"
#include "util/xmalloc.h"

struct httpd;
struct MHD_Connection;

/* Defaults of struct httpd_opts. */
#define HTTPD_MAX_CONNS 16384		/* at once, in all */
#define HTTPD_MAX_CONNS_PER_IP 64	/* at once, from one address */
#define HTTPD_TIMEOUT 10		/* seconds a client may stay idle */
#define HTTPD_MAX_BODY (64u * 1024u)	/* bytes of a request body */
#define HTTPD_MEMORY (32u * 1024u)	/* per connection: headers */

struct httpd_request {
	const char *method;		/* "GET", "POST", ...; HEAD is GET */
	const char *path;		/* without the query string */
	const char *remote;		/* the client's address */
	int authorized;			/* a valid bearer token came */
	const char *body;		/* NUL-terminated; "" when none */
	size_t body_len;
	struct MHD_Connection *conn;	/* for httpd_query */
};

struct httpd_response {
	int status;			/* 0: 500 */
	const char *content_type;	/* NULL: application/json */
	char *body;			/* heap; the server frees it */
	size_t len;
	const char *cache_control;	/* NULL: "no-store" */
};

#define HTTPD_AUTH 1u	/* the route needs the bearer token */

struct httpd_route {
	const char *method;	/* "GET" (HEAD too) or "POST" */
	const char *path;	/* exact */
	unsigned flags;
	void (*handle)(void *arg, const struct httpd_request *req,
	    struct httpd_response *res);
};

struct httpd_opts {
	const char *listen;	/* "127.0.0.1:8070", "[::1]:8070"; port 0:
				 * any free one */
	const char *token;	/* the bearer token; required */
	int token_explicit;	/* given by the operator (--token-file):
				 * needed to listen beyond loopback */
	const struct httpd_route *routes;	/* {NULL}-ended */
	void *arg;		/* for the handlers */
	unsigned max_conns;	/* 0: HTTPD_MAX_CONNS */
	unsigned max_conns_per_ip;	/* 0: HTTPD_MAX_CONNS_PER_IP */
	unsigned timeout;	/* seconds; 0: HTTPD_TIMEOUT */
	size_t max_body;	/* 0: HTTPD_MAX_BODY */
};

/* httpd_start: listens on o->listen and serves o->routes from l. A listen
 * address that is not loopback is refused unless o->token_explicit. 0, or
 * -1 with *err (heap) naming the address and the cause. */
int httpd_start(struct loop *l, const struct httpd_opts *o,
    struct httpd **out, char **err);

/* httpd_port: the port it listens on (the one chosen for port 0). */
unsigned short httpd_port(const struct httpd *h);

/* httpd_stop: closes the listener and every connection and frees h;
 * NULL is a no-op. */
void httpd_stop(struct httpd *h);

/* httpd_query: the value of ?key= in the request, or NULL. */
const char *httpd_query(const struct httpd_request *req, const char *key);

/* httpd_error: fills res with status and {"error":{"code","message"}}. */
void httpd_error(struct httpd_response *res, int status, const char *code,
    const char *fmt, ...) PRINTFLIKE(4, 5);

/* httpd_token_load: the bearer token. From file when it is not NULL: its
 * first line, trimmed, refused when shorter than 16 characters or when the
 * file can be read by group or others. Else from dir/token, generated
 * there when missing (32 random bytes as 64 hex digits, mode 0600, the
 * directory created 0700). 0 with *token and *path (heap), or -1 with
 * *err (heap); the token is never part of a message. */
int httpd_token_load(const char *file, const char *dir, char **token,
    char **path, char **err);

#endif

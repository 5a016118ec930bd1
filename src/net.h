/* SPDX-License-Identifier: MIT */
/* libcurl on the event loop: one multi handle per loop, driven by the multi
 * socket API, a pool of easy handles, and the operator reasons for errors.
 *
 * A kind takes an easy handle with net_easy_get(), sets its options, and
 * hands it to net_add() with a completion callback. The callback runs from a
 * loop callback (never inside net_add) once the transfer is over, after the
 * handle has left the multi handle; the kind reads what it needs and gives
 * the handle back with net_easy_put(). Connections stay in the multi
 * handle's cache, so transfers to one server reuse them. */
#ifndef TRIAGE_NET_H
#define TRIAGE_NET_H

#include <curl/curl.h>
#include <stddef.h>

#include "loop.h"

struct net;

typedef void (*net_done_fn)(void *arg, CURLcode rc);

/* net_get: the net of loop l, created on first use and freed by
 * loop_free(l). Never NULL (aborts when libcurl cannot start). */
struct net *net_get(struct loop *l);

/* The shape of a configuration of easy handles: a key that is equal for
 * two callers exactly when they set the same options to the same values
 * (borrowed pointers aside), so one's handle can serve the other without
 * a reset. */
struct net_shape {
	unsigned long long hash;
	char *key;		/* heap */
	size_t len;
};

/* net_shape_init: a shape for the key bytes key[0..len) (copied);
 * net_shape_dispose frees it. */
void net_shape_init(struct net_shape *s, const void *key, size_t len);
void net_shape_dispose(struct net_shape *s);

/* net_easy_get: an easy handle with CURLOPT_NOSIGNAL, an error buffer and
 * net's socket callbacks; from the pool when one is idle. When shape is not
 * NULL and the handle was last set up under an equal shape, *reused is 1:
 * every option that libcurl copies (strings, numbers) is as that caller
 * set it, and only options that borrow pointers (CURLOPT_HTTPHEADER,
 * CURLOPT_POSTFIELDS, the callback data) must be set again. Otherwise
 * *reused is 0 and all options are at their defaults. The caller must not
 * set CURLOPT_PRIVATE, CURLOPT_ERRORBUFFER or the socket callbacks. Give
 * it back with net_easy_put(). */
CURL *net_easy_get(struct net *n, const struct net_shape *shape,
    int *reused);

/* net_easy_connect_only: an easy handle (net_easy_get) set up to resolve,
 * connect on a new connection (never a pooled one, which would prove
 * nothing) and stop, for url with a safety-net timeout of secs. The caller
 * adds its own options, then net_add. */
CURL *net_easy_connect_only(struct net *n, const char *url, double secs);

/* net_easy_put: returns easy (from net_easy_get) to the pool, stopping its
 * transfer if one is running; the handle is reset when it is next taken
 * under another shape. Frees it when the pool is full. NULL is a no-op. */
void net_easy_put(struct net *n, CURL *easy);

/* net_add: starts the transfer set up on easy (from net_easy_get). done(arg,
 * rc) runs once when it is over, from a loop callback. 0, or -1 with
 * *cause (heap) when libcurl refuses it; done is then never called. */
int net_add(struct net *n, CURL *easy, net_done_fn done, void *arg,
    char **cause);

/* net_remove: stops the transfer on easy at once (cancel); done is not
 * called. A no-op when easy is not in a transfer. */
void net_remove(struct net *n, CURL *easy);

/* A parsed "host:port". */
struct net_hostport {
	char *host;		/* heap; an IPv6 address without brackets */
	long port;		/* 1-65535 */
	int v6;			/* host is an IPv6 address */
};

/* net_hostport_parse: "host:port" or "[v6addr]:port" into out; when
 * def_port is non-zero the port may be left out ("host", "[::1]"). 0, or
 * -1 with *cause (heap) saying what is wrong. Free out->host on success. */
int net_hostport_parse(struct net_hostport *out, const char *s,
    long def_port, char **cause);

/* net_hostport_url: "scheme://host:port/" with brackets around an IPv6
 * host; heap, the caller frees it. */
char *net_hostport_url(const char *scheme, const char *host, long port);

/* net_reason: the operator's reason for a failed transfer on easy (from
 * net_easy_get) into out: "connection_refused", "dns_failure", "timeout",
 * "host_unreachable", "network_unreachable", "connection_reset",
 * "too_many_redirects", "tls_error: <detail>", else "curl: <message>".
 * Returns out. */
const char *net_reason(CURL *easy, CURLcode rc, char *out, size_t n);

#endif

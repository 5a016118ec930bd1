/* SPDX-License-Identifier: MIT */
/* libcurl on the event loop: the multi socket API over loop.h, a pool of
 * easy handles, and the mapping of curl errors to operator reasons. */
#include "net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib-curl.h"
#include "util/xmalloc.h"

/* Idle easy handles kept for reuse per loop; more are freed on put. */
#define NET_POOL_MAX 256
/* Idle connections kept in the multi handle's cache. libcurl's default
 * follows the number of transfers in flight, which drops keep-alive
 * connections as a burst of probes drains. */
#define NET_MAX_CONNECTS 256

/* What net knows of each socket, indexed by fd: OWNED, opened by
 * net_open_socket (so its close is seen too); WANTED, libcurl wants events
 * on it; REG, the LOOP_READ|LOOP_WRITE it is registered for. */
#define NET_FD_OWNED 0x01u
#define NET_FD_WANTED 0x02u
#define NET_FD_REG_SHIFT 2
#define NET_FD_REG (3u << NET_FD_REG_SHIFT)

/* One pooled easy handle; CURLOPT_PRIVATE points here. */
struct net_easy {
	struct net *net;
	CURL *easy;
	net_done_fn done;
	void *arg;
	int active;		/* in the multi handle */
	int dirty;		/* options set since the last reset */
	struct net_shape shape;	/* it was set up for; key NULL: none */
	char errbuf[CURL_ERROR_SIZE];
};

/* An idle handle; its shape's hash is copied here so that a search stays
 * in one array. */
struct net_idle {
	unsigned long long hash;
	struct net_easy *w;
};

struct net {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer;
	struct net_idle *pool;	/* a stack: the last put is on top */
	size_t npool;
	unsigned char *fds;	/* NET_FD_* by fd */
	size_t nfds;
};

static struct net_easy *
net_easy_of(CURL *easy)
{
	char *priv = NULL;

	sym_curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	return (struct net_easy *)(void *)priv;
}

static unsigned char *
net_fd_state(struct net *n, int fd)
{
	if ((size_t)fd >= n->nfds) {
		size_t len = n->nfds ? n->nfds : 64;

		while (len <= (size_t)fd)
			len *= 2;
		n->fds = xrealloc(n->fds, len);
		memset(n->fds + n->nfds, 0, len - n->nfds);
		n->nfds = len;
	}
	return &n->fds[fd];
}

/* libcurl's sockets are opened here, close-on-exec (children spawned by
 * other probes must not inherit them) and known to be ours. */
static curl_socket_t
net_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct net *n = clientp;
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0)
		return CURL_SOCKET_BAD;
	*net_fd_state(n, fd) = NET_FD_OWNED;
	return fd;
}

/* ...and closed here, which is what lets an idle one stay registered.
 * Closing it takes it out of epoll (it is never dup'ed, and close-on-exec
 * keeps it from children). */
static int
net_close_socket(void *clientp, curl_socket_t fd)
{
	struct net *n = clientp;
	unsigned char *st = net_fd_state(n, fd);

	if (*st & NET_FD_REG)
		loop_io_forget(n->loop, fd);
	*st = 0;
	return close(fd);
}

/* Options every handle carries, set again after each reset. */
static void
net_easy_defaults(struct net_easy *w)
{
	sym_curl_easy_setopt(w->easy, CURLOPT_PRIVATE, w);
	sym_curl_easy_setopt(w->easy, CURLOPT_ERRORBUFFER, w->errbuf);
	sym_curl_easy_setopt(w->easy, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(w->easy, CURLOPT_OPENSOCKETFUNCTION, net_open_socket);
	sym_curl_easy_setopt(w->easy, CURLOPT_OPENSOCKETDATA, w->net);
	sym_curl_easy_setopt(w->easy, CURLOPT_CLOSESOCKETFUNCTION,
	    net_close_socket);
	sym_curl_easy_setopt(w->easy, CURLOPT_CLOSESOCKETDATA, w->net);
	w->errbuf[0] = '\0';
	w->done = NULL;
	w->arg = NULL;
	w->dirty = 0;
}

void
net_shape_init(struct net_shape *s, const void *key, size_t len)
{
	const unsigned char *k = key;
	unsigned long long h = 14695981039346656037ull;	/* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	s->hash = h;
	s->key = xmalloc(len + 1);
	memcpy(s->key, key, len);
	s->key[len] = '\0';
	s->len = len;
}

void
net_shape_dispose(struct net_shape *s)
{
	free(s->key);
	s->key = NULL;
	s->len = 0;
	s->hash = 0;
}

static int
net_shape_equal(const struct net_shape *a, const struct net_shape *b)
{
	return a->key != NULL && b->key != NULL && a->hash == b->hash &&
	    a->len == b->len && memcmp(a->key, b->key, a->len) == 0;
}

static void
net_shape_copy(struct net_shape *dst, const struct net_shape *src)
{
	net_shape_dispose(dst);
	if (src != NULL && src->key != NULL)
		net_shape_init(dst, src->key, src->len);
}

static void
net_easy_free(struct net_easy *w)
{
	sym_curl_easy_cleanup(w->easy);
	net_shape_dispose(&w->shape);
	free(w);
}

/* Dispatches every finished transfer to its callback. */
static void
net_check_done(struct net *n)
{
	CURLMsg *msg;
	int left;

	while ((msg = sym_curl_multi_info_read(n->multi, &left)) != NULL) {
		struct net_easy *w;
		CURLcode rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		w = net_easy_of(msg->easy_handle);
		rc = msg->data.result;
		sym_curl_multi_remove_handle(n->multi, w->easy);
		w->active = 0;
		/* The callback may put the handle back or start others. */
		if (w->done != NULL)
			w->done(w->arg, rc);
	}
}

static void
net_on_io(void *arg, int fd, unsigned events)
{
	struct net *n = arg;
	unsigned char *st = net_fd_state(n, fd);
	int flags = 0, running;

	if (!(*st & NET_FD_WANTED)) {
		/* An idle keep-alive connection became readable: the server
		 * closed it. libcurl sees that when it next checks the
		 * connection; meanwhile stop watching it. */
		loop_io_del(n->loop, fd);
		*st &= (unsigned char)~NET_FD_REG;
		return;
	}
	if (events & LOOP_READ)
		flags |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & LOOP_ERROR)
		flags |= CURL_CSELECT_ERR;
	sym_curl_multi_socket_action(n->multi, fd, flags, &running);
	net_check_done(n);
}

static void
net_on_timer(void *arg)
{
	struct net *n = arg;
	int running;

	sym_curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	net_check_done(n);
}

/* Registers what libcurl wants. An idle socket of ours (a keep-alive
 * connection back in the cache) stays registered: the next transfer on it
 * mostly wants the same events, which then costs no system call. */
static int
net_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct net *n = userp;
	unsigned char *st = net_fd_state(n, s);
	unsigned events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		*st &= (unsigned char)~NET_FD_WANTED;
		if (!(*st & NET_FD_OWNED) && (*st & NET_FD_REG)) {
			loop_io_del(n->loop, s);
			*st &= (unsigned char)~NET_FD_REG;
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= LOOP_READ;
	if (what & CURL_POLL_OUT)
		events |= LOOP_WRITE;
	*st |= NET_FD_WANTED;
	if ((*st & NET_FD_REG) == (events << NET_FD_REG_SHIFT))
		return 0;
	/* Returning -1 would make libcurl fail every transfer on this loop
	 * for good; a socket that cannot be watched times out instead. */
	if (loop_io_add(n->loop, s, events, net_on_io, n) != 0)
		return 0;
	*st = (unsigned char)((*st & ~NET_FD_REG) |
	    (events << NET_FD_REG_SHIFT));
	return 0;
}

/* libcurl asks for one timer; it must not be driven from inside this
 * callback, so even a 0 ms timeout goes through the loop. */
static int
net_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct net *n = userp;

	(void)multi;
	if (timeout_ms < 0)
		loop_timer_stop(n->loop, &n->timer);
	else
		loop_timer_after(n->loop, &n->timer,
		    (double)timeout_ms / 1000.0);
	return 0;
}

static void
net_free(void *ptr)
{
	struct net *n = ptr;
	size_t i;

	sym_curl_multi_cleanup(n->multi);
	loop_timer_stop(n->loop, &n->timer);
	for (i = 0; i < n->npool; i++)
		net_easy_free(n->pool[i].w);
	free(n->pool);
	free(n->fds);
	free(n);
}

struct net *
net_get(struct loop *l)
{
	struct net *n = loop_slot_get(l, LOOP_SLOT_CURL);
	const char *err;

	if (n != NULL)
		return n;
	/* The kinds that use the loop's curl load it when they are prepared;
	 * this is for a caller that did not. */
	if (lib_curl_load(&err) != 0) {
		fprintf(stderr, "triage: %s\n", err);
		abort();
	}
	n = xcalloc(1, sizeof(*n));
	n->loop = l;
	n->multi = sym_curl_multi_init();
	if (n->multi == NULL) {
		fprintf(stderr, "triage: curl_multi_init failed\n");
		abort();
	}
	loop_timer_init(&n->timer, net_on_timer, n);
	n->pool = xcalloc(NET_POOL_MAX, sizeof(*n->pool));
	sym_curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, net_socket_cb);
	sym_curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	sym_curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, net_timer_cb);
	sym_curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	sym_curl_multi_setopt(n->multi, CURLMOPT_MAXCONNECTS,
	    (long)NET_MAX_CONNECTS);
	loop_slot_set(l, LOOP_SLOT_CURL, n, net_free);
	return n;
}

CURL *
net_easy_get(struct net *n, const struct net_shape *shape, int *reused)
{
	struct net_easy *w;
	size_t i, j;

	*reused = 0;
	if (n->npool == 0) {
		w = xcalloc(1, sizeof(*w));
		w->net = n;
		w->easy = sym_curl_easy_init();
		if (w->easy == NULL) {
			fprintf(stderr, "triage: curl_easy_init failed\n");
			abort();
		}
		net_easy_defaults(w);
		net_shape_copy(&w->shape, shape);
		return w->easy;
	}
	/* A handle already set up under this shape skips the reset and the
	 * caller's options, a good part of the cost of a short transfer. */
	i = n->npool - 1;
	for (j = n->npool; shape != NULL && j > 0; j--) {
		if (n->pool[j - 1].hash == shape->hash &&
		    net_shape_equal(&n->pool[j - 1].w->shape, shape)) {
			i = j - 1;
			break;
		}
	}
	w = n->pool[i].w;
	n->pool[i] = n->pool[--n->npool];
	if (shape != NULL && w->dirty && net_shape_equal(&w->shape, shape)) {
		*reused = 1;
	} else {
		if (w->dirty) {
			sym_curl_easy_reset(w->easy);
			net_easy_defaults(w);
		}
		net_shape_copy(&w->shape, shape);
	}
	w->errbuf[0] = '\0';
	return w->easy;
}

CURL *
net_easy_connect_only(struct net *n, const char *url, double secs)
{
	int reused;
	CURL *e = net_easy_get(n, NULL, &reused);

	sym_curl_easy_setopt(e, CURLOPT_URL, url);
	sym_curl_easy_setopt(e, CURLOPT_PROXY, "");
	sym_curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	sym_curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	sym_curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	sym_curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(secs * 1000.0));
	return e;
}

void
net_easy_put(struct net *n, CURL *easy)
{
	struct net_easy *w;

	if (easy == NULL)
		return;
	w = net_easy_of(easy);
	if (w->active)
		net_remove(n, easy);
	if (n->npool == NET_POOL_MAX) {
		net_easy_free(w);
		return;
	}
	w->dirty = 1;
	w->done = NULL;
	w->arg = NULL;
	n->pool[n->npool].hash = w->shape.hash;
	n->pool[n->npool].w = w;
	n->npool++;
}

int
net_add(struct net *n, CURL *easy, net_done_fn done, void *arg,
    char **cause)
{
	struct net_easy *w = net_easy_of(easy);
	CURLMcode mc;

	w->done = done;
	w->arg = arg;
	w->errbuf[0] = '\0';
	mc = sym_curl_multi_add_handle(n->multi, easy);
	if (mc != CURLM_OK) {
		*cause = xasprintf("curl: %s", sym_curl_multi_strerror(mc));
		return -1;
	}
	w->active = 1;
	return 0;
}

void
net_remove(struct net *n, CURL *easy)
{
	struct net_easy *w = net_easy_of(easy);

	if (!w->active)
		return;
	sym_curl_multi_remove_handle(n->multi, easy);
	w->active = 0;
}

static int
net_is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return 1;
	default:
		return 0;
	}
}

/* The reason a socket error names, or NULL. */
static const char *
net_errno_reason(long err)
{
	switch (err) {
	case ECONNREFUSED:
		return "connection_refused";
	case ECONNRESET:
	case EPIPE:
		return "connection_reset";
	case EHOSTUNREACH:
		return "host_unreachable";
	case ENETUNREACH:
		return "network_unreachable";
	case ETIMEDOUT:
		return "timeout";
	default:
		return NULL;
	}
}

const char *
net_reason(CURL *easy, CURLcode rc, char *out, size_t n)
{
	struct net_easy *w = net_easy_of(easy);
	const char *detail = sym_curl_easy_strerror(rc);
	const char *code = NULL;
	long err = 0;
	size_t len;

	if (w != NULL && w->errbuf[0] != '\0') {
		/* curl's own words, without the space or line break some of
		 * them end with. */
		len = strlen(w->errbuf);
		while (len > 0 && isspace((unsigned char)w->errbuf[len - 1]))
			w->errbuf[--len] = '\0';
		detail = w->errbuf;
	}
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		code = "dns_failure";
		break;
	case CURLE_OPERATION_TIMEDOUT:
		code = "timeout";
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		code = "too_many_redirects";
		break;
	case CURLE_GOT_NOTHING:
		/* The connection closed before any byte of an answer. */
		code = "empty_reply";
		break;
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
		/* A refused or reset socket says more than curl's code. */
		sym_curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &err);
		code = net_errno_reason(err);
		break;
	default:
		break;
	}
	if (code != NULL)
		snprintf(out, n, "%s", code);
	else if (rc == CURLE_WEIRD_SERVER_REPLY ||
	    (rc == CURLE_UNSUPPORTED_PROTOCOL && strstr(detail, "HTTP/0.9")))
		/* Something answered on the port, but not in HTTP. */
		snprintf(out, n, "not_http: %s", detail);
	else if (net_is_tls_error(rc))
		snprintf(out, n, "tls_error: %s", detail);
	else if (detail != sym_curl_easy_strerror(rc))
		snprintf(out, n, "curl: %s (%s)", sym_curl_easy_strerror(rc),
		    detail);
	else
		snprintf(out, n, "curl: %s", detail);
	return out;
}

/* A host name: letters, digits, '-', '.', '_' and non-ASCII (IDN). */
static int
net_is_hostname(const char *s)
{
	if (*s == '\0' || *s == '.' || *s == '-')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c >= 0x80))
			return 0;
	}
	return 1;
}

int
net_hostport_parse(struct net_hostport *out, const char *s, long def_port,
    char **cause)
{
	const char *colon, *port = NULL;
	char *host = NULL;
	struct in6_addr a6;

	memset(out, 0, sizeof(*out));
	if (strstr(s, "://") != NULL) {
		*cause = xasprintf("\"%s\": expected HOST:PORT, not a URL",
		    s);
		return -1;
	}
	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL) {
			*cause = xasprintf("\"%s\": missing ']' after the "
			    "IPv6 address", s);
			return -1;
		}
		host = xstrndup(s + 1, (size_t)(end - s - 1));
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			*cause = xasprintf("\"%s\": \"%s\" is not an IPv6 "
			    "address", s, host);
			goto fail;
		}
		out->v6 = 1;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			*cause = xasprintf("\"%s\": expected ':PORT' after "
			    "']'", s);
			goto fail;
		}
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			*cause = xasprintf("\"%s\": write an IPv6 address in "
			    "brackets, as [::1]:PORT", s);
			return -1;
		}
		host = colon != NULL ? xstrndup(s, (size_t)(colon - s)) :
		    xstrdup(s);
		if (!net_is_hostname(host)) {
			*cause = xasprintf("\"%s\": \"%s\" is not a host name "
			    "or address; expected HOST:PORT", s, host);
			goto fail;
		}
		if (colon != NULL)
			port = colon + 1;
	}
	if (port == NULL) {
		if (def_port == 0) {
			*cause = xasprintf("\"%s\": missing the port; expected "
			    "HOST:PORT", s);
			goto fail;
		}
		out->port = def_port;
	} else if (*port < '0' || *port > '9' ||
	    str_to_long(port, 1, 65535, &out->port) != 0) {
		*cause = xasprintf("\"%s\": port \"%s\" is not a number from "
		    "1 to 65535", s, port);
		goto fail;
	}
	out->host = host;
	return 0;
fail:
	free(host);
	return -1;
}

char *
net_hostport_url(const char *scheme, const char *host, long port)
{
	if (strchr(host, ':') != NULL)
		return xasprintf("%s://[%s]:%ld/", scheme, host, port);
	return xasprintf("%s://%s:%ld/", scheme, host, port);
}

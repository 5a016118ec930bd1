/* SPDX-License-Identifier: MIT */
/* testhttpd: a small HTTP(S) server on libmicrohttpd for the unit, CLI and
 * benchmark tests.
 *
 * usage: testhttpd --port-file FILE [--port N] [--tls-cert C --tls-key K]
 *                  [--threads N] [--idle-timeout SECS]
 *
 * Listens on 127.0.0.1 (port 0: any free port), writes the port to FILE
 * once listening (atomically, through a rename), and serves until SIGTERM
 * or SIGINT:
 *   /up              200 "ok"
 *   /status/NNN      that status, body "status NNN"
 *   /delay/MS        200 "delayed MS" after MS milliseconds; the connection
 *                    is suspended meanwhile, so delays never block others
 *   /json            an application/json document
 *   /redirect        302 to /json
 *   /loop            302 to /loop (for redirect limits)
 *   /big/N           N bytes of 'x', streamed
 *   /headers         the request headers as a JSON object (lower-case names)
 *   /echo            {"method": ..., "body": ..., "headers": {...}}
 *   /peer            the client's "address:port" (tells connections apart)
 *   /raw/HEX         the bytes spelled in hex (e.g. invalid UTF-8)
 *   /multi           200 with the header X-Multi twice ("a", then "b")
 * An idle connection is closed after --idle-timeout seconds (default 120).
 * Anything else is 404. */
#include <errno.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (4u * 1024u * 1024u)
#define BIG_MAX (4ull * 1024u * 1024u * 1024u)
#define DELAY_MAX_MS 600000L

/* A growable string for responses and request bodies. */
struct sbuf {
	char *data;
	size_t len;
	size_t cap;
};

/* Per-request state, kept in MHD's con_cls. */
struct req {
	int delayed;		/* the /delay wait is over */
	struct sbuf body;
};

/* Connections suspended by /delay, resumed by the delay thread. */
struct pending {
	struct MHD_Connection *conn;
	struct timespec due;
};

struct delays {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pending *v;
	size_t n;
	size_t cap;
	int stopping;
};

static struct delays delays = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void *
xalloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "testhttpd: out of memory\n");
		abort();
	}
	return q;
}

static void
sbuf_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = xalloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

static void
sbuf_json_string(struct sbuf *b, const char *s, size_t n)
{
	size_t i;

	sbuf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sbuf_add(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sbuf_add(b, esc, 6);
		} else {
			sbuf_add(b, (const char *)&c, 1);
		}
	}
	sbuf_add(b, "\"", 1);
}

static void
timespec_after_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
timespec_le(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/* delays_add: suspends conn and queues it for resumption after ms; 0, or
 * -1 when the server is stopping (answer at once then). Called from the
 * access handler, so MHD_suspend_connection is allowed here. */
static int
delays_add(struct MHD_Connection *conn, long ms)
{
	pthread_mutex_lock(&delays.lock);
	if (delays.stopping) {
		pthread_mutex_unlock(&delays.lock);
		return -1;
	}
	if (delays.n == delays.cap) {
		delays.cap = delays.cap ? delays.cap * 2 : 64;
		delays.v = xalloc(delays.v, delays.cap * sizeof(*delays.v));
	}
	delays.v[delays.n].conn = conn;
	timespec_after_ms(&delays.v[delays.n].due, ms);
	delays.n++;
	MHD_suspend_connection(conn);
	pthread_cond_signal(&delays.cond);
	pthread_mutex_unlock(&delays.lock);
	return 0;
}

/* delays_init: the condition variable waits on the monotonic clock, as
 * the due times are monotonic. */
static void
delays_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&delays.cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* delays_stop: resumes every suspended connection (MHD must not stop with
 * any) and ends the delay thread. */
static void
delays_stop(pthread_t thread)
{
	pthread_mutex_lock(&delays.lock);
	delays.stopping = 1;
	pthread_cond_signal(&delays.cond);
	pthread_mutex_unlock(&delays.lock);
	pthread_join(thread, NULL);
	free(delays.v);
	delays.v = NULL;
}

/* The delay thread: resumes each suspended connection when it is due, and
 * every one of them when stopping. */
static void *
delays_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&delays.lock);
	for (;;) {
		struct timespec now, next = { 0, 0 };
		size_t i = 0;
		int have_next = 0;

		clock_gettime(CLOCK_MONOTONIC, &now);
		while (i < delays.n) {
			if (delays.stopping ||
			    timespec_le(&delays.v[i].due, &now)) {
				MHD_resume_connection(delays.v[i].conn);
				delays.v[i] = delays.v[--delays.n];
				continue;
			}
			if (!have_next || timespec_le(&delays.v[i].due, &next))
				next = delays.v[i].due;
			have_next = 1;
			i++;
		}
		if (delays.stopping)
			break;
		if (have_next)
			pthread_cond_timedwait(&delays.cond, &delays.lock,
			    &next);
		else
			pthread_cond_wait(&delays.cond, &delays.lock);
	}
	pthread_mutex_unlock(&delays.lock);
	return NULL;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned status, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned status, const char *fmt,
    ...)
{
	char text[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	if ((size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	return reply(conn, status, "text/plain", text, (size_t)n);
}

/* parse_num: all of s as a number in [min, max]; -1 when it is not. */
static int
parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static ssize_t
big_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	uint64_t size = *(uint64_t *)cls;
	size_t n = max;

	if (pos >= size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (size - pos < n)
		n = (size_t)(size - pos);
	memset(buf, 'x', n);
	return (ssize_t)n;
}

static enum MHD_Result
route_big(struct MHD_Connection *conn, const char *arg)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	long long n;
	uint64_t *size;

	if (parse_num(arg, 0, (long long)BIG_MAX, &n) != 0)
		return reply_text(conn, 400, "bad size\n");
	size = xalloc(NULL, sizeof(*size));
	*size = (uint64_t)n;
	r = MHD_create_response_from_callback(*size, 64 * 1024, big_read, size,
	    free);
	if (r == NULL) {
		free(size);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
route_status(struct MHD_Connection *conn, const char *arg)
{
	long long code;

	if (parse_num(arg, 200, 599, &code) != 0)
		return reply_text(conn, 400, "bad status\n");
	if (code == 204 || code == 304)
		return reply(conn, (unsigned)code, NULL, "", 0);
	return reply_text(conn, (unsigned)code, "status %lld", code);
}

static enum MHD_Result
route_json(struct MHD_Connection *conn)
{
	char now[32], doc[256];
	time_t t = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(doc, sizeof(doc),
	    "{\"status\":\"ok\",\"poller_last_poll_at\":\"%s\","
	    "\"nested\":{\"a\":[1,2,3]}}", now);
	if (n < 0 || (size_t)n >= sizeof(doc))
		return MHD_NO;
	return reply(conn, 200, "application/json", doc, (size_t)n);
}

static enum MHD_Result
route_redirect(struct MHD_Connection *conn, const char *to)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	static const char text[] = "redirecting\n";

	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Location", to);
	MHD_add_response_header(r, "Content-Type", "text/plain");
	ret = MHD_queue_response(conn, 302, r);
	MHD_destroy_response(r);
	return ret;
}

/* The headers as a JSON object under construction: names lower-cased,
 * repeated names joined with ", " (MHD hands them out one by one). */
struct header_collect {
	char **names;
	struct sbuf *values;
	size_t n;
};

static enum MHD_Result
header_collect_one(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct header_collect *hc = cls;
	char *name;
	size_t i;

	(void)kind;
	name = xalloc(NULL, strlen(key) + 1);
	for (i = 0; key[i] != '\0'; i++)
		name[i] = (key[i] >= 'A' && key[i] <= 'Z') ?
		    (char)(key[i] - 'A' + 'a') : key[i];
	name[i] = '\0';
	for (i = 0; i < hc->n; i++) {
		if (strcmp(hc->names[i], name) == 0) {
			free(name);
			sbuf_puts(&hc->values[i], ", ");
			sbuf_puts(&hc->values[i], value ? value : "");
			return MHD_YES;
		}
	}
	hc->names = xalloc(hc->names, (hc->n + 1) * sizeof(*hc->names));
	hc->values = xalloc(hc->values, (hc->n + 1) * sizeof(*hc->values));
	hc->names[hc->n] = name;
	memset(&hc->values[hc->n], 0, sizeof(hc->values[hc->n]));
	sbuf_puts(&hc->values[hc->n], value ? value : "");
	hc->n++;
	return MHD_YES;
}

static void
headers_json(struct MHD_Connection *conn, struct sbuf *out)
{
	struct header_collect hc = { NULL, NULL, 0 };
	size_t i;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, header_collect_one,
	    &hc);
	sbuf_puts(out, "{");
	for (i = 0; i < hc.n; i++) {
		if (i > 0)
			sbuf_puts(out, ",");
		sbuf_json_string(out, hc.names[i], strlen(hc.names[i]));
		sbuf_puts(out, ":");
		sbuf_json_string(out, hc.values[i].data, hc.values[i].len);
		free(hc.names[i]);
		free(hc.values[i].data);
	}
	sbuf_puts(out, "}");
	free(hc.names);
	free(hc.values);
}

static enum MHD_Result
route_headers(struct MHD_Connection *conn)
{
	struct sbuf out = { NULL, 0, 0 };
	enum MHD_Result ret;

	headers_json(conn, &out);
	ret = reply(conn, 200, "application/json", out.data, out.len);
	free(out.data);
	return ret;
}

static enum MHD_Result
route_echo(struct MHD_Connection *conn, const char *method, struct req *rq)
{
	struct sbuf out = { NULL, 0, 0 };
	enum MHD_Result ret;

	sbuf_puts(&out, "{\"method\":");
	sbuf_json_string(&out, method, strlen(method));
	sbuf_puts(&out, ",\"body\":");
	sbuf_json_string(&out, rq->body.data ? rq->body.data : "",
	    rq->body.len);
	sbuf_puts(&out, ",\"headers\":");
	headers_json(conn, &out);
	sbuf_puts(&out, "}");
	ret = reply(conn, 200, "application/json", out.data, out.len);
	free(out.data);
	return ret;
}

static enum MHD_Result
route_multi(struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	static const char text[] = "multi\n";

	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "X-Multi", "a");
	MHD_add_response_header(r, "X-Multi", "b");
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
route_peer(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr_in *sin;
	char addr[INET_ADDRSTRLEN];

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr->sa_family != AF_INET)
		return reply_text(conn, 500, "unknown peer\n");
	sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
	return reply_text(conn, 200, "%s:%u", addr,
	    (unsigned)ntohs(sin->sin_port));
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum MHD_Result
route_raw(struct MHD_Connection *conn, const char *hex)
{
	char bytes[512];
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0' && n < sizeof(bytes)) {
		int hi = hex_digit(hex[0]), lo = hex_digit(hex[1]);

		if (hi < 0 || lo < 0)
			return reply_text(conn, 400, "bad hex\n");
		bytes[n++] = (char)(hi * 16 + lo);
		hex += 2;
	}
	if (*hex != '\0')
		return reply_text(conn, 400, "bad hex\n");
	return reply(conn, 200, "application/octet-stream", bytes, n);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct req *rq = *con_cls;
	long long ms;

	(void)cls;
	(void)version;
	if (rq == NULL) {
		rq = xalloc(NULL, sizeof(*rq));
		memset(rq, 0, sizeof(*rq));
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (rq->body.len + *upload_data_size <= BODY_MAX)
			sbuf_add(&rq->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/up") == 0)
		return reply_text(conn, 200, "ok");
	if (strncmp(url, "/status/", 8) == 0)
		return route_status(conn, url + 8);
	if (strncmp(url, "/delay/", 7) == 0) {
		if (parse_num(url + 7, 0, DELAY_MAX_MS, &ms) != 0)
			return reply_text(conn, 400, "bad delay\n");
		if (!rq->delayed) {
			rq->delayed = 1;
			if (delays_add(conn, (long)ms) == 0)
				return MHD_YES;
		}
		return reply_text(conn, 200, "delayed %lld", ms);
	}
	if (strcmp(url, "/json") == 0)
		return route_json(conn);
	if (strcmp(url, "/redirect") == 0)
		return route_redirect(conn, "/json");
	if (strcmp(url, "/loop") == 0)
		return route_redirect(conn, "/loop");
	if (strncmp(url, "/big/", 5) == 0)
		return route_big(conn, url + 5);
	if (strcmp(url, "/headers") == 0)
		return route_headers(conn);
	if (strcmp(url, "/echo") == 0)
		return route_echo(conn, method, rq);
	if (strcmp(url, "/multi") == 0)
		return route_multi(conn);
	if (strcmp(url, "/peer") == 0)
		return route_peer(conn);
	if (strncmp(url, "/raw/", 5) == 0)
		return route_raw(conn, url + 5);
	return reply_text(conn, 404, "not found\n");
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	free(rq->body.data);
	free(rq);
	*con_cls = NULL;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct sbuf b = { NULL, 0, 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "testhttpd: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sbuf_add(&b, chunk, n);
	fclose(f);
	if (b.data == NULL)
		sbuf_add(&b, "", 0);
	return b.data;
}

static int
write_port_file(const char *path, unsigned port)
{
	size_t n = strlen(path) + 8;
	char *tmp = xalloc(NULL, n);
	FILE *f;
	int rc = -1;

	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		goto out;
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0)
		goto out;
	if (rename(tmp, path) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "testhttpd: %s: %s\n", path, strerror(errno));
	free(tmp);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: testhttpd --port-file FILE [--port N] "
	    "[--tls-cert C --tls-key K] [--threads N] "
	    "[--idle-timeout SECS]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *port_file = NULL, *cert_path = NULL, *key_path = NULL;
	char *cert = NULL, *key = NULL;
	long long port = 0, threads = 1, idle = 120;
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	unsigned flags;
	pthread_t delay_thread;
	sigset_t set;
	int i, sig, rc = 1;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			usage();
		if (strcmp(a, "--port-file") == 0)
			port_file = argv[++i];
		else if (strcmp(a, "--port") == 0) {
			if (parse_num(argv[++i], 0, 65535, &port) != 0)
				usage();
		} else if (strcmp(a, "--tls-cert") == 0)
			cert_path = argv[++i];
		else if (strcmp(a, "--tls-key") == 0)
			key_path = argv[++i];
		else if (strcmp(a, "--threads") == 0) {
			if (parse_num(argv[++i], 1, 64, &threads) != 0)
				usage();
		} else if (strcmp(a, "--idle-timeout") == 0) {
			if (parse_num(argv[++i], 1, 86400, &idle) != 0)
				usage();
		} else
			usage();
	}
	if (port_file == NULL || (cert_path == NULL) != (key_path == NULL))
		usage();

	/* Block the stop signals in every thread; main waits for them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME;
	if (cert_path != NULL) {
		flags |= MHD_USE_TLS;
		cert = read_file(cert_path);
		key = read_file(key_path);
	}
	delays_init();
	if (pthread_create(&delay_thread, NULL, delays_main, NULL) != 0) {
		fprintf(stderr, "testhttpd: cannot start the delay thread\n");
		return 1;
	}
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
	    MHD_OPTION_CONNECTION_LIMIT, 20000u,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)idle,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "testhttpd: cannot listen on 127.0.0.1:%lld\n",
		    port);
		delays_stop(delay_thread);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || write_port_file(port_file, info->port) != 0)
		goto stop;

	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig != SIGTERM && sig != SIGINT);
	rc = 0;
stop:
	delays_stop(delay_thread);
	MHD_stop_daemon(d);
out:
	free(cert);
	free(key);
	return rc;
}

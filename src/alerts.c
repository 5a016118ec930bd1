/* SPDX-License-Identifier: MIT */
/* Alert delivery on its own thread (alerts.h). The daemon's loop only
 * enqueues under the mutex; the thread does the blocking work (libcurl easy
 * transfers, a child with a deadline) and hands outcomes back through an
 * eventfd. */
#include "alerts.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib-curl.h"
#include "util/proc.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define RESOLVED_KEEP 900.0	/* resolved alerts are re-sent this long */
#define BACKOFF_CAP 60.0
#define QUEUE_MAX 1000		/* deliveries waiting at most */

enum target_kind { TARGET_WEBHOOK, TARGET_COMMAND };

/* One transition to tell one webhook or the command. */
struct delivery {
	enum target_kind kind;
	size_t target;		/* index in webhooks */
	char *key;
	char *status;		/* "firing" or "resolved" */
	char *payload;		/* JSON */
	int attempt;
	double next_at;		/* monotonic */
	struct delivery *next;
};

struct alerter {
	struct alert_opts o;
	char **am, **wh, **cmd;	/* copies of the options' lists */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	json_t *alerts;		/* key -> {labels, annotations, startsAt,
				 * endsAt, active, resolved_at} */
	int am_dirty;		/* push to Alertmanager now */
	double am_next;		/* monotonic: the next push */
	double am_backoff;
	int am_attempt;
	struct delivery *queue;
	size_t queued;
	json_t *outcomes;
	int efd;
};

static char **
copy_list(char *const *v, size_t n)
{
	char **c = xcalloc(n + 1, sizeof(*c));
	size_t i;

	for (i = 0; i < n && v != NULL && v[i] != NULL; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

/* url without user:password@, for outcomes and logs. */
static char *
strip_userinfo(const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *slash;

	if (scheme == NULL)
		return xstrdup(url);
	at = strchr(scheme + 3, '@');
	slash = strchr(scheme + 3, '/');
	if (at == NULL || (slash != NULL && at > slash))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(scheme + 3 - url), url, at + 1);
}

static json_t *
iso_json(double t)
{
	char s[40];

	time_format_iso8601(t, 1, s, sizeof(s));
	return json_string(s);
}

/* Called with the mutex held. */
static void
outcome(struct alerter *a, const char *key, const char *status,
    const char *target, int ok, int attempt, const char *error)
{
	char *clean = strip_userinfo(target);
	uint64_t one = 1;

	json_array_append_new(a->outcomes, json_pack("{s:o, s:s?, s:s, s:s, "
	    "s:b, s:i, s:s?}", "at", iso_json(time_now()), "key", key,
	    "status", status, "target", clean, "ok", ok, "attempt", attempt,
	    "error", error));
	free(clean);
	if (write(a->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the reader is far behind; fine */
	}
}

static void
enqueue(struct alerter *a, const char *key, const char *status,
    json_t *alert)
{
	size_t i, n = a->o.nwebhooks + (a->cmd != NULL ? 1 : 0);
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:O}",
	    "version", "1", "status", status, "runbook", a->o.runbook, "key",
	    key, "labels", json_object_get(alert, "labels"), "annotations",
	    json_object_get(alert, "annotations"), "startsAt",
	    json_object_get(alert, "startsAt"), "endsAt",
	    json_object_get(alert, "endsAt"));
	char *payload = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(doc);
	for (i = 0; i < n; i++) {
		struct delivery *d, **tail;

		if (a->queued >= QUEUE_MAX) {
			outcome(a, key, status, i < a->o.nwebhooks ?
			    a->wh[i] : "command", 0, 0, "dropped: too many "
			    "deliveries waiting");
			continue;
		}
		d = xcalloc(1, sizeof(*d));
		d->kind = i < a->o.nwebhooks ? TARGET_WEBHOOK : TARGET_COMMAND;
		d->target = i;
		d->key = xstrdup(key);
		d->status = xstrdup(status);
		d->payload = xstrdup(payload);
		d->next_at = time_mono();
		for (tail = &a->queue; *tail != NULL; tail = &(*tail)->next)
			;
		*tail = d;
		a->queued++;
	}
	free(payload);
}

void
alerter_fire(struct alerter *a, const char *key, json_t *labels,
    json_t *annotations, double starts_at)
{
	json_t *alert, *l = json_deep_copy(labels);

	pthread_mutex_lock(&a->mu);
	json_object_set_new(l, "runbook", json_string(a->o.runbook));
	alert = json_object_get(a->alerts, key);
	if (alert != NULL && json_is_true(json_object_get(alert, "active"))) {
		if (!json_equal(json_object_get(alert, "labels"), l) ||
		    !json_equal(json_object_get(alert, "annotations"),
		    annotations))
			a->am_dirty = 1;
		json_object_set_new(alert, "labels", l);
		json_object_set_new(alert, "annotations",
		    json_deep_copy(annotations));
	} else {
		alert = json_pack("{s:o, s:o, s:o, s:n, s:b, s:f}", "labels",
		    l, "annotations", json_deep_copy(annotations), "startsAt",
		    iso_json(starts_at), "endsAt", "active", 1, "resolved_at",
		    0.0);
		json_object_set_new(a->alerts, key, alert);
		enqueue(a, key, "firing", alert);
		a->am_dirty = 1;
	}
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

void
alerter_resolve(struct alerter *a, const char *key, double ends_at)
{
	json_t *alert;

	pthread_mutex_lock(&a->mu);
	alert = json_object_get(a->alerts, key);
	if (alert != NULL && json_is_true(json_object_get(alert, "active"))) {
		json_object_set_new(alert, "active", json_false());
		json_object_set_new(alert, "endsAt", iso_json(ends_at));
		json_object_set_new(alert, "resolved_at",
		    json_real(time_mono()));
		enqueue(a, key, "resolved", alert);
		a->am_dirty = 1;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
}

/* ---- the thread's side: blocking work, with the mutex released ---- */

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POSTs body to url; NULL when a 2xx came back, else the reason (heap). */
static char *
post(const char *url, const char *body, double timeout)
{
	CURL *c = sym_curl_easy_init();
	struct curl_slist *h = sym_curl_slist_append(NULL,
	    "Content-Type: application/json");
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode rc;
	char *why = NULL;

	if (c == NULL) {
		sym_curl_slist_free_all(h);
		return xstrdup("libcurl: out of memory");
	}
	sym_curl_easy_setopt(c, CURLOPT_URL, url);
	sym_curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	sym_curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	sym_curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	sym_curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	sym_curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	sym_curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	sym_curl_easy_setopt(c, CURLOPT_USERAGENT, "triage/" TRIAGE_VERSION);
	rc = sym_curl_easy_perform(c);
	sym_curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		why = xstrdup(*errbuf != '\0' ? errbuf : sym_curl_easy_strerror(rc));
	else if (status < 200 || status > 299)
		why = xasprintf("HTTP %ld", status);
	sym_curl_slist_free_all(h);
	sym_curl_easy_cleanup(c);
	return why;
}

/* Runs argv with payload on stdin; NULL when it exited 0, else why. */
static char *
run_command(char *const *argv, const char *payload, double timeout)
{
	struct proc_opts po = { 0 };
	struct proc p;
	char *cause = NULL, chunk[4096];
	double deadline = time_mono() + timeout;
	size_t len = strlen(payload), off = 0;

	po.stdin_pipe = 1;
	if (proc_spawn(&p, argv, &po, &cause) != 0)
		return cause;
	/* The payload is small: the pipe takes it whole unless the command
	 * does not read; either way it does not hold us past the deadline. */
	while (off < len && time_mono() < deadline) {
		struct pollfd pf = { p.in_fd, POLLOUT, 0 };
		ssize_t k;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		k = write(p.in_fd, payload + off, len - off);
		if (k <= 0)
			break;
		off += (size_t)k;
	}
	close(p.in_fd);
	p.in_fd = -1;
	while (time_mono() < deadline) {
		struct pollfd pf[3] = {
			{ p.pidfd, POLLIN, 0 }, { p.out_fd, POLLIN, 0 },
			{ p.err_fd, POLLIN, 0 },
		};
		int ms = (int)((deadline - time_mono()) * 1000) + 1;

		if (poll(pf, 3, ms) < 0 && errno != EINTR)
			break;
		if (pf[1].revents && read(p.out_fd, chunk, sizeof(chunk)) <= 0)
			pf[1].fd = -1;
		if (pf[2].revents && read(p.err_fd, chunk, sizeof(chunk)) <= 0)
			pf[2].fd = -1;
		if (pf[0].revents)
			break;
	}
	if (proc_poll(&p) == 1) {
		proc_kill(&p);	/* its group: what it left behind */
		proc_close(&p);
		if (p.signal != 0)
			return xasprintf("killed by signal %d", p.signal);
		return p.exit_code == 0 ? NULL : xasprintf("exited with "
		    "status %d", p.exit_code);
	}
	proc_kill(&p);
	proc_close(&p);
	return xasprintf("timed out after %.0f s: killed", timeout);
}

/* The Alertmanager batch, with the mutex held: every active alert with
 * endsAt = now + 4 x resend, every resolved one for RESOLVED_KEEP. */
static char *
am_batch(struct alerter *a, size_t *n)
{
	json_t *batch = json_array(), *alert, *tmp;
	double now = time_mono();
	const char *key;
	char *s;

	json_object_foreach_safe(a->alerts, tmp, key, alert) {
		int active = json_is_true(json_object_get(alert, "active"));
		json_t *one;

		if (!active && now - json_number_value(json_object_get(alert,
		    "resolved_at")) > RESOLVED_KEEP) {
			json_object_del(a->alerts, key);
			continue;
		}
		one = json_pack("{s:O, s:O, s:O, s:o}", "labels",
		    json_object_get(alert, "labels"), "annotations",
		    json_object_get(alert, "annotations"), "startsAt",
		    json_object_get(alert, "startsAt"), "endsAt", active ?
		    iso_json(time_now() + 4 * a->o.resend) :
		    json_incref(json_object_get(alert, "endsAt")));
		if (a->o.external_url != NULL)
			json_object_set_new(one, "generatorURL",
			    json_string(a->o.external_url));
		json_array_append_new(batch, one);
	}
	*n = json_array_size(batch);
	s = json_dumps(batch, JSON_COMPACT);
	json_decref(batch);
	return s;
}

static void
push_alertmanagers(struct alerter *a)
{
	size_t n, i;
	char *body = am_batch(a, &n);
	int failed = 0, attempt = ++a->am_attempt;

	a->am_dirty = 0;
	pthread_mutex_unlock(&a->mu);
	for (i = 0; i < a->o.nalertmanagers; i++) {
		char *url = xasprintf("%s/api/v2/alerts", a->am[i]);
		char *why = n > 0 ? post(url, body, a->o.timeout) : NULL;

		pthread_mutex_lock(&a->mu);
		if (n > 0)
			outcome(a, NULL, "batch", url, why == NULL, attempt,
			    why);
		pthread_mutex_unlock(&a->mu);
		failed |= why != NULL;
		free(why);
		free(url);
	}
	free(body);
	pthread_mutex_lock(&a->mu);
	if (failed) {
		a->am_next = time_mono() + a->am_backoff;
		a->am_backoff = fmin(a->am_backoff * 2, BACKOFF_CAP);
	} else {
		a->am_next = time_mono() + a->o.resend;
		a->am_backoff = 1;
		a->am_attempt = 0;
	}
}

/* Takes the first delivery that is due off the queue (mutex held). */
static struct delivery *
take_due(struct alerter *a, double now, double *next)
{
	struct delivery **p;

	for (p = &a->queue; *p != NULL; p = &(*p)->next) {
		struct delivery *d = *p;

		if (d->next_at <= now) {
			*p = d->next;
			a->queued--;
			return d;
		}
		if (d->next_at < *next)
			*next = d->next_at;
	}
	return NULL;
}

static void
free_delivery(struct delivery *d)
{
	free(d->key);
	free(d->status);
	free(d->payload);
	free(d);
}

static void
deliver(struct alerter *a, struct delivery *d)
{
	const char *target = d->kind == TARGET_WEBHOOK ? a->wh[d->target] :
	    a->cmd[0];
	char *why;

	d->attempt++;
	pthread_mutex_unlock(&a->mu);
	why = d->kind == TARGET_WEBHOOK ? post(target, d->payload,
	    a->o.timeout) : run_command(a->cmd, d->payload, a->o.timeout);
	pthread_mutex_lock(&a->mu);
	outcome(a, d->key, d->status, target, why == NULL, d->attempt, why);
	if (why != NULL && d->attempt < a->o.max_attempts && !a->stop) {
		d->next_at = time_mono() + fmin(pow(2, d->attempt - 1),
		    BACKOFF_CAP);
		d->next = a->queue;
		a->queue = d;
		a->queued++;
	} else {
		free_delivery(d);
	}
	free(why);
}

static void *
run(void *arg)
{
	struct alerter *a = arg;

	pthread_mutex_lock(&a->mu);
	while (!a->stop) {
		double now = time_mono(), next = now + 3600;
		struct delivery *d;
		struct timespec ts;

		if (a->o.nalertmanagers > 0 && (a->am_dirty ||
		    now >= a->am_next) && json_object_size(a->alerts) > 0) {
			push_alertmanagers(a);
			continue;
		}
		if ((d = take_due(a, now, &next)) != NULL) {
			deliver(a, d);
			continue;
		}
		if (a->o.nalertmanagers > 0 &&
		    json_object_size(a->alerts) > 0 && a->am_next < next)
			next = a->am_next;
		/* The condvar waits on CLOCK_REALTIME: turn the monotonic
		 * deadline into a wall one. */
		next = time_now() + (next - now);
		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - floor(next)) * 1e9);
		pthread_cond_timedwait(&a->cv, &a->mu, &ts);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static int
http_url(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

int
alerter_create(const struct alert_opts *o, struct alerter **out, char **err)
{
	struct alerter *a;
	const char *why;
	size_t i;

	*out = NULL;
	if (o->nalertmanagers + o->nwebhooks > 0 && lib_curl_load(&why) != 0) {
		*err = xasprintf("alerts over HTTP need a library that cannot "
		    "be loaded: %s", why);
		return -1;
	}
	for (i = 0; i < o->nalertmanagers + o->nwebhooks; i++) {
		const char *u = i < o->nalertmanagers ? o->alertmanagers[i] :
		    o->webhooks[i - o->nalertmanagers];

		if (!http_url(u)) {
			char *clean = strip_userinfo(u);

			*err = xasprintf("%s is not an http:// or https:// URL",
			    clean);
			free(clean);
			return -1;
		}
	}
	a = xcalloc(1, sizeof(*a));
	a->o = *o;
	a->o.runbook = NULL;
	a->o.runbook = xstrdup(o->runbook);
	a->o.external_url = o->external_url != NULL ?
	    xstrdup(o->external_url) : NULL;
	if (a->o.resend <= 0)
		a->o.resend = 60;
	if (a->o.timeout <= 0)
		a->o.timeout = 10;
	if (a->o.max_attempts <= 0)
		a->o.max_attempts = 5;
	a->am = copy_list(o->alertmanagers, o->nalertmanagers);
	for (i = 0; i < o->nalertmanagers; i++) {	/* no trailing / */
		size_t n = strlen(a->am[i]);

		while (n > 0 && a->am[i][n - 1] == '/')
			a->am[i][--n] = '\0';
	}
	a->wh = copy_list(o->webhooks, o->nwebhooks);
	if (o->command != NULL) {
		for (i = 0; o->command[i] != NULL; i++)
			;
		a->cmd = copy_list(o->command, i);
	}
	a->alerts = json_object();
	a->outcomes = json_array();
	a->am_backoff = 1;
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (a->efd < 0 || pthread_create(&a->thread, NULL, run, a) != 0) {
		*err = xasprintf("cannot start the alert thread: %s",
		    strerror(errno));
		a->stop = 1;
		alerter_free(a);
		return -1;
	}
	*out = a;
	return 0;
}

int
alerter_fd(const struct alerter *a)
{
	return a->efd;
}

json_t *
alerter_take_outcomes(struct alerter *a)
{
	uint64_t n;
	json_t *out;

	pthread_mutex_lock(&a->mu);
	out = a->outcomes;
	a->outcomes = json_array();
	if (read(a->efd, &n, sizeof(n)) < 0) {
		/* nothing was counted: fine */
	}
	pthread_mutex_unlock(&a->mu);
	return out;
}

void
alerter_free(struct alerter *a)
{
	struct delivery *d;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	if (!a->stop) {
		a->stop = 1;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL);
	} else {
		pthread_mutex_unlock(&a->mu);
	}
	while ((d = a->queue) != NULL) {
		a->queue = d->next;
		free_delivery(d);
	}
	json_decref(a->alerts);
	json_decref(a->outcomes);
	if (a->efd >= 0)
		close(a->efd);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	strv_free(a->am);
	strv_free(a->wh);
	strv_free(a->cmd);
	free((char *)a->o.runbook);
	free((char *)a->o.external_url);
	free(a);
}

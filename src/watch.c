/* SPDX-License-Identifier: MIT */
/* The daemon's picture of a watched runbook: states, flapping, diagnosis,
 * and the documents served from it (watch.h, docs/watch.md). */
#include "watch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fix.h"
#include "runbook.h"
#include "triage.h"
#include "util/buf.h"
#include "util/jsonout.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* Upper bounds of the latency and lag histograms, seconds (+Inf last). */
static const double bucket_le[WATCH_BUCKETS - 1] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static size_t
bucket_of(double secs)
{
	size_t b = 0;

	while (b < WATCH_BUCKETS - 1 && secs > bucket_le[b])
		b++;
	return b;
}

static void
iso(double t, char *out, size_t n)
{
	time_format_iso8601(t, 1, out, n);
}

static json_t *
iso_json(double t)
{
	char s[40];

	if (t <= 0)
		return json_null();
	iso(t, s, sizeof(s));
	return json_string(s);
}

static void
note_read(void *arg, const char *root, const char *key)
{
	json_t *reads = arg, *keys = json_object_get(reads, root);

	if (json_is_true(keys))
		return;
	if (key == NULL) {
		json_object_set_new(reads, root, json_true());
		return;
	}
	if (keys == NULL) {
		keys = json_object();
		json_object_set_new(reads, root, keys);
	}
	json_object_set_new(keys, key, json_true());
}

void
watch_init(struct watch *w, const struct runbook *rb, double now,
    double stale_floor, const struct watch_hooks *hooks)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->rb = rb;
	w->n = rb->nprobes;
	w->probes = xcalloc(w->n + 1, sizeof(*w->probes));
	w->hard_by_id = json_object();
	w->reads = json_object();
	triage_fields(rb, note_read, w->reads);
	w->active = json_object();
	w->acks = json_object();
	w->changes = json_array();
	w->started_at = now;
	w->stale_floor = stale_floor;
	w->dirty = 1;
	if (hooks != NULL)
		w->hooks = *hooks;
	w->min_interval = 0;
	for (i = 0; i < w->n; i++) {
		struct watch_probe *wp = &w->probes[i];

		wp->state = wp->hard = STATE_OK;
		wp->hard_since = now;
		if (w->min_interval == 0 ||
		    rb->probes[i].interval < w->min_interval)
			w->min_interval = rb->probes[i].interval;
	}
}

void
watch_adopt(struct watch *w, struct watch *old)
{
	const char *id;
	json_t *since;
	size_t i;

	for (i = 0; i < w->n; i++) {
		long j = runbook_probe_index(old->rb, w->rb->probes[i].id);
		struct watch_probe *from;

		if (j < 0)
			continue;
		from = &old->probes[j];
		w->probes[i] = *from;
		from->result = from->hard_result = from->ack = NULL;
		if (w->probes[i].hard_result != NULL)
			json_object_set(w->hard_by_id, w->rb->probes[i].id,
			    w->probes[i].hard_result);
	}
	json_object_foreach(old->active, id, since) {
		if (fix_failure_find(w->rb, id) != NULL) {
			json_object_set(w->active, id, since);
			if (json_object_get(old->acks, id) != NULL)
				json_object_set(w->acks, id,
				    json_object_get(old->acks, id));
		} else if (old->hooks.failure_changed != NULL) {
			old->hooks.failure_changed(old->hooks.arg,
			    fix_failure_find(old->rb, id), NULL);
		}
	}
	json_decref(w->changes);
	w->changes = json_incref(old->changes);
	memcpy(w->lags, old->lags, sizeof(w->lags));
	w->nlags = old->nlags;
	memcpy(w->lag_buckets, old->lag_buckets, sizeof(w->lag_buckets));
	w->lag_count = old->lag_count;
	w->lag_sum = old->lag_sum;
	w->started_at = old->started_at;
	w->last_poll_at = old->last_poll_at;
	w->paused = old->paused;
	w->restarts = old->restarts;
	w->dirty = 1;
}

void
watch_dispose(struct watch *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		json_decref(w->probes[i].result);
		json_decref(w->probes[i].hard_result);
		json_decref(w->probes[i].ack);
	}
	free(w->probes);
	json_decref(w->hard_by_id);
	json_decref(w->reads);
	json_decref(w->diagnosis);
	json_decref(w->active);
	json_decref(w->acks);
	json_decref(w->changes);
	free(w->reload_error);
	memset(w, 0, sizeof(*w));
}

static enum probe_state
result_state(json_t *result)
{
	enum probe_state s;
	const char *name = json_string_value(json_object_get(result, "state"));

	if (name == NULL || probe_state_parse(name, &s) != 0)
		return STATE_UNKNOWN;
	return s;
}

/* Flapping, as Nagios measures it: the share of state changes among the
 * last WATCH_FLAP_WINDOW results, the newer weighing more (0.8 to 1.2),
 * with a high and a low threshold so that it does not flap itself. */
static void
flap_update(struct watch_probe *wp, enum probe_state s)
{
	double changed = 0, total = 0;
	size_t j, m;

	if (wp->nrecent == WATCH_FLAP_WINDOW) {
		memmove(wp->recent, wp->recent + 1, WATCH_FLAP_WINDOW - 1);
		wp->nrecent--;
	}
	wp->recent[wp->nrecent++] = (unsigned char)s;
	m = wp->nrecent;
	if (m < WATCH_FLAP_WINDOW) {
		wp->flap = 0;
		return;
	}
	for (j = 1; j < m; j++) {
		double weight = 0.8 + 0.4 * (double)(j - 1) / (double)(m - 2);

		total += weight;
		if (wp->recent[j] != wp->recent[j - 1])
			changed += weight;
	}
	wp->flap = changed / total;
}

static void
change_add(struct watch *w, size_t i, enum probe_state from,
    enum probe_state to, const char *type, double now)
{
	const struct probe *p = &w->rb->probes[i];
	json_t *reason = json_object_get(w->probes[i].result, "reason");

	json_array_insert_new(w->changes, 0, json_pack("{s:o, s:s, s:s, s:s, "
	    "s:s, s:O}", "at", iso_json(now), "probe", p->id, "from",
	    probe_state_name(from), "to", probe_state_name(to), "type", type,
	    "reason", reason != NULL ? reason : json_null()));
	while (json_array_size(w->changes) > WATCH_CHANGES)
		json_array_remove(w->changes, WATCH_CHANGES);
}

/* What is kept of an ok result (watch.h): at 10,000 http probes, some
 * 1.4 KB a probe where the whole result is 3.2 KB (docs/performance.md).
 * Takes result's reference; returns one. */
static json_t *
kept(const struct watch *w, const char *id, json_t *result)
{
	json_t *reads = json_object_get(w->reads, id), *out, *v;
	const char *key;
	size_t k;

	if (json_is_true(reads) || result_state(result) != STATE_OK)
		return result;
	out = json_object();
	for (k = 0; probe_common_results[k] != NULL; k++) {
		if ((v = json_object_get(result, probe_common_results[k])) !=
		    NULL)
			json_object_set(out, probe_common_results[k], v);
	}
	json_object_foreach(reads, key, v) {
		json_t *x = json_object_get(result, key);

		if (x != NULL)
			json_object_set(out, key, x);
	}
	json_decref(result);
	return out;
}

void
watch_result(struct watch *w, size_t i, json_t *result, double lag,
    double now)
{
	struct watch_probe *wp;
	const struct probe *p;
	enum probe_state s, from, soft_from;
	json_t *latency;
	const char *at;
	int was_flapping;

	if (i >= w->n) {
		json_decref(result);
		return;
	}
	wp = &w->probes[i];
	p = &w->rb->probes[i];
	result = kept(w, p->id, result);
	s = result_state(result);
	/* A first result is news to the diagnosis even when it is ok, the
	 * state a probe starts in: a failure mode that reads it may now be
	 * decided. */
	if (wp->result == NULL || now - w->diagnosed_at >= w->min_interval)
		w->dirty = 1;
	json_decref(wp->result);
	wp->result = result;
	wp->nresults++;
	at = json_string_value(json_object_get(result, "checked_at"));
	if (at == NULL || time_parse_iso8601(at, &wp->checked) != 0)
		wp->checked = now;
	w->last_poll_at = now;

	/* Latency: the sparkline and the histogram. */
	latency = json_object_get(result, "latency");
	if (wp->nspark == WATCH_SPARK) {
		memmove(wp->spark, wp->spark + 1,
		    (WATCH_SPARK - 1) * sizeof(*wp->spark));
		wp->nspark--;
	}
	wp->spark[wp->nspark++] = json_is_number(latency) ?
	    json_number_value(latency) * 1000 : -1;
	if (json_is_number(latency)) {
		wp->buckets[bucket_of(json_number_value(latency))]++;
		wp->count++;
		wp->sum += json_number_value(latency);
	}
	if (s != STATE_SKIPPED) {
		w->lags[w->nlags++ % WATCH_LAGS] = lag;
		w->lag_buckets[bucket_of(lag)]++;
		w->lag_count++;
		w->lag_sum += lag;
	}

	/* SOFT and HARD, as Nagios: leaving ok (or skipped) takes `retries`
	 * results in a row; a recovery, a change between two failing states
	 * and a skip (a need is down) are hard at once. */
	soft_from = wp->state;
	wp->state = s;
	from = wp->hard;
	if (s == wp->hard) {
		wp->attempt = 0;
	} else if (s == STATE_OK || s == STATE_SKIPPED ||
	    (wp->hard != STATE_OK && wp->hard != STATE_SKIPPED) ||
	    ++wp->attempt >= p->retries) {
		wp->hard = s;
		wp->attempt = 0;
		wp->hard_since = now;
		if (s == STATE_OK || s == STATE_SKIPPED) {
			json_decref(wp->ack);	/* recovered */
			wp->ack = NULL;
		}
	}
	if (wp->state == wp->hard) {
		json_decref(wp->hard_result);
		wp->hard_result = json_incref(result);
		json_object_set(w->hard_by_id, p->id, result);
	}
	was_flapping = wp->flapping;
	flap_update(wp, s);
	if (!wp->flapping && wp->flap > WATCH_FLAP_HIGH)
		wp->flapping = 1;
	else if (wp->flapping && wp->flap < WATCH_FLAP_LOW)
		wp->flapping = 0;

	if (wp->hard != from)
		change_add(w, i, from, wp->hard, "hard", now);
	else if (s != soft_from)
		change_add(w, i, soft_from, s, "soft", now);
	if (wp->hard != from || s != soft_from)
		w->dirty = 1;
	if ((wp->hard != from || wp->flapping != was_flapping) &&
	    w->hooks.probe_changed != NULL)
		w->hooks.probe_changed(w->hooks.arg, i, wp, from);
}

void
watch_diagnose(struct watch *w, double now)
{
	const struct runbook *rb = w->rb;
	json_t *diag, *doc, *probes, *f, *since, *tmp;
	const char *id;
	size_t i;

	if (!w->dirty && w->diagnosis != NULL)
		return;
	w->dirty = 0;
	w->diagnosed_at = now;
	probes = json_array();
	diag = triage_diagnose(rb, w->hard_by_id, now);
	json_array_foreach(json_object_get(diag, "failures"), i, f)
		json_object_set_new(f, "fix", fix_plan(rb, fix_failure_find(rb,
		    json_string_value(json_object_get(f, "id"))),
		    w->hard_by_id, now));
	for (i = 0; i < w->n; i++) {
		if (w->probes[i].hard_result != NULL)
			json_array_append(probes, w->probes[i].hard_result);
	}
	doc = json_pack("{s:i, s:s, s:O, s:O, s:O, s:O, s:o, s:{s:s?}}",
	    "schema", 1, "runbook", rb->id, "status", json_object_get(diag,
	    "status"), "path", json_object_get(diag, "path"), "failures",
	    json_object_get(diag, "failures"), "possible",
	    json_object_get(diag, "possible"), "probes", probes, "escalation",
	    "contact", rb->escalation.contact);
	json_decref(diag);
	runbook_redact_json(rb, doc);
	json_decref(w->diagnosis);
	w->diagnosis = doc;

	/* Which failure modes became active, and which resolved. */
	json_array_foreach(json_object_get(doc, "failures"), i, f) {
		id = json_string_value(json_object_get(f, "id"));
		if (json_object_get(w->active, id) != NULL)
			continue;
		json_object_set_new(w->active, id, json_real(now));
		if (w->hooks.failure_changed != NULL)
			w->hooks.failure_changed(w->hooks.arg,
			    fix_failure_find(rb, id), f);
	}
	json_object_foreach_safe(w->active, tmp, id, since) {
		int still = 0;

		json_array_foreach(json_object_get(doc, "failures"), i, f)
			still |= strcmp(json_string_value(json_object_get(f,
			    "id")), id) == 0;
		if (still)
			continue;
		if (w->hooks.failure_changed != NULL)
			w->hooks.failure_changed(w->hooks.arg,
			    fix_failure_find(rb, id), NULL);
		json_object_del(w->acks, id);
		json_object_del(w->active, id);	/* id is its key: last */
	}
}

int
watch_ack_probe(struct watch *w, size_t i, json_t *ack)
{
	struct watch_probe *wp = &w->probes[i];

	if (ack != NULL && (wp->hard == STATE_OK ||
	    wp->hard == STATE_SKIPPED)) {
		json_decref(ack);
		return -1;
	}
	json_decref(wp->ack);
	wp->ack = ack;
	return 0;
}

int
watch_ack_failure(struct watch *w, const char *id, json_t *ack)
{
	if (json_object_get(w->active, id) == NULL) {
		json_decref(ack);
		return ack != NULL ? -1 : 0;
	}
	if (ack != NULL)
		json_object_set_new(w->acks, id, ack);
	else
		json_object_del(w->acks, id);
	return 0;
}

json_t *
watch_diagnosis(const struct watch *w)
{
	return w->diagnosis;
}

double
watch_stale_limit(const struct watch *w)
{
	return fmax(2 * w->min_interval, w->stale_floor);
}

int
watch_stale(const struct watch *w, double now)
{
	double last = w->last_poll_at > 0 ? w->last_poll_at : w->started_at;

	return !w->paused && now - last > watch_stale_limit(w);
}

json_t *
watch_health(const struct watch *w, double now, int *status)
{
	int stale = watch_stale(w, now);

	*status = stale ? 503 : 200;
	return json_pack("{s:s, s:o, s:b, s:f, s:s?}", "status", w->paused ?
	    "paused" : stale ? "stale" : "ok", "poller_last_poll_at",
	    iso_json(w->last_poll_at), "paused", w->paused, "stale_after_s",
	    watch_stale_limit(w), "reload_error", w->reload_error);
}

/* The p-th percentile (0-100) of the kept lags, milliseconds. */
static double
lag_percentile(const struct watch *w, double pct)
{
	size_t n = w->nlags < WATCH_LAGS ? w->nlags : WATCH_LAGS, k;
	double *v, r;

	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	memcpy(v, w->lags, n * sizeof(*v));
	for (k = 1; k < n; k++) {	/* insertion sort: n <= 1024 */
		double x = v[k];
		size_t j = k;

		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	k = (size_t)ceil(pct / 100 * (double)n);
	r = v[k > 0 ? k - 1 : 0] * 1000;
	free(v);
	return r;
}

static enum probe_state
worst_hard(const struct watch *w)
{
	static const int rank[] = {
		[STATE_OK] = 0, [STATE_SKIPPED] = 0, [STATE_WARNING] = 1,
		[STATE_UNKNOWN] = 2, [STATE_CRITICAL] = 3,
	};
	enum probe_state worst = STATE_OK;
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (rank[w->probes[i].hard] > rank[worst])
			worst = w->probes[i].hard;
	}
	return worst;
}

static json_t *
probe_status(const struct watch *w, size_t i, double now)
{
	const struct watch_probe *wp = &w->probes[i];
	const struct probe *p = &w->rb->probes[i];
	json_t *r = wp->result, *o, *spark = json_array();
	double limit = fmax(2 * p->interval, w->stale_floor);
	size_t k;

	for (k = 0; k < wp->nspark; k++)
		json_array_append_new(spark, wp->spark[k] < 0 ? json_null() :
		    json_real(round(wp->spark[k] * 10) / 10));
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:i, s:i}",
	    "id", p->id, "layer", p->layer, "kind", p->kind->name,
	    "description", p->description, "state", r != NULL ?
	    probe_state_name(wp->state) : "unknown", "hard_state",
	    probe_state_name(wp->hard), "state_type", wp->state == wp->hard ?
	    "hard" : "soft", "attempt", wp->state == wp->hard ? 0 :
	    wp->attempt, "retries", p->retries);
	json_object_set(o, "ok", r != NULL ? json_object_get(r, "ok") :
	    json_false());
	json_object_set_new(o, "reason", r != NULL ?
	    json_incref(json_object_get(r, "reason")) :
	    json_string("not checked yet"));
	json_object_set_new(o, "latency_ms", r != NULL ?
	    json_incref(json_object_get(r, "latency_ms")) : json_null());
	json_object_set_new(o, "checked_at", r != NULL ?
	    json_incref(json_object_get(r, "checked_at")) : json_null());
	json_object_set_new(o, "age_s", r != NULL ?
	    json_real(round((now - wp->checked) * 10) / 10) : json_null());
	json_object_set_new(o, "interval_s", json_real(p->interval));
	json_object_set_new(o, "stale", json_boolean(r != NULL ?
	    now - wp->checked > limit : now - w->started_at > limit));
	json_object_set_new(o, "flapping", json_boolean(wp->flapping));
	json_object_set_new(o, "ack", wp->ack != NULL ? json_incref(wp->ack) :
	    json_null());
	json_object_set_new(o, "latency_history", spark);
	/* json_object_set of a NULL member would fail: normalise. */
	if (json_object_get(o, "reason") == NULL)
		json_object_set_new(o, "reason", json_null());
	return o;
}

char *
watch_status_text(const struct watch *w, double now)
{
	json_t *head, *failures = json_array(), *f, *ack;
	const char *id;
	struct buf b;
	char *text;
	size_t i;

	json_array_foreach(json_object_get(w->diagnosis, "failures"), i, f) {
		id = json_string_value(json_object_get(f, "id"));
		ack = json_object_get(w->acks, id);
		json_array_append_new(failures, json_pack("{s:s, s:O, s:O, "
		    "s:o, s:O}", "id", id, "title", json_object_get(f, "title"),
		    "layer", json_object_get(f, "layer"), "since", iso_json(
		    json_number_value(json_object_get(w->active, id))), "ack",
		    ack != NULL ? ack : json_null()));
	}
	head = json_pack("{s:i, s:s, s:s?, s:o, s:s, s:b, s:b, s:o, s:s?, "
	    "s:{s:f, s:f, s:f, s:i}, s:o, s:O}",
	    "schema", 1, "runbook", w->rb->id, "title", w->rb->title,
	    "generated_at", iso_json(now), "status",
	    probe_state_name(worst_hard(w)), "paused", w->paused, "stale",
	    watch_stale(w, now), "poller_last_poll_at",
	    iso_json(w->last_poll_at), "reload_error", w->reload_error,
	    "scheduler", "lag_p50_ms", lag_percentile(w, 50), "lag_p99_ms",
	    lag_percentile(w, 99), "lag_max_ms", lag_percentile(w, 100),
	    "restarts", (int)w->restarts, "failures", failures, "changes",
	    w->changes);
	/* The probes go last, each dumped and freed before the next is
	 * built: at 10,000 probes their trees together would be some 30 MB
	 * for a 3 MB document. */
	text = json_dumps(head, JSON_COMPACT);
	json_decref(head);
	buf_init(&b, 0);
	buf_append(&b, text, strlen(text) - 1);	/* all but the '}' */
	free(text);
	buf_puts(&b, ",\"probes\":[");
	for (i = 0; i < w->n; i++) {
		json_t *o = probe_status(w, i, now);

		if (i > 0)
			buf_putc(&b, ',');
		jsonout_compact(&b, o);
		json_decref(o);
	}
	buf_puts(&b, "]}");
	return buf_steal(&b);
}

/* A label value in the text format: \ " and newline escaped. */
static void
label(struct buf *b, const char *name, const char *value)
{
	buf_printf(b, "%s=\"", name);
	for (; value != NULL && *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			buf_putc(b, '\\');
		if (*value == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *value);
	}
	buf_putc(b, '"');
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The labels of probe i: runbook, probe, layer, kind (no braces). */
static void
probe_labels(struct buf *b, const struct watch *w, size_t i)
{
	const struct probe *p = &w->rb->probes[i];

	label(b, "runbook", w->rb->id);
	buf_putc(b, ',');
	label(b, "probe", p->id);
	buf_putc(b, ',');
	label(b, "layer", p->layer);
	buf_putc(b, ',');
	label(b, "kind", p->kind->name);
}

static void
histogram(struct buf *b, const char *name, const struct watch *w, long i,
    const uint64_t *buckets, uint64_t count, double sum)
{
	uint64_t cum = 0;
	size_t k;

	for (k = 0; k < WATCH_BUCKETS; k++) {
		cum += buckets[k];
		buf_printf(b, "%s_bucket{", name);
		if (i >= 0) {
			probe_labels(b, w, (size_t)i);
		} else {
			label(b, "runbook", w->rb->id);
		}
		if (k < WATCH_BUCKETS - 1)
			buf_printf(b, ",le=\"%g\"} %llu\n", bucket_le[k],
			    (unsigned long long)cum);
		else
			buf_printf(b, ",le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	buf_printf(b, "%s_sum{", name);
	if (i >= 0)
		probe_labels(b, w, (size_t)i);
	else
		label(b, "runbook", w->rb->id);
	buf_printf(b, "} %.9g\n%s_count{", sum, name);
	if (i >= 0)
		probe_labels(b, w, (size_t)i);
	else
		label(b, "runbook", w->rb->id);
	buf_printf(b, "} %llu\n", (unsigned long long)count);
}

char *
watch_metrics(const struct watch *w, double now)
{
	static const enum probe_state states[] = {
		STATE_OK, STATE_WARNING, STATE_CRITICAL, STATE_UNKNOWN,
		STATE_SKIPPED,
	};
	struct buf b;
	size_t i, k;

	(void)now;
	buf_init(&b, 0);
	family(&b, "triage_build_info", "gauge",
	    "The version of triage serving these metrics.");
	buf_printf(&b, "triage_build_info{version=\"%s\"} 1\n",
	    TRIAGE_VERSION);
	family(&b, "triage_probe_up", "gauge",
	    "1 when the probe's last result is ok or warning, else 0.");
	for (i = 0; i < w->n; i++) {
		buf_puts(&b, "triage_probe_up{");
		probe_labels(&b, w, i);
		buf_printf(&b, "} %d\n", w->probes[i].result != NULL &&
		    json_is_true(json_object_get(w->probes[i].result, "ok")));
	}
	family(&b, "triage_probe_state", "gauge",
	    "1 for the state of the probe's last result (the SOFT state).");
	for (i = 0; i < w->n; i++) {
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			buf_puts(&b, "triage_probe_state{");
			probe_labels(&b, w, i);
			buf_putc(&b, ',');
			label(&b, "state", probe_state_name(states[k]));
			buf_printf(&b, "} %d\n", w->probes[i].result != NULL &&
			    w->probes[i].state == states[k]);
		}
	}
	family(&b, "triage_probe_hard_state", "gauge",
	    "1 for the probe's HARD state (after retries).");
	for (i = 0; i < w->n; i++) {
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			buf_puts(&b, "triage_probe_hard_state{");
			probe_labels(&b, w, i);
			buf_putc(&b, ',');
			label(&b, "state", probe_state_name(states[k]));
			buf_printf(&b, "} %d\n", w->probes[i].hard ==
			    states[k]);
		}
	}
	family(&b, "triage_probe_flapping", "gauge",
	    "1 while the probe is flapping.");
	for (i = 0; i < w->n; i++) {
		buf_puts(&b, "triage_probe_flapping{");
		probe_labels(&b, w, i);
		buf_printf(&b, "} %d\n", w->probes[i].flapping);
	}
	family(&b, "triage_probe_last_check_timestamp_seconds", "gauge",
	    "When the probe's last result was taken.");
	for (i = 0; i < w->n; i++) {
		if (w->probes[i].result == NULL)
			continue;
		buf_puts(&b, "triage_probe_last_check_timestamp_seconds{");
		probe_labels(&b, w, i);
		buf_printf(&b, "} %.3f\n", w->probes[i].checked);
	}
	family(&b, "triage_probe_latency_seconds", "histogram",
	    "How long each run of the probe took.");
	for (i = 0; i < w->n; i++)
		histogram(&b, "triage_probe_latency_seconds", w, (long)i,
		    w->probes[i].buckets, w->probes[i].count,
		    w->probes[i].sum);
	family(&b, "triage_failure_active", "gauge",
	    "1 while the failure mode's symptom holds (over HARD states).");
	for (i = 0; i < w->rb->nfailures; i++) {
		const struct failure *f = &w->rb->failures[i];

		buf_puts(&b, "triage_failure_active{");
		label(&b, "runbook", w->rb->id);
		buf_putc(&b, ',');
		label(&b, "failure", f->id);
		buf_putc(&b, ',');
		label(&b, "layer", f->layer != NULL ? f->layer : "");
		buf_printf(&b, "} %d\n",
		    json_object_get(w->active, f->id) != NULL);
	}
	family(&b, "triage_last_poll_timestamp_seconds", "gauge",
	    "When the poller last handed over a result.");
	buf_puts(&b, "triage_last_poll_timestamp_seconds{");
	label(&b, "runbook", w->rb->id);
	buf_printf(&b, "} %.3f\n", w->last_poll_at);
	family(&b, "triage_scheduler_lag_seconds", "histogram",
	    "How late each probe run started after it was due.");
	histogram(&b, "triage_scheduler_lag_seconds", w, -1, w->lag_buckets,
	    w->lag_count, w->lag_sum);
	family(&b, "triage_poller_restarts_total", "counter",
	    "How many times the supervisor restarted the poller.");
	buf_puts(&b, "triage_poller_restarts_total{");
	label(&b, "runbook", w->rb->id);
	buf_printf(&b, "} %u\n", w->restarts);
	family(&b, "triage_paused", "gauge",
	    "1 while probing is paused (POST /api/v1/pause).");
	buf_puts(&b, "triage_paused{");
	label(&b, "runbook", w->rb->id);
	buf_printf(&b, "} %d\n", w->paused);
	return buf_steal(&b);
}

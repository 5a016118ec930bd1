/* SPDX-License-Identifier: MIT */
/* triage watch: the poller daemon (docs/watch.md). One event loop carries
 * the HTTP server, the supervisor of the poller process, the store writes
 * and the diagnosis; the probes run in the supervised poller (poller.h);
 * alerts leave from their own thread (alert.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "alerts.h"
#include "child.h"
#include "cmd.h"
#include "http-dashboard.h"
#include "diag.h"
#include "fix.h"
#include "http-server.h"
#include "loop.h"
#include "poller.h"
#include "runbook.h"
#include "store.h"
#include "watch.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/proc.h"
#include "util/sdnotify.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define WATCH_LISTEN_DEFAULT "127.0.0.1:8070"
#define BACKOFF_MIN 1.0		/* the first restart of the poller */
#define BACKOFF_MAX 300.0	/* doubling up to this */
#define HEALTHY_RESET 300.0	/* a poller up this long starts over at 1 s */
#define FLUSH_EVERY 1.0		/* samples are written at least this often */
#define FLUSH_MAX 5000		/* ... or when this many wait */
#define PRUNE_EVERY 60.0	/* retention runs this often */
#define PRUNE_BATCH 2000	/* rows of a table deleted at a time ... */
#define PRUNE_PAUSE 0.02	/* ... with the loop running in between */
#define ACK_BY_MAX 128		/* an acknowledgement's author, bytes */
#define ACK_COMMENT_MAX 1024	/* and its comment */
#define STATUS_COALESCE 0.25	/* /api/v1/status is rebuilt for new results
				 * at most this often ... */
#define STATUS_MAX_AGE 1.0	/* ... and at least this often (ages) */
#define DRAIN_GRACE 5.0		/* after the longest timeout, at SIGTERM */
#define STALE_GRACE 5.0		/* stale this long before the poller is
				 * killed: /health shows it first */

static const struct option_spec watch_options[] = {
	{ "listen", 'l', OPT_STRING, "serve the dashboard and API on ADDR "
	    "(default " WATCH_LISTEN_DEFAULT "; a non-loopback address needs "
	    "--token-file)", "ADDR" },
	{ "token-file", 0, OPT_STRING, "the bearer token for POST routes "
	    "(default: generated into STATE-DIR/token, mode 0600)", "PATH" },
	{ "state-dir", 0, OPT_STRING, "where the token is kept (default: "
	    "$XDG_STATE_HOME/triage)", "DIR" },
	{ "store", 0, OPT_STRING, "the store (default: $TRIAGE_STORE, else "
	    "$XDG_STATE_HOME/triage/triage.db)", "PATH" },
	{ "retain", 0, OPT_STRING, "keep samples, state changes and alert "
	    "deliveries this long (default 30d)", "DURATION" },
	{ "stale-after", 0, OPT_STRING, "/health is stale (503) when the last "
	    "poll is older than this and than 2 x the shortest interval "
	    "(default 120s)", "DURATION" },
	{ "alertmanager", 0, OPT_LIST, "push alerts to this Alertmanager "
	    "(repeatable)", "URL" },
	{ "webhook", 0, OPT_LIST, "POST each alert as JSON to URL "
	    "(repeatable)", "URL" },
	{ "alert-command", 0, OPT_STRING, "run PATH with each alert as JSON "
	    "on stdin", "PATH" },
	{ "alert-resend", 0, OPT_STRING, "re-send active alerts to "
	    "Alertmanager this often (default 60s)", "DURATION" },
	{ "external-url", 0, OPT_STRING, "the dashboard's URL, for alerts "
	    "(default: http://ADDR/)", "URL" },
	{ "no-auto-fix", 0, OPT_FLAG, "never apply a fix, even one marked "
	    "auto_fix: true", NULL },
	{ "jobs", 'j', OPT_INT, "run at most N probes at once (default 128)",
	    "N" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_watch_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.summary = "poll every probe on its interval; serve a dashboard, "
	    "/health, /metrics and an API; raise alerts",
	.options = watch_options,
	.exec = cmd_watch_exec,
	.exit_help = "0 after SIGTERM or SIGINT (in-flight probes drained), "
	    "3 when it cannot start (runbook, store, address)",
};

/* One auto_fix being applied: `triage fix ID --apply` as a child. */
struct fixer {
	struct child child;
	char *failure;		/* NULL: never used */
	int running;
};

struct daemon {
	struct cmd_ctx *ctx;
	struct loop *loop;
	const char *path;	/* the runbook; NULL: the built-in one */
	struct runbook *rb;
	struct watch w;
	struct poller poller;
	char **poller_argv;
	char *self;		/* our own executable */
	double backoff;
	double poller_started;	/* monotonic */
	int poller_killed;	/* we killed it: a restart, not a crash */
	struct loop_timer restart_timer;
	struct loop_timer supervise_timer;
	struct loop_timer diagnose_timer;
	struct loop_timer flush_timer;
	struct loop_timer prune_timer;
	struct loop_timer watchdog_timer;
	double watchdog;	/* seconds between WATCHDOG=1; 0: none */
	int sigfd;
	int stopping;
	double stop_deadline;	/* monotonic */
	struct httpd *httpd;
	char *token;
	struct alerter *alerter;
	char *external_url;
	struct store *store;
	/* Samples not yet in the store: what it keeps of a result, not the
	 * result (10,000 http results are 32 MB as trees). The probe ids
	 * and state names are borrowed (from the runbook: samples are
	 * flushed before a reload frees it); the reasons are copies. */
	struct store_sample *pending;
	size_t npending;
	double retain;
	long pruned;		/* rows deleted by this round of retention */
	int no_auto_fix;
	struct fixer fixers[4];
	/* The /api/v1/status body: rebuilt when results have arrived
	 * since (at most every STATUS_COALESCE) or when it is
	 * STATUS_MAX_AGE old; what an operator changes (pause, reload, a
	 * restart) drops it. */
	struct {
		char *body;	/* NULL: none */
		size_t len;
		double built;	/* epoch seconds */
		int results;	/* results arrived since it was built */
	} status;
};

/* Log lines go to stderr with the time first (systemd's journal keeps
 * them as they are). */
static void PRINTFLIKE(1, 2)
logf_(const char *fmt, ...)
{
	char when[40];
	va_list ap;

	time_format_iso8601(time_now(), 0, when, sizeof(when));
	fprintf(stderr, "%s triage watch: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The store: samples in batches.
 */

static void
sample_add(struct daemon *d, size_t i, json_t *r)
{
	struct store_sample *v;
	json_t *lat = json_object_get(r, "latency_ms");
	const char *reason = json_string_value(json_object_get(r, "reason"));
	enum probe_state state;

	if (i >= d->rb->nprobes)
		return;
	if (d->npending % FLUSH_MAX == 0)
		d->pending = xreallocarray(d->pending, d->npending + FLUSH_MAX,
		    sizeof(*d->pending));
	v = &d->pending[d->npending++];
	v->probe = d->rb->probes[i].id;
	if (probe_state_parse(json_string_value(json_object_get(r, "state")),
	    &state) != 0)
		state = STATE_UNKNOWN;
	v->state = probe_state_name(state);
	v->reason = reason != NULL ? xstrdup(reason) : NULL;
	v->latency_ms = json_is_number(lat) ? json_number_value(lat) : -1;
	if (time_parse_iso8601(json_string_value(json_object_get(r,
	    "checked_at")), &v->at) != 0)
		v->at = time_now();
}

/* Writes the pending samples in one transaction; before a reload, since
 * they borrow the runbook's probe ids. */
static void
flush_samples(struct daemon *d)
{
	char *err = NULL;
	size_t i;

	if (d->npending == 0)
		return;
	if (d->store != NULL && store_samples_add(d->store, d->rb->id,
	    d->pending, d->npending, &err) != 0) {
		logf_("%zu samples not stored: %s", d->npending, err);
		free(err);
	}
	for (i = 0; i < d->npending; i++)
		free((char *)d->pending[i].reason);
	d->npending = 0;
}

static void
on_flush(void *arg)
{
	struct daemon *d = arg;

	flush_samples(d);
	loop_timer_after(d->loop, &d->flush_timer, FLUSH_EVERY);
}

/* Retention, PRUNE_BATCH rows of a table at a time with the loop running
 * in between, so that a backlog (a first --retain, a daemon that was
 * down) never holds the poller's results or a request for long. */
static void
on_prune(void *arg)
{
	struct daemon *d = arg;
	long deleted = 0;
	char *err = NULL;
	int rc = 0;

	if (d->store != NULL)
		rc = store_prune(d->store, time_now() - d->retain, PRUNE_BATCH,
		    &deleted, &err);
	if (rc < 0) {
		logf_("retention: %s", err);
		free(err);
	}
	d->pruned += deleted;
	if (rc == 1) {
		loop_timer_after(d->loop, &d->prune_timer, PRUNE_PAUSE);
		return;
	}
	if (d->pruned > 0)
		logf_("retention: %ld rows older than the --retain window "
		    "deleted", d->pruned);
	d->pruned = 0;
	loop_timer_after(d->loop, &d->prune_timer, PRUNE_EVERY);
}

/*
 * Alerts and auto_fix.
 */

/* An acknowledgement shows in the alert as the annotation `acknowledged`:
 * "by alice at 2026-12-07T18:00:00Z: looking at it". */
static void
ack_annotate(json_t *ann, json_t *ack)
{
	const char *comment = json_string_value(json_object_get(ack,
	    "comment"));

	if (ack == NULL)
		return;
	json_object_set_new(ann, "acknowledged", json_sprintf("by %s at %s%s%s",
	    json_string_value(json_object_get(ack, "by")),
	    json_string_value(json_object_get(ack, "at")),
	    comment != NULL ? ": " : "", comment != NULL ? comment : ""));
}

static void
probe_alert(struct daemon *d, size_t i, const struct watch_probe *wp)
{
	const struct probe *p = &d->rb->probes[i];
	const char *reason = json_string_value(json_object_get(wp->result,
	    "reason"));
	int firing = wp->flapping || wp->hard == STATE_WARNING ||
	    wp->hard == STATE_CRITICAL || wp->hard == STATE_UNKNOWN;
	char *key = xasprintf("probe/%s", p->id), *summary;
	json_t *labels, *ann;

	if (d->alerter == NULL) {
		free(key);
		return;
	}
	if (!firing) {
		alerter_resolve(d->alerter, key, time_now());
		free(key);
		return;
	}
	summary = wp->flapping ? xasprintf("%s is flapping", p->id) :
	    xasprintf("%s is %s: %s", p->id, probe_state_name(wp->hard),
	    reason != NULL ? reason : "no reason given");
	labels = json_pack("{s:s, s:s, s:s, s:s, s:s}", "alertname",
	    "TriageProbe", "probe", p->id, "layer", p->layer, "severity",
	    wp->hard == STATE_WARNING ? "warning" : "critical", "state",
	    wp->flapping ? "flapping" : probe_state_name(wp->hard));
	ann = json_pack("{s:s, s:s?}", "summary", summary, "description",
	    p->description);
	ack_annotate(ann, wp->ack);
	alerter_fire(d->alerter, key, labels, ann, wp->hard_since);
	json_decref(labels);
	json_decref(ann);
	free(summary);
	free(key);
}

static void
on_probe_changed(void *arg, size_t i, const struct watch_probe *wp,
    enum probe_state from)
{
	struct daemon *d = arg;
	const char *reason = probe_reason_why(json_string_value(
	    json_object_get(wp->result, "reason")), wp->hard);

	/* Before its first result a probe counts as ok, which it never
	 * was: the first result is not a change from it. */
	if (wp->hard != from && wp->nresults == 1)
		logf_("%s: first result %s%s%s", d->rb->probes[i].id,
		    probe_state_name(wp->hard), reason != NULL ? ": " : "",
		    reason != NULL ? reason : "");
	else if (wp->hard != from)
		logf_("%s: %s -> %s%s%s", d->rb->probes[i].id,
		    probe_state_name(from), probe_state_name(wp->hard),
		    reason != NULL ? ": " : "", reason != NULL ? reason : "");
	else
		logf_("%s: %s flapping", d->rb->probes[i].id,
		    wp->flapping ? "started" : "stopped");
	probe_alert(d, i, wp);
}

static void
fixer_done(void *arg, struct child *c)
{
	struct fixer *fx = arg;
	char sig[16], *out;

	out = child_text(c->out.data, c->out.len);
	if (c->proc.signal != 0)
		logf_("auto_fix %s: killed by %s", fx->failure,
		    proc_signal_name(c->proc.signal, sig, sizeof(sig)));
	else
		logf_("auto_fix %s: triage fix exited %d (%s):\n%s",
		    fx->failure, c->proc.exit_code, c->proc.exit_code == 0 ?
		    "resolved" : "not resolved; docs/safety.md lists the codes",
		    out);
	free(out);
	child_dispose(c);
	fx->running = 0;
}

/* Applies f through `triage fix --apply --yes`: the one guarded path
 * (lock, guard, symptom re-check, rate limit, verify, incident). Its
 * output goes to the log when it ends. A dangerous fix is never applied
 * unattended: fix refuses it without --allow-dangerous. */
static void
auto_fix(struct daemon *d, const struct failure *f)
{
	char *argv[12];
	struct child_opts co = { 0 };
	struct fixer *fx = NULL;
	char *cause = NULL;
	size_t i, n = 0;

	for (i = 0; i < sizeof(d->fixers) / sizeof(d->fixers[0]); i++) {
		if (d->fixers[i].running &&
		    strcmp(d->fixers[i].failure, f->id) == 0)
			return;	/* already being applied */
		if (!d->fixers[i].running && fx == NULL)
			fx = &d->fixers[i];
	}
	if (fx == NULL) {
		logf_("auto_fix %s: not started: 4 fixes already running",
		    f->id);
		return;
	}
	argv[n++] = d->self;
	argv[n++] = (char *)"fix";
	argv[n++] = f->id;
	argv[n++] = (char *)"--apply";
	argv[n++] = (char *)"--yes";
	argv[n++] = (char *)"--no-color";
	if (d->path != NULL) {
		argv[n++] = (char *)"-f";
		argv[n++] = (char *)d->path;
	} else {
		argv[n++] = (char *)"--builtin";
	}
	argv[n++] = (char *)"--store";
	argv[n++] = (char *)store_path(d->store);
	argv[n] = NULL;
	free(fx->failure);
	fx->failure = xstrdup(f->id);
	co.max_output = 16384;
	if (child_start(&fx->child, d->loop, argv, &co, fixer_done, fx,
	    &cause) != 0) {
		logf_("auto_fix %s: %s", f->id, cause);
		free(cause);
		child_dispose(&fx->child);
		return;
	}
	fx->running = 1;
	logf_("auto_fix %s: applying (triage fix %s --apply, pid %ld)", f->id,
	    f->id, (long)fx->child.proc.pid);
}

/* f's alert: firing with match (its entry in the diagnosis, with the fix
 * plan) since starts_at, or resolved (match NULL). */
static void
failure_alert(struct daemon *d, const struct failure *f, json_t *match,
    double starts_at)
{
	char *key = xasprintf("failure/%s", f->id);
	const char *run = json_string_value(json_object_get(
	    json_object_get(match, "fix"), "run"));
	json_t *labels, *ann;

	if (d->alerter != NULL && match == NULL) {
		alerter_resolve(d->alerter, key, time_now());
	} else if (d->alerter != NULL) {
		labels = json_pack("{s:s, s:s, s:s, s:s}", "alertname",
		    "TriageFailure", "failure", f->id, "layer",
		    f->layer != NULL ? f->layer : "", "severity", "critical");
		ann = json_pack("{s:s, s:s?, s:s?, s:s?}", "summary",
		    f->title != NULL ? f->title : f->id, "diagnosis",
		    f->diagnosis, "fix", run, "dashboard", d->external_url);
		ack_annotate(ann, json_object_get(d->w.acks, f->id));
		alerter_fire(d->alerter, key, labels, ann, starts_at);
		json_decref(labels);
		json_decref(ann);
	}
	free(key);
}

static void
on_failure_changed(void *arg, const struct failure *f, json_t *match)
{
	struct daemon *d = arg;

	logf_("failure %s: %s", f->id, match != NULL ? "active" : "resolved");
	failure_alert(d, f, match, time_now());
	if (match != NULL && f->auto_fix && !d->no_auto_fix &&
	    d->store != NULL)
		auto_fix(d, f);
}

static void
on_alert_outcomes(void *arg, int fd, unsigned events)
{
	struct daemon *d = arg;
	json_t *out = alerter_take_outcomes(d->alerter), *o;
	char *err = NULL;
	size_t i;

	(void)fd;
	(void)events;
	json_array_foreach(out, i, o) {
		if (!json_is_true(json_object_get(o, "ok")))
			logf_("alert %s (%s) to %s: attempt %lld failed: %s",
			    json_string_value(json_object_get(o, "key")),
			    json_string_value(json_object_get(o, "status")),
			    json_string_value(json_object_get(o, "target")),
			    json_integer_value(json_object_get(o, "attempt")),
			    json_string_value(json_object_get(o, "error")));
	}
	if (json_array_size(out) > 0 && d->store != NULL &&
	    store_alerts_add(d->store, d->rb->id, out, &err) != 0) {
		logf_("alert outcomes not stored: %s", err);
		free(err);
	}
	json_decref(out);
}

/*
 * The status document, cached.
 */

static void
status_drop(struct daemon *d)
{
	free(d->status.body);
	d->status.body = NULL;
}

/* The /api/v1/status body (borrowed): at 20 probes it costs about 300 us
 * to build, at 10,000 some 30 ms, where sending it costs microseconds. */
static const char *
status_body(struct daemon *d, size_t *len)
{
	double now = time_now(), age = now - d->status.built;

	watch_diagnose(&d->w, now);
	if (d->status.body == NULL || age >= STATUS_MAX_AGE || age < 0 ||
	    (d->status.results && age >= STATUS_COALESCE)) {
		status_drop(d);
		d->status.body = watch_status_text(&d->w, now);
		d->status.len = strlen(d->status.body);
		d->status.built = now;
		d->status.results = 0;
	}
	*len = d->status.len;
	return d->status.body;
}

/*
 * The poller and its supervisor.
 */

static void start_poller(struct daemon *d);

static void
on_result(void *arg, size_t i, json_t *result, double lag)
{
	struct daemon *d = arg;

	sample_add(d, i, result);
	watch_result(&d->w, i, result, lag, time_now());
	d->status.results = 1;
	if (d->w.dirty && !loop_timer_active(&d->diagnose_timer))
		loop_timer_after(d->loop, &d->diagnose_timer, 0);
	if (d->npending >= FLUSH_MAX)
		flush_samples(d);
}

static void
on_poller_log(void *arg, const char *line)
{
	(void)arg;
	logf_("poller: %s", line);
}

static void
on_poller_exit(void *arg, const char *how)
{
	struct daemon *d = arg;
	double up = time_mono() - d->poller_started;

	if (d->stopping) {
		logf_("poller %s", how);
		return;
	}
	if (d->poller_killed) {	/* a reload: start the new one at once */
		d->poller_killed = 0;
		start_poller(d);
		return;
	}
	if (up >= HEALTHY_RESET)
		d->backoff = BACKOFF_MIN;
	logf_("poller %s after %.0f s; restarting it in %.0f s", how, up,
	    d->backoff);
	d->w.restarts++;
	status_drop(d);
	loop_timer_after(d->loop, &d->restart_timer, d->backoff);
	d->backoff = fmin(d->backoff * 2, BACKOFF_MAX);
}

static void
start_poller(struct daemon *d)
{
	struct poller_hooks h = { 0 };
	char *cause = NULL;

	h.result = on_result;
	h.log = on_poller_log;
	h.exited = on_poller_exit;
	h.arg = d;
	d->poller_started = time_mono();
	if (poller_start(&d->poller, d->loop, d->poller_argv, &h,
	    &cause) != 0) {
		logf_("cannot start the poller: %s; retrying in %.0f s", cause,
		    d->backoff);
		free(cause);
		loop_timer_after(d->loop, &d->restart_timer, d->backoff);
		d->backoff = fmin(d->backoff * 2, BACKOFF_MAX);
		return;
	}
	if (d->w.paused)
		poller_send(&d->poller, "pause");
}

static void
on_restart(void *arg)
{
	start_poller(arg);
}

/* Every second: a poller that has handed over nothing for STALE_GRACE
 * past the staleness rule (so /health has said "stale" meanwhile) is
 * wedged (a stopped process, a kind that hangs past its timeout): kill
 * it; on_poller_exit restarts it with backoff. */
static void
on_supervise(void *arg)
{
	struct daemon *d = arg;
	double now = time_now();

	loop_timer_after(d->loop, &d->supervise_timer, 1.0);
	if (d->stopping || !d->poller.running || d->w.paused)
		return;
	if (watch_stale(&d->w, now - STALE_GRACE) && time_mono() -
	    d->poller_started > watch_stale_limit(&d->w) + STALE_GRACE) {
		logf_("poller %ld handed over nothing for %.0f s (limit %.0f "
		    "s): killing it", poller_pid(&d->poller), now -
		    (d->w.last_poll_at > 0 ? d->w.last_poll_at :
		    d->w.started_at), watch_stale_limit(&d->w));
		poller_kill(&d->poller, "killed: stale");
	}
}

static void
on_diagnose(void *arg)
{
	struct daemon *d = arg;

	watch_diagnose(&d->w, time_now());
}

static void
on_watchdog(void *arg)
{
	struct daemon *d = arg;

	sdnotify_send("WATCHDOG=1");
	loop_timer_after(d->loop, &d->watchdog_timer, d->watchdog / 2);
}

/*
 * Reload and stop.
 */

static char *
diags_text(const struct diags *dg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return xstrdup("the runbook did not load");
	diags_print(dg, f);
	fclose(f);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	return text;
}

static void
reload(struct daemon *d)
{
	struct runbook *nrb = NULL;
	struct watch nw, old;
	struct diags dg;
	struct watch_hooks hooks = d->w.hooks;
	size_t i;

	sdnotify_send("RELOADING=1");
	diags_init(&dg);
	if (cmd_load_runbook_from(d->path, &nrb, &dg) != 0) {
		free(d->w.reload_error);
		diags_sort(&dg);
		d->w.reload_error = diags_text(&dg);
		status_drop(d);
		logf_("reload failed; still watching the runbook loaded "
		    "before:\n%s", d->w.reload_error);
		diags_dispose(&dg);
		sdnotify_send("READY=1");
		return;
	}
	diags_dispose(&dg);
	flush_samples(d);
	watch_init(&nw, nrb, time_now(), d->w.stale_floor, &hooks);
	watch_adopt(&nw, &d->w);
	/* Probes that are gone take their alerts with them. */
	for (i = 0; d->alerter != NULL && i < d->rb->nprobes; i++) {
		if (runbook_probe_index(nrb, d->rb->probes[i].id) < 0) {
			char *key = xasprintf("probe/%s", d->rb->probes[i].id);

			alerter_resolve(d->alerter, key, time_now());
			free(key);
		}
	}
	old = d->w;
	d->w = nw;
	watch_dispose(&old);
	status_drop(d);
	runbook_free(d->rb);
	d->rb = nrb;
	logf_("reloaded %s: %zu probes, %zu failure modes", d->path != NULL ?
	    d->path : "<builtin>", nrb->nprobes, nrb->nfailures);
	if (d->poller.running) {
		d->poller_killed = 1;
		poller_kill(&d->poller, "stopped for the reload");
	} else {
		loop_timer_stop(d->loop, &d->restart_timer);
		start_poller(d);
	}
	loop_timer_after(d->loop, &d->diagnose_timer, 0);
	sdnotify_send("READY=1");
}

static double
longest_timeout(const struct runbook *rb)
{
	double t = 0;
	size_t i;

	for (i = 0; i < rb->nprobes; i++)
		t = fmax(t, rb->probes[i].timeout);
	return t;
}

static void
begin_stop(struct daemon *d, const char *why)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	sdnotify_send("STOPPING=1");
	logf_("%s: draining in-flight probes", why);
	d->stop_deadline = time_mono() + longest_timeout(d->rb) + DRAIN_GRACE;
	if (d->poller.running)
		poller_send(&d->poller, "drain");
}

static void
on_signal_fd(void *arg, int fd, unsigned events)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			begin_stop(d, si.ssi_signo == SIGINT ? "SIGINT" :
			    "SIGTERM");
	}
}

/*
 * The routes.
 */

static void
reply_json(struct httpd_response *res, int status, json_t *doc)
{
	res->status = status;
	res->content_type = "application/json";
	res->body = json_dumps(doc, JSON_COMPACT);
	res->len = strlen(res->body);
	json_decref(doc);
}

static void
route_health(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;
	int status;
	json_t *doc = watch_health(&d->w, time_now(), &status);

	(void)req;
	reply_json(res, status, doc);
}

static void
route_status(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;
	const char *body;

	(void)req;
	body = status_body(d, &res->len);
	res->status = 200;
	res->content_type = "application/json";
	res->body = xmalloc(res->len + 1);
	memcpy(res->body, body, res->len + 1);
}

static void
route_diagnosis(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;

	(void)req;
	watch_diagnose(&d->w, time_now());
	reply_json(res, 200, json_incref(watch_diagnosis(&d->w)));
}

static void
route_metrics(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;

	(void)req;
	res->status = 200;
	res->content_type = "text/plain; version=0.0.4; charset=utf-8";
	res->body = watch_metrics(&d->w, time_now());
	res->len = strlen(res->body);
}

static void
route_dashboard(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;
	size_t len;
	json_t *status = json_loads(status_body(d, &len), 0, NULL);

	(void)req;
	res->status = 200;
	res->content_type = "text/html; charset=utf-8";
	res->body = dashboard_html(status, watch_diagnosis(&d->w));
	res->len = strlen(res->body);
	json_decref(status);
}

static void
route_asset(struct httpd_response *res, const char *type, const char *data,
    size_t len)
{
	res->status = 200;
	res->content_type = type;
	res->body = xmalloc(len + 1);
	memcpy(res->body, data, len);
	res->body[len] = '\0';
	res->len = len;
	res->cache_control = "public, max-age=300";
}

static void
route_js(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	(void)arg;
	(void)req;
	route_asset(res, "text/javascript; charset=utf-8", dashboard_js,
	    dashboard_js_len);
}

static void
route_css(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	(void)arg;
	(void)req;
	route_asset(res, "text/css; charset=utf-8", dashboard_css,
	    dashboard_css_len);
}

/* Browsers ask for one; there is none, and a 404 would be an error in
 * their console. */
static void
route_favicon(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	(void)arg;
	(void)req;
	res->status = 204;
	res->body = xstrdup("");
	res->len = 0;
	res->cache_control = "public, max-age=86400";
}

static void
route_poll(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;

	(void)req;
	if (d->w.paused) {
		httpd_error(res, 409, "paused", "probing is paused: POST "
		    "/api/v1/resume first");
		return;
	}
	if (!d->poller.running) {
		httpd_error(res, 503, "unavailable", "the poller is being "
		    "restarted");
		return;
	}
	poller_send(&d->poller, "poll");
	logf_("forced poll from %s", req->remote);
	reply_json(res, 202, json_pack("{s:s}", "status", "polling"));
}

static void
set_paused(struct daemon *d, const struct httpd_request *req,
    struct httpd_response *res, int paused)
{
	if (d->w.paused != paused) {
		d->w.paused = paused;
		status_drop(d);
		poller_send(&d->poller, paused ? "pause" : "resume");
		logf_("probing %s from %s", paused ? "paused" : "resumed",
		    req->remote);
	}
	reply_json(res, 200, json_pack("{s:b}", "paused", paused));
}

static void
route_pause(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	set_paused(arg, req, res, 1);
}

static void
route_resume(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	set_paused(arg, req, res, 0);
}

/* The active failure mode id's entry in the diagnosis (with its fix
 * plan), or NULL. */
static json_t *
active_match(struct daemon *d, const char *id)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(watch_diagnosis(&d->w),
	    "failures"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0)
			return f;
	}
	return NULL;
}

/* Sets (ack) or withdraws (NULL) the acknowledgement of probe i, or of
 * failure mode f when i < 0; its alert is sent again with it. 0, or -1
 * when there is nothing failing to acknowledge. */
static int
ack_apply(struct daemon *d, long i, const struct failure *f, json_t *ack)
{
	if (i >= 0) {
		struct watch_probe *wp = &d->w.probes[i];

		if (watch_ack_probe(&d->w, (size_t)i, json_incref(ack)) != 0)
			return -1;
		if (wp->hard != STATE_OK && wp->hard != STATE_SKIPPED)
			probe_alert(d, (size_t)i, wp);
	} else if (f != NULL) {
		json_t *match;

		if (watch_ack_failure(&d->w, f->id, json_incref(ack)) != 0)
			return -1;
		if ((match = active_match(d, f->id)) != NULL)
			failure_alert(d, f, match, json_number_value(
			    json_object_get(d->w.active, f->id)));
	}
	status_drop(d);
	return 0;
}

#define ACK_BODY_WANT "want {\"probe\": ID} or {\"failure\": ID}, with " \
	"\"by\" and \"comment\""

/* The string members of an ack's body, into probe, failure, by and
 * comment (NULL when absent); 0, or -1 with the 400 answered. */
static int
ack_body(const struct httpd_request *req, struct httpd_response *res,
    json_t **body, const char **fields[4])
{
	static const char *const keys[4] = { "probe", "failure", "by",
		"comment" };
	json_error_t je;
	const char *key;
	json_t *v;
	size_t k;

	*body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
	    &je);
	if (*body == NULL) {
		httpd_error(res, 400, "bad_request", "the body is not JSON "
		    "(%s): " ACK_BODY_WANT, je.text);
		return -1;
	}
	if (!json_is_object(*body)) {
		httpd_error(res, 400, "bad_request", "the body is not a JSON "
		    "object: " ACK_BODY_WANT);
		return -1;
	}
	json_object_foreach(*body, key, v) {
		for (k = 0; k < 4 && strcmp(key, keys[k]) != 0; k++)
			;
		if (k == 4) {
			httpd_error(res, 400, "bad_request", "unknown key "
			    "\"%s\": " ACK_BODY_WANT, key);
			return -1;
		}
		if (!json_is_string(v)) {
			httpd_error(res, 400, "bad_request", "\"%s\" must be "
			    "a string", key);
			return -1;
		}
		*fields[k] = json_string_value(v);
	}
	return 0;
}

/* POST /api/v1/ack and /api/v1/unack: {"probe": ID} or {"failure": ID},
 * with "by" (default: the client's address) and "comment" for an ack. */
static void
set_ack(struct daemon *d, const struct httpd_request *req,
    struct httpd_response *res, int on)
{
	const char *probe = NULL, *failure = NULL, *by = NULL, *comment = NULL;
	const char **fields[4] = { &probe, &failure, &by, &comment };
	const char *what, *noun;
	const struct failure *f = NULL;
	json_t *body = NULL, *ack = NULL;
	long i = -1;
	char at[40];

	if (ack_body(req, res, &body, fields) != 0) {
		json_decref(body);
		return;
	}
	what = probe != NULL ? probe : failure;
	noun = probe != NULL ? "probe" : "failure mode";
	if ((probe == NULL) == (failure == NULL))
		httpd_error(res, 400, "bad_request", "give one of \"probe\" "
		    "and \"failure\"");
	else if (by != NULL && (*by == '\0' || strlen(by) > ACK_BY_MAX))
		httpd_error(res, 400, "bad_request", "\"by\" must be 1 to %d "
		    "bytes", ACK_BY_MAX);
	else if (comment != NULL && strlen(comment) > ACK_COMMENT_MAX)
		httpd_error(res, 400, "bad_request", "\"comment\" must be at "
		    "most %d bytes", ACK_COMMENT_MAX);
	else if (probe != NULL && (i = runbook_probe_index(d->rb, probe)) < 0)
		httpd_error(res, 404, "not_found", "runbook %s has no probe %s",
		    d->rb->id, probe);
	else if (failure != NULL && (f = fix_failure_find(d->rb,
	    failure)) == NULL)
		httpd_error(res, 404, "not_found", "runbook %s has no failure "
		    "mode %s", d->rb->id, failure);
	else {
		if (on) {
			time_format_iso8601(time_now(), 0, at, sizeof(at));
			ack = json_pack("{s:s, s:s?, s:s}", "by", by != NULL ?
			    by : req->remote, "comment", comment, "at", at);
		}
		if (ack_apply(d, i, f, ack) != 0) {
			httpd_error(res, 409, "not_failing", "%s %s is not "
			    "failing: nothing to acknowledge", noun, what);
		} else {
			logf_("%s %s: %s by %s from %s%s%s", noun, what, on ?
			    "acknowledged" : "acknowledgement withdrawn",
			    by != NULL ? by : req->remote, req->remote,
			    on && comment != NULL ? ": " : "",
			    on && comment != NULL ? comment : "");
			reply_json(res, 200, json_pack("{s:s, s:O}", probe !=
			    NULL ? "probe" : "failure", what, "ack",
			    ack != NULL ? ack : json_null()));
		}
	}
	json_decref(ack);
	json_decref(body);
}

static void
route_ack(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	set_ack(arg, req, res, 1);
}

static void
route_unack(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	set_ack(arg, req, res, 0);
}

static void
route_history(void *arg, const struct httpd_request *req,
    struct httpd_response *res)
{
	struct daemon *d = arg;
	const char *probe = httpd_query(req, "probe");
	const char *since = httpd_query(req, "since");
	double window = 3600;
	char *err = NULL;
	json_t *doc;

	if (since != NULL && duration_parse(since, &window) != 0) {
		httpd_error(res, 400, "bad_request", "since: a duration such "
		    "as 15m or 1h");
		return;
	}
	doc = store_history(d->store, d->rb->id, probe, time_now() - window,
	    1000, &err);
	if (doc == NULL) {
		httpd_error(res, 500, "internal", "the store: %s",
		    err != NULL ? err : "no answer");
		free(err);
		return;
	}
	reply_json(res, 200, doc);
}

static const struct httpd_route routes[] = {
	{ "GET", "/", 0, route_dashboard },
	{ "GET", "/static/dashboard.js", 0, route_js },
	{ "GET", "/static/dashboard.css", 0, route_css },
	{ "GET", "/favicon.ico", 0, route_favicon },
	{ "GET", "/health", 0, route_health },
	{ "GET", "/api/v1/status", 0, route_status },
	{ "GET", "/api/v1/diagnosis", 0, route_diagnosis },
	{ "GET", "/api/v1/history", 0, route_history },
	{ "GET", "/metrics", 0, route_metrics },
	{ "POST", "/api/v1/poll", HTTPD_AUTH, route_poll },
	{ "POST", "/api/v1/pause", HTTPD_AUTH, route_pause },
	{ "POST", "/api/v1/resume", HTTPD_AUTH, route_resume },
	{ "POST", "/api/v1/ack", HTTPD_AUTH, route_ack },
	{ "POST", "/api/v1/unack", HTTPD_AUTH, route_unack },
	{ NULL, NULL, 0, NULL },
};

/*
 * Start-up.
 */

static int
opt_duration(struct cmd_ctx *ctx, const char *name, double def,
    double *out)
{
	const char *s = cmd_opt(ctx, name);

	*out = def;
	if (s != NULL && (duration_parse(s, out) != 0 || *out <= 0)) {
		fprintf(stderr, "triage watch: --%s: bad duration \"%s\": write "
		    "e.g. 30s, 5m or 30d\n", name, s);
		return -1;
	}
	return 0;
}

/* Splits a comma-joined OPT_LIST value into a NULL-ended heap vector. */
static char **
split_list(const char *s, size_t *n)
{
	char **v = NULL, *copy, *item, *next;

	*n = 0;
	if (s == NULL)
		return NULL;
	copy = xstrdup(s);
	for (item = copy; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		if (*item == '\0')
			continue;
		v = xreallocarray(v, *n + 2, sizeof(*v));
		v[(*n)++] = xstrdup(item);
		v[*n] = NULL;
	}
	free(copy);
	return v;
}

static int
start_alerts(struct daemon *d)
{
	struct alert_opts ao = { 0 };
	size_t nam, nwh;
	char **am = split_list(cmd_opt(d->ctx, "alertmanager"), &nam);
	char **wh = split_list(cmd_opt(d->ctx, "webhook"), &nwh);
	const char *command = cmd_opt(d->ctx, "alert-command");
	char *argv[2] = { (char *)command, NULL };
	char *err = NULL;
	int rc = 0;

	if (nam == 0 && nwh == 0 && command == NULL)
		goto out;
	ao.runbook = d->rb->id;
	ao.external_url = d->external_url;
	ao.alertmanagers = am;
	ao.nalertmanagers = nam;
	ao.webhooks = wh;
	ao.nwebhooks = nwh;
	ao.command = command != NULL ? argv : NULL;
	if (opt_duration(d->ctx, "alert-resend", 60, &ao.resend) != 0) {
		rc = -1;
		goto out;
	}
	if (alerter_create(&ao, &d->alerter, &err) != 0) {
		fprintf(stderr, "triage watch: alerts: %s\n", err);
		free(err);
		rc = -1;
		goto out;
	}
	loop_io_add(d->loop, alerter_fd(d->alerter), LOOP_READ,
	    on_alert_outcomes, d);
	logf_("alerts: %zu Alertmanager%s, %zu webhook%s%s", nam,
	    nam == 1 ? "" : "s", nwh, nwh == 1 ? "" : "s",
	    command != NULL ? ", a command" : "");
out:
	strv_free(am);
	strv_free(wh);
	return rc;
}

/* The sparklines start from what the store has of each probe. */
static void
seed_history(struct daemon *d)
{
	size_t i, k;

	for (i = 0; i < d->rb->nprobes; i++) {
		struct watch_probe *wp = &d->w.probes[i];
		json_t *h = store_history(d->store, d->rb->id,
		    d->rb->probes[i].id, 0, WATCH_SPARK, NULL), *s;
		json_t *samples = json_object_get(h, "samples");

		for (k = json_array_size(samples); k-- > 0;) {
			json_t *lat;

			s = json_array_get(samples, k);
			lat = json_object_get(s, "latency_ms");
			wp->spark[wp->nspark++] = json_is_number(lat) ?
			    json_number_value(lat) : -1;
		}
		json_decref(h);
	}
}

static char **
poller_args(struct daemon *d)
{
	char **v = xcalloc(8, sizeof(*v));
	size_t n = 0;

	v[n++] = xstrdup(d->self);
	v[n++] = xstrdup("watch");
	if (d->path != NULL) {
		v[n++] = xstrdup("-f");
		v[n++] = xstrdup(d->path);
	} else {
		v[n++] = xstrdup("--builtin");
	}
	v[n++] = xasprintf("-j%ld", cmd_opt_int(d->ctx, "jobs",
	    ENGINE_JOBS_DEFAULT));
	return v;
}

static int
poller_exec(struct cmd_ctx *ctx)
{
	struct runbook *rb = NULL;
	int rc;

	unsetenv(POLLER_ENV);
	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	rc = poller_main(rb, (int)cmd_opt_int(ctx, "jobs",
	    ENGINE_JOBS_DEFAULT), ctx->interrupted);
	runbook_free(rb);
	return rc;
}

/* Whether an auto_fix is being applied: a stop waits for it (until the
 * drain deadline) rather than cut a fix in half. */
static int
fixing(const struct daemon *d)
{
	size_t i;

	for (i = 0; i < sizeof(d->fixers) / sizeof(d->fixers[0]); i++) {
		if (d->fixers[i].running)
			return 1;
	}
	return 0;
}

static void
daemon_dispose(struct daemon *d)
{
	size_t i;

	for (i = 0; i < sizeof(d->fixers) / sizeof(d->fixers[0]); i++) {
		if (d->fixers[i].running)
			child_dispose(&d->fixers[i].child);
		free(d->fixers[i].failure);
	}
	httpd_stop(d->httpd);
	alerter_free(d->alerter);
	flush_samples(d);
	free(d->pending);
	store_close(d->store);
	watch_dispose(&d->w);
	status_drop(d);
	runbook_free(d->rb);
	strv_free(d->poller_argv);
	if (d->sigfd >= 0)
		close(d->sigfd);
	loop_free(d->loop);
	free(d->token);
	free(d->external_url);
	free(d->self);
}

static int
cmd_watch_exec(struct cmd_ctx *ctx)
{
	struct daemon d = { 0 };
	struct watch_hooks hooks = { 0 };
	struct httpd_opts ho = { 0 };
	const char *listen = cmd_opt(ctx, "listen");
	const char *token_file = cmd_opt(ctx, "token-file");
	char *state_dir = NULL, *token_path = NULL, *err = NULL;
	char self[PATH_MAX];
	double stale_floor;
	sigset_t mask;
	ssize_t n;
	int rc = EXIT_UNKNOWN;

	if (getenv(POLLER_ENV) != NULL)
		return poller_exec(ctx);
	/* auto_fix runs `triage fix --apply`, whose services come to us
	 * when it exits: the daemon reaps them when they end, never kills
	 * them (the poller, which only probes, does). */
	proc_keep_strays();
	d.ctx = ctx;
	d.sigfd = -1;
	if (listen == NULL)
		listen = WATCH_LISTEN_DEFAULT;
	if (opt_duration(ctx, "retain", 30 * 86400, &d.retain) != 0 ||
	    opt_duration(ctx, "stale-after", 120, &stale_floor) != 0)
		return EXIT_UNKNOWN;
	d.no_auto_fix = cmd_opt(ctx, "no-auto-fix") != NULL;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		fprintf(stderr, "triage watch: cannot find my own executable: "
		    "%s\n", strerror(errno));
		return EXIT_UNKNOWN;
	}
	self[n] = '\0';
	d.self = xstrdup(self);
	if (cmd_find_runbook(ctx, &d.path) != 0)
		goto out;
	if (d.path != NULL && strcmp(d.path, "-") == 0) {
		/* Its poller, and every SIGHUP, read the runbook again. */
		fprintf(stderr, "triage watch: -f -: the daemon reads its "
		    "runbook again (its poller, a reload); give a file\n");
		goto out;
	}
	if (cmd_load_runbook(ctx, &d.rb) != 0)
		goto out;
	if (store_open(cmd_opt(ctx, "store"), &d.store, &err) != 0) {
		fprintf(stderr, "triage watch: %s\n", err);
		goto out;
	}
	state_dir = cmd_opt(ctx, "state-dir") != NULL ?
	    xstrdup(cmd_opt(ctx, "state-dir")) : fs_state_dir();
	if (httpd_token_load(token_file, state_dir, &d.token, &token_path,
	    &err) != 0) {
		fprintf(stderr, "triage watch: token: %s\n", err);
		goto out;
	}
	d.external_url = cmd_opt(ctx, "external-url") != NULL ?
	    xstrdup(cmd_opt(ctx, "external-url")) :
	    xasprintf("http://%s/", listen);

	/* Signals arrive on the loop, not in handlers; threads started
	 * from here on (the alerter's) inherit the mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d.loop = loop_create();
	if (d.sigfd < 0 || d.loop == NULL) {
		fprintf(stderr, "triage watch: %s\n", strerror(errno));
		goto out;
	}
	loop_io_add(d.loop, d.sigfd, LOOP_READ, on_signal_fd, &d);
	hooks.probe_changed = on_probe_changed;
	hooks.failure_changed = on_failure_changed;
	hooks.arg = &d;
	watch_init(&d.w, d.rb, time_now(), stale_floor, &hooks);
	seed_history(&d);
	if (start_alerts(&d) != 0)
		goto out;

	ho.listen = listen;
	ho.token = d.token;
	ho.token_explicit = token_file != NULL;
	ho.routes = routes;
	ho.arg = &d;
	if (httpd_start(d.loop, &ho, &d.httpd, &err) != 0) {
		fprintf(stderr, "triage watch: %s\n", err);
		goto out;
	}
	logf_("watching %s (%zu probes) on http://%s:%u/; token in %s; store "
	    "%s", d.path != NULL ? d.path : "<builtin>", d.rb->nprobes,
	    listen[0] == '[' || strchr(listen, ':') == NULL ? listen :
	    "127.0.0.1", (unsigned)httpd_port(d.httpd), token_path,
	    store_path(d.store));

	d.poller_argv = poller_args(&d);
	d.backoff = BACKOFF_MIN;
	loop_timer_init(&d.restart_timer, on_restart, &d);
	loop_timer_init(&d.supervise_timer, on_supervise, &d);
	loop_timer_init(&d.diagnose_timer, on_diagnose, &d);
	loop_timer_init(&d.flush_timer, on_flush, &d);
	loop_timer_init(&d.prune_timer, on_prune, &d);
	loop_timer_init(&d.watchdog_timer, on_watchdog, &d);
	start_poller(&d);
	loop_timer_after(d.loop, &d.supervise_timer, 1.0);
	loop_timer_after(d.loop, &d.flush_timer, FLUSH_EVERY);
	on_prune(&d);
	if ((d.watchdog = sdnotify_watchdog()) > 0)
		on_watchdog(&d);
	sdnotify_send("READY=1");

	while (!d.stopping || ((d.poller.running || fixing(&d)) &&
	    time_mono() < d.stop_deadline)) {
		if (loop_run_once(d.loop, d.stopping ? 0.25 : -1) < 0 &&
		    errno != EINTR) {
			logf_("event loop: %s", strerror(errno));
			break;
		}
	}
	if (d.poller.running)
		poller_kill(&d.poller, "killed: still running at the drain "
		    "deadline");
	logf_("stopped");
	rc = EXIT_OK;
out:
	free(state_dir);
	free(token_path);
	free(err);
	daemon_dispose(&d);
	return rc;
}

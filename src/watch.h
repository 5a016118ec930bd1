/* SPDX-License-Identifier: MIT */
/* The daemon's picture of a runbook being watched: each probe's last result,
 * its SOFT and HARD state (retries, as Nagios has them), flapping, latency
 * history, the diagnosis over the hard states and the failure modes active
 * now; and the documents the HTTP routes serve from it (docs/watch.md). */
#ifndef TRIAGE_WATCH_H
#define TRIAGE_WATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "probe.h"

struct failure;
struct runbook;

#define WATCH_FLAP_WINDOW 21	/* states: 20 changes at most */
#define WATCH_FLAP_HIGH 0.5	/* flapping from above this share ... */
#define WATCH_FLAP_LOW 0.25	/* ... until below this one */
#define WATCH_SPARK 30		/* latencies kept for the sparkline */
#define WATCH_CHANGES 50	/* recent state changes kept */
#define WATCH_LAGS 1024		/* scheduler lags kept for percentiles */
#define WATCH_BUCKETS 14	/* latency histogram buckets, +Inf included */

struct watch_probe {
	json_t *result;		/* the last result, or NULL before one */
	uint64_t nresults;	/* results so far */
	json_t *hard_result;	/* the last result in the hard state */
	enum probe_state state;	/* of the last result: the SOFT state */
	enum probe_state hard;	/* the HARD state; ok before any result */
	int attempt;		/* results in a row whose state is not hard */
	double hard_since;	/* epoch seconds */
	double checked;		/* the last result's checked_at, epoch */
	unsigned char recent[WATCH_FLAP_WINDOW];	/* states, a ring */
	size_t nrecent;
	int flapping;
	double flap;		/* share of changes in recent, weighted */
	double spark[WATCH_SPARK];	/* latencies in ms (< 0: none) */
	size_t nspark;
	uint64_t buckets[WATCH_BUCKETS];	/* not cumulative */
	uint64_t count;
	double sum;		/* seconds */
	json_t *ack;		/* {by, comment, at} while acknowledged */
};

/* What changes in a watch that the daemon acts on (alerts, store). */
struct watch_hooks {
	/* Probe i's HARD state changed (or it started or stopped
	 * flapping): alerting decides from wp. */
	void (*probe_changed)(void *arg, size_t i,
	    const struct watch_probe *wp, enum probe_state from);
	/* Failure mode f became active (match: its entry in the diagnosis's
	 * "failures", with its fix plan) or resolved (match NULL). */
	void (*failure_changed)(void *arg, const struct failure *f,
	    json_t *match);
	void *arg;
};

struct watch {
	const struct runbook *rb;	/* borrowed */
	struct watch_probe *probes;	/* one per rb->probes */
	size_t n;
	json_t *hard_by_id;	/* id -> hard_result: what diagnosis reads */
	json_t *reads;		/* id -> {key: true} the conditions read of
				 * the probe's results, or true: all */
	json_t *diagnosis;	/* the current diagnosis document */
	json_t *active;		/* failure id -> since (epoch seconds) */
	json_t *acks;		/* failure id -> {by, comment, at} */
	json_t *changes;	/* recent state changes, newest first */
	double lags[WATCH_LAGS];	/* scheduler lags (s), a ring */
	size_t nlags;
	uint64_t lag_buckets[WATCH_BUCKETS];
	uint64_t lag_count;
	double lag_sum;
	double min_interval;	/* the shortest probe interval */
	double started_at;	/* epoch seconds */
	double last_poll_at;	/* of the last result; 0: none yet */
	double diagnosed_at;	/* of the last diagnosis; 0: none yet */
	double stale_floor;	/* the 120 s of max(2 x interval, 120 s) */
	int paused;
	char *reload_error;	/* the last failed reload, or NULL */
	unsigned restarts;	/* poller restarts */
	int dirty;		/* a state changed since the last diagnosis */
	struct watch_hooks hooks;
};

/* watch_init: an empty picture of rb (borrowed; it must outlive w) at now.
 * stale_floor: see watch_stale_limit. */
void watch_init(struct watch *w, const struct runbook *rb, double now,
    double stale_floor, const struct watch_hooks *hooks);

/* watch_adopt: carries the state of every probe and failure mode of old
 * whose id rb still has over into w (a runbook reloaded by SIGHUP keeps
 * its history and raises no alert for what did not change). */
void watch_adopt(struct watch *w, struct watch *old);

/* watch_dispose: frees what w holds. */
void watch_dispose(struct watch *w);

/* watch_result: probe i's result (the reference is taken) arrived at now,
 * lag seconds after it was due. What is kept of it: every field while the
 * probe is not ok (the evidence an operator reads), else the fields every
 * result has (id, layer, kind, ok, state, reason, latency_ms, latency,
 * checked_at) and those the runbook's conditions read of it. Updates the
 * SOFT/HARD states and flapping (calling hooks.probe_changed on a HARD
 * change) and marks w dirty when a state changed. */
void watch_result(struct watch *w, size_t i, json_t *result, double lag,
    double now);

/* watch_diagnose: when w is dirty (a state changed, a probe's first
 * result came, or a result came a whole shortest interval after the last
 * diagnosis: conditions may read values that move without a state change,
 * and age()), walks the tree over the HARD results again (triage_diagnose
 * and each match's fix plan) and calls hooks.failure_changed for each
 * failure mode that became active or resolved. */
void watch_diagnose(struct watch *w, double now);

/* watch_ack_probe: acknowledges probe i's problem (ack: {by, comment, at},
 * the reference is taken) until its HARD state is ok (or skipped) again;
 * ack NULL withdraws it. -1 (ack released) when its HARD state is ok or
 * skipped: nothing to acknowledge. */
int watch_ack_probe(struct watch *w, size_t i, json_t *ack);

/* watch_ack_failure: the same for the active failure mode id, until it
 * resolves; -1 when it is not active. */
int watch_ack_failure(struct watch *w, const char *id, json_t *ack);

/* watch_stale_limit: how old the last poll may be: max(2 x the shortest
 * interval, stale_floor). */
double watch_stale_limit(const struct watch *w);

/* watch_stale: 1 when w is not paused and its last poll (or, before the
 * first, its start) is older than watch_stale_limit. */
int watch_stale(const struct watch *w, double now);

/* watch_health: the /health document; *status 200, or 503 when stale. */
json_t *watch_health(const struct watch *w, double now, int *status);

/* watch_status_text: the /api/v1/status document (docs/watch.md), as a
 * heap string (compact JSON). */
char *watch_status_text(const struct watch *w, double now);

/* watch_diagnosis: the /api/v1/diagnosis document: diagnose --json's
 * shape over the HARD results (borrowed; never NULL after watch_diagnose
 * ran once). */
json_t *watch_diagnosis(const struct watch *w);

/* watch_metrics: /metrics in the Prometheus text format 0.0.4, as a heap
 * string. */
char *watch_metrics(const struct watch *w, double now);

#endif

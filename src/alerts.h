/* SPDX-License-Identifier: MIT */
/* Alert delivery for triage watch: to Alertmanager (its v2 API, re-sent while
 * active and sent with endsAt when resolved, as Prometheus does), to plain
 * webhooks and to a command, once per transition, with retries and backoff,
 * on a thread of its own so that the daemon's loop never waits on a
 * receiver (docs/watch.md). */
#ifndef TRIAGE_ALERTS_H
#define TRIAGE_ALERTS_H

#include <jansson.h>
#include <stddef.h>

struct alerter;

struct alert_opts {
	const char *runbook;		/* the "runbook" label */
	const char *external_url;	/* generatorURL; may be NULL */
	char *const *alertmanagers;	/* base URLs */
	size_t nalertmanagers;
	char *const *webhooks;		/* URLs */
	size_t nwebhooks;
	char *const *command;		/* argv, or NULL */
	double resend;			/* 0: 60 s */
	double timeout;			/* per delivery; 0: 10 s */
	int max_attempts;		/* per delivery; 0: 5 */
};

/* alerter_create: starts the delivery thread. 0, or -1 with *err (heap)
 * when a URL is not http(s) or the thread cannot start. */
int alerter_create(const struct alert_opts *o, struct alerter **out,
    char **err);

/* alerter_fire: the alert key ("probe/edge_up", "failure/edge-down") is
 * firing since starts_at, with labels and annotations (objects of
 * strings; copied). A key already firing is updated, not re-announced:
 * webhooks and the command hear of a transition once. Never blocks. */
void alerter_fire(struct alerter *a, const char *key, json_t *labels,
    json_t *annotations, double starts_at);

/* alerter_resolve: key stopped firing at ends_at; a no-op when it is not
 * firing. Never blocks. */
void alerter_resolve(struct alerter *a, const char *key, double ends_at);

/* alerter_fd: a descriptor that is readable while outcomes wait. */
int alerter_fd(const struct alerter *a);

/* alerter_take_outcomes: every delivery attempt since the last call, as
 * a new array of {"at", "key" (null for an Alertmanager batch), "status"
 * ("firing", "resolved", "batch"), "target" (credentials stripped),
 * "ok", "attempt", "error"}; clears alerter_fd. */
json_t *alerter_take_outcomes(struct alerter *a);

/* alerter_free: stops the thread (waiting at most for the delivery in
 * flight, bounded by the timeout) and frees a; NULL is a no-op. */
void alerter_free(struct alerter *a);

#endif

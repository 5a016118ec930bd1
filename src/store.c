/* SPDX-License-Identifier: MIT */
/* The store's front: where it lives, which backend opens a spec, the
 * argument checks every backend shares, and the event hash. */
#include "store.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-impl.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/sha256.h"
#include "util/xmalloc.h"

/* The outcomes a "closed" event may carry (store.h). */
static const char *const outcomes[] = {
	"resolved", "unresolved", "failed", "interrupted",
};

char *
store_default_path(void)
{
	const char *env = getenv("TRIAGE_STORE");
	char *dir, *path;

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	dir = fs_state_dir();
	path = xasprintf("%s/triage.db", dir);
	free(dir);
	return path;
}

/* spec as it may be printed: a URL's password replaced by ***. */
static char *
printable_spec(const char *spec)
{
	const char *auth = strstr(spec, "://"), *at, *colon, *slash;

	if (auth == NULL)
		return xstrdup(spec);
	auth += 3;
	slash = strchr(auth, '/');
	at = strchr(auth, '@');
	if (at == NULL || (slash != NULL && at > slash))
		return xstrdup(spec);
	colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon == NULL)
		return xstrdup(spec);
	return xasprintf("%.*s***%s", (int)(colon + 1 - spec), spec, at);
}

int
store_open_version(const char *spec, int version, struct store **out,
    char **err)
{
	char *path;
	int rc;

	*out = NULL;
	if (spec != NULL && *spec == '\0') {
		*err = xstrdup("store: an empty path names no store");
		return -1;
	}
	path = spec != NULL ? xstrdup(spec) : store_default_path();
	if (version < 1 || version > STORE_SCHEMA_VERSION) {
		*err = xasprintf("store %s: no schema version %d (this triage "
		    "knows 1 to %d)", path, version, STORE_SCHEMA_VERSION);
		free(path);
		return -1;
	}
	if (str_has_prefix(path, "postgres://") ||
	    str_has_prefix(path, "postgresql://")) {
		char *shown = printable_spec(path);

		*err = xasprintf("store %s: PostgreSQL stores are not "
		    "supported yet; give a file path", shown);
		free(shown);
		free(path);
		return -1;
	}
	rc = store_sqlite_ops.open(path, version, out, err);
	free(path);
	return rc;
}

int
store_open(const char *spec, struct store **out, char **err)
{
	return store_open_version(spec, STORE_SCHEMA_VERSION, out, err);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *
store_path(const struct store *s)
{
	return s->path;
}

int
store_schema_version(struct store *s)
{
	return s->ops->schema_version(s);
}

char *
store_error(const struct store *s, const char *fmt, ...)
{
	va_list ap;
	char *msg, *full;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("store %s: %s", s->path, msg);
	free(msg);
	return full;
}

/* 0 when me names a holder; else -1 with *err. */
static int
check_holder(struct store *s, const char *runbook,
    const struct store_holder *me, char **err)
{
	if (runbook == NULL || *runbook == '\0') {
		*err = store_error(s, "a lock needs a runbook");
		return -1;
	}
	if (me == NULL || me->who == NULL || me->host == NULL) {
		*err = store_error(s, "a lock needs a holder (who and host)");
		return -1;
	}
	return 0;
}

int
store_lock(struct store *s, const char *runbook,
    const struct store_holder *me, json_t **held, char **err)
{
	if (held != NULL)
		*held = NULL;
	if (check_holder(s, runbook, me, err) != 0)
		return -1;
	return s->ops->lock(s, runbook, me, held, err);
}

int
store_unlock(struct store *s, const char *runbook,
    const struct store_holder *me, char **err)
{
	if (check_holder(s, runbook, me, err) != 0)
		return -1;
	return s->ops->unlock(s, runbook, me, err);
}

/* 0 when body is NULL or an object; else -1 with *err. */
static int
check_body(struct store *s, const char *kind, json_t *body, char **err)
{
	if (body == NULL || json_is_object(body))
		return 0;
	*err = store_error(s, "the body of a \"%s\" event must be an object",
	    kind);
	return -1;
}

/* 0 when at is a time; else -1 with *err. */
static int
check_time(struct store *s, double at, char **err)
{
	if (isfinite(at))
		return 0;
	*err = store_error(s, "an event time that is not a number");
	return -1;
}

int
store_incident_open(struct store *s, const char *runbook,
    const char *failure, double at, json_t *body, int64_t *id, char **err)
{
	if (runbook == NULL || *runbook == '\0' || failure == NULL ||
	    *failure == '\0') {
		*err = store_error(s, "an incident needs a runbook and a "
		    "failure");
		return -1;
	}
	if (check_body(s, "opened", body, err) != 0 ||
	    check_time(s, at, err) != 0)
		return -1;
	return s->ops->incident_open(s, runbook, failure, at, body, id, err);
}

int
store_incident_event(struct store *s, int64_t id, const char *kind,
    double at, json_t *body, char **err)
{
	const char *outcome;
	size_t i;

	if (kind == NULL || *kind == '\0') {
		*err = store_error(s, "an incident event needs a kind");
		return -1;
	}
	if (strcmp(kind, "opened") == 0) {
		*err = store_error(s, "incident %lld: only store_incident_open "
		    "writes \"opened\" events", (long long)id);
		return -1;
	}
	if (check_body(s, kind, body, err) != 0 ||
	    check_time(s, at, err) != 0)
		return -1;
	if (strcmp(kind, "closed") == 0) {
		outcome = json_string_value(json_object_get(body, "outcome"));
		for (i = 0; outcome != NULL && i < ARRAY_LEN(outcomes); i++)
			if (strcmp(outcome, outcomes[i]) == 0)
				break;
		if (outcome == NULL || i == ARRAY_LEN(outcomes)) {
			*err = store_error(s, "incident %lld: a \"closed\" "
			    "event needs an outcome (resolved, unresolved, "
			    "failed or interrupted)", (long long)id);
			return -1;
		}
	}
	return s->ops->incident_event(s, id, kind, at, body, err);
}

json_t *
store_incident_get(struct store *s, int64_t id, char **err)
{
	*err = NULL;
	return s->ops->incident_get(s, id, err);
}

json_t *
store_incidents_list(struct store *s, const char *runbook, size_t limit,
    char **err)
{
	return s->ops->incidents_list(s, runbook, limit, err);
}

int
store_fix_count(struct store *s, const char *runbook, const char *failure,
    double since, long *count, char **err)
{
	*count = 0;
	if (runbook == NULL || failure == NULL) {
		*err = store_error(s, "a fix count needs a runbook and a "
		    "failure");
		return -1;
	}
	return s->ops->fix_count(s, runbook, failure, since, count, err);
}

int
store_verify_chain(struct store *s, json_t **report, char **err)
{
	*report = NULL;
	return s->ops->verify_chain(s, report, err);
}

int
store_samples_add(struct store *s, const char *runbook,
    const struct store_sample *v, size_t n, char **err)
{
	if (runbook == NULL || *runbook == '\0') {
		*err = store_error(s, "samples need a runbook");
		return -1;
	}
	if (n == 0)
		return 0;
	return s->ops->samples_add(s, runbook, v, n, err);
}

json_t *
store_history(struct store *s, const char *runbook, const char *probe,
    double since, size_t limit, char **err)
{
	return s->ops->history(s, runbook, probe, since, limit, err);
}

int
store_prune(struct store *s, double before, long limit, long *deleted,
    char **err)
{
	*deleted = 0;
	return s->ops->prune(s, before, limit, deleted, err);
}

int
store_alerts_add(struct store *s, const char *runbook, json_t *list,
    char **err)
{
	return s->ops->alerts_add(s, runbook, list, err);
}

/* Appends s to b as the netstring "LEN:BYTES,". */
static void
put_netstring(struct buf *b, const char *str)
{
	size_t len = strlen(str);

	buf_printf(b, "%zu:", len);
	buf_append(b, str, len);
	buf_putc(b, ',');
}

void
store_event_hash(const char *prev, int64_t seq, int64_t incident,
    double at, const char *kind, const char *body, char *out)
{
	struct buf b;
	char num[32];

	buf_init(&b, 0);
	put_netstring(&b, "triage-event-1");
	put_netstring(&b, prev);
	snprintf(num, sizeof(num), "%lld", (long long)seq);
	put_netstring(&b, num);
	snprintf(num, sizeof(num), "%lld", (long long)incident);
	put_netstring(&b, num);
	snprintf(num, sizeof(num), "%.17g", at);
	put_netstring(&b, num);
	put_netstring(&b, kind);
	put_netstring(&b, body);
	sha256_hex(b.data, b.len, out);
	buf_dispose(&b);
}

char *
store_body_dump(json_t *body)
{
	char *text;

	if (body == NULL)
		return xstrdup("{}");
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	if (text == NULL) {
		fprintf(stderr, "triage: out of memory encoding JSON\n");
		abort();
	}
	return text;
}

/* SPDX-License-Identifier: MIT */
/* Recording a run's probe results in the store as samples (--record). */
#include "record.h"

#include <stdlib.h>

#include "store.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* Fills *out from result r (the i-th); strings stay owned by r. -1 with
 * *err when r cannot be a sample. */
static int
to_sample(json_t *r, size_t i, struct store_sample *out, char **err)
{
	const char *id = json_string_value(json_object_get(r, "id"));
	const char *at = json_string_value(json_object_get(r, "checked_at"));
	json_t *lat = json_object_get(r, "latency_ms");

	if (!json_is_object(r) || id == NULL || *id == '\0') {
		*err = xasprintf("record: result %zu has no probe id", i);
		return -1;
	}
	out->probe = id;
	out->state = json_string_value(json_object_get(r, "state"));
	if (out->state == NULL) {
		*err = xasprintf("record: probe %s: no state", id);
		return -1;
	}
	if (at == NULL || time_parse_iso8601(at, &out->at) != 0) {
		*err = xasprintf("record: probe %s: checked_at %s%s%s is not "
		    "an ISO-8601 time", id, at != NULL ? "\"" : "",
		    at != NULL ? at : "(missing)", at != NULL ? "\"" : "");
		return -1;
	}
	out->latency_ms = json_is_number(lat) && json_number_value(lat) >= 0 ?
	    json_number_value(lat) : -1;
	out->reason = json_string_value(json_object_get(r, "reason"));
	return 0;
}

int
record_results(struct store *s, const char *runbook, json_t *results,
    char **err)
{
	struct store_sample *v;
	size_t i, n;
	json_t *r;
	int rc = 0;

	if (!json_is_array(results)) {
		*err = xstrdup("record: the results are not a list");
		return -1;
	}
	n = json_array_size(results);
	if (n == 0)
		return 0;
	v = xcalloc(n, sizeof(*v));
	json_array_foreach(results, i, r) {
		if ((rc = to_sample(r, i, &v[i], err)) != 0)
			break;
	}
	if (rc == 0)
		rc = store_samples_add(s, runbook, v, n, err);
	free(v);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* The table of probe kinds and the helpers every kind uses. */
#include "probe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

extern const struct probe_kind probe_kind_http;
extern const struct probe_kind probe_kind_tcp;
extern const struct probe_kind probe_kind_tls;
extern const struct probe_kind probe_kind_command;
extern const struct probe_kind probe_kind_nagios;
extern const struct probe_kind probe_kind_file;
extern const struct probe_kind probe_kind_log;
extern const struct probe_kind probe_kind_sql;
extern const struct probe_kind probe_kind_redis;

/* Adding a kind is adding its file and a row here. */
const struct probe_kind *const probe_kinds[] = {
	&probe_kind_http,
	&probe_kind_tcp,
	&probe_kind_tls,
	&probe_kind_command,
	&probe_kind_nagios,
	&probe_kind_file,
	&probe_kind_log,
	&probe_kind_sql,
	&probe_kind_redis,
	NULL,
};

static const char *const state_names[] = {
	[STATE_OK] = "ok",
	[STATE_WARNING] = "warning",
	[STATE_CRITICAL] = "critical",
	[STATE_UNKNOWN] = "unknown",
	[STATE_SKIPPED] = "skipped",
};

const char *
probe_state_name(enum probe_state s)
{
	if ((size_t)s >= ARRAY_LEN(state_names))
		return "unknown";
	return state_names[s];
}

const char *
probe_reason_why(const char *reason, enum probe_state s)
{
	const char *name = probe_state_name(s);
	size_t n = strlen(name);

	if (reason != NULL && strncmp(reason, name, n) == 0 &&
	    strncmp(reason + n, ": ", 2) == 0)
		return reason + n + 2;
	return reason;
}

/* engine.c, result_new, writes them. */
const char *const probe_common_results[] = {
	"id", "layer", "kind", "ok", "state", "reason", "latency_ms",
	"latency", "checked_at", NULL,
};

static int
listed(const char *const *list, const char *name)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(*list, name) == 0)
			return 1;
	}
	return 0;
}

int
probe_result_field(const struct probe_kind *k, const char *name)
{
	return listed(probe_common_results, name) || listed(k->results, name);
}

const char *
probe_result_field_near(const struct probe_kind *k, const char *name)
{
	const char *const *lists[] = { k->results, probe_common_results };
	const char *const *f;
	const char *best = NULL;
	unsigned d, best_d = 3;
	size_t i;

	for (i = 0; i < ARRAY_LEN(lists); i++) {
		for (f = lists[i]; f != NULL && *f != NULL; f++) {
			d = str_edit_distance(name, *f);
			if (d < best_d && 2 * d <= strlen(name)) {
				best = *f;
				best_d = d;
			}
		}
	}
	return best;
}

int
probe_state_parse(const char *name, enum probe_state *out)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(state_names); i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum probe_state)i;
			return 0;
		}
	}
	return -1;
}

const struct probe_kind *
probe_kind_find(const char *key)
{
	size_t i;

	for (i = 0; probe_kinds[i] != NULL; i++) {
		const struct probe_kind *k = probe_kinds[i];

		if (strcmp(k->name, key) == 0 ||
		    (k->alias != NULL && strcmp(k->alias, key) == 0))
			return k;
	}
	return NULL;
}

json_t *
probe_param(const struct probe *p, const char *key)
{
	return p->params != NULL ? json_object_get(p->params, key) : NULL;
}

const char *
probe_param_str(const struct probe *p, const char *key, const char *def)
{
	json_t *v = probe_param(p, key);

	return json_is_string(v) ? json_string_value(v) : def;
}

double
probe_param_num(const struct probe *p, const char *key, double def)
{
	json_t *v = probe_param(p, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

int
probe_param_bool(const struct probe *p, const char *key, int def)
{
	json_t *v = probe_param(p, key);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

int
probe_need_lib(const struct probe *p, int (*load)(const char **err),
    char **cause)
{
	const char *err = NULL;

	if (load(&err) == 0)
		return 0;
	*cause = xasprintf("%s probes need a library that cannot be loaded: "
	    "%s", p->kind->name, err);
	return -1;
}

struct srcpos
probe_param_srcpos(const struct probe *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nparam_pos; i++) {
		if (strcmp(p->param_pos[i].key, key) == 0)
			return p->param_pos[i].pos;
	}
	return p->pos;
}

void
probe_run_error(struct probe_run *run, const char *fmt, ...)
{
	va_list ap;

	if (run->error != NULL)
		return;
	va_start(ap, fmt);
	run->error = xvasprintf(fmt, ap);
	va_end(ap);
}

void
probe_run_verdict(struct probe_run *run, enum probe_state state,
    const char *fmt, ...)
{
	va_list ap;

	run->verdict = state;
	free(run->verdict_reason);
	run->verdict_reason = NULL;
	if (fmt != NULL) {
		va_start(ap, fmt);
		run->verdict_reason = xvasprintf(fmt, ap);
		va_end(ap);
	}
}

void
probe_run_complete(struct probe_run *run)
{
	if (run->completed)
		return;
	run->completed = 1;
	if (run->on_complete != NULL)
		run->on_complete(run);
}

/* SPDX-License-Identifier: MIT */
/* The `nagios` probe kind: run a monitoring plugin, parse its perfdata. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nagios.h"
#include "probe.h"
#include "child.h"
#include "util/buf.h"
#include "util/proc.h"
#include "util/xmalloc.h"

#define NAGIOS_REASON_MAX 200	/* characters of output in a reason */

static const struct field_spec nagios_fields[] = {
	{ "nagios", FIELD_ARGV, FIELD_REQUIRED,
	    "the plugin and its arguments, run without a shell" },
	{ "env", FIELD_MAP, 0, "environment variables to set or replace" },
	{ "cwd", FIELD_STRING, 0, "the working directory" },
	{ "max_output", FIELD_SIZE, 0,
	    "cap on the captured stdout and stderr, each (default 64KiB)" },
	{ NULL, 0, 0, NULL },
};

/* Units of measurement the guidelines allow, plus the binary multiples
 * newer plugins print. */
static const char *const nagios_uoms[] = {
	"", "s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c",
	"KiB", "MiB", "GiB", "TiB",
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The length of the decimal number that s[0..n) starts with
 * ([-+]digits[.digits][e[-+]digits]), 0 when it starts with none. */
static size_t
num_scan(const char *s, size_t n)
{
	size_t i = 0, digits = 0, mark;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && is_digit(s[i])) {
		i++;
		digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && is_digit(s[i])) {
			i++;
			digits++;
		}
	}
	if (digits == 0)
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		mark = i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i >= n || !is_digit(s[i]))
			return mark;
		while (i < n && is_digit(s[i]))
			i++;
	}
	return i;
}

/* s[0..n), a whole number as num_scan accepts it, as a JSON integer when
 * it is one that fits, else a real. */
static json_t *
num_json(const char *s, size_t n)
{
	char *text = xstrndup(s, n), *end;
	json_t *v = NULL;

	if (strpbrk(text, ".eE") == NULL) {
		long long ll;

		errno = 0;
		ll = strtoll(text, &end, 10);
		if (errno == 0 && *end == '\0')
			v = json_integer((json_int_t)ll);
	}
	if (v == NULL) {
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (*end == '\0' && errno != ERANGE)
			v = json_real(d);
	}
	free(text);
	return v;
}

/* A field that must be a number alone (min, max), or NULL. */
static json_t *
field_number(const char *s, size_t n)
{
	if (n == 0 || num_scan(s, n) != n)
		return NULL;
	return num_json(s, n);
}

/* warn or crit: a plain number, or a range ([@][start:][end], start may be
 * ~) kept as text; NULL when empty or malformed. */
static json_t *
field_range(const char *s, size_t n)
{
	size_t i = 0, k;
	int tilde = 0, start = 0, colon = 0, end = 0;

	if (n == 0)
		return NULL;
	if (num_scan(s, n) == n)
		return num_json(s, n);
	if (s[i] == '@')
		i++;
	if (i < n && s[i] == '~') {
		i++;
		tilde = 1;
	} else if ((k = num_scan(s + i, n - i)) > 0) {
		i += k;
		start = 1;
	}
	if (i < n && s[i] == ':') {
		i++;
		colon = 1;
		if ((k = num_scan(s + i, n - i)) > 0) {
			i += k;
			end = 1;
		}
	}
	if (i != n)
		return NULL;
	/* Without a colon the one bound is the end ("@10"), never "~". */
	if (colon ? !(tilde || start || end) : (!start || tilde))
		return NULL;
	return json_stringn(s, n);
}

static int
uom_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(nagios_uoms); i++) {
		if (strlen(nagios_uoms[i]) == n &&
		    strncmp(nagios_uoms[i], s, n) == 0)
			return 1;
	}
	return 0;
}

/* One item's data, "value[UOM];[warn];[crit];[min];[max]" (s[0..n)), as
 * an object; NULL when the value is malformed. */
static json_t *
perf_item(const char *s, size_t n)
{
	static const char *const keys[] = { "warn", "crit", "min", "max" };
	const char *end = s + n, *p, *semi;
	json_t *item, *v;
	size_t k, field;

	semi = memchr(s, ';', n);
	if (semi == NULL)
		semi = end;
	item = json_object();
	if (semi - s == 1 && s[0] == 'U') {
		json_object_set_new(item, "value", json_null());
		json_object_set_new(item, "uom", json_string(""));
	} else {
		k = num_scan(s, (size_t)(semi - s));
		if (k == 0 || !uom_valid(s + k, (size_t)(semi - s) - k) ||
		    (v = num_json(s, k)) == NULL) {
			json_decref(item);
			return NULL;
		}
		json_object_set_new(item, "value", v);
		json_object_set_new(item, "uom",
		    json_stringn(s + k, (size_t)(semi - s) - k));
	}
	for (field = 0, p = semi; p < end && field < ARRAY_LEN(keys);
	    field++) {
		p++;
		semi = memchr(p, ';', (size_t)(end - p));
		if (semi == NULL)
			semi = end;
		v = field < 2 ? field_range(p, (size_t)(semi - p)) :
		    field_number(p, (size_t)(semi - p));
		if (v != NULL)
			json_object_set_new(item, keys[field], v);
		p = semi;
	}
	return item;
}

/* Parses the perfdata in s (items separated by white space) into perf;
 * returns the number of items kept. */
static int
perf_parse(const char *s, json_t *perf)
{
	struct buf label;
	const char *start;
	json_t *item;
	int count = 0;

	buf_init(&label, 0);
	for (;;) {
		while (is_space(*s))
			s++;
		if (*s == '\0')
			break;
		buf_reset(&label);
		if (*s == '\'') {
			/* 'label with spaces', '' is a literal quote */
			for (s++; *s != '\0'; s++) {
				if (*s == '\'' && s[1] == '\'')
					s++;
				else if (*s == '\'')
					break;
				buf_putc(&label, *s);
			}
			if (*s == '\0')
				break;
			s++;
		} else {
			for (; *s != '\0' && *s != '=' && !is_space(*s); s++)
				buf_putc(&label, *s);
		}
		if (*s != '=') {
			while (*s != '\0' && !is_space(*s))
				s++;
			continue;
		}
		start = ++s;
		while (*s != '\0' && !is_space(*s))
			s++;
		if (label.len == 0)
			continue;
		item = perf_item(start, (size_t)(s - start));
		if (item != NULL) {
			json_object_set_new(perf, buf_cstr(&label), item);
			count++;
		}
	}
	buf_dispose(&label);
	return count;
}

/* Sets key to s[0..n) trimmed, unless that is empty and optional. */
static void
set_text(json_t *out, const char *key, const char *s, size_t n,
    int optional)
{
	char *t = child_text(s, n);

	if (t[0] != '\0' || !optional)
		json_object_set_new(out, key, json_string(t));
	free(t);
}

int
nagios_parse_output(const char *text, json_t *out)
{
	char *t = child_text(text, strlen(text));
	const char *nl, *bar, *rest;
	struct buf perfdata;
	json_t *perf = json_object();
	int count;

	buf_init(&perfdata, 0);
	nl = strchr(t, '\n');
	if (nl == NULL)
		nl = t + strlen(t);
	bar = memchr(t, '|', (size_t)(nl - t));
	set_text(out, "output", t, (size_t)((bar != NULL ? bar : nl) - t), 0);
	if (bar != NULL)
		buf_append(&perfdata, bar + 1, (size_t)(nl - bar - 1));
	rest = *nl != '\0' ? nl + 1 : nl;
	/* In the long output, a `|` starts perfdata that runs to the end. */
	bar = strchr(rest, '|');
	set_text(out, "long_output", rest,
	    bar != NULL ? (size_t)(bar - rest) : strlen(rest), 1);
	if (bar != NULL) {
		buf_putc(&perfdata, ' ');
		buf_puts(&perfdata, bar + 1);
	}
	count = perf_parse(buf_cstr(&perfdata), perf);
	json_object_set_new(out, "perf", perf);
	buf_dispose(&perfdata);
	free(t);
	return count;
}

static int
nagios_prepare(struct probe *p, char **cause)
{
	json_t *argv = probe_param(p, "nagios");

	if (argv == NULL) {
		p->err_field = "nagios";
		*cause = xstrdup("nagios (the plugin and its arguments) is "
		    "required");
		return -1;
	}
	p->priv = child_probe_create(p, argv, "nagios", cause);
	return p->priv != NULL ? 0 : -1;
}

static void
nagios_release(struct probe *p)
{
	child_probe_free(p->priv);
	p->priv = NULL;
}

/* The plugin's exit code is its verdict: 0 ok, 1 warning, 2 critical,
 * anything else (3, a signal) unknown. The reason is its status text. */
static void
nagios_judge(struct probe_run *run, struct child *s)
{
	static const enum probe_state states[] = {
		STATE_OK, STATE_WARNING, STATE_CRITICAL,
	};
	enum probe_state state = STATE_UNKNOWN;
	char name[32], *text, *reason;
	json_t *parsed;
	const char *output;

	if (s->proc.signal != 0) {
		probe_run_verdict(run, STATE_UNKNOWN, "killed by %s",
		    proc_signal_name(s->proc.signal, name, sizeof(name)));
		return;
	}
	if (s->proc.exit_code >= 0 &&
	    (size_t)s->proc.exit_code < ARRAY_LEN(states))
		state = states[s->proc.exit_code];
	text = child_text(buf_cstr(&s->out), s->out.len);
	parsed = json_object();
	nagios_parse_output(text, parsed);
	output = json_string_value(json_object_get(parsed, "output"));
	free(text);
	text = NULL;
	if (output == NULL || output[0] == '\0') {
		text = child_text(buf_cstr(&s->err), s->err.len);
		output = text;
	}
	reason = child_text_cut(output, NAGIOS_REASON_MAX);
	if (reason[0] != '\0')
		probe_run_verdict(run, state, "%s", reason);
	else if (state == STATE_OK)
		probe_run_verdict(run, state, NULL);
	else if (s->proc.exit_code < 0)
		probe_run_verdict(run, state, "exit status unknown");
	else
		probe_run_verdict(run, state, "exit %d", s->proc.exit_code);
	free(reason);
	free(text);
	json_decref(parsed);
}

static int
nagios_start(struct probe_run *run)
{
	return child_probe_start(run, run->probe->priv, nagios_judge);
}

static void
nagios_cancel(struct probe_run *run)
{
	child_probe_cancel(run);
}

static void
nagios_finish(struct probe_run *run, json_t *out)
{
	struct child *s = child_probe_get(run);
	char *text;

	if (s != NULL) {
		child_probe_write_status(s, out);
		text = child_text(buf_cstr(&s->out), s->out.len);
		nagios_parse_output(text, out);
		free(text);
	}
	child_probe_end(run);
}

/* The same argv, with its cwd and env, quoted for sh. */
static char *
nagios_manual(const struct probe *p)
{
	struct buf b;

	buf_init(&b, 0);
	child_manual_prefix(&b, p);
	child_manual_argv(&b, probe_param(p, "nagios"));
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const nagios_results[] = {
	"exit", "signal", "truncated", "output", "long_output", "perf", NULL,
};

const struct probe_kind probe_kind_nagios = {
	.name = "nagios",
	.alias = NULL,
	.fields = nagios_fields,
	.results = nagios_results,
	.flags = PROBE_KIND_REMOTE,
	.prepare = nagios_prepare,
	.release = nagios_release,
	.start = nagios_start,
	.cancel = nagios_cancel,
	.finish = nagios_finish,
	.manual = nagios_manual,
};

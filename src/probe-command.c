/* SPDX-License-Identifier: MIT */
/* The `command` probe kind (alias `shell`): run argv, judge its exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "child.h"
#include "util/buf.h"
#include "util/proc.h"
#include "util/shquote.h"
#include "util/xmalloc.h"

#define COMMAND_REASON_MAX 100	/* characters of stderr in a reason */

static const struct field_spec command_fields[] = {
	{ "command", FIELD_ARGV, 0,
	    "the program and its arguments, run without a shell" },
	{ "shell", FIELD_STRING, 0,
	    "a script for /bin/sh -c, the one explicit use of a shell" },
	{ "env", FIELD_MAP, 0, "environment variables to set or replace" },
	{ "cwd", FIELD_STRING, 0, "the working directory" },
	{ "max_output", FIELD_SIZE, 0,
	    "cap on the captured stdout and stderr, each (default 64KiB)" },
	{ NULL, 0, 0, NULL },
};

static int
command_prepare(struct probe *p, char **cause)
{
	json_t *cmd = probe_param(p, "command"), *sh = probe_param(p, "shell");
	json_t *argv;
	const char *key = "command";

	if (cmd != NULL && sh != NULL) {
		p->err_field = "shell";
		*cause = xstrdup("give either command (a list) or shell "
		    "(a string), not both");
		return -1;
	}
	if (cmd == NULL && sh == NULL) {
		p->err_field = "command";
		*cause = xstrdup("command (a list) or shell (a string) is "
		    "required");
		return -1;
	}
	if (sh != NULL) {
		if (!json_is_string(sh) || json_string_value(sh)[0] == '\0') {
			p->err_field = "shell";
			*cause = xstrdup("shell must be a non-empty string");
			return -1;
		}
		key = "shell";
		argv = json_pack("[sss]", "/bin/sh", "-c",
		    json_string_value(sh));
	} else {
		argv = json_incref(cmd);
	}
	p->priv = child_probe_create(p, argv, key, cause);
	json_decref(argv);
	return p->priv != NULL ? 0 : -1;
}

static void
command_release(struct probe *p)
{
	child_probe_free(p->priv);
	p->priv = NULL;
}

/* exit 0 is ok; anything else is critical, with the first line of stderr
 * when there is one. */
static void
command_judge(struct probe_run *run, struct child *s)
{
	char name[32], *err, *line;

	if (s->proc.signal != 0) {
		probe_run_verdict(run, STATE_CRITICAL, "killed by %s",
		    proc_signal_name(s->proc.signal, name, sizeof(name)));
		return;
	}
	if (s->proc.exit_code == 0) {
		probe_run_verdict(run, STATE_OK, NULL);
		return;
	}
	if (s->proc.exit_code < 0) {
		probe_run_verdict(run, STATE_CRITICAL, "exit status unknown");
		return;
	}
	err = child_text(buf_cstr(&s->err), s->err.len);
	line = child_text_cut(err, COMMAND_REASON_MAX);
	if (line[0] != '\0')
		probe_run_verdict(run, STATE_CRITICAL, "exit %d: %s",
		    s->proc.exit_code, line);
	else
		probe_run_verdict(run, STATE_CRITICAL, "exit %d",
		    s->proc.exit_code);
	free(line);
	free(err);
}

static int
command_start(struct probe_run *run)
{
	return child_probe_start(run, run->probe->priv, command_judge);
}

static void
command_cancel(struct probe_run *run)
{
	child_probe_cancel(run);
}

static void
command_finish(struct probe_run *run, json_t *out)
{
	struct child *s = child_probe_get(run);
	char *text;
	json_t *doc;

	if (s != NULL) {
		child_probe_write_status(s, out);
		text = child_text(buf_cstr(&s->out), s->out.len);
		doc = json_loads(text, JSON_DECODE_ANY, NULL);
		json_object_set_new(out, "stdout", json_string(text));
		if (doc != NULL)
			json_object_set_new(out, "json", doc);
		free(text);
		text = child_text(buf_cstr(&s->err), s->err.len);
		json_object_set_new(out, "stderr", json_string(text));
		free(text);
	}
	child_probe_end(run);
}

/* Whether one of the first len bytes of script is a line equal to word. */
static int
command_has_line(const char *script, size_t len, const char *word)
{
	size_t wl = strlen(word), i = 0;

	while (i < len) {
		const char *nl = memchr(script + i, '\n', len - i);
		size_t end = nl != NULL ? (size_t)(nl - script) : len;

		if (end - i == wl && memcmp(script + i, word, wl) == 0)
			return 1;
		i = end + 1;
	}
	return 0;
}

/* A script for `sh -c`: one line quoted, or several lines verbatim in a
 * quoted here-document, which reads better than a page of '\''. */
static void
command_manual_shell(struct buf *b, const char *script)
{
	size_t len = strlen(script), n;
	char delim[32] = "SCRIPT", *one;

	while (len > 0 && script[len - 1] == '\n')
		len--;
	if (memchr(script, '\n', len) == NULL) {
		one = xstrndup(script, len);
		buf_puts(b, "sh -c ");
		shquote_append(b, one);
		free(one);
		return;
	}
	for (n = 2; command_has_line(script, len, delim); n++)
		snprintf(delim, sizeof(delim), "SCRIPT%zu", n);
	buf_printf(b, "sh -c \"$(cat <<'%s'\n", delim);
	buf_append(b, script, len);
	buf_printf(b, "\n%s\n)\" </dev/null", delim);
}

/* The same argv (or `sh -c SCRIPT`), with its cwd and env, quoted for sh. */
static char *
command_manual(const struct probe *p)
{
	const char *sh = probe_param_str(p, "shell", NULL);
	struct buf b;

	buf_init(&b, 0);
	child_manual_prefix(&b, p);
	if (sh != NULL)
		command_manual_shell(&b, sh);
	else
		child_manual_argv(&b, probe_param(p, "command"));
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const command_results[] = {
	"exit", "signal", "truncated", "stdout", "json", "stderr", NULL,
};

const struct probe_kind probe_kind_command = {
	.name = "command",
	.alias = "shell",
	.fields = command_fields,
	.results = command_results,
	.flags = PROBE_KIND_REMOTE,
	.prepare = command_prepare,
	.release = command_release,
	.start = command_start,
	.cancel = command_cancel,
	.finish = command_finish,
	.manual = command_manual,
};

/* SPDX-License-Identifier: MIT */
/* The `file` probe kind: does a path exist, and its size, age, mode, owner. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

/* What lstat/stat found, kept until finish() writes it out. */
struct file_run {
	struct loop_timer timer;
	struct probe_run *run;
	int exists;
	int have_stat;		/* st holds something to report */
	struct stat st;
	const char *type;	/* from lstat: "symlink" for a link */
	char *target;		/* NULL, or what a symlink points to */
	char *owner;		/* on a host: the owner's name there, or
				 * NULL; here finish() looks it up */
	double now;		/* wall clock when stat ran */
};

static const struct field_spec file_fields[] = {
	{ "file", FIELD_STRING, FIELD_REQUIRED,
	    "path to check: exists, size, age, mode, uid, gid, type, owner" },
	{ NULL, 0, 0, NULL },
};

/* On a host, stat(1) does what lstat and stat do here, one line each:
 * the remote clock ("NOW"), then "L MODE SIZE MTIME UID GID OWNER" (the
 * mode in hex: type and permission bits) or "E MESSAGE"; for a symlink
 * also "T TARGET" and the target's "S ..." or "F MESSAGE". GNU and BusyBox
 * stat both take -c; messages are in the C locale, for their errno text. */
static const char file_remote_script[] =
	"LC_ALL=C; export LC_ALL; f=$1; date +%s; "
	"s=$(stat -c \"%f %s %Y %u %g %U\" -- \"$f\" 2>&1) || "
	"{ printf \"E %s\\n\" \"$s\"; exit 0; }; "
	"printf \"L %s\\n\" \"$s\"; [ -L \"$f\" ] || exit 0; "
	"printf \"T %s\\n\" \"$(readlink -- \"$f\")\"; "
	"if s=$(stat -L -c \"%f %s %Y %u %g %U\" -- \"$f\" 2>&1); "
	"then printf \"S %s\\n\" \"$s\"; "
	"else printf \"F %s\\n\" \"$s\"; fi";

static int
file_prepare(struct probe *p, char **cause)
{
	const char *path = probe_param_str(p, "file", NULL);
	json_t *argv;

	if (path == NULL) {
		*cause = xstrdup("`file:` needs a path");
		p->err_field = "file";
		return -1;
	}
	if (p->on == NULL)
		return 0;
	argv = json_pack("[sssss]", "/bin/sh", "-c", file_remote_script,
	    "triage-file", path);
	p->priv = child_probe_create(p, argv, "file", cause);
	json_decref(argv);
	return p->priv != NULL ? 0 : -1;
}

static void
file_release(struct probe *p)
{
	child_probe_free(p->priv);
	p->priv = NULL;
}

static const char *
file_type_name(mode_t m)
{
	if (S_ISREG(m))
		return "file";
	if (S_ISDIR(m))
		return "directory";
	if (S_ISLNK(m))
		return "symlink";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISFIFO(m))
		return "fifo";
	return "device";
}

/* A symlink's text, or NULL when it cannot be read. */
static char *
file_read_link(const char *path, size_t size_hint)
{
	size_t cap = size_hint > 0 && size_hint < 4096 ? size_hint + 1 : 256;

	for (;;) {
		char *s = xmalloc(cap);
		ssize_t n = readlink(path, s, cap);

		if (n < 0) {
			free(s);
			return NULL;
		}
		if ((size_t)n < cap) {
			s[n] = '\0';
			return s;
		}
		free(s);
		if (cap >= 65536)
			return NULL;
		cap *= 2;
	}
}

static void
file_on_timer(void *arg)
{
	struct file_run *fr = arg;

	probe_run_complete(fr->run);
}

/* Stats the path now (stat is fast) and reports from a zero-delay timer,
 * since a kind must not complete inside start(). */
static void file_remote_judge(struct probe_run *run, struct child *s);

static int
file_start(struct probe_run *run)
{
	const char *path = probe_param_str(run->probe, "file", "");
	struct file_run *fr;
	struct stat lst;

	if (run->probe->on != NULL)
		return child_probe_start(run, run->probe->priv,
		    file_remote_judge);
	fr = xcalloc(1, sizeof(*fr));

	fr->run = run;
	run->priv = fr;
	loop_timer_init(&fr->timer, file_on_timer, fr);
	fr->now = time_now();
	if (lstat(path, &lst) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			probe_run_verdict(run, STATE_CRITICAL, "not_found: %s",
			    path);
		else if (errno == EACCES)
			probe_run_error(run, "permission denied: %s", path);
		else
			probe_run_error(run, "stat_failed: %s: %s", path,
			    strerror(errno));
		goto out;
	}
	fr->type = file_type_name(lst.st_mode);
	fr->have_stat = 1;
	fr->st = lst;
	fr->exists = 1;
	if (S_ISLNK(lst.st_mode)) {
		/* Report what the link points to (an operator checking a
		 * certificate's age means the certificate), as test -e does;
		 * a dangling link does not exist. */
		fr->target = file_read_link(path, (size_t)lst.st_size);
		if (stat(path, &fr->st) != 0) {
			fr->st = lst;
			if (errno == ENOENT || errno == ENOTDIR) {
				fr->exists = 0;
				probe_run_verdict(run, STATE_CRITICAL,
				    "not_found: %s (dangling symlink to %s)",
				    path, fr->target ? fr->target : "?");
			} else if (errno == EACCES) {
				probe_run_error(run, "permission denied: %s",
				    path);
			} else {
				probe_run_error(run, "stat_failed: %s: %s",
				    path, strerror(errno));
			}
		}
	}
out:
	loop_timer_after(run->loop, &fr->timer, 0);
	return 0;
}

static void
file_cancel(struct probe_run *run)
{
	struct file_run *fr = run->priv;

	if (run->probe->on != NULL)
		child_probe_cancel(run);
	else if (fr != NULL)
		loop_timer_stop(run->loop, &fr->timer);
}

static double
file_mtime(const struct stat *st)
{
	return (double)st->st_mtim.tv_sec + st->st_mtim.tv_nsec / 1e9;
}

/* A string field from what a remote host said: valid UTF-8. */
static json_t *
file_text_json(const char *s)
{
	char *clean = child_text(s, strlen(s));
	json_t *v = json_string(clean);

	free(clean);
	return v;
}

/* The fields, the same here and on a host. */
static void
file_write(const struct file_run *fr, int remote, json_t *out)
{
	const struct stat *st = &fr->st;
	char mode[16];
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];

	json_object_set_new(out, "exists", json_boolean(fr->exists));
	if (!fr->have_stat)
		return;
	json_object_set_new(out, "type", json_string(fr->type));
	if (fr->target != NULL)
		json_object_set_new(out, "target", remote ?
		    file_text_json(fr->target) : json_string(fr->target));
	if (!fr->exists)
		return;
	json_object_set_new(out, "size", json_integer((json_int_t)st->st_size));
	json_object_set_new(out, "age", json_real(fr->now - file_mtime(st)));
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	json_object_set_new(out, "mode", json_string(mode));
	json_object_set_new(out, "uid", json_integer((json_int_t)st->st_uid));
	json_object_set_new(out, "gid", json_integer((json_int_t)st->st_gid));
	if (remote) {
		if (fr->owner != NULL)
			json_object_set_new(out, "owner",
			    file_text_json(fr->owner));
	} else if (getpwuid_r(st->st_uid, &pw, pwbuf, sizeof(pwbuf),
	    &pwp) == 0 && pwp != NULL) {
		json_object_set_new(out, "owner", json_string(pw.pw_name));
	}
}

static void
file_run_free(void *arg)
{
	struct file_run *fr = arg;

	free(fr->target);
	free(fr->owner);
	free(fr);
}

static void
file_finish(struct probe_run *run, json_t *out)
{
	struct file_run *fr;

	if (run->probe->on != NULL) {
		fr = child_probe_data(run);
		if (fr != NULL)
			file_write(fr, 1, out);
		child_probe_end(run);
		return;
	}
	fr = run->priv;
	if (fr == NULL)
		return;
	run->priv = NULL;
	if (run->loop != NULL)
		loop_timer_stop(run->loop, &fr->timer);
	file_write(fr, 0, out);
	file_run_free(fr);
}

/*
 * On a host.
 */

/* The text after `prefix` on a line of text (a heap copy, to the end of
 * the line), or NULL when no line starts with it. */
static char *
file_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *line = text, *nl;

	for (; line != NULL && *line != '\0'; line = nl != NULL ? nl + 1 :
	    NULL) {
		nl = strchr(line, '\n');
		if (strncmp(line, prefix, n) == 0)
			return xstrndup(line + n, nl != NULL ?
			    (size_t)(nl - line) - n : strlen(line + n));
	}
	return NULL;
}

/* "MODE SIZE MTIME UID GID OWNER" (MODE in hex) into st and *owner. */
static int
file_parse_stat(const char *s, struct stat *st, char **owner)
{
	unsigned long long v[5];
	const char *p = s;
	char *end;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < ARRAY_LEN(v); i++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '-' || *p == '+')
			return -1;
		errno = 0;
		v[i] = strtoull(p, &end, i == 0 ? 16 : 10);
		if (end == p || errno != 0 || (*end != ' ' && *end != '\0'))
			return -1;
		p = end;
	}
	st->st_mode = (mode_t)v[0];
	st->st_size = (off_t)v[1];
	st->st_mtim.tv_sec = (time_t)v[2];
	st->st_uid = (uid_t)v[3];
	st->st_gid = (gid_t)v[4];
	while (*p == ' ')
		p++;
	/* GNU stat says UNKNOWN for a uid without a name. */
	*owner = *p != '\0' && strcmp(p, "UNKNOWN") != 0 ? xstrdup(p) : NULL;
	return 0;
}

/* The reason for stat(1)'s message msg about path, as the local kind
 * gives it: a verdict (not found) or an error. */
static void
file_remote_failed(struct probe_run *run, const char *path, const char *msg,
    const char *target)
{
	const char *colon = strrchr(msg, ':');

	if (strstr(msg, "No such file or directory") != NULL ||
	    strstr(msg, "Not a directory") != NULL) {
		if (target != NULL)
			probe_run_verdict(run, STATE_CRITICAL, "not_found: %s "
			    "(dangling symlink to %s)", path, target);
		else
			probe_run_verdict(run, STATE_CRITICAL, "not_found: %s",
			    path);
	} else if (strstr(msg, "Permission denied") != NULL) {
		probe_run_error(run, "permission denied: %s", path);
	} else {
		probe_run_error(run, "stat_failed: %s: %s", path,
		    colon != NULL && colon[1] == ' ' ? colon + 2 : msg);
	}
}

/* Reads the script's answer into a file_run, as file_start would have. */
static void
file_remote_judge(struct probe_run *run, struct child *s)
{
	const char *path = probe_param_str(run->probe, "file", "");
	struct file_run *fr = xcalloc(1, sizeof(*fr));
	char *text = child_text(buf_cstr(&s->out), s->out.len);
	char *line = NULL, *end, *msg;
	struct stat lst;

	fr->run = run;
	child_probe_set_data(run, fr, file_run_free);
	if (s->proc.signal != 0 || s->proc.exit_code != 0) {
		char *err = child_text(buf_cstr(&s->err), s->err.len);
		char *first = child_text_cut(err, 200);

		probe_run_error(run, "stat_failed: %s: %s", path, first[0] ?
		    first : "the remote command failed");
		free(first);
		free(err);
		goto out;
	}
	errno = 0;
	fr->now = strtod(text, &end);
	if (end == text || errno != 0 || (*end != '\n' && *end != '\0')) {
		probe_run_error(run, "stat_failed: %s: no answer from the host",
		    path);
		goto out;
	}
	if ((msg = file_line(text, "E ")) != NULL) {
		file_remote_failed(run, path, msg, NULL);
		free(msg);
		goto out;
	}
	line = file_line(text, "L ");
	if (line == NULL || file_parse_stat(line, &lst, &fr->owner) != 0) {
		probe_run_error(run, "stat_failed: %s: cannot read stat's "
		    "answer", path);
		goto out;
	}
	fr->type = file_type_name(lst.st_mode);
	fr->have_stat = 1;
	fr->st = lst;
	fr->exists = 1;
	if (!S_ISLNK(lst.st_mode))
		goto out;
	fr->target = file_line(text, "T ");
	free(line);
	if ((line = file_line(text, "S ")) != NULL) {
		free(fr->owner);
		fr->owner = NULL;
		if (file_parse_stat(line, &fr->st, &fr->owner) != 0) {
			fr->st = lst;
			probe_run_error(run, "stat_failed: %s: cannot read "
			    "stat's answer", path);
		}
	} else if ((msg = file_line(text, "F ")) != NULL) {
		fr->st = lst;
		if (strstr(msg, "No such file or directory") != NULL ||
		    strstr(msg, "Not a directory") != NULL)
			fr->exists = 0;
		file_remote_failed(run, path, msg, fr->target != NULL ?
		    fr->target : "?");
		free(msg);
	}
out:
	free(line);
	free(text);
}

/* probe_kind_file: `file: PATH`, synchronous (one lstat, and a stat for a
 * symlink). Missing gives critical "not_found: PATH" through the kind's
 * verdict, so `expect: '!exists'` can check that a path is absent; a path
 * that cannot be looked at is an error. With `on: HOST`, stat(1) runs
 * there (file_remote_script) and its answer gives the same fields and
 * reasons; age is by the host's clock, to the second. */
/* stat: existence, size, times, mode and owner, as the probe reads them. */
static char *
file_manual(const struct probe *p)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "stat ");
	shquote_append(&b, probe_param_str(p, "file", ""));
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const file_results[] = {
	"exists", "type", "target", "size", "age", "mode", "uid", "gid",
	"owner", NULL,
};

const struct probe_kind probe_kind_file = {
	.name = "file",
	.alias = NULL,
	.fields = file_fields,
	.results = file_results,
	.flags = PROBE_KIND_REMOTE,
	.prepare = file_prepare,
	.release = file_release,
	.start = file_start,
	.cancel = file_cancel,
	.finish = file_finish,
	.manual = file_manual,
};

/* SPDX-License-Identifier: MIT */
/* The `file` probe kind: does a path exist, and its size, age, mode, owner. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	double now;		/* wall clock when stat ran */
};

static const struct field_spec file_fields[] = {
	{ "file", FIELD_STRING, FIELD_REQUIRED,
	    "path to check: exists, size, age, mode, uid, gid, type, owner" },
	{ NULL, 0, 0, NULL },
};

static int
file_prepare(struct probe *p, char **cause)
{
	if (p->on != NULL) {
		*cause = xstrdup("`on:` (SSH) is not available yet");
		p->err_field = "on";
		return -1;
	}
	if (probe_param_str(p, "file", NULL) == NULL) {
		*cause = xstrdup("`file:` needs a path");
		p->err_field = "file";
		return -1;
	}
	return 0;
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
static int
file_start(struct probe_run *run)
{
	const char *path = probe_param_str(run->probe, "file", "");
	struct file_run *fr = xcalloc(1, sizeof(*fr));
	struct stat lst;

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

	if (fr != NULL)
		loop_timer_stop(run->loop, &fr->timer);
}

static double
file_mtime(const struct stat *st)
{
	return (double)st->st_mtim.tv_sec + st->st_mtim.tv_nsec / 1e9;
}

static void
file_finish(struct probe_run *run, json_t *out)
{
	struct file_run *fr = run->priv;
	const struct stat *st;
	char mode[16];
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];

	if (fr == NULL)
		return;
	run->priv = NULL;
	if (run->loop != NULL)
		loop_timer_stop(run->loop, &fr->timer);
	json_object_set_new(out, "exists", json_boolean(fr->exists));
	if (!fr->have_stat)
		goto out;
	st = &fr->st;
	json_object_set_new(out, "type", json_string(fr->type));
	if (fr->target != NULL)
		json_object_set_new(out, "target", json_string(fr->target));
	if (!fr->exists)
		goto out;
	json_object_set_new(out, "size", json_integer((json_int_t)st->st_size));
	json_object_set_new(out, "age", json_real(fr->now - file_mtime(st)));
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st->st_mode & 07777));
	json_object_set_new(out, "mode", json_string(mode));
	json_object_set_new(out, "uid", json_integer((json_int_t)st->st_uid));
	json_object_set_new(out, "gid", json_integer((json_int_t)st->st_gid));
	if (getpwuid_r(st->st_uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 &&
	    pwp != NULL)
		json_object_set_new(out, "owner", json_string(pw.pw_name));
out:
	free(fr->target);
	free(fr);
}

/* probe_kind_file: `file: PATH`, synchronous (one lstat, and a stat for a
 * symlink). Missing gives critical "not_found: PATH" through the kind's
 * verdict, so `expect: '!exists'` can check that a path is absent; a path
 * that cannot be looked at is an error. */
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

const struct probe_kind probe_kind_file = {
	.name = "file",
	.alias = NULL,
	.fields = file_fields,
	.flags = PROBE_KIND_REMOTE,
	.prepare = file_prepare,
	.release = NULL,
	.start = file_start,
	.cancel = file_cancel,
	.finish = file_finish,
	.manual = file_manual,
};

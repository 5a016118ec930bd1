/* SPDX-License-Identifier: MIT */
/* The `log` probe kind: scan the last N lines of a file for a regex, reading
 * only the tail, as `tail -n` does. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "child.h"
#include "probe.h"
#include "util/buf.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"
#include "util/utf8.h"

#define LOG_BLOCK (64u * 1024u)		/* bytes read at a time */
#define LOG_LINE_MAX (64u * 1024u)	/* of one line, for matching */
#define LOG_MATCH_MAX 1024u		/* of last_match */
#define LOG_LAST_DEFAULT 200
#define LOG_LAST_MAX 1000000
#define LOG_TEXT_MAX (64u * 1024u)	/* of `text`, the newest lines kept */
#define LOG_REMOTE_MAX (64u * 1024u * 1024u)	/* of a host's tail */

/* The compiled form of a probe, in p->priv. */
struct log_prepared {
	long last;
	pcre2_code *re;		/* NULL without `match:` */
	struct child_probe *remote;	/* on a host: its tail command */
};

/* On a host, tail(1) reads the last lines, and the kind scans its output
 * as it scans a local tail. What tail cannot tell apart by exit status
 * (a directory, a fifo it would block on) is said on stderr first. */
static const char log_remote_script[] =
	"LC_ALL=C; export LC_ALL; "
	"if [ -d \"$1\" ]; then echo \"triage: is a directory\" >&2; exit 3; "
	"fi; if [ -e \"$1\" ] && [ ! -f \"$1\" ]; then "
	"echo \"triage: not a regular file\" >&2; exit 3; fi; "
	"exec tail -n \"$2\" -- \"$1\"";

/* One run: the scan happens in a zero-delay timer callback, so start()
 * returns at once and the engine can start other probes first. */
struct log_run {
	struct loop_timer timer;
	struct probe_run *run;
	const struct log_prepared *lp;
	pcre2_match_data *md;
	int scanned;		/* the fields below are valid */
	size_t lines;
	size_t matches;
	char last_match[LOG_MATCH_MAX];
	size_t last_match_len;
	int last_match_cut;	/* the line was longer than LOG_MATCH_MAX */
	int have_match;
	/* The line being assembled across blocks. */
	char *line;
	size_t line_len;
	struct buf text;	/* the lines scanned, the newest kept */
};

static const struct field_spec log_fields[] = {
	{ "log", FIELD_STRING, FIELD_REQUIRED,
	    "path of a log file; only its tail is read" },
	{ "last", FIELD_INT, 0,
	    "how many lines from the end to scan (default 200, at most "
	    "1000000)" },
	{ "match", FIELD_STRING, 0,
	    "PCRE2 regex; lines matching it are counted (matches, "
	    "last_match)" },
	{ NULL, 0, 0, NULL },
};

static void
log_release(struct probe *p)
{
	struct log_prepared *lp = p->priv;

	if (lp == NULL)
		return;
	pcre2_code_free(lp->re);
	child_probe_free(lp->remote);
	free(lp);
	p->priv = NULL;
}

/* The tail command on p->on, into lp->remote. */
static int
log_prepare_remote(struct probe *p, struct log_prepared *lp, char **cause)
{
	char last[32];
	json_t *argv;

	snprintf(last, sizeof(last), "%ld", lp->last);
	argv = json_pack("[ssssss]", "/bin/sh", "-c", log_remote_script,
	    "triage-log", probe_param_str(p, "log", ""), last);
	lp->remote = child_probe_create(p, argv, "log", cause);
	json_decref(argv);
	if (lp->remote == NULL)
		return -1;
	lp->remote->max_output = LOG_REMOTE_MAX;
	return 0;
}

static int
log_prepare(struct probe *p, char **cause)
{
	struct log_prepared *lp;
	const char *pattern;
	json_t *last;
	int errcode;
	PCRE2_SIZE erroff;
	PCRE2_UCHAR msg[256];

	if (probe_param_str(p, "log", NULL) == NULL) {
		*cause = xstrdup("`log:` needs a path");
		p->err_field = "log";
		return -1;
	}
	lp = xcalloc(1, sizeof(*lp));
	lp->last = LOG_LAST_DEFAULT;
	last = probe_param(p, "last");
	if (last != NULL) {
		json_int_t v = json_is_integer(last) ? json_integer_value(last)
		    : -1;

		if (v < 1 || v > LOG_LAST_MAX) {
			*cause = xasprintf("`last:` must be a number of lines "
			    "from 1 to %d", LOG_LAST_MAX);
			p->err_field = "last";
			free(lp);
			return -1;
		}
		lp->last = (long)v;
	}
	pattern = probe_param_str(p, "match", NULL);
	if (pattern != NULL) {
		lp->re = pcre2_compile((PCRE2_SPTR)pattern,
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
		    &errcode, &erroff, NULL);
		if (lp->re == NULL) {
			pcre2_get_error_message(errcode, msg, sizeof(msg));
			*cause = xasprintf("`match:` is not a valid regex: %s "
			    "at offset %zu in /%s/", (const char *)msg,
			    (size_t)erroff, pattern);
			p->err_field = "match";
			free(lp);
			return -1;
		}
		/* JIT is an optimisation; the interpreter works without it. */
		(void)pcre2_jit_compile(lp->re, PCRE2_JIT_COMPLETE);
	}
	p->priv = lp;
	if (p->on != NULL && log_prepare_remote(p, lp, cause) != 0) {
		log_release(p);
		return -1;
	}
	return 0;
}

/* pread until n bytes or end of file; the count read, or -1 with errno. */
static ssize_t
log_read_at(int fd, char *buf, size_t n, off_t at)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, at + (off_t)got);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Reading past the probe's deadline: give up rather than block the loop. */
static int
log_late(const struct log_run *lr)
{
	return lr->run->deadline > 0 && time_mono() > lr->run->deadline;
}

/* Finds where the last `last` lines of the first `size` bytes begin, by
 * reading backwards a block at a time. 0 with *out set; 1 when the file
 * shrank under us (the caller retries); -1 after probe_run_error(). */
static int
log_find_tail(struct log_run *lr, int fd, off_t size, char *buf, off_t *out)
{
	off_t pos = size;
	long found = 0;
	int first = 1;

	while (pos > 0) {
		size_t n = pos >= (off_t)LOG_BLOCK ? LOG_BLOCK : (size_t)pos;
		off_t at = pos - (off_t)n;
		ssize_t got = log_read_at(fd, buf, n, at);
		size_t i;

		if (got < 0) {
			probe_run_error(lr->run, "read_failed: %s",
			    strerror(errno));
			return -1;
		}
		if ((size_t)got != n)
			return 1;
		i = n;
		/* The newline that ends the last line starts nothing. */
		if (first && buf[n - 1] == '\n')
			i--;
		first = 0;
		while (i > 0) {
			if (buf[--i] != '\n')
				continue;
			if (++found == lr->lp->last) {
				*out = at + (off_t)i + 1;
				return 0;
			}
		}
		pos = at;
		if (pos > 0 && log_late(lr)) {
			probe_run_error(lr->run, "timeout: still looking for "
			    "the start of the last %ld lines", lr->lp->last);
			return -1;
		}
	}
	*out = 0;
	return 0;
}

/* Keeps the trimmed start of a matching line as last_match. */
static void
log_keep_match(struct log_run *lr, const char *s, size_t n, int longer)
{
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\v' || *s == '\f')) {
		s++;
		n--;
	}
	lr->last_match_cut = longer;
	if (n > LOG_MATCH_MAX) {
		n = LOG_MATCH_MAX;
		lr->last_match_cut = 1;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r' || s[n - 1] == '\v' || s[n - 1] == '\f'))
		n--;
	memcpy(lr->last_match, s, n);
	lr->last_match_len = n;
	lr->have_match = 1;
}

/* One line, without its newline; `longer` when it was cut at
 * LOG_LINE_MAX. */
static void
log_line(struct log_run *lr, const char *s, size_t n, int longer)
{
	int rc;

	if (!longer && n > 0 && s[n - 1] == '\r')
		n--;
	lr->lines++;
	buf_append(&lr->text, s, n);
	buf_putc(&lr->text, '\n');
	if (lr->text.len > 2 * LOG_TEXT_MAX) {
		/* Keep the newest LOG_TEXT_MAX bytes: evidence wants the end. */
		size_t drop = lr->text.len - LOG_TEXT_MAX;

		memmove(lr->text.data, lr->text.data + drop, LOG_TEXT_MAX + 1);
		lr->text.len = LOG_TEXT_MAX;
	}
	if (lr->lp->re == NULL)
		return;
	rc = pcre2_match(lr->lp->re, (PCRE2_SPTR)s, n, 0, 0, lr->md, NULL);
	if (rc < 0)
		return;
	lr->matches++;
	log_keep_match(lr, s, n, longer);
}

/* Appends to the line being assembled, up to LOG_LINE_MAX; the rest of a
 * longer line is dropped (and line_len keeps counting). */
static void
log_line_append(struct log_run *lr, const char *s, size_t n)
{
	if (lr->line_len < LOG_LINE_MAX) {
		size_t room = LOG_LINE_MAX - lr->line_len;

		memcpy(lr->line + lr->line_len, s, n < room ? n : room);
	}
	lr->line_len += n;
}

static void
log_line_flush(struct log_run *lr)
{
	int longer = lr->line_len > LOG_LINE_MAX;

	log_line(lr, lr->line, longer ? LOG_LINE_MAX : lr->line_len, longer);
	lr->line_len = 0;
}

/* Hands each line of the block [p, e) to log_line(); a line that goes on
 * past e is kept for the next block. */
static void
log_feed(struct log_run *lr, const char *p, const char *e)
{
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t len = (size_t)((nl != NULL ? nl : e) - p);

		if (nl != NULL && lr->line_len == 0) {
			/* The common case: the whole line is here. */
			int longer = len > LOG_LINE_MAX;

			log_line(lr, p, longer ? LOG_LINE_MAX : len, longer);
		} else {
			log_line_append(lr, p, len);
			if (nl != NULL)
				log_line_flush(lr);
		}
		p += len + (nl != NULL);
	}
}

/* Reads [start, end) forwards and hands each line to log_line(). 0, or -1
 * after probe_run_error(). */
static int
log_scan_lines(struct log_run *lr, int fd, off_t start, off_t end,
    char *buf)
{
	off_t pos = start;

	lr->line_len = 0;
	while (pos < end) {
		size_t n = end - pos >= (off_t)LOG_BLOCK ? LOG_BLOCK :
		    (size_t)(end - pos);
		ssize_t got = log_read_at(fd, buf, n, pos);

		if (got < 0) {
			probe_run_error(lr->run, "read_failed: %s",
			    strerror(errno));
			return -1;
		}
		if (got == 0)
			break;	/* truncated meanwhile: scan what we have */
		pos += got;
		log_feed(lr, buf, buf + got);
		if (pos < end && log_late(lr)) {
			probe_run_error(lr->run, "timeout: scanned %zu lines "
			    "of the last %ld", lr->lines, lr->lp->last);
			return -1;
		}
	}
	/* A last line without a newline is still a line. */
	if (lr->line_len > 0)
		log_line_flush(lr);
	return 0;
}

/* Prepares lr to match lines; -1 after probe_run_error(). */
static int
log_match_init(struct log_run *lr)
{
	if (lr->lp->re == NULL)
		return 0;
	lr->md = pcre2_match_data_create_from_pattern(lr->lp->re, NULL);
	if (lr->md == NULL) {
		probe_run_error(lr->run, "out of memory for the regex");
		return -1;
	}
	return 0;
}

/* Every line is scanned: the fields are valid, and matches are the kind's
 * verdict. */
static void
log_scanned(struct log_run *lr)
{
	lr->scanned = 1;
	if (lr->lp->re != NULL && lr->matches > 0)
		probe_run_verdict(lr->run, STATE_CRITICAL,
		    "%zu line%s match%s /%s/ in the last %zu", lr->matches,
		    lr->matches == 1 ? "" : "s", lr->matches == 1 ? "es" : "",
		    probe_param_str(lr->run->probe, "match", ""), lr->lines);
}

static void
log_scan(struct log_run *lr)
{
	const char *path = probe_param_str(lr->run->probe, "log", "");
	struct stat st;
	char *buf = NULL;
	off_t start = 0;
	int fd, tries, rc = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			probe_run_error(lr->run, "not_found: %s", path);
		else if (errno == EACCES)
			probe_run_error(lr->run, "permission denied: %s", path);
		else
			probe_run_error(lr->run, "open_failed: %s: %s", path,
			    strerror(errno));
		return;
	}
	buf = xmalloc(LOG_BLOCK);
	/* A file truncated while we read it backwards (copytruncate
	 * rotation) is looked at again, once. */
	for (tries = 0; tries < 2 && rc == 1; tries++) {
		if (fstat(fd, &st) != 0) {
			probe_run_error(lr->run, "stat_failed: %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			probe_run_error(lr->run, "%s: %s", S_ISDIR(st.st_mode) ?
			    "is a directory" : "not a regular file", path);
			goto out;
		}
		rc = log_find_tail(lr, fd, st.st_size, buf, &start);
		if (rc < 0)
			goto out;
	}
	if (rc == 1) {
		probe_run_error(lr->run, "read_failed: %s: the file shrank "
		    "while being read", path);
		goto out;
	}
	if (log_match_init(lr) != 0)
		goto out;
	lr->line = xmalloc(LOG_LINE_MAX);
	if (log_scan_lines(lr, fd, start, st.st_size, buf) != 0)
		goto out;
	log_scanned(lr);
out:
	free(buf);
	close(fd);
}

static void
log_on_timer(void *arg)
{
	struct log_run *lr = arg;

	log_scan(lr);
	probe_run_complete(lr->run);
}

static void log_remote_judge(struct probe_run *run, struct child *s);

static int
log_start(struct probe_run *run)
{
	const struct log_prepared *lp = run->probe->priv;
	struct log_run *lr;

	if (lp != NULL && lp->remote != NULL)
		return child_probe_start(run, lp->remote, log_remote_judge);
	lr = xcalloc(1, sizeof(*lr));
	lr->run = run;
	lr->lp = lp;
	run->priv = lr;
	if (lr->lp == NULL) {
		probe_run_error(run, "log probe was not prepared");
		return -1;
	}
	loop_timer_init(&lr->timer, log_on_timer, lr);
	loop_timer_after(run->loop, &lr->timer, 0);
	return 0;
}

/* Whether run is on a host (its priv is the child glue's). */
static int
log_is_remote(const struct probe_run *run)
{
	const struct log_prepared *lp = run->probe->priv;

	return lp != NULL && lp->remote != NULL;
}

static void
log_cancel(struct probe_run *run)
{
	struct log_run *lr = run->priv;

	if (log_is_remote(run))
		child_probe_cancel(run);
	else if (lr != NULL && lr->lp != NULL)
		loop_timer_stop(run->loop, &lr->timer);
}

/* last_match as a JSON string: invalid UTF-8 and NUL become U+FFFD, and a
 * line that was cut ends in an ellipsis. */
static json_t *
log_match_json(const struct log_run *lr)
{
	const unsigned char *s = (const unsigned char *)lr->last_match;
	size_t n = lr->last_match_len, i = 0;
	struct buf b;
	json_t *v;

	buf_init(&b, 0);
	while (i < n) {
		int len = s[i] == 0 ? 0 : utf8_seq_len(s + i, n - i);

		if (len < 0 && lr->last_match_cut)
			break;	/* a character cut in half by the cap */
		if (len <= 0) {
			buf_puts(&b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		buf_append(&b, s + i, (size_t)len);
		i += (size_t)len;
	}
	if (lr->last_match_cut)
		buf_puts(&b, "\xe2\x80\xa6");
	v = json_stringn(buf_cstr(&b), b.len);
	buf_dispose(&b);
	return v;
}

/* text: the scanned lines, at most the newest LOG_TEXT_MAX bytes starting
 * on a line boundary, as valid UTF-8. */
static json_t *
log_text_json(const struct log_run *lr)
{
	const char *s = buf_cstr(&lr->text), *nl;
	size_t start = 0;
	char *clean;
	json_t *v;

	if (lr->text.len > LOG_TEXT_MAX) {
		start = lr->text.len - LOG_TEXT_MAX;
		nl = memchr(s + start, '\n', lr->text.len - start);
		if (nl != NULL)
			start = (size_t)(nl + 1 - s);
	}
	clean = child_text(s + start, lr->text.len - start);
	v = json_string(clean);
	free(clean);
	return v;
}

/* The fields, the same here and on a host. */
static void
log_write(const struct log_run *lr, json_t *out)
{
	if (lr->scanned) {
		json_object_set_new(out, "lines",
		    json_integer((json_int_t)lr->lines));
		if (lr->lp->re != NULL)
			json_object_set_new(out, "matches",
			    json_integer((json_int_t)lr->matches));
		if (lr->have_match)
			json_object_set_new(out, "last_match",
			    log_match_json(lr));
		json_object_set_new(out, "text", log_text_json(lr));
	}
}

static void
log_run_free(void *arg)
{
	struct log_run *lr = arg;

	buf_dispose(&lr->text);
	pcre2_match_data_free(lr->md);
	free(lr->line);
	free(lr);
}

static void
log_finish(struct probe_run *run, json_t *out)
{
	struct log_run *lr;

	if (log_is_remote(run)) {
		lr = child_probe_data(run);
		if (lr != NULL)
			log_write(lr, out);
		child_probe_end(run);
		return;
	}
	lr = run->priv;
	if (lr == NULL)
		return;
	run->priv = NULL;
	if (lr->lp != NULL && run->loop != NULL)
		loop_timer_stop(run->loop, &lr->timer);
	log_write(lr, out);
	log_run_free(lr);
}

/* tail's complaint about path (its stderr, or the script's) as the reason
 * the local kind would give. */
static void
log_remote_failed(struct probe_run *run, const char *path, const char *err)
{
	char *first;

	if (strstr(err, "triage: is a directory") != NULL) {
		probe_run_error(run, "is a directory: %s", path);
	} else if (strstr(err, "triage: not a regular file") != NULL) {
		probe_run_error(run, "not a regular file: %s", path);
	} else if (strstr(err, "No such file or directory") != NULL ||
	    strstr(err, "Not a directory") != NULL) {
		probe_run_error(run, "not_found: %s", path);
	} else if (strstr(err, "Permission denied") != NULL) {
		probe_run_error(run, "permission denied: %s", path);
	} else {
		first = child_text_cut(err, 200);
		probe_run_error(run, "open_failed: %s: %s", path, first[0] ?
		    first : "tail failed");
		free(first);
	}
}

/* Scans what tail printed on the host, as log_scan scans a local tail. */
static void
log_remote_judge(struct probe_run *run, struct child *s)
{
	const char *path = probe_param_str(run->probe, "log", "");
	struct log_run *lr = xcalloc(1, sizeof(*lr));
	const char *out;
	char *err;

	lr->run = run;
	lr->lp = run->probe->priv;
	child_probe_set_data(run, lr, log_run_free);
	if (s->proc.signal != 0 || s->proc.exit_code != 0) {
		err = child_text(buf_cstr(&s->err), s->err.len);
		log_remote_failed(run, path, err);
		free(err);
		return;
	}
	if (s->out.truncated) {
		probe_run_error(run, "read_failed: %s: the last %ld lines are "
		    "over %u MiB", path, lr->lp->last, LOG_REMOTE_MAX >> 20);
		return;
	}
	if (log_match_init(lr) != 0)
		return;
	lr->line = xmalloc(LOG_LINE_MAX);
	out = buf_cstr(&s->out);
	log_feed(lr, out, out + s->out.len);
	if (lr->line_len > 0)
		log_line_flush(lr);
	log_scanned(lr);
}

/* probe_kind_log: `log: PATH` with `last:` (lines from the end, default
 * 200) and `match:` (a PCRE2 regex in UTF mode, compiled once at load).
 * Reads backwards from the end a block at a time until it has the last N
 * lines, so a multi-gigabyte log costs what `tail -n` costs; a line is
 * matched on its first 64 KiB (bytes that are not UTF-8 match nothing, not
 * even `.`). With `match:`, any matching line makes the kind's verdict
 * critical. A missing file is an error "not_found: PATH". With `on: HOST`,
 * `tail -n LAST` runs there and its output (up to 64 MiB) is scanned the
 * same way, for the same fields and reasons. */
/* tail | grep: the same lines, and those that match. PCRE-only syntax
 * needs grep -P; the rest reads the same as an extended regex. */
static char *
log_manual(const struct probe *p)
{
	static const char *const pcre_only[] = {
		"(?", "\\d", "\\D", "\\h", "\\H", "\\K", "\\p{", "\\P{",
		"\\Q", "\\x{", "\\z", "\\Z", "\\A", "*?", "+?", "??",
	};
	const char *match = probe_param_str(p, "match", NULL);
	const char *flag = "-E";
	size_t i;
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "tail -n %ld ",
	    (long)probe_param_num(p, "last", LOG_LAST_DEFAULT));
	shquote_append(&b, probe_param_str(p, "log", ""));
	if (match != NULL) {
		for (i = 0; i < ARRAY_LEN(pcre_only); i++) {
			if (strstr(match, pcre_only[i]) != NULL)
				flag = "-P";
		}
		buf_printf(&b, " | grep %s ", flag);
		shquote_append(&b, match);
	}
	return buf_steal(&b);
}

/* The fields a result of this kind may have beside the common ones. */
static const char *const log_results[] = {
	"lines", "matches", "last_match", "text", NULL,
};

const struct probe_kind probe_kind_log = {
	.name = "log",
	.alias = NULL,
	.fields = log_fields,
	.results = log_results,
	.flags = PROBE_KIND_REMOTE,
	.prepare = log_prepare,
	.release = log_release,
	.start = log_start,
	.cancel = log_cancel,
	.finish = log_finish,
	.manual = log_manual,
};

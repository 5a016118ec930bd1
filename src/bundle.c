/* SPDX-License-Identifier: MIT */
/* The escalation bundle: what to attach to a ticket when nothing matched. */
#include "bundle.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "engine.h"
#include "probe.h"
#include "runbook.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/sha256.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

#define BUNDLE_TAR_TIMEOUT 120.0

char *
bundle_default_dir(void)
{
	char *dir = fs_state_dir(), *bundles = xasprintf("%s/bundles", dir);

	free(dir);
	return bundles;
}

static int
write_text(const struct runbook *rb, const char *dir, const char *name,
    const char *text, char **cause)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *clean = runbook_redact(rb, text);
	FILE *f = fopen(path, "wx");
	int rc = 0;

	if (f == NULL || fputs(clean, f) == EOF || fclose(f) != 0) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		rc = -1;
	}
	free(clean);
	free(path);
	return rc;
}

static int
write_json(const struct runbook *rb, const char *dir, const char *name,
    json_t *v, char **cause)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_REAL_PRECISION(9));
	char *withnl = xasprintf("%s\n", text != NULL ? text : "null");
	int rc = write_text(rb, dir, name, withnl, cause);

	free(withnl);
	free(text);
	return rc;
}

static json_t *
host_facts(void)
{
	struct utsname u;
	struct passwd *pw = getpwuid(geteuid());
	char host[256] = "", when[40];
	json_t *o;

	gethostname(host, sizeof(host) - 1);
	time_format_iso8601(time_now(), 0, when, sizeof(when));
	o = json_pack("{s:s, s:s, s:s, s:s}", "hostname", host, "user",
	    pw != NULL ? pw->pw_name : "?", "time", when, "triage",
	    TRIAGE_VERSION);
	if (uname(&u) == 0)
		json_object_set_new(o, "kernel", json_sprintf("%s %s %s",
		    u.sysname, u.release, u.machine));
	return o;
}

/* The text an escalation item produced, with the command on top. */
static char *
item_text(const struct step *st, json_t *r)
{
	static const char *const fields[] = {
		"stdout", "stderr", "output", "long_output", "text",
		"body_text",
	};
	char *cmd = st->probe.kind->manual != NULL ?
	    st->probe.kind->manual(&st->probe) : NULL;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "$ %s\n", cmd != NULL ? cmd : st->probe.kind->name);
	free(cmd);
	if (json_string_value(json_object_get(r, "reason")) != NULL)
		buf_printf(&b, "# %s: %s\n", json_string_value(
		    json_object_get(r, "state")), json_string_value(
		    json_object_get(r, "reason")));
	for (i = 0; i < ARRAY_LEN(fields); i++) {
		const char *v = json_string_value(json_object_get(r,
		    fields[i]));

		if (v != NULL && *v != '\0')
			buf_printf(&b, "%s%s\n", i == 1 ? "# stderr:\n" : "",
			    v);
	}
	return buf_steal(&b);
}

static int
write_contents(const struct runbook *rb, const char *dir, json_t *doc,
    json_t *bring, char **cause)
{
	char sum[SHA256_HEX_SIZE], *text, *bringdir;
	json_t *facts = host_facts();
	size_t i;
	int rc;

	sha256_hex(rb->source, strlen(rb->source), sum);
	text = xasprintf("Escalation bundle from triage %s\n\n"
	    "runbook:  %s%s%s%s\nfile:     %s\nsha256:   %s\nstatus:   %s\n"
	    "contact:  %s\n\n"
	    "diagnosis.json  what triage found: the probes, the path through "
	    "the triage\n                tree, the failure modes that matched "
	    "or might have\n"
	    "probes.json     every probe result\n"
	    "bring/          what the runbook asks for when escalating\n"
	    "runbook.yaml    the runbook as it was run\n"
	    "host.json       where and when\n\n"
	    "Secrets listed in the runbook are replaced by ***.\n",
	    TRIAGE_VERSION, rb->id, rb->title ? " (" : "",
	    rb->title ? rb->title : "", rb->title ? ")" : "", rb->path, sum,
	    json_string_value(json_object_get(doc, "status")),
	    rb->escalation.contact ? rb->escalation.contact : "(none given)");
	rc = write_text(rb, dir, "README.txt", text, cause);
	free(text);
	if (rc == 0)
		rc = write_json(rb, dir, "diagnosis.json", doc, cause);
	if (rc == 0)
		rc = write_json(rb, dir, "probes.json", json_object_get(doc,
		    "probes"), cause);
	if (rc == 0)
		rc = write_text(rb, dir, "runbook.yaml", rb->source, cause);
	if (rc == 0) {
		text = xasprintf("%s  %s\n", sum, rb->path);
		rc = write_text(rb, dir, "runbook.sha256", text, cause);
		free(text);
	}
	if (rc == 0)
		rc = write_json(rb, dir, "host.json", facts, cause);
	json_decref(facts);
	bringdir = xasprintf("%s/bring", dir);
	if (rc == 0 && rb->escalation.nbring > 0 && mkdir(bringdir, 0700) != 0) {
		*cause = xasprintf("cannot create %s: %s", bringdir,
		    strerror(errno));
		rc = -1;
	}
	for (i = 0; rc == 0 && i < rb->escalation.nbring; i++) {
		const struct step *st = &rb->escalation.bring[i];
		json_t *r = json_object_get(bring, st->probe.id);
		char name[64];

		text = item_text(st, r);
		snprintf(name, sizeof(name), "bring/%02zu-%s.txt", i + 1,
		    st->probe.kind->name);
		rc = write_text(rb, dir, name, text, cause);
		free(text);
		snprintf(name, sizeof(name), "bring/%02zu-%s.json", i + 1,
		    st->probe.kind->name);
		if (rc == 0)
			rc = write_json(rb, dir, name, r, cause);
	}
	free(bringdir);
	return rc;
}

/* Packs dir into tarball with tar(1), run as a command probe so that it has
 * a deadline and its process group is reaped like any other. */
static int
pack(const struct runbook *rb, const char *dir, const char *tarball,
    char **cause)
{
	struct probe p = { 0 }, *pp = &p;
	json_t *results, *r;
	int rc = 0;

	p.id = (char *)"bundle.tar";
	p.layer = (char *)"escalation";
	p.kind = probe_kind_find("command");
	p.timeout = BUNDLE_TAR_TIMEOUT;
	p.severity = STATE_CRITICAL;
	p.params = json_pack("{s:[s,s,s,s,s,s]}", "command", "tar", "-czf",
	    tarball, "-C", dir, ".");
	if (p.kind->prepare(&p, cause) != 0) {
		json_decref(p.params);
		return -1;
	}
	results = engine_run(rb, &pp, 1, NULL);
	r = json_object_get(results, p.id);
	if (!json_is_true(json_object_get(r, "ok"))) {
		*cause = xasprintf("tar -czf %s: %s", tarball,
		    json_string_value(json_object_get(r, "reason")));
		rc = -1;
	}
	json_decref(results);
	p.kind->release(&p);
	json_decref(p.params);
	return rc;
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int
bundle_write(const struct runbook *rb, const char *path, json_t *doc,
    json_t *bring, char **cause)
{
	int tarball = has_suffix(path, ".tar.gz") || has_suffix(path, ".tgz");
	struct stat st;
	char *dir;
	int rc;

	if (lstat(path, &st) == 0) {
		*cause = xasprintf("%s exists already; a bundle never "
		    "overwrites", path);
		return -1;
	}
	if (fs_make_parents(path, cause) != 0)
		return -1;
	if (tarball) {
		dir = xasprintf("%s.XXXXXX", path);
		if (mkdtemp(dir) == NULL) {
			*cause = xasprintf("cannot create a directory next to "
			    "%s: %s", path, strerror(errno));
			free(dir);
			return -1;
		}
	} else {
		dir = xstrdup(path);
		if (mkdir(dir, 0700) != 0) {
			*cause = xasprintf("cannot create %s: %s", dir,
			    strerror(errno));
			free(dir);
			return -1;
		}
	}
	rc = write_contents(rb, dir, doc, bring, cause);
	if (tarball) {
		if (rc == 0)
			rc = pack(rb, dir, path, cause);
		fs_remove_tree(dir);
	}
	free(dir);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/* The runbook loader: YAML into the structs of runbook.h, validated whole.
 *
 * This file reads the files, loads the top level (vars, secrets, hosts)
 * and owns the result; runbook-load.h says what the other parts do. */
#include "runbook.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runbook-load.h"
#include "util/buf.h"
#include "util/xmalloc.h"

#define RUNBOOK_FILE_MAX (16u * 1024u * 1024u)	/* bytes in one file */

static const char *const top_keys[] = {
	"runbook", "title", "owner", "last_verified", "vars", "secrets",
	"hosts", "probes", "triage", "failures", "escalation", NULL,
};

static const char *const host_keys[] = {
	"ssh", "port", "identity", "known_hosts", NULL,
};

static const struct idrule id_runbook = { "runbook id", "a-z0-9_-",
	"a-z0-9_-", "use only a-z, 0-9, _ and -" };
static const struct idrule id_host = { "host name", "A-Za-z0-9_",
	"A-Za-z0-9_.-", "use letters, digits, _, . and -" };
static const struct idrule id_var = { "var name", "A-Za-z_",
	"A-Za-z0-9_-", "start with a letter or _, then letters, digits, _ "
	"or -" };
static const struct idrule id_env = { "environment variable name", "A-Z_",
	"A-Z0-9_", "use A-Z, 0-9 and _" };

/*
 * Hosts, vars and secrets.
 */

static int
ssh_target_valid(const char *s)
{
	const char *at = strchr(s, '@');

	if (*s == '\0' || *s == '-' || strpbrk(s, " \t\n'\"`;") != NULL)
		return 0;
	if (at == NULL)
		return 1;
	return at != s && at[1] != '\0' && at[1] != '-' &&
	    strchr(at + 1, '@') == NULL;
}

static void
host_load(struct loader *ld, struct host *h, char **missing,
    const struct ynode *body)
{
	struct ynode *v;
	char *ctx = xasprintf("host \"%s\"", h->name), *text = NULL;
	long port;

	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", ctx, NULL, NULL);
		free(ctx);
		return;
	}
	ld_check_keys(ld, body, host_keys, ctx);
	if ((v = ymap_get(body, "ssh")) == NULL) {
		ld_error(ld, h->pos, xstrdup("e.g. ssh: deploy@10.0.0.5"),
		    "missing required key \"ssh\" in %s", ctx);
	} else if ((h->ssh = ld_text(ld, v, "ssh", ctx, missing)) != NULL &&
	    *missing == NULL && !ssh_target_valid(h->ssh)) {
		ld_error(ld, v->pos, NULL, "bad ssh \"%s\" for %s: write "
		    "user@address or address", h->ssh, ctx);
	}
	if ((v = ymap_get(body, "port")) != NULL &&
	    ld_int(ld, v, "port", ctx, missing, &port, &text) == 0) {
		if (port < 1 || port > 65535)
			ld_error(ld, v->pos, NULL, "bad port \"%s\" for %s: it "
			    "must be 1-65535", text, ctx);
		else
			h->port = (int)port;
	}
	free(text);
	if ((v = ymap_get(body, "identity")) != NULL)
		h->identity = ld_text(ld, v, "identity", ctx, missing);
	if ((v = ymap_get(body, "known_hosts")) != NULL)
		h->known_hosts = ld_text(ld, v, "known_hosts", ctx, missing);
	free(ctx);
}

static void
hosts_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	size_t i;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of host names", "hosts", NULL,
		    NULL);
		return;
	}
	rb->hosts = xcalloc(v->nentries, sizeof(*rb->hosts));
	ld->host_missing = xcalloc(v->nentries, sizeof(*ld->host_missing));
	for (i = 0; i < v->nentries; i++) {
		const struct yentry *e = &v->entries[i];
		struct host *h = &rb->hosts[rb->nhosts];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "host", NULL);
			continue;
		}
		ld_check_id(ld, &id_host, e->key->text, e->key->pos);
		h->name = xstrdup(e->key->text);
		h->pos = e->key->pos;
		host_load(ld, h, &ld->host_missing[rb->nhosts], e->value);
		rb->nhosts++;
	}
}

static void
vars_load(struct loader *ld, const struct ynode *v)
{
	char *out, *missing, *what;
	size_t i;
	json_t *j;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of var names", "vars", NULL,
		    NULL);
		return;
	}
	ld->tv.no_vars = 1;
	for (i = 0; i < v->nentries; i++) {
		const struct yentry *e = &v->entries[i];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "var", NULL);
			continue;
		}
		if (ld_check_id(ld, &id_var, e->key->text, e->key->pos) != 0 ||
		    ld_string(ld, e->value, e->key->text, "vars") == NULL)
			continue;
		missing = NULL;
		what = xasprintf("var \"%s\"", e->key->text);
		out = ld_expand(ld, e->value, what, NULL, &missing);
		free(what);
		if (out == NULL) {
			free(missing);
			continue;
		}
		if ((j = ld_json_string(ld, e->value, out)) != NULL)
			json_object_set_new(ld->rb->vars, e->key->text, j);
		if (missing != NULL)
			json_object_set_new(ld->tv.missing, e->key->text,
			    json_string(missing));
		free(missing);
		free(out);
	}
	ld->tv.no_vars = 0;
	/* A var written but without a value has an error of its own. */
	for (i = 0; i < v->nentries; i++) {
		if (json_object_get(ld->rb->vars, v->entries[i].key->text) ==
		    NULL)
			json_object_set_new(ld->tv.failed,
			    v->entries[i].key->text, json_true());
	}
}

static int
longest_first(const void *a, const void *b)
{
	size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

	return la < lb ? 1 : la > lb ? -1 : 0;
}

static const char *
secret_name_of(const void *arg, size_t pos)
{
	const struct runbook *rb = arg;

	return rb->secrets[pos];
}

static void
secrets_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	struct keyindex names;
	const char *s, *val;
	size_t i;

	if (v->type != Y_SEQ) {
		ld_expected(ld, v, "a list of environment variable names",
		    "secrets", NULL, NULL);
		return;
	}
	rb->secrets = xcalloc(v->nitems, sizeof(*rb->secrets));
	rb->secret_values = xcalloc(v->nitems, sizeof(*rb->secret_values));
	keyindex_init(&names, secret_name_of, rb);
	for (i = 0; i < v->nitems; i++) {
		if ((s = ld_string(ld, v->items[i], "secrets", NULL)) == NULL ||
		    ld_check_id(ld, &id_env, s, v->items[i]->pos) != 0 ||
		    keyindex_find(&names, s) >= 0)
			continue;
		rb->secrets[rb->nsecrets] = xstrdup(s);
		keyindex_add(&names, s, rb->nsecrets++);
		val = getenv(s);
		if (val == NULL || *val == '\0')
			continue;
		/* Redaction replaces the value wherever it appears: a value
		 * of a few characters would mangle everything else instead
		 * (a "x" redacts every x). Its length alone is reported. */
		if (strlen(val) < RUNBOOK_SECRET_MIN) {
			ld_error(ld, v->items[i]->pos, xasprintf("a secret is "
			    "at least %d characters; unset %s to skip what uses "
			    "it", RUNBOOK_SECRET_MIN, s), "secret %s is %zu "
			    "character%s long, too short to redact", s,
			    strlen(val), strlen(val) == 1 ? "" : "s");
			/* ...and it is used as if unset, so that no other
			 * message can print it. */
			json_object_set_new(ld->tv.withheld, s, json_true());
		} else
			rb->secret_values[rb->nsecret_values++] = xstrdup(val);
	}
	keyindex_dispose(&names);
	qsort(rb->secret_values, rb->nsecret_values,
	    sizeof(*rb->secret_values), longest_first);
	ld->tv.secrets = rb->secrets;
	ld->tv.nsecrets = rb->nsecrets;
}

/*
 * The whole runbook.
 */

static void
runbook_build(struct loader *ld, const struct ynode *root)
{
	struct runbook *rb = ld->rb;
	const struct yentry *e;
	struct ynode *v;
	struct srcpos top = { rb->files[0].path, 0, 0 };
	const char *s;

	if (root == NULL || ynode_is_null(root)) {
		ld_error(ld, top, xstrdup("start with runbook: NAME"),
		    "the runbook is empty");
		return;
	}
	if (root->type != Y_MAP) {
		ld_expected(ld, root, "a mapping", "the runbook", NULL, NULL);
		return;
	}
	ld_check_keys(ld, root, top_keys, NULL);
	if ((v = ymap_get(root, "runbook")) == NULL)
		ld_error(ld, root->pos, xstrdup("name the runbook first, e.g. "
		    "runbook: web-prod"), "missing required key \"runbook\"");
	else if ((s = ld_string(ld, v, "runbook", NULL)) != NULL &&
	    ld_check_id(ld, &id_runbook, s, v->pos) == 0)
		rb->id = xstrdup(s);
	if ((v = ymap_get(root, "last_verified")) != NULL) {
		rb->last_verified = ld_date(ld, v, "last_verified", NULL);
		rb->last_verified_pos = v->pos;
	}
	/* In order of use: secrets for the hints of vars, vars and hosts
	 * for what follows, probes before what reads them. */
	if ((v = ymap_get(root, "secrets")) != NULL)
		secrets_load(ld, v);
	if ((v = ymap_get(root, "vars")) != NULL)
		vars_load(ld, v);
	/* Templated like a failure's title. */
	if ((v = ymap_get(root, "title")) != NULL)
		rb->title = ld_text(ld, v, "title", NULL, NULL);
	if ((v = ymap_get(root, "owner")) != NULL)
		rb->owner = ld_text(ld, v, "owner", NULL, NULL);
	if ((v = ymap_get(root, "hosts")) != NULL)
		hosts_load(ld, v);
	if ((v = ymap_get(root, "probes")) != NULL)
		ld_probes_load(ld, v);
	ld_needs_check_cycles(ld);
	if ((v = ymap_get(root, "failures")) != NULL)
		ld_failures_load(ld, v);
	if ((e = ymap_entry(root, "triage")) != NULL)
		ld_tree_load(ld, e);
	if ((v = ymap_get(root, "escalation")) != NULL)
		ld_escalation_load(ld, v);
}

/*
 * Loading, freeing, lookups.
 */

/* The tree's errors are the loader's. */
static void
tree_error(void *arg, struct srcpos pos, char *hint, const char *msg)
{
	ld_error(arg, pos, hint, "%s", msg);
}

/* Redacts secret values from the diagnostics of this load, and says how
 * many errors were past the limit. */
static void
diags_tidy(struct loader *ld, size_t first)
{
	struct diags *d = ld->d;
	size_t i;
	char *s;

	for (i = first; i < d->n; i++) {
		struct diag *g = &d->v[i];

		s = runbook_redact(ld->rb, g->message);
		free(g->message);
		g->message = s;
		s = runbook_redact(ld->rb, g->hint);
		free(g->hint);
		g->hint = s;
	}
	diags_sort(d);
	if (ld->nerrors > RUNBOOK_ERRORS_MAX) {
		diags_add(d, DIAG_ERROR, (struct srcpos){ ld->rb->files[0].path,
		    0, 0 }, NULL, NULL, "%zu more errors not shown",
		    ld->nerrors - RUNBOOK_ERRORS_MAX);
		diags_set_last(d);
		/* The line is not an error of its own; those it counts
		 * are. */
		d->errors += ld->nerrors - RUNBOOK_ERRORS_MAX - 1;
	}
}

/* Loads rb, whose files are read (lens: their lengths). */
static int
runbook_load(struct runbook *rb, const size_t *lens, struct runbook **out,
    struct diags *d)
{
	struct loader ld;
	struct ynode **roots, *root = NULL;
	size_t i, first = d->n;
	int parsed = 1;

	memset(&ld, 0, sizeof(ld));
	ld.rb = rb;
	ld.d = d;
	ytree_init(&ld.tree, rb->files[0].path, tree_error, &ld);
	ld_ids_init(&ld);
	rb->vars = json_object();
	ld.tv.values = rb->vars;
	ld.tv.missing = json_object();
	ld.tv.withheld = json_object();
	ld.seen = json_object();
	ld.tv.failed = json_object();
	roots = xcalloc(rb->nfiles, sizeof(*roots));
	for (i = 0; i < rb->nfiles; i++) {
		if (ytree_parse(&ld.tree, &rb->files[i], lens[i],
		    &roots[i]) != 0)
			parsed = 0;
	}
	if (parsed) {
		root = rb->nfiles == 1 ? roots[0] :
		    ytree_merge_files(&ld.tree, roots, rb->files, rb->nfiles);
		if (rb->nfiles == 1 || root != NULL || ld.nerrors == 0)
			runbook_build(&ld, root);
	}
	ytree_dispose(&ld.tree);
	ld_ids_dispose(&ld);
	for (i = 0; ld.host_missing != NULL && i < rb->nhosts; i++)
		free(ld.host_missing[i]);
	free(ld.host_missing);
	json_decref(ld.tv.missing);
	json_decref(ld.tv.withheld);
	json_decref(ld.seen);
	json_decref(ld.tv.failed);
	free(roots);
	diags_tidy(&ld, first);
	if (ld.nerrors > 0) {
		runbook_free(rb);
		*out = NULL;
		return -1;
	}
	*out = rb;
	return 0;
}

int
runbook_load_string(const char *name, const char *text, size_t len,
    struct runbook **out, struct diags *d)
{
	struct runbook *rb;

	*out = NULL;
	if (len > RUNBOOK_FILE_MAX) {
		diags_add(d, DIAG_ERROR, (struct srcpos){ name, 0, 0 }, NULL,
		    NULL, "larger than %u MiB; is it a runbook?",
		    RUNBOOK_FILE_MAX / (1024u * 1024u));
		return -1;
	}
	rb = xcalloc(1, sizeof(*rb));
	rb->path = xstrdup(name);
	rb->files = xcalloc(1, sizeof(*rb->files));
	rb->nfiles = 1;
	rb->files[0].path = xstrdup(name);
	rb->files[0].source = xmalloc(len + 1);
	memcpy(rb->files[0].source, text, len);
	rb->files[0].source[len] = '\0';
	rb->source = rb->files[0].source;
	return runbook_load(rb, &len, out, d);
}

/* read_file: the whole of path (heap, NUL-terminated) and its length;
 * path NULL is standard input, read to its end and left open. */
static int
read_file(const char *path, char **out, size_t *len, char **cause)
{
	char chunk[65536];
	struct buf b;
	ssize_t r;
	int fd = STDIN_FILENO;

	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	buf_init(&b, RUNBOOK_FILE_MAX);
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*cause = xasprintf("cannot read: %s", strerror(errno));
			break;
		}
		if (r == 0) {
			if (path != NULL)
				close(fd);
			*len = b.len;
			*out = buf_steal(&b);
			return 0;
		}
		if (buf_append(&b, chunk, (size_t)r) != 0) {
			*cause = xasprintf("larger than %u MiB; is it a "
			    "runbook?", RUNBOOK_FILE_MAX / (1024u * 1024u));
			break;
		}
	}
	if (path != NULL)
		close(fd);
	buf_dispose(&b);
	return -1;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' &&
	    ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

/* The *.yaml and *.yml files of dir, sorted (heap array of heap paths). */
static int
list_yaml(const char *dir, char ***out, size_t *n, char **cause)
{
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
	struct dirent *de;
	struct stat st;
	char *path;
	DIR *dp;

	*out = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (!is_yaml_name(de->d_name))
			continue;
		path = xasprintf("%s%s%s", dir, sep, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = path;
	}
	closedir(dp);
	if (*n == 0) {
		*cause = xstrdup("no *.yaml or *.yml files in this directory");
		return -1;
	}
	qsort(*out, *n, sizeof(**out), name_cmp);
	return 0;
}

int
runbook_load_file(const char *path, struct runbook **out, struct diags *d)
{
	struct runbook *rb;
	struct stat st;
	struct buf joined;
	char **paths = NULL, *cause = NULL;
	size_t n = 0, i, *lens;
	int rc, is_stdin = strcmp(path, "-") == 0;

	*out = NULL;
	if (is_stdin) {
		paths = xcalloc(1, sizeof(*paths));
		paths[n++] = xstrdup(RUNBOOK_STDIN_NAME);
	} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (list_yaml(path, &paths, &n, &cause) != 0)
			goto fail;
	} else {
		paths = xcalloc(1, sizeof(*paths));
		paths[n++] = xstrdup(path);
	}
	rb = xcalloc(1, sizeof(*rb));
	rb->path = xstrdup(path);
	rb->files = xcalloc(n, sizeof(*rb->files));
	rb->nfiles = n;
	lens = xcalloc(n, sizeof(*lens));
	for (i = 0; i < n; i++)
		rb->files[i].path = paths[i];
	free(paths);
	for (i = 0; i < n; i++) {
		if (read_file(is_stdin ? NULL : rb->files[i].path,
		    &rb->files[i].source, &lens[i], &cause) != 0) {
			diags_add(d, DIAG_ERROR, (struct srcpos){
			    rb->files[i].path, 0, 0 }, NULL, NULL, "%s", cause);
			free(cause);
			free(lens);
			runbook_free(rb);
			return -1;
		}
	}
	if (n == 1) {
		rb->source = rb->files[0].source;
	} else {
		buf_init(&joined, 0);
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_puts(&joined, "---\n");
			buf_append(&joined, rb->files[i].source, lens[i]);
			if (lens[i] > 0 && rb->files[i].source[lens[i] - 1] !=
			    '\n')
				buf_putc(&joined, '\n');
		}
		rb->source = buf_steal(&joined);
	}
	rc = runbook_load(rb, lens, out, d);
	free(lens);
	return rc;
fail:
	diags_add(d, DIAG_ERROR, (struct srcpos){ path, 0, 0 }, NULL, NULL,
	    "%s", cause);
	free(cause);
	return -1;
}

static void
probe_dispose(struct probe *p)
{
	size_t i;

	if (p->kind != NULL && p->kind->release != NULL && p->priv != NULL)
		p->kind->release(p);
	free(p->id);
	free(p->layer);
	free(p->description);
	json_decref(p->params);
	free(p->param_pos);
	for (i = 0; i < p->nexpect; i++)
		expr_free(p->expect[i]);
	free(p->expect);
	free(p->expect_pos);
	for (i = 0; i < p->nwarn; i++)
		expr_free(p->warn[i]);
	free(p->warn);
	free(p->warn_pos);
	for (i = 0; i < p->nneeds; i++)
		free(p->needs[i]);
	free(p->needs);
	for (i = 0; i < p->nrequires; i++)
		free(p->requires[i]);
	free(p->requires);
	free(p->missing_env);
}

static void
steps_free(struct step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		probe_dispose(&s[i].probe);
		free(s[i].dangerous);
	}
	free(s);
}

static void
failure_dispose(struct failure *f)
{
	size_t i;

	free(f->id);
	free(f->title);
	free(f->layer);
	free(f->diagnosis);
	expr_free(f->when);
	steps_free(f->evidence, f->nevidence);
	for (i = 0; i < f->nguard; i++)
		expr_free(f->guard[i]);
	free(f->guard);
	steps_free(f->fix, f->nfix);
	steps_free(f->on_failure, f->non_failure);
	free(f->verify);
	free(f->last_verified);
}

void
runbook_free(struct runbook *rb)
{
	size_t i;

	if (rb == NULL)
		return;
	for (i = 0; i < rb->nprobes; i++)
		probe_dispose(&rb->probes[i]);
	free(rb->probes);
	if (rb->probe_ids != NULL)
		keyindex_dispose(rb->probe_ids);
	free(rb->probe_ids);
	for (i = 0; i < rb->nfailures; i++)
		failure_dispose(&rb->failures[i]);
	free(rb->failures);
	for (i = 0; i < rb->triage.nnodes; i++) {
		free(rb->triage.nodes[i].id);
		free(rb->triage.nodes[i].ask);
		expr_free(rb->triage.nodes[i].cond);
		free(rb->triage.nodes[i].then_branch.failures);
		free(rb->triage.nodes[i].else_branch.failures);
	}
	free(rb->triage.nodes);
	free(rb->escalation.contact);
	steps_free(rb->escalation.bring, rb->escalation.nbring);
	for (i = 0; i < rb->nhosts; i++) {
		free(rb->hosts[i].name);
		free(rb->hosts[i].ssh);
		free(rb->hosts[i].identity);
		free(rb->hosts[i].known_hosts);
	}
	free(rb->hosts);
	for (i = 0; i < rb->nsecrets; i++)
		free(rb->secrets[i]);
	free(rb->secrets);
	for (i = 0; i < rb->nsecret_values; i++)
		free(rb->secret_values[i]);
	free(rb->secret_values);
	json_decref(rb->vars);
	free(rb->id);
	free(rb->title);
	free(rb->owner);
	free(rb->last_verified);
	if (rb->nfiles != 1 || rb->source != rb->files[0].source)
		free(rb->source);
	for (i = 0; i < rb->nfiles; i++) {
		free(rb->files[i].path);
		free(rb->files[i].source);
	}
	free(rb->files);
	free(rb->path);
	free(rb);
}

const char *
runbook_source(const struct runbook *rb, const char *file)
{
	size_t i;

	if (rb == NULL || file == NULL)
		return NULL;
	for (i = 0; i < rb->nfiles; i++) {
		if (rb->files[i].path == file ||
		    strcmp(rb->files[i].path, file) == 0)
			return rb->files[i].source;
	}
	return NULL;
}

long
runbook_probe_index(const struct runbook *rb, const char *id)
{
	size_t i;

	if (rb->probe_ids != NULL)
		return keyindex_find(rb->probe_ids, id);
	for (i = 0; i < rb->nprobes; i++) {
		if (rb->probes[i].id != NULL &&
		    strcmp(rb->probes[i].id, id) == 0)
			return (long)i;
	}
	return -1;
}

void
runbook_select_with_needs(const struct runbook *rb, size_t i,
    char *selected)
{
	size_t j;

	if (selected[i])
		return;
	selected[i] = 1;
	for (j = 0; j < rb->probes[i].nneeds; j++) {
		long k = runbook_probe_index(rb, rb->probes[i].needs[j]);

		if (k >= 0)
			runbook_select_with_needs(rb, (size_t)k, selected);
	}
}

char *
runbook_redact(const struct runbook *rb, const char *s)
{
	struct buf b;
	size_t i, len;

	if (s == NULL)
		return NULL;
	if (rb == NULL || rb->nsecret_values == 0)
		return xstrdup(s);
	buf_init(&b, 0);
	while (*s != '\0') {
		/* secret_values is sorted longest first. */
		for (i = 0; i < rb->nsecret_values; i++) {
			len = strlen(rb->secret_values[i]);
			if (strncmp(s, rb->secret_values[i], len) == 0)
				break;
		}
		if (i < rb->nsecret_values) {
			buf_puts(&b, "***");
			s += len;
		} else {
			buf_putc(&b, *s++);
		}
	}
	return buf_steal(&b);
}

void
runbook_redact_json(const struct runbook *rb, json_t *v)
{
	const char *key;
	json_t *item;
	char **keys = NULL, *r;
	size_t i, n = 0;

	if (rb == NULL || v == NULL || rb->nsecret_values == 0)
		return;
	if (json_is_string(v)) {
		r = runbook_redact(rb, json_string_value(v));
		if (strcmp(r, json_string_value(v)) != 0 &&
		    json_string_set(v, r) != 0)
			json_string_set(v, "***");
		free(r);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			runbook_redact_json(rb, item);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			runbook_redact_json(rb, item);
			r = runbook_redact(rb, key);
			if (strcmp(r, key) != 0) {
				keys = xreallocarray(keys, n + 1,
				    sizeof(*keys));
				keys[n++] = xstrdup(key);
			}
			free(r);
		}
		for (i = 0; i < n; i++) {
			item = json_incref(json_object_get(v, keys[i]));
			json_object_del(v, keys[i]);
			r = runbook_redact(rb, keys[i]);
			json_object_set_new(v, r, item);
			free(r);
			free(keys[i]);
		}
		free(keys);
	}
}

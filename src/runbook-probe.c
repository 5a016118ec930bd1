/* SPDX-License-Identifier: MIT */
/* The runbook loader's probes and steps: kinds, parameters, common keys. */
#include "runbook-load.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

/* Keys every probe may have besides its kind's own. */
static const char *const probe_keys[] = {
	"layer", "description", "timeout", "needs", "on", "expect", "warn",
	"interval", "retries", "severity", "requires", NULL,
};

/* Keys of evidence and escalation steps besides the kind's... */
static const char *const step_keys[] = {
	"on", "timeout", "description", NULL,
};

/* ...and of fix and on_failure steps. */
static const char *const fix_step_keys[] = {
	"on", "timeout", "description", "dangerous", "continue_on_error",
	NULL,
};

static const struct idrule id_probe = { "probe id", "A-Za-z_",
	"A-Za-z0-9_-", "start with a letter or _, then letters, digits, _ "
	"or -" };

/*
 * Probes and steps.
 */

static const struct field_spec *
kind_field(const struct probe_kind *k, const char *key)
{
	const struct field_spec *f;

	for (f = k->fields; f->name != NULL; f++) {
		if (strcmp(f->name, key) == 0)
			return f;
	}
	return NULL;
}

/* "http, tcp, command (or shell), ..." (heap). */
static char *
kinds_list(void)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; probe_kinds[i] != NULL; i++) {
		buf_printf(&b, "%s%s", i > 0 ? ", " : "", probe_kinds[i]->name);
		if (probe_kinds[i]->alias != NULL)
			buf_printf(&b, " (or %s)", probe_kinds[i]->alias);
	}
	return buf_steal(&b);
}

/* Whether entry e may stand in a probe of kind k: it is no kind's key, or
 * k's own, or a key k takes as a field (redis takes command:). */
static int
kind_key_fits(const struct probe_kind *k, const struct yentry *e)
{
	const struct probe_kind *ek;

	if (e->dup_of != NULL || (ek = probe_kind_find(e->key->text)) == NULL)
		return 1;
	return ek == k || kind_field(k, e->key->text) != NULL;
}

/* Sets p->kind from the one kind key of body: the one whose kind takes
 * every other kind key there as a field, else the first; reports the
 * others. */
static void
probe_find_kind(struct loader *ld, struct probe *p, const struct ynode *body,
    const char *ctx)
{
	const struct yentry *first = NULL;
	const struct probe_kind *k;
	size_t i, j;

	for (i = 0; i < body->nentries; i++) {
		const struct yentry *e = &body->entries[i];

		if (e->dup_of != NULL ||
		    (k = probe_kind_find(e->key->text)) == NULL)
			continue;
		if (first == NULL)
			first = e;
		for (j = 0; j < body->nentries; j++) {
			if (!kind_key_fits(k, &body->entries[j]))
				break;
		}
		if (j == body->nentries) {
			first = e;
			break;
		}
	}
	if (first == NULL)
		return;
	p->kind = probe_kind_find(first->key->text);
	for (i = 0; i < body->nentries; i++) {
		const struct yentry *e = &body->entries[i];

		if (kind_key_fits(p->kind, e))
			continue;
		ld_error(ld, e->key->pos, xstrdup("one probe or step checks "
		    "one thing; split it in two"), "%s has two kinds: \"%s\" "
		    "and \"%s\"", ctx, first->key->text, e->key->text);
	}
}

static void
probe_note_pos(struct probe *p, const char *key, struct srcpos pos)
{
	p->param_pos[p->nparam_pos].key = key;
	p->param_pos[p->nparam_pos].pos = pos;
	p->nparam_pos++;
}

/* A list of strings (templated) as a JSON array, or NULL. */
static json_t *
param_strings(struct loader *ld, const char *key, struct ynode *v,
    const char *ctx, char **missing)
{
	struct ynode **items;
	json_t *a = json_array(), *j;
	size_t n, i;
	char *s;

	items = ynode_list(&v, &n);
	for (i = 0; i < n; i++) {
		s = ld_text(ld, items[i], key, ctx, missing);
		if (s == NULL)
			continue;
		j = ld_json_string(ld, items[i], s);
		if (j != NULL)
			json_array_append_new(a, j);
		free(s);
	}
	if (json_array_size(a) != n) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* A mapping of strings (values templated) as a JSON object, or NULL. */
static json_t *
param_map(struct loader *ld, const char *key, const struct ynode *v,
    const char *ctx, char **missing)
{
	json_t *o = json_object(), *j;
	size_t i, errors = ld->nerrors;
	char *s, *sub;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping", key, ctx, NULL);
		json_decref(o);
		return NULL;
	}
	for (i = 0; i < v->nentries; i++) {
		const struct yentry *e = &v->entries[i];

		if (e->dup_of != NULL) {
			sub = ld_key_in(key, ctx);
			ld_duplicate(ld, e, "key", sub);
			free(sub);
			continue;
		}
		sub = xasprintf("%s.%s", key, e->key->text);
		s = ld_text(ld, e->value, sub, ctx, missing);
		free(sub);
		if (s == NULL)
			continue;
		j = ld_json_string(ld, e->value, s);
		if (j != NULL && json_object_set_new(o, e->key->text, j) != 0)
			ld_error(ld, e->key->pos, NULL, "not valid UTF-8");
		free(s);
	}
	if (ld->nerrors != errors) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* What probe_load learns about the kind's keys on the way, for the checks
 * around prepare(). */
struct probe_notes {
	const char **unset;		/* keys whose value used an unset
					 * environment variable */
	size_t nunset;
	struct {
		const char *key;
		const struct ynode *v;
		char *text;
	} *neg;				/* whole numbers below 0 */
	size_t nneg;
};

/* Converts the value of one of the kind's keys into p->params, noting in
 * pn what the checks around prepare() need. */
static void
probe_param_load(struct loader *ld, struct probe *p, struct probe_notes *pn,
    const struct field_spec *f, struct ynode *v, const char *ctx)
{
	char *s, *missing = NULL;
	json_t *j = NULL;
	json_int_t size;
	double secs;
	long l;
	int b;

	switch (f->type) {
	case FIELD_STRING:
		s = ld_text(ld, v, f->name, ctx, &missing);
		if (s != NULL)
			j = ld_json_string(ld, v, s);
		free(s);
		break;
	case FIELD_BOOL:
		if (ld_bool(ld, v, f->name, ctx, &b) == 0)
			j = json_boolean(b);
		break;
	case FIELD_INT:
		if (ld_int(ld, v, f->name, ctx, &missing, &l, &s) == 0) {
			j = json_integer(l);
			/* The kind knows the real range (`last:` is 1 or
			 * more): see probe_check_ints. */
			if (l < 0) {
				pn->neg[pn->nneg].key = f->name;
				pn->neg[pn->nneg].v = v;
				pn->neg[pn->nneg++].text = s;
				s = NULL;
			}
		}
		free(s);
		break;
	case FIELD_DURATION:
		if (ld_duration(ld, v, f->name, ctx, &missing, 0, &secs) == 0)
			j = json_real(secs);
		break;
	case FIELD_SIZE:
		if (ld_size(ld, v, f->name, ctx, &missing, &size) == 0)
			j = json_integer(size);
		break;
	case FIELD_ARGV:
		if (v->type != Y_SEQ)
			ld_expected(ld, v, "a list of strings", f->name, ctx,
			    v->type == Y_SCALAR ? xstrdup("write it as a list, "
			    "e.g. [systemctl, is-active, nginx]; a command "
			    "never passes through a shell") : NULL);
		else if (v->nitems == 0)
			ld_error(ld, v->pos, NULL, "%s in %s is an empty list: "
			    "write at least the program to run", f->name, ctx);
		else if ((f->flags & FIELD_LITERAL_HEAD) &&
		    v->items[0]->type == Y_SCALAR &&
		    strstr(v->items[0]->text, "{{") != NULL)
			ld_error(ld, v->items[0]->pos, xstrdup("write the "
			    "command itself, so that what runs can be checked "
			    "when the runbook loads"), "the first item of %s "
			    "in %s is templated; it must be written out",
			    f->name, ctx);
		else
			j = param_strings(ld, f->name, v, ctx, &missing);
		break;
	case FIELD_STRINGS:
		if (v->type == Y_MAP)
			ld_expected(ld, v, "a list of strings", f->name, ctx,
			    NULL);
		else
			j = param_strings(ld, f->name, v, ctx, &missing);
		break;
	case FIELD_MAP:
		j = param_map(ld, f->name, v, ctx, &missing);
		break;
	}
	if (j != NULL)
		json_object_set_new(p->params, f->name, j);
	if (missing != NULL) {
		pn->unset[pn->nunset++] = f->name;
		if (p->missing_env == NULL)
			p->missing_env = missing;
		else
			free(missing);
	}
}

static void
probe_needs(struct loader *ld, struct probe *p, struct ynode *v,
    const char *ctx)
{
	struct ynode **items;
	struct suggest sg;
	const char *s;
	size_t n, i, k;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a probe id or a list of them", "needs", ctx,
		    NULL);
		return;
	}
	items = ynode_list(&v, &n);
	p->needs = xcalloc(n, sizeof(*p->needs));
	for (i = 0; i < n; i++) {
		if ((s = ld_string(ld, items[i], "needs", ctx)) == NULL)
			continue;
		if (strcmp(s, p->id) == 0) {
			ld_error(ld, items[i]->pos, NULL, "%s needs itself",
			    ctx);
			continue;
		}
		if (runbook_probe_index(ld->rb, s) < 0) {
			ld_suggest_init(&sg, s, 0);
			for (k = 0; !ld_errors_full(ld) &&
			    k < ld->rb->nprobes; k++)
				ld_suggest_add(&sg, ld->rb->probes[k].id);
			ld_error(ld, items[i]->pos, ld_suggest_hint(&sg, NULL,
			    NULL), "%s needs unknown probe \"%s\"", ctx, s);
			continue;
		}
		p->needs[p->nneeds++] = xstrdup(s);
	}
}

static void
probe_requires(struct loader *ld, struct probe *p, struct ynode *v,
    const char *ctx)
{
	struct ynode **items;
	const char *s;
	size_t n, i;

	if (v->type == Y_MAP) {
		ld_expected(ld, v, "a command name or a list of them",
		    "requires", ctx, NULL);
		return;
	}
	items = ynode_list(&v, &n);
	p->requires = xcalloc(n, sizeof(*p->requires));
	for (i = 0; i < n; i++) {
		if ((s = ld_string(ld, items[i], "requires", ctx)) == NULL)
			continue;
		if (strpbrk(s, " \t\n") != NULL ||
		    (s[0] != '/' && strchr(s, '/') != NULL)) {
			ld_error(ld, items[i]->pos, NULL, "bad requires \"%s\" "
			    "in %s: write a command name or an absolute path",
			    s, ctx);
			continue;
		}
		p->requires[p->nrequires++] = xstrdup(s);
	}
}

/* `on:` for a kind that checks from here (http, tcp, tls, sql, ...). */
static void
probe_on_refused(struct loader *ld, const struct probe *p,
    const struct ynode *v, const char *ctx)
{
	struct buf b;
	size_t i, n = 0, k = 0;

	for (i = 0; probe_kinds[i] != NULL; i++)
		n += (probe_kinds[i]->flags & PROBE_KIND_REMOTE) != 0;
	buf_init(&b, 0);
	for (i = 0; probe_kinds[i] != NULL; i++) {
		if (!(probe_kinds[i]->flags & PROBE_KIND_REMOTE))
			continue;
		buf_printf(&b, "%s%s", k == 0 ? "" : k + 1 == n ? " and " :
		    ", ", probe_kinds[i]->name);
		k++;
	}
	ld_error(ld, v->pos, xasprintf("leave out on: to check it from "
	    "here, or run a command on %s (curl, nc, ...)", p->on->name),
	    "%s: %s probes cannot run on a host; `on:` is for %s", ctx,
	    p->kind->name, buf_cstr(&b));
	buf_dispose(&b);
}

static void
probe_on(struct loader *ld, struct probe *p, const struct ynode *v,
    const char *ctx)
{
	struct runbook *rb = ld->rb;
	struct suggest sg;
	const char *s = ld_string(ld, v, "on", ctx);
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < rb->nhosts; i++) {
		if (strcmp(rb->hosts[i].name, s) == 0) {
			p->on = &rb->hosts[i];
			if (p->kind != NULL &&
			    !(p->kind->flags & PROBE_KIND_REMOTE))
				probe_on_refused(ld, p, v, ctx);
			return;
		}
	}
	ld_suggest_init(&sg, s, 0);
	for (i = 0; !ld_errors_full(ld) && i < rb->nhosts; i++)
		ld_suggest_add(&sg, rb->hosts[i].name);
	ld_error(ld, v->pos, ld_suggest_hint(&sg, NULL,
	    "define it under hosts:"), "unknown host \"%s\" in %s", s, ctx);
}

/* Loads one of the keys every probe (or step) may have. */
static void
probe_common(struct loader *ld, struct probe *p, struct step *st,
    const char *key, struct ynode *v, const char *ctx)
{
	enum probe_state sev;
	const char *s;
	long l;
	char *text;

	if (strcmp(key, "layer") == 0) {
		if ((s = ld_string(ld, v, key, ctx)) != NULL) {
			free(p->layer);
			p->layer = xstrdup(s);
		}
	} else if (strcmp(key, "description") == 0) {
		p->description = ld_text(ld, v, key, ctx, NULL);
	} else if (strcmp(key, "timeout") == 0) {
		ld_duration(ld, v, key, ctx, &p->missing_env, 1, &p->timeout);
	} else if (strcmp(key, "interval") == 0) {
		ld_duration(ld, v, key, ctx, &p->missing_env, 1, &p->interval);
	} else if (strcmp(key, "retries") == 0) {
		if (ld_int(ld, v, key, ctx, &p->missing_env, &l, &text) == 0) {
			if (l < 1 || l > INT_MAX)
				ld_error(ld, v->pos, NULL, "bad retries \"%s\" "
				    "in %s: it must be 1 or more", text, ctx);
			else
				p->retries = (int)l;
		}
		free(text);
	} else if (strcmp(key, "severity") == 0) {
		if ((s = ld_string(ld, v, key, ctx)) == NULL)
			return;
		if (probe_state_parse(s, &sev) != 0 || sev == STATE_OK ||
		    sev == STATE_SKIPPED)
			ld_error(ld, v->pos, NULL, "bad severity \"%s\" in %s: "
			    "write warning, critical or unknown", s, ctx);
		else
			p->severity = sev;
	} else if (strcmp(key, "needs") == 0) {
		probe_needs(ld, p, v, ctx);
	} else if (strcmp(key, "on") == 0) {
		probe_on(ld, p, v, ctx);
	} else if (strcmp(key, "expect") == 0) {
		ld_conditions(ld, v, key, ctx, &p->missing_env, 0, &p->expect,
		    &p->expect_pos, &p->nexpect);
	} else if (strcmp(key, "warn") == 0) {
		ld_conditions(ld, v, key, ctx, &p->missing_env, 0, &p->warn,
		    &p->warn_pos, &p->nwarn);
	} else if (strcmp(key, "requires") == 0) {
		probe_requires(ld, p, v, ctx);
	} else if (strcmp(key, "dangerous") == 0) {
		if ((s = ld_string(ld, v, key, ctx)) != NULL)
			st->dangerous = xstrdup(s);
	} else if (strcmp(key, "continue_on_error") == 0) {
		ld_bool(ld, v, key, ctx, &st->continue_on_error);
	}
}

/* Reports key as unknown in p, with the key it was probably meant to be.
 * Returns 1 when that may be one of the kind's own keys (or p has no
 * kind): then the kind's keys are not all there to judge. */
static int
probe_unknown_key(struct loader *ld, const struct probe *p,
    const struct ynode *key, const char *const *common, const char *ctx)
{
	const struct field_spec *f;
	struct suggest sg;
	size_t i;
	int kinds_key;

	ld_suggest_init(&sg, key->text, 1);
	ld_suggest_add_list(&sg, common);
	for (i = 0; probe_kinds[i] != NULL; i++) {
		if (p->kind != NULL && probe_kinds[i] != p->kind)
			continue;
		if (p->kind == NULL)
			ld_suggest_add(&sg, probe_kinds[i]->name);
		for (f = probe_kinds[i]->fields; f->name != NULL; f++) {
			if (p->kind != NULL || strcmp(f->name,
			    probe_kinds[i]->name) != 0)
				ld_suggest_add(&sg, f->name);
		}
	}
	kinds_key = p->kind == NULL || (sg.best != NULL &&
	    kind_field(p->kind, sg.best) != NULL);
	ld_error(ld, key->pos, ld_suggest_hint(&sg, "allowed here: ", NULL),
	    "unknown key \"%s\" in %s", key->text, ctx);
	return kinds_key;
}

/* The place in pn->neg of key's value, or -1. */
static long
neg_int_index(const struct probe_notes *pn, const char *key)
{
	size_t i;

	for (i = 0; key != NULL && i < pn->nneg; i++) {
		if (strcmp(pn->neg[i].key, key) == 0)
			return (long)i;
	}
	return -1;
}

/* Whether key is one of the n keys of list. */
static int
key_listed(const char *const *list, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], key) == 0)
			return 1;
	}
	return 0;
}

/*
 * probe_prepare: hands p to its kind's prepare(), which validates and
 * compiles its parameters. errors is ld->nerrors from before p was loaded,
 * plus the errors in the keys every probe has (timeout, layer, needs...),
 * in keys a step may not have and in unknown keys unlike any of the kind's,
 * none of which touch what the kind reads.
 *
 * The rule for unset environment variables: every probe is prepared,
 * whatever the environment, so that a runbook loads or fails the same
 * everywhere. A probe that uses an unset variable (p->missing_env) is
 * skipped at run time, and where the variable stood its values hold "";
 * so an error that prepare() reports about a key whose value used an
 * unset variable (an empty URL, a host-less address) is not the
 * runbook's, and is dropped: the probe keeps no compiled form and never
 * runs. An error about any other key, or about no key, stands.
 *
 * A probe with errors in its kind's keys or with an unknown key that may
 * be one of them misspelled ("did you mean" names a key of the kind) is not
 * the kind's to judge (some of its keys are missing),
 * except for its whole numbers below 0: only the kind
 * knows their real range (`last:` is 1 or more), so prepare() is asked,
 * and what it says about anything else, or compiles, is dropped. A number
 * below 0 that prepare() does not report gets the loader's own "0 or
 * more", so that the runbook does not load either way.
 */
static void
probe_prepare(struct loader *ld, struct probe *p, const struct probe_notes *pn,
    size_t errors, const char *ctx)
{
	int had_errors = ld->nerrors != errors, failed = 0;
	char *cause = NULL;
	long neg = -1;
	size_t i;

	if (p->kind->prepare != NULL && (!had_errors || pn->nneg > 0)) {
		p->err_field = NULL;
		failed = p->kind->prepare(p, &cause) != 0;
		neg = failed ? neg_int_index(pn, p->err_field) : -1;
		if (had_errors && !failed && p->kind->release != NULL &&
		    p->priv != NULL)
			p->kind->release(p);
	}
	if (failed && (neg >= 0 || (!had_errors && (p->missing_env == NULL ||
	    p->err_field == NULL || !key_listed(pn->unset, pn->nunset,
	    p->err_field)))))
		ld_error(ld, p->err_field != NULL ? probe_param_srcpos(p,
		    p->err_field) : p->pos, NULL, "%s: %s", ctx,
		    cause != NULL ? cause : "invalid");
	free(cause);
	for (i = 0; i < pn->nneg; i++) {
		if ((long)i != neg)
			ld_error(ld, pn->neg[i].v->pos, NULL, "bad %s \"%s\" "
			    "in %s: it must be 0 or more", pn->neg[i].key,
			    pn->neg[i].text, ctx);
	}
}

/* probe_load: fills p (whose id, layer and pos are set) from body, a
 * probe's mapping or, with st, a step's. ctx names it in messages. */
static void
probe_load(struct loader *ld, struct probe *p, struct step *st,
    const struct ynode *body, enum role role, const char *ctx)
{
	const char *const *common = role == ROLE_PROBE ? probe_keys :
	    role == ROLE_FIX ? fix_step_keys : step_keys;
	const struct field_spec *f;
	struct probe_notes pn;
	const char *ck;
	size_t i, errors = ld->nerrors, unknown = 0, before;
	char *list;

	p->params = json_object();
	p->timeout = role == ROLE_PROBE ? 5 : role == ROLE_FIX ? 30 : 10;
	p->may_write = role == ROLE_FIX;
	p->secret_values = ld->rb->secret_values;
	p->nsecret_values = ld->rb->nsecret_values;
	p->interval = 30;
	p->retries = 1;
	p->severity = STATE_CRITICAL;
	if (body->type != Y_MAP) {
		ld_expected(ld, body, "a mapping", ctx, NULL, NULL);
		return;
	}
	p->param_pos = xcalloc(body->nentries, sizeof(*p->param_pos));
	pn.unset = xcalloc(body->nentries, sizeof(*pn.unset));
	pn.neg = xcalloc(body->nentries, sizeof(*pn.neg));
	pn.nunset = pn.nneg = 0;
	probe_find_kind(ld, p, body, ctx);
	for (i = 0; i < body->nentries; i++) {
		const struct yentry *e = &body->entries[i];
		const char *key = e->key->text;

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "key", ctx);
		} else if ((ck = ld_str_find(common, key)) != NULL) {
			probe_note_pos(p, ck, e->value->pos);
			/* An error in a key every probe has (a bad timeout)
			 * leaves the kind's own keys whole: the kind still
			 * judges them, so that both are reported. */
			before = ld->nerrors;
			probe_common(ld, p, st, ck, e->value, ctx);
			errors += ld->nerrors - before;
		} else if (p->kind != NULL &&
		    (f = kind_field(p->kind, key)) != NULL) {
			probe_note_pos(p, f->name, e->value->pos);
			probe_param_load(ld, p, &pn, f, e->value, ctx);
		} else if (probe_kind_find(key) != NULL) {
			/* a second kind, reported by probe_find_kind */
		} else if (role != ROLE_PROBE && (strcmp(key, "expect") == 0 ||
		    strcmp(key, "warn") == 0 || strcmp(key, "needs") == 0)) {
			/* Not the kind's keys: it still judges its own. */
			before = ld->nerrors;
			ld_error(ld, e->key->pos, xstrdup("a step just runs; "
			    "checks belong in probes"),
			    "%s is not allowed in a step", key);
			errors += ld->nerrors - before;
		} else if (ld_str_find(fix_step_keys, key) != NULL) {
			before = ld->nerrors;
			ld_error(ld, e->key->pos, NULL, "%s is only allowed in "
			    "fix and on_failure steps", key);
			errors += ld->nerrors - before;
		} else {
			before = ld->nerrors;
			/* A key unlike any of the kind's leaves them whole:
			 * the kind still judges them. */
			if (!probe_unknown_key(ld, p, e->key, common, ctx))
				errors += ld->nerrors - before;
			unknown++;
		}
	}
	if (p->kind == NULL) {
		if (unknown == 0) {
			list = kinds_list();
			ld_error(ld, p->pos, xasprintf("give it one of: %s",
			    list), "%s has no kind", ctx);
			free(list);
		}
	} else {
		for (f = p->kind->fields; f->name != NULL; f++) {
			if ((f->flags & FIELD_REQUIRED) &&
			    ymap_entry(body, f->name) == NULL)
				ld_error(ld, p->pos, NULL, "missing required "
				    "key \"%s\" in %s", f->name, ctx);
		}
		if (p->on != NULL && p->missing_env == NULL) {
			char *m = ld->host_missing[p->on - ld->rb->hosts];

			p->missing_env = xstrdup(m);
		}
		probe_prepare(ld, p, &pn, errors, ctx);
	}
	for (i = 0; i < pn.nneg; i++)
		free(pn.neg[i].text);
	free(pn.neg);
	free(pn.unset);
}

void
ld_steps_load(struct loader *ld, struct ynode *v, const char *owner_id,
    const char *owner_ctx, const char *list, enum role role,
    const char *layer, struct step **out, size_t *nout)
{
	size_t i;
	char *ctx;

	if (v->type != Y_SEQ) {
		ld_expected(ld, v, "a list of steps", list, owner_ctx, NULL);
		return;
	}
	*out = xcalloc(v->nitems, sizeof(**out));
	*nout = v->nitems;
	for (i = 0; i < v->nitems; i++) {
		struct probe *p = &(*out)[i].probe;

		p->id = xasprintf("%s.%s[%zu]", owner_id, list, i);
		p->layer = xstrdup(layer);
		p->pos = v->items[i]->pos;
		ctx = xasprintf("step %s[%zu] of %s", list, i, owner_ctx);
		probe_load(ld, p, &(*out)[i], v->items[i], role, ctx);
		free(ctx);
	}
}

static const char *
probe_id_of(const void *arg, size_t pos)
{
	const struct runbook *rb = arg;

	return rb->probes[pos].id;
}

void
ld_probes_load(struct loader *ld, const struct ynode *v)
{
	struct runbook *rb = ld->rb;
	size_t i, n = 0;
	char *ctx;

	if (v->type != Y_MAP) {
		ld_expected(ld, v, "a mapping of probe ids", "probes", NULL,
		    NULL);
		return;
	}
	rb->probes = xcalloc(v->nentries, sizeof(*rb->probes));
	/* Every id first, so that needs: can name a later probe. */
	for (i = 0; i < v->nentries; i++) {
		const struct yentry *e = &v->entries[i];
		struct probe *p = &rb->probes[n];

		if (e->dup_of != NULL) {
			ld_duplicate(ld, e, "probe", NULL);
			continue;
		}
		ld_check_id(ld, &id_probe, e->key->text, e->key->pos);
		p->id = xstrdup(e->key->text);
		p->layer = xstrdup("default");
		p->pos = e->key->pos;
		n++;
	}
	rb->nprobes = n;
	rb->probe_ids = xmalloc(sizeof(*rb->probe_ids));
	keyindex_init(rb->probe_ids, probe_id_of, rb);
	for (i = 0; i < rb->nprobes; i++)
		keyindex_add(rb->probe_ids, rb->probes[i].id, i);
	for (i = 0, n = 0; i < v->nentries; i++) {
		if (v->entries[i].dup_of != NULL)
			continue;
		ctx = xasprintf("probe \"%s\"", v->entries[i].key->text);
		probe_load(ld, &rb->probes[n++], NULL, v->entries[i].value,
		    ROLE_PROBE, ctx);
		free(ctx);
	}
}

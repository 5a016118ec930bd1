/* SPDX-License-Identifier: MIT */
/* Runbook templating: {{name}} for a var, {{env.NAME}} for the environment. */
#include "template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmalloc.h"

/* One {{...}} reference found in a string. */
struct tref {
	size_t len;		/* of the whole "{{ ... }}" */
	int is_env;
	char *name;		/* heap */
};

static int
is_name_start(int c)
{
	return isalpha(c) || c == '_';
}

static int
is_name_char(int c, int env)
{
	return isalnum(c) || c == '_' || (!env && c == '-');
}

/* Parses a reference at s (which starts with "{{"); 0 when s holds one of
 * the two forms, else -1 (and the text is kept literally). */
static int
tref_parse(const char *s, struct tref *out)
{
	const char *p = s + 2, *name;
	int env = 0;

	while (*p == ' ')
		p++;
	if (strncmp(p, "env.", 4) == 0 && is_name_start((unsigned char)p[4])) {
		env = 1;
		p += 4;
	}
	if (!is_name_start((unsigned char)*p))
		return -1;
	name = p;
	while (is_name_char((unsigned char)*p, env))
		p++;
	out->name = xstrndup(name, (size_t)(p - name));
	while (*p == ' ')
		p++;
	if (strncmp(p, "}}", 2) != 0) {
		free(out->name);
		out->name = NULL;
		return -1;
	}
	out->len = (size_t)(p + 2 - s);
	out->is_env = env;
	return 0;
}

static int
is_secret(const struct template_vars *tv, const char *name)
{
	size_t i;

	for (i = 0; i < tv->nsecrets; i++) {
		if (strcmp(tv->secrets[i], name) == 0)
			return 1;
	}
	return 0;
}

static int
is_env_style(const char *name)
{
	for (; *name != '\0'; name++) {
		if (!isupper((unsigned char)*name) &&
		    !isdigit((unsigned char)*name) && *name != '_')
			return 0;
	}
	return 1;
}

/* The hint for an unknown var: a close var name, the env form for a
 * secret or an env-style name, or where vars are defined. */
static char *
unknown_var_hint(const struct template_vars *tv, const char *name)
{
	const char *key, *best = NULL;
	unsigned d, best_d = 3;
	json_t *v;

	if (is_secret(tv, name))
		return xasprintf("%s is a secret: write {{env.%s}}", name,
		    name);
	json_object_foreach(tv->values, key, v) {
		d = str_edit_distance(name, key);
		if (d < best_d && d < strlen(name)) {
			best = key;
			best_d = d;
		}
	}
	if (best != NULL)
		return xasprintf("did you mean {{%s}}?", best);
	if (is_env_style(name))
		return xasprintf("for an environment variable, write "
		    "{{env.%s}}", name);
	return xstrdup("define it under vars:");
}

int
template_expand(const struct template_vars *tv, const char *s, char **out,
    char **missing, template_error_fn error, void *arg)
{
	struct buf b;
	struct tref r;
	const char *p, *val;
	char *cause;
	size_t run;
	int errors = 0;
	json_t *v;

	*out = NULL;
	/* Most strings of a runbook refer to nothing. */
	if (strstr(s, "{{") == NULL) {
		*out = xstrdup(s);
		return 0;
	}
	buf_init(&b, 0);
	for (p = s; *p != '\0'; p++) {
		if (p[0] != '{' || p[1] != '{' || tref_parse(p, &r) != 0) {
			/* Copy up to the next brace in one go. */
			run = strcspn(p + 1, "{") + 1;
			buf_append(&b, p, run);
			p += run - 1;
			continue;
		}
		cause = NULL;
		if (r.is_env) {
			val = tv->withheld != NULL &&
			    json_object_get(tv->withheld, r.name) != NULL ?
			    NULL : getenv(r.name);
			if (val == NULL || *val == '\0') {
				if (*missing == NULL)
					*missing = xstrdup(r.name);
				val = tv->unset_as;
			}
			buf_puts(&b, val != NULL ? val : "");
		} else if (tv->no_vars) {
			cause = xasprintf("a var cannot use another var "
			    "({{%s}})", r.name);
			error(arg, (size_t)(p - s), cause, xstrdup("only "
			    "{{env.NAME}} is expanded inside vars"));
		} else if (tv->failed != NULL &&
		    json_object_get(tv->failed, r.name) != NULL) {
			cause = xasprintf("var \"%s\" has an error of its own",
			    r.name);
			error(arg, (size_t)(p - s), cause, NULL);
		} else if ((v = json_object_get(tv->values, r.name)) == NULL) {
			cause = xasprintf("unknown var \"%s\"", r.name);
			error(arg, (size_t)(p - s), cause,
			    unknown_var_hint(tv, r.name));
		} else {
			buf_puts(&b, json_string_value(v));
			v = json_object_get(tv->missing, r.name);
			if (v != NULL && *missing == NULL)
				*missing = xstrdup(json_string_value(v));
		}
		errors += cause != NULL;
		free(cause);
		free(r.name);
		p += r.len - 1;
	}
	if (errors > 0) {
		buf_dispose(&b);
		return -1;
	}
	*out = buf_steal(&b);
	return 0;
}

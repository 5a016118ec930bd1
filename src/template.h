/* SPDX-License-Identifier: MIT */
/* Runbook templating: {{name}} for a var, {{env.NAME}} for the environment. */
#ifndef TRIAGE_TEMPLATE_H
#define TRIAGE_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

/* What a string may refer to while it is expanded. */
struct template_vars {
	json_t *values;		/* var name -> string, already expanded */
	json_t *missing;	/* var name -> the env name its value lacked */
	char *const *secrets;	/* names under secrets:, for a hint */
	size_t nsecrets;
	/* NULL, or env name -> true: names whose value must never be used,
	 * as if unset (a secret too short to redact). */
	json_t *withheld;
	/* NULL, or var name -> true: vars whose own value had an error; a
	 * use of one says so (it is not "unknown"). */
	json_t *failed;
	/* NULL, or the text an unset (or withheld) environment variable
	 * expands to instead of "": to check a condition's syntax the same
	 * whether the variable is set or not. */
	const char *unset_as;
	int no_vars;		/* 1 while expanding the vars themselves */
};

/* Reports one reference that cannot be expanded: at is the byte offset of
 * its "{{" in the string, cause the sentence ("unknown var \"bx\""), hint
 * NULL or heap (taken over). */
typedef void (*template_error_fn)(void *arg, size_t at, const char *cause,
    char *hint);

/* template_expand: s with every {{name}} replaced by that var's value and
 * every {{env.NAME}} by that environment variable. Spaces inside the
 * braces are allowed. Braces holding neither form ({{.State.Status}},
 * {{json .}}) are kept as they are, so Go templates pass through.
 *
 * An environment variable that is unset or empty expands to "" and is not
 * an error: when *missing is NULL it is set to the first such name (heap),
 * also when the name comes through a var's value. Returns 0 with *out (heap).
 * When a reference cannot be expanded (an unknown var, a var inside a var,
 * a var whose own value had an error), error(arg, ...) is called for each
 * such reference in s, and -1 is returned with *out NULL. */
int template_expand(const struct template_vars *tv, const char *s,
    char **out, char **missing, template_error_fn error, void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the condition language: parse, evaluate, explain. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char root_json[] =
    "{\"status\": 200, \"latency\": 0.213, \"ok\": true, \"bad\": false,"
    "\"nothing\": null, \"zero\": 0, \"empty\": \"\", \"ea\": [], \"eo\": {},"
    "\"name\": \"Heatwave\", \"stdout\": \"active\\n\", \"matches\": 3,"
    "\"in\": [1, 2], \"contains\": \"x\", \"pattern\": \"^a(b|c)*$\","
    "\"badpattern\": \"(\", \"when\": \"2026-11-23T16:30:00Z\","
    "\"ts\": 1795451400000, \"neg\": -9223372036854775807,"
    "\"body\": {\"status\": \"ok\", \"latest_stage\": {\"status\": \"x\"},"
    "  \"items\": [1, 2.5, \"three\", null, {\"k\": [\"v\", {\"w\": 1e300}]}],"
    "  \"text\": \"h\\u00e9llo \\u2603 world\\u0000tail\"},"
    "\"headers\": {\"content-type\": \"application/json\", \"x\": \"y\"},"
    "\"rows\": [{\"n\": 5}, {\"n\": 0}], \"edge-up\": {\"ok\": false}}";

static json_t *
fuzz_root(void)
{
	static json_t *root;

	if (root == NULL)
		root = json_loads(root_json, JSON_ALLOW_NUL, NULL);
	return root;
}

static void
fuzz_ref(void *arg, const char *name)
{
	size_t *n = arg;

	*n += strlen(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *src = malloc(size + 1);
	char *cause = NULL, *why;
	size_t col = 0, refs = 0;
	struct expr *e, *e2;
	json_t *v;

	if (src == NULL)
		return 0;
	memcpy(src, data, size);
	src[size] = '\0';
	e = expr_parse(src, &cause, &col);
	if (e == NULL) {
		/* Every error has a message and a column inside the text. */
		if (cause == NULL || col < 1 || col > strlen(src) + 1)
			abort();
		free(cause);
		free(src);
		return 0;
	}
	/* The source as shown is on one line and is the same condition. */
	if (strpbrk(expr_source(e), "\n\r") != NULL)
		abort();
	e2 = expr_parse(expr_source(e), NULL, NULL);
	if (e2 == NULL)
		abort();
	expr_free(e2);
	(void)expr_test(e, fuzz_root(), 1795451460.0);
	v = expr_eval(e, fuzz_root(), 1795451460.0);
	if (v == NULL)
		abort();
	json_decref(v);
	why = expr_explain(e, fuzz_root(), 1795451460.0);
	if (why == NULL || strlen(why) > 240)
		abort();
	free(why);
	expr_refs(e, fuzz_ref, &refs);
	expr_free(e);
	free(src);
	return 0;
}

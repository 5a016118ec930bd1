/* SPDX-License-Identifier: MIT */
/* triage render: the runbook back as a document (Markdown, HTML or YAML). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "render.h"
#include "runbook.h"
#include "util/shquote.h"
#include "util/timeutil.h"
#include "util/xmalloc.h"

static const struct option_spec render_options[] = {
	{ "format", 0, OPT_STRING, "markdown (the default: tables and a "
	    "mermaid flowchart), html (one self-contained page) or yaml (the "
	    "runbook's own text, validated)", "FORMAT" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_render_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_render_entry = {
	.name = "render",
	.summary = "the runbook as a document for people: Markdown (tables + "
	    "mermaid flowchart) or HTML",
	.options = render_options,
	.exec = cmd_render_exec,
	.exit_help = "0 printed; 3 a usage error, a runbook that does not "
	    "load, or output that could not be written.",
};

/* Now, or $SOURCE_DATE_EPOCH for a reproducible page (it only moves the
 * "stale: N days" marks). */
static double
render_now(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	long v;

	if (s != NULL && str_to_long(s, 0, 253402300799L, &v) == 0)
		return (double)v;
	return time_now();
}

static int
cmd_render_exec(struct cmd_ctx *ctx)
{
	const char *format = cmd_opt(ctx, "format");
	struct render_opts o;
	struct runbook *rb;
	char *arg, *doc;
	int html = 0;

	if (format == NULL || strcmp(format, "markdown") == 0 ||
	    strcmp(format, "md") == 0) {
		html = 0;
	} else if (strcmp(format, "html") == 0) {
		html = 1;
	} else if (strcmp(format, "yaml") != 0) {
		fprintf(stderr, "triage render: unknown format \"%s\" "
		    "(formats: markdown, html, yaml)\n", format);
		return EXIT_UNKNOWN;
	}
	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	if (format != NULL && strcmp(format, "yaml") == 0) {
		fputs(rb->source, stdout);
		runbook_free(rb);
		return EXIT_OK;
	}
	if (strcmp(rb->path, "<builtin>") == 0) {
		arg = xstrdup("--builtin");
	} else if (strcmp(rb->path, "-") == 0) {
		/* Read from standard input: no path to show, a placeholder. */
		arg = xstrdup("-f RUNBOOK");
	} else {
		char *q = shquote(rb->path);

		arg = xasprintf("-f %s", q);
		free(q);
	}
	o.now = render_now();
	o.runbook_arg = arg;
	doc = html ? render_html(rb, &o) : render_markdown(rb, &o);
	fputs(doc, stdout);
	free(doc);
	free(arg);
	runbook_free(rb);
	return EXIT_OK;
}

/* SPDX-License-Identifier: MIT */
/* triage render: the runbook back as a document. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "runbook.h"

static const struct option_spec render_options[] = {
	{ "format", 0, OPT_STRING, "output format: yaml (the runbook's own "
	    "text, validated)", "FORMAT" },
	{ NULL, 0, OPT_FLAG, NULL, NULL },
};

static int cmd_render_exec(struct cmd_ctx *ctx);

const struct cmd_entry cmd_render_entry = {
	.name = "render",
	.summary = "print the runbook (with --builtin: the built-in host "
	    "runbook)",
	.options = render_options,
	.exec = cmd_render_exec,
};

static int
cmd_render_exec(struct cmd_ctx *ctx)
{
	const char *format = cmd_opt(ctx, "format");
	struct runbook *rb;

	if (format != NULL && strcmp(format, "yaml") != 0) {
		fprintf(stderr, "triage render: unknown format \"%s\" "
		    "(formats: yaml)\n", format);
		return EXIT_UNKNOWN;
	}
	if (cmd_load_runbook(ctx, &rb) != 0)
		return EXIT_UNKNOWN;
	fputs(rb->source, stdout);
	runbook_free(rb);
	return EXIT_OK;
}

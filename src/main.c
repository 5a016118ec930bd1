/* SPDX-License-Identifier: MIT */
/* triage: argument parsing and the command table, nothing else. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "remote.h"
#include "util/proc.h"

extern const struct cmd_entry cmd_diagnose_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_fix_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_incidents_entry;
extern const struct cmd_entry cmd_lint_entry;
extern const struct cmd_entry cmd_render_entry;
extern const struct cmd_entry cmd_watch_entry;

/* The default command comes first. */
static const struct cmd_entry *const commands[] = {
	&cmd_diagnose_entry,
	&cmd_check_entry,
	&cmd_fix_entry,
	&cmd_history_entry,
	&cmd_incidents_entry,
	&cmd_lint_entry,
	&cmd_render_entry,
	&cmd_watch_entry,
	NULL,
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void
usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: triage [COMMAND] [options]\n\n"
	    "Executable runbooks: probe a stack read-only and concurrently, "
	    "and report.\n\ncommands:\n");
	for (i = 0; commands[i] != NULL; i++)
		fprintf(out, "  %-10s  %s%s\n", commands[i]->name,
		    commands[i]->summary, i == 0 ? " (the default)" : "");
	fprintf(out, "\nRun 'triage COMMAND --help' for a command's options, "
	    "'man triage' for the rest.\n");
}

static const struct cmd_entry *
find_command(const char *name)
{
	size_t i;

	for (i = 0; commands[i] != NULL; i++) {
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	}
	return NULL;
}

static int
run(int argc, char **argv)
{
	const struct cmd_entry *cmd = commands[0];
	struct sigaction sa;
	struct cmd_ctx ctx;
	const char *no_color;
	int first = 1, rc;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		if (argc > 2 && (cmd = find_command(argv[2])) != NULL)
			cmd_usage(cmd, stdout);
		else
			usage(stdout);
		return EXIT_OK;
	}
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("triage %s\n", TRIAGE_VERSION);
		return EXIT_OK;
	}
	if (argc > 1 && argv[1][0] != '-') {
		cmd = find_command(argv[1]);
		if (cmd == NULL) {
			fprintf(stderr, "triage: unknown command \"%s\"\n\n",
			    argv[1]);
			usage(stderr);
			return EXIT_UNKNOWN;
		}
		first = 2;
	}
	if (cmd_parse(&ctx, cmd, argc - first, argv + first) != 0) {
		cmd_dispose(&ctx);
		return EXIT_UNKNOWN;
	}
	if (cmd_opt(&ctx, "help") != NULL) {
		cmd_usage(cmd, stdout);
		cmd_dispose(&ctx);
		return EXIT_OK;
	}
	/* no-color.org: NO_COLOR set to a non-empty value. */
	no_color = getenv("NO_COLOR");
	ctx.color = isatty(STDOUT_FILENO) && (no_color == NULL ||
	    *no_color == '\0') && cmd_opt(&ctx, "no-color") == NULL;
	ctx.progress = isatty(STDERR_FILENO);
	ctx.interrupted = &interrupted;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A hangup (the ssh session of a `fix --apply` dropped) interrupts
	 * too, so that children are killed and reaped rather than left
	 * behind; `watch` takes it through its signalfd to reload. */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	proc_init();

	rc = cmd->exec(&ctx);
	/* The SSH control masters serve every run of the command. */
	remote_shutdown();
	/* Nothing we started outlives us, not even what left its group. */
	proc_kill_strays();
	cmd_dispose(&ctx);
	return rc;
}

int
main(int argc, char **argv)
{
	proc_null_std_fds();
	return cmd_close_stdout(run(argc, argv));
}

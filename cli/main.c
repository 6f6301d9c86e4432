/* main.c: the relais command: a table of subcommands over the engine. */
#include <stdio.h>

#include "cli.h"
#include "relais/sync.h"

static const struct command *const commands[] = {
        /* Authoring. */
        &cmd_keygen,
        &cmd_key,
        &cmd_pack,
        &cmd_verify,
        &cmd_inspect,
        &cmd_delta,
        /* The learner's laptop. */
        &cmd_trust,
        &cmd_install,
        &cmd_list,
        &cmd_remove,
        &cmd_profile,
        &cmd_progress,
        &cmd_read,
        &cmd_sync,
        &cmd_export,
        &cmd_outbox,
        &cmd_laptop_key,
        &cmd_certificate,
        NULL,
};

static void overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: relais COMMAND [OPTIONS]\n\n"
	           "relais delivers self-paced courses as signed bundles that work offline.\n\n"
	           "Commands:\n");
	for (i = 0; commands[i]; i++) {
		fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
	}
	fprintf(f, "  %-14s %s\n", "help", "show help for a command");
	fprintf(f, "\nOptions:\n"
	           "  -h, --help     show this help\n"
	           "  -V, --version  show the version\n"
	           "\nExit status: 0 on success, 1 on failure, 2 on a usage error.\n"
	           "Run 'relais help COMMAND' for a command's options.\n");
}

int main(int argc, char **argv)
{
	static const struct cli_program relais = {"relais", commands, overview};
	int status;

	if (relais_sync_global_init() != 0) {
		cli_error("cannot initialise the http library");
		return EXIT_FAIL;
	}
	status = cli_main(&relais, argc, argv);
	relais_sync_global_cleanup();
	return status;
}

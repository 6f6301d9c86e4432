/* main.c: the relais command: a table of subcommands over the engine. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "relais/key.h"
#include "relais/sync.h"
#include "relais_config.h"

static const struct command *const commands[] = {
        /* Authoring. */
        &cmd_keygen,
        &cmd_pack,
        &cmd_verify,
        &cmd_inspect,
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
        NULL,
};

static const struct command *find(const char *name)
{
	size_t i;

	for (i = 0; commands[i]; i++) {
		if (strcmp(commands[i]->name, name) == 0) {
			return commands[i];
		}
	}
	return NULL;
}

static void overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: relais COMMAND [OPTIONS]\n\n"
	           "relais delivers self-paced courses as signed bundles that work offline.\n\n"
	           "Commands:\n");
	for (i = 0; commands[i]; i++) {
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	}
	fprintf(f, "  %-10s %s\n", "help", "show help for a command");
	fprintf(f, "\nOptions:\n"
	           "  -h, --help     show this help\n"
	           "  -V, --version  show the version\n"
	           "\nExit status: 0 on success, 1 on failure, 2 on a usage error.\n"
	           "Run 'relais help COMMAND' for a command's options.\n");
}

static int help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2) {
		overview(stdout);
		return EXIT_OK;
	}
	cmd = find(argv[1]);
	if (cmd == NULL) {
		cli_error("unknown command '%s' (see 'relais --help')", argv[1]);
		return EXIT_USAGE;
	}
	fputs(cmd->usage, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	relais_ctx *ctx = NULL;
	int i, status;

	if (argc < 2) {
		overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		overview(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("relais %s\n", RELAIS_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		return help(argc - 1, argv + 1);
	}
	cmd = find(argv[1]);
	if (cmd == NULL) {
		cli_error("unknown command '%s' (see 'relais --help')", argv[1]);
		return EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(cmd->usage, stdout);
			return EXIT_OK;
		}
	}
	if (relais_crypto_init() != 0) {
		cli_error("cannot initialise the cryptographic library");
		return EXIT_FAIL;
	}
	if (relais_sync_global_init() != 0) {
		cli_error("cannot initialise the http library");
		return EXIT_FAIL;
	}
	if (relais_ctx_new(&ctx) != 0) {
		relais_sync_global_cleanup();
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	status = cmd->run(ctx, argc - 1, argv + 1);
	relais_ctx_free(ctx);
	relais_sync_global_cleanup();
	if (fflush(stdout) != 0 && status == EXIT_OK) {
		cli_error("cannot write to standard output");
		status = EXIT_FAIL;
	}
	return status;
}

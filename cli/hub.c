/* hub.c: relais-hub, the coordinators' hub: its command table (one file per command). */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/hub.h"

static const struct command *const commands[] = {
        &cmd_hub_serve,
        &cmd_hub_credentials,
        &cmd_hub_coordinator,
        &cmd_hub_organisation,
        &cmd_hub_report,
        &cmd_hub_import,
        &cmd_hub_keygen,
        &cmd_hub_hub_key,
        &cmd_hub_publisher,
        &cmd_hub_session, /* live sessions of published courses */
        &cmd_hub_publish,
        &cmd_hub_unpublish,
        &cmd_hub_export_catalogue,
        &cmd_hub_certificate,
        &cmd_hub_cohort,
        &cmd_hub_copy,
        NULL,
};

const char *cli_hub_db_path(const char *given)
{
	const char *env = getenv("RELAIS_HUB_DB");

	return given ? given : env && env[0] ? env : CLI_HUB_DEFAULT_DB;
}

int cli_hub_open_files(struct relais_hub **out, relais_ctx *ctx, const char *cmd, const char *db,
                       const char *files)
{
	const char *path = cli_hub_db_path(db), *env = getenv("RELAIS_HUB_FILES");

	*out = NULL;
	files = files ? files : env && env[0] ? env : NULL;
	if (files != NULL && files[0] == '\0') {
		return cli_usage(cmd, "--files needs a folder");
	}
	if (files == NULL && relais_hub_is_postgresql(path)) {
		return cli_usage(cmd,
		                 "a PostgreSQL --db needs --files DIR, the folder of published "
		                 "bundles that every node shares");
	}
	if (relais_hub_open(out, ctx, path) != 0 ||
	    (files != NULL && relais_hub_files_set(*out, ctx, files) != 0)) {
		relais_hub_close(*out);
		*out = NULL;
		return cli_fail(ctx);
	}
	return EXIT_OK;
}

static void overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: relais-hub COMMAND [OPTIONS]\n\n"
	           "The coordinators' hub: receives learning records from relais laptops\n"
	           "and reports who completed what.\n\nCommands:\n");
	for (i = 0; commands[i] != NULL; i++) {
		fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->summary);
	}
	fprintf(f,
	        "\nEvery command takes --db PATH (default $RELAIS_HUB_DB, else " CLI_HUB_DEFAULT_DB
	        ");\nthose that keep or read published bundles take --files DIR (default\n"
	        "$RELAIS_HUB_FILES, else PATH.d), needed with a PostgreSQL --db.\nExit status: 0 "
	        "on success, 1 on failure, 2 on a usage error.\n"
	        "Run 'relais-hub help COMMAND' for a command's options.\n");
}

int main(int argc, char **argv)
{
	static const struct cli_program hub = {"relais-hub", commands, overview};

	return cli_main(&hub, argc, argv);
}

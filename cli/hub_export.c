/* hub_export.c: relais-hub export-catalogue: the catalogue and its files onto a folder (USB). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/hub.h"
#include "relais/publish.h"

static int export_catalogue(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"files", required_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *files = NULL;
	relais_hub *hub = NULL;
	size_t written = 0, kept = 0;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:f:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			files = optarg;
		} else {
			return cli_bad_option("export-catalogue", c, argv);
		}
	}
	if (argc - optind != 1) {
		return cli_usage("export-catalogue", "name one folder");
	}
	if ((status = cli_hub_open_files(&hub, ctx, "export-catalogue", db, files)) != EXIT_OK) {
		return status;
	}
	if (relais_hub_export_catalogue(&written, &kept, hub, ctx, argv[optind]) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("%s: %zu file%s written, %zu already there\n", argv[optind], written,
		       written == 1 ? "" : "s", kept);
	}
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_export_catalogue = {
        "export-catalogue",
        "write the signed catalogue, bundles and deltas to a folder (a USB stick)",
        "usage: relais-hub export-catalogue FOLDER [--db PATH] [--files DIR]\n\n"
        "Writes FOLDER/catalogue.json, its signature, and the bundles/ and deltas/ it\n"
        "lists, each file atomically; files already there and identical are kept,\n"
        "and the catalogue is written last. Laptops read the folder with\n"
        "relais sync --from FOLDER, under the same rules as over the network.\n" CLI_HUB_FILES_HELP,
        export_catalogue,
};

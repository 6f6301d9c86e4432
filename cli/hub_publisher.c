/* hub_publisher.c: relais-hub publisher: the keys whose bundles this hub distributes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/fsutil.h"
#include "relais/hub.h"
#include "relais/publish.h"

static int publisher(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *name = NULL, *verb;
	char id[RELAIS_KEYID_HEX], *text = NULL, *list = NULL;
	relais_hub *hub = NULL;
	size_t len = 0;
	int c, n, rc, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'n') {
			name = optarg;
		} else {
			return cli_bad_option("publisher", c, argv);
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "";
	if (!((strcmp(verb, "add") == 0 && n == 2) || (strcmp(verb, "list") == 0 && n == 1) ||
	      (strcmp(verb, "remove") == 0 && n == 2)) ||
	    (name != NULL && strcmp(verb, "add") != 0)) {
		return cli_usage("publisher", "say: publisher add PUBFILE [--name NAME], list or "
		                              "remove KEYID");
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0) {
		return cli_fail(ctx);
	}
	if (strcmp(verb, "add") == 0) {
		rc = relais_file_read(&text, &len, ctx, argv[optind + 1], 4096);
		if (rc == 0) {
			rc = relais_hub_publisher_add(id, hub, ctx, text, len, name);
		}
		if (rc == 0) {
			printf("publisher key %s added\n", id);
		}
	} else if (strcmp(verb, "list") == 0) {
		rc = relais_hub_publisher_list(&list, hub, ctx);
		if (rc == 0) {
			fputs(list, stdout);
		}
	} else {
		rc = relais_hub_publisher_remove(hub, ctx, argv[optind + 1]);
		if (rc == 0) {
			printf("publisher key %s removed\n", argv[optind + 1]);
		}
	}
	if (rc != 0) {
		status = cli_fail(ctx);
	}
	free(text);
	free(list);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_publisher = {
        "publisher",
        "add, list and remove the keys whose courses this hub distributes",
        "usage: relais-hub publisher add PUBFILE [--name NAME] [--db PATH]\n"
        "       relais-hub publisher list [--db PATH]\n"
        "       relais-hub publisher remove KEYID [--db PATH]\n\n"
        "add takes a minisign public key file (relais keygen makes them): bundles\n"
        "it signed may then be published. The catalogue lists the publishers by\n"
        "key id and NAME (default: the key id). remove refuses while the catalogue\n"
        "lists courses the key signed: unpublish them first. Laptops still install\n"
        "a course only when they trust its publisher's key themselves.\n",
        publisher,
};

/* hub_coordinator.c: relais-hub coordinator: the coordinators who may read the reports. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/hub.h"

static int coordinator(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"email", required_argument, NULL, 'e'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *email = NULL;
	char password[1024];
	relais_hub *hub = NULL;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:e:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'e') {
			email = optarg;
		} else {
			return cli_bad_option("coordinator", c, argv);
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "add") != 0 || email == NULL) {
		return cli_usage("coordinator", "say: coordinator add --email EMAIL");
	}
	if (cli_password_from("RELAIS_HUB_PASSWORD", NULL, password, sizeof(password)) != 0) {
		cli_error("no password: set RELAIS_HUB_PASSWORD or run on a terminal");
		return EXIT_FAIL;
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_coordinator_add(hub, ctx, email, password) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("coordinator %s can sign in at /reports\n", email);
	}
	explicit_bzero(password, sizeof(password));
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_coordinator = {
        "coordinator",
        "add a coordinator who may read the reports",
        "usage: relais-hub coordinator add --email EMAIL [--db PATH]\n\n"
        "The password (10 characters or more) is read from the terminal, or from\n"
        "RELAIS_HUB_PASSWORD; it is stored hashed with Argon2id. Adding an existing\n"
        "coordinator sets a new password.\n",
        coordinator,
};

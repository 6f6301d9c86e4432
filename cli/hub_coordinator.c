/* hub_coordinator.c: relais-hub coordinator and organisation: who reads the reports, on what. */
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
	        {"org", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *email = NULL, *org = NULL, *verb;
	char password[1024];
	relais_hub *hub = NULL;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:e:o:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'e') {
			email = optarg;
		} else if (c == 'o') {
			org = optarg;
		} else {
			return cli_bad_option("coordinator", c, argv);
		}
	}
	if (argc - optind == 2 && email == NULL) {
		email = argv[optind + 1];
	} else if (argc - optind != 1) {
		return cli_usage("coordinator", "say: coordinator add --email EMAIL [--org NAME]");
	}
	verb = argv[optind];
	if (email == NULL || (strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0)) {
		return cli_usage(
		        "coordinator",
		        "say: coordinator add EMAIL [--org NAME] (or coordinator add --email "
		        "EMAIL), or coordinator remove EMAIL");
	}
	if (strcmp(verb, "remove") == 0) {
		if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
		    relais_hub_coordinator_remove(hub, ctx, email) != 0) {
			status = cli_fail(ctx);
		} else {
			printf("coordinator %s removed\n", email);
		}
		relais_hub_close(hub);
		return status;
	}
	if (cli_password_from("RELAIS_HUB_PASSWORD", NULL, password, sizeof(password)) != 0) {
		cli_error("no password: set RELAIS_HUB_PASSWORD or run on a terminal");
		return EXIT_FAIL;
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_coordinator_add(hub, ctx, email, password, org) != 0) {
		status = cli_fail(ctx);
	} else if (org != NULL) {
		printf("coordinator %s can sign in at /reports and sees %s's learners\n", email,
		       org);
	} else {
		printf("coordinator %s can sign in at /reports (administrator)\n", email);
	}
	explicit_bzero(password, sizeof(password));
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_coordinator = {
        "coordinator",
        "add or remove a coordinator who may read the reports",
        "usage: relais-hub coordinator add EMAIL [--org NAME] [--db PATH]\n"
        "       relais-hub coordinator remove EMAIL [--db PATH]\n\n"
        "The password (10 characters or more) is read from the terminal, or from\n"
        "RELAIS_HUB_PASSWORD; it is stored hashed with Argon2id. With --org the\n"
        "coordinator sees only that organisation's learners; without, an\n"
        "administrator, who sees all and manages coordinators and credentials on\n"
        "the web page. Adding an existing coordinator sets a new password and\n"
        "organisation. --email EMAIL is the older spelling of EMAIL.\n",
        coordinator,
};

static int organisation(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"country", required_argument, NULL, 'c'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *country = NULL;
	relais_hub *hub = NULL;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:c:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'c') {
			country = optarg;
		} else {
			return cli_bad_option("organisation", c, argv);
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "set") != 0 || country == NULL) {
		return cli_usage("organisation", "say: organisation set NAME --country XX");
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_organisation_set(hub, ctx, argv[optind + 1], country) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("organisation %s: country %s\n", argv[optind + 1], country);
	}
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_organisation = {
        "organisation",
        "record an organisation's country, for the reports",
        "usage: relais-hub organisation set NAME --country XX [--db PATH]\n\n"
        "NAME is the organisation as laptops send it (the learner's profile);\n"
        "XX its country, ISO 3166 alpha-2 in capitals (SN, FR). The reports'\n"
        "country filter chooses the organisations of that country. Setting or\n"
        "changing it moves the organisation's quiz counts to the country: on a\n"
        "hub of millions of statements a second or two, while statements that\n"
        "arrive wait.\n",
        organisation,
};

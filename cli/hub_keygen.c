/* hub_keygen.c: relais-hub keygen and hub-key: the key that signs the hub's catalogue. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/hub.h"
#include "relais/publish.h"

static int keygen(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"secret-key", required_argument, NULL, 's'},
	        {"replace", no_argument, NULL, 'r'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *secret = NULL;
	relais_hub *hub = NULL;
	char *pub = NULL;
	int c, replace = 0, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:r", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 's') {
			secret = optarg;
		} else if (c == 'r') {
			replace = 1;
		} else {
			return cli_bad_option("keygen", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("keygen", "unexpected argument '%s'", argv[optind]);
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_key_make(&pub, hub, ctx, secret, cli_password,
	                        (void *)"Password of the secret key: ", replace) != 0) {
		status = cli_fail(ctx);
	} else {
		fputs(pub, stdout);
		fprintf(stderr, "relais-hub: give this public key to laptops: relais trust add-hub "
		                "FILE\n");
	}
	free(pub);
	relais_hub_close(hub);
	return status;
}

static int hub_key(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	relais_hub *hub = NULL;
	char *pub = NULL;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else {
			return cli_bad_option("hub-key", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("hub-key", "unexpected argument '%s'", argv[optind]);
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_key_public(&pub, hub, ctx) != 0) {
		status = cli_fail(ctx);
	} else {
		fputs(pub, stdout);
	}
	free(pub);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_keygen = {
        "keygen",
        "make the key that signs the catalogue of published courses",
        "usage: relais-hub keygen [--secret-key FILE] [--replace] [--db PATH]\n\n"
        "Makes the hub's catalogue key, or takes the one in a minisign secret key\n"
        "FILE (its password from RELAIS_PASSWORD or the terminal), keeps it in the\n"
        "hub database (made readable by its owner only), signs a first catalogue\n"
        "and prints the public key file on standard output: give it to laptops\n"
        "(relais trust add-hub FILE). An existing key is replaced only with\n"
        "--replace; laptops that trust the old key then refuse the catalogue\n"
        "until they are given the new one.\n",
        keygen,
};

const struct command cmd_hub_hub_key = {
        "hub-key",
        "print the catalogue key's public key file",
        "usage: relais-hub hub-key [--db PATH]\n\n"
        "Prints the public key file of the key that signs this hub's catalogue,\n"
        "as keygen did.\n",
        hub_key,
};

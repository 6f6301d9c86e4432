/* install.c: relais install: verify bundles and add them to the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/library.h"

static int install(relais_ctx *ctx, int argc, char **argv)
{
	struct relais_install_result r;
	relais_home *home = NULL;
	int i, status, failed = 0;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", cli_no_options, NULL) != -1) {
		return cli_bad_option("install", '?', argv);
	}
	if (argc - optind < 1) {
		return cli_usage("install", "give at least one bundle");
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	for (i = optind; i < argc; i++) {
		if (relais_library_install(&r, home, ctx, argv[i]) != 0) {
			cli_fail(ctx);
			failed++;
			continue;
		}
		switch (r.outcome) {
		case RELAIS_INSTALLED:
			printf("%s: installed %s version %llu\n", argv[i], r.id,
			       (unsigned long long)r.version);
			break;
		case RELAIS_UPGRADED:
			printf("%s: upgraded %s from version %llu to %llu\n", argv[i], r.id,
			       (unsigned long long)r.old_version, (unsigned long long)r.version);
			break;
		default:
			printf("%s: %s version %llu is already installed\n", argv[i], r.id,
			       (unsigned long long)r.version);
			break;
		}
	}
	relais_home_close(home);
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* Prints each learner's progress in one course, indented. */

const struct command cmd_install = {
        "install",
        "verify bundles and add them to the library",
        "usage: relais install BUNDLE...\n"
        "\n"
        "Checks each bundle's signature against the trusted publishers and every\n"
        "byte of it, then adds it to the library. A lower version than the one\n"
        "installed is refused; the same version changes nothing; a higher version\n"
        "replaces the old one and keeps learners' progress on units that remain.\n",
        install,
};

/* install.c: relais install: verify bundles and add them to the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/delta.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/library.h"

/* Prints what one install did. */
static void report(const char *shown, const struct relais_install_result *r)
{
	switch (r->outcome) {
	case RELAIS_INSTALLED:
		printf("%s: installed %s version %llu\n", shown, r->id,
		       (unsigned long long)r->version);
		break;
	case RELAIS_UPGRADED:
		printf("%s: upgraded %s from version %llu to %llu\n", shown, r->id,
		       (unsigned long long)r->old_version, (unsigned long long)r->version);
		break;
	default:
		printf("%s: %s version %llu is already installed\n", shown, r->id,
		       (unsigned long long)r->version);
		break;
	}
}

static int install(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"delta", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_install_result r;
	relais_home *home = NULL;
	const char *delta = NULL;
	int i, c, status, failed = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c != 'd') {
			return cli_bad_option("install", c, argv);
		}
		delta = optarg;
	}
	if (delta != NULL && argc - optind > 0) {
		return cli_usage("install", "give either bundles or --delta FILE, not both");
	}
	if (delta == NULL && argc - optind < 1) {
		return cli_usage("install", "give at least one bundle");
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	if (delta != NULL) {
		if (relais_delta_install(&r, home, ctx, delta) != 0) {
			status = cli_fail(ctx);
		} else {
			report(delta, &r);
		}
		relais_home_close(home);
		return status;
	}
	for (i = optind; i < argc; i++) {
		if (relais_library_install(&r, home, ctx, argv[i]) != 0) {
			cli_fail(ctx);
			failed++;
			continue;
		}
		report(argv[i], &r);
	}
	relais_home_close(home);
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* Prints each learner's progress in one course, indented. */

const struct command cmd_install = {
        "install",
        "verify bundles and add them to the library",
        "usage: relais install BUNDLE...\n"
        "       relais install --delta FILE\n"
        "\n"
        "Checks each bundle's signature against the trusted publishers and every\n"
        "byte of it, then adds it to the library. A lower version than the one\n"
        "installed is refused; the same version changes nothing; a higher version\n"
        "replaces the old one and keeps learners' progress on units that remain.\n"
        "A key a hub revoked installs nothing new. A bundle signed by a new key\n"
        "is accepted when it carries a key rotation record (relais pack --rotation)\n"
        "from a trusted key; the new key is then trusted too.\n"
        "\n"
        "With --delta FILE (made by 'relais delta'), rebuilds the newer version of\n"
        "an installed course from the installed bundle and FILE, byte for byte,\n"
        "then installs it the same way. The installed version must be the one\n"
        "the delta was made from; on any failure nothing changes.\n"
        "\n"
        "Options:\n"
        "  --delta FILE  update an installed course with a delta\n",
        install,
};

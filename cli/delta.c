/* delta.c: relais delta: write the delta that turns one version of a bundle into the next. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"
#include "relais/delta.h"

static int delta(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"output", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_delta_info info;
	const char *out = NULL;
	struct stat st;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		if (c != 'o') {
			return cli_bad_option("delta", c, argv);
		}
		out = optarg;
	}
	if (argc - optind != 2) {
		return cli_usage("delta", "give the old and the new bundle");
	}
	if (out == NULL) {
		return cli_usage("delta", "-o FILE is required");
	}
	if (relais_delta_build(&info, ctx, argv[optind], argv[optind + 1], out) != 0) {
		return cli_fail(ctx);
	}
	if (stat(out, &st) != 0) {
		cli_error("%s: written, but cannot be read back", out);
		return EXIT_FAIL;
	}
	printf("%s: %lld bytes, %.2f%% of %s\n", out, (long long)st.st_size,
	       info.to_size ? 100.0 * (double)st.st_size / (double)info.to_size : 0.0,
	       argv[optind + 1]);
	return EXIT_OK;
}

const struct command cmd_delta = {
        "delta",
        "write a delta from one version of a bundle to a newer one",
        "usage: relais delta OLD.relais NEW.relais -o FILE\n"
        "\n"
        "Writes FILE, a delta that rebuilds NEW byte for byte from OLD: the new\n"
        "signed manifest, the entries that changed, and for the rest where to\n"
        "copy them from in OLD. Both bundles must check out entry by entry, be\n"
        "the same course, be signed by the same key, and NEW must be newer.\n"
        "A laptop that holds OLD applies it with 'relais install --delta FILE'.\n"
        "\n"
        "Options:\n"
        "  -o, --output FILE  where to write the delta (required)\n",
        delta,
};

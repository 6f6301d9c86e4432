/* verify.c: relais verify: check a bundle's signature and every entry's hash. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/bundle.h"
#include "relais/key.h"

static int verify(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"public-key", required_argument, NULL, 'p'},
	        {NULL, 0, NULL, 0},
	};
	const char *pub_path = NULL;
	relais_bundle *b = NULL;
	relais_pubkey *pub = NULL;
	const relais_manifest *m;
	int c, status = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:", opts, NULL)) != -1) {
		if (c != 'p') {
			return cli_bad_option("verify", c, argv);
		}
		pub_path = optarg;
	}
	if (argc - optind != 1) {
		return cli_usage("verify", "give exactly one bundle");
	}
	if (pub_path == NULL) {
		return cli_usage("verify", "--public-key is required");
	}
	if (relais_pubkey_load(&pub, ctx, pub_path) != 0 ||
	    relais_bundle_open(&b, ctx, argv[optind], pub) != 0 ||
	    relais_bundle_verify_all(ctx, b, 2) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	m = relais_bundle_manifest(b);
	printf("%s: ok: %s version %llu, %zu entries, signed by key %s\n", argv[optind], m->id,
	       (unsigned long long)m->version, m->n_entries + 2, relais_bundle_signer(b));
	status = EXIT_OK;
out:
	relais_bundle_free(b);
	relais_pubkey_free(pub);
	return status;
}

const struct command cmd_verify = {
        "verify",
        "check a bundle's signature and every byte of it",
        "usage: relais verify BUNDLE --public-key PUB\n"
        "\n"
        "Checks that BUNDLE was signed by PUB's key and that every entry matches the\n"
        "manifest's size and SHA-256. Prints one line and exits 0 when all is well;\n"
        "otherwise exits 1 naming the entry or field that failed.\n"
        "\n"
        "  -p, --public-key PUB  the publisher's minisign public key\n",
        verify,
};

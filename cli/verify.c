/* verify.c: `relais verify` and `relais inspect`: check or show a bundle. */
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

static int inspect(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'J'},
	        {NULL, 0, NULL, 0},
	};
	relais_bundle *b = NULL;
	const relais_manifest *m;
	char *json = NULL, human[32];
	int c, as_json = 0, status = EXIT_FAIL;
	size_t i;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":J", opts, NULL)) != -1) {
		if (c != 'J') {
			return cli_bad_option("inspect", c, argv);
		}
		as_json = 1;
	}
	if (argc - optind != 1) {
		return cli_usage("inspect", "give exactly one bundle");
	}
	if (relais_bundle_open(&b, ctx, argv[optind], NULL) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	m = relais_bundle_manifest(b);
	if (as_json) {
		if (relais_manifest_to_pretty_json(&json, ctx, m) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("%s\n", json);
		status = EXIT_OK;
		goto out;
	}
	printf("course:    %s\n", m->id);
	printf("version:   %llu\n", (unsigned long long)m->version);
	printf("title:     %s\n", m->title);
	printf("language:  %s\n", m->language);
	if (m->summary[0]) {
		printf("summary:   %s\n", m->summary);
	}
	for (i = 0; i < m->n_authors; i++) {
		printf("author:    %s\n", m->authors[i]);
	}
	if (m->estimated_minutes) {
		printf("time:      about %u minutes\n", m->estimated_minutes);
	}
	printf("signed by: key %s (not checked: use relais verify)\n", relais_bundle_signer(b));
	printf("\nunits:\n");
	for (i = 0; i < m->n_units; i++) {
		const struct relais_unit *u = &m->units[i];
		if (u->kind == RELAIS_UNIT_QUIZ) {
			printf("  %2zu. quiz    %-20s %s (pass at %d%%)\n", i + 1, u->id, u->title,
			       u->pass_percent);
		} else {
			printf("  %2zu. lesson  %-20s %s\n", i + 1, u->id, u->title);
		}
	}
	printf("\nentries:\n");
	for (i = 0; i < m->n_entries; i++) {
		cli_human_size(human, sizeof(human), m->entries[i].size);
		printf("  %-40s %12s\n", m->entries[i].path, human);
	}
	status = EXIT_OK;
out:
	free(json);
	relais_bundle_free(b);
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

const struct command cmd_inspect = {
        "inspect",
        "show what a bundle holds",
        "usage: relais inspect BUNDLE [--json]\n"
        "\n"
        "Prints the bundle's manifest: course, version, units and entries. The\n"
        "signature is not checked; use relais verify for that.\n"
        "\n"
        "  --json  print the manifest as JSON\n",
        inspect,
};

/* verify.c: relais verify: check a bundle's signature and every entry's hash. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/bundle.h"
#include "relais/html.h"
#include "relais/key.h"

/*
 * Lessons whose HTML holds what the reader removes (forms, scripts,
 * javascript: links...): one line each on stderr. Returns how many, or a
 * negative status when a lesson cannot be read.
 */
static int lessons_with_markup(relais_ctx *ctx, const relais_bundle *b, const char *shown)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	int found = 0;
	size_t i;

	for (i = 0; i < m->n_units; i++) {
		struct relais_html_report report;
		unsigned char *html = NULL;
		char *kept = NULL;
		size_t len = 0, kept_len = 0;
		int rc;

		if (m->units[i].kind != RELAIS_UNIT_LESSON) {
			continue;
		}
		if ((rc = relais_bundle_read(&html, &len, ctx, b, m->units[i].path)) != 0 ||
		    (rc = relais_html_sanitize(&kept, &kept_len, &report, ctx, (const char *)html,
		                               len)) != 0) {
			free(html);
			return rc;
		}
		if (report.removed > 0) {
			fprintf(stderr,
			        "relais: %s: lesson %s holds %s%s, which the reader removes\n",
			        shown, m->units[i].path, report.first,
			        report.removed > 1 ? " and more" : "");
			found++;
		}
		free(kept);
		free(html);
	}
	return found;
}

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
	if ((c = lessons_with_markup(ctx, b, argv[optind])) != 0) {
		status = c < 0 ? cli_fail(ctx) : EXIT_FAIL;
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
        "otherwise exits 1 naming the entry or field that failed, or each lesson whose\n"
        "HTML holds what the reader removes (forms, scripts, javascript: links...).\n"
        "\n"
        "  -p, --public-key PUB  the publisher's minisign public key\n",
        verify,
};

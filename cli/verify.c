/* verify.c: relais verify: check a bundle's signature and every entry's hash. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/bundle.h"
#include "relais/html.h"
#include "relais/key.h"

/*
 * Lessons and quizzes whose HTML holds what the reader removes (forms,
 * scripts, javascript: links...): one line each on stderr. Returns how
 * many, or a negative status when one cannot be read.
 */
static int units_with_markup(relais_ctx *ctx, const relais_bundle *b, const char *shown)
{
	const relais_manifest *m = relais_bundle_manifest(b);
	int found = 0;
	size_t i;

	for (i = 0; i < m->n_units; i++) {
		const struct relais_unit *u = &m->units[i];
		struct relais_html_report report;
		unsigned char *data = NULL;
		char *kept = NULL, question[48] = "";
		size_t len = 0, kept_len = 0;
		int rc;

		if (u->kind != RELAIS_UNIT_LESSON && u->kind != RELAIS_UNIT_QUIZ) {
			continue;
		}
		if ((rc = relais_bundle_read(&data, &len, ctx, b, u->path)) != 0) {
			return rc;
		}
		rc = u->kind == RELAIS_UNIT_LESSON
		             ? relais_html_sanitize(&kept, &kept_len, &report, ctx,
		                                    (const char *)data, len)
		             : relais_html_sanitize_quiz(&kept, &kept_len, &report, ctx,
		                                         (const char *)data, len);
		free(data);
		free(kept);
		if (rc != 0) {
			return relais_prefix(ctx, "%s", u->path);
		}
		if (report.removed == 0) {
			continue;
		}
		if (report.question > 0) {
			(void)snprintf(question, sizeof(question), " question %zu",
			               report.question);
		}
		fprintf(stderr, "relais: %s: %s %s%s holds %s%s, which the reader removes\n", shown,
		        u->kind == RELAIS_UNIT_LESSON ? "lesson" : "quiz", u->path, question,
		        report.first, report.removed > 1 ? " and more" : "");
		found++;
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
	if ((c = units_with_markup(ctx, b, argv[optind])) != 0) {
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
        "otherwise exits 1 naming the entry or field that failed, or each lesson or\n"
        "quiz whose HTML holds what the reader removes (forms, scripts, javascript:\n"
        "links...).\n"
        "\n"
        "  -p, --public-key PUB  the publisher's minisign public key\n",
        verify,
};

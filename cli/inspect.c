/* inspect.c: relais inspect: what a bundle holds, from its signed manifest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/bundle.h"
#include "relais/key.h"

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

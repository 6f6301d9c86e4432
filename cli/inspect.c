/* inspect.c: relais inspect: what a bundle holds, from its signed manifest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/bundle.h"
#include "relais/key.h"

/* A package unit's launch information: its organisations and what each item launches. */
static void print_package(const struct relais_package *p)
{
	size_t o, k;

	for (o = 0; o < p->n_orgs; o++) {
		const struct relais_package_org *org = &p->orgs[o];
		if (p->standard != RELAIS_PACKAGE_CMI5) {
			printf("        organization %s%s: %s\n", org->id,
			       o == 0 ? " (played)" : "", org->title);
		}
		for (k = 0; k < org->n_items; k++) {
			const struct relais_package_item *it = &org->items[k];
			const char *what = p->standard == RELAIS_PACKAGE_CMI5
			                           ? (it->launch ? "au" : "block")
			                   : it->launch ? (it->sco ? "sco" : "asset")
			                                : "item";
			printf("          %*s%-5s %s: %s\n", (int)(2 * it->level), "", what, it->id,
			       it->title);
			if (it->launch == NULL) {
				continue;
			}
			printf("          %*s      launch %s%s\n", (int)(2 * it->level), "",
			       it->launch, it->parameters);
			if (p->standard == RELAIS_PACKAGE_CMI5) {
				printf("          %*s      moveOn %s, launchMethod %s",
				       (int)(2 * it->level), "",
				       relais_cmi5_move_on_name(it->move_on),
				       relais_cmi5_launch_name(it->launch_method));
				if (it->has_mastery) {
					printf(", masteryScore %g", it->mastery_score);
				}
				printf("\n");
				if (it->launch_parameters[0]) {
					printf("          %*s      launchParameters %s\n",
					       (int)(2 * it->level), "", it->launch_parameters);
				}
				continue;
			}
			if (it->has_mastery) {
				printf("          %*s      %s %g\n", (int)(2 * it->level), "",
				       p->standard == RELAIS_PACKAGE_SCORM12
				               ? "masteryscore"
				               : "scaled passing score",
				       it->mastery_score);
			}
			if (it->has_completion_threshold) {
				printf("          %*s      completion threshold %g\n",
				       (int)(2 * it->level), "", it->completion_threshold);
			}
			if (it->data_from_lms[0]) {
				printf("          %*s      data from LMS %s\n",
				       (int)(2 * it->level), "", it->data_from_lms);
			}
		}
	}
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
		if (u->kind == RELAIS_UNIT_PACKAGE) {
			printf("  %2zu. package %-20s %s (%s, version %s)\n", i + 1, u->id,
			       u->title, relais_package_standard_name(u->package->standard),
			       u->package->version);
			print_package(u->package);
		} else if (u->kind == RELAIS_UNIT_QUIZ) {
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

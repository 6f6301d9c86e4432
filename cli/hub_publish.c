/* hub_publish.c: relais-hub publish and unpublish: courses into and out of the catalogue. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/hub.h"
#include "relais/publish.h"

#define ORGS_MAX 100

static int publish(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"org", required_argument, NULL, 'o'},
	        {"required", no_argument, NULL, 'r'},
	        {"due", required_argument, NULL, 'u'},
	        {"prune", no_argument, NULL, 'p'},
	        {"catalogue-days", required_argument, NULL, 'c'},
	        {"files", required_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *files = NULL, *orgs[ORGS_MAX];
	struct relais_hub_audience aud = {0};
	relais_hub *hub = NULL;
	unsigned long days = 0;
	uint64_t serial = 0;
	size_t removed = 0;
	int c, prune = 0, status = EXIT_OK;
	char *end;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:o:ru:pc:f:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			files = optarg;
		} else if (c == 'o') {
			if (aud.n_orgs == ORGS_MAX) {
				return cli_usage("publish", "at most %d --org", ORGS_MAX);
			}
			orgs[aud.n_orgs++] = optarg;
		} else if (c == 'r') {
			aud.required = 1;
		} else if (c == 'u') {
			aud.due = optarg;
		} else if (c == 'p') {
			prune = 1;
		} else if (c == 'c') {
			days = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || days < 2 || days > 3650) {
				return cli_usage("publish", "--catalogue-days takes 2 to 3650");
			}
		} else {
			return cli_bad_option("publish", c, argv);
		}
	}
	aud.orgs = orgs;
	if (aud.due != NULL && !aud.required) {
		return cli_usage("publish", "--due goes with --required");
	}
	if (optind == argc && !prune && days == 0) {
		return cli_usage("publish", "name at least one bundle");
	}
	if (optind == argc && (aud.n_orgs > 0 || aud.required)) {
		return cli_usage("publish", "--org and --required describe the bundles named");
	}
	if ((status = cli_hub_open_files(&hub, ctx, "publish", db, files)) != EXIT_OK) {
		return status;
	}
	if (days != 0) {
		if (relais_hub_catalogue_days_set(&serial, hub, ctx, (unsigned)days) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("catalogues now live %lu days; catalogue serial %" PRIu64 "\n", days,
		       serial);
	}
	if (optind < argc) {
		if (relais_hub_publish(&serial, hub, ctx, (const char *const *)argv + optind,
		                       (size_t)(argc - optind), &aud) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("published %d bundle%s; catalogue serial %" PRIu64 "\n", argc - optind,
		       argc - optind == 1 ? "" : "s", serial);
	}
	if (prune) {
		if (relais_hub_prune(&removed, hub, ctx) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("pruned %zu file%s\n", removed, removed == 1 ? "" : "s");
	}
out:
	relais_hub_close(hub);
	return status;
}

static int unpublish(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	relais_hub *hub = NULL;
	uint64_t serial = 0;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else {
			return cli_bad_option("unpublish", c, argv);
		}
	}
	if (argc - optind != 1) {
		return cli_usage("unpublish", "name one course id");
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_unpublish(&serial, hub, ctx, argv[optind]) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("%s is no longer in the catalogue; catalogue serial %" PRIu64 "\n",
		       argv[optind], serial);
	}
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_publish = {
        "publish",
        "publish signed bundles in the catalogue laptops download from",
        "usage: relais-hub publish BUNDLE... [--org ORG]... [--required [--due YYYY-MM-DD]]\n"
        "                          [--db PATH] [--files DIR]\n"
        "       relais-hub publish --prune [--db PATH] [--files DIR]\n"
        "       relais-hub publish --catalogue-days N [--db PATH] [--files DIR]\n\n"
        "Checks each bundle (signed by a publisher key of this hub, every entry\n"
        "intact, newer than the version published, its course id not published\n"
        "under another key), stores it in the files folder (DIR/bundles/),\n"
        "builds deltas from up to 3 previous versions and signs a new catalogue.\n"
        "All the bundles named or none: on any refusal nothing changes.\n"
        "  --org ORG          only laptops with a learner of ORG download it\n"
        "                     (repeat; default: everyone)\n"
        "  --required         a required course, --due its date\n"
        "  --prune            remove the files the catalogue no longer needs\n"
        "                     (withdrawn courses, versions older than the last 3)\n"
        "  --catalogue-days N how long a signed catalogue is valid (default 30);\n"
        "                     the hub re-signs it a day before it expires\n" CLI_HUB_FILES_HELP
        "Needs the catalogue key (relais-hub keygen).\n",
        publish,
};

const struct command cmd_hub_unpublish = {
        "unpublish",
        "take a course out of the catalogue",
        "usage: relais-hub unpublish ID [--db PATH]\n\n"
        "Signs a catalogue without course ID. Its files stay served, for laptops\n"
        "in the middle of a download, until 'relais-hub publish --prune'.\n"
        "Laptops keep what they installed. Publishing ID again needs a newer version.\n",
        unpublish,
};

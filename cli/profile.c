/* profile.c: relais profile: the learners who share this laptop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/profile.h"

static int profile(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"email", required_argument, NULL, 'e'},
	        {"org", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *email = NULL, *org = NULL, *sub;
	struct relais_profile *p = NULL;
	relais_home *home = NULL;
	size_t n = 0, i;
	int64_t id;
	int c, status;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:e:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'e':
			email = optarg;
			break;
		case 'o':
			org = optarg;
			break;
		default:
			return cli_bad_option("profile", c, argv);
		}
	}
	if (argc - optind != 1) {
		return cli_usage("profile", "say add or list");
	}
	sub = argv[optind];
	if (strcmp(sub, "add") == 0 && (name == NULL || email == NULL)) {
		return cli_usage("profile", "add needs --name and --email");
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0) {
		return cli_usage("profile", "unknown subcommand '%s'", sub);
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (strcmp(sub, "add") == 0) {
		if (relais_profile_add(&id, home, ctx, name, email, org) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("added learner %lld: %s <%s>\n", (long long)id, name, email);
	} else {
		if (relais_profile_list(&p, &n, home, ctx) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		for (i = 0; i < n; i++) {
			printf("%lld  %s <%s>%s%s\n", (long long)p[i].id, p[i].name, p[i].email,
			       p[i].org[0] ? ", " : "", p[i].org);
		}
		if (n == 0) {
			printf("no learners yet: relais profile add --name NAME --email EMAIL\n");
		}
	}
	status = EXIT_OK;
out:
	relais_profile_list_free(p, n);
	relais_home_close(home);
	return status;
}

const struct command cmd_profile = {
        "profile",
        "add or list the learners who share this laptop",
        "usage: relais profile add --name NAME --email EMAIL [--org ORG]\n"
        "       relais profile list\n"
        "\n"
        "  -n, --name NAME    the learner's name\n"
        "  -e, --email EMAIL  identifies the learner in learning records\n"
        "  -o, --org ORG      the learner's organisation\n",
        profile,
};

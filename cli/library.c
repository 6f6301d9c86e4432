/* library.c: `relais trust|install|list|remove|profile|progress`: the learner's laptop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/progress.h"
#include "relais/trust.h"

static int open_home(relais_home **home, relais_ctx *ctx)
{
	if (relais_home_open(home, ctx, NULL) != 0) {
		return cli_fail(ctx);
	}
	return EXIT_OK;
}

static int trust(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_trusted_key *keys = NULL;
	relais_home *home = NULL;
	const char *name = NULL, *sub;
	char id[RELAIS_KEYID_HEX];
	size_t n = 0, i;
	int c, status;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:", opts, NULL)) != -1) {
		if (c != 'n') {
			return cli_bad_option("trust", c, argv);
		}
		name = optarg;
	}
	if (optind >= argc) {
		return cli_usage("trust", "say add, list or remove");
	}
	sub = argv[optind++];
	if (strcmp(sub, "add") == 0 || strcmp(sub, "remove") == 0) {
		if (argc - optind != 1) {
			return cli_usage("trust", "%s takes exactly one %s", sub,
			                 strcmp(sub, "add") == 0 ? "public key file" : "key id");
		}
	} else if (strcmp(sub, "list") == 0) {
		if (argc != optind) {
			return cli_usage("trust", "list takes no argument");
		}
	} else {
		return cli_usage("trust", "unknown subcommand '%s'", sub);
	}
	if ((status = open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (strcmp(sub, "add") == 0) {
		if (relais_trust_add(home, ctx, argv[optind], name, id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("trusting key %s%s%s\n", id, name ? " as " : "", name ? name : "");
	} else if (strcmp(sub, "remove") == 0) {
		if (relais_trust_remove(home, ctx, argv[optind]) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("no longer trusting key %s\n", argv[optind]);
	} else {
		if (relais_trust_list(&keys, &n, home, ctx) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		for (i = 0; i < n; i++) {
			printf("%s  %s  (added %.10s)\n", keys[i].id, keys[i].name, keys[i].added);
		}
		if (n == 0) {
			printf("no trusted publishers yet: relais trust add PUBLIC_KEY\n");
		}
	}
	status = EXIT_OK;
out:
	relais_trust_list_free(keys, n);
	relais_home_close(home);
	return status;
}

static int install(relais_ctx *ctx, int argc, char **argv)
{
	struct relais_install_result r;
	relais_home *home = NULL;
	int i, status, failed = 0;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", NULL, NULL) != -1) {
		return cli_bad_option("install", '?', argv);
	}
	if (argc - optind < 1) {
		return cli_usage("install", "give at least one bundle");
	}
	if ((status = open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	for (i = optind; i < argc; i++) {
		if (relais_library_install(&r, home, ctx, argv[i]) != 0) {
			cli_fail(ctx);
			failed++;
			continue;
		}
		switch (r.outcome) {
		case RELAIS_INSTALLED:
			printf("%s: installed %s version %llu\n", argv[i], r.id,
			       (unsigned long long)r.version);
			break;
		case RELAIS_UPGRADED:
			printf("%s: upgraded %s from version %llu to %llu\n", argv[i], r.id,
			       (unsigned long long)r.old_version, (unsigned long long)r.version);
			break;
		default:
			printf("%s: %s version %llu is already installed\n", argv[i], r.id,
			       (unsigned long long)r.version);
			break;
		}
	}
	relais_home_close(home);
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* Prints each learner's progress in one course, indented. */
static int print_course_progress(relais_home *home, relais_ctx *ctx, const struct relais_profile *p,
                                 size_t np, const char *course_id)
{
	struct relais_course_progress cp;
	size_t i;

	for (i = 0; i < np; i++) {
		if (relais_progress_get(&cp, home, ctx, p[i].id, course_id) != 0) {
			return -1;
		}
		if (cp.done > 0 || cp.completed) {
			printf("    %-24s %u/%u units%s\n", p[i].name, cp.done, cp.total,
			       cp.completed ? ", completed" : "");
		}
		relais_course_progress_clear(&cp);
	}
	return 0;
}

static int list(relais_ctx *ctx, int argc, char **argv)
{
	struct relais_course_info *courses = NULL;
	struct relais_profile *profiles = NULL;
	relais_home *home = NULL;
	size_t n = 0, np = 0, i;
	int status;

	if (argc > 1) {
		return cli_usage("list", "list takes no argument");
	}
	if ((status = open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (relais_library_list(&courses, &n, home, ctx) != 0 ||
	    relais_profile_list(&profiles, &np, home, ctx) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (n == 0) {
		printf("no courses installed: relais install BUNDLE\n");
	}
	for (i = 0; i < n; i++) {
		printf("%s  version %llu  %s  [%s, %u units, key %s]\n", courses[i].id,
		       (unsigned long long)courses[i].version, courses[i].title,
		       courses[i].language, courses[i].n_units, courses[i].signer);
		if (print_course_progress(home, ctx, profiles, np, courses[i].id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
	}
	status = EXIT_OK;
out:
	relais_course_info_free(courses, n);
	relais_profile_list_free(profiles, np);
	relais_home_close(home);
	return status;
}

static int remove_course(relais_ctx *ctx, int argc, char **argv)
{
	relais_home *home = NULL;
	int status;

	if (argc != 2 || argv[1][0] == '-') {
		return cli_usage("remove", "give exactly one course id");
	}
	if ((status = open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	if (relais_library_remove(home, ctx, argv[1]) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("removed %s\n", argv[1]);
	}
	relais_home_close(home);
	return status;
}

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
	if ((status = open_home(&home, ctx)) != EXIT_OK) {
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

static int progress(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'J'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_course_info *courses = NULL;
	struct relais_profile *p = NULL;
	relais_home *home = NULL;
	cJSON *root = NULL;
	size_t n = 0, np = 0, i, k, u;
	int c, as_json = 0, status;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":J", opts, NULL)) != -1) {
		if (c != 'J') {
			return cli_bad_option("progress", c, argv);
		}
		as_json = 1;
	}
	if (optind != argc) {
		return cli_usage("progress", "unexpected argument '%s'", argv[optind]);
	}
	if ((status = open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (relais_library_list(&courses, &n, home, ctx) != 0 ||
	    relais_profile_list(&p, &np, home, ctx) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	root = cJSON_CreateArray();
	for (i = 0; i < np; i++) {
		cJSON *jp = cJSON_CreateObject(), *jcourses;
		cJSON_AddStringToObject(jp, "name", p[i].name);
		cJSON_AddStringToObject(jp, "email", p[i].email);
		cJSON_AddStringToObject(jp, "org", p[i].org);
		jcourses = cJSON_AddArrayToObject(jp, "courses");
		cJSON_AddItemToArray(root, jp);
		if (!as_json) {
			printf("%s <%s>\n", p[i].name, p[i].email);
		}
		for (k = 0; k < n; k++) {
			struct relais_course_progress cp;
			cJSON *jc, *units;
			if (relais_progress_get(&cp, home, ctx, p[i].id, courses[k].id) != 0) {
				status = cli_fail(ctx);
				goto out;
			}
			jc = cJSON_CreateObject();
			cJSON_AddStringToObject(jc, "id", courses[k].id);
			cJSON_AddNumberToObject(jc, "version", (double)courses[k].version);
			cJSON_AddNumberToObject(jc, "done", cp.done);
			cJSON_AddNumberToObject(jc, "total", cp.total);
			cJSON_AddBoolToObject(jc, "completed", cp.completed);
			units = cJSON_AddArrayToObject(jc, "units");
			for (u = 0; u < cp.n_units; u++) {
				static const char *const states[] = {"new", "seen", "done"};
				cJSON *ju = cJSON_CreateObject();
				cJSON_AddStringToObject(ju, "id", cp.units[u].unit_id);
				cJSON_AddStringToObject(ju, "state", states[cp.units[u].state]);
				if (cp.units[u].attempts > 0) {
					cJSON_AddNumberToObject(ju, "attempts",
					                        cp.units[u].attempts);
					cJSON_AddNumberToObject(ju, "best_percent",
					                        cp.units[u].best_percent);
				}
				cJSON_AddItemToArray(units, ju);
			}
			cJSON_AddItemToArray(jcourses, jc);
			if (!as_json) {
				printf("  %-28s %u/%u units%s\n", courses[k].id, cp.done, cp.total,
				       cp.completed ? ", completed" : "");
			}
			relais_course_progress_clear(&cp);
		}
	}
	if (as_json) {
		char *text = cJSON_Print(root);
		if (text == NULL) {
			cli_error("out of memory");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	} else if (np == 0) {
		printf("no learners yet: relais profile add --name NAME --email EMAIL\n");
	}
	status = EXIT_OK;
out:
	cJSON_Delete(root);
	relais_course_info_free(courses, n);
	relais_profile_list_free(p, np);
	relais_home_close(home);
	return status;
}

const struct command cmd_trust = {
        "trust",
        "choose the publishers whose bundles this laptop accepts",
        "usage: relais trust add PUBLIC_KEY [--name NAME]\n"
        "       relais trust list\n"
        "       relais trust remove KEYID\n"
        "\n"
        "Bundles are installed only when signed by a trusted publisher's key\n"
        "(a minisign public key file, as made by relais keygen or minisign -G).\n"
        "\n"
        "  -n, --name NAME  a name to show for the publisher\n"
        "\n"
        "The home folder is $RELAIS_HOME, else $XDG_DATA_HOME/relais, else\n"
        "~/.local/share/relais.\n",
        trust,
};

const struct command cmd_install = {
        "install",
        "verify bundles and add them to the library",
        "usage: relais install BUNDLE...\n"
        "\n"
        "Checks each bundle's signature against the trusted publishers and every\n"
        "byte of it, then adds it to the library. A lower version than the one\n"
        "installed is refused; the same version changes nothing; a higher version\n"
        "replaces the old one and keeps learners' progress on units that remain.\n",
        install,
};

const struct command cmd_list = {
        "list",
        "show installed courses and each learner's progress",
        "usage: relais list\n",
        list,
};

const struct command cmd_remove = {
        "remove",
        "remove an installed course",
        "usage: relais remove COURSE_ID\n"
        "\n"
        "Removes the course, its bundle and learners' progress in it. Learning\n"
        "records already made stay in the outbox until they are sent.\n",
        remove_course,
};

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

const struct command cmd_progress = {
        "progress",
        "print each learner's progress per course",
        "usage: relais progress [--json]\n"
        "\n"
        "  --json  print as JSON\n",
        progress,
};

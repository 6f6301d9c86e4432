/* profile.c: relais profile: the learners who share this laptop, and their PINs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/profile.h"

/* The learner named by an email address or a number (as `list` shows them). */
static int find(int64_t *id, const struct relais_profile *p, size_t n, const char *who)
{
	char *end;
	long long num = strtoll(who, &end, 10);
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcasecmp(p[i].email, who) == 0 || (*end == '\0' && p[i].id == num)) {
			*id = p[i].id;
			return 0;
		}
	}
	cli_error("no learner %s on this laptop (see relais profile list)", who);
	return EXIT_FAIL;
}

/* Reads a PIN for name from RELAIS_PIN or the terminal into pin; says missing when none comes. */
static int read_pin(char pin[RELAIS_PIN_MAX + 2], const char *name, const char *missing,
                    const char *empty)
{
	char prompt[300];

	(void)snprintf(prompt, sizeof(prompt), "PIN for %s: ", name);
	if (cli_password_from("RELAIS_PIN", prompt, pin, RELAIS_PIN_MAX + 2) != 0) {
		cli_error("%s", missing);
		return EXIT_FAIL;
	}
	if (pin[0] == '\0') {
		cli_error("%s", empty);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Reads a PIN from RELAIS_PIN or the terminal, and sets it. */
static int set_pin(relais_home *home, relais_ctx *ctx, int64_t id, const char *name)
{
	char pin[RELAIS_PIN_MAX + 2];
	int rc;

	if (read_pin(pin, name, "give the PIN in RELAIS_PIN or type it at a terminal",
	             "the PIN is empty; to remove one, say relais profile pin WHO --none") !=
	    EXIT_OK) {
		return EXIT_FAIL;
	}
	rc = relais_profile_set_pin(home, ctx, id, pin);
	sodium_memzero(pin, sizeof(pin));
	return rc != 0 ? cli_fail(ctx) : EXIT_OK;
}

/* Adds a trainer, whose PIN is required: asked first, so that nothing is added without it. */
static int add_trainer(relais_home *home, relais_ctx *ctx, int64_t *id, const char *name,
                       const char *email, const char *org)
{
	char pin[RELAIS_PIN_MAX + 2];
	int rc;

	static const char need[] =
	        "a trainer needs a PIN: give it in RELAIS_PIN or type it at a terminal";

	if (read_pin(pin, name, need, need) != EXIT_OK) {
		return EXIT_FAIL;
	}
	rc = relais_profile_add_trainer(id, home, ctx, name, email, org, pin);
	sodium_memzero(pin, sizeof(pin));
	return rc != 0 ? cli_fail(ctx) : EXIT_OK;
}

static int profile(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {"email", required_argument, NULL, 'e'},
	        {"org", required_argument, NULL, 'o'},
	        {"pin", no_argument, NULL, 'P'},
	        {"none", no_argument, NULL, 'N'},
	        {"trainer", no_argument, NULL, 'T'},
	        {NULL, 0, NULL, 0},
	};
	const char *name = NULL, *email = NULL, *org = NULL, *sub, *who = NULL;
	struct relais_profile *p = NULL;
	relais_home *home = NULL;
	size_t n = 0, i;
	int64_t id = 0;
	int c, status, with_pin = 0, no_pin = 0, trainer = 0, want;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:e:o:PNT", opts, NULL)) != -1) {
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
		case 'P':
			with_pin = 1;
			break;
		case 'N':
			no_pin = 1;
			break;
		case 'T':
			trainer = 1;
			break;
		default:
			return cli_bad_option("profile", c, argv);
		}
	}
	if (argc - optind < 1) {
		return cli_usage("profile", "say add, list, pin or remove");
	}
	sub = argv[optind];
	want = strcmp(sub, "pin") == 0 || strcmp(sub, "remove") == 0 ? 2 : 1;
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && want == 1) {
		return cli_usage("profile", "unknown subcommand '%s'", sub);
	}
	if (argc - optind != want) {
		return want == 2
		               ? cli_usage("profile", "%s needs one learner's email", sub)
		               : cli_usage("profile", "unexpected argument '%s'", argv[optind + 1]);
	}
	who = want == 2 ? argv[optind + 1] : NULL;
	if (strcmp(sub, "add") == 0 && (name == NULL || email == NULL)) {
		return cli_usage("profile", "add needs --name and --email");
	}
	if (((with_pin || trainer) && strcmp(sub, "add") != 0) ||
	    (no_pin && strcmp(sub, "pin") != 0)) {
		return cli_usage("profile", "%s is for %s only",
		                 with_pin  ? "--pin"
		                 : trainer ? "--trainer"
		                           : "--none",
		                 no_pin ? "pin" : "add");
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (relais_profile_list(&p, &n, home, ctx) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (strcmp(sub, "add") == 0 && trainer) {
		if ((status = add_trainer(home, ctx, &id, name, email, org)) != EXIT_OK) {
			goto out;
		}
		printf("added trainer %lld: %s <%s>, with a PIN\n", (long long)id, name, email);
	} else if (strcmp(sub, "add") == 0) {
		if (relais_profile_add(&id, home, ctx, name, email, org) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		if (with_pin && (status = set_pin(home, ctx, id, name)) != EXIT_OK) {
			(void)relais_profile_remove(home, ctx, id); /* all or nothing */
			goto out;
		}
		printf("added learner %lld: %s <%s>%s\n", (long long)id, name, email,
		       with_pin ? ", with a PIN" : "");
	} else if (strcmp(sub, "list") == 0) {
		for (i = 0; i < n; i++) {
			printf("%lld  %s <%s>%s%s%s%s\n", (long long)p[i].id, p[i].name, p[i].email,
			       p[i].org[0] ? ", " : "", p[i].org, p[i].has_pin ? "  [PIN]" : "",
			       p[i].trainer ? "  [trainer]" : "");
		}
		if (n == 0) {
			printf("no learners yet: relais profile add --name NAME --email EMAIL\n");
		}
	} else if ((status = find(&id, p, n, who)) != EXIT_OK) {
		goto out;
	} else if (strcmp(sub, "remove") == 0) {
		if (relais_profile_remove(home, ctx, id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("removed learner %s and their progress; their records not yet sent stay "
		       "in the outbox\n",
		       who);
	} else if (no_pin) {
		if (relais_profile_set_pin(home, ctx, id, NULL) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("%s no longer needs a PIN\n", who);
	} else {
		for (i = 0; i < n && p[i].id != id; i++) {
		}
		if ((status = set_pin(home, ctx, id, p[i].name)) != EXIT_OK) {
			goto out;
		}
		printf("%s now needs their PIN to study on this laptop\n", who);
	}
	status = EXIT_OK;
out:
	relais_profile_list_free(p, n);
	relais_home_close(home);
	return status;
}

const struct command cmd_profile = {
        "profile",
        "add, list or remove the learners who share this laptop; set their PINs",
        "usage: relais profile add --name NAME --email EMAIL [--org ORG] [--pin | --trainer]\n"
        "       relais profile list\n"
        "       relais profile pin WHO [--none]\n"
        "       relais profile remove WHO\n"
        "\n"
        "Colleagues who share a laptop each choose their name in the reader. A\n"
        "learner with a PIN must type it to be chosen, and each learner sees only\n"
        "their own records. WHO is a learner's email or number (see list).\n"
        "\n"
        "  -n, --name NAME    the learner's name\n"
        "  -e, --email EMAIL  identifies the learner in learning records\n"
        "  -o, --org ORG      the learner's organisation\n"
        "  -P, --pin          add: ask for a PIN (or read RELAIS_PIN)\n"
        "  -N, --none         pin: remove the learner's PIN\n"
        "  -T, --trainer      add: a trainer's profile, which takes attendance at live\n"
        "                     sessions in the reader; its PIN is required (asked, or\n"
        "                     read from RELAIS_PIN) and cannot be removed\n"
        "\n"
        "pin sets a new PIN (asked, or read from RELAIS_PIN), at least 4 characters.\n"
        "remove deletes the learner and their progress; their learning records not\n"
        "yet sent stay in the outbox and are sent as usual.\n",
        profile,
};

/* trust.c: relais trust: the publishers whose bundles this laptop accepts, and the hubs whose
 * catalogues it reads. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/trust.h"

static int trust(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"name", required_argument, NULL, 'n'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_trusted_key *keys = NULL;
	struct relais_hub_key *hubs = NULL;
	relais_home *home = NULL;
	const char *name = NULL, *sub;
	char id[RELAIS_KEYID_HEX];
	size_t n = 0, n_hubs = 0, i;
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
		return cli_usage("trust", "say add, add-hub, list or remove");
	}
	sub = argv[optind++];
	if (strcmp(sub, "add") == 0 || strcmp(sub, "add-hub") == 0 || strcmp(sub, "remove") == 0) {
		if (argc - optind != 1) {
			return cli_usage("trust", "%s takes exactly one %s", sub,
			                 strcmp(sub, "remove") != 0 ? "public key file" : "key id");
		}
	} else if (strcmp(sub, "list") == 0) {
		if (argc != optind) {
			return cli_usage("trust", "list takes no argument");
		}
	} else {
		return cli_usage("trust", "unknown subcommand '%s'", sub);
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (strcmp(sub, "add") == 0) {
		if (relais_trust_add(home, ctx, argv[optind], name, id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("trusting key %s%s%s\n", id, name ? " as " : "", name ? name : "");
	} else if (strcmp(sub, "add-hub") == 0) {
		if (relais_trust_add_hub(home, ctx, argv[optind], name, id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("trusting hub key %s%s%s for catalogues\n", id, name ? " as " : "",
		       name ? name : "");
	} else if (strcmp(sub, "remove") == 0) {
		if (relais_trust_remove(home, ctx, argv[optind]) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("no longer trusting key %s\n", argv[optind]);
	} else {
		if (relais_trust_list(&keys, &n, home, ctx) != 0 ||
		    relais_trust_list_hubs(&hubs, &n_hubs, home, ctx) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		for (i = 0; i < n; i++) {
			printf("%s  publisher  %s  (added %.10s)\n", keys[i].id, keys[i].name,
			       keys[i].added);
		}
		/* What changed the keys: rotations taken, revocations seen. */
		for (i = 0; i < n; i++) {
			if (keys[i].rotated != NULL) {
				printf("%s rotated to %s on %.10s\n", keys[i].id,
				       keys[i].rotated_to, keys[i].rotated);
			}
			if (keys[i].revoked != NULL) {
				printf("%s revoked on %.10s%s%s: installed courses kept, nothing "
				       "new "
				       "installed\n",
				       keys[i].id, keys[i].revoked,
				       keys[i].revoked_reason[0] ? ": " : "",
				       keys[i].revoked_reason);
			}
		}
		for (i = 0; i < n_hubs; i++) {
			printf("%s  hub  %s  (added %.10s", hubs[i].id, hubs[i].name,
			       hubs[i].added);
			if (hubs[i].serial > 0) {
				printf("; catalogue serial %llu accepted %.10s",
				       (unsigned long long)hubs[i].serial, hubs[i].accepted);
			}
			printf(")\n");
		}
		if (n == 0) {
			printf("no trusted publishers yet: relais trust add PUBLIC_KEY\n");
		}
	}
	status = EXIT_OK;
out:
	relais_trust_list_free(keys, n);
	relais_trust_hub_list_free(hubs, n_hubs);
	relais_home_close(home);
	return status;
}

const struct command cmd_trust = {
        "trust",
        "choose the publishers whose bundles this laptop accepts",
        "usage: relais trust add PUBLIC_KEY [--name NAME]\n"
        "       relais trust add-hub PUBLIC_KEY [--name NAME]\n"
        "       relais trust list\n"
        "       relais trust remove KEYID\n"
        "\n"
        "Bundles are installed only when signed by a trusted publisher's key\n"
        "(a minisign public key file, as made by relais keygen or minisign -G).\n"
        "A hub key (relais-hub keygen) signs the hub's catalogue of courses:\n"
        "add-hub trusts it to say what exists, never a bundle's content. A key is\n"
        "a publisher's or a hub's, never both; remove works for either.\n"
        "list also shows the key rotations taken (KEY rotated to KEY2 on DATE)\n"
        "and the keys a hub revoked (KEY revoked on DATE).\n"
        "\n"
        "  -n, --name NAME  a name to show for the publisher or hub\n"
        "\n"
        "The home folder is $RELAIS_HOME, else $XDG_DATA_HOME/relais, else\n"
        "~/.local/share/relais.\n",
        trust,
};

/* hub_publisher.c: relais-hub publisher: the keys whose bundles this hub distributes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/hub.h"
#include "relais/publish.h"
#include "relais/rotation.h"

static int publisher(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {"reason", required_argument, NULL, 'r'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *name = NULL, *reason = NULL, *verb;
	char id[RELAIS_KEYID_HEX], new_id[RELAIS_KEYID_HEX], *text = NULL, *list = NULL;
	relais_hub *hub = NULL;
	size_t len = 0, listed = 0;
	int c, n, rc, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:r:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'n') {
			name = optarg;
		} else if (c == 'r') {
			reason = optarg;
		} else {
			return cli_bad_option("publisher", c, argv);
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "";
	if (!((strcmp(verb, "add") == 0 && n == 2) || (strcmp(verb, "list") == 0 && n == 1) ||
	      (strcmp(verb, "remove") == 0 && n == 2) || (strcmp(verb, "rotate") == 0 && n == 2) ||
	      (strcmp(verb, "revoke") == 0 && n == 2)) ||
	    (name != NULL && strcmp(verb, "add") != 0 && strcmp(verb, "rotate") != 0) ||
	    (reason != NULL && strcmp(verb, "revoke") != 0)) {
		return cli_usage("publisher", "say: publisher add PUBFILE [--name NAME], list, "
		                              "remove KEYID, rotate FILE [--name NAME] or revoke "
		                              "KEYID [--reason TEXT]");
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0) {
		return cli_fail(ctx);
	}
	if (strcmp(verb, "add") == 0) {
		rc = relais_file_read(&text, &len, ctx, argv[optind + 1], 4096);
		if (rc == 0) {
			rc = relais_hub_publisher_add(id, hub, ctx, text, len, name);
		}
		if (rc == 0) {
			printf("publisher key %s added\n", id);
		}
	} else if (strcmp(verb, "list") == 0) {
		rc = relais_hub_publisher_list(&list, hub, ctx);
		if (rc == 0) {
			fputs(list, stdout);
		}
	} else if (strcmp(verb, "rotate") == 0) {
		rc = relais_file_read(&text, &len, ctx, argv[optind + 1],
		                      RELAIS_ROTATION_MAX_BYTES + 1);
		if (rc == RELAIS_ELIMIT) {
			rc = relais_fail(ctx, rc, "%s: too large for a key rotation record",
			                 argv[optind + 1]);
		}
		if (rc == 0) {
			rc = relais_hub_publisher_rotate(id, new_id, hub, ctx, text, len,
			                                 argv[optind + 1], name);
		}
		if (rc == 0) {
			printf("publisher key %s succeeds %s: it may update %s's courses, and the "
			       "catalogue carries the record\n",
			       new_id, id, id);
		}
	} else if (strcmp(verb, "revoke") == 0) {
		rc = relais_hub_publisher_revoke(&listed, hub, ctx, argv[optind + 1], reason);
		if (rc == 0) {
			printf("publisher key %s revoked: it may no longer publish; %zu course%s "
			       "it "
			       "signed stay%s listed, and laptops mark them\n",
			       argv[optind + 1], listed, listed == 1 ? "" : "s",
			       listed == 1 ? "s" : "");
		}
	} else {
		rc = relais_hub_publisher_remove(hub, ctx, argv[optind + 1]);
		if (rc == 0) {
			printf("publisher key %s removed\n", argv[optind + 1]);
		}
	}
	if (rc != 0) {
		status = cli_fail(ctx);
	}
	free(text);
	free(list);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_publisher = {
        "publisher",
        "the keys whose courses this hub distributes: add, rotate, revoke",
        "usage: relais-hub publisher add PUBFILE [--name NAME] [--db PATH]\n"
        "       relais-hub publisher list [--db PATH]\n"
        "       relais-hub publisher remove KEYID [--db PATH]\n"
        "       relais-hub publisher rotate FILE [--name NAME] [--db PATH]\n"
        "       relais-hub publisher revoke KEYID [--reason TEXT] [--db PATH]\n\n"
        "add takes a minisign public key file (relais keygen makes them): bundles\n"
        "it signed may then be published. The catalogue lists the publishers by\n"
        "key id and NAME (default: the key id). remove refuses while the catalogue\n"
        "lists courses the key signed: unpublish them first. Laptops still install\n"
        "a course only when they trust its publisher's key themselves.\n\n"
        "rotate takes a key rotation record (relais key rotate) signed by a\n"
        "publisher's key: its new key becomes a publisher (named as the old one\n"
        "unless --name) that may update the old key's courses, and the catalogue\n"
        "carries the record so that laptops trusting the old key accept the new.\n"
        "revoke lists a key in the catalogue as revoked, for good: it may no\n"
        "longer publish, laptops stop trusting it, and the courses it signed stay\n"
        "listed (laptops keep them, marked). list shows rotations and revocations.\n",
        publisher,
};

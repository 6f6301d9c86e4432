/* hub_credentials.c: relais-hub credentials: make, list and revoke credentials; register laptop
 * keys. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/fsutil.h"
#include "relais/hub.h"
#include "relais/key.h"

static int add_laptop_key(relais_hub *hub, relais_ctx *ctx, const char *key, const char *pubfile)
{
	relais_pubkey *pub = NULL;
	char *text = NULL, id[RELAIS_KEYID_HEX];
	size_t len = 0;
	int rc;

	if ((rc = relais_pubkey_load(&pub, ctx, pubfile)) != 0 ||
	    (rc = relais_file_read(&text, &len, ctx, pubfile, 1024)) != 0 ||
	    (rc = relais_hub_laptop_key_add(hub, ctx, key, text, len)) != 0) {
		goto out;
	}
	relais_pubkey_id(pub, id);
	printf("laptop key %s registered to credential %s\n", id, key);
out:
	free(text);
	relais_pubkey_free(pub);
	return rc;
}
static int credentials(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {"scope", required_argument, NULL, 's'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *name = NULL, *scope = NULL, *verb;
	char key[RELAIS_HUB_KEY_HEX], secret[RELAIS_HUB_SECRET_HEX], *list = NULL;
	char scopes_text[RELAIS_HUB_SCOPES_TEXT];
	unsigned scopes = RELAIS_HUB_SCOPES_LAPTOP;
	relais_hub *hub = NULL;
	int c, n, rc, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:s:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'n') {
			name = optarg;
		} else if (c == 's') {
			scope = optarg;
		} else {
			return cli_bad_option("credentials", c, argv);
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "";
	if (!((strcmp(verb, "add") == 0 && n == 1 && name != NULL) ||
	      (strcmp(verb, "list") == 0 && n == 1) || (strcmp(verb, "revoke") == 0 && n == 2) ||
	      (strcmp(verb, "add-laptop-key") == 0 && n == 3)) ||
	    (scope != NULL && strcmp(verb, "add") != 0)) {
		return cli_usage(
		        "credentials",
		        "say: credentials add --name NAME [--scope LIST], list, revoke KEY "
		        "or add-laptop-key KEY PUBFILE");
	}
	if (scope != NULL && relais_hub_scopes_parse(&scopes, ctx, scope) != 0) {
		return cli_usage("credentials", "%s", relais_errmsg(ctx));
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0) {
		return cli_fail(ctx);
	}
	if (strcmp(verb, "add") == 0) {
		rc = relais_hub_credentials_add(hub, ctx, name, scopes, key, secret);
		if (rc == 0) {
			relais_hub_scopes_text(scopes_text, scopes);
			printf("key:    %s\nsecret: %s\nscopes: %s\n", key, secret, scopes_text);
			fprintf(stderr,
			        "relais-hub: the secret is shown only now; give both to %s\n",
			        name);
		}
	} else if (strcmp(verb, "list") == 0) {
		rc = relais_hub_credentials_list(&list, hub, ctx);
		if (rc == 0) {
			fputs(list, stdout);
		}
	} else if (strcmp(verb, "revoke") == 0) {
		rc = relais_hub_credentials_revoke(hub, ctx, argv[optind + 1]);
		if (rc == 0) {
			printf("credential %s is revoked\n", argv[optind + 1]);
		}
	} else {
		rc = add_laptop_key(hub, ctx, argv[optind + 1], argv[optind + 2]);
	}
	if (rc != 0) {
		status = cli_fail(ctx);
	}
	free(list);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_credentials = {
        "credentials",
        "make, list and revoke credentials for laptops and tools",
        "usage: relais-hub credentials add --name NAME [--scope LIST] [--db PATH]\n"
        "       relais-hub credentials list [--db PATH]\n"
        "       relais-hub credentials revoke KEY [--db PATH]\n"
        "       relais-hub credentials add-laptop-key KEY PUBFILE [--db PATH]\n\n"
        "add prints a key and a secret, once; the hub keeps only a hash of the secret.\n"
        "Give them to laptops: relais sync --hub URL --key KEY --secret SECRET.\n"
        "Scopes (comma-separated): write, read-mine, read-all, void-mine, void-all;\n"
        "the default, a laptop's, is write,read-mine,void-mine. A reporting tool\n"
        "needs read-all; an administrator's tool may add void-all.\n"
        "list shows each credential's scopes, whether it is revoked and the laptop\n"
        "keys registered to it. revoke refuses the credential from then on (401)\n"
        "and the files its laptops signed. add-laptop-key registers a laptop's key\n"
        "(relais laptop-key prints it) for a laptop that never synced.\n",
        credentials,
};

/* keygen.c: `relais keygen`: a signing key pair in minisign's formats. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/key.h"

#define PASSWORD_MAX 1024

static int run(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"public-key", required_argument, NULL, 'p'},
	        {"secret-key", required_argument, NULL, 's'},
	        {"no-password", no_argument, NULL, 'W'},
	        {NULL, 0, NULL, 0},
	};
	const char *pub_path = NULL, *sec_path = NULL;
	char pw[PASSWORD_MAX], again[PASSWORD_MAX];
	relais_pubkey *pub = NULL;
	relais_seckey *sec = NULL;
	char id[RELAIS_KEYID_HEX];
	int no_password = 0, c, status = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:s:W", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pub_path = optarg;
			break;
		case 's':
			sec_path = optarg;
			break;
		case 'W':
			no_password = 1;
			break;
		default:
			return cli_bad_option("keygen", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("keygen", "unexpected argument '%s'", argv[optind]);
	}
	if (pub_path == NULL || sec_path == NULL) {
		return cli_usage("keygen", "--public-key and --secret-key are required");
	}
	/* Refuse before asking for a password that would be wasted. */
	if (access(pub_path, F_OK) == 0 || access(sec_path, F_OK) == 0) {
		cli_error("%s already exists; relais never overwrites a key",
		          access(pub_path, F_OK) == 0 ? pub_path : sec_path);
		return EXIT_FAIL;
	}
	if (!no_password) {
		if (cli_password("Password for the new secret key: ", pw, sizeof(pw)) != 0) {
			cli_error("no password: set RELAIS_PASSWORD, run on a terminal, or use "
			          "--no-password");
			return EXIT_FAIL;
		}
		if (getenv("RELAIS_PASSWORD") == NULL) {
			if (cli_password("Password again: ", again, sizeof(again)) != 0 ||
			    strcmp(pw, again) != 0) {
				cli_error("the passwords do not match");
				goto out;
			}
		}
		if (pw[0] == '\0') {
			cli_error("empty password: use --no-password for a key without one");
			goto out;
		}
	}
	if (relais_keypair_generate(&pub, &sec, ctx) != 0 ||
	    relais_seckey_save(ctx, sec, sec_path, no_password ? NULL : pw) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (relais_pubkey_save(ctx, pub, pub_path) != 0) {
		status = cli_fail(ctx);
		unlink(sec_path); /* a secret key without its public half is of no use */
		goto out;
	}
	relais_pubkey_id(pub, id);
	printf("key %s: public key in %s, secret key in %s%s\n", id, pub_path, sec_path,
	       no_password ? " (not password-protected)" : "");
	status = EXIT_OK;
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	relais_pubkey_free(pub);
	relais_seckey_free(sec);
	return status;
}

const struct command cmd_keygen = {
        "keygen",
        "make a key pair for signing bundles",
        "usage: relais keygen --public-key PUB --secret-key SEC [--no-password]\n"
        "\n"
        "Makes an Ed25519 key pair in minisign's file formats: minisign -V checks\n"
        "what relais signs, and keys made by minisign -G can pack.\n"
        "\n"
        "  -p, --public-key PUB  where to write the public key (give it to learners)\n"
        "  -s, --secret-key SEC  where to write the secret key (keep it private)\n"
        "  -W, --no-password     do not encrypt the secret key\n"
        "\n"
        "The password is read from the terminal, or from RELAIS_PASSWORD when set.\n"
        "Existing files are never overwritten.\n",
        run,
};

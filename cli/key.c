/* key.c: `relais key rotate`: a publisher key endorses its successor. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/key.h"
#include "relais/rotation.h"

static int rotate(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"secret-key", required_argument, NULL, 's'},
	        {"new-public-key", required_argument, NULL, 'n'},
	        {"output", required_argument, NULL, 'o'},
	        {NULL, 0, NULL, 0},
	};
	const char *sec_path = NULL, *new_path = NULL, *out_path = NULL;
	relais_seckey *old = NULL;
	relais_pubkey *next = NULL;
	struct relais_rotation r = {0};
	char *json = NULL;
	size_t len = 0;
	int c, status = EXIT_FAIL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:n:o:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sec_path = optarg;
			break;
		case 'n':
			new_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			return cli_bad_option("key", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("key", "unexpected argument '%s'", argv[optind]);
	}
	if (sec_path == NULL || new_path == NULL) {
		return cli_usage("key", "rotate needs --secret-key OLD and --new-public-key NEW");
	}
	if (relais_pubkey_load(&next, ctx, new_path) != 0 ||
	    relais_seckey_load(&old, ctx, sec_path, cli_password,
	                       "Password for the old secret key: ") != 0 ||
	    relais_rotation_make(&r, ctx, old, next) != 0 ||
	    relais_rotation_write(&json, &len, ctx, &r) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	json[len++] = '\n'; /* the NUL becomes the line's end */
	if (out_path != NULL) {
		if (relais_file_write_atomic(ctx, out_path, json, len, 0644, 1) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		fprintf(stderr, "key %s endorses key %s: record in %s\n", r.old_id, r.new_id,
		        out_path);
	} else if (fwrite(json, 1, len, stdout) != len || fflush(stdout) != 0) {
		cli_error("cannot write the record");
		goto out;
	}
	status = EXIT_OK;
out:
	relais_rotation_clear(&r);
	free(json);
	relais_seckey_free(old);
	relais_pubkey_free(next);
	return status;
}

static int run(relais_ctx *ctx, int argc, char **argv)
{
	if (argc < 2) {
		return cli_usage("key", "missing subcommand (rotate)");
	}
	if (strcmp(argv[1], "rotate") == 0) {
		return rotate(ctx, argc - 1, argv + 1);
	}
	return cli_usage("key", "unknown subcommand '%s'", argv[1]);
}

const struct command cmd_key = {
        "key",
        "endorse a new publisher key with the old one",
        "usage: relais key rotate --secret-key OLD --new-public-key NEW [-o FILE]\n"
        "\n"
        "Writes a key rotation record: the old key's signature over the new public\n"
        "key. Give it to the hub (relais-hub publisher rotate FILE): laptops that\n"
        "trust the old key then accept the new one for the same publisher's courses.\n"
        "Make it while the old key is still yours; a stolen key is revoked instead.\n"
        "\n"
        "  -s, --secret-key OLD      the secret key being retired\n"
        "  -n, --new-public-key NEW  the public key that succeeds it\n"
        "  -o, --output FILE         write the record there (default: standard output)\n"
        "\n"
        "The password is read from the terminal, or from RELAIS_PASSWORD when set.\n",
        run,
};

/* hub_certificate.c: relais-hub certificate: list, revoke and verify completion certificates. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/certificate.h"
#include "relais/error.h"
#include "relais/hub.h"

static int verify(relais_hub *hub, relais_ctx *ctx, const char *arg)
{
	struct relais_certificate c = {0};
	char *code = NULL;
	int rc;

	if ((rc = cli_certificate_code(&code, ctx, arg)) == 0) {
		rc = relais_hub_certificate_check(&c, hub, ctx, code);
		if (rc == 0) {
			cli_certificate_print(stdout, &c);
			printf("valid\n");
		}
	}
	relais_certificate_clear(&c);
	free(code);
	return rc;
}

static int certificate(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"reason", required_argument, NULL, 'r'},
	        {"files", required_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *files = NULL, *reason = NULL, *verb;
	relais_hub *hub = NULL;
	char *list = NULL, *end = NULL;
	long long id = 0;
	int c, n, rc, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:r:f:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			files = optarg;
		} else if (c == 'r') {
			reason = optarg;
		} else {
			return cli_bad_option("certificate", c, argv);
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "";
	if (!((strcmp(verb, "list") == 0 && n == 1) ||
	      (strcmp(verb, "revoke") == 0 && n == 2 && reason != NULL) ||
	      (strcmp(verb, "verify") == 0 && n == 2)) ||
	    (reason != NULL && strcmp(verb, "revoke") != 0)) {
		return cli_usage(
		        "certificate",
		        "say: certificate list, revoke ID --reason TEXT or verify FILE-or-CODE");
	}
	if (strcmp(verb, "revoke") == 0) {
		id = strtoll(argv[optind + 1], &end, 10);
		if (end == argv[optind + 1] || *end != '\0' || id <= 0) {
			return cli_usage("certificate", "%s is not a certificate number",
			                 argv[optind + 1]);
		}
	}
	if ((status = cli_hub_open_files(&hub, ctx, "certificate", db, files)) != EXIT_OK) {
		return status;
	}
	if (strcmp(verb, "list") == 0) {
		if ((rc = relais_hub_certificates_list(&list, hub, ctx)) == 0) {
			fputs(list, stdout);
		}
	} else if (strcmp(verb, "revoke") == 0) {
		if ((rc = relais_hub_certificate_revoke(hub, ctx, id, reason)) == 0) {
			printf("certificate %lld is revoked\n", id);
		}
	} else {
		rc = verify(hub, ctx, argv[optind + 1]);
	}
	if (rc != 0) {
		status = cli_fail(ctx);
	}
	free(list);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_certificate = {
        "certificate",
        "list, revoke and verify the completion certificates this hub signs",
        "usage: relais-hub certificate list [--db PATH] [--files DIR]\n"
        "       relais-hub certificate revoke ID --reason TEXT [--db PATH] [--files DIR]\n"
        "       relais-hub certificate verify FILE-or-CODE [--db PATH] [--files DIR]\n\n"
        "The hub signs a certificate with its catalogue key (relais-hub keygen) for\n"
        "each learner's first completion of a course it publishes; list first issues\n"
        "those due, then shows each with its code. revoke marks one revoked: the\n"
        "public /verify page and laptops, at their next sync, say so. verify checks\n"
        "a code (or a file holding one) against this hub's key and revocations;\n"
        "it exits 1 for an altered, foreign or revoked certificate. See\n"
        "docs/certificates.md.\n" CLI_HUB_FILES_HELP,
        certificate,
};

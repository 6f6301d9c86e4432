/* certificate.c: relais certificate: the certificates hubs issued, listed and checked offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/certificate.h"
#include "relais/error.h"
#include "relais/home.h"

static int list(relais_home *home, relais_ctx *ctx)
{
	struct relais_stored_certificate *certs = NULL;
	size_t n = 0, unverified = 0, i;

	if (relais_certificate_list(&certs, &n, &unverified, home, ctx, NULL) != 0) {
		return cli_fail(ctx);
	}
	if (n == 0 && unverified == 0) {
		printf("no certificates yet: they come from the hub at relais sync\n");
	}
	for (i = 0; i < n; i++) {
		if (i > 0) {
			putchar('\n');
		}
		cli_certificate_print(stdout, &certs[i].c);
		if (certs[i].revoked[0] != '\0') {
			printf("revoked:   %.10s (the hub said so at a sync)\n", certs[i].revoked);
		}
	}
	relais_certificate_list_free(certs, n);
	if (unverified > 0) {
		fprintf(stderr,
		        "relais: %zu stored certificate%s no longer verif%s, not listed: changed "
		        "after the hub issued %s, or signed by a hub key this laptop no longer "
		        "trusts (relais sync brings back a changed one)\n",
		        unverified, unverified == 1 ? "" : "s", unverified == 1 ? "ies" : "y",
		        unverified == 1 ? "it" : "them");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int verify(relais_home *home, relais_ctx *ctx, const char *arg)
{
	struct relais_certificate c = {0};
	char *code = NULL;
	int revoked = 0, status = EXIT_FAIL;

	if (cli_certificate_code(&code, ctx, arg) != 0 ||
	    relais_certificate_check(&c, &revoked, home, ctx, code) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	cli_certificate_print(stdout, &c);
	if (revoked) {
		cli_error("certificate %u was revoked by its hub", c.id);
		goto out;
	}
	printf("valid: signed by a hub key this laptop trusts\n");
	status = EXIT_OK;
out:
	relais_certificate_clear(&c);
	free(code);
	return status;
}

static int certificate(relais_ctx *ctx, int argc, char **argv)
{
	relais_home *home = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	int status;

	if (argc > 1 && argv[1][0] == '-') {
		return cli_usage("certificate", "unknown option %s", argv[1]);
	}
	if (!((strcmp(sub, "list") == 0 && argc == 2) ||
	      (strcmp(sub, "verify") == 0 && argc == 3))) {
		return cli_usage("certificate", "say: certificate list, or verify FILE-or-CODE");
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = strcmp(sub, "list") == 0 ? list(home, ctx) : verify(home, ctx, argv[2]);
	relais_home_close(home);
	return status;
}

const struct command cmd_certificate = {
        "certificate",
        "the completion certificates hubs issued, checked offline",
        "usage: relais certificate list\n"
        "       relais certificate verify FILE-or-CODE\n\n"
        "A hub signs a certificate when it has a learner's completion of a course it\n"
        "publishes; relais sync brings it down, checked against the hub keys this\n"
        "laptop trusts (relais trust add-hub). list shows them with their codes.\n"
        "verify checks a code (or a file holding one) offline against those keys:\n"
        "it exits 1 for a mistyped, altered or revoked certificate, or one signed\n"
        "by a hub this laptop does not trust. A laptop cannot make a certificate:\n"
        "it holds no key a hub trusts. See docs/certificates.md.\n",
        certificate,
};

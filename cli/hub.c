/* hub.c: relais-hub: the coordinators' hub: serve, credentials, coordinators, reports, import. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/hub.h"
#include "relais/xapi.h"
#include "relais/key.h"
#include "relais_config.h"

#define DEFAULT_DB "relais-hub.db"

/* Parses the options every command shares: --db PATH. */
static const char *db_path(const char *given)
{
	const char *env = getenv("RELAIS_HUB_DB");

	return given ? given : env && env[0] ? env : DEFAULT_DB;
}

static int serve(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"listen", required_argument, NULL, 'l'},
	        {"trusted-proxy", required_argument, NULL, 't'},
	        {"max-connections", required_argument, NULL, 'c'},
	        {"max-per-address", required_argument, NULL, 'a'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *listen = "127.0.0.1:8080";
	struct relais_hub_server_options sopt = {0};
	struct rlimit files;
	unsigned long n;
	char address[64];
	relais_hub_server *server = NULL;
	relais_hub *hub = NULL;
	unsigned long port;
	char *colon, *end;
	sigset_t stop;
	int c, sig;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:l:t:c:a:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'l') {
			listen = optarg;
		} else if (c == 't') {
			sopt.trusted_proxy = optarg;
		} else if (c == 'c' || c == 'a') {
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || n < 1 || n > 100000) {
				return cli_usage("serve",
				                 c == 'c' ? "--max-connections takes 1 to 100000"
				                          : "--max-per-address takes 1 to 100000");
			}
			if (c == 'c') {
				sopt.connection_limit = (unsigned)n;
			} else {
				sopt.per_address_limit = (unsigned)n;
			}
		} else {
			return cli_bad_option("serve", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("serve", "unexpected argument");
	}
	if (snprintf(address, sizeof(address), "%s", listen) >= (int)sizeof(address) ||
	    (colon = strrchr(address, ':')) == NULL) {
		return cli_usage("serve", "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
	}
	*colon = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port > 65535) {
		return cli_usage("serve", "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Each connection is a descriptor: allow as many as the system lets us. */
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
		files.rlim_cur = files.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &files);
	}
	sopt.address = address;
	sopt.port = (unsigned)port;
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_server_start(&server, ctx, hub, &sopt) != 0) {
		relais_hub_close(hub);
		return cli_fail(ctx);
	}
	printf("http://%s:%u/\n", address, relais_hub_server_port(server));
	fflush(stdout);
	fprintf(stderr, "relais-hub: serving %s; stop with Ctrl-C\n", db_path(db));
	sigwait(&stop, &sig);
	relais_hub_server_stop(server);
	relais_hub_close(hub);
	return EXIT_OK;
}

/* credentials add-laptop-key KEY PUBFILE: a laptop key carried by hand. */
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
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0) {
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

static int coordinator(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"email", required_argument, NULL, 'e'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *email = NULL;
	char password[1024];
	relais_hub *hub = NULL;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:e:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'e') {
			email = optarg;
		} else {
			return cli_bad_option("coordinator", c, argv);
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "add") != 0 || email == NULL) {
		return cli_usage("coordinator", "say: coordinator add --email EMAIL");
	}
	if (cli_password_from("RELAIS_HUB_PASSWORD", NULL, password, sizeof(password)) != 0) {
		cli_error("no password: set RELAIS_HUB_PASSWORD or run on a terminal");
		return EXIT_FAIL;
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_coordinator_add(hub, ctx, email, password) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("coordinator %s can sign in at /reports\n", email);
	}
	explicit_bzero(password, sizeof(password));
	relais_hub_close(hub);
	return status;
}

static int report(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"format", required_argument, NULL, 'f'},
	        {"table", required_argument, NULL, 't'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *format = "csv", *table = NULL;
	relais_hub *hub = NULL;
	int c, i, fmt, status = EXIT_OK;
	char *out = NULL;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:f:t:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			format = optarg;
		} else if (c == 't') {
			table = optarg;
		} else {
			return cli_bad_option("report", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("report", "unexpected argument");
	}
	if (strcmp(format, "csv") == 0) {
		fmt = RELAIS_REPORT_CSV;
	} else if (strcmp(format, "json") == 0) {
		fmt = RELAIS_REPORT_JSON;
	} else {
		return cli_usage("report", "--format is csv or json");
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0) {
		return cli_fail(ctx);
	}
	if (fmt == RELAIS_REPORT_JSON && table == NULL) {
		printf("{");
	}
	for (i = 0; relais_hub_reports[i]; i++) {
		if (table != NULL && strcmp(table, relais_hub_reports[i]) != 0) {
			continue;
		}
		if (relais_hub_report(&out, hub, ctx, relais_hub_reports[i], fmt) != 0) {
			status = cli_fail(ctx);
			break;
		}
		if (table != NULL) {
			fputs(out, stdout);
			if (fmt == RELAIS_REPORT_JSON) {
				putchar('\n');
			}
		} else if (fmt == RELAIS_REPORT_JSON) {
			printf("%s\"%s\":%s", i ? "," : "", relais_hub_reports[i], out);
		} else {
			printf("%s# %s\r\n%s", i ? "\r\n" : "", relais_hub_reports[i], out);
		}
		free(out);
		out = NULL;
	}
	if (fmt == RELAIS_REPORT_JSON && table == NULL && status == EXIT_OK) {
		printf("}\n");
	}
	if (table != NULL && status == EXIT_OK) {
		int known = 0;
		for (i = 0; relais_hub_reports[i]; i++) {
			known |= strcmp(table, relais_hub_reports[i]) == 0;
		}
		if (!known) {
			cli_error("no report called %s", table);
			status = EXIT_FAIL;
		}
	}
	relais_hub_close(hub);
	return status;
}

static int import(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"signature", required_argument, NULL, 's'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *signature = NULL;
	relais_hub *hub = NULL;
	size_t stored = 0, known = 0;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 's') {
			signature = optarg;
		} else {
			return cli_bad_option("import", c, argv);
		}
	}
	if (argc - optind != 1) {
		return cli_usage("import", "give exactly one records file");
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_import(&stored, &known, hub, ctx, argv[optind], signature) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("%s: %zu statements stored, %zu already held\n", argv[optind], stored,
		       known);
	}
	relais_hub_close(hub);
	return status;
}

static const struct command commands[] = {
        {"serve", "serve the xAPI statements endpoint and the reports",
         "usage: relais-hub serve [--db PATH] [--listen ADDRESS:PORT]\n"
         "                        [--trusted-proxy ADDRESS] [--max-connections N]\n"
         "                        [--max-per-address N]\n\n"
         "Serves /xapi/statements and /xapi/about (xAPI 1.0.3, HTTP Basic\n"
         "credentials from 'credentials add') and the coordinators' reports at\n"
         "/reports. Default: --listen 127.0.0.1:8080; put TLS in a reverse proxy\n"
         "in front (docs/hub.md) and name it with --trusted-proxy, so that its\n"
         "X-Forwarded-Proto and X-Forwarded-For are believed. At most N\n"
         "connections (default 1000), 256 from one address. Prints its address\n"
         "first; stop with Ctrl-C.\n",
         serve},
        {"credentials", "make, list and revoke credentials for laptops and tools",
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
         credentials},
        {"coordinator", "add a coordinator who may read the reports",
         "usage: relais-hub coordinator add --email EMAIL [--db PATH]\n\n"
         "The password (10 characters or more) is read from the terminal, or from\n"
         "RELAIS_HUB_PASSWORD; it is stored hashed with Argon2id. Adding an existing\n"
         "coordinator sets a new password.\n",
         coordinator},
        {"report", "print the reports as CSV or JSON",
         "usage: relais-hub report [--format csv|json] [--table NAME] [--db PATH]\n\n"
         "Tables: completions-by-course, completions-by-organisation,\n"
         "completions-by-learner, completions-over-time, quiz-results.\n"
         "A learner's completion of a course counts once.\n",
         report},
        {"import", "store the records a laptop exported to a file",
         "usage: relais-hub import FILE [--signature PATH] [--db PATH]\n\n"
         "Reads a file made by 'relais export-records' (carried on a USB stick)\n"
         "and stores its statements under the same id rules as the network: a\n"
         "later sync of the same statements changes nothing. The file must be\n"
         "signed (FILE.minisig, or --signature PATH) by a laptop key registered\n"
         "to a credential; its statements are stored as that credential's, within\n"
         "its scopes. Otherwise nothing is stored and the reason is named.\n",
         import},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void overview(FILE *f)
{
	size_t i;

	fprintf(f, "usage: relais-hub COMMAND [OPTIONS]\n\n"
	           "The coordinators' hub: receives learning records from relais laptops\n"
	           "and reports who completed what.\n\nCommands:\n");
	for (i = 0; i < N_COMMANDS; i++) {
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	}
	fprintf(f, "\nEvery command takes --db PATH (default $RELAIS_HUB_DB, else " DEFAULT_DB
	           ").\nExit status: 0 on success, 1 on failure, 2 on a usage error.\n"
	           "Run 'relais-hub help COMMAND' for a command's options.\n");
}

int main(int argc, char **argv)
{
	static const struct command *const list[] = {
	        &commands[0], &commands[1], &commands[2], &commands[3], &commands[4], NULL,
	};
	static const struct cli_program hub = {"relais-hub", list, overview};

	_Static_assert(sizeof(list) / sizeof(list[0]) == N_COMMANDS + 1, "every command is listed");

	return cli_main(&hub, argc, argv);
}

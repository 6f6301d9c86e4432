/* main.c: relais-hub: the coordinators' hub: serve, credentials, coordinators, reports, import. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "relais/error.h"
#include "relais/hub.h"
#include "relais/key.h"
#include "relais_config.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define DEFAULT_DB "relais-hub.db"

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void error(const char *fmt, ...)
{
	va_list ap;

	fputs("relais-hub: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *cmd, const char *what)
{
	error("%s (see 'relais-hub help %s')", what, cmd);
	return EXIT_USAGE;
}

static int fail(relais_ctx *ctx)
{
	error("%s", relais_errmsg(ctx));
	return EXIT_FAIL;
}

static int bad_option(const char *cmd, int c, char **argv)
{
	char msg[256];
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	(void)snprintf(msg, sizeof(msg),
	               c == ':' ? "option '%s' needs a value" : "unknown option '%s'", arg);
	return usage_error(cmd, msg);
}

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
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *listen = "127.0.0.1:8080";
	char address[64];
	relais_hub_server *server = NULL;
	relais_hub *hub = NULL;
	unsigned long port;
	char *colon, *end;
	sigset_t stop;
	int c, sig;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:l:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'l') {
			listen = optarg;
		} else {
			return bad_option("serve", c, argv);
		}
	}
	if (optind != argc) {
		return usage_error("serve", "unexpected argument");
	}
	if (snprintf(address, sizeof(address), "%s", listen) >= (int)sizeof(address) ||
	    (colon = strrchr(address, ':')) == NULL) {
		return usage_error("serve", "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
	}
	*colon = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port > 65535) {
		return usage_error("serve", "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_server_start(&server, ctx, hub, address, (unsigned)port) != 0) {
		relais_hub_close(hub);
		return fail(ctx);
	}
	printf("http://%s:%u/\n", address, relais_hub_server_port(server));
	fflush(stdout);
	fprintf(stderr, "relais-hub: serving %s; stop with Ctrl-C\n", db_path(db));
	sigwait(&stop, &sig);
	relais_hub_server_stop(server);
	relais_hub_close(hub);
	return EXIT_OK;
}

static int credentials(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"name", required_argument, NULL, 'n'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *name = NULL;
	char key[RELAIS_HUB_KEY_HEX], secret[RELAIS_HUB_SECRET_HEX];
	relais_hub *hub = NULL;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:n:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'n') {
			name = optarg;
		} else {
			return bad_option("credentials", c, argv);
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "add") != 0 || name == NULL) {
		return usage_error("credentials", "say: credentials add --name NAME");
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_credentials_add(hub, ctx, name, key, secret) != 0) {
		status = fail(ctx);
	} else {
		printf("key:    %s\nsecret: %s\n", key, secret);
		fprintf(stderr, "relais-hub: the secret is shown only now; give both to %s\n",
		        name);
	}
	relais_hub_close(hub);
	return status;
}

/* A password from RELAIS_HUB_PASSWORD or the terminal, without echo. */
static int read_password(char *buf, size_t size)
{
	const char *env = getenv("RELAIS_HUB_PASSWORD");
	struct termios old, quiet;
	FILE *tty;
	size_t n;

	if (env != NULL) {
		return snprintf(buf, size, "%s", env) < (int)size ? 0 : -1;
	}
	tty = fopen("/dev/tty", "r+");
	if (tty == NULL) {
		return -1;
	}
	fputs("Password: ", tty);
	fflush(tty);
	tcgetattr(fileno(tty), &old);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
	if (fgets(buf, (int)size, tty) == NULL) {
		buf[0] = '\0';
	}
	tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputc('\n', tty);
	fclose(tty);
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[n - 1] = '\0';
	}
	return 0;
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
			return bad_option("coordinator", c, argv);
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "add") != 0 || email == NULL) {
		return usage_error("coordinator", "say: coordinator add --email EMAIL");
	}
	if (read_password(password, sizeof(password)) != 0) {
		error("no password: set RELAIS_HUB_PASSWORD or run on a terminal");
		return EXIT_FAIL;
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_coordinator_add(hub, ctx, email, password) != 0) {
		status = fail(ctx);
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
			return bad_option("report", c, argv);
		}
	}
	if (optind != argc) {
		return usage_error("report", "unexpected argument");
	}
	if (strcmp(format, "csv") == 0) {
		fmt = RELAIS_REPORT_CSV;
	} else if (strcmp(format, "json") == 0) {
		fmt = RELAIS_REPORT_JSON;
	} else {
		return usage_error("report", "--format is csv or json");
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0) {
		return fail(ctx);
	}
	if (fmt == RELAIS_REPORT_JSON && table == NULL) {
		printf("{");
	}
	for (i = 0; relais_hub_reports[i]; i++) {
		if (table != NULL && strcmp(table, relais_hub_reports[i]) != 0) {
			continue;
		}
		if (relais_hub_report(&out, hub, ctx, relais_hub_reports[i], fmt) != 0) {
			status = fail(ctx);
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
			error("no report called %s", table);
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
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL;
	relais_hub *hub = NULL;
	size_t stored = 0, known = 0;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:", opts, NULL)) != -1) {
		if (c != 'd') {
			return bad_option("import", c, argv);
		}
		db = optarg;
	}
	if (argc - optind != 1) {
		return usage_error("import", "give exactly one records file");
	}
	if (relais_hub_open(&hub, ctx, db_path(db)) != 0 ||
	    relais_hub_import(&stored, &known, hub, ctx, argv[optind],
	                      "{\"objectType\":\"Agent\",\"name\":\"relais-hub import\","
	                      "\"account\":{\"homePage\":\"https://relais.invalid/hub\","
	                      "\"name\":\"import\"}}") != 0) {
		status = fail(ctx);
	} else {
		printf("%s: %zu statements stored, %zu already held\n", argv[optind], stored,
		       known);
	}
	relais_hub_close(hub);
	return status;
}

struct command {
	const char *name, *summary, *usage;
	int (*run)(relais_ctx *ctx, int argc, char **argv);
};

static const struct command commands[] = {
        {"serve", "serve the xAPI statements endpoint and the reports",
         "usage: relais-hub serve [--db PATH] [--listen ADDRESS:PORT]\n\n"
         "Serves /xapi/statements and /xapi/about (xAPI 1.0.3, HTTP Basic\n"
         "credentials from 'credentials add') and the coordinators' reports at\n"
         "/reports. Default: --listen 127.0.0.1:8080; put TLS in a reverse proxy\n"
         "in front (docs/hub.md). Prints its address first; stop with Ctrl-C.\n",
         serve},
        {"credentials", "make credentials for sync clients",
         "usage: relais-hub credentials add --name NAME [--db PATH]\n\n"
         "Prints a key and a secret, once; the hub keeps only a hash of the secret.\n"
         "Give them to laptops: relais sync --hub URL --key KEY --secret SECRET.\n",
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
         "usage: relais-hub import FILE [--db PATH]\n\n"
         "Reads a file made by 'relais export-records' (carried on a USB stick)\n"
         "and stores its statements under the same id rules as the network: a\n"
         "later sync of the same statements changes nothing.\n",
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
	relais_ctx *ctx = NULL;
	size_t i;
	int status, k;

	if (argc < 2) {
		overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		overview(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("relais-hub %s\n", RELAIS_VERSION);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		for (i = 0; argc > 2 && i < N_COMMANDS; i++) {
			if (strcmp(argv[2], commands[i].name) == 0) {
				fputs(commands[i].usage, stdout);
				return EXIT_OK;
			}
		}
		if (argc > 2) {
			error("unknown command '%s' (see 'relais-hub --help')", argv[2]);
			return EXIT_USAGE;
		}
		overview(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			break;
		}
	}
	if (i == N_COMMANDS) {
		error("unknown command '%s' (see 'relais-hub --help')", argv[1]);
		return EXIT_USAGE;
	}
	for (k = 2; k < argc; k++) {
		if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
			fputs(commands[i].usage, stdout);
			return EXIT_OK;
		}
	}
	if (relais_crypto_init() != 0 || relais_ctx_new(&ctx) != 0) {
		error("cannot initialise");
		return EXIT_FAIL;
	}
	status = commands[i].run(ctx, argc - 1, argv + 1);
	relais_ctx_free(ctx);
	return status;
}

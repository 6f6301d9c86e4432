/* cli.h: what the relais and relais-hub commands and their subcommands share. */
#ifndef RELAIS_CLI_H
#define RELAIS_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "relais/context.h"
#include "relais/home.h"

/* Exit statuses: documented in `relais --help`. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

struct command {
	const char *name;
	const char *summary;
	const char *usage; /* full help text */
	int (*run)(relais_ctx *ctx, int argc, char **argv);
};

/* A program: its name and its commands (NULL-terminated). */
struct cli_program {
	const char *name;
	const struct command *const *commands;
	void (*overview)(FILE *f); /* what --help prints */
};

/*
 * Runs the program: --help, --version, `help COMMAND`, then the command
 * named by argv[1] with a fresh context. Returns the exit status.
 */
int cli_main(const struct cli_program *p, int argc, char **argv);

/* Prints "<program>: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a usage error for cmd and returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Reports what getopt_long (run with opterr = 0 and a ':' first in its short
 * options) rejected, as one line, and returns EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, int c, char **argv);

/* The long options of a command that has none (getopt_long then names "--bogus" whole). */
extern const struct option cli_no_options[];

/* Prints the library's message for a failed call and returns EXIT_FAIL. */
int cli_fail(relais_ctx *ctx);

/*
 * Reads a password from the environment variable env when it is set, or else
 * from the terminal without echo, after prompt. Returns 0, RELAIS_ELIMIT
 * when it does not fit in size bytes, or RELAIS_EPASSWORD without a terminal.
 */
int cli_password_from(const char *env, const char *prompt, char *buf, size_t size);

/* cli_password_from RELAIS_PASSWORD, as a relais_seckey_load callback. */
int cli_password(void *prompt, char *buf, size_t size);

/* Opens the home (RELAIS_HOME or the default); EXIT_OK, or the error printed and EXIT_FAIL. */
int cli_open_home(relais_home **home, relais_ctx *ctx);

/* Parses "10M", "512K", "1G" or plain bytes. Returns 0 or -1. */
int cli_parse_size(const char *s, size_t *out);

/*
 * A certificate code given as FILE-or-CODE: the text of arg when it names a
 * file (*out malloc'd), else a copy of arg. Returns 0 or a status.
 */
int cli_certificate_code(char **out, relais_ctx *ctx, const char *arg);

/* Prints a decoded certificate for people, one field a line. */
struct relais_certificate;
void cli_certificate_print(FILE *f, const struct relais_certificate *c);

/* Formats a byte count for people ("1.4 MB"). */
void cli_human_size(char *buf, size_t size, unsigned long long bytes);

extern const struct command cmd_keygen, cmd_key, cmd_pack, cmd_verify, cmd_inspect, cmd_trust,
        cmd_install, cmd_list, cmd_remove, cmd_profile, cmd_progress, cmd_read, cmd_sync,
        cmd_export, cmd_outbox, cmd_laptop_key, cmd_delta, cmd_certificate;

/* relais-hub's commands (cli/hub_*.c), and the database they work on. */
#define CLI_HUB_DEFAULT_DB "relais-hub.db"
extern const struct command cmd_hub_serve, cmd_hub_credentials, cmd_hub_coordinator,
        cmd_hub_organisation, cmd_hub_report, cmd_hub_import;
extern const struct command cmd_hub_keygen, cmd_hub_hub_key, cmd_hub_publisher, cmd_hub_session,
        cmd_hub_publish, cmd_hub_unpublish, cmd_hub_export_catalogue, cmd_hub_certificate;
extern const struct command cmd_hub_cohort, cmd_hub_copy;

/* The hub database: the --db given, else $RELAIS_HUB_DB, else CLI_HUB_DEFAULT_DB. */
const char *cli_hub_db_path(const char *given);

/*
 * Opens the hub database (cli_hub_db_path(db)) for command cmd, which
 * keeps published files: in the --files given, else $RELAIS_HUB_FILES,
 * else PATH.d beside a SQLite database; a PostgreSQL database without one
 * is a usage error. Returns EXIT_OK with *out open, or the exit status
 * with the message printed.
 */
struct relais_hub;
int cli_hub_open_files(struct relais_hub **out, relais_ctx *ctx, const char *cmd, const char *db,
                       const char *files);

/* The --files option of the commands above, and its line of help. */
#define CLI_HUB_FILES_HELP                                                                         \
	"  --files DIR        where published bundles and deltas are kept (default\n"              \
	"                     $RELAIS_HUB_FILES, else PATH.d beside a SQLite --db;\n"              \
	"                     needed with a PostgreSQL --db, the same for every node)\n"

#endif

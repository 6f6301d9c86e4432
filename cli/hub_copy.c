/* hub_copy.c: relais-hub copy: a SQLite hub moved into an empty PostgreSQL database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "relais/hub.h"

/* Progress lines (a table, or every few seconds) and warnings, on stderr. */
static void on_log(void *data, int level, const char *msg)
{
	(void)data;
	if (level == RELAIS_LOG_INFO) {
		fprintf(stderr, "copy: %s\n", msg);
	} else if (level >= RELAIS_LOG_WARN) {
		cli_error("warning: %s", msg);
	}
}

static int copy(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"from", required_argument, NULL, 'F'},
	        {"from-files", required_argument, NULL, 'G'},
	        {"db", required_argument, NULL, 'd'},
	        {"files", required_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	const char *from = NULL, *from_files = NULL, *db = NULL, *files = NULL, *env;
	struct relais_hub_copy_result r;
	int c, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:G:d:f:", opts, NULL)) != -1) {
		if (c == 'F') {
			from = optarg;
		} else if (c == 'G') {
			from_files = optarg;
		} else if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			files = optarg;
		} else {
			return cli_bad_option("copy", c, argv);
		}
	}
	if (argc != optind) {
		return cli_usage("copy", "unexpected argument '%s'", argv[optind]);
	}
	if (from == NULL || from[0] == '\0') {
		return cli_usage("copy", "name the SQLite hub to copy with --from PATH");
	}
	db = cli_hub_db_path(db);
	if (!relais_hub_is_postgresql(db)) {
		return cli_usage("copy", "--db must name the PostgreSQL database to copy into "
		                         "(postgresql://...)");
	}
	env = getenv("RELAIS_HUB_FILES");
	files = files ? files : env && env[0] ? env : NULL;
	if (files != NULL && files[0] == '\0') {
		return cli_usage("copy", "--files needs a folder");
	}
	relais_ctx_set_log(ctx, on_log, NULL);
	if (relais_hub_copy(&r, ctx, from, from_files, db, files) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("%s: %zu tables, %lld rows and %zu published files copied in %.1f s "
		       "(%.0f rows/s)\n",
		       from, r.tables, r.rows, r.files, (double)r.ms / 1000.0,
		       r.ms > 0 ? (double)r.rows * 1000.0 / (double)r.ms : (double)r.rows);
	}
	relais_ctx_set_log(ctx, NULL, NULL);
	return status;
}

const struct command cmd_hub_copy = {
        "copy",
        "copy a SQLite hub into an empty PostgreSQL database",
        "usage: relais-hub copy --from PATH --db postgresql://... [--files DIR]\n"
        "                       [--from-files DIR]\n\n"
        "Copies the SQLite hub database PATH, every table (statements, attachments,\n"
        "documents, credentials, coordinators, organisations, cohorts, sessions,\n"
        "the catalogue and what was published, the reports' tables), into the\n"
        "PostgreSQL database --db, whose schema it makes as 'serve' would. Stop\n"
        "the hub first. PATH is brought to this relais-hub's schema as opening it\n"
        "does. The target must hold no hub data: copying into a database that\n"
        "already holds some is refused. Everything is copied in one transaction:\n"
        "a failure leaves the target as it was. The published bundles and deltas\n"
        "of PATH's files folder (--from-files, default PATH.d) are copied too,\n"
        "into --files, the folder every PostgreSQL node shares (needed when there\n"
        "are any), under temporary names renamed once the tables are committed.\n"
        "Progress (rows per table, a line every few seconds) goes to stderr, a\n"
        "summary to stdout. Start the nodes with relais-hub serve --db URL\n"
        "--files DIR afterwards (docs/hub.md, \"Moving a hub from SQLite to\n"
        "PostgreSQL\").\n"
        "  --from PATH        the SQLite hub database to copy\n"
        "  --db URL           the PostgreSQL database (default $RELAIS_HUB_DB)\n"
        "  --files DIR        the PostgreSQL hub's folder of published bundles\n"
        "                     (default $RELAIS_HUB_FILES)\n"
        "  --from-files DIR   the SQLite hub's folder, if not PATH.d\n",
        copy,
};

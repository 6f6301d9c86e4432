/* hub_import.c: relais-hub import: records a laptop exported to a file, checked and stored. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "relais/hub.h"

/* Whether a progress line is on the terminal (stderr), to be cleared. */
struct meter {
	int tty;
	int shown;
};

static void clear_line(struct meter *m)
{
	if (m->shown) {
		fputs("\r\033[K", stderr);
		m->shown = 0;
	}
}

/* Progress ("importing: N statements") on a terminal only; warnings always. */
static void on_log(void *data, int level, const char *msg)
{
	struct meter *m = data;

	if (level == RELAIS_LOG_INFO && m->tty) {
		fprintf(stderr, "\r\033[K%s", msg);
		fflush(stderr);
		m->shown = 1;
	} else if (level >= RELAIS_LOG_WARN) {
		clear_line(m);
		cli_error("warning: %s", msg);
	}
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
	struct meter m = {isatty(STDERR_FILENO), 0};
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
	relais_ctx_set_log(ctx, on_log, &m);
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0 ||
	    relais_hub_import(&stored, &known, hub, ctx, argv[optind], signature) != 0) {
		clear_line(&m);
		status = cli_fail(ctx);
	} else {
		clear_line(&m);
		printf("%s: %zu statements stored, %zu already held\n", argv[optind], stored,
		       known);
	}
	relais_ctx_set_log(ctx, NULL, NULL);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_import = {
        "import",
        "store the records a laptop exported to a file",
        "usage: relais-hub import FILE [--signature PATH] [--db PATH]\n\n"
        "Reads a file made by 'relais export-records' (carried on a USB stick)\n"
        "and stores its statements under the same id rules as the network: a\n"
        "later sync of the same statements changes nothing. The file must be\n"
        "signed (FILE.minisig, or --signature PATH) by a laptop key registered\n"
        "to a credential; its statements are stored as that credential's, within\n"
        "its scopes. Otherwise nothing is stored and the reason is named.\n"
        "Files of any size are read in parts (the hub's memory stays small); on\n"
        "a terminal, progress is shown as they are stored.\n",
        import,
};

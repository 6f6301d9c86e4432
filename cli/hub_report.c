/* hub_report.c: relais-hub report: the reports as CSV or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/hub.h"

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
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(db)) != 0) {
		return cli_fail(ctx);
	}
	if (fmt == RELAIS_REPORT_JSON && table == NULL) {
		printf("{");
	}
	for (i = 0; relais_hub_reports[i]; i++) {
		if ((table != NULL && strcmp(table, relais_hub_reports[i]) != 0) ||
		    (table == NULL && strncmp(relais_hub_reports[i], "learner-", 8) == 0)) {
			continue; /* one learner's views need the learner: the web pages */
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

const struct command cmd_hub_report = {
        "report",
        "print the reports as CSV or JSON",
        "usage: relais-hub report [--format csv|json] [--table NAME] [--db PATH]\n\n"
        "Tables: status-by-course, status-by-organisation, completions-by-course,\n"
        "completions-by-organisation, completions-over-time, completions-by-learner,\n"
        "learners, quiz-questions, quiz-results, essays (docs/hub.md, \"Reports\").\n"
        "A learner's completion of a course counts once.\n",
        report,
};

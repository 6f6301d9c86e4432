/* remove.c: relais remove: take a course out of the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/library.h"

static int remove_course(relais_ctx *ctx, int argc, char **argv)
{
	relais_home *home = NULL;
	int status;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", cli_no_options, NULL) != -1) {
		return cli_bad_option("remove", '?', argv);
	}
	if (argc - optind != 1) {
		return cli_usage("remove", "give exactly one course id");
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	if (relais_library_remove(home, ctx, argv[optind]) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("removed %s\n", argv[optind]);
	}
	relais_home_close(home);
	return status;
}

const struct command cmd_remove = {
        "remove",
        "remove an installed course",
        "usage: relais remove COURSE_ID\n"
        "\n"
        "Removes the course, its bundle and learners' progress in it. Learning\n"
        "records already made stay in the outbox until they are sent.\n",
        remove_course,
};

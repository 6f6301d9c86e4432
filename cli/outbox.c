/* outbox.c: relais outbox: what waits to be sent, what a hub set aside, and sending it again. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/home.h"
#include "relais/outbox.h"

#define LIST_MAX 1000 /* set-aside records listed; the count says if there are more */

static int list(relais_home *home, relais_ctx *ctx)
{
	struct relais_set_aside *aside = NULL;
	size_t n = 0, i;
	int64_t waiting = 0;

	if (relais_outbox_count(&waiting, home, ctx) != 0 ||
	    relais_outbox_set_aside_list(&aside, &n, home, ctx, LIST_MAX) != 0) {
		return cli_fail(ctx);
	}
	printf("%lld waiting to be sent, %zu%s set aside\n", (long long)waiting, n,
	       n == LIST_MAX ? " or more" : "");
	for (i = 0; i < n; i++) {
		printf("%s  %s  %s: %s\n", aside[i].id, aside[i].when, aside[i].object,
		       aside[i].reason[0] ? aside[i].reason : "refused");
	}
	if (n > 0) {
		printf("relais outbox retry puts them back in the queue; relais export-records "
		       "carries them too\n");
	}
	relais_set_aside_free(aside, n);
	return EXIT_OK;
}

static int retry(relais_home *home, relais_ctx *ctx, char **ids, size_t n)
{
	size_t count = 0;

	if (relais_outbox_retry(&count, home, ctx, (const char *const *)ids, n) != 0) {
		return cli_fail(ctx);
	}
	printf("%zu records back in the queue; relais sync sends them\n", count);
	return EXIT_OK;
}

static int run(relais_ctx *ctx, int argc, char **argv)
{
	relais_home *home = NULL;
	const char *sub;
	int status;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", cli_no_options, NULL) != -1) {
		return cli_bad_option("outbox", '?', argv);
	}
	sub = optind < argc ? argv[optind] : "list";
	if (strcmp(sub, "list") != 0 && strcmp(sub, "retry") != 0) {
		return cli_usage("outbox", "unknown subcommand '%s'", sub);
	}
	if (strcmp(sub, "list") == 0 && argc - optind > 1) {
		return cli_usage("outbox", "unexpected argument '%s'", argv[optind + 1]);
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	if (strcmp(sub, "list") == 0) {
		status = list(home, ctx);
	} else {
		status = retry(home, ctx, argv + optind + 1, (size_t)(argc - optind - 1));
	}
	relais_home_close(home);
	return status;
}

const struct command cmd_outbox = {
        "outbox",
        "show the records waiting to be sent, and send set-aside ones again",
        "usage: relais outbox [list]\n"
        "       relais outbox retry [ID...]\n"
        "\n"
        "list (the default) counts the learning records waiting to be sent and\n"
        "lists those a hub refused as invalid and relais sync set aside, with the\n"
        "hub's reason. retry puts the named records (all, without an ID) back in\n"
        "the queue, for the next relais sync; an ID that is not set aside is\n"
        "refused and nothing changes.\n",
        run,
};

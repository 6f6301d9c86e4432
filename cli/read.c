/* read.c: `relais read`: serve the library to the laptop's browser until stopped. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/reader.h"
#include "relais/sync.h"

extern char **environ;

/* Asks the desktop to open url; the reader works whether or not it can. */
static void open_browser(const char *url)
{
	char *argv[] = {"xdg-open", (char *)url, NULL};
	pid_t pid;

	if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, environ) != 0) {
		fprintf(stderr, "relais: could not open a browser; open the address above\n");
	}
}

/*
 * The reader's "Send now" and "Check for updates" buttons: one sync run
 * (records up, courses down, or both) on a connection of its own, as
 * `relais sync` does with the remembered hub; its message for the learner
 * when it fails.
 */
static int reader_sync(void *data, const char *home_path, unsigned what,
                       relais_reader_progress_fn progress, void *progress_data, char *errmsg,
                       size_t errmsg_size)
{
	struct relais_sync_options opt;
	struct relais_sync_report report;
	struct relais_courses_options copt;
	struct relais_courses_report cr;
	relais_home *home = NULL;
	relais_ctx *ctx = NULL;
	int rc;

	(void)data;
	memset(&opt, 0, sizeof(opt));
	memset(&copt, 0, sizeof(copt));
	copt.net = &opt;
	copt.progress = progress;
	copt.progress_data = progress_data;
	rc = relais_ctx_new(&ctx);
	if (rc != 0) {
		(void)snprintf(errmsg, errmsg_size, "out of memory");
		return rc;
	}
	rc = relais_home_open(&home, ctx, home_path);
	if (rc == 0 && (what & RELAIS_READER_SYNC_RECORDS)) {
		rc = relais_sync_run(&report, home, ctx, &opt);
	}
	if (rc == 0 && (what & RELAIS_READER_SYNC_COURSES)) {
		rc = relais_sync_courses(&cr, home, ctx, &copt);
		if (rc == 0 && cr.no_hub_key) {
			rc = relais_fail(
			        ctx, RELAIS_EINVAL,
			        "no hub key is trusted on this laptop yet: your coordinator "
			        "gives the command to run once (relais trust add-hub HUB.pub)");
		}
	}
	if (rc != 0) {
		(void)snprintf(errmsg, errmsg_size, "%s", relais_errmsg(ctx));
	}
	relais_home_close(home);
	relais_ctx_free(ctx);
	return rc;
}

static int run(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"port", required_argument, NULL, 'p'},
	        {"no-browser", no_argument, NULL, 'n'},
	        {NULL, 0, NULL, 0},
	};
	relais_reader *reader = NULL;
	relais_home *home = NULL;
	struct relais_reader_options opt = {0, reader_sync, NULL};
	int c, browser = 1, sig = 0;
	sigset_t stop;
	char *end;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:n", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.port = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || opt.port > 65535) {
				return cli_usage("read", "--port must be a number from 0 to 65535");
			}
			break;
		case 'n':
			browser = 0;
			break;
		default:
			return cli_bad_option("read", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("read", "unexpected argument '%s'", argv[optind]);
	}
	/* Signals are taken synchronously below, in this thread only. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* xdg-open is not waited for */
	if (relais_home_open(&home, ctx, NULL) != 0 ||
	    relais_reader_start(&reader, ctx, home, &opt) != 0) {
		relais_home_close(home);
		return cli_fail(ctx);
	}
	printf("%s\n", relais_reader_url(reader));
	fflush(stdout);
	fprintf(stderr, "relais: reading from %s; press Ctrl-C to stop\n", relais_home_path(home));
	if (browser) {
		open_browser(relais_reader_url(reader));
	}
	sigwait(&stop, &sig);
	relais_reader_stop(reader);
	relais_home_close(home);
	return EXIT_OK;
}

const struct command cmd_read = {
        "read",
        "open the courses in the laptop's browser",
        "usage: relais read [--port N] [--no-browser]\n"
        "\n"
        "Serves the installed courses on 127.0.0.1 only and opens the browser on\n"
        "them. The first line printed is the address to open; it carries a secret\n"
        "for this launch, so other accounts on the laptop cannot read along.\n"
        "Stop with Ctrl-C.\n"
        "\n"
        "  -p, --port N      the port to listen on (default: any free port)\n"
        "  -n, --no-browser  print the address but do not open a browser\n",
        run,
};

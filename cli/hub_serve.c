/* hub_serve.c: relais-hub serve: the xAPI endpoint, the laptop keys and the coordinators' reports,
 * served. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "relais/hub.h"

static int serve(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"listen", required_argument, NULL, 'l'},
	        {"trusted-proxy", required_argument, NULL, 't'},
	        {"max-connections", required_argument, NULL, 'c'},
	        {"max-per-address", required_argument, NULL, 'a'},
	        {"max-document", required_argument, NULL, 'D'},
	        {"max-documents-per-credential", required_argument, NULL, 'T'},
	        {"max-attachment", required_argument, NULL, 'A'},
	        {"max-attachments-per-credential", required_argument, NULL, 'P'},
	        {"header-timeout", required_argument, NULL, 'H'},
	        {"body-timeout", required_argument, NULL, 'B'},
	        {"body-min-rate", required_argument, NULL, 'r'},
	        {"files", required_argument, NULL, 'f'},
	        {"reports-db", required_argument, NULL, 'R'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *folder = NULL, *listen = "127.0.0.1:8080";
	struct relais_hub_server_options sopt = {0};
	struct rlimit files;
	unsigned long n;
	char address[64];
	relais_hub_server *server = NULL;
	relais_hub *hub = NULL;
	unsigned long port;
	char *colon, *end;
	sigset_t stop;
	int c, sig, status;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:l:t:c:a:D:T:A:P:H:B:r:f:R:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			folder = optarg;
		} else if (c == 'R') {
			if (!relais_hub_is_postgresql(optarg)) {
				return cli_usage("serve",
				                 "--reports-db takes a PostgreSQL URL "
				                 "(postgresql://...) of a replica of --db");
			}
			sopt.reports_db = optarg;
		} else if (c == 'l') {
			listen = optarg;
		} else if (c == 't') {
			sopt.trusted_proxy = optarg;
		} else if (c == 'D') {
			/* 1 byte to 64 MiB: a document is one learner's state or profile. */
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || optarg[0] == '-' || n < 1 ||
			    n > 64ul * 1024 * 1024) {
				return cli_usage("serve",
				                 "--max-document takes 1 to 67108864 (bytes)");
			}
			sopt.max_document = n;
		} else if (c == 'T') {
			unsigned long long total = strtoull(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || optarg[0] == '-' || total < 1) {
				return cli_usage("serve", "--max-documents-per-credential takes a "
				                          "number of bytes, at least 1");
			}
			sopt.max_documents_total = total;
		} else if (c == 'A') {
			/* 1 byte to 256 MiB: a request holds it in memory. */
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || optarg[0] == '-' || n < 1 ||
			    n > 256ul * 1024 * 1024) {
				return cli_usage("serve",
				                 "--max-attachment takes 1 to 268435456 (bytes)");
			}
			sopt.max_attachment = n;
		} else if (c == 'P') {
			unsigned long long t = strtoull(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || optarg[0] == '-' || t < 1) {
				return cli_usage("serve",
				                 "--max-attachments-per-credential takes a "
				                 "number of bytes, at least 1");
			}
			sopt.max_attachments_per_credential = t;
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
		} else if (c == 'H' || c == 'B') {
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || n < 1 || n > 3600) {
				return cli_usage(
				        "serve",
				        c == 'H' ? "--header-timeout takes 1 to 3600 seconds"
				                 : "--body-timeout takes 1 to 3600 seconds");
			}
			if (c == 'H') {
				sopt.header_timeout = (unsigned)n;
			} else {
				sopt.body_timeout = (unsigned)n;
			}
		} else if (c == 'r') {
			n = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '\0' || n < 1 || n > 1000000000) {
				return cli_usage(
				        "serve",
				        "--body-min-rate takes 1 to 1000000000 bytes per second");
			}
			sopt.body_min_rate = (unsigned)n;
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
	if ((status = cli_hub_open_files(&hub, ctx, "serve", db, folder)) != EXIT_OK) {
		return status;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A download's spool past the size limit of files (ulimit -f) fails that download, not the
	 * hub. */
	signal(SIGXFSZ, SIG_IGN);
	/* Each connection is a descriptor: allow as many as the system lets us. */
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
		files.rlim_cur = files.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &files);
	}
	sopt.address = address;
	sopt.port = (unsigned)port;
	if (relais_hub_server_start(&server, ctx, hub, &sopt) != 0) {
		relais_hub_close(hub);
		return cli_fail(ctx);
	}
	printf("http://%s:%u/\n", address, relais_hub_server_port(server));
	fflush(stdout);
	if (relais_hub_is_postgresql(cli_hub_db_path(db))) {
		/* The URL may hold a password: not shown. */
		fprintf(stderr, "relais-hub: serving a PostgreSQL database; stop with Ctrl-C\n");
	} else {
		fprintf(stderr, "relais-hub: serving %s; stop with Ctrl-C\n", cli_hub_db_path(db));
	}
	sigwait(&stop, &sig);
	relais_hub_server_stop(server);
	relais_hub_close(hub);
	return EXIT_OK;
}

/* credentials add-laptop-key KEY PUBFILE: a laptop key carried by hand. */

const struct command cmd_hub_serve = {
        "serve",
        "serve the xAPI statements endpoint and the reports",
        "usage: relais-hub serve [--db PATH] [--listen ADDRESS:PORT]\n"
        "                        [--trusted-proxy ADDRESS] [--max-connections N]\n"
        "                        [--max-per-address N] [--max-document BYTES]\n"
        "                        [--max-documents-per-credential BYTES]\n"
        "                        [--max-attachment BYTES]\n"
        "                        [--max-attachments-per-credential BYTES]\n"
        "                        [--header-timeout S] [--body-timeout S]\n"
        "                        [--body-min-rate BYTES] [--files DIR]\n"
        "                        [--reports-db URL]\n\n"
        "Serves the xAPI 1.0.3 resources under /xapi (statements, about, the\n"
        "State, Activity Profile and Agent Profile documents, activities and\n"
        "agents; HTTP Basic credentials from 'credentials add'), the catalogue\n"
        "of published courses under /relais, and the coordinators' reports at\n"
        "/reports. Default: --listen 127.0.0.1:8080; put TLS in a reverse proxy\n"
        "in front (docs/hub.md) and name it with --trusted-proxy, so that its\n"
        "X-Forwarded-Proto and X-Forwarded-For are believed. At most N\n"
        "connections (default 1000), 256 from one address. xAPI documents of at\n"
        "most BYTES each (default 1048576; larger ones get 413), and at most\n"
        "--max-documents-per-credential bytes in all under one credential\n"
        "(default 268435456; a write past it gets 413). Statement\n"
        "attachments sent as multipart/mixed of at most --max-attachment bytes\n"
        "each (default 8388608) and --max-attachments-per-credential bytes in\n"
        "all for one credential (default 1073741824); past them 413. A request's\n"
        "headers must be in within --header-timeout seconds (default 10) and its\n"
        "body within --body-timeout seconds (default 30) plus one second for\n"
        "every --body-min-rate bytes (default 1000), else the connection is\n"
        "closed. --db may name a PostgreSQL database (postgresql://...;\n"
        "docs/hub.md), which several nodes may serve at once; --reports-db\n"
        "then names a streaming replica of it (postgresql://...) that the\n"
        "report pages and files read, lagging --db by the replication delay,\n"
        "while statements, sign-ins, cohorts and the administration go to --db.\n"
        "Prints its address first; stop with Ctrl-C.\n" CLI_HUB_FILES_HELP,
        serve,
};

/* sync.c: `relais sync` (records up, courses down) and `relais export-records`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/outbox.h"
#include "relais/progress.h"
#include "relais/sync.h"
#include "relais/trust.h"

#define WATCH_IDLE_S 30           /* re-check the outbox this often when all is sent */
#define WATCH_BASE_S 15           /* first pause after a failed run ... */
#define WATCH_MAX_S (5 * 60)      /* ... doubling up to this, with full jitter */
#define WATCH_COURSES_S (15 * 60) /* look at the catalogue this often (a conditional GET) */
#define ATTEMPTS_MAX 100

/* The terminal line that shows a sync going. */
struct meter {
	int tty;    /* stderr is a terminal */
	int shown;  /* a progress line is on screen */
	int tenths; /* the last bar drawn, in 40ths of the download; -1: none */
	uint64_t last_done;
};

static void clear_line(struct meter *m)
{
	if (m->shown) {
		fputs("\r\033[K", stderr);
		m->shown = 0;
	}
}

static void on_progress(void *data, size_t done, size_t total, uint64_t bytes_up)
{
	struct meter *m = data;
	char size[32];

	if (!m->tty) {
		return;
	}
	cli_human_size(size, sizeof(size), bytes_up);
	fprintf(stderr, "\r\033[Ksending: %zu/%zu statements, %s up", done, total, size);
	fflush(stderr);
	m->shown = 1;
}

/* Sizes as the bar shows them: both in MiB, or both in KiB for small files. */
static void bar_sizes(char *buf, size_t size, uint64_t done, uint64_t total)
{
	if (total >= 1024 * 1024) {
		(void)snprintf(buf, size, "%.1f/%.1f MiB", (double)done / (1024 * 1024),
		               (double)total / (1024 * 1024));
	} else {
		(void)snprintf(buf, size, "%.1f/%.1f KiB", (double)done / 1024,
		               (double)total / 1024);
	}
}

/* downloading fr-intro v3: [#####     ] 4.2/8.0 MiB, redrawn when it moves. */
static void on_course_progress(void *data, const char *course_id, uint64_t version, uint64_t done,
                               uint64_t total)
{
	struct meter *m = data;
	char bar[11], sizes[64];
	int filled, i;

	if (!m->tty) {
		return;
	}
	filled = total ? (int)(done * 10 / total) : 10;
	if (m->shown && done != total && done - m->last_done < 64 * 1024 &&
	    filled * 4 == m->tenths) {
		return;
	}
	m->tenths = filled * 4;
	m->last_done = done;
	for (i = 0; i < 10; i++) {
		bar[i] = i < filled ? '#' : ' ';
	}
	bar[10] = '\0';
	bar_sizes(sizes, sizeof(sizes), done, total);
	fprintf(stderr, "\r\033[Kdownloading %s v%llu: [%s] %s", course_id,
	        (unsigned long long)version, bar, sizes);
	fflush(stderr);
	m->shown = 1;
}

static void courses_summary(const struct relais_courses_report *c)
{
	printf("courses: installed %zu, updated %zu, failed %zu, %llu bytes down\n", c->installed,
	       c->updated, c->failed, (unsigned long long)c->bytes_down);
	if (c->certificates > 0 || c->certificates_refused > 0) {
		printf("certificates: received %zu, refused %zu\n", c->certificates,
		       c->certificates_refused);
	}
	fflush(stdout);
}

/* Retries and set-aside statements: always warnings, retry notices on a terminal only. */
static void on_log(void *data, int level, const char *msg)
{
	struct meter *m = data;

	if (level < RELAIS_LOG_INFO || (level == RELAIS_LOG_INFO && !m->tty)) {
		return;
	}
	clear_line(m);
	fprintf(stderr, "relais: %s\n", msg);
}

static void summary(const struct relais_sync_report *r)
{
	printf("sent %zu, left %zu, set aside %zu, %llu bytes up\n", r->sent, r->left, r->set_aside,
	       (unsigned long long)r->bytes_up);
	fflush(stdout);
}

/*
 * Waits up to seconds for SIGINT or SIGTERM (blocked in stop, so a signal that
 * came during a run waits here); returns 1 when one came.
 */
static int stopped_within(const sigset_t *stop, double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	for (;;) {
		if (sigtimedwait(stop, NULL, &ts) >= 0) {
			return 1;
		}
		if (errno != EINTR) {
			return 0; /* EAGAIN: the time is up */
		}
	}
}

/* Adds one run's figures to the watch's totals. */
static void add_run(struct relais_sync_report *total, const struct relais_sync_report *r)
{
	total->sent += r->sent;
	total->set_aside += r->set_aside;
	total->bytes_up += r->bytes_up;
	total->left = r->left;
}

/*
 * Keeps the outbox flowing until SIGINT or SIGTERM: a run whenever something
 * is pending, a pause with backoff after a failed run, a look at the outbox
 * every WATCH_IDLE_S otherwise. The signals are blocked, so a run in progress
 * finishes; then the summary line of the whole watch is printed into total.
 * Ending at any moment loses nothing: a batch whose reply did not come back is
 * sent again, and the hub keeps one copy. Returns early when retrying cannot
 * help (credentials refused, no hub, a local failure).
 */
static int watch(struct relais_sync_report *total, relais_home *home, relais_ctx *ctx,
                 struct relais_sync_options *opt, const struct relais_courses_options *copt,
                 struct meter *m)
{
	struct relais_sync_report r;
	struct timespec now;
	sigset_t stop;
	int64_t pending;
	double courses_due = 0;
	int rc, failures = 0;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (copt != NULL && (double)now.tv_sec >= courses_due) {
			/* Courses come down too, at the start and every WATCH_COURSES_S;
			 * a failure is said and waits for the next look. */
			struct relais_courses_report cr;
			courses_due = (double)now.tv_sec + WATCH_COURSES_S;
			rc = relais_sync_courses(&cr, home, ctx, copt);
			clear_line(m);
			if (rc != 0 && !cr.no_hub_key) {
				cli_error("%s", relais_errmsg(ctx));
			}
			if (cr.installed > 0 || cr.updated > 0 || cr.failed > 0 ||
			    cr.certificates_refused > 0) {
				courses_summary(&cr);
			}
		}
		if (opt == NULL) {
			if (stopped_within(&stop, WATCH_IDLE_S)) {
				return 0;
			}
			continue;
		}
		if (relais_outbox_count(&pending, home, ctx) != 0) {
			return cli_fail(ctx);
		}
		total->left = (size_t)pending;
		if (pending == 0) {
			if (stopped_within(&stop, WATCH_IDLE_S)) {
				return 0;
			}
			continue;
		}
		rc = relais_sync_run(&r, home, ctx, opt);
		clear_line(m);
		add_run(total, &r);
		if (r.sent > 0 || r.set_aside > 0) {
			summary(&r);
		}
		if (rc == 0) {
			failures = 0;
			if (stopped_within(&stop, 0)) {
				return 0;
			}
			continue;
		}
		if (rc != RELAIS_EIO) {
			return cli_fail(ctx);
		}
		{
			double ceiling = WATCH_BASE_S, d;
			int i;
			for (i = 0; i < failures && ceiling < WATCH_MAX_S; i++) {
				ceiling *= 2;
			}
			if (ceiling > WATCH_MAX_S) {
				ceiling = WATCH_MAX_S;
			}
			d = (double)randombytes_uniform((uint32_t)(ceiling * 1000) + 1) / 1000;
			cli_error("%s; trying again in %.0f s", relais_errmsg(ctx), d);
			failures++;
			if (stopped_within(&stop, d)) {
				return 0;
			}
		}
		/* Given once, the hub and credentials are now remembered. */
	}
}

static int sync_run(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"hub", required_argument, NULL, 'H'},
	        {"key", required_argument, NULL, 'k'},
	        {"secret", required_argument, NULL, 's'},
	        {"batch", required_argument, NULL, 'b'},
	        {"attempts", required_argument, NULL, 'a'},
	        {"watch", no_argument, NULL, 'w'},
	        {"no-courses", no_argument, NULL, 'C'},
	        {"no-records", no_argument, NULL, 'R'},
	        {"from", required_argument, NULL, 'f'},
	        {"hub-key", required_argument, NULL, 'K'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_sync_options opt;
	struct relais_courses_options copt;
	struct relais_sync_report r;
	struct relais_courses_report cr;
	struct meter m = {0};
	relais_home *home = NULL;
	const char *from = NULL, *hub_key = NULL;
	char id[RELAIS_KEYID_HEX];
	unsigned long v;
	char *end;
	int c, rc, status, watching = 0, records = 1, courses = 1;

	memset(&opt, 0, sizeof(opt));
	memset(&copt, 0, sizeof(copt));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":H:k:s:b:a:wf:", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			opt.hub_url = optarg;
			break;
		case 'k':
			opt.key = optarg;
			break;
		case 's':
			opt.secret = optarg;
			break;
		case 'b':
			v = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0' || v > 1000) {
				return cli_usage("sync", "--batch must be a number from 1 to 1000");
			}
			opt.batch_size = (size_t)v;
			break;
		case 'a':
			v = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0' || v > ATTEMPTS_MAX) {
				return cli_usage("sync", "--attempts must be a number from 1 to %d",
				                 ATTEMPTS_MAX);
			}
			opt.max_attempts = (int)v;
			break;
		case 'w':
			watching = 1;
			break;
		case 'C':
			courses = 0;
			break;
		case 'R':
			records = 0;
			break;
		case 'f':
			from = optarg;
			break;
		case 'K':
			hub_key = optarg;
			break;
		default:
			return cli_bad_option("sync", c, argv);
		}
	}
	if (optind != argc) {
		return cli_usage("sync", "unexpected argument '%s'", argv[optind]);
	}
	if (from != NULL) {
		if (!courses) {
			return cli_usage("sync",
			                 "--from brings courses: it cannot go with --no-courses");
		}
		if (watching || opt.hub_url != NULL) {
			return cli_usage("sync",
			                 "--from takes courses from a folder: no --watch or --hub");
		}
		records = 0; /* records never go to a folder: relais export-records does that */
	}
	if (!records && !courses) {
		return cli_usage("sync", "--no-records and --no-courses leave nothing to do");
	}
	m.tty = isatty(STDERR_FILENO);
	opt.progress = on_progress;
	opt.progress_data = &m;
	copt.net = &opt;
	copt.from_dir = from;
	copt.progress = on_course_progress;
	copt.progress_data = &m;
	signal(SIGPIPE, SIG_IGN);
	/* A file-size limit makes a write fail (EFBIG, "the disk is full") instead of killing us.
	 */
	signal(SIGXFSZ, SIG_IGN);
	if (relais_home_open(&home, ctx, NULL) != 0) {
		return cli_fail(ctx);
	}
	relais_ctx_set_log(ctx, on_log, &m);
	status = EXIT_OK;
	if (hub_key != NULL) {
		if (relais_trust_add_hub(home, ctx, hub_key, NULL, id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
		printf("trusting hub key %s\n", id);
	}
	memset(&r, 0, sizeof(r));
	rc = 0;
	if (watching) {
		rc = watch(&r, home, ctx, records ? &opt : NULL, courses ? &copt : NULL, &m);
	} else if (records) {
		rc = relais_sync_run(&r, home, ctx, &opt);
	}
	if (records) {
		clear_line(&m);
		summary(&r);
		if (watching && rc != 0) {
			status = rc; /* the watch has said why */
		} else if (rc != 0) {
			status = cli_fail(ctx);
		} else if (r.left > 0) {
			cli_error("%zu statements are still waiting to be sent", r.left);
			status = EXIT_FAIL;
		}
		if (r.set_aside > 0) {
			/* Never a silent success: these reach no hub until put back. */
			cli_error("%zu %s set aside: relais outbox shows why, relais outbox retry "
			          "puts %s back",
			          r.set_aside,
			          r.set_aside == 1 ? "statement was" : "statements were",
			          r.set_aside == 1 ? "it" : "them");
			if (status == EXIT_OK) {
				status = EXIT_FAIL;
			}
		}
	}
	/* Courses come down unless the hub cannot be used at all (none, or credentials refused). */
	if (courses && !watching && !(records && rc == RELAIS_EINVAL)) {
		memset(&cr, 0, sizeof(cr));
		rc = 0;
		if (!(records && r.not_relais_hub)) {
			rc = relais_sync_courses(&cr, home, ctx, &copt);
		}
		clear_line(&m);
		if ((records && r.not_relais_hub) || cr.not_offered) {
			/* Records go to any LRS; courses come only from a relais hub. */
			printf("courses: not offered there (an xAPI LRS, not a relais hub)\n");
			if (!records) {
				cli_error("courses are not offered by this hub address: it is an "
				          "xAPI LRS, not a relais hub");
				status = EXIT_FAIL;
			}
		} else if (cr.no_hub_key) {
			if (!records) {
				cli_error("no hub key is trusted: relais trust add-hub PUBLIC_KEY, "
				          "or "
				          "relais sync --hub-key PUBLIC_KEY");
				status = EXIT_FAIL;
			}
		} else {
			courses_summary(&cr);
			if (rc != 0) {
				status = cli_fail(ctx);
			}
		}
	}
out:
	relais_ctx_set_log(ctx, NULL, NULL);
	relais_home_close(home);
	return status;
}

static int export_run(relais_ctx *ctx, int argc, char **argv)
{
	relais_home *home = NULL;
	char *where = NULL;
	size_t n = 0;
	int status = EXIT_OK;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", cli_no_options, NULL) != -1) {
		return cli_bad_option("export-records", '?', argv);
	}
	if (argc - optind != 1) {
		return cli_usage("export-records", "give exactly one output file");
	}
	if (relais_home_open(&home, ctx, NULL) != 0) {
		return cli_fail(ctx);
	}
	if (relais_outbox_export(&n, home, ctx, argv[optind]) != 0 ||
	    relais_laptop_key_registered(&where, home, ctx) != 0) {
		status = cli_fail(ctx);
	} else {
		printf("%zu statements written to %s\n", n, argv[optind]);
		if (where == NULL) {
			cli_error("no hub has registered this laptop's key yet: the hub imports %s "
			          "only after one relais sync reaches it, or once a coordinator "
			          "runs relais-hub credentials add-laptop-key KEY PUBFILE with the "
			          "key relais laptop-key prints",
			          argv[optind]);
		}
	}
	free(where);
	relais_home_close(home);
	return status;
}

static int laptop_key_run(relais_ctx *ctx, int argc, char **argv)
{
	relais_home *home = NULL;
	char *pub = NULL;
	int made = 0, status = EXIT_OK;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", NULL, NULL) != -1) {
		return cli_bad_option("laptop-key", '?', argv);
	}
	if (argc - optind != 0) {
		return cli_usage("laptop-key", "unexpected argument '%s'", argv[optind]);
	}
	if (relais_home_open(&home, ctx, NULL) != 0) {
		return cli_fail(ctx);
	}
	if (relais_laptop_key_public(&pub, &made, home, ctx) != 0) {
		status = cli_fail(ctx);
	} else {
		fputs(pub, stdout);
	}
	free(pub);
	relais_home_close(home);
	return status;
}

const struct command cmd_sync = {
        "sync",
        "send learning records to the hub and bring published courses down",
        "usage: relais sync [--hub URL --key KEY --secret SECRET] [--hub-key PUB]\n"
        "                   [--no-records | --no-courses] [--batch N] [--attempts N]\n"
        "                   [--watch]\n"
        "       relais sync --from DIR [--hub-key PUB] [--attempts N]\n"
        "\n"
        "Sends every learning record waiting in the outbox to the hub, compressed,\n"
        "in batches, each marked sent only once the hub has stored it. Transient\n"
        "failures are retried with growing pauses; a record the hub refuses as\n"
        "invalid is set aside (see relais outbox) and never blocks the others. A\n"
        "reply that is not an xAPI hub's (a captive portal's page, a redirect)\n"
        "ends the run and leaves every record waiting.\n"
        "Then, when a hub key is trusted (relais trust add-hub), brings courses\n"
        "down: the hub's signed catalogue when it changed, then the new courses\n"
        "for this laptop's learners' organisations and the updates of installed\n"
        "ones, each checked against the catalogue's SHA-256 and installed as\n"
        "relais install does; a cut download resumes at the next sync. The\n"
        "learners' certificates come down too, each checked against the trusted\n"
        "hub keys (relais certificate list).\n"
        "Ends with: sent N, left N, set aside N, N bytes up; and\n"
        "courses: installed N, updated N, failed N, N bytes down (and\n"
        "certificates: received N, refused N when there were any).\n"
        "\n"
        "  -H, --hub URL      the hub's address, e.g. https://hub.example.org\n"
        "  -k, --key KEY      the key the coordinator gave (relais-hub credentials add)\n"
        "  -s, --secret SEC   its secret\n"
        "      --hub-key PUB  trust this hub key (a .pub file or its base64 line)\n"
        "                     for catalogues first, as relais trust add-hub does\n"
        "      --no-records   only bring courses down\n"
        "      --no-courses   only send records\n"
        "  -f, --from DIR     bring courses from a folder (relais-hub\n"
        "                     export-catalogue) under the same rules; no records\n"
        "  -b, --batch N      records per request (default 100)\n"
        "  -a, --attempts N   tries per batch, and per download (default 8 and 3)\n"
        "  -w, --watch        keep running: send records whenever they wait and the\n"
        "                     hub answers, look for new courses every 15 minutes;\n"
        "                     stop with Ctrl-C\n"
        "\n"
        "The hub, key and secret are remembered: give them once.\n"
        "Exit status: 0 when everything was sent and every chosen course installed;\n"
        "1 when something is left or was set aside (relais outbox retry puts\n"
        "set-aside records back), a course failed, or the catalogue was refused.\n",
        sync_run,
};

const struct command cmd_export = {
        "export-records",
        "write the records waiting to be sent into a file for the hub",
        "usage: relais export-records FILE\n"
        "\n"
        "Writes every learning record not yet sent into FILE (gzip-compressed JSON,\n"
        "docs/sync.md), for carrying to the hub on a USB stick when there is no\n"
        "network, and FILE.minisig, its signature by this laptop's key: the hub\n"
        "imports the file only when it knows the key (one relais sync registers it;\n"
        "relais laptop-key prints it for registering by hand). The records stay\n"
        "waiting: sending them later as well is harmless, the hub keeps one copy\n"
        "of each.\n",
        export_run,
};

const struct command cmd_laptop_key = {
        "laptop-key",
        "print the public key that signs this laptop's exported records",
        "usage: relais laptop-key\n"
        "\n"
        "Prints this laptop's public key (a minisign .pub file), made on first use.\n"
        "relais sync registers it with the hub; for a laptop that never reaches the\n"
        "hub, save it to a file and have a coordinator run\n"
        "relais-hub credentials add-laptop-key KEY FILE.\n",
        laptop_key_run,
};

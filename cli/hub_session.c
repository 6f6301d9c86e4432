/* hub_session.c: relais-hub session: live sessions the hub schedules, changes or cancels. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/hub.h"
#include "relais/publish.h"
#include "relais/session.h"

/* Replaces *field with a copy of value; -1 when out of memory. */
static int set(char **field, const char *value)
{
	char *copy = value ? strdup(value) : NULL;
	if (value && copy == NULL) {
		return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* --before a,b,c into s->before; -1 when out of memory or too many. */
static int set_before(struct relais_session *s, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int rc = copy ? 0 : -1;

	for (size_t i = 0; i < s->n_before; i++) {
		free(s->before[i]);
	}
	free(s->before);
	s->before = NULL;
	s->n_before = 0;
	if (copy && (s->before = calloc(RELAIS_SESSION_BEFORE_MAX + 1, sizeof(char *))) == NULL) {
		rc = -1;
	}
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		if (s->n_before == RELAIS_SESSION_BEFORE_MAX + 1 ||
		    (s->before[s->n_before++] = strdup(tok)) == NULL) {
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int session(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"db", required_argument, NULL, 'd'},
	        {"title", required_argument, NULL, 't'},
	        {"start", required_argument, NULL, 's'},
	        {"end", required_argument, NULL, 'e'},
	        {"timezone", required_argument, NULL, 'z'},
	        {"place", required_argument, NULL, 'p'},
	        {"online", required_argument, NULL, 'o'},
	        {"trainer", required_argument, NULL, 'r'},
	        {"before", required_argument, NULL, 'b'},
	        {"cohort", required_argument, NULL, 'c'},
	        {"files", required_argument, NULL, 'f'},
	        {NULL, 0, NULL, 0},
	};
	const char *db = NULL, *files = NULL, *given[128] = {0}, *verb;
	struct relais_session s = {0};
	relais_hub *hub = NULL;
	uint64_t serial = 0;
	char *list = NULL;
	int c, n, rc = 0, status = EXIT_OK, edits = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:t:s:e:z:p:o:r:b:c:f:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 'f') {
			files = optarg;
		} else if (strchr("tsezporbc", c) != NULL && c > 0) {
			given[c] = optarg;
			edits++;
		} else {
			return cli_bad_option("session", c, argv);
		}
	}
	n = argc - optind;
	verb = n > 0 ? argv[optind] : "";
	if (!((strcmp(verb, "add") == 0 && n == 3) || (strcmp(verb, "change") == 0 && n == 3) ||
	      (strcmp(verb, "cancel") == 0 && n == 3) || (strcmp(verb, "list") == 0 && n <= 2)) ||
	    (edits > 0 && strcmp(verb, "add") != 0 && strcmp(verb, "change") != 0) ||
	    (strcmp(verb, "change") == 0 && edits == 0)) {
		return cli_usage("session",
		                 "say: session add COURSE ID --title T --start S --end E "
		                 "--timezone TZ --place P|--online URL, change COURSE ID "
		                 "[options], cancel COURSE ID or list [COURSE]");
	}
	if (given['p'] && given['o']) {
		return cli_usage("session", "give --place or --online, not both");
	}
	if ((status = cli_hub_open_files(&hub, ctx, "session", db, files)) != EXIT_OK) {
		return status;
	}
	if (strcmp(verb, "list") == 0) {
		rc = relais_hub_session_list(&list, hub, ctx, n == 2 ? argv[optind + 1] : NULL);
		if (rc == 0) {
			fputs(list, stdout);
		}
		goto out;
	}
	if (strcmp(verb, "add") == 0) {
		rc = set(&s.course, argv[optind + 1]) || set(&s.id, argv[optind + 2]) ? -1 : 0;
	} else {
		rc = relais_hub_session_get(&s, hub, ctx, argv[optind + 1], argv[optind + 2]);
	}
	if (rc == 0 && (given['p'] || given['o'])) {
		rc = set(&s.place, given['p']) || set(&s.online, given['o']) ? -1 : 0;
	}
	if (rc == 0 &&
	    ((given['t'] && set(&s.title, given['t'])) ||
	     (given['s'] && set(&s.start, given['s'])) || (given['e'] && set(&s.end, given['e'])) ||
	     (given['z'] && set(&s.timezone, given['z'])) ||
	     (given['r'] && set(&s.trainer, given['r'])) ||
	     (given['c'] && set(&s.cohort, given['c'])) ||
	     (given['b'] && set_before(&s, given['b'])))) {
		rc = -1;
	}
	if (rc == -1) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory (or --before names too many)");
	}
	if (rc == 0) {
		s.cancelled = strcmp(verb, "cancel") == 0 ? 1
		              : strcmp(verb, "add") == 0  ? 0
		                                          : s.cancelled;
		rc = relais_hub_session_set(&serial, hub, ctx, &s, strcmp(verb, "add") == 0);
	}
	if (rc == 0) {
		printf("session %s of %s %s; catalogue serial %llu\n", s.id, s.course,
		       strcmp(verb, "add") == 0      ? "added"
		       : strcmp(verb, "cancel") == 0 ? "cancelled"
		                                     : "changed",
		       (unsigned long long)serial);
	}
out:
	if (rc != 0) {
		status = cli_fail(ctx);
	}
	free(list);
	relais_session_clear(&s);
	relais_hub_close(hub);
	return status;
}

const struct command cmd_hub_session = {
        "session",
        "live sessions of published courses: add, change, cancel, list",
        "usage: relais-hub session add COURSE ID --title T --start S --end E --timezone TZ\n"
        "                              (--place TEXT | --online URL) [--trainer NAME]\n"
        "                              [--before UNIT,UNIT...] [--cohort NAME|ID] [--db PATH]\n"
        "                              [--files DIR]\n"
        "       relais-hub session change COURSE ID [any option of add] [--db PATH]\n"
        "                                 [--files DIR]\n"
        "       relais-hub session cancel COURSE ID [--db PATH] [--files DIR]\n"
        "       relais-hub session list [COURSE] [--db PATH] [--files DIR]\n\n"
        "Schedules a live session of a published course, or changes or cancels one\n"
        "(the course's bundle's own sessions too: the hub's version then stands over\n"
        "the bundle's, also when a later version is published). START and END are\n"
        "wall-clock times YYYY-MM-DDTHH:MM in TZ, an IANA time zone (Africa/Dakar).\n"
        "Checked as relais pack --check checks course.json: end after start, the\n"
        "zone in this machine's tz database, --before naming units of the course's\n"
        "current bundle. --cohort makes it a session of that cohort (the course must\n"
        "be assigned to it): laptops show it to the cohort's members only, and it\n"
        "counts towards the cohort's programme certificate; --cohort \"\" makes it\n"
        "the whole course's again. Each change signs a new catalogue: laptops see it\n"
        "at their next sync.\n" CLI_HUB_FILES_HELP,
        session,
};

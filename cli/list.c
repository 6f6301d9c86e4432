/* list.c: relais list: the installed courses and each learner's progress in them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/progress.h"
#include "relais/updates.h"

/* Each learner's marks (from the last catalogue), one list per profile. */
struct learner_marks {
	struct relais_course_mark *marks;
	size_t n;
};

/* One line per learner who started the course or must take it. */
static int print_course_progress(relais_home *home, relais_ctx *ctx, const struct relais_profile *p,
                                 size_t np, const struct learner_marks *lm, const char *course_id)
{
	struct relais_course_progress cp;
	size_t i;

	for (i = 0; i < np; i++) {
		const struct relais_course_mark *m =
		        relais_course_marks_find(lm[i].marks, lm[i].n, course_id);
		int required = m != NULL && (m->flags & RELAIS_MARK_REQUIRED);
		if (relais_progress_get(&cp, home, ctx, p[i].id, course_id) != 0) {
			return -1;
		}
		if (cp.done > 0 || cp.completed || required) {
			printf("    %-24s %u/%u units%s", p[i].name, cp.done, cp.total,
			       cp.completed ? ", completed" : "");
			if (required) {
				printf("; required%s%s%s", m->due[0] ? ", due " : "", m->due,
				       (m->flags & RELAIS_MARK_OVERDUE) ? " (overdue)" : "");
			}
			printf("\n");
		}
		relais_course_progress_clear(&cp);
	}
	return 0;
}

static int list(relais_ctx *ctx, int argc, char **argv)
{
	struct relais_course_info *courses = NULL;
	struct relais_profile *profiles = NULL;
	struct learner_marks *lm = NULL;
	relais_home *home = NULL;
	size_t n = 0, np = 0, i;
	int status;

	optind = 0;
	opterr = 0;
	if (getopt_long(argc, argv, ":", cli_no_options, NULL) != -1) {
		return cli_bad_option("list", '?', argv);
	}
	if (optind < argc) {
		return cli_usage("list", "list takes no argument");
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (relais_library_list(&courses, &n, home, ctx) != 0 ||
	    relais_profile_list(&profiles, &np, home, ctx) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (np > 0 && (lm = calloc(np, sizeof(*lm))) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	for (i = 0; i < np; i++) {
		if (relais_updates_marks(&lm[i].marks, &lm[i].n, home, ctx, profiles[i].id, NULL) !=
		    0) {
			status = cli_fail(ctx);
			goto out;
		}
	}
	if (n == 0) {
		printf("no courses installed: relais install BUNDLE\n");
	}
	for (i = 0; i < n; i++) {
		printf("%s  version %llu  %s  [%s, %u units, key %s%s]\n", courses[i].id,
		       (unsigned long long)courses[i].version, courses[i].title,
		       courses[i].language, courses[i].n_units, courses[i].signer,
		       courses[i].publisher_revoked ? ", revoked: no updates" : "");
		if (print_course_progress(home, ctx, profiles, np, lm, courses[i].id) != 0) {
			status = cli_fail(ctx);
			goto out;
		}
	}
	status = EXIT_OK;
out:
	for (i = 0; lm != NULL && i < np; i++) {
		relais_course_marks_free(lm[i].marks, lm[i].n);
	}
	free(lm);
	relais_course_info_free(courses, n);
	relais_profile_list_free(profiles, np);
	relais_home_close(home);
	return status;
}

const struct command cmd_list = {
        "list",
        "show installed courses and each learner's progress",
        "usage: relais list\n\n"
        "Under each course, a line for each learner who started it or must take it\n"
        "(required for their organisation or assigned to their cohort by the hub's\n"
        "catalogue), with its due date and (overdue) when it has passed.\n",
        list,
};

/* progress.c: relais progress: every learner's progress, as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "relais/error.h"
#include "relais/home.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/progress.h"

static int progress(relais_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	        {"json", no_argument, NULL, 'J'},
	        {NULL, 0, NULL, 0},
	};
	struct relais_course_info *courses = NULL;
	struct relais_profile *p = NULL;
	relais_home *home = NULL;
	cJSON *root = NULL;
	size_t n = 0, np = 0, i, k, u;
	int c, as_json = 0, status;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":J", opts, NULL)) != -1) {
		if (c != 'J') {
			return cli_bad_option("progress", c, argv);
		}
		as_json = 1;
	}
	if (optind != argc) {
		return cli_usage("progress", "unexpected argument '%s'", argv[optind]);
	}
	if ((status = cli_open_home(&home, ctx)) != EXIT_OK) {
		return status;
	}
	status = EXIT_FAIL;
	if (relais_library_list(&courses, &n, home, ctx) != 0 ||
	    relais_profile_list(&p, &np, home, ctx) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	root = cJSON_CreateArray();
	for (i = 0; i < np; i++) {
		cJSON *jp = cJSON_CreateObject(), *jcourses;
		cJSON_AddStringToObject(jp, "name", p[i].name);
		cJSON_AddStringToObject(jp, "email", p[i].email);
		cJSON_AddStringToObject(jp, "org", p[i].org);
		jcourses = cJSON_AddArrayToObject(jp, "courses");
		cJSON_AddItemToArray(root, jp);
		if (!as_json) {
			printf("%s <%s>\n", p[i].name, p[i].email);
		}
		for (k = 0; k < n; k++) {
			struct relais_course_progress cp;
			cJSON *jc, *units;
			if (relais_progress_get(&cp, home, ctx, p[i].id, courses[k].id) != 0) {
				status = cli_fail(ctx);
				goto out;
			}
			jc = cJSON_CreateObject();
			cJSON_AddStringToObject(jc, "id", courses[k].id);
			cJSON_AddNumberToObject(jc, "version", (double)courses[k].version);
			cJSON_AddNumberToObject(jc, "done", cp.done);
			cJSON_AddNumberToObject(jc, "total", cp.total);
			cJSON_AddBoolToObject(jc, "completed", cp.completed);
			units = cJSON_AddArrayToObject(jc, "units");
			for (u = 0; u < cp.n_units; u++) {
				static const char *const states[] = {"new", "seen", "done"};
				cJSON *ju = cJSON_CreateObject();
				cJSON_AddStringToObject(ju, "id", cp.units[u].unit_id);
				cJSON_AddStringToObject(ju, "state", states[cp.units[u].state]);
				if (cp.units[u].attempts > 0) {
					cJSON_AddNumberToObject(ju, "attempts",
					                        cp.units[u].attempts);
					cJSON_AddNumberToObject(ju, "best_percent",
					                        cp.units[u].best_percent);
				}
				cJSON_AddItemToArray(units, ju);
			}
			cJSON_AddItemToArray(jcourses, jc);
			if (!as_json) {
				printf("  %-28s %u/%u units%s\n", courses[k].id, cp.done, cp.total,
				       cp.completed ? ", completed" : "");
			}
			relais_course_progress_clear(&cp);
		}
	}
	if (as_json) {
		char *text = cJSON_Print(root);
		if (text == NULL) {
			cli_error("out of memory");
			goto out;
		}
		printf("%s\n", text);
		free(text);
	} else if (np == 0) {
		printf("no learners yet: relais profile add --name NAME --email EMAIL\n");
	}
	status = EXIT_OK;
out:
	cJSON_Delete(root);
	relais_course_info_free(courses, n);
	relais_profile_list_free(p, np);
	relais_home_close(home);
	return status;
}

const struct command cmd_progress = {
        "progress",
        "print each learner's progress per course",
        "usage: relais progress [--json]\n"
        "\n"
        "  --json  print as JSON\n",
        progress,
};

/* hub_cohort.c: relais-hub cohort: learners grouped by a coordinator and the courses they must
 * take, by a date. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "relais/cohort.h"
#include "relais/error.h"
#include "relais/fsutil.h"
#include "relais/hub.h"
#include "relais/util.h"

#define EMAILS_FILE_MAX (8u << 20)

/* Emails given on the command line or read from files, for adding or removing. */
struct emails {
	const char **list;
	size_t n;
};

/* The words of the command after its subcommand, with --db taken out. */
struct args {
	const char *db;
	char **words;
	int n;
};

static int push(relais_ctx *ctx, struct emails *e, const char *email)
{
	const char **slot = relais_push(&e->list, &e->n, sizeof(*slot));
	if (slot == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	*slot = email;
	return 0;
}

/* Adds each non-blank line of path (text kept in *keep, freed by the caller) to e. */
static int read_emails(relais_ctx *ctx, struct emails *e, char **keep, const char *path)
{
	size_t len = 0;
	char *p, *line;
	int rc;

	if ((rc = relais_file_read(keep, &len, ctx, path, EMAILS_FILE_MAX)) != 0) {
		return rc;
	}
	for (p = *keep; rc == 0 && (line = strsep(&p, "\n")) != NULL;) {
		size_t n = strlen(line);
		while (n > 0 &&
		       (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) {
			line[--n] = '\0';
		}
		while (*line == ' ' || *line == '\t') {
			line++;
		}
		if (*line != '\0') {
			rc = push(ctx, e, line);
		}
	}
	return rc;
}

/* The state of a learner in one course, for people. */
static const char *state_text(int state)
{
	switch ((enum relais_cohort_state)state) {
	case RELAIS_COHORT_NOT_STARTED:
		return "not started";
	case RELAIS_COHORT_STARTED:
		return "started";
	case RELAIS_COHORT_COMPLETED:
		return "completed";
	}
	return "?";
}

static void print_cohort(const struct relais_hub_cohort *c)
{
	printf("%s  organisation %s%s  id %s  %zu member%s, %zu course%s\n", c->name,
	       c->organisation, c->everyone ? " (everyone)" : "", c->id, c->n_members,
	       c->n_members == 1 ? "" : "s", c->n_assignments, c->n_assignments == 1 ? "" : "s");
}

static int show(relais_hub *hub, relais_ctx *ctx, const char *name, const char *today)
{
	struct relais_hub_cohort c;
	struct relais_hub_cohort_learner *l = NULL;
	size_t n = 0, i, j;

	if (relais_hub_cohort_get(&c, hub, ctx, name) != 0) {
		return cli_fail(ctx);
	}
	if (relais_hub_cohort_learners(&l, &n, hub, ctx, &c, today) != 0) {
		relais_hub_cohort_clear(&c);
		return cli_fail(ctx);
	}
	print_cohort(&c);
	for (j = 0; j < c.n_assignments; j++) {
		printf("  course %s  due %s\n", c.assignments[j].course,
		       c.assignments[j].due ? c.assignments[j].due : "-");
	}
	for (i = 0; i < n; i++) {
		printf("  learner %s\n", l[i].email);
		for (j = 0; j < c.n_assignments; j++) {
			printf("    %-32s %s%s\n", c.assignments[j].course,
			       state_text(l[i].states[j]), l[i].overdue[j] ? " (overdue)" : "");
		}
	}
	relais_hub_cohort_learners_free(l, n);
	relais_hub_cohort_clear(&c);
	return EXIT_OK;
}

static int list(relais_hub *hub, relais_ctx *ctx)
{
	struct relais_hub_cohort *c = NULL;
	size_t n = 0, i;

	if (relais_hub_cohort_list(&c, &n, hub, ctx) != 0) {
		return cli_fail(ctx);
	}
	if (n == 0) {
		printf("no cohorts: relais-hub cohort add NAME --org ORG\n");
	}
	for (i = 0; i < n; i++) {
		print_cohort(&c[i]);
	}
	relais_hub_cohorts_free(c, n);
	return EXIT_OK;
}

/* relais-hub cohort members NAME [--add] EMAIL... [--remove EMAIL...] [--file FILE...]. */
static int members(relais_hub *hub, relais_ctx *ctx, const struct args *a)
{
	struct emails add = {0}, remove = {0}, *into = NULL;
	char **files = NULL;
	size_t n_files = 0, i;
	uint64_t serial = 0;
	int k, rc = 0, status = EXIT_FAIL;

	for (k = 2; rc == 0 && k < a->n; k++) {
		const char *w = a->words[k];
		if (strcmp(w, "--add") == 0) {
			into = &add;
		} else if (strcmp(w, "--remove") == 0) {
			into = &remove;
		} else if (strcmp(w, "--file") == 0 || strncmp(w, "--file=", 7) == 0) {
			const char *path =
			        w[6] == '=' ? w + 7 : (k + 1 < a->n ? a->words[++k] : NULL);
			char **slot;
			if (into == NULL || path == NULL) {
				status = cli_usage("cohort",
				                   "--file FILE follows --add or --remove");
				goto out;
			}
			if ((slot = relais_push(&files, &n_files, sizeof(*slot))) == NULL) {
				rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			} else {
				*slot = NULL;
				rc = read_emails(ctx, into, slot, path);
			}
		} else if (w[0] == '-') {
			status = cli_usage("cohort", "unknown option %s", w);
			goto out;
		} else if (into == NULL) {
			status = cli_usage("cohort", "say --add or --remove before %s", w);
			goto out;
		} else {
			rc = push(ctx, into, w);
		}
	}
	if (rc != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (add.n == 0 && remove.n == 0) {
		status = cli_usage("cohort",
		                   "say: cohort members NAME --add EMAIL... --remove EMAIL...");
		goto out;
	}
	if (relais_hub_cohort_members(&serial, hub, ctx, a->words[1], add.list, add.n, remove.list,
	                              remove.n) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	printf("cohort %s: %zu added, %zu removed; catalogue serial %" PRIu64 "\n", a->words[1],
	       add.n, remove.n, serial);
	status = EXIT_OK;
out:
	for (i = 0; i < n_files; i++) {
		free(files[i]);
	}
	free(files);
	free(add.list);
	free(remove.list);
	return status;
}

/* Takes --db PATH (or --db=PATH) out of argv, the rest in order. */
static int split(struct args *a, int argc, char **argv)
{
	int i;

	a->db = NULL;
	a->n = 0;
	if ((a->words = calloc((size_t)argc + 1, sizeof(*a->words))) == NULL) {
		cli_error("out of memory");
		return EXIT_FAIL;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
			a->db = argv[++i];
		} else if (strncmp(argv[i], "--db=", 5) == 0) {
			a->db = argv[i] + 5;
		} else {
			a->words[a->n++] = argv[i];
		}
	}
	return EXIT_OK;
}

/* The value of option name (--name VALUE or --name=VALUE) among words from, or NULL; *flag when
 * the word is there without a value. Returns -1 on a word that is no option of allowed. */
static int options(const struct args *a, int from, const char *const *allowed, const char **values)
{
	int k, i;

	for (k = from; k < a->n; k++) {
		const char *w = a->words[k];
		for (i = 0; allowed[i] != NULL; i++) {
			size_t n = strlen(allowed[i]);
			if (strncmp(w, allowed[i], n) == 0 && (w[n] == '\0' || w[n] == '=')) {
				break;
			}
		}
		if (allowed[i] == NULL) {
			cli_usage("cohort", "unexpected %s", w);
			return -1;
		}
		if (strcmp(allowed[i], "--everyone") == 0) {
			values[i] = "";
		} else if (w[strlen(allowed[i])] == '=') {
			values[i] = w + strlen(allowed[i]) + 1;
		} else if (k + 1 < a->n) {
			values[i] = a->words[++k];
		} else {
			cli_usage("cohort", "%s needs a value", allowed[i]);
			return -1;
		}
	}
	return 0;
}

static int cohort(relais_ctx *ctx, int argc, char **argv)
{
	struct args a;
	relais_hub *hub = NULL;
	const char *sub;
	uint64_t serial = 0;
	int status;

	if ((status = split(&a, argc, argv)) != EXIT_OK) {
		return status;
	}
	sub = a.n > 0 ? a.words[0] : "";
	if (strcmp(sub, "list") == 0 ? a.n != 1 : a.n < 2 || a.words[1][0] == '-') {
		status = cli_usage("cohort",
		                   "say: cohort add|members|assign|unassign|everyone|list|show");
		goto out;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "members") != 0 && strcmp(sub, "assign") != 0 &&
	    strcmp(sub, "unassign") != 0 && strcmp(sub, "everyone") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0) {
		status = cli_usage("cohort", "no subcommand %s", sub);
		goto out;
	}
	if (relais_hub_open(&hub, ctx, cli_hub_db_path(a.db)) != 0) {
		status = cli_fail(ctx);
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		status = list(hub, ctx);
	} else if (strcmp(sub, "members") == 0) {
		status = members(hub, ctx, &a);
	} else if (strcmp(sub, "add") == 0) {
		static const char *const allowed[] = {"--org", "--everyone", NULL};
		const char *v[2] = {NULL, NULL};
		if (options(&a, 2, allowed, v) != 0) {
			status = EXIT_USAGE;
		} else if (v[0] == NULL) {
			status = cli_usage("cohort", "say: cohort add NAME --org ORG [--everyone]");
		} else if (relais_hub_cohort_add(&serial, hub, ctx, a.words[1], v[0],
		                                 v[1] != NULL) != 0) {
			status = cli_fail(ctx);
		} else {
			printf("cohort %s of %s%s made; catalogue serial %" PRIu64 "\n", a.words[1],
			       v[0], v[1] ? " (everyone)" : "", serial);
		}
	} else if (strcmp(sub, "everyone") == 0) {
		const char *w = a.n == 3 ? a.words[2] : "";
		if (strcmp(w, "yes") != 0 && strcmp(w, "no") != 0) {
			status = cli_usage("cohort", "say: cohort everyone NAME yes|no");
		} else if (relais_hub_cohort_everyone(&serial, hub, ctx, a.words[1],
		                                      strcmp(w, "yes") == 0) != 0) {
			status = cli_fail(ctx);
		} else {
			printf("cohort %s: everyone of its organisation %s; catalogue serial "
			       "%" PRIu64 "\n",
			       a.words[1], strcmp(w, "yes") == 0 ? "belongs" : "no longer belongs",
			       serial);
		}
	} else if (strcmp(sub, "assign") == 0 || strcmp(sub, "unassign") == 0) {
		static const char *const allowed[] = {"--due", NULL};
		const char *v[1] = {NULL};
		int assign = strcmp(sub, "assign") == 0;
		if (a.n < 3 || a.words[2][0] == '-') {
			status = cli_usage("cohort", "say: cohort %s NAME COURSE%s", sub,
			                   assign ? " [--due YYYY-MM-DD]" : "");
		} else if (assign ? options(&a, 3, allowed, v) != 0 : a.n != 3) {
			status = assign ? EXIT_USAGE
			                : cli_usage("cohort", "unassign takes NAME COURSE");
		} else if (assign ? relais_hub_cohort_assign(&serial, hub, ctx, a.words[1],
		                                             a.words[2], v[0]) != 0
		                  : relais_hub_cohort_unassign(&serial, hub, ctx, a.words[1],
		                                               a.words[2]) != 0) {
			status = cli_fail(ctx);
		} else if (assign) {
			printf("cohort %s: %s assigned, due %s; catalogue serial %" PRIu64 "\n",
			       a.words[1], a.words[2], v[0] ? v[0] : "any time", serial);
		} else {
			printf("cohort %s: %s no longer assigned; catalogue serial %" PRIu64 "\n",
			       a.words[1], a.words[2], serial);
		}
	} else {
		static const char *const allowed[] = {"--today", NULL};
		const char *v[1] = {NULL};
		status = options(&a, 2, allowed, v) != 0 ? EXIT_USAGE
		                                         : show(hub, ctx, a.words[1], v[0]);
	}
out:
	relais_hub_close(hub);
	free(a.words);
	return status;
}

const struct command cmd_hub_cohort = {
        "cohort",
        "group learners into cohorts and assign them courses with due dates",
        "usage: relais-hub cohort add NAME --org ORG [--everyone] [--db PATH]\n"
        "       relais-hub cohort members NAME [--add EMAIL...] [--remove EMAIL...]\n"
        "                                      [--file FILE] [--db PATH]\n"
        "       relais-hub cohort assign NAME COURSE [--due YYYY-MM-DD] [--db PATH]\n"
        "       relais-hub cohort unassign NAME COURSE [--db PATH]\n"
        "       relais-hub cohort everyone NAME yes|no [--db PATH]\n"
        "       relais-hub cohort list [--db PATH]\n"
        "       relais-hub cohort show NAME [--today YYYY-MM-DD] [--db PATH]\n\n"
        "A cohort is a group of learners of an organisation: listed by email, and with\n"
        "--everyone every learner whose profile names the organisation. A course\n"
        "assigned to it (it must be in the catalogue) becomes required of its learners\n"
        "on their laptops, due on the date given. members takes the emails after --add\n"
        "or --remove, and --file FILE reads one email a line into the list before it.\n"
        "Every change signs a new catalogue; a bad email, date, course or cohort name\n"
        "changes nothing. show lists each learner's state in each course: not started,\n"
        "started or completed, and (overdue) past its date.\n",
        cohort,
};

/* cohort.h: cohorts on the hub: learners a coordinator groups and assigns courses to, by a date. */
#ifndef RELAIS_COHORT_H
#define RELAIS_COHORT_H

#include <stddef.h>
#include <stdint.h>

#include "relais/hub.h"

#define RELAIS_COHORT_NAME_MAX 256 /* bytes of a cohort's name and of its organisation */
#define RELAIS_COHORT_EMAIL_MAX 200

/* A course assigned to a cohort. */
struct relais_hub_assignment {
	char *course;
	char *due; /* YYYY-MM-DD, or NULL */
};

/* A cohort as the hub keeps it (docs/hub.md, "Cohorts"). */
struct relais_hub_cohort {
	char *id; /* 16 lower-case hex digits, made at creation; what a live session names */
	char *name;
	char *organisation;
	int everyone;   /* every learner of the organisation belongs to it too */
	char **members; /* lower-cased emails, ascending */
	size_t n_members;
	struct relais_hub_assignment *assignments; /* ascending by course */
	size_t n_assignments;
};

void relais_hub_cohort_clear(struct relais_hub_cohort *c);
void relais_hub_cohorts_free(struct relais_hub_cohort *c, size_t n);

/*
 * Every change below is one transaction that also signs the next
 * catalogue (its serial in *serial; 0 while the hub has no catalogue key):
 * on any failure nothing is written. They return 0, RELAIS_EINVAL (a bad
 * name, organisation, email or date), RELAIS_EEXIST (a name taken),
 * RELAIS_ENOTFOUND (no such cohort, or a course not in the catalogue), or
 * another negative status.
 */

/* Makes a cohort named name of organisation org; with everyone, all of org's learners. */
int relais_hub_cohort_add(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                          const char *org, int everyone);

/* Sets whether every learner of the cohort's organisation belongs to it. */
int relais_hub_cohort_everyone(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                               int everyone);

/* Adds then removes members by email (any case; kept lower-cased). */
int relais_hub_cohort_members(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                              const char *const *add, size_t n_add, const char *const *remove,
                              size_t n_remove);

/* Assigns course (in the catalogue) with a due date YYYY-MM-DD or NULL; again: a new date. */
int relais_hub_cohort_assign(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                             const char *course, const char *due);

/* Takes course off the cohort's assignments (RELAIS_ENOTFOUND when not assigned). */
int relais_hub_cohort_unassign(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                               const char *course);

/* Every cohort, by name (*out the caller's: relais_hub_cohorts_free()). */
int relais_hub_cohort_list(struct relais_hub_cohort **out, size_t *n, relais_hub *hub,
                           relais_ctx *ctx);

/* The cohort named name, or RELAIS_ENOTFOUND (*out: relais_hub_cohort_clear()). */
int relais_hub_cohort_get(struct relais_hub_cohort *out, relais_hub *hub, relais_ctx *ctx,
                          const char *name);

/* The ids of the courses in the catalogue, ascending (*out: relais_hub_cohort_courses_free()). */
int relais_hub_cohort_courses(char ***out, size_t *n, relais_hub *hub, relais_ctx *ctx);
void relais_hub_cohort_courses_free(char **ids, size_t n);

/* Where a learner stands in an assigned course, from the statements the hub holds. */
enum relais_cohort_state {
	RELAIS_COHORT_NOT_STARTED = 0,
	RELAIS_COHORT_STARTED = 1,
	RELAIS_COHORT_COMPLETED = 2,
};

/* One learner of a cohort and their state in each of its assignments. */
struct relais_hub_cohort_learner {
	char *email;
	int *states;  /* enum relais_cohort_state, one per assignment, in the cohort's order */
	int *overdue; /* not completed and the due date (UTC) before today */
};

/*
 * The cohort's learners (listed members, and with everyone those the hub
 * saw from its organisation), by email, each with their state in every
 * assignment of c. today: YYYY-MM-DD, NULL for the current date. Free
 * with relais_hub_cohort_learners_free().
 */
int relais_hub_cohort_learners(struct relais_hub_cohort_learner **out, size_t *n, relais_hub *hub,
                               relais_ctx *ctx, const struct relais_hub_cohort *c,
                               const char *today);
void relais_hub_cohort_learners_free(struct relais_hub_cohort_learner *l, size_t n);

#endif

/* cohorts.c: cohorts on the hub (docs/hub.md "Cohorts"): members, assignments, their catalogue
 * entries and where each learner stands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub_private.h"
#include "relais/catalogue.h"
#include "relais/cohort.h"
#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/profile.h"
#include "relais/utf8.h"
#include "relais/xapi.h"

#define ID_BYTES 8
#define ID_HEX (2 * ID_BYTES + 1)
#define MAILTO "mbox:mailto:"

static int db_fail(relais_hub *hub, relais_ctx *ctx, const char *what)
{
	return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, what);
}

static int prepare(relais_hub_sql_stmt **st, relais_hub *hub, relais_ctx *ctx, const char *sql)
{
	if (relais_hub_sql_prepare(hub->db, sql, -1, st, NULL) != RELAIS_HUB_SQL_OK) {
		*st = NULL;
		return db_fail(hub, ctx, "cohorts");
	}
	return 0;
}

/* A name or organisation: 1 to RELAIS_COHORT_NAME_MAX bytes of UTF-8, no control character. */
static int text_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RELAIS_COHORT_NAME_MAX || !relais_utf8_valid(s, n)) {
		return 0;
	}
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			return 0;
		}
	}
	return 1;
}

static int date_ok(const char *s)
{
	return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && relais_time_parse(s) >= 0;
}

/* email with its ASCII letters lower-cased into out, or RELAIS_EINVAL naming it. */
static int email_lower(char out[RELAIS_COHORT_EMAIL_MAX + 1], relais_ctx *ctx, const char *email)
{
	size_t i, n = strlen(email);

	if (n > RELAIS_COHORT_EMAIL_MAX || !relais_utf8_valid(email, n) ||
	    !relais_email_ok(email)) {
		char shown[64];
		relais_printable(shown, sizeof(shown), email);
		return relais_fail(ctx, RELAIS_EINVAL, "\"%s\" is not an email address", shown);
	}
	for (i = 0; i <= n; i++) {
		out[i] = (email[i] >= 'A' && email[i] <= 'Z') ? (char)(email[i] - 'A' + 'a')
		                                              : email[i];
	}
	return 0;
}

/* The id of the cohort named name into id, or RELAIS_ENOTFOUND. */
static int cohort_id(char id[ID_HEX], relais_hub *hub, relais_ctx *ctx, const char *name)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = prepare(&st, hub, ctx, "SELECT id FROM cohort WHERE name = ?")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, name, -1, RELAIS_HUB_SQL_STATIC);
	step = relais_hub_sql_step(st);
	if (step == RELAIS_HUB_SQL_ROW) {
		(void)snprintf(id, ID_HEX, "%s", (const char *)relais_hub_sql_column_text(st, 0));
	} else if (step == RELAIS_HUB_SQL_DONE) {
		char shown[80];
		relais_printable(shown, sizeof(shown), name);
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no cohort named \"%s\"", shown);
	} else {
		rc = db_fail(hub, ctx, "cohorts");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* Runs sql, which changes rows, with texts bound to ?1..?n; *changed: rows changed. */
static int run(int *changed, relais_hub *hub, relais_ctx *ctx, const char *sql,
               const char *const *texts, int n)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, i;

	if ((rc = prepare(&st, hub, ctx, sql)) != 0) {
		return rc;
	}
	for (i = 0; i < n; i++) {
		relais_hub_sql_bind_text(st, i + 1, texts[i], -1, RELAIS_HUB_SQL_STATIC);
	}
	if (relais_hub_sql_step(st) != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "cohorts");
	} else if (changed != NULL) {
		*changed = relais_hub_sql_changes(hub->db);
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* ---- changes ---- */

struct change {
	const char *name;
	const char *org;
	int everyone;
	char (*add)[RELAIS_COHORT_EMAIL_MAX + 1];
	size_t n_add;
	char (*remove)[RELAIS_COHORT_EMAIL_MAX + 1];
	size_t n_remove;
	const char *course;
	const char *due;
};

static int do_add(relais_hub *hub, relais_ctx *ctx, void *data)
{
	const struct change *c = data;
	unsigned char raw[ID_BYTES];
	char id[ID_HEX], now[32];
	const char *row[5] = {id, c->name, c->org, c->everyone ? "1" : "0", now};
	int rc = cohort_id(id, hub, ctx, c->name);

	if (rc == 0) {
		char shown[80];
		relais_printable(shown, sizeof(shown), c->name);
		return relais_fail(ctx, RELAIS_EEXIST, "a cohort named \"%s\" already exists",
		                   shown);
	}
	if (rc != RELAIS_ENOTFOUND) {
		return rc;
	}
	relais_clear(ctx);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
	relais_now_iso(now);
	return run(NULL, hub, ctx,
	           "INSERT INTO cohort(id, name, organisation, everyone, created) VALUES "
	           "(?1, ?2, ?3, CAST(?4 AS INTEGER), ?5)",
	           row, 5);
}

int relais_hub_cohort_add(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                          const char *org, int everyone)
{
	struct change c = {.name = name, .org = org, .everyone = everyone};

	*serial = 0;
	if (name == NULL || !text_ok(name)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "a cohort's name is 1 to %d bytes of text on one line",
		                   RELAIS_COHORT_NAME_MAX);
	}
	if (org == NULL || !text_ok(org)) {
		return relais_fail(ctx, RELAIS_EINVAL,
		                   "a cohort's organisation is 1 to %d bytes of text on one line",
		                   RELAIS_COHORT_NAME_MAX);
	}
	return relais_hub_catalogue_change(serial, hub, ctx, do_add, &c);
}

static int do_everyone(relais_hub *hub, relais_ctx *ctx, void *data)
{
	const struct change *c = data;
	char id[ID_HEX];
	const char *row[2] = {c->everyone ? "1" : "0", id};
	int rc = cohort_id(id, hub, ctx, c->name);

	return rc ? rc
	          : run(NULL, hub, ctx,
	                "UPDATE cohort SET everyone = CAST(?1 AS INTEGER) WHERE id = ?2", row, 2);
}

int relais_hub_cohort_everyone(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                               int everyone)
{
	struct change c = {.name = name, .everyone = everyone};

	*serial = 0;
	return relais_hub_catalogue_change(serial, hub, ctx, do_everyone, &c);
}

static int do_members(relais_hub *hub, relais_ctx *ctx, void *data)
{
	const struct change *c = data;
	char id[ID_HEX];
	const char *row[2] = {id, NULL};
	size_t i;
	int rc = cohort_id(id, hub, ctx, c->name), changed;

	for (i = 0; rc == 0 && i < c->n_add; i++) {
		row[1] = c->add[i];
		rc = run(NULL, hub, ctx,
		         "INSERT INTO cohort_member(cohort, email) VALUES (?1, ?2) "
		         "ON CONFLICT DO NOTHING",
		         row, 2);
	}
	for (i = 0; rc == 0 && i < c->n_remove; i++) {
		row[1] = c->remove[i];
		rc = run(&changed, hub, ctx,
		         "DELETE FROM cohort_member WHERE cohort = ?1 AND email = ?2", row, 2);
		if (rc == 0 && changed == 0) {
			rc = relais_fail(ctx, RELAIS_ENOTFOUND, "%s is not a member of the cohort",
			                 c->remove[i]);
		}
	}
	return rc;
}

/* Lower-cased copies of emails (checked) into *out. */
static int emails(char (**out)[RELAIS_COHORT_EMAIL_MAX + 1], relais_ctx *ctx,
                  const char *const *list, size_t n)
{
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n == 0) {
		return 0;
	}
	if ((*out = calloc(n, sizeof(**out))) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	for (i = 0; rc == 0 && i < n; i++) {
		rc = email_lower((*out)[i], ctx, list[i]);
	}
	return rc;
}

int relais_hub_cohort_members(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                              const char *const *add, size_t n_add, const char *const *remove,
                              size_t n_remove)
{
	struct change c = {.name = name, .n_add = n_add, .n_remove = n_remove};
	int rc;

	*serial = 0;
	if (n_add > RELAIS_COHORT_MAX_MEMBERS || n_remove > RELAIS_COHORT_MAX_MEMBERS) {
		return relais_fail(ctx, RELAIS_ELIMIT, "a cohort has at most %d members",
		                   RELAIS_COHORT_MAX_MEMBERS);
	}
	if ((rc = emails(&c.add, ctx, add, n_add)) == 0 &&
	    (rc = emails(&c.remove, ctx, remove, n_remove)) == 0) {
		rc = relais_hub_catalogue_change(serial, hub, ctx, do_members, &c);
	}
	free(c.add);
	free(c.remove);
	return rc;
}

/* Counts rows of sql with name bound to ?1 into *n. */
static int count(int64_t *n, relais_hub *hub, relais_ctx *ctx, const char *sql, const char *a)
{
	relais_hub_sql_stmt *st = NULL;
	int rc;

	if ((rc = prepare(&st, hub, ctx, sql)) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, a, -1, RELAIS_HUB_SQL_STATIC);
	if (relais_hub_sql_step(st) == RELAIS_HUB_SQL_ROW) {
		*n = relais_hub_sql_column_int64(st, 0);
	} else {
		rc = db_fail(hub, ctx, "cohorts");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

static int do_assign(relais_hub *hub, relais_ctx *ctx, void *data)
{
	const struct change *c = data;
	char id[ID_HEX];
	const char *row[3] = {id, c->course, c->due};
	int64_t n = 0;
	int rc;

	if ((rc = cohort_id(id, hub, ctx, c->name)) != 0 ||
	    (rc = count(&n, hub, ctx,
	                "SELECT count(*) FROM published_bundle WHERE course = ?1 AND "
	                "state = 'current'",
	                c->course)) != 0) {
		return rc;
	}
	if (n == 0) {
		return relais_fail(ctx, RELAIS_ENOTFOUND, "course %s is not in the catalogue",
		                   c->course);
	}
	if ((rc = count(&n, hub, ctx, "SELECT count(*) FROM cohort_course WHERE cohort = ?1",
	                id)) != 0) {
		return rc;
	}
	if (n >= RELAIS_COHORT_MAX_ASSIGNMENTS) {
		return relais_fail(ctx, RELAIS_ELIMIT, "a cohort has at most %d courses",
		                   RELAIS_COHORT_MAX_ASSIGNMENTS);
	}
	return run(NULL, hub, ctx,
	           "INSERT INTO cohort_course(cohort, course, due) VALUES (?1, ?2, ?3) "
	           "ON CONFLICT (cohort, course) DO UPDATE SET due = excluded.due",
	           row, 3);
}

int relais_hub_cohort_assign(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                             const char *course, const char *due)
{
	struct change c = {.name = name, .course = course, .due = due};

	*serial = 0;
	if (due != NULL && !date_ok(due)) {
		char shown[32];
		relais_printable(shown, sizeof(shown), due);
		return relais_fail(ctx, RELAIS_EINVAL, "due date %s is not YYYY-MM-DD", shown);
	}
	if (course == NULL || !relais_id_ok(course)) {
		char shown[80];
		relais_printable(shown, sizeof(shown), course ? course : "");
		return relais_fail(ctx, RELAIS_ENOTFOUND, "course %s is not in the catalogue",
		                   shown);
	}
	return relais_hub_catalogue_change(serial, hub, ctx, do_assign, &c);
}

static int do_unassign(relais_hub *hub, relais_ctx *ctx, void *data)
{
	const struct change *c = data;
	char id[ID_HEX];
	const char *row[2] = {id, c->course};
	int rc = cohort_id(id, hub, ctx, c->name), changed = 0;

	if (rc == 0 &&
	    (rc = run(&changed, hub, ctx,
	              "DELETE FROM cohort_course WHERE cohort = ?1 AND course = ?2", row, 2)) ==
	            0 &&
	    changed == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "course %s is not assigned to the cohort",
		                 c->course);
	}
	return rc;
}

int relais_hub_cohort_unassign(uint64_t *serial, relais_hub *hub, relais_ctx *ctx, const char *name,
                               const char *course)
{
	struct change c = {.name = name, .course = course};

	*serial = 0;
	return relais_hub_catalogue_change(serial, hub, ctx, do_unassign, &c);
}

/* ---- reading ---- */

void relais_hub_cohort_clear(struct relais_hub_cohort *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	free(c->id);
	free(c->name);
	free(c->organisation);
	for (i = 0; i < c->n_members; i++) {
		free(c->members[i]);
	}
	free(c->members);
	for (i = 0; i < c->n_assignments; i++) {
		free(c->assignments[i].course);
		free(c->assignments[i].due);
	}
	free(c->assignments);
	memset(c, 0, sizeof(*c));
}

void relais_hub_cohorts_free(struct relais_hub_cohort *c, size_t n)
{
	for (size_t i = 0; c != NULL && i < n; i++) {
		relais_hub_cohort_clear(&c[i]);
	}
	free(c);
}

/* The first column of sql's rows (a = ?1 unless NULL) into *out; the caller frees them. */
static int texts(char ***out, size_t *n, relais_hub *hub, relais_ctx *ctx, const char *sql,
                 const char *a)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = prepare(&st, hub, ctx, sql)) != 0) {
		return rc;
	}
	if (a != NULL) {
		relais_hub_sql_bind_text(st, 1, a, -1, RELAIS_HUB_SQL_STATIC);
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		char **slot = relais_push(out, n, sizeof(*slot));
		if (slot == NULL || (*slot = relais_hub_sql_dup(st, 0)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "cohorts");
	}
	relais_hub_sql_finalize(st);
	return rc;
}

/* Fills c's members and assignments (published: only courses in the catalogue). */
static int cohort_fill(struct relais_hub_cohort *c, relais_hub *hub, relais_ctx *ctx, int published)
{
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	if ((rc = texts(&c->members, &c->n_members, hub, ctx,
	                "SELECT email FROM cohort_member WHERE cohort = ?1 ORDER BY email",
	                c->id)) != 0) {
		return rc;
	}
	if ((rc = prepare(&st, hub, ctx,
	                  published
	                          ? "SELECT a.course, a.due FROM cohort_course a WHERE a.cohort = "
	                            "?1 AND EXISTS (SELECT 1 FROM published_bundle b WHERE "
	                            "b.course = a.course AND b.state = 'current') ORDER BY "
	                            "a.course"
	                          : "SELECT course, due FROM cohort_course WHERE cohort = ?1 "
	                            "ORDER BY course")) != 0) {
		return rc;
	}
	relais_hub_sql_bind_text(st, 1, c->id, -1, RELAIS_HUB_SQL_STATIC);
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_hub_assignment *a =
		        relais_push(&c->assignments, &c->n_assignments, sizeof(*a));
		if (a == NULL || (a->course = relais_hub_sql_dup(st, 0)) == NULL ||
		    (relais_hub_sql_column_type(st, 1) != RELAIS_HUB_SQL_NULL &&
		     (a->due = relais_hub_sql_dup(st, 1)) == NULL)) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "cohorts");
	}
out:
	relais_hub_sql_finalize(st);
	return rc;
}

/* Cohorts whose name is name (NULL: all), ordered by order_sql, filled. */
static int cohorts_read(struct relais_hub_cohort **out, size_t *n, relais_hub *hub, relais_ctx *ctx,
                        const char *name, int published)
{
	struct relais_hub_cohort *list = NULL;
	size_t count = 0, i;
	relais_hub_sql_stmt *st = NULL;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = prepare(
	             &st, hub, ctx,
	             name ? "SELECT id, name, organisation, everyone FROM cohort WHERE name = ?1"
	             : published ? "SELECT id, name, organisation, everyone FROM cohort ORDER "
	                           "BY id"
	                         : "SELECT id, name, organisation, everyone FROM cohort ORDER "
	                           "BY name")) != 0) {
		return rc;
	}
	if (name != NULL) {
		relais_hub_sql_bind_text(st, 1, name, -1, RELAIS_HUB_SQL_STATIC);
	}
	while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
		struct relais_hub_cohort *c = relais_push(&list, &count, sizeof(*c));
		if (c == NULL || (c->id = relais_hub_sql_dup(st, 0)) == NULL ||
		    (c->name = relais_hub_sql_dup(st, 1)) == NULL ||
		    (c->organisation = relais_hub_sql_dup(st, 2)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		c->everyone = relais_hub_sql_column_int(st, 3);
	}
	if (step != RELAIS_HUB_SQL_DONE) {
		rc = db_fail(hub, ctx, "cohorts");
		goto out;
	}
	for (i = 0; i < count; i++) {
		if ((rc = cohort_fill(&list[i], hub, ctx, published)) != 0) {
			goto out;
		}
	}
	*out = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	relais_hub_sql_finalize(st);
	relais_hub_cohorts_free(list, count);
	return rc;
}

int relais_hub_cohort_list(struct relais_hub_cohort **out, size_t *n, relais_hub *hub,
                           relais_ctx *ctx)
{
	return cohorts_read(out, n, hub, ctx, NULL, 0);
}

int relais_hub_cohort_get(struct relais_hub_cohort *out, relais_hub *hub, relais_ctx *ctx,
                          const char *name)
{
	struct relais_hub_cohort *list = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = cohorts_read(&list, &n, hub, ctx, name, 0)) != 0) {
		return rc;
	}
	if (n == 0) {
		char shown[80];
		relais_printable(shown, sizeof(shown), name);
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no cohort named \"%s\"", shown);
	} else {
		*out = list[0];
		memset(&list[0], 0, sizeof(list[0]));
	}
	relais_hub_cohorts_free(list, n);
	return rc;
}

int relais_hub_cohort_courses(char ***out, size_t *n, relais_hub *hub, relais_ctx *ctx)
{
	int rc;

	*out = NULL;
	*n = 0;
	rc = texts(out, n, hub, ctx,
	           "SELECT course FROM published_bundle WHERE state = 'current' ORDER BY course",
	           NULL);
	if (rc != 0) {
		relais_hub_cohort_courses_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void relais_hub_cohort_courses_free(char **ids, size_t n)
{
	for (size_t i = 0; ids != NULL && i < n; i++) {
		free(ids[i]);
	}
	free(ids);
}

/* ---- the catalogue's entries ---- */

static int by_hash(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int relais_hub_cohorts_load(struct relais_catalogue *cat, relais_hub *hub, relais_ctx *ctx)
{
	struct relais_hub_cohort *list = NULL;
	size_t n = 0, i, j;
	int rc;

	if ((rc = cohorts_read(&list, &n, hub, ctx, NULL, 1)) != 0 || n == 0) {
		return rc;
	}
	if ((cat->cohorts = calloc(n, sizeof(*cat->cohorts))) == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct relais_catalogue_cohort *co = &cat->cohorts[i];
		struct relais_hub_cohort *c = &list[i];
		cat->n_cohorts = i + 1;
		/* The strings move from the list to the catalogue. */
		co->id = c->id;
		co->name = c->name;
		co->organisation = c->organisation;
		co->everyone = c->everyone;
		c->id = c->name = c->organisation = NULL;
		if (c->n_members > 0 &&
		    (co->members = calloc(c->n_members, sizeof(*co->members))) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		for (j = 0; j < c->n_members; j++) {
			relais_cohort_member_hash(co->members[j], co->id, c->members[j]);
		}
		co->n_members = c->n_members;
		if (co->n_members > 1) {
			qsort(co->members, co->n_members, sizeof(*co->members), by_hash);
		}
		if (c->n_assignments > 0 &&
		    (co->assignments = calloc(c->n_assignments, sizeof(*co->assignments))) ==
		            NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		for (j = 0; j < c->n_assignments; j++) {
			co->assignments[j].course = c->assignments[j].course;
			co->assignments[j].due = c->assignments[j].due;
			c->assignments[j].course = c->assignments[j].due = NULL;
		}
		co->n_assignments = c->n_assignments;
	}
out:
	relais_hub_cohorts_free(list, n);
	return rc;
}

/* ---- where learners stand ---- */

void relais_hub_cohort_learners_free(struct relais_hub_cohort_learner *l, size_t n)
{
	for (size_t i = 0; l != NULL && i < n; i++) {
		free(l[i].email);
		free(l[i].states);
		free(l[i].overdue);
	}
	free(l);
}

static int by_email(const void *a, const void *b)
{
	return strcmp(((const struct relais_hub_cohort_learner *)a)->email,
	              ((const struct relais_hub_cohort_learner *)b)->email);
}

/* Adds email (lower-cased) to the learners unless there. */
static int learner_add(struct relais_hub_cohort_learner **l, size_t *n, relais_ctx *ctx,
                       const char *email, size_t n_assignments)
{
	struct relais_hub_cohort_learner *x;
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*l)[i].email, email) == 0) {
			return 0;
		}
	}
	if ((x = relais_push(l, n, sizeof(*x))) == NULL || (x->email = strdup(email)) == NULL ||
	    (x->states = calloc(n_assignments + 1, sizeof(int))) == NULL ||
	    (x->overdue = calloc(n_assignments + 1, sizeof(int))) == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	return 0;
}

int relais_hub_cohort_learners(struct relais_hub_cohort_learner **out, size_t *n, relais_hub *hub,
                               relais_ctx *ctx, const struct relais_hub_cohort *c,
                               const char *today)
{
	struct relais_hub_cohort_learner *list = NULL;
	relais_hub_sql_stmt *st = NULL;
	size_t count = 0, i, j;
	char date[16];
	int rc = 0, step;

	*out = NULL;
	*n = 0;
	if (today == NULL) {
		char now[32];
		relais_now_iso(now);
		(void)snprintf(date, sizeof(date), "%.10s", now);
		today = date;
	}
	for (i = 0; rc == 0 && i < c->n_members; i++) {
		rc = learner_add(&list, &count, ctx, c->members[i], c->n_assignments);
	}
	if (rc == 0 && c->everyone) {
		/* Everyone of the organisation the hub heard of. */
		if ((rc = prepare(
		             &st, hub, ctx,
		             "SELECT DISTINCT lower(actor) FROM statement WHERE organisation = "
		             "?1 AND actor LIKE '" MAILTO "%'")) != 0) {
			goto out;
		}
		relais_hub_sql_bind_text(st, 1, c->organisation, -1, RELAIS_HUB_SQL_STATIC);
		while (rc == 0 && (step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
			rc = learner_add(&list, &count, ctx,
			                 (const char *)relais_hub_sql_column_text(st, 0) +
			                         strlen(MAILTO),
			                 c->n_assignments);
		}
		if (rc == 0 && step != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "cohorts");
		}
		relais_hub_sql_finalize(st);
		st = NULL;
	}
	if (rc != 0) {
		goto out;
	}
	if (count > 1) {
		qsort(list, count, sizeof(*list), by_email);
	}
	/* Per course, each learner's furthest state: any statement is started, the course's
	 * completion (no unit) is completed. */
	if ((rc = prepare(&st, hub, ctx,
	                  "SELECT lower(actor), max(CASE WHEN unit IS NULL AND verb_term "
	                  "= " RELAIS_HUB_TERM(
	                          "?2") " THEN 2 ELSE 1 END) FROM statement WHERE voided = 0 AND "
	                                "course_term = " RELAIS_HUB_TERM(
	                                        "?1") " GROUP BY lower(actor)")) != 0) {
		goto out;
	}
	for (j = 0; j < c->n_assignments; j++) {
		relais_hub_sql_reset(st);
		relais_hub_sql_bind_text(st, 1, c->assignments[j].course, -1,
		                         RELAIS_HUB_SQL_STATIC);
		relais_hub_sql_bind_text(st, 2, RELAIS_XAPI_VERBS "completed", -1,
		                         RELAIS_HUB_SQL_STATIC);
		while ((step = relais_hub_sql_step(st)) == RELAIS_HUB_SQL_ROW) {
			const char *actor = (const char *)relais_hub_sql_column_text(st, 0);
			struct relais_hub_cohort_learner key, *x;
			if (strncmp(actor, MAILTO, strlen(MAILTO)) != 0) {
				continue;
			}
			key.email = (char *)actor + strlen(MAILTO);
			x = bsearch(&key, list, count, sizeof(*list), by_email);
			if (x != NULL) {
				x->states[j] = relais_hub_sql_column_int(st, 1);
			}
		}
		if (step != RELAIS_HUB_SQL_DONE) {
			rc = db_fail(hub, ctx, "cohorts");
			goto out;
		}
		for (i = 0; i < count; i++) {
			list[i].overdue[j] = list[i].states[j] != RELAIS_COHORT_COMPLETED &&
			                     c->assignments[j].due != NULL &&
			                     strcmp(c->assignments[j].due, today) < 0;
		}
	}
	*out = list;
	*n = count;
	list = NULL;
	count = 0;
out:
	relais_hub_sql_finalize(st);
	relais_hub_cohort_learners_free(list, count);
	return rc;
}

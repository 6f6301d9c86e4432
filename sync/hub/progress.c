/* progress.c: the reports' tables (hub migration 14), kept up to date as statements arrive. */
#include <string.h>

#include "hub_private.h"
#include "relais/error.h"

/* The SQL is laid out as SQL, not as clang-format would. */
/* clang-format off */

/* The earlier (later) of table's col and the new row's (either may be NULL). */
#define EARLIER(table, col) \
	col " = CASE WHEN " table "." col " IS NULL OR excluded." col " < " table "." col \
	" THEN coalesce(excluded." col ", " table "." col ") ELSE " table "." col " END"
#define LATER(table, col) \
	col " = CASE WHEN excluded." col " > " table "." col " THEN excluded." col \
	" ELSE " table "." col " END"

/* Statement ?1 into its learner's row for its course; ?2 is 1 when it completes the course,
 * ?3 when it is a passed verdict. The credential changes with the first completion, before
 * completed does (SET reads the old row). */
#define ADD_LEARNER_COURSE \
	"INSERT INTO learner_course(actor_term, course_term, course, actor, name, organisation, " \
	"started, completed, passed, last, credential) " \
	"SELECT actor_term, course_term, course, actor, actor_name, organisation, " \
	RELAIS_HUB_WHEN ", " \
	"CASE WHEN ?2 = 1 THEN " RELAIS_HUB_WHEN " END, " \
	"CASE WHEN ?3 = 1 THEN " RELAIS_HUB_WHEN " END, " \
	RELAIS_HUB_WHEN ", " \
	"CASE WHEN ?2 = 1 THEN credential END " \
	"FROM statement WHERE seq = ?1 AND course_term IS NOT NULL " LEARNER_COURSE_MERGE

/* How a learner_course row made from newer statements (excluded) merges into the held one. */
#define LEARNER_COURSE_MERGE \
	"ON CONFLICT(course_term, actor_term) DO UPDATE SET " \
	"name = coalesce(excluded.name, learner_course.name), " \
	"organisation = coalesce(excluded.organisation, learner_course.organisation), " \
	"credential = CASE WHEN excluded.completed IS NOT NULL AND (learner_course.completed " \
	"IS NULL OR excluded.completed < learner_course.completed) THEN excluded.credential " \
	"ELSE learner_course.credential END, " \
	EARLIER("learner_course", "started") ", " EARLIER("learner_course", "completed") ", " \
	EARLIER("learner_course", "passed") ", " LATER("learner_course", "last")

/* Statement ?1 (a scored answer or a verdict) into its learner's row for its activity. */
#define ADD_ACTIVITY_LEARNER \
	"INSERT INTO activity_learner " \
	"SELECT object_term, actor_term, CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("answered") \
	" THEN 1 ELSE 2 END, course_term, course, coalesce(unit, ''), object_id, " \
	"coalesce(organisation, ''), 1, CASE WHEN success = 0 THEN 1 ELSE 0 END, " \
	"CASE WHEN success = 1 THEN 1 ELSE 0 END, coalesce(scaled, 0), " \
	"CASE WHEN scaled IS NULL THEN 0 ELSE 1 END, " RELAIS_HUB_WHEN ", " RELAIS_HUB_WHEN " " \
	"FROM statement WHERE seq = ?1 AND object_term IS NOT NULL " ACTIVITY_LEARNER_MERGE

/* How an activity_learner row made from newer statements (excluded) merges into the held one. */
#define ACTIVITY_LEARNER_MERGE \
	"ON CONFLICT(object_term, actor_term) DO UPDATE SET " \
	"organisation = CASE WHEN excluded.organisation = '' THEN activity_learner.organisation " \
	"ELSE excluded.organisation END, " \
	"tries = activity_learner.tries + excluded.tries, " \
	"missed = CASE WHEN excluded.missed > activity_learner.missed THEN 1 " \
	"ELSE activity_learner.missed END, " \
	"passes = activity_learner.passes + excluded.passes, " \
	"score_sum = activity_learner.score_sum + excluded.score_sum, " \
	"scored = activity_learner.scored + excluded.scored, " \
	EARLIER("activity_learner", "first") ", " LATER("activity_learner", "last")

/*
 * The same for many statements at once (PostgreSQL, relais_hub_progress_add_many): the
 * statements whose seq is in the array ?1, grouped by row, each group's values taken as the
 * statements one after another would leave them (the first's for what an upsert only
 * inserts, the last's given name and organisation, the earliest, the latest, the sums), then
 * merged into the held rows as one statement's are. An upsert may change a row only once.
 */
#define MANY_SEQS "seq = ANY(?1::bigint[])"
#define FIRST(col) "(array_agg(" col " ORDER BY seq))[1]"
#define LAST_GIVEN(col, given) \
	"(array_agg(" col " ORDER BY seq DESC) FILTER (WHERE " given "))[1]"

#define ADD_LEARNER_COURSE_MANY \
	"INSERT INTO learner_course(actor_term, course_term, course, actor, name, organisation, " \
	"started, completed, passed, last, credential) " \
	"SELECT actor_term, course_term, " FIRST("course") ", " FIRST("actor") ", " \
	LAST_GIVEN("actor_name", "actor_name IS NOT NULL") ", " \
	LAST_GIVEN("organisation", "organisation IS NOT NULL") ", " \
	"min(w), min(w) FILTER (WHERE completes), min(w) FILTER (WHERE passed), max(w), " \
	"(array_agg(credential ORDER BY w, seq) FILTER (WHERE completes))[1] " \
	"FROM (SELECT *, " RELAIS_HUB_WHEN " AS w, unit IS NULL AND verb_term = " \
	RELAIS_HUB_VERB_TERM("completed") " AS completes, verb_term = " \
	RELAIS_HUB_VERB_TERM("passed") " AS passed " \
	"FROM statement WHERE " MANY_SEQS " AND course_term IS NOT NULL) s " \
	"GROUP BY actor_term, course_term " LEARNER_COURSE_MERGE

#define ADD_ACTIVITY_LEARNER_MANY \
	"INSERT INTO activity_learner " \
	"SELECT object_term, actor_term, " \
	FIRST("CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("answered") " THEN 1 ELSE 2 END") \
	", " FIRST("course_term") ", " FIRST("course") ", " FIRST("coalesce(unit, '')") ", " \
	FIRST("object_id") ", " \
	"coalesce(" LAST_GIVEN("organisation", "coalesce(organisation, '') <> ''") ", ''), " \
	"count(*), max(CASE WHEN success = 0 THEN 1 ELSE 0 END), " \
	"sum(CASE WHEN success = 1 THEN 1 ELSE 0 END), sum(coalesce(scaled, 0)), count(scaled), " \
	"min(" RELAIS_HUB_WHEN "), max(" RELAIS_HUB_WHEN ") " \
	"FROM statement WHERE " MANY_SEQS " AND object_term IS NOT NULL " \
	"GROUP BY object_term, actor_term " ACTIVITY_LEARNER_MERGE

/* A column of the statement whose id is ?1 (none when not held). */
#define SAME(col) col " = (SELECT " col " FROM statement WHERE id = lower(?1))"
#define LEARNER_COURSE_TARGET SAME("actor_term") " AND " SAME("course_term")
#define ACTIVITY_LEARNER_TARGET SAME("object_term") " AND " SAME("actor_term")

/* clang-format on */

/* Runs the cached statement sql with seq bound to ?1 and the integers a, b to ?2, ?3. */
static int run_seq(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql, long long seq,
                   int a, int b)
{
	relais_hub_sql_stmt *q = NULL;
	int rc = 0;

	if (relais_hub_stmt(hub, slot, sql, &q) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	relais_hub_sql_bind_int64(q, 1, seq);
	relais_hub_sql_bind_int(q, 2, a);
	relais_hub_sql_bind_int(q, 3, b);
	if (relais_hub_sql_step(q) != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	relais_hub_sql_reset(q);
	return rc;
}

/* Makes the row of statement id's learner for its activity again. */
static int redo_activity(relais_hub *hub, relais_ctx *ctx, const char *id)
{
	int rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_DROP,
	                          "DELETE FROM activity_learner WHERE " ACTIVITY_LEARNER_TARGET,
	                          "learner progress", &id, 1);

	return rc ? rc
	          : relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_REDO,
	                             "INSERT INTO activity_learner " RELAIS_HUB_ACTIVITY_LEARNER(
	                                     ACTIVITY_LEARNER_TARGET),
	                             "learner progress", &id, 1);
}

/* What a statement (facts f) changes in the reports' tables besides its learner's course. */
enum { PROGRESS_COURSE, PROGRESS_ACTIVITY, PROGRESS_UNSCORED };

static int progress_kind(const struct relais_xapi_facts *f)
{
	int answered = strcmp(f->verb, RELAIS_XAPI_VERBS "answered") == 0;
	int verdict = strcmp(f->verb, RELAIS_XAPI_VERBS "passed") == 0 ||
	              strcmp(f->verb, RELAIS_XAPI_VERBS "failed") == 0;

	if ((answered && f->success >= 0 && f->unit != NULL) || verdict) {
		return PROGRESS_ACTIVITY; /* a scored answer to a question, a verdict */
	}
	return answered && f->success < 0 ? PROGRESS_UNSCORED : PROGRESS_COURSE;
}

int relais_hub_progress_add(relais_hub *hub, relais_ctx *ctx, long long seq,
                            const struct relais_xapi_facts *f)
{
	int passed = strcmp(f->verb, RELAIS_XAPI_VERBS "passed") == 0;
	int completes = f->unit == NULL && strcmp(f->verb, RELAIS_XAPI_VERBS "completed") == 0;
	int rc, kind = progress_kind(f);

	/* An indexed upsert or three per statement: the reports read these tables, not the
	 * statements. */
	rc = run_seq(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_ADD, ADD_LEARNER_COURSE, seq, completes,
	             passed);
	if (rc == 0 && kind == PROGRESS_ACTIVITY) {
		rc = run_seq(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_ADD, ADD_ACTIVITY_LEARNER, seq, 0,
		             0);
	} else if (rc == 0 && kind == PROGRESS_UNSCORED) {
		rc = run_seq(hub, ctx, RELAIS_HUB_SLOT_UNSCORED_ADD,
		             "INSERT INTO unscored_answer(seq) VALUES (?1)", seq, 0, 0);
	}
	return rc;
}

/* Runs the cached statement sql with the array a bound to ?1 and, unless 0, b to ?2. */
static int run_array(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql,
                     struct relais_hub_sql_array *a, int b)
{
	relais_hub_sql_stmt *q = NULL;
	int rc = 0;

	if (relais_hub_stmt(hub, slot, sql, &q) != 0) {
		return relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	if ((rc = relais_hub_sql_bind_array(q, 1, a)) != 0) {
		relais_hub_sql_reset(q);
		return relais_fail(ctx, rc, "learner progress: out of memory");
	}
	if (b != 0) {
		relais_hub_sql_bind_int(q, 2, b);
	}
	if (relais_hub_sql_step(q) != RELAIS_HUB_SQL_DONE) {
		rc = relais_hub_sql_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	relais_hub_sql_reset(q);
	return rc;
}

int relais_hub_progress_add_many(relais_hub *hub, relais_ctx *ctx, const long long *seqs,
                                 const struct relais_xapi_facts *const *f, size_t n)
{
	struct relais_hub_sql_array all = {0}, activity = {0}, unscored = {0};
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (f[i]->course == NULL) {
			continue;
		}
		relais_hub_sql_array_int64(&all, seqs[i]);
		switch (progress_kind(f[i])) {
		case PROGRESS_ACTIVITY:
			relais_hub_sql_array_int64(&activity, seqs[i]);
			break;
		case PROGRESS_UNSCORED:
			relais_hub_sql_array_int64(&unscored, seqs[i]);
			break;
		default:
			break;
		}
	}
	/* A few statements for them all; the tallies follow by the tables' triggers. */
	if (all.b.len > 0) {
		rc = run_array(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_MANY, ADD_LEARNER_COURSE_MANY,
		               &all, 0);
	}
	if (rc == 0 && activity.b.len > 0) {
		rc = run_array(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_MANY, ADD_ACTIVITY_LEARNER_MANY,
		               &activity, 0);
	}
	if (rc == 0 && unscored.b.len > 0) {
		rc = run_array(hub, ctx, RELAIS_HUB_SLOT_UNSCORED_MANY,
		               "INSERT INTO unscored_answer(seq) SELECT unnest(?1::bigint[])",
		               &unscored, 0);
	}
	relais_hub_sql_array_free(&all);
	relais_hub_sql_array_free(&activity);
	relais_hub_sql_array_free(&unscored);
	return rc;
}

int relais_hub_progress_void(relais_hub *hub, relais_ctx *ctx, const char *id)
{
	int rc;

	/* Rare (a voiding statement): the rows are made again from what is not voided (none
	 * when id is not held); the tallies follow by the tables' triggers. */
	if ((rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_DROP,
	                           "DELETE FROM learner_course WHERE " LEARNER_COURSE_TARGET,
	                           "learner progress", &id, 1)) != 0 ||
	    (rc = relais_hub_write(
	             hub, ctx, RELAIS_HUB_SLOT_PROGRESS_REDO,
	             "INSERT INTO learner_course " RELAIS_HUB_LEARNER_COURSE(LEARNER_COURSE_TARGET),
	             "learner progress", &id, 1)) != 0) {
		return rc;
	}
	return redo_activity(hub, ctx, id);
}

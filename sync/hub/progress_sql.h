/*
 * progress_sql.h: the SQL that keeps the reports' tables (learner_course,
 * activity_learner, unscored_answer) as statements are stored: shared by
 * progress.c (one statement, SQLite) and statements.c (a batch, inside the
 * PostgreSQL query that inserts it).
 */
#ifndef RELAIS_HUB_PROGRESS_SQL_H
#define RELAIS_HUB_PROGRESS_SQL_H

#include "hub_private.h"

/* What a statement changes in the reports' tables (relais_hub_progress_kind). */
#define RELAIS_HUB_PROGRESS_NONE 0     /* nothing: it names no course */
#define RELAIS_HUB_PROGRESS_COURSE 1   /* its learner's row for its course */
#define RELAIS_HUB_PROGRESS_ACTIVITY 2 /* and for its activity: a scored answer, a verdict */
#define RELAIS_HUB_PROGRESS_UNSCORED 3 /* and unscored_answer: an answer without a success */

#define RELAIS_HUB_PROGRESS_STR_(k) #k
#define RELAIS_HUB_PROGRESS_STR(k) RELAIS_HUB_PROGRESS_STR_(k)

/* The SQL is laid out as SQL, not as clang-format would. */
/* clang-format off */

/* The earlier (later) of table's col and the new row's (either may be NULL). */
#define RELAIS_HUB_EARLIER(table, col) \
	col " = CASE WHEN " table "." col " IS NULL OR excluded." col " < " table "." col \
	" THEN coalesce(excluded." col ", " table "." col ") ELSE " table "." col " END"
#define RELAIS_HUB_LATER(table, col) \
	col " = CASE WHEN excluded." col " > " table "." col " THEN excluded." col \
	" ELSE " table "." col " END"

/* How a learner_course row made from newer statements (excluded) merges into the held one. */
#define RELAIS_HUB_LEARNER_COURSE_MERGE \
	"ON CONFLICT(course_term, actor_term) DO UPDATE SET " \
	"name = coalesce(excluded.name, learner_course.name), " \
	"organisation = coalesce(excluded.organisation, learner_course.organisation), " \
	"credential = CASE WHEN excluded.completed IS NOT NULL AND (learner_course.completed " \
	"IS NULL OR excluded.completed < learner_course.completed) THEN excluded.credential " \
	"ELSE learner_course.credential END, " \
	RELAIS_HUB_EARLIER("learner_course", "started") ", " \
	RELAIS_HUB_EARLIER("learner_course", "completed") ", " \
	RELAIS_HUB_EARLIER("learner_course", "passed") ", " \
	RELAIS_HUB_LATER("learner_course", "last")

/* How an activity_learner row made from newer statements (excluded) merges into the held one. */
#define RELAIS_HUB_ACTIVITY_LEARNER_MERGE \
	"ON CONFLICT(object_term, actor_term) DO UPDATE SET " \
	"organisation = CASE WHEN excluded.organisation = '' THEN activity_learner.organisation " \
	"ELSE excluded.organisation END, " \
	"tries = activity_learner.tries + excluded.tries, " \
	"missed = CASE WHEN excluded.missed > activity_learner.missed THEN 1 " \
	"ELSE activity_learner.missed END, " \
	"passes = activity_learner.passes + excluded.passes, " \
	"score_sum = activity_learner.score_sum + excluded.score_sum, " \
	"scored = activity_learner.scored + excluded.scored, " \
	RELAIS_HUB_EARLIER("activity_learner", "first") ", " \
	RELAIS_HUB_LATER("activity_learner", "last")

/*
 * The same for a batch (PostgreSQL): CTEs, to follow those of the query that
 * inserts it, over src, a relation of the statements just stored with the
 * statement table's columns, their seq, kind (RELAIS_HUB_PROGRESS_*) and
 * credential. Grouped by row, each group's values taken as the statements one
 * after another would leave them (the first's for what an upsert only
 * inserts, the last's given name and organisation, the earliest, the latest,
 * the sums), then merged into the held rows as one statement's are: an upsert
 * may change a row only once. The tallies follow by the tables' triggers.
 */
#define RELAIS_HUB_FIRST(col) "(array_agg(" col " ORDER BY seq))[1]"
#define RELAIS_HUB_LAST_GIVEN(col, given) \
	"(array_agg(" col " ORDER BY seq DESC) FILTER (WHERE " given "))[1]"

#define RELAIS_HUB_PROGRESS_MANY(src) \
	"lc AS (INSERT INTO learner_course(actor_term, course_term, course, actor, name, " \
	"organisation, started, completed, passed, last, credential) " \
	"SELECT actor_term, course_term, " RELAIS_HUB_FIRST("course") ", " \
	RELAIS_HUB_FIRST("actor") ", " \
	RELAIS_HUB_LAST_GIVEN("actor_name", "actor_name IS NOT NULL") ", " \
	RELAIS_HUB_LAST_GIVEN("organisation", "organisation IS NOT NULL") ", " \
	"min(w), min(w) FILTER (WHERE completes), min(w) FILTER (WHERE passed), max(w), " \
	"(array_agg(credential ORDER BY w, seq) FILTER (WHERE completes))[1] " \
	"FROM (SELECT *, " RELAIS_HUB_WHEN " AS w, unit IS NULL AND verb_term = " \
	RELAIS_HUB_VERB_TERM("completed") " AS completes, verb_term = " \
	RELAIS_HUB_VERB_TERM("passed") " AS passed FROM " src " WHERE kind <> " \
	RELAIS_HUB_PROGRESS_STR(RELAIS_HUB_PROGRESS_NONE) " AND course_term IS NOT NULL) b " \
	"GROUP BY actor_term, course_term " RELAIS_HUB_LEARNER_COURSE_MERGE "), " \
	"al AS (INSERT INTO activity_learner " \
	"SELECT object_term, actor_term, " \
	RELAIS_HUB_FIRST("CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("answered") \
	" THEN 1 ELSE 2 END") ", " RELAIS_HUB_FIRST("course_term") ", " \
	RELAIS_HUB_FIRST("course") ", " RELAIS_HUB_FIRST("coalesce(unit, '')") ", " \
	RELAIS_HUB_FIRST("object_id") ", " \
	"coalesce(" RELAIS_HUB_LAST_GIVEN("organisation", "coalesce(organisation, '') <> ''") \
	", ''), count(*), max(CASE WHEN success = 0 THEN 1 ELSE 0 END), " \
	"sum(CASE WHEN success = 1 THEN 1 ELSE 0 END), sum(coalesce(scaled, 0)), count(scaled), " \
	"min(" RELAIS_HUB_WHEN "), max(" RELAIS_HUB_WHEN ") " \
	"FROM " src " WHERE kind = " RELAIS_HUB_PROGRESS_STR(RELAIS_HUB_PROGRESS_ACTIVITY) \
	" AND object_term IS NOT NULL " \
	"GROUP BY object_term, actor_term " RELAIS_HUB_ACTIVITY_LEARNER_MERGE "), " \
	"un AS (INSERT INTO unscored_answer(seq) SELECT seq FROM " src " WHERE kind = " \
	RELAIS_HUB_PROGRESS_STR(RELAIS_HUB_PROGRESS_UNSCORED) ")"

/* clang-format on */

/* What the statement of facts f changes in the reports' tables: RELAIS_HUB_PROGRESS_*. */
int relais_hub_progress_kind(const struct relais_xapi_facts *f);

#endif

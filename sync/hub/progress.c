/* progress.c: the reports' tables (migration 12), kept up to date as statements arrive. */
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
#define IS_COMPLETION "unit IS NULL AND verb_term = " RELAIS_HUB_VERB_TERM("completed")

/* Statement ?1 into its learner's row for its course. The credential changes with the first
 * completion, before completed does (SET reads the old row). */
#define ADD_LEARNER_COURSE \
	"INSERT INTO learner_course(actor_term, course_term, course, actor, name, organisation, " \
	"started, completed, passed, last, credential) " \
	"SELECT actor_term, course_term, course, actor, actor_name, organisation, " \
	RELAIS_HUB_WHEN ", " \
	"CASE WHEN " IS_COMPLETION " THEN " RELAIS_HUB_WHEN " END, " \
	"CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("passed") " THEN " RELAIS_HUB_WHEN " END, " \
	RELAIS_HUB_WHEN ", " \
	"CASE WHEN " IS_COMPLETION " THEN credential END " \
	"FROM statement WHERE seq = ?1 AND course_term IS NOT NULL " \
	"ON CONFLICT(course_term, actor_term) DO UPDATE SET " \
	"name = coalesce(excluded.name, learner_course.name), " \
	"organisation = coalesce(excluded.organisation, learner_course.organisation), " \
	"credential = CASE WHEN excluded.completed IS NOT NULL AND (learner_course.completed " \
	"IS NULL OR excluded.completed < learner_course.completed) THEN excluded.credential " \
	"ELSE learner_course.credential END, " \
	EARLIER("learner_course", "started") ", " EARLIER("learner_course", "completed") ", " \
	EARLIER("learner_course", "passed") ", " LATER("learner_course", "last")

/* Scored answer ?1 into its learner's row for its question. */
#define ADD_QUESTION_LEARNER \
	"INSERT INTO question_learner(object_term, actor_term, course_term, course, quiz, " \
	"object_id, organisation, answers, missed, first, last) " \
	"SELECT object_term, actor_term, course_term, course, unit, object_id, organisation, 1, " \
	"CASE WHEN success = 0 THEN 1 ELSE 0 END, " RELAIS_HUB_WHEN ", " RELAIS_HUB_WHEN " " \
	"FROM statement WHERE seq = ?1 " \
	"ON CONFLICT(object_term, actor_term) DO UPDATE SET " \
	"organisation = coalesce(excluded.organisation, question_learner.organisation), " \
	"answers = question_learner.answers + 1, " \
	"missed = CASE WHEN excluded.missed > question_learner.missed THEN 1 " \
	"ELSE question_learner.missed END, " \
	EARLIER("question_learner", "first") ", " LATER("question_learner", "last")

/* A column of the statement whose id is ?1 (none when not held). */
#define SAME(col) col " = (SELECT " col " FROM statement WHERE id = lower(?1))"
#define LEARNER_COURSE_TARGET SAME("actor_term") " AND " SAME("course_term")
#define QUESTION_LEARNER_TARGET SAME("object_term") " AND " SAME("actor_term")

/* clang-format on */

/* Runs the cached upsert sql with seq bound to ?1. */
static int upsert(relais_hub *hub, relais_ctx *ctx, int slot, const char *sql, sqlite3_int64 seq)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;

	if (relais_hub_stmt(hub, slot, sql, &q) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_bind_int64(q, 1, seq);
	if (sqlite3_step(q) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_reset(q);
	return rc;
}

int relais_hub_progress_add(relais_hub *hub, relais_ctx *ctx, sqlite3_int64 seq,
                            const struct relais_xapi_facts *f)
{
	int answered = strcmp(f->verb, RELAIS_XAPI_VERBS "answered") == 0;
	int rc;

	/* One indexed upsert per statement: the reports read these tables, not the statements. */
	rc = upsert(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_ADD, ADD_LEARNER_COURSE, seq);
	if (rc == 0 && answered && f->success >= 0 && f->unit != NULL) {
		rc = upsert(hub, ctx, RELAIS_HUB_SLOT_QUESTION_ADD, ADD_QUESTION_LEARNER, seq);
	} else if (rc == 0 && answered && f->success < 0) {
		rc = upsert(hub, ctx, RELAIS_HUB_SLOT_UNSCORED_ADD,
		            "INSERT INTO unscored_answer(seq) VALUES (?1)", seq);
	}
	return rc;
}

int relais_hub_progress_void(relais_hub *hub, relais_ctx *ctx, const char *id)
{
	int rc;

	/* Rare (a voiding statement): the rows are made again from what is not voided. */
	if ((rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_DROP,
	                           "DELETE FROM learner_course WHERE " LEARNER_COURSE_TARGET,
	                           "learner progress", &id, 1)) != 0 ||
	    (rc = relais_hub_write(
	             hub, ctx, RELAIS_HUB_SLOT_PROGRESS_REDO,
	             "INSERT INTO learner_course " RELAIS_HUB_LEARNER_COURSE(LEARNER_COURSE_TARGET),
	             "learner progress", &id, 1)) != 0 ||
	    (rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_QUESTION_DROP,
	                           "DELETE FROM question_learner WHERE " QUESTION_LEARNER_TARGET,
	                           "learner progress", &id, 1)) != 0) {
		return rc;
	}
	return relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_QUESTION_REDO,
	                        "INSERT INTO question_learner " RELAIS_HUB_QUESTION_LEARNER(
	                                QUESTION_LEARNER_TARGET),
	                        "learner progress", &id, 1);
}

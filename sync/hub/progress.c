/* progress.c: learner_course, each learner's state in each course, kept as statements arrive. */
#include "hub_private.h"
#include "relais/error.h"

/* The earlier of learner_course's col and the new row's (either may be NULL). */
#define EARLIER(col)                                                                               \
	col " = CASE WHEN learner_course." col " IS NULL OR excluded." col                         \
	    " < learner_course." col " THEN coalesce(excluded." col ", learner_course." col        \
	    ") ELSE learner_course." col " END"

int relais_hub_progress_add(relais_hub *hub, relais_ctx *ctx, sqlite3_int64 seq)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;

	/* One indexed upsert per statement: the reports read this table, not the statements. */
	if (
	        relais_hub_stmt(
	                hub, RELAIS_HUB_SLOT_PROGRESS_ADD,
	                "INSERT INTO learner_course(actor_term, course_term, course, actor, name, "
	                "organisation, started, completed, passed, last) "
	                "SELECT actor_term, course_term, course, actor, actor_name, "
	                "organisation, " RELAIS_HUB_WHEN
	                ", CASE WHEN unit IS NULL AND verb_term = " RELAIS_HUB_VERB_TERM(
	                        "completed") " THEN " RELAIS_HUB_WHEN " END, "
	                                     "CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM(
	                                             "passed") " THEN " RELAIS_HUB_WHEN
	                                                       " END, " RELAIS_HUB_WHEN
	                                                       " FROM statement WHERE seq = ?1 AND "
	                                                       "course_term IS NOT NULL "
	                                                       "ON CONFLICT(course_term, "
	                                                       "actor_term) DO UPDATE SET "
	                                                       "name = coalesce(excluded.name, "
	                                                       "learner_course.name), "
	                                                       "organisation = "
	                                                       "coalesce(excluded.organisation, "
	                                                       "learner_course.organisation),"
	                                                       " " EARLIER("started") ", " EARLIER("completed") ", " EARLIER(
	                                                               "passed") ", last = CASE "
	                                                                         "WHEN "
	                                                                         "excluded.last > "
	                                                                         "learner_course."
	                                                                         "last THEN "
	                                                                         "excluded.last "
	                                                                         "ELSE "
	                                                                         "learner_course."
	                                                                         "last END",
	                &q) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_bind_int64(q, 1, seq);
	if (sqlite3_step(q) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_reset(q);
	return rc;
}

/* SQL: the learner and course of the statement whose id is ?1 (none when not held). */
#define TARGET(col) "(SELECT " col " FROM statement WHERE id = lower(?1))"

int relais_hub_progress_void(relais_hub *hub, relais_ctx *ctx, const char *id)
{
	int rc;

	/* Rare (a voiding statement): the row is made again from what is not voided. */
	rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_DROP,
	                      "DELETE FROM learner_course WHERE actor_term = " TARGET(
	                              "actor_term") " AND course_term = " TARGET("course_term"),
	                      "learner progress", &id, 1);
	if (rc == 0) {
		rc = relais_hub_write(
		        hub, ctx, RELAIS_HUB_SLOT_PROGRESS_REDO,
		        "INSERT INTO learner_course " RELAIS_HUB_LEARNER_COURSE(
		                "actor_term = " TARGET("actor_term") " AND course_term = " TARGET(
		                        "course_term")),
		        "learner progress", &id, 1);
	}
	return rc;
}

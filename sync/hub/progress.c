/* progress.c: the reports' tables (hub migration 14), kept up to date as statements arrive. */
#include <string.h>

#include "progress_sql.h"
#include "relais/error.h"

/* The SQL is laid out as SQL, not as clang-format would. */
/* clang-format off */

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
	"FROM statement WHERE seq = ?1 AND course_term IS NOT NULL " RELAIS_HUB_LEARNER_COURSE_MERGE

/* Statement ?1 (a scored answer or a verdict) into its learner's row for its activity. */
#define ADD_ACTIVITY_LEARNER \
	"INSERT INTO activity_learner " \
	"SELECT object_term, actor_term, CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("answered") \
	" THEN 1 ELSE 2 END, course_term, course, coalesce(unit, ''), object_id, " \
	"coalesce(organisation, ''), 1, CASE WHEN success = 0 THEN 1 ELSE 0 END, " \
	"CASE WHEN success = 1 THEN 1 ELSE 0 END, coalesce(scaled, 0), " \
	"CASE WHEN scaled IS NULL THEN 0 ELSE 1 END, " RELAIS_HUB_WHEN ", " RELAIS_HUB_WHEN " " \
	"FROM statement WHERE seq = ?1 AND object_term IS NOT NULL " RELAIS_HUB_ACTIVITY_LEARNER_MERGE

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

int relais_hub_progress_kind(const struct relais_xapi_facts *f)
{
	int answered = strcmp(f->verb, RELAIS_XAPI_VERBS "answered") == 0;
	int verdict = strcmp(f->verb, RELAIS_XAPI_VERBS "passed") == 0 ||
	              strcmp(f->verb, RELAIS_XAPI_VERBS "failed") == 0;

	if (f->course == NULL) {
		return RELAIS_HUB_PROGRESS_NONE;
	}
	if ((answered && f->success >= 0 && f->unit != NULL) || verdict) {
		return RELAIS_HUB_PROGRESS_ACTIVITY; /* a scored answer to a question, a verdict */
	}
	return answered && f->success < 0 ? RELAIS_HUB_PROGRESS_UNSCORED
	                                  : RELAIS_HUB_PROGRESS_COURSE;
}

int relais_hub_progress_add(relais_hub *hub, relais_ctx *ctx, long long seq,
                            const struct relais_xapi_facts *f)
{
	int passed = strcmp(f->verb, RELAIS_XAPI_VERBS "passed") == 0;
	int completes = f->unit == NULL && strcmp(f->verb, RELAIS_XAPI_VERBS "completed") == 0;
	int rc, kind = relais_hub_progress_kind(f);

	/* An indexed upsert or three per statement: the reports read these tables, not the
	 * statements. */
	rc = run_seq(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_ADD, ADD_LEARNER_COURSE, seq, completes,
	             passed);
	if (rc == 0 && kind == RELAIS_HUB_PROGRESS_ACTIVITY) {
		rc = run_seq(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_ADD, ADD_ACTIVITY_LEARNER, seq, 0,
		             0);
	} else if (rc == 0 && kind == RELAIS_HUB_PROGRESS_UNSCORED) {
		rc = run_seq(hub, ctx, RELAIS_HUB_SLOT_UNSCORED_ADD,
		             "INSERT INTO unscored_answer(seq) VALUES (?1)", seq, 0, 0);
	}
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

/* progress.c: the reports' tables (migration 12), kept up to date as statements arrive. */
#include <stdio.h>
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

/* Statement ?1 (a scored answer or a verdict) into its learner's row for its activity. */
#define ADD_ACTIVITY_LEARNER \
	"INSERT INTO activity_learner " \
	"SELECT object_term, actor_term, CASE WHEN verb_term = " RELAIS_HUB_VERB_TERM("answered") \
	" THEN 1 ELSE 2 END, course_term, course, coalesce(unit, ''), object_id, " \
	"coalesce(organisation, ''), 1, CASE WHEN success = 0 THEN 1 ELSE 0 END, " \
	"CASE WHEN success = 1 THEN 1 ELSE 0 END, coalesce(scaled, 0), " \
	"CASE WHEN scaled IS NULL THEN 0 ELSE 1 END, " RELAIS_HUB_WHEN ", " RELAIS_HUB_WHEN " " \
	"FROM statement WHERE seq = ?1 AND object_term IS NOT NULL " \
	"ON CONFLICT(object_term, actor_term) DO UPDATE SET " \
	"organisation = CASE WHEN excluded.organisation = '' THEN activity_learner.organisation " \
	"ELSE excluded.organisation END, " \
	"tries = activity_learner.tries + 1, " \
	"missed = CASE WHEN excluded.missed > activity_learner.missed THEN 1 " \
	"ELSE activity_learner.missed END, " \
	"passes = activity_learner.passes + excluded.passes, " \
	"score_sum = activity_learner.score_sum + excluded.score_sum, " \
	"scored = activity_learner.scored + excluded.scored, " \
	EARLIER("activity_learner", "first") ", " LATER("activity_learner", "last")

/* A learner's row for an activity: ?1 the activity's term, ?2 the learner's. */
#define READ_ACTIVITY_LEARNER \
	"SELECT organisation, tries, missed, passes, score_sum, scored FROM activity_learner " \
	"WHERE object_term = ?1 AND actor_term = ?2"

/* Adds a learner's row's numbers (?3 1 or -1 times) to their organisation's (?4) tally of
 * activity ?1; the activity's names come from the learner's (?2) row, which must exist. */
#define ADD_ACTIVITY_TALLY \
	"INSERT INTO activity_tally SELECT object_term, ?4, kind, course_term, course, quiz, " \
	"object_id, ?3, ?3 * ?5, ?3 * ?6, ?3 * ?7, ?3 * ?8, ?3 * ?9, ?3 * ?10 " \
	"FROM activity_learner WHERE object_term = ?1 AND actor_term = ?2 " \
	"ON CONFLICT(object_term, organisation) DO UPDATE SET " \
	"learners = activity_tally.learners + excluded.learners, " \
	"learners_missed = activity_tally.learners_missed + excluded.learners_missed, " \
	"learners_passed = activity_tally.learners_passed + excluded.learners_passed, " \
	"tries = activity_tally.tries + excluded.tries, " \
	"passes = activity_tally.passes + excluded.passes, " \
	"score_sum = activity_tally.score_sum + excluded.score_sum, " \
	"scored = activity_tally.scored + excluded.scored"

/* A column of the statement whose id is ?1 (none when not held). */
#define SAME(col) col " = (SELECT " col " FROM statement WHERE id = lower(?1))"
#define LEARNER_COURSE_TARGET SAME("actor_term") " AND " SAME("course_term")
#define ACTIVITY_LEARNER_TARGET SAME("object_term") " AND " SAME("actor_term")

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

/* A learner's numbers for an activity, as its tally counts them. */
struct share {
	int found;
	char organisation[256];
	sqlite3_int64 missed, passed, tries, passes, scored;
	double score_sum;
};

/* Reads the row of learner actor for activity object into *sh (found 0 when none). */
static int share_read(struct share *sh, relais_hub *hub, relais_ctx *ctx, sqlite3_int64 object,
                      sqlite3_int64 actor)
{
	sqlite3_stmt *q = NULL;
	int rc = 0, step;

	memset(sh, 0, sizeof(*sh));
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_ACTIVITY_READ, READ_ACTIVITY_LEARNER, &q) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_bind_int64(q, 1, object);
	sqlite3_bind_int64(q, 2, actor);
	step = sqlite3_step(q);
	if (step == SQLITE_ROW) {
		sh->found = 1;
		(void)snprintf(sh->organisation, sizeof(sh->organisation), "%s",
		               (const char *)sqlite3_column_text(q, 0));
		sh->tries = sqlite3_column_int64(q, 1);
		sh->missed = sqlite3_column_int64(q, 2);
		sh->passes = sqlite3_column_int64(q, 3);
		sh->passed = sh->passes > 0;
		sh->score_sum = sqlite3_column_double(q, 4);
		sh->scored = sqlite3_column_int64(q, 5);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_reset(q);
	return rc;
}

/* Adds sign times *sh (when found) to its organisation's tally of activity object. */
static int tally(relais_hub *hub, relais_ctx *ctx, sqlite3_int64 object, sqlite3_int64 actor,
                 const struct share *sh, int sign)
{
	sqlite3_stmt *q = NULL;
	int rc = 0;

	if (!sh->found) {
		return 0;
	}
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_TALLY_ADD, ADD_ACTIVITY_TALLY, &q) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_bind_int64(q, 1, object);
	sqlite3_bind_int64(q, 2, actor);
	sqlite3_bind_int(q, 3, sign);
	sqlite3_bind_text(q, 4, sh->organisation, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, sh->missed);
	sqlite3_bind_int64(q, 6, sh->passed);
	sqlite3_bind_int64(q, 7, sh->tries);
	sqlite3_bind_int64(q, 8, sh->passes);
	sqlite3_bind_double(q, 9, sh->score_sum);
	sqlite3_bind_int64(q, 10, sh->scored);
	if (sqlite3_step(q) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_reset(q);
	return rc;
}

/* Terms of statement seq's activity and learner (0 when it has no activity). */
static int terms_of(sqlite3_int64 *object, sqlite3_int64 *actor, relais_hub *hub, relais_ctx *ctx,
                    sqlite3_stmt *q)
{
	int rc = 0, step = sqlite3_step(q);

	*object = *actor = 0;
	if (step == SQLITE_ROW) {
		*object = sqlite3_column_int64(q, 0);
		*actor = sqlite3_column_int64(q, 1);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_reset(q);
	return rc;
}

/*
 * Changes a learner's row for an activity with change() and keeps the
 * tallies: the row's old numbers are taken from its organisation's tally,
 * its new ones added (to its new organisation's, if that changed).
 */
static int with_tally(relais_hub *hub, relais_ctx *ctx, sqlite3_int64 object, sqlite3_int64 actor,
                      int (*change)(relais_hub *, relais_ctx *, const void *), const void *arg)
{
	struct share before, after;
	int rc;

	if ((rc = share_read(&before, hub, ctx, object, actor)) != 0 ||
	    (rc = tally(hub, ctx, object, actor, &before, -1)) != 0 ||
	    (rc = change(hub, ctx, arg)) != 0 ||
	    (rc = share_read(&after, hub, ctx, object, actor)) != 0) {
		return rc;
	}
	return tally(hub, ctx, object, actor, &after, 1);
}

static int add_activity(relais_hub *hub, relais_ctx *ctx, const void *arg)
{
	return upsert(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_ADD, ADD_ACTIVITY_LEARNER,
	              *(const sqlite3_int64 *)arg);
}

static int redo_activity(relais_hub *hub, relais_ctx *ctx, const void *arg)
{
	const char *id = arg;
	int rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_DROP,
	                          "DELETE FROM activity_learner WHERE " ACTIVITY_LEARNER_TARGET,
	                          "learner progress", &id, 1);

	return rc ? rc
	          : relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_ACTIVITY_REDO,
	                             "INSERT INTO activity_learner " RELAIS_HUB_ACTIVITY_LEARNER(
	                                     ACTIVITY_LEARNER_TARGET),
	                             "learner progress", &id, 1);
}

int relais_hub_progress_add(relais_hub *hub, relais_ctx *ctx, sqlite3_int64 seq,
                            const struct relais_xapi_facts *f)
{
	int answered = strcmp(f->verb, RELAIS_XAPI_VERBS "answered") == 0;
	int verdict = strcmp(f->verb, RELAIS_XAPI_VERBS "passed") == 0 ||
	              strcmp(f->verb, RELAIS_XAPI_VERBS "failed") == 0;
	sqlite3_stmt *q = NULL;
	sqlite3_int64 object, actor;
	int rc;

	/* One indexed upsert per statement: the reports read these tables, not the statements. */
	rc = upsert(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_ADD, ADD_LEARNER_COURSE, seq);
	if (rc == 0 && ((answered && f->success >= 0 && f->unit != NULL) || verdict)) {
		if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_ACTIVITY_TERMS,
		                    "SELECT object_term, actor_term FROM statement WHERE seq = ?1",
		                    &q) != 0) {
			return relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
		}
		sqlite3_bind_int64(q, 1, seq);
		if ((rc = terms_of(&object, &actor, hub, ctx, q)) == 0 && object != 0) {
			rc = with_tally(hub, ctx, object, actor, add_activity, &seq);
		}
	} else if (rc == 0 && answered && f->success < 0) {
		rc = upsert(hub, ctx, RELAIS_HUB_SLOT_UNSCORED_ADD,
		            "INSERT INTO unscored_answer(seq) VALUES (?1)", seq);
	}
	return rc;
}

int relais_hub_progress_void(relais_hub *hub, relais_ctx *ctx, const char *id)
{
	sqlite3_stmt *q = NULL;
	sqlite3_int64 object, actor;
	int rc;

	/* Rare (a voiding statement): the rows are made again from what is not voided. */
	if ((rc = relais_hub_write(hub, ctx, RELAIS_HUB_SLOT_PROGRESS_DROP,
	                           "DELETE FROM learner_course WHERE " LEARNER_COURSE_TARGET,
	                           "learner progress", &id, 1)) != 0 ||
	    (rc = relais_hub_write(
	             hub, ctx, RELAIS_HUB_SLOT_PROGRESS_REDO,
	             "INSERT INTO learner_course " RELAIS_HUB_LEARNER_COURSE(LEARNER_COURSE_TARGET),
	             "learner progress", &id, 1)) != 0) {
		return rc;
	}
	if (relais_hub_stmt(hub, RELAIS_HUB_SLOT_ACTIVITY_TARGET,
	                    "SELECT object_term, actor_term FROM statement WHERE id = lower(?1)",
	                    &q) != 0) {
		return relais_db_fail(ctx, hub->db, RELAIS_EIO, "learner progress");
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = terms_of(&object, &actor, hub, ctx, q)) == 0 && object != 0) {
		rc = with_tally(hub, ctx, object, actor, redo_activity, id);
	}
	return rc;
}

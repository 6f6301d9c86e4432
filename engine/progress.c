/* progress.c: learner events: the progress row and its statement, in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/progress.h"
#include "statement.h"

/* What an event needs to know about the learner, course and unit. */
struct scene {
	char *name, *email, *org;
	char *course_title, *language;
	char *unit_title, *unit_kind;
	int pass_percent;
};

static void scene_clear(struct scene *s)
{
	free(s->name);
	free(s->email);
	free(s->org);
	free(s->course_title);
	free(s->language);
	free(s->unit_title);
	free(s->unit_kind);
	memset(s, 0, sizeof(*s));
}

static int load_scene(struct scene *s, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                      const char *course_id, const char *unit_id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	memset(s, 0, sizeof(*s));
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT p.name, p.email, c.title, c.language, u.title, u.kind, "
	                            "u.pass_percent, p.org FROM profile p, course c, unit u "
	                            "WHERE p.id = ?1 AND c.id = ?2 AND u.course_id = c.id AND "
	                            "u.id = coalesce(?3, u.id) ORDER BY u.position LIMIT 1")) !=
	    0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	if (unit_id != NULL) {
		sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
	}
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		s->name = relais_db_text(st, 0);
		s->email = relais_db_text(st, 1);
		s->course_title = relais_db_text(st, 2);
		s->language = relais_db_text(st, 3);
		s->unit_title = relais_db_text(st, 4);
		s->unit_kind = relais_db_text(st, 5);
		s->pass_percent = sqlite3_column_int(st, 6);
		s->org = relais_db_text(st, 7);
		if (!s->name || !s->email || !s->org || !s->course_title || !s->language ||
		    !s->unit_title || !s->unit_kind) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step == SQLITE_DONE) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no learner %lld, course %s or unit %s",
		                 (long long)profile_id, course_id, unit_id ? unit_id : "");
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		scene_clear(s);
	}
	return rc;
}

/* Makes the event's statement and puts it in the outbox (inside a transaction). */
static int record(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                  const struct relais_event *ev)
{
	char id[37], now[32];
	char *json = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = relais_statement_make(&json, id, ctx, ev)) != 0) {
		return rc;
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO outbox(id, profile_id, verb, object, statement, "
	                            "created) VALUES (?, ?, ?, ?, ?, ?)")) == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, profile_id);
		sqlite3_bind_text(st, 3, ev->verb, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, ev->unit_id ? ev->unit_title : ev->course_title, -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
		}
	}
	sqlite3_finalize(st);
	free(json);
	return rc;
}

static void base_event(struct relais_event *ev, const struct scene *s, const char *course_id,
                       const char *unit_id, const char *verb)
{
	memset(ev, 0, sizeof(*ev));
	ev->learner_name = s->name;
	ev->learner_email = s->email;
	ev->learner_org = s->org;
	ev->verb = verb;
	ev->course_id = course_id;
	ev->course_title = s->course_title;
	ev->language = s->language;
	ev->unit_id = unit_id;
	ev->unit_title = s->unit_title;
	ev->unit_kind = s->unit_kind;
	ev->success = -1;
	ev->completion = -1;
	ev->duration_s = -1;
}

/*
 * Records course completion the first time every lesson is viewed and every
 * quiz passed. Inside the caller's transaction.
 */
static int maybe_complete(int *out_completed, relais_home *home, relais_ctx *ctx,
                          int64_t profile_id, const char *course_id, const struct scene *s)
{
	struct relais_event ev;
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, open_units = -1, already = 0;

	*out_completed = 0;
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT (SELECT count(*) FROM unit u LEFT JOIN progress p ON p.profile_id = "
	             "?1 "
	             "AND p.course_id = u.course_id AND p.unit_id = u.id WHERE u.course_id = ?2 "
	             "AND NOT (CASE u.kind WHEN 'quiz' THEN coalesce(p.passed, 0) ELSE "
	             "coalesce(p.viewed, 0) END)), "
	             "(SELECT count(*) FROM completion WHERE profile_id = ?1 AND course_id = "
	             "?2)")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		open_units = sqlite3_column_int(st, 0);
		already = sqlite3_column_int(st, 1);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
	}
	sqlite3_finalize(st);
	if (rc != 0 || open_units != 0 || already) {
		return rc;
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO completion(profile_id, course_id, completed) "
	                            "VALUES (?, ?, ?)")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		return rc;
	}
	base_event(&ev, s, course_id, NULL, "completed");
	ev.has_result = 1;
	ev.completion = 1;
	if ((rc = record(home, ctx, profile_id, &ev)) == 0) {
		*out_completed = 1;
	}
	return rc;
}

int relais_progress_lesson_viewed(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                  const char *course_id, const char *unit_id)
{
	struct relais_event ev;
	struct scene s;
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, completed;

	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = load_scene(&s, home, ctx, profile_id, course_id, unit_id)) != 0) {
		relais_db_rollback(home);
		return rc;
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO progress(profile_id, course_id, unit_id, viewed, "
	                            "updated) VALUES (?, ?, ?, 1, ?) ON CONFLICT DO UPDATE SET "
	                            "viewed = 1, updated = excluded.updated")) != 0) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
		goto out;
	}
	base_event(&ev, &s, course_id, unit_id, "experienced");
	if ((rc = record(home, ctx, profile_id, &ev)) != 0 ||
	    (rc = maybe_complete(&completed, home, ctx, profile_id, course_id, &s)) != 0) {
		goto out;
	}
	rc = relais_db_commit(home, ctx);
out:
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_db_rollback(home);
	}
	scene_clear(&s);
	return rc;
}

int relais_progress_quiz_submitted(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                   const char *course_id, const char *unit_id,
                                   const struct relais_quiz_result *result, double duration_s,
                                   int *out_passed, int *out_completed)
{
	struct relais_event ev;
	struct scene s;
	sqlite3_stmt *st = NULL;
	char now[32];
	size_t i;
	int rc, passed, completed = 0;

	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = load_scene(&s, home, ctx, profile_id, course_id, unit_id)) != 0) {
		relais_db_rollback(home);
		return rc;
	}
	if (strcmp(s.unit_kind, "quiz") != 0) {
		rc = relais_fail(ctx, RELAIS_EINVAL, "unit %s of %s is not a quiz", unit_id,
		                 course_id);
		goto out;
	}
	passed = result->max > 0 ? result->percent >= s.pass_percent : 1;
	/* One statement per scored question, then the quiz's own. */
	for (i = 0; i < result->n_questions; i++) {
		const struct relais_question_result *q = &result->questions[i];
		if (!q->scored) {
			continue;
		}
		base_event(&ev, &s, course_id, unit_id, "answered");
		ev.question_id = q->id;
		ev.unit_title = q->id;
		ev.has_result = 1;
		ev.scaled = q->score;
		ev.raw = q->score;
		ev.max = 1;
		ev.success = q->score >= 1.0;
		ev.response = q->response ? q->response : "";
		if ((rc = record(home, ctx, profile_id, &ev)) != 0) {
			goto out;
		}
	}
	base_event(&ev, &s, course_id, unit_id, passed ? "passed" : "failed");
	ev.has_result = 1;
	ev.scaled = result->scaled;
	ev.raw = result->score;
	ev.max = result->max;
	ev.success = passed;
	ev.completion = 1;
	ev.duration_s = duration_s;
	if ((rc = record(home, ctx, profile_id, &ev)) != 0) {
		goto out;
	}
	relais_now_iso(now);
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT INTO progress(profile_id, course_id, unit_id, attempts, best_percent, "
	             "passed, updated) VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6) ON CONFLICT DO UPDATE "
	             "SET "
	             "attempts = attempts + 1, best_percent = max(best_percent, ?4), "
	             "passed = max(passed, ?5), updated = ?6")) != 0) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, result->percent);
	sqlite3_bind_int(st, 5, passed);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
		goto out;
	}
	if ((rc = maybe_complete(&completed, home, ctx, profile_id, course_id, &s)) != 0 ||
	    (rc = relais_db_commit(home, ctx)) != 0) {
		goto out;
	}
	if (out_passed != NULL) {
		*out_passed = passed;
	}
	if (out_completed != NULL) {
		*out_completed = completed;
	}
out:
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_db_rollback(home);
	}
	scene_clear(&s);
	return rc;
}

void relais_course_progress_clear(struct relais_course_progress *p)
{
	size_t i;

	for (i = 0; i < p->n_units; i++) {
		free(p->units[i].unit_id);
	}
	free(p->units);
	free(p->course_id);
	free(p->last_unit_id);
	memset(p, 0, sizeof(*p));
}

int relais_progress_get(struct relais_course_progress *out, relais_home *home, relais_ctx *ctx,
                        int64_t profile_id, const char *course_id)
{
	sqlite3_stmt *st = NULL;

	char *latest = NULL;
	int rc, step;

	memset(out, 0, sizeof(*out));
	out->course_id = strdup(course_id);
	if (out->course_id == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT u.id, u.kind, coalesce(p.viewed, 0), coalesce(p.attempts, 0), "
	             "coalesce(p.best_percent, -1), coalesce(p.passed, 0), p.updated "
	             "FROM unit u LEFT JOIN progress p ON p.profile_id = ?1 AND "
	             "p.course_id = u.course_id AND p.unit_id = u.id "
	             "WHERE u.course_id = ?2 ORDER BY u.position")) != 0) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct relais_unit_progress *u;
		int quiz = strcmp((const char *)sqlite3_column_text(st, 1), "quiz") == 0;
		const char *updated = (const char *)sqlite3_column_text(st, 6);
		u = relais_push(&out->units, &out->n_units, sizeof(*u));
		if (u == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		u->unit_id = relais_db_text(st, 0);
		u->attempts = sqlite3_column_int(st, 3);
		u->best_percent = sqlite3_column_int(st, 4);
		if (quiz) {
			u->state = sqlite3_column_int(st, 5) ? RELAIS_UNIT_DONE
			           : u->attempts > 0         ? RELAIS_UNIT_SEEN
			                                     : RELAIS_UNIT_NEW;
		} else {
			u->state = sqlite3_column_int(st, 2) ? RELAIS_UNIT_DONE : RELAIS_UNIT_NEW;
		}
		out->done += u->state == RELAIS_UNIT_DONE;
		if (u->unit_id == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
			goto out;
		}
		/* Continue from the unit touched last (ISO times sort as text). */
		if (updated != NULL && (latest == NULL || strcmp(updated, latest) > 0)) {
			free(latest);
			latest = strdup(updated);
			free(out->last_unit_id);
			out->last_unit_id = strdup(u->unit_id);
		}
	}
	if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
		goto out;
	}
	if (out->n_units == 0) {
		rc = relais_fail(ctx, RELAIS_ENOTFOUND, "no course %s is installed", course_id);
		goto out;
	}
	out->total = (unsigned)out->n_units;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT count(*) FROM completion WHERE profile_id = ? AND "
	                            "course_id = ?")) != 0) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "progress");
		goto out;
	}
	out->completed = sqlite3_column_int(st, 0) > 0;
out:
	free(latest);
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_course_progress_clear(out);
	}
	return rc;
}

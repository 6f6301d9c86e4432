/* progress.c: learner events: the progress row and its statement, in one transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "home_private.h"
#include "relais/error.h"
#include "relais/progress.h"
#include "progress_private.h"
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

int relais_progress_outbox_add(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                               const char *id, const char *verb, const char *object,
                               const char *json)
{
	char now[32];
	sqlite3_stmt *st = NULL;
	int rc;

	relais_now_iso(now);
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "INSERT INTO outbox(id, profile_id, verb, object, statement, "
	                            "created) VALUES (?, ?, ?, ?, ?, ?)")) == 0) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, profile_id);
		sqlite3_bind_text(st, 3, verb, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, object, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "outbox");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Makes the event's statement and puts it in the outbox (inside a transaction). */
static int record(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                  const struct relais_event *ev)
{
	char id[37];
	char *json = NULL;
	int rc;

	if ((rc = relais_statement_make(&json, id, ctx, ev)) != 0) {
		return rc;
	}
	rc = relais_progress_outbox_add(home, ctx, profile_id, id, ev->verb,
	                                ev->unit_id ? ev->unit_title : ev->course_title, json);
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

int relais_progress_attempt_get(struct relais_quiz_attempt *out, relais_home *home, relais_ctx *ctx,
                                int64_t profile_id, const char *course_id, const char *unit_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "SELECT (SELECT attempts FROM progress WHERE profile_id = ?1 AND course_id = "
	             "?2 AND unit_id = ?3), a.id, a.seed, a.started, a.deadline FROM (SELECT 1) "
	             "LEFT JOIN quiz_attempt a ON a.profile_id = ?1 AND a.course_id = ?2 AND "
	             "a.unit_id = ?3 AND a.submitted IS NULL")) != 0) {
		return rc;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->submitted = sqlite3_column_int(st, 0);
		out->id = sqlite3_column_int64(st, 1);
		out->seed = (uint64_t)sqlite3_column_int64(st, 2);
		out->started = sqlite3_column_int64(st, 3);
		out->deadline = sqlite3_column_int64(st, 4);
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "quiz attempt");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_progress_attempt_start(struct relais_quiz_attempt *out, relais_home *home,
                                  relais_ctx *ctx, int64_t profile_id, const char *course_id,
                                  const char *unit_id, unsigned max_attempts,
                                  unsigned time_limit_minutes)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc;

	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = relais_progress_attempt_get(out, home, ctx, profile_id, course_id, unit_id)) !=
	            0 ||
	    out->id != 0) {
		goto out;
	}
	if (max_attempts > 0 && out->submitted >= (int)max_attempts) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "no attempt left at this quiz: %d of %u used",
		                 out->submitted, max_attempts);
		goto out;
	}
	randombytes_buf(&out->seed, sizeof(out->seed));
	out->seed &= INT64_MAX; /* stored as SQLite's signed integer */
	out->started = relais_now_iso(now);
	out->deadline =
	        time_limit_minutes > 0 ? out->started + 60000LL * (long long)time_limit_minutes : 0;
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT INTO quiz_attempt(profile_id, course_id, unit_id, seed, "
	             "started, deadline) VALUES (?, ?, ?, ?, ?, ?)")) != 0) {
		goto out;
	}
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)out->seed);
	sqlite3_bind_int64(st, 5, out->started);
	if (out->deadline > 0) {
		sqlite3_bind_int64(st, 6, out->deadline);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "quiz attempt");
		goto out;
	}
	out->id = sqlite3_last_insert_rowid(relais_home_db(home));
	rc = relais_db_commit(home, ctx);
out:
	sqlite3_finalize(st);
	if (rc != 0) {
		relais_db_rollback(home);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

/* The responses of a scored attempt as a JSON object, question id -> response. */
static char *responses_json(const struct relais_quiz_result *result)
{
	cJSON *o = cJSON_CreateObject();
	char *json = NULL;
	size_t i;

	for (i = 0; o != NULL && i < result->n_questions; i++) {
		const struct relais_question_result *q = &result->questions[i];
		if (q->answered && q->response != NULL &&
		    cJSON_AddStringToObject(o, q->id, q->response) == NULL) {
			goto out;
		}
	}
	json = o ? cJSON_PrintUnformatted(o) : NULL;
out:
	cJSON_Delete(o);
	return json;
}

/*
 * Closes the attempt (or writes a closed one when none was open) with its
 * score, lateness and responses. Inside the caller's transaction.
 */
static int close_attempt(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                         const char *course_id, const char *unit_id,
                         const struct relais_quiz_attempt *a, int late,
                         const struct relais_quiz_result *result)
{
	sqlite3_stmt *st = NULL;
	char now[32], *json = responses_json(result);
	long long ms = relais_now_iso(now);
	int rc;

	if (json == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	rc = a->id != 0 ? relais_db_prepare(&st, home, ctx,
	                                    "UPDATE quiz_attempt SET submitted = ?1, late = ?2, "
	                                    "percent = ?3, responses = ?4 WHERE id = ?5")
	                : relais_db_prepare(&st, home, ctx,
	                                    "INSERT INTO quiz_attempt(submitted, late, percent, "
	                                    "responses, profile_id, course_id, unit_id, seed, "
	                                    "started) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)");
	if (rc == 0) {
		sqlite3_bind_text(st, 1, now, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, late);
		sqlite3_bind_int(st, 3, result->percent);
		sqlite3_bind_text(st, 4, json, -1, SQLITE_STATIC);
		if (a->id != 0) {
			sqlite3_bind_int64(st, 5, a->id);
		} else {
			sqlite3_bind_int64(st, 5, profile_id);
			sqlite3_bind_text(st, 6, course_id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 7, unit_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 8, ms);
		}
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "quiz attempt");
		}
	}
	sqlite3_finalize(st);
	free(json);
	return rc;
}

int relais_progress_quiz_submitted(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                   const char *course_id, const char *unit_id,
                                   const struct relais_quiz_result *result, double duration_s,
                                   int *out_passed, int *out_completed)
{
	struct relais_quiz_submission sub = {.duration_s = duration_s};
	struct relais_quiz_outcome o;
	int rc;

	rc = relais_progress_quiz_attempt_submitted(&o, home, ctx, profile_id, course_id, unit_id,
	                                            &sub, result);
	if (rc == 0 && out_passed != NULL) {
		*out_passed = o.passed;
	}
	if (rc == 0 && out_completed != NULL) {
		*out_completed = o.completed;
	}
	return rc;
}

int relais_progress_quiz_attempt_submitted(struct relais_quiz_outcome *out, relais_home *home,
                                           relais_ctx *ctx, int64_t profile_id,
                                           const char *course_id, const char *unit_id,
                                           const struct relais_quiz_submission *sub,
                                           const struct relais_quiz_result *result)
{
	struct relais_quiz_attempt a;
	struct relais_event ev;
	struct scene s;
	sqlite3_stmt *st = NULL;
	char now[32];
	long long now_ms;
	size_t i;
	int rc, passed, late = 0, completed = 0;

	memset(out, 0, sizeof(*out));
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
	if ((rc = relais_progress_attempt_get(&a, home, ctx, profile_id, course_id, unit_id)) !=
	    0) {
		goto out;
	}
	now_ms = relais_now_iso(now);
	if (sub->attempt_id != 0 && sub->attempt_id != a.id) {
		rc = relais_fail(ctx, RELAIS_EEXIST,
		                 "this attempt was submitted already; its result is recorded");
		goto out;
	}
	if (a.id == 0 && sub->max_attempts > 0 && a.submitted >= (int)sub->max_attempts) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "no attempt left at this quiz: %d of %u used",
		                 a.submitted, sub->max_attempts);
		goto out;
	}
	if (a.id == 0 && sub->time_limit_minutes > 0) {
		rc = relais_fail(ctx, RELAIS_EINVAL,
		                 "this quiz has a time limit: start an attempt first");
		goto out;
	}
	late = a.deadline > 0 && now_ms > a.deadline + RELAIS_QUIZ_LATE_GRACE_MS;
	passed = late ? 0 : result->max > 0 ? result->percent >= s.pass_percent : 1;
	/* One statement per scored question and per answered essay, then the quiz's own. */
	for (i = 0; i < result->n_questions; i++) {
		const struct relais_question_result *q = &result->questions[i];
		int essay = !q->scored && q->answered;
		if (!q->scored && !essay) {
			continue;
		}
		base_event(&ev, &s, course_id, unit_id, "answered");
		ev.question_id = q->id;
		ev.unit_title = q->id;
		ev.has_result = 1;
		ev.response = q->response ? q->response : "";
		if (essay) {
			ev.interaction = "long-fill-in"; /* only essays are answered unscored */
		} else {
			ev.scaled = q->score;
			ev.raw = q->score;
			ev.max = 1;
			ev.success = q->score >= 1.0;
		}
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
	ev.duration_s = sub->duration_s;
	ev.late = late;
	if ((rc = record(home, ctx, profile_id, &ev)) != 0 ||
	    (rc = close_attempt(home, ctx, profile_id, course_id, unit_id, &a, late, result)) !=
	            0) {
		goto out;
	}
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
	out->passed = passed;
	out->completed = completed;
	out->late = late;
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
			/* A package started but not done has attempts (lessons never do). */
			u->state = sqlite3_column_int(st, 2) ? RELAIS_UNIT_DONE
			           : u->attempts > 0         ? RELAIS_UNIT_SEEN
			                                     : RELAIS_UNIT_NEW;
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

/* Binds ?1 ?2 ?3 to a learner's unit. */
static void bind_unit(sqlite3_stmt *st, int64_t profile_id, const char *course_id,
                      const char *unit_id)
{
	sqlite3_bind_int64(st, 1, profile_id);
	sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, unit_id, -1, SQLITE_STATIC);
}

/* The statuses and score kept for a SCO before this commit. */
struct sco_before {
	int completion, success, has_score;
	double score;
};

static int sco_before(struct sco_before *b, relais_home *home, relais_ctx *ctx, int64_t profile_id,
                      const char *course_id, const char *unit_id, const char *item_id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	b->completion = b->success = -1;
	b->has_score = 0;
	b->score = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT completion, success, score FROM package_state WHERE "
	                            "profile_id = ? AND course_id = ? AND unit_id = ? AND "
	                            "item_id = ?")) != 0) {
		return rc;
	}
	bind_unit(st, profile_id, course_id, unit_id);
	sqlite3_bind_text(st, 4, item_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		b->completion = sqlite3_column_int(st, 0);
		b->success = sqlite3_column_int(st, 1);
		b->has_score = sqlite3_column_type(st, 2) != SQLITE_NULL;
		b->score = sqlite3_column_double(st, 2);
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "package");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_progress_package_mark(int *out_done, relais_home *home, relais_ctx *ctx,
                                 int64_t profile_id, const char *course_id, const char *unit_id,
                                 const char *item_id, size_t n_items,
                                 const struct relais_package_mark *m)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc, done = 0, percent = -1;

	*out_done = 0;
	relais_now_iso(now);
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT INTO package_state(profile_id, course_id, unit_id, item_id, cmi, "
	             "completion, success, score, done, updated) VALUES (?1, ?2, ?3, ?4, "
	             "coalesce(?5, '{}'), ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO UPDATE SET cmi = "
	             "coalesce(?5, cmi), completion = ?6, "
	             "success = ?7, score = coalesce(?8, score), done = ?9, updated = ?10")) != 0) {
		return rc;
	}
	bind_unit(st, profile_id, course_id, unit_id);
	sqlite3_bind_text(st, 4, item_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->cmi, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, m->completion);
	sqlite3_bind_int(st, 7, m->success);
	if (m->has_score) {
		sqlite3_bind_double(st, 8, m->scaled);
	}
	sqlite3_bind_int(st, 9,
	                 m->done >= 0 ? m->done
	                              : (m->completion == 1 || m->success == 1) && m->success != 0);
	sqlite3_bind_text(st, 10, now, -1, SQLITE_STATIC);
	if ((rc = relais_db_run(st, home, ctx, "package")) != 0) {
		return rc;
	}
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT count(*) FROM package_state WHERE profile_id = ? AND "
	                            "course_id = ? AND unit_id = ? AND done")) != 0) {
		return rc;
	}
	bind_unit(st, profile_id, course_id, unit_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		done = (size_t)sqlite3_column_int64(st, 0) >= n_items;
	} else {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "package");
	}
	sqlite3_finalize(st);
	if (rc != 0) {
		return rc;
	}
	if (m->has_score) {
		double p = m->scaled * 100;
		percent = p < 0 ? 0 : p > 100 ? 100 : (int)lround(p);
	}
	/* Started: attempts 1 (the unit shows as seen); done: viewed. */
	if ((rc = relais_db_prepare(
	             &st, home, ctx,
	             "INSERT INTO progress(profile_id, course_id, unit_id, viewed, attempts, "
	             "best_percent, passed, updated) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?4, ?6) ON "
	             "CONFLICT DO UPDATE SET viewed = max(viewed, ?4), attempts = max(attempts, "
	             "1), "
	             "best_percent = max(best_percent, ?5), passed = max(passed, ?4), updated = "
	             "?6")) != 0) {
		return rc;
	}
	bind_unit(st, profile_id, course_id, unit_id);
	sqlite3_bind_int(st, 4, done);
	sqlite3_bind_int(st, 5, percent);
	sqlite3_bind_text(st, 6, now, -1, SQLITE_STATIC);
	if ((rc = relais_db_run(st, home, ctx, "progress")) != 0) {
		return rc;
	}
	*out_done = done;
	return 0;
}

int relais_progress_package_commit(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                   const char *course_id, const char *unit_id, const char *item_id,
                                   size_t n_scos, const struct relais_scorm_commit *c,
                                   int terminated, int *out_done, int *out_course_completed)
{
	struct relais_event ev;
	struct sco_before b;
	struct scene s;
	int rc, completion, success, done = 0, completed = 0;

	if ((rc = relais_db_begin(home, ctx)) != 0) {
		return rc;
	}
	if ((rc = load_scene(&s, home, ctx, profile_id, course_id, unit_id)) != 0) {
		relais_db_rollback(home);
		return rc;
	}
	if ((rc = sco_before(&b, home, ctx, profile_id, course_id, unit_id, item_id)) != 0) {
		goto out;
	}
	/* A status the SCO leaves unknown keeps what it said before. */
	completion = c->completion >= 0 ? c->completion : b.completion;
	success = c->success >= 0 ? c->success : b.success;
	{
		struct relais_package_mark m = {completion,   success,   -1,
		                                c->has_score, c->scaled, c->cmi};
		if ((rc = relais_progress_package_mark(&done, home, ctx, profile_id, course_id,
		                                       unit_id, item_id, n_scos, &m)) != 0) {
			goto out;
		}
	}
	base_event(&ev, &s, course_id, unit_id, "completed");
	ev.unit_kind = "package";
	if (c->has_score) {
		ev.scaled = c->scaled;
		ev.raw = c->raw;
		ev.min = c->min;
		ev.max = c->max > c->min ? c->max : 0;
	}
	if (completion == 1 && b.completion != 1) {
		ev.has_result = 1;
		ev.completion = 1;
		if ((rc = record(home, ctx, profile_id, &ev)) != 0) {
			goto out;
		}
	}
	if (success >= 0 &&
	    (success != b.success || (c->has_score && (!b.has_score || c->scaled != b.score)))) {
		ev.verb = success ? "passed" : "failed";
		ev.has_result = 1;
		ev.completion = -1;
		ev.success = success;
		if ((rc = record(home, ctx, profile_id, &ev)) != 0) {
			goto out;
		}
	}
	if (terminated) {
		base_event(&ev, &s, course_id, unit_id, c->suspended ? "suspended" : "terminated");
		ev.unit_kind = "package";
		ev.has_result = c->session_s >= 0;
		ev.duration_s = c->session_s;
		if ((rc = record(home, ctx, profile_id, &ev)) != 0) {
			goto out;
		}
	}
	if (done && (rc = maybe_complete(&completed, home, ctx, profile_id, course_id, &s)) != 0) {
		goto out;
	}
	rc = relais_db_commit(home, ctx);
out:
	if (rc != 0) {
		relais_db_rollback(home);
	} else {
		if (out_done != NULL) {
			*out_done = done;
		}
		if (out_course_completed != NULL) {
			*out_course_completed = completed;
		}
	}
	scene_clear(&s);
	return rc;
}

int relais_progress_package_saved(char **out_json, int *out_done, relais_home *home,
                                  relais_ctx *ctx, int64_t profile_id, const char *course_id,
                                  const char *unit_id, const char *item_id)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	*out_json = NULL;
	*out_done = 0;
	if ((rc = relais_db_prepare(&st, home, ctx,
	                            "SELECT cmi, done FROM package_state WHERE profile_id = ? AND "
	                            "course_id = ? AND unit_id = ? AND item_id = ?")) != 0) {
		return rc;
	}
	bind_unit(st, profile_id, course_id, unit_id);
	sqlite3_bind_text(st, 4, item_id, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(st)) == SQLITE_ROW) {
		*out_done = sqlite3_column_int(st, 1);
		if ((*out_json = relais_db_text(st, 0)) == NULL) {
			rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	} else if (step != SQLITE_DONE) {
		rc = relais_db_fail(ctx, relais_home_db(home), RELAIS_EIO, "package");
	}
	sqlite3_finalize(st);
	return rc;
}

int relais_progress_course_check(int *out_completed, relais_home *home, relais_ctx *ctx,
                                 int64_t profile_id, const char *course_id)
{
	struct scene s;
	int rc;

	*out_completed = 0;
	if ((rc = load_scene(&s, home, ctx, profile_id, course_id, NULL)) != 0) {
		return rc;
	}
	rc = maybe_complete(out_completed, home, ctx, profile_id, course_id, &s);
	scene_clear(&s);
	return rc;
}

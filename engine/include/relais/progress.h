/* progress.h: what each learner did, recorded with its learning statement. */
#ifndef RELAIS_PROGRESS_H
#define RELAIS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"
#include "relais/quiz.h"
#include "relais/scorm.h"

/*
 * Every event is written with its xAPI statement (docs/statements.md) into
 * the outbox in the same transaction as the progress row it changes, with
 * full sync: once one of these returns 0, the event survives a crash or a
 * power cut, and the statement will be sent exactly as it was made.
 */

/* A lesson was shown to the learner. */
int relais_progress_lesson_viewed(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                  const char *course_id, const char *unit_id);

/*
 * A quiz was submitted and scored. Records one "answered" statement per
 * scored question, then "passed" or "failed" for the quiz with its score and
 * duration (seconds since the quiz was opened), and "completed" for the
 * course the first time every lesson is viewed and every quiz passed.
 * Sets *out_passed and *out_completed when not NULL.
 */
int relais_progress_quiz_submitted(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                   const char *course_id, const char *unit_id,
                                   const struct relais_quiz_result *result, double duration_s,
                                   int *out_passed, int *out_completed);

/*
 * Quiz attempts (docs/quiz-format.md, section 3): an attempt starts when
 * the learner first opens a quiz without a time limit, or presses Start on
 * one with a limit, and stays open, with the seed of the order its choices
 * are shown in and its deadline, until it is submitted: reloading the page
 * or closing the browser shows the same attempt.
 */
struct relais_quiz_attempt {
	int64_t id;         /* 0: no attempt open */
	uint64_t seed;      /* draws the order of its choices (relais_quiz_shuffle) */
	long long started;  /* ms since the epoch */
	long long deadline; /* ms since the epoch; 0: no time limit */
	int submitted;      /* attempts the learner submitted at this quiz, all told */
};

/* A submission after deadline + this is late (docs/quiz-format.md, section 3). */
#define RELAIS_QUIZ_LATE_GRACE_MS 30000

/* The learner's open attempt at a quiz (out->id 0 when none), and the count submitted. */
int relais_progress_attempt_get(struct relais_quiz_attempt *out, relais_home *home, relais_ctx *ctx,
                                int64_t profile_id, const char *course_id, const char *unit_id);

/*
 * Starts an attempt (fresh random seed; deadline time_limit_minutes from now
 * when not 0), or gives the one already open. Returns 0, RELAIS_ELIMIT when
 * max_attempts (0: no limit) have been submitted already, or the database's
 * status.
 */
int relais_progress_attempt_start(struct relais_quiz_attempt *out, relais_home *home,
                                  relais_ctx *ctx, int64_t profile_id, const char *course_id,
                                  const char *unit_id, unsigned max_attempts,
                                  unsigned time_limit_minutes);

/* What the reader knows of a submission besides its answers. */
struct relais_quiz_submission {
	int64_t attempt_id;          /* the attempt the form was for; 0: the open one, if any */
	unsigned max_attempts;       /* the quiz's, 0: no limit */
	unsigned time_limit_minutes; /* the quiz's, 0: none */
	double duration_s;           /* < 0: unknown */
};

struct relais_quiz_outcome {
	int passed, completed;
	int late; /* submitted past the deadline and its grace: recorded, never passed */
};

/*
 * As relais_progress_quiz_submitted(), for one attempt: closes it with its
 * responses, and also records an "answered" statement, without score, for
 * each answered essay. Refuses, recording nothing: RELAIS_EEXIST when the
 * attempt named was submitted already (a form sent twice); RELAIS_ELIMIT
 * when no attempt is open and max_attempts were used; RELAIS_EINVAL when no
 * attempt is open at a quiz with a time limit. A late attempt is recorded
 * as failed, with its score and the late extension (docs/statements.md).
 */
int relais_progress_quiz_attempt_submitted(struct relais_quiz_outcome *out, relais_home *home,
                                           relais_ctx *ctx, int64_t profile_id,
                                           const char *course_id, const char *unit_id,
                                           const struct relais_quiz_submission *sub,
                                           const struct relais_quiz_result *result);

/*
 * A SCORM SCO's commit (relais/scorm.h) for item item_id of package unit
 * unit_id, terminated when it came with Terminate / LMSFinish. Keeps its
 * data model to restore at the next launch and, in the same transaction
 * with full sync, updates the unit's progress and records the statements
 * of what changed (docs/statements.md, "Packages"): "completed" the first
 * time the SCO is completed, "passed" or "failed" with the score when its
 * success or score changes, and at the end "suspended" (exit "suspend") or
 * "terminated". The unit is done once n_scos of its SCOs are completed or
 * passed and none of them failed; *out_done says so, *out_course_completed
 * when that completed the course (both may be NULL).
 */
int relais_progress_package_commit(relais_home *home, relais_ctx *ctx, int64_t profile_id,
                                   const char *course_id, const char *unit_id, const char *item_id,
                                   size_t n_scos, const struct relais_scorm_commit *c,
                                   int terminated, int *out_done, int *out_course_completed);

/*
 * The data model last committed for an item ({"cmi": ...}, malloc'd into
 * *out_json), and whether the item counts done; *out_json is NULL when the
 * learner never launched it.
 */
int relais_progress_package_saved(char **out_json, int *out_done, relais_home *home,
                                  relais_ctx *ctx, int64_t profile_id, const char *course_id,
                                  const char *unit_id, const char *item_id);

enum relais_unit_state {
	RELAIS_UNIT_NEW = 0,
	RELAIS_UNIT_SEEN = 1, /* quiz tried but not passed, package started but not done */
	RELAIS_UNIT_DONE = 2, /* lesson viewed, or quiz passed */
};

struct relais_unit_progress {
	char *unit_id;
	int state;
	int attempts;     /* quizzes */
	int best_percent; /* quizzes, -1 before any attempt */
};

struct relais_course_progress {
	char *course_id;
	unsigned done, total;               /* units */
	int completed;                      /* course completed */
	char *last_unit_id;                 /* where to continue, NULL when nothing done */
	struct relais_unit_progress *units; /* in course order */
	size_t n_units;
};

/* One learner's progress in one installed course. */
int relais_progress_get(struct relais_course_progress *out, relais_home *home, relais_ctx *ctx,
                        int64_t profile_id, const char *course_id);
void relais_course_progress_clear(struct relais_course_progress *p);

#endif

/* progress.h: what each learner did, recorded with its learning statement. */
#ifndef RELAIS_PROGRESS_H
#define RELAIS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "relais/home.h"
#include "relais/quiz.h"

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

enum relais_unit_state {
	RELAIS_UNIT_NEW = 0,
	RELAIS_UNIT_SEEN = 1, /* lesson viewed, or quiz tried but not passed */
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

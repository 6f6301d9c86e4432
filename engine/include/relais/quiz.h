/* quiz.h: show and score a quiz from its quiz JSON (docs/quiz-format.md). */
#ifndef RELAIS_QUIZ_H
#define RELAIS_QUIZ_H

#include <stddef.h>

#include "relais/context.h"

/* Limits on one quiz; past them parsing fails with RELAIS_ELIMIT. */
/* The "format" member of every quiz file the packer writes. */
#define RELAIS_QUIZ_FORMAT "relais-quiz"
#define RELAIS_QUIZ_MAX_BYTES (2 * 1024 * 1024)
#define RELAIS_QUIZ_MAX_QUESTIONS 500
#define RELAIS_QUIZ_MAX_ANSWERS 100 /* answers, or matching pairs, per question */
/* A submitted value longer than this (in bytes) is ignored, as if absent. */
#define RELAIS_QUIZ_MAX_VALUE 1000
/* Rendered HTML and result strings larger than this fail with RELAIS_ELIMIT. */
#define RELAIS_QUIZ_MAX_HTML (4 * 1024 * 1024)

typedef struct relais_quiz relais_quiz;

/* One name=value pair of a submitted form; a name may repeat (checkboxes). */
struct relais_form_field {
	const char *name;
	const char *value;
};

struct relais_question_result {
	const char *id;      /* borrowed from the quiz */
	int scored;          /* 0 for essays and descriptions */
	double score;        /* 0..1, docs/quiz-format.md 2.2 */
	int answered;        /* the learner gave some response */
	char *response;      /* the response as text, for the learning record;
	                        "" when unanswered (see relais_quiz_score) */
	char *feedback_html; /* answer feedback then general feedback */
};

struct relais_quiz_result {
	double score;  /* sum of question scores */
	unsigned max;  /* number of scored questions */
	double scaled; /* score / max, 0..1 (0 when max is 0) */
	int percent;   /* scaled as a whole percentage, rounded down */
	struct relais_question_result *questions;
	size_t n_questions;
};

/*
 * Parses quiz JSON (len bytes) and checks it against docs/quiz-format.md.
 * Returns 0, RELAIS_EFORMAT (message names the question and field),
 * RELAIS_ELIMIT (past the limits above), RELAIS_ENOMEM.
 */
int relais_quiz_parse(relais_quiz **out, relais_ctx *ctx, const char *json, size_t len);

void relais_quiz_free(relais_quiz *quiz);

size_t relais_quiz_count(const relais_quiz *quiz);

/*
 * Writes the quiz as an HTML form body (no <form> element: the caller wraps
 * it) that works without JavaScript: one <fieldset> per question with a
 * <legend>, radio buttons, checkboxes, text inputs and <select>s, each with a
 * <label>. Field names are "q-<id>" ("q-<id>.<row>" for matching rows).
 * Text from the quiz's plain-text fields is escaped. lang picks the UI words
 * ("fr" or "en"; "fr-*" is French, anything else English). *out is malloc'd;
 * returns 0, RELAIS_ELIMIT (past RELAIS_QUIZ_MAX_HTML) or RELAIS_ENOMEM.
 *
 * Values: the answer's 0-based index in `answers` for multiple choice,
 * "true" or "false" for true/false, the typed text for short answers,
 * numbers and essays, and the 0-based index in `choices` for a matching row
 * ("" for none); <row> counts rows (pairs that are not distractors) from 0.
 */
int relais_quiz_render_form(char **out, relais_ctx *ctx, const relais_quiz *quiz, const char *lang);

/*
 * Scores submitted fields. Unknown fields are ignored; a field naming an
 * answer that does not exist counts as no answer. The result's strings are
 * malloc'd; free with relais_quiz_result_clear(). Returns 0 or
 * RELAIS_ENOMEM (RELAIS_ELIMIT past RELAIS_QUIZ_MAX_HTML, which a quiz
 * within its limits does not reach).
 *
 * A value longer than RELAIS_QUIZ_MAX_VALUE or not valid UTF-8 is ignored;
 * where one value is expected, the first usable one counts. `response`
 * follows xAPI's response patterns with indices as ids: "0[,]2" (chosen
 * answers), "true"/"false", the text trimmed of ASCII white space, and
 * "row[.]choice" pairs joined by "[,]" for matching. General feedback is
 * given only for an answered question.
 */
int relais_quiz_score(struct relais_quiz_result *out, relais_ctx *ctx, const relais_quiz *quiz,
                      const struct relais_form_field *fields, size_t n_fields);

/*
 * Writes the scored quiz as HTML: each question with the learner's response,
 * whether it was right, and its feedback. lang as above. Returns 0,
 * RELAIS_EINVAL (the result is not one of this quiz), RELAIS_ELIMIT,
 * RELAIS_ENOMEM.
 */
int relais_quiz_render_result(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                              const struct relais_quiz_result *result, const char *lang);

void relais_quiz_result_clear(struct relais_quiz_result *result);

#endif

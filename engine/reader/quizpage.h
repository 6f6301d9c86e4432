/* quizpage.h: a quiz as the reader shows it, as HTML (private to the reader). */
#ifndef RELAIS_READER_QUIZPAGE_H
#define RELAIS_READER_QUIZPAGE_H

#include "relais/context.h"
#include "relais/quiz.h"

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
int relais_reader_quiz_form(char **out, relais_ctx *ctx, const relais_quiz *quiz, const char *lang);

/*
 * Writes the scored quiz as HTML: each question with the learner's response,
 * whether it was right, and its feedback. lang as above. Returns 0,
 * RELAIS_EINVAL (the result is not one of this quiz), RELAIS_ELIMIT,
 * RELAIS_ENOMEM.
 */
int relais_reader_quiz_result(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                              const struct relais_quiz_result *result, const char *lang);

#endif

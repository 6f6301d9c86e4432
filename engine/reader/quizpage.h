/* quizpage.h: a quiz as the reader shows it, as HTML (private to the reader). */
#ifndef RELAIS_READER_QUIZPAGE_H
#define RELAIS_READER_QUIZPAGE_H

#include <stdint.h>

#include "relais/context.h"
#include "relais/progress.h"
#include "relais/quiz.h"
#include "relais/strbuf.h"

/*
 * Writes the quiz as an HTML form body (no <form> element: the caller wraps
 * it) that works without JavaScript: one <fieldset> per question with a
 * <legend>, radio buttons, checkboxes, text inputs and <select>s, each with a
 * <label>. Field names are "q-<id>" ("q-<id>.<row>" for matching rows).
 * Text from the quiz's plain-text fields is escaped. lang picks the UI words
 * (a language code of po/reader, "pt-BR" as "pt"; anything else English). *out is malloc'd;
 * returns 0, RELAIS_ELIMIT (past RELAIS_QUIZ_MAX_HTML) or RELAIS_ENOMEM.
 *
 * Values: the answer's 0-based index in `answers` for multiple choice,
 * "true" or "false" for true/false, the typed text for short answers,
 * numbers and essays, and the 0-based index in `choices` for a matching row
 * ("" for none); <row> counts rows (pairs that are not distractors) from 0.
 *
 * seed NULL shows choices, answers and matching rows in the quiz's order;
 * otherwise in the order relais_quiz_shuffle() draws from *seed (the
 * attempt's), values unchanged. True/false keeps True then False.
 */
int relais_reader_quiz_form(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                            const uint64_t *seed, const char *lang);

/*
 * Writes the scored quiz as HTML: each question with the learner's response,
 * whether it was right, and its feedback. lang as above. Returns 0,
 * RELAIS_EINVAL (the result is not one of this quiz), RELAIS_ELIMIT,
 * RELAIS_ENOMEM.
 */
int relais_reader_quiz_result(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                              const struct relais_quiz_result *result, const char *lang);

/*
 * Appends what a learner must know of an open attempt: "Attempt 2 of 3"
 * when the quiz has max_attempts (0: none), and with a deadline, its time
 * in the laptop's zone (<time>) and an empty countdown that app.js fills
 * and shows (without JavaScript the time stands alone).
 */
void relais_reader_quiz_limits(struct relais_strbuf *b, const struct relais_quiz_attempt *a,
                               unsigned max_attempts, const char *lang);

/* Appends why no attempt can be started: all max_attempts were used. */
void relais_reader_quiz_no_attempt(struct relais_strbuf *b, unsigned max_attempts,
                                   const char *lang);

/*
 * Appends the inside of a timed quiz's start form (the caller writes the
 * <form> and its token): the limit, the attempt count, and a Start button
 * posting start=1.
 */
void relais_reader_quiz_start(struct relais_strbuf *b, const struct relais_quiz_attempt *a,
                              unsigned max_attempts, unsigned minutes, const char *lang);

/* Appends the notice of a late submission. */
void relais_reader_quiz_late(struct relais_strbuf *b, const char *lang);

#endif

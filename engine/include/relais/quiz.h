/* quiz.h: show and score a quiz from its quiz JSON (docs/quiz-format.md). */
#ifndef RELAIS_QUIZ_H
#define RELAIS_QUIZ_H

#include <stddef.h>
#include <stdint.h>

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

/*
 * A parsed quiz, read-only, for whoever shows it (the reader's quiz page).
 * Strings are borrowed from the quiz until relais_quiz_free(); HTML fields
 * are the bundle's checked HTML, the others plain text to escape.
 */
enum relais_quiz_type {
	RELAIS_QUIZ_MULTICHOICE,
	RELAIS_QUIZ_TRUEFALSE,
	RELAIS_QUIZ_SHORTANSWER,
	RELAIS_QUIZ_NUMERICAL,
	RELAIS_QUIZ_MATCHING,
	RELAIS_QUIZ_ESSAY,
	RELAIS_QUIZ_DESCRIPTION,
};

struct relais_quiz_answer {
	const char *text_html;     /* multichoice */
	const char *text;          /* shortanswer, as written */
	char *norm;                /* shortanswer: norm(text), owned */
	double fraction;           /* -1..1 */
	double min, max;           /* numerical */
	const char *feedback_html; /* "" if none */
};

struct relais_quiz_pair {
	const char *question_html; /* "" for a distractor */
	const char *answer;
	size_t choice; /* index of answer in choices */
};

/* Strings are borrowed from the quiz's cJSON document. */
struct relais_quiz_question {
	const char *id;
	enum relais_quiz_type type;
	const char *title;    /* NULL when null */
	const char *category; /* NULL when null */
	const char *text_html;
	int missing_word;
	const char *general_feedback_html;
	int single;    /* multichoice */
	int tf_answer; /* truefalse */
	const char *feedback_true_html, *feedback_false_html;
	const char *other_feedback_html; /* numerical */
	struct relais_quiz_answer *answers;
	size_t n_answers;
	struct relais_quiz_pair *pairs; /* matching */
	size_t n_pairs;
	size_t n_rows;
	const char **choices;
	size_t n_choices;
};

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

/* The type's name in quiz JSON ("multichoice"...). */
const char *relais_quiz_type_name(enum relais_quiz_type type);

/* Question i (0-based), or NULL past the end; borrowed until relais_quiz_free(). */
const struct relais_quiz_question *relais_quiz_question_at(const relais_quiz *quiz, size_t i);

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

void relais_quiz_result_clear(struct relais_quiz_result *result);

/*
 * Reads the decimal index a quiz form's field name or value carries (no
 * sign, no leading zero), below n: how answers and matching rows are
 * named in the forms (docs/quiz-format.md). Returns 0 and sets *out, or -1.
 */
int relais_quiz_read_index(size_t *out, const char *s, size_t len, size_t n);

/*
 * The order one attempt shows n items of a question in (docs/quiz-format.md
 * 3): fills perm[0..n) with a permutation of 0..n-1, perm[k] being the item
 * shown k-th. The same seed and question id give the same order on every
 * machine; another seed almost always another order. The form's values stay
 * the items' own indices, so scoring never depends on this order.
 */
void relais_quiz_shuffle(size_t *perm, size_t n, uint64_t seed, const char *question_id);

#endif

/* quiz.c: read quiz JSON and score a submission (the model; the reader shows it). */
#include <locale.h>
#include <math.h> /* isfinite, HUGE_VAL: macros, no libm */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "relais/error.h"
#include "relais/quiz.h"
#include "relais/strbuf.h"

#define ID_MAX 64
#define WHERE_MAX 128

static const char *const type_names[] = {
        "multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay", "description",
};

struct relais_quiz {
	cJSON *doc; /* owns every borrowed string */
	struct relais_quiz_question *questions;
	size_t n_questions;
};

/* ---- bounded output (engine/strbuf.h) ---- */

static void put_uint(struct relais_strbuf *b, size_t n)
{
	char tmp[32];

	(void)snprintf(tmp, sizeof(tmp), "%zu", n);
	relais_strbuf_add(b, tmp);
}

/* ---- text helpers ---- */

/* The white space of docs/quiz-format.md 2.2: TAB, LF, VT, FF, CR, SPACE. */
static int is_ws(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Finds s without the white space at either end: *start and *n. */
static void trim(const char *s, size_t *start, size_t *n)
{
	size_t a = 0, z = strlen(s);

	while (a < z && is_ws(s[a])) {
		a++;
	}
	while (z > a && is_ws(s[z - 1])) {
		z--;
	}
	*start = a;
	*n = z - a;
}

/*
 * norm() of docs/quiz-format.md 2.2 over n bytes of valid UTF-8: NFC, white
 * space trimmed and each inner run made one space, then the default full
 * lower-case mapping (no language). Sets a malloc'd string; returns 0 or
 * RELAIS_ENOMEM.
 */
static int normalise(char **out, const char *s, size_t n)
{
	uint8_t *nfc = NULL, *low = NULL;
	size_t nfc_n = 0, low_n = 0, i, j = 0;
	int gap = 0, rc = RELAIS_ENOMEM;

	*out = NULL;
	if (n > 0) {
		nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, NULL, &nfc_n);
	}
	if (nfc != NULL) {
		/* A typographic apostrophe (U+2019, U+02BC), as phones and word
		 * processors type it, counts as the plain one. Both forms are
		 * longer than "'", so this shrinks in place. */
		size_t r = 0, w = 0;
		while (r < nfc_n) {
			if (r + 2 < nfc_n && nfc[r] == 0xE2 && nfc[r + 1] == 0x80 &&
			    nfc[r + 2] == 0x99) {
				nfc[w++] = '\'';
				r += 3;
			} else if (r + 1 < nfc_n && nfc[r] == 0xCA && nfc[r + 1] == 0xBC) {
				nfc[w++] = '\'';
				r += 2;
			} else {
				nfc[w++] = nfc[r++];
			}
		}
		nfc_n = w;
	}
	if (n > 0) {
		if (nfc == NULL) {
			goto out; /* the input is valid UTF-8, so only memory is left */
		}
	}
	for (i = 0; i < nfc_n; i++) {
		if (is_ws((char)nfc[i])) {
			gap = j > 0;
			continue;
		}
		if (gap) {
			nfc[j++] = ' ';
			gap = 0;
		}
		nfc[j++] = nfc[i];
	}
	if (j > 0) {
		low = u8_tolower(nfc, j, NULL, NULL, NULL, &low_n);
		if (low == NULL) {
			goto out;
		}
	}
	*out = malloc(low_n + 1);
	if (*out == NULL) {
		goto out;
	}
	if (low_n > 0) {
		memcpy(*out, low, low_n);
	}
	(*out)[low_n] = '\0';
	rc = 0;
out:
	free(low);
	free(nfc);
	return rc;
}

int relais_quiz_read_index(size_t *out, const char *s, size_t len, size_t n)
{
	size_t i, v = 0;

	if (len == 0 || len > 4 || (s[0] == '0' && len > 1)) {
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		v = v * 10 + (size_t)(s[i] - '0');
	}
	if (v >= n) {
		return -1;
	}
	*out = v;
	return 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Reads a learner's number (docs/quiz-format.md 2.2): s, already trimmed,
 * must match ^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][+-]?[0-9]+)?$; a
 * comma is a decimal point. Returns 0 and the nearest double, or -1.
 */
static int read_number(double *out, const char *s, size_t n, locale_t c_locale)
{
	char tmp[RELAIS_QUIZ_MAX_VALUE + 1], *end = NULL;
	size_t i = 0, whole = 0, frac = 0, exp = 0;

	if (n == 0 || n > RELAIS_QUIZ_MAX_VALUE) {
		return -1;
	}
	/* Digit groups may be separated as people write them ("1 150", with a
	 * space, a no-break space or a narrow no-break space): drop those. */
	for (size_t k = 0, o = 0;;) {
		size_t sep;
		if (k >= n) {
			tmp[o] = '\0';
			n = o;
			break;
		}
		sep = s[k] == ' ' ? 1
		      : k + 1 < n && (unsigned char)s[k] == 0xC2 && (unsigned char)s[k + 1] == 0xA0
		              ? 2
		      : k + 2 < n && (unsigned char)s[k] == 0xE2 &&
		                      (unsigned char)s[k + 1] == 0x80 &&
		                      (unsigned char)s[k + 2] == 0xAF
		              ? 3
		              : 0;
		if (sep > 0 && o > 0 && is_digit(tmp[o - 1]) && k + sep < n &&
		    is_digit(s[k + sep])) {
			k += sep;
			continue;
		}
		tmp[o++] = s[k++];
	}
	if (tmp[i] == '+' || tmp[i] == '-') {
		i++;
	}
	for (; is_digit(tmp[i]); i++) {
		whole++;
	}
	if (tmp[i] == '.' || tmp[i] == ',') {
		tmp[i++] = '.';
		for (; is_digit(tmp[i]); i++) {
			frac++;
		}
	}
	if (whole == 0 && frac == 0) {
		return -1;
	}
	if (tmp[i] == 'e' || tmp[i] == 'E') {
		i++;
		if (tmp[i] == '+' || tmp[i] == '-') {
			i++;
		}
		for (; is_digit(tmp[i]); i++) {
			exp++;
		}
		if (exp == 0) {
			return -1;
		}
	}
	if (i != n) {
		return -1;
	}
	*out = strtod_l(tmp, &end, c_locale);
	return end == tmp + n ? 0 : -1;
}

/*
 * round4 of docs/quiz-format.md 2.2 then clamped to 0..1, in ten-thousandths.
 * Halves go away from zero; the 1e-7 allowance is for decimals such as
 * 0.12345 that binary stores a hair below the half.
 */
static long score_units(double raw)
{
	double x = (raw < 0 ? -raw : raw) * 10000.0;
	long r;

	if (!(x < 1e7)) {
		x = 1e7; /* keeps the conversion defined for a 32-bit long; clamped below */
	}
	r = (long)(x + 0.5 + 1e-7); /* truncation is floor: the value is positive */
	if (raw < 0) {
		r = -r;
	}
	return r < 0 ? 0 : r > 10000 ? 10000 : r;
}

/* ε of docs/quiz-format.md 2.2 over 1e-9: max(1, |a|, |b|). */
static double largest_abs(double a, double b)
{
	double m = 1;

	a = a < 0 ? -a : a;
	b = b < 0 ? -b : b;
	if (a > m) {
		m = a;
	}
	return b > m ? b : m;
}

/* ---- parsing ---- */

enum {
	OPT_NONEMPTY = 1, /* "" is refused */
	OPT_NULLABLE = 2, /* null gives NULL */
};

/* Borrows a string member as valid UTF-8. */
static int get_string(relais_ctx *ctx, const char **out, const cJSON *obj, const char *key,
                      const char *where, int opts)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if ((opts & OPT_NULLABLE) && cJSON_IsNull(v)) {
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s must be a string%s", where, key,
		                   (opts & OPT_NULLABLE) ? " or null" : "");
	}
	if ((opts & OPT_NONEMPTY) && v->valuestring[0] == '\0') {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s is empty", where, key);
	}
	if (u8_check((const uint8_t *)v->valuestring, strlen(v->valuestring)) != NULL) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s is not valid utf-8", where,
		                   key);
	}
	*out = v->valuestring;
	return 0;
}

static int get_bool(relais_ctx *ctx, int *out, const cJSON *obj, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsBool(v)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s must be true or false", where,
		                   key);
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_number(relais_ctx *ctx, double *out, const cJSON *obj, const char *key,
                      const char *where, double lo, double hi)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s must be a number", where, key);
	}
	if (v->valuedouble < lo || v->valuedouble > hi) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s is out of range", where, key);
	}
	*out = v->valuedouble;
	return 0;
}

/* Finds an array member of min..RELAIS_QUIZ_MAX_ANSWERS items. */
static int get_array(relais_ctx *ctx, const cJSON **out, size_t *n, const cJSON *obj,
                     const char *key, const char *where, size_t min)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	int size;

	if (!cJSON_IsArray(v)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s must be an array", where, key);
	}
	size = cJSON_GetArraySize(v);
	if (size > RELAIS_QUIZ_MAX_ANSWERS) {
		return relais_fail(ctx, RELAIS_ELIMIT, "quiz: %s%s has more than %d items", where,
		                   key, RELAIS_QUIZ_MAX_ANSWERS);
	}
	if ((size_t)size < min) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s%s needs at least %zu items",
		                   where, key, min);
	}
	*out = v;
	*n = (size_t)size;
	return 0;
}

static int id_ok(const char *id)
{
	size_t i, n = strlen(id);

	if (n == 0 || n > ID_MAX) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!((id[i] >= 'a' && id[i] <= 'z') || is_digit(id[i]) || id[i] == '-')) {
			return 0;
		}
	}
	return 1;
}

/* Builds the message prefix for item i of a question's array. Truncation
 * would only shorten a message, and the sizes are ample. */
static void item_where(char *out, const char *where, const char *key, size_t i)
{
	(void)snprintf(out, WHERE_MAX, "%s%s[%zu].", where, key, i);
}

static int no_full_answer(relais_ctx *ctx, const struct relais_quiz_question *q, const char *where)
{
	size_t i;

	for (i = 0; i < q->n_answers; i++) {
		if (q->answers[i].fraction == 1.0) {
			return 0;
		}
	}
	return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %sno answer has fraction 1", where);
}

/* Reads the "answers" array of o (at least min answers) and allocates q->answers for it. */
static int get_answers(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON **arr,
                       const cJSON *o, const char *where, size_t min)
{
	size_t n;
	int rc;

	if ((rc = get_array(ctx, arr, &n, o, "answers", where, min)) != 0) {
		return rc;
	}
	q->answers = calloc(n, sizeof(*q->answers));
	if (q->answers == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	q->n_answers = n;
	return 0;
}

/* Reads what every answer ends with: its "fraction" (lo to 1) and "feedback_html". */
static int get_fraction_feedback(relais_ctx *ctx, struct relais_quiz_answer *ans, const cJSON *a,
                                 const char *sub, double lo)
{
	int rc;

	if ((rc = get_number(ctx, &ans->fraction, a, "fraction", sub, lo, 1)) != 0 ||
	    (rc = get_string(ctx, &ans->feedback_html, a, "feedback_html", sub, 0)) != 0) {
		return rc;
	}
	return 0;
}

static int parse_multichoice(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON *o,
                             const char *where)
{
	const cJSON *arr, *a;
	char sub[WHERE_MAX];
	size_t i = 0;
	int rc;

	if ((rc = get_bool(ctx, &q->single, o, "single", where)) != 0 ||
	    (rc = get_answers(ctx, q, &arr, o, where, 2)) != 0) {
		return rc;
	}
	cJSON_ArrayForEach(a, arr)
	{
		struct relais_quiz_answer *ans = &q->answers[i];

		item_where(sub, where, "answers", i++);
		if (!cJSON_IsObject(a)) {
			return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s is not an object", sub);
		}
		if ((rc = get_string(ctx, &ans->text_html, a, "text_html", sub, OPT_NONEMPTY)) !=
		            0 ||
		    (rc = get_fraction_feedback(ctx, ans, a, sub, -1)) != 0) {
			return rc;
		}
	}
	return 0;
}

static int parse_truefalse(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON *o,
                           const char *where)
{
	int rc;

	if ((rc = get_bool(ctx, &q->tf_answer, o, "answer", where)) != 0 ||
	    (rc = get_string(ctx, &q->feedback_true_html, o, "feedback_true_html", where, 0)) !=
	            0 ||
	    (rc = get_string(ctx, &q->feedback_false_html, o, "feedback_false_html", where, 0)) !=
	            0) {
		return rc;
	}
	return 0;
}

static int parse_shortanswer(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON *o,
                             const char *where)
{
	const cJSON *arr, *a;
	char sub[WHERE_MAX];
	size_t i = 0;
	int rc, case_sensitive = 0;

	if ((rc = get_bool(ctx, &case_sensitive, o, "case_sensitive", where)) != 0) {
		return rc;
	}
	if (case_sensitive) {
		return relais_fail(ctx, RELAIS_EFORMAT,
		                   "quiz: %scase_sensitive must be false in version 1", where);
	}
	if ((rc = get_answers(ctx, q, &arr, o, where, 1)) != 0) {
		return rc;
	}
	cJSON_ArrayForEach(a, arr)
	{
		struct relais_quiz_answer *ans = &q->answers[i];

		item_where(sub, where, "answers", i++);
		if (!cJSON_IsObject(a)) {
			return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s is not an object", sub);
		}
		if ((rc = get_string(ctx, &ans->text, a, "text", sub, OPT_NONEMPTY)) != 0 ||
		    (rc = get_fraction_feedback(ctx, ans, a, sub, 0)) != 0) {
			return rc;
		}
		if (normalise(&ans->norm, ans->text, strlen(ans->text)) != 0) {
			return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		}
	}
	return no_full_answer(ctx, q, where);
}

static int parse_numerical(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON *o,
                           const char *where)
{
	const cJSON *arr, *a;
	char sub[WHERE_MAX];
	size_t i = 0;
	int rc;

	if ((rc = get_answers(ctx, q, &arr, o, where, 1)) != 0 ||
	    (rc = get_string(ctx, &q->other_feedback_html, o, "other_feedback_html", where, 0)) !=
	            0) {
		return rc;
	}
	cJSON_ArrayForEach(a, arr)
	{
		struct relais_quiz_answer *ans = &q->answers[i];

		item_where(sub, where, "answers", i++);
		if (!cJSON_IsObject(a)) {
			return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s is not an object", sub);
		}
		if ((rc = get_number(ctx, &ans->min, a, "min", sub, -HUGE_VAL, HUGE_VAL)) != 0 ||
		    (rc = get_number(ctx, &ans->max, a, "max", sub, -HUGE_VAL, HUGE_VAL)) != 0 ||
		    (rc = get_fraction_feedback(ctx, ans, a, sub, 0)) != 0) {
			return rc;
		}
		if (ans->min > ans->max) {
			return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %smin is above max", sub);
		}
	}
	return no_full_answer(ctx, q, where);
}

static int parse_matching(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON *o,
                          const char *where)
{
	const cJSON *arr, *a;
	char sub[WHERE_MAX];
	size_t i = 0, j, n;
	int rc;

	if ((rc = get_array(ctx, &arr, &n, o, "pairs", where, 0)) != 0) {
		return rc;
	}
	q->pairs = calloc(n ? n : 1, sizeof(*q->pairs));
	if (q->pairs == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	q->n_pairs = n;
	cJSON_ArrayForEach(a, arr)
	{
		struct relais_quiz_pair *p = &q->pairs[i];

		item_where(sub, where, "pairs", i++);
		if (!cJSON_IsObject(a)) {
			return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s is not an object", sub);
		}
		if ((rc = get_string(ctx, &p->question_html, a, "question_html", sub, 0)) != 0 ||
		    (rc = get_string(ctx, &p->answer, a, "answer", sub, OPT_NONEMPTY)) != 0) {
			return rc;
		}
		if (p->question_html[0] != '\0') {
			q->n_rows++;
		}
	}
	if (q->n_rows < 2) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %spairs has fewer than 2 rows",
		                   where);
	}
	if ((rc = get_array(ctx, &arr, &n, o, "choices", where, 1)) != 0) {
		return rc;
	}
	q->choices = calloc(n, sizeof(*q->choices));
	if (q->choices == NULL) {
		return relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
	}
	i = 0;
	cJSON_ArrayForEach(a, arr)
	{
		(void)snprintf(sub, sizeof(sub), "%schoices[%zu]", where, i);
		if (!cJSON_IsString(a) || a->valuestring == NULL) {
			return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s must be a string", sub);
		}
		for (j = 0; j < i; j++) {
			if (strcmp(q->choices[j], a->valuestring) == 0) {
				return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %s is repeated",
				                   sub);
			}
		}
		q->choices[i++] = a->valuestring; /* checked as UTF-8 through its pair below */
	}
	q->n_choices = n;
	/* choices must be exactly the distinct answers: every pair finds its
	 * choice, and every choice is some pair's answer. */
	for (i = 0; i < q->n_pairs; i++) {
		for (j = 0; j < q->n_choices && strcmp(q->choices[j], q->pairs[i].answer) != 0;
		     j++) {
		}
		if (j == q->n_choices) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "quiz: %spairs[%zu].answer is not in choices", where, i);
		}
		q->pairs[i].choice = j;
	}
	for (j = 0; j < q->n_choices; j++) {
		for (i = 0; i < q->n_pairs && q->pairs[i].choice != j; i++) {
		}
		if (i == q->n_pairs) {
			return relais_fail(ctx, RELAIS_EFORMAT,
			                   "quiz: %schoices[%zu] is no pair's answer", where, j);
		}
	}
	return 0;
}

static int parse_question(relais_ctx *ctx, struct relais_quiz_question *q, const cJSON *o,
                          size_t index)
{
	char where[WHERE_MAX];
	const char *type;
	size_t t;
	int rc, scored = 0;

	(void)snprintf(where, sizeof(where), "questions[%zu]: ", index);
	if (!cJSON_IsObject(o)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: questions[%zu] is not an object",
		                   index);
	}
	if ((rc = get_string(ctx, &q->id, o, "id", where, 0)) != 0) {
		return rc;
	}
	if (!id_ok(q->id)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %sid is not a valid question id",
		                   where);
	}
	(void)snprintf(where, sizeof(where), "question %s: ", q->id);
	if ((rc = get_string(ctx, &type, o, "type", where, 0)) != 0) {
		return rc;
	}
	for (t = 0; t < sizeof(type_names) / sizeof(type_names[0]); t++) {
		if (strcmp(type, type_names[t]) == 0) {
			break;
		}
	}
	if (t == sizeof(type_names) / sizeof(type_names[0])) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %stype is not a known type", where);
	}
	q->type = (enum relais_quiz_type)t;
	if ((rc = get_bool(ctx, &scored, o, "scored", where)) != 0 ||
	    (rc = get_string(ctx, &q->title, o, "title", where, OPT_NULLABLE)) != 0 ||
	    (rc = get_string(ctx, &q->category, o, "category", where, OPT_NULLABLE)) != 0 ||
	    (rc = get_string(ctx, &q->text_html, o, "text_html", where, OPT_NONEMPTY)) != 0 ||
	    (rc = get_bool(ctx, &q->missing_word, o, "missing_word", where)) != 0 ||
	    (rc = get_string(ctx, &q->general_feedback_html, o, "general_feedback_html", where,
	                     0)) != 0) {
		return rc;
	}
	if (scored != (q->type != RELAIS_QUIZ_ESSAY && q->type != RELAIS_QUIZ_DESCRIPTION)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %sscored does not fit type %s",
		                   where, type);
	}
	switch (q->type) {
	case RELAIS_QUIZ_MULTICHOICE:
		return parse_multichoice(ctx, q, o, where);
	case RELAIS_QUIZ_TRUEFALSE:
		return parse_truefalse(ctx, q, o, where);
	case RELAIS_QUIZ_SHORTANSWER:
		return parse_shortanswer(ctx, q, o, where);
	case RELAIS_QUIZ_NUMERICAL:
		return parse_numerical(ctx, q, o, where);
	case RELAIS_QUIZ_MATCHING:
		return parse_matching(ctx, q, o, where);
	case RELAIS_QUIZ_ESSAY:
	case RELAIS_QUIZ_DESCRIPTION:
		return 0;
	}
	return 0;
}

static int check_ids(relais_ctx *ctx, const relais_quiz *quiz)
{
	size_t i, j;

	for (i = 0; i < quiz->n_questions; i++) {
		const struct relais_quiz_question *q = &quiz->questions[i];

		for (j = 0; j < quiz->n_questions; j++) {
			const struct relais_quiz_question *m = &quiz->questions[j];

			if (j < i && strcmp(q->id, m->id) == 0) {
				return relais_fail(ctx, RELAIS_EFORMAT,
				                   "quiz: questions[%zu]: id %s is used twice", i,
				                   q->id);
			}
		}
	}
	return 0;
}

int relais_quiz_parse(relais_quiz **out, relais_ctx *ctx, const char *json, size_t len)
{
	relais_quiz *quiz = NULL;
	char *copy = NULL;
	const cJSON *v, *qs, *item;
	const char *format;
	size_t i = 0;
	int rc = 0, n;

	*out = NULL;
	if (len > RELAIS_QUIZ_MAX_BYTES) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "quiz: larger than %d bytes",
		                 RELAIS_QUIZ_MAX_BYTES);
		goto out;
	}
	if (json == NULL || memchr(json, '\0', len) != NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: not json text");
		goto out;
	}
	/* cJSON wants a terminated string to refuse trailing bytes. */
	copy = malloc(len + 1);
	quiz = calloc(1, sizeof(*quiz));
	if (copy == NULL || quiz == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	quiz->doc = cJSON_ParseWithOpts(copy, NULL, 1);
	if (quiz->doc == NULL) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: not valid json");
		goto out;
	}
	if (!cJSON_IsObject(quiz->doc)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: not a json object");
		goto out;
	}
	if ((rc = get_string(ctx, &format, quiz->doc, "format", "", 0)) != 0) {
		goto out;
	}
	if (strcmp(format, RELAIS_QUIZ_FORMAT) != 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: format is not " RELAIS_QUIZ_FORMAT);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(quiz->doc, "version");
	if (!cJSON_IsNumber(v)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: version must be a number");
		goto out;
	}
	if (v->valuedouble != 1.0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: version is not supported");
		goto out;
	}
	qs = cJSON_GetObjectItemCaseSensitive(quiz->doc, "questions");
	if (!cJSON_IsArray(qs)) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: questions must be an array");
		goto out;
	}
	n = cJSON_GetArraySize(qs);
	if (n > RELAIS_QUIZ_MAX_QUESTIONS) {
		rc = relais_fail(ctx, RELAIS_ELIMIT, "quiz: more than %d questions",
		                 RELAIS_QUIZ_MAX_QUESTIONS);
		goto out;
	}
	if (n == 0) {
		rc = relais_fail(ctx, RELAIS_EFORMAT, "quiz: no questions");
		goto out;
	}
	quiz->questions = calloc((size_t)n, sizeof(*quiz->questions));
	if (quiz->questions == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(item, qs)
	{
		quiz->n_questions = i + 1;
		if ((rc = parse_question(ctx, &quiz->questions[i], item, i)) != 0) {
			goto out;
		}
		i++;
	}
	if ((rc = check_ids(ctx, quiz)) != 0) {
		goto out;
	}
	*out = quiz;
	quiz = NULL;
out:
	relais_quiz_free(quiz);
	free(copy);
	return rc;
}

void relais_quiz_free(relais_quiz *quiz)
{
	size_t i, j;

	if (quiz == NULL) {
		return;
	}
	for (i = 0; i < quiz->n_questions; i++) {
		struct relais_quiz_question *q = &quiz->questions[i];

		for (j = 0; j < q->n_answers; j++) {
			free(q->answers[j].norm);
		}
		free(q->answers);
		free(q->pairs);
		free(q->choices);
	}
	free(quiz->questions);
	cJSON_Delete(quiz->doc);
	free(quiz);
}

size_t relais_quiz_count(const relais_quiz *quiz)
{
	return quiz->n_questions;
}

const char *relais_quiz_type_name(enum relais_quiz_type type)
{
	return (size_t)type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[type] : "";
}

const struct relais_quiz_question *relais_quiz_question_at(const relais_quiz *quiz, size_t i)
{
	return i < quiz->n_questions ? &quiz->questions[i] : NULL;
}

/* ---- scoring ---- */

struct submission {
	const struct relais_form_field *fields;
	size_t n;
	locale_t c_locale; /* made on first need */
};

/* Whether a submitted value may be read at all. */
static int usable(const char *v)
{
	size_t n;

	if (v == NULL) {
		return 0;
	}
	n = strnlen(v, RELAIS_QUIZ_MAX_VALUE + 1);
	return n <= RELAIS_QUIZ_MAX_VALUE && u8_check((const uint8_t *)v, n) == NULL;
}

/*
 * Whether name is "q-<id>" (row NULL) or "q-<id>.<row>" with row < n_rows.
 * Ids never hold a '.', so no question's field can pass for a row.
 */
static int names(const char *name, const struct relais_quiz_question *q, size_t *row, size_t n_rows)
{
	size_t n = strlen(q->id);

	if (name == NULL || strncmp(name, "q-", 2) != 0 || strncmp(name + 2, q->id, n) != 0) {
		return 0;
	}
	name += 2 + n;
	if (row == NULL) {
		return *name == '\0';
	}
	return *name == '.' && relais_quiz_read_index(row, name + 1, strlen(name + 1), n_rows) == 0;
}

/* The first usable value of q's single field, or NULL. */
static const char *single_value(const struct submission *s, const struct relais_quiz_question *q)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (names(s->fields[i].name, q, NULL, 0) && usable(s->fields[i].value)) {
			return s->fields[i].value;
		}
	}
	return NULL;
}

static void put_feedback(struct relais_strbuf *b, const char *html)
{
	if (html[0] != '\0') {
		relais_strbuf_add(b, "<div class=\"relais-feedback\">");
		relais_strbuf_add(b, html);
		relais_strbuf_add(b, "</div>");
	}
}

/* Scores choice answers; raw is the sum of the chosen fractions. */
static double score_multichoice(struct relais_strbuf *resp, struct relais_strbuf *fb,
                                const struct submission *s, const struct relais_quiz_question *q,
                                int *answered)
{
	unsigned char chosen[RELAIS_QUIZ_MAX_ANSWERS] = {0};
	const char *v;
	double raw = 0;
	size_t i, k;

	if (q->single) {
		v = single_value(s, q);
		if (v != NULL && relais_quiz_read_index(&k, v, strlen(v), q->n_answers) == 0) {
			chosen[k] = 1;
		}
	} else {
		for (i = 0; i < s->n; i++) {
			v = s->fields[i].value;
			if (names(s->fields[i].name, q, NULL, 0) && usable(v) &&
			    relais_quiz_read_index(&k, v, strlen(v), q->n_answers) == 0) {
				chosen[k] = 1;
			}
		}
	}
	for (i = 0; i < q->n_answers; i++) {
		if (chosen[i]) {
			if (*answered) {
				relais_strbuf_add(resp, "[,]");
			}
			put_uint(resp, i);
			*answered = 1;
			raw += q->answers[i].fraction;
			put_feedback(fb, q->answers[i].feedback_html);
		}
	}
	return raw;
}

static double score_truefalse(struct relais_strbuf *resp, struct relais_strbuf *fb,
                              const struct submission *s, const struct relais_quiz_question *q,
                              int *answered)
{
	const char *v = single_value(s, q);
	int choice;

	if (v == NULL || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)) {
		return 0;
	}
	choice = strcmp(v, "true") == 0;
	*answered = 1;
	relais_strbuf_add(resp, v);
	put_feedback(fb, choice ? q->feedback_true_html : q->feedback_false_html);
	return choice == q->tf_answer ? 1 : 0;
}

static double score_shortanswer(struct relais_strbuf *resp, struct relais_strbuf *fb, const char *v,
                                size_t n, const struct relais_quiz_question *q, int *answered)
{
	char *norm = NULL;
	double raw = 0;
	size_t i;

	if (n == 0) {
		return 0;
	}
	*answered = 1;
	relais_strbuf_addn(resp, v, n);
	if (normalise(&norm, v, n) != 0) {
		resp->rc = RELAIS_ENOMEM;
		return 0;
	}
	for (i = 0; i < q->n_answers && norm[0] != '\0'; i++) {
		if (strcmp(norm, q->answers[i].norm) == 0) {
			raw = q->answers[i].fraction;
			put_feedback(fb, q->answers[i].feedback_html);
			break;
		}
	}
	free(norm);
	return raw;
}

static double score_numerical(struct relais_strbuf *resp, struct relais_strbuf *fb,
                              struct submission *s, const char *v, size_t n,
                              const struct relais_quiz_question *q, int *answered)
{
	double r = 0, eps;
	size_t i;

	if (n == 0) {
		return 0;
	}
	*answered = 1;
	relais_strbuf_addn(resp, v, n);
	if (s->c_locale == (locale_t)0) {
		s->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (s->c_locale == (locale_t)0) {
			resp->rc = RELAIS_ENOMEM;
			return 0;
		}
	}
	if (read_number(&r, v, n, s->c_locale) == 0) {
		for (i = 0; i < q->n_answers; i++) {
			const struct relais_quiz_answer *a = &q->answers[i];

			eps = 1e-9 * largest_abs(a->min, a->max);
			if (a->min - eps <= r && r <= a->max + eps) {
				put_feedback(fb, a->feedback_html);
				return a->fraction;
			}
		}
	}
	put_feedback(fb, q->other_feedback_html);
	return 0;
}

static double score_matching(struct relais_strbuf *resp, const struct submission *s,
                             const struct relais_quiz_question *q, int *answered)
{
	size_t pick[RELAIS_QUIZ_MAX_ANSWERS], i, row, k, right = 0;
	unsigned char picked[RELAIS_QUIZ_MAX_ANSWERS] = {0};
	const char *v;

	for (i = 0; i < s->n; i++) {
		v = s->fields[i].value;
		if (names(s->fields[i].name, q, &row, q->n_rows) && !picked[row] && usable(v) &&
		    relais_quiz_read_index(&k, v, strlen(v), q->n_choices) == 0) {
			picked[row] = 1;
			pick[row] = k;
		}
	}
	row = 0;
	for (i = 0; i < q->n_pairs; i++) {
		if (q->pairs[i].question_html[0] == '\0') {
			continue;
		}
		if (picked[row]) {
			if (*answered) {
				relais_strbuf_add(resp, "[,]");
			}
			put_uint(resp, row);
			relais_strbuf_add(resp, "[.]");
			put_uint(resp, pick[row]);
			*answered = 1;
			/* Choices are distinct, so equal index means equal code points. */
			right += pick[row] == q->pairs[i].choice;
		}
		row++;
	}
	return (double)right / (double)q->n_rows;
}

/* Scores one question into r and returns its score in ten-thousandths. */
static int score_question(struct relais_question_result *r, long *units, relais_ctx *ctx,
                          struct submission *s, const struct relais_quiz_question *q)
{
	struct relais_strbuf resp = {.max = RELAIS_QUIZ_MAX_HTML},
	                     fb = {.max = RELAIS_QUIZ_MAX_HTML};
	const char *v = NULL, *text = "";
	size_t start = 0, n = 0;
	double raw = 0;
	int rc;

	r->id = q->id;
	r->scored = q->type != RELAIS_QUIZ_ESSAY && q->type != RELAIS_QUIZ_DESCRIPTION;
	if (q->type == RELAIS_QUIZ_SHORTANSWER || q->type == RELAIS_QUIZ_NUMERICAL ||
	    q->type == RELAIS_QUIZ_ESSAY) {
		v = single_value(s, q);
		if (v != NULL) {
			trim(v, &start, &n);
			text = v + start;
		}
	}
	switch (q->type) {
	case RELAIS_QUIZ_MULTICHOICE:
		raw = score_multichoice(&resp, &fb, s, q, &r->answered);
		break;
	case RELAIS_QUIZ_TRUEFALSE:
		raw = score_truefalse(&resp, &fb, s, q, &r->answered);
		break;
	case RELAIS_QUIZ_SHORTANSWER:
		raw = score_shortanswer(&resp, &fb, text, n, q, &r->answered);
		break;
	case RELAIS_QUIZ_NUMERICAL:
		raw = score_numerical(&resp, &fb, s, text, n, q, &r->answered);
		break;
	case RELAIS_QUIZ_MATCHING:
		raw = score_matching(&resp, s, q, &r->answered);
		break;
	case RELAIS_QUIZ_ESSAY:
		r->answered = n > 0;
		relais_strbuf_addn(&resp, text, n);
		break;
	case RELAIS_QUIZ_DESCRIPTION:
		break;
	}
	if (r->answered && q->general_feedback_html[0] != '\0') {
		relais_strbuf_add(&fb, "<div class=\"relais-general-feedback\">");
		relais_strbuf_add(&fb, q->general_feedback_html);
		relais_strbuf_add(&fb, "</div>");
	}
	*units = r->scored ? score_units(raw) : 0;
	r->score = (double)*units / 10000.0;
	if ((rc = relais_strbuf_finish(&r->response, &resp, ctx, "quiz")) != 0 ||
	    (rc = relais_strbuf_finish(&r->feedback_html, &fb, ctx, "quiz")) != 0) {
		relais_strbuf_free(&fb);
		return rc;
	}
	return 0;
}

int relais_quiz_score(struct relais_quiz_result *out, relais_ctx *ctx, const relais_quiz *quiz,
                      const struct relais_form_field *fields, size_t n_fields)
{
	struct relais_quiz_result res = {0};
	struct submission s = {.fields = fields, .n = n_fields, .c_locale = (locale_t)0};
	long units, total = 0;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	res.questions = calloc(quiz->n_questions, sizeof(*res.questions));
	if (res.questions == NULL) {
		rc = relais_fail(ctx, RELAIS_ENOMEM, "out of memory");
		goto out;
	}
	res.n_questions = quiz->n_questions;
	for (i = 0; i < quiz->n_questions; i++) {
		if ((rc = score_question(&res.questions[i], &units, ctx, &s,
		                         &quiz->questions[i])) != 0) {
			goto out;
		}
		if (res.questions[i].scored) {
			res.max++;
			total += units;
		}
	}
	/* Sums in ten-thousandths are exact, so the percentage floors exactly. */
	res.score = (double)total / 10000.0;
	if (res.max > 0) {
		res.scaled = res.score / res.max;
		res.percent = (int)(total / (100L * (long)res.max));
	}
	*out = res;
	res.questions = NULL;
	res.n_questions = 0;
out:
	if (s.c_locale != (locale_t)0) {
		freelocale(s.c_locale);
	}
	relais_quiz_result_clear(&res);
	return rc;
}

/* ---- display order ---- */

/* SplitMix64 (Steele, Lea, Flood 2014): small, fast, the same everywhere. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void relais_quiz_shuffle(size_t *perm, size_t n, uint64_t seed, const char *question_id)
{
	uint64_t state = seed, h = 0xcbf29ce484222325ULL; /* FNV-1a of the id */
	const unsigned char *p;
	size_t i, j, t;

	for (p = (const unsigned char *)question_id; p != NULL && *p != '\0'; p++) {
		h = (h ^ *p) * 0x100000001b3ULL;
	}
	state ^= h;
	for (i = 0; i < n; i++) {
		perm[i] = i;
	}
	/* Fisher-Yates; n is at most RELAIS_QUIZ_MAX_ANSWERS, so the modulo's
	 * bias (n / 2^64) is far below anything a learner could notice. */
	for (i = n; i > 1; i--) {
		j = (size_t)(splitmix64(&state) % (uint64_t)i);
		t = perm[i - 1];
		perm[i - 1] = perm[j];
		perm[j] = t;
	}
}

void relais_quiz_result_clear(struct relais_quiz_result *result)
{
	size_t i;

	if (result == NULL) {
		return;
	}
	for (i = 0; i < result->n_questions && result->questions != NULL; i++) {
		free(result->questions[i].response);
		free(result->questions[i].feedback_html);
	}
	free(result->questions);
	memset(result, 0, sizeof(*result));
}

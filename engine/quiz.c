/* quiz.c: read quiz JSON, show it as an HTML form, score and show a submission. */
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
#define BLANK "_____"

enum qtype {
	T_MULTICHOICE,
	T_TRUEFALSE,
	T_SHORTANSWER,
	T_NUMERICAL,
	T_MATCHING,
	T_ESSAY,
	T_DESCRIPTION,
};

static const char *const type_names[] = {
        "multichoice", "truefalse", "shortanswer", "numerical", "matching", "essay", "description",
};

struct answer {
	const char *text_html;     /* multichoice */
	const char *text;          /* shortanswer, as written */
	char *norm;                /* shortanswer: norm(text), owned */
	double fraction;           /* -1..1 */
	double min, max;           /* numerical */
	const char *feedback_html; /* "" if none */
};

struct pair {
	const char *question_html; /* "" for a distractor */
	const char *answer;
	size_t choice; /* index of answer in choices */
};

/* Strings are borrowed from the quiz's cJSON document. */
struct question {
	const char *id;
	enum qtype type;
	const char *title;    /* NULL when null */
	const char *category; /* NULL when null */
	const char *text_html;
	int missing_word;
	const char *general_feedback_html;
	int single;    /* multichoice */
	int tf_answer; /* truefalse */
	const char *feedback_true_html, *feedback_false_html;
	const char *other_feedback_html; /* numerical */
	struct answer *answers;
	size_t n_answers;
	struct pair *pairs; /* matching */
	size_t n_pairs;
	size_t n_rows;
	const char **choices;
	size_t n_choices;
};

struct relais_quiz {
	cJSON *doc; /* owns every borrowed string */
	struct question *questions;
	size_t n_questions;
};

/* The words of the reader's interface. */
struct words {
	const char *question, *yes, *no, *your_answer, *right, *partly, *wrong, *unanswered,
	        *choose, *score, *percent, *colon;
	char decimal;
};

static const struct words words_fr = {
        .question = "Question",
        .yes = "Vrai",
        .no = "Faux",
        .your_answer = "Votre réponse",
        .right = "Juste",
        .partly = "Partiellement juste",
        .wrong = "Faux",
        .unanswered = "Sans réponse",
        .choose = "Choisir…",
        .score = "Note\u00a0:",
        .percent = "\u00a0%",
        .colon = "\u00a0: ",
        .decimal = ',',
};

static const struct words words_en = {
        .question = "Question",
        .yes = "True",
        .no = "False",
        .your_answer = "Your answer",
        .right = "Correct",
        .partly = "Partly correct",
        .wrong = "Incorrect",
        .unanswered = "Not answered",
        .choose = "Choose…",
        .score = "Score:",
        .percent = "%",
        .colon = ": ",
        .decimal = '.',
};

/* French for "fr" and "fr-*", English for anything else. */
static const struct words *words_for(const char *lang)
{
	if (lang != NULL && strncmp(lang, "fr", 2) == 0 && (lang[2] == '\0' || lang[2] == '-')) {
		return &words_fr;
	}
	return &words_en;
}

/* ---- bounded output (engine/strbuf.h) ---- */

static void put_uint(struct relais_strbuf *b, size_t n)
{
	char tmp[32];

	(void)snprintf(tmp, sizeof(tmp), "%zu", n);
	relais_strbuf_add(b, tmp);
}

/*
 * Appends HTML meant for a <label> or <li>: a fragment that is exactly one
 * paragraph (what Markdown gives) loses its <p> so the label stays phrasing
 * content.
 */
static void put_inline_html(struct relais_strbuf *b, const char *html)
{
	size_t n = strlen(html);

	if (n >= 7 && strncmp(html, "<p>", 3) == 0 && strcmp(html + n - 4, "</p>") == 0) {
		const char *inner = html + 3;
		size_t inner_n = n - 7;
		const char *again = strstr(inner, "<p");

		if (again == NULL || again >= inner + inner_n) {
			relais_strbuf_addn(b, inner, inner_n);
			return;
		}
	}
	relais_strbuf_addn(b, html, n);
}

/* Hands the buffer over as a string ("" when empty), or fails with its rc. */
static int buf_finish(char **out, struct relais_strbuf *b, relais_ctx *ctx)
{
	int rc = b->rc;

	*out = NULL;
	if (rc == 0 && b->p == NULL) {
		b->p = strdup("");
		rc = b->p ? 0 : RELAIS_ENOMEM;
	}
	if (rc == RELAIS_ELIMIT) {
		rc = relais_fail(ctx, rc, "quiz: output exceeds %zu bytes", b->max);
	} else if (rc != 0) {
		rc = relais_fail(ctx, rc, "out of memory");
	}
	if (rc != 0) {
		free(b->p);
	} else {
		*out = b->p;
	}
	b->p = NULL;
	b->len = b->cap = 0;
	return rc;
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

/*
 * Reads a decimal index with no sign or leading zero, below n. Returns 0 and
 * sets *out, or -1.
 */
static int read_index(size_t *out, const char *s, size_t len, size_t n)
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

/* A score held as a double back in ten-thousandths. */
static long units_of(double score)
{
	return score > 0 ? (long)(score * 10000.0 + 0.5) : 0;
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

static int no_full_answer(relais_ctx *ctx, const struct question *q, const char *where)
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
static int get_answers(relais_ctx *ctx, struct question *q, const cJSON **arr, const cJSON *o,
                       const char *where, size_t min)
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
static int get_fraction_feedback(relais_ctx *ctx, struct answer *ans, const cJSON *a,
                                 const char *sub, double lo)
{
	int rc;

	if ((rc = get_number(ctx, &ans->fraction, a, "fraction", sub, lo, 1)) != 0 ||
	    (rc = get_string(ctx, &ans->feedback_html, a, "feedback_html", sub, 0)) != 0) {
		return rc;
	}
	return 0;
}

static int parse_multichoice(relais_ctx *ctx, struct question *q, const cJSON *o, const char *where)
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
		struct answer *ans = &q->answers[i];

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

static int parse_truefalse(relais_ctx *ctx, struct question *q, const cJSON *o, const char *where)
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

static int parse_shortanswer(relais_ctx *ctx, struct question *q, const cJSON *o, const char *where)
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
		struct answer *ans = &q->answers[i];

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

static int parse_numerical(relais_ctx *ctx, struct question *q, const cJSON *o, const char *where)
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
		struct answer *ans = &q->answers[i];

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

static int parse_matching(relais_ctx *ctx, struct question *q, const cJSON *o, const char *where)
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
		struct pair *p = &q->pairs[i];

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

static int parse_question(relais_ctx *ctx, struct question *q, const cJSON *o, size_t index)
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
	q->type = (enum qtype)t;
	if ((rc = get_bool(ctx, &scored, o, "scored", where)) != 0 ||
	    (rc = get_string(ctx, &q->title, o, "title", where, OPT_NULLABLE)) != 0 ||
	    (rc = get_string(ctx, &q->category, o, "category", where, OPT_NULLABLE)) != 0 ||
	    (rc = get_string(ctx, &q->text_html, o, "text_html", where, OPT_NONEMPTY)) != 0 ||
	    (rc = get_bool(ctx, &q->missing_word, o, "missing_word", where)) != 0 ||
	    (rc = get_string(ctx, &q->general_feedback_html, o, "general_feedback_html", where,
	                     0)) != 0) {
		return rc;
	}
	if (scored != (q->type != T_ESSAY && q->type != T_DESCRIPTION)) {
		return relais_fail(ctx, RELAIS_EFORMAT, "quiz: %sscored does not fit type %s",
		                   where, type);
	}
	switch (q->type) {
	case T_MULTICHOICE:
		return parse_multichoice(ctx, q, o, where);
	case T_TRUEFALSE:
		return parse_truefalse(ctx, q, o, where);
	case T_SHORTANSWER:
		return parse_shortanswer(ctx, q, o, where);
	case T_NUMERICAL:
		return parse_numerical(ctx, q, o, where);
	case T_MATCHING:
		return parse_matching(ctx, q, o, where);
	case T_ESSAY:
	case T_DESCRIPTION:
		return 0;
	}
	return 0;
}

static int check_ids(relais_ctx *ctx, const relais_quiz *quiz)
{
	size_t i, j;

	for (i = 0; i < quiz->n_questions; i++) {
		const struct question *q = &quiz->questions[i];

		for (j = 0; j < quiz->n_questions; j++) {
			const struct question *m = &quiz->questions[j];

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
		struct question *q = &quiz->questions[i];

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

/* ---- form ---- */

/* Writes "relais-<id>", the element id prefix for question q. */
static void put_elem(struct relais_strbuf *b, const struct question *q)
{
	relais_strbuf_add(b, "relais-");
	relais_strbuf_add(b, q->id);
}

static void put_legend(struct relais_strbuf *b, const struct words *w, const struct question *q,
                       size_t number)
{
	if (q->title != NULL) {
		relais_strbuf_add_html(b, q->title);
	} else {
		relais_strbuf_add(b, w->question);
		relais_strbuf_add(b, " ");
		put_uint(b, number);
	}
}

/* One radio button or check box for answer value v, with its label. */
static void put_choice(struct relais_strbuf *b, const struct question *q, const char *kind,
                       const char *value, const char *label_html)
{
	relais_strbuf_add(b, "<div class=\"relais-choice\"><input type=\"");
	relais_strbuf_add(b, kind);
	relais_strbuf_add(b, "\" name=\"q-");
	relais_strbuf_add(b, q->id);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "_");
	relais_strbuf_add(b, value);
	relais_strbuf_add(b, "\" value=\"");
	relais_strbuf_add(b, value);
	relais_strbuf_add(b, "\"> <label for=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "_");
	relais_strbuf_add(b, value);
	relais_strbuf_add(b, "\">");
	put_inline_html(b, label_html);
	relais_strbuf_add(b, "</label></div>\n");
}

/* A text box (or text area for essays) and its label. */
static void put_text_input(struct relais_strbuf *b, const struct words *w, const struct question *q,
                           int hidden_label)
{
	relais_strbuf_add(b, "<label for=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "_v\"");
	if (hidden_label) {
		relais_strbuf_add(b, " class=\"relais-sr-only\"");
	}
	relais_strbuf_add(b, ">");
	relais_strbuf_add(b, w->your_answer);
	relais_strbuf_add(b, "</label> ");
	/* maxlength counts UTF-16 units, each at most 3 UTF-8 bytes: a browser
	 * then never sends a value the scorer would ignore. */
	if (q->type == T_ESSAY) {
		relais_strbuf_add(b, "<textarea rows=\"6\" maxlength=\"333\" name=\"q-");
	} else {
		relais_strbuf_add(b,
		                  "<input type=\"text\" maxlength=\"333\" autocomplete=\"off\" ");
		if (q->type == T_NUMERICAL) {
			relais_strbuf_add(b, "inputmode=\"decimal\" ");
		}
		relais_strbuf_add(b, "name=\"q-");
	}
	relais_strbuf_add(b, q->id);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, q->type == T_ESSAY ? "_v\"></textarea>" : "_v\">");
}

static void put_matching_rows(struct relais_strbuf *b, const struct words *w,
                              const struct question *q)
{
	size_t i, j, row = 0;

	for (i = 0; i < q->n_pairs; i++) {
		if (q->pairs[i].question_html[0] == '\0') {
			continue;
		}
		relais_strbuf_add(b, "<div class=\"relais-row\"><label for=\"");
		put_elem(b, q);
		relais_strbuf_add(b, "_r");
		put_uint(b, row);
		relais_strbuf_add(b, "\">");
		put_inline_html(b, q->pairs[i].question_html);
		relais_strbuf_add(b, "</label> <select name=\"q-");
		relais_strbuf_add(b, q->id);
		relais_strbuf_add(b, ".");
		put_uint(b, row);
		relais_strbuf_add(b, "\" id=\"");
		put_elem(b, q);
		relais_strbuf_add(b, "_r");
		put_uint(b, row);
		relais_strbuf_add(b, "\"><option value=\"\">");
		relais_strbuf_add(b, w->choose);
		relais_strbuf_add(b, "</option>");
		for (j = 0; j < q->n_choices; j++) {
			relais_strbuf_add(b, "<option value=\"");
			put_uint(b, j);
			relais_strbuf_add(b, "\">");
			relais_strbuf_add_html(b, q->choices[j]);
			relais_strbuf_add(b, "</option>");
		}
		relais_strbuf_add(b, "</select></div>\n");
		row++;
	}
}

static void render_form_question(struct relais_strbuf *b, const struct words *w,
                                 const struct question *q, size_t number)
{
	const char *blank = NULL;
	char value[32];
	size_t i;

	if (q->type == T_DESCRIPTION) {
		relais_strbuf_add(b, "<div class=\"relais-description\" id=\"");
		put_elem(b, q);
		relais_strbuf_add(b, "\">");
		if (q->title != NULL) {
			relais_strbuf_add(b, "<h2>");
			relais_strbuf_add_html(b, q->title);
			relais_strbuf_add(b, "</h2>");
		}
		relais_strbuf_add(b, q->text_html);
		relais_strbuf_add(b, "</div>\n");
		return;
	}
	relais_strbuf_add(b, "<fieldset class=\"relais-question relais-");
	relais_strbuf_add(b, type_names[q->type]);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "\"");
	if (q->category != NULL) {
		relais_strbuf_add(b, " data-category=\"");
		relais_strbuf_add_html(b, q->category);
		relais_strbuf_add(b, "\"");
	}
	relais_strbuf_add(b, ">\n<legend>");
	put_legend(b, w, q, number);
	relais_strbuf_add(b, "</legend>\n<div class=\"relais-text\">");
	/* A missing word typed in goes where the blank is. */
	if (q->missing_word && (q->type == T_SHORTANSWER || q->type == T_NUMERICAL)) {
		blank = strstr(q->text_html, BLANK);
	}
	if (blank != NULL) {
		relais_strbuf_addn(b, q->text_html, (size_t)(blank - q->text_html));
		put_text_input(b, w, q, 1);
		relais_strbuf_add(b, blank + strlen(BLANK));
	} else {
		relais_strbuf_add(b, q->text_html);
	}
	relais_strbuf_add(b, "</div>\n");
	switch (q->type) {
	case T_MULTICHOICE:
		for (i = 0; i < q->n_answers; i++) {
			(void)snprintf(value, sizeof(value), "%zu", i);
			put_choice(b, q, q->single ? "radio" : "checkbox", value,
			           q->answers[i].text_html);
		}
		break;
	case T_TRUEFALSE:
		put_choice(b, q, "radio", "true", w->yes);
		put_choice(b, q, "radio", "false", w->no);
		break;
	case T_SHORTANSWER:
	case T_NUMERICAL:
	case T_ESSAY:
		if (blank == NULL) {
			relais_strbuf_add(b, "<div class=\"relais-answer\">");
			put_text_input(b, w, q, 0);
			relais_strbuf_add(b, "</div>\n");
		}
		break;
	case T_MATCHING:
		put_matching_rows(b, w, q);
		break;
	case T_DESCRIPTION:
		break;
	}
	relais_strbuf_add(b, "</fieldset>\n");
}

int relais_quiz_render_form(char **out, relais_ctx *ctx, const relais_quiz *quiz, const char *lang)
{
	struct relais_strbuf b = {.max = RELAIS_QUIZ_MAX_HTML};
	const struct words *w = words_for(lang);
	size_t i, number = 0;

	for (i = 0; i < quiz->n_questions; i++) {
		const struct question *q = &quiz->questions[i];

		if (q->type != T_DESCRIPTION) {
			number++;
		}
		render_form_question(&b, w, q, number);
	}
	return buf_finish(out, &b, ctx);
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
static int names(const char *name, const struct question *q, size_t *row, size_t n_rows)
{
	size_t n = strlen(q->id);

	if (name == NULL || strncmp(name, "q-", 2) != 0 || strncmp(name + 2, q->id, n) != 0) {
		return 0;
	}
	name += 2 + n;
	if (row == NULL) {
		return *name == '\0';
	}
	return *name == '.' && read_index(row, name + 1, strlen(name + 1), n_rows) == 0;
}

/* The first usable value of q's single field, or NULL. */
static const char *single_value(const struct submission *s, const struct question *q)
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
                                const struct submission *s, const struct question *q, int *answered)
{
	unsigned char chosen[RELAIS_QUIZ_MAX_ANSWERS] = {0};
	const char *v;
	double raw = 0;
	size_t i, k;

	if (q->single) {
		v = single_value(s, q);
		if (v != NULL && read_index(&k, v, strlen(v), q->n_answers) == 0) {
			chosen[k] = 1;
		}
	} else {
		for (i = 0; i < s->n; i++) {
			v = s->fields[i].value;
			if (names(s->fields[i].name, q, NULL, 0) && usable(v) &&
			    read_index(&k, v, strlen(v), q->n_answers) == 0) {
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
                              const struct submission *s, const struct question *q, int *answered)
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
                                size_t n, const struct question *q, int *answered)
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
                              const struct question *q, int *answered)
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
			const struct answer *a = &q->answers[i];

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
                             const struct question *q, int *answered)
{
	size_t pick[RELAIS_QUIZ_MAX_ANSWERS], i, row, k, right = 0;
	unsigned char picked[RELAIS_QUIZ_MAX_ANSWERS] = {0};
	const char *v;

	for (i = 0; i < s->n; i++) {
		v = s->fields[i].value;
		if (names(s->fields[i].name, q, &row, q->n_rows) && !picked[row] && usable(v) &&
		    read_index(&k, v, strlen(v), q->n_choices) == 0) {
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
                          struct submission *s, const struct question *q)
{
	struct relais_strbuf resp = {.max = RELAIS_QUIZ_MAX_HTML},
	                     fb = {.max = RELAIS_QUIZ_MAX_HTML};
	const char *v = NULL, *text = "";
	size_t start = 0, n = 0;
	double raw = 0;
	int rc;

	r->id = q->id;
	r->scored = q->type != T_ESSAY && q->type != T_DESCRIPTION;
	if (q->type == T_SHORTANSWER || q->type == T_NUMERICAL || q->type == T_ESSAY) {
		v = single_value(s, q);
		if (v != NULL) {
			trim(v, &start, &n);
			text = v + start;
		}
	}
	switch (q->type) {
	case T_MULTICHOICE:
		raw = score_multichoice(&resp, &fb, s, q, &r->answered);
		break;
	case T_TRUEFALSE:
		raw = score_truefalse(&resp, &fb, s, q, &r->answered);
		break;
	case T_SHORTANSWER:
		raw = score_shortanswer(&resp, &fb, text, n, q, &r->answered);
		break;
	case T_NUMERICAL:
		raw = score_numerical(&resp, &fb, s, text, n, q, &r->answered);
		break;
	case T_MATCHING:
		raw = score_matching(&resp, s, q, &r->answered);
		break;
	case T_ESSAY:
		r->answered = n > 0;
		relais_strbuf_addn(&resp, text, n);
		break;
	case T_DESCRIPTION:
		break;
	}
	if (r->answered && q->general_feedback_html[0] != '\0') {
		relais_strbuf_add(&fb, "<div class=\"relais-general-feedback\">");
		relais_strbuf_add(&fb, q->general_feedback_html);
		relais_strbuf_add(&fb, "</div>");
	}
	*units = r->scored ? score_units(raw) : 0;
	r->score = (double)*units / 10000.0;
	if ((rc = buf_finish(&r->response, &resp, ctx)) != 0 ||
	    (rc = buf_finish(&r->feedback_html, &fb, ctx)) != 0) {
		free(fb.p);
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

/* ---- result ---- */

/* Writes a score in ten-thousandths as a short decimal: 1, 0.5, 0.3333. */
static void put_score(struct relais_strbuf *b, const struct words *w, long units)
{
	char tmp[32];
	int n;

	if (units < 0) {
		units = 0;
	}
	n = snprintf(tmp, sizeof(tmp), "%ld%c%04ld", units / 10000, w->decimal, units % 10000);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		return;
	}
	while (tmp[n - 1] == '0') {
		tmp[--n] = '\0';
	}
	if (tmp[n - 1] == w->decimal) {
		tmp[--n] = '\0';
	}
	relais_strbuf_add(b, tmp);
}

/*
 * Lists the items of a choice or matching response ("0[,]2", "0[.]1[,]1[.]0");
 * items that do not name an answer, row or choice of q are skipped.
 */
static void put_items(struct relais_strbuf *b, const struct question *q, const char *response)
{
	const char *p = response, *end, *dot;
	size_t k, row, i, r;

	relais_strbuf_add(b, "<ul class=\"relais-response-items\">");
	while (*p != '\0') {
		end = strstr(p, "[,]");
		if (end == NULL) {
			end = p + strlen(p);
		}
		if (q->type == T_MULTICHOICE) {
			if (read_index(&k, p, (size_t)(end - p), q->n_answers) == 0) {
				relais_strbuf_add(b, "<li>");
				put_inline_html(b, q->answers[k].text_html);
				relais_strbuf_add(b, "</li>");
			}
		} else {
			dot = strstr(p, "[.]");
			if (dot != NULL && dot < end &&
			    read_index(&row, p, (size_t)(dot - p), q->n_rows) == 0 &&
			    read_index(&k, dot + 3, (size_t)(end - dot - 3), q->n_choices) == 0) {
				/* Find the row's pair to show its left side. */
				for (i = 0, r = 0; i < q->n_pairs; i++) {
					if (q->pairs[i].question_html[0] == '\0') {
						continue;
					}
					if (r++ == row) {
						break;
					}
				}
				relais_strbuf_add(b, "<li class=\"");
				relais_strbuf_add(b, q->pairs[i].choice == k ? "relais-right"
				                                             : "relais-wrong");
				relais_strbuf_add(b, "\">");
				put_inline_html(b, q->pairs[i].question_html);
				relais_strbuf_add(b, " → ");
				relais_strbuf_add_html(b, q->choices[k]);
				relais_strbuf_add(b, "</li>");
			}
		}
		p = *end != '\0' ? end + 3 : end;
	}
	relais_strbuf_add(b, "</ul>");
}

/* What the learner typed, as text. */
static void put_typed(struct relais_strbuf *b, const char *text)
{
	relais_strbuf_add(b, "<span class=\"relais-typed\">");
	relais_strbuf_add_html(b, text);
	relais_strbuf_add(b, "</span>");
}

static void render_result_question(struct relais_strbuf *b, const struct words *w,
                                   const struct question *q, const struct relais_question_result *r,
                                   size_t number)
{
	long units = units_of(r->score);
	const char *status, *cls;

	if (!r->scored) {
		cls = "relais-unscored";
		status = NULL;
	} else if (!r->answered) {
		cls = "relais-unanswered";
		status = w->unanswered;
	} else if (units >= 10000) {
		cls = "relais-right";
		status = w->right;
	} else if (units > 0) {
		cls = "relais-partial";
		status = w->partly;
	} else {
		cls = "relais-wrong";
		status = w->wrong;
	}
	if (q->type == T_DESCRIPTION) {
		render_form_question(b, w, q, number); /* text only, same as the form */
		return;
	}
	relais_strbuf_add(b, "<section class=\"relais-question relais-result ");
	relais_strbuf_add(b, cls);
	relais_strbuf_add(b, "\" id=\"");
	put_elem(b, q);
	relais_strbuf_add(b, "\">\n<h2>");
	put_legend(b, w, q, number);
	relais_strbuf_add(b, "</h2>\n<div class=\"relais-text\">");
	relais_strbuf_add(b, q->text_html);
	relais_strbuf_add(b, "</div>\n");
	if (r->answered) {
		relais_strbuf_add(b, "<div class=\"relais-response\">");
		relais_strbuf_add(b, w->your_answer);
		relais_strbuf_add(b, w->colon);
		switch (q->type) {
		case T_MULTICHOICE:
		case T_MATCHING:
			put_items(b, q, r->response);
			break;
		case T_TRUEFALSE:
			if (strcmp(r->response, "true") == 0) {
				relais_strbuf_add(b, w->yes);
			} else if (strcmp(r->response, "false") == 0) {
				relais_strbuf_add(b, w->no);
			} else {
				put_typed(b, r->response); /* not ours: shown as it is */
			}
			break;
		case T_SHORTANSWER:
		case T_NUMERICAL:
		case T_ESSAY:
		case T_DESCRIPTION:
			put_typed(b, r->response);
			break;
		}
		relais_strbuf_add(b, "</div>\n");
	}
	if (status != NULL) {
		relais_strbuf_add(b, "<p class=\"relais-status\">");
		relais_strbuf_add(b, status);
		relais_strbuf_add(b, " (");
		put_score(b, w, units);
		relais_strbuf_add(b, " / 1)</p>\n");
	}
	if (r->feedback_html != NULL && r->feedback_html[0] != '\0') {
		relais_strbuf_add(b, "<div class=\"relais-feedbacks\">");
		relais_strbuf_add(b, r->feedback_html);
		relais_strbuf_add(b, "</div>\n");
	}
	relais_strbuf_add(b, "</section>\n");
}

int relais_quiz_render_result(char **out, relais_ctx *ctx, const relais_quiz *quiz,
                              const struct relais_quiz_result *result, const char *lang)
{
	struct relais_strbuf b = {.max = RELAIS_QUIZ_MAX_HTML};
	const struct words *w = words_for(lang);
	size_t i, number = 0;
	char pct[16];

	*out = NULL;
	if (result->n_questions != quiz->n_questions ||
	    (result->n_questions > 0 && result->questions == NULL)) {
		return relais_fail(ctx, RELAIS_EINVAL, "quiz: the result is not one of this quiz");
	}
	for (i = 0; i < result->n_questions; i++) {
		const struct relais_question_result *r = &result->questions[i];

		if (r->id == NULL || strcmp(r->id, quiz->questions[i].id) != 0 ||
		    r->response == NULL) {
			return relais_fail(ctx, RELAIS_EINVAL,
			                   "quiz: the result is not one of this quiz");
		}
	}
	relais_strbuf_add(&b, "<p class=\"relais-total\">");
	relais_strbuf_add(&b, w->score);
	relais_strbuf_add(&b, " ");
	put_score(&b, w, units_of(result->score));
	relais_strbuf_add(&b, " / ");
	put_uint(&b, result->max);
	(void)snprintf(pct, sizeof(pct), " (%d", result->percent);
	relais_strbuf_add(&b, pct);
	relais_strbuf_add(&b, w->percent);
	relais_strbuf_add(&b, ")</p>\n");
	for (i = 0; i < quiz->n_questions; i++) {
		if (quiz->questions[i].type != T_DESCRIPTION) {
			number++;
		}
		render_result_question(&b, w, &quiz->questions[i], &result->questions[i], number);
	}
	return buf_finish(out, &b, ctx);
}

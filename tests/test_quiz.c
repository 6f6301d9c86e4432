/* test_quiz.c: reading quiz JSON, scoring submissions and showing quizzes as HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "relais/context.h"
#include "relais/diag.h"
#include "relais/error.h"
#include "relais/gift.h"
#include "relais/manifest.h"
#include "quizpage.h"
#include "relais/quiz.h"

/* ---- building quizzes ---- */

#define HEAD(id, type, scored)                                                                     \
	"{\"id\":\"" id "\",\"type\":\"" type "\",\"scored\":" scored                              \
	",\"title\":null,\"category\":null,\"text_html\":\"Text of " id "\","                      \
	"\"missing_word\":false,\"general_feedback_html\":\"<i>general " id "</i>\""

/* One right, one half right, one wrong (with feedback), one negative. */
#define Q_SINGLE                                                                                   \
	HEAD("single", "multichoice", "true")                                                      \
	",\"single\":true,\"answers\":["                                                           \
	"{\"text_html\":\"Right\",\"fraction\":1,\"feedback_html\":\"fb-right\"},"                 \
	"{\"text_html\":\"Half\",\"fraction\":0.5,\"feedback_html\":\"fb-half\"},"                 \
	"{\"text_html\":\"Wrong\",\"fraction\":0,\"feedback_html\":\"fb-wrong\"},"                 \
	"{\"text_html\":\"Bad\",\"fraction\":-1,\"feedback_html\":\"\"}]}"

#define Q_MULTI                                                                                    \
	HEAD("multi", "multichoice", "true")                                                       \
	",\"single\":false,\"answers\":["                                                          \
	"{\"text_html\":\"A\",\"fraction\":0.5,\"feedback_html\":\"fb-a\"},"                       \
	"{\"text_html\":\"B\",\"fraction\":0.5,\"feedback_html\":\"fb-b\"},"                       \
	"{\"text_html\":\"C\",\"fraction\":-1,\"feedback_html\":\"fb-c\"},"                        \
	"{\"text_html\":\"D\",\"fraction\":-0.25,\"feedback_html\":\"\"}]}"

#define Q_THIRDS                                                                                   \
	HEAD("thirds", "multichoice", "true")                                                      \
	",\"single\":false,\"answers\":["                                                          \
	"{\"text_html\":\"A\",\"fraction\":0.33333,\"feedback_html\":\"\"},"                       \
	"{\"text_html\":\"B\",\"fraction\":0.33333,\"feedback_html\":\"\"},"                       \
	"{\"text_html\":\"C\",\"fraction\":0.33333,\"feedback_html\":\"\"},"                       \
	"{\"text_html\":\"D\",\"fraction\":0.33334,\"feedback_html\":\"\"},"                       \
	"{\"text_html\":\"E\",\"fraction\":0.01045,\"feedback_html\":\"\"},"                       \
	"{\"text_html\":\"F\",\"fraction\":-0.01045,\"feedback_html\":\"\"}]}"

#define Q_TF                                                                                       \
	HEAD("tf", "truefalse", "true")                                                            \
	",\"answer\":false,\"feedback_true_html\":\"fb-chose-true\","                              \
	"\"feedback_false_html\":\"fb-chose-false\"}"

#define Q_SHORT                                                                                    \
	HEAD("short", "shortanswer", "true")                                                       \
	",\"case_sensitive\":false,\"answers\":["                                                  \
	"{\"text\":\"Main courante\",\"fraction\":1,\"feedback_html\":\"fb-main\"},"               \
	"{\"text\":\"E\u0301tat  pilote\",\"fraction\":0.5,\"feedback_html\":\"fb-etat\"},"        \
	"{\"text\":\"ΟΔΟΣ\",\"fraction\":0.25,\"feedback_html\":\"fb-odos\"},"                 \
	"{\"text\":\" \\tPadded\\n\",\"fraction\":0.75,\"feedback_html\":\"\"},"                   \
	"{\"text\":\"main courante\",\"fraction\":0,\"feedback_html\":\"fb-never\"}]}"

#define Q_NUM                                                                                      \
	HEAD("num", "numerical", "true")                                                           \
	",\"answers\":["                                                                           \
	"{\"min\":3.1300000000000003,\"max\":3.1500000000000004,\"fraction\":1,\"feedback_html\":" \
	"\"fb-pi\"},"                                                                              \
	"{\"min\":12,\"max\":16,\"fraction\":0.5,\"feedback_html\":\"fb-range\"},"                 \
	"{\"min\":1e20,\"max\":1e20,\"fraction\":0.25,\"feedback_html\":\"fb-big\"}],"             \
	"\"other_feedback_html\":\"fb-other\"}"

/* Rows a->1, b->2, c->1; "3" is a distractor. choices: 1, 2, 3. */
#define Q_MATCH                                                                                    \
	HEAD("match", "matching", "true")                                                          \
	",\"pairs\":[{\"question_html\":\"a\",\"answer\":\"1\"},"                                  \
	"{\"question_html\":\"b\",\"answer\":\"2\"},"                                              \
	"{\"question_html\":\"\",\"answer\":\"3\"},"                                               \
	"{\"question_html\":\"c\",\"answer\":\"1\"},"                                              \
	"{\"question_html\":\"d\",\"answer\":\"2\"}],"                                             \
	"\"choices\":[\"1\",\"2\",\"3\"]}"

#define Q_ESSAY HEAD("essay", "essay", "false") "}"
#define Q_DESC HEAD("desc", "description", "false") "}"

#define QUIZ(questions) "{\"format\":\"relais-quiz\",\"version\":1,\"questions\":[" questions "]}"

#define ALL                                                                                        \
	QUIZ(Q_SINGLE "," Q_MULTI "," Q_THIRDS "," Q_TF "," Q_SHORT "," Q_NUM "," Q_MATCH          \
	              "," Q_ESSAY "," Q_DESC)

enum { I_SINGLE, I_MULTI, I_THIRDS, I_TF, I_SHORT, I_NUM, I_MATCH, I_ESSAY, I_DESC };

static relais_quiz *load(const char *json)
{
	relais_ctx *ctx = NULL;
	relais_quiz *quiz = NULL;
	int rc;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	rc = relais_quiz_parse(&quiz, ctx, json, strlen(json));
	if (rc != 0) {
		print_error("unexpected: %s\n", relais_errmsg(ctx));
	}
	assert_int_equal(rc, 0);
	assert_non_null(quiz);
	relais_ctx_free(ctx);
	return quiz;
}

static void refused_n(const char *json, size_t len, int want_rc, const char *want_msg)
{
	relais_ctx *ctx = NULL;
	relais_quiz *quiz = (relais_quiz *)1;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_quiz_parse(&quiz, ctx, json, len), want_rc);
	assert_null(quiz);
	if (strcmp(relais_errmsg(ctx), want_msg) != 0) {
		print_error("got message: %s\n", relais_errmsg(ctx));
	}
	assert_string_equal(relais_errmsg(ctx), want_msg);
	relais_ctx_free(ctx);
}

static void refused(const char *json, const char *want_msg)
{
	refused_n(json, strlen(json), RELAIS_EFORMAT, want_msg);
}

/* Scores fields against quiz; the caller clears *res. */
static void submit(struct relais_quiz_result *res, const relais_quiz *quiz,
                   const struct relais_form_field *fields, size_t n)
{
	relais_ctx *ctx = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_quiz_score(res, ctx, quiz, fields, n), 0);
	assert_int_equal(res->n_questions, relais_quiz_count(quiz));
	relais_ctx_free(ctx);
}

/* The result of question qi for one field name=value. */
struct one {
	double score;
	int answered;
	char response[256];
	char feedback[1024];
};

static struct one answer_n(const relais_quiz *quiz, size_t qi,
                           const struct relais_form_field *fields, size_t n)
{
	struct relais_quiz_result res;
	struct one o;

	submit(&res, quiz, fields, n);
	o.score = res.questions[qi].score;
	o.answered = res.questions[qi].answered;
	assert_non_null(res.questions[qi].response);
	assert_non_null(res.questions[qi].feedback_html);
	(void)snprintf(o.response, sizeof(o.response), "%s", res.questions[qi].response);
	(void)snprintf(o.feedback, sizeof(o.feedback), "%s", res.questions[qi].feedback_html);
	relais_quiz_result_clear(&res);
	return o;
}

static struct one answer(const relais_quiz *quiz, size_t qi, const char *name, const char *value)
{
	struct relais_form_field f = {name, value};

	return answer_n(quiz, qi, &f, 1);
}

static int has(const char *haystack, const char *needle)
{
	return strstr(haystack, needle) != NULL;
}

static int count_of(const char *haystack, const char *needle)
{
	int n = 0;

	while ((haystack = strstr(haystack, needle)) != NULL) {
		n++;
		haystack += strlen(needle);
	}
	return n;
}

/* ---- parsing ---- */

static void parse_every_type(void **state)
{
	relais_quiz *quiz = load(ALL);

	(void)state;
	assert_int_equal(relais_quiz_count(quiz), 9);
	relais_quiz_free(quiz);
	relais_quiz_free(NULL);
}

static void parse_ignores_unknown_fields(void **state)
{
	relais_quiz *quiz =
	        load("{\"format\":\"relais-quiz\",\"version\":1,\"extra\":[1,2],"
	             "\"questions\":[" HEAD("tf", "truefalse",
	                                    "true") ",\"new\":{},"
	                                            "\"answer\":true,\"feedback_true_html\":\"\","
	                                            "\"feedback_false_html\":\"\"}]}");

	(void)state;
	assert_int_equal(relais_quiz_count(quiz), 1);
	relais_quiz_free(quiz);
}

static void parse_refuses_bad_documents(void **state)
{
	(void)state;
	refused("", "quiz: not valid json");
	refused("[1]", "quiz: not a json object");
	refused(QUIZ(Q_TF) " x", "quiz: not valid json");
	refused("{\"format\":\"moodle\",\"version\":1,\"questions\":[" Q_TF "]}",
	        "quiz: format is not relais-quiz");
	refused("{\"version\":1,\"questions\":[" Q_TF "]}", "quiz: format must be a string");
	refused("{\"format\":\"relais-quiz\",\"version\":2,\"questions\":[" Q_TF "]}",
	        "quiz: version is not supported");
	refused("{\"format\":\"relais-quiz\",\"version\":\"1\",\"questions\":[" Q_TF "]}",
	        "quiz: version must be a number");
	refused("{\"format\":\"relais-quiz\",\"version\":1,\"questions\":[]}",
	        "quiz: no questions");
	refused("{\"format\":\"relais-quiz\",\"version\":1}", "quiz: questions must be an array");
	refused_n(QUIZ(Q_TF), sizeof(QUIZ(Q_TF)), RELAIS_EFORMAT, "quiz: not json text");
}

static void parse_refuses_bad_questions(void **state)
{
	(void)state;
	refused(QUIZ("1"), "quiz: questions[0] is not an object");
	refused(QUIZ(Q_TF "," HEAD("Big", "essay", "false") "}"),
	        "quiz: questions[1]: id is not a valid question id");
	refused(QUIZ(HEAD("", "essay", "false") "}"),
	        "quiz: questions[0]: id is not a valid question id");
	refused(QUIZ(HEAD("x0123456789012345678901234567890123456789012345678901234567890123",
	                  "essay", "false") "}"),
	        "quiz: questions[0]: id is not a valid question id");
	refused(QUIZ(Q_TF "," Q_TF), "quiz: questions[1]: id tf is used twice");
	refused(QUIZ(HEAD("x", "cloze", "true") "}"), "quiz: question x: type is not a known type");
	refused(QUIZ(HEAD("x", "essay", "true") "}"),
	        "quiz: question x: scored does not fit type essay");
	refused(QUIZ("{\"id\":\"x\",\"type\":\"essay\",\"scored\":false,\"title\":3,"
	             "\"category\":null,\"text_html\":\"t\",\"missing_word\":false,"
	             "\"general_feedback_html\":\"\"}"),
	        "quiz: question x: title must be a string or null");
	refused(QUIZ("{\"id\":\"x\",\"type\":\"essay\",\"scored\":false,\"title\":null,"
	             "\"category\":null,\"text_html\":\"\",\"missing_word\":false,"
	             "\"general_feedback_html\":\"\"}"),
	        "quiz: question x: text_html is empty");
	refused(QUIZ("{\"id\":\"x\",\"type\":\"essay\",\"scored\":false,\"title\":null,"
	             "\"category\":null,\"text_html\":\"t\",\"missing_word\":0,"
	             "\"general_feedback_html\":\"\"}"),
	        "quiz: question x: missing_word must be true or false");
	refused(QUIZ("{\"id\":\"x\",\"type\":\"essay\",\"scored\":false,\"title\":null,"
	             "\"category\":\"\xff\",\"text_html\":\"t\",\"missing_word\":false,"
	             "\"general_feedback_html\":\"\"}"),
	        "quiz: question x: category is not valid utf-8");
	refused(QUIZ(HEAD("x", "essay", "false") "}," HEAD("y", "essay", "false")),
	        "quiz: not valid json");
}

static void parse_refuses_bad_answers(void **state)
{
	(void)state;
	refused(QUIZ(HEAD("x", "multichoice", "true") ",\"single\":true,\"answers\":["
	                                              "{\"text_html\":\"a\",\"fraction\":1,"
	                                              "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: answers needs at least 2 items");
	refused(QUIZ(HEAD("x", "multichoice", "true") ",\"single\":true,\"answers\":["
	                                              "{\"text_html\":\"a\",\"fraction\":1,"
	                                              "\"feedback_html\":\"\"},"
	                                              "{\"text_html\":\"b\",\"fraction\":1.5,"
	                                              "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: answers[1].fraction is out of range");
	refused(QUIZ(HEAD("x", "multichoice", "true") ",\"single\":\"yes\",\"answers\":[]}"),
	        "quiz: question x: single must be true or false");
	refused(QUIZ(HEAD("x", "truefalse",
	                  "true") ",\"answer\":true,\"feedback_true_html\":\"\"}"),
	        "quiz: question x: feedback_false_html must be a string");
	refused(QUIZ(HEAD("x", "shortanswer", "true") ",\"case_sensitive\":true,\"answers\":["
	                                              "{\"text\":\"a\",\"fraction\":1,"
	                                              "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: case_sensitive must be false in version 1");
	refused(QUIZ(HEAD("x", "shortanswer", "true") ",\"case_sensitive\":false,\"answers\":["
	                                              "{\"text\":\"a\",\"fraction\":0.5,"
	                                              "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: no answer has fraction 1");
	refused(QUIZ(HEAD("x", "shortanswer", "true") ",\"case_sensitive\":false,\"answers\":["
	                                              "{\"text\":\"\",\"fraction\":1,"
	                                              "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: answers[0].text is empty");
	refused(QUIZ(HEAD("x", "numerical", "true") ",\"other_feedback_html\":\"\",\"answers\":["
	                                            "{\"min\":2,\"max\":1,\"fraction\":1,"
	                                            "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: answers[0].min is above max");
	refused(QUIZ(HEAD("x", "numerical", "true") ",\"answers\":["
	                                            "{\"min\":1,\"max\":1,\"fraction\":1,"
	                                            "\"feedback_html\":\"\"}]}"),
	        "quiz: question x: other_feedback_html must be a string");
	refused(QUIZ(HEAD("x", "matching", "true") ",\"pairs\":["
	                                           "{\"question_html\":\"a\",\"answer\":\"1\"},"
	                                           "{\"question_html\":\"\",\"answer\":\"2\"}],"
	                                           "\"choices\":[\"1\",\"2\"]}"),
	        "quiz: question x: pairs has fewer than 2 rows");
	refused(QUIZ(HEAD("x", "matching", "true") ",\"pairs\":["
	                                           "{\"question_html\":\"a\",\"answer\":\"1\"},"
	                                           "{\"question_html\":\"b\",\"answer\":\"2\"}],"
	                                           "\"choices\":[\"1\"]}"),
	        "quiz: question x: pairs[1].answer is not in choices");
	refused(QUIZ(HEAD("x", "matching", "true") ",\"pairs\":["
	                                           "{\"question_html\":\"a\",\"answer\":\"1\"},"
	                                           "{\"question_html\":\"b\",\"answer\":\"2\"}],"
	                                           "\"choices\":[\"1\",\"2\",\"3\"]}"),
	        "quiz: question x: choices[2] is no pair's answer");
	refused(QUIZ(HEAD("x", "matching", "true") ",\"pairs\":["
	                                           "{\"question_html\":\"a\",\"answer\":\"1\"},"
	                                           "{\"question_html\":\"b\",\"answer\":\"2\"}],"
	                                           "\"choices\":[\"1\",\"2\",\"1\"]}"),
	        "quiz: question x: choices[2] is repeated");
}

/* Rows post "q-<id>.<row>": a question named "match-1" beside "match" is fine. */
static void ids_that_look_like_rows(void **state)
{
	struct relais_form_field fields[] = {{"q-match-1", "1"}};
	struct relais_quiz_result r;
	relais_quiz *quiz;
	relais_ctx *ctx = NULL;

	(void)state;
	quiz = load(QUIZ(Q_MATCH "," HEAD("match-1", "essay", "false") "}"));
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_quiz_score(&r, ctx, quiz, fields, 1), 0);
	/* The essay's field answered nothing of the matching question. */
	for (size_t i = 0; i < r.n_questions; i++) {
		if (strcmp(r.questions[i].id, "match") == 0) {
			assert_false(r.questions[i].answered);
		}
	}
	relais_quiz_result_clear(&r);
	relais_ctx_free(ctx);
	relais_quiz_free(quiz);
}

static void parse_limits(void **state)
{
	size_t cap = 600 * 200 + 100, len, i;
	char *json = malloc(cap);

	(void)state;
	assert_non_null(json);
	len = (size_t)snprintf(json, cap,
	                       "{\"format\":\"relais-quiz\",\"version\":1,\"questions\":[");
	for (i = 0; i < 501; i++) {
		len += (size_t)snprintf(
		        json + len, cap - len,
		        "%s{\"id\":\"q%zu\",\"type\":\"description\",\"scored\":false,"
		        "\"title\":null,\"category\":null,\"text_html\":\"t\","
		        "\"missing_word\":false,\"general_feedback_html\":\"\"}",
		        i ? "," : "", i);
	}
	len += (size_t)snprintf(json + len, cap - len, "]}");
	assert_true(len < cap);
	refused_n(json, len, RELAIS_ELIMIT, "quiz: more than 500 questions");
	refused_n(json, RELAIS_QUIZ_MAX_BYTES + 1, RELAIS_ELIMIT,
	          "quiz: larger than 2097152 bytes");
	free(json);

	/* 101 answers */
	cap = 101 * 80 + 400;
	json = malloc(cap);
	assert_non_null(json);
	len = (size_t)snprintf(
	        json, cap,
	        "{\"format\":\"relais-quiz\",\"version\":1,\"questions\":[" HEAD(
	                "x", "multichoice", "true") ",\"single\":true,\"answers\":[");
	for (i = 0; i < 101; i++) {
		len += (size_t)snprintf(
		        json + len, cap - len,
		        "%s{\"text_html\":\"a\",\"fraction\":1,\"feedback_html\":\"\"}",
		        i ? "," : "");
	}
	len += (size_t)snprintf(json + len, cap - len, "]}]}");
	assert_true(len < cap);
	refused_n(json, len, RELAIS_ELIMIT, "quiz: question x: answers has more than 100 items");
	free(json);
}

/* ---- scoring ---- */

static void score_single_choice(void **state)
{
	relais_quiz *quiz = load(ALL);
	struct relais_form_field two[] = {{"q-single", "2"}, {"q-single", "0"}};
	struct one o;

	(void)state;
	o = answer(quiz, I_SINGLE, "q-single", "0");
	assert_true(o.score == 1 && o.answered);
	assert_string_equal(o.response, "0");
	assert_string_equal(o.feedback, "<div class=\"relais-feedback\">fb-right</div>"
	                                "<div class=\"relais-general-feedback\"><i>general "
	                                "single</i></div>");
	o = answer(quiz, I_SINGLE, "q-single", "1");
	assert_true(o.score == 0.5);
	assert_true(has(o.feedback, "fb-half"));
	o = answer(quiz, I_SINGLE, "q-single", "2");
	assert_true(o.score == 0 && o.answered);
	assert_true(has(o.feedback, "fb-wrong") && has(o.feedback, "general single"));
	o = answer(quiz, I_SINGLE, "q-single", "3");
	assert_true(o.score == 0 && o.answered); /* -1 clamps to 0 */
	/* One choice only: the first value counts. */
	o = answer_n(quiz, I_SINGLE, two, 2);
	assert_true(o.score == 0);
	assert_string_equal(o.response, "2");
	/* Answers that do not exist are no answer: no feedback at all. */
	o = answer(quiz, I_SINGLE, "q-single", "4");
	assert_true(o.score == 0 && !o.answered);
	assert_string_equal(o.response, "");
	assert_string_equal(o.feedback, "");
	o = answer(quiz, I_SINGLE, "q-single", "01");
	assert_false(o.answered);
	o = answer(quiz, I_SINGLE, "q-single", "-0");
	assert_false(o.answered);
	o = answer(quiz, I_SINGLE, "q-single", "");
	assert_false(o.answered);
	o = answer(quiz, I_SINGLE, "q-singles", "0");
	assert_false(o.answered);
	relais_quiz_free(quiz);
}

static void score_multiple_choice(void **state)
{
	relais_quiz *quiz = load(ALL);
	struct relais_form_field both[] = {{"q-multi", "1"}, {"q-multi", "0"}};
	struct relais_form_field twice[] = {{"q-multi", "0"}, {"q-multi", "0"}};
	struct relais_form_field with_d[] = {{"q-multi", "0"}, {"q-multi", "1"}, {"q-multi", "3"}};
	struct relais_form_field with_c[] = {{"q-multi", "0"}, {"q-multi", "2"}};
	struct relais_form_field all[] = {
	        {"q-multi", "0"}, {"q-multi", "1"}, {"q-multi", "2"}, {"q-multi", "3"}};
	struct one o;

	(void)state;
	o = answer_n(quiz, I_MULTI, both, 2);
	assert_true(o.score == 1);
	assert_string_equal(o.response, "0[,]1"); /* answer order, not submission order */
	assert_true(has(o.feedback, "fb-a") && has(o.feedback, "fb-b"));
	assert_true(strstr(o.feedback, "fb-a") < strstr(o.feedback, "fb-b"));
	o = answer(quiz, I_MULTI, "q-multi", "1");
	assert_true(o.score == 0.5);
	o = answer_n(quiz, I_MULTI, twice, 2); /* a repeated box counts once */
	assert_true(o.score == 0.5);
	assert_string_equal(o.response, "0");
	o = answer_n(quiz, I_MULTI, with_d, 3); /* negative weights take marks away */
	assert_true(o.score == 0.75);
	o = answer_n(quiz, I_MULTI, with_c, 2); /* 0.5 - 1 clamps to 0 */
	assert_true(o.score == 0 && o.answered);
	assert_true(has(o.feedback, "fb-c"));
	o = answer_n(quiz, I_MULTI, all, 4);
	assert_true(o.score == 0);
	o = answer_n(quiz, I_MULTI, NULL, 0);
	assert_true(o.score == 0 && !o.answered);
	relais_quiz_free(quiz);
}

static void score_round4(void **state)
{
	relais_quiz *quiz = load(ALL);
	struct relais_form_field three[] = {
	        {"q-thirds", "0"}, {"q-thirds", "1"}, {"q-thirds", "2"}};
	struct relais_form_field mixed[] = {
	        {"q-thirds", "0"}, {"q-thirds", "1"}, {"q-thirds", "3"}};
	struct relais_form_field two[] = {{"q-thirds", "0"}, {"q-thirds", "1"}};
	struct relais_form_field half[] = {{"q-thirds", "4"}};
	struct relais_form_field minus[] = {{"q-thirds", "0"}, {"q-thirds", "5"}};
	struct one o;

	(void)state;
	o = answer_n(quiz, I_THIRDS, three, 3); /* 0.99999 rounds to 1 */
	assert_true(o.score == 1);
	o = answer_n(quiz, I_THIRDS, mixed, 3); /* 33.333% + 33.333% + 33.334% */
	assert_true(o.score == 1);
	o = answer_n(quiz, I_THIRDS, two, 2);
	assert_true(o.score == 0.6667);
	/* A half goes up, also when binary holds 0.01045 as 0.0104499999... */
	o = answer_n(quiz, I_THIRDS, half, 1);
	assert_true(o.score == 0.0105);
	o = answer_n(quiz, I_THIRDS, minus, 2); /* 0.33333 - 0.01045 = 0.32288 */
	assert_true(o.score == 0.3229);
	relais_quiz_free(quiz);
}

static void score_truefalse(void **state)
{
	relais_quiz *quiz = load(ALL);
	struct one o;

	(void)state;
	o = answer(quiz, I_TF, "q-tf", "false");
	assert_true(o.score == 1 && o.answered);
	assert_string_equal(o.response, "false");
	assert_true(has(o.feedback, "fb-chose-false") && !has(o.feedback, "fb-chose-true"));
	o = answer(quiz, I_TF, "q-tf", "true");
	assert_true(o.score == 0 && o.answered);
	assert_true(has(o.feedback, "fb-chose-true") && has(o.feedback, "general tf"));
	o = answer(quiz, I_TF, "q-tf", "TRUE");
	assert_false(o.answered);
	assert_string_equal(o.feedback, "");
	relais_quiz_free(quiz);
}

static void score_shortanswer(void **state)
{
	relais_quiz *quiz = load(ALL);
	char long_value[RELAIS_QUIZ_MAX_VALUE + 2];
	struct relais_form_field bad_then_good[] = {{"q-short", long_value},
	                                            {"q-short", "main courante"}};
	struct one o;

	(void)state;
	o = answer(quiz, I_SHORT, "q-short", "Main courante");
	assert_true(o.score == 1);
	assert_true(has(o.feedback, "fb-main") && !has(o.feedback, "fb-never"));
	o = answer(quiz, I_SHORT, "q-short", "MAIN COURANTE"); /* case */
	assert_true(o.score == 1);
	o = answer(quiz, I_SHORT, "q-short", "\t main \n  courante \r\n"); /* white space */
	assert_true(o.score == 1);
	assert_string_equal(o.response, "main \n  courante"); /* recorded trimmed */
	o = answer(quiz, I_SHORT, "q-short", "maincourante");
	assert_true(o.score == 0 && o.answered);
	assert_false(has(o.feedback, "relais-feedback\""));
	assert_true(has(o.feedback, "general short"));
	/* NFC: the answer was written decomposed, the learner types é; and the
	 * other way round, in capitals. */
	o = answer(quiz, I_SHORT, "q-short", "\u00e9tat pilote");
	assert_true(o.score == 0.5);
	assert_true(has(o.feedback, "fb-etat"));
	o = answer(quiz, I_SHORT, "q-short", "E\u0301TAT PILOTE");
	assert_true(o.score == 0.5);
	/* Full case mapping with a final sigma, as JavaScript lower-cases. */
	o = answer(quiz, I_SHORT, "q-short", "οδος");
	assert_true(o.score == 0.25);
	o = answer(quiz, I_SHORT, "q-short", "οδοσ");
	assert_true(o.score == 0);
	/* norm() applies to the answers too. */
	o = answer(quiz, I_SHORT, "q-short", "padded");
	assert_true(o.score == 0.75);
	/* A no-break space is not white space. */
	o = answer(quiz, I_SHORT, "q-short", "main\u00a0courante");
	assert_true(o.score == 0 && o.answered);
	/* Blank is no answer. */
	o = answer(quiz, I_SHORT, "q-short", " \t\n");
	assert_true(o.score == 0 && !o.answered);
	assert_string_equal(o.feedback, "");
	/* Too long, or not UTF-8: ignored, and the next usable value counts. */
	memset(long_value, 'a', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	o = answer(quiz, I_SHORT, "q-short", long_value);
	assert_false(o.answered);
	o = answer_n(quiz, I_SHORT, bad_then_good, 2);
	assert_true(o.score == 1);
	o = answer(quiz, I_SHORT, "q-short", "main courant\xe9");
	assert_false(o.answered);
	relais_quiz_free(quiz);
}

static void score_numerical(void **state)
{
	static const struct {
		const char *value;
		double score;
		const char *feedback;
	} cases[] = {
	        {"3.14", 1, "fb-pi"},
	        {"3,14", 1, "fb-pi"},
	        {" +3.140 ", 1, "fb-pi"},
	        {"314e-2", 1, "fb-pi"},
	        {"0.0314E+2", 1, "fb-pi"},
	        /* 3.14 - 0.01 is stored as 3.1300000000000003: ε lets 3.13 in. */
	        {"3.13", 1, "fb-pi"},
	        {"3,15", 1, "fb-pi"},
	        {"3.1300000001", 1, "fb-pi"},
	        {"3.1299999999", 1, "fb-pi"}, /* within ε = 3.15e-9 */
	        {"3.129999", 0, "fb-other"},
	        {"3.150001", 0, "fb-other"},
	        {"12", 0.5, "fb-range"},
	        {"16.", 0.5, "fb-range"},
	        {"16.00000001", 0.5, "fb-range"}, /* within ε = 1.6e-8 */
	        {"16.0000001", 0, "fb-other"},
	        {"1e20", 0.25, "fb-big"},
	        {"100000000000000000000", 0.25, "fb-big"},
	        {"1.00000000001e20", 0.25, "fb-big"}, /* ε scales with the value */
	        {"1.00001e20", 0, "fb-other"},
	        {".5", 0, "fb-other"},
	        {"-0", 0, "fb-other"},
	        {"1e999", 0, "fb-other"},
	        /* Not numbers. */
	        {"abc", 0, "fb-other"},
	        {"3.14 cm", 0, "fb-other"},
	        {"1 000", 0, "fb-other"},
	        {"1.2.3", 0, "fb-other"},
	        {"3.1,4", 0, "fb-other"},
	        {"e5", 0, "fb-other"},
	        {".", 0, "fb-other"},
	        {",e1", 0, "fb-other"},
	        {"1e", 0, "fb-other"},
	        {"1e+", 0, "fb-other"},
	        {"+-1", 0, "fb-other"},
	        {"0x10", 0, "fb-other"},
	        {"inf", 0, "fb-other"},
	        {"nan", 0, "fb-other"},
	        {"١٢", 0, "fb-other"},
	};
	relais_quiz *quiz = load(ALL);
	struct one o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = answer(quiz, I_NUM, "q-num", cases[i].value);
		if (o.score != cases[i].score || !has(o.feedback, cases[i].feedback)) {
			print_error("'%s': score %g, feedback %s\n", cases[i].value, o.score,
			            o.feedback);
		}
		assert_true(o.score == cases[i].score);
		assert_true(o.answered);
		assert_true(has(o.feedback, cases[i].feedback));
		assert_true(has(o.feedback, "general num"));
		assert_int_equal(count_of(o.feedback, "relais-feedback\""), 1);
	}
	o = answer(quiz, I_NUM, "q-num", "  ");
	assert_false(o.answered);
	assert_string_equal(o.feedback, "");
	relais_quiz_free(quiz);
}

static void score_matching(void **state)
{
	relais_quiz *quiz = load(ALL);
	/* choices: 0 "1", 1 "2", 2 "3" (distractor); rows a->1 b->2 c->1 d->2 */
	struct relais_form_field right[] = {
	        {"q-match.0", "0"}, {"q-match.1", "1"}, {"q-match.2", "0"}, {"q-match.3", "1"}};
	struct relais_form_field half[] = {
	        {"q-match.0", "0"}, {"q-match.1", "2"}, {"q-match.2", "0"}, {"q-match.3", ""}};
	struct relais_form_field junk[] = {
	        {"q-match.4", "0"}, {"q-match.00", "0"},  {"q-match.1", "3"},  {"q-match", "0"},
	        {"q-match.", "0"},  {"q-match.0.0", "0"}, {"q-match.2", "0 "}, {"q-match.3", "1"}};
	struct relais_form_field first[] = {{"q-match.0", "1"}, {"q-match.0", "0"}};
	struct one o;

	(void)state;
	o = answer_n(quiz, I_MATCH, right, 4);
	assert_true(o.score == 1 && o.answered);
	assert_string_equal(o.response, "0[.]0[,]1[.]1[,]2[.]0[,]3[.]1");
	assert_true(has(o.feedback, "general match"));
	o = answer_n(quiz, I_MATCH, half, 4); /* the distractor is right for no row */
	assert_true(o.score == 0.5);
	assert_string_equal(o.response, "0[.]0[,]1[.]2[,]2[.]0");
	o = answer_n(quiz, I_MATCH, junk, 8); /* only row 3 is well formed */
	assert_true(o.score == 0.25);
	assert_string_equal(o.response, "3[.]1");
	o = answer_n(quiz, I_MATCH, first, 2);
	assert_true(o.score == 0);
	o = answer(quiz, I_MATCH, "q-match.0", "");
	assert_true(o.score == 0 && !o.answered);
	assert_string_equal(o.feedback, "");
	relais_quiz_free(quiz);
}

static void score_whole_quiz(void **state)
{
	relais_quiz *quiz = load(ALL);
	struct relais_form_field fields[] = {
	        {"q-single", "0"}, {"q-multi", "0"},
	        {"q-tf", "true"},  {"q-essay", " Text "},
	        {"q-desc", "x"},   {"unknown", "1"},
	        {NULL, "1"},       {"q-thirds", NULL},
	        {"q-num", "99"},   {"q-short", "main  courante"},
	};
	struct relais_quiz_result res;

	(void)state;
	submit(&res, quiz, fields, sizeof(fields) / sizeof(fields[0]));
	/* single 1 + multi 0.5 + short 1 = 2.5 of 7 scored questions. */
	assert_int_equal(res.max, 7);
	assert_true(res.score == 2.5);
	assert_true(res.scaled == 2.5 / 7);
	assert_int_equal(res.percent, 35);
	assert_string_equal(res.questions[I_SINGLE].id, "single");
	assert_false(res.questions[I_ESSAY].scored);
	assert_true(res.questions[I_ESSAY].answered);
	assert_string_equal(res.questions[I_ESSAY].response, "Text");
	assert_true(has(res.questions[I_ESSAY].feedback_html, "general essay"));
	assert_false(res.questions[I_DESC].scored);
	assert_false(res.questions[I_DESC].answered);
	assert_false(res.questions[I_THIRDS].answered);
	assert_false(res.questions[I_MATCH].answered);
	assert_true(res.questions[I_NUM].answered);
	assert_true(has(res.questions[I_NUM].feedback_html, "fb-other"));
	relais_quiz_result_clear(&res);
	relais_quiz_result_clear(&res);
	relais_quiz_result_clear(NULL);

	/* Percentages floor: 2 of 3 is 66, all is 100, nothing scored is 0. */
	relais_quiz_free(quiz);
	quiz = load(QUIZ(Q_TF "," HEAD("tf2", "truefalse",
	                               "true") ",\"answer\":true,"
	                                       "\"feedback_true_html\":\"\","
	                                       "\"feedback_false_html\":\"\"}," Q_SINGLE));
	{
		struct relais_form_field two[] = {{"q-tf", "false"}, {"q-tf2", "true"}};
		struct relais_form_field three[] = {
		        {"q-tf", "false"}, {"q-tf2", "true"}, {"q-single", "0"}};

		submit(&res, quiz, two, 2);
		assert_int_equal(res.percent, 66);
		relais_quiz_result_clear(&res);
		submit(&res, quiz, three, 3);
		assert_int_equal(res.percent, 100);
		assert_true(res.scaled == 1);
		relais_quiz_result_clear(&res);
	}
	relais_quiz_free(quiz);
	quiz = load(QUIZ(Q_ESSAY "," Q_DESC));
	submit(&res, quiz, NULL, 0);
	assert_int_equal(res.max, 0);
	assert_true(res.scaled == 0 && res.percent == 0);
	relais_quiz_result_clear(&res);
	relais_quiz_free(quiz);
}

/* ---- rendering ---- */

/* Every <input>, <select> and <textarea> has an id that a <label for> names. */
static int check_labels(const char *html)
{
	static const char *const tags[] = {"<input ", "<select ", "<textarea "};
	char want[160];
	const char *p, *id, *end;
	size_t t;
	int n = 0;

	for (t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		for (p = strstr(html, tags[t]); p != NULL; p = strstr(p + 1, tags[t])) {
			id = strstr(p, " id=\"");
			assert_non_null(id);
			assert_true(id < strchr(p, '>'));
			id += 5;
			end = strchr(id, '"');
			assert_non_null(end);
			(void)snprintf(want, sizeof(want), "<label for=\"%.*s\"", (int)(end - id),
			               id);
			if (count_of(html, want) != 1) {
				print_error("no single label for %.*s\n", (int)(end - id), id);
			}
			assert_int_equal(count_of(html, want), 1);
			n++;
		}
	}
	return n;
}

static char *form(const relais_quiz *quiz, const char *lang)
{
	relais_ctx *ctx = NULL;
	char *html = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_reader_quiz_form(&html, ctx, quiz, NULL, lang), 0);
	assert_non_null(html);
	relais_ctx_free(ctx);
	return html;
}

static void render_form_controls(void **state)
{
	relais_quiz *quiz = load(ALL);
	char *html = form(quiz, "en");

	(void)state;
	/* 4 + 4 + 6 choices, 2 true/false, short, number, 4 rows, essay. */
	assert_int_equal(check_labels(html), 4 + 4 + 6 + 2 + 1 + 1 + 4 + 1);
	assert_int_equal(count_of(html, "<fieldset"), 8); /* not the description */
	assert_int_equal(count_of(html, "<legend>"), 8);
	assert_int_equal(count_of(html, "type=\"radio\" name=\"q-single\""), 4);
	assert_int_equal(count_of(html, "type=\"checkbox\" name=\"q-multi\""), 4);
	assert_int_equal(count_of(html, "type=\"radio\" name=\"q-tf\""), 2);
	assert_true(has(html, "value=\"true\"> <label for=\"relais-tf_true\">True</label>"));
	assert_true(has(html, ">False</label>"));
	assert_true(has(html, "name=\"q-short\""));
	assert_true(has(html, "inputmode=\"decimal\" name=\"q-num\""));
	assert_false(has(html, "inputmode=\"decimal\" name=\"q-short\""));
	assert_true(has(html, "<textarea rows=\"6\" maxlength=\"333\" name=\"q-essay\""));
	assert_int_equal(count_of(html, "<select name=\"q-match."), 4);
	assert_int_equal(count_of(html, "<option value=\"\">Choose…</option>"), 4);
	assert_int_equal(count_of(html, "<option value=\"2\">3</option>"), 4);
	assert_true(has(html, "<legend>Question 1</legend>"));
	assert_true(has(html, "<legend>Question 8</legend>"));
	/* HTML fields go in as they are. */
	assert_true(has(html, "Text of desc"));
	assert_false(has(html, "general single")); /* feedback waits for the result */
	assert_false(has(html, "fb-right"));
	free(html);

	html = form(quiz, "fr");
	assert_int_equal(check_labels(html), 23);
	assert_true(has(html, ">Vrai</label>") && has(html, ">Faux</label>"));
	assert_true(has(html, "<option value=\"\">Choisir…</option>"));
	assert_true(has(html, ">Votre réponse</label>"));
	free(html);
	relais_quiz_free(quiz);
}

#define EVIL "<script>alert(1)</script>"
#define EVIL_ESC "&lt;script&gt;alert(1)&lt;/script&gt;"

static void render_form_escapes_plain_text(void **state)
{
	relais_quiz *quiz = load(
	        QUIZ("{\"id\":\"m\",\"type\":\"matching\",\"scored\":true,\"title\":\"" EVIL "\","
	             "\"category\":\"c\\\"" EVIL "\",\"text_html\":\"<b>bold</b>\","
	             "\"missing_word\":false,\"general_feedback_html\":\"\","
	             "\"pairs\":[{\"question_html\":\"<p>left</p>\",\"answer\":\"" EVIL "\"},"
	             "{\"question_html\":\"<p>a</p><p>b</p>\",\"answer\":\"x & 'y'\"}],"
	             "\"choices\":[\"" EVIL "\",\"x & 'y'\"]}"));
	char *html = form(quiz, NULL);

	(void)state;
	assert_false(has(html, "<script"));
	assert_true(has(html, "<legend>" EVIL_ESC "</legend>"));
	assert_true(has(html, "data-category=\"c&quot;" EVIL_ESC "\""));
	assert_int_equal(count_of(html, ">" EVIL_ESC "</option>"), 2);
	assert_true(has(html, ">x &amp; &#39;y&#39;</option>"));
	assert_true(has(html, "<b>bold</b>"));
	/* A one-paragraph label loses its <p>; two paragraphs stay. */
	assert_true(has(html, "\">left</label>"));
	assert_true(has(html, "\"><p>a</p><p>b</p></label>"));
	assert_int_equal(check_labels(html), 2);
	free(html);
	relais_quiz_free(quiz);
}

static void render_form_missing_word(void **state)
{
	relais_quiz *quiz =
	        load(QUIZ("{\"id\":\"mw\",\"type\":\"numerical\",\"scored\":true,\"title\":null,"
	                  "\"category\":null,\"text_html\":\"<p>It takes _____ days.</p>\","
	                  "\"missing_word\":true,\"general_feedback_html\":\"\","
	                  "\"answers\":[{\"min\":10,\"max\":10,\"fraction\":1,"
	                  "\"feedback_html\":\"\"}],\"other_feedback_html\":\"\"},"
	                  "{\"id\":\"mc\",\"type\":\"multichoice\",\"scored\":true,\"title\":null,"
	                  "\"category\":null,\"text_html\":\"Grant is _____ here.\","
	                  "\"missing_word\":true,\"general_feedback_html\":\"\",\"single\":true,"
	                  "\"answers\":[{\"text_html\":\"buried\",\"fraction\":0,"
	                  "\"feedback_html\":\"\"},{\"text_html\":\"entombed\",\"fraction\":1,"
	                  "\"feedback_html\":\"\"}]}"));
	char *html = form(quiz, "en");

	(void)state;
	/* The box stands in the blank, with a label for screen readers. */
	assert_true(has(html, "<p>It takes <label for=\"relais-mw_v\" class=\"relais-sr-only\">"
	                      "Your answer</label> <input type=\"text\""));
	assert_true(has(html, "id=\"relais-mw_v\"> days.</p>"));
	assert_int_equal(count_of(html, "name=\"q-mw\""), 1);
	/* Choices keep the blank in the sentence. */
	assert_true(has(html, "Grant is _____ here."));
	assert_int_equal(check_labels(html), 3);
	free(html);
	relais_quiz_free(quiz);
}

/* A blank inside a tag (an attribute's value) is not where the box goes. */
static void render_form_blank_in_a_tag(void **state)
{
	relais_quiz *quiz = load(QUIZ(
	        "{\"id\":\"mw\",\"type\":\"numerical\",\"scored\":true,\"title\":null,"
	        "\"category\":null,\"text_html\":\"<p><img alt=\\\"_____\\\" src=\\\"a.png\\\">"
	        " It takes _____ days.</p>\",\"missing_word\":true,"
	        "\"general_feedback_html\":\"\",\"answers\":[{\"min\":10,\"max\":10,"
	        "\"fraction\":1,\"feedback_html\":\"\"}],\"other_feedback_html\":\"\"}"));
	char *html = form(quiz, "en");

	(void)state;
	assert_true(has(
	        html, "<p><img alt=\"_____\" src=\"a.png\"> It takes <label for=\"relais-mw_v\""));
	assert_true(has(html, "id=\"relais-mw_v\"> days.</p>"));
	assert_int_equal(count_of(html, "name=\"q-mw\""), 1);
	free(html);
	relais_quiz_free(quiz);
}

static void render_form_limit(void **state)
{
	/* 100 rows of 100 choices of 900 bytes: 9 MB of options. */
	size_t cap = 100 * 1000 + 100 * 1000 + 1000, len, i;
	char *json = malloc(cap), *html = (char *)"sentinel";
	relais_ctx *ctx = NULL;
	relais_quiz *quiz = NULL;

	(void)state;
	assert_non_null(json);
	len = (size_t)snprintf(json, cap,
	                       "{\"format\":\"relais-quiz\",\"version\":1,\"questions\":[" HEAD(
	                               "big", "matching", "true") ",\"pairs\":[");
	for (i = 0; i < 100; i++) {
		len += (size_t)snprintf(json + len, cap - len,
		                        "%s{\"question_html\":\"r\",\"answer\":\"%03zu%0897d\"}",
		                        i ? "," : "", i, 0);
	}
	len += (size_t)snprintf(json + len, cap - len, "],\"choices\":[");
	for (i = 0; i < 100; i++) {
		len += (size_t)snprintf(json + len, cap - len, "%s\"%03zu%0897d\"", i ? "," : "", i,
		                        0);
	}
	len += (size_t)snprintf(json + len, cap - len, "]}]}");
	assert_true(len < cap);
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_quiz_parse(&quiz, ctx, json, len), 0);
	assert_int_equal(relais_reader_quiz_form(&html, ctx, quiz, NULL, "en"), RELAIS_ELIMIT);
	assert_null(html);
	assert_string_equal(relais_errmsg(ctx), "quiz: output exceeds 4194304 bytes");
	relais_quiz_free(quiz);
	relais_ctx_free(ctx);
	free(json);
}

static char *result_html(const relais_quiz *quiz, const struct relais_quiz_result *res,
                         const char *lang)
{
	relais_ctx *ctx = NULL;
	char *html = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_reader_quiz_result(&html, ctx, quiz, res, lang), 0);
	assert_non_null(html);
	relais_ctx_free(ctx);
	return html;
}

static void render_result_shows_feedback(void **state)
{
	relais_quiz *quiz = load(ALL);
	struct relais_form_field fields[] = {
	        {"q-single", "0"},    {"q-multi", "0"},  {"q-multi", "2"},   {"q-tf", "false"},
	        {"q-short", EVIL},    {"q-num", "3,14"}, {"q-match.0", "0"}, {"q-match.1", "0"},
	        {"q-essay", "a < b"}, {"q-thirds", "0"}, {"q-thirds", "1"},
	};
	struct relais_quiz_result res;
	char *html;

	(void)state;
	submit(&res, quiz, fields, sizeof(fields) / sizeof(fields[0]));
	html = result_html(quiz, &res, "en");
	assert_false(has(html, "<script"));
	assert_true(has(html, "<span class=\"relais-typed\">" EVIL_ESC "</span>"));
	assert_true(has(html, "<span class=\"relais-typed\">a &lt; b</span>"));
	assert_true(has(html, "<span class=\"relais-typed\">3,14</span>"));
	assert_true(has(html, "fb-right") && has(html, "<i>general single</i>"));
	assert_true(has(html, "fb-c") && has(html, "fb-chose-false") && has(html, "fb-pi"));
	assert_true(has(html, "<li>A</li><li>C</li>"));
	assert_true(has(html, "Your answer: False"));
	assert_true(has(html, "<li class=\"relais-right\">a → 1</li>"));
	assert_true(has(html, "<li class=\"relais-wrong\">b → 1</li>"));
	assert_true(has(html, "Correct (1 / 1)"));
	assert_true(has(html, "Partly correct (0.25 / 1)")); /* matching 1 of 4 */
	assert_true(has(html, "Partly correct (0.6667 / 1)"));
	assert_true(has(html, "Incorrect (0 / 1)"));
	assert_false(has(html, "Not answered"));
	/* 1 + 0 + 0.6667 + 1 + 0 + 1 + 0.25 = 3.9167 of 7 */
	assert_true(has(html, "<p class=\"relais-total\">Score: 3.9167 / 7 (55%)</p>"));
	assert_true(has(html, "Text of desc"));
	free(html);

	html = result_html(quiz, &res, "fr");
	assert_true(has(html, "Note\u00a0: 3,9167 / 7 (55\u00a0%)"));
	assert_true(has(html, "Juste (1 / 1)"));
	assert_true(has(html, "Partiellement juste (0,25 / 1)"));
	assert_true(has(html, "Faux (0 / 1)"));
	assert_true(has(html, "Votre réponse\u00a0: Faux"));
	free(html);
	relais_quiz_result_clear(&res);

	submit(&res, quiz, NULL, 0);
	html = result_html(quiz, &res, "en");
	assert_int_equal(count_of(html, "Not answered (0 / 1)"), 7);
	assert_false(has(html, "Your answer"));
	assert_false(has(html, "general"));
	free(html);
	relais_quiz_result_clear(&res);
	relais_quiz_free(quiz);
}

static void render_result_refuses_other_results(void **state)
{
	relais_quiz *quiz = load(ALL), *other = load(QUIZ(Q_TF));
	struct relais_quiz_result res;
	relais_ctx *ctx = NULL;
	char *html = (char *)"sentinel";

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	submit(&res, other, NULL, 0);
	assert_int_equal(relais_reader_quiz_result(&html, ctx, quiz, &res, "en"), RELAIS_EINVAL);
	assert_null(html);
	assert_string_equal(relais_errmsg(ctx), "quiz: the result is not one of this quiz");
	relais_quiz_result_clear(&res);
	relais_ctx_free(ctx);
	relais_quiz_free(other);
	relais_quiz_free(quiz);
}

/* ---- the sample courses ---- */

#define MAX_FIELDS 4000

struct answers {
	struct relais_form_field fields[MAX_FIELDS];
	char names[MAX_FIELDS][96];
	char values[MAX_FIELDS][64];
	size_t n;
};

static void add(struct answers *a, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void add(struct answers *a, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;

	assert_true(a->n < MAX_FIELDS);
	n = snprintf(a->names[a->n], sizeof(a->names[0]), "%s", name);
	assert_true(n > 0 && (size_t)n < sizeof(a->names[0]));
	va_start(ap, fmt);
	n = vsnprintf(a->values[a->n], sizeof(a->values[0]), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(a->values[0]));
	a->fields[a->n].name = a->names[a->n];
	a->fields[a->n].value = a->values[a->n];
	a->n++;
}

/* Picks the right response to every question of a quiz JSON document. */
static void answer_right(struct answers *a, const cJSON *doc)
{
	const cJSON *q, *x;
	char name[96];
	int i, row;

	cJSON_ArrayForEach(q, cJSON_GetObjectItem(doc, "questions"))
	{
		const char *type = cJSON_GetObjectItem(q, "type")->valuestring;
		const cJSON *answers = cJSON_GetObjectItem(q, "answers");

		(void)snprintf(name, sizeof(name), "q-%s",
		               cJSON_GetObjectItem(q, "id")->valuestring);
		if (strcmp(type, "multichoice") == 0) {
			int single = cJSON_IsTrue(cJSON_GetObjectItem(q, "single"));

			i = 0;
			cJSON_ArrayForEach(x, answers)
			{
				double f = cJSON_GetObjectItem(x, "fraction")->valuedouble;

				if (single ? f == 1 : f > 0) {
					add(a, name, "%d", i);
				}
				i++;
			}
		} else if (strcmp(type, "truefalse") == 0) {
			add(a, name, "%s",
			    cJSON_IsTrue(cJSON_GetObjectItem(q, "answer")) ? "true" : "false");
		} else if (strcmp(type, "shortanswer") == 0) {
			/* Capitals and padding, to be scored as a learner types. */
			char upper[64];
			const char *text;
			size_t k;

			text = cJSON_GetObjectItem(cJSON_GetArrayItem(answers, 0), "text")
			               ->valuestring;
			for (k = 0; text[k] != '\0' && k < sizeof(upper) - 1; k++) {
				upper[k] = (text[k] >= 'a' && text[k] <= 'z') ? (char)(text[k] - 32)
				                                              : text[k];
			}
			upper[k] = '\0';
			add(a, name, "  %s ", upper);
		} else if (strcmp(type, "numerical") == 0) {
			cJSON_ArrayForEach(x, answers)
			{
				if (cJSON_GetObjectItem(x, "fraction")->valuedouble == 1) {
					add(a, name, "%.17g",
					    (cJSON_GetObjectItem(x, "min")->valuedouble +
					     cJSON_GetObjectItem(x, "max")->valuedouble) /
					            2);
					break;
				}
			}
		} else if (strcmp(type, "matching") == 0) {
			const cJSON *choices = cJSON_GetObjectItem(q, "choices");
			char row_name[112];

			row = 0;
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(q, "pairs"))
			{
				const char *want = cJSON_GetObjectItem(x, "answer")->valuestring;
				const cJSON *c;
				int k = 0;

				if (cJSON_GetObjectItem(x, "question_html")->valuestring[0] ==
				    '\0') {
					continue;
				}
				cJSON_ArrayForEach(c, choices)
				{
					if (strcmp(c->valuestring, want) == 0) {
						break;
					}
					k++;
				}
				(void)snprintf(row_name, sizeof(row_name), "%s.%d", name, row++);
				add(a, row_name, "%d", k);
			}
		}
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *text = malloc(RELAIS_GIFT_MAX_BYTES + 1);

	assert_non_null(f);
	assert_non_null(text);
	*len = fread(text, 1, RELAIS_GIFT_MAX_BYTES + 1, f);
	assert_true(*len <= RELAIS_GIFT_MAX_BYTES);
	fclose(f);
	return text;
}

static void sample_quizzes_score_full_marks(void **state)
{
	const char *root = getenv("RELAIS_SOURCE_ROOT");
	char pattern[4096];
	glob_t g;
	size_t k, i;

	(void)state;
	if (root == NULL) {
		skip();
	}
	(void)snprintf(pattern, sizeof(pattern), "%s/courses/*/quiz/evaluation.gift", root);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 2);
	for (k = 0; k < g.gl_pathc; k++) {
		struct answers *a = calloc(1, sizeof(*a));
		struct relais_quiz_result res;
		relais_diag *diag = NULL;
		relais_ctx *ctx = NULL;
		relais_quiz *quiz = NULL;
		char *text, *json = NULL, *html = NULL;
		cJSON *doc;
		size_t len;

		assert_non_null(a);
		text = read_all(g.gl_pathv[k], &len);
		assert_int_equal(relais_diag_new(&diag), 0);
		assert_int_equal(relais_gift_to_json(&json, diag, g.gl_pathv[k], text, len), 0);
		assert_int_equal(relais_ctx_new(&ctx), 0);
		if (relais_quiz_parse(&quiz, ctx, json, strlen(json)) != 0) {
			print_error("%s: %s\n", g.gl_pathv[k], relais_errmsg(ctx));
		}
		assert_non_null(quiz);
		doc = cJSON_Parse(json);
		assert_non_null(doc);
		answer_right(a, doc);

		assert_int_equal(relais_quiz_score(&res, ctx, quiz, a->fields, a->n), 0);
		for (i = 0; i < res.n_questions; i++) {
			if (res.questions[i].scored && res.questions[i].score != 1) {
				print_error("%s: %s scored %g\n", g.gl_pathv[k],
				            res.questions[i].id, res.questions[i].score);
			}
			assert_true(!res.questions[i].scored || res.questions[i].answered);
		}
		assert_true(res.max > 0);
		assert_true(res.score == res.max);
		assert_int_equal(res.percent, 100);

		assert_int_equal(relais_reader_quiz_form(&html, ctx, quiz, NULL, "fr"), 0);
		assert_true(check_labels(html) > 0);
		free(html);
		assert_int_equal(relais_reader_quiz_result(&html, ctx, quiz, &res, "en"), 0);
		assert_false(has(html, "Incorrect") || has(html, "Partly"));
		free(html);

		relais_quiz_result_clear(&res);
		cJSON_Delete(doc);
		relais_quiz_free(quiz);
		relais_ctx_free(ctx);
		free(json);
		relais_diag_free(diag);
		free(text);
		free(a);
	}
	globfree(&g);
}

/* Numbers as people write them, and apostrophes as phones type them. */
static void learners_typing(void **state)
{
	relais_quiz *quiz = load(QUIZ(HEAD(
	        "num", "numerical",
	        "true") ",\"answers\":[{\"min\":1100,\"max\":1200,\"fraction\":1,"
	                "\"feedback_html\":\"\"}],\"other_feedback_html\":\"\"}," HEAD(
	                        "short", "shortanswer",
	                        "true") ",\"case_sensitive\":false,\"answers\":[{\"text\":\"l'Etat "
	                                "pilote\",\"fraction\":1,\"feedback_html\":\"\"}]}"));
	static const char *const good_numbers[] = {"1150", "1 150",
	                                           "1\xc2\xa0"
	                                           "150",
	                                           "1\xe2\x80\xaf"
	                                           "150",
	                                           "1 150,5"};
	static const char *const bad_numbers[] = {"1 1 5 0 0", "11 50 0", "1 150 personnes",
	                                          "1  150", " 1 150 x"};
	struct relais_quiz_result r;
	relais_ctx *ctx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	for (i = 0; i < sizeof(good_numbers) / sizeof(good_numbers[0]); i++) {
		struct relais_form_field f[] = {{"q-num", good_numbers[i]},
		                                {"q-short", "L\xe2\x80\x99"
		                                            "Etat  pilote"}};
		assert_int_equal(relais_quiz_score(&r, ctx, quiz, f, 2), 0);
		if (r.percent != 100) {
			fail_msg("%s scored %d%%", good_numbers[i], r.percent);
		}
		relais_quiz_result_clear(&r);
	}
	for (i = 0; i < sizeof(bad_numbers) / sizeof(bad_numbers[0]); i++) {
		struct relais_form_field f[] = {{"q-num", bad_numbers[i]}};
		assert_int_equal(relais_quiz_score(&r, ctx, quiz, f, 1), 0);
		if (r.questions[0].score != 0) {
			fail_msg("%s was read as a number in range", bad_numbers[i]);
		}
		relais_quiz_result_clear(&r);
	}
	relais_ctx_free(ctx);
	relais_quiz_free(quiz);
}

/* ---- the order of one attempt ---- */

/* Six rows, each with its own answer, choices written in row order: the old key leak. */
#define Q_SIX                                                                                      \
	HEAD("six", "matching", "true")                                                            \
	",\"pairs\":[{\"question_html\":\"ra\",\"answer\":\"A\"},"                                 \
	"{\"question_html\":\"rb\",\"answer\":\"B\"},{\"question_html\":\"rc\",\"answer\":\"C\"}," \
	"{\"question_html\":\"rd\",\"answer\":\"D\"},{\"question_html\":\"re\",\"answer\":\"E\"}," \
	"{\"question_html\":\"rf\",\"answer\":\"F\"}],"                                            \
	"\"choices\":[\"A\",\"B\",\"C\",\"D\",\"E\",\"F\"]}"

static char *form_seeded(const relais_quiz *quiz, const uint64_t *seed)
{
	relais_ctx *ctx = NULL;
	char *html = NULL;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_reader_quiz_form(&html, ctx, quiz, seed, "en"), 0);
	relais_ctx_free(ctx);
	return html;
}

/* The labels of the options of row `row`'s drop-down, in page order, as "ABCDEF". */
static void options_of(char *out, size_t size, const char *html, const char *qid, size_t row)
{
	char id[64];
	const char *p, *end;
	size_t n = 0;

	(void)snprintf(id, sizeof(id), "<select name=\"q-%s.%zu\"", qid, row);
	p = strstr(html, id);
	assert_non_null(p);
	end = strstr(p, "</select>");
	assert_non_null(end);
	while ((p = strstr(p, "\">")) != NULL && p < end && n + 1 < size) {
		p += 2;
		if (p[0] != '<' && p[1] == '<') {
			out[n++] = p[0];
		}
	}
	out[n] = '\0';
}

/* The value of the option labelled `label` in row `row`'s drop-down. */
static const char *value_of(char *out, const char *html, const char *qid, size_t row, char label)
{
	char id[64], needle[8];
	const char *p, *opt, *v;

	(void)snprintf(id, sizeof(id), "<select name=\"q-%s.%zu\"", qid, row);
	(void)snprintf(needle, sizeof(needle), "\">%c</", label);
	p = strstr(html, id);
	assert_non_null(p);
	opt = strstr(p, needle);
	assert_non_null(opt);
	for (v = opt; v > p && strncmp(v, "value=\"", 7) != 0; v--) {
	}
	(void)snprintf(out, 8, "%.*s", (int)(opt - v - 7), v + 7);
	return out;
}

static void shuffle_is_a_stable_permutation(void **state)
{
	size_t a[RELAIS_QUIZ_MAX_ANSWERS], b[RELAIS_QUIZ_MAX_ANSWERS], n, i;
	unsigned seen[RELAIS_QUIZ_MAX_ANSWERS];
	unsigned identity = 0, differs_by_id = 0;
	uint64_t seed;

	(void)state;
	for (n = 0; n <= RELAIS_QUIZ_MAX_ANSWERS; n += 7) {
		relais_quiz_shuffle(a, n, 12345, "q");
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			assert_true(a[i] < n);
			seen[a[i]]++;
		}
		for (i = 0; i < n; i++) {
			assert_int_equal(seen[i], 1);
		}
	}
	/* The same seed and id give the same order, call after call. */
	relais_quiz_shuffle(a, 6, 42, "capitals");
	relais_quiz_shuffle(b, 6, 42, "capitals");
	assert_memory_equal(a, b, 6 * sizeof(a[0]));
	for (seed = 1; seed <= 200; seed++) {
		relais_quiz_shuffle(a, 6, seed, "capitals");
		relais_quiz_shuffle(b, 6, seed, "capitals");
		assert_memory_equal(a, b, 6 * sizeof(a[0]));
		for (i = 0; i < 6 && a[i] == i; i++) {
		}
		identity += i == 6;
		relais_quiz_shuffle(b, 6, seed, "other");
		differs_by_id += memcmp(a, b, 6 * sizeof(a[0])) != 0;
	}
	/* 720 orders: the written one comes about once in 200 attempts, not always. */
	assert_true(identity < 10);
	assert_true(differs_by_id > 190);
}

static void form_in_the_attempt_order(void **state)
{
	relais_quiz *quiz = load(QUIZ(Q_SIX "," Q_SINGLE));
	char *plain = form_seeded(quiz, NULL), *x, *y, got[16];
	unsigned in_row_order = 0, orders_differ = 0;
	char first[16] = "";
	uint64_t seed;
	size_t row;

	(void)state;
	options_of(got, sizeof(got), plain, "six", 0);
	assert_string_equal(got, "ABCDEF"); /* shuffle: false keeps the written order */
	for (seed = 1; seed <= 20; seed++) {
		x = form_seeded(quiz, &seed);
		y = form_seeded(quiz, &seed);
		assert_string_equal(x, y); /* a reload shows the same page */
		options_of(got, sizeof(got), x, "six", 0);
		assert_int_equal(strlen(got), 6);
		in_row_order += strcmp(got, "ABCDEF") == 0;
		if (first[0] == '\0') {
			memcpy(first, got, sizeof(first));
		}
		orders_differ += strcmp(first, got) != 0;
		/* Every drop-down of one attempt lists the same order. */
		for (row = 1; row < 6; row++) {
			char other[16];
			options_of(other, sizeof(other), x, "six", row);
			assert_string_equal(other, got);
		}
		/* Each answer once, its value its own index. */
		assert_int_equal(count_of(x, "for=\"relais-single_0\">Right<"), 1);
		free(x);
		free(y);
	}
	assert_true(in_row_order < 3);
	assert_true(orders_differ > 10);
	free(plain);
	relais_quiz_free(quiz);
}

static void scoring_ignores_the_order(void **state)
{
	relais_quiz *quiz = load(QUIZ(Q_SIX));
	const char *keys = "ABCDEF";
	char values[6][8], names[6][16], response[128] = "";
	struct relais_form_field f[6];
	struct relais_quiz_result res;
	uint64_t seed;
	size_t row;

	(void)state;
	for (seed = 1; seed <= 10; seed++) {
		char *html = form_seeded(quiz, &seed);
		/* The learner picks each row's answer by what the drop-down shows. */
		for (row = 0; row < 6; row++) {
			(void)snprintf(names[row], sizeof(names[row]), "q-six.%zu", row);
			f[row].name = names[row];
			f[row].value = value_of(values[row], html, "six", row, keys[row]);
		}
		submit(&res, quiz, f, 6);
		assert_true(res.questions[0].score == 1);
		if (response[0] == '\0') {
			(void)snprintf(response, sizeof(response), "%s", res.questions[0].response);
		}
		/* The record names answers, not places on the page. */
		assert_string_equal(res.questions[0].response, response);
		relais_quiz_result_clear(&res);
		free(html);
	}
	relais_quiz_free(quiz);
}

#define UNITS_HEAD                                                                                 \
	"{\"format\":1,\"id\":\"c\",\"version\":1,\"title\":\"T\",\"language\":\"en\","            \
	"\"summary\":\"s\",\"authors\":[],\"estimated_minutes\":5,\"units\":[{\"id\":\"q\","       \
	"\"title\":\"Q\",\"type\":\"quiz\",\"path\":\"q.json\",\"pass_percent\":50"
#define UNITS_TAIL                                                                                 \
	"}],\"entries\":[{\"path\":\"q.json\",\"size\":3,\"sha256\":\""                            \
	"0000000000000000000000000000000000000000000000000000000000000000\"}]}"

static void manifest_quiz_members(void **state)
{
	static const char full[] = UNITS_HEAD ",\"shuffle\":false,\"max_attempts\":3,"
	                                      "\"time_limit_minutes\":20" UNITS_TAIL;
	static const char bare[] = UNITS_HEAD UNITS_TAIL;
	static const struct {
		const char *json, *msg;
	} bad[] = {
	        {UNITS_HEAD ",\"shuffle\":0" UNITS_TAIL,
	         "manifest: units[0].shuffle must be true or false"},
	        {UNITS_HEAD ",\"max_attempts\":0" UNITS_TAIL,
	         "manifest: units[0].max_attempts is out of range"},
	        {UNITS_HEAD ",\"time_limit_minutes\":1441" UNITS_TAIL,
	         "manifest: units[0].time_limit_minutes is out of range"},
	        {UNITS_HEAD ",\"time_limit_minutes\":\"20\"" UNITS_TAIL,
	         "manifest: units[0].time_limit_minutes must be a number"},
	};
	relais_manifest *m = NULL;
	relais_ctx *ctx = NULL;
	char *json = NULL;
	size_t len, i;

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_manifest_parse(&m, ctx, full, strlen(full)), 0);
	assert_int_equal(m->units[0].keep_order, 1);
	assert_int_equal(m->units[0].max_attempts, 3);
	assert_int_equal(m->units[0].time_limit_minutes, 20);
	assert_int_equal(relais_manifest_to_json(&json, &len, ctx, m), 0);
	assert_string_equal(json, full); /* signed as written */
	free(json);
	relais_manifest_free(m);
	/* Unset members stay out, so bundles made before keep their bytes. */
	assert_int_equal(relais_manifest_parse(&m, ctx, bare, strlen(bare)), 0);
	assert_int_equal(m->units[0].keep_order + m->units[0].max_attempts +
	                         m->units[0].time_limit_minutes,
	                 0);
	assert_int_equal(relais_manifest_to_json(&json, &len, ctx, m), 0);
	assert_string_equal(json, bare);
	free(json);
	relais_manifest_free(m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		assert_int_not_equal(
		        relais_manifest_parse(&m, ctx, bad[i].json, strlen(bad[i].json)), 0);
		assert_null(m);
		assert_string_equal(relais_errmsg(ctx), bad[i].msg);
	}
	relais_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(parse_every_type),
	        cmocka_unit_test(parse_ignores_unknown_fields),
	        cmocka_unit_test(parse_refuses_bad_documents),
	        cmocka_unit_test(parse_refuses_bad_questions),
	        cmocka_unit_test(parse_refuses_bad_answers),
	        cmocka_unit_test(ids_that_look_like_rows),
	        cmocka_unit_test(learners_typing),
	        cmocka_unit_test(parse_limits),
	        cmocka_unit_test(score_single_choice),
	        cmocka_unit_test(score_multiple_choice),
	        cmocka_unit_test(score_round4),
	        cmocka_unit_test(score_truefalse),
	        cmocka_unit_test(score_shortanswer),
	        cmocka_unit_test(score_numerical),
	        cmocka_unit_test(score_matching),
	        cmocka_unit_test(score_whole_quiz),
	        cmocka_unit_test(render_form_controls),
	        cmocka_unit_test(render_form_escapes_plain_text),
	        cmocka_unit_test(render_form_missing_word),
	        cmocka_unit_test(render_form_blank_in_a_tag),
	        cmocka_unit_test(render_form_limit),
	        cmocka_unit_test(render_result_shows_feedback),
	        cmocka_unit_test(render_result_refuses_other_results),
	        cmocka_unit_test(sample_quizzes_score_full_marks),
	        cmocka_unit_test(shuffle_is_a_stable_permutation),
	        cmocka_unit_test(form_in_the_attempt_order),
	        cmocka_unit_test(scoring_ignores_the_order),
	        cmocka_unit_test(manifest_quiz_members),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_gift.c: the GIFT parser, from quiz text to the JSON the reader scores from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "relais/diag.h"
#include "relais/error.h"
#include "relais/gift.h"

/* ---- helpers ---- */

/* Parses n bytes of text that must be valid; returns the parsed JSON. */
static cJSON *parse_n(const char *text, size_t n)
{
	relais_diag *diag = NULL;
	char *json = NULL;
	cJSON *doc;
	int rc;

	assert_int_equal(relais_diag_new(&diag), 0);
	rc = relais_gift_to_json(&json, diag, "t.gift", text, n);
	if (rc != 0) {
		print_error("unexpected problem: %s\n", relais_diag_get(diag, 0));
	}
	assert_int_equal(rc, 0);
	assert_int_equal(relais_diag_count(diag), 0);
	assert_non_null(json);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	free(json);
	relais_diag_free(diag);
	return doc;
}

static cJSON *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Parses text that must fail with rc and, as its first problem, msg. */
static void fails_n(const char *text, size_t n, int want_rc, size_t want_count, const char *msg)
{
	relais_diag *diag = NULL;
	char *json = (char *)"sentinel";
	int rc;

	assert_int_equal(relais_diag_new(&diag), 0);
	rc = relais_gift_to_json(&json, diag, "t.gift", text, n);
	assert_int_equal(rc, want_rc);
	assert_null(json);
	assert_int_equal(relais_diag_count(diag), want_count);
	assert_string_equal(relais_diag_get(diag, 0), msg);
	relais_diag_free(diag);
}

static void fails(const char *text, const char *msg)
{
	fails_n(text, strlen(text), RELAIS_EFORMAT, 1, msg);
}

static cJSON *field(const cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL) {
		print_error("missing field '%s'\n", key);
	}
	assert_non_null(v);
	return v;
}

static const char *str(const cJSON *o, const char *key)
{
	cJSON *v = field(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static double num(const cJSON *o, const char *key)
{
	cJSON *v = field(o, key);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

static int flag(const cJSON *o, const char *key)
{
	cJSON *v = field(o, key);

	assert_true(cJSON_IsBool(v));
	return cJSON_IsTrue(v);
}

static int is_null(const cJSON *o, const char *key)
{
	return cJSON_IsNull(field(o, key));
}

static int count(const cJSON *o, const char *key)
{
	cJSON *v = field(o, key);

	assert_true(cJSON_IsArray(v));
	return cJSON_GetArraySize(v);
}

static cJSON *at(const cJSON *o, const char *key, int i)
{
	cJSON *v = cJSON_GetArrayItem(field(o, key), i);

	assert_non_null(v);
	return v;
}

static int nfields(const cJSON *o)
{
	return cJSON_GetArraySize(o);
}

#define assert_num(a, b) assert_true((a) == (b))

/* ---- accepted questions ---- */

static void test_document(void **state)
{
	cJSON *doc = parse("Q {T}");

	(void)state;
	assert_string_equal(str(doc, "format"), "relais-quiz");
	assert_num(num(doc, "version"), 1);
	assert_int_equal(count(doc, "questions"), 1);
	assert_int_equal(nfields(doc), 3);
	cJSON_Delete(doc);
}

static void test_multichoice_single(void **state)
{
	cJSON *doc = parse("::Grant's tomb::Who's buried in Grant's tomb?{\n"
	                   "  ~Grant#He is not.\n"
	                   "  ~Jefferson\n"
	                   "  =no one#Right: nobody is \"buried\".\n"
	                   "  ####It is a mausoleum.\n"
	                   "}\n");
	cJSON *q = at(doc, "questions", 0);
	cJSON *a;

	(void)state;
	assert_string_equal(str(q, "id"), "grant-s-tomb");
	assert_string_equal(str(q, "type"), "multichoice");
	assert_true(flag(q, "scored"));
	assert_string_equal(str(q, "title"), "Grant's tomb");
	assert_true(is_null(q, "category"));
	assert_string_equal(str(q, "text_html"), "Who&#39;s buried in Grant&#39;s tomb?");
	assert_false(flag(q, "missing_word"));
	assert_string_equal(str(q, "general_feedback_html"), "It is a mausoleum.");
	assert_true(flag(q, "single"));
	assert_int_equal(count(q, "answers"), 3);
	a = at(q, "answers", 0);
	assert_string_equal(str(a, "text_html"), "Grant");
	assert_num(num(a, "fraction"), 0);
	assert_string_equal(str(a, "feedback_html"), "He is not.");
	a = at(q, "answers", 1);
	assert_string_equal(str(a, "text_html"), "Jefferson");
	assert_string_equal(str(a, "feedback_html"), "");
	a = at(q, "answers", 2);
	assert_string_equal(str(a, "text_html"), "no one");
	assert_num(num(a, "fraction"), 1);
	assert_string_equal(str(a, "feedback_html"), "Right: nobody is &quot;buried&quot;.");
	assert_int_equal(nfields(q), 10);
	cJSON_Delete(doc);
}

static void test_multichoice_weights(void **state)
{
	cJSON *doc = parse("Which are primes? {~%50%2 ~%50%3#yes ~%-100%4#no ~ %0% 6}");
	cJSON *q = at(doc, "questions", 0);

	(void)state;
	assert_false(flag(q, "single"));
	assert_int_equal(count(q, "answers"), 4);
	assert_num(num(at(q, "answers", 0), "fraction"), 0.5);
	assert_string_equal(str(at(q, "answers", 0), "text_html"), "2");
	assert_num(num(at(q, "answers", 1), "fraction"), 0.5);
	assert_string_equal(str(at(q, "answers", 1), "feedback_html"), "yes");
	assert_num(num(at(q, "answers", 2), "fraction"), -1);
	assert_string_equal(str(at(q, "answers", 2), "text_html"), "4");
	assert_num(num(at(q, "answers", 3), "fraction"), 0);
	assert_string_equal(str(at(q, "answers", 3), "text_html"), "6");
	cJSON_Delete(doc);
}

static void test_multichoice_thirds(void **state)
{
	cJSON *doc = parse("Q {~%33.333%a ~%33.333%b ~%33.334%c ~d}");
	cJSON *q = at(doc, "questions", 0);

	(void)state;
	assert_num(num(at(q, "answers", 0), "fraction"), 0.33333);
	assert_num(num(at(q, "answers", 2), "fraction"), 0.33334);
	cJSON_Delete(doc);
}

static void test_multichoice_partial_with_right(void **state)
{
	cJSON *doc = parse("Q {=best ~%50%half ~%-50%bad}");
	cJSON *q = at(doc, "questions", 0);

	(void)state;
	assert_true(flag(q, "single"));
	assert_num(num(at(q, "answers", 0), "fraction"), 1);
	assert_num(num(at(q, "answers", 1), "fraction"), 0.5);
	assert_num(num(at(q, "answers", 2), "fraction"), -0.5);
	cJSON_Delete(doc);
}

static void test_truefalse(void **state)
{
	cJSON *doc = parse("A {T}\n\nB {TRUE}\n\nC {F}\n\nD {FALSE}\n\n"
	                   "E {TRUE#wrong fb#right fb}\n\n"
	                   "F {FALSE#wrong fb#right fb####general}\n\n"
	                   "G {T#only wrong}\n");
	cJSON *q;

	(void)state;
	assert_int_equal(count(doc, "questions"), 7);
	q = at(doc, "questions", 0);
	assert_string_equal(str(q, "type"), "truefalse");
	assert_true(flag(q, "answer"));
	assert_string_equal(str(q, "feedback_true_html"), "");
	assert_string_equal(str(q, "feedback_false_html"), "");
	assert_true(flag(at(doc, "questions", 1), "answer"));
	assert_false(flag(at(doc, "questions", 2), "answer"));
	assert_false(flag(at(doc, "questions", 3), "answer"));
	/* Moodle: the first feedback is for a wrong answer, the second for a right one. */
	q = at(doc, "questions", 4);
	assert_true(flag(q, "answer"));
	assert_string_equal(str(q, "feedback_true_html"), "right fb");
	assert_string_equal(str(q, "feedback_false_html"), "wrong fb");
	q = at(doc, "questions", 5);
	assert_false(flag(q, "answer"));
	assert_string_equal(str(q, "feedback_true_html"), "wrong fb");
	assert_string_equal(str(q, "feedback_false_html"), "right fb");
	assert_string_equal(str(q, "general_feedback_html"), "general");
	q = at(doc, "questions", 6);
	assert_string_equal(str(q, "feedback_false_html"), "only wrong");
	assert_string_equal(str(q, "feedback_true_html"), "");
	cJSON_Delete(doc);
}

static void test_shortanswer(void **state)
{
	cJSON *doc = parse("Two plus two? {=four =4#digits =%50%  quatre #in French}");
	cJSON *q = at(doc, "questions", 0);
	cJSON *a;

	(void)state;
	assert_string_equal(str(q, "type"), "shortanswer");
	assert_false(flag(q, "case_sensitive"));
	assert_int_equal(count(q, "answers"), 3);
	a = at(q, "answers", 0);
	assert_string_equal(str(a, "text"), "four");
	assert_num(num(a, "fraction"), 1);
	assert_string_equal(str(a, "feedback_html"), "");
	a = at(q, "answers", 1);
	assert_string_equal(str(a, "text"), "4");
	assert_string_equal(str(a, "feedback_html"), "digits");
	a = at(q, "answers", 2);
	assert_string_equal(str(a, "text"), "quatre");
	assert_num(num(a, "fraction"), 0.5);
	assert_string_equal(str(a, "feedback_html"), "in French");
	cJSON_Delete(doc);
}

static void test_shortanswer_not_html(void **state)
{
	/* Answers are compared, never shown as HTML: kept as written. */
	cJSON *doc = parse("Tag? {=<b> & co}");

	(void)state;
	assert_string_equal(str(at(at(doc, "questions", 0), "answers", 0), "text"), "<b> & co");
	cJSON_Delete(doc);
}

static void test_numerical_tolerance(void **state)
{
	cJSON *doc = parse("::pi::Pi to two places? {#3.14:0.005#close enough}");
	cJSON *q = at(doc, "questions", 0);
	cJSON *a;

	(void)state;
	assert_string_equal(str(q, "type"), "numerical");
	assert_int_equal(count(q, "answers"), 1);
	a = at(q, "answers", 0);
	assert_true(num(a, "min") > 3.1349 && num(a, "min") < 3.1351);
	assert_true(num(a, "max") > 3.1449 && num(a, "max") < 3.1451);
	assert_num(num(a, "fraction"), 1);
	assert_string_equal(str(a, "feedback_html"), "close enough");
	assert_string_equal(str(q, "other_feedback_html"), "");
	cJSON_Delete(doc);
}

static void test_numerical_exact_and_range(void **state)
{
	cJSON *doc = parse("Year? {#1822}\n\nAny of 1 to 5 {#1..5}\n\nNeg {#-5..-1.5}\n\n"
	                   "Sci {#1.5e3:1E1}");
	cJSON *a;

	(void)state;
	a = at(at(doc, "questions", 0), "answers", 0);
	assert_num(num(a, "min"), 1822);
	assert_num(num(a, "max"), 1822);
	a = at(at(doc, "questions", 1), "answers", 0);
	assert_num(num(a, "min"), 1);
	assert_num(num(a, "max"), 5);
	a = at(at(doc, "questions", 2), "answers", 0);
	assert_num(num(a, "min"), -5);
	assert_num(num(a, "max"), -1.5);
	a = at(at(doc, "questions", 3), "answers", 0);
	assert_num(num(a, "min"), 1490);
	assert_num(num(a, "max"), 1510);
	cJSON_Delete(doc);
}

static void test_numerical_multiple(void **state)
{
	cJSON *doc = parse("When was Grant born? {#\n"
	                   "  =1822:0 #Right\n"
	                   "  =%50%1822:2 #Close\n"
	                   "  ~#Far off\n"
	                   "  ####Born 1822.\n"
	                   "}");
	cJSON *q = at(doc, "questions", 0);

	(void)state;
	assert_int_equal(count(q, "answers"), 2);
	assert_num(num(at(q, "answers", 0), "fraction"), 1);
	assert_num(num(at(q, "answers", 0), "min"), 1822);
	assert_string_equal(str(at(q, "answers", 0), "feedback_html"), "Right");
	assert_num(num(at(q, "answers", 1), "fraction"), 0.5);
	assert_num(num(at(q, "answers", 1), "min"), 1820);
	assert_num(num(at(q, "answers", 1), "max"), 1824);
	assert_string_equal(str(q, "other_feedback_html"), "Far off");
	assert_string_equal(str(q, "general_feedback_html"), "Born 1822.");
	cJSON_Delete(doc);
}

static void test_matching(void **state)
{
	cJSON *doc = parse("::capitals::Match the capitals. {\n"
	                   "  =Canada -> Ottawa\n"
	                   "  =Italy->Rome\n"
	                   "  =Lazio -> Rome\n"
	                   "  = -> Paris\n"
	                   "}");
	cJSON *q = at(doc, "questions", 0);
	cJSON *p;

	(void)state;
	assert_string_equal(str(q, "type"), "matching");
	assert_int_equal(count(q, "pairs"), 4);
	p = at(q, "pairs", 0);
	assert_string_equal(str(p, "question_html"), "Canada");
	assert_string_equal(str(p, "answer"), "Ottawa");
	p = at(q, "pairs", 1);
	assert_string_equal(str(p, "question_html"), "Italy");
	assert_string_equal(str(p, "answer"), "Rome");
	p = at(q, "pairs", 3);
	assert_string_equal(str(p, "question_html"), "");
	assert_string_equal(str(p, "answer"), "Paris");
	assert_int_equal(count(q, "choices"), 3);
	assert_string_equal(cJSON_GetArrayItem(field(q, "choices"), 0)->valuestring, "Ottawa");
	assert_string_equal(cJSON_GetArrayItem(field(q, "choices"), 1)->valuestring, "Rome");
	assert_string_equal(cJSON_GetArrayItem(field(q, "choices"), 2)->valuestring, "Paris");
	cJSON_Delete(doc);
}

static void test_missing_word(void **state)
{
	cJSON *doc = parse("Grant is {~buried =entombed ~living} in Grant's tomb.\n\n"
	                   "{=Paris =paris} is the capital of France.\n\n"
	                   "[markdown]Grant is {~buried =entombed} *here*.");
	cJSON *q;

	(void)state;
	q = at(doc, "questions", 0);
	assert_string_equal(str(q, "type"), "multichoice");
	assert_true(flag(q, "missing_word"));
	assert_string_equal(str(q, "text_html"), "Grant is _____ in Grant&#39;s tomb.");
	q = at(doc, "questions", 1);
	assert_string_equal(str(q, "type"), "shortanswer");
	assert_true(flag(q, "missing_word"));
	assert_string_equal(str(q, "text_html"), "_____ is the capital of France.");
	q = at(doc, "questions", 2);
	assert_string_equal(str(q, "text_html"), "<p>Grant is _____ <em>here</em>.</p>");
	cJSON_Delete(doc);
}

static void test_essay_and_description(void **state)
{
	cJSON *doc = parse("Welcome to the unit.\n\nDescribe your job. {####Look for detail.}\n\n"
	                   "Essay {}");
	cJSON *q;

	(void)state;
	q = at(doc, "questions", 0);
	assert_string_equal(str(q, "type"), "description");
	assert_false(flag(q, "scored"));
	assert_string_equal(str(q, "text_html"), "Welcome to the unit.");
	assert_int_equal(nfields(q), 8);
	q = at(doc, "questions", 1);
	assert_string_equal(str(q, "type"), "essay");
	assert_false(flag(q, "scored"));
	assert_string_equal(str(q, "general_feedback_html"), "Look for detail.");
	assert_int_equal(nfields(q), 8);
	assert_string_equal(str(at(doc, "questions", 2), "type"), "essay");
	cJSON_Delete(doc);
}

static void test_escapes(void **state)
{
	cJSON *doc =
	        parse("::a\\:b::1 \\~ 2 \\= 3 \\# 4 \\{5\\} a\\\\b\\nc {=x\\=y\\#z#fb\\~ ~w\\}}");
	cJSON *q = at(doc, "questions", 0);

	(void)state;
	assert_string_equal(str(q, "title"), "a:b");
	assert_string_equal(str(q, "id"), "a-b");
	assert_string_equal(str(q, "text_html"), "1 ~ 2 = 3 # 4 {5} a\\b<br>c");
	assert_string_equal(str(at(q, "answers", 0), "text_html"), "x=y#z");
	assert_string_equal(str(at(q, "answers", 0), "feedback_html"), "fb~");
	assert_string_equal(str(at(q, "answers", 1), "text_html"), "w}");
	cJSON_Delete(doc);
}

static void test_category(void **state)
{
	cJSON *doc = parse("Intro\n\n$CATEGORY: $course$/top/Unit 1\n\nA {T}\n\n"
	                   "  $CATEGORY:  Unit 2  \nB {F}\n\nC {T}");

	(void)state;
	assert_int_equal(count(doc, "questions"), 4);
	assert_true(is_null(at(doc, "questions", 0), "category"));
	assert_string_equal(str(at(doc, "questions", 1), "category"), "$course$/top/Unit 1");
	assert_string_equal(str(at(doc, "questions", 2), "category"), "Unit 2");
	assert_string_equal(str(at(doc, "questions", 2), "text_html"), "B");
	assert_string_equal(str(at(doc, "questions", 3), "category"), "Unit 2");
	/* Positions count every question, categories do not. */
	assert_string_equal(str(at(doc, "questions", 3), "id"), "q4");
	cJSON_Delete(doc);
}

static void test_comments_and_blank_lines(void **state)
{
	cJSON *doc = parse("// header comment\n"
	                   "\n\n   \t\n"
	                   "See http://example.org {\n"
	                   "  // a comment inside the answers\n"
	                   "  =yes\n"
	                   "  ~no\n"
	                   "}\n"
	                   "// trailing\n");
	cJSON *q;

	(void)state;
	assert_int_equal(count(doc, "questions"), 1);
	q = at(doc, "questions", 0);
	assert_string_equal(str(q, "text_html"), "See http://example.org");
	assert_int_equal(count(q, "answers"), 2);
	cJSON_Delete(doc);
}

static void test_formats(void **state)
{
	cJSON *doc =
	        parse("[html]<p>Pick <b>one</b></p> {=[plain]<i>a</i> ~b#[html]<em>no</em>}\n\n"
	              "[plain]1 < 2 & \"x\" {T}\n\n"
	              "[moodle]<script>x</script> {T}\n\n"
	              "[markdown]Some **bold** and <b>raw</b> {T#[plain]*not md*#*md*}\n\n"
	              "[unknown] stays {T}\n\n"
	              "Plain by default <b> {T}");
	cJSON *q;

	(void)state;
	q = at(doc, "questions", 0);
	assert_string_equal(str(q, "text_html"), "<p>Pick <b>one</b></p>");
	assert_string_equal(str(at(q, "answers", 0), "text_html"), "&lt;i&gt;a&lt;/i&gt;");
	/* Answers default to the question's format. */
	assert_string_equal(str(at(q, "answers", 1), "text_html"), "b");
	assert_string_equal(str(at(q, "answers", 1), "feedback_html"), "<em>no</em>");
	q = at(doc, "questions", 1);
	assert_string_equal(str(q, "text_html"), "1 &lt; 2 &amp; &quot;x&quot;");
	q = at(doc, "questions", 2);
	assert_string_equal(str(q, "text_html"), "&lt;script&gt;x&lt;/script&gt;");
	q = at(doc, "questions", 3);
	assert_string_equal(str(q, "text_html"),
	                    "<p>Some <strong>bold</strong> and &lt;b&gt;raw&lt;/b&gt;</p>");
	assert_string_equal(str(q, "feedback_false_html"), "*not md*");
	assert_string_equal(str(q, "feedback_true_html"), "<p><em>md</em></p>");
	q = at(doc, "questions", 4);
	assert_string_equal(str(q, "text_html"), "[unknown] stays");
	q = at(doc, "questions", 5);
	assert_string_equal(str(q, "text_html"), "Plain by default &lt;b&gt;");
	cJSON_Delete(doc);
}

static void test_ids(void **state)
{
	cJSON *doc = parse("::Café au lait — 2::A {T}\n\nB {T}\n\n::!!!::C {T}\n\n"
	                   "::  Spaces  Inside ::D {T}");

	(void)state;
	assert_string_equal(str(at(doc, "questions", 0), "id"), "cafe-au-lait-2");
	assert_string_equal(str(at(doc, "questions", 1), "id"), "q2");
	/* A title with nothing to slugify falls back to the position. */
	assert_string_equal(str(at(doc, "questions", 2), "id"), "q3");
	assert_string_equal(str(at(doc, "questions", 2), "title"), "!!!");
	assert_string_equal(str(at(doc, "questions", 3), "id"), "spaces-inside");
	assert_string_equal(str(at(doc, "questions", 3), "title"), "Spaces  Inside");
	cJSON_Delete(doc);
}

static void test_long_title_id(void **state)
{
	char text[400];
	cJSON *doc;
	const char *id;

	(void)state;
	(void)snprintf(text, sizeof(text), "::%0200d::Q {T}", 7);
	doc = parse(text);
	id = str(at(doc, "questions", 0), "id");
	assert_int_equal(strlen(id), 64);
	cJSON_Delete(doc);
}

static void test_crlf_and_bom(void **state)
{
	cJSON *doc = parse("\xEF\xBB\xBF::a::A {\r\n=x\r\n~y\r\n}\r\n\r\nB {T}\r\n");

	(void)state;
	assert_int_equal(count(doc, "questions"), 2);
	assert_string_equal(str(at(doc, "questions", 0), "id"), "a");
	assert_string_equal(str(at(at(doc, "questions", 0), "answers", 1), "text_html"), "y");
	cJSON_Delete(doc);
	fails("\xEF\xBB\xBFQ\r\n\r\nR {=\r\n", "t.gift:3: '{' is never closed");
}

static void test_not_nul_terminated(void **state)
{
	/* Only the first len bytes are read: the trailing "} {" is not. */
	const char text[] = {'Q', ' ', '{', 'T', '}', '}', ' ', '{'};
	cJSON *doc = parse_n(text, 5);

	(void)state;
	assert_true(flag(at(doc, "questions", 0), "answer"));
	cJSON_Delete(doc);
}

static void test_utf8_kept(void **state)
{
	cJSON *doc = parse("Qu'est-ce que « ça » ? {=déjà vu ~ñ}");

	(void)state;
	assert_string_equal(str(at(doc, "questions", 0), "text_html"),
	                    "Qu&#39;est-ce que « ça » ?");
	assert_string_equal(str(at(at(doc, "questions", 0), "answers", 0), "text_html"), "déjà vu");
	cJSON_Delete(doc);
}

/* ---- rejected input ---- */

static void test_too_big(void **state)
{
	size_t n = RELAIS_GIFT_MAX_BYTES + 1;
	char *text = malloc(n);

	(void)state;
	assert_non_null(text);
	memset(text, 'a', n);
	fails_n(text, n, RELAIS_ELIMIT, 1,
	        "t.gift: quiz is 1048577 bytes, more than the limit of 1048576");
	free(text);
}

static void test_max_bytes_accepted(void **state)
{
	size_t n = RELAIS_GIFT_MAX_BYTES;
	char *text = malloc(n);
	cJSON *doc;

	(void)state;
	assert_non_null(text);
	memset(text, 'a', n);
	memcpy(text + n - 3, "{T}", 3);
	doc = parse_n(text, n);
	assert_int_equal(count(doc, "questions"), 1);
	cJSON_Delete(doc);
	free(text);
}

static void test_too_many_questions(void **state)
{
	size_t per = strlen("Q {T}\n\n");
	size_t max = RELAIS_GIFT_MAX_QUESTIONS;
	char *text = malloc(per * (max + 1) + 1);
	size_t i;
	cJSON *doc;
	char msg[128];

	(void)state;
	assert_non_null(text);
	for (i = 0; i <= max; i++) {
		memcpy(text + i * per, "Q {T}\n\n", per);
	}
	doc = parse_n(text, per * max);
	assert_int_equal(count(doc, "questions"), (int)max);
	cJSON_Delete(doc);
	(void)snprintf(msg, sizeof(msg), "t.gift:%zu: more than %d questions in one quiz",
	               max * 2 + 1, RELAIS_GIFT_MAX_QUESTIONS);
	fails_n(text, per * (max + 1), RELAIS_ELIMIT, 1, msg);
	free(text);
}

static void test_too_many_answers(void **state)
{
	char text[1024];
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(text, sizeof(text), "Q {");
	for (i = 0; i < 101; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, "~%d", i % 10);
	}
	(void)snprintf(text + n, sizeof(text) - n, "}");
	fails(text, "t.gift:1: more than 100 answers in one question");
}

static void test_no_questions(void **state)
{
	(void)state;
	fails_n("", 0, RELAIS_EFORMAT, 1, "t.gift: no questions");
	fails("// only a comment\n\n$CATEGORY: x\n", "t.gift: no questions");
}

static void test_many_problems_reported(void **state)
{
	relais_diag *diag = NULL;
	char *json = NULL;
	const char *text = "A {=x\n\nB {T}\n\nC }\n\n::d::D {T}\n\n::d::E {T}\n";

	(void)state;
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_gift_to_json(&json, diag, "f.gift", text, strlen(text)),
	                 RELAIS_EFORMAT);
	assert_null(json);
	assert_int_equal(relais_diag_count(diag), 3);
	assert_string_equal(relais_diag_get(diag, 0), "f.gift:1: '{' is never closed");
	assert_string_equal(relais_diag_get(diag, 1), "f.gift:5: '}' without a matching '{'");
	assert_string_equal(relais_diag_get(diag, 2),
	                    "f.gift:9: duplicate question id 'd' (first used on line 7); give the "
	                    "question a different title");
	relais_diag_free(diag);
}

/* One rejected quiz and its first problem. */
struct err_case {
	const char *name;
	const char *text;
	const char *msg;
};

static void test_error(void **state)
{
	const struct err_case *c = *state;

	fails(c->text, c->msg);
}

int main(void)
{
	struct err_case errs[] = {
	        {"unclosed brace", "Q1 {T}\n\nQ2\n{=a\n~b\n", "t.gift:4: '{' is never closed"},
	        {"unclosed before next brace", "Q {=a ~b\nR {T}",
	         "t.gift:1: '{' is not closed before the next '{'"},
	        {"unmatched close", "\nQ } {T}", "t.gift:2: '}' without a matching '{'"},
	        {"two answer sets", "Q {T} and\n{F}",
	         "t.gift:2: a question has only one answer set: separate questions with a blank "
	         "line, "
	         "write \\{ and \\} for braces"},
	        {"no text", "\n\n{T}", "t.gift:3: question has no text"},
	        {"no text after markdown", "[markdown][a]: /b\n{T}",
	         "t.gift:1: question has no text"},
	        {"markdown answer renders empty", "Q {~x\n=[markdown][a]: /b}",
	         "t.gift:2: empty answer after '='"},
	        {"unclosed title", "::T Q {T}", "t.gift:1: question title is not closed with '::'"},
	        {"empty title", "::  ::Q {T}", "t.gift:1: empty question title"},
	        {"duplicate title", "::Same::A {T}\n\n::same::B {T}",
	         "t.gift:3: duplicate question id 'same' (first used on line 1); give the question "
	         "a different title"},
	        {"title clashes with position", "A {T}\n\n::q1::B {T}",
	         "t.gift:3: duplicate question id 'q1' (first used on line 1); give the question a "
	         "different title"},
	        {"unknown escape", "Q\nline \\q {T}",
	         "t.gift:2: unknown escape '\\q' (write \\\\ for a backslash)"},
	        {"backslash at end of line", "Q \\\n{T}",
	         "t.gift:1: '\\' at the end of a line (write \\\\ for one)"},
	        {"unknown escape non-ascii", "Q \\\xc3\xa9 {T}",
	         "t.gift:1: unknown escape after '\\' (write \\\\ for one)"},
	        {"invalid utf-8", "A {T}\n\nB \xff {T}",
	         "t.gift:3: text is not valid UTF-8 or holds a NUL byte"},
	        {"overlong utf-8", "B \xc0\xaf {T}",
	         "t.gift:1: text is not valid UTF-8 or holds a NUL byte"},
	        {"empty category", "$CATEGORY:  \n\nQ {T}", "t.gift:1: empty $CATEGORY"},
	        {"mc no correct answer", "Q\n{~a ~b}",
	         "t.gift:1: no correct answer: mark one with '=' or give weights like '~%50%'"},
	        {"mc only negative", "Q {~%-50%a ~b}",
	         "t.gift:1: no correct answer: mark one with '=' or give weights like '~%50%'"},
	        {"mc weights not 100", "Q {~%50%a ~%30%b ~c}",
	         "t.gift:1: right answers' weights add up to 80%, not 100%"},
	        {"mc one answer", "Q {~%100%a}",
	         "t.gift:1: multiple choice needs at least 2 answers"},
	        {"mc empty answer", "Q {=a\n~}", "t.gift:2: empty answer after '~'"},
	        {"mc empty answer set", "Q {~ ####gf}", "t.gift:1: empty answer after '~'"},
	        {"mc text before answers", "Q {x =a ~b}",
	         "t.gift:1: text before the first answer: answers start with '=' or '~'"},
	        {"mc weight on right answer", "Q {\n=%50%a ~b}",
	         "t.gift:2: '=' marks a right answer; write '~%50%' for a weight"},
	        {"mc bad weight", "Q {=a\n~%5x%b}",
	         "t.gift:2: bad answer weight '%5x%': write a percentage like %50%"},
	        {"mc weight not closed", "Q {=a ~%50 b}",
	         "t.gift:1: answer weight has no closing '%'"},
	        {"mc weight out of range", "Q {=a ~%150%b}",
	         "t.gift:1: answer weight 150% is outside -100% to 100%"},
	        {"tf three feedbacks", "Q {T#a#b\n#c}",
	         "t.gift:2: true/false takes at most two feedbacks: '#if wrong#if right'"},
	        {"lowercase true", "Q {true}",
	         "t.gift:1: answers start with '=' or '~' (true/false is T, TRUE, F or FALSE)"},
	        {"sa no correct answer", "Q {=%50%a =%20%b}",
	         "t.gift:1: no correct answer: none is worth 100%"},
	        {"sa empty answer", "Q {=a =#fb}", "t.gift:1: empty answer after '='"},
	        {"sa negative weight", "Q {=a =%-50%b}",
	         "t.gift:1: answer weight -50% is outside 0% to 100%"},
	        {"sa wildcard", "Q {=a*}",
	         "t.gift:1: '*' wildcards are not supported in short answers"},
	        {"num bad number", "Q {#\n=abc}",
	         "t.gift:2: bad numeric answer 'abc': write a number like 3.14"},
	        {"num comma", "Q {#3,14}",
	         "t.gift:1: bad numeric answer '3,14': write a number like 3.14"},
	        {"num bad tolerance", "Q {#3.14:x}",
	         "t.gift:1: bad numeric answer '3.14:x': write it like 3.14:0.01"},
	        {"num negative tolerance", "Q {#3:-1}", "t.gift:1: negative tolerance in '3:-1'"},
	        {"num bad range", "Q {#1..x}",
	         "t.gift:1: bad numeric range '1..x': write it like 1..5"},
	        {"num reversed range", "Q {#5..1}",
	         "t.gift:1: numeric range '5..1' ends below its start"},
	        {"num no answers", "\nQ {#}", "t.gift:2: numerical question has no answers"},
	        {"num only other feedback", "Q {# ~#fb}",
	         "t.gift:1: numerical question has no answers"},
	        {"num empty answer", "Q {#1 =#fb}", "t.gift:1: empty numerical answer"},
	        {"num no full marks", "Q {#=%50%1 =%10%2}",
	         "t.gift:1: no correct answer: none is worth 100%"},
	        {"num tilde not last", "Q {#1 ~#x =2}",
	         "t.gift:1: '~' must come last in a numerical question, followed only by "
	         "'#feedback' for other answers"},
	        {"num tilde text", "Q {#1 ~3}",
	         "t.gift:1: after '~' a numerical question takes only '#feedback'"},
	        {"num overflow", "Q {#1e400}",
	         "t.gift:1: bad numeric answer '1e400': write a number like 3.14"},
	        {"match one pair", "Q {=a -> b}",
	         "t.gift:1: matching needs at least 2 pairs, each written '=left -> right'"},
	        {"match distractors do not count", "Q {=a -> b = -> c}",
	         "t.gift:1: matching needs at least 2 pairs, each written '=left -> right'"},
	        {"match pair without arrow", "Q {\n=a -> b\n=c\n}",
	         "t.gift:3: matching pair needs 'left -> right'"},
	        {"match empty right", "Q {=a -> b =c -> }",
	         "t.gift:1: matching pair has nothing after '->'"},
	        {"match feedback", "Q {=a -> b#x =c -> d}",
	         "t.gift:1: matching pairs take no '#' feedback"},
	        {"match text before", "Q {a -> b =c -> d}",
	         "t.gift:1: text before the first pair: pairs start with '='"},
	};
	enum { NERRS = sizeof(errs) / sizeof(errs[0]) };
	const struct CMUnitTest fixed[] = {
	        cmocka_unit_test(test_document),
	        cmocka_unit_test(test_multichoice_single),
	        cmocka_unit_test(test_multichoice_weights),
	        cmocka_unit_test(test_multichoice_thirds),
	        cmocka_unit_test(test_multichoice_partial_with_right),
	        cmocka_unit_test(test_truefalse),
	        cmocka_unit_test(test_shortanswer),
	        cmocka_unit_test(test_shortanswer_not_html),
	        cmocka_unit_test(test_numerical_tolerance),
	        cmocka_unit_test(test_numerical_exact_and_range),
	        cmocka_unit_test(test_numerical_multiple),
	        cmocka_unit_test(test_matching),
	        cmocka_unit_test(test_missing_word),
	        cmocka_unit_test(test_essay_and_description),
	        cmocka_unit_test(test_escapes),
	        cmocka_unit_test(test_category),
	        cmocka_unit_test(test_comments_and_blank_lines),
	        cmocka_unit_test(test_formats),
	        cmocka_unit_test(test_ids),
	        cmocka_unit_test(test_long_title_id),
	        cmocka_unit_test(test_crlf_and_bom),
	        cmocka_unit_test(test_not_nul_terminated),
	        cmocka_unit_test(test_utf8_kept),
	        cmocka_unit_test(test_too_big),
	        cmocka_unit_test(test_max_bytes_accepted),
	        cmocka_unit_test(test_too_many_questions),
	        cmocka_unit_test(test_too_many_answers),
	        cmocka_unit_test(test_no_questions),
	        cmocka_unit_test(test_many_problems_reported),
	};
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	struct CMUnitTest tests[NFIXED + NERRS];
	size_t i;

	for (i = 0; i < NFIXED; i++) {
		tests[i] = fixed[i];
	}
	for (i = 0; i < NERRS; i++) {
		tests[NFIXED + i] =
		        (struct CMUnitTest){errs[i].name, test_error, NULL, NULL, &errs[i]};
	}
	return _cmocka_run_group_tests("gift", tests, NFIXED + NERRS, NULL, NULL);
}

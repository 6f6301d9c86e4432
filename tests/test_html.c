/* test_html.c: lesson and quiz HTML kept to the allow-list, and what relais pack writes left as it
 * is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "markdown.h"
#include "relais/context.h"
#include "relais/diag.h"
#include "relais/error.h"
#include "relais/gift.h"
#include "relais/html.h"

static char *clean(const char *in, struct relais_html_report *rep)
{
	relais_ctx *ctx = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_html_sanitize(&out, &len, rep, ctx, in, strlen(in)), 0);
	assert_int_equal(strlen(out), len);
	relais_ctx_free(ctx);
	return out;
}

static void packed_lessons_pass_unchanged(void **state)
{
	static const char md[] =
	        "# Title\n\nSome *text* & \"quotes\" <b> and a [link](other.md#p).\n\n"
	        "| Step | Who |\n|:-----|----:|\n| 1    | Consul |\n\n"
	        "![A map](media/map.png \"Map\")\n\n```c\nint x = 1 < 2;\n```\n\n"
	        "> quoted ~~gone~~\n\n1. a\n2. b\n\n---\nline  \nbreak `code`\n"
	        "[mail](mailto:a@b.c) [web](https://example.org/?a=1&b=2)\n";
	struct relais_html_report rep;
	struct relais_md_link *links = NULL;
	size_t html_len = 0, n = 0;
	char *html = NULL, *out;

	(void)state;
	assert_int_equal(relais_markdown_render(&html, &html_len, &links, &n, md, strlen(md)), 0);
	out = clean(html, &rep);
	assert_string_equal(out, html);
	assert_int_equal(rep.removed, 0);
	free(out);
	free(html);
	relais_markdown_links_free(links, n);
}

static void hostile_markup_goes(void **state)
{
	static const struct {
		const char *in, *out, *first;
	} cases[] = {
	        /* An unclosed form would capture the reader's own button and token. */
	        {"<p>a</p><form action=\"/who/choose\" method=post><p>b", "<p>a</p><p>b</p>",
	         "<form>"},
	        {"<meta http-equiv=refresh content=\"0;url=https://evil.example/\"><p>x</p>",
	         "<p>x</p>", "<meta>"},
	        {"<p onclick=\"x()\" class=\"button\">t</p>", "<p>t</p>", "onclick attribute"},
	        {"<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>", "javascript: link"},
	        {"<a href=\" JaVa&#9;Script:alert(1)\">x</a>", "<a>x</a>", "javascript: link"},
	        {"<a href=\"data:text/html,<script>x</script>\">x</a>", "<a>x</a>", "data: link"},
	        {"<img src=\"data:image/svg+xml,<svg/>\" alt=a>", "<img alt=\"a\">", "data: link"},
	        {"<img src=\"data:image/png;base64,AA\" alt=\"\">",
	         "<img src=\"data:image/png;base64,AA\" alt=\"\">", NULL},
	        {"<base href=\"https://evil.example/\"><a href=\"x.html\">x</a>",
	         "<a href=\"x.html\">x</a>", "<base>"},
	        {"<style>p{display:none}</style><p>t</p>", "<p>t</p>", "<style>"},
	        {"<p>a<script>alert(1)</script>b</p>", "<p>ab</p>", "<script>"},
	        {"<iframe src=\"https://evil.example/\"></iframe><object></object><embed>", "",
	         "<iframe>"},
	        {"<button formaction=\"/who/add\">go</button><input name=token>", "", "<button>"},
	        {"<p>x</article><form><button>y", "<p>x</p>", "<form>"},
	        {"<custom-tag>kept text</custom-tag>", "kept text", "<custom-tag>"},
	        {"<svg><script>x</script></svg><p>t</p>", "<p>t</p>", "<svg>"},
	        {"<p>ok <!-- hidden --> <a href=\"https://example.org/\" target=_top>l</a></p>",
	         "<p>ok  <a href=\"https://example.org/\">l</a></p>", "target attribute"},
	        {"", "", NULL},
	        {"\n", "", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relais_html_report rep;
		char *out = clean(cases[i].in, &rep);
		print_message("case %zu: %s\n", i, cases[i].in);
		assert_string_equal(out, cases[i].out);
		if (cases[i].first == NULL) {
			assert_int_equal(rep.removed, 0);
		} else {
			assert_true(rep.removed > 0);
			assert_string_equal(rep.first, cases[i].first);
		}
		free(out);
	}
}

static char *clean_fragment(const char *in, struct relais_html_report *rep)
{
	relais_ctx *ctx = NULL;
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_html_sanitize_fragment(&out, &len, rep, ctx, in, strlen(in)), 0);
	assert_int_equal(strlen(out), len);
	relais_ctx_free(ctx);
	return out;
}

static void fragments_stay_fragments(void **state)
{
	static const struct {
		const char *in, *out, *first;
	} cases[] = {
	        /* What GIFT's formats give comes back as it went: no <p> is implied. */
	        {"Plain &amp; <b>bold</b><br>next", "Plain &amp; <b>bold</b><br>next", NULL},
	        {"<p>One</p>", "<p>One</p>", NULL},
	        {"a &lt; b &amp; &quot;c&quot;", "a &lt; b &amp; &quot;c&quot;", NULL},
	        /* Closing the reader's form, then opening one of its own. */
	        {"Q</form><form action=\"/who/choose\" method=post>"
	         "<input type=hidden name=profile value=99>text",
	         "Qtext", "<form>"},
	        {"x</fieldset></div><meta http-equiv=refresh content=\"0;url=https://e.x/\">y",
	         "xy", "<meta>"},
	        /* An element left open is closed inside the fragment. */
	        {"<b>bold<i>and", "<b>bold<i>and</i></b>", NULL},
	        {"a</relais-fragment><p>b", "a<p>b</p>", NULL},
	        {"<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>", "javascript: link"},
	        {"<textarea>t", "", "<textarea>"},
	        {"", "", NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relais_html_report rep;
		char *out = clean_fragment(cases[i].in, &rep);
		print_message("case %zu: %s\n", i, cases[i].in);
		assert_string_equal(out, cases[i].out);
		if (cases[i].first == NULL) {
			assert_int_equal(rep.removed, 0);
		} else {
			assert_true(rep.removed > 0);
			assert_string_equal(rep.first, cases[i].first);
		}
		free(out);
	}
}

#define QUIZ_HEAD "{\"format\":\"relais-quiz\",\"version\":1,\"questions\":["
#define Q(id, text)                                                                                \
	"{\"id\":\"" id "\",\"type\":\"description\",\"scored\":false,\"title\":null,"             \
	"\"category\":null,\"text_html\":\"" text "\",\"missing_word\":false,"                     \
	"\"general_feedback_html\":\"\"}"

static char *clean_quiz(const char *json, struct relais_html_report *rep, int want_rc)
{
	relais_ctx *ctx = NULL;
	char *out = (char *)"sentinel";
	size_t len = 0;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_html_sanitize_quiz(&out, &len, rep, ctx, json, strlen(json)),
	                 want_rc);
	if (want_rc == 0) {
		assert_int_equal(strlen(out), len);
	} else {
		assert_null(out);
	}
	relais_ctx_free(ctx);
	return out;
}

static const char *string_at(const cJSON *doc, int question, const char *key)
{
	const cJSON *q =
	        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "questions"), question);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(q, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

/* A multiple choice whose every fragment holds something the reader removes. */
#define Q_HOSTILE_CHOICE                                                                           \
	"{\"id\":\"c\",\"type\":\"multichoice\",\"scored\":true,\"title\":\"<b>t</b>\","           \
	"\"category\":null,\"text_html\":\"c\",\"missing_word\":false,"                            \
	"\"general_feedback_html\":\"<p onclick=x()>g\",\"single\":true,\"answers\":["             \
	"{\"text_html\":\"<button>b</button>A\",\"fraction\":1,"                                   \
	"\"feedback_html\":\"<script>x</script>well\"},"                                           \
	"{\"text_html\":\"B\",\"fraction\":0,\"feedback_html\":\"\"}]}"

static const char *string_at_answer(const cJSON *a, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void quiz_fragments_are_cleaned(void **state)
{
	static const char hostile[] = QUIZ_HEAD Q("a", "<p>Fine <em>text</em></p>") "," Q(
	        "b", "Q</form><form action=/who/choose><input name=profile value=99>"
	             "<meta http-equiv=refresh content=0>Read on") "," Q_HOSTILE_CHOICE
	                                                           "],\"text_html\":\"<form>\","
	                                                           "\"TEXT_HTML\":\"<meta>\"}";
	struct relais_html_report rep;
	char *out = clean_quiz(hostile, &rep, 0);
	cJSON *doc = cJSON_Parse(out), *c;

	(void)state;
	assert_non_null(doc);
	/* The first thing removed, and where: question 2. */
	assert_string_equal(rep.first, "<form>");
	assert_int_equal(rep.question, 2);
	assert_true(rep.removed >= 8);
	assert_string_equal(string_at(doc, 0, "text_html"), "<p>Fine <em>text</em></p>");
	assert_string_equal(string_at(doc, 1, "text_html"), "QRead on");
	assert_string_equal(string_at(doc, 2, "general_feedback_html"), "<p>g</p>");
	/* Plain-text fields are left for the reader to escape. */
	assert_string_equal(string_at(doc, 2, "title"), "<b>t</b>");
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "questions"), 2);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "answers"), 0);
	assert_string_equal(string_at_answer(c, "text_html"), "A");
	c = cJSON_GetObjectItemCaseSensitive(c, "feedback_html");
	assert_string_equal(c->valuestring, "well");
	/* Members outside the questions, whatever their case, are cleaned too. */
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "text_html")->valuestring, "");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "TEXT_HTML")->valuestring, "");
	cJSON_Delete(doc);
	free(out);

	/* Nothing to remove: the very same bytes. */
	out = clean_quiz(
	        QUIZ_HEAD Q("a", "<p>x &amp; <a href=\\\"https://e.org/\\\">y</a></p>") "]}", &rep,
	        0);
	assert_string_equal(
	        out, QUIZ_HEAD Q("a", "<p>x &amp; <a href=\\\"https://e.org/\\\">y</a></p>") "]}");
	assert_int_equal(rep.removed, 0);
	assert_int_equal(rep.question, 0);
	free(out);

	assert_null(clean_quiz("{\"questions\":[", &rep, RELAIS_EFORMAT));
	assert_null(clean_quiz(QUIZ_HEAD Q("a", "\xff<b>") "]}", &rep, RELAIS_EFORMAT));
}

/* What the packer makes of GIFT passes the reader's allow-list whole, and GIFT that
 * would not is refused at packing time with its line. */
static void packed_quizzes_pass_unchanged(void **state)
{
	static const char gift[] =
	        "::T1::[markdown]Some **bold**, `code` and a [link](https://example.org/?a=1&b=2) "
	        "{=[html]<b>yes</b> <a href\\=\"other.html\">more</a>#[markdown]*right* "
	        "~[plain]<i>no</i>#Moodle & <text>\n~%50%half}\n\n"
	        "::T2::Grant is {=entombed ~buried} in the tomb.\n\n"
	        "::T3::[markdown]It takes {#10} _days_.\n\n"
	        "::T4::[markdown]Pick {=a -> 1 =[markdown]**b** -> 2 = -> 3}\n";
	static const struct {
		const char *gift, *problem;
	} refused[] = {
	        {"Q {~b\n=[markdown][a](javascript:alert(1))}",
	         "t.gift:2: text holds javascript: link, which readers remove (only http, https, "
	         "mailto and course links)"},
	        {"[html]<p onclick=\"x()\">Q</p> {T}",
	         "t.gift:1: text holds onclick attribute, which readers remove"},
	        {"Q {T####[html]</form><form action=/who/choose><p>x}",
	         "t.gift:1: text holds <form>, which readers remove"},
	        {"[markdown]![p](data:image/svg+xml,x) {T}",
	         "t.gift:1: text holds data: link, which readers remove (only http, https, mailto "
	         "and course links)"},
	};
	struct relais_html_report rep;
	relais_diag *diag = NULL;
	char *json = NULL, *out;
	size_t i;

	(void)state;
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_gift_to_json(&json, diag, "t.gift", gift, strlen(gift)), 0);
	out = clean_quiz(json, &rep, 0);
	assert_int_equal(rep.removed, 0);
	assert_string_equal(out, json);
	free(out);
	free(json);
	relais_diag_free(diag);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(relais_diag_new(&diag), 0);
		json = NULL;
		print_message("case %zu: %s\n", i, refused[i].gift);
		assert_int_equal(relais_gift_to_json(&json, diag, "t.gift", refused[i].gift,
		                                     strlen(refused[i].gift)),
		                 RELAIS_EFORMAT);
		assert_null(json);
		assert_string_equal(relais_diag_get(diag, 0), refused[i].problem);
		relais_diag_free(diag);
	}
}

static void link_schemes(void **state)
{
	(void)state;
	assert_true(relais_html_href_ok("other.html#x"));
	assert_true(relais_html_href_ok("#top"));
	assert_true(relais_html_href_ok("HTTPS://example.org/"));
	assert_true(relais_html_href_ok("mailto:a@b.c"));
	assert_true(relais_html_href_ok("dir/a:b.html"));
	assert_true(relais_html_href_ok("a-rather-long-lesson-name.html"));
	assert_false(relais_html_href_ok("a-rather-long-scheme-name:x"));
	assert_false(relais_html_href_ok("javascript:x"));
	assert_false(relais_html_href_ok("\x01javascript:x"));
	assert_false(relais_html_href_ok("java\nscript:x"));
	assert_false(relais_html_href_ok("vbscript:x"));
	assert_false(relais_html_href_ok("data:text/html,x"));
	assert_false(relais_html_href_ok(":x"));
	assert_false(relais_html_src_ok("data:image/svg+xml,x"));
	assert_true(relais_html_src_ok("data:image/gif;base64,R0"));
	assert_true(relais_html_src_ok("media/a.png"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(packed_lessons_pass_unchanged),
	        cmocka_unit_test(hostile_markup_goes),
	        cmocka_unit_test(link_schemes),
	        cmocka_unit_test(fragments_stay_fragments),
	        cmocka_unit_test(quiz_fragments_are_cleaned),
	        cmocka_unit_test(packed_quizzes_pass_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

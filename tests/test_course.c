/* test_course.c: loading course folders and reporting each authoring problem at file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "relais/course.h"
#include "relais/error.h"

static void good_course_loads(void **state)
{
	char *dir = craft_tmpdir();
	relais_course *c = NULL;
	relais_diag *diag = NULL;
	relais_ctx *ctx = NULL;

	craft_course(dir);
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_course_load(&c, ctx, diag, dir, NULL), 0);
	assert_int_equal(relais_diag_count(diag), 0);
	assert_string_equal(relais_course_id(c), "field-safety");
	assert_int_equal(relais_course_version(c), 3);
	relais_course_free(c);
	relais_diag_free(diag);
	relais_ctx_free(ctx);
	craft_rmtree(dir);
	free(dir);
}

/*
 * Builds the good course, applies one change (rel gets text), loads it, and
 * expects exactly the problem "<dir>/<file>:<line>: ...words...".
 */
static void expect_problem(const char *rel, const char *text, const char *file, unsigned line,
                           const char *words, size_t max_media)
{
	char *dir = craft_tmpdir(), prefix[600];
	struct relais_course_options opt = {.max_media_size = max_media};
	relais_course *c = NULL;
	relais_diag *diag = NULL;
	relais_ctx *ctx = NULL;
	const char *got;
	size_t i;
	int found = 0;

	craft_course(dir);
	if (text != NULL) {
		craft_write(dir, rel, text);
	} else {
		char p[600];
		snprintf(p, sizeof(p), "%s/%s", dir, rel);
		remove(p);
	}
	if (line > 0) {
		snprintf(prefix, sizeof(prefix), "%s/%s:%u: ", dir, file, line);
	} else {
		snprintf(prefix, sizeof(prefix), "%s/%s: ", dir, file);
	}
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_course_load(&c, ctx, diag, dir, &opt), RELAIS_EFORMAT);
	assert_null(c);
	for (i = 0; (got = relais_diag_get(diag, i)) != NULL; i++) {
		if (strncmp(got, prefix, strlen(prefix)) == 0 && strstr(got, words) != NULL) {
			found = 1;
		}
	}
	if (!found) {
		for (i = 0; (got = relais_diag_get(diag, i)) != NULL; i++) {
			print_message("  got: %s\n", got);
		}
		fail_msg("wanted %s...%s", prefix, words);
	}
	relais_diag_free(diag);
	relais_ctx_free(ctx);
	craft_rmtree(dir);
	free(dir);
}

static const char *course_with(const char *old, const char *new)
{
	static char buf[4096];
	char *dir = craft_tmpdir(), p[600];
	size_t len;
	unsigned char *text;
	const char *at;

	craft_course(dir);
	snprintf(p, sizeof(p), "%s/course.json", dir);
	text = craft_slurp(p, &len);
	text[len] = '\0';
	at = strstr((char *)text, old);
	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - (char *)text), (char *)text, new,
	         at + strlen(old));
	free(text);
	craft_rmtree(dir);
	free(dir);
	return buf;
}

static void problems_are_located(void **state)
{
	expect_problem("lessons/stay.md", NULL, "course.json", 11,
	               "lesson lessons/stay.md does not exist", 0);
	expect_problem("lessons/arrive.md", "# A\n\nSee ![x](../media/nope.png) now.\n",
	               "lessons/arrive.md", 3, "image ../media/nope.png does not exist", 0);
	expect_problem("lessons/arrive.md", "# A\n\n\n[next](gone.md)\n", "lessons/arrive.md", 4,
	               "link to gone.md: not a lesson of this course", 0);
	expect_problem("lessons/arrive.md", "# A\n[up](../../etc/passwd)\n", "lessons/arrive.md", 2,
	               "leaves the course folder", 0);
	expect_problem("lessons/arrive.md", "# A\n![remote](http://example.org/a.png)\n",
	               "lessons/arrive.md", 2, "not in the course folder", 0);
	expect_problem("media/map.svg", "<svg>0123456789012345678901234567890123456789</svg>",
	               "lessons/arrive.md", 5, "over the limit of 40", 40);
	expect_problem("course.json", course_with("\"field-safety\"", "\"Field Safety\""),
	               "course.json", 2, "id \"Field Safety\" must be", 0);
	expect_problem("course.json", course_with("\"version\": 3", "\"version\": 0"),
	               "course.json", 3, "version must be an integer from 1", 0);
	expect_problem("course.json", course_with("\"stay\"", "\"arrive\""), "course.json", 11,
	               "unit id \"arrive\" is used twice", 0);
	expect_problem("course.json",
	               course_with("\"language\": \"en\"", "\"language\": \"english\""),
	               "course.json", 4, "not a BCP 47 tag", 0);
	expect_problem("course.json", course_with("\"summary\"", "\"sumary\""), "course.json", 6,
	               "unknown field \"sumary\"", 0);
	expect_problem("course.json", course_with("\"units\": [", "\"units\": [,"), "course.json",
	               9, "not valid JSON", 0);
	expect_problem("course.json", NULL, "course.json", 0, "missing", 0);
}

static void every_problem_is_listed(void **state)
{
	char *dir = craft_tmpdir();
	relais_course *c = NULL;
	relais_diag *diag = NULL;
	relais_ctx *ctx = NULL;

	craft_course(dir);
	craft_write(dir, "lessons/arrive.md", "![a](a.png) ![b](b.png)\n");
	craft_write(dir, "lessons/stay.md", "[c](c.pdf)\n");
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_course_load(&c, ctx, diag, dir, NULL), RELAIS_EFORMAT);
	assert_int_equal(relais_diag_count(diag), 3);
	assert_non_null(strstr(relais_errmsg(ctx), "3 problems in "));
	relais_diag_free(diag);
	relais_ctx_free(ctx);
	craft_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(good_course_loads),
	        cmocka_unit_test(problems_are_located),
	        cmocka_unit_test(every_problem_is_listed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_scorm.c: what a SCORM player's commit says, and which commits are refused whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relais/context.h"
#include "relais/error.h"
#include "relais/manifest.h"
#include "relais/scorm.h"

static int parse(struct relais_scorm_commit *c, relais_ctx *ctx, int standard, const char *json)
{
	return relais_scorm_commit_parse(c, ctx, standard, json, strlen(json));
}

/* {"cmi":{"suspend_data":"xxx..."}} with n characters ch (a UTF-8 sequence). */
static char *with_suspend(size_t n, const char *ch)
{
	size_t w = strlen(ch), i;
	char *s = malloc(n * w + 64), *p;

	assert_non_null(s);
	memcpy(s, "{\"cmi\":{\"suspend_data\":\"", 24);
	p = s + 24;
	for (i = 0; i < n; i++, p += w) {
		memcpy(p, ch, w);
	}
	memcpy(p, "\"}}", 4);
	return s;
}

static void scorm12_status_score_and_exit(void **state)
{
	relais_ctx *ctx = *state;
	struct relais_scorm_commit c;

	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM12,
	                       "{\"cmi\":{\"core\":{\"lesson_status\":\"failed\",\"exit\":"
	                       "\"suspend\",\"session_time\":\"0001:02:03.5\",\"score\":{\"raw\":"
	                       "\"40\",\"min\":\"\",\"max\":\"\"}}}}"),
	                 0);
	assert_int_equal(c.completion, 1); /* failed: gone through, not passed */
	assert_int_equal(c.success, 0);
	assert_true(c.has_score);
	assert_true(c.max == 100 && c.raw == 40 && c.scaled == 0.4);
	assert_true(c.suspended);
	assert_true(c.session_s == 3723.5);
	assert_non_null(strstr(c.cmi, "\"lesson_status\":\"failed\""));
	relais_scorm_commit_clear(&c);

	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM12,
	                       "{\"cmi\":{\"core\":{\"lesson_status\":\"incomplete\"}}}"),
	                 0);
	assert_int_equal(c.completion, 0);
	assert_int_equal(c.success, -1);
	assert_false(c.has_score);
	relais_scorm_commit_clear(&c);
}

static void scorm2004_statuses_and_scaled_score(void **state)
{
	relais_ctx *ctx = *state;
	struct relais_scorm_commit c;

	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM2004,
	                       "{\"cmi\":{\"completion_status\":\"completed\",\"success_status\":"
	                       "\"passed\",\"score\":{\"scaled\":\"0.75\",\"raw\":\"\"},"
	                       "\"session_time\":\"PT1H2M3.5S\",\"exit\":\"normal\"}}"),
	                 0);
	assert_int_equal(c.completion, 1);
	assert_int_equal(c.success, 1);
	assert_true(c.has_score && c.scaled == 0.75 && c.raw == 75 && c.max == 100);
	assert_false(c.suspended);
	assert_true(c.session_s == 3723.5);
	relais_scorm_commit_clear(&c);
	/* raw with min and max and no scaled: scaled from them. */
	assert_int_equal(
	        parse(&c, ctx, RELAIS_PACKAGE_SCORM2004,
	              "{\"cmi\":{\"score\":{\"raw\":\"6\",\"min\":\"2\",\"max\":\"10\"}}}"),
	        0);
	assert_true(c.has_score && c.scaled == 0.5);
	relais_scorm_commit_clear(&c);
}

static void suspend_data_limits_per_version(void **state)
{
	relais_ctx *ctx = *state;
	struct relais_scorm_commit c;
	char *s;

	s = with_suspend(RELAIS_SCORM12_SUSPEND_MAX, "\xc3\xa9"); /* characters, not bytes */
	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM12, s), 0);
	relais_scorm_commit_clear(&c);
	free(s);
	s = with_suspend(RELAIS_SCORM12_SUSPEND_MAX + 1, "x");
	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM12, s), RELAIS_ELIMIT);
	assert_string_equal(relais_errmsg(ctx),
	                    "cmi.suspend_data is over SCORM 1.2's 4096 characters");
	assert_null(c.cmi);
	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM2004, s), 0);
	relais_scorm_commit_clear(&c);
	free(s);
	s = with_suspend(RELAIS_SCORM2004_SUSPEND_MAX + 1, "x");
	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM2004, s), RELAIS_ELIMIT);
	free(s);
}

static void refuses_what_is_not_a_commit(void **state)
{
	relais_ctx *ctx = *state;
	struct relais_scorm_commit c;

	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM12, "cmi.core.exit=suspend"),
	                 RELAIS_EFORMAT);
	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM12, "{\"cmi\":[]}"), RELAIS_EFORMAT);
	assert_int_equal(parse(&c, ctx, RELAIS_PACKAGE_SCORM2004,
	                       "{\"cmi\":{\"score\":{\"scaled\":\"3\"}}}"),
	                 RELAIS_EFORMAT);
	assert_int_equal(
	        relais_scorm_commit_parse(&c, ctx, RELAIS_PACKAGE_SCORM12, "{\"\xff\"}", 5),
	        RELAIS_EFORMAT);
}

static int setup(void **state)
{
	relais_ctx *ctx;

	if (relais_ctx_new(&ctx) != 0) {
		return -1;
	}
	*state = ctx;
	return 0;
}

static int teardown(void **state)
{
	relais_ctx_free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(scorm12_status_score_and_exit),
	        cmocka_unit_test(scorm2004_statuses_and_scaled_score),
	        cmocka_unit_test(suspend_data_limits_per_version),
	        cmocka_unit_test(refuses_what_is_not_a_commit),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

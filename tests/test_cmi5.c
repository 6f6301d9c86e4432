/* test_cmi5.c: the cmi5 rules the reader holds an AU's statements to (cmi5 section 9.3, 9.5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "relais/cmi5.h"

#define V RELAIS_XAPI_VERBS

enum { INIT = RELAIS_CMI5_V_INITIALIZED };

/* The rule's answer for verb in a session that saw seen, with a score or none (-1). */
static int rule(char *why, const struct relais_cmi5_rule_in *in, const char *verb, double scaled)
{
	why[0] = '\0';
	return relais_cmi5_rule(why, 256, in, verb, 1, scaled >= 0, scaled >= 0 ? scaled : 0);
}

static void initialized_first_and_terminated_last(void **state)
{
	struct relais_cmi5_rule_in in = {0};
	char why[256];

	(void)state;
	assert_int_equal(rule(why, &in, V "completed", -1), 1);
	assert_non_null(strstr(why, "initialized must be the session's first statement"));
	/* Not even a "cmi5 allowed" statement comes before initialized. */
	assert_int_equal(relais_cmi5_rule(why, sizeof(why), &in, V "experienced", 0, 0, 0), 1);
	assert_int_equal(rule(why, &in, V "initialized", -1), 0);
	in.session = INIT;
	assert_int_equal(rule(why, &in, V "initialized", -1), 1);
	assert_non_null(strstr(why, "already sent in this session"));
	assert_int_equal(relais_cmi5_rule(why, sizeof(why), &in, V "experienced", 0, 0, 0), 0);
	in.session |= RELAIS_CMI5_V_TERMINATED;
	assert_int_equal(relais_cmi5_rule(why, sizeof(why), &in, V "experienced", 0, 0, 0), 1);
	assert_non_null(strstr(why, "the session is over (terminated)"));
	in.session = INIT | RELAIS_CMI5_V_ABANDONED;
	assert_int_equal(rule(why, &in, V "terminated", -1), 1);
	assert_non_null(strstr(why, "abandoned"));
}

static void completed_passed_failed_in_order(void **state)
{
	struct relais_cmi5_rule_in in = {INIT, 0, 0, 0, 0};
	char why[256];

	(void)state;
	assert_int_equal(rule(why, &in, V "completed", -1), 0);
	in.completed = 1; /* in an earlier session of the registration */
	assert_int_equal(rule(why, &in, V "completed", -1), 1);
	assert_non_null(strstr(why, "completed was already recorded in this registration"));
	/* Only passed and failed carry a score. */
	in.completed = 0;
	assert_int_equal(rule(why, &in, V "completed", 0.5), 1);
	in.session = INIT | RELAIS_CMI5_V_FAILED;
	assert_int_equal(rule(why, &in, V "passed", 0.9), 1);
	assert_non_null(strstr(why, "one of passed or failed per session"));
	in.session = INIT;
	in.passed = 1;
	assert_int_equal(rule(why, &in, V "failed", 0.1), 1);
	assert_non_null(strstr(why, "failed cannot follow passed"));
	assert_int_equal(rule(why, &in, V "passed", 0.9), 1);
}

static void mastery_score_decides(void **state)
{
	struct relais_cmi5_rule_in in = {INIT, 0, 0, 1, 0.8};
	char why[256];

	(void)state;
	assert_int_equal(rule(why, &in, V "passed", 0.79), 1);
	assert_non_null(strstr(why, "at least the masteryScore 0.8"));
	assert_int_equal(rule(why, &in, V "passed", 0.8), 0);
	assert_int_equal(rule(why, &in, V "failed", 0.8), 1);
	assert_int_equal(rule(why, &in, V "failed", 0.5), 0);
	in.has_mastery = 0;
	assert_int_equal(rule(why, &in, V "passed", 0.1), 0);
}

static void the_readers_verbs_and_voiding_are_refused(void **state)
{
	struct relais_cmi5_rule_in in = {INIT, 0, 0, 0, 0};
	char why[256];

	(void)state;
	assert_int_equal(rule(why, &in, V "launched", -1), 1);
	assert_non_null(strstr(why, "only the launching system sends launched"));
	assert_int_equal(rule(why, &in, RELAIS_CMI5_ADL_VERBS "satisfied", -1), 1);
	assert_int_equal(rule(why, &in, RELAIS_CMI5_ADL_VERBS "abandoned", -1), 1);
	assert_int_equal(rule(why, &in, RELAIS_CMI5_ADL_VERBS "waived", -1), 1);
	assert_int_equal(rule(why, &in, RELAIS_XAPI_VOIDED, -1), 1);
	assert_non_null(strstr(why, "may not void"));
	assert_int_equal(relais_cmi5_verb_bit(V "experienced"), 0);
	assert_int_equal(relais_cmi5_verb_bit(V "passed"), RELAIS_CMI5_V_PASSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(initialized_first_and_terminated_last),
	        cmocka_unit_test(completed_passed_failed_in_order),
	        cmocka_unit_test(mastery_score_decides),
	        cmocka_unit_test(the_readers_verbs_and_voiding_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

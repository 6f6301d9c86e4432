/* test_i18n.c: every word of the reader's interface exists in both languages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

static void every_message_in_both_languages(void **state)
{
	int m;

	for (m = 0; m < M_COUNT; m++) {
		if (relais_tr(LANG_EN, (enum msg)m)[0] == '\0' ||
		    relais_tr(LANG_FR, (enum msg)m)[0] == '\0') {
			fail_msg("message %d has no English or no French text", m);
		}
	}
	assert_string_equal(relais_tr(LANG_FR, M_WHO_TITLE), "Qui étudie ?");
	assert_int_equal(relais_lang_from_header("fr-FR,fr;q=0.9,en;q=0.8"), LANG_FR);
	assert_int_equal(relais_lang_from_header("en-GB,fr;q=0.5"), LANG_EN);
	assert_int_equal(relais_lang_from_header(NULL), LANG_EN);
}

static void formats_take_their_arguments(void **state)
{
	char out[128];

	relais_tr_format(out, sizeof(out), LANG_EN, M_UNITS_DONE, 3u, 8u);
	assert_string_equal(out, "3 of 8 units done");
	relais_tr_format(out, sizeof(out), LANG_FR, M_SCORE, 85);
	assert_string_equal(out, "Votre score : 85 %");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(every_message_in_both_languages),
	        cmocka_unit_test(formats_take_their_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

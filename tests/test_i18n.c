/* test_i18n.c: the reader's words in its five languages, from po/reader, and how one is chosen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

/* The printf conversions of s, "%%" left out: "%u %s" for "%u of %s 50%%". */
static void conversions(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			continue;
		}
		if (s[1] == '%') {
			s++;
			continue;
		}
		while (*s != '\0' && strchr("diouxXcsp", *s) == NULL && n + 2 < size) {
			out[n++] = *s++;
		}
		if (*s != '\0' && n + 2 < size) {
			out[n++] = *s;
			out[n++] = ' ';
		}
		if (*s == '\0') {
			break;
		}
	}
	out[n] = '\0';
}

static void five_languages_in_order(void **state)
{
	static const char *const codes[] = {"en", "fr", "es", "pt", "ar"};
	int l;

	assert_int_equal(LANG_COUNT, 5);
	for (l = 0; l < LANG_COUNT; l++) {
		assert_string_equal(relais_lang_code((enum lang)l), codes[l]);
		assert_int_equal(relais_lang_from_code(codes[l]), l);
	}
	assert_string_equal(relais_tr(LANG_ES, M_LANG_NAME), "Español");
	assert_string_equal(relais_tr(LANG_PT, M_LANG_NAME), "Português");
	assert_string_equal(relais_tr(LANG_AR, M_LANG_NAME), "العربية");
	assert_true(relais_lang_rtl(LANG_AR));
	assert_false(relais_lang_rtl(LANG_EN));
	assert_false(relais_lang_rtl(LANG_FR));
}

static void every_message_in_every_language(void **state)
{
	char en[64], other[64];
	int l, m;

	for (m = 0; m < M_COUNT; m++) {
		conversions(en, sizeof(en), relais_tr(LANG_EN, (enum msg)m));
		for (l = 0; l < LANG_COUNT; l++) {
			const char *s = relais_tr((enum lang)l, (enum msg)m);
			if (s[0] == '\0') {
				fail_msg("message %d has no text in %s", m,
				         relais_lang_code((enum lang)l));
			}
			/* A translation that fell back to English is missing (the lint
			 * test names it); the same words are allowed where the languages
			 * share them, so only long sentences are compared. */
			if (l != LANG_EN && strlen(s) > 40 &&
			    strcmp(s, relais_tr(LANG_EN, (enum msg)m)) == 0) {
				fail_msg("message %d is English in %s", m,
				         relais_lang_code((enum lang)l));
			}
			conversions(other, sizeof(other), s);
			if (strcmp(en, other) != 0) {
				fail_msg("message %d takes \"%s\" in %s, \"%s\" in English", m,
				         other, relais_lang_code((enum lang)l), en);
			}
		}
	}
	assert_string_equal(relais_tr(LANG_FR, M_WHO_TITLE), "Qui étudie ?");
	assert_string_equal(relais_tr(LANG_ES, M_WHO_TITLE), "¿Quién estudia?");
	assert_string_equal(relais_tr(LANG_PT, M_NAV_LIBRARY), "Biblioteca");
	assert_string_equal(relais_tr(LANG_AR, M_NAV_LIBRARY), "المكتبة");
	/* Out of range: never NULL. */
	assert_string_equal(relais_tr((enum lang)LANG_COUNT, M_SKIP), "");
	assert_string_equal(relais_tr(LANG_EN, M_COUNT), "");
}

static void language_from_the_browser(void **state)
{
	assert_int_equal(relais_lang_from_header("fr-FR,fr;q=0.9,en;q=0.8"), LANG_FR);
	assert_int_equal(relais_lang_from_header("en-GB,fr;q=0.5"), LANG_EN);
	assert_int_equal(relais_lang_from_header(NULL), LANG_EN);
	assert_int_equal(relais_lang_from_header("es-419,es;q=0.9"), LANG_ES);
	assert_int_equal(relais_lang_from_header("pt-BR"), LANG_PT);
	assert_int_equal(relais_lang_from_header("ar-MA, fr;q=0.8"), LANG_AR);
	/* An unsupported first choice gives way to the next supported one. */
	assert_int_equal(relais_lang_from_header("de-DE,de;q=0.9,pt;q=0.7,en;q=0.5"), LANG_PT);
	/* q-values decide, not the order. */
	assert_int_equal(relais_lang_from_header("en;q=0.3, ar;q=0.9"), LANG_AR);
	assert_int_equal(relais_lang_from_header("fr;q=0"), LANG_EN);
	assert_int_equal(relais_lang_from_header("de, it"), LANG_EN);
	assert_int_equal(relais_lang_from_header(""), LANG_EN);
	assert_int_equal(relais_lang_from_code("pt-BR"), LANG_PT);
	assert_int_equal(relais_lang_from_code("AR"), LANG_AR);
	assert_int_equal(relais_lang_from_code("de"), -1);
	assert_int_equal(relais_lang_from_code("e"), -1);
	assert_int_equal(relais_lang_from_code("english"), -1);
	assert_int_equal(relais_lang_from_code(NULL), -1);
}

static void formats_take_their_arguments(void **state)
{
	char out[128];

	relais_tr_nformat(out, sizeof(out), LANG_EN, M_UNITS_DONE, 8, 3u, 8u);
	assert_string_equal(out, "3 of 8 units done");
	relais_tr_format(out, sizeof(out), LANG_FR, M_SCORE, 85);
	assert_string_equal(out, "Votre score : 85 %");
	relais_tr_nformat(out, sizeof(out), LANG_ES, M_UNITS_DONE, 8, 3u, 8u);
	assert_string_equal(out, "3 de 8 unidades hechas");
	relais_tr_format(out, sizeof(out), LANG_AR, M_SCORE, 85);
	assert_string_equal(out, "نتيجتك: 85%");
}

static void numbers_take_their_language_s_plural(void **state)
{
	char out[160];
	int l, m;
	unsigned long n;

	/* English and Spanish: one is singular, zero plural; French: zero too is singular. */
	relais_tr_nformat(out, sizeof(out), LANG_EN, M_MINUTES, 1, 1u);
	assert_string_equal(out, "about 1 minute");
	relais_tr_nformat(out, sizeof(out), LANG_EN, M_MINUTES, 0, 0u);
	assert_string_equal(out, "about 0 minutes");
	relais_tr_nformat(out, sizeof(out), LANG_EN, M_UNITS_DONE, 1, 0u, 1u);
	assert_string_equal(out, "0 of 1 unit done");
	relais_tr_nformat(out, sizeof(out), LANG_FR, M_PIN_WAIT, 0, 0);
	assert_string_equal(out,
	                    "Trop de codes PIN incorrects : attendez 0 seconde, puis réessayez.");
	relais_tr_nformat(out, sizeof(out), LANG_FR, M_PIN_WAIT, 2, 2);
	assert_string_equal(out,
	                    "Trop de codes PIN incorrects : attendez 2 secondes, puis réessayez.");
	relais_tr_nformat(out, sizeof(out), LANG_ES, M_SEARCH_COUNT, 1, (size_t)1);
	assert_string_equal(out, "1 lección coincide.");
	relais_tr_nformat(out, sizeof(out), LANG_PT, M_QUIZ_TIME_LIMIT, 30, 30u);
	assert_string_equal(out, "Este questionário tem um limite de 30 minutos.");
	/* Arabic: six forms (zero, one, two, three to ten, eleven to 99, the rest). */
	relais_tr_nformat(out, sizeof(out), LANG_AR, M_MINUTES, 2, 2u);
	assert_string_equal(out, "حوالي 2 دقيقتين");
	relais_tr_nformat(out, sizeof(out), LANG_AR, M_MINUTES, 5, 5u);
	assert_string_equal(out, "حوالي 5 دقائق");
	relais_tr_nformat(out, sizeof(out), LANG_AR, M_MINUTES, 105, 105u);
	assert_string_equal(out, "حوالي 105 دقائق");
	relais_tr_nformat(out, sizeof(out), LANG_AR, M_MINUTES, 45, 45u);
	assert_string_equal(out, "حوالي 45 دقيقة");
	/* Every form of every message takes the English conversions. */
	for (m = 0; m < M_COUNT; m++) {
		char en[64], other[64];
		conversions(en, sizeof(en), relais_tr(LANG_EN, (enum msg)m));
		for (l = 0; l < LANG_COUNT; l++) {
			for (n = 0; n < 120; n++) {
				conversions(other, sizeof(other),
				            relais_tr_n((enum lang)l, (enum msg)m, n));
				if (strcmp(en, other) != 0) {
					fail_msg("message %d for %lu takes \"%s\" in %s", m, n,
					         other, relais_lang_code((enum lang)l));
				}
			}
		}
	}
	/* A message without a plural is relais_tr's, whatever the number. */
	assert_string_equal(relais_tr_n(LANG_FR, M_WHO_TITLE, 3), "Qui étudie ?");
	assert_string_equal(relais_tr_n(LANG_EN, M_COUNT, 3), "");
}

static void dates_as_each_language_writes_them(void **state)
{
	char out[96];

	relais_tr_date(out, sizeof(out), LANG_EN, "2026-12-06");
	assert_string_equal(out, "6 December 2026");
	relais_tr_date(out, sizeof(out), LANG_FR, "2027-02-01");
	assert_string_equal(out, "1 février 2027");
	relais_tr_date(out, sizeof(out), LANG_ES, "2027-01-31");
	assert_string_equal(out, "31 de enero de 2027");
	relais_tr_date(out, sizeof(out), LANG_PT, "2027-03-15T08:30:00");
	assert_string_equal(out, "15 de março de 2027 08:30:00");
	relais_tr_date(out, sizeof(out), LANG_AR, "2026-12-06");
	assert_string_equal(out, "6 ديسمبر 2026");
	/* Not a date: as it is. */
	relais_tr_date(out, sizeof(out), LANG_EN, "2026-13-06");
	assert_string_equal(out, "2026-13-06");
	relais_tr_date(out, sizeof(out), LANG_EN, "soon");
	assert_string_equal(out, "soon");
	/* Bounded. */
	relais_tr_date(out, 8, LANG_EN, "2026-12-06");
	assert_string_equal(out, "6 Decem");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(five_languages_in_order),
	        cmocka_unit_test(every_message_in_every_language),
	        cmocka_unit_test(language_from_the_browser),
	        cmocka_unit_test(formats_take_their_arguments),
	        cmocka_unit_test(numbers_take_their_language_s_plural),
	        cmocka_unit_test(dates_as_each_language_writes_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

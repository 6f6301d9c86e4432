/* test_utf8.c: which bytes count as UTF-8 text, and how untrusted names reach a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "relais/utf8.h"

#define VALID(s) relais_utf8_valid((s), sizeof(s) - 1)

static void accepts_well_formed_text(void **state)
{
	assert_true(VALID(""));
	assert_true(VALID("plain ASCII ~\x7f"));
	assert_true(VALID("Santé, évaluation")); /* two-byte */
	assert_true(VALID("\xc2\x80"));          /* smallest two-byte */
	assert_true(VALID("\xdf\xbf"));          /* largest two-byte */
	assert_true(VALID("\xe0\xa0\x80"));      /* smallest three-byte */
	assert_true(VALID("\xed\x9f\xbf"));      /* just below the surrogates */
	assert_true(VALID("\xee\x80\x80"));      /* just above them */
	assert_true(VALID("\xef\xbf\xbf"));
	assert_true(VALID("\xf0\x90\x80\x80")); /* smallest four-byte */
	assert_true(VALID("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
	assert_true(VALID("مرحبا 你好 😀"));
}

static void refuses_what_is_not(void **state)
{
	assert_false(VALID("a\0b")); /* NUL */
	assert_false(VALID("\x80")); /* lone continuation */
	assert_false(VALID("\xbf"));
	assert_false(VALID("\xc0\x80"));         /* overlong NUL */
	assert_false(VALID("\xc1\xbf"));         /* overlong two-byte */
	assert_false(VALID("\xe0\x9f\xbf"));     /* overlong three-byte */
	assert_false(VALID("\xf0\x8f\xbf\xbf")); /* overlong four-byte */
	assert_false(VALID("\xed\xa0\x80"));     /* surrogate D800 */
	assert_false(VALID("\xed\xbf\xbf"));     /* surrogate DFFF */
	assert_false(VALID("\xf4\x90\x80\x80")); /* past U+10FFFF */
	assert_false(VALID("\xf5\x80\x80\x80"));
	assert_false(VALID("\xf8\x88\x80\x80\x80")); /* five-byte form */
	assert_false(VALID("\xfe"));
	assert_false(VALID("\xff"));
	assert_false(VALID("\xc3")); /* truncated at the end */
	assert_false(VALID("\xe2\x82"));
	assert_false(VALID("\xf0\x9f\x98"));
	assert_false(VALID("\xc3(")); /* continuation missing */
	assert_false(VALID("\xe2\x28\xa1"));
	/* Only len bytes are read: a sequence cut by len is invalid even if more follows. */
	assert_false(relais_utf8_valid("\xc3\xa9", 1));
	assert_true(relais_utf8_valid("ab\xff", 2));
}

static void printable_escapes_controls_and_bad_bytes(void **state)
{
	char out[64];

	relais_printable(out, sizeof(out), "lesson-1.md");
	assert_string_equal(out, "lesson-1.md");
	relais_printable(out, sizeof(out), "évaluation");
	assert_string_equal(out, "évaluation");
	relais_printable(out, sizeof(out), "a\nb\x1b[31m\\c\x7f");
	assert_string_equal(out, "a\\x0ab\\x1b[31m\\x5cc\\x7f");
	relais_printable(out, sizeof(out), "bad\xff\xc3(");
	assert_string_equal(out, "bad\\xff\\xc3(");
	relais_printable(out, sizeof(out), "\xed\xa0\x80"); /* a surrogate, byte by byte */
	assert_string_equal(out, "\\xed\\xa0\\x80");
}

static void printable_stays_inside_its_buffer(void **state)
{
	char out[8];
	size_t i;

	memset(out, 'X', sizeof(out));
	relais_printable(out, sizeof(out), "abcdefghijklmnop");
	assert_true(strlen(out) < sizeof(out));
	assert_memory_equal(out, "abc", 3);
	for (i = 1; i <= 16; i++) {
		static const char full[] = "\\x01\xe2\x82\xac\\x02";
		char small[16];
		size_t n;
		memset(small, 'X', sizeof(small));
		relais_printable(small, i, "\x01\xe2\x82\xac\x02");
		n = strlen(small);
		assert_true(n < i);
		/* A prefix of the whole, never half an escape or half a character. */
		assert_memory_equal(small, full, n);
		assert_true(n == 0 || n == 4 || n == 7 || n == 11);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(accepts_well_formed_text),
	        cmocka_unit_test(refuses_what_is_not),
	        cmocka_unit_test(printable_escapes_controls_and_bad_bytes),
	        cmocka_unit_test(printable_stays_inside_its_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

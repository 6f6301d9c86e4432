/* test_strbuf.c: the one growable buffer: growth, its hard cap, escaping and formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relais/error.h"
#include "relais/strbuf.h"

static void grows_and_keeps_bytes(void **state)
{
	struct relais_strbuf b = {0};
	char chunk[1000];
	size_t i;

	for (i = 0; i < sizeof(chunk); i++) {
		chunk[i] = (char)('a' + i % 26);
	}
	for (i = 0; i < 100; i++) {
		relais_strbuf_addn(&b, chunk, sizeof(chunk));
	}
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.len, 100 * sizeof(chunk));
	assert_true(b.cap > b.len);
	assert_int_equal(b.p[b.len], '\0');
	for (i = 0; i < 100; i++) {
		assert_memory_equal(b.p + i * sizeof(chunk), chunk, sizeof(chunk));
	}
	relais_strbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void binary_safe(void **state)
{
	struct relais_strbuf b = {0};

	relais_strbuf_addn(&b, "a\0b", 3);
	relais_strbuf_addn(&b, "\0", 1);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.p, "a\0b\0", 5);
	relais_strbuf_free(&b);
}

static void cap_is_hard_and_sticky(void **state)
{
	struct relais_strbuf b = {.max = 10};

	relais_strbuf_add(&b, "0123456789"); /* exactly max fits */
	assert_int_equal(b.rc, 0);
	assert_string_equal(b.p, "0123456789");
	assert_true(b.cap <= b.max + 1);
	relais_strbuf_add(&b, "x");
	assert_int_equal(b.rc, RELAIS_ELIMIT);
	assert_int_equal(b.len, 10);
	/* Later appends do nothing, even ones that would fit. */
	relais_strbuf_reset(&b);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	relais_strbuf_add(&b, "0123456789a");
	assert_int_equal(b.rc, RELAIS_ELIMIT);
	assert_int_equal(b.len, 0);
	relais_strbuf_add(&b, "");
	assert_int_equal(b.rc, RELAIS_ELIMIT);
	relais_strbuf_free(&b);
	assert_int_equal(b.max, 10); /* free keeps max */
	assert_int_equal(b.rc, 0);
}

static void default_cap_is_eight_mib(void **state)
{
	struct relais_strbuf b = {0};
	char *big = malloc(RELAIS_STRBUF_DEFAULT_MAX);

	assert_non_null(big);
	memset(big, 'z', RELAIS_STRBUF_DEFAULT_MAX);
	relais_strbuf_addn(&b, big, RELAIS_STRBUF_DEFAULT_MAX);
	assert_int_equal(b.rc, 0);
	relais_strbuf_addn(&b, "!", 1);
	assert_int_equal(b.rc, RELAIS_ELIMIT);
	relais_strbuf_free(&b);
	free(big);
}

static void reset_keeps_memory_and_max(void **state)
{
	struct relais_strbuf b = {.max = 100};
	char *p;

	relais_strbuf_add(&b, "first request");
	p = b.p;
	relais_strbuf_reset(&b);
	assert_ptr_equal(b.p, p);
	assert_int_equal(b.max, 100);
	relais_strbuf_add(&b, "second");
	assert_string_equal(b.p, "second");
	relais_strbuf_free(&b);
	relais_strbuf_reset(&b); /* on an empty buffer too */
	assert_null(b.p);
}

static void detach_hands_over_the_text(void **state)
{
	struct relais_strbuf b = {.max = 8};
	char *s;

	s = relais_strbuf_detach(&b); /* nothing added: "" */
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	relais_strbuf_add(&b, "text");
	s = relais_strbuf_detach(&b);
	assert_string_equal(s, "text");
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 8);
	free(s);
	relais_strbuf_add(&b, "too long text");
	s = relais_strbuf_detach(&b);
	assert_null(s);
	assert_int_equal(b.rc, RELAIS_ELIMIT); /* says why */
	assert_null(b.p);
	relais_strbuf_free(&b);
}

static void html_escapes_the_five(void **state)
{
	struct relais_strbuf b = {0};

	relais_strbuf_add_html(&b, "<a href=\"x\">Tom & Jerry's</a>");
	assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
	relais_strbuf_reset(&b);
	relais_strbuf_add_htmln(&b, "é<b>", 3); /* the first n bytes only */
	assert_string_equal(b.p, "é&lt;");
	relais_strbuf_reset(&b);
	relais_strbuf_add_html(&b, "plain\ntext");
	assert_string_equal(b.p, "plain\ntext");
	relais_strbuf_free(&b);
}

static void html_escaping_respects_the_cap(void **state)
{
	struct relais_strbuf b = {.max = 9};

	relais_strbuf_add_html(&b, "a&b"); /* a&amp;b: 7 */
	assert_int_equal(b.rc, 0);
	relais_strbuf_add_html(&b, "<"); /* 11 */
	assert_int_equal(b.rc, RELAIS_ELIMIT);
	relais_strbuf_free(&b);
}

static void url_encodes_all_but_unreserved_and_slash(void **state)
{
	struct relais_strbuf b = {0};

	relais_strbuf_add_url(&b, "courses/santé publique/a-b_c.d~e?x=1&y#z");
	assert_string_equal(b.p, "courses/sant%C3%A9%20publique/a-b_c.d~e%3Fx%3D1%26y%23z");
	relais_strbuf_reset(&b);
	relais_strbuf_add_url(&b, "%2F\x01");
	assert_string_equal(b.p, "%252F%01");
	relais_strbuf_free(&b);
}

static void printf_formats_text_of_any_length_within_the_cap(void **state)
{
	struct relais_strbuf b = {0};
	struct relais_strbuf small = {.max = 2000};
	char big[1100];

	relais_strbuf_printf(&b, "%s has %d units (%.1f KiB)", "course", 8, 32.04);
	assert_string_equal(b.p, "course has 8 units (32.0 KiB)");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	relais_strbuf_printf(&b, "%.1023s", big);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.len, 29 + 1023);
	relais_strbuf_printf(&b, "<%s>", big); /* more than 1 KiB at once: all of it */
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.len, 29 + 1023 + 1101);
	assert_int_equal(b.p[29 + 1023], '<');
	assert_int_equal(b.p[b.len - 1], '>');
	/* The buffer's cap still holds. */
	relais_strbuf_printf(&small, "%s", big);
	relais_strbuf_printf(&small, "%s", big);
	assert_int_equal(small.rc, RELAIS_ELIMIT);
	assert_int_equal(small.len, 1099);
	relais_strbuf_free(&small);
	relais_strbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(grows_and_keeps_bytes),
	        cmocka_unit_test(binary_safe),
	        cmocka_unit_test(cap_is_hard_and_sticky),
	        cmocka_unit_test(default_cap_is_eight_mib),
	        cmocka_unit_test(reset_keeps_memory_and_max),
	        cmocka_unit_test(detach_hands_over_the_text),
	        cmocka_unit_test(html_escapes_the_five),
	        cmocka_unit_test(html_escaping_respects_the_cap),
	        cmocka_unit_test(url_encodes_all_but_unreserved_and_slash),
	        cmocka_unit_test(printf_formats_text_of_any_length_within_the_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

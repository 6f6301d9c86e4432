/* test_http.c: the HTTP helper's form parser and Accept-Encoding-free parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "relais/error.h"
#include "relais/http.h"

static int parse(struct relais_http_field **f, size_t *n, const char *body)
{
	return relais_http_form_parse(f, n, body, strlen(body), 8, 16);
}

static void test_form_fields_decoded_in_order(void **state)
{
	struct relais_http_field *f = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(&f, &n, "token=ab%2Fc&q=a+b&&empty=&bare&q=%C3%A9"), 0);
	assert_int_equal(n, 5);
	assert_string_equal(f[0].name, "token");
	assert_string_equal(f[0].value, "ab/c");
	assert_string_equal(f[1].value, "a b");
	assert_string_equal(f[2].name, "empty");
	assert_string_equal(f[2].value, "");
	assert_string_equal(f[3].name, "bare");
	assert_string_equal(f[3].value, "");
	assert_string_equal(f[4].name, "q");
	assert_string_equal(f[4].value, "\xc3\xa9");
	relais_http_fields_free(f, n);
}

static void test_form_limits_and_bad_escapes(void **state)
{
	struct relais_http_field *f = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse(&f, &n, "a=1&a=2&a=3&a=4&a=5&a=6&a=7&a=8&a=9"), RELAIS_ELIMIT);
	assert_null(f);
	assert_int_equal(parse(&f, &n, "a=12345678901234567"), RELAIS_ELIMIT);
	assert_int_equal(parse(&f, &n, "a=%zz"), RELAIS_EFORMAT);
	assert_int_equal(parse(&f, &n, "a=%4"), RELAIS_EFORMAT);
	assert_int_equal(parse(&f, &n, "a=x%00y"), RELAIS_EFORMAT);
	assert_int_equal(n, 0);
}

static void test_form_content_type(void **state)
{
	(void)state;
	assert_true(relais_http_is_form("application/x-www-form-urlencoded"));
	assert_true(relais_http_is_form("Application/X-WWW-Form-Urlencoded; charset=UTF-8"));
	assert_false(relais_http_is_form("application/x-www-form-urlencodedx"));
	assert_false(relais_http_is_form("multipart/form-data; boundary=x"));
	assert_false(relais_http_is_form(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_form_fields_decoded_in_order),
	        cmocka_unit_test(test_form_limits_and_bad_escapes),
	        cmocka_unit_test(test_form_content_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_gzip.c: gzip bodies for the network: standard, reproducible, smaller than zlib's best. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "craft.h"
#include "relais/gzip.h"

/* A batch of statement-like JSON: repetitive keys, varying ids and times. */
static char *batch(size_t *len)
{
	size_t cap = 200 * 400, n = 0;
	char *s = malloc(cap);
	int i;

	assert_non_null(s);
	s[n++] = '[';
	for (i = 0; i < 200; i++) {
		n += (size_t)snprintf(
		        s + n, cap - n,
		        "%s{\"id\":\"%08x-7c1e-4b5a-9d2f-%012x\",\"actor\":{\"mbox\":"
		        "\"mailto:learner%d@ministry.invalid\"},\"verb\":{\"id\":"
		        "\"http://adlnet.gov/expapi/verbs/experienced\"},\"timestamp\":"
		        "\"2026-11-%02dT%02d:%02d:00Z\"}",
		        i ? "," : "", (unsigned)(i * 2654435761u), (unsigned)(i * 40503u), i % 7,
		        1 + i % 28, i % 24, (i * 7) % 60);
	}
	s[n++] = ']';
	*len = n;
	return s;
}

static void gunzips_to_the_same_bytes(void **state)
{
	size_t len, zlen, zlen2;
	char *json = batch(&len), *back = malloc(len + 1);
	unsigned char *z = NULL, *z2 = NULL;
	z_stream zs;

	assert_non_null(back);
	assert_int_equal(relais_gzip(&z, &zlen, json, len, 12), 0);
	/* RFC 1952 header: magic, deflate, no flags (no name), time 0 */
	assert_true(zlen > 18);
	assert_int_equal(z[0], 0x1f);
	assert_int_equal(z[1], 0x8b);
	assert_int_equal(z[2], 8);
	assert_int_equal(z[3], 0);
	assert_int_equal(z[4] | z[5] | z[6] | z[7], 0);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 31), Z_OK); /* gzip only */
	zs.next_in = z;
	zs.avail_in = (uInt)zlen;
	zs.next_out = (Bytef *)back;
	zs.avail_out = (uInt)len + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_int_equal(zs.avail_in, 0);
	assert_memory_equal(back, json, len);
	inflateEnd(&zs);

	/* Reproducible: the same bytes give the same body. */
	assert_int_equal(relais_gzip(&z2, &zlen2, json, len, 12), 0);
	assert_int_equal(zlen2, zlen);
	assert_memory_equal(z2, z, zlen);
	free(z2);
	free(z);
	free(back);
	free(json);
}

static void smaller_than_zlib_best(void **state)
{
	size_t len, zlen;
	char *json = batch(&len);
	unsigned char *z = NULL;

	assert_int_equal(relais_gzip(&z, &zlen, json, len, 12), 0);
	assert_true(zlen < craft_zlib_best_size(json, len, 31));
	free(z);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(gunzips_to_the_same_bytes),
	        cmocka_unit_test(smaller_than_zlib_best),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

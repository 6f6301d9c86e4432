/* test_gzip.c: gzip for the network: small and reproducible; gunzip refuses damage and bombs. */
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
#include "relais/context.h"
#include "relais/error.h"
#include "relais/gzip.h"
#include "relais/strbuf.h"

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

static void gunzip_gives_back_the_bytes(void **state)
{
	size_t len, zlen, out_len = 0;
	char *json = batch(&len), *out = NULL;
	unsigned char *z = NULL;

	assert_int_equal(relais_gzip(&z, &zlen, json, len, 6), 0);
	assert_int_equal(relais_gunzip(&out, &out_len, z, zlen, 1024 * 1024), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, json, len);
	assert_int_equal(out[len], '\0');
	free(out);
	/* An empty member inflates to "". */
	free(z);
	assert_int_equal(relais_gzip(&z, &zlen, "", 0, 6), 0);
	assert_int_equal(relais_gunzip(&out, &out_len, z, zlen, 16), 0);
	assert_int_equal(out_len, 0);
	assert_string_equal(out, "");
	free(out);
	free(z);
	free(json);
}

static void gunzip_refuses_what_is_not_gzip(void **state)
{
	char *out = NULL;
	size_t out_len = 0;

	assert_int_equal(relais_gunzip(&out, &out_len, "", 0, 1024), -1);
	assert_int_equal(relais_gunzip(&out, &out_len, "[{\"id\":1}]", 10, 1024), -1);
	/* A raw zlib stream is not gzip either. */
	assert_int_equal(relais_gunzip(&out, &out_len, "\x78\x9c\x03\x00\x00\x00\x00\x01", 8, 1024),
	                 -1);
	assert_null(out);
}

static void gunzip_refuses_damage(void **state)
{
	size_t len, zlen, out_len, i;
	char *json = batch(&len), *out = NULL;
	unsigned char *z = NULL;

	assert_int_equal(relais_gzip(&z, &zlen, json, len, 6), 0);
	/* A flipped bit anywhere after the header: bad data, bad CRC or bad length. */
	for (i = 10; i < zlen; i++) {
		z[i] ^= 0x10;
		if (relais_gunzip(&out, &out_len, z, zlen, 1024 * 1024) != -1) {
			print_error("a flipped bit at %zu of %zu went unnoticed\n", i, zlen);
			fail();
		}
		z[i] ^= 0x10;
	}
	z[2] = 9; /* not deflate */
	assert_int_equal(relais_gunzip(&out, &out_len, z, zlen, 1024 * 1024), -1);
	assert_null(out);
	free(z);
	free(json);
}

static void gunzip_refuses_truncation(void **state)
{
	size_t len, zlen, out_len, cut;
	char *json = batch(&len), *out = NULL;
	unsigned char *z = NULL;

	assert_int_equal(relais_gzip(&z, &zlen, json, len, 6), 0);
	for (cut = 0; cut < zlen; cut++) {
		if (relais_gunzip(&out, &out_len, z, cut, 1024 * 1024) != -1) {
			print_error("cut to %zu of %zu bytes was accepted\n", cut, zlen);
			fail();
		}
	}
	assert_null(out);
	free(z);
	free(json);
}

/* Taps what a reader reads, to compare with the file. */
struct tapped {
	unsigned char *buf;
	size_t len;
};

static void tap(void *data, const void *buf, size_t len)
{
	struct tapped *t = data;

	t->buf = realloc(t->buf, t->len + len);
	assert_non_null(t->buf);
	memcpy(t->buf + t->len, buf, len);
	t->len += len;
}

/* Inflates path through a reader, small reads at a time: 0 or the status. */
static int read_all(char **out, size_t *out_len, relais_ctx *ctx, const char *path,
                    struct tapped *t)
{
	relais_gunzip_reader *r = NULL;
	char part[1000];
	size_t got;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = relais_gunzip_reader_open(&r, ctx, path, tap, t)) != 0) {
		return rc;
	}
	do {
		if ((rc = relais_gunzip_reader_read(r, ctx, part, sizeof(part), &got)) != 0) {
			break;
		}
		*out = realloc(*out, *out_len + got + 1);
		assert_non_null(*out);
		memcpy(*out + *out_len, part, got);
		*out_len += got;
	} while (got > 0);
	relais_gunzip_reader_free(r);
	return rc;
}

static void reader_streams_one_member(void **state)
{
	relais_ctx *ctx = NULL;
	struct tapped t = {NULL, 0};
	size_t len, zlen, out_len;
	char *json = batch(&len), *dir = craft_tmpdir(), *out = NULL, path[512];
	unsigned char *z = NULL, *longer;
	size_t cut;

	(void)state;
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_gzip(&z, &zlen, json, len, 6), 0);
	craft_write_bytes(dir, "whole.gz", z, zlen);
	(void)snprintf(path, sizeof(path), "%s/whole.gz", dir);
	assert_int_equal(read_all(&out, &out_len, ctx, path, &t), 0);
	assert_int_equal(out_len, len);
	assert_memory_equal(out, json, len);
	assert_int_equal(t.len, zlen); /* the tap saw the whole file */
	assert_memory_equal(t.buf, z, zlen);
	free(out);

	/* Cut anywhere: refused; with a byte after the member: refused. */
	for (cut = 0; cut < zlen; cut += 97) {
		craft_write_bytes(dir, "cut.gz", z, cut);
		(void)snprintf(path, sizeof(path), "%s/cut.gz", dir);
		assert_int_equal(read_all(&out, &out_len, ctx, path, &t), RELAIS_EFORMAT);
		free(out);
	}
	longer = malloc(zlen + 1);
	assert_non_null(longer);
	memcpy(longer, z, zlen);
	longer[zlen] = '\n';
	craft_write_bytes(dir, "longer.gz", longer, zlen + 1);
	(void)snprintf(path, sizeof(path), "%s/longer.gz", dir);
	assert_int_equal(read_all(&out, &out_len, ctx, path, &t), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(ctx), "bytes follow the gzip data"));
	free(out);
	(void)snprintf(path, sizeof(path), "%s/absent.gz", dir);
	assert_int_equal(read_all(&out, &out_len, ctx, path, &t), RELAIS_ENOTFOUND);
	assert_int_equal(read_all(&out, &out_len, ctx, dir, &t), RELAIS_EFORMAT);
	free(longer);
	free(t.buf);
	free(z);
	free(json);
	craft_rmtree(dir);
	free(dir);
	relais_ctx_free(ctx);
}

static void gunzip_stops_at_the_cap(void **state)
{
	size_t big = 64 * 1024 * 1024, zlen, out_len = 0;
	char *zeros = calloc(1, big), *out = NULL;
	unsigned char *z = NULL;

	assert_non_null(zeros);
	/* A bomb: 64 MiB of zeros in about 64 KiB; refused at a 1 MiB cap. */
	assert_int_equal(relais_gzip(&z, &zlen, zeros, big, 12), 0);
	assert_true(zlen < 128 * 1024);
	assert_int_equal(relais_gunzip(&out, &out_len, z, zlen, 1024 * 1024), -2);
	assert_null(out);
	free(z);
	/* Just under the cap passes, one byte over does not. */
	assert_int_equal(relais_gzip(&z, &zlen, zeros, 1000, 6), 0);
	assert_int_equal(relais_gunzip(&out, &out_len, z, zlen, 1001), 0);
	assert_int_equal(out_len, 1000);
	free(out);
	out = NULL;
	assert_int_equal(relais_gunzip(&out, &out_len, z, zlen, 999), -2);
	assert_null(out);
	free(z);
	free(zeros);
}

/* A write function for the stream: appends to a relais_strbuf. */
static int to_strbuf(void *data, const void *buf, size_t len)
{
	struct relais_strbuf *b = data;

	relais_strbuf_addn(b, buf, len);
	return b->rc;
}

static int refuse(void *data, const void *buf, size_t len)
{
	int *calls = data;

	(*calls)++;
	return RELAIS_EIO;
}

/* Inflates a gzip image with zlib itself, into out (cap bytes). Returns the length. */
static size_t zlib_gunzip(char *out, size_t cap, const void *in, size_t len)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 31), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0); /* one member, nothing after it */
	inflateEnd(&zs);
	return zs.total_out;
}

static void stream_round_trips_through_zlib(void **state)
{
	struct relais_strbuf gz = {.max = 64 * 1024 * 1024};
	relais_gzip_stream *s = NULL;
	relais_ctx *ctx = NULL;
	size_t len, i, back_len, total = 0;
	char *json = batch(&len), *whole, *back;

	/* The batch forty times over (about 2 MiB), in pieces of every size. */
	whole = malloc(len * 40);
	back = malloc(len * 40 + 1);
	assert_non_null(whole);
	assert_non_null(back);
	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_gzip_stream_new(&s, ctx, 6, to_strbuf, &gz), 0);
	for (i = 0; i < 40; i++) {
		size_t piece = i == 0 ? 0 : i * 997 % len;
		memcpy(whole + total, json, len);
		assert_int_equal(relais_gzip_stream_put(s, ctx, json, piece), 0);
		assert_int_equal(relais_gzip_stream_put(s, ctx, json + piece, len - piece), 0);
		total += len;
	}
	assert_int_equal(relais_gzip_stream_finish(s, ctx), 0);
	relais_gzip_stream_free(s);
	assert_int_equal(gz.rc, 0);
	assert_true(gz.len < total / 10);
	assert_int_equal((unsigned char)gz.p[0], 0x1f);
	assert_int_equal((unsigned char)gz.p[1], 0x8b);
	back_len = zlib_gunzip(back, total + 1, gz.p, gz.len);
	assert_int_equal(back_len, total);
	assert_memory_equal(back, whole, total);
	relais_strbuf_free(&gz);

	/* Nothing at all is still one valid, empty member. */
	assert_int_equal(relais_gzip_stream_new(&s, ctx, 9, to_strbuf, &gz), 0);
	assert_int_equal(relais_gzip_stream_finish(s, ctx), 0);
	relais_gzip_stream_free(s);
	assert_int_equal(zlib_gunzip(back, 1, gz.p, gz.len), 0);
	relais_strbuf_free(&gz);
	relais_gzip_stream_free(NULL);
	relais_ctx_free(ctx);
	free(back);
	free(whole);
	free(json);
}

static void stream_passes_on_the_writers_status(void **state)
{
	relais_gzip_stream *s = NULL;
	relais_ctx *ctx = NULL;
	size_t len;
	char *json = batch(&len);
	int calls = 0, rc;

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_gzip_stream_new(&s, ctx, 6, refuse, &calls), 0);
	/* deflate may hold a small input back; finishing must write, and fail. */
	rc = relais_gzip_stream_put(s, ctx, json, len);
	if (rc == 0) {
		rc = relais_gzip_stream_finish(s, ctx);
	}
	assert_int_equal(rc, RELAIS_EIO);
	assert_int_equal(calls, 1); /* it stops at the first refusal */
	relais_gzip_stream_free(s);
	relais_ctx_free(ctx);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(gunzips_to_the_same_bytes),
	        cmocka_unit_test(smaller_than_zlib_best),
	        cmocka_unit_test(gunzip_gives_back_the_bytes),
	        cmocka_unit_test(gunzip_refuses_what_is_not_gzip),
	        cmocka_unit_test(gunzip_refuses_damage),
	        cmocka_unit_test(gunzip_refuses_truncation),
	        cmocka_unit_test(gunzip_stops_at_the_cap),
	        cmocka_unit_test(reader_streams_one_member),
	        cmocka_unit_test(stream_round_trips_through_zlib),
	        cmocka_unit_test(stream_passes_on_the_writers_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

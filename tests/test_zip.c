/* test_zip.c: the canonical ZIP form: paths, compression choice, interoperability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <sodium.h>
#include <zlib.h>

#include "craft.h"
#include "relais/error.h"
#include "relais/zip.h"

static void entry_paths(void **state)
{
	static const char *good[] = {"a.html", "lessons/01-intro.html", "media/carte é.svg",
	                             "a/b/c/d.png", ".hidden"};
	static const char *bad[] = {"",     "/abs", "a/../b", "..",          "./a",
	                            "a//b", "a\\b", "a/",     "bad\x01name", "\xff\xfe"};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(relais_zip_path_ok(good[i], &why), 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(relais_zip_path_ok(bad[i], &why), -1);
		assert_non_null(why);
	}
}

static void stores_what_does_not_shrink(void **state)
{
	unsigned char *out = NULL, noise[4096], text[4096];
	size_t out_len = 0, i;
	uint32_t crc;
	int method;

	static const unsigned char seed[randombytes_SEEDBYTES] = {1};

	/* Like a JPEG: bytes with no redundancy left to squeeze. */
	randombytes_buf_deterministic(noise, sizeof(noise), seed);
	for (i = 0; i < sizeof(text); i++) {
		text[i] = "relais carries lessons "[i % 23];
	}
	assert_int_equal(
	        relais_zip_compress(&out, &out_len, &method, &crc, noise, sizeof(noise), 9), 0);
	assert_int_equal(method, RELAIS_ZIP_STORE);
	assert_null(out);
	assert_int_equal(relais_zip_compress(&out, &out_len, &method, &crc, text, sizeof(text), 9),
	                 0);
	assert_int_equal(method, RELAIS_ZIP_DEFLATE);
	assert_true(out_len < sizeof(text) / 10);
	free(out);
}

/*
 * Lesson-like text deflates smaller than with zlib's best level (bundles are
 * what crosses slow links), and any deflate reader inflates it back.
 */
static void text_deflates_smaller_than_zlib_best(void **state)
{
	static const char *words[] = {"<p>",       "</p>\n",    "the",      "health",
	                              "border",    "officer",   "records",  "<strong>",
	                              "</strong>", "screening", "referral", "consent",
	                              "and",       "of",        "a",        "<td>"};
	enum { LEN = 64 * 1024 };
	unsigned char *text = malloc(LEN), *back = malloc(LEN), *out = NULL;
	uint32_t crc, rnd = 12345;
	size_t len = 0, out_len = 0;
	uLongf back_len = LEN;
	z_stream zs;
	int method;

	assert_non_null(text);
	assert_non_null(back);
	while (len < LEN) {
		const char *w;
		size_t n;

		rnd = rnd * 1103515245u + 12345u;
		w = words[(rnd >> 16) % 16];
		n = strlen(w);
		if (len + n + 1 > LEN) {
			break;
		}
		memcpy(text + len, w, n);
		text[len + n] = ' ';
		len += n + 1;
	}
	assert_int_equal(relais_zip_compress(&out, &out_len, &method, &crc, text, len, 0), 0);
	assert_int_equal(method, RELAIS_ZIP_DEFLATE);
	assert_int_equal(crc, (uint32_t)crc32(0L, text, (uInt)len));

	assert_true(out_len < craft_zlib_best_size(text, len, -15));

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, -15), Z_OK);
	zs.next_in = out;
	zs.avail_in = (uInt)out_len;
	zs.next_out = back;
	zs.avail_out = (uInt)back_len;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_memory_equal(back, text, len);
	inflateEnd(&zs);
	free(out);
	free(back);
	free(text);
}

static int to_file(void *data, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, data) == len ? 0 : -1;
}

static int collect(void *data, const unsigned char *buf, size_t len)
{
	size_t *n = data;
	*n += len;
	return 0;
}

/* What relais writes, a standard ZIP reader (libarchive) reads back the same. */
static void libarchive_reads_our_archives(void **state)
{
	char *dir = craft_tmpdir(), path[512];
	static const char text[] = "Register with the consulate. Register with the consulate.";
	struct relais_zip_source src[2];
	unsigned char *deflated[2] = {NULL, NULL};
	struct archive *a = archive_read_new();
	struct archive_entry *ae;
	relais_zip *zip = NULL;
	relais_ctx *ctx = NULL;
	char buf[256];
	size_t i, got = 0;
	FILE *f;

	memset(src, 0, sizeof(src));
	for (i = 0; i < 2; i++) {
		src[i].name = i == 0 ? "lessons/a.html" : "media/b.txt";
		assert_int_equal(relais_zip_compress(&deflated[i], &src[i].data_len, &src[i].method,
		                                     &src[i].crc32, (const unsigned char *)text,
		                                     sizeof(text) - 1 - i * 20, 9),
		                 0);
		src[i].data = deflated[i] ? deflated[i] : (const unsigned char *)text;
		if (deflated[i] == NULL) {
			src[i].data_len = sizeof(text) - 1 - i * 20;
		}
		src[i].size = (uint32_t)(sizeof(text) - 1 - i * 20);
	}
	snprintf(path, sizeof(path), "%s/t.zip", dir);
	f = fopen(path, "wb");
	assert_int_equal(relais_zip_write(NULL, src, 2, to_file, f), 0);
	fclose(f);

	archive_read_support_format_zip(a);
	assert_int_equal(archive_read_open_filename(a, path, 4096), ARCHIVE_OK);
	for (i = 0; archive_read_next_header(a, &ae) == ARCHIVE_OK; i++) {
		la_ssize_t n;
		assert_string_equal(archive_entry_pathname(ae), src[i].name);
		assert_int_equal(archive_entry_mtime(ae) > 0, 1);
		n = archive_read_data(a, buf, sizeof(buf));
		assert_int_equal(n, src[i].size);
		assert_memory_equal(buf, text, (size_t)n);
	}
	assert_int_equal(i, 2);
	archive_read_free(a);

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_zip_open(&zip, ctx, path), 0);
	assert_int_equal(relais_zip_count(zip), 2);
	assert_int_equal(relais_zip_find(zip, "media/b.txt"), 1);
	assert_int_equal(relais_zip_read(ctx, zip, 0, collect, &got), 0);
	assert_int_equal(got, src[0].size);
	relais_zip_free(zip);
	relais_ctx_free(ctx);
	free(deflated[0]);
	free(deflated[1]);
	craft_rmtree(dir);
	free(dir);
}

/* Archives made by other tools are refused: bundles have one canonical form. */
static void foreign_archives_are_refused(void **state)
{
	char *dir = craft_tmpdir(), path[512];
	struct archive *a = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	relais_zip *zip = NULL;
	relais_ctx *ctx = NULL;

	snprintf(path, sizeof(path), "%s/other.zip", dir);
	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(ae, "manifest.json");
	archive_entry_set_size(ae, 2);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_write_header(a, ae);
	archive_write_data(a, "{}", 2);
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(ae);

	assert_int_equal(relais_ctx_new(&ctx), 0);
	assert_int_equal(relais_zip_open(&zip, ctx, path), RELAIS_EFORMAT);
	assert_non_null(strstr(relais_errmsg(ctx), "other.zip"));
	relais_ctx_free(ctx);
	craft_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(entry_paths),
	        cmocka_unit_test(stores_what_does_not_shrink),
	        cmocka_unit_test(text_deflates_smaller_than_zlib_best),
	        cmocka_unit_test(libarchive_reads_our_archives),
	        cmocka_unit_test(foreign_archives_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

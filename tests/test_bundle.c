/* test_bundle.c: opening, reading and verifying bundles, and every way to break one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include "craft.h"
#include "relais/bundle.h"
#include "relais/course.h"
#include "relais/error.h"

struct fixture {
	char *dir;
	char path[512];
	relais_ctx *ctx;
	relais_pubkey *pub, *other_pub;
	relais_seckey *sec, *other_sec;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	relais_course *course = NULL;
	relais_diag *diag = NULL;
	char src[600];

	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&f->pub, &f->sec, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&f->other_pub, &f->other_sec, f->ctx), 0);
	snprintf(src, sizeof(src), "%s/src", f->dir);
	craft_course(src);
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_course_load(&course, f->ctx, diag, src, NULL), 0);
	snprintf(f->path, sizeof(f->path), "%s/good.relais", f->dir);
	assert_int_equal(relais_course_pack(f->ctx, course, f->sec, f->path, NULL), 0);
	relais_course_free(course);
	relais_diag_free(diag);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	craft_rmtree(f->dir);
	free(f->dir);
	relais_pubkey_free(f->pub);
	relais_pubkey_free(f->other_pub);
	relais_seckey_free(f->sec);
	relais_seckey_free(f->other_sec);
	relais_ctx_free(f->ctx);
	free(f);
	return 0;
}

/* Opens and fully verifies path with key; returns the status. */
static int open_verify(struct fixture *f, const char *path, const relais_pubkey *key)
{
	relais_bundle *b = NULL;
	int rc;

	relais_clear(f->ctx);
	rc = relais_bundle_open(&b, f->ctx, path, key);
	if (rc == 0) {
		rc = relais_bundle_verify_all(f->ctx, b, 2);
	}
	relais_bundle_free(b);
	return rc;
}

static void expect_failure(struct fixture *f, const char *path, int status, const char *words)
{
	int rc = open_verify(f, path, f->pub);

	if (rc != status || strstr(relais_errmsg(f->ctx), words) == NULL) {
		fail_msg("expected status %d with \"%s\", got %d: %s", status, words, rc,
		         relais_errmsg(f->ctx));
	}
	assert_null(strchr(relais_errmsg(f->ctx), '\n'));
}

static void good_bundle_reads_in_place(void **state)
{
	struct fixture *f = *state;
	relais_bundle *b = NULL;
	const relais_manifest *m;
	unsigned char *data = NULL;
	size_t len = 0;

	assert_int_equal(relais_bundle_open(&b, f->ctx, f->path, f->pub), 0);
	m = relais_bundle_manifest(b);
	assert_string_equal(m->id, "field-safety");
	assert_int_equal(m->version, 3);
	assert_int_equal(m->n_units, 3);
	assert_string_equal(m->units[0].path, "lessons/arrive.html");
	assert_int_equal(m->units[2].kind, RELAIS_UNIT_QUIZ);
	assert_int_equal(m->units[2].pass_percent, 50);
	assert_int_equal(m->n_entries, 4);
	/* Entries in byte order of their paths. */
	assert_string_equal(m->entries[0].path, "lessons/arrive.html");
	assert_string_equal(m->entries[1].path, "lessons/stay.html");
	assert_string_equal(m->entries[2].path, "media/map.svg");
	assert_string_equal(m->entries[3].path, "quiz/check.json");

	assert_int_equal(relais_bundle_read(&data, &len, f->ctx, b, "lessons/arrive.html"), 0);
	assert_non_null(strstr((char *)data, "<h1>Arriving</h1>"));
	assert_non_null(strstr((char *)data, "<img src=\"../media/map.svg\""));
	assert_non_null(strstr((char *)data, "href=\"stay.html\""));
	assert_non_null(strstr((char *)data, "<table>"));
	free(data);

	assert_int_equal(relais_bundle_read(&data, &len, f->ctx, b, "media/map.svg"), 0);
	assert_non_null(strstr((char *)data, "<title>Map</title>"));
	free(data);

	assert_int_equal(relais_bundle_read(&data, &len, f->ctx, b, "nope.html"), RELAIS_ENOTFOUND);
	assert_null(data);
	assert_int_equal(relais_bundle_verify_all(f->ctx, b, 2), 0);
	assert_string_not_equal(relais_bundle_signer(b), "");
	relais_bundle_free(b);
}

/* What the reader sends from the file: the stored bytes are the entry, checked once. */
static void entries_served_as_stored(void **state)
{
	struct fixture *f = *state;
	struct relais_bundle_span span;
	relais_bundle *b = NULL;
	unsigned char *data = NULL, *again = NULL, *stored, *inflated, *copy;
	size_t len = 0, again_len = 0, copy_len = 0;
	char path[700];
	z_stream zs;
	int fd;

	/* A copy of its own: this test changes the file. */
	copy = craft_slurp(f->path, &copy_len);
	craft_write_bytes(f->dir, "served.relais", copy, copy_len);
	free(copy);
	snprintf(path, sizeof(path), "%s/served.relais", f->dir);
	assert_int_equal(relais_bundle_open(&b, f->ctx, path, f->pub), 0);
	assert_int_equal(relais_bundle_read(&data, &len, f->ctx, b, "lessons/arrive.html"), 0);
	assert_int_equal(relais_bundle_span(&span, f->ctx, b, "lessons/arrive.html"), 0);
	assert_true(span.deflated);
	assert_int_equal(span.size, len);
	assert_int_equal(span.index, 0);
	assert_int_equal(span.crc32, (uint32_t)crc32(0, data, (uInt)len));
	/* The raw deflate bytes at the span inflate to the entry. */
	stored = malloc(span.stored_len);
	inflated = malloc(len + 1);
	assert_int_equal(pread(span.fd, stored, span.stored_len, (off_t)span.offset),
	                 (ssize_t)span.stored_len);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, -15), Z_OK);
	zs.next_in = stored;
	zs.avail_in = (uInt)span.stored_len;
	zs.next_out = inflated;
	zs.avail_out = (uInt)len + 1;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, len);
	assert_memory_equal(inflated, data, len);
	inflateEnd(&zs);
	assert_int_equal(relais_bundle_check(f->ctx, b, "lessons/arrive.html"), 0);
	assert_int_equal(relais_bundle_check(f->ctx, b, "nope.html"), RELAIS_ENOTFOUND);
	assert_int_equal(relais_bundle_reread(&again, &again_len, f->ctx, b, "lessons/arrive.html"),
	                 0);
	assert_int_equal(again_len, len);
	assert_memory_equal(again, data, len);
	free(again);
	assert_int_equal(relais_bundle_changed(b), 0);

	/* One byte changed in place: the file is seen to change, the entry fails. */
	stored[span.stored_len / 2] ^= 0x20;
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, stored + span.stored_len / 2, 1,
	                        (off_t)(span.offset + span.stored_len / 2)),
	                 1);
	close(fd);
	assert_int_equal(relais_bundle_changed(b), 1);
	assert_int_not_equal(relais_bundle_check(f->ctx, b, "lessons/arrive.html"), 0);
	again = NULL;
	assert_int_not_equal(
	        relais_bundle_reread(&again, &again_len, f->ctx, b, "lessons/arrive.html"), 0);
	assert_null(again);
	free(stored);
	free(inflated);
	free(data);
	relais_bundle_free(b);
}

static void same_source_same_bytes(void **state)
{
	struct fixture *f = *state;
	relais_course *course = NULL;
	relais_diag *diag = NULL;
	unsigned char *a, *b;
	size_t alen, blen;
	char src[600], again[600];

	snprintf(src, sizeof(src), "%s/src", f->dir);
	snprintf(again, sizeof(again), "%s/again.relais", f->dir);
	assert_int_equal(relais_diag_new(&diag), 0);
	assert_int_equal(relais_course_load(&course, f->ctx, diag, src, NULL), 0);
	/* One thread this time: the bytes must not depend on scheduling. */
	struct relais_course_options opt = {.threads = 1};
	assert_int_equal(relais_course_pack(f->ctx, course, f->sec, again, &opt), 0);
	a = craft_slurp(f->path, &alen);
	b = craft_slurp(again, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	relais_course_free(course);
	relais_diag_free(diag);
}

/* Flipping any single byte of a bundle must make it fail verification. */
static void every_flipped_byte_is_caught(void **state)
{
	struct fixture *f = *state;
	unsigned char *data;
	size_t len, i, missed = 0;
	char bad[600];

	snprintf(bad, sizeof(bad), "%s/flipped.relais", f->dir);
	data = craft_slurp(f->path, &len);
	assert_true(len > 1000);
	for (i = 0; i < 2 * len; i++) {
		/* The lowest and the highest bit of every byte: the highest
		 * reaches the padding after a deflate stream's end. */
		unsigned char bit = i < len ? 0x01 : 0x80;
		size_t at = i % len;
		FILE *out;
		data[at] ^= bit;
		out = fopen(bad, "wb");
		assert_non_null(out);
		assert_int_equal(fwrite(data, 1, len, out), len);
		fclose(out);
		if (open_verify(f, bad, f->pub) == 0) {
			print_message("flip of bit %02x at byte %zu of %zu went unnoticed\n", bit,
			              at, len);
			missed++;
		}
		data[at] ^= bit;
	}
	free(data);
	assert_int_equal(missed, 0);
}

static void out_half(const char *path, const unsigned char *data, size_t len)
{
	FILE *out = fopen(path, "wb");

	assert_int_equal(fwrite(data, 1, len, out), len);
	fclose(out);
}

static void truncated_bundle(void **state)
{
	struct fixture *f = *state;
	unsigned char *data;
	size_t len, cut;
	char bad[600];

	snprintf(bad, sizeof(bad), "%s/short.relais", f->dir);
	data = craft_slurp(f->path, &len);
	for (cut = 1; cut < len; cut += len / 7) {
		FILE *out = fopen(bad, "wb");
		assert_int_equal(fwrite(data, 1, len - cut, out), len - cut);
		fclose(out);
		assert_int_not_equal(open_verify(f, bad, f->pub), 0);
	}
	/* Cut in the middle: the end-of-archive record is gone. */
	out_half(bad, data, len / 2);
	free(data);
	expect_failure(f, bad, RELAIS_EFORMAT, "truncated");
}

static void not_a_zip(void **state)
{
	struct fixture *f = *state;

	craft_write(f->dir, "text.relais", "this is a lesson, not a bundle\n");
	char p[600];
	snprintf(p, sizeof(p), "%s/text.relais", f->dir);
	expect_failure(f, p, RELAIS_EFORMAT, "not a ZIP file");
	snprintf(p, sizeof(p), "%s/absent.relais", f->dir);
	expect_failure(f, p, RELAIS_ENOTFOUND, "absent.relais");
}

static void signed_by_another_key(void **state)
{
	struct fixture *f = *state;

	expect_failure(f, f->path, 0, "");
	assert_int_equal(open_verify(f, f->path, f->other_pub), RELAIS_ESIGNATURE);
	assert_non_null(strstr(relais_errmsg(f->ctx), "signed by another key"));
}

static const char lesson[] = "<p>A lesson</p>";

static void crafted(struct fixture *f, const char *name, const struct craft_entry *e, size_t n,
                    const char *manifest, int sign, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", f->dir, name);
	craft_bundle(path, f->sec, e, n, manifest, sign);
}

static void crafted_baseline_is_valid(void **state)
{
	struct fixture *f = *state;
	struct craft_entry e[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1}};
	char p[600];

	crafted(f, "base.relais", e, 1, NULL, 1, p, sizeof(p));
	/* The crafting helper itself makes good bundles: the failures below are
	 * each caused by the one thing they change. */
	assert_int_equal(open_verify(f, p, f->pub), 0);
}

static void missing_or_malformed_signature(void **state)
{
	struct fixture *f = *state;
	struct craft_entry e[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1}};
	char p[600];

	crafted(f, "nosig.relais", e, 1, NULL, 0, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "signature missing");

	crafted(f, "badsig.relais", e, 1, NULL, 2, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "manifest.json.minisig is malformed");
}

static void manifest_not_json_or_too_big(void **state)
{
	struct fixture *f = *state;
	struct craft_entry e[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1}};
	char p[600], *big;

	crafted(f, "notjson.relais", e, 1, "{\"format\": 1, \"id\": ", 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "manifest: not a JSON object");

	big = malloc(RELAIS_MANIFEST_MAX_BYTES + 100);
	memset(big, ' ', RELAIS_MANIFEST_MAX_BYTES + 99);
	big[0] = '{';
	big[RELAIS_MANIFEST_MAX_BYTES + 98] = '}';
	big[RELAIS_MANIFEST_MAX_BYTES + 99] = '\0';
	crafted(f, "bigmanifest.relais", e, 1, big, 1, p, sizeof(p));
	free(big);
	expect_failure(f, p, RELAIS_ELIMIT, "over the limit");

	crafted(f, "wrongtype.relais", e, 1,
	        "{\"format\":1,\"id\":\"x\",\"version\":\"2\",\"title\":\"t\",\"language\":\"en\","
	        "\"authors\":[],\"estimated_minutes\":0,\"units\":[],\"entries\":[]}",
	        1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "version must be a number");
}

static void entry_sets_must_match(void **state)
{
	struct fixture *f = *state;
	char p[600];

	struct craft_entry extra[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1},
	                              {"b.js", "alert(1)", 8, -1, 0, 1}};
	crafted(f, "extra.relais", extra, 2, NULL, 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "entry b.js is not listed in the manifest");

	struct craft_entry lacking[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1},
	                                {"b.png", "PNG", 3, -1, 1, 0}};
	crafted(f, "lacking.relais", lacking, 2, NULL, 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "manifest lists b.png, which the archive lacks");

	struct craft_entry twice[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1},
	                              {"a.html", lesson, sizeof(lesson) - 1, -1, 0, 1}};
	crafted(f, "twice.relais", twice, 2, NULL, 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "entry a.html is present twice");

	struct craft_entry changed[] = {
	        {"a.html", lesson, sizeof(lesson) - 1, -1, 1, 0},
	        {"a.html", "<p>A lessoN</p>", sizeof(lesson) - 1, -1, 0, 1}};
	crafted(f, "changed.relais", changed, 2, NULL, 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EHASH, "entry a.html does not match its SHA-256");
}

static void unsafe_paths(void **state)
{
	struct fixture *f = *state;
	unsigned char *data;
	size_t len, at;
	char p[600];
	FILE *out;

	struct craft_entry abs[] = {{"/etc/passwd", lesson, sizeof(lesson) - 1, -1, 0, 1}};
	crafted(f, "abs.relais", abs, 1, NULL, 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "entry path /etc/passwd is absolute");

	struct craft_entry dots[] = {
	        {"lessons/../../x.html", lesson, sizeof(lesson) - 1, -1, 0, 1}};
	crafted(f, "dots.relais", dots, 1, NULL, 1, p, sizeof(p));
	expect_failure(f, p, RELAIS_EFORMAT, "contains . or ..");

	/* A symlink: the same archive with the entry's Unix mode set to 0120777. */
	struct craft_entry link[] = {{"a.html", lesson, sizeof(lesson) - 1, -1, 1, 1}};
	crafted(f, "link.relais", link, 1, NULL, 1, p, sizeof(p));
	data = craft_slurp(p, &len);
	at = craft_central_offset(data, len, "a.html");
	data[at + 40] = 0xff;
	data[at + 41] = 0xa1;
	out = fopen(p, "wb");
	assert_int_equal(fwrite(data, 1, len, out), len);
	fclose(out);
	free(data);
	expect_failure(f, p, RELAIS_EFORMAT, "entry a.html is a symlink");
}

static void decompression_bomb(void **state)
{
	struct fixture *f = *state;
	size_t big = 8 * 1024 * 1024;
	char *zeros = calloc(1, big);
	char p[600];

	/* 8 MiB of zeros that the headers and the manifest call 100 bytes. */
	struct craft_entry bomb[] = {{"bomb.html", zeros, big, 100, 1, 1}};
	crafted(f, "bomb.relais", bomb, 1, NULL, 1, p, sizeof(p));
	free(zeros);
	expect_failure(f, p, RELAIS_ELIMIT, "entry bomb.html inflates past its declared size");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(good_bundle_reads_in_place),
	        cmocka_unit_test(entries_served_as_stored),
	        cmocka_unit_test(same_source_same_bytes),
	        cmocka_unit_test(every_flipped_byte_is_caught),
	        cmocka_unit_test(truncated_bundle),
	        cmocka_unit_test(not_a_zip),
	        cmocka_unit_test(signed_by_another_key),
	        cmocka_unit_test(crafted_baseline_is_valid),
	        cmocka_unit_test(missing_or_malformed_signature),
	        cmocka_unit_test(manifest_not_json_or_too_big),
	        cmocka_unit_test(entry_sets_must_match),
	        cmocka_unit_test(unsafe_paths),
	        cmocka_unit_test(decompression_bomb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_delta.c: deltas rebuild the newer bundle byte for byte, and bad deltas leave nothing. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "craft.h"
#include "relais/course.h"
#include "relais/delta.h"
#include "relais/error.h"
#include "relais/key.h"

#define N_LESSONS 20
#define PICTURE_LEN 16384

struct fx {
	char *dir;
	relais_ctx *ctx;
	relais_seckey *sec;
	unsigned char picture[PICTURE_LEN];
};

/* Lesson i's text; `edited` changes one sentence of it. */
static void lesson_text(char *buf, size_t size, int i, int edited)
{
	int n = snprintf(buf, size,
	                 "# Lesson %d\n\nThe officer at post %d checks every record twice before "
	                 "sending it, and keeps a copy in the register of the district.%s\n\n"
	                 "A traveller without papers is referred to the clinic %d, where the "
	                 "nurse on duty explains the procedure in their own language.\n",
	                 i, i * 7, edited ? " Copies older than a year are destroyed." : "", i * 3);
	assert_true(n > 0 && (size_t)n < size);
}

/*
 * Writes a course of N_LESSONS lessons at dir and packs it into out:
 * lessons marked in edited[] carry a changed sentence; `extra` adds a
 * lesson and a second picture; `drop` (1-based, 0: none) leaves one lesson
 * out; `picture` names where the photograph lies.
 */
static void make_bundle(struct fx *f, const char *name, unsigned version, const int *edited,
                        int extra, int drop, const char *picture, char *out, size_t out_size)
{
	char src[512], rel[64], text[1024], units[8192], unit[256];
	relais_course *c = NULL;
	relais_diag *d = NULL;
	size_t used = 0;
	int i, n;

	snprintf(src, sizeof(src), "%s/src-%s", f->dir, name);
	snprintf(out, out_size, "%s/%s.relais", f->dir, name);
	units[0] = '\0';
	for (i = 1; i <= N_LESSONS + (extra ? 1 : 0); i++) {
		if (i == drop) {
			continue;
		}
		snprintf(rel, sizeof(rel), "lessons/%02d.md", i);
		lesson_text(text, sizeof(text), i,
		            edited != NULL && i <= N_LESSONS && edited[i - 1]);
		if (i == 1) {
			n = snprintf(text + strlen(text), sizeof(text) - strlen(text),
			             "\n![A photograph](../%s)\n", picture);
			assert_true(n > 0);
		}
		if (i == N_LESSONS + 1) {
			strcat(text, "\n![A second photograph](../media/second.jpg)\n");
		}
		craft_write(src, rel, text);
		n = snprintf(unit, sizeof(unit),
		             "%s{\"id\": \"l%02d\", \"title\": \"Lesson %d\", \"lesson\": \"%s\"}",
		             used ? "," : "", i, i, rel);
		assert_true(n > 0 && used + (size_t)n < sizeof(units));
		memcpy(units + used, unit, (size_t)n + 1);
		used += (size_t)n;
	}
	craft_write_bytes(src, picture, f->picture, sizeof(f->picture));
	if (extra) {
		craft_write_bytes(src, "media/second.jpg", f->picture + 100, 4000);
	}
	n = snprintf(text, sizeof(text),
	             "{\"id\": \"delta-course\", \"version\": %u, \"language\": \"en\", "
	             "\"title\": \"Deltas\", \"units\": [",
	             version);
	assert_true(n > 0);
	{
		size_t len = strlen(text) + used + 4;
		char *json = malloc(len);
		assert_non_null(json);
		snprintf(json, len, "%s%s]}\n", text, units);
		craft_write(src, "course.json", json);
		free(json);
	}
	assert_int_equal(relais_diag_new(&d), 0);
	assert_int_equal(relais_course_load(&c, f->ctx, d, src, NULL), 0);
	assert_int_equal(relais_course_pack(f->ctx, c, f->sec, out, NULL), 0);
	relais_course_free(c);
	relais_diag_free(d);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	relais_pubkey *pub = NULL;
	uint32_t x = 2463534242u;
	size_t i;

	assert_non_null(f);
	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&pub, &f->sec, f->ctx), 0);
	relais_pubkey_free(pub);
	/* A photograph: bytes that do not compress, so the packer stores them. */
	f->picture[0] = 0xff, f->picture[1] = 0xd8, f->picture[2] = 0xff, f->picture[3] = 0xe0;
	for (i = 4; i < PICTURE_LEN; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		f->picture[i] = (unsigned char)x;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	relais_seckey_free(f->sec);
	relais_ctx_free(f->ctx);
	craft_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Whether dir holds any file whose name starts with prefix. */
static int leftovers(const char *dir, const char *prefix)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int found = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* Builds the delta from old to new, applies it to old and checks the result is new's bytes. */
static long round_trip(struct fx *f, const char *old, const char *new_bundle, const char *name)
{
	struct relais_delta_info built, read, applied;
	char delta[600], out[600];
	unsigned char *a, *b;
	size_t a_len, b_len;

	snprintf(delta, sizeof(delta), "%s/%s.delta", f->dir, name);
	snprintf(out, sizeof(out), "%s/%s.rebuilt", f->dir, name);
	assert_int_equal(relais_delta_build(&built, f->ctx, old, new_bundle, delta), 0);
	assert_int_equal(relais_delta_read_info(&read, f->ctx, delta), 0);
	assert_string_equal(read.id, "delta-course");
	assert_string_equal(read.to_sha256, built.to_sha256);
	assert_int_equal(read.to_size, (uint64_t)file_size(new_bundle));
	assert_int_equal(relais_delta_apply(&applied, f->ctx, old, delta, out), 0);
	assert_true(applied.from_version < applied.to_version);
	a = craft_slurp(new_bundle, &a_len);
	b = craft_slurp(out, &b_len);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	free(a);
	free(b);
	return file_size(delta);
}

static void one_lesson_changed(void **state)
{
	struct fx *f = *state;
	int edited[N_LESSONS] = {0};
	char v1[600], v2[600];
	long size;

	make_bundle(f, "one-v1", 1, NULL, 0, 0, "media/photo.jpg", v1, sizeof(v1));
	edited[4] = 1;
	make_bundle(f, "one-v2", 2, edited, 0, 0, "media/photo.jpg", v2, sizeof(v2));
	size = round_trip(f, v1, v2, "one");
	/* The picture and the nineteen other lessons stay on the laptop. */
	assert_true(size > 0 && size < 2000);
	assert_true(size * 10 < file_size(v2));
}

static void ten_lessons_changed(void **state)
{
	struct fx *f = *state;
	int edited[N_LESSONS] = {0};
	char v1[600], v2[600];
	long size;
	int i;

	make_bundle(f, "ten-v1", 3, NULL, 0, 0, "media/photo.jpg", v1, sizeof(v1));
	for (i = 0; i < 10; i++) {
		edited[2 * i] = 1;
	}
	make_bundle(f, "ten-v2", 7, edited, 0, 0, "media/photo.jpg", v2, sizeof(v2));
	size = round_trip(f, v1, v2, "ten");
	assert_true(size > 0 && size < PICTURE_LEN);
}

static void entries_added_removed_and_moved(void **state)
{
	struct fx *f = *state;
	char v1[600], v2[600];
	long size;

	make_bundle(f, "add-v1", 1, NULL, 0, 0, "media/photo.jpg", v1, sizeof(v1));
	/* Lesson 3 gone, lesson 21 and a picture added, the photograph moved. */
	make_bundle(f, "add-v2", 2, NULL, 1, 3, "pictures/photo.jpg", v2, sizeof(v2));
	size = round_trip(f, v1, v2, "add");
	/* The moved photograph is copied, not carried; the new picture is. */
	assert_true(size > 4000 && size < PICTURE_LEN);
}

/* ---- bad deltas ---------------------------------------------------------- */

/* A delta taken apart: its header fields and where the patch and ops lie. */
struct parsed {
	unsigned char *data;
	size_t len;
	size_t fields_at; /* offset of to_size, after the hashes */
	uint64_t to_size, manifest_len, signature_len, patch_len, ops_len;
	size_t header_len;
};

static uint64_t get_uv(const unsigned char *p, size_t *at)
{
	uint64_t v = 0;
	unsigned shift = 0;

	do {
		v |= (uint64_t)(p[*at] & 0x7f) << shift;
		shift += 7;
	} while (p[(*at)++] & 0x80);
	return v;
}

static size_t add_uv(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (unsigned char)(v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
		v >>= 7;
		n++;
	} while (v != 0);
	return n;
}

static void parse(struct parsed *d, const char *path)
{
	size_t at;

	d->data = craft_slurp(path, &d->len);
	at = 8;
	at += 1 + d->data[at];
	(void)get_uv(d->data, &at);
	(void)get_uv(d->data, &at);
	at += 64;
	d->fields_at = at;
	d->to_size = get_uv(d->data, &at);
	d->manifest_len = get_uv(d->data, &at);
	d->signature_len = get_uv(d->data, &at);
	d->patch_len = get_uv(d->data, &at);
	d->ops_len = get_uv(d->data, &at);
	d->header_len = at;
	assert_int_equal(d->len, d->header_len + d->patch_len + d->ops_len);
}

/* Writes a delta from d's first fields, the given sizes, d's patch and the given ops. */
static void write_delta(const char *path, const struct parsed *d, uint64_t to_size,
                        uint64_t manifest_len, const unsigned char *ops, size_t ops_len)
{
	unsigned char fields[64];
	size_t n = 0;
	FILE *out = fopen(path, "wb");

	assert_non_null(out);
	n += add_uv(fields + n, to_size);
	n += add_uv(fields + n, manifest_len);
	n += add_uv(fields + n, d->signature_len);
	n += add_uv(fields + n, d->patch_len);
	n += add_uv(fields + n, ops_len);
	assert_int_equal(fwrite(d->data, 1, d->fields_at, out), d->fields_at);
	assert_int_equal(fwrite(fields, 1, n, out), n);
	assert_int_equal(fwrite(d->data + d->header_len, 1, d->patch_len, out), d->patch_len);
	assert_int_equal(fwrite(ops, 1, ops_len, out), ops_len);
	assert_int_equal(fclose(out), 0);
}

/* Applies a bad delta: refused with status and a message holding `says`, nothing left. */
static void refused(struct fx *f, const char *base, const char *delta, int status, const char *says)
{
	char out[600];

	snprintf(out, sizeof(out), "%s/bad-out.relais", f->dir);
	assert_int_equal(relais_delta_apply(NULL, f->ctx, base, delta, out), status);
	if (strstr(relais_errmsg(f->ctx), says) == NULL) {
		fail_msg("expected \"%s\" in \"%s\"", says, relais_errmsg(f->ctx));
	}
	assert_int_equal(file_size(out), -1);
	assert_false(leftovers(f->dir, "bad-out.relais"));
}

static void bad_deltas_are_refused_and_leave_nothing(void **state)
{
	struct fx *f = *state;
	int edited[N_LESSONS] = {0};
	char v1[600], v2[600], v3[600], delta[600], bad[600];
	unsigned char ops[64], *lit;
	struct parsed d;
	size_t n;

	make_bundle(f, "bad-v1", 1, NULL, 0, 0, "media/photo.jpg", v1, sizeof(v1));
	edited[0] = 1;
	make_bundle(f, "bad-v2", 2, edited, 0, 0, "media/photo.jpg", v2, sizeof(v2));
	edited[1] = 1;
	make_bundle(f, "bad-v3", 3, edited, 0, 0, "media/photo.jpg", v3, sizeof(v3));
	snprintf(delta, sizeof(delta), "%s/bad.delta", f->dir);
	snprintf(bad, sizeof(bad), "%s/bad-crafted.delta", f->dir);
	assert_int_equal(relais_delta_build(NULL, f->ctx, v1, v2, delta), 0);
	parse(&d, delta);

	/* A base that is not the one the delta was made from. */
	refused(f, v3, delta, RELAIS_EHASH, "delta is for another base");
	refused(f, v2, delta, RELAIS_EHASH, "delta is for another base");

	/* Not a delta; cut short. */
	refused(f, v1, v1, RELAIS_EFORMAT, "not a relais delta");
	write_delta(bad, &d, d.to_size, d.manifest_len, d.data + d.header_len + d.patch_len,
	            (size_t)d.ops_len - 1);
	{
		/* ops_len says one byte less than the file holds */
		FILE *fp = fopen(bad, "ab");
		assert_non_null(fp);
		fputc(0, fp);
		fputc(0, fp);
		fclose(fp);
	}
	refused(f, v1, bad, RELAIS_EFORMAT, "its header announces");

	/* A copy of an entry the base does not have, or of more than remain. */
	n = 0;
	ops[n++] = 3, ops[n++] = 12, ops[n++] = 3, ops[n++] = 12, ops[n++] = 1;
	n += add_uv(ops + n, 1000);
	n += add_uv(ops + n, 1);
	write_delta(bad, &d, d.to_size, d.manifest_len, ops, n);
	refused(f, v1, bad, RELAIS_EFORMAT, "out of range");
	n = 4;
	ops[n++] = 1;
	n += add_uv(ops + n, 0);
	n += add_uv(ops + n, N_LESSONS + 5);
	write_delta(bad, &d, d.to_size, d.manifest_len, ops, n);
	refused(f, v1, bad, RELAIS_EFORMAT, "out of range");

	/* A copy of an entry whose content is not the new one's. */
	n = 4;
	ops[n++] = 1;
	n += add_uv(ops + n, 1);
	n += add_uv(ops + n, 1);
	write_delta(bad, &d, d.to_size, d.manifest_len, ops, n);
	refused(f, v1, bad, RELAIS_EFORMAT, "is not the base's");

	/* A literal longer than what is left of the file. */
	n = 4;
	ops[n++] = 2, ops[n++] = 8, ops[n++] = 1, ops[n++] = 2, ops[n++] = 3, ops[n++] = 4;
	n += add_uv(ops + n, 100000);
	lit = calloc(1, n + 50);
	assert_non_null(lit);
	memcpy(lit, ops, n);
	write_delta(bad, &d, d.to_size, d.manifest_len, lit, n + 50);
	free(lit);
	refused(f, v1, bad, RELAIS_EFORMAT, "runs past the end of the delta");

	/* A manifest patch that inflates past its declared size stops there. */
	write_delta(bad, &d, d.to_size, d.manifest_len - 10, d.data + d.header_len + d.patch_len,
	            (size_t)d.ops_len);
	refused(f, v1, bad, RELAIS_ELIMIT, "inflates past its declared size");

	/* A result whose size or SHA-256 is not the announced one. */
	write_delta(bad, &d, d.to_size - 1, d.manifest_len, d.data + d.header_len + d.patch_len,
	            (size_t)d.ops_len);
	refused(f, v1, bad, RELAIS_EHASH, "grows past its declared");
	write_delta(bad, &d, d.to_size + 1, d.manifest_len, d.data + d.header_len + d.patch_len,
	            (size_t)d.ops_len);
	refused(f, v1, bad, RELAIS_EHASH, "size or SHA-256 differs");
	d.data[d.fields_at - 1] ^= 1; /* the last byte of to_sha256 */
	write_delta(bad, &d, d.to_size, d.manifest_len, d.data + d.header_len + d.patch_len,
	            (size_t)d.ops_len);
	refused(f, v1, bad, RELAIS_EHASH, "size or SHA-256 differs");
	d.data[d.fields_at - 1] ^= 1;

	/* Bytes after the last entry. */
	lit = malloc(d.ops_len + 1);
	assert_non_null(lit);
	memcpy(lit, d.data + d.header_len + d.patch_len, d.ops_len);
	lit[d.ops_len] = 1;
	write_delta(bad, &d, d.to_size, d.manifest_len, lit, (size_t)d.ops_len + 1);
	free(lit);
	refused(f, v1, bad, RELAIS_EFORMAT, "bytes after its last entry");

	/* The untouched delta still rebuilds v2 exactly. */
	write_delta(bad, &d, d.to_size, d.manifest_len, d.data + d.header_len + d.patch_len,
	            (size_t)d.ops_len);
	snprintf(v3, sizeof(v3), "%s/bad-good.relais", f->dir);
	assert_int_equal(relais_delta_apply(NULL, f->ctx, v1, bad, v3), 0);
	assert_int_equal(file_size(v3), file_size(v2));
	free(d.data);
}

static void building_refuses_unrelated_bundles(void **state)
{
	struct fx *f = *state;
	char v1[600], v2[600], out[600];

	make_bundle(f, "rel-v1", 1, NULL, 0, 0, "media/photo.jpg", v1, sizeof(v1));
	make_bundle(f, "rel-v2", 2, NULL, 0, 0, "media/photo.jpg", v2, sizeof(v2));
	snprintf(out, sizeof(out), "%s/rel.delta", f->dir);
	assert_int_equal(relais_delta_build(NULL, f->ctx, v2, v1, out), RELAIS_EINVAL);
	assert_non_null(strstr(relais_errmsg(f->ctx), "is not newer than"));
	assert_int_equal(relais_delta_build(NULL, f->ctx, v1, v1, out), RELAIS_EINVAL);
	assert_int_equal(file_size(out), -1);
	assert_false(leftovers(f->dir, "rel.delta"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(one_lesson_changed),
	        cmocka_unit_test(ten_lessons_changed),
	        cmocka_unit_test(entries_added_removed_and_moved),
	        cmocka_unit_test(bad_deltas_are_refused_and_leave_nothing),
	        cmocka_unit_test(building_refuses_unrelated_bundles),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

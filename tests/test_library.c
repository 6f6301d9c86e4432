/* test_library.c: installing bundles on a laptop: trust, rollback, upgrades, search, removal. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "craft.h"
#include "relais/course.h"
#include "relais/error.h"
#include "relais/library.h"
#include "relais/profile.h"
#include "relais/progress.h"
#include "relais/trust.h"

struct fx {
	char *dir;
	char home_path[512], pub[512], other_pub[512];
	char v1[512], v2[512], other[512], tampered[512];
	relais_ctx *ctx;
	relais_home *home;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	relais_pubkey *pub = NULL, *opub = NULL;
	relais_seckey *sec = NULL, *osec = NULL;
	char src[600], src2[600];
	unsigned char *data;
	size_t len;
	FILE *out;

	assert_int_equal(relais_crypto_init(), 0);
	f->dir = craft_tmpdir();
	assert_int_equal(relais_ctx_new(&f->ctx), 0);
	snprintf(f->home_path, sizeof(f->home_path), "%s/home", f->dir);
	snprintf(f->pub, sizeof(f->pub), "%s/k.pub", f->dir);
	snprintf(f->other_pub, sizeof(f->other_pub), "%s/other.pub", f->dir);
	snprintf(f->v1, sizeof(f->v1), "%s/v1.relais", f->dir);
	snprintf(f->v2, sizeof(f->v2), "%s/v2.relais", f->dir);
	snprintf(f->other, sizeof(f->other), "%s/other.relais", f->dir);
	snprintf(f->tampered, sizeof(f->tampered), "%s/tampered.relais", f->dir);
	assert_int_equal(relais_keypair_generate(&pub, &sec, f->ctx), 0);
	assert_int_equal(relais_keypair_generate(&opub, &osec, f->ctx), 0);
	assert_int_equal(relais_pubkey_save(f->ctx, pub, f->pub), 0);
	assert_int_equal(relais_pubkey_save(f->ctx, opub, f->other_pub), 0);

	snprintf(src, sizeof(src), "%s/src", f->dir);
	craft_course(src);
	craft_pack(src, sec, f->v1);
	craft_pack(src, osec, f->other);
	/* Version 4 drops the lesson "stay" and adds "leave". */
	snprintf(src2, sizeof(src2), "%s/src2", f->dir);
	craft_course(src2);
	craft_write(
	        src2, "course.json",
	        "{\"id\": \"field-safety\", \"version\": 4, \"language\": \"en\", \"title\": "
	        "\"Field safety\", \"units\": ["
	        "{\"id\": \"arrive\", \"title\": \"Arriving\", \"lesson\": \"lessons/arrive.md\"},"
	        "{\"id\": \"leave\", \"title\": \"Leaving\", \"lesson\": \"lessons/leave.md\"},"
	        "{\"id\": \"check\", \"title\": \"Check\", \"quiz\": \"quiz/check.gift\"}]}\n");
	craft_write(src2, "lessons/arrive.md", "# Arriving\n\nRegister with the embassy.\n");
	craft_write(src2, "lessons/leave.md", "# Leaving\n\nHand over the satellite phone.\n");
	craft_pack(src2, sec, f->v2);

	data = craft_slurp(f->v1, &len);
	data[len / 2] ^= 0x20;
	out = fopen(f->tampered, "wb");
	assert_int_equal(fwrite(data, 1, len, out), len);
	fclose(out);
	free(data);

	assert_int_equal(relais_home_open(&f->home, f->ctx, f->home_path), 0);
	relais_pubkey_free(pub);
	relais_pubkey_free(opub);
	relais_seckey_free(sec);
	relais_seckey_free(osec);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	relais_home_close(f->home);
	relais_ctx_free(f->ctx);
	craft_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static size_t installed_count(struct fx *f)
{
	struct relais_course_info *c = NULL;
	size_t n = 0;

	assert_int_equal(relais_library_list(&c, &n, f->home, f->ctx), 0);
	relais_course_info_free(c, n);
	return n;
}

/* Files in the library folder: no temporary file may be left behind. */
static size_t library_files(struct fx *f)
{
	char path[600];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/library", f->home_path);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		n += e->d_name[0] != '.';
	}
	closedir(d);
	return n;
}

static int unit_state(struct fx *f, int64_t who, const char *unit)
{
	struct relais_course_progress cp;
	size_t i;
	int state = -1;

	assert_int_equal(relais_progress_get(&cp, f->home, f->ctx, who, "field-safety"), 0);
	for (i = 0; i < cp.n_units; i++) {
		if (strcmp(cp.units[i].unit_id, unit) == 0) {
			state = cp.units[i].state;
		}
	}
	relais_course_progress_clear(&cp);
	return state;
}

static void install_life_cycle(void **state)
{
	struct fx *f = *state;
	struct relais_install_result r;
	struct relais_search_hit *hits = NULL;
	struct relais_course_info info;
	size_t n = 0;
	int64_t who = 0;

	/* Nobody trusted yet: refused, nothing installed. */
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v1), RELAIS_ESIGNATURE);
	assert_non_null(strstr(relais_errmsg(f->ctx), "not trusted"));
	assert_int_equal(installed_count(f), 0);
	assert_int_equal(library_files(f), 0);

	assert_int_equal(relais_trust_add(f->home, f->ctx, f->pub, "Field academy", NULL), 0);
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v1), 0);
	assert_int_equal(r.outcome, RELAIS_INSTALLED);
	assert_int_equal(r.version, 3);
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v1), 0);
	assert_int_equal(r.outcome, RELAIS_UNCHANGED);
	assert_int_equal(library_files(f), 1);

	/* Another publisher's bundle of the same course is refused. */
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->other), RELAIS_ESIGNATURE);
	/* A tampered bundle is refused, and nothing changes. */
	assert_int_not_equal(relais_library_install(&r, f->home, f->ctx, f->tampered), 0);
	assert_int_equal(installed_count(f), 1);
	assert_int_equal(library_files(f), 1);

	/* Progress, then an upgrade that drops one of the viewed lessons. */
	assert_int_equal(relais_profile_add(&who, f->home, f->ctx, "Ana", "ana@example.org", ""),
	                 0);
	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, who, "field-safety", "arrive"), 0);
	assert_int_equal(
	        relais_progress_lesson_viewed(f->home, f->ctx, who, "field-safety", "stay"), 0);
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v2), 0);
	assert_int_equal(r.outcome, RELAIS_UPGRADED);
	assert_int_equal(r.old_version, 3);
	assert_int_equal(r.version, 4);
	assert_int_equal(unit_state(f, who, "arrive"), RELAIS_UNIT_DONE);
	assert_int_equal(unit_state(f, who, "leave"), RELAIS_UNIT_NEW);
	assert_int_equal(unit_state(f, who, "stay"), -1);
	assert_int_equal(library_files(f), 1); /* the old version's file is gone */

	/* Rollback to version 3 is refused; version 4 stays. */
	assert_int_equal(relais_library_install(&r, f->home, f->ctx, f->v1), RELAIS_EINVAL);
	assert_non_null(strstr(relais_errmsg(f->ctx), "refusing a rollback"));
	assert_int_equal(relais_library_get(&info, f->home, f->ctx, "field-safety"), 0);
	assert_int_equal(info.version, 4);
	relais_course_info_clear(&info);

	/* Search sees version 4's lessons only, accents and case aside. */
	assert_int_equal(relais_library_search(&hits, &n, f->home, f->ctx, "SATELLITE", 10), 0);
	assert_int_equal(n, 1);
	assert_string_equal(hits[0].unit_id, "leave");
	assert_non_null(strstr(hits[0].snippet_html, "<mark>satellite</mark>"));
	relais_search_free(hits, n);
	assert_int_equal(relais_library_search(&hits, &n, f->home, f->ctx, "contact details", 10),
	                 0);
	assert_int_equal(n, 0);
	relais_search_free(hits, n);
	/* FTS5 syntax typed by a learner is only words. */
	assert_int_equal(relais_library_search(&hits, &n, f->home, f->ctx, "\"EMBASS* (", 10), 0);
	assert_int_equal(n, 1);
	relais_search_free(hits, n);

	/* The installed course opens, checked against the trust store. */
	relais_bundle *b = NULL;
	assert_int_equal(relais_library_open(&b, f->home, f->ctx, "field-safety"), 0);
	relais_bundle_free(b);

	assert_int_equal(relais_library_remove(f->home, f->ctx, "field-safety"), 0);
	assert_int_equal(installed_count(f), 0);
	assert_int_equal(library_files(f), 0);
	assert_int_equal(relais_library_remove(f->home, f->ctx, "field-safety"), RELAIS_ENOTFOUND);
}

static void trust_store(void **state)
{
	struct fx *f = *state;
	struct relais_trusted_key *keys = NULL;
	relais_pubkey *k = NULL;
	char id[RELAIS_KEYID_HEX];
	size_t n = 0;

	assert_int_equal(relais_trust_add(f->home, f->ctx, f->other_pub, "Other", id), 0);
	assert_int_equal(relais_trust_list(&keys, &n, f->home, f->ctx), 0);
	assert_true(n >= 1);
	relais_trust_list_free(keys, n);
	assert_int_equal(relais_trust_lookup(&k, f->home, f->ctx, id), 0);
	relais_pubkey_free(k);
	assert_int_equal(relais_trust_remove(f->home, f->ctx, id), 0);
	assert_int_equal(relais_trust_lookup(&k, f->home, f->ctx, id), RELAIS_ESIGNATURE);
	assert_int_equal(relais_trust_remove(f->home, f->ctx, id), RELAIS_ENOTFOUND);
	assert_int_equal(relais_trust_add(f->home, f->ctx, f->v1, NULL, NULL), RELAIS_EFORMAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(install_life_cycle),
	        cmocka_unit_test(trust_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
